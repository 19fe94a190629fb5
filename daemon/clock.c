// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static int64_t timespec_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

uint64_t clock_monotonic_usec(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}

int64_t clock_boot_to_realtime_offset(void)
{
	struct timespec boot_before, real, boot_after;

	/* Bracket the realtime read so the offset is off by at most half the
	 * (sub-microsecond) gap between the two boottime reads. */
	clock_gettime(CLOCK_BOOTTIME, &boot_before);
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot_after);
	return timespec_ns(&real) - (timespec_ns(&boot_before) + timespec_ns(&boot_after)) / 2;
}

char *format_iso8601_ms(int64_t realtime_ns, char buf[static ISO8601_MS_LEN])
{
	/* Every event formats a time, most in the same second as the one
	 * before: the date and time of day are kept for that second. */
	static __thread time_t cached_seconds = -1;
	static __thread char cached[ISO8601_MS_LEN];
	int64_t ms = realtime_ns / 1000000;
	time_t seconds;
	struct tm tm;
	int millis;

	if (realtime_ns < 0 && realtime_ns % 1000000)
		ms--; /* floor for times before the epoch */
	seconds = (time_t)(ms / 1000);
	millis = (int)(ms % 1000);
	if (millis < 0) {
		millis += 1000;
		seconds--;
	}
	if (seconds != cached_seconds) {
		if (!gmtime_r(&seconds, &tm)) {
			snprintf(buf, ISO8601_MS_LEN, "1970-01-01T00:00:00.000Z");
			return buf;
		}
		/* struct tm fields are bounded by gmtime_r; the casts tell the
		 * compiler so. */
		snprintf(cached, sizeof(cached), "%04u-%02u-%02uT%02u:%02u:%02u.000Z",
			 (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)(tm.tm_mon + 1) % 100,
			 (unsigned)tm.tm_mday % 100, (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100,
			 (unsigned)tm.tm_sec % 100);
		cached_seconds = seconds;
	}
	memcpy(buf, cached, ISO8601_MS_LEN);
	buf[20] = (char)('0' + millis / 100);
	buf[21] = (char)('0' + millis / 10 % 10);
	buf[22] = (char)('0' + millis % 10);
	return buf;
}
