// SPDX-License-Identifier: GPL-2.0-only
/* Open flags use the kernel's values, from the uapi header: glibc's <fcntl.h>
 * defines O_LARGEFILE as 0 on 64-bit, and the two cannot be mixed. */
#include <errno.h>
#include <linux/fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../macro.h"
#include "iouring-info.h"
#include "sockaddr.h"

struct open_flag {
	uint64_t bits; /* all must be set */
	const char *name;
};

/* Ascending by lowest bit (the asm-generic values, x86-64 among others); a
 * compound flag comes before the single flag holding its lowest bit. */
static const struct open_flag open_flags[] = {
	{ O_CREAT, "O_CREAT" },		{ O_EXCL, "O_EXCL" },		{ O_NOCTTY, "O_NOCTTY" },
	{ O_TRUNC, "O_TRUNC" },		{ O_APPEND, "O_APPEND" },	{ O_NONBLOCK, "O_NONBLOCK" },
	{ O_SYNC, "O_SYNC" },		{ O_DSYNC, "O_DSYNC" },		{ FASYNC, "O_ASYNC" },
	{ O_DIRECT, "O_DIRECT" },	{ O_LARGEFILE, "O_LARGEFILE" }, { O_TMPFILE, "O_TMPFILE" },
	{ O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },	{ O_NOATIME, "O_NOATIME" },
	{ O_CLOEXEC, "O_CLOEXEC" },	{ __O_SYNC, "__O_SYNC" },	{ O_PATH, "O_PATH" },
	{ __O_TMPFILE, "__O_TMPFILE" },
};

const char *open_access_to_string(uint64_t flags)
{
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		return "O_RDONLY";
	case O_WRONLY:
		return "O_WRONLY";
	case O_RDWR:
		return "O_RDWR";
	default:
		return "O_WRONLY | O_RDWR";
	}
}

static void append(char *buf, size_t *len, const char *s)
{
	*len += (size_t)snprintf(buf + *len, OPEN_FLAGS_STRING_MAX - *len, "%s%s", *len ? " | " : "", s);
}

const char *open_flags_to_string(uint64_t flags, char buf[static OPEN_FLAGS_STRING_MAX])
{
	uint64_t left = flags & ~(uint64_t)O_ACCMODE;
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(open_flags); i++)
		if ((left & open_flags[i].bits) == open_flags[i].bits) {
			append(buf, &len, open_flags[i].name);
			left &= ~open_flags[i].bits;
		}
	if (left) {
		char hex[24];

		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)left);
		append(buf, &len, hex);
	}
	return buf;
}

/* "path": the NUL-terminated path of data[] (the writer makes it valid UTF-8). */
static void render_path(struct json_writer *w, const struct bombus_iouring_record *r)
{
	json_literal(w, "\"path\":");
	json_string_n(w, r->data, strnlen(r->data, r->data_bytes));
}

static void render_sockaddr(struct json_writer *w, const struct bombus_iouring_record *r)
{
	struct sockaddr_text text;
	int ret = sockaddr_format(r->data, r->data_bytes, &text);

	if (ret == -EAFNOSUPPORT) {
		json_literal(w, "\"family\":");
		json_uint(w, (uint64_t)text.family);
		return;
	}
	if (ret < 0)
		return; /* nothing readable: an empty op_info */
	json_literal(w, "\"addr\":");
	json_string(w, text.addr);
	if (text.port >= 0) {
		json_literal(w, ",\"port\":");
		json_uint(w, (uint64_t)text.port);
	}
}

void iouring_op_info_render(struct json_writer *w, const struct bombus_iouring_record *r)
{
	bool have_data = !(r->flags & (BOMBUS_IOURING_DATA_UNREADABLE | BOMBUS_IOURING_NOT_SOCKET));
	char flags[OPEN_FLAGS_STRING_MAX];

	if (r->info == BOMBUS_IOURING_INFO_NONE)
		return;
	json_literal(w, ",\"op_info\":{");
	switch (r->info) {
	case BOMBUS_IOURING_INFO_OPEN:
		if (have_data) {
			render_path(w, r);
			json_literal(w, ",");
		}
		json_literal(w, "\"access_flags\":");
		json_string(w, open_access_to_string(r->open_flags));
		json_literal(w, ",\"creation_flags\":");
		json_string(w, open_flags_to_string(r->open_flags, flags));
		break;
	case BOMBUS_IOURING_INFO_PATH:
		if (have_data)
			render_path(w, r);
		break;
	case BOMBUS_IOURING_INFO_SOCKADDR:
		if (have_data)
			render_sockaddr(w, r);
		break;
	default:
		break;
	}
	json_literal(w, "}");
}
