// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bus-input-relay.h"

struct bus_input_relay {
	/* Reading the bus while the chunk is empty, else writing the pair:
	 * one of the two is enabled at a time. */
	sd_event_source *bus_source, *pair_source;
	int bus_fd, pair_fd;
	size_t start, end; /* what of the chunk is still to be written */
	uint8_t chunk[RELAY_CHUNK_BYTES];
};

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A value of a D-Bus address key, %-escapes decoded, up to the next ',':
 * the end of it, or NULL. */
static const char *address_value(const char *p, char *out, size_t size, int *error)
{
	size_t n = 0;

	for (; *p && *p != ',' && *p != ';'; p++) {
		char c = *p;

		if (c == '%') {
			int hi = unhex(p[1]), lo = hi < 0 ? -1 : unhex(p[2]);

			if (lo < 0 || (hi | lo) == 0) {
				*error = -EINVAL;
				return NULL;
			}
			c = (char)(hi << 4 | lo);
			p += 2;
		}
		if (n + 1 >= size) {
			*error = -ENAMETOOLONG;
			return NULL;
		}
		out[n++] = c;
	}
	if (n == 0) {
		*error = -EINVAL;
		return NULL;
	}
	out[n] = '\0';
	return p;
}

int bus_address_unix_path(const char *address, char *path, size_t size)
{
	const char *p = address;
	char guid[33];
	int r = 0;

	if (strncmp(p, "unix:", strlen("unix:")) != 0)
		return -EPROTONOSUPPORT;
	path[0] = '\0';
	for (p += strlen("unix:"); *p; p += *p == ',') {
		if (*p == ';')
			return -EPROTONOSUPPORT;
		if (strncmp(p, "path=", strlen("path=")) == 0 && !path[0])
			p = address_value(p + strlen("path="), path, size, &r);
		/* The server's id, which dbus-daemon adds to the address of the
		 * services it starts: where it leads is the same. */
		else if (strncmp(p, "guid=", strlen("guid=")) == 0)
			p = address_value(p + strlen("guid="), guid, sizeof(guid), &r);
		else
			return -EPROTONOSUPPORT;
		if (!p)
			return r;
	}
	return path[0] ? 0 : -EPROTONOSUPPORT;
}

int bus_address_connect(const char *address)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	r = bus_address_unix_path(address, sa.sun_path, sizeof(sa.sun_path));
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Blocking: a local listener accepts at once, and nothing else runs
	 * before the bus is there. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* The end of the bus, or its reader gone: nothing more to relay. Closing the
 * pair is what tells the reader (data already in the pair is still read). */
static void relay_stop(struct bus_input_relay *relay)
{
	relay->bus_source = sd_event_source_disable_unref(relay->bus_source);
	relay->pair_source = sd_event_source_disable_unref(relay->pair_source);
	if (relay->bus_fd >= 0)
		close(relay->bus_fd);
	if (relay->pair_fd >= 0)
		close(relay->pair_fd);
	relay->bus_fd = relay->pair_fd = -1;
}

/* One write of what is left of the chunk: once it is all written, the bus
 * is read again; else the pair is waited for. */
static int relay_write(struct bus_input_relay *relay)
{
	ssize_t n = send(relay->pair_fd, relay->chunk + relay->start, relay->end - relay->start,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
	bool done;

	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		relay_stop(relay);
		return 0;
	}
	if (n > 0)
		relay->start += (size_t)n;
	done = relay->start == relay->end;
	if (done)
		relay->start = relay->end = 0;
	sd_event_source_set_enabled(relay->bus_source, done ? SD_EVENT_ON : SD_EVENT_OFF);
	return sd_event_source_set_enabled(relay->pair_source, done ? SD_EVENT_OFF : SD_EVENT_ON);
}

static int on_bus_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct bus_input_relay *relay = userdata;
	ssize_t n = recv(fd, relay->chunk, sizeof(relay->chunk), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		relay_stop(relay);
		return 0;
	}
	relay->start = 0;
	relay->end = (size_t)n;
	return relay_write(relay);
}

static int on_pair_writable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	return relay_write(userdata);
}

int bus_input_relay_new(sd_event *e, int bus_fd, int *ret_input_fd, struct bus_input_relay **ret)
{
	_cleanup_(bus_input_relay_freep) struct bus_input_relay *relay = calloc(1, sizeof(*relay));
	/* Twice this is what the pair holds (the kernel doubles it): the
	 * most its reader finds there in one iteration. */
	int pair[2], sndbuf = RELAY_CHUNK_BYTES / 2, r;

	if (!relay)
		return -ENOMEM;
	relay->pair_fd = -1;
	relay->bus_fd = fcntl(bus_fd, F_DUPFD_CLOEXEC, 3);
	if (relay->bus_fd < 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0)
		return -errno;
	relay->pair_fd = pair[0];
	if (setsockopt(relay->pair_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0) {
		close(pair[1]);
		return -errno;
	}
	/* sd-event takes one source per descriptor: the bus's is sd-bus's,
	 * the relay watches its duplicate. */
	r = sd_event_add_io(e, &relay->bus_source, relay->bus_fd, EPOLLIN, on_bus_readable, relay);
	if (r >= 0)
		r = sd_event_add_io(e, &relay->pair_source, relay->pair_fd, EPOLLOUT, on_pair_writable,
				    relay);
	if (r >= 0)
		r = sd_event_source_set_enabled(relay->pair_source, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_source_set_description(relay->bus_source, "bus-input-relay");
	if (r >= 0)
		r = sd_event_source_set_description(relay->pair_source, "bus-input-relay-pair");
	if (r < 0) {
		close(pair[1]);
		return r;
	}
	*ret_input_fd = pair[1];
	*ret = TAKE_PTR(relay);
	return 0;
}

void bus_input_relay_free(struct bus_input_relay *relay)
{
	if (!relay)
		return;
	relay_stop(relay);
	free(relay);
}
