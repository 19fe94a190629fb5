"""What an unprivileged local user can do to bombusd (issue 14): neither
blind it nor starve root. The attacker is bombus-test-out, whom polkit
refuses everything."""
import json
import subprocess
import threading
import time

import pytest

import stack
from bombus_service import PYTHON, HERE, Service
from dbus_fuzz import is_asan_build

EXEC_STORM = stack.BUILD / "bench" / "exec-storm"


def slowdown():
    """How much the time bounds are stretched for this bombusd: 40 for the
    AddressSanitizer build, whose realloc() always copies: sd-bus reallocs
    its read buffer (to the message's size) on each read of a partial
    message, so receiving 3.2 MB, relayed 512 KiB per iteration there
    (dbus/bus-input-relay.h), costs up to ~50 ms of loop CPU per chunk and
    ~0.5 s in all (0.3-0.7 s in one iteration before the relay)."""
    return 40 if is_asan_build() else 1


# The longest main-loop iteration, in CPU time, while huge Subscribes come
# (no exec storm). Release build: 4-13 ms in one iteration before the input
# relay (9-15 ms measured here); with it, an iteration moves at most 64 KiB
# (0.3-0.7 ms measured), and what else the longest since start holds, the
# start and bombusd's GetStatus (its BPF syscalls), took up to 1.8 ms on the
# 2-core CI VM: 3 ms tells the two apart.
# AddressSanitizer build: 418-514 ms (0.2-0.6 s) in one iteration before,
# 44 ms with the relay (two copies of the 3.2 MB read buffer per chunk, see
# slowdown()), 80 ms during an exec storm: bound 150 ms.
LONGEST_ITERATION_CPU_USEC = 3000
ASAN_LONGEST_ITERATION_CPU_USEC = 150000


def huge_subscribe(service, count=400000, repeat=1, user=stack.USER_OUT):
    """Runs huge_subscribe.py as @user; the Popen (answers on stdout)."""
    return subprocess.Popen(stack.as_user(user) + [PYTHON, str(HERE / "huge_subscribe.py"), f"--count={count}",
                                                   f"--repeat={repeat}"],
                            env=service.stack.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=stack.die_with_parent)


class StatusProbe:
    """Root's GetStatus, called every 50 ms from a thread on a connection of
    its own; records how long each took to be answered."""

    def __init__(self, service):
        from gi.repository import Gio, GLib
        self.Gio, self.GLib = Gio, GLib
        self.conn = service.connect()
        self.latencies = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def call(self):
        start = time.monotonic()
        reply = self.conn.call_sync(stack.BUS_NAME, stack.OBJECT_PATH, stack.INTERFACE, "GetStatus", None,
                                    self.GLib.VariantType("(a{sv})"), self.Gio.DBusCallFlags.NONE, 60000, None)
        return time.monotonic() - start, reply.unpack()[0]

    def _run(self):
        while not self.stopping.is_set():
            self.latencies.append(self.call()[0])
            time.sleep(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(120)


@pytest.fixture
def fresh_service():
    """A service of its own: its longest main-loop iteration is this test's."""
    svc = Service(config="[Journal]\nCategories=\n").start()
    yield svc
    svc.stop()


def test_huge_subscribe_is_refused_at_once(fresh_service):
    """The largest array the bus takes is refused at its 65th element, before
    polkit is asked, without holding the main loop for more than about a
    millisecond (it took 40 s, then 4-13 ms before the input relay)."""
    status = fresh_service.status()
    before, before_cpu = status["longest_loop_iteration_usec"], status["longest_loop_iteration_cpu_usec"]
    proc = huge_subscribe(fresh_service, repeat=3)
    out, err = proc.communicate(timeout=300)
    answers = [json.loads(l) for l in out.splitlines()]
    assert len(answers) == 3, err
    for answer in answers:
        assert answer["error"] == "org.bombus.Monitor1.Error.InvalidArgument", answer
        assert answer["message"] == "option 'binary_path_prefixes' lists more than 64 prefixes"
    status = fresh_service.status()
    longest, longest_cpu = status["longest_loop_iteration_usec"], status["longest_loop_iteration_cpu_usec"]
    print(f"longest main-loop iteration: {before} us before ({before_cpu} us of CPU), {longest} us after 3 huge "
          f"Subscribe calls ({longest_cpu} us of CPU); answers in {[round(a['seconds'], 3) for a in answers]} s")
    # It was 40 s. Reading the options costs ~0.1 ms
    # (tests/dbus/test-subscription-filter.c); receiving the 3.2 MB message
    # is spread over iterations by the input relay. CPU time, not wall
    # time: on a loaded machine an iteration's wall time includes being
    # kept off the CPU. The longest iteration since start: bombusd's start
    # and the GetStatus calls are in it, and stay under the bound.
    bound = ASAN_LONGEST_ITERATION_CPU_USEC if is_asan_build() else LONGEST_ITERATION_CPU_USEC
    assert longest_cpu < bound, longest_cpu


def test_huge_subscribe_during_exec_storm_costs_root_nothing(fresh_service, markers):
    """During an exec storm, the attack repeated: root's subscriber gets every
    exec and no Dropped, and root's GetStatus is answered at once."""
    n = 3000
    sub = fresh_service.subscriber("--type=ProcessExec", f"--prefix={markers.prefix}", "--batch")
    with StatusProbe(fresh_service) as probe:
        lost_before = probe.call()[1]["events_lost_kernel"]
        attacker = huge_subscribe(fresh_service, repeat=5)
        storm = subprocess.run([str(EXEC_STORM), str(n), str(markers.binary)], capture_output=True, text=True,
                               timeout=600)
        assert storm.returncode == 0, storm.stderr
        out, err = attacker.communicate(timeout=300)
    answers = [json.loads(l) for l in out.splitlines()]
    assert [a["error"] for a in answers] == ["org.bombus.Monitor1.Error.InvalidArgument"] * 5, (answers, err)
    deadline = time.monotonic() + 30
    while len(sub.events()) < n and time.monotonic() < deadline:
        time.sleep(0.2)
    status = fresh_service.status()
    print(f"storm of {n} execs in {storm.stdout.strip()} s; subscriber got {len(sub.events())}, dropped "
          f"{sub.dropped()}; kernel lost {status['events_lost_kernel'] - lost_before}; GetStatus "
          f"max {max(probe.latencies) * 1000:.1f} ms over {len(probe.latencies)} calls; longest iteration "
          f"{status['longest_loop_iteration_usec']} us ({status['longest_loop_iteration_cpu_usec']} us of CPU)")
    assert sub.dropped() == 0
    assert len(sub.events()) == n
    # bombusd's share: no iteration of its loop near 100 ms of work (it was
    # 40 s); in CPU time, which other programs on a loaded machine do not
    # stretch.
    assert status["longest_loop_iteration_cpu_usec"] < 100000 * slowdown()
    # End to end, through a dbus-daemon that validates and routes the 3.2 MB
    # messages on a 2-core machine running the storm: single calls were
    # seen at 109-112 ms while bombusd's longest iteration was 25 ms, so
    # the bound here is 250 ms for each call and 100 ms for 95% of them
    # (before: no answer within the 25 s timeout).
    latencies = sorted(probe.latencies)
    assert latencies[-1] < 0.25 * slowdown(), latencies[-5:]
    assert latencies[int(len(latencies) * 0.95)] < 0.1 * slowdown(), latencies[-20:]
