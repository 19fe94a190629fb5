"""bombusctl monitor when bombusd goes away: it says so, subscribes again
(which starts bombusd through activation) and says the stream has a gap;
with --no-reconnect it exits with status 1."""
import subprocess

import pytest

import stack
from bombus_service import Service, adopt_new_bombusd, kill_bombusd, lines_of, wait_line


@pytest.fixture
def own_service():
    svc = Service(config="[Journal]\nCategories=\n").start()
    yield svc
    svc.stop()


def monitor(svc, *args):
    proc = subprocess.Popen([stack.bombusctl_binary(), "monitor", "--json", *args], env=svc.stack.env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=stack.die_with_parent)
    stack.wait_until(lambda: svc.status()["subscribers"] == 1, 20, "bombusctl subscribed")
    return proc


def test_monitor_subscribes_again_after_bombusd_is_killed(own_service, markers):
    svc = own_service
    proc = monitor(svc, f"--prefix={markers.prefix}", "--type=ProcessExec")
    out, err = lines_of(proc.stdout), lines_of(proc.stderr)
    seen_err, seen_out = [], []
    try:
        markers.run("before")
        wait_line(out, lambda l: '"before"' in l, 20, "the event before", seen_out)
        old = svc.pid
        kill_bombusd(svc)
        wait_line(err, lambda l: "bombusd went away" in l, 10, "the departure said", seen_err)
        wait_line(err, lambda l: "subscribed again" in l and "gap" in l, 60, "subscribed again", seen_err)
        adopt_new_bombusd(svc, old)
        assert svc.status()["subscribers"] == 1
        markers.run("after")
        wait_line(out, lambda l: '"after"' in l, 20, "the event after", seen_out)
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(10)


def test_monitor_no_reconnect_exits(own_service):
    svc = own_service
    # A prefix nothing runs from: the machine's events, unread, would fill
    # the pipe and block bombusctl before it sees bombusd go.
    proc = monitor(svc, "--no-reconnect", "--prefix=/nonexistent-bombus-test")
    old = svc.pid
    kill_bombusd(svc)
    try:
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "bombusd went away" in proc.stderr.read()
    svc.stack.status()  # activates it again, for the fixture's checks
    adopt_new_bombusd(svc, old)
