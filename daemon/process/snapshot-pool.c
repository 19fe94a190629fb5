// SPDX-License-Identifier: GPL-2.0-only
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "snapshot-pool.h"

/* A block not in use is poisoned but for its last word, the link to the
 * next free one: with AddressSanitizer, a snapshot used after its last
 * reference went is reported as after free(). Blocks are cut with a
 * poisoned gap between them there, so that an overflow is reported too. */
#if defined(__SANITIZE_ADDRESS__) /* gcc */
#define WITH_ASAN 1
#elif defined(__has_feature) /* clang */
#if __has_feature(address_sanitizer)
#define WITH_ASAN 1
#endif
#endif
#ifdef WITH_ASAN
#include <sanitizer/asan_interface.h>
#define BLOCK_GAP 64u
#else
#define ASAN_POISON_MEMORY_REGION(addr, size)	((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define BLOCK_GAP 0u
#endif

#define CLASS_BYTES 256u
/* Blocks beyond this are rare (long argv): malloc's. */
#define CLASSES 32u

/* Chunks are aligned to their size, so a block finds its chunk. */
struct chunk {
	struct chunk *next;
	size_t live; /* blocks handed out and not given back */
};

/* The head takes the first class-sized slot: blocks stay aligned. */
#define CHUNK_HEAD_BYTES CLASS_BYTES

static struct {
	void *free[CLASSES]; /* each class's free blocks, linked by their last word */
	struct chunk *chunks;
	char *carve, *carve_end; /* what the newest chunk has not handed out yet */
	size_t n_chunks;
	size_t live_bytes;
	bool taken; /* since the last snapshot_pool_release() */
} pool;

static size_t class_of(size_t size)
{
	return (size + CLASS_BYTES - 1) / CLASS_BYTES;
}

static void **link_of(void *block, size_t size)
{
	return (void **)((char *)block + size - sizeof(void *));
}

static struct chunk *chunk_of(const void *block)
{
	return (struct chunk *)((uintptr_t)block & ~(uintptr_t)(SNAPSHOT_POOL_CHUNK_BYTES - 1));
}

static bool chunk_new(void)
{
	struct chunk *c = aligned_alloc(SNAPSHOT_POOL_CHUNK_BYTES, SNAPSHOT_POOL_CHUNK_BYTES);

	if (!c)
		return false;
	/* One huge page where the kernel allows it: otherwise a fork storm
	 * faults a page in every few snapshots, on a virtual machine the
	 * costliest part of an event. */
	(void)madvise(c, SNAPSHOT_POOL_CHUNK_BYTES, MADV_HUGEPAGE);
	*c = (struct chunk){ .next = pool.chunks };
	pool.chunks = c;
	pool.n_chunks++;
	pool.carve = (char *)c + CHUNK_HEAD_BYTES;
	pool.carve_end = (char *)c + SNAPSHOT_POOL_CHUNK_BYTES;
	ASAN_POISON_MEMORY_REGION(pool.carve, (size_t)(pool.carve_end - pool.carve));
	return true;
}

void *snapshot_alloc(size_t size, size_t *ret_size)
{
	size_t size_class = class_of(size);
	void *block;

	*ret_size = size_class * CLASS_BYTES;
	pool.taken = true;
	if (size_class == 0 || size_class > CLASSES)
		return malloc(*ret_size);
	block = pool.free[size_class - 1];
	if (block) {
		pool.free[size_class - 1] = *link_of(block, *ret_size);
	} else {
		if ((size_t)(pool.carve_end - pool.carve) < *ret_size + BLOCK_GAP && !chunk_new())
			return NULL;
		block = pool.carve;
		pool.carve += *ret_size + BLOCK_GAP;
	}
	ASAN_UNPOISON_MEMORY_REGION(block, *ret_size);
	chunk_of(block)->live++;
	pool.live_bytes += *ret_size;
	return block;
}

void snapshot_free(void *block, size_t size)
{
	size_t size_class = class_of(size);

	if (!block)
		return;
	if (size_class == 0 || size_class > CLASSES) {
		free(block);
		return;
	}
	*link_of(block, size) = pool.free[size_class - 1];
	pool.free[size_class - 1] = block;
	ASAN_POISON_MEMORY_REGION(block, size - sizeof(void *));
	chunk_of(block)->live--;
	pool.live_bytes -= size;
}

/* Gives back the chunks no block is used of, their free blocks first. The
 * free lists are only walked when such a chunk exists: a pool over its
 * bound whose chunks all hold a live block would walk them every second
 * for nothing. */
static void free_unused_chunks(void)
{
	struct chunk *c = pool.chunks;

	while (c && c->live)
		c = c->next;
	if (!c)
		return;
	for (size_t size_class = 1; size_class <= CLASSES; size_class++) {
		size_t size = size_class * CLASS_BYTES;

		for (void **pp = &pool.free[size_class - 1]; *pp;) {
			void **link = link_of(*pp, size);

			if (chunk_of(*pp)->live == 0)
				*pp = *link;
			else
				pp = link;
		}
	}
	for (struct chunk **pp = &pool.chunks; *pp;) {
		c = *pp;
		if (c->live) {
			pp = &c->next;
			continue;
		}
		if (pool.carve > (char *)c && pool.carve <= (char *)c + SNAPSHOT_POOL_CHUNK_BYTES)
			pool.carve = pool.carve_end = NULL;
		*pp = c->next;
		pool.n_chunks--;
		free(c);
	}
}

void snapshot_pool_release(void)
{
	bool idle = !pool.taken;

	pool.taken = false;
	if (idle || snapshot_pool_bytes() > SNAPSHOT_POOL_MAX_BYTES)
		free_unused_chunks();
}

size_t snapshot_pool_bytes(void)
{
	return pool.n_chunks * SNAPSHOT_POOL_CHUNK_BYTES - pool.live_bytes;
}
