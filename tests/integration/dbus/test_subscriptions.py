"""Subscribe's options, Unsubscribe, limits, and what happens when a client
leaves."""
import time

import pytest
from gi.repository import Gio, GLib

import stack

INVALID = "org.bombus.Monitor1.Error.InvalidArgument"
CATEGORY_BITS = {"process": 1, "privilege": 2, "io_uring": 4}


def call(conn, method, args, signature):
    return conn.call_sync(stack.BUS_NAME, stack.OBJECT_PATH, stack.INTERFACE, method, args,
                          GLib.VariantType(signature), Gio.DBusCallFlags.NONE, 30000, None)


def subscribe(conn, **options):
    return call(conn, "Subscribe", GLib.Variant("(a{sv})", (options,)), "(o)")[0]


def error_of(fn):
    with pytest.raises(GLib.Error) as info:
        fn()
    name = Gio.DBusError.get_remote_error(info.value)
    Gio.DBusError.strip_remote_error(info.value)
    return name, info.value.message


@pytest.fixture
def conn(service):
    c = service.connect()
    yield c
    if not c.is_closed():
        c.close_sync(None)


@pytest.mark.parametrize("options, says", [
    ({"categories": GLib.Variant("as", ["process", "bogus"])}, "unknown category 'bogus'"),
    ({"categories": GLib.Variant("s", "process")}, "option 'categories' must be of type 'as', not 's'"),
    ({"categories": GLib.Variant("as", ["process"]), "uids": GLib.Variant("as", ["0"])},
     "option 'uids' must be of type 'au', not 'as'"),
    ({"categories": GLib.Variant("as", ["process"]), "batch": GLib.Variant("s", "yes")},
     "option 'batch' must be of type 'b', not 's'"),
    ({"categories": GLib.Variant("as", ["process"]), "colour": GLib.Variant("b", True)}, "unknown option 'colour'"),
    ({"types": GLib.Variant("as", ["ProcessExplode"])}, "unknown event type 'ProcessExplode'"),
    ({}, "no category given"),
    ({"batch": GLib.Variant("b", True)}, "no category given"),
    ({"categories": GLib.Variant("as", ["process"]), "types": GLib.Variant("as", ["IOUringEvent"])},
     "names types of categories (io_uring) that option 'categories' leaves out"),
    ({"categories": GLib.Variant("as", ["process"]), "binary_path_prefixes": GLib.Variant("as", ["usr/bin"])},
     "'usr/bin' in option 'binary_path_prefixes' is not an absolute path"),
    ({"categories": GLib.Variant("as", ["process"]), "uids": GLib.Variant("au", list(range(257)))},
     "option 'uids' lists more than 256 uids"),
])
def test_bad_options_are_invalid_arguments(service, conn, options, says):
    name, message = error_of(lambda: subscribe(conn, **options))
    assert name == INVALID
    assert says in message


def test_option_given_twice_is_invalid(service):
    # GVariant dictionaries cannot hold a key twice: busctl can.
    r = service.stack.busctl("call", stack.BUS_NAME, stack.OBJECT_PATH, stack.INTERFACE, "Subscribe", "a{sv}", "2",
                             "categories", "as", "1", "process", "categories", "as", "1", "privilege", check=False)
    assert r.returncode != 0
    assert "option 'categories' is given twice" in r.stderr


def test_types_alone_name_the_categories(service, conn):
    path = subscribe(conn, types=GLib.Variant("as", ["ProcessExit"]))
    entry = next(s for s in service.status()["subscriptions"] if s.get("path") == path)
    assert entry["categories"] == ["process"] and entry["types"] == ["ProcessExit"]


def test_unsubscribe(service, conn):
    path = subscribe(conn, categories=GLib.Variant("as", ["io_uring"]))
    assert path in [s.get("path") for s in service.status()["subscriptions"]]
    call(conn, "Unsubscribe", GLib.Variant("(o)", (path,)), "()")
    assert path not in [s.get("path") for s in service.status()["subscriptions"]]
    name, message = error_of(lambda: call(conn, "Unsubscribe", GLib.Variant("(o)", (path,)), "()"))
    assert name == "org.bombus.Monitor1.Error.NoSuchSubscription"
    assert path in message


def test_cannot_unsubscribe_another_client(service, conn):
    other = service.connect()
    try:
        path = subscribe(other, categories=GLib.Variant("as", ["process"]), binary_path_prefixes=GLib.Variant(
            "as", ["/nonexistent"]))
        name, _ = error_of(lambda: call(conn, "Unsubscribe", GLib.Variant("(o)", (path,)), "()"))
        assert name == "org.bombus.Monitor1.Error.NoSuchSubscription"
        assert path in [s.get("path") for s in service.status()["subscriptions"]]
    finally:
        other.close_sync(None)


def wait_gone(service, path, timeout=10):
    deadline = time.monotonic() + timeout
    while path in [s.get("path") for s in service.status()["subscriptions"]]:
        assert time.monotonic() < deadline, f"{path} still there {timeout}s after its client left"
        time.sleep(0.1)


def test_too_many_subscriptions_per_client(service, conn):
    paths = [subscribe(conn, categories=GLib.Variant("as", ["io_uring"])) for _ in range(4)]
    name, message = error_of(lambda: subscribe(conn, categories=GLib.Variant("as", ["io_uring"])))
    assert name == "org.bombus.Monitor1.Error.TooManySubscriptions"
    assert "4 subscriptions" in message
    call(conn, "Unsubscribe", GLib.Variant("(o)", (paths[0],)), "()")
    paths[0] = subscribe(conn, categories=GLib.Variant("as", ["io_uring"]))
    conn.close_sync(None)
    for path in paths:
        wait_gone(service, path)


def test_client_that_leaves_is_cleaned_up(service):
    # Nothing else wants io_uring: the BPF programs are told when it comes
    # and goes.
    assert "io_uring" not in service.status()["wanted_categories"]
    assert not service.wanted_map() & CATEGORY_BITS["io_uring"]
    sub = service.subscriber("--category=io_uring", "--category=process", "--prefix=/nonexistent")
    status = service.status()
    assert sub.path in [s.get("path") for s in status["subscriptions"]]
    assert "io_uring" in status["wanted_categories"]
    assert service.wanted_map() & CATEGORY_BITS["io_uring"]
    sub.proc.kill()
    sub.proc.wait()
    wait_gone(service, sub.path)
    assert "io_uring" not in service.status()["wanted_categories"]
    assert not service.wanted_map() & CATEGORY_BITS["io_uring"]
    # The journal still wants process: ProcMon's lifecycle records flow anyway.
    assert service.wanted_map() & CATEGORY_BITS["process"]


def test_filters(service, markers):
    exits = service.subscriber("--type=ProcessExit", f"--prefix={markers.prefix}")
    out_user = service.subscriber("--category=process", f"--prefix={markers.prefix}",
                                  f"--uid={_uid(stack.USER_OUT)}")
    prefix_without_slash = service.subscriber("--category=process", f"--prefix={markers.prefix}x")
    root_pid = markers.run("as-root")
    user_pid = markers.run("as-user", user=stack.USER_OUT)
    exits.wait_event("ProcessExit", user_pid)
    exits.wait_event("ProcessExit", root_pid)
    assert {t for t, _ in exits.events()} == {"ProcessExit"}
    event = out_user.wait_event("ProcessExec", user_pid)
    assert event["process"]["uid"] == _uid(stack.USER_OUT)
    out_user.wait_event("ProcessExit", user_pid)
    assert all(e["process"]["uid"] == _uid(stack.USER_OUT) for _, e in out_user.events())
    # "/tmp/bombus-marker-XYZx" is not a parent of "/tmp/bombus-marker-XYZ/marker".
    assert not prefix_without_slash.events()


def test_batch(service, markers):
    sub = service.subscriber("--category=process", f"--prefix={markers.prefix}", "--batch")
    pids = [markers.run(str(i)) for i in range(20)]
    for pid in pids:
        sub.wait_event("ProcessExit", pid)
    batches = [l for l in sub.lines if l.get("signal") == "Events"]
    assert batches and not [l for l in sub.lines if l.get("signal") == "Event"]
    assert all(1 <= len(b["events"]) <= 256 for b in batches)
    # Counted per event, not per signal.
    entry = next(s for s in service.status()["subscriptions"] if s.get("path") == sub.path)
    assert entry["delivered"] == len(sub.events()) + entry["backlog_events"]


def _uid(user):
    import pwd
    return pwd.getpwnam(user).pw_uid
