"""Fixtures for the integration tests: a real bombusd on the real kernel.

The binary under test is $BOMBUSD (default: build/daemon/bombusd); extra
bombusd arguments can be given in $BOMBUSD_ARGS (e.g. "--hook-mode=lsm", as
the VM lane does). Helper programs are taken from the same build directory
(BUILD/tests/programs, or $BOMBUS_TEST_PROGRAMS). Tests run as root; without
root every test here is skipped with the reason printed.

Every event a test's bombusd prints is checked against the spec's shape when
the test ends, and bombusd must exit 0 without a sanitizer report.
"""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from runner import ROOT, TIMEOUT, Bombusd, assert_no_sanitizer_report, bombusd_binary


def pytest_configure(config):
    config.addinivalue_line("markers", "load: a volume test; what it checks does not depend on the hook mode "
                            "(the VM lane leaves it out: -m 'not load')")


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        reason = "integration tests need root (BPF programs are loaded): run them as root"
        print(f"\n*** SKIPPING integration tests: {reason} ***\n")
        for item in items:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def bombusd_path():
    """The binary under test, for tests that run it themselves."""
    return bombusd_binary()


@pytest.fixture(scope="module")
def shared_bombusd(tmp_path_factory):
    """One bombusd for a whole module: stopping one takes a second or two
    (each detached tracepoint waits for an RCU grace period), and tests that
    match events by pid do not disturb each other."""
    daemon = Bombusd(tmp_path_factory.mktemp("bombusd"))
    yield daemon
    daemon.check_clean_exit()


@pytest.fixture
def bombusd(shared_bombusd):
    """The module's bombusd. Tests look only at events after their own
    mark() and never stop it; those that must, use start_bombusd."""
    return shared_bombusd


@pytest.fixture
def start_bombusd(tmp_path):
    """For tests that need to act before bombusd starts: call it to start."""
    started = []

    def start(args=(), env=None):
        daemon = Bombusd(tmp_path, args, env)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.check_clean_exit()


@pytest.fixture
def run_bombusd():
    """Runs bombusd to completion (for the ways it must refuse to start):
    returns the CompletedProcess (text). $BOMBUSD_ARGS is not added: these
    tests choose every argument."""
    def run(args, prefix=(), binary=None):
        result = subprocess.run([*prefix, binary or bombusd_binary(), *args], capture_output=True,
                                text=True, timeout=TIMEOUT)
        assert_no_sanitizer_report(result.stderr)
        return result
    return run


@pytest.fixture
def world_dir():
    """A fresh directory that an unprivileged user can enter, on a file
    system that honours setuid bits and file capabilities."""
    for parent in (tempfile.gettempdir(), "/var/tmp", str(ROOT)):
        if os.statvfs(parent).f_flag & os.ST_NOSUID:
            continue
        path = Path(tempfile.mkdtemp(prefix="bombus-it-", dir=parent))
        path.chmod(0o755)
        yield path
        shutil.rmtree(path)
        return
    reason = "no file system without nosuid found for setuid/file capability copies"
    print(f"\n*** SKIPPING: {reason} ***")
    pytest.skip(reason)


@pytest.fixture
def test_program():
    """Path of a helper program built from tests/programs."""
    directory = Path(os.environ.get("BOMBUS_TEST_PROGRAMS",
                                    Path(bombusd_binary()).resolve().parents[1] / "tests" / "programs"))

    def path(name):
        program = directory / name
        assert program.exists(), f"{program} is missing: build the tree (ninja -C BUILD) first"
        return str(program)
    return path
