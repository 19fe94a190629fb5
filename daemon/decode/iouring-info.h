/* SPDX-License-Identifier: GPL-2.0-only */
/* The "op_info" object of an IOUringEvent, from the kernel's record; the
 * format is described in docs/iouringmon.md. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "../../bpf/bombus.h"
#include "../render/json-writer.h"

/* "O_RDONLY", "O_WRONLY" or "O_RDWR" from the access mode bits of open
 * flags; both bits set (which Linux accepts) gives "O_WRONLY | O_RDWR". */
const char *open_access_to_string(uint64_t flags);

/* Every open flag not an access mode, kernel values, joined by " | " in
 * ascending bit order ("O_CREAT | O_EXCL | O_LARGEFILE"); "" when none.
 * O_SYNC and O_TMPFILE are named as such when all their bits are set; bits
 * without a name come last, as one hexadecimal mask ("0x80000000"). */
#define OPEN_FLAGS_STRING_MAX 512
const char *open_flags_to_string(uint64_t flags, char buf[static OPEN_FLAGS_STRING_MAX]);

/* ",\"op_info\":{...}" of a validated record; nothing when the opcode has
 * no op_info. */
void iouring_op_info_render(struct json_writer *w, const struct bombus_iouring_record *r);
