"""cgroup2 hierarchies made by the tests: shaped as systemd units and
container runtimes make them, removed afterwards."""
import os
import time
from pathlib import Path

CONTAINER_ID = "0123456789abcdef" * 4  # 64 hex digits, as Docker, Podman, containerd and CRI-O ids are


def cgroup2_mount():
    """The cgroup2 mount point (hybrid: /sys/fs/cgroup/unified; pure:
    /sys/fs/cgroup), from /proc/self/mountinfo; None without one."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == "cgroup2" and fields[3] == "/":
                return Path(fields[4].replace("\\040", " "))
    return None


def cgroup_of(pid="self"):
    """The unified hierarchy's line of /proc/PID/cgroup: the path."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].rstrip("\n")
    return None


class Cgroup:
    """A cgroup at @relative (e.g. "system.slice/bombus-test.service")
    below the cgroup2 root, with whatever directories above it are missing;
    removes what it made (moving stragglers to the root first)."""

    def __init__(self, relative):
        self.mount = cgroup2_mount()
        assert self.mount, "no cgroup2 hierarchy is mounted"
        self.relative = relative.strip("/")
        self.path = self.mount / self.relative
        self.made = []

    def __enter__(self):
        current = self.mount
        for part in self.relative.split("/"):
            current = current / part
            if not current.exists():
                current.mkdir()
                self.made.append(current)
        return self

    @property
    def name(self):
        """As /proc/PID/cgroup and events show it."""
        return "/" + self.relative

    @property
    def id(self):
        """The cgroup id: its directory's inode number (64-bit kernfs ids)."""
        return os.stat(self.path).st_ino

    def enter_command(self, argv):
        """A command that moves itself into this cgroup and then execs
        @argv."""
        return ["sh", "-c", f'echo $$ > "{self.path}/cgroup.procs" && exec "$@"', "sh", *argv]

    def __exit__(self, *exc):
        for directory in reversed(self.made):
            deadline = time.monotonic() + 10
            while True:
                for pid in (directory / "cgroup.procs").read_text().split():
                    try:
                        (self.mount / "cgroup.procs").write_text(pid)
                    except OSError:
                        pass  # exited meanwhile
                try:
                    directory.rmdir()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
