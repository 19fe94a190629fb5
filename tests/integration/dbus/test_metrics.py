"""bombusctl metrics: GetStatus's counters as OpenMetrics text, every line
a comment, a sample of a declared family or the final "# EOF"; the names
those of docs/metrics.md; counters that move with events; --output replaces
its file at once."""
import math
import os
import re
import subprocess
import time

import pytest

import stack

METRICS_DOC = stack.ROOT / "docs" / "metrics.md"
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABELS = r'\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,(?=[a-zA-Z_]))?)*\}'
SAMPLE = re.compile(rf"^({NAME})({LABELS})? (\S+)$")
SUFFIXES = {"counter": ("_total",), "gauge": ("",)}


def parse(text):
    """{family: {"type", "help", "samples": [(name, labels dict, value)]}};
    fails on anything the OpenMetrics text format does not allow."""
    assert text.endswith("# EOF\n"), text[-200:]
    lines = text[:-1].split("\n")
    assert lines.pop() == "# EOF" and "# EOF" not in lines
    families, current = {}, None
    for line in lines:
        if line.startswith("# TYPE "):
            _, _, name, type_ = line.split(" ")
            assert re.fullmatch(NAME, name) and type_ in SUFFIXES, line
            assert name not in families, f"family declared twice: {line}"
            current = families[name] = {"name": name, "type": type_, "help": None, "samples": []}
        elif line.startswith("# HELP "):
            _, _, name, help_ = line.split(" ", 3)
            assert current is families.get(name) and help_, line
            current["help"] = help_
        else:
            m = SAMPLE.match(line)
            assert m, f"not a sample: {line!r}"
            name, labels, value = m.groups()
            assert current and name in [current["name"] + s for s in SUFFIXES[current["type"]]], \
                f"{name} outside its family"
            number = float(value)
            assert not math.isnan(number) and number >= 0, line
            pairs = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels or ""))
            current["samples"].append((name, pairs, number))
    for name, family in families.items():
        assert family["help"], f"{name} has no HELP"
    return families


def metrics(service):
    r = service.bombusctl("metrics")
    assert r.returncode == 0, r.stderr
    return parse(r.stdout)


def value(families, family, **labels):
    return next(v for _, l, v in families[family]["samples"] if all(l.get(k) == x for k, x in labels.items()))


def documented_families():
    return set(re.findall(r"^\| `(bombus_\w+)` \|", METRICS_DOC.read_text(), re.M))


def test_metrics_parse_and_match_the_status(service, markers):
    families = metrics(service)
    status = service.status()
    assert set(families) <= documented_families(), set(families) - documented_families()
    for family in ("bombus_events_emitted", "bombus_events_lost", "bombus_events_dropped", "bombus_subscribers",
                   "bombus_process_cache_entries", "bombus_loss", "bombus_longest_loop_iteration_seconds"):
        assert family in families, family
    assert {l["monitor"] for _, l, _ in families["bombus_events_lost"]["samples"]} == \
        {m["name"] for m in status["monitors"]}
    assert {(l["output"], l["reason"]) for _, l, _ in families["bombus_events_dropped"]["samples"]} >= \
        {("dbus", "full"), ("journal", "full_or_refused")}
    assert {l["counter"] for _, l, _ in families["bombus_loss"]["samples"]} == set(status["counters"])
    if status["bpf_stats_enabled"]:
        assert {(l["monitor"], l["hook"]) for _, l, _ in families["bombus_hook_runs"]["samples"]} == \
            {(m, h) for m, h, _, _ in status["hook_stats"]}
    else:
        assert "bombus_hook_runs" not in families


def test_a_counter_moves_with_events(service, markers):
    sub = service.subscriber("--category=process", f"--prefix={markers.prefix}")
    before = value(metrics(service), "bombus_events_emitted")
    pid = markers.run("counted")
    sub.wait_event("ProcessExit", pid)
    after = metrics(service)
    assert value(after, "bombus_events_emitted") >= before + 2  # its exec and exit at least
    assert value(after, "bombus_subscribers") >= 1


def test_hook_stats_with_bpf_stats_enabled(service, markers):
    """With kernel.bpf_stats_enabled on, each attached hook's programs'
    runs are counted (the sysctl is put back as it was)."""
    sysctl = "/proc/sys/kernel/bpf_stats_enabled"
    saved = open(sysctl).read().strip()
    try:
        with open(sysctl, "w") as f:
            f.write("1")
        markers.run("measured")
        families = metrics(service)
        runs = {l["hook"]: v for _, l, v in families["bombus_hook_runs"]["samples"] if l["monitor"] == "procmon"}
        assert runs and max(runs.values()) > 0, runs
        assert value(families, "bombus_bpf_stats_enabled") == 1
    finally:
        with open(sysctl, "w") as f:
            f.write(saved)


def test_output_file_replaced_atomically(service, tmp_path):
    target = tmp_path / "bombus.prom"
    target.write_text("old\n")
    os.umask(0o077)
    try:
        r = service.bombusctl("metrics", f"--output={target}")
    finally:
        os.umask(0o022)
    assert r.returncode == 0, r.stderr
    parse(target.read_text())
    assert target.stat().st_mode & 0o777 == 0o644
    assert os.listdir(tmp_path) == ["bombus.prom"]  # no temporary file left
    r = service.bombusctl("metrics", f"--output={tmp_path / 'missing' / 'bombus.prom'}")
    assert r.returncode == 1 and "cannot write the metrics" in r.stderr


def test_metrics_never_start_bombusd(tmp_path):
    """A scrape does not start a stopped bombusd by D-Bus activation."""
    bus = stack.Stack(tmp_path, polkit=False, journald=False).start()
    try:
        r = subprocess.run([stack.bombusctl_binary(), "metrics"], env=bus.env(), capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 1 and "bombusd is not running" in r.stderr, r.stderr
        time.sleep(1)
        assert not bus.name_has_owner(stack.BUS_NAME)
    finally:
        bus.stop()
