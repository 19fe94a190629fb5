// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "context/cgroup-names.h"
#include "context/cgroup-path.h"
#include "context/exec-id.h"
#include "daemon.h"
#include "log.h"
#include "loop-stats.h"
#include "process/snapshot-pool.h"
#include "render/event-json.h"
#include "ring/monitor.h"

#define HOUSEKEEPING_INTERVAL_USEC (1000 * 1000)
/* The largest event: two process objects of the largest kind (8 KiB of path
 * and 4 KiB of args, every byte escaped) and ptrace's child. */
#define EVENT_JSON_MAX (1u << 20)

void config_init_defaults(struct config *c)
{
	*c = (struct config){
		.hook_mode = HOOK_MODE_AUTO,
		.ringbuf_bytes = 8u << 20,
		.stdout_buffer_bytes = 16u << 20,
		.process_cache_max = 262144,
		.process_cache_max_exited = 16384,
		.journal_categories = CATEGORY_PRIVILEGE,
		.journal_queue_bytes = 4u << 20,
		.max_subscriptions = 128,
		.max_subscriptions_per_client = 16,
		.subscriber_backlog_bytes = 4u << 20,
		.subscriber_window_bytes = 1u << 20,
	};
}

static uint64_t now_monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t now_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct daemon *d = userdata;

	if (si->ssi_signo == SIGUSR1) {
		daemon_log_counters(d);
		return 0;
	}

	/* A second one: no more waiting for outputs. */
	if (d->stopping)
		d->stop_now = true;
	d->stopping = true;
	daemon_stop(d, 0);
	return 0;
}

bool daemon_stop_signal_pending(void)
{
	sigset_t pending;

	/* Blocked (they are read from a signalfd), so they wait here once the
	 * loop has ended. */
	return sigpending(&pending) == 0 && (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1);
}

/* From the start: a signal that comes while the monitors load, or just
 * after bombusd said it is monitoring, still stops it cleanly. */
static int watch_signals(struct daemon *d)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGUSR1 };
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	for (size_t i = 0; i < ELEMENTSOF(signals); i++)
		sigaddset(&mask, signals[i]);
	/* Blocked too, read by reload_watch() (reload.c): one that comes
	 * before waits there instead of killing bombusd. */
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN); /* EPIPE is handled where we write */
	for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
		r = sd_event_add_signal(d->event, NULL, signals[i], on_signal, d);
		if (r < 0)
			return log_error_errno(r, "cannot watch signal %d: %m", signals[i]);
	}
	return 0;
}

int daemon_new(const struct config *config, struct daemon **ret)
{
	struct daemon *d = calloc(1, sizeof(*d));
	long ticks = sysconf(_SC_CLK_TCK);
	int r;

	if (!d)
		return -ENOMEM;
	d->config = *config;
	d->started_usec = clock_monotonic_usec();
	d->free_memory_trimmed = SIZE_MAX;
	d->tick_ns = 1000000000u / (uint64_t)(ticks > 0 ? ticks : 100);
	d->boot_to_real_ns = clock_boot_to_realtime_offset();
	json_writer_init(&d->writer, EVENT_JSON_MAX);
	r = sd_event_default(&d->event);
	if (r < 0) {
		free(d);
		return r;
	}
	r = ringbuf_poller_new(d->event, &d->ring_poller);
	if (r < 0) {
		sd_event_unref(d->event);
		free(d);
		return r;
	}
	r = exec_id_init(NULL);
	if (r < 0)
		log_warning_errno(r, "cannot read the boot id: exec_id values start with zeros instead: %m");
	/* Said once: every event lacks the fields then. */
	r = cgroup_names_open(NULL);
	if (r == -ENOENT)
		log_warning("no cgroup2 hierarchy is mounted: events carry no cgroup, cgroup_id, unit, slice or "
			    "container_id");
	else if (r < 0)
		log_warning_errno(r, "cannot open the cgroup2 hierarchy: events carry no cgroup, cgroup_id, unit, "
				     "slice or container_id: %m");
	d->processes = process_cache_new(config->process_cache_max, config->process_cache_max_exited, d->tick_ns);
	if (!d->processes) {
		daemon_free(d);
		return -ENOMEM;
	}
	r = watch_signals(d);
	if (r < 0) {
		daemon_free(d);
		return r;
	}
	*ret = d;
	return 0;
}

void daemon_free(struct daemon *d)
{
	if (!d)
		return;
	/* Monitors first: their links go, nothing stays attached. In reverse
	 * order of start: a guest monitor uses its host until it is freed. */
	for (size_t i = d->n_monitors; i-- > 0;)
		d->monitors[i]->free(d->monitors[i]);
	ringbuf_poller_free(d->ring_poller);
	for (size_t i = 0; i < d->n_outputs; i++)
		d->outputs[i]->ops->free(d->outputs[i]);
	process_cache_free(d->processes);
	free(d->context_filter.ids);
	cgroup_names_close();
	json_writer_free(&d->writer);
	sd_event_unref(d->event);
	free(d);
}

int daemon_add_monitor(struct daemon *d, struct monitor *m)
{
	if (d->n_monitors >= DAEMON_MAX_MONITORS) {
		m->free(m);
		return -E2BIG;
	}
	d->monitors[d->n_monitors++] = m;
	return 0;
}

int daemon_add_output(struct daemon *d, struct output *o)
{
	if (d->n_outputs >= DAEMON_MAX_OUTPUTS)
		return -E2BIG;
	d->outputs[d->n_outputs++] = o;
	return 0;
}

static bool context_filter_possible(const struct daemon *d);
static void context_filter_update(struct daemon *d);

uint32_t daemon_wanted_categories(const struct daemon *d)
{
	uint32_t wanted = 0;

	for (size_t i = 0; i < d->n_outputs; i++)
		wanted |= d->outputs[i]->categories;
	return wanted & CATEGORY_ALL;
}

struct opcode_set daemon_wanted_opcodes(const struct daemon *d)
{
	struct opcode_set set = { { 0 } };

	for (size_t i = 0; i < d->n_outputs; i++)
		if (d->outputs[i]->categories & CATEGORY_IO_URING)
			for (size_t w = 0; w < ELEMENTSOF(set.bits); w++)
				set.bits[w] |= d->outputs[i]->iouring_opcodes.bits[w];
	return set;
}

void daemon_categories_changed(struct daemon *d)
{
	uint32_t wanted = daemon_wanted_categories(d);
	struct opcode_set opcodes = daemon_wanted_opcodes(d);

	for (size_t i = 0; i < d->n_monitors; i++) {
		int r = monitor_set_wanted(d->monitors[i], wanted);

		if (r < 0)
			log_warning_errno(r, "%s: cannot tell the BPF programs which categories are wanted: %m",
					  d->monitors[i]->name);
		if (d->monitors[i]->wanted_opcodes)
			d->monitors[i]->wanted_opcodes(d->monitors[i], opcodes.bits);
	}
	/* An output that chooses nothing by context (the journal, after a
	 * reload) came or went: the kernel filter goes off or on. */
	if (context_filter_possible(d) != d->context_filter.on)
		context_filter_update(d);
}

void daemon_output_wants(struct daemon *d, struct output *o, uint32_t categories, const struct opcode_set *opcodes)
{
	if (categories == o->categories && memcmp(opcodes, &o->iouring_opcodes, sizeof(*opcodes)) == 0)
		return;
	o->categories = categories;
	o->iouring_opcodes = *opcodes;
	daemon_categories_changed(d);
}

/* -- the kernel pre-filter by context --------------------------------------- */

/* Whether some output watches the cgroup at @path. */
static bool cgroup_watched(struct daemon *d, const char *path)
{
	struct cgroup_path_info parsed;

	cgroup_path_parse(path, &parsed);
	for (size_t i = 0; i < d->n_outputs; i++) {
		struct output *o = d->outputs[i];

		if (o->categories && o->ops->watches_cgroup &&
		    o->ops->watches_cgroup(o, path, parsed.container_id[0] ? parsed.container_id : NULL))
			return true;
	}
	return false;
}

/* Whether the cgroup at @path must be in the kernel's set: it is watched
 * and its parent is not (the programs walk up to it from below). */
static bool cgroup_watched_highest(struct daemon *d, const char *path)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!cgroup_watched(d, path))
		return false;
	if (!slash || slash == path)
		return strcmp(path, "/") == 0 || !cgroup_watched(d, "/");
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path);
	return !cgroup_watched(d, parent);
}

/* Whether the kernel may leave out events of unwatched cgroups. */
static bool context_filter_possible(const struct daemon *d)
{
	bool wanted = false;

	for (size_t i = 0; i < d->n_outputs; i++) {
		if (!d->outputs[i]->categories)
			continue;
		if (!d->outputs[i]->by_context || !d->outputs[i]->ops->watches_cgroup)
			return false;
		wanted = true;
	}
	return wanted && cgroup_names_enabled();
}

static void set_context_filter(struct daemon *d, bool on)
{
	for (size_t i = 0; i < d->n_monitors; i++) {
		int r = monitor_set_context_filter(d->monitors[i], on);

		if (r < 0)
			log_warning_errno(r, "%s: cannot switch the context filter: %m",
					  d->monitors[i]->name);
	}
	d->context_filter.on = on;
}

static void watch_cgroup(struct daemon *d, uint64_t id, bool watched)
{
	for (size_t i = 0; i < d->n_monitors; i++) {
		int r = monitor_watch_cgroup(d->monitors[i], id, watched);

		if (r < 0)
			log_warning_errno(r, "%s: cannot change the context filter's cgroups: %m",
					  d->monitors[i]->name);
	}
}

struct id_set {
	struct daemon *d;
	uint64_t *ids;
	size_t n;
	bool full;
};

static void collect_watched(uint64_t id, const char *path, void *userdata)
{
	struct id_set *set = userdata;

	if (set->full || !cgroup_watched_highest(set->d, path))
		return;
	if (set->n == BOMBUS_WATCHED_CGROUPS) {
		set->full = true;
		return;
	}
	set->ids[set->n++] = id;
}

static int compare_ids(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool ids_contain(const uint64_t *ids, size_t n, uint64_t id)
{
	return n > 0 && bsearch(&id, ids, n, sizeof(*ids), compare_ids);
}

/* The kernel's filter from what the outputs watch now. New cgroups are let
 * through before the old ones go, so that nothing watched both before and
 * after is ever left out. */
static void context_filter_update(struct daemon *d)
{
	struct id_set set = { .d = d };

	if (!context_filter_possible(d)) {
		if (d->context_filter.on)
			set_context_filter(d, false);
		for (size_t i = 0; i < d->context_filter.n_ids; i++)
			watch_cgroup(d, d->context_filter.ids[i], false);
		d->context_filter.n_ids = 0;
		return;
	}
	set.ids = malloc(BOMBUS_WATCHED_CGROUPS * sizeof(*set.ids));
	if (!set.ids || cgroup_names_walk(collect_watched, &set) < 0 || set.full) {
		if (set.full && !d->context_filter.full_said) {
			log_warning("More than %d cgroups are watched by context: the kernel does not filter "
				    "events by context",
				    BOMBUS_WATCHED_CGROUPS);
			d->context_filter.full_said = true;
		}
		free(set.ids);
		set_context_filter(d, false);
		for (size_t i = 0; i < d->context_filter.n_ids; i++)
			watch_cgroup(d, d->context_filter.ids[i], false);
		d->context_filter.n_ids = 0;
		return;
	}
	qsort(set.ids, set.n, sizeof(*set.ids), compare_ids);
	for (size_t i = 0; i < set.n; i++)
		if (!ids_contain(d->context_filter.ids, d->context_filter.n_ids, set.ids[i]))
			watch_cgroup(d, set.ids[i], true);
	if (!d->context_filter.on)
		set_context_filter(d, true);
	for (size_t i = 0; i < d->context_filter.n_ids; i++)
		if (!ids_contain(set.ids, set.n, d->context_filter.ids[i]))
			watch_cgroup(d, d->context_filter.ids[i], false);
	free(d->context_filter.ids);
	d->context_filter.ids = set.ids;
	d->context_filter.n_ids = set.n;
}

void daemon_output_watches(struct daemon *d, struct output *o, bool by_context)
{
	o->by_context = by_context;
	context_filter_update(d);
}

void daemon_cgroup_made(struct daemon *d, uint64_t id, const char *path)
{
	/* while on, room for BOMBUS_WATCHED_CGROUPS */
	uint64_t *ids = d->context_filter.ids;
	size_t at = d->context_filter.n_ids;

	if (!d->context_filter.on || !cgroup_watched_highest(d, path))
		return;
	if (d->context_filter.n_ids == BOMBUS_WATCHED_CGROUPS) {
		/* the filter cannot let it through: off, said once */
		context_filter_update(d);
		return;
	}
	/* kept sorted: ids grow, a new one is mostly the largest */
	while (at > 0 && ids[at - 1] > id)
		at--;
	memmove(ids + at + 1, ids + at, (d->context_filter.n_ids - at) * sizeof(*ids));
	ids[at] = id;
	d->context_filter.n_ids++;
	watch_cgroup(d, id, true);
}

static void on_monitor_batch_done(void *userdata)
{
	daemon_flush(userdata);
}

void daemon_monitor_init(struct daemon *d, struct monitor *m)
{
	m->poller = d->ring_poller;
	m->config = &d->config;
	m->wanted = daemon_wanted_categories(d);
	m->batch_done = on_monitor_batch_done;
	m->batch_userdata = d;
	if (m != d->process_monitor)
		m->after = d->process_monitor;
}

struct process *daemon_process_of(struct daemon *d, const struct bombus_task *task)
{
	struct process *p = process_cache_get(d->processes, task->pid, task->start_ns, false);

	if (p)
		return p;
	d->counters.cache_misses++;
	p = process_new(task, false, false, exec_image_unknown(), d->boot_to_real_ns);
	if (!p)
		d->counters.no_memory++;
	return p;
}

struct process *daemon_parent_of(struct daemon *d, const struct bombus_task *task)
{
	return task->ppid ? process_cache_get(d->processes, task->ppid, task->parent_start_ns, false) : NULL;
}

bool daemon_event_of_task(struct daemon *d, struct event *ev, uint64_t time_ns, const struct bombus_task *task)
{
	ev->time_ns = time_ns;
	ev->task = task;
	ev->process = daemon_process_of(d, task);
	if (!ev->process)
		return false;
	ev->parent = daemon_parent_of(d, task);
	return true;
}

void daemon_emit(struct daemon *d, const struct event *ev)
{
	uint32_t category = event_type_category(ev->type);
	struct rendered_event rendered = { .type = ev->type };
	bool delivered = false;

	if (!(daemon_wanted_categories(d) & category))
		return;
	if (!event_render(&d->writer, ev, d->boot_to_real_ns)) {
		d->counters.no_memory++;
		return;
	}
	rendered.json = d->writer.buf;
	rendered.len = d->writer.len;
	for (size_t i = 0; i < d->n_outputs; i++)
		if ((d->outputs[i]->categories & category) &&
		    d->outputs[i]->ops->emit(d->outputs[i], ev, &rendered) >= 0)
			delivered = true;
	event_json_unref(rendered.shared);
	if (delivered)
		d->counters.emitted++;
}

void daemon_flush(struct daemon *d)
{
	for (size_t i = 0; i < d->n_outputs; i++)
		if (d->outputs[i]->ops->flush)
			d->outputs[i]->ops->flush(d->outputs[i]);
}

void daemon_stop(struct daemon *d, int status)
{
	if (status < 0 && d->exit_status == 0)
		d->exit_status = status;
	sd_event_exit(d->event, 0);
}

size_t daemon_loss_counters(struct daemon *d, struct named_counter out[static DAEMON_LOSS_COUNTERS])
{
	struct process_cache_stats cache = process_cache_stats(d->processes);
	uint64_t kernel[BOMBUS_COUNTER_MAX] = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < d->n_monitors; i++)
		for (unsigned c = 0; c < BOMBUS_COUNTER_MAX; c++)
			kernel[c] += monitor_counter(d->monitors[i], c);
	out[n++] = (struct named_counter){ "malformed", d->counters.malformed };
	out[n++] = (struct named_counter){ "no_memory", d->counters.no_memory };
	out[n++] = (struct named_counter){ "full_refusals", cache.full_refusals };
	out[n++] = (struct named_counter){ "cache_misses", d->counters.cache_misses };
	out[n++] = (struct named_counter){ "binary_unknown", d->counters.binary_unknown };
	out[n++] = (struct named_counter){ "path_incomplete", d->counters.path_incomplete };
	out[n++] = (struct named_counter){ "args_unreadable", d->counters.args_unreadable };
	out[n++] = (struct named_counter){ "exec_data_lost", kernel[BOMBUS_COUNTER_EXEC_DATA_LOST] };
	out[n++] = (struct named_counter){ "ima_hash_failures", kernel[BOMBUS_COUNTER_IMA_HASH_FAILED] };
	out[n++] = (struct named_counter){ "syscall_entry_lost", kernel[BOMBUS_COUNTER_SYSCALL_ENTRY_LOST] };
	out[n++] = (struct named_counter){ "process_state_lost", kernel[BOMBUS_COUNTER_PROCESS_STATE_LOST] };
	out[n++] = (struct named_counter){ "filtered_in_kernel", kernel[BOMBUS_COUNTER_FILTERED] };
	return n;
}

uint64_t daemon_events_lost(struct daemon *d)
{
	uint64_t lost = 0;

	for (size_t i = 0; i < d->n_monitors; i++)
		lost += monitor_lost(d->monitors[i]);
	return lost;
}

uint64_t daemon_events_dropped(struct daemon *d)
{
	uint64_t dropped = d->counters.malformed + d->counters.no_memory;

	for (size_t i = 0; i < d->n_outputs; i++)
		dropped += d->outputs[i]->dropped;
	return dropped;
}

/* "exec:BYTES/RECORDS,clone:..." read from the rings so far, into @buf. */
static const char *ring_bytes_by_kind(struct daemon *d, char *buf, size_t size)
{
	static const char *const names[BOMBUS_RECORD_KIND_MAX] = {
		[BOMBUS_RECORD_EXEC] = "exec",		 [BOMBUS_RECORD_CLONE] = "clone",
		[BOMBUS_RECORD_EXIT] = "exit",		 [BOMBUS_RECORD_PRIVILEGE] = "privilege",
		[BOMBUS_RECORD_IOURING] = "io_uring", [BOMBUS_RECORD_CGROUP] = "cgroup",
	};
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned k = BOMBUS_RECORD_EXEC; k < BOMBUS_RECORD_KIND_MAX && len < size; k++) {
		uint64_t records = 0, bytes = 0;

		for (size_t i = 0; i < d->n_monitors; i++) {
			records += d->monitors[i]->read[k].records;
			bytes += d->monitors[i]->read[k].bytes;
		}
		len += (size_t)snprintf(buf + len, size - len, "%s%s:%" PRIu64 "/%" PRIu64, len ? "," : "",
					names[k], bytes, records);
	}
	return buf;
}

void daemon_log_counters(struct daemon *d)
{
	struct process_cache_stats cache = process_cache_stats(d->processes);
	struct named_counter losses[DAEMON_LOSS_COUNTERS];
	size_t n_losses = daemon_loss_counters(d, losses);
	uint64_t dropped = d->counters.malformed + d->counters.no_memory, lost = 0;
	char outputs[256] = "", rings[256] = "", rest[512] = "", kinds[256];
	size_t len = 0;

	for (size_t i = 0; i < d->n_outputs; i++) {
		dropped += d->outputs[i]->dropped;
		len += (size_t)snprintf(outputs + len, sizeof(outputs) - len, " dropped_%s=%" PRIu64,
					d->outputs[i]->ops->name, d->outputs[i]->dropped);
		if (len >= sizeof(outputs))
			break;
	}
	/* Per ring: a monitor without its own (a guest) loses in its host's. */
	len = 0;
	for (size_t i = 0; i < d->n_monitors; i++) {
		uint64_t n = monitor_lost(d->monitors[i]);

		lost += n;
		if (!d->monitors[i]->host && len < sizeof(rings))
			len += (size_t)snprintf(rings + len, sizeof(rings) - len, "%s%s=%" PRIu64, len ? " " : "",
						d->monitors[i]->name, n);
	}
	len = 0;
	for (size_t i = 0; i < n_losses && len < sizeof(rest); i++)
		len += (size_t)snprintf(rest + len, sizeof(rest) - len, " %s=%" PRIu64, losses[i].name,
					losses[i].value);
	log_printf(LOG_NOTICE,
		   "counters: events_emitted=%" PRIu64 " events_lost_kernel=%" PRIu64 " (%s)"
		   " events_dropped_userspace=%" PRIu64 " (%s) process_cache=%zu exited=%zu%s"
		   " longest_loop_iteration_usec=%" PRIu64 " longest_loop_iteration_cpu_usec=%" PRIu64
		   " ring_bytes=%s",
		   d->counters.emitted, lost, rings, dropped, outputs[0] ? outputs + 1 : "", cache.entries,
		   cache.exited, rest, loop_stats_longest_usec(), loop_stats_longest_cpu_usec(),
		   ring_bytes_by_kind(d, kinds, sizeof(kinds)));
}

/* Exited processes are freed a grace period after their exit, counted up to
 * here: while a ring has a backlog, records about a process that exited
 * seconds ago may still be queued (an io_uring flood), and they must find it. */
static uint64_t gc_horizon(struct daemon *d)
{
	uint64_t now = now_boot_ns(), horizon = now;

	for (size_t i = 0; i < d->n_monitors; i++) {
		uint64_t t = monitor_read_until(d->monitors[i], now);

		horizon = t < horizon ? t : horizon;
	}
	return horizon;
}

/* Memory freed after a burst (a subscriber's backlog let go, a flood of
 * calls, a cache emptied by exits) stays with the allocator unless it is
 * given back: checked once a second, given back when over this (a few
 * percent of bombusd's 45 MB at rest: RSS comes back within 10%). */
#define FREE_MEMORY_KEPT_MAX (1u << 20)

/* Given back once it stopped growing, and not again while it stays as it
 * was: malloc_trim() walks every free chunk, a system call for each. Every
 * second while a backlog of hundreds of megabytes drained, that was
 * thousands of calls for memory the next second freed more of, and then
 * again every second for memory already given back. */
static void return_free_memory(struct daemon *d)
{
	size_t free_bytes = mallinfo2().fordblks;

	if (free_bytes > FREE_MEMORY_KEPT_MAX && free_bytes <= d->free_memory_seen &&
	    free_bytes != d->free_memory_trimmed) {
		malloc_trim(0);
		d->free_memory_trimmed = free_bytes;
	}
	d->free_memory_seen = free_bytes;
}

static int on_housekeeping(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct daemon *d = userdata;

	d->boot_to_real_ns = clock_boot_to_realtime_offset();
	process_cache_gc(d->processes, gc_horizon(d));
	snapshot_pool_release();
	return_free_memory(d);
	sd_event_source_set_time(s, usec + HOUSEKEEPING_INTERVAL_USEC);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

int daemon_run(struct daemon *d)
{
	uint64_t now, deadline;
	int r;

	sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	r = sd_event_add_time(d->event, NULL, CLOCK_MONOTONIC, now + HOUSEKEEPING_INTERVAL_USEC, 0,
			      on_housekeeping, d);
	if (r < 0)
		return log_error_errno(r, "cannot add the housekeeping timer: %m");
	/* idempotent: the service attaches it too */
	r = loop_stats_attach(d->event);
	if (r < 0)
		return log_error_errno(r, "cannot measure the main loop: %m");
	/* With WatchdogSec= (WATCHDOG_USEC set): keep-alives sent by the loop
	 * itself, so that a loop that hangs, not just a process that dies, is
	 * restarted by systemd. A no-op without it. */
	r = sd_event_set_watchdog(d->event, true);
	if (r < 0)
		log_warning_errno(r, "cannot send keep-alives to systemd's watchdog: %m");
	else if (r > 0)
		log_debug("sending keep-alives to systemd's watchdog");
	r = sd_event_loop(d->event);
	if (r < 0)
		return log_error_errno(r, "event loop failed: %m");
	/* Detach, then deliver what the kernel had already queued, for at most
	 * DAEMON_STOP_TIMEOUT_USEC: a reader that does not read cannot keep
	 * bombusd from stopping (what is left is counted as dropped), and a
	 * second SIGTERM stops it at once. */
	for (size_t i = 0; i < d->n_monitors; i++)
		monitor_detach(d->monitors[i]);
	deadline = now_monotonic_usec() + DAEMON_STOP_TIMEOUT_USEC;
	if (!d->stop_now && !daemon_stop_signal_pending())
		for (size_t i = 0; i < d->n_monitors; i++)
			monitor_drain(d->monitors[i]);
	for (size_t i = 0; i < d->n_outputs; i++)
		if (d->outputs[i]->ops->finish)
			d->outputs[i]->ops->finish(d->outputs[i], d->stop_now ? 0 : deadline);
	return d->exit_status;
}
