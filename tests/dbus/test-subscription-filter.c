// SPDX-License-Identifier: GPL-2.0-only
/* Subscribe()'s options as bombusd reads them from a message, and the test
 * each event goes through. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "api.h"
#include "category.h"
#include "context/cgroup-path.h"
#include "decode/iouring-names.h"
#include "quote.h"
#include "../unit/unit.h"
#include "subscription-options.h"

#define HEX64	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX64_OTHER "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* The longest machine name: "machine-NAME.scope" is a cgroup name of 255 bytes. */
#define LONG_MACHINE                                                                                         \
	"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"                   \
	"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"                   \
	"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"                   \
	"m"
/* A bus that never connects: enough to build and read messages. */
static sd_bus *offline_bus(void)
{
	sd_bus *bus = NULL;
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 || sd_bus_new(&bus) < 0 ||
	    sd_bus_set_fd(bus, fds[0], fds[0]) < 0 || sd_bus_start(bus) < 0)
		abort();
	return bus;
}

static sd_bus *bus;

/* The io_uring opcode names of a pretend kernel: NOP (0) and OPENAT (18). */
static struct iouring_opcodes opcode_names = { .names = { [0] = "IORING_OP_NOP", [18] = "IORING_OP_OPENAT" } };

/* Subscribe's message with the a{sv} appended by sd_bus_message_append(@types, ...), sealed for
 * reading. */
static sd_bus_message *options(const char *types, ...)
{
	sd_bus_message *m = NULL;
	va_list ap;

	if (sd_bus_message_new_method_call(bus, &m, BOMBUS_BUS_NAME, BOMBUS_OBJECT_PATH, BOMBUS_INTERFACE,
					   "Subscribe") < 0)
		abort();
	va_start(ap, types);
	if (sd_bus_message_appendv(m, types, ap) < 0)
		abort();
	va_end(ap);
	if (sd_bus_message_seal(m, 1, 0) < 0 || sd_bus_message_rewind(m, true) < 0)
		abort();
	return m;
}

/* The error message for the options, or "" when they are accepted. */
static const char *parse(sd_bus_message *m, struct subscription_filter *f)
{
	static char message[512];
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = subscription_filter_from_message(m, &opcode_names, f, &error);

	message[0] = '\0';
	if (r < 0) {
		CHECK(sd_bus_error_has_name(&error, BOMBUS_ERROR_INVALID_ARGUMENT));
		snprintf(message, sizeof(message), "%s", error.message);
	}
	sd_bus_error_free(&error);
	sd_bus_message_unref(m);
	return message;
}

static void test_options(void)
{
	struct subscription_filter f;
	uint32_t bit;

	CHECK_STR(parse(options("a{sv}", 5, "categories", "as", 2, "process", "io_uring", "types", "as", 1,
				"ProcessExit", "uids", "au", 2, 0, 1000, "binary_path_prefixes", "as", 1,
				"/usr/bin", "batch", "b", 1),
			&f),
		  "");
	CHECK_INT(f.categories, CATEGORY_PROCESS | CATEGORY_IO_URING);
	CHECK_INT(event_type_bit_from_name("ProcessExit", &bit, NULL), 0);
	CHECK_INT(f.types, bit);
	CHECK_INT(f.n_uids, 2);
	CHECK_INT(f.uids[1], 1000);
	CHECK_INT(f.n_prefixes, 1);
	CHECK_STR(f.prefixes[0], "/usr/bin");
	CHECK(f.batch);
	subscription_filter_clear(&f);

	/* An empty uids array is no filter (and no memcpy() from NULL:
	 * UBSan's nonnull check in the sanitizer build). */
	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "uids", "au", 0), &f), "");
	CHECK_INT(f.n_uids, 0);
	CHECK(!f.uids);
	subscription_filter_clear(&f);

	/* types alone name the categories */
	CHECK_STR(parse(options("a{sv}", 1, "types", "as", 1, "ProcessEvent"), &f), "");
	CHECK_INT(f.categories, CATEGORY_PRIVILEGE);
	subscription_filter_clear(&f);

	CHECK_STR(parse(options("a{sv}", 1, "categories", "as", 1, "disk"), &f),
		  "unknown category 'disk' in option 'categories' (process, privilege, io_uring)");
	CHECK_STR(parse(options("a{sv}", 1, "categories", "s", "process"), &f),
		  "option 'categories' must be of type 'as', not 's'");
	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "uids", "ai", 1, 5), &f),
		  "option 'uids' must be of type 'au', not 'ai'");
	CHECK_STR(parse(options("a{sv}", 1, "color", "b", 1), &f),
		  "unknown option 'color' (categories, types, uids, binary_path_prefixes, batch, "
		  "io_uring_opcodes, units, containers, cgroup_ids)");
	CHECK_STR(parse(options("a{sv}", 2, "batch", "b", 1, "batch", "b", 0), &f),
		  "option 'batch' is given twice");
	CHECK_STR(parse(options("a{sv}", 0), &f),
		  "no category given: option 'categories' lists some of process, privilege, io_uring");
	CHECK_STR(parse(options("a{sv}", 1, "categories", "as", 0), &f),
		  "no category given: option 'categories' lists some of process, privilege, io_uring");
	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "types", "as", 2, "ProcessExec",
				"IOUringEvent"),
			&f),
		  "option 'types' names types of categories (io_uring) that option 'categories' leaves out");
	CHECK_STR(parse(options("a{sv}", 1, "types", "as", 1, "processexec"), &f),
		  "unknown event type 'processexec' in option 'types'");
	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "binary_path_prefixes", "as", 1,
				""),
			&f),
		  "'' in option 'binary_path_prefixes' is not an absolute path of at most 4096 bytes");
	/* Not even an a{sv}: the message itself is wrong. */
	CHECK_STR(parse(options("s", "process"), &f), "cannot read the options: No such device or address");
	/* Nothing is kept from a refused request. */
	CHECK(!f.uids && !f.prefixes && !f.categories);
}

/* Subscribe's message with "categories" ["process"] first, then option
 * @key listing @n copies of @value. */
static sd_bus_message *many(const char *key, size_t n, const char *value)
{
	sd_bus_message *m = NULL;

	if (sd_bus_message_new_method_call(bus, &m, BOMBUS_BUS_NAME, BOMBUS_OBJECT_PATH, BOMBUS_INTERFACE,
					   "Subscribe") < 0 ||
	    sd_bus_message_open_container(m, 'a', "{sv}") < 0 ||
	    sd_bus_message_append(m, "{sv}", "categories", "as", 1, "process") < 0 ||
	    sd_bus_message_open_container(m, 'e', "sv") < 0 || sd_bus_message_append(m, "s", key) < 0 ||
	    sd_bus_message_open_container(m, 'v', "as") < 0 || sd_bus_message_open_container(m, 'a', "s") < 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if (sd_bus_message_append(m, "s", value) < 0)
			abort();
	for (int i = 0; i < 4; i++)
		if (sd_bus_message_close_container(m) < 0)
			abort();
	if (sd_bus_message_seal(m, 1, 0) < 0 || sd_bus_message_rewind(m, true) < 0)
		abort();
	return m;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void test_bounds(void)
{
	struct subscription_filter f;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *m;
	uint32_t categories = 0;
	uint64_t start, elapsed;

	CHECK_STR(parse(many("binary_path_prefixes", 64, "/usr"), &f), "");
	CHECK_INT(f.n_prefixes, 64);
	subscription_filter_clear(&f);
	CHECK_STR(parse(many("binary_path_prefixes", 65, "/usr"), &f),
		  "option 'binary_path_prefixes' lists more than 64 prefixes");
	CHECK_STR(parse(many("types", 32, "ProcessExec"), &f), "");
	subscription_filter_clear(&f);
	CHECK_STR(parse(many("types", 33, "ProcessExec"), &f), "option 'types' lists more than 32 names");
	CHECK_STR(parse(many("units", 64, "a.service"), &f), "");
	CHECK_INT(f.n_units, 64);
	subscription_filter_clear(&f);
	CHECK_STR(parse(many("units", 65, "a.service"), &f), "option 'units' lists more than 64 names");
	CHECK_STR(parse(many("containers", 65, "0123456789ab"), &f),
		  "option 'containers' lists more than 64 ids");

	/* The largest array the bus takes: refused at its 65th element, in
	 * time that does not depend on its length (it was quadratic: 39 s
	 * for this one), checking or building. It takes well under 1 ms;
	 * the bound leaves room for a sanitizer build on a loaded machine. */
	m = many("binary_path_prefixes", 400000, "/a");
	start = now_usec();
	CHECK_INT(subscription_filter_check(m, &opcode_names, &categories, &error), -EINVAL);
	elapsed = now_usec() - start;
	CHECK_STR(error.message, "option 'binary_path_prefixes' lists more than 64 prefixes");
	sd_bus_error_free(&error);
	start = now_usec();
	CHECK_STR(parse(m, &f), "option 'binary_path_prefixes' lists more than 64 prefixes");
	elapsed += now_usec() - start;
	if (elapsed > 200000) {
		fprintf(stderr, "reading 400000 prefixes took %" PRIu64 " us\n", elapsed);
		unit_failures++;
	}
	CHECK(!f.prefixes);
	m = many("categories", 400000, "process");
	start = now_usec();
	CHECK_STR(parse(m, &f), "option 'categories' is given twice");
	CHECK(now_usec() - start < 200000);

	/* Checking gives the categories, allocating nothing. */
	m = many("types", 2, "ProcessExec");
	CHECK_INT(subscription_filter_check(m, &opcode_names, &categories, &error), 0);
	CHECK_INT(categories, CATEGORY_PROCESS);
	sd_bus_message_unref(m);
}

/* An error message quoting the caller is valid UTF-8 (sd-bus sends nothing
 * else): a prefix of "/" and 3000 "é" used to be cut inside a character. */
static void test_quoted(void)
{
	static char prefix[6002] = "/";
	struct subscription_filter f;
	const char *message;

	for (int i = 0; i < 3000; i++)
		memcpy(prefix + 1 + 2 * i, "\xc3\xa9", 2);
	message = parse(options("a{sv}", 1, "binary_path_prefixes", "as", 1, prefix), &f);
	CHECK_INT(utf8_valid_prefix(message, strlen(message)), strlen(message));
	CHECK(strncmp(message, "'/\xc3\xa9\xc3\xa9", 6) == 0);
	CHECK(strstr(message, "...' in option 'binary_path_prefixes' is not an absolute path of at most 4096 bytes"));
	CHECK(strlen(message) < 300);
	message = parse(options("a{sv}", 1, "categories", "as", 1, "pro\ncess\x1b"), &f);
	CHECK_STR(message, "unknown category 'pro?cess?' in option 'categories' (process, privilege, io_uring)");
}

static void test_prefix(void)
{
	CHECK(binary_path_has_prefix("/usr/bin/ls", "/usr/bin"));
	CHECK(binary_path_has_prefix("/usr/bin/ls", "/usr/bin/"));
	CHECK(binary_path_has_prefix("/usr/bin/ls", "/usr/bin//"));
	CHECK(binary_path_has_prefix("/usr/bin", "/usr/bin"));
	CHECK(binary_path_has_prefix("/usr/bin/ls", "/"));
	CHECK(binary_path_has_prefix("/usr/bin/ls", "/usr/bin/ls"));
	CHECK(!binary_path_has_prefix("/usr/binx/ls", "/usr/bin"));
	CHECK(!binary_path_has_prefix("/usr/bin", "/usr/bin/ls"));
	CHECK(!binary_path_has_prefix("", "/"));
	CHECK(!binary_path_has_prefix("/usr/bin/ls", "/usr/lib"));
}

static void test_match(void)
{
	struct bombus_task task = {.pid = 7, .tid = 7, .creds = {.uid = 1000}};
	struct image_fields fields = {.filename = "ls", .binary_path = "/usr/bin/ls", .args = ""};
	struct exec_image *image = exec_image_new(&fields);
	struct process *p = image ? process_new(&task, false, false, image, 0) : NULL;
	struct bombus_task now = task;
	struct event ev = {.type = EVENT_PROCESS_EXEC, .process = p, .task = &task};
	uint32_t exec_bit = event_type_bit(EVENT_PROCESS_EXEC), exit_bit = event_type_bit(EVENT_PROCESS_EXIT);
	uint32_t uids[] = {0, 1000};
	char *prefixes[] = {"/opt", "/usr/bin"};
	struct subscription_filter f = {.categories = CATEGORY_PROCESS};

	CHECK(p != NULL);
	if (!p)
		return;
	CHECK(exec_bit && exit_bit && exec_bit != exit_bit);
	CHECK(subscription_filter_match(&f, &ev, exec_bit));
	f.categories = CATEGORY_PRIVILEGE;
	CHECK(!subscription_filter_match(&f, &ev, exec_bit));
	f.categories = CATEGORY_PROCESS;
	f.types = exit_bit;
	CHECK(!subscription_filter_match(&f, &ev, exec_bit));
	f.types = exit_bit | exec_bit;
	CHECK(subscription_filter_match(&f, &ev, exec_bit));
	f.uids = uids;
	f.n_uids = 1;
	CHECK(!subscription_filter_match(&f, &ev, exec_bit));
	f.n_uids = 2;
	CHECK(subscription_filter_match(&f, &ev, exec_bit));
	/* uids match the credentials of the event, not those the exec left */
	now.creds.uid = 0;
	ev.task = &now;
	f.n_uids = 1;
	CHECK(subscription_filter_match(&f, &ev, exec_bit));
	f.n_uids = 2;
	f.prefixes = prefixes;
	f.n_prefixes = 1;
	CHECK(!subscription_filter_match(&f, &ev, exec_bit));
	f.n_prefixes = 2;
	CHECK(subscription_filter_match(&f, &ev, exec_bit));
	ev.process = p->task.pid == 7 ? process_new(&task, false, false, exec_image_unknown(), 0) : NULL;
	CHECK(ev.process != NULL);
	if (ev.process) {
		CHECK(!subscription_filter_match(&f, &ev, exec_bit)); /* program not known */
		process_unref(ev.process);
	}
	process_unref(p);
	exec_image_unref(image);
}

/* units, containers (true or ids) and cgroup_ids: read from D-Bus and
 * matched against cgroup paths. cgroup_ids need the cgroup2 tree, which
 * unit tests have not opened: every id is refused. */
static void test_context(void)
{
	struct subscription_filter f = { 0 };

	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "units", "as", 2,
				"nginx.service", "system.slice"),
			&f),
		  "");
	CHECK_INT(f.n_units, 2);
	CHECK(subscription_filter_by_context(&f));
	CHECK(subscription_filter_match_cgroup(&f, "/system.slice/nginx.service", NULL));
	CHECK(subscription_filter_match_cgroup(&f, "/system.slice/cron.service/sub", NULL));
	CHECK(!subscription_filter_match_cgroup(&f, "/user.slice/user-1000.slice", NULL));
	CHECK(!subscription_filter_match_cgroup(&f, "/system.slicex", NULL));
	subscription_filter_clear(&f);

	CHECK_STR(
		parse(options("a{sv}", 2, "categories", "as", 1, "process", "units", "as", 1, "-.slice"), &f),
		"");
	CHECK(subscription_filter_match_cgroup(&f, "/", NULL));
	subscription_filter_clear(&f);

	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "containers", "b", 1), &f), "");
	CHECK(f.any_container && subscription_filter_by_context(&f));
	CHECK(subscription_filter_match_cgroup(&f, "/system.slice/docker-0123456789ab.scope",
					       "0123456789ab"));
	CHECK(!subscription_filter_match_cgroup(&f, "/system.slice", NULL));
	subscription_filter_clear(&f);

	/* false: as if not given */
	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "containers", "b", 0), &f), "");
	CHECK(!subscription_filter_by_context(&f));
	subscription_filter_clear(&f);

	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "containers", "as", 1,
				"0123456789ab"),
			&f),
		  "");
	CHECK(subscription_filter_match_cgroup(&f, "/docker/" HEX64, HEX64));
	CHECK(!subscription_filter_match_cgroup(&f, "/docker/" HEX64_OTHER, HEX64_OTHER));
	/* a prefix is of a hex id only: a name is matched whole */
	CHECK(!subscription_filter_match_cgroup(&f, "/lxc.payload.0123456789abc", "0123456789abc"));
	subscription_filter_clear(&f);

	/* the names of LXC/LXD containers and systemd-nspawn machines */
	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "containers", "as", 3, "web1",
				"debian-12", "0123"),
			&f),
		  "");
	CHECK_INT(f.n_container_ids, 3);
	CHECK(subscription_filter_match_cgroup(&f, "/lxc.payload.web1", "web1"));
	CHECK(subscription_filter_match_cgroup(&f, "/machine.slice/machine-debian\\x2d12.scope",
					       "debian-12"));
	CHECK(subscription_filter_match_cgroup(&f, "/machine.slice/machine-0123.scope", "0123"));
	CHECK(!subscription_filter_match_cgroup(&f, "/lxc.payload.web10", "web10"));
	CHECK(!subscription_filter_match_cgroup(&f, "/lxc.payload.web", "web"));
	CHECK(!subscription_filter_match_cgroup(&f, "/machine.slice/machine-debian.scope", "debian"));
	CHECK(!subscription_filter_match_cgroup(&f, "/docker/" HEX64, HEX64)); /* 4 digits: no prefix */
	CHECK(!subscription_filter_match_cgroup(&f, "/machine.slice/machine-debian\\x2d12.scope", NULL));
	subscription_filter_clear(&f);

	/* every container id the cgroup paths can give is accepted, and
	 * matches the container it names */
	{
		static const char *const paths[] = {
			"/system.slice/docker-" HEX64 ".scope",
			"/machine.slice/libpod-" HEX64 ".scope/container",
			"/lxc.payload.web1",
			"/lxc.payload.a b\\c\xc3\xa9",
			"/lxc/old-1",
			"/machine.slice/machine-debian\\x2d12.scope",
			"/machine.slice/machine-a\\x5cb\\x20c.scope",
			"/machine.slice/machine-" LONG_MACHINE ".scope",
		};
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			struct cgroup_path_info info;

			cgroup_path_parse(paths[i], &info);
			CHECK(info.container_id[0]);
			CHECK_STR_NAMED(paths[i],
					parse(options("a{sv}", 2, "categories", "as", 1, "process",
						      "containers", "as", 1, info.container_id),
					      &f),
					"");
			CHECK(subscription_filter_match_cgroup(&f, paths[i], info.container_id));
			subscription_filter_clear(&f);
		}
	}

	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "units", "as", 1, "nginx"), &f),
		  "'nginx' in option 'units' is no unit name");
	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "containers", "as", 1, "a/b"),
			&f),
		  "'a/b' in option 'containers' is no container id (a runtime's id of 64 hex digits, or at "
		  "least 12 of its first; an LXC, LXD or machine name: 1 to 255 bytes without '/' or "
		  "control characters)");
	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "containers", "as", 1, ""), &f),
		  "'' in option 'containers' is no container id (a runtime's id of 64 hex digits, or at "
		  "least 12 of its first; an LXC, LXD or machine name: 1 to 255 bytes without '/' or "
		  "control characters)");
	CHECK(strstr(
		parse(options("a{sv}", 2, "categories", "as", 1, "process", "containers", "as", 1, "a\tb"),
		      &f),
		"in option 'containers' is no container id"));
	CHECK(strstr(
		parse(options("a{sv}", 2, "categories", "as", 1, "process", "containers", "as", 1, "a\x7f"),
		      &f),
		"in option 'containers' is no container id"));
	{
		char long_name[CONTAINER_ID_MAX + 2];

		memset(long_name, 'x', sizeof(long_name) - 1);
		long_name[sizeof(long_name) - 1] = '\0';
		CHECK(strstr(parse(options("a{sv}", 2, "categories", "as", 1, "process", "containers", "as",
					   1, long_name),
				   &f),
			     "in option 'containers' is no container id"));
		long_name[CONTAINER_ID_MAX] = '\0';
		CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "containers", "as", 1,
					long_name),
				&f),
			  "");
		subscription_filter_clear(&f);
	}
	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "containers", "s", "x"), &f),
		  "option 'containers' must be of type 'b' or 'as', not 's'");
	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "cgroup_ids", "au", 1, 1), &f),
		  "option 'cgroup_ids' must be of type 'at', not 'au'");
	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "cgroup_ids", "at", 1,
				(uint64_t)12345),
			&f),
		  "12345 in option 'cgroup_ids' is the id of no cgroup2 cgroup");
	CHECK(!f.units && !f.container_ids && !f.cgroup_paths);
}

/* Subscriptions choose io_uring opcodes by the kernel's names; the filter
 * passes IOUringEvents of those only (and every other event). */
static void test_iouring_opcodes(void)
{
	struct subscription_filter f;
	struct bombus_task task = {.pid = 7, .tid = 7};
	struct process *p = process_new(&task, false, false, exec_image_unknown(), 0);
	struct event ev = {.type = EVENT_IOURING, .process = p, .task = &task, .opcode = 18};
	uint32_t bit = event_type_bit(EVENT_IOURING);
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *m;

	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "io_uring", "io_uring_opcodes", "as", 1, "openat"),
			&f),
		  "");
	CHECK(f.has_opcodes && opcode_set_has(&f.opcodes, 18) && !opcode_set_has(&f.opcodes, 0));
	CHECK(subscription_filter_match(&f, &ev, bit));
	ev.opcode = 0;
	CHECK(!subscription_filter_match(&f, &ev, bit));
	subscription_filter_clear(&f);
	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "io_uring", "io_uring_opcodes", "as", 1,
				"FROBNICATE"),
			&f),
		  "'FROBNICATE' in option 'io_uring_opcodes' is no io_uring opcode of this kernel (names as OPENAT "
		  "or IORING_OP_OPENAT)");
	CHECK_STR(parse(options("a{sv}", 2, "categories", "as", 1, "process", "io_uring_opcodes", "as", 1, "NOP"), &f),
		  "option 'io_uring_opcodes' needs the category io_uring");
	/* without IOUringMon the option cannot be honoured: refused */
	m = options("a{sv}", 2, "categories", "as", 1, "io_uring", "io_uring_opcodes", "as", 1, "NOP");
	CHECK_INT(subscription_filter_from_message(m, NULL, &f, &error), -EINVAL);
	CHECK_STR(error.message, "option 'io_uring_opcodes': io_uring is not monitored on this kernel");
	sd_bus_error_free(&error);
	sd_bus_message_unref(m);
	process_unref(p);
}

int main(void)
{
	bus = offline_bus();
	test_options();
	test_bounds();
	test_quoted();
	test_prefix();
	test_match();
	test_iouring_opcodes();
	test_context();
	sd_bus_close_unref(bus);
	return unit_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
