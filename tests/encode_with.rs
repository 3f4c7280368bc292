//! `FrameEncoder::encode_with`: a body of unknown length written in place, the header filled in
//! after; every error leaves the buffer as it was. (That it writes the same bytes as `encode`
//! for every layout is a property test in `tests/roundtrip.rs`.)

use std::convert::Infallible;
use std::fmt::Write as _;
use std::io::Write as _;

use bytes::{BufMut, BytesMut};
use lenframe::{Codec, EncodeError, EncodeWithError, LengthField};

fn body(bytes: &'static [u8]) -> impl FnOnce(&mut BytesMut) -> Result<(), Infallible> {
    move |buf| {
        buf.put_slice(bytes);
        Ok(())
    }
}

#[test]
fn the_header_is_filled_in_after_the_body() {
    let encoder = Codec::from_struct_format("!I").unwrap().encoder();
    let mut dst = BytesMut::from(&b"earlier frame"[..]);
    encoder
        .encode_with(&mut dst, |buf| {
            // The closure sees the buffer from its start; the room for the header is before
            // the body.
            assert_eq!(&buf[..13], b"earlier frame");
            assert_eq!(buf.len(), 13 + 4);
            buf.put_slice(b"hel");
            buf.put_slice(b"lo");
            Ok::<_, Infallible>(())
        })
        .unwrap();
    assert_eq!(&dst[..], b"earlier frame\x00\x00\x00\x05hello");
}

#[test]
fn an_io_writer_and_fmt_write_work_as_bodies() {
    let encoder = Codec::default().encoder();
    let mut dst = BytesMut::new();
    encoder
        .encode_with(&mut dst, |buf| {
            let mut writer = (&mut *buf).writer();
            writer.write_all(b"{\"n\":")?;
            write!(writer, "{}}}", 42)
        })
        .unwrap();
    let item = 'x';
    encoder
        .encode_with(&mut dst, |buf| write!(buf, "[{item}]"))
        .unwrap();
    assert_eq!(&dst[..], b"\x08\0\0\0{\"n\":42}\x03\0\0\0[x]");
}

#[test]
fn a_failing_closure_leaves_dst_as_it_was() {
    let encoder = Codec::default().encoder();
    let mut dst = BytesMut::from(&b"kept"[..]);
    let err = encoder
        .encode_with(&mut dst, |buf| {
            buf.put_slice(b"half a message");
            Err("serializer failed")
        })
        .unwrap_err();
    assert_eq!(err, EncodeWithError::Body("serializer failed"));
    assert_eq!(&dst[..], b"kept");
}

#[test]
fn a_body_over_the_maximum_leaves_dst_as_it_was() {
    let encoder = Codec::builder()
        .max_encode_len(4)
        .build()
        .unwrap()
        .encoder();
    let mut dst = BytesMut::from(&b"kept"[..]);
    let err = encoder.encode_with(&mut dst, body(b"hello")).unwrap_err();
    assert_eq!(
        err,
        EncodeWithError::Encode(EncodeError::TooLarge { len: 5, max: 4 })
    );
    assert_eq!(&dst[..], b"kept");
    // The message is the encoder's.
    assert_eq!(
        err.to_string(),
        EncodeError::TooLarge { len: 5, max: 4 }.to_string()
    );
}

#[test]
fn a_body_the_field_cannot_hold_leaves_dst_as_it_was() {
    let encoder = Codec::from_struct_format("B").unwrap().encoder();
    let mut dst = BytesMut::from(&b"kept"[..]);
    let err = encoder
        .encode_with(&mut dst, |buf| {
            buf.put_bytes(b'x', 256);
            Ok::<_, Infallible>(())
        })
        .unwrap_err();
    assert!(matches!(
        err,
        EncodeWithError::Encode(EncodeError::Unrepresentable { value: 256, .. })
    ));
    assert_eq!(&dst[..], b"kept");
}

#[test]
fn a_closure_that_removes_bytes_before_its_start_is_an_error() {
    let encoder = Codec::default().encoder();
    // Into the room made for the header: the buffer is restored.
    let mut dst = BytesMut::from(&b"kept"[..]);
    let err = encoder
        .encode_with(&mut dst, |buf| {
            buf.truncate(6);
            Ok::<_, Infallible>(())
        })
        .unwrap_err();
    assert_eq!(err, EncodeWithError::Shrunk { start: 8, len: 6 });
    assert_eq!(&dst[..], b"kept");
    assert!(err.to_string().contains("must only append"), "{err}");
    // Into what was there before: reported, and what is left stays.
    let err = encoder
        .encode_with(&mut dst, |buf| {
            buf.truncate(2);
            Ok::<_, Infallible>(())
        })
        .unwrap_err();
    assert_eq!(err, EncodeWithError::Shrunk { start: 8, len: 2 });
    assert_eq!(&dst[..], b"ke");
}

#[test]
fn the_error_chain_names_the_closures_error_once() {
    let encoder = Codec::default().encoder();
    let err = encoder
        .encode_with(&mut BytesMut::new(), |_| Err(std::fmt::Error))
        .unwrap_err();
    let source = std::error::Error::source(&err).expect("the closure's error is the source");
    assert_eq!(source.to_string(), std::fmt::Error.to_string());
    assert!(!err.to_string().contains(&source.to_string()));
}

fn varint_codec(max: usize) -> Codec {
    Codec::builder()
        .length_field(LengthField::VARINT)
        .max_frame_len(max)
        .build()
        .unwrap()
}

#[test]
fn a_varint_header_shorter_than_its_room_moves_the_body_back_once() {
    // An 8 MiB maximum takes up to a 4-byte varint; a 5-byte body needs 1.
    let encoder = varint_codec(8 << 20).encoder();
    let mut dst = BytesMut::from(&b"kept"[..]);
    encoder.encode_with(&mut dst, body(b"hello")).unwrap();
    assert_eq!(&dst[..], b"kept\x05hello");
    // 300 bytes: a 2-byte varint.
    let mut dst = BytesMut::new();
    encoder
        .encode_with(&mut dst, |buf| {
            buf.put_bytes(b'z', 300);
            Ok::<_, Infallible>(())
        })
        .unwrap();
    assert_eq!(&dst[..2], &[0xac, 0x02]);
    assert_eq!(dst.len(), 302);
    assert!(dst[2..].iter().all(|&b| b == b'z'));
}

#[test]
fn a_varint_header_as_wide_as_its_room_moves_nothing() {
    // A maximum of 200 takes up to a 2-byte varint, which a 200-byte body needs.
    let encoder = varint_codec(200).encoder();
    let mut dst = BytesMut::new();
    let mut body_at = None;
    encoder
        .encode_with(&mut dst, |buf| {
            body_at = Some(buf.len());
            buf.put_bytes(b'y', 200);
            Ok::<_, Infallible>(())
        })
        .unwrap();
    assert_eq!(body_at, Some(2), "room for a 2-byte varint");
    assert_eq!(&dst[..2], &[0xc8, 0x01]);
    assert_eq!(dst.len(), 202);
}

#[test]
fn the_offset_and_adjustment_apply_as_in_encode() {
    let codec = Codec::builder()
        .length_field_offset(2)
        .struct_format("!H")
        .length_adjustment(-4)
        .build()
        .unwrap();
    let mut with = BytesMut::new();
    codec
        .encoder()
        .encode_with(&mut with, body(b"abc"))
        .unwrap();
    let mut plain = BytesMut::new();
    codec.encoder().encode(b"abc", &mut plain).unwrap();
    assert_eq!(with, plain);
    assert_eq!(&with[..], b"\0\0\0\x07abc");
}
