/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small streaming JSON writer: appends to one growing buffer that is reused
 * from event to event, so rendering an event allocates nothing once the
 * buffer has grown to the largest event. Strings are escaped as JSON requires
 * (control characters, '"', '\\'; never '/') and validated: a byte that is not
 * part of valid UTF-8 becomes U+FFFD. A failed allocation or the bound is
 * remembered (failed) and the rest is skipped: callers check once at the end.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_writer {
	char *buf;
	size_t len, size;
	size_t max; /* bytes the buffer may grow to */
	bool failed;
};

void json_writer_init(struct json_writer *w, size_t max);
void json_writer_free(struct json_writer *w);
/* Empties the buffer, keeping its memory. */
void json_writer_reset(struct json_writer *w);

/* Bytes as they are: JSON text the caller vouches for. */
void json_raw(struct json_writer *w, const char *s, size_t n);
#define json_literal(w, s) json_raw((w), (s), sizeof(s) - 1)
/* A NUL-terminated piece of JSON text the caller vouches for. */
void json_text(struct json_writer *w, const char *s);
/* @n bytes of @s as a quoted JSON string. */
void json_string_n(struct json_writer *w, const char *s, size_t n);
void json_string(struct json_writer *w, const char *s);
void json_uint(struct json_writer *w, uint64_t v);
void json_boolean(struct json_writer *w, bool v);
