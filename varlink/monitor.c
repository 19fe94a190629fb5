// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authorize.h"
#include "category.h"
#include "daemon.h"
#include "log.h"
#include "monitor.h"
#include "output/output.h"
#include "process/process-cache.h"
#include "server.h"
#include "status-json.h"
#include "status.h"
#include "subscribe/backlog.h"
#include "subscribe/batch.h"
#include "subscribe/filter.h"
#include "config.h"
#include "monitor-api.h"
#include "varlink-interfaces.h"

/* The largest reply: a batch of the largest events would be 256 MiB; a batch
 * is cut where it would exceed this, whatever its count. */
#define REPLY_MAX (4u << 20)

enum call_kind {
	REQUEST_SUBSCRIBE,
	REQUEST_STATUS,
	REQUEST_PROCESS,
};

/* A call waiting for polkit's answer. */
struct request {
	struct request *next;
	struct varlink_monitor *monitor;
	enum call_kind kind;
	struct varlink_call *call;
	struct json_object *parameters; /* Subscribe's, read again once allowed */
	uint32_t pid;			/* GetProcess */
	struct authorization *authorization;
};

/* One Subscribe call: a stream of events. */
struct stream {
	struct stream *next;
	struct monitor_output *output;
	struct varlink_call *call;
	uint64_t id;
	struct ucred peer;
	struct subscription_filter filter;
	struct backlog backlog;
	bool batch_due; /* a partial batch waited its 50 ms */
	uint64_t delivered;
	uint64_t send_failed; /* events a reply could not carry */
};

struct varlink_monitor {
	struct daemon *daemon;
	struct authorizer *authorizer;
	struct varlink_server *server;
	struct request *requests;
	/* The output (owned by the daemon) and its streams. */
	struct monitor_output *output;
};

/* The output outlives the monitor: the daemon frees it, after the monitor
 * ended every call. */
struct monitor_output {
	struct output output;
	struct daemon *daemon;
	struct varlink_monitor *monitor; /* NULL once it is gone */
	struct stream *streams;
	unsigned n_streams;
	uint64_t next_id;
	sd_event_source *batch_timer;
	struct json_writer reply; /* each streamed reply is built here */
};

static void stream_pump(struct stream *s);

/* -- errors ---------------------------------------------------------------- */

static int reply_error_message(struct varlink_call *call, const char *error, const char *key,
			       const char *value, const char *message)
{
	struct json_object *p = json_object_new_object();

	if (!p)
		return varlink_error_errno(call, ENOMEM);
	if (key)
		json_object_object_add(p, key, json_object_new_string(value));
	json_object_object_add(p, "message", json_object_new_string(message));
	return varlink_error(call, error, p);
}

static int reply_not_authorized(struct varlink_call *call, const char *action, const char *fmt, ...)
	_printf_(3, 4);
static int reply_not_authorized(struct varlink_call *call, const char *action, const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	return reply_error_message(call, BOMBUS_VARLINK_ERROR_NOT_AUTHORIZED, "action", action ?: "",
				   message);
}

/* A refusal by the filter reader: the right Varlink error for each kind. */
static int reply_invalid(struct varlink_call *call, const struct filter_reader *rd, const char *key)
{
	/* A parameter the interface does not have, or a value of the wrong
	 * JSON type: the protocol's error. Anything else: ours, in words. */
	if (!rd->bad_option || rd->error[0] == '\0')
		return varlink_error_invalid_parameter(call, rd->bad_option ?: key);
	return reply_error_message(call, BOMBUS_VARLINK_ERROR_INVALID_ARGUMENT, "parameter", rd->bad_option,
				   rd->error);
}

/* -- Subscribe's parameters ------------------------------------------------ */

/* Reads Subscribe's @parameters into @rd. -EINVAL: *@bad_key names a
 * parameter of the wrong JSON type or unknown (rd->error empty), or rd
 * says what is wrong. */
static int read_subscribe(struct json_object *parameters, struct filter_reader *rd, const char **bad_key)
{
	json_object_object_foreach(parameters, key, value)
	{
		enum subscription_option option;
		const struct option_info *info;
		bool boolean;
		int r;

		*bad_key = key;
		r = filter_reader_option(rd, key, &option);
		if (r < 0) {
			rd->error[0] = '\0'; /* unknown: the protocol's error */
			rd->bad_option = NULL;
			return r;
		}
		info = &subscription_options[option];
		/* containers: true, false or an array of strings */
		boolean =
			info->kind == OPTION_KIND_BOOLEAN || (info->kind == OPTION_KIND_BOOLEAN_OR_STRINGS &&
							      json_object_is_type(value, json_type_boolean));
		if (boolean) {
			if (!json_object_is_type(value, json_type_boolean))
				return -EINVAL;
			r = filter_reader_boolean(rd, option, json_object_get_boolean(value));
			if (r < 0)
				return r;
			continue;
		}
		if (!json_object_is_type(value, json_type_array))
			return -EINVAL;
		for (size_t i = 0, n = json_object_array_length(value); i < n; i++) {
			struct json_object *v = json_object_array_get_idx(value, i);

			if (info->kind == OPTION_KIND_STRINGS ||
			    info->kind == OPTION_KIND_BOOLEAN_OR_STRINGS) {
				if (!json_object_is_type(v, json_type_string))
					return -EINVAL;
				r = filter_reader_string(rd, option, json_object_get_string(v));
			} else {
				int64_t value_int;

				if (!json_object_is_type(v, json_type_int))
					return -EINVAL;
				value_int = json_object_get_int64(v);
				/* json-c keeps integers beyond INT64_MAX as uint64;
				 * a negative one is refused as out of range */
				r = filter_reader_integer(rd, option,
							  value_int < 0		   ? UINT64_MAX
							  : value_int == INT64_MAX ? json_object_get_uint64(v)
										   : (uint64_t)value_int);
			}
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Checks (@f NULL) or reads Subscribe's parameters; replies the error and
 * returns < 0 when they are refused. */
static int subscribe_parameters(struct varlink_monitor *m, struct varlink_call *call,
				struct json_object *parameters, struct subscription_filter *f,
				uint32_t *ret_categories)
{
	struct filter_reader rd;
	const char *bad_key = NULL;
	int r;

	filter_reader_init(&rd, f, m->daemon->iouring_opcode_names);
	r = read_subscribe(parameters, &rd, &bad_key);
	if (r >= 0)
		r = filter_reader_finish(&rd, ret_categories);
	else
		filter_reader_abandon(&rd);
	if (r == -ENOMEM)
		varlink_error_errno(call, ENOMEM);
	else if (r < 0) {
		/* A value of the wrong type leaves no reason in rd. */
		if (rd.error[0] == '\0')
			rd.bad_option = NULL;
		reply_invalid(call, &rd, bad_key);
	}
	return r;
}

/* -- streams --------------------------------------------------------------- */

static void stream_pop(struct stream *s)
{
	backlog_pop(&s->backlog);
	if (!s->backlog.events)
		s->batch_due = false;
}

/* Builds in the output's writer the reply for the head of the backlog: a
 * loss marker, one event, or a batch of events. Returns the entries it
 * holds, 0 when a batch is not due yet. */
static size_t build_head(struct stream *s)
{
	struct json_writer *w = &s->output->reply;
	const struct backlog_entry *e = s->backlog.head;
	bool gap_follows;
	size_t n, taken = 0;

	json_writer_reset(w);
	if (!e->event) {
		json_literal(w, "{\"dropped\":");
		json_uint(w, e->dropped);
		json_literal(w, "}");
		return 1;
	}
	if (!s->filter.batch) {
		json_literal(w, "{\"event\":");
		json_raw(w, e->event->json, e->event->len);
		json_literal(w, "}");
		return 1;
	}
	n = backlog_events_ready(&s->backlog, BATCH_MAX_EVENTS, &gap_follows);
	if (n < BATCH_MAX_EVENTS && !gap_follows && !s->batch_due)
		return 0;
	json_literal(w, "{\"events\":[");
	for (; taken < n; taken++, e = e->next) {
		if (taken > 0 && w->len + e->event->len + 3 > REPLY_MAX)
			break;
		if (taken > 0)
			json_literal(w, ",");
		json_raw(w, e->event->json, e->event->len);
	}
	json_literal(w, "]}");
	return taken;
}

/* Writes the backlog to the connection while the peer keeps up: at most
 * WindowSize bytes wait unread in bombusd; the drain callback goes on. */
static void stream_pump(struct stream *s)
{
	struct monitor_output *o = s->output;
	size_t window = o->daemon->config.subscriber_window_bytes;

	while (s->backlog.head && varlink_call_output_pending(s->call) < window) {
		bool marker = !s->backlog.head->event;
		size_t n = build_head(s);
		int r;

		if (n == 0)
			break;
		r = o->reply.failed ? -ENOMEM : varlink_reply_json(s->call, o->reply.buf, o->reply.len, true);
		if (r == -ENOBUFS || r == -ENOTCONN)
			break; /* the drain callback, or the disconnect one, comes */
		if (r < 0 && !marker) {
			s->send_failed += n;
			o->output.dropped += n;
		} else if (!marker)
			s->delivered += n;
		while (n-- > 0)
			stream_pop(s);
	}
}

static void on_drained(struct varlink_call *call, void *userdata)
{
	stream_pump(userdata);
}

static void output_update_wanted(struct monitor_output *o)
{
	struct opcode_set opcodes = { { 0 } };
	uint32_t categories = 0;
	bool by_context = true;

	for (struct stream *s = o->streams; s; s = s->next) {
		subscription_filter_add_wanted(&s->filter, &categories, &opcodes);
		by_context &= subscription_filter_by_context(&s->filter);
	}
	daemon_output_wants(o->daemon, &o->output, categories, &opcodes);
	daemon_output_watches(o->daemon, &o->output, by_context);
}

static void stream_free(struct stream *s)
{
	struct monitor_output *o = s->output;
	struct stream **p = &o->streams;

	while (*p != s)
		p = &(*p)->next;
	*p = s->next;
	o->n_streams--;
	o->daemon->n_subscriptions--;
	backlog_clear(&s->backlog);
	subscription_filter_clear(&s->filter);
	varlink_call_set_disconnect_callback(s->call, NULL, NULL);
	varlink_call_set_drain_callback(s->call, NULL, NULL);
	varlink_call_unref(s->call);
	free(s);
}

static void on_stream_disconnect(struct varlink_call *call, void *userdata)
{
	struct stream *s = userdata;
	struct monitor_output *o = s->output;

	log_debug("varlink subscriber %" PRIu64 " (pid %d) left", s->id, (int)s->peer.pid);
	stream_free(s);
	output_update_wanted(o);
}

/* [Subscriptions] Max counts every API's subscriptions; root's are not
 * refused by it (no other user can make root go without). */
static int check_subscription_limit(struct varlink_monitor *m, struct varlink_call *call, uid_t uid)
{
	char message[128];

	if (uid == 0 || m->daemon->n_subscriptions < m->daemon->config.max_subscriptions)
		return 0;
	snprintf(message, sizeof(message), "bombusd has its %u subscriptions",
		 m->daemon->config.max_subscriptions);
	reply_error_message(call, BOMBUS_VARLINK_ERROR_TOO_MANY_SUBSCRIPTIONS, NULL, NULL, message);
	return -EUSERS;
}

/* Once allowed: the parameters read again, now into a filter (they were
 * checked, allocating nothing, before polkit was asked). */
static void start_stream(struct varlink_monitor *m, struct varlink_call *call, struct json_object *parameters)
{
	struct monitor_output *o = m->output;
	struct subscription_filter filter;
	struct json_object *subscribed;
	struct ucred peer = { 0 };
	struct stream *s;
	int r;

	varlink_call_peer(call, &peer);
	if (check_subscription_limit(m, call, peer.uid) < 0 ||
	    subscribe_parameters(m, call, parameters, &filter, NULL) < 0)
		return;
	s = calloc(1, sizeof(*s));
	subscribed = json_object_new_object();
	if (!s || !subscribed ||
	    json_object_object_add(subscribed, "subscribed", json_object_new_boolean(true)) < 0) {
		json_object_put(subscribed);
		subscription_filter_clear(&filter);
		free(s);
		varlink_error_errno(call, ENOMEM);
		return;
	}
	r = varlink_reply(call, subscribed, true);
	if (r < 0) {
		subscription_filter_clear(&filter);
		free(s);
		if (r != -ENOTCONN)
			varlink_error_errno(call, r);
		return;
	}
	*s = (struct stream){
		.output = o,
		.call = varlink_call_ref(call),
		.id = ++o->next_id,
		.peer = peer,
		.filter = filter,
		.next = o->streams,
	};
	o->streams = s;
	o->n_streams++;
	m->daemon->n_subscriptions++;
	varlink_call_set_disconnect_callback(call, on_stream_disconnect, s);
	varlink_call_set_drain_callback(call, on_drained, s);
	output_update_wanted(o);
	log_debug("varlink subscriber %" PRIu64 ": pid %d uid %u", s->id, (int)peer.pid, peer.uid);
}

/* -- the output ------------------------------------------------------------- */

static int output_emit(struct output *base, const struct event *ev, struct rendered_event *rendered)
{
	struct monitor_output *o = (struct monitor_output *)base;
	uint32_t type_bit = event_type_bit(ev->type);
	uint64_t dropped = base->dropped;

	for (struct stream *s = o->streams; s; s = s->next)
		if (subscription_filter_match(&s->filter, ev, type_bit) &&
		    backlog_push(&s->backlog, rendered, o->daemon->config.subscriber_backlog_bytes) < 0)
			base->dropped++;
	return base->dropped == dropped ? 0 : -ENOBUFS;
}

static int on_batch_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct monitor_output *o = userdata;

	for (struct stream *s = o->streams; s; s = s->next)
		if (s->filter.batch && s->backlog.events) {
			s->batch_due = true;
			stream_pump(s);
		}
	return 0;
}

static void output_flush(struct output *base)
{
	struct monitor_output *o = (struct monitor_output *)base;
	bool partial = false;

	for (struct stream *s = o->streams; s; s = s->next) {
		stream_pump(s);
		partial |= s->filter.batch && s->backlog.events > 0;
	}
	if (partial)
		batch_timer_arm(o->daemon->event, &o->batch_timer, on_batch_timer, o);
}

static int output_status_subscriptions(struct output *base, struct status_sink *sink)
{
	struct monitor_output *o = (struct monitor_output *)base;
	int r = 0;

	for (const struct stream *s = o->streams; r >= 0 && s; s = s->next) {
		char client[64];

		snprintf(client, sizeof(client), "varlink:pid=%d,uid=%u", (int)s->peer.pid, s->peer.uid);
		r = sink->ops->begin_dict(sink, NULL, "a{sv}");
		if (r >= 0)
			r = sink->ops->string(sink, "client", client);
		if (r >= 0)
			r = subscription_status(sink, "varlink", &s->filter, s->delivered,
						s->backlog.dropped + s->send_failed, s->backlog.events);
		if (r >= 0)
			r = sink->ops->end_dict(sink);
	}
	return r;
}

static int output_status(struct output *base, struct status_sink *sink)
{
	struct monitor_output *o = (struct monitor_output *)base;
	struct varlink_server_stats stats = { 0 };
	const struct varlink_server_limits *limits = NULL;
	unsigned connections = 0;
	int r;

	if (o->monitor) {
		varlink_server_get_stats(o->monitor->server, &stats);
		limits = varlink_server_get_limits(o->monitor->server);
		connections = varlink_server_n_connections(o->monitor->server);
	}
	r = sink->ops->begin_dict(sink, "varlink", "a{sv}");
	if (r >= 0)
		r = sink->ops->u32(sink, "connections", connections);
	if (r >= 0 && limits)
		r = sink->ops->u64(sink, "max_message_bytes", limits->max_message_bytes);
	if (r >= 0 && limits)
		r = sink->ops->u32(sink, "max_connections", limits->max_connections);
	if (r >= 0 && limits)
		r = sink->ops->u32(sink, "max_connections_per_uid", limits->max_connections_per_uid);
	if (r >= 0)
		r = sink->ops->u64(sink, "connections_accepted", stats.connections_accepted);
	if (r >= 0)
		r = sink->ops->u64(sink, "refused_max_connections", stats.refused_max_connections);
	if (r >= 0)
		r = sink->ops->u64(sink, "refused_per_uid", stats.refused_per_uid);
	if (r >= 0)
		r = sink->ops->u64(sink, "messages_too_large", stats.messages_too_large);
	if (r >= 0)
		r = sink->ops->u64(sink, "malformed_messages", stats.messages_malformed);
	if (r >= 0)
		r = sink->ops->end_dict(sink);
	return r;
}

static void output_free(struct output *base)
{
	struct monitor_output *o = (struct monitor_output *)base;

	/* The monitor, freed first, ended every stream. */
	while (o->streams)
		stream_free(o->streams);
	if (o->monitor)
		o->monitor->output = NULL;
	sd_event_source_disable_unref(o->batch_timer);
	json_writer_free(&o->reply);
	free(o);
}

static bool output_watches_cgroup(struct output *base, const char *path, const char *container_id)
{
	struct monitor_output *o = (struct monitor_output *)base;

	for (struct stream *s = o->streams; s; s = s->next)
		if (subscription_filter_match_cgroup(&s->filter, path, container_id))
			return true;
	return false;
}

static const struct output_ops output_ops = {
	.name = "varlink",
	.emit = output_emit,
	.flush = output_flush,
	.status = output_status,
	.status_subscriptions = output_status_subscriptions,
	.watches_cgroup = output_watches_cgroup,
	.free = output_free,
};

/* -- calls waiting for polkit ------------------------------------------------ */

static void request_free(struct request *req)
{
	struct request **p = &req->monitor->requests;

	while (*p != req)
		p = &(*p)->next;
	*p = req->next;
	authorization_cancel(req->authorization);
	varlink_call_unref(req->call);
	json_object_put(req->parameters);
	free(req);
}

/* The caller hung up: polkit is told to stop asking (a dialog goes away). */
static void on_request_disconnect(struct varlink_call *call, void *userdata)
{
	request_free(userdata);
}

static void reply_status(struct varlink_monitor *m, struct varlink_call *call)
{
	struct json_writer *w = &m->output->reply;
	struct status_json_sink sink;
	int r;

	json_writer_reset(w);
	json_literal(w, "{\"status\":");
	status_json_sink_init(&sink, w);
	r = daemon_status(m->daemon, authorizer_pending(m->authorizer), &sink.sink);
	json_literal(w, "}");
	if (r < 0 || w->failed)
		varlink_error_errno(call, r < 0 ? r : ENOMEM);
	else
		varlink_reply_json(call, w->buf, w->len, false);
}

static void reply_process(struct varlink_monitor *m, struct varlink_call *call, uint32_t pid)
{
	_cleanup_(process_unrefp) struct process *p = process_cache_get_live(m->daemon->processes, pid);
	struct json_writer *w = &m->output->reply;
	struct json_object *params;

	if (!p) {
		params = json_object_new_object();
		if (params)
			json_object_object_add(params, "pid", json_object_new_int64(pid));
		varlink_error(call, BOMBUS_VARLINK_ERROR_NO_SUCH_PROCESS, params);
		return;
	}
	json_writer_reset(w);
	json_literal(w, "{\"process\":");
	json_raw(w, p->json, p->json_len);
	json_literal(w, "}");
	if (w->failed)
		varlink_error_errno(call, ENOMEM);
	else
		varlink_reply_json(call, w->buf, w->len, false);
}

static void answer(struct varlink_monitor *m, enum call_kind kind, struct varlink_call *call,
		   struct json_object *parameters, uint32_t pid)
{
	if (kind == REQUEST_SUBSCRIBE)
		start_stream(m, call, parameters);
	else if (kind == REQUEST_STATUS)
		reply_status(m, call);
	else
		reply_process(m, call, pid);
}

/* What the caller wanted that the denied action guards. */
static const char *purpose(enum call_kind kind, const char *action, char *buf, size_t size)
{
	if (kind == REQUEST_STATUS)
		return "read the status";
	if (kind == REQUEST_PROCESS)
		return "read what is known of a process";
	snprintf(buf, size, "subscribe");
	for (size_t i = 0; i < n_all_categories; i++)
		if (strcmp(all_categories[i].polkit_action, action) == 0)
			snprintf(buf, size, "subscribe to category '%s'", all_categories[i].name);
	return buf;
}

static void on_authorized(int allowed, int64_t uid, const char *denied_action, const char *reason,
			  void *userdata)
{
	struct request *req = userdata;
	struct varlink_call *call = req->call;
	char what[64];

	req->authorization = NULL; /* freed by our caller */
	/* The answer may hand the call on (a stream sets its own disconnect
	 * callback): the request lets go of it first. */
	varlink_call_set_disconnect_callback(call, NULL, NULL);
	if (allowed == -EDQUOT)
		reply_not_authorized(call, NULL, "uid %" PRIi64 " has %d calls waiting for polkit, try again",
				     uid, AUTHORIZE_MAX_PER_UID);
	else if (allowed == -EUSERS)
		reply_not_authorized(call, NULL,
				     "unprivileged callers have %d polkit checks waiting, try again",
				     AUTHORIZE_MAX_POLKIT_CALLS);
	else if (allowed == 0)
		reply_not_authorized(
			call, denied_action, "not authorized to %s: polkit action %s was denied (%s)",
			purpose(req->kind, denied_action, what, sizeof(what)), denied_action, reason);
	else if (allowed < 0)
		reply_not_authorized(call, NULL, "cannot check the authorization: %s", reason);
	else
		answer(req->monitor, req->kind, call, req->parameters, req->pid);
	request_free(req);
}

/* Answers at once for uid 0; asks polkit for anyone else, the call kept
 * until it answers or the caller hangs up. */
static int authorize_call(struct varlink_monitor *m, struct varlink_call *call, enum call_kind kind,
			  struct json_object *parameters, uint32_t pid, const char *const *actions,
			  size_t n_actions)
{
	struct polkit_subject subject = { .kind = POLKIT_SUBJECT_UNIX_PROCESS };
	struct ucred peer;
	struct request *req;
	int r;

	if (varlink_call_peer(call, &peer) < 0)
		return reply_not_authorized(call, NULL, "cannot tell who the peer is (no SO_PEERCRED)");
	if (peer.uid == 0) {
		answer(m, kind, call, parameters, pid);
		return 0;
	}
	if (varlink_call_peer_start_time(call, &subject.start_time) < 0)
		return reply_not_authorized(call, NULL, "the peer's process is gone");
	subject.pid = (uint32_t)peer.pid;
	subject.uid = peer.uid;
	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	*req = (struct request){
		.monitor = m,
		.kind = kind,
		.call = varlink_call_ref(call),
		.parameters = parameters ? json_object_get(parameters) : NULL,
		.pid = pid,
		.next = m->requests,
	};
	m->requests = req;
	/* Varlink has no way to allow interactive authentication. */
	r = authorize(m->authorizer, &subject, false, actions, n_actions, on_authorized, req,
		      &req->authorization);
	if (r < 0) {
		request_free(req);
		return r;
	}
	varlink_call_set_disconnect_callback(call, on_request_disconnect, req);
	return 0;
}

/* -- methods ----------------------------------------------------------------- */

static int method_subscribe(struct varlink_call *call, struct json_object *parameters, void *userdata)
{
	struct varlink_monitor *m = userdata;
	const char *actions[AUTHORIZE_MAX_ACTIONS];
	size_t n_actions = 0;
	struct ucred peer = { 0 };
	uint32_t categories;

	if (!varlink_call_more(call))
		return varlink_error_expected_more(call);
	/* Before anything else, and bounded by the options' bounds: the
	 * parameters are checked, and their categories say which polkit
	 * actions to ask for. */
	if (subscribe_parameters(m, call, parameters, NULL, &categories) < 0)
		return 0;
	varlink_call_peer(call, &peer);
	if (check_subscription_limit(m, call, peer.uid) < 0)
		return 0;
	for (size_t i = 0; i < n_all_categories && n_actions < AUTHORIZE_MAX_ACTIONS; i++)
		if (categories & all_categories[i].category)
			actions[n_actions++] = all_categories[i].polkit_action;
	return authorize_call(m, call, REQUEST_SUBSCRIBE, parameters, 0, actions, n_actions);
}

/* The name of a parameter of @parameters other than @allowed (NULL: none). */
static const char *unknown_parameter(struct json_object *parameters, const char *allowed)
{
	json_object_object_foreach(parameters, key, value)
	{
		(void)value;
		if (!allowed || strcmp(key, allowed) != 0)
			return key;
	}
	return NULL;
}

static int method_get_status(struct varlink_call *call, struct json_object *parameters, void *userdata)
{
	static const char *const actions[] = { POLKIT_ACTION_STATUS };
	const char *unknown = unknown_parameter(parameters, NULL);

	if (unknown)
		return varlink_error_invalid_parameter(call, unknown);
	return authorize_call(userdata, call, REQUEST_STATUS, NULL, 0, actions, ELEMENTSOF(actions));
}

static int method_get_process(struct varlink_call *call, struct json_object *parameters, void *userdata)
{
	const char *const actions[] = { category_from_bit(CATEGORY_PROCESS)->polkit_action };
	const char *unknown = unknown_parameter(parameters, "pid");
	struct json_object *pid;
	int64_t value;

	if (unknown)
		return varlink_error_invalid_parameter(call, unknown);
	if (!json_object_object_get_ex(parameters, "pid", &pid) || !json_object_is_type(pid, json_type_int))
		return varlink_error_invalid_parameter(call, "pid");
	value = json_object_get_int64(pid);
	if (value < 0 || value > UINT32_MAX)
		return varlink_error_invalid_parameter(call, "pid");
	return authorize_call(userdata, call, REQUEST_PROCESS, NULL, (uint32_t)value, actions,
			      ELEMENTSOF(actions));
}

static const struct varlink_method methods[] = {
	{ "Subscribe", method_subscribe },
	{ "GetStatus", method_get_status },
	{ "GetProcess", method_get_process },
};

static const struct varlink_interface interface = {
	.name = BOMBUS_VARLINK_INTERFACE,
	.description = io_bombus_monitor_varlink,
	.methods = methods,
	.n_methods = ELEMENTSOF(methods),
};

/* -- the monitor ---------------------------------------------------------------- */

int varlink_monitor_new(struct daemon *d, struct authorizer *authorizer, struct varlink_monitor **ret)
{
	_cleanup_(varlink_monitor_freep) struct varlink_monitor *m = calloc(1, sizeof(*m));
	struct monitor_output *o;
	int r;

	if (!m)
		return -ENOMEM;
	m->daemon = d;
	m->authorizer = authorizer;
	r = varlink_server_new(d->event, NULL, "bombus", "bombusd", BOMBUS_VERSION, BOMBUS_DOC_URL,
			       &m->server);
	if (r < 0)
		return r;
	r = varlink_server_add_interface(m->server, &interface, m);
	if (r < 0)
		return r;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->output.ops = &output_ops;
	o->daemon = d;
	o->monitor = m;
	/* A reply holds at most REPLY_MAX of events, and its own few bytes. */
	json_writer_init(&o->reply, REPLY_MAX + 64);
	r = daemon_add_output(d, &o->output);
	if (r < 0) {
		output_free(&o->output);
		return r;
	}
	m->output = o;
	*ret = TAKE_PTR(m);
	return 0;
}

void varlink_monitor_free(struct varlink_monitor *m)
{
	if (!m)
		return;
	/* Closing the connections ends every call: the disconnect callbacks
	 * free the streams and cancel the authorizations. */
	varlink_server_free(m->server);
	while (m->requests)
		request_free(m->requests);
	if (m->output)
		m->output->monitor = NULL;
	free(m);
}

int varlink_monitor_listen_fd(struct varlink_monitor *m, int fd)
{
	return varlink_server_listen_fd(m->server, fd);
}

int varlink_monitor_listen_path(struct varlink_monitor *m, const char *path)
{
	return varlink_server_listen_path(m->server, path, 0666);
}
