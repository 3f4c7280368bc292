//! Decoding many frames already in memory, on the same input for every implementation:
//!
//! - `lenframe_slice`: `Codec::decode_slice` over a `&[u8]` (borrowed, no allocation);
//! - `lenframe_bytesmut`: `FrameDecoder::decode` splitting `Bytes` off a `BytesMut`;
//! - `tokio_util`: `LengthDelimitedCodec` (4-byte little-endian) splitting `BytesMut` off a
//!   `BytesMut`;
//! - `plain_loop`: a hand-written loop over the `&[u8]` (read an `i32` LE, slice the payload),
//!   with no settings and no checks beyond slicing: the limit.
//!
//! The two `BytesMut` paths consume their buffer, so each iteration starts from a fresh copy of
//! the input (with 8 KiB spare capacity, as after a socket read); making and freeing the copy is
//! not timed (it stands for the socket read, which is the same for both).

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::{bound_wall_time, frames_per_iter, min_of_3, throughput, time, wire, SIZES};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use lenframe::{Codec, Decoded};
use tokio_util::codec::Decoder as _;

/// The plain loop: what a careful hand-written parser of this one format does.
#[inline(never)]
fn plain_loop(mut rest: &[u8]) -> usize {
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
fn lenframe_slice(codec: &Codec, mut rest: &[u8]) -> usize {
    let mut frames = 0;
    while let Decoded::Frame { frame, consumed } = codec.decode_slice(rest).unwrap() {
        black_box(frame);
        rest = &rest[consumed..];
        frames += 1;
    }
    frames
}

#[inline(never)]
fn lenframe_bytesmut(codec: &Codec, buf: &mut BytesMut) -> usize {
    let mut decoder = codec.decoder();
    let mut frames = 0;
    while let Some(frame) = decoder.decode(buf).unwrap() {
        black_box(&frame);
        frames += 1;
    }
    frames
}

#[inline(never)]
fn tokio_util(buf: &mut BytesMut) -> usize {
    let mut codec = common::tokio_util_codec();
    let mut frames = 0;
    while let Some(frame) = codec.decode(buf).unwrap() {
        black_box(&frame);
        frames += 1;
    }
    frames
}

/// Spare capacity after the frames in each `BytesMut`, as a socket read leaves (8 KiB is what
/// `FramedRead` reserves): without it tokio-util's decoder reallocates after the last frame.
const SPARE: usize = 8 * 1024;

/// A fresh `BytesMut` holding `wire`, already shared (as a reader's buffer is after its first
/// frame), and a handle that keeps the allocation alive so that freeing it is not timed.
fn fresh_copy(wire: &[u8]) -> (BytesMut, BytesMut) {
    let mut buf = BytesMut::with_capacity(wire.len() + SPARE);
    buf.extend_from_slice(wire);
    let keep = buf.split_to(0);
    (buf, keep)
}

/// Times `decode` on a fresh `BytesMut` copy of `wire`; making and freeing the copy is untimed.
fn timed_on_copy(wire: &[u8], count: usize, decode: impl Fn(&mut BytesMut) -> usize) -> Duration {
    let (mut buf, keep) = fresh_copy(wire);
    let start = Instant::now();
    let frames = decode(&mut buf);
    let elapsed = start.elapsed();
    assert_eq!(frames, count);
    drop((buf, keep));
    elapsed
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    let codec = Codec::default(); // its maximum is common::MAX_FRAME
    for size in SIZES {
        let count = frames_per_iter(size);
        let wire = wire(size, count);
        group.throughput(throughput(count, size));
        assert_eq!(plain_loop(&wire), count);
        assert_eq!(lenframe_slice(&codec, &wire), count);

        let defaults = |group: &mut criterion::BenchmarkGroup<'_, _>| {
            group
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(2))
                .sampling_mode(criterion::SamplingMode::Auto);
        };
        defaults(&mut group);
        group.bench_with_input(BenchmarkId::new("plain_loop", size), &wire, |b, wire| {
            b.iter(|| plain_loop(black_box(wire)))
        });
        group.bench_with_input(
            BenchmarkId::new("lenframe_slice", size),
            &wire,
            |b, wire| b.iter(|| lenframe_slice(&codec, black_box(wire))),
        );

        let setup = min_of_3(|| {
            time(|| {
                black_box(fresh_copy(&wire));
            })
        });
        let run_lenframe = |buf: &mut BytesMut| lenframe_bytesmut(&codec, buf);
        let run_tokio = |buf: &mut BytesMut| tokio_util(buf);
        for (name, run) in [
            (
                "lenframe_bytesmut",
                &run_lenframe as &dyn Fn(&mut BytesMut) -> usize,
            ),
            ("tokio_util", &run_tokio),
        ] {
            let timed = min_of_3(|| timed_on_copy(&wire, count, run));
            bound_wall_time(&mut group, setup, timed, Duration::from_secs(4));
            group.bench_with_input(BenchmarkId::new(name, size), &wire, |b, wire| {
                b.iter_custom(|iters| (0..iters).map(|_| timed_on_copy(wire, count, run)).sum())
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = decode
}
criterion_main!(benches);
