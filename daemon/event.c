// SPDX-License-Identifier: GPL-2.0-only
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "event.h"
#include "json-fields.h"

static const char *const type_names[_EVENT_TYPE_MAX] = {
	[EVENT_PROCESS_EXEC] = "ProcessExec",
	[EVENT_PROCESS_CLONE] = "ProcessClone",
	[EVENT_PROCESS_EXIT] = "ProcessExit",
	[EVENT_PROCESS_EVENT] = "ProcessEvent",
	[EVENT_IOURING] = "IOUringEvent",
};

const char *event_type_to_string(enum event_type type)
{
	return type < _EVENT_TYPE_MAX ? type_names[type] : "Unknown";
}

enum event_category event_type_category(enum event_type type)
{
	switch (type) {
	case EVENT_PROCESS_EXEC:
	case EVENT_PROCESS_CLONE:
	case EVENT_PROCESS_EXIT:
	default:
		return CATEGORY_PROCESS;
	case EVENT_PROCESS_EVENT:
		return CATEGORY_PRIVILEGE;
	case EVENT_IOURING:
		return CATEGORY_IO_URING;
	}
}

struct text {
	char *s;
	size_t len, size;
	bool failed;
};

static void append(struct text *t, const char *s, size_t n)
{
	if (t->failed || !s) {
		t->failed = true;
		return;
	}
	if (t->len + n + 1 > t->size) {
		size_t size = (t->len + n + 1) * 2;
		char *grown = realloc(t->s, size);

		if (!grown) {
			t->failed = true;
			return;
		}
		t->s = grown;
		t->size = size;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void append_str(struct text *t, const char *s)
{
	append(t, s, s ? strlen(s) : 0);
}

static void append_process(struct text *t, struct process *p, int64_t offset)
{
	size_t len = 0;
	const char *json = process_json(p, offset, &len);

	append(t, json, len);
}

char *event_to_json(const struct event *ev, int64_t offset, size_t *len)
{
	struct text t = { 0 };
	char time[ISO8601_MS_LEN];

	/* Every key and fixed value here is plain ASCII needing no escaping;
	 * the process objects are serialized by json-c. */
	append_str(&t, "{\"type\":\"");
	append_str(&t, event_type_to_string(ev->type));
	append_str(&t, "\",\"process\":");
	append_process(&t, ev->process, offset);
	append_str(&t, ",\"parent\":");
	if (ev->parent)
		append_process(&t, ev->parent, offset);
	else
		append_str(&t, "null");
	if (ev->fields) {
		json_object_object_foreach(ev->fields, key, value) {
			size_t n = 0;
			const char *text = value ? json_text(value, &n) : "null";

			append_str(&t, ",\"");
			append_str(&t, key); /* keys are our own constants */
			append_str(&t, "\":");
			append(&t, text, value ? n : 4);
		}
	}
	append_str(&t, ",\"timestamp\":\"");
	append_str(&t, format_iso8601_ms((int64_t)ev->time_ns + offset, time));
	append_str(&t, "\"}");
	if (t.failed) {
		free(t.s);
		return NULL;
	}
	*len = t.len;
	return t.s;
}
