// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "decode/sockaddr.h"
#include "unit.h"

static void inet(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(443) };
	struct sockaddr_text t;

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	CHECK_INT(sockaddr_format(&sin, sizeof(sin), &t), 0);
	CHECK_INT(t.family, AF_INET);
	CHECK_STR(t.addr, "127.0.0.1");
	CHECK_INT(t.port, 443);
	/* shorter than the kernel accepts */
	CHECK_INT(sockaddr_format(&sin, sizeof(sin) - 1, &t), -EINVAL);
	CHECK_INT(sockaddr_format(&sin, 1, &t), -EINVAL);
}

static const char *format6(const char *text, uint32_t scope, size_t len, int *port)
{
	static struct sockaddr_text t;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(8080),
				     .sin6_scope_id = scope };

	inet_pton(AF_INET6, text, &sin6.sin6_addr);
	if (sockaddr_format(&sin6, len, &t) < 0)
		return NULL;
	*port = t.port;
	return t.addr;
}

static void inet6_canonical(void)
{
	int port = 0;

	CHECK_STR(format6("0:0:0:0:0:0:0:1", 0, sizeof(struct sockaddr_in6), &port), "::1");
	CHECK_INT(port, 8080);
	CHECK_STR(format6("::", 0, sizeof(struct sockaddr_in6), &port), "::");
	/* lower case, leading zeros dropped */
	CHECK_STR(format6("2001:0DB8:0000:0000:0000:0000:0000:0001", 0, sizeof(struct sockaddr_in6), &port),
		  "2001:db8::1");
	/* the longest run of zeros is compressed, the first of equal ones */
	CHECK_STR(format6("2001:db8:0:0:1:0:0:0", 0, sizeof(struct sockaddr_in6), &port), "2001:db8:0:0:1::");
	CHECK_STR(format6("2001:db8:0:0:1:0:0:1", 0, sizeof(struct sockaddr_in6), &port),
		  "2001:db8::1:0:0:1");
	/* a single zero group is not compressed */
	CHECK_STR(format6("2001:db8:0:1:1:1:1:1", 0, sizeof(struct sockaddr_in6), &port),
		  "2001:db8:0:1:1:1:1:1");
	CHECK_STR(format6("::ffff:192.0.2.1", 0, sizeof(struct sockaddr_in6), &port), "::ffff:192.0.2.1");
	/* the zone of a link-local address */
	CHECK_STR(format6("fe80::1", 3, sizeof(struct sockaddr_in6), &port), "fe80::1%3");
	/* the RFC 2133 size has no scope id */
	CHECK_STR(format6("fe80::1", 3, 24, &port), "fe80::1");
	CHECK(format6("::1", 0, 23, &port) == NULL);
}

static int format_unix(const char *path, size_t path_len, struct sockaddr_text *t)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memcpy(sun.sun_path, path, path_len);
	return sockaddr_format(&sun, offsetof(struct sockaddr_un, sun_path) + path_len, t);
}

static void unix_paths(void)
{
	struct sockaddr_text t;
	char full[sizeof(((struct sockaddr_un *)0)->sun_path)];

	CHECK_INT(format_unix("/run/x.sock", sizeof("/run/x.sock"), &t), 0);
	CHECK_STR(t.addr, "/run/x.sock");
	CHECK_INT(t.port, -1);
	/* the length, not a NUL, ends it */
	CHECK_INT(format_unix("/run/x.sockXYZ", 11, &t), 0);
	CHECK_STR(t.addr, "/run/x.sock");
	/* all 108 bytes used, no NUL */
	memset(full, 'a', sizeof(full));
	CHECK_INT(format_unix(full, sizeof(full), &t), 0);
	CHECK_INT(strlen(t.addr), sizeof(full));
	/* abstract, NULs inside shown as @ */
	CHECK_INT(format_unix("\0bombus\0x", 9, &t), 0);
	CHECK_STR(t.addr, "@bombus@x");
	/* unnamed */
	CHECK_INT(format_unix("", 0, &t), 0);
	CHECK_STR(t.addr, "");
	/* invalid UTF-8 */
	CHECK_INT(format_unix("/tmp/\xff", 7, &t), 0);
	CHECK_STR(t.addr, "/tmp/\xef\xbf\xbd");
}

static void other_family(void)
{
	struct sockaddr_storage ss = { .ss_family = AF_NETLINK };
	struct sockaddr_text t;

	CHECK_INT(sockaddr_format(&ss, sizeof(ss), &t), -EAFNOSUPPORT);
	CHECK_INT(t.family, AF_NETLINK);
	CHECK_STR(t.addr, "");
}

UNIT_MAIN(T(inet), T(inet6_canonical), T(unix_paths), T(other_family))
