/* SPDX-License-Identifier: GPL-2.0-only */
/* Socket addresses as events show them: IPv4 dotted quad, IPv6 in its
 * canonical text form (RFC 5952), AF_UNIX the socket path. */
#pragma once

#include <stddef.h>

/* Longest text: an abstract AF_UNIX name of 107 bytes, each invalid byte
 * shown as U+FFFD (3 bytes), plus "@" and NUL. */
#define SOCKADDR_TEXT_MAX (1 + 3 * 107 + 1)

struct sockaddr_text {
	int family;		      /* AF_* of the address, 0 when too short */
	char addr[SOCKADDR_TEXT_MAX]; /* "" for an unnamed AF_UNIX socket */
	int port;		      /* AF_INET and AF_INET6 only; -1 otherwise */
};

/*
 * Formats the @len bytes of the struct sockaddr at @sa (untrusted: from the
 * kernel or a program). IPv6 link-local addresses get their zone as
 * "%<interface index>". An abstract AF_UNIX name is shown as "@" followed by
 * the name, NUL bytes in it as "@" (as ss(8) does).
 * Returns 0, -EAFNOSUPPORT for another family (only ->family is set), or
 * -EINVAL when @len is too short for the family it names.
 */
int sockaddr_format(const void *sa, size_t len, struct sockaddr_text *ret);
