// SPDX-License-Identifier: GPL-2.0-only
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "status-print.h"

const char *status_string(json_object *o, const char *key, const char *fallback)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : fallback;
}

uint64_t status_u64(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && (json_object_is_type(v, json_type_int) ||
							 json_object_is_type(v, json_type_boolean))
		       ? json_object_get_uint64(v)
		       : 0;
}

json_object *status_array(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array) ? v : NULL;
}

static void print_duration(uint64_t usec)
{
	uint64_t s = usec / 1000000;

	if (s >= 86400)
		printf("%" PRIu64 "d ", s / 86400);
	if (s >= 3600)
		printf("%" PRIu64 "h ", s / 3600 % 24);
	printf("%" PRIu64 "min %" PRIu64 "s", s / 60 % 60, s % 60);
}

/* The array of names @key as one line in @buf, separated by spaces: "-"
 * when empty, @absent when there is none. */
static const char *join_names(json_object *o, const char *key, const char *absent, char *buf, size_t size)
{
	json_object *names = status_array(o, key);
	size_t n = names ? json_object_array_length(names) : 0, len = 0;

	snprintf(buf, size, "%s", !names ? absent : n == 0 ? "-" : "");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s", i ? " " : "",
					json_object_get_string(json_object_array_get_idx(names, i)));
	return buf;
}

/* monitors: name, events_lost_kernel, hooks */
static void print_monitor(json_object *m)
{
	json_object *hooks = status_array(m, "hooks");

	printf("Monitor %s:\n", status_string(m, "name", "-"));
	for (size_t i = 0; hooks && i < json_object_array_length(hooks); i++) {
		json_object *h = json_object_array_get_idx(hooks, i);

		printf("  hook %-12s %-11s %s\n", status_string(h, "hook", ""),
		       status_string(h, "method", ""), status_string(h, "target", ""));
	}
	printf("  %" PRIu64 " records lost in the kernel\n", status_u64(m, "events_lost_kernel"));
}

/* outputs: name, categories, dropped */
static void print_output(json_object *o)
{
	char categories[256];

	printf("  %-8s categories: %-24s dropped: %" PRIu64 "\n", status_string(o, "name", "-"),
	       join_names(o, "categories", "", categories, sizeof(categories)), status_u64(o, "dropped"));
}

/* subscriptions: path (D-Bus's), client, categories, batch, delivered,
 * dropped, backlog_events */
static void print_subscription(json_object *s)
{
	char categories[256];

	printf("  %s  client %s  %s%s  delivered %" PRIu64 "  dropped %" PRIu64 "  backlog %" PRIu64 "\n",
	       status_string(s, "path", "-"), status_string(s, "client", "-"),
	       join_names(s, "categories", "", categories, sizeof(categories)),
	       status_u64(s, "batch") ? " (batch)" : "", status_u64(s, "delivered"), status_u64(s, "dropped"),
	       status_u64(s, "backlog_events"));
}

static void print_each(json_object *array, void (*print)(json_object *))
{
	for (size_t i = 0; i < json_object_array_length(array); i++)
		print(json_object_array_get_idx(array, i));
}

void status_print(json_object *status)
{
	char wanted[256];

	printf("bombusd %s on Linux %s, up ", status_string(status, "version", "?"),
	       status_string(status, "kernel_release", "?"));
	print_duration(status_u64(status, "uptime_usec"));
	printf("\nEvents: %" PRIu64 " emitted, %" PRIu64 " lost in the kernel, %" PRIu64
	       " dropped\nWanted categories: %s\nProcess cache: %" PRIu64 " entries\n",
	       status_u64(status, "events_emitted"), status_u64(status, "events_lost_kernel"),
	       status_u64(status, "events_dropped"),
	       join_names(status, "wanted_categories", "-", wanted, sizeof(wanted)),
	       status_u64(status, "process_cache_entries"));
	/* The sections in the order bombusd gave them. */
	json_object_object_foreach(status, key, value)
	{
		if (!json_object_is_type(value, json_type_array))
			continue;
		if (strcmp(key, "monitors") == 0)
			print_each(value, print_monitor);
		else if (strcmp(key, "outputs") == 0) {
			printf("Outputs:\n");
			print_each(value, print_output);
		} else if (strcmp(key, "subscriptions") == 0) {
			printf("Subscriptions: %" PRIu64 "\n", status_u64(status, "subscribers"));
			print_each(value, print_subscription);
		}
	}
}
