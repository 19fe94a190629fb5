/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An event as one line of compact JSON (docs/events.md): "type" first, then
 * "process", "parent", the members of the type, "timestamp". Rendered once
 * per event into a reused buffer; every output gets the same bytes, and an
 * output that keeps them past the call shares one immutable copy.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "../event.h"
#include "json-writer.h"

/* Bytes an output keeps: immutable, reference-counted. */
struct event_json {
	unsigned refs;
	enum event_type type;
	size_t len;
	char json[]; /* NUL-terminated */
};

/* One event's rendering as outputs get it. */
struct rendered_event {
	const char *json; /* valid during the call */
	size_t len;
	struct event_json *shared; /* made by the first output that keeps it */
	enum event_type type;
};

/* Renders @ev into @w (reset first). Returns false when it could not be
 * rendered (allocation failure or bound: counted by the caller). */
bool event_render(struct json_writer *w, const struct event *ev, int64_t boot_to_real_ns);

/* Writes the process object of @p as @task shows it (NULL: as the snapshot
 * does); ptrace's "child" uses it too. */
void event_render_process(struct json_writer *w, const struct process *p, const struct bombus_task *task);
/* Writes @parent's process object for an event of @child's (NULL: none). */
void event_render_parent(struct json_writer *w, const struct process *parent, const struct bombus_task *child);

/* A reference to an immutable copy of the rendering, made on first use;
 * NULL on allocation failure. */
struct event_json *rendered_event_share(struct rendered_event *r);
struct event_json *event_json_ref(struct event_json *j);
void event_json_unref(struct event_json *j);
