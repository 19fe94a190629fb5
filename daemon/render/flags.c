// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../bpf/bombus.h"
#include "../macro.h"
#include "flags.h"
#include "process-json.h"

/* In bit order, as in linux/capability.h. */
static const char *const cap_names[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

static unsigned last_cap = ELEMENTSOF(cap_names) - 1;

void caps_set_last_cap(unsigned cap)
{
	last_cap = cap < 63 ? cap : 63;
}

unsigned caps_last_cap(void)
{
	return last_cap;
}

int caps_read_last_cap(unsigned *ret)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int r;

	if (!f)
		return -errno;
	r = fscanf(f, "%u", ret) == 1 ? 0 : -EIO;
	fclose(f);
	return r;
}

/* Appends @name to @buf (of @size, holding @len bytes), " | "-separated.
 * Plain copies: this runs for every process object of every event. */
static size_t append_name(char *buf, size_t size, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len + 3 + n >= size)
		return len; /* cannot happen with the documented buffer sizes */
	if (len) {
		memcpy(buf + len, " | ", 3);
		len += 3;
	}
	memcpy(buf + len, name, n + 1);
	return len + n;
}

const char *caps_to_string(uint64_t caps, char buf[static CAPS_STRING_MAX])
{
	uint64_t all = last_cap >= 63 ? UINT64_MAX : (UINT64_C(1) << (last_cap + 1)) - 1;
	size_t len = 0;

	buf[0] = '\0';
	if (caps != 0 && (caps & all) == all)
		return strcpy(buf, "ALL_CAPS");
	for (unsigned bit = 0; bit < 64; bit++) {
		char unknown[16];

		if (!(caps & (UINT64_C(1) << bit)))
			continue;
		if (bit < ELEMENTSOF(cap_names)) {
			len = append_name(buf, CAPS_STRING_MAX, len, cap_names[bit]);
		} else {
			snprintf(unknown, sizeof(unknown), "CAP_%u", bit);
			len = append_name(buf, CAPS_STRING_MAX, len, unknown);
		}
	}
	return buf;
}

struct flag_name {
	uint32_t flag;
	const char *name;
};

static const char *flags_to_string(uint32_t flags, const struct flag_name *names, size_t n,
				   char buf[static FLAGS_STRING_MAX])
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (flags & names[i].flag)
			len = append_name(buf, FLAGS_STRING_MAX, len, names[i].name);
	return buf;
}

const char *secureexec_to_string(uint32_t flags, char buf[static FLAGS_STRING_MAX])
{
	static const struct flag_name names[] = {
		{ BOMBUS_SECUREEXEC_SETUID, "SETUID" },
		{ BOMBUS_SECUREEXEC_SETGID, "SETGID" },
		{ BOMBUS_SECUREEXEC_FILE_CAPS, "FILE_CAPS" },
		{ BOMBUS_SECUREEXEC_FILELESS_EXEC, "FILELESS_EXEC" },
	};

	return flags_to_string(flags, names, ELEMENTSOF(names), buf);
}

const char *setid_flags_to_string(uint32_t flags, char buf[static FLAGS_STRING_MAX])
{
	/* include/linux/security.h */
	static const struct flag_name names[] = {
		{ 1, "LSM_SETID_ID" },
		{ 2, "LSM_SETID_RE" },
		{ 4, "LSM_SETID_RES" },
		{ 8, "LSM_SETID_FS" },
	};

	return flags_to_string(flags, names, ELEMENTSOF(names), buf);
}

const char *ptrace_mode_to_string(uint32_t mode, char buf[static FLAGS_STRING_MAX])
{
	/* include/linux/ptrace.h */
	static const struct flag_name names[] = {
		{ 0x01, "PTRACE_MODE_READ" },
		{ 0x02, "PTRACE_MODE_ATTACH" },
		{ 0x04, "PTRACE_MODE_NOAUDIT" },
		{ 0x08, "PTRACE_MODE_FSCREDS" },
		{ 0x10, "PTRACE_MODE_REALCREDS" },
	};

	return flags_to_string(mode, names, ELEMENTSOF(names), buf);
}

const char *image_incomplete_to_string(uint32_t flags, char buf[static FLAGS_STRING_MAX])
{
	static const struct flag_name names[] = {
		{ IMAGE_INCOMPLETE_BINARY_PATH, "BINARY_PATH" },
		{ IMAGE_INCOMPLETE_ARGS, "ARGS" },
	};

	return flags_to_string(flags, names, ELEMENTSOF(names), buf);
}
