/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hook strategy layer. Each kernel hook a monitor uses is described once,
 * with the ways it can be attached in order of preference. A method is a set
 * of programs, each attached to its own target (its ELF section names it:
 * "tracepoint/syscalls/sys_enter_setreuid"). At start-up the target of every
 * program of a method is probed on the running kernel (a minimal program is
 * loaded and attached there, then released): a method works when the targets
 * of its required programs do; a missing optional one (a syscall the kernel
 * was built without) is skipped, said once and shown in the status. Each hook
 * takes the first method that works; the choice is logged and kept for
 * status reports.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct btf;

enum attach_method {
	ATTACH_LSM,        /* BPF LSM hook: lsm/HOOK */
	ATTACH_LSM_SLEEPABLE, /* sleepable BPF LSM hook: lsm.s/HOOK */
	ATTACH_FENTRY,     /* fentry on the kernel function */
	ATTACH_TP_BTF,     /* BTF-typed raw tracepoint */
	ATTACH_TRACEPOINT, /* classic (e.g. syscall) tracepoint */
	_ATTACH_METHOD_MAX,
};

/* --hook-mode: auto, or force the methods of one family where a hook has one. */
enum hook_mode {
	HOOK_MODE_AUTO,
	HOOK_MODE_LSM,
	HOOK_MODE_FENTRY,
	HOOK_MODE_TRACEPOINT,
	_HOOK_MODE_MAX,
};

#define HOOK_METHOD_PROGRAMS 8

struct hook_program {
	const char *name; /* of the BPF object */
	bool optional;    /* the method works without it where its target is missing */
};
#define OPTIONAL_PROGRAM(n) { .name = (n), .optional = true }

struct hook_method {
	enum attach_method method;
	/* What the method is known by in logs and status: its main target (LSM
	 * hook name, kernel function or tracepoint "category/name"). */
	const char *target;
	/* Programs of the BPF object that implement the hook this way. */
	struct hook_program programs[HOOK_METHOD_PROGRAMS];
};

struct bpf_link;

struct hook {
	const char *name;
	const struct hook_method *methods; /* in order of preference */
	size_t n_methods;
	bool optional; /* its monitor's events still flow without it */
	bool disabled; /* by configuration: nothing loaded (optional hooks only) */
	/* A feature the kernel may lack: when no method works, that is logged
	 * once ("hook NAME: unavailable: WHY") and the hook is left out. */
	bool best_effort;
	const struct hook_method *chosen;  /* set by hooks_select(); NULL if disabled or unavailable */
	uint32_t skipped; /* bit i: chosen->programs[i] is optional and its target missing */
	/* Those targets, for status (pointing into the BPF object). */
	const char *skipped_targets[HOOK_METHOD_PROGRAMS];
	size_t n_skipped;
	struct bpf_link *links[HOOK_METHOD_PROGRAMS]; /* set by hooks_attach() */
};

/* How the selection learns about the kernel: a program's target, and
 * whether a method can attach there (0, or -errno). The real one probes the
 * running kernel; unit tests give their own. */
struct hook_probe {
	const char *(*target_of)(void *ctx, const char *program);
	int (*probe)(void *ctx, enum attach_method method, const char *target);
	void *ctx;
};

/* The method of @hook to use (of @mode's family when @mode forces one):
 * sets hook->chosen and hook->skipped. On failure, *@failed is the method
 * tried last and *@failed_target its missing target. */
int hook_choose(struct hook *hook, enum hook_mode mode, const struct hook_probe *probe,
		const struct hook_method **failed, const char **failed_target);

const char *attach_method_to_string(enum attach_method method);
const char *hook_mode_to_string(enum hook_mode mode);
int hook_mode_from_string(const char *s, enum hook_mode *ret);

/* Whether configuration may disable hook @name of @hooks: 0 yes, -EPERM when
 * its monitor needs it, -ENOENT when there is no such hook. */
int hooks_check_disable(const struct hook *hooks, size_t n_hooks, const char *name);

/* Picks a method for each hook that is not disabled and sets the autoload flag of every program
 * named in @hooks accordingly. Fails with a logged error naming the hook when
 * none of the methods of a hook that is not optional works, or when @mode
 * forces one this kernel lacks. */
int hooks_select(struct hook *hooks, size_t n_hooks, struct bpf_object *obj, enum hook_mode mode);

/* The hook called @name; NULL when there is none. */
struct hook *hooks_find(struct hook *hooks, size_t n_hooks, const char *name);

/* Attaches the chosen programs of every hook; on failure names the program
 * and hook, and detaches what was attached. */
int hooks_attach(struct hook *hooks, size_t n_hooks, struct bpf_object *obj, const char *monitor);
void hooks_detach(struct hook *hooks, size_t n_hooks);

/* The running kernel's BTF, loaded on first use and kept; NULL (errno set)
 * when it cannot be read. */
const struct btf *kernel_btf(void);

/* The hook and method a program belongs to, for error messages. */
const struct hook *hooks_find_program(const struct hook *hooks, size_t n_hooks, const char *program,
				      const struct hook_method **method);
