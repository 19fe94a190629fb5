/* SPDX-License-Identifier: GPL-2.0-only */
/* Bit sets rendered as the strings of the event format: capability sets and
 * secureexec flags, names joined by " | " in bit order, "" when empty. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Longest capability string: every name of a 64-bit set. */
#define CAPS_STRING_MAX 1400

/* Highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap);
 * a set holding all of them is "ALL_CAPS". */
void caps_set_last_cap(unsigned last_cap);
unsigned caps_last_cap(void);
int caps_read_last_cap(unsigned *ret);

const char *caps_to_string(uint64_t caps, char buf[static CAPS_STRING_MAX]);

/* The other flag sets of events share one buffer size. */
#define FLAGS_STRING_MAX 128
const char *secureexec_to_string(uint32_t flags, char buf[static FLAGS_STRING_MAX]);
/* LSM_SETID_ID, _RE, _RES, _FS: how set*id was called */
const char *setid_flags_to_string(uint32_t flags, char buf[static FLAGS_STRING_MAX]);
/* PTRACE_MODE_READ, _ATTACH, _NOAUDIT, _FSCREDS, _REALCREDS */
const char *ptrace_mode_to_string(uint32_t mode, char buf[static FLAGS_STRING_MAX]);
/* BINARY_PATH, ARGS: enum image_incomplete (render/process-json.h) */
const char *image_incomplete_to_string(uint32_t flags, char buf[static FLAGS_STRING_MAX]);
