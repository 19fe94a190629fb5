// SPDX-License-Identifier: GPL-2.0-only
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "quote.h"

/* The length of the valid UTF-8 character at @s (at most @len bytes), or 0.
 * Overlong forms, surrogates and code points past U+10FFFF are invalid, as
 * the D-Bus specification and sd-bus have it. */
static size_t utf8_char_len(const unsigned char *s, size_t len)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t utf8_valid_prefix(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len && (n = utf8_char_len((const unsigned char *)s + i, len - i)) > 0)
		i += n;
	return i;
}

/* How @p's next character is copied: its length in @s (*@in), and whether
 * it is replaced by '?' (invalid, or a C0 or C1 control character). */
static bool replaced(const unsigned char *p, size_t *in)
{
	size_t n = utf8_char_len(p, strnlen((const char *)p, 4));

	*in = n ? n : 1;
	return n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f)) || (n == 2 && p[0] == 0xc2 && p[1] < 0xa0);
}

/* Bytes of @s's quoted form, counted up to @max + 1 (enough to know it
 * does not fit in @max). */
static size_t quoted_len(const unsigned char *s, size_t max)
{
	size_t out = 0, in;

	while (*s && out <= max) {
		out += replaced(s, &in) ? 1 : in;
		s += in;
	}
	return out;
}

char *quote_text(char *buf, size_t size, const char *s)
{
	static const char ellipsis[] = "...";
	const unsigned char *p = (const unsigned char *)s;
	/* All of it, or as much as leaves room for the ellipsis. */
	size_t room = quoted_len(p, size - 1) <= size - 1 ? size - 1 : size - sizeof(ellipsis), out = 0, in;

	while (*p) {
		bool bad = replaced(p, &in);
		size_t width = bad ? 1 : in;

		if (out + width > room) {
			memcpy(buf + out, ellipsis, sizeof(ellipsis));
			return buf;
		}
		if (bad)
			buf[out] = '?';
		else
			memcpy(buf + out, p, in);
		out += width;
		p += in;
	}
	buf[out] = '\0';
	return buf;
}
