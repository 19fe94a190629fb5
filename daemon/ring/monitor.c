// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/libbpf_version.h>

#include "../../bpf/bombus.h"
#include "../log.h"
#include "bpf-load.h"
#include "monitor.h"

static void on_batch_done(void *userdata)
{
	struct monitor *m = userdata;

	m->batch_done(m->batch_userdata);
}

static void on_record(void *userdata, const void *data, size_t size)
{
	struct monitor *m = userdata;
	const struct bombus_record_header *hdr = data;

	if (size >= sizeof(*hdr)) {
		m->last_record_ns = hdr->time_ns;
		if (hdr->kind < BOMBUS_RECORD_KIND_MAX) {
			m->read[hdr->kind].records++;
			m->read[hdr->kind].bytes += size;
		}
	}
	if (m->guest && size >= sizeof(*hdr) && hdr->kind == m->guest->guest_kind) {
		m->guest->record(m->guest->record_userdata, data, size);
		return;
	}
	if (m->after)
		ringbuf_source_drain(m->after->records);
	m->record(m->record_userdata, data, size);
}

/* Makes @m's object use its host's ring and counters. */
static int share_host_ring(struct monitor *m, struct bpf_map *records, struct bpf_map *counters)
{
	struct bpf_map *host_records = bpf_object__find_map_by_name(m->host->obj, "records");
	int r;

	if (m->host->guest)
		return -EBUSY;
	r = bpf_map__reuse_fd(records, bpf_map__fd(host_records));
	if (r >= 0)
		r = bpf_map__reuse_fd(counters, m->host->counters_fd);
	return r;
}

uint64_t monitor_wakeup_bytes(const struct monitor *m)
{
	return m->config->ringbuf_bytes / 16;
}

int monitor_start(struct monitor *m, ringbuf_record_fn record, void *userdata)
{
	const struct config *config = m->config;
	struct bpf_map *records = bpf_object__find_map_by_name(m->obj, "records");
	struct bpf_map *counters = bpf_object__find_map_by_name(m->obj, "counters");
	int r;

	m->counters_fd = -1;
	if (!records || !counters)
		return log_error_errno(ENOENT, "%s: the BPF object lacks its records or counters map", m->name);
	if (m->host)
		r = share_host_ring(m, records, counters);
	else
		r = bpf_map__set_max_entries(records, (uint32_t)config->ringbuf_bytes);
	if (r < 0)
		return log_error_errno(r, "%s: cannot set up the ring buffer: %m", m->name);
	/* Every monitor's hooks belong to ProcMon's config section today. */
	for (size_t i = 0; i < config->n_disabled_hooks; i++) {
		struct hook *hook = hooks_find(m->hooks, m->n_hooks, config->disabled_hooks[i].hook);

		if (hook && hook->optional)
			hook->disabled = true;
	}
	r = hooks_select(m->hooks, m->n_hooks, m->obj, config->hook_mode);
	if (r < 0)
		return r;
	r = bpf_object_load_logged(m->obj, m->name, m->hooks, m->n_hooks);
	if (r < 0)
		return r;
	r = monitor_set_wanted(m, m->wanted);
	if (r < 0)
		return log_error_errno(r, "%s: cannot write the wanted categories: %m", m->name);
	r = hooks_attach(m->hooks, m->n_hooks, m->obj, m->name);
	if (r < 0)
		return r;
	/* A separate source per monitor: records of one never wait behind a
	 * flood of another's. */
	m->record = record;
	m->record_userdata = userdata;
	if (m->host) {
		m->host->guest = m;
		return 0;
	}
	m->counters_fd = bpf_map__fd(counters);
	r = ringbuf_source_new(m->poller, bpf_map__fd(records), on_record, on_batch_done, m, &m->records);
	if (r < 0) {
		hooks_detach(m->hooks, m->n_hooks);
		return log_error_errno(r, "%s: cannot read the ring buffer: %m", m->name);
	}
	return 0;
}

void monitor_detach(struct monitor *m)
{
	hooks_detach(m->hooks, m->n_hooks);
}

void monitor_drain(struct monitor *m)
{
	ringbuf_source_drain(m->records);
}

void monitor_close(struct monitor *m)
{
	hooks_detach(m->hooks, m->n_hooks);
	ringbuf_source_free(m->records);
	m->records = NULL;
	if (m->host)
		m->host->guest = NULL;
}

int monitor_set_wanted(struct monitor *m, uint32_t categories)
{
	struct bpf_map *wanted = bpf_object__find_map_by_name(m->obj, "wanted");
	uint32_t key = 0;

	if (!wanted)
		return -ENOENT;
	return bpf_map_update_elem(bpf_map__fd(wanted), &key, &categories, BPF_ANY) < 0 ? -errno : 0;
}

int monitor_set_context_filter(struct monitor *m, bool on)
{
	struct bpf_map *map = bpf_object__find_map_by_name(m->obj, "context_filter");
	uint32_t key = 0, value = on;

	if (!map)
		return -ENOENT;
	return bpf_map_update_elem(bpf_map__fd(map), &key, &value, BPF_ANY) < 0 ? -errno : 0;
}

int monitor_watch_cgroup(struct monitor *m, uint64_t cgroup_id, bool watched)
{
	struct bpf_map *map = bpf_object__find_map_by_name(m->obj, "watched_cgroups");
	uint8_t one = 1;
	int r;

	if (!map)
		return -ENOENT;
	if (watched)
		r = bpf_map_update_elem(bpf_map__fd(map), &cgroup_id, &one, BPF_ANY);
	else
		r = bpf_map_delete_elem(bpf_map__fd(map), &cgroup_id);
	return r < 0 && errno != ENOENT ? -errno : 0;
}

uint64_t monitor_read_until(const struct monitor *m, uint64_t now)
{
	return ringbuf_source_behind(m->records) && m->last_record_ns < now ? m->last_record_ns : now;
}

uint64_t monitor_counter(const struct monitor *m, enum bombus_kernel_counter which)
{
	return m->host ? 0 : percpu_counter_sum(m->counters_fd, which);
}

uint64_t monitor_lost(const struct monitor *m)
{
	return monitor_counter(m, BOMBUS_COUNTER_RINGBUF_FULL);
}

int monitor_hook_stats(const struct monitor *m, const struct hook *hook, struct hook_stats *ret)
{
	const struct hook_method *method = hook->chosen;
	bool attached = false;

	*ret = (struct hook_stats){ 0 };
	for (size_t p = 0; method && p < HOOK_METHOD_PROGRAMS && method->programs[p].name; p++) {
		const struct bpf_program *prog;
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int r;

		if (!hook->links[p])
			continue;
		/* The program's own fd: getting one from the link's program id
		 * (BPF_PROG_GET_FD_BY_ID) would need CAP_SYS_ADMIN. */
		prog = bpf_object__find_program_by_name(m->obj, method->programs[p].name);
		if (!prog)
			continue;
#if LIBBPF_MAJOR_VERSION > 1 || (LIBBPF_MAJOR_VERSION == 1 && LIBBPF_MINOR_VERSION >= 2)
		r = bpf_prog_get_info_by_fd(bpf_program__fd(prog), &info, &len);
#else
		r = bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len);
#endif
		if (r < 0)
			return r;
		ret->run_time_ns += info.run_time_ns;
		ret->run_count += info.run_cnt;
		attached = true;
	}
	return attached ? 0 : -ENOENT;
}
