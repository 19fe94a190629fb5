// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../bpf/bombus.h"
#include "text.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* Length of the valid UTF-8 sequence at @s (of @len bytes): 1-4, 0 when
 * invalid, -1 when it is valid so far but cut off by the end of the input. */
static int utf8_sequence(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	int need;
	uint32_t min, cp;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		need = 2, min = 0x80, cp = c & 0x1f;
	else if ((c & 0xf0) == 0xe0)
		need = 3, min = 0x800, cp = c & 0x0f;
	else if ((c & 0xf8) == 0xf0)
		need = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	for (int i = 1; i < need; i++) {
		if ((size_t)i >= len)
			return -1;
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

static bool put(char *out, size_t size, size_t *out_len, const void *bytes, size_t n)
{
	if (*out_len + n >= size)
		return false;
	memcpy(out + *out_len, bytes, n);
	*out_len += n;
	out[*out_len] = '\0';
	return true;
}

bool utf8_append(char *out, size_t size, size_t *out_len, const char *in, size_t len, bool cut)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;

	while (i < len) {
		int n = utf8_sequence(s + i, len - i);

		if (n < 0 && cut)
			return true; /* the rest of this character was cut off */
		if (n <= 0) {
			/* Control bytes are valid UTF-8 and JSON escapes them. */
			if (!put(out, size, out_len, replacement, sizeof(replacement) - 1))
				return false;
			i++;
			continue;
		}
		if (!put(out, size, out_len, s + i, (size_t)n))
			return false;
		i += (size_t)n;
	}
	return true;
}

/* Each input byte becomes at most 3 output bytes (U+FFFD). */
static size_t sanitized_capacity(size_t len)
{
	return len * 3 + 1;
}

char *utf8_strndup(const char *s, size_t len)
{
	size_t n = strnlen(s, len), out_len = 0;
	char *out = malloc(sanitized_capacity(n));

	if (!out)
		return NULL;
	out[0] = '\0';
	utf8_append(out, sanitized_capacity(n), &out_len, s, n, false);
	return out;
}

size_t args_join(char *out, size_t size, const char *area, size_t len, bool truncated)
{
	size_t out_len = 0;
	unsigned index = 0;

	out[0] = '\0';
	/* Each NUL ends an argument; a last one without NUL was cut by the bound. */
	for (size_t i = 0; i < len; index++) {
		const char *nul = memchr(area + i, '\0', len - i);
		size_t n = nul ? (size_t)(nul - (area + i)) : len - i;

		if (index > 1)
			put(out, size, &out_len, " ", 1);
		if (index > 0)
			utf8_append(out, size, &out_len, area + i, n, truncated && !nul);
		i += n + 1;
	}
	return out_len;
}

void binary_path_join(const char *names, size_t len, unsigned count, uint32_t flags,
		      char path[static PATH_TEXT_MAX], char filename[static NAME_TEXT_MAX])
{
	static const char deleted[] = " (deleted)", unreachable[] = "(unreachable)";
	const char *starts[BOMBUS_PATH_COMPONENTS];
	size_t lens[BOMBUS_PATH_COMPONENTS], out_len = 0, leaf_len = 0;
	unsigned n = 0;

	/* Find each name; a count that disagrees with the bytes is not trusted. */
	for (size_t i = 0; n < count && n < BOMBUS_PATH_COMPONENTS && i < len; n++) {
		const char *nul = memchr(names + i, '\0', len - i);

		starts[n] = names + i;
		lens[n] = nul ? (size_t)(nul - (names + i)) : len - i;
		i += lens[n] + 1;
	}
	path[0] = filename[0] = '\0';
	if (n)
		utf8_append(filename, NAME_TEXT_MAX, &leaf_len, starts[0], lens[0], false);
	if (flags & (BOMBUS_PROC_PATH_TRUNCATED | BOMBUS_PROC_PATH_LOOKUP_FAILED))
		put(path, PATH_TEXT_MAX, &out_len, "...", 3);
	else if (flags & BOMBUS_PROC_PATH_DETACHED)
		put(path, PATH_TEXT_MAX, &out_len, unreachable, sizeof(unreachable) - 1);
	for (unsigned i = n; i-- > 0;) {
		put(path, PATH_TEXT_MAX, &out_len, "/", 1);
		utf8_append(path, PATH_TEXT_MAX, &out_len, starts[i], lens[i], false);
	}
	if (n == 0 && !(flags & (BOMBUS_PROC_PATH_TRUNCATED | BOMBUS_PROC_PATH_LOOKUP_FAILED)))
		put(path, PATH_TEXT_MAX, &out_len, "/", 1);
	if (flags & (BOMBUS_PROC_PATH_PSEUDO | BOMBUS_PROC_PATH_UNLINKED))
		put(path, PATH_TEXT_MAX, &out_len, deleted, sizeof(deleted) - 1);
}

/* The leaf name of @path into @out: after the last '/', or the first for a
 * file with no directory (@pseudo: its name may hold '/'), without
 * " (deleted)" when @deleted; valid UTF-8. */
static void leaf_name(const char *path, bool pseudo, bool deleted, char *out, size_t size)
{
	static const char suffix[] = " (deleted)";
	const char *slash = pseudo ? strchr(path, '/') : strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t n = strlen(base), out_len = 0;

	if (deleted && n >= sizeof(suffix) - 1 && strcmp(base + n - (sizeof(suffix) - 1), suffix) == 0)
		n -= sizeof(suffix) - 1;
	out[0] = '\0';
	utf8_append(out, size, &out_len, base, n, false);
}

/* The start of the last @max components of @path ("/a/b/c"), or NULL when
 * it has no more. */
static const char *last_components(const char *path, unsigned max)
{
	unsigned seen = 0;

	for (const char *p = path + strlen(path); p-- > path;)
		if (*p == '/' && ++seen == max)
			return p > path ? p : NULL;
	return NULL;
}

void binary_path_full(const char *bytes, size_t len, bool pseudo, bool unlinked, char path[static PATH_TEXT_MAX],
		      char filename[static NAME_TEXT_MAX])
{
	size_t out_len = 0;
	const char *kept;

	path[0] = '\0';
	utf8_append(path, PATH_TEXT_MAX, &out_len, bytes, strnlen(bytes, len), false);
	/* The bound the walk has, whose paths these must equal. */
	kept = pseudo ? NULL : last_components(path, BOMBUS_PATH_COMPONENTS);
	if (kept) {
		memmove(path + 3, kept, strlen(kept) + 1);
		memcpy(path, "...", 3);
	}
	leaf_name(path, pseudo, pseudo || unlinked, filename, NAME_TEXT_MAX);
}

void path_basename(const char *path, char filename[static NAME_TEXT_MAX])
{
	leaf_name(path, false, true, filename, NAME_TEXT_MAX);
}
