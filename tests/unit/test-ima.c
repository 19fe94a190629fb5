// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>

#include "decode/ima.h"
#include "unit.h"

static void digests_with_algorithm_prefix(void)
{
	uint8_t digest[64];
	char *s;

	for (size_t i = 0; i < sizeof(digest); i++)
		digest[i] = (uint8_t)i;
	s = ima_hash_to_string(4, digest, sizeof(digest)); /* HASH_ALGO_SHA256 */
	CHECK_STR(s, "sha256:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	free(s);
	s = ima_hash_to_string(1, digest, sizeof(digest)); /* HASH_ALGO_MD5 */
	CHECK_STR(s, "md5:000102030405060708090a0b0c0d0e0f");
	free(s);
	s = ima_hash_to_string(2, digest, sizeof(digest)); /* HASH_ALGO_SHA1 */
	CHECK_STR(s, "sha1:000102030405060708090a0b0c0d0e0f10111213");
	free(s);
	s = ima_hash_to_string(6, digest, sizeof(digest)); /* HASH_ALGO_SHA512: all 64 bytes */
	CHECK(s && strlen(s) == strlen("sha512:") + 128);
	free(s);
}

static void unknown_algorithm_or_short_digest(void)
{
	uint8_t digest[64] = { 0 };

	errno = 0;
	CHECK(!ima_hash_to_string(200, digest, sizeof(digest)));
	CHECK_INT(errno, EINVAL);
	errno = 0;
	CHECK(!ima_hash_to_string(6, digest, 32)); /* sha512 needs 64 bytes */
	CHECK_INT(errno, EINVAL);
}

UNIT_MAIN(T(digests_with_algorithm_prefix), T(unknown_algorithm_or_short_digest))
