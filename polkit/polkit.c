// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>

#include "polkit.h"

/* CheckAuthorizationFlags: AllowUserInteraction */
#define POLKIT_ALLOW_USER_INTERACTION 1u
/* An interactive check lasts as long as the user takes to type a password. */
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (5ULL * 60 * 1000 * 1000)

/* "(sa{sv})": its kind and details. */
static int append_subject(sd_bus_message *m, const struct polkit_subject *subject)
{
	if (subject->kind == POLKIT_SUBJECT_BUS_NAME)
		return sd_bus_message_append(m, "(sa{sv})", "system-bus-name", 1, "name", "s",
					     subject->bus_name);
	if (subject->uid < 0 || subject->uid > INT32_MAX)
		return -EINVAL;
	return sd_bus_message_append(m, "(sa{sv})", "unix-process", 3, "pid", "u", subject->pid, "start-time",
				     "t", subject->start_time, "uid", "i", (int32_t)subject->uid);
}

int polkit_check_async(sd_bus *bus, sd_bus_slot **slot, const struct polkit_subject *subject,
		       const char *action, bool interactive, const char *cancellation_id,
		       sd_bus_message_handler_t callback, void *userdata)
{
	sd_bus_message *call = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &call, "org.freedesktop.PolicyKit1",
					   "/org/freedesktop/PolicyKit1/Authority",
					   "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
	if (r >= 0)
		r = append_subject(call, subject);
	if (r >= 0)
		/* action, details, flags, cancellation id */
		r = sd_bus_message_append(call, "sa{ss}us", action, 0,
					  interactive ? POLKIT_ALLOW_USER_INTERACTION : 0u, cancellation_id);
	if (r >= 0)
		r = sd_bus_call_async(bus, slot, call, callback, userdata,
				      interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : 0);
	sd_bus_message_unref(call);
	return r;
}

int polkit_cancel(sd_bus *bus, const char *cancellation_id)
{
	sd_bus_message *call = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &call, "org.freedesktop.PolicyKit1",
					   "/org/freedesktop/PolicyKit1/Authority",
					   "org.freedesktop.PolicyKit1.Authority", "CancelCheckAuthorization");
	if (r >= 0)
		r = sd_bus_message_append(call, "s", cancellation_id);
	/* No reply wanted: nothing to wait for, and no pending reply counted
	 * against bombusd's connection by the bus. */
	if (r >= 0)
		r = sd_bus_message_set_expect_reply(call, false);
	if (r >= 0)
		r = sd_bus_send(bus, call, NULL);
	sd_bus_message_unref(call);
	return r;
}

int polkit_check_result(sd_bus_message *reply, bool *challenge)
{
	int authorized = 0, is_challenge = 0, r;

	*challenge = false;
	if (sd_bus_message_is_method_error(reply, NULL))
		return -sd_bus_message_get_errno(reply) ?: -EIO;
	r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
	if (r >= 0)
		r = sd_bus_message_read(reply, "bb", &authorized, &is_challenge);
	if (r < 0)
		return r;
	*challenge = is_challenge;
	return authorized ? 1 : 0;
}
