//! Unit tests of the drop-in [`LengthDelimitedCodec`] and its [`Builder`], called directly on
//! in-memory `BytesMut` buffers: each setting read back and seen in the bytes, and each rule of
//! tokio-util's decoding and encoding, on the core decoder's path and on the wrapper's own
//! (`decode_by_header`, `encode_by_field`: settings the core has no codec for), with the error
//! kinds tokio-util gives.

use std::io::{self, ErrorKind};

use ::tokio_util::codec::{Decoder, Encoder};
use bytes::{Bytes, BytesMut};

use crate::tokio_util::length_delimited::{
    Builder, LengthDelimitedCodec, LengthDelimitedCodecError,
};
use crate::MAX_FRAME_LEN_LIMIT;

fn buf(bytes: &[u8]) -> BytesMut {
    BytesMut::from(bytes)
}

fn decode(codec: &mut LengthDelimitedCodec, wire: &mut BytesMut) -> io::Result<Option<Vec<u8>>> {
    Ok(codec.decode(wire)?.map(|frame| frame.to_vec()))
}

fn encode(codec: &mut LengthDelimitedCodec, payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut wire = BytesMut::new();
    codec.encode(payload, &mut wire)?;
    Ok(wire.to_vec())
}

/// The `(length, max_frame_length)` of a too-big error, with its kind.
fn too_big(err: &io::Error) -> (ErrorKind, u64, usize) {
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<LengthDelimitedCodecError>())
        .unwrap_or_else(|| panic!("not a too-big error: {err:?}"));
    (err.kind(), inner.length(), inner.max_frame_length())
}

fn is_overflow(err: &io::Error) -> bool {
    err.kind() == ErrorKind::InvalidInput
        && err.to_string() == "provided length would overflow after adjustment"
}

// ---------------------------------------------------------------------------------------------
// The builder

#[test]
fn the_defaults_are_tokio_utils() {
    for mut codec in [
        LengthDelimitedCodec::new(),
        LengthDelimitedCodec::default(),
        Builder::new().new_codec(),
        Builder::default().new_codec(),
        LengthDelimitedCodec::builder().new_codec(),
    ] {
        assert_eq!(codec.max_frame_length(), 8 * 1024 * 1024);
        assert_eq!(encode(&mut codec, b"hi").unwrap(), b"\0\0\0\x02hi");
        let mut wire = buf(b"\0\0\0\x02hi!");
        assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"hi");
        assert_eq!(&wire[..], b"!");
    }
}

#[test]
fn each_setter_keeps_the_settings_made_before_it_and_passes_on_the_builder() {
    // Each setter is called with the offset set before it and the field width after it: a
    // setter that returned another builder would lose one or the other.
    let codecs: [(&str, LengthDelimitedCodec); 8] = [
        (
            "big",
            Builder::new()
                .length_field_offset(1)
                .big_endian()
                .length_field_length(2)
                .new_codec(),
        ),
        (
            "little",
            Builder::new()
                .length_field_offset(1)
                .little_endian()
                .length_field_length(2)
                .big_endian()
                .new_codec(),
        ),
        (
            "native",
            Builder::new()
                .length_field_offset(1)
                .native_endian()
                .length_field_length(2)
                .big_endian()
                .new_codec(),
        ),
        (
            "max",
            Builder::new()
                .length_field_offset(1)
                .max_frame_length(1000)
                .length_field_length(2)
                .new_codec(),
        ),
        (
            "type",
            Builder::new()
                .length_field_offset(1)
                .length_field_type::<u32>()
                .length_field_length(2)
                .new_codec(),
        ),
        (
            "length",
            Builder::new()
                .length_field_offset(1)
                .length_field_length(2)
                .length_field_offset(1)
                .new_codec(),
        ),
        (
            "adjustment",
            Builder::new()
                .length_field_offset(1)
                .length_adjustment(0)
                .length_field_length(2)
                .new_codec(),
        ),
        (
            "num_skip",
            Builder::new()
                .length_field_offset(1)
                .num_skip(3)
                .length_field_length(2)
                .new_codec(),
        ),
    ];
    for (name, mut codec) in codecs {
        let mut wire = buf(b"T\0\x03abcz");
        assert_eq!(
            decode(&mut codec, &mut wire).unwrap().unwrap(),
            b"abc",
            "{name}"
        );
        assert_eq!(&wire[..], b"z", "{name}");
        assert_eq!(encode(&mut codec, b"abc").unwrap(), b"\0\x03abc", "{name}");
    }
}

#[test]
fn byte_order_setters_choose_the_order() {
    let mut little = Builder::new()
        .length_field_type::<u16>()
        .little_endian()
        .new_codec();
    assert_eq!(encode(&mut little, b"ab").unwrap(), b"\x02\0ab");
    let mut big = Builder::new()
        .length_field_type::<u16>()
        .little_endian()
        .big_endian()
        .new_codec();
    assert_eq!(encode(&mut big, b"ab").unwrap(), b"\0\x02ab");
    let mut native = Builder::new()
        .length_field_type::<u16>()
        .native_endian()
        .new_codec();
    let mut expected = 2u16.to_ne_bytes().to_vec();
    expected.extend_from_slice(b"ab");
    assert_eq!(encode(&mut native, b"ab").unwrap(), expected);
}

#[test]
fn length_field_type_is_the_width_of_the_type() {
    let widths = [
        (1, Builder::new().length_field_type::<u8>().new_codec()),
        (2, Builder::new().length_field_type::<u16>().new_codec()),
        (4, Builder::new().length_field_type::<u32>().new_codec()),
        (8, Builder::new().length_field_type::<u64>().new_codec()),
        (
            std::mem::size_of::<usize>(),
            Builder::new().length_field_type::<usize>().new_codec(),
        ),
    ];
    for (width, mut codec) in widths {
        let wire = encode(&mut codec, b"x").unwrap();
        assert_eq!(wire.len(), width + 1);
        assert_eq!(wire[width - 1], 1);
    }
}

#[test]
#[should_panic(expected = "invalid length field length")]
fn a_length_field_of_0_bytes_panics() {
    Builder::new().length_field_length(0);
}

#[test]
#[should_panic(expected = "invalid length field length")]
fn a_length_field_of_9_bytes_panics() {
    Builder::new().length_field_length(9);
}

#[test]
fn the_maximum_is_clamped_to_what_the_field_carries_plus_the_adjustment() {
    let max = |builder: &mut Builder| builder.new_codec().max_frame_length();
    assert_eq!(
        max(Builder::new()
            .length_field_type::<u8>()
            .max_frame_length(usize::MAX)),
        255
    );
    assert_eq!(
        max(Builder::new()
            .length_field_type::<u16>()
            .max_frame_length(usize::MAX)),
        65535
    );
    assert_eq!(
        max(Builder::new()
            .length_field_length(3)
            .max_frame_length(usize::MAX)),
        0xFF_FFFF
    );
    assert_eq!(
        max(Builder::new()
            .length_field_type::<u64>()
            .max_frame_length(usize::MAX)),
        usize::MAX
    );
    assert_eq!(
        max(Builder::new()
            .length_field_type::<u8>()
            .length_adjustment(-10)
            .max_frame_length(usize::MAX)),
        245
    );
    assert_eq!(
        max(Builder::new()
            .length_field_type::<u16>()
            .length_adjustment(10)
            .max_frame_length(usize::MAX)),
        65545
    );
    assert_eq!(
        max(Builder::new()
            .length_field_type::<u16>()
            .max_frame_length(300)),
        300
    );
    // And set later, the same clamp.
    let mut codec = Builder::new().length_field_type::<u16>().new_codec();
    codec.set_max_frame_length(usize::MAX);
    assert_eq!(codec.max_frame_length(), 65535);
}

// ---------------------------------------------------------------------------------------------
// Decoding on the core decoder

#[test]
fn the_maximum_reads_back_and_bounds_both_ways() {
    let mut codec = Builder::new().max_frame_length(3).new_codec();
    assert_eq!(codec.max_frame_length(), 3);
    let err = decode(&mut codec, &mut buf(b"\0\0\0\x04abcd")).unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidData, 4, 3));
    let err = encode(&mut codec, b"abcd").unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidInput, 4, 3));
    assert_eq!(
        decode(&mut codec, &mut buf(b"\0\0\0\x03abc"))
            .unwrap()
            .unwrap(),
        b"abc"
    );
    assert_eq!(encode(&mut codec, b"abc").unwrap(), b"\0\0\0\x03abc");

    codec.set_max_frame_length(4);
    assert_eq!(codec.max_frame_length(), 4);
    assert_eq!(
        decode(&mut codec, &mut buf(b"\0\0\0\x04abcd"))
            .unwrap()
            .unwrap(),
        b"abcd"
    );
    assert_eq!(encode(&mut codec, b"abcd").unwrap(), b"\0\0\0\x04abcd");
    codec.set_max_frame_length(2);
    let err = decode(&mut codec, &mut buf(b"\0\0\0\x03abc")).unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidData, 3, 2));
    let err = encode(&mut codec, b"abc").unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidInput, 3, 2));
}

#[test]
fn frames_come_one_at_a_time_and_a_partial_one_waits() {
    let mut codec = LengthDelimitedCodec::new();
    let mut wire = buf(b"\0\0\0\x01a\0\0\0\x02bc\0\0");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"a");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"bc");
    assert_eq!(decode(&mut codec, &mut wire).unwrap(), None);
    assert_eq!(&wire[..], b"\0\0");
    wire.extend_from_slice(b"\0\x01");
    assert_eq!(decode(&mut codec, &mut wire).unwrap(), None);
    wire.extend_from_slice(b"d");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"d");
    assert!(wire.is_empty());
}

#[test]
fn the_end_of_the_stream_inside_a_frame_is_bytes_remaining() {
    let mut codec = LengthDelimitedCodec::new();
    let mut wire = buf(b"\0\0\0\x03ab");
    let err = codec.decode_eof(&mut wire).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
    assert_eq!(err.to_string(), "bytes remaining on stream");
}

#[test]
fn the_offset_bytes_stay_in_the_frame_when_num_skip_keeps_them() {
    // Offset 2, a 1-byte field, the whole header kept: the length counts from the start.
    let mut codec = Builder::new()
        .length_field_offset(2)
        .length_field_type::<u8>()
        .num_skip(0)
        .length_adjustment(3)
        .new_codec();
    let mut wire = buf(b"xy\x02abz");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"xy\x02ab");
    assert_eq!(&wire[..], b"z");
    // By default the whole header is stripped.
    let mut codec = Builder::new()
        .length_field_offset(2)
        .length_field_type::<u8>()
        .new_codec();
    let mut wire = buf(b"xy\x02abz");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"ab");
    assert_eq!(&wire[..], b"z");
}

#[test]
fn num_skip_past_the_header_waits_for_its_bytes_before_reading_the_length() {
    // The length is read only once the 4 `num_skip` bytes are in: 0xFF over the maximum is not
    // an error before that.
    let mut codec = Builder::new()
        .length_field_type::<u8>()
        .num_skip(4)
        .max_frame_length(10)
        .new_codec();
    let mut wire = buf(b"\xff\0\0");
    assert_eq!(decode(&mut codec, &mut wire).unwrap(), None);
    assert_eq!(&wire[..], b"\xff\0\0");
    wire.extend_from_slice(b"\0");
    let err = decode(&mut codec, &mut wire).unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidData, 255, 10));

    // A frame of exactly `num_skip` bytes (length 0) comes out empty as soon as they are in.
    let mut codec = Builder::new()
        .length_field_type::<u8>()
        .num_skip(4)
        .new_codec();
    let mut wire = buf(b"\0ab");
    assert_eq!(decode(&mut codec, &mut wire).unwrap(), None);
    wire.extend_from_slice(b"c");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"");
    assert!(wire.is_empty());
    // The length counts from the end of the `num_skip` bytes.
    let mut wire = buf(b"\x02abcdez");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"de");
    assert_eq!(&wire[..], b"z");
}

#[test]
fn the_maximum_applies_to_a_header_read_before_all_the_num_skip_bytes_are_in() {
    // The length field is in, the 4 `num_skip` bytes are not: the header is not read yet, so
    // a maximum lowered now applies to it.
    let mut codec = Builder::new()
        .length_field_type::<u8>()
        .num_skip(4)
        .new_codec();
    let mut wire = buf(b"\x05ab");
    assert_eq!(decode(&mut codec, &mut wire).unwrap(), None);
    codec.set_max_frame_length(2);
    wire.extend_from_slice(b"c12345");
    let err = decode(&mut codec, &mut wire).unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidData, 5, 2));
}

#[test]
fn an_adjustment_is_added_to_the_value_read() {
    let mut codec = Builder::new()
        .length_field_type::<u8>()
        .length_adjustment(2)
        .new_codec();
    let mut wire = buf(b"\x01abcz");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"abc");
    assert_eq!(&wire[..], b"z");
    assert_eq!(encode(&mut codec, b"abc").unwrap(), b"\x01abc");
    let err = encode(&mut codec, b"a").unwrap_err();
    assert!(is_overflow(&err), "{err:?}");

    let mut codec = Builder::new()
        .length_field_type::<u8>()
        .length_adjustment(-2)
        .new_codec();
    let mut wire = buf(b"\x05abcz");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"abc");
    assert_eq!(&wire[..], b"z");
    assert_eq!(encode(&mut codec, b"abc").unwrap(), b"\x05abc");
    // A value that the adjustment makes negative.
    let err = decode(&mut codec, &mut buf(b"\x01abc")).unwrap_err();
    assert!(is_overflow(&err), "{err:?}");
}

#[test]
fn the_maximum_bounds_the_value_read_not_the_adjusted_length() {
    // A positive adjustment: the value 3 passes a maximum of 3 (5 bytes follow), 4 does not.
    let mut codec = Builder::new()
        .length_field_type::<u8>()
        .length_adjustment(2)
        .max_frame_length(3)
        .new_codec();
    let mut wire = buf(b"\x03abcde");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"abcde");
    let err = decode(&mut codec, &mut buf(b"\x04abcdef")).unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidData, 4, 3));

    // A negative adjustment larger than the maximum: the value 5 (0 bytes) is over 3.
    let mut codec = Builder::new()
        .length_field_type::<u8>()
        .length_adjustment(-5)
        .max_frame_length(3)
        .new_codec();
    assert_eq!(codec.max_frame_length(), 3);
    let err = decode(&mut codec, &mut buf(b"\x05")).unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidData, 5, 3));
    let err = decode(&mut codec, &mut buf(b"\x04")).unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidData, 4, 3));
    let err = decode(&mut codec, &mut buf(b"\x03")).unwrap_err();
    assert!(is_overflow(&err), "{err:?}");
}

#[test]
fn an_empty_frame_shorter_than_its_header() {
    // Offset 2, a 1-byte field, nothing stripped, adjustment -4: the value 4 is a frame of 0
    // bytes (tokio-util hands it out and leaves the header in the buffer).
    let mut codec = Builder::new()
        .length_field_offset(2)
        .length_field_type::<u8>()
        .num_skip(0)
        .length_adjustment(-4)
        .max_frame_length(5)
        .new_codec();
    let mut wire = buf(b"xy\x04");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"");
    assert_eq!(&wire[..], b"xy\x04");
    let mut wire = buf(b"xy\x05");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"x");
    assert_eq!(&wire[..], b"y\x05");
}

#[test]
fn a_maximum_lowered_mid_frame_applies_from_the_next_header() {
    let mut codec = LengthDelimitedCodec::new();
    let mut wire = buf(b"\0\0\0\x03ab");
    assert_eq!(decode(&mut codec, &mut wire).unwrap(), None);
    codec.set_max_frame_length(1);
    wire.extend_from_slice(b"c\0\0\0\x02de");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"abc");
    let err = decode(&mut codec, &mut wire).unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidData, 2, 1));

    // The same after offset bytes.
    let mut codec = Builder::new()
        .length_field_offset(2)
        .length_field_type::<u8>()
        .new_codec();
    let mut wire = buf(b"xy\x01");
    assert_eq!(decode(&mut codec, &mut wire).unwrap(), None);
    codec.set_max_frame_length(0);
    wire.extend_from_slice(b"a");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), b"a");
    assert!(wire.is_empty());
}

#[test]
fn an_8_byte_length_past_what_memory_holds_is_too_big() {
    let mut codec = Builder::new()
        .length_field_type::<u64>()
        .max_frame_length(usize::MAX)
        .new_codec();
    assert_eq!(codec.max_frame_length(), usize::MAX);
    let err = decode(&mut codec, &mut buf(&[0xFF; 8])).unwrap_err();
    assert_eq!(
        too_big(&err),
        (ErrorKind::InvalidData, u64::MAX, usize::MAX)
    );
    // Within the limit: the frame waits for its bytes.
    let value = MAX_FRAME_LEN_LIMIT as u64;
    assert_eq!(
        decode(&mut codec, &mut buf(&value.to_be_bytes())).unwrap(),
        None
    );
    // A value that the adjustment takes past `usize::MAX`.
    let mut codec = Builder::new()
        .length_field_type::<u64>()
        .length_adjustment(1)
        .max_frame_length(usize::MAX)
        .new_codec();
    let err = decode(&mut codec, &mut buf(&[0xFF; 8])).unwrap_err();
    assert!(is_overflow(&err), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Settings the core has no codec for: an adjustment larger than a 1-byte field's values

/// A 1-byte field and an adjustment of 1000: the core takes no such codec, both ways.
fn wide_adjustment(max: usize) -> LengthDelimitedCodec {
    let codec = Builder::new()
        .length_field_type::<u8>()
        .length_adjustment(1000)
        .max_frame_length(max)
        .new_codec();
    assert!(codec.decoder.is_none() && codec.encoder.is_none());
    codec
}

#[test]
fn decoding_with_no_core_decoder_follows_tokio_utils_rules() {
    let mut codec = wide_adjustment(5);
    assert_eq!(codec.max_frame_length(), 5);
    assert_eq!(decode(&mut codec, &mut BytesMut::new()).unwrap(), None);
    // The value 5 is 1005 bytes after the header.
    let mut frame = vec![5u8];
    frame.extend((0..1005).map(|i| i as u8));
    let mut wire = buf(&frame[..1005]);
    assert_eq!(decode(&mut codec, &mut wire).unwrap(), None);
    assert_eq!(wire.len(), 1005);
    let mut wire = buf(&frame);
    wire.extend_from_slice(b"\x04");
    assert_eq!(decode(&mut codec, &mut wire).unwrap().unwrap(), &frame[1..]);
    assert_eq!(&wire[..], b"\x04");
    // 4 is within the maximum too; 6 is over it.
    wire.extend_from_slice(&[7; 1004]);
    assert_eq!(
        decode(&mut codec, &mut wire).unwrap().unwrap(),
        vec![7; 1004]
    );
    let err = decode(&mut codec, &mut buf(b"\x06")).unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidData, 6, 5));
}

#[test]
fn decoding_with_no_core_decoder_and_num_skip() {
    let mut codec = Builder::new()
        .length_field_type::<u8>()
        .length_adjustment(1000)
        .num_skip(3)
        .new_codec();
    assert!(codec.decoder.is_none());
    assert_eq!(decode(&mut codec, &mut buf(b"\x01a")).unwrap(), None);
    let mut frame = b"\x01ab".to_vec();
    frame.extend([9; 1001]);
    let mut wire = buf(&frame);
    wire.extend_from_slice(b"z");
    assert_eq!(
        decode(&mut codec, &mut wire).unwrap().unwrap(),
        vec![9; 1001]
    );
    assert_eq!(&wire[..], b"z");
}

#[test]
fn decoding_with_no_core_decoder_and_a_negative_adjustment() {
    // Every value is under 300: each frame's length is negative, the maximum 0.
    let mut codec = Builder::new()
        .length_field_type::<u8>()
        .length_adjustment(-300)
        .max_frame_length(usize::MAX)
        .new_codec();
    assert!(codec.decoder.is_none());
    assert_eq!(codec.max_frame_length(), 0);
    let err = decode(&mut codec, &mut buf(b"\0")).unwrap_err();
    assert!(is_overflow(&err), "{err:?}");
    let err = decode(&mut codec, &mut buf(b"\x01")).unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidData, 1, 0));
}

#[test]
fn decoding_with_no_core_decoder_a_frame_of_exactly_the_limit_waits() {
    // 1 header byte + value 5 + adjustment: exactly `MAX_FRAME_LEN_LIMIT` bytes.
    let adjustment = (MAX_FRAME_LEN_LIMIT - 6) as isize;
    let mut codec = Builder::new()
        .length_field_type::<u8>()
        .length_adjustment(adjustment)
        .max_frame_length(usize::MAX)
        .new_codec();
    assert!(codec.decoder.is_none());
    assert_eq!(decode(&mut codec, &mut buf(b"\x05")).unwrap(), None);
    let err = decode(&mut codec, &mut buf(b"\x06")).unwrap_err();
    assert_eq!(too_big(&err).0, ErrorKind::InvalidData);
}

#[test]
fn encoding_with_no_core_encoder_follows_tokio_utils_rules() {
    let mut codec = wide_adjustment(1005);
    assert_eq!(codec.max_frame_length(), 1005);
    for len in [1000, 1004, 1005] {
        let payload = vec![3u8; len];
        let mut wire = BytesMut::new();
        codec.encode(&payload[..], &mut wire).unwrap();
        assert_eq!(wire[0] as usize, len - 1000);
        assert_eq!(&wire[1..], &payload[..]);
        // One reservation for the whole frame, not a growth by doubling.
        assert!(wire.capacity() < (len + 1) * 3 / 2, "{}", wire.capacity());
    }
    let mut wire = BytesMut::new();
    let err = codec.encode(&[3u8; 1006][..], &mut wire).unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidInput, 1006, 1005));
    let err = codec.encode(&[3u8; 999][..], &mut wire).unwrap_err();
    assert!(is_overflow(&err), "{err:?}");
    assert!(wire.is_empty());
    // A value the field cannot hold: 0 - (-300).
    let mut codec = Builder::new()
        .length_field_type::<u8>()
        .length_adjustment(-300)
        .max_frame_length(usize::MAX)
        .new_codec();
    assert!(codec.encoder.is_none());
    let err = codec.encode(&[][..], &mut wire).unwrap_err();
    assert!(is_overflow(&err), "{err:?}");
    assert!(wire.is_empty());
}

#[test]
fn encoding_bytes_and_slices_write_the_same() {
    let mut codec = Builder::new().length_field_type::<u16>().new_codec();
    let mut wire = BytesMut::new();
    codec.encode(Bytes::from_static(b"abc"), &mut wire).unwrap();
    codec.encode(&b"de"[..], &mut wire).unwrap();
    assert_eq!(&wire[..], b"\0\x03abc\0\x02de");
    let err = codec
        .encode(Bytes::from(vec![0; 70000]), &mut wire)
        .unwrap_err();
    assert_eq!(too_big(&err), (ErrorKind::InvalidInput, 70000, 65535));
}
