"""The D-Bus fuzzer (tests/fuzz/dbus-fuzz, issue 14) against the bombusd
under test ($BOMBUSD), on a private bus with polkitd: random and malformed
calls to every method and property from root, from bombus-test-out (whom
polkit refuses everything) and from bombus-test-in (granted process
subscriptions and the status), including Subscribe messages of the largest
size the bus takes, raw messages the bus must refuse and callers that close
their connection before the answer; meanwhile root's GetStatus is timed
every 50 ms on a connection of its own.

It fails if a GetStatus takes more than 100 ms or fails, if bombusd exits
or prints a sanitizer report, if a call is never answered, if a refused
caller's call succeeds, if a connection removes another's subscription, if
bombusd keeps subscriptions or pending authorizations of the closed fuzz
connections; then bombusd must stop cleanly (Service.stop: no sanitizer
report, LeakSanitizer's at exit included, counters logged, BPF programs
gone).

BOMBUS_DBUS_FUZZ_CALLS (default 20,000) calls are sent at
BOMBUS_DBUS_FUZZ_RATE calls/s (default 200: about 100 s, under 2 minutes
with the AddressSanitizer build too, on 2 cores); the seed is new each run
and printed, BOMBUS_DBUS_FUZZ_SEED replays one. For a longer run:
bench/dbus-fuzz.

The AddressSanitizer build holds GetStatus to 100 ms too, except a GetStatus
sent while a message of the largest size (3.2 MB) is on its way to bombusd:
there the bound is dbus_fuzz.ASAN_LARGEST_MESSAGE_BOUND_MS (why: there).
The fuzzer prints those calls apart ("sent while a largest-size message was
in flight").
"""
import os

import pytest

import dbus_fuzz
from conftest import Service

from dbus_fuzz import ASAN_LARGEST_MESSAGE_BOUND_MS, BOUND_MS, is_asan_build

CALLS = int(os.environ.get("BOMBUS_DBUS_FUZZ_CALLS", "20000"))
RATE = float(os.environ.get("BOMBUS_DBUS_FUZZ_RATE", str(dbus_fuzz.RATE)))
SEED = os.environ.get("BOMBUS_DBUS_FUZZ_SEED")


@pytest.fixture
def fuzz_service():
    svc = Service(config="[Journal]\nCategories=\n").start()
    yield svc
    svc.stop()


@pytest.mark.load
def test_dbus_fuzz(fuzz_service):
    assert dbus_fuzz.fuzzer_binary().exists(), f"{dbus_fuzz.fuzzer_binary()} is not built"
    extra = [f"--rate={RATE}"] + dbus_fuzz.latency_args()
    if is_asan_build():
        print(f"AddressSanitizer build: GetStatus behind a largest-size message is held to "
              f"{ASAN_LARGEST_MESSAGE_BOUND_MS} ms, every other one to {BOUND_MS} ms")
    proc = dbus_fuzz.run(fuzz_service, calls=CALLS, seed=SEED, extra=extra,
                         timeout=CALLS / RATE * 2 + 180 if RATE else None)
    figures = dbus_fuzz.figures(proc.stdout)
    print(proc.stdout)
    print(proc.stderr[-8000:])
    print(f"figures: {figures}")
    if is_asan_build():
        print(f"AddressSanitizer build: GetStatus not behind a largest-size message: max "
              f"{figures.get('others_max_ms')} ms (bound {BOUND_MS} ms)")
    assert proc.returncode == 0, (f"dbus-fuzz failed (replay with BOMBUS_DBUS_FUZZ_SEED={figures.get('seed')}):\n"
                                  + proc.stdout[proc.stdout.rfind("dbus-fuzz: FAILED"):])
    assert figures["calls"] >= CALLS
    assert figures["max_ms"] <= (ASAN_LARGEST_MESSAGE_BOUND_MS if is_asan_build() else BOUND_MS)
