"""polkit decides: a test user in the granted group watches processes, and
nothing else; a user outside it gets nothing; root needs no polkit."""
import json
import subprocess
import time

import pytest

import stack
from bombus_service import Service

ACTION = "org.bombus.monitor.subscribe-{}"


def test_user_in_group_gets_process_events(service, markers):
    sub = service.subscriber("--category=process", f"--prefix={markers.prefix}", user=stack.USER_IN)
    pid = markers.run("granted")
    event = sub.wait_event("ProcessExec", pid)
    assert event["process"]["binary_path"] == str(markers.binary)
    assert event["process"]["args"] == "granted"
    sub.wait_event("ProcessExit", pid)


@pytest.mark.parametrize("category", ["privilege", "io_uring"])
def test_user_in_group_is_denied_other_categories(service, category):
    sub = service.subscriber(f"--category={category}", user=stack.USER_IN, wait=False)
    line = sub.wait_for(lambda l: "error" in l or "subscription" in l, what="an answer")
    assert line.get("error") == "org.bombus.Monitor1.Error.NotAuthorized", line
    assert ACTION.format(category.replace("_", "-")) in line["message"]


def test_denied_subscription_gets_nothing_of_the_category(service, markers):
    # process is granted but privilege is not: the whole request is refused.
    before = service.status()["subscribers"]
    sub = service.subscriber("--category=process", "--category=privilege", f"--prefix={markers.prefix}",
                             user=stack.USER_IN, wait=False)
    line = sub.wait_for(lambda l: "error" in l or "subscription" in l, what="an answer")
    assert line.get("error") == "org.bombus.Monitor1.Error.NotAuthorized"
    assert ACTION.format("privilege") in line["message"]
    markers.run()
    assert not sub.events()
    assert service.status()["subscribers"] == before


@pytest.mark.parametrize("category", ["process", "privilege", "io_uring"])
def test_user_outside_group_is_denied_every_category(service, category):
    r = service.bombusctl("monitor", f"--category={category}", "--json", user=stack.USER_OUT)
    assert r.returncode == 3, r.stderr
    assert ACTION.format(category.replace("_", "-")) in r.stderr
    assert "NotAuthorized" not in r.stderr  # the message, not the error name
    assert "not authorized to subscribe to category" in r.stderr


def test_user_outside_group_is_denied_status_and_process(service):
    r = service.bombusctl("status", user=stack.USER_OUT)
    assert r.returncode == 3 and "org.bombus.monitor.status" in r.stderr, r.stderr
    r = service.bombusctl("process", "1", user=stack.USER_OUT)
    assert r.returncode == 3 and ACTION.format("process") in r.stderr, r.stderr


def test_user_in_group_reads_status_and_processes(service):
    r = service.bombusctl("status", user=stack.USER_IN)
    assert r.returncode == 0, r.stderr
    assert "hook exec" in r.stdout
    r = service.bombusctl("process", "1", user=stack.USER_IN)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["pid"] == 1


def test_root_needs_no_polkit(markers):
    """Without polkitd on the bus, uid 0 is still allowed (no round trip
    to polkit) while anyone else is refused with the reason."""
    svc = Service(polkit=False, journald=False).start()
    try:
        sub = svc.subscriber("--category=privilege", "--category=process", f"--prefix={markers.prefix}")
        pid = markers.run()
        sub.wait_event("ProcessExec", pid)
        r = svc.bombusctl("status", user=stack.USER_IN)
        assert r.returncode == 3
        assert "cannot check the authorization" in r.stderr and "polkit" in r.stderr
    finally:
        svc.stop()


@pytest.mark.parametrize("interactive", [False, True])
def test_interactive_flag_reaches_polkit(service, interactive):
    """CheckAuthorization's AllowUserInteraction flag (1) follows the
    caller's ALLOW_INTERACTIVE_AUTHORIZATION, as seen on the bus."""
    watcher = subprocess.Popen(["busctl", f"--address={service.stack.address}", "monitor", "--json=short",
                                "org.freedesktop.PolicyKit1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    try:
        time.sleep(1)
        sub = service.subscriber("--category=io_uring", *(["--interactive"] if interactive else []),
                                 user=stack.USER_OUT, wait=False)
        line = sub.wait_for(lambda l: "error" in l or "subscription" in l, what="an answer")
        assert line.get("error") == "org.bombus.Monitor1.Error.NotAuthorized"
        time.sleep(0.5)
    finally:
        watcher.terminate()
    calls = [m for m in map(json.loads, watcher.communicate(timeout=10)[0].splitlines())
             if m.get("member") == "CheckAuthorization"
             and m["payload"]["data"][1] == "org.bombus.monitor.subscribe-io-uring"]
    assert len(calls) == 1
    subject, action, details, flags, cancellation = calls[0]["payload"]["data"]
    assert subject[0] == "system-bus-name"
    assert flags == (1 if interactive else 0)


def test_total_subscription_limit():
    """Max counts subscriptions (not calls waiting for polkit); root is never
    refused by it: other users cannot fill it for root."""
    svc = Service(config="[Subscriptions]\nMax=2\n", journald=False).start()
    try:
        svc.subscriber("--category=process", user=stack.USER_IN)
        svc.subscriber("--category=process", user=stack.USER_IN)
        third = svc.subscriber("--category=process", user=stack.USER_IN, wait=False)
        line = third.wait_for(lambda l: "error" in l or "subscription" in l, what="an answer")
        assert line["error"] == "org.bombus.Monitor1.Error.TooManySubscriptions"
        assert "bombusd has its 2 subscriptions" in line["message"]
        svc.subscriber("--category=io_uring")
        assert svc.status()["subscribers"] == 3
    finally:
        svc.stop()
