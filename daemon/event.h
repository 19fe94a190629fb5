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
	EVENT_PROCESS_EVENT, /* the privilege family: "process_event" says which */
	EVENT_IOURING,       /* IOUringEvent: "opcode", "op_info" */
	_EVENT_TYPE_MAX,
};

/* What a consumer subscribes to; one bit each, shared with the BPF side. */
enum event_category {
	CATEGORY_PROCESS = BOMBUS_CATEGORY_PROCESS,     /* ProcessExec, ProcessClone, ProcessExit */
	CATEGORY_PRIVILEGE = BOMBUS_CATEGORY_PRIVILEGE, /* ProcessEvent */
	CATEGORY_IO_URING = BOMBUS_CATEGORY_IO_URING,   /* IOUringEvent */
	CATEGORY_ALL = CATEGORY_PROCESS | CATEGORY_PRIVILEGE | CATEGORY_IO_URING,
};

/* Categories a program can make as many events of as it likes (an io_uring
 * NOP loop): they may fill at most half of an output's queue, the rest stays
 * for the others, which a flood must not crowd out. */
#define CATEGORIES_BULK CATEGORY_IO_URING

struct event {
	enum event_type type;
	uint64_t time_ns;        /* CLOCK_BOOTTIME */
	struct process *process; /* never NULL */
	struct process *parent;  /* NULL: "parent": null */
	/* Members of the event type's own (e.g. "process_event", or "opcode"
	 * and "op_info"), written in order after "parent"; may be NULL. */
	json_object *fields;
};

const char *event_type_to_string(enum event_type type);
enum event_category event_type_category(enum event_type type);

/* The event as one line of compact JSON: "type" first, then process, parent,
 * the members of @fields, timestamp. Composed from the cached text of its processes. Returns a new
 * string, or NULL on allocation failure. */
char *event_to_json(const struct event *ev, int64_t boot_to_real_ns, size_t *len);
