#!/usr/bin/env python3
"""Generate tests/data/struct_vectors.txt: length-field test vectors from Python's `struct`.

Usage (from the repository root; the script writes to stdout):

    python3 tests/data/gen_struct_vectors.py > tests/data/struct_vectors.txt

Output format, one vector per line, fields separated by a single space:

    FORMAT VALUE HEX

    FORMAT  the exact struct format string: an optional byte-order prefix
            (one of < > ! = @, or none) followed by one integer code from
            b B h H i I q Q, e.g. `<i`, `!I`, `q`.
    VALUE   a decimal integer (may be negative for signed codes).
    HEX     lowercase hex of struct.pack(FORMAT, VALUE), no separators.

Example: `<i -1 ffffffff`.

Lines starting with `#` are comments. The header records the Python version
and `sys.byteorder`: the formats `@`, `=` and no prefix use the native byte
order of the machine that generated the file, so a consumer on a machine with
a different byte order must skip (or byte-swap) those lines. The line
`# sys.byteorder: little` (or `big`) is there for a consumer to parse.

Values per code and prefix (ascending, duplicates removed): the minimum, -1
(signed codes only), 0, 1, byte-order probes that fit the width
(0x12 for 1 byte, 258 = 0x0102 for 2+ bytes, 0x01020304 for 4+ bytes,
0x0102030405060708 for 8 bytes), and the maximum.

A second section is Python's verdict on format strings: which ones describe
exactly one length integer, and which. It covers every string of up to
FORMAT_MAX_LEN characters over FORMAT_ALPHABET (recorded in the header as
`# formats-alphabet: HEX` and `# formats-max-len: N`, so a consumer can
enumerate the same strings), plus the longer EXTRA_FORMATS. Only the accepted
ones are listed, one a line:

    F FORMAT-HEX CANONICAL

    FORMAT-HEX  lowercase hex of the format string's UTF-8 bytes.
    CANONICAL   the plain format (prefix + code) Python packs identically,
                e.g. `<i` for `<1i`.

Every string of the enumeration (and every EXTRA_FORMATS string) not listed is
one Python does not accept as one length integer. A format "is" a plain code
`c` when Python's calcsize matches and, for the code's extremes and probes,
struct.pack gives the same bytes, unpack gives back the same single int, and
the value one past either end is refused, as with `prefix + c`. Formats with
a non-zero count of `l`, `L`, `n` or `N` are left out: those codes' native
width depends on the platform, and lenframe does not take them.

Standard library only; the output is deterministic for a given interpreter.
"""

import itertools
import re
import struct
import sys

CODES = "bBhHiIqQ"
PREFIXES = ["<", ">", "!", "=", "@", ""]
PROBES = {
    1: [0x12],
    2: [0x0102],
    4: [0x0102, 0x01020304],
    8: [0x0102, 0x01020304, 0x0102030405060708],
}


def values(code):
    """Edge values for one struct integer code, ascending and unique."""
    width = struct.calcsize("<" + code)  # standard size
    signed = code.islower()
    if signed:
        lo, hi = -(1 << (8 * width - 1)), (1 << (8 * width - 1)) - 1
    else:
        lo, hi = 0, (1 << (8 * width)) - 1
    vals = {lo, 0, 1, hi}
    if signed:
        vals.add(-1)
    vals.update(PROBES[width])
    return sorted(v for v in vals if lo <= v <= hi)


FORMAT_ALPHABET = "<!=@012 \tiQhbqxs?dln"
FORMAT_MAX_LEN = 3
EXTRA_FORMATS = [
    "<1 i", "< 1i", "@i0q", "@b0i", "=b0i", "@h0e", "001i", " <i", "i\x00",
    "<\n1\ni", "\uff11i", "\u00a0i", "10i", "0s i", "@i 0q", "<i0q", "0xi0x",
    "=H0Q", "!1I", ">1Q ", "@0qI", "i\x0b", "\x0ci\r", "0l i", "<l", "1P",
]


def canonical(fmt):
    """The plain format Python packs exactly like `fmt`, or None."""
    try:
        size = struct.calcsize(fmt)
    except (struct.error, UnicodeEncodeError, ValueError):
        return None
    prefix = fmt[0] if fmt and fmt[0] in "<>!=@" else ""
    body = fmt[len(prefix):]
    for count, code in re.findall(r"(\d*)(\S)", body):
        if code in "lLnN" and count != "0" and int(count or "1") != 0:
            return None
    for code in CODES:
        ref = struct.Struct(prefix + code)
        if size != ref.size:
            continue
        lo, hi = values(code)[0], values(code)[-1]
        try:
            same = all(
                struct.pack(fmt, v) == ref.pack(v)
                and struct.unpack(fmt, ref.pack(v)) == (v,)
                and type(struct.unpack(fmt, ref.pack(v))[0]) is int
                for v in values(code)
            )
        except struct.error:
            continue
        if not same:
            continue
        refused = 0
        for v in (lo - 1, hi + 1):
            try:
                struct.pack(fmt, v)
            except struct.error:
                refused += 1
        if refused == 2:
            return prefix + code
    return None


def formats():
    """Every enumerated string, then the extra ones."""
    for n in range(FORMAT_MAX_LEN + 1):
        for chars in itertools.product(FORMAT_ALPHABET, repeat=n):
            yield "".join(chars)
    yield from EXTRA_FORMATS


def main(out):
    out.write("# lenframe length-field test vectors, generated by Python's struct.pack.\n")
    out.write("# Command: python3 tests/data/gen_struct_vectors.py > tests/data/struct_vectors.txt\n")
    out.write("# Python: %s %s\n" % (sys.implementation.name, sys.version.split()[0]))
    out.write("# sys.byteorder: %s\n" % sys.byteorder)
    out.write("# Formats '@', '=' and no prefix use this native byte order; skip them elsewhere.\n")
    out.write("# Line format: FORMAT VALUE HEX   (HEX = lowercase struct.pack(FORMAT, VALUE))\n")
    for code in CODES:
        for prefix in PREFIXES:
            fmt = prefix + code
            for v in values(code):
                packed = struct.pack(fmt, v)
                # Single-code formats are never padded, native or not.
                assert len(packed) == struct.calcsize(fmt)
                out.write("%s %d %s\n" % (fmt, v, packed.hex()))
    out.write("# Formats Python accepts as one length integer: F FORMAT-HEX CANONICAL\n")
    out.write("# formats-alphabet: %s\n" % FORMAT_ALPHABET.encode().hex())
    out.write("# formats-max-len: %d\n" % FORMAT_MAX_LEN)
    # Native mode aligns to the platform's C types: formats without a byte-order prefix only
    # mean the same on a platform with these sizes and alignments.
    out.write("# formats-native: long=%d pointer=%d long-long-align=%d double-align=%d\n" % (
        struct.calcsize("@l"), struct.calcsize("@P"),
        struct.calcsize("@cq") - struct.calcsize("@q"),
        struct.calcsize("@cd") - struct.calcsize("@d")))
    out.write("# formats-extra: %s\n" % " ".join(f.encode().hex() for f in EXTRA_FORMATS))
    seen = set()
    for fmt in formats():
        if fmt in seen:
            continue
        seen.add(fmt)
        plain = canonical(fmt)
        if plain is not None:
            out.write("F %s %s\n" % (fmt.encode().hex(), plain))


if __name__ == "__main__":
    main(sys.stdout)
