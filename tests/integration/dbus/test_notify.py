"""Readiness and status for systemd (Type=notify, NotifyAccess=main):
READY=1 once the name is owned, then a STATUS= line every few seconds, and
WATCHDOG=1 keep-alives from the main loop when WatchdogSec= asks for them."""
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import stack


def test_ready_and_status_lines():
    tmp = Path(tempfile.mkdtemp(prefix="bombus-notify-"))
    bus = stack.Stack(tmp, polkit=False, journald=False).start()
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp / "notify"))
    notify.settimeout(1)
    daemon = None
    try:
        daemon = subprocess.Popen([stack.bombusd_binary(), f"--config={bus.bombusd_config}", *bus.bombusd_args],
                                  env=dict(bus.env(), NOTIFY_SOCKET=str(tmp / "notify"), WATCHDOG_USEC="1000000"),
                                  stderr=subprocess.PIPE, text=True)
        messages = []
        deadline = time.monotonic() + 30
        while not any(m.startswith("STATUS=") and "events/s" in m for m in messages):
            assert time.monotonic() < deadline, f"no periodic STATUS= within 30s: {messages}"
            assert daemon.poll() is None, daemon.stderr.read()
            try:
                messages += notify.recv(4096).decode().split("\n")
            except socket.timeout:
                continue
            if "READY=1" in messages:
                # Ready means the name is owned: callers are served.
                assert bus.name_has_owner(stack.BUS_NAME)
        assert messages.index("READY=1") < len(messages) - 1
        status = next(m for m in messages if "events/s" in m)
        assert re.fullmatch(r"STATUS=0 subscriptions, \d+ events/s, \d+ lost, \d+ dropped", status), status
        # WatchdogSec=1s: a keep-alive at least every second, sent by the
        # loop (the STATUS= wait above took 5 s).
        assert messages.count("WATCHDOG=1") >= 4, messages
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        if daemon and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        notify.close()
        bus.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_losing_the_bus_is_a_failure():
    """So that Restart=on-failure brings it back."""
    tmp = Path(tempfile.mkdtemp(prefix="bombus-busloss-"))
    bus = stack.Stack(tmp, polkit=False, journald=False).start()
    daemon = subprocess.Popen([stack.bombusd_binary(), f"--config={bus.bombusd_config}", *bus.bombusd_args], env=bus.env(),
                              stderr=subprocess.PIPE, text=True)
    try:
        stack.wait_until(lambda: daemon.poll() is not None or bus.name_has_owner(stack.BUS_NAME), 30,
                         "bombusd owning its name")
        bus.procs["dbus-daemon"].terminate()
        assert daemon.wait(30) == 1
        assert "lost the connection to the system bus" in daemon.stderr.read()
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        bus.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def notifications(sock, until, timeout=30):
    """Messages on @sock until one satisfies @until."""
    messages = []
    deadline = time.monotonic() + timeout
    while not any(until(m) for m in messages):
        assert time.monotonic() < deadline, f"not within {timeout}s: {messages}"
        try:
            messages += sock.recv(4096).decode().split("\n")
        except socket.timeout:
            continue
    return messages


def test_reload_says_reloading_then_ready():
    """SIGHUP: RELOADING=1 with MONOTONIC_USEC (systemd >= 253 wants it,
    252 ignores it), then READY=1 once the settings are in effect."""
    tmp = Path(tempfile.mkdtemp(prefix="bombus-notify-reload-"))
    bus = stack.Stack(tmp, polkit=False, journald=False).start()
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp / "notify"))
    notify.settimeout(1)
    daemon = None
    try:
        daemon = subprocess.Popen([stack.bombusd_binary(), f"--config={bus.bombusd_config}", *bus.bombusd_args],
                                  env=dict(bus.env(), NOTIFY_SOCKET=str(tmp / "notify")),
                                  stderr=subprocess.PIPE, text=True)
        notifications(notify, lambda m: m == "READY=1")
        daemon.send_signal(signal.SIGHUP)
        messages = notifications(notify, lambda m: m == "READY=1")
        reloading = messages.index("RELOADING=1")
        assert reloading < messages.index("READY=1"), messages
        stamp = next(m for m in messages if m.startswith("MONOTONIC_USEC="))
        assert abs(int(stamp.split("=")[1]) / 1e6 - time.clock_gettime(time.CLOCK_MONOTONIC)) < 30, stamp
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
        assert "configuration reloaded" in daemon.stderr.read()
    finally:
        if daemon and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        notify.close()
        bus.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_ready_without_the_bus():
    """--stdout under systemd: READY=1 once the monitors are attached."""
    tmp = Path(tempfile.mkdtemp(prefix="bombus-notify-stdout-"))
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp / "notify"))
    notify.settimeout(1)
    (tmp / "empty.conf").write_text("")
    daemon = subprocess.Popen([stack.bombusd_binary(), "--stdout", f"--config={tmp / 'empty.conf'}"],
                              env=dict(NOTIFY_SOCKET=str(tmp / "notify"), PATH="/usr/bin:/bin"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        notifications(notify, lambda m: m == "READY=1")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        notify.close()
        shutil.rmtree(tmp, ignore_errors=True)
