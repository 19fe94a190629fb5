// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bus-json.h"
#include "protocol.h" /* varlink_json_add() */
#include "json-cleanup.h"

static const char *const *tuple_members(const struct bus_json_tuple *tuples, const char *key)
{
	for (; tuples && key && tuples->key; tuples++)
		if (strcmp(tuples->key, key) == 0)
			return tuples->members;
	return NULL;
}

/* A basic value; a dictionary's key as text when @as_key. */
static int read_basic(sd_bus_message *m, char type, bool as_key, json_object **ret)
{
	union {
		uint8_t y;
		int16_t n;
		uint16_t q;
		int32_t i;
		uint32_t u;
		int64_t x;
		uint64_t t;
		int b;
		double d;
		const char *s;
	} v;
	char text[32];
	int r = sd_bus_message_read_basic(m, type, &v);

	if (r < 0)
		return r;
	switch (type) {
	case 's':
	case 'o':
	case 'g':
		*ret = json_object_new_string(v.s);
		return *ret ? 0 : -ENOMEM;
	case 'b':
		*ret = json_object_new_boolean(v.b);
		return *ret ? 0 : -ENOMEM;
	case 'd':
		*ret = json_object_new_double(v.d);
		return *ret ? 0 : -ENOMEM;
	case 't':
		if (as_key)
			snprintf(text, sizeof(text), "%" PRIu64, v.t);
		else
			*ret = json_object_new_uint64(v.t);
		break;
	default: {
		int64_t n = type == 'y'			 ? v.y
			    : type == 'n'		 ? v.n
			    : type == 'q'		 ? v.q
			    : type == 'i' || type == 'h' ? v.i
			    : type == 'u'		 ? v.u
							 : v.x;

		if (as_key)
			snprintf(text, sizeof(text), "%" PRId64, n);
		else
			*ret = json_object_new_int64(n);
	}
	}
	if (as_key)
		*ret = json_object_new_string(text);
	return *ret ? 0 : -ENOMEM;
}

static int read_value(sd_bus_message *m, const struct bus_json_tuple *tuples, const char *key,
		      json_object **ret);

/* The entries of a dictionary @m is in, into the object @o. */
static int read_entries(sd_bus_message *m, const struct bus_json_tuple *tuples, json_object *o)
{
	const char *contents;
	int r;

	while ((r = sd_bus_message_peek_type(m, NULL, &contents)) > 0) {
		_cleanup_(json_object_putp) json_object *name = NULL;
		json_object *value = NULL;

		r = sd_bus_message_enter_container(m, 'e', contents);
		if (r >= 0)
			r = read_basic(m, contents[0], true, &name);
		if (r >= 0)
			r = read_value(m, tuples, json_object_get_string(name), &value);
		if (r >= 0)
			r = varlink_json_add(o, json_object_get_string(name), value);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	return r;
}

/* The elements of an array or the members of a struct @m is in. */
static int read_elements(sd_bus_message *m, const struct bus_json_tuple *tuples, const char *key,
			 const char *const *members, json_object *o)
{
	int r;

	for (size_t i = 0; (r = sd_bus_message_at_end(m, false)) == 0; i++) {
		json_object *value = NULL;

		r = read_value(m, tuples, key, &value);
		if (r < 0)
			return r;
		if (members && !members[i]) {
			json_object_put(value);
			r = -EBADMSG; /* more members than names */
		} else if (members)
			r = varlink_json_add(o, members[i], value);
		else if (json_object_array_add(o, value) < 0) {
			json_object_put(value);
			r = -ENOMEM;
		}
		if (r < 0)
			return r;
	}
	return r;
}

/* @key: the dictionary key the value is under, for the names of tuples. */
static int read_value(sd_bus_message *m, const struct bus_json_tuple *tuples, const char *key,
		      json_object **ret)
{
	_cleanup_(json_object_putp) json_object *o = NULL;
	const char *contents;
	const char *const *members = NULL;
	char type;
	int r;

	r = sd_bus_message_peek_type(m, &type, &contents);
	if (r <= 0)
		return r < 0 ? r : -EBADMSG;
	if (type != SD_BUS_TYPE_ARRAY && type != SD_BUS_TYPE_STRUCT && type != SD_BUS_TYPE_VARIANT)
		return read_basic(m, type, false, ret);
	r = sd_bus_message_enter_container(m, type, contents);
	if (r < 0)
		return r;
	if (type == SD_BUS_TYPE_VARIANT)
		r = read_value(m, tuples, key, &o);
	else if (type == SD_BUS_TYPE_ARRAY && contents[0] == SD_BUS_TYPE_DICT_ENTRY_BEGIN) {
		o = json_object_new_object();
		r = o ? read_entries(m, tuples, o) : -ENOMEM;
	} else {
		if (type == SD_BUS_TYPE_STRUCT)
			members = tuple_members(tuples, key);
		o = members ? json_object_new_object() : json_object_new_array();
		r = o ? read_elements(m, tuples, key, members, o) : -ENOMEM;
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(o);
	return 0;
}

int bus_message_read_json(sd_bus_message *m, const struct bus_json_tuple *tuples, json_object **ret)
{
	return read_value(m, tuples, NULL, ret);
}

static int append_array(sd_bus_message *m, json_object *array)
{
	size_t n = json_object_array_length(array);
	bool strings = n == 0 || json_object_is_type(json_object_array_get_idx(array, 0), json_type_string);
	int r = sd_bus_message_open_container(m, 'v', strings ? "as" : "au");

	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', strings ? "s" : "u");
	for (size_t i = 0; r >= 0 && i < n; i++) {
		json_object *v = json_object_array_get_idx(array, i);

		if (strings && json_object_is_type(v, json_type_string))
			r = sd_bus_message_append_basic(m, 's', json_object_get_string(v));
		else if (!strings && json_object_is_type(v, json_type_int)) {
			uint32_t u = (uint32_t)json_object_get_int64(v);

			r = sd_bus_message_append_basic(m, 'u', &u);
		} else
			r = -EINVAL;
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r < 0 ? r : sd_bus_message_close_container(m);
}

int bus_message_append_json_dict(sd_bus_message *m, json_object *dict)
{
	int r = sd_bus_message_open_container(m, 'a', "{sv}");

	json_object_object_foreach(dict, key, value)
	{
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'e', "sv");
		if (r >= 0)
			r = sd_bus_message_append_basic(m, 's', key);
		if (r < 0)
			break;
		if (json_object_is_type(value, json_type_string))
			r = sd_bus_message_append(m, "v", "s", json_object_get_string(value));
		else if (json_object_is_type(value, json_type_boolean))
			r = sd_bus_message_append(m, "v", "b", (int)json_object_get_boolean(value));
		else if (json_object_is_type(value, json_type_array))
			r = append_array(m, value);
		else
			r = -EINVAL;
		if (r >= 0)
			r = sd_bus_message_close_container(m);
	}
	return r < 0 ? r : sd_bus_message_close_container(m);
}

/* @o[@key] = an array of @n elements, element(@values, i) each. */
static int add_array(json_object *o, const char *key, size_t n, json_object *(*element)(const void *, size_t),
		     const void *values)
{
	json_object *array = json_object_new_array_ext((int)n);
	int r = array ? 0 : -ENOMEM;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		json_object *e = element(values, i);

		if (!e || json_object_array_add(array, e) < 0) {
			json_object_put(e);
			r = -ENOMEM;
		}
	}
	if (r < 0) {
		json_object_put(array);
		return r;
	}
	return varlink_json_add(o, key, array);
}

static json_object *string_element(const void *values, size_t i)
{
	return json_object_new_string(((const char *const *)values)[i]);
}

static json_object *u32_element(const void *values, size_t i)
{
	return json_object_new_int64(((const uint32_t *)values)[i]);
}

int json_add_strv(json_object *o, const char *key, const char *const *values, size_t n)
{
	return add_array(o, key, n, string_element, values);
}

int json_add_u32v(json_object *o, const char *key, const uint32_t *values, size_t n)
{
	return add_array(o, key, n, u32_element, values);
}
