/* SPDX-License-Identifier: GPL-2.0-only */
/* A subscriber's bounded backlog: events waiting to be sent (their
 * renderings, shared with the other subscribers and outputs), and markers
 * where events were lost. A subscriber that does not read fills its backlog
 * and then loses events, counted; it is told how many at the place in its
 * stream where they went missing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "render/event-json.h"

/* An event, or (event NULL) the place where @dropped events were lost. */
struct backlog_entry {
	struct backlog_entry *next;
	struct event_json *event;
	uint64_t dropped;
	size_t size; /* counted against the bound */
};

struct backlog {
	struct backlog_entry *head, *tail;
	size_t bytes;  /* of the entries, against the bound */
	size_t events; /* entries that are events */
	uint64_t dropped;
};

/* Appends @rendered, or, when it would take the backlog beyond @max_bytes
 * or memory is short, counts it lost: -ENOBUFS. Each backlog's bound counts
 * the whole event, although the bytes are shared: what one subscriber
 * holds never depends on the others. */
int backlog_push(struct backlog *b, struct rendered_event *rendered, size_t max_bytes);
/* Counts an event lost (one that could not be sent) and marks where. */
void backlog_drop(struct backlog *b, uint64_t n);
/* Frees the head entry. */
void backlog_pop(struct backlog *b);
void backlog_clear(struct backlog *b);
/* Events at the head before the next marker, at most @max; *@gap_follows
 * says whether a marker ends them. */
size_t backlog_events_ready(const struct backlog *b, size_t max, bool *gap_follows);
