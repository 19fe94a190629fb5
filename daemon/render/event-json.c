// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "../clock.h"
#include "event-json.h"

void event_render_process(struct json_writer *w, const struct process *p, const struct bombus_task *task)
{
	if (!task || bombus_task_same_state(&p->task, task)) {
		json_raw(w, p->json, p->json_len);
		return;
	}
	json_raw(w, p->json, p->json_head_len);
	process_json_task(w, task);
	json_raw(w, p->image->json, p->image->json_len);
	process_json_context(w, task);
	json_literal(w, "}");
}

void event_render_parent(struct json_writer *w, const struct process *parent, const struct bombus_task *child)
{
	struct bombus_task known;

	/* A parent seeded from /proc lacks its exec count: the child's record
	 * has it (and its exact start), so that its exec_id is the child's
	 * parent_exec_id. */
	if (!child || (parent->task.flags & BOMBUS_TASK_EXEC_SEQ) || !(child->flags & BOMBUS_TASK_PARENT_EXEC_SEQ) ||
	    child->ppid != parent->task.pid) {
		event_render_process(w, parent, NULL);
		return;
	}
	known = parent->task;
	known.start_ns = child->parent_start_ns;
	known.exec_seq = child->parent_exec_seq;
	known.flags |= BOMBUS_TASK_EXEC_SEQ;
	event_render_process(w, parent, &known);
}

bool event_render(struct json_writer *w, const struct event *ev, int64_t offset)
{
	const char *type = event_type_to_string(ev->type);
	char time[ISO8601_MS_LEN];

	json_writer_reset(w);
	/* Type names and keys are ASCII constants: no escaping needed. */
	json_literal(w, "{\"type\":\"");
	json_text(w, type);
	json_literal(w, "\",\"process\":");
	event_render_process(w, ev->process, ev->task);
	json_literal(w, ",\"parent\":");
	if (ev->parent)
		event_render_parent(w, ev->parent, ev->task);
	else
		json_literal(w, "null");
	if (ev->render_fields)
		ev->render_fields(w, ev);
	json_literal(w, ",\"timestamp\":\"");
	json_raw(w, format_iso8601_ms(boot_to_realtime(ev->time_ns, offset), time), ISO8601_MS_LEN - 1);
	json_literal(w, "\"}");
	return !w->failed;
}

struct event_json *rendered_event_share(struct rendered_event *r)
{
	if (!r->shared) {
		r->shared = malloc(sizeof(*r->shared) + r->len + 1);
		if (!r->shared)
			return NULL;
		r->shared->refs = 1; /* the rendered event's own, dropped after dispatch */
		r->shared->type = r->type;
		r->shared->len = r->len;
		memcpy(r->shared->json, r->json, r->len);
		r->shared->json[r->len] = '\0';
	}
	return event_json_ref(r->shared);
}

struct event_json *event_json_ref(struct event_json *j)
{
	j->refs++;
	return j;
}

void event_json_unref(struct event_json *j)
{
	if (j && --j->refs == 0)
		free(j);
}
