/* SPDX-License-Identifier: GPL-2.0-only */
/* The names of io.bombus.Monitor (io.bombus.Monitor.varlink) that its server
 * (monitor.c) and its clients (bombusctl) share, as dbus/api.h for D-Bus. */
#pragma once

#define BOMBUS_VARLINK_INTERFACE		    "io.bombus.Monitor"
#define BOMBUS_VARLINK_ERROR_NOT_AUTHORIZED	    BOMBUS_VARLINK_INTERFACE ".NotAuthorized"
#define BOMBUS_VARLINK_ERROR_INVALID_ARGUMENT	    BOMBUS_VARLINK_INTERFACE ".InvalidArgument"
#define BOMBUS_VARLINK_ERROR_TOO_MANY_SUBSCRIPTIONS BOMBUS_VARLINK_INTERFACE ".TooManySubscriptions"
#define BOMBUS_VARLINK_ERROR_NO_SUCH_PROCESS	    BOMBUS_VARLINK_INTERFACE ".NoSuchProcess"
