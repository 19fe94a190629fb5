// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-load.h"
#include "daemon.h"
#include "log.h"
#include "procmon.bpf.skel.h"
#include "procmon.h"
#include "ringbuf.h"
#include "text.h"

static const struct hook_method exec_creds_methods[] = {
	{ ATTACH_LSM, "bprm_committing_creds", { "exec_creds_lsm" } },
	{ ATTACH_FENTRY, "security_bprm_committing_creds", { "exec_creds_fentry" } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_execve", { "exec_creds_tp", "exec_creds_tp_at" } },
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

#define HOOK(n, m) { .name = n, .methods = m, .n_methods = ELEMENTSOF(m) }

static const struct hook procmon_hook_table[] = {
	HOOK("exec_creds", exec_creds_methods),
	HOOK("exec", exec_methods),
	HOOK("fork", fork_methods),
	HOOK("exit", exit_methods),
};

struct procmon {
	struct daemon *daemon;
	struct procmon_bpf *skel;
	struct ringbuf_source *records;
	struct hook hooks[ELEMENTSOF(procmon_hook_table)];
};

static void identity_from_record(struct process *p, const struct bombus_process_record *r)
{
	p->tid = r->tid;
	p->ppid = r->ppid;
	p->parent_start_ns = r->parent_start_ns;
	p->creds = r->creds;
	process_changed(p);
}

static int binary_from_record(struct process *p, const struct bombus_process_record *r)
{
	char *path = NULL, *filename = NULL, *args = NULL;
	int ret;

	if (!(r->flags & BOMBUS_PROC_HAS_BINARY))
		return process_set_binary(p, NULL, NULL, NULL);
	ret = binary_path_join(r->data, r->path_bytes, r->path_components, r->flags & BOMBUS_PROC_PATH_PSEUDO,
			       r->flags & BOMBUS_PROC_PATH_UNLINKED, r->flags & BOMBUS_PROC_PATH_TRUNCATED,
			       &path, &filename);
	if (ret < 0)
		return ret;
	args = args_join(r->data + r->path_bytes, r->args_bytes, r->flags & BOMBUS_PROC_ARGS_TRUNCATED);
	ret = process_set_binary(p, path, filename, args);
	return args ? ret : -ENOMEM;
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
		if (binary_from_record(p, r) < 0)
			d->counters.no_memory++;
		break;
	case BOMBUS_RECORD_CLONE:
		ev.type = EVENT_PROCESS_CLONE;
		p = record_process(pm, r, &scratch);
		identity_from_record(p, r);
		p->cloned = true;
		/* exec-time properties are inherited across fork */
		p->secureexec = parent ? parent->secureexec : 0;
		if (binary_from_record(p, r) < 0)
			d->counters.no_memory++;
		break;
	case BOMBUS_RECORD_EXIT:
	default:
		ev.type = EVENT_PROCESS_EXIT;
		p = process_cache_find(d->processes, r->pid, r->start_ns);
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

static void on_batch_done(void *userdata)
{
	struct procmon *pm = userdata;

	daemon_flush(pm->daemon);
}

int procmon_start(struct daemon *d, struct procmon **ret)
{
	struct procmon *pm = calloc(1, sizeof(*pm));
	int r;

	if (!pm)
		return log_error_errno(ENOMEM, "procmon: %m");
	pm->daemon = d;
	memcpy(pm->hooks, procmon_hook_table, sizeof(pm->hooks));
	pm->skel = procmon_bpf__open();
	if (!pm->skel) {
		r = log_error_errno(errno, "procmon: cannot open the BPF object: %m");
		goto fail;
	}
	r = bpf_map__set_max_entries(pm->skel->maps.records, (uint32_t)d->config.ringbuf_bytes);
	if (r < 0) {
		log_error_errno(r, "procmon: invalid ring buffer size %zu: %m", d->config.ringbuf_bytes);
		goto fail;
	}
	r = hooks_select(pm->hooks, ELEMENTSOF(pm->hooks), pm->skel->obj, d->config.hook_mode);
	if (r < 0)
		goto fail;
	r = bpf_object_load_logged(pm->skel->obj, "procmon", pm->hooks, ELEMENTSOF(pm->hooks));
	if (r < 0)
		goto fail;
	r = hooks_attach(pm->hooks, ELEMENTSOF(pm->hooks), pm->skel->obj, "procmon");
	if (r < 0)
		goto fail;
	r = ringbuf_source_new(d->event, bpf_map__fd(pm->skel->maps.records), on_record, on_batch_done, pm,
			       &pm->records);
	if (r < 0) {
		log_error_errno(r, "procmon: cannot read the ring buffer: %m");
		goto fail;
	}
	*ret = pm;
	return 0;
fail:
	procmon_free(pm);
	return r;
}

void procmon_stop(struct procmon *pm)
{
	if (!pm)
		return;
	hooks_detach(pm->hooks, ELEMENTSOF(pm->hooks));
	ringbuf_source_drain(pm->records);
}

void procmon_sync(struct procmon *pm)
{
	if (pm)
		ringbuf_source_drain(pm->records);
}

void procmon_free(struct procmon *pm)
{
	if (!pm)
		return;
	hooks_detach(pm->hooks, ELEMENTSOF(pm->hooks));
	ringbuf_source_free(pm->records);
	procmon_bpf__destroy(pm->skel);
	free(pm);
}

uint64_t procmon_lost(const struct procmon *pm)
{
	return pm ? percpu_counter_sum(bpf_map__fd(pm->skel->maps.counters), BOMBUS_COUNTER_RINGBUF_FULL) : 0;
}

const struct hook *procmon_hooks(const struct procmon *pm, size_t *n)
{
	*n = ELEMENTSOF(pm->hooks);
	return pm->hooks;
}
