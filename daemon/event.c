// SPDX-License-Identifier: GPL-2.0-only
#include "clock.h"
#include "event.h"

static const char *const type_names[_EVENT_TYPE_MAX] = {
	[EVENT_PROCESS_EXEC] = "ProcessExec",
	[EVENT_PROCESS_CLONE] = "ProcessClone",
	[EVENT_PROCESS_EXIT] = "ProcessExit",
	[EVENT_IOURING] = "IOUringEvent",
};

const char *event_type_to_string(enum event_type type)
{
	return type < _EVENT_TYPE_MAX ? type_names[type] : "Unknown";
}

enum event_category event_type_category(enum event_type type)
{
	switch (type) {
	case EVENT_IOURING:
		return CATEGORY_IOURING;
	case EVENT_PROCESS_EXEC:
	case EVENT_PROCESS_CLONE:
	case EVENT_PROCESS_EXIT:
	default:
		return CATEGORY_PROCESS;
	}
}

/* Adds a borrowed object by taking a reference of our own. */
static int add_ref(json_object *obj, const char *key, json_object *value)
{
	if (!value)
		return -1;
	json_object_get(value);
	if (json_object_object_add(obj, key, value) < 0) {
		json_object_put(value);
		return -1;
	}
	return 0;
}

static int add_new(json_object *obj, const char *key, json_object *value)
{
	if (!value || json_object_object_add(obj, key, value) < 0) {
		json_object_put(value);
		return -1;
	}
	return 0;
}

json_object *event_to_json(const struct event *ev, int64_t offset)
{
	json_object *o = json_object_new_object();
	char time[ISO8601_MS_LEN];
	int r = 0;

	if (!o)
		return NULL;
	r |= add_new(o, "type", json_object_new_string(event_type_to_string(ev->type)));
	r |= add_ref(o, "process", process_json(ev->process, offset));
	if (ev->parent)
		r |= add_ref(o, "parent", process_json(ev->parent, offset));
	else
		r |= json_object_object_add(o, "parent", NULL) < 0 ? -1 : 0;
	if (ev->type == EVENT_IOURING) {
		r |= add_new(o, "opcode", json_object_new_string(ev->iouring.opcode));
		if (ev->iouring.op_info)
			r |= add_ref(o, "op_info", ev->iouring.op_info);
	}
	r |= add_new(o, "timestamp",
		     json_object_new_string(format_iso8601_ms((int64_t)ev->time_ns + offset, time)));
	if (r) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

const char *event_json_string(json_object *obj, size_t *len)
{
	return json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
						 len);
}
