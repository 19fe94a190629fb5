// SPDX-License-Identifier: GPL-2.0-only
/* Method selection against a pretend kernel: which targets exist is the
 * test's (struct hook_probe), not the running kernel's. */
#include <errno.h>
#include <string.h>

#include "ring/hooks.h"
#include "unit.h"

/* Program names are their targets here; @missing lists what the pretend
 * kernel lacks. */
struct kernel {
	const char *missing[8];
};

static const char *target_of(void *ctx, const char *program)
{
	return program;
}

static int probe(void *ctx, enum attach_method method, const char *target)
{
	const struct kernel *k = ctx;

	if (method == ATTACH_LSM)
		return -EPERM; /* as on this development machine */
	for (size_t i = 0; i < 8 && k->missing[i]; i++)
		if (strcmp(k->missing[i], target) == 0)
			return -ENOENT;
	return 0;
}

static const struct hook_method ptrace_methods[] = {
	{ ATTACH_LSM, "ptrace_access_check", { { "lsm/ptrace_access_check" } } },
	{ ATTACH_TRACEPOINT, "syscalls/sys_enter_ptrace",
	  { { "sys_enter_ptrace" }, { "sys_exit_ptrace" }, OPTIONAL_PROGRAM("sys_enter_process_vm_readv"),
	    OPTIONAL_PROGRAM("sys_exit_process_vm_readv") } },
};

static struct hook ptrace_hook(void)
{
	return (struct hook){ .name = "ptrace_access_check", .methods = ptrace_methods, .n_methods = 2 };
}

/* Before: only the first target of a method was probed, and a missing later
 * one failed the attach, stopping bombusd. */
static void missing_optional_target_is_skipped(void)
{
	struct kernel k = { { "sys_enter_process_vm_readv", "sys_exit_process_vm_readv" } };
	struct hook_probe p = { target_of, probe, &k };
	struct hook h = ptrace_hook();
	const struct hook_method *failed = NULL;
	const char *target = NULL;

	CHECK_INT(hook_choose(&h, HOOK_MODE_AUTO, &p, &failed, &target), 0);
	CHECK(h.chosen == &ptrace_methods[1]);
	CHECK_INT(h.skipped, (1u << 2) | (1u << 3));
}

static void missing_required_target_fails_the_method(void)
{
	struct kernel k = { { "sys_exit_ptrace" } };
	struct hook_probe p = { target_of, probe, &k };
	struct hook h = ptrace_hook();
	const struct hook_method *failed = NULL;
	const char *target = NULL;

	CHECK(hook_choose(&h, HOOK_MODE_AUTO, &p, &failed, &target) < 0);
	CHECK(h.chosen == NULL);
	CHECK(failed == &ptrace_methods[1]);
	CHECK_STR(target, "sys_exit_ptrace"); /* the error names what is missing */
}

static void everything_present_skips_nothing(void)
{
	struct kernel k = { { NULL } };
	struct hook_probe p = { target_of, probe, &k };
	struct hook h = ptrace_hook();
	const struct hook_method *failed = NULL;
	const char *target = NULL;

	CHECK_INT(hook_choose(&h, HOOK_MODE_TRACEPOINT, &p, &failed, &target), 0);
	CHECK(h.chosen == &ptrace_methods[1]);
	CHECK_INT(h.skipped, 0);
	/* a forced mode the kernel lacks fails, naming the target */
	CHECK(hook_choose(&h, HOOK_MODE_LSM, &p, &failed, &target) < 0);
	CHECK_STR(target, "lsm/ptrace_access_check");
}

UNIT_MAIN(T(missing_optional_target_is_skipped), T(missing_required_target_fails_the_method),
	  T(everything_present_skips_nothing))
