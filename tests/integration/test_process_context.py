"""Process context (docs/events.md): the cgroup, unit, slice, container and
namespaces of each process, read in the kernel with the event, and exec_id /
parent_exec_id. Real cgroup2 hierarchies made here, shaped as systemd and the
container runtimes make them; processes moved into them exec, clone, change
credentials and submit io_uring requests."""
import os
import subprocess
import time

import pytest

from cgroups import CONTAINER_ID, Cgroup, cgroup2_mount, cgroup_of
from runner import ROOT, TIMEOUT

BUILD = __import__("pathlib").Path(os.environ.get("BOMBUSD", ROOT / "build" / "daemon" / "bombusd")).resolve().parents[1]
AGENT = BUILD / "tests" / "programs" / "iouring-agent"
NAMESPACES = ("pid", "mnt", "net", "user", "uts", "ipc", "cgroup")
POD = "pod0d1e2f3a_4b5c_6d7e_8f90_a1b2c3d4e5f6"

# (cgroup below the root, unit, slice, container_id); None: no such field
SHAPES = [
    ("system.slice/bombus-test.service", "bombus-test.service", "system.slice", None),
    ("user.slice/user-4242.slice/session-4242.scope", "session-4242.scope", "user-4242.slice", None),
    ("user.slice/user-4242.slice/user@4242.service/app.slice/app-bombus\\x2dtest-1.scope",
     "user@4242.service", "user-4242.slice", None),
    (f"system.slice/docker-{CONTAINER_ID}.scope", f"docker-{CONTAINER_ID}.scope", "system.slice", CONTAINER_ID),
    (f"machine.slice/libpod-{CONTAINER_ID}.scope/container", f"libpod-{CONTAINER_ID}.scope", "machine.slice",
     CONTAINER_ID),
    (f"kubepods.slice/kubepods-burstable.slice/kubepods-burstable-{POD}.slice/cri-containerd-{CONTAINER_ID}.scope",
     f"cri-containerd-{CONTAINER_ID}.scope", f"kubepods-burstable-{POD}.slice", CONTAINER_ID),
    (f"bombus-it/docker/{CONTAINER_ID}", None, None, CONTAINER_ID),  # cgroupfs driver shape
    ("bombus-it/plain", None, None, None),  # not systemd's, no container
]


def own_namespaces():
    return {ns: os.stat(f"/proc/self/ns/{ns}").st_ino for ns in NAMESPACES}


def assert_context(process, cgroup, unit, slice_, container, what):
    expected = {"cgroup": cgroup.name, "cgroup_id": cgroup.id, "unit": unit, "slice": slice_,
                "container_id": container}
    got = {key: process.get(key) for key in expected}
    assert got == expected, f"{what}: context {got}, expected {expected}\n{process}"
    assert process["namespaces"] == own_namespaces(), what
    assert process["in_init_pid_ns"] is True and "vpid" not in process, what


@pytest.fixture(scope="module")
def cgroup2():
    mount = cgroup2_mount()
    if mount is None:
        pytest.skip("no cgroup2 hierarchy is mounted here")
    return mount


@pytest.mark.parametrize("shape", SHAPES, ids=[s[0].split("/")[-1][:40] for s in SHAPES])
def test_context_of_cgroup(bombusd, cgroup2, tmp_path, shape):
    relative, unit, slice_, container = shape
    mark = f"ctx-{os.getpid()}-{time.monotonic_ns()}"
    script = (f"/usr/bin/true {mark}; "
              f"setpriv --reuid=65534 /usr/bin/true {mark}-setuid; "
              f"{AGENT} {tmp_path} >/dev/null")
    since = bombusd.mark()
    with Cgroup(relative) as cgroup:
        outer = subprocess.Popen(cgroup.enter_command(["sh", "-c", script]))
        assert outer.wait(TIMEOUT) == 0
        bombusd.wait_for(lambda e: e["type"] == "IOUringEvent" and e["opcode"] == "IORING_OP_UNLINKAT"
                         and e["process"]["ppid"] == outer.pid, since=since, what="the agent's unlinkat")
        bombusd.wait_for(lambda e: e["type"] == "ProcessExit" and e["process"]["pid"] == outer.pid,
                         since=since, what="the shell's exit")
        bombusd.sync()
        # The shell's events from its exec in the cgroup on, its children's all.
        inner = f"-c /usr/bin/true {mark};"
        events = [e for e in bombusd.events[since:]
                  if (e["process"]["pid"] == outer.pid and e["process"]["args"].startswith(inner))
                  or e["process"]["ppid"] == outer.pid]
        sh = os.path.basename(os.path.realpath("/bin/sh"))
        kinds = {(e["type"], e["process"].get("filename")) for e in events}
        for kind in [("ProcessExec", sh), ("ProcessClone", sh), ("ProcessExec", "true"),
                     ("ProcessExec", "setpriv"), ("ProcessEvent", "setpriv"), ("IOUringEvent", "iouring-agent"),
                     ("ProcessExit", "true"), ("ProcessExit", sh)]:
            assert kind in kinds, f"no {kind} among {sorted(kinds)}"
        for e in events:
            what = f"{e['type']} of {e['process']['filename']}"
            assert_context(e["process"], cgroup, unit, slice_, container, what)
            parent = e["parent"]
            if parent and parent["pid"] == outer.pid and parent["args"].startswith(inner):
                assert_context(parent, cgroup, unit, slice_, container, f"parent in {what}")
        assert "Setuid" in [e["process_event"]["type"] for e in events if e["type"] == "ProcessEvent"]


def test_moved_process_shows_where_it_is_now(bombusd, cgroup2):
    """A process moved by its manager: each event shows its cgroup then."""
    mark = f"moved-{os.getpid()}-{time.monotonic_ns()}"
    since = bombusd.mark()
    with Cgroup("system.slice/bombus-first.service") as first, Cgroup("system.slice/bombus-second.service") as second:
        shell = subprocess.Popen(first.enter_command(["sh", "-c", f"read x; /usr/bin/true {mark}"]),
                                 stdin=subprocess.PIPE)
        # its exec once in the first (not the one before, that moves it there)
        bombusd.wait_for(lambda e: e["type"] == "ProcessExec" and e["process"]["pid"] == shell.pid
                         and e["process"]["args"].startswith("-c read x;"), since=since, what="the shell's exec")
        (second.path / "cgroup.procs").write_text(str(shell.pid))
        shell.communicate(b"go\n", timeout=TIMEOUT)
        exec_ = bombusd.wait_event("ProcessExec", since=since, args=mark)
        exit_ = bombusd.wait_event("ProcessExit", shell.pid, since=since)
        assert exec_["process"]["unit"] == "bombus-second.service"
        assert exec_["parent"]["unit"] == "bombus-first.service"  # its snapshot: at its exec
        assert exit_["process"]["unit"] == "bombus-second.service"
        assert exit_["process"]["cgroup_id"] == second.id


def test_namespaces_and_vpid(bombusd):
    since = bombusd.mark()
    mark = f"ns-{os.getpid()}-{time.monotonic_ns()}"
    unshare = subprocess.Popen(["unshare", "--pid", "--fork", "--net", "--uts", "--ipc", "/usr/bin/true", mark])
    assert unshare.wait(TIMEOUT) == 0
    exec_ = bombusd.wait_event("ProcessExec", since=since, args=mark)
    process, ours = exec_["process"], own_namespaces()
    assert process["in_init_pid_ns"] is False and process["vpid"] == 1, process
    assert process["pid"] != 1
    for ns in ("pid", "net", "uts", "ipc"):
        assert process["namespaces"][ns] != ours[ns], ns
    for ns in ("mnt", "user", "cgroup"):
        assert process["namespaces"][ns] == ours[ns], ns
    # its parent, unshare, forked it into the new namespaces and stayed out
    assert exec_["parent"]["in_init_pid_ns"] is True
    assert exec_["parent"]["namespaces"]["pid"] == ours["pid"]
    if cgroup2_mount():
        assert process["cgroup"] == cgroup_of()


def tree_events(bombusd, root_pid, since):
    """Events of @root_pid and its descendants (by ppid links)."""
    pids, out = {root_pid}, []
    for e in bombusd.events[since:]:
        if e["process"]["ppid"] in pids and e["type"] == "ProcessClone":
            pids.add(e["process"]["pid"])
        if e["process"]["pid"] in pids:
            out.append(e)
    return out


def test_exec_ids_of_a_process_tree(bombusd):
    mark = f"tree-{os.getpid()}-{time.monotonic_ns()}"
    since = bombusd.mark()
    root = subprocess.Popen(["sh", "-c", f"sh -c '/usr/bin/true {mark}; /usr/bin/true {mark}'; /usr/bin/true {mark}"])
    assert root.wait(TIMEOUT) == 0
    bombusd.wait_event("ProcessExit", root.pid, since=since)
    bombusd.sync()
    events = tree_events(bombusd, root.pid, since)
    assert len([e for e in events if e["type"] == "ProcessExec"]) >= 5, events
    current = {}  # pid: exec_id of its latest exec or clone
    for e in events:
        process, parent = e["process"], e["parent"]
        pid = process["pid"]
        assert process["exec_id"].split(":")[1] == str(pid)
        if parent is not None:
            assert process["parent_exec_id"] == parent["exec_id"], e
        if process["ppid"] in current:
            assert process["parent_exec_id"] == current[process["ppid"]], e
        if e["type"] == "ProcessClone":
            assert pid not in current
        elif e["type"] == "ProcessExec":
            before = current[pid].split(":")
            after = process["exec_id"].split(":")
            # the same process (pid, start), one more exec
            assert after[:3] == before[:3] and int(after[3]) == int(before[3]) + 1, (before, after)
        else:
            assert process["exec_id"] == current[pid], e
        current[pid] = process["exec_id"]
    assert len(set(current.values())) == len(current)


def test_exec_id_unique_across_pid_reuse(bombusd):
    """The kernel is made to give a pid again (ns_last_pid); the two
    processes of that pid have different exec_ids."""
    since = bombusd.mark()
    first = subprocess.Popen(["/usr/bin/true", "reuse-first"])
    first.wait(TIMEOUT)
    for attempt in range(200):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(first.pid - 1))
        again = subprocess.Popen(["/usr/bin/true", f"reuse-again-{attempt}"])
        again.wait(TIMEOUT)
        if again.pid == first.pid:
            break
    else:
        pytest.fail(f"pid {first.pid} was not given again in 200 tries")
    one = bombusd.wait_event("ProcessExec", first.pid, since=since, args="reuse-first")
    two = bombusd.wait_event("ProcessExec", first.pid, since=since, args=f"reuse-again-{attempt}")
    assert one["process"]["exec_id"] != two["process"]["exec_id"]
    ids = {e["process"]["exec_id"] for e in bombusd.events[since:] if e["process"]["pid"] == first.pid}
    # a clone and an exec for each of the two
    assert len(ids) == 4, ids


def test_exec_id_same_across_restart(start_bombusd):
    """A process seen exec by one bombusd has the same exec_id in the next
    one's events; a new process gets a new one."""
    first = start_bombusd()
    since = first.mark()
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        exec_ = first.wait_event("ProcessExec", sleeper.pid, since=since)
        first.stop()
        second = start_bombusd()
        since = second.mark()
        sleeper.kill()
        sleeper.wait()
        exit_ = second.wait_event("ProcessExit", sleeper.pid, since=since)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert exit_["process"]["exec_id"] == exec_["process"]["exec_id"]
    assert exit_["process"]["parent_exec_id"] == exec_["process"]["parent_exec_id"]
    seen = {e["process"]["exec_id"] for e in first.events}
    later = subprocess.Popen(["/usr/bin/true", "after-restart"])
    later.wait(TIMEOUT)
    new = second.wait_event("ProcessExec", later.pid, since=since, args="after-restart")
    assert new["process"]["exec_id"] not in seen



ATTACH_AND_DETACH = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
pid = int(sys.argv[1])
assert libc.ptrace(16, pid, None, None) == 0, ctypes.get_errno()   # PTRACE_ATTACH
os.waitpid(pid, 0)
assert libc.ptrace(17, pid, None, None) == 0                       # PTRACE_DETACH
"""
CONTEXT = ("exec_id", "parent_exec_id", "cgroup", "cgroup_id", "unit", "slice", "container_id", "namespaces",
           "in_init_pid_ns", "vpid")


@pytest.mark.parametrize("shape", [SHAPES[0], SHAPES[3]], ids=["unit", "docker"])
def test_ptrace_child_has_the_traced_process_context(bombusd, cgroup2, shape):
    """The child of a PtraceAccessCheck carries the traced process's context
    (not the tracer's): the same exec_id, cgroup, unit, container and
    namespaces as the traced process's own ProcessExec. It runs in a unit or
    container cgroup and in uts and ipc namespaces of its own; the tracer,
    outside both, in the test's."""
    relative, unit, slice_, container = shape
    seconds = f"{time.monotonic_ns() % 1000 + 2000}.5"
    since = bombusd.mark()
    with Cgroup(relative) as cgroup:
        expected = {"cgroup": cgroup.name, "cgroup_id": cgroup.id, "unit": unit, "slice": slice_,
                    "container_id": container}
        target = subprocess.Popen(cgroup.enter_command(["unshare", "--uts", "--ipc", "sleep", seconds]))
        try:
            exec_ = bombusd.wait_for(lambda e: e["type"] == "ProcessExec" and e["process"]["pid"] == target.pid
                                     and e["process"]["filename"] == "sleep", since=since, what="the target's exec")
            tracer = subprocess.Popen(["/usr/bin/python3", "-c", ATTACH_AND_DETACH, str(target.pid)])
            assert tracer.wait(TIMEOUT) == 0
            bombusd.wait_event("ProcessExit", tracer.pid, since=since)
        finally:
            target.kill()
            target.wait()
    checks = [e for e in bombusd.events_of(tracer.pid, "ProcessEvent", since=since)
              if e["process_event"]["type"] == "PtraceAccessCheck" and "PTRACE_MODE_ATTACH" in e["process_event"]["mode"]
              and e["process_event"]["child"] and e["process_event"]["child"]["pid"] == target.pid]
    assert checks, bombusd.events_of(tracer.pid, since=since)
    target_process = exec_["process"]
    assert {k: target_process.get(k) for k in expected} == expected, target_process
    for check in checks:
        child = check["process_event"]["child"]
        assert {k: child.get(k) for k in CONTEXT} == {k: target_process.get(k) for k in CONTEXT}, (child, target_process)
        assert check["process"]["cgroup"] != expected["cgroup"] and check["process"]["exec_id"] != child["exec_id"]
        for ns in ("uts", "ipc"):
            assert child["namespaces"][ns] != check["process"]["namespaces"][ns], ns
