// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../context/cgroup-names.h"
#include "../macro.h"
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

/* The last number of the "NSpid:" line: the pid in the process's own pid
 * namespace. */
static uint32_t parse_nspid(const char *line)
{
	const char *end = strchrnul(line, '\n'), *p = end;

	while (p > line && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return p < end ? (uint32_t)strtoul(p, NULL, 10) : 0;
}

static void parse_status(const char *status, struct bombus_creds *creds, uint32_t *vpid)
{
	for (const char *line = status; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned a, b;
		unsigned long long caps;

		if (strncmp(line, "NSpid:", 6) == 0) {
			*vpid = parse_nspid(line);
			continue;
		}
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

/* The id of the process's cgroup2 cgroup: the inode number of its directory
 * ("0::PATH" in /proc/PID/cgroup) on the mount; 0 when unknown. */
static uint64_t cgroup_id_of(int dir)
{
	char text[4096], path[PATH_MAX];
	const char *mount = cgroup_names_mount(), *line;
	struct stat st;

	if (!mount || read_file(dir, "cgroup", text, sizeof(text)) < 0)
		return 0;
	for (line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, "0::", 3) == 0)
			break;
	if (!line)
		return 0;
	snprintf(path, sizeof(path), "%s%.*s", mount, (int)(strchrnul(line, '\n') - line - 3), line + 3);
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* The namespaces from the inode numbers of /proc/PID/ns/; false when one
 * cannot be read (a kernel without that namespace type gives 0). */
static bool read_namespaces(int dir, struct bombus_context *c)
{
	static const char *const files[BOMBUS_NS_MAX] = {
		[BOMBUS_NS_PID] = "ns/pid", [BOMBUS_NS_MNT] = "ns/mnt", [BOMBUS_NS_NET] = "ns/net",
		[BOMBUS_NS_USER] = "ns/user", [BOMBUS_NS_UTS] = "ns/uts", [BOMBUS_NS_IPC] = "ns/ipc",
		[BOMBUS_NS_CGROUP] = "ns/cgroup",
	};

	for (unsigned i = 0; i < BOMBUS_NS_MAX; i++) {
		struct stat st;

		if (fstatat(dir, files[i], &st, 0) < 0) {
			if (errno != ENOENT)
				return false;
			st.st_ino = 0;
		}
		c->ns[i] = (uint32_t)st.st_ino;
	}
	return true;
}

/* The start tick of process @pid from /proc/PID/stat (0 when unknown). */
static uint64_t start_ticks_of(int proc, uint32_t pid)
{
	char name[32], stat[1024];
	uint64_t ticks;
	uint32_t ppid;

	snprintf(name, sizeof(name), "%u/stat", pid);
	if (read_file(proc, name, stat, sizeof(stat)) < 0 || parse_stat(stat, &ppid, &ticks) < 0)
		return 0;
	return ticks;
}

static int seed_one(struct process_cache *cache, int proc, const char *name, uint64_t tick_ns, int64_t boot_to_real_ns)
{
	static char path[PATH_TEXT_MAX], filename[NAME_TEXT_MAX], args[ARGS_TEXT_MAX];
	static char exe[PATH_MAX], cmdline[BOMBUS_ARGS_MAX + 1];
	_cleanup_close_ int dir = openat(proc, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char stat[1024], status[4096], loginuid[32];
	struct bombus_task task = { .pid = (uint32_t)strtoul(name, NULL, 10) };
	struct image_fields fields = { .filename = "", .binary_path = "", .args = "" };
	struct exec_image *image;
	struct process *p;
	uint64_t start_ticks;
	size_t len = 0;
	ssize_t n;
	int r;

	if (dir < 0)
		return -errno;
	if (read_file(dir, "stat", stat, sizeof(stat)) < 0 || parse_stat(stat, &task.ppid, &start_ticks) < 0)
		return -ESRCH;
	p = process_cache_get_live(cache, task.pid);
	if (p) {
		bool known = p->task.start_ns / tick_ns == start_ticks;

		process_unref(p);
		if (known)
			return 0; /* already known from an event */
	}
	task.tid = task.pid;
	task.start_ns = start_ticks * tick_ns;
	/* The parent's start, to the tick: a key that matches it in the cache
	 * (both coarse), and never changes. */
	task.parent_start_ns = task.ppid ? start_ticks_of(proc, task.ppid) * tick_ns : 0;
	task.creds.auid = UINT32_MAX;
	if (read_file(dir, "status", status, sizeof(status)) > 0)
		parse_status(status, &task.creds, &task.context.vpid);
	/* What the kernel counts (exec_seq) is not in /proc: events take it from
	 * their records (docs/events.md, exec_id). */
	if (read_namespaces(dir, &task.context)) {
		task.flags |= BOMBUS_TASK_CONTEXT;
		task.context.cgroup_id = cgroup_id_of(dir);
	}
	if (read_file(dir, "loginuid", loginuid, sizeof(loginuid)) > 0)
		task.creds.auid = (uint32_t)strtoul(loginuid, NULL, 10);

	n = readlinkat(dir, "exe", exe, sizeof(exe) - 1);
	if (n >= 0) { /* kernel threads have no executable */
		ssize_t argv_len;

		exe[n] = '\0';
		path[0] = '\0';
		utf8_append(path, sizeof(path), &len, exe, (size_t)n, false);
		path_basename(exe, filename);
		argv_len = read_file(dir, "cmdline", cmdline, sizeof(cmdline));
		args_join(args, sizeof(args), cmdline, argv_len > 0 ? (size_t)argv_len : 0, argv_len >= BOMBUS_ARGS_MAX);
		fields = (struct image_fields){ .filename = filename, .binary_path = path, .args = args };
	}
	image = n >= 0 ? exec_image_new(&fields) : exec_image_unknown();
	if (!image)
		return -ENOMEM;
	p = process_new(&task, false, true, image, boot_to_real_ns);
	exec_image_unref(image);
	if (!p)
		return -ENOMEM;
	r = process_cache_put(cache, p);
	process_unref(p);
	return r;
}

int proc_seed(struct process_cache *cache, const char *proc_root, uint64_t tick_ns, int64_t boot_to_real_ns)
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
		if (isdigit((unsigned char)de->d_name[0]) &&
		    seed_one(cache, proc, de->d_name, tick_ns, boot_to_real_ns) >= 0)
			added++;
	closedir(dir);
	return added;
}
