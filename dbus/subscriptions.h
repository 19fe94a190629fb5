/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Subscriptions: the D-Bus output of the daemon. It is one struct output to
 * the daemon (wanting the union of the subscriptions' categories) and fans
 * each event out to the subscriptions whose filter matches.
 *
 * Each subscription has a bounded backlog of events and sends them as
 * signals addressed to its client only. A client must keep up: at most
 * WindowSize bytes are sent before the client acknowledges them, which it
 * does without knowing: bombusd calls org.freedesktop.DBus.Peer.Ping on it
 * (every D-Bus library answers that by itself) and, as the bus keeps the
 * order of messages, the reply means every signal sent before was read.
 * A client that does not read fills its backlog and then loses events,
 * counted per subscription and told to it with Dropped() when it reads
 * again; nothing it does slows down the ring buffer or other clients.
 *
 * A subscription lives as long as its client's connection to the bus.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "subscribe/filter.h"

struct daemon;
struct output;
struct subscriptions;
struct client;

int subscriptions_new(struct daemon *d, sd_bus *bus, struct subscriptions **ret);
struct output *subscriptions_output(struct subscriptions *h);

/* The client with unique bus name @name: watched (one match on all
 * NameOwnerChanged signals) so that its subscriptions go, and its requests
 * are cancelled, when it leaves the bus. Held (client_release() to let go)
 * while one of its requests is being authorized. */
int subscriptions_hold_client(struct subscriptions *h, const char *name, struct client **ret);
void client_release(struct client *c);
/* It left the bus. */
bool client_gone(const struct client *c);
/* Its requests being authorized (and holds of the hub's own). */
unsigned client_held(const struct client *c);
/* Its uid, once the bus said (a unique name's uid never changes), or -1. */
int64_t client_uid(const struct client *c);
void client_set_uid(struct client *c, int64_t uid);

/* Called when @c leaves the bus, its subscriptions removed, to cancel its
 * requests (releasing @c is fine: it is freed after). */
typedef void (*client_gone_fn)(struct client *c, void *userdata);
void subscriptions_on_client_gone(struct subscriptions *h, client_gone_fn fn, void *userdata);

/* -EUSERS when a new subscription of @c would exceed the total limit (not
 * for uid 0, nor while its uid is unknown), -EDQUOT for the per-client one. Only subscriptions count:
 * requests waiting for their authorization do not. */
int subscriptions_check_limits(struct subscriptions *h, const struct client *c);

/* Adds a subscription with @filter (taken over, cleared) for @c; its path is
 * written to @path. */
int subscriptions_add(struct subscriptions *h, struct client *c, struct subscription_filter *filter,
		      char path[static 64]);
/* -ENOENT unless @path is a subscription of the client called @name. */
int subscriptions_remove(struct subscriptions *h, const char *name, const char *path);


