// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "category.h"
#include "decode/iouring-names.h"
#include "macro.h"
#include "quote.h"
#include "subscription-filter.h"

static int invalid(sd_bus_error *error, const char *fmt, ...) _printf_(2, 3);
static int invalid(sd_bus_error *error, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = sd_bus_error_setfv(error, BOMBUS_ERROR_INVALID_ARGUMENT, fmt, ap);
	va_end(ap);
	return r;
}

/* Reading the options costs at most what their bounds allow, whatever the
 * message holds: arrays are read element by element and refused at the
 * first element past their bound, the dictionary at its first unknown or
 * repeated key (so at most _OPTION_MAX entries are read), and nothing is
 * allocated unless @f is given. Each string read is validated by sd-bus
 * (UTF-8), in time linear in its length: at most the message's size in all,
 * never more than once per byte. */

/* Where the options go: @f when building the filter (after the caller was
 * authorized), only the categories and types when checking. */
struct reading {
	struct subscription_filter *f; /* NULL: check only */
	const struct iouring_opcodes *opcode_names;
	uint32_t categories, types, type_categories;
	size_t n_prefixes;
	bool has_opcodes;
	struct opcode_set opcodes;
};

/* A name of option "categories" or "types". */
typedef int (*read_name_fn)(const char *name, struct reading *rd, sd_bus_error *error);

static int read_category(const char *name, struct reading *rd, sd_bus_error *error)
{
	const struct category_info *c = category_from_name(name);
	char quoted[64];

	if (!c)
		return invalid(error,
			       "unknown category '%s' in option 'categories' (process, privilege, io_uring)",
			       quote_text(quoted, sizeof(quoted), name));
	rd->categories |= c->category;
	return 0;
}

static int read_type(const char *name, struct reading *rd, sd_bus_error *error)
{
	enum event_category category;
	char quoted[64];
	uint32_t bit;

	if (event_type_bit_from_name(name, &bit, &category) < 0)
		return invalid(error, "unknown event type '%s' in option 'types'",
			       quote_text(quoted, sizeof(quoted), name));
	rd->types |= bit;
	rd->type_categories |= category;
	return 0;
}

static int read_opcode(const char *name, struct reading *rd, sd_bus_error *error)
{
	int opcode = rd->opcode_names ? iouring_opcode_lookup(rd->opcode_names, name, strlen(name)) : -1;
	char quoted[64];

	if (!rd->opcode_names)
		return invalid(error, "option 'io_uring_opcodes': io_uring is not monitored on this kernel");
	if (opcode < 0)
		return invalid(error,
			       "'%s' in option 'io_uring_opcodes' is no io_uring opcode of this kernel (names as "
			       "OPENAT or IORING_OP_OPENAT)",
			       quote_text(quoted, sizeof(quoted), name));
	rd->has_opcodes = true;
	rd->opcodes.bits[opcode / 64] |= UINT64_C(1) << (opcode % 64);
	return 0;
}

static int read_names(sd_bus_message *m, const char *option, read_name_fn fn, size_t max, struct reading *rd,
		      sd_bus_error *error)
{
	const char *name;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "s");
	for (size_t n = 0; r >= 0 && (r = sd_bus_message_at_end(m, false)) == 0; n++) {
		if (n == max)
			return invalid(error, "option '%s' lists more than %zu names", option, max);
		r = sd_bus_message_read(m, "s", &name);
		if (r >= 0)
			r = fn(name, rd, error);
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_uids(sd_bus_message *m, struct reading *rd, sd_bus_error *error)
{
	struct subscription_filter *f = rd->f;
	const void *uids;
	size_t size;
	int r;

	/* A fixed-size array: its size is known without reading it. */
	r = sd_bus_message_read_array(m, 'u', &uids, &size);
	if (r < 0)
		return r;
	if (size / sizeof(uint32_t) > FILTER_MAX_UIDS)
		return invalid(error, "option 'uids' lists more than %d uids", FILTER_MAX_UIDS);
	/* An empty array is no filter; sd-bus gives it no pointer at all,
	 * which memcpy() must not be given even for 0 bytes. */
	if (!f || size == 0)
		return 0;
	f->uids = malloc(size);
	if (!f->uids)
		return -ENOMEM;
	memcpy(f->uids, uids, size);
	f->n_uids = size / sizeof(uint32_t);
	return 0;
}

static int read_prefixes(sd_bus_message *m, struct reading *rd, sd_bus_error *error)
{
	struct subscription_filter *f = rd->f;
	const char *prefix;
	char quoted[200];
	int r;

	r = sd_bus_message_enter_container(m, 'a', "s");
	while (r >= 0 && (r = sd_bus_message_at_end(m, false)) == 0) {
		if (rd->n_prefixes == FILTER_MAX_PREFIXES)
			return invalid(error, "option 'binary_path_prefixes' lists more than %d prefixes",
				       FILTER_MAX_PREFIXES);
		r = sd_bus_message_read(m, "s", &prefix);
		if (r < 0)
			return r;
		if (prefix[0] != '/' || strnlen(prefix, FILTER_PREFIX_MAX + 1) > FILTER_PREFIX_MAX)
			return invalid(error,
				       "'%s' in option 'binary_path_prefixes' is not an absolute path of at "
				       "most %d bytes",
				       quote_text(quoted, sizeof(quoted), prefix), FILTER_PREFIX_MAX);
		if (f) {
			if (!f->prefixes) {
				f->prefixes = calloc(FILTER_MAX_PREFIXES, sizeof(*f->prefixes));
				if (!f->prefixes)
					return -ENOMEM;
			}
			f->prefixes[f->n_prefixes] = strdup(prefix);
			if (!f->prefixes[f->n_prefixes])
				return -ENOMEM;
			f->n_prefixes++;
		}
		rd->n_prefixes++;
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* The options Subscribe() knows, with the only value type each accepts. */
enum option {
	OPTION_CATEGORIES,
	OPTION_TYPES,
	OPTION_UIDS,
	OPTION_BINARY_PATH_PREFIXES,
	OPTION_BATCH,
	OPTION_IO_URING_OPCODES,
	_OPTION_MAX,
};

static const struct {
	const char *name;
	const char *signature;
} options[_OPTION_MAX] = {
	[OPTION_CATEGORIES] = {"categories", "as"},
	[OPTION_TYPES] = {"types", "as"},
	[OPTION_UIDS] = {"uids", "au"},
	[OPTION_BINARY_PATH_PREFIXES] = {"binary_path_prefixes", "as"},
	[OPTION_BATCH] = {"batch", "b"},
	[OPTION_IO_URING_OPCODES] = {"io_uring_opcodes", "as"},
};

static int read_option(sd_bus_message *m, enum option option, struct reading *rd, sd_bus_error *error)
{
	int batch, r;

	switch (option) {
	case OPTION_CATEGORIES:
		return read_names(m, "categories", read_category, FILTER_MAX_NAMES, rd, error);
	case OPTION_TYPES:
		return read_names(m, "types", read_type, FILTER_MAX_NAMES, rd, error);
	case OPTION_IO_URING_OPCODES:
		return read_names(m, "io_uring_opcodes", read_opcode, IOURING_OPCODES, rd, error);
	case OPTION_UIDS:
		return read_uids(m, rd, error);
	case OPTION_BINARY_PATH_PREFIXES:
		return read_prefixes(m, rd, error);
	case OPTION_BATCH:
		r = sd_bus_message_read(m, "b", &batch);
		if (r >= 0 && rd->f)
			rd->f->batch = batch;
		return r;
	default:
		return -EINVAL;
	}
}

static int read_options(sd_bus_message *m, struct reading *rd, sd_bus_error *error)
{
	bool seen[_OPTION_MAX] = {false};
	char quoted[64];
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key, *contents;
		size_t option = 0;

		r = sd_bus_message_read(m, "s", &key);
		if (r < 0)
			return r;
		while (option < _OPTION_MAX && strcmp(options[option].name, key) != 0)
			option++;
		if (option == _OPTION_MAX)
			return invalid(
				error,
				"unknown option '%s' (categories, types, uids, binary_path_prefixes, batch, "
				"io_uring_opcodes)",
				quote_text(quoted, sizeof(quoted), key));
		if (seen[option])
			return invalid(error, "option '%s' is given twice", options[option].name);
		seen[option] = true;
		r = sd_bus_message_peek_type(m, NULL, &contents);
		if (r < 0)
			return r;
		if (strcmp(contents, options[option].signature) != 0)
			return invalid(error, "option '%s' must be of type '%s', not '%s'", options[option].name,
				       options[option].signature, quote_text(quoted, sizeof(quoted), contents));
		r = sd_bus_message_enter_container(m, 'v', contents);
		if (r >= 0)
			r = read_option(m, (enum option)option, rd, error);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* Reads the options from the start of @m's body: into @rd->f when set. */
static int read_message(sd_bus_message *m, struct reading *rd, sd_bus_error *error)
{
	char names[64];
	int r;

	r = sd_bus_message_rewind(m, true);
	if (r >= 0)
		r = read_options(m, rd, error);
	if (r >= 0 && !rd->categories)
		/* "types" alone says which categories are wanted. */
		rd->categories = rd->type_categories;
	if (r >= 0 && !rd->categories)
		r = invalid(
			error,
			"no category given: option 'categories' lists some of process, privilege, io_uring");
	if (r >= 0 && rd->has_opcodes && !(rd->categories & CATEGORY_IO_URING))
		r = invalid(error, "option 'io_uring_opcodes' needs the category io_uring");
	if (r >= 0 && (rd->type_categories & ~rd->categories))
		r = invalid(
			error,
			"option 'types' names types of categories (%s) that option 'categories' leaves out",
			categories_to_string(rd->type_categories & ~rd->categories, names, sizeof(names)));
	if (r < 0) {
		/* Errors of the message itself (e.g. a truncated a{sv}) are
		 * the caller's mistakes too; memory is ours. */
		if (r == -ENOMEM)
			return r;
		if (!sd_bus_error_is_set(error))
			invalid(error, "cannot read the options: %s", strerror(-r));
		return -EINVAL;
	}
	if (rd->f) {
		rd->f->categories = rd->categories;
		rd->f->types = rd->types;
		rd->f->has_opcodes = rd->has_opcodes;
		rd->f->opcodes = rd->opcodes;
	}
	return 0;
}

int subscription_filter_check(sd_bus_message *m, const struct iouring_opcodes *opcode_names,
			      uint32_t *ret_categories, sd_bus_error *error)
{
	struct reading rd = {.opcode_names = opcode_names};
	int r = read_message(m, &rd, error);

	if (r < 0)
		return r;
	*ret_categories = rd.categories;
	return 0;
}

int subscription_filter_from_message(sd_bus_message *m, const struct iouring_opcodes *opcode_names,
				     struct subscription_filter *f, sd_bus_error *error)
{
	struct reading rd = {.f = f, .opcode_names = opcode_names};
	int r;

	*f = (struct subscription_filter){0};
	r = read_message(m, &rd, error);
	if (r < 0)
		subscription_filter_clear(f);
	return r;
}

void subscription_filter_clear(struct subscription_filter *f)
{
	for (size_t i = 0; i < f->n_prefixes; i++)
		free(f->prefixes[i]);
	free(f->prefixes);
	free(f->uids);
	*f = (struct subscription_filter){0};
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
	return true;
}
