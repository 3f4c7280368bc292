//! The length field writes and reads exactly the bytes Python's `struct.pack` does.
//!
//! `tests/data/struct_vectors.txt` was produced by real CPython with
//! `python3 tests/data/gen_struct_vectors.py > tests/data/struct_vectors.txt`.

use lenframe::{FrameError, LengthField, MAX_FIELD_LEN};

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
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
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
    let mut checked = 0;
    for v in vectors().iter().filter(|v| v.value >= 0) {
        let field = LengthField::from_struct_format(v.format).unwrap();
        let mut out = [0u8; MAX_FIELD_LEN];
        let n = field.write_len(v.value as u64, &mut out).unwrap();
        assert_eq!(
            &out[..n],
            &v.bytes[..],
            "struct.pack({:?}, {})",
            v.format,
            v.value
        );
        checked += 1;
    }
    assert!(checked > 150, "only {checked} vectors checked");
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
                    len: v.value as i64
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
