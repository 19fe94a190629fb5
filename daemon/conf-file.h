/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /etc/bombus/bombusd.conf: "[Section]" headers and "Key=Value" lines, as in
 * systemd's own .conf files; '#' or ';' start a comment line. Read with inih.
 * Every key is optional; an empty value restores the default (the value
 * the key had before the file was read). Lines inih would read differently
 * from systemd are refused: longer than CONF_FILE_LINE_MAX, holding a NUL
 * byte, indented (inih's continuation lines) or "Key: value". Anything the
 * parser does not understand is an error reported as "FILE:LINE: what is
 * wrong", and the daemon does not start. The keys are documented in the
 * example file conf/bombusd.conf.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "configuration.h"

/* Characters per line, the newline not counted: inih's line buffer
 * (INI_MAX_LINE, 200 bytes) less its terminating NUL. The reader refuses
 * longer lines rather than let inih cut them. */
#define CONF_FILE_LINE_MAX 199
/* The largest size a setting may have: 2G. */
#define CONF_SIZE_MAX (1ULL << 31)

/* Applies the settings of @path to @c, which holds the defaults. A missing file is not an error unless
 * @must_exist. Logs what is wrong and returns -EINVAL (bad content) or -errno. */
int conf_file_load(const char *path, bool must_exist, struct config *c);
/* The same, and what is wrong ("FILE:LINE: what") also in @error (when not
 * NULL) for a caller that reports it elsewhere. */
int conf_file_load_error(const char *path, bool must_exist, struct config *c, char *error, size_t error_size);

/* "8M", "64K", "1G" or bytes. -EINVAL for anything else and 0, -ERANGE for
 * more than CONF_SIZE_MAX (checked before the unit's shift: no wrapping). */
int conf_parse_size(const char *s, size_t *ret);
/* A BPF ring buffer size: a power of two of at least a page. */
bool conf_ringbuf_size_valid(size_t bytes);
