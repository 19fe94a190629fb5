"""What the tests of subscriptions that choose by context share: a Varlink
stack whose journal output is off ("Categories=," lists none; empty would
mean the default), since the journal never chooses by context and would turn
the kernel's filter off, and its counters and status."""
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "dbus"))
from cgroups import cgroup2_mount  # noqa: E402

# This folder's conftest by its path: "conftest" may be dbus/'s when both
# folders are collected.
_spec = importlib.util.spec_from_file_location("varlink_conftest", Path(__file__).with_name("conftest.py"))
_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_conftest)
VarlinkService = _conftest.VarlinkService


@pytest.fixture(scope="module")
def service():
    if cgroup2_mount() is None:
        pytest.skip("no cgroup2 hierarchy is mounted here")
    svc = VarlinkService(config="[Journal]\nCategories=,\n").start()
    yield svc
    svc.stop()


def filtered(service):
    return service.status()["counters"]["filtered_in_kernel"]


def run_in(cgroup, *argv):
    p = subprocess.run(cgroup.enter_command(list(argv)), timeout=60)
    assert p.returncode == 0


def wait_status(service, key, value):
    deadline = time.monotonic() + 20
    while service.status()[key] != value:
        assert time.monotonic() < deadline, f"{key} is not {value}: {service.status()}"
        time.sleep(0.05)
