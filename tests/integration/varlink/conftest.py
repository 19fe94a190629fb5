"""Fixtures of the Varlink API tests: bombusd as a service on a private
system bus with polkitd and journald (../dbus/bombus_service.py), serving
io.bombus.Monitor on a socket in the test's directory; clients written from
the protocol (vlclient.py), as the test itself or as a process of a test
user."""
import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "dbus"))
from bombus_service import PYTHON, JsonLinesProcess, Service, markers  # noqa: E402,F401 (a fixture)
from vlclient import Connection  # noqa: E402


class VarlinkService(Service):
    """bombusd on a private bus, with its Varlink socket at self.socket (in
    the test's directory), and Varlink clients of it."""

    def __init__(self, config=""):
        super().__init__(config=config)
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


class Stream(JsonLinesProcess):
    """vlclient.py streaming Subscribe (as @user when given)."""

    def __init__(self, socket, parameters, user):
        super().__init__([PYTHON, str(HERE / "vlclient.py"), socket, "io.bombus.Monitor.Subscribe",
                          json.dumps(parameters), "--more"], user)

    @property
    def replies(self):
        with self.cond:
            return list(self.lines)

    def wait_subscribed(self):
        r = self.wait_for(lambda r: "error" in r or r.get("parameters", {}).get("subscribed"), what="subscribed")
        assert "error" not in r, f"Subscribe failed: {r}"
        return r

    def event_objects(self):
        out = []
        for r in self.replies:
            p = r.get("parameters", {})
            if "event" in p:
                out.append(p["event"])
            out += p.get("events", [])
        return out

    events = event_objects

    def dropped(self):
        return sum(r.get("parameters", {}).get("dropped", 0) for r in self.replies)


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
