// SPDX-License-Identifier: GPL-2.0-only
/*
 * ProcMon, kernel half of the ProcessEvent family: privilege changes.
 *
 * Each hook has three implementations, chosen per hook by the daemon
 * (daemon/procmon-privilege.c):
 *   LSM      lsm/HOOK, the hook the reference system uses;
 *   fentry   fentry/security_HOOK, the same function where BPF LSM is off;
 *   syscall  tracepoints at syscall entry and exit, reporting only calls that
 *            succeeded, with the values the kernel applied (read back from
 *            the task's credentials after the call).
 * What the syscall variant cannot see is listed in docs/events.md.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "bombus.h"
#include "lib/records.h"
#include "lib/task.h"

char LICENSE[] SEC("license") = "GPL";

/* bombusd's own process: its /proc reads would report it endlessly. */
const volatile __u32 self_tgid = 0;

#define LSM_SETID_ID 1
#define LSM_SETID_RE 2
#define LSM_SETID_RES 4
#define LSM_SETID_FS 8

#define PTRACE_MODE_ATTACH_REALCREDS (0x02 | 0x10)
#define PTRACE_ATTACH 16
#define PTRACE_SEIZE 0x4206
#define PR_SET_NAME 15
#define CLONE_NEWUSER 0x10000000
#define ENOSYS 38

static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/* Starts a record for the current task; false for bombusd itself and when no
 * consumer wants privilege events. @before: the task as the syscall entry
 * saw it (syscall tracepoints: the credentials before the change); NULL:
 * now, which is before the change in LSM and fentry hooks. */
static __always_inline bool privilege_begin(struct bombus_privilege_record *r, __u32 event, __u32 flags,
					    const struct bombus_task *before)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if ((__u32)(pid_tgid >> 32) == self_tgid || !category_wanted(BOMBUS_CATEGORY_PRIVILEGE) ||
	    !context_watched(current_task()))
		return false;
	__builtin_memset(r, 0, sizeof(*r));
	record_header_init(&r->hdr, BOMBUS_RECORD_PRIVILEGE);
	r->hdr.size = sizeof(*r);
	if (before)
		r->task = *before;
	else
		task_read(&r->task, current_task());
	r->event = event;
	r->flags = flags;
	return true;
}

static __always_inline void privilege_submit(struct bombus_privilege_record *r)
{
	record_submit(r, sizeof(*r));
}

/* ---- the reports, shared by all implementations ---- */

static __always_inline void report_setid(__u32 event, const struct cred *new, __u32 flags,
					 const struct bombus_task *before)
{
	struct bombus_privilege_record r;

	if (!privilege_begin(&r, event, flags, before))
		return;
	if (event == BOMBUS_PRIV_SETUID) {
		r.setid.id = BPF_CORE_READ(new, uid.val);
		r.setid.eid = BPF_CORE_READ(new, euid.val);
		r.setid.fsid = BPF_CORE_READ(new, fsuid.val);
	} else {
		r.setid.id = BPF_CORE_READ(new, gid.val);
		r.setid.eid = BPF_CORE_READ(new, egid.val);
		r.setid.fsid = BPF_CORE_READ(new, fsgid.val);
	}
	privilege_submit(&r);
}

static __always_inline void report_caps(__u64 effective, __u64 inheritable, __u64 permitted,
					const struct bombus_task *before)
{
	struct bombus_privilege_record r;

	if (!privilege_begin(&r, BOMBUS_PRIV_SETCAPS, 0, before))
		return;
	r.caps.effective = effective;
	r.caps.inheritable = inheritable;
	r.caps.permitted = permitted;
	privilege_submit(&r);
}

static __always_inline void report_prctl(__u32 option, __u64 arg2, const char *name,
					 const struct bombus_task *before)
{
	struct bombus_privilege_record r;

	if (!privilege_begin(&r, BOMBUS_PRIV_PRCTL, 0, before))
		return;
	r.prctl.option = option;
	r.prctl.arg2 = arg2;
	if (name)
		__builtin_memcpy(r.prctl.name, name, sizeof(r.prctl.name));
	privilege_submit(&r);
}

/* PR_SET_NAME's argument, read from the caller's memory. */
static __always_inline void read_prctl_name(char name[BOMBUS_TASK_COMM_LEN], __u32 option, __u64 arg2)
{
	if (option != PR_SET_NAME || bpf_probe_read_user_str(name, BOMBUS_TASK_COMM_LEN, (const void *)arg2) < 0)
		name[0] = '\0';
}

static __always_inline void report_userns(const struct bombus_task *before)
{
	struct bombus_privilege_record r;

	if (privilege_begin(&r, BOMBUS_PRIV_CREATE_USER_NS, 0, before))
		privilege_submit(&r);
}

/* @target: the traced task, NULL when only @target_pid is known (a pid of
 * the initial namespace, @pid_only) or nothing is. */
static __always_inline void report_ptrace(struct task_struct *target, __u32 target_pid, bool pid_only,
					  __u32 mode, const struct bombus_task *before)
{
	struct bombus_privilege_record r;

	if (!privilege_begin(&r, BOMBUS_PRIV_PTRACE_ACCESS_CHECK, mode, before))
		return;
	if (target) {
		task_read(&r.ptrace.target, target);
		r.ptrace.target_flags = BOMBUS_TARGET_KNOWN;
	} else if (pid_only) {
		r.ptrace.target.pid = r.ptrace.target.tid = target_pid;
		r.ptrace.target_flags = BOMBUS_TARGET_PID_ONLY;
	}
	privilege_submit(&r);
}

/* ---- LSM and fentry: the same bodies at the same kernel function ---- */

/* Defines lsm/HOOK and fentry/security_HOOK programs running BODY; LSM
 * programs return the hook's "no opinion" value. */
#define LSM_AND_FENTRY(hook, name, lsm_ret, body, ...)          \
	LSM_AND_FENTRY_ON(hook, security_##hook, name, lsm_ret, body, __VA_ARGS__)

/* For a hook whose security_ function is not named after it. */
#define LSM_AND_FENTRY_ON(hook, function, name, lsm_ret, body, ...) \
	SEC("lsm/" #hook)                                       \
	int BPF_PROG(name##_lsm, __VA_ARGS__)                   \
	{                                                       \
		body;                                           \
		return lsm_ret;                                 \
	}                                                       \
	SEC("fentry/" #function)                                \
	int BPF_PROG(name##_fentry, __VA_ARGS__)                \
	{                                                       \
		body;                                           \
		return 0;                                       \
	}

LSM_AND_FENTRY(task_fix_setuid, setuid, 0, report_setid(BOMBUS_PRIV_SETUID, new, flags, NULL), struct cred *new,
	       const struct cred *old, int flags)

LSM_AND_FENTRY(task_fix_setgid, setgid, 0, report_setid(BOMBUS_PRIV_SETGID, new, flags, NULL), struct cred *new,
	       const struct cred *old, int flags)

LSM_AND_FENTRY(capset, capset, 0,
	       report_caps(read_caps(effective), read_caps(inheritable), read_caps(permitted), NULL),
	       struct cred *new, const struct cred *old, const kernel_cap_t *effective,
	       const kernel_cap_t *inheritable, const kernel_cap_t *permitted)

/* task_prctl: any value but -ENOSYS would make prctl() return at once without
 * doing its work. */
LSM_AND_FENTRY(task_prctl, prctl, -ENOSYS,
	       char name[BOMBUS_TASK_COMM_LEN];
	       read_prctl_name(name, option, arg2); report_prctl(option, arg2, name, NULL), int option,
	       unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)

LSM_AND_FENTRY_ON(userns_create, security_create_user_ns, userns, 0, report_userns(NULL), const struct cred *cred)

LSM_AND_FENTRY(ptrace_access_check, ptrace, 0, report_ptrace(child, 0, false, mode, NULL),
	       struct task_struct *child, unsigned int mode)

/* ---- syscall tracepoints: arguments kept from entry to exit ---- */

/* A call between its entry and its exit, in the calling thread's local
 * storage: freed with the thread, never evicted. */
struct pending_syscall {
	bool valid; /* entered, exit not yet seen */
	__u32 event;
	__u32 flags;
	__u64 arg0, arg1;
	__u32 fsid_before; /* setfs*id: report only a change */
	char name[BOMBUS_TASK_COMM_LEN];
	struct bombus_task before; /* the caller at entry: credentials before the change */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending_syscall);
} pending_syscalls SEC(".maps");

/* The current thread's entry slot; NULL (counted) when there is no room. */
static __always_inline struct pending_syscall *pending_enter(__u32 event)
{
	struct pending_syscall *p = bpf_task_storage_get(&pending_syscalls, bpf_get_current_task_btf(), NULL,
							 BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!p) {
		count(BOMBUS_COUNTER_SYSCALL_ENTRY_LOST);
		return NULL;
	}
	p->valid = true;
	p->event = event;
	p->flags = 0;
	p->arg0 = p->arg1 = 0;
	p->fsid_before = 0;
	p->name[0] = '\0';
	task_read(&p->before, current_task());
	return p;
}

/* The call this thread entered, marked taken; NULL if none. */
static __always_inline struct pending_syscall *pending_take(void)
{
	struct pending_syscall *p = bpf_task_storage_get(&pending_syscalls, bpf_get_current_task_btf(), NULL, 0);

	if (!p || !p->valid)
		return NULL;
	p->valid = false;
	return p;
}

static __always_inline const struct cred *current_cred(void)
{
	return BPF_CORE_READ(current_task(), real_cred);
}

static __always_inline __u32 current_fsid(__u32 event)
{
	const struct cred *cred = current_cred();

	return event == BOMBUS_PRIV_SETUID ? BPF_CORE_READ(cred, fsuid.val) : BPF_CORE_READ(cred, fsgid.val);
}

static __always_inline int setid_enter(__u32 event, __u32 flags)
{
	struct pending_syscall *p = pending_enter(event);

	if (!p)
		return 0;
	p->flags = flags;
	if (flags == LSM_SETID_FS)
		p->fsid_before = current_fsid(event);
	return 0;
}

static __always_inline int setid_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pending_syscall *p = pending_take();

	if (!p)
		return 0;
	/* setfs*id returns the previous value, not an error: it applied when
	 * the value changed. */
	if (p->flags == LSM_SETID_FS ? current_fsid(p->event) == p->fsid_before : ctx->ret != 0)
		return 0;
	report_setid(p->event, current_cred(), p->flags, &p->before);
	return 0;
}

#define SETID_SYSCALL(sys, event, flags)                                         \
	SEC("tracepoint/syscalls/sys_enter_" #sys)                               \
	int sys##_enter(struct trace_event_raw_sys_enter *ctx)                   \
	{                                                                        \
		return setid_enter(event, flags);                                \
	}                                                                        \
	SEC("tracepoint/syscalls/sys_exit_" #sys)                                \
	int sys##_exit(struct trace_event_raw_sys_exit *ctx)                     \
	{                                                                        \
		return setid_exit(ctx);                                          \
	}

SETID_SYSCALL(setuid, BOMBUS_PRIV_SETUID, LSM_SETID_ID)
SETID_SYSCALL(setreuid, BOMBUS_PRIV_SETUID, LSM_SETID_RE)
SETID_SYSCALL(setresuid, BOMBUS_PRIV_SETUID, LSM_SETID_RES)
SETID_SYSCALL(setfsuid, BOMBUS_PRIV_SETUID, LSM_SETID_FS)
SETID_SYSCALL(setgid, BOMBUS_PRIV_SETGID, LSM_SETID_ID)
SETID_SYSCALL(setregid, BOMBUS_PRIV_SETGID, LSM_SETID_RE)
SETID_SYSCALL(setresgid, BOMBUS_PRIV_SETGID, LSM_SETID_RES)
SETID_SYSCALL(setfsgid, BOMBUS_PRIV_SETGID, LSM_SETID_FS)

/* Saves the entry of a syscall whose exit reports it. */
static __always_inline int enter_with(__u32 event, __u64 arg0, __u64 arg1)
{
	struct pending_syscall *p = pending_enter(event);

	if (!p)
		return 0;
	p->arg0 = arg0;
	p->arg1 = arg1;
	if (event == BOMBUS_PRIV_PRCTL)
		read_prctl_name(p->name, (__u32)arg0, arg1);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_capset")
int capset_enter(struct trace_event_raw_sys_enter *ctx)
{
	return enter_with(BOMBUS_PRIV_SETCAPS, 0, 0);
}

SEC("tracepoint/syscalls/sys_exit_capset")
int capset_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pending_syscall *p = pending_take();
	const struct cred *cred;

	if (!p || ctx->ret != 0)
		return 0;
	cred = current_cred();
	report_caps(read_caps(&cred->cap_effective), read_caps(&cred->cap_inheritable),
		    read_caps(&cred->cap_permitted), &p->before);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_prctl")
int prctl_enter(struct trace_event_raw_sys_enter *ctx)
{
	return enter_with(BOMBUS_PRIV_PRCTL, ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_prctl")
int prctl_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pending_syscall *p = pending_take();

	if (!p || ctx->ret < 0)
		return 0;
	/* The name the call set is the thread's name now: exact, where the
	 * caller's memory read at entry may have found its page not resident. */
	if ((__u32)p->arg0 == PR_SET_NAME)
		bpf_get_current_comm(p->name, sizeof(p->name));
	report_prctl((__u32)p->arg0, p->arg1, p->name, &p->before);
	return 0;
}

/* User namespaces: unshare() returns 0 in the caller; clone() and clone3()
 * return the child's pid in the caller (and 0 in the child, not reported). */
static __always_inline int userns_enter(__u64 flags)
{
	return flags & CLONE_NEWUSER ? enter_with(BOMBUS_PRIV_CREATE_USER_NS, flags, 0) : 0;
}

static __always_inline int userns_exit(struct trace_event_raw_sys_exit *ctx, bool returns_pid)
{
	struct pending_syscall *p = pending_take();
	long ret = ctx->ret;

	if (!p || (returns_pid ? ret <= 0 : ret != 0))
		return 0;
	report_userns(&p->before);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_unshare")
int unshare_enter(struct trace_event_raw_sys_enter *ctx)
{
	return userns_enter(ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_exit_unshare")
int unshare_exit(struct trace_event_raw_sys_exit *ctx)
{
	return userns_exit(ctx, false);
}

SEC("tracepoint/syscalls/sys_enter_clone")
int clone_enter(struct trace_event_raw_sys_enter *ctx)
{
	return userns_enter(ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_exit_clone")
int clone_exit(struct trace_event_raw_sys_exit *ctx)
{
	return userns_exit(ctx, true);
}

SEC("tracepoint/syscalls/sys_enter_clone3")
int clone3_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 flags = 0; /* struct clone_args starts with the flags */

	bpf_probe_read_user(&flags, sizeof(flags), (const void *)ctx->args[0]);
	return userns_enter(flags);
}

SEC("tracepoint/syscalls/sys_exit_clone3")
int clone3_exit(struct trace_event_raw_sys_exit *ctx)
{
	return userns_exit(ctx, true);
}

/* ptrace attach/seize and process_vm_readv/writev: the kernel checks
 * PTRACE_MODE_ATTACH_REALCREDS for each. Their pid argument is a pid of the
 * caller's pid namespace, not the initial one. */
SEC("tracepoint/syscalls/sys_enter_ptrace")
int ptrace_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 request = ctx->args[0];

	if (request != PTRACE_ATTACH && request != PTRACE_SEIZE)
		return 0;
	return enter_with(BOMBUS_PRIV_PTRACE_ACCESS_CHECK, ctx->args[1], 0);
}

/* A successful attach links the tracee at the head of the tracer thread's
 * ptraced list: the traced task itself, whatever namespace named it. */
SEC("tracepoint/syscalls/sys_exit_ptrace")
int ptrace_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pending_syscall *p = pending_take();
	struct task_struct *tracer = current_task(), *tracee = NULL;
	struct list_head *newest;

	if (!p || ctx->ret < 0)
		return 0;
	newest = BPF_CORE_READ(tracer, ptraced.next);
	if (newest && newest != &tracer->ptraced)
		tracee = container_of(newest, struct task_struct, ptrace_entry);
	report_ptrace(tracee, 0, false, PTRACE_MODE_ATTACH_REALCREDS, &p->before);
	return 0;
}

/* The process-vm calls leave no trace of their target: its pid is only
 * meaningful to the daemon when the caller is in the initial pid namespace. */
static __always_inline int vm_access_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pending_syscall *p = pending_take();
	bool initial_ns;

	if (!p || ctx->ret < 0)
		return 0;
	initial_ns = BPF_CORE_READ(current_task(), thread_pid, level) == 0;
	report_ptrace(NULL, (__u32)p->arg0, initial_ns, PTRACE_MODE_ATTACH_REALCREDS, &p->before);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_process_vm_readv")
int vm_readv_enter(struct trace_event_raw_sys_enter *ctx)
{
	return enter_with(BOMBUS_PRIV_PTRACE_ACCESS_CHECK, ctx->args[0], 0);
}

SEC("tracepoint/syscalls/sys_exit_process_vm_readv")
int vm_readv_exit(struct trace_event_raw_sys_exit *ctx)
{
	return vm_access_exit(ctx);
}

SEC("tracepoint/syscalls/sys_enter_process_vm_writev")
int vm_writev_enter(struct trace_event_raw_sys_enter *ctx)
{
	return enter_with(BOMBUS_PRIV_PTRACE_ACCESS_CHECK, ctx->args[0], 0);
}

SEC("tracepoint/syscalls/sys_exit_process_vm_writev")
int vm_writev_exit(struct trace_event_raw_sys_exit *ctx)
{
	return vm_access_exit(ctx);
}
