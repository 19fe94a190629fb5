"""A real bombusd under test, and how to run it.

The binary is $BOMBUSD (default: build/daemon/bombusd); extra bombusd
arguments can be given in $BOMBUSD_ARGS (e.g. "--hook-mode=lsm", as the VM
lane does).
"""
import itertools
import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import procinfo

ROOT = Path(__file__).resolve().parents[2]
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "UndefinedBehaviorSanitizer")
TIMEOUT = procinfo.TIMEOUT
# Runs a command as nobody, without supplementary groups or capabilities.
UNPRIVILEGED_USER = 65534
AS_UNPRIVILEGED = ["setpriv", f"--reuid={UNPRIVILEGED_USER}", f"--regid={UNPRIVILEGED_USER}",
                   "--clear-groups"]

# Runs in a python child: exec the file open on fd argv[1] with the argv that
# follows (fexecve: execveat with AT_EMPTY_PATH), whatever its path.
FEXECVE = "import os, sys; os.execve(int(sys.argv[1]), sys.argv[2:], {})"

_sync_serial = itertools.count()
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def fexecve_command(fd, argv):
    """A command that execs the file open on @fd (pass it with pass_fds)."""
    return [sys.executable, "-c", FEXECVE, str(fd), *argv]


def types(events):
    return [e["type"] for e in events]


def bombusd_binary():
    return os.environ.get("BOMBUSD", str(ROOT / "build" / "daemon" / "bombusd"))


def assert_no_sanitizer_report(stderr):
    for marker in SANITIZER_MARKERS:
        assert marker not in stderr, f"sanitizer report in bombusd's stderr:\n{stderr}"


class Bombusd:
    """bombusd --stdout, with its events parsed as they arrive."""

    def __init__(self, tmp_path, args=(), env=None, ready_timeout=TIMEOUT):
        self.stderr_path = tmp_path / f"bombusd-{time.monotonic_ns()}.stderr"
        self._stderr = open(self.stderr_path, "w+")
        extra = os.environ.get("BOMBUSD_ARGS", "").split()
        self.proc = subprocess.Popen([bombusd_binary(), "--stdout", *extra, *args],
                                     stdout=subprocess.PIPE, stderr=self._stderr,
                                     env=None if env is None else {**os.environ, **env})
        self.pid = self.proc.pid
        self.events = []
        self.lines = []  # raw stdout lines (bytes), for checks on the encoding
        self.bad_lines = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self.wait_stderr("monitoring;", timeout=ready_timeout)
        except AssertionError:
            self.proc.kill()
            self.proc.wait()
            raise

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line.decode("utf-8"))
                # bombusd writes text as UTF-8, never as surrogate escapes
                # (a lone one would not be text at all).
                if SURROGATE_ESCAPE.search(line):
                    raise ValueError("surrogate escape")
            except ValueError as e:
                with self._cond:
                    self.bad_lines.append((str(e), line))
                continue
            with self._cond:
                self.lines.append(line)
                self.events.append(event)
                self._cond.notify_all()

    def stderr(self):
        return self.stderr_path.read_text()

    def wait_stderr(self, text, count=1, timeout=TIMEOUT):
        """Waits until @text occurs @count times in stderr; returns stderr.
        Fails at once if bombusd exits first."""
        deadline = time.monotonic() + timeout
        while True:
            err = self.stderr()
            if err.count(text) >= count:
                return err
            if self.proc.poll() is not None:
                raise AssertionError(f"bombusd exited with {self.proc.returncode} before printing "
                                     f"{text!r}:\n{err}")
            if time.monotonic() > deadline:
                raise AssertionError(f"bombusd did not print {text!r} within {timeout}s:\n{err}")
            time.sleep(0.02)  # stderr is a file: nothing to block on

    def mark(self):
        """A position in the event list: pass it as since= to look only at
        later events (pids are reused, and pid_max may be small)."""
        with self._cond:
            return len(self.events)

    def wait_for(self, predicate, timeout=TIMEOUT, what="event", since=0):
        """The first event from @since on matching predicate, waiting up to
        timeout seconds. Each event is looked at once: under load thousands
        arrive while a test waits, and the reader must not starve."""
        deadline = time.monotonic() + timeout
        index = since
        with self._cond:
            while True:
                while index < len(self.events):
                    event = self.events[index]
                    index += 1
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
        raise AssertionError(f"no {what} within {timeout}s; {index} events seen; "
                             f"bombusd says: {self.counters_now()}")

    def counters_now(self):
        """bombusd's counters line (SIGUSR1), to tell a lost event from a
        missing one."""
        if self.proc.poll() is not None:
            return f"(exited with {self.proc.returncode})"
        seen = self.stderr().count("counters:")
        self.proc.send_signal(signal.SIGUSR1)
        try:
            err = self.wait_stderr("counters:", seen + 1, timeout=5)
        except AssertionError as e:
            return f"(no counters: {e})"
        return err[err.rindex("counters:"):].split("\n", 1)[0]

    def wait_event(self, type_, pid=None, timeout=TIMEOUT, since=0, **fields):
        """The first event of @type_ for process @pid (any pid when None)
        whose process object also has the given field values."""
        def matches(e):
            p = e["process"]
            return (e["type"] == type_ and pid in (None, p["pid"])
                    and all(p.get(k) == v for k, v in fields.items()))
        return self.wait_for(matches, timeout, what=f"{type_} for pid {pid} with {fields}", since=since)

    def lifecycle(self, pid, since):
        """The ProcessClone, ProcessExec and ProcessExit events of process
        @pid from @since up to its ProcessExit, waiting for that exit."""
        end = self.wait_event("ProcessExit", pid, since=since)
        with self._cond:
            events = []
            for event in self.events[since:]:
                if event["type"] in procinfo.LIFECYCLE_TYPES and event["process"]["pid"] == pid:
                    events.append(event)
                if event is end:
                    return events

    def run(self, argv, **popen):
        """Runs @argv to a zero exit status; returns (Popen, every event of
        its process up to its exit)."""
        since = self.mark()
        child = subprocess.Popen(argv, **popen)
        assert child.wait(TIMEOUT) == 0, f"{argv} failed"
        return child, self.lifecycle(child.pid, since)

    def sync(self):
        """Returns once every event of what happened before the call has been
        read: runs a marker process and waits for its exit. The kernel ring
        buffer keeps order, so earlier events come before the marker's."""
        marker = f"bombus-sync-{os.getpid()}-{next(_sync_serial)}"
        since = self.mark()
        child = subprocess.Popen(["/usr/bin/true", marker])
        child.wait()
        self.wait_event("ProcessExit", child.pid, since=since, args=marker)

    def events_of(self, pid, type_=None, since=0):
        with self._cond:
            return [e for e in self.events[since:]
                    if e["process"]["pid"] == pid and (type_ is None or e["type"] == type_)]

    def stop(self, sig=signal.SIGTERM, timeout=TIMEOUT):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout)
        self._reader.join(timeout)
        self._stderr.close()
        return self.proc.returncode

    def check_clean_exit(self):
        """Exit status 0, no sanitizer report, and only well-formed events:
        a failure otherwise."""
        rc = self.stop()
        err = self.stderr()
        assert_no_sanitizer_report(err)
        assert rc == 0, f"bombusd exited with {rc}:\n{err}"
        assert not self.bad_lines, \
            f"{len(self.bad_lines)} stdout lines are not JSON in UTF-8; first: {self.bad_lines[0]}"
        for event in self.events:
            procinfo.assert_event_shape(event)


def spawn_ready(args=(), stdout=subprocess.PIPE, ready_timeout=TIMEOUT, may_fail=False):
    """Starts bombusd --stdout with its stderr on a pipe and returns
    (Popen, stderr text so far) as soon as the ready line has been read, for
    tests that must act at that very moment or read stdout themselves. The
    caller reads the rest of stderr. With @may_fail, a bombusd that exits
    instead is returned too (reaped, with all its stderr)."""
    proc = subprocess.Popen([bombusd_binary(), "--stdout", *args], stdout=stdout, stderr=subprocess.PIPE)
    err = b""
    deadline = time.monotonic() + ready_timeout
    while b"monitoring;" not in err:
        left = deadline - time.monotonic()
        readable = left > 0 and select.select([proc.stderr], [], [], left)[0]
        chunk = proc.stderr.read1(65536) if readable else None
        if chunk == b"" and may_fail:
            proc.wait(ready_timeout)
            break
        if not chunk:
            proc.kill()
            proc.wait()
            raise AssertionError(f"bombusd did not become ready:\n{err.decode(errors='replace')}")
        err += chunk
    return proc, err.decode(errors="replace")


def finish(proc, err, sig=None):
    """Sends @sig (if any) to a bombusd from spawn_ready, waits for its exit
    and returns (its stdout if piped, all its stderr); fails on a sanitizer
    report."""
    try:
        if sig is not None and proc.poll() is None:
            proc.send_signal(sig)
        out, rest = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
        proc.wait()
    err += (rest or b"").decode(errors="replace")
    assert_no_sanitizer_report(err)
    return out, err
