//! Arbitrary settings and bytes, in arbitrary reads, through `FrameDecoder::decode`/`decode_eof`,
//! `FrameDecoder::decode_head`, `Codec::decode_slice` and the stateful
//! `FrameDecoder::decode_slice`, checked against the reference model in
//! `src/lib.rs`: the same frames, the same errors, each reported as soon as (and no sooner than)
//! the bytes that decide it have arrived, and the same "bytes needed" at every pause.
//!
//! Input layout: settings (see `Settings`), a chunking (see `Chunking`), then the stream.
#![no_main]

use bytes::BytesMut;
use lenframe::{Codec, Decoded, FrameError};
use lenframe_fuzz::{without_guess, Chunking, Event, Input, Model, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let settings = Settings::read(&mut input);
    let chunking = Chunking::read(&mut input);
    let stream = input.rest();
    let Some(codec) = settings.codec() else {
        return;
    };
    let ends = chunking.ends(stream.len());
    check_decoder(&settings, codec, stream, &ends);
    check_decode_head(&settings, codec, stream, &ends);
    check_decode_slice(&settings, codec, stream, &ends);
    check_stateful_decode_slice(&settings, codec, stream, &ends);
});

fn is_skipped(codec: &Codec, err: &FrameError) -> bool {
    codec.skips_oversized() && matches!(err, FrameError::TooLarge { .. })
}

/// `FrameDecoder::decode` after each read, then `decode_eof`.
fn check_decoder(settings: &Settings, codec: Codec, stream: &[u8], ends: &[usize]) {
    let model = Model::new(settings, stream, codec.skips_oversized());
    let mut decoder = codec.decoder();
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    let mut fed = 0;
    for &end in ends {
        buf.extend_from_slice(&stream[fed..end]);
        fed = end;
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => events.push(Event::Frame(frame.to_vec())),
                Ok(None) => {
                    let (needed, mid_frame) = model.progress_at(fed);
                    assert_eq!(decoder.bytes_needed(&buf), needed, "bytes_needed at {fed}");
                    assert!(needed >= 1);
                    assert_eq!(decoder.is_mid_frame(), mid_frame, "is_mid_frame at {fed}");
                    break;
                }
                Err(err) if is_skipped(&codec, &err) => events.push(Event::Error(err)),
                Err(err) => {
                    events.push(Event::Error(err.clone()));
                    assert_eq!(events, model.events_by(stream, fed, false), "at {fed}");
                    // Fail fast: nothing of the bad frame consumed, the same error again.
                    let start = model.error_start().expect("the model has a bad header");
                    assert_eq!(
                        &buf[..],
                        &stream[start..fed],
                        "bad frame left in the buffer"
                    );
                    assert_eq!(decoder.decode(&mut buf), Err(err.clone()));
                    assert_eq!(decoder.decode_eof(&mut buf), Err(err));
                    return;
                }
            }
        }
        assert_eq!(events, model.events_by(stream, fed, false), "at {fed}");
    }
    // Everything is in: all frames are out, and the end is clean or truncated.
    match decoder.decode_eof(&mut buf) {
        Ok(Some(frame)) => panic!("decode_eof found a frame decode missed: {frame:?}"),
        Ok(None) => assert_eq!(model.end(), Ok(())),
        Err(err) => {
            assert_eq!(model.end(), Err(without_guess(err.clone())));
            assert!(matches!(err, FrameError::Truncated { .. }), "{err:?}");
            // The partial frame stays, and the answer does not change.
            assert_eq!(decoder.decode_eof(&mut buf), Err(err));
        }
    }
}

/// `FrameDecoder::decode_head`, with the caller taking each payload out of the buffer itself.
fn check_decode_head(settings: &Settings, codec: Codec, stream: &[u8], ends: &[usize]) {
    let model = Model::new(settings, stream, codec.skips_oversized());
    let mut decoder = codec.decoder();
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    // The payload being collected: bytes so far and bytes still to come.
    let mut payload: Option<(Vec<u8>, usize)> = None;
    let mut fed = 0;
    for &end in ends {
        buf.extend_from_slice(&stream[fed..end]);
        fed = end;
        loop {
            if let Some((bytes, left)) = &mut payload {
                let now = (*left).min(buf.len());
                bytes.extend_from_slice(&buf.split_to(now));
                *left -= now;
                if *left > 0 {
                    break;
                }
                events.push(Event::Frame(payload.take().unwrap().0));
                continue;
            }
            match decoder.decode_head(&mut buf) {
                Ok(Some(len)) => {
                    assert!(len <= codec.max_decode_len());
                    payload = Some((Vec::new(), len));
                }
                Ok(None) => break,
                Err(err) if is_skipped(&codec, &err) => events.push(Event::Error(err)),
                Err(err) => {
                    events.push(Event::Error(err));
                    assert_eq!(events, model.events_by(stream, fed, true), "at {fed}");
                    return;
                }
            }
        }
        assert_eq!(events, model.events_by(stream, fed, true), "at {fed}");
    }
    let end = match payload {
        // The stream ended inside a payload the caller was taking.
        Some((bytes, left)) => {
            let seg = model.segments.last().unwrap();
            let header_len = seg.header_len.unwrap() as u64;
            let got = header_len + bytes.len() as u64;
            Err(FrameError::Truncated {
                expected: got + left as u64,
                got,
                guess: None,
            })
        }
        None => decoder.decode_eof(&mut buf).map(|frame| {
            assert_eq!(frame, None, "decode_eof found a frame decode_head missed");
        }),
    };
    assert_eq!(end.map_err(without_guess), model.end());
}

/// `Codec::decode_slice` over the bytes read so far, dropping each frame it returns.
fn check_decode_slice(settings: &Settings, codec: Codec, stream: &[u8], ends: &[usize]) {
    // decode_slice has no state, so it never skips: an oversized frame is an error.
    let model = Model::new(settings, stream, false);
    let mut events = Vec::new();
    let mut start = 0;
    for &fed in ends {
        loop {
            match codec.decode_slice(&stream[start..fed]) {
                Ok(Decoded::Frame { frame, consumed }) => {
                    assert!(consumed > 0 && consumed <= fed - start);
                    events.push(Event::Frame(frame.to_vec()));
                    start += consumed;
                }
                Ok(Decoded::Incomplete { needed }) => {
                    assert_eq!(needed, model.progress_at(fed).0, "needed at {fed}");
                    break;
                }
                Ok(Decoded::Skipped { .. }) => panic!("Codec::decode_slice never skips"),
                Err(err) => {
                    events.push(Event::Error(err));
                    assert_eq!(events, model.events_by(stream, fed, false), "at {fed}");
                    return;
                }
            }
        }
        assert_eq!(events, model.events_by(stream, fed, false), "at {fed}");
    }
    match model.end() {
        Ok(()) => assert_eq!(start, stream.len()),
        Err(FrameError::Truncated { got, .. }) => assert_eq!((stream.len() - start) as u64, got),
        Err(err) => panic!("the model's error {err:?} was never reported"),
    }
}

/// The stateful `FrameDecoder::decode_slice` over a buffer the caller owns (the bytes read so
/// far, less those dropped), dropping what each result says: frames, and the bytes of skipped
/// frames.
fn check_stateful_decode_slice(settings: &Settings, codec: Codec, stream: &[u8], ends: &[usize]) {
    let model = Model::new(settings, stream, codec.skips_oversized());
    let mut decoder = codec.decoder();
    let mut events = Vec::new();
    let mut start = 0;
    for &fed in ends {
        loop {
            let buf = &stream[start..fed];
            match decoder.decode_slice(buf) {
                Ok(Decoded::Frame { frame, consumed }) => {
                    assert!(consumed > 0 && consumed <= buf.len());
                    events.push(Event::Frame(frame.to_vec()));
                    start += consumed;
                }
                Ok(Decoded::Skipped { consumed }) => {
                    assert!(codec.skips_oversized());
                    assert!(consumed > 0 && consumed <= buf.len());
                    let left = decoder.skip_remaining().unwrap_or(0);
                    start += consumed;
                    assert_eq!(decoder.skip_frame_len().is_some(), left > 0);
                }
                Ok(Decoded::Incomplete { needed }) => {
                    let (expected, mid_frame) = model.progress_at(fed);
                    assert_eq!(needed, expected, "needed at {fed}");
                    assert_eq!(needed, decoder.bytes_needed(buf));
                    assert_eq!(decoder.is_mid_frame(), mid_frame, "is_mid_frame at {fed}");
                    break;
                }
                Err(err) if is_skipped(&codec, &err) => {
                    // The whole frame is now the caller's to drop, starting with its header.
                    let frame_len = decoder.skip_frame_len().expect("skipping");
                    assert_eq!(decoder.skip_remaining(), Some(frame_len));
                    events.push(Event::Error(err));
                }
                Err(err) => {
                    events.push(Event::Error(err.clone()));
                    assert_eq!(events, model.events_by(stream, fed, false), "at {fed}");
                    // Fail fast: nothing to drop, the same error again.
                    let at = model.error_start().expect("the model has a bad header");
                    assert_eq!(start, at, "the bad frame starts the buffer");
                    assert_eq!(decoder.decode_slice(&stream[start..fed]), Err(err));
                    return;
                }
            }
        }
        assert_eq!(events, model.events_by(stream, fed, false), "at {fed}");
    }
    match model.end() {
        Ok(()) => assert_eq!(start, stream.len()),
        Err(FrameError::Truncated { got, .. }) => {
            // A truncated frame is left in the buffer, or (while skipping) partly dropped.
            let left_in_buf = (stream.len() - start) as u64;
            match (decoder.skip_remaining(), decoder.skip_frame_len()) {
                (Some(left), Some(frame_len)) => assert_eq!(frame_len - left, got),
                _ => assert_eq!(left_in_buf, got),
            }
        }
        Err(err) => panic!("the model's error {err:?} was never reported"),
    }
}
