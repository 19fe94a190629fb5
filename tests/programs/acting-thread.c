// SPDX-License-Identifier: GPL-2.0-only
/*
 * A second thread changes its own credentials and then acts: it becomes
 * nobody with the raw setresuid syscall (a thread's own credentials: glibc's
 * wrapper would change every thread's), renames itself with
 * prctl(PR_SET_NAME) and submits an io_uring openat of /etc/shadow (refused,
 * but submitted). Events must name that thread and its new uid, not the
 * process's main thread and the credentials its exec left.
 * Prints {"pid": N, "tid": N}.
 */
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOBODY 65534

static pid_t acting_tid;

static void *act(void *arg)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;

	acting_tid = (pid_t)syscall(SYS_gettid);
	if (io_uring_queue_init(4, &ring, 0) < 0) {
		perror("io_uring_queue_init");
		return (void *)1;
	}
	if (syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY) < 0) {
		perror("setresuid");
		return (void *)1;
	}
	prctl(PR_SET_NAME, "acting", 0, 0, 0);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_openat(sqe, AT_FDCWD, "/etc/shadow", O_RDONLY, 0);
	if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe) < 0) {
		perror("io_uring");
		return (void *)1;
	}
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	return NULL;
}

int main(void)
{
	pthread_t thread;
	void *failed;

	if (pthread_create(&thread, NULL, act, NULL) != 0 || pthread_join(thread, &failed) != 0 || failed)
		return 1;
	printf("{\"pid\": %d, \"tid\": %d}\n", getpid(), acting_tid);
	return 0;
}
