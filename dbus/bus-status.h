/* SPDX-License-Identifier: GPL-2.0-only */
/* GetStatus(): what bombusd is doing, as an a{sv} that can grow. Keys are
 * listed in dbus/org.bombus.Monitor1.xml; the fields are daemon/status.h's,
 * built into a message here. */
#pragma once

#include <systemd/sd-bus.h>

struct daemon;

/* Appends the a{sv}; @authorizations_pending: checks waiting for polkit. */
int status_append(sd_bus_message *m, struct daemon *d, unsigned authorizations_pending);
