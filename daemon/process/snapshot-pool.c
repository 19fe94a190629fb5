// SPDX-License-Identifier: GPL-2.0-only
#include <stdbool.h>
#include <stdlib.h>

#include "snapshot-pool.h"

/* A kept block is poisoned but for its last word, the link to the next
 * one (where LeakSanitizer still sees it): with AddressSanitizer, a snapshot
 * used after its last reference went is reported as after free(). */
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size)	((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#define CLASS_BYTES 256u
/* Blocks beyond this are rare (long argv): malloc's. */
#define CLASSES 32u

static struct {
	void *free[CLASSES]; /* each class's kept blocks, linked by their last word */
	size_t bytes;
	bool taken; /* since the last snapshot_pool_release_idle() */
} pool;

static size_t class_of(size_t size)
{
	return (size + CLASS_BYTES - 1) / CLASS_BYTES;
}

static void **link_of(void *block, size_t size)
{
	return (void **)((char *)block + size - sizeof(void *));
}

static void *pop(size_t size_class)
{
	size_t size = size_class * CLASS_BYTES;
	void *block = pool.free[size_class - 1];

	pool.free[size_class - 1] = *link_of(block, size);
	ASAN_UNPOISON_MEMORY_REGION(block, size);
	pool.bytes -= size;
	return block;
}

void *snapshot_alloc(size_t size, size_t *ret_size)
{
	size_t size_class = class_of(size);

	*ret_size = size_class * CLASS_BYTES;
	pool.taken = true;
	if (size_class == 0 || size_class > CLASSES || !pool.free[size_class - 1])
		return malloc(*ret_size);
	return pop(size_class);
}

void snapshot_free(void *block, size_t size)
{
	size_t size_class = class_of(size);

	if (!block)
		return;
	if (size_class == 0 || size_class > CLASSES || pool.bytes + size > SNAPSHOT_POOL_MAX_BYTES) {
		free(block);
		return;
	}
	*link_of(block, size) = pool.free[size_class - 1];
	pool.free[size_class - 1] = block;
	ASAN_POISON_MEMORY_REGION(block, size - sizeof(void *));
	pool.bytes += size;
}

void snapshot_pool_release_idle(void)
{
	if (pool.taken) {
		pool.taken = false;
		return;
	}
	for (size_t size_class = 1; size_class <= CLASSES; size_class++)
		while (pool.free[size_class - 1])
			free(pop(size_class));
}

size_t snapshot_pool_bytes(void)
{
	return pool.bytes;
}
