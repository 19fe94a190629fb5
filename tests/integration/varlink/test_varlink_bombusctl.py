"""bombusctl over Varlink and over D-Bus: the same command prints the same
text and exits with the same status whichever API it asks; by default it
asks Varlink where the socket is, D-Bus elsewhere; monitor connects again
when bombusd comes back."""
import json
import os
import re
import subprocess
import threading
import time

import pytest

import stack
from bombus_service import adopt_new_bombusd, kill_bombusd, lines_of, wait_line

TRANSPORTS = ("dbus", "varlink")


def flag(service, transport):
    return "--dbus" if transport == "dbus" else f"--varlink={service.socket}"


def ctl(service, transport, *args, user=None):
    return service.bombusctl(flag(service, transport), *args, user=user)


def both(service, *args, user=None):
    return [ctl(service, t, *args, user=user) for t in TRANSPORTS]


def masked(text):
    """Numbers hidden: counters and the uptime move between two calls."""
    return re.sub(r"\d+", "N", text)


def n_subscriptions(service):
    return len(service.status()["subscriptions"])


# A prefix nothing runs from: a monitor that nobody reads must not fill its
# pipe with the machine's events, and block there, deaf to SIGTERM.
NOTHING = "--prefix=/nonexistent-bombus-test"


def start_monitor(service, *args, env=None, user=None):
    """bombusctl monitor ARGS, once it has subscribed (over either API)."""
    before = n_subscriptions(service)
    argv = (stack.as_user(user) if user else []) + [stack.bombusctl_binary(), "monitor", *args]
    proc = subprocess.Popen(argv, env=env or service.stack.env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=stack.die_with_parent)
    stack.wait_until(lambda: proc.poll() is not None or n_subscriptions(service) > before, 20,
                     "bombusctl monitor subscribed")
    assert proc.poll() is None, proc.stderr.read()
    return proc


def test_status_is_the_same_text(service):
    dbus, varlink = both(service, "status")
    assert dbus.returncode == varlink.returncode == 0, (dbus.stderr, varlink.stderr)
    assert masked(dbus.stdout) == masked(varlink.stdout)
    assert re.search(r"^  hook exec +tp_btf +sched_process_exec$", varlink.stdout, re.M), varlink.stdout
    assert "Outputs:\n" in varlink.stdout and "Subscriptions: " in varlink.stdout


def test_status_lists_subscriptions_of_both_apis_alike(service, markers):
    monitors = [start_monitor(service, flag(service, t), f"--prefix={markers.prefix}", "--batch")
                for t in TRANSPORTS]
    try:
        dbus, varlink = both(service, "status")
        assert masked(dbus.stdout) == masked(varlink.stdout)
        rows = [l for l in varlink.stdout.splitlines() if " client " in l]
        assert any(r.startswith("  /") for r in rows) and any("client varlink:pid=" in r for r in rows), rows
        assert all("process (batch)" in r for r in rows), rows
    finally:
        for m in monitors:
            m.terminate()
            m.wait(10)


def test_metrics_are_the_same_text(service):
    dbus, varlink = both(service, "metrics")
    assert dbus.returncode == varlink.returncode == 0, (dbus.stderr, varlink.stderr)
    assert masked(dbus.stdout) == masked(varlink.stdout)
    assert varlink.stdout.endswith("# EOF\n")
    assert 'bombus_events_dropped_total{output="varlink",reason="full"}' in varlink.stdout


def test_process_is_the_same_text(service):
    dbus, varlink = both(service, "process", str(os.getpid()))
    assert dbus.returncode == varlink.returncode == 0, (dbus.stderr, varlink.stderr)
    assert dbus.stdout == varlink.stdout
    assert json.loads(varlink.stdout)["pid"] == os.getpid()


@pytest.mark.parametrize("args", [["--json"], ["--json", "--batch"], ["--no-json"]], ids=["json", "batch", "human"])
def test_monitor_prints_the_same_lines(service, markers, args):
    """The same events, seen by a monitor on each API at once."""
    monitors = {t: start_monitor(service, flag(service, t), *args, f"--prefix={markers.prefix}", "--count=4")
                for t in TRANSPORTS}
    markers.run("same", "line", "ä/\\\"")
    markers.run("again")
    out = {}
    for t, proc in monitors.items():
        out[t], err = proc.communicate(timeout=30)
        assert proc.returncode == 0, (t, err)
    assert out["dbus"] == out["varlink"]
    lines = out["varlink"].splitlines()
    assert len(lines) == 4
    if "--json" in args:
        assert [json.loads(l)["type"] for l in lines] == ["ProcessExec", "ProcessExit"] * 2
    else:
        assert re.fullmatch(rf"\d\d:\d\d:\d\d\.\d\d\d ProcessExec pid \d+ uid 0 {markers.binary} same line .+", lines[0])


def test_exit_statuses_and_messages_are_the_same(service):
    cases = [
        (["status"], stack.USER_OUT, 3, "org.bombus.monitor.status"),
        (["monitor", "--category=process"], stack.USER_OUT, 3, "org.bombus.monitor.subscribe-process"),
        (["process", "1"], stack.USER_OUT, 3, "org.bombus.monitor.subscribe-process"),
        (["monitor", "--category=nonsense"], None, 2, "unknown category 'nonsense'"),
        (["monitor", "--prefix=usr"], None, 2, "not an absolute path"),
        (["process", "999999"], None, 4, "no running process with pid 999999"),
    ]
    for args, user, code, words in cases:
        dbus, varlink = both(service, *args, user=user)
        assert (dbus.returncode, varlink.returncode) == (code, code), (args, dbus.stderr, varlink.stderr)
        assert dbus.stderr == varlink.stderr, args
        assert words in varlink.stderr, (args, varlink.stderr)
        assert dbus.stdout == varlink.stdout == ""


def test_default_is_varlink_where_the_socket_is(service):
    """What bombusctl chose, as bombusd's status lists the subscription."""
    stack.wait_until(lambda: n_subscriptions(service) == 0, 10, "no subscriptions")
    for address, api in ((service.socket, "varlink"), (f"unix:{service.socket}", "varlink"),
                         (str(service.dir / "missing"), "dbus")):
        env = dict(service.stack.env(), BOMBUS_VARLINK_ADDRESS=address)
        proc = start_monitor(service, NOTHING, env=env)
        try:
            assert [s["api"] for s in service.status()["subscriptions"]] == [api], address
        finally:
            proc.terminate()
            proc.wait(10)
        stack.wait_until(lambda: n_subscriptions(service) == 0, 10, "subscription gone")


def test_forced_varlink_without_a_socket_fails(service, tmp_path):
    r = service.bombusctl(f"--varlink={tmp_path}/none", "status")
    assert r.returncode == 1 and f"cannot connect to bombusd at {tmp_path}/none" in r.stderr, r.stderr
    r = service.bombusctl(f"--varlink={tmp_path}/none", "metrics")
    assert r.returncode == 1 and "metrics: bombusd is not running" in r.stderr, r.stderr
    assert service.bombusctl("--varlink=relative", "status").returncode == 2


def test_reload_is_dbus_only(service):
    r = ctl(service, "varlink", "reload")
    assert r.returncode == 2 and "only over D-Bus" in r.stderr, r.stderr
    env = dict(service.stack.env(), BOMBUS_VARLINK_ADDRESS=service.socket)
    r = subprocess.run([stack.bombusctl_binary(), "reload"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_replies_beyond_the_bound_are_refused(tmp_path):
    """A server whose reply never ends: refused at 16 MiB, not buffered on."""
    import socket
    path = str(tmp_path / "flood")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)

    def flood():
        conn, _ = server.accept()
        try:
            conn.recv(4096)
            chunk = b'{"parameters":{"status":"' + b"x" * (1 << 20)
            conn.sendall(chunk)
            while True:
                conn.sendall(b"x" * (1 << 20))
        except OSError:
            pass
        finally:
            conn.close()

    threading.Thread(target=flood, daemon=True).start()
    r = subprocess.run([stack.bombusctl_binary(), f"--varlink={path}", "status"], capture_output=True, text=True,
                       timeout=60)
    server.close()
    assert r.returncode == 1 and "larger than 16 MiB" in r.stderr, r.stderr


# -- reconnecting -------------------------------------------------------------

def restart_bombusd(svc, old_pid):
    """By D-Bus activation, once the bus has seen the killed one go (a call
    before would go to its name, and fail)."""
    stack.wait_until(lambda: not svc.stack.name_has_owner(stack.BUS_NAME), 10, "bombusd's name released")
    svc.stack.status()
    adopt_new_bombusd(svc, old_pid)


def test_monitor_connects_again_after_bombusd_is_killed(own_service, markers):
    svc = own_service
    proc = start_monitor(svc, f"--varlink={svc.socket}", "--json", f"--prefix={markers.prefix}",
                         "--type=ProcessExec")
    out, err = lines_of(proc.stdout), lines_of(proc.stderr)
    seen = []
    try:
        markers.run("before")
        wait_line(out, lambda l: '"before"' in l, 20, "the event before", seen)
        old = svc.pid
        kill_bombusd(svc)
        wait_line(err, lambda l: "bombusd went away" in l and "again every second" in l, 10,
                  "the departure said", seen)
        time.sleep(2.5)  # tries that fail, said once
        restart_bombusd(svc, old)
        said = []
        wait_line(err, lambda l: "subscribed again" in l and "gap" in l, 20, "subscribed again", said)
        assert not any("went away" in l for l in said), said
        markers.run("after")
        wait_line(out, lambda l: '"after"' in l, 20, "the event after", seen)
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(10)


def test_monitor_no_reconnect_exits(own_service):
    svc = own_service
    proc = start_monitor(svc, f"--varlink={svc.socket}", "--no-reconnect", NOTHING)
    old = svc.pid
    kill_bombusd(svc)
    try:
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "bombusd went away" in proc.stderr.read()
    restart_bombusd(svc, old)  # for the fixture's checks
