/* SPDX-License-Identifier: GPL-2.0-only */
/* The ring buffer every record of a monitor goes to, the counters that say
 * when it was full, and the categories consumers want. Each monitor's object
 * gets its own copy of these maps. */
#ifndef BOMBUS_BPF_RECORDS_H
#define BOMBUS_BPF_RECORDS_H

#include "../bombus.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by the daemon before load */
} records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BOMBUS_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* enum bombus_category bits some consumer wants, written by the daemon as
 * consumers come and go (one entry, key 0). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} wanted SEC(".maps");

/* For hooks whose records only make events: skip the work when nobody wants
 * the category. */
static __always_inline bool category_wanted(enum bombus_category category)
{
	__u32 key = 0;
	__u32 *mask = bpf_map_lookup_elem(&wanted, &key);

	return mask && (*mask & category);
}

/*
 * The context pre-filter. When context_filter[0] is 1 (written by the
 * daemon: every consumer that wants anything chooses by cgroup, unit or
 * container), a record is made only for a task whose default-hierarchy
 * cgroup or one of its ancestors is in watched_cgroups; the daemon keeps the
 * set, and still checks every event itself (the filter only ever drops what
 * nobody wants). Each monitor's object uses the process monitor's maps.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} context_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BOMBUS_WATCHED_CGROUPS);
	__type(key, __u64); /* cgroup id (kernfs id) */
	__type(value, __u8);
} watched_cgroups SEC(".maps");

/* Atomic: LSM and fentry programs can be preempted by another program on
 * the same CPU. */
static __always_inline void count(enum bombus_kernel_counter which)
{
	__u32 key = which;
	__u64 *value = bpf_map_lookup_elem(&counters, &key);

	if (value)
		__sync_fetch_and_add(value, 1);
}

/* The parent of @cgrp by its css, whose layout every kernel since 4.x
 * shares: cgroup->ancestor_ids[] (until 5.19) and ->ancestors[] (since)
 * need not be told apart. */
static __always_inline struct cgroup *cgroup_parent(struct cgroup *cgrp)
{
	struct cgroup_subsys_state *css = BPF_CORE_READ(cgrp, self.parent);

	if (!css)
		return NULL;
	return (struct cgroup *)((void *)css - bpf_core_field_offset(struct cgroup, self));
}

/* Whether records about @task may be made: the pre-filter is off, or its
 * cgroup is watched. Left out: counted. */
static __always_inline bool context_watched(struct task_struct *task)
{
	struct cgroup *cgrp;
	__u32 key = 0;
	__u32 *on = bpf_map_lookup_elem(&context_filter, &key);

	if (!on || !*on)
		return true;
	cgrp = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	for (int level = 0; level < BOMBUS_CGROUP_LEVELS && cgrp; level++) {
		__u64 id = BPF_CORE_READ(cgrp, kn, id);

		if (bpf_map_lookup_elem(&watched_cgroups, &id))
			return true;
		cgrp = cgroup_parent(cgrp);
	}
	if (cgrp)
		return true; /* deeper than walked: the daemon decides */
	count(BOMBUS_COUNTER_FILTERED);
	return false;
}

static __always_inline void record_header_init(struct bombus_record_header *hdr,
					       enum bombus_record_kind kind)
{
	hdr->kind = kind;
	hdr->size = 0;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->time_ns = bpf_ktime_get_boot_ns();
}

/*
 * The reader is woken only when queued data crosses this many bytes; below it
 * the daemon polls on a short timer. Waking it on every record (the default)
 * costs an interrupt per event, which dominated the cost of the hooks in
 * measurements (bench/exec-storm). Set by the daemon at load time.
 */
const volatile __u64 ringbuf_wakeup_bytes = 1 << 20;

/* Sends the first @size bytes of @record; a full ring buffer is counted, never
 * silent. Returns whether it was sent. */
static __always_inline bool record_submit(void *record, __u64 size)
{
	__u64 queued = bpf_ringbuf_query(&records, BPF_RB_AVAIL_DATA);
	__u64 flags = queued < ringbuf_wakeup_bytes && queued + size >= ringbuf_wakeup_bytes
			      ? BPF_RB_FORCE_WAKEUP
			      : BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_output(&records, record, size, flags) < 0) {
		count(BOMBUS_COUNTER_RINGBUF_FULL);
		return false;
	}
	return true;
}

#endif
