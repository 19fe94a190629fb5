// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "sockaddr.h"
#include "text.h"

/* Without sin6_scope_id (RFC 2133 size), which the kernel accepts too. */
#define SOCKADDR_IN6_MIN_LEN 24

static int format_inet(const void *sa, size_t len, struct sockaddr_text *ret)
{
	struct sockaddr_in sin;

	if (len < sizeof(sin))
		return -EINVAL;
	memcpy(&sin, sa, sizeof(sin));
	inet_ntop(AF_INET, &sin.sin_addr, ret->addr, sizeof(ret->addr));
	ret->port = ntohs(sin.sin_port);
	return 0;
}

static int format_inet6(const void *sa, size_t len, struct sockaddr_text *ret)
{
	struct sockaddr_in6 sin6 = { 0 };
	size_t n;

	if (len < SOCKADDR_IN6_MIN_LEN)
		return -EINVAL;
	memcpy(&sin6, sa, len < sizeof(sin6) ? len : sizeof(sin6));
	/* glibc's inet_ntop writes the RFC 5952 form: lower case, longest
	 * run of zero groups (not a single one) as "::", IPv4-mapped dotted. */
	inet_ntop(AF_INET6, &sin6.sin6_addr, ret->addr, sizeof(ret->addr));
	n = strlen(ret->addr);
	if (sin6.sin6_scope_id)
		snprintf(ret->addr + n, sizeof(ret->addr) - n, "%%%u", sin6.sin6_scope_id);
	ret->port = ntohs(sin6.sin6_port);
	return 0;
}

static int format_unix(const void *sa, size_t len, struct sockaddr_text *ret)
{
	const char *path = (const char *)sa + offsetof(struct sockaddr_un, sun_path);
	size_t path_len, out_len = 0;

	if (len > sizeof(struct sockaddr_un))
		len = sizeof(struct sockaddr_un);
	path_len = len - offsetof(struct sockaddr_un, sun_path);
	if (path_len == 0)
		return 0; /* unnamed */
	if (path[0] != '\0') {
		/* A path name ends at its NUL, if the caller gave one. */
		const char *nul = memchr(path, '\0', path_len);

		utf8_append(ret->addr, sizeof(ret->addr), &out_len, path,
			    nul ? (size_t)(nul - path) : path_len, false);
		return 0;
	}
	/* Abstract: every byte of the length counts, NULs included. */
	for (size_t i = 0; i < path_len; i++) {
		const char *nul = memchr(path + i, '\0', path_len - i);
		size_t n = nul ? (size_t)(nul - (path + i)) : path_len - i;

		utf8_append(ret->addr, sizeof(ret->addr), &out_len, path + i, n, false);
		i += n;
		if (i < path_len)
			utf8_append(ret->addr, sizeof(ret->addr), &out_len, "@", 1, false);
	}
	return 0;
}

int sockaddr_format(const void *sa, size_t len, struct sockaddr_text *ret)
{
	sa_family_t family;

	*ret = (struct sockaddr_text){ .port = -1 };
	if (len < sizeof(family))
		return -EINVAL;
	memcpy(&family, sa, sizeof(family));
	ret->family = family;
	switch (family) {
	case AF_INET:
		return format_inet(sa, len, ret);
	case AF_INET6:
		return format_inet6(sa, len, ret);
	case AF_UNIX:
		return format_unix(sa, len, ret);
	default:
		return -EAFNOSUPPORT;
	}
}
