/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel stamps are CLOCK_BOOTTIME nanoseconds; events show UTC wall time. */
#pragma once

#include <stdint.h>

/* "2025-12-11T11:45:47.773Z" plus NUL */
#define ISO8601_MS_LEN 25

/* CLOCK_MONOTONIC now, in microseconds. */
uint64_t clock_monotonic_usec(void);

/* Offset from CLOCK_BOOTTIME to CLOCK_REALTIME, measured now. Re-measured
 * periodically so that wall-clock steps (NTP, settimeofday) are followed. */
int64_t clock_boot_to_realtime_offset(void);

/* A CLOCK_BOOTTIME stamp as wall time. The stamp comes from the kernel and
 * is not trusted: a value that does not fit wraps (a wrong time, never
 * undefined behaviour). */
static inline int64_t boot_to_realtime(uint64_t boot_ns, int64_t offset)
{
	return (int64_t)(boot_ns + (uint64_t)offset);
}

/* Formats @realtime_ns (nanoseconds since the epoch) as ISO-8601 UTC with
 * milliseconds into @buf. Returns @buf. */
char *format_iso8601_ms(int64_t realtime_ns, char buf[static ISO8601_MS_LEN]);
