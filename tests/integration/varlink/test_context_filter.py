"""Subscriptions that choose by context (units, containers, cgroup_ids), on
D-Bus and Varlink: each receives only the events of what it watches, and
while every subscription chooses so, the kernel leaves out the records of the
other processes before they take ring space (counter filtered_in_kernel).
The journal output is off (context_subscriptions.py)."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "dbus"))
import stack  # noqa: E402
from bombus_service import PYTHON  # noqa: E402
from cgroups import CONTAINER_ID, Cgroup  # noqa: E402
from context_subscriptions import filtered, run_in, service, wait_status  # noqa: E402,F401

OUTSIDE = 10  # processes started outside the watched cgroups per round: 30 records
UNIT = "bombus-kfilter.service"


def storm(cgroup, mark, n=OUTSIDE):
    """@n processes that move into @cgroup and exec true there, one at a
    time: each makes a clone, an exec and an exit record."""
    subprocess.run(["sh", "-c", f'echo $$ > "{cgroup.path}/cgroup.procs" && '
                    f'for i in $(seq {n}); do /usr/bin/true {mark}; done'], check=True, timeout=60)


def marks(events, mark):
    return [e for e in events if mark in e["process"].get("args", "")]


def wait_mark(sub, mark, what):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = [e for e in sub.event_objects() if e["type"] == "ProcessExec" and mark in e["process"]["args"]
                 and e["process"]["filename"] == "true"]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"{what}: no ProcessExec of {mark}")


def assert_only_in(sub, paths, what):
    for e in sub.event_objects():
        cgroup = e["process"].get("cgroup", "")
        assert any(cgroup == p or cgroup.startswith(p + "/") for p in paths), \
            f"{what}: {e['type']} of {e['process'].get('binary_path')} in {cgroup}"


def test_units_subscriptions_receive_only_their_unit(service):
    """One subscription on each API, both watching one unit; a storm outside
    is never submitted to the ring, the unit's own exec reaches both."""
    mark = f"kf-{os.getpid()}-{time.monotonic_ns()}"
    with Cgroup(f"system.slice/{UNIT}") as watched, Cgroup("bombus-kfilter-outside.slice/a.scope") as outside:
        dbus = service.subscriber("--category=process", f"--unit={UNIT}")
        vl = service.stream({"categories": ["process"], "units": [UNIT]})
        vl.wait_subscribed()
        status = service.status()
        assert status["kernel_context_filter"] is True and status["kernel_context_filter_cgroups"] == 1, status
        before = filtered(service)
        storm(outside, f"{mark}-out")
        run_in(watched, "/usr/bin/true", f"{mark}-in")
        wait_mark(dbus, f"{mark}-in", "D-Bus")
        wait_mark(vl, f"{mark}-in", "Varlink")
        grown = filtered(service) - before
        assert grown >= 3 * OUTSIDE, f"only {grown} records filtered in the kernel"
        for sub, what in ((dbus, "D-Bus"), (vl, "Varlink")):
            assert not marks(sub.event_objects(), f"{mark}-out"), what
            assert_only_in(sub, [watched.name], what)
        dbus.stop()
        vl.stop()


def test_subscription_without_context_turns_the_filter_off(service):
    mark = f"kf-{os.getpid()}-{time.monotonic_ns()}"
    with Cgroup(f"system.slice/{UNIT}") as watched, Cgroup("bombus-kfilter-outside.slice/a.scope") as outside:
        by_unit = service.stream({"categories": ["process"], "units": [UNIT]})
        by_unit.wait_subscribed()
        everything = service.subscriber("--category=process")
        assert service.status()["kernel_context_filter"] is False
        before = filtered(service)
        storm(outside, f"{mark}-out", n=5)
        run_in(watched, "/usr/bin/true", f"{mark}-in")
        wait_mark(by_unit, f"{mark}-in", "by unit")
        wait_mark(everything, f"{mark}-in", "everything")
        trues = [e for e in marks(everything.event_objects(), f"{mark}-out")
                 if e["type"] == "ProcessExec" and e["process"]["filename"] == "true"]
        assert len(trues) == 5
        assert filtered(service) == before
        assert not marks(by_unit.event_objects(), f"{mark}-out")
        everything.stop()
        # alone again: the filter is back on
        storm(outside, f"{mark}-again", n=5)
        run_in(watched, "/usr/bin/true", f"{mark}-in2")
        wait_mark(by_unit, f"{mark}-in2", "by unit")
        assert filtered(service) >= before + 15
        by_unit.stop()


def test_slice(service):
    mark = f"kf-{os.getpid()}-{time.monotonic_ns()}"
    with Cgroup("bombus-kfilter.slice/bombus-kfilter-a.service") as inside, \
            Cgroup("bombus-kfilter-outside.slice/a.scope") as outside:
        vl = service.stream({"categories": ["process"], "units": ["bombus-kfilter.slice"]})
        vl.wait_subscribed()
        before = filtered(service)
        storm(outside, f"{mark}-out")
        run_in(inside, "/usr/bin/true", f"{mark}-in")
        exec_ = wait_mark(vl, f"{mark}-in", "slice")
        assert exec_["process"]["slice"] == "bombus-kfilter.slice"
        assert filtered(service) - before >= 3 * OUTSIDE
        assert_only_in(vl, ["/bombus-kfilter.slice"], "slice")
        vl.stop()


@pytest.mark.parametrize("containers", [True, [CONTAINER_ID[:12]], [CONTAINER_ID]], ids=["any", "prefix", "id"])
def test_containers(service, containers):
    mark = f"kf-{os.getpid()}-{time.monotonic_ns()}"
    with Cgroup(f"system.slice/docker-{CONTAINER_ID}.scope") as container, \
            Cgroup("bombus-kfilter-outside.slice/a.scope") as outside:
        vl = service.stream({"categories": ["process"], "containers": containers})
        vl.wait_subscribed()
        before = filtered(service)
        storm(outside, f"{mark}-out")
        run_in(container, "/usr/bin/true", f"{mark}-in")
        exec_ = wait_mark(vl, f"{mark}-in", "container")
        assert exec_["process"]["container_id"] == CONTAINER_ID
        assert filtered(service) - before >= 3 * OUTSIDE
        assert not marks(vl.event_objects(), f"{mark}-out")
        assert all(e["process"].get("container_id") for e in vl.event_objects())
        vl.stop()


def test_cgroup_ids(service):
    mark = f"kf-{os.getpid()}-{time.monotonic_ns()}"
    with Cgroup("bombus-kfilter-ids/inner") as inner, Cgroup("bombus-kfilter-outside.slice/a.scope") as outside:
        parent_id = os.stat(inner.path.parent).st_ino
        dbus = service.subscriber("--category=process", f"--cgroup-id={parent_id}")
        before = filtered(service)
        storm(outside, f"{mark}-out")
        run_in(inner, "/usr/bin/true", f"{mark}-in")
        exec_ = wait_mark(dbus, f"{mark}-in", "cgroup_ids")
        assert exec_["process"]["cgroup_id"] == inner.id
        assert filtered(service) - before >= 3 * OUTSIDE
        assert_only_in(dbus, ["/bombus-kfilter-ids"], "cgroup_ids")
        dbus.stop()


def test_new_cgroup_of_a_watched_unit(service):
    """The unit's cgroup made after the subscription (a service start or
    restart) is learnt from the kernel's cgroup_mkdir record."""
    mark = f"kf-{os.getpid()}-{time.monotonic_ns()}"
    vl = service.stream({"categories": ["process"], "units": ["bombus-kfilter-late.service"]})
    vl.wait_subscribed()
    with Cgroup("system.slice/bombus-kfilter-late.service") as late:
        time.sleep(0.5)  # bombusd reads the cgroup_mkdir record
        run_in(late, "/usr/bin/true", f"{mark}-in")
        wait_mark(vl, f"{mark}-in", "late unit")
    vl.stop()


PRCTL_LOOP = r"""
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
for i in range(int(sys.argv[1])):
    assert libc.prctl(15, b"kf-prctl", 0, 0, 0) == 0, ctypes.get_errno()  # PR_SET_NAME
"""
PRCTLS = 300  # made outside the watched unit: far more than its process records
AGENT = Path(stack.bombusd_binary()).resolve().parents[1] / "tests" / "programs" / "iouring-agent"
AGENTS = 5  # agents run outside the watched unit


def wait_events(sub, predicate, n, what):
    """The events of @sub for which @predicate holds, once there are @n."""
    deadline = time.monotonic() + 20
    while True:
        found = [e for e in sub.event_objects() if predicate(e)]
        if len(found) >= n:
            return found
        assert time.monotonic() < deadline, f"{what}: {len(found)} of {n} events"
        time.sleep(0.05)


def test_units_subscription_to_privilege_events(service):
    """A privilege subscription watching one unit: a setuid and prctls made
    in the unit reach it; those made outside are never submitted to the ring
    (procmon-privilege's check: far more records filtered than the outside
    processes' own lifecycle records)."""
    mark = f"kf-{os.getpid()}-{time.monotonic_ns()}"
    with Cgroup(f"system.slice/{UNIT}") as watched, Cgroup("bombus-kfilter-outside.slice/a.scope") as outside:
        vl = service.stream({"categories": ["privilege"], "units": [UNIT]})
        vl.wait_subscribed()
        wait_status(service, "kernel_context_filter", True)
        before = filtered(service)
        run_in(outside, PYTHON, "-c", PRCTL_LOOP, str(PRCTLS), f"{mark}-out")
        run_in(outside, "setpriv", "--reuid=65534", "/usr/bin/true", f"{mark}-out")
        grown = filtered(service) - before
        run_in(watched, "setpriv", "--reuid=65534", "/usr/bin/true", f"{mark}-in")
        run_in(watched, PYTHON, "-c", PRCTL_LOOP, "3", f"{mark}-in")
        setuid = wait_events(vl, lambda e: e["process_event"]["type"] == "Setuid" and f"{mark}-in" in e["process"]["args"],
                             1, "the unit's setuid")
        assert setuid[0]["process"]["unit"] == UNIT and setuid[0]["process_event"]["uid"] == 65534
        renames = wait_events(vl, lambda e: e["process_event"]["type"] == "Prctl"
                              and e["process_event"]["cmd"] == {"PrSetName": {"name": "kf-prctl"}}, 3, "the unit's prctls")
        assert {e["process"]["cgroup_id"] for e in renames} == {watched.id}
        assert grown >= PRCTLS, f"only {grown} records filtered in the kernel"
        assert not marks(vl.event_objects(), f"{mark}-out")
        assert {e["type"] for e in vl.event_objects()} == {"ProcessEvent"}
        assert_only_in(vl, [watched.name], "privilege")
        vl.stop()


def test_units_subscription_to_io_uring_events(service, tmp_path):
    """An io_uring subscription watching one unit: the requests of an agent
    in the unit reach it; those of agents outside are never submitted to the
    ring (iouringmon's check: more records filtered than the outside
    processes' lifecycle records could make)."""
    with Cgroup(f"system.slice/{UNIT}") as watched, Cgroup("bombus-kfilter-outside.slice/a.scope") as outside:
        vl = service.stream({"categories": ["io_uring"], "units": [UNIT]})
        vl.wait_subscribed()
        wait_status(service, "kernel_context_filter", True)
        (tmp_path / "in").mkdir()
        agent = subprocess.run(watched.enter_command([str(AGENT), str(tmp_path / "in")]), capture_output=True,
                               text=True, timeout=30)
        assert agent.returncode == 0, agent.stderr
        pid = json.loads(agent.stdout)["pid"]
        mine = wait_events(vl, lambda e: e["process"]["pid"] == pid and e["opcode"] == "IORING_OP_UNLINKAT", 1,
                           "the unit's agent's unlinkat")
        requests = len([e for e in vl.event_objects() if e["process"]["pid"] == pid])
        assert requests >= 8, vl.event_objects()  # NOP, openat, openat2, statx, accept, connect...
        assert mine[0]["process"]["unit"] == UNIT
        before = filtered(service)
        subprocess.run(["sh", "-c", f'echo $$ > "{outside.path}/cgroup.procs" && for i in $(seq {AGENTS}); do '
                        f'mkdir "{tmp_path}/out$i" && "{AGENT}" "{tmp_path}/out$i" >/dev/null || exit 1; done'],
                       check=True, timeout=120)
        grown = filtered(service) - before
        # each agent: its requests, and a clone, an exec and an exit record
        assert grown >= AGENTS * (requests + 3), f"only {grown} records filtered in the kernel"
        time.sleep(0.3)  # what the ring may still hold
        assert {e["process"]["pid"] for e in vl.event_objects()} == {pid}
        assert_only_in(vl, [watched.name], "io_uring")
        vl.stop()


@pytest.mark.parametrize("parameters, message", [
    ({"units": ["nginx"]}, "'nginx' in option 'units' is no unit name"),
    ({"containers": ["a/b"]}, "'a/b' in option 'containers' is no container id"),
    ({"cgroup_ids": [2 ** 62]}, f"{2 ** 62} in option 'cgroup_ids' is the id of no cgroup2 cgroup"),
    ({"units": [f"u{i}.service" for i in range(65)]}, "option 'units' lists more than 64 names"),
])
def test_invalid_values_are_refused(service, parameters, message):
    with service.connect() as c:
        reply = next(c.stream("io.bombus.Monitor.Subscribe", {"categories": ["process"], **parameters}))
    assert reply.get("error") == "io.bombus.Monitor.InvalidArgument", reply
    assert message in str(reply["parameters"]), reply
    r = service.bombusctl("monitor", "--category=process", "--unit=nginx", check=False)
    assert r.returncode != 0 and "'nginx' in option 'units' is no unit name" in r.stderr, r.stderr


def test_journal_at_reload_turns_the_filter_off(service):
    """A journal output made by a reload never chooses by context: the
    kernel filter goes off, and on again when it goes."""
    vl = service.stream({"categories": ["process"], "units": [UNIT]})
    vl.wait_subscribed()
    wait_status(service, "kernel_context_filter", True)
    config = service.stack.bombusd_config
    old = config.read_text()
    config.write_text("[Journal]\nCategories=privilege\n")
    try:
        r = service.bombusctl("reload")
        assert r.returncode == 0, r.stderr
        wait_status(service, "kernel_context_filter", False)
    finally:
        config.write_text(old)
        r = service.bombusctl("reload")
    assert r.returncode == 0, r.stderr
    wait_status(service, "kernel_context_filter", True)
    vl.stop()


def test_refused_future_cgroup_id_is_named_once_made(service):
    """cgroup_ids naming a cgroup not made yet are refused; the cgroup made
    later with one of these ids still has its path in events."""
    with Cgroup("bombus-kfilter-ids/zeroth") as zeroth, Cgroup("bombus-kfilter-ids/first") as first:
        # ids are kernfs inode numbers, shared with the cgroup's files: the
        # next sibling's comes as far after as this one's after the last
        step = first.id - zeroth.id
        guesses = [first.id + step + i for i in range(-16, 16)]
        for guess in guesses:  # one each: the first refused ends the reading
            with service.connect() as c:
                reply = next(c.stream("io.bombus.Monitor.Subscribe", {"categories": ["process"], "cgroup_ids": [guess]}))
            assert reply.get("error") == "io.bombus.Monitor.InvalidArgument", reply
        everything = service.stream({"categories": ["process"]})
        everything.wait_subscribed()
        with Cgroup("bombus-kfilter-ids/second") as second:
            if second.id not in guesses:
                pytest.skip("other cgroups were made meanwhile: no id was guessed")
            mark = f"kf-{os.getpid()}-{time.monotonic_ns()}"
            run_in(second, "/usr/bin/true", mark)
            exec_ = wait_mark(everything, mark, "later cgroup")
            assert exec_["process"]["cgroup"] == second.name, exec_["process"]
        everything.stop()


@pytest.mark.parametrize("transport", ["dbus", "varlink"])
def test_bombusctl_passes_unit_to_bombusd(service, transport):
    """bombusctl monitor --unit: the option reaches bombusd, on either
    transport, and the kernel filters for it."""
    mark = f"kf-{os.getpid()}-{time.monotonic_ns()}"
    with Cgroup(f"system.slice/{UNIT}") as watched, Cgroup("bombus-kfilter-outside.slice/a.scope") as outside:
        where = "--dbus" if transport == "dbus" else f"--varlink={service.socket}"
        argv = [stack.bombusctl_binary(), where, "monitor", "--json", "--category=process", f"--unit={UNIT}"]
        monitor = subprocess.Popen(argv, env=service.stack.env(), stdout=subprocess.PIPE, text=True)
        try:
            wait_status(service, "kernel_context_filter", True)
            before = filtered(service)
            storm(outside, f"{mark}-out", n=10)
            run_in(watched, "/usr/bin/true", f"{mark}-in")
            deadline = time.monotonic() + 20
            for line in monitor.stdout:
                event = json.loads(line)
                assert event["process"]["cgroup"] == watched.name, event
                if mark in event["process"]["args"] and event["process"]["filename"] == "true":
                    break
                assert time.monotonic() < deadline
            assert filtered(service) - before >= 30
        finally:
            monitor.terminate()
            monitor.wait(10)
