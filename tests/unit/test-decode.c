// SPDX-License-Identifier: GPL-2.0-only
/*
 * The decoders driven with records made here, as the kernel would send them,
 * through the daemon's one path to an output that keeps what it gets: each
 * defect of the old process model, and each loss counter of the decoders.
 * Run under ASan as well (tools/run-tests), where a use after free fails.
 */
#include <json-c/json.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "decode/iouringmon.h"
#include "decode/procmon-privilege.h"
#include "decode/procmon.h"
#include "unit.h"

#define MS 1000000ull

struct capture {
	struct output output;
	json_object *events[64];
	size_t n;
};

static int capture_emit(struct output *o, const struct event *ev, struct rendered_event *rendered)
{
	struct capture *c = (struct capture *)o;

	CHECK(c->n < ELEMENTSOF(c->events));
	if (c->n < ELEMENTSOF(c->events)) {
		char *json = strndup(rendered->json, rendered->len); /* the bytes are not NUL-terminated */

		c->events[c->n++] = json ? json_tokener_parse(json) : NULL;
		free(json);
	}
	return 0;
}

static void capture_free(struct output *o)
{
	struct capture *c = (struct capture *)o;

	for (size_t i = 0; i < c->n; i++)
		json_object_put(c->events[i]);
	free(c);
}

static const struct output_ops capture_ops = { .name = "capture", .emit = capture_emit, .free = capture_free };

static struct daemon *new_daemon(size_t cache_max, size_t cache_max_exited, struct capture **capture)
{
	struct config config;
	struct daemon *d = NULL;
	struct capture *c = calloc(1, sizeof(*c));

	config_init_defaults(&config);
	config.process_cache_max = cache_max;
	config.process_cache_max_exited = cache_max_exited;
	CHECK(c && daemon_new(&config, &d) >= 0);
	c->output = (struct output){ .ops = &capture_ops, .categories = CATEGORY_ALL };
	CHECK(daemon_add_output(d, &c->output) >= 0);
	*capture = c;
	return d;
}

static struct bombus_task task(uint32_t pid, uint64_t start_ns, uint32_t ppid, uint64_t parent_start_ns, uint32_t uid)
{
	return (struct bombus_task){ .pid = pid, .tid = pid, .ppid = ppid, .start_ns = start_ns,
				     .parent_start_ns = parent_start_ns,
				     .creds = { .uid = uid, .euid = uid, .gid = uid, .egid = uid, .auid = UINT32_MAX } };
}

/* A process record of @kind; exec and clone carry @names (leaf first) and
 * @argv unless @flags says otherwise. */
static void process_record(struct daemon *d, enum bombus_record_kind kind, struct bombus_task t, uint32_t flags,
			   const char *names, size_t names_len, unsigned components, const char *argv, size_t argv_len)
{
	static struct bombus_process_record r;
	size_t size = offsetof(struct bombus_process_record, data);

	memset(&r, 0, sizeof(r));
	r.hdr.kind = kind;
	r.task = t;
	r.flags = flags;
	if (names) {
		r.flags |= BOMBUS_PROC_HAS_BINARY;
		memcpy(r.data, names, names_len);
		r.path_bytes = names_len;
		r.path_components = components;
		if (argv)
			memcpy(r.data + names_len, argv, argv_len);
		r.args_bytes = argv_len;
		size += names_len + argv_len;
	}
	r.hdr.size = size;
	r.hdr.time_ns = t.start_ns + MS;
	procmon_decode(d, &r, size);
}

#define NAMES(s) s, sizeof(s) - 1
#define EXEC(d, t, names, components, argv) \
	process_record(d, BOMBUS_RECORD_EXEC, t, 0, NAMES(names), components, NAMES(argv))

static const char *field(json_object *event, const char *object, const char *name)
{
	json_object *o = json_object_object_get(event, object);

	return json_object_get_string(o ? json_object_object_get(o, name) : NULL);
}

static int64_t number(json_object *event, const char *object, const char *name)
{
	json_object *o = json_object_object_get(event, object);

	return json_object_get_int64(o ? json_object_object_get(o, name) : NULL);
}

/* The parent was looked up, then the add of the child evicted it (a small
 * cache full of exited entries), then it was rendered: freed memory. A
 * reference held by the event keeps it. */
static void evicted_parent_still_rendered(void)
{
	struct capture *c;
	struct daemon *d = new_daemon(2, 1, &c);
	struct bombus_task parent = task(10, 100 * MS, 1, 0, 0), other = task(20, 150 * MS, 1, 0, 0);

	EXEC(d, parent, "sh\0bin\0", 2, "sh\0-c\0x\0");
	EXEC(d, other, "sleep\0bin\0", 2, "sleep\0");
	process_record(d, BOMBUS_RECORD_EXIT, parent, 0, NULL, 0, 0, NULL, 0); /* exited, still cached */
	/* its child execs: the cache (2 entries: the exited parent and 20) drops
	 * the parent to make room */
	EXEC(d, task(11, 200 * MS, 10, 100 * MS, 0), "ls\0bin\0", 2, "ls\0");
	CHECK_INT(c->n, 4);
	CHECK_STR(field(c->events[3], "process", "binary_path"), "/bin/ls");
	CHECK_STR(field(c->events[3], "parent", "binary_path"), "/bin/sh");
	CHECK_INT(number(c->events[3], "parent", "pid"), 10);
	CHECK(process_cache_stats(d->processes).evicted_exited >= 1);
	daemon_free(d);
}

/* A clone sent without strings takes its parent's program; if the cache lost
 * the parent, the program is unknown, counted. */
static void clone_takes_binary_of_parent(void)
{
	struct capture *c;
	struct daemon *d = new_daemon(64, 8, &c);
	struct bombus_task parent = task(10, 100 * MS, 1, 0, 1000);

	EXEC(d, parent, "bash\0bin\0usr\0", 3, "bash\0-l\0");
	process_record(d, BOMBUS_RECORD_CLONE, task(12, 200 * MS, 10, 100 * MS, 1000), BOMBUS_PROC_BINARY_OF_PARENT,
		       NULL, 0, 0, NULL, 0);
	CHECK_INT(c->n, 2);
	CHECK_STR(field(c->events[1], "process", "binary_path"), "/usr/bin/bash");
	CHECK_STR(field(c->events[1], "process", "args"), "-l");
	CHECK(json_object_get_boolean(json_object_object_get(json_object_object_get(c->events[1], "process"), "cloned")));
	CHECK_INT(d->counters.binary_unknown, 0);
	process_record(d, BOMBUS_RECORD_CLONE, task(13, 300 * MS, 99, 5 * MS, 1000), BOMBUS_PROC_BINARY_OF_PARENT, NULL,
		       0, 0, NULL, 0);
	CHECK_INT(d->counters.binary_unknown, 1);
	CHECK_STR(field(c->events[2], "process", "binary_path"), "");
	daemon_free(d);
}

/* A path walk that failed part way and an argv read that failed: marked in
 * the event, counted. */
static void incomplete_path_and_args_marked_and_counted(void)
{
	struct capture *c;
	struct daemon *d = new_daemon(64, 8, &c);

	process_record(d, BOMBUS_RECORD_EXEC, task(30, 100 * MS, 1, 0, 0),
		       BOMBUS_PROC_PATH_LOOKUP_FAILED | BOMBUS_PROC_ARGS_UNREADABLE, NAMES("ls\0bin\0"), 2, NULL, 0);
	CHECK_INT(c->n, 1);
	CHECK_STR(field(c->events[0], "process", "binary_path"), ".../bin/ls");
	CHECK_STR(field(c->events[0], "process", "args"), "");
	CHECK_STR(field(c->events[0], "process", "incomplete"), "BINARY_PATH | ARGS");
	CHECK_INT(d->counters.path_incomplete, 1);
	CHECK_INT(d->counters.args_unreadable, 1);
	daemon_free(d);
}

/* The process object of a ProcessEvent shows the acting thread and the
 * credentials before the change, whatever the exec left; one of a process
 * the cache does not know shows the record's task, never a guess. */
static void privilege_event_shows_acting_task(void)
{
	struct capture *c;
	struct daemon *d = new_daemon(64, 8, &c);
	struct bombus_privilege_record r = { .hdr = { .kind = BOMBUS_RECORD_PRIVILEGE, .size = sizeof(r) } };
	struct bombus_task agent = task(40, 100 * MS, 1, 0, 0);

	EXEC(d, agent, "agent\0", 1, "agent\0");
	r.task = agent;
	r.task.tid = 41;
	r.task.creds.uid = r.task.creds.euid = 65534;
	r.event = BOMBUS_PRIV_SETUID;
	r.flags = 4;
	r.setid.id = r.setid.eid = r.setid.fsid = 0;
	privilege_decode(d, &r, sizeof(r));
	CHECK_INT(c->n, 2);
	CHECK_INT(number(c->events[1], "process", "tid"), 41);
	CHECK_INT(number(c->events[1], "process", "uid"), 65534);
	CHECK_STR(field(c->events[1], "process", "binary_path"), "/agent");
	CHECK_INT(number(c->events[1], "process_event", "uid"), 0);
	/* unknown to the cache: the record's task, an unknown program */
	r.task = task(77, 500 * MS, 1, 0, 1000);
	privilege_decode(d, &r, sizeof(r));
	CHECK_INT(number(c->events[2], "process", "uid"), 1000);
	CHECK_INT(number(c->events[2], "process", "pid"), 77);
	CHECK_INT(d->counters.cache_misses, 1);
	daemon_free(d);
}

/* ptrace's child: the traced task when the kernel knew it (its own identity
 * even uncached), null when it did not: never a guess. */
static void ptrace_child_known_or_null(void)
{
	struct capture *c;
	struct daemon *d = new_daemon(64, 8, &c);
	struct bombus_privilege_record r = { .hdr = { .kind = BOMBUS_RECORD_PRIVILEGE, .size = sizeof(r) },
					     .event = BOMBUS_PRIV_PTRACE_ACCESS_CHECK, .flags = 0x12 };

	r.task = task(50, 100 * MS, 1, 0, 0);
	r.ptrace.target_flags = BOMBUS_TARGET_KNOWN;
	r.ptrace.target = task(51, 90 * MS, 1, 0, 1000);
	privilege_decode(d, &r, sizeof(r));
	r.ptrace.target_flags = 0;
	privilege_decode(d, &r, sizeof(r));
	CHECK_INT(c->n, 2);
	{
		json_object *pe = json_object_object_get(c->events[0], "process_event");
		json_object *child = json_object_object_get(pe, "child");

		CHECK_INT(json_object_get_int64(json_object_object_get(child, "pid")), 51);
		CHECK_INT(json_object_get_int64(json_object_object_get(child, "uid")), 1000);
		CHECK_STR(json_object_get_string(json_object_object_get(pe, "mode")),
			  "PTRACE_MODE_ATTACH | PTRACE_MODE_REALCREDS");
		pe = json_object_object_get(c->events[1], "process_event");
		CHECK(json_object_object_get_ex(pe, "child", &child) && child == NULL);
	}
	daemon_free(d);
}

static void iouring_event_shows_acting_task(void)
{
	struct capture *c;
	struct daemon *d = new_daemon(64, 8, &c);
	struct iouring_opcodes names = { 0 };
	struct bombus_iouring_record r = { .hdr = { .kind = BOMBUS_RECORD_IOURING },
					   .opcode = 18, .info = BOMBUS_IOURING_INFO_OPEN };
	size_t size = offsetof(struct bombus_iouring_record, data) + sizeof("/etc/shadow");
	struct bombus_task agent = task(60, 100 * MS, 1, 0, 0);

	EXEC(d, agent, "agent\0", 1, "agent\0");
	r.task = agent;
	r.task.tid = 62;
	r.task.creds.uid = r.task.creds.euid = 65534;
	memcpy(r.data, "/etc/shadow", sizeof("/etc/shadow"));
	r.data_bytes = sizeof("/etc/shadow");
	r.hdr.size = size;
	iouring_decode(d, &names, &r, size);
	CHECK_INT(c->n, 2);
	CHECK_INT(number(c->events[1], "process", "tid"), 62);
	CHECK_INT(number(c->events[1], "process", "uid"), 65534);
	CHECK_STR(field(c->events[1], "op_info", "path"), "/etc/shadow");
	daemon_free(d);
}

/* Records cut short, with sizes that lie or kinds that do not exist: counted
 * as malformed, never read past their end, nothing emitted. */
static void malformed_records_counted(void)
{
	struct capture *c;
	struct daemon *d = new_daemon(64, 8, &c);
	struct bombus_process_record *r = calloc(1, sizeof(*r));
	struct bombus_privilege_record p = { .hdr = { .kind = BOMBUS_RECORD_PRIVILEGE, .size = sizeof(p) },
					     .event = 99 };

	r->hdr.kind = BOMBUS_RECORD_EXEC;
	r->hdr.size = offsetof(struct bombus_process_record, data);
	r->path_bytes = BOMBUS_PATH_MAX + 1; /* beyond the walk's bound */
	procmon_decode(d, r, offsetof(struct bombus_process_record, data));
	r->path_bytes = 10; /* more than the record holds */
	procmon_decode(d, r, offsetof(struct bombus_process_record, data));
	r->hdr.size = 4;
	procmon_decode(d, r, 4);
	r->hdr.kind = 77;
	r->hdr.size = 16;
	procmon_decode(d, r, 16);
	privilege_decode(d, &p, sizeof(p));
	privilege_decode(d, &p, sizeof(p) - 1);
	CHECK_INT(d->counters.malformed, 6);
	CHECK_INT(c->n, 0);
	free(r);
	daemon_free(d);
}

/* Times the kernel sends are not trusted: huge ones give a wrong time, never
 * undefined behaviour (UBSan, found by tests/fuzz/fuzz-decode). */
static void hostile_times_render(void)
{
	struct capture *c;
	struct daemon *d = new_daemon(64, 8, &c);
	struct bombus_task t = task(90, (uint64_t)INT64_MAX - 5, 1, 0, 0);

	EXEC(d, t, "x\0", 1, "x\0");
	CHECK_INT(c->n, 1);
	CHECK(field(c->events[0], "process", "start_time") != NULL);
	daemon_free(d);
}

UNIT_MAIN(T(hostile_times_render), T(evicted_parent_still_rendered), T(clone_takes_binary_of_parent),
	  T(incomplete_path_and_args_marked_and_counted), T(privilege_event_shows_acting_task),
	  T(ptrace_child_known_or_null), T(iouring_event_shows_acting_task), T(malformed_records_counted))
