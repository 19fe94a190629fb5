// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "../clock.h"
#include "../macro.h"
#include "../context/cgroup-names.h"
#include "../context/exec-id.h"
#include "flags.h"
#include "process-json.h"

void process_json_head(struct json_writer *w, int64_t start_realtime_ns, bool cloned, uint32_t pid)
{
	char time[ISO8601_MS_LEN];

	json_literal(w, "{\"start_time\":\"");
	json_raw(w, format_iso8601_ms(start_realtime_ns, time), ISO8601_MS_LEN - 1);
	json_literal(w, "\",\"cloned\":");
	json_boolean(w, cloned);
	json_literal(w, ",\"pid\":");
	json_uint(w, pid);
	json_literal(w, ",\"tid\":");
}

/* A capability set as a JSON string. Few sets occur (all of them for root,
 * none for users, a service's few) and each snapshot renders three: the
 * texts of the last few are kept. The names are ASCII, nothing to escape. */
static void caps(struct json_writer *w, uint64_t set)
{
	static struct caps_text {
		bool valid;
		uint64_t set;
		unsigned last_cap;
		size_t len;
		char text[CAPS_STRING_MAX];
	} texts[4];
	static unsigned next;
	struct caps_text *t = NULL;

	for (size_t i = 0; i < ELEMENTSOF(texts) && !t; i++)
		if (texts[i].valid && texts[i].set == set && texts[i].last_cap == caps_last_cap())
			t = &texts[i];
	if (!t) {
		t = &texts[next++ % ELEMENTSOF(texts)];
		*t = (struct caps_text){ .valid = true, .set = set, .last_cap = caps_last_cap() };
		t->len = strlen(caps_to_string(set, t->text));
	}
	json_literal(w, "\"");
	json_raw(w, t->text, t->len);
	json_literal(w, "\"");
}

void process_json_task(struct json_writer *w, const struct bombus_task *t)
{
	json_uint(w, t->tid);
	json_literal(w, ",\"ppid\":");
	json_uint(w, t->ppid);
	json_literal(w, ",\"uid\":");
	json_uint(w, t->creds.uid);
	json_literal(w, ",\"euid\":");
	json_uint(w, t->creds.euid);
	json_literal(w, ",\"gid\":");
	json_uint(w, t->creds.gid);
	json_literal(w, ",\"egid\":");
	json_uint(w, t->creds.egid);
	json_literal(w, ",\"auid\":");
	json_uint(w, t->creds.auid);
	json_literal(w, ",\"cap_inheritable\":");
	caps(w, t->creds.cap_inheritable);
	json_literal(w, ",\"cap_permitted\":");
	caps(w, t->creds.cap_permitted);
	json_literal(w, ",\"cap_effective\":");
	caps(w, t->creds.cap_effective);
}

void process_json_image(struct json_writer *w, const struct image_fields *image)
{
	char flags[FLAGS_STRING_MAX];

	json_literal(w, ",\"secureexec\":");
	json_string(w, secureexec_to_string(image->secureexec, flags));
	json_literal(w, ",\"filename\":");
	json_string(w, image->filename);
	json_literal(w, ",\"binary_path\":");
	json_string(w, image->binary_path);
	if (image->ima_hash) {
		json_literal(w, ",\"binary_ima_hash\":");
		json_string(w, image->ima_hash);
	}
	json_literal(w, ",\"args\":");
	json_string(w, image->args);
	if (image->incomplete) {
		json_literal(w, ",\"incomplete\":");
		json_string(w, image_incomplete_to_string(image->incomplete, flags));
	}
}

/* Written piece by piece: no formatting of a temporary per event. */
static void exec_id(struct json_writer *w, uint32_t pid, uint64_t start_ns, uint64_t exec_seq)
{
	json_literal(w, "\"");
	json_raw(w, exec_id_boot(), EXEC_ID_BOOT_LEN);
	json_literal(w, ":");
	json_uint(w, pid);
	json_literal(w, ":");
	json_uint(w, start_ns);
	json_literal(w, ":");
	json_uint(w, exec_seq);
	json_literal(w, "\"");
}

/* The inode number of the initial pid namespace (PROC_PID_INIT_INO). */
#define INIT_PID_NS_INUM 0xEFFFFFFCu

void process_json_context(struct json_writer *w, const struct bombus_task *t)
{
	static const char *const ns_keys[BOMBUS_NS_MAX] = {
		[BOMBUS_NS_PID] = "{\"pid\":",     [BOMBUS_NS_MNT] = ",\"mnt\":",
		[BOMBUS_NS_NET] = ",\"net\":",     [BOMBUS_NS_USER] = ",\"user\":",
		[BOMBUS_NS_UTS] = ",\"uts\":",     [BOMBUS_NS_IPC] = ",\"ipc\":",
		[BOMBUS_NS_CGROUP] = ",\"cgroup\":",
	};
	const struct cgroup_info *cgroup;
	bool init_pid_ns;

	if (t->flags & BOMBUS_TASK_EXEC_SEQ) {
		json_literal(w, ",\"exec_id\":");
		exec_id(w, t->pid, t->start_ns, t->exec_seq);
	}
	/* pid 0's parent (the idle task) is no process */
	if ((t->flags & BOMBUS_TASK_PARENT_EXEC_SEQ) && t->ppid) {
		json_literal(w, ",\"parent_exec_id\":");
		exec_id(w, t->ppid, t->parent_start_ns, t->parent_exec_seq);
	}
	if (!(t->flags & BOMBUS_TASK_CONTEXT))
		return;
	cgroup = cgroup_names_lookup(t->context.cgroup_id);
	if (cgroup)
		json_raw(w, cgroup->json, cgroup->json_len);
	json_literal(w, ",\"namespaces\":");
	for (unsigned i = 0; i < BOMBUS_NS_MAX; i++) {
		json_text(w, ns_keys[i]);
		json_uint(w, t->context.ns[i]);
	}
	init_pid_ns = t->context.ns[BOMBUS_NS_PID] == INIT_PID_NS_INUM;
	json_literal(w, "},\"in_init_pid_ns\":");
	json_boolean(w, init_pid_ns);
	if (!init_pid_ns) {
		json_literal(w, ",\"vpid\":");
		json_uint(w, t->context.vpid);
	}
}
