"""bombusd as a service for the tests of its APIs (D-Bus here, Varlink in
../varlink): a private system bus with polkitd and journald (stack.py),
bombusd started on it by D-Bus activation, subscribers and marker programs
whose events are easy to pick out on a busy machine.

Run as root with /usr/bin/python3 (python3-gi). Every daemon a test starts is
stopped by its fixture; the BPF programs bombusd held are checked to be gone.
"""
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest


sys.path.insert(0, str(Path(__file__).parent))
import stack  # noqa: E402

HERE = Path(__file__).parent
PYTHON = "/usr/bin/python3"  # Debian's, which has python3-gi


def bpf_ids_of(pid, kind):
    """IDs of the BPF programs (kind "prog") or maps ("map") process @pid
    holds, from the fdinfo of its descriptors (bpftool here does not report
    pids)."""
    ids = set()
    for info in Path(f"/proc/{pid}/fdinfo").iterdir():
        try:
            text = info.read_text()
        except OSError:
            continue
        ids |= {int(m) for m in re.findall(rf"^{kind}_id:\s*(\d+)$", text, re.M)}
    return ids


def bpf_object_exists(kind, id_):
    return subprocess.run(["bpftool", kind, "show", "id", str(id_)], capture_output=True).returncode == 0


class Service:
    """A stack with bombusd activated on it; stop() checks its exit."""

    def __init__(self, config="", polkit=True, journald=True, bombusd_args=()):
        self.dir = Path(tempfile.mkdtemp(prefix="bombus-dbus-"))
        # Test users reach the bus socket through it.
        self.dir.chmod(0o755)
        self.stack = stack.Stack(self.dir, bombusd_config=config, polkit=polkit, journald=journald,
                                 bombusd_args=bombusd_args)
        self.socket = self.stack.varlink_socket
        self.subscribers = []
        self.programs = set()

    def start(self):
        self.stack.start()
        try:
            started = time.monotonic()
            # The first call starts bombusd through the activation file.
            self.activation_status = self.stack.status()
            self.activation_seconds = time.monotonic() - started
            self.pid = self.stack.find_bombusd()
            self.programs = bpf_ids_of(self.pid, "prog")
            assert self.programs, "bombusd holds no BPF programs"
        except BaseException:
            self.stack.stop()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        return self

    def status(self, user=None):
        return self.stack.status(user)

    def subscriber(self, *args, user=None, wait=True):
        sub = Subscriber(self.stack, list(args), user)
        self.subscribers.append(sub)
        if wait:
            sub.wait_subscribed()
        return sub

    def bombusctl(self, *args, user=None, timeout=60, **kwargs):
        argv = (stack.as_user(user) if user else []) + [stack.bombusctl_binary(), *args]
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.run(argv, env=self.stack.env(), capture_output=True, text=True, timeout=timeout, **kwargs)

    def connect(self):
        """A GDBus connection of this (root) process to the test bus."""
        from gi.repository import Gio
        flags = Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
        return Gio.DBusConnection.new_for_address_sync(self.stack.address, flags, None, None)

    def wanted_map(self):
        """The value of the "wanted" BPF maps bombusd holds: one per monitor's
        object, all written with the same categories."""
        ids = [i for i in bpf_ids_of(self.pid, "map")
               if json.loads(subprocess.run(["bpftool", "map", "show", "id", str(i), "-j"], capture_output=True,
                                            text=True, check=True).stdout).get("name") == "wanted"]
        assert ids, "bombusd holds no map called wanted"
        values = set()
        for map_id in ids:
            entry = json.loads(subprocess.run(["bpftool", "map", "dump", "id", str(map_id), "-j"],
                                              capture_output=True, text=True, check=True).stdout)[0]
            if "formatted" in entry:
                values.add(entry["formatted"]["value"])
            else:
                values.add(int.from_bytes(bytes(int(b, 16) for b in entry["value"]), "little"))
        assert len(values) == 1, f"the wanted maps disagree: {values}"
        return values.pop()

    def stop(self):
        for sub in self.subscribers:
            sub.stop()
        log = self.stack.stop_bombusd()
        self.stack.stop()
        for marker in stack.SANITIZER_MARKERS:
            assert marker not in log, f"sanitizer report from bombusd:\n{log}"
        # bombusd logs its counters as it exits normally (not on a crash or
        # an unhandled signal).
        assert "bombusd: counters:" in log, f"bombusd did not exit cleanly:\n{log[-3000:]}"
        left = [p for p in self.programs if bpf_object_exists("prog", p)]
        assert not left, f"BPF programs of bombusd still loaded after it stopped: {left}"
        shutil.rmtree(self.dir, ignore_errors=True)


class JsonLinesProcess:
    """A client program as a subprocess (as @user when given) printing one
    JSON object per line, its lines parsed as they arrive."""

    def __init__(self, argv, user=None, env=None):
        argv = (stack.as_user(user) if user else []) + argv
        # SIGKILL: a subscriber may be stopped (SIGSTOP) when the run ends.
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=lambda: stack.die_with_parent(signal.SIGKILL))
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                parsed = json.loads(line)
            except json.JSONDecodeError:
                # Only a last line, cut as the client was stopped while
                # writing it: a test that reads it fails on its own terms.
                parsed = {"unparsed": line}
            with self.cond:
                self.lines.append(parsed)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, predicate, timeout=20, what="line"):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if predicate(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise AssertionError(f"no {what} within {timeout}s from the subscriber; got "
                                         f"{len(self.lines)} lines: {self.lines[:3]} stderr: {self.stderr()}")
                self.cond.wait(min(left, 0.5))

    def event_objects(self):
        """Every event received so far, parsed, in order."""
        raise NotImplementedError

    def wait_event(self, type_, pid, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            for event in self.event_objects():
                if event["type"] == type_ and event["process"]["pid"] == pid:
                    return event
            if time.monotonic() > deadline:
                raise AssertionError(f"no {type_} of pid {pid} within {timeout}s; "
                                     f"{len(self.event_objects())} events received")
            time.sleep(0.05)

    def stderr(self):
        if self.proc.poll() is None:
            return "(running)"
        return self.proc.stderr.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # in case it was stopped
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class Subscriber(JsonLinesProcess):
    """gdbus_subscriber.py: a D-Bus subscriber."""

    def __init__(self, stack_, args, user):
        super().__init__([PYTHON, str(HERE / "gdbus_subscriber.py"), *args], user, stack_.env())
        self.path = None

    def wait_subscribed(self):
        line = self.wait_for(lambda l: "subscription" in l or "error" in l, what="subscription")
        assert "subscription" in line, f"Subscribe failed: {line}"
        self.path = line["subscription"]
        return self.path

    def event_objects(self):
        with self.cond:
            lines = list(self.lines)
        out = []
        for line in lines:
            if line.get("signal") == "Event":
                out.append(json.loads(line["json"]))
            elif line.get("signal") == "Events":
                out += [json.loads(j) for _, j in line["events"]]
        return out

    def events(self):
        """(type, parsed JSON) of every event received so far, in order."""
        return [(e["type"], e) for e in self.event_objects()]

    def dropped(self):
        with self.cond:
            return sum(l["count"] for l in self.lines if l.get("signal") == "Dropped")


class Markers:
    """Copies of /usr/bin/true under a directory of their own: events of
    these binaries are picked out with binary_path_prefixes."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="bombus-marker-"))
        self.dir.chmod(0o755)
        self.binary = self.dir / f"marker-{uuid.uuid4().hex[:8]}"
        shutil.copy("/usr/bin/true", self.binary)
        self.binary.chmod(0o755)

    @property
    def prefix(self):
        return str(self.dir)

    def run(self, *args, user=None):
        """Runs the marker to completion; returns its pid."""
        argv = (stack.as_user(user) if user else []) + [str(self.binary), *args]
        proc = subprocess.Popen(argv)
        proc.wait()
        return proc.pid

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def markers():
    m = Markers()
    yield m
    m.cleanup()


# -- bombusd going away (tests of clients that reconnect) ----------------------

def lines_of(stream):
    q = queue.Queue()
    threading.Thread(target=lambda: [q.put(l) for l in stream], daemon=True).start()
    return q


def wait_line(q, predicate, timeout, what, seen):
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = q.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"{what}: not within {timeout}s; got {seen}")
        seen.append(line)
        if predicate(line):
            return line


def kill_bombusd(svc):
    """kill -9, as a crash: the name goes, the activation file stays."""
    os.kill(svc.pid, signal.SIGKILL)
    stack.wait_until(lambda: stack._has_exited(svc.pid), 10, "bombusd killed")
    svc.stack.bombusd_pid = None


def adopt_new_bombusd(svc, old_pid):
    """The fixture stops (and checks) whichever bombusd runs at the end."""
    stack.wait_until(lambda: svc.stack.name_has_owner(stack.BUS_NAME), 60, "bombusd activated again")
    svc.pid = svc.stack.find_bombusd()
    assert svc.pid != old_pid
    svc.programs = bpf_ids_of(svc.pid, "prog")
