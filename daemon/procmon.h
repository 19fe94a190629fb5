/* SPDX-License-Identifier: GPL-2.0-only */
/* ProcMon, user half: loads bpf/procmon.bpf.c, turns its records into
 * ProcessExec, ProcessClone and ProcessExit events and keeps the process
 * cache up to date. */
#pragma once

#include <stdbool.h>

struct daemon;
struct monitor;

/* Selects hook methods, loads, attaches and starts reading records. Nothing
 * stays loaded or attached when it fails. */
int procmon_start(struct daemon *d, struct monitor **ret);
bool procmon_has_hook(const char *name);
