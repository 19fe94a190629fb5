// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOUringMon, kernel half: every io_uring request when it is submitted.
 *
 * Hook (the daemon picks the method, see daemon/iouringmon.c):
 *   submit  tp_btf/io_uring_submit_req (6.4 and later) or
 *           tp_btf/io_uring_submit_sqe (6.0 to 6.3): both fire in
 *           io_submit_sqe() right after io_init_req() has prepared the
 *           request, and both pass it first (struct io_kiocb *).
 *
 * Submissions happen in the io_uring_enter() caller or, for an SQPOLL ring,
 * in the ring's "iou-sqp" kernel thread. That thread is created with
 * CLONE_THREAD by the process that set the ring up (and the kernel refuses to
 * share it with another thread group), so its tgid and group leader are those
 * of the owning process on every kernel: current's identity is the owner's.
 * io-wq workers ("iou-wrk") execute requests but never submit them.
 *
 * Own ring buffer and counters (lib/records.h gives each object its own): an
 * io_uring flood fills this buffer, never ProcMon's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "bombus.h"
#include "lib/records.h"
#include "lib/task.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_UNIX		 1
#define AF_INET		 2
#define AF_INET6	 10
#define S_IFMT		 00170000
#define S_IFSOCK	 0140000
#define REQ_F_FIXED_FILE 1 /* = IOSQE_FIXED_FILE, bit 0 on every kernel */
/* Fixed file pointers keep FFS_* flags in their low bits (two or three of
 * them depending on the kernel); a struct file is aligned far beyond that. */
#define FIXED_FILE_PTR_FLAGS 7UL

/* Which opcodes are reported: nonzero at index IORING_OP_*. Global data
 * (the object's .bss array map), set by the daemon before load and changed at
 * run time through its memory mapping as subscriptions come and go: a
 * disabled opcode costs one load from it and submits nothing. */
__u8 enabled_opcodes[256];

/* Records are built here: they are too large for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bombus_iouring_record);
} scratch SEC(".maps");

/* Before 6.13 the fixed file table was an array of tagged pointers. */
struct io_fixed_file___pre_6_13 {
	unsigned long file_ptr;
} __attribute__((preserve_access_index));

struct io_file_table___pre_6_13 {
	struct io_fixed_file___pre_6_13 *files;
} __attribute__((preserve_access_index));

struct io_ring_ctx___pre_6_13 {
	unsigned int nr_user_files;
	struct io_file_table___pre_6_13 file_table;
} __attribute__((preserve_access_index));

/* The path getname() copied into the kernel during the prep. */
static __always_inline void path_from_filename(struct bombus_iouring_record *r, struct filename *name)
{
	long n;

	if (!name)
		return; /* an empty path with AT_EMPTY_PATH */
	n = bpf_probe_read_kernel_str(r->data, sizeof(r->data), BPF_CORE_READ(name, name));
	if (n < 0)
		r->flags |= BOMBUS_IOURING_DATA_UNREADABLE;
	else
		r->data_bytes = n;
}

/*
 * IORING_OP_CONNECT: the address as the caller gave it. The kernel's own copy
 * cannot be located portably: before 6.10 it is made only at issue, from
 * 6.10 it sits in req->async_data as a struct io_async_msghdr, and later
 * kernels (6.18.y among them) make async_data a bare struct
 * sockaddr_storage, a change BTF does not show. The caller's buffer is the
 * one the prep copied from a moment earlier in this same submission (so it
 * is resident: the read cannot fault).
 */
static __always_inline void connect_addr(struct bombus_iouring_record *r, struct io_kiocb *req)
{
	struct io_connect *conn = (void *)&req->cmd;
	int len = BPF_CORE_READ(conn, addr_len);
	__u32 n;

	if (len <= 0)
		return;
	n = len < BOMBUS_SOCKADDR_MAX ? len : BOMBUS_SOCKADDR_MAX;
	if (bpf_probe_read_user(r->data, n, BPF_CORE_READ(conn, addr)))
		r->flags |= BOMBUS_IOURING_DATA_UNREADABLE;
	else
		r->data_bytes = n;
}

/* Fixed (registered) file @index of the ring. */
static __always_inline struct file *fixed_file(struct io_ring_ctx *ctx, __u32 index)
{
	unsigned long ptr = 0;

	if (bpf_core_field_exists(struct io_ring_ctx___pre_6_13, nr_user_files)) {
		struct io_ring_ctx___pre_6_13 *old = (void *)ctx;
		struct io_fixed_file___pre_6_13 *files;

		if (index >= BPF_CORE_READ(old, nr_user_files))
			return NULL;
		files = BPF_CORE_READ(old, file_table.files);
		bpf_core_read(&ptr, sizeof(ptr), &files[index].file_ptr);
	} else {
		struct io_rsrc_node *node = NULL, **nodes;

		if (index >= BPF_CORE_READ(ctx, file_table.data.nr))
			return NULL;
		nodes = BPF_CORE_READ(ctx, file_table.data.nodes);
		bpf_probe_read_kernel(&node, sizeof(node), &nodes[index]);
		if (!node)
			return NULL;
		ptr = BPF_CORE_READ(node, file_ptr);
	}
	return (struct file *)(ptr & ~FIXED_FILE_PTR_FLAGS);
}

/* The file a request names: the kernel looks it up only at issue, so at
 * submission it is still a descriptor of the submitter (an SQPOLL thread
 * shares its owner's table) or an index into the ring's fixed files. */
static __always_inline struct file *request_file(struct io_kiocb *req, struct task_struct *task)
{
	int fd = BPF_CORE_READ(req, cqe.fd);
	struct file **fds, *file = NULL;
	struct fdtable *fdt;

	if (BPF_CORE_READ_BITFIELD_PROBED(req, flags) & REQ_F_FIXED_FILE)
		return fixed_file(BPF_CORE_READ(req, ctx), fd);
	fdt = BPF_CORE_READ(task, files, fdt);
	if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/*
 * IORING_OP_ACCEPT: the peer is known only once the request completes, so the
 * record carries the listening socket's own address, as a struct sockaddr.
 */
static __always_inline void accept_addr(struct bombus_iouring_record *r, struct io_kiocb *req,
					struct task_struct *task)
{
	struct file *file = request_file(req, task);
	struct socket *sock;
	struct sock *sk;
	__u16 family;

	if (!file) {
		r->flags |= BOMBUS_IOURING_DATA_UNREADABLE;
		return;
	}
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK) {
		r->flags |= BOMBUS_IOURING_NOT_SOCKET;
		return;
	}
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)r->data;

		__builtin_memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_port = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
		sin->sin_addr.s_addr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		r->data_bytes = sizeof(*sin);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (void *)r->data;

		__builtin_memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
		sin6->sin6_addr = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		sin6->sin6_scope_id = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
		r->data_bytes = sizeof(*sin6);
	} else if (family == AF_UNIX) {
		struct unix_address *addr = BPF_CORE_READ((struct unix_sock *)sk, addr);
		__u32 len = addr ? BPF_CORE_READ(addr, len) : 0;

		if (len > sizeof(struct sockaddr_un))
			len = sizeof(struct sockaddr_un);
		if (len < sizeof(__u16) || bpf_core_read(r->data, len, &addr->name)) {
			/* unbound: the family alone */
			*(__u16 *)r->data = AF_UNIX;
			len = sizeof(__u16);
		}
		r->data_bytes = len;
	} else {
		*(__u16 *)r->data = family;
		r->data_bytes = sizeof(__u16);
	}
}

static __always_inline int on_submit(struct io_kiocb *req)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct bombus_iouring_record *r;
	__u8 opcode = req->opcode; /* a plain load: @req is the tracepoint's typed argument */
	__u32 zero = 0;
	__u64 size;

	if (!enabled_opcodes[opcode] || !category_wanted(BOMBUS_CATEGORY_IO_URING) || !context_watched(task))
		return 0;
	r = bpf_map_lookup_elem(&scratch, &zero);
	if (!r)
		return 0;
	record_header_init(&r->hdr, BOMBUS_RECORD_IOURING);
	/* Who submitted, as whom, now: the daemon's snapshot of the process
	 * has only what its exec or clone left. */
	task_read(&r->task, task);
	r->opcode = opcode;
	r->info = BOMBUS_IOURING_INFO_NONE;
	r->data_bytes = 0;
	r->open_flags = 0;
	r->flags = 0;

	switch (r->opcode) {
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2: {
		struct io_open *open = (void *)&req->cmd;

		r->info = BOMBUS_IOURING_INFO_OPEN;
		r->open_flags = BPF_CORE_READ(open, how.flags);
		path_from_filename(r, BPF_CORE_READ(open, filename));
		break;
	}
	case IORING_OP_STATX:
		r->info = BOMBUS_IOURING_INFO_PATH;
		path_from_filename(r, BPF_CORE_READ((struct io_statx *)&req->cmd, filename));
		break;
	case IORING_OP_UNLINKAT:
		r->info = BOMBUS_IOURING_INFO_PATH;
		path_from_filename(r, BPF_CORE_READ((struct io_unlink *)&req->cmd, filename));
		break;
	case IORING_OP_CONNECT:
		r->info = BOMBUS_IOURING_INFO_SOCKADDR;
		connect_addr(r, req);
		break;
	case IORING_OP_ACCEPT:
		r->info = BOMBUS_IOURING_INFO_SOCKADDR;
		accept_addr(r, req, task);
		break;
	default:
		break;
	}

	/* The compiler would check one copy of the size and pass another. */
	size = r->data_bytes;
	barrier_var(size);
	if (size > sizeof(r->data))
		return 0;
	size += offsetof(struct bombus_iouring_record, data);
	r->hdr.size = size;
	record_submit(r, size);
	return 0;
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(submit_req, struct io_kiocb *req)
{
	return on_submit(req);
}

SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(submit_sqe, struct io_kiocb *req, bool force_nonblock)
{
	return on_submit(req);
}
