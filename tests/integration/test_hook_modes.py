"""Which attach method each hook uses, from bombusd's own report, per --hook-mode.

The best family the kernel allows is $BOMBUS_EXPECT_MODE where the kernel is
known (the VM lane: lsm in a guest with bpf in its LSM list, fentry in one
without), else found by starting bombusd in each mode. What each hook must use
then follows from its methods (hookreport.METHODS, docs/hook-modes.md).
"""
import os
import subprocess

import pytest

import hookreport
from runner import bombusd_binary


@pytest.fixture(scope="module")
def best():
    return hookreport.expected_mode(bombusd_binary())


def exec_seen(daemon):
    subprocess.run(["/usr/bin/true", "hook-mode"], check=True)
    event = daemon.wait_for(lambda e: e["type"] == "ProcessExec" and e["process"]["args"] == "hook-mode",
                            what="ProcessExec of /usr/bin/true")
    assert event["process"]["binary_path"] == "/usr/bin/true"


def expected_report(mode, best):
    return {hook: hookreport.expected_methods(hook, mode, best) for hook in hookreport.METHODS}


@pytest.mark.parametrize("mode", hookreport.MODES)
def test_hook_mode(start_bombusd, best, mode):
    """Every hook uses the best method of the mode's family the kernel allows
    (any family in auto mode); a mode the kernel lacks makes bombusd exit with
    an error naming the hook and the method it needs."""
    want = expected_report(mode, best)
    refused = [hook for hook, method in want.items() if method is None]
    if not refused:
        daemon = start_bombusd([f"--hook-mode={mode}"])
        reported = hookreport.hooks(daemon.stderr())
        assert reported.keys() == want.keys()
        assert {h: m for h, m in reported.items() if m not in want[h]} == {}, want
        exec_seen(daemon)
        return
    extra = os.environ.get("BOMBUSD_ARGS", "").split()
    started, rc, stderr = hookreport.run_briefly(bombusd_binary(), [*extra, f"--hook-mode={mode}"])
    assert not started and rc != 0, stderr
    needs = hookreport.METHODS[refused[0]][hookreport.FAMILIES.index(mode)]
    assert f"hook {refused[0]}: --hook-mode={mode} needs {needs}, which this kernel does not allow" in stderr
