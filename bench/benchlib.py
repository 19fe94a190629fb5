"""What the benchmark drivers share: running a load, running it under
`bombusd --stdout >/dev/null`, and reading bombusd's counters line."""
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


def start_bombusd(binary, stderr, extra=()):
    proc = subprocess.Popen([binary, "--stdout", *extra], stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + 60
    while "monitoring;" not in open(stderr.name).read():
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"bombusd did not start:\n{open(stderr.name).read()}")
        time.sleep(0.05)
    return proc


def counters(text):
    """The last counters line of bombusd's stderr as {name: value}."""
    line = [l for l in text.splitlines() if "counters:" in l][-1]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def monitored(binary, load_args, extra=()):
    """Runs the load under a fresh bombusd; returns its seconds and bombusd's
    counters once bombusd has stopped."""
    with tempfile.NamedTemporaryFile("w+", prefix="bombusd-bench-") as err:
        proc = start_bombusd(binary, err, extra)
        seconds = run_load(load_args)
        proc.send_signal(signal.SIGTERM)
        proc.wait(300)
        return seconds, counters(open(err.name).read())
