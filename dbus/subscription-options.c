// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "api.h"
#include "quote.h"
#include "subscription-options.h"

/* Each string read is validated by sd-bus (UTF-8), in time linear in its
 * length: at most the message's size in all, never more than once per
 * byte; the reader refuses a list at its first value past its bound. */

static const char *const signatures[] = {
	[OPTION_KIND_STRINGS] = "as",
	[OPTION_KIND_UIDS] = "au",
	[OPTION_KIND_BOOLEAN] = "b",
	[OPTION_KIND_IDS] = "at",
	[OPTION_KIND_BOOLEAN_OR_STRINGS] = "b' or 'as",
};

static int read_strings(sd_bus_message *m, struct filter_reader *rd, enum subscription_option option)
{
	const char *value;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "s");
	while (r >= 0 && (r = sd_bus_message_at_end(m, false)) == 0) {
		r = sd_bus_message_read(m, "s", &value);
		if (r >= 0)
			r = filter_reader_string(rd, option, value);
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* "au" or "at" (@type 'u' or 't'): fixed-size arrays, whose size is known
 * without reading them; the reader refuses one at its first value past the
 * bound. */
static int read_integers(sd_bus_message *m, struct filter_reader *rd, enum subscription_option option,
			 char type)
{
	size_t width = type == 'u' ? sizeof(uint32_t) : sizeof(uint64_t);
	const void *values;
	size_t size;
	int r;

	r = sd_bus_message_read_array(m, type, &values, &size);
	for (size_t i = 0; r >= 0 && i < size / width; i++)
		r = filter_reader_integer(rd, option,
					  type == 'u' ? ((const uint32_t *)values)[i]
						      : ((const uint64_t *)values)[i]);
	return r;
}

static int read_boolean(sd_bus_message *m, struct filter_reader *rd, enum subscription_option option)
{
	int value, r;

	r = sd_bus_message_read(m, "b", &value);
	return r < 0 ? r : filter_reader_boolean(rd, option, value);
}

static int read_value(sd_bus_message *m, struct filter_reader *rd, enum subscription_option option,
		      const char *contents)
{
	switch (subscription_options[option].kind) {
	case OPTION_KIND_STRINGS:
		return read_strings(m, rd, option);
	case OPTION_KIND_UIDS:
		return read_integers(m, rd, option, 'u');
	case OPTION_KIND_IDS:
		return read_integers(m, rd, option, 't');
	case OPTION_KIND_BOOLEAN:
		return read_boolean(m, rd, option);
	case OPTION_KIND_BOOLEAN_OR_STRINGS:
		return strcmp(contents, "b") == 0 ? read_boolean(m, rd, option) : read_strings(m, rd, option);
	}
	return -EINVAL;
}

/* Whether a value of type @contents is one @option takes. */
static bool signature_fits(enum subscription_option option, const char *contents)
{
	enum option_kind kind = subscription_options[option].kind;

	if (kind == OPTION_KIND_BOOLEAN_OR_STRINGS)
		return strcmp(contents, "b") == 0 || strcmp(contents, "as") == 0;
	return strcmp(contents, signatures[kind]) == 0;
}

static int read_options(sd_bus_message *m, struct filter_reader *rd)
{
	char quoted[64];
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		enum subscription_option option;
		const char *key, *contents, *signature;

		r = sd_bus_message_read(m, "s", &key);
		if (r >= 0)
			r = filter_reader_option(rd, key, &option);
		if (r >= 0)
			r = sd_bus_message_peek_type(m, NULL, &contents);
		if (r < 0)
			return r;
		signature = signatures[subscription_options[option].kind];
		if (!signature_fits(option, contents))
			return filter_reader_fail(rd, key, "option '%s' must be of type '%s', not '%s'", key,
						  signature, quote_text(quoted, sizeof(quoted), contents));
		r = sd_bus_message_enter_container(m, 'v', contents);
		if (r >= 0)
			r = read_value(m, rd, option, contents);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int invalid(const struct filter_reader *rd, sd_bus_error *error)
{
	sd_bus_error_set(error, BOMBUS_ERROR_INVALID_ARGUMENT, rd->error);
	return -EINVAL;
}

static int read_message(sd_bus_message *m, struct filter_reader *rd, uint32_t *ret_categories,
			sd_bus_error *error)
{
	int r;

	r = sd_bus_message_rewind(m, true);
	if (r >= 0)
		r = read_options(m, rd);
	if (r >= 0)
		return filter_reader_finish(rd, ret_categories) < 0 ? invalid(rd, error) : 0;
	filter_reader_abandon(rd);
	/* Errors of the message itself (e.g. a truncated a{sv}) are the
	 * caller's mistakes too; memory is ours. */
	if (r == -ENOMEM)
		return r;
	if (r != -EINVAL || !rd->error[0])
		filter_reader_fail(rd, NULL, "cannot read the options: %s", strerror(-r));
	return invalid(rd, error);
}

int subscription_filter_check(sd_bus_message *m, const struct iouring_opcodes *opcode_names,
			      uint32_t *ret_categories, sd_bus_error *error)
{
	struct filter_reader rd;

	filter_reader_init(&rd, NULL, opcode_names);
	return read_message(m, &rd, ret_categories, error);
}

int subscription_filter_from_message(sd_bus_message *m, const struct iouring_opcodes *opcode_names,
				     struct subscription_filter *f, sd_bus_error *error)
{
	struct filter_reader rd;

	filter_reader_init(&rd, f, opcode_names);
	return read_message(m, &rd, NULL, error);
}
