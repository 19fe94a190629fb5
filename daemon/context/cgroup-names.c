// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../macro.h"
#include "../render/json-writer.h"
#include "cgroup-names.h"
#include "cgroup-path.h"

#define BUCKETS 4096
/* Beyond this many ids the table starts over: nothing keeps an entry past
 * one lookup, and a busy machine's live cgroups are far fewer. */
#define MAX_ENTRIES   65536
#define INFO_JSON_MAX (8 * PATH_MAX)

struct cgroup_names {
	char mount[PATH_MAX];
	size_t mount_len;
	int mount_fd;
	struct cgroup_info *buckets[BUCKETS];
	struct json_writer writer;
	struct cgroup_names_stats stats;
};

static struct cgroup_names *names;

static struct cgroup_info *add(uint64_t id, const char *path);
typedef void (*walk_fn)(uint64_t id, const char *path, void *userdata);
static void walk(int dir, char *path, size_t len, size_t size, unsigned depth, walk_fn fn, void *userdata);
static void add_missing(uint64_t id, const char *path, void *userdata);

static void unescape_octal(const char *s, size_t len, char *buf, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size; i++) {
		if (s[i] == '\\' && i + 3 < len + 1 && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			buf[o++] = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
			i += 3;
		} else
			buf[o++] = s[i];
	}
	buf[o] = '\0';
}

int cgroup2_mount_from_mountinfo(const char *mountinfo, char *buf, size_t size)
{
	for (const char *line = mountinfo; line && *line;) {
		const char *end = strchrnul(line, '\n'), *sep = strstr(line, " - ");
		const char *f[5];
		size_t n = 0;

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - TYPE SOURCE OPTIONS */
		for (const char *p = line; p < end && n < 5; n++) {
			f[n] = p;
			p = memchr(p, ' ', (size_t)(end - p));
			if (!p)
				break;
			p++;
		}
		if (n == 5 && sep && sep < end && strncmp(sep, " - cgroup2 ", 11) == 0 &&
		    strncmp(f[3], "/ ", 2) == 0) {
			const char *mp_end = memchr(f[4], ' ', (size_t)(end - f[4]));

			unescape_octal(f[4], (size_t)((mp_end ? mp_end : end) - f[4]), buf, size);
			return 0;
		}
		line = *end ? end + 1 : NULL;
	}
	return -ENOENT;
}

static int read_text_file(const char *path, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, len = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (len + 4096 + 1 > size) {
			char *grown = realloc(buf, size = (size + 4096) * 2);

			if (!grown) {
				fclose(f);
				return -ENOMEM;
			}
			buf = grown;
		}
		n = fread(buf + len, 1, size - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	*ret = buf;
	buf = NULL;
	return 0;
}

int cgroup_names_open(const char *mountinfo_path)
{
	_cleanup_free_ char *mountinfo = NULL;
	char path[PATH_MAX] = "";
	struct cgroup_names *n;
	struct stat st;
	int r;

	cgroup_names_close();
	r = read_text_file(mountinfo_path ?: "/proc/self/mountinfo", &mountinfo);
	if (r < 0)
		return r;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	r = cgroup2_mount_from_mountinfo(mountinfo, n->mount, sizeof(n->mount));
	if (r < 0) {
		free(n);
		return r;
	}
	n->mount_fd = open(n->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (n->mount_fd < 0) {
		r = -errno;
		free(n);
		return r;
	}
	n->mount_len = strlen(n->mount);
	json_writer_init(&n->writer, INFO_JSON_MAX);
	names = n;
	/* What exists now; the cgroup_mkdir hook says what is made later. */
	if (fstat(n->mount_fd, &st) == 0)
		add(st.st_ino, "/");
	walk(n->mount_fd, path, 0, sizeof(path), 0, add_missing, NULL);
	return 0;
}

static void clear_entries(struct cgroup_names *n)
{
	for (size_t i = 0; i < BUCKETS; i++) {
		for (struct cgroup_info *c = n->buckets[i], *next; c; c = next) {
			next = c->next;
			free(c);
		}
		n->buckets[i] = NULL;
	}
	n->stats.entries = 0;
}

void cgroup_names_close(void)
{
	if (!names)
		return;
	clear_entries(names);
	close(names->mount_fd);
	json_writer_free(&names->writer);
	free(names);
	names = NULL;
}

bool cgroup_names_enabled(void)
{
	return names;
}

const char *cgroup_names_mount(void)
{
	return names ? names->mount : NULL;
}

struct cgroup_names_stats cgroup_names_stats(void)
{
	return names ? names->stats : (struct cgroup_names_stats){};
}

static struct cgroup_info **bucket_of(uint64_t id)
{
	return &names->buckets[(id ^ (id >> 32)) % BUCKETS];
}

static struct cgroup_info *find(uint64_t id)
{
	for (struct cgroup_info *c = *bucket_of(id); c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static char *copy_or_null(char **cursor, const char *s)
{
	size_t len = strlen(s) + 1;

	if (len == 1)
		return NULL;
	memcpy(*cursor, s, len);
	*cursor += len;
	return *cursor - len;
}

/* Adds what @path (NULL: gone) tells of @id. */
static struct cgroup_info *add(uint64_t id, const char *path)
{
	struct json_writer *w = &names->writer;
	struct cgroup_path_info parsed = {};
	struct cgroup_info *c;
	size_t strings;
	char *cursor;

	if (names->stats.entries >= MAX_ENTRIES)
		clear_entries(names);
	if (path)
		cgroup_path_parse(path, &parsed);
	json_writer_reset(w);
	if (path) {
		json_literal(w, ",\"cgroup\":");
		json_string(w, path);
	}
	json_literal(w, ",\"cgroup_id\":");
	json_uint(w, id);
	if (parsed.unit[0]) {
		json_literal(w, ",\"unit\":");
		json_string(w, parsed.unit);
	}
	if (parsed.slice[0]) {
		json_literal(w, ",\"slice\":");
		json_string(w, parsed.slice);
	}
	if (parsed.container_id[0]) {
		json_literal(w, ",\"container_id\":");
		json_string(w, parsed.container_id);
	}
	if (w->failed)
		return NULL;
	strings = (path ? strlen(path) + 1 : 0) + strlen(parsed.unit) + strlen(parsed.slice) +
		  strlen(parsed.container_id) + 3;
	c = malloc(sizeof(*c) + strings + w->len);
	if (!c)
		return NULL;
	cursor = c->data;
	*c = (struct cgroup_info){ .id = id, .json_len = w->len };
	c->path = path ? copy_or_null(&cursor, path) : NULL;
	c->unit = copy_or_null(&cursor, parsed.unit);
	c->slice = copy_or_null(&cursor, parsed.slice);
	c->container_id = copy_or_null(&cursor, parsed.container_id);
	c->json = memcpy(cursor, w->buf, w->len);
	c->next = *bucket_of(id);
	*bucket_of(id) = c;
	names->stats.entries++;
	return c;
}

static void add_missing(uint64_t id, const char *path, void *userdata)
{
	if (!find(id))
		add(id, path);
}

/* Calls @fn for every cgroup below @dir (path @path), parents first. */
static void walk(int dir, char *path, size_t len, size_t size, unsigned depth, walk_fn fn, void *userdata)
{
	DIR *d;
	struct dirent *de;
	/* A new open file description: a dup() would share the directory
	 * offset, which the walk before left at the end. */
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		size_t n;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		n = (size_t)snprintf(path + len, size - len, "/%s", de->d_name);
		if (len + n >= size)
			continue;
		fn(st.st_ino, path, userdata);
		if (depth < 64) {
			_cleanup_close_ int child =
				openat(dir, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (child >= 0)
				walk(child, path, len + n, size, depth + 1, fn, userdata);
		}
		path[len] = '\0';
	}
	closedir(d);
}

/* An id made before the cgroup_mkdir hook was attached (or whose record was
 * lost): the tree is walked again; one still unknown was removed already,
 * and is remembered so when @remember_gone (an id from the kernel: its
 * events would walk again each time). */
static struct cgroup_info *resolve(uint64_t id, bool remember_gone)
{
	struct cgroup_info *c;
	char path[PATH_MAX] = "";

	names->stats.scans++;
	walk(names->mount_fd, path, 0, sizeof(path), 0, add_missing, NULL);
	c = find(id);
	if (c) {
		names->stats.resolved++;
		return c;
	}
	names->stats.unresolved++;
	if (!remember_gone)
		return NULL;
	/* said by cgroup_id alone from now on (ids are not reused) */
	return add(id, NULL);
}

void cgroup_names_add(uint64_t id, const char *path)
{
	struct cgroup_info *c;

	if (!names || !id)
		return;
	c = find(id);
	if (c && !c->path) {
		/* Looked up (an event's) before its record was read, and
		 * taken for gone: what the kernel says now is right. */
		struct cgroup_info **p = bucket_of(id);

		while (*p != c)
			p = &(*p)->next;
		*p = c->next;
		free(c);
		names->stats.entries--;
		c = NULL;
	}
	if (!c)
		add(id, path);
}

const struct cgroup_info *cgroup_names_lookup(uint64_t id)
{
	struct cgroup_info *c;

	if (!names || id == 0)
		return NULL;
	c = find(id);
	return c ?: resolve(id, true);
}

const char *cgroup_names_path(uint64_t id)
{
	const struct cgroup_info *c;

	if (!names || id == 0)
		return NULL;
	c = find(id) ?: resolve(id, false);
	return c ? c->path : NULL;
}

int cgroup_names_walk(void (*fn)(uint64_t id, const char *path, void *userdata), void *userdata)
{
	char path[PATH_MAX] = "";
	struct stat st;

	if (!names)
		return -ENOENT;
	if (fstat(names->mount_fd, &st) < 0)
		return -errno;
	fn(st.st_ino, "/", userdata);
	walk(names->mount_fd, path, 0, sizeof(path), 0, fn, userdata);
	return 0;
}
