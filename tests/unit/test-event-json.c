// SPDX-License-Identifier: GPL-2.0-only
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "render/event-json.h"
#include "render/flags.h"
#include "unit.h"

/* 2025-12-11T11:45:47.773Z = boot 1000 s + this offset */
#define OFFSET (1765453547773000000LL - 1000000000000LL)

static struct process *snapshot(uint32_t pid, const char *path, const char *file, const char *args,
				const char *ima_hash)
{
	struct bombus_task task = { .pid = pid, .tid = pid, .ppid = 1, .start_ns = 1000000000000ull };
	struct image_fields fields = { .filename = file, .binary_path = path, .args = args, .ima_hash = ima_hash };
	struct exec_image *image = exec_image_new(&fields);
	struct process *p;

	task.creds = (struct bombus_creds){ .uid = 1000, .euid = 1000, .gid = 1000, .egid = 1000, .auid = UINT32_MAX };
	CHECK(image != NULL);
	p = process_new(&task, false, false, image, OFFSET);
	exec_image_unref(image);
	CHECK(p != NULL);
	return p;
}

/* @ev rendered: a new string */
static char *render(const struct event *ev)
{
	struct json_writer w;
	char *s;

	json_writer_init(&w, 1 << 20);
	CHECK(event_render(&w, ev, OFFSET));
	s = strndup(w.buf, w.len);
	CHECK(strlen(s) == w.len);
	json_writer_free(&w);
	return s;
}

static void exec_event_shape(void)
{
	struct process *child, *parent;
	struct event ev = { .type = EVENT_PROCESS_EXEC, .time_ns = 1000000000000ull };
	struct bombus_task task;
	char *s;

	caps_set_last_cap(40);
	child = snapshot(6700, "/usr/bin/dash", "dash", "-c byobu-status tmux_left", NULL);
	parent = snapshot(72741, "/usr/bin/tmux", "tmux", "", NULL);
	task = child->task;
	task.creds.cap_permitted = (1ull << 13) | (1ull << 21);
	ev.process = child;
	ev.parent = parent;
	ev.task = &task;
	s = render(&ev);
	/* "type" first, slashes not escaped, exact field formats */
	CHECK(strncmp(s, "{\"type\":\"ProcessExec\",\"process\":{", 33) == 0);
	CHECK(strstr(s, "\"binary_path\":\"/usr/bin/dash\"") != NULL);
	CHECK(strstr(s, "\\/") == NULL);
	CHECK(strstr(s, "\"start_time\":\"2025-12-11T11:45:47.773Z\",\"cloned\":false,\"pid\":6700,\"tid\":6700,"
			"\"ppid\":1,\"uid\":1000") != NULL);
	CHECK(strstr(s, "\"timestamp\":\"2025-12-11T11:45:47.773Z\"}") != NULL);
	CHECK(strstr(s, "\"auid\":4294967295") != NULL);
	CHECK(strstr(s, "\"cap_permitted\":\"CAP_NET_RAW | CAP_SYS_ADMIN\"") != NULL);
	CHECK(strstr(s, "\"cap_effective\":\"\"") != NULL);
	CHECK(strstr(s, "\"parent\":{\"start_time\"") != NULL);
	CHECK(strstr(s, "\"args\":\"-c byobu-status tmux_left\"}") != NULL);
	CHECK(strstr(s, "binary_ima_hash") == NULL); /* absent without a hash, never empty */
	CHECK(strstr(s, "incomplete") == NULL);
	json_object *parsed = json_tokener_parse(s);
	CHECK(parsed != NULL);
	CHECK_STR(json_object_get_string(json_object_object_get(json_object_object_get(parsed, "parent"), "filename")),
		  "tmux");
	json_object_put(parsed);
	free(s);
	process_unref(child);
	process_unref(parent);
}

/* The process object shows the task of the event (who acted, as whom) in
 * place of what the snapshot's exec left; the rest is the snapshot's. */
static void event_task_in_place_of_snapshot(void)
{
	struct process *p = snapshot(500, "/usr/bin/agent", "agent", "", NULL);
	struct bombus_task now = p->task;
	struct event ev = { .type = EVENT_IOURING, .time_ns = 1, .process = p, .task = &now };
	char *s;

	now.tid = 501;
	now.creds.uid = now.creds.euid = 0;
	s = render(&ev);
	CHECK(strstr(s, "\"pid\":500,\"tid\":501,\"ppid\":1,\"uid\":0,\"euid\":0,\"gid\":1000") != NULL);
	CHECK(strstr(s, "\"binary_path\":\"/usr/bin/agent\"") != NULL);
	free(s);
	/* the snapshot's own text is unchanged */
	CHECK(strstr(p->json, "\"tid\":500,\"ppid\":1,\"uid\":1000") != NULL);
	process_unref(p);
}

static void ima_hash_after_binary_path_and_incomplete_last(void)
{
	struct image_fields fields = { .filename = "ls", .binary_path = "/usr/bin/ls", .args = "-lah",
				       .ima_hash = "sha256:0148f5ab",
				       .incomplete = IMAGE_INCOMPLETE_BINARY_PATH | IMAGE_INCOMPLETE_ARGS };
	struct exec_image *image = exec_image_new(&fields);

	CHECK(image && strstr(image->json, "\"binary_path\":\"/usr/bin/ls\",\"binary_ima_hash\":\"sha256:0148f5ab\","
					   "\"args\":\"-lah\",\"incomplete\":\"BINARY_PATH | ARGS\"") != NULL);
	exec_image_unref(image);
}

static void unknown_parent_is_null(void)
{
	struct process *p = snapshot(5, "/bin/x", "x", "", NULL);
	struct event ev = { .type = EVENT_PROCESS_EXIT, .time_ns = 1, .process = p };
	char *s = render(&ev);

	CHECK(strstr(s, "\"parent\":null") != NULL);
	CHECK(strstr(s, "\"type\":\"ProcessExit\"") != NULL);
	free(s);
	process_unref(p);
}

/* Control characters escaped (one line), invalid UTF-8 replaced, quotes and
 * backslashes escaped: hostile names never break the JSON. */
static void hostile_strings_stay_valid_json(void)
{
	struct process *p = snapshot(5, "/tmp/a\nb\"c\\d\xff", "a\nb", "\t\x01", NULL);
	struct event ev = { .type = EVENT_PROCESS_EXEC, .time_ns = 1, .process = p };
	char *s = render(&ev);
	json_object *parsed = json_tokener_parse(s);

	CHECK(strchr(s, '\n') == NULL);
	CHECK(strstr(s, "\"binary_path\":\"/tmp/a\\nb\\\"c\\\\d\xef\xbf\xbd\"") != NULL);
	CHECK(strstr(s, "\"args\":\"\\t\\u0001\"") != NULL);
	CHECK(parsed != NULL);
	json_object_put(parsed);
	free(s);
	process_unref(p);
}

static void render_setuid(struct json_writer *w, const struct event *ev)
{
	json_literal(w, ",\"process_event\":{\"type\":\"Setuid\",\"flags\":\"LSM_SETID_RES\"}");
}

static void type_specific_fields_before_timestamp(void)
{
	struct process *p = snapshot(5, "/bin/x", "x", "", NULL);
	struct event ev = { .type = EVENT_PROCESS_EVENT, .time_ns = 1, .process = p, .render_fields = render_setuid };
	char *s = render(&ev);

	CHECK(strstr(s, ",\"parent\":null,\"process_event\":{\"type\":\"Setuid\",\"flags\":\"LSM_SETID_RES\"},"
			"\"timestamp\":") != NULL);
	free(s);
	process_unref(p);
}

/* Outputs that keep an event share one copy of its bytes. */
static void rendering_shared_once(void)
{
	struct rendered_event r = { .json = "{}", .len = 2, .type = EVENT_PROCESS_EXEC };
	struct event_json *a = rendered_event_share(&r), *b = rendered_event_share(&r);

	CHECK(a == b && a->refs == 3);
	CHECK_STR(a->json, "{}");
	event_json_unref(r.shared);
	event_json_unref(a);
	event_json_unref(b);
}

UNIT_MAIN(T(exec_event_shape), T(event_task_in_place_of_snapshot), T(ima_hash_after_binary_path_and_incomplete_last),
	  T(unknown_parent_is_null), T(hostile_strings_stay_valid_json), T(type_specific_fields_before_timestamp),
	  T(rendering_shared_once))
