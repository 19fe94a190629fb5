"""Events of the configured categories in the journal, with the documented
fields, and a catalog entry for every MESSAGE_ID."""
import json
import re
import subprocess
import time

from stack import ROOT

FIELDS = ("MESSAGE", "MESSAGE_ID", "PRIORITY", "BOMBUS_EVENT_TYPE", "BOMBUS_PID", "BOMBUS_UID",
          "BOMBUS_BINARY_PATH", "BOMBUS_EVENT_JSON")


def message_ids():
    """MESSAGE_ID of each event type, from the daemon's table."""
    source = (ROOT / "daemon" / "category.c").read_text()
    return dict(re.findall(r'\{\s*"(\w+)", CATEGORY_\w+, "([0-9a-f]{32})"\s*\}', source))


def journal_entry(service, type_, pid, timeout=20, *matches):
    deadline = time.monotonic() + timeout
    while True:
        entries = service.stack.journal(f"MESSAGE_ID={message_ids()[type_]}", f"BOMBUS_PID={pid}", *matches)
        if entries:
            return entries[0]
        assert time.monotonic() < deadline, f"no {type_} of pid {pid} in the journal"
        time.sleep(0.2)


def test_process_events_in_journal(service, markers):
    pid = markers.run("to-the-journal")
    entry = journal_entry(service, "ProcessExec", pid)
    for field in FIELDS:
        assert field in entry, f"{field} missing from {entry}"
    assert entry["PRIORITY"] == "6"
    assert entry["BOMBUS_EVENT_TYPE"] == "ProcessExec"
    assert entry["BOMBUS_PID"] == str(pid)
    assert entry["BOMBUS_UID"] == "0"
    assert entry["BOMBUS_BINARY_PATH"] == str(markers.binary)
    assert entry["MESSAGE"].startswith(f"ProcessExec {markers.binary} to-the-journal (pid {pid}, uid 0")
    assert entry["SYSLOG_IDENTIFIER"] == "bombusd"
    event = json.loads(entry["BOMBUS_EVENT_JSON"])
    assert list(event)[0] == "type" and event["type"] == "ProcessExec"
    assert event["process"]["pid"] == pid and event["process"]["args"] == "to-the-journal"
    exit_entry = journal_entry(service, "ProcessExit", pid)
    assert exit_entry["BOMBUS_EVENT_TYPE"] == "ProcessExit"


def test_catalog_describes_every_message_id(tmp_path):
    catalog_dir = tmp_path / "usr" / "lib" / "systemd" / "catalog"
    catalog_dir.mkdir(parents=True)
    (catalog_dir / "bombus.catalog").write_text((ROOT / "systemd" / "bombus.catalog").read_text())
    subprocess.run(["journalctl", f"--root={tmp_path}", "--update-catalog"], check=True, capture_output=True)
    listed = subprocess.run(["journalctl", f"--root={tmp_path}", "--list-catalog"], check=True,
                            capture_output=True, text=True).stdout
    ids = {line.split()[0] for line in listed.splitlines() if line.strip()}
    assert set(message_ids().values()) <= ids
    assert len(message_ids()) == 5


def test_long_message_cut_between_characters(service, markers):
    """MESSAGE is cut at 1023 bytes: never inside a character, which would
    make it invalid UTF-8 (journalctl then shows the field as bytes)."""
    prefix = f"ProcessExec {markers.binary} "
    pad = "x" * (0 if (1023 - len(prefix.encode())) % 2 else 1)  # the cut falls inside a 2-byte "é"
    pid = markers.run(pad + "é" * 600)
    entry = journal_entry(service, "ProcessExec", pid)
    message = entry["MESSAGE"]
    assert isinstance(message, str), f"MESSAGE is not valid UTF-8: {message[:40]}..."
    assert message.startswith(prefix + pad + "é")
    assert len(message.encode()) == 1022  # the cut character dropped
