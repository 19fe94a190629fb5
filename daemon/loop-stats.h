/* SPDX-License-Identifier: GPL-2.0-only */
/* How long the main loop is kept from polling: the longest iteration since
 * start, from the wake-up (sd_event's timestamp of the iteration) to the
 * next iteration's prepare step, i.e. everything dispatched in between.
 * A message that takes the main loop for long delays the ring buffers and
 * every other client; this shows it (GetStatus longest_loop_iteration_usec). */
#pragma once

#include <stdint.h>

#include <systemd/sd-event.h>

/* Starts measuring the iterations of @e: a source of its own whose prepare
 * callback runs first in every iteration. Once per process; again is a
 * no-op. The source goes with @e. */
int loop_stats_attach(sd_event *e);

/* The longest iteration seen so far, in microseconds (0 before any): in
 * wall time (which includes being kept off the CPU by other programs), and
 * in the loop thread's CPU time (the iteration's own work). */
uint64_t loop_stats_longest_usec(void);
uint64_t loop_stats_longest_cpu_usec(void);
