// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bus-append.h"
#include "bus-status.h"
#include "status.h"

/* The status into a message: each field an entry of the dictionary that
 * holds it, a variant's value in an a{sv}. */
struct bus_status_sink {
	struct status_sink sink;
	sd_bus_message *m;
	unsigned depth;
	struct {
		const char *signature; /* of the container, as the walk names it */
		unsigned entry_levels; /* entry (and variant) around it, closed after it */
	} open[STATUS_MAX_DEPTH];
};

#define BUS_SINK(s) ((struct bus_status_sink *)((char *)(s)-offsetof(struct bus_status_sink, sink)))

/* In a dictionary, opens the entry of @key for a value of @signature: "{sv}"
 * with the variant, or "{sX}" of the dictionary's value type X. Elsewhere
 * (the outermost dictionary, an array, a tuple) nothing. *@levels: the
 * containers opened. */
static int open_entry(struct bus_status_sink *b, const char *key, const char *signature, unsigned *levels)
{
	const char *parent = b->depth > 0 ? b->open[b->depth - 1].signature : NULL;
	char entry[32];
	int r;

	*levels = 0;
	if (!parent || strncmp(parent, "a{", 2) != 0)
		return 0;
	if (strcmp(parent, "a{sv}") == 0) {
		*levels = 2;
		return bus_open_entry(b->m, key, signature);
	}
	*levels = 1;
	snprintf(entry, sizeof(entry), "%.*s", (int)strlen(parent) - 3, parent + 2);
	r = sd_bus_message_open_container(b->m, 'e', entry);
	return r < 0 ? r : sd_bus_message_append_basic(b->m, 's', key);
}

static int close_levels(struct bus_status_sink *b, unsigned levels)
{
	int r = 0;

	while (r >= 0 && levels-- > 0)
		r = sd_bus_message_close_container(b->m);
	return r;
}

static int begin(struct status_sink *s, const char *key, const char *signature)
{
	struct bus_status_sink *b = BUS_SINK(s);
	bool tuple = signature[0] == '(';
	char contents[32];
	unsigned levels;
	int r;

	if (b->depth >= STATUS_MAX_DEPTH)
		return -E2BIG;
	r = open_entry(b, key, signature, &levels);
	/* "a{sv}" holds "{sv}", "(sss)" holds "sss" */
	snprintf(contents, sizeof(contents), "%.*s", (int)strlen(signature) - (tuple ? 2 : 1), signature + 1);
	if (r >= 0)
		r = sd_bus_message_open_container(b->m, tuple ? 'r' : 'a', contents);
	if (r < 0)
		return r;
	b->open[b->depth].signature = signature;
	b->open[b->depth++].entry_levels = levels;
	return 0;
}

static int end(struct status_sink *s)
{
	struct bus_status_sink *b = BUS_SINK(s);

	b->depth--;
	return close_levels(b, 1 + b->open[b->depth].entry_levels);
}

static int basic(struct status_sink *s, const char *key, char type, const void *value)
{
	struct bus_status_sink *b = BUS_SINK(s);
	const char signature[] = { type, '\0' };
	unsigned levels;
	int r = open_entry(b, key, signature, &levels);

	if (r >= 0)
		r = sd_bus_message_append_basic(b->m, type, value);
	return r < 0 ? r : close_levels(b, levels);
}

static int string(struct status_sink *s, const char *key, const char *value)
{
	return basic(s, key, 's', value);
}

static int object_path(struct status_sink *s, const char *key, const char *value)
{
	return basic(s, key, 'o', value);
}

static int u32(struct status_sink *s, const char *key, uint32_t value)
{
	return basic(s, key, 'u', &value);
}

static int u64(struct status_sink *s, const char *key, uint64_t value)
{
	return basic(s, key, 't', &value);
}

static int boolean(struct status_sink *s, const char *key, bool value)
{
	int b = value;

	return basic(s, key, 'b', &b);
}

static const struct status_sink_ops bus_sink_ops = {
	.begin_dict = begin,
	.end_dict = end,
	.begin_array = begin,
	.end_array = end,
	.begin_tuple = begin,
	.end_tuple = end,
	.string = string,
	.object_path = object_path,
	.u32 = u32,
	.u64 = u64,
	.boolean = boolean,
};

int status_append(sd_bus_message *m, struct daemon *d, unsigned authorizations_pending)
{
	struct bus_status_sink b = { .sink.ops = &bus_sink_ops, .m = m };

	return daemon_status(d, authorizations_pending, &b.sink);
}
