"""The systemd unit: systemd-analyze verify, and its hardening checked
against what bombusd does (systemd is not PID 1 here, so each setting that
matters is reproduced: the capability bounding set and no_new_privs with
setpriv, the system call filter by tracing bombusd)."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import stack
from bombus_service import Markers, Service

UNIT = "bombusd.service"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """meson install into a fresh root, with the host's units beside ours
    (verify follows dependencies such as dbus.socket and sysinit.target)."""
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["meson", "install", "-C", str(stack.BUILD), "--destdir", str(root), "--quiet"], check=True,
                   capture_output=True)
    shutil.copytree("/lib/systemd/system", root / "usr" / "lib" / "systemd" / "system", symlinks=True,
                    dirs_exist_ok=True, ignore=lambda d, names: [UNIT] if UNIT in names else [])
    # ExecReload= runs kill, found in the root's PATH as on the host.
    (root / "usr" / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy(shutil.which("kill"), root / "usr" / "bin" / "kill")
    return root, next(p for p in root.rglob(UNIT) if "bombusd" in p.read_text())


def unit_setting(unit_file, key):
    return re.search(rf"^{key}=(.*)$", unit_file.read_text(), re.M).group(1).split()


def verify(root, unit):
    return subprocess.run(["systemd-analyze", "verify", f"--root={root}", unit], capture_output=True, text=True)


def test_systemd_analyze_verify(installed):
    root, unit_file = installed
    r = verify(root, UNIT)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    # And it does catch a broken unit.
    broken = unit_file.with_name("bombusd-broken.service")
    broken.write_text(unit_file.read_text().replace("Type=notify", "Type=dbus-ish"))
    r = verify(root, broken.name)
    assert "dbus-ish" in r.stderr


def test_metrics_units(installed):
    """bombus-metrics.service and .timer: valid, the service hardened as
    bombusd is (systemd-analyze security <= 2.0), the timer every 15 s."""
    root, unit_file = installed
    r = verify(root, "bombus-metrics.timer")
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    service = unit_file.with_name("bombus-metrics.service")
    # --dbus: a connection to bombusd.socket's Varlink socket would start it.
    assert unit_setting(service, "ExecStart")[1:] == [
        "--dbus", "metrics", "--output=/var/lib/prometheus/node-exporter/bombus.prom"]
    assert unit_setting(unit_file.with_name("bombus-metrics.timer"), "OnUnitActiveSec") == ["15s"]
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", f"--root={root}", "--threshold=20",
                        str(service)], capture_output=True, text=True)
    score = re.search(r"Overall exposure level for bombus-metrics.service: (\d+\.\d+)", r.stdout)
    assert score and float(score.group(1)) <= 2.0, r.stdout[-500:]


def test_unit_says_what_the_issue_asks(installed):
    _, unit_file = installed
    text = unit_file.read_text()
    for line in ("Type=notify", "BusName=org.bombus.Monitor1", "WatchdogSec=30s", "ExecReload=kill -HUP $MAINPID",
                 "Restart=on-failure", "WantedBy=multi-user.target",
                 "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                 "RestrictAddressFamilies=AF_UNIX", "SystemCallArchitectures=native", "NotifyAccess=main"):
        assert re.search(rf"^{re.escape(line)}$", text, re.M), line
    sbin = next(installed[0].rglob("sbin/bombusd"))
    assert unit_setting(unit_file, "ExecStart")[0] == "/" + str(sbin.relative_to(installed[0]))


def run_with_caps(caps, seconds=1):
    """bombusd --stdout as root with only @caps, and no_new_privs, as the
    unit runs it. A process of another user started before it is killed
    while it runs; returns (exit status, events, stderr, that pid)."""
    sleeper = subprocess.Popen(stack.as_user(stack.USER_OUT) + ["sleep", "300"])
    # Running sleep, not still setpriv, when bombusd reads /proc.
    stack.wait_until(lambda: os.path.realpath(f"/proc/{sleeper.pid}/exe") == os.path.realpath("/usr/bin/sleep"),
                     10, "the sleeper's exec")
    bounding = ",".join(["-all"] + ["+" + c.lower().removeprefix("cap_") for c in caps])
    with tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen(["setpriv", f"--bounding-set={bounding}", "--inh-caps=-all", "--no-new-privs",
                                 "--", stack.bombusd_binary(), "--stdout"], stdout=subprocess.PIPE,
                                stderr=stderr, text=True)
        try:
            # The sleeper dies once bombusd has read /proc (slow to start
            # with AddressSanitizer on a loaded machine), or has failed.
            def started():
                stderr.seek(0)
                return "monitoring;" in stderr.read() or proc.poll() is not None

            stack.wait_until(started, 120, "bombusd monitoring or gone")
            time.sleep(seconds)
            sleeper.kill()
            sleeper.wait()
            time.sleep(1)
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=30)
        finally:
            if sleeper.poll() is None:
                sleeper.kill()
                sleeper.wait()
        stderr.seek(0)
        err = stderr.read()
    events = [json.loads(l) for l in out.splitlines()]
    return proc.returncode, events, err, sleeper.pid


def exit_of(events, pid):
    return next(e for e in events if e["type"] == "ProcessExit" and e["process"]["pid"] == pid)


def test_bounding_set_is_enough(installed):
    caps = unit_setting(installed[1], "CapabilityBoundingSet")
    assert set(caps) == {"CAP_BPF", "CAP_PERFMON", "CAP_SYS_PTRACE"}
    rc, events, err, pid = run_with_caps(caps)
    assert rc == 0, err
    assert "without CAP_SYS_PTRACE" not in err
    # Seeded from /proc of another user's process: needs CAP_SYS_PTRACE.
    assert exit_of(events, pid)["process"]["binary_path"] == "/usr/bin/sleep"


def test_without_sys_ptrace_older_processes_lose_their_binary():
    rc, events, err, pid = run_with_caps(["CAP_BPF", "CAP_PERFMON"])
    assert rc == 0, err
    assert "without CAP_SYS_PTRACE" in err
    assert exit_of(events, pid)["process"]["binary_path"] == ""


@pytest.mark.parametrize("missing", ["CAP_BPF", "CAP_PERFMON"])
def test_bpf_needs_bpf_and_perfmon(missing):
    caps = [c for c in ("CAP_BPF", "CAP_PERFMON", "CAP_SYS_PTRACE") if c != missing]
    rc, _, err, _ = run_with_caps(caps, seconds=1)
    assert rc != 0
    assert "CAP_BPF and CAP_PERFMON" in err


def syscall_filter(name, seen=None):
    """Every system call of a systemd-analyze syscall-filter set, groups expanded."""
    seen = set() if seen is None else seen
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True, text=True,
                         check=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        if word.startswith("@"):
            if word not in seen:
                seen.add(word)
                calls |= syscall_filter(word, seen)
        else:
            calls.add(word)
    return calls


@pytest.mark.skipif(not shutil.which("strace"), reason="strace is not installed")
def test_system_calls_pass_the_filter(installed, tmp_path, monkeypatch):
    """bombusd as a D-Bus service (a subscriber, the journal, a clean
    stop) uses only system calls of the unit's SystemCallFilter."""
    allowed = set()
    for item in unit_setting(installed[1], "SystemCallFilter"):
        allowed |= syscall_filter(item) if item.startswith("@") else {item}
    trace = tmp_path / "strace"
    wrapper = tmp_path / "traced-bombusd"
    wrapper.write_text(f"#!/bin/sh\nexec strace -f -qq -o {trace} {stack.bombusd_binary()} \"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setattr(stack, "bombusd_binary", lambda: str(wrapper))
    svc = Service(config="[Journal]\nCategories=process\n")
    markers = Markers()
    try:
        svc.start()
        sub = svc.subscriber("--category=process", f"--prefix={markers.prefix}")
        sub.wait_event("ProcessExec", markers.run())
        svc.status()
    finally:
        svc.stop()
        markers.cleanup()
    used = {m.group(1) for m in re.finditer(r"^\d+ +(\w+)\(", trace.read_text(), re.M)}
    assert {"bpf", "perf_event_open", "sendmsg"} <= used
    # execve: strace starting bombusd, before any filter would apply.
    assert used <= allowed | {"execve"}, f"outside the filter: {sorted(used - allowed)}"


def test_sandboxed_service(installed):
    """bombusd as a D-Bus service inside the unit's sandbox, reproduced with
    namespaces: read-only file system (ProtectSystem=strict, /sys too as
    ProtectKernelTunables), empty /home, /root, /run/user (ProtectHome), own
    /tmp and /var/tmp (PrivateTmp), a /dev with only pseudo devices
    (PrivateDevices), no network (PrivateNetwork), the capability bounding
    set and no_new_privs. It must start, serve, deliver events and stop."""
    caps = unit_setting(installed[1], "CapabilityBoundingSet")
    bounding = ",".join(["-all"] + ["+" + c.lower().removeprefix("cap_") for c in caps])
    # Like the system bus, the socket is under /run, which the sandbox keeps.
    tmp = Path(tempfile.mkdtemp(prefix="bombus-sandbox-", dir="/run"))
    tmp.chmod(0o755)
    bus = stack.Stack(tmp, polkit=False, journald=False).start()
    markers = Markers()
    # RuntimeDirectory=bombus: the one place bombusd may write, where it binds
    # its Varlink socket (a directory of the test's, mounted there).
    runtime_made = not os.path.exists("/run/bombus")
    os.makedirs("/run/bombus", exist_ok=True)
    (tmp / "runtime").mkdir()
    # The installed binary is under /usr; the one under test may be in a
    # clone under /tmp, which the sandbox's own /tmp would hide.
    binary = tmp / "bombusd"
    shutil.copy(stack.bombusd_binary(), binary)
    sandbox = "; ".join([
        "set -e",
        f"mkdir {tmp}/dev && mount --bind /dev {tmp}/dev",
        "mount -t tmpfs -o mode=0755 tmpfs /dev",
        *[f"touch /dev/{d} && mount --bind {tmp}/dev/{d} /dev/{d}" for d in
          ("null", "zero", "full", "random", "urandom")],
        f"umount {tmp}/dev",
        "for d in /home /root /run/user /tmp /var/tmp; do [ -d $d ] && mount -t tmpfs -o mode=0755 tmpfs $d; done",
        f"mount --bind {tmp}/runtime /run/bombus",
        "mount -o remount,bind,ro /",
        "mount -o remount,bind,ro /sys",
        "mount -o remount,bind,ro /sys/kernel/tracing",
        # The sandbox holds: nothing can be written, there is no network.
        "! touch /usr/.bombus-probe 2>/dev/null && ! touch /sys/kernel/tracing/.probe 2>/dev/null",
        "[ \"$(ip -o link | wc -l)\" = 1 ]",
        f"exec setpriv --bounding-set={bounding} --inh-caps=-all --no-new-privs -- {binary}"
        f" --config={bus.bombusd_config}",
    ])
    daemon = subprocess.Popen(["unshare", "--mount", "--net", "--propagation", "private", "--", "sh", "-c", sandbox],
                              env=bus.env(), stderr=subprocess.PIPE, text=True)
    try:
        stack.wait_until(lambda: daemon.poll() is not None or bus.name_has_owner(stack.BUS_NAME), 30,
                         "bombusd owning its name")
        assert daemon.poll() is None, daemon.stderr.read()
        sub = subprocess.Popen([stack.bombusctl_binary(), "monitor", "--json", f"--prefix={markers.prefix}",
                                "--count=1"], env=bus.env(), stdout=subprocess.PIPE, text=True)
        stack.wait_until(lambda: bus.status()["subscribers"] == 1, 20, "the subscription")
        pid = markers.run("sandboxed")
        event = json.loads(sub.communicate(timeout=30)[0])
        assert event["type"] == "ProcessExec" and event["process"]["pid"] == pid
        # Every hook the configuration wants (ima_hash is off unless asked for).
        assert all(hook[1] != "disabled" for hook in bus.status()["monitors"][0]["hooks"]
                   if hook[0] != "ima_hash")
        # Varlink, bound in the RuntimeDirectory (seen here through the
        # directory mounted there).
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.settimeout(30)
            c.connect(str(tmp / "runtime" / "io.bombus.Monitor"))
            c.sendall(b'{"method":"io.bombus.Monitor.GetProcess","parameters":{"pid":%d}}\0' % os.getpid())
            reply = b""
            while not reply.endswith(b"\0"):
                reply += c.recv(65536)
        assert json.loads(reply[:-1])["parameters"]["process"]["pid"] == os.getpid()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
        assert "bombusd: counters:" in daemon.stderr.read()
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        bus.stop()
        markers.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
        if runtime_made:
            os.rmdir("/run/bombus")
