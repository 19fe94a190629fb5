/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * GetStatus, whichever API asks: daemon_status() walks what bombusd is doing
 * and hands every field to a sink, which builds its transport's reply
 * (dbus/status.c: the a{sv} of org.bombus.Monitor1; status-json.h: a JSON
 * object). The fields are listed in docs/dbus-api.md.
 *
 * Each container names the D-Bus type of its value ("a{sv}", "a{st}",
 * "aa{sv}", "a(sss)", "as", and "(sss)" for a tuple), which a D-Bus sink
 * needs and a JSON sink ignores. @key is the key of an entry of a
 * dictionary or the name of a member of a tuple (a JSON object's key; D-Bus
 * tuples have none), NULL for an element of an array and the outermost
 * dictionary. Every op returns < 0 on failure, and the walk stops there.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct daemon;
struct status_sink;

struct status_sink_ops {
	int (*begin_dict)(struct status_sink *s, const char *key, const char *signature);
	int (*end_dict)(struct status_sink *s);
	int (*begin_array)(struct status_sink *s, const char *key, const char *signature);
	int (*end_array)(struct status_sink *s);
	int (*begin_tuple)(struct status_sink *s, const char *key, const char *signature);
	int (*end_tuple)(struct status_sink *s);
	int (*string)(struct status_sink *s, const char *key, const char *value);
	/* D-Bus "o"; a string in JSON */
	int (*object_path)(struct status_sink *s, const char *key, const char *value);
	int (*u32)(struct status_sink *s, const char *key, uint32_t value);
	int (*u64)(struct status_sink *s, const char *key, uint64_t value);
	int (*boolean)(struct status_sink *s, const char *key, bool value);
};

/* Embedded first in each sink's own state. */
struct status_sink {
	const struct status_sink_ops *ops;
};

/* Containers nest this deep at most: the walk's own go to 4 (the status,
 * "monitors", a monitor, "hooks", a hook). */
#define STATUS_MAX_DEPTH 8

/* The whole status, one dictionary ("a{sv}"), into @s: the daemon's, then
 * "subscriptions" (every API's, as their outputs list them) and the entries
 * outputs add of their own. @authorizations_pending: calls waiting for
 * polkit. */
int daemon_status(struct daemon *d, unsigned authorizations_pending, struct status_sink *s);

/* Entry @key => "as": the names of the categories in category mask @mask,
 * or of the event types in type mask @mask. For subscriptions' entries. */
int status_categories(struct status_sink *s, const char *key, uint32_t mask);
int status_types(struct status_sink *s, const char *key, uint32_t mask);

struct subscription_filter;
/* The entries every API's subscription has in "subscriptions", after those
 * naming it: batch, delivered, dropped, backlog_events, categories, types
 * and @api ("dbus", "varlink"). */
int subscription_status(struct status_sink *s, const char *api, const struct subscription_filter *f,
			uint64_t delivered, uint64_t dropped, uint64_t backlog_events);
