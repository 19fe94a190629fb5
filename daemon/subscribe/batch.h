/* SPDX-License-Identifier: GPL-2.0-only */
/* Batched delivery, the same on every API: a subscriber that asks for
 * batches gets up to BATCH_MAX_EVENTS events at a time, and a partial batch
 * waits at most BATCH_MAX_DELAY_USEC. */
#pragma once

#include <systemd/sd-event.h>

#define BATCH_MAX_EVENTS     256
#define BATCH_MAX_DELAY_USEC (50 * 1000)

/* Arms *@timer (made on first use) to call @fn BATCH_MAX_DELAY_USEC from
 * now, unless it is armed already: a partial batch waits no longer. */
void batch_timer_arm(sd_event *e, sd_event_source **timer, sd_event_time_handler_t fn, void *userdata);
