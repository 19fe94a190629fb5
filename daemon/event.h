/* SPDX-License-Identifier: GPL-2.0-only */
/* An event as the daemon passes it to its outputs, and its JSON form (the
 * format of docs/events.md, shared by stdout, D-Bus and the journal). */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "process.h"

enum event_type {
	EVENT_PROCESS_EXEC,
	EVENT_PROCESS_CLONE,
	EVENT_PROCESS_EXIT,
	EVENT_IOURING,
	_EVENT_TYPE_MAX,
};

/* What a consumer subscribes to; one bit each. */
enum event_category {
	CATEGORY_PROCESS = 1 << 0, /* ProcessExec, ProcessClone, ProcessExit */
	CATEGORY_IOURING = 1 << 1, /* IOUringEvent */
};

struct event {
	enum event_type type;
	uint64_t time_ns;        /* CLOCK_BOOTTIME */
	struct process *process; /* never NULL */
	struct process *parent;  /* NULL: "parent": null */
	struct {
		const char *opcode;   /* "IORING_OP_OPENAT" */
		json_object *op_info; /* borrowed; NULL: the opcode has none */
	} iouring;                    /* EVENT_IOURING */
};

const char *event_type_to_string(enum event_type type);
enum event_category event_type_category(enum event_type type);

/* A new JSON object: "type" first, then process, parent, the type's own
 * fields (IOUringEvent: opcode, op_info), timestamp. */
json_object *event_to_json(const struct event *ev, int64_t boot_to_real_ns);

/* Compact text of @obj as events are printed: no escaped '/'. The string
 * belongs to @obj. */
const char *event_json_string(json_object *obj, size_t *len);
