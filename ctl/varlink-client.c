// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "protocol.h"
#include "varlink-client.h"

#define READ_CHUNK (64 * 1024)

DEFINE_POINTER_CLEANUP(json_tokener, json_tokener_free)

struct varlink_client {
	int fd;
	struct varlink_input in;
};

void varlink_reply_done(struct varlink_reply *reply)
{
	json_object_put(reply->root);
	*reply = (struct varlink_reply){};
}

int varlink_client_connect(const char *path, struct varlink_client **ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct varlink_client *c;
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, len);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	varlink_input_init(&c->in, VARLINK_CLIENT_MAX_REPLY);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0 ||
	    /* A local stream connect completes at once or fails (EAGAIN: the
	     * listen queue is full, as good as nobody answering). */
	    connect(c->fd, (const struct sockaddr *)&sa, offsetof(struct sockaddr_un, sun_path) + len + 1) <
		    0) {
		int r = -errno;

		varlink_client_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

void varlink_client_free(struct varlink_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	varlink_input_done(&c->in);
	free(c);
}

int varlink_client_fd(const struct varlink_client *c)
{
	return c->fd;
}

static int wait_for(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int varlink_client_send(struct varlink_client *c, const char *method, struct json_object *parameters,
			bool more)
{
	_cleanup_(json_object_putp) struct json_object *call = json_object_new_object();
	const char *text;
	size_t len, done = 0;

	if (!call || varlink_json_add(call, "method", json_object_new_string(method)) < 0 ||
	    (parameters && varlink_json_add(call, "parameters", json_object_get(parameters)) < 0) ||
	    (more && varlink_json_add(call, "more", json_object_new_boolean(true)) < 0))
		return -ENOMEM;
	text = json_object_to_json_string_length(
		call, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text)
		return -ENOMEM;
	len++; /* the NUL that ends a message */
	while (done < len) {
		ssize_t n = send(c->fd, text + done, len - done, MSG_NOSIGNAL);
		int r;

		if (n >= 0)
			done += (size_t)n;
		else if (errno == EAGAIN) {
			r = wait_for(c->fd, POLLOUT);
			if (r < 0)
				return r;
		} else if (errno != EINTR)
			return errno == EPIPE ? -ECONNRESET : -errno;
	}
	return 0;
}

static int parse_reply(const char *text, size_t len, struct varlink_reply *ret)
{
	_cleanup_(json_tokener_freep) json_tokener *tok = json_tokener_new();
	struct json_object *root, *v;

	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_parse_end(tok) != len || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return -EBADMSG;
	}
	*ret = (struct varlink_reply){ .root = root };
	if (json_object_object_get_ex(root, "error", &v)) {
		if (!json_object_is_type(v, json_type_string))
			goto bad;
		ret->error = json_object_get_string(v);
	}
	if (json_object_object_get_ex(root, "parameters", &v)) {
		if (!json_object_is_type(v, json_type_object))
			goto bad;
		ret->parameters = v;
	} else {
		ret->parameters = json_object_new_object();
		if (varlink_json_add(root, "parameters", ret->parameters) < 0) {
			varlink_reply_done(ret);
			return -ENOMEM;
		}
	}
	ret->continues = json_object_object_get_ex(root, "continues", &v) && json_object_get_boolean(v);
	return 0;
bad:
	varlink_reply_done(ret);
	return -EBADMSG;
}

int varlink_client_receive(struct varlink_client *c, bool wait, struct varlink_reply *ret)
{
	for (;;) {
		const char *text;
		size_t len;
		char *room;
		ssize_t n;
		int r;

		r = varlink_input_next(&c->in, &text, &len);
		if (r > 0) {
			r = parse_reply(text, len, ret);
			return r < 0 ? r : 1;
		}
		if (r < 0)
			return r;
		r = varlink_input_reserve(&c->in, READ_CHUNK, &room);
		if (r < 0)
			return r;
		n = recv(c->fd, room, (size_t)r, 0);
		if (n > 0)
			varlink_input_advance(&c->in, (size_t)n);
		else if (n == 0)
			return -ECONNRESET;
		else if (errno == EAGAIN && !wait)
			return 0;
		else if (errno == EAGAIN) {
			r = wait_for(c->fd, POLLIN);
			if (r < 0)
				return r;
		} else if (errno != EINTR)
			return -errno;
	}
}

int varlink_client_call(struct varlink_client *c, const char *method, struct json_object *parameters,
			struct varlink_reply *ret)
{
	int r = varlink_client_send(c, method, parameters, false);

	return r < 0 ? r : varlink_client_receive(c, true, ret);
}

const char *varlink_reply_string(const struct varlink_reply *reply, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(reply->parameters, key, &v) &&
			       json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : "";
}
