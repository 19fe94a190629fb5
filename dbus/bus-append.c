// SPDX-License-Identifier: GPL-2.0-only
#include "bus-append.h"
#include "category.h"

int bus_open_entry(sd_bus_message *m, const char *key, const char *signature)
{
	int r = sd_bus_message_open_container(m, 'e', "sv");

	if (r >= 0)
		r = sd_bus_message_append(m, "s", key);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', signature);
	return r;
}

int bus_close_entry(sd_bus_message *m)
{
	int r = sd_bus_message_close_container(m);

	return r < 0 ? r : sd_bus_message_close_container(m);
}

/* The names of categories (or event types) whose bit is in @mask. */
static int append_names(sd_bus_message *m, const char *key, uint32_t mask, bool types)
{
	const char *names[MASK_NAMES_MAX];
	size_t n = mask_names(mask, types, names);
	int r = bus_open_entry(m, key, "as");

	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "s");
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = sd_bus_message_append(m, "s", names[i]);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r < 0 ? r : bus_close_entry(m);
}

int bus_append_categories(sd_bus_message *m, const char *key, uint32_t mask)
{
	return append_names(m, key, mask, false);
}

int bus_append_types(sd_bus_message *m, const char *key, uint32_t mask)
{
	return append_names(m, key, mask, true);
}
