"""The process context in what bombusd's outputs give: bombusctl's context
options (--unit, --container, --containers) and its readable line's unit or
container, bombusctl process's context, the journal's BOMBUS_UNIT,
BOMBUS_CONTAINER_ID and BOMBUS_EXEC_ID. In a file of their own, with one
bombusd stack, so that the VM lane (tests/vm/run) runs them in LSM and fentry
modes without the rest of test_bombusctl.py and test_journal.py."""
import json
import re
import subprocess
import time

from cgroups import CONTAINER_ID, Cgroup
from test_bombusctl import start_monitor
from test_journal import journal_entry


def test_monitor_unit_and_container_filters(service, markers):
    """--unit, --containers: only those processes' events, each line showing
    where it ran."""
    unit = f"bombus-ctl-{time.monotonic_ns()}.service"
    by_unit = start_monitor(service, "--no-json", f"--prefix={markers.prefix}", f"--unit={unit}", "--count=1")
    in_container = start_monitor(service, "--json", f"--prefix={markers.prefix}", "--containers", "--count=1")
    outside = markers.run("outside")
    with Cgroup(f"system.slice/{unit}") as cgroup, Cgroup(f"system.slice/docker-{CONTAINER_ID}.scope") as docker:
        for where, arg in ((cgroup, "in-unit"), (docker, "in-container")):
            child = subprocess.Popen(where.enter_command([str(markers.binary), arg]))
            assert child.wait(30) == 0
            if arg == "in-unit":
                inside = child.pid
        out, err = by_unit.communicate(timeout=30)
        assert by_unit.returncode == 0, err
        assert re.fullmatch(rf"\S+ ProcessExec pid {inside} uid 0 {markers.binary} in-unit \[{re.escape(unit)}\]  <- .+",
                            out.strip()), out
        out, err = in_container.communicate(timeout=30)
        assert in_container.returncode == 0, err
        event = json.loads(out)
        assert event["process"]["container_id"] == CONTAINER_ID and event["process"]["args"] == "in-container"
        assert event["process"]["pid"] != outside


def test_monitor_container_option_and_readable_line(service, markers):
    """--container=ID, whole or a prefix: only that container's processes,
    not another container's nor the host's; the readable line names the
    container, a 64-hex id shortened to 12 as docker ps does, another name
    (a systemd-nspawn machine's) whole."""
    other = "fedcba9876543210" * 4
    readable = rf"\S+ ProcessExec pid {{pid}} uid 0 {re.escape(str(markers.binary))} {{arg}} \[container {{name}}\]  <- .+"
    monitors = [start_monitor(service, "--no-json", f"--prefix={markers.prefix}", f"--container={which}", "--count=1")
                for which in (CONTAINER_ID, CONTAINER_ID[:12])]
    # every container: its execs and exits, two lines each
    anywhere = start_monitor(service, "--no-json", f"--prefix={markers.prefix}", "--containers", "--count=4")
    try:
        with Cgroup(f"system.slice/docker-{other}.scope") as elsewhere, \
                Cgroup(f"system.slice/docker-{CONTAINER_ID}.scope") as docker, \
                Cgroup("machine.slice/machine-bombus\\x2dctl.scope") as machine:
            markers.run("on-the-host")
            pids = {}
            for where, arg in ((elsewhere, "other-container"), (machine, "in-machine"), (docker, "in-container")):
                child = subprocess.Popen(where.enter_command([str(markers.binary), arg]))
                assert child.wait(30) == 0
                pids[arg] = child.pid
            outs = [m.communicate(timeout=30) for m in monitors + [anywhere]]
    finally:
        for m in monitors + [anywhere]:
            m.kill()
            m.wait()
    for (out, err), m in zip(outs, monitors + [anywhere]):
        assert m.returncode == 0, err
    for out, err in outs[:2]:
        assert re.fullmatch(readable.format(pid=pids["in-container"], arg="in-container", name=CONTAINER_ID[:12]),
                            out.strip()), out
    execs = [line for line in outs[2][0].splitlines() if " ProcessExec " in line]
    assert len(execs) == 2, outs[2][0]
    assert re.fullmatch(readable.format(pid=pids["other-container"], arg="other-container", name=other[:12]),
                        execs[0]), execs
    assert re.fullmatch(readable.format(pid=pids["in-machine"], arg="in-machine", name="bombus-ctl"), execs[1]), execs


def test_process_shows_the_context(service):
    unit = f"bombus-ctl-{time.monotonic_ns()}.service"
    with Cgroup(f"system.slice/{unit}") as cgroup:
        sleeper = subprocess.Popen(cgroup.enter_command(["sleep", "30"]))
        try:
            deadline = time.monotonic() + 20
            while True:
                r = service.bombusctl("process", str(sleeper.pid))
                if r.returncode == 0 and json.loads(r.stdout)["filename"] == "sleep":
                    break
                assert time.monotonic() < deadline, r.stderr
                time.sleep(0.1)
        finally:
            sleeper.kill()
            sleeper.wait()
    process = json.loads(r.stdout)
    assert process["unit"] == unit and process["slice"] == "system.slice"
    assert process["cgroup"] == f"/system.slice/{unit}"
    assert process["exec_id"].split(":")[1] == str(sleeper.pid)
    assert set(process["namespaces"]) == {"pid", "mnt", "net", "user", "uts", "ipc", "cgroup"}


def test_context_fields_of_the_monitored_process(service, markers):
    """BOMBUS_UNIT, BOMBUS_CONTAINER_ID and BOMBUS_EXEC_ID are the monitored
    process's (journald's own _SYSTEMD_UNIT is bombusd's): journalctl
    BOMBUS_UNIT=... finds what ran in a unit."""
    unit = f"bombus-journal-{time.monotonic_ns()}.service"
    with Cgroup(f"system.slice/{unit}") as in_unit, Cgroup(f"system.slice/docker-{CONTAINER_ID}.scope") as docker:
        runs = {}
        for cgroup, arg in ((in_unit, "in-unit"), (docker, "in-container")):
            child = subprocess.Popen(cgroup.enter_command([str(markers.binary), arg]))
            assert child.wait(30) == 0
            runs[arg] = child.pid
    marker = f"BOMBUS_BINARY_PATH={markers.binary}"  # not the shell that moved it, of the same pid
    entry = journal_entry(service, "ProcessExec", runs["in-unit"], 20, marker)
    event = json.loads(entry["BOMBUS_EVENT_JSON"])
    assert entry["BOMBUS_UNIT"] == unit == event["process"]["unit"]
    assert entry["BOMBUS_EXEC_ID"] == event["process"]["exec_id"]
    assert "BOMBUS_CONTAINER_ID" not in entry
    found = service.stack.journal(f"BOMBUS_UNIT={unit}")
    assert {(e["BOMBUS_PID"], e["BOMBUS_BINARY_PATH"]) for e in found} == {(str(runs["in-unit"]), str(markers.binary))}
    entry = journal_entry(service, "ProcessExec", runs["in-container"], 20, marker)
    assert entry.get("BOMBUS_CONTAINER_ID") == CONTAINER_ID, entry
    assert entry["BOMBUS_UNIT"] == f"docker-{CONTAINER_ID}.scope"
