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

enum bombus_record_kind {
	BOMBUS_RECORD_EXEC = 1,
	BOMBUS_RECORD_CLONE = 2,
	BOMBUS_RECORD_EXIT = 3,
	BOMBUS_RECORD_PRIVILEGE = 4,
	BOMBUS_RECORD_IOURING = 5,
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
	BOMBUS_PROC_PATH_LOOKUP_FAILED = 1 << 5, /* a kernel read failed mid-walk */
	/* data holds the whole path as bpf_d_path wrote it (" (deleted)"
	 * included), not names: path_components is 1 */
	BOMBUS_PROC_PATH_FULL = 1 << 6,
	BOMBUS_PROC_HAS_IMA_HASH = 1 << 7, /* ima_algo and ima_hash are set */
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

/* Per-CPU counters kept by the BPF programs (map "counters"). */
enum bombus_kernel_counter {
	BOMBUS_COUNTER_RINGBUF_FULL = 0, /* records lost: ring buffer had no room */
	/* execs whose bprm_committing_creds data had no room (task storage
	 * allocation failed): path walked and secureexec from the syscall
	 * entry instead, no IMA hash */
	BOMBUS_COUNTER_EXEC_DATA_LOST,
	BOMBUS_COUNTER_IMA_HASH_FAILED, /* bpf_ima_file_hash returned an error */
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

/*
 * Exec, clone and exit: one layout. For exec and clone the kernel also sends
 * the binary (path components, leaf first, each NUL-terminated, or the whole
 * path: BOMBUS_PROC_PATH_FULL) followed by the raw argv area; exit carries no
 * strings because the mm is gone by then, and the daemon takes them from its
 * process cache.
 */
struct bombus_process_record {
	struct bombus_record_header hdr;
	__u32 pid; /* thread-group id */
	__u32 tid;
	__u32 ppid;
	__u32 secureexec; /* enum bombus_secureexec, exec only */
	__u64 start_ns;   /* CLOCK_BOOTTIME start of the thread-group leader */
	__u64 parent_start_ns;
	struct bombus_creds creds;
	__u32 flags;           /* enum bombus_process_flags */
	__u16 path_components; /* how many names data[] holds */
	__u16 path_bytes;      /* bytes of data[] used by the names */
	__u16 args_bytes;      /* bytes of argv following the names */
	__u16 ima_algo;        /* the kernel's enum hash_algo, exec only */
	__u16 pad[2];
	__u8 ima_hash[BOMBUS_IMA_HASH_MAX]; /* digest, as long as ima_algo's */
	/* names, then argv; sized so the BPF side can bound offsets for the
	 * verifier with a mask (off & (2 * BOMBUS_PATH_MAX - 1)) */
	char data[2 * BOMBUS_PATH_MAX + BOMBUS_ARGS_MAX];
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

/*
 * A privilege change by a process. The process itself is identified by pid
 * and start time; the daemon takes its object from the process cache.
 */
struct bombus_privilege_record {
	struct bombus_record_header hdr;
	__u32 pid; /* thread-group id */
	__u32 tid;
	__u64 start_ns; /* CLOCK_BOOTTIME start of the thread-group leader */
	__u32 event;    /* enum bombus_privilege_event */
	__u32 flags;    /* LSM_SETID_* (set*id) or PTRACE_MODE_* (ptrace) */
	/* The caller's credentials when the hook ran: before the change for
	 * LSM/fentry, after it for syscall tracepoints. Used only when the
	 * daemon does not know the process. */
	struct bombus_creds creds;
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
			__u32 pid;      /* the traced process */
			__u32 pad;
			__u64 start_ns; /* 0 when the hook cannot tell */
		} target;
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
 * it). The identity is that of the process owning the submission: the
 * io_uring_enter() caller, or for an SQPOLL ring the process whose kernel
 * thread submits (see bpf/iouringmon.bpf.c).
 */
struct bombus_iouring_record {
	struct bombus_record_header hdr;
	__u32 pid;        /* thread-group id */
	__u32 tid;        /* the submitting thread (an io_uring kernel thread for SQPOLL) */
	__u64 start_ns;   /* CLOCK_BOOTTIME start of the thread-group leader */
	__u8 opcode;      /* IORING_OP_* */
	__u8 info;        /* enum bombus_iouring_info */
	__u16 data_bytes; /* bytes of data[] sent */
	__u32 flags;      /* enum bombus_iouring_flags */
	__u64 open_flags; /* open_how.flags, BOMBUS_IOURING_INFO_OPEN only */
	char data[BOMBUS_IOURING_DATA_MAX];
};

#endif /* BOMBUS_H */
