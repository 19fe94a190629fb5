/* SPDX-License-Identifier: GPL-2.0-only */
/* The org.bombus.Monitor1 service on the system bus ($DBUS_SYSTEM_BUS_ADDRESS
 * when set, a unix:path= address; its input comes through bus-input-relay.h):
 * methods, signals to subscribers, name ownership, and readiness for
 * systemd. The API is dbus/org.bombus.Monitor1.xml. */
#pragma once

#include "macro.h"

struct authorizer;
struct daemon;
struct service;

/* Connects to the bus, which @az (the daemon's, that outlives the service)
 * then asks polkit on, and adds the subscriptions output to @d. */
int service_new(struct daemon *d, struct authorizer *az, struct service **ret);
/* Asks for the bus name; once the loop has it owned, tells systemd it is
 * ready, or stops the daemon when it cannot be had. Call once the monitors
 * run. */
int service_start(struct service *svc);
/* Before daemon_free(): the subscriptions output belongs to the daemon. */
void service_free(struct service *svc);
DEFINE_POINTER_CLEANUP(struct service, service_free)
