/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * io_uring opcode names. They are read from the running kernel's BTF
 * (enum io_uring_op), so a kernel newer than bombus has its new opcodes
 * named; a number the kernel does not name is shown as
 * "IORING_OP_UNKNOWN(<number>)", never dropped or given another name.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct btf;

#define IOURING_OPCODES 256 /* opcodes are a u8 */
/* "IORING_OP_UNKNOWN(255)" and NUL */
#define IOURING_OPCODE_NAME_MAX 24

struct iouring_opcodes {
	char *names[IOURING_OPCODES]; /* NULL: not named by the kernel */
};

/* Fills @ret from enum io_uring_op of @btf (IORING_OP_LAST left out).
 * -ENOENT when the kernel has no such enum (built without io_uring),
 * -ENOMEM. */
int iouring_opcodes_from_btf(const struct btf *btf, struct iouring_opcodes *ret);
void iouring_opcodes_clear(struct iouring_opcodes *o);

const char *iouring_opcode_name(const struct iouring_opcodes *o, unsigned opcode,
				char buf[static IOURING_OPCODE_NAME_MAX]);

/* The opcode called @name (@len bytes; "OPENAT" or "IORING_OP_openat", any
 * case), or -1. */
int iouring_opcode_lookup(const struct iouring_opcodes *o, const char *name, size_t len);

/*
 * Which opcodes to report, from a comma-separated @list: "all", or opcode
 * names with or without the IORING_OP_ prefix, in any case ("OPENAT",
 * "IORING_OP_connect"); "-NAME" removes one. Items apply left to right,
 * starting from none, or from all when the first item is a removal
 * ("-NOP" = every opcode but IORING_OP_NOP). Opcodes the kernel does not
 * name are enabled with "all" too. @enabled is changed only on success.
 * Returns 0, -ENOMEM, or -EINVAL for an unknown or empty name, with *@bad set
 * to a new copy of it.
 */
int iouring_opcodes_select(const struct iouring_opcodes *o, const char *list, bool enabled[IOURING_OPCODES],
			   char **bad);
