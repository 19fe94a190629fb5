/* SPDX-License-Identifier: GPL-2.0-only */
/* What one subscription asks for: the options of Subscribe(a{sv}), checked,
 * and the test each event goes through for it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "event.h"

#define FILTER_MAX_NAMES    32 /* entries of option categories or types */
#define FILTER_MAX_UIDS	    256
#define FILTER_MAX_PREFIXES 64
#define FILTER_PREFIX_MAX   4096 /* bytes of one binary path prefix */

struct subscription_filter {
	uint32_t categories; /* enum event_category bits, never 0 */
	uint32_t types;	     /* event type bits (category.h); 0: every type of the categories */
	uint32_t *uids;	     /* real uid of the process; none: any */
	size_t n_uids;
	char **prefixes; /* binary path prefixes, whole path components; none: any */
	size_t n_prefixes;
	bool batch; /* Events() every 50 ms or 256 events instead of Event() */
	bool has_opcodes;              /* io_uring_opcodes given: IOUringEvents of these only */
	struct opcode_set opcodes;
};

struct iouring_opcodes;

/* Reads Subscribe()'s a{sv} from the start of @m's body. Unknown keys, wrong
 * value types, unknown categories or types and out-of-bound lists fail with
 * -EINVAL and org.bombus.Monitor1.Error.InvalidArgument in @error, naming
 * the offender (quoted: valid UTF-8, cut); -ENOMEM is bombusd's own failure.
 * The work is bounded by the options' bounds, not by the message's size:
 * each array is read element by element and refused at the first element
 * past its bound. */
/* Option io_uring_opcodes names opcodes from @opcode_names, the running
 * kernel's (NULL: io_uring is not monitored, the option is refused). */
int subscription_filter_from_message(sd_bus_message *m, const struct iouring_opcodes *opcode_names,
				     struct subscription_filter *f, sd_bus_error *error);
/* The same checks, allocating nothing: before the caller is authorized,
 * the categories (the polkit actions to ask for) of valid options. */
int subscription_filter_check(sd_bus_message *m, const struct iouring_opcodes *opcode_names,
			      uint32_t *ret_categories, sd_bus_error *error);
void subscription_filter_clear(struct subscription_filter *f);

/* Whether binary path @path is @prefix or lies under it: "/usr/bin" matches
 * "/usr/bin/ls" but not "/usr/binx"; "/" matches every absolute path. */
bool binary_path_has_prefix(const char *path, const char *prefix);

/* @type_bit: event_type_bit(ev->type), computed once per event. */
bool subscription_filter_match(const struct subscription_filter *f, const struct event *ev,
			       uint32_t type_bit);
