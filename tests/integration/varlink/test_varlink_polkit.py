"""Who may do what over Varlink: polkit decides, by the same actions as on
D-Bus, with the peer as a unix-process subject; uid 0 needs no polkit.
stack.py's rules grant subscribe-process and status to the test group,
nothing else to anyone."""
import json
import subprocess

import stack
from pathlib import Path

HERE = Path(__file__).parent

IFACE = "io.bombus.Monitor"


def call_as(service, user, method, params=None, more=False):
    argv = stack.as_user(user) + ["/usr/bin/python3", str(HERE / "vlclient.py"), service.socket, method,
                                  json.dumps(params or {})] + (["--more", "--count", "1"] if more else [])
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.splitlines()[0])


def test_group_member_may_subscribe_to_processes(service, markers):
    stream = service.stream({"categories": ["process"], "binary_path_prefixes": [markers.prefix]},
                            user=stack.USER_IN)
    stream.wait_subscribed()
    pid = markers.run()
    assert stream.wait_event("ProcessExec", pid)["process"]["pid"] == pid


def test_privilege_category_is_denied_naming_the_action(service):
    reply = call_as(service, stack.USER_IN, f"{IFACE}.Subscribe", {"categories": ["process", "privilege"]},
                    more=True)
    assert reply["error"] == f"{IFACE}.NotAuthorized", reply
    assert reply["parameters"]["action"] == "org.bombus.monitor.subscribe-privilege"
    assert "denied" in reply["parameters"]["message"]


def test_outsider_may_do_nothing(service):
    for method, params, more in ((f"{IFACE}.Subscribe", {"categories": ["process"]}, True),
                                 (f"{IFACE}.GetStatus", {}, False),
                                 (f"{IFACE}.GetProcess", {"pid": 1}, False)):
        reply = call_as(service, stack.USER_OUT, method, params, more)
        assert reply.get("error") == f"{IFACE}.NotAuthorized", (method, reply)
    # Introspection is open to all, as the socket is.
    assert "vendor" in call_as(service, stack.USER_OUT, "org.varlink.service.GetInfo")["parameters"]


def test_group_member_may_read_the_status(service):
    reply = call_as(service, stack.USER_IN, f"{IFACE}.GetStatus")
    assert "version" in reply["parameters"]["status"], reply




def test_authorized_subscriber_leaving_is_removed(service):
    # Allowed by polkit (not root): its subscription must go when it hangs up.
    before = service.status()["subscribers"]
    stream = service.stream({"categories": ["process"], "binary_path_prefixes": ["/nonexistent-bombus-test"]},
                            user=stack.USER_IN)
    stream.wait_subscribed()
    assert service.status()["subscribers"] == before + 1
    stream.stop()
    stack.wait_until(lambda: service.status()["subscribers"] == before, 10, "subscription removed")
