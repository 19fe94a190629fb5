"""Subscriptions that name containers by name: the container_id of an
LXC/LXD container or a systemd-nspawn machine (docs/events.md,
"container_id") is a name, not hex digits. A machine-shaped cgroup
(machine.slice/machine-NAME.scope with nspawn's payload sub-cgroup, NAME
escaped as systemd escapes it) is made here; Varlink `containers: [NAME]`
and `bombusctl monitor --container=NAME` (D-Bus) receive its processes'
events and not those of another machine or the host, and the kernel leaves
those out. The journal output is off: it never chooses by context."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "dbus"))
import stack  # noqa: E402
from cgroups import Cgroup  # noqa: E402
from context_subscriptions import filtered, run_in, service, wait_status  # noqa: E402,F401

OUTSIDE = 20  # execs in the other machine per test


def machine_cgroup(name):
    """nspawn's cgroup of machine @name: systemd escapes '-' as \\x2d."""
    return f"machine.slice/machine-{name.replace('-', chr(92) + 'x2d')}.scope"


def test_machine_name_subscription(service):
    tag = f"{os.getpid()}-{time.monotonic_ns() % 10**6}"
    name, other = f"bombus-nspawn-{tag}", f"bombus-other-{tag}"
    mark = f"cn-{tag}"
    with Cgroup(machine_cgroup(name) + "/payload") as payload, \
            Cgroup(machine_cgroup(other) + "/payload") as elsewhere:
        vl = service.stream({"categories": ["process"], "containers": [name]})
        vl.wait_subscribed()
        argv = [stack.bombusctl_binary(), "--dbus", "monitor", "--json", "--category=process", f"--container={name}"]
        monitor = subprocess.Popen(argv, env=service.stack.env(), stdout=subprocess.PIPE, text=True)
        try:
            wait_status(service, "subscribers", 2)
            status = service.status()
            # the machine's scope alone (its payload is below it)
            assert status["kernel_context_filter"] is True, status
            assert status["kernel_context_filter_cgroups"] == 1, status
            before = filtered(service)
            run_in(elsewhere, "sh", "-c", f"for i in $(seq {OUTSIDE}); do /usr/bin/true {mark}-out; done")
            subprocess.run(["sh", "-c", f"for i in $(seq {OUTSIDE}); do /usr/bin/true {mark}-host; done"],
                           check=True, timeout=60)
            run_in(payload, "/usr/bin/true", f"{mark}-in")

            deadline = time.monotonic() + 20
            while not [e for e in vl.event_objects() if e["type"] == "ProcessExec" and e["process"]["args"] == f"{mark}-in"]:
                assert time.monotonic() < deadline, "Varlink: no ProcessExec in the machine"
                time.sleep(0.05)
            seen = []
            for line in monitor.stdout:
                event = json.loads(line)
                seen.append(event)
                if event["type"] == "ProcessExec" and event["process"]["args"] == f"{mark}-in":
                    break
                assert time.monotonic() < deadline, "bombusctl: no ProcessExec in the machine"
            assert filtered(service) - before >= 3 * OUTSIDE
            for events, what in ((vl.event_objects(), "Varlink"), (seen, "bombusctl --container")):
                exec_ = [e for e in events if e["type"] == "ProcessExec" and e["process"]["args"] == f"{mark}-in"][0]
                assert exec_["process"]["container_id"] == name, exec_
                assert exec_["process"]["cgroup"] == payload.name, exec_
                for e in events:
                    assert e["process"].get("container_id") == name, \
                        f"{what}: {e['type']} of {e['process'].get('binary_path')} in {e['process'].get('cgroup')}"
                    assert mark + "-out" not in e["process"].get("args", "") and \
                        mark + "-host" not in e["process"].get("args", ""), what
        finally:
            monitor.terminate()
            monitor.wait(10)
            vl.stop()


@pytest.mark.parametrize("value", ["debian-12", "web1", "0123", "a b", "x" * 255])
def test_names_are_accepted(service, value):
    with service.connect() as c:
        reply = next(c.stream("io.bombus.Monitor.Subscribe", {"categories": ["process"], "containers": [value]}))
    assert "error" not in reply and reply["parameters"].get("subscribed"), reply


@pytest.mark.parametrize("value", ["", "a/b", "a\nb", "x" * 256])
def test_non_ids_are_refused(service, value):
    with service.connect() as c:
        reply = next(c.stream("io.bombus.Monitor.Subscribe", {"categories": ["process"], "containers": [value]}))
    assert reply.get("error") == "io.bombus.Monitor.InvalidArgument", reply
    assert "in option 'containers' is no container id" in str(reply["parameters"]), reply
    if value and "\n" not in value:
        r = service.bombusctl("--dbus", "monitor", "--category=process", f"--container={value}", check=False)
        assert r.returncode != 0 and "container id" in r.stderr, r.stderr
