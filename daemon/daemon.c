// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "monitor.h"

#define HOUSEKEEPING_INTERVAL_USEC (1000 * 1000)

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

static uint64_t now_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct daemon *d = userdata;

	if (si->ssi_signo == SIGUSR1)
		daemon_log_counters(d);
	else
		daemon_stop(d, 0);
	return 0;
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
	d->tick_ns = 1000000000u / (uint64_t)(ticks > 0 ? ticks : 100);
	d->boot_to_real_ns = clock_boot_to_realtime_offset();
	r = sd_event_default(&d->event);
	if (r < 0) {
		free(d);
		return r;
	}
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
	for (size_t i = 0; i < d->n_outputs; i++)
		d->outputs[i]->ops->free(d->outputs[i]);
	process_cache_free(d->processes);
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

uint32_t daemon_wanted_categories(const struct daemon *d)
{
	uint32_t wanted = 0;

	for (size_t i = 0; i < d->n_outputs; i++)
		wanted |= d->outputs[i]->categories;
	return wanted & CATEGORY_ALL;
}

void daemon_categories_changed(struct daemon *d)
{
	uint32_t wanted = daemon_wanted_categories(d);

	for (size_t i = 0; i < d->n_monitors; i++) {
		int r = monitor_set_wanted(d->monitors[i], wanted);

		if (r < 0)
			log_warning_errno(r, "%s: cannot tell the BPF programs which categories are wanted: %m",
					  d->monitors[i]->name);
	}
}

void daemon_event_process(struct daemon *d, struct event *ev, uint32_t pid, uint32_t tid, uint64_t start_ns,
			  const struct bombus_creds *creds, struct process *scratch)
{
	ev->process = process_cache_find(d->processes, pid, start_ns);
	if (!ev->process) {
		d->counters.cache_misses++;
		*scratch = (struct process){ .pid = pid, .tid = tid, .start_ns = start_ns };
		if (creds)
			scratch->creds = *creds;
		else
			memset(&scratch->creds, 0xff, offsetof(struct bombus_creds, pad));
		ev->process = scratch;
	}
	ev->parent = process_cache_find(d->processes, ev->process->ppid, ev->process->parent_start_ns);
}

void daemon_emit(struct daemon *d, const struct event *ev)
{
	uint32_t category = event_type_category(ev->type);
	_cleanup_free_ char *json = NULL;
	bool delivered = false;
	size_t len;

	if (!(daemon_wanted_categories(d) & category))
		return;
	json = event_to_json(ev, d->boot_to_real_ns, &len);
	if (!json) {
		d->counters.no_memory++;
		return;
	}
	for (size_t i = 0; i < d->n_outputs; i++)
		if ((d->outputs[i]->categories & category) && d->outputs[i]->ops->emit(d->outputs[i], ev, json, len) >= 0)
			delivered = true;
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

void daemon_log_counters(struct daemon *d)
{
	struct process_cache_stats cache = process_cache_stats(d->processes);
	uint64_t dropped = d->counters.malformed + d->counters.no_memory, lost = 0;
	char outputs[256] = "", rings[256] = "";
	uint64_t exec_data_lost = 0, ima_hash_failures = 0;
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
		exec_data_lost += monitor_counter(d->monitors[i], BOMBUS_COUNTER_EXEC_DATA_LOST);
		ima_hash_failures += monitor_counter(d->monitors[i], BOMBUS_COUNTER_IMA_HASH_FAILED);
		if (!d->monitors[i]->host && len < sizeof(rings))
			len += (size_t)snprintf(rings + len, sizeof(rings) - len, "%s%s=%" PRIu64, len ? " " : "",
						d->monitors[i]->name, n);
	}
	log_printf(LOG_NOTICE,
		   "counters: events_emitted=%" PRIu64 " events_lost_kernel=%" PRIu64 " (%s)"
		   " events_dropped_userspace=%" PRIu64 " (malformed=%" PRIu64 " no_memory=%" PRIu64 "%s)"
		   " process_cache=%zu exited=%zu full_refusals=%" PRIu64 " cache_misses=%" PRIu64
		   " exec_data_lost=%" PRIu64 " ima_hash_failures=%" PRIu64,
		   d->counters.emitted, lost, rings, dropped, d->counters.malformed,
		   d->counters.no_memory, outputs, cache.entries, cache.exited, cache.full_refusals,
		   d->counters.cache_misses, exec_data_lost, ima_hash_failures);
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

static int on_housekeeping(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct daemon *d = userdata;

	d->boot_to_real_ns = clock_boot_to_realtime_offset();
	process_cache_gc(d->processes, gc_horizon(d));
	sd_event_source_set_time(s, usec + HOUSEKEEPING_INTERVAL_USEC);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

int daemon_run(struct daemon *d)
{
	uint64_t now;
	int r;

	sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	r = sd_event_add_time(d->event, NULL, CLOCK_MONOTONIC, now + HOUSEKEEPING_INTERVAL_USEC, 0,
			      on_housekeeping, d);
	if (r < 0)
		return log_error_errno(r, "cannot add the housekeeping timer: %m");
	r = sd_event_loop(d->event);
	if (r < 0)
		return log_error_errno(r, "event loop failed: %m");
	/* Detach, then deliver what the kernel had already queued. */
	for (size_t i = 0; i < d->n_monitors; i++)
		monitor_detach(d->monitors[i]);
	for (size_t i = 0; i < d->n_monitors; i++)
		monitor_drain(d->monitors[i]);
	daemon_flush(d);
	return d->exit_status;
}
