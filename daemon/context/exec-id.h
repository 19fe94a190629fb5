/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * exec_id: one execution of one process, "BOOT:PID:START_NS:EXEC_SEQ"
 * (docs/events.md): the first 16 hex digits of the boot id, the process id,
 * the CLOCK_BOOTTIME start of the process in nanoseconds, and how many execs
 * the kernel counted in its line (its self_exec_id), which an exec raises and
 * a fork inherits. Unique within a boot (a pid and its start name one
 * process), the same whoever computes it from the kernel's values.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* 16 + 1 + 10 + 1 + 20 + 1 + 20 + NUL */
#define EXEC_ID_MAX 72

/* Reads the boot id (@path: another file, for tests; NULL: the kernel's). */
int exec_id_init(const char *boot_id_path);
/* The id's first part: 16 hex digits. */
#define EXEC_ID_BOOT_LEN 16
const char *exec_id_boot(void);
/* Writes the id into @buf; returns its length. */
size_t exec_id_format(char buf[static EXEC_ID_MAX], uint32_t pid, uint64_t start_ns, uint64_t exec_seq);
