/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the exec hooks learn before the new program runs, for the ProcessExec
 * record that tp_btf/sched_process_exec builds afterwards.
 *
 * Tracepoint mode: the credentials at syscall entry, in the exec'ing task's
 * local storage (pre_execs: freed with the task, never evicted); the exec
 * record compares them with the new ones.
 *
 * LSM and fentry modes: bprm_committing_creds sees the old and the new
 * credentials and the file being executed (bprm->file, which becomes
 * mm->exe_file), and leaves what it found in the task's local storage
 * (exec_infos), which the exec record consumes and deletes. The path comes
 * from bpf_d_path, unless the task's root is not its namespace's (a chroot)
 * or the file's mount is detached: then it is walked as in tracepoint mode,
 * so that events do not depend on the mode. The kernel allows that helper in the LSM hook, but not in
 * fentry on security_bprm_committing_creds (it is not in btf_allowlist_d_path),
 * so in fentry mode the path is taken where it is allowed, when exec opens the
 * file (fentry/security_file_open), for the last EXEC_OPENS exec opens of the
 * task (the binary or script, an interpreter, ld.so), and bprm_committing_creds
 * picks the one that is bprm->file.
 *
 * IMA hashes (hook ima_hash, sleepable LSM only) go to the same storage.
 */
#ifndef BOMBUS_BPF_EXEC_H
#define BOMBUS_BPF_EXEC_H

#include "../bombus.h"
#include "binary.h"
#include "records.h"
#include "task.h"

#define EXEC_PATH_MAX 4096 /* PATH_MAX; a longer path is walked instead */
#define EXEC_OPENS 2       /* a power of two */
#define __FMODE_EXEC 0x20  /* open flag of the files exec opens */

/* Credentials before exec. */
struct pre_exec_creds {
	__u64 cap_ambient;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pre_exec_creds);
} pre_execs SEC(".maps");

struct exec_path {
	__u64 file; /* the struct file the path is of */
	long len;   /* from bpf_d_path: bytes with the NUL; 0 or -errno: none */
	char path[EXEC_PATH_MAX];
};

enum exec_info_flags {
	EXEC_INFO_CREDS = 1 << 0, /* secureexec and file: bprm_committing_creds ran */
	EXEC_INFO_IMA = 1 << 1,   /* ima_algo and ima_hash */
};

struct exec_info {
	__u32 flags; /* enum exec_info_flags */
	__u32 secureexec;
	__u64 file; /* bprm->file */
	__u32 next_path;
	__u32 ima_algo;
	__u8 ima_hash[BOMBUS_IMA_HASH_MAX];
	struct exec_path paths[EXEC_OPENS]; /* a ring, next_path is the oldest */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct exec_info);
} exec_infos SEC(".maps");

static __always_inline void pre_exec_from_cred(struct pre_exec_creds *out, const struct cred *cred)
{
	out->cap_ambient = read_caps(&cred->cap_ambient);
}

/* Tracepoint mode, at syscall entry; without room the exec is counted (its
 * secureexec lacks FILE_CAPS). */
static __always_inline void save_pre_exec_creds(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pre_exec_creds *saved =
		bpf_task_storage_get(&pre_execs, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!saved) {
		count(BOMBUS_COUNTER_EXEC_DATA_LOST);
		return;
	}
	pre_exec_from_cred(saved, BPF_CORE_READ(task, real_cred));
}

/* Which privileges exec granted, from the credentials before and after. */
static __always_inline __u32 secureexec_flags(const struct bombus_creds *now,
					      const struct pre_exec_creds *before)
{
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
	return flags;
}

/* Tracepoint mode: from the credentials saved at syscall entry by @task,
 * the same task_struct that now runs the new program. */
static __always_inline __u32 secureexec_since_syscall(const struct bombus_creds *now, struct task_struct *task)
{
	struct pre_exec_creds *before = bpf_task_storage_get(&pre_execs, task, NULL, 0);
	__u32 flags = secureexec_flags(now, before);

	if (before)
		bpf_task_storage_delete(&pre_execs, task);
	return flags;
}

/* The current task's exec data, created empty if needed. */
static __always_inline struct exec_info *exec_info_get(void)
{
	struct exec_info *info = bpf_task_storage_get(&exec_infos, bpf_get_current_task_btf(), NULL,
						      BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!info)
		count(BOMBUS_COUNTER_EXEC_DATA_LOST);
	return info;
}

/*
 * Whether the current task's root directory is the top of its mount
 * namespace as the path walk of lib/binary.h sees it: mount roots all the way
 * up, no name. d_path gives paths relative to the task's root, the walk from
 * the top: they are the same path only then (not in a chroot).
 */
static __always_inline bool root_is_namespace_top(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct dentry *dentry = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *vfsmnt = BPF_CORE_READ(task, fs, root.mnt);
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);

	if (!dentry || !vfsmnt)
		return false;
	for (int i = 0; i < MOUNT_STEPS; i++) {
		struct mount *up;

		if (dentry != BPF_CORE_READ(mnt, mnt.mnt_root))
			return false;
		up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt)
			return true;
		dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		mnt = up;
	}
	return false;
}

/* Takes the path of @file, or marks its slot failed so that the walk is used
 * (and no older slot of the same address is). */
static __always_inline void exec_path_save(struct exec_info *info, struct file *file)
{
	struct exec_path *slot = &info->paths[info->next_path & (EXEC_OPENS - 1)];

	info->next_path++;
	slot->file = (__u64)file;
	if (!root_is_namespace_top() || mount_detached(file_mount(file))) {
		slot->len = 0; /* no path: walked */
		return;
	}
	/* the helper's prototype lacks a const it does not need */
	slot->len = bpf_d_path((struct path *)&file->f_path, slot->path, sizeof(slot->path));
}

/* The path saved for bprm->file, newest first: an older slot may hold a file
 * of an exec that failed, at the same address. NULL if bpf_d_path failed. */
static __always_inline const struct exec_path *exec_path_find(struct exec_info *info)
{
	for (__u32 back = 1; back <= EXEC_OPENS; back++) {
		const struct exec_path *slot = &info->paths[(info->next_path - back) & (EXEC_OPENS - 1)];

		if (slot->file == info->file)
			return slot->len > 0 ? slot : NULL;
	}
	return NULL;
}

/* bprm_committing_creds: the task's credentials are still the old ones and
 * bprm->cred the new ones. Without storage (counted) the exec record finds
 * none and walks the path. */
static __always_inline struct exec_info *exec_creds_collect(struct linux_binprm *bprm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct exec_info *info = exec_info_get();
	struct pre_exec_creds before;
	struct bombus_creds now;

	if (!info)
		return NULL;
	creds_from_cred(&now, bprm->cred);
	pre_exec_from_cred(&before, task->real_cred);
	info->secureexec = secureexec_flags(&now, &before);
	info->file = (__u64)bprm->file;
	info->flags |= EXEC_INFO_CREDS;
	return info;
}

#endif
