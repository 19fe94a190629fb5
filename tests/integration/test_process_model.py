"""What each event says about who acted, as whom: the process model.

Each test here is a defect of the old model, where events took the thread
and credentials from the process's last exec or clone, and processes started
before bombusd lost their parent (docs/events.md, "Snapshot and event
fields").
"""
import ctypes
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

NOBODY = 65534
libc = ctypes.CDLL(None, use_errno=True)


def run_json(argv):
    out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=30).stdout
    return json.loads(out)


def test_acting_thread_and_its_new_credentials(bombusd, test_program):
    """A second thread becomes nobody (its own credentials only), renames
    itself and submits an io_uring openat of /etc/shadow: the events name that
    thread and uid 65534, not the main thread and root."""
    since = bombusd.mark()
    ids = run_json([test_program("acting-thread")])
    pid, tid = ids["pid"], ids["tid"]
    assert tid != pid
    bombusd.wait_event("ProcessExit", pid, since=since)
    # IOUringMon's ring is read apart from ProcMon's: its event may come
    # after the exit
    bombusd.wait_event("IOUringEvent", pid, since=since)
    events = bombusd.events_of(pid, since=since)

    opens = [e for e in events if e["type"] == "IOUringEvent" and e["opcode"] == "IORING_OP_OPENAT"]
    assert len(opens) == 1, events
    process = opens[0]["process"]
    assert (process["tid"], process["uid"], process["euid"]) == (tid, NOBODY, NOBODY)
    assert process["gid"] == 0  # only the uids changed
    assert opens[0]["op_info"]["path"] == "/etc/shadow"

    # the thread's PR_SET_NAME (a sanitizer runtime makes prctl calls of its own)
    prctl = [e for e in events if e["type"] == "ProcessEvent" and e["process_event"]["type"] == "Prctl"
             and "PrSetName" in e["process_event"]["cmd"]]
    assert [(e["process"]["tid"], e["process"]["uid"]) for e in prctl] == [(tid, NOBODY)]
    # the change itself: the credentials before it in "process", the new
    # ones in "process_event"
    setuid = [e for e in events if e["type"] == "ProcessEvent" and e["process_event"]["type"] == "Setuid"]
    assert len(setuid) == 1
    assert (setuid[0]["process"]["tid"], setuid[0]["process"]["uid"]) == (tid, 0)
    assert setuid[0]["process_event"]["uid"] == NOBODY
    # the process's exec is unchanged: its main thread, root
    exec_ = [e for e in events if e["type"] == "ProcessExec"]
    assert [(e["process"]["tid"], e["process"]["uid"]) for e in exec_] == [(pid, 0)]


SEEDED_PAIR = r"""
import ctypes, os, sys, time
libc = ctypes.CDLL(None)
go = sys.argv[1]
def wait_and_rename(name, marker):
    while not os.path.exists(marker):
        time.sleep(0.01)
    libc.prctl(15, name, 0, 0, 0)  # PR_SET_NAME
child = os.fork()
if child == 0:
    wait_and_rename(b"seeded-child", go + ".child")
    os._exit(0)
print(child, flush=True)
wait_and_rename(b"seeded-parent", go + ".parent")
os.waitpid(child, 0)
"""


def test_processes_started_before_bombusd_keep_their_parent(start_bombusd, tmp_path):
    """A parent and child both seeded from /proc: once an event of the parent
    was handled (in the old model that refined the parent's start time in
    place), the child's events must still name the parent."""
    go = str(tmp_path / "go")
    parent = subprocess.Popen(["/usr/bin/python3", "-c", SEEDED_PAIR, go], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        daemon = start_bombusd()
        since = daemon.mark()
        Path(go + ".parent").touch()
        daemon.wait_for(lambda e: e["type"] == "ProcessEvent" and e["process"]["pid"] == parent.pid,
                        since=since, what="the parent's prctl")
        Path(go + ".child").touch()
        event = daemon.wait_for(lambda e: e["type"] == "ProcessEvent" and e["process"]["pid"] == child,
                                since=since, what="the child's prctl")
        assert parent.wait(30) == 0
    finally:
        parent.kill()
        parent.wait()
    assert event["parent"] is not None, "the seeded child lost its seeded parent"
    assert event["parent"]["pid"] == parent.pid
    assert event["process"]["ppid"] == parent.pid


PTRACE_IN_PIDNS = r"""
import ctypes, os, subprocess, sys, time
libc = ctypes.CDLL(None, use_errno=True)
target = subprocess.Popen(["sleep", sys.argv[1]])
print(target.pid, flush=True)          # its pid in this namespace
# Popen returns once exec closed the descriptors, before the kernel has
# finished the exec (and sent its record): an attach then names the process
# before its exec, rightly. Let it finish.
time.sleep(0.3)
assert libc.ptrace(16, target.pid, None, None) == 0, ctypes.get_errno()   # PTRACE_ATTACH
os.waitpid(target.pid, 0)
assert libc.ptrace(17, target.pid, None, None) == 0                       # PTRACE_DETACH
local, remote = ctypes.create_string_buffer(8), ctypes.create_string_buffer(8)
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
# process_vm_readv of an address that is not mapped: it fails after the
# access check, which is what the hook sees
libc.process_vm_readv(target.pid, ctypes.byref(iovec(ctypes.addressof(local), 8)), 1,
                      ctypes.byref(iovec(8, 8)), 1, 0)
sys.stdin.readline()                   # the test has found the target's pid
target.kill()
target.wait()
"""


def global_pid_of(marker):
    """The pid, as this (the initial) pid namespace sees it, of the live
    process whose command line is @marker."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").strip() == marker.encode():
                    return int(entry)
            except OSError:
                pass
    return None


def test_ptrace_target_from_inside_a_pid_namespace(bombusd):
    """gdb -p 2 inside a container means the container's pid 2: the event's
    child must be that process (by its pid here), or null where bombusd cannot
    know it; never the host's pid 2."""
    seconds = f"{time.monotonic_ns() % 1000 + 1000}.5"
    since = bombusd.mark()
    proc = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", "/usr/bin/python3", "-c",
                             PTRACE_IN_PIDNS, seconds], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ns_pid = int(proc.stdout.readline())
        deadline = time.monotonic() + 10
        while (target := global_pid_of(f"sleep {seconds}")) is None:
            assert time.monotonic() < deadline, "the traced sleep was not found"
            time.sleep(0.01)
        proc.stdin.write("found\n")
        proc.stdin.close()
        assert proc.wait(30) == 0
    finally:
        proc.kill()
        proc.wait()
    assert target != ns_pid
    tracer = bombusd.wait_for(lambda e: e["type"] == "ProcessEvent"
                              and e["process_event"]["type"] == "PtraceAccessCheck"
                              and "PTRACE_MODE_ATTACH" in e["process_event"]["mode"]
                              and e["process"]["filename"].startswith("python3"),
                              since=since, what="the attach from the pid namespace")
    tracer_pid = tracer["process"]["pid"]
    bombusd.wait_event("ProcessExit", tracer_pid, since=since)
    checks = [e["process_event"] for e in bombusd.events_of(tracer_pid, "ProcessEvent", since=since)
              if e["process_event"]["type"] == "PtraceAccessCheck"
              and "PTRACE_MODE_ATTACH" in e["process_event"]["mode"]]
    assert checks
    named = [c["child"]["pid"] for c in checks if c["child"] is not None]
    assert named, f"no attach named its target: {checks}"
    assert set(named) == {target}, f"the target is {target} (pid {ns_pid} in its namespace): {checks}"
    assert all(c["child"]["filename"] == "sleep" for c in checks if c["child"] is not None), checks


def test_chroot_paths_follow_one_rule(start_bombusd):
    """A shell in a chroot started before bombusd (read from /proc) and the
    program it runs afterwards (from the kernel's records): both paths from
    the top of the mount namespace, not from the chroot."""
    busybox = Path("/bin/busybox")
    assert busybox.exists(), "busybox-static is missing: tools/install-deps installs it"
    root = Path(tempfile.mkdtemp(prefix="bombus-chroot-", dir="/var/tmp"))
    try:
        (root / "usr" / "bin").mkdir(parents=True)
        shutil.copy(busybox, root / "usr" / "bin" / "busybox")
        os.mkfifo(root / "go")
        shell = subprocess.Popen(["chroot", str(root), "/usr/bin/busybox", "sh", "-c",
                                  "read x < /go; /usr/bin/busybox true chroot-marker; exit 0"])
        try:
            daemon = start_bombusd()
            since = daemon.mark()
            (root / "go").write_text("go\n")
            assert shell.wait(30) == 0
        finally:
            shell.kill()
            shell.wait()
        exec_ = daemon.wait_event("ProcessExec", since=since, args="true chroot-marker")
    finally:
        shutil.rmtree(root)
    expected = f"{root}/usr/bin/busybox"
    assert exec_["process"]["binary_path"] == expected
    assert exec_["parent"]["pid"] == shell.pid
    assert exec_["parent"]["binary_path"] == expected
