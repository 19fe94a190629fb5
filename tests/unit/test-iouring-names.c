// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>

#include <bpf/btf.h>

#include "decode/iouring-names.h"
#include "unit.h"

/* A BTF holding enum io_uring_op as a kernel might define it. */
static struct btf *kernel_like_btf(void)
{
	struct btf *btf = btf__new_empty();

	btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	btf__add_enum(btf, "io_uring_op", 4);
	btf__add_enum_value(btf, "IORING_OP_NOP", 0);
	btf__add_enum_value(btf, "IORING_OP_ACCEPT", 13);
	btf__add_enum_value(btf, "IORING_OP_CONNECT", 16);
	btf__add_enum_value(btf, "IORING_OP_OPENAT", 18);
	/* one bombus was not built with */
	btf__add_enum_value(btf, "IORING_OP_FUTURE_THING", 200);
	btf__add_enum_value(btf, "IORING_OP_LAST", 201);
	return btf;
}

static void names_from_btf(void)
{
	struct btf *btf = kernel_like_btf();
	struct iouring_opcodes o;
	char buf[IOURING_OPCODE_NAME_MAX];

	CHECK_INT(iouring_opcodes_from_btf(btf, &o), 0);
	CHECK_STR(iouring_opcode_name(&o, 0, buf), "IORING_OP_NOP");
	CHECK_STR(iouring_opcode_name(&o, 18, buf), "IORING_OP_OPENAT");
	CHECK_STR(iouring_opcode_name(&o, 200, buf), "IORING_OP_FUTURE_THING");
	/* not named by the kernel: shown as unknown, with its number */
	CHECK_STR(iouring_opcode_name(&o, 123, buf), "IORING_OP_UNKNOWN(123)");
	CHECK_STR(iouring_opcode_name(&o, 201, buf), "IORING_OP_UNKNOWN(201)");
	CHECK_STR(iouring_opcode_name(&o, 255, buf), "IORING_OP_UNKNOWN(255)");
	CHECK_STR(iouring_opcode_name(&o, 256, buf), "IORING_OP_UNKNOWN(256)");
	iouring_opcodes_clear(&o);
	btf__free(btf);
}

static void no_io_uring(void)
{
	struct btf *btf = btf__new_empty();
	struct iouring_opcodes o;
	char buf[IOURING_OPCODE_NAME_MAX];

	btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	CHECK_INT(iouring_opcodes_from_btf(btf, &o), -ENOENT);
	CHECK_STR(iouring_opcode_name(&o, 18, buf), "IORING_OP_UNKNOWN(18)");
	btf__free(btf);
}

static int count(const bool enabled[IOURING_OPCODES])
{
	int n = 0;

	for (int i = 0; i < IOURING_OPCODES; i++)
		n += enabled[i];
	return n;
}

static void select_lists(void)
{
	struct btf *btf = kernel_like_btf();
	struct iouring_opcodes o;
	bool enabled[IOURING_OPCODES];
	char *bad = NULL;

	CHECK_INT(iouring_opcodes_from_btf(btf, &o), 0);
	CHECK_INT(iouring_opcodes_select(&o, "all", enabled, &bad), 0);
	CHECK_INT(count(enabled), IOURING_OPCODES);
	/* prefix optional, any case */
	CHECK_INT(iouring_opcodes_select(&o, "OPENAT,iorinG_op_connect,future_thing", enabled, &bad), 0);
	CHECK_INT(count(enabled), 3);
	CHECK(enabled[18] && enabled[16] && enabled[200] && !enabled[0]);
	/* a leading removal starts from all */
	CHECK_INT(iouring_opcodes_select(&o, "-NOP", enabled, &bad), 0);
	CHECK_INT(count(enabled), IOURING_OPCODES - 1);
	CHECK(!enabled[0] && enabled[18] && enabled[123]);
	CHECK_INT(iouring_opcodes_select(&o, "all,-nop,-ACCEPT,nop", enabled, &bad), 0);
	CHECK_INT(count(enabled), IOURING_OPCODES - 1);
	CHECK(enabled[0] && !enabled[13]);
	CHECK_INT(iouring_opcodes_select(&o, "-all,OPENAT", enabled, &bad), 0);
	CHECK_INT(count(enabled), 1);
	/* errors name the item and leave @enabled alone */
	CHECK_INT(iouring_opcodes_select(&o, "OPENAT,SENDMSG", enabled, &bad), -EINVAL);
	CHECK_STR(bad, "SENDMSG");
	free(bad);
	CHECK_INT(count(enabled), 1);
	CHECK_INT(iouring_opcodes_select(&o, "OPENAT,", enabled, &bad), -EINVAL);
	CHECK_STR(bad, "");
	free(bad);
	CHECK_INT(iouring_opcodes_select(&o, "", enabled, &bad), -EINVAL);
	free(bad);
	CHECK_INT(iouring_opcodes_select(&o, "IORING_OP_", enabled, &bad), -EINVAL);
	free(bad);
	CHECK_INT(iouring_opcodes_select(&o, "LAST", enabled, &bad), -EINVAL);
	CHECK_STR(bad, "LAST");
	free(bad);
	iouring_opcodes_clear(&o);
	btf__free(btf);
}

UNIT_MAIN(T(names_from_btf), T(no_io_uring), T(select_lists))
