// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "category.h"
#include "conf-file.h"
#include "log.h"

struct conf_parser {
	FILE *file;
	unsigned line; /* of the line inih is handling */
	struct config *config;
	const struct config *defaults;
	unsigned error_line; /* first error found by a handler, 0 if none */
	char error[256];
};

/* Parses @value (never empty) into the field at @field. */
typedef int (*conf_value_fn)(struct conf_parser *p, const char *value, void *field);

struct conf_key {
	const char *section;
	const char *key;
	conf_value_fn parse;
	size_t offset;
	size_t size; /* of the field, to restore the default on "Key=" */
};

static int conf_error(struct conf_parser *p, const char *fmt, ...) _printf_(2, 3);
static int conf_error(struct conf_parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->error_line)
		return -EINVAL;
	p->error_line = p->line;
	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int conf_parse_size(const char *s, size_t *ret)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtoull(s, &end, 10);
	if (end == s)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'K':
		shift = 10, end++;
		break;
	case 'M':
		shift = 20, end++;
		break;
	case 'G':
		shift = 30, end++;
		break;
	default:
		break;
	}
	if (*end || v == 0)
		return -EINVAL;
	/* Compared before the shift: a shift would wrap "18014398509481988K"
	 * around to 4096. */
	if (v > (CONF_SIZE_MAX >> shift))
		return -ERANGE;
	*ret = (size_t)(v << shift);
	return 0;
}

bool conf_ringbuf_size_valid(size_t bytes)
{
	return bytes >= 4096 && (bytes & (bytes - 1)) == 0;
}

static int parse_size_value(struct conf_parser *p, const char *value, void *field)
{
	int r = conf_parse_size(value, field);

	if (r == -ERANGE)
		return conf_error(p, "'%s' is larger than the largest size, 2G", value);
	if (r < 0)
		return conf_error(p,
				  "'%s' is not a size (bytes, or a number followed by K, M or G; at most 2G)",
				  value);
	return 0;
}

static int parse_ringbuf_size(struct conf_parser *p, const char *value, void *field)
{
	size_t bytes;
	int r = conf_parse_size(value, &bytes);

	if (r == -ERANGE)
		return conf_error(p, "'%s' is larger than the largest ring buffer, 2G", value);
	if (r < 0 || !conf_ringbuf_size_valid(bytes))
		return conf_error(p, "'%s' is not a power of two of at least 4096 bytes", value);
	*(size_t *)field = bytes;
	return 0;
}

static int parse_number(struct conf_parser *p, const char *value, unsigned long long max,
			unsigned long long *ret)
{
	char *end;

	errno = 0;
	if (*value >= '0' && *value <= '9') {
		*ret = strtoull(value, &end, 10);
		if (!errno && !*end && *ret > 0 && *ret <= max)
			return 0;
	}
	return conf_error(p, "'%s' is not a number from 1 to %llu", value, max);
}

static int parse_unsigned(struct conf_parser *p, const char *value, void *field)
{
	unsigned long long v;
	int r = parse_number(p, value, 65536, &v);

	if (r >= 0)
		*(unsigned *)field = (unsigned)v;
	return r;
}

static int parse_cache_size(struct conf_parser *p, const char *value, void *field)
{
	unsigned long long v;
	int r = parse_number(p, value, 1u << 24, &v);

	if (r >= 0)
		*(size_t *)field = (size_t)v;
	return r;
}

static int parse_boolean(struct conf_parser *p, const char *value, void *field)
{
	static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++)
		if (strcmp(value, yes[i]) == 0 || strcmp(value, no[i]) == 0) {
			*(bool *)field = strcmp(value, yes[i]) == 0;
			return 0;
		}
	return conf_error(p, "'%s' is not a boolean (yes or no)", value);
}

static int parse_hook_mode(struct conf_parser *p, const char *value, void *field)
{
	if (hook_mode_from_string(value, field) < 0)
		return conf_error(p, "unknown hook mode '%s' (auto, lsm, fentry, tracepoint)", value);
	return 0;
}

static int parse_categories(struct conf_parser *p, const char *value, void *field)
{
	const char *bad;
	size_t bad_len;

	if (categories_from_string(value, field, &bad, &bad_len) < 0)
		return conf_error(p, "unknown category '%.*s' (process, privilege, io_uring)", (int)bad_len,
				  bad);
	return 0;
}

static int parse_procmon_hooks(struct conf_parser *p, const char *value, void *field)
{
	struct config *c = p->config;
	static const char separators[] = " \t,";

	c->n_disabled_hooks = 0;
	for (value += strspn(value, separators); *value; value += strspn(value, separators)) {
		size_t len = strcspn(value, separators);

		if (c->n_disabled_hooks >= CONFIG_MAX_DISABLED_HOOKS)
			return conf_error(p, "more than %d hooks listed", CONFIG_MAX_DISABLED_HOOKS);
		if (len >= sizeof(c->disabled_hooks[0].hook))
			return conf_error(p, "hook name '%.*s' is too long", (int)len, value);
		c->disabled_hooks[c->n_disabled_hooks].monitor = "procmon";
		memcpy(c->disabled_hooks[c->n_disabled_hooks].hook, value, len);
		c->disabled_hooks[c->n_disabled_hooks].hook[len] = '\0';
		c->disabled_hooks[c->n_disabled_hooks].line = p->line;
		c->n_disabled_hooks++;
		value += len;
	}
	return 0;
}

#define KEY(s, k, fn, field)                                                                                 \
	{                                                                                                    \
		s, k, fn, offsetof(struct config, field), sizeof(((struct config *)0)->field)                \
	}

static const struct conf_key conf_keys[] = {
	KEY("Daemon", "HookMode", parse_hook_mode, hook_mode),
	KEY("Daemon", "RingBufferSize", parse_ringbuf_size, ringbuf_bytes),
	KEY("Daemon", "ProcessCacheSize", parse_cache_size, process_cache_max),
	KEY("ProcMon", "DisableHooks", parse_procmon_hooks, n_disabled_hooks),
	KEY("ProcMon", "ImaHash", parse_boolean, ima_hash),
	KEY("Journal", "Categories", parse_categories, journal_categories),
	KEY("Journal", "QueueSize", parse_size_value, journal_queue_bytes),
	KEY("Subscriptions", "Max", parse_unsigned, max_subscriptions),
	KEY("Subscriptions", "MaxPerClient", parse_unsigned, max_subscriptions_per_client),
	KEY("Subscriptions", "BacklogSize", parse_size_value, subscriber_backlog_bytes),
	KEY("Subscriptions", "WindowSize", parse_size_value, subscriber_window_bytes),
};

static bool section_known(const char *section)
{
	for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++)
		if (strcmp(conf_keys[i].section, section) == 0)
			return true;
	return false;
}

/* inih's handler: nonzero to go on. */
static int on_key(void *userdata, const char *section, const char *key, const char *value)
{
	struct conf_parser *p = userdata;

	if (!*section)
		return !conf_error(p, "'%s=' comes before any [Section]", key);
	if (!section_known(section))
		return !conf_error(p, "unknown section [%s]", section);
	for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++) {
		const struct conf_key *k = &conf_keys[i];
		char *field = (char *)p->config + k->offset;

		if (strcmp(k->section, section) != 0 || strcmp(k->key, key) != 0)
			continue;
		if (!*value) {
			memcpy(field, (const char *)p->defaults + k->offset, k->size);
			return 1;
		}
		return k->parse(p, value, field) >= 0;
	}
	return !conf_error(p, "unknown key '%s' in section [%s]", key, section);
}

/* What inih would make of some lines that systemd's parser refuses: an
 * indented line continues the previous value, and "Key: value" is a
 * setting. Both are refused, with the line. */
static int check_line(struct conf_parser *p, const char *line)
{
	const char *start = line + strspn(line, " \t\r\n"), *sep;

	if (!*start || *start == '#' || *start == ';')
		return 0;
	if (start != line)
		return conf_error(p, "line starts with white space (a value cannot continue on the next "
				     "line; write each setting on one line)");
	if (*start == '[')
		return 0;
	sep = start + strcspn(start, "=:");
	if (*sep == ':')
		return conf_error(p, "'%.*s' is not a Key=Value line (':' is not a separator)",
				  (int)strcspn(start, "\r\n"), start);
	return 0;
}

/* inih's reader: one line of the file, refused (parsing stops there, the
 * error at its number) when it is longer than CONF_FILE_LINE_MAX
 * characters (inih would cut it), when it holds a NUL byte (C
 * strings would end there and the rest of the line vanish), or when
 * check_line() refuses it. */
static char *read_line(char *buf, int size, void *userdata)
{
	struct conf_parser *p = userdata;
	/* The documented limit, whatever line buffer inih was built with. */
	size_t max = (size_t)size - 1 < CONF_FILE_LINE_MAX ? (size_t)size - 1 : CONF_FILE_LINE_MAX, len = 0;
	bool nul = false, too_long = false;
	int c;

	if (p->error_line)
		return NULL;
	while ((c = getc(p->file)) != EOF && c != '\n') {
		if (c == '\0')
			nul = true;
		else if (len < max)
			buf[len++] = (char)c;
		else
			too_long = true;
	}
	if (c == EOF && len == 0 && !nul && !too_long)
		return NULL;
	p->line++;
	if (nul) {
		conf_error(p, "NUL byte in the line");
		return NULL;
	}
	if (too_long) {
		conf_error(p, "line longer than %zu characters", max);
		return NULL;
	}
	if (c == '\n' && len + 1 < (size_t)size)
		buf[len++] = '\n'; /* as fgets() would: inih strips it */
	buf[len] = '\0';
	if (check_line(p, buf) < 0)
		return NULL;
	return buf;
}

/* Logs what is wrong and keeps it in @error (when not NULL) for a caller
 * that reports it elsewhere (the reply to Reload). */
static int conf_file_fail(char *error, size_t size, int r, const char *fmt, ...) _printf_(4, 5);
static int conf_file_fail(char *error, size_t size, int r, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_error("%s", text);
	if (error)
		snprintf(error, size, "%s", text);
	return r;
}

int conf_file_load(const char *path, bool must_exist, struct config *c)
{
	return conf_file_load_error(path, must_exist, c, NULL, 0);
}

int conf_file_load_error(const char *path, bool must_exist, struct config *c, char *error, size_t error_size)
{
	const struct config defaults = *c;
	struct conf_parser p = {.config = c, .defaults = &defaults};
	int line;

	p.file = fopen(path, "re");
	if (!p.file) {
		int r = -errno;

		if (r == -ENOENT && !must_exist)
			return 0;
		return conf_file_fail(error, error_size, r, "cannot read the config file %s: %s", path,
				      strerror(-r));
	}
	line = ini_parse_stream(read_line, &p, on_key, &p);
	fclose(p.file);
	if (line == -2)
		return conf_file_fail(error, error_size, -ENOMEM, "%s: %s", path, strerror(ENOMEM));
	if (line == 0 && !p.error_line)
		return 0;
	/* inih reports the first line that failed; a handler's message is
	 * for that line unless inih found a syntax error earlier. */
	if (line > 0 && (!p.error_line || (unsigned)line < p.error_line))
		return conf_file_fail(error, error_size, -EINVAL, "%s:%d: not a [Section] or Key=Value line",
				      path, line);
	return conf_file_fail(error, error_size, -EINVAL, "%s:%u: %s", path, p.error_line, p.error);
}
