/* SPDX-License-Identifier: GPL-2.0-only */
/* A Varlink server on sd-event: listening Unix stream sockets, the
 * connections they accept, and the calls on them, dispatched to the methods
 * of the interfaces added to it. It knows nothing of bombus; the daemon
 * adds its interfaces, and the server answers org.varlink.service itself.
 *
 * Calls on one connection are answered in order: the next call is read and
 * dispatched only once the current one got its final reply (a reply without
 * "continues", or an error; a oneway call counts as answered when its method
 * returns). So a connection holds at most one unanswered call, and at most
 * one message (max_message_bytes) plus one read of input: a client that
 * pipelines waits in its socket, not in the server's memory. Nor is input
 * read while the replies the peer left unread exceed max_output_bytes.
 *
 * Nothing blocks: sockets are non-blocking, replies are only appended to
 * the connection's output buffer and written from the loop when the socket
 * is writable (so a method never sees its connection fail under it), with
 * MSG_NOSIGNAL.
 *
 * Protocol errors:
 * - a message that is not a JSON object, or longer than max_message_bytes
 *   without its NUL, gets org.varlink.service.InvalidParameter
 *   {"parameter":"message"} and the connection is closed once it is written:
 *   the stream cannot be trusted after it;
 * - a call whose fields are wrong gets InvalidParameter naming the field
 *   ("method", "parameters", "more", "oneway" for more and oneway both true,
 *   "upgrade") and the connection goes on;
 * - an unknown interface or method gets InterfaceNotFound {"interface"} or
 *   MethodNotFound {"method"}; "upgrade":true gets MethodNotImplemented
 *   {"method"} (no method here can be upgraded);
 * - a method that fails (returns a negative errno) without having sent its
 *   final reply: -ENOSYS gets MethodNotImplemented {"method"}, any other
 *   VARLINK_ERROR_SYSTEM {"errno","errnoName"} (see protocol.h).
 * stats counts each of these but the unknown names. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "protocol.h"

struct json_object;
struct varlink_server;
struct varlink_call;

/* Bounds of what peers can make the server hold; 0 in a field: its default. */
struct varlink_server_limits {
	/* A message's JSON text, without its NUL. Default 1 MiB. */
	size_t max_message_bytes;
	/* Replies waiting to be written on one connection: beyond it, replies
	 * that continue a stream are refused (-ENOBUFS) and no further call
	 * is read. Default 8 MiB. */
	size_t max_output_bytes;
	/* Connections of all peers but uid 0 (who can still get in when
	 * others took them all). Default 128. */
	unsigned max_connections;
	/* Connections of one uid, 0 included. Default 16. */
	unsigned max_connections_per_uid;
};

#define VARLINK_DEFAULT_MAX_MESSAGE_BYTES	(1024 * 1024)
#define VARLINK_DEFAULT_MAX_OUTPUT_BYTES	(8 * 1024 * 1024)
#define VARLINK_DEFAULT_MAX_CONNECTIONS		128
#define VARLINK_DEFAULT_MAX_CONNECTIONS_PER_UID 16

/* What the server refused since it was created. */
struct varlink_server_stats {
	uint64_t connections_accepted;	  /* and kept */
	uint64_t refused_max_connections; /* closed at once: max_connections */
	uint64_t refused_per_uid;	  /* closed at once: max_connections_per_uid */
	uint64_t messages_too_large;	  /* then disconnected */
	uint64_t messages_malformed;	  /* not JSON objects (then disconnected), or wrong fields */
	uint64_t accept_errors;		  /* accept() failures other than EAGAIN */
};

/* A method. @parameters is the call's (borrowed: valid until the method
 * returns; take a reference to keep it), never NULL: {} when the call had
 * none. Returns 0 once it replied, or when it keeps the call (with
 * varlink_call_ref()) to reply later; or a negative errno, which the server
 * turns into an error reply (see above) unless a final reply went out. */
typedef int (*varlink_method_fn)(struct varlink_call *call, struct json_object *parameters, void *userdata);

struct varlink_method {
	const char *name; /* "Subscribe" */
	varlink_method_fn fn;
};

/* Neither it nor what it points to is copied: it must outlive the server
 * (a static const, typically). */
struct varlink_interface {
	const char *name;	 /* "org.example.Monitor" */
	const char *description; /* the interface definition text, as GetInterfaceDescription gives it */
	const struct varlink_method *methods;
	size_t n_methods;
};

/* Creates a server on @e (referenced). @limits may be NULL (defaults);
 * vendor, product, version and url are what org.varlink.service.GetInfo
 * says (copied). Returns 0 or a negative errno. */
int varlink_server_new(sd_event *e, const struct varlink_server_limits *limits, const char *vendor,
		       const char *product, const char *version, const char *url,
		       struct varlink_server **ret);

/* Closes every connection (calling the disconnect callbacks of unanswered
 * calls, which may still be referenced: they stay valid, disconnected),
 * stops listening and removes the socket files it created. NULL is fine. */
void varlink_server_free(struct varlink_server *s);
DEFINE_POINTER_CLEANUP(struct varlink_server, varlink_server_free)

/* Accepts connections on @fd, a listening AF_UNIX stream socket (one from
 * sd_listen_fds_with_names(), say), made non-blocking. On success the
 * server owns @fd and closes it at free; on failure the caller still does.
 * -EINVAL if @fd is not such a socket. */
int varlink_server_listen_fd(struct varlink_server *s, int fd);

/* Binds and listens on the socket file @path, then chmods it to @mode.
 * Creates its parent directory (0755) when missing, and replaces a stale
 * socket file left by a server that is gone; -EADDRINUSE if a server
 * answers there, -EEXIST if the file there is no socket. Removes the file
 * at free if it is still the one it made. */
int varlink_server_listen_path(struct varlink_server *s, const char *path, mode_t mode);

/* Serves the connected stream socket @fd (owned by the server from then on,
 * closed on failure too) as if accepted: socketpair() ends, sockets of
 * Accept=yes units. Subject to the connection bounds; 0 also when refused
 * by them. */
int varlink_server_add_connection(struct varlink_server *s, int fd);

/* Adds the methods of @iface, called with @userdata. -EINVAL for an invalid
 * interface or method name, -EEXIST for an interface already added (the
 * built-in org.varlink.service is). */
int varlink_server_add_interface(struct varlink_server *s, const struct varlink_interface *iface,
				 void *userdata);

unsigned varlink_server_n_connections(const struct varlink_server *s);
void varlink_server_get_stats(const struct varlink_server *s, struct varlink_server_stats *ret);
/* The limits in force, defaults filled in. */
const struct varlink_server_limits *varlink_server_get_limits(const struct varlink_server *s);

/* Introspection, for org.varlink.service (service-interface.c): the
 * interfaces in the order they were added, the built-in one first. */
size_t varlink_server_n_interfaces(const struct varlink_server *s);
const struct varlink_interface *varlink_server_interface(const struct varlink_server *s, size_t i);
const struct varlink_interface *varlink_server_find_interface(const struct varlink_server *s,
							      const char *name, size_t len);
/* The GetInfo strings given to varlink_server_new(). */
void varlink_server_get_info(const struct varlink_server *s, const char **vendor, const char **product,
			     const char **version, const char **url);

/* A call lives until both its final reply went (or its connection went) and
 * the last reference taken by its method was dropped. */
struct varlink_call *varlink_call_ref(struct varlink_call *c);
struct varlink_call *varlink_call_unref(struct varlink_call *c); /* NULL */
DEFINE_POINTER_CLEANUP(struct varlink_call, varlink_call_unref)

const char *varlink_call_method(const struct varlink_call *c); /* "iface.Method" */
bool varlink_call_more(const struct varlink_call *c);
bool varlink_call_oneway(const struct varlink_call *c);

/* The peer's credentials (SO_PEERCRED, taken at accept). 0 or -ENODATA. */
int varlink_call_peer(const struct varlink_call *c, struct ucred *ret);
/* The start time of the peer's pid in clock ticks since boot (field 22 of
 * /proc/PID/stat), read at accept: with the pid, it names the process (a
 * polkit unix-process subject) even once the pid is reused. 0, or -ENODATA
 * when it could not be read (the peer was gone already). */
int varlink_call_peer_start_time(const struct varlink_call *c, uint64_t *ret);

/* False once the connection is closed: the peer left, or was cut off. */
bool varlink_call_connected(const struct varlink_call *c);

/* Called once, from the loop or from varlink_server_free(), if the
 * connection closes while the call is unanswered: the method's chance to
 * cancel what it started and drop its reference. NULL unsets. */
typedef void (*varlink_call_fn)(struct varlink_call *call, void *userdata);
void varlink_call_set_disconnect_callback(struct varlink_call *c, varlink_call_fn fn, void *userdata);

/* Bytes of replies waiting to be written on the call's connection (0 when
 * it is closed). */
size_t varlink_call_output_pending(const struct varlink_call *c);
/* Called from the loop, while the call is unanswered, after a write brought
 * the connection's pending output down to a quarter of max_output_bytes or
 * to empty: where a streaming method that got -ENOBUFS sends its backlog. */
void varlink_call_set_drain_callback(struct varlink_call *c, varlink_call_fn fn, void *userdata);

/* Replies to @c with @parameters (taken, even on failure; NULL: {}).
 * @continues: more replies follow, only for calls with "more" (else
 * -EINVAL); without it, the call is answered and the next call of the
 * connection may be dispatched. Returns 0; 0 also for a oneway call (the
 * reply is dropped); -ENOTCONN once the connection is closed; -EALREADY
 * after the final reply; -ENOBUFS, writing nothing, if a continuing reply
 * would push the pending output beyond max_output_bytes (a final reply or
 * an error always goes, so that a call can always end); -ENOMEM. */
int varlink_reply(struct varlink_call *c, struct json_object *parameters, bool continues);

/* As varlink_reply(), with parameters given as the text of a JSON object
 * (@len bytes, no NUL in it), copied as it is without being parsed:
 * for events already rendered as JSON. -EINVAL if it does not look like an
 * object ({...}) or holds a NUL. */
int varlink_reply_json(struct varlink_call *c, const char *parameters_json, size_t len, bool continues);

/* Ends @c with the error @error (a qualified name, else -EINVAL) and its
 * @parameters (taken; NULL: {}). Same returns as varlink_reply(). */
int varlink_error(struct varlink_call *c, const char *error, struct json_object *parameters);

/* The errors of org.varlink.service, with their parameters. */
int varlink_error_invalid_parameter(struct varlink_call *c, const char *parameter);
int varlink_error_method_not_implemented(struct varlink_call *c);
int varlink_error_permission_denied(struct varlink_call *c);
int varlink_error_expected_more(struct varlink_call *c);
/* VARLINK_ERROR_SYSTEM for the errno @error (either sign). */
int varlink_error_errno(struct varlink_call *c, int error);
