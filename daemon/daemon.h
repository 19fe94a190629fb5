/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's shared state and its one path for events: the event loop, the
 * process cache, the outputs events are dispatched to, and the counters.
 * Monitors (decode/) hand it events; it renders each once (render/) and gives
 * the same bytes to every output that wants the event's category (output/,
 * dbus/).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "configuration.h"
#include "event.h"
#include "macro.h"
#include "output/output.h"
#include "process/process-cache.h"
#include "render/json-writer.h"

#define DAEMON_MAX_OUTPUTS 4
#define DAEMON_MAX_MONITORS 4

struct iouring_opcodes;
struct monitor;
struct ringbuf_poller;

struct daemon {
	struct config config;
	sd_event *event;
	struct ringbuf_poller *ring_poller; /* reads the monitors' rings */
	int64_t boot_to_real_ns;
	uint64_t started_usec; /* CLOCK_MONOTONIC, for the status's uptime */
	uint64_t tick_ns;
	struct process_cache *processes;
	struct output *outputs[DAEMON_MAX_OUTPUTS];
	size_t n_outputs;
	struct monitor *monitors[DAEMON_MAX_MONITORS];
	size_t n_monitors;
	struct monitor *process_monitor; /* feeds the process cache */
	struct json_writer writer;       /* each event is rendered here */
	/* The running kernel's io_uring opcode names, for subscriptions that
	 * choose opcodes; NULL without IOUringMon. */
	const struct iouring_opcodes *iouring_opcode_names;
	/* The journal output; NULL without one (Categories= lists none, or
	 * --stdout). A reload changes its categories or makes it. */
	struct output *journal;
	/* Reads the settings anew, as at start (main.c: defaults, the config
	 * file, then the command line), into @c; on error, what is wrong in
	 * @error. NULL: no reloading. */
	int (*load_config)(void *userdata, struct config *c, char *error, size_t error_size);
	void *load_config_userdata;
	/* Subscriptions of every API: [Subscriptions] Max bounds them all. */
	unsigned n_subscriptions;
	int exit_status;
	bool stopping; /* SIGTERM or SIGINT came */
	bool stop_now; /* a second one came */
	/* malloc's free memory at the last housekeeping, and after the last
	 * malloc_trim() (SIZE_MAX: none yet) */
	size_t free_memory_seen, free_memory_trimmed;

	/* The kernel pre-filter by context (bpf/lib/records.h): on when every
	 * output wanting events chooses by context; then the monitors' maps
	 * hold watched_ids, the highest watched cgroups (sorted). */
	struct {
		bool on;
		bool full_said; /* more than BOMBUS_WATCHED_CGROUPS was said once */
		uint64_t *ids;
		size_t n_ids;
	} context_filter;

	/* Losses and gaps found in user space; each in the counters line and
	 * GetStatus (docs/events.md). */
	struct {
		uint64_t emitted;         /* events handed to at least one output */
		uint64_t malformed;       /* kernel records that failed validation */
		uint64_t no_memory;       /* events lost to allocation failure */
		uint64_t cache_misses;    /* events of processes the cache did not know */
		uint64_t binary_unknown;  /* clones whose parent's program the cache had lost */
		uint64_t path_incomplete; /* binary paths whose start a kernel read could not give */
		uint64_t args_unreadable; /* argv areas the kernel could not read */
	} counters;
};

int daemon_new(const struct config *config, struct daemon **ret);
void daemon_free(struct daemon *d);
DEFINE_POINTER_CLEANUP(struct daemon, daemon_free)

int daemon_add_output(struct daemon *d, struct output *o);
/* Takes ownership of a started monitor. */
int daemon_add_monitor(struct daemon *d, struct monitor *m);
/* What a monitor of @d needs from it before monitor_start(): the loop, the
 * settings, the categories wanted now, the flush after each batch, and the
 * process monitor whose records come first. */
void daemon_monitor_init(struct daemon *d, struct monitor *m);

/* The union of the categories the outputs want. */
uint32_t daemon_wanted_categories(const struct daemon *d);
/* The io_uring opcodes that the outputs wanting io_uring events want. */
struct opcode_set daemon_wanted_opcodes(const struct daemon *d);
/* After an output changed its categories or io_uring opcodes: tells the
 * monitors' BPF programs. */
void daemon_categories_changed(struct daemon *d);
/* Output @o now wants @categories and @opcodes: the BPF programs are told
 * when that changes what the outputs want. */
void daemon_output_wants(struct daemon *d, struct output *o, uint32_t categories, const struct opcode_set *opcodes);
/* Output @o's subscriptions changed what they watch by context (@by_context:
 * all of them choose by it, see struct output): the kernel pre-filter is
 * turned on or off and its cgroups computed anew. */
void daemon_output_watches(struct daemon *d, struct output *o, bool by_context);
/* The kernel made cgroup @id at @path: the pre-filter lets it through when
 * it is watched. */
void daemon_cgroup_made(struct daemon *d, uint64_t id, const char *path);

/* A reference to the snapshot of @task's process for an event: the cached
 * one, or, for a process the cache does not know (counted: cache_misses),
 * one made from @task with its program unknown. NULL on allocation failure
 * (counted: no_memory). */
struct process *daemon_process_of(struct daemon *d, const struct bombus_task *task);
/* A reference to the snapshot of @task's parent; NULL when unknown. */
struct process *daemon_parent_of(struct daemon *d, const struct bombus_task *task);
/* Fills in an event that @task made at @time_ns: the task, references to
 * its process's snapshot (daemon_process_of()) and its parent's. False when
 * there is no snapshot to be had (counted). */
bool daemon_event_of_task(struct daemon *d, struct event *ev, uint64_t time_ns, const struct bombus_task *task);

/* Renders @ev once and hands it to every output that wants its category;
 * nothing is rendered when none does. */
void daemon_emit(struct daemon *d, const struct event *ev);
/* After a batch of events: lets outputs write what they queued. */
void daemon_flush(struct daemon *d);

/* How long bombusd may spend, once told to stop, delivering what is queued. */
#define DAEMON_STOP_TIMEOUT_USEC (3u * 1000000u)

/* Ends the main loop; @status < 0 makes the exit status a failure. */
void daemon_stop(struct daemon *d, int status);
/* Whether a SIGTERM or SIGINT waits (after the loop ended): stop at once. */
bool daemon_stop_signal_pending(void);

struct named_counter {
	const char *name;
	uint64_t value;
};

/* Every counter of a loss or gap other than the rings' and the outputs'
 * (docs/events.md), for the counters line and GetStatus. */
#define DAEMON_LOSS_COUNTERS 12
size_t daemon_loss_counters(struct daemon *d, struct named_counter out[static DAEMON_LOSS_COUNTERS]);

/* Events the kernel could not queue (ring full), over all rings. */
uint64_t daemon_events_lost(struct daemon *d);
/* Events dropped in user space: malformed, no memory, outputs' drops. */
uint64_t daemon_events_dropped(struct daemon *d);

/* One line of counters, for SIGUSR1 and exit. */
void daemon_log_counters(struct daemon *d);

int daemon_run(struct daemon *d);
