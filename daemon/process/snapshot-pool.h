/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Memory of process snapshots and exec images, kept for reuse.
 *
 * A fork storm makes and frees snapshots by the thousand (freed in batches
 * a grace period after their exits), each a little over a kilobyte: beyond
 * glibc's per-thread caches, so each malloc() sorted the chunks freed since
 * into size-ordered bins, a cache miss per step, and the sizes rarely fit
 * exactly. That was the costliest part of an event. Blocks here come in
 * classes of 256 bytes, freed ones are kept per class and reused first, up
 * to SNAPSHOT_POOL_MAX_BYTES in all; the rest goes back to malloc. Main loop
 * only.
 */
#pragma once

#include <stddef.h>

#define SNAPSHOT_POOL_MAX_BYTES (4u << 20)

/* A block of at least @size bytes; *@ret_size is what to pass back. */
void *snapshot_alloc(size_t size, size_t *ret_size);
void snapshot_free(void *block, size_t size);
/* Gives every kept block back to malloc if none was taken since the last
 * call: a pool kept through a quiet spell is memory held for nothing. */
void snapshot_pool_release_idle(void);
/* What the pool keeps now. */
size_t snapshot_pool_bytes(void);
