// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>

#include "process-cache.h"

struct process_cache {
	struct process **buckets;
	size_t n_buckets, max_buckets; /* powers of two */
	size_t max_entries, max_exited;
	uint64_t tick_ns;
	struct process *exited_head, *exited_tail; /* oldest first */
	struct process_cache_stats stats;
};

struct process_cache *process_cache_new(size_t max_entries, size_t max_exited, uint64_t tick_ns)
{
	struct process_cache *cache = calloc(1, sizeof(*cache));

	if (!cache)
		return NULL;
	cache->n_buckets = cache->max_buckets = 1024;
	while (cache->max_buckets < max_entries && cache->max_buckets < (1u << 20))
		cache->max_buckets <<= 1;
	cache->buckets = calloc(cache->n_buckets, sizeof(*cache->buckets));
	if (!cache->buckets) {
		free(cache);
		return NULL;
	}
	cache->max_entries = max_entries;
	cache->max_exited = max_exited < max_entries ? max_exited : max_entries;
	if (cache->max_exited == 0)
		cache->max_exited = 1;
	cache->tick_ns = tick_ns ? tick_ns : 10000000;
	return cache;
}

void process_cache_free(struct process_cache *cache)
{
	if (!cache)
		return;
	for (size_t i = 0; i < cache->n_buckets; i++)
		for (struct process *p = cache->buckets[i], *next; p; p = next) {
			next = p->bucket_next;
			process_unref(p);
		}
	free(cache->buckets);
	free(cache);
}

static uint32_t pid_hash(uint32_t pid)
{
	return pid * 2654435761u;
}

static struct process **bucket(struct process_cache *cache, uint32_t pid)
{
	return &cache->buckets[pid_hash(pid) & (cache->n_buckets - 1)];
}

/* The table doubles as entries come, up to a bucket per entry of the bound:
 * allocated at that size from the start, it is megabytes of zero pages that
 * fault in one by one as new pids scatter over them. Bucket i splits into i
 * and i + n, each keeping the order of its entries. */
static void grow(struct process_cache *cache)
{
	size_t n = cache->n_buckets;
	struct process **buckets = calloc(2 * n, sizeof(*buckets));

	if (!buckets)
		return; /* longer chains, still right */
	for (size_t i = 0; i < n; i++) {
		struct process **tails[2] = { &buckets[i], &buckets[i + n] };

		for (struct process *p = cache->buckets[i], *next; p; p = next) {
			struct process ***tail = &tails[(pid_hash(p->task.pid) & n) != 0];

			next = p->bucket_next;
			p->bucket_next = NULL;
			**tail = p;
			*tail = &p->bucket_next;
		}
	}
	free(cache->buckets);
	cache->buckets = buckets;
	cache->n_buckets = 2 * n;
}

static bool start_matches(const struct process_cache *cache, const struct process *p, uint64_t start_ns,
			  bool coarse)
{
	if (p->task.start_ns == start_ns)
		return true;
	return (p->start_coarse || coarse) && p->task.start_ns / cache->tick_ns == start_ns / cache->tick_ns;
}

static struct process *find(struct process_cache *cache, uint32_t pid, uint64_t start_ns, bool coarse)
{
	for (struct process *p = *bucket(cache, pid); p; p = p->bucket_next)
		if (p->task.pid == pid && start_matches(cache, p, start_ns, coarse))
			return p;
	return NULL;
}

struct process *process_cache_get(struct process_cache *cache, uint32_t pid, uint64_t start_ns, bool coarse)
{
	struct process *p = find(cache, pid, start_ns, coarse);

	return p ? process_ref(p) : NULL;
}

struct process *process_cache_get_live(struct process_cache *cache, uint32_t pid)
{
	for (struct process *p = *bucket(cache, pid); p; p = p->bucket_next)
		if (p->task.pid == pid && !p->exited_ns)
			return process_ref(p);
	return NULL;
}

static void unlink_from_bucket(struct process_cache *cache, struct process *p)
{
	for (struct process **pp = bucket(cache, p->task.pid); *pp; pp = &(*pp)->bucket_next)
		if (*pp == p) {
			*pp = p->bucket_next;
			return;
		}
}

static void drop_oldest_exited(struct process_cache *cache)
{
	struct process *p = cache->exited_head;

	cache->exited_head = p->exited_next;
	if (!cache->exited_head)
		cache->exited_tail = NULL;
	unlink_from_bucket(cache, p);
	cache->stats.exited--;
	cache->stats.entries--;
	process_unref(p);
}

static void mark_exited(struct process_cache *cache, struct process *p, uint64_t now_ns)
{
	if (p->exited_ns)
		return;
	p->exited_ns = now_ns ? now_ns : 1;
	p->exited_next = NULL;
	if (cache->exited_tail)
		cache->exited_tail->exited_next = p;
	else
		cache->exited_head = p;
	cache->exited_tail = p;
	cache->stats.exited++;
	while (cache->stats.exited > cache->max_exited) {
		drop_oldest_exited(cache);
		cache->stats.evicted_exited++;
	}
}

void process_cache_exited(struct process_cache *cache, uint32_t pid, uint64_t start_ns, uint64_t now_ns)
{
	struct process *p = find(cache, pid, start_ns, false);

	if (p)
		mark_exited(cache, p, now_ns);
}

/* Puts @next in @old's place: bucket and (if exited) the exited list. */
static void replace(struct process_cache *cache, struct process *old, struct process *next)
{
	struct process **pp = bucket(cache, old->task.pid);

	while (*pp != old)
		pp = &(*pp)->bucket_next;
	*pp = process_ref(next);
	next->bucket_next = old->bucket_next;
	next->exited_ns = old->exited_ns;
	next->exited_next = old->exited_next;
	if (old->exited_ns) {
		struct process **ep = &cache->exited_head;

		while (*ep != old)
			ep = &(*ep)->exited_next;
		*ep = next;
		if (cache->exited_tail == old)
			cache->exited_tail = next;
	}
	process_unref(old);
}

int process_cache_put(struct process_cache *cache, struct process *p)
{
	uint32_t pid = p->task.pid;
	struct process **head = bucket(cache, pid), *q;

again:
	for (q = *head; q; q = q->bucket_next) {
		if (q->task.pid != pid)
			continue;
		if (start_matches(cache, q, p->task.start_ns, p->start_coarse)) {
			if (q != p)
				replace(cache, q, p);
			return 0;
		}
		if (!q->exited_ns) {
			/* A pid is not reused while its process lives: this one's
			 * exit was missed. Retiring it may drop entries of this
			 * bucket, so walk it again. */
			mark_exited(cache, q, p->task.start_ns);
			cache->stats.stale_replaced++;
			goto again;
		}
	}
	if (cache->stats.entries >= cache->max_entries && cache->exited_head) {
		drop_oldest_exited(cache);
		cache->stats.evicted_exited++;
	}
	if (cache->stats.entries >= cache->max_entries) {
		cache->stats.full_refusals++;
		return -ENOSPC;
	}
	p->exited_ns = 0;
	p->bucket_next = *head;
	*head = process_ref(p);
	cache->stats.entries++;
	if (cache->stats.entries > 2 * cache->n_buckets && cache->n_buckets < cache->max_buckets)
		grow(cache);
	return 0;
}

void process_cache_gc(struct process_cache *cache, uint64_t now_ns)
{
	while (cache->exited_head && cache->exited_head->exited_ns + PROCESS_CACHE_EXITED_GRACE_NS <= now_ns)
		drop_oldest_exited(cache);
}

void process_cache_foreach(struct process_cache *cache, void (*fn)(struct process *p, void *userdata),
			   void *userdata)
{
	for (size_t i = 0; i < cache->n_buckets; i++)
		for (struct process *p = cache->buckets[i]; p; p = p->bucket_next)
			if (!p->exited_ns)
				fn(p, userdata);
}

struct process_cache_stats process_cache_stats(const struct process_cache *cache)
{
	return cache->stats;
}
