// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer harness of Subscribe()'s option reader. The bus validates every
 * message before bombusd gets it, so what reaches the reader is a valid
 * message of signature a{sv} of any content: the fuzz bytes say how to
 * build one (entries, keys, value types, arrays and their elements), with
 * sd-bus's own append functions. Checking and building must agree, errors
 * must be valid UTF-8, and what is accepted must be within the bounds. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api.h"
#include "quote.h"
#include "decode/iouring-names.h"
#include "subscription-options.h"

/* A pretend kernel's io_uring opcode names. */
static struct iouring_opcodes opcode_names = { .names = { [0] = "IORING_OP_NOP", [18] = "IORING_OP_OPENAT" } };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *data;
	size_t size;
};

static uint8_t byte(struct input *in)
{
	uint8_t b = in->size ? in->data[0] : 0;

	if (in->size)
		in->data++, in->size--;
	return b;
}

/* A string: one of the names the reader knows, or bytes of the input (sd-bus
 * refuses invalid UTF-8 as the bus would: such a message is not built). */
static const char *string(struct input *in, char *buf, size_t bufsize)
{
	static const char *const known[] = {
		"categories", "types",	 "uids",	 "binary_path_prefixes", "batch",     "io_uring_opcodes", "NOP", "OPENAT", "process",
		"privilege",  "io_uring", "ProcessExec", "ProcessExit",		 "IOUringEvent", "/",
		"/usr/bin",   "",	 "usr",		 "ProcessEvent",
	};
	uint8_t b = byte(in);
	size_t len;

	if (b < 0x80)
		return known[b % (sizeof(known) / sizeof(known[0]))];
	len = byte(in);
	if (b & 1)
		len = len * 64 + byte(in); /* up to ~16 KiB: past FILTER_PREFIX_MAX */
	if (len >= bufsize)
		len = bufsize - 1;
	if (len > in->size) {
		memset(buf, '/', len); /* the input ran out: long paths */
	} else {
		memcpy(buf, in->data, len);
		in->data += len, in->size -= len;
	}
	buf[len] = '\0';
	return buf;
}

static int append_value(sd_bus_message *m, struct input *in)
{
	static const char *const signatures[] = {"as", "au", "b", "s", "ai", "u", "a{sv}", "v"};
	const char *sig = signatures[byte(in) % (sizeof(signatures) / sizeof(signatures[0]))];
	static char buf[16384];
	size_t n;
	int r;

	r = sd_bus_message_open_container(m, 'v', sig);
	if (r < 0)
		return r;
	if (strcmp(sig, "as") == 0) {
		n = byte(in);
		if (n >= 250)
			n = (n - 249) * 1000; /* past every bound */
		r = sd_bus_message_open_container(m, 'a', "s");
		for (size_t i = 0; r >= 0 && i < n; i++)
			r = sd_bus_message_append(m, "s", string(in, buf, sizeof(buf)));
		if (r >= 0)
			r = sd_bus_message_close_container(m);
	} else if (strcmp(sig, "au") == 0 || strcmp(sig, "ai") == 0) {
		uint32_t values[600];

		n = (size_t)byte(in) * 3 % 600;
		for (size_t i = 0; i < n; i++)
			values[i] = (uint32_t)byte(in) << 8 | byte(in);
		r = sd_bus_message_append_array(m, sig[1], values, n * sizeof(values[0]));
	} else if (strcmp(sig, "b") == 0)
		r = sd_bus_message_append(m, "b", byte(in) & 1);
	else if (strcmp(sig, "s") == 0)
		r = sd_bus_message_append(m, "s", string(in, buf, sizeof(buf)));
	else if (strcmp(sig, "u") == 0)
		r = sd_bus_message_append(m, "u", (uint32_t)byte(in));
	else if (strcmp(sig, "a{sv}") == 0)
		r = sd_bus_message_append(m, "a{sv}", 1, "x", "b", 1);
	else
		r = sd_bus_message_append(m, "v", "s", "nested");
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

static sd_bus *offline_bus(void)
{
	sd_bus *bus = NULL;
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 || sd_bus_new(&bus) < 0 ||
	    sd_bus_set_fd(bus, fds[0], fds[0]) < 0 || sd_bus_start(bus) < 0)
		abort();
	return bus;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sd_bus *bus;
	struct input in = {data, size};
	sd_bus_error check_error = SD_BUS_ERROR_NULL, build_error = SD_BUS_ERROR_NULL;
	struct subscription_filter f;
	sd_bus_message *m = NULL;
	uint32_t categories = 0;
	size_t entries;
	char key[256];
	int r, check, build;

	if (!bus)
		bus = offline_bus();
	r = sd_bus_message_new_method_call(bus, &m, BOMBUS_BUS_NAME, BOMBUS_OBJECT_PATH, BOMBUS_INTERFACE,
					   "Subscribe");
	assert(r >= 0);
	entries = byte(&in) % 8;
	r = sd_bus_message_open_container(m, 'a', "{sv}");
	for (size_t i = 0; r >= 0 && i < entries; i++) {
		r = sd_bus_message_open_container(m, 'e', "sv");
		if (r >= 0)
			r = sd_bus_message_append(m, "s", string(&in, key, sizeof(key)));
		if (r >= 0)
			r = append_value(m, &in);
		if (r >= 0)
			r = sd_bus_message_close_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_seal(m, 1, 0);
	if (r < 0) {
		/* Not a message the bus would deliver (invalid UTF-8). */
		sd_bus_message_unref(m);
		return 0;
	}
	check = subscription_filter_check(m, &opcode_names, &categories, &check_error);
	build = subscription_filter_from_message(m, &opcode_names, &f, &build_error);
	assert(check == build);
	assert(sd_bus_error_has_name(&check_error, build_error.name) || (!check_error.name && !build_error.name));
	if (build < 0) {
		assert(build == -EINVAL);
		assert(sd_bus_error_has_name(&build_error, BOMBUS_ERROR_INVALID_ARGUMENT));
		assert(strcmp(check_error.message, build_error.message) == 0);
		assert(utf8_valid_prefix(build_error.message, strlen(build_error.message)) ==
		       strlen(build_error.message));
		assert(strlen(build_error.message) < 1024);
	} else {
		assert(f.categories && f.categories == categories);
		assert(f.n_prefixes <= FILTER_MAX_PREFIXES && f.n_uids <= FILTER_MAX_UIDS);
		for (size_t i = 0; i < f.n_prefixes; i++)
			assert(f.prefixes[i][0] == '/' && strlen(f.prefixes[i]) <= FILTER_PREFIX_MAX);
		subscription_filter_clear(&f);
	}
	sd_bus_error_free(&check_error);
	sd_bus_error_free(&build_error);
	sd_bus_message_unref(m);
	return 0;
}
