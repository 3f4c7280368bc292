//! Property tests: whatever the settings and however the stream is cut, decoding gives back
//! exactly the payloads that were encoded, and the `BytesMut`, borrowed and streaming paths agree.

mod common;

use std::convert::Infallible;

use bytes::{BufMut, Bytes, BytesMut};
use common::{chunks, expected_encode_error, payload, payload_len, roundtrip_codec, slice_needed};
use lenframe::{Codec, Decoded, EncodeWithError, FrameError, MAX_LENGTH_OFFSET};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

/// An encoded stream and what each frame in it should decode to.
struct Stream {
    wire: Vec<u8>,
    /// What `FrameDecoder::decode` returns for each frame (payload, or header and payload).
    frames: Vec<Vec<u8>>,
    /// The payload alone of each frame.
    payloads: Vec<Vec<u8>>,
    /// Where each frame starts, how long its header is, and where it ends.
    bounds: Vec<(usize, usize, usize)>,
}

/// Encodes every payload the settings can frame (checking that the others are refused with the
/// right error), with `prefix` in the bytes before the length field.
fn encode_stream(
    codec: &Codec,
    prefix: &[u8],
    specs: &[(usize, u64)],
) -> Result<Stream, TestCaseError> {
    let encoder = codec.encoder();
    let offset = codec.length_field_offset();
    let mut stream = Stream {
        wire: Vec::new(),
        frames: Vec::new(),
        payloads: Vec::new(),
        bounds: Vec::new(),
    };
    for &(len, seed) in specs {
        let body = payload(len, seed);
        let with_prefix =
            |dst: &mut BytesMut| encoder.encode_with_prefix(&prefix[..offset], &body, dst);
        if let Some(err) = expected_encode_error(codec, len) {
            prop_assert_eq!(encoder.header(len), Err(err.clone()));
            let mut dst = BytesMut::from(&b"before"[..]);
            prop_assert_eq!(encoder.encode(&body, &mut dst), Err(err.clone()));
            prop_assert_eq!(&dst[..], b"before", "nothing is written on error");
            prop_assert_eq!(with_prefix(&mut dst), Err(err.clone()));
            prop_assert_eq!(&dst[..], b"before", "nothing is written on error");
            prop_assert_eq!(
                encode_with(codec, &body, &mut dst),
                Err(EncodeWithError::Encode(err))
            );
            prop_assert_eq!(&dst[..], b"before", "encode_with leaves dst as it was");
            continue;
        }
        let mut header = encoder.header(len).expect("representable length");
        let value = (len as i128 - i128::from(codec.length_adjustment())) as u64;
        prop_assert_eq!(
            header.len(),
            offset + codec.length_field().encoded_len(value)
        );
        // encode() writes the same header (zero prefix) followed by the payload.
        let mut dst = BytesMut::new();
        encoder
            .encode(&body, &mut dst)
            .expect("representable length");
        prop_assert_eq!(&dst[..header.len()], &header[..]);
        prop_assert_eq!(&dst[header.len()..], &body[..]);
        prop_assert_eq!(
            codec.length_field().read_len(&header[offset..]),
            Ok(Some((value, header.len() - offset)))
        );

        // encode_with writes the body in place and the same bytes as encode, after what dst held.
        let mut in_place = BytesMut::from(&b"before"[..]);
        prop_assert_eq!(encode_with(codec, &body, &mut in_place), Ok(()));
        prop_assert_eq!(&in_place[..6], b"before");
        prop_assert_eq!(&in_place[6..], &dst[..]);

        prop_assert_eq!(header.prefix_mut().len(), offset);
        prop_assert!(header.prefix_mut().iter().all(|&b| b == 0));
        header.prefix_mut().copy_from_slice(&prefix[..offset]);

        // encode_with_prefix puts the prefix before the length field in one call.
        let mut prefixed = BytesMut::new();
        prop_assert_eq!(with_prefix(&mut prefixed), Ok(()));
        prop_assert_eq!(&prefixed[..header.len()], &header[..]);
        prop_assert_eq!(&prefixed[header.len()..], &body[..]);

        let start = stream.wire.len();
        stream.wire.extend_from_slice(&header);
        stream.wire.extend_from_slice(&body);
        stream.bounds.push((start, header.len(), stream.wire.len()));
        stream.frames.push(if codec.keeps_header() {
            stream.wire[start..].to_vec()
        } else {
            body.clone()
        });
        stream.payloads.push(body);
    }
    Ok(stream)
}

/// `FrameEncoder::encode_with`, the body written by the closure in a few pieces.
fn encode_with(
    codec: &Codec,
    body: &[u8],
    dst: &mut BytesMut,
) -> Result<(), EncodeWithError<Infallible>> {
    codec.encoder().encode_with(dst, |buf| {
        for piece in body.chunks(97) {
            buf.put_slice(piece);
        }
        Ok(())
    })
}

/// The stateful `FrameDecoder::decode_slice` over a buffer the caller owns, fed chunk by chunk:
/// frames are copied out and dropped from the front as the protocol says.
fn decode_slice_in_chunks(codec: &Codec, pieces: &[&[u8]]) -> Result<Vec<Bytes>, TestCaseError> {
    let mut decoder = codec.decoder();
    let mut buf: Vec<u8> = Vec::new();
    let mut frames = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode_slice(&buf) {
                Ok(Decoded::Frame { frame, consumed }) => {
                    prop_assert!(consumed >= codec.min_header_len());
                    frames.push(Bytes::copy_from_slice(frame));
                    buf.drain(..consumed);
                }
                Ok(Decoded::Incomplete { needed }) => {
                    prop_assert!(needed >= 1);
                    prop_assert_eq!(needed, decoder.bytes_needed(&buf));
                    prop_assert_eq!(slice_needed(codec, &buf), Some(needed));
                    break;
                }
                Ok(Decoded::Skipped { .. }) => {
                    return Err(TestCaseError::fail("skipped a frame of a valid stream"))
                }
                Err(err) => return Err(TestCaseError::fail(format!("valid stream: {err}"))),
            }
        }
    }
    prop_assert!(buf.is_empty(), "the stream ends on a frame boundary");
    prop_assert!(!decoder.is_mid_frame());
    Ok(frames)
}

/// `FrameDecoder::decode` fed chunk by chunk, checking the hint and the borrowed path on every
/// `Ok(None)` and that decoding never grows the buffer.
fn decode_in_chunks(codec: &Codec, pieces: &[&[u8]]) -> Result<Vec<Bytes>, TestCaseError> {
    let mut decoder = codec.decoder();
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            let capacity = buf.capacity();
            let before = buf.len();
            let result = decoder.decode(&mut buf);
            prop_assert!(buf.capacity() <= capacity, "decode grew the buffer");
            match result {
                Ok(Some(frame)) => {
                    prop_assert!(before - buf.len() >= codec.min_header_len());
                    frames.push(frame);
                }
                Ok(None) => {
                    prop_assert_eq!(buf.len(), before, "Ok(None) consumes nothing here");
                    let needed = decoder.bytes_needed(&buf);
                    prop_assert!(needed >= 1, "bytes_needed is 0 after Ok(None)");
                    prop_assert_eq!(slice_needed(codec, &buf), Some(needed));
                    break;
                }
                Err(err) => return Err(TestCaseError::fail(format!("valid stream: {err}"))),
            }
        }
    }
    prop_assert_eq!(decoder.decode_eof(&mut buf), Ok(None));
    prop_assert!(buf.is_empty());
    prop_assert!(!decoder.is_mid_frame());
    Ok(frames)
}

/// The borrowed path over the whole stream.
fn decode_slices<'a>(codec: &Codec, mut wire: &'a [u8]) -> Result<Vec<&'a [u8]>, TestCaseError> {
    let mut frames = Vec::new();
    loop {
        match codec.decode_slice(wire) {
            Ok(Decoded::Frame { frame, consumed }) => {
                prop_assert!(consumed >= codec.min_header_len());
                prop_assert!(consumed >= frame.len());
                frames.push(frame);
                wire = &wire[consumed..];
            }
            Ok(Decoded::Incomplete { needed }) => {
                prop_assert!(wire.is_empty(), "the stream ends on a frame boundary");
                prop_assert_eq!(needed, codec.min_header_len());
                return Ok(frames);
            }
            Ok(Decoded::Skipped { .. }) => {
                return Err(TestCaseError::fail("Codec::decode_slice never skips"))
            }
            Err(err) => return Err(TestCaseError::fail(format!("valid stream: {err}"))),
        }
    }
}

/// A reader that reads exactly `bytes_needed` each time: it must never read past a frame.
fn decode_following_the_hint(codec: &Codec, wire: &[u8]) -> Result<Vec<Bytes>, TestCaseError> {
    let mut decoder = codec.decoder();
    let mut buf = BytesMut::new();
    let mut pos = 0;
    let mut frames = Vec::new();
    loop {
        match decoder.decode(&mut buf) {
            Ok(Some(frame)) => {
                prop_assert!(buf.is_empty(), "the hint asked for bytes past the frame");
                frames.push(frame);
            }
            Ok(None) if pos == wire.len() => return Ok(frames),
            Ok(None) => {
                let needed = decoder.bytes_needed(&buf);
                prop_assert!(needed >= 1);
                prop_assert!(pos + needed <= wire.len(), "the hint asked past the stream");
                buf.extend_from_slice(&wire[pos..pos + needed]);
                pos += needed;
            }
            Err(err) => return Err(TestCaseError::fail(format!("valid stream: {err}"))),
        }
    }
}

/// `FrameDecoder::decode_head`, with the caller consuming each payload itself, chunk by chunk.
fn stream_payloads(codec: &Codec, pieces: &[&[u8]]) -> Result<Vec<Vec<u8>>, TestCaseError> {
    let mut decoder = codec.decoder();
    let mut buf = BytesMut::new();
    let mut payloads = Vec::new();
    let mut pending: Option<(usize, Vec<u8>)> = None;
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
                payloads.push(body);
            }
            match decoder.decode_head(&mut buf) {
                Ok(Some(len)) => pending = Some((len, Vec::new())),
                Ok(None) => break,
                Err(err) => return Err(TestCaseError::fail(format!("valid stream: {err}"))),
            }
        }
    }
    prop_assert!(pending.is_none(), "the stream ended inside a payload");
    prop_assert!(buf.is_empty());
    Ok(payloads)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_chunking_decodes_to_the_encoded_payloads(
        codec in roundtrip_codec(),
        prefix in vec(any::<u8>(), MAX_LENGTH_OFFSET),
        specs in vec((payload_len(), any::<u64>()), 0..12),
        cuts in vec(any::<Index>(), 0..24),
        byte_at_a_time in proptest::bool::weighted(0.1),
    ) {
        let stream = encode_stream(&codec, &prefix, &specs)?;
        let pieces = chunks(&stream.wire, &cuts, byte_at_a_time);

        let decoded = decode_in_chunks(&codec, &pieces)?;
        prop_assert_eq!(&decoded, &stream.frames);

        let borrowed = decode_slices(&codec, &stream.wire)?;
        prop_assert_eq!(&borrowed, &stream.frames);

        let stateful = decode_slice_in_chunks(&codec, &pieces)?;
        prop_assert_eq!(&stateful, &stream.frames);

        let hinted = decode_following_the_hint(&codec, &stream.wire)?;
        prop_assert_eq!(&hinted, &stream.frames);

        let streamed = stream_payloads(&codec, &pieces)?;
        prop_assert_eq!(&streamed, &stream.payloads);
    }

    #[test]
    fn eof_inside_a_frame_is_truncated_with_the_byte_counts(
        codec in roundtrip_codec(),
        prefix in vec(any::<u8>(), MAX_LENGTH_OFFSET),
        specs in vec((payload_len(), any::<u64>()), 0..6),
        cut in any::<Index>(),
        cuts in vec(any::<Index>(), 0..8),
    ) {
        let stream = encode_stream(&codec, &prefix, &specs)?;
        let cut = cut.index(stream.wire.len() + 1);
        let whole = stream.bounds.iter().filter(|&&(_, _, end)| end <= cut).count();

        let mut decoder = codec.decoder();
        let mut buf = BytesMut::new();
        let mut frames = Vec::new();
        for piece in chunks(&stream.wire[..cut], &cuts, false) {
            buf.extend_from_slice(piece);
            while let Some(frame) = decoder.decode(&mut buf).expect("valid stream") {
                frames.push(frame);
            }
        }
        let result = decoder.decode_eof(&mut buf);
        prop_assert_eq!(&frames, &stream.frames[..whole]);

        match stream.bounds.get(whole) {
            Some(&(start, header_len, end)) if start < cut => {
                let got = cut - start;
                let Err(FrameError::Truncated { expected, got: came, guess: None }) = result else {
                    return Err(TestCaseError::fail(format!("expected Truncated, got {result:?}")));
                };
                prop_assert_eq!(came, got as u64);
                prop_assert!(expected > came);
                if got >= header_len {
                    prop_assert_eq!(expected, (end - start) as u64);
                } else {
                    // A partial header: at least the next byte, at most the real header.
                    prop_assert!(expected <= header_len as u64);
                    if codec.length_field().width().is_some() {
                        prop_assert_eq!(expected, header_len as u64);
                    }
                }
                prop_assert_eq!(buf.len(), got, "the partial frame stays in the buffer");
                let again = decoder.decode_eof(&mut buf);
                prop_assert_eq!(again, Err(FrameError::Truncated { expected, got: came, guess: None }));
            }
            _ => {
                prop_assert_eq!(result, Ok(None), "the stream ended on a frame boundary");
                prop_assert!(buf.is_empty());
            }
        }
    }
}
