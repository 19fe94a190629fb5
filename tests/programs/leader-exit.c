// SPDX-License-Identifier: GPL-2.0-only
/* A process whose thread-group leader exits first: main starts a thread and
 * leaves with pthread_exit; the thread prints its id, waits until its stdin
 * is closed, then ends the process. Used to check that ProcessExit comes
 * once, when the last thread goes, not when the leader does. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *last_thread(void *arg)
{
	char c;

	printf("%ld\n", (long)syscall(SYS_gettid));
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	exit(EXIT_SUCCESS);
}

int main(void)
{
	pthread_t thread;

	if (pthread_create(&thread, NULL, last_thread, NULL) != 0) {
		perror("pthread_create");
		return EXIT_FAILURE;
	}
	pthread_exit(NULL);
}
