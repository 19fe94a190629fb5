/* SPDX-License-Identifier: GPL-2.0-only */
/* ProcMon, user half: loads bpf/procmon.bpf.c, turns its records into
 * ProcessExec, ProcessClone and ProcessExit events and keeps the process
 * cache up to date. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct daemon;
struct monitor;

/* One record of bpf/procmon.bpf.c (exec, clone or exit, untrusted: checked
 * first): the process cache updated, the event handed to @d. */
void procmon_decode(struct daemon *d, const void *data, size_t size);

/* Selects hook methods, loads, attaches and starts reading records. Nothing
 * stays loaded or attached when it fails. */
int procmon_start(struct daemon *d, struct monitor **ret);

/* Whether configuration may disable the ProcMon hook @name (lifecycle or
 * privilege): 0 yes, -EPERM when the process cache needs it, -ENOENT when
 * there is no such hook. */
int procmon_hook_check(const char *name);
