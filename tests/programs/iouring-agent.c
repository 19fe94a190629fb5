// SPDX-License-Identifier: GPL-2.0-only
/*
 * Does through io_uring what an io_uring-based agent does, one request at a
 * time and in this order: NOP; openat /etc/passwd read-only; openat2
 * O_CREAT|O_EXCL of DIR/created; statx of it; accept on a TCP listener on
 * 127.0.0.1 and connect to it; accept (as a fixed file) on a listener on
 * [::1] and connect to it; connect to the AF_UNIX socket DIR/sock; unlinkat
 * DIR/created. Descriptors are closed with close(2), outside the ring.
 *
 * Prints one JSON object with its pid and the addresses it used, for the
 * integration tests to compare events with. Exits non-zero when a request
 * fails. Usage: iouring-agent [--sqpoll] DIR
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static struct io_uring ring;

static void die(const char *what, int err)
{
	fprintf(stderr, "iouring-agent: %s: %s\n", what, strerror(err));
	exit(1);
}

/* Submits what was prepared and waits for @n completions; returns the
 * result of the one with user_data @which. */
static int run(unsigned n, __u64 which, const char *what)
{
	int ret = -EINVAL, r;

	r = io_uring_submit(&ring);
	if (r < 0)
		die("io_uring_submit", -r);
	for (unsigned i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;

		r = io_uring_wait_cqe(&ring, &cqe);
		if (r < 0)
			die("io_uring_wait_cqe", -r);
		if (cqe->user_data == which)
			ret = cqe->res;
		else if (cqe->res < 0)
			die(what, -cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
	if (ret < 0)
		die(what, -ret);
	return ret;
}

static struct io_uring_sqe *sqe(__u64 user_data)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&ring);

	/* An SQPOLL thread may not have consumed the previous entries yet. */
	while (!s && io_uring_sqring_wait(&ring) >= 0)
		s = io_uring_get_sqe(&ring);
	if (!s)
		die("io_uring_get_sqe", EBUSY);
	io_uring_sqe_set_data64(s, user_data);
	return s;
}

static int tcp_listener(int family, int *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket", errno);
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		die("listen", errno);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* Accepts on @listener (fixed file index 0 when @fixed) and connects a new
 * socket to @addr: both through the ring. */
static void accept_and_connect(int listener, bool fixed, const struct sockaddr *addr, socklen_t len)
{
	int client = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct io_uring_sqe *s;

	if (client < 0)
		die("socket", errno);
	s = sqe(1);
	io_uring_prep_accept(s, fixed ? 0 : listener, NULL, NULL, SOCK_CLOEXEC);
	if (fixed)
		s->flags |= IOSQE_FIXED_FILE;
	/* The accept waits for the connection: submit it first, alone, so that
	 * the two events come in this order. */
	io_uring_submit(&ring);
	io_uring_prep_connect(sqe(2), client, addr, len);
	close(run(2, 1, "accept"));
	close(client);
}

int main(int argc, char *argv[])
{
	struct io_uring_params params = { 0 };
	struct open_how how = { .flags = O_WRONLY | O_CREAT | O_EXCL, .mode = 0600 };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = in6addr_loopback };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	bool sqpoll = argc > 1 && strcmp(argv[1], "--sqpoll") == 0;
	const char *dir = argv[1 + sqpoll];
	char created[4096];
	struct statx stx;
	int port4, port6, listen4, listen6, listen_unix, client, r;

	if (argc != 2 + sqpoll) {
		fprintf(stderr, "usage: iouring-agent [--sqpoll] DIR\n");
		return 2;
	}
	snprintf(created, sizeof(created), "%s/created", dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sock", dir);
	listen4 = tcp_listener(AF_INET, &port4);
	listen6 = tcp_listener(AF_INET6, &port6);
	listen_unix = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_unix < 0 || bind(listen_unix, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(listen_unix, 4) < 0)
		die("unix listen", errno);
	sin.sin_port = htons((uint16_t)port4);
	sin6.sin6_port = htons((uint16_t)port6);

	if (sqpoll) {
		params.flags = IORING_SETUP_SQPOLL;
		params.sq_thread_idle = 1000;
	}
	r = io_uring_queue_init_params(8, &ring, &params);
	if (r < 0)
		die("io_uring_queue_init", -r);
	r = io_uring_register_files(&ring, &listen6, 1);
	if (r < 0)
		die("io_uring_register_files", -r);

	io_uring_prep_nop(sqe(1));
	run(1, 1, "nop");
	io_uring_prep_openat(sqe(1), AT_FDCWD, "/etc/passwd", O_RDONLY, 0);
	close(run(1, 1, "openat"));
	io_uring_prep_openat2(sqe(1), AT_FDCWD, created, &how);
	close(run(1, 1, "openat2"));
	io_uring_prep_statx(sqe(1), AT_FDCWD, created, 0, STATX_BASIC_STATS, &stx);
	run(1, 1, "statx");
	accept_and_connect(listen4, false, (struct sockaddr *)&sin, sizeof(sin));
	accept_and_connect(listen6, true, (struct sockaddr *)&sin6, sizeof(sin6));
	client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (client < 0)
		die("socket", errno);
	io_uring_prep_connect(sqe(1), client, (struct sockaddr *)&sun, sizeof(sun));
	run(1, 1, "connect unix");
	close(client);
	io_uring_prep_unlinkat(sqe(1), AT_FDCWD, created, 0);
	run(1, 1, "unlinkat");

	io_uring_queue_exit(&ring);
	unlink(sun.sun_path);
	printf("{\"pid\": %d, \"sqpoll\": %s, \"created\": \"%s\", \"port4\": %d, \"port6\": %d, \"unix\": "
	       "\"%s\"}\n",
	       getpid(), sqpoll ? "true" : "false", created, port4, port6, sun.sun_path);
	return 0;
}
