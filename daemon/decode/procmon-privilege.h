/* SPDX-License-Identifier: GPL-2.0-only */
/* ProcMon, user half of the ProcessEvent family: loads
 * bpf/procmon-privilege.bpf.c and turns its records into ProcessEvent events
 * (Setuid, Setgid, Setcaps, Prctl, CreateUserNs, PtraceAccessCheck). */
#pragma once


struct daemon;
struct monitor;

/* Nothing stays loaded or attached when it fails. */
int privilege_monitor_start(struct daemon *d, struct monitor **ret);
/* As procmon_hook_check(), for the privilege hooks. */
int privilege_monitor_hook_check(const char *name);
