"""IOUringMon makes nothing while no output wants io_uring events: its BPF
program checks the wanted categories first. Before, every submission on the
host made a ring record with nobody to read it, and a flood filled the ring
and showed up as lost events."""
import os
import signal
import subprocess

import pytest

import stack
from bombus_service import Service

STORM = stack.BUILD / "bench" / "iouring-storm"


@pytest.fixture(scope="module")
def service():
    svc = Service(config="[Daemon]\nRingBufferSize=1M\n[Journal]\nCategories=privilege\n").start()
    yield svc
    svc.stop()


def iouring_lost(status):
    return next(m["events_lost_kernel"] for m in status["monitors"] if m["name"] == "iouringmon")


def storm_while_stopped(service):
    """200,000 NOPs (about 20 MB of records, far over the 1 MiB ring) while
    bombusd is stopped, so that it reads nothing until the storm is over."""
    pid = service.stack.find_bombusd()
    os.kill(pid, signal.SIGSTOP)
    try:
        subprocess.run([str(STORM), "nop", "200000"], check=True, stdout=subprocess.DEVNULL, timeout=120)
    finally:
        os.kill(pid, signal.SIGCONT)


def test_no_records_without_an_iouring_subscriber(service):
    assert STORM.exists(), f"{STORM} is missing: build the project first"
    sub = service.subscriber("--category=process")
    storm_while_stopped(service)
    status = service.status()
    assert "io_uring" not in status["wanted_categories"]
    assert iouring_lost(status) == 0
    assert not [t for t, _ in sub.events() if t == "IOUringEvent"]
    # with a subscriber of io_uring the same flood is recorded (and overflows)
    sub_io = service.subscriber("--category=io_uring")
    storm_while_stopped(service)
    assert iouring_lost(service.status()) > 0
    sub_io.stop()


def test_opcode_selection_follows_the_subscriptions(service):
    """A subscriber of OPENAT requests only: NOPs make no record in the
    kernel; once another subscriber wants every opcode, they do; when it
    leaves, they no longer do."""
    openat_only = service.subscriber("--category=io_uring", "--opcode=OPENAT")
    before = iouring_lost(service.status())
    storm_while_stopped(service)
    assert iouring_lost(service.status()) == before, "NOPs were recorded although only OPENAT is wanted"
    everything = service.subscriber("--category=io_uring")
    storm_while_stopped(service)
    after_all = iouring_lost(service.status())
    assert after_all > before
    subscribers = service.status()["subscribers"]
    everything.stop()
    # bombusd learns of the departure from the bus (NameOwnerChanged), some
    # iterations after the subscriber exited: the storm must come after.
    stack.wait_until(lambda: service.status()["subscribers"] == subscribers - 1, 20,
                     "the subscriber's departure seen")
    storm_while_stopped(service)
    assert iouring_lost(service.status()) == after_all
    openat_only.stop()


def test_unknown_opcode_is_refused(service):
    r = service.bombusctl("monitor", "--category=io_uring", "--opcode=FROBNICATE", check=False)
    assert r.returncode != 0
    assert "'FROBNICATE' in option 'io_uring_opcodes' is no io_uring opcode of this kernel" in r.stderr
