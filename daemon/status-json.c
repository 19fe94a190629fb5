// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>

#include "status-json.h"

#define JSON_SINK(s) ((struct status_json_sink *)((char *)(s)-offsetof(struct status_json_sink, sink)))

static int result(const struct status_json_sink *j)
{
	return j->w->failed ? -ENOMEM : 0;
}

/* The separator and the key (none in arrays) of the next member. */
static void member(struct status_json_sink *j, const char *key)
{
	if (j->depth > 0 && j->has_members[j->depth - 1])
		json_literal(j->w, ",");
	if (j->depth > 0)
		j->has_members[j->depth - 1] = true;
	if (key) {
		json_string(j->w, key);
		json_literal(j->w, ":");
	}
}

static int open_container(struct status_sink *s, const char *key, const char *bracket)
{
	struct status_json_sink *j = JSON_SINK(s);

	if (j->depth >= STATUS_MAX_DEPTH)
		return -E2BIG;
	member(j, key);
	json_text(j->w, bracket);
	j->has_members[j->depth++] = false;
	return result(j);
}

static int close_container(struct status_sink *s, const char *bracket)
{
	struct status_json_sink *j = JSON_SINK(s);

	j->depth--;
	json_text(j->w, bracket);
	return result(j);
}

static int begin_object(struct status_sink *s, const char *key, const char *signature)
{
	return open_container(s, key, "{");
}

static int end_object(struct status_sink *s)
{
	return close_container(s, "}");
}

static int begin_array(struct status_sink *s, const char *key, const char *signature)
{
	return open_container(s, key, "[");
}

static int end_array(struct status_sink *s)
{
	return close_container(s, "]");
}

static int string(struct status_sink *s, const char *key, const char *value)
{
	struct status_json_sink *j = JSON_SINK(s);

	member(j, key);
	json_string(j->w, value);
	return result(j);
}

static int u64(struct status_sink *s, const char *key, uint64_t value)
{
	struct status_json_sink *j = JSON_SINK(s);

	member(j, key);
	json_uint(j->w, value);
	return result(j);
}

static int u32(struct status_sink *s, const char *key, uint32_t value)
{
	return u64(s, key, value);
}

static int boolean(struct status_sink *s, const char *key, bool value)
{
	struct status_json_sink *j = JSON_SINK(s);

	member(j, key);
	json_boolean(j->w, value);
	return result(j);
}

static const struct status_sink_ops json_sink_ops = {
	.begin_dict = begin_object,
	.end_dict = end_object,
	.begin_array = begin_array,
	.end_array = end_array,
	.begin_tuple = begin_object,
	.end_tuple = end_object,
	.string = string,
	.object_path = string,
	.u32 = u32,
	.u64 = u64,
	.boolean = boolean,
};

void status_json_sink_init(struct status_json_sink *j, struct json_writer *w)
{
	*j = (struct status_json_sink){ .sink.ops = &json_sink_ops, .w = w };
}
