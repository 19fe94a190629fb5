// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "server.h"
#include "service-interface.h"

/* What one read may add to a partial message. */
#define READ_CHUNK (64 * 1024)
/* Connections one wakeup of a listener accepts, so a flood of them does not
 * starve the connections already served. */
#define ACCEPT_BURST 64
/* After accept() failed for want of file descriptors or memory, the listener
 * rests this long instead of being woken again at once. */
#define ACCEPT_RETRY_USEC (100 * 1000)
/* A reply's bytes beyond its parameters: {"parameters":...,"continues":true}\0 */
#define REPLY_OVERHEAD 32

struct interface_entry {
	const struct varlink_interface *iface;
	void *userdata;
};

struct listener {
	struct listener *next;
	struct varlink_server *server;
	int fd;
	sd_event_source *io;
	sd_event_source *retry;
	char *path; /* the socket file it made, removed at free */
	dev_t dev;
	ino_t ino;
};

struct connection {
	unsigned n_ref;		       /* the server's while open, and each call's */
	struct varlink_server *server; /* NULL once closed */
	struct connection *prev, *next;
	int fd;
	sd_event_source *io;
	sd_event_source *defer; /* dispatches the next call once one is answered */
	struct ucred ucred;
	uint64_t start_time; /* 0: unknown */
	struct varlink_input in;
	struct varlink_output out;
	struct varlink_call *current; /* the unanswered call, referenced */
	bool read_eof;		      /* the peer will send no more */
	bool closing;		      /* closes once its output is written */
	bool processing;	      /* in connection_process() */
};

struct varlink_call {
	unsigned n_ref;
	struct connection *conn; /* referenced */
	char *method;
	bool more, oneway;
	bool answered; /* the final reply went (or none is due) */
	varlink_call_fn on_disconnect, on_drain;
	void *disconnect_userdata, *drain_userdata;
};

struct varlink_server {
	sd_event *event;
	struct varlink_server_limits limits;
	char *vendor, *product, *version, *url;
	struct interface_entry *interfaces;
	size_t n_interfaces;
	struct listener *listeners;
	struct connection *connections;
	unsigned n_connections;
	struct varlink_server_stats stats;
};

static void connection_process(struct connection *c);

static int fd_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* Field 22 of /proc/PID/stat, the process's start time in clock ticks. The
 * name in field 2 may hold spaces and parentheses: fields count from the
 * last ')'. */
static uint64_t proc_start_time(pid_t pid)
{
	char path[64], buf[2048];
	unsigned long long start_time;
	const char *p;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (int field = 2; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return 0;
	}
	if (sscanf(p + 1, "%llu", &start_time) != 1)
		return 0;
	return start_time;
}

static struct connection *connection_ref(struct connection *c)
{
	c->n_ref++;
	return c;
}

static void connection_unref(struct connection *c)
{
	if (!c || --c->n_ref > 0)
		return;
	free(c);
}

static size_t max_output(const struct connection *c)
{
	return c->server->limits.max_output_bytes;
}

static bool connection_wants_input(struct connection *c)
{
	return !c->current && !c->read_eof && !c->closing && c->out.len <= max_output(c) &&
	       !varlink_input_ready(&c->in);
}

static void connection_update_events(struct connection *c)
{
	uint32_t events = 0;

	if (!c->server)
		return;
	if (connection_wants_input(c))
		events |= EPOLLIN;
	if (c->out.len > 0)
		events |= EPOLLOUT;
	/* Fails only for want of kernel memory; the next update tries again. */
	(void)sd_event_source_set_io_events(c->io, events);
}

/* Closes @c, telling its unanswered call; the caller must hold a reference
 * if it uses @c after. */
static void connection_close(struct connection *c)
{
	struct varlink_server *s = c->server;
	struct varlink_call *call;

	if (!s)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->connections = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_connections--;
	c->server = NULL;

	c->io = sd_event_source_disable_unref(c->io);
	c->defer = sd_event_source_disable_unref(c->defer);
	close(c->fd);
	c->fd = -1;
	varlink_input_done(&c->in);
	varlink_output_done(&c->out);

	call = c->current;
	c->current = NULL;
	if (call) {
		varlink_call_fn fn = call->on_disconnect;

		call->on_disconnect = NULL;
		call->on_drain = NULL;
		if (fn)
			fn(call, call->disconnect_userdata);
		varlink_call_unref(call);
	}
	connection_unref(c);
}

/* The final reply went, or none is due: the connection may go on. */
static void call_answered(struct varlink_call *call)
{
	struct connection *c = call->conn;

	call->answered = true;
	if (c->current != call)
		return;
	c->current = NULL;
	if (c->server && !c->processing)
		(void)sd_event_source_set_enabled(c->defer, SD_EVENT_ONESHOT);
	varlink_call_unref(call);
}

/* Whether a reply to @call goes: 1 yes, 0 dropped (oneway), or an error. */
static int reply_check(const struct varlink_call *call, bool continues)
{
	if (continues && !call->more)
		return -EINVAL;
	if (call->oneway)
		return 0;
	if (!call->conn->server)
		return -ENOTCONN;
	if (call->answered)
		return -EALREADY;
	return 1;
}

/* Appends a reply, or the error @error, after reply_check(). */
static int call_send(struct varlink_call *call, const char *error, const char *parameters, size_t len,
		     bool continues)
{
	struct connection *c = call->conn;
	size_t pending = c->out.len;
	int r;

	/* A continuing reply waits in the method's backlog while the peer is
	 * behind; one goes whatever its size when nothing is pending, so that
	 * no reply is refused for ever. */
	if (continues && pending > 0 && pending + len + REPLY_OVERHEAD > max_output(c))
		return -ENOBUFS;
	if (error)
		r = varlink_output_append_error(&c->out, error, parameters, len);
	else
		r = varlink_output_append_reply(&c->out, parameters, len, continues);
	if (r < 0)
		return r;
	if (pending == 0)
		connection_update_events(c);
	if (!continues)
		call_answered(call);
	return 0;
}

/* The text of @parameters, a JSON object or NULL. */
static int parameters_text(struct json_object *parameters, const char **ret, size_t *ret_len)
{
	*ret = NULL;
	*ret_len = 0;
	if (!parameters)
		return 0;
	if (!json_object_is_type(parameters, json_type_object))
		return -EINVAL;
	*ret = json_object_to_json_string_length(
		parameters, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, ret_len);
	return *ret ? 0 : -ENOMEM;
}

static int reply_object(struct varlink_call *call, const char *error, struct json_object *parameters,
			bool continues)
{
	const char *text = NULL;
	size_t len = 0;
	int r;

	r = reply_check(call, continues);
	if (r > 0)
		r = parameters_text(parameters, &text, &len);
	if (r == 0 && !call->oneway)
		r = call_send(call, error, text, len, continues);
	json_object_put(parameters);
	return r > 0 ? 0 : r;
}

int varlink_reply(struct varlink_call *call, struct json_object *parameters, bool continues)
{
	return reply_object(call, NULL, parameters, continues);
}

int varlink_reply_json(struct varlink_call *call, const char *parameters_json, size_t len, bool continues)
{
	int r = reply_check(call, continues);

	if (r <= 0)
		return r;
	if (len < 2 || parameters_json[0] != '{' || parameters_json[len - 1] != '}' ||
	    memchr(parameters_json, 0, len))
		return -EINVAL;
	return call_send(call, NULL, parameters_json, len, continues);
}

int varlink_error(struct varlink_call *call, const char *error, struct json_object *parameters)
{
	if (!error || !varlink_qualified_name_is_valid(error)) {
		json_object_put(parameters);
		return -EINVAL;
	}
	return reply_object(call, error, parameters, false);
}

/* {"@key": "@value"} */
static struct json_object *string_parameter(const char *key, const char *value)
{
	struct json_object *o = json_object_new_object();

	if (o && varlink_json_add(o, key, json_object_new_string(value)) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* An error whose one parameter is a string. */
static int error_string(struct varlink_call *call, const char *error, const char *key, const char *value)
{
	struct json_object *o = string_parameter(key, value);

	if (!o)
		return -ENOMEM;
	return varlink_error(call, error, o);
}

int varlink_error_invalid_parameter(struct varlink_call *call, const char *parameter)
{
	return error_string(call, VARLINK_ERROR_INVALID_PARAMETER, "parameter", parameter);
}

int varlink_error_method_not_implemented(struct varlink_call *call)
{
	return error_string(call, VARLINK_ERROR_METHOD_NOT_IMPLEMENTED, "method", call->method);
}

int varlink_error_permission_denied(struct varlink_call *call)
{
	return varlink_error(call, VARLINK_ERROR_PERMISSION_DENIED, NULL);
}

int varlink_error_expected_more(struct varlink_call *call)
{
	return varlink_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
}

int varlink_error_errno(struct varlink_call *call, int error)
{
	struct json_object *o = json_object_new_object();
	const char *name;

	if (!o)
		return -ENOMEM;
	error = error < 0 ? -error : error;
	name = strerrorname_np(error);
	if (varlink_json_add(o, "errno", json_object_new_int(error)) < 0 ||
	    (name && varlink_json_add(o, "errnoName", json_object_new_string(name)) < 0)) {
		json_object_put(o);
		return -ENOMEM;
	}
	return varlink_error(call, VARLINK_ERROR_SYSTEM, o);
}

struct varlink_call *varlink_call_ref(struct varlink_call *call)
{
	call->n_ref++;
	return call;
}

struct varlink_call *varlink_call_unref(struct varlink_call *call)
{
	if (!call || --call->n_ref > 0)
		return NULL;
	connection_unref(call->conn);
	free(call->method);
	free(call);
	return NULL;
}

const char *varlink_call_method(const struct varlink_call *call)
{
	return call->method;
}

bool varlink_call_more(const struct varlink_call *call)
{
	return call->more;
}

bool varlink_call_oneway(const struct varlink_call *call)
{
	return call->oneway;
}

int varlink_call_peer(const struct varlink_call *call, struct ucred *ret)
{
	if (call->conn->ucred.pid <= 0)
		return -ENODATA;
	*ret = call->conn->ucred;
	return 0;
}

int varlink_call_peer_start_time(const struct varlink_call *call, uint64_t *ret)
{
	if (call->conn->start_time == 0)
		return -ENODATA;
	*ret = call->conn->start_time;
	return 0;
}

bool varlink_call_connected(const struct varlink_call *call)
{
	return call->conn->server;
}

void varlink_call_set_disconnect_callback(struct varlink_call *call, varlink_call_fn fn, void *userdata)
{
	call->on_disconnect = fn;
	call->disconnect_userdata = userdata;
}

size_t varlink_call_output_pending(const struct varlink_call *call)
{
	return call->conn->out.len;
}

void varlink_call_set_drain_callback(struct varlink_call *call, varlink_call_fn fn, void *userdata)
{
	call->on_drain = fn;
	call->drain_userdata = userdata;
}

/* An error about the message itself, with no call to answer. */
static void connection_protocol_error(struct connection *c, const char *field)
{
	struct json_object *o = string_parameter("parameter", field);
	const char *text = o ? json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, NULL) : NULL;

	if (!text ||
	    varlink_output_append_error(&c->out, VARLINK_ERROR_INVALID_PARAMETER, text, strlen(text)) < 0)
		c->closing = true; /* unanswered, but what else */
	json_object_put(o);
}

static const struct interface_entry *server_find_entry(const struct varlink_server *s, const char *name,
						       size_t len)
{
	for (size_t i = 0; i < s->n_interfaces; i++)
		if (strlen(s->interfaces[i].iface->name) == len &&
		    memcmp(s->interfaces[i].iface->name, name, len) == 0)
			return &s->interfaces[i];
	return NULL;
}

static const struct varlink_method *find_method(const struct varlink_interface *iface, const char *name)
{
	for (size_t i = 0; i < iface->n_methods; i++)
		if (strcmp(iface->methods[i].name, name) == 0)
			return &iface->methods[i];
	return NULL;
}

/* Calls the method of @m, or answers for it. */
static void call_dispatch(struct varlink_call *call, const struct varlink_message *m)
{
	struct varlink_server *s = call->conn->server;
	const char *dot = strrchr(call->method, '.');
	const struct interface_entry *entry = server_find_entry(s, call->method, dot - call->method);
	const struct varlink_method *method = entry ? find_method(entry->iface, dot + 1) : NULL;
	int r;

	if (!entry) {
		char *name = strndup(call->method, dot - call->method);

		r = name ? error_string(call, VARLINK_ERROR_INTERFACE_NOT_FOUND, "interface", name) : -ENOMEM;
		free(name);
	} else if (!method)
		r = error_string(call, VARLINK_ERROR_METHOD_NOT_FOUND, "method", call->method);
	else if (m->upgrade)
		r = varlink_error_method_not_implemented(call);
	else {
		r = method->fn(call, m->parameters, entry->userdata);
		if (r < 0 && !call->answered && call->conn->server)
			r = r == -ENOSYS ? varlink_error_method_not_implemented(call)
					 : varlink_error_errno(call, r);
	}
	/* Out of memory for an error reply: the peer would wait for ever. */
	if (r == -ENOMEM && !call->answered)
		connection_close(call->conn);
}

static void connection_dispatch(struct connection *c, const char *text, size_t len)
{
	struct varlink_message m = {};
	struct varlink_call *call;
	const char *bad_field;
	int r;

	r = varlink_message_parse(text, len, &m, &bad_field);
	if (r == -EBADMSG || r == -EINVAL) {
		c->server->stats.messages_malformed++;
		connection_protocol_error(c, r == -EINVAL ? bad_field : VARLINK_PARAMETER_MESSAGE);
		if (r == -EBADMSG)
			c->closing = true;
		return;
	}
	call = r < 0 ? NULL : calloc(1, sizeof(*call));
	if (call)
		call->method = strdup(m.method);
	if (!call || !call->method) {
		free(call);
		varlink_message_done(&m);
		connection_close(c);
		return;
	}
	call->n_ref = 2; /* the connection's, until answered, and ours */
	call->conn = connection_ref(c);
	call->more = m.more;
	call->oneway = m.oneway;
	c->current = call;

	call_dispatch(call, &m);
	if (call->oneway)
		call_answered(call);
	varlink_message_done(&m);
	varlink_call_unref(call);
}

/* Dispatches the calls buffered while none is being answered, and closes
 * the connection once it has nothing left to do. */
static void connection_process(struct connection *c)
{
	const char *text;
	size_t len;
	int r;

	connection_ref(c);
	c->processing = true;
	while (c->server && !c->current && !c->closing && c->out.len <= max_output(c)) {
		r = varlink_input_next(&c->in, &text, &len);
		if (r == 0)
			break;
		if (r < 0) {
			c->server->stats.messages_too_large++;
			connection_protocol_error(c, VARLINK_PARAMETER_MESSAGE);
			c->closing = true;
			break;
		}
		connection_dispatch(c, text, len);
	}
	c->processing = false;
	if (c->server && c->read_eof && !c->current && !varlink_input_ready(&c->in))
		c->closing = true;
	if (c->closing && c->out.len == 0)
		connection_close(c);
	connection_update_events(c);
	connection_unref(c);
}

/* Reads once: the bytes read, 0 at end of input, -EAGAIN, or another
 * negative errno having closed the connection. */
static int connection_read(struct connection *c)
{
	char *p;
	ssize_t n;
	int r;

	r = varlink_input_reserve(&c->in, READ_CHUNK, &p);
	if (r < 0) {
		connection_close(c);
		return r;
	}
	n = recv(c->fd, p, r, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return -EAGAIN;
		r = -errno;
		connection_close(c);
		return r;
	}
	if (n == 0) {
		c->read_eof = true;
		return 0;
	}
	varlink_input_advance(&c->in, n);
	return (int)n;
}

/* Writes what the socket takes, then tells a streaming call when the
 * backlog it holds back may follow. */
static void connection_write(struct connection *c)
{
	size_t before = c->out.len, low = max_output(c) / 4;
	struct varlink_call *call;

	while (c->out.len > 0) {
		ssize_t n = send(c->fd, c->out.buf + c->out.start, c->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			connection_close(c);
			return;
		}
		varlink_output_advance(&c->out, n);
	}
	call = c->current;
	if (!call || !call->on_drain || before == 0 ||
	    !((before > low && c->out.len <= low) || c->out.len == 0))
		return;
	varlink_call_ref(call);
	call->on_drain(call, call->drain_userdata);
	varlink_call_unref(call);
}

static int on_connection_io(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct connection *c = connection_ref(userdata);

	if (revents & (EPOLLHUP | EPOLLERR)) {
		/* The peer is gone: what it sent still counts (oneway calls),
		 * the replies go nowhere. */
		while (c->server && connection_wants_input(c) && connection_read(c) > 0)
			connection_process(c);
		connection_close(c);
	} else {
		if (revents & EPOLLOUT)
			connection_write(c);
		if (c->server && (revents & EPOLLIN))
			(void)connection_read(c);
		if (c->server)
			connection_process(c);
	}
	connection_unref(c);
	return 0;
}

static int on_connection_defer(sd_event_source *source, void *userdata)
{
	connection_process(userdata);
	return 0;
}

static unsigned connections_of_uid(const struct varlink_server *s, uid_t uid)
{
	unsigned n = 0;

	for (const struct connection *c = s->connections; c; c = c->next)
		n += c->ucred.uid == uid;
	return n;
}

/* Serves @fd (taken), unless the bounds refuse its peer. */
static int server_add_fd(struct varlink_server *s, int fd)
{
	struct ucred ucred;
	socklen_t len = sizeof(ucred);
	struct connection *c;
	int r;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &ucred, &len) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (ucred.uid != 0 && s->n_connections >= s->limits.max_connections) {
		s->stats.refused_max_connections++;
		close(fd);
		return 0;
	}
	if (connections_of_uid(s, ucred.uid) >= s->limits.max_connections_per_uid) {
		s->stats.refused_per_uid++;
		close(fd);
		return 0;
	}

	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->n_ref = 1;
	c->fd = fd;
	c->ucred = ucred;
	c->start_time = proc_start_time(ucred.pid);
	varlink_input_init(&c->in, s->limits.max_message_bytes);
	r = sd_event_add_io(s->event, &c->io, fd, EPOLLIN, on_connection_io, c);
	if (r >= 0)
		r = sd_event_add_defer(s->event, &c->defer, on_connection_defer, c);
	if (r >= 0)
		r = sd_event_source_set_enabled(c->defer, SD_EVENT_OFF);
	if (r < 0) {
		sd_event_source_unref(c->io);
		sd_event_source_unref(c->defer);
		close(fd);
		free(c);
		return r;
	}
	c->server = s;
	c->next = s->connections;
	if (c->next)
		c->next->prev = c;
	s->connections = c;
	s->n_connections++;
	s->stats.connections_accepted++;
	return 0;
}

int varlink_server_add_connection(struct varlink_server *s, int fd)
{
	int r = fd_set_nonblock(fd);

	if (r < 0) {
		close(fd);
		return r;
	}
	return server_add_fd(s, fd);
}

static int on_listener_retry(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct listener *l = userdata;

	l->retry = sd_event_source_unref(l->retry);
	return sd_event_source_set_enabled(l->io, SD_EVENT_ON);
}

static int on_listener_io(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct listener *l = userdata;
	struct varlink_server *s = l->server;

	for (unsigned i = 0; i < ACCEPT_BURST; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd >= 0) {
			(void)server_add_fd(s, cfd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN)
			break;
		s->stats.accept_errors++;
		/* The connection stays queued: the listener would wake again
		 * at once, for as long as the shortage lasts. */
		if (!l->retry && sd_event_add_time_relative(s->event, &l->retry, CLOCK_MONOTONIC,
							    ACCEPT_RETRY_USEC, 0, on_listener_retry, l) >= 0)
			(void)sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
		break;
	}
	return 0;
}

static void listener_free(struct listener *l)
{
	struct stat st;

	sd_event_source_disable_unref(l->io);
	sd_event_source_disable_unref(l->retry);
	if (l->fd >= 0)
		close(l->fd);
	/* Not a socket file another server put there since. */
	if (l->path && lstat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
		(void)unlink(l->path);
	free(l->path);
	free(l);
}

/* Listens on @fd; on failure the caller keeps @fd. */
static int server_add_listener(struct varlink_server *s, int fd, struct listener **ret)
{
	struct listener *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	l->server = s;
	l->fd = fd;
	r = sd_event_add_io(s->event, &l->io, fd, EPOLLIN, on_listener_io, l);
	if (r < 0) {
		free(l);
		return r;
	}
	l->next = s->listeners;
	s->listeners = l;
	if (ret)
		*ret = l;
	return 0;
}

int varlink_server_listen_fd(struct varlink_server *s, int fd)
{
	int r;

	r = sd_is_socket(fd, AF_UNIX, SOCK_STREAM, 1);
	if (r < 0)
		return r;
	if (r == 0)
		return -EINVAL;
	r = fd_set_nonblock(fd);
	if (r < 0)
		return r;
	return server_add_listener(s, fd, NULL);
}

/* Makes room at @path for a new socket: nothing there, or a socket no
 * server answers on any more. */
static int remove_stale_socket(const struct sockaddr_un *sa)
{
	_cleanup_close_ int probe = -1;
	struct stat st;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe < 0)
		return -errno;
	/* A live server accepts, or has its backlog full (EAGAIN). */
	if (connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN)
		return -EADDRINUSE;
	if (errno != ECONNREFUSED)
		return -errno;
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int varlink_server_listen_path(struct varlink_server *s, const char *path, mode_t mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_free_ char *parent = NULL;
	_cleanup_close_ int fd = -1;
	struct listener *l;
	struct stat st;
	int r;

	if (!path || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	parent = strdup(path);
	if (!parent)
		return -ENOMEM;
	if (mkdir(dirname(parent), 0755) < 0 && errno != EEXIST)
		return -errno;
	r = remove_stale_socket(&sa);
	if (r < 0)
		return r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Made with the umask's mode, then chmod'ed: a socket cannot be
	 * fchmod'ed before bind(), and the umask is the whole process's. */
	if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	if (chmod(path, mode) < 0 || lstat(path, &st) < 0 || listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		(void)unlink(path);
		return r;
	}
	r = server_add_listener(s, fd, &l);
	if (r < 0) {
		(void)unlink(path);
		return r;
	}
	fd = -1;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->path = strdup(path);
	/* Without it the file stays at free, which is harmless. */
	return l->path ? 0 : -ENOMEM;
}

int varlink_server_add_interface(struct varlink_server *s, const struct varlink_interface *iface,
				 void *userdata)
{
	struct interface_entry *entries;

	if (!iface->name || !varlink_interface_name_is_valid(iface->name, strlen(iface->name)))
		return -EINVAL;
	for (size_t i = 0; i < iface->n_methods; i++)
		if (!iface->methods[i].name || !iface->methods[i].fn ||
		    !varlink_member_name_is_valid(iface->methods[i].name, strlen(iface->methods[i].name)))
			return -EINVAL;
	if (server_find_entry(s, iface->name, strlen(iface->name)))
		return -EEXIST;
	entries = reallocarray(s->interfaces, s->n_interfaces + 1, sizeof(*entries));
	if (!entries)
		return -ENOMEM;
	entries[s->n_interfaces++] = (struct interface_entry){ .iface = iface, .userdata = userdata };
	s->interfaces = entries;
	return 0;
}

int varlink_server_new(sd_event *e, const struct varlink_server_limits *limits, const char *vendor,
		       const char *product, const char *version, const char *url, struct varlink_server **ret)
{
	_cleanup_(varlink_server_freep) struct varlink_server *s = NULL;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->event = sd_event_ref(e);
	if (limits)
		s->limits = *limits;
	if (!s->limits.max_message_bytes)
		s->limits.max_message_bytes = VARLINK_DEFAULT_MAX_MESSAGE_BYTES;
	if (!s->limits.max_output_bytes)
		s->limits.max_output_bytes = VARLINK_DEFAULT_MAX_OUTPUT_BYTES;
	if (!s->limits.max_connections)
		s->limits.max_connections = VARLINK_DEFAULT_MAX_CONNECTIONS;
	if (!s->limits.max_connections_per_uid)
		s->limits.max_connections_per_uid = VARLINK_DEFAULT_MAX_CONNECTIONS_PER_UID;
	s->vendor = strdup(vendor ?: "");
	s->product = strdup(product ?: "");
	s->version = strdup(version ?: "");
	s->url = strdup(url ?: "");
	if (!s->vendor || !s->product || !s->version || !s->url)
		return -ENOMEM;
	r = varlink_server_add_interface(s, &varlink_service_interface, s);
	if (r < 0)
		return r;
	*ret = s;
	s = NULL;
	return 0;
}

void varlink_server_free(struct varlink_server *s)
{
	if (!s)
		return;
	while (s->connections)
		connection_close(s->connections);
	while (s->listeners) {
		struct listener *l = s->listeners;

		s->listeners = l->next;
		listener_free(l);
	}
	free(s->interfaces);
	free(s->vendor);
	free(s->product);
	free(s->version);
	free(s->url);
	sd_event_unref(s->event);
	free(s);
}

unsigned varlink_server_n_connections(const struct varlink_server *s)
{
	return s->n_connections;
}

void varlink_server_get_stats(const struct varlink_server *s, struct varlink_server_stats *ret)
{
	*ret = s->stats;
}

const struct varlink_server_limits *varlink_server_get_limits(const struct varlink_server *s)
{
	return &s->limits;
}

size_t varlink_server_n_interfaces(const struct varlink_server *s)
{
	return s->n_interfaces;
}

const struct varlink_interface *varlink_server_interface(const struct varlink_server *s, size_t i)
{
	return i < s->n_interfaces ? s->interfaces[i].iface : NULL;
}

const struct varlink_interface *varlink_server_find_interface(const struct varlink_server *s,
							      const char *name, size_t len)
{
	const struct interface_entry *entry = server_find_entry(s, name, len);

	return entry ? entry->iface : NULL;
}

void varlink_server_get_info(const struct varlink_server *s, const char **vendor, const char **product,
			     const char **version, const char **url)
{
	*vendor = s->vendor;
	*product = s->product;
	*version = s->version;
	*url = s->url;
}
