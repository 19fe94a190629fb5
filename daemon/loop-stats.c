// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "loop-stats.h"

static struct {
	sd_event *event; /* not referenced: the source goes with it */
	uint64_t longest_usec, longest_cpu_usec;
	uint64_t cpu_at_prepare; /* the loop thread's CPU time at the last prepare */
} stats;

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Runs at the start of each iteration: the previous one ends here. */
static int on_prepare(sd_event_source *s, void *userdata)
{
	uint64_t woke, now = now_usec(CLOCK_MONOTONIC), cpu = now_usec(CLOCK_THREAD_CPUTIME_ID);

	/* sd_event_now(): when the previous iteration woke up (1 and the
	 * current time when there was none yet). */
	if (sd_event_now(sd_event_source_get_event(s), CLOCK_MONOTONIC, &woke) == 0 && now > woke &&
	    now - woke > stats.longest_usec)
		stats.longest_usec = now - woke;
	/* Waiting in epoll costs no CPU: what the thread used since the last
	 * prepare is the iteration's own work, however long other programs
	 * kept it off the CPU. */
	if (stats.cpu_at_prepare && cpu - stats.cpu_at_prepare > stats.longest_cpu_usec)
		stats.longest_cpu_usec = cpu - stats.cpu_at_prepare;
	stats.cpu_at_prepare = cpu;
	return 0;
}

/* Never readable: the source exists for its prepare callback. */
static int on_never(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	return 0;
}

int loop_stats_attach(sd_event *e)
{
	sd_event_source *s = NULL;
	int fd, r;

	if (stats.event == e)
		return 0;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = sd_event_add_io(e, &s, fd, EPOLLIN, on_never, NULL);
	if (r < 0) {
		close(fd);
		return r;
	}
	r = sd_event_source_set_io_fd_own(s, 1);
	if (r >= 0)
		r = sd_event_source_set_priority(s, SD_EVENT_PRIORITY_IMPORTANT);
	if (r >= 0)
		r = sd_event_source_set_prepare(s, on_prepare);
	if (r >= 0)
		r = sd_event_source_set_description(s, "loop-stats");
	/* Freed with the loop. */
	if (r >= 0)
		r = sd_event_source_set_floating(s, 1);
	if (r < 0) {
		sd_event_source_disable_unref(s);
		return r;
	}
	sd_event_source_unref(s);
	stats.event = e;
	stats.longest_usec = stats.longest_cpu_usec = stats.cpu_at_prepare = 0;
	return 0;
}

uint64_t loop_stats_longest_usec(void)
{
	return stats.longest_usec;
}

uint64_t loop_stats_longest_cpu_usec(void)
{
	return stats.longest_cpu_usec;
}
