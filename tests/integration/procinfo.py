"""What the events should say, worked out independently of bombusd.

Expected process objects come from /proc (for processes still running) and
from the spec's formats; capability names come from libcap's capsh, so a wrong
name table in bombusd shows up as a mismatch.
"""
import codecs
import functools
import os
import re
import subprocess
import time
from datetime import datetime, timezone

ISO8601_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

PROCESS_KEYS = {
    "start_time", "cloned", "pid", "tid", "ppid", "uid", "euid", "gid", "egid", "auid",
    "cap_inheritable", "cap_permitted", "cap_effective", "secureexec", "filename",
    "binary_path", "args",
}
OPTIONAL_PROCESS_KEYS = {"binary_ima_hash", "incomplete"}
# bombus's own context fields (docs/events.md), in this order after the
# spec's; each may be absent (unknown, or not applicable).
CONTEXT_KEYS = ("exec_id", "parent_exec_id", "cgroup", "cgroup_id", "unit", "slice", "container_id",
                "namespaces", "in_init_pid_ns", "vpid")
NAMESPACE_KEYS = ("pid", "mnt", "net", "user", "uts", "ipc", "cgroup")
EXEC_ID = re.compile(r"^[0-9a-f]{16}:\d+:\d+:\d+$")
SECUREEXEC_NAMES = ("SETUID", "SETGID", "FILE_CAPS", "FILELESS_EXEC")
LIFECYCLE_TYPES = ("ProcessExec", "ProcessClone", "ProcessExit")

# Bound on the argv area bombusd copies (docs: first 4096 bytes of the
# NUL-separated argv area, argv[0] included).
ARGS_MAX = 4096
TIMEOUT = 30  # seconds; the machine may be shared and slow
TICK = 1 / os.sysconf("SC_CLK_TCK")  # resolution of start times in /proc


def parse_time(text):
    """Seconds since the epoch of an event time string."""
    assert ISO8601_MS.match(text), f"not UTC ISO-8601 with milliseconds: {text!r}"
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


@functools.lru_cache(maxsize=None)
def cap_last_cap():
    with open("/proc/sys/kernel/cap_last_cap") as f:
        return int(f.read())


@functools.lru_cache(maxsize=None)
def caps_string(mask):
    """The spec's capability string for a mask: names from capsh --decode."""
    if mask == 0:
        return ""
    known = (1 << (cap_last_cap() + 1)) - 1
    if mask & known == known:
        return "ALL_CAPS"
    out = subprocess.run(["capsh", f"--decode={mask:#x}"], check=True, capture_output=True,
                         text=True).stdout.strip()
    names = out.split("=", 1)[1].split(",")
    return " | ".join(name.upper() for name in names)


def args_string(argv_area):
    """args as the spec defines them, from the raw argv area (bytes, NUL
    separated): argv[1..] joined by spaces, the area cut at ARGS_MAX."""
    area = argv_area[:ARGS_MAX]
    pieces = area.split(b"\0")
    if area.endswith(b"\0"):
        pieces.pop()
    text = b" ".join(pieces[1:])
    # Invalid bytes become U+FFFD; a character cut by the bound is dropped
    # (an incremental decoder not told the input is final holds it back).
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return decoder.decode(text, final=len(argv_area) <= ARGS_MAX)


def argv_area(argv):
    return b"".join(os.fsencode(a) + b"\0" for a in argv)


def _status_fields(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.split()
    return fields


def boot_time():
    """Wall-clock time of boot (CLOCK_REALTIME - CLOCK_BOOTTIME)."""
    return time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)


def proc_start_time(pid):
    """Start of @pid in wall-clock seconds, to a clock tick."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    ticks = int(stat[stat.rindex(")") + 2:].split()[19])
    return boot_time() + ticks * TICK


def proc_process(pid):
    """The process object the spec gives for running process @pid, without
    start_time (see proc_start_time), cloned and secureexec, which /proc
    cannot tell."""
    status = _status_fields(pid)
    with open(f"/proc/{pid}/loginuid") as f:
        auid = int(f.read())
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        cmdline = f.read()
    exe = os.readlink(f"/proc/{pid}/exe")
    return {
        "pid": pid,
        "tid": pid,
        "ppid": int(status["PPid"][0]),
        "uid": int(status["Uid"][0]),
        "euid": int(status["Uid"][1]),
        "gid": int(status["Gid"][0]),
        "egid": int(status["Gid"][1]),
        "auid": auid,
        "cap_inheritable": caps_string(int(status["CapInh"][0], 16)),
        "cap_permitted": caps_string(int(status["CapPrm"][0], 16)),
        "cap_effective": caps_string(int(status["CapEff"][0], 16)),
        "filename": os.path.basename(exe.removesuffix(" (deleted)")),
        "binary_path": exe,
        "args": args_string(cmdline),
    }


def bounding_set(pid="self"):
    return int(_status_fields(pid)["CapBnd"][0], 16)


def assert_fields(obj, expected, what="process"):
    """Every key of @expected has that value in @obj; the message lists all
    differences at once."""
    diff = {k: (obj.get(k, "<missing>"), v) for k, v in expected.items() if obj.get(k, "<missing>") != v}
    assert not diff, f"{what}: fields differ (got, expected): {diff}\nfull object: {obj}"


def assert_recent(text, not_before, not_after, slack=2.0):
    """@text is a spec time string within [not_before, not_after] (wall-clock
    seconds) give or take @slack seconds."""
    t = parse_time(text)
    assert not_before - slack <= t <= not_after + slack, \
        f"time {text} is not between {not_before} and {not_after} (+-{slack}s)"


CAPS_FORMAT = re.compile(r"^(|ALL_CAPS|CAP_[A-Z0-9_]+( \| CAP_[A-Z0-9_]+)*)$")


def assert_context_shape(p, where):
    """bombus's context fields: after the spec's, in their order, each of
    its type."""
    keys = list(p)
    context = [k for k in keys if k in CONTEXT_KEYS]
    assert keys[len(keys) - len(context):] == context, f"{where}: context fields not last: {keys}"
    assert context == [k for k in CONTEXT_KEYS if k in p], f"{where}: context fields out of order: {context}"
    for key in ("exec_id", "parent_exec_id"):
        if key in p:
            assert EXEC_ID.match(p[key]), f"{where}: {key} = {p[key]!r}"
    if "cgroup" in p:
        assert p["cgroup"].startswith("/") and isinstance(p["cgroup_id"], int), where
    if "namespaces" in p:
        assert list(p["namespaces"]) == list(NAMESPACE_KEYS), f"{where}: namespaces {p['namespaces']}"
        assert isinstance(p["in_init_pid_ns"], bool), where
        assert ("vpid" in p) == (not p["in_init_pid_ns"]), f"{where}: vpid only outside the initial pid ns"
    for key in ("unit", "slice", "container_id"):
        if key in p:
            assert isinstance(p[key], str) and p[key], f"{where}: {key} = {p[key]!r}"


def assert_process_shape(p, where):
    keys = set(p) - set(CONTEXT_KEYS)
    assert PROCESS_KEYS <= keys <= PROCESS_KEYS | OPTIONAL_PROCESS_KEYS, \
        f"{where}: keys {sorted(keys ^ PROCESS_KEYS)} differ from the spec"
    assert_context_shape(p, where)
    assert ISO8601_MS.match(p["start_time"]), f"{where}: start_time {p['start_time']!r}"
    assert isinstance(p["cloned"], bool), where
    for key in ("pid", "tid", "ppid", "uid", "euid", "gid", "egid", "auid"):
        assert isinstance(p[key], int) and not isinstance(p[key], bool) and 0 <= p[key] < 2**32, \
            f"{where}: {key} = {p[key]!r}"
    for key in ("cap_inheritable", "cap_permitted", "cap_effective"):
        assert CAPS_FORMAT.match(p[key]), f"{where}: {key} = {p[key]!r}"
    flags = p["secureexec"].split(" | ") if p["secureexec"] else []
    assert flags == [f for f in SECUREEXEC_NAMES if f in flags], f"{where}: secureexec {p['secureexec']!r}"
    for key in ("filename", "binary_path", "args"):
        assert isinstance(p[key], str), f"{where}: {key} = {p[key]!r}"
    if p["binary_path"]:
        assert p["binary_path"].startswith(("/", "...", "(unreachable)/")), f"{where}: binary_path {p['binary_path']!r}"
        assert p["filename"], f"{where}: binary_path without filename"


def assert_event_shape(event):
    """The spec's shape: "type" first and a timestamp for every event; keys,
    types and string formats for lifecycle events (the ones this suite
    knows)."""
    where = f"{event.get('type')} event {event}"
    assert list(event)[0] == "type", f"'type' is not the first key of {event}"
    assert ISO8601_MS.match(event["timestamp"]), f"{where}: timestamp"
    if event["type"] not in LIFECYCLE_TYPES:
        return
    assert set(event) == {"type", "process", "parent", "timestamp"}, where
    process, parent = event["process"], event["parent"]
    assert_process_shape(process, f"process of {where}")
    assert process["tid"] == process["pid"], f"{where}: only thread-group leaders are reported"
    assert process["start_time"] <= event["timestamp"], f"{where}: started after the event"
    if event["type"] == "ProcessExec":
        assert process["cloned"] is False, where
    elif event["type"] == "ProcessClone":
        assert process["cloned"] is True, where
    if parent is not None:
        assert_process_shape(parent, f"parent of {where}")
        assert parent["pid"] == process["ppid"], f"{where}: parent is not process ppid"


def this_process():
    """The test process as bombusd should show it: it ran before bombusd,
    so bombusd knows it from /proc."""
    expected = proc_process(os.getpid())
    expected.update(cloned=False, secureexec="")
    return expected


def assert_this_process(obj, what="parent"):
    """@obj is the test process, start_time included (to a clock tick)."""
    assert obj is not None, f"{what} is null, expected the test process"
    assert_fields(obj, this_process(), what)
    started = proc_start_time(os.getpid())
    assert abs(parse_time(obj["start_time"]) - started) < TICK + 0.02, \
        f"{what}: start_time {obj['start_time']} but /proc says {started}"


def child_of_this_process(pid, **fields):
    """Expected fields of a process the (root) test process started and
    that exec'd an ordinary binary: same ids, capabilities from the bounding
    set as exec gives root, nothing gained."""
    me = proc_process(os.getpid())
    caps = caps_string(bounding_set())
    expected = {key: me[key] for key in ("uid", "euid", "gid", "egid", "auid", "cap_inheritable")}
    expected.update(pid=pid, tid=pid, ppid=os.getpid(), cap_permitted=caps, cap_effective=caps,
                    secureexec="", cloned=False)
    expected.update(fields)
    return expected
