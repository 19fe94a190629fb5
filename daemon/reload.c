// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "log.h"
#include "reload.h"

static uint64_t now_monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void note(const char **list, size_t *n, const char *name)
{
	if (*n < RELOAD_MAX_SETTINGS)
		list[(*n)++] = name;
}

static bool disabled_hooks_equal(const struct config *a, const struct config *b)
{
	if (a->n_disabled_hooks != b->n_disabled_hooks)
		return false;
	/* The same names in the same order: the order a file lists them in
	 * does not change what is attached, but a reordered list is rare
	 * enough that calling it a change is harmless. */
	for (size_t i = 0; i < a->n_disabled_hooks; i++)
		if (strcmp(a->disabled_hooks[i].hook, b->disabled_hooks[i].hook) != 0)
			return false;
	return true;
}

/* The settings that are fixed once the BPF programs are loaded (their
 * maps' sizes, the attach points chosen, the programs attached) or the
 * process cache is made (its bounds, which its tables are sized for). */
static void check_restart_only(const struct config *cur, const struct config *new, struct reload_report *rep)
{
	const struct {
		const char *name;
		bool changed;
	} settings[] = {
		{ "HookMode", cur->hook_mode != new->hook_mode },
		{ "RingBufferSize", cur->ringbuf_bytes != new->ringbuf_bytes },
		{ "ProcessCacheSize", cur->process_cache_max != new->process_cache_max },
		{ "DisableHooks", !disabled_hooks_equal(cur, new) },
		{ "ImaHash", cur->ima_hash != new->ima_hash },
	};

	for (size_t i = 0; i < ELEMENTSOF(settings); i++)
		if (settings[i].changed) {
			log_warning("%s changed: takes effect at the next start", settings[i].name);
			note(rep->needs_restart, &rep->n_needs_restart, settings[i].name);
		}
}

/* The journal output takes the new categories and queue bound; made now
 * when bombusd started without one (Categories= listed none). The one step
 * that can fail, done before anything else changes. */
static int apply_journal(struct daemon *d, const struct config *new, struct reload_report *rep)
{
	struct config *cur = &d->config;
	int r;

	if (cur->stdout_output)
		return 0; /* no journal in that mode, whatever the file says */
	if (!d->journal && new->journal_categories) {
		struct output *out = NULL;

		r = output_journal_new(new->journal_categories, new->journal_queue_bytes, &out);
		if (r >= 0) {
			r = daemon_add_output(d, out);
			if (r < 0)
				out->ops->free(out);
		}
		if (r < 0) {
			snprintf(rep->error, sizeof(rep->error), "cannot start the journal output: %s",
				 strerror(-r));
			return log_error_errno(r, "cannot start the journal output: %m");
		}
		d->journal = out;
	} else if (d->journal) {
		d->journal->categories = new->journal_categories;
		output_journal_set_max_queue(d->journal, new->journal_queue_bytes);
	}
	if (cur->journal_categories != new->journal_categories)
		note(rep->applied, &rep->n_applied, "Journal.Categories");
	if (cur->journal_queue_bytes != new->journal_queue_bytes)
		note(rep->applied, &rep->n_applied, "Journal.QueueSize");
	return 0;
}

static int reload(struct daemon *d, struct reload_report *rep)
{
	struct config *cur = &d->config, new;
	bool categories_changed;
	int r;

	if (!d->load_config) {
		snprintf(rep->error, sizeof(rep->error), "this bombusd cannot reload its configuration");
		return -EOPNOTSUPP;
	}
	/* Whole, as at start: an error anywhere leaves everything as it is. */
	r = d->load_config(d->load_config_userdata, &new, rep->error, sizeof(rep->error));
	if (r < 0)
		return r;
	check_restart_only(cur, &new, rep);
	categories_changed = cur->journal_categories != new.journal_categories;
	r = apply_journal(d, &new, rep);
	if (r < 0)
		return r;
	cur->journal_categories = new.journal_categories;
	cur->journal_queue_bytes = new.journal_queue_bytes;
	/* Read where they are needed (dbus/subscriptions.c): in effect for
	 * the next Subscribe, the next event queued, the next window sent.
	 * Subscriptions beyond a lowered limit stay. */
#define APPLY(field, name)                                                                                   \
	do {                                                                                                 \
		if (cur->field != new.field) {                                                               \
			cur->field = new.field;                                                              \
			note(rep->applied, &rep->n_applied, name);                                           \
		}                                                                                            \
	} while (0)
	APPLY(max_subscriptions, "Subscriptions.Max");
	APPLY(max_subscriptions_per_client, "Subscriptions.MaxPerClient");
	APPLY(subscriber_backlog_bytes, "Subscriptions.BacklogSize");
	APPLY(subscriber_window_bytes, "Subscriptions.WindowSize");
#undef APPLY
	if (categories_changed)
		daemon_categories_changed(d);
	return 0;
}

int daemon_reload(struct daemon *d, struct reload_report *rep)
{
	int r;

	*rep = (struct reload_report){ 0 };
	/* MONOTONIC_USEC: systemd 253 and later match it with the reload they
	 * asked for; 252 ignores it and waits for READY=1 all the same. */
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, now_monotonic_usec());
	log_info("reloading the configuration");
	r = reload(d, rep);
	if (r < 0)
		log_error("configuration not reloaded, the running one stays: %s", rep->error);
	else
		log_info("configuration reloaded: %zu settings changed, %zu of them wait for a restart",
			 rep->n_applied + rep->n_needs_restart, rep->n_needs_restart);
	sd_notify(0, "READY=1");
	return r;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct reload_report rep;

	/* Logged by daemon_reload(), refused or not. */
	(void)daemon_reload(userdata, &rep);
	return 0;
}

int reload_watch(struct daemon *d)
{
	int r = sd_event_add_signal(d->event, NULL, SIGHUP, on_sighup, d);

	if (r < 0)
		return log_error_errno(r, "cannot watch SIGHUP: %m");
	return 0;
}
