"""A private system-bus stack for testing bombusd as a D-Bus service.

Everything here is real and started by the tests: dbus-daemon with a system
bus configuration that includes the project's bus policy and a service
directory holding the project's activation file (its Exec pointed at the
build's bombusd), polkitd with the project's actions and a rules file
granting a test group, and systemd-journald.

The daemons run in a private mount namespace so that nothing on the host is
touched and nothing of the host (another journald, the real polkit rules)
interferes: a tmpfs covers /run/systemd (journald's sockets), and test
directories are bound over /run/log (the journal files), polkit's action
and rules directories and journald.conf. The bus socket lives in the test's
directory, visible from both sides; journal files are read from outside
with journalctl -D.

Also used by bench/dbus-delivery.
"""
import ctypes
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BUILD = Path(os.environ.get("BOMBUS_BUILD", ROOT / "build"))
BUS_NAME = "org.bombus.Monitor1"
OBJECT_PATH = "/org/bombus/Monitor1"
INTERFACE = "org.bombus.Monitor1"

TEST_GROUP = "bombus-test"
USER_IN = "bombus-test-in"    # in TEST_GROUP: may watch processes
USER_OUT = "bombus-test-out"  # not in it: may do nothing

# Granted to TEST_GROUP; subscribe-privilege and subscribe-io-uring are not.
POLKIT_RULES = """\
polkit.addRule(function(action, subject) {
    if ((action.id == "org.bombus.monitor.subscribe-process" ||
         action.id == "org.bombus.monitor.status") &&
        subject.isInGroup("%s"))
        return polkit.Result.YES;
});
""" % TEST_GROUP

JOURNALD_CONF = """\
[Journal]
Storage=volatile
RateLimitIntervalSec=0
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
"""

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "UndefinedBehaviorSanitizer")


def bombusd_binary():
    # absolute: dbus-daemon runs the activation file's Exec from its own cwd
    return os.path.abspath(os.environ.get("BOMBUSD", str(BUILD / "daemon" / "bombusd")))


def bombusctl_binary():
    return os.environ.get("BOMBUSCTL", str(BUILD / "ctl" / "bombusctl"))


def die_with_parent(sig=signal.SIGTERM):
    """For preexec_fn: @sig when the test process goes away, so that an
    interrupted run leaves nothing behind."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)


def ensure_test_users():
    """Creates the test group and users once; harmless when they exist."""
    if subprocess.run(["getent", "group", TEST_GROUP], capture_output=True).returncode != 0:
        subprocess.run(["groupadd", "--system", TEST_GROUP], check=True)
    for user, groups in ((USER_IN, [TEST_GROUP]), (USER_OUT, [])):
        if subprocess.run(["getent", "passwd", user], capture_output=True).returncode != 0:
            args = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
            if groups:
                args += ["--groups", ",".join(groups)]
            subprocess.run(args + [user], check=True)


def as_user(user):
    """Command prefix running a program as @user with its groups."""
    return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout}s")
        time.sleep(0.05)


class Stack:
    """dbus-daemon (+ polkitd, journald) in a private mount namespace."""

    def __init__(self, tmp: Path, bombusd_config="", polkit=True, journald=True, bombusd_args=()):
        self.tmp = Path(tmp)
        self.polkit = polkit
        self.journald = journald
        self.procs = {}
        self.logs = {}
        self.holder = None
        self.address = f"unix:path={self.tmp / 'bus.sock'}"
        self.journal_dir = self.tmp / "log"
        self.bombusd_config = self.tmp / "bombusd.conf"
        self.bombusd_config.write_text(bombusd_config)
        # bombusd's Varlink socket in the test's directory: tests never touch
        # the system's /run/bombus, nor a bombusd of another run.
        self.varlink_socket = str(self.tmp / "io.bombus.Monitor")
        self.bombusd_args = ([f"--varlink={self.varlink_socket}"] + list(bombusd_args) +
                             os.environ.get("BOMBUSD_ARGS", "").split())
        self.bombusd_pid = None

    # -- setup --------------------------------------------------------------

    def _write_files(self):
        services = self.tmp / "services"
        services.mkdir()
        # The project's activation file, with Exec pointed at the build.
        activation = (BUILD / "dbus" / "org.bombus.Monitor1.service").read_text()
        exec_line = " ".join([bombusd_binary(), f"--config={self.bombusd_config}", *self.bombusd_args])
        lines = [f"Exec={exec_line}" if l.startswith("Exec=") else l for l in activation.splitlines()]
        (services / "org.bombus.Monitor1.service").write_text("\n".join(lines) + "\n")
        includes = [ROOT / "dbus" / "org.bombus.Monitor1.conf",
                    Path("/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf")]
        # The default policy of a system bus (as dbus's system.conf): deny,
        # then each service's file punches its holes.
        (self.tmp / "bus.conf").write_text(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>{self.address}</listen>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  {''.join(f'<include>{p}</include>' for p in includes)}
</busconfig>
""")
        actions = self.tmp / "polkit-actions"
        actions.mkdir()
        shutil.copy(ROOT / "polkit" / "org.bombus.Monitor1.policy", actions)
        rules = self.tmp / "polkit-rules"
        rules.mkdir()
        (rules / "50-bombus-test.rules").write_text(POLKIT_RULES)
        (self.tmp / "journald.conf").write_text(JOURNALD_CONF)
        self.journal_dir.mkdir()

    def _start_namespace(self):
        t = self.tmp
        script = "; ".join([
            "set -e",
            "mount -t tmpfs -o mode=0755 tmpfs /run/systemd",
            "mkdir /run/systemd/journal",
            f"mount --bind {t / 'log'} /run/log",
            f"mount --bind {t / 'polkit-actions'} /usr/share/polkit-1/actions",
            f"mount --bind {t / 'polkit-rules'} /etc/polkit-1/rules.d",
            f"mount --bind {t / 'journald.conf'} /etc/systemd/journald.conf",
            "echo ready",
            "exec sleep infinity",
        ])
        self.holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                       preexec_fn=die_with_parent)
        line = self.holder.stdout.readline()
        if line.strip() != "ready":
            self.holder.wait(5)
            raise RuntimeError(f"cannot set up the mount namespace: {self.holder.stderr.read()}")

    def _spawn(self, name, argv, env=None, stdout=None):
        log = open(self.tmp / f"{name}.log", "w+")
        self.logs[name] = self.tmp / f"{name}.log"
        full_env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address, **(env or {}))
        proc = subprocess.Popen(["nsenter", f"--target={self.holder.pid}", "--mount", "--", *argv],
                                stdout=stdout or log, stderr=log, env=full_env, text=True,
                                preexec_fn=die_with_parent)
        self.procs[name] = proc
        return proc

    def start(self):
        ensure_test_users()
        self._write_files()
        self._start_namespace()
        try:
            if self.journald:
                self._spawn("journald", ["/lib/systemd/systemd-journald"])
                wait_until(lambda: self.in_namespace(["test", "-S", "/run/systemd/journal/socket"]).returncode == 0,
                           10, "journald's socket")
            bus = self._spawn("dbus-daemon", ["dbus-daemon", f"--config-file={self.tmp / 'bus.conf'}", "--nofork",
                                              "--print-address"], stdout=subprocess.PIPE)
            if not bus.stdout.readline().startswith("unix:"):
                raise RuntimeError(f"dbus-daemon did not start:\n{self.log('dbus-daemon')}")
            if self.polkit:
                self._spawn("polkitd", ["/usr/lib/polkit-1/polkitd", "--no-debug"])
                wait_until(lambda: self.name_has_owner("org.freedesktop.PolicyKit1"), 60, "polkitd on the bus")
        except BaseException:
            self.stop()
            raise
        return self

    # -- using it -----------------------------------------------------------

    def in_namespace(self, argv, **kwargs):
        return subprocess.run(["nsenter", f"--target={self.holder.pid}", "--mount", "--", *argv],
                              capture_output=True, text=True, **kwargs)

    def env(self):
        return dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)

    def log(self, name):
        # errors="replace": bombusd may quote bytes of a config file that
        # are not UTF-8 in what it logs.
        return self.logs[name].read_text(errors="replace") if name in self.logs else ""

    def busctl(self, *args, user=None, check=True, timeout=60):
        argv = (as_user(user) if user else []) + ["busctl", f"--address={self.address}", *args]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(f"busctl {' '.join(args)} failed: {r.stderr}")
        return r

    def call(self, method, signature="", *args, user=None, check=True, timeout=60):
        """Calls a method of bombusd with busctl; returns the CompletedProcess
        (stdout: busctl's --json=short reply)."""
        return self.busctl("--json=short", "call", BUS_NAME, OBJECT_PATH, INTERFACE, method,
                           *([signature, *map(str, args)] if signature else []), user=user, check=check,
                           timeout=timeout)

    def status(self, user=None):
        return unwrap(json.loads(self.call("GetStatus", user=user).stdout)["data"][0])

    def name_has_owner(self, name):
        r = self.busctl("--json=short", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                        "org.freedesktop.DBus", "NameHasOwner", "s", name, check=False)
        return r.returncode == 0 and json.loads(r.stdout)["data"][0]

    def find_bombusd(self):
        r = self.busctl("--json=short", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                        "org.freedesktop.DBus", "GetConnectionUnixProcessID", "s", BUS_NAME)
        self.bombusd_pid = json.loads(r.stdout)["data"][0]
        return self.bombusd_pid

    def journal(self, *matches):
        """Entries of the test journal as dicts (journalctl -o json; --all:
        fields beyond 4096 bytes, as events with context often are, would be
        null otherwise)."""
        r = subprocess.run(["journalctl", "-D", str(self.journal_dir / "journal"), "--no-pager", "-o", "json",
                            "--all", *matches], capture_output=True, text=True)
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

    # -- teardown -----------------------------------------------------------

    def stop_bombusd(self, timeout=30):
        """SIGTERM to the activated bombusd; returns its stderr (in dbus-daemon's log)."""
        pid = self.bombusd_pid
        if pid and Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGTERM)
            wait_until(lambda: _has_exited(pid), timeout, "bombusd exit")
        self.bombusd_pid = None
        return self.log("dbus-daemon")

    def stop(self):
        if self.bombusd_pid:
            self.stop_bombusd()
        for name in ("polkitd", "dbus-daemon", "journald"):
            proc = self.procs.get(name)
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
        if self.holder and self.holder.poll() is None:
            self.holder.terminate()
            self.holder.wait(10)


def _has_exited(pid):
    """A zombie, or reaped already (possibly while its stat was being read:
    ESRCH from the read, seen in the VM lane)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True


def unwrap(value):
    """busctl --json values ({"type": ..., "data": ...}) as plain Python."""
    if isinstance(value, dict) and set(value) == {"type", "data"}:
        return unwrap(value["data"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value
