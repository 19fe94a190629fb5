/* SPDX-License-Identifier: GPL-2.0-only */
/* bombusd's settings: defaults (config_init_defaults), then the config file
 * (conf-file.h), then the command line (main.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/hooks.h"

#define CONFIG_MAX_DISABLED_HOOKS 8

struct config {
	bool stdout_output;       /* --stdout: no bus, no journal */
	bool verbose;
	enum hook_mode hook_mode;
	bool ima_hash;            /* binary_ima_hash in ProcessExec, where IMA and BPF LSM allow */
	size_t ringbuf_bytes;     /* per monitor, a power of two */
	size_t stdout_buffer_bytes;
	size_t process_cache_max; /* entries, live and exited */
	size_t process_cache_max_exited;

	/* Hooks left unattached, with the config file line that named them
	 * (0: --disable-hook), checked against the monitors' tables before
	 * anything starts. */
	struct {
		const char *monitor; /* "procmon" */
		char hook[32];
		unsigned line;
	} disabled_hooks[CONFIG_MAX_DISABLED_HOOKS];
	size_t n_disabled_hooks;

	/* Service mode */
	uint32_t journal_categories;  /* enum event_category bits logged to the journal */
	size_t journal_queue_bytes;   /* waiting for journald, beyond: dropped and counted */
	unsigned max_subscriptions;   /* in all */
	unsigned max_subscriptions_per_client;
	size_t subscriber_backlog_bytes; /* queued per subscription, beyond: dropped and counted */
	size_t subscriber_window_bytes;  /* sent per subscription before it must acknowledge */
	const char *iouring_opcodes; /* --iouring-opcodes list; NULL: all */
};

void config_init_defaults(struct config *c);
