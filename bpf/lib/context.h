/* SPDX-License-Identifier: GPL-2.0-only */
/* Where a task runs: its cgroup2 cgroup and its namespaces, read with the
 * record (struct bombus_context). */
#ifndef BOMBUS_BPF_CONTEXT_H
#define BOMBUS_BPF_CONTEXT_H

#include "../bombus.h"

/* The default hierarchy's cgroup: cgroup2, mounted or not (then everything
 * is in its root). Since 5.5 kn->id is the 64-bit id the cgroup's inode
 * number and bpf_get_current_cgroup_id() give. */
static __always_inline __u64 task_cgroup_kn_id(struct cgroup *cgrp)
{
	return BPF_CORE_READ(cgrp, kn, id);
}

static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	return task_cgroup_kn_id(BPF_CORE_READ(task, cgroups, dfl_cgrp));
}

/* The pid of @task's process in the pid namespace it belongs to, and that
 * namespace's inode number: pid->numbers[pid->level] of the leader, as
 * task_active_pid_ns() and task_tgid_vnr() find them. numbers[] is indexed
 * at run time, so its element size comes from CO-RE too. */
static __always_inline void task_pid_ns(struct task_struct *task, __u32 *vpid, __u32 *ns_inum)
{
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	__u32 level = BPF_CORE_READ(pid, level);
	__u64 upid_size = bpf_core_field_size(pid->numbers[0]);
	struct upid upid = {};

	bpf_core_read(&upid, sizeof(upid), (void *)&pid->numbers + level * upid_size);
	*vpid = upid.nr;
	*ns_inum = BPF_CORE_READ(upid.ns, ns.inum);
}

static __always_inline void context_read(struct bombus_context *c, struct task_struct *task)
{
	struct nsproxy *ns = BPF_CORE_READ(task, nsproxy);

	c->cgroup_id = task_cgroup_id(task);
	task_pid_ns(task, &c->vpid, &c->ns[BOMBUS_NS_PID]);
	/* nsproxy is NULL once an exiting task let go of it: zeros then */
	c->ns[BOMBUS_NS_MNT] = BPF_CORE_READ(ns, mnt_ns, ns.inum);
	c->ns[BOMBUS_NS_NET] = BPF_CORE_READ(ns, net_ns, ns.inum);
	c->ns[BOMBUS_NS_USER] = BPF_CORE_READ(task, real_cred, user_ns, ns.inum);
	c->ns[BOMBUS_NS_UTS] = BPF_CORE_READ(ns, uts_ns, ns.inum);
	c->ns[BOMBUS_NS_IPC] = BPF_CORE_READ(ns, ipc_ns, ns.inum);
	c->ns[BOMBUS_NS_CGROUP] = BPF_CORE_READ(ns, cgroup_ns, ns.inum);
}

#endif
