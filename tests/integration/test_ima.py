"""binary_ima_hash: the IMA digest of the executed binary (ImaHash=yes, --ima-hash).

Where the kernel has IMA and BPF LSM (the VM lane's bpf-lsm guest, booted with
ima_policy=tcb: $BOMBUS_EXPECT_IMA=1) ProcessExec carries "ALGO:HEX", equal to
the file's digest; elsewhere ($BOMBUS_EXPECT_IMA=0, or unset: whatever bombusd
reports) that is said once at start and the field is absent from every event.
"""
import hashlib
import os
import shutil
import subprocess

import hookreport

ALGORITHMS = {"md5", "sha1", "sha256", "sha384", "sha512", "sha224"}


def ima_hook(daemon):
    return hookreport.hooks(daemon.stderr()).get("ima_hash", "")


def expect_ima(daemon):
    """Whether this bombusd hashes, checked against $BOMBUS_EXPECT_IMA."""
    usable = ima_hook(daemon).startswith("lsm.s/")
    expected = os.environ.get("BOMBUS_EXPECT_IMA")
    if expected is not None:
        assert usable == (expected == "1"), f"BOMBUS_EXPECT_IMA={expected}, bombusd says: {ima_hook(daemon)}"
    return usable


def run(daemon, path, tag):
    subprocess.run([path, tag], check=True, stdout=subprocess.DEVNULL)
    return daemon.wait_for(lambda e: e["type"] == "ProcessExec" and e["process"]["args"] == tag,
                           what=f"ProcessExec of {path} {tag}")


def file_digest(path, algorithm):
    with open(path, "rb") as f:
        return hashlib.new(algorithm, f.read()).hexdigest()


def check_hash(event, path):
    value = event["process"]["binary_ima_hash"]
    algorithm, _, digest = value.partition(":")
    assert algorithm in ALGORITHMS, value
    if os.environ.get("BOMBUS_EXPECT_IMA") == "1":
        assert algorithm == "sha256", value  # the VM lane boots with ima_hash=sha256
    assert digest == file_digest(path, algorithm), f"{value} is not the digest of {path}"
    return value


def test_ima_hash(start_bombusd, tmp_path):
    """Where IMA hashes work, each exec carries its binary's; elsewhere that is
    said once and no event has the field. Turned on the way an administrator
    does: ImaHash= in the config file."""
    config = tmp_path / "bombusd.conf"
    config.write_text("[ProcMon]\nImaHash=yes\n")
    daemon = start_bombusd([f"--config={config}"])
    if expect_ima(daemon):
        check_hashes(daemon, tmp_path)
    else:
        check_unavailable_said_once(daemon)


def check_hashes(daemon, tmp_path):
    # A file IMA's policy measures (tcb: every exec) and a copy that changes
    # between two runs: the second hash must be the new content's.
    system = run(daemon, "/usr/bin/true", "ima-system")
    check_hash(system, "/usr/bin/true")
    copy = tmp_path / "true-copy"
    shutil.copy("/usr/bin/true", copy)
    first = check_hash(run(daemon, str(copy), "ima-before"), str(copy))
    with open(copy, "ab") as f:
        f.write(b"\0bombus")
    second = check_hash(run(daemon, str(copy), "ima-after"), str(copy))
    assert first != second
    # The exited process keeps its hash.
    exit_ev = daemon.wait_event("ProcessExit", system["process"]["pid"])
    assert exit_ev["process"]["binary_ima_hash"] == system["process"]["binary_ima_hash"]


def check_unavailable_said_once(daemon):
    for i in range(3):
        run(daemon, "/usr/bin/true", f"no-ima-{i}")
    lines = [line for line in daemon.stderr().splitlines() if "ima" in line.lower()]
    assert len(lines) == 1 and lines[0].startswith("bombusd: hook ima_hash: unavailable: "), lines
    assert not [e for e in daemon.events if "binary_ima_hash" in e["process"]]


def test_no_ima_hash_unless_asked(bombusd):
    run(bombusd, "/usr/bin/true", "ima-not-asked")
    assert "hook ima_hash: disabled by configuration" in bombusd.stderr()
    assert not [e for e in bombusd.events if "binary_ima_hash" in e["process"]
                or (e.get("parent") and "binary_ima_hash" in e["parent"])]
