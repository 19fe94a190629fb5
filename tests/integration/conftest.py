"""Fixtures for the integration tests: a real bombusd on the real kernel.

The binary under test is $BOMBUSD (default: build/daemon/bombusd); extra
bombusd arguments can be given in $BOMBUSD_ARGS (e.g. "--hook-mode=lsm", as
the VM lane does). Tests run as root; without root every test here is skipped
with the reason printed.
"""
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "UndefinedBehaviorSanitizer")


def bombusd_binary():
    return os.environ.get("BOMBUSD", str(ROOT / "build" / "daemon" / "bombusd"))


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        reason = "integration tests need root (BPF programs are loaded): run them as root"
        print(f"\n*** SKIPPING integration tests: {reason} ***\n")
        for item in items:
            item.add_marker(pytest.mark.skip(reason=reason))


class Bombusd:
    """bombusd --stdout, with its events parsed as they arrive."""

    def __init__(self, tmp_path, args=(), ready_timeout=30):
        self.stderr_path = tmp_path / "bombusd.stderr"
        self._stderr = open(self.stderr_path, "w+")
        extra = os.environ.get("BOMBUSD_ARGS", "").split()
        self.proc = subprocess.Popen([bombusd_binary(), "--stdout", *extra, *args],
                                     stdout=subprocess.PIPE, stderr=self._stderr)
        self.events = []
        self.bad_lines = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + ready_timeout
        while "monitoring;" not in self.stderr():
            if self.proc.poll() is not None:
                raise RuntimeError(f"bombusd exited with {self.proc.returncode}:\n{self.stderr()}")
            if time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError(f"bombusd did not become ready:\n{self.stderr()}")
            time.sleep(0.05)

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                with self._cond:
                    self.bad_lines.append(line)
                continue
            with self._cond:
                self.events.append(event)
                self._cond.notify_all()

    def stderr(self):
        return self.stderr_path.read_text()

    def wait_for(self, predicate, timeout=10, what="event"):
        """The first event matching predicate, waiting up to timeout seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {what} within {timeout}s; {len(self.events)} events seen")
                self._cond.wait(left)

    def wait_event(self, type_, pid, timeout=10):
        return self.wait_for(lambda e: e["type"] == type_ and e["process"]["pid"] == pid, timeout,
                             what=f"{type_} for pid {pid}")

    def events_of(self, pid):
        with self._cond:
            return [e for e in self.events if e["process"]["pid"] == pid]

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout)
        self._reader.join(timeout)
        return self.proc.returncode

    def check_clean_exit(self):
        """Exit status 0 and no sanitizer report: a failure otherwise."""
        rc = self.stop()
        err = self.stderr()
        for marker in SANITIZER_MARKERS:
            assert marker not in err, f"sanitizer report in bombusd's stderr:\n{err}"
        assert rc == 0, f"bombusd exited with {rc}:\n{err}"
        assert not self.bad_lines, f"stdout lines that are not JSON: {self.bad_lines[:3]}"


@pytest.fixture
def bombusd(tmp_path):
    daemon = Bombusd(tmp_path)
    yield daemon
    daemon.check_clean_exit()


@pytest.fixture(scope="module")
def shared_bombusd(tmp_path_factory):
    """One bombusd for a whole module: stopping one takes a second or two
    (each detached tracepoint waits for an RCU grace period), and tests that
    match events by pid do not disturb each other."""
    daemon = Bombusd(tmp_path_factory.mktemp("bombusd"))
    yield daemon
    daemon.check_clean_exit()


@pytest.fixture
def start_bombusd(tmp_path):
    """For tests that need to act before bombusd starts: call it to start."""
    started = []

    def start(args=()):
        daemon = Bombusd(tmp_path, args)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.check_clean_exit()
