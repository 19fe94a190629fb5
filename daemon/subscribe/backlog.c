// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "subscribe/backlog.h"

static void append(struct backlog *b, struct backlog_entry *e)
{
	e->next = NULL;
	if (b->tail)
		b->tail->next = e;
	else
		b->head = e;
	b->tail = e;
	b->bytes += e->size;
	if (e->event)
		b->events++;
}

void backlog_drop(struct backlog *b, uint64_t n)
{
	struct backlog_entry *gap;

	b->dropped += n;
	/* Consecutive losses share a marker. */
	if (b->tail && !b->tail->event) {
		b->tail->dropped += n;
		return;
	}
	/* Markers go beyond the bound: at most one between two events. */
	gap = calloc(1, sizeof(*gap));
	if (!gap)
		return;
	gap->size = sizeof(*gap);
	gap->dropped = n;
	append(b, gap);
}

int backlog_push(struct backlog *b, struct rendered_event *rendered, size_t max_bytes)
{
	size_t size = sizeof(struct backlog_entry) + rendered->len + 1;
	struct backlog_entry *e;

	if (b->bytes + size > max_bytes) {
		backlog_drop(b, 1);
		return -ENOBUFS;
	}
	e = malloc(sizeof(*e));
	if (!e || !(e->event = rendered_event_share(rendered))) {
		free(e);
		backlog_drop(b, 1);
		return -ENOBUFS;
	}
	e->dropped = 0;
	e->size = size;
	append(b, e);
	return 0;
}

void backlog_pop(struct backlog *b)
{
	struct backlog_entry *e = b->head;

	b->head = e->next;
	if (!b->head)
		b->tail = NULL;
	b->bytes -= e->size;
	if (e->event)
		b->events--;
	event_json_unref(e->event);
	free(e);
}

void backlog_clear(struct backlog *b)
{
	while (b->head)
		backlog_pop(b);
}

size_t backlog_events_ready(const struct backlog *b, size_t max, bool *gap_follows)
{
	const struct backlog_entry *e = b->head;
	size_t n = 0;

	for (; e && e->event && n < max; e = e->next)
		n++;
	*gap_follows = e && !e->event;
	return n;
}
