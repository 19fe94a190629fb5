// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-load.h"
#include "daemon.h"
#include "ima.h"
#include "log.h"
#include "procmon.bpf.skel.h"
#include "procmon.h"
#include "monitor.h"
#include "procmon-privilege.h"
#include "text.h"

#define SECURITYFS "/sys/kernel/security"

/* LSM and fentry: see bpf/lib/exec.h for why fentry needs security_file_open. */
static const struct hook_method exec_creds_methods[] = {
	{ ATTACH_LSM, "bprm_committing_creds", { "exec_creds_lsm" } },
	{ ATTACH_FENTRY, "security_bprm_committing_creds", { "exec_creds_fentry", "exec_open_fentry" } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_execve", { "exec_creds_tp", "exec_creds_tp_at" } },
};
/* bpf_ima_file_hash is for sleepable LSM programs only. */
static const struct hook_method ima_hash_methods[] = {
	{ ATTACH_LSM_SLEEPABLE, "bprm_committed_creds", { "ima_hash_lsm" } },
};
static const struct hook_method exec_methods[] = {
	{ ATTACH_TP_BTF, "sched_process_exec", { "exec_tp_btf" } },
};
static const struct hook_method fork_methods[] = {
	{ ATTACH_TP_BTF, "sched_process_fork", { "fork_tp_btf" } },
};
static const struct hook_method exit_methods[] = {
	{ ATTACH_TP_BTF, "sched_process_exit", { "exit_tp_btf" } },
};

#define HOOK(n, m, ...) { .name = n, .methods = m, .n_methods = ELEMENTSOF(m), __VA_ARGS__ }

/* exec_creds only tells which privileges exec granted through file
 * capabilities, and in LSM and fentry modes gives the path by d_path (else
 * walked): the config file may leave it out. ima_hash needs what not every
 * kernel has, and is only loaded when asked for. */
enum { HOOK_IMA_HASH = 1 };
static const struct hook procmon_hook_table[] = {
	HOOK("exec_creds", exec_creds_methods, .optional = true),
	[HOOK_IMA_HASH] = HOOK("ima_hash", ima_hash_methods, .optional = true, .best_effort = true),
	HOOK("exec", exec_methods),
	HOOK("fork", fork_methods),
	HOOK("exit", exit_methods),
};

struct procmon {
	struct monitor monitor;
	struct daemon *daemon;
	struct procmon_bpf *skel;
	struct hook hooks[ELEMENTSOF(procmon_hook_table)];
};

static void identity_from_record(struct process *p, const struct bombus_process_record *r)
{
	/* Exits usually change nothing: keep the cached JSON then. */
	if (p->tid == r->tid && p->ppid == r->ppid && p->parent_start_ns == r->parent_start_ns &&
	    memcmp(&p->creds, &r->creds, sizeof(p->creds)) == 0)
		return;
	p->tid = r->tid;
	p->ppid = r->ppid;
	p->parent_start_ns = r->parent_start_ns;
	p->creds = r->creds;
	process_changed(p);
}

/* "ALGO:HEX", or NULL: no hash, or one of an algorithm this bombus does not
 * know (said once). */
static char *ima_hash_from_record(const struct bombus_process_record *r)
{
	static bool warned;
	char *hash;

	if (!(r->flags & BOMBUS_PROC_HAS_IMA_HASH))
		return NULL;
	hash = ima_hash_to_string(r->ima_algo, r->ima_hash, sizeof(r->ima_hash));
	if (!hash && errno == EINVAL && !warned) {
		log_warning("IMA hashes of algorithm %u are left out of events: unknown algorithm", r->ima_algo);
		warned = true;
	}
	return hash;
}

static int binary_from_record(struct process *p, const struct bombus_process_record *r)
{
	bool pseudo = r->flags & BOMBUS_PROC_PATH_PSEUDO, unlinked = r->flags & BOMBUS_PROC_PATH_UNLINKED;
	char *path = NULL, *filename = NULL, *args = NULL;
	int ret;

	if (!(r->flags & BOMBUS_PROC_HAS_BINARY))
		return process_set_binary(p, NULL, NULL, NULL);
	if (r->flags & BOMBUS_PROC_PATH_FULL)
		ret = binary_path_full(r->data, r->path_bytes, pseudo, unlinked, &path, &filename);
	else
		ret = binary_path_join(r->data, r->path_bytes, r->path_components, pseudo, unlinked,
				       r->flags & BOMBUS_PROC_PATH_TRUNCATED, &path, &filename);
	if (ret < 0)
		return ret;
	args = args_join(r->data + r->path_bytes, r->args_bytes, r->flags & BOMBUS_PROC_ARGS_TRUNCATED);
	ret = process_set_binary(p, path, filename, args);
	if (ret < 0 || !args)
		return -ENOMEM;
	p->ima_hash = ima_hash_from_record(r);
	return 0;
}

/* The cached entry for the record's process, a new one, or, when the cache
 * is full, @scratch (not cached; the caller clears it). */
static struct process *record_process(struct procmon *pm, const struct bombus_process_record *r,
				      struct process *scratch)
{
	struct process_cache *cache = pm->daemon->processes;
	struct process *p = process_cache_find(cache, r->pid, r->start_ns);

	if (!p)
		p = process_cache_add(cache, r->pid, r->start_ns);
	if (!p) {
		*scratch = (struct process){ .pid = r->pid, .start_ns = r->start_ns };
		p = scratch;
	}
	return p;
}

static void handle_process_record(struct procmon *pm, const struct bombus_process_record *r)
{
	struct daemon *d = pm->daemon;
	struct process scratch = { 0 }, *p, *parent;
	struct event ev = { .time_ns = r->hdr.time_ns };

	parent = process_cache_find(d->processes, r->ppid, r->parent_start_ns);
	switch (r->hdr.kind) {
	case BOMBUS_RECORD_EXEC:
		ev.type = EVENT_PROCESS_EXEC;
		p = record_process(pm, r, &scratch);
		identity_from_record(p, r);
		p->cloned = false;
		p->secureexec = r->secureexec;
		process_changed(p);
		if (binary_from_record(p, r) < 0)
			d->counters.no_memory++;
		break;
	case BOMBUS_RECORD_CLONE:
		ev.type = EVENT_PROCESS_CLONE;
		p = record_process(pm, r, &scratch);
		identity_from_record(p, r);
		p->cloned = true;
		process_changed(p);
		/* exec-time properties are inherited across fork */
		p->secureexec = parent ? parent->secureexec : 0;
		if (binary_from_record(p, r) < 0)
			d->counters.no_memory++;
		else if (parent && parent->ima_hash && !(p->ima_hash = strdup(parent->ima_hash)))
			d->counters.no_memory++;
		break;
	case BOMBUS_RECORD_EXIT:
	default:
		ev.type = EVENT_PROCESS_EXIT;
		p = process_cache_find(d->processes, r->pid, r->start_ns);
		/* Threads exiting at once can each find the process's live count at
		 * zero (the kernel decrements it before the tracepoint): the first
		 * record is the process's exit, the others say it again. */
		if (p && p->exited_ns)
			return;
		if (!p) {
			d->counters.cache_misses++;
			scratch = (struct process){ .pid = r->pid, .start_ns = r->start_ns };
			p = &scratch;
			if (process_set_binary(p, NULL, NULL, NULL) < 0)
				d->counters.no_memory++;
		}
		identity_from_record(p, r);
		break;
	}
	ev.process = p;
	ev.parent = parent;
	daemon_emit(d, &ev);
	if (ev.type == EVENT_PROCESS_EXIT && p != &scratch)
		process_cache_exited(d->processes, p, r->hdr.time_ns);
	process_clear_strings(&scratch);
}

static bool process_record_valid(const struct bombus_process_record *r, size_t size)
{
	size_t fixed = offsetof(struct bombus_process_record, data);

	return size >= fixed && r->path_bytes <= sizeof(r->data) && r->args_bytes <= BOMBUS_ARGS_MAX &&
	       fixed + r->path_bytes + r->args_bytes <= size;
}

static void on_record(void *userdata, const void *data, size_t size)
{
	struct procmon *pm = userdata;
	const struct bombus_record_header *hdr = data;

	if (size < sizeof(*hdr) || hdr->size > size) {
		pm->daemon->counters.malformed++;
		return;
	}
	switch (hdr->kind) {
	case BOMBUS_RECORD_EXEC:
	case BOMBUS_RECORD_CLONE:
	case BOMBUS_RECORD_EXIT:
		if (!process_record_valid(data, hdr->size)) {
			pm->daemon->counters.malformed++;
			return;
		}
		handle_process_record(pm, data);
		return;
	default:
		pm->daemon->counters.malformed++;
	}
}

static void procmon_free(struct monitor *m)
{
	struct procmon *pm = (struct procmon *)m;

	monitor_close(m);
	procmon_bpf__destroy(pm->skel);
	free(pm);
}

int procmon_hook_check(const char *name)
{
	int r = hooks_check_disable(procmon_hook_table, ELEMENTSOF(procmon_hook_table), name);

	return r == -ENOENT ? privilege_monitor_hook_check(name) : r;
}

int procmon_start(struct daemon *d, struct monitor **ret)
{
	struct procmon *pm = calloc(1, sizeof(*pm));
	int r;

	if (!pm)
		return log_error_errno(ENOMEM, "procmon: %m");
	pm->daemon = d;
	memcpy(pm->hooks, procmon_hook_table, sizeof(pm->hooks));
	/* Asked for, but impossible here: said once, here, not per event. */
	pm->hooks[HOOK_IMA_HASH].disabled = !d->config.ima_hash;
	if (d->config.ima_hash && !ima_present(SECURITYFS)) {
		log_warning("hook ima_hash: unavailable: this kernel has no IMA (no %s/ima)", SECURITYFS);
		pm->hooks[HOOK_IMA_HASH].disabled = true;
	}
	pm->monitor = (struct monitor){ .name = "procmon", .daemon = d, .hooks = pm->hooks,
					.n_hooks = ELEMENTSOF(pm->hooks), .free = procmon_free };
	pm->skel = procmon_bpf__open_opts(bpf_open_opts());
	if (!pm->skel) {
		r = log_error_errno(errno, "procmon: cannot open the BPF object: %m");
		free(pm);
		return r;
	}
	pm->monitor.obj = pm->skel->obj;
	pm->skel->rodata->ringbuf_wakeup_bytes = monitor_wakeup_bytes(&pm->monitor);
	r = monitor_start(&pm->monitor, on_record, pm);
	if (r < 0) {
		procmon_free(&pm->monitor);
		return r;
	}
	d->process_monitor = &pm->monitor;
	*ret = &pm->monitor;
	return 0;
}
