/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An event as a monitor hands it to the daemon: which process (its current
 * snapshot), which task acted and as whom at that moment, the parent, and
 * the members of its type. The monitor holds references on the snapshots
 * for as long as the event is handled; outputs get it together with its
 * rendering (render/event-json.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "../bpf/bombus.h"
#include "process/process.h"

struct json_writer;

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
	/* The task that acted and its credentials when it happened (before
	 * the change, for a ProcessEvent that changes them): the process
	 * object shows these in place of the snapshot's. */
	const struct bombus_task *task;
	/* Writes the type's own members (",\"process_event\":{...}"), in
	 * order after "parent"; NULL: none. */
	void (*render_fields)(struct json_writer *w, const struct event *ev);
	const void *payload; /* for render_fields */
	int opcode;          /* IOUringEvent: IORING_OP_*, for filters; else -1 */
};

/* A set of io_uring opcodes (IORING_OP_* are a u8). */
struct opcode_set {
	uint64_t bits[4];
};

static inline bool opcode_set_has(const struct opcode_set *s, unsigned opcode)
{
	return s->bits[(opcode & 255) / 64] & (UINT64_C(1) << (opcode % 64));
}

const char *event_type_to_string(enum event_type type);
enum event_category event_type_category(enum event_type type);

/* Drops the event's references. */
void event_clear(struct event *ev);
