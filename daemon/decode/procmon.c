// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon.h"
#include "../context/cgroup-names.h"
#include "../log.h"
#include "../ring/bpf-load.h"
#include "../ring/monitor.h"
#include "ima.h"
#include "procmon-privilege.h"
#include "procmon.bpf.skel.h"
#include "procmon.h"
#include "text.h"

#define SECURITYFS "/sys/kernel/security"

/* LSM and fentry: see bpf/lib/exec.h for why fentry needs security_file_open. */
static const struct hook_method exec_creds_methods[] = {
	{ ATTACH_LSM, "bprm_committing_creds", { { "exec_creds_lsm" } } },
	/* without security_file_open the path is walked (bpf/lib/exec.h) */
	{ ATTACH_FENTRY, "security_bprm_committing_creds",
	  { { "exec_creds_fentry" }, OPTIONAL_PROGRAM("exec_open_fentry") } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_execve", { { "exec_creds_tp" }, OPTIONAL_PROGRAM("exec_creds_tp_at") } },
};
/* bpf_ima_file_hash is for sleepable LSM programs only. */
static const struct hook_method ima_hash_methods[] = {
	{ ATTACH_LSM_SLEEPABLE, "bprm_committed_creds", { { "ima_hash_lsm" } } },
};
static const struct hook_method exec_methods[] = {
	{ ATTACH_TP_BTF, "sched_process_exec", { { "exec_tp_btf" } } },
};
static const struct hook_method fork_methods[] = {
	{ ATTACH_TP_BTF, "sched_process_fork", { { "fork_tp_btf" } } },
};
static const struct hook_method exit_methods[] = {
	{ ATTACH_TP_BTF, "sched_process_exit", { { "exit_tp_btf" } } },
};
static const struct hook_method cgroup_mkdir_methods[] = {
	{ ATTACH_TP_BTF, "cgroup_mkdir", { { "cgroup_mkdir_tp_btf" } } },
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
	/* Without it a cgroup removed before its processes' events are read is
	 * shown by id alone (docs/events.md). */
	HOOK("cgroup_mkdir", cgroup_mkdir_methods, .optional = true, .best_effort = true),
};

struct procmon {
	struct monitor monitor;
	struct daemon *daemon;
	struct procmon_bpf *skel;
	struct hook hooks[ELEMENTSOF(procmon_hook_table)];
};

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

/* The program the record carries, decoded into scratch buffers reused from
 * record to record, then copied once into the image. NULL on allocation
 * failure. */
static struct exec_image *image_from_record(struct daemon *d, const struct bombus_process_record *r,
					    uint32_t secureexec, const char *inherited_ima_hash)
{
	static char path[PATH_TEXT_MAX], filename[NAME_TEXT_MAX], args[ARGS_TEXT_MAX];
	bool pseudo = r->flags & BOMBUS_PROC_PATH_PSEUDO, unlinked = r->flags & BOMBUS_PROC_PATH_UNLINKED;
	_cleanup_free_ char *ima_hash = NULL;
	struct image_fields fields = {
		.secureexec = secureexec,
		.filename = filename,
		.binary_path = path,
		.args = args,
	};

	if (r->flags & BOMBUS_PROC_PATH_FULL)
		binary_path_full(r->data, r->path_bytes, pseudo, unlinked, path, filename);
	else
		binary_path_join(r->data, r->path_bytes, r->path_components, r->flags, path, filename);
	args_join(args, sizeof(args), r->data + r->path_bytes, r->args_bytes, r->flags & BOMBUS_PROC_ARGS_TRUNCATED);
	if (r->flags & BOMBUS_PROC_PATH_LOOKUP_FAILED) {
		fields.incomplete |= IMAGE_INCOMPLETE_BINARY_PATH;
		d->counters.path_incomplete++;
	}
	if (r->flags & BOMBUS_PROC_ARGS_UNREADABLE) {
		fields.incomplete |= IMAGE_INCOMPLETE_ARGS;
		d->counters.args_unreadable++;
	}
	ima_hash = ima_hash_from_record(r);
	fields.ima_hash = ima_hash ?: inherited_ima_hash;
	return exec_image_new(&fields);
}

/* The image of an exec or clone record: its own strings, its parent's (a
 * clone sent without them), or none (a kernel thread, or a parent the
 * cache lost: counted). Exec-time properties are inherited across fork. */
static struct exec_image *record_image(struct daemon *d, const struct bombus_process_record *r,
				       const struct process *parent)
{
	const struct image_fields *inherited = parent ? &parent->image->fields : NULL;
	bool clone = r->hdr.kind == BOMBUS_RECORD_CLONE;

	if (clone && (r->flags & BOMBUS_PROC_BINARY_OF_PARENT)) {
		if (parent)
			return exec_image_ref(parent->image);
		d->counters.binary_unknown++;
		return exec_image_unknown();
	}
	if (!(r->flags & BOMBUS_PROC_HAS_BINARY))
		return exec_image_unknown();
	if (!clone)
		return image_from_record(d, r, r->secureexec, NULL);
	return image_from_record(d, r, inherited ? inherited->secureexec : 0,
				 inherited ? inherited->ima_hash : NULL);
}

static void handle_process_record(struct daemon *d, const struct bombus_process_record *r)
{
	const struct bombus_task *t = &r->task;
	struct event ev = { .time_ns = r->hdr.time_ns, .task = t, .opcode = -1 };
	struct exec_image *image;

	ev.parent = daemon_parent_of(d, t);
	switch (r->hdr.kind) {
	case BOMBUS_RECORD_EXEC:
	case BOMBUS_RECORD_CLONE:
		ev.type = r->hdr.kind == BOMBUS_RECORD_EXEC ? EVENT_PROCESS_EXEC : EVENT_PROCESS_CLONE;
		image = record_image(d, r, ev.parent);
		ev.process = image ? process_new(t, ev.type == EVENT_PROCESS_CLONE, false, image, d->boot_to_real_ns)
				   : NULL;
		if (image)
			exec_image_unref(image);
		if (!ev.process) {
			d->counters.no_memory++;
			break;
		}
		/* A refusal (full) is counted by the cache; the event goes out. */
		process_cache_put(d->processes, ev.process);
		daemon_emit(d, &ev);
		break;
	default: /* BOMBUS_RECORD_EXIT */
		ev.type = EVENT_PROCESS_EXIT;
		ev.process = daemon_process_of(d, t);
		if (!ev.process)
			break;
		daemon_emit(d, &ev);
		process_cache_exited(d->processes, t->pid, t->start_ns, r->hdr.time_ns);
		break;
	}
	event_clear(&ev);
}

static bool process_record_valid(const struct bombus_process_record *r, size_t size)
{
	size_t fixed = offsetof(struct bombus_process_record, data);

	return size >= fixed && r->path_bytes <= BOMBUS_PATH_MAX && r->args_bytes <= BOMBUS_ARGS_MAX &&
	       fixed + r->path_bytes + r->args_bytes <= size;
}

void procmon_decode(struct daemon *d, const void *data, size_t size)
{
	const struct bombus_record_header *hdr = data;

	if (size < sizeof(*hdr) || hdr->size > size) {
		d->counters.malformed++;
		return;
	}
	switch (hdr->kind) {
	case BOMBUS_RECORD_EXEC:
	case BOMBUS_RECORD_CLONE:
	case BOMBUS_RECORD_EXIT:
		if (!process_record_valid(data, hdr->size)) {
			d->counters.malformed++;
			return;
		}
		handle_process_record(d, data);
		return;
	case BOMBUS_RECORD_CGROUP: {
		const struct bombus_cgroup_record *r = data;

		if (hdr->size < offsetof(struct bombus_cgroup_record, path) + 1 || r->path_bytes == 0 ||
		    offsetof(struct bombus_cgroup_record, path) + r->path_bytes > hdr->size ||
		    r->path[r->path_bytes - 1] != '\0') {
			d->counters.malformed++;
			return;
		}
		cgroup_names_add(r->cgroup_id, r->path);
		daemon_cgroup_made(d, r->cgroup_id, r->path);
		return;
	}
	default:
		d->counters.malformed++;
	}
}

static void on_record(void *userdata, const void *data, size_t size)
{
	struct procmon *pm = userdata;

	procmon_decode(pm->daemon, data, size);
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
	pm->monitor = (struct monitor){ .name = "procmon", .hooks = pm->hooks,
					.n_hooks = ELEMENTSOF(pm->hooks), .free = procmon_free };
	daemon_monitor_init(d, &pm->monitor);
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
