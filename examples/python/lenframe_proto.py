"""Shared helpers for the lenframe Python examples (standard library only).

Wire format (lenframe's default, byte-for-byte what `struct.pack('i', n)` writes
on x86-64 and ARM64, the same as `'<i'`):

    +----------------------+---------------------------+
    | length: 4 bytes      | payload: `length` bytes   |
    | i32, little-endian   |                           |
    +----------------------+---------------------------+

    b"hi"  ->  02 00 00 00 68 69
    b""    ->  00 00 00 00

The length field can be any single struct integer code `b B h H i I q Q` with
an optional byte-order prefix `< > ! = @` (e.g. `!I` = 4-byte unsigned
big-endian, what tokio-util's LengthDelimitedCodec and Netty use by default).
Both peers must use the same format.

Rules the helpers enforce:
- read exactly: `recv(n)` may return fewer than n bytes, so keep reading;
- never trust a length: a negative length, or one over the maximum, is an
  error, detected from the header before any payload byte is read;
- end of stream exactly between two frames is a clean close (`recv_frame`
  returns None); end of stream inside a header or payload is an error.
"""

import struct

__all__ = [
    "DEFAULT_FORMAT",
    "DEFAULT_MAX",
    "FrameError",
    "PeerClosedMidFrame",
    "FrameTooLarge",
    "NegativeLength",
    "LengthFormat",
    "parse_addr",
    "recv_exactly",
    "recv_frame",
    "send_frame",
]

DEFAULT_FORMAT = "i"
DEFAULT_MAX = 8 * 1024 * 1024  # 8 MiB, lenframe's default maximum
_CODES = "bBhHiIqQ"
_PREFIXES = "<>!=@"
_CHUNK = 64 * 1024


class FrameError(Exception):
    """The peer broke the framing protocol; the connection should be closed."""


class PeerClosedMidFrame(FrameError):
    """End of stream inside a header or payload."""

    def __init__(self, what, expected, got):
        self.expected, self.got = expected, got
        super().__init__(
            "peer closed mid-frame: expected %d %s bytes, got %d" % (expected, what, got)
        )


class FrameTooLarge(FrameError):
    """A length over the maximum (received, or asked to send)."""

    def __init__(self, length, max_len, fmt):
        self.length, self.max = length, max_len
        super().__init__(
            "frame length %d exceeds the maximum %d for length format %r "
            "(raise --max, or use a wider format, if this is expected)" % (length, max_len, fmt)
        )


class NegativeLength(FrameError):
    """A signed length field held a negative number."""

    def __init__(self, length, fmt):
        self.length = length
        super().__init__(
            "invalid frame length %d: negative lengths are not allowed "
            "(length format %r is signed; does the peer use the same format?)" % (length, fmt)
        )


class LengthFormat:
    """A validated length-field format plus the maximum frame length.

    `max_len` is the smaller of the requested maximum and the largest value
    the format can carry (e.g. 65535 for 'H', 127 for 'b').
    """

    def __init__(self, fmt=DEFAULT_FORMAT, max_len=DEFAULT_MAX):
        body = fmt[1:] if fmt[:1] in tuple(_PREFIXES) else fmt
        if len(body) != 1 or body not in _CODES:
            raise ValueError(
                "unsupported length format %r: use one integer code from %s, optionally "
                "after one byte-order prefix from %s (e.g. 'i', '!I', '<H')"
                % (fmt, " ".join(_CODES), " ".join(_PREFIXES))
            )
        if max_len < 0:
            raise ValueError("maximum frame length must be >= 0, got %d" % max_len)
        self.fmt = fmt
        self.struct = struct.Struct(fmt)
        self.size = self.struct.size
        self.signed = body.islower()
        bits = 8 * self.size - (1 if self.signed else 0)
        self.format_max = (1 << bits) - 1
        self.max_len = min(max_len, self.format_max)

    def header(self, length):
        """The length field for a payload of `length` bytes."""
        if length > self.max_len:
            raise FrameTooLarge(length, self.max_len, self.fmt)
        return self.struct.pack(length)

    def __repr__(self):
        return "LengthFormat(%r, max_len=%d)" % (self.fmt, self.max_len)


def parse_addr(addr):
    """'HOST:PORT' or '[V6HOST]:PORT' -> (host, port)."""
    host, sep, port = addr.rpartition(":")
    if not sep or not host:
        raise ValueError("address must be HOST:PORT, got %r" % addr)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port)
    except ValueError:
        raise ValueError("port must be a number in %r" % addr) from None
    if not 0 <= port <= 65535:
        raise ValueError("port out of range in %r" % addr)
    return host, port


def _recv_into(sock, buf, n, what, have=0):
    """Append to `buf` until it holds `n` bytes; `have` bytes came earlier."""
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), _CHUNK))
        if not chunk:
            raise PeerClosedMidFrame(what, n, len(buf))
        buf += chunk
    return bytes(buf)


def recv_exactly(sock, n, what="payload"):
    """Read exactly `n` bytes. EOF before that raises PeerClosedMidFrame.

    The buffer grows as bytes arrive; nothing of size `n` is allocated up
    front, so a peer announcing a big frame and sending nothing costs nothing.
    """
    return _recv_into(sock, bytearray(), n, what)


def recv_frame(sock, lf):
    """Read one frame's payload, or None on a clean close between frames.

    Raises NegativeLength / FrameTooLarge (checked before any payload byte is
    read) or PeerClosedMidFrame.
    """
    first = sock.recv(lf.size)
    if not first:
        return None  # EOF exactly at a frame boundary: clean close
    head = _recv_into(sock, bytearray(first), lf.size, "header")
    (length,) = lf.struct.unpack(head)
    if length < 0:
        raise NegativeLength(length, lf.fmt)
    if length > lf.max_len:
        raise FrameTooLarge(length, lf.max_len, lf.fmt)
    return recv_exactly(sock, length, "payload")


def send_frame(sock, lf, payload):
    """Send one frame: header + payload, all of it (sendall loops on short writes).

    One buffer, so header and payload leave in one write (no Nagle stall
    between a tiny header write and the payload write).
    """
    sock.sendall(lf.header(len(payload)) + payload)
