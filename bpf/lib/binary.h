/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The executed file and argv of a process, copied into a process record.
 * The path is resolved from the file itself (mm->exe_file), not from the
 * string given to execve: either the whole path bpf_d_path gave at exec time
 * (LSM and fentry modes, see lib/exec.h), or, where bpf_d_path is not allowed
 * (tracepoints, fork), a walk of the dentries: names are sent leaf first and
 * the daemon joins them.
 */
#ifndef BOMBUS_BPF_BINARY_H
#define BOMBUS_BPF_BINARY_H

#include "../bombus.h"

/* Mount crossings use loop iterations too, hence the slack. */
#define PATH_WALK_STEPS (BOMBUS_PATH_COMPONENTS + 16)
/* Mounts stacked above a file, at most, that the checks below follow. */
#define MOUNT_STEPS 8

static __always_inline bool dentry_unlinked(struct dentry *dentry)
{
	/* d_unlinked(): unhashed and not a root */
	return !BPF_CORE_READ(dentry, d_hash.pprev) && BPF_CORE_READ(dentry, d_parent) != dentry;
}

/*
 * Returns the bytes of r->data used by the names. The running counts live in
 * the record (map memory), not in registers: the verifier then sees the same
 * state at the top of every iteration and prunes, where precise register
 * bounds would make it walk every path of every iteration.
 */
static __always_inline struct mount *file_mount(struct file *file)
{
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);

	return container_of(vfsmnt, struct mount, mnt);
}

/* What the file itself says, however its path is found: fileless (no link
 * left), deleted, or without any directory (memfd, shmem). */
static __always_inline void binary_file_flags(struct bombus_process_record *r, struct file *file,
					      struct dentry *dentry)
{
	if (BPF_CORE_READ(dentry, d_inode, __i_nlink) == 0)
		r->secureexec |= BOMBUS_SECUREEXEC_FILELESS_EXEC;
	if (dentry_unlinked(dentry))
		r->flags |= BOMBUS_PROC_PATH_UNLINKED;
	if (BPF_CORE_READ(dentry, d_parent) == dentry &&
	    dentry != BPF_CORE_READ(file_mount(file), mnt.mnt_root))
		r->flags |= BOMBUS_PROC_PATH_PSEUDO;
}

/* Whether the mounts above @mnt end in one detached from every tree (its
 * mount namespace is gone: umount -l), where d_path would say "/". */
static __always_inline bool mount_detached(struct mount *mnt)
{
	for (int i = 0; i < MOUNT_STEPS; i++) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (up == mnt)
			return !BPF_CORE_READ(mnt, mnt_ns);
		mnt = up;
	}
	return false;
}

static __always_inline __u32 binary_path_walk(struct bombus_process_record *r, struct file *file,
					      struct dentry *dentry)
{
	struct mount *mnt = file_mount(file);
	int i;

	for (i = 0; i < PATH_WALK_STEPS; i++) {
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
		const unsigned char *name;
		__u32 off = r->path_bytes;
		long len;

		if (dentry == BPF_CORE_READ(mnt, mnt.mnt_root) && !(r->flags & BOMBUS_PROC_PATH_DETACHED)) {
			struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

			if (up != mnt) {
				dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
				mnt = up;
				continue;
			}
			if (BPF_CORE_READ(mnt, mnt_ns))
				return r->path_bytes; /* the root of the mount tree */
			/* Detached: the kernel's d_path stops here and says "/";
			 * the file's own filesystem still names it. */
			r->flags |= BOMBUS_PROC_PATH_DETACHED;
		}
		if ((r->flags & BOMBUS_PROC_PATH_DETACHED) && dentry == parent)
			return r->path_bytes; /* the root of that filesystem */
		if (r->path_components >= BOMBUS_PATH_COMPONENTS || off > BOMBUS_PATH_MAX - BOMBUS_NAME_MAX)
			break;
		name = BPF_CORE_READ(dentry, d_name.name);
		len = bpf_probe_read_kernel_str(&r->data[off & (BOMBUS_PATH_MAX - 1)], BOMBUS_NAME_MAX, name);
		if (len <= 0) {
			r->flags |= BOMBUS_PROC_PATH_LOOKUP_FAILED;
			return r->path_bytes;
		}
		r->path_bytes = off + len;
		r->path_components++;
		/* A file with no directory (memfd, shmem, see binary_file_flags):
		 * the kernel prints these as "/NAME (deleted)". */
		if (dentry == parent)
			return r->path_bytes;
		dentry = parent;
	}
	r->flags |= BOMBUS_PROC_PATH_TRUNCATED;
	return r->path_bytes;
}

/* Copies the argv area after the names; it is still resident right after
 * exec and fork, which is when this runs. */
static __always_inline void binary_args(struct bombus_process_record *r, struct mm_struct *mm,
					__u32 off)
{
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	__u64 len = end > start ? end - start : 0;

	if (len > BOMBUS_ARGS_MAX) {
		len = BOMBUS_ARGS_MAX;
		r->flags |= BOMBUS_PROC_ARGS_TRUNCATED;
	}
	if (off > BOMBUS_PATH_MAX || len == 0)
		return;
	/* The compiler would drop the mask as redundant after the check above
	 * and use an unchecked copy of off; the barrier keeps it. */
	barrier_var(off);
	if (bpf_probe_read_user(&r->data[off & (2 * BOMBUS_PATH_MAX - 1)], len, (const void *)start) == 0)
		r->args_bytes = len;
	else
		r->flags |= BOMBUS_PROC_ARGS_UNREADABLE;
}

/* The path bpf_d_path gave: @len bytes, NUL included, at most @max (which
 * is less than BOMBUS_PATH_MAX). */
static __always_inline __u32 binary_path_copy(struct bombus_process_record *r, const char *path, long len,
					      long max)
{
	__u32 size;

	if (len <= 0 || len > max)
		return 0;
	/* The check above is on a copy the compiler may reload from the
	 * stack, without its bounds: the mask gives the verifier one. */
	size = len;
	barrier_var(size);
	size &= BOMBUS_PATH_MAX - 1;
	if (bpf_probe_read_kernel(r->data, size, path) < 0)
		return 0;
	r->flags |= BOMBUS_PROC_PATH_FULL;
	r->path_components = 1;
	r->path_bytes = size;
	return size;
}

/*
 * Path and argv of the program @task runs; nothing for kernel threads.
 * @path (@len bytes, at most @max) is the path bpf_d_path gave for this
 * binary, or NULL: then the dentries are walked.
 */
static __always_inline void process_binary(struct bombus_process_record *r, struct task_struct *task,
					   const char *path, long len, long max)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	struct dentry *dentry;
	struct file *exe;
	__u32 off = 0;

	if (!mm)
		return;
	exe = BPF_CORE_READ(mm, exe_file);
	if (!exe)
		return;
	r->flags |= BOMBUS_PROC_HAS_BINARY;
	dentry = BPF_CORE_READ(exe, f_path.dentry);
	if (dentry) {
		binary_file_flags(r, exe, dentry);
		if (path)
			off = binary_path_copy(r, path, len, max);
		if (!off)
			off = binary_path_walk(r, exe, dentry);
	}
	binary_args(r, mm, off);
}

#endif
