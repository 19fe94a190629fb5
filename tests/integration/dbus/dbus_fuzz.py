"""Runs tests/fuzz/dbus-fuzz against a Service (bombus_service.py): root
connections, bombus-test-out (whom polkit refuses everything) and
bombus-test-in (granted process subscriptions and the status), bombusd's
stderr (dbus-daemon's log, where the activated bombusd writes) watched for
sanitizer reports. Used by test_dbus_fuzz.py and bench/dbus-fuzz."""
import os
import re
import subprocess
from pathlib import Path

import stack

# The largest Subscribe the fuzzer sends (--max-message): the size of the
# largest array the bus takes (400,000 binary path prefixes) in
# huge_subscribe.py and docs/dbus-api.md.
MAX_MESSAGE = 3_200_000
# Calls per second: 20,000 calls in about 100 s.
RATE = 200
# Every GetStatus round trip, with either build, but for those sent while a
# message of the largest size is on its way to bombusd: they come after it
# on bombusd's connection.
BOUND_MS = 100
# Release build, a GetStatus behind a largest-size message: bombusd's input
# relay (dbus/bus-input-relay.h) takes it 64 KiB per main-loop iteration
# (0.3-0.7 ms of CPU each, ~10 ms in all); the rest is dbus-daemon receiving,
# validating and passing on 3.2 MB while the fuzzer loads both CPUs.
# Measured: up to 98 ms with the relay, 146 ms before it.
LARGEST_MESSAGE_BOUND_MS = 250
# AddressSanitizer build, the same: sd-bus reallocs its read buffer (to the
# message's size) on every read of a partial message, and ASan's realloc
# always copies (into fresh mmap()ed memory past 128 KiB), so the relay moves
# 512 KiB per iteration there: a 3.2 MB message costs bombusd's loop about
# 0.5 s of CPU, at most 45-80 ms in one iteration (0.2-0.6 s in one before the
# relay), and a GetStatus behind it waits for all of it. Measured: up to
# 1.1 s on a quiet machine (0.12-0.64 s before the relay, which then held
# every other source of the loop for as long), 0.6 s with
# tests/integration/test_iouring.py running beside it.
ASAN_LARGEST_MESSAGE_BOUND_MS = 3000


def is_asan_build():
    return b"__asan_init" in open(stack.bombusd_binary(), "rb").read()


def latency_args():
    """The fuzzer's GetStatus bounds for the bombusd under test."""
    huge = ASAN_LARGEST_MESSAGE_BOUND_MS if is_asan_build() else LARGEST_MESSAGE_BOUND_MS
    return [f"--max-latency={BOUND_MS}", f"--max-latency-huge={huge}"]


def fuzzer_binary():
    """dbus-fuzz of build/ (the release build: the load it makes is the
    fuzzer's, not AddressSanitizer's, whichever bombusd is tested), else of
    the build whose bombusd is tested; $BOMBUS_DBUS_FUZZ chooses."""
    env = os.environ.get("BOMBUS_DBUS_FUZZ")
    if env:
        return Path(env)
    release = stack.BUILD / "tests" / "fuzz" / "dbus-fuzz"
    beside = Path(stack.bombusd_binary()).parents[1] / "tests" / "fuzz" / "dbus-fuzz"
    return release if release.exists() else beside


def run(service, calls=None, seconds=None, seed=None, extra=(), timeout=None, stdout=None):
    """Runs the fuzzer to its end; returns the CompletedProcess (text)."""
    argv = [str(fuzzer_binary()), f"--address={service.stack.address}", f"--pid={service.pid}",
            f"--log={service.stack.logs['dbus-daemon']}", f"--refused-user={stack.USER_OUT}",
            f"--granted-user={stack.USER_IN}", f"--max-message={MAX_MESSAGE}"]
    if calls is not None:
        argv.append(f"--calls={calls}")
    if seconds is not None:
        argv.append(f"--seconds={seconds}")
    if seed is not None:
        argv.append(f"--seed={seed}")
    argv += list(extra)
    if stdout is None:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=stack.die_with_parent)
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=stack.die_with_parent)
    proc.wait(timeout)
    return proc


def figures(output):
    """The figures of the fuzzer's report, from its output."""
    out = {}
    m = re.search(r"\n(\d+) calls in ([\d.]+) s|\((\d+) calls in ([\d.]+) s", output)
    if m:
        out["calls"] = int(m.group(1) or m.group(3))
        out["seconds"] = float(m.group(2) or m.group(4))
    m = re.search(r"GetStatus .*?: (\d+) calls, p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms", output)
    if m:
        out.update(probes=int(m.group(1)), p50_ms=float(m.group(2)), p99_ms=float(m.group(3)),
                   max_ms=float(m.group(4)))
    m = re.search(r"the (\d+) others: max ([\d.]+) ms", output)
    if m:
        out["others_max_ms"] = float(m.group(2))
    m = re.search(r"VmRSS (-?\d+) kB before, (-?\d+) kB after", output)
    if m:
        out.update(rss_before_kb=int(m.group(1)), rss_after_kb=int(m.group(2)))
    m = re.search(r"seed (\d+)", output)
    if m:
        out["seed"] = int(m.group(1))
    out["passed"] = "dbus-fuzz: passed" in output
    return out
