// SPDX-License-Identifier: GPL-2.0-only
/*
 * dbus-fuzz: random and malformed D-Bus calls against a running bombusd
 * (org.bombus.Monitor1), while a root connection of its own checks that
 * bombusd keeps answering GetStatus within a bound.
 *
 * Workers, each a process with a connection of its own (root, or a user
 * that polkit refuses everything, or a user that polkit grants some
 * actions), send calls from a pseudo-random sequence derived from the seed:
 * every method and property of the interface, the standard interfaces
 * (Properties Get/GetAll/Set, Introspectable, Peer), unknown methods,
 * interfaces and paths, wrong signatures, wrong types in a{sv} variants,
 * unknown and duplicated keys, arrays at and past their bounds and up to
 * the bus's message size, very long strings, multi-byte and control
 * characters, format directives, file descriptors, Unsubscribe of paths
 * of other connections, GetProcess of random pids, callers that close
 * their connection right after sending, and raw messages the bus must
 * refuse (invalid UTF-8 in strings, bad object paths and signatures,
 * truncated bodies), marshalled by hand on a socket of their own.
 *
 * Meanwhile the parent calls GetStatus every --interval ms on its own root
 * connection. The run fails if a GetStatus takes longer than --max-latency
 * ms or fails, if bombusd exits, if bombusd's stderr (--log) shows a
 * sanitizer report, if a call gets no answer, if a refused user's call
 * succeeds, if an Unsubscribe of another connection's subscription or a
 * Properties.Set succeeds, or if bombusd keeps subscriptions or pending
 * authorizations of the fuzz connections after they closed.
 *
 * Sizes: an ordinary call has at most MESSAGE_BUDGET bytes of generated
 * strings and MESSAGE_ELEMENTS array elements (arrays at and past
 * bombusd's bounds fit); --huge-permille of the calls are a Subscribe as
 * large as --max-message (one array of prefixes, uids, names or bytes, or
 * one string of "é"s), each on a connection of its own. A GetStatus sent
 * while one is on its way is reported apart and held to
 * --max-latency-huge.
 *
 * Load: --rate paces the calls; the workers run at --nice so that what the
 * prober measures is bombusd and the bus, not the fuzzer's own CPU time.
 * Subscriptions get a prefix under the marker directory (unless
 * --host-events), whose program the parent runs --marker-rate times a
 * second: their events are the fuzzer's, not the machine's.
 *
 * The calls sent are a function of the seed, the worker layout and the
 * call count (--seconds may cut the run short); what bombusd answers, and
 * so which subscription paths are reused, depends on timing.
 *
 * Diagnosis (environment): DBUS_FUZZ_TRACE=FILE writes when each call was
 * sent (FILE.wN) and each GetStatus with bombusd's longest loop iteration
 * (FILE); DBUS_FUZZ_DEBUG=1 prints why a call was not built and dumps the
 * last calls when the bus drops a worker; with it, DBUS_FUZZ_DUMP="wN
 * SIZE" dumps the call of that trace line to /tmp/dbus-fuzz-dump.txt.
 *
 * Exit status: 0 passed, 1 failed, 2 usage or setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define BUS_NAME "org.bombus.Monitor1"
#define OBJECT	 "/org/bombus/Monitor1"
#define IFACE	 "org.bombus.Monitor1"
#define ERR	 "org.bombus.Monitor1.Error."

#define ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- what is counted ------------------------------------------------ */

enum method {
	M_SUBSCRIBE,
	M_UNSUBSCRIBE,
	M_GET_STATUS,
	M_GET_PROCESS,
	M_PROP_GET,
	M_PROP_GET_ALL,
	M_PROP_SET,
	M_INTROSPECT,
	M_PING,
	M_GET_MACHINE_ID,
	M_UNKNOWN_METHOD,
	M_UNKNOWN_INTERFACE,
	M_UNKNOWN_PATH,
	M_RAW,
	_M_MAX,
};

static const char *const method_names[_M_MAX] = {
	[M_SUBSCRIBE] = "Subscribe",
	[M_UNSUBSCRIBE] = "Unsubscribe",
	[M_GET_STATUS] = "GetStatus",
	[M_GET_PROCESS] = "GetProcess",
	[M_PROP_GET] = "Properties.Get",
	[M_PROP_GET_ALL] = "Properties.GetAll",
	[M_PROP_SET] = "Properties.Set",
	[M_INTROSPECT] = "Introspectable.Introspect",
	[M_PING] = "Peer.Ping",
	[M_GET_MACHINE_ID] = "Peer.GetMachineId",
	[M_UNKNOWN_METHOD] = "unknown method",
	[M_UNKNOWN_INTERFACE] = "unknown interface",
	[M_UNKNOWN_PATH] = "unknown path",
	[M_RAW] = "raw (hand-marshalled)",
};

/* Reply kinds that are not a reply of bombusd. */
#define KIND_OK		 "ok"
#define KIND_NO_REPLY	 "(sent without expecting a reply)"
#define KIND_CLOSED	 "(caller closed before the answer)"
#define KIND_BUS_REFUSED "(refused by the bus: disconnected)"
#define KIND_NOT_BUILT	 "(refused by sd-bus: not sent)"
#define KIND_UNANSWERED	 "(NO ANSWER)"

#define MAX_KINDS    64
#define MAX_FAILURES 8
#define SHARED_PATHS 64

enum role {
	ROLE_ROOT,
	ROLE_REFUSED, /* polkit refuses it everything */
	ROLE_GRANTED, /* polkit grants it some actions */
};

struct kind {
	char name[112];
	uint64_t by_method[_M_MAX];
};

/* One worker's counts, in memory shared with the parent. */
struct worker_stats {
	uint64_t sent[_M_MAX];
	uint64_t answered[_M_MAX]; /* on the worker's own connection */
	double answer_time[_M_MAX], answer_max[_M_MAX];
	uint64_t calls;
	uint64_t huge;
	uint64_t signals; /* Event, Events, Dropped of its subscriptions */
	unsigned n_kinds;
	bool kinds_full;
	struct kind kinds[MAX_KINDS];
	unsigned n_failures;
	char failures[MAX_FAILURES][240];
	bool done;
};

struct shared {
	unsigned huge_inflight; /* largest messages sent, not yet answered */
	uint64_t huge_started;
	uint64_t connections_opened; /* of their own, for one call */
	/* Subscription paths of all workers: others try to Unsubscribe them. */
	unsigned next_path;
	struct {
		unsigned seq;	/* odd while written */
		unsigned owner; /* worker */
		char path[64];
	} paths[SHARED_PATHS];
	struct worker_stats workers[];
};

/* ---- options -------------------------------------------------------- */

struct user {
	const char *name;
	enum role role;
};

static struct {
	const char *address;
	uint64_t seed;
	uint64_t calls;
	double seconds;
	unsigned root_workers;
	struct user users[8];
	unsigned n_users;
	pid_t pid;
	const char *log;
	double max_latency_ms;
	double max_latency_huge_ms; /* of a GetStatus behind a largest-size message */
	double rate;
	double interval_ms;
	double reply_timeout;
	unsigned window;
	unsigned huge_permille;
	size_t max_message;
	double baseline;
	double marker_rate;
	bool host_events;
	bool verbose;
	unsigned n_workers;
	int nice;
} opt = {
	.nice = 10,
	.baseline = 2,
	.marker_rate = 10,
	.seed = 0,
	.calls = 20000,
	.seconds = 0,
	.root_workers = 2,
	.max_latency_ms = 100,
	.interval_ms = 50,
	.reply_timeout = 20,
	.window = 8,
	.huge_permille = 2,
	.max_message = 0,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double started;
static FILE *trace; /* $DBUS_FUZZ_TRACE: what was sent when */

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "dbus-fuzz: %7.3f s: %s\n", now() - started, buf);
}

/* ---- the pseudo-random sequence ------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

struct rng {
	uint64_t s[4];
};

static void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * UINT64_C(0xd1b54a32d192ed03));

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t next64(struct rng *r)
{
	uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* 0 .. n-1 */
static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? next64(r) % n : 0;
}

static bool chance(struct rng *r, unsigned percent)
{
	return below(r, 100) < percent;
}

#define PICK(r, array) ((array)[below((r), ELEMENTS(array))])

/* ---- a worker ------------------------------------------------------- */

#define MAX_OWN 256

struct worker {
	unsigned id;
	enum role role;
	const char *user;
	uid_t uid;
	struct rng rng;
	sd_bus *bus;
	unsigned inflight;
	char own[MAX_OWN][64];
	unsigned n_own;
	struct worker_stats *st;
	struct shared *shared;
	int devnull;
	char *scratch; /* long strings are built here */
	size_t scratch_size;
	const char *last_sig;
	sd_bus_message *recent[4]; /* the last calls sent on the connection */
	unsigned n_recent;
	size_t budget;	 /* bytes of long strings left for the message being built */
	size_t elements; /* array elements left for it */
	unsigned fds;	 /* file descriptors left for it */
};

/* Bytes of generated strings in one message (besides the largest ones). */
#define MESSAGE_BUDGET	 (32u << 10)
#define MESSAGE_ELEMENTS 2000
/* dbus-daemon disconnects a sender of more (max_message_unix_fds) */
#define MESSAGE_FDS 16

static struct worker_stats *stats_of(struct shared *sh, unsigned i)
{
	return &sh->workers[i];
}

static void count(struct worker *w, enum method m, const char *kind)
{
	struct worker_stats *st = w->st;
	unsigned i;

	for (i = 0; i < st->n_kinds; i++)
		if (strcmp(st->kinds[i].name, kind) == 0)
			break;
	if (i == st->n_kinds) {
		if (st->n_kinds == MAX_KINDS) {
			st->kinds_full = true;
			i = MAX_KINDS - 1; /* the last one collects the rest */
		} else {
			snprintf(st->kinds[i].name, sizeof(st->kinds[i].name), "%s", kind);
			st->n_kinds++;
		}
	}
	st->kinds[i].by_method[m]++;
}

static void failure(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failure(struct worker *w, const char *fmt, ...)
{
	struct worker_stats *st = w->st;
	char buf[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	note("worker %u (%s): FAILURE: %s", w->id, w->user, buf);
	if (st->n_failures < MAX_FAILURES)
		snprintf(st->failures[st->n_failures], sizeof(st->failures[0]), "%s", buf);
	if (st->n_failures < UINT_MAX)
		st->n_failures++;
}

/* A buffer of at least @size bytes for strings, reused. */
static char *scratch(struct worker *w, size_t size)
{
	if (size > w->scratch_size) {
		char *p = realloc(w->scratch, size);

		if (!p) {
			fprintf(stderr, "dbus-fuzz: out of memory\n");
			exit(2);
		}
		w->scratch = p;
		w->scratch_size = size;
	}
	return w->scratch;
}

/* ---- values --------------------------------------------------------- */

static const char *const categories[] = { "process", "privilege", "io_uring",  "Process",  "PROCESS",
					  "",	     "all",	  "process\n", " process", "io-uring" };
static const char *const event_types[] = { "ProcessExec",  "ProcessClone", "ProcessExit", "ProcessEvent",
					   "IOUringEvent", "processexec",  "Exec",	  "" };
static const char *const opcodes[] = {
	"OPENAT",  "IORING_OP_OPENAT", "openat",	 "READ",    "NOP", "IORING_OP_NOP",
	"CONNECT", "IORING_OP_",       "IORING_OP_LAST", "OPENAT2", "",	   "255"
};
/* Prefixes under the marker directory (suffixes of it; what matches only
 * the fuzzer's own marker program), and ones bombusd must refuse. */
static const char *const prefix_suffixes[] = { "",  "/",  "//",	  "/true",	 "/true/",
					       "x", "/.", "/../", "/nonexistent" };
static const char *const bad_prefixes[] = { "usr/bin", "", ".", "true", "~/bin", "tmp/" };
/* Anywhere (--host-events): these see the machine's events. */
static const char *const host_prefixes[] = { "/",	  "/usr/bin", "/usr/bin/",	"//",
					     "/usr//bin", "/tmp",     "/proc/self/exe", "/usr/bin/true" };
static const char *const keys[] = { "categories",	    "types", "uids",
				    "binary_path_prefixes", "batch", "io_uring_opcodes" };
static const uint32_t interesting_u32[] = {
	0,	   1, 2, 100, 1000, 65534, 65535, 65536, INT32_MAX, (uint32_t)INT32_MAX + 1, UINT32_MAX - 1,
	UINT32_MAX
};

/* Characters to build strings of: ASCII, 2-, 3- and 4-byte UTF-8, control
 * characters, format directives, a valid but unusual code point. */
static const char *const pieces[] = { "a",	  "/",	  "é",	"€",  "𝄞",	   "\x01",
				      "\x1b[31m", "\x7f", "%s", "%n", "%.999999d", "\xc2\x85",
				      "'",	  "\"",	  "\\", " ",  "\n",	   "\xe2\x80\xae" };

/* A string that sd-bus will send as 's' (valid UTF-8, no NUL). Long ones
 * are built in the worker's scratch buffer: use before the next call. */
static const char *gen_text(struct worker *w, size_t max_len)
{
	struct rng *r = &w->rng;
	size_t len, n = 0;
	char *buf;

	/* mostly short; some at bombusd's limits (its quoting of 64, 128 and
	 * 200 bytes, prefixes of 4096); a few long (the largest are
	 * send_huge()'s) */
	switch (below(r, 100)) {
	case 0 ... 4:
		return "";
	case 5 ... 44:
		len = below(r, 16) + 1;
		break;
	case 45 ... 69:
		len = below(r, 64) + 1;
		break;
	case 70 ... 84:
		len = below(r, 300);
		break;
	case 85 ... 92: {
		static const size_t limits[] = { 63, 64, 127, 128, 199, 200, 4095, 4096 };

		len = PICK(r, limits) + below(r, 9) - 4;
		break;
	}
	case 93 ... 97:
		len = below(r, 8192);
		break;
	default:
		len = below(r, 65536);
		break;
	}
	if (len > max_len)
		len = max_len;
	if (len > w->budget)
		len = w->budget;
	w->budget -= len;
	buf = scratch(w, len + 8);
	if (chance(r, 30)) {
		/* one repeated piece: "é" × N cut anywhere is what broke replies */
		const char *p = PICK(r, pieces);
		size_t pl = strlen(p);

		while (n + pl <= len) {
			memcpy(buf + n, p, pl);
			n += pl;
		}
	} else {
		while (n < len) {
			const char *p = chance(r, 50) ? "a" : PICK(r, pieces);
			size_t pl = strlen(p);

			if (n + pl > len)
				break;
			memcpy(buf + n, p, pl);
			n += pl;
		}
	}
	buf[n] = '\0';
	return buf;
}

/* A name of bombusd's options and lists, or something near one. */
static const char *gen_name(struct worker *w, const char *const *names, size_t n_names)
{
	if (chance(&w->rng, 80))
		return names[below(&w->rng, n_names)];
	return gen_text(w, 1 << 20);
}

/* The directory of the marker program (a copy of /bin/true) that the
 * parent runs at --marker-rate: subscriptions of the fuzz see its events,
 * not the machine's (whose volume would measure the machine). */
static char marker_dir[64];

static const char *gen_prefix(struct worker *w, char *buf, size_t size)
{
	struct rng *r = &w->rng;
	size_t len;

	switch (below(r, 7)) {
	case 0:
	case 1:
		snprintf(buf, size, "%s%s", marker_dir, PICK(r, prefix_suffixes));
		return buf;
	case 2:
		if (opt.host_events && chance(r, 50))
			return PICK(r, host_prefixes);
		return PICK(r, bad_prefixes);
	case 3:
		/* a path near FILTER_PREFIX_MAX (4096), within the budget */
		len = 4096 + below(r, 5) - 2;
		if (len >= size)
			len = size - 1;
		if (len > w->budget) {
			snprintf(buf, size, "%s", marker_dir);
			return buf;
		}
		w->budget -= len;
		snprintf(buf, size, "%s/", marker_dir);
		memset(buf + strlen(buf), 'p', len - strlen(buf));
		buf[len] = '\0';
		return buf;
	default:
		snprintf(buf, size, "%s/%s", marker_dir, gen_text(w, size - strlen(marker_dir) - 2));
		return buf;
	}
}

static uint32_t gen_u32(struct worker *w)
{
	return chance(&w->rng, 60) ? PICK(&w->rng, interesting_u32) : (uint32_t)next64(&w->rng);
}

/* A length for a list bounded at @bound by bombusd: mostly small, often at
 * the bound, sometimes well past it. */
static size_t gen_len(struct worker *w, size_t bound)
{
	struct rng *r = &w->rng;
	size_t n;

	switch (below(r, 10)) {
	case 0:
		n = 0;
		break;
	case 1:
	case 2:
	case 3:
		n = 1;
		break;
	case 4:
	case 5:
		n = below(r, 6) + 2;
		break;
	case 6:
	case 7:
		n = bound + below(r, 3) - 1;
		break;
	case 8:
		n = below(r, bound * 2 + 2);
		break;
	default:
		n = below(r, 3000);
		break;
	}
	/* within the message's budget of elements */
	if (n > w->elements)
		n = w->elements;
	w->elements -= n;
	return n;
}

/* The length of the first complete type of @s. */
static size_t sig_one(const char *s)
{
	size_t n;
	int depth = 0;

	if (!*s)
		return 0;
	if (*s == 'a')
		return 1 + sig_one(s + 1);
	if (*s != '(' && *s != '{')
		return 1;
	for (n = 0; s[n]; n++) {
		if (s[n] == '(' || s[n] == '{')
			depth++;
		else if (s[n] == ')' || s[n] == '}')
			depth--;
		if (depth == 0)
			return n + 1;
	}
	return n;
}

static const char *const variant_types[] = { "s",  "as",    "au",    "b",   "u",       "i",	"t",
					     "ay", "a{sv}", "o",     "g",   "v",       "(ss)",	"ad",
					     "h",  "ab",    "aas",   "y",   "n",       "q",	"x",
					     "d",  "a{ss}", "a(ss)", "aau", "(a{sv})", "aa{sv}" };

static int gen_value(struct worker *w, sd_bus_message *m, const char *sig, size_t len, int depth);

/* The type of a variant's contents; a file descriptor only while the
 * message may have one more. */
static const char *variant_type(struct worker *w)
{
	const char *t = PICK(&w->rng, variant_types);

	return strcmp(t, "h") == 0 && w->fds == 0 ? "u" : t;
}

/* An array of elements of complete type @elem (of @elen characters). */
static int gen_array(struct worker *w, sd_bus_message *m, const char *elem, size_t elen, int depth)
{
	char contents[64];
	size_t n = gen_len(w, 64);
	int r;

	if (depth > 4)
		n = 0;
	else if (depth > 1 && n > 8)
		n = 8; /* gen_len() counted more: fine */
	if (elen >= sizeof(contents))
		return -EINVAL;
	memcpy(contents, elem, elen);
	contents[elen] = '\0';
	if (elen == 1 && strchr("ynqiuxtd", elem[0])) {
		/* fixed-size elements in one piece */
		size_t size = elem[0] == 'y' ? 1 : strchr("nq", elem[0]) ? 2 : strchr("iu", elem[0]) ? 4 : 8;
		char *buf = scratch(w, n * size + 1);

		for (size_t i = 0; i < n * size; i++)
			buf[i] = (char)next64(&w->rng);
		return sd_bus_message_append_array(m, elem[0], buf, n * size);
	}
	r = sd_bus_message_open_container(m, 'a', contents);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = gen_value(w, m, elem, elen, depth + 1);
	return r < 0 ? r : sd_bus_message_close_container(m);
}

/* A value of the complete type @sig (@len characters), any content. */
static int gen_value(struct worker *w, sd_bus_message *m, const char *sig, size_t len, int depth)
{
	struct rng *r = &w->rng;
	char contents[64];
	uint64_t u = next64(r);
	int ret;

	w->last_sig = sig;
	/* only at the top level (a variant's "h" was counted) */
	if (sig[0] == 'h' && w->fds == 0)
		sig = "u", len = 1;
	else if (sig[0] == 'h')
		w->fds--;
	switch (sig[0]) {
	case 'y':
	case 'n':
	case 'q':
	case 'i':
	case 'u':
	case 'x':
	case 't': {
		uint8_t y = (uint8_t)u;
		int16_t n16 = (int16_t)u;
		uint16_t q = (uint16_t)u;
		uint32_t u32 = gen_u32(w);
		int64_t x = (int64_t)u;
		void *p = sig[0] == 'y'		 ? (void *)&y
			  : sig[0] == 'n'	 ? (void *)&n16
			  : sig[0] == 'q'	 ? (void *)&q
			  : strchr("iu", sig[0]) ? (void *)&u32
						 : (void *)&x;

		return sd_bus_message_append_basic(m, sig[0], p);
	}
	case 'b': {
		int b = (int)(u & 1);

		return sd_bus_message_append_basic(m, 'b', &b);
	}
	case 'd': {
		static const double ds[] = { 0.0, -0.0, 1e308, -1e308, NAN, INFINITY, 5e-324 };
		double d = PICK(r, ds);

		return sd_bus_message_append_basic(m, 'd', &d);
	}
	case 's':
		return sd_bus_message_append_basic(m, 's', gen_text(w, 1 << 20));
	case 'o': {
		static const char *const paths[] = { "/", OBJECT, OBJECT "/subscription/1", "/org/bombus",
						     "/a/b/c_d" };

		return sd_bus_message_append_basic(m, 'o', PICK(r, paths));
	}
	case 'g': {
		static const char *const sigs[] = {
			"", "a{sv}", "s", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaay",
			"(((((((((((((((((((((((((((((((y)))))))))))))))))))))))))))))))"
		};

		return sd_bus_message_append_basic(m, 'g', PICK(r, sigs));
	}
	case 'h':
		return sd_bus_message_append_basic(m, 'h', &w->devnull);
	case 'v': {
		const char *inner = depth > 3 ? "s" : variant_type(w);

		ret = sd_bus_message_open_container(m, 'v', inner);
		if (ret >= 0)
			ret = gen_value(w, m, inner, strlen(inner), depth + 1);
		return ret < 0 ? ret : sd_bus_message_close_container(m);
	}
	case 'a':
		return gen_array(w, m, sig + 1, len - 1, depth);
	case '(':
	case '{':
		if (len < 2 || len - 2 >= sizeof(contents))
			return -EINVAL;
		memcpy(contents, sig + 1, len - 2);
		contents[len - 2] = '\0';
		ret = sd_bus_message_open_container(m, sig[0] == '(' ? 'r' : 'e', contents);
		for (const char *p = contents; ret >= 0 && *p; p += sig_one(p))
			ret = gen_value(w, m, p, sig_one(p), depth + 1);
		return ret < 0 ? ret : sd_bus_message_close_container(m);
	default:
		return -EINVAL;
	}
}

/* Arguments of signature @sig (any number of complete types), any content. */
static int gen_args(struct worker *w, sd_bus_message *m, const char *sig)
{
	int r = 0;

	for (const char *p = sig; r >= 0 && *p; p += sig_one(p))
		r = gen_value(w, m, p, sig_one(p), 0);
	return r;
}

/* An array of names ("as") of length @n. */
static int gen_names(struct worker *w, sd_bus_message *m, const char *const *names, size_t n_names, size_t n)
{
	int r = sd_bus_message_open_container(m, 'a', "s");

	for (size_t i = 0; r >= 0 && i < n; i++)
		r = sd_bus_message_append_basic(m, 's', gen_name(w, names, n_names));
	return r < 0 ? r : sd_bus_message_close_container(m);
}

/* The value of option @key, of the type bombusd wants. */
static int gen_option_value(struct worker *w, sd_bus_message *m, size_t key)
{
	char buf[4200];
	int r;

	switch (key) {
	case 0:
		r = sd_bus_message_open_container(m, 'v', "as");
		if (r >= 0)
			r = gen_names(w, m, categories, ELEMENTS(categories), gen_len(w, 32));
		break;
	case 1:
		r = sd_bus_message_open_container(m, 'v', "as");
		if (r >= 0)
			r = gen_names(w, m, event_types, ELEMENTS(event_types), gen_len(w, 32));
		break;
	case 2: {
		size_t n = gen_len(w, 256);
		uint32_t *uids = (uint32_t *)scratch(w, n * 4 + 4);

		for (size_t i = 0; i < n; i++)
			uids[i] = gen_u32(w);
		r = sd_bus_message_open_container(m, 'v', "au");
		if (r >= 0)
			r = sd_bus_message_append_array(m, 'u', uids, n * 4);
		break;
	}
	case 3: {
		size_t n = gen_len(w, 64);

		/* none is no filter: every event of the machine */
		if (n == 0 && !opt.host_events)
			n = 1;
		r = sd_bus_message_open_container(m, 'v', "as");
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'a', "s");
		for (size_t i = 0; r >= 0 && i < n; i++)
			r = sd_bus_message_append_basic(m, 's', gen_prefix(w, buf, sizeof(buf)));
		if (r >= 0)
			r = sd_bus_message_close_container(m);
		break;
	}
	case 4: {
		int b = (int)below(&w->rng, 2);

		r = sd_bus_message_open_container(m, 'v', "b");
		if (r >= 0)
			r = sd_bus_message_append_basic(m, 'b', &b);
		break;
	}
	default:
		r = sd_bus_message_open_container(m, 'v', "as");
		if (r >= 0)
			r = gen_names(w, m, opcodes, ELEMENTS(opcodes), gen_len(w, 256));
		break;
	}
	return r < 0 ? r : sd_bus_message_close_container(m);
}

/* Subscribe's a{sv}: known keys with values of the right type and any
 * content, values of the wrong type, unknown, empty, long and repeated
 * keys. */
static int gen_options(struct worker *w, sd_bus_message *m)
{
	struct rng *rg = &w->rng;
	size_t n, used[16];
	bool sane = chance(rg, 35); /* "categories": ["process"] first */
	bool prefixes_given = false;
	int r;

	n = chance(rg, 90) ? below(rg, 5) : below(rg, 16);
	r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0 && sane)
		r = sd_bus_message_append(m, "{sv}", "categories", "as", 1, "process");
	for (size_t i = 0; r >= 0 && i < n; i++) {
		size_t key = below(rg, ELEMENTS(keys));
		const char *name;

		if (i > 0 && chance(rg, 10))
			key = used[below(rg, i)]; /* repeated */
		used[i] = key;
		r = sd_bus_message_open_container(m, 'e', "sv");
		if (r < 0)
			break;
		switch (below(rg, 20)) {
		case 0:
			name = gen_text(w, 1 << 20); /* unknown, empty, very long */
			key = SIZE_MAX;
			break;
		case 1:
			name = "Categories";
			key = SIZE_MAX;
			break;
		default:
			name = keys[key];
			break;
		}
		r = sd_bus_message_append_basic(m, 's', name);
		if (r < 0)
			break;
		if (key == 3)
			prefixes_given = true;
		if (key == SIZE_MAX || chance(rg, 15)) {
			/* a value of any type */
			const char *t = variant_type(w);

			if (key == 3 && strcmp(t, "as") == 0) {
				/* of the right type: prefixes of ours */
				r = gen_option_value(w, m, key);
				if (r >= 0)
					r = sd_bus_message_close_container(m);
				continue;
			}
			r = sd_bus_message_open_container(m, 'v', t);
			if (r >= 0)
				r = gen_value(w, m, t, strlen(t), 1);
			if (r >= 0)
				r = sd_bus_message_close_container(m);
		} else {
			r = gen_option_value(w, m, key);
		}
		if (r >= 0)
			r = sd_bus_message_close_container(m);
	}
	/* Without a prefix, a subscription sees every event of the machine. */
	if (r >= 0 && !prefixes_given && !opt.host_events)
		r = sd_bus_message_append(m, "{sv}", "binary_path_prefixes", "as", 1, marker_dir);
	return r < 0 ? r : sd_bus_message_close_container(m);
}

/* ---- calls ---------------------------------------------------------- */

struct call {
	struct worker *w;
	enum method method;
	bool foreign; /* Unsubscribe of a path this connection does not own */
	bool must_fail;
	double sent_at;
	char path[64]; /* Unsubscribe: own path */
};

static const char *error_kind(const sd_bus_error *e)
{
	return e && e->name ? e->name : "(error without a name)";
}

/* An answer the caller should never get, whatever it sent. */
static void oracle(struct worker *w, const struct call *c, const char *kind, const sd_bus_error *e)
{
	bool ok = strcmp(kind, KIND_OK) == 0;

	if (strcmp(kind, SD_BUS_ERROR_NO_REPLY) == 0 || strcmp(kind, SD_BUS_ERROR_TIMEOUT) == 0)
		failure(w, "%s got no answer within %.0f s: %s: %s", method_names[c->method],
			opt.reply_timeout, kind, e && e->message ? e->message : "");
	if (!ok)
		return;
	if (w->role == ROLE_REFUSED &&
	    (c->method == M_SUBSCRIBE || c->method == M_GET_STATUS || c->method == M_GET_PROCESS))
		failure(w, "%s succeeded for %s, whom polkit refuses everything", method_names[c->method],
			w->user);
	if (c->foreign)
		failure(w, "Unsubscribe of another connection's subscription %s succeeded", c->path);
	if (c->must_fail)
		failure(w, "%s succeeded where it must fail", method_names[c->method]);
}

static void own_add(struct worker *w, const char *path)
{
	struct shared *sh = w->shared;
	unsigned i = __atomic_fetch_add(&sh->next_path, 1, __ATOMIC_RELAXED) % SHARED_PATHS;

	/* Kept, or else never shown to the others: a path it owns that it
	 * does not know of would be taken for another's. */
	if (w->n_own == MAX_OWN)
		return;
	snprintf(w->own[w->n_own++], sizeof(w->own[0]), "%s", path);
	__atomic_add_fetch(&sh->paths[i].seq, 1, __ATOMIC_ACQ_REL);
	sh->paths[i].owner = w->id;
	snprintf(sh->paths[i].path, sizeof(sh->paths[i].path), "%s", path);
	__atomic_add_fetch(&sh->paths[i].seq, 1, __ATOMIC_ACQ_REL);
}

static void own_remove(struct worker *w, const char *path)
{
	for (unsigned i = 0; i < w->n_own; i++)
		if (strcmp(w->own[i], path) == 0) {
			memcpy(w->own[i], w->own[--w->n_own], sizeof(w->own[0]));
			return;
		}
}

static bool owns(struct worker *w, const char *path)
{
	for (unsigned i = 0; i < w->n_own; i++)
		if (strcmp(w->own[i], path) == 0)
			return true;
	return false;
}

/* A subscription path of another worker, copied whole, or false. */
static bool foreign_path(struct worker *w, unsigned i, char path[static 64])
{
	struct shared *sh = w->shared;
	unsigned seq = __atomic_load_n(&sh->paths[i].seq, __ATOMIC_ACQUIRE), owner;

	if (seq % 2)
		return false;
	owner = sh->paths[i].owner;
	memcpy(path, sh->paths[i].path, 64);
	path[63] = '\0';
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&sh->paths[i].seq, __ATOMIC_ACQUIRE) != seq)
		return false;
	return path[0] && owner != w->id && !owns(w, path);
}

static void on_answer(struct worker *w, struct call *c, sd_bus_message *reply)
{
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	const char *kind = e ? error_kind(e) : KIND_OK;
	const char *path;
	double dt = now() - c->sent_at;

	w->st->answered[c->method]++;
	w->st->answer_time[c->method] += dt;
	if (dt > w->st->answer_max[c->method])
		w->st->answer_max[c->method] = dt;
	if (strcmp(kind, SD_BUS_ERROR_NO_REPLY) == 0 || strcmp(kind, SD_BUS_ERROR_TIMEOUT) == 0)
		count(w, c->method, KIND_UNANSWERED);
	else
		count(w, c->method, kind);
	oracle(w, c, kind, e);
	if (!e && c->method == M_SUBSCRIBE && sd_bus_message_read(reply, "o", &path) > 0)
		own_add(w, path);
	if (!e && c->method == M_UNSUBSCRIBE && !c->foreign)
		own_remove(w, c->path);
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct call *c = userdata;

	on_answer(c->w, c, reply);
	c->w->inflight--;
	free(c);
	return 0;
}

static sd_bus *connect_bus(bool must)
{
	sd_bus *bus = NULL;
	int r;

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, opt.address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_negotiate_fds(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		if (must) {
			fprintf(stderr, "dbus-fuzz: cannot connect to %s: %s\n", opt.address, strerror(-r));
			exit(2);
		}
		sd_bus_unref(bus);
		return NULL;
	}
	return bus;
}

/* What a call is: its method, and the message built for it. */
static int build_call(struct worker *w, sd_bus *bus, struct call *c, sd_bus_message **ret)
{
	struct rng *r = &w->rng;
	sd_bus_message *m = NULL;
	unsigned weight = (unsigned)below(r, 100);
	bool wrong_sig = chance(r, 15);
	const char *path = OBJECT, *iface = IFACE, *member;
	int ret_ = 0;

	static const char *const wrong_sigs[] = { "",  "s",	  "u",	    "a{ss}", "a{sv}a{sv}", "as",
						  "v", "(a{sv})", "o",	    "i",     "t",	   "ay",
						  "h", "aa{sv}",  "a{sv}s", "uu" };

	if (weight < 30)
		c->method = M_SUBSCRIBE;
	else if (weight < 40)
		c->method = M_UNSUBSCRIBE;
	else if (weight < 48)
		c->method = M_GET_STATUS;
	else if (weight < 60)
		c->method = M_GET_PROCESS;
	else if (weight < 65)
		c->method = M_PROP_GET;
	else if (weight < 68)
		c->method = M_PROP_GET_ALL;
	else if (weight < 72)
		c->method = M_PROP_SET;
	else if (weight < 77)
		c->method = M_INTROSPECT;
	else if (weight < 81)
		c->method = M_PING;
	else if (weight < 83)
		c->method = M_GET_MACHINE_ID;
	else if (weight < 89)
		c->method = M_UNKNOWN_METHOD;
	else if (weight < 94)
		c->method = M_UNKNOWN_INTERFACE;
	else
		c->method = M_UNKNOWN_PATH;

	switch (c->method) {
	case M_SUBSCRIBE:
		member = "Subscribe";
		break;
	case M_UNSUBSCRIBE:
		member = "Unsubscribe";
		break;
	case M_GET_STATUS:
		member = "GetStatus";
		break;
	case M_GET_PROCESS:
		member = "GetProcess";
		break;
	case M_PROP_GET:
		iface = "org.freedesktop.DBus.Properties", member = "Get";
		break;
	case M_PROP_GET_ALL:
		iface = "org.freedesktop.DBus.Properties", member = "GetAll";
		break;
	case M_PROP_SET:
		iface = "org.freedesktop.DBus.Properties", member = "Set";
		c->must_fail = true; /* Version is read-only */
		break;
	case M_INTROSPECT:
		iface = "org.freedesktop.DBus.Introspectable", member = "Introspect";
		if (chance(r, 30)) {
			static const char *const paths[] = { "/", "/org", "/org/bombus",
							     OBJECT "/subscription",
							     OBJECT "/subscription/1" };
			path = PICK(r, paths);
		}
		break;
	case M_PING:
		iface = "org.freedesktop.DBus.Peer", member = "Ping";
		break;
	case M_GET_MACHINE_ID:
		iface = "org.freedesktop.DBus.Peer", member = "GetMachineId";
		break;
	case M_UNKNOWN_METHOD: {
		static const char *const members[] = { "Subscribe2",   "subscribe",    "GetStatuses",
						       "Event",	       "Dropped",      "Version",
						       "GetProcesses", "Unsubscribe_", "X" };
		member = PICK(r, members);
		c->must_fail = true;
		break;
	}
	case M_UNKNOWN_INTERFACE: {
		static const char *const ifaces[] = { "org.bombus.Monitor2",
						      "org.bombus.Monitor1.Error",
						      "org.freedesktop.DBus",
						      "org.freedesktop.DBus.ObjectManager",
						      "org.freedesktop.DBus.Monitoring",
						      "a.b" };
		static const char *const members[] = { "Subscribe",	"GetStatus", "GetManagedObjects",
						       "BecomeMonitor", "Hello",     "ListNames" };
		iface = PICK(r, ifaces);
		member = PICK(r, members);
		c->must_fail = true;
		break;
	}
	default: {
		static const char *const paths[] = { "/",
						     "/org/bombus/Monitor",
						     "/org/bombus/Monitor1/x",
						     "/org/bombus/Monitor1/subscription/1/a",
						     "/org/freedesktop/DBus",
						     "/org/bombus/Monitor11" };
		static const char *const members[] = { "Subscribe", "GetStatus", "GetProcess",
						       "Get",	    "GetAll",	 "Introspect" };
		path = PICK(r, paths);
		member = PICK(r, members);
		if (chance(r, 50))
			iface = NULL;
		c->must_fail = strcmp(member, "Introspect") != 0;
		break;
	}
	}
	/* The interface may be left out of a method call: dispatched by member. */
	if (c->method <= M_GET_PROCESS && chance(r, 5))
		iface = NULL;
	w->budget = MESSAGE_BUDGET;
	w->elements = MESSAGE_ELEMENTS;
	w->fds = MESSAGE_FDS;
	ret_ = sd_bus_message_new_method_call(bus, &m, BUS_NAME, path, iface, member);
	if (ret_ < 0)
		return ret_;
	if (chance(r, 8))
		sd_bus_message_set_allow_interactive_authorization(m, 1);
	if (chance(r, 3))
		sd_bus_message_set_auto_start(m, 0);

	if (wrong_sig || c->method >= M_UNKNOWN_METHOD) {
		ret_ = gen_args(w, m, PICK(r, wrong_sigs));
		goto done;
	}
	switch (c->method) {
	case M_SUBSCRIBE:
		ret_ = gen_options(w, m);
		break;
	case M_UNSUBSCRIBE: {
		/* as many draws whatever the branch: the sequence does not
		 * depend on which subscriptions exist */
		unsigned k = (unsigned)below(r, 10), i = (unsigned)below(r, SHARED_PATHS);
		uint64_t id = below(r, 2000), half_len = below(r, 2050);
		char buf[4200], other[64];
		const char *p;

		if (k < 4 && w->n_own) {
			p = w->own[i % w->n_own];
		} else if (k < 7 && foreign_path(w, i, other)) {
			/* another worker's: never to be removed by this one */
			p = other;
			c->foreign = true;
		} else if (k < 9) {
			snprintf(buf, sizeof(buf), OBJECT "/subscription/%" PRIu64, id);
			p = buf;
		} else {
			size_t len = (half_len + 1) * 2; /* "/a/a…/a" */

			for (size_t j = 0; j < len; j++)
				buf[j] = j % 2 ? 'a' : '/';
			buf[len] = '\0';
			p = len ? buf : "/";
		}
		snprintf(c->path, sizeof(c->path), "%.63s", p);
		ret_ = sd_bus_message_append_basic(m, 'o', p);
		break;
	}
	case M_GET_STATUS:
		break;
	case M_GET_PROCESS: {
		uint32_t pid;

		switch (below(r, 5)) {
		case 0:
			pid = (uint32_t)getpid();
			break;
		case 1:
			pid = opt.pid ? (uint32_t)opt.pid : 1;
			break;
		case 2:
			pid = (uint32_t)below(r, 4096);
			break;
		default:
			pid = gen_u32(w);
			break;
		}
		ret_ = sd_bus_message_append_basic(m, 'u', &pid);
		break;
	}
	case M_PROP_GET:
	case M_PROP_SET: {
		static const char *const ifaces[] = { IFACE, IFACE, "", "org.bombus.Monitor2",
						      "org.freedesktop.DBus.Properties" };
		static const char *const props[] = {
			"Version", "Version", "version", "", "Subscribe", "Foo"
		};

		ret_ = sd_bus_message_append(m, "ss", chance(r, 10) ? gen_text(w, 1 << 16) : PICK(r, ifaces),
					     PICK(r, props));
		if (ret_ >= 0 && c->method == M_PROP_SET) {
			const char *t = chance(r, 50) ? "s" : variant_type(w);

			ret_ = sd_bus_message_open_container(m, 'v', t);
			if (ret_ >= 0)
				ret_ = gen_value(w, m, t, strlen(t), 1);
			if (ret_ >= 0)
				ret_ = sd_bus_message_close_container(m);
		}
		break;
	}
	case M_PROP_GET_ALL: {
		static const char *const ifaces[] = { IFACE, "", "org.freedesktop.DBus.Peer", "x" };

		ret_ = sd_bus_message_append_basic(m, 's', PICK(r, ifaces));
		break;
	}
	default:
		break;
	}
done:
	if (ret_ < 0) {
		sd_bus_message_unref(m);
		return ret_;
	}
	*ret = m;
	return 0;
}

/* Sends one call on the worker's connection, answered asynchronously. */
static void send_call(struct worker *w)
{
	struct rng rng_before;
	struct call *c = calloc(1, sizeof(*c));
	sd_bus_message *m = NULL;
	bool no_reply;
	int r;

	if (!c)
		exit(2);
	c->w = w;
	rng_before = w->rng;
	r = build_call(w, w->bus, c, &m);
	if (trace)
		fprintf(trace, "%.6f w%u %s %zu\n", now(), w->id, method_names[c->method],
			(MESSAGE_BUDGET - w->budget) + (MESSAGE_ELEMENTS - w->elements) * 8);
	no_reply = chance(&w->rng, 5);
	w->st->sent[c->method]++;
	if (r < 0) {
		count(w, c->method, KIND_NOT_BUILT);
		if (getenv("DBUS_FUZZ_DEBUG"))
			note("not built: %s: %s: %s", method_names[c->method], strerror(-r), w->last_sig);
		free(c);
		return;
	}
	if (getenv("DBUS_FUZZ_DEBUG")) {
		/* the same message again, sealed to be dumped */
		struct rng saved = w->rng;
		struct call c2 = { .w = w };
		sd_bus_message *copy = NULL;

		w->rng = rng_before;
		int rb = build_call(w, w->bus, &c2, &copy),
		    rs = rb >= 0 ? sd_bus_message_seal(copy, 1, 0) : 0;

		if (rb >= 0 && rs >= 0) {
			char me[64];

			snprintf(me, sizeof(me), "w%u %zu", w->id,
				 (MESSAGE_BUDGET - w->budget) + (MESSAGE_ELEMENTS - w->elements) * 8);
			if (getenv("DBUS_FUZZ_DUMP") && strcmp(getenv("DBUS_FUZZ_DUMP"), me) == 0) {
				FILE *f = fopen("/tmp/dbus-fuzz-dump.txt", "we");

				if (f) {
					sd_bus_message_dump(copy, f, SD_BUS_MESSAGE_DUMP_WITH_HEADER);
					fclose(f);
				}
			}
			sd_bus_message_unref(w->recent[w->n_recent % 4]);
			w->recent[w->n_recent++ % 4] = copy;
		} else {
			sd_bus_message_unref(copy);
		}
		w->rng = saved;
	}
	if (no_reply) {
		sd_bus_message_set_expect_reply(m, 0);
		r = sd_bus_send(w->bus, m, NULL);
		count(w, c->method, r < 0 ? KIND_NOT_BUILT : KIND_NO_REPLY);
		free(c);
	} else {
		c->sent_at = now();
		r = sd_bus_call_async(w->bus, NULL, m, on_reply, c, (uint64_t)(opt.reply_timeout * 1e6));
		if (r < 0 && getenv("DBUS_FUZZ_DEBUG")) {
			for (unsigned i = 0; i < 4 && i < w->n_recent; i++) {
				note("worker %u: sent %u calls before:", w->id, i);
				sd_bus_message_dump(w->recent[(w->n_recent - 1 - i) % 4], stderr, 0);
			}
			exit(1);
		}
		if (r < 0) {
			count(w, c->method, KIND_NOT_BUILT);
			if (r != -EINVAL && r != -E2BIG && r != -ENOBUFS)
				failure(w, "cannot send %s: %s", method_names[c->method], strerror(-r));
			free(c);
		} else {
			w->inflight++;
		}
	}
	sd_bus_message_unref(m);
}

/* A connection of its own that sends one call and closes at once. */
static void send_and_close(struct worker *w)
{
	struct call c = { .w = w };
	sd_bus_message *m = NULL;
	sd_bus *bus = connect_bus(false);
	int r;

	if (trace)
		fprintf(trace, "%.6f w%u close-after-send\n", now(), w->id);
	__atomic_add_fetch(&w->shared->connections_opened, 1, __ATOMIC_RELAXED);
	if (!bus) {
		failure(w, "cannot open a connection to the bus");
		return;
	}
	r = build_call(w, bus, &c, &m);
	w->st->sent[c.method]++;
	if (r >= 0)
		r = sd_bus_send(bus, m, NULL);
	if (r >= 0)
		r = sd_bus_flush(bus);
	count(w, c.method, r < 0 ? KIND_NOT_BUILT : KIND_CLOSED);
	sd_bus_message_unref(m);
	sd_bus_close(bus);
	sd_bus_unref(bus);
}

/* ---- the largest messages the bus takes ----------------------------- */

/* Subscribe with one array as large as @max bytes allow: prefixes, uids,
 * names, bytes, an unknown key's value, one very long key or prefix; on a
 * connection of its own (a message past the bus's limit costs the sender
 * its connection), waited for. */
static void send_huge(struct worker *w)
{
	static const char *const what[] = {
		"binary_path_prefixes", "uids", "categories", "types", "ay", "key", "prefix", "unknown-as",
		"io_uring_opcodes"
	};
	struct rng *r = &w->rng;
	const char *kind_of = PICK(r, what);
	/* up to the limit, or just below it */
	size_t bytes = chance(r, 70) ? opt.max_message - 4096 : below(r, opt.max_message);
	size_t n;
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	struct call c = { .w = w, .method = M_SUBSCRIBE, .must_fail = true };
	sd_bus *bus = connect_bus(false);
	const char *kind;
	double t0;
	int ret;

	w->st->sent[M_SUBSCRIBE]++;
	w->st->huge++;
	__atomic_add_fetch(&w->shared->connections_opened, 1, __ATOMIC_RELAXED);
	if (!bus) {
		failure(w, "cannot open a connection to the bus");
		return;
	}
	ret = sd_bus_message_new_method_call(bus, &m, BUS_NAME, OBJECT, IFACE, "Subscribe");
	if (ret >= 0)
		ret = sd_bus_message_open_container(m, 'a', "{sv}");
	if (ret >= 0 && strcmp(kind_of, "categories") != 0)
		ret = sd_bus_message_append(m, "{sv}", "categories", "as", 1, "process");
	if (ret >= 0 && strcmp(kind_of, "uids") == 0) {
		uint32_t *uids;

		n = bytes / 4;
		uids = (uint32_t *)scratch(w, n * 4 + 4);
		for (size_t i = 0; i < n; i++)
			uids[i] = (uint32_t)i;
		ret = sd_bus_message_open_container(m, 'e', "sv");
		if (ret >= 0)
			ret = sd_bus_message_append_basic(m, 's', "uids");
		if (ret >= 0)
			ret = sd_bus_message_open_container(m, 'v', "au");
		if (ret >= 0)
			ret = sd_bus_message_append_array(m, 'u', uids, n * 4);
		if (ret >= 0)
			ret = sd_bus_message_close_container(m);
		if (ret >= 0)
			ret = sd_bus_message_close_container(m);
	} else if (ret >= 0 && strcmp(kind_of, "ay") == 0) {
		char *buf = scratch(w, bytes + 1);

		n = bytes;
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)(0x80 | (i & 0x7f)); /* no valid UTF-8 at all */
		ret = sd_bus_message_open_container(m, 'e', "sv");
		if (ret >= 0)
			ret = sd_bus_message_append_basic(m, 's', "binary_path_prefixes");
		if (ret >= 0)
			ret = sd_bus_message_open_container(m, 'v', "ay");
		if (ret >= 0)
			ret = sd_bus_message_append_array(m, 'y', buf, n);
		if (ret >= 0)
			ret = sd_bus_message_close_container(m);
		if (ret >= 0)
			ret = sd_bus_message_close_container(m);
	} else if (ret >= 0 && (strcmp(kind_of, "key") == 0 || strcmp(kind_of, "prefix") == 0)) {
		/* one string: "é" × N, a cut of which is no valid UTF-8 */
		char *buf = scratch(w, bytes + 2);

		n = bytes / 2 * 2;
		buf[0] = '/';
		for (size_t i = 1; i + 1 < n; i += 2)
			memcpy(buf + i, "é", 2);
		buf[n > 0 ? n - 1 : 0] = '\0';
		if (strcmp(kind_of, "key") == 0)
			ret = sd_bus_message_append(m, "{sv}", buf + 1, "b", 1);
		else
			ret = sd_bus_message_append(m, "{sv}", "binary_path_prefixes", "as", 1, buf);
	} else if (ret >= 0) {
		/* arrays of short strings: 8 bytes each on the wire */
		const char *key = strcmp(kind_of, "unknown-as") == 0 ? "unknown_option" : kind_of;
		const char *elem = strcmp(kind_of, "binary_path_prefixes") == 0 ? "/a"
				   : strcmp(kind_of, "categories") == 0		? "io"
				   : strcmp(kind_of, "types") == 0		? "Pe"
				   : strcmp(kind_of, "io_uring_opcodes") == 0	? "NOP"
										: "xy";

		n = bytes / 8;
		ret = sd_bus_message_open_container(m, 'e', "sv");
		if (ret >= 0)
			ret = sd_bus_message_append_basic(m, 's', key);
		if (ret >= 0)
			ret = sd_bus_message_open_container(m, 'v', "as");
		if (ret >= 0)
			ret = sd_bus_message_open_container(m, 'a', "s");
		for (size_t i = 0; ret >= 0 && i < n; i++)
			ret = sd_bus_message_append_basic(m, 's', elem);
		if (ret >= 0)
			ret = sd_bus_message_close_container(m);
		if (ret >= 0)
			ret = sd_bus_message_close_container(m);
		if (ret >= 0)
			ret = sd_bus_message_close_container(m);
	}
	if (ret >= 0)
		ret = sd_bus_message_close_container(m);
	if (ret < 0) {
		count(w, M_SUBSCRIBE, KIND_NOT_BUILT);
		if (opt.verbose)
			note("worker %u: huge Subscribe (%s, %zu bytes) not built: %s", w->id, kind_of, bytes,
			     strerror(-ret));
		goto out;
	}
	t0 = now();
	__atomic_add_fetch(&w->shared->huge_inflight, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&w->shared->huge_started, 1, __ATOMIC_RELAXED);
	ret = sd_bus_call(bus, m, (uint64_t)(opt.reply_timeout * 1e6), &error, &reply);
	__atomic_sub_fetch(&w->shared->huge_inflight, 1, __ATOMIC_RELAXED);
	if (ret >= 0)
		kind = KIND_OK;
	else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_NO_REPLY) && !sd_bus_is_open(bus))
		kind = KIND_BUS_REFUSED; /* the bus closed the connection */
	else if (!error.name && (ret == -ECONNRESET || ret == -ENOTCONN || ret == -EPIPE))
		kind = KIND_BUS_REFUSED;
	else
		kind = error.name ? error.name : "(error without a name)";
	count(w, M_SUBSCRIBE, strcmp(kind, SD_BUS_ERROR_TIMEOUT) == 0 ? KIND_UNANSWERED : kind);
	oracle(w, &c, kind, &error);
	if (opt.verbose)
		note("worker %u (%s): huge Subscribe: %s, %zu bytes: %s in %.0f ms%s%s", w->id, w->user,
		     kind_of, bytes, kind, (now() - t0) * 1e3, error.message ? ": " : "",
		     error.message ? error.message : "");
out:
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	sd_bus_message_unref(m);
	sd_bus_close(bus);
	sd_bus_unref(bus);
}

/* ---- raw messages: what sd-bus would not send ----------------------- */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
};

static void w_bytes(struct wbuf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2 + 64;
		uint8_t *q = realloc(b->p, cap);

		if (!q)
			exit(2);
		b->p = q, b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void w_byte(struct wbuf *b, uint8_t v)
{
	w_bytes(b, &v, 1);
}

static void w_align(struct wbuf *b, size_t a)
{
	while (b->len % a)
		w_byte(b, 0);
}

static void w_u32(struct wbuf *b, uint32_t v)
{
	w_align(b, 4);
	w_bytes(b, &v, 4); /* little-endian machine, 'l' messages */
}

/* 's' or 'o': any bytes, @n of them */
static void w_str(struct wbuf *b, const char *s, size_t n)
{
	w_u32(b, (uint32_t)n);
	w_bytes(b, s, n);
	w_byte(b, 0);
}

static void w_sig(struct wbuf *b, const char *s, size_t n)
{
	w_byte(b, (uint8_t)n);
	w_bytes(b, s, n);
	w_byte(b, 0);
}

static void w_field_str(struct wbuf *b, uint8_t code, char type, const char *s, size_t n)
{
	char t[2] = { type, 0 };

	w_align(b, 8);
	w_byte(b, code);
	w_sig(b, t, 1);
	if (type == 'g')
		w_sig(b, s, n);
	else
		w_str(b, s, n);
}

/* A method call with any header strings (NULL: field left out) and body. */
static void raw_call(struct wbuf *out, uint32_t serial, const char *path, const char *iface,
		     const char *member, const char *dest, const char *sig, const struct wbuf *body,
		     uint32_t body_len)
{
	size_t fields_at;

	w_byte(out, 'l');
	w_byte(out, 1); /* method call */
	w_byte(out, 0);
	w_byte(out, 1);
	w_u32(out, body_len);
	w_u32(out, serial);
	w_u32(out, 0); /* fields' length, below */
	fields_at = out->len;
	if (path)
		w_field_str(out, 1, 'o', path, strlen(path));
	if (iface)
		w_field_str(out, 2, 's', iface, strlen(iface));
	if (member)
		w_field_str(out, 3, 's', member, strlen(member));
	if (dest)
		w_field_str(out, 6, 's', dest, strlen(dest));
	if (sig)
		w_field_str(out, 8, 'g', sig, strlen(sig));
	{
		uint32_t n = (uint32_t)(out->len - fields_at);

		memcpy(out->p + 12, &n, 4);
	}
	w_align(out, 8);
	if (body)
		w_bytes(out, body->p, body->len);
}

static int raw_connect(struct worker *w)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = (time_t)opt.reply_timeout };
	const char *p = strstr(opt.address, "unix:path=");
	char line[256], uid[32];
	size_t n = 0;
	int fd;

	if (!p)
		return -EAFNOSUPPORT;
	p += strlen("unix:path=");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.*s", (int)strcspn(p, ","), p);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	snprintf(uid, sizeof(uid), "%u", (unsigned)w->uid);
	n = (size_t)snprintf(line, sizeof(line), "%cAUTH EXTERNAL ", 0);
	for (const char *q = uid; *q; q++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x", (unsigned char)*q);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\r\n");
	if (write(fd, line, n) != (ssize_t)n)
		goto fail;
	/* "OK <guid>\r\n" */
	n = 0;
	while (n < sizeof(line) - 1) {
		ssize_t k = read(fd, line + n, 1);

		if (k <= 0)
			goto fail;
		if (line[n++] == '\n')
			break;
	}
	if (strncmp(line, "OK ", 3) != 0)
		goto fail;
	if (write(fd, "BEGIN\r\n", 7) != 7)
		goto fail;
	return fd;
fail:
	close(fd);
	return -EIO;
}

static uint32_t rd32(const uint8_t *p, bool big)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return big ? __builtin_bswap32(v) : v;
}

/* Reads messages until the answer to @serial (its error name, or "ok" in
 * @kind) or until the bus closes the connection. */
static int raw_answer(int fd, uint32_t serial, char *kind, size_t size)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int ret = -ETIMEDOUT;

	for (;;) {
		/* one whole message in buf? */
		while (len >= 16) {
			bool big = buf[0] == 'B';
			uint32_t body = rd32(buf + 4, big), fields = rd32(buf + 12, big);
			size_t total = 16 + ((fields + 7) & ~(size_t)7) + body;
			uint32_t reply_serial = 0;
			const char *error = NULL;

			if (len < total)
				break;
			for (size_t off = 16; off < 16 + fields;) {
				uint8_t code, slen;
				char type;

				off = (off + 7) & ~(size_t)7;
				if (off + 3 > 16 + fields)
					break;
				code = buf[off];
				slen = buf[off + 1];
				type = slen == 1 ? (char)buf[off + 2] : 0;
				off += 2 + slen + 1;
				if (type == 'u') {
					off = (off + 3) & ~(size_t)3;
					if (code == 5)
						reply_serial = rd32(buf + off, big);
					off += 4;
				} else if (type == 's' || type == 'o') {
					off = (off + 3) & ~(size_t)3;
					if (code == 4)
						error = (const char *)buf + off + 4;
					off += 4 + rd32(buf + off, big) + 1;
				} else if (type == 'g') {
					off += 1 + buf[off] + 1;
				} else {
					break;
				}
			}
			if (reply_serial == serial && (buf[1] == 2 || buf[1] == 3)) {
				snprintf(kind, size, "%s", buf[1] == 2 ? KIND_OK : error ? error : "(error)");
				free(buf);
				return 0;
			}
			memmove(buf, buf + total, len - total);
			len -= total;
		}
		if (cap - len < 65536) {
			uint8_t *q = realloc(buf, cap + 65536);

			if (!q)
				exit(2);
			buf = q, cap += 65536;
		}
		ssize_t k = read(fd, buf + len, cap - len);

		if (k == 0 || (k < 0 && (errno == ECONNRESET || errno == EPIPE))) {
			snprintf(kind, size, "%s", KIND_BUS_REFUSED);
			ret = 0;
			break;
		}
		if (k < 0)
			break;
		len += (size_t)k;
	}
	free(buf);
	return ret;
}

/* One raw call, by the kind of fault it has. */
static void send_raw(struct worker *w)
{
	struct rng *r = &w->rng;
	struct wbuf msg = { 0 }, body = { 0 }, hello = { 0 };
	const char *path = OBJECT, *iface = IFACE, *member = "GetStatus", *sig = NULL;
	uint32_t body_len;
	char kind[128], label[160];
	const char *fault;
	size_t entry;
	int fd;

	static const char *const bad_utf8[] = { "\xc3\x28",	    "\xff",
						"\xc0\x80",	    "\xed\xa0\x80",
						"\xf4\x90\x80\x80", "/usr/bin/\xe9",
						"\xe2\x82" };
	static const char *const bad_paths[] = { "", "org", "//", "/a/", "/a//b", "/a-b", "/é", "/a.b" };
	static const char *const bad_sigs[] = { "a{", "((", "z", "a", "{sv}", "a{vs}", "(", ")" };

	switch (below(r, 12)) {
	case 0:
		fault = "valid GetStatus (control)";
		break;
	case 11: /* valid for the bus (D-Bus allows noncharacters), not for sd-bus */
		fault = "a noncharacter (U+FFFE, U+FFFF, U+FDD0) in a category";
		member = "Subscribe", sig = "a{sv}";
		w_u32(&body, 0);
		w_align(&body, 8);
		entry = body.len;
		w_str(&body, "categories", 10);
		w_sig(&body, "as", 2);
		{
			static const char *const nonchars[] = { "\xef\xbf\xbf", "\xef\xbf\xbe",
								"process\xef\xb7\x90", "\xf4\x8f\xbf\xbf" };
			const char *k = PICK(r, nonchars);
			size_t at;

			w_u32(&body, 0);
			at = body.len;
			w_str(&body, k, strlen(k));
			uint32_t n = (uint32_t)(body.len - at);

			memcpy(body.p + at - 4, &n, 4);
		}
		{
			uint32_t n = (uint32_t)(body.len - entry);

			memcpy(body.p, &n, 4);
		}
		break;
	case 1: /* Subscribe({key: <true>}) with a key of invalid UTF-8 */
		fault = "invalid UTF-8 in an option key";
		member = "Subscribe", sig = "a{sv}";
		w_u32(&body, 0);
		w_align(&body, 8);
		entry = body.len;
		{
			const char *k = PICK(r, bad_utf8);

			w_str(&body, k, strlen(k));
		}
		w_sig(&body, "b", 1);
		w_u32(&body, 1);
		{
			uint32_t n = (uint32_t)(body.len - entry);

			memcpy(body.p, &n, 4);
		}
		break;
	case 2: /* Subscribe({"categories": <["<invalid>"]>}) */
		fault = "invalid UTF-8 in a category";
		member = "Subscribe", sig = "a{sv}";
		w_u32(&body, 0);
		w_align(&body, 8);
		entry = body.len;
		w_str(&body, "categories", 10);
		w_sig(&body, "as", 2);
		{
			const char *k = PICK(r, bad_utf8);
			size_t at;

			w_u32(&body, 0);
			at = body.len;
			w_str(&body, k, strlen(k));
			uint32_t n = (uint32_t)(body.len - at);

			memcpy(body.p + at - 4, &n, 4);
		}
		{
			uint32_t n = (uint32_t)(body.len - entry);

			memcpy(body.p, &n, 4);
		}
		break;
	case 3: /* Unsubscribe(o) of a syntactically wrong path */
		fault = "invalid object path argument";
		member = "Unsubscribe", sig = "o";
		{
			const char *p = PICK(r, bad_paths);

			w_str(&body, p, strlen(p));
		}
		break;
	case 4: /* Subscribe({"batch": <sig "bad">}) */
		fault = "invalid variant signature";
		member = "Subscribe", sig = "a{sv}";
		w_u32(&body, 0);
		w_align(&body, 8);
		entry = body.len;
		w_str(&body, "batch", 5);
		{
			const char *s = PICK(r, bad_sigs);

			w_sig(&body, s, strlen(s));
		}
		w_u32(&body, 1);
		{
			uint32_t n = (uint32_t)(body.len - entry);

			memcpy(body.p, &n, 4);
		}
		break;
	case 5: /* header path invalid */
		fault = "invalid object path in the header";
		path = PICK(r, bad_paths);
		break;
	case 6: /* member or interface invalid */
		fault = "invalid member or interface name";
		if (chance(r, 50))
			member = PICK(r, ((const char *const[]){ "1abc", "a.b", "", "Get-Status", "\xff" }));
		else
			iface = PICK(r, ((const char *const[]){ "nodot", ".a.b", "a..b", "org.bombus.1x",
								"a.\xc3\x28" }));
		break;
	case 7: /* GetProcess(u) with no body */
		fault = "body shorter than its signature";
		member = "GetProcess", sig = "u";
		break;
	case 8: /* Properties.Get(ss) with invalid UTF-8 */
		fault = "invalid UTF-8 in Properties.Get";
		iface = "org.freedesktop.DBus.Properties", member = "Get", sig = "ss";
		w_str(&body, IFACE, strlen(IFACE));
		{
			const char *k = PICK(r, bad_utf8);

			w_str(&body, k, strlen(k));
		}
		break;
	case 9: /* a string with no NUL where its length says */
		fault = "string without its terminating NUL";
		member = "Unsubscribe", sig = "o";
		w_u32(&body, 2);
		w_bytes(&body, "/ab", 3);
		break;
	default: /* a method call without a member */
		fault = "method call without a member";
		member = NULL;
		break;
	}
	body_len = (uint32_t)body.len;
	raw_call(&hello, 1, "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", "org.freedesktop.DBus",
		 NULL, NULL, 0);
	raw_call(&msg, 2, path, iface, member, BUS_NAME, sig, &body, body_len);
	w->st->sent[M_RAW]++;
	snprintf(label, sizeof(label), "raw: %s", fault);
	__atomic_add_fetch(&w->shared->connections_opened, 1, __ATOMIC_RELAXED);
	fd = raw_connect(w);
	if (fd < 0) {
		failure(w, "raw connection: cannot authenticate: %s", strerror(-fd));
	} else if (write(fd, hello.p, hello.len) != (ssize_t)hello.len ||
		   write(fd, msg.p, msg.len) != (ssize_t)msg.len) {
		count(w, M_RAW, KIND_BUS_REFUSED);
	} else if (raw_answer(fd, 2, kind, sizeof(kind)) < 0) {
		count(w, M_RAW, KIND_UNANSWERED);
		failure(w, "%s: no answer and no disconnection within %.0f s", label, opt.reply_timeout);
	} else {
		count(w, M_RAW, kind);
		/* The control must pass the bus; the faulty ones must not. */
		if (strcmp(fault, "valid GetStatus (control)") == 0 && strcmp(kind, KIND_BUS_REFUSED) == 0)
			failure(w, "%s was refused by the bus: the hand-marshalling is wrong", label);
		if (strcmp(fault, "valid GetStatus (control)") != 0 && strcmp(kind, KIND_OK) == 0)
			failure(w, "%s was answered with success", label);
		if (w->role == ROLE_REFUSED && strcmp(kind, KIND_OK) == 0)
			failure(w, "%s succeeded for %s, whom polkit refuses everything", label, w->user);
	}
	if (fd >= 0)
		close(fd);
	free(msg.p);
	free(body.p);
	free(hello.p);
}

/* ---- the worker's loop ---------------------------------------------- */

static void drop_privileges(struct worker *w)
{
	struct passwd *pw;

	if (!w->user || w->role == ROLE_ROOT)
		return;
	pw = getpwnam(w->user);
	if (!pw) {
		fprintf(stderr, "dbus-fuzz: no user %s\n", w->user);
		exit(2);
	}
	if (initgroups(w->user, pw->pw_gid) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		fprintf(stderr, "dbus-fuzz: cannot become %s: %m\n", w->user);
		exit(2);
	}
	w->uid = pw->pw_uid;
}

/* Dispatches what arrived: answers, signals of subscriptions, bombusd's
 * flow-control pings (answered by sd-bus). */
static void pump(struct worker *w)
{
	int r;

	do {
		r = sd_bus_process(w->bus, NULL);
		if (r < 0) {
			failure(w, "connection lost: %s", strerror(-r));
			exit(1);
		}
	} while (r > 0);
}

/* Until fewer than @max calls are in flight, or @until. */
static void wait_inflight(struct worker *w, unsigned max, double until)
{
	for (;;) {
		double left = until - now();

		pump(w);
		if (w->inflight < max || left <= 0)
			return;
		sd_bus_wait(w->bus, (uint64_t)((left < 0.1 ? left : 0.1) * 1e6));
	}
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct worker *w = userdata;

	if (sd_bus_message_is_signal(m, IFACE, NULL))
		w->st->signals++;
	return 0;
}

static void worker_run(struct worker *w, uint64_t calls, double deadline)
{
	uint64_t sent = 0;
	double drain_until, next;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The fuzzer's own work (building messages) is not bombusd's: it
	 * yields the CPU to bombusd, the bus and the GetStatus prober. */
	if (opt.nice)
		setpriority(PRIO_PROCESS, 0, opt.nice);
	drop_privileges(w);
	w->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	w->bus = connect_bus(true);
	sd_bus_add_filter(w->bus, NULL, on_signal, w);
	if (getenv("DBUS_FUZZ_TRACE")) {
		char path[256];

		snprintf(path, sizeof(path), "%s.w%u", getenv("DBUS_FUZZ_TRACE"), w->id);
		trace = fopen(path, "we");
	}
	next = now();
	while (sent < calls && (deadline == 0 || now() < deadline)) {
		unsigned what = (unsigned)below(&w->rng, 1000);

		if (opt.rate > 0) {
			/* this worker's share of the rate */
			next += opt.n_workers / opt.rate;
			for (double left; (left = next - now()) > 0;) {
				pump(w);
				sd_bus_wait(w->bus, (uint64_t)(left * 1e6) + 1);
			}
			if (now() - next > 1)
				next = now(); /* no burst after a stall */
		}

		if (what < opt.huge_permille && opt.max_message)
			send_huge(w);
		else if (what < 40)
			send_and_close(w);
		else if (what < 60)
			send_raw(w);
		else
			send_call(w);
		w->st->calls = ++sent;
		wait_inflight(w, opt.window, INFINITY);
	}
	/* every call is answered, or times out */
	drain_until = now() + opt.reply_timeout + 5;
	wait_inflight(w, 1, drain_until);
	if (w->inflight > 0)
		failure(w, "%u calls still unanswered after %.0f s", w->inflight, opt.reply_timeout + 5);
	sd_bus_flush_close_unref(w->bus);
	if (trace)
		fclose(trace);
	w->st->done = true;
	exit(0);
}

/* ---- the parent: GetStatus, bombusd's health ------------------------ */

struct status {
	uint64_t longest_iteration;
	uint32_t subscribers, pending;
	bool has_longest;
};

static int read_status(sd_bus_message *reply, struct status *s)
{
	int r;

	*s = (struct status){ 0 };
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *key;

		r = sd_bus_message_read(reply, "s", &key);
		if (r < 0)
			break;
		if (strcmp(key, "longest_loop_iteration_usec") == 0) {
			r = sd_bus_message_read(reply, "v", "t", &s->longest_iteration);
			s->has_longest = true;
		} else if (strcmp(key, "subscribers") == 0) {
			r = sd_bus_message_read(reply, "v", "u", &s->subscribers);
		} else if (strcmp(key, "authorizations_pending") == 0) {
			r = sd_bus_message_read(reply, "v", "u", &s->pending);
		} else {
			r = sd_bus_message_skip(reply, "v");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	return r < 0 ? r : 0;
}

/* GetStatus on the probe connection: its round trip, or a negative time. */
static double probe(sd_bus *bus, struct status *s, char *err, size_t size)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	double t0 = now(), t;
	int r;

	sd_bus_message *m = NULL;

	r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, OBJECT, IFACE, "GetStatus");
	if (r >= 0)
		r = sd_bus_call(bus, m, (uint64_t)(opt.reply_timeout * 1e6), &error, &reply);
	t = now() - t0;
	sd_bus_message_unref(m);
	if (r >= 0)
		r = read_status(reply, s);
	if (r < 0)
		snprintf(err, size, "%s: %s", error.name ? error.name : strerror(-r),
			 error.message ? error.message : "");
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	return r < 0 ? -t : t;
}

static long vm_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The start time of @pid (field 22 of its stat): 0 if gone or a zombie. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], state;
	unsigned long long t = 0;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%c", &state) != 1 || state == 'Z' || state == 'X')
		return 0;
	/* after ") ": state is field 3; starttime is field 22 */
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		sscanf(p, "%llu", &t);
	return t;
}

static const char *const sanitizer_markers[] = { "ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer",
						 "UndefinedBehaviorSanitizer", "ERROR: ThreadSanitizer" };

/* New text of bombusd's log since @offset: whether it has a sanitizer
 * report, and where it starts (@at). */
static bool scan_log(off_t *offset, off_t *at)
{
	static char carry[256];
	static size_t keep;
	char buf[sizeof(carry) + 65536];
	ssize_t n;
	int fd;

	if (!opt.log)
		return false;
	fd = open(opt.log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while ((n = pread(fd, buf + keep, 65536, *offset)) > 0) {
		size_t total = keep + (size_t)n;

		memcpy(buf, carry, keep);
		for (size_t i = 0; i < ELEMENTS(sanitizer_markers); i++) {
			const char *hit =
				memmem(buf, total, sanitizer_markers[i], strlen(sanitizer_markers[i]));

			if (hit) {
				/* from the start of its line */
				while (hit > buf && hit[-1] != '\n')
					hit--;
				*at = *offset - (off_t)keep + (hit - buf);
				close(fd);
				return true;
			}
		}
		*offset += n;
		keep = total < 200 ? total : 200;
		memcpy(carry, buf + total - keep, keep);
	}
	close(fd);
	return false;
}

static void print_report(off_t at)
{
	char buf[6001];
	ssize_t n;
	int fd = open(opt.log, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = pread(fd, buf, sizeof(buf) - 1, at);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		printf("sanitizer report in %s:\n%s\n", opt.log, buf);
	}
}

static pid_t pid_of(sd_bus *bus, const char *name)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	uint32_t pid = 0;
	int r;

	r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
			       "GetConnectionUnixProcessID", &error, &reply, "s", name);
	if (r >= 0)
		r = sd_bus_message_read(reply, "u", &pid);
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	return r < 0 ? 0 : (pid_t)pid;
}

static pid_t find_bombusd(sd_bus *bus)
{
	return pid_of(bus, BUS_NAME);
}

/* CPU seconds @pid has used (user + system), or -1. */
static double cpu_seconds(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long utime, stime;
	FILE *f;
	char *p;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return -1;
	/* fields 14 and 15; field 3 follows ") " */
	p += 2;
	for (field = 3; field < 14 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || sscanf(p, "%llu %llu", &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* Milliseconds the threads of @pid have waited on a run queue for a CPU
 * (schedstat's run_delay), or 0. */
static double run_delay_ms(pid_t pid)
{
	char path[64];
	double total = 0;
	DIR *d;
	struct dirent *de;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char file[128];
		unsigned long long run, delay;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "/proc/%d/task/%.20s/schedstat", (int)pid, de->d_name);
		f = fopen(file, "re");
		if (!f)
			continue;
		if (fscanf(f, "%llu %llu", &run, &delay) == 2)
			total += (double)delay / 1e6;
		fclose(f);
	}
	closedir(d);
	return total;
}

/* Microseconds that some task waited for a CPU, since boot (PSI), or -1. */
static long long cpu_stall_usec(void)
{
	char line[256];
	long long total = -1;
	FILE *f = fopen("/proc/pressure/cpu", "re");

	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "total=");

		if (p)
			total = atoll(p + 6);
	}
	fclose(f);
	return total;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char marker_path[96];

/* A copy of /bin/true in a directory of its own, for the parent's marker
 * runs. */
static int marker_setup(void)
{
	char buf[65536];
	ssize_t n;
	int in, out;

	snprintf(marker_dir, sizeof(marker_dir), "/tmp/dbus-fuzz-XXXXXX");
	if (!mkdtemp(marker_dir) || chmod(marker_dir, 0755) < 0)
		return -errno;
	snprintf(marker_path, sizeof(marker_path), "%s/true", marker_dir);
	in = open("/bin/true", O_RDONLY | O_CLOEXEC);
	out = open(marker_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (in < 0 || out < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -EIO;
	close(in);
	close(out);
	return 0;
}

static pid_t parent_pid;

static void marker_cleanup(void)
{
	if (getpid() != parent_pid)
		return;
	if (marker_path[0])
		unlink(marker_path);
	if (marker_dir[0])
		rmdir(marker_dir);
}

/* Runs the marker --marker-rate times a second until killed. */
static void marker_run(void)
{
	double next = now();

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (opt.nice)
		setpriority(PRIO_PROCESS, 0, opt.nice);
	for (;;) {
		pid_t pid = fork();
		double wait;

		if (pid == 0) {
			execl(marker_path, marker_path, (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
		next += 1 / opt.marker_rate;
		wait = next - now();
		if (wait > 0) {
			struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };

			nanosleep(&ts, NULL);
		} else {
			next = now();
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: dbus-fuzz --address=ADDRESS [options]\n"
		   "Random and malformed D-Bus calls to org.bombus.Monitor1, while GetStatus is timed.\n\n"
		   "  --address=ADDR       the bus (default: $DBUS_SYSTEM_BUS_ADDRESS)\n"
		   "  --seed=N             of the call sequence (default: from the clock; printed)\n"
		   "  --calls=N            calls in all, shared by the workers (default 20000; 0: no bound)\n"
		   "  --seconds=S          stop sending after S seconds (default: no bound)\n"
		   "  --root-workers=N     root connections sending calls (default 2)\n"
		   "  --refused-user=USER  a connection as USER, whom polkit refuses everything: any\n"
		   "                       success of Subscribe, GetStatus or GetProcess fails the run\n"
		   "  --granted-user=USER  a connection as USER, whom polkit grants some actions\n"
		   "  --pid=PID            bombusd (default: the owner of " BUS_NAME ")\n"
		   "  --log=FILE           bombusd's stderr, watched for sanitizer reports\n"
		   "  --max-latency=MS     bound of each GetStatus round trip (default 100)\n"
		   "  --max-latency-huge=MS  bound of one sent while a largest-size message was in\n"
		   "                       flight (default: --max-latency)\n"
		   "  --rate=N             calls per second in all (default 0: as fast as they go)\n"
		   "  --nice=N             niceness of the workers and the marker (default 10): their\n"
		   "                       own CPU time is not what GetStatus is to measure\n"
		   "  --interval=MS        between GetStatus calls (default 50)\n"
		   "  --reply-timeout=S    a call unanswered this long fails the run (default 20)\n"
		   "  --window=N           calls in flight per worker (default 8)\n"
		   "  --huge-permille=N    calls that are Subscribe with the largest message (default 2)\n"
		   "  --max-message=BYTES  size of those (default: 0, none)\n"
		   "  --baseline=S         GetStatus alone for S seconds first, to compare (default 2)\n"
		   "  --marker-rate=N      runs of the marker program per second (default 10): the\n"
		   "                       events that the fuzzer's subscriptions see\n"
		   "  --host-events        let subscriptions see every event of the machine (prefixes\n"
		   "                       such as / and none at all), whose volume is the machine's\n"
		   "  --verbose            each huge call, as it is answered\n");
}

static double parse_double(const char *s, const char *name)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || v < 0) {
		fprintf(stderr, "dbus-fuzz: bad %s: %s\n", name, s);
		exit(2);
	}
	return v;
}

static uint64_t parse_u64(const char *s, const char *name)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (*s == '\0' || *end != '\0' || errno || *s == '-') {
		fprintf(stderr, "dbus-fuzz: bad %s: %s\n", name, s);
		exit(2);
	}
	return v;
}

static void parse_args(int argc, char **argv)
{
	enum {
		O_ADDRESS = 256,
		O_SEED,
		O_CALLS,
		O_SECONDS,
		O_ROOT,
		O_REFUSED,
		O_GRANTED,
		O_PID,
		O_LOG,
		O_LATENCY,
		O_INTERVAL,
		O_TIMEOUT,
		O_WINDOW,
		O_HUGE,
		O_MAX_MESSAGE,
		O_BASELINE,
		O_MARKER_RATE,
		O_HOST_EVENTS,
		O_VERBOSE,
		O_LATENCY_HUGE,
		O_RATE,
		O_NICE,
		O_HELP
	};
	static const struct option longopts[] = {
		{ "address", required_argument, NULL, O_ADDRESS },
		{ "seed", required_argument, NULL, O_SEED },
		{ "calls", required_argument, NULL, O_CALLS },
		{ "seconds", required_argument, NULL, O_SECONDS },
		{ "root-workers", required_argument, NULL, O_ROOT },
		{ "refused-user", required_argument, NULL, O_REFUSED },
		{ "granted-user", required_argument, NULL, O_GRANTED },
		{ "pid", required_argument, NULL, O_PID },
		{ "log", required_argument, NULL, O_LOG },
		{ "max-latency", required_argument, NULL, O_LATENCY },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "reply-timeout", required_argument, NULL, O_TIMEOUT },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "huge-permille", required_argument, NULL, O_HUGE },
		{ "max-message", required_argument, NULL, O_MAX_MESSAGE },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "baseline", required_argument, NULL, O_BASELINE },
		{ "max-latency-huge", required_argument, NULL, O_LATENCY_HUGE },
		{ "rate", required_argument, NULL, O_RATE },
		{ "nice", required_argument, NULL, O_NICE },
		{ "marker-rate", required_argument, NULL, O_MARKER_RATE },
		{ "host-events", no_argument, NULL, O_HOST_EVENTS },
		{ "help", no_argument, NULL, O_HELP },
		{ 0 },
	};
	bool seeded = false;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_ADDRESS:
			opt.address = optarg;
			break;
		case O_SEED:
			opt.seed = parse_u64(optarg, "seed");
			seeded = true;
			break;
		case O_CALLS:
			opt.calls = parse_u64(optarg, "call count");
			break;
		case O_SECONDS:
			opt.seconds = parse_double(optarg, "seconds");
			break;
		case O_ROOT:
			opt.root_workers = (unsigned)parse_u64(optarg, "root workers");
			break;
		case O_REFUSED:
		case O_GRANTED:
			if (opt.n_users == ELEMENTS(opt.users)) {
				fprintf(stderr, "dbus-fuzz: too many users\n");
				exit(2);
			}
			opt.users[opt.n_users++] =
				(struct user){ optarg, c == O_REFUSED ? ROLE_REFUSED : ROLE_GRANTED };
			break;
		case O_PID:
			opt.pid = (pid_t)parse_u64(optarg, "pid");
			break;
		case O_LOG:
			opt.log = optarg;
			break;
		case O_LATENCY:
			opt.max_latency_ms = parse_double(optarg, "latency");
			break;
		case O_INTERVAL:
			opt.interval_ms = parse_double(optarg, "interval");
			break;
		case O_TIMEOUT:
			opt.reply_timeout = parse_double(optarg, "reply timeout");
			break;
		case O_WINDOW:
			opt.window = (unsigned)parse_u64(optarg, "window");
			break;
		case O_HUGE:
			opt.huge_permille = (unsigned)parse_u64(optarg, "huge permille");
			break;
		case O_MAX_MESSAGE:
			opt.max_message = (size_t)parse_u64(optarg, "max message");
			break;
		case O_VERBOSE:
			opt.verbose = true;
			break;
		case O_LATENCY_HUGE:
			opt.max_latency_huge_ms = parse_double(optarg, "latency");
			break;
		case O_NICE:
			opt.nice = (int)parse_u64(optarg, "nice");
			break;
		case O_RATE:
			opt.rate = parse_double(optarg, "rate");
			break;
		case O_BASELINE:
			opt.baseline = parse_double(optarg, "baseline");
			break;
		case O_MARKER_RATE:
			opt.marker_rate = parse_double(optarg, "marker rate");
			break;
		case O_HOST_EVENTS:
			opt.host_events = true;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(2);
	}
	if (!opt.address)
		opt.address = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	if (!opt.address) {
		fprintf(stderr, "dbus-fuzz: no --address and no $DBUS_SYSTEM_BUS_ADDRESS\n");
		exit(2);
	}
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^
			   ((uint64_t)getpid() << 32);
		opt.seed %= UINT64_C(10000000000000);
	}
	if (opt.calls == 0 && opt.seconds == 0) {
		fprintf(stderr, "dbus-fuzz: give --calls or --seconds\n");
		exit(2);
	}
	if (opt.max_message && opt.max_message < 8192) {
		fprintf(stderr, "dbus-fuzz: --max-message must be at least 8192\n");
		exit(2);
	}
	if (opt.window == 0)
		opt.window = 1;
	if (opt.max_latency_huge_ms < opt.max_latency_ms)
		opt.max_latency_huge_ms = opt.max_latency_ms;
	if (opt.interval_ms < 1)
		opt.interval_ms = 1;
}

struct totals {
	uint64_t sent[_M_MAX], answered[_M_MAX], calls, huge, failures, signals;
	double answer_time[_M_MAX], answer_max[_M_MAX];
	unsigned n_kinds;
	struct kind kinds[MAX_KINDS * 8];
};

static void add_kind(struct totals *t, const struct kind *k)
{
	unsigned i;

	for (i = 0; i < t->n_kinds; i++)
		if (strcmp(t->kinds[i].name, k->name) == 0)
			break;
	if (i == t->n_kinds) {
		if (t->n_kinds == ELEMENTS(t->kinds))
			return;
		snprintf(t->kinds[i].name, sizeof(t->kinds[i].name), "%s", k->name);
		t->n_kinds++;
	}
	for (int m = 0; m < _M_MAX; m++)
		t->kinds[i].by_method[m] += k->by_method[m];
}

static uint64_t kind_total(const struct kind *k)
{
	uint64_t n = 0;

	for (int m = 0; m < _M_MAX; m++)
		n += k->by_method[m];
	return n;
}

static int cmp_kind(const void *a, const void *b)
{
	uint64_t x = kind_total(a), y = kind_total(b);

	return x > y ? -1 : x < y;
}

static const char *short_kind(const char *name)
{
	if (strncmp(name, ERR, strlen(ERR)) == 0)
		return name + strlen(ERR);
	if (strncmp(name, "org.freedesktop.DBus.Error.", 27) == 0)
		return name + 27;
	return name;
}

int main(int argc, char **argv)
{
	unsigned n_workers;
	struct worker *workers;
	struct shared *sh;
	pid_t *pids;
	size_t shared_size;
	sd_bus *bus;
	struct status st_before = { 0 }, st = { 0 }, st_after = { 0 };
	unsigned long long bombusd_start;
	long rss_before, rss_after;
	off_t log_offset = 0;
	double *lat = NULL, t_start, t_sent_done = 0, lat_max = 0, deadline = 0;
	size_t n_lat = 0, cap_lat = 0, n_probe_failures = 0, n_slow = 0, n_behind = 0, n_slow_behind = 0;
	double lat_max_behind = 0, lat_max_clear = 0;
	char err[512];
	off_t report_at = 0;
	double base[4096], base_seconds = 0;
	size_t n_base = 0;
	long long stall_before, base_stall, stall;
	pid_t bus_pid, polkit_pid;
	double cpu_before[3], cpu_after[3], wait_before[2], wait_after[2];
	uint64_t opened_before = 0;
	pid_t marker_pid = 0;
	char fails[16][600];
	unsigned n_fails = 0;
	bool bombusd_gone = false, sanitizer = false;
	int exit_code;
	static struct totals tot;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(argc, argv);
	started = now();
	signal(SIGPIPE, SIG_IGN);
	parent_pid = getpid();
	atexit(marker_cleanup);
	{
		int r = marker_setup();

		if (r < 0) {
			fprintf(stderr, "dbus-fuzz: cannot make the marker program: %s\n", strerror(-r));
			return 2;
		}
	}

#define FAIL(...)                                                                                            \
	do {                                                                                                 \
		if (n_fails < ELEMENTS(fails))                                                               \
			snprintf(fails[n_fails++], sizeof(fails[0]), __VA_ARGS__);                           \
	} while (0)

	bus = connect_bus(true);
	if (!opt.pid)
		opt.pid = find_bombusd(bus);
	if (opt.pid <= 0) {
		/* activate it */
		if (probe(bus, &st_before, err, sizeof(err)) < 0) {
			fprintf(stderr, "dbus-fuzz: GetStatus failed: %s\n", err);
			return 2;
		}
		opt.pid = find_bombusd(bus);
	}
	bombusd_start = start_time(opt.pid);
	if (!bombusd_start) {
		fprintf(stderr, "dbus-fuzz: bombusd (pid %d) is not running\n", (int)opt.pid);
		return 2;
	}
	if (opt.log) {
		int fd = open(opt.log, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "dbus-fuzz: %s: %m\n", opt.log);
			return 2;
		}
		log_offset = lseek(fd, 0, SEEK_END);
		close(fd);
	}
	if (probe(bus, &st_before, err, sizeof(err)) < 0) {
		fprintf(stderr, "dbus-fuzz: GetStatus failed: %s\n", err);
		return 2;
	}
	rss_before = vm_rss_kb(opt.pid);

	n_workers = opt.root_workers + opt.n_users;
	opt.n_workers = n_workers;
	if (n_workers == 0) {
		fprintf(stderr, "dbus-fuzz: no workers\n");
		return 2;
	}
	shared_size = sizeof(struct shared) + n_workers * sizeof(struct worker_stats);
	sh = mmap(NULL, shared_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		fprintf(stderr, "dbus-fuzz: mmap: %m\n");
		return 2;
	}
	memset(sh, 0, shared_size);
	workers = calloc(n_workers, sizeof(*workers));
	pids = calloc(n_workers, sizeof(*pids));
	if (!workers || !pids)
		return 2;
	for (unsigned i = 0; i < n_workers; i++) {
		struct worker *w = &workers[i];

		w->id = i;
		w->role = i < opt.root_workers ? ROLE_ROOT : opt.users[i - opt.root_workers].role;
		w->user = i < opt.root_workers ? "root" : opt.users[i - opt.root_workers].name;
		w->uid = 0;
		w->st = stats_of(sh, i);
		w->shared = sh;
		rng_seed(&w->rng, opt.seed, i + 1);
	}

	printf("dbus-fuzz: seed %" PRIu64 "; %" PRIu64 " calls%s; bombusd pid %d; workers:", opt.seed,
	       opt.calls, opt.seconds > 0 ? " at most" : "", (int)opt.pid);
	for (unsigned i = 0; i < n_workers; i++)
		printf(" %s%s", workers[i].user,
		       workers[i].role == ROLE_REFUSED	 ? " (refused)"
		       : workers[i].role == ROLE_GRANTED ? " (granted)"
							 : "");
	printf("\n");
	printf("dbus-fuzz: subscriptions see the events of %s (%.0f runs/s)%s\n", marker_path,
	       opt.marker_rate, opt.host_events ? " and of the whole machine" : "");
	printf("dbus-fuzz: replay with --seed=%" PRIu64 " --calls=%" PRIu64 " --root-workers=%u", opt.seed,
	       opt.calls, opt.root_workers);
	for (unsigned i = 0; i < opt.n_users; i++)
		printf(" --%s-user=%s", opt.users[i].role == ROLE_REFUSED ? "refused" : "granted",
		       opt.users[i].name);
	if (opt.huge_permille && opt.max_message)
		printf(" --huge-permille=%u --max-message=%zu", opt.huge_permille, opt.max_message);
	printf("\n");

	/* GetStatus alone first: what the machine gives without the fuzz. */
	{
		double until = now() + opt.baseline;

		stall_before = cpu_stall_usec();
		t_start = now();
		while (now() < until) {
			struct timespec ts = { 0, (long)(opt.interval_ms * 1e6) };
			double t = probe(bus, &st, err, sizeof(err));

			if (t < 0) {
				fprintf(stderr, "dbus-fuzz: GetStatus failed: %s\n", err);
				return 2;
			}
			if (n_base == ELEMENTS(base))
				break;
			base[n_base++] = t * 1e3;
			nanosleep(&ts, NULL);
		}
		base_stall = cpu_stall_usec() - stall_before;
		base_seconds = now() - t_start;
		qsort(base, n_base, sizeof(*base), cmp_double);
	}

	bus_pid = pid_of(bus, "org.freedesktop.DBus");
	polkit_pid = pid_of(bus, "org.freedesktop.PolicyKit1");
	wait_before[0] = run_delay_ms(opt.pid);
	wait_before[1] = run_delay_ms(bus_pid);
	cpu_before[0] = cpu_seconds(opt.pid);
	cpu_before[1] = bus_pid ? cpu_seconds(bus_pid) : -1;
	cpu_before[2] = polkit_pid ? cpu_seconds(polkit_pid) : -1;
	stall_before = cpu_stall_usec();
	t_start = now();
	if (opt.seconds > 0)
		deadline = t_start + opt.seconds;
	fflush(NULL);
	for (unsigned i = 0; i < n_workers; i++) {
		uint64_t share = opt.calls ? opt.calls / n_workers + (i < opt.calls % n_workers) : UINT64_MAX;

		pids[i] = fork();
		if (pids[i] < 0) {
			fprintf(stderr, "dbus-fuzz: fork: %m\n");
			return 2;
		}
		if (pids[i] == 0) {
			worker_run(&workers[i], share, deadline);
		}
	}
	if (opt.marker_rate > 0) {
		marker_pid = fork();
		if (marker_pid == 0)
			marker_run();
	}

	/* GetStatus every interval until every worker has ended and bombusd
	 * has let go of what they had. */
	for (unsigned running = n_workers;;) {
		uint64_t huge_before = __atomic_load_n(&sh->huge_started, __ATOMIC_RELAXED);
		bool behind = __atomic_load_n(&sh->huge_inflight, __ATOMIC_RELAXED) > 0;
		double delay_before[3] = { run_delay_ms(opt.pid), run_delay_ms(bus_pid),
					   run_delay_ms(parent_pid) };
		double t = probe(bus, &st, err, sizeof(err));
		double delay[3] = { run_delay_ms(opt.pid) - delay_before[0],
				    run_delay_ms(bus_pid) - delay_before[1],
				    run_delay_ms(parent_pid) - delay_before[2] };
		double ms = fabs(t) * 1e3;
		unsigned long long start;

		/* sent while a largest-size message was on its way to bombusd */
		behind = behind || __atomic_load_n(&sh->huge_started, __ATOMIC_RELAXED) != huge_before;
		if (behind) {
			n_behind++;
			if (ms > lat_max_behind)
				lat_max_behind = ms;
		} else if (ms > lat_max_clear) {
			lat_max_clear = ms;
		}

		if (n_lat == cap_lat) {
			cap_lat = cap_lat ? cap_lat * 2 : 4096;
			lat = realloc(lat, cap_lat * sizeof(*lat));
			if (!lat)
				return 2;
		}
		lat[n_lat++] = ms;
		if (ms > lat_max)
			lat_max = ms;
		if (t < 0) {
			n_probe_failures++;
			note("GetStatus FAILED after %.1f ms: %s", ms, err);
			if (n_probe_failures == 1)
				FAIL("GetStatus failed after %.1f ms at %.1f s: %s", ms, now() - t_start,
				     err);
		} else if (ms > (behind ? opt.max_latency_huge_ms : opt.max_latency_ms)) {
			if (behind)
				n_slow_behind++;
			else
				n_slow++;
			note("GetStatus took %.1f ms (bound %.0f ms)%s; meanwhile %" PRIu64
			     " connections opened, "
			     "waits for a CPU: bombusd %.0f ms, dbus-daemon %.0f ms, this prober %.0f ms; "
			     "bombusd's longest loop iteration so far %" PRIu64 " us",
			     ms, behind ? opt.max_latency_huge_ms : opt.max_latency_ms,
			     behind ? " behind a largest-size message" : "",
			     sh->connections_opened - opened_before, delay[0], delay[1], delay[2],
			     st.longest_iteration);
		} else if (ms > opt.max_latency_ms) {
			note("GetStatus took %.1f ms behind a largest-size message (bound %.0f ms there)", ms,
			     opt.max_latency_huge_ms);
		}
		opened_before = sh->connections_opened;
		if (getenv("DBUS_FUZZ_TRACE")) {
			static FILE *f;

			if (!f)
				f = fopen(getenv("DBUS_FUZZ_TRACE"), "we");
			if (f)
				fprintf(f, "%.6f probe %.1f %" PRIu64 "\n", now(), ms, st.longest_iteration);
		}
		start = start_time(opt.pid);
		if (start != bombusd_start) {
			bombusd_gone = true;
			FAIL("bombusd (pid %d) exited at %.1f s", (int)opt.pid, now() - t_start);
		}
		if (!sanitizer && scan_log(&log_offset, &report_at)) {
			sanitizer = true;
			FAIL("bombusd's stderr has a sanitizer report");
		}
		if (bombusd_gone || sanitizer) {
			sleep(1); /* the rest of the report */
			break;
		}
		for (unsigned i = 0; i < n_workers; i++) {
			int status;

			if (pids[i] > 0 && waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				pids[i] = 0;
				running--;
				if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
					FAIL("worker %u (%s) ended with status %d", i, workers[i].user,
					     WIFEXITED(status) ? WEXITSTATUS(status)
							       : 128 + WTERMSIG(status));
			}
		}
		if (running == 0) {
			if (t_sent_done == 0) {
				t_sent_done = now();
				if (marker_pid > 0) {
					kill(marker_pid, SIGKILL);
					waitpid(marker_pid, NULL, 0);
					marker_pid = 0;
				}
			}
			/* Every fuzz connection is closed: bombusd must drop
			 * their subscriptions and pending authorizations. */
			if (t >= 0 && st.subscribers == st_before.subscribers && st.pending == 0)
				break;
			if (now() - t_sent_done > 10) {
				FAIL("10 s after the fuzz connections closed, bombusd still has %u "
				     "subscriptions "
				     "(%u before) and %u authorizations pending",
				     st.subscribers, st_before.subscribers, st.pending);
				break;
			}
		}
		{
			struct timespec ts = { 0, (long)(opt.interval_ms * 1e6) };

			nanosleep(&ts, NULL);
		}
	}
	if (t_sent_done == 0)
		t_sent_done = now();
	for (unsigned i = 0; i < n_workers; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
	if (marker_pid > 0) {
		kill(marker_pid, SIGKILL);
		waitpid(marker_pid, NULL, 0);
	}
	if (!bombusd_gone && probe(bus, &st_after, err, sizeof(err)) < 0)
		st_after = st;
	rss_after = vm_rss_kb(opt.pid);
	stall = cpu_stall_usec() - stall_before;
	wait_after[0] = run_delay_ms(opt.pid);
	wait_after[1] = run_delay_ms(bus_pid);
	cpu_after[0] = cpu_seconds(opt.pid);
	cpu_after[1] = bus_pid ? cpu_seconds(bus_pid) : -1;
	cpu_after[2] = polkit_pid ? cpu_seconds(polkit_pid) : -1;
	if (!sanitizer && scan_log(&log_offset, &report_at)) {
		sanitizer = true;
		FAIL("bombusd's stderr has a sanitizer report");
	}

	/* ---- the report ---- */
	for (unsigned i = 0; i < n_workers; i++) {
		struct worker_stats *ws = stats_of(sh, i);

		for (int m = 0; m < _M_MAX; m++) {
			tot.sent[m] += ws->sent[m];
			tot.answered[m] += ws->answered[m];
			tot.answer_time[m] += ws->answer_time[m];
			if (ws->answer_max[m] > tot.answer_max[m])
				tot.answer_max[m] = ws->answer_max[m];
		}
		tot.calls += ws->calls;
		tot.huge += ws->huge;
		tot.signals += ws->signals;
		tot.failures += ws->n_failures;
		for (unsigned k = 0; k < ws->n_kinds; k++)
			add_kind(&tot, &ws->kinds[k]);
		for (unsigned f = 0; f < ws->n_failures && f < MAX_FAILURES; f++)
			FAIL("worker %u (%s): %s", i, workers[i].user, ws->failures[f]);
		if (ws->n_failures > MAX_FAILURES)
			FAIL("worker %u (%s): %u more failures", i, workers[i].user,
			     ws->n_failures - MAX_FAILURES);
	}
	qsort(tot.kinds, tot.n_kinds, sizeof(tot.kinds[0]), cmp_kind);
	qsort(lat, n_lat, sizeof(*lat), cmp_double);

	printf("\ncalls per method (%" PRIu64 " calls in %.1f s, %.0f calls/s; %" PRIu64
	       " of the largest size):\n",
	       tot.calls, t_sent_done - t_start, tot.calls / (t_sent_done - t_start + 1e-9), tot.huge);
	for (int m = 0; m < _M_MAX; m++) {
		bool first = true;

		printf("  %-26s %7" PRIu64 " ", method_names[m], tot.sent[m]);
		if (tot.answered[m])
			printf("[answered in %.1f ms mean, %.0f ms max] ",
			       tot.answer_time[m] * 1e3 / tot.answered[m], tot.answer_max[m] * 1e3);
		for (unsigned k = 0; k < tot.n_kinds; k++)
			if (tot.kinds[k].by_method[m]) {
				printf("%s %s %" PRIu64, first ? "" : ",", short_kind(tot.kinds[k].name),
				       tot.kinds[k].by_method[m]);
				first = false;
			}
		printf("\n");
	}
	printf("replies per kind:\n");
	for (unsigned k = 0; k < tot.n_kinds; k++)
		printf("  %-56s %7" PRIu64 "\n", tot.kinds[k].name, kind_total(&tot.kinds[k]));
	printf("per worker:\n");
	for (unsigned i = 0; i < n_workers; i++) {
		struct worker_stats *ws = stats_of(sh, i);
		uint64_t ok = 0;

		for (unsigned k = 0; k < ws->n_kinds; k++)
			if (strcmp(ws->kinds[k].name, KIND_OK) == 0)
				ok = kind_total(&ws->kinds[k]);
		printf("  %u %-24s %7" PRIu64 " calls, %" PRIu64 " ok, %" PRIu64
		       " signals of its subscriptions\n",
		       i, workers[i].user, ws->calls, ok, ws->signals);
	}
	printf("GetStatus (root, every %.0f ms): %zu calls, p50 %.1f ms, p99 %.1f ms, max %.1f ms (bound "
	       "%.0f ms); "
	       "%zu over the bound, %zu failed\n",
	       opt.interval_ms, n_lat, n_lat ? lat[n_lat / 2] : 0.0,
	       n_lat ? lat[(size_t)((double)(n_lat - 1) * 0.99)] : 0.0, lat_max, opt.max_latency_ms, n_slow,
	       n_probe_failures);
	printf("  of them %zu sent while a largest-size message was in flight: max %.1f ms (bound %.0f ms), "
	       "%zu over "
	       "it; the %zu others: max %.1f ms\n",
	       n_behind, lat_max_behind, opt.max_latency_huge_ms, n_slow_behind, n_lat - n_behind,
	       lat_max_clear);
	if (n_base)
		printf("GetStatus before the fuzz (%.1f s alone): %zu calls, p50 %.1f ms, p99 %.1f ms, max "
		       "%.1f ms\n",
		       base_seconds, n_base, base[n_base / 2], base[(size_t)((double)(n_base - 1) * 0.99)],
		       base[n_base - 1]);
	if (stall_before >= 0 && base_seconds > 0)
		printf("machine: some task waited for a CPU %.0f%% of the time before the fuzz, %.0f%% "
		       "during it "
		       "(/proc/pressure/cpu)\n",
		       base_stall / (base_seconds * 1e4), stall / ((now() - t_start) * 1e4));
	{
		struct rusage ru;
		double workers_cpu = 0;

		if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
			workers_cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
				      (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
		printf("CPU seconds during the fuzz (%.1f s): bombusd %.1f, dbus-daemon %.1f, polkitd %.1f, "
		       "fuzz workers "
		       "and marker %.1f\n",
		       now() - t_start, cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1],
		       cpu_after[2] - cpu_before[2], workers_cpu);
		printf("waits for a CPU during the fuzz (run queue): bombusd %.1f s, dbus-daemon %.1f s\n",
		       (wait_after[0] - wait_before[0]) / 1e3, (wait_after[1] - wait_before[1]) / 1e3);
	}
	if (n_slow)
		FAIL("%zu GetStatus calls took longer than %.0f ms (max %.1f ms)", n_slow, opt.max_latency_ms,
		     lat_max);
	if (n_slow_behind)
		FAIL("%zu GetStatus calls behind a largest-size message took longer than %.0f ms (max %.1f "
		     "ms)",
		     n_slow_behind, opt.max_latency_huge_ms, lat_max_behind);
	printf("bombusd: VmRSS %ld kB before, %ld kB after", rss_before, rss_after);
	if (st_before.has_longest)
		printf("; longest main-loop iteration %" PRIu64 " us before, %" PRIu64 " us after",
		       st_before.longest_iteration, st_after.longest_iteration);
	printf("; subscriptions %u before, %u after; authorizations pending %u after\n",
	       st_before.subscribers, st_after.subscribers, st_after.pending);
	if (sanitizer)
		print_report(report_at);
	printf("run time %.1f s (seed %" PRIu64 ")\n", now() - t_start, opt.seed);
	exit_code = n_fails ? 1 : 0;
	if (n_fails) {
		printf("dbus-fuzz: FAILED:\n");
		for (unsigned i = 0; i < n_fails; i++)
			printf("  %s\n", fails[i]);
	} else {
		printf("dbus-fuzz: passed\n");
	}
	sd_bus_flush_close_unref(bus);
	free(lat);
	free(workers);
	free(pids);
	munmap(sh, shared_size);
	return exit_code;
}
