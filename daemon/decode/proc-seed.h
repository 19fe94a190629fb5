/* SPDX-License-Identifier: GPL-2.0-only */
/* Seeding the process cache from /proc, so that processes started before
 * bombusd have a known binary and parent. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "../process/process-cache.h"

/* Adds a snapshot of every process of @proc_root (normally "/proc") not
 * already cached, its start and its parent's known to a tick (@tick_ns).
 * Processes that vanish while being read are skipped. Returns the number
 * of processes read, or -errno if @proc_root cannot be read. */
int proc_seed(struct process_cache *cache, const char *proc_root, uint64_t tick_ns, int64_t boot_to_real_ns);
