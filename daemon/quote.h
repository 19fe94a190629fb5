/* SPDX-License-Identifier: GPL-2.0-only */
/* Text from a caller, quoted in an error message sent back on the bus.
 * sd-bus refuses to send a message whose strings are not valid UTF-8, and
 * the caller would then wait for its timeout instead of getting its error;
 * a terminal would obey control characters. */
#pragma once

#include <stddef.h>

/* Copies @s into @buf (@size >= 8) as valid UTF-8 of at most @size - 1
 * bytes: a byte that does not start a valid character, and every control
 * character, becomes '?'; text that does not fit is cut at a character
 * boundary and ends with "...". Returns @buf. */
char *quote_text(char *buf, size_t size, const char *s);

/* The length of the longest prefix of @s (@len bytes) that is whole,
 * valid UTF-8 characters: where @s can be cut. */
size_t utf8_valid_prefix(const char *s, size_t len);
