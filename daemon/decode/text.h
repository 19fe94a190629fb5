/* SPDX-License-Identifier: GPL-2.0-only */
/* Turning raw kernel bytes into the strings of the event format. Input is
 * untrusted: any byte sequence gives valid UTF-8 output within the bounds. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../bpf/bombus.h"

/* Appends @len bytes of @in to @out (capacity @size, holding *@out_len bytes,
 * kept NUL-terminated) as valid UTF-8: every invalid byte becomes U+FFFD. A
 * multi-byte character cut off at the end of @in is dropped when @cut is set
 * (the input was truncated there), else replaced. Stops when @out is full,
 * never splitting a character. Returns false if it had to stop early. */
bool utf8_append(char *out, size_t size, size_t *out_len, const char *in, size_t len, bool cut);

/* A new valid UTF-8 copy of the first @len bytes of @s (up to a NUL), or
 * NULL on allocation failure. */
char *utf8_strndup(const char *s, size_t len);

/* What the decoders below write, at most: every input byte may become
 * U+FFFD (3 bytes). The kernel bounds the input (bpf/bombus.h). */
#define ARGS_TEXT_MAX (3 * BOMBUS_ARGS_MAX + 1)
#define PATH_TEXT_MAX (3 * BOMBUS_PATH_MAX + 64)
#define NAME_TEXT_MAX (3 * BOMBUS_NAME_MAX + 1)

/* argv[1..] of a NUL-separated argv area, joined by single spaces, into
 * @out (@size bytes, NUL-terminated; ARGS_TEXT_MAX holds any argv area).
 * @truncated: the area was cut at the kernel-side bound. Returns the length. */
size_t args_join(char *out, size_t size, const char *area, size_t len, bool truncated);

/* The binary path from names sent leaf first ("ls\0bin\0usr\0"), as
 * @flags (enum bombus_process_flags) say:
 * PSEUDO: a file with no directory, shown as the kernel does: "/NAME (deleted)";
 * UNLINKED: a deleted file: " (deleted)" is appended;
 * TRUNCATED, LOOKUP_FAILED: the walk stopped before the root: "..." in front;
 * DETACHED: the path within a filesystem no mount tree holds: "(unreachable)"
 * in front, as getcwd(3) marks a directory outside the root.
 * @filename gets the leaf name. */
void binary_path_join(const char *names, size_t len, unsigned count, uint32_t flags,
		      char path[static PATH_TEXT_MAX], char filename[static NAME_TEXT_MAX]);

/* The binary path as bpf_d_path wrote it (@len bytes, NUL-terminated or
 * not), made valid UTF-8 and bounded as binary_path_join's: more than
 * BOMBUS_PATH_COMPONENTS levels keep the last ones after "...". " (deleted)"
 * is already there for a deleted file (@unlinked) or one with no directory
 * (@pseudo). @filename gets the leaf name without it. */
void binary_path_full(const char *bytes, size_t len, bool pseudo, bool unlinked, char path[static PATH_TEXT_MAX],
		      char filename[static NAME_TEXT_MAX]);

/* The leaf of a path as /proc/PID/exe shows it, without " (deleted)", as
 * valid UTF-8. */
void path_basename(const char *path, char filename[static NAME_TEXT_MAX]);
