"""secureexec and credentials: fileless exec, setuid/setgid binaries, file
capabilities. The privileged copies are run by an unprivileged user."""
import os
import shutil
import subprocess

import procinfo
from procinfo import assert_fields, assert_this_process
from runner import AS_UNPRIVILEGED, TIMEOUT, UNPRIVILEGED_USER, fexecve_command, types

# A python child that fexecve()s: clone, python's exec, the exec tested, exit.
FEXECVE_EVENTS = ["ProcessClone", "ProcessExec", "ProcessExec", "ProcessExit"]


def fexecve_events(bombusd, fd, argv):
    """Execs the file open on @fd (closed after) in a child; returns the
    child and its events, checked to be FEXECVE_EVENTS."""
    try:
        child, events = bombusd.run(fexecve_command(fd, argv), pass_fds=(fd,))
    finally:
        os.close(fd)
    assert types(events) == FEXECVE_EVENTS, events
    return child, events


def test_memfd_fileless_exec(bombusd):
    fd = os.memfd_create("fileless-exec-test", 0)
    with open("/usr/bin/true", "rb") as src:
        os.write(fd, src.read())
    child, events = fexecve_events(bombusd, fd, ["fileless-exec-test", "fileless"])
    event = events[-2]
    assert_fields(event["process"], procinfo.child_of_this_process(
        child.pid, filename="memfd:fileless-exec-test", binary_path="/memfd:fileless-exec-test (deleted)",
        args="fileless", secureexec="FILELESS_EXEC"))
    assert_this_process(event["parent"])
    assert events[-1]["process"] == event["process"]


def test_deleted_file_exec(bombusd, world_dir):
    path = world_dir / "deleted-true"
    shutil.copy("/usr/bin/true", path)
    fd = os.open(path, os.O_RDONLY)
    path.unlink()
    child, events = fexecve_events(bombusd, fd, ["deleted-true", "gone"])
    expected_path = f"{path} (deleted)"
    event = events[-2]
    assert_fields(event["process"], procinfo.child_of_this_process(
        child.pid, filename="deleted-true", binary_path=expected_path, args="gone",
        secureexec="FILELESS_EXEC"))


def test_detached_mount_exec(bombusd, world_dir):
    """runc's way of re-executing itself: a bind mount of the binary,
    opened, then detached (umount -l). The kernel's d_path and /proc/PID/exe
    say "/"; bombus names the file within its filesystem, marked."""
    target = world_dir / "detached-target"
    target.touch()
    subprocess.run(["mount", "--bind", "/usr/bin/true", str(target)], check=True)
    try:
        fd = os.open(target, os.O_PATH)
    finally:
        subprocess.run(["umount", "-l", str(target)], check=True)
        target.unlink()
    child, events = fexecve_events(bombusd, fd, ["detached-true", "detached"])
    event = events[-2]
    assert_fields(event["process"], procinfo.child_of_this_process(
        child.pid, filename="true", binary_path="(unreachable)" + path_in_filesystem("/usr/bin/true"),
        args="detached"))


def path_in_filesystem(path):
    """@path from the root of the filesystem it is on (mountinfo's root of
    the mount holding it, then the rest)."""
    path = os.path.realpath(path)
    best = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            root, point = fields[3], fields[4]
            inside = path == point or path.startswith(point.rstrip("/") + "/")
            if inside and (best is None or len(point) >= len(best[1])):
                best = (root, point)
    root, point = best
    rest = path[len(point.rstrip("/")):]
    return (root.rstrip("/") + rest) or "/"


def run_unprivileged(bombusd, binary, setpriv_options=()):
    """Runs @binary (a copy of id) as the unprivileged user; returns its
    ProcessExec and what id printed. setpriv keeps its permitted
    capabilities across the uid change until it execs @binary."""
    since = bombusd.mark()
    child = subprocess.Popen([*AS_UNPRIVILEGED, *setpriv_options, str(binary)], stdout=subprocess.PIPE,
                             text=True)
    out, _ = child.communicate(timeout=TIMEOUT)
    assert child.returncode == 0, out
    event = bombusd.wait_event("ProcessExec", child.pid, since=since, binary_path=str(binary))
    assert_this_process(event["parent"])
    return event, out


def privileged_copy(world_dir, name, mode):
    path = world_dir / name
    shutil.copy("/usr/bin/id", path)
    os.chown(path, 0, 0)
    os.chmod(path, mode)  # after chown, which clears set-id bits
    return path


def test_setuid_root_binary(bombusd, world_dir):
    binary = privileged_copy(world_dir, "id-setuid", 0o4755)
    event, out = run_unprivileged(bombusd, binary)
    assert "euid=0(root)" in out, f"the kernel did not honour the setuid bit: {out}"
    nobody = UNPRIVILEGED_USER
    # A set-user-id-root exec gives the bounding set, permitted and effective.
    caps = procinfo.caps_string(procinfo.bounding_set())
    assert_fields(event["process"], {
        "ppid": os.getpid(), "cloned": False,
        "uid": nobody, "euid": 0, "gid": nobody, "egid": nobody,
        "cap_inheritable": "", "cap_permitted": caps, "cap_effective": caps,
        "secureexec": "SETUID", "filename": "id-setuid", "binary_path": str(binary), "args": "",
    })


def test_setgid_root_binary(bombusd, world_dir):
    binary = privileged_copy(world_dir, "id-setgid", 0o2755)
    event, out = run_unprivileged(bombusd, binary)
    assert "egid=0(root)" in out, f"the kernel did not honour the setgid bit: {out}"
    nobody = UNPRIVILEGED_USER
    assert_fields(event["process"], {
        "uid": nobody, "euid": nobody, "gid": nobody, "egid": 0,
        "cap_inheritable": "", "cap_permitted": "", "cap_effective": "",
        "secureexec": "SETGID", "filename": "id-setgid", "binary_path": str(binary),
    })


def test_file_capabilities(bombusd, world_dir):
    binary = privileged_copy(world_dir, "id-caps", 0o755)
    subprocess.run(["setcap", "cap_net_raw+ep", str(binary)], check=True)
    event, _ = run_unprivileged(bombusd, binary)
    nobody = UNPRIVILEGED_USER
    assert_fields(event["process"], {
        "uid": nobody, "euid": nobody, "gid": nobody, "egid": nobody,
        "cap_inheritable": "", "cap_permitted": "CAP_NET_RAW", "cap_effective": "CAP_NET_RAW",
        "secureexec": "FILE_CAPS", "filename": "id-caps", "binary_path": str(binary),
    })
    # Two capabilities: names in bit order, " | " between them.
    subprocess.run(["setcap", "cap_sys_admin,cap_net_raw+ep", str(binary)], check=True)
    event, _ = run_unprivileged(bombusd, binary)
    assert_fields(event["process"], {
        "cap_permitted": "CAP_NET_RAW | CAP_SYS_ADMIN", "cap_effective": "CAP_NET_RAW | CAP_SYS_ADMIN",
        "secureexec": "FILE_CAPS",
    })


def test_unprivileged_plain_exec_has_no_flags(bombusd, world_dir):
    """The control for the tests above: the same copy without set-id bits
    or capabilities gives no flag and no capability."""
    binary = privileged_copy(world_dir, "id-plain", 0o755)
    event, _ = run_unprivileged(bombusd, binary)
    nobody = UNPRIVILEGED_USER
    assert_fields(event["process"], {
        "uid": nobody, "euid": nobody, "gid": nobody, "egid": nobody,
        "cap_permitted": "", "cap_effective": "", "secureexec": "",
    })


AMBIENT_NET_RAW = ["--inh-caps=+net_raw", "--ambient-caps=+net_raw"]


def test_ambient_capabilities_are_not_file_caps(bombusd, world_dir):
    """Capabilities kept through exec as ambient ones were not granted by a
    file; file capabilities beyond them were."""
    binary = privileged_copy(world_dir, "id-ambient", 0o755)
    event, _ = run_unprivileged(bombusd, binary, AMBIENT_NET_RAW)
    assert_fields(event["process"], {
        "uid": UNPRIVILEGED_USER, "euid": UNPRIVILEGED_USER, "cap_inheritable": "CAP_NET_RAW",
        "cap_permitted": "CAP_NET_RAW", "cap_effective": "CAP_NET_RAW", "secureexec": "",
    })
    subprocess.run(["setcap", "cap_net_raw,cap_sys_admin+ep", str(binary)], check=True)
    event, _ = run_unprivileged(bombusd, binary, AMBIENT_NET_RAW)
    assert_fields(event["process"], {
        "cap_permitted": "CAP_NET_RAW | CAP_SYS_ADMIN", "secureexec": "FILE_CAPS",
    })


def test_file_capabilities_through_execveat(bombusd, world_dir):
    """The same through execveat (fexecve), which has its own syscall
    tracepoint."""
    binary = privileged_copy(world_dir, "id-caps-at", 0o755)
    subprocess.run(["setcap", "cap_net_raw+ep", str(binary)], check=True)
    fd = os.open(binary, os.O_RDONLY)
    try:
        _, events = bombusd.run([*AS_UNPRIVILEGED, *fexecve_command(fd, ["id-caps-at"])], pass_fds=(fd,),
                                stdout=subprocess.DEVNULL)
    finally:
        os.close(fd)
    # setpriv execs python, which execs the copy.
    assert types(events) == FEXECVE_EVENTS[:2] + FEXECVE_EVENTS[1:], events
    event = events[-2]
    assert event["process"]["binary_path"] == str(binary)
    assert_fields(event["process"], {
        "uid": UNPRIVILEGED_USER, "euid": UNPRIVILEGED_USER, "cap_permitted": "CAP_NET_RAW",
        "secureexec": "FILE_CAPS",
    })
