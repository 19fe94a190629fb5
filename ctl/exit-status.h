/* SPDX-License-Identifier: GPL-2.0-only */
/* bombusctl's exit statuses, documented in its help, its man page and
 * docs/service.md; the same whichever API answered. */
#pragma once

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	 /* bus or bombusd unavailable, other errors */
	EXIT_USAGE = 2,		 /* bad command line, or InvalidArgument */
	EXIT_NOT_AUTHORIZED = 3, /* polkit said no */
	EXIT_NO_SUCH_PROCESS = 4,
	EXIT_TOO_MANY = 5, /* TooManySubscriptions */
};
