// SPDX-License-Identifier: GPL-2.0-only
/* Kernel open flag values, as the daemon uses them (not glibc's). */
#include <linux/fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "decode/iouring-info.h"
#include "unit.h"

static void access_modes(void)
{
	CHECK_STR(open_access_to_string(O_RDONLY | O_CREAT), "O_RDONLY");
	CHECK_STR(open_access_to_string(O_WRONLY), "O_WRONLY");
	CHECK_STR(open_access_to_string(O_RDWR | O_LARGEFILE), "O_RDWR");
	CHECK_STR(open_access_to_string(O_ACCMODE), "O_WRONLY | O_RDWR");
}

static void creation_flags(void)
{
	char buf[OPEN_FLAGS_STRING_MAX];

	CHECK_STR(open_flags_to_string(O_RDONLY, buf), "");
	CHECK_STR(open_flags_to_string(O_RDWR, buf), "");
	CHECK_STR(open_flags_to_string(O_RDONLY | O_LARGEFILE, buf), "O_LARGEFILE");
	/* bit order, whatever order they were given in */
	CHECK_STR(open_flags_to_string(O_LARGEFILE | O_EXCL | O_CREAT | O_WRONLY, buf),
		  "O_CREAT | O_EXCL | O_LARGEFILE");
	CHECK_STR(open_flags_to_string(O_CLOEXEC | O_NOFOLLOW | O_DIRECTORY | O_NONBLOCK, buf),
		  "O_NONBLOCK | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC");
	/* compound flags named as such, their parts alone by their names */
	CHECK_STR(open_flags_to_string(O_SYNC, buf), "O_SYNC");
	CHECK_STR(open_flags_to_string(O_DSYNC, buf), "O_DSYNC");
	CHECK_STR(open_flags_to_string(O_TMPFILE | O_RDWR, buf), "O_TMPFILE");
	CHECK_STR(open_flags_to_string(O_DIRECTORY, buf), "O_DIRECTORY");
	CHECK_STR(open_flags_to_string(O_PATH | O_NOATIME | O_TRUNC | O_APPEND | O_NOCTTY | FASYNC | O_DIRECT,
				       buf),
		  "O_NOCTTY | O_TRUNC | O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME | O_PATH");
	/* bits without a name, as one mask after the named ones */
	CHECK_STR(open_flags_to_string(0x80000000ULL | (1ULL << 40) | O_CREAT, buf),
		  "O_CREAT | 0x10080000000");
	/* every bit set fits */
	CHECK(strlen(open_flags_to_string(~0ULL, buf)) < OPEN_FLAGS_STRING_MAX - 1);
}

static struct bombus_iouring_record *record(enum bombus_iouring_info info, const void *data, size_t len)
{
	static struct bombus_iouring_record r;

	memset(&r, 0, sizeof(r));
	r.info = info;
	memcpy(r.data, data, len);
	r.data_bytes = len;
	return &r;
}

/* op_info of @r as JSON text ("(none)" when absent, "(error)" when the
 * writer failed or wrote something else than the member). */
static const char *info_text(const struct bombus_iouring_record *r)
{
	static const char member[] = ",\"op_info\":";
	static char text[16384];
	struct json_writer w;

	json_writer_init(&w, 1 << 20);
	iouring_op_info_render(&w, r);
	if (w.failed)
		snprintf(text, sizeof(text), "(error)");
	else if (w.len == 0)
		snprintf(text, sizeof(text), "(none)");
	else if (w.len < sizeof(member) - 1 || strncmp(w.buf, member, sizeof(member) - 1) != 0)
		snprintf(text, sizeof(text), "(error)");
	else
		snprintf(text, sizeof(text), "%.*s", (int)(w.len - (sizeof(member) - 1)), w.buf + sizeof(member) - 1);
	json_writer_free(&w);
	return text;
}

static void op_info_none(void)
{
	CHECK_STR(info_text(record(BOMBUS_IOURING_INFO_NONE, "", 0)), "(none)");
}

static void op_info_open(void)
{
	struct bombus_iouring_record *r = record(BOMBUS_IOURING_INFO_OPEN, "/etc/passwd", 12);

	r->open_flags = O_RDONLY | O_LARGEFILE;
	CHECK_STR(info_text(r), "{\"path\":\"/etc/"
				"passwd\",\"access_flags\":\"O_RDONLY\",\"creation_flags\":\"O_LARGEFILE\"}");
	/* the path could not be read: the flags are still known */
	r->flags = BOMBUS_IOURING_DATA_UNREADABLE;
	CHECK_STR(info_text(r), "{\"access_flags\":\"O_RDONLY\",\"creation_flags\":\"O_LARGEFILE\"}");
}

static void op_info_path(void)
{
	/* an empty path (AT_EMPTY_PATH) */
	CHECK_STR(info_text(record(BOMBUS_IOURING_INFO_PATH, "", 0)), "{\"path\":\"\"}");
	/* invalid UTF-8 and a control byte; no NUL at the end of the data */
	CHECK_STR(info_text(record(BOMBUS_IOURING_INFO_PATH, "/tmp/\xc3\x28\n", 8)),
		  "{\"path\":\"/tmp/\xef\xbf\xbd(\\n\"}");
	/* the longest path */
	{
		char *p = malloc(BOMBUS_IOURING_DATA_MAX);

		memset(p, 'x', BOMBUS_IOURING_DATA_MAX - 1);
		p[BOMBUS_IOURING_DATA_MAX - 1] = '\0';
		/* {"path":"xxx..."} */
		CHECK_INT(strlen(info_text(record(BOMBUS_IOURING_INFO_PATH, p, BOMBUS_IOURING_DATA_MAX))),
			  strlen("{\"path\":\"\"}") + BOMBUS_IOURING_DATA_MAX - 1);
		free(p);
	}
}

static void op_info_sockaddr(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(443),
				   .sin_addr.s_addr = htonl(0x7f000001) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(22),
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "/run/a.sock" };
	struct sockaddr_storage other = { .ss_family = AF_VSOCK };
	struct bombus_iouring_record *r;

	CHECK_STR(info_text(record(BOMBUS_IOURING_INFO_SOCKADDR, &sin, sizeof(sin))),
		  "{\"addr\":\"127.0.0.1\",\"port\":443}");
	CHECK_STR(info_text(record(BOMBUS_IOURING_INFO_SOCKADDR, &sin6, sizeof(sin6))),
		  "{\"addr\":\"::1\",\"port\":22}");
	CHECK_STR(info_text(record(BOMBUS_IOURING_INFO_SOCKADDR, &sun, sizeof(sun))),
		  "{\"addr\":\"/run/a.sock\"}");
	CHECK_STR(info_text(record(BOMBUS_IOURING_INFO_SOCKADDR, &other, 16)), "{\"family\":40}");
	/* nothing usable: an empty op_info */
	CHECK_STR(info_text(record(BOMBUS_IOURING_INFO_SOCKADDR, &sin, 0)), "{}");
	CHECK_STR(info_text(record(BOMBUS_IOURING_INFO_SOCKADDR, &sin, 8)), "{}");
	r = record(BOMBUS_IOURING_INFO_SOCKADDR, &sin, sizeof(sin));
	r->flags = BOMBUS_IOURING_NOT_SOCKET;
	CHECK_STR(info_text(r), "{}");
}

UNIT_MAIN(T(access_modes), T(creation_flags), T(op_info_none), T(op_info_open), T(op_info_path),
	  T(op_info_sockaddr))
