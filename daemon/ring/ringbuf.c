// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../log.h"
#include "ringbuf.h"

/* Returned by our sample callback to make libbpf stop after a batch; the
 * record that returns it has been consumed. */
#define BATCH_FULL (-EINPROGRESS)

struct ringbuf_source {
	struct ringbuf_poller *poller;
	struct ringbuf_source *next; /* in the poller's list, read in that order */
	struct ring_buffer *rb;
	sd_event_source *io;
	ringbuf_record_fn record;
	ringbuf_batch_fn batch_done;
	void *userdata;
	size_t in_batch;
	size_t batch_limit;
	bool behind; /* the last reading stopped at the batch bound */
};

struct ringbuf_poller {
	sd_event_source *timer;
	uint64_t poll_usec;
	struct ringbuf_source *sources;
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct ringbuf_source *s = ctx;

	s->record(s->userdata, data, size);
	return ++s->in_batch >= s->batch_limit ? BATCH_FULL : 0;
}

static int consume(struct ringbuf_source *s, size_t limit)
{
	int r;

	s->in_batch = 0;
	s->batch_limit = limit;
	r = ring_buffer__consume(s->rb);
	s->behind = r == BATCH_FULL;
	if (s->in_batch && s->batch_done)
		s->batch_done(s->userdata);
	return r == BATCH_FULL ? 0 : r;
}

static void consume_batch(struct ringbuf_source *s)
{
	int r = consume(s, RINGBUF_BATCH);

	if (r < 0)
		log_warning_errno(r, "reading the ring buffer failed: %m");
}

static int on_readable(sd_event_source *io, int fd, uint32_t revents, void *userdata)
{
	consume_batch(userdata);
	return 0;
}

/* The next reading comes when about RINGBUF_POLL_RECORDS records should be
 * waiting at the rate this one found (each reading costs a few system calls
 * whatever it finds), within [RINGBUF_POLL_MIN_USEC, RINGBUF_POLL_MAX_USEC];
 * after an empty one, twice as late. */
static uint64_t next_poll_usec(uint64_t usec, size_t found)
{
	uint64_t next = found ? usec * RINGBUF_POLL_RECORDS / found : usec * 2;

	return next < RINGBUF_POLL_MIN_USEC ? RINGBUF_POLL_MIN_USEC
	       : next > RINGBUF_POLL_MAX_USEC ? RINGBUF_POLL_MAX_USEC
					      : next;
}

/* One timer reads every ring: a wakeup costs more than the readings it
 * makes, and the rings of a quiet monitor would otherwise each wake the
 * loop on their own. The busiest ring sets the pace. */
static int on_poll(sd_event_source *timer, uint64_t usec, void *userdata)
{
	struct ringbuf_poller *poller = userdata;
	size_t found = 0;

	for (struct ringbuf_source *s = poller->sources; s; s = s->next) {
		consume_batch(s);
		found = s->in_batch > found ? s->in_batch : found;
	}
	poller->poll_usec = next_poll_usec(poller->poll_usec, found);
	sd_event_source_set_time_relative(timer, poller->poll_usec);
	return sd_event_source_set_enabled(timer, SD_EVENT_ONESHOT);
}

int ringbuf_poller_new(sd_event *event, struct ringbuf_poller **ret)
{
	struct ringbuf_poller *poller = calloc(1, sizeof(*poller));
	int r;

	if (!poller)
		return -ENOMEM;
	poller->poll_usec = RINGBUF_POLL_MIN_USEC;
	r = sd_event_add_time_relative(event, &poller->timer, CLOCK_MONOTONIC, poller->poll_usec, 1000, on_poll,
				       poller);
	if (r < 0) {
		free(poller);
		return r;
	}
	*ret = poller;
	return 0;
}

void ringbuf_poller_free(struct ringbuf_poller *poller)
{
	if (!poller)
		return;
	sd_event_source_disable_unref(poller->timer);
	free(poller);
}

int ringbuf_source_new(struct ringbuf_poller *poller, int map_fd, ringbuf_record_fn record,
		       ringbuf_batch_fn batch_done, void *userdata, struct ringbuf_source **ret)
{
	struct ringbuf_source *s = calloc(1, sizeof(*s)), **tail;
	int r;

	if (!s)
		return -ENOMEM;
	s->record = record;
	s->batch_done = batch_done;
	s->userdata = userdata;
	s->rb = ring_buffer__new(map_fd, on_sample, s, NULL);
	if (!s->rb) {
		r = -errno;
		free(s);
		return r;
	}
	r = sd_event_add_io(sd_event_source_get_event(poller->timer), &s->io, ring_buffer__epoll_fd(s->rb), EPOLLIN,
			    on_readable, s);
	if (r < 0) {
		ring_buffer__free(s->rb);
		free(s);
		return r;
	}
	s->poller = poller;
	for (tail = &poller->sources; *tail; tail = &(*tail)->next)
		;
	*tail = s;
	*ret = s;
	return 0;
}

void ringbuf_source_drain(struct ringbuf_source *s)
{
	if (s)
		consume(s, SIZE_MAX);
}

bool ringbuf_source_behind(const struct ringbuf_source *s)
{
	return s && s->behind;
}

void ringbuf_source_free(struct ringbuf_source *s)
{
	struct ringbuf_source **pp;

	if (!s)
		return;
	for (pp = &s->poller->sources; *pp != s; pp = &(*pp)->next)
		;
	*pp = s->next;
	sd_event_source_disable_unref(s->io);
	ring_buffer__free(s->rb);
	free(s);
}

uint64_t percpu_counter_sum(int map_fd, uint32_t key)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	uint64_t *values;

	if (map_fd < 0 || ncpus <= 0)
		return 0;
	values = calloc((size_t)ncpus, sizeof(*values));
	if (!values)
		return 0;
	if (bpf_map_lookup_elem(map_fd, &key, values) == 0)
		for (int i = 0; i < ncpus; i++)
			sum += values[i];
	free(values);
	return sum;
}
