"""Without a cgroup2 mount (docs/events.md, "cgroup, unit, slice"): bombusd
says so once at start, events still flow, and they carry no cgroup,
cgroup_id, unit, slice or container_id, while exec_id, parent_exec_id,
namespaces and in_init_pid_ns (read in the kernel, needing no mount) stay.
bombusd runs in a mount namespace of its own in which every cgroup2 mount is
unmounted: /sys/fs/cgroup/unified on a hybrid host, /sys/fs/cgroup on a pure
cgroup2 one (the VM guests); the rest of the machine keeps its mounts, and
the namespace goes with bombusd."""
import os
import subprocess
import time

import pytest

from cgroups import Cgroup, cgroup2_mount
from runner import Bombusd, bombusd_binary

CGROUP_FIELDS = ("cgroup", "cgroup_id", "unit", "slice", "container_id")

# bombusd's own mount namespace: private (nothing propagates back), every
# cgroup2 mount detached (innermost first), then bombusd itself: the same
# pid, so that signals reach it.
WRAPPER = r"""#!/bin/sh
set -e
mount --make-rprivate /
for m in $(awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "cgroup2") print $5 }' /proc/self/mountinfo | tac); do
	umount -l "$m"
done
if awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "cgroup2") exit 1 }' /proc/self/mountinfo; then :; else
	echo "bombus test: a cgroup2 mount is left" >&2
	exit 1
fi
exec "$BOMBUS_REAL_BOMBUSD" "$@"
"""


@pytest.fixture
def bombusd_without_cgroup2(tmp_path, monkeypatch):
    if cgroup2_mount() is None:
        pytest.skip("no cgroup2 hierarchy is mounted here: nothing to take away")
    wrapper = tmp_path / "bombusd-without-cgroup2"
    wrapper.write_text(WRAPPER)
    wrapper.chmod(0o755)
    launcher = tmp_path / "bombusd"
    launcher.write_text(f'#!/bin/sh\nexec unshare --mount --propagation private "{wrapper}" "$@"\n')
    launcher.chmod(0o755)
    monkeypatch.setenv("BOMBUS_REAL_BOMBUSD", os.path.abspath(bombusd_binary()))
    monkeypatch.setenv("BOMBUSD", str(launcher))
    daemon = Bombusd(tmp_path)
    monkeypatch.undo()  # the rest of the session runs the real binary
    yield daemon
    daemon.check_clean_exit()


def test_no_cgroup2_mount(bombusd_without_cgroup2):
    bombusd = bombusd_without_cgroup2
    # its namespace is not ours: our mounts are as they were
    assert cgroup2_mount() is not None
    assert os.readlink(f"/proc/{bombusd.pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt")
    mark = f"nocg-{os.getpid()}-{time.monotonic_ns()}"
    since = bombusd.mark()
    # a process in a unit-shaped cgroup (made in the real hierarchy, after
    # bombusd started: its cgroup_mkdir record comes too) shows no unit
    with Cgroup("system.slice/bombus-nocgroup2.service") as cgroup:
        child = subprocess.run(cgroup.enter_command(["sh", "-c", f"/usr/bin/true {mark}; exit 0"]), timeout=60)
        assert child.returncode == 0
        exec_ = bombusd.wait_event("ProcessExec", since=since, args=mark)
        bombusd.wait_event("ProcessExit", exec_["process"]["pid"], since=since)
    bombusd.sync()
    events = bombusd.events[since:]
    assert len(events) >= 3
    for e in events:
        for who in ("process", "parent"):
            p = e.get(who)
            if not p:
                continue
            present = [k for k in CGROUP_FIELDS if k in p]
            assert not present, f"{e['type']} {who} has {present} without a cgroup2 mount: {p}"
    process = exec_["process"]
    assert process["exec_id"].split(":")[1] == str(process["pid"])
    assert process["parent_exec_id"] == exec_["parent"]["exec_id"]
    assert process["namespaces"] == {ns: os.stat(f"/proc/self/ns/{ns}").st_ino
                                     for ns in ("pid", "mnt", "net", "user", "uts", "ipc", "cgroup")}
    assert process["in_init_pid_ns"] is True and "vpid" not in process
    # said once, however many events passed
    err = bombusd.stderr()
    lines = [line for line in err.splitlines() if "cgroup2" in line]
    assert len(lines) == 1 and "no cgroup2 hierarchy is mounted" in lines[0], err
