// SPDX-License-Identifier: GPL-2.0-only
#include <stdint.h>
#include <string.h>

#include "cgroup-path.h"

static const char *const unit_suffixes[] = {
	".service", ".socket", ".target", ".device", ".mount", ".automount",
	".swap",    ".timer",  ".path",	  ".slice",  ".scope",
};

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len > n && memcmp(s + len - n, suffix, n) == 0;
}

bool unit_name_valid(const char *name, size_t len, const char *suffix)
{
	bool typed = false;

	if (len == 0 || len >= CGROUP_NAME_MAX || name[0] == '.' || name[0] == '@')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@",
			    name[i]) ||
		    name[i] == '\0')
			return false;
	if (suffix)
		return ends_with(name, len, suffix);
	for (size_t i = 0; i < sizeof(unit_suffixes) / sizeof(unit_suffixes[0]); i++)
		typed = typed || ends_with(name, len, unit_suffixes[i]);
	return typed;
}

/* One component of a path: start and length. */
struct span {
	const char *s;
	size_t len;
};

static bool next_component(const char **cursor, struct span *out)
{
	const char *p = *cursor;

	while (*p == '/')
		p++;
	if (!*p)
		return false;
	out->s = p;
	while (*p && *p != '/')
		p++;
	out->len = (size_t)(p - out->s);
	*cursor = p;
	return true;
}

/* systemd prefixes cgroup names that could clash with the kernel's own
 * files with '_' (cg_escape()); the unit's name is without it. */
static struct span cg_unescape(struct span c)
{
	if (c.len > 1 && c.s[0] == '_')
		return (struct span){ c.s + 1, c.len - 1 };
	return c;
}

static void copy_span(char *dest, struct span c)
{
	size_t n = c.len < CGROUP_NAME_MAX - 1 ? c.len : CGROUP_NAME_MAX - 1;

	memcpy(dest, c.s, n);
	dest[n] = '\0';
}

static bool is_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr("0123456789abcdef", s[i]) || s[i] == '\0')
			return false;
	return len > 0;
}

/* "PREFIX<64 hex>SUFFIX": the hex id, or false. */
static bool hex_id_between(struct span c, const char *prefix, const char *suffix, struct span *id)
{
	size_t p = strlen(prefix), s = strlen(suffix);

	if (c.len != p + CONTAINER_HEX_ID_LEN + s || memcmp(c.s, prefix, p) != 0 ||
	    memcmp(c.s + c.len - s, suffix, s) != 0 || !is_hex(c.s + p, CONTAINER_HEX_ID_LEN))
		return false;
	*id = (struct span){ c.s + p, CONTAINER_HEX_ID_LEN };
	return true;
}

static unsigned hex_value(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

/* Unit-name escapes ("\x2d" for '-') undone: a machine's name. */
static void unescape_unit_part(char *dest, struct span c)
{
	size_t o = 0;

	for (size_t i = 0; i < c.len && o < CGROUP_NAME_MAX - 1; i++) {
		if (c.s[i] == '\\' && i + 3 < c.len && c.s[i + 1] == 'x' && is_hex(c.s + i + 2, 2) &&
		    (c.s[i + 2] != '0' || c.s[i + 3] != '0')) {
			dest[o++] = (char)(hex_value(c.s[i + 2]) << 4 | hex_value(c.s[i + 3]));
			i += 3;
		} else
			dest[o++] = c.s[i];
	}
	dest[o] = '\0';
}

bool container_id_valid(const char *id, size_t len)
{
	if (len == 0 || len > CONTAINER_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (id[i] == '/' || (unsigned char)id[i] < 0x20 || id[i] == 0x7f)
			return false;
	return true;
}

/* A name (an LXC container's, a machine's) as the container id, when it is
 * one that container_id_valid() accepts; else not a container. */
static bool copy_name(char *id, struct span name)
{
	if (!container_id_valid(name.s, name.len))
		return false;
	copy_span(id, name);
	return true;
}

static bool has_prefix(struct span c, const char *prefix)
{
	size_t n = strlen(prefix);

	return c.len > n && memcmp(c.s, prefix, n) == 0;
}

/*
 * The container a cgroup path component names, if any: @previous is the
 * component above it (NULL at the top).
 *   docker-ID.scope           Docker, systemd cgroup driver
 *   libpod-ID.scope           Podman (libpod-conmon-ID.scope is its monitor, no container);
 *   libpod-ID                 with its cgroupfs manager, below /libpod_parent
 *   cri-containerd-ID.scope   containerd's CRI plugin (Kubernetes), systemd driver
 *   crio-ID.scope, crio-ID    CRI-O (crio-conmon-ID.scope is its monitor), systemd and cgroupfs managers
 *   ID (64 hex digits)        the cgroupfs drivers: /docker/ID, /kubepods/besteffort/podUID/ID, ...
 *   lxc.payload.NAME          LXC 4 and later, LXD
 *   NAME below /lxc           older LXC
 *   machine-NAME.scope        systemd-nspawn (and other machined machines), NAME unescaped
 * A NAME is the id only when container_id_valid() accepts it (no '/' or
 * control character, which an escaped machine name could hold): what a
 * subscription's option containers may name is what this can give.
 */
static bool container_component(struct span c, const struct span *previous, char *id)
{
	struct span hex;

	if (hex_id_between(c, "docker-", ".scope", &hex) || hex_id_between(c, "libpod-", ".scope", &hex) ||
	    hex_id_between(c, "cri-containerd-", ".scope", &hex) ||
	    hex_id_between(c, "crio-", ".scope", &hex) || hex_id_between(c, "libpod-", "", &hex) ||
	    hex_id_between(c, "crio-", "", &hex) || hex_id_between(c, "", "", &hex)) {
		copy_span(id, hex);
		return true;
	}
	if (has_prefix(c, "lxc.payload."))
		return copy_name(
			id, (struct span){ c.s + strlen("lxc.payload."), c.len - strlen("lxc.payload.") });
	if (previous && previous->len == 3 && memcmp(previous->s, "lxc", 3) == 0)
		return copy_name(id, c);
	if (has_prefix(c, "machine-") && unit_name_valid(c.s, c.len, ".scope") &&
	    c.len > strlen("machine-") + strlen(".scope")) {
		char name[CGROUP_NAME_MAX];

		unescape_unit_part(name, (struct span){ c.s + strlen("machine-"),
							c.len - strlen("machine-") - strlen(".scope") });
		return copy_name(id, (struct span){ name, strlen(name) });
	}
	return false;
}

void cgroup_path_parse(const char *path, struct cgroup_path_info *ret)
{
	const char *cursor = path;
	struct span c, previous = { NULL, 0 };
	bool in_units = true, first = true;

	*ret = (struct cgroup_path_info){};
	while (next_component(&cursor, &c)) {
		struct span name = cg_unescape(c);

		/* systemd's cg_path_get_unit(): slices from the top, then the
		 * unit; what is below it (a unit's own sub-cgroups, user@.service's
		 * tree) does not change the unit. */
		if (in_units) {
			if (unit_name_valid(name.s, name.len, ".slice"))
				copy_span(ret->slice, name);
			else if (unit_name_valid(name.s, name.len, NULL)) {
				copy_span(ret->unit, name);
				/* a unit right below the root is in the root slice */
				if (first)
					strcpy(ret->slice, "-.slice");
				in_units = false;
			} else
				in_units = false;
		}
		/* the innermost container wins (one nested in another's tree) */
		container_component(c, previous.s ? &previous : NULL, ret->container_id);
		previous = c;
		first = false;
	}
}
