/* SPDX-License-Identifier: GPL-2.0-only */
/* The status as a JSON object (the Varlink GetStatus): dictionaries and
 * tuples are objects (a tuple's members by name), arrays are arrays, u32 and
 * u64 are integers. */
#pragma once

#include <stdbool.h>

#include "render/json-writer.h"
#include "status.h"

struct status_json_sink {
	struct status_sink sink;
	struct json_writer *w;
	unsigned depth;
	bool has_members[STATUS_MAX_DEPTH]; /* of each open container: commas */
};

/* Appends to @w, from where it is. */
void status_json_sink_init(struct status_json_sink *j, struct json_writer *w);
