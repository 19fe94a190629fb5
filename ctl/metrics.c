// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "metrics.h"
#include "status-print.h"

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

/* A sample of each element of the array @key of @status: labelled @label
 * with its string @member (and with its drop reason for @drop_reasons), its
 * value its number @number. */
static void samples(FILE *out, json_object *status, const char *key, const char *name, const char *label,
		    const char *member, bool drop_reasons, const char *number)
{
	json_object *array = status_array(status, key);
	char n[24];

	for (size_t i = 0; array && i < json_object_array_length(array); i++) {
		json_object *e = json_object_array_get_idx(array, i);
		const char *value = status_string(e, member, "?");

		sample(out, name, label, value, drop_reasons ? "reason" : NULL, drop_reason(value),
		       u64(n, status_u64(e, number)));
	}
}

int metrics_write(json_object *status, FILE *out)
{
	json_object *counters, *hooks = status_array(status, "hook_stats");
	char n[24];

	family(out, "bombus_build_info", "gauge", "The version of bombusd (value 1).");
	sample(out, "bombus_build_info", "version", status_string(status, "version", "?"), NULL, NULL, "1");
	family(out, "bombus_uptime_seconds", "gauge", "Time since bombusd started.");
	sample(out, "bombus_uptime_seconds", NULL, NULL, NULL, NULL,
	       seconds(n, status_u64(status, "uptime_usec")));
	family(out, "bombus_events_emitted", "counter", "Events handed to at least one output.");
	sample(out, "bombus_events_emitted_total", NULL, NULL, NULL, NULL,
	       u64(n, status_u64(status, "events_emitted")));
	family(out, "bombus_events_lost", "counter",
	       "Records the kernel could not queue because the monitor's ring buffer was full.");
	samples(out, status, "monitors", "bombus_events_lost_total", "monitor", "name", false,
		"events_lost_kernel");
	family(out, "bombus_events_dropped", "counter",
	       "Events an output dropped: its queue (or a subscriber's backlog) was full, or journald "
	       "refused them.");
	samples(out, status, "outputs", "bombus_events_dropped_total", "output", "name", true, "dropped");
	family(out, "bombus_loss", "counter",
	       "Losses and gaps found in user space and counted by the BPF programs (docs/events.md).");
	if (json_object_object_get_ex(status, "counters", &counters) &&
	    json_object_is_type(counters, json_type_object)) {
		json_object_object_foreach(counters, counter, value)
		{
			(void)value;
			sample(out, "bombus_loss_total", "counter", counter, NULL, NULL,
			       u64(n, status_u64(counters, counter)));
		}
	}
	family(out, "bombus_subscribers", "gauge", "D-Bus subscriptions.");
	sample(out, "bombus_subscribers", NULL, NULL, NULL, NULL, u64(n, status_u64(status, "subscribers")));
	family(out, "bombus_authorizations_pending", "gauge",
	       "Calls of unprivileged callers waiting for polkit.");
	sample(out, "bombus_authorizations_pending", NULL, NULL, NULL, NULL,
	       u64(n, status_u64(status, "authorizations_pending")));
	family(out, "bombus_process_cache_entries", "gauge",
	       "Processes in the process cache, running and exited.");
	sample(out, "bombus_process_cache_entries", NULL, NULL, NULL, NULL,
	       u64(n, status_u64(status, "process_cache_entries")));
	family(out, "bombus_longest_loop_iteration_seconds", "gauge",
	       "The longest iteration of the main loop since the start, wall time.");
	sample(out, "bombus_longest_loop_iteration_seconds", NULL, NULL, NULL, NULL,
	       seconds(n, status_u64(status, "longest_loop_iteration_usec")));
	family(out, "bombus_longest_loop_iteration_cpu_seconds", "gauge",
	       "The longest iteration of the main loop since the start, CPU time.");
	sample(out, "bombus_longest_loop_iteration_cpu_seconds", NULL, NULL, NULL, NULL,
	       seconds(n, status_u64(status, "longest_loop_iteration_cpu_usec")));
	family(out, "bombus_bpf_stats_enabled", "gauge",
	       "Whether the kernel measures BPF programs (sysctl kernel.bpf_stats_enabled).");
	sample(out, "bombus_bpf_stats_enabled", NULL, NULL, NULL, NULL,
	       status_u64(status, "bpf_stats_enabled") ? "1" : "0");
	/* Only while the kernel measures: otherwise they stand still, which
	 * would read as hooks that no longer run. */
	if (status_u64(status, "bpf_stats_enabled")) {
		family(out, "bombus_hook_run_seconds", "counter",
		       "Time the BPF programs of a hook ran (while kernel.bpf_stats_enabled was on).");
		for (size_t i = 0; hooks && i < json_object_array_length(hooks); i++) {
			json_object *h = json_object_array_get_idx(hooks, i);
			uint64_t ns = status_u64(h, "run_time_ns");
			char v[32];

			snprintf(v, sizeof(v), "%" PRIu64 ".%09" PRIu64, ns / 1000000000, ns % 1000000000);
			sample(out, "bombus_hook_run_seconds_total", "monitor",
			       status_string(h, "monitor", "?"), "hook", status_string(h, "hook", "?"), v);
		}
		family(out, "bombus_hook_runs", "counter",
		       "Runs of the BPF programs of a hook (while kernel.bpf_stats_enabled was on).");
		for (size_t i = 0; hooks && i < json_object_array_length(hooks); i++) {
			json_object *h = json_object_array_get_idx(hooks, i);

			sample(out, "bombus_hook_runs_total", "monitor", status_string(h, "monitor", "?"),
			       "hook", status_string(h, "hook", "?"), u64(n, status_u64(h, "run_count")));
		}
	}
	fputs("# EOF\n", out);
	return 0;
}
