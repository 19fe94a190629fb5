/* SPDX-License-Identifier: GPL-2.0-only */
/* The Varlink wire protocol (https://varlink.org), without any I/O: what the
 * server (server.h) reads is framed and parsed here, and what it writes is
 * serialised here, so that all of it can be unit-tested on byte strings.
 *
 * On the wire, a message is one JSON object followed by a NUL byte. A call:
 *   {"method":"iface.Method","parameters":{...},"more":B,"oneway":B,"upgrade":B}
 * (all but "method" optional), a reply:
 *   {"parameters":{...},"continues":true}    ("continues" only while more follow)
 * or an error, which always ends the call:
 *   {"error":"iface.ErrorName","parameters":{...}}
 *
 * Message sizes count the JSON text, not its NUL. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* The errors org.varlink.service defines, and their one parameter. */
#define VARLINK_ERROR_INTERFACE_NOT_FOUND    "org.varlink.service.InterfaceNotFound"	/* {"interface"} */
#define VARLINK_ERROR_METHOD_NOT_FOUND	     "org.varlink.service.MethodNotFound"	/* {"method"} */
#define VARLINK_ERROR_METHOD_NOT_IMPLEMENTED "org.varlink.service.MethodNotImplemented" /* {"method"} */
#define VARLINK_ERROR_INVALID_PARAMETER	     "org.varlink.service.InvalidParameter"	/* {"parameter"} */
#define VARLINK_ERROR_PERMISSION_DENIED	     "org.varlink.service.PermissionDenied"	/* {} */
#define VARLINK_ERROR_EXPECTED_MORE	     "org.varlink.service.ExpectedMore"		/* {} */

/* The error a method's failure (a negative errno) becomes, with parameters
 * {"errno": N, "errnoName": "EIO"}: varlink.org defines no generic failure,
 * and this is the one the Varlink tools of Linux (systemd's varlinkctl)
 * already know and print as the errno's text. */
#define VARLINK_ERROR_SYSTEM "io.systemd.System"

/* The "parameter" of an InvalidParameter error about the message as a whole
 * (not JSON, not an object, too large) rather than one of its fields. */
#define VARLINK_PARAMETER_MESSAGE "message"

/* Names, per varlink.org's grammar. An interface name is reverse-domain:
 * two or more dot-separated labels of letters, digits and inner dashes, the
 * first starting with a letter ("org.varlink.service"). A member (method,
 * error, type) name is a letter then letters and digits, starting uppercase.
 * A qualified name is "interface.Member". */
bool varlink_interface_name_is_valid(const char *s, size_t len);
bool varlink_member_name_is_valid(const char *s, size_t len);
bool varlink_qualified_name_is_valid(const char *s);

/* Bytes received and not yet taken as messages. Holds at most one message
 * (@max_message_bytes and its NUL) plus what the last read brought after
 * it: the reader reads only when varlink_input_next() returned 0. */
struct varlink_input {
	char *buf;
	size_t start;	/* the first byte not taken */
	size_t len;	/* bytes from start */
	size_t scanned; /* bytes from start known to hold no NUL */
	size_t cap;
	size_t max_message_bytes;
};

void varlink_input_init(struct varlink_input *in, size_t max_message_bytes);
void varlink_input_done(struct varlink_input *in);

/* Room for the next read, of at most @chunk bytes and never more than the
 * message being received may still need: returns the room's size (> 0) and
 * its start in *ret, or -ENOMEM. */
int varlink_input_reserve(struct varlink_input *in, size_t chunk, char **ret);
/* @n bytes were read into the room. */
void varlink_input_advance(struct varlink_input *in, size_t n);

/* Takes the next message: returns 1 with its text in *ret and its length in
 * *ret_len (a NUL follows it; valid until the next reserve), 0 if no whole
 * message is buffered yet, -EMSGSIZE if the message being received is
 * longer than max_message_bytes (the stream cannot be resynchronised). */
int varlink_input_next(struct varlink_input *in, const char **ret, size_t *ret_len);

/* Whether varlink_input_next() would return a message or an error, without
 * taking it. */
bool varlink_input_ready(struct varlink_input *in);

/* A parsed call. */
struct varlink_message {
	struct json_object *root;
	const char *method;		/* in root */
	struct json_object *parameters; /* in root, {} when the call had none */
	bool more, oneway, upgrade;
};

/* Parses the call @text (@len bytes). Returns 0 and fills *ret (release it
 * with varlink_message_done()); -EBADMSG if it is not a JSON object (the
 * stream is not Varlink: the caller should give up on it); -EINVAL if a
 * field is wrong, its name in *ret_bad_field: "method" (missing, not a
 * string or not a qualified name), "parameters" (not an object), "more",
 * "oneway" or "upgrade" (not booleans; "oneway" also when both it and more
 * are true). Fields it does not know are ignored, as varlink.org asks. */
int varlink_message_parse(const char *text, size_t len, struct varlink_message *ret,
			  const char **ret_bad_field);
void varlink_message_done(struct varlink_message *m);

/* Adds @value (taken, even on failure; NULL: a failed allocation) to the
 * object @o under @key. 0 or -ENOMEM. */
int varlink_json_add(struct json_object *o, const char *key, struct json_object *value);

/* Bytes waiting to be written: one buffer that grows to what the peer left
 * unread, and is written from its start. */
struct varlink_output {
	char *buf;
	size_t start; /* the first byte not written */
	size_t len;   /* bytes from start */
	size_t cap;
};

void varlink_output_done(struct varlink_output *out);

/* Appends a reply, or an error (@error a qualified name of at most 256
 * bytes, else -EINVAL), whose parameters are the JSON object text
 * @parameters (@len bytes, copied verbatim; NULL: an empty object).
 * Returns 0 or -ENOMEM; nothing is appended on failure. */
int varlink_output_append_reply(struct varlink_output *out, const char *parameters, size_t len,
				bool continues);
int varlink_output_append_error(struct varlink_output *out, const char *error, const char *parameters,
				size_t len);

/* @n bytes from out->buf + out->start were written. Once all are, a buffer
 * grown beyond what a steady stream needs is given back. */
void varlink_output_advance(struct varlink_output *out, size_t n);
