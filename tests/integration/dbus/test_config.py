"""bombusd's config file as the daemon uses it: a bad file stops it before
anything is loaded, with FILE:LINE; good settings take effect."""
import json
import subprocess

import stack
from bombus_service import bpf_ids_of


def run(tmp_path, text, *args, timeout=30):
    conf = tmp_path / "bombusd.conf"
    conf.write_text(text)
    return conf, subprocess.run([stack.bombusd_binary(), "--stdout", f"--config={conf}", *args],
                                capture_output=True, text=True, timeout=timeout)


def test_bad_file_stops_bombusd_before_anything_starts(tmp_path):
    for text, line, message in [
        ("[Daemon]\nRingBufferSize=8M\nRingBufferSise=8M\n", 3, "unknown key 'RingBufferSise' in section [Daemon]"),
        ("[Journal]\nCategories=process, proces\n", 2, "unknown category 'proces' (process, privilege, io_uring)"),
        ("[ProcMon]\nDisableHooks=exec\n", 2, "ProcMon's hook 'exec' cannot be disabled: the process cache needs it"),
        ("\n[ProcMon]\nDisableHooks=exec_creds nonsense\n", 3, "ProcMon has no hook 'nonsense'"),
    ]:
        conf, r = run(tmp_path, text)
        assert r.returncode == 1
        # One line, nothing attached or printed before it.
        assert r.stderr.splitlines() == [f"bombusd: {conf}:{line}: {message}"], r.stderr
        assert r.stdout == ""


def test_missing_explicit_file_is_an_error(tmp_path):
    r = subprocess.run([stack.bombusd_binary(), "--stdout", f"--config={tmp_path}/none.conf"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1
    assert "cannot read the config file" in r.stderr


def test_disabled_hook_and_ring_buffer_size(tmp_path, markers):
    conf = tmp_path / "bombusd.conf"
    conf.write_text("[ProcMon]\nDisableHooks=exec_creds\n[Daemon]\nRingBufferSize=1M\n")
    err_path = tmp_path / "stderr"
    with open(err_path, "w") as err:
        proc = subprocess.Popen([stack.bombusd_binary(), "--stdout", f"--config={conf}"], stdout=subprocess.PIPE,
                                stderr=err, text=True)
    try:
        stack.wait_until(lambda: proc.poll() is not None or "monitoring;" in err_path.read_text(), 30, "bombusd")
        maps = [json.loads(subprocess.run(["bpftool", "map", "show", "id", str(i), "-j"], capture_output=True,
                                          text=True, check=True).stdout) for i in bpf_ids_of(proc.pid, "map")]
        pid = markers.run("without-exec-creds")
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0]
    err = err_path.read_text()
    assert proc.returncode == 0, err
    assert "hook exec_creds: disabled by configuration" in err
    rings = [m["max_entries"] for m in maps if m["name"] == "records"]
    assert rings and set(rings) == {1 << 20}, rings  # one ring per monitor with its own
    events = [json.loads(line) for line in out.splitlines()]
    # Events flow without it.
    assert any(e["type"] == "ProcessExec" and e["process"]["pid"] == pid for e in events)
