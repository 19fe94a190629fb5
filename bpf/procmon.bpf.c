// SPDX-License-Identifier: GPL-2.0-only
/*
 * ProcMon, kernel half: process exec, clone and exit.
 *
 * Hooks and their attach methods (the daemon picks one method per hook, see
 * daemon/procmon.c):
 *   exec_creds  lsm/bprm_committing_creds, fentry/security_bprm_committing_creds,
 *               or tracepoints syscalls/sys_enter_execve{,at}: the credentials
 *               a task had before exec, to tell which privileges exec gave it.
 *   exec        tp_btf/sched_process_exec: emits ProcessExec.
 *   fork        tp_btf/sched_process_fork: emits ProcessClone (new processes
 *               only, never threads).
 *   exit        tp_btf/sched_process_exit: emits ProcessExit when the last
 *               thread of a process exits.
 *
 * These lifecycle records are sent even when no consumer wants the process
 * category (see category_wanted() in lib/records.h): the daemon's process
 * cache, which every event of every monitor refers to, is built from them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "bombus.h"
#include "lib/records.h"
#include "lib/task.h"
#include "lib/binary.h"

char LICENSE[] SEC("license") = "GPL";

/* Credentials before exec, keyed by the exec'ing thread's id. */
struct pre_exec_creds {
	__u64 cap_ambient;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct pre_exec_creds);
} pre_exec SEC(".maps");

/* Records are built here: they are too large for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bombus_process_record);
} scratch SEC(".maps");

static __always_inline void save_pre_exec_creds(const struct cred *cred)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pre_exec_creds saved = {
		.cap_ambient = read_caps(&cred->cap_ambient),
	};

	bpf_map_update_elem(&pre_exec, &tid, &saved, BPF_ANY);
}

static __always_inline void save_current_creds(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	save_pre_exec_creds(BPF_CORE_READ(task, real_cred));
}

SEC("lsm/bprm_committing_creds")
int BPF_PROG(exec_creds_lsm, struct linux_binprm *bprm)
{
	save_current_creds();
	return 0;
}

SEC("fentry/security_bprm_committing_creds")
int BPF_PROG(exec_creds_fentry, struct linux_binprm *bprm)
{
	save_current_creds();
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int exec_creds_tp(void *ctx)
{
	save_current_creds();
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int exec_creds_tp_at(void *ctx)
{
	save_current_creds();
	return 0;
}

static __always_inline struct bombus_process_record *record_begin(enum bombus_record_kind kind)
{
	__u32 zero = 0;
	struct bombus_process_record *r = bpf_map_lookup_elem(&scratch, &zero);

	if (!r)
		return NULL;
	record_header_init(&r->hdr, kind);
	r->secureexec = 0;
	r->flags = 0;
	r->path_components = 0;
	r->path_bytes = 0;
	r->args_bytes = 0;
	return r;
}

static __always_inline void record_finish(struct bombus_process_record *r)
{
	__u64 size = offsetof(struct bombus_process_record, data) + r->path_bytes + r->args_bytes;

	if (size > sizeof(*r))
		return;
	r->hdr.size = size;
	record_submit(r, size);
}

/* Which privileges exec granted, from the credentials before and after. */
static __always_inline __u32 exec_secureexec(const struct bombus_creds *now, __u32 old_tid)
{
	struct pre_exec_creds *before = bpf_map_lookup_elem(&pre_exec, &old_tid);
	__u32 flags = 0;
	__u64 gained;

	if (now->euid != now->uid)
		flags |= BOMBUS_SECUREEXEC_SETUID;
	if (now->egid != now->gid)
		flags |= BOMBUS_SECUREEXEC_SETGID;
	if (!before)
		return flags;
	/* Unless its uid or euid is 0 (root's capabilities come from being
	 * root), exec leaves a process only its ambient capabilities, whatever
	 * it held before (a setuid with keep-caps keeps a permitted set that
	 * exec drops): permitted ones beyond the ambient set it had come from
	 * the file's capability xattr. */
	gained = now->cap_permitted & ~before->cap_ambient;
	if (gained && now->uid != 0 && now->euid != 0)
		flags |= BOMBUS_SECUREEXEC_FILE_CAPS;
	bpf_map_delete_elem(&pre_exec, &old_tid);
	return flags;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_tp_btf, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct bombus_process_record *r = record_begin(BOMBUS_RECORD_EXEC);

	if (!r)
		return 0;
	process_identity(r, task);
	r->secureexec = exec_secureexec(&r->creds, old_pid);
	process_binary(r, task);
	record_finish(r);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_tp_btf, struct task_struct *parent, struct task_struct *child)
{
	struct bombus_process_record *r;

	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0; /* a new thread, not a new process */
	r = record_begin(BOMBUS_RECORD_CLONE);
	if (!r)
		return 0;
	process_identity(r, child);
	process_binary(r, child);
	record_finish(r);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_tp_btf, struct task_struct *task)
{
	struct bombus_process_record *r;

	/* signal->live has already been decremented: zero means this is the
	 * last thread of the process. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	r = record_begin(BOMBUS_RECORD_EXIT);
	if (!r)
		return 0;
	process_identity(r, task);
	r->tid = r->pid;
	record_finish(r);
	return 0;
}
