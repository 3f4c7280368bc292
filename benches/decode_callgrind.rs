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
//! - `bytesmut`: `FrameDecoder::decode` splitting `Bytes` off a `BytesMut`;
//! - `codec_slice_net`, `bytesmut_net`: the same two with a `"!I"` header (network order,
//!   tokio-util's default);
//! - `codec_slice_short`, `bytesmut_short`: the same two with a `"!H"` header (2 bytes).
//!
//! And encoding `FRAMES` payloads of `SIZE` bytes into a `BytesMut` reserved beforehand:
//!
//! - `encode_naive`: `put_slice` of the `i32` LE length, then of the payload;
//! - `encode`: `FrameEncoder::encode`;
//! - `header`: `FrameEncoder::header` alone (what the vectored writers use).
//!
//! Run with no arguments (as `cargo bench` does) it checks that every implementation finds the
//! same frames, and counts nothing.

use std::hint::black_box;

use bytes::{BufMut, BytesMut};
use lenframe::{Codec, Decoded, FrameEncoder};

/// The names the script passes, in the order it reports them.
const IMPLS: [&str; 8] = [
    "plain",
    "codec_slice",
    "decoder_slice",
    "bytesmut",
    "codec_slice_net",
    "bytesmut_net",
    "codec_slice_short",
    "bytesmut_short",
];
const ENCODE_IMPLS: [&str; 3] = ["encode_naive", "encode", "header"];

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

#[inline(never)]
fn count_encode_naive(payload: &[u8], count: usize, dst: &mut BytesMut) {
    for _ in 0..count {
        let payload = black_box(payload);
        dst.put_slice(&(payload.len() as i32).to_le_bytes());
        dst.put_slice(payload);
    }
}

#[inline(never)]
fn count_encode(encoder: &FrameEncoder, payload: &[u8], count: usize, dst: &mut BytesMut) {
    for _ in 0..count {
        encoder.encode(black_box(payload), dst).unwrap();
    }
}

#[inline(never)]
fn count_header(encoder: &FrameEncoder, payload: &[u8], count: usize) {
    for _ in 0..count {
        black_box(encoder.header(black_box(payload).len()).unwrap());
    }
}

/// Encodes `count` payloads of `size` bytes with `name`; returns the bytes written.
fn run_encode(name: &str, size: usize, count: usize) -> Vec<u8> {
    let encoder = Codec::default().encoder();
    let payload: Vec<u8> = (0..size).map(|i| (i * 31 + 7) as u8).collect();
    let mut dst = BytesMut::with_capacity(count * (size + 4));
    match name {
        "encode_naive" => count_encode_naive(&payload, count, &mut dst),
        "encode" => count_encode(black_box(&encoder), &payload, count, &mut dst),
        "header" => {
            count_header(black_box(&encoder), &payload, count);
            return wire(size, count);
        }
        other => panic!("unknown implementation {other:?}; use one of {ENCODE_IMPLS:?}"),
    }
    dst.to_vec()
}

/// `count` frames of `size`-byte payloads in the default layout, written by hand.
fn wire(size: usize, count: usize) -> Vec<u8> {
    wire_in(size, count, false)
}

/// `count` frames of `size`-byte payloads with the header `name` (an implementation) reads.
fn wire_for(name: &str, size: usize, count: usize) -> Vec<u8> {
    if name.ends_with("_short") {
        let header = (size as u16).to_be_bytes();
        return wire_with(&header, size, count);
    }
    wire_in(size, count, name.ends_with("_net"))
}

/// `count` frames of `size`-byte payloads with a 4-byte header, big-endian if `net`.
fn wire_in(size: usize, count: usize, net: bool) -> Vec<u8> {
    let header = if net {
        (size as u32).to_be_bytes()
    } else {
        (size as u32).to_le_bytes()
    };
    wire_with(&header, size, count)
}

fn wire_with(header: &[u8], size: usize, count: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..size).map(|i| (i * 31 + 7) as u8).collect();
    let mut wire = Vec::with_capacity(count * (4 + size));
    for _ in 0..count {
        wire.extend_from_slice(header);
        wire.extend_from_slice(&payload);
    }
    wire
}

fn run(name: &str, wire: &[u8]) -> usize {
    let codec = Codec::builder()
        .max_frame_len(lenframe::MAX_FRAME_LEN_LIMIT)
        .build()
        .unwrap();
    let net = codec
        .to_builder()
        .length_field(lenframe::LengthField::U32_BE)
        .build()
        .unwrap();
    let short = codec
        .to_builder()
        .length_field(lenframe::LengthField::from_struct_format("!H").unwrap())
        .build()
        .unwrap();
    match name {
        "codec_slice_net" => count_codec_slice(black_box(&net), black_box(wire)),
        "bytesmut_net" => {
            let mut buf = BytesMut::from(wire);
            count_bytesmut(black_box(&net), &mut buf)
        }
        "codec_slice_short" => count_codec_slice(black_box(&short), black_box(wire)),
        "bytesmut_short" => {
            let mut buf = BytesMut::from(wire);
            count_bytesmut(black_box(&short), &mut buf)
        }
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
        [name, size, frames] if name.starts_with("encode") || name == "header" => {
            let (size, frames) = (size.parse().unwrap(), frames.parse().unwrap());
            assert_eq!(run_encode(name, size, frames), wire(size, frames), "{name}");
        }
        [name, size, frames] => {
            let (size, frames) = (size.parse().unwrap(), frames.parse().unwrap());
            let wire = wire_for(name, size, frames);
            assert_eq!(run(name, &wire), frames, "{name}");
        }
        _ => {
            // `cargo bench` passes `--bench`: check the implementations agree, count nothing.
            for size in [0, 16, 4096] {
                let wire = wire(size, 100);
                for name in IMPLS {
                    let input = wire_for(name, size, 100);
                    assert_eq!(run(name, &input), 100, "{name} at {size} B");
                }
                for name in ENCODE_IMPLS {
                    assert_eq!(run_encode(name, size, 100), wire, "{name} at {size} B");
                }
            }
            println!("decode_callgrind: all implementations agree; run scripts/callgrind_decode.sh to count instructions");
        }
    }
}
