// SPDX-License-Identifier: GPL-2.0-only
/* bombusd: the bombus security monitor daemon. */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "authorize.h"
#include "conf-file.h"
#include "config.h"
#include "daemon.h"
#include "decode/iouringmon.h"
#include "decode/proc-seed.h"
#include "decode/procmon-privilege.h"
#include "decode/procmon.h"
#include "log.h"
#include "output/output.h"
#include "reload.h"
#include "render/flags.h"
#include "ring/bpf-load.h"
#include "ring/monitor.h"
#include "service.h"
#include "monitor.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static void help(void)
{
	printf("Usage: bombusd [OPTIONS]\n"
	       "Monitors process activity with eBPF and reports it as JSON events: by default\n"
	       "as the D-Bus service org.bombus.Monitor1 on the system bus (and to the journal),\n"
	       "with --stdout on standard output, without any bus.\n\n"
	       "  --stdout              Print one JSON event per line to standard output\n"
	       "  --varlink=PATH        Serve the Varlink API io.bombus.Monitor at PATH (default\n"
	       "                        " BOMBUS_VARLINK_SOCKET " unless --stdout;\n"
	       "                        a socket passed by systemd named 'varlink' comes first)\n"
	       "  --no-varlink          No Varlink API\n"
	       "  --config=FILE         Settings file (default " BOMBUS_CONFIG_FILE ")\n"
	       "  --hook-mode=MODE      auto (default), lsm, fentry or tracepoint: force the\n"
	       "                        attach method of hooks that offer it\n"
	       "  --ima-hash            Add the binary's IMA hash to ProcessExec events\n"
	       "                        (needs IMA and BPF LSM; said once when missing)\n"
	       "  --ringbuf-size=BYTES  Kernel ring buffer per monitor (power of two, default 8M)\n"
	       "  --disable-hook=NAME   Do not load hook NAME (repeatable; names in docs/hook-modes.md)\n"
	       "  --iouring-opcodes=LIST  io_uring opcodes to report: comma-separated names\n"
	       "                        (OPENAT or IORING_OP_OPENAT), 'all' (default), '-NAME'\n"
	       "                        to leave one out (\"-NOP\": all but IORING_OP_NOP)\n"
	       "  -v, --verbose         Debug messages, libbpf's log and verifier output\n"
	       "  -h, --help            Show this help\n"
	       "      --version         Show the version\n\n"
	       "The system bus is $DBUS_SYSTEM_BUS_ADDRESS when set. Command line options\n"
	       "override the config file. Signals: SIGHUP reloads the config file; SIGUSR1\n"
	       "prints counters to stderr; SIGINT and SIGTERM stop.\n");
}

/* What the command line sets; it overrides the config file. */
struct args {
	const char *config_path; /* NULL: the default, which may be missing */
	bool stdout_output, verbose;
	const char *varlink_path; /* --varlink; NULL: the default of the mode */
	bool no_varlink;
	bool ima_hash; /* --ima-hash: on, whatever the file says */
	bool hook_mode_set;
	enum hook_mode hook_mode;
	size_t ringbuf_bytes; /* 0: not given */
	const char *disabled_hooks[CONFIG_MAX_DISABLED_HOOKS];
	size_t n_disabled_hooks;
	const char *iouring_opcodes; /* NULL: not given */
};

static int parse_argv(int argc, char *argv[], struct args *a)
{
	enum {
		ARG_STDOUT = 0x100,
		ARG_VARLINK,
		ARG_NO_VARLINK,
		ARG_CONFIG,
		ARG_HOOK_MODE,
		ARG_IMA_HASH,
		ARG_RINGBUF_SIZE,
		ARG_DISABLE_HOOK,
		ARG_IOURING_OPCODES,
		ARG_VERSION
	};
	static const struct option options[] = {
		{ "stdout", no_argument, NULL, ARG_STDOUT },
		{ "varlink", required_argument, NULL, ARG_VARLINK },
		{ "no-varlink", no_argument, NULL, ARG_NO_VARLINK },
		{ "config", required_argument, NULL, ARG_CONFIG },
		{ "hook-mode", required_argument, NULL, ARG_HOOK_MODE },
		{ "ima-hash", no_argument, NULL, ARG_IMA_HASH },
		{ "ringbuf-size", required_argument, NULL, ARG_RINGBUF_SIZE },
		{ "disable-hook", required_argument, NULL, ARG_DISABLE_HOOK },
		{ "iouring-opcodes", required_argument, NULL, ARG_IOURING_OPCODES },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0)
		switch (opt) {
		case ARG_STDOUT:
			a->stdout_output = true;
			break;
		case ARG_VARLINK:
			if (optarg[0] != '/')
				return log_error_errno(EINVAL, "--varlink: '%s' is not an absolute path",
						       optarg);
			a->varlink_path = optarg;
			break;
		case ARG_NO_VARLINK:
			a->no_varlink = true;
			break;
		case ARG_CONFIG:
			a->config_path = optarg;
			break;
		case ARG_HOOK_MODE:
			if (hook_mode_from_string(optarg, &a->hook_mode) < 0)
				return log_error_errno(
					EINVAL,
					"--hook-mode: unknown mode '%s' (auto, lsm, fentry, tracepoint)",
					optarg);
			a->hook_mode_set = true;
			break;
		case ARG_IMA_HASH:
			a->ima_hash = true;
			break;
		case ARG_RINGBUF_SIZE:
			if (conf_parse_size(optarg, &a->ringbuf_bytes) < 0 ||
			    !conf_ringbuf_size_valid(a->ringbuf_bytes))
				return log_error_errno(
					EINVAL,
					"--ringbuf-size: '%s' is not a power of two of at least 4096 bytes",
					optarg);
			break;
		case ARG_DISABLE_HOOK:
			if (a->n_disabled_hooks >= ELEMENTSOF(a->disabled_hooks))
				return log_error_errno(E2BIG, "--disable-hook: more than %d hooks",
						       CONFIG_MAX_DISABLED_HOOKS);
			a->disabled_hooks[a->n_disabled_hooks++] = optarg;
			break;
		case ARG_IOURING_OPCODES:
			/* names are checked against the kernel's at start */
			a->iouring_opcodes = optarg;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("bombusd %s\n", BOMBUS_VERSION);
			return 0;
		default:
			return -EINVAL;
		}
	if (optind < argc)
		return log_error_errno(EINVAL, "unexpected argument '%s'", argv[optind]);
	return 1;
}

/* Logs what is wrong and keeps it in @error for a reload's reply. */
static int config_fail(char *error, size_t size, int r, const char *fmt, ...) _printf_(4, 5);
static int config_fail(char *error, size_t size, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error, size, fmt, ap);
	va_end(ap);
	log_error("%s", error);
	return r;
}

/* Defaults, then the config file, then the command line: at start, and
 * again for each reload. On error, what is wrong in @error. */
static int load_config(const struct args *a, struct config *c, char *error, size_t error_size)
{
	const char *path = a->config_path ?: BOMBUS_CONFIG_FILE;
	int r;

	config_init_defaults(c);
	r = conf_file_load_error(path, a->config_path != NULL, c, error, error_size);
	if (r < 0)
		return r;
	for (size_t i = 0; i < a->n_disabled_hooks; i++) {
		if (c->n_disabled_hooks >= CONFIG_MAX_DISABLED_HOOKS)
			return config_fail(error, error_size, -E2BIG,
					   "--disable-hook: more than %d hooks in all",
					   CONFIG_MAX_DISABLED_HOOKS);
		if (strlen(a->disabled_hooks[i]) >= sizeof(c->disabled_hooks[0].hook))
			return config_fail(error, error_size, -EINVAL,
					   "--disable-hook: no hook is called '%s'", a->disabled_hooks[i]);
		c->disabled_hooks[c->n_disabled_hooks].monitor = "procmon";
		strcpy(c->disabled_hooks[c->n_disabled_hooks].hook, a->disabled_hooks[i]);
		c->disabled_hooks[c->n_disabled_hooks].line = 0; /* the command line */
		c->n_disabled_hooks++;
	}
	for (size_t i = 0; i < c->n_disabled_hooks; i++) {
		const char *hook = c->disabled_hooks[i].hook;
		unsigned line = c->disabled_hooks[i].line;

		r = procmon_hook_check(hook);
		if (r == -ENOENT)
			r = iouring_monitor_hook_check(hook);
		if (r == -ENOENT && line == 0)
			return config_fail(error, error_size, r, "--disable-hook: no hook is called '%s'",
					   hook);
		if (r == -ENOENT)
			return config_fail(error, error_size, r, "%s:%u: ProcMon has no hook '%s'", path,
					   line, hook);
		if (r < 0 && line == 0)
			return config_fail(
				error, error_size, r,
				"--disable-hook: hook '%s' cannot be disabled: the process cache needs it",
				hook);
		if (r < 0)
			return config_fail(
				error, error_size, r,
				"%s:%u: ProcMon's hook '%s' cannot be disabled: the process cache needs it",
				path, line, hook);
	}
	c->stdout_output = a->stdout_output;
	c->verbose = a->verbose;
	if (a->hook_mode_set)
		c->hook_mode = a->hook_mode;
	if (a->ringbuf_bytes)
		c->ringbuf_bytes = a->ringbuf_bytes;
	if (a->iouring_opcodes)
		c->iouring_opcodes = a->iouring_opcodes;
	if (a->ima_hash)
		c->ima_hash = true;
	return 0;
}

/* The daemon's d->load_config, for reloads. */
static int reload_config(void *userdata, struct config *c, char *error, size_t error_size)
{
	return load_config(userdata, c, error, error_size);
}

static bool have_capability(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

/* Loading BPF needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN on kernels
 * before 5.8 and for tracefs); say so before libbpf fails obscurely. */
static int check_privileges(void)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &header, data) < 0)
		return log_error_errno(errno, "cannot read the capabilities of this process: %m");
	if (!have_capability(data, CAP_SYS_ADMIN) &&
	    !(have_capability(data, CAP_BPF) && have_capability(data, CAP_PERFMON)))
		return log_error_errno(EPERM, "must run as root: loading BPF programs needs CAP_BPF and "
					      "CAP_PERFMON (or CAP_SYS_ADMIN)");
	if (!have_capability(data, CAP_SYS_PTRACE))
		log_warning("without CAP_SYS_PTRACE, processes started before bombusd may lack their binary "
			    "path");
	return 0;
}

static int check_kernel(void)
{
	unsigned last_cap;

	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0)
		return log_error_errno(errno, "this kernel has no BTF (/sys/kernel/btf/vmlinux: %m); bombus "
					      "needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
	if (caps_read_last_cap(&last_cap) >= 0)
		caps_set_last_cap(last_cap);
	return 0;
}

/* Adds @out to @d; @r is what the function that made it returned. */
static int add_output(struct daemon *d, int r, struct output *out, const char *what)
{
	if (r < 0)
		return log_error_errno(r, "cannot set up the %s output: %m", what);
	r = daemon_add_output(d, out);
	if (r < 0) {
		out->ops->free(out);
		return log_error_errno(r, "cannot add the %s output: %m", what);
	}
	return 0;
}

static int (*const monitor_starts[])(struct daemon *d, struct monitor **ret) = {
	procmon_start,
	privilege_monitor_start,
	iouring_monitor_start,
};

/* The Varlink API, on the socket the service manager passed by the name
 * "varlink" (bombusd.socket), else on a socket of its own: --varlink's
 * path, or in service mode the default one. Other sockets passed are
 * closed, said once. */
static int setup_varlink(struct daemon *d, struct authorizer *az, const struct args *a,
			 struct varlink_monitor **ret)
{
	const char *path = a->varlink_path ?: a->stdout_output ? NULL : BOMBUS_VARLINK_SOCKET;
	char **names = NULL;
	int fd = -1, n, r;

	n = sd_listen_fds_with_names(true, &names);
	if (n < 0)
		log_warning_errno(n, "cannot read the sockets passed by the service manager: %m");
	for (int i = 0; i < n; i++) {
		if (fd < 0 && !a->no_varlink && strcmp(names[i], "varlink") == 0)
			fd = SD_LISTEN_FDS_START + i;
		else {
			log_warning(
				"closing socket '%s' passed by the service manager: not one bombusd serves",
				names[i]);
			close(SD_LISTEN_FDS_START + i);
		}
		free(names[i]);
	}
	free(names);
	if (a->no_varlink || (fd < 0 && !path))
		return 0;
	r = varlink_monitor_new(d, az, ret);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return log_error_errno(r, "cannot set up the Varlink API: %m");
	}
	if (fd >= 0) {
		r = varlink_monitor_listen_fd(*ret, fd);
		if (r < 0) {
			close(fd);
			return log_error_errno(
				r, "cannot serve the varlink socket passed by the service manager: %m");
		}
		log_info("serving io.bombus.Monitor on the varlink socket passed by the service manager");
		return 0;
	}
	r = varlink_monitor_listen_path(*ret, path);
	if (r == -EADDRINUSE)
		return log_error_errno(r, "%s: another server answers there (is bombusd already running?)",
				       path);
	if (r == -EEXIST)
		return log_error_errno(r, "%s exists and is no socket", path);
	if (r < 0)
		return log_error_errno(r, "cannot serve Varlink at %s: %m", path);
	log_info("serving io.bombus.Monitor at %s", path);
	return 0;
}

int main(int argc, char *argv[])
{
	_cleanup_(daemon_freep) struct daemon *d = NULL;
	/* Declared after d: freed before it; the service before the
	 * authorizer it uses. */
	_cleanup_(authorizer_freep) struct authorizer *authorizer = NULL;
	_cleanup_(service_freep) struct service *service = NULL;
	/* Before the authorizer and the service: its calls end first. */
	_cleanup_(varlink_monitor_freep) struct varlink_monitor *varlink = NULL;
	struct args args = { 0 };
	struct config config;
	char error[512];
	int r;

	r = parse_argv(argc, argv, &args);
	if (r <= 0)
		return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	log_set_max_level(args.verbose ? LOG_DEBUG : LOG_INFO);
	if (load_config(&args, &config, error, sizeof(error)) < 0)
		return EXIT_FAILURE;
	bpf_log_setup(config.verbose);

	if (check_privileges() < 0 || check_kernel() < 0)
		return EXIT_FAILURE;
	r = daemon_new(&config, &d);
	if (r < 0) {
		log_error_errno(r, "cannot set up the event loop: %m");
		return EXIT_FAILURE;
	}
	d->load_config = reload_config;
	d->load_config_userdata = &args;
	if (reload_watch(d) < 0)
		return EXIT_FAILURE;
	/* One for every API: its quotas bound the polkit checks of all. */
	r = authorizer_new(d->event, &authorizer);
	if (r < 0) {
		log_error_errno(r, "cannot set up the authorization checks: %m");
		return EXIT_FAILURE;
	}
	if (config.stdout_output) {
		/* Events on standard output; no bus, no journal. */
		struct output *out = NULL;

		r = output_stdout_new(d, STDOUT_FILENO, config.stdout_buffer_bytes, &out);
		r = add_output(d, r, out, "stdout");
	} else {
		/* The bus first: without it there is no point loading BPF. */
		r = service_new(d, authorizer, &service);
		if (r >= 0 && config.journal_categories) {
			struct output *out = NULL;

			r = output_journal_new(config.journal_categories, config.journal_queue_bytes, &out);
			r = add_output(d, r, out, "journal");
			if (r >= 0)
				d->journal = out;
		}
	}
	if (r >= 0)
		r = setup_varlink(d, authorizer, &args, &varlink);
	if (r < 0)
		return EXIT_FAILURE;
	/* The process monitor first: the others need its cache. A monitor
	 * of what this kernel lacks (NULL, warned) is left out; any error,
	 * whatever its errno, stops bombusd. */
	for (size_t i = 0; i < ELEMENTSOF(monitor_starts); i++) {
		struct monitor *m;

		r = monitor_starts[i](d, &m);
		if (r < 0)
			return EXIT_FAILURE;
		if (!m)
			continue;
		if (daemon_add_monitor(d, m) < 0) {
			log_error("too many monitors");
			return EXIT_FAILURE;
		}
	}
	/* After attaching, so that no process falls between the two. */
	r = proc_seed(d->processes, "/proc", d->tick_ns, d->boot_to_real_ns);
	if (r < 0)
		log_warning_errno(r, "cannot read /proc, parents of older processes will be unknown: %m");
	else
		log_info("monitoring; %d processes known from /proc", r);
	if (service && service_start(service) < 0)
		return EXIT_FAILURE;
	if (!service)
		/* Under systemd without the bus: ready once attached and seeded. */
		sd_notify(0, "READY=1");

	r = daemon_run(d);
	daemon_log_counters(d);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
