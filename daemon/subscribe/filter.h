/* SPDX-License-Identifier: GPL-2.0-only */
/* What one subscription asks for, whichever API it came by: the options of
 * Subscribe (D-Bus a{sv}, Varlink parameters), read one value at a time and
 * checked here, and the test each event goes through for it. Each API reads
 * its own message format and hands the values to a struct filter_reader, so
 * the options mean the same and are refused with the same words on both. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define FILTER_MAX_NAMES     32 /* entries of option categories or types */
#define FILTER_MAX_UIDS	     256
#define FILTER_MAX_PREFIXES  64
#define FILTER_PREFIX_MAX    4096 /* bytes of one binary path prefix */
#define FILTER_MAX_CONTEXT   64	  /* entries of units, containers, cgroup_ids */
#define CONTAINER_PREFIX_MIN 12	  /* hex digits of a hex container id's prefix, as bombusctl shows */

struct subscription_filter {
	uint32_t categories; /* enum event_category bits, never 0 */
	uint32_t types;	     /* event type bits (category.h); 0: every type of the categories */
	uint32_t *uids;	     /* real uid of the process; none: any */
	size_t n_uids;
	char **prefixes; /* binary path prefixes, whole path components; none: any */
	size_t n_prefixes;
	bool batch;	  /* events in batches (every 50 ms or 256 events) */
	bool has_opcodes; /* io_uring_opcodes given: IOUringEvents of these only */
	struct opcode_set opcodes;
	/* Where the process runs (any of these matches); none: anywhere. */
	char **units; /* unit or slice names: its cgroup and everything below */
	size_t n_units;
	bool any_container; /* containers: true */
	/* container_id values (container_id_valid()); those of 12 to 63
	 * lowercase hex digits also match the 64-digit ids they begin */
	char **container_ids;
	size_t n_container_ids;
	char **cgroup_paths; /* the cgroup_ids given, as paths: that cgroup and below */
	size_t n_cgroup_paths;
};

/* The options Subscribe knows. */
enum subscription_option {
	OPTION_CATEGORIES,
	OPTION_TYPES,
	OPTION_UIDS,
	OPTION_BINARY_PATH_PREFIXES,
	OPTION_BATCH,
	OPTION_IO_URING_OPCODES,
	OPTION_UNITS,
	OPTION_CONTAINERS,
	OPTION_CGROUP_IDS,
	_OPTION_MAX,
};

/* The only kind of value each option takes. */
enum option_kind {
	OPTION_KIND_STRINGS, /* D-Bus "as", JSON array of strings */
	OPTION_KIND_UIDS,    /* D-Bus "au", JSON array of integers 0..2^32-1 */
	OPTION_KIND_BOOLEAN, /* D-Bus "b", JSON true or false */
	OPTION_KIND_IDS,     /* D-Bus "at", JSON array of integers 0..2^64-1 */
	/* D-Bus "b" or "as", JSON true, false or an array of strings */
	OPTION_KIND_BOOLEAN_OR_STRINGS,
};

struct option_info {
	const char *name;
	enum option_kind kind;
	size_t max; /* values of a list */
};

extern const struct option_info subscription_options[_OPTION_MAX];

struct iouring_opcodes;

/* Reading one Subscribe's options. Every step costs at most what the
 * options' bounds allow, whatever the message holds: a list is refused at
 * its first value past its bound, the options at their first unknown or
 * repeated name. Nothing is allocated unless a filter is being built. */
struct filter_reader {
	struct subscription_filter *f; /* NULL: check only */
	const struct iouring_opcodes *opcode_names;
	uint32_t categories, types, type_categories;
	bool seen[_OPTION_MAX];
	size_t n_values[_OPTION_MAX];
	bool has_opcodes;
	struct opcode_set opcodes;
	/* After -EINVAL: the option at fault (NULL: the options as a whole)
	 * and why, in words quoting the caller's text as valid UTF-8. */
	const char *bad_option;
	char error[512];
};

/* Reads into @f (cleared first) when given, else only checks. The option
 * io_uring_opcodes names opcodes from @opcode_names, the running kernel's
 * (NULL: io_uring is not monitored, the option is refused). */
void filter_reader_init(struct filter_reader *rd, struct subscription_filter *f,
			const struct iouring_opcodes *opcode_names);

/* The next option is called @name: its index, or -EINVAL when unknown or
 * given twice. */
int filter_reader_option(struct filter_reader *rd, const char *name, enum subscription_option *ret);
/* Values of the option: each fails with -EINVAL (the reason in @rd) or
 * -ENOMEM (bombusd's own failure). */
int filter_reader_string(struct filter_reader *rd, enum subscription_option option, const char *value);
/* A value of an OPTION_KIND_UIDS or OPTION_KIND_IDS option. */
int filter_reader_integer(struct filter_reader *rd, enum subscription_option option, uint64_t value);
int filter_reader_boolean(struct filter_reader *rd, enum subscription_option option, bool value);
/* Refuses the options for a reason found by the API's reader (a value of
 * the wrong type, a message that cannot be read): -EINVAL. */
int filter_reader_fail(struct filter_reader *rd, const char *option, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* After the last option: the checks between options. Fills in the filter;
 * on failure clears it. *@ret_categories (may be NULL): what the options
 * ask for, the polkit actions to check. */
int filter_reader_finish(struct filter_reader *rd, uint32_t *ret_categories);
/* Frees what a failed read built. */
void filter_reader_abandon(struct filter_reader *rd);

void subscription_filter_clear(struct subscription_filter *f);

/* Whether binary path @path is @prefix or lies under it: "/usr/bin" matches
 * "/usr/bin/ls" but not "/usr/binx"; "/" matches every absolute path. */
bool binary_path_has_prefix(const char *path, const char *prefix);

/* Adds what @f wants to @categories and @opcodes (every io_uring opcode
 * unless it chooses some). */
void subscription_filter_add_wanted(const struct subscription_filter *f, uint32_t *categories,
				    struct opcode_set *opcodes);

/* Whether @f chooses events by where the process runs (units, containers,
 * cgroup_ids): then the kernel may leave out what runs elsewhere. */
bool subscription_filter_by_context(const struct subscription_filter *f);

/* Whether the cgroup at @path (from the cgroup2 root; its container id
 * @container_id, NULL: none) is one @f watches. */
bool subscription_filter_match_cgroup(const struct subscription_filter *f, const char *path,
				      const char *container_id);

/* @type_bit: event_type_bit(ev->type), computed once per event. */
bool subscription_filter_match(const struct subscription_filter *f, const struct event *ev,
			       uint32_t type_bit);
