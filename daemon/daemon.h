/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon's shared state: the event loop, the process cache, the outputs
 * events are dispatched to, and the counters. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "event.h"
#include "hooks.h"
#include "macro.h"
#include "output.h"
#include "process-cache.h"

#define DAEMON_MAX_OUTPUTS 4
#define CONFIG_MAX_DISABLED_HOOKS 8

/* Defaults, then the config file (daemon/conf-file.h), then the command line. */
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

struct monitor;
#define DAEMON_MAX_MONITORS 4

struct daemon {
	struct config config;
	sd_event *event;
	int64_t boot_to_real_ns;
	uint64_t tick_ns;
	struct process_cache *processes;
	struct output *outputs[DAEMON_MAX_OUTPUTS];
	size_t n_outputs;
	struct monitor *monitors[DAEMON_MAX_MONITORS];
	size_t n_monitors;
	struct monitor *process_monitor; /* feeds the process cache */
	int exit_status;

	struct {
		uint64_t emitted;         /* events handed to at least one output */
		uint64_t malformed;       /* kernel records that failed validation */
		uint64_t no_memory;       /* events lost to allocation failure */
		uint64_t cache_misses;    /* events of processes the cache did not know */
	} counters;
};

int daemon_new(const struct config *config, struct daemon **ret);
void daemon_free(struct daemon *d);
DEFINE_POINTER_CLEANUP(struct daemon, daemon_free)

int daemon_add_output(struct daemon *d, struct output *o);
/* Takes ownership of a started monitor. */
int daemon_add_monitor(struct daemon *d, struct monitor *m);

/* The union of the categories the outputs want. */
uint32_t daemon_wanted_categories(const struct daemon *d);
/* After an output changed its categories: tells the monitors' BPF programs. */
void daemon_categories_changed(struct daemon *d);
/* Sets @ev's process and parent for a record about (@pid, @start_ns) from the
 * process cache (the process monitor's earlier records handled). A process
 * the cache does not know is counted and made in @scratch (the caller clears
 * it) from @tid and @creds; its ids are -1 (unknown) when @creds is NULL. */
void daemon_event_process(struct daemon *d, struct event *ev, uint32_t pid, uint32_t tid, uint64_t start_ns,
			  const struct bombus_creds *creds, struct process *scratch);

/* Serializes @ev once and hands it to every output that wants its category;
 * nothing is serialized when none does. */
void daemon_emit(struct daemon *d, const struct event *ev);
/* After a batch of events: lets outputs write what they queued. */
void daemon_flush(struct daemon *d);

/* Ends the main loop; @status < 0 makes the exit status a failure. */
void daemon_stop(struct daemon *d, int status);

/* One line of counters, for SIGUSR1 and exit. */
void daemon_log_counters(struct daemon *d);

int daemon_run(struct daemon *d);
