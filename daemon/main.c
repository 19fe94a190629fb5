// SPDX-License-Identifier: GPL-2.0-only
/* bombusd: the bombus security monitor daemon. */
#include <errno.h>
#include <getopt.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf-load.h"
#include "config.h"
#include "daemon.h"
#include "flags.h"
#include "log.h"
#include "output.h"
#include "proc-seed.h"
#include "iouringmon.h"
#include "monitor.h"
#include "procmon-privilege.h"
#include "procmon.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static void help(void)
{
	printf("Usage: bombusd [OPTIONS]\n"
	       "Monitors process activity with eBPF and reports it as JSON events.\n\n"
	       "  --stdout              Print one JSON event per line to standard output\n"
	       "  --hook-mode=MODE      auto (default), lsm, fentry or tracepoint: force the\n"
	       "                        attach method of hooks that offer it\n"
	       "  --ringbuf-size=BYTES  Kernel ring buffer per monitor (power of two, default 8M)\n"
	       "  --disable-hook=NAME   Do not load hook NAME (repeatable; names in docs/hook-modes.md)\n"
	       "  --iouring-opcodes=LIST  io_uring opcodes to report: comma-separated names\n"
	       "                        (OPENAT or IORING_OP_OPENAT), 'all' (default), '-NAME'\n"
	       "                        to leave one out (\"-NOP\": all but IORING_OP_NOP)\n"
	       "  -v, --verbose         Debug messages, libbpf's log and verifier output\n"
	       "  -h, --help            Show this help\n"
	       "      --version         Show the version\n\n"
	       "Signals: SIGUSR1 prints counters to stderr; SIGINT and SIGTERM stop.\n");
}

static int parse_size(const char *s, size_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'K': v <<= 10, end++; break;
	case 'M': v <<= 20, end++; break;
	case 'G': v <<= 30, end++; break;
	default: break;
	}
	if (*end || v == 0 || v > (1ULL << 31))
		return -EINVAL;
	*ret = (size_t)v;
	return 0;
}

static int parse_argv(int argc, char *argv[], struct config *c)
{
	enum { ARG_STDOUT = 0x100, ARG_HOOK_MODE, ARG_RINGBUF_SIZE, ARG_DISABLE_HOOK, ARG_IOURING_OPCODES,
	       ARG_VERSION };
	static const struct option options[] = {
		{ "stdout", no_argument, NULL, ARG_STDOUT },
		{ "hook-mode", required_argument, NULL, ARG_HOOK_MODE },
		{ "ringbuf-size", required_argument, NULL, ARG_RINGBUF_SIZE },
		{ "disable-hook", required_argument, NULL, ARG_DISABLE_HOOK },
		{ "iouring-opcodes", required_argument, NULL, ARG_IOURING_OPCODES },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{},
	};
	size_t n_disabled = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0)
		switch (opt) {
		case ARG_STDOUT:
			c->stdout_output = true;
			break;
		case ARG_HOOK_MODE:
			if (hook_mode_from_string(optarg, &c->hook_mode) < 0)
				return log_error_errno(EINVAL, "--hook-mode: unknown mode '%s' (auto, lsm, fentry, tracepoint)",
						       optarg);
			break;
		case ARG_RINGBUF_SIZE:
			if (parse_size(optarg, &c->ringbuf_bytes) < 0 || (c->ringbuf_bytes & (c->ringbuf_bytes - 1)) ||
			    c->ringbuf_bytes < 4096)
				return log_error_errno(EINVAL, "--ringbuf-size: '%s' is not a power of two of at least 4096 bytes",
						       optarg);
			break;
		case ARG_DISABLE_HOOK:
			if (!procmon_has_hook(optarg) && !privilege_monitor_has_hook(optarg) &&
			    !iouring_monitor_has_hook(optarg))
				return log_error_errno(EINVAL, "--disable-hook: no hook is called '%s'", optarg);
			if (n_disabled + 1 >= ELEMENTSOF(c->disabled_hooks))
				return log_error_errno(E2BIG, "--disable-hook: too many hooks");
			c->disabled_hooks[n_disabled++] = optarg;
			break;
		case ARG_IOURING_OPCODES:
			/* names are checked against the kernel's at start */
			c->iouring_opcodes = optarg;
			break;
		case 'v':
			c->verbose = true;
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
	if (!c->stdout_output)
		return log_error_errno(EINVAL, "no output selected: run 'bombusd --stdout' (see --help)");
	return 1;
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
		return log_error_errno(EPERM, "must run as root: loading BPF programs needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)");
	if (!have_capability(data, CAP_SYS_PTRACE))
		log_warning("without CAP_SYS_PTRACE, processes started before bombusd may lack their binary path");
	return 0;
}

static int check_kernel(void)
{
	unsigned last_cap;

	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0)
		return log_error_errno(errno, "this kernel has no BTF (/sys/kernel/btf/vmlinux: %m); bombus needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
	if (caps_read_last_cap(&last_cap) >= 0)
		caps_set_last_cap(last_cap);
	return 0;
}

static int (*const monitor_starts[])(struct daemon *d, struct monitor **ret) = {
	procmon_start,
	privilege_monitor_start,
	iouring_monitor_start,
};

int main(int argc, char *argv[])
{
	_cleanup_(daemon_freep) struct daemon *d = NULL;
	struct output *out;
	struct config config;
	int r;

	config_init_defaults(&config);
	r = parse_argv(argc, argv, &config);
	if (r <= 0)
		return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	log_set_max_level(config.verbose ? LOG_DEBUG : LOG_INFO);
	bpf_log_setup(config.verbose);

	if (check_privileges() < 0 || check_kernel() < 0)
		return EXIT_FAILURE;
	r = daemon_new(&config, &d);
	if (r < 0) {
		log_error_errno(r, "cannot set up the event loop: %m");
		return EXIT_FAILURE;
	}
	r = output_stdout_new(d, STDOUT_FILENO, config.stdout_buffer_bytes, &out);
	if (r < 0 || daemon_add_output(d, out) < 0) {
		log_error_errno(r, "cannot set up stdout: %m");
		return EXIT_FAILURE;
	}
	/* The process monitor first: the others need its cache. A monitor
	 * of what this kernel lacks (-EOPNOTSUPP, warned) is left out. */
	for (size_t i = 0; i < ELEMENTSOF(monitor_starts); i++) {
		struct monitor *m;

		r = monitor_starts[i](d, &m);
		if (r == -EOPNOTSUPP)
			continue;
		if (r < 0)
			return EXIT_FAILURE;
		if (daemon_add_monitor(d, m) < 0) {
			log_error("too many monitors");
			return EXIT_FAILURE;
		}
	}
	/* After attaching, so that no process falls between the two. */
	r = proc_seed(d->processes, "/proc", d->tick_ns);
	if (r < 0)
		log_warning_errno(r, "cannot read /proc, parents of older processes will be unknown: %m");
	else
		log_info("monitoring; %d processes known from /proc", r);

	r = daemon_run(d);
	daemon_log_counters(d);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
