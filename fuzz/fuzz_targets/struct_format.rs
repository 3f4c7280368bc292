//! `LengthField::from_struct_format` on arbitrary strings: it never panics, and it accepts
//! exactly what the model below accepts, with the same width, sign and byte order.
//!
//! The model is Python's `struct` module restricted to one integer: an optional byte-order
//! character first, then exactly one of `b B h H i I q Q`, with Python's whitespace (ASCII space,
//! `\t \n \v \f \r`, and nothing else: Python rejects any non-ASCII format) ignored after the
//! byte-order character. Repeat counts are not supported, even `1i`.
#![no_main]

use lenframe::{ByteOrder, Codec, ConfigError, LengthField};
use libfuzzer_sys::fuzz_target;

fn is_python_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

fn model(format: &str) -> Option<(usize, bool, ByteOrder)> {
    let mut chars = format.chars().peekable();
    let order = match chars.peek() {
        Some('<') => ByteOrder::Little,
        Some('>' | '!') => ByteOrder::Big,
        Some('=' | '@') => ByteOrder::Native,
        _ => ByteOrder::Native,
    };
    if matches!(chars.peek(), Some('<' | '>' | '!' | '=' | '@')) {
        chars.next();
    }
    let codes: Vec<char> = chars.filter(|&c| !is_python_space(c)).collect();
    let [code] = codes[..] else {
        return None;
    };
    let (width, signed) = match code {
        'b' => (1, true),
        'B' => (1, false),
        'h' => (2, true),
        'H' => (2, false),
        'i' => (4, true),
        'I' => (4, false),
        'q' => (8, true),
        'Q' => (8, false),
        _ => return None,
    };
    Some((width, signed, order))
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
            // Display gives a format string that parses back to the same field.
            assert_eq!(
                LengthField::from_struct_format(&field.to_string()).as_ref(),
                Ok(field)
            );
            assert_eq!(
                Codec::from_struct_format(format).map(|c| c.length_field()),
                Ok(*field)
            );
        }
        (Err(err), None) => {
            match err {
                ConfigError::StructFormat { format: given, .. } => assert_eq!(given, format),
                other => panic!("unexpected error kind {other:?}"),
            }
            let _ = err.to_string();
            assert_eq!(Codec::from_struct_format(format).err().as_ref(), Some(err));
        }
        (parsed, expected) => {
            panic!("{format:?}: parser gave {parsed:?}, model expected {expected:?}")
        }
    }
});
