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

static void exec_event_shape(void)
{
	struct process child, parent;
	struct event ev = { .type = EVENT_PROCESS_EXEC, .time_ns = 1000000000000ull };
	json_object *obj;
	const char *s;
	size_t len;

	caps_set_last_cap(40);
	fill(&child, 6700, "/usr/bin/dash", "dash", "-c byobu-status tmux_left");
	fill(&parent, 72741, "/usr/bin/tmux", "tmux", "");
	child.creds.cap_permitted = (1ull << 13) | (1ull << 21);
	ev.process = &child;
	ev.parent = &parent;
	obj = event_to_json(&ev, OFFSET);
	s = event_json_string(obj, &len);
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
	json_object_put(obj);
	process_clear_strings(&child);
	process_clear_strings(&parent);
}

static void unknown_parent_is_null(void)
{
	struct process p;
	struct event ev = { .type = EVENT_PROCESS_EXIT, .time_ns = 1 };
	json_object *obj;

	fill(&p, 5, "/bin/x", "x", "");
	ev.process = &p;
	obj = event_to_json(&ev, 0);
	CHECK(strstr(event_json_string(obj, NULL), "\"parent\":null") != NULL);
	CHECK(strstr(event_json_string(obj, NULL), "\"type\":\"ProcessExit\"") != NULL);
	json_object_put(obj);
	process_clear_strings(&p);
}

static void cached_process_json_follows_changes(void)
{
	struct process p;
	struct event ev = { .type = EVENT_PROCESS_CLONE, .time_ns = 1 };
	json_object *obj;

	fill(&p, 5, "/bin/x", "x", "");
	ev.process = &p;
	obj = event_to_json(&ev, 0);
	json_object_put(obj);
	p.cloned = true;
	process_changed(&p);
	obj = event_to_json(&ev, 0);
	CHECK(strstr(event_json_string(obj, NULL), "\"cloned\":true") != NULL);
	json_object_put(obj);
	/* control characters are escaped, JSON stays one line */
	process_set_binary(&p, strdup("/tmp/a\nb"), strdup("a\nb"), strdup("\t"));
	obj = event_to_json(&ev, 0);
	CHECK(strchr(event_json_string(obj, NULL), '\n') == NULL);
	json_object_put(obj);
	process_clear_strings(&p);
}

UNIT_MAIN(T(exec_event_shape), T(unknown_parent_is_null), T(cached_process_json_follows_changes))
