/* SPDX-License-Identifier: GPL-2.0-only */
/* Deciding, without blocking, whether the sender of a method call may do
 * what it asks: its uid comes from the bus (GetConnectionUnixUser); uid 0 is
 * allowed at once, anyone else needs polkit's yes for every action asked. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-bus.h>

#define AUTHORIZE_MAX_ACTIONS 4

struct authorization;

/* @allowed: 1 all actions allowed; 0 @denied_action was not (@reason says
 * why, for the error message); -ESRCH the caller left the bus; other < 0
 * the answer could not be had (@reason says why). The authorization is freed
 * after this returns. */
typedef void (*authorize_done_fn)(sd_bus_message *call, int allowed, const char *denied_action,
				  const char *reason, void *userdata);

int authorize_call(sd_bus *bus, sd_bus_message *call, const char *const *actions, size_t n_actions,
		   authorize_done_fn done, void *userdata, struct authorization **ret);
/* Stops a check whose answer is no longer wanted; @done is not called. */
void authorization_cancel(struct authorization *a);
