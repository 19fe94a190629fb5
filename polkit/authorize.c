// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authorize.h"
#include "polkit.h"
#include "quote.h"

/* Checks waiting for polkit, per uid: an entry exists while it has some. */
struct uid_pending {
	struct uid_pending *next;
	uint32_t uid;
	unsigned n;
};

struct authorizer {
	sd_event *event;
	sd_bus *bus; /* NULL: polkit cannot be asked */
	struct uid_pending *uids;
	unsigned n_pending;	 /* authorizations asking polkit */
	unsigned n_polkit_calls; /* their calls in flight */
	uint64_t next_id;	 /* of cancellation ids */
};

/* One polkit question: which action, of which authorization. */
struct polkit_question {
	struct authorization *authorization;
	size_t index;
	sd_bus_slot *slot;
	char cancellation_id[48];
};

struct authorization {
	struct authorizer *az;
	struct polkit_subject subject; /* its bus name is owned */
	bool interactive;
	authorize_done_fn done;
	void *userdata;
	sd_bus_slot *uid_query;
	sd_event_source *defer;	     /* no need to ask the bus for the uid */
	struct uid_pending *counted; /* while polkit is asked */
	const char *actions[AUTHORIZE_MAX_ACTIONS];
	struct polkit_question questions[AUTHORIZE_MAX_ACTIONS];
	size_t n_actions, n_waiting;
	/* the first action, in request order, that was not allowed */
	size_t denied;
	char denied_reason[128];
	int error; /* the first failure to get an answer */
	char error_reason[256];
};

int authorizer_new(sd_event *event, struct authorizer **ret)
{
	struct authorizer *az = calloc(1, sizeof(*az));

	if (!az)
		return -ENOMEM;
	az->event = sd_event_ref(event);
	*ret = az;
	return 0;
}

void authorizer_set_bus(struct authorizer *az, sd_bus *bus)
{
	sd_bus_unref(az->bus);
	az->bus = sd_bus_ref(bus);
}

void authorizer_free(struct authorizer *az)
{
	if (!az)
		return;
	while (az->uids) {
		struct uid_pending *u = az->uids;

		az->uids = u->next;
		free(u);
	}
	sd_bus_unref(az->bus);
	sd_event_unref(az->event);
	free(az);
}

unsigned authorizer_pending(const struct authorizer *az)
{
	return az->n_pending;
}

/* Counts @a against its uid's quota and the polkit calls of all; -EDQUOT or
 * -EUSERS when full. */
static int count_pending(struct authorization *a)
{
	struct authorizer *az = a->az;
	struct uid_pending *u;

	for (u = az->uids; u && u->uid != (uint32_t)a->subject.uid; u = u->next)
		;
	if (u && u->n >= AUTHORIZE_MAX_PER_UID)
		return -EDQUOT;
	if (az->n_polkit_calls + a->n_actions > AUTHORIZE_MAX_POLKIT_CALLS)
		return -EUSERS;
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u)
			return -ENOMEM;
		u->uid = (uint32_t)a->subject.uid;
		u->next = az->uids;
		az->uids = u;
	}
	u->n++;
	az->n_pending++;
	a->counted = u;
	return 0;
}

static void uncount_pending(struct authorization *a)
{
	struct authorizer *az = a->az;
	struct uid_pending **p = &az->uids;

	if (!a->counted)
		return;
	az->n_pending--;
	if (--a->counted->n == 0) {
		while (*p != a->counted)
			p = &(*p)->next;
		*p = a->counted->next;
		free(a->counted);
	}
	a->counted = NULL;
}

/* Ends the polkit call of @q, telling polkit when it is still in flight. */
static void question_end(struct authorization *a, struct polkit_question *q, bool cancel)
{
	if (!q->slot)
		return;
	if (cancel)
		(void)polkit_cancel(a->az->bus, q->cancellation_id);
	q->slot = sd_bus_slot_unref(q->slot);
	a->az->n_polkit_calls--;
}

static void authorization_free(struct authorization *a, bool cancel)
{
	sd_bus_slot_unref(a->uid_query);
	sd_event_source_disable_unref(a->defer);
	for (size_t i = 0; i < a->n_actions; i++)
		question_end(a, &a->questions[i], cancel);
	uncount_pending(a);
	free((char *)a->subject.bus_name);
	free(a);
}

void authorization_cancel(struct authorization *a)
{
	if (a)
		authorization_free(a, true);
}

static void authorization_finish(struct authorization *a, int allowed)
{
	a->done(allowed, a->subject.uid, allowed == 0 ? a->actions[a->denied] : NULL,
		allowed == 0 ? a->denied_reason : a->error_reason, a->userdata);
	/* Questions still in flight (a failure to send one) are cancelled. */
	authorization_free(a, true);
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct polkit_question *q = userdata;
	struct authorization *a = q->authorization;
	size_t i = q->index;
	bool challenge;
	int r;

	question_end(a, q, false);
	a->n_waiting--;
	r = polkit_check_result(reply, &challenge);
	if (r < 0 && !a->error) {
		const sd_bus_error *e = sd_bus_message_get_error(reply);
		char quoted[160];

		a->error = r;
		snprintf(a->error_reason, sizeof(a->error_reason), "polkit could not check %s: %s",
			 a->actions[i],
			 quote_text(quoted, sizeof(quoted), e && e->message ? e->message : strerror(-r)));
	} else if (r == 0 && i < a->denied) {
		a->denied = i;
		snprintf(a->denied_reason, sizeof(a->denied_reason), "%s",
			 !challenge ? "not allowed by polkit"
			 : a->interactive
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

static void ask_polkit(struct authorization *a)
{
	int r;

	r = count_pending(a);
	if (r == -EDQUOT || r == -EUSERS) {
		authorization_finish(a, r);
		return;
	}
	if (r < 0) {
		snprintf(a->error_reason, sizeof(a->error_reason), "cannot ask polkit: %s", strerror(-r));
		authorization_finish(a, r);
		return;
	}
	for (size_t i = 0; i < a->n_actions; i++) {
		struct polkit_question *q = &a->questions[i];

		*q = (struct polkit_question){ .authorization = a, .index = i };
		snprintf(q->cancellation_id, sizeof(q->cancellation_id), "bombusd-%" PRIu64,
			 ++a->az->next_id);
		r = polkit_check_async(a->az->bus, &q->slot, &a->subject, a->actions[i], a->interactive,
				       q->cancellation_id, on_polkit_reply, q);
		if (r < 0) {
			snprintf(a->error_reason, sizeof(a->error_reason), "cannot ask polkit: %s",
				 strerror(-r));
			authorization_finish(a, r);
			return;
		}
		a->az->n_polkit_calls++;
		a->n_waiting++;
	}
}

static void uid_known(struct authorization *a)
{
	if (a->subject.uid == 0)
		authorization_finish(a, 1);
	else if (!a->az->bus) {
		snprintf(a->error_reason, sizeof(a->error_reason),
			 "bombusd runs without a system bus, polkit cannot be asked");
		authorization_finish(a, -ENOTCONN);
	} else
		ask_polkit(a);
}

static int on_uid(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct authorization *a = userdata;
	const sd_bus_error *e;
	char quoted[160];
	uint32_t uid;
	int r;

	a->uid_query = sd_bus_slot_unref(a->uid_query);
	e = sd_bus_message_get_error(reply);
	if (e) {
		bool gone = sd_bus_error_has_name(e, "org.freedesktop.DBus.Error.NameHasNoOwner");

		snprintf(a->error_reason, sizeof(a->error_reason), "cannot get the caller's uid: %s",
			 quote_text(quoted, sizeof(quoted), e->message ?: e->name));
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
	a->subject.uid = uid;
	uid_known(a);
	return 0;
}

/* A uid known already (or nobody to ask): the check goes on from the loop,
 * never from within authorize(). */
static int on_deferred(sd_event_source *source, void *userdata)
{
	struct authorization *a = userdata;

	a->defer = sd_event_source_disable_unref(a->defer);
	uid_known(a);
	return 0;
}

int authorize(struct authorizer *az, const struct polkit_subject *subject, bool interactive,
	      const char *const *actions, size_t n_actions, authorize_done_fn done, void *userdata,
	      struct authorization **ret)
{
	struct authorization *a;
	int r;

	if (n_actions == 0 || n_actions > AUTHORIZE_MAX_ACTIONS)
		return -EINVAL;
	if (subject->kind == POLKIT_SUBJECT_UNIX_PROCESS && subject->uid < 0)
		return -EINVAL; /* only a bus name's uid can be asked for */
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->az = az;
	a->subject = *subject;
	a->subject.bus_name = NULL;
	a->interactive = interactive;
	a->done = done;
	a->userdata = userdata;
	a->n_actions = n_actions;
	a->denied = n_actions;
	memcpy(a->actions, actions, n_actions * sizeof(*actions));
	if (subject->kind == POLKIT_SUBJECT_BUS_NAME) {
		a->subject.bus_name = strdup(subject->bus_name);
		if (!a->subject.bus_name) {
			authorization_free(a, false);
			return -ENOMEM;
		}
	}
	/* A unique name's uid never changes: no need to ask again. */
	if (subject->uid >= 0 || !az->bus)
		r = sd_event_add_defer(az->event, &a->defer, on_deferred, a);
	else
		r = sd_bus_call_method_async(az->bus, &a->uid_query, "org.freedesktop.DBus",
					     "/org/freedesktop/DBus", "org.freedesktop.DBus",
					     "GetConnectionUnixUser", on_uid, a, "s", subject->bus_name);
	if (r < 0) {
		authorization_free(a, false);
		return r;
	}
	*ret = a;
	return 0;
}
