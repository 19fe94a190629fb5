// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf-load.h"
#include "daemon.h"
#include "flags.h"
#include "json-fields.h"
#include "log.h"
#include "procmon-privilege.bpf.skel.h"
#include "procmon-privilege.h"
#include "monitor.h"
#include "text.h"

/* Programs of the syscall variants are named after the syscall (see the
 * SETID_SYSCALL macro of the BPF side). */
static const struct hook_method setuid_methods[] = {
	{ ATTACH_LSM, "task_fix_setuid", { "setuid_lsm" } },
	{ ATTACH_FENTRY, "security_task_fix_setuid", { "setuid_fentry" } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_setuid",
	  { "setuid_enter", "setuid_exit", "setreuid_enter", "setreuid_exit", "setresuid_enter", "setresuid_exit",
	    "setfsuid_enter", "setfsuid_exit" } },
};
static const struct hook_method setgid_methods[] = {
	{ ATTACH_LSM, "task_fix_setgid", { "setgid_lsm" } },
	{ ATTACH_FENTRY, "security_task_fix_setgid", { "setgid_fentry" } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_setgid",
	  { "setgid_enter", "setgid_exit", "setregid_enter", "setregid_exit", "setresgid_enter", "setresgid_exit",
	    "setfsgid_enter", "setfsgid_exit" } },
};
static const struct hook_method capset_methods[] = {
	{ ATTACH_LSM, "capset", { "capset_lsm" } },
	{ ATTACH_FENTRY, "security_capset", { "capset_fentry" } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_capset", { "capset_enter", "capset_exit" } },
};
static const struct hook_method prctl_methods[] = {
	{ ATTACH_LSM, "task_prctl", { "prctl_lsm" } },
	{ ATTACH_FENTRY, "security_task_prctl", { "prctl_fentry" } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_prctl", { "prctl_enter", "prctl_exit" } },
};
static const struct hook_method userns_methods[] = {
	{ ATTACH_LSM, "userns_create", { "userns_lsm" } },
	{ ATTACH_FENTRY, "security_create_user_ns", { "userns_fentry" } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_unshare",
	  { "unshare_enter", "unshare_exit", "clone_enter", "clone_exit", "clone3_enter", "clone3_exit" } },
};
static const struct hook_method ptrace_methods[] = {
	{ ATTACH_LSM, "ptrace_access_check", { "ptrace_lsm" } },
	{ ATTACH_FENTRY, "security_ptrace_access_check", { "ptrace_fentry" } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_ptrace",
	  { "ptrace_enter", "ptrace_exit", "vm_readv_enter", "vm_readv_exit", "vm_writev_enter", "vm_writev_exit" } },
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
static json_object *prctl_cmd(const struct bombus_privilege_record *r)
{
	static const struct {
		uint32_t option;
		const char *name;
	} numeric[] = {
		{ 8, "PrSetKeepCaps" },    /* PR_SET_KEEPCAPS */
		{ 4, "PrSetDumpable" },    /* PR_SET_DUMPABLE */
		{ 28, "PrSetSecurebits" }, /* PR_SET_SECUREBITS */
	};
	json_object *cmd = json_object_new_object();
	int err = 0;

	if (!cmd)
		return NULL;
	if (r->prctl.option == 15) { /* PR_SET_NAME */
		_cleanup_free_ char *name = utf8_strndup(r->prctl.name, sizeof(r->prctl.name));
		json_object *arg = json_object_new_object();

		err |= arg && name ? json_add_string(arg, "name", name) : -ENOMEM;
		err |= json_add(cmd, "PrSetName", arg);
	} else {
		const char *key = "Opcode";
		uint64_t value = r->prctl.option;

		for (size_t i = 0; i < ELEMENTSOF(numeric); i++)
			if (numeric[i].option == r->prctl.option) {
				key = numeric[i].name;
				value = r->prctl.arg2;
			}
		err |= json_add_uint(cmd, key, value);
	}
	if (err) {
		json_object_put(cmd);
		return NULL;
	}
	return cmd;
}

/* The "process_event" member; NULL on allocation failure or unknown kind. */
static json_object *process_event_json(struct privilege_monitor *m, const struct bombus_privilege_record *r)
{
	json_object *o = json_object_new_object();
	char flags[FLAGS_STRING_MAX], caps[CAPS_STRING_MAX];
	bool uid = r->event == BOMBUS_PRIV_SETUID;
	int err = 0;

	if (!o)
		return NULL;
	switch (r->event) {
	case BOMBUS_PRIV_SETUID:
	case BOMBUS_PRIV_SETGID:
		err |= json_add_string(o, "type", uid ? "Setuid" : "Setgid");
		err |= json_add_uint(o, uid ? "uid" : "gid", r->setid.id);
		err |= json_add_uint(o, uid ? "euid" : "egid", r->setid.eid);
		err |= json_add_uint(o, uid ? "fsuid" : "fsgid", r->setid.fsid);
		err |= json_add_string(o, "flags", setid_flags_to_string(r->flags, flags));
		break;
	case BOMBUS_PRIV_SETCAPS:
		err |= json_add_string(o, "type", "Setcaps");
		err |= json_add_string(o, "effective", caps_to_string(r->caps.effective, caps));
		err |= json_add_string(o, "inheritable", caps_to_string(r->caps.inheritable, caps));
		err |= json_add_string(o, "permitted", caps_to_string(r->caps.permitted, caps));
		break;
	case BOMBUS_PRIV_PRCTL:
		err |= json_add_string(o, "type", "Prctl");
		err |= json_add(o, "cmd", prctl_cmd(r));
		break;
	case BOMBUS_PRIV_CREATE_USER_NS:
		err |= json_add_string(o, "type", "CreateUserNs");
		break;
	case BOMBUS_PRIV_PTRACE_ACCESS_CHECK: {
		struct process_cache *cache = m->daemon->processes;
		struct process *child = r->target.start_ns ? process_cache_find(cache, r->target.pid, r->target.start_ns)
							   : process_cache_find_live(cache, r->target.pid);
		struct process unknown = { .pid = r->target.pid, .tid = r->target.pid, .start_ns = r->target.start_ns };

		if (!child) {
			unknown.creds.auid = UINT32_MAX;
			child = &unknown;
		}
		err |= json_add_string(o, "type", "PtraceAccessCheck");
		err |= json_add(o, "child", process_json_object(child, m->daemon->boot_to_real_ns));
		err |= json_add_string(o, "mode", ptrace_mode_to_string(r->flags, flags));
		break;
	}
	default:
		err = -EINVAL;
	}
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void on_record(void *userdata, const void *data, size_t size)
{
	struct privilege_monitor *m = userdata;
	struct daemon *d = m->daemon;
	const struct bombus_privilege_record *r = data;
	struct process scratch = { 0 };
	struct event ev = { .type = EVENT_PROCESS_EVENT };
	json_object *detail;

	if (size < sizeof(*r) || r->hdr.kind != BOMBUS_RECORD_PRIVILEGE) {
		d->counters.malformed++;
		return;
	}
	ev.time_ns = r->hdr.time_ns;
	daemon_event_process(d, &ev, r->pid, r->tid, r->start_ns, &r->creds, &scratch);
	detail = process_event_json(m, r);
	ev.fields = json_object_new_object();
	if (!detail || !ev.fields || json_object_object_add(ev.fields, "process_event", detail) < 0) {
		d->counters.no_memory++;
		json_object_put(detail);
	} else {
		daemon_emit(d, &ev);
	}
	json_object_put(ev.fields);
	process_clear_strings(&scratch);
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
	m->monitor = (struct monitor){ .name = "procmon-privilege", .daemon = d, .hooks = m->hooks,
				       .n_hooks = ELEMENTSOF(m->hooks), .free = privilege_monitor_free,
				       .host = d->process_monitor, .guest_kind = BOMBUS_RECORD_PRIVILEGE };
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
