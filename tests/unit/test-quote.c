// SPDX-License-Identifier: GPL-2.0-only
/* Caller text quoted in error messages: always valid UTF-8, cut at a
 * character boundary, control characters replaced. */
#include "../unit/unit.h"
#include "quote.h"

static void test_fits(void)
{
	char buf[16];

	CHECK_STR(quote_text(buf, sizeof(buf), ""), "");
	CHECK_STR(quote_text(buf, sizeof(buf), "process"), "process");
	/* 15 bytes fit exactly: no ellipsis. */
	CHECK_STR(quote_text(buf, sizeof(buf), "abcdefghijklmno"), "abcdefghijklmno");
	CHECK_STR(quote_text(buf, sizeof(buf), "/usr/bin/\xc3\xa9t\xc3\xa9"), "/usr/bin/\xc3\xa9t\xc3\xa9");
}

static void test_cut_at_character(void)
{
	char buf[16], long_text[6002];

	CHECK_STR(quote_text(buf, sizeof(buf), "abcdefghijklmnop"), "abcdefghijkl...");
	/* "é" is 2 bytes: 6 of them (12 bytes) then "...", never half of one. */
	for (int i = 0; i < 3000; i++)
		memcpy(long_text + 2 * i, "\xc3\xa9", 2);
	long_text[6000] = '\0';
	CHECK_STR(quote_text(buf, sizeof(buf), long_text), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...");
	CHECK_INT(utf8_valid_prefix(buf, strlen(buf)), strlen(buf));
	/* A 4-byte character that would straddle the cut is left out. */
	CHECK_STR(quote_text(buf, sizeof(buf), "abcdefghi\xf0\x9f\x90\x9dxyz"), "abcdefghi...");
	CHECK_STR(quote_text(buf, sizeof(buf), "abcdefgh\xf0\x9f\x90\x9dxyzw"), "abcdefgh\xf0\x9f\x90\x9d...");
}

static void test_sanitized(void)
{
	char buf[64];

	CHECK_STR(quote_text(buf, sizeof(buf), "a\nb\tc\x1b[31md\x7f"), "a?b?c?[31md?");
	/* Invalid UTF-8: a lone continuation byte, a cut sequence, an overlong
	 * '/', a surrogate, past U+10FFFF; and a C1 control (U+0085). */
	CHECK_STR(quote_text(buf, sizeof(buf), "\x80x\xc3"), "?x?");
	CHECK_STR(quote_text(buf, sizeof(buf), "\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xc2\x85"),
		  "??|???|????|?");
}

static void test_valid_prefix(void)
{
	CHECK_INT(utf8_valid_prefix("ab\xc3\xa9", 4), 4);
	CHECK_INT(utf8_valid_prefix("ab\xc3\xa9", 3), 2);
	CHECK_INT(utf8_valid_prefix("ab\xff", 3), 2);
	CHECK_INT(utf8_valid_prefix("", 0), 0);
}

UNIT_MAIN(T(test_fits), T(test_cut_at_character), T(test_sanitized), T(test_valid_prefix))
