/* SPDX-License-Identifier: GPL-2.0-only */
/* Loading a monitor's BPF object: libbpf's messages, and a rejected program
 * named with the hook it implements. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "hooks.h"

/* Routes libbpf's messages: to stderr with --verbose (verifier logs included),
 * otherwise kept only to name the program that failed. */
void bpf_log_setup(bool verbose);

/* Options for opening every monitor's skeleton: CO-RE against the kernel's
 * vmlinux BTF only. Without this libbpf also searches kernel-module BTFs for
 * a type it does not find in vmlinux (e.g. a struct flavor of another kernel
 * version), which needs CAP_SYS_ADMIN: the service runs without it. */
const struct bpf_object_open_opts *bpf_open_opts(void);

/* bpf_object__load() with a one-line error naming the rejected program and
 * its hook, e.g. "procmon: BPF program exec_tp_btf (hook exec, via
 * tp_btf/sched_process_exec) was rejected by the kernel: Permission denied". */
int bpf_object_load_logged(struct bpf_object *obj, const char *monitor, const struct hook *hooks,
			   size_t n_hooks);
