/* SPDX-License-Identifier: GPL-2.0-only */
/* A minimal unit test harness: TEST(name) functions registered in a table,
 * CHECK macros that report file:line and keep going, non-zero exit on any
 * failure. */
#pragma once

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failures;

#define CHECK(cond)                                                                 \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			unit_failures++;                                            \
		}                                                                   \
	} while (0)

#define CHECK_STR_NAMED(what, actual, expected)                                     \
	do {                                                                        \
		const char *a_ = (actual), *e_ = (expected);                        \
		if (!a_ || strcmp(a_, e_) != 0) {                                   \
			fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
				what, a_ ? a_ : "(null)", e_);                      \
			unit_failures++;                                            \
		}                                                                   \
	} while (0)

#define CHECK_STR(actual, expected) CHECK_STR_NAMED(#actual, actual, expected)

/* CHECK_STR of a string that @actual allocates, freed after. */
#define CHECK_STR_FREE(actual, expected)                                            \
	do {                                                                        \
		char *owned_ = (actual);                                            \
		CHECK_STR_NAMED(#actual, owned_, expected);                         \
		free(owned_);                                                       \
	} while (0)

#define CHECK_INT(actual, expected)                                                 \
	do {                                                                        \
		long long a_ = (long long)(actual), e_ = (long long)(expected);     \
		if (a_ != e_) {                                                     \
			fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #actual, \
				a_, e_);                                            \
			unit_failures++;                                            \
		}                                                                   \
	} while (0)

struct unit_test {
	const char *name;
	void (*fn)(void);
};

#define UNIT_MAIN(...)                                                              \
	int main(void)                                                              \
	{                                                                           \
		static const struct unit_test tests[] = { __VA_ARGS__ };           \
		for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {     \
			int before = unit_failures;                                 \
			tests[i].fn();                                              \
			printf("%s %s\n", unit_failures == before ? "ok  " : "FAIL", tests[i].name); \
		}                                                                   \
		return unit_failures ? 1 : 0;                                       \
	}

#define T(fn) { #fn, fn }
