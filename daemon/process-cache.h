/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's table of processes, keyed by (pid, start time) so that a
 * reused pid never shows another process's data. Filled from events and
 * seeded from /proc at start-up.
 *
 * Bounds: at most max_entries processes in all. An exited process stays for
 * EXITED_GRACE_NS (events of its children may still name it as parent) and
 * at most max_exited of them are kept; beyond either bound the oldest exited
 * entries are freed first. When the table is full of live processes a new
 * one is not cached and the refusal is counted (full_refusals).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "process.h"

#define PROCESS_CACHE_EXITED_GRACE_NS (5ULL * 1000000000ULL)

struct process_cache;

struct process_cache_stats {
	size_t entries;     /* live and exited */
	size_t exited;
	uint64_t full_refusals;
	uint64_t evicted_exited; /* exited entries freed before their grace ended */
	uint64_t stale_replaced; /* live entries whose exit was never seen */
};

/* @tick_ns: length of a /proc start-time tick (1e9 / sysconf(_SC_CLK_TCK)). */
struct process_cache *process_cache_new(size_t max_entries, size_t max_exited, uint64_t tick_ns);
void process_cache_free(struct process_cache *cache);

/* The process (pid, start_ns); an entry seeded from /proc matches any start
 * in the same tick and is refined to @start_ns. NULL when unknown. */
struct process *process_cache_find(struct process_cache *cache, uint32_t pid, uint64_t start_ns);

/* The live process with this pid, whatever its start time. */
struct process *process_cache_find_live(struct process_cache *cache, uint32_t pid);

/* Adds a process. A live entry with the same pid and another start is a
 * process whose exit was missed: it is retired. NULL when full (counted) or
 * out of memory. */
struct process *process_cache_add(struct process_cache *cache, uint32_t pid, uint64_t start_ns);

/* The process exited at @now_ns; it is freed after the grace period. */
void process_cache_exited(struct process_cache *cache, struct process *p, uint64_t now_ns);

/* Frees exited entries past their grace period or over the bounds. */
void process_cache_gc(struct process_cache *cache, uint64_t now_ns);

/* Calls @fn for every live process. */
void process_cache_foreach(struct process_cache *cache, void (*fn)(struct process *p, void *userdata),
			   void *userdata);

struct process_cache_stats process_cache_stats(const struct process_cache *cache);
