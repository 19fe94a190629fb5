/* SPDX-License-Identifier: GPL-2.0-only */
/* Adding members to json-c objects, and their compact text. */
#pragma once

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* Adds @value (taking it) under @key; frees it and returns -ENOMEM when
 * @value is NULL or cannot be added. */
int json_add(json_object *obj, const char *key, json_object *value);
int json_add_string(json_object *obj, const char *key, const char *value); /* NULL as "" */
int json_add_uint(json_object *obj, const char *key, uint64_t value);

/* Compact text of @obj as events print it: no escaped '/'. The string belongs
 * to @obj. */
const char *json_text(json_object *obj, size_t *len);
