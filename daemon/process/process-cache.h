/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's table of processes: (pid, start time) to the current snapshot
 * of that process (process/process.h), so that a reused pid never shows
 * another process's data. Filled from the kernel's records and seeded from
 * /proc at start-up.
 *
 * The table holds one reference on each snapshot in it; what it returns is a
 * new reference of the caller's. A snapshot seeded from /proc knows its start
 * to a clock tick only (start_coarse): a key matches it when both fall in the
 * same tick, and such keys never change (a child's link to a seeded parent
 * keeps matching).
 *
 * Bounds: at most max_entries processes in all. An exited process stays for
 * EXITED_GRACE_NS (events of its children may still name it as parent) and
 * at most max_exited of them are kept; beyond either bound the oldest exited
 * entries are dropped first. When the table is full of live processes a new
 * one is not cached and the refusal is counted (full_refusals).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "process.h"

#define PROCESS_CACHE_EXITED_GRACE_NS (1ULL * 1000000000ULL)

struct process_cache;

struct process_cache_stats {
	size_t entries; /* live and exited */
	size_t exited;
	uint64_t full_refusals;
	uint64_t evicted_exited; /* exited entries dropped before their grace ended */
	uint64_t stale_replaced; /* live entries whose exit was never seen */
};

/* @tick_ns: length of a /proc start-time tick (1e9 / sysconf(_SC_CLK_TCK)). */
struct process_cache *process_cache_new(size_t max_entries, size_t max_exited, uint64_t tick_ns);
void process_cache_free(struct process_cache *cache);

/* A reference to the snapshot of (pid, start_ns), NULL when unknown.
 * @coarse: start_ns is known to a tick only. */
struct process *process_cache_get(struct process_cache *cache, uint32_t pid, uint64_t start_ns, bool coarse);

/* A reference to the live process with this pid, whatever its start. */
struct process *process_cache_get_live(struct process_cache *cache, uint32_t pid);

/* Makes @p the current snapshot of its process (the cache takes a reference),
 * in place of the one it had. A live entry with the same pid and another start
 * is a process whose exit was missed: it is retired. -ENOSPC (counted) when
 * full of live processes. */
int process_cache_put(struct process_cache *cache, struct process *p);

/* The process exited at @now_ns; it is dropped after the grace period. */
void process_cache_exited(struct process_cache *cache, uint32_t pid, uint64_t start_ns, uint64_t now_ns);

/* Drops exited entries past their grace period. */
void process_cache_gc(struct process_cache *cache, uint64_t now_ns);

/* Calls @fn for every live process. */
void process_cache_foreach(struct process_cache *cache, void (*fn)(struct process *p, void *userdata),
			   void *userdata);

struct process_cache_stats process_cache_stats(const struct process_cache *cache);
