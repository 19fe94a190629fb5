// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api.h"
#include "bus-json.h"
#include "config.h"
#include "exit-status.h"
#include "monitor-api.h"
#include "protocol.h"
#include "transport.h"
#include "varlink-client.h"

const char *varlink_default_path(void)
{
	const char *e = getenv("BOMBUS_VARLINK_ADDRESS");

	if (!e || !*e)
		return BOMBUS_VARLINK_SOCKET;
	return strncmp(e, "unix:", 5) == 0 ? e + 5 : e;
}

static bool is_socket(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

int transport_open(struct transport *t, enum transport_choice choice, const char *varlink_path,
		   const char *command, bool interactive)
{
	bool reload = strcmp(command, "reload") == 0;
	int r;

	*t = (struct transport){};
	if (!varlink_path)
		varlink_path = varlink_default_path();
	if (choice == TRANSPORT_VARLINK && reload) {
		fprintf(stderr, "bombusctl: reload: only over D-Bus (io.bombus.Monitor has no Reload); "
				"leave out --varlink\n");
		return EXIT_USAGE;
	}
	if (choice == TRANSPORT_VARLINK || (choice == TRANSPORT_AUTO && !reload && is_socket(varlink_path))) {
		t->varlink_path = varlink_path;
		return EXIT_OK;
	}
	r = sd_bus_open_system(&t->bus);
	if (r < 0) {
		fprintf(stderr, "bombusctl: cannot connect to the system bus: %s\n", strerror(-r));
		return EXIT_FAILED;
	}
	sd_bus_set_allow_interactive_authorization(t->bus, interactive);
	return EXIT_OK;
}

void transport_close(struct transport *t)
{
	t->bus = sd_bus_flush_close_unref(t->bus);
}

/* The errors both APIs have, by their names in each, and their exit status;
 * bombusd's messages say what is wrong. */
static const struct {
	const char *dbus, *varlink;
	int code;
	bool final; /* the same answer to any try again */
} known_errors[] = {
	{ BOMBUS_ERROR_NOT_AUTHORIZED, BOMBUS_VARLINK_ERROR_NOT_AUTHORIZED, EXIT_NOT_AUTHORIZED, true },
	{ BOMBUS_ERROR_INVALID_ARGUMENT, BOMBUS_VARLINK_ERROR_INVALID_ARGUMENT, EXIT_USAGE, true },
	{ NULL, VARLINK_ERROR_INVALID_PARAMETER, EXIT_USAGE, true },
	{ BOMBUS_ERROR_NO_SUCH_PROCESS, BOMBUS_VARLINK_ERROR_NO_SUCH_PROCESS, EXIT_NO_SUCH_PROCESS, false },
	{ BOMBUS_ERROR_TOO_MANY_SUBSCRIPTIONS, BOMBUS_VARLINK_ERROR_TOO_MANY_SUBSCRIPTIONS, EXIT_TOO_MANY,
	  true },
	{ BOMBUS_ERROR_INVALID_CONFIGURATION, NULL, EXIT_FAILED, false },
};

int bus_call_failed(const char *what, const sd_bus_error *error, int r)
{
	for (size_t i = 0; i < ELEMENTSOF(known_errors); i++)
		if (known_errors[i].dbus && sd_bus_error_has_name(error, known_errors[i].dbus)) {
			fprintf(stderr, "bombusctl: %s: %s\n", what, error->message);
			return known_errors[i].code;
		}
	if (sd_bus_error_has_names(error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
		fprintf(stderr, "bombusctl: %s: bombusd is not running and cannot be started: %s\n", what,
			error->message);
	else if (sd_bus_error_is_set(error))
		fprintf(stderr, "bombusctl: %s: %s\n", what, error->message ?: error->name);
	else
		fprintf(stderr, "bombusctl: %s: %s\n", what, strerror(-r));
	return EXIT_FAILED;
}

bool varlink_error_is_final(const char *error)
{
	for (size_t i = 0; i < ELEMENTSOF(known_errors); i++)
		if (known_errors[i].varlink && strcmp(error, known_errors[i].varlink) == 0)
			return known_errors[i].final;
	return false;
}

int varlink_call_failed(const char *what, const struct varlink_reply *reply, int r)
{
	const char *message;
	json_object *v;

	if (!reply || !reply->error) {
		fprintf(stderr, "bombusctl: %s: %s\n", what,
			r == -EMSGSIZE	   ? "bombusd's reply is larger than 16 MiB"
			: r == -EBADMSG	   ? "bombusd's reply is not Varlink"
			: r == -ECONNRESET ? "bombusd closed the connection"
					   : strerror(-r));
		return EXIT_FAILED;
	}
	message = varlink_reply_string(reply, "message");
	/* The errors without a message: D-Bus's text for the same. */
	if (strcmp(reply->error, BOMBUS_VARLINK_ERROR_NO_SUCH_PROCESS) == 0 &&
	    json_object_object_get_ex(reply->parameters, "pid", &v))
		fprintf(stderr, "bombusctl: %s: no running process with pid %" PRId64 " is known\n", what,
			json_object_get_int64(v));
	else if (strcmp(reply->error, VARLINK_ERROR_INVALID_PARAMETER) == 0)
		fprintf(stderr, "bombusctl: %s: bombusd refused the parameter '%s'\n", what,
			varlink_reply_string(reply, "parameter"));
	else if (*message)
		fprintf(stderr, "bombusctl: %s: %s\n", what, message);
	else
		fprintf(stderr, "bombusctl: %s: %s %s\n", what, reply->error,
			json_object_to_json_string_ext(reply->parameters, JSON_C_TO_STRING_PLAIN));
	for (size_t i = 0; i < ELEMENTSOF(known_errors); i++)
		if (known_errors[i].varlink && strcmp(reply->error, known_errors[i].varlink) == 0)
			return known_errors[i].code;
	return EXIT_FAILED;
}

/* One call over Varlink: EXIT_OK and the parameters' member @member in *ret
 * (a reference of its own), or the failure's exit status, said. Without
 * @start, nobody listening is said as a bombusd not running for @command
 * (a socket bombusd.socket holds starts it: that is its purpose). */
static int varlink_call_member(const struct transport *t, const char *method, json_object *parameters,
			       bool start, const char *command, const char *member, json_object **ret)
{
	_cleanup_(varlink_client_freep) struct varlink_client *c = NULL;
	_cleanup_(varlink_reply_done) struct varlink_reply reply = {};
	char qualified[128];
	json_object *v;
	int r;

	r = varlink_client_connect(t->varlink_path, &c);
	if (!start && (r == -ENOENT || r == -ECONNREFUSED)) {
		fprintf(stderr, "bombusctl: %s: bombusd is not running\n", command);
		return EXIT_FAILED;
	}
	if (r < 0) {
		fprintf(stderr, "bombusctl: %s: cannot connect to bombusd at %s: %s\n", method,
			t->varlink_path, strerror(-r));
		return EXIT_FAILED;
	}
	snprintf(qualified, sizeof(qualified), BOMBUS_VARLINK_INTERFACE ".%s", method);
	r = varlink_client_call(c, qualified, parameters, &reply);
	if (r < 0 || reply.error)
		return varlink_call_failed(method, r < 0 ? NULL : &reply, r);
	if (!json_object_object_get_ex(reply.parameters, member, &v) ||
	    !json_object_is_type(v, json_type_object)) {
		fprintf(stderr, "bombusctl: %s: the reply has no \"%s\"\n", method, member);
		return EXIT_FAILED;
	}
	*ret = json_object_get(v);
	return EXIT_OK;
}

/* One call over D-Bus: EXIT_OK and its reply, or the failure's exit status,
 * said. Without @start, a bombusd not running is said for @command. */
static int bus_call(const struct transport *t, const char *method, bool start, const char *command,
		    sd_bus_message **ret, const char *types, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(t->bus, &call, BOMBUS_BUS_NAME, BOMBUS_OBJECT_PATH,
					   BOMBUS_INTERFACE, method);
	if (r >= 0)
		r = sd_bus_message_set_auto_start(call, start);
	if (r >= 0 && types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(call, types, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_call(t->bus, call, 0, &error, ret);
	if (r >= 0)
		return EXIT_OK;
	if (!start &&
	    sd_bus_error_has_names(&error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
		fprintf(stderr, "bombusctl: %s: bombusd is not running\n", command);
		return EXIT_FAILED;
	}
	return bus_call_failed(method, &error, r);
}

/* The struct members of GetStatus as the Varlink API names them. */
static const struct bus_json_tuple status_tuples[] = {
	{ "hooks", (const char *const[]){ "hook", "method", "target", NULL } },
	{ "hook_stats", (const char *const[]){ "monitor", "hook", "run_time_ns", "run_count", NULL } },
	{},
};

int transport_get_status(const struct transport *t, bool start, const char *command, json_object **ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	if (t->varlink_path)
		return varlink_call_member(t, "GetStatus", NULL, start, command, "status", ret);
	r = bus_call(t, "GetStatus", start, command, &reply, NULL);
	if (r != EXIT_OK)
		return r;
	r = bus_message_read_json(reply, status_tuples, ret);
	if (r < 0) {
		fprintf(stderr, "bombusctl: cannot read the status: %s\n", strerror(-r));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

int transport_get_process(const struct transport *t, uint32_t pid, char **ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *process = NULL, *parameters = NULL;
	const char *json;
	int r;

	if (t->varlink_path) {
		parameters = json_object_new_object();
		if (!parameters || varlink_json_add(parameters, "pid", json_object_new_int64(pid)) < 0)
			return EXIT_FAILED;
		r = varlink_call_member(t, "GetProcess", parameters, true, "process", "process", &process);
		if (r != EXIT_OK)
			return r;
		/* The same text as bombusd wrote: its writer and json-c's plain
		 * one escape alike, and events hold no floating-point numbers. */
		json = json_object_to_json_string_ext(process, JSON_C_TO_STRING_PLAIN |
								       JSON_C_TO_STRING_NOSLASHESCAPE);
	} else {
		r = bus_call(t, "GetProcess", true, "process", &reply, "u", pid);
		if (r != EXIT_OK)
			return r;
		r = sd_bus_message_read(reply, "s", &json);
		if (r < 0)
			return bus_call_failed("GetProcess", &SD_BUS_ERROR_NULL, r);
	}
	*ret = json ? strdup(json) : NULL;
	return *ret ? EXIT_OK : EXIT_FAILED;
}
