"""Threads: only processes are reported. A new thread emits nothing, a
process exits once, and a thread that execs keeps the process's identity."""
import os
import subprocess
import sys
import time

import procinfo
from procinfo import assert_fields
from runner import TIMEOUT, types

# Prints the kernel id of a thread it starts and joins.
THREAD = """
import threading
ids = []
t = threading.Thread(target=lambda: ids.append(threading.get_native_id()))
t.start(); t.join()
print(ids[0])
"""
# Starts four threads that stay alive, then ends the process from main.
THREADS_AT_EXIT = """
import os, threading
stop = threading.Event()
for _ in range(8):
    threading.Thread(target=stop.wait, daemon=True).start()
os._exit(0)
"""
# A thread, not main, calls exec.
EXEC_FROM_THREAD = """
import os, threading
threading.Thread(target=os.execv, args=("/usr/bin/true", ["true", "from-thread"])).start()
threading.Event().wait()
"""


def exits_of(bombusd, clone, since):
    """ProcessExit events of the process @clone announced (same pid and
    start, so a reused pid does not count)."""
    p = clone["process"]
    return [e for e in bombusd.events_of(p["pid"], "ProcessExit", since)
            if e["process"]["start_time"] == p["start_time"]]


def test_thread_creation_emits_nothing(bombusd):
    since = bombusd.mark()
    child = subprocess.run([sys.executable, "-c", THREAD], capture_output=True, text=True, check=True,
                           timeout=TIMEOUT)
    thread = int(child.stdout)
    assert thread != 0
    # The child's pid is unknown to subprocess.run: find it by its exec.
    exec_ = bombusd.wait_event("ProcessExec", since=since, args=f"-c {THREAD}")
    pid = exec_["process"]["pid"]
    assert thread != pid
    events = bombusd.lifecycle(pid, since)
    assert types(events) == ["ProcessClone", "ProcessExec", "ProcessExit"], events
    assert bombusd.events_of(thread, since=since) == [], "a thread was reported as a process"


def test_multithreaded_process_exits_once(bombusd):
    # Threads exiting together on several CPUs can each see the process's
    # live count at zero (seen on 6.1): a few rounds give the race its chance.
    for _ in range(8):
        since = bombusd.mark()
        _, events = bombusd.run([sys.executable, "-c", THREADS_AT_EXIT])
        assert types(events) == ["ProcessClone", "ProcessExec", "ProcessExit"], events
        bombusd.sync()
        assert len(exits_of(bombusd, events[0], since)) == 1


def test_exec_from_a_thread(bombusd):
    child, events = bombusd.run([sys.executable, "-c", EXEC_FROM_THREAD])
    assert types(events) == ["ProcessClone", "ProcessExec", "ProcessExec", "ProcessExit"], events
    clone, python, true, exit_ = events
    assert python["process"]["binary_path"] == os.readlink("/proc/self/exe")
    # The exec'ing thread becomes the leader: the process keeps its pid and
    # start time.
    assert_fields(true["process"], procinfo.child_of_this_process(
        child.pid, filename="true", binary_path="/usr/bin/true", args="from-thread"))
    assert {e["process"]["start_time"] for e in events} == {clone["process"]["start_time"]}
    assert exit_["process"] == true["process"]


def wait_leader_zombie(pid):
    deadline = time.monotonic() + TIMEOUT
    while True:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        if stat[stat.rindex(")") + 2] == "Z":
            return
        assert time.monotonic() < deadline, f"the leader of {pid} did not exit"
        time.sleep(0.01)  # nothing to wait on for a thread's exit


def test_leader_exits_before_the_last_thread(bombusd, test_program):
    program = test_program("leader-exit")
    since = bombusd.mark()
    child = subprocess.Popen([program], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        thread = int(child.stdout.readline())
        wait_leader_zombie(child.pid)
        bombusd.sync()
        assert bombusd.events_of(child.pid, "ProcessExit", since) == [], \
            "ProcessExit when the leader left, while a thread still runs"
        child.stdin.close()
        assert child.wait(TIMEOUT) == 0
    finally:
        child.kill()
        child.wait()
    events = bombusd.lifecycle(child.pid, since)
    assert types(events) == ["ProcessClone", "ProcessExec", "ProcessExit"], events
    assert_fields(events[-1]["process"], procinfo.child_of_this_process(
        child.pid, filename="leader-exit", binary_path=program, args=""))
    assert bombusd.events_of(thread, since=since) == []
    bombusd.sync()
    assert len(exits_of(bombusd, events[0], since)) == 1


def test_uncached_multithreaded_process_exits_once(start_bombusd, tmp_path):
    """The same for a process the cache refused (a cache of one entry): it
    has no cache entry to remember its exit, and once made two ProcessExits.
    The kernel sends the exit of a process once (bpf/procmon.bpf.c)."""
    config = tmp_path / "bombusd.conf"
    config.write_text("[Daemon]\nProcessCacheSize=1\n")
    daemon = start_bombusd([f"--config={config}"])
    for _ in range(8):
        since = daemon.mark()
        child = subprocess.Popen([sys.executable, "-c", THREADS_AT_EXIT])
        assert child.wait(TIMEOUT) == 0
        daemon.wait_event("ProcessExit", child.pid, since=since)
        # sync() cannot be used: its marker's exit, uncached too, has no args
        # to be told by. A second exit would follow within a ring poll (100 ms).
        time.sleep(0.5)
        assert len(daemon.events_of(child.pid, "ProcessExit", since)) == 1
    assert "full_refusals=0" not in daemon.counters_now()
