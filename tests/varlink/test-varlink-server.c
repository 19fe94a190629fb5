// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server.h"
#include "service-interface.h"
#include "unit.h"

#define TEST_INTERFACE "org.example.test"

/* What the test methods saw and kept. */
static struct {
	struct varlink_call *held; /* by Hold */
	unsigned notes;		   /* Note calls */
	unsigned echoes;	   /* Echo calls */
	unsigned disconnects;	   /* disconnect callbacks */
	unsigned drains;	   /* drain callbacks */
	int misuse;		   /* what a continuing reply to a plain call returned */
	struct ucred peer;
	uint64_t peer_start_time;
} seen;

static void on_disconnect(struct varlink_call *call, void *userdata)
{
	CHECK(call == seen.held);
	CHECK(!varlink_call_connected(call));
	seen.disconnects++;
}

static void on_drain(struct varlink_call *call, void *userdata)
{
	seen.drains++;
}

/* Replies its parameters. */
static int method_echo(struct varlink_call *call, struct json_object *parameters, void *userdata)
{
	seen.echoes++;
	return varlink_reply(call, json_object_get(parameters), false);
}

/* Keeps the call for the test to answer. */
static int method_hold(struct varlink_call *call, struct json_object *parameters, void *userdata)
{
	CHECK(!seen.held);
	seen.held = varlink_call_ref(call);
	varlink_call_set_disconnect_callback(call, on_disconnect, NULL);
	varlink_call_set_drain_callback(call, on_drain, NULL);
	return 0;
}

/* Streams {"n":0} and {"n":1}, then is held. */
static int method_stream(struct varlink_call *call, struct json_object *parameters, void *userdata)
{
	if (!varlink_call_more(call))
		return varlink_error_expected_more(call);
	CHECK_INT(varlink_reply_json(call, "{\"n\":0}", 7, true), 0);
	CHECK_INT(varlink_reply_json(call, "{\"n\":1}", 7, true), 0);
	return method_hold(call, parameters, userdata);
}

static int method_note(struct varlink_call *call, struct json_object *parameters, void *userdata)
{
	seen.notes++;
	CHECK(varlink_call_oneway(call));
	/* dropped */
	CHECK_INT(varlink_reply(call, NULL, false), 0);
	return 0;
}

/* Fails with the errno it is given. */
static int method_fail(struct varlink_call *call, struct json_object *parameters, void *userdata)
{
	struct json_object *e;

	json_object_object_get_ex(parameters, "errno", &e);
	return -json_object_get_int(e);
}

static int method_misuse(struct varlink_call *call, struct json_object *parameters, void *userdata)
{
	seen.misuse = varlink_reply(call, NULL, true);
	CHECK_INT(varlink_reply_json(call, "[]", 2, false), -EINVAL);
	CHECK_INT(varlink_reply_json(call, "{\"a\":\"\0\"}", 9, false), -EINVAL);
	CHECK_INT(varlink_error(call, "NotQualified", NULL), -EINVAL);
	CHECK_INT(varlink_reply(call, json_object_new_array(), false), -EINVAL);
	CHECK_INT(varlink_reply_json(call, "{}", 2, false), 0);
	CHECK_INT(varlink_reply(call, NULL, false), -EALREADY);
	return 0;
}

static int method_who(struct varlink_call *call, struct json_object *parameters, void *userdata)
{
	CHECK_INT(varlink_call_peer(call, &seen.peer), 0);
	CHECK_INT(varlink_call_peer_start_time(call, &seen.peer_start_time), 0);
	CHECK_STR(varlink_call_method(call), TEST_INTERFACE ".Who");
	return varlink_reply(call, NULL, false);
}

static const struct varlink_method test_methods[] = {
	{ "Echo", method_echo }, { "Hold", method_hold }, { "Stream", method_stream },
	{ "Note", method_note }, { "Fail", method_fail }, { "Misuse", method_misuse },
	{ "Who", method_who },
};

static const struct varlink_interface test_interface = {
	.name = TEST_INTERFACE,
	.description = "interface org.example.test\nmethod Echo() -> ()\n",
	.methods = test_methods,
	.n_methods = ELEMENTSOF(test_methods),
};

struct env {
	sd_event *event;
	struct varlink_server *server;
};

struct client {
	int fd;
	char buf[1024 * 1024];
	size_t len;
	bool eof;
};

static void env_init(struct env *env, const struct varlink_server_limits *limits)
{
	memset(&seen, 0, sizeof(seen));
	*env = (struct env){};
	CHECK_INT(sd_event_new(&env->event), 0);
	CHECK_INT(varlink_server_new(env->event, limits, "Vendor", "Product", "1.0", "https://example.org",
				     &env->server),
		  0);
	CHECK_INT(varlink_server_add_interface(env->server, &test_interface, NULL), 0);
}

static void env_done(struct env *env)
{
	varlink_server_free(env->server);
	sd_event_unref(env->event);
	seen.held = varlink_call_unref(seen.held);
}

/* Runs the loop until it has nothing left to do. */
static void pump(struct env *env)
{
	while (sd_event_run(env->event, 0) > 0)
		;
}

static struct client *client_new(int fd)
{
	struct client *c = calloc(1, sizeof(*c));

	c->fd = fd;
	CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
	return c;
}

static void client_free(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

/* A client on a socketpair with the server. */
static struct client *client_pair(struct env *env)
{
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK_INT(varlink_server_add_connection(env->server, sv[1]), 0);
	return client_new(sv[0]);
}

static void client_send(struct client *c, const char *bytes, size_t len)
{
	CHECK_INT(write(c->fd, bytes, len), len);
}

/* Sends @text as a message. */
static void client_call(struct client *c, const char *text)
{
	client_send(c, text, strlen(text) + 1);
}

/* Reads what the server wrote, running the loop meanwhile. */
static void client_read(struct env *env, struct client *c)
{
	for (;;) {
		ssize_t n;

		pump(env);
		if (c->len == sizeof(c->buf))
			return;
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		/* the server closed with some of our bytes unread: a reset */
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			c->eof = true;
		if (n <= 0)
			return;
		c->len += n;
	}
}

/* The next message the server sent, as a new string, or "(none)". */
static char *client_next(struct env *env, struct client *c)
{
	char *nul, *s;

	client_read(env, c);
	nul = memchr(c->buf, 0, c->len);
	if (!nul)
		return strdup("(none)");
	s = strdup(c->buf);
	c->len -= nul + 1 - c->buf;
	memmove(c->buf, nul + 1, c->len);
	return s;
}

#define CHECK_NEXT(env, c, expected) CHECK_STR_FREE(client_next(env, c), expected)

/* The text of an error reply; of org.varlink.service's with a string parameter. */
#define ERROR_REPLY(name, parameters) "{\"error\":\"" name "\",\"parameters\":" parameters "}"
#define SERVICE_ERROR(name, key, value)                                                                      \
	ERROR_REPLY("org.varlink.service." name, "{\"" key "\":\"" value "\"}")

/* Reads all the server sent until now: the number of messages. @check,
 * when set, looks at each with its index. */
static unsigned client_drain(struct env *env, struct client *c, void (*check)(const char *text, unsigned i))
{
	unsigned n = 0;

	for (;;) {
		char *text = client_next(env, c);

		if (strcmp(text, "(none)") == 0) {
			free(text);
			return n;
		}
		if (check)
			check(text, n);
		n++;
		free(text);
	}
}

static void get_info(void)
{
	struct env env;
	struct client *c;

	env_init(&env, NULL);
	c = client_pair(&env);
	client_call(c, "{\"method\":\"org.varlink.service.GetInfo\"}");
	CHECK_NEXT(&env, c,
		   "{\"parameters\":{\"vendor\":\"Vendor\",\"product\":\"Product\",\"version\":\"1.0\","
		   "\"url\":\"https://"
		   "example.org\",\"interfaces\":[\"org.varlink.service\",\"org.example.test\"]}}");
	CHECK_NEXT(&env, c, "(none)");
	CHECK_INT(varlink_server_n_connections(env.server), 1);
	CHECK_INT(varlink_server_add_interface(env.server, &test_interface, NULL), -EEXIST);
	CHECK_INT(varlink_server_add_interface(env.server, &varlink_service_interface, NULL), -EEXIST);
	client_free(c);
	env_done(&env);
}

static void get_interface_description(void)
{
	struct env env;
	struct client *c;
	struct json_object *reply, *params, *description;
	char *text;

	env_init(&env, NULL);
	c = client_pair(&env);
	client_call(c, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
		       "\"parameters\":{\"interface\":\"org.varlink.service\"}}");
	text = client_next(&env, c);
	reply = json_tokener_parse(text);
	CHECK(json_object_object_get_ex(reply, "parameters", &params));
	CHECK(json_object_object_get_ex(params, "description", &description));
	CHECK_STR(json_object_get_string(description), varlink_service_interface.description);
	json_object_put(reply);
	free(text);

	client_call(c, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
		       "\"parameters\":{\"interface\":\"org.example.test\"}}");
	CHECK_NEXT(
		&env, c,
		"{\"parameters\":{\"description\":\"interface org.example.test\\nmethod Echo() -> ()\\n\"}}");
	client_call(c, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
		       "\"parameters\":{\"interface\":\"org.example.none\"}}");
	CHECK_NEXT(&env, c, SERVICE_ERROR("InterfaceNotFound", "interface", "org.example.none"));
	client_call(c, "{\"method\":\"org.varlink.service.GetInterfaceDescription\"}");
	CHECK_NEXT(&env, c, SERVICE_ERROR("InvalidParameter", "parameter", "interface"));
	client_call(c, "{\"method\":\"org.varlink.service.GetInterfaceDescription\",\"parameters\":{"
		       "\"interface\":1}}");
	CHECK_NEXT(&env, c, SERVICE_ERROR("InvalidParameter", "parameter", "interface"));
	client_free(c);
	env_done(&env);
}

static void errors_of_the_server(void)
{
	struct env env;
	struct client *c;

	env_init(&env, NULL);
	c = client_pair(&env);
	client_call(c, "{\"method\":\"org.example.none.Echo\"}");
	CHECK_NEXT(&env, c, SERVICE_ERROR("InterfaceNotFound", "interface", "org.example.none"));
	client_call(c, "{\"method\":\"org.example.test.Nope\"}");
	CHECK_NEXT(&env, c, SERVICE_ERROR("MethodNotFound", "method", "org.example.test.Nope"));
	client_call(c, "{\"method\":\"org.example.test.Echo\",\"upgrade\":true}");
	CHECK_NEXT(&env, c, SERVICE_ERROR("MethodNotImplemented", "method", "org.example.test.Echo"));
	client_call(c, "{\"method\":\"org.example.test.Fail\",\"parameters\":{\"errno\":38}}"); /* ENOSYS */
	CHECK_NEXT(&env, c, SERVICE_ERROR("MethodNotImplemented", "method", "org.example.test.Fail"));
	client_call(c, "{\"method\":\"org.example.test.Fail\",\"parameters\":{\"errno\":5}}");
	CHECK_NEXT(&env, c,
		   "{\"error\":\"io.systemd.System\",\"parameters\":{\"errno\":5,\"errnoName\":\"EIO\"}}");
	client_call(c, "{\"method\":\"org.example.test.Stream\"}");
	CHECK_NEXT(&env, c, "{\"error\":\"org.varlink.service.ExpectedMore\",\"parameters\":{}}");
	/* oneway: no error either */
	client_call(c, "{\"method\":\"org.example.none.Echo\",\"oneway\":true}");
	client_call(c, "{\"method\":\"org.example.test.Fail\",\"parameters\":{\"errno\":5},\"oneway\":true}");
	client_call(c, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"last\":true}}");
	CHECK_NEXT(&env, c, "{\"parameters\":{\"last\":true}}");
	CHECK_NEXT(&env, c, "(none)");
	client_free(c);
	env_done(&env);
}

static void malformed_messages(void)
{
	struct varlink_server_stats stats;
	struct env env;
	struct client *c;

	env_init(&env, NULL);
	c = client_pair(&env);
	/* a wrong field: an error, and the connection goes on */
	client_call(c, "{\"method\":\"org.example.test.Echo\",\"more\":\"yes\"}");
	CHECK_NEXT(&env, c, SERVICE_ERROR("InvalidParameter", "parameter", "more"));
	client_call(c, "{\"method\":\"org.example.test.Echo\",\"more\":true,\"oneway\":true}");
	CHECK_NEXT(&env, c, SERVICE_ERROR("InvalidParameter", "parameter", "oneway"));
	client_call(c, "{\"method\":\"Echo\"}");
	CHECK_NEXT(&env, c, SERVICE_ERROR("InvalidParameter", "parameter", "method"));
	client_call(c, "{\"method\":\"org.example.test.Echo\",\"parameters\":[1]}");
	CHECK_NEXT(&env, c, SERVICE_ERROR("InvalidParameter", "parameter", "parameters"));
	client_call(c, "{\"method\":\"org.example.test.Echo\"}");
	CHECK_NEXT(&env, c, "{\"parameters\":{}}");
	CHECK(!c->eof);

	/* not JSON: an error, then the end, whatever followed */
	client_call(c, "{\"method\":");
	client_call(c, "{\"method\":\"org.example.test.Echo\"}");
	CHECK_NEXT(&env, c, SERVICE_ERROR("InvalidParameter", "parameter", "message"));
	CHECK_NEXT(&env, c, "(none)");
	CHECK(c->eof);
	CHECK_INT(varlink_server_n_connections(env.server), 0);
	client_free(c);

	/* not an object */
	c = client_pair(&env);
	client_call(c, "[]");
	CHECK_NEXT(&env, c, SERVICE_ERROR("InvalidParameter", "parameter", "message"));
	CHECK(c->eof);
	client_free(c);

	varlink_server_get_stats(env.server, &stats);
	CHECK_INT(stats.messages_malformed, 6);
	CHECK_INT(stats.messages_too_large, 0);
	CHECK_INT(stats.connections_accepted, 2);
	env_done(&env);
}

static void message_size_bound(void)
{
	struct varlink_server_limits limits = { .max_message_bytes = 64 };
	struct varlink_server_stats stats;
	char msg[128];
	struct env env;
	struct client *c;

	env_init(&env, &limits);
	c = client_pair(&env);
	/* exactly 64 bytes */
	snprintf(msg, sizeof(msg), "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"s\":\"%s\"}}",
		 "xxxxxxxx");
	CHECK_INT(strlen(msg), 64);
	client_call(c, msg);
	CHECK_NEXT(&env, c, "{\"parameters\":{\"s\":\"xxxxxxxx\"}}");
	/* 65, sent in two parts */
	snprintf(msg, sizeof(msg), "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"s\":\"%s\"}}",
		 "xxxxxxxxx");
	client_send(c, msg, 30);
	CHECK_NEXT(&env, c, "(none)");
	client_send(c, msg + 30, strlen(msg) + 1 - 30);
	CHECK_NEXT(&env, c, SERVICE_ERROR("InvalidParameter", "parameter", "message"));
	CHECK_NEXT(&env, c, "(none)");
	CHECK(c->eof);
	varlink_server_get_stats(env.server, &stats);
	CHECK_INT(stats.messages_too_large, 1);
	client_free(c);

	/* no NUL at all: cut off at 65 bytes, not left to grow */
	c = client_pair(&env);
	memset(msg, ' ', sizeof(msg));
	client_send(c, msg, sizeof(msg));
	CHECK_NEXT(&env, c, SERVICE_ERROR("InvalidParameter", "parameter", "message"));
	CHECK(c->eof);
	client_free(c);
	env_done(&env);
}

static void calls_answered_in_order(void)
{
	struct env env;
	struct client *c;
	static const char calls[] = "{\"method\":\"org.example.test.Hold\"}\0"
				    "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"i\":1}}\0"
				    "{\"method\":\"org.example.test.Note\",\"oneway\":true}\0"
				    "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"i\":2}}";

	env_init(&env, NULL);
	c = client_pair(&env);
	client_send(c, calls, sizeof(calls)); /* one write: one read */
	CHECK_NEXT(&env, c, "(none)");
	CHECK(seen.held);
	CHECK_INT(seen.notes, 0);
	CHECK(varlink_call_connected(seen.held));
	CHECK(!varlink_call_more(seen.held) && !varlink_call_oneway(seen.held));

	/* answered from outside the loop: the rest follows from the loop */
	CHECK_INT(varlink_reply(seen.held, json_object_new_object(), false), 0);
	CHECK_INT(varlink_reply(seen.held, NULL, false), -EALREADY);
	CHECK_NEXT(&env, c, "{\"parameters\":{}}");
	CHECK_NEXT(&env, c, "{\"parameters\":{\"i\":1}}");
	CHECK_NEXT(&env, c, "{\"parameters\":{\"i\":2}}");
	CHECK_NEXT(&env, c, "(none)");
	CHECK_INT(seen.notes, 1);
	CHECK_INT(seen.disconnects, 0);

	/* the answered call stays valid until unref'd */
	CHECK_STR(varlink_call_method(seen.held), TEST_INTERFACE ".Hold");
	seen.held = varlink_call_unref(seen.held);

	client_call(c, "{\"method\":\"org.example.test.Misuse\"}");
	CHECK_NEXT(&env, c, "{\"parameters\":{}}");
	CHECK_INT(seen.misuse, -EINVAL);
	CHECK_NEXT(&env, c, "(none)");
	client_free(c);
	env_done(&env);
}

static void reader_behind_stops_calls(void)
{
	struct varlink_server_limits limits = { .max_output_bytes = 4096 };
	char call[1100];
	int sv[2], small = 4096;
	unsigned replies;
	struct env env;
	struct client *c;

	snprintf(call, sizeof(call),
		 "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"s\":\"%01000d\"}}", 0);
	env_init(&env, &limits);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	/* a small socket buffer, so that replies wait in the server's */
	CHECK(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) == 0);
	CHECK_INT(varlink_server_add_connection(env.server, sv[1]), 0);
	c = client_new(sv[0]);
	for (int i = 0; i < 50; i++)
		client_call(c, call);
	pump(&env);
	/* the replies the peer does not read stop the calls it sends */
	CHECK(seen.echoes > 0 && seen.echoes < 50);
	replies = client_drain(&env, c, NULL);
	CHECK_INT(replies, 50);
	CHECK_INT(seen.echoes, 50);
	client_free(c);
	env_done(&env);
}

static void streaming(void)
{
	struct env env;
	struct client *c;

	env_init(&env, NULL);
	c = client_pair(&env);
	client_call(c, "{\"method\":\"org.example.test.Stream\",\"more\":true}");
	CHECK_NEXT(&env, c, "{\"parameters\":{\"n\":0},\"continues\":true}");
	CHECK_NEXT(&env, c, "{\"parameters\":{\"n\":1},\"continues\":true}");
	CHECK_NEXT(&env, c, "(none)");
	CHECK(varlink_call_more(seen.held));
	CHECK_INT(varlink_reply_json(seen.held, "{\"n\":2}", 7, true), 0);
	CHECK_INT(varlink_call_output_pending(seen.held), 40);
	CHECK_INT(varlink_error(seen.held, "org.example.test.Ended", NULL), 0);
	CHECK_NEXT(&env, c, "{\"parameters\":{\"n\":2},\"continues\":true}");
	CHECK_NEXT(&env, c, "{\"error\":\"org.example.test.Ended\",\"parameters\":{}}");
	CHECK_INT(varlink_reply_json(seen.held, "{}", 2, true), -EALREADY);
	CHECK_INT(seen.disconnects, 0);
	client_free(c);
	pump(&env);
	/* answered before the peer left: no disconnect callback */
	CHECK_INT(seen.disconnects, 0);
	CHECK(!varlink_call_connected(seen.held));
	env_done(&env);
}

#define EVENT_BYTES 1024

/* A Stream call whose peer reads nothing, fed events of EVENT_BYTES until
 * the socket is full and the server holds more than half its bound: the
 * number of events that went. */
static unsigned stream_to_full(struct env *env, struct client **c, size_t max_output_bytes)
{
	char event[EVENT_BYTES];
	unsigned sent = 0;
	int r;

	memset(event, 'x', sizeof(event));
	memcpy(event, "{\"e\":\"", 6);
	memcpy(event + sizeof(event) - 2, "\"}", 2);
	*c = client_pair(env);
	client_call(*c, "{\"method\":\"org.example.test.Stream\",\"more\":true}");
	pump(env);
	CHECK(seen.held);
	for (int round = 0; round < 1000; round++) {
		while ((r = varlink_reply_json(seen.held, event, sizeof(event), true)) == 0)
			sent++;
		CHECK_INT(r, -ENOBUFS);
		CHECK(varlink_call_output_pending(seen.held) <= max_output_bytes);
		CHECK(varlink_call_output_pending(seen.held) > max_output_bytes - EVENT_BYTES - 64);
		pump(env);
		if (varlink_call_output_pending(seen.held) > max_output_bytes / 2)
			break;
	}
	CHECK(varlink_call_output_pending(seen.held) > max_output_bytes / 2);
	return sent;
}

static unsigned events_sent;

/* The two the method sent itself, the test's events, the final reply. */
static void check_stream_message(const char *text, unsigned i)
{
	if (i < 2)
		CHECK(strncmp(text, "{\"parameters\":{\"n\":", 19) == 0);
	else if (i < events_sent + 2)
		CHECK(strncmp(text, "{\"parameters\":{\"e\":\"xxx", 23) == 0);
	else
		CHECK_STR(text, "{\"parameters\":{}}");
}

static void output_bound(void)
{
	struct varlink_server_limits limits = { .max_output_bytes = 64 * 1024 };
	struct env env;
	struct client *c;

	env_init(&env, &limits);
	events_sent = stream_to_full(&env, &c, limits.max_output_bytes);
	/* a final reply still goes */
	CHECK_INT(varlink_reply(seen.held, NULL, false), 0);
	seen.drains = 0;

	/* all of it arrives, in order */
	CHECK_INT(client_drain(&env, c, check_stream_message), events_sent + 2 + 1);
	/* answered: the callback is the call's, not the connection's */
	CHECK_INT(seen.drains, 0);
	CHECK_INT(varlink_call_output_pending(seen.held), 0);
	client_free(c);
	env_done(&env);
}

static void drain_callback(void)
{
	struct varlink_server_limits limits = { .max_output_bytes = 64 * 1024 };
	struct env env;
	struct client *c;

	env_init(&env, &limits);
	stream_to_full(&env, &c, limits.max_output_bytes);
	/* every write that emptied the buffer told it; now the socket is full */
	CHECK(seen.drains > 0);
	seen.drains = 0;
	/* the peer reads: the server's buffer empties, and the method hears it */
	for (int round = 0; round < 1000 && varlink_call_output_pending(seen.held) > 0; round++)
		CHECK(client_drain(&env, c, NULL) > 0);
	CHECK_INT(varlink_call_output_pending(seen.held), 0);
	CHECK(seen.drains >= 1 && seen.drains <= 2);
	client_free(c);
	pump(&env);
	CHECK_INT(seen.disconnects, 1);
	env_done(&env);
}

static void peer_leaves_during_call(void)
{
	struct varlink_call *call;
	struct env env;
	struct client *c;

	env_init(&env, NULL);
	c = client_pair(&env);
	client_call(c, "{\"method\":\"org.example.test.Hold\",\"parameters\":{\"big\":[1,2,3]}}");
	pump(&env);
	call = varlink_call_ref(seen.held);
	client_free(c);
	pump(&env);
	CHECK_INT(seen.disconnects, 1);
	CHECK(!varlink_call_connected(call));
	CHECK_INT(varlink_server_n_connections(env.server), 0);
	CHECK_INT(varlink_reply(call, json_object_new_object(), false), -ENOTCONN);
	CHECK_INT(varlink_reply_json(call, "{}", 2, false), -ENOTCONN);
	CHECK_INT(varlink_error_permission_denied(call), -ENOTCONN);
	CHECK_INT(varlink_call_output_pending(call), 0);
	CHECK_STR(varlink_call_method(call), TEST_INTERFACE ".Hold");
	seen.held = varlink_call_unref(seen.held);
	pump(&env);
	CHECK_INT(seen.disconnects, 1);
	/* the last reference, after the server */
	env_done(&env);
	varlink_call_unref(call);
}

static void server_freed_during_call(void)
{
	struct ucred ucred;
	struct env env;
	struct client *c;

	env_init(&env, NULL);
	c = client_pair(&env);
	client_call(c, "{\"method\":\"org.example.test.Hold\"}");
	pump(&env);
	CHECK(seen.held);
	varlink_server_free(env.server);
	env.server = NULL;
	CHECK_INT(seen.disconnects, 1);
	CHECK(!varlink_call_connected(seen.held));
	CHECK_INT(varlink_call_peer(seen.held, &ucred), 0);
	CHECK_INT(ucred.pid, getpid());
	client_read(&env, c);
	CHECK(c->eof);
	client_free(c);
	env_done(&env);
}

static void half_closed_peer(void)
{
	struct env env;
	struct client *c;

	env_init(&env, NULL);
	c = client_pair(&env);
	client_call(c, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"a\":1}}");
	CHECK(shutdown(c->fd, SHUT_WR) == 0);
	CHECK_NEXT(&env, c, "{\"parameters\":{\"a\":1}}");
	CHECK_NEXT(&env, c, "(none)");
	CHECK(c->eof);
	CHECK_INT(varlink_server_n_connections(env.server), 0);
	client_free(c);

	/* oneway calls, then gone at once: they still run */
	c = client_pair(&env);
	client_call(c, "{\"method\":\"org.example.test.Note\",\"oneway\":true}");
	client_call(c, "{\"method\":\"org.example.test.Note\",\"oneway\":true}");
	client_free(c);
	pump(&env);
	CHECK_INT(seen.notes, 2);
	CHECK_INT(varlink_server_n_connections(env.server), 0);
	env_done(&env);
}

/* Field 22 of /proc/self/stat, read otherwise than the server does. */
static uint64_t own_start_time(void)
{
	char buf[2048];
	unsigned long long t = 0;
	FILE *f = fopen("/proc/self/stat", "re");
	char *p;

	if (!f || !fgets(buf, sizeof(buf), f))
		abort();
	fclose(f);
	p = strrchr(buf, ')');
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &t) != 1)
		abort();
	return t;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, path);
	CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

static void listen_on_path(void)
{
	char dir[] = "/tmp/test-varlink-XXXXXX", path[128], file[128];
	struct varlink_server *other;
	struct env env;
	struct client *c;
	struct stat st;
	int fd;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/io.example.test", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	env_init(&env, NULL);
	CHECK_INT(varlink_server_listen_path(env.server, path, 0666), 0);
	CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0666);

	/* a server answers there: not taken over */
	CHECK_INT(varlink_server_new(env.event, NULL, "", "", "", "", &other), 0);
	CHECK_INT(varlink_server_listen_path(other, path, 0600), -EADDRINUSE);
	CHECK(close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) == 0);
	CHECK_INT(varlink_server_listen_path(other, file, 0600), -EEXIST);
	varlink_server_free(other);
	CHECK(stat(path, &st) == 0);

	c = client_new(connect_to(path));
	client_call(c, "{\"method\":\"org.example.test.Who\"}");
	CHECK_NEXT(&env, c, "{\"parameters\":{}}");
	CHECK_INT(seen.peer.pid, getpid());
	CHECK_INT(seen.peer.uid, getuid());
	CHECK_INT(seen.peer.gid, getgid());
	CHECK_INT(seen.peer_start_time, own_start_time());
	client_free(c);
	pump(&env);

	/* removed at free */
	env_done(&env);
	CHECK(stat(path, &st) < 0 && errno == ENOENT);

	/* a stale socket file (no one listens) is replaced */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		strcpy(sa.sun_path, path);
		CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		close(fd);
	}
	env_init(&env, NULL);
	CHECK_INT(varlink_server_listen_path(env.server, path, 0600), 0);
	c = client_new(connect_to(path));
	client_call(c, "{\"method\":\"org.example.test.Echo\"}");
	CHECK_NEXT(&env, c, "{\"parameters\":{}}");
	client_free(c);
	/* replaced by someone else meanwhile: not removed */
	CHECK(unlink(path) == 0);
	CHECK(close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) == 0);
	env_done(&env);
	CHECK(stat(path, &st) == 0);

	unlink(path);
	unlink(file);
	snprintf(path, sizeof(path), "%s/sub", dir);
	CHECK(rmdir(path) == 0);
	CHECK(rmdir(dir) == 0);
}

static void listen_on_fd(void)
{
	char dir[] = "/tmp/test-varlink-XXXXXX", path[128];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct env env;
	struct client *c;
	int fd, sv[2];

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	strcpy(sa.sun_path, path);
	env_init(&env, NULL);

	/* not listening, not a socket */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_INT(varlink_server_listen_fd(env.server, fd), -EINVAL);
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK_INT(varlink_server_listen_fd(env.server, sv[0]), -EINVAL);
	close(sv[0]);
	close(sv[1]);

	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 4) == 0);
	CHECK_INT(varlink_server_listen_fd(env.server, fd), 0);
	c = client_new(connect_to(path));
	client_call(c, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"fd\":true}}");
	CHECK_NEXT(&env, c, "{\"parameters\":{\"fd\":true}}");
	client_free(c);
	env_done(&env);
	/* a socket it was given: the file is the giver's */
	CHECK(unlink(path) == 0);
	CHECK(rmdir(dir) == 0);
}

static void connection_bounds(void)
{
	struct varlink_server_limits limits = { .max_connections_per_uid = 2 };
	struct varlink_server_stats stats;
	struct client *c[3];
	struct env env;

	env_init(&env, &limits);
	for (int i = 0; i < 3; i++)
		c[i] = client_pair(&env);
	CHECK_INT(varlink_server_n_connections(env.server), 2);
	client_read(&env, c[2]);
	CHECK(c[2]->eof);
	client_read(&env, c[1]);
	CHECK(!c[1]->eof);
	varlink_server_get_stats(env.server, &stats);
	CHECK_INT(stats.refused_per_uid, 1);
	CHECK_INT(stats.refused_max_connections, 0);
	CHECK_INT(stats.connections_accepted, 2);
	/* a place freed is a place taken */
	client_free(c[0]);
	pump(&env);
	client_free(c[2]);
	c[2] = client_pair(&env);
	CHECK_INT(varlink_server_n_connections(env.server), 2);
	for (int i = 1; i < 3; i++)
		client_free(c[i]);
	env_done(&env);

	/* the total: uid 0 is exempt from it */
	limits = (struct varlink_server_limits){ .max_connections = 1 };
	env_init(&env, &limits);
	for (int i = 0; i < 2; i++)
		c[i] = client_pair(&env);
	varlink_server_get_stats(env.server, &stats);
	if (getuid() == 0) {
		CHECK_INT(varlink_server_n_connections(env.server), 2);
		CHECK_INT(stats.refused_max_connections, 0);
	} else {
		CHECK_INT(varlink_server_n_connections(env.server), 1);
		CHECK_INT(stats.refused_max_connections, 1);
	}
	for (int i = 0; i < 2; i++)
		client_free(c[i]);
	env_done(&env);
}

UNIT_MAIN(T(get_info), T(get_interface_description), T(errors_of_the_server), T(malformed_messages),
	  T(message_size_bound), T(calls_answered_in_order), T(reader_behind_stops_calls), T(streaming),
	  T(output_bound), T(drain_callback), T(peer_leaves_during_call), T(server_freed_during_call),
	  T(half_closed_peer), T(listen_on_path), T(listen_on_fd), T(connection_bounds))
