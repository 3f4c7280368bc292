//! Python's `struct` format grammar, as far as it can describe one integer: the parser behind
//! [`LengthField::from_struct_format`](crate::LengthField::from_struct_format).
//!
//! CPython (`Modules/_struct.c`, `prepare_s`) reads an optional byte-order character first, then
//! items until the end: whitespace between items is skipped; an item is an optional decimal
//! repeat count followed directly by a code. A format names one length when its items pack
//! exactly one integer of a supported code and no other byte: every other item must have a
//! repeat count of 0 (`"0xi"`, `"i0q"`), except `s` and `p`, whose count is a string length
//! and which always pack a value. In native mode (`@` or no prefix) a zero-count item after the
//! integer still pads the end to its alignment (`"i0q"` is 8 bytes there), so it must not need
//! padding.

use core::ffi::{c_int, c_long, c_longlong, c_short};
use core::mem::align_of;

use crate::error::ConfigError;
use crate::format::{ByteOrder, LengthField};

/// Python's whitespace in a format (`Py_ISSPACE`): ASCII space, `\t \n \v \f \r`, nothing else.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// A repeat count as far as it matters here: 0, 1, or more than one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Count {
    Zero,
    One,
    Many,
}

/// What a struct code is, for one-integer formats.
#[derive(Clone, Copy)]
enum Code {
    /// One of `b B h H i I q Q`: a supported length.
    Length { width: u8, signed: bool },
    /// Any other code Python accepts in this mode, with its alignment in native mode.
    Other { align: usize, packs_a_value: bool },
}

/// The code `byte` stands for, or `None` if Python rejects it ("bad char in struct format").
fn code(byte: u8, native: bool) -> Option<Code> {
    let length = |width, signed| Some(Code::Length { width, signed });
    let other = |align| {
        Some(Code::Other {
            align,
            packs_a_value: false,
        })
    };
    match byte {
        b'b' => length(1, true),
        b'B' => length(1, false),
        b'h' => length(2, true),
        b'H' => length(2, false),
        b'i' => length(4, true),
        b'I' => length(4, false),
        b'q' => length(8, true),
        b'Q' => length(8, false),
        // A string's count is its length: it always packs one value.
        b's' | b'p' => Some(Code::Other {
            align: 1,
            packs_a_value: true,
        }),
        b'x' | b'c' | b'?' => other(1),
        b'e' => other(align_of::<c_short>()),
        b'f' => other(align_of::<f32>()),
        b'd' => other(align_of::<f64>()),
        // Platform-sized integers: Python has them, a length does not use them (see the docs).
        b'l' | b'L' => other(align_of::<c_long>()),
        b'n' | b'N' if native => other(align_of::<usize>()),
        b'P' if native => other(align_of::<*const u8>()),
        _ => None,
    }
}

/// The alignment of a length code in native mode.
fn native_align(width: u8) -> usize {
    match width {
        1 => 1,
        2 => align_of::<c_short>(),
        4 => align_of::<c_int>(),
        _ => align_of::<c_longlong>(),
    }
}

/// Parses `format` as Python's `struct` would, accepting it if it packs exactly one integer of
/// a supported code and nothing else.
pub(crate) fn parse(format: &str) -> Result<LengthField, ConfigError> {
    let bytes = format.as_bytes();
    let (order, mut at) = match bytes.first() {
        Some(b'<') => (ByteOrder::Little, 1),
        Some(b'>' | b'!') => (ByteOrder::Big, 1),
        Some(b'=') => (ByteOrder::Native, 1),
        Some(b'@') => (ByteOrder::Native, 1),
        _ => (ByteOrder::Native, 0),
    };
    // Only `@` and no prefix are native mode (sizes and alignment); `=` is native order with
    // standard sizes and no alignment.
    let native = matches!(bytes.first(), Some(b'@')) || at == 0;
    let bad = |at: usize, problem: &'static str| ConfigError::StructFormat {
        at,
        found: format.get(at..).and_then(|rest| rest.chars().next()),
        problem,
    };
    let mut length: Option<(u8, bool)> = None;
    let check_no_padding = |length: Option<(u8, bool)>, align: usize, at: usize| match length {
        Some((width, _)) if native && align > usize::from(width) => Err(bad(
            at,
            "pads the integer before it to its alignment in native mode, so the bytes are no \
             longer the integer alone",
        )),
        _ => Ok(()),
    };
    while let Some(&byte) = bytes.get(at) {
        if is_space(byte) {
            at += 1;
            continue;
        }
        let item = at;
        let mut count = Count::One;
        if byte.is_ascii_digit() {
            let digits = bytes[at..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let value = &bytes[at..at + digits];
            count = match value.iter().position(|&d| d != b'0') {
                None => Count::Zero,
                Some(first) if first == digits - 1 && value[first] == b'1' => Count::One,
                Some(_) => Count::Many,
            };
            at += digits;
            if at == bytes.len() {
                return Err(bad(item, "a repeat count must be followed by a code"));
            }
        }
        let Some(code) = code(bytes[at], native) else {
            return Err(bad(at, "is not a struct format code"));
        };
        match (code, count) {
            (
                Code::Other {
                    packs_a_value: true,
                    ..
                },
                _,
            ) => {
                return Err(bad(at, "is not one of the integer codes b B h H i I q Q"));
            }
            (Code::Other { .. }, Count::One | Count::Many) => {
                return Err(bad(
                    at,
                    if bytes[at] == b'x' {
                        "is a pad byte; a length is the integer alone"
                    } else {
                        "is not one of the integer codes b B h H i I q Q"
                    },
                ));
            }
            (Code::Length { .. }, Count::Many) => {
                return Err(bad(item, "repeats the integer; a length is one integer"));
            }
            (Code::Length { width, signed }, Count::One) => {
                if length.is_some() {
                    return Err(bad(item, "is a second integer; a length is one integer"));
                }
                length = Some((width, signed));
            }
            // A zero count packs nothing, but in native mode it still pads what came before to
            // the code's alignment (only past the start: Python aligns a non-zero size).
            (Code::Other { align, .. }, Count::Zero) => check_no_padding(length, align, at)?,
            (Code::Length { width, .. }, Count::Zero) => {
                check_no_padding(length, native_align(width), at)?
            }
        }
        at += 1;
    }
    match length {
        Some((width, signed)) => Ok(LengthField::fixed_const(width, signed, order)),
        None => Err(bad(at, "the format names no integer")),
    }
}
