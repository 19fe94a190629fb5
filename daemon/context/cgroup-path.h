/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a cgroup2 path says about the processes in it: the systemd unit and
 * slice (as systemd's cgroup-util reads them), and the container, for the
 * runtimes whose cgroup names docs/events.md lists. Pure functions of the
 * path (relative to the hierarchy's root, "/system.slice/ssh.service").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Unit names are at most 255 bytes (systemd's UNIT_NAME_MAX - 1). */
#define CGROUP_NAME_MAX 256

struct cgroup_path_info {
	char unit[CGROUP_NAME_MAX];	    /* "": not in a unit */
	char slice[CGROUP_NAME_MAX];	    /* "": not in a systemd tree */
	char container_id[CGROUP_NAME_MAX]; /* "": not in a container */
};

/* Whether @name (of @len bytes) is a valid unit name with a unit type's
 * suffix; with @suffix, whether it ends in that one (".slice"). */
bool unit_name_valid(const char *name, size_t len, const char *suffix);

/* Fills @ret from @path; never fails (what is not recognised stays ""). */
void cgroup_path_parse(const char *path, struct cgroup_path_info *ret);
