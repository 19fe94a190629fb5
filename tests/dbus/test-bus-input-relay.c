// SPDX-License-Identifier: GPL-2.0-only
/* The input relay with a socket pair standing in for the bus: what it moves
 * per iteration is bounded, arrives whole and in order, and the end of the
 * bus reaches the reader. */
#include <errno.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus-input-relay.h"
#include "../unit/unit.h"

#define STREAM_BYTES (3200u << 10) /* the largest message the bus takes */

static uint8_t byte_at(size_t i)
{
	return (uint8_t)(i * 7 + i / 4096);
}

static size_t queued(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) < 0 ? 0 : (size_t)n;
}

static void test_address(void)
{
	char path[108];

	CHECK_INT(bus_address_unix_path("unix:path=/run/dbus/system_bus_socket", path, sizeof(path)), 0);
	CHECK_STR(path, "/run/dbus/system_bus_socket");
	/* as dbus-daemon passes it to the services it starts */
	CHECK_INT(bus_address_unix_path("unix:path=/tmp/a%2cb/bus.sock,guid=0123456789abcdef0123456789abcdef",
					path, sizeof(path)),
		  0);
	CHECK_STR(path, "/tmp/a,b/bus.sock");
	CHECK_INT(bus_address_unix_path("unix:abstract=/tmp/dbus-x", path, sizeof(path)), -EPROTONOSUPPORT);
	CHECK_INT(bus_address_unix_path("tcp:host=localhost,port=1", path, sizeof(path)), -EPROTONOSUPPORT);
	CHECK_INT(bus_address_unix_path("unix:path=/a;unix:path=/b", path, sizeof(path)), -EPROTONOSUPPORT);
	CHECK_INT(bus_address_unix_path("unix:path=/a,runtime=yes", path, sizeof(path)), -EPROTONOSUPPORT);
	CHECK_INT(bus_address_unix_path("unix:guid=0123", path, sizeof(path)), -EPROTONOSUPPORT);
	CHECK_INT(bus_address_unix_path("unix:path=", path, sizeof(path)), -EINVAL);
	CHECK_INT(bus_address_unix_path("unix:path=/a%2", path, sizeof(path)), -EINVAL);
	CHECK_INT(bus_address_unix_path("unix:path=/a%00b", path, sizeof(path)), -EINVAL);
	CHECK_INT(bus_address_unix_path("unix:path=/0123456789", path, 8), -ENAMETOOLONG);
}

/* The bus writes the whole stream as fast as it is taken, then closes; the
 * reader reads what each iteration gave it. */
static void test_relay_bounds_each_iteration(void)
{
	sd_event *e = NULL;
	struct bus_input_relay *relay = NULL;
	static uint8_t out[STREAM_BYTES], in[STREAM_BYTES];
	size_t written = 0, read_ = 0, most_queued = 0;
	int bus[2], input_fd = -1;
	bool closed = false, eof = false;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = byte_at(i);
	CHECK_INT(sd_event_new(&e), 0);
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, bus), 0);
	CHECK_INT(bus_input_relay_new(e, bus[1], &input_fd, &relay), 0);
	/* the relay reads its own duplicate */
	close(bus[1]);
	for (unsigned iterations = 0; !eof && iterations < 100000; iterations++) {
		ssize_t n;

		if (written < sizeof(out)) {
			n = send(bus[0], out + written, sizeof(out) - written, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				written += (size_t)n;
		} else if (!closed) {
			close(bus[0]);
			closed = true;
		}
		CHECK(sd_event_run(e, 0) >= 0);
		/* what one read of the reader would get now */
		if (queued(input_fd) > most_queued)
			most_queued = queued(input_fd);
		n = read(input_fd, in + read_, sizeof(in) - read_);
		if (n > 0)
			read_ += (size_t)n;
		else if (n == 0)
			eof = true;
		else
			CHECK(errno == EAGAIN);
	}
	CHECK(eof);
	CHECK_INT(read_, sizeof(out));
	CHECK(memcmp(in, out, sizeof(out)) == 0);
	/* One chunk per iteration, and no more in the pair than it holds:
	 * about two chunks. */
	CHECK(most_queued <= 2 * RELAY_CHUNK_BYTES);
	CHECK(most_queued > 0);
	fprintf(stderr, "at most %zu bytes were waiting for the reader\n", most_queued);
	close(input_fd);
	bus_input_relay_free(relay);
	sd_event_unref(e);
}

/* The reader gone: the relay closes its side of the bus too. */
static void test_reader_gone_closes_the_bus(void)
{
	sd_event *e = NULL;
	struct bus_input_relay *relay = NULL;
	char c = 'x';
	int bus[2], input_fd = -1;

	CHECK_INT(sd_event_new(&e), 0);
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, bus), 0);
	CHECK_INT(bus_input_relay_new(e, bus[1], &input_fd, &relay), 0);
	close(bus[1]);
	close(input_fd);
	CHECK_INT(send(bus[0], &c, 1, MSG_NOSIGNAL), 1);
	for (int i = 0; i < 4; i++)
		CHECK(sd_event_run(e, 0) >= 0);
	CHECK_INT(read(bus[0], &c, 1), 0);
	close(bus[0]);
	bus_input_relay_free(relay);
	sd_event_unref(e);
}

UNIT_MAIN(T(test_address), T(test_relay_bounds_each_iteration), T(test_reader_gone_closes_the_bus))
