"""ProcessExec, ProcessClone and ProcessExit from real programs, field by field."""
import os
import subprocess
import time

import procinfo
from procinfo import assert_fields, assert_recent, assert_this_process
from runner import types


def test_ls_clone_exec_exit(bombusd):
    t0 = time.time()
    child, events = bombusd.run(["/usr/bin/ls", "-lah"], stdout=subprocess.DEVNULL)
    t1 = time.time()
    assert types(events) == ["ProcessClone", "ProcessExec", "ProcessExit"], events
    clone, exec_, exit_ = events

    # The clone, before exec: a copy of the test process.
    me = procinfo.this_process()
    assert_fields(clone["process"], {
        **{k: me[k] for k in ("uid", "euid", "gid", "egid", "auid", "cap_inheritable", "cap_permitted",
                              "cap_effective", "filename", "binary_path", "args")},
        "pid": child.pid, "tid": child.pid, "ppid": os.getpid(), "cloned": True, "secureexec": "",
    }, "ProcessClone process")
    assert_this_process(clone["parent"], "ProcessClone parent")

    assert list(exec_)[0] == "type"
    assert_fields(exec_["process"], procinfo.child_of_this_process(
        child.pid, filename="ls", binary_path="/usr/bin/ls", args="-lah"), "ProcessExec process")
    assert_this_process(exec_["parent"], "ProcessExec parent")
    assert exec_["process"]["start_time"] == clone["process"]["start_time"], "one process, one start"
    assert_recent(exec_["process"]["start_time"], t0, t1)
    assert_recent(exec_["timestamp"], t0, t1)
    assert clone["timestamp"] <= exec_["timestamp"] <= exit_["timestamp"]

    # The exit shows the process as it was after exec.
    assert exit_["process"] == exec_["process"]
    assert_this_process(exit_["parent"], "ProcessExit parent")


def test_fork_without_exec(bombusd):
    since = bombusd.mark()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    events = bombusd.lifecycle(pid, since)
    assert types(events) == ["ProcessClone", "ProcessExit"], events
    clone, exit_ = events
    expected = procinfo.this_process()
    expected.update(pid=pid, tid=pid, ppid=os.getpid(), cloned=True)
    assert_fields(clone["process"], expected, "ProcessClone process")
    assert_this_process(clone["parent"], "ProcessClone parent")
    assert exit_["process"] == clone["process"]
    assert_this_process(exit_["parent"], "ProcessExit parent")


def test_sh_resolves_to_the_real_binary(bombusd):
    real = os.path.realpath("/bin/sh")
    assert real != "/bin/sh", "/bin/sh is not a link here: the test would prove nothing"
    child, events = bombusd.run(["/bin/sh", "-c", "true"])
    assert types(events) == ["ProcessClone", "ProcessExec", "ProcessExit"], events
    assert_fields(events[1]["process"], procinfo.child_of_this_process(
        child.pid, filename=os.path.basename(real), binary_path=real, args="-c true"))
    # Debian's /bin/sh, as the issue names it.
    if os.path.exists("/usr/bin/dash") and os.path.samefile("/bin/sh", "/usr/bin/dash"):
        assert events[1]["process"]["binary_path"] == "/usr/bin/dash"


def test_parent_started_before_bombusd_comes_from_proc(start_bombusd):
    script = "read line; /usr/bin/true from-seeded-parent; echo done"
    shell = subprocess.Popen(["/bin/sh", "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        daemon = start_bombusd()
        seeded = procinfo.proc_process(shell.pid)  # what bombusd read (the shell waits)
        started = procinfo.proc_start_time(shell.pid)
        since = daemon.mark()
        out, _ = shell.communicate(b"go\n", timeout=procinfo.TIMEOUT)
    finally:
        shell.kill()
        shell.wait()
    assert out == b"done\n"
    exec_ = daemon.wait_event("ProcessExec", since=since, ppid=shell.pid, args="from-seeded-parent")
    assert_fields(exec_["process"], procinfo.child_of_this_process(
        exec_["process"]["pid"], ppid=shell.pid, filename="true", binary_path="/usr/bin/true",
        args="from-seeded-parent"))
    parent = exec_["parent"]
    assert parent is not None, "the parent started before bombusd is unknown: /proc seed missing"
    assert_fields(parent, {**seeded, "cloned": False, "secureexec": ""}, "seeded parent")
    assert seeded["binary_path"] == os.path.realpath("/bin/sh")
    assert seeded["args"] == f"-c {script}"
    assert seeded["ppid"] == os.getpid()
    assert abs(procinfo.parse_time(parent["start_time"]) - started) < procinfo.TICK + 0.02
    clone = daemon.wait_event("ProcessClone", exec_["process"]["pid"], since=since)
    assert clone["parent"] == parent
    # Its exit shows what /proc said, too; only its own record knows its
    # parent's exec count (parent_exec_id): /proc does not tell it.
    exit_ = daemon.wait_event("ProcessExit", shell.pid, since=since)
    assert "parent_exec_id" not in parent
    assert {k: v for k, v in exit_["process"].items() if k != "parent_exec_id"} == parent
    assert exit_["process"]["parent_exec_id"].split(":")[1] == str(os.getpid())


def test_process_started_before_bombusd_execs(start_bombusd):
    shell = subprocess.Popen(["/bin/sh", "-c", "read line; exec /usr/bin/true seeded-exec"],
                             stdin=subprocess.PIPE)
    try:
        daemon = start_bombusd()
        started = procinfo.proc_start_time(shell.pid)
        since = daemon.mark()
        shell.communicate(b"go\n", timeout=procinfo.TIMEOUT)
    finally:
        shell.kill()
        shell.wait()
    exec_ = daemon.wait_event("ProcessExec", shell.pid, since=since)
    assert_fields(exec_["process"], procinfo.child_of_this_process(
        shell.pid, filename="true", binary_path="/usr/bin/true", args="seeded-exec"))
    assert abs(procinfo.parse_time(exec_["process"]["start_time"]) - started) < procinfo.TICK + 0.02
    assert_this_process(exec_["parent"])
    assert daemon.wait_event("ProcessExit", shell.pid, since=since)["process"] == exec_["process"]


def test_times_are_utc_with_milliseconds(start_bombusd):
    # Far from UTC: a local-time rendering would be hours off.
    daemon = start_bombusd(env={"TZ": "Asia/Kathmandu"})
    t0 = time.time()
    _, events = daemon.run(["/usr/bin/true"])
    t1 = time.time()
    for event in events:
        for text in (event["timestamp"], event["process"]["start_time"]):
            assert procinfo.ISO8601_MS.match(text), text
            assert_recent(text, t0, t1)
    exec_ = next(e for e in events if e["type"] == "ProcessExec")
    assert exec_["process"]["start_time"] <= exec_["timestamp"]
    assert events[0]["type"] == "ProcessClone"
    assert events[0]["timestamp"] <= exec_["timestamp"] <= events[-1]["timestamp"]
