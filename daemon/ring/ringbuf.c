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
	struct ring_buffer *rb;
	sd_event_source *io;
	sd_event_source *poll;
	uint64_t poll_usec;
	ringbuf_record_fn record;
	ringbuf_batch_fn batch_done;
	void *userdata;
	size_t in_batch;
	size_t batch_limit;
	bool behind; /* the last reading stopped at the batch bound */
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

static int on_poll(sd_event_source *timer, uint64_t usec, void *userdata)
{
	struct ringbuf_source *s = userdata;

	consume_batch(s);
	s->poll_usec = next_poll_usec(s->poll_usec, s->in_batch);
	sd_event_source_set_time_relative(timer, s->poll_usec);
	return sd_event_source_set_enabled(timer, SD_EVENT_ONESHOT);
}

int ringbuf_source_new(sd_event *event, int map_fd, ringbuf_record_fn record, ringbuf_batch_fn batch_done,
		       void *userdata, struct ringbuf_source **ret)
{
	struct ringbuf_source *s = calloc(1, sizeof(*s));
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
	r = sd_event_add_io(event, &s->io, ring_buffer__epoll_fd(s->rb), EPOLLIN, on_readable, s);
	if (r >= 0) {
		s->poll_usec = RINGBUF_POLL_MIN_USEC;
		r = sd_event_add_time_relative(event, &s->poll, CLOCK_MONOTONIC, s->poll_usec, 1000, on_poll, s);
	}
	if (r < 0) {
		ringbuf_source_free(s);
		return r;
	}
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
	if (!s)
		return;
	sd_event_source_disable_unref(s->io);
	sd_event_source_disable_unref(s->poll);
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
