/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading a task's identity and credentials, with CO-RE adaptations for the
 * kernels that differ. */
#ifndef BOMBUS_BPF_TASK_H
#define BOMBUS_BPF_TASK_H

#include "../bombus.h"
#include "context.h"

/* Before 5.5 the boot-time start stamp was called real_start_time. */
struct task_struct___pre_5_5 {
	__u64 real_start_time;
} __attribute__((preserve_access_index));

static __always_inline __u64 task_start_boottime(struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	if (bpf_core_field_exists(leader->start_boottime))
		return BPF_CORE_READ(leader, start_boottime);
	return BPF_CORE_READ((struct task_struct___pre_5_5 *)leader, real_start_time);
}

/* kernel_cap_t is u32[2] before 6.3 and a u64 after: the same 8 bytes. */
static __always_inline __u64 read_caps(const kernel_cap_t *caps)
{
	__u64 value = 0;

	bpf_core_read(&value, sizeof(value), caps);
	return value;
}

static __always_inline void creds_from_cred(struct bombus_creds *out, const struct cred *cred)
{
	out->uid = BPF_CORE_READ(cred, uid.val);
	out->euid = BPF_CORE_READ(cred, euid.val);
	out->gid = BPF_CORE_READ(cred, gid.val);
	out->egid = BPF_CORE_READ(cred, egid.val);
	out->cap_inheritable = read_caps(&cred->cap_inheritable);
	out->cap_permitted = read_caps(&cred->cap_permitted);
	out->cap_effective = read_caps(&cred->cap_effective);
}

static __always_inline __u32 task_auid(struct task_struct *task)
{
	if (bpf_core_field_exists(task->loginuid))
		return BPF_CORE_READ(task, loginuid.val);
	return (__u32)-1; /* kernel built without audit */
}

/* Identity, parent, the objective credentials and the context of @task now. */
static __always_inline void task_read(struct bombus_task *t, struct task_struct *task)
{
	struct task_struct *parent = BPF_CORE_READ(task, real_parent);

	t->pid = BPF_CORE_READ(task, tgid);
	t->tid = BPF_CORE_READ(task, pid);
	t->flags = BOMBUS_TASK_FROM_KERNEL;
	t->start_ns = task_start_boottime(task);
	/* exec bumps the exec'ing thread's count, which is the leader by the
	 * time anything reads it */
	t->exec_seq = BPF_CORE_READ(task, group_leader, self_exec_id);
	t->ppid = BPF_CORE_READ(parent, tgid);
	t->parent_start_ns = task_start_boottime(parent);
	t->parent_exec_seq = BPF_CORE_READ(parent, group_leader, self_exec_id);
	creds_from_cred(&t->creds, BPF_CORE_READ(task, real_cred));
	t->creds.auid = task_auid(task);
	t->creds.pad = 0;
	context_read(&t->context, task);
}

#endif
