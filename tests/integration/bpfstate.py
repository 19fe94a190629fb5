"""Which BPF programs, links and maps exist, and which a process holds.

What a process holds is read from /proc/PID/fdinfo (prog_id, link_id,
map_id): bpftool's "pids" field needs a BPF iterator, which not every kernel
lets bpftool load, so it is used only as an extra source when present.
"""
import json
import re
import os
import subprocess
import time

KINDS = ("prog", "link", "map")


def fdinfo_ids(pid):
    """{"prog": set, "link": set, "map": set} of the BPF objects @pid has open
    (the program of a link counts as held too)."""
    held = {kind: set() for kind in KINDS}
    fdinfo = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fdinfo):
        try:
            with open(f"{fdinfo}/{fd}") as f:
                text = f.read()
        except FileNotFoundError:
            continue  # closed meanwhile
        for line in text.splitlines():
            key, _, value = line.partition(":")
            kind = key.removesuffix("_id")
            if key.endswith("_id") and kind in held:
                held[kind].add(int(value))
    return held


def held_ids(pid):
    """fdinfo_ids, plus what bpftool's "pids" field attributes to @pid."""
    held = fdinfo_ids(pid)
    for kind in KINDS:
        for obj in listed(kind):
            if any(p.get("pid") == pid for p in obj.get("pids", ())):
                held[kind].add(obj["id"])
    return held


def listed(kind):
    """bpftool -j KIND list, as a list of dicts."""
    out = subprocess.run(["bpftool", "-j", kind, "list"], check=True, capture_output=True,
                         text=True, timeout=60).stdout
    return json.loads(out or "[]")


def existing_ids(kind):
    return {obj["id"] for obj in listed(kind)}


def poll_until_empty(check, timeout=30):
    """Calls check() until it returns something empty or @timeout seconds
    pass; returns the last result. The kernel frees some BPF objects from
    deferred work, so they may outlive their last holder for a moment."""
    deadline = time.monotonic() + timeout
    while True:
        left = check()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)  # polling the kernel's state; there is nothing to wait on


def still_existing(ids):
    """Those of @ids ({"prog": set, ...}) that still exist."""
    left = {kind: sorted(ids[kind] & existing_ids(kind)) for kind in KINDS}
    return {kind: v for kind, v in left.items() if v}


def unheld_programs(names, newer_than):
    """Programs named in @names with an id above @newer_than that no process
    holds: left attached or pinned by someone who has exited."""
    before = {p["id"] for p in listed("prog") if p["id"] > newer_than and p.get("name", "")[:15] in names}
    held = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                held |= fdinfo_ids(int(pid))["prog"]
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue  # exited meanwhile
    after = existing_ids("prog")
    return sorted(i for i in before if i in after and i not in held)



def program_names(root):
    """Names of the BPF programs in bpf/*.bpf.c, as the kernel shows them
    (object names are cut at 15 bytes)."""
    names = set()
    for source in (root / "bpf").glob("*.bpf.c"):
        text = source.read_text()
        for match in re.finditer(r'SEC\("[^"]+"\)\s*\n\s*int\s+(?:BPF_PROG\()?(\w+)', text):
            names.add(match.group(1)[:15])
    return names
