/* SPDX-License-Identifier: GPL-2.0-only */
/* Checks that report FILE:LINE and let the test go on; the test exits with
 * check_failures != 0. */
#pragma once

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);             \
			check_failures++;                                                                    \
		}                                                                                            \
	} while (0)

#define CHECK_STR(actual, expected)                                                                          \
	do {                                                                                                 \
		const char *actual_ = (actual), *expected_ = (expected);                                     \
		if (!actual_ || strcmp(actual_, expected_) != 0) {                                           \
			fprintf(stderr, "%s:%d: %s is \"%s\", not \"%s\"\n", __FILE__, __LINE__, #actual,    \
				actual_ ? actual_ : "(null)", expected_);                                    \
			check_failures++;                                                                    \
		}                                                                                            \
	} while (0)

#define CHECK_INT(actual, expected)                                                                          \
	do {                                                                                                 \
		long long actual_ = (long long)(actual), expected_ = (long long)(expected);                  \
		if (actual_ != expected_) {                                                                  \
			fprintf(stderr, "%s:%d: %s is %lld, not %lld\n", __FILE__, __LINE__, #actual,        \
				actual_, expected_);                                                         \
			check_failures++;                                                                    \
		}                                                                                            \
	} while (0)
