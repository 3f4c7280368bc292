//! The length field writes and reads exactly the bytes Python's `struct.pack` does, through the
//! encoder's own writer, and struct format strings mean what they mean to Python.
//!
//! `tests/data/struct_vectors.txt` was produced by real CPython with
//! `python3 tests/data/gen_struct_vectors.py > tests/data/struct_vectors.txt`.

use std::collections::HashMap;

use bytes::BytesMut;
use lenframe::{Codec, FrameError, LengthField, MAX_FIELD_LEN, MAX_FRAME_LEN_LIMIT};

const VECTORS: &str = include_str!("data/struct_vectors.txt");

struct Vector<'a> {
    format: &'a str,
    value: i128,
    bytes: Vec<u8>,
}

fn vectors() -> Vec<Vector<'static>> {
    let python_order = VECTORS
        .lines()
        .find_map(|l| l.strip_prefix("# sys.byteorder: "))
        .expect("the vectors name the byte order of the machine that made them");
    let native_matches = python_order.trim()
        == if cfg!(target_endian = "little") {
            "little"
        } else {
            "big"
        };
    VECTORS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("F ") && !l.trim().is_empty())
        .map(|line| {
            let mut parts = line.split(' ');
            let (format, value, hex) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            Vector {
                format,
                value: value.parse().unwrap(),
                bytes,
            }
        })
        // Native-order vectors only mean something on a machine of the same order.
        .filter(|v| native_matches || v.format.starts_with(['<', '>', '!']))
        .collect()
}

#[test]
fn vectors_cover_every_code_and_prefix() {
    let all = vectors();
    for code in ["b", "B", "h", "H", "i", "I", "q", "Q"] {
        for prefix in ["", "<", ">", "!", "=", "@"] {
            let format = format!("{prefix}{code}");
            let n = all.iter().filter(|v| v.format == format).count();
            assert!(n >= 4, "{format}: only {n} vectors");
        }
    }
}

#[test]
fn non_negative_values_encode_to_pythons_bytes() {
    let (mut checked, mut through_the_encoder) = (0, 0);
    for v in vectors().iter().filter(|v| v.value >= 0) {
        let field = LengthField::from_struct_format(v.format).unwrap();
        let value = v.value as u64;
        let what = format!("struct.pack({:?}, {})", v.format, v.value);
        let mut out = [0u8; MAX_FIELD_LEN];
        let n = field.write_len(value, &mut out).unwrap();
        assert_eq!(&out[..n], &v.bytes[..], "{what}");
        checked += 1;

        // The encoder's header for a payload the field gives this value for: the payload
        // length itself, or less with a negative adjustment for values past what a payload
        // can be. Only the top values of `Q` are out of reach.
        let adjustment = (MAX_FRAME_LEN_LIMIT as i128 - v.value).clamp(i64::MIN.into(), 0);
        let payload_len = v.value + adjustment;
        if payload_len > MAX_FRAME_LEN_LIMIT as i128 {
            continue;
        }
        let codec = Codec::builder()
            .length_field(field)
            .length_adjustment(adjustment as i64)
            .max_frame_len(MAX_FRAME_LEN_LIMIT)
            .build()
            .unwrap();
        let header = codec.encoder().header(payload_len as usize).unwrap();
        assert_eq!(&header[..], &v.bytes[..], "header: {what}");
        if payload_len <= 1 << 16 {
            let mut dst = BytesMut::from(&b"before"[..]);
            let payload = vec![0xa5; payload_len as usize];
            codec.encoder().encode(&payload, &mut dst).unwrap();
            assert_eq!(&dst[6..6 + n], &v.bytes[..], "encode: {what}");
            assert_eq!(&dst[6 + n..], &payload[..]);
        }
        through_the_encoder += 1;
    }
    assert!(checked > 150, "only {checked} vectors checked");
    assert!(
        through_the_encoder > checked - 10,
        "only {through_the_encoder} of {checked} through the encoder"
    );
}

#[test]
fn pythons_bytes_decode_to_the_value_or_a_negative_length_error() {
    for v in vectors() {
        let field = LengthField::from_struct_format(v.format).unwrap();
        let got = field.read_len(&v.bytes);
        if v.value >= 0 {
            assert_eq!(
                got,
                Ok(Some((v.value as u64, v.bytes.len()))),
                "{:?} {}",
                v.format,
                v.value
            );
        } else {
            assert_eq!(
                got,
                Err(FrameError::NegativeLength {
                    len: v.value as i64,
                    guess: None
                }),
                "{:?} {}",
                v.format,
                v.value
            );
        }
        assert_eq!(field.read_len(&v.bytes[..v.bytes.len() - 1]), Ok(None));
    }
}

#[test]
fn the_maximum_of_each_code_is_pythons_maximum_and_one_more_is_refused() {
    for v in vectors() {
        let field = LengthField::from_struct_format(v.format).unwrap();
        assert!(
            v.value <= i128::from(field.max_value()),
            "{} {}",
            v.format,
            v.value
        );
    }
    for (format, max) in [
        ("b", 127u64),
        ("B", 255),
        ("h", 32767),
        ("H", 65535),
        ("i", i32::MAX as u64),
        ("I", u32::MAX as u64),
        ("q", i64::MAX as u64),
        ("Q", u64::MAX),
    ] {
        let field = LengthField::from_struct_format(format).unwrap();
        assert_eq!(field.max_value(), max, "{format}");
        if max < u64::MAX {
            let mut out = [0u8; MAX_FIELD_LEN];
            assert!(
                field.write_len(max + 1, &mut out).is_err(),
                "{format} wrapped {}",
                max + 1
            );
        }
    }
}

/// The header line `# NAME: VALUE` of the vectors file.
fn header_line(name: &str) -> &'static str {
    VECTORS
        .lines()
        .find_map(|l| l.strip_prefix(&format!("# {name}: ")))
        .unwrap_or_else(|| panic!("the vectors have a {name:?} line"))
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Whether this machine's C types have the sizes and alignments of the machine that made the
/// vectors, so that native-mode formats (which align to them) mean the same here.
fn native_mode_matches() -> bool {
    use std::ffi::{c_long, c_longlong};
    use std::mem::{align_of, size_of};
    let here = format!(
        "long={} pointer={} long-long-align={} double-align={}",
        size_of::<c_long>(),
        size_of::<*const u8>(),
        align_of::<c_longlong>(),
        align_of::<f64>()
    );
    header_line("formats-native") == here
}

#[test]
fn struct_formats_are_accepted_exactly_when_python_packs_one_length_integer() {
    // Python's verdict: the formats it packs exactly like one plain integer code.
    let accepted: HashMap<String, &str> = VECTORS
        .lines()
        .filter_map(|l| l.strip_prefix("F "))
        .map(|l| {
            let (hex, plain) = l.split_once(' ').unwrap();
            (String::from_utf8(unhex(hex)).unwrap(), plain)
        })
        .collect();
    // Every string over the alphabet up to the length, and the extra ones.
    let alphabet: Vec<char> = String::from_utf8(unhex(header_line("formats-alphabet")))
        .unwrap()
        .chars()
        .collect();
    let max_len: u32 = header_line("formats-max-len").parse().unwrap();
    let mut formats = vec![String::new()];
    let mut last = vec![String::new()];
    for _ in 0..max_len {
        last = last
            .iter()
            .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
            .collect();
        formats.extend(last.iter().cloned());
    }
    formats.extend(
        header_line("formats-extra")
            .split(' ')
            .map(|hex| String::from_utf8(unhex(hex)).unwrap()),
    );
    let native_matches = native_mode_matches();
    let (mut checked, mut accepts) = (0, 0);
    for format in &formats {
        let native = !format.starts_with(['<', '>', '!', '=']);
        if native && !native_matches {
            continue;
        }
        let ours = LengthField::from_struct_format(format);
        match accepted.get(format) {
            Some(plain) => {
                let expected = LengthField::from_struct_format(plain).unwrap();
                assert_eq!(ours, Ok(expected), "{format:?} is {plain:?} in Python");
                accepts += 1;
            }
            None => assert!(
                matches!(ours, Err(lenframe::ConfigError::StructFormat { .. })),
                "{format:?} is not one length integer in Python, but parsed as {ours:?}"
            ),
        }
        checked += 1;
    }
    assert!(checked > 8000, "only {checked} formats checked");
    assert!(accepts > 300, "only {accepts} accepted formats checked");
}
