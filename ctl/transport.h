/* SPDX-License-Identifier: GPL-2.0-only */
/* Which API bombusctl asks, bombusd's D-Bus service (org.bombus.Monitor1) or
 * its Varlink socket (io.bombus.Monitor), and the calls the commands make,
 * answered alike whichever it is: the status as JSON, the process as JSON
 * text, failures said on stderr as one exit status. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include <systemd/sd-bus.h>

struct varlink_reply;

enum transport_choice {
	TRANSPORT_AUTO, /* Varlink when its socket is there, else D-Bus */
	TRANSPORT_DBUS,
	TRANSPORT_VARLINK,
};

struct transport {
	sd_bus *bus;		  /* D-Bus: the system bus; NULL for Varlink */
	const char *varlink_path; /* Varlink: the socket; NULL for D-Bus */
};

/* The socket without --varlink=PATH: $BOMBUS_VARLINK_ADDRESS ("PATH" or
 * "unix:PATH", as varlink.org writes addresses), else BOMBUS_VARLINK_SOCKET. */
const char *varlink_default_path(void);

/* Opens the transport @choice says for @command (reload: D-Bus only); with
 * TRANSPORT_AUTO, Varlink at @varlink_path (NULL: the default) when it is a
 * socket. EXIT_OK, or the exit status of the failure, said. */
int transport_open(struct transport *t, enum transport_choice choice, const char *varlink_path,
		   const char *command, bool interactive);
void transport_close(struct transport *t);

/* Says a failed call of @what and returns its exit status: by the error's
 * name (NotAuthorized, InvalidArgument...), its message bombusd's own; or
 * the -errno @r when no error reply came. */
int bus_call_failed(const char *what, const sd_bus_error *error, int r);
int varlink_call_failed(const char *what, const struct varlink_reply *reply, int r);
/* Whether the Varlink error would be the answer to any try again. */
bool varlink_error_is_final(const char *error);

/* GetStatus as a JSON object (the D-Bus a{sv} as the Varlink API returns
 * it). Without @start, bombusd is not started through D-Bus activation, and
 * a bombusd not running is said as such for @command. */
int transport_get_status(const struct transport *t, bool start, const char *command, json_object **ret);

/* GetProcess: the process object's JSON text, as bombusd wrote it. */
int transport_get_process(const struct transport *t, uint32_t pid, char **ret);
