"""A Varlink subscriber that stops reading costs the others nothing: its
backlog fills, events are counted as dropped, and when it reads again the
first thing it gets at that place is {"dropped": N}."""
import os
import signal
import subprocess
import time

import stack


def test_stuck_reader_does_not_delay_another(service, markers):
    # A subscriber that never reads: its process is stopped.
    stuck = service.stream({"categories": ["process"]})
    stuck.wait_subscribed()
    os.kill(stuck.proc.pid, signal.SIGSTOP)
    live = service.stream({"categories": ["process"], "binary_path_prefixes": [markers.prefix]})
    live.wait_subscribed()
    # Enough events to fill the stuck one's socket, output bound and backlog.
    forker = subprocess.Popen(["/bin/sh", "-c", "i=0; while [ $i -lt 1500 ]; do /bin/true; i=$((i+1)); done"])
    delays = []
    deadline = time.monotonic() + 120
    while forker.poll() is None and time.monotonic() < deadline:
        started = time.monotonic()
        pid = markers.run()
        live.wait_event("ProcessExit", pid, timeout=10)
        delays.append(time.monotonic() - started)
    forker.wait(120)
    assert delays and max(delays) < 5, delays
    status = service.status()
    sub = [s for s in status["subscriptions"] if s["api"] == "varlink" and s["dropped"] > 0]
    assert sub, status["subscriptions"]
    os.kill(stuck.proc.pid, signal.SIGCONT)
    stuck.wait_for(lambda r: r.get("parameters", {}).get("dropped"), timeout=60, what="dropped")
    # Nothing lost without being counted: the first gap comes before any
    # event that followed it.
    assert stuck.dropped() > 0


def test_disconnect_while_backlogged_frees_the_subscription(service):
    before = service.status()["subscribers"]
    stuck = service.stream({"categories": ["process"]})
    stuck.wait_subscribed()
    os.kill(stuck.proc.pid, signal.SIGSTOP)
    subprocess.run(["/bin/sh", "-c", "for i in $(seq 200); do /bin/true; done"], check=True)
    stuck.proc.kill()
    stuck.proc.wait()
    stack.wait_until(lambda: service.status()["subscribers"] == before, 10, "subscription removed")
