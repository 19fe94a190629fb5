/* SPDX-License-Identifier: GPL-2.0-only */
/* Diagnostics to stderr. Functions that fail return -errno; the caller that
 * decides what the failure means logs it, once. */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

void log_set_max_level(int level);
int log_get_max_level(void);

void log_printf(int level, const char *fmt, ...) _printf_(2, 3);

/* Logs and returns -abs(error), so "return log_error_errno(r, ...)" reads well;
 * %m in fmt expands to strerror(error). */
int log_errno_printf(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_printf(LOG_INFO, __VA_ARGS__)
#define log_warning(...) log_printf(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_printf(LOG_ERR, __VA_ARGS__)
#define log_error_errno(e, ...) log_errno_printf(LOG_ERR, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_errno_printf(LOG_WARNING, e, __VA_ARGS__)
#define log_debug_errno(e, ...) log_errno_printf(LOG_DEBUG, e, __VA_ARGS__)
