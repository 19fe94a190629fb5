/* SPDX-License-Identifier: GPL-2.0-only */
/* ProcMon, user half of the ProcessEvent family: loads
 * bpf/procmon-privilege.bpf.c and turns its records into ProcessEvent events
 * (Setuid, Setgid, Setcaps, Prctl, CreateUserNs, PtraceAccessCheck). */
#pragma once

#include <stdbool.h>

struct daemon;
struct monitor;

/* Nothing stays loaded or attached when it fails. */
int privilege_monitor_start(struct daemon *d, struct monitor **ret);
bool privilege_monitor_has_hook(const char *name);
