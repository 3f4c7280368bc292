#!/usr/bin/env python3
"""Typed echo server: decodes every message and sends it back re-encoded.

Every message is one frame, struct.pack('i', len(data)) + data, with data
json.dumps(msg).encode() (the default) or, with --msgpack, msgpack.packb(msg)
(pip install msgpack). Unlike echo_server.py, which echoes bytes, this one
parses each message with Python's own library and serializes it again, so a
peer that reads the echo proves both sides agree on the format, not just on
the framing.

- A message is echoed as Python decoded it (json.dumps / msgpack.packb of it).
- A frame that does not decode gets {"error": "...", "frame": N} (N counts the
  client's frames from 0), and the connection goes on.
- The message {"op": "malformed"} gets a frame that is NOT a valid message in
  the format, so the client can check that its reader reports that one frame
  and goes on with the next.

Usage:
    python3 typed_echo_server.py [--addr HOST:PORT] [--msgpack]

Defaults: --addr 127.0.0.1:8989. Once listening it prints
`listening on HOST:PORT` (the real port, so port 0 works) on stdout; logs go
to stderr. One thread per client. Stop it with Ctrl-C.
"""

import argparse
import os
import socketserver
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lenframe_messages import BadMessage, format_named  # noqa: E402
from lenframe_proto import FrameError, parse_addr, send_frame  # noqa: E402

# Frames that are not a valid message: JSON cut short; a MessagePack marker that is never used.
MALFORMED = {"JSON": b'{"cut": ', "MessagePack": b"\xc1"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def make_handler(msgpack):
    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            fmt = format_named(msgpack)
            peer = "%s:%s" % self.client_address[:2]
            frame = 0
            try:
                while True:
                    try:
                        msg = fmt.recv(self.request)
                    except BadMessage as err:
                        log("client %s: frame %d: %s" % (peer, frame, err))
                        fmt.send(self.request, {"error": str(err), "frame": frame})
                        frame += 1
                        continue
                    if msg is None:
                        break
                    if msg == {"op": "malformed"}:
                        send_frame(self.request, fmt.lf, MALFORMED[fmt.name])
                    else:
                        fmt.send(self.request, msg)
                    frame += 1
                log("client %s: closed after %d frame(s)" % (peer, frame))
            except (OSError, FrameError) as err:
                log("client %s: error after %d frame(s): %s" % (peer, frame, err))

    return Handler


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv=None):
    parser = argparse.ArgumentParser(description="Typed echo server (JSON or MessagePack).")
    parser.add_argument("--addr", default="127.0.0.1:8989", help="HOST:PORT (default %(default)s)")
    parser.add_argument("--msgpack", action="store_true", help="MessagePack instead of JSON")
    args = parser.parse_args(argv)
    try:
        host, port = parse_addr(args.addr)
        format_named(args.msgpack)  # fails early if msgpack is not installed
    except (ValueError, ImportError) as err:
        parser.error(str(err))
    with Server((host, port), make_handler(args.msgpack)) as server:
        bound = server.server_address
        print("listening on %s:%d" % (bound[0], bound[1]), flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
