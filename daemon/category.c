// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "category.h"
#include "macro.h"

const struct category_info all_categories[] = {
	{CATEGORY_PROCESS, "process", "org.bombus.monitor.subscribe-process", LOG_INFO},
	{CATEGORY_PRIVILEGE, "privilege", "org.bombus.monitor.subscribe-privilege", LOG_NOTICE},
	{CATEGORY_IO_URING, "io_uring", "org.bombus.monitor.subscribe-io-uring", LOG_INFO},
};
const size_t n_all_categories = ELEMENTSOF(all_categories);

/* The top-level "type" of every documented event. */
const struct event_type_info all_event_types[] = {
	{"ProcessExec", CATEGORY_PROCESS, "e47a57a854bb40ada54219ce4a58597a"},
	{"ProcessClone", CATEGORY_PROCESS, "24af72871cfd4032bd40ebc607789126"},
	{"ProcessExit", CATEGORY_PROCESS, "0c451576600842969896f3bc02c0c8e1"},
	{"ProcessEvent", CATEGORY_PRIVILEGE, "00408454c5e140ec8990d4ce42cc7a55"},
	{"IOUringEvent", CATEGORY_IO_URING, "ff868f25d1d04d2b8722ed66b49a55fb"},
};
const size_t n_all_event_types = ELEMENTSOF(all_event_types);

const struct category_info *category_from_name(const char *name)
{
	for (size_t i = 0; i < n_all_categories; i++)
		if (strcmp(all_categories[i].name, name) == 0)
			return &all_categories[i];
	return NULL;
}

const struct category_info *category_from_bit(enum event_category category)
{
	for (size_t i = 0; i < n_all_categories; i++)
		if (all_categories[i].category == category)
			return &all_categories[i];
	return NULL;
}

const char *categories_to_string(uint32_t mask, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n_all_categories && len < size; i++)
		if (mask & all_categories[i].category)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "",
						all_categories[i].name);
	return buf;
}

size_t mask_names(uint32_t mask, bool types, const char *names[static MASK_NAMES_MAX])
{
	size_t n = 0;

	for (size_t i = 0; i < (types ? n_all_event_types : n_all_categories); i++)
		if (types ? (mask & (1u << i)) != 0 : (mask & all_categories[i].category) != 0)
			names[n++] = types ? all_event_types[i].name : all_categories[i].name;
	return n;
}

int categories_from_string(const char *s, uint32_t *ret, const char **bad, size_t *bad_len)
{
	static const char separators[] = " \t,";
	uint32_t mask = 0;

	for (s += strspn(s, separators); *s; s += strspn(s, separators)) {
		size_t len = strcspn(s, separators);
		bool found = false;

		for (size_t i = 0; i < n_all_categories; i++)
			if (strlen(all_categories[i].name) == len &&
			    strncmp(all_categories[i].name, s, len) == 0) {
				mask |= all_categories[i].category;
				found = true;
			}
		if (!found) {
			*bad = s;
			*bad_len = len;
			return -EINVAL;
		}
		s += len;
	}
	*ret = mask;
	return 0;
}

int event_type_bit_from_name(const char *name, uint32_t *bit, enum event_category *category)
{
	for (size_t i = 0; i < n_all_event_types; i++)
		if (strcmp(all_event_types[i].name, name) == 0) {
			*bit = 1u << i;
			if (category)
				*category = all_event_types[i].category;
			return 0;
		}
	return -ENOENT;
}

const struct event_type_info *event_type_info(enum event_type type)
{
	const char *name = event_type_to_string(type);

	for (size_t i = 0; i < n_all_event_types; i++)
		if (strcmp(all_event_types[i].name, name) == 0)
			return &all_event_types[i];
	return NULL;
}

uint32_t event_type_bit(enum event_type type)
{
	const struct event_type_info *info = event_type_info(type);

	return info ? 1u << (info - all_event_types) : 0;
}
