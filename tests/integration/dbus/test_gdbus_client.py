"""A desktop-style client: Python with GDBus (python3-gi, /usr/bin/python3),
as an unprivileged user, subscribes and receives events."""
import stack

DOCUMENTED_KEYS = ["type", "process", "parent", "timestamp"]


def test_gdbus_client_receives_events(service, markers):
    sub = service.subscriber("--category=process", f"--prefix={markers.prefix}", user=stack.USER_IN)
    assert sub.path.startswith("/org/bombus/Monitor1/subscription/")
    pid = markers.run("desktop")
    event = sub.wait_event("ProcessExec", pid)
    assert list(event) == DOCUMENTED_KEYS
    assert event["process"]["filename"] == markers.binary.name
    assert event["process"]["args"] == "desktop"
    assert [t for t, e in sub.events() if e["process"]["pid"] == pid][:1] == ["ProcessExec"]
