/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every monitor's user half does with its BPF object: choose a method
 * per hook, load, attach, read the ring buffer in the event loop, count what
 * the kernel lost, and detach. The monitor fills in the object and its own
 * load-time settings (rodata); this does the rest.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "../../bpf/bombus.h"
#include "../configuration.h"
#include "hooks.h"
#include "ringbuf.h"

struct bpf_object;

struct monitor {
	const char *name;
	/* Set by its owner before monitor_start() (daemon_monitor_init()). */
	struct ringbuf_poller *poller;
	const struct config *config;
	uint32_t wanted; /* enum event_category bits wanted at load */
	void (*batch_done)(void *userdata); /* after each batch of records */
	void *batch_userdata;

	struct bpf_object *obj; /* owned by the monitor's skeleton */
	struct hook *hooks;
	size_t n_hooks;
	struct ringbuf_source *records;
	int counters_fd;
	/* Records of the process monitor are handled before each record of
	 * this one: its events name processes that the process monitor's
	 * records (in another ring) may have created just before. */
	struct monitor *after;
	ringbuf_record_fn record;
	void *record_userdata;
	uint64_t last_record_ns; /* kernel time of the last record read */
	/* Records read from this ring and their bytes, by enum
	 * bombus_record_kind (what the ring costs per kind of event). */
	struct {
		uint64_t records, bytes;
	} read[BOMBUS_RECORD_KIND_MAX];

	/* A guest writes its records into its host's ring (and counters), so
	 * that the records of both about one process are read in the order
	 * they happened. The host hands records of kind guest_kind to it. */
	struct monitor *host;
	struct monitor *guest;
	uint16_t guest_kind;
	/* Closes the monitor and frees what contains it. */
	void (*free)(struct monitor *m);
	/* Optional: the io_uring opcodes some output wants changed (the
	 * opcodes are a u8: bit i of word i / 64). */
	void (*wanted_opcodes)(struct monitor *m, const uint64_t opcodes[4]);
};

/* The ringbuf_wakeup_bytes of @m's BPF object (bpf/lib/records.h): a
 * sixteenth of the configured ring, so the reader is woken well before the
 * ring fills and its short poll timer covers the rest. */
uint64_t monitor_wakeup_bytes(const struct monitor *m);

/* Loads and attaches @m->obj (its maps "records" and "counters" as in
 * bpf/lib/records.h) and starts handing records to @record. With @m->host
 * set, uses the host's ring instead of its own. Logs its own errors; on
 * failure nothing stays attached. */
int monitor_start(struct monitor *m, ringbuf_record_fn record, void *userdata);
/* Detaches the programs; monitor_drain() then handles what they queued. */
void monitor_detach(struct monitor *m);
void monitor_drain(struct monitor *m);
/* Detaches and stops reading; the caller destroys its skeleton after. */
void monitor_close(struct monitor *m);
/* Tells the BPF programs which enum event_category bits some output wants
 * (map "wanted"): hooks of other categories submit nothing. */
int monitor_set_wanted(struct monitor *m, uint32_t categories);
/* The context pre-filter of @m's programs (bpf/lib/records.h): whether it
 * is on, and the cgroups it lets through with what is below them. */
int monitor_set_context_filter(struct monitor *m, bool on);
int monitor_watch_cgroup(struct monitor *m, uint64_t cgroup_id, bool watched);
/* The time up to which @m's ring has been read: @now, or while it has a
 * backlog, the time of the last record read (those left are later). */
uint64_t monitor_read_until(const struct monitor *m, uint64_t now);
/* A counter the BPF programs keep, summed over CPUs (0 for a guest: its
 * host counts them); monitor_lost(): records lost because the ring buffer was
 * full. */
uint64_t monitor_counter(const struct monitor *m, enum bombus_kernel_counter which);
uint64_t monitor_lost(const struct monitor *m);

/* What the kernel measured of a hook's programs (kernel.bpf_stats_enabled):
 * nanoseconds run and runs, summed over the programs attached for it. */
struct hook_stats {
	uint64_t run_time_ns, run_count;
};
/* Of @hook, one of @m's: -ENOENT when nothing of it is attached. Zeros
 * while kernel.bpf_stats_enabled has been off. */
int monitor_hook_stats(const struct monitor *m, const struct hook *hook, struct hook_stats *ret);
