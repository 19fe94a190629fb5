// SPDX-License-Identifier: GPL-2.0-only
/*
 * The rendering microbenchmark: records of a fork+exec+exit storm with
 * privilege changes and io_uring requests among them, as the kernel sends
 * them (made here, with the sizes and strings of real ones), decoded and
 * rendered through the daemon's one path to an output that writes nothing.
 * Prints nanoseconds and heap allocations per event; a measurement, not a
 * test. No root needed.
 *
 * Usage: render [ROUNDS] [--no-context]   (each round: 5 processes, 22 events)
 *   --no-context: records without the context fields (exec_id, cgroup, unit,
 *   namespaces), as /proc seeding leaves them: what those fields cost.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "context/cgroup-names.h"
#include "daemon.h"
#include "decode/iouringmon.h"
#include "decode/procmon-privilege.h"
#include "decode/procmon.h"

/* Heap allocations of the code under test, counted by linking with
 * --wrap=malloc,calloc,realloc (bench/meson.build). */
static unsigned long allocations;
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

void *__wrap_malloc(size_t size)
{
	allocations++;
	return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	allocations++;
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	allocations++;
	return __real_realloc(p, size);
}

struct sink {
	struct output output;
	uint64_t bytes;
};

static int sink_emit(struct output *o, const struct event *ev, struct rendered_event *rendered)
{
	((struct sink *)o)->bytes += rendered->len;
	return 0;
}

static void sink_free(struct output *o)
{
}

static const struct output_ops sink_ops = { .name = "sink", .emit = sink_emit, .free = sink_free };

#define MS 1000000ull

/* What the kernel sends of where tasks run: a real cgroup of this machine (a
 * unit's, when there is one), so that it is resolved and parsed once, then
 * found in the cache, as in the daemon. */
static struct bombus_context context;
static bool with_context = true;

static void context_init(void)
{
	const char *mount = cgroup_names_mount();
	struct stat st;
	char path[4096];

	for (unsigned i = 0; i < BOMBUS_NS_MAX; i++)
		context.ns[i] = 4026531835u + i;
	context.vpid = 1;
	if (mount && (snprintf(path, sizeof(path), "%s/system.slice/cron.service", mount), stat(path, &st) == 0))
		context.cgroup_id = st.st_ino;
	else if (mount && stat(mount, &st) == 0)
		context.cgroup_id = st.st_ino;
}

static struct bombus_task task(uint32_t pid, uint32_t ppid, uint64_t start, uint64_t parent_start)
{
	return (struct bombus_task){ .pid = pid, .tid = pid, .ppid = ppid, .start_ns = start,
				     .parent_start_ns = parent_start,
				     .flags = with_context ? BOMBUS_TASK_FROM_KERNEL : 0,
				     .exec_seq = 7, .parent_exec_seq = 6,
				     .creds = { .uid = 1000, .euid = 1000, .gid = 1000, .egid = 1000, .auid = 1000 },
				     .context = context };
}

static size_t process_record(struct bombus_process_record *r, enum bombus_record_kind kind,
			     struct bombus_task t, uint32_t flags, const char *names, size_t names_len,
			     unsigned components, const char *argv, size_t argv_len)
{
	size_t size = offsetof(struct bombus_process_record, data);

	memset(r, 0, size);
	r->hdr.kind = kind;
	r->hdr.time_ns = t.start_ns;
	r->task = t;
	r->flags = flags;
	if (names) {
		r->flags |= BOMBUS_PROC_HAS_BINARY;
		memcpy(r->data, names, names_len);
		memcpy(r->data + names_len, argv, argv_len);
		r->path_bytes = names_len;
		r->path_components = components;
		r->args_bytes = argv_len;
		size += names_len + argv_len;
	}
	r->hdr.size = size;
	return size;
}

#define S(s) s, sizeof(s) - 1

int main(int argc, char *argv[])
{
	unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 20000;
	bool no_context = argc > 2 && strcmp(argv[2], "--no-context") == 0;
	static struct bombus_process_record r;
	struct bombus_privilege_record priv = { .hdr = { .kind = BOMBUS_RECORD_PRIVILEGE, .size = sizeof(priv) },
						.event = BOMBUS_PRIV_SETUID, .flags = 4 };
	struct bombus_iouring_record io = { .hdr = { .kind = BOMBUS_RECORD_IOURING },
					    .opcode = 18, .info = BOMBUS_IOURING_INFO_OPEN, .open_flags = 0100000 };
	size_t io_size = offsetof(struct bombus_iouring_record, data) + sizeof("/etc/passwd");
	struct iouring_opcodes names = { 0 };
	struct sink sink = { .output = { .ops = &sink_ops, .categories = CATEGORY_ALL } };
	struct bombus_task shell = task(100, 1, 10 * MS, MS);
	unsigned long events = 0, before = 0;
	struct timespec t0, t1;
	struct config config;
	struct daemon *d;
	uint32_t pid = 1000;
	double ns;

	config_init_defaults(&config);
	if (daemon_new(&config, &d) < 0 || daemon_add_output(d, &sink.output) < 0)
		return 1;
	with_context = !no_context;
	context_init();
	shell = task(100, 1, 10 * MS, MS);
	memcpy(io.data, "/etc/passwd", sizeof("/etc/passwd"));
	io.data_bytes = sizeof("/etc/passwd");
	io.hdr.size = io_size;
	/* the shell that runs everything */
	procmon_decode(d, &r, process_record(&r, BOMBUS_RECORD_EXEC, shell, 0, S("bash\0bin\0usr\0"), 3,
					     S("bash\0-c\0./build.sh --all\0")));

	/* one warm-up round, then the measured ones */
	for (unsigned round = 0; round <= rounds; round++) {
		if (round == 1) {
			events = 0;
			before = allocations;
			clock_gettime(CLOCK_MONOTONIC, &t0);
		}
		for (unsigned i = 0; i < 5; i++, pid = pid < 4000000 ? pid + 1 : 1000) {
			uint64_t start = (20 + (uint64_t)round * 5 + i) * MS;
			struct bombus_task child = task(pid, 100, start, 10 * MS);

			/* the shell forks (the kernel sends no strings: it has the shell's) */
			procmon_decode(d, &r, process_record(&r, BOMBUS_RECORD_CLONE, child,
							     BOMBUS_PROC_BINARY_OF_PARENT, NULL, 0, 0, NULL, 0));
			procmon_decode(d, &r, process_record(&r, BOMBUS_RECORD_EXEC, child, 0,
							     S("gcc-12\0bin\0usr\0"), 3,
							     S("gcc\0-O2\0-c\0daemon/decode/procmon.c\0-o\0procmon.o\0")));
			events += 2;
			if (i == 0) { /* a privilege change, before and after it */
				priv.task = child;
				priv.setid.id = priv.setid.eid = priv.setid.fsid = 0;
				privilege_decode(d, &priv, sizeof(priv));
				events++;
			}
			if (i < 3) { /* io_uring opens */
				io.task = child;
				iouring_decode(d, &names, &io, io_size);
				iouring_decode(d, &names, &io, io_size);
				events += 2;
			}
			procmon_decode(d, &r, process_record(&r, BOMBUS_RECORD_EXIT, child, 0, NULL, 0, 0, NULL, 0));
			events++;
		}
		process_cache_gc(d->processes, (30 + (uint64_t)round * 5) * MS + PROCESS_CACHE_EXITED_GRACE_NS);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("render: %lu events (%u rounds of 5 fork+exec+exit, 1 setuid, 6 io_uring openat), %s\n", events,
	       rounds, with_context ? "with context fields" : "without context fields");
	printf("  %.0f ns per event, %.2f heap allocations per event, %.0f bytes of JSON per event\n",
	       ns / (double)events, (double)(allocations - before) / (double)events,
	       (double)sink.bytes / (double)(d->counters.emitted + 1));
	printf("  emitted %llu, dropped in user %llu, cache misses %llu\n",
	       (unsigned long long)d->counters.emitted,
	       (unsigned long long)(d->counters.no_memory + d->counters.malformed),
	       (unsigned long long)d->counters.cache_misses);
	daemon_free(d);
	return 0;
}
