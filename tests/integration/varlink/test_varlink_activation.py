"""bombusd started by a connection to its Varlink socket, as systemd does
it with systemd/bombusd.socket (reproduced here with systemd-socket-activate
from the unit's own settings), and bombusd --stdout --varlink PATH serving
Varlink in the embedded mode with no bus at all."""
import configparser
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import stack
from vlclient import Connection

ROOT = Path(__file__).resolve().parents[3]
IFACE = "io.bombus.Monitor"


def socket_unit():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read_string((ROOT / "systemd" / "bombusd.socket").read_text())
    return unit["Socket"]


def test_socket_unit_is_what_the_api_promises():
    s = socket_unit()
    assert s["ListenStream"] == "/run/bombus/io.bombus.Monitor"
    assert s["FileDescriptorName"] == "varlink"
    assert s["SocketMode"] == "0666"


def bpf_programs_of(pid):
    ids = set()
    for info in Path(f"/proc/{pid}/fdinfo").iterdir():
        try:
            for line in info.read_text().splitlines():
                if line.startswith("prog_id:"):
                    ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


@pytest.fixture
def tmpdir_0755():
    d = Path(tempfile.mkdtemp(prefix="bombus-varlink-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_first_connection_starts_bombusd_with_the_named_socket(tmpdir_0755):
    unit = socket_unit()
    path = tmpdir_0755 / "io.bombus.Monitor"
    # As systemd would: the socket listens before bombusd runs, passed to it
    # as LISTEN_FDS=1 with LISTEN_FDNAMES=varlink; bombusd starts on the
    # first connection. --stdout: no bus needed for this.
    activator = subprocess.Popen(
        ["systemd-socket-activate", f"--listen={path}", f"--fdname={unit['FileDescriptorName']}", "--",
         stack.bombusd_binary(), "--stdout"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: stack.die_with_parent(signal.SIGKILL))
    try:
        stack.wait_until(path.exists, 10, "socket bound by the activator")
        os.chmod(path, int(unit["SocketMode"], 8))  # systemd applies SocketMode= itself
        started = time.monotonic()
        with Connection(str(path), timeout=120) as c:
            reply = c.call(f"{IFACE}.GetStatus")
        assert reply["parameters"]["status"]["version"], reply
        # It was exec'd by the activator (same pid) and took the socket by
        # name instead of binding its own.
        assert Path(f"/proc/{activator.pid}/exe").resolve() == Path(stack.bombusd_binary()).resolve()
        assert stat.S_ISSOCK(path.stat().st_mode)
        programs = bpf_programs_of(activator.pid)
        assert programs
        print(f"activation to first reply: {time.monotonic() - started:.2f}s")
    finally:
        activator.send_signal(signal.SIGTERM)
        _, err = activator.communicate(timeout=60)
    assert activator.returncode == 0, err
    assert "varlink socket passed by the service manager" in err, err
    for marker in stack.SANITIZER_MARKERS:
        assert marker not in err, err


def test_embedded_mode_serves_varlink_without_a_bus(tmpdir_0755, tmp_path):
    stack.ensure_test_users()
    path = tmpdir_0755 / "monitor.sock"
    marker_dir = Path(tempfile.mkdtemp(prefix="bombus-marker-"))
    marker = marker_dir / "marker"
    shutil.copy("/usr/bin/true", marker)
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent")
    out = tmp_path / "stdout"
    with open(out, "w") as sink:
        daemon = subprocess.Popen([stack.bombusd_binary(), "--stdout", f"--varlink={path}"], stdout=sink,
                                  stderr=subprocess.PIPE, text=True, env=env,
                                  preexec_fn=lambda: stack.die_with_parent(signal.SIGKILL))
    try:
        stack.wait_until(path.exists, 60, "varlink socket")
        assert stat.S_IMODE(path.stat().st_mode) == 0o666
        with Connection(str(path)) as c:
            c.send(f"{IFACE}.Subscribe", {"categories": ["process"], "binary_path_prefixes": [str(marker_dir)]},
                   more=True)
            assert c.receive()["parameters"] == {"subscribed": True}
            proc = subprocess.Popen([str(marker)])
            proc.wait()
            while True:
                event = c.receive()["parameters"].get("event")
                if event and event["type"] == "ProcessExec" and event["process"]["pid"] == proc.pid:
                    break
        # Without a bus polkit cannot be asked: others are refused, saying why.
        script = ("import socket,sys\ns=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1])\n"
                  "s.sendall(b'{\"method\":\"io.bombus.Monitor.GetStatus\"}\\0');print(s.recv(65536)[:-1].decode())")
        r = subprocess.run(stack.as_user(stack.USER_OUT) + ["/usr/bin/python3", "-c", script, str(path)],
                           capture_output=True, text=True, timeout=30)
        reply = json.loads(r.stdout)
        assert reply["error"] == f"{IFACE}.NotAuthorized", reply
        assert "without a system bus" in reply["parameters"]["message"]
        # The same event went to stdout too.
        stack.wait_until(lambda: f'"pid":{proc.pid}' in out.read_text(), 10, "event on stdout")
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=60)
        shutil.rmtree(marker_dir, ignore_errors=True)
    assert daemon.returncode == 0, err
    assert not path.exists(), "bombusd left its socket file behind"
    for marker_text in stack.SANITIZER_MARKERS:
        assert marker_text not in err, err
