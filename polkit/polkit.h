/* SPDX-License-Identifier: GPL-2.0-only */
/* Asking polkit whether a client may do something: one asynchronous
 * org.freedesktop.PolicyKit1.Authority.CheckAuthorization call with the
 * client as its subject. The main loop never waits for it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

/* Who asks: a D-Bus client ("system-bus-name"), or a process connected
 * another way, e.g. to a Unix socket ("unix-process"). */
struct polkit_subject {
	enum {
		POLKIT_SUBJECT_BUS_NAME,
		POLKIT_SUBJECT_UNIX_PROCESS,
	} kind;
	const char *bus_name; /* its unique name */
	uint32_t pid;
	/* Of the process, in clock ticks since boot (/proc/PID/stat field
	 * 22): with the pid, it names one process, not a reuse of its pid. */
	uint64_t start_time;
	/* -1 unknown: asked of the bus (bus names only). */
	int64_t uid;
};

/* Sends the check; @callback gets polkit's reply (or an error) and reads it
 * with polkit_check_result(). @interactive lets polkit ask the user to
 * authenticate (the caller allowed interactive authorization): such a
 * check may last polkit's 5 minutes, unless polkit_cancel() ends it.
 * @cancellation_id names the check for polkit_cancel(): unique among the
 * checks of this connection that are in flight. */
int polkit_check_async(sd_bus *bus, sd_bus_slot **slot, const struct polkit_subject *subject,
		       const char *action, bool interactive, const char *cancellation_id,
		       sd_bus_message_handler_t callback, void *userdata);

/* CancelCheckAuthorization of the check called @cancellation_id: polkit
 * dismisses its authentication dialog and answers the check with an error.
 * Sent without waiting for (or expecting) an answer. */
int polkit_cancel(sd_bus *bus, const char *cancellation_id);

/* 1 authorized, 0 not (*@challenge: it would be with authentication), or
 * -errno when polkit could not answer (its error stays in @reply). */
int polkit_check_result(sd_bus_message *reply, bool *challenge);
