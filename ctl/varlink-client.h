/* SPDX-License-Identifier: GPL-2.0-only */
/* A small Varlink client (varlink.org) for bombusctl: one connection to a
 * Unix socket, calls written whole, replies framed by varlink/protocol.h's
 * bounded input buffer and parsed with json-c. Reads either block (calls of
 * the plain commands) or take what has arrived (monitor's io event source). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "json-cleanup.h"

struct varlink_client;

/* Replies are refused beyond this (bombusd's largest is 4 MiB). */
#define VARLINK_CLIENT_MAX_REPLY (16u << 20)

/* One reply: an error (its name, parameters) or parameters, with
 * "continues" while more follow. Everything points into @root. */
struct varlink_reply {
	struct json_object *root;
	const char *error;		/* NULL: not an error */
	struct json_object *parameters; /* never NULL: {} when absent */
	bool continues;
};

void varlink_reply_done(struct varlink_reply *reply);
#define _cleanup_reply_ _cleanup_(varlink_reply_done)

/* Connects to the socket at @path; -errno of connect() (ENOENT, ECONNREFUSED
 * when nobody listens there). The socket is non-blocking and close-on-exec. */
int varlink_client_connect(const char *path, struct varlink_client **ret);
void varlink_client_free(struct varlink_client *c);
DEFINE_POINTER_CLEANUP(struct varlink_client, varlink_client_free)
int varlink_client_fd(const struct varlink_client *c);

/* Sends a call of @method (qualified) with @parameters (NULL: none); with
 * @more the server may reply many times. Blocks until it is written. */
int varlink_client_send(struct varlink_client *c, const char *method, struct json_object *parameters,
			bool more);

/* The next reply: 1 and *ret; 0 when @wait is false and no whole reply has
 * arrived (read what there was); -ECONNRESET when the server hung up,
 * -EMSGSIZE for a reply beyond VARLINK_CLIENT_MAX_REPLY, -EBADMSG for one
 * that is not a JSON object of a reply, or another -errno of the socket. */
int varlink_client_receive(struct varlink_client *c, bool wait, struct varlink_reply *ret);

/* send() then receive(wait) of one reply. */
int varlink_client_call(struct varlink_client *c, const char *method, struct json_object *parameters,
			struct varlink_reply *ret);

/* An error's parameter @key as a string, "" when absent or no string. */
const char *varlink_reply_string(const struct varlink_reply *reply, const char *key);
