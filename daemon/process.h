/* SPDX-License-Identifier: GPL-2.0-only */
/* What bombus knows of one process: the "process" and "parent" objects of
 * events. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "../bpf/bombus.h"

struct process {
	uint32_t pid, tid, ppid;
	uint64_t start_ns; /* CLOCK_BOOTTIME start of the thread-group leader */
	uint64_t parent_start_ns;
	bool start_coarse; /* seeded from /proc: start_ns known to a clock tick only */
	bool cloned;       /* forked and has not exec'd since */
	struct bombus_creds creds;
	uint32_t secureexec;
	char *filename, *binary_path, *args; /* never NULL once filled; "" when unknown */
	char *ima_hash; /* "ALGO:HEX" of the binary from IMA; NULL: no field */

	/* This process as JSON text, built on first use and dropped on any
	 * change: a parent is serialized once, not once per event. */
	char *json;
	size_t json_len;
	int64_t json_offset_ns;

	/* Owned by the process cache. */
	struct process *bucket_next;
	struct process *exited_next;
	uint64_t exited_ns; /* 0 while alive */
};

void process_clear_strings(struct process *p);
/* Takes ownership of the strings (NULL stays/becomes ""); the IMA hash is
 * dropped. Returns -ENOMEM if an empty string could not be made. */
int process_set_binary(struct process *p, char *binary_path, char *filename, char *args);
/* Copies the exec-derived fields (binary, args, IMA hash, secureexec) of @from. */
int process_copy_binary(struct process *p, const struct process *from);
void process_changed(struct process *p);

/* A new JSON object of the process, for embedding (e.g. ptrace's "child"). */
json_object *process_json_object(const struct process *p, int64_t boot_to_real_ns);

/* The process object as compact JSON text (owned by @p), with start_time
 * rendered using the given boot-to-wall offset; NULL on allocation failure. */
const char *process_json(struct process *p, int64_t boot_to_real_ns, size_t *len);
