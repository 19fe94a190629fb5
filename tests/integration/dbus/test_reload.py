"""Reload without restart (the D-Bus method Reload, SIGHUP): the config file
read whole, live settings applied, an invalid file refused with FILE:LINE
and the running settings kept, settings that need a restart named, and
subscribers kept throughout."""
import json
import os
import signal
import time

import pytest

import stack
from bombus_service import Service
from test_journal import message_ids

PRIVILEGE_ONLY = "[Journal]\nCategories=privilege\n"
WITH_PROCESS = "[Journal]\nCategories=process,privilege\n"


@pytest.fixture(scope="module")
def service():
    svc = Service(config=PRIVILEGE_ONLY).start()
    yield svc
    svc.stop()


def configure(service, text):
    service.stack.bombusd_config.write_text(text)


def reload(service, user=None):
    return service.stack.call("Reload", user=user, check=False)


def journal_categories(service):
    outputs = {o["name"]: o for o in service.status()["outputs"]}
    return sorted(outputs["journal"]["categories"])


def exec_in_journal(service, pid):
    return service.stack.journal(f"MESSAGE_ID={message_ids()['ProcessExec']}", f"BOMBUS_PID={pid}")


def exec_logged(service, sub, markers, arg):
    """Runs a marker; once the subscriber has its exec (bombusd handled it)
    and the journal's writer had time, whether the journal has it too."""
    pid = markers.run(arg)
    sub.wait_event("ProcessExec", pid)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if exec_in_journal(service, pid):
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def restore(service):
    yield
    configure(service, PRIVILEGE_ONLY)
    assert reload(service).returncode == 0


def test_reload_applies_journal_categories_and_keeps_subscribers(service, markers, restore):
    sub = service.subscriber("--category=process", f"--prefix={markers.prefix}")
    assert not exec_logged(service, sub, markers, "before")
    configure(service, WITH_PROCESS)
    r = reload(service)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["data"] == [[]]  # nothing waits for a restart
    assert journal_categories(service) == ["privilege", "process"]
    # The journal has the process category now, and the subscriber that
    # was there before the reload still receives its stream.
    assert exec_logged(service, sub, markers, "after")


def test_invalid_file_is_refused_whole(service, markers, restore):
    sub = service.subscriber("--category=process", f"--prefix={markers.prefix}")
    # Line 2 alone would be valid: nothing of the file is applied.
    configure(service, WITH_PROCESS + "Bogus=1\n")
    r = reload(service)
    assert r.returncode != 0
    assert f"{service.stack.bombusd_config}:3: unknown key 'Bogus' in section [Journal]" in r.stderr, r.stderr
    assert journal_categories(service) == ["privilege"]
    assert not exec_logged(service, sub, markers, "still-not-logged")
    assert "configuration not reloaded, the running one stays" in service.stack.log("dbus-daemon")


def test_error_quoting_bytes_that_are_not_utf8_is_sent(service, restore):
    """The message quotes the file: bytes that are not UTF-8 become '?', or
    sd-bus would not send it and the caller would wait for its timeout."""
    service.stack.bombusd_config.write_bytes(b"[Journal]\nCategories=\xff\xfe\n")
    start = time.monotonic()
    r = reload(service)
    assert r.returncode != 0
    assert f"{service.stack.bombusd_config}:2: unknown category '??'" in r.stderr, r.stderr
    assert time.monotonic() - start < 10


def test_restart_only_settings_are_named(service, restore):
    configure(service, PRIVILEGE_ONLY + "[Daemon]\nRingBufferSize=16M\nHookMode=tracepoint\n")
    r = reload(service)
    assert r.returncode == 0, r.stderr
    assert sorted(json.loads(r.stdout)["data"][0]) == ["HookMode", "RingBufferSize"]
    log = service.stack.log("dbus-daemon")
    assert "RingBufferSize changed: takes effect at the next start" in log
    assert "HookMode changed: takes effect at the next start" in log


@pytest.mark.parametrize("user", [stack.USER_IN, stack.USER_OUT])
def test_unprivileged_caller_is_refused(service, user):
    configure(service, WITH_PROCESS)
    try:
        r = reload(service, user=user)
        assert r.returncode != 0
        assert "org.bombus.monitor.reload" in r.stderr, r.stderr
        assert journal_categories(service) == ["privilege"]
    finally:
        configure(service, PRIVILEGE_ONLY)


def test_sighup_reloads(service, markers, restore):
    sub = service.subscriber("--category=process", f"--prefix={markers.prefix}")
    configure(service, WITH_PROCESS)
    os.kill(service.pid, signal.SIGHUP)
    stack.wait_until(lambda: journal_categories(service) == ["privilege", "process"], 10, "reload by SIGHUP")
    assert exec_logged(service, sub, markers, "after-sighup")
    # An invalid file: logged with its line, bombusd goes on as it was.
    configure(service, PRIVILEGE_ONLY + "QueueSize=huge\n")
    os.kill(service.pid, signal.SIGHUP)
    stack.wait_until(lambda: f"{service.stack.bombusd_config}:3: 'huge' is not a size" in service.stack.log("dbus-daemon"), 10,
                     "the error logged")
    assert journal_categories(service) == ["privilege", "process"]
    assert exec_logged(service, sub, markers, "still-logged")


def test_reload_starts_the_journal_output(markers):
    """Started with no journal output (Categories=, lists none): a reload that
    asks for one starts it."""
    svc = Service(config="[Journal]\nCategories=,\n").start()
    try:
        assert "journal" not in {o["name"] for o in svc.status()["outputs"]}
        sub = svc.subscriber("--category=process", f"--prefix={markers.prefix}")
        configure(svc, "[Journal]\nCategories=process\n")
        r = reload(svc)
        assert r.returncode == 0, r.stderr
        assert journal_categories(svc) == ["process"]
        assert exec_logged(svc, sub, markers, "now-logged")
    finally:
        svc.stop()


def test_bombusctl_reload(service, restore):
    configure(service, PRIVILEGE_ONLY + "[Daemon]\nRingBufferSize=32M\n")
    r = service.bombusctl("reload")
    assert r.returncode == 0 and r.stdout == "Take effect at the next start: RingBufferSize\n", (r.stdout, r.stderr)
    configure(service, PRIVILEGE_ONLY + "[Daemon]\nRingBufferSize=3M\n")
    r = service.bombusctl("reload")
    assert r.returncode == 1, r.stderr
    assert f"bombusctl: Reload: {service.stack.bombusd_config}:4: '3M' is not a power of two" in r.stderr
    r = service.bombusctl("reload", user=stack.USER_IN)
    assert r.returncode == 3 and "org.bombus.monitor.reload" in r.stderr, r.stderr
