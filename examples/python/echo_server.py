#!/usr/bin/env python3
"""Threaded echo server speaking lenframe's wire format (standard library only).

Protocol: every message, in both directions, is a length field followed by
that many payload bytes. Default length field: struct.pack('i', len(payload)),
i.e. 4 bytes, signed, native order (little-endian on x86-64/ARM64):

    +----------------------+---------------------------+
    | length: 4 bytes      | payload: `length` bytes   |
    | i32, little-endian   |                           |
    +----------------------+---------------------------+

    b"hi" -> 02 00 00 00 68 69        b"" -> 00 00 00 00

`--format` picks another struct integer code and byte order (b B h H i I q Q
with an optional prefix < > ! = @), e.g. `!I` for 4-byte big-endian unsigned.
The server echoes every frame back unchanged, one thread per client. A client
that sends a negative length, a length over --max, or closes mid-frame is
logged and disconnected; other clients are unaffected. A close between frames
is a normal disconnect.

Usage:
    python3 echo_server.py [--addr HOST:PORT] [--format FMT] [--max BYTES]

Defaults: --addr 127.0.0.1:8989, --format i, --max 8388608 (8 MiB).
Once listening it prints `listening on HOST:PORT` (the real bound port, so
`--addr 127.0.0.1:0` picks a free port) on stdout. Logs go to stderr.
Stop it with Ctrl-C.
"""

import argparse
import os
import socket
import socketserver
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lenframe_proto import (  # noqa: E402
    DEFAULT_FORMAT,
    DEFAULT_MAX,
    FrameError,
    LengthFormat,
    parse_addr,
    recv_frame,
    send_frame,
)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        lf = self.server.length_format
        sock = self.request
        peer = "%s:%s" % self.client_address[:2]
        frames = 0
        log("client %s: connected" % peer)
        try:
            while True:
                payload = recv_frame(sock, lf)
                if payload is None:
                    log("client %s: closed after %d frame(s)" % (peer, frames))
                    return
                send_frame(sock, lf, payload)
                frames += 1
        except FrameError as e:
            log("client %s: protocol error after %d frame(s): %s; closing connection"
                % (peer, frames, e))
        except OSError as e:
            log("client %s: connection error after %d frame(s): %s; closing connection"
                % (peer, frames, e))
        # socketserver closes the socket after handle() returns.


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv=None):
    p = argparse.ArgumentParser(description="lenframe echo server (one thread per client)")
    p.add_argument("--addr", default="127.0.0.1:8989", help="HOST:PORT to listen on "
                   "(port 0 = pick a free one; default %(default)s)")
    p.add_argument("--format", default=DEFAULT_FORMAT, help="struct format of the length "
                   "field, e.g. i, <i, !I, <H, q (default %(default)s)")
    p.add_argument("--max", type=lambda s: int(s, 0), default=DEFAULT_MAX,
                   help="largest payload accepted, in bytes (default %(default)s = 8 MiB)")
    args = p.parse_args(argv)
    try:
        lf = LengthFormat(args.format, args.max)
        host, port = parse_addr(args.addr)
    except ValueError as e:
        p.error(str(e))

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    Server.address_family = family
    try:
        server = Server((host, port), EchoHandler)
    except OSError as e:
        log("cannot listen on %s: %s" % (args.addr, e))
        return 1
    server.length_format = lf
    bound_host, bound_port = server.server_address[:2]
    shown = "[%s]" % bound_host if family == socket.AF_INET6 else bound_host
    log("format %r (%d-byte length field), max frame %d bytes" % (lf.fmt, lf.size, lf.max_len))
    print("listening on %s:%d" % (shown, bound_port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log("interrupted; shutting down")
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
