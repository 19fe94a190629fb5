/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BPF ring buffers read from the sd-event loop. The BPF side wakes the reader
 * only when a ring fills past a threshold (bpf/lib/records.h), so the rings
 * are also polled, all on one timer, as often as it takes to find about
 * RINGBUF_POLL_RECORDS records in the busiest at the rate they come: each
 * wakeup costs a few system calls (the timer, the output's write) whatever it
 * finds, and at a few hundred events a second those were most of bombusd's
 * CPU time per event (bench/exec-storm). Readings are at least
 * RINGBUF_POLL_MIN_USEC apart and at most RINGBUF_POLL_MAX_USEC, which bounds
 * the delivery delay of an event.
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
#define RINGBUF_POLL_MIN_USEC (5 * 1000)
#define RINGBUF_POLL_RECORDS 256
#define RINGBUF_POLL_MAX_USEC (100 * 1000)

struct ringbuf_poller;
struct ringbuf_source;

typedef void (*ringbuf_record_fn)(void *userdata, const void *data, size_t size);
typedef void (*ringbuf_batch_fn)(void *userdata);

/* The timer that reads every ring of @event's sources, in the order they
 * were made; freed after them. */
int ringbuf_poller_new(sd_event *event, struct ringbuf_poller **ret);
void ringbuf_poller_free(struct ringbuf_poller *poller);

int ringbuf_source_new(struct ringbuf_poller *poller, int map_fd, ringbuf_record_fn record,
		       ringbuf_batch_fn batch_done, void *userdata, struct ringbuf_source **ret);
/* Reads everything left, ignoring the batch bound (at shutdown). */
void ringbuf_source_drain(struct ringbuf_source *s);
void ringbuf_source_free(struct ringbuf_source *s);
/* Whether the last reading left records in the ring (a backlog). */
bool ringbuf_source_behind(const struct ringbuf_source *s);

/* Sum over CPUs of a per-CPU u64 counter map entry. */
uint64_t percpu_counter_sum(int map_fd, uint32_t key);
