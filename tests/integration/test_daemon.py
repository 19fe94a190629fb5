"""bombusd as a program: clean shutdown, counters, and the ways it refuses to run."""
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

import bpfstate
import procinfo
from runner import AS_UNPRIVILEGED, ROOT, bombusd_binary, finish, spawn_ready

COUNTERS = re.compile(r"counters: events_emitted=(\d+) events_lost_kernel=(\d+)(?: \([^)]*\))?"
                      r" events_dropped_userspace=(\d+)")
F_SETPIPE_SZ = 1031


def counters(stderr):
    """Every counters line of @stderr, as dicts of ints."""
    return [dict(zip(("emitted", "lost_kernel", "dropped_userspace"), map(int, m.groups())))
            for m in COUNTERS.finditer(stderr)]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_leaves_nothing_attached(start_bombusd, sig):
    daemon = start_bombusd()
    held = bpfstate.held_ids(daemon.pid)
    assert held["prog"], "bombusd holds no BPF program: nothing would be tested"
    assert held["link"], "bombusd holds no BPF link: nothing would be tested"
    assert daemon.stop(sig) == 0, daemon.stderr()
    assert counters(daemon.stderr()), f"no counters line at exit:\n{daemon.stderr()}"
    assert bpfstate.poll_until_empty(lambda: bpfstate.still_existing(held)) == {}, \
        "BPF objects bombusd held are still there after it exited"
    links = [link for link in bpfstate.listed("link") if link.get("prog_id") in held["prog"]]
    assert links == [], f"links to bombusd's programs remain: {links}"


def test_counters_on_sigusr1_and_at_exit(start_bombusd):
    bombusd = start_bombusd()
    bombusd.sync()
    seen = len(bombusd.lines)
    bombusd.proc.send_signal(signal.SIGUSR1)
    first = counters(bombusd.wait_stderr("counters:"))
    assert len(first) == 1, bombusd.stderr()
    assert first[0]["emitted"] >= seen > 0
    assert bombusd.proc.poll() is None, "SIGUSR1 stopped bombusd"

    assert bombusd.stop() == 0
    last = counters(bombusd.stderr())
    assert len(last) == 2, f"expected a second counters line at exit:\n{bombusd.stderr()}"
    # Every event counted as emitted reached stdout, and nothing else did.
    assert last[1]["emitted"] == len(bombusd.lines), (last[1], len(bombusd.lines))
    assert last[1]["emitted"] >= first[0]["emitted"]


@pytest.mark.parametrize("pipe_flags", [0, os.O_NONBLOCK], ids=["blocking", "nonblocking"])
def test_events_queued_at_exit_reach_a_slow_reader(pipe_flags):
    """Records still in the ring buffer at SIGTERM are delivered whole even
    when stdout is a full pipe: the final write must wait for the reader.
    Whether the pipe bombusd is given blocks or not."""
    # A one-page pipe, made small before bombusd writes anything to it.
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETFL, fcntl.fcntl(write_end, fcntl.F_GETFL) | pipe_flags)
    fcntl.fcntl(write_end, F_SETPIPE_SZ, 4096)
    proc, err = spawn_ready(stdout=write_end)
    os.close(write_end)
    with open(read_end, "rb") as reader:
        try:
            # Stopped, bombusd leaves the records of these processes in the
            # ring buffer; it finds SIGTERM and them at once when it continues.
            proc.send_signal(signal.SIGSTOP)
            pids = []
            for _ in range(3):
                child = subprocess.Popen(["/usr/bin/true", "queued-at-exit"])
                assert child.wait() == 0
                pids.append(child.pid)
            proc.send_signal(signal.SIGTERM)
        finally:
            proc.send_signal(signal.SIGCONT)
        out = reader.read()  # to the end: bombusd has exited
    _, err = finish(proc, err)
    assert proc.returncode == 0, err
    lines = out.split(b"\n")
    assert lines.pop() == b"", f"stdout ends in a cut line: ...{out[-200:]!r}\nbombusd said:\n{err}"
    events = [json.loads(line) for line in lines]
    for event in events:
        procinfo.assert_event_shape(event)
    # by pid: another run of this test elsewhere on the machine makes the same processes
    queued = sorted(e["process"]["pid"] for e in events
                    if e["type"] == "ProcessExit" and e["process"]["pid"] in pids)
    assert queued == sorted(pids), f"{len(queued)} of the 3 exits reached stdout; bombusd said:\n{err}"
    assert counters(err) and counters(err)[-1]["emitted"] == len(events), \
        f"{len(events)} events on stdout; bombusd said:\n{err}"


def test_signal_right_after_ready_stops_cleanly():
    """Once bombusd says it is monitoring, SIGTERM is a clean stop (exit 0,
    counters), never death by the signal's default action."""
    for _ in range(3):
        proc, err = spawn_ready(stdout=subprocess.DEVNULL)
        _, err = finish(proc, err, signal.SIGTERM)
        assert proc.returncode == 0, f"exit status {proc.returncode}:\n{err}"
        assert counters(err), err


def test_reader_going_away_stops_bombusd():
    """bombusd --stdout | head: when the reader closes the pipe, bombusd
    stops by itself, exit 0, and lets go of everything."""
    proc, err = spawn_ready()
    held = bpfstate.held_ids(proc.pid)
    proc.stdout.close()
    subprocess.run(["/usr/bin/true", "after-reader-left"], check=True)
    _, err = finish(proc, err)
    assert proc.returncode == 0, err
    assert "closed by its reader" in err, err
    assert counters(err), err
    assert bpfstate.poll_until_empty(lambda: bpfstate.still_existing(held)) == {}


def test_refuses_to_run_unprivileged(run_bombusd, world_dir):
    # A copy nobody can reach, whatever the permissions of the build tree.
    binary = shutil.copy(bombusd_binary(), world_dir / "bombusd")
    result = run_bombusd(["--stdout"], prefix=AS_UNPRIVILEGED, binary=binary)
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected a one-line error:\n{result.stderr}"
    assert "root" in lines[0] and "CAP_BPF" in lines[0], lines[0]
    assert result.stdout == ""


def test_forced_lsm_hook_mode():
    """--hook-mode=lsm either works (the LSM method attached) or fails with a
    one-line error naming the hook, leaving nothing behind. On the
    development host BPF LSM programs are refused (EPERM): the error path."""
    names = bpfstate.program_names(ROOT) | {""}  # "": the daemon's probes
    newest = max(bpfstate.existing_ids("prog"), default=0)
    proc, err = spawn_ready(["--hook-mode=lsm"], stdout=subprocess.DEVNULL, may_fail=True)
    ready = proc.poll() is None
    _, err = finish(proc, err, signal.SIGTERM)
    if ready:
        print("*** bombusd runs with --hook-mode=lsm on this kernel: checking the LSM method was used")
        assert re.search(r"hook exec_creds: lsm/", err), err
        assert proc.returncode == 0, err
    else:
        print("*** --hook-mode=lsm refused on this kernel: checking the error")
        assert proc.returncode != 0
        lines = err.splitlines()
        assert len(lines) == 1, f"expected a one-line error:\n{err}"
        assert "hook exec_creds" in lines[0] and "lsm" in lines[0], lines[0]
    assert bpfstate.poll_until_empty(lambda: bpfstate.unheld_programs(names, newest)) == [], \
        "BPF programs left behind (attached or pinned, no process holds them)"


@pytest.mark.parametrize("args, mentions", [
    (["--stdout", "--no-such-option"], "--no-such-option"),
    (["--stdout", "--hook-mode=sideways"], "sideways"),
    (["--stdout", "surplus"], "surplus"),
    (["--stdout", "--ringbuf-size=1000"], "ringbuf-size"),
])
def test_bad_command_lines(run_bombusd, args, mentions):
    result = run_bombusd(args)
    assert result.returncode != 0
    assert mentions in result.stderr, result.stderr
    assert result.stdout == ""


STORM = ROOT / os.environ.get("BOMBUS_BUILD", "build") / "bench" / "iouring-storm"


def stalled_reader_with_a_backlog():
    """bombusd --stdout into a pipe nobody reads, with thousands of events
    queued for it (an io_uring storm: one event per request)."""
    read_end, write_end = os.pipe()
    proc, err = spawn_ready(stdout=write_end)
    os.close(write_end)
    subprocess.run([str(STORM), "nop", "20000"], check=True, stdout=subprocess.DEVNULL)
    time.sleep(0.5)  # read from the ring and queued (the pipe took its 64 KiB)
    return proc, err, read_end


def test_sigterm_with_a_stalled_reader_stops_within_the_bound():
    """A reader that never reads kept bombusd from stopping: it wrote what
    was queued, blocking, forever. It now stops within its 3 s and counts
    what it could not deliver."""
    proc, err, read_end = stalled_reader_with_a_backlog()
    try:
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        elapsed = time.monotonic() - start
    finally:
        os.close(read_end)
    _, err = finish(proc, err)
    assert proc.returncode == 0, err
    # 3 s for the reader, at most 1 s more to end a line begun, and letting
    # go of the BPF objects (slower in the VM lane's emulated guests)
    assert 2.5 < elapsed < 8, f"stopped after {elapsed:.1f} s"
    assert int(re.findall(r"dropped_stdout=(\d+)", err)[-1]) > 0, err
    assert "still queued for a reader that did not take them" in err


def test_second_sigterm_stops_at_once():
    proc, err, read_end = stalled_reader_with_a_backlog()
    try:
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        elapsed = time.monotonic() - start
    finally:
        os.close(read_end)
    _, err = finish(proc, err)
    assert proc.returncode == 0, err
    # Without it bombusd would wait 2.7 s more for the reader; what is left
    # is letting go of its BPF objects (about a second on a busy machine).
    assert elapsed < 2, f"stopped {elapsed:.1f} s after the second SIGTERM"
