// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <time.h>

#include "bus-append.h"
#include "category.h"
#include "config.h"
#include "daemon.h"
#include "loop-stats.h"
#include "ring/monitor.h"
#include "status.h"

/* A monitor as status shows it. */
struct monitor_view {
	const char *name;
	const struct hook *hooks;
	size_t n_hooks;
	uint64_t lost;
};

static size_t daemon_monitors(struct daemon *d, struct monitor_view *views, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_monitors && n < max; i++, n++)
		views[n] = (struct monitor_view){ .name = d->monitors[i]->name,
						  .hooks = d->monitors[i]->hooks,
						  .n_hooks = d->monitors[i]->n_hooks,
						  .lost = monitor_counter(d->monitors[i], BOMBUS_COUNTER_RINGBUF_FULL) };
	return n;
}

/* "hooks": a(sss) of hook, attach method ("disabled" when the configuration
 * left it out, "unavailable" when the kernel could not run it) and the target
 * it attached to. */
static int append_monitor(sd_bus_message *m, const void *items, size_t index)
{
	const struct monitor_view *v = (const struct monitor_view *)items + index;
	int r = sd_bus_message_open_container(m, 'a', "{sv}");

	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}{sv}", "name", "s", v->name, "events_lost_kernel", "t",
					  v->lost);
	if (r >= 0)
		r = bus_open_entry(m, "hooks", "a(sss)");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sss)");
	for (size_t i = 0; r >= 0 && i < v->n_hooks; i++) {
		const struct hook_method *chosen = v->hooks[i].chosen;
		const char *method = chosen               ? attach_method_to_string(chosen->method)
				     : v->hooks[i].disabled ? "disabled"
							    : "unavailable";

		r = sd_bus_message_append(m, "(sss)", v->hooks[i].name, method, chosen ? chosen->target : "");
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = bus_close_entry(m);
	/* "skipped_targets": as of "HOOK: METHOD/TARGET" its kernel lacks */
	if (r >= 0)
		r = bus_open_entry(m, "skipped_targets", "as");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "s");
	for (size_t i = 0; r >= 0 && i < v->n_hooks; i++)
		for (size_t t = 0; r >= 0 && t < v->hooks[i].n_skipped; t++) {
			char text[256];

			snprintf(text, sizeof(text), "%s: %s/%s", v->hooks[i].name,
				 attach_method_to_string(v->hooks[i].chosen->method), v->hooks[i].skipped_targets[t]);
			r = sd_bus_message_append(m, "s", text);
		}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = bus_close_entry(m);
	return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_output(sd_bus_message *m, const void *items, size_t i)
{
	const struct output *o = ((struct output *const *)items)[i];
	int r = sd_bus_message_open_container(m, 'a', "{sv}");

	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}{sv}", "name", "s", o->ops->name, "dropped", "t",
					  o->dropped);
	if (r >= 0)
		r = bus_append_categories(m, "categories", o->categories);
	return r < 0 ? r : sd_bus_message_close_container(m);
}

/* @key => "aa{sv}": one dictionary per item, appended by @fn. */
static int append_dicts(sd_bus_message *m, const char *key, const void *items, size_t n,
			int (*fn)(sd_bus_message *m, const void *items, size_t i))
{
	int r = bus_open_entry(m, key, "aa{sv}");

	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "a{sv}");
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = fn(m, items, i);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r < 0 ? r : bus_close_entry(m);
}

/* "counters": a{st} of every loss and gap counter, as the counters line. */
static int append_loss_counters(sd_bus_message *m, struct daemon *d)
{
	struct named_counter counters[DAEMON_LOSS_COUNTERS];
	size_t n = daemon_loss_counters(d, counters);
	int r = bus_open_entry(m, "counters", "a{st}");

	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{st}");
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = sd_bus_message_append(m, "{st}", counters[i].name, counters[i].value);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r < 0 ? r : bus_close_entry(m);
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
static int append_hook_stats(sd_bus_message *m, struct daemon *d)
{
	int r = sd_bus_message_append(m, "{sv}", "bpf_stats_enabled", "b", bpf_stats_enabled());

	if (r >= 0)
		r = bus_open_entry(m, "hook_stats", "a(sstt)");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sstt)");
	for (size_t i = 0; r >= 0 && i < d->n_monitors; i++) {
		const struct monitor *mon = d->monitors[i];

		for (size_t h = 0; r >= 0 && h < mon->n_hooks; h++) {
			struct hook_stats stats;

			if (monitor_hook_stats(mon, &mon->hooks[h], &stats) < 0)
				continue; /* not attached, or unreadable: left out */
			r = sd_bus_message_append(m, "(sstt)", mon->name, mon->hooks[h].name,
						  stats.run_time_ns, stats.run_count);
		}
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r < 0 ? r : bus_close_entry(m);
}

int status_append(sd_bus_message *m, struct daemon *d, const struct subscriptions *subs,
		  unsigned authorizations_pending, uint64_t started_usec)
{
	struct monitor_view monitors[4];
	size_t n_monitors = daemon_monitors(d, monitors, ELEMENTSOF(monitors));
	struct process_cache_stats cache = process_cache_stats(d->processes);
	uint64_t lost = 0, dropped = d->counters.malformed + d->counters.no_memory;
	struct timespec now;
	struct utsname uts;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (uname(&uts) < 0)
		return -errno;
	for (size_t i = 0; i < n_monitors; i++)
		lost += monitors[i].lost;
	for (size_t i = 0; i < d->n_outputs; i++)
		dropped += d->outputs[i]->dropped;

	r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0)
		r = sd_bus_message_append(
			m, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}", "version", "s", BOMBUS_VERSION,
			"kernel_release", "s", uts.release, "uptime_usec", "t",
			(uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u - started_usec,
			"events_emitted", "t", d->counters.emitted, "events_lost_kernel", "t", lost,
			"events_dropped", "t", dropped, "subscribers", "u", subscriptions_count(subs),
			"process_cache_entries", "t", (uint64_t)cache.entries);
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}{sv}{sv}", "longest_loop_iteration_usec", "t",
					  loop_stats_longest_usec(), "longest_loop_iteration_cpu_usec", "t",
					  loop_stats_longest_cpu_usec(), "authorizations_pending", "u",
					  authorizations_pending);
	if (r >= 0)
		r = append_loss_counters(m, d);
	if (r >= 0)
		r = append_hook_stats(m, d);
	if (r >= 0)
		r = bus_append_categories(m, "wanted_categories", daemon_wanted_categories(d));
	if (r >= 0)
		r = append_dicts(m, "monitors", monitors, n_monitors, append_monitor);
	if (r >= 0)
		r = append_dicts(m, "outputs", d->outputs, d->n_outputs, append_output);
	if (r >= 0)
		r = bus_open_entry(m, "subscriptions", "aa{sv}");
	if (r >= 0)
		r = subscriptions_append_status(subs, m);
	if (r >= 0)
		r = bus_close_entry(m);
	return r < 0 ? r : sd_bus_message_close_container(m);
}
