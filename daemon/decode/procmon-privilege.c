// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../daemon.h"
#include "../log.h"
#include "../render/event-json.h"
#include "../render/flags.h"
#include "../ring/bpf-load.h"
#include "../ring/monitor.h"
#include "procmon-privilege.bpf.skel.h"
#include "procmon-privilege.h"

/* Programs of the syscall variants are named after the syscall (see the
 * SETID_SYSCALL macro of the BPF side). The first syscall of each is
 * required; the others a kernel may lack (process_vm_readv without
 * CONFIG_CROSS_MEMORY_ATTACH, clone3 before 5.3) are skipped where missing. */
static const struct hook_method setuid_methods[] = {
	{ ATTACH_LSM, "task_fix_setuid", { { "setuid_lsm" } } },
	{ ATTACH_FENTRY, "security_task_fix_setuid", { { "setuid_fentry" } } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_setuid",
	  { { "setuid_enter" }, { "setuid_exit" }, OPTIONAL_PROGRAM("setreuid_enter"), OPTIONAL_PROGRAM("setreuid_exit"),
	    OPTIONAL_PROGRAM("setresuid_enter"), OPTIONAL_PROGRAM("setresuid_exit"), OPTIONAL_PROGRAM("setfsuid_enter"),
	    OPTIONAL_PROGRAM("setfsuid_exit") } },
};
static const struct hook_method setgid_methods[] = {
	{ ATTACH_LSM, "task_fix_setgid", { { "setgid_lsm" } } },
	{ ATTACH_FENTRY, "security_task_fix_setgid", { { "setgid_fentry" } } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_setgid",
	  { { "setgid_enter" }, { "setgid_exit" }, OPTIONAL_PROGRAM("setregid_enter"), OPTIONAL_PROGRAM("setregid_exit"),
	    OPTIONAL_PROGRAM("setresgid_enter"), OPTIONAL_PROGRAM("setresgid_exit"), OPTIONAL_PROGRAM("setfsgid_enter"),
	    OPTIONAL_PROGRAM("setfsgid_exit") } },
};
static const struct hook_method capset_methods[] = {
	{ ATTACH_LSM, "capset", { { "capset_lsm" } } },
	{ ATTACH_FENTRY, "security_capset", { { "capset_fentry" } } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_capset", { { "capset_enter" }, { "capset_exit" } } },
};
static const struct hook_method prctl_methods[] = {
	{ ATTACH_LSM, "task_prctl", { { "prctl_lsm" } } },
	{ ATTACH_FENTRY, "security_task_prctl", { { "prctl_fentry" } } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_prctl", { { "prctl_enter" }, { "prctl_exit" } } },
};
static const struct hook_method userns_methods[] = {
	{ ATTACH_LSM, "userns_create", { { "userns_lsm" } } },
	{ ATTACH_FENTRY, "security_create_user_ns", { { "userns_fentry" } } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_unshare",
	  { { "unshare_enter" }, { "unshare_exit" }, OPTIONAL_PROGRAM("clone_enter"), OPTIONAL_PROGRAM("clone_exit"),
	    OPTIONAL_PROGRAM("clone3_enter"), OPTIONAL_PROGRAM("clone3_exit") } },
};
static const struct hook_method ptrace_methods[] = {
	{ ATTACH_LSM, "ptrace_access_check", { { "ptrace_lsm" } } },
	{ ATTACH_FENTRY, "security_ptrace_access_check", { { "ptrace_fentry" } } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_ptrace",
	  { { "ptrace_enter" }, { "ptrace_exit" }, OPTIONAL_PROGRAM("vm_readv_enter"), OPTIONAL_PROGRAM("vm_readv_exit"),
	    OPTIONAL_PROGRAM("vm_writev_enter"), OPTIONAL_PROGRAM("vm_writev_exit") } },
};

/* Each can be left out: the process cache does not depend on them. */
#define HOOK(n, m) { .name = n, .methods = m, .n_methods = ELEMENTSOF(m), .optional = true }

static const struct hook privilege_hook_table[] = {
	HOOK("setuid", setuid_methods),   HOOK("setgid", setgid_methods),
	HOOK("capset", capset_methods),   HOOK("prctl", prctl_methods),
	HOOK("userns_create", userns_methods), HOOK("ptrace_access_check", ptrace_methods),
};

struct privilege_monitor {
	struct monitor monitor;
	struct daemon *daemon;
	struct procmon_privilege_bpf *skel;
	struct hook hooks[ELEMENTSOF(privilege_hook_table)];
};

/* prctl's "cmd": named for the options that matter to privileges. */
static void render_prctl_cmd(struct json_writer *w, const struct bombus_privilege_record *r)
{
	static const struct {
		uint32_t option;
		const char *key; /* as JSON: quoted, with the colon */
	} numeric[] = {
		{ 8, "{\"PrSetKeepCaps\":" },    /* PR_SET_KEEPCAPS */
		{ 4, "{\"PrSetDumpable\":" },    /* PR_SET_DUMPABLE */
		{ 28, "{\"PrSetSecurebits\":" }, /* PR_SET_SECUREBITS */
	};
	const char *key = "{\"Opcode\":";
	uint64_t value = r->prctl.option;

	if (r->prctl.option == 15) { /* PR_SET_NAME */
		json_literal(w, "{\"PrSetName\":{\"name\":");
		json_string_n(w, r->prctl.name, strnlen(r->prctl.name, sizeof(r->prctl.name)));
		json_literal(w, "}}");
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(numeric); i++)
		if (numeric[i].option == r->prctl.option) {
			key = numeric[i].key;
			value = r->prctl.arg2;
		}
	json_text(w, key);
	json_uint(w, value);
	json_literal(w, "}");
}

/* What the renderer of "process_event" needs besides the record. */
struct privilege_payload {
	const struct bombus_privilege_record *record;
	struct process *child; /* ptrace's target; NULL: "child": null */
};

static void render_setid(struct json_writer *w, const struct bombus_privilege_record *r, bool uid)
{
	char flags[FLAGS_STRING_MAX];

	json_text(w, uid ? "\"Setuid\",\"uid\":" : "\"Setgid\",\"gid\":");
	json_uint(w, r->setid.id);
	json_text(w, uid ? ",\"euid\":" : ",\"egid\":");
	json_uint(w, r->setid.eid);
	json_text(w, uid ? ",\"fsuid\":" : ",\"fsgid\":");
	json_uint(w, r->setid.fsid);
	json_literal(w, ",\"flags\":");
	json_string(w, setid_flags_to_string(r->flags, flags));
}

/* ",\"process_event\":{\"type\":...}" */
static void render_process_event(struct json_writer *w, const struct event *ev)
{
	const struct privilege_payload *payload = ev->payload;
	const struct bombus_privilege_record *r = payload->record;
	char flags[FLAGS_STRING_MAX], caps[CAPS_STRING_MAX];

	json_literal(w, ",\"process_event\":{\"type\":");
	switch (r->event) {
	case BOMBUS_PRIV_SETUID:
	case BOMBUS_PRIV_SETGID:
		render_setid(w, r, r->event == BOMBUS_PRIV_SETUID);
		break;
	case BOMBUS_PRIV_SETCAPS:
		json_literal(w, "\"Setcaps\",\"effective\":");
		json_string(w, caps_to_string(r->caps.effective, caps));
		json_literal(w, ",\"inheritable\":");
		json_string(w, caps_to_string(r->caps.inheritable, caps));
		json_literal(w, ",\"permitted\":");
		json_string(w, caps_to_string(r->caps.permitted, caps));
		break;
	case BOMBUS_PRIV_PRCTL:
		json_literal(w, "\"Prctl\",\"cmd\":");
		render_prctl_cmd(w, r);
		break;
	case BOMBUS_PRIV_CREATE_USER_NS:
		json_literal(w, "\"CreateUserNs\"");
		break;
	default: /* BOMBUS_PRIV_PTRACE_ACCESS_CHECK: checked when decoded */
		json_literal(w, "\"PtraceAccessCheck\",\"child\":");
		if (payload->child)
			event_render_process(w, payload->child,
					     r->ptrace.target_flags & BOMBUS_TARGET_KNOWN ? &r->ptrace.target : NULL);
		else
			json_literal(w, "null");
		json_literal(w, ",\"mode\":");
		json_string(w, ptrace_mode_to_string(r->flags, flags));
		break;
	}
	json_literal(w, "}");
}

/* ptrace's target: the traced task as the kernel saw it, or only a pid of
 * the initial namespace (the process-vm calls in tracepoint mode: the live
 * process of that pid), or nothing: NULL. */
static struct process *ptrace_child(struct daemon *d, const struct bombus_privilege_record *r)
{
	if (r->ptrace.target_flags & BOMBUS_TARGET_KNOWN)
		return daemon_process_of(d, &r->ptrace.target);
	if (r->ptrace.target_flags & BOMBUS_TARGET_PID_ONLY)
		return process_cache_get_live(d->processes, r->ptrace.target.pid);
	return NULL;
}

void privilege_decode(struct daemon *d, const void *data, size_t size)
{
	const struct bombus_privilege_record *r = data;
	struct privilege_payload payload = { .record = r };
	struct event ev = { .type = EVENT_PROCESS_EVENT, .render_fields = render_process_event, .payload = &payload,
			    .opcode = -1 };

	if (size < sizeof(*r) || r->hdr.kind != BOMBUS_RECORD_PRIVILEGE || r->event < BOMBUS_PRIV_SETUID ||
	    r->event > BOMBUS_PRIV_PTRACE_ACCESS_CHECK) {
		d->counters.malformed++;
		return;
	}
	if (!daemon_event_of_task(d, &ev, r->hdr.time_ns, &r->task))
		return;
	if (r->event == BOMBUS_PRIV_PTRACE_ACCESS_CHECK)
		payload.child = ptrace_child(d, r);
	daemon_emit(d, &ev);
	process_unrefp(&payload.child);
	event_clear(&ev);
}

static void on_record(void *userdata, const void *data, size_t size)
{
	struct privilege_monitor *m = userdata;

	privilege_decode(m->daemon, data, size);
}

static void privilege_monitor_free(struct monitor *base)
{
	struct privilege_monitor *m = (struct privilege_monitor *)base;

	monitor_close(base);
	procmon_privilege_bpf__destroy(m->skel);
	free(m);
}

int privilege_monitor_start(struct daemon *d, struct monitor **ret)
{
	struct privilege_monitor *m;
	int r;

	if (!d->process_monitor)
		return log_error_errno(EINVAL, "procmon-privilege: needs the process monitor");
	m = calloc(1, sizeof(*m));
	if (!m)
		return log_error_errno(ENOMEM, "procmon-privilege: %m");
	m->daemon = d;
	memcpy(m->hooks, privilege_hook_table, sizeof(m->hooks));
	/* A guest of the process monitor: Setuid and exec of one process are
	 * read from one ring, in the order they happened. */
	m->monitor = (struct monitor){ .name = "procmon-privilege", .hooks = m->hooks,
				       .n_hooks = ELEMENTSOF(m->hooks), .free = privilege_monitor_free,
				       .host = d->process_monitor, .guest_kind = BOMBUS_RECORD_PRIVILEGE };
	daemon_monitor_init(d, &m->monitor);
	m->skel = procmon_privilege_bpf__open_opts(bpf_open_opts());
	if (!m->skel) {
		r = log_error_errno(errno, "procmon-privilege: cannot open the BPF object: %m");
		free(m);
		return r;
	}
	m->monitor.obj = m->skel->obj;
	m->skel->rodata->self_tgid = (uint32_t)getpid();
	m->skel->rodata->ringbuf_wakeup_bytes = monitor_wakeup_bytes(&m->monitor);
	r = monitor_start(&m->monitor, on_record, m);
	if (r < 0) {
		privilege_monitor_free(&m->monitor);
		return r;
	}
	*ret = &m->monitor;
	return 0;
}

int privilege_monitor_hook_check(const char *name)
{
	return hooks_check_disable(privilege_hook_table, ELEMENTSOF(privilege_hook_table), name);
}
