"""A subscriber that does not read loses its own events, counted and told,
and slows down nobody else."""
import os
import signal
import time

import pytest

from bombus_service import Service

BURST = 300  # marker runs: an exec and an exit each, some KiB of JSON each
ROUND = 30  # runs the reading subscriber is let fall behind by


@pytest.fixture(scope="module")
def small_backlog():
    # Small bounds so that a burst of a few hundred events overflows them.
    svc = Service(config="[Subscriptions]\nBacklogSize=256K\nWindowSize=64K\n", journald=False).start()
    yield svc
    svc.stop()


def subscription(svc, path):
    return next(s for s in svc.status()["subscriptions"] if s.get("path") == path)


def test_stuck_subscriber_does_not_delay_another(small_backlog, markers):
    svc = small_backlog
    stuck = svc.subscriber("--category=process", f"--prefix={markers.prefix}", "--stop-after-subscribe")
    # It stopped itself right after subscribing: it reads nothing from now on.
    deadline = time.monotonic() + 10
    while open(f"/proc/{stuck.proc.pid}/stat").read().rsplit(")", 1)[1].split()[0] != "T":
        assert time.monotonic() < deadline, "the stuck subscriber did not stop"
        time.sleep(0.05)
    live = svc.subscriber("--category=process", f"--prefix={markers.prefix}")

    # In rounds, each awaited by the reading subscriber: a round is well
    # within its backlog, so what it loses can only be the stuck one's doing
    # (unpaced, a reader slowed by a busy machine overflowed on its own).
    pids, delay = [], 0.0
    for first in range(0, BURST, ROUND):
        pids += [markers.run(str(i)) for i in range(first, first + ROUND)]
        finished = time.monotonic()
        try:
            live.wait_event("ProcessExit", pids[-1], timeout=30)
        except AssertionError as e:
            raise AssertionError(f"{e}; live: {subscription(svc, live.path)}") from None
        delay = max(delay, time.monotonic() - finished)
    # Every event reached the reading subscriber, none was dropped for it.
    got = {(t, e["process"]["pid"]) for t, e in live.events()}
    missing = [(t, p) for p in pids for t in ("ProcessExec", "ProcessExit") if (t, p) not in got]
    assert not missing, f"{len(missing)} events missing: {missing[:4]}; {subscription(svc, live.path)}"
    assert delay < 10, f"the reading subscriber got a round's last event {delay:.1f}s after it happened"
    assert subscription(svc, live.path)["dropped"] == 0

    # The stuck one lost what exceeded its backlog, counted for it alone.
    stuck_status = subscription(svc, stuck.path)
    assert stuck_status["dropped"] > 0
    assert stuck_status["delivered"] + stuck_status["backlog_events"] + stuck_status["dropped"] == 2 * BURST
    dbus_output = next(o for o in svc.status()["outputs"] if o["name"] == "dbus")
    assert dbus_output["dropped"] >= stuck_status["dropped"]

    # Reading again, it gets what was kept and a Dropped() at the gap.
    os.kill(stuck.proc.pid, signal.SIGCONT)
    stuck.wait_for(lambda l: l.get("signal") == "Dropped", what="Dropped signal")
    deadline = time.monotonic() + 20
    while len(stuck.events()) + stuck.dropped() < 2 * BURST:
        assert time.monotonic() < deadline, (f"{len(stuck.events())} events and {stuck.dropped()} dropped, "
                                             f"of {2 * BURST}")
        time.sleep(0.1)
    assert len(stuck.events()) + stuck.dropped() == 2 * BURST
    assert stuck.dropped() == subscription(svc, stuck.path)["dropped"]
    # What it got is in order: a prefix of the stream, a gap, then the rest.
    seen = [(t, e["process"]["pid"]) for t, e in stuck.events()]
    stream = [(t, p) for p in pids for t in ("ProcessExec", "ProcessExit")]
    assert seen == [item for item in stream if item in set(seen)]
