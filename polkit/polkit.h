/* SPDX-License-Identifier: GPL-2.0-only */
/* Asking polkit whether a D-Bus client may do something: one asynchronous
 * org.freedesktop.PolicyKit1.Authority.CheckAuthorization call with the
 * client as a "system-bus-name" subject. The main loop never waits for it. */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>

/* Sends the check; @callback gets polkit's reply (or an error) and reads it
 * with polkit_check_result(). @interactive lets polkit ask the user to
 * authenticate (the caller set ALLOW_INTERACTIVE_AUTHORIZATION): such a
 * check may last polkit's 5 minutes, unless polkit_cancel() ends it.
 * @cancellation_id names the check for polkit_cancel(): unique among the
 * checks of this connection that are in flight. */
int polkit_check_async(sd_bus *bus, sd_bus_slot **slot, const char *bus_name, const char *action,
		       bool interactive, const char *cancellation_id, sd_bus_message_handler_t callback,
		       void *userdata);

/* CancelCheckAuthorization of the check called @cancellation_id: polkit
 * dismisses its authentication dialog and answers the check with an error.
 * Sent without waiting for (or expecting) an answer. */
int polkit_cancel(sd_bus *bus, const char *cancellation_id);

/* 1 authorized, 0 not (*@challenge: it would be with authentication), or
 * -errno when polkit could not answer (its error stays in @reply). */
int polkit_check_result(sd_bus_message *reply, bool *challenge);
