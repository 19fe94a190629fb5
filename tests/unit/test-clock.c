// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "unit.h"

static void formats_utc_with_milliseconds(void)
{
	char buf[ISO8601_MS_LEN];

	CHECK_STR(format_iso8601_ms(0, buf), "1970-01-01T00:00:00.000Z");
	/* 2025-12-11T11:45:47.773Z, the spec's example */
	CHECK_STR(format_iso8601_ms(1765453547773000000LL, buf), "2025-12-11T11:45:47.773Z");
	/* sub-millisecond parts are truncated, not rounded */
	CHECK_STR(format_iso8601_ms(1765453547773999999LL, buf), "2025-12-11T11:45:47.773Z");
	CHECK_STR(format_iso8601_ms(951782400000000000LL, buf), "2000-02-29T00:00:00.000Z");
	CHECK_STR(format_iso8601_ms(-1, buf), "1969-12-31T23:59:59.999Z");
}

static void boot_offset_matches_clocks(void)
{
	struct timespec boot, real;
	int64_t offset = clock_boot_to_realtime_offset();
	int64_t boot_ns, real_ns;

	clock_gettime(CLOCK_BOOTTIME, &boot);
	clock_gettime(CLOCK_REALTIME, &real);
	boot_ns = (int64_t)boot.tv_sec * 1000000000 + boot.tv_nsec;
	real_ns = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec;
	/* boot + offset is the wall clock, to well under a millisecond */
	CHECK(llabs(boot_ns + offset - real_ns) < 1000000);
}

UNIT_MAIN(T(formats_utc_with_milliseconds), T(boot_offset_matches_clocks))
