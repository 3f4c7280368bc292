//! tokio TCP end to end on 127.0.0.1 (multi-thread runtime, 2 workers): a writer task sends
//! frames, a reader task reads them. Each iteration moves the same frames (about 1 MiB of
//! payload, at least 4 frames); connecting is not timed.
//!
//! - `lenframe`: `tokio::FrameWriter::write_frame` then `flush`, `tokio::FrameReader::read_frame`;
//! - `lenframe_feed`: `tokio::FrameWriter::feed_frame` of an owned `Bytes` (queued without a
//!   copy, gathered into vectored writes) then `flush`, and `read_frame`;
//! - `lenframe_framed`: `FramedWrite`/`FramedRead` with `lenframe::FramedCodec`;
//! - `tokio_util`: `FramedWrite`/`FramedRead` with `LengthDelimitedCodec` (4-byte little-endian);
//! - `unframed`: the same bytes (headers included), no framing: `write_all` of 1 MiB at a time,
//!   `read` into a 1 MiB buffer: the socket's limit through tokio, the baseline of the bulk
//!   target.
//!
//! Both `Framed` writers `feed` every frame and flush once at the end (`send` would flush, and so
//! make a system call, per frame). Items are `Bytes::from_static`, so handing one over is free.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{payload, throughput};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use futures_util::{SinkExt, StreamExt};
use lenframe::tokio::{FrameReader, FrameWriter};
use lenframe::FramedCodec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use tokio_util::codec::{FramedRead, FramedWrite};

/// Payload sizes over TCP: the in-memory sizes plus 64 B, which a target names.
const TCP_SIZES: [usize; 6] = [16, 64, 256, 4096, 64 * 1024, 1024 * 1024];

/// Frames per iteration: about 1 MiB of payload, at least 4 frames.
fn tcp_frames(size: usize) -> usize {
    ((1 << 20) / size).max(4)
}

#[derive(Clone, Copy)]
enum Impl {
    Lenframe,
    LenframeFeed,
    LenframeFramed,
    TokioUtil,
    Unframed,
}

/// The unframed rows' write and read size.
const UNFRAMED_CHUNK: usize = 1024 * 1024;

async fn write(which: Impl, stream: TcpStream, payload: Bytes, wire: Bytes, frames: usize) {
    match which {
        Impl::Lenframe => {
            let mut writer = FrameWriter::new(stream);
            for _ in 0..frames {
                writer.write_frame(&payload).await.unwrap();
            }
            writer.flush().await.unwrap();
        }
        Impl::LenframeFeed => {
            let mut writer = FrameWriter::new(stream);
            for _ in 0..frames {
                writer.feed_frame(payload.clone()).await.unwrap();
            }
            writer.flush().await.unwrap();
        }
        Impl::Unframed => {
            // `wire` is one iteration's frames, written as many times as there are iterations.
            let per_wire = wire.len() / (payload.len() + common::HEADER);
            let mut stream = stream;
            for _ in 0..frames / per_wire {
                for chunk in wire.chunks(UNFRAMED_CHUNK) {
                    stream.write_all(chunk).await.unwrap();
                }
            }
        }
        Impl::LenframeFramed => {
            let mut sink = FramedWrite::new(stream, FramedCodec::default());
            for _ in 0..frames {
                sink.feed(payload.clone()).await.unwrap();
            }
            SinkExt::<Bytes>::flush(&mut sink).await.unwrap();
        }
        Impl::TokioUtil => {
            let mut sink = FramedWrite::new(stream, common::tokio_util_codec());
            for _ in 0..frames {
                sink.feed(payload.clone()).await.unwrap();
            }
            SinkExt::<Bytes>::flush(&mut sink).await.unwrap();
        }
    }
}

async fn read(which: Impl, stream: TcpStream, frames: usize, size: usize) {
    match which {
        Impl::Unframed => {
            let total = (frames * (size + common::HEADER)) as u64;
            let mut buf = vec![0u8; UNFRAMED_CHUNK];
            let mut got = 0u64;
            let mut stream = stream;
            while got < total {
                let n = stream.read(&mut buf).await.unwrap();
                assert!(n > 0, "the writer closed early");
                got += n as u64;
            }
        }
        Impl::Lenframe | Impl::LenframeFeed => {
            let mut reader = FrameReader::new(stream);
            for _ in 0..frames {
                black_box(reader.read_frame().await.unwrap().unwrap());
            }
        }
        Impl::LenframeFramed => {
            let mut stream = FramedRead::new(stream, FramedCodec::default());
            for _ in 0..frames {
                black_box(stream.next().await.unwrap().unwrap());
            }
        }
        Impl::TokioUtil => {
            let mut stream = FramedRead::new(stream, common::tokio_util_codec());
            for _ in 0..frames {
                black_box(stream.next().await.unwrap().unwrap());
            }
        }
    }
}

/// Moves `frames` frames over a fresh loopback connection; times the transfer only.
fn transfer(rt: &Runtime, which: Impl, payload: &Bytes, wire: &Bytes, frames: usize) -> Duration {
    let (client, server) = rt.block_on(common::tokio_pair());
    let size = payload.len();
    let (payload, wire) = (payload.clone(), wire.clone());
    rt.block_on(async move {
        let start = Instant::now();
        let writer = tokio::spawn(write(which, client, payload, wire, frames));
        let reader = tokio::spawn(read(which, server, frames, size));
        reader.await.unwrap();
        let elapsed = start.elapsed();
        writer.await.unwrap();
        elapsed
    })
}

fn tokio_tcp(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("tokio_tcp");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for size in TCP_SIZES {
        let frames = tcp_frames(size);
        let payload = Bytes::from_static(payload(size).leak());
        let wire = Bytes::from(common::wire(size, frames));
        group.throughput(throughput(frames, size));
        for (name, which) in [
            ("lenframe", Impl::Lenframe),
            ("lenframe_feed", Impl::LenframeFeed),
            ("lenframe_framed", Impl::LenframeFramed),
            ("tokio_util", Impl::TokioUtil),
            ("unframed", Impl::Unframed),
        ] {
            group.bench_function(BenchmarkId::new(name, size), |b| {
                b.iter_custom(|iters| {
                    transfer(&rt, which, &payload, &wire, frames * iters as usize)
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = tokio_tcp
}
criterion_main!(benches);
