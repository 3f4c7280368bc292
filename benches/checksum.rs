//! What a checksum costs: the same 4 KiB-frame stream decoded with the default layout (no sync,
//! no check) and with sync bytes and a CRC-32C trailer, three ways:
//!
//! - `slice`: `FrameDecoder::decode_slice` over the stream in memory. Without a check the
//!   decoder never reads a payload byte, so this is the CRC's whole cost against nothing.
//! - `reader`: `blocking::FrameReader::read_frame_ref` over a `&[u8]`, which copies every byte
//!   into the reader's buffer as a socket or serial read would: the cost against a memcpy.
//! - `tcp`: the same reader over a real 127.0.0.1 socket, a writer thread sending the
//!   pre-encoded stream with `write_all` (one connection per sample; connecting and joining are
//!   not timed): the cost a program sees, where the kernel's copies are part of the bill.
//!   `tcp/unframed` reads the checksum-free stream with plain `read` into a 1 MiB buffer, no
//!   framing: the socket's own limit, for scale.
//!
//! The `free_check` rows carry the same sync bytes and 4-byte trailer, checked by a
//! caller-supplied check that reads nothing (always 0): the layout's own cost, the ceiling any
//! CRC implementation can reach.
//!
//! Throughput counts payload bytes in every row, so rows compare directly.
//!
//! Run: `cargo bench --features checksum --bench checksum`; with `--features checksum-simd` the
//! `crc32c` rows use crc-fast's SIMD CRC-32C instead of the `crc` crate's tables.

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use lenframe::blocking::FrameReader;
use lenframe::{ByteOrder, Checksum, ChecksumAlgorithm, Codec, Decoded};

const FRAME: usize = 4096;
const FRAMES: usize = 256;

/// The unframed reader's buffer: large, so it makes as few system calls as the kernel allows.
const UNFRAMED_READ: usize = 1024 * 1024;

fn stream(codec: Codec) -> Vec<u8> {
    let encoder = codec.encoder();
    let mut out = bytes::BytesMut::new();
    for i in 0..FRAMES {
        let payload: Vec<u8> = (0..FRAME).map(|j| (i * 31 + j * 7) as u8).collect();
        encoder.encode(&payload, &mut out).unwrap();
    }
    out.to_vec()
}

fn decode_slice(codec: Codec, mut rest: &[u8]) -> usize {
    let mut decoder = codec.decoder();
    let mut frames = 0;
    loop {
        match decoder.decode_slice(rest).unwrap() {
            Decoded::Frame { frame, consumed } => {
                black_box(frame);
                rest = &rest[consumed..];
                frames += 1;
            }
            // The trailer after a payload.
            Decoded::Skipped { consumed } => rest = &rest[consumed..],
            Decoded::Incomplete { .. } => {
                assert_eq!(decoder.dropped_bytes(), 0, "a clean stream");
                return frames;
            }
        }
    }
}

fn read_all(codec: Codec, wire: &[u8]) -> usize {
    let mut reader = FrameReader::with_codec(wire, codec);
    let mut frames = 0;
    while let Some(frame) = reader.read_frame_ref().unwrap() {
        black_box(frame);
        frames += 1;
    }
    frames
}

/// A connected pair on 127.0.0.1: (writer's end, reader's end).
fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

/// Sends `wire` `times` times from a new thread over a fresh connection and runs `read` here,
/// timing from when both ends are ready until `read` returns.
fn transfer(wire: &Arc<[u8]>, times: u64, read: impl FnOnce(TcpStream)) -> Duration {
    let (mut client, server) = pair();
    let ready = Arc::new(Barrier::new(2));
    let writer = {
        let (ready, wire) = (Arc::clone(&ready), Arc::clone(wire));
        thread::spawn(move || {
            ready.wait();
            for _ in 0..times {
                client.write_all(&wire).unwrap();
            }
        })
    };
    ready.wait();
    let start = Instant::now();
    read(server);
    let elapsed = start.elapsed();
    writer.join().unwrap();
    elapsed
}

fn tcp_read_frames(stream: TcpStream, codec: Codec, frames: u64) {
    let mut reader = FrameReader::with_codec(stream, codec);
    for _ in 0..frames {
        let frame = reader.read_frame_ref().unwrap().unwrap();
        black_box(frame);
    }
}

fn tcp_read_unframed(mut stream: TcpStream, total: u64) {
    let mut buf = vec![0u8; UNFRAMED_READ];
    let mut got = 0u64;
    while got < total {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the writer closed early");
        got += n as u64;
    }
    black_box(&buf);
}

fn bench(c: &mut Criterion) {
    let plain = Codec::default();
    let crc32c = Codec::builder()
        .sync_bytes(b"\xAA\x55")
        .checksum(Checksum::new(ChecksumAlgorithm::Crc32C, ByteOrder::Little))
        .build()
        .unwrap();
    let free_check = Codec::builder()
        .sync_bytes(b"\xAA\x55")
        .checksum(Checksum::custom(|_| 0, 4, ByteOrder::Little))
        .build()
        .unwrap();
    let plain_wire = stream(plain);
    let crc_wire = stream(crc32c);
    let free_wire = stream(free_check);
    assert_eq!(decode_slice(crc32c, &crc_wire), FRAMES);
    assert_eq!(read_all(crc32c, &crc_wire), FRAMES);
    assert_eq!(read_all(free_check, &free_wire), FRAMES);

    let mut group = c.benchmark_group("checksum_4k");
    group.throughput(Throughput::Bytes((FRAME * FRAMES) as u64));
    group.bench_function("slice/none", |b| {
        b.iter(|| decode_slice(plain, &plain_wire))
    });
    group.bench_function("slice/crc32c", |b| {
        b.iter(|| decode_slice(crc32c, &crc_wire))
    });
    group.bench_function("reader/none", |b| b.iter(|| read_all(plain, &plain_wire)));
    group.bench_function("reader/crc32c", |b| b.iter(|| read_all(crc32c, &crc_wire)));
    group.bench_function("reader/free_check", |b| {
        b.iter(|| read_all(free_check, &free_wire))
    });

    // One connection per sample, so Flat: every sample moves the same number of iterations.
    group.sampling_mode(SamplingMode::Flat).sample_size(20);
    let plain_wire: Arc<[u8]> = plain_wire.into();
    let crc_wire: Arc<[u8]> = crc_wire.into();
    let free_wire: Arc<[u8]> = free_wire.into();
    for (name, codec, wire) in [
        ("tcp/none", plain, &plain_wire),
        ("tcp/crc32c", crc32c, &crc_wire),
        ("tcp/free_check", free_check, &free_wire),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                transfer(wire, iters, |s| {
                    tcp_read_frames(s, codec, FRAMES as u64 * iters)
                })
            })
        });
    }
    group.bench_function("tcp/unframed", |b| {
        b.iter_custom(|iters| {
            let total = plain_wire.len() as u64 * iters;
            transfer(&plain_wire, iters, |s| tcp_read_unframed(s, total))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
