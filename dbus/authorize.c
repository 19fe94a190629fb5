// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../polkit/polkit.h"
#include "authorize.h"

struct authorization;

/* One polkit question: which action, of which authorization. */
struct polkit_question {
	struct authorization *authorization;
	size_t index;
	sd_bus_slot *slot;
};

struct authorization {
	sd_bus *bus;
	sd_bus_message *call;
	authorize_done_fn done;
	void *userdata;
	sd_bus_slot *uid_query;
	const char *actions[AUTHORIZE_MAX_ACTIONS];
	struct polkit_question questions[AUTHORIZE_MAX_ACTIONS];
	size_t n_actions, n_waiting;
	/* the first action, in request order, that was not allowed */
	size_t denied;
	char denied_reason[128];
	int error; /* the first failure to get an answer */
	char error_reason[256];
};

void authorization_cancel(struct authorization *a)
{
	if (!a)
		return;
	sd_bus_slot_unref(a->uid_query);
	for (size_t i = 0; i < a->n_actions; i++)
		sd_bus_slot_unref(a->questions[i].slot);
	sd_bus_message_unref(a->call);
	sd_bus_unref(a->bus);
	free(a);
}

static void authorization_finish(struct authorization *a, int allowed)
{
	a->done(a->call, allowed, allowed == 0 ? a->actions[a->denied] : NULL,
		allowed == 0 ? a->denied_reason : a->error_reason, a->userdata);
	authorization_cancel(a);
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct polkit_question *q = userdata;
	struct authorization *a = q->authorization;
	size_t i = q->index;
	bool challenge;
	int r;

	q->slot = sd_bus_slot_unref(q->slot);
	a->n_waiting--;
	r = polkit_check_result(reply, &challenge);
	if (r < 0 && !a->error) {
		const sd_bus_error *e = sd_bus_message_get_error(reply);

		a->error = r;
		snprintf(a->error_reason, sizeof(a->error_reason), "polkit could not check %s: %s",
			 a->actions[i], e && e->message ? e->message : strerror(-r));
	} else if (r == 0 && i < a->denied) {
		a->denied = i;
		snprintf(a->denied_reason, sizeof(a->denied_reason), "%s",
			 !challenge ? "not allowed by polkit"
			 : sd_bus_message_get_allow_interactive_authorization(a->call) > 0
				 ? "authentication failed or was cancelled"
				 : "authentication is required, and the call did not allow interactive "
				   "authorization");
	}
	if (a->n_waiting > 0)
		return 0;
	/* A denial is a clearer answer than a failure to get another one. */
	authorization_finish(a, a->denied < a->n_actions ? 0 : a->error ? a->error : 1);
	return 0;
}

static int on_uid(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct authorization *a = userdata;
	const sd_bus_error *e;
	const char *sender = sd_bus_message_get_sender(a->call);
	bool interactive = sd_bus_message_get_allow_interactive_authorization(a->call) > 0;
	uint32_t uid;
	int r;

	a->uid_query = sd_bus_slot_unref(a->uid_query);
	e = sd_bus_message_get_error(reply);
	if (e) {
		bool gone = sd_bus_error_has_name(e, "org.freedesktop.DBus.Error.NameHasNoOwner");

		snprintf(a->error_reason, sizeof(a->error_reason), "cannot get the caller's uid: %s",
			 e->message ?: e->name);
		authorization_finish(a, gone ? -ESRCH : -EIO);
		return 0;
	}
	r = sd_bus_message_read(reply, "u", &uid);
	if (r < 0) {
		snprintf(a->error_reason, sizeof(a->error_reason), "cannot read the caller's uid: %s",
			 strerror(-r));
		authorization_finish(a, r);
		return 0;
	}
	if (uid == 0) {
		authorization_finish(a, 1);
		return 0;
	}
	for (size_t i = 0; i < a->n_actions; i++) {
		a->questions[i] = (struct polkit_question){.authorization = a, .index = i};
		r = polkit_check_async(a->bus, &a->questions[i].slot, sender, a->actions[i], interactive,
				       on_polkit_reply, &a->questions[i]);
		if (r < 0) {
			snprintf(a->error_reason, sizeof(a->error_reason), "cannot ask polkit: %s",
				 strerror(-r));
			authorization_finish(a, r);
			return 0;
		}
		a->n_waiting++;
	}
	return 0;
}

int authorize_call(sd_bus *bus, sd_bus_message *call, const char *const *actions, size_t n_actions,
		   authorize_done_fn done, void *userdata, struct authorization **ret)
{
	struct authorization *a;
	int r;

	if (n_actions == 0 || n_actions > AUTHORIZE_MAX_ACTIONS)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->bus = sd_bus_ref(bus);
	a->call = sd_bus_message_ref(call);
	a->done = done;
	a->userdata = userdata;
	a->n_actions = n_actions;
	a->denied = n_actions;
	memcpy(a->actions, actions, n_actions * sizeof(*actions));
	r = sd_bus_call_method_async(bus, &a->uid_query, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				     "org.freedesktop.DBus", "GetConnectionUnixUser", on_uid, a, "s",
				     sd_bus_message_get_sender(call));
	if (r < 0) {
		authorization_cancel(a);
		return r;
	}
	*ret = a;
	return 0;
}
