/* SPDX-License-Identifier: GPL-2.0-only */
/* IOUringMon, user half: loads bpf/iouringmon.bpf.c and turns its records
 * into IOUringEvent events, with the process from the process cache. */
#pragma once

#include <stdbool.h>

#include "iouring-names.h"

struct daemon;
struct monitor;

/* One record of bpf/iouringmon.bpf.c (untrusted: checked first), its opcode
 * named from @opcodes: the IOUringEvent handed to @d. */
void iouring_decode(struct daemon *d, const struct iouring_opcodes *opcodes, const void *data, size_t size);

/* Selects the hook method, loads with the opcodes of @d's configuration
 * that its outputs want enabled (following them from then on), attaches and
 * starts reading records (after the process monitor's, which must be
 * started); @d's iouring_opcode_names are the kernel's from then on. Nothing stays loaded or attached when it fails
 * (logged). 0 with *@ret NULL: this kernel has no io_uring to monitor (warned). */
int iouring_monitor_start(struct daemon *d, struct monitor **ret);
/* As procmon_hook_check(), for IOUringMon's hooks. */
int iouring_monitor_hook_check(const char *name);

