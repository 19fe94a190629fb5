"""bombusd as a program: clean shutdown, counters, and the ways it refuses to run."""
import fcntl
import json
import re
import signal
import subprocess

from runner import TIMEOUT, spawn_ready

COUNTERS = re.compile(r"counters: events_emitted=(\d+) events_lost_kernel=(\d+) events_dropped_userspace=(\d+)")
F_SETPIPE_SZ = 1031


def counters(stderr):
    """Every counters line of @stderr, as dicts of ints."""
    return [dict(zip(("emitted", "lost_kernel", "dropped_userspace"), map(int, m.groups())))
            for m in COUNTERS.finditer(stderr)]


def test_events_queued_at_exit_reach_a_slow_reader():
    """Records still in the ring buffer at SIGTERM are delivered whole even
    when stdout is a full pipe: the final write must wait for the reader."""
    proc, err = spawn_ready()
    fcntl.fcntl(proc.stdout.fileno(), F_SETPIPE_SZ, 4096)
    try:
        # Stopped, bombusd leaves the records of these processes in the ring
        # buffer; it finds SIGTERM and them at once when it continues.
        proc.send_signal(signal.SIGSTOP)
        for _ in range(3):
            subprocess.run(["/usr/bin/true", "queued-at-exit"], check=True)
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGCONT)
        out, rest = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
        proc.wait()
    err += rest.decode(errors="replace")
    assert proc.returncode == 0, err
    lines = out.split(b"\n")
    assert lines.pop() == b"", f"stdout ends in a cut line: ...{out[-200:]!r}"
    events = [json.loads(line) for line in lines]
    assert sum(e["process"]["args"] == "queued-at-exit" and e["type"] == "ProcessExit" for e in events) == 3
    assert counters(err)[-1]["emitted"] == len(events), err


def test_signal_right_after_ready_stops_cleanly():
    """Once bombusd says it is monitoring, SIGTERM is a clean stop (exit 0,
    counters), never death by the signal's default action."""
    for _ in range(5):
        proc, err = spawn_ready(stdout=subprocess.DEVNULL)
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=TIMEOUT)
        err += rest.decode(errors="replace")
        assert proc.returncode == 0, f"exit status {proc.returncode}:\n{err}"
        assert counters(err), err
