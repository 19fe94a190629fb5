"""What the benchmark drivers share: running a load, running it under
`bombusd --stdout >FILE`, and reading bombusd's counters line."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_load(args):
    """Runs a load program that prints its elapsed seconds; returns them."""
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return float(out.strip())


def cpu_ns(pid):
    """CPU time (user + system) of every thread of process @pid so far, in ns
    (schedstat: nanosecond resolution, unlike the tick-counted stat)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
            total += int(f.read().split()[0])
    return total


def start_bombusd(binary, stderr, extra=(), stdout=subprocess.DEVNULL):
    proc = subprocess.Popen([binary, "--stdout", *extra], stdout=stdout, stderr=stderr)
    deadline = time.monotonic() + 60
    while "monitoring;" not in open(stderr.name).read():
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"bombusd did not start:\n{open(stderr.name).read()}")
        time.sleep(0.05)
    return proc


def counters(text):
    """The last counters line of bombusd's stderr as {name: value}, with the
    line itself as "line"."""
    line = [l for l in text.splitlines() if "counters:" in l][-1]
    values = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)\b(?![:/])", line)}
    values["line"] = line
    return values


# Longer than bombusd's slowest ring poll (100 ms): everything the load made
# has been handled by then.
SETTLE_SECONDS = 0.5


def monitored(binary, load_args, extra=()):
    """Runs the load under a fresh `bombusd --stdout` writing to a file;
    returns its seconds and bombusd's counters once bombusd has stopped, with
    "cpu_ns" added: bombusd's CPU time from the start of the load until it had
    handled it (start-up and shutdown left out)."""
    with tempfile.NamedTemporaryFile("w+", prefix="bombusd-bench-") as err, \
            tempfile.TemporaryFile(prefix="bombusd-bench-events-") as out:
        proc = start_bombusd(binary, err, extra, stdout=out)
        time.sleep(SETTLE_SECONDS)  # the /proc seed and first polls are start-up
        before = cpu_ns(proc.pid)
        seconds = run_load(load_args)
        time.sleep(SETTLE_SECONDS)
        used = cpu_ns(proc.pid) - before
        proc.send_signal(signal.SIGTERM)
        proc.wait(300)
        c = counters(open(err.name).read())
        c["cpu_ns"] = used
        return seconds, c
