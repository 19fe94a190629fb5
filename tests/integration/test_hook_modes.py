"""Which attach method each hook uses, from bombusd's own report, per --hook-mode.

What auto mode must pick is $BOMBUS_EXPECT_MODE where the kernel is known (the
VM lane: lsm in a guest with bpf in its LSM list, fentry in one without), else
the best mode this kernel is found to accept.
"""
import os
import subprocess

import pytest

import hookreport
from conftest import bombusd_binary

TRACEPOINT_HOOKS = {
    "exec": "tp_btf/sched_process_exec",
    "fork": "tp_btf/sched_process_fork",
    "exit": "tp_btf/sched_process_exit",
}
EXEC_CREDS = {
    "lsm": "lsm/bprm_committing_creds",
    "fentry": "fentry/security_bprm_committing_creds",
    "tracepoint": "tracepoint/syscalls/sys_enter_execve",
}


@pytest.fixture(scope="module")
def expected():
    return hookreport.expected_mode(bombusd_binary())


def check_exec_seen(daemon):
    subprocess.run(["/usr/bin/true", "hook-mode"], check=True)
    event = daemon.wait_for(lambda e: e["type"] == "ProcessExec" and e["process"]["args"] == "hook-mode",
                            what="ProcessExec of /usr/bin/true")
    assert event["process"]["binary_path"] == "/usr/bin/true"


def test_auto_mode_takes_the_best_method(start_bombusd, expected):
    daemon = start_bombusd(["--hook-mode=auto"])
    reported = hookreport.hooks(daemon.stderr())
    assert reported == {"exec_creds": EXEC_CREDS[expected], **TRACEPOINT_HOOKS}
    check_exec_seen(daemon)


@pytest.mark.parametrize("mode", hookreport.FAMILIES)
def test_forced_mode(start_bombusd, expected, mode):
    """A mode the kernel allows is used for exec_creds; one it lacks (better
    than the expected one) makes bombusd exit with an error naming the hook."""
    if hookreport.FAMILIES.index(mode) >= hookreport.FAMILIES.index(expected):
        daemon = start_bombusd([f"--hook-mode={mode}"])
        reported = hookreport.hooks(daemon.stderr())
        assert reported == {"exec_creds": EXEC_CREDS[mode], **TRACEPOINT_HOOKS}
        check_exec_seen(daemon)
        return
    extra = os.environ.get("BOMBUSD_ARGS", "").split()
    started, rc, stderr = hookreport.run_briefly(bombusd_binary(), [*extra, f"--hook-mode={mode}"])
    assert not started and rc != 0, stderr
    assert (f"hook exec_creds: --hook-mode={mode} needs {EXEC_CREDS[mode]}, "
            "which this kernel does not allow") in stderr
