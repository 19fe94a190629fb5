"""bombusctl: its output, its errors and exit codes."""
import json
import re
import subprocess
import tempfile
import time

import stack


def start_monitor(service, *args, user=stack.USER_IN):
    """bombusctl monitor ARGS, once it has subscribed."""
    before = {s.get("path") for s in service.status()["subscriptions"]}
    argv = (stack.as_user(user) if user else []) + [stack.bombusctl_binary(), "monitor", *args]
    proc = subprocess.Popen(argv, env=service.stack.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 20
    while not {s.get("path") for s in service.status()["subscriptions"]} - before:
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "bombusctl monitor did not subscribe"
        time.sleep(0.05)
    return proc


def same_shape(a, b, path="event"):
    """Same keys in the same order and same value types, recursively."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)} vs {list(b)}"
        for key in a:
            same_shape(a[key], b[key], f"{path}.{key}")


def test_monitor_json_is_the_stdout_format(service, bombusd, markers):
    """The same exec seen by bombusctl monitor --json (D-Bus) and by a
    bombusd --stdout running at the same time."""
    proc = start_monitor(service, "--json", f"--prefix={markers.prefix}", "--count=2")
    pid = markers.run("same", "format")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    via_bus = json.loads(lines[0])
    via_stdout = bombusd.wait_event("ProcessExec", pid)
    same_shape(via_bus, via_stdout)
    # Both daemons describe the same process identically; only times may
    # differ by their own clock offsets' rounding.
    for key in via_stdout["process"]:
        if key != "start_time":
            assert via_bus["process"][key] == via_stdout["process"][key], key
    assert via_bus["type"] == "ProcessExec"
    assert json.loads(lines[1])["type"] == "ProcessExit"
    # Compact, as bombusd --stdout prints it: no spaces after separators.
    assert '", "' not in lines[0] and '": ' not in lines[0]


def test_monitor_readable_lines(service, markers):
    proc = start_monitor(service, "--no-json", f"--prefix={markers.prefix}", "--count=2")
    pid = markers.run("readable")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    first = out.splitlines()[0]
    assert re.fullmatch(rf"\d\d:\d\d:\d\d\.\d\d\d ProcessExec pid {pid} uid 0 {markers.binary} readable  <- \d+ .+",
                        first), first


def test_status_shows_hooks_and_counters(service):
    r = service.bombusctl("status")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^bombusd \S+ on Linux ", r.stdout, re.M)
    assert re.search(r"^  hook exec +tp_btf +sched_process_exec$", r.stdout, re.M), r.stdout
    assert "Events: " in r.stdout and "Subscriptions: " in r.stdout


def test_process_prints_what_getprocess_returns(service):
    r = service.bombusctl("process", "1")
    assert r.returncode == 0, r.stderr
    reply = json.loads(service.stack.call("GetProcess", "u", 1).stdout)["data"][0]
    assert json.loads(r.stdout) == json.loads(reply)


def test_exit_codes(service):
    assert service.bombusctl("process", "4294967296").returncode == 2  # not a pid
    r = service.bombusctl("process", "999999")
    assert r.returncode == 4 and "no running process with pid 999999" in r.stderr
    r = service.bombusctl("monitor", "--category=nonsense")
    assert r.returncode == 2 and "unknown category 'nonsense'" in r.stderr
    assert service.bombusctl("frobnicate").returncode == 2
    assert service.bombusctl("status", "extra").returncode == 2
    r = service.bombusctl("monitor", "--category=process", user=stack.USER_OUT)
    assert r.returncode == 3 and "org.bombus.monitor.subscribe-process" in r.stderr


def test_unavailable_bus_is_a_failure(tmp_path):
    r = subprocess.run([stack.bombusctl_binary(), "status"], capture_output=True, text=True,
                       env={"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path}/none"})
    assert r.returncode == 1
    assert "cannot connect to the system bus" in r.stderr


def test_busctl_monitor_shows_the_signals(service, markers):
    """As docs/service.md says: root sees what bombusd sends subscribers."""
    # Into a file: the GetStatus replies printed meanwhile would fill a
    # pipe, and a blocked busctl would never print the signal.
    with tempfile.TemporaryFile("w+") as log:
        watcher = subprocess.Popen(["busctl", f"--address={service.stack.address}", "monitor", stack.BUS_NAME],
                                   stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(1)
            proc = start_monitor(service, "--json", f"--prefix={markers.prefix}", "--count=1", user=None)
            pid = markers.run("watched")
            proc.communicate(timeout=30)
            time.sleep(0.5)
        finally:
            watcher.terminate()
            watcher.wait(10)
        log.seek(0)
        out = log.read()
    assert "Member=Event" in out and f'"pid":{pid}' in out, out[-2000:]


def test_invalid_multibyte_prefix_is_answered_at_once(service):
    """The error quotes the prefix cut at a character boundary: sd-bus sends
    it (a cut inside "é" was invalid UTF-8: no answer, 25 s, exit 1)."""
    start = time.monotonic()
    r = service.bombusctl("monitor", "--prefix=/" + "é" * 3000, user=stack.USER_OUT, timeout=60)
    elapsed = time.monotonic() - start
    assert r.returncode == 2, r.stderr
    assert "is not an absolute path of at most 4096 bytes" in r.stderr
    assert "'/éé" in r.stderr and "...'" in r.stderr
    assert elapsed < 5, elapsed
