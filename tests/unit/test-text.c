// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>

#include "decode/text.h"
#include "unit.h"

#define AREA(s) s, sizeof(s) - 1

/* The decoders write into buffers of the documented sizes; these give the
 * checks below new strings to compare and free. */
static char *args_text(const char *area, size_t len, bool truncated)
{
	char *out = malloc(ARGS_TEXT_MAX);

	args_join(out, ARGS_TEXT_MAX, area, len, truncated);
	return out;
}

static int path_join(const char *names, size_t len, unsigned count, uint32_t flags, char **path, char **file)
{
	*path = malloc(PATH_TEXT_MAX);
	*file = malloc(NAME_TEXT_MAX);
	binary_path_join(names, len, count, flags, *path, *file);
	return 0;
}

static int path_full(const char *bytes, size_t len, bool pseudo, bool unlinked, char **path, char **file)
{
	*path = malloc(PATH_TEXT_MAX);
	*file = malloc(NAME_TEXT_MAX);
	binary_path_full(bytes, len, pseudo, unlinked, *path, *file);
	return 0;
}

static char *basename_text(const char *path)
{
	char *out = malloc(NAME_TEXT_MAX);

	path_basename(path, out);
	return out;
}

static void args_skip_argv0_and_join(void)
{
	CHECK_STR_FREE(args_text(AREA("ls\0-lah\0"), false), "-lah");
	CHECK_STR_FREE(args_text(AREA("sh\0-c\0byobu-status tmux_left\0"), false), "-c byobu-status tmux_left");
	CHECK_STR_FREE(args_text(AREA("true\0"), false), "");
	CHECK_STR_FREE(args_text("", 0, false), "");
	/* empty arguments keep their place */
	CHECK_STR_FREE(args_text(AREA("prog\0\0x\0"), false), " x");
}

static void args_truncated_stay_valid(void)
{
	/* cut inside the last argument: kept up to the cut */
	CHECK_STR_FREE(args_text(AREA("prog\0first\0seco"), true), "first seco");
	/* cut inside a multi-byte character: the partial character goes */
	CHECK_STR_FREE(args_text(AREA("prog\0caf\xc3"), true), "caf");
	/* cut inside argv[0]: nothing */
	CHECK_STR_FREE(args_text(AREA("very-long-progr"), true), "");
}

static void invalid_utf8_replaced(void)
{
	CHECK_STR_FREE(args_text(AREA("p\0a\xff" "b\0\xc3\xa9t\xc3\xa9\0"), false), "a\xef\xbf\xbd" "b \xc3\xa9t\xc3\xa9");
	/* overlong encoding of '/', and a UTF-16 surrogate */
	CHECK_STR_FREE(args_text(AREA("p\0\xc0\xaf\0\xed\xa0\x80\0"), false),
		       "\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* a truncated character not at a cut is invalid, not dropped */
	CHECK_STR_FREE(args_text(AREA("p\0\xe2\x82\0"), false), "\xef\xbf\xbd\xef\xbf\xbd");
}

static void path_from_leaf_first_names(void)
{
	char *path, *file;

	CHECK_INT(path_join(AREA("ls\0bin\0usr\0"), 3, 0, &path, &file), 0);
	CHECK_STR(path, "/usr/bin/ls");
	CHECK_STR(file, "ls");
	free(path), free(file);

	CHECK_INT(path_join(AREA("memfd:fileless-exec-test\0"), 1, BOMBUS_PROC_PATH_PSEUDO, &path, &file), 0);
	CHECK_STR(path, "/memfd:fileless-exec-test (deleted)");
	CHECK_STR(file, "memfd:fileless-exec-test");
	free(path), free(file);

	CHECK_INT(path_join(AREA("x\0tmp\0"), 2, BOMBUS_PROC_PATH_UNLINKED, &path, &file), 0);
	CHECK_STR(path, "/tmp/x (deleted)");
	free(path), free(file);

	CHECK_INT(path_join(AREA("x\0deep\0"), 2, BOMBUS_PROC_PATH_TRUNCATED, &path, &file), 0);
	CHECK_STR(path, ".../deep/x");
	free(path), free(file);

	/* runc's re-exec from a bind mount it detached: the path within the
	 * file's filesystem, marked */
	CHECK_INT(path_join(AREA("runc\0sbin\0usr\0"), 3, BOMBUS_PROC_PATH_DETACHED, &path, &file), 0);
	CHECK_STR(path, "(unreachable)/usr/sbin/runc");
	CHECK_STR(file, "runc");
	free(path), free(file);

	CHECK_INT(path_join("", 0, 0, 0, &path, &file), 0);
	CHECK_STR(path, "/");
	CHECK_STR(file, "");
	free(path), free(file);
}

static void path_count_not_trusted(void)
{
	char *path, *file;

	/* says 5 names, bytes hold 2 */
	CHECK_INT(path_join(AREA("ls\0bin\0"), 5, 0, &path, &file), 0);
	CHECK_STR(path, "/bin/ls");
	free(path), free(file);
	/* no terminating NUL */
	CHECK_INT(path_join("abc", 3, 1, 0, &path, &file), 0);
	CHECK_STR(path, "/abc");
	free(path), free(file);
	/* a name with a bad byte */
	CHECK_INT(path_join(AREA("a\xfe\0"), 1, 0, &path, &file), 0);
	CHECK_STR(path, "/a\xef\xbf\xbd");
	free(path), free(file);
}

static void basename_of_proc_exe(void)
{
	CHECK_STR_FREE(basename_text("/usr/bin/dash"), "dash");
	CHECK_STR_FREE(basename_text("/memfd:x (deleted)"), "memfd:x");
	CHECK_STR_FREE(basename_text("plain"), "plain");
}

static void path_from_d_path(void)
{
	char *path, *file;

	CHECK_INT(path_full("/usr/bin/ls\0junk", 16, false, false, &path, &file), 0);
	CHECK_STR(path, "/usr/bin/ls");
	CHECK_STR(file, "ls");
	free(path), free(file);
	/* deleted: the suffix stays in the path, not in the name */
	CHECK_INT(path_full("/tmp/x (deleted)", 17, false, true, &path, &file), 0);
	CHECK_STR(path, "/tmp/x (deleted)");
	CHECK_STR(file, "x");
	free(path), free(file);
	/* a file really named so, not deleted */
	CHECK_INT(path_full("/tmp/x (deleted)", 17, false, false, &path, &file), 0);
	CHECK_STR(file, "x (deleted)");
	free(path), free(file);
	/* a memfd: its name may hold '/' */
	CHECK_INT(path_full("/memfd:a/b (deleted)", 21, true, false, &path, &file), 0);
	CHECK_STR(path, "/memfd:a/b (deleted)");
	CHECK_STR(file, "memfd:a/b");
	free(path), free(file);
	/* deeper than the walk's bound: its last levels, as the walk gives them */
	{
		char deep[4 * (BOMBUS_PATH_COMPONENTS + 2) + 16] = "";
		char expected[sizeof(deep) + 3] = "...";

		for (int i = 0; i < BOMBUS_PATH_COMPONENTS + 2; i++)
			strcat(deep, "/d");
		strcat(deep, "/ls");
		strcat(expected, deep + 2 * 3); /* drops 3 of the 50 directories */
		CHECK_INT(path_full(deep, sizeof(deep), false, false, &path, &file), 0);
		CHECK_STR(path, expected);
		CHECK_STR(file, "ls");
		free(path), free(file);
		/* exactly at the bound: whole */
		CHECK_INT(path_full(deep + 2 * 3, sizeof(deep), false, false, &path, &file), 0);
		CHECK_STR(path, deep + 2 * 3);
		free(path), free(file);
	}
	/* no NUL within the length, and a bad byte */
	CHECK_INT(path_full("/bin/a\xfe", 7, false, false, &path, &file), 0);
	CHECK_STR(path, "/bin/a\xef\xbf\xbd");
	CHECK_STR(file, "a\xef\xbf\xbd");
	free(path), free(file);
}

static void utf8_append_bounded(void)
{
	char out[8];
	size_t len = 0;

	out[0] = '\0';
	/* room for 7 bytes: "ab" + 2 x 2-byte characters = 6, the third does not fit */
	CHECK(!utf8_append(out, sizeof(out), &len, "ab\xc3\xa9\xc3\xa9\xc3\xa9", 8, false));
	CHECK_STR(out, "ab\xc3\xa9\xc3\xa9");
	CHECK_INT(len, 6);
}

static void strndup_sanitizes(void)
{
	CHECK_STR_FREE(utf8_strndup("ab\xff\0ignored", 10), "ab\xef\xbf\xbd");
	CHECK_STR_FREE(basename_text("/tmp/\xc3(x"), "\xef\xbf\xbd(x");
}

UNIT_MAIN(T(strndup_sanitizes), T(args_skip_argv0_and_join), T(args_truncated_stay_valid), T(invalid_utf8_replaced),
	  T(path_from_leaf_first_names), T(path_count_not_trusted), T(path_from_d_path), T(basename_of_proc_exe),
	  T(utf8_append_bounded))
