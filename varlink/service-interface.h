/* SPDX-License-Identifier: GPL-2.0-only */
/* org.varlink.service, which every Varlink service provides and this server
 * answers itself: GetInfo (who made the service, which interfaces it has)
 * and GetInterfaceDescription (an interface's definition text). Its methods
 * take the server as userdata. */
#pragma once

#include "server.h"

#define VARLINK_SERVICE_INTERFACE "org.varlink.service"

extern const struct varlink_interface varlink_service_interface;
