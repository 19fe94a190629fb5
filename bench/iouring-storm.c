// SPDX-License-Identifier: GPL-2.0-only
/*
 * The load of the io_uring storm benchmark, through one ring, in batches:
 *   nop N     N x IORING_OP_NOP
 *   openat N  N x IORING_OP_OPENAT of /etc/passwd, each followed by an
 *             IORING_OP_CLOSE of the descriptor it returned
 * --sqpoll submits through an SQPOLL ring. Prints the elapsed seconds.
 * Usage: iouring-storm nop|openat N [--sqpoll]
 */
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 64

static struct io_uring ring;

static void die(const char *what, int err)
{
	fprintf(stderr, "iouring-storm: %s: %s\n", what, strerror(err));
	exit(1);
}

/* Submits the @n prepared requests, waits for them, stores their results. */
static void complete(unsigned n, int results[])
{
	struct io_uring_cqe *cqe;
	int r = io_uring_submit_and_wait(&ring, n);

	if (r < 0)
		die("io_uring_submit_and_wait", -r);
	for (unsigned i = 0; i < n; i++) {
		r = io_uring_wait_cqe(&ring, &cqe);
		if (r < 0)
			die("io_uring_wait_cqe", -r);
		if (cqe->res < 0)
			die("request", -cqe->res);
		results[cqe->user_data] = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
}

static struct io_uring_sqe *sqe(unsigned index)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&ring);

	/* An SQPOLL thread may not have consumed the last batch's entries yet. */
	while (!s && io_uring_sqring_wait(&ring) >= 0)
		s = io_uring_get_sqe(&ring);
	if (!s)
		die("io_uring_get_sqe", EBUSY);
	io_uring_sqe_set_data64(s, index);
	return s;
}

int main(int argc, char *argv[])
{
	struct io_uring_params params = { 0 };
	struct timespec start, end;
	int results[BATCH];
	bool openat;
	long n;
	int r;

	if (argc < 3 || (strcmp(argv[1], "nop") != 0 && strcmp(argv[1], "openat") != 0)) {
		fprintf(stderr, "usage: iouring-storm nop|openat N [--sqpoll]\n");
		return 2;
	}
	openat = strcmp(argv[1], "openat") == 0;
	n = strtol(argv[2], NULL, 10);
	if (argc > 3 && strcmp(argv[3], "--sqpoll") == 0) {
		params.flags = IORING_SETUP_SQPOLL;
		params.sq_thread_idle = 1000;
	}
	r = io_uring_queue_init_params(BATCH, &ring, &params);
	if (r < 0)
		die("io_uring_queue_init", -r);

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long done = 0; done < n;) {
		unsigned batch = n - done < BATCH ? (unsigned)(n - done) : BATCH;

		for (unsigned i = 0; i < batch; i++) {
			if (openat)
				io_uring_prep_openat(sqe(i), AT_FDCWD, "/etc/passwd", O_RDONLY, 0);
			else
				io_uring_prep_nop(sqe(i));
		}
		complete(batch, results);
		if (openat) {
			for (unsigned i = 0; i < batch; i++)
				io_uring_prep_close(sqe(i), results[i]);
			complete(batch, results);
		}
		done += batch;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	io_uring_queue_exit(&ring);
	printf("%.6f\n", (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9);
	return 0;
}
