/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What bombus knows of a process: immutable, reference-counted snapshots.
 *
 * An exec or a clone makes a new snapshot of the process (its task as the
 * record showed it: identity, parent, credentials), which refers to an exec
 * image: what the exec left (binary, args, secureexec, IMA hash), shared by
 * the process and the clones that have not exec'd since. Neither changes
 * after it is made; the process cache maps (pid, start) to the current
 * snapshot, and whoever uses one (an event being handled) holds a reference,
 * so the cache may drop its own at any time.
 *
 * Each is rendered once, when made: the snapshot as the whole process object
 * of docs/events.md, the image as the object's fields from "secureexec" on.
 * Wall-clock times (start_time) use the boot-to-wall offset of that moment.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../bpf/bombus.h"
#include "../render/process-json.h"

struct exec_image {
	unsigned refs; /* 0: the static empty image, never freed */
	size_t block_size; /* of its snapshot_alloc() block */
	struct image_fields fields; /* strings point into data */
	size_t json_len; /* json: ,"secureexec":...,"args":"..."[,"incomplete":...] */
	const char *json;
	char data[];
};

/* Copies @fields (whose strings are valid UTF-8); NULL on allocation failure. */
struct exec_image *exec_image_new(const struct image_fields *fields);
/* The image of a process whose program bombus does not know: empty strings. */
struct exec_image *exec_image_unknown(void);
struct exec_image *exec_image_ref(struct exec_image *image);
void exec_image_unref(struct exec_image *image);

struct process {
	unsigned refs;
	size_t block_size; /* of its snapshot_alloc() block */
	/* The task when the snapshot was made: its pid and start_ns are the
	 * process's key; tid, ppid and credentials are the exec's or clone's. */
	struct bombus_task task;
	bool start_coarse; /* seeded from /proc: start_ns known to a clock tick only */
	bool cloned;       /* forked and has not exec'd since */
	struct exec_image *image;

	/* Owned by the process cache, not part of the snapshot's value. */
	struct process *bucket_next;
	struct process *exited_next;
	uint64_t exited_ns; /* 0 while alive */

	size_t json_head_len; /* json up to and with "tid": */
	size_t json_len;
	char json[]; /* the process object, with this snapshot's task and context */
};

/* A new snapshot (one reference, the caller's) of @task running @image (a
 * reference is taken). NULL on allocation failure. */
struct process *process_new(const struct bombus_task *task, bool cloned, bool start_coarse,
			    struct exec_image *image, int64_t boot_to_real_ns);
struct process *process_ref(struct process *p);
void process_unref(struct process *p);
static inline void process_unrefp(struct process **p)
{
	if (*p)
		process_unref(*p);
}

/* Whether @a and @b name the same thread with the same parent, credentials
 * and context: then an event's task renders as the snapshot's. */
bool bombus_task_same_state(const struct bombus_task *a, const struct bombus_task *b);
