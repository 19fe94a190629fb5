/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Memory of process snapshots and exec images.
 *
 * A fork storm makes and frees snapshots by the thousand, each a little
 * over a kilobyte: beyond glibc's per-thread caches, so each malloc() sorted
 * the chunks freed since into size-ordered bins, and a growing heap faulted
 * a page in every few snapshots (on a virtual machine, the costliest part of
 * an event). Blocks here come in classes of 256 bytes, cut from chunks of
 * SNAPSHOT_POOL_CHUNK_BYTES (a huge page where the kernel's transparent huge
 * pages allow); freed ones are kept per class and reused first. A chunk no
 * block is used of goes back to malloc after a quiet spell, or at once
 * while the pool holds more than SNAPSHOT_POOL_MAX_BYTES unused. Main loop
 * only.
 */
#pragma once

#include <stddef.h>

#define SNAPSHOT_POOL_CHUNK_BYTES (2u << 20)
#define SNAPSHOT_POOL_MAX_BYTES (4u << 20)

/* A block of at least @size bytes; *@ret_size is what to pass back. */
void *snapshot_alloc(size_t size, size_t *ret_size);
void snapshot_free(void *block, size_t size);
/* Called once a second: gives back the chunks no block is used of if no
 * block was taken since the last call (memory held through a quiet spell
 * is held for nothing), or if the pool holds more than
 * SNAPSHOT_POOL_MAX_BYTES unused. */
void snapshot_pool_release(void);
/* What the pool holds and no snapshot uses now. */
size_t snapshot_pool_bytes(void);
