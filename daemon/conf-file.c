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
	unsigned line;	    /* of the line inih is handling */
	bool line_too_long; /* the current line was cut: refused */
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

	errno = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'K':
		v <<= 10, end++;
		break;
	case 'M':
		v <<= 20, end++;
		break;
	case 'G':
		v <<= 30, end++;
		break;
	default:
		break;
	}
	if (*end || v == 0 || v > (1ULL << 31))
		return -EINVAL;
	*ret = (size_t)v;
	return 0;
}

bool conf_ringbuf_size_valid(size_t bytes)
{
	return bytes >= 4096 && (bytes & (bytes - 1)) == 0;
}

static int parse_size_value(struct conf_parser *p, const char *value, void *field)
{
	if (conf_parse_size(value, field) < 0)
		return conf_error(p,
				  "'%s' is not a size (bytes, or a number followed by K, M or G; at most 2G)",
				  value);
	return 0;
}

static int parse_ringbuf_size(struct conf_parser *p, const char *value, void *field)
{
	size_t bytes;

	if (conf_parse_size(value, &bytes) < 0 || !conf_ringbuf_size_valid(bytes))
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

	if (p->line_too_long)
		return 0; /* reported by the reader */
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

/* inih's reader: fgets that counts lines and refuses those it would cut. */
static char *read_line(char *buf, int size, void *userdata)
{
	struct conf_parser *p = userdata;
	size_t len;
	int c;

	if (!fgets(buf, size, p->file))
		return NULL;
	p->line++;
	p->line_too_long = false;
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		return buf;
	if ((c = fgetc(p->file)) == EOF)
		return buf;
	/* Skip the rest of the line; the handler refuses it (or inih, for a
	 * line that no longer parses). */
	while (c != '\n' && c != EOF)
		c = fgetc(p->file);
	p->line_too_long = true;
	conf_error(p, "line longer than %d characters", CONF_FILE_LINE_MAX);
	return buf;
}

int conf_file_load(const char *path, bool must_exist, struct config *c)
{
	const struct config defaults = *c;
	struct conf_parser p = {.config = c, .defaults = &defaults};
	int line;

	p.file = fopen(path, "re");
	if (!p.file) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return log_error_errno(errno, "cannot read the config file %s: %m", path);
	}
	line = ini_parse_stream(read_line, &p, on_key, &p);
	fclose(p.file);
	if (line == -2)
		return log_error_errno(ENOMEM, "%s: %m", path);
	if (line == 0 && !p.error_line)
		return 0;
	/* inih reports the first line that failed; a handler's message is
	 * for that line unless inih found a syntax error earlier. */
	if (line > 0 && (!p.error_line || (unsigned)line < p.error_line))
		log_error("%s:%d: not a [Section] or Key=Value line", path, line);
	else
		log_error("%s:%u: %s", path, p.error_line, p.error);
	return -EINVAL;
}
