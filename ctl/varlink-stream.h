/* SPDX-License-Identifier: GPL-2.0-only */
/* bombusctl monitor over Varlink: a Subscribe call with "more" read on the
 * sd-event loop, its replies handed on as the D-Bus signals are (an event's
 * type and JSON text, a loss); when bombusd goes away, connecting again every
 * second and subscribing again, or ending the loop (no reconnect). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include <systemd/sd-event.h>

#include "macro.h"

struct varlink_stream;

struct varlink_stream_ops {
	/* An event: its type and its JSON text, as bombusd --stdout prints it. */
	void (*event)(void *userdata, const char *type, const char *json);
	/* @count events were lost at this place of the stream. */
	void (*dropped)(void *userdata, uint64_t count);
	/* The events of one reply are handed on. */
	void (*flush)(void *userdata);
};

/* Connects to @path and subscribes with @parameters, waiting for bombusd's
 * first answer: EXIT_OK and *ret, or the exit status of the failure, said.
 * The replies are read once attached to a loop; the loop ends with
 * EXIT_FAILED when bombusd goes away without @reconnect, and with the
 * exit status of an error bombusd would answer to any try again. */
int varlink_stream_new(const char *path, json_object *parameters, bool reconnect,
		       const struct varlink_stream_ops *ops, void *userdata, struct varlink_stream **ret);
int varlink_stream_attach(struct varlink_stream *s, sd_event *event);
void varlink_stream_free(struct varlink_stream *s);
DEFINE_POINTER_CLEANUP(struct varlink_stream, varlink_stream_free)
