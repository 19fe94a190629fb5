/* SPDX-License-Identifier: GPL-2.0-only */
/* D-Bus values as JSON and back, so that bombusctl prints what either API
 * answered with one printer, and builds what it asks once. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include <systemd/sd-bus.h>

/* The member names of the tuples found under the dictionary key @key: the
 * Varlink API's objects for D-Bus's structs (docs/dbus-api.md). */
struct bus_json_tuple {
	const char *key;
	const char *const *members; /* NULL-terminated */
};

/* Reads the next complete value of @m as JSON: strings, object paths and
 * signatures as strings, integers, booleans and doubles as themselves, a
 * variant as its content, a dictionary (a{..}) as an object (its keys as
 * text), an array as an array, and a struct as an object whose member names
 * @tuples gives for the dictionary key it is under (else an array).
 * @tuples ends with an entry whose key is NULL; NULL: none. */
int bus_message_read_json(sd_bus_message *m, const struct bus_json_tuple *tuples, json_object **ret);

/* Appends the object @dict as an a{sv}: strings "s", booleans "b", arrays
 * of strings "as" and arrays of integers "au" (the uids of Subscribe, the
 * only integers of the options bombusctl sends); -EINVAL for any other. */
int bus_message_append_json_dict(sd_bus_message *m, json_object *dict);

/* @o[@key] = an array of the @n strings @values, or of the @n numbers @values. */
int json_add_strv(json_object *o, const char *key, const char *const *values, size_t n);
int json_add_u32v(json_object *o, const char *key, const uint32_t *values, size_t n);
