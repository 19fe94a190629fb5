// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "hooks.h"
#include "../log.h"
#include "../macro.h"

static const char *const method_names[_ATTACH_METHOD_MAX] = {
	[ATTACH_LSM] = "lsm",
	[ATTACH_LSM_SLEEPABLE] = "lsm.s",
	[ATTACH_FENTRY] = "fentry",
	[ATTACH_TP_BTF] = "tp_btf",
	[ATTACH_TRACEPOINT] = "tracepoint",
};

static const char *const mode_names[_HOOK_MODE_MAX] = {
	[HOOK_MODE_AUTO] = "auto",
	[HOOK_MODE_LSM] = "lsm",
	[HOOK_MODE_FENTRY] = "fentry",
	[HOOK_MODE_TRACEPOINT] = "tracepoint",
};

const char *attach_method_to_string(enum attach_method method)
{
	return method < _ATTACH_METHOD_MAX ? method_names[method] : "unknown";
}

const char *hook_mode_to_string(enum hook_mode mode)
{
	return mode < _HOOK_MODE_MAX ? mode_names[mode] : "unknown";
}

int hook_mode_from_string(const char *s, enum hook_mode *ret)
{
	for (size_t i = 0; i < _HOOK_MODE_MAX; i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*ret = (enum hook_mode)i;
			return 0;
		}
	return -EINVAL;
}

/* The mode that forces @method, for hooks that offer it. */
static enum hook_mode method_mode(enum attach_method method)
{
	switch (method) {
	case ATTACH_LSM:
	case ATTACH_LSM_SLEEPABLE:
		return HOOK_MODE_LSM;
	case ATTACH_FENTRY:
		return HOOK_MODE_FENTRY;
	default:
		return HOOK_MODE_TRACEPOINT;
	}
}

const struct btf *kernel_btf(void)
{
	static struct btf *btf;

	if (!btf)
		btf = btf__load_vmlinux_btf();
	return btf; /* kept for the life of the process: probes reuse it */
}

static int btf_id(const char *prefix, const char *name, int kind)
{
	char full[256];
	const struct btf *btf = kernel_btf();
	int id;

	if (!btf)
		return -errno ?: -ENOENT;
	snprintf(full, sizeof(full), "%s%s", prefix, name);
	id = btf__find_by_name_kind(btf, full, kind);
	return id < 0 ? -ENOENT : id;
}

/* "r0 = 0; exit": the smallest valid program of any type. */
static int load_trivial(enum bpf_prog_type type, enum bpf_attach_type attach, int attach_btf_id,
			__u32 flags)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach,
		    .attach_btf_id = (__u32)attach_btf_id, .prog_flags = flags);
	int fd = bpf_prog_load(type, NULL, "GPL", insns, ELEMENTSOF(insns), &opts);

	return fd < 0 ? -errno : fd;
}

static bool lsm_active(const char *lsm)
{
	char list[512] = "";
	_cleanup_close_ int fd = open("/sys/kernel/security/lsm", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	/* Without securityfs the list cannot be read; the probe decides. */
	if (fd < 0)
		return true;
	n = read(fd, list, sizeof(list) - 1);
	if (n <= 0)
		return true;
	list[n] = '\0';
	for (char *tok = strtok(list, ",\n"); tok; tok = strtok(NULL, ",\n"))
		if (strcmp(tok, lsm) == 0)
			return true;
	return false;
}

static int probe_btf_attach(enum bpf_prog_type type, enum bpf_attach_type attach, int id, __u32 flags)
{
	_cleanup_close_ int prog = -1, link = -1;

	prog = load_trivial(type, attach, id, flags);
	if (prog < 0)
		return prog;
	link = bpf_raw_tracepoint_open(NULL, prog);
	return link < 0 ? -errno : 0;
}

static const char *tracefs_root(void)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[64];

	for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
		snprintf(path, sizeof(path), "%s/events", roots[i]);
		if (access(path, F_OK) == 0)
			return roots[i];
	}
	/* Not mounted (no systemd, minimal containers): mount it where libbpf
	 * looks first. */
	if (mount("tracefs", roots[0], "tracefs", 0, NULL) < 0) {
		log_debug_errno(errno, "cannot mount tracefs on %s: %m", roots[0]);
		return NULL;
	}
	log_info("mounted tracefs on %s", roots[0]);
	return roots[0];
}

static int probe_tracepoint(const char *target)
{
	_cleanup_close_ int prog = -1, event = -1;
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr) };
	const char *root = tracefs_root();
	char path[256], id[32] = "";
	FILE *f;

	if (!root)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/events/%s/id", root, target);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(id, sizeof(id), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	attr.config = strtoull(id, NULL, 10);
	prog = load_trivial(BPF_PROG_TYPE_TRACEPOINT, 0, 0, 0);
	if (prog < 0)
		return prog;
	event = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (event < 0)
		return -errno;
	return ioctl(event, PERF_EVENT_IOC_SET_BPF, prog) < 0 ? -errno : 0;
}

static int probe_method(enum attach_method method, const char *target)
{
	int id;

	switch (method) {
	case ATTACH_LSM:
	case ATTACH_LSM_SLEEPABLE:
		if (!lsm_active("bpf"))
			return -EOPNOTSUPP;
		id = btf_id("bpf_lsm_", target, BTF_KIND_FUNC);
		return id < 0 ? id
			      : probe_btf_attach(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, id,
						 method == ATTACH_LSM_SLEEPABLE ? BPF_F_SLEEPABLE : 0);
	case ATTACH_FENTRY:
		id = btf_id("", target, BTF_KIND_FUNC);
		return id < 0 ? id : probe_btf_attach(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, id, 0);
	case ATTACH_TP_BTF:
		id = btf_id("btf_trace_", target, BTF_KIND_TYPEDEF);
		return id < 0 ? id : probe_btf_attach(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, id, 0);
	case ATTACH_TRACEPOINT:
		return probe_tracepoint(target);
	default:
		return -EINVAL;
	}
}

/* Probe results are shared by hooks with the same method and target. */
struct probe_result {
	enum attach_method method;
	const char *target;
	int result;
};

static int probe_cached(void *ctx, enum attach_method method, const char *target)
{
	static struct probe_result results[128];
	static size_t n_results;
	int r;

	for (size_t i = 0; i < n_results; i++)
		if (results[i].method == method && strcmp(results[i].target, target) == 0)
			return results[i].result;
	r = probe_method(method, target);
	log_debug("probe %s/%s: %s", attach_method_to_string(method), target, r < 0 ? strerror(-r) : "ok");
	if (n_results < ELEMENTSOF(results))
		results[n_results++] = (struct probe_result){ method, target, r };
	return r;
}

/* A program's target: its section name after the first '/'
 * ("tracepoint/syscalls/sys_enter_setuid": "syscalls/sys_enter_setuid"). */
static const char *object_target_of(void *ctx, const char *program)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(ctx, program);
	const char *section = prog ? bpf_program__section_name(prog) : NULL;
	const char *slash = section ? strchr(section, '/') : NULL;

	return slash ? slash + 1 : NULL;
}

static bool hook_offers_mode(const struct hook *hook, enum hook_mode mode)
{
	for (size_t i = 0; i < hook->n_methods; i++)
		if (method_mode(hook->methods[i].method) == mode)
			return true;
	return false;
}

/* Whether @m can be used: every required program's target attaches.
 * *@skipped gets the optional programs whose target is missing. */
static int method_usable(const struct hook_method *m, const struct hook_probe *probe, uint32_t *skipped,
			 const char **failed_target)
{
	*skipped = 0;
	for (size_t p = 0; p < HOOK_METHOD_PROGRAMS && m->programs[p].name; p++) {
		const char *target = probe->target_of(probe->ctx, m->programs[p].name);
		int r = target ? probe->probe(probe->ctx, m->method, target) : -ENOENT;

		if (r >= 0)
			continue;
		if (!m->programs[p].optional) {
			*failed_target = target ?: m->programs[p].name;
			return r;
		}
		*skipped |= 1u << p;
	}
	return 0;
}

int hook_choose(struct hook *hook, enum hook_mode mode, const struct hook_probe *probe,
		const struct hook_method **failed, const char **failed_target)
{
	bool forced = mode != HOOK_MODE_AUTO && hook_offers_mode(hook, mode);
	int r = -ENOENT;

	hook->chosen = NULL;
	hook->skipped = 0;
	for (size_t i = 0; i < hook->n_methods; i++) {
		const struct hook_method *m = &hook->methods[i];

		if (forced && method_mode(m->method) != mode)
			continue;
		*failed = m;
		*failed_target = m->target;
		r = method_usable(m, probe, &hook->skipped, failed_target);
		if (r >= 0) {
			hook->chosen = m;
			return 0;
		}
		/* Forced, the next method of the same family may still work
		 * (a tracepoint renamed between kernels). */
	}
	hook->skipped = 0;
	return r;
}

static int hook_select_logged(struct hook *hook, enum hook_mode mode, const struct hook_probe *probe)
{
	const struct hook_method *m = NULL;
	const char *target = NULL;
	int r;

	if (hook->disabled) {
		log_info("hook %s: disabled by configuration", hook->name);
		return 0;
	}
	r = hook_choose(hook, mode, probe, &m, &target);
	if (r >= 0) {
		log_info("hook %s: %s/%s", hook->name, attach_method_to_string(hook->chosen->method),
			 hook->chosen->target);
		hook->n_skipped = 0;
		for (size_t p = 0; p < HOOK_METHOD_PROGRAMS; p++) {
			const char *missing;

			if (!(hook->skipped & (1u << p)))
				continue;
			missing = probe->target_of(probe->ctx, hook->chosen->programs[p].name) ?:
					  hook->chosen->programs[p].name;
			hook->skipped_targets[hook->n_skipped++] = missing;
			log_warning("hook %s: %s/%s is missing on this kernel, skipped: what it sees is not reported",
				    hook->name, attach_method_to_string(hook->chosen->method), missing);
		}
		return 0;
	}
	if (hook->best_effort) {
		log_warning_errno(r, "hook %s: unavailable: needs %s/%s, which this kernel does not allow: %m",
				  hook->name, attach_method_to_string(m->method), target);
		return 0;
	}
	if (mode != HOOK_MODE_AUTO && hook_offers_mode(hook, mode))
		return log_error_errno(r, "hook %s: --hook-mode=%s needs %s/%s, which this kernel does not allow: %m",
				       hook->name, hook_mode_to_string(mode), attach_method_to_string(m->method),
				       target);
	return log_error_errno(r, "hook %s: no attach method works on this kernel (last tried: %s/%s: %m)",
			       hook->name, attach_method_to_string(m->method), target);
}

int hooks_check_disable(const struct hook *hooks, size_t n_hooks, const char *name)
{
	for (size_t h = 0; h < n_hooks; h++)
		if (strcmp(hooks[h].name, name) == 0)
			return hooks[h].optional ? 0 : -EPERM;
	return -ENOENT;
}

int hooks_select(struct hook *hooks, size_t n_hooks, struct bpf_object *obj, enum hook_mode mode)
{
	const struct hook_probe probe = { .target_of = object_target_of, .probe = probe_cached, .ctx = obj };

	for (size_t h = 0; h < n_hooks; h++) {
		int r = hook_select_logged(&hooks[h], mode, &probe);

		if (r < 0)
			return r;
		for (size_t i = 0; i < hooks[h].n_methods; i++) {
			const struct hook_method *m = &hooks[h].methods[i];

			for (size_t p = 0; p < HOOK_METHOD_PROGRAMS && m->programs[p].name; p++) {
				struct bpf_program *prog = bpf_object__find_program_by_name(obj, m->programs[p].name);

				if (!prog)
					return log_error_errno(ENOENT, "hook %s: program %s is missing from the BPF object",
							       hooks[h].name, m->programs[p].name);
				bpf_program__set_autoload(prog, m == hooks[h].chosen && !(hooks[h].skipped & (1u << p)));
			}
		}
	}
	return 0;
}

struct hook *hooks_find(struct hook *hooks, size_t n_hooks, const char *name)
{
	for (size_t h = 0; h < n_hooks; h++)
		if (strcmp(hooks[h].name, name) == 0)
			return &hooks[h];
	return NULL;
}

const struct hook *hooks_find_program(const struct hook *hooks, size_t n_hooks, const char *program,
				      const struct hook_method **method)
{
	for (size_t h = 0; h < n_hooks; h++)
		for (size_t i = 0; i < hooks[h].n_methods; i++)
			for (size_t p = 0; p < HOOK_METHOD_PROGRAMS && hooks[h].methods[i].programs[p].name; p++)
				if (strcmp(hooks[h].methods[i].programs[p].name, program) == 0) {
					*method = &hooks[h].methods[i];
					return &hooks[h];
				}
	return NULL;
}

int hooks_attach(struct hook *hooks, size_t n_hooks, struct bpf_object *obj, const char *monitor)
{
	for (size_t h = 0; h < n_hooks; h++) {
		const struct hook_method *m = hooks[h].chosen;

		for (size_t p = 0; m && p < HOOK_METHOD_PROGRAMS && m->programs[p].name; p++) {
			struct bpf_program *prog;
			struct bpf_link *link;

			if (hooks[h].skipped & (1u << p))
				continue;
			prog = bpf_object__find_program_by_name(obj, m->programs[p].name);
			link = prog ? bpf_program__attach(prog) : NULL;

			if (!link) {
				int r = -errno;

				hooks_detach(hooks, n_hooks);
				return log_error_errno(r, "%s: attaching BPF program %s (hook %s, via %s/%s) failed: %m",
						       monitor, m->programs[p].name, hooks[h].name,
						       attach_method_to_string(m->method), m->target);
			}
			hooks[h].links[p] = link;
		}
	}
	return 0;
}

void hooks_detach(struct hook *hooks, size_t n_hooks)
{
	for (size_t h = 0; h < n_hooks; h++)
		for (size_t p = 0; p < HOOK_METHOD_PROGRAMS; p++) {
			bpf_link__destroy(hooks[h].links[p]);
			hooks[h].links[p] = NULL;
		}
}
