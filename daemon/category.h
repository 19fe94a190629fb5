/* SPDX-License-Identifier: GPL-2.0-only */
/* Event categories and event type names as consumers name them: in D-Bus
 * subscriptions, the config file and bombusctl. Every category is known here,
 * including those whose events no monitor produces yet. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct category_info {
	enum event_category category;
	const char *name;	   /* "process", "privilege", "io_uring" */
	const char *polkit_action; /* who may subscribe to it */
	int journal_priority;	   /* syslog priority of its journal entries */
};

#define POLKIT_ACTION_STATUS "org.bombus.monitor.status"
#define POLKIT_ACTION_RELOAD "org.bombus.monitor.reload"

extern const struct category_info all_categories[];
extern const size_t n_all_categories;

const struct category_info *category_from_name(const char *name);
const struct category_info *category_from_bit(enum event_category category);

/* "process privilege" for a mask, in table order, into @buf. */
const char *categories_to_string(uint32_t mask, char *buf, size_t size);
/* A list of names separated by spaces or commas; -EINVAL names the first
 * unknown one in *@bad (pointing into @s, not terminated: *@bad_len bytes). */
int categories_from_string(const char *s, uint32_t *ret, const char **bad, size_t *bad_len);

/* Event types consumers may filter on, each with one bit of a type mask. */
struct event_type_info {
	const char *name;
	enum event_category category;
	const char *journal_message_id; /* MESSAGE_ID, described in systemd/bombus.catalog */
};

extern const struct event_type_info all_event_types[];
extern const size_t n_all_event_types;

/* The bit of the type named @name in a type mask; -ENOENT when unknown. */
int event_type_bit_from_name(const char *name, uint32_t *bit, enum event_category *category);
/* The entry of an event's type (looked up by its name), NULL if missing. */
const struct event_type_info *event_type_info(enum event_type type);
/* The bit of an event's type in a type mask. */
uint32_t event_type_bit(enum event_type type);

/* The names of the categories in category mask @mask (@types false), or of
 * the event types in type mask @mask, in table order, into @names; returns
 * how many. */
#define MASK_NAMES_MAX 32
size_t mask_names(uint32_t mask, bool types, const char *names[static MASK_NAMES_MAX]);
