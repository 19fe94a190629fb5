// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "../daemon.h"
#include "../log.h"
#include "output.h"

struct stdout_output {
	struct output output;
	struct daemon *daemon;
	int fd;
	int saved_flags; /* restored on exit when we set O_NONBLOCK; -1 if not */
	sd_event_source *writable;
	char *buf;
	size_t head, len, size; /* pending bytes are buf[head..len) */
};

static int on_writable(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static void stdout_write_pending(struct stdout_output *o)
{
	while (o->head < o->len) {
		ssize_t n = write(o->fd, o->buf + o->head, o->len - o->head);

		if (n >= 0) {
			o->head += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			/* Resume when the reader has made room. Once the loop has
			 * finished no source can be added (the drain at exit): the
			 * data stays queued for stdout_finish(). */
			if (!o->writable &&
			    sd_event_add_io(o->daemon->event, &o->writable, o->fd, EPOLLOUT, on_writable, o) < 0)
				return;
			sd_event_source_set_enabled(o->writable, SD_EVENT_ON);
			return;
		}
		if (errno == EPIPE)
			log_info("stdout was closed by its reader, stopping");
		else
			log_error_errno(errno, "cannot write events to stdout: %m");
		o->head = o->len = 0;
		daemon_stop(o->daemon, errno == EPIPE ? 0 : -errno);
		return;
	}
	o->head = o->len = 0;
	if (o->writable)
		sd_event_source_set_enabled(o->writable, SD_EVENT_OFF);
}

static int on_writable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	stdout_write_pending(userdata);
	return 0;
}

static void stdout_flush(struct output *base)
{
	struct stdout_output *o = (struct stdout_output *)base;

	/* While waiting for EPOLLOUT, the io source does the writing. */
	if (o->writable && sd_event_source_get_enabled(o->writable, NULL) > 0)
		return;
	stdout_write_pending(o);
}

static int stdout_emit(struct output *base, const struct event *ev, struct rendered_event *rendered)
{
	struct stdout_output *o = (struct stdout_output *)base;
	const char *json = rendered->json;
	size_t len = rendered->len;
	size_t limit = event_type_category(ev->type) & CATEGORIES_BULK ? o->size / 2 : o->size;

	/* Full (for this event): write out what is queued first, unless the
	 * reader is slow and we are already waiting for it. */
	if (o->len + len + 1 > o->size || o->len - o->head + len + 1 > limit)
		stdout_flush(base);
	if (o->head > 0 && o->len + len + 1 > o->size) {
		memmove(o->buf, o->buf + o->head, o->len - o->head);
		o->len -= o->head;
		o->head = 0;
	}
	if (o->len + len + 1 > o->size || o->len - o->head + len + 1 > limit) {
		base->dropped++;
		return -ENOBUFS;
	}
	memcpy(o->buf + o->len, json, len);
	o->buf[o->len + len] = '\n';
	o->len += len + 1;
	return 0;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Extra time, past the stop deadline, to end a line already begun: a reader
 * never gets half an event. */
#define LINE_GRACE_USEC (1000u * 1000u)

/* Writes o->buf[head..@end) while the reader takes it, until @deadline or,
 * if @stop_on_signal, a second stop signal. */
static void write_until(struct stdout_output *o, size_t end, uint64_t deadline, bool stop_on_signal)
{
	while (o->head < end) {
		struct pollfd pfd = { .fd = o->fd, .events = POLLOUT };
		uint64_t now = now_usec();
		ssize_t n;

		if (now >= deadline || (stop_on_signal && daemon_stop_signal_pending()))
			return;
		n = write(o->fd, o->buf + o->head, end - o->head);
		if (n > 0) {
			o->head += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return; /* the reader is gone */
		/* In slices: a second stop signal, blocked (the loop reads
		 * them from a signalfd), does not wake poll(). */
		if (n < 0 && errno == EAGAIN)
			poll(&pfd, 1, (int)(deadline - now < 100000 ? (deadline - now) / 1000 + 1 : 100));
	}
}

/* Writes what is queued while the reader takes it, until @deadline, then
 * ends the line it is in (unless told to stop at once); the events left (one
 * per line) are counted as dropped. */
static void stdout_finish(struct output *base, uint64_t deadline)
{
	struct stdout_output *o = (struct stdout_output *)base;
	uint64_t left = 0;

	if (o->writable)
		sd_event_source_set_enabled(o->writable, SD_EVENT_OFF);
	write_until(o, o->len, deadline, true);
	/* Not after a second stop signal: that one means at once. */
	if (o->head > 0 && o->head < o->len && o->buf[o->head - 1] != '\n' && deadline &&
	    !daemon_stop_signal_pending()) {
		const char *newline = memchr(o->buf + o->head, '\n', o->len - o->head);

		write_until(o, (size_t)(newline - o->buf) + 1, now_usec() + LINE_GRACE_USEC, false);
	}
	for (size_t i = o->head; i < o->len; i++)
		left += o->buf[i] == '\n';
	if (left)
		log_warning("stdout: %" PRIu64 " events were still queued for a reader that did not take them; "
			    "counted as dropped",
			    left);
	base->dropped += left;
	o->head = o->len = 0;
}

static void stdout_free(struct output *base)
{
	struct stdout_output *o = (struct stdout_output *)base;

	o->writable = sd_event_source_disable_unref(o->writable);
	if (o->saved_flags >= 0)
		fcntl(o->fd, F_SETFL, o->saved_flags); /* handed back as we found it */
	free(o->buf);
	free(o);
}

static const struct output_ops stdout_ops = {
	.name = "stdout",
	.emit = stdout_emit,
	.flush = stdout_flush,
	.finish = stdout_finish,
	.free = stdout_free,
};

int output_stdout_new(struct daemon *d, int fd, size_t max_buffer, struct output **ret)
{
	struct stdout_output *o = calloc(1, sizeof(*o));
	struct stat st;

	if (!o)
		return -ENOMEM;
	o->buf = malloc(max_buffer);
	if (!o->buf) {
		free(o);
		return -ENOMEM;
	}
	o->output.ops = &stdout_ops;
	o->output.categories = UINT32_MAX;
	o->output.iouring_opcodes = OPCODE_SET_ALL;
	o->daemon = d;
	o->fd = fd;
	o->size = max_buffer;
	o->saved_flags = -1;
	/* Pipes, sockets and terminals can block: make them non-blocking and
	 * buffer. Regular files and /dev/null never block. */
	if (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(fd))) {
		int flags = fcntl(fd, F_GETFL);

		if (flags >= 0 && !(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0)
			o->saved_flags = flags;
	}
	*ret = &o->output;
	return 0;
}
