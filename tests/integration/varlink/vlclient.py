#!/usr/bin/python3
"""A Varlink client written from the protocol (varlink.org), not from
bombus's code: a Unix stream socket, one JSON object per message, each
followed by a NUL byte.

As a module: Connection. As a program (run as other users by the tests):
    vlclient.py SOCKET METHOD [PARAMETERS_JSON] [--more] [--oneway] [--count N]
prints each reply as one JSON line, flushed, until the last reply (or N),
then exits 0; a connection the server closes exits 3.
"""
import json
import socket
import sys


class Closed(Exception):
    """The server closed the connection."""


class Connection:
    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data: bytes):
        self.sock.sendall(data)

    def send(self, method, parameters=None, more=False, oneway=False):
        msg = {"method": method}
        if parameters is not None:
            msg["parameters"] = parameters
        if more:
            msg["more"] = True
        if oneway:
            msg["oneway"] = True
        self.send_raw(json.dumps(msg).encode() + b"\0")

    def receive(self):
        """The next message as a dict; Closed when the server hung up."""
        while b"\0" not in self.buf:
            data = self.sock.recv(1 << 20)
            if not data:
                raise Closed(f"connection closed ({len(self.buf)} bytes unterminated)")
            self.buf += data
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, parameters=None):
        """One call and its one reply."""
        self.send(method, parameters)
        return self.receive()

    def stream(self, method, parameters=None):
        """Replies to a call with more: true, until one without continues."""
        self.send(method, parameters, more=True)
        while True:
            reply = self.receive()
            yield reply
            if not reply.get("continues"):
                return


def main(argv):
    path, method = argv[1], argv[2]
    rest = argv[3:]
    params = None
    more = "--more" in rest
    oneway = "--oneway" in rest
    count = None
    if "--count" in rest:
        count = int(rest[rest.index("--count") + 1])
    positional = [a for i, a in enumerate(rest) if not a.startswith("--") and (i == 0 or rest[i - 1] != "--count")]
    if positional:
        params = json.loads(positional[0])
    try:
        conn = Connection(path, timeout=None)
    except OSError as e:
        print(json.dumps({"connect_error": e.strerror}), flush=True)
        return 4
    conn.send(method, params, more=more, oneway=oneway)
    if oneway:
        return 0
    n = 0
    try:
        while True:
            reply = conn.receive()
            print(json.dumps(reply), flush=True)
            n += 1
            if not reply.get("continues") or (count is not None and n >= count):
                return 0
    except Closed:
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
