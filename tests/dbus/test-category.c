// SPDX-License-Identifier: GPL-2.0-only
/* The names consumers use for categories and event types. */
#include <stdlib.h>

#include "category.h"
#include "../unit/unit.h"

static void test_every_event_type_is_named(void)
{
	/* A type the daemon emits must be known to subscriptions (type
	 * filters, journal MESSAGE_ID), in the category it is emitted in. */
	for (enum event_type t = 0; t < _EVENT_TYPE_MAX; t++) {
		const struct event_type_info *info = event_type_info(t);

		CHECK(info != NULL);
		if (!info)
			continue;
		CHECK_INT(info->category, event_type_category(t));
		CHECK_INT(strlen(info->journal_message_id), 32);
		CHECK(event_type_bit(t) != 0);
	}
	for (size_t i = 0; i < n_all_event_types; i++) {
		CHECK(category_from_bit(all_event_types[i].category) != NULL);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(all_event_types[i].journal_message_id,
				     all_event_types[j].journal_message_id) != 0);
	}
}

static void test_categories(void)
{
	const char *bad = NULL;
	size_t bad_len = 0;
	uint32_t mask = 0;
	char names[64];

	CHECK_INT(categories_from_string(" process,io_uring  privilege ", &mask, &bad, &bad_len), 0);
	CHECK_INT(mask, CATEGORY_ALL);
	CHECK_STR(categories_to_string(mask, names, sizeof(names)), "process privilege io_uring");
	CHECK_INT(categories_from_string("", &mask, &bad, &bad_len), 0);
	CHECK_INT(mask, 0);
	CHECK_STR(categories_to_string(0, names, sizeof(names)), "");
	CHECK(categories_from_string("process, io-uring", &mask, &bad, &bad_len) < 0);
	CHECK_INT(bad_len, 8);
	CHECK(strncmp(bad, "io-uring", bad_len) == 0);
	CHECK_STR(category_from_name("privilege")->polkit_action, "org.bombus.monitor.subscribe-privilege");
	CHECK_STR(category_from_name("io_uring")->polkit_action, "org.bombus.monitor.subscribe-io-uring");
	CHECK(category_from_name("Process") == NULL);
}

int main(void)
{
	test_every_event_type_is_named();
	test_categories();
	return unit_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
