"""Where a process runs and who it belongs to: scripts, mounts, chroot, pid
namespaces, reparenting, login uid."""
import os
import shutil
import subprocess
import sys

import procinfo
from procinfo import assert_fields, assert_this_process
from runner import TIMEOUT, types


def exec_of(bombusd, argv, **fields):
    """Runs @argv; returns the ProcessExec, by any process it started, whose
    process object has @fields."""
    since = bombusd.mark()
    child = subprocess.Popen(argv)
    assert child.wait(TIMEOUT) == 0
    return bombusd.wait_event("ProcessExec", since=since, **fields)


def test_script_shows_its_interpreter(bombusd, world_dir):
    script = world_dir / "script"
    script.write_text("#!/bin/sh\ntrue\n")
    script.chmod(0o755)
    child, events = bombusd.run([str(script), "one", "two"])
    assert types(events) == ["ProcessClone", "ProcessExec", "ProcessExit"], events
    exec_ = events[1]
    real = os.path.realpath("/bin/sh")
    # The kernel runs "/bin/sh SCRIPT one two".
    assert_fields(exec_["process"], procinfo.child_of_this_process(
        child.pid, binary_path=real, filename=os.path.basename(real), args=f"{script} one two"))


def test_path_across_mounts(bombusd):
    shm = "/dev/shm"
    if os.stat(shm).st_dev == os.stat("/").st_dev:
        raise AssertionError("/dev/shm is not a separate mount here: the test would prove nothing")
    directory = f"{shm}/bombus-it-{os.getpid()}"
    os.mkdir(directory)
    try:
        binary = shutil.copy("/usr/bin/true", f"{directory}/true")
        exec_ = exec_of(bombusd, [binary, "on-shm"], args="on-shm")
    finally:
        shutil.rmtree(directory)
    assert_fields(exec_["process"], {"binary_path": binary, "filename": "true"})


def test_path_through_a_bind_mount(bombusd, world_dir):
    source, target = world_dir / "source", world_dir / "target"
    source.mkdir()
    target.mkdir()
    shutil.copy("/usr/bin/true", source / "true")
    # A private mount namespace: the bind mount goes away with it.
    exec_ = exec_of(bombusd, ["unshare", "--mount", "sh", "-c",
                                     f"mount --bind {source} {target} && exec {target}/true via-bind"],
                    args="via-bind")
    assert_fields(exec_["process"], {"binary_path": f"{target}/true", "filename": "true"})


def test_chroot_does_not_shorten_the_path(bombusd, world_dir):
    busybox = shutil.which("busybox")
    assert busybox, "busybox (static) is needed: tools/install-deps installs it"
    root = world_dir / "root"
    root.mkdir()
    shutil.copy(busybox, root / "busybox")
    exec_ = exec_of(bombusd, ["chroot", str(root), "/busybox", "true", "in-chroot"],
                    args="true in-chroot")
    assert_fields(exec_["process"], {"binary_path": f"{root}/busybox", "filename": "busybox"})


def test_pid_namespace_shows_host_ids(bombusd):
    since = bombusd.mark()
    unshare = subprocess.Popen(["unshare", "--pid", "--fork", "/usr/bin/true", "in-pid-ns"])
    assert unshare.wait(TIMEOUT) == 0
    exec_ = bombusd.wait_event("ProcessExec", since=since, args="in-pid-ns")
    # Inside, it is pid 1; events carry the ids of the initial namespace.
    assert exec_["process"]["pid"] != 1
    assert exec_["process"]["ppid"] == unshare.pid
    assert exec_["parent"]["pid"] == unshare.pid


# A child subreaper whose grandchild is orphaned and then execs.
SUBREAPER = """
import ctypes, os
PR_SET_CHILD_SUBREAPER = 36
assert ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
r, w = os.pipe()
if os.fork() == 0:
    if os.fork() == 0:
        os.close(w)
        os.read(r, 1)  # EOF once the subreaper closes its end: orphaned by then
        os.execv("/usr/bin/true", ["true", "orphan"])
    os._exit(0)
os.close(r)
os.wait()
os.close(w)
os.wait()
"""


def test_orphan_has_its_new_parent(bombusd):
    since = bombusd.mark()
    reaper = subprocess.Popen([sys.executable, "-c", SUBREAPER])
    assert reaper.wait(TIMEOUT) == 0
    exec_ = bombusd.wait_event("ProcessExec", since=since, args="orphan")
    orphan = exec_["process"]["pid"]
    clone = bombusd.wait_event("ProcessClone", orphan, since=since)
    middle = clone["process"]["ppid"]
    assert middle != reaper.pid
    assert clone["parent"]["pid"] == middle
    # By exec time the subreaper has adopted it.
    assert exec_["process"]["ppid"] == reaper.pid
    assert_fields(exec_["parent"], {"pid": reaper.pid, "ppid": os.getpid(), "cloned": False,
                                    "binary_path": os.readlink("/proc/self/exe")})
    exit_ = bombusd.wait_event("ProcessExit", orphan, since=since)
    assert exit_["process"]["ppid"] == reaper.pid
    assert exit_["parent"]["pid"] == reaper.pid


def test_login_uid(bombusd):
    script = "echo 1000 > /proc/self/loginuid && exec /usr/bin/true auid"
    child, events = bombusd.run(["/bin/sh", "-c", script])
    assert types(events) == ["ProcessClone", "ProcessExec", "ProcessExec", "ProcessExit"], events
    exec_ = events[-2]
    assert_fields(exec_["process"], procinfo.child_of_this_process(
        child.pid, auid=1000, binary_path="/usr/bin/true", filename="true", args="auid"))
    assert_this_process(exec_["parent"])
