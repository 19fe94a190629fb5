// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bpf/btf.h>

#include "iouring-names.h"
#include "../macro.h"

#define OPCODE_PREFIX "IORING_OP_"

void iouring_opcodes_clear(struct iouring_opcodes *o)
{
	for (size_t i = 0; i < IOURING_OPCODES; i++) {
		free(o->names[i]);
		o->names[i] = NULL;
	}
}

int iouring_opcodes_from_btf(const struct btf *btf, struct iouring_opcodes *ret)
{
	int id = btf__find_by_name_kind(btf, "io_uring_op", BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;

	*ret = (struct iouring_opcodes){ 0 };
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, (__u32)id);
	e = btf_enum(t);
	for (unsigned i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, e[i].name_off);
		__u32 value = (__u32)e[i].val;

		/* IORING_OP_LAST counts the opcodes, it is none */
		if (!name || value >= IOURING_OPCODES || strcmp(name, OPCODE_PREFIX "LAST") == 0 ||
		    ret->names[value])
			continue;
		ret->names[value] = strdup(name);
		if (!ret->names[value]) {
			iouring_opcodes_clear(ret);
			return -ENOMEM;
		}
	}
	return 0;
}

const char *iouring_opcode_name(const struct iouring_opcodes *o, unsigned opcode,
				char buf[static IOURING_OPCODE_NAME_MAX])
{
	if (opcode < IOURING_OPCODES && o->names[opcode])
		return o->names[opcode];
	snprintf(buf, IOURING_OPCODE_NAME_MAX, OPCODE_PREFIX "UNKNOWN(%u)", opcode);
	return buf;
}

/* The opcode named @name (@len bytes), prefix optional, any case; -1 if none. */
int iouring_opcode_lookup(const struct iouring_opcodes *o, const char *name, size_t len)
{
	const size_t prefix = strlen(OPCODE_PREFIX);

	if (len > prefix && strncasecmp(name, OPCODE_PREFIX, prefix) == 0)
		name += prefix, len -= prefix;
	for (int i = 0; i < IOURING_OPCODES; i++)
		if (o->names[i] && strlen(o->names[i]) == prefix + len &&
		    strncasecmp(o->names[i] + prefix, name, len) == 0)
			return i;
	return -1;
}

int iouring_opcodes_select(const struct iouring_opcodes *o, const char *list, bool enabled[IOURING_OPCODES],
			   char **bad)
{
	bool result[IOURING_OPCODES];
	const char *item = list;

	*bad = NULL;
	memset(result, *list == '-', sizeof(result));
	for (;;) {
		size_t len = strcspn(item, ",");
		bool remove = len > 0 && *item == '-';
		const char *name = item + remove;
		size_t name_len = len - remove;
		int opcode;

		if (name_len == 3 && strncasecmp(name, "all", 3) == 0) {
			memset(result, !remove, sizeof(result));
		} else {
			opcode = name_len ? iouring_opcode_lookup(o, name, name_len) : -1;
			if (opcode < 0) {
				*bad = strndup(name, name_len);
				return *bad ? -EINVAL : -ENOMEM;
			}
			result[opcode] = !remove;
		}
		if (item[len] == '\0')
			break;
		item += len + 1;
	}
	memcpy(enabled, result, sizeof(result));
	return 0;
}
