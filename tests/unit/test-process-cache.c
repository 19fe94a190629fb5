// SPDX-License-Identifier: GPL-2.0-only
#include "process-cache.h"
#include "unit.h"

#define MS 1000000ull
#define TICK (10 * MS)

static void find_by_pid_and_start(void)
{
	struct process_cache *c = process_cache_new(16, 4, TICK);
	struct process *a = process_cache_add(c, 100, 5000 * MS);

	CHECK(a != NULL);
	CHECK(process_cache_find(c, 100, 5000 * MS) == a);
	CHECK(process_cache_find(c, 100, 5001 * MS) == NULL); /* another process, same pid */
	CHECK(process_cache_find(c, 101, 5000 * MS) == NULL);
	process_cache_free(c);
}

static void seeded_entries_match_within_a_tick(void)
{
	struct process_cache *c = process_cache_new(16, 4, TICK);
	struct process *p = process_cache_add(c, 7, 123 * TICK);

	p->start_coarse = true;
	CHECK(process_cache_find(c, 7, 123 * TICK + 9 * MS) == p);
	/* refined to the precise start on first match */
	CHECK_INT(p->start_ns, 123 * TICK + 9 * MS);
	CHECK(!p->start_coarse);
	CHECK(process_cache_find(c, 7, 123 * TICK + 8 * MS) == NULL);
	process_cache_free(c);
}

static void pid_reuse_retires_stale_entry(void)
{
	struct process_cache *c = process_cache_new(16, 4, TICK);
	struct process *old = process_cache_add(c, 9, 1000 * MS), *fresh;

	CHECK(old != NULL);
	fresh = process_cache_add(c, 9, 2000 * MS); /* the exit of pid 9 was missed */
	CHECK(fresh != NULL && fresh != old);
	CHECK_INT(process_cache_stats(c).stale_replaced, 1);
	CHECK_INT(process_cache_stats(c).exited, 1);
	CHECK(process_cache_find_live(c, 9) == fresh);
	/* the old one stays findable for its grace period */
	CHECK(process_cache_find(c, 9, 1000 * MS) == old);
	process_cache_free(c);
}

static void exited_entries_expire_and_stay_bounded(void)
{
	struct process_cache *c = process_cache_new(64, 4, TICK);
	uint64_t now = 100ull * 1000 * MS;

	for (uint32_t pid = 1; pid <= 10; pid++) {
		struct process *p = process_cache_add(c, pid, pid * MS);

		process_cache_exited(c, p, now);
	}
	/* only max_exited are kept, oldest freed first */
	CHECK_INT(process_cache_stats(c).exited, 4);
	CHECK_INT(process_cache_stats(c).entries, 4);
	CHECK_INT(process_cache_stats(c).evicted_exited, 6);
	CHECK(process_cache_find(c, 1, 1 * MS) == NULL);
	CHECK(process_cache_find(c, 10, 10 * MS) != NULL);
	process_cache_gc(c, now + PROCESS_CACHE_EXITED_GRACE_NS - 1);
	CHECK_INT(process_cache_stats(c).entries, 4);
	process_cache_gc(c, now + PROCESS_CACHE_EXITED_GRACE_NS);
	CHECK_INT(process_cache_stats(c).entries, 0);
	process_cache_free(c);
}

static void full_cache_refuses_and_counts(void)
{
	struct process_cache *c = process_cache_new(3, 1, TICK);

	for (uint32_t pid = 1; pid <= 3; pid++)
		CHECK(process_cache_add(c, pid, MS) != NULL);
	CHECK(process_cache_add(c, 4, MS) == NULL);
	CHECK_INT(process_cache_stats(c).full_refusals, 1);
	/* an exited entry makes room */
	process_cache_exited(c, process_cache_find(c, 2, MS), 1);
	CHECK(process_cache_add(c, 4, MS) != NULL);
	CHECK_INT(process_cache_stats(c).entries, 3);
	process_cache_free(c);
}

static void churn_stays_bounded(void)
{
	struct process_cache *c = process_cache_new(1000, 100, TICK);

	for (uint32_t i = 0; i < 100000; i++) {
		struct process *p = process_cache_add(c, 1000 + i % 5000, i * MS);

		CHECK(p != NULL);
		if (p)
			process_cache_exited(c, p, i * MS);
		if (unit_failures)
			break;
	}
	CHECK(process_cache_stats(c).entries <= 100);
	process_cache_free(c);
}

UNIT_MAIN(T(find_by_pid_and_start), T(seeded_entries_match_within_a_tick), T(pid_reuse_retires_stale_entry),
	  T(exited_entries_expire_and_stay_bounded), T(full_cache_refuses_and_counts), T(churn_stays_bounded))
