//! Every error variant: when it happens, the numbers it carries, and a message that says what
//! happened and what to change.

use std::io;

use bytes::BytesMut;
use lenframe::{
    ByteOrder, Codec, ConfigError, EncodeError, FrameError, LengthField, MAX_FRAME_LEN_LIMIT,
    MAX_LENGTH_OFFSET,
};

fn field(format: &str) -> LengthField {
    LengthField::from_struct_format(format).unwrap()
}

fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            message.contains(part),
            "{message:?} does not mention {part:?}"
        );
    }
}

/// What decoding `wire` with `codec` returns first.
fn decode(codec: Codec, wire: &[u8]) -> Result<Option<bytes::Bytes>, FrameError> {
    codec.decoder().decode(&mut BytesMut::from(wire))
}

fn decode_eof(codec: Codec, wire: &[u8]) -> Result<Option<bytes::Bytes>, FrameError> {
    codec.decoder().decode_eof(&mut BytesMut::from(wire))
}

// ConfigError ----------------------------------------------------------------------------------

#[test]
fn struct_format_that_is_not_one_integer_code_is_refused() {
    let cases = [
        ("f", "not a supported integer code"),
        ("s", "not a supported integer code"),
        ("<d", "not a supported integer code"),
        ("3i", "repeat counts"),
        ("ii", "more than one code"),
        ("<iI", "more than one code"),
        ("", "names no integer code"),
        ("<", "names no integer code"),
        ("  ", "names no integer code"),
    ];
    for (format, problem) in cases {
        let err = LengthField::from_struct_format(format).unwrap_err();
        let ConfigError::StructFormat {
            format: given,
            problem: said,
        } = &err
        else {
            panic!("{format:?}: expected StructFormat, got {err:?}");
        };
        assert_eq!(given, format);
        assert!(said.contains(problem), "{format:?}: {said:?}");
        assert_mentions(
            &err.to_string(),
            &[
                &format!("{format:?}"),
                problem,
                "b B h H i I q Q",
                "< > ! = @",
            ],
        );
        assert_eq!(Codec::from_struct_format(format), Err(err));
    }
}

#[test]
fn every_struct_code_and_prefix_is_accepted() {
    for code in ["b", "B", "h", "H", "i", "I", "q", "Q"] {
        for prefix in ["", "<", ">", "!", "=", "@"] {
            let format = format!("{prefix}{code}");
            assert!(Codec::from_struct_format(&format).is_ok(), "{format:?}");
        }
    }
    // Whitespace is ignored after the byte order, but not before it, as in Python.
    assert_eq!(field("< i "), field("<i"));
    assert_eq!(field(" i"), field("=i"));
    assert!(LengthField::from_struct_format(" <i").is_err());
}

#[test]
fn fixed_width_other_than_1_2_4_8_is_refused() {
    for width in [0, 3, 5, 16] {
        let err = LengthField::fixed(width, false, ByteOrder::Big).unwrap_err();
        assert_eq!(err, ConfigError::UnsupportedWidth { width });
        assert_mentions(
            &err.to_string(),
            &[&format!("{width} bytes"), "1, 2, 4 or 8"],
        );
    }
    for width in [1, 2, 4, 8] {
        let field = LengthField::fixed(width, true, ByteOrder::Little).unwrap();
        assert_eq!(field.width(), Some(width));
    }
}

#[test]
fn length_field_offset_over_the_maximum_is_refused() {
    let err = Codec::builder()
        .length_field_offset(MAX_LENGTH_OFFSET + 1)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        ConfigError::OffsetTooLarge {
            offset: 17,
            max: 16
        }
    );
    assert_mentions(&err.to_string(), &["17", "16", "length_field_offset"]);
    let ok = Codec::builder()
        .length_field_offset(MAX_LENGTH_OFFSET)
        .build();
    assert_eq!(ok.unwrap().length_field_offset(), MAX_LENGTH_OFFSET);
}

#[test]
fn length_adjustment_beyond_the_fields_range_is_refused() {
    let cases: [(&str, i64, u64); 5] = [
        ("<B", 256, 255),
        ("<B", -256, 255),
        ("<b", -128, 127),
        ("!H", 65536, 65535),
        ("<q", i64::MIN, i64::MAX as u64),
    ];
    for (format, adjustment, max_value) in cases {
        let err = Codec::builder()
            .length_field(field(format))
            .length_adjustment(adjustment)
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            ConfigError::AdjustmentOutOfRange {
                adjustment,
                field: field(format),
                max_value
            }
        );
        assert_mentions(
            &err.to_string(),
            &[
                &adjustment.to_string(),
                format,
                &format!("0..={max_value}"),
                &format!("-{max_value} and {max_value}"),
            ],
        );
    }
    // The edges of the range, and fields whose range covers every i64, are fine.
    for (format, adjustment) in [("<B", 255), ("<B", -255), ("<b", -127), ("<Q", i64::MIN)] {
        let codec = Codec::builder()
            .length_field(field(format))
            .length_adjustment(adjustment)
            .build();
        assert_eq!(codec.unwrap().length_adjustment(), adjustment, "{format}");
    }
    let varint = Codec::builder()
        .length_field(LengthField::VARINT)
        .length_adjustment(i64::MIN)
        .build();
    assert!(varint.is_ok());
}

#[test]
fn maximum_frame_length_over_the_limit_is_refused() {
    let too_big = MAX_FRAME_LEN_LIMIT + 1;
    let expected = ConfigError::MaxFrameLenTooLarge {
        max: too_big,
        limit: MAX_FRAME_LEN_LIMIT,
    };
    let builders = [
        Codec::builder().max_frame_len(too_big),
        Codec::builder().max_decode_len(too_big),
        Codec::builder().max_encode_len(too_big),
        Codec::builder().max_frame_len(usize::MAX),
    ];
    for (i, builder) in builders.into_iter().enumerate() {
        let err = builder.build().unwrap_err();
        if i < 3 {
            assert_eq!(err, expected);
        }
        assert_mentions(
            &err.to_string(),
            &[&MAX_FRAME_LEN_LIMIT.to_string(), "max_frame_len"],
        );
    }
    assert_mentions(&expected.to_string(), &[&too_big.to_string()]);
    let at_limit = Codec::builder().max_frame_len(MAX_FRAME_LEN_LIMIT).build();
    assert_eq!(at_limit.unwrap().max_decode_len(), MAX_FRAME_LEN_LIMIT);
}

// FrameError -----------------------------------------------------------------------------------

#[test]
fn negative_length_is_refused_for_every_signed_width() {
    let cases: [(&str, &[u8], i64); 7] = [
        ("b", &[0xff], -1),
        ("b", &[0x80], -128),
        ("<h", &[0x00, 0x80], -32768),
        (">h", &[0xff, 0xfe], -2),
        ("<i", &[0xff, 0xff, 0xff, 0xff], -1),
        ("!i", &[0x80, 0, 0, 0], i64::from(i32::MIN)),
        ("<q", &[0, 0, 0, 0, 0, 0, 0, 0x80], i64::MIN),
    ];
    for (format, wire, len) in cases {
        let codec = Codec::from_struct_format(format).unwrap();
        let err = decode(codec, wire).unwrap_err();
        assert_eq!(err, FrameError::NegativeLength { len }, "{format}");
        assert_eq!(
            codec.decode_slice(wire),
            Err(FrameError::NegativeLength { len })
        );
        assert_mentions(
            &err.to_string(),
            &[&len.to_string(), "negative", "byte order"],
        );
    }
    // The same bytes under the unsigned code are a length, not an error.
    assert_eq!(
        decode(Codec::from_struct_format("B").unwrap(), &[0xff]),
        Ok(None)
    );
}

#[test]
fn too_large_at_max_plus_one_and_exactly_max_is_accepted() {
    let codec = Codec::builder().max_frame_len(10).build().unwrap();
    let mut exactly = b"\x0a\0\0\0".to_vec();
    exactly.extend_from_slice(&[1; 10]);
    assert_eq!(decode(codec, &exactly).unwrap().unwrap().len(), 10);

    let err = decode(codec, b"\x0b\0\0\0").unwrap_err();
    assert_eq!(err, FrameError::TooLarge { len: 11, max: 10 });
    assert_mentions(
        &err.to_string(),
        &[
            "11 bytes",
            "maximum of 10 bytes",
            "header excluded",
            "max_decode_len",
        ],
    );
}

#[test]
fn too_large_reports_lengths_beyond_usize() {
    let codec = Codec::from_struct_format("<Q").unwrap();
    assert_eq!(
        decode(codec, &[0xff; 8]),
        Err(FrameError::TooLarge {
            len: u64::MAX,
            max: lenframe::DEFAULT_MAX_FRAME_LEN
        })
    );
}

#[test]
fn too_large_counts_the_adjusted_length() {
    let codec = Codec::builder()
        .length_adjustment(5)
        .max_frame_len(10)
        .build()
        .unwrap();
    assert_eq!(
        decode(codec, b"\x06\0\0\0"),
        Err(FrameError::TooLarge { len: 11, max: 10 })
    );
}

#[test]
fn adjusted_length_below_zero_is_refused() {
    let codec = Codec::builder()
        .length_field(LengthField::U32_BE)
        .length_adjustment(-4)
        .build()
        .unwrap();
    let err = decode(codec, b"\0\0\0\x02ab").unwrap_err();
    assert_eq!(
        err,
        FrameError::AdjustedLengthNegative {
            value: 2,
            adjustment: -4
        }
    );
    assert_mentions(&err.to_string(), &["holds 2", "-4", "length_adjustment"]);
    assert_eq!(decode(codec, b"\0\0\0\x04").unwrap().unwrap().len(), 0);
}

fn varint() -> Codec {
    Codec::builder()
        .length_field(LengthField::VARINT)
        .build()
        .unwrap()
}

#[test]
fn varint_longer_than_ten_bytes_is_refused() {
    let err = decode(varint(), &[0x80; 10]).unwrap_err();
    assert_eq!(err, FrameError::VarintTooLong);
    assert_mentions(&err.to_string(), &["10 bytes", "varint"]);
    // Ten bytes whose last has the continuation bit is already too long.
    let mut wire = [0xff; 10];
    wire[9] = 0x81;
    assert_eq!(decode(varint(), &wire), Err(FrameError::VarintTooLong));
    // Nine continuation bytes may still be a valid header.
    assert_eq!(decode(varint(), &[0x80; 9]), Ok(None));
}

#[test]
fn varint_over_64_bits_is_refused() {
    let mut wire = [0xff; 10];
    wire[9] = 0x02;
    let err = decode(varint(), &wire).unwrap_err();
    assert_eq!(err, FrameError::VarintOverflow);
    assert_mentions(&err.to_string(), &["64 bits", "varint"]);
    // u64::MAX itself is a length (too large for the maximum, but not malformed).
    wire[9] = 0x01;
    assert!(matches!(
        decode(varint(), &wire),
        Err(FrameError::TooLarge { len: u64::MAX, .. })
    ));
}

#[test]
fn truncated_inside_the_header_says_how_many_bytes_came() {
    let err = decode_eof(Codec::default(), b"\x05\0\0").unwrap_err();
    assert_eq!(
        err,
        FrameError::Truncated {
            expected: 4,
            got: 3
        }
    );
    assert_mentions(
        &err.to_string(),
        &["4 bytes were expected", "only 3 arrived"],
    );

    let offset = Codec::builder().length_field_offset(3).build().unwrap();
    assert_eq!(
        decode_eof(offset, b"\x01"),
        Err(FrameError::Truncated {
            expected: 7,
            got: 1
        })
    );
    // A partial varint header: the least it could need.
    assert_eq!(
        decode_eof(varint(), &[0x80, 0x80]),
        Err(FrameError::Truncated {
            expected: 3,
            got: 2
        })
    );
}

#[test]
fn truncated_inside_the_body_counts_header_and_payload() {
    let err = decode_eof(Codec::default(), b"\x05\0\0\0ab").unwrap_err();
    assert_eq!(
        err,
        FrameError::Truncated {
            expected: 9,
            got: 6
        }
    );
    assert_mentions(
        &err.to_string(),
        &["9 bytes were expected", "only 6 arrived"],
    );
}

// EncodeError ----------------------------------------------------------------------------------

#[test]
fn encode_over_max_encode_len_is_refused() {
    let codec = Codec::builder().max_encode_len(10).build().unwrap();
    let err = codec.encoder().header(11).unwrap_err();
    assert_eq!(err, EncodeError::TooLarge { len: 11, max: 10 });
    assert_mentions(
        &err.to_string(),
        &["11 bytes", "maximum of 10 bytes", "max_encode_len"],
    );
    assert!(codec.encoder().header(10).is_ok());

    let mut dst = BytesMut::from(&b"kept"[..]);
    assert_eq!(codec.encoder().encode([0; 11], &mut dst), Err(err));
    assert_eq!(&dst[..], b"kept");
}

#[test]
fn encode_300_bytes_with_b_is_refused_not_wrapped() {
    let codec = Codec::from_struct_format("<B").unwrap();
    let err = codec.encoder().header(300).unwrap_err();
    assert_eq!(
        err,
        EncodeError::Unrepresentable {
            value: 300,
            field: field("<B")
        }
    );
    assert_mentions(
        &err.to_string(),
        &["300", "<B", "0..=255", "wider struct format"],
    );
    assert_eq!(&codec.encoder().header(255).unwrap()[..], &[0xff]);

    let mut dst = BytesMut::new();
    assert_eq!(codec.encoder().encode([0; 300], &mut dst), Err(err));
    assert!(dst.is_empty());
}

#[test]
fn encode_2_pow_15_with_h_is_refused() {
    let codec = Codec::from_struct_format("!h").unwrap();
    assert_eq!(
        codec.encoder().header(32768),
        Err(EncodeError::Unrepresentable {
            value: 32768,
            field: field("!h")
        })
    );
    assert_eq!(&codec.encoder().header(32767).unwrap()[..], &[0x7f, 0xff]);
}

#[cfg(target_pointer_width = "64")]
#[test]
fn encode_more_than_i32_max_with_i_is_refused() {
    let big = i32::MAX as usize + 1;
    let codec = Codec::builder().max_encode_len(big).build().unwrap();
    // Only the header is built: nothing the size of the payload is allocated.
    let err = codec.encoder().header(big).unwrap_err();
    assert_eq!(
        err,
        EncodeError::Unrepresentable {
            value: 1 << 31,
            field: LengthField::I32_LE
        }
    );
    assert_mentions(
        &err.to_string(),
        &["2147483648", "0..=2147483647", "\"<q\""],
    );
    assert_eq!(
        &codec.encoder().header(big - 1).unwrap()[..],
        &[0xff, 0xff, 0xff, 0x7f]
    );
    let unsigned = codec
        .to_builder()
        .length_field(field("<I"))
        .build()
        .unwrap();
    assert_eq!(
        &unsigned.encoder().header(big).unwrap()[..],
        &[0, 0, 0, 0x80]
    );
}

#[test]
fn encode_a_payload_shorter_than_a_positive_adjustment_is_refused() {
    let codec = Codec::builder().length_adjustment(3).build().unwrap();
    let err = codec.encoder().header(1).unwrap_err();
    assert_eq!(
        err,
        EncodeError::Unrepresentable {
            value: -2,
            field: LengthField::I32_LE
        }
    );
    assert_mentions(&err.to_string(), &["-2", "length_adjustment"]);
    assert!(
        !err.to_string().contains("wider"),
        "a wider field would not help: {err}"
    );
}

#[test]
fn encode_checks_the_maximum_before_the_field() {
    let codec = Codec::builder()
        .length_field(field("B"))
        .max_encode_len(100)
        .build()
        .unwrap();
    assert_eq!(
        codec.encoder().header(300),
        Err(EncodeError::TooLarge { len: 300, max: 100 })
    );
}

#[test]
fn write_len_refuses_a_value_over_the_fields_maximum() {
    let mut out = [0; lenframe::MAX_FIELD_LEN];
    assert_eq!(
        field("<H").write_len(65536, &mut out),
        Err(EncodeError::Unrepresentable {
            value: 65536,
            field: field("<H")
        })
    );
    assert_eq!(field("<H").write_len(65535, &mut out), Ok(2));
}

// Conversions ----------------------------------------------------------------------------------

#[test]
fn frame_errors_become_invalid_data_and_truncation_unexpected_eof() {
    let cases = [
        (
            FrameError::NegativeLength { len: -1 },
            io::ErrorKind::InvalidData,
        ),
        (
            FrameError::TooLarge { len: 9, max: 8 },
            io::ErrorKind::InvalidData,
        ),
        (
            FrameError::AdjustedLengthNegative {
                value: 1,
                adjustment: -4,
            },
            io::ErrorKind::InvalidData,
        ),
        (FrameError::VarintTooLong, io::ErrorKind::InvalidData),
        (FrameError::VarintOverflow, io::ErrorKind::InvalidData),
        (
            FrameError::Truncated {
                expected: 9,
                got: 6,
            },
            io::ErrorKind::UnexpectedEof,
        ),
    ];
    for (err, kind) in cases {
        let io_err = io::Error::from(err.clone());
        assert_eq!(io_err.kind(), kind, "{err:?}");
        assert_eq!(io_err.to_string(), err.to_string());
        let inner = io_err
            .get_ref()
            .and_then(|e| e.downcast_ref::<FrameError>());
        assert_eq!(inner, Some(&err), "the FrameError can be recovered");

        let via_error = io::Error::from(lenframe::Error::from(err.clone()));
        assert_eq!(via_error.kind(), kind);
    }
}

#[test]
fn encode_errors_become_invalid_input() {
    let err = EncodeError::TooLarge { len: 11, max: 10 };
    let io_err = io::Error::from(err.clone());
    assert_eq!(io_err.kind(), io::ErrorKind::InvalidInput);
    let inner = io_err
        .get_ref()
        .and_then(|e| e.downcast_ref::<EncodeError>());
    assert_eq!(inner, Some(&err));
    let via_error = io::Error::from(lenframe::Error::from(err));
    assert_eq!(via_error.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn adapter_error_wraps_and_unwraps_io_errors() {
    let err = lenframe::Error::from(io::Error::new(io::ErrorKind::ConnectionReset, "peer left"));
    assert!(matches!(err, lenframe::Error::Io(_)));
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    // Transparent: the message is the I/O error's own, so an error chain prints it once.
    assert_eq!(err.to_string(), "peer left");
    let mut chain = vec![err.to_string()];
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        chain.push(cause.to_string());
        source = cause.source();
    }
    assert_eq!(chain.iter().filter(|m| m.contains("peer left")).count(), 1);
    let back = io::Error::from(err);
    assert_eq!(back.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(back.to_string(), "peer left");
}

#[test]
fn unfinished_streamed_frames_are_their_own_variants() {
    let unfinished = lenframe::Error::CopyUnfinished { len: 10, left: 4 };
    assert_eq!(unfinished.kind(), io::ErrorKind::InvalidInput);
    assert_mentions(
        &unfinished.to_string(),
        &[
            "10 payload bytes",
            "4 bytes still to go",
            "copy_frame_from",
            "close",
        ],
    );
    let ended = lenframe::Error::SourceEnded { len: 10, left: 4 };
    assert_eq!(ended.kind(), io::ErrorKind::UnexpectedEof);
    assert_mentions(
        &ended.to_string(),
        &["4 bytes short of the 10", "same length"],
    );
    // Converted for `?` in io::Result code, the variant is still there to match.
    let io_err = io::Error::from(ended);
    assert_eq!(io_err.kind(), io::ErrorKind::UnexpectedEof);
    let inner = io_err.get_ref().unwrap();
    assert!(matches!(
        inner.downcast_ref::<lenframe::Error>(),
        Some(lenframe::Error::SourceEnded { len: 10, left: 4 })
    ));
}

#[test]
fn adapter_error_kinds_match_their_io_conversions() {
    let cases: [(lenframe::Error, io::ErrorKind); 4] = [
        (FrameError::VarintTooLong.into(), io::ErrorKind::InvalidData),
        (
            FrameError::Truncated {
                expected: 9,
                got: 2,
            }
            .into(),
            io::ErrorKind::UnexpectedEof,
        ),
        (
            EncodeError::TooLarge { len: 2, max: 1 }.into(),
            io::ErrorKind::InvalidInput,
        ),
        (
            lenframe::Error::CopyUnfinished { len: 1, left: 1 },
            io::ErrorKind::InvalidInput,
        ),
    ];
    for (err, kind) in cases {
        assert_eq!(err.kind(), kind, "{err}");
        assert_eq!(io::Error::from(err).kind(), kind);
    }
}

#[test]
fn config_errors_convert_to_invalid_input() {
    let err = Codec::from_struct_format("f").unwrap_err();
    assert_eq!(io::Error::from(err).kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn adapter_error_is_transparent_over_frame_and_encode_errors() {
    let frame = FrameError::TooLarge { len: 11, max: 10 };
    let err: lenframe::Error = frame.clone().into();
    assert!(matches!(&err, lenframe::Error::Frame(f) if *f == frame));
    assert_eq!(err.to_string(), frame.to_string());

    let encode = EncodeError::TooLarge { len: 11, max: 10 };
    let err: lenframe::Error = encode.clone().into();
    assert!(matches!(&err, lenframe::Error::Encode(e) if *e == encode));
    assert_eq!(err.to_string(), encode.to_string());

    fn framed() -> Result<(), lenframe::Error> {
        Err(FrameError::VarintOverflow)?
    }
    assert!(matches!(
        framed(),
        Err(lenframe::Error::Frame(FrameError::VarintOverflow))
    ));
}

#[cfg(feature = "tokio")]
#[test]
fn frame_deadline_becomes_timed_out() {
    let err = lenframe::Error::FrameDeadline {
        frame: 3,
        got: 10,
        expected: 100,
        waited: std::time::Duration::from_secs(5),
    };
    assert_mentions(&err.to_string(), &["frame 3", "5s", "10 of 100 bytes"]);
    assert_eq!(io::Error::from(err).kind(), io::ErrorKind::TimedOut);
}

#[test]
fn errors_are_std_errors_that_cross_threads() {
    fn check<E: std::error::Error + Send + Sync + 'static>() {}
    check::<ConfigError>();
    check::<FrameError>();
    check::<EncodeError>();
    check::<lenframe::Error>();
}
