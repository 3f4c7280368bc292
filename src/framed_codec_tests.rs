//! Unit tests of [`FramedCodec`] and of the `tokio_util::codec` impls on [`FrameDecoder`] and
//! [`FrameEncoder`], called directly on in-memory `BytesMut` buffers (no `Framed`, no I/O):
//! what each accessor reports and what it changes, and what each decoder and encoder call
//! returns and leaves in the buffer.

use ::tokio_util::codec::{Decoder, Encoder};
use bytes::{Bytes, BytesMut};

use super::FramedCodec;
use crate::{Codec, EncodeError, Error, FrameDecoder, FrameEncoder, FrameError};

/// `"!H"`: 2-byte big-endian lengths, not the default layout, so that a value built from the
/// defaults instead of these settings writes and reads other bytes.
fn be16() -> Codec {
    Codec::from_struct_format("!H").unwrap()
}

fn buf(bytes: &[u8]) -> BytesMut {
    BytesMut::from(bytes)
}

#[test]
fn new_and_from_keep_the_settings_both_ways() {
    for mut codec in [FramedCodec::new(be16()), FramedCodec::from(be16())] {
        assert_eq!(*codec.codec(), be16());
        assert_eq!(*codec.decoder().codec(), be16());
        assert_eq!(*codec.encoder().codec(), be16());
        let mut wire = BytesMut::new();
        Encoder::encode(&mut codec, Bytes::from_static(b"abc"), &mut wire).unwrap();
        assert_eq!(&wire[..], b"\0\x03abc");
        let frame = Decoder::decode(&mut codec, &mut wire).unwrap().unwrap();
        assert_eq!(&frame[..], b"abc");
        assert!(wire.is_empty());
    }
}

#[test]
fn the_default_is_the_default_codec() {
    let codec = FramedCodec::default();
    assert_eq!(*codec.codec(), Codec::default());
    assert_eq!(codec.max_frame_len(), Codec::default().max_decode_len());
}

#[test]
fn set_max_frame_len_reads_back_and_bounds_both_ways() {
    let mut codec = FramedCodec::new(be16());
    codec.set_max_frame_len(3);
    assert_eq!(codec.max_frame_len(), 3);
    assert_eq!(codec.codec().max_decode_len(), 3);
    assert_eq!(codec.encoder().max_frame_len(), 3);

    // Within the maximum, both ways.
    let mut wire = BytesMut::new();
    Encoder::encode(&mut codec, Bytes::from_static(b"abc"), &mut wire).unwrap();
    assert_eq!(
        &Decoder::decode(&mut codec, &mut wire).unwrap().unwrap()[..],
        b"abc"
    );

    // Over it, both ways.
    let err = Encoder::encode(&mut codec, Bytes::from_static(b"abcd"), &mut wire).unwrap_err();
    assert!(matches!(
        err,
        Error::Encode(EncodeError::TooLarge { len: 4, max: 3 })
    ));
    assert!(wire.is_empty());
    let err = Decoder::decode(&mut codec, &mut buf(b"\0\x04abcd")).unwrap_err();
    assert!(matches!(
        err,
        Error::Frame(FrameError::TooLarge { len: 4, max: 3, .. })
    ));
}

#[test]
#[allow(deprecated)]
fn the_old_names_read_and_set_the_same_maximum() {
    let mut codec = FramedCodec::new(be16());
    codec.set_max_frame_length(5);
    assert_eq!(codec.max_frame_length(), 5);
    assert_eq!(codec.max_frame_len(), 5);
    let err = Decoder::decode(&mut codec, &mut buf(b"\0\x06abcdef")).unwrap_err();
    assert!(matches!(
        err,
        Error::Frame(FrameError::TooLarge { len: 6, max: 5, .. })
    ));
    let err = Encoder::encode(
        &mut codec,
        Bytes::from_static(b"abcdef"),
        &mut BytesMut::new(),
    );
    assert!(matches!(
        err,
        Err(Error::Encode(EncodeError::TooLarge { len: 6, max: 5 }))
    ));
    // 5 bytes still pass.
    let mut wire = buf(b"\0\x05abcde");
    assert_eq!(codec.max_frame_length(), 5);
    assert_eq!(
        &Decoder::decode(&mut codec, &mut wire).unwrap().unwrap()[..],
        b"abcde"
    );
}

#[test]
fn the_decoder_accessors_see_and_change_the_frame_in_flight() {
    let mut codec = FramedCodec::new(be16());
    let mut wire = buf(b"\0\x05ab");
    assert!(Decoder::decode(&mut codec, &mut wire).unwrap().is_none());
    assert!(codec.decoder().is_mid_frame());
    assert_eq!(codec.decoder().bytes_needed(&wire), 3);
    // The maximum set through `decoder_mut` is the codec's decoding maximum.
    codec.decoder_mut().set_max_frame_len(2);
    assert_eq!(codec.max_frame_len(), 2);
    codec.decoder_mut().reset();
    assert!(!codec.decoder().is_mid_frame());
    let err = Decoder::decode(&mut codec, &mut buf(b"\0\x03abc")).unwrap_err();
    assert!(matches!(
        err,
        Error::Frame(FrameError::TooLarge { len: 3, max: 2, .. })
    ));
}

#[test]
fn encoder_mut_changes_the_encoding_maximum_alone() {
    let mut codec = FramedCodec::new(be16());
    codec.encoder_mut().set_max_frame_len(2);
    assert_eq!(codec.encoder().max_frame_len(), 2);
    assert_eq!(codec.max_frame_len(), be16().max_decode_len());
    let err = Encoder::encode(&mut codec, Bytes::from_static(b"abc"), &mut BytesMut::new());
    assert!(matches!(
        err,
        Err(Error::Encode(EncodeError::TooLarge { len: 3, max: 2 }))
    ));
    let frame = Decoder::decode(&mut codec, &mut buf(b"\0\x03abc"))
        .unwrap()
        .unwrap();
    assert_eq!(&frame[..], b"abc");
}

#[test]
fn framed_codec_decodes_frames_one_at_a_time_and_keeps_a_partial_one() {
    let mut codec = FramedCodec::new(be16());
    let mut wire = buf(b"\0\x01a\0\x02bc\0\x03d");
    assert_eq!(
        &Decoder::decode(&mut codec, &mut wire).unwrap().unwrap()[..],
        b"a"
    );
    assert_eq!(
        &Decoder::decode(&mut codec, &mut wire).unwrap().unwrap()[..],
        b"bc"
    );
    assert_eq!(Decoder::decode(&mut codec, &mut wire).unwrap(), None);
    assert_eq!(&wire[..], b"\0\x03d");
    // The end of the stream inside that frame is an error with what arrived.
    let err = Decoder::decode_eof(&mut codec, &mut wire).unwrap_err();
    assert!(matches!(
        err,
        Error::Frame(FrameError::Truncated {
            expected: 5,
            got: 3,
            ..
        })
    ));
}

#[test]
fn framed_codec_decode_eof_returns_a_whole_frame_then_none() {
    let mut codec = FramedCodec::new(be16());
    let mut wire = buf(b"\0\x02xy");
    assert_eq!(
        &Decoder::decode_eof(&mut codec, &mut wire).unwrap().unwrap()[..],
        b"xy"
    );
    assert_eq!(Decoder::decode_eof(&mut codec, &mut wire).unwrap(), None);
}

#[test]
fn framed_codec_decode_reports_the_core_errors() {
    let mut codec = FramedCodec::new(Codec::from_struct_format("<h").unwrap());
    let err = Decoder::decode(&mut codec, &mut buf(b"\xff\xff")).unwrap_err();
    assert!(matches!(
        err,
        Error::Frame(FrameError::NegativeLength { len: -1, .. })
    ));
}

#[test]
fn frame_decoder_as_a_tokio_util_decoder() {
    let mut decoder: FrameDecoder = be16().decoder();
    let mut wire = buf(b"\0\x02ab\0\x01");
    let frame: Bytes = Decoder::decode(&mut decoder, &mut wire).unwrap().unwrap();
    assert_eq!(&frame[..], b"ab");
    assert_eq!(Decoder::decode(&mut decoder, &mut wire).unwrap(), None);
    assert_eq!(&wire[..], b"\0\x01");
    let err = Decoder::decode_eof(&mut decoder, &mut wire).unwrap_err();
    assert!(matches!(
        err,
        Error::Frame(FrameError::Truncated {
            expected: 3,
            got: 2,
            ..
        })
    ));
    let mut wire = buf(b"\0\x01z");
    assert_eq!(
        &Decoder::decode_eof(&mut decoder, &mut wire)
            .unwrap()
            .unwrap()[..],
        b"z"
    );
    assert_eq!(Decoder::decode_eof(&mut decoder, &mut wire).unwrap(), None);
    decoder.set_max_frame_len(0x7FFF);
    let err = Decoder::decode(&mut decoder, &mut buf(b"\x80\0")).unwrap_err();
    assert!(matches!(err, Error::Frame(FrameError::TooLarge { .. })));
}

#[test]
fn frame_encoder_as_a_tokio_util_encoder() {
    let mut encoder: FrameEncoder = be16().encoder();
    let mut wire = BytesMut::new();
    Encoder::encode(&mut encoder, Bytes::from_static(b"hey"), &mut wire).unwrap();
    assert_eq!(&wire[..], b"\0\x03hey");
    encoder.set_max_frame_len(1);
    let err = Encoder::encode(&mut encoder, Bytes::from_static(b"hey"), &mut wire).unwrap_err();
    assert!(matches!(
        err,
        Error::Encode(EncodeError::TooLarge { len: 3, max: 1 })
    ));
    assert_eq!(&wire[..], b"\0\x03hey");
}
