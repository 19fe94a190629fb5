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

/* Atomic: LSM and fentry programs can be preempted by another program on
 * the same CPU. */
static __always_inline void count(enum bombus_kernel_counter which)
{
	__u32 key = which;
	__u64 *value = bpf_map_lookup_elem(&counters, &key);

	if (value)
		__sync_fetch_and_add(value, 1);
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
