// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "bus-append.h"
#include "category.h"
#include "daemon.h"
#include "log.h"
#include "output/output.h"
#include "subscribe/backlog.h"
#include "subscribe/batch.h"
#include "status.h"
#include "subscriptions.h"

struct client {
	struct client *next;
	struct subscriptions *hub;
	char *name;
	int64_t uid; /* -1 until known */
	unsigned n_subscriptions;
	unsigned n_held; /* requests being authorized */
	bool gone;
};

struct subscription {
	struct subscription *next;
	struct client *client;
	char path[64];
	struct subscription_filter filter;

	struct backlog backlog;
	bool batch_due; /* a partial batch waited its 50 ms */

	/* Flow control: bytes sent, and acknowledged by a Ping reply. */
	uint64_t sent_bytes, acked_bytes;
	sd_bus_slot *ping;
	uint64_t ping_mark; /* sent_bytes when the ping went out */

	uint64_t delivered;
	uint64_t send_failed; /* events lost because sd-bus could not send them */
};

struct subscriptions {
	struct output output;
	struct daemon *daemon;
	sd_bus *bus;
	struct subscription *list;
	unsigned n_subscriptions;
	struct client *clients;
	sd_bus_slot *owner_watch; /* NameOwnerChanged: clients that leave */
	client_gone_fn on_client_gone;
	void *on_client_gone_userdata;
	uint64_t next_id;
	sd_event_source *batch_timer;
	bool ping_refused_logged;
};

static void subscription_pump(struct subscription *s);

static size_t window_bytes(const struct subscription *s)
{
	return s->client->hub->daemon->config.subscriber_window_bytes;
}

static void queue_pop(struct subscription *s)
{
	backlog_pop(&s->backlog);
	if (!s->backlog.events)
		s->batch_due = false;
}

static void subscription_enqueue(struct subscription *s, struct rendered_event *rendered)
{
	if (backlog_push(&s->backlog, rendered, s->client->hub->daemon->config.subscriber_backlog_bytes) < 0)
		s->client->hub->output.dropped++;
}

static uint64_t subscription_dropped(const struct subscription *s)
{
	return s->backlog.dropped + s->send_failed;
}

static int signal_new(struct subscription *s, const char *member, sd_bus_message **ret)
{
	sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_signal(s->client->hub->bus, &m, BOMBUS_OBJECT_PATH, BOMBUS_INTERFACE, member);
	if (r >= 0)
		r = sd_bus_message_set_destination(m, s->client->name);
	if (r >= 0)
		r = sd_bus_message_append(m, "o", s->path);
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	*ret = m;
	return 0;
}

/* Sends @m and counts its size as in flight; a failure counts @n_events as
 * lost. */
static void signal_send(struct subscription *s, sd_bus_message *m, size_t bytes, size_t n_events)
{
	int r = sd_bus_send(s->client->hub->bus, m, NULL);

	sd_bus_message_unref(m);
	if (r < 0) {
		log_debug_errno(r, "cannot send to %s: %m", s->client->name);
		s->send_failed += n_events;
		s->client->hub->output.dropped += n_events;
		return;
	}
	s->sent_bytes += bytes;
	s->delivered += n_events;
}

static void send_dropped(struct subscription *s, uint64_t count)
{
	sd_bus_message *m;

	if (signal_new(s, "Dropped", &m) < 0 || sd_bus_message_append(m, "t", count) < 0) {
		sd_bus_message_unref(m);
		return;
	}
	signal_send(s, m, 64, 0);
}

static void send_event(struct subscription *s, const struct backlog_entry *q)
{
	sd_bus_message *m = NULL;
	int r;

	r = signal_new(s, "Event", &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", event_type_to_string(q->event->type), q->event->json);
	if (r < 0) {
		sd_bus_message_unref(m);
		s->send_failed++;
		s->client->hub->output.dropped++;
		return;
	}
	signal_send(s, m, q->size, 1);
}

/* One Events() signal with the first @n queued events. */
static void send_batch(struct subscription *s, size_t n)
{
	sd_bus_message *m = NULL;
	size_t bytes = 0;
	int r;

	r = signal_new(s, "Events", &m);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(ss)");
	const struct backlog_entry *q = s->backlog.head;
	for (size_t i = 0; r >= 0 && i < n; i++, q = q->next) {
		r = sd_bus_message_append(m, "(ss)", event_type_to_string(q->event->type), q->event->json);
		bytes += q->size;
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0) {
		sd_bus_message_unref(m);
		s->send_failed += n;
		s->client->hub->output.dropped += n;
		return;
	}
	signal_send(s, m, bytes, n);
}

static int on_ping_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct subscription *s = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);

	s->ping = sd_bus_slot_unref(s->ping);
	if (e && sd_bus_error_has_names(e, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_TIMEOUT)) {
		/* Still not reading: ask again, the backlog meanwhile fills. */
		subscription_pump(s);
		return 0;
	}
	if (e && sd_bus_error_has_names(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_SERVICE_UNKNOWN,
					SD_BUS_ERROR_DISCONNECTED))
		return 0; /* it left; its NameOwnerChanged removes it */
	if (e && sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED) &&
	    !s->client->hub->ping_refused_logged) {
		log_warning(
			"the bus refuses bombusd's pings (%s): is dbus/org.bombus.Monitor1.conf installed? "
			"Subscribers are sent events without flow control",
			e->message ?: e->name);
		s->client->hub->ping_refused_logged = true;
	}
	/* Any other answer, an error included, was sent after the client
	 * read what came before the ping. */
	s->acked_bytes = s->ping_mark;
	subscription_pump(s);
	return 0;
}

static void maybe_ping(struct subscription *s)
{
	int r;

	if (s->ping || s->sent_bytes - s->acked_bytes < window_bytes(s) / 4)
		return;
	s->ping_mark = s->sent_bytes;
	r = sd_bus_call_method_async(s->client->hub->bus, &s->ping, s->client->name, "/",
				     "org.freedesktop.DBus.Peer", "Ping", on_ping_reply, s, "");
	if (r < 0)
		log_debug_errno(r, "cannot ping %s: %m", s->client->name);
}

static bool window_open(const struct subscription *s)
{
	/* An empty window takes one message of any size. */
	return s->sent_bytes == s->acked_bytes || s->sent_bytes - s->acked_bytes < window_bytes(s);
}

static void subscription_pump(struct subscription *s)
{
	while (s->backlog.head && window_open(s)) {
		bool gap_follows;
		size_t n;

		if (!s->backlog.head->event) {
			send_dropped(s, s->backlog.head->dropped);
			queue_pop(s);
			continue;
		}
		if (!s->filter.batch) {
			send_event(s, s->backlog.head);
			queue_pop(s);
			continue;
		}
		n = backlog_events_ready(&s->backlog, BATCH_MAX_EVENTS, &gap_follows);
		if (n < BATCH_MAX_EVENTS && !gap_follows && !s->batch_due)
			break;
		send_batch(s, n);
		while (n-- > 0)
			queue_pop(s);
	}
	maybe_ping(s);
}

static int on_batch_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct subscriptions *h = userdata;

	for (struct subscription *s = h->list; s; s = s->next)
		if (s->filter.batch && s->backlog.events) {
			s->batch_due = true;
			subscription_pump(s);
		}
	return 0;
}

static int hub_emit(struct output *base, const struct event *ev, struct rendered_event *rendered)
{
	struct subscriptions *h = (struct subscriptions *)base;
	uint32_t type_bit = event_type_bit(ev->type);
	uint64_t dropped = base->dropped;

	for (struct subscription *s = h->list; s; s = s->next)
		if (subscription_filter_match(&s->filter, ev, type_bit))
			subscription_enqueue(s, rendered);
	return base->dropped == dropped ? 0 : -ENOBUFS;
}

static void hub_flush(struct output *base)
{
	struct subscriptions *h = (struct subscriptions *)base;
	bool partial = false;

	for (struct subscription *s = h->list; s; s = s->next) {
		subscription_pump(s);
		partial |= s->filter.batch && s->backlog.events > 0;
	}
	if (partial)
		batch_timer_arm(h->daemon->event, &h->batch_timer, on_batch_timer, h);
}

static void subscription_free(struct subscription *s)
{
	backlog_clear(&s->backlog);
	sd_bus_slot_unref(s->ping);
	subscription_filter_clear(&s->filter);
	free(s);
}

/* What the subscriptions want in all. */
static void hub_update_categories(struct subscriptions *h)
{
	struct opcode_set opcodes = { { 0 } };
	uint32_t categories = 0;
	bool by_context = true;

	for (struct subscription *s = h->list; s; s = s->next) {
		subscription_filter_add_wanted(&s->filter, &categories, &opcodes);
		by_context &= subscription_filter_by_context(&s->filter);
	}
	daemon_output_wants(h->daemon, &h->output, categories, &opcodes);
	daemon_output_watches(h->daemon, &h->output, by_context);
}

static bool hub_watches_cgroup(struct output *base, const char *path, const char *container_id)
{
	struct subscriptions *h = (struct subscriptions *)base;

	for (struct subscription *s = h->list; s; s = s->next)
		if (subscription_filter_match_cgroup(&s->filter, path, container_id))
			return true;
	return false;
}

static void client_free(struct client *c)
{
	struct client **p = &c->hub->clients;

	while (*p != c)
		p = &(*p)->next;
	*p = c->next;
	free(c->name);
	free(c);
}

static void client_free_if_unused(struct client *c)
{
	if (c->n_subscriptions == 0 && c->n_held == 0)
		client_free(c);
}

static void subscription_unlink(struct subscriptions *h, struct subscription *s)
{
	struct subscription **p = &h->list;

	while (*p != s)
		p = &(*p)->next;
	*p = s->next;
	h->n_subscriptions--;
	h->daemon->n_subscriptions--;
	s->client->n_subscriptions--;
	subscription_free(s);
}

/* Removes every subscription of @c and cancels its requests; @c stays
 * while it is held. */
static void client_leave(struct client *c)
{
	struct subscriptions *h = c->hub;

	c->gone = true;
	for (struct subscription *s = h->list, *next; s; s = next) {
		next = s->next;
		if (s->client == c)
			subscription_unlink(h, s);
	}
	hub_update_categories(h);
	/* Held meanwhile: its requests release it as they go. */
	c->n_held++;
	if (h->on_client_gone)
		h->on_client_gone(c, h->on_client_gone_userdata);
	c->n_held--;
	client_free_if_unused(c);
}

/* Every connection that leaves the bus, one match for all: a match per
 * client would let callers fill bombusd's match rules on the bus (512 by
 * default), and then nobody could be watched. Installed before the name
 * is owned, so before any client can call: the bus keeps the order of
 * messages, so a client's departure always comes after its calls. */
static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct subscriptions *h = userdata;
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || *new_owner || name[0] != ':')
		return 0;
	for (struct client *c = h->clients; c; c = c->next)
		if (!c->gone && strcmp(c->name, name) == 0) {
			log_debug("client %s left the bus", c->name);
			client_leave(c);
			break;
		}
	return 0;
}

int subscriptions_hold_client(struct subscriptions *h, const char *name, struct client **ret)
{
	struct client *c;

	for (c = h->clients; c; c = c->next)
		if (!c->gone && strcmp(c->name, name) == 0)
			break;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c || !(c->name = strdup(name))) {
			free(c);
			return -ENOMEM;
		}
		c->hub = h;
		c->uid = -1;
		c->next = h->clients;
		h->clients = c;
	}
	c->n_held++;
	*ret = c;
	return 0;
}

void client_release(struct client *c)
{
	c->n_held--;
	client_free_if_unused(c);
}

bool client_gone(const struct client *c)
{
	return c->gone;
}

unsigned client_held(const struct client *c)
{
	return c->n_held;
}

int64_t client_uid(const struct client *c)
{
	return c->uid;
}

void client_set_uid(struct client *c, int64_t uid)
{
	c->uid = uid;
}

void subscriptions_on_client_gone(struct subscriptions *h, client_gone_fn fn, void *userdata)
{
	h->on_client_gone = fn;
	h->on_client_gone_userdata = userdata;
}

int subscriptions_check_limits(struct subscriptions *h, const struct client *c)
{
	const struct config *config = &h->daemon->config;

	/* Only subscriptions count, never requests waiting for polkit (an
	 * attacker's would refuse everyone). Root's own are refused only by
	 * its connection's limit: no other user can make root go without. A
	 * caller whose uid is not known yet is checked again once it is. */
	if (c->uid > 0 && h->daemon->n_subscriptions >= config->max_subscriptions)
		return -EUSERS;
	if (c->n_subscriptions >= config->max_subscriptions_per_client)
		return -EDQUOT;
	return 0;
}

int subscriptions_add(struct subscriptions *h, struct client *c, struct subscription_filter *filter,
		      char path[static 64])
{
	struct subscription *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->client = c;
	s->filter = *filter;
	*filter = (struct subscription_filter){ 0 };
	snprintf(s->path, sizeof(s->path), BOMBUS_OBJECT_PATH "/subscription/%" PRIu64, ++h->next_id);
	s->next = h->list;
	h->list = s;
	h->n_subscriptions++;
	h->daemon->n_subscriptions++;
	c->n_subscriptions++;
	hub_update_categories(h);
	memcpy(path, s->path, sizeof(s->path));
	return 0;
}

int subscriptions_remove(struct subscriptions *h, const char *name, const char *path)
{
	for (struct subscription *s = h->list; s; s = s->next)
		if (strcmp(s->path, path) == 0 && strcmp(s->client->name, name) == 0) {
			struct client *c = s->client;

			subscription_unlink(h, s);
			hub_update_categories(h);
			client_free_if_unused(c);
			return 0;
		}
	return -ENOENT;
}

static int hub_status_subscriptions(struct output *base, struct status_sink *sink)
{
	struct subscriptions *h = (struct subscriptions *)base;
	int r = 0;

	for (const struct subscription *s = h->list; r >= 0 && s; s = s->next) {
		r = sink->ops->begin_dict(sink, NULL, "a{sv}");
		if (r >= 0)
			r = sink->ops->object_path(sink, "path", s->path);
		if (r >= 0)
			r = sink->ops->string(sink, "client", s->client->name);
		if (r >= 0)
			r = subscription_status(sink, "dbus", &s->filter, s->delivered,
						subscription_dropped(s), s->backlog.events);
		if (r >= 0)
			r = sink->ops->end_dict(sink);
	}
	return r;
}

static void hub_free(struct output *base)
{
	struct subscriptions *h = (struct subscriptions *)base;

	while (h->list) {
		struct subscription *s = h->list;

		h->list = s->next;
		subscription_free(s);
	}
	while (h->clients) {
		struct client *c = h->clients;

		h->clients = c->next;
		free(c->name);
		free(c);
	}
	sd_bus_slot_unref(h->owner_watch);
	sd_event_source_disable_unref(h->batch_timer);
	sd_bus_unref(h->bus);
	free(h);
}

static const struct output_ops hub_ops = {
	.name = "dbus",
	.emit = hub_emit,
	.flush = hub_flush,
	.free = hub_free,
	.status_subscriptions = hub_status_subscriptions,
	.watches_cgroup = hub_watches_cgroup,
};

int subscriptions_new(struct daemon *d, sd_bus *bus, struct subscriptions **ret)
{
	struct subscriptions *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;

	h->output.ops = &hub_ops;
	h->daemon = d;
	h->bus = sd_bus_ref(bus);
	/* In place before any call comes: the bus handles a connection's
	 * messages in order, and the name is asked for after it. Should the
	 * bus refuse it, sd-bus closes the connection (no add callback), which
	 * stops bombusd: without it no departure would be seen. Not
	 * synchronous: the bus is read only in the loop (bus-input-relay.h). */
	r = sd_bus_match_signal_async(bus, &h->owner_watch, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				      "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed, NULL,
				      h);
	if (r < 0) {
		hub_free(&h->output);
		return r;
	}
	*ret = h;
	return 0;
}

struct output *subscriptions_output(struct subscriptions *h)
{
	return &h->output;
}
