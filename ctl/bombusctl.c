// SPDX-License-Identifier: GPL-2.0-only
/* bombusctl: the command line client of org.bombus.Monitor1 and of
 * io.bombus.Monitor (transport.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "api.h"
#include "config.h"
#include "bus-json.h"
#include "exit-status.h"
#include "json-cleanup.h"
#include "metrics.h"
#include "status-print.h"
#include "transport.h"
#include "varlink-stream.h"

#define MAX_FILTERS 64

static struct {
	bool json;
	bool json_set;
	bool batch;
	bool ask_password;
	bool reconnect; /* monitor: subscribe again when bombusd comes back */
	uint64_t count; /* 0: until interrupted */
	const char *categories[MAX_FILTERS], *types[MAX_FILTERS], *prefixes[MAX_FILTERS], *opcodes[MAX_FILTERS];
	size_t n_categories, n_types, n_prefixes, n_opcodes;
	/* monitor: matched here, on the process object's context fields */
	const char *units[MAX_FILTERS], *containers[MAX_FILTERS];
	size_t n_units, n_containers;
	bool any_container;
	uint32_t uids[MAX_FILTERS];
	size_t n_uids;
	const char *output; /* metrics --output */
	enum transport_choice transport;
	const char *varlink_path; /* --varlink=PATH */
} arg = {.ask_password = true, .reconnect = true};

static void help(void)
{
	printf("Usage: bombusctl [OPTIONS] COMMAND\n"
	       "Talks to bombusd, the bombus security monitor, over Varlink when its socket\n"
	       "is there, else on the system bus (D-Bus).\n\n"
	       "Commands:\n"
	       "  status                 Show what bombusd monitors, its hooks and counters\n"
	       "  monitor                Print events as they happen, until interrupted\n"
	       "  process PID            Show what bombusd knows of a running process (JSON)\n"
	       "  metrics                Print the counters as OpenMetrics text\n"
	       "  reload                 Make bombusd read its configuration file again\n\n"
	       "Options of monitor:\n"
	       "  -c, --category=NAME    process, privilege or io_uring (repeatable)\n"
	       "  -t, --type=TYPE        Only events of this type, e.g. ProcessExec (repeatable)\n"
	       "      --uid=UID          Only processes with this real uid (repeatable)\n"
	       "      --prefix=PATH      Only binaries at or below PATH (repeatable)\n"
	       "      --unit=NAME        Only processes in this systemd unit, or below this slice\n"
	       "                         (repeatable); bombusd has the kernel leave out the\n"
	       "                         others while every subscriber chooses so\n"
	       "      --container=ID     Only processes of this container: its id (or a\n"
	       "                         prefix of at least 12 hex digits), or the name of\n"
	       "                         an LXC/LXD container or nspawn machine (repeatable)\n"
	       "      --containers       Only processes in any container\n"
	       "      --opcode=NAME      Only io_uring requests of this opcode, e.g. OPENAT; the\n"
	       "                         kernel sends no other while nobody else wants them\n"
	       "                         (repeatable)\n"
	       "      --json             JSON lines, as bombusd --stdout prints them (the default\n"
	       "                         when stdout is not a terminal)\n"
	       "      --no-json          One readable line per event\n"
	       "      --batch            Receive events in batches (less bus overhead)\n"
	       "  -n, --count=N          Exit after N events\n"
	       "      --no-reconnect     Exit (status 1) when bombusd goes away, instead of\n"
	       "                         subscribing again once it is back\n\n"
	       "Options of metrics:\n"
	       "      --output=FILE      Write them to FILE, replaced at once (a temporary\n"
	       "                         file in its directory, renamed)\n\n"
	       "Other options:\n"
	       "      --varlink[=PATH]   Talk Varlink to the socket PATH (default\n"
	       "                         $BOMBUS_VARLINK_ADDRESS, else " BOMBUS_VARLINK_SOCKET ")\n"
	       "      --dbus             Talk D-Bus, the only API of reload\n"
	       "      --no-ask-password  Do not let polkit ask for a password (only D-Bus can)\n"
	       "  -h, --help             Show this help\n"
	       "      --version          Show the version\n\n"
	       "Exit status: 0 success; 1 failure (e.g. bombusd unavailable); 2 invalid\n"
	       "arguments; 3 not authorized by polkit; 4 no such process; 5 too many\n"
	       "subscriptions. The bus is $DBUS_SYSTEM_BUS_ADDRESS when set.\n");
}

/* ---- status ------------------------------------------------------------ */

/* Reads "as" into one line, names separated by spaces. */
static int read_names(sd_bus_message *m, char *buf, size_t size)
{
	const char *name;
	size_t len = 0;
	int r;

	buf[0] = '\0';
	r = sd_bus_message_enter_container(m, 'a', "s");
	while (r >= 0 && (r = sd_bus_message_read(m, "s", &name)) > 0)
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s", len ? " " : "", name);
	if (!buf[0])
		snprintf(buf, size, "-");
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int cmd_status(const struct transport *t)
{
	_cleanup_(json_object_putp) json_object *status = NULL;
	int r = transport_get_status(t, true, "status", &status);

	if (r == EXIT_OK)
		status_print(status);
	return r;
}

/* ---- metrics ----------------------------------------------------------- */

/* @arg.output replaced at once: a reader (node_exporter) never sees half a
 * file. The temporary file is in the same directory, so rename() is atomic,
 * and its name does not end in .prom, which the textfile collector skips. */
static int write_metrics_file(json_object *status)
{
	size_t len = strlen(arg.output);
	char *tmp = malloc(len + sizeof(".tmp-XXXXXX"));
	FILE *f = NULL;
	int fd, r;

	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, arg.output, len);
	memcpy(tmp + len, ".tmp-XXXXXX", sizeof(".tmp-XXXXXX"));
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	/* Readable by the collector, whatever the umask. */
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		r = -errno;
		close(fd);
		goto fail;
	}
	r = metrics_write(status, f);
	if (r >= 0 && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0))
		r = -errno ?: -EIO;
	if (fclose(f) != 0 && r >= 0)
		r = -errno;
	if (r >= 0 && rename(tmp, arg.output) < 0)
		r = -errno;
fail:
	if (r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}

static int cmd_metrics(const struct transport *t)
{
	_cleanup_(json_object_putp) json_object *status = NULL;
	int r;

	/* Without D-Bus activation: a scrape (bombus-metrics.timer) must not
	 * start a bombusd that an administrator stopped. */
	r = transport_get_status(t, false, "metrics", &status);
	if (r != EXIT_OK)
		return r;
	r = arg.output ? write_metrics_file(status) : metrics_write(status, stdout);
	if (r >= 0 && !arg.output && fflush(stdout) != 0)
		r = -errno;
	if (r < 0) {
		fprintf(stderr, "bombusctl: cannot write the metrics%s%s: %s\n", arg.output ? " to " : "",
			arg.output ?: "", strerror(-r));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

/* ---- reload ------------------------------------------------------------ */

static int cmd_reload(sd_bus *bus)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	char names[512];
	int r;

	r = sd_bus_call_method(bus, BOMBUS_BUS_NAME, BOMBUS_OBJECT_PATH, BOMBUS_INTERFACE, "Reload", &error,
			       &reply, "");
	if (r < 0)
		r = bus_call_failed("Reload", &error, r);
	else if ((r = read_names(reply, names, sizeof(names))) < 0) {
		fprintf(stderr, "bombusctl: cannot read the reply of Reload: %s\n", strerror(-r));
		r = EXIT_FAILED;
	} else {
		if (strcmp(names, "-") != 0)
			printf("Take effect at the next start: %s\n", names);
		r = EXIT_OK;
	}
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	return r;
}

/* ---- process ----------------------------------------------------------- */

static int cmd_process(const struct transport *t, const char *pid_arg)
{
	_cleanup_free_ char *json = NULL;
	char *end;
	unsigned long pid;
	int r;

	errno = 0;
	pid = strtoul(pid_arg, &end, 10);
	if (errno || *end || end == pid_arg || pid == 0 || pid > UINT32_MAX) {
		fprintf(stderr, "bombusctl: process: '%s' is not a pid\n", pid_arg);
		return EXIT_USAGE;
	}
	r = transport_get_process(t, (uint32_t)pid, &json);
	if (r == EXIT_OK) {
		json_object *obj = isatty(STDOUT_FILENO) ? json_tokener_parse(json) : NULL;

		puts(obj ? json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
								       JSON_C_TO_STRING_NOSLASHESCAPE)
			 : json);
		json_object_put(obj);
	}
	return r;
}

/* ---- monitor ----------------------------------------------------------- */

struct monitor {
	sd_event *event;
	sd_bus *bus;
	char subscription[256];
	char daemon[256]; /* unique name of bombusd: only its signals count */
	sd_bus_slot *resubscribe;     /* Subscribe in flight after bombusd went away */
	sd_event_source *retry_timer; /* the next try, after a failed one */
	uint64_t seen;
	bool done;
};

#define RESUBSCRIBE_RETRY_USEC (2 * 1000 * 1000)

static const char *json_string(json_object *obj, const char *key)
{
	json_object *value;

	return json_object_object_get_ex(obj, key, &value) && json_object_is_type(value, json_type_string)
		       ? json_object_get_string(value)
		       : "";
}

static int64_t json_int(json_object *obj, const char *key)
{
	json_object *value;

	return json_object_object_get_ex(obj, key, &value) ? json_object_get_int64(value) : -1;
}

/* Where it ran: " [ssh.service]", " [container 0123456789ab]" (a hex id
 * shortened as docker ps does), or nothing. */
static void print_context(json_object *process)
{
	const char *container = json_string(process, "container_id"), *unit = json_string(process, "unit");

	if (*container)
		printf(" [container %.*s]",
		       strspn(container, "0123456789abcdef") == 64 ? 12 : (int)strlen(container), container);
	else if (*unit)
		printf(" [%s]", unit);
}

/* "15:04:05.123 ProcessExec pid 42 uid 1000 /usr/bin/ls -l [cron.service]  <- 41 /usr/bin/bash" */
static void print_readable(const char *type, const char *json)
{
	json_object *event = json_tokener_parse(json), *process = NULL, *parent = NULL;
	const char *timestamp;

	if (!event) {
		printf("%s %s\n", type, json);
		return;
	}
	json_object_object_get_ex(event, "process", &process);
	json_object_object_get_ex(event, "parent", &parent);
	timestamp = json_string(event, "timestamp");
	printf("%.12s %s pid %" PRId64 " uid %" PRId64 " %s%s%s",
	       strlen(timestamp) > 11 ? timestamp + 11 : timestamp, type, json_int(process, "pid"),
	       json_int(process, "uid"), json_string(process, "binary_path"),
	       *json_string(process, "args") ? " " : "", json_string(process, "args"));
	print_context(process);
	if (parent && json_object_is_type(parent, json_type_object))
		printf("  <- %" PRId64 " %s", json_int(parent, "pid"), json_string(parent, "binary_path"));
	putchar('\n');
	json_object_put(event);
}

static void monitor_print(struct monitor *mon, const char *type, const char *json)
{
	if (arg.json)
		puts(json);
	else
		print_readable(type, json);
	if (ferror(stdout) || (arg.count && ++mon->seen >= arg.count)) {
		/* Enough, or the reader went away (EPIPE). */
		fflush(stdout);
		mon->done = true;
		sd_event_exit(mon->event, EXIT_OK);
	}
}

static void monitor_dropped(void *userdata, uint64_t count)
{
	fflush(stdout);
	fprintf(stderr,
		"bombusctl: %" PRIu64 " events were dropped here: this client did not read fast enough\n",
		count);
}

/* Whoever reads our output sees each message's events at once. */
static void monitor_flush(void *userdata)
{
	struct monitor *mon = userdata;

	if (fflush(stdout) != 0 && !mon->done) {
		mon->done = true;
		sd_event_exit(mon->event, EXIT_OK);
	}
}

static void monitor_event(void *userdata, const char *type, const char *json)
{
	struct monitor *mon = userdata;

	if (!mon->done)
		monitor_print(mon, type, json);
}

static const struct varlink_stream_ops monitor_stream_ops = {
	.event = monitor_event,
	.dropped = monitor_dropped,
	.flush = monitor_flush,
};

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct monitor *mon = userdata;
	const char *path, *type, *json;
	uint64_t count;
	int r;

	if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected")) {
		fprintf(stderr, "bombusctl: lost the connection to the bus\n");
		sd_event_exit(mon->event, EXIT_FAILED);
		return 0;
	}
	if (!sd_bus_message_is_signal(m, BOMBUS_INTERFACE, NULL) || !sd_bus_message_get_sender(m) ||
	    !mon->daemon[0] || strcmp(sd_bus_message_get_sender(m), mon->daemon) != 0 ||
	    sd_bus_message_read(m, "o", &path) < 0 || strcmp(path, mon->subscription) != 0 || mon->done)
		return 0;
	if (sd_bus_message_is_signal(m, NULL, "Event")) {
		if (sd_bus_message_read(m, "ss", &type, &json) >= 0)
			monitor_print(mon, type, json);
	} else if (sd_bus_message_is_signal(m, NULL, "Events")) {
		r = sd_bus_message_enter_container(m, 'a', "(ss)");
		while (r >= 0 && !mon->done && (r = sd_bus_message_read(m, "(ss)", &type, &json)) > 0)
			monitor_print(mon, type, json);
	} else if (sd_bus_message_is_signal(m, NULL, "Dropped") && sd_bus_message_read(m, "t", &count) >= 0)
		monitor_dropped(mon, count);
	monitor_flush(mon);
	return 0;
}

static int on_interrupt(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	sd_event_exit(sd_event_source_get_event(s), EXIT_OK);
	return 0;
}

/* The options of Subscribe: the same on D-Bus (an a{sv}) and Varlink (its
 * parameters). NULL: no memory. */
static json_object *subscribe_parameters(void)
{
	json_object *p = json_object_new_object();
	int r = p ? 0 : -ENOMEM;

	if (r >= 0 && arg.n_categories)
		r = json_add_strv(p, "categories", arg.categories, arg.n_categories);
	if (r >= 0 && arg.n_types)
		r = json_add_strv(p, "types", arg.types, arg.n_types);
	if (r >= 0 && arg.n_prefixes)
		r = json_add_strv(p, "binary_path_prefixes", arg.prefixes, arg.n_prefixes);
	if (r >= 0 && arg.n_opcodes)
		r = json_add_strv(p, "io_uring_opcodes", arg.opcodes, arg.n_opcodes);
	if (r >= 0 && arg.n_uids)
		r = json_add_u32v(p, "uids", arg.uids, arg.n_uids);
	if (r >= 0 && arg.batch)
		r = json_object_object_add(p, "batch", json_object_new_boolean(true)) < 0 ? -ENOMEM : 0;
	/* bombusd chooses by context, and has the kernel leave out the rest */
	if (r >= 0 && arg.n_units)
		r = json_add_strv(p, "units", arg.units, arg.n_units);
	if (r >= 0 && arg.n_containers)
		r = json_add_strv(p, "containers", arg.containers, arg.n_containers);
	else if (r >= 0 && arg.any_container)
		r = json_object_object_add(p, "containers", json_object_new_boolean(true)) < 0 ? -ENOMEM : 0;
	if (r < 0) {
		json_object_put(p);
		return NULL;
	}
	return p;
}

static int subscribe_message(sd_bus *bus, sd_bus_message **ret)
{
	_cleanup_(json_object_putp) json_object *parameters = subscribe_parameters();
	sd_bus_message *m = NULL;
	int r;

	r = parameters ? sd_bus_message_new_method_call(bus, &m, BOMBUS_BUS_NAME, BOMBUS_OBJECT_PATH,
							BOMBUS_INTERFACE, "Subscribe")
		       : -ENOMEM;
	if (r >= 0)
		r = bus_message_append_json_dict(m, parameters);
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	*ret = m;
	return 0;
}

static int subscribe(sd_bus *bus, sd_bus_message **reply, sd_bus_error *error)
{
	sd_bus_message *m = NULL;
	int r;

	r = subscribe_message(bus, &m);
	if (r >= 0)
		r = sd_bus_call(bus, m, 0, error, reply);
	sd_bus_message_unref(m);
	return r;
}

/* Keeps the subscription's path and bombusd's unique name from @reply. */
static int monitor_subscribed(struct monitor *mon, sd_bus_message *reply)
{
	const char *path;
	int r = sd_bus_message_read(reply, "o", &path);

	if (r < 0)
		return r;
	snprintf(mon->subscription, sizeof(mon->subscription), "%s", path);
	snprintf(mon->daemon, sizeof(mon->daemon), "%s", sd_bus_message_get_sender(reply) ?: "");
	return 0;
}

static void resubscribe(struct monitor *mon);

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct monitor *mon = userdata;

	mon->retry_timer = sd_event_source_disable_unref(mon->retry_timer);
	resubscribe(mon);
	return 0;
}

static int on_resubscribed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct monitor *mon = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	int r;

	mon->resubscribe = sd_bus_slot_unref(mon->resubscribe);
	if (e && sd_bus_error_has_names(e, BOMBUS_ERROR_NOT_AUTHORIZED, BOMBUS_ERROR_INVALID_ARGUMENT,
					BOMBUS_ERROR_TOO_MANY_SUBSCRIPTIONS)) {
		/* What it would answer again: no point trying. */
		sd_event_exit(mon->event, bus_call_failed("Subscribe", e, -EIO));
		return 0;
	}
	if (e || monitor_subscribed(mon, reply) < 0) {
		fprintf(stderr, "bombusctl: cannot subscribe again yet (%s), trying again in %d s\n",
			e ? e->message ?: e->name : "bad reply", RESUBSCRIBE_RETRY_USEC / 1000000);
		r = sd_event_add_time_relative(mon->event, &mon->retry_timer, CLOCK_MONOTONIC,
					       RESUBSCRIBE_RETRY_USEC, 0, on_retry, mon);
		if (r < 0)
			sd_event_exit(mon->event, EXIT_FAILED);
		return 0;
	}
	fprintf(stderr,
		"bombusctl: subscribed again to bombusd (%s); events from while it was away are missing: "
		"the stream has a gap here\n",
		mon->daemon);
	return 0;
}

/* Subscribes again; the call starts bombusd through the bus (activation)
 * when nobody owns its name. */
static void resubscribe(struct monitor *mon)
{
	sd_bus_message *m = NULL;
	int r;

	r = subscribe_message(mon->bus, &m);
	if (r >= 0)
		r = sd_bus_call_async(mon->bus, &mon->resubscribe, m, on_resubscribed, mon, 0);
	sd_bus_message_unref(m);
	if (r < 0) {
		fprintf(stderr, "bombusctl: cannot subscribe again: %s\n", strerror(-r));
		sd_event_exit(mon->event, EXIT_FAILED);
	}
}

/* bombusd's name changed hands: our subscription went with the old owner. */
static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct monitor *mon = userdata;
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !mon->daemon[0] ||
	    strcmp(old_owner, mon->daemon) != 0 || mon->done)
		return 0;
	fflush(stdout);
	mon->daemon[0] = '\0';
	mon->subscription[0] = '\0';
	if (!arg.reconnect) {
		fprintf(stderr, "bombusctl: bombusd went away (%s left the bus); exiting (--no-reconnect)\n",
			old_owner);
		sd_event_exit(mon->event, EXIT_FAILED);
		return 0;
	}
	fprintf(stderr,
		"bombusctl: bombusd went away (%s left the bus); subscribing again, which starts it if "
		"it can be started\n",
		old_owner);
	if (!mon->resubscribe && !mon->retry_timer)
		resubscribe(mon);
	return 0;
}

/* Subscribes on the bus, watching bombusd's name first: a departure right
 * after is seen. */
static int monitor_subscribe_bus(struct monitor *mon, sd_bus_slot **owner_watch)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_add_match(
		mon->bus, owner_watch,
		"type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
		"interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" BOMBUS_BUS_NAME "'",
		on_owner_changed, mon);
	if (r < 0) {
		fprintf(stderr, "bombusctl: cannot watch bombusd's name: %s\n", strerror(-r));
		return EXIT_FAILED;
	}
	r = subscribe(mon->bus, &reply, &error);
	if (r >= 0)
		r = monitor_subscribed(mon, reply);
	r = r < 0 ? bus_call_failed("Subscribe", &error, r) : EXIT_OK;
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	return r;
}

static int cmd_monitor(const struct transport *t)
{
	_cleanup_(varlink_stream_freep) struct varlink_stream *stream = NULL;
	_cleanup_(json_object_putp) json_object *parameters = NULL;
	struct monitor mon = { .bus = t->bus };
	sd_bus_slot *owner_watch = NULL;
	sigset_t mask;
	int r;

	if (!arg.json_set)
		arg.json = !isatty(STDOUT_FILENO);
	if (!arg.n_categories && !arg.n_types)
		arg.categories[arg.n_categories++] = "process";
	if (t->varlink_path) {
		parameters = subscribe_parameters();
		r = parameters ? varlink_stream_new(t->varlink_path, parameters, arg.reconnect,
						    &monitor_stream_ops, &mon, &stream)
			       : EXIT_FAILED;
	} else
		r = monitor_subscribe_bus(&mon, &owner_watch);
	if (r != EXIT_OK)
		goto out;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	r = sd_event_default(&mon.event);
	if (r >= 0)
		r = sd_event_add_signal(mon.event, NULL, SIGINT, on_interrupt, NULL);
	if (r >= 0)
		r = sd_event_add_signal(mon.event, NULL, SIGTERM, on_interrupt, NULL);
	if (r >= 0 && stream)
		r = varlink_stream_attach(stream, mon.event);
	else if (r >= 0)
		r = sd_bus_attach_event(t->bus, mon.event, 0);
	if (r >= 0 && !stream)
		r = sd_bus_add_filter(t->bus, NULL, on_signal, &mon);
	if (r < 0) {
		fprintf(stderr, "bombusctl: cannot set up the event loop: %s\n", strerror(-r));
		r = EXIT_FAILED;
		goto out;
	}
	r = sd_event_loop(mon.event);
	fflush(stdout);
	if (r < 0) {
		fprintf(stderr, "bombusctl: %s\n", strerror(-r));
		r = EXIT_FAILED;
	}
out:
	sd_bus_slot_unref(owner_watch);
	sd_bus_slot_unref(mon.resubscribe);
	sd_event_source_disable_unref(mon.retry_timer);
	if (mon.event && t->bus)
		sd_bus_detach_event(t->bus);
	sd_event_unref(mon.event);
	return r;
}

static int add_filter(const char **list, size_t *n, const char *value, const char *what)
{
	if (*n >= MAX_FILTERS) {
		fprintf(stderr, "bombusctl: at most %d %s\n", MAX_FILTERS, what);
		return -EINVAL;
	}
	list[(*n)++] = value;
	return 0;
}

static int parse_argv(int argc, char *argv[])
{
	enum {
		ARG_UID = 0x100,
		ARG_PREFIX,
		ARG_OPCODE,
		ARG_UNIT,
		ARG_CONTAINER,
		ARG_CONTAINERS,
		ARG_JSON,
		ARG_NO_JSON,
		ARG_BATCH,
		ARG_NO_ASK,
		ARG_NO_RECONNECT,
		ARG_OUTPUT,
		ARG_VERSION,
		ARG_VARLINK,
		ARG_DBUS,
	};
	static const struct option options[] = {
		{"category", required_argument, NULL, 'c'},
		{"type", required_argument, NULL, 't'},
		{"uid", required_argument, NULL, ARG_UID},
		{"prefix", required_argument, NULL, ARG_PREFIX},
		{"opcode", required_argument, NULL, ARG_OPCODE},
		{"unit", required_argument, NULL, ARG_UNIT},
		{"container", required_argument, NULL, ARG_CONTAINER},
		{"containers", no_argument, NULL, ARG_CONTAINERS},
		{"json", no_argument, NULL, ARG_JSON},
		{"no-json", no_argument, NULL, ARG_NO_JSON},
		{"batch", no_argument, NULL, ARG_BATCH},
		{"count", required_argument, NULL, 'n'},
		{"no-ask-password", no_argument, NULL, ARG_NO_ASK},
		{"no-reconnect", no_argument, NULL, ARG_NO_RECONNECT},
		{"output", required_argument, NULL, ARG_OUTPUT},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, ARG_VERSION},
		{"varlink", optional_argument, NULL, ARG_VARLINK},
		{"dbus", no_argument, NULL, ARG_DBUS},
		{},
	};
	unsigned long long v;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:t:n:h", options, NULL)) >= 0)
		switch (opt) {
		case 'c':
			if (add_filter(arg.categories, &arg.n_categories, optarg, "categories") < 0)
				return -EINVAL;
			break;
		case 't':
			if (add_filter(arg.types, &arg.n_types, optarg, "types") < 0)
				return -EINVAL;
			break;
		case ARG_PREFIX:
			if (add_filter(arg.prefixes, &arg.n_prefixes, optarg, "prefixes") < 0)
				return -EINVAL;
			break;
		case ARG_OPCODE:
			if (add_filter(arg.opcodes, &arg.n_opcodes, optarg, "opcodes") < 0)
				return -EINVAL;
			break;
		case ARG_UNIT:
		case ARG_CONTAINER:
			if (!*optarg || strchr(optarg, '/')) {
				fprintf(stderr, "bombusctl: '%s' is not a %s\n", optarg,
					opt == ARG_UNIT ? "unit name" : "container id");
				return -EINVAL;
			}
			if (opt == ARG_UNIT ? add_filter(arg.units, &arg.n_units, optarg, "units") < 0
					    : add_filter(arg.containers, &arg.n_containers, optarg, "containers") < 0)
				return -EINVAL;
			break;
		case ARG_CONTAINERS:
			arg.any_container = true;
			break;
		case ARG_UID:
		case 'n':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || v > UINT32_MAX || (opt == 'n' && v == 0)) {
				fprintf(stderr, "bombusctl: '%s' is not a %s\n", optarg,
					opt == 'n' ? "count" : "uid");
				return -EINVAL;
			}
			if (opt == 'n')
				arg.count = v;
			else if (arg.n_uids < MAX_FILTERS)
				arg.uids[arg.n_uids++] = (uint32_t)v;
			break;
		case ARG_JSON:
		case ARG_NO_JSON:
			arg.json = opt == ARG_JSON;
			arg.json_set = true;
			break;
		case ARG_BATCH:
			arg.batch = true;
			break;
		case ARG_NO_ASK:
			arg.ask_password = false;
			break;
		case ARG_NO_RECONNECT:
			arg.reconnect = false;
			break;
		case ARG_OUTPUT:
			if (!*optarg) {
				fprintf(stderr, "bombusctl: --output: empty file name\n");
				return -EINVAL;
			}
			arg.output = optarg;
			break;
		case ARG_VARLINK:
			if (optarg && *optarg != '/') {
				fprintf(stderr, "bombusctl: --varlink: '%s' is not an absolute path\n",
					optarg);
				return -EINVAL;
			}
			arg.transport = TRANSPORT_VARLINK;
			arg.varlink_path = optarg;
			break;
		case ARG_DBUS:
			arg.transport = TRANSPORT_DBUS;
			break;
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("bombusctl %s\n", BOMBUS_VERSION);
			return 0;
		default:
			return -EINVAL;
		}
	return 1;
}

int main(int argc, char *argv[])
{
	struct transport t;
	const char *command;
	int r;

	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_OK;
	if (optind >= argc) {
		fprintf(stderr,
			"bombusctl: which command? status, monitor, process, metrics or reload (see --help)\n");
		return EXIT_USAGE;
	}
	command = argv[optind];
	if ((strcmp(command, "process") == 0) != (argc - optind == 2) ||
	    (strcmp(command, "process") != 0 && argc - optind != 1)) {
		fprintf(stderr, "bombusctl: %s: wrong number of arguments (see --help)\n", command);
		return EXIT_USAGE;
	}
	if (strcmp(command, "status") != 0 && strcmp(command, "monitor") != 0 &&
	    strcmp(command, "process") != 0 && strcmp(command, "metrics") != 0 &&
	    strcmp(command, "reload") != 0) {
		fprintf(stderr,
			"bombusctl: unknown command '%s' (status, monitor, process, metrics, reload)\n",
			command);
		return EXIT_USAGE;
	}
	if (arg.output && strcmp(command, "metrics") != 0) {
		fprintf(stderr, "bombusctl: --output is an option of metrics\n");
		return EXIT_USAGE;
	}
	r = transport_open(&t, arg.transport, arg.varlink_path, command,
			   arg.ask_password && isatty(STDIN_FILENO));
	if (r != EXIT_OK)
		return r;
	if (strcmp(command, "status") == 0)
		r = cmd_status(&t);
	else if (strcmp(command, "process") == 0)
		r = cmd_process(&t, argv[optind + 1]);
	else if (strcmp(command, "metrics") == 0)
		r = cmd_metrics(&t);
	else if (strcmp(command, "reload") == 0)
		r = cmd_reload(t.bus);
	else
		r = cmd_monitor(&t);
	if (r == EXIT_NOT_AUTHORIZED && t.varlink_path && arg.transport == TRANSPORT_AUTO &&
	    arg.ask_password && isatty(STDIN_FILENO))
		fprintf(stderr,
			"bombusctl: over Varlink polkit cannot ask for a password; with --dbus it can\n");
	transport_close(&t);
	return r;
}
