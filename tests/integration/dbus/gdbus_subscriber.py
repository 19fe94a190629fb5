#!/usr/bin/python3
"""A bombus subscriber written the way a desktop application would: GDBus
from python3-gi, a GLib main loop, a signal subscription.

Prints JSON lines on stdout: {"subscription": PATH} once subscribed, then
{"signal": "Event", "type": T, "json": J} per event ("Events" batches are
printed as one line each with "events": [[T, J], ...]) and
{"signal": "Dropped", "count": N}. A failed Subscribe prints
{"error": NAME, "message": TEXT} and exits with 3.

With --stop-after-subscribe it stops itself (SIGSTOP) right after
subscribing: a subscriber that never reads, until SIGCONT.
"""
import argparse
import json
import os
import signal
import sys

from gi.repository import Gio, GLib

BUS_NAME = "org.bombus.Monitor1"
PATH = "/org/bombus/Monitor1"
INTERFACE = "org.bombus.Monitor1"


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--category", action="append", default=[])
    parser.add_argument("--type", action="append", default=[])
    parser.add_argument("--uid", action="append", type=int, default=[])
    parser.add_argument("--prefix", action="append", default=[])
    parser.add_argument("--opcode", action="append", default=[])
    parser.add_argument("--batch", action="store_true")
    parser.add_argument("--unit", action="append", default=[])
    parser.add_argument("--container", action="append", default=[])
    parser.add_argument("--containers", action="store_true")
    parser.add_argument("--cgroup-id", action="append", type=int, default=[])
    parser.add_argument("--stop-after-subscribe", action="store_true")
    parser.add_argument("--interactive", action="store_true", help="allow interactive authorization")
    args = parser.parse_args()

    options = {}
    # The lists: (argument, option, D-Bus type)
    for arg, key, signature in (("category", "categories", "as"), ("type", "types", "as"), ("uid", "uids", "au"),
                                ("prefix", "binary_path_prefixes", "as"), ("opcode", "io_uring_opcodes", "as"),
                                ("unit", "units", "as"), ("container", "containers", "as"),
                                ("cgroup_id", "cgroup_ids", "at")):
        if getattr(args, arg):
            options[key] = GLib.Variant(signature, getattr(args, arg))
    if args.batch:
        options["batch"] = GLib.Variant("b", True)
    if args.containers and not args.container:
        options["containers"] = GLib.Variant("b", True)

    bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    state = {"path": None, "daemon": None}

    def on_signal(connection, sender, path, interface, member, parameters):
        # Signals are sent to us only; still, only bombusd's count.
        if sender != state["daemon"] or parameters[0] != state["path"]:
            return
        if member == "Event":
            emit({"signal": "Event", "type": parameters[1], "json": parameters[2]})
        elif member == "Events":
            emit({"signal": "Events", "events": [list(e) for e in parameters[1]]})
        elif member == "Dropped":
            emit({"signal": "Dropped", "count": parameters[1]})

    bus.signal_subscribe(None, INTERFACE, None, PATH, None, Gio.DBusSignalFlags.NONE, on_signal)
    try:
        state["daemon"] = bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                        "GetNameOwner", GLib.Variant("(s)", (BUS_NAME,)),
                                        GLib.VariantType("(s)"), Gio.DBusCallFlags.NONE, -1, None)[0]
        flags = Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION if args.interactive else Gio.DBusCallFlags.NONE
        reply = bus.call_sync(BUS_NAME, PATH, INTERFACE, "Subscribe", GLib.Variant("(a{sv})", (options,)),
                              GLib.VariantType("(o)"), flags, -1, None)
    except GLib.Error as e:
        name = Gio.DBusError.get_remote_error(e)
        Gio.DBusError.strip_remote_error(e)
        emit({"error": name, "message": e.message})
        return 3
    state["path"] = reply[0]
    emit({"subscription": state["path"]})
    if args.stop_after_subscribe:
        os.kill(os.getpid(), signal.SIGSTOP)
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
