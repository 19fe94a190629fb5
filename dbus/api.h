/* SPDX-License-Identifier: GPL-2.0-only */
/* Names of the org.bombus.Monitor1 API, shared by bombusd and bombusctl: the
 * bus name, object, interface, and errors (each sent with a human-readable
 * message). dbus/org.bombus.Monitor1.xml documents them. */
#pragma once

#define BOMBUS_ERROR_NOT_AUTHORIZED	    "org.bombus.Monitor1.Error.NotAuthorized"
#define BOMBUS_ERROR_INVALID_ARGUMENT	    "org.bombus.Monitor1.Error.InvalidArgument"
#define BOMBUS_ERROR_NO_SUCH_SUBSCRIPTION   "org.bombus.Monitor1.Error.NoSuchSubscription"
#define BOMBUS_ERROR_NO_SUCH_PROCESS	    "org.bombus.Monitor1.Error.NoSuchProcess"
#define BOMBUS_ERROR_TOO_MANY_SUBSCRIPTIONS "org.bombus.Monitor1.Error.TooManySubscriptions"
#define BOMBUS_ERROR_INVALID_CONFIGURATION  "org.bombus.Monitor1.Error.InvalidConfiguration"

#define BOMBUS_BUS_NAME	   "org.bombus.Monitor1"
#define BOMBUS_OBJECT_PATH "/org/bombus/Monitor1"
#define BOMBUS_INTERFACE   "org.bombus.Monitor1"
