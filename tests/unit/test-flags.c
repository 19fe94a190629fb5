// SPDX-License-Identifier: GPL-2.0-only
#include "../../bpf/bombus.h"
#include "render/flags.h"
#include "unit.h"

static void caps_empty_is_empty_string(void)
{
	char buf[CAPS_STRING_MAX];

	caps_set_last_cap(40);
	CHECK_STR(caps_to_string(0, buf), "");
}

static void caps_in_bit_order(void)
{
	char buf[CAPS_STRING_MAX];

	caps_set_last_cap(40);
	/* CAP_SYS_ADMIN is 21, CAP_NET_RAW 13: bit order, not argument order */
	CHECK_STR(caps_to_string((1ull << 21) | (1ull << 13), buf), "CAP_NET_RAW | CAP_SYS_ADMIN");
	CHECK_STR(caps_to_string(1ull << 0, buf), "CAP_CHOWN");
	CHECK_STR(caps_to_string(1ull << 40, buf), "CAP_CHECKPOINT_RESTORE");
}

static void caps_all_known_is_all_caps(void)
{
	char buf[CAPS_STRING_MAX];

	caps_set_last_cap(40);
	CHECK_STR(caps_to_string((1ull << 41) - 1, buf), "ALL_CAPS");
	/* one missing: listed by name */
	CHECK(strcmp(caps_to_string(((1ull << 41) - 1) & ~(1ull << 24), buf), "ALL_CAPS") != 0);
	CHECK(strstr(buf, "CAP_SYS_RESOURCE") == NULL);
	CHECK(strstr(buf, "CAP_SYS_NICE | CAP_SYS_TIME") != NULL);
	/* an older kernel knowing fewer capabilities */
	caps_set_last_cap(37);
	CHECK_STR(caps_to_string((1ull << 38) - 1, buf), "ALL_CAPS");
	caps_set_last_cap(40);
}

static void caps_unknown_bits_by_number(void)
{
	char buf[CAPS_STRING_MAX];

	caps_set_last_cap(40);
	CHECK_STR(caps_to_string((1ull << 45) | (1ull << 1), buf), "CAP_DAC_OVERRIDE | CAP_45");
	CHECK(strlen(caps_to_string(UINT64_MAX, buf)) > 0);
}

static void secureexec_flags(void)
{
	char buf[FLAGS_STRING_MAX];

	CHECK_STR(secureexec_to_string(0, buf), "");
	CHECK_STR(secureexec_to_string(BOMBUS_SECUREEXEC_SETUID, buf), "SETUID");
	CHECK_STR(secureexec_to_string(BOMBUS_SECUREEXEC_FILELESS_EXEC, buf), "FILELESS_EXEC");
	CHECK_STR(secureexec_to_string(BOMBUS_SECUREEXEC_FILELESS_EXEC | BOMBUS_SECUREEXEC_SETGID |
					       BOMBUS_SECUREEXEC_SETUID | BOMBUS_SECUREEXEC_FILE_CAPS,
				       buf),
		  "SETUID | SETGID | FILE_CAPS | FILELESS_EXEC");
	CHECK_STR(secureexec_to_string(1u << 30, buf), "");
}

static void setid_and_ptrace_flags(void)
{
	char buf[FLAGS_STRING_MAX];

	CHECK_STR(setid_flags_to_string(4, buf), "LSM_SETID_RES");
	CHECK_STR(setid_flags_to_string(8, buf), "LSM_SETID_FS");
	CHECK_STR(setid_flags_to_string(0, buf), "");
	CHECK_STR(ptrace_mode_to_string(0x12, buf), "PTRACE_MODE_ATTACH | PTRACE_MODE_REALCREDS");
	CHECK_STR(ptrace_mode_to_string(0x09, buf), "PTRACE_MODE_READ | PTRACE_MODE_FSCREDS");
	CHECK_STR(ptrace_mode_to_string(0x1f, buf),
		  "PTRACE_MODE_READ | PTRACE_MODE_ATTACH | PTRACE_MODE_NOAUDIT | PTRACE_MODE_FSCREDS | PTRACE_MODE_REALCREDS");
}

UNIT_MAIN(T(setid_and_ptrace_flags), T(caps_empty_is_empty_string), T(caps_in_bit_order), T(caps_all_known_is_all_caps),
	  T(caps_unknown_bits_by_number), T(secureexec_flags))
