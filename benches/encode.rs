//! Encoding, on the same payloads for every implementation.
//!
//! `encode` appends header and payload to a `BytesMut` (cleared, capacity kept, between
//! iterations):
//! - `lenframe`: `FrameEncoder::encode`;
//! - `tokio_util`: `LengthDelimitedCodec` (4-byte little-endian) as `Encoder<Bytes>`, given a
//!   `Bytes::from_static` payload so handing it over costs nothing;
//! - `naive`: `extend_from_slice` of the `i32` LE length, then of the payload.
//!
//! `encode_vectored` sends header and payload to an `io::Write` that only counts bytes (each write
//! an opaque call), so the figure is the framing cost alone, without the system calls:
//! - `lenframe`: `FrameEncoder::header` (inline, no allocation) and one `write_vectored` of header
//!   and payload: the payload is never copied;
//! - `tokio_util`: what `FramedWrite` does, encode into a `BytesMut` and write that: one copy;
//! - `naive`: `write_all` of the header, then `write_all` of the payload: no copy, two writes.

mod common;

use std::hint::black_box;
use std::io::{self, IoSlice, Write};

use bytes::{BufMut, Bytes, BytesMut};
use common::{frames_per_iter, payload, throughput, SIZES};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use lenframe::Codec;
use tokio_util::codec::Encoder as _;

/// An `io::Write` that keeps nothing and counts what it was given. Its methods are not inlined,
/// so each write stays a call (as each would be a system call on a socket) and the compiler
/// cannot fold a loop of writes into arithmetic.
#[derive(Default)]
struct CountingSink {
    bytes: u64,
    writes: u64,
}

impl Write for CountingSink {
    #[inline(never)]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        black_box(buf.as_ptr());
        self.bytes += buf.len() as u64;
        self.writes += 1;
        Ok(buf.len())
    }

    #[inline(never)]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        black_box(bufs.as_ptr());
        let n: usize = bufs.iter().map(|b| b.len()).sum();
        self.bytes += n as u64;
        self.writes += 1;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `write_vectored` until everything is written (std's `write_all_vectored` is unstable).
fn write_all_vectored(w: &mut impl Write, mut bufs: &mut [IoSlice<'_>]) -> io::Result<()> {
    while !bufs.is_empty() {
        match w.write_vectored(bufs) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    let encoder = Codec::default().encoder(); // its maximum is common::MAX_FRAME
    for size in SIZES {
        let count = frames_per_iter(size);
        let payload = payload(size);
        let shared = Bytes::from_static(payload.clone().leak());
        let mut dst = BytesMut::with_capacity(count * (size + common::HEADER));
        group.throughput(throughput(count, size));

        // The three write the same bytes.
        let mut outputs = Vec::new();
        for run in 0..3 {
            let mut out = BytesMut::new();
            for _ in 0..2 {
                match run {
                    0 => encoder.encode(&payload, &mut out).unwrap(),
                    1 => common::tokio_util_codec()
                        .encode(shared.clone(), &mut out)
                        .unwrap(),
                    _ => {
                        out.extend_from_slice(&(size as i32).to_le_bytes());
                        out.extend_from_slice(&payload);
                    }
                }
            }
            outputs.push(out);
        }
        assert!(outputs.windows(2).all(|w| w[0] == w[1]));

        group.bench_with_input(
            BenchmarkId::new("lenframe", size),
            &payload,
            |b, payload| {
                b.iter(|| {
                    dst.clear();
                    for _ in 0..count {
                        encoder.encode(black_box(payload), &mut dst).unwrap();
                    }
                    black_box(&dst);
                })
            },
        );
        let mut codec = common::tokio_util_codec();
        group.bench_with_input(
            BenchmarkId::new("tokio_util", size),
            &shared,
            |b, shared| {
                b.iter(|| {
                    dst.clear();
                    for _ in 0..count {
                        codec.encode(black_box(shared).clone(), &mut dst).unwrap();
                    }
                    black_box(&dst);
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("naive", size), &payload, |b, payload| {
            b.iter(|| {
                dst.clear();
                for _ in 0..count {
                    let payload = black_box(payload);
                    dst.put_slice(&(payload.len() as i32).to_le_bytes());
                    dst.put_slice(payload);
                }
                black_box(&dst);
            })
        });
    }
    group.finish();
}

fn encode_vectored(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode_vectored");
    let encoder = Codec::default().encoder(); // its maximum is common::MAX_FRAME
    for size in SIZES {
        let count = frames_per_iter(size);
        let payload = payload(size);
        let shared = Bytes::from_static(payload.clone().leak());
        let expected = (count * (size + common::HEADER)) as u64;
        group.throughput(throughput(count, size));

        group.bench_with_input(
            BenchmarkId::new("lenframe", size),
            &payload,
            |b, payload| {
                b.iter(|| {
                    let mut sink = CountingSink::default();
                    for _ in 0..count {
                        let payload = black_box(payload);
                        let header = encoder.header(payload.len()).unwrap();
                        let mut bufs = [IoSlice::new(&header), IoSlice::new(payload)];
                        write_all_vectored(&mut sink, &mut bufs).unwrap();
                    }
                    assert_eq!(sink.bytes, expected);
                    sink.writes
                })
            },
        );
        let mut codec = common::tokio_util_codec();
        let mut scratch = BytesMut::with_capacity(size + common::HEADER);
        group.bench_with_input(
            BenchmarkId::new("tokio_util", size),
            &shared,
            |b, shared| {
                b.iter(|| {
                    let mut sink = CountingSink::default();
                    for _ in 0..count {
                        codec
                            .encode(black_box(shared).clone(), &mut scratch)
                            .unwrap();
                        sink.write_all(&scratch).unwrap();
                        scratch.clear();
                    }
                    assert_eq!(sink.bytes, expected);
                    sink.writes
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("naive", size), &payload, |b, payload| {
            b.iter(|| {
                let mut sink = CountingSink::default();
                for _ in 0..count {
                    let payload = black_box(payload);
                    sink.write_all(&(payload.len() as i32).to_le_bytes())
                        .unwrap();
                    sink.write_all(payload).unwrap();
                }
                assert_eq!(sink.bytes, expected);
                sink.writes
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = encode, encode_vectored
}
criterion_main!(benches);
