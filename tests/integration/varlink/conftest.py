"""Fixtures of the Varlink API tests: bombusd as a service on a private
system bus with polkitd and journald (../dbus/bombus_service.py), serving
io.bombus.Monitor on a socket in the test's directory; clients written from
the protocol (vlclient.py), as the test itself or as a process of a test
user."""
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "dbus"))
import stack  # noqa: E402
from bombus_service import PYTHON, Markers, Service  # noqa: E402
from vlclient import Connection  # noqa: E402


class VarlinkService(Service):
    """bombusd on a private bus, with its Varlink socket at self.socket."""

    def __init__(self, config=""):
        super().__init__(config=config, bombusd_args=())
        self.socket = str(self.stack.varlink_socket)
        self.streams = []

    def connect(self, timeout=30):
        return Connection(self.socket, timeout=timeout)

    def stream(self, parameters, user=None):
        s = Stream(self.socket, parameters, user)
        self.streams.append(s)
        return s

    def status(self, user=None):
        with self.connect() as c:
            reply = c.call("io.bombus.Monitor.GetStatus")
        assert "error" not in reply, reply
        return reply["parameters"]["status"]

    def stop(self):
        for s in self.streams:
            s.stop()
        super().stop()


class Stream:
    """vlclient.py streaming Subscribe as a subprocess (as @user when
    given), its replies parsed as they arrive."""

    def __init__(self, socket, parameters, user):
        argv = (stack.as_user(user) if user else []) + [
            PYTHON, str(HERE / "vlclient.py"), socket, "io.bombus.Monitor.Subscribe", json.dumps(parameters),
            "--more"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=lambda: stack.die_with_parent(signal.SIGKILL))
        self.replies = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.replies.append(json.loads(line))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, predicate, timeout=20, what="reply"):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for r in self.replies:
                    if predicate(r):
                        return r
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise AssertionError(f"no {what} within {timeout}s; got {len(self.replies)} replies: "
                                         f"{self.replies[:3]} stderr: {self.stderr()}")
                self.cond.wait(min(left, 0.5))

    def wait_subscribed(self):
        r = self.wait_for(lambda r: "error" in r or r.get("parameters", {}).get("subscribed"), what="subscribed")
        assert "error" not in r, f"Subscribe failed: {r}"
        return r

    def events(self):
        with self.cond:
            replies = list(self.replies)
        out = []
        for r in replies:
            p = r.get("parameters", {})
            if "event" in p:
                out.append(p["event"])
            out += p.get("events", [])
        return out

    def dropped(self):
        with self.cond:
            return sum(r.get("parameters", {}).get("dropped", 0) for r in self.replies)

    def wait_event(self, type_, pid, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events():
                if e["type"] == type_ and e["process"]["pid"] == pid:
                    return e
            if time.monotonic() > deadline:
                raise AssertionError(f"no {type_} of pid {pid} within {timeout}s; {len(self.events())} events")
            time.sleep(0.05)

    def stderr(self):
        if self.proc.poll() is None:
            return "(running)"
        return self.proc.stderr.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture(scope="module")
def service():
    svc = VarlinkService(config="[Subscriptions]\nMaxPerClient=4\nBacklogSize=256K\nWindowSize=64K\n").start()
    yield svc
    svc.stop()


@pytest.fixture
def own_service():
    """A service of the test's own, for tests that kill bombusd."""
    svc = VarlinkService(config="[Journal]\nCategories=\n").start()
    yield svc
    svc.stop()


@pytest.fixture
def markers():
    m = Markers()
    yield m
    m.cleanup()
