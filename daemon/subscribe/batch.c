// SPDX-License-Identifier: GPL-2.0-only
#include "subscribe/batch.h"

void batch_timer_arm(sd_event *e, sd_event_source **timer, sd_event_time_handler_t fn, void *userdata)
{
	int enabled = SD_EVENT_OFF;
	uint64_t now;

	if (*timer && sd_event_source_get_enabled(*timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
		return;
	sd_event_now(e, CLOCK_MONOTONIC, &now);
	if (!*timer) {
		if (sd_event_add_time(e, timer, CLOCK_MONOTONIC, now + BATCH_MAX_DELAY_USEC, 0, fn,
				      userdata) < 0)
			*timer = NULL;
		return;
	}
	sd_event_source_set_time(*timer, now + BATCH_MAX_DELAY_USEC);
	sd_event_source_set_enabled(*timer, SD_EVENT_ONESHOT);
}
