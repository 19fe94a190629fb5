/* SPDX-License-Identifier: GPL-2.0-only */
/* Subscribe(a{sv})'s options read from a D-Bus message into a subscription
 * filter (daemon/subscribe/filter.h says what they mean). */
#pragma once

#include <stdint.h>

#include <systemd/sd-bus.h>

#include "subscribe/filter.h"

/* Reads the a{sv} at the start of @m's body. Unknown keys, wrong value
 * types, unknown categories or types and out-of-bound lists fail with
 * -EINVAL and org.bombus.Monitor1.Error.InvalidArgument in @error, naming
 * the offender; -ENOMEM is bombusd's own failure. */
int subscription_filter_from_message(sd_bus_message *m, const struct iouring_opcodes *opcode_names,
				     struct subscription_filter *f, sd_bus_error *error);
/* The same checks, allocating nothing: before the caller is authorized,
 * the categories (the polkit actions to ask for) of valid options. */
int subscription_filter_check(sd_bus_message *m, const struct iouring_opcodes *opcode_names,
			      uint32_t *ret_categories, sd_bus_error *error);
