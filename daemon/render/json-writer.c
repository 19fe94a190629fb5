// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "json-writer.h"

void json_writer_init(struct json_writer *w, size_t max)
{
	*w = (struct json_writer){ .max = max };
}

void json_writer_free(struct json_writer *w)
{
	free(w->buf);
	*w = (struct json_writer){ .max = w->max };
}

void json_writer_reset(struct json_writer *w)
{
	w->len = 0;
	w->failed = false;
}

/* Room for @n more bytes; false (and failed) when it cannot be had. */
static bool reserve(struct json_writer *w, size_t n)
{
	size_t size;
	char *grown;

	if (w->failed)
		return false;
	if (n <= w->size - w->len)
		return true;
	if (n > w->max - w->len) {
		w->failed = true;
		return false;
	}
	size = w->size ? w->size : 1024;
	while (size - w->len < n)
		size *= 2;
	if (size > w->max)
		size = w->max;
	grown = realloc(w->buf, size);
	if (!grown) {
		w->failed = true;
		return false;
	}
	w->buf = grown;
	w->size = size;
	return true;
}

void json_raw(struct json_writer *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

void json_text(struct json_writer *w, const char *s)
{
	json_raw(w, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), 0 if there is
 * none (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void json_string_n(struct json_writer *w, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	/* The worst case (every byte a \u00XX or U+FFFD) reserved at once:
	 * the loop below writes without checks. */
	if (!reserve(w, 6 * n + 2))
		return;
	w->buf[w->len++] = '"';
	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		char *out;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++, run++;
			continue;
		}
		memcpy(w->buf + w->len, s + i - run, run);
		w->len += run;
		run = 0;
		out = w->buf + w->len;
		if (c == '"' || c == '\\') {
			out[0] = '\\', out[1] = (char)c;
			w->len += 2, i++;
		} else if (c < 0x20) {
			static const char short_escape[0x20] = { ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n',
								  ['\r'] = 'r', ['\t'] = 't' };
			if (short_escape[c]) {
				out[0] = '\\', out[1] = short_escape[c];
				w->len += 2;
			} else {
				memcpy(out, "\\u00", 4);
				out[4] = hex[c >> 4], out[5] = hex[c & 15];
				w->len += 6;
			}
			i++;
		} else if ((len = utf8_sequence(s + i, n - i)) > 0) {
			memcpy(out, s + i, len);
			w->len += len, i += len;
		} else {
			memcpy(out, "\xef\xbf\xbd", 3); /* U+FFFD */
			w->len += 3, i++;
		}
	}
	memcpy(w->buf + w->len, s + i - run, run);
	w->len += run;
	w->buf[w->len++] = '"';
}

void json_string(struct json_writer *w, const char *s)
{
	json_string_n(w, s, strlen(s));
}

void json_uint(struct json_writer *w, uint64_t v)
{
	char digits[20];
	size_t n = 0;

	do {
		digits[sizeof(digits) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	json_raw(w, digits + sizeof(digits) - n, n);
}

void json_boolean(struct json_writer *w, bool v)
{
	if (v)
		json_literal(w, "true");
	else
		json_literal(w, "false");
}
