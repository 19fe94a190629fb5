// SPDX-License-Identifier: GPL-2.0-only
#include "process/snapshot-pool.h"
#include "unit.h"

/* A freed block is the next one of its class, and only of its class. */
static void freed_blocks_are_reused_by_class(void)
{
	size_t size, other_size;
	void *a = snapshot_alloc(1100, &size);
	void *b;

	CHECK_INT(size, 1280);
	snapshot_free(a, size);
	CHECK_INT(snapshot_pool_bytes(), 1280);
	b = snapshot_alloc(1300, &other_size); /* the next class */
	CHECK(b != a);
	CHECK_INT(other_size, 1536);
	CHECK(snapshot_alloc(1025, &size) == a);
	CHECK_INT(snapshot_pool_bytes(), 0);
	snapshot_free(a, size);
	snapshot_free(b, other_size);
	snapshot_pool_release_idle();
	snapshot_pool_release_idle();
	CHECK_INT(snapshot_pool_bytes(), 0);
}

/* The pool keeps at most SNAPSHOT_POOL_MAX_BYTES; the rest goes to malloc. */
static void the_pool_is_bounded(void)
{
	enum { N = SNAPSHOT_POOL_MAX_BYTES / 1024 + 100 };
	static void *blocks[N];
	size_t size;

	for (size_t i = 0; i < N; i++)
		blocks[i] = snapshot_alloc(1024, &size);
	for (size_t i = 0; i < N; i++)
		snapshot_free(blocks[i], size);
	CHECK_INT(snapshot_pool_bytes(), SNAPSHOT_POOL_MAX_BYTES);
	snapshot_pool_release_idle();
	snapshot_pool_release_idle();
	CHECK_INT(snapshot_pool_bytes(), 0);
}

/* What the pool keeps goes back to malloc once a call finds that nothing
 * was taken since the one before, never while snapshots are being made;
 * blocks too large for a class never stay. */
static void kept_memory_goes_back_after_a_quiet_spell(void)
{
	size_t size, large_size;
	void *a = snapshot_alloc(500, &size);
	void *large = snapshot_alloc(64 << 10, &large_size);

	snapshot_free(large, large_size);
	CHECK_INT(snapshot_pool_bytes(), 0);
	snapshot_free(a, size);
	snapshot_pool_release_idle(); /* taken since the last call: kept */
	CHECK_INT(snapshot_pool_bytes(), 512);
	snapshot_pool_release_idle(); /* quiet since: given back */
	CHECK_INT(snapshot_pool_bytes(), 0);
}

UNIT_MAIN(T(freed_blocks_are_reused_by_class), T(the_pool_is_bounded),
	  T(kept_memory_goes_back_after_a_quiet_spell))
