/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cgroup ids, as the kernel sends them with each record, to what they name:
 * the cgroup2 path, and the unit, slice and container the path says
 * (cgroup-path.h). Learnt from a walk of the cgroup2 mount at start (a
 * directory's inode number is its cgroup's id) and from the kernel's record
 * of each cgroup made later (cgroup_names_add()); an id still unknown makes
 * the tree walked again. cgroup2 ids are 64-bit kernfs ids, never reused
 * within a boot, and cgroup2 directories cannot be renamed, so what an id
 * named stays true, also once the cgroup is gone.
 *
 * One table per daemon, kept here (the main loop is its only user), made by
 * cgroup_names_open(); without one (no cgroup2 mounted) events carry no
 * cgroup fields.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cgroup_info {
	uint64_t id;
	struct cgroup_info *next;		 /* hash chain */
	const char *path;			 /* NULL: gone before it could be resolved */
	const char *unit, *slice, *container_id; /* NULL: none */
	size_t json_len;
	const char *json; /* ,"cgroup":"...","cgroup_id":N[,"unit":..][,"slice":..][,"container_id":..] */
	char data[];
};

/* The mount point of the cgroup2 hierarchy's root in mountinfo text (as
 * /proc/self/mountinfo has it), unescaped, in @buf; -ENOENT when none. */
int cgroup2_mount_from_mountinfo(const char *mountinfo, char *buf, size_t size);

/* Finds the cgroup2 mount in /proc/self/mountinfo (@mountinfo_path: another
 * file, for tests; NULL for that) and makes the table. -ENOENT: no cgroup2
 * mounted (said once by the caller). */
int cgroup_names_open(const char *mountinfo_path);
void cgroup_names_close(void);
/* Whether a table exists: cgroup fields are shown. */
bool cgroup_names_enabled(void);
/* The mount point of cgroup2, NULL without a table. */
const char *cgroup_names_mount(void);

/* What the kernel said when it made cgroup @id at @path (from the hierarchy's
 * root): known before anything looks it up, even once the cgroup is gone. */
void cgroup_names_add(uint64_t id, const char *path);

/* Calls @fn for every cgroup2 cgroup there is now, read from the tree (not
 * the table), parents before children; -ENOENT without a table. */
int cgroup_names_walk(void (*fn)(uint64_t id, const char *path, void *userdata), void *userdata);

/* What @id names; NULL when there is no table or no memory. */
const struct cgroup_info *cgroup_names_lookup(uint64_t id);
/* The path of cgroup @id, or NULL; an id from a caller (a subscription's
 * cgroup_ids), so an unknown one is not remembered: callers cannot grow
 * the table. */
const char *cgroup_names_path(uint64_t id);

struct cgroup_names_stats {
	uint64_t entries;
	uint64_t resolved;   /* ids found by a walk on a miss */
	uint64_t unresolved; /* ids whose cgroup was gone already */
	uint64_t scans;	     /* walks of the whole tree on a miss */
};
struct cgroup_names_stats cgroup_names_stats(void);
