/* SPDX-License-Identifier: GPL-2.0-only */
/* bombusctl status: the GetStatus object (transport.h) as readable text. */
#pragma once

#include <json-c/json.h>

/* Prints @status on stdout. */
void status_print(json_object *status);

/* Helpers for reading the status, shared with metrics.c: a member's value,
 * @fallback (or 0) when it is absent or of another type. */
const char *status_string(json_object *o, const char *key, const char *fallback);
uint64_t status_u64(json_object *o, const char *key);
/* The member @key if it is an array (NULL otherwise); its elements
 * json_object_array_get_idx(), its length json_object_array_length(). */
json_object *status_array(json_object *o, const char *key);
