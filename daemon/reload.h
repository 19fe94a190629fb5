/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reloading the configuration without a restart (SIGHUP, "systemctl reload",
 * the D-Bus method Reload): the settings are read whole, as at start, into a
 * new struct config; a file with an error changes nothing. Settings that can
 * change live are applied (the journal's categories and queue, subscription
 * limits, backlog and window); the others need the BPF programs loaded
 * anew or the process cache made again, are logged ("RingBufferSize
 * changed: takes effect at the next start") and listed in the report.
 * Subscribers, queued events and the attached programs are untouched.
 */
#pragma once

#include <stddef.h>

struct daemon;

#define RELOAD_MAX_SETTINGS 16

struct reload_report {
	/* Settings of the file whose new value waits for a restart. */
	const char *needs_restart[RELOAD_MAX_SETTINGS];
	size_t n_needs_restart;
	/* Settings whose new value is now in effect. */
	const char *applied[RELOAD_MAX_SETTINGS];
	size_t n_applied;
	/* On failure: what is wrong ("FILE:LINE: what"). */
	char error[512];
};

/* Tells systemd (RELOADING=1, then READY=1), reads the settings and applies
 * them. < 0 when they were refused (the running ones stay, @rep->error says
 * why), or when reloading is not possible (no d->load_config). */
int daemon_reload(struct daemon *d, struct reload_report *rep);

/* SIGHUP reloads (blocked since daemon_new()). */
int reload_watch(struct daemon *d);
