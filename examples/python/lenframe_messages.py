"""Typed messages over lenframe frames: one message = one frame, as JSON
(standard library) or MessagePack (the `msgpack` package from PyPI).

What the Rust side's `write_json(&msg)` / `read_json::<T>()` and
`write_msgpack(&msg)` / `read_msgpack::<T>()` send and expect:

    JSON:         struct.pack('i', len(data)) + data,  data = json.dumps(msg).encode()
    MessagePack:  struct.pack('i', len(data)) + data,  data = msgpack.packb(msg)

MessagePack is packed with `use_bin_type=True` (bytes -> `bin`, str -> `str`)
and unpacked with `raw=False` (str -> str, bin -> bytes), which is how Rust's
rmp-serde sees strings and byte strings (`serde_bytes`). Rust structs arrive as
dicts with their field names.

A frame that is not a valid message raises `BadMessage`; the frame has been
read whole, so the next `recv` reads the next frame (the same rule as the Rust
readers' `Error::Deserialize`).
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lenframe_proto import LengthFormat, recv_frame, send_frame  # noqa: E402

__all__ = ["BadMessage", "Json", "MsgPack", "format_named"]


class BadMessage(ValueError):
    """A whole frame arrived, but it is not a valid message in the format."""

    def __init__(self, fmt_name, payload, cause):
        self.payload = payload
        super().__init__(
            "a %d-byte frame is not a valid %s message: %s" % (len(payload), fmt_name, cause)
        )


class _Format:
    name = None

    def __init__(self, length_format=None):
        self.lf = length_format or LengthFormat()

    def send(self, sock, msg):
        """Send `msg` as one frame."""
        send_frame(sock, self.lf, self.encode(msg))

    def recv(self, sock):
        """The next message, or None on a clean close between frames.

        Raises BadMessage for a frame that does not decode (the next call reads
        the next frame), and lenframe_proto's FrameError for broken framing.
        """
        payload = recv_frame(sock, self.lf)
        if payload is None:
            return None
        try:
            return self.decode(payload)
        except Exception as err:  # each library raises its own types
            raise BadMessage(self.name, payload, err) from err


class Json(_Format):
    """JSON, with the standard library."""

    name = "JSON"

    def encode(self, msg):
        return json.dumps(msg).encode()

    def decode(self, payload):
        return json.loads(payload.decode())


class MsgPack(_Format):
    """MessagePack, with the `msgpack` package (pip install msgpack)."""

    name = "MessagePack"

    def __init__(self, length_format=None):
        super().__init__(length_format)
        import msgpack  # only needed for this format

        self._msgpack = msgpack

    def encode(self, msg):
        return self._msgpack.packb(msg, use_bin_type=True)

    def decode(self, payload):
        # strict_map_key=False: keys may be numbers, as Rust maps allow.
        return self._msgpack.unpackb(payload, raw=False, strict_map_key=False)


def format_named(msgpack, length_format=None):
    """MsgPack() if `msgpack` is true, else Json()."""
    return MsgPack(length_format) if msgpack else Json(length_format)
