// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "bpf-load.h"
#include "../log.h"

static bool verbose;
/* The last program libbpf complained about ("prog 'NAME': ..."). */
static char failed_program[64];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN) {
		char line[512];
		const char *prog, *end;
		va_list copy;

		va_copy(copy, ap);
		vsnprintf(line, sizeof(line), fmt, copy);
		va_end(copy);
		prog = strstr(line, "prog '");
		end = prog ? strchr(prog + 6, '\'') : NULL;
		if (end && (size_t)(end - prog - 6) < sizeof(failed_program)) {
			memcpy(failed_program, prog + 6, (size_t)(end - prog - 6));
			failed_program[end - prog - 6] = '\0';
		}
	}
	/* Printed whole: verifier logs are far longer than a line. */
	if (verbose)
		vfprintf(stderr, fmt, ap);
	return 0;
}

const struct bpf_object_open_opts *bpf_open_opts(void)
{
	static const struct bpf_object_open_opts opts = {
		.sz = sizeof(opts),
		.btf_custom_path = "/sys/kernel/btf/vmlinux",
	};

	return &opts;
}

void bpf_log_setup(bool v)
{
	verbose = v;
	libbpf_set_print(libbpf_print);
}

int bpf_object_load_logged(struct bpf_object *obj, const char *monitor, const struct hook *hooks,
			   size_t n_hooks)
{
	const struct hook_method *method = NULL;
	const struct hook *hook;
	int r;

	failed_program[0] = '\0';
	r = bpf_object__load(obj);
	if (r >= 0)
		return 0;
	hook = failed_program[0] ? hooks_find_program(hooks, n_hooks, failed_program, &method) : NULL;
	if (!hook)
		return log_error_errno(r, "%s: loading the BPF programs failed: %m%s", monitor,
				       verbose ? "" : " (run with --verbose for libbpf's log)");
	return log_error_errno(r, "%s: BPF program %s (hook %s, via %s/%s) was rejected by the kernel: %m%s",
			       monitor, failed_program, hook->name,
			       attach_method_to_string(method->method), method->target,
			       verbose ? "" : " (run with --verbose for the verifier log)");
}
