// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "bpf-load.h"
#include "daemon.h"
#include "iouring-info.h"
#include "iouringmon.bpf.skel.h"
#include "iouringmon.h"
#include "log.h"
#include "procmon.h"
#include "ringbuf.h"

/* The same tracepoint under its two names: io_uring_submit_sqe (6.0 to 6.3,
 * with a force_nonblock argument after the request) became
 * io_uring_submit_req in 6.4. */
static const struct hook_method submit_methods[] = {
	{ ATTACH_TP_BTF, "io_uring_submit_req", { "submit_req" } },
	{ ATTACH_TP_BTF, "io_uring_submit_sqe", { "submit_sqe" } },
};

static const struct hook iouringmon_hook_table[] = {
	{ .name = "io_uring_submit", .methods = submit_methods, .n_methods = ELEMENTSOF(submit_methods) },
};

struct iouringmon {
	struct daemon *daemon;
	struct iouringmon_bpf *skel;
	struct ringbuf_source *records;
	struct hook hooks[ELEMENTSOF(iouringmon_hook_table)];
	struct iouring_opcodes opcodes;
	bool synced; /* ProcMon's queue was handled since this batch began */
};

/* Whether tracepoint @tp passes a struct io_kiocb * as its first argument:
 * before 6.0 io_uring_submit_sqe passed the ring and loose fields. */
static bool tracepoint_passes_request(const struct btf *btf, const char *tp)
{
	const struct btf_type *t;
	char name[128];
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, btf__type_by_id(btf, (__u32)id)->type);
	if (!t || !btf_is_ptr(t))
		return false;
	t = btf__type_by_id(btf, t->type);
	/* (void *ctx, struct io_kiocb *req, ...) */
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 2)
		return false;
	id = btf__resolve_type(btf, btf_params(t)[1].type);
	t = id < 0 ? NULL : btf__type_by_id(btf, (__u32)id);
	if (!t || !btf_is_ptr(t))
		return false;
	id = btf__resolve_type(btf, t->type);
	t = id < 0 ? NULL : btf__type_by_id(btf, (__u32)id);
	return t && btf_is_struct(t) && strcmp(btf__name_by_offset(btf, t->name_off), "io_kiocb") == 0;
}

/* The cached process of the record. A miss may be a clone or exec still
 * queued in ProcMon's buffer: that is handled first. A process the cache
 * still does not know (ProcMon lost it, or the cache is full) is added from
 * the record's identity, without a binary; when the cache refuses it,
 * @scratch is used (the caller clears it). */
static struct process *record_process(struct iouringmon *im, const struct bombus_iouring_record *r,
				      struct process *scratch)
{
	struct daemon *d = im->daemon;
	struct process *p = process_cache_find(d->processes, r->pid, r->start_ns);

	if (!p) {
		procmon_sync(d->procmon);
		p = process_cache_find(d->processes, r->pid, r->start_ns);
	}
	if (p)
		return p;
	d->counters.cache_misses++;
	p = process_cache_add(d->processes, r->pid, r->start_ns);
	if (!p) {
		*scratch = (struct process){ .pid = r->pid, .tid = r->pid, .start_ns = r->start_ns };
		p = scratch;
	}
	p->ppid = r->ppid;
	p->parent_start_ns = r->parent_start_ns;
	p->creds = r->creds;
	if (process_set_binary(p, NULL, NULL, NULL) < 0)
		d->counters.no_memory++;
	return p;
}

static void handle_record(struct iouringmon *im, const struct bombus_iouring_record *r)
{
	struct daemon *d = im->daemon;
	struct event ev = { .type = EVENT_IOURING, .time_ns = r->hdr.time_ns };
	char unknown[IOURING_OPCODE_NAME_MAX];
	struct process scratch = { 0 };
	json_object *op_info;

	ev.process = record_process(im, r, &scratch);
	ev.parent = process_cache_find(d->processes, ev.process->ppid, ev.process->parent_start_ns);
	ev.iouring.opcode = iouring_opcode_name(&im->opcodes, r->opcode, unknown);
	if (iouring_op_info_json(r, &op_info) < 0) {
		d->counters.no_memory++;
	} else {
		ev.iouring.op_info = op_info;
		daemon_emit(d, &ev);
		json_object_put(op_info);
	}
	process_clear_strings(&scratch);
}

static bool iouring_record_valid(const struct bombus_iouring_record *r, size_t size)
{
	size_t fixed = offsetof(struct bombus_iouring_record, data);

	return size >= fixed && r->data_bytes <= sizeof(r->data) && fixed + r->data_bytes <= size &&
	       r->info <= BOMBUS_IOURING_INFO_SOCKADDR;
}

static void on_record(void *userdata, const void *data, size_t size)
{
	struct iouringmon *im = userdata;
	const struct bombus_record_header *hdr = data;

	if (size < sizeof(*hdr) || hdr->size > size || hdr->kind != BOMBUS_RECORD_IOURING ||
	    !iouring_record_valid(data, hdr->size)) {
		im->daemon->counters.malformed++;
		return;
	}
	/* Processes that exec'd or forked before this batch are then known
	 * as they were when they submitted. */
	if (!im->synced) {
		procmon_sync(im->daemon->procmon);
		im->synced = true;
	}
	handle_record(im, data);
}

static void on_batch_done(void *userdata)
{
	struct iouringmon *im = userdata;

	im->synced = false;
	daemon_flush(im->daemon);
}

int iouringmon_set_opcodes(struct iouringmon *im, const bool enabled[IOURING_OPCODES])
{
	int fd = bpf_map__fd(im->skel->maps.enabled_opcodes);

	for (__u32 i = 0; i < IOURING_OPCODES; i++) {
		__u8 value = enabled[i];

		if (bpf_map_update_elem(fd, &i, &value, BPF_ANY) < 0)
			return -errno;
	}
	return 0;
}

/* The opcodes the configuration selects (all by default). */
static int configured_opcodes(struct iouringmon *im, bool enabled[IOURING_OPCODES])
{
	const char *list = im->daemon->config.iouring_opcodes;
	_cleanup_free_ char *bad = NULL;
	int r;

	if (!list) {
		memset(enabled, true, IOURING_OPCODES * sizeof(bool));
		return 0;
	}
	r = iouring_opcodes_select(&im->opcodes, list, enabled, &bad);
	if (r == -EINVAL)
		return log_error_errno(r, "--iouring-opcodes: '%s' is no io_uring opcode of this kernel (give names as OPENAT or IORING_OP_OPENAT, 'all', '-NAME' to leave one out)",
				       bad);
	if (r < 0)
		return log_error_errno(r, "iouringmon: %m");
	return 0;
}

int iouringmon_start(struct daemon *d, struct iouringmon **ret)
{
	struct iouringmon *im = calloc(1, sizeof(*im));
	bool enabled[IOURING_OPCODES];
	const struct btf *btf = kernel_btf();
	size_t n_enabled = 0;
	int r;

	if (!im)
		return log_error_errno(ENOMEM, "iouringmon: %m");
	im->daemon = d;
	memcpy(im->hooks, iouringmon_hook_table, sizeof(im->hooks));
	r = btf ? iouring_opcodes_from_btf(btf, &im->opcodes) : -errno;
	if (r == -ENOENT) {
		log_warning("iouringmon: this kernel has no io_uring (enum io_uring_op is not in its BTF), io_uring is not monitored");
		r = -EOPNOTSUPP;
		goto fail;
	}
	if (r < 0) {
		log_error_errno(r, "iouringmon: cannot read the io_uring opcodes from the kernel's BTF: %m");
		goto fail;
	}
	r = configured_opcodes(im, enabled);
	if (r < 0)
		goto fail;
	im->skel = iouringmon_bpf__open();
	if (!im->skel) {
		r = log_error_errno(errno, "iouringmon: cannot open the BPF object: %m");
		goto fail;
	}
	r = bpf_map__set_max_entries(im->skel->maps.records, (uint32_t)d->config.ringbuf_bytes);
	if (r < 0) {
		log_error_errno(r, "iouringmon: invalid ring buffer size %zu: %m", d->config.ringbuf_bytes);
		goto fail;
	}
	r = hooks_select(im->hooks, ELEMENTSOF(im->hooks), im->skel->obj, d->config.hook_mode);
	if (r < 0)
		goto fail;
	if (!tracepoint_passes_request(btf, im->hooks[0].chosen->target)) {
		r = log_error_errno(EOPNOTSUPP, "iouringmon: tracepoint %s of this kernel does not pass the request (kernels before 6.0), io_uring cannot be monitored",
				    im->hooks[0].chosen->target);
		goto fail;
	}
	r = bpf_object_load_logged(im->skel->obj, "iouringmon", im->hooks, ELEMENTSOF(im->hooks));
	if (r < 0)
		goto fail;
	r = iouringmon_set_opcodes(im, enabled);
	if (r < 0) {
		log_error_errno(r, "iouringmon: cannot fill the opcode map: %m");
		goto fail;
	}
	r = hooks_attach(im->hooks, ELEMENTSOF(im->hooks), im->skel->obj, "iouringmon");
	if (r < 0)
		goto fail;
	r = ringbuf_source_new(d->event, bpf_map__fd(im->skel->maps.records), on_record, on_batch_done, im,
			       &im->records);
	if (r < 0) {
		log_error_errno(r, "iouringmon: cannot read the ring buffer: %m");
		goto fail;
	}
	for (size_t i = 0; i < IOURING_OPCODES; i++)
		n_enabled += enabled[i] && im->opcodes.names[i];
	log_info("iouringmon: reporting %zu io_uring opcodes", n_enabled);
	*ret = im;
	return 0;
fail:
	iouringmon_free(im);
	return r;
}

void iouringmon_stop(struct iouringmon *im)
{
	if (!im)
		return;
	hooks_detach(im->hooks, ELEMENTSOF(im->hooks));
	ringbuf_source_drain(im->records);
}

void iouringmon_free(struct iouringmon *im)
{
	if (!im)
		return;
	hooks_detach(im->hooks, ELEMENTSOF(im->hooks));
	ringbuf_source_free(im->records);
	iouringmon_bpf__destroy(im->skel);
	iouring_opcodes_clear(&im->opcodes);
	free(im);
}

const struct iouring_opcodes *iouringmon_opcodes(const struct iouringmon *im)
{
	return &im->opcodes;
}

uint64_t iouringmon_lost(const struct iouringmon *im)
{
	return im ? percpu_counter_sum(bpf_map__fd(im->skel->maps.counters), BOMBUS_COUNTER_RINGBUF_FULL) : 0;
}

const struct hook *iouringmon_hooks(const struct iouringmon *im, size_t *n)
{
	*n = ELEMENTSOF(im->hooks);
	return im->hooks;
}
