//! Instructions per decoded frame, counted by `valgrind --tool=callgrind`: deterministic, so a
//! change to the hot path can be measured on a busy machine. `scripts/callgrind_decode.sh` runs
//! it; see there for the figures it prints.
//!
//! `decode_callgrind IMPL SIZE FRAMES` decodes `FRAMES` frames of `SIZE`-byte payloads (the
//! default `"<i"` layout, built before counting starts) with one implementation, each in its own
//! `#[inline(never)]` function named `count_*` so callgrind can count that function alone
//! (`--toggle-collect`):
//!
//! - `plain`: the hand-written loop of `benches/decode.rs` (read an `i32` LE, slice the payload);
//! - `codec_slice`: `Codec::decode_slice` (stateless, borrowed);
//! - `decoder_slice`: `FrameDecoder::decode_slice` (stateful, borrowed);
//! - `bytesmut`: `FrameDecoder::decode` splitting `Bytes` off a `BytesMut`.
//!
//! Run with no arguments (as `cargo bench` does) it checks that every implementation finds the
//! same frames, and counts nothing.

use std::hint::black_box;

use bytes::BytesMut;
use lenframe::{Codec, Decoded};

/// The names the script passes, in the order it reports them.
const IMPLS: [&str; 4] = ["plain", "codec_slice", "decoder_slice", "bytesmut"];

#[inline(never)]
fn count_plain(mut rest: &[u8]) -> usize {
    let mut frames = 0;
    while let Some(head) = rest.get(..4) {
        let len = i32::from_le_bytes(head.try_into().unwrap()) as usize;
        let Some(payload) = rest.get(4..4 + len) else {
            break;
        };
        black_box(payload);
        rest = &rest[4 + len..];
        frames += 1;
    }
    frames
}

#[inline(never)]
fn count_codec_slice(codec: &Codec, mut rest: &[u8]) -> usize {
    let mut frames = 0;
    while let Decoded::Frame { frame, consumed } = codec.decode_slice(rest).unwrap() {
        black_box(frame);
        rest = &rest[consumed..];
        frames += 1;
    }
    frames
}

#[inline(never)]
fn count_decoder_slice(codec: &Codec, mut rest: &[u8]) -> usize {
    let mut decoder = codec.decoder();
    let mut frames = 0;
    while let Decoded::Frame { frame, consumed } = decoder.decode_slice(rest).unwrap() {
        black_box(frame);
        rest = &rest[consumed..];
        frames += 1;
    }
    frames
}

#[inline(never)]
fn count_bytesmut(codec: &Codec, buf: &mut BytesMut) -> usize {
    let mut decoder = codec.decoder();
    let mut frames = 0;
    while let Some(frame) = decoder.decode(buf).unwrap() {
        black_box(&frame);
        frames += 1;
    }
    frames
}

/// `count` frames of `size`-byte payloads in the default layout, written by hand.
fn wire(size: usize, count: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..size).map(|i| (i * 31 + 7) as u8).collect();
    let mut wire = Vec::with_capacity(count * (4 + size));
    for _ in 0..count {
        wire.extend_from_slice(&(size as i32).to_le_bytes());
        wire.extend_from_slice(&payload);
    }
    wire
}

fn run(name: &str, wire: &[u8]) -> usize {
    let codec = Codec::builder()
        .max_frame_len(lenframe::MAX_FRAME_LEN_LIMIT)
        .build()
        .unwrap();
    match name {
        "plain" => count_plain(black_box(wire)),
        "codec_slice" => count_codec_slice(black_box(&codec), black_box(wire)),
        "decoder_slice" => count_decoder_slice(black_box(&codec), black_box(wire)),
        "bytesmut" => {
            let mut buf = BytesMut::from(wire);
            count_bytesmut(black_box(&codec), &mut buf)
        }
        other => panic!("unknown implementation {other:?}; use one of {IMPLS:?}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match &args[..] {
        [name, size, frames] => {
            let (size, frames) = (size.parse().unwrap(), frames.parse().unwrap());
            assert_eq!(run(name, &wire(size, frames)), frames, "{name}");
        }
        _ => {
            // `cargo bench` passes `--bench`: check the implementations agree, count nothing.
            for size in [0, 16, 4096] {
                let wire = wire(size, 100);
                for name in IMPLS {
                    assert_eq!(run(name, &wire), 100, "{name} at {size} B");
                }
            }
            println!("decode_callgrind: all implementations agree; run scripts/callgrind_decode.sh to count instructions");
        }
    }
}
