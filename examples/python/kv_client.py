#!/usr/bin/env python3
"""Client for the Rust `kv_store` example: typed messages over lenframe frames.

Every message is one frame, struct.pack('i', len(data)) + data, where data is
json.dumps(msg).encode() (the default) or, with --msgpack, msgpack.packb(msg)
(pip install msgpack). The server must use the same format.

Requests and responses (shown as JSON; the protocol is documented at the top of
examples/kv_store.rs):

    {"op": "set", "key": "k", "value": V}  ->  {"result": "stored", "replaced": false}
    {"op": "get", "key": "k"}              ->  {"result": "value", "value": V}
                                               or {"result": "missing"}
    {"op": "del", "key": "k"}              ->  {"result": "deleted", "existed": true}
    {"op": "list"}                         ->  {"result": "keys", "keys": ["k", ...]}
    a frame that is not a request          ->  {"result": "error", "frame": N,
                                                "message": "..."}  (and the connection
                                                goes on)

Usage:
    python3 kv_client.py [--addr HOST:PORT] [--msgpack] set KEY VALUE
    python3 kv_client.py [--addr HOST:PORT] [--msgpack] get KEY
    python3 kv_client.py [--addr HOST:PORT] [--msgpack] del KEY
    python3 kv_client.py [--addr HOST:PORT] [--msgpack] list
    python3 kv_client.py [--addr HOST:PORT] [--msgpack] check

VALUE is JSON text (`42`, `'{"a": [1, 2]}'`, `'"text"'`); anything that is not
JSON is sent as a string. One command prints the server's response as one line
of JSON (MessagePack bytes shown as {"bin": "<hex>"}).

`check` runs the interoperability checks the tests use: unicode keys and
values, nested maps, binary data (MessagePack `bin`), a 1 MiB value, and a
malformed frame and a request of the wrong shape in the middle, each of which
must get an error response naming its frame while the connection goes on.
It prints `ok: ...` per check and `all checks passed` at the end.

Defaults: --addr 127.0.0.1:8989, --timeout 30.
Exit status: 0 success; 1 a check failed or the server answered with an error;
2 usage error; 3 connection or protocol error.
"""

import argparse
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lenframe_messages import BadMessage, format_named  # noqa: E402
from lenframe_proto import FrameError, parse_addr, send_frame  # noqa: E402

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3


class CheckFailed(Exception):
    pass


def printable(obj):
    """One line of JSON for a response (bytes as {"bin": hex})."""
    return json.dumps(obj, ensure_ascii=False, default=lambda b: {"bin": b.hex()})


class Client:
    def __init__(self, sock, fmt):
        self.sock, self.fmt = sock, fmt
        self.frames_sent = 0

    def ask(self, request):
        self.fmt.send(self.sock, request)
        self.frames_sent += 1
        return self.reply()

    def ask_raw(self, payload):
        """Send a frame of raw bytes (not a message), return the reply."""
        send_frame(self.sock, self.fmt.lf, payload)
        self.frames_sent += 1
        return self.reply()

    def reply(self):
        response = self.fmt.recv(self.sock)
        if response is None:
            raise FrameError("the server closed the connection before answering")
        return response


def expect(what, got, expected):
    if got != expected:
        shown = printable(got)
        raise CheckFailed("%s: expected %s, got %s" % (what, printable(expected), shown[:300]))
    print("ok: %s" % what, flush=True)


def check(client, msgpack):
    """The interoperability checks (see the module docs)."""
    prefix = "check-%s-" % client.fmt.name
    unicode_key = prefix + "ключ-κλειδί-鍵-🔑"
    unicode_value = "héllo wörld — 世界 🦀 \u0000 \"quoted\" \\ \n"
    nested = {
        "name": "Zoë",
        "tags": ["a", "ü", ""],
        "deep": {"level": {"n": 3, "list": [1, -2.5, None, True, {"x": []}]}},
        "empty": {},
    }
    big = "€" * (1024 * 1024 // 3)  # about 1 MiB of UTF-8
    values = [(unicode_key, unicode_value), (prefix + "nested", nested), (prefix + "big", big)]
    if msgpack:
        values.append((prefix + "binary", bytes(range(256)) * 4))
        values.append((prefix + "big-binary", os.urandom(1024 * 1024)))

    for key, value in values:
        got = client.ask({"op": "set", "key": key, "value": value})
        expect("set %r" % key[:40], got.get("result"), "stored")

    # A malformed frame in the middle: its own error response, then business as usual.
    malformed = b"\xc1\xc1" if msgpack else b'{"op": "set", "key": '
    bad_frame = client.frames_sent
    got = client.ask_raw(malformed)
    expect("malformed frame gets an error", got.get("result"), "error")
    expect("the error names frame %d" % bad_frame, got.get("frame"), bad_frame)
    bad_frame = client.frames_sent
    got = client.ask({"op": "frobnicate", "key": 1})
    expect("a request of the wrong shape gets an error", got.get("result"), "error")
    expect("the error names frame %d" % bad_frame, got.get("frame"), bad_frame)

    for key, value in values:
        got = client.ask({"op": "get", "key": key})
        expect("get %r round-trips (%s)" % (key[:40], type(value).__name__), got,
               {"result": "value", "value": value})

    got = client.ask({"op": "list"})
    keys = [k for k in got.get("keys", []) if k.startswith(prefix)]
    expect("list", keys, sorted(k for k, _ in values))
    got = client.ask({"op": "del", "key": prefix + "big"})
    expect("del", got, {"result": "deleted", "existed": True})
    got = client.ask({"op": "get", "key": prefix + "big"})
    expect("get after del", got, {"result": "missing"})
    print("all checks passed (%d frames, %s)" % (client.frames_sent, client.fmt.name), flush=True)


def parse_value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Talk to the kv_store example server (typed messages over lenframe frames)."
    )
    parser.add_argument("--addr", default="127.0.0.1:8989", help="HOST:PORT (default %(default)s)")
    parser.add_argument("--msgpack", action="store_true", help="MessagePack instead of JSON")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    parser.add_argument("command", choices=["set", "get", "del", "list", "check"])
    parser.add_argument("args", nargs="*")
    args = parser.parse_args(argv)
    wanted = {"set": 2, "get": 1, "del": 1, "list": 0, "check": 0}[args.command]
    if len(args.args) != wanted:
        parser.error("%s takes %d argument(s)" % (args.command, wanted))
    try:
        host, port = parse_addr(args.addr)
        fmt = format_named(args.msgpack)
    except (ValueError, ImportError) as err:
        parser.error(str(err))

    try:
        with socket.create_connection((host, port), timeout=args.timeout) as sock:
            client = Client(sock, fmt)
            if args.command == "check":
                check(client, args.msgpack)
                return EXIT_OK
            request = {"op": args.command}
            if args.args:
                request["key"] = args.args[0]
            if args.command == "set":
                request["value"] = parse_value(args.args[1])
            response = client.ask(request)
            print(printable(response), flush=True)
            return EXIT_FAILED if response.get("result") == "error" else EXIT_OK
    except CheckFailed as err:
        print("FAILED: %s" % err, file=sys.stderr)
        return EXIT_FAILED
    except (OSError, FrameError, BadMessage) as err:
        print("error: %s" % err, file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
