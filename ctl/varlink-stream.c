// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exit-status.h"
#include "monitor-api.h"
#include "transport.h"
#include "varlink-client.h"
#include "varlink-stream.h"

#define SUBSCRIBE      BOMBUS_VARLINK_INTERFACE ".Subscribe"
#define RECONNECT_USEC (1000 * 1000)

struct varlink_stream {
	char *path;
	json_object *parameters;
	bool reconnect;
	const struct varlink_stream_ops *ops;
	void *userdata;

	sd_event *event;
	struct varlink_client *client; /* NULL while bombusd is away */
	sd_event_source *io;
	sd_event_source *retry_timer;
	sd_event_source *more; /* replies were left for the next iteration */
	bool subscribed;       /* the current connection's first reply came */
};

void varlink_stream_free(struct varlink_stream *s)
{
	if (!s)
		return;
	sd_event_source_disable_unref(s->io);
	sd_event_source_disable_unref(s->retry_timer);
	sd_event_source_disable_unref(s->more);
	sd_event_unref(s->event);
	varlink_client_free(s->client);
	json_object_put(s->parameters);
	free(s->path);
	free(s);
}

/* Hands on the events of a reply; "subscribed" and unknown members are
 * passed over. */
static void stream_reply(struct varlink_stream *s, const struct varlink_reply *reply)
{
	json_object *v;

	if (json_object_object_get_ex(reply->parameters, "event", &v))
		s->ops->event(s->userdata, json_object_get_string(json_object_object_get(v, "type")) ?: "",
			      /* The same text as bombusd wrote: its writer and
			       * json-c's plain one escape alike. */
			      json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
									JSON_C_TO_STRING_NOSLASHESCAPE));
	if (json_object_object_get_ex(reply->parameters, "events", &v) &&
	    json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);

			s->ops->event(s->userdata,
				      json_object_get_string(json_object_object_get(e, "type")) ?: "",
				      json_object_to_json_string_ext(
					      e, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		}
	if (json_object_object_get_ex(reply->parameters, "dropped", &v))
		s->ops->dropped(s->userdata, json_object_get_uint64(v));
	s->ops->flush(s->userdata);
}

static int on_retry(sd_event_source *source, uint64_t usec, void *userdata);

static void disconnect(struct varlink_stream *s)
{
	s->io = sd_event_source_disable_unref(s->io);
	varlink_client_free(TAKE_PTR(s->client));
	s->subscribed = false;
}

static void retry_later(struct varlink_stream *s)
{
	int r;

	disconnect(s);
	r = sd_event_add_time_relative(s->event, &s->retry_timer, CLOCK_MONOTONIC, RECONNECT_USEC, 0,
				       on_retry, s);
	if (r < 0) {
		fprintf(stderr, "bombusctl: cannot wait to connect again: %s\n", strerror(-r));
		sd_event_exit(s->event, EXIT_FAILED);
	}
}

/* The connection ended (@r < 0: read error, -ECONNRESET: bombusd hung up,
 * 0: its stream ended). */
static void went_away(struct varlink_stream *s, int r)
{
	const char *why = r == -ECONNRESET || r == 0 ? "it closed the connection" : strerror(-r);

	fflush(stdout);
	if (!s->subscribed) {
		/* Trying again, and bombusd not there yet: said already. */
		retry_later(s);
		return;
	}
	if (!s->reconnect) {
		fprintf(stderr, "bombusctl: bombusd went away (%s); exiting (--no-reconnect)\n", why);
		disconnect(s);
		sd_event_exit(s->event, EXIT_FAILED);
		return;
	}
	fprintf(stderr, "bombusctl: bombusd went away (%s); connecting to %s again every second\n", why,
		s->path);
	retry_later(s);
}

/* The first reply on a connection: subscribed, or an error. */
static int first_reply(struct varlink_stream *s, const struct varlink_reply *reply, bool again)
{
	if (reply->error) {
		if (!again || varlink_error_is_final(reply->error))
			return varlink_call_failed("Subscribe", reply, 0);
		fprintf(stderr, "bombusctl: cannot subscribe again yet (%s), trying again in 1 s\n",
			reply->error);
		return -EAGAIN;
	}
	s->subscribed = true;
	if (again)
		fprintf(stderr,
			"bombusctl: subscribed again to bombusd (%s); events from while it was away are "
			"missing: "
			"the stream has a gap here\n",
			s->path);
	stream_reply(s, reply);
	return EXIT_OK;
}

/* Handles one reply: 1 to go on, 0 when the connection is gone or the loop
 * is to end. */
static int handle_reply(struct varlink_stream *s, const struct varlink_reply *reply)
{
	int r;

	if (!s->subscribed) {
		r = first_reply(s, reply, true);
		if (r == -EAGAIN) {
			retry_later(s);
			return 0;
		}
		if (r != EXIT_OK) {
			sd_event_exit(s->event, r);
			return 0;
		}
	} else if (reply->error) {
		sd_event_exit(s->event, varlink_call_failed("Subscribe", reply, 0));
		return 0;
	} else
		stream_reply(s, reply);
	if (!reply->continues) {
		went_away(s, 0);
		return 0;
	}
	return 1;
}

/* Replies handled in one go: others (Ctrl-C) get their turn in a flood. */
#define REPLIES_PER_DISPATCH 64

/* Handles what has arrived; comes back (defer) when there was more. */
static int dispatch(struct varlink_stream *s)
{
	for (int n = 0; n < REPLIES_PER_DISPATCH; n++) {
		_cleanup_(varlink_reply_done) struct varlink_reply reply = {};
		int r = varlink_client_receive(s->client, false, &reply);

		if (r == 0)
			return 0;
		if (r < 0) {
			if (r == -EMSGSIZE || r == -EBADMSG)
				varlink_call_failed("Subscribe", NULL, r);
			went_away(s, r);
			return 0;
		}
		if (handle_reply(s, &reply) == 0)
			return 0;
	}
	return sd_event_source_set_enabled(s->more, SD_EVENT_ONESHOT);
}

static int on_io(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	return dispatch(userdata);
}

static int on_more(sd_event_source *source, void *userdata)
{
	struct varlink_stream *s = userdata;

	return s->client ? dispatch(s) : 0;
}

/* Connects and sends Subscribe. */
static int stream_connect(struct varlink_stream *s)
{
	int r = varlink_client_connect(s->path, &s->client);

	if (r >= 0)
		r = varlink_client_send(s->client, SUBSCRIBE, s->parameters, true);
	if (r < 0)
		varlink_client_free(TAKE_PTR(s->client));
	return r;
}

static int watch(struct varlink_stream *s)
{
	return sd_event_add_io(s->event, &s->io, varlink_client_fd(s->client), EPOLLIN, on_io, s);
}

static int on_retry(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct varlink_stream *s = userdata;

	s->retry_timer = sd_event_source_disable_unref(s->retry_timer);
	if (stream_connect(s) < 0 || watch(s) < 0)
		retry_later(s);
	return 0;
}

int varlink_stream_new(const char *path, json_object *parameters, bool reconnect,
		       const struct varlink_stream_ops *ops, void *userdata, struct varlink_stream **ret)
{
	_cleanup_(varlink_stream_freep) struct varlink_stream *s = calloc(1, sizeof(*s));
	_cleanup_(varlink_reply_done) struct varlink_reply reply = {};
	int r;

	if (!s || !(s->path = strdup(path)))
		return EXIT_FAILED;
	s->parameters = json_object_get(parameters);
	s->reconnect = reconnect;
	s->ops = ops;
	s->userdata = userdata;
	r = varlink_client_connect(path, &s->client);
	if (r < 0) {
		fprintf(stderr, "bombusctl: Subscribe: cannot connect to bombusd at %s: %s\n", path,
			strerror(-r));
		return EXIT_FAILED;
	}
	r = varlink_client_send(s->client, SUBSCRIBE, parameters, true);
	if (r >= 0)
		r = varlink_client_receive(s->client, true, &reply);
	if (r < 0)
		return varlink_call_failed("Subscribe", NULL, r);
	r = first_reply(s, &reply, false);
	if (r != EXIT_OK)
		return r;
	*ret = TAKE_PTR(s);
	return EXIT_OK;
}

int varlink_stream_attach(struct varlink_stream *s, sd_event *event)
{
	int r;

	s->event = sd_event_ref(event);
	r = sd_event_add_defer(event, &s->more, on_more, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->more, SD_EVENT_OFF);
	return r < 0 ? r : watch(s);
}
