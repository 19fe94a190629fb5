// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

#define INPUT_MIN_CAP  4096
#define OUTPUT_MIN_CAP 4096
/* An output buffer emptied above this size is freed rather than kept: a
 * burst to a slow reader should not pin megabytes for the connection's life.
 * A stream that keeps its reader busy fills and empties up to its window
 * (bombusd's WindowSize, 1 MiB by default) over and over: its buffer stays,
 * as allocating megabytes again each time is what would cost (with glibc's
 * dynamic mmap threshold, a search of the heap's free chunks each time). */
#define OUTPUT_KEEP_CAP (4 * 1024 * 1024)

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static bool is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool varlink_interface_name_is_valid(const char *s, size_t len)
{
	size_t labels = 0;

	if (len == 0 || !is_alpha(s[0]))
		return false;
	for (size_t i = 0; i < len;) {
		/* a label: alphanumerics, dashes only between them */
		if (!is_alnum(s[i]))
			return false;
		while (i < len && s[i] != '.') {
			if (!is_alnum(s[i]) && s[i] != '-')
				return false;
			i++;
		}
		if (s[i - 1] == '-')
			return false;
		labels++;
		if (i < len && ++i == len) /* a trailing dot */
			return false;
	}
	return labels >= 2;
}

bool varlink_member_name_is_valid(const char *s, size_t len)
{
	if (len == 0 || s[0] < 'A' || s[0] > 'Z')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_alnum(s[i]))
			return false;
	return true;
}

bool varlink_qualified_name_is_valid(const char *s)
{
	const char *dot = strrchr(s, '.');

	return dot && varlink_interface_name_is_valid(s, dot - s) &&
	       varlink_member_name_is_valid(dot + 1, strlen(dot + 1));
}

void varlink_input_init(struct varlink_input *in, size_t max_message_bytes)
{
	*in = (struct varlink_input){ .max_message_bytes = max_message_bytes };
}

void varlink_input_done(struct varlink_input *in)
{
	free(in->buf);
	varlink_input_init(in, in->max_message_bytes);
}

int varlink_input_reserve(struct varlink_input *in, size_t chunk, char **ret)
{
	/* Only a message in the making is buffered here (the reader reads when
	 * no whole one is): it needs at most its longest and its NUL. */
	size_t whole = in->max_message_bytes + 1;
	size_t room = whole > in->len ? whole - in->len : 1;

	if (room > chunk)
		room = chunk;
	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->len);
		in->start = 0;
	}
	if (in->len + room > in->cap) {
		size_t cap = in->cap * 2;
		char *buf;

		if (cap < INPUT_MIN_CAP)
			cap = INPUT_MIN_CAP;
		if (cap > whole)
			cap = whole;
		if (cap < in->len + room)
			cap = in->len + room;
		buf = realloc(in->buf, cap);
		if (!buf)
			return -ENOMEM;
		in->buf = buf;
		in->cap = cap;
	}
	*ret = in->buf + in->len;
	return (int)room;
}

void varlink_input_advance(struct varlink_input *in, size_t n)
{
	in->len += n;
}

/* Finds the end of the next message: 1 with its length, 0, or -EMSGSIZE.
 * Remembers how far it looked, so that a large message arriving in many
 * reads is scanned once. */
static int input_find(struct varlink_input *in, size_t *ret_len)
{
	size_t window = in->len < in->max_message_bytes + 1 ? in->len : in->max_message_bytes + 1;

	if (window > in->scanned) {
		const char *p = memchr(in->buf + in->start + in->scanned, 0, window - in->scanned);

		if (p) {
			*ret_len = p - (in->buf + in->start);
			return 1;
		}
		in->scanned = window;
	}
	return in->len > in->max_message_bytes ? -EMSGSIZE : 0;
}

int varlink_input_next(struct varlink_input *in, const char **ret, size_t *ret_len)
{
	size_t len;
	int r = input_find(in, &len);

	if (r <= 0)
		return r;
	*ret = in->buf + in->start;
	*ret_len = len;
	in->start += len + 1;
	in->len -= len + 1;
	in->scanned = 0;
	return 1;
}

bool varlink_input_ready(struct varlink_input *in)
{
	size_t len;

	return input_find(in, &len) != 0;
}

int varlink_json_add(struct json_object *o, const char *key, struct json_object *value)
{
	if (value && json_object_object_add(o, key, value) == 0)
		return 0;
	json_object_put(value);
	return -ENOMEM;
}

void varlink_message_done(struct varlink_message *m)
{
	json_object_put(m->root);
	*m = (struct varlink_message){};
}

/* An optional boolean field: false when absent. */
static int get_bool(struct json_object *root, const char *key, bool *ret)
{
	struct json_object *v;

	*ret = false;
	if (!json_object_object_get_ex(root, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return -EINVAL;
	*ret = json_object_get_boolean(v);
	return 0;
}

int varlink_message_parse(const char *text, size_t len, struct varlink_message *ret,
			  const char **ret_bad_field)
{
	struct varlink_message m = {};
	struct json_tokener *tok;
	struct json_object *v;
	const char *bad = NULL;
	size_t end = 0;

	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	if (len > 0) /* json-c reads a length of 0 as "up to the NUL" */
		m.root = json_tokener_parse_ex(tok, text, (int)len);
	if (m.root && json_tokener_get_error(tok) == json_tokener_success)
		end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (end > 0 && end < len && is_json_space(text[end]))
		end++;
	if (end != len || !json_object_is_type(m.root, json_type_object)) {
		json_object_put(m.root);
		return -EBADMSG;
	}

	if (!json_object_object_get_ex(m.root, "method", &v) || !json_object_is_type(v, json_type_string) ||
	    !varlink_qualified_name_is_valid(json_object_get_string(v)))
		bad = "method";
	else if (get_bool(m.root, "more", &m.more) < 0)
		bad = "more";
	else if (get_bool(m.root, "oneway", &m.oneway) < 0 || (m.more && m.oneway))
		bad = "oneway";
	else if (get_bool(m.root, "upgrade", &m.upgrade) < 0)
		bad = "upgrade";
	if (bad) {
		json_object_put(m.root);
		*ret_bad_field = bad;
		return -EINVAL;
	}
	m.method = json_object_get_string(v);

	if (!json_object_object_get_ex(m.root, "parameters", &m.parameters)) {
		/* {} rather than NULL, so that methods need not tell the two apart */
		m.parameters = json_object_new_object();
		if (!m.parameters || json_object_object_add(m.root, "parameters", m.parameters) < 0) {
			json_object_put(m.parameters);
			json_object_put(m.root);
			return -ENOMEM;
		}
	} else if (!json_object_is_type(m.parameters, json_type_object)) {
		json_object_put(m.root);
		*ret_bad_field = "parameters";
		return -EINVAL;
	}
	*ret = m;
	return 0;
}

void varlink_output_done(struct varlink_output *out)
{
	free(out->buf);
	*out = (struct varlink_output){};
}

/* Room for @n more bytes at the end. The pending bytes move to the front
 * only when no more of them remain than were written since the last move,
 * so each byte is moved a bounded number of times on average. */
static char *output_reserve(struct varlink_output *out, size_t n)
{
	if (out->start + out->len + n <= out->cap)
		return out->buf + out->start + out->len;
	if (out->start >= out->len && out->len + n <= out->cap) {
		memmove(out->buf, out->buf + out->start, out->len);
	} else {
		size_t cap = 2 * (out->len + n);
		char *buf;

		if (cap < OUTPUT_MIN_CAP)
			cap = OUTPUT_MIN_CAP;
		buf = malloc(cap);
		if (!buf)
			return NULL;
		if (out->len > 0)
			memcpy(buf, out->buf + out->start, out->len);
		free(out->buf);
		out->buf = buf;
		out->cap = cap;
	}
	out->start = 0;
	return out->buf + out->len;
}

/* Appends @head, then the parameters (or {}), then @tail and the NUL. */
static int output_append(struct varlink_output *out, const char *head, size_t head_len,
			 const char *parameters, size_t len, const char *tail, size_t tail_len)
{
	char *p;

	if (!parameters) {
		parameters = "{}";
		len = 2;
	}
	p = output_reserve(out, head_len + len + tail_len + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p, head, head_len);
	p += head_len;
	memcpy(p, parameters, len);
	p += len;
	memcpy(p, tail, tail_len);
	p[tail_len] = '\0';
	out->len += head_len + len + tail_len + 1;
	return 0;
}

#define STR_LEN(s) s, sizeof(s) - 1

int varlink_output_append_reply(struct varlink_output *out, const char *parameters, size_t len,
				bool continues)
{
	if (continues)
		return output_append(out, STR_LEN("{\"parameters\":"), parameters, len,
				     STR_LEN(",\"continues\":true}"));
	return output_append(out, STR_LEN("{\"parameters\":"), parameters, len, STR_LEN("}"));
}

int varlink_output_append_error(struct varlink_output *out, const char *error, const char *parameters,
				size_t len)
{
	/* A qualified name needs no escaping. */
	static const char head[] = "{\"error\":\"", mid[] = "\",\"parameters\":";
	size_t error_len = strlen(error);
	char prefix[sizeof(head) + sizeof(mid) + 256];
	size_t n = 0;

	if (error_len > 256)
		return -EINVAL;
	memcpy(prefix, head, sizeof(head) - 1);
	n += sizeof(head) - 1;
	memcpy(prefix + n, error, error_len);
	n += error_len;
	memcpy(prefix + n, mid, sizeof(mid) - 1);
	n += sizeof(mid) - 1;
	return output_append(out, prefix, n, parameters, len, STR_LEN("}"));
}

void varlink_output_advance(struct varlink_output *out, size_t n)
{
	out->start += n;
	out->len -= n;
	if (out->len > 0)
		return;
	out->start = 0;
	if (out->cap > OUTPUT_KEEP_CAP) {
		free(out->buf);
		out->buf = NULL;
		out->cap = 0;
	}
}
