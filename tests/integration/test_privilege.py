"""The ProcessEvent family (privilege changes) from real programs.

On this host every hook runs its syscall-tracepoint method; the VM lane runs
the same tests with the LSM and fentry methods (BOMBUSD_ARGS=--hook-mode=...).
"""
import ctypes
import os
import shutil
import subprocess

import pytest

import hookreport

NOBODY = 65534
libc = ctypes.CDLL(None, use_errno=True)


@pytest.fixture
def bombusd(shared_bombusd):
    """These tests match events by pid: one daemon serves them all."""
    return shared_bombusd


def privilege_events(bombusd, pid, kind):
    """All ProcessEvents of `kind` for pid, once at least one arrived and
    the process has exited (its events all come before its exit)."""
    bombusd.wait_for(lambda e: e["type"] == "ProcessEvent" and e["process"]["pid"] == pid
                     and e["process_event"]["type"] == kind, what=f"{kind} for pid {pid}")
    bombusd.wait_event("ProcessExit", pid)
    return [e for e in bombusd.events_of(pid)
            if e["type"] == "ProcessEvent" and e["process_event"]["type"] == kind]


def run(argv):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert proc.wait(30) == 0, argv
    return proc.pid


def check_common(event, pid, filename):
    assert list(event)[0] == "type"
    assert event["process"]["pid"] == pid
    assert event["process"]["filename"] == filename
    assert event["parent"]["pid"] == os.getpid()


def test_setresuid_and_setresgid_to_nobody(bombusd):
    pid = run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "true"])
    setuid = privilege_events(bombusd, pid, "Setuid")
    assert len(setuid) == 1
    check_common(setuid[0], pid, "setpriv")
    assert setuid[0]["process_event"] == {"type": "Setuid", "uid": NOBODY, "euid": NOBODY,
                                          "fsuid": NOBODY, "flags": "LSM_SETID_RES"}
    setgid = privilege_events(bombusd, pid, "Setgid")
    assert [e["process_event"] for e in setgid] == [
        {"type": "Setgid", "gid": NOBODY, "egid": NOBODY, "fsgid": NOBODY, "flags": "LSM_SETID_RES"}]


def fork_and(action):
    """Runs action() in a forked child that exits 0 when it returns; returns the pid."""
    pid = os.fork()
    if pid == 0:
        try:
            action()
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return pid


@pytest.mark.parametrize("call,flags", [
    (lambda: os.setuid(NOBODY), "LSM_SETID_ID"),
    (lambda: os.setreuid(NOBODY, NOBODY), "LSM_SETID_RE"),
    (lambda: os.setresuid(NOBODY, NOBODY, NOBODY), "LSM_SETID_RES"),
])
def test_setuid_flags_follow_the_call(bombusd, call, flags):
    pid = fork_and(call)
    (event,) = privilege_events(bombusd, pid, "Setuid")
    assert event["process_event"] == {"type": "Setuid", "uid": NOBODY, "euid": NOBODY, "fsuid": NOBODY,
                                      "flags": flags}


def test_setfsuid_reports_the_fs_id(bombusd):
    pid = fork_and(lambda: libc.setfsuid(NOBODY))
    (event,) = privilege_events(bombusd, pid, "Setuid")
    assert event["process_event"] == {"type": "Setuid", "uid": 0, "euid": 0, "fsuid": NOBODY,
                                      "flags": "LSM_SETID_FS"}


def test_setgid_by_setgid(bombusd):
    pid = fork_and(lambda: os.setgid(NOBODY))
    (event,) = privilege_events(bombusd, pid, "Setgid")
    assert event["process_event"] == {"type": "Setgid", "gid": NOBODY, "egid": NOBODY, "fsgid": NOBODY,
                                      "flags": "LSM_SETID_ID"}


def test_capset_names_the_new_sets(bombusd):
    pid = run(["capsh", "--caps=cap_sys_admin,cap_net_raw+ep", "--", "-c", "id"])
    events = privilege_events(bombusd, pid, "Setcaps")
    check_common(events[0], pid, "capsh")
    assert {"type": "Setcaps", "effective": "CAP_NET_RAW | CAP_SYS_ADMIN", "inheritable": "",
            "permitted": "CAP_NET_RAW | CAP_SYS_ADMIN"} in [e["process_event"] for e in events]


def test_prctl_keepcaps(bombusd):
    pid = run(["capsh", "--keep=1", "--", "-c", "true"])
    events = privilege_events(bombusd, pid, "Prctl")
    assert {"type": "Prctl", "cmd": {"PrSetKeepCaps": 1}} in [e["process_event"] for e in events]


def test_prctl_set_name_and_other_options(bombusd):
    def rename():
        assert libc.prctl(15, b"bombus-renamed", 0, 0, 0) == 0  # PR_SET_NAME
        assert libc.prctl(4, 0, 0, 0, 0) == 0  # PR_SET_DUMPABLE
        assert libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS: by number
    pid = fork_and(rename)
    bombusd.wait_for(lambda e: e["type"] == "ProcessEvent" and e["process"]["pid"] == pid
                     and e["process_event"].get("cmd") == {"Opcode": 38}, what="prctl 38")
    cmds = [e["process_event"]["cmd"] for e in bombusd.events_of(pid) if e["type"] == "ProcessEvent"]
    assert cmds == [{"PrSetName": {"name": "bombus-renamed"}}, {"PrSetDumpable": 0}, {"Opcode": 38}]


def test_failed_calls(bombusd):
    """A refused setuid is never reported: the kernel checks permission before
    the LSM hook. A prctl with an unknown option is reported by the LSM and
    fentry hooks, which run before the option is handled (as the reference
    system's), and not by the syscall tracepoints, which see its failure
    (docs/events.md)."""
    def fail_as_nobody():
        os.setresuid(NOBODY, NOBODY, NOBODY)
        try:
            os.setuid(0)
        except PermissionError:
            pass
        assert libc.prctl(9999, 0, 0, 0, 0) == -1
    pid = fork_and(fail_as_nobody)
    (event,) = privilege_events(bombusd, pid, "Setuid")  # only the one that succeeded
    assert event["process_event"]["flags"] == "LSM_SETID_RES"
    bombusd.wait_event("ProcessExit", pid)
    unknown_option = [e for e in bombusd.events_of(pid) if e["type"] == "ProcessEvent"
                      and e["process_event"].get("cmd") == {"Opcode": 9999}]
    prctl_method = hookreport.hooks(bombusd.stderr())["prctl"]
    assert len(unknown_option) == (0 if hookreport.family(prctl_method) == "tracepoint" else 1), prctl_method


def test_unshare_user_namespace_once(bombusd):
    pid = run(["unshare", "-U", "true"])
    privilege_events(bombusd, pid, "CreateUserNs")
    bombusd.wait_event("ProcessExit", pid)
    events = [e for e in bombusd.events_of(pid)
              if e["type"] == "ProcessEvent" and e["process_event"]["type"] == "CreateUserNs"]
    assert len(events) == 1
    assert events[0]["process_event"] == {"type": "CreateUserNs"}
    check_common(events[0], pid, "unshare")


def test_ptrace_attach_names_the_child(bombusd):
    target = subprocess.Popen(["sleep", "60"])
    try:
        tracer = fork_and(lambda: attach_and_detach(target.pid))
        events = privilege_events(bombusd, tracer, "PtraceAccessCheck")
        attach = [e for e in events if e["process_event"]["child"]["pid"] == target.pid]
        assert attach, events
        detail = attach[0]["process_event"]
        assert detail["mode"] == "PTRACE_MODE_ATTACH | PTRACE_MODE_REALCREDS"
        assert detail["child"]["filename"] == "sleep"
        assert detail["child"]["binary_path"] == shutil.which("sleep") or detail["child"]["binary_path"].endswith("/sleep")
        assert list(detail) == ["type", "child", "mode"]
    finally:
        target.kill()
        target.wait()


def attach_and_detach(pid):
    PTRACE_ATTACH, PTRACE_DETACH = 16, 17
    assert libc.ptrace(PTRACE_ATTACH, pid, None, None) == 0, ctypes.get_errno()
    os.waitpid(pid, 0)
    assert libc.ptrace(PTRACE_DETACH, pid, None, None) == 0


def test_disabled_hook_reports_nothing(start_bombusd):
    daemon = start_bombusd(["--disable-hook=prctl"])
    assert "hook prctl: disabled" in daemon.stderr()
    pid = run(["capsh", "--keep=1", "--", "-c", "true"])
    daemon.wait_event("ProcessExit", pid)
    assert not [e for e in daemon.events_of(pid) if e["type"] == "ProcessEvent"
                and e["process_event"]["type"] == "Prctl"]
    # the other hooks still work
    pid = run(["unshare", "-U", "true"])
    privilege_events(daemon, pid, "CreateUserNs")


def test_unknown_hook_name_is_an_error(bombusd_path):
    proc = subprocess.run([bombusd_path, "--stdout", "--disable-hook=nonsense"], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode != 0
    assert "no hook is called 'nonsense'" in proc.stderr


def test_lifecycle_hooks_cannot_be_disabled(bombusd_path):
    proc = subprocess.run([bombusd_path, "--stdout", "--disable-hook=exec"], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode != 0
    assert "cannot be disabled: the process cache needs it" in proc.stderr


def test_prctl_name_with_invalid_utf8_stays_valid_json(bombusd):
    """Regression: a PR_SET_NAME with bytes that are not UTF-8 once produced a
    line that was not JSON (the fixture fails on any such line)."""
    pid = fork_and(lambda: libc.prctl(15, b"bad\xff\xfename", 0, 0, 0))
    (event,) = privilege_events(bombusd, pid, "Prctl")
    assert event["process_event"]["cmd"] == {"PrSetName": {"name": "bad\ufffd\ufffdname"}}
