"""bombusd's own report of the attach method each hook uses.

bombusd logs one line per hook when it starts: "bombusd: hook NAME: METHOD/TARGET",
or "bombusd: hook NAME: unavailable: WHY" for an optional hook it had to leave
out. Used by the tests and by the VM lane's mode matrix (tests/vm/hook-report).
"""
import os
import re
import signal
import subprocess
import tempfile
import time

HOOK_LINE = re.compile(r"^bombusd: hook (\S+): (.*)$", re.M)
READY = "monitoring;"
FAMILIES = ("lsm", "fentry", "tracepoint")  # best first


def hooks(stderr):
    """{hook name: method as logged} from bombusd's stderr."""
    return dict(HOOK_LINE.findall(stderr))


def family(method):
    """The --hook-mode family of a logged method: lsm, fentry, tracepoint or
    unavailable."""
    kind = method.split("/", 1)[0]
    if kind in ("lsm", "lsm.s"):
        return "lsm"
    if kind == "fentry":
        return "fentry"
    if kind in ("tp_btf", "tracepoint"):
        return "tracepoint"
    return "unavailable"


def run_briefly(binary, args, timeout=120):
    """Starts `binary --stdout ARGS`, waits until it is monitoring or has
    exited, stops it. Returns (started, exit status, stderr)."""
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([binary, "--stdout", *args], stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + timeout
        text = ""
        while proc.poll() is None and READY not in text and time.monotonic() < deadline:
            time.sleep(0.05)
            err.seek(0)
            text = err.read()
        started = proc.poll() is None and READY in text
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        err.seek(0)
        return started, rc, err.read()


def best_mode(binary):
    """The best family this kernel allows for exec_creds, found by forcing each
    in turn: what auto mode must pick."""
    for mode in FAMILIES:
        started, _, _ = run_briefly(binary, [f"--hook-mode={mode}"])
        if started:
            return mode
    raise AssertionError("bombusd starts in no hook mode")


def expected_mode(binary):
    """$BOMBUS_EXPECT_MODE, set where the kernel is known (the VM lane), else
    what this kernel is found to allow."""
    mode = os.environ.get("BOMBUS_EXPECT_MODE")
    if mode:
        assert mode in FAMILIES, f"BOMBUS_EXPECT_MODE={mode!r} is not one of {FAMILIES}"
        return mode
    return best_mode(binary)
