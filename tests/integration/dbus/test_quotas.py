"""Calls waiting for polkit have quotas of their own (per connection, per
uid, for all unprivileged callers), never counted against subscriptions:
an unprivileged user cannot make root's calls fail, and calls whose caller
left are cancelled at polkit."""
import json
import queue
import subprocess
import threading
import time

import pytest

import stack
from bombus_service import HERE, PYTHON, Service


class Attacker:
    """pending_attack.py as bombus-test-out: calls kept waiting by a polkit
    agent of its own that never answers."""

    def __init__(self, service, connections, calls):
        self.proc = subprocess.Popen(stack.as_user(stack.USER_OUT) + [
            PYTHON, str(HERE / "pending_attack.py"), f"--connections={connections}", f"--calls={calls}"],
            env=service.stack.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, preexec_fn=stack.die_with_parent)
        self.lines = queue.Queue()
        self.seen = {"begin": 0, "cancel": 0, "answers": {}}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def wait(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while not predicate(self.seen):
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{what}: not within {timeout}s; {self.seen}; "
                                     f"{self.proc.poll() is not None and self.proc.stderr.read()}")
            if "begin" in line:
                self.seen["begin"] = line["begin"]
            elif "cancel" in line:
                self.seen["cancel"] = line["cancel"]
            elif "answer" in line:
                self.seen["answers"][line["answer"]] = self.seen["answers"].get(line["answer"], 0) + 1
            elif "closed" in line:
                self.seen["closed"] = True

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def quota_service():
    svc = Service(config="[Journal]\nCategories=\n").start()
    yield svc
    svc.stop()


def test_unprivileged_pending_calls_never_refuse_root(quota_service):
    svc = quota_service
    from gi.repository import Gio, GLib
    attacker = Attacker(svc, connections=24, calls=16)
    try:
        # Everything beyond the attacker's quota is refused at once; what
        # is left waits for its agent, which never answers.
        attacker.wait(lambda s: sum(s["answers"].values()) >= 24 * 16 - 16 and s["begin"] >= 1, 60,
                      "the attacker's calls answered or pending")
        pending = svc.status()["authorizations_pending"]
        assert pending == 16, pending
        assert attacker.seen["answers"] == {"org.freedesktop.DBus.Error.LimitsExceeded": 24 * 16 - 16}, \
            attacker.seen
        conn = svc.connect()
        options = GLib.Variant("(a{sv})", ({"categories": GLib.Variant("as", ["process"])},))
        ok, failures = 0, []
        for _ in range(40):
            try:
                path = conn.call_sync(stack.BUS_NAME, stack.OBJECT_PATH, stack.INTERFACE, "Subscribe", options,
                                      GLib.VariantType("(o)"), Gio.DBusCallFlags.NONE, 10000, None)[0]
                conn.call_sync(stack.BUS_NAME, stack.OBJECT_PATH, stack.INTERFACE, "Unsubscribe",
                               GLib.Variant("(o)", (path,)), None, Gio.DBusCallFlags.NONE, 10000, None)
                ok += 1
            except GLib.Error as e:
                failures.append(e.message)
        print(f"root Subscribe: {ok} of 40 succeeded while {pending} calls of the attacker waited for polkit")
        assert ok == 40, failures[:3]
        # The attacker's calling connections go (its agent stays): every
        # check is cancelled at polkit, which withdraws it from the agent.
        begun = attacker.seen["begin"]
        attacker.send("close")
        attacker.wait(lambda s: s["cancel"] >= begun, 30, "CancelAuthentication for every request")
        stack.wait_until(lambda: svc.status()["authorizations_pending"] == 0, 10, "no pending authorization")
        print(f"{begun} authentications begun, {attacker.seen['cancel']} cancelled after the callers left")
    finally:
        attacker.stop()


def test_connection_quota(quota_service):
    """One connection has at most 16 calls waiting; another connection of the
    same user is refused by the uid quota, root by none."""
    attacker = Attacker(quota_service, connections=1, calls=20)
    try:
        attacker.wait(lambda s: sum(s["answers"].values()) >= 4, 60, "answers beyond the quota")
        assert attacker.seen["answers"] == {"org.freedesktop.DBus.Error.LimitsExceeded": 4}
        assert quota_service.status()["authorizations_pending"] == 16
        r = quota_service.bombusctl("status", user=stack.USER_OUT)
        assert r.returncode == 1 and "uid" in r.stderr and "waiting for polkit" in r.stderr, r.stderr
        assert quota_service.bombusctl("status").returncode == 0
    finally:
        attacker.stop()
