// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "proc-seed.h"
#include "text.h"

/* Reads at most @size - 1 bytes of @dir/@name; returns the length or -errno. */
static ssize_t read_file(int dir, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

/* ppid and start time (ticks) from /proc/PID/stat; comm may hold spaces and
 * parentheses, so fields are counted from the last ')'. */
static int parse_stat(const char *stat, uint32_t *ppid, uint64_t *start_ticks)
{
	const char *p = strrchr(stat, ')');
	unsigned long long start;
	unsigned ppid_value;

	if (!p)
		return -EINVAL;
	/* fields 3.. : state ppid pgrp session tty_nr tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads itrealvalue starttime */
	if (sscanf(p + 1, " %*c %u %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %llu",
		   &ppid_value, &start) != 2)
		return -EINVAL;
	*ppid = ppid_value;
	*start_ticks = start;
	return 0;
}

static void parse_status(const char *status, struct bombus_creds *creds)
{
	for (const char *line = status; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned a, b;
		unsigned long long caps;

		if (sscanf(line, "Uid: %u %u", &a, &b) == 2)
			creds->uid = a, creds->euid = b;
		else if (sscanf(line, "Gid: %u %u", &a, &b) == 2)
			creds->gid = a, creds->egid = b;
		else if (sscanf(line, "CapInh: %llx", &caps) == 1)
			creds->cap_inheritable = caps;
		else if (sscanf(line, "CapPrm: %llx", &caps) == 1)
			creds->cap_permitted = caps;
		else if (sscanf(line, "CapEff: %llx", &caps) == 1)
			creds->cap_effective = caps;
	}
}

static int seed_one(struct process_cache *cache, int proc, const char *name, uint64_t tick_ns)
{
	_cleanup_close_ int dir = openat(proc, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char stat[1024], status[4096], loginuid[32], exe[PATH_MAX];
	_cleanup_free_ char *cmdline = malloc(BOMBUS_ARGS_MAX + 1);
	uint32_t pid = (uint32_t)strtoul(name, NULL, 10), ppid;
	uint64_t start_ticks;
	struct process *p;
	ssize_t n;

	if (dir < 0 || !cmdline)
		return -errno;
	if (read_file(dir, "stat", stat, sizeof(stat)) < 0 || parse_stat(stat, &ppid, &start_ticks) < 0)
		return -ESRCH;
	p = process_cache_find_live(cache, pid);
	if (p && p->start_ns / tick_ns == start_ticks)
		return 0; /* already known from an event */
	p = process_cache_add(cache, pid, start_ticks * tick_ns);
	if (!p)
		return -ENOMEM;
	p->start_coarse = true;
	p->ppid = ppid;
	if (read_file(dir, "status", status, sizeof(status)) > 0)
		parse_status(status, &p->creds);
	if (read_file(dir, "loginuid", loginuid, sizeof(loginuid)) > 0)
		p->creds.auid = (uint32_t)strtoul(loginuid, NULL, 10);

	n = readlinkat(dir, "exe", exe, sizeof(exe) - 1);
	if (n < 0) /* kernel threads have no executable */
		return process_set_binary(p, NULL, NULL, NULL);
	exe[n] = '\0';
	n = read_file(dir, "cmdline", cmdline, BOMBUS_ARGS_MAX + 1);
	return process_set_binary(p, utf8_strndup(exe, sizeof(exe)), path_basename(exe),
				  args_join(cmdline, n > 0 ? (size_t)n : 0, n >= BOMBUS_ARGS_MAX));
}

static void link_parent(struct process *p, void *userdata)
{
	struct process_cache *cache = userdata;
	struct process *parent;

	if (!p->start_coarse || p->parent_start_ns)
		return;
	parent = p->ppid ? process_cache_find_live(cache, p->ppid) : NULL;
	if (parent)
		p->parent_start_ns = parent->start_ns;
}

int proc_seed(struct process_cache *cache, const char *proc_root, uint64_t tick_ns)
{
	_cleanup_close_ int proc = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;
	struct dirent *de;
	int added = 0;

	if (proc < 0)
		return -errno;
	dir = fdopendir(dup(proc));
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (isdigit((unsigned char)de->d_name[0]) && seed_one(cache, proc, de->d_name, tick_ns) >= 0)
			added++;
	closedir(dir);
	process_cache_foreach(cache, link_parent, cache);
	return added;
}
