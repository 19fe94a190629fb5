// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int max_level = LOG_INFO;

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

static void log_vprintf(int level, int error, const char *fmt, va_list ap)
{
	int saved = errno;

	if (level > max_level)
		return;
	errno = error; /* for %m */
	fputs("bombusd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	errno = saved;
}

void log_printf(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, errno, fmt, ap);
	va_end(ap);
}

int log_errno_printf(int level, int error, const char *fmt, ...)
{
	va_list ap;

	error = abs(error);
	va_start(ap, fmt);
	log_vprintf(level, error, fmt, ap);
	va_end(ap);
	return -error;
}
