"""io.bombus.Monitor over Varlink, as a client written from the protocol
sees it: introspection, the standard errors, Subscribe's events and
filters, GetStatus, GetProcess, and input that must be refused without
harm to anyone else."""
import json
import os
import subprocess
import time
from pathlib import Path

import idl
import pytest
import stack
from vlclient import Closed

IFACE = "io.bombus.Monitor"
ROOT = Path(__file__).resolve().parents[3]


def error_of(reply):
    return reply.get("error"), reply.get("parameters", {})


def test_get_info_lists_both_interfaces(service):
    with service.connect() as c:
        reply = c.call("org.varlink.service.GetInfo")
    info = reply["parameters"]
    assert info["product"] == "bombusd" and info["vendor"]
    assert info["version"] == service.status()["version"]
    assert set(info["interfaces"]) == {"org.varlink.service", IFACE}


def test_interface_description_parses_and_matches_the_file(service):
    with service.connect() as c:
        reply = c.call("org.varlink.service.GetInterfaceDescription", {"interface": IFACE})
        service_reply = c.call("org.varlink.service.GetInterfaceDescription", {"interface": "org.varlink.service"})
    text = reply["parameters"]["description"]
    parsed = idl.parse(text)
    assert parsed["interface"] == IFACE
    assert set(parsed["methods"]) == {"Subscribe", "GetStatus", "GetProcess"}
    assert set(parsed["errors"]) == {"NotAuthorized", "InvalidArgument", "TooManySubscriptions", "NoSuchProcess"}
    assert text == (ROOT / "varlink" / "io.bombus.Monitor.varlink").read_text()
    std = idl.parse(service_reply["parameters"]["description"])
    assert set(std["methods"]) == {"GetInfo", "GetInterfaceDescription"}
    assert {"InterfaceNotFound", "MethodNotFound", "MethodNotImplemented", "InvalidParameter"} <= set(std["errors"])


@pytest.mark.parametrize("method,params,error,error_params", [
    ("org.varlink.service.GetInterfaceDescription", {"interface": "com.example.Nothing"},
     "org.varlink.service.InterfaceNotFound", {"interface": "com.example.Nothing"}),
    ("org.varlink.service.GetInterfaceDescription", {}, "org.varlink.service.InvalidParameter",
     {"parameter": "interface"}),
    ("com.example.Nothing.Do", {}, "org.varlink.service.InterfaceNotFound", {"interface": "com.example.Nothing"}),
    (f"{IFACE}.Frobnicate", {}, "org.varlink.service.MethodNotFound", {"method": f"{IFACE}.Frobnicate"}),
    (f"{IFACE}.GetProcess", {}, "org.varlink.service.InvalidParameter", {"parameter": "pid"}),
    (f"{IFACE}.GetProcess", {"pid": "1"}, "org.varlink.service.InvalidParameter", {"parameter": "pid"}),
    (f"{IFACE}.GetProcess", {"pid": 1, "color": 2}, "org.varlink.service.InvalidParameter", {"parameter": "color"}),
    (f"{IFACE}.GetStatus", {"verbose": True}, "org.varlink.service.InvalidParameter", {"parameter": "verbose"}),
])
def test_standard_errors(service, method, params, error, error_params):
    with service.connect() as c:
        reply = c.call(method, params)
        assert error_of(reply) == (error, error_params)
        # The connection goes on.
        assert "version" in c.call(f"{IFACE}.GetStatus")["parameters"]["status"]


def test_subscribe_without_more_is_expected_more(service):
    with service.connect() as c:
        reply = c.call(f"{IFACE}.Subscribe", {"categories": ["process"]})
        assert error_of(reply)[0] == "org.varlink.service.ExpectedMore"


@pytest.mark.parametrize("params,parameter,words", [
    ({"categories": ["disk"]}, "categories", "unknown category 'disk'"),
    ({"categories": ["process"], "binary_path_prefixes": ["usr"]}, "binary_path_prefixes", "not an absolute path"),
    ({"categories": ["process"], "uids": list(range(257))}, "uids", "more than 256 uids"),
    ({"categories": ["process"], "uids": [2 ** 32]}, "uids", "no uid"),
    ({"types": ["ProcessExec"], "categories": ["io_uring"]}, "types", "leaves out"),
    ({}, "categories", "no category given"),
])
def test_invalid_arguments_are_named(service, params, parameter, words):
    with service.connect() as c:
        c.send(f"{IFACE}.Subscribe", params, more=True)
        reply = c.receive()
    name, p = error_of(reply)
    assert name == f"{IFACE}.InvalidArgument", reply
    assert p["parameter"] == parameter and words in p["message"], reply


@pytest.mark.parametrize("params,parameter", [
    ({"categories": "process"}, "categories"),
    ({"categories": ["process"], "uids": ["0"]}, "uids"),
    ({"categories": ["process"], "batch": 1}, "batch"),
    ({"categories": ["process"], "colour": "red"}, "colour"),
    ({"categories": [None]}, "categories"),
])
def test_wrong_types_and_unknown_parameters(service, params, parameter):
    with service.connect() as c:
        c.send(f"{IFACE}.Subscribe", params, more=True)
        assert error_of(c.receive()) == ("org.varlink.service.InvalidParameter", {"parameter": parameter})


@pytest.mark.parametrize("raw", [
    b"{not json}\0",
    b"[1,2,3]\0",
    b'{"parameters":{}}\0',
    b'{"method":42}\0',
    b'{"method":"nodots"}\0',
    b'{"method":"io.bombus.Monitor.GetStatus","more":"yes"}\0',
    b'{"method":"io.bombus.Monitor.GetStatus","parameters":[]}\0',
    b"\xff\xfe\0",
])
def test_malformed_messages_get_an_error_and_harm_nobody(service, raw):
    before = service.status()["varlink"]
    with service.connect() as c:
        c.send_raw(raw)
        try:
            reply = c.receive()
            assert "error" in reply, reply
        except Closed:
            pass  # unparseable: the server may hang up after its error
    # Everyone else is served as before.
    assert "version" in service.status()
    assert service.status()["varlink"]["malformed_messages"] > before["malformed_messages"]


def test_oversized_message_is_cut_off(service):
    limit = service.status()["varlink"]["max_message_bytes"]
    with service.connect() as c:
        chunk = b"x" * 65536
        sent = 0
        try:
            while sent <= limit + len(chunk):
                c.send_raw(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        with pytest.raises((Closed, ConnectionResetError)):
            while True:
                reply = c.receive()
                assert "error" in reply
    assert "version" in service.status()


def test_oneway_call_gets_no_reply(service):
    with service.connect() as c:
        c.send(f"{IFACE}.GetStatus", oneway=True)
        reply = c.call("org.varlink.service.GetInfo")
        assert "vendor" in reply["parameters"], reply


def test_pipelined_calls_are_answered_in_order(service):
    with service.connect() as c:
        c.send_raw(b"".join(json.dumps({"method": m}).encode() + b"\0" for m in
                            ["org.varlink.service.GetInfo", f"{IFACE}.GetStatus", "org.varlink.service.GetInfo"]))
        replies = [c.receive() for _ in range(3)]
    assert "vendor" in replies[0]["parameters"]
    assert "status" in replies[1]["parameters"]
    assert "vendor" in replies[2]["parameters"]


def test_subscribe_receives_exact_events(service, markers):
    stream = service.stream({"categories": ["process"], "binary_path_prefixes": [markers.prefix]})
    stream.wait_subscribed()
    pid = markers.run("one", "two")
    event = stream.wait_event("ProcessExec", pid)
    assert event["process"]["binary_path"] == str(markers.binary)
    assert event["process"]["args"] == "one two"
    assert event["process"]["uid"] == 0
    stream.wait_event("ProcessExit", pid)
    # Events are JSON objects, exactly as --stdout and D-Bus carry them: the
    # contract's key order, type first.
    assert list(event)[:3] == ["type", "process", "parent"]
    # Only what the filter lets through.
    assert all(e["process"]["binary_path"].startswith(markers.prefix) for e in stream.events()
               if e["type"] != "ProcessClone")


def test_filters_types_uids_and_batch(service, markers):
    exits = service.stream({"types": ["ProcessExit"], "binary_path_prefixes": [markers.prefix], "batch": True})
    nobody = service.stream({"categories": ["process"], "uids": [4242], "binary_path_prefixes": [markers.prefix]})
    exits.wait_subscribed()
    nobody.wait_subscribed()
    pids = [markers.run() for _ in range(3)]
    for pid in pids:
        exits.wait_event("ProcessExit", pid)
    assert {e["type"] for e in exits.events()} == {"ProcessExit"}
    batches = [r["parameters"]["events"] for r in exits.replies if "events" in r.get("parameters", {})]
    assert batches and all(isinstance(b, list) for b in batches)
    time.sleep(0.3)
    assert nobody.events() == []


def test_status_shows_subscriptions_and_cleans_up_on_disconnect(service):
    before = service.status()["subscribers"]
    with service.connect() as c:
        c.send(f"{IFACE}.Subscribe", {"categories": ["process"]}, more=True)
        assert c.receive()["parameters"] == {"subscribed": True}
        status = service.status()
        assert status["subscribers"] == before + 1
        mine = [s for s in status["subscriptions"] if s["api"] == "varlink"]
        assert mine and mine[0]["categories"] == ["process"]
    stack.wait_until(lambda: service.status()["subscribers"] == before, 10, "subscription removed")


def test_get_process(service):
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        def known():
            with service.connect() as c:
                return c.call(f"{IFACE}.GetProcess", {"pid": sleeper.pid})
        reply = stack.wait_until(lambda: "error" not in known() and known(), 10, "process known")
        process = reply["parameters"]["process"]
        assert process["pid"] == sleeper.pid and process["binary_path"].endswith("/sleep")
    finally:
        sleeper.kill()
        sleeper.wait()
    with service.connect() as c:
        reply = c.call(f"{IFACE}.GetProcess", {"pid": 2 ** 31 - 2})
    assert error_of(reply) == (f"{IFACE}.NoSuchProcess", {"pid": 2 ** 31 - 2})


def test_connections_per_uid_are_bounded(service):
    limit = service.status()["varlink"]["max_connections_per_uid"]
    script = ("import socket,sys,time,json\n"
              "socks=[]\n"
              f"for i in range({limit} + 2):\n"
              "    s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); socks.append(s)\n"
              "ok=0\n"
              "for s in socks:\n"
              "    s.settimeout(10)\n"
              "    try:\n"
              "        s.sendall(b'{\"method\":\"org.varlink.service.GetInfo\"}\\0'); d=s.recv(65536)\n"
              "        ok += bool(d and b'vendor' in d)\n"
              "    except OSError: pass\n"
              "print(ok)\n")
    r = subprocess.run(stack.as_user(stack.USER_OUT) + ["/usr/bin/python3", "-c", script, service.socket],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) == limit
    # Root is not counted against the others' limit, and they are gone.
    assert "version" in service.status()
