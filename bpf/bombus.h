/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Records that cross the kernel/user boundary. This is the one header shared
 * by the BPF programs (which see the types through vmlinux.h) and the daemon
 * (which sees them through <linux/types.h>). Every record starts with a
 * struct bombus_record_header so the consumer can dispatch on kind and check
 * the size before it reads anything else.
 */
#ifndef BOMBUS_H
#define BOMBUS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Bounds on data copied out of the kernel; documented in docs/events.md. */
#define BOMBUS_ARGS_MAX 4096       /* bytes of the argv area (NUL separated) */
#define BOMBUS_PATH_COMPONENTS 48  /* directory levels of binary_path */
#define BOMBUS_NAME_MAX 256        /* bytes of one path component, NUL included */
#define BOMBUS_PATH_MAX 8192       /* bytes of all components (a power of two) */
#define BOMBUS_IOURING_DATA_MAX 4096 /* a path as getname() copied it (PATH_MAX) */
#define BOMBUS_SOCKADDR_MAX 128    /* sizeof(struct sockaddr_storage) */
#define BOMBUS_IMA_HASH_MAX 64     /* bytes of the largest IMA digest (sha512) */
#define BOMBUS_CGROUP_PATH_MAX 1024 /* the kernel's own bound on cgroup tracepoints' paths */
#define BOMBUS_WATCHED_CGROUPS 4096 /* entries of the kernel pre-filter's cgroup set */
#define BOMBUS_CGROUP_LEVELS 32 /* cgroup levels the pre-filter walks up; deeper: not filtered */

enum bombus_record_kind {
	BOMBUS_RECORD_EXEC = 1,
	BOMBUS_RECORD_CLONE = 2,
	BOMBUS_RECORD_EXIT = 3,
	BOMBUS_RECORD_PRIVILEGE = 4,
	BOMBUS_RECORD_IOURING = 5,
	BOMBUS_RECORD_CGROUP = 6,
	BOMBUS_RECORD_KIND_MAX,
};

/* bombus_process_record.secureexec; names in docs/events.md. */
enum bombus_secureexec {
	BOMBUS_SECUREEXEC_SETUID = 1 << 0,
	BOMBUS_SECUREEXEC_SETGID = 1 << 1,
	BOMBUS_SECUREEXEC_FILE_CAPS = 1 << 2,
	BOMBUS_SECUREEXEC_FILELESS_EXEC = 1 << 3,
};

/* bombus_process_record.flags */
enum bombus_process_flags {
	BOMBUS_PROC_HAS_BINARY = 1 << 0,    /* path components and args are present */
	BOMBUS_PROC_PATH_TRUNCATED = 1 << 1, /* more levels than BOMBUS_PATH_COMPONENTS */
	BOMBUS_PROC_PATH_UNLINKED = 1 << 2,  /* the file was deleted: " (deleted)" */
	BOMBUS_PROC_PATH_PSEUDO = 1 << 3,    /* no directory at all (memfd): "/NAME (deleted)" */
	BOMBUS_PROC_ARGS_TRUNCATED = 1 << 4, /* argv area longer than BOMBUS_ARGS_MAX */
	BOMBUS_PROC_PATH_LOOKUP_FAILED = 1 << 5, /* a kernel read failed mid-walk: the path lacks its start */
	/* data holds the whole path as bpf_d_path wrote it (" (deleted)"
	 * included), not names: path_components is 1 */
	BOMBUS_PROC_PATH_FULL = 1 << 6,
	BOMBUS_PROC_HAS_IMA_HASH = 1 << 7, /* ima_algo and ima_hash are set */
	BOMBUS_PROC_ARGS_UNREADABLE = 1 << 8, /* the argv area could not be read */
	/* A clone whose parent's binary the daemon was sent already (its exec
	 * or clone record reached the ring): no strings, the daemon takes them
	 * from the parent's snapshot. */
	BOMBUS_PROC_BINARY_OF_PARENT = 1 << 9,
	/* The file's mounts lead to one detached from every tree (umount -l:
	 * runc re-executes itself so): the names are its path within its
	 * filesystem, "(unreachable)" in front. */
	BOMBUS_PROC_PATH_DETACHED = 1 << 10,
};

/*
 * Event categories, one bit each: what consumers subscribe to. The daemon
 * writes the union of what its consumers want into each monitor's "wanted"
 * map; a hook whose events belong to an unwanted category submits nothing.
 * ProcMon's lifecycle records (exec, clone, exit) are the exception: the
 * process cache needs them whether or not anyone wants the events.
 */
enum bombus_category {
	BOMBUS_CATEGORY_PROCESS = 1 << 0,  /* ProcessExec, ProcessClone, ProcessExit */
	BOMBUS_CATEGORY_PRIVILEGE = 1 << 1, /* ProcessEvent: setuid, setcaps, prctl, user ns, ptrace */
	BOMBUS_CATEGORY_IO_URING = 1 << 2, /* IOUringEvent */
};

/* Per-CPU counters kept by the BPF programs (map "counters"); each names
 * a loss, documented in docs/events.md. */
enum bombus_kernel_counter {
	BOMBUS_COUNTER_RINGBUF_FULL = 0, /* records lost: ring buffer had no room */
	/* execs whose data from before the new program ran had no room (task
	 * storage allocation failed): secureexec without FILE_CAPS, path
	 * walked, no IMA hash */
	BOMBUS_COUNTER_EXEC_DATA_LOST,
	BOMBUS_COUNTER_IMA_HASH_FAILED, /* bpf_ima_file_hash returned an error */
	/* syscall-tracepoint method: a call's entry could not be kept until its
	 * exit (task storage allocation failed): its ProcessEvent is lost */
	BOMBUS_COUNTER_SYSCALL_ENTRY_LOST,
	/* a process's state had no room (task storage allocation failed): its
	 * clones carry their strings, and its exit is sent without the check
	 * that only one of its threads sends it */
	BOMBUS_COUNTER_PROCESS_STATE_LOST,
	/* not a loss: records left out before they took ring space because
	 * every consumer chooses by context and the task runs in no cgroup
	 * watched (the kernel pre-filter, lib/records.h) */
	BOMBUS_COUNTER_FILTERED,
	BOMBUS_COUNTER_MAX,
};

struct bombus_record_header {
	__u16 kind; /* enum bombus_record_kind */
	__u16 size; /* bytes of the whole record, header included */
	__u32 cpu;
	__u64 time_ns; /* CLOCK_BOOTTIME when the hook ran */
};

struct bombus_creds {
	__u32 uid, euid, gid, egid;
	__u32 auid; /* login uid; (__u32)-1 when unset */
	__u32 pad;
	__u64 cap_inheritable, cap_permitted, cap_effective;
};

/* bombus_context.ns[]: the namespaces of a task, in this order. */
enum bombus_namespace {
	BOMBUS_NS_PID = 0, /* the pid namespace the process's pid belongs to (not the one for its children) */
	BOMBUS_NS_MNT,
	BOMBUS_NS_NET,
	BOMBUS_NS_USER, /* of its credentials */
	BOMBUS_NS_UTS,
	BOMBUS_NS_IPC,
	BOMBUS_NS_CGROUP,
	BOMBUS_NS_MAX,
};

/*
 * Where a task runs at the moment of the record: its cgroup of the default
 * (cgroup2) hierarchy and its namespaces. The daemon turns the cgroup id into
 * a path, unit and container (daemon/context/); the path never crosses the
 * ring.
 */
struct bombus_context {
	__u64 cgroup_id; /* kernfs id of the cgroup2 cgroup: its inode number */
	__u32 ns[BOMBUS_NS_MAX]; /* inode numbers, enum bombus_namespace */
	__u32 vpid; /* the process's pid in its own pid namespace */
};

/* bombus_task.flags: which of its fields are known (records from the kernel
 * have them all; what /proc tells the daemon at start-up lacks some). */
enum bombus_task_flags {
	BOMBUS_TASK_EXEC_SEQ = 1 << 0,        /* exec_seq */
	BOMBUS_TASK_PARENT_EXEC_SEQ = 1 << 1, /* parent_exec_seq */
	BOMBUS_TASK_CONTEXT = 1 << 2,         /* context */
};

#define BOMBUS_TASK_FROM_KERNEL (BOMBUS_TASK_EXEC_SEQ | BOMBUS_TASK_PARENT_EXEC_SEQ | BOMBUS_TASK_CONTEXT)

/*
 * A task as it was when a hook ran: which process (pid and the start of its
 * leader: the daemon's key), which thread, which parent, and the objective
 * credentials in force. Every record carries one, so that no event depends
 * on what the daemon remembers for who acted and as whom.
 *
 * exec_seq is the leader's self_exec_id: the kernel counts execs in it (a
 * fork inherits its parent's count), so (pid, start_ns, exec_seq) names one
 * exec or clone of one process: the exec_id of events.
 */
struct bombus_task {
	__u32 pid; /* thread-group id */
	__u32 tid;
	__u32 ppid; /* real_parent's thread-group id */
	__u32 flags; /* enum bombus_task_flags */
	__u64 start_ns; /* CLOCK_BOOTTIME start of the thread-group leader */
	__u64 parent_start_ns;
	__u64 exec_seq;
	__u64 parent_exec_seq;
	struct bombus_creds creds;
	struct bombus_context context;
};

/*
 * Exec, clone and exit: one layout. An exec also carries the binary (path
 * components, leaf first, each NUL-terminated, or the whole path:
 * BOMBUS_PROC_PATH_FULL) followed by the raw argv area; so does a clone whose
 * parent the daemon was never sent (else BOMBUS_PROC_BINARY_OF_PARENT). An
 * exit carries no strings (the mm is gone by then): the daemon has them.
 */
struct bombus_process_record {
	struct bombus_record_header hdr;
	struct bombus_task task; /* tid: the thread that exec'd (exit: the pid) */
	__u32 secureexec;        /* enum bombus_secureexec, exec only */
	__u32 flags;             /* enum bombus_process_flags */
	__u16 path_components; /* how many names data[] holds */
	__u16 path_bytes;      /* bytes of data[] used by the names */
	__u16 args_bytes;      /* bytes of argv following the names */
	__u16 ima_algo;        /* the kernel's enum hash_algo, exec only */
	__u8 ima_hash[BOMBUS_IMA_HASH_MAX]; /* digest, as long as ima_algo's */
	/* names, then argv; sized so the BPF side can bound offsets for the
	 * verifier with a mask (off & (2 * BOMBUS_PATH_MAX - 1)) */
	char data[2 * BOMBUS_PATH_MAX + BOMBUS_ARGS_MAX];
};

/*
 * A cgroup2 cgroup was made: its id and path (from the hierarchy's root,
 * NUL-terminated), so that the daemon knows what the id names even when the
 * cgroup is gone by the time it reads the records of the processes that ran
 * in it. Sent whoever wants what, like the lifecycle records.
 */
struct bombus_cgroup_record {
	struct bombus_record_header hdr;
	__u64 cgroup_id;
	__u32 path_bytes; /* NUL included */
	__u32 pad;
	char path[BOMBUS_CGROUP_PATH_MAX];
};

/* bombus_privilege_record.event: the ProcessEvent family */
enum bombus_privilege_event {
	BOMBUS_PRIV_SETUID = 1,
	BOMBUS_PRIV_SETGID = 2,
	BOMBUS_PRIV_SETCAPS = 3,
	BOMBUS_PRIV_PRCTL = 4,
	BOMBUS_PRIV_CREATE_USER_NS = 5,
	BOMBUS_PRIV_PTRACE_ACCESS_CHECK = 6,
};

#define BOMBUS_TASK_COMM_LEN 16

/* bombus_privilege_record.target_flags */
enum bombus_target_flags {
	BOMBUS_TARGET_KNOWN = 1 << 0, /* target holds the traced task */
	/* only the pid is known, and it is a pid of the initial pid namespace
	 * (the daemon's): the process-vm calls in tracepoint mode */
	BOMBUS_TARGET_PID_ONLY = 1 << 1,
};

/*
 * A privilege change by a process: the acting thread and the credentials in
 * force before the change (the new ones are in the event's own fields); for
 * the events that change nothing, those in force when it happened.
 */
struct bombus_privilege_record {
	struct bombus_record_header hdr;
	struct bombus_task task;
	__u32 event; /* enum bombus_privilege_event */
	__u32 flags; /* LSM_SETID_* (set*id) or PTRACE_MODE_* (ptrace) */
	union {
		struct {
			__u32 id, eid, fsid; /* new uid/euid/fsuid or gid/egid/fsgid */
		} setid;
		struct {
			__u64 effective, inheritable, permitted; /* new sets */
		} caps;
		struct {
			__u32 option;
			__u32 pad;
			__u64 arg2;
			char name[BOMBUS_TASK_COMM_LEN]; /* PR_SET_NAME */
		} prctl;
		struct {
			__u32 target_flags; /* enum bombus_target_flags */
			__u32 pad;
			struct bombus_task target; /* the traced task */
		} ptrace;
	};
};

/* bombus_iouring_record.info: what data[] holds. */
enum bombus_iouring_info {
	BOMBUS_IOURING_INFO_NONE = 0,     /* nothing: the opcode has no op_info */
	BOMBUS_IOURING_INFO_OPEN = 1,     /* NUL-terminated path; open_flags set */
	BOMBUS_IOURING_INFO_PATH = 2,     /* NUL-terminated path */
	BOMBUS_IOURING_INFO_SOCKADDR = 3, /* a struct sockaddr of data_bytes bytes */
};

/* bombus_iouring_record.flags */
enum bombus_iouring_flags {
	BOMBUS_IOURING_DATA_UNREADABLE = 1 << 0, /* a kernel read failed: op_info incomplete */
	BOMBUS_IOURING_NOT_SOCKET = 1 << 1,      /* accept on a descriptor that is no socket */
};

/*
 * One io_uring request, sent when it is submitted (after the kernel prepared
 * it). The task is the submitting thread: the io_uring_enter() caller, or for
 * an SQPOLL ring the ring's kernel thread, a thread of the owning process
 * (see bpf/iouringmon.bpf.c).
 */
struct bombus_iouring_record {
	struct bombus_record_header hdr;
	struct bombus_task task;
	__u8 opcode;      /* IORING_OP_* */
	__u8 info;        /* enum bombus_iouring_info */
	__u16 data_bytes; /* bytes of data[] sent */
	__u32 flags;      /* enum bombus_iouring_flags */
	__u64 open_flags; /* open_how.flags, BOMBUS_IOURING_INFO_OPEN only */
	char data[BOMBUS_IOURING_DATA_MAX];
};

#endif /* BOMBUS_H */
