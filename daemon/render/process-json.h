/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The process object of events (docs/events.md), in the three parts events
 * put together: the head that never changes for a snapshot, the task fields
 * that each event may have its own of (who acted, as whom), and the fields
 * of the exec image (binary, args), which clones share.
 *
 *   {"start_time":"...","cloned":false,"pid":N,"tid":   head
 *   N,"ppid":N,"uid":N,...,"cap_effective":"..."        task
 *   ,"secureexec":"...",...,"args":"..."                image (then bombus's own fields)
 *   ,"exec_id":"...",...,"namespaces":{...},...         context (bombus's own)
 *   }
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "../../bpf/bombus.h"
#include "json-writer.h"

/* enum image_incomplete: parts missing from an exec image's strings, shown
 * in the field "incomplete" (docs/events.md). */
enum image_incomplete {
	IMAGE_INCOMPLETE_BINARY_PATH = 1 << 0, /* a kernel read failed: the path lacks its start */
	IMAGE_INCOMPLETE_ARGS = 1 << 1,        /* the argv area could not be read */
};

struct image_fields {
	uint32_t secureexec; /* enum bombus_secureexec */
	uint32_t incomplete; /* enum image_incomplete */
	const char *filename, *binary_path, *args; /* never NULL */
	const char *ima_hash; /* NULL: no field */
};

void process_json_head(struct json_writer *w, int64_t start_realtime_ns, bool cloned, uint32_t pid);
void process_json_task(struct json_writer *w, const struct bombus_task *task);
/* exec_id, parent_exec_id, the cgroup's fields and the namespaces of @task,
 * as far as its flags say they are known. */
void process_json_context(struct json_writer *w, const struct bombus_task *task);
void process_json_image(struct json_writer *w, const struct image_fields *image);
