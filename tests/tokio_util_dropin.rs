//! `lenframe::tokio_util` as a drop-in for tokio-util's `LengthDelimitedCodec`: `Framed`,
//! `FramedRead` and `FramedWrite` on the runtime-limit and slice-encoding paths, the rows of
//! docs/adapters.md's tokio-util table, and a differential property test: the same settings and
//! the same bytes, split the same way, through tokio-util's real codec and ours give the same
//! frames and the same error kinds.
#![cfg(feature = "tokio-util")]

use std::io::{self, ErrorKind};

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use lenframe::tokio_util::{length_delimited, LengthDelimitedCodec, LengthDelimitedCodecError};
use proptest::prelude::*;
use tokio::io::AsyncWriteExt;
use tokio_util::codec::{Decoder, Encoder, Framed, FramedRead, FramedWrite};

/// The maximum lowered on a live `FramedRead` through `decoder_mut`: the frame already past its
/// header is delivered, the next one over the new limit fails with tokio-util's error.
#[tokio::test]
async fn framed_read_runtime_limit_via_decoder_mut() {
    let (mut tx, rx) = tokio::io::duplex(1024);
    let mut reader = FramedRead::new(rx, LengthDelimitedCodec::new());
    tx.write_all(b"\0\0\0\x05hello\0\0\0\x03").await.unwrap();
    assert_eq!(&reader.next().await.unwrap().unwrap()[..], b"hello");
    // The next header (3) is in the buffer but not parsed until its frame is asked for.
    reader.decoder_mut().set_max_frame_length(2);
    assert_eq!(reader.decoder().max_frame_length(), 2);
    tx.write_all(b"abc").await.unwrap();
    let err = reader.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    let inner = err.get_ref().unwrap();
    let inner = inner.downcast_ref::<LengthDelimitedCodecError>().unwrap();
    assert_eq!((inner.length(), inner.max_frame_length()), (3, 2));
}

/// A header already read keeps the limit it was checked against (tokio-util's rule).
#[tokio::test]
async fn framed_read_limit_changed_in_flight_applies_from_the_next_header() {
    let (mut tx, rx) = tokio::io::duplex(1024);
    let mut reader = length_delimited::Builder::new().new_read(rx);
    tx.write_all(b"\0\0\0\x05he").await.unwrap();
    tokio::select! {
        biased;
        _ = reader.next() => panic!("the frame is not whole yet"),
        _ = tokio::task::yield_now() => {}
    }
    reader.decoder_mut().set_max_frame_length(1);
    tx.write_all(b"llo\0\0\0\x02ok").await.unwrap();
    assert_eq!(&reader.next().await.unwrap().unwrap()[..], b"hello");
    assert_eq!(
        reader.next().await.unwrap().unwrap_err().kind(),
        ErrorKind::InvalidData
    );
}

/// `FramedWrite` sends slices (`Encoder<&[u8]>`, new in tokio-util 0.7.20) and `Bytes`; the
/// limit lowered on the live writer refuses a longer payload with `InvalidInput`.
#[tokio::test]
async fn framed_write_slices_and_runtime_limit() {
    let (tx, mut rx) = tokio::io::duplex(1024);
    let mut writer = FramedWrite::new(tx, LengthDelimitedCodec::new());
    writer.send(&b"slice"[..]).await.unwrap();
    writer.send(Bytes::from_static(b"bytes")).await.unwrap();
    writer.encoder_mut().set_max_frame_length(3);
    let err = writer.send(&b"four"[..]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    writer.send(&b"abc"[..]).await.unwrap();
    // Two `Encoder` impls (as in tokio-util 0.7.20): a call with no item names the one meant.
    SinkExt::<&[u8]>::close(&mut writer).await.unwrap();
    drop(writer);
    let mut wire = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut rx, &mut wire)
        .await
        .unwrap();
    assert_eq!(wire, b"\0\0\0\x05slice\0\0\0\x05bytes\0\0\0\x03abc");
}

/// `Framed` both ways, slices out, frames in, the limit changed through `codec_mut`.
#[tokio::test]
async fn framed_both_ways_with_runtime_limit() {
    let (a, b) = tokio::io::duplex(1024);
    let builder = *length_delimited::Builder::new().length_field_type::<u16>();
    let mut a = builder.new_framed(a);
    let mut b = Framed::new(b, builder.new_codec());
    a.send(&b"ping"[..]).await.unwrap();
    assert_eq!(&b.next().await.unwrap().unwrap()[..], b"ping");
    b.send(Bytes::from_static(b"pong")).await.unwrap();
    b.codec_mut().set_max_frame_length(3);
    assert_eq!(
        b.send(&b"pong"[..]).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    b.send(&b"abcd"[..3]).await.unwrap();
    a.codec_mut().set_max_frame_length(3);
    assert_eq!(
        a.next().await.unwrap().unwrap_err().kind(),
        ErrorKind::InvalidData,
        "pong is over the new limit"
    );
}

/// docs/adapters.md, row "`length_field_length(3)`": a 3-byte field reads and writes.
#[test]
fn table_three_byte_field() {
    let mut codec = LengthDelimitedCodec::builder()
        .length_field_length(3)
        .new_codec();
    let mut buf = BytesMut::new();
    codec.encode(&b"abc"[..], &mut buf).unwrap();
    assert_eq!(&buf[..], b"\0\0\x03abc");
    assert_eq!(&codec.decode(&mut buf).unwrap().unwrap()[..], b"abc");
    assert_eq!(codec.max_frame_length(), 8 * 1024 * 1024);
}

/// docs/adapters.md, row "`num_skip(n)` with n < header": part of the header stripped, the
/// length counted from the end of the `num_skip` bytes.
#[test]
fn table_partial_num_skip() {
    // tag(1) len(2, BE) payload; strip the tag only; the length counts the 2 length bytes too.
    let mut codec = length_delimited::Builder::new()
        .length_field_offset(1)
        .length_field_length(2)
        .num_skip(1)
        .new_codec();
    let mut buf = BytesMut::from(&b"\x2A\x00\x05hello"[..]);
    // Length 5 counts from the end of the skipped tag: the 2 length bytes and "hel".
    assert_eq!(
        &codec.decode(&mut buf).unwrap().unwrap()[..],
        b"\x00\x05hel"
    );
    assert_eq!(&buf[..], b"lo");
}

/// docs/adapters.md, row "`max_frame_length(usize::MAX)`": no limit but the field's.
#[test]
fn table_max_usize_is_the_field_limit() {
    let codec = LengthDelimitedCodec::builder()
        .length_field_length(2)
        .length_adjustment(-1)
        .max_frame_length(usize::MAX)
        .new_codec();
    assert_eq!(codec.max_frame_length(), 65534);
    let mut codec = LengthDelimitedCodec::builder()
        .length_field_length(8)
        .max_frame_length(usize::MAX)
        .new_codec();
    assert_eq!(codec.max_frame_length(), usize::MAX);
    let mut wire = BytesMut::new();
    codec.encode(&b"abc"[..], &mut wire).unwrap();
    assert_eq!(&wire[..], b"\0\0\0\0\0\0\0\x03abc");
    // A header announcing more than any buffer holds: an error, where tokio-util panics.
    let mut buf = BytesMut::from(&[0xff; 8][..]);
    let err = codec.decode(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err
        .get_ref()
        .unwrap()
        .downcast_ref::<LengthDelimitedCodecError>()
        .is_some());
}

/// docs/adapters.md, error rows: the kinds tokio-util returns.
#[test]
fn table_error_kinds() {
    // Truncated stream: the trait's decode_eof, `Other`.
    let mut codec = LengthDelimitedCodec::new();
    let mut buf = BytesMut::from(&b"\0\0\0\x05he"[..]);
    assert_eq!(
        codec.decode_eof(&mut buf).unwrap_err().kind(),
        ErrorKind::Other
    );
    // Negative adjusted length: `InvalidInput`.
    let mut codec = LengthDelimitedCodec::builder()
        .length_adjustment(-4)
        .new_codec();
    let mut buf = BytesMut::from(&b"\0\0\0\x02he"[..]);
    assert_eq!(
        codec.decode(&mut buf).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // Encoding a payload shorter than a positive adjustment: `InvalidInput`.
    let mut codec = LengthDelimitedCodec::builder()
        .length_adjustment(4)
        .new_codec();
    assert_eq!(
        codec
            .encode(&b"ab"[..], &mut BytesMut::new())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
}

/// A stream cut right after a header is an error (`Other`, as any cut frame); tokio-util drops
/// a header from its buffer once read, so its `decode_eof` sees an empty buffer and ends cleanly,
/// losing the frame without a word.
#[test]
fn a_stream_cut_right_after_a_header_is_an_error() {
    let mut codec = LengthDelimitedCodec::new();
    let mut buf = BytesMut::from(&b"\0\0\0\x05"[..]);
    assert!(codec.decode(&mut buf).unwrap().is_none());
    assert_eq!(
        codec.decode_eof(&mut buf).unwrap_err().kind(),
        ErrorKind::Other
    );
    let mut theirs = tokio_util::codec::LengthDelimitedCodec::new();
    let mut buf = BytesMut::from(&b"\0\0\0\x05"[..]);
    assert!(theirs.decode(&mut buf).unwrap().is_none());
    assert!(
        theirs.decode_eof(&mut buf).unwrap().is_none(),
        "tokio-util ends cleanly"
    );
}

/// lenframe's advantage, kept: a header announcing a large frame reserves nothing.
#[test]
fn a_header_reserves_nothing() {
    let mut codec = LengthDelimitedCodec::new();
    let mut buf = BytesMut::with_capacity(16);
    buf.put_slice(b"\0\x7f\xff\xff");
    assert!(codec.decode(&mut buf).unwrap().is_none());
    assert!(buf.capacity() < 1024, "capacity {}", buf.capacity());
}

// ----- differential -------------------------------------------------------------------------

/// Settings for both builders.
#[derive(Clone, Debug)]
struct Settings {
    field_len: usize,
    big_endian: bool,
    offset: usize,
    adjustment: isize,
    num_skip: Option<usize>,
    max: usize,
}

fn theirs(s: &Settings) -> tokio_util::codec::LengthDelimitedCodec {
    let mut b = tokio_util::codec::length_delimited::Builder::new();
    b.length_field_length(s.field_len)
        .length_field_offset(s.offset)
        .length_adjustment(s.adjustment)
        .max_frame_length(s.max);
    if !s.big_endian {
        b.little_endian();
    }
    if let Some(n) = s.num_skip {
        b.num_skip(n);
    }
    b.new_codec()
}

fn ours(s: &Settings) -> LengthDelimitedCodec {
    let mut b = length_delimited::Builder::new();
    b.length_field_length(s.field_len)
        .length_field_offset(s.offset)
        .length_adjustment(s.adjustment)
        .max_frame_length(s.max);
    if !s.big_endian {
        b.little_endian();
    }
    if let Some(n) = s.num_skip {
        b.num_skip(n);
    }
    b.new_codec()
}

fn settings() -> impl Strategy<Value = Settings> {
    (
        1usize..=8,
        any::<bool>(),
        0usize..4,
        -12isize..12,
        prop::option::of(0usize..14),
        // Small enough that tokio-util never reserves a huge announced frame.
        prop_oneof![0usize..64, Just(1024usize)],
    )
        .prop_map(
            |(field_len, big_endian, offset, adjustment, num_skip, max)| Settings {
                field_len,
                big_endian,
                offset,
                adjustment,
                num_skip,
                max,
            },
        )
}

/// A stream of segments (offset bytes, a small length in the field's layout, body bytes) with
/// some bytes flipped, so that good frames, bad lengths and cut frames all occur.
fn wire(s: &Settings, segments: &[(u8, Vec<u8>)], noise: &[(usize, u8)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (len, body) in segments {
        out.resize(out.len() + s.offset, 0xAB);
        let value = u64::from(*len).to_be_bytes();
        let field = &value[8 - s.field_len..];
        if s.big_endian {
            out.extend_from_slice(field);
        } else {
            out.extend(field.iter().rev());
        }
        out.extend_from_slice(body);
    }
    for &(at, byte) in noise {
        if !out.is_empty() {
            let at = at % out.len();
            out[at] = byte;
        }
    }
    out
}

/// Every result until the first error or the end of the input, then `decode_eof`'s.
fn run<D>(mut codec: D, input: &[u8], chunk: usize) -> Vec<Result<Vec<u8>, ErrorKind>>
where
    D: Decoder<Item = BytesMut, Error = io::Error>,
{
    // Settings whose frames take no bytes (num_skip(0) with a length adjustment that cancels the
    // header) make both codecs return empty frames forever without consuming anything, as
    // tokio-util does; compare the first results only, or the loop would fill the memory.
    let limit = 2 * input.len() + 8;
    let mut out = Vec::new();
    let mut buf = BytesMut::new();
    for piece in input.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            if out.len() > limit {
                return out;
            }
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => out.push(Ok(frame.to_vec())),
                Ok(None) => break,
                Err(err) => {
                    out.push(Err(err.kind()));
                    return out;
                }
            }
        }
    }
    loop {
        if out.len() > limit {
            return out;
        }
        match codec.decode_eof(&mut buf) {
            Ok(Some(frame)) => out.push(Ok(frame.to_vec())),
            Ok(None) => return out,
            Err(err) => {
                out.push(Err(err.kind()));
                return out;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Same settings, same bytes, same splits: same frames and same error kinds.
    #[test]
    fn decoding_matches_tokio_util(
        s in settings(),
        segments in prop::collection::vec((0u8..24, prop::collection::vec(any::<u8>(), 0..24)), 0..6),
        noise in prop::collection::vec((any::<usize>(), any::<u8>()), 0..3),
        chunk in 1usize..40,
    ) {
        let input = wire(&s, &segments, &noise);
        let (a, b) = (run(ours(&s), &input, chunk), run(theirs(&s), &input, chunk));
        // The one difference: tokio-util drops a header from its buffer once it is read, so a
        // stream cut right after a header ends cleanly there; ours reports the cut frame.
        let cut_after_header = a.len() == b.len() + 1 && a.last() == Some(&Err(ErrorKind::Other));
        if cut_after_header {
            prop_assert_eq!(&a[..b.len()], &b[..]);
        } else {
            prop_assert_eq!(a, b);
        }
    }

    /// Same settings, same payloads: same bytes or the same error kind, and nothing written on
    /// error. tokio-util 0.7.19 (the lock's, see docs/adapters.md) has `Encoder<Bytes>` only.
    #[test]
    fn encoding_matches_tokio_util(
        s in settings(),
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..6),
    ) {
        let (mut a, mut b) = (ours(&s), theirs(&s));
        prop_assert_eq!(a.max_frame_length(), b.max_frame_length());
        let (mut da, mut db) = (BytesMut::new(), BytesMut::new());
        for payload in payloads {
            let ra = a.encode(&payload[..], &mut da).map_err(|e| e.kind());
            let rb = b.encode(Bytes::from(payload), &mut db).map_err(|e| e.kind());
            prop_assert_eq!(ra, rb);
            prop_assert_eq!(&da, &db);
        }
    }
}
