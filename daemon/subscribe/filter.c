// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "category.h"
#include "context/cgroup-names.h"
#include "context/cgroup-path.h"
#include "decode/iouring-names.h"
#include "macro.h"
#include "quote.h"
#include "subscribe/filter.h"

const struct option_info subscription_options[_OPTION_MAX] = {
	[OPTION_CATEGORIES] = { "categories", OPTION_KIND_STRINGS, FILTER_MAX_NAMES },
	[OPTION_TYPES] = { "types", OPTION_KIND_STRINGS, FILTER_MAX_NAMES },
	[OPTION_UIDS] = { "uids", OPTION_KIND_UIDS, FILTER_MAX_UIDS },
	[OPTION_BINARY_PATH_PREFIXES] = { "binary_path_prefixes", OPTION_KIND_STRINGS, FILTER_MAX_PREFIXES },
	[OPTION_BATCH] = { "batch", OPTION_KIND_BOOLEAN, 1 },
	[OPTION_IO_URING_OPCODES] = { "io_uring_opcodes", OPTION_KIND_STRINGS, IOURING_OPCODES },
	[OPTION_UNITS] = { "units", OPTION_KIND_STRINGS, FILTER_MAX_CONTEXT },
	[OPTION_CONTAINERS] = { "containers", OPTION_KIND_BOOLEAN_OR_STRINGS, FILTER_MAX_CONTEXT },
	[OPTION_CGROUP_IDS] = { "cgroup_ids", OPTION_KIND_IDS, FILTER_MAX_CONTEXT },
};

static int vfail(struct filter_reader *rd, const char *option, const char *fmt, va_list ap)
{
	rd->bad_option = option;
	vsnprintf(rd->error, sizeof(rd->error), fmt, ap);
	return -EINVAL;
}

int filter_reader_fail(struct filter_reader *rd, const char *option, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(rd, option, fmt, ap);
	va_end(ap);
	return r;
}

void filter_reader_init(struct filter_reader *rd, struct subscription_filter *f,
			const struct iouring_opcodes *opcode_names)
{
	*rd = (struct filter_reader){ .f = f, .opcode_names = opcode_names };
	if (f)
		*f = (struct subscription_filter){ 0 };
}

int filter_reader_option(struct filter_reader *rd, const char *name, enum subscription_option *ret)
{
	char quoted[64];
	size_t option = 0;

	while (option < _OPTION_MAX && strcmp(subscription_options[option].name, name) != 0)
		option++;
	if (option == _OPTION_MAX)
		return filter_reader_fail(rd, NULL,
					  "unknown option '%s' (categories, types, uids, "
					  "binary_path_prefixes, batch, io_uring_opcodes, units, containers, "
					  "cgroup_ids)",
					  quote_text(quoted, sizeof(quoted), name));
	if (rd->seen[option])
		return filter_reader_fail(rd, subscription_options[option].name, "option '%s' is given twice",
					  subscription_options[option].name);
	rd->seen[option] = true;
	*ret = (enum subscription_option)option;
	return 0;
}

/* Counts a value of @option against its bound. */
static int count_value(struct filter_reader *rd, enum subscription_option option)
{
	const struct option_info *o = &subscription_options[option];

	if (rd->n_values[option] == o->max)
		return filter_reader_fail(rd, o->name, "option '%s' lists more than %zu %s", o->name, o->max,
					  option == OPTION_UIDS			  ? "uids"
					  : option == OPTION_BINARY_PATH_PREFIXES ? "prefixes"
					  : option == OPTION_CONTAINERS		  ? "ids"
					  : option == OPTION_CGROUP_IDS		  ? "ids"
										  : "names");
	rd->n_values[option]++;
	return 0;
}

static int read_category(struct filter_reader *rd, const char *name)
{
	const struct category_info *c = category_from_name(name);
	char quoted[64];

	if (!c)
		return filter_reader_fail(
			rd, "categories",
			"unknown category '%s' in option 'categories' (process, privilege, io_uring)",
			quote_text(quoted, sizeof(quoted), name));
	rd->categories |= c->category;
	return 0;
}

static int read_type(struct filter_reader *rd, const char *name)
{
	enum event_category category;
	char quoted[64];
	uint32_t bit;

	if (event_type_bit_from_name(name, &bit, &category) < 0)
		return filter_reader_fail(rd, "types", "unknown event type '%s' in option 'types'",
					  quote_text(quoted, sizeof(quoted), name));
	rd->types |= bit;
	rd->type_categories |= category;
	return 0;
}

static int read_opcode(struct filter_reader *rd, const char *name)
{
	int opcode = rd->opcode_names ? iouring_opcode_lookup(rd->opcode_names, name, strlen(name)) : -1;
	char quoted[64];

	if (!rd->opcode_names)
		return filter_reader_fail(
			rd, "io_uring_opcodes",
			"option 'io_uring_opcodes': io_uring is not monitored on this kernel");
	if (opcode < 0)
		return filter_reader_fail(
			rd, "io_uring_opcodes",
			"'%s' in option 'io_uring_opcodes' is no io_uring opcode of this kernel "
			"(names as OPENAT or IORING_OP_OPENAT)",
			quote_text(quoted, sizeof(quoted), name));
	rd->has_opcodes = true;
	rd->opcodes.bits[opcode / 64] |= UINT64_C(1) << (opcode % 64);
	return 0;
}

/* Appends a copy of @value to @list (room for FILTER_MAX_CONTEXT). */
static int append_string(char ***list, size_t *n, size_t max, const char *value)
{
	if (!*list) {
		*list = calloc(max, sizeof(**list));
		if (!*list)
			return -ENOMEM;
	}
	(*list)[*n] = strdup(value);
	if (!(*list)[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int read_unit(struct filter_reader *rd, const char *name)
{
	char quoted[200];

	if (!unit_name_valid(name, strlen(name), NULL))
		return filter_reader_fail(rd, "units", "'%s' in option 'units' is no unit name",
					  quote_text(quoted, sizeof(quoted), name));
	return rd->f ? append_string(&rd->f->units, &rd->f->n_units, FILTER_MAX_CONTEXT, name) : 0;
}

static int read_container_id(struct filter_reader *rd, const char *id)
{
	char quoted[200];

	if (!container_id_valid(id, strnlen(id, CONTAINER_ID_MAX + 1)))
		return filter_reader_fail(
			rd, "containers",
			"'%s' in option 'containers' is no container id (a runtime's id of "
			"64 hex digits, or at least %d of its first; an LXC, LXD or machine "
			"name: 1 to %d bytes without '/' or control characters)",
			quote_text(quoted, sizeof(quoted), id), CONTAINER_PREFIX_MIN, CONTAINER_ID_MAX);
	return rd->f ? append_string(&rd->f->container_ids, &rd->f->n_container_ids, FILTER_MAX_CONTEXT, id)
		     : 0;
}

/* A cgroup id is kept as its path: what events are matched by. Ids are
 * never reused, so one whose cgroup is gone can match nothing any more.
 * Looking an id up may walk the cgroup tree: done only when building the
 * filter, once the caller is authorized, never when checking before. */
static int read_cgroup_id(struct filter_reader *rd, uint64_t id)
{
	const char *path = rd->f ? cgroup_names_path(id) : id && cgroup_names_enabled() ? "" : NULL;

	if (!path)
		return filter_reader_fail(rd, "cgroup_ids",
					  "%llu in option 'cgroup_ids' is the id of no cgroup2 cgroup",
					  (unsigned long long)id);
	return rd->f ? append_string(&rd->f->cgroup_paths, &rd->f->n_cgroup_paths, FILTER_MAX_CONTEXT, path)
		     : 0;
}

static int read_prefix(struct filter_reader *rd, const char *prefix)
{
	struct subscription_filter *f = rd->f;
	char quoted[200];

	if (prefix[0] != '/' || strnlen(prefix, FILTER_PREFIX_MAX + 1) > FILTER_PREFIX_MAX)
		return filter_reader_fail(
			rd, "binary_path_prefixes",
			"'%s' in option 'binary_path_prefixes' is not an absolute path of at "
			"most %d bytes",
			quote_text(quoted, sizeof(quoted), prefix), FILTER_PREFIX_MAX);
	if (!f)
		return 0;
	if (!f->prefixes) {
		f->prefixes = calloc(FILTER_MAX_PREFIXES, sizeof(*f->prefixes));
		if (!f->prefixes)
			return -ENOMEM;
	}
	f->prefixes[f->n_prefixes] = strdup(prefix);
	if (!f->prefixes[f->n_prefixes])
		return -ENOMEM;
	f->n_prefixes++;
	return 0;
}

int filter_reader_string(struct filter_reader *rd, enum subscription_option option, const char *value)
{
	int r = count_value(rd, option);

	if (r < 0)
		return r;
	switch (option) {
	case OPTION_CATEGORIES:
		return read_category(rd, value);
	case OPTION_TYPES:
		return read_type(rd, value);
	case OPTION_IO_URING_OPCODES:
		return read_opcode(rd, value);
	case OPTION_BINARY_PATH_PREFIXES:
		return read_prefix(rd, value);
	case OPTION_UNITS:
		return read_unit(rd, value);
	case OPTION_CONTAINERS:
		return read_container_id(rd, value);
	default:
		return -EINVAL;
	}
}

int filter_reader_integer(struct filter_reader *rd, enum subscription_option option, uint64_t value)
{
	struct subscription_filter *f = rd->f;
	int r = count_value(rd, option);

	if (r < 0)
		return r;
	if (option == OPTION_CGROUP_IDS)
		return read_cgroup_id(rd, value);
	if (option != OPTION_UIDS)
		return -EINVAL;
	if (value > UINT32_MAX)
		return filter_reader_fail(rd, "uids", "%llu in option 'uids' is no uid (0 to 4294967295)",
					  (unsigned long long)value);
	if (!f)
		return 0;
	if (!f->uids) {
		f->uids = calloc(FILTER_MAX_UIDS, sizeof(*f->uids));
		if (!f->uids)
			return -ENOMEM;
	}
	f->uids[f->n_uids++] = (uint32_t)value;
	return 0;
}

int filter_reader_boolean(struct filter_reader *rd, enum subscription_option option, bool value)
{
	if (option == OPTION_CONTAINERS) {
		/* false: no choice by container, as if not given */
		if (rd->f)
			rd->f->any_container = value;
		return 0;
	}
	if (option != OPTION_BATCH)
		return -EINVAL;
	if (rd->f)
		rd->f->batch = value;
	return 0;
}

int filter_reader_finish(struct filter_reader *rd, uint32_t *ret_categories)
{
	char names[64];
	int r = 0;

	if (!rd->categories)
		/* "types" alone says which categories are wanted. */
		rd->categories = rd->type_categories;
	if (!rd->categories)
		r = filter_reader_fail(
			rd, "categories",
			"no category given: option 'categories' lists some of process, privilege, io_uring");
	else if (rd->has_opcodes && !(rd->categories & CATEGORY_IO_URING))
		r = filter_reader_fail(rd, "io_uring_opcodes",
				       "option 'io_uring_opcodes' needs the category io_uring");
	else if (rd->type_categories & ~rd->categories)
		r = filter_reader_fail(
			rd, "types",
			"option 'types' names types of categories (%s) that option 'categories' leaves out",
			categories_to_string(rd->type_categories & ~rd->categories, names, sizeof(names)));
	if (r < 0) {
		filter_reader_abandon(rd);
		return r;
	}
	if (rd->f) {
		rd->f->categories = rd->categories;
		rd->f->types = rd->types;
		rd->f->has_opcodes = rd->has_opcodes;
		rd->f->opcodes = rd->opcodes;
	}
	if (ret_categories)
		*ret_categories = rd->categories;
	return 0;
}

void filter_reader_abandon(struct filter_reader *rd)
{
	if (rd->f)
		subscription_filter_clear(rd->f);
}

static void free_strings(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void subscription_filter_clear(struct subscription_filter *f)
{
	free_strings(f->prefixes, f->n_prefixes);
	free_strings(f->units, f->n_units);
	free_strings(f->container_ids, f->n_container_ids);
	free_strings(f->cgroup_paths, f->n_cgroup_paths);
	free(f->uids);
	*f = (struct subscription_filter){ 0 };
}

void subscription_filter_add_wanted(const struct subscription_filter *f, uint32_t *categories,
				    struct opcode_set *opcodes)
{
	*categories |= f->categories;
	if (f->categories & CATEGORY_IO_URING)
		for (size_t w = 0; w < ELEMENTSOF(opcodes->bits); w++)
			opcodes->bits[w] |= f->has_opcodes ? f->opcodes.bits[w] : UINT64_MAX;
}

bool binary_path_has_prefix(const char *path, const char *prefix)
{
	size_t len = strlen(prefix);

	while (len > 1 && prefix[len - 1] == '/')
		len--;
	if (strncmp(path, prefix, len) != 0)
		return false;
	return path[len] == '\0' || path[len] == '/' || prefix[len - 1] == '/';
}

bool subscription_filter_by_context(const struct subscription_filter *f)
{
	return f->n_units || f->any_container || f->n_container_ids || f->n_cgroup_paths;
}

/* Whether @path has the component @name: systemd makes a unit's cgroup
 * ".../NAME", and a slice's "/a.slice/a-b.slice" with each parent slice. */
static bool path_has_component(const char *path, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = path; (p = strstr(p, name)); p++)
		if (p > path && p[-1] == '/' && (p[len] == '\0' || p[len] == '/'))
			return true;
	return false;
}

static bool lowercase_hex(const char *s, size_t len)
{
	return strspn(s, "0123456789abcdef") == len;
}

/* A name matches itself only ("web" is not "web1"); a prefix of a hex id,
 * as bombusctl shows 12 digits, matches the ids it begins. */
static bool container_id_matches(const char *id, const char *wanted)
{
	size_t n = strlen(wanted);

	if (strcmp(id, wanted) == 0)
		return true;
	return n >= CONTAINER_PREFIX_MIN && n < CONTAINER_HEX_ID_LEN && lowercase_hex(wanted, n) &&
	       strlen(id) == CONTAINER_HEX_ID_LEN && lowercase_hex(id, CONTAINER_HEX_ID_LEN) &&
	       strncmp(id, wanted, n) == 0;
}

bool subscription_filter_match_cgroup(const struct subscription_filter *f, const char *path,
				      const char *container_id)
{
	for (size_t i = 0; i < f->n_units; i++)
		/* the root slice holds everything */
		if (strcmp(f->units[i], "-.slice") == 0 || path_has_component(path, f->units[i]))
			return true;
	if (container_id) {
		if (f->any_container)
			return true;
		for (size_t i = 0; i < f->n_container_ids; i++)
			if (container_id_matches(container_id, f->container_ids[i]))
				return true;
	}
	for (size_t i = 0; i < f->n_cgroup_paths; i++)
		if (binary_path_has_prefix(path, f->cgroup_paths[i]))
			return true;
	return false;
}

/* Where the acting task ran: its own context, else what the process's last
 * record said. No cgroup known: no match. */
static bool match_context(const struct subscription_filter *f, const struct event *ev)
{
	const struct bombus_task *t =
		ev->task && (ev->task->flags & BOMBUS_TASK_CONTEXT) ? ev->task : &ev->process->task;
	const struct cgroup_info *c;

	if (!(t->flags & BOMBUS_TASK_CONTEXT))
		return false;
	c = cgroup_names_lookup(t->context.cgroup_id);
	return c && c->path && subscription_filter_match_cgroup(f, c->path, c->container_id);
}

bool subscription_filter_match(const struct subscription_filter *f, const struct event *ev, uint32_t type_bit)
{
	/* Who acted, as whom, when it happened: not what the last exec left. */
	uint32_t uid = ev->task ? ev->task->creds.uid : ev->process->task.creds.uid;
	const char *path = ev->process->image->fields.binary_path;
	bool found;

	if (!(f->categories & event_type_category(ev->type)))
		return false;
	if (f->types && !(f->types & type_bit))
		return false;
	if (f->has_opcodes && ev->opcode >= 0 && !opcode_set_has(&f->opcodes, (unsigned)ev->opcode))
		return false;
	if (f->n_uids) {
		found = false;
		for (size_t i = 0; i < f->n_uids && !found; i++)
			found = f->uids[i] == uid;
		if (!found)
			return false;
	}
	if (f->n_prefixes) {
		found = false;
		for (size_t i = 0; i < f->n_prefixes && !found; i++)
			found = binary_path_has_prefix(path, f->prefixes[i]);
		if (!found)
			return false;
	}
	if (subscription_filter_by_context(f) && !match_context(f, ev))
		return false;
	return true;
}
