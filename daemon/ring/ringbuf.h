/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A BPF ring buffer read from the sd-event loop. The BPF side wakes the reader
 * only when the ring fills past a threshold (bpf/lib/records.h), so the ring
 * is also polled on a timer: every RINGBUF_POLL_MIN_USEC while records keep
 * coming, backing off to RINGBUF_POLL_MAX_USEC when idle. That bounds the
 * delivery delay of an event to RINGBUF_POLL_MAX_USEC. Each reading costs a
 * few system calls (the timer, the output's write) whatever it finds: reading
 * every 25 ms rather than 5 halved bombusd's CPU time per event of an exec
 * storm (bench/exec-storm), for 20 ms more of delay at most.
 *
 * Each dispatch handles at most RINGBUF_BATCH records so that other sources
 * (signals, D-Bus) are served during a storm.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#define RINGBUF_BATCH 4096
#define RINGBUF_POLL_MIN_USEC (25 * 1000)
#define RINGBUF_POLL_MAX_USEC (100 * 1000)

struct ringbuf_source;

typedef void (*ringbuf_record_fn)(void *userdata, const void *data, size_t size);
typedef void (*ringbuf_batch_fn)(void *userdata);

int ringbuf_source_new(sd_event *event, int map_fd, ringbuf_record_fn record, ringbuf_batch_fn batch_done,
		       void *userdata, struct ringbuf_source **ret);
/* Reads everything left, ignoring the batch bound (at shutdown). */
void ringbuf_source_drain(struct ringbuf_source *s);
void ringbuf_source_free(struct ringbuf_source *s);
/* Whether the last reading left records in the ring (a backlog). */
bool ringbuf_source_behind(const struct ringbuf_source *s);

/* Sum over CPUs of a per-CPU u64 counter map entry. */
uint64_t percpu_counter_sum(int map_fd, uint32_t key);
