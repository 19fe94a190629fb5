// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "api.h"
#include "authorize.h"
#include "bus-input-relay.h"
#include "category.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "quote.h"
#include "reload.h"
#include "loop-stats.h"
#include "service.h"
#include "bus-status.h"
#include "subscription-options.h"
#include "subscriptions.h"

/* Method calls of one connection waiting for their authorization: its own
 * quota, that no other connection fills. */
#define MAX_REQUESTS_PER_CONNECTION 16
#define STATUS_INTERVAL_USEC	    (5 * 1000 * 1000)
#define DEFAULT_SYSTEM_BUS_ADDRESS  "unix:path=/run/dbus/system_bus_socket"
#define REQUEST_NAME_PRIMARY_OWNER  1 /* RequestName's answer when the name is ours */

enum request_kind {
	REQUEST_SUBSCRIBE,
	REQUEST_STATUS,
	REQUEST_PROCESS,
	REQUEST_RELOAD,
};

/* A method call waiting for its authorization. */
struct request {
	struct request *next;
	struct service *service;
	enum request_kind kind;
	struct authorization *authorization;
	struct client *client; /* the caller, held meanwhile */
	sd_bus_message *call;
	uint32_t pid; /* GetProcess */
};

struct service {
	struct daemon *daemon;
	sd_bus *bus;
	struct bus_input_relay *relay;
	sd_bus_slot *object, *filter, *name_request;
	struct subscriptions *subscriptions;
	struct authorizer *authorizer;
	struct request *requests;
	unsigned n_requests;
	sd_event_source *status_timer;
	uint64_t status_emitted; /* events emitted at the last STATUS= */
	bool notify;		 /* started by systemd with NOTIFY_SOCKET */
};

static void request_free(struct request *req)
{
	struct request **p = &req->service->requests;

	while (*p != req)
		p = &(*p)->next;
	*p = req->next;
	req->service->n_requests--;
	authorization_cancel(req->authorization);
	if (req->client)
		client_release(req->client);
	sd_bus_message_unref(req->call);
	free(req);
}

static int request_new(struct service *svc, enum request_kind kind, sd_bus_message *m, sd_bus_error *error,
		       struct request **ret)
{
	struct request *req = NULL;
	struct client *c;
	int r;

	r = subscriptions_hold_client(svc->subscriptions, sd_bus_message_get_sender(m), &c);
	if (r < 0)
		return r;
	/* Held once by this call: what it held before is its pending calls. */
	if (client_held(c) > MAX_REQUESTS_PER_CONNECTION) {
		client_release(c);
		return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
					 "this connection has %d calls waiting for their authorization, "
					 "try again",
					 MAX_REQUESTS_PER_CONNECTION);
	}
	req = calloc(1, sizeof(*req));
	if (!req) {
		client_release(c);
		return -ENOMEM;
	}
	req->service = svc;
	req->kind = kind;
	req->client = c;
	req->call = sd_bus_message_ref(m);
	req->next = svc->requests;
	svc->requests = req;
	svc->n_requests++;
	*ret = req;
	return 0;
}

/* Its caller left the bus: nobody to answer, and polkit is told to stop
 * (an authentication dialog shown for it goes away). */
static void on_client_gone(struct client *c, void *userdata)
{
	struct service *svc = userdata;

	for (struct request *req = svc->requests, *next; req; req = next) {
		next = req->next;
		if (req->client == c)
			request_free(req);
	}
}

/* What the caller wanted that the denied polkit action guards. */
static const char *request_purpose(const struct request *req, const char *action, char *buf, size_t size)
{
	if (req->kind == REQUEST_STATUS)
		return "read the status";
	if (req->kind == REQUEST_PROCESS)
		return "read what is known of a process";
	if (req->kind == REQUEST_RELOAD)
		return "reload the configuration";
	for (size_t i = 0; i < n_all_categories; i++)
		if (strcmp(all_categories[i].polkit_action, action) == 0)
			snprintf(buf, size, "subscribe to category '%s'", all_categories[i].name);
	return buf;
}

/* Whether @c may have one more subscription: checked before asking polkit
 * (a quick answer) and again once it said yes. */
static int subscription_limits(struct service *svc, struct client *c, sd_bus_error *error)
{
	int r = subscriptions_check_limits(svc->subscriptions, c);

	if (r == -EUSERS)
		return sd_bus_error_setf(error, BOMBUS_ERROR_TOO_MANY_SUBSCRIPTIONS,
					 "bombusd has its %u subscriptions", svc->daemon->config.max_subscriptions);
	if (r == -EDQUOT)
		return sd_bus_error_setf(error, BOMBUS_ERROR_TOO_MANY_SUBSCRIPTIONS,
					 "this client has its %u subscriptions",
					 svc->daemon->config.max_subscriptions_per_client);
	return r;
}

/* The options are read again, now into a filter: they were checked, without
 * allocating anything, before polkit was asked. */
static void reply_subscribe(struct request *req, sd_bus_message *call)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	struct subscription_filter filter;
	char path[64];
	int r;

	r = subscription_filter_from_message(call, req->service->daemon->iouring_opcode_names, &filter, &error);
	if (r < 0) {
		if (sd_bus_error_is_set(&error))
			sd_bus_reply_method_error(call, &error);
		else
			sd_bus_reply_method_errnof(call, r, "cannot read the options: %m");
		sd_bus_error_free(&error);
		return;
	}
	r = subscription_limits(req->service, req->client, &error);
	if (r < 0) {
		sd_bus_reply_method_error(call, &error);
		sd_bus_error_free(&error);
		subscription_filter_clear(&filter);
		return;
	}
	r = subscriptions_add(req->service->subscriptions, req->client, &filter, path);
	subscription_filter_clear(&filter);
	if (r < 0) {
		sd_bus_reply_method_errnof(call, r, "cannot add the subscription: %m");
		return;
	}
	log_debug("%s subscribed: %s", sd_bus_message_get_sender(call), path);
	sd_bus_reply_method_return(call, "o", path);
}

static void reply_status(struct request *req, sd_bus_message *call)
{
	struct service *svc = req->service;
	sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_message_new_method_return(call, &reply);
	if (r >= 0)
		r = status_append(reply, svc->daemon, authorizer_pending(svc->authorizer));
	if (r >= 0)
		r = sd_bus_send(svc->bus, reply, NULL);
	if (r < 0)
		sd_bus_reply_method_errnof(call, r, "cannot build the status: %m");
	sd_bus_message_unref(reply);
}

static void reply_process(struct request *req, sd_bus_message *call)
{
	struct daemon *d = req->service->daemon;
	_cleanup_(process_unrefp) struct process *p = process_cache_get_live(d->processes, req->pid);
	_cleanup_free_ char *json = p ? strndup(p->json, p->json_len) : NULL;

	if (!p) {
		sd_bus_reply_method_errorf(call, BOMBUS_ERROR_NO_SUCH_PROCESS,
					   "no running process with pid %u is known", req->pid);
		return;
	}
	if (!json) {
		sd_bus_reply_method_errno(call, ENOMEM, NULL);
		return;
	}
	sd_bus_reply_method_return(call, "s", json);
}

/* The settings whose new value waits for a restart; an invalid file is
 * refused with what is wrong ("FILE:LINE: what") and changes nothing. */
static void reply_reload(struct request *req, sd_bus_message *call)
{
	struct reload_report rep;
	sd_bus_message *reply = NULL;
	int r;

	r = daemon_reload(req->service->daemon, &rep);
	if (r < 0) {
		char quoted[sizeof(rep.error)];

		/* The message may quote the file, which need not be UTF-8:
		 * sd-bus would not send it, and the caller would wait. */
		sd_bus_reply_method_errorf(call, BOMBUS_ERROR_INVALID_CONFIGURATION, "%s",
					   quote_text(quoted, sizeof(quoted), rep.error));
		return;
	}
	r = sd_bus_message_new_method_return(call, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "s");
	for (size_t i = 0; r >= 0 && i < rep.n_needs_restart; i++)
		r = sd_bus_message_append(reply, "s", rep.needs_restart[i]);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(req->service->bus, reply, NULL);
	if (r < 0)
		sd_bus_reply_method_errnof(call, r, "reloaded, but cannot build the reply: %m");
	sd_bus_message_unref(reply);
}

static void on_authorized(int allowed, int64_t uid, const char *denied_action, const char *reason,
			  void *userdata)
{
	struct request *req = userdata;
	sd_bus_message *call = req->call;
	char purpose[64] = "subscribe";

	req->authorization = NULL; /* freed by our caller */
	if (uid >= 0)
		client_set_uid(req->client, uid);
	if (allowed == -ESRCH || client_gone(req->client))
		; /* the caller left: nobody to answer */
	else if (allowed == -EDQUOT)
		sd_bus_reply_method_errorf(call, SD_BUS_ERROR_LIMITS_EXCEEDED,
					   "uid %" PRIi64 " has %d calls waiting for polkit, try again", uid,
					   AUTHORIZE_MAX_PER_UID);
	else if (allowed == -EUSERS)
		sd_bus_reply_method_errorf(call, SD_BUS_ERROR_LIMITS_EXCEEDED,
					   "unprivileged callers have %d polkit checks waiting, try again",
					   AUTHORIZE_MAX_POLKIT_CALLS);
	else if (allowed == 0)
		sd_bus_reply_method_errorf(call, BOMBUS_ERROR_NOT_AUTHORIZED,
					   "not authorized to %s: polkit action %s was denied (%s)",
					   request_purpose(req, denied_action, purpose, sizeof(purpose)),
					   denied_action, reason);
	else if (allowed < 0)
		sd_bus_reply_method_errorf(call, BOMBUS_ERROR_NOT_AUTHORIZED,
					   "cannot check the authorization: %s", reason);
	else if (req->kind == REQUEST_SUBSCRIBE)
		reply_subscribe(req, call);
	else if (req->kind == REQUEST_STATUS)
		reply_status(req, call);
	else if (req->kind == REQUEST_RELOAD)
		reply_reload(req, call);
	else
		reply_process(req, call);
	request_free(req);
}

static int request_authorize(struct request *req, const char *const *actions, size_t n_actions)
{
	const struct polkit_subject subject = {
		.kind = POLKIT_SUBJECT_BUS_NAME,
		.bus_name = sd_bus_message_get_sender(req->call),
		.uid = client_uid(req->client),
	};
	int r = authorize(req->service->authorizer, &subject,
			  sd_bus_message_get_allow_interactive_authorization(req->call) > 0, actions,
			  n_actions, on_authorized, req, &req->authorization);

	if (r < 0) {
		request_free(req);
		return r;
	}
	return 1; /* answered later */
}

static int method_subscribe(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct service *svc = userdata;
	const char *actions[AUTHORIZE_MAX_ACTIONS];
	size_t n_actions = 0;
	struct request *req = NULL;
	uint32_t categories;
	int r;

	/* Before anything else, and bounded whatever the message's size:
	 * the options are checked, and their categories say which polkit
	 * actions to ask for. The filter is built once polkit said yes. */
	r = subscription_filter_check(m, svc->daemon->iouring_opcode_names, &categories, error);
	if (r < 0)
		return r;
	r = request_new(svc, REQUEST_SUBSCRIBE, m, error, &req);
	if (r < 0)
		return r;
	r = subscription_limits(svc, req->client, error);
	if (r < 0) {
		request_free(req);
		return r;
	}
	for (size_t i = 0; i < n_all_categories && n_actions < AUTHORIZE_MAX_ACTIONS; i++)
		if (categories & all_categories[i].category)
			actions[n_actions++] = all_categories[i].polkit_action;
	return request_authorize(req, actions, n_actions);
}

static int method_unsubscribe(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct service *svc = userdata;
	char quoted[128];
	const char *path;
	int r;

	r = sd_bus_message_read(m, "o", &path);
	if (r < 0)
		return r;
	r = subscriptions_remove(svc->subscriptions, sd_bus_message_get_sender(m), path);
	if (r < 0)
		return sd_bus_error_setf(error, BOMBUS_ERROR_NO_SUCH_SUBSCRIPTION,
					 "%s is not a subscription of yours", quote_text(quoted, sizeof(quoted), path));
	return sd_bus_reply_method_return(m, NULL);
}

static int method_get_status(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	static const char *const actions[] = {POLKIT_ACTION_STATUS};
	struct request *req = NULL;
	int r;

	r = request_new(userdata, REQUEST_STATUS, m, error, &req);
	if (r < 0)
		return r;
	return request_authorize(req, actions, ELEMENTSOF(actions));
}

static int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	static const char *const actions[] = {POLKIT_ACTION_RELOAD};
	struct request *req = NULL;
	int r;

	r = request_new(userdata, REQUEST_RELOAD, m, error, &req);
	if (r < 0)
		return r;
	return request_authorize(req, actions, ELEMENTSOF(actions));
}

static int method_get_process(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	/* A process's details are what its events show. */
	const char *const actions[] = {category_from_bit(CATEGORY_PROCESS)->polkit_action};
	struct request *req = NULL;
	uint32_t pid;
	int r;

	r = sd_bus_message_read(m, "u", &pid);
	if (r < 0)
		return r;
	r = request_new(userdata, REQUEST_PROCESS, m, error, &req);
	if (r < 0)
		return r;
	req->pid = pid;
	return request_authorize(req, actions, ELEMENTSOF(actions));
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
				sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", BOMBUS_VERSION);
}

static const sd_bus_vtable monitor_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_METHOD_WITH_ARGS("Subscribe", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("o", subscription),
				method_subscribe, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Unsubscribe", SD_BUS_ARGS("o", subscription), SD_BUS_NO_RESULT,
				method_unsubscribe, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("GetStatus", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{sv}", status),
				method_get_status, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("GetProcess", SD_BUS_ARGS("u", pid), SD_BUS_RESULT("s", json),
				method_get_process, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_RESULT("as", needs_restart), method_reload,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_ARGS("Event", SD_BUS_ARGS("o", subscription, "s", type, "s", json), 0),
	SD_BUS_SIGNAL_WITH_ARGS("Events", SD_BUS_ARGS("o", subscription, "a(ss)", events), 0),
	SD_BUS_SIGNAL_WITH_ARGS("Dropped", SD_BUS_ARGS("o", subscription, "t", count), 0),
	SD_BUS_VTABLE_END,
};

static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct service *svc = userdata;

	if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected")) {
		log_error("lost the connection to the system bus, stopping");
		daemon_stop(svc->daemon, -ECONNRESET);
	}
	return 0;
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct service *svc = userdata;
	uint64_t emitted = svc->daemon->counters.emitted;

	/* One line for "systemctl status": the rate, and whether anything is
	 * being lost (the details are in GetStatus). */
	sd_notifyf(0, "STATUS=%u subscriptions, %.0f events/s, %" PRIu64 " lost, %" PRIu64 " dropped",
		   svc->daemon->n_subscriptions,
		   (double)(emitted - svc->status_emitted) * 1e6 / STATUS_INTERVAL_USEC,
		   daemon_events_lost(svc->daemon), daemon_events_dropped(svc->daemon));
	svc->status_emitted = emitted;
	sd_event_source_set_time(s, usec + STATUS_INTERVAL_USEC);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* As sd_bus_open_system() would, but what the bus sends comes through the
 * input relay: no message holds the main loop for long, whatever its size. */
static int open_system_bus(struct service *svc)
{
	const char *address = getenv("DBUS_SYSTEM_BUS_ADDRESS") ?: DEFAULT_SYSTEM_BUS_ADDRESS;
	int bus_fd, input_fd = -1, r;

	bus_fd = bus_address_connect(address);
	if (bus_fd == -EPROTONOSUPPORT || bus_fd == -EINVAL || bus_fd == -ENAMETOOLONG)
		return log_error_errno(bus_fd,
				       "cannot connect to the system bus at %s: %m (bombusd connects "
				       "to \"unix:path=PATH\" addresses only)",
				       address);
	if (bus_fd < 0)
		return log_error_errno(bus_fd, "cannot connect to the system bus at %s: %m", address);
	r = bus_input_relay_new(svc->daemon->event, bus_fd, &input_fd, &svc->relay);
	if (r >= 0)
		r = sd_bus_new(&svc->bus);
	if (r >= 0)
		r = sd_bus_set_fd(svc->bus, input_fd, bus_fd);
	if (r < 0) {
		if (input_fd >= 0)
			close(input_fd);
		close(bus_fd);
		return log_error_errno(r, "cannot set up the system bus connection: %m");
	}
	/* What sd_bus_open_system() sets: a bus client on a system bus, whose
	 * callers are not trusted. No file descriptors: the relay does not
	 * pass them on. */
	r = sd_bus_set_description(svc->bus, "bombusd");
	if (r >= 0)
		r = sd_bus_set_bus_client(svc->bus, 1);
	if (r >= 0)
		r = sd_bus_set_trusted(svc->bus, 0);
	if (r >= 0)
		r = sd_bus_negotiate_creds(
			svc->bus, 1, SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID | SD_BUS_CREDS_EFFECTIVE_CAPS);
	if (r >= 0)
		r = sd_bus_negotiate_fds(svc->bus, 0);
	if (r >= 0)
		r = sd_bus_start(svc->bus);
	if (r < 0)
		return log_error_errno(r, "cannot connect to the system bus: %m");
	return 0;
}

int service_new(struct daemon *d, struct authorizer *az, struct service **ret)
{
	struct service *svc = calloc(1, sizeof(*svc));
	int r;

	if (!svc)
		return log_error_errno(ENOMEM, "%m");
	svc->daemon = d;
	svc->authorizer = az;
	svc->notify = getenv("NOTIFY_SOCKET") != NULL;
	r = open_system_bus(svc);
	if (r < 0)
		goto fail;
	r = loop_stats_attach(d->event);
	if (r >= 0)
		r = sd_bus_attach_event(svc->bus, d->event, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = sd_bus_add_filter(svc->bus, &svc->filter, on_message, svc);
	if (r >= 0)
		r = sd_bus_add_object_vtable(svc->bus, &svc->object, BOMBUS_OBJECT_PATH, BOMBUS_INTERFACE,
					     monitor_vtable, svc);
	if (r >= 0) {
		authorizer_set_bus(az, svc->bus);
		r = subscriptions_new(d, svc->bus, &svc->subscriptions);
	}
	if (r >= 0)
		subscriptions_on_client_gone(svc->subscriptions, on_client_gone, svc);
	if (r >= 0) {
		r = daemon_add_output(d, subscriptions_output(svc->subscriptions));
		if (r < 0)
			subscriptions_output(svc->subscriptions)
				->ops->free(subscriptions_output(svc->subscriptions));
	}
	if (r < 0) {
		svc->subscriptions = NULL;
		log_error_errno(r, "cannot set up the D-Bus service: %m");
		goto fail;
	}
	*ret = svc;
	return 0;
fail:
	service_free(svc);
	return r;
}

/* RequestName's answer: bombusd serves once it owns the name, and stops
 * when it cannot. */
static int on_name_request_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct service *svc = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	uint32_t answer = 0;
	int r = 0;

	svc->name_request = sd_bus_slot_unref(svc->name_request);
	if (e)
		r = log_error_errno(sd_bus_message_get_errno(reply),
				    "cannot own %s on the system bus: %s (is dbus/%s.conf installed?)",
				    BOMBUS_BUS_NAME, e->message, BOMBUS_BUS_NAME);
	else if (sd_bus_message_read(reply, "u", &answer) < 0 || answer != REQUEST_NAME_PRIMARY_OWNER)
		r = log_error_errno(EEXIST, "%s is owned by another process (is bombusd already running?)",
				    BOMBUS_BUS_NAME);
	if (r >= 0) {
		log_info("serving %s on the system bus", BOMBUS_BUS_NAME);
		if (svc->notify) {
			r = sd_event_add_time_relative(svc->daemon->event, &svc->status_timer,
						       CLOCK_MONOTONIC, STATUS_INTERVAL_USEC, 0,
						       on_status_timer, svc);
			if (r < 0)
				log_error_errno(r, "cannot add the status timer: %m");
			else
				sd_notify(0, "READY=1\nSTATUS=0 subscriptions");
		}
	}
	if (r < 0)
		daemon_stop(svc->daemon, r);
	return 0;
}

int service_start(struct service *svc)
{
	int r;

	/* Last: a caller that activated us is answered once we own the name.
	 * Answered in the loop, as everything the bus sends (the input
	 * relay). */
	r = sd_bus_request_name_async(svc->bus, &svc->name_request, BOMBUS_BUS_NAME, 0,
				      on_name_request_answer, svc);
	if (r < 0)
		return log_error_errno(r, "cannot ask for %s on the system bus: %m", BOMBUS_BUS_NAME);
	return 0;
}

void service_free(struct service *svc)
{
	if (!svc)
		return;
	while (svc->requests)
		request_free(svc->requests);
	/* Its checks were cancelled: polkit is asked on no other bus. */
	authorizer_set_bus(svc->authorizer, NULL);
	sd_event_source_disable_unref(svc->status_timer);
	sd_bus_slot_unref(svc->object);
	sd_bus_slot_unref(svc->filter);
	sd_bus_slot_unref(svc->name_request);
	/* First: the loop has stopped, nothing would read the pair, and
	 * sd_bus_flush() waits for the bus to run (Hello's answer) before
	 * writing; without the relay it gets the end of the stream instead. */
	bus_input_relay_free(svc->relay);
	if (svc->bus) {
		sd_bus_flush(svc->bus);
		sd_bus_detach_event(svc->bus);
		sd_bus_close(svc->bus);
	}
	sd_bus_unref(svc->bus);
	free(svc);
}
