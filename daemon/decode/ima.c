// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ima.h"
#include "../macro.h"

struct hash_algo_info {
	const char *name; /* as the kernel names it (crypto/hash_info.c) */
	size_t digest_size;
};

/* Indexed by the kernel's enum hash_algo (include/uapi/linux/hash_info.h). */
static const struct hash_algo_info hash_algos[] = {
	[0] = { "md4", 16 },
	[1] = { "md5", 16 },
	[2] = { "sha1", 20 },
	[3] = { "rmd160", 20 },
	[4] = { "sha256", 32 },
	[5] = { "sha384", 48 },
	[6] = { "sha512", 64 },
	[7] = { "sha224", 28 },
	[8] = { "rmd128", 16 },
	[9] = { "rmd256", 32 },
	[10] = { "rmd320", 40 },
	[11] = { "wp256", 32 },
	[12] = { "wp384", 48 },
	[13] = { "wp512", 64 },
	[14] = { "tgr128", 16 },
	[15] = { "tgr160", 20 },
	[16] = { "tgr192", 24 },
	[17] = { "sm3", 32 },
	[18] = { "streebog256", 32 },
	[19] = { "streebog512", 64 },
	[20] = { "sha3-256", 32 },
	[21] = { "sha3-384", 48 },
	[22] = { "sha3-512", 64 },
};

char *ima_hash_to_string(unsigned algo, const uint8_t *digest, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const struct hash_algo_info *info;
	size_t name_len;
	char *out, *p;

	if (algo >= ELEMENTSOF(hash_algos) || hash_algos[algo].digest_size > size) {
		errno = EINVAL;
		return NULL;
	}
	info = &hash_algos[algo];
	name_len = strlen(info->name);
	out = malloc(name_len + 1 + 2 * info->digest_size + 1);
	if (!out)
		return NULL;
	memcpy(out, info->name, name_len);
	p = out + name_len;
	*p++ = ':';
	for (size_t i = 0; i < info->digest_size; i++) {
		*p++ = hex[digest[i] >> 4];
		*p++ = hex[digest[i] & 0xf];
	}
	*p = '\0';
	return out;
}

bool ima_present(const char *securityfs)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/lsm", securityfs);
	if (access(path, F_OK) < 0)
		return true; /* securityfs not mounted: cannot tell */
	snprintf(path, sizeof(path), "%s/ima", securityfs);
	return access(path, F_OK) == 0;
}
