// SPDX-License-Identifier: GPL-2.0-only
#include "process/process-cache.h"
#include "unit.h"

#define MS 1000000ull
#define TICK (10 * MS)

/* A snapshot of (pid, start), put in @c; returns the caller's reference
 * (NULL when the cache refused it). */
static struct process *put(struct process_cache *c, uint32_t pid, uint64_t start_ns, bool coarse)
{
	struct bombus_task task = { .pid = pid, .tid = pid, .start_ns = start_ns, .ppid = 1 };
	struct process *p = process_new(&task, false, coarse, exec_image_unknown(), 0);

	CHECK(p != NULL);
	if (p && process_cache_put(c, p) < 0) {
		process_unref(p);
		return NULL;
	}
	return p;
}

/* Whether (pid, start) finds @expected (NULL: nothing). */
static bool finds(struct process_cache *c, uint32_t pid, uint64_t start_ns, bool coarse, struct process *expected)
{
	struct process *p = process_cache_get(c, pid, start_ns, coarse);
	bool same = p == expected;

	if (p)
		process_unref(p);
	return same;
}

static void find_by_pid_and_start(void)
{
	struct process_cache *c = process_cache_new(16, 4, TICK);
	struct process *a = put(c, 100, 5000 * MS, false);

	CHECK(finds(c, 100, 5000 * MS, false, a));
	CHECK(finds(c, 100, 5001 * MS, false, NULL)); /* another process, same pid */
	CHECK(finds(c, 101, 5000 * MS, false, NULL));
	process_unref(a);
	process_cache_free(c);
}

/* A seeded process knows its start to a tick: exact keys in that tick find
 * it, and finding it changes nothing, so a seeded child's link to it (a key
 * of the same tick) keeps finding it: the defect where the first exact
 * lookup refined the parent's start and orphaned its seeded children. */
static void seeded_entries_match_within_a_tick_and_never_change(void)
{
	struct process_cache *c = process_cache_new(16, 4, TICK);
	struct process *p = put(c, 7, 123 * TICK, true);

	CHECK(finds(c, 7, 123 * TICK + 9 * MS, false, p));
	CHECK_INT(p->task.start_ns, 123 * TICK);
	CHECK(p->start_coarse);
	CHECK(finds(c, 7, 123 * TICK, true, p)); /* the seeded child's link */
	CHECK(finds(c, 7, 123 * TICK + 8 * MS, false, p));
	CHECK(finds(c, 7, 124 * TICK, false, NULL));
	process_unref(p);
	process_cache_free(c);
}

/* An exec replaces the snapshot; whoever holds the old one keeps it whole. */
static void put_replaces_and_holders_keep_theirs(void)
{
	struct process_cache *c = process_cache_new(16, 4, TICK);
	struct process *seeded = put(c, 7, 123 * TICK, true), *exact = put(c, 7, 123 * TICK + 5 * MS, false);

	CHECK(finds(c, 7, 123 * TICK + 5 * MS, false, exact));
	CHECK_INT(process_cache_stats(c).entries, 1);
	CHECK_INT(seeded->refs, 1); /* ours only: the cache let go */
	CHECK_INT(seeded->task.pid, 7);
	process_unref(seeded);
	process_unref(exact);
	process_cache_free(c);
}

static void pid_reuse_retires_stale_entry(void)
{
	struct process_cache *c = process_cache_new(16, 4, TICK);
	struct process *old = put(c, 9, 1000 * MS, false), *fresh = put(c, 9, 2000 * MS, false), *live;

	CHECK(fresh != NULL && fresh != old);
	CHECK_INT(process_cache_stats(c).stale_replaced, 1);
	CHECK_INT(process_cache_stats(c).exited, 1);
	live = process_cache_get_live(c, 9);
	CHECK(live == fresh);
	process_unref(live);
	/* the old one stays findable for its grace period */
	CHECK(finds(c, 9, 1000 * MS, false, old));
	process_unref(old);
	process_unref(fresh);
	process_cache_free(c);
}

static void exited_entries_expire_and_stay_bounded(void)
{
	struct process_cache *c = process_cache_new(64, 4, TICK);
	uint64_t now = 100ull * 1000 * MS;

	for (uint32_t pid = 1; pid <= 10; pid++) {
		process_unref(put(c, pid, pid * MS, false));
		process_cache_exited(c, pid, pid * MS, now);
	}
	/* only max_exited are kept, oldest dropped first */
	CHECK_INT(process_cache_stats(c).exited, 4);
	CHECK_INT(process_cache_stats(c).entries, 4);
	CHECK_INT(process_cache_stats(c).evicted_exited, 6);
	CHECK(finds(c, 1, 1 * MS, false, NULL));
	CHECK(!finds(c, 10, 10 * MS, false, NULL));
	process_cache_gc(c, now + PROCESS_CACHE_EXITED_GRACE_NS - 1);
	CHECK_INT(process_cache_stats(c).entries, 4);
	process_cache_gc(c, now + PROCESS_CACHE_EXITED_GRACE_NS);
	CHECK_INT(process_cache_stats(c).entries, 0);
	process_cache_free(c);
}

/* The use after free of the old design: a parent looked up, then an add that
 * evicts it (a small cache full of exited entries), then the parent used. A
 * reference keeps it whole; ASan would report the old way. */
static void eviction_never_frees_what_is_held(void)
{
	struct process_cache *c = process_cache_new(2, 1, TICK);
	struct process *parent = put(c, 10, MS, false), *held, *child;

	process_cache_exited(c, 10, MS, 5 * MS);
	held = process_cache_get(c, 10, MS, false);
	CHECK(held == parent);
	process_unref(parent);
	child = put(c, 11, 2 * MS, false);
	process_unref(put(c, 12, 3 * MS, false)); /* full: the exited parent is evicted */
	CHECK(finds(c, 10, MS, false, NULL));
	CHECK_INT(held->task.pid, 10);
	CHECK(strncmp(held->json, "{\"start_time\":", 14) == 0);
	process_unref(held);
	process_unref(child);
	process_cache_free(c);
}

static void full_cache_refuses_and_counts(void)
{
	struct process_cache *c = process_cache_new(3, 1, TICK);

	for (uint32_t pid = 1; pid <= 3; pid++)
		process_unref(put(c, pid, MS, false));
	CHECK(put(c, 4, MS, false) == NULL);
	CHECK_INT(process_cache_stats(c).full_refusals, 1);
	/* an exited entry makes room */
	process_cache_exited(c, 2, MS, 1);
	process_unref(put(c, 4, MS, false));
	CHECK_INT(process_cache_stats(c).entries, 3);
	process_cache_free(c);
}

static void churn_stays_bounded(void)
{
	struct process_cache *c = process_cache_new(1000, 100, TICK);

	for (uint32_t i = 0; i < 100000; i++) {
		struct process *p = put(c, 1000 + i % 5000, i * MS, false);

		CHECK(p != NULL);
		if (p)
			process_unref(p);
		process_cache_exited(c, 1000 + i % 5000, i * MS, i * MS);
		if (unit_failures)
			break;
	}
	CHECK(process_cache_stats(c).entries <= 100);
	process_cache_free(c);
}

/* The table grows as entries come: every entry is still found, and so is
 * the live one of a reused pid beside its exited predecessor. */
static void entries_survive_the_table_growing(void)
{
	struct process_cache *c = process_cache_new(1 << 16, 1 << 16, TICK);
	enum { N = 20000 };
	static struct process *held[N];

	for (uint32_t i = 0; i < N; i++)
		held[i] = put(c, 300 + i, (i + 1) * MS, false);
	/* pid 300 again, live, while its exited predecessor stays */
	process_cache_exited(c, 300, MS, 1);
	struct process *again = put(c, 300, 2 * N * MS, false);

	CHECK_INT(process_cache_stats(c).entries, N + 1);
	for (uint32_t i = 0; i < N && !unit_failures; i++)
		CHECK(finds(c, 300 + i, (i + 1) * MS, false, held[i]));
	struct process *live = process_cache_get_live(c, 300);

	CHECK(live == again);
	process_unref(live);
	process_unref(again);
	for (uint32_t i = 0; i < N; i++)
		process_unref(held[i]);
	process_cache_free(c);
}

UNIT_MAIN(T(find_by_pid_and_start), T(seeded_entries_match_within_a_tick_and_never_change),
	  T(put_replaces_and_holders_keep_theirs), T(pid_reuse_retires_stale_entry),
	  T(exited_entries_expire_and_stay_bounded), T(eviction_never_frees_what_is_held),
	  T(full_cache_refuses_and_counts), T(churn_stays_bounded),
	  T(entries_survive_the_table_growing))
