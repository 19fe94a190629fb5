// SPDX-License-Identifier: GPL-2.0-only
#include <stdint.h>

#include "process/snapshot-pool.h"
#include "unit.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

#define CHUNK SNAPSHOT_POOL_CHUNK_BYTES

/* A freed block is the next one of its class, and only of its class. */
static void freed_blocks_are_reused_by_class(void)
{
	size_t size, other_size;
	void *a = snapshot_alloc(1100, &size);
	void *b;

	CHECK_INT(size, 1280);
	snapshot_free(a, size);
	b = snapshot_alloc(1300, &other_size); /* the next class */
	CHECK(b != a);
	CHECK_INT(other_size, 1536);
	CHECK(snapshot_alloc(1025, &size) == a);
	snapshot_free(a, size);
	snapshot_free(b, other_size);
	snapshot_pool_release();
	snapshot_pool_release();
	CHECK_INT(snapshot_pool_bytes(), 0);
}

/* Blocks are cut from a chunk until it is used up; the next comes from a
 * new chunk, and what is not in use is what the pool reports. */
static void blocks_come_from_chunks(void)
{
	size_t size;
	void *first = snapshot_alloc(2000, &size);
	void *second = snapshot_alloc(2000, &size);

	CHECK_INT(size, 2048);
	CHECK((uintptr_t)first / CHUNK == (uintptr_t)second / CHUNK);
	CHECK((uintptr_t)first % 256 == 0);
	CHECK_INT(snapshot_pool_bytes(), CHUNK - 2 * 2048);
	snapshot_free(first, size);
	snapshot_free(second, size);
	snapshot_pool_release();
	snapshot_pool_release();
	CHECK_INT(snapshot_pool_bytes(), 0);
}

/* A chunk with a block in use stays through quiet spells; once its last
 * block is freed it goes, its free blocks with it. */
static void a_chunk_in_use_stays(void)
{
	enum { N = CHUNK / 1024 + 10 }; /* two chunks */
	static void *blocks[N];
	size_t size;

	for (size_t i = 0; i < N; i++)
		blocks[i] = snapshot_alloc(1024, &size);
	for (size_t i = 1; i < N; i++)
		snapshot_free(blocks[i], size);
	snapshot_pool_release();
	snapshot_pool_release();
	/* the second chunk went; the first stays for blocks[0] */
	CHECK_INT(snapshot_pool_bytes(), CHUNK - 1024);
	/* its free blocks are still handed out, none of the chunk that went */
	blocks[1] = snapshot_alloc(1024, &size);
	CHECK((uintptr_t)blocks[1] / CHUNK == (uintptr_t)blocks[0] / CHUNK);
	snapshot_free(blocks[1], size);
	snapshot_free(blocks[0], size);
	snapshot_pool_release();
	snapshot_pool_release();
	CHECK_INT(snapshot_pool_bytes(), 0);
}

/* Unused memory goes back after a call that finds nothing was taken since
 * the one before, never while snapshots are being made, unless it is over
 * SNAPSHOT_POOL_MAX_BYTES; blocks too large for a class are malloc's. */
static void unused_memory_goes_back_after_a_quiet_spell(void)
{
	enum { N = 3 * CHUNK / 4096 };
	static void *blocks[N];
	size_t size, large_size;
	void *a = snapshot_alloc(500, &size);
	void *large = snapshot_alloc(64 << 10, &large_size);

	snapshot_free(large, large_size);
	CHECK_INT(snapshot_pool_bytes(), CHUNK - 512);
	snapshot_free(a, size);
	snapshot_pool_release(); /* taken since the last call: kept */
	CHECK_INT(snapshot_pool_bytes(), CHUNK);
	snapshot_pool_release(); /* quiet since: given back */
	CHECK_INT(snapshot_pool_bytes(), 0);

	/* over the bound, busy or not */
	for (size_t i = 0; i < N; i++)
		blocks[i] = snapshot_alloc(4096, &size);
	for (size_t i = 0; i < N; i++)
		snapshot_free(blocks[i], size);
	CHECK(snapshot_pool_bytes() > SNAPSHOT_POOL_MAX_BYTES);
	snapshot_alloc(4096, &size); /* busy */
	snapshot_pool_release();
	CHECK(snapshot_pool_bytes() <= CHUNK);
}

/* With AddressSanitizer, a block not in use and the gap after each block
 * are poisoned: a use after the last reference, or past the end, is
 * reported. */
static void unused_memory_is_poisoned(void)
{
#ifdef __SANITIZE_ADDRESS__
	size_t size;
	char *a = snapshot_alloc(1000, &size);

	CHECK(!__asan_region_is_poisoned(a, size));
	CHECK(__asan_address_is_poisoned(a + size));
	snapshot_free(a, size);
	CHECK(__asan_address_is_poisoned(a));
	CHECK(snapshot_alloc(1000, &size) == a);
	CHECK(!__asan_region_is_poisoned(a, size));
	snapshot_free(a, size);
	snapshot_pool_release();
	snapshot_pool_release();
#endif
}

UNIT_MAIN(T(freed_blocks_are_reused_by_class), T(blocks_come_from_chunks), T(a_chunk_in_use_stays),
	  T(unused_memory_goes_back_after_a_quiet_spell), T(unused_memory_is_poisoned))
