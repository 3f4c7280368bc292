//! Arbitrary payloads and settings: encoding (`encode`, `encode_with_prefix`, and `encode_with`
//! writing the body in place) gives exactly the header the model writes (or exactly the
//! `EncodeError` the model predicts, with nothing written), and decoding the encoded stream in
//! arbitrary reads, with `FrameDecoder` (`decode` and the stateful `decode_slice`) and with
//! `Codec::decode_slice`, gives the payloads back.
//!
//! Input layout: settings (see `Settings`), a chunking (see `Chunking`), then items until the
//! input ends, each starting with a tag byte:
//! - `tag % 4` 0 or 1: a payload of `u16 LE % 1100` copies of the next byte;
//! - `tag % 4` 2: a payload of the next byte's value in literal bytes;
//! - `tag % 4` 3: a header probe for a payload length of the next 8 bytes (`u64` LE), not sent.
#![no_main]

use std::convert::Infallible;

use bytes::{BufMut, BytesMut};
use lenframe::{Decoded, EncodeWithError, FrameError};
use lenframe_fuzz::{model_header, Chunking, Input, Settings};
use libfuzzer_sys::fuzz_target;

const MAX_PAYLOADS: usize = 64;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let settings = Settings::read(&mut input);
    let chunking = Chunking::read(&mut input);
    let Some(codec) = settings.codec() else {
        return;
    };
    let mut payloads: Vec<Vec<u8>> = Vec::new();
    let mut probes: Vec<usize> = Vec::new();
    while !input.is_empty() && payloads.len() < MAX_PAYLOADS {
        let tag = input.u8();
        match tag % 4 {
            0 | 1 => {
                let len = input.uint_le(2) as usize % 1100;
                payloads.push(vec![input.u8(); len]);
            }
            2 => {
                let len = usize::from(input.u8());
                payloads.push(input.take(len).to_vec());
            }
            _ => probes.push(input.uint_le(8) as usize),
        }
    }
    // Lengths at the edges of the settings, always probed.
    let max_value = usize::try_from(settings.field.max_value()).unwrap_or(usize::MAX);
    let edge = max_value.saturating_add_signed(settings.adjustment as isize);
    for len in [
        0,
        1,
        settings.max_encode,
        settings.max_encode.saturating_add(1),
        edge,
    ] {
        probes.extend([len.saturating_sub(1), len, len.saturating_add(1)]);
    }

    let encoder = codec.encoder();
    for len in probes {
        let header = encoder.header(len);
        assert_eq!(
            header.as_ref().map(|h| h.to_vec()).map_err(Clone::clone),
            model_header(&settings, len),
            "header({len})"
        );
        let Ok(header) = header else { continue };
        // The header alone decodes to "the payload is still to come", or is refused as too large.
        match codec.decode_slice(&header) {
            Ok(Decoded::Incomplete { needed }) => {
                assert!(len > 0 && len <= codec.max_decode_len());
                assert_eq!(needed, len);
            }
            Ok(Decoded::Frame { frame, consumed }) => {
                assert_eq!(len, 0);
                assert_eq!(consumed, header.len());
                let expected: &[u8] = if codec.keeps_header() { &header } else { &[] };
                assert_eq!(frame, expected);
            }
            Ok(Decoded::Skipped { .. }) => panic!("Codec::decode_slice never skips"),
            Err(FrameError::TooLarge { len: got, max, .. }) => {
                assert_eq!((got, max), (len as u64, codec.max_decode_len()));
            }
            Err(err) => panic!("header({len}) decodes to {err:?}"),
        }
    }

    // Encode: each payload is framed exactly as the model says, or refused with nothing written.
    let mut wire = BytesMut::new();
    let mut expected = Vec::new();
    let prefix: Vec<u8> = (0..settings.offset as u8).map(|i| i ^ 0x5a).collect();
    for payload in &payloads {
        let before = wire.len();
        // encode_with writes the body in place, in pieces: the same bytes as encode, or the
        // same error with `dst` left as it was.
        let mut in_place = BytesMut::from(&b"kept"[..]);
        let with = encoder.encode_with(&mut in_place, |buf| {
            for piece in payload.chunks(61) {
                buf.put_slice(piece);
            }
            Ok::<(), Infallible>(())
        });
        let mut prefixed = BytesMut::new();
        let with_prefix = encoder.encode_with_prefix(&prefix, payload, &mut prefixed);
        let result = encoder.encode(payload, &mut wire);
        match &result {
            Ok(()) => {
                assert_eq!(with, Ok(()));
                assert_eq!(&in_place[4..], &wire[before..]);
                assert_eq!(with_prefix, Ok(()));
                assert_eq!(&prefixed[..prefix.len()], &prefix[..]);
                assert_eq!(&prefixed[prefix.len()..], &wire[before + prefix.len()..]);
            }
            Err(err) => {
                assert_eq!(with, Err(EncodeWithError::Encode(err.clone())));
                assert_eq!(with_prefix, Err(err.clone()));
                assert!(prefixed.is_empty());
            }
        }
        assert_eq!(&in_place[..4], b"kept");
        match model_header(&settings, payload.len()) {
            Ok(header) => {
                assert_eq!(result, Ok(()));
                assert_eq!(&wire[before..before + header.len()], &header[..]);
                assert_eq!(&wire[before + header.len()..], &payload[..]);
                let mut frame = if codec.keeps_header() {
                    header
                } else {
                    Vec::new()
                };
                frame.extend_from_slice(payload);
                expected.push(frame);
            }
            Err(err) => {
                assert_eq!(result, Err(err.clone()));
                let _ = err.to_string();
                assert_eq!(wire.len(), before, "nothing written on error");
            }
        }
    }

    // Decode with the decoding maximum raised to the encoding one: everything comes back.
    // (Not under a positive adjustment, which the builder refuses: nothing could decode.)
    let adjustment = usize::try_from(codec.length_adjustment()).unwrap_or(0);
    let codec = codec
        .to_builder()
        .max_decode_len(codec.max_encode_len().max(adjustment))
        .build()
        .expect("the encoding maximum is a valid decoding maximum");
    let wire = wire.freeze();
    let ends = chunking.ends(wire.len());

    let mut decoder = codec.decoder();
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut fed = 0;
    for &end in &ends {
        buf.extend_from_slice(&wire[fed..end]);
        fed = end;
        while let Some(frame) = decoder.decode(&mut buf).expect("encoded frames decode") {
            frames.push(frame.to_vec());
        }
    }
    assert_eq!(
        decoder.decode_eof(&mut buf),
        Ok(None),
        "the stream ends on a boundary"
    );
    assert_eq!(frames, expected);

    assert_eq!(
        slices(&wire, &ends, |buf| codec.decode_slice(buf)),
        expected
    );
    let mut decoder = codec.decoder();
    assert_eq!(
        slices(&wire, &ends, |buf| decoder.decode_slice(buf)),
        expected
    );
    assert!(!decoder.is_mid_frame());
});

/// The frames a borrowed decoder finds in `wire` read up to each of `ends`, dropping each frame
/// from the front; all of `wire` must be used.
fn slices<'a>(
    wire: &'a [u8],
    ends: &[usize],
    mut decode: impl FnMut(&'a [u8]) -> Result<Decoded<'a>, FrameError>,
) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let mut start = 0;
    for &fed in ends {
        while let Decoded::Frame { frame, consumed } =
            decode(&wire[start..fed]).expect("encoded frames decode")
        {
            frames.push(frame.to_vec());
            start += consumed;
        }
    }
    assert_eq!(start, wire.len());
    frames
}
