/* SPDX-License-Identifier: GPL-2.0-only */
/* Deciding, without blocking, whether a client may do what it asks, for
 * every API of bombusd: the client is a polkit subject (a bus name, whose
 * uid comes from the bus (GetConnectionUnixUser) unless the caller already
 * knows it, or a Unix process, whose uid the caller knows); uid 0 is allowed
 * at once, anyone else needs polkit's yes for every action asked.
 *
 * Checks of unprivileged callers are bounded on their own, so that nobody
 * fills a quota that another needs: at most AUTHORIZE_MAX_PER_UID checks
 * per uid wait for polkit, and at most AUTHORIZE_MAX_POLKIT_CALLS polkit
 * calls are in flight for all of them together (kept well below the bus's
 * pending replies per connection, 128 by default, which bombusd's other
 * calls need too). Root asks polkit nothing and is never refused by them.
 * A check that is cancelled (its caller left) cancels its polkit calls.
 *
 * One authorizer serves every API, so that the quotas bound them all. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "polkit.h"

#define AUTHORIZE_MAX_ACTIONS	   4
#define AUTHORIZE_MAX_PER_UID	   16
#define AUTHORIZE_MAX_POLKIT_CALLS 64

struct authorizer;
struct authorization;

/* Without a bus (authorizer_set_bus()), only uid 0 is allowed: polkit
 * cannot be asked. */
int authorizer_new(sd_event *event, struct authorizer **ret);
/* The system bus that polkit is asked on (the D-Bus service's connection),
 * or NULL; only while no check is pending. */
void authorizer_set_bus(struct authorizer *az, sd_bus *bus);
/* After every authorization was cancelled or finished. */
void authorizer_free(struct authorizer *az);
DEFINE_POINTER_CLEANUP(struct authorizer, authorizer_free)
/* Checks waiting for polkit. */
unsigned authorizer_pending(const struct authorizer *az);

/* @allowed: 1 all actions allowed; 0 @denied_action was not (@reason says
 * why, for the error message); -ESRCH the caller left the bus; -EDQUOT its
 * uid has AUTHORIZE_MAX_PER_UID checks waiting, -EUSERS all unprivileged
 * callers have AUTHORIZE_MAX_POLKIT_CALLS polkit calls in flight;
 * -ENOTCONN there is no bus to ask polkit on; other < 0 the answer could
 * not be had (@reason says why, also for -ENOTCONN). @uid is the caller's,
 * or -1 when it could not be had. The authorization is freed after this
 * returns. */
typedef void (*authorize_done_fn)(int allowed, int64_t uid, const char *denied_action, const char *reason,
				  void *userdata);

/* Starts the check of @subject (copied) for @actions (static strings);
 * @done is always called later, from the event loop, never from within.
 * @interactive lets polkit ask the user to authenticate. */
int authorize(struct authorizer *az, const struct polkit_subject *subject, bool interactive,
	      const char *const *actions, size_t n_actions, authorize_done_fn done, void *userdata,
	      struct authorization **ret);
/* Stops a check whose answer is no longer wanted, and tells polkit (which
 * dismisses an authentication dialog it showed for it); @done is not
 * called. */
void authorization_cancel(struct authorization *a);
