// SPDX-License-Identifier: GPL-2.0-only
#include <stdbool.h>
#include <stdlib.h>

#include "snapshot-pool.h"

#define CLASS_BYTES 256u
/* Blocks beyond this are rare (long argv): malloc's. */
#define CLASSES 32u

struct free_block {
	struct free_block *next;
};

static struct {
	struct free_block *free[CLASSES];
	size_t bytes;
	bool taken; /* since the last snapshot_pool_release_idle() */
} pool;

static size_t class_of(size_t size)
{
	return (size + CLASS_BYTES - 1) / CLASS_BYTES;
}

void *snapshot_alloc(size_t size, size_t *ret_size)
{
	size_t class = class_of(size);
	struct free_block *b;

	*ret_size = class * CLASS_BYTES;
	pool.taken = true;
	if (class == 0 || class > CLASSES || !pool.free[class - 1])
		return malloc(*ret_size);
	b = pool.free[class - 1];
	pool.free[class - 1] = b->next;
	pool.bytes -= *ret_size;
	return b;
}

void snapshot_free(void *block, size_t size)
{
	size_t class = class_of(size);
	struct free_block *b = block;

	if (!block)
		return;
	if (class == 0 || class > CLASSES || pool.bytes + size > SNAPSHOT_POOL_MAX_BYTES) {
		free(block);
		return;
	}
	b->next = pool.free[class - 1];
	pool.free[class - 1] = b;
	pool.bytes += size;
}

void snapshot_pool_release_idle(void)
{
	if (pool.taken) {
		pool.taken = false;
		return;
	}
	for (size_t i = 0; i < CLASSES; i++)
		while (pool.free[i]) {
			struct free_block *b = pool.free[i];

			pool.free[i] = b->next;
			free(b);
		}
	pool.bytes = 0;
}

size_t snapshot_pool_bytes(void)
{
	return pool.bytes;
}
