// SPDX-License-Identifier: GPL-2.0-only
/*
 * ProcMon, kernel half: process exec, clone and exit.
 *
 * Hooks and their attach methods (the daemon picks one method per hook, see
 * daemon/procmon.c):
 *   exec_creds  what exec grants, before the new program runs (lib/exec.h):
 *               lsm/bprm_committing_creds, or fentry/security_bprm_committing_creds
 *               with fentry/security_file_open: privileges and path (bpf_d_path);
 *               or tracepoints syscalls/sys_enter_execve{,at}: the credentials
 *               before exec only.
 *   ima_hash    (optional) lsm.s/bprm_committed_creds: the binary's IMA digest.
 *   exec        tp_btf/sched_process_exec: emits ProcessExec.
 *   fork        tp_btf/sched_process_fork: emits ProcessClone (new processes
 *               only, never threads).
 *   exit        tp_btf/sched_process_exit: emits ProcessExit when the last
 *               thread of a process exits.
 *   cgroup_mkdir  tp_btf/cgroup_mkdir: a cgroup2 cgroup's id and path, for
 *               the context of events (lib/context.h).
 *
 * These lifecycle records are sent even when no consumer wants the process
 * category (see category_wanted() in lib/records.h): the daemon's process
 * cache, which every event of every monitor refers to, is built from them.
 *
 * What this half remembers of a process lives in its thread-group leader's
 * local storage (process_states), freed with it and never evicted: whether
 * the daemon has the binary of its current program (then its clones are sent
 * without strings), and whether its exit was sent (its threads may each see
 * the process's last thread go).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "bombus.h"
#include "lib/records.h"
#include "lib/task.h"
#include "lib/binary.h"
#include "lib/exec.h"

char LICENSE[] SEC("license") = "GPL";

/* Records are built here: they are too large for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bombus_process_record);
} scratch SEC(".maps");

SEC("lsm/bprm_committing_creds")
int BPF_PROG(exec_creds_lsm, struct linux_binprm *bprm)
{
	struct exec_info *info = exec_creds_collect(bprm);

	if (info)
		exec_path_save(info, bprm->file);
	return 0;
}

SEC("fentry/security_bprm_committing_creds")
int BPF_PROG(exec_creds_fentry, struct linux_binprm *bprm)
{
	exec_creds_collect(bprm);
	return 0;
}

/* fentry mode: the paths of the files exec opens (see lib/exec.h). */
SEC("fentry/security_file_open")
int BPF_PROG(exec_open_fentry, struct file *file)
{
	struct exec_info *info;

	if (!(file->f_flags & __FMODE_EXEC))
		return 0;
	info = exec_info_get();
	if (info)
		exec_path_save(info, file);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int exec_creds_tp(void *ctx)
{
	save_pre_exec_creds();
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int exec_creds_tp_at(void *ctx)
{
	save_pre_exec_creds();
	return 0;
}

/* After the exec_creds hook, where IMA has measured the file (bprm_check). */
SEC("lsm.s/bprm_committed_creds")
int BPF_PROG(ima_hash_lsm, struct linux_binprm *bprm)
{
	struct exec_info *info = exec_info_get();
	long algo;

	if (!info)
		return 0;
	algo = bpf_ima_file_hash(bprm->file, info->ima_hash, sizeof(info->ima_hash));
	if (algo < 0) {
		count(BOMBUS_COUNTER_IMA_HASH_FAILED);
		return 0;
	}
	info->ima_algo = algo;
	info->flags |= EXEC_INFO_IMA;
	return 0;
}

enum process_state_flags {
	PROCESS_BINARY_SENT = 1 << 0, /* an exec or clone record with its binary reached the ring */
	PROCESS_EXIT_SENT = 1 << 1,
};

struct process_state {
	__u32 flags; /* enum process_state_flags, changed atomically */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct process_state);
} process_states SEC(".maps");

/* The state of @task's process (kept on its leader); created if @create.
 * NULL when there is none, or no room (counted). */
static __always_inline struct process_state *process_state(struct task_struct *task, bool create)
{
	struct process_state *state =
		bpf_task_storage_get(&process_states, task->group_leader, NULL,
				     create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);

	if (!state && create)
		count(BOMBUS_COUNTER_PROCESS_STATE_LOST);
	return state;
}

/* Whether the daemon has the binary of @task's current program. */
static __always_inline void set_binary_sent(struct task_struct *task, bool sent)
{
	struct process_state *state = process_state(task, sent);

	if (!state)
		return;
	if (sent)
		__sync_fetch_and_or(&state->flags, PROCESS_BINARY_SENT);
	else
		__sync_fetch_and_and(&state->flags, ~PROCESS_BINARY_SENT);
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
	r->ima_algo = 0;
	return r;
}

/* Sends the record, sized to what it holds; returns whether it was sent. */
static __always_inline bool record_finish(struct bombus_process_record *r)
{
	__u64 size = offsetof(struct bombus_process_record, data) + r->path_bytes + r->args_bytes;

	if (size > sizeof(*r))
		return false;
	r->hdr.size = size;
	return record_submit(r, size);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_tp_btf, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct bombus_process_record *r = record_begin(BOMBUS_RECORD_EXEC);
	struct task_struct *current = bpf_get_current_task_btf();
	const struct exec_path *path = NULL;
	struct exec_info *info;

	if (!r)
		return 0;
	task_read(&r->task, task);
	info = bpf_task_storage_get(&exec_infos, current, NULL, 0);
	if (info && (info->flags & EXEC_INFO_CREDS)) {
		r->secureexec = info->secureexec;
		path = exec_path_find(info);
	} else {
		r->secureexec = secureexec_since_syscall(&r->task.creds, current);
	}
	if (info && (info->flags & EXEC_INFO_IMA)) {
		r->flags |= BOMBUS_PROC_HAS_IMA_HASH;
		r->ima_algo = info->ima_algo;
		__builtin_memcpy(r->ima_hash, info->ima_hash, sizeof(r->ima_hash));
	}
	if (path)
		process_binary(r, task, path->path, path->len, sizeof(path->path));
	else
		process_binary(r, task, NULL, 0, 0);
	if (info)
		bpf_task_storage_delete(&exec_infos, current);
	set_binary_sent(task, record_finish(r));
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_tp_btf, struct task_struct *parent, struct task_struct *child)
{
	struct process_state *parent_state;
	struct bombus_process_record *r;

	if (child->pid != child->tgid)
		return 0; /* a new thread, not a new process */
	r = record_begin(BOMBUS_RECORD_CLONE);
	if (!r)
		return 0;
	task_read(&r->task, child);
	/* The child runs the program of the process that forked it, which is
	 * its parent but with CLONE_PARENT: the daemon has it when it had the
	 * parent's. */
	parent_state = r->task.ppid == parent->tgid ? process_state(parent, false) : NULL;
	if (parent_state && (parent_state->flags & PROCESS_BINARY_SENT))
		r->flags |= BOMBUS_PROC_BINARY_OF_PARENT;
	else
		process_binary(r, child, NULL, 0, 0);
	set_binary_sent(child, record_finish(r));
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bombus_cgroup_record);
} cgroup_scratch SEC(".maps");

/* Every hierarchy's mkdir passes here; the default one (cgroup2) is
 * hierarchy 0, as the "0::" of /proc/PID/cgroup says. @path is the
 * tracepoint's own copy, from the hierarchy's root. */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir_tp_btf, struct cgroup *cgrp, const char *path)
{
	struct bombus_cgroup_record *r;
	__u32 zero = 0;
	__u64 size;
	long n;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	r = bpf_map_lookup_elem(&cgroup_scratch, &zero);
	if (!r)
		return 0;
	record_header_init(&r->hdr, BOMBUS_RECORD_CGROUP);
	r->cgroup_id = task_cgroup_kn_id(cgrp);
	r->pad = 0;
	n = bpf_probe_read_kernel_str(r->path, sizeof(r->path), path);
	if (n <= 0)
		return 0;
	r->path_bytes = n;
	size = offsetof(struct bombus_cgroup_record, path) + n;
	if (size > sizeof(*r))
		return 0;
	r->hdr.size = size;
	record_submit(r, size);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_tp_btf, struct task_struct *task)
{
	struct bombus_process_record *r;
	struct process_state *state;

	/* signal->live has already been decremented: zero means this is the
	 * last thread of the process. Threads exiting together can each see
	 * zero: only the first one sends the exit. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	state = process_state(task, true);
	if (state && (__sync_fetch_and_or(&state->flags, PROCESS_EXIT_SENT) & PROCESS_EXIT_SENT))
		return 0;
	r = record_begin(BOMBUS_RECORD_EXIT);
	if (!r)
		return 0;
	task_read(&r->task, task);
	r->task.tid = r->task.pid;
	record_finish(r);
	return 0;
}
