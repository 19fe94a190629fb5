// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../daemon.h"
#include "../log.h"
#include "../ring/bpf-load.h"
#include "../ring/monitor.h"
#include "iouring-info.h"
#include "iouringmon.bpf.skel.h"
#include "iouringmon.h"

/* The same tracepoint under its two names: io_uring_submit_sqe (6.0 to 6.3,
 * with a force_nonblock argument after the request) became
 * io_uring_submit_req in 6.4. */
static const struct hook_method submit_methods[] = {
	{ ATTACH_TP_BTF, "io_uring_submit_req", { { "submit_req" } } },
	{ ATTACH_TP_BTF, "io_uring_submit_sqe", { { "submit_sqe" } } },
};

static const struct hook iouring_hook_table[] = {
	{ .name = "io_uring_submit", .methods = submit_methods, .n_methods = ELEMENTSOF(submit_methods),
	  .optional = true },
};

struct iouring_monitor {
	struct monitor monitor;
	struct daemon *daemon;
	struct iouringmon_bpf *skel;
	struct hook hooks[ELEMENTSOF(iouring_hook_table)];
	struct iouring_opcodes opcodes;
	bool configured[IOURING_OPCODES]; /* the configuration's selection */
};

/* Whether the kernel's tracepoint @tp passes a struct io_kiocb * first: before
 * 6.0 io_uring_submit_sqe passed the ring and loose fields instead. */
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

/* The tracepoint the hook layer will pick (the first the kernel has) must
 * pass the request; -EOPNOTSUPP otherwise. */
static int check_tracepoint(const struct btf *btf)
{
	for (size_t i = 0; i < ELEMENTSOF(submit_methods); i++) {
		char name[128];

		snprintf(name, sizeof(name), "btf_trace_%s", submit_methods[i].target);
		if (btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) < 0)
			continue;
		if (tracepoint_passes_request(btf, submit_methods[i].target))
			return 0;
		return log_error_errno(EOPNOTSUPP,
				       "iouringmon: tracepoint %s of this kernel does not pass the request "
				       "(kernels before 6.0), io_uring cannot be monitored",
				       submit_methods[i].target);
	}
	return 0; /* none: the hook layer says so */
}

struct iouring_payload {
	const struct bombus_iouring_record *record;
	const struct iouring_opcodes *opcodes; /* the kernel's names */
};

/* ",\"opcode\":...,\"op_info\":{...}" */
static void render_iouring_fields(struct json_writer *w, const struct event *ev)
{
	const struct iouring_payload *payload = ev->payload;
	char unknown[IOURING_OPCODE_NAME_MAX];

	json_literal(w, ",\"opcode\":");
	json_string(w, iouring_opcode_name(payload->opcodes, payload->record->opcode, unknown));
	iouring_op_info_render(w, payload->record);
}

void iouring_decode(struct daemon *d, const struct iouring_opcodes *opcodes, const void *data, size_t size)
{
	const struct bombus_iouring_record *r = data;
	size_t fixed = offsetof(struct bombus_iouring_record, data);
	struct iouring_payload payload = { .record = r, .opcodes = opcodes };
	struct event ev = { .type = EVENT_IOURING, .render_fields = render_iouring_fields, .payload = &payload,
			    .opcode = r->opcode };

	if (size < fixed || r->hdr.kind != BOMBUS_RECORD_IOURING || r->hdr.size > size ||
	    r->data_bytes > sizeof(r->data) || fixed + r->data_bytes > r->hdr.size ||
	    r->info > BOMBUS_IOURING_INFO_SOCKADDR) {
		d->counters.malformed++;
		return;
	}
	if (!daemon_event_of_task(d, &ev, r->hdr.time_ns, &r->task))
		return;
	daemon_emit(d, &ev);
	event_clear(&ev);
}

static void on_record(void *userdata, const void *data, size_t size)
{
	struct iouring_monitor *m = userdata;

	iouring_decode(m->daemon, &m->opcodes, data, size);
}

/* The configuration's opcodes that some output wants, given to the program
 * (its .bss): applied from the next submission on. Before load they go into
 * the object's initial image; after, through the map (the skeleton's
 * pointer to the mapped memory is only set by its own load function, which
 * monitor_start() does not use). */
static void set_wanted_opcodes(struct monitor *base, const uint64_t wanted[4])
{
	struct iouring_monitor *m = (struct iouring_monitor *)base;
	struct iouringmon_bpf__bss bss;
	int fd = bpf_map__fd(m->skel->maps.bss);
	uint32_t zero = 0;

	for (size_t i = 0; i < IOURING_OPCODES; i++)
		bss.enabled_opcodes[i] = m->configured[i] && (wanted[i / 64] & (UINT64_C(1) << (i % 64)));
	if (fd < 0)
		*m->skel->bss = bss;
	else if (bpf_map_update_elem(fd, &zero, &bss, BPF_ANY) < 0)
		log_warning_errno(errno, "iouringmon: cannot change the opcodes reported: %m");
}

/* The opcodes the configuration selects (all by default). */
static int configured_opcodes(struct iouring_monitor *m, bool enabled[IOURING_OPCODES])
{
	const char *list = m->daemon->config.iouring_opcodes;
	_cleanup_free_ char *bad = NULL;
	int r;

	if (!list) {
		memset(enabled, true, IOURING_OPCODES * sizeof(bool));
		return 0;
	}
	r = iouring_opcodes_select(&m->opcodes, list, enabled, &bad);
	if (r == -EINVAL)
		return log_error_errno(r,
				       "--iouring-opcodes: '%s' is no io_uring opcode of this kernel (names "
				       "as OPENAT or IORING_OP_OPENAT, 'all', '-NAME' to leave one out)",
				       bad);
	if (r < 0)
		return log_error_errno(r, "iouringmon: %m");
	return 0;
}

static void iouring_monitor_free(struct monitor *base)
{
	struct iouring_monitor *m = (struct iouring_monitor *)base;

	if (m->daemon->iouring_opcode_names == &m->opcodes)
		m->daemon->iouring_opcode_names = NULL;
	monitor_close(base);
	iouringmon_bpf__destroy(m->skel);
	iouring_opcodes_clear(&m->opcodes);
	free(m);
}

int iouring_monitor_start(struct daemon *d, struct monitor **ret)
{
	struct iouring_monitor *m = calloc(1, sizeof(*m));
	const struct btf *btf = kernel_btf();
	struct opcode_set wanted;
	size_t n_enabled = 0;
	int r;

	if (!m)
		return log_error_errno(ENOMEM, "iouringmon: %m");
	m->daemon = d;
	memcpy(m->hooks, iouring_hook_table, sizeof(m->hooks));
	m->monitor = (struct monitor){ .name = "iouringmon",
				       .hooks = m->hooks,
				       .n_hooks = ELEMENTSOF(m->hooks),
				       .free = iouring_monitor_free,
				       .wanted_opcodes = set_wanted_opcodes };
	daemon_monitor_init(d, &m->monitor);
	r = btf ? iouring_opcodes_from_btf(btf, &m->opcodes) : -errno;
	if (r == -ENOENT) {
		log_warning("iouringmon: this kernel has no io_uring (no enum io_uring_op in its BTF), "
			    "io_uring is not monitored");
		r = -EOPNOTSUPP;
	} else if (r < 0) {
		log_error_errno(r, "iouringmon: cannot read the io_uring opcodes from the kernel's BTF: %m");
	}
	if (r >= 0)
		r = check_tracepoint(btf);
	if (r >= 0)
		r = configured_opcodes(m, m->configured);
	if (r < 0) {
		iouring_opcodes_clear(&m->opcodes);
		free(m);
		/* What this kernel lacks (warned above): run without. */
		*ret = NULL;
		return r == -EOPNOTSUPP ? 0 : r;
	}
	m->skel = iouringmon_bpf__open_opts(bpf_open_opts());
	if (!m->skel) {
		r = log_error_errno(errno, "iouringmon: cannot open the BPF object: %m");
		iouring_monitor_free(&m->monitor);
		return r;
	}
	m->monitor.obj = m->skel->obj;
	m->skel->rodata->ringbuf_wakeup_bytes = monitor_wakeup_bytes(&m->monitor);
	wanted = daemon_wanted_opcodes(d);
	set_wanted_opcodes(&m->monitor, wanted.bits);
	r = monitor_start(&m->monitor, on_record, m);
	if (r < 0) {
		iouring_monitor_free(&m->monitor);
		return r;
	}
	for (size_t i = 0; i < IOURING_OPCODES; i++)
		n_enabled += m->configured[i] && m->opcodes.names[i];
	log_info("iouringmon: reporting %zu io_uring opcodes (those subscribers choose, of them)", n_enabled);
	d->iouring_opcode_names = &m->opcodes;
	*ret = &m->monitor;
	return 0;
}

int iouring_monitor_hook_check(const char *name)
{
	return hooks_check_disable(iouring_hook_table, ELEMENTSOF(iouring_hook_table), name);
}
