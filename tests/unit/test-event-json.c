// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "flags.h"
#include "unit.h"

/* 2025-12-11T11:45:47.773Z = boot 1000 s + this offset */
#define OFFSET (1765453547773000000LL - 1000000000000LL)

static void fill(struct process *p, uint32_t pid, const char *path, const char *file, const char *args)
{
	*p = (struct process){ .pid = pid, .tid = pid, .ppid = 1, .start_ns = 1000000000000ull };
	p->creds = (struct bombus_creds){ .uid = 1000, .euid = 1000, .gid = 1000, .egid = 1000, .auid = UINT32_MAX };
	process_set_binary(p, strdup(path), strdup(file), strdup(args));
}

/* @p's event of @type, without parent or type-specific fields */
static char *render(enum event_type type, struct process *p)
{
	struct event ev = { .type = type, .time_ns = 1, .process = p };
	size_t len;

	return event_to_json(&ev, 0, &len);
}

static void exec_event_shape(void)
{
	struct process child, parent;
	struct event ev = { .type = EVENT_PROCESS_EXEC, .time_ns = 1000000000000ull };
	char *s;
	size_t len;

	caps_set_last_cap(40);
	fill(&child, 6700, "/usr/bin/dash", "dash", "-c byobu-status tmux_left");
	fill(&parent, 72741, "/usr/bin/tmux", "tmux", "");
	child.creds.cap_permitted = (1ull << 13) | (1ull << 21);
	ev.process = &child;
	ev.parent = &parent;
	s = event_to_json(&ev, OFFSET, &len);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(strlen(s), len);
	/* "type" first, slashes not escaped, exact field formats */
	CHECK(strncmp(s, "{\"type\":\"ProcessExec\",\"process\":{", 33) == 0);
	CHECK(strstr(s, "\"binary_path\":\"/usr/bin/dash\"") != NULL);
	CHECK(strstr(s, "\\/") == NULL);
	CHECK(strstr(s, "\"start_time\":\"2025-12-11T11:45:47.773Z\"") != NULL);
	CHECK(strstr(s, "\"timestamp\":\"2025-12-11T11:45:47.773Z\"}") != NULL);
	CHECK(strstr(s, "\"auid\":4294967295") != NULL);
	CHECK(strstr(s, "\"cap_permitted\":\"CAP_NET_RAW | CAP_SYS_ADMIN\"") != NULL);
	CHECK(strstr(s, "\"cap_effective\":\"\"") != NULL);
	CHECK(strstr(s, "\"cloned\":false") != NULL);
	CHECK(strstr(s, "\"parent\":{\"start_time\"") != NULL);
	CHECK(strstr(s, "\"args\":\"-c byobu-status tmux_left\"") != NULL);
	CHECK(strstr(s, "binary_ima_hash") == NULL); /* absent without a hash, never empty */
	/* valid JSON, and the parent's text is reused as is */
	json_object *parsed = json_tokener_parse(s);
	CHECK(parsed != NULL);
	CHECK_STR(json_object_get_string(json_object_object_get(json_object_object_get(parsed, "parent"), "filename")),
		  "tmux");
	json_object_put(parsed);
	free(s);
	process_clear_strings(&child);
	process_clear_strings(&parent);
}

static void ima_hash_after_binary_path(void)
{
	struct process p;
	char *s;

	fill(&p, 7259, "/usr/bin/ls", "ls", "-lah");
	p.ima_hash = strdup("sha256:0148f5ab");
	s = render(EVENT_PROCESS_EXEC, &p);
	CHECK(s && strstr(s, "\"binary_path\":\"/usr/bin/ls\",\"binary_ima_hash\":\"sha256:0148f5ab\",") != NULL);
	free(s);
	process_clear_strings(&p);
	CHECK(p.ima_hash == NULL);
}

static void unknown_parent_is_null(void)
{
	struct process p;
	char *s;

	fill(&p, 5, "/bin/x", "x", "");
	s = render(EVENT_PROCESS_EXIT, &p);
	CHECK(s && strstr(s, "\"parent\":null") != NULL);
	CHECK(s && strstr(s, "\"type\":\"ProcessExit\"") != NULL);
	free(s);
	process_clear_strings(&p);
}

static void cached_process_json_follows_changes(void)
{
	struct process p;
	struct event ev = { .type = EVENT_PROCESS_CLONE, .time_ns = 1 };
	size_t len;
	char *s;

	fill(&p, 5, "/bin/x", "x", "");
	ev.process = &p;
	free(event_to_json(&ev, 0, &len));
	p.cloned = true;
	process_changed(&p);
	s = event_to_json(&ev, 0, &len);
	CHECK(s && strstr(s, "\"cloned\":true") != NULL);
	free(s);
	/* the cached text follows the wall-clock offset once it moves by 1 ms */
	s = event_to_json(&ev, 1000000, &len);
	CHECK(s && strstr(s, "\"start_time\":\"1970-01-01T00:16:40.001Z\"") != NULL);
	free(s);
	/* control characters are escaped, JSON stays one line */
	process_set_binary(&p, strdup("/tmp/a\nb"), strdup("a\nb"), strdup("\t"));
	s = event_to_json(&ev, 0, &len);
	CHECK(s && strchr(s, '\n') == NULL);
	free(s);
	process_clear_strings(&p);
}

static void type_specific_fields_before_timestamp(void)
{
	struct process p;
	struct event ev = { .type = EVENT_PROCESS_EXEC, .time_ns = 1 };
	json_object *detail = json_object_new_object();
	size_t len;
	char *s;

	fill(&p, 5, "/bin/x", "x", "");
	json_object_object_add(detail, "type", json_object_new_string("Setuid"));
	json_object_object_add(detail, "flags", json_object_new_string("LSM_SETID_RES"));
	ev.fields = json_object_new_object();
	json_object_object_add(ev.fields, "process_event", detail);
	json_object_object_add(ev.fields, "opcode", json_object_new_string("IORING_OP_NOP"));
	ev.process = &p;
	s = event_to_json(&ev, 0, &len);
	CHECK(s && strstr(s, ",\"parent\":null,\"process_event\":{\"type\":\"Setuid\",\"flags\":\"LSM_SETID_RES\"},"
			     "\"opcode\":\"IORING_OP_NOP\",\"timestamp\":") != NULL);
	free(s);
	json_object_put(ev.fields);
	process_clear_strings(&p);
}

UNIT_MAIN(T(exec_event_shape), T(ima_hash_after_binary_path), T(type_specific_fields_before_timestamp), T(unknown_parent_is_null), T(cached_process_json_follows_changes))
