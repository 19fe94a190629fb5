"""bombusd's own report of the attach method each hook uses, and what it must be.

bombusd logs one line per hook when it starts: "bombusd: hook NAME: METHOD/TARGET",
"bombusd: hook NAME: disabled", or "bombusd: hook NAME: unavailable: WHY" for
an optional hook it had to leave out. Used by the tests and by the VM lane's
mode matrix (tests/vm/hook-report).
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
MODES = ("auto", *FAMILIES)


def _syscall_hook(lsm, fentry, syscall):
    return [f"lsm/{lsm}", f"fentry/{fentry}", f"tracepoint/syscalls/sys_enter_{syscall}"]


# The methods of each hook in order of preference, as the daemon declares them
# (docs/hook-modes.md): the specification the reports are checked against.
METHODS = {
    "exec_creds": _syscall_hook("bprm_committing_creds", "security_bprm_committing_creds", "execve"),
    "ima_hash": ["lsm.s/bprm_committed_creds"],
    "exec": ["tp_btf/sched_process_exec"],
    "fork": ["tp_btf/sched_process_fork"],
    "exit": ["tp_btf/sched_process_exit"],
    "cgroup_mkdir": ["tp_btf/cgroup_mkdir"],
    "setuid": _syscall_hook("task_fix_setuid", "security_task_fix_setuid", "setuid"),
    "setgid": _syscall_hook("task_fix_setgid", "security_task_fix_setgid", "setgid"),
    "capset": _syscall_hook("capset", "security_capset", "capset"),
    "prctl": _syscall_hook("task_prctl", "security_task_prctl", "prctl"),
    "userns_create": _syscall_hook("userns_create", "security_create_user_ns", "unshare"),
    "ptrace_access_check": _syscall_hook("ptrace_access_check", "security_ptrace_access_check", "ptrace"),
    # one tracepoint under the name of 6.4 and later, and of 6.0 to 6.3
    "io_uring_submit": ["tp_btf/io_uring_submit_req", "tp_btf/io_uring_submit_sqe"],
}
OPTIONAL = {"ima_hash": "--ima-hash"}  # hook: the option that turns it on


def hooks(stderr):
    """{hook name: method as logged} from bombusd's stderr."""
    return dict(HOOK_LINE.findall(stderr))


def family(method):
    """The --hook-mode family of a method: lsm, fentry or tracepoint; None for
    "disabled by configuration" and "unavailable: ..."."""
    kind = method.split("/", 1)[0]
    if kind in ("lsm", "lsm.s"):
        return "lsm"
    if kind == "fentry":
        return "fentry"
    if kind in ("tp_btf", "tracepoint"):
        return "tracepoint"
    return None


def expected_methods(hook, mode, best, args=(), ima=True):
    """What bombusd started with `--hook-mode=MODE ARGS` may report for @hook
    on a kernel whose best family is @best (it allows that one and the ones
    after it); @ima: the kernel has IMA. A tuple of methods (of one family:
    those of the best family allowed; more than one where the kernel's
    version decides, e.g. a renamed tracepoint), ("disabled by
    configuration",), ("unavailable",), or None when bombusd must refuse to
    start."""
    if hook in OPTIONAL and OPTIONAL[hook] not in args:
        return ("disabled by configuration",)
    allowed = FAMILIES[FAMILIES.index(best):]
    methods = METHODS[hook]
    if mode != "auto" and any(family(m) == mode for m in methods):
        methods = [m for m in methods if family(m) == mode]
    usable = [m for m in methods if family(m) in allowed and (hook != "ima_hash" or ima)]
    if usable:
        return tuple(m for m in usable if family(m) == family(usable[0]))
    return ("unavailable",) if hook in OPTIONAL else None


def verdict(hook, reported, mode, best, args=(), ima=True):
    """"ok", or why @reported is not what @hook must use."""
    if hook not in METHODS:
        return f"FAIL: unknown hook (add it to {__name__}.METHODS)"
    want = expected_methods(hook, mode, best, args, ima)
    if want == ("unavailable",) and reported.startswith("unavailable:"):
        return "ok"
    return "ok" if reported in want else f"FAIL: want {' or '.join(want)}"


def run_briefly(binary, args, timeout=120):
    """Starts `binary --stdout ARGS`, waits until it is monitoring or has
    exited, stops it. Returns (started, exit status, stderr)."""
    # Read through a separate open: a seek on bombusd's own descriptor would
    # move the offset it writes at.
    with tempfile.NamedTemporaryFile("w", prefix="bombusd-stderr-") as err:
        def text():
            with open(err.name) as f:
                return f.read()

        proc = subprocess.Popen([binary, "--stdout", *args], stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + timeout
        while proc.poll() is None and READY not in text() and time.monotonic() < deadline:
            time.sleep(0.05)
        started = proc.poll() is None and READY in text()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        return started, rc, text()


def best_mode(binary):
    """The best family this kernel allows, found by forcing each in turn."""
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


def ima_present():
    """Whether this kernel has IMA, as far as securityfs tells."""
    if not os.path.exists("/sys/kernel/security/lsm"):
        return None  # securityfs not mounted: unknown
    return os.path.isdir("/sys/kernel/security/ima")
