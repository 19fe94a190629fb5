/* SPDX-License-Identifier: GPL-2.0-only */
/* Asking polkit whether a D-Bus client may do something: one asynchronous
 * org.freedesktop.PolicyKit1.Authority.CheckAuthorization call with the
 * client as a "system-bus-name" subject. The main loop never waits for it. */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>

/* Sends the check; @callback gets polkit's reply (or an error) and reads it
 * with polkit_check_result(). @interactive lets polkit ask the user to
 * authenticate (the caller set ALLOW_INTERACTIVE_AUTHORIZATION). */
int polkit_check_async(sd_bus *bus, sd_bus_slot **slot, const char *bus_name, const char *action,
		       bool interactive, sd_bus_message_handler_t callback, void *userdata);

/* 1 authorized, 0 not (*@challenge: it would be with authentication), or
 * -errno when polkit could not answer (its error stays in @reply). */
int polkit_check_result(sd_bus_message *reply, bool *challenge);
