/* SPDX-License-Identifier: GPL-2.0-only */
/* GetStatus(): what bombusd is doing, as an a{sv} that can grow. Keys are
 * listed in dbus/org.bombus.Monitor1.xml. */
#pragma once

#include <stdint.h>

#include <systemd/sd-bus.h>

#include "subscriptions.h"

struct daemon;

/* Appends the a{sv}; @authorizations_pending: checks waiting for polkit;
 * @started_usec: CLOCK_MONOTONIC start of the daemon. */
int status_append(sd_bus_message *m, struct daemon *d, const struct subscriptions *subs,
		  unsigned authorizations_pending, uint64_t started_usec);
