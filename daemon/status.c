// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <sys/utsname.h>

#include "category.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "loop-stats.h"
#include "process/snapshot-pool.h"
#include "ring/monitor.h"
#include "status.h"
#include "subscribe/filter.h"

static int names(struct status_sink *s, const char *key, uint32_t mask, bool types)
{
	const char *list[MASK_NAMES_MAX];
	size_t n = mask_names(mask, types, list);
	int r = s->ops->begin_array(s, key, "as");

	for (size_t i = 0; r >= 0 && i < n; i++)
		r = s->ops->string(s, NULL, list[i]);
	return r < 0 ? r : s->ops->end_array(s);
}

int status_categories(struct status_sink *s, const char *key, uint32_t mask)
{
	return names(s, key, mask, false);
}

int status_types(struct status_sink *s, const char *key, uint32_t mask)
{
	return names(s, key, mask, true);
}

/* "hooks": a(sss) of hook, attach method ("disabled" when the configuration
 * left it out, "unavailable" when the kernel could not run it) and the target
 * it attached to. */
static int monitor_hooks(struct status_sink *s, const struct monitor *mon)
{
	int r = s->ops->begin_array(s, "hooks", "a(sss)");

	for (size_t i = 0; r >= 0 && i < mon->n_hooks; i++) {
		const struct hook_method *chosen = mon->hooks[i].chosen;
		const char *method = chosen		      ? attach_method_to_string(chosen->method)
				     : mon->hooks[i].disabled ? "disabled"
							      : "unavailable";

		r = s->ops->begin_tuple(s, NULL, "(sss)");
		if (r >= 0)
			r = s->ops->string(s, "hook", mon->hooks[i].name);
		if (r >= 0)
			r = s->ops->string(s, "method", method);
		if (r >= 0)
			r = s->ops->string(s, "target", chosen ? chosen->target : "");
		if (r >= 0)
			r = s->ops->end_tuple(s);
	}
	return r < 0 ? r : s->ops->end_array(s);
}

/* "skipped_targets": as of "HOOK: METHOD/TARGET" its kernel lacks */
static int monitor_skipped_targets(struct status_sink *s, const struct monitor *mon)
{
	int r = s->ops->begin_array(s, "skipped_targets", "as");

	for (size_t i = 0; r >= 0 && i < mon->n_hooks; i++)
		for (size_t t = 0; r >= 0 && t < mon->hooks[i].n_skipped; t++) {
			char text[256];

			snprintf(text, sizeof(text), "%s: %s/%s", mon->hooks[i].name,
				 attach_method_to_string(mon->hooks[i].chosen->method),
				 mon->hooks[i].skipped_targets[t]);
			r = s->ops->string(s, NULL, text);
		}
	return r < 0 ? r : s->ops->end_array(s);
}

/* A monitor's dictionary: its name, its ring's losses and its hooks. */
static int monitor(struct status_sink *s, const struct daemon *d, size_t i)
{
	const struct monitor *mon = d->monitors[i];
	int r = s->ops->string(s, "name", mon->name);

	if (r >= 0)
		r = s->ops->u64(s, "events_lost_kernel", monitor_counter(mon, BOMBUS_COUNTER_RINGBUF_FULL));
	if (r >= 0)
		r = monitor_hooks(s, mon);
	return r < 0 ? r : monitor_skipped_targets(s, mon);
}

static int output(struct status_sink *s, const struct daemon *d, size_t i)
{
	const struct output *o = d->outputs[i];
	int r = s->ops->string(s, "name", o->ops->name);

	if (r >= 0)
		r = s->ops->u64(s, "dropped", o->dropped);
	return r < 0 ? r : status_categories(s, "categories", o->categories);
}

/* @key => "aa{sv}": @n dictionaries, the entries of each added by @fill. */
static int dicts(struct status_sink *s, const char *key, const struct daemon *d, size_t n,
		 int (*fill)(struct status_sink *s, const struct daemon *d, size_t i))
{
	int r = s->ops->begin_array(s, key, "aa{sv}");

	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = s->ops->begin_dict(s, NULL, "a{sv}");
		if (r >= 0)
			r = fill(s, d, i);
		if (r >= 0)
			r = s->ops->end_dict(s);
	}
	return r < 0 ? r : s->ops->end_array(s);
}

/* "counters": a{st} of every loss and gap counter, as the counters line. */
static int loss_counters(struct status_sink *s, struct daemon *d)
{
	struct named_counter counters[DAEMON_LOSS_COUNTERS];
	size_t n = daemon_loss_counters(d, counters);
	int r = s->ops->begin_dict(s, "counters", "a{st}");

	for (size_t i = 0; r >= 0 && i < n; i++)
		r = s->ops->u64(s, counters[i].name, counters[i].value);
	return r < 0 ? r : s->ops->end_dict(s);
}

/* Whether the kernel measures BPF programs' run time (sysctl
 * kernel.bpf_stats_enabled); false when it cannot be read. */
static bool bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int c = f ? fgetc(f) : EOF;

	if (f)
		fclose(f);
	return c != EOF && c != '0';
}

/* "hook_stats": a(sstt) of monitor, hook, nanoseconds its programs ran and
 * their runs, for every hook with attached programs. The kernel counts only
 * while "bpf_stats_enabled" (b) is true. */
static int hook_stats(struct status_sink *s, struct daemon *d)
{
	int r = s->ops->boolean(s, "bpf_stats_enabled", bpf_stats_enabled());

	if (r >= 0)
		r = s->ops->begin_array(s, "hook_stats", "a(sstt)");
	for (size_t i = 0; r >= 0 && i < d->n_monitors; i++) {
		const struct monitor *mon = d->monitors[i];

		for (size_t h = 0; r >= 0 && h < mon->n_hooks; h++) {
			struct hook_stats stats;

			if (monitor_hook_stats(mon, &mon->hooks[h], &stats) < 0)
				continue; /* not attached, or unreadable: left out */
			r = s->ops->begin_tuple(s, NULL, "(sstt)");
			if (r >= 0)
				r = s->ops->string(s, "monitor", mon->name);
			if (r >= 0)
				r = s->ops->string(s, "hook", mon->hooks[h].name);
			if (r >= 0)
				r = s->ops->u64(s, "run_time_ns", stats.run_time_ns);
			if (r >= 0)
				r = s->ops->u64(s, "run_count", stats.run_count);
			if (r >= 0)
				r = s->ops->end_tuple(s);
		}
	}
	return r < 0 ? r : s->ops->end_array(s);
}

/* "subscriptions": "aa{sv}", one dictionary per subscription of any API. */
static int subscriptions(struct status_sink *s, struct daemon *d)
{
	int r = s->ops->begin_array(s, "subscriptions", "aa{sv}");

	for (size_t i = 0; r >= 0 && i < d->n_outputs; i++)
		if (d->outputs[i]->ops->status_subscriptions)
			r = d->outputs[i]->ops->status_subscriptions(d->outputs[i], s);
	return r < 0 ? r : s->ops->end_array(s);
}

int subscription_status(struct status_sink *s, const char *api, const struct subscription_filter *f,
			uint64_t delivered, uint64_t dropped, uint64_t backlog_events)
{
	int r = s->ops->boolean(s, "batch", f->batch);

	if (r >= 0)
		r = s->ops->u64(s, "delivered", delivered);
	if (r >= 0)
		r = s->ops->u64(s, "dropped", dropped);
	if (r >= 0)
		r = s->ops->u64(s, "backlog_events", backlog_events);
	if (r >= 0)
		r = status_categories(s, "categories", f->categories);
	if (r >= 0)
		r = status_types(s, "types", f->types);
	return r < 0 ? r : s->ops->string(s, "api", api);
}

int daemon_status(struct daemon *d, unsigned authorizations_pending, struct status_sink *s)
{
	struct process_cache_stats cache = process_cache_stats(d->processes);
	uint64_t lost = 0, dropped = d->counters.malformed + d->counters.no_memory;
	struct utsname uts;
	int r;

	if (uname(&uts) < 0)
		return -errno;
	for (size_t i = 0; i < d->n_monitors; i++)
		lost += monitor_counter(d->monitors[i], BOMBUS_COUNTER_RINGBUF_FULL);
	for (size_t i = 0; i < d->n_outputs; i++)
		dropped += d->outputs[i]->dropped;

	r = s->ops->begin_dict(s, NULL, "a{sv}");
	if (r >= 0)
		r = s->ops->string(s, "version", BOMBUS_VERSION);
	if (r >= 0)
		r = s->ops->string(s, "kernel_release", uts.release);
	if (r >= 0)
		r = s->ops->u64(s, "uptime_usec", clock_monotonic_usec() - d->started_usec);
	if (r >= 0)
		r = s->ops->u64(s, "events_emitted", d->counters.emitted);
	if (r >= 0)
		r = s->ops->u64(s, "events_lost_kernel", lost);
	if (r >= 0)
		r = s->ops->u64(s, "events_dropped", dropped);
	if (r >= 0)
		r = s->ops->u32(s, "subscribers", d->n_subscriptions);
	if (r >= 0)
		r = s->ops->u64(s, "process_cache_entries", cache.entries);
	if (r >= 0)
		r = s->ops->u64(s, "snapshot_pool_bytes", snapshot_pool_bytes());
	if (r >= 0)
		r = s->ops->u64(s, "longest_loop_iteration_usec", loop_stats_longest_usec());
	if (r >= 0)
		r = s->ops->u64(s, "longest_loop_iteration_cpu_usec", loop_stats_longest_cpu_usec());
	if (r >= 0)
		r = s->ops->u32(s, "authorizations_pending", authorizations_pending);
	if (r >= 0)
		r = loss_counters(s, d);
	if (r >= 0)
		r = hook_stats(s, d);
	if (r >= 0)
		r = status_categories(s, "wanted_categories", daemon_wanted_categories(d));
	if (r >= 0)
		r = s->ops->boolean(s, "kernel_context_filter", d->context_filter.on);
	if (r >= 0)
		r = s->ops->u64(s, "kernel_context_filter_cgroups", d->context_filter.on ? d->context_filter.n_ids : 0);
	if (r >= 0)
		r = dicts(s, "monitors", d, d->n_monitors, monitor);
	if (r >= 0)
		r = dicts(s, "outputs", d, d->n_outputs, output);
	if (r >= 0)
		r = subscriptions(s, d);
	for (size_t i = 0; r >= 0 && i < d->n_outputs; i++)
		if (d->outputs[i]->ops->status)
			r = d->outputs[i]->ops->status(d->outputs[i], s);
	return r < 0 ? r : s->ops->end_dict(s);
}
