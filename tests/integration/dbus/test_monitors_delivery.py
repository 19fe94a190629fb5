"""Events of every monitor reach D-Bus subscribers of their category and the
journal: ProcessEvent (privilege) and IOUringEvent (io_uring)."""
import subprocess
import time

import pytest

import stack
from bombus_service import Service
from test_journal import journal_entry

AGENT = stack.BUILD / "tests" / "programs" / "iouring-agent"


@pytest.fixture(scope="module")
def service():
    svc = Service(config="[Journal]\nCategories=privilege,io_uring\n").start()
    yield svc
    svc.stop()


def wait_events(sub, type_, pid, predicate, timeout=30):
    """The subscriber's events of type_ for pid, once one matches predicate."""
    deadline = time.monotonic() + timeout
    while True:
        events = [e for t, e in sub.events() if t == type_ and e["process"]["pid"] == pid]
        if any(predicate(e) for e in events):
            return events
        assert time.monotonic() < deadline, f"no matching {type_} of pid {pid}; got {events[:3]}"
        time.sleep(0.05)


def test_privilege_events_to_subscriber_and_journal(service):
    sub = service.subscriber("--category=privilege")
    proc = subprocess.Popen(["unshare", "-U", "true"])
    assert proc.wait(30) == 0
    (event,) = wait_events(sub, "ProcessEvent", proc.pid,
                           lambda e: e["process_event"] == {"type": "CreateUserNs"})
    assert event["process"]["filename"] == "unshare"
    entry = journal_entry(service, "ProcessEvent", proc.pid)
    assert entry["BOMBUS_EVENT_TYPE"] == "ProcessEvent"
    assert '"process_event":{"type":"CreateUserNs"}' in entry["BOMBUS_EVENT_JSON"]
    # only its category reaches a subscriber
    assert {t for t, _ in sub.events()} == {"ProcessEvent"}


def test_iouring_events_to_subscriber_and_journal(service, tmp_path):
    assert AGENT.exists(), f"{AGENT} is missing: build the project first"
    sub = service.subscriber("--category=io_uring")
    proc = subprocess.Popen([str(AGENT), str(tmp_path)], stdout=subprocess.DEVNULL)
    assert proc.wait(60) == 0
    events = wait_events(sub, "IOUringEvent", proc.pid, lambda e: e["opcode"] == "IORING_OP_UNLINKAT")
    opened = [e for e in events if e["opcode"] == "IORING_OP_OPENAT"]
    assert {"path": "/etc/passwd", "access_flags": "O_RDONLY", "creation_flags": "O_LARGEFILE"} in \
        [e["op_info"] for e in opened]
    assert events[0]["process"]["filename"] == "iouring-agent"
    entry = journal_entry(service, "IOUringEvent", proc.pid)
    assert entry["BOMBUS_EVENT_TYPE"] == "IOUringEvent"
    assert '"opcode":"IORING_OP_' in entry["BOMBUS_EVENT_JSON"]
    assert {t for t, _ in sub.events()} == {"IOUringEvent"}
