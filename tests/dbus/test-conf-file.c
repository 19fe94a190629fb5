// SPDX-License-Identifier: GPL-2.0-only
/* The config file parser: values, defaults, and "FILE:LINE: what" errors. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "category.h"
#include "../unit/unit.h"
#include "conf-file.h"

static char path[] = "/tmp/bombus-test-conf-XXXXXX";
static char errors[4096];
static char message[512]; /* what conf_file_load_error() gave back */

/* What the config holds before the file is read. */
static const struct config defaults = {
	.ringbuf_bytes = 8u << 20,
	.journal_categories = CATEGORY_PRIVILEGE,
	.max_subscriptions = 128,
};

/* Loads @len bytes of @text over the defaults; what was logged ends up in errors[]. */
static int load_bytes(const char *text, size_t len, struct config *c)
{
	char log_path[] = "/tmp/bombus-test-log-XXXXXX";
	int fd = (strcpy(path, "/tmp/bombus-test-conf-XXXXXX"), mkstemp(path)), log_fd = mkstemp(log_path),
	    saved = dup(STDERR_FILENO), r;
	ssize_t n;

	if (fd < 0 || log_fd < 0 || write(fd, text, len) != (ssize_t)len)
		abort();
	close(fd);
	*c = defaults;
	fflush(stderr);
	dup2(log_fd, STDERR_FILENO);
	message[0] = '\0';
	r = conf_file_load_error(path, true, c, message, sizeof(message));
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(log_fd, errors, sizeof(errors) - 1, 0);
	errors[n > 0 ? n : 0] = '\0';
	/* The message a reload replies with is what was logged. */
	if (r < 0)
		CHECK(message[0] && strstr(errors, message));
	else
		CHECK(!message[0]);
	close(log_fd);
	unlink(log_path);
	unlink(path);
	return r;
}

static int load(const char *text, struct config *c)
{
	return load_bytes(text, strlen(text), c);
}

/* The error for @len bytes of @text, without "bombusd: PATH". */
static const char *error_of_bytes(const char *text, size_t len)
{
	struct config c;
	const char *colon;

	if (load_bytes(text, len, &c) >= 0)
		return "(accepted)";
	colon = strstr(errors, path);
	if (!colon)
		return errors;
	errors[strcspn(errors, "\n")] = '\0';
	return colon + strlen(path);
}

static const char *error_of(const char *text)
{
	return error_of_bytes(text, strlen(text));
}

static void test_values(void)
{
	struct config c;

	CHECK_INT(load("# comment\n; comment\n\n[Daemon]\nHookMode=tracepoint\nRingBufferSize=16M\n"
		       "ProcessCacheSize=1000\n[ProcMon]\nDisableHooks=exec_creds\nImaHash=yes\n"
		       "[Journal]\nCategories=process, io_uring\nQueueSize=64K\n"
		       "[Subscriptions]\nMax=3\nMaxPerClient=2\nBacklogSize=1M\nWindowSize=4096\n",
		       &c),
		  0);
	CHECK_INT(c.hook_mode, HOOK_MODE_TRACEPOINT);
	CHECK_INT(c.ringbuf_bytes, 16u << 20);
	CHECK_INT(c.process_cache_max, 1000);
	CHECK_INT(c.n_disabled_hooks, 1);
	CHECK_STR(c.disabled_hooks[0].hook, "exec_creds");
	CHECK_STR(c.disabled_hooks[0].monitor, "procmon");
	CHECK_INT(c.disabled_hooks[0].line, 9);
	CHECK(c.ima_hash);
	CHECK_INT(c.journal_categories, CATEGORY_PROCESS | CATEGORY_IO_URING);
	CHECK_INT(c.journal_queue_bytes, 64 << 10);
	CHECK_INT(c.max_subscriptions, 3);
	CHECK_INT(c.max_subscriptions_per_client, 2);
	CHECK_INT(c.subscriber_backlog_bytes, 1 << 20);
	CHECK_INT(c.subscriber_window_bytes, 4096);
}

static void test_empty_value_restores_default(void)
{
	struct config c;

	CHECK_INT(load("[Journal]\nCategories=process\nCategories=\n[Daemon]\nRingBufferSize=\n", &c), 0);
	CHECK_INT(c.journal_categories, defaults.journal_categories);
	CHECK_INT(c.ringbuf_bytes, defaults.ringbuf_bytes);
	CHECK_INT(load("", &c), 0);
	CHECK_INT(c.max_subscriptions, defaults.max_subscriptions);
}

static void test_errors(void)
{
	char long_line[512];

	CHECK_STR(error_of("[Daemon]\nBogus=1\n"), ":2: unknown key 'Bogus' in section [Daemon]");
	CHECK_STR(error_of("[Daemon]\nHookMode=kprobe\n"),
		  ":2: unknown hook mode 'kprobe' (auto, lsm, fentry, tracepoint)");
	CHECK_STR(error_of("\n[Daemon]\nRingBufferSize=3000\n"),
		  ":3: '3000' is not a power of two of at least 4096 bytes");
	CHECK_STR(error_of("[Journal]\nCategories=process nonsense\n"),
		  ":2: unknown category 'nonsense' (process, privilege, io_uring)");
	CHECK_STR(error_of("[Journal]\nQueueSize=lots\n"),
		  ":2: 'lots' is not a size (bytes, or a number followed by K, M or G; at most 2G)");
	CHECK_STR(error_of("[ProcMon]\nImaHash=maybe\n"), ":2: 'maybe' is not a boolean (yes or no)");
	CHECK_STR(error_of("[Subscriptions]\nMax=0\n"), ":2: '0' is not a number from 1 to 65536");
	CHECK_STR(error_of("[Subscriptions]\nMax=-1\n"), ":2: '-1' is not a number from 1 to 65536");
	CHECK_STR(error_of("[Nope]\nMax=1\n"), ":2: unknown section [Nope]");
	CHECK_STR(error_of("Max=1\n"), ":1: 'Max=' comes before any [Section]");
	CHECK_STR(error_of("[Daemon]\nHookMode auto\n"), ":2: not a [Section] or Key=Value line");
	CHECK_STR(error_of("[Daemon\n"), ":1: not a [Section] or Key=Value line");
	/* The first error is the one reported, wherever inih found it. */
	CHECK_STR(error_of("[Daemon]\nx\nBogus=1\n"), ":2: not a [Section] or Key=Value line");
	CHECK_STR(error_of("[Daemon]\nBogus=1\nx\n"), ":2: unknown key 'Bogus' in section [Daemon]");
	memset(long_line, 'a', sizeof(long_line));
	memcpy(long_line, "[Journal]\nCategories=", 21);
	strcpy(long_line + 400, "\n");
	CHECK_STR(error_of(long_line), ":2: line longer than 199 characters");
}

/* "Categories=" and @n - 11 more characters, then "\n[Daemon]\nBogus=1\n". */
static const char *line_of(size_t n)
{
	static char text[512];

	memcpy(text, "[Journal]\nCategories=", 21);
	memset(text + 21, ' ', n - 11);
	memcpy(text + 21 + n - 11 - 7, "process", 7);
	strcpy(text + 10 + n, "\n[Daemon]\nBogus=1\n");
	return text;
}

static void test_line_length(void)
{
	/* 199 characters fit: the error is the next one's. */
	CHECK_INT(strcspn(line_of(199) + 10, "\n"), 199);
	CHECK_STR(error_of(line_of(199)), ":4: unknown key 'Bogus' in section [Daemon]");
	CHECK_STR(error_of(line_of(200)), ":2: line longer than 199 characters");
	CHECK_STR(error_of(line_of(201)), ":2: line longer than 199 characters");
	/* The last line, without a newline. */
	CHECK_STR(error_of("[Journal]\nCategories=process"), "(accepted)");
}

static void test_nul_bytes(void)
{
	static const char middle[] = "[Journal]\nCategories=pro\0cess\nQueueSize=lots\n",
			  last[] = "[Journal]\nCategories=process\n\0",
			  last_no_newline[] = "[Journal]\nQueueSize=1M\nCategories=process\0";

	CHECK_STR(error_of_bytes(middle, sizeof(middle) - 1), ":2: NUL byte in the line");
	CHECK_STR(error_of_bytes(last, sizeof(last) - 1), ":3: NUL byte in the line");
	CHECK_STR(error_of_bytes(last_no_newline, sizeof(last_no_newline) - 1), ":3: NUL byte in the line");
	/* A NUL on line 1 does not hide line 2's error: line 1 is reported. */
	CHECK_STR(error_of_bytes("\0\nBogus\n", 8), ":1: NUL byte in the line");
}

static void test_inih_extensions_refused(void)
{
	struct config c;

	CHECK_STR(error_of("[Journal]\nCategories=process\n  io_uring\n"),
		  ":3: line starts with white space (a value cannot continue on the next line; write each "
		  "setting on one line)");
	CHECK_STR(error_of("[Daemon]\n\tHookMode=auto\n"),
		  ":2: line starts with white space (a value cannot continue on the next line; write each "
		  "setting on one line)");
	CHECK_STR(error_of("[Daemon]\nHookMode: tracepoint\n"),
		  ":2: 'HookMode: tracepoint' is not a Key=Value line (':' is not a separator)");
	/* Indented comments and blank lines, and ':' in a value, are fine. */
	CHECK_INT(load("[Daemon]\n  # comment\n\t\n   \nHookMode=auto\n", &c), 0);
	CHECK_STR(error_of("[Journal]\nCategories=a:b\n"), ":2: unknown category 'a:b' (process, privilege, io_uring)");
}

static void test_missing_file(void)
{
	struct config c = defaults;

	CHECK_INT(conf_file_load("/nonexistent/bombusd.conf", false, &c), 0);
	CHECK(conf_file_load("/nonexistent/bombusd.conf", true, &c) < 0);
}

static void test_sizes(void)
{
	size_t v;

	CHECK_INT(conf_parse_size("8M", &v), 0);
	CHECK_INT(v, 8u << 20);
	CHECK_INT(conf_parse_size("2G", &v), 0);
	CHECK(conf_parse_size("3G", &v) < 0);
	CHECK(conf_parse_size("0", &v) < 0);
	CHECK(conf_parse_size("1T", &v) < 0);
	CHECK(conf_parse_size(" 1", &v) < 0);
	/* Checked before the unit's shift: these used to wrap around. */
	CHECK_INT(conf_parse_size("18014398509481988K", &v), -ERANGE);
	CHECK_INT(conf_parse_size("17592186044417M", &v), -ERANGE);
	CHECK_INT(conf_parse_size("17179869185G", &v), -ERANGE);
	CHECK_INT(conf_parse_size("2097152K", &v), 0);
	CHECK_INT(v, 2u << 30);
	CHECK_INT(conf_parse_size("2097153K", &v), -ERANGE);
	CHECK_INT(conf_parse_size("2147483649", &v), -ERANGE);
	CHECK_INT(conf_parse_size("99999999999999999999999", &v), -ERANGE);
	CHECK_STR(error_of("[Daemon]\nRingBufferSize=18014398509481988K\n"),
		  ":2: '18014398509481988K' is larger than the largest ring buffer, 2G");
	CHECK_STR(error_of("[Subscriptions]\nBacklogSize=17179869185G\n"),
		  ":2: '17179869185G' is larger than the largest size, 2G");
	CHECK(conf_ringbuf_size_valid(4096));
	CHECK(!conf_ringbuf_size_valid(2048));
	CHECK(!conf_ringbuf_size_valid(12288));
}

/* The installed example: as it is (all commented out), and with every
 * setting uncommented, which must then be the defaults it claims. */
static void test_example(const char *example)
{
	char text[8192], uncommented[8192];
	FILE *f = fopen(example, "re");
	size_t len = f ? fread(text, 1, sizeof(text) - 1, f) : 0, out = 0;
	struct config c, plain;

	CHECK(f != NULL);
	if (f)
		fclose(f);
	text[len] = '\0';
	CHECK_INT(load(text, &plain), 0);
	CHECK(memcmp(&plain, &defaults, sizeof(plain)) == 0);
	/* "#Key=value" lines become "Key=value". */
	for (size_t i = 0; i < len; i++) {
		bool line_start = i == 0 || text[i - 1] == '\n';

		if (line_start && text[i] == '#' && text[i + 1] >= 'A' && text[i + 1] <= 'Z' &&
		    strchr(text + i, '=') < strchr(text + i, '\n'))
			continue;
		uncommented[out++] = text[i];
	}
	uncommented[out] = '\0';
	CHECK_INT(load(uncommented, &c), 0);
	CHECK_STR(errors, "");
	CHECK_INT(c.hook_mode, HOOK_MODE_AUTO);
	CHECK_INT(c.ringbuf_bytes, 8u << 20);
	CHECK_INT(c.process_cache_max, 262144);
	CHECK_INT(c.n_disabled_hooks, 0);
	CHECK(!c.ima_hash);
	CHECK_INT(c.journal_categories, CATEGORY_PRIVILEGE);
	CHECK_INT(c.journal_queue_bytes, 4u << 20);
	CHECK_INT(c.max_subscriptions, 128);
	CHECK_INT(c.max_subscriptions_per_client, 16);
	CHECK_INT(c.subscriber_backlog_bytes, 4u << 20);
	CHECK_INT(c.subscriber_window_bytes, 1u << 20);
}

int main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s conf/bombusd.conf\n", argv[0]);
		return EXIT_FAILURE;
	}
	test_example(argv[1]);
	test_values();
	test_empty_value_restores_default();
	test_errors();
	test_missing_file();
	test_sizes();
	test_line_length();
	test_nul_bytes();
	test_inih_extensions_refused();
	return unit_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
