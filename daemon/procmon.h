/* SPDX-License-Identifier: GPL-2.0-only */
/* ProcMon, user half: loads bpf/procmon.bpf.c, turns its records into
 * ProcessExec, ProcessClone and ProcessExit events and keeps the process
 * cache up to date. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hooks.h"

struct daemon;
struct procmon;

/* Selects hook methods, loads, attaches and starts reading records. Nothing
 * stays loaded or attached when it fails. */
int procmon_start(struct daemon *d, struct procmon **ret);
/* Detaches the programs and handles the records already queued. */
void procmon_stop(struct procmon *pm);
void procmon_free(struct procmon *pm);
/* Handles every record already queued, so that the process cache knows what
 * happened before now (other monitors call it before using the cache). */
void procmon_sync(struct procmon *pm);

/* Records the kernel could not queue because the ring buffer was full. */
uint64_t procmon_lost(const struct procmon *pm);
const struct hook *procmon_hooks(const struct procmon *pm, size_t *n);
