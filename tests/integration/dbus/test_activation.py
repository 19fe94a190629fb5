"""bombusd started by D-Bus activation, and its API as introspected."""
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import stack


def test_method_call_starts_bombusd_through_activation_file(service):
    log = service.stack.log("dbus-daemon")
    assert "Activating service name='org.bombus.Monitor1'" in log
    assert "Successfully activated service 'org.bombus.Monitor1'" in log
    # Started by the bus from the activation file: dbus-daemon sets these.
    environ = Path(f"/proc/{service.pid}/environ").read_bytes().split(b"\0")
    assert b"DBUS_STARTER_BUS_TYPE=system" in environ
    assert f"DBUS_STARTER_ADDRESS={service.stack.address}".encode() in [e.split(b",guid=")[0] for e in environ]
    cmdline = Path(f"/proc/{service.pid}/cmdline").read_bytes().split(b"\0")
    assert cmdline[0].decode() == stack.bombusd_binary()
    # The call that activated it was answered.
    assert service.activation_status["version"]
    assert service.activation_status["kernel_release"] == os.uname().release


def _members(node):
    iface = next(i for i in node.iter("interface") if i.get("name") == stack.INTERFACE)
    members = {}
    for kind in ("method", "signal", "property"):
        for m in iface.iter(kind):
            args = tuple((a.get("type"), a.get("direction", "out" if kind == "method" else None))
                         for a in m.iter("arg"))
            members[(kind, m.get("name"))] = args if kind != "property" else (m.get("type"), m.get("access"))
    return members


def test_introspection_matches_the_installed_xml(service):
    live = ET.fromstring(service.stack.busctl("introspect", "--xml-interface", stack.BUS_NAME,
                                              stack.OBJECT_PATH).stdout)
    documented = ET.parse(stack.ROOT / "dbus" / "org.bombus.Monitor1.xml").getroot()
    assert _members(live) == _members(documented)


def test_version_property(service):
    r = service.stack.busctl("get-property", stack.BUS_NAME, stack.OBJECT_PATH, stack.INTERFACE, "Version")
    assert r.stdout.strip() == f's "{service.activation_status["version"]}"'


def test_second_bombusd_stops_when_the_name_is_taken(service):
    """The name is asked for asynchronously (the bus's input comes through
    the relay, in the loop): a second bombusd learns it is taken from the
    answer, says so and exits 1, and the first one goes on serving."""
    second = service.stack.in_namespace([stack.bombusd_binary(), f"--config={service.stack.bombusd_config}",
                                         "--no-varlink"], env=service.stack.env(), timeout=120)
    assert second.returncode == 1, second.stderr
    assert f"{stack.BUS_NAME} is owned by another process (is bombusd already running?)" in second.stderr
    assert service.status()["version"]
