"""binary_path, filename and secureexec of ProcessExec, in every hook mode.

In LSM and fentry modes both are collected at bprm_committing_creds (the path
by bpf_d_path), in tracepoint mode from the credentials at syscall entry and a
walk of the file's dentries: these scenarios must give the same events in all
three (the VM lane runs them in each). The one intended difference, a path
deeper than the walk's bound, is tested as such.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

import hookreport

NOBODY = 65534
BOMBUS_PATH_COMPONENTS = 48  # bpf/bombus.h: levels the walk keeps


@pytest.fixture
def shared_dir():
    """A directory the unprivileged user can reach (tmp_path is root's)."""
    path = tempfile.mkdtemp(prefix="bombus-exec-", dir="/tmp")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


def copy_true(path, mode=0o755):
    shutil.copy("/usr/bin/true", path)
    os.chmod(path, mode)
    return path


def exec_of(daemon, args):
    """The process of the ProcessExec with these arguments (argv[1:])."""
    return daemon.wait_for(lambda e: e["type"] == "ProcessExec" and e["process"]["args"] == args,
                           what=f"ProcessExec with arguments {args!r}")["process"]


def as_nobody():
    """In the child before exec: nobody, with no capability left (setresuid
    from root clears them; setpriv would keep them)."""
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)


def run_python(code, tag):
    subprocess.run([sys.executable, "-c", code, tag], check=True)


def test_script_runs_as_its_interpreter(bombusd, shared_dir):
    script = os.path.join(shared_dir, "script.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(script, 0o755)
    subprocess.run([script, "script-tag"], check=True)
    process = exec_of(bombusd, f"{script} script-tag")
    interpreter = os.path.realpath("/bin/sh")
    assert (process["binary_path"], process["filename"]) == (interpreter, os.path.basename(interpreter))
    assert process["secureexec"] == ""


def test_memfd_is_fileless(bombusd):
    run_python("import os, sys\n"
               "fd = os.memfd_create('bombus-test', 0)\n"
               "os.write(fd, open('/usr/bin/true', 'rb').read())\n"
               "os.execve(fd, ['memfd', sys.argv[1]], {})\n", "memfd-tag")
    process = exec_of(bombusd, "memfd-tag")
    assert process["binary_path"] == "/memfd:bombus-test (deleted)"
    assert process["filename"] == "memfd:bombus-test"
    assert process["secureexec"] == "FILELESS_EXEC"


def test_deleted_binary(bombusd, shared_dir):
    path = copy_true(os.path.join(shared_dir, "gone"))
    run_python("import os, sys\n"
               f"fd = os.open({path!r}, os.O_RDONLY)\n"
               f"os.unlink({path!r})\n"
               "os.execve(fd, ['gone', sys.argv[1]], {})\n", "deleted-tag")
    process = exec_of(bombusd, "deleted-tag")
    assert (process["binary_path"], process["filename"]) == (f"{path} (deleted)", "gone")
    assert process["secureexec"] == "FILELESS_EXEC"  # no link left


@pytest.mark.parametrize("mode, flag, ids", [(0o4755, "SETUID", ("uid", "euid")),
                                             (0o2755, "SETGID", ("gid", "egid"))])
def test_setid_binary(bombusd, shared_dir, mode, flag, ids):
    path = copy_true(os.path.join(shared_dir, flag.lower()), mode)
    os.chmod(path, mode)  # copying drops the set-id bits
    subprocess.run([path, flag], check=True, preexec_fn=as_nobody)
    process = exec_of(bombusd, flag)
    assert process["secureexec"] == flag
    assert (process[ids[0]], process[ids[1]]) == (NOBODY, 0)
    assert process["binary_path"] == path


def test_file_capabilities(bombusd, shared_dir):
    path = copy_true(os.path.join(shared_dir, "capped"))
    subprocess.run(["setcap", "cap_net_raw+ep", path], check=True)
    subprocess.run([path, "caps-tag"], check=True, preexec_fn=as_nobody)
    process = exec_of(bombusd, "caps-tag")
    assert process["secureexec"] == "FILE_CAPS"
    assert process["cap_permitted"] == "CAP_NET_RAW"
    assert process["uid"] == process["euid"] == NOBODY


def test_path_deeper_than_the_walk(bombusd, shared_dir):
    """LSM and fentry modes give the whole path (bpf_d_path); the tracepoint
    walk keeps the last BOMBUS_PATH_COMPONENTS names after "..."."""
    deep = os.path.join(shared_dir, *["d"] * (BOMBUS_PATH_COMPONENTS + 10))
    os.makedirs(deep)
    path = copy_true(os.path.join(deep, "deep-true"))
    subprocess.run([path, "deep-tag"], check=True)
    process = exec_of(bombusd, "deep-tag")
    assert process["filename"] == "deep-true"
    method = hookreport.hooks(bombusd.stderr())["exec_creds"]
    if hookreport.family(method) == "tracepoint":
        tail = "/d" * (BOMBUS_PATH_COMPONENTS - 1) + "/deep-true"
        assert process["binary_path"] == "..." + tail
    else:
        assert process["binary_path"] == path
