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
 * enabled, attaches and starts reading records (after the process monitor's,
 * which must be started). Nothing stays loaded or attached when it fails
 * (logged). 0 with *@ret NULL: this kernel has no io_uring to monitor (warned). */
int iouring_monitor_start(struct daemon *d, struct monitor **ret);
/* As procmon_hook_check(), for IOUringMon's hooks. */
int iouring_monitor_hook_check(const char *name);

/* For @m as iouring_monitor_start() returned it: the opcodes reported from
 * now on (applied in the kernel), and the opcode names of the running
 * kernel, e.g. to parse a subscription. */
void iouring_monitor_set_opcodes(struct monitor *m, const bool enabled[IOURING_OPCODES]);
const struct iouring_opcodes *iouring_monitor_opcodes(const struct monitor *m);
