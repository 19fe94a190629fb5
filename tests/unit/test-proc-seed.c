// SPDX-License-Identifier: GPL-2.0-only
/* /proc seeding against a fake /proc tree built in a temporary directory. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode/proc-seed.h"
#include "unit.h"

#define TICK 10000000ull

static char root[] = "/tmp/bombus-unit-proc-XXXXXX";

static void write_file(const char *pid, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", root, pid, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fwrite(data, 1, len, f);
	fclose(f);
}

static void fake_process(const char *pid, const char *stat, const char *exe, const void *cmdline, size_t len)
{
	char path[512], link[512];
	static const char status[] = "Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t100\t100\t100\t100\n"
				     "CapInh:\t0000000000000000\nCapPrm:\t0000000000002000\n"
				     "CapEff:\t0000000000002000\n";

	snprintf(path, sizeof(path), "%s/%s", root, pid);
	mkdir(path, 0755);
	write_file(pid, "stat", stat, strlen(stat));
	write_file(pid, "status", status, sizeof(status) - 1);
	write_file(pid, "loginuid", "1000", 4);
	write_file(pid, "cmdline", cmdline, len);
	if (exe) {
		snprintf(link, sizeof(link), "%s/%s/exe", root, pid);
		CHECK(symlink(exe, link) == 0);
	}
}

static void seeds_processes_and_parents(void)
{
	struct process_cache *c = process_cache_new(64, 8, TICK);
	struct process *shell, *child, *kthread, *parent;

	CHECK(mkdtemp(root) != NULL);
	/* comm with spaces and parentheses: fields count from the last ')' */
	fake_process("10", "10 (sh) S 1 10 10 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0", "/usr/bin/dash",
		     "sh\0-c\0read x\0", 13);
	fake_process("11", "11 (we ird) (x)) R 10 10 10 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0", "/usr/bin/ls",
		     "ls\0-lah\0", 8);
	fake_process("2", "2 (kthreadd) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0", NULL, "", 0);
	fake_process("12", "garbage", "/bin/x", "", 0); /* unparsable: skipped */

	CHECK_INT(proc_seed(c, root, TICK, 0), 3);
	shell = process_cache_get_live(c, 10);
	child = process_cache_get_live(c, 11);
	kthread = process_cache_get_live(c, 2);
	CHECK(shell && child && kthread);
	if (!shell || !child || !kthread)
		return;
	CHECK_STR(shell->image->fields.binary_path, "/usr/bin/dash");
	CHECK_STR(shell->image->fields.filename, "dash");
	CHECK_STR(shell->image->fields.args, "-c read x");
	CHECK_INT(shell->task.start_ns, 500 * TICK);
	CHECK(shell->start_coarse);
	CHECK_INT(child->task.ppid, 10);
	CHECK_INT(child->task.parent_start_ns, 500 * TICK);
	CHECK_STR(child->image->fields.args, "-lah");
	CHECK_INT(child->task.creds.uid, 1000);
	CHECK_INT(child->task.creds.euid, 0);
	CHECK_INT(child->task.creds.gid, 100);
	CHECK_INT(child->task.creds.auid, 1000);
	CHECK_INT(child->task.creds.cap_permitted, 0x2000);
	CHECK_STR(kthread->image->fields.binary_path, "");
	/* an event-time lookup within the same tick finds the seeded entry,
	 * and the child's link still finds its parent after that */
	parent = process_cache_get(c, 10, 500 * TICK + 3, false);
	CHECK(parent == shell);
	process_unrefp(&parent);
	parent = process_cache_get(c, child->task.ppid, child->task.parent_start_ns, true);
	CHECK(parent == shell);
	process_unrefp(&parent);
	process_unref(shell);
	process_unref(child);
	process_unref(kthread);
	/* seeding again adds nothing new */
	CHECK_INT(proc_seed(c, root, TICK, 0), 3);
	CHECK_INT(process_cache_stats(c).entries, 3);
	process_cache_free(c);
}

static void missing_proc_is_an_error(void)
{
	struct process_cache *c = process_cache_new(4, 1, TICK);

	CHECK(proc_seed(c, "/nonexistent-bombus-proc", TICK, 0) < 0);
	process_cache_free(c);
}

static void cleanup(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK(system(cmd) == 0);
}

UNIT_MAIN(T(seeds_processes_and_parents), T(missing_proc_is_an_error), T(cleanup))
