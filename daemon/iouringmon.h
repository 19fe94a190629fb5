/* SPDX-License-Identifier: GPL-2.0-only */
/* IOUringMon, user half: loads bpf/iouringmon.bpf.c and turns its records
 * into IOUringEvent events, with the process from the process cache. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hooks.h"
#include "iouring-names.h"

struct daemon;
struct iouringmon;

/* Selects the hook method, loads, enables the opcodes of @d's configuration,
 * attaches and starts reading records. Nothing stays loaded or attached when
 * it fails (logged). -EOPNOTSUPP: the kernel has no io_uring. */
int iouringmon_start(struct daemon *d, struct iouringmon **ret);
/* Detaches the program and handles the records already queued. */
void iouringmon_stop(struct iouringmon *im);
void iouringmon_free(struct iouringmon *im);

/* The opcodes reported from now on, applied in the kernel. */
int iouringmon_set_opcodes(struct iouringmon *im, const bool enabled[IOURING_OPCODES]);
/* Opcode names of the running kernel, e.g. to parse a subscription. */
const struct iouring_opcodes *iouringmon_opcodes(const struct iouringmon *im);

/* Records the kernel could not queue because the ring buffer was full. */
uint64_t iouringmon_lost(const struct iouringmon *im);
const struct hook *iouringmon_hooks(const struct iouringmon *im, size_t *n);
