// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>

#include "json-fields.h"

int json_add(json_object *obj, const char *key, json_object *value)
{
	if (!value || json_object_object_add(obj, key, value) < 0) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

int json_add_string(json_object *obj, const char *key, const char *value)
{
	return json_add(obj, key, json_object_new_string(value ? value : ""));
}

int json_add_uint(json_object *obj, const char *key, uint64_t value)
{
	return json_add(obj, key, json_object_new_int64((int64_t)value));
}

const char *json_text(json_object *obj, size_t *len)
{
	return json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
						 len);
}
