"""ProcessExec, ProcessClone and ProcessExit from real programs."""
import os
import subprocess


def test_ls_exec_then_exit(bombusd):
    child = subprocess.Popen(["/usr/bin/ls", "-lah"], stdout=subprocess.DEVNULL)
    child.wait()
    exec_ev = bombusd.wait_event("ProcessExec", child.pid)
    process = exec_ev["process"]
    assert process["filename"] == "ls"
    assert process["binary_path"] == "/usr/bin/ls"
    assert process["args"] == "-lah"
    assert process["pid"] == child.pid
    assert process["tid"] == child.pid
    assert process["ppid"] == os.getpid()
    assert process["cloned"] is False
    assert exec_ev["parent"]["pid"] == os.getpid()
    assert list(exec_ev)[0] == "type"
    exit_ev = bombusd.wait_event("ProcessExit", child.pid)
    assert exit_ev["process"]["binary_path"] == "/usr/bin/ls"
