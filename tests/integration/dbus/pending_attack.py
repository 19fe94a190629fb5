#!/usr/bin/python3
"""Keeps Subscribe calls waiting for polkit, as an unprivileged attacker
can: a polkit authentication agent of its own process that never answers
(polkit lets a user register one for a process of its own), and
--connections x --calls Subscribe calls that allow interactive
authorization, so that polkit asks that agent and waits.

Prints JSON lines: {"registered": true}; {"begin": N} each time polkit asks
the agent (N so far); {"cancel": N} each time polkit withdraws a request;
{"answer": ERROR_NAME or "ok"} per call answered. Reads commands on stdin:
"close" closes the calling connections (the agent's stays) and prints
{"closed": true}; end of input exits."""
import argparse
import json
import os
import sys

from gi.repository import Gio, GLib

AGENT_XML = """<node><interface name="org.freedesktop.PolicyKit1.AuthenticationAgent">
  <method name="BeginAuthentication"><arg type="s" direction="in"/><arg type="s" direction="in"/>
    <arg type="s" direction="in"/><arg type="a{ss}" direction="in"/><arg type="s" direction="in"/>
    <arg type="a(sa{sv})" direction="in"/></method>
  <method name="CancelAuthentication"><arg type="s" direction="in"/></method>
</interface></node>"""
AGENT_PATH = "/org/bombus/test/agent"


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def connect():
    address = Gio.dbus_address_get_for_bus_sync(Gio.BusType.SYSTEM, None)
    flags = Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
    return Gio.DBusConnection.new_for_address_sync(address, flags, None, None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=24)
    parser.add_argument("--calls", type=int, default=16)
    args = parser.parse_args()
    state = {"begin": 0, "cancel": 0}
    unanswered = []  # invocations kept: never answered

    def on_agent_call(conn, sender, path, iface, method, params, invocation):
        if method == "BeginAuthentication":
            state["begin"] += 1
            unanswered.append(invocation)
            emit({"begin": state["begin"]})
        else:
            state["cancel"] += 1
            invocation.return_value(None)
            emit({"cancel": state["cancel"]})

    agent = connect()
    agent.register_object(AGENT_PATH, Gio.DBusNodeInfo.new_for_xml(AGENT_XML).interfaces[0], on_agent_call,
                          None, None)
    start_time = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
    subject = ("unix-process", {"pid": GLib.Variant("u", os.getpid()),
                                "start-time": GLib.Variant("t", start_time),
                                "uid": GLib.Variant("i", os.getuid())})
    agent.call_sync("org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                    "org.freedesktop.PolicyKit1.Authority", "RegisterAuthenticationAgent",
                    GLib.Variant("((sa{sv})ss)", (subject, "C", AGENT_PATH)), None, Gio.DBusCallFlags.NONE, -1,
                    None)
    emit({"registered": True})

    def on_answer(conn, result):
        try:
            conn.call_finish(result)
            emit({"answer": "ok"})
        except GLib.Error as e:
            emit({"answer": Gio.DBusError.get_remote_error(e) or e.message})

    callers = [connect() for _ in range(args.connections)]
    options = GLib.Variant("(a{sv})", ({"categories": GLib.Variant("as", ["process"])},))
    for conn in callers:
        for _ in range(args.calls):
            conn.call("org.bombus.Monitor1", "/org/bombus/Monitor1", "org.bombus.Monitor1", "Subscribe", options,
                      GLib.VariantType("(o)"), Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION, 600000, None,
                      on_answer)

    loop = GLib.MainLoop()

    def on_stdin(channel, condition):
        line = channel.readline()
        if not line:
            loop.quit()
            return False
        if line.strip() == "close":
            for conn in callers:
                conn.close_sync(None)
            emit({"closed": True})
        return True

    GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()), GLib.IO_IN | GLib.IO_HUP, on_stdin)
    loop.run()


if __name__ == "__main__":
    main()
