// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bus-dict.h"
#include "metrics.h"

/* Bounds of what one status holds; beyond them entries are left out (and
 * bombusd has far fewer: 3 monitors, 3 outputs, 11 counters). */
#define MAX_ITEMS 64

struct named {
	const char *name, *name2; /* monitor and hook for hook_stats */
	uint64_t value, value2;
};

/* Strings point into the reply, which outlives this. */
struct status {
	const char *version;
	uint64_t uptime_usec, emitted, cache_entries, longest_usec, longest_cpu_usec;
	uint32_t subscribers, authorizations_pending;
	int bpf_stats_enabled;
	struct named counters[MAX_ITEMS], monitors[MAX_ITEMS], outputs[MAX_ITEMS], hooks[MAX_ITEMS];
	size_t n_counters, n_monitors, n_outputs, n_hooks;
};

/* An a{sv} of a monitor or an output: its "name" and one counter, @key. */
static int read_named_dict(sd_bus_message *m, const char *key, struct named *ret)
{
	int r = sd_bus_message_enter_container(m, 'a', "{sv}");

	*ret = (struct named){ .name = "?" };
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *k;

		r = sd_bus_message_read(m, "s", &k);
		if (r >= 0 && strcmp(k, "name") == 0)
			r = sd_bus_message_read(m, "v", "s", &ret->name);
		else if (r >= 0 && strcmp(k, key) == 0)
			r = sd_bus_message_read(m, "v", "t", &ret->value);
		else if (r >= 0)
			r = sd_bus_message_skip(m, "v");
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* "monitors" or "outputs": aa{sv}, inside its variant. */
static int read_dicts(sd_bus_message *m, const char *key, struct named *items, size_t *n)
{
	int r = sd_bus_message_enter_container(m, 'a', "a{sv}");

	while (r >= 0 && (r = sd_bus_message_at_end(m, false)) == 0) {
		struct named item;

		r = read_named_dict(m, key, &item);
		if (r >= 0 && *n < MAX_ITEMS)
			items[(*n)++] = item;
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_counters(sd_bus_message *m, struct status *s)
{
	int r = sd_bus_message_enter_container(m, 'a', "{st}");
	const char *name;
	uint64_t value;

	while (r >= 0 && (r = sd_bus_message_read(m, "{st}", &name, &value)) > 0)
		if (s->n_counters < MAX_ITEMS)
			s->counters[s->n_counters++] = (struct named){ .name = name, .value = value };
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_hooks(sd_bus_message *m, struct status *s)
{
	int r = sd_bus_message_enter_container(m, 'a', "(sstt)");
	struct named h;

	while (r >= 0 && (r = sd_bus_message_read(m, "(sstt)", &h.name, &h.name2, &h.value, &h.value2)) > 0)
		if (s->n_hooks < MAX_ITEMS)
			s->hooks[s->n_hooks++] = h;
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* One entry of the status, inside its variant: 0 when not read here
 * (the caller skips it). */
static int read_entry(sd_bus_message *m, const char *key, void *state)
{
	static const struct {
		const char *key, *type;
		size_t offset;
	} scalars[] = {
		{ "version", "s", offsetof(struct status, version) },
		{ "uptime_usec", "t", offsetof(struct status, uptime_usec) },
		{ "events_emitted", "t", offsetof(struct status, emitted) },
		{ "process_cache_entries", "t", offsetof(struct status, cache_entries) },
		{ "longest_loop_iteration_usec", "t", offsetof(struct status, longest_usec) },
		{ "longest_loop_iteration_cpu_usec", "t", offsetof(struct status, longest_cpu_usec) },
		{ "subscribers", "u", offsetof(struct status, subscribers) },
		{ "authorizations_pending", "u", offsetof(struct status, authorizations_pending) },
		{ "bpf_stats_enabled", "b", offsetof(struct status, bpf_stats_enabled) },
	};
	struct status *s = state;
	int r;

	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		if (strcmp(key, scalars[i].key) == 0) {
			r = sd_bus_message_read(m, scalars[i].type, (char *)s + scalars[i].offset);
			return r < 0 ? r : 1;
		}
	if (strcmp(key, "counters") == 0)
		r = read_counters(m, s);
	else if (strcmp(key, "monitors") == 0)
		r = read_dicts(m, "events_lost_kernel", s->monitors, &s->n_monitors);
	else if (strcmp(key, "outputs") == 0)
		r = read_dicts(m, "dropped", s->outputs, &s->n_outputs);
	else if (strcmp(key, "hook_stats") == 0)
		r = read_hooks(m, s);
	else
		return 0;
	return r < 0 ? r : 1;
}


/* A label value, escaped as the text format wants (\\, \", \n). */
static void label_value(FILE *out, const char *v)
{
	for (; *v; v++)
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
}

/* A sample with up to two labels (@label2 NULL: one, @label NULL: none). */
static void sample(FILE *out, const char *name, const char *label, const char *value, const char *label2,
		   const char *value2, const char *number)
{
	fputs(name, out);
	if (label) {
		fprintf(out, "{%s=\"", label);
		label_value(out, value);
		if (label2) {
			fprintf(out, "\",%s=\"", label2);
			label_value(out, value2);
		}
		fputs("\"}", out);
	}
	fprintf(out, " %s\n", number);
}

static const char *u64(char buf[static 24], uint64_t v)
{
	snprintf(buf, 24, "%" PRIu64, v);
	return buf;
}

static const char *seconds(char buf[static 24], uint64_t usec)
{
	snprintf(buf, 24, "%" PRIu64 ".%06" PRIu64, usec / 1000000, usec % 1000000);
	return buf;
}

/* Why an output drops: "full" its queue or the subscriber's backlog; the
 * journal's count also has the entries journald refused. */
static const char *drop_reason(const char *output)
{
	return strcmp(output, "journal") == 0 ? "full_or_refused" : "full";
}

int metrics_write(sd_bus_message *reply, FILE *out)
{
	struct status s = { .version = "?" };
	char n[24];
	int r;

	r = sd_bus_message_rewind(reply, true);
	if (r >= 0)
		r = dict_foreach(reply, read_entry, &s);
	if (r < 0)
		return r;

	family(out, "bombus_build_info", "gauge", "The version of bombusd (value 1).");
	sample(out, "bombus_build_info", "version", s.version, NULL, NULL, "1");
	family(out, "bombus_uptime_seconds", "gauge", "Time since bombusd started.");
	sample(out, "bombus_uptime_seconds", NULL, NULL, NULL, NULL, seconds(n, s.uptime_usec));
	family(out, "bombus_events_emitted", "counter", "Events handed to at least one output.");
	sample(out, "bombus_events_emitted_total", NULL, NULL, NULL, NULL, u64(n, s.emitted));
	family(out, "bombus_events_lost", "counter",
	       "Records the kernel could not queue because the monitor's ring buffer was full.");
	for (size_t i = 0; i < s.n_monitors; i++)
		sample(out, "bombus_events_lost_total", "monitor", s.monitors[i].name, NULL, NULL,
		       u64(n, s.monitors[i].value));
	family(out, "bombus_events_dropped", "counter",
	       "Events an output dropped: its queue (or a subscriber's backlog) was full, or journald "
	       "refused them.");
	for (size_t i = 0; i < s.n_outputs; i++)
		sample(out, "bombus_events_dropped_total", "output", s.outputs[i].name, "reason",
		       drop_reason(s.outputs[i].name), u64(n, s.outputs[i].value));
	family(out, "bombus_loss", "counter",
	       "Losses and gaps found in user space and counted by the BPF programs (docs/events.md).");
	for (size_t i = 0; i < s.n_counters; i++)
		sample(out, "bombus_loss_total", "counter", s.counters[i].name, NULL, NULL,
		       u64(n, s.counters[i].value));
	family(out, "bombus_subscribers", "gauge", "D-Bus subscriptions.");
	sample(out, "bombus_subscribers", NULL, NULL, NULL, NULL, u64(n, s.subscribers));
	family(out, "bombus_authorizations_pending", "gauge",
	       "Calls of unprivileged callers waiting for polkit.");
	sample(out, "bombus_authorizations_pending", NULL, NULL, NULL, NULL,
	       u64(n, s.authorizations_pending));
	family(out, "bombus_process_cache_entries", "gauge",
	       "Processes in the process cache, running and exited.");
	sample(out, "bombus_process_cache_entries", NULL, NULL, NULL, NULL, u64(n, s.cache_entries));
	family(out, "bombus_longest_loop_iteration_seconds", "gauge",
	       "The longest iteration of the main loop since the start, wall time.");
	sample(out, "bombus_longest_loop_iteration_seconds", NULL, NULL, NULL, NULL,
	       seconds(n, s.longest_usec));
	family(out, "bombus_longest_loop_iteration_cpu_seconds", "gauge",
	       "The longest iteration of the main loop since the start, CPU time.");
	sample(out, "bombus_longest_loop_iteration_cpu_seconds", NULL, NULL, NULL, NULL,
	       seconds(n, s.longest_cpu_usec));
	family(out, "bombus_bpf_stats_enabled", "gauge",
	       "Whether the kernel measures BPF programs (sysctl kernel.bpf_stats_enabled).");
	sample(out, "bombus_bpf_stats_enabled", NULL, NULL, NULL, NULL, s.bpf_stats_enabled ? "1" : "0");
	/* Only while the kernel measures: otherwise they stand still, which
	 * would read as hooks that no longer run. */
	if (s.bpf_stats_enabled) {
		family(out, "bombus_hook_run_seconds", "counter",
		       "Time the BPF programs of a hook ran (while kernel.bpf_stats_enabled was on).");
		for (size_t i = 0; i < s.n_hooks; i++) {
			char v[32];

			snprintf(v, sizeof(v), "%" PRIu64 ".%09" PRIu64, s.hooks[i].value / 1000000000,
				 s.hooks[i].value % 1000000000);
			sample(out, "bombus_hook_run_seconds_total", "monitor", s.hooks[i].name, "hook",
			       s.hooks[i].name2, v);
		}
		family(out, "bombus_hook_runs", "counter",
		       "Runs of the BPF programs of a hook (while kernel.bpf_stats_enabled was on).");
		for (size_t i = 0; i < s.n_hooks; i++)
			sample(out, "bombus_hook_runs_total", "monitor", s.hooks[i].name, "hook",
			       s.hooks[i].name2, u64(n, s.hooks[i].value2));
	}
	fputs("# EOF\n", out);
	return 0;
}
