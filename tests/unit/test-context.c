// SPDX-License-Identifier: GPL-2.0-only
/* What cgroup paths, mountinfo and the exec count say (daemon/context/). */
#include <stdio.h>
#include <unistd.h>

#include "context/cgroup-names.h"
#include "context/cgroup-path.h"
#include "context/exec-id.h"
#include "unit.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void check_path(const char *path, const char *unit, const char *slice, const char *container)
{
	struct cgroup_path_info info;

	cgroup_path_parse(path, &info);
	CHECK_STR_NAMED(path, info.unit, unit);
	CHECK_STR_NAMED(path, info.slice, slice);
	CHECK_STR_NAMED(path, info.container_id, container);
}

static void systemd_units_and_slices(void)
{
	check_path("/", "", "", "");
	check_path("/system.slice/ssh.service", "ssh.service", "system.slice", "");
	check_path("/system.slice/cron.service", "cron.service", "system.slice", "");
	check_path("/init.scope", "init.scope", "-.slice", "");
	check_path("/user.slice/user-1000.slice/session-3.scope", "session-3.scope", "user-1000.slice", "");
	check_path("/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope",
		   "user@1000.service", "user-1000.slice", "");
	check_path("/user.slice/user-1000.slice/user@1000.service/init.scope", "user@1000.service",
		   "user-1000.slice", "");
	/* a slice alone: no unit */
	check_path("/user.slice", "", "user.slice", "");
	/* nested slices: the innermost is the slice */
	check_path("/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service",
		   "system-getty.slice", "");
	/* escapes stay as the unit's name has them */
	check_path(
		"/system.slice/system-systemd\\x2dfsck.slice/systemd-fsck@dev-disk-by\\x2duuid-1234.service",
		"systemd-fsck@dev-disk-by\\x2duuid-1234.service", "system-systemd\\x2dfsck.slice", "");
	/* sub-cgroups of a unit keep the unit */
	check_path("/system.slice/bombus-test.service/payload", "bombus-test.service", "system.slice", "");
	/* cg_escape()'s '_' prefix */
	check_path("/system.slice/_cpu.service", "cpu.service", "system.slice", "");
	/* not systemd's */
	check_path("/bombus-it/xyz", "", "", "");
	check_path("/foo.bar/x.service", "", "", "");
	CHECK(!unit_name_valid("a/b.service", 11, NULL));
	CHECK(!unit_name_valid(".service", 8, NULL));
	CHECK(unit_name_valid("user@1000.service", 17, NULL));
	CHECK(!unit_name_valid("user@1000.service", 17, ".slice"));
}

static void containers(void)
{
	check_path("/system.slice/docker-" ID64 ".scope", "docker-" ID64 ".scope", "system.slice", ID64);
	check_path("/docker/" ID64, "", "", ID64);
	check_path("/machine.slice/libpod-" ID64 ".scope", "libpod-" ID64 ".scope", "machine.slice", ID64);
	check_path("/machine.slice/libpod-" ID64 ".scope/container", "libpod-" ID64 ".scope", "machine.slice",
		   ID64);
	/* Podman's cgroupfs manager (on cgroup v1 and hybrid systems) */
	check_path("/libpod_parent/libpod-" ID64, "", "", ID64);
	check_path("/libpod_parent/libpod-conmon-" ID64, "", "", "");
	check_path("/crio-" ID64, "", "", ID64);
	/* conmon, the monitor, is not in the container */
	check_path("/machine.slice/libpod-conmon-" ID64 ".scope", "libpod-conmon-" ID64 ".scope",
		   "machine.slice", "");
	check_path("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64 ".scope",
		   "user@1000.service", "user-1000.slice", ID64);
	check_path("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234_5678.slice/"
		   "cri-containerd-" ID64 ".scope",
		   "cri-containerd-" ID64 ".scope", "kubepods-burstable-pod1234_5678.slice", ID64);
	check_path("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podab.slice/crio-" ID64
		   ".scope",
		   "crio-" ID64 ".scope", "kubepods-besteffort-podab.slice", ID64);
	check_path("/kubepods.slice/kubepods-podab.slice/crio-conmon-" ID64 ".scope",
		   "crio-conmon-" ID64 ".scope", "kubepods-podab.slice", "");
	check_path("/kubepods/besteffort/pod1234/" ID64, "", "", ID64);
	check_path("/lxc.payload.web1", "", "", "web1");
	check_path("/lxc.payload.web1/system.slice/ssh.service", "", "", "web1");
	check_path("/lxc.monitor.web1", "", "", "");
	check_path("/lxc/old1", "", "", "old1");
	check_path("/machine.slice/machine-debian\\x2dtest.scope", "machine-debian\\x2dtest.scope",
		   "machine.slice", "debian-test");
	check_path("/machine.slice/machine-debian.scope/payload/system.slice/cron.service",
		   "machine-debian.scope", "machine.slice", "debian");
	/* names that would hold '/' or a control character are no ids
	 * (container_id_valid(): what option containers accepts) */
	check_path("/machine.slice/machine-a\\x2fb.scope", "machine-a\\x2fb.scope", "machine.slice", "");
	check_path("/machine.slice/machine-a\\x0ab.scope", "machine-a\\x0ab.scope", "machine.slice", "");
	check_path("/machine.slice/machine-a\\x7fb.scope", "machine-a\\x7fb.scope", "machine.slice", "");
	check_path("/lxc.payload.a\tb", "", "", "");
	check_path("/lxc/a\x01b", "", "", "");
	check_path("/machine.slice/machine-a\\x5cb\\x20c.scope", "machine-a\\x5cb\\x20c.scope",
		   "machine.slice", "a\\b c");
	CHECK(container_id_valid("debian-12", 9));
	CHECK(container_id_valid("a b\\c\xc3\xa9", 7));
	CHECK(!container_id_valid("", 0));
	CHECK(!container_id_valid("a/b", 3));
	CHECK(!container_id_valid("a\nb", 3));
	CHECK(!container_id_valid("a\x7f", 2));
	/* a container inside another: the innermost */
	check_path("/docker/" ID64 "/docker/fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
		   "", "", "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
	/* not 64 hex digits */
	check_path("/system.slice/docker-0123.scope", "docker-0123.scope", "system.slice", "");
}

static void mountinfo(void)
{
	static const char hybrid[] =
		"24 29 0:22 / /sys rw,nosuid - sysfs sysfs rw\n"
		"30 24 0:26 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
		"31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
		"32 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
	static const char pure[] = "35 24 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
	/* a bind mount of a sub-tree comes first: the root's mount is taken */
	static const char bound[] = "40 1 0:30 /system.slice /srv/cg rw - cgroup2 cgroup2 rw\n"
				    "41 1 0:30 / /mnt/with\\040space rw - cgroup2 cgroup2 rw\n";
	static const char v1[] = "32 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
	char buf[256];

	CHECK_INT(cgroup2_mount_from_mountinfo(hybrid, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/sys/fs/cgroup/unified");
	CHECK_INT(cgroup2_mount_from_mountinfo(pure, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/sys/fs/cgroup");
	CHECK_INT(cgroup2_mount_from_mountinfo(bound, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/mnt/with space");
	CHECK(cgroup2_mount_from_mountinfo(v1, buf, sizeof(buf)) < 0);
	CHECK(cgroup2_mount_from_mountinfo("", buf, sizeof(buf)) < 0);
}

static void exec_ids(void)
{
	char path[] = "/tmp/bombus-unit-boot-id-XXXXXX", id[EXEC_ID_MAX];
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(write(fd, "5e624ae8-819f-434f-9a3b-0f1e2d3c4b5a\n", 37) == 37);
	close(fd);
	CHECK_INT(exec_id_init(path), 0);
	unlink(path);
	CHECK_INT(exec_id_format(id, 4162, 12159124940502ull, 4), 38);
	CHECK_STR(id, "5e624ae8819f434f:4162:12159124940502:4");
	exec_id_format(id, UINT32_MAX, UINT64_MAX, UINT64_MAX);
	CHECK_STR(id, "5e624ae8819f434f:4294967295:18446744073709551615:18446744073709551615");
	CHECK(exec_id_init("/nonexistent-bombus-boot-id") < 0);
}

UNIT_MAIN(T(systemd_units_and_slices), T(containers), T(mountinfo), T(exec_ids))
