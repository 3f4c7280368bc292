//! The decoder's behaviour, one named test a rule (after tokio-util's `tests/length_delimited.rs`),
//! and property tests that arbitrary bytes and settings never make it panic, loop or allocate.

mod common;

use bytes::{Bytes, BytesMut};
use common::{
    any_codec, buf, chunks, expected_encode_error, expected_guess, payload, roundtrip_codec,
    slice_needed, slice_result, Event,
};
use lenframe::{
    Codec, Decoded, EncodeError, FrameError, LengthField, DEFAULT_MAX_FRAME_LEN,
    MAX_FRAME_LEN_LIMIT,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

/// The default `"<i"` header for a payload of `len` bytes.
fn le(len: u32) -> [u8; 4] {
    len.to_le_bytes()
}

fn frame(len_field: &[u8], body: &[u8]) -> BytesMut {
    let mut out = BytesMut::from(len_field);
    out.extend_from_slice(body);
    out
}

fn codec_with_max(max: usize) -> Codec {
    Codec::builder().max_frame_len(max).build().unwrap()
}

fn skipping_codec(max: usize) -> Codec {
    Codec::builder()
        .max_frame_len(max)
        .skip_oversized(true)
        .build()
        .unwrap()
}

#[test]
fn read_empty_frame() {
    let mut decoder = Codec::default().decoder();
    let mut buf = buf(b"\0\0\0\0");
    assert_eq!(decoder.decode(&mut buf), Ok(Some(Bytes::new())));
    assert!(buf.is_empty());
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(decoder.decode_eof(&mut buf), Ok(None));
}

#[test]
fn read_sticky_packets_glued_into_one_read() {
    let mut decoder = Codec::default().decoder();
    let mut buf = buf(b"\x03\0\0\0aaa\x03\0\0\0aaa\x03\0\0\0aaa\x03\0");
    for _ in 0..3 {
        assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), &b"aaa"[..]);
    }
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(
        &buf[..],
        b"\x03\0",
        "the partial header stays in the buffer"
    );
    assert_eq!(decoder.bytes_needed(&buf), 2);
}

#[test]
fn read_incomplete_head() {
    let header = le(3);
    for n in 0..header.len() {
        let mut decoder = Codec::default().decoder();
        let mut buf = buf(&header[..n]);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(&buf[..], &header[..n], "nothing consumed");
        assert_eq!(decoder.bytes_needed(&buf), 4 - n);
        assert!(!decoder.is_mid_frame());
    }
}

#[test]
fn read_head_and_payload_one_byte_at_a_time() {
    let wire = frame(&le(5), b"hello");
    let mut decoder = Codec::default().decoder();
    let mut buf = BytesMut::new();
    let mut needed = Vec::new();
    for (i, byte) in wire.iter().enumerate() {
        needed.push(decoder.bytes_needed(&buf));
        buf.extend_from_slice(&[*byte]);
        let result = decoder.decode(&mut buf).unwrap();
        assert_eq!(result.is_some(), i == wire.len() - 1, "after byte {i}");
        if let Some(frame) = result {
            assert_eq!(frame, &b"hello"[..]);
        }
    }
    assert_eq!(needed, [4, 3, 2, 1, 5, 4, 3, 2, 1]);
}

#[test]
fn read_incomplete_payload_remembers_the_parsed_header() {
    let mut decoder = Codec::default().decoder();
    let mut buf = frame(&le(5), b"he");
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert!(decoder.is_mid_frame());
    assert_eq!(decoder.bytes_needed(&buf), 3);
    assert_eq!(
        buf.len(),
        6,
        "nothing consumed while the payload is incomplete"
    );
    // The header is parsed once: the decoder does not read it again.
    buf[0] = 0xff;
    buf.extend_from_slice(b"llo");
    assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), &b"hello"[..]);
    assert!(!decoder.is_mid_frame());
}

#[test]
fn decode_splits_the_payload_off_without_copying() {
    let mut buf = BytesMut::with_capacity(64);
    buf.extend_from_slice(b"\x05\0\0\0hello\x01\0\0\0x");
    let start = buf.as_ptr();
    let hello = decoder_frame(&mut Codec::default().decoder(), &mut buf);
    assert_eq!(hello, &b"hello"[..]);
    assert_eq!(
        hello.as_ptr(),
        start.wrapping_add(4),
        "the payload shares the buffer"
    );
    assert_eq!(&buf[..], b"\x01\0\0\0x");
}

fn decoder_frame(decoder: &mut lenframe::FrameDecoder, buf: &mut BytesMut) -> Bytes {
    decoder.decode(buf).unwrap().expect("a whole frame")
}

#[test]
fn read_max_frame_len() {
    let mut decoder = codec_with_max(5).decoder();
    let mut buf = frame(&le(5), b"hello");
    assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), &b"hello"[..]);

    // One over: rejected from the header alone, before any payload byte has arrived.
    let mut buf = buf_of(&le(6));
    assert_eq!(
        decoder.decode(&mut buf),
        Err(FrameError::TooLarge {
            len: 6,
            max: 5,
            guess: None
        })
    );
}

fn buf_of(bytes: &[u8]) -> BytesMut {
    BytesMut::from(bytes)
}

#[test]
fn max_frame_len_counts_the_payload_not_the_header() {
    let codec = Codec::builder()
        .max_frame_len(4)
        .keep_header(true)
        .build()
        .unwrap();
    let mut out = BytesMut::new();
    codec.encoder().encode(b"abcd", &mut out).unwrap();
    assert_eq!(
        codec.encoder().encode(b"abcde", &mut out),
        Err(EncodeError::TooLarge { len: 5, max: 4 })
    );
    let frame = codec.decoder().decode(&mut out).unwrap().unwrap();
    assert_eq!(
        frame,
        &b"\x04\0\0\0abcd"[..],
        "8 bytes with the header, max 4"
    );
}

#[test]
fn decoder_does_not_reserve_the_announced_length() {
    let mut decoder = Codec::default().decoder();
    let announced = DEFAULT_MAX_FRAME_LEN as u32;
    let mut buf = buf_of(&le(announced));
    let capacity = buf.capacity();
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert!(
        buf.capacity() <= capacity,
        "capacity grew to {}",
        buf.capacity()
    );
    assert_eq!(decoder.bytes_needed(&buf), DEFAULT_MAX_FRAME_LEN);

    buf.extend_from_slice(&[7; 1000]);
    let capacity = buf.capacity();
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert!(buf.capacity() <= capacity);
    assert_eq!(decoder.bytes_needed(&buf), DEFAULT_MAX_FRAME_LEN - 1000);
}

#[test]
fn huge_announced_length_under_a_huge_maximum_only_waits() {
    let codec = Codec::builder()
        .length_field(LengthField::from_struct_format("<Q").unwrap())
        .max_frame_len(MAX_FRAME_LEN_LIMIT)
        .build()
        .unwrap();
    let mut decoder = codec.decoder();
    let mut buf = buf_of(&(MAX_FRAME_LEN_LIMIT as u64).to_le_bytes());
    let capacity = buf.capacity();
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(decoder.decode_head(&mut buf), Ok(Some(MAX_FRAME_LEN_LIMIT)));
    assert!(buf.capacity() <= capacity);
    assert_eq!(
        codec.decode_slice(&(MAX_FRAME_LEN_LIMIT as u64).to_le_bytes()),
        Ok(Decoded::Incomplete {
            needed: MAX_FRAME_LEN_LIMIT
        })
    );
}

#[test]
fn after_error_buffer_untouched_and_error_repeats() {
    let mut decoder = Codec::default().decoder();
    let wire = b"\x02\0\0\0ok\xff\xff\xff\xffrest";
    let mut buf = buf_of(wire);
    assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), &b"ok"[..]);
    let err = FrameError::NegativeLength {
        len: -1,
        guess: None,
    };
    assert_eq!(decoder.decode(&mut buf), Err(err.clone()));
    assert_eq!(
        &buf[..],
        &wire[6..],
        "the buffer still starts at the bad header"
    );
    assert!(!decoder.is_mid_frame());
    assert_eq!(decoder.decode(&mut buf), Err(err.clone()));
    assert_eq!(decoder.decode_head(&mut buf), Err(err.clone()));
    assert_eq!(decoder.decode_eof(&mut buf), Err(err.clone()));
    assert_eq!(Codec::default().decode_slice(&buf), Err(err));
    assert_eq!(&buf[..], &wire[6..]);
}

#[test]
fn too_large_fails_fast_by_default() {
    let mut decoder = codec_with_max(3).decoder();
    let mut buf = frame(&le(4), b"abcd");
    let err = FrameError::TooLarge {
        len: 4,
        max: 3,
        guess: None,
    };
    assert_eq!(decoder.decode(&mut buf), Err(err.clone()));
    assert_eq!(decoder.decode(&mut buf), Err(err));
    assert_eq!(buf.len(), 8, "nothing consumed");
}

#[test]
fn skip_oversized_then_next_frame() {
    let mut decoder = skipping_codec(3).decoder();
    let mut buf = frame(&le(5), b"hel");
    assert_eq!(
        decoder.decode(&mut buf),
        Err(FrameError::TooLarge {
            len: 5,
            max: 3,
            guess: None
        })
    );
    assert_eq!(&buf[..], b"hel", "only the header is consumed by the error");
    assert!(decoder.is_mid_frame());
    assert_eq!(
        decoder.bytes_needed(&buf),
        2,
        "counts what the buffer already holds"
    );

    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert!(buf.is_empty(), "the body is discarded as it arrives");
    assert_eq!(decoder.bytes_needed(&buf), 2);

    buf.extend_from_slice(b"lo\x02\0\0\0ok");
    assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), &b"ok"[..]);
    assert!(buf.is_empty());
    assert!(!decoder.is_mid_frame());
}

#[test]
fn skip_oversized_when_the_whole_frame_is_buffered() {
    let mut decoder = skipping_codec(3).decoder();
    let mut buf = frame(&le(4), b"abcd");
    buf.extend_from_slice(b"\x03\0\0\0xyz\x04\0\0\0");
    assert_eq!(
        decoder.decode(&mut buf),
        Err(FrameError::TooLarge {
            len: 4,
            max: 3,
            guess: None
        })
    );
    assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), &b"xyz"[..]);
    assert_eq!(
        decoder.decode(&mut buf),
        Err(FrameError::TooLarge {
            len: 4,
            max: 3,
            guess: None
        })
    );
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(
        decoder.decode_eof(&mut buf),
        Err(FrameError::Truncated {
            expected: 8,
            got: 4,
            guess: None,
        })
    );
}

#[test]
fn skip_oversized_eof_inside_skipped_body_is_truncated() {
    let mut decoder = skipping_codec(3).decoder();
    let mut buf = frame(&le(5), b"hel");
    assert!(decoder.decode(&mut buf).is_err());
    let truncated = FrameError::Truncated {
        expected: 9,
        got: 7,
        guess: None,
    };
    assert_eq!(decoder.decode_eof(&mut buf), Err(truncated.clone()));
    assert_eq!(decoder.decode_eof(&mut buf), Err(truncated));
}

#[test]
fn skip_oversized_still_fails_fast_on_other_errors() {
    let mut decoder = skipping_codec(3).decoder();
    let mut buf = buf_of(b"\xfe\xff\xff\xffabc");
    let err = FrameError::NegativeLength {
        len: -2,
        guess: None,
    };
    assert_eq!(decoder.decode(&mut buf), Err(err.clone()));
    assert_eq!(decoder.decode(&mut buf), Err(err));
    assert_eq!(buf.len(), 7);
}

#[test]
fn skip_oversized_does_not_apply_to_the_stateless_decode_slice() {
    let codec = skipping_codec(3);
    let wire = b"\x04\0\0\0abcd\x01\0\0\0x";
    let err = Err(FrameError::TooLarge {
        len: 4,
        max: 3,
        guess: None,
    });
    assert_eq!(codec.decode_slice(wire), err);
    assert_eq!(
        codec.decode_slice(wire),
        err,
        "no state: the same error again"
    );
}

#[test]
fn stateful_decode_slice_skips_an_oversized_frame_for_the_caller_to_drop() {
    let mut decoder = skipping_codec(3).decoder();
    let wire = b"\x05\0\0\0hel";
    let err = Err(FrameError::TooLarge {
        len: 5,
        max: 3,
        guess: None,
    });
    assert_eq!(decoder.decode_slice(wire), err);
    assert_eq!(
        (decoder.skip_remaining(), decoder.skip_frame_len()),
        (Some(9), Some(9))
    );
    // The header and the body so far are the caller's to drop.
    assert_eq!(
        decoder.decode_slice(wire),
        Ok(Decoded::Skipped { consumed: 7 })
    );
    assert_eq!(decoder.skip_remaining(), Some(2));
    assert_eq!(
        decoder.decode_slice(b""),
        Ok(Decoded::Incomplete { needed: 2 })
    );
    assert_eq!(decoder.bytes_needed(b""), 2);
    let rest = b"lo\x02\0\0\0ok";
    assert_eq!(
        decoder.decode_slice(rest),
        Ok(Decoded::Skipped { consumed: 2 })
    );
    assert_eq!(decoder.skip_remaining(), None);
    assert!(!decoder.is_mid_frame());
    assert_eq!(
        decoder.decode_slice(&rest[2..]),
        Ok(Decoded::Frame {
            frame: &b"ok"[..],
            consumed: 6
        })
    );
}

#[test]
fn stateful_decode_slice_skips_a_whole_buffered_frame_in_one_call() {
    let mut decoder = skipping_codec(3).decoder();
    let wire = b"\x04\0\0\0abcd\x03\0\0\0xyz";
    assert!(decoder.decode_slice(wire).is_err());
    assert_eq!(
        decoder.decode_slice(wire),
        Ok(Decoded::Skipped { consumed: 8 })
    );
    assert_eq!(
        decoder.decode_slice(&wire[8..]),
        Ok(Decoded::Frame {
            frame: &b"xyz"[..],
            consumed: 7
        })
    );
}

#[test]
fn stateful_decode_slice_fails_fast_without_skip_oversized() {
    let mut decoder = codec_with_max(3).decoder();
    let wire = b"\x04\0\0\0abcd";
    let err = Err(FrameError::TooLarge {
        len: 4,
        max: 3,
        guess: None,
    });
    assert_eq!(decoder.decode_slice(wire), err);
    assert_eq!(
        decoder.decode_slice(wire),
        err,
        "nothing to drop, the same error"
    );
    assert!(!decoder.is_mid_frame());
}

#[test]
fn stateful_decode_slice_remembers_a_parsed_header() {
    let mut decoder = Codec::default().decoder();
    let wire = b"\x05\0\0\0hello";
    assert_eq!(
        decoder.decode_slice(&wire[..6]),
        Ok(Decoded::Incomplete { needed: 3 })
    );
    assert!(decoder.is_mid_frame());
    // A maximum lowered now applies from the next header, not to this frame.
    decoder.set_max_frame_len(2);
    assert_eq!(
        decoder.decode_slice(wire),
        Ok(Decoded::Frame {
            frame: &b"hello"[..],
            consumed: 9
        })
    );
    assert!(matches!(
        decoder.decode_slice(wire),
        Err(FrameError::TooLarge { len: 5, max: 2, .. })
    ));
}

#[test]
fn stateful_decode_slice_remembers_a_header_as_soon_as_it_is_whole() {
    let wire = b"\x05\0\0\0hello";
    let mut decoder = Codec::default().decoder();
    // Three bytes of a 4-byte header: nothing parsed yet.
    assert_eq!(
        decoder.decode_slice(&wire[..3]),
        Ok(Decoded::Incomplete { needed: 1 })
    );
    assert!(!decoder.is_mid_frame());
    // The whole header and no payload: parsed, and the frame's length kept.
    assert_eq!(
        decoder.decode_slice(&wire[..4]),
        Ok(Decoded::Incomplete { needed: 5 })
    );
    assert!(decoder.is_mid_frame());
    decoder.set_max_frame_len(2);
    assert_eq!(
        decoder.decode_slice(&wire[..8]),
        Ok(Decoded::Incomplete { needed: 1 })
    );
    assert_eq!(
        decoder.decode_slice(wire),
        Ok(Decoded::Frame {
            frame: &b"hello"[..],
            consumed: 9
        })
    );
    assert!(!decoder.is_mid_frame());
}

#[test]
fn stateful_decode_slice_and_decode_share_their_state() {
    let mut decoder = Codec::default().decoder();
    let mut buf = buf_of(b"\x05\0\0\0he");
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    buf.extend_from_slice(b"llo");
    assert_eq!(
        decoder.decode_slice(&buf),
        Ok(Decoded::Frame {
            frame: &b"hello"[..],
            consumed: 9
        })
    );
    assert!(!decoder.is_mid_frame());
}

#[test]
fn decode_head_skips_oversized_frames_too() {
    let mut decoder = skipping_codec(3).decoder();
    let mut buf = frame(&le(4), b"abcd\x02\0\0\0ok");
    assert_eq!(
        decoder.decode_head(&mut buf),
        Err(FrameError::TooLarge {
            len: 4,
            max: 3,
            guess: None
        })
    );
    assert_eq!(decoder.decode_head(&mut buf), Ok(Some(2)));
    assert_eq!(&buf[..], b"ok");
}

#[test]
fn decode_eof_on_boundary() {
    let mut decoder = Codec::default().decoder();
    let mut buf = frame(&le(1), b"a");
    buf.extend_from_slice(b"\x01\0\0\0b");
    assert_eq!(decoder.decode_eof(&mut buf).unwrap().unwrap(), &b"a"[..]);
    assert_eq!(decoder.decode_eof(&mut buf).unwrap().unwrap(), &b"b"[..]);
    assert_eq!(decoder.decode_eof(&mut buf), Ok(None));
    assert_eq!(decoder.decode_eof(&mut buf), Ok(None));
}

#[test]
fn decode_eof_on_an_empty_stream_is_a_clean_end() {
    let mut buf = BytesMut::new();
    assert_eq!(Codec::default().decoder().decode_eof(&mut buf), Ok(None));
}

#[test]
fn decode_eof_inside_header_is_truncated() {
    let mut decoder = Codec::default().decoder();
    let mut buf = buf_of(b"\x03\0");
    assert_eq!(
        decoder.decode_eof(&mut buf),
        Err(FrameError::Truncated {
            expected: 4,
            got: 2,
            guess: None,
        })
    );
    assert_eq!(
        &buf[..],
        b"\x03\0",
        "the partial header stays in the buffer"
    );
}

#[test]
fn decode_eof_inside_payload_is_truncated() {
    let mut decoder = Codec::default().decoder();
    let mut buf = frame(&le(5), b"ab");
    let truncated = Err(FrameError::Truncated {
        expected: 9,
        got: 6,
        guess: None,
    });
    assert_eq!(decoder.decode_eof(&mut buf), truncated);
    assert_eq!(buf.len(), 6, "the partial frame stays in the buffer");
    assert_eq!(decoder.decode_eof(&mut buf), truncated);
}

#[test]
fn decode_eof_inside_varint_header_is_truncated() {
    let codec = Codec::builder()
        .length_field(LengthField::VARINT)
        .build()
        .unwrap();
    let mut buf = buf_of(&[0xac]);
    assert_eq!(
        codec.decoder().decode_eof(&mut buf),
        Err(FrameError::Truncated {
            expected: 2,
            got: 1,
            guess: None,
        })
    );
}

#[test]
fn decode_head_streams_payload() {
    let mut decoder = Codec::default().decoder();
    let mut buf = buf_of(b"\x0a\0");
    assert_eq!(decoder.decode_head(&mut buf), Ok(None));
    buf.extend_from_slice(b"\0\x000123");
    assert_eq!(decoder.decode_head(&mut buf), Ok(Some(10)));
    assert!(!decoder.is_mid_frame(), "the payload is the caller's now");
    assert_eq!(&buf[..], b"0123");

    let mut payload = buf.split_to(4).to_vec();
    buf.extend_from_slice(b"456789\x02\0\0\0ok");
    payload.extend_from_slice(&buf.split_to(6));
    assert_eq!(payload, b"0123456789");
    assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), &b"ok"[..]);
}

#[test]
fn decode_head_checks_the_maximum() {
    let mut decoder = codec_with_max(3).decoder();
    let mut buf = frame(&le(4), b"abcd");
    assert_eq!(
        decoder.decode_head(&mut buf),
        Err(FrameError::TooLarge {
            len: 4,
            max: 3,
            guess: None
        })
    );
    assert_eq!(buf.len(), 8);
}

#[test]
fn decode_head_ignores_keep_header() {
    let codec = Codec::builder().keep_header(true).build().unwrap();
    let mut buf = frame(&le(3), b"abc");
    assert_eq!(codec.decoder().decode_head(&mut buf), Ok(Some(3)));
    assert_eq!(&buf[..], b"abc");
}

#[test]
fn decode_head_after_decode_parsed_the_header() {
    let mut decoder = Codec::default().decoder();
    let mut buf = frame(&le(5), b"he");
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(decoder.decode_head(&mut buf), Ok(Some(5)));
    assert_eq!(&buf[..], b"he");
}

#[test]
fn different_max_for_decode_and_encode() {
    let strict_reader = Codec::builder()
        .max_decode_len(10)
        .max_encode_len(20)
        .build()
        .unwrap();
    assert_eq!(strict_reader.max_decode_len(), 10);
    assert_eq!(strict_reader.max_encode_len(), 20);
    let mut wire = BytesMut::new();
    strict_reader.encoder().encode([1; 15], &mut wire).unwrap();
    assert_eq!(
        strict_reader.decoder().decode(&mut wire),
        Err(FrameError::TooLarge {
            len: 15,
            max: 10,
            guess: None
        })
    );

    let strict_writer = Codec::builder()
        .max_decode_len(20)
        .max_encode_len(10)
        .build()
        .unwrap();
    assert_eq!(
        strict_writer
            .encoder()
            .encode([1; 15], &mut BytesMut::new()),
        Err(EncodeError::TooLarge { len: 15, max: 10 })
    );
    assert_eq!(
        strict_writer
            .decoder()
            .decode(&mut wire)
            .unwrap()
            .unwrap()
            .len(),
        15
    );
}

#[test]
fn keep_header_returns_header_bytes() {
    let codec = Codec::builder().keep_header(true).build().unwrap();
    let mut buf = frame(&le(3), b"abc\x00\0\0\0");
    let mut decoder = codec.decoder();
    assert_eq!(
        decoder.decode(&mut buf).unwrap().unwrap(),
        &b"\x03\0\0\0abc"[..]
    );
    assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), &b"\0\0\0\0"[..]);
    assert_eq!(
        codec.decode_slice(b"\x03\0\0\0abc"),
        Ok(Decoded::Frame {
            frame: b"\x03\0\0\0abc",
            consumed: 7
        })
    );
}

fn offset_codec(keep_header: bool) -> Codec {
    Codec::builder()
        .length_field(LengthField::from_struct_format("<H").unwrap())
        .length_field_offset(2)
        .keep_header(keep_header)
        .build()
        .unwrap()
}

#[test]
fn length_field_offset_skips_the_bytes_before_the_length() {
    let codec = offset_codec(false);
    let mut buf = buf_of(b"\xca\xfe\x03\x00abc");
    assert_eq!(
        codec.decoder().decode(&mut buf).unwrap().unwrap(),
        &b"abc"[..]
    );

    let mut header = codec.encoder().header(3).unwrap();
    assert_eq!(&header[..], b"\0\0\x03\0", "the encoder writes zeros there");
    header.prefix_mut().copy_from_slice(&[0xca, 0xfe]);
    assert_eq!(&header[..], b"\xca\xfe\x03\x00");
}

#[test]
fn length_field_offset_with_keep_header_returns_the_prefix_too() {
    let mut buf = buf_of(b"\xca\xfe\x03\x00abc");
    let frame = offset_codec(true)
        .decoder()
        .decode(&mut buf)
        .unwrap()
        .unwrap();
    assert_eq!(frame, &b"\xca\xfe\x03\x00abc"[..]);
}

#[test]
fn length_field_offset_partial_prefix_needs_more() {
    let codec = offset_codec(false);
    let mut decoder = codec.decoder();
    let mut buf = buf_of(b"\xca");
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(decoder.bytes_needed(&buf), 3);
    assert_eq!(
        codec.decode_slice(b"\xca"),
        Ok(Decoded::Incomplete { needed: 3 })
    );
}

fn counting_header(offset: usize, format: &str) -> Codec {
    let field = LengthField::from_struct_format(format).unwrap();
    let header_len = offset + field.width().unwrap();
    Codec::builder()
        .length_field(field)
        .length_field_offset(offset)
        .length_adjustment(-(header_len as i64))
        .build()
        .unwrap()
}

#[test]
fn length_adjustment_counting_the_header() {
    let codec = counting_header(0, "!I");
    let mut buf = buf_of(b"\0\0\0\x07abc");
    assert_eq!(
        codec.decoder().decode(&mut buf).unwrap().unwrap(),
        &b"abc"[..]
    );

    let mut out = BytesMut::new();
    codec.encoder().encode(b"abc", &mut out).unwrap();
    assert_eq!(&out[..], b"\0\0\0\x07abc");

    let mut short = buf_of(b"\0\0\0\x03abc");
    assert_eq!(
        codec.decoder().decode(&mut short),
        Err(FrameError::AdjustedLengthNegative {
            value: 3,
            adjustment: -4
        })
    );
}

#[test]
fn length_adjustment_counting_the_header_and_the_offset() {
    // Netty's "length field counts the whole frame" with a 2-byte tag in front.
    let codec = counting_header(2, ">H");
    let mut out = BytesMut::new();
    codec.encoder().encode(b"hi", &mut out).unwrap();
    assert_eq!(&out[..], b"\0\0\0\x06hi");
    assert_eq!(
        codec.decoder().decode(&mut out).unwrap().unwrap(),
        &b"hi"[..]
    );
    assert_eq!(
        codec.decode_slice(b"\0\0\0\x04"),
        Ok(Decoded::Frame {
            frame: b"",
            consumed: 4
        })
    );
}

#[test]
fn positive_length_adjustment_adds_to_the_payload() {
    // The field counts the body but not a 2-byte trailer that is part of the payload.
    let codec = Codec::builder()
        .length_field(LengthField::from_struct_format("B").unwrap())
        .length_adjustment(2)
        .build()
        .unwrap();
    let mut buf = buf_of(b"\x03abcZZ");
    assert_eq!(
        codec.decoder().decode(&mut buf).unwrap().unwrap(),
        &b"abcZZ"[..]
    );
    assert_eq!(&codec.encoder().header(5).unwrap()[..], b"\x03");
    assert_eq!(
        codec.encoder().header(1),
        Err(EncodeError::Unrepresentable {
            value: -1,
            field: codec.length_field()
        })
    );
}

fn varint_codec() -> Codec {
    Codec::builder()
        .length_field(LengthField::VARINT)
        .build()
        .unwrap()
}

#[test]
fn varint_length_like_protobuf_delimited() {
    let codec = varint_codec();
    let body = vec![9u8; 300];
    let mut wire = BytesMut::new();
    codec.encoder().encode(&body, &mut wire).unwrap();
    assert_eq!(&wire[..2], &[0xac, 0x02]);
    assert_eq!(wire.len(), 302);

    let mut decoder = codec.decoder();
    let mut buf = BytesMut::new();
    assert_eq!(decoder.bytes_needed(&buf), 1);
    buf.extend_from_slice(&wire[..1]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(
        decoder.bytes_needed(&buf),
        1,
        "one more header byte at least"
    );
    buf.extend_from_slice(&wire[1..2]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(
        decoder.bytes_needed(&buf),
        300,
        "exact once the header is in"
    );
    buf.extend_from_slice(&wire[2..]);
    assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), &body[..]);
}

#[test]
fn varint_longer_than_ten_bytes_is_an_error_not_a_wait() {
    let codec = varint_codec();
    let mut decoder = codec.decoder();
    let mut buf = buf_of(&[0x80; 9]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(decoder.bytes_needed(&buf), 1);
    buf.extend_from_slice(&[0x80]);
    assert_eq!(decoder.decode(&mut buf), Err(FrameError::VarintTooLong));
    assert_eq!(buf.len(), 10);
}

#[test]
fn network_order_interoperates_with_tokio_util() {
    use tokio_util::codec::{Decoder as _, Encoder as _, LengthDelimitedCodec};

    let ours = Codec::from_struct_format("!I").unwrap();
    let mut theirs = LengthDelimitedCodec::new();
    let mut wire = BytesMut::new();
    for msg in [&b"hello"[..], b"", b"world"] {
        theirs
            .encode(Bytes::copy_from_slice(msg), &mut wire)
            .unwrap();
    }
    let mut decoder = ours.decoder();
    for msg in [&b"hello"[..], b"", b"world"] {
        assert_eq!(decoder.decode(&mut wire).unwrap().unwrap(), msg);
    }

    for msg in [&b"hello"[..], b"", b"world"] {
        ours.encoder().encode(msg, &mut wire).unwrap();
    }
    for msg in [&b"hello"[..], b"", b"world"] {
        assert_eq!(&theirs.decode(&mut wire).unwrap().unwrap()[..], msg);
    }
    assert!(wire.is_empty());
}

#[test]
fn native_order_is_the_machines_order() {
    let machine = if cfg!(target_endian = "little") {
        "<i"
    } else {
        ">i"
    };
    let expected = LengthField::from_struct_format(machine).unwrap();
    for native in ["i", "=i", "@i"] {
        let field = LengthField::from_struct_format(native).unwrap();
        let mut a = [0; lenframe::MAX_FIELD_LEN];
        let mut b = [0; lenframe::MAX_FIELD_LEN];
        assert_eq!(field.write_len(0x0102_0304, &mut a), Ok(4));
        assert_eq!(expected.write_len(0x0102_0304, &mut b), Ok(4));
        assert_eq!(a, b, "{native:?} writes like {machine:?}");
    }
}

#[test]
fn reset_forgets_a_parsed_header() {
    let mut decoder = Codec::default().decoder();
    let mut buf = frame(&le(100), b"partial");
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert!(decoder.is_mid_frame());
    decoder.reset();
    assert!(!decoder.is_mid_frame());
    let mut fresh = frame(&le(2), b"ok");
    assert_eq!(decoder.decode(&mut fresh).unwrap().unwrap(), &b"ok"[..]);
}

#[test]
fn every_struct_code_frames_the_largest_length_it_can_hold_within_the_maximum() {
    for (format, max) in [("b", 127usize), ("B", 255), ("h", 32767), ("H", 65535)] {
        let codec = Codec::from_struct_format(format).unwrap();
        let body = vec![5u8; max];
        let mut wire = BytesMut::new();
        codec.encoder().encode(&body, &mut wire).unwrap();
        assert!(matches!(
            codec.encoder().header(max + 1),
            Err(EncodeError::Unrepresentable { .. })
        ));
        assert_eq!(
            codec.decoder().decode(&mut wire).unwrap().unwrap(),
            &body[..]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Properties over arbitrary input.

/// A piece of an arbitrary stream: mostly plausible, sometimes garbage.
#[derive(Clone, Debug)]
enum Segment {
    Garbage(Vec<u8>),
    /// A real frame (if the settings can frame `len` bytes; else its body alone).
    Frame {
        len: usize,
        seed: u64,
    },
    /// A header announcing an arbitrary length, with `tag` before the length field.
    Header {
        value: u64,
        tag: u8,
    },
    /// Varint continuation bytes.
    Continuations(Vec<u8>),
}

fn segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        2 => vec(any::<u8>(), 0..24).prop_map(Segment::Garbage),
        6 => (prop_oneof![0usize..64, 0usize..600], any::<u64>())
            .prop_map(|(len, seed)| Segment::Frame { len, seed }),
        1 => (any::<u64>(), any::<u8>()).prop_map(|(value, tag)| Segment::Header { value, tag }),
        1 => vec(prop_oneof![0x80u8..=0xff, Just(0x80), Just(0x81)], 0..32)
            .prop_map(Segment::Continuations),
    ]
}

fn build_wire(codec: &Codec, segments: &[Segment]) -> Vec<u8> {
    let encoder = codec
        .to_builder()
        .max_encode_len(MAX_FRAME_LEN_LIMIT)
        .build()
        .unwrap()
        .encoder();
    let field = codec.length_field();
    let mut wire = Vec::new();
    for segment in segments {
        match segment {
            Segment::Garbage(bytes) | Segment::Continuations(bytes) => {
                wire.extend_from_slice(bytes)
            }
            Segment::Frame { len, seed } => {
                if let Ok(header) = encoder.header(*len) {
                    wire.extend_from_slice(&header);
                }
                wire.extend_from_slice(&payload(*len, *seed));
            }
            Segment::Header { value, tag } => {
                wire.extend(std::iter::repeat(*tag).take(codec.length_field_offset()));
                let value = match field.max_value() {
                    u64::MAX => *value,
                    max => value % (max + 1),
                };
                let mut out = [0; lenframe::MAX_FIELD_LEN];
                let n = field.write_len(value, &mut out).unwrap();
                wire.extend_from_slice(&out[..n]);
            }
        }
    }
    wire
}

/// Runs `FrameDecoder::decode` over the chunks, checking the invariants after every call.
fn run_decode(codec: &Codec, pieces: &[&[u8]]) -> Result<Vec<Event>, TestCaseError> {
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    let mut decoder = codec.decoder();
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    let mut calls = 0;
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            // Every call that does not return Ok(None) or stop consumes at least one byte.
            calls += 1;
            prop_assert!(
                calls <= total + pieces.len(),
                "decode is not making progress"
            );
            let before = Bytes::copy_from_slice(&buf);
            let capacity = buf.capacity();
            // The borrowed path has no state: it agrees unless an oversized body is being skipped.
            let comparable = !decoder.is_mid_frame() || !codec.skips_oversized();
            let borrowed = comparable.then(|| slice_result(codec, &buf));
            let result = decoder.decode(&mut buf);
            prop_assert!(buf.capacity() <= capacity, "decode grew the buffer");
            if let Some(borrowed) = borrowed {
                let consumed = before.len() - buf.len();
                let ours = result.clone().map(|f| f.map(|frame| (frame, consumed)));
                prop_assert_eq!(ours, borrowed);
            }
            match result {
                Ok(Some(frame)) => {
                    prop_assert!(before.len() - buf.len() >= codec.min_header_len());
                    events.push(Event::Frame(frame));
                }
                Ok(None) => {
                    let needed = decoder.bytes_needed(&buf);
                    prop_assert!(needed >= 1, "bytes_needed is 0 after Ok(None)");
                    if comparable {
                        prop_assert_eq!(slice_needed(codec, &buf), Some(needed));
                    }
                    break;
                }
                Err(err @ FrameError::TooLarge { .. }) if codec.skips_oversized() => {
                    prop_assert!(before.len() - buf.len() >= codec.min_header_len());
                    events.push(Event::Error(err));
                }
                Err(err) => {
                    // Nothing of the bad frame is consumed. (In skip mode the same call may
                    // first have finished discarding an oversized body.)
                    if codec.skips_oversized() {
                        prop_assert!(before.ends_with(&buf), "a failed decode consumed bytes");
                    } else {
                        prop_assert_eq!(&buf[..], &before[..], "a failed decode consumed bytes");
                    }
                    // A bad length names the likely cause, from the header's bytes alone.
                    if let FrameError::TooLarge { guess, .. }
                    | FrameError::NegativeLength { guess, .. } = &err
                    {
                        prop_assert_eq!(*guess, expected_guess(codec, &buf));
                    }
                    let after = Bytes::copy_from_slice(&buf);
                    prop_assert_eq!(decoder.decode(&mut buf), Err(err.clone()));
                    prop_assert_eq!(decoder.decode_eof(&mut buf), Err(err.clone()));
                    prop_assert_eq!(codec.decode_slice(&buf), Err(err.clone()));
                    prop_assert_eq!(&buf[..], &after[..]);
                    events.push(Event::Error(err));
                    return Ok(events);
                }
            }
        }
    }
    match decoder.decode_eof(&mut buf) {
        Ok(None) => {
            prop_assert!(buf.is_empty());
            prop_assert!(!decoder.is_mid_frame());
        }
        Err(FrameError::Truncated {
            expected,
            got,
            guess: None,
        }) => {
            prop_assert!(expected > got);
            let again = decoder.decode_eof(&mut buf);
            prop_assert_eq!(
                again,
                Err(FrameError::Truncated {
                    expected,
                    got,
                    guess: None
                })
            );
        }
        other => {
            return Err(TestCaseError::fail(format!(
                "decode said Ok(None), decode_eof said {other:?}"
            )))
        }
    }
    Ok(events)
}

/// Runs the stateful `FrameDecoder::decode_slice` over the chunks, with a buffer the caller owns
/// and drops bytes from as the results say.
fn run_decode_slice(codec: &Codec, pieces: &[&[u8]]) -> Result<Vec<Event>, TestCaseError> {
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    let mut decoder = codec.decoder();
    let mut buf: Vec<u8> = Vec::new();
    let mut events = Vec::new();
    let mut calls = 0;
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            // Each call consumes a byte, ends the piece, or is a TooLarge followed by one.
            calls += 1;
            prop_assert!(
                calls <= 2 * (total + pieces.len()) + 1,
                "decode_slice is not making progress"
            );
            match decoder.decode_slice(&buf) {
                Ok(Decoded::Frame { frame, consumed }) => {
                    prop_assert!(consumed >= codec.min_header_len() && consumed <= buf.len());
                    events.push(Event::Frame(Bytes::copy_from_slice(frame)));
                    buf.drain(..consumed);
                }
                Ok(Decoded::Skipped { consumed }) => {
                    prop_assert!(codec.skips_oversized());
                    prop_assert!(consumed >= 1 && consumed <= buf.len());
                    buf.drain(..consumed);
                }
                Ok(Decoded::Incomplete { needed }) => {
                    prop_assert!(needed >= 1);
                    prop_assert_eq!(needed, decoder.bytes_needed(&buf));
                    break;
                }
                Err(err @ FrameError::TooLarge { .. }) if codec.skips_oversized() => {
                    prop_assert!(decoder.skip_remaining().is_some());
                    events.push(Event::Error(err));
                }
                Err(err) => {
                    prop_assert_eq!(decoder.decode_slice(&buf), Err(err.clone()));
                    prop_assert!(!decoder.is_mid_frame());
                    events.push(Event::Error(err));
                    return Ok(events);
                }
            }
        }
    }
    Ok(events)
}

/// Runs `FrameDecoder::decode_head` over the chunks, the caller consuming each payload itself.
fn run_decode_head(codec: &Codec, pieces: &[&[u8]]) -> Result<Vec<Event>, TestCaseError> {
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    let mut decoder = codec.decoder();
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    let mut pending: Option<(usize, Vec<u8>)> = None;
    let mut calls = 0;
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            if let Some((left, mut body)) = pending.take() {
                let n = left.min(buf.len());
                body.extend_from_slice(&buf.split_to(n));
                if left > n {
                    pending = Some((left - n, body));
                    break;
                }
                events.push(Event::Frame(body.into()));
            }
            calls += 1;
            prop_assert!(
                calls <= total + pieces.len(),
                "decode_head is not making progress"
            );
            let before = Bytes::copy_from_slice(&buf);
            let capacity = buf.capacity();
            let result = decoder.decode_head(&mut buf);
            prop_assert!(buf.capacity() <= capacity, "decode_head grew the buffer");
            match result {
                Ok(Some(len)) => {
                    prop_assert!(before.len() - buf.len() >= codec.min_header_len());
                    prop_assert!(len <= codec.max_decode_len());
                    pending = Some((len, Vec::new()));
                }
                Ok(None) => break,
                Err(err @ FrameError::TooLarge { .. }) if codec.skips_oversized() => {
                    events.push(Event::Error(err));
                }
                Err(err) => {
                    if !codec.skips_oversized() {
                        prop_assert_eq!(
                            &buf[..],
                            &before[..],
                            "a failed decode_head consumed bytes"
                        );
                    }
                    let after = Bytes::copy_from_slice(&buf);
                    prop_assert_eq!(decoder.decode_head(&mut buf), Err(err.clone()));
                    prop_assert_eq!(&buf[..], &after[..]);
                    events.push(Event::Error(err));
                    return Ok(events);
                }
            }
        }
    }
    Ok(events)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_input_never_panics_loops_or_grows_the_buffer(
        codec in any_codec(),
        segments in vec(segment(), 0..16),
        cuts in vec(any::<Index>(), 0..24),
        byte_at_a_time in proptest::bool::weighted(0.15),
    ) {
        let wire = build_wire(&codec, &segments);
        let pieces = chunks(&wire, &cuts, byte_at_a_time);
        let decoded = run_decode(&codec, &pieces)?;
        let streamed = run_decode_head(&codec, &pieces)?;

        // The stateful borrowed path gives the same frames and errors, skipping included.
        let sliced = run_decode_slice(&codec, &pieces)?;
        prop_assert_eq!(&sliced, &decoded);

        // decode_head and the caller's own payload reads see the same frames and errors.
        prop_assert_eq!(decoded.len(), streamed.len());
        for (whole, head) in decoded.iter().zip(&streamed) {
            match (whole, head) {
                (Event::Frame(frame), Event::Frame(payload)) if codec.keeps_header() => {
                    prop_assert!(frame.ends_with(payload));
                    prop_assert!(frame.len() - payload.len() >= codec.min_header_len());
                }
                (whole, head) => prop_assert_eq!(whole, head),
            }
        }

        // decode_slice and decode_eof on the whole input, in one piece, never panic either.
        let _ = codec.decode_slice(&wire);
        let mut buf = BytesMut::from(&wire[..]);
        let _ = codec.decoder().decode_eof(&mut buf);
    }

    #[test]
    fn skip_oversized_yields_each_frame_within_the_maximum_and_one_error_per_other(
        codec in roundtrip_codec(),
        max_decode in 0usize..300,
        specs in vec((0usize..600, any::<u64>()), 0..16),
        cuts in vec(any::<Index>(), 0..24),
        byte_at_a_time in proptest::bool::weighted(0.1),
    ) {
        let writer = codec.to_builder().max_encode_len(DEFAULT_MAX_FRAME_LEN).build().unwrap();
        // A maximum under a positive adjustment could decode nothing: the builder refuses it.
        let max_decode = max_decode.max(codec.length_adjustment().max(0) as usize);
        let reader = codec
            .to_builder()
            .max_decode_len(max_decode)
            .skip_oversized(true)
            .build()
            .unwrap();
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        for &(len, seed) in &specs {
            if expected_encode_error(&writer, len).is_some() {
                continue;
            }
            let header = writer.encoder().header(len).unwrap();
            let start = wire.len();
            wire.extend_from_slice(&header);
            wire.extend_from_slice(&payload(len, seed));
            expected.push(if len > max_decode {
                let guess = expected_guess(&reader, &wire[start..]);
                Event::Error(FrameError::TooLarge { len: len as u64, max: max_decode, guess })
            } else if reader.keeps_header() {
                Event::Frame(Bytes::copy_from_slice(&wire[start..]))
            } else {
                Event::Frame(Bytes::copy_from_slice(&wire[start + header.len()..]))
            });
        }

        let mut decoder = reader.decoder();
        let mut buf = BytesMut::new();
        let mut events = Vec::new();
        for piece in chunks(&wire, &cuts, byte_at_a_time) {
            buf.extend_from_slice(piece);
            loop {
                match decoder.decode(&mut buf) {
                    Ok(Some(frame)) => events.push(Event::Frame(frame)),
                    Ok(None) => break,
                    Err(err @ FrameError::TooLarge { .. }) => events.push(Event::Error(err)),
                    Err(err) => return Err(TestCaseError::fail(format!("valid stream: {err}"))),
                }
            }
        }
        prop_assert_eq!(decoder.decode_eof(&mut buf), Ok(None));
        prop_assert_eq!(&events, &expected);

        let pieces = chunks(&wire, &cuts, byte_at_a_time);
        prop_assert_eq!(run_decode_slice(&reader, &pieces)?, expected);
    }
}
