"""Odd input in args and paths: always valid one-line JSON in UTF-8, with the
documented bounds (docs/events.md)."""
import os
import subprocess
import sys

import procinfo
from procinfo import ARGS_MAX, assert_fields
from runner import fexecve_command
PATH_COMPONENTS_MAX = 48
PATH_BYTES_MAX = 8192


def run_lifecycle(bombusd, argv, **popen):
    """Runs @argv (bytes or str items) to completion; returns its last
    ProcessExec and its ProcessExit."""
    _, events = bombusd.run(argv, stdout=subprocess.DEVNULL, **popen)
    execs = [e for e in events if e["type"] == "ProcessExec"]
    assert execs, events
    return execs[-1], events[-1]


def fexecve(bombusd, fd, argv):
    """Runs the file open on @fd, whatever its path length; returns its
    ProcessExec."""
    return run_lifecycle(bombusd, fexecve_command(fd, argv), pass_fds=(fd,))[0]


def test_invalid_utf8_and_control_characters_in_args(bombusd):
    argv = [b"/usr/bin/true", b"bad\xff\xfeutf8", "ok\u00e9\u20ac".encode(), b"line\nbreak\ttab\x01"]
    exec_, exit_ = run_lifecycle(bombusd, argv)
    expected = "bad\ufffd\ufffdutf8 ok\u00e9\u20ac line\nbreak\ttab\x01"
    assert exec_["process"]["args"] == expected
    assert exit_["process"]["args"] == expected


def test_args_cut_at_the_documented_bound(bombusd):
    argv = ["/usr/bin/true"] + [f"arg{i:03d}-" + "x" * 90 for i in range(60)]
    area = procinfo.argv_area(argv)
    assert len(area) > ARGS_MAX
    exec_, exit_ = run_lifecycle(bombusd, argv)
    args = exec_["process"]["args"]
    assert args == procinfo.args_string(area)
    # The cut falls inside an argument: the last one shown is partial.
    last = args.split(" ")[-1]
    assert last and len(last) < len(argv[1]), last
    assert exit_["process"]["args"] == args


def test_args_cut_inside_a_character(bombusd):
    argv0 = "/usr/bin/true"
    # The bound falls after the first byte of the three-byte euro sign.
    filler = "a" * (ARGS_MAX - len(argv0) - 1 - 1)
    argv = [argv0, filler + "\u20ac\u20ac", "more"]
    exec_, _ = run_lifecycle(bombusd, argv)
    assert exec_["process"]["args"] == filler, "the cut character must be dropped, not replaced"


def test_argv0_longer_than_the_bound(bombusd):
    exec_, _ = run_lifecycle(bombusd, ["x" * (ARGS_MAX + 100), "unseen"], executable="/usr/bin/true")
    assert_fields(exec_["process"], {"args": "", "binary_path": "/usr/bin/true"})


# execve with an empty argv (the kernel adds an empty argv[0] since 5.18).
EMPTY_ARGV = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
argv = (ctypes.c_char_p * 1)(None)
envp = (ctypes.c_char_p * 1)(None)
libc.execve(b"/usr/bin/true", argv, envp)
raise SystemExit(ctypes.get_errno())
"""


def test_empty_argv(bombusd):
    exec_, _ = run_lifecycle(bombusd, [sys.executable, "-c", EMPTY_ARGV])
    assert_fields(exec_["process"], {"args": "", "binary_path": "/usr/bin/true", "filename": "true"})


def test_slashes_are_not_escaped(bombusd):
    run_lifecycle(bombusd, ["/usr/bin/ls", "/usr/bin/ls"])
    lines = [line for line in bombusd.lines if b'"binary_path":"/usr/bin/ls"' in line]
    assert lines, "no event line holds /usr/bin/ls unescaped"
    assert not [line for line in bombusd.lines if b"\\/" in line], "an event escapes '/'"


def test_invalid_utf8_in_the_binary_path(bombusd, world_dir):
    directory = os.fsencode(world_dir) + b"/dir\xff"
    os.mkdir(directory)
    binary = directory + b"/tr\xfeue"
    with open("/usr/bin/true", "rb") as src, open(binary, "wb") as dst:
        dst.write(src.read())
    os.chmod(binary, 0o755)
    exec_, _ = run_lifecycle(bombusd, [binary])
    assert_fields(exec_["process"], {"binary_path": f"{world_dir}/dir\ufffd/tr\ufffdue",
                                     "filename": "tr\ufffdue"})


def deep_copy_of_true(world_dir, names):
    """Copies /usr/bin/true to world_dir/names[0]/.../names[-1]/true, a path
    that may be longer than PATH_MAX; returns an fd open on the copy."""
    fd = os.open(world_dir, os.O_RDONLY | os.O_DIRECTORY)
    for name in names:
        os.mkdir(name, dir_fd=fd)
        parent, fd = fd, os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(parent)
    out = os.open("true", os.O_WRONLY | os.O_CREAT, 0o755, dir_fd=fd)
    with open("/usr/bin/true", "rb") as src:
        os.write(out, src.read())
    os.close(out)
    exe = os.open("true", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    return exe


def test_deep_path_keeps_its_last_levels(bombusd, world_dir):
    names = [f"d{i}" for i in range(PATH_COMPONENTS_MAX + 4)]
    fd = deep_copy_of_true(world_dir, names)
    try:
        exec_ = fexecve(bombusd, fd, ["deep-true"])
    finally:
        os.close(fd)
    components = f"{world_dir}/{'/'.join(names)}/true".split("/")[1:]
    expected = ".../" + "/".join(components[-PATH_COMPONENTS_MAX:])
    assert_fields(exec_["process"], {"binary_path": expected, "filename": "true"})


def test_path_longer_than_the_byte_bound(bombusd, world_dir):
    names = [f"{i:02d}" + "n" * 198 for i in range(PATH_BYTES_MAX // 200 + 2)]
    fd = deep_copy_of_true(world_dir, names)
    try:
        exec_ = fexecve(bombusd, fd, ["long-true"])
    finally:
        os.close(fd)
    path = exec_["process"]["binary_path"]
    real = f"{world_dir}/{'/'.join(names)}/true"
    assert path.startswith(".../"), path[:80]
    kept = path[len("..."):]
    assert real.endswith(kept), "not a suffix of the real path"
    assert real[len(real) - len(kept) - 1] != "/" and kept.startswith("/"), "not cut at a component"
    # Cut near the bound, neither beyond it nor much before.
    assert PATH_BYTES_MAX - 2 * 256 < len(kept) <= PATH_BYTES_MAX, len(kept)
    assert exec_["process"]["filename"] == "true"


def test_longest_name_component(bombusd, world_dir):
    name = "t" * 255
    fd = deep_copy_of_true(world_dir, [name])
    try:
        exec_ = fexecve(bombusd, fd, ["long-name"])
    finally:
        os.close(fd)
    assert_fields(exec_["process"], {"binary_path": f"{world_dir}/{name}/true", "filename": "true"})
