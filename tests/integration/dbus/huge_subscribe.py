#!/usr/bin/python3
"""Sends Subscribe with the costliest options the bus takes, as an attacker
would: binary_path_prefixes listing N paths (400,000 by default, a 3.2 MB
message). Prints {"error": NAME, "message": TEXT, "seconds": S} or
{"subscription": PATH, "seconds": S} once answered."""
import argparse
import json
import time

from gi.repository import Gio, GLib


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=400000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    options = {"categories": GLib.Variant("as", ["process"]),
               "binary_path_prefixes": GLib.Variant("as", ["/a"] * args.count)}
    body = GLib.Variant("(a{sv})", (options,))
    for _ in range(args.repeat):
        start = time.monotonic()
        try:
            reply = bus.call_sync("org.bombus.Monitor1", "/org/bombus/Monitor1", "org.bombus.Monitor1",
                                  "Subscribe", body, GLib.VariantType("(o)"), Gio.DBusCallFlags.NONE, 120000,
                                  None)
            out = {"subscription": reply[0]}
        except GLib.Error as e:
            name = Gio.DBusError.get_remote_error(e)
            prefix = f"GDBus.Error:{name}: "
            out = {"error": name, "message": e.message[len(prefix):] if e.message.startswith(prefix) else e.message}
        out["seconds"] = time.monotonic() - start
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
