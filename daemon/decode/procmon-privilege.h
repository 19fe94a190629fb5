/* SPDX-License-Identifier: GPL-2.0-only */
/* ProcMon, user half of the ProcessEvent family: loads
 * bpf/procmon-privilege.bpf.c and turns its records into ProcessEvent events
 * (Setuid, Setgid, Setcaps, Prctl, CreateUserNs, PtraceAccessCheck). */
#pragma once


#include <stddef.h>

struct daemon;
struct monitor;

/* One record of bpf/procmon-privilege.bpf.c (untrusted: checked first): the
 * ProcessEvent handed to @d. */
void privilege_decode(struct daemon *d, const void *data, size_t size);

/* Nothing stays loaded or attached when it fails. */
int privilege_monitor_start(struct daemon *d, struct monitor **ret);
/* As procmon_hook_check(), for the privilege hooks. */
int privilege_monitor_hook_check(const char *name);
