// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "exec-id.h"

#define BOOT_PREFIX_LEN EXEC_ID_BOOT_LEN

/* Before exec_id_init(): zeros, so that ids stay well-formed in tests. */
static char boot_prefix[BOOT_PREFIX_LEN + 1] = "0000000000000000";

int exec_id_init(const char *boot_id_path)
{
	char text[64];
	size_t n = 0;
	FILE *f = fopen(boot_id_path ?: "/proc/sys/kernel/random/boot_id", "re");

	if (!f)
		return -errno;
	if (!fgets(text, sizeof(text), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	for (const char *p = text; *p && n < BOOT_PREFIX_LEN; p++)
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
			boot_prefix[n++] = *p;
	return n == BOOT_PREFIX_LEN ? 0 : -EINVAL;
}

const char *exec_id_boot(void)
{
	return boot_prefix;
}

size_t exec_id_format(char buf[static EXEC_ID_MAX], uint32_t pid, uint64_t start_ns, uint64_t exec_seq)
{
	int n = snprintf(buf, EXEC_ID_MAX, "%s:%" PRIu32 ":%" PRIu64 ":%" PRIu64, boot_prefix, pid, start_ns,
			 exec_seq);

	return n < 0 ? 0 : (size_t)n;
}
