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

/* The longest container id: a cgroup name (NAME_MAX) is at most this. */
#define CONTAINER_ID_MAX (CGROUP_NAME_MAX - 1)
/* Digits of a runtime's hex container id (Docker, Podman, containerd, CRI-O). */
#define CONTAINER_HEX_ID_LEN 64

/* Whether @id (@len bytes) is a container id cgroup_path_parse() can give:
 * 1 to CONTAINER_ID_MAX bytes without '/' or an ASCII control character
 * (0x00-0x1f, 0x7f). The runtimes' hex ids, LXC/LXD container names and
 * machine names (unescaped) are such; the hex ids are CONTAINER_HEX_ID_LEN
 * lowercase hex digits. */
bool container_id_valid(const char *id, size_t len);

/* Fills @ret from @path; never fails (what is not recognised stays ""). */
void cgroup_path_parse(const char *path, struct cgroup_path_info *ret);
