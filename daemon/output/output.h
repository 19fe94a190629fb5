/* SPDX-License-Identifier: GPL-2.0-only */
/* Where events go. Each output takes the event and its rendering and either
 * queues it within its own bound or drops and counts it: an output never
 * blocks the main loop and never holds back the others. One that keeps the
 * bytes past the call shares them (rendered_event_share()). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../event.h"
#include "../render/event-json.h"

struct output;
struct status_sink;

struct output_ops {
	const char *name;
	/* 0, or -ENOBUFS when the event was dropped (and counted) */
	int (*emit)(struct output *o, const struct event *ev, struct rendered_event *rendered);
	/* called after each batch of events */
	void (*flush)(struct output *o);
	/* At exit: delivers what is queued until @deadline_usec
	 * (CLOCK_MONOTONIC; 0: not at all) or a second stop signal, and counts
	 * the rest as dropped. */
	void (*finish)(struct output *o, uint64_t deadline_usec);
	void (*free)(struct output *o);
	/* Optional: its subscriptions, one dictionary ("a{sv}") each, for the
	 * status's "subscriptions"; entries of its own for the status. */
	int (*status_subscriptions)(struct output *o, struct status_sink *s);
	int (*status)(struct output *o, struct status_sink *s);
	/* Optional, for outputs whose subscriptions may choose by context:
	 * whether one of them watches the cgroup at @path (its container id
	 * @container_id, NULL: none). */
	bool (*watches_cgroup)(struct output *o, const char *path, const char *container_id);
};

struct output {
	const struct output_ops *ops;
	uint32_t categories; /* enum event_category bits it wants */
	/* With CATEGORY_IO_URING: the opcodes it wants (the others are not
	 * sent by the kernel while no output wants them). */
	struct opcode_set iouring_opcodes;
	/* Every event it wants is of a cgroup ops->watches_cgroup() names:
	 * the kernel need not make those of other cgroups. */
	bool by_context;
	uint64_t dropped;
};

/* Every opcode: what an output that does not choose wants. */
#define OPCODE_SET_ALL ((struct opcode_set){ { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX } })

struct daemon;

/* The embedded mode: one JSON object per line on @fd. At most @max_buffer
 * bytes wait for a slow reader, of which events of CATEGORIES_BULK fill at
 * most half; beyond that events are dropped and counted. When the reader
 * goes away (EPIPE) the daemon stops. */
int output_stdout_new(struct daemon *d, int fd, size_t max_buffer, struct output **ret);

/* Logs events of @categories to the journal (sd_journal_sendv, from a writer
 * thread). At most @max_queue bytes wait for journald; beyond that, and when
 * journald refuses an entry, events are dropped and counted. */
int output_journal_new(uint32_t categories, size_t max_queue, struct output **ret);
/* A new bound for what waits for journald (a reload): entries queued
 * beyond it stay and are written. */
void output_journal_set_max_queue(struct output *o, size_t max_queue);
