"""A real container (docs/events.md, container_id): Podman runs one from an
image built here from the static busybox; its processes carry its id and
namespaces. In a module of its own: its bombusd sees what the runtime runs."""
import glob
import os
import shutil
import subprocess
import time

import pytest

from test_process_context import own_namespaces


IMAGE = "localhost/bombus-it-busybox:latest"
PODMAN_RUN = ["run", "--rm", "--network=none", "--pull=never",
              # the machine's own limits: Podman's defaults exceed its hard limits
              "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


@pytest.fixture(scope="module")
def podman(tmp_path_factory):
    """Podman with an image built here from the static busybox (no registry
    is reachable): the OCI runtime that works, crun as Debian has it, else
    runc. Skips, saying why, when neither can run a container here."""
    podman, busybox = shutil.which("podman"), shutil.which("busybox")
    if not podman or not busybox:
        pytest.skip("podman or busybox is not installed (tools/install-deps installs them)")
    # Storage of its own, in a temporary directory: nothing left behind, and
    # it runs where /var/lib is read-only (the VM lane's guests).
    store = tmp_path_factory.mktemp("podman")
    podman = [podman, "--root", str(store / "root"), "--runroot", str(store / "run"), "--tmpdir",
              str(store / "tmp"), "--storage-driver=vfs", "--cgroup-manager=cgroupfs", "--events-backend=none"]
    os.environ["TMPDIR"] = str(store)  # podman import's copy of the archive
    # Its cgroupfs manager leaves /libpod_parent in each hierarchy: removed
    # after, where the test made it.
    parents = [p for p in glob.glob("/sys/fs/cgroup/*/") + ["/sys/fs/cgroup/"]
               if not os.path.exists(p + "libpod_parent")]
    rootfs = tmp_path_factory.mktemp("rootfs")
    (rootfs / "bin").mkdir()
    shutil.copy(busybox, rootfs / "bin" / "busybox")
    for name in ("sh", "true", "sleep"):
        (rootfs / "bin" / name).symlink_to("busybox")
    tar = subprocess.run(["tar", "-C", str(rootfs), "-c", "."], check=True, capture_output=True).stdout
    made = subprocess.run([*podman, "import", "-", IMAGE], input=tar, capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"podman cannot store an image here: {made.stderr.decode().strip()}")
    reasons = []
    try:
        for runtime in ("crun", "runc"):
            if not shutil.which(runtime):
                reasons.append(f"{runtime}: not installed")
                continue
            tried = subprocess.run([*podman, "--runtime", runtime, *PODMAN_RUN, IMAGE, "/bin/true"],
                                   capture_output=True, text=True, timeout=120)
            if tried.returncode == 0:
                yield [*podman, "--runtime", runtime]
                return
            reasons.append(f"{runtime}: {tried.stderr.strip()}")
        pytest.skip("no OCI runtime runs a container here: " + "; ".join(reasons))
    finally:
        subprocess.run([*podman, "rmi", "-f", IMAGE], capture_output=True)
        # vfs layers and containers' files, some read-only
        subprocess.run([*podman, "system", "reset", "--force"], capture_output=True)
        del os.environ["TMPDIR"]
        shutil.rmtree(store, ignore_errors=True)
        for parent in parents:
            # conmon's cgroup below it too, deepest first
            for directory, _, _ in sorted(os.walk(parent + "libpod_parent"), reverse=True):
                os.rmdir(directory)


def test_podman_container(start_bombusd, podman, tmp_path):
    bombusd = start_bombusd()
    mark = f"in-container-{os.getpid()}-{time.monotonic_ns()}"
    cidfile = tmp_path / "cid"
    since = bombusd.mark()
    run = subprocess.run([*podman, *PODMAN_RUN, "--cidfile", str(cidfile), IMAGE,
                          "/bin/sh", "-c", f"/bin/true {mark}; /bin/true {mark}"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    cid = cidfile.read_text().strip()
    bombusd.sync()
    shell = bombusd.wait_event("ProcessExec", since=since, args=f"-c /bin/true {mark}; /bin/true {mark}")
    true = bombusd.wait_event("ProcessExec", since=since, args=mark)
    ours = own_namespaces()
    for exec_ in (shell, true):
        process = exec_["process"]
        assert process["container_id"] == cid, process
        assert cid in process["cgroup"], process
        assert process["in_init_pid_ns"] is False, process
        for ns in ("pid", "mnt", "net", "uts", "ipc"):
            assert process["namespaces"][ns] != ours[ns], (ns, process)
        assert process["binary_path"].endswith("/bin/busybox")
    # the container's first process is its pid 1; what it runs is a child
    assert shell["process"]["vpid"] == 1
    assert true["process"]["vpid"] > 1 and true["process"]["parent_exec_id"] == shell["process"]["exec_id"]
    assert true["parent"]["container_id"] == cid
    # every event of the container's processes carries its id
    pids = {shell["process"]["pid"], true["process"]["pid"]}
    for e in bombusd.events[since:]:
        if e["process"]["pid"] in pids and e["type"] != "ProcessClone":
            assert e["process"].get("container_id") == cid, e
    # runc re-executes itself from a bind mount of its binary that it has
    # detached: named within its filesystem, marked (docs/events.md)
    runtime = os.path.basename(podman[-1])
    if runtime == "runc":
        assert any(e["process"]["binary_path"].startswith("(unreachable)/") and
                   e["process"]["filename"] == "runc" for e in bombusd.events[since:]), "no runc re-exec seen"
    bombusd.stop()
