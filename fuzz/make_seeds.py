#!/usr/bin/env python3
"""Writes the checked-in seed corpora under fuzz/seeds/ (run from anywhere; idempotent).

The byte layouts are documented in fuzz/src/lib.rs (Settings, Chunking) and at the top of each
target. Each seed is a small, readable starting point; libFuzzer mutates from there.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# Field codes, in the order of Settings' first byte; "u3" .. "u7" (and "i3" .. "i7", signed) are
# the widths without a struct code.
FIELDS = {c: i for i, c in enumerate("bBhHiIqQ")}
FIELDS["varint"] = 8
for i, width in enumerate([3, 5, 6, 7]):
    FIELDS["u%d" % width] = 9 + i
    FIELDS["i%d" % width] = 9 + i
ORDER = {"<": 0, ">": 1, "=": 2}


def settings(field="i", order="<", offset=0, adjustment=0, max_len=1024, max_encode=None,
             keep_header=False, skip_oversized=False):
    signed = field[0] == "i" and len(field) == 2
    out = bytes([FIELDS[field], ORDER[order] + 3 * signed])
    assert 0 <= offset <= 3
    out += bytes([offset])
    if adjustment == 0:
        out += b"\x00"
    else:
        out += b"\x07" + struct.pack("<q", adjustment)
    out += b"\x07" + struct.pack("<Q", max_len)
    if max_encode is None:
        out += b"\x00"
    else:
        out += b"\xc0\x07" + struct.pack("<Q", max_encode)
    out += bytes([int(keep_header) | int(skip_oversized) << 1])
    return out


def chunks(*sizes, every=None):
    if every is not None:
        return bytes([0xF0 + every])
    return bytes([len(sizes)]) + bytes(sizes)


def frame(fmt, payload, prefix=b""):
    return prefix + struct.pack(fmt, len(payload)) + payload


def varint(n):
    out = b""
    while True:
        low = n & 0x7F
        n >>= 7
        if n == 0:
            return out + bytes([low])
        out += bytes([low | 0x80])


def fill(n, byte):
    return b"\x00" + struct.pack("<H", n) + bytes([byte])


def literal(payload):
    return b"\x02" + bytes([len(payload)]) + payload


def probe(n):
    return b"\x03" + struct.pack("<Q", n)


SEEDS = {
    "decoder": {
        # Three glued "aaa" frames and half a header, one byte a read.
        "sticky_packets": settings() + chunks(every=1)
        + frame("<i", b"aaa") * 3 + b"\x03\x00",
        # Network order, skipping an oversized frame between two good ones, then a cut body.
        "skip_oversized": settings("I", ">", max_len=16, skip_oversized=True) + chunks(3, 1, 5)
        + frame(">I", b"hi") + frame(">I", b"x" * 20) + frame(">I", b"ok")
        + struct.pack(">I", 9) + b"abc",
        # Varint after a 2-byte tag, frames kept with their header.
        "varint_offset": settings("varint", offset=2, keep_header=True) + chunks(every=0)
        + b"\xca\xfe" + varint(3) + b"abc" + b"\xca\xfe" + varint(300) + b"y" * 300,
        # A good frame, then a negative length.
        "negative": settings("b") + chunks(every=0) + frame("<b", b"hi") + b"\xff",
        # Length counts the header (adjustment -4), then a value the adjustment makes negative.
        "adjustment": settings("I", ">", adjustment=-4) + chunks(every=2)
        + struct.pack(">I", 7) + b"abc" + struct.pack(">I", 3),
        # An 8-byte length far over the maximum.
        "huge_q": settings("Q", "<") + chunks(every=0) + frame("<Q", b"ok")
        + struct.pack("<Q", 2**64 - 1),
        # MySQL's header: a 3-byte little-endian length, the sequence byte counted in (+1).
        "mysql_u24": settings("u3", "<", adjustment=1, skip_oversized=True) + chunks(every=2)
        + b"\x05\x00\x00\x01hello" + b"\x00\x10\x00\x02" + b"z" * 40,
        # A '!I' peer sending to a '<i' decoder: TooLarge with a guess.
        "other_order": settings() + chunks(every=0) + struct.pack(">I", 5) + b"hello",
    },
    "roundtrip": {
        "default": settings() + chunks(every=3) + literal(b"aaa") + literal(b"")
        + fill(300, 0x78) + probe(2**31),
        "byte_field": settings("B", max_len=300) + chunks(1, 2, 255) + fill(255, 1) + fill(256, 2)
        + literal(b"hello") + probe(255) + probe(256),
        "varint_keep_header": settings("varint", offset=1, adjustment=-1, keep_header=True)
        + chunks(every=1) + literal(b"") + fill(1000, 0x41) + probe(2**63),
        "signed_short_be": settings("h", ">", max_len=40000, max_encode=33000) + chunks(every=0)
        + fill(1099, 0) + probe(32767) + probe(32768),
        "signed_u5_be": settings("i5", ">", max_len=5000) + chunks(every=7) + fill(1000, 9)
        + literal(b"abc") + probe(2**39) + probe(2**39 - 1),
    },
    "struct_format": {
        "native_i": b"i",
        "network_u32": b"!I",
        "spaced": b"< q ",
        "repeat": b"3i",
        "two_codes": b"ii",
        "leading_space": b" <i",
        # Found by this target: U+00A0 was taken for whitespace; Python rejects it.
        "nbsp_regression": "=B\u00a0".encode(),
        # A repeat count of one, zero-count items, and native alignment padding.
        "count_one": b"<1i",
        "zero_count": b"0x i0h",
        "native_padding": b"i0q",
    },
}

for target, seeds in SEEDS.items():
    folder = os.path.join(HERE, "seeds", target)
    os.makedirs(folder, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
