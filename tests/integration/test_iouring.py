"""IOUringEvent from a program doing through io_uring what an agent does
(tests/programs/iouring-agent.c), on a plain and on an SQPOLL ring."""
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BOMBUS_BUILD", ROOT / "build"))
AGENT = BUILD / "tests" / "programs" / "iouring-agent"
STORM = BUILD / "bench" / "iouring-storm"
MEMBERS = ["type", "process", "parent", "opcode", "op_info", "timestamp"]


def run_agent(directory, sqpoll):
    args = [str(AGENT), *(["--sqpoll"] if sqpoll else []), str(directory)]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def agent_events(daemon, pid):
    """The agent's IOUringEvents, once its last request (the unlinkat) is in:
    all earlier ones were queued before it in the same ring."""
    daemon.wait_for(lambda e: e["type"] == "IOUringEvent" and e["process"]["pid"] == pid
                    and e["opcode"] == "IORING_OP_UNLINKAT", what=f"IORING_OP_UNLINKAT of pid {pid}")
    return [e for e in daemon.events_of(pid) if e["type"] == "IOUringEvent"]


def expected_ops(agent):
    created = agent["created"]
    return [
        ("IORING_OP_NOP", None),
        ("IORING_OP_OPENAT", {"path": "/etc/passwd", "access_flags": "O_RDONLY", "creation_flags": "O_LARGEFILE"}),
        ("IORING_OP_OPENAT2",
         {"path": created, "access_flags": "O_WRONLY", "creation_flags": "O_CREAT | O_EXCL | O_LARGEFILE"}),
        ("IORING_OP_STATX", {"path": created}),
        # accept: the listening socket's own address (docs/iouringmon.md)
        ("IORING_OP_ACCEPT", {"addr": "127.0.0.1", "port": agent["port4"]}),
        ("IORING_OP_CONNECT", {"addr": "127.0.0.1", "port": agent["port4"]}),
        ("IORING_OP_ACCEPT", {"addr": "::1", "port": agent["port6"]}),  # a fixed file
        ("IORING_OP_CONNECT", {"addr": "::1", "port": agent["port6"]}),
        ("IORING_OP_CONNECT", {"addr": agent["unix"]}),
        ("IORING_OP_UNLINKAT", {"path": created}),
    ]


@pytest.mark.parametrize("sqpoll", [False, True], ids=["plain-ring", "sqpoll-ring"])
def test_agent_requests(shared_bombusd, tmp_path, sqpoll):
    agent = run_agent(tmp_path, sqpoll)
    events = agent_events(shared_bombusd, agent["pid"])
    assert [(e["opcode"], e.get("op_info")) for e in events] == expected_ops(agent)
    for e in events:
        # SQPOLL requests are submitted by the ring's kernel thread, a thread
        # of the process that owns it: tid names it
        process = e["process"]
        assert process["pid"] == agent["pid"]
        if sqpoll:
            assert process["tid"] != agent["pid"]
        else:
            assert process["tid"] == agent["pid"]
        assert process["binary_path"] == str(AGENT.resolve())
        assert process["filename"] == "iouring-agent"
        assert process["args"] == ("--sqpoll " if sqpoll else "") + str(tmp_path)
        assert process["ppid"] == os.getpid()
        assert process["uid"] == os.getuid()
        assert e["parent"]["pid"] == os.getpid()
        assert list(e) == [m for m in MEMBERS if m != "op_info" or e["opcode"] != "IORING_OP_NOP"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["timestamp"])


def test_opcode_selection(start_bombusd, tmp_path):
    daemon = start_bombusd(["--iouring-opcodes=openat,IORING_OP_UNLINKAT"])
    agent = run_agent(tmp_path, False)
    events = agent_events(daemon, agent["pid"])
    assert [e["opcode"] for e in events] == ["IORING_OP_OPENAT", "IORING_OP_UNLINKAT"]


def test_opcode_left_out(start_bombusd, tmp_path):
    daemon = start_bombusd(["--iouring-opcodes=-NOP"])
    agent = run_agent(tmp_path, True)
    events = agent_events(daemon, agent["pid"])
    assert [e["opcode"] for e in events] == [op for op, _ in expected_ops(agent) if op != "IORING_OP_NOP"]


def test_unknown_opcode_name_is_refused():
    proc = subprocess.run([os.environ.get("BOMBUSD", str(BUILD / "daemon" / "bombusd")), "--stdout",
                           "--iouring-opcodes=OPENAT,FROBNICATE"], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "'FROBNICATE' is no io_uring opcode of this kernel" in proc.stderr


def lost_counters(stderr):
    line = [l for l in stderr.splitlines() if "counters:" in l][-1]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


@pytest.mark.load
def test_nop_flood_does_not_cost_process_events(start_bombusd, tmp_path):
    """A NOP flood overflows IOUringMon's ring; ProcMon's, separate, loses
    nothing and the execs made during the flood are all reported."""
    # Other programs reading /proc (other bombusd instances seeding their
    # cache on this shared machine) make bursts of large PtraceAccessCheck
    # events that can fill the other half of the queue on their own while
    # this slow reader (Python) is busy with the flood: not what is tested.
    daemon = start_bombusd(["--disable-hook=ptrace_access_check"])
    # Stopped during the flood, bombusd reads nothing: the flood fills
    # IOUringMon's ring whatever the speed of this machine.
    daemon.proc.send_signal(signal.SIGSTOP)
    try:
        flood = subprocess.Popen([str(STORM), "nop", "3000000"], stdout=subprocess.DEVNULL)
        time.sleep(0.2)
        execs = []
        for _ in range(30):
            execs.append(subprocess.Popen(["/bin/true"]))
            execs[-1].wait()
        assert flood.wait(300) == 0
    finally:
        daemon.proc.send_signal(signal.SIGCONT)
    for child in execs:
        daemon.wait_event("ProcessExec", child.pid, timeout=60)
    daemon.stop()
    counters = lost_counters(daemon.stderr())
    assert counters["iouringmon"] > 0, "the flood did not fill IOUringMon's ring: nothing was shown"
    assert counters["procmon"] == 0


class DevnullBombusd:
    """bombusd --stdout >/dev/null (never a slow reader), read by its counters."""

    def __init__(self, tmp_path, args=()):
        self.stderr_path = tmp_path / "bombusd.stderr"
        with open(self.stderr_path, "w") as stderr:
            self.proc = subprocess.Popen([os.environ.get("BOMBUSD", str(BUILD / "daemon" / "bombusd")), "--stdout",
                                          *os.environ.get("BOMBUSD_ARGS", "").split(), *args],
                                         stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + 60
        while "monitoring;" not in self.stderr():
            assert self.proc.poll() is None and time.monotonic() < deadline, self.stderr()
            time.sleep(0.05)

    def stderr(self):
        return self.stderr_path.read_text()

    def counters(self):
        """Asks for a counters line (SIGUSR1) and returns it parsed."""
        lines = self.stderr().count("counters:")
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 30
        while self.stderr().count("counters:") == lines:
            assert time.monotonic() < deadline, "no counters line after SIGUSR1"
            time.sleep(0.05)
        return lost_counters(self.stderr())

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(120) == 0, self.stderr()
        return lost_counters(self.stderr())


def test_storm_to_devnull_loses_nothing(tmp_path):
    """100,000 NOP records (176 ring bytes each with the submitting task and
    its context) fit in a 32 MiB ring even if bombusd read none of them
    during the storm (the ASan build lags); with stdout on /dev/null every
    one is delivered, even though bombusd is stopped right after the storm
    and drains the ring at once (it once dropped half of them)."""
    daemon = DevnullBombusd(tmp_path, ["--ringbuf-size=32M"])
    try:
        subprocess.run([str(STORM), "nop", "100000"], check=True, stdout=subprocess.DEVNULL)
    finally:
        counters = daemon.stop()
    assert counters["iouringmon"] == 0
    assert counters["dropped_stdout"] == 0
    assert counters["events_emitted"] >= 100000


@pytest.mark.load
def test_backlog_of_an_exited_process(tmp_path):
    """Records still queued seconds after their process exited find it in the
    cache: bombusd is stopped (SIGSTOP) while a process submits 2,000,000 NOPs
    and exits, and resumed 6 s later (past the cache's 5 s grace for exited
    processes). Before the fix nearly every one was a cache miss. The 512 MiB
    ring holds them (176 bytes each) with a third to spare for the records
    of other programs."""
    daemon = DevnullBombusd(tmp_path, ["--ringbuf-size=512M"])
    try:
        daemon.proc.send_signal(signal.SIGSTOP)
        try:
            subprocess.run([str(STORM), "nop", "2000000"], check=True, stdout=subprocess.DEVNULL)
            time.sleep(6)
        finally:
            daemon.proc.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 300
        while daemon.counters()["events_emitted"] < 2000000:
            assert time.monotonic() < deadline, "the backlog was not handled in 300 s"
            time.sleep(1)
    finally:
        counters = daemon.stop()
    assert counters["iouringmon"] == 0
    # other programs on the machine make a few misses of their own
    assert counters["cache_misses"] < 1000, counters
