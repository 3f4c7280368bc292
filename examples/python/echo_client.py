#!/usr/bin/env python3
"""Echo client speaking lenframe's wire format (standard library only).

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
Use the same format as the server.

Usage:
    python3 echo_client.py [--addr HOST:PORT] [--format FMT] [--max BYTES]
                           [--timeout SECS] [--messages-hex HEX,HEX,...]

Defaults: --addr 127.0.0.1:8989, --format i, --max 8388608 (8 MiB), --timeout 10.

Without --messages-hex it sends a few demo messages (including an empty one
and a 100 KiB one) back to back, so they share TCP segments ("sticky
packets"), then checks that every echo comes back identical and prints what
happened. Messages too long for the length format (e.g. 100 KiB with 'H') are
skipped with a note.

--messages-hex (for automated tests): comma-separated hex payloads, an empty
item is an empty message (`--messages-hex=,00ff,` sends three frames: empty,
00ff, empty). Prints one line per echoed frame, as lowercase hex, or `-` for
an empty frame. Nothing else goes to stdout.

Exit status: 0 all echoes identical; 1 an echo differed; 2 usage error;
3 connection or protocol error (refused, timeout, peer closed mid-frame,
negative or oversized length, server closed before echoing everything).
"""

import argparse
import os
import socket
import sys
import threading

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

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3


def demo_messages():
    big = bytes(i % 251 for i in range(100 * 1024))  # 100 KiB, non-repeating at 256
    return [
        ("short text", b"hello, lenframe"),
        ("empty", b""),
        ("binary incl. zero bytes", bytes(range(256))),
        ("100 KiB", big),
        ("another short one", "sticky packets, fixed \u2713".encode()),
    ]


def parse_hex_list(text):
    out = []
    for i, item in enumerate(text.split(",")):
        item = item.strip()
        if item == "-":
            item = ""
        try:
            out.append(bytes.fromhex(item))
        except ValueError:
            raise ValueError("--messages-hex item %d is not hex: %r" % (i, item)) from None
    return out


def exchange(addr, lf, payloads, timeout):
    """Send all payloads (from a writer thread) while reading the echoes.

    Writing and reading at the same time means large messages cannot
    deadlock with both sides' socket buffers full. Returns the echoes.
    Raises OSError / FrameError.
    """
    host, port = addr
    sock = socket.create_connection((host, port), timeout=timeout)
    send_error = []

    def writer():
        try:
            for p in payloads:
                send_frame(sock, lf, p)  # one write per frame; TCP may merge them
        except (OSError, FrameError) as e:
            send_error.append(e)

    try:
        t = threading.Thread(target=writer, daemon=True)
        t.start()
        echoes = []
        try:
            for _ in payloads:
                echo = recv_frame(sock, lf)
                if echo is None:
                    raise FrameError("server closed the connection after %d of %d echoes"
                                     % (len(echoes), len(payloads)))
                echoes.append(echo)
        except BaseException:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # unblock the writer thread
            except OSError:
                pass
            raise
        finally:
            t.join(timeout)
        if send_error:
            raise send_error[0]
        # Polite close: tell the server we are done, then it sees EOF between frames.
        sock.shutdown(socket.SHUT_WR)
        return echoes
    finally:
        sock.close()


def main(argv=None):
    p = argparse.ArgumentParser(description="lenframe echo client")
    p.add_argument("--addr", default="127.0.0.1:8989", help="server HOST:PORT (default %(default)s)")
    p.add_argument("--format", default=DEFAULT_FORMAT, help="struct format of the length "
                   "field, e.g. i, <i, !I, <H, q (default %(default)s)")
    p.add_argument("--max", type=lambda s: int(s, 0), default=DEFAULT_MAX,
                   help="largest payload accepted in an echo, in bytes (default %(default)s = 8 MiB)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="socket timeout in seconds (default %(default)s)")
    p.add_argument("--messages-hex", metavar="HEX,HEX,...",
                   help="send these payloads, print each echo as hex ('-' if empty)")
    args = p.parse_args(argv)
    try:
        lf = LengthFormat(args.format, args.max)
        addr = parse_addr(args.addr)
        if args.messages_hex is not None:
            payloads = parse_hex_list(args.messages_hex)
            for i, m in enumerate(payloads):
                if len(m) > lf.max_len:
                    raise ValueError("message %d is %d bytes, over the maximum %d for format %r"
                                     % (i, len(m), lf.max_len, lf.fmt))
    except ValueError as e:
        p.error(str(e))

    if args.messages_hex is not None:
        try:
            echoes = exchange(addr, lf, payloads, args.timeout)
        except (OSError, FrameError) as e:
            print("error: %s" % e, file=sys.stderr)
            return EXIT_ERROR
        status = EXIT_OK
        for i, (sent, echo) in enumerate(zip(payloads, echoes)):
            print(echo.hex() or "-")
            if echo != sent:
                print("mismatch in frame %d: sent %s, got %s" % (i, sent.hex() or "-", echo.hex() or "-"),
                      file=sys.stderr)
                status = EXIT_MISMATCH
        return status

    # Demo mode.
    named = []
    for name, m in demo_messages():
        if len(m) > lf.max_len:
            print("skip  %-24s %7d bytes: over the maximum %d for format %r"
                  % (name, len(m), lf.max_len, lf.fmt))
        else:
            named.append((name, m))
    print("sending %d messages to %s:%d with length format %r (%d-byte header), back to back"
          % (len(named), addr[0], addr[1], lf.fmt, lf.size))
    try:
        echoes = exchange(addr, lf, [m for _, m in named], args.timeout)
    except (OSError, FrameError) as e:
        print("error: %s" % e, file=sys.stderr)
        return EXIT_ERROR
    status = EXIT_OK
    for (name, sent), echo in zip(named, echoes):
        ok = echo == sent
        print("%-5s %-24s %7d bytes sent, %7d bytes echoed" % ("ok" if ok else "DIFF", name,
                                                              len(sent), len(echo)))
        if not ok:
            status = EXIT_MISMATCH
    print("all echoes identical" if status == EXIT_OK else "some echoes differed")
    return status


if __name__ == "__main__":
    sys.exit(main())
