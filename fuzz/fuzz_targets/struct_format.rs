//! `LengthField::from_struct_format` on arbitrary strings: it never panics, and it accepts
//! exactly what the model below accepts, with the same width, sign and byte order.
//!
//! The model is Python's `struct` module (CPython's `_struct.c`) computing what a format packs,
//! the way `calcsize` does: an optional byte-order character first, then items separated by
//! Python's whitespace (ASCII space, `\t \n \v \f \r`; a non-ASCII format is an error), each an
//! optional decimal repeat count directly followed by a code. It counts the values the format
//! packs (`s` and `p` one per item, `x` none, other codes their count) and its size (in native
//! mode each item first aligned to its code's alignment once the size is non-zero). A format is
//! a length when it packs one value, of one of `b B h H i I q Q` (repeat count 1), and its size
//! is that code's width.
#![no_main]

use std::ffi::{c_int, c_long, c_longlong, c_short};
use std::mem::{align_of, size_of};

use lenframe::{ByteOrder, Codec, ConfigError, LengthField};
use libfuzzer_sys::fuzz_target;

fn is_python_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// A code's size and alignment in this mode, `None` if Python rejects it here.
fn size_align(code: u8, native: bool) -> Option<(u128, u128)> {
    let both = |size: usize, align: usize| Some((size as u128, align as u128));
    let std = |size: usize| Some((size as u128, 1));
    if native {
        match code {
            b'x' | b'c' | b'b' | b'B' | b'?' | b's' | b'p' => both(1, 1),
            b'h' | b'H' => both(size_of::<c_short>(), align_of::<c_short>()),
            b'e' => both(2, align_of::<c_short>()),
            b'i' | b'I' => both(size_of::<c_int>(), align_of::<c_int>()),
            b'l' | b'L' => both(size_of::<c_long>(), align_of::<c_long>()),
            b'q' | b'Q' => both(size_of::<c_longlong>(), align_of::<c_longlong>()),
            b'n' | b'N' => both(size_of::<usize>(), align_of::<usize>()),
            b'f' => both(4, align_of::<f32>()),
            b'd' => both(8, align_of::<f64>()),
            b'P' => both(size_of::<*const u8>(), align_of::<*const u8>()),
            _ => None,
        }
    } else {
        match code {
            b'x' | b'c' | b'b' | b'B' | b'?' | b's' | b'p' => std(1),
            b'h' | b'H' | b'e' => std(2),
            b'i' | b'I' | b'l' | b'L' | b'f' => std(4),
            b'q' | b'Q' | b'd' => std(8),
            _ => None,
        }
    }
}

/// The length field `format` describes according to Python, or `None`.
fn model(format: &str) -> Option<(usize, bool, ByteOrder)> {
    let bytes = format.as_bytes();
    if !bytes.is_ascii() {
        return None;
    }
    let (order, native, body) = match bytes.first() {
        Some(b'<') => (ByteOrder::Little, false, &bytes[1..]),
        Some(b'>' | b'!') => (ByteOrder::Big, false, &bytes[1..]),
        Some(b'=') => (ByteOrder::Native, false, &bytes[1..]),
        Some(b'@') => (ByteOrder::Native, true, &bytes[1..]),
        _ => (ByteOrder::Native, true, bytes),
    };
    let (mut values, mut size) = (0u128, 0u128);
    let mut integer = None;
    let mut i = 0;
    while i < body.len() {
        if is_python_space(body[i]) {
            i += 1;
            continue;
        }
        let mut count: Option<u128> = None;
        while i < body.len() && body[i].is_ascii_digit() {
            let digit = u128::from(body[i] - b'0');
            count = Some(count.unwrap_or(0).saturating_mul(10).saturating_add(digit));
            i += 1;
        }
        let code = *body.get(i)?;
        i += 1;
        let (item_size, align) = size_align(code, native)?;
        let count = count.unwrap_or(1);
        if native && size > 0 {
            size = size.div_ceil(align).saturating_mul(align);
        }
        size = size.saturating_add(count.saturating_mul(item_size));
        match code {
            b's' | b'p' => values = values.saturating_add(1),
            b'x' => {}
            _ => values = values.saturating_add(count),
        }
        if count > 0 && !matches!(code, b's' | b'p' | b'x') {
            integer = Some(code);
        }
    }
    let (width, signed) = match integer? {
        b'b' => (1, true),
        b'B' => (1, false),
        b'h' => (2, true),
        b'H' => (2, false),
        b'i' => (4, true),
        b'I' => (4, false),
        b'q' => (8, true),
        b'Q' => (8, false),
        _ => return None,
    };
    (values == 1 && size == width as u128).then_some((width, signed, order))
}

fuzz_target!(|data: &[u8]| {
    let Ok(format) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = LengthField::from_struct_format(format);
    match (&parsed, model(format)) {
        (Ok(field), Some((width, signed, order))) => {
            assert_eq!(*field, LengthField::fixed(width, signed, order).unwrap());
            assert_eq!(field.width(), Some(width));
            assert_eq!(field.is_signed(), signed);
            assert_eq!(field.byte_order(), Some(order));
            // The struct format it names parses back to the same field.
            let plain = field.struct_format().expect("a struct code");
            assert_eq!(LengthField::from_struct_format(plain).as_ref(), Ok(field));
            assert_eq!(field.to_string(), plain);
            assert_eq!(format.parse::<LengthField>().as_ref(), Ok(field));
            assert_eq!(
                Codec::from_struct_format(format).map(|c| c.length_field()),
                Ok(*field)
            );
        }
        (Err(err), None) => {
            match err {
                ConfigError::StructFormat { at, found, .. } => {
                    // The position is in the string, on the character it names.
                    assert!(*at <= format.len());
                    assert_eq!(format.get(*at..).and_then(|s| s.chars().next()), *found);
                }
                other => panic!("unexpected error kind {other:?}"),
            }
            let _ = err.to_string();
            assert_eq!(Codec::from_struct_format(format).err().as_ref(), Some(err));
            assert_eq!(LengthField::try_from(format).err().as_ref(), Some(err));
        }
        (parsed, expected) => {
            panic!("{format:?}: parser gave {parsed:?}, model expected {expected:?}")
        }
    }
});
