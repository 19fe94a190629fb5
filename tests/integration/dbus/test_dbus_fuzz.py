"""The D-Bus fuzzer (tests/fuzz/dbus-fuzz, run by dbus_fuzz.py) in CI, issue
14: random and malformed calls from root, a user polkit refuses everything
and a user it grants some actions, against the bombusd under test
(tools/run-tests runs this file in both host passes): 20,000 calls against
the AddressSanitizer build, where a fault shows; 5,000 against the release
build, enough to measure its RSS after a burst of calls (and to keep CI
near its 30 minutes). It passes when bombusd answers every call, keeps no
subscription or pending authorization of the connections after they close,
answers root's GetStatus (every 50 ms) within the bounds of dbus_fuzz.py
throughout, never crashes and exits cleanly with no sanitizer report; and,
on the release build, when its RSS comes back within 10% of its value before
the run (issue 14 point 7).

Durations measured on the 2-core CI VM: about 110 s with the ASan build,
30 s with the release build (the calls are paced, 200 a second)."""
import time

import pytest

import dbus_fuzz
from bombus_service import Service
from test_memory import rss_kib

CALLS_ASAN, CALLS_RELEASE = 20000, 5000
# RSS is given back by the housekeeping timer (daemon/daemon.c, once a
# second once over 1 MiB is free); this is how long the test waits for it.
RSS_WAIT_SECONDS = 60


def calls():
    return CALLS_ASAN if dbus_fuzz.is_asan_build() else CALLS_RELEASE


@pytest.fixture(scope="module")
def fuzz_run():
    """One fuzz run for the module: the fuzzer's result, and bombusd's RSS
    before, right after and (release build) once it came back."""
    svc = Service(config="[Journal]\nCategories=\n").start()
    try:
        svc.status()
        time.sleep(2)
        rss = {"before": rss_kib(svc.pid)}
        started = time.monotonic()
        extra = [f"--rate={dbus_fuzz.RATE}"] + dbus_fuzz.latency_args()
        proc = dbus_fuzz.run(svc, calls=calls(), seed=int(time.time()), extra=extra, timeout=1800)
        seconds = time.monotonic() - started
        rss["after"] = rss_kib(svc.pid)
        if not dbus_fuzz.is_asan_build():
            deadline = time.monotonic() + RSS_WAIT_SECONDS
            while rss_kib(svc.pid) > rss["before"] * 1.1 and time.monotonic() < deadline:
                time.sleep(0.5)
            rss["settled"] = rss_kib(svc.pid)
            rss["settled_after_seconds"] = round(RSS_WAIT_SECONDS - max(0.0, deadline - time.monotonic()), 1)
    finally:
        # Checks bombusd's exit: no sanitizer report, counters logged, BPF
        # programs gone.
        svc.stop()
    print(f"\n{proc.stdout[-2500:]}\nfuzz run {seconds:.1f} s; bombusd RSS {rss}")
    return proc, rss


def test_fuzz_calls_answered_no_crash_no_sanitizer_report(fuzz_run):
    proc, _ = fuzz_run
    figures = dbus_fuzz.figures(proc.stdout)
    assert proc.returncode == 0 and figures["passed"], proc.stdout[-6000:] + proc.stderr[-2000:]
    assert figures["calls"] == calls(), figures


def test_rss_comes_back_after_the_fuzz_run(fuzz_run):
    if dbus_fuzz.is_asan_build():
        # AddressSanitizer's allocator keeps freed memory in quarantine on
        # purpose and does not give memory back on malloc_trim().
        reason = "RSS after the fuzz run is not measurable on the AddressSanitizer build (quarantine)"
        print(f"\n*** SKIPPING: {reason} ***")
        pytest.skip(reason)
    _, rss = fuzz_run
    assert rss["settled"] <= rss["before"] * 1.1, rss
