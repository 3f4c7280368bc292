//! Blocking TCP end to end on 127.0.0.1: a writer thread sends frames, the bench thread reads
//! them. Each iteration moves the same frames (about 1 MiB of payload, at least 4 frames);
//! connecting, spawning the writer and joining it are not timed.
//!
//! - `lenframe`: `blocking::FrameWriter::write_frame` then `flush`, `blocking::FrameReader::read_frame`
//!   (default settings: 64 KiB buffers);
//! - `lenframe_borrowed`: the same writer, and `blocking::FrameReader::read_frame_ref`, which
//!   lends each frame from the reader's buffer instead of returning an owned `Bytes`;
//! - `lenframe_feed`: `blocking::FrameWriter::feed_frame` of an owned `Bytes` (queued without a
//!   copy, many frames gathered into one vectored write) then `flush`, and `read_frame`;
//! - `naive_read_exact`: what most hand-written code does, with std's defaults (8 KiB buffers):
//!   `BufWriter` and two `write_all` per frame; `BufReader`, `read_exact` of the 4-byte header,
//!   then `read_exact` into a new `vec![0; len]` (an owned frame, as `read_frame` returns);
//! - `naive_read_exact_reuse`: the same, reading every payload into one reused `Vec`;
//! - `unframed`: the same bytes (headers included), no framing at all: `write_all` of 1 MiB at a
//!   time, read with `read` into a 1 MiB buffer: the socket's limit, the baseline the bulk
//!   targets are ratios of.

mod common;

use std::hint::black_box;
use std::io::{BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{payload, throughput, HEADER};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use lenframe::blocking::{FrameReader, FrameWriter};

/// Payload sizes over TCP: the in-memory sizes plus 64 B, which a target names.
const TCP_SIZES: [usize; 6] = [16, 64, 256, 4096, 64 * 1024, 1024 * 1024];

/// The read buffer of the unframed reader: large, so that it makes as few system calls as the
/// kernel allows.
const UNFRAMED_READ: usize = 1024 * 1024;

/// Frames per iteration: about 1 MiB of payload, at least 4 frames.
fn tcp_frames(size: usize) -> usize {
    ((1 << 20) / size).max(4)
}

/// A connected pair on 127.0.0.1: (writer's end, reader's end).
fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

/// Runs `write` on a new thread and `read` here over a fresh loopback connection, timing from
/// when both are ready until `read` returns. The writer thread is joined before returning.
fn transfer(
    write: impl FnOnce(TcpStream) + Send + 'static,
    read: impl FnOnce(TcpStream),
) -> Duration {
    let (client, server) = pair();
    let ready = Arc::new(Barrier::new(2));
    let writer = {
        let ready = Arc::clone(&ready);
        thread::spawn(move || {
            ready.wait();
            write(client);
        })
    };
    ready.wait();
    let start = Instant::now();
    read(server);
    let elapsed = start.elapsed();
    writer.join().unwrap();
    elapsed
}

fn lenframe_write(stream: TcpStream, payload: &[u8], frames: usize) {
    let mut writer = FrameWriter::new(stream);
    for _ in 0..frames {
        writer.write_frame(payload).unwrap();
    }
    writer.flush().unwrap();
}

fn lenframe_feed(stream: TcpStream, payload: &[u8], frames: usize) {
    let payload = Bytes::copy_from_slice(payload);
    let mut writer = FrameWriter::new(stream);
    for _ in 0..frames {
        writer.feed_frame(payload.clone()).unwrap();
    }
    writer.flush().unwrap();
}

fn lenframe_read(stream: TcpStream, frames: usize) {
    let mut reader = FrameReader::new(stream);
    for _ in 0..frames {
        let frame = reader.read_frame().unwrap().unwrap();
        black_box(&frame);
    }
}

fn lenframe_read_borrowed(stream: TcpStream, frames: usize) {
    let mut reader = FrameReader::new(stream);
    for _ in 0..frames {
        let frame = reader.read_frame_ref().unwrap().unwrap();
        black_box(frame);
    }
}

fn naive_write(stream: TcpStream, payload: &[u8], frames: usize) {
    let mut writer = BufWriter::new(stream);
    for _ in 0..frames {
        writer
            .write_all(&(payload.len() as i32).to_le_bytes())
            .unwrap();
        writer.write_all(payload).unwrap();
    }
    writer.flush().unwrap();
}

fn naive_read(stream: TcpStream, frames: usize) {
    let mut reader = BufReader::new(stream);
    for _ in 0..frames {
        let mut header = [0u8; HEADER];
        reader.read_exact(&mut header).unwrap();
        let len = i32::from_le_bytes(header) as usize;
        let mut frame = vec![0u8; len];
        reader.read_exact(&mut frame).unwrap();
        black_box(&frame);
    }
}

fn naive_read_reuse(stream: TcpStream, frames: usize) {
    let mut reader = BufReader::new(stream);
    let mut frame = Vec::new();
    for _ in 0..frames {
        let mut header = [0u8; HEADER];
        reader.read_exact(&mut header).unwrap();
        let len = i32::from_le_bytes(header) as usize;
        frame.resize(len, 0);
        reader.read_exact(&mut frame[..len]).unwrap();
        black_box(&frame);
    }
}

fn unframed_write(mut stream: TcpStream, wire: &[u8], times: u64) {
    for _ in 0..times {
        for chunk in wire.chunks(UNFRAMED_READ) {
            stream.write_all(chunk).unwrap();
        }
    }
}

fn unframed_read(mut stream: TcpStream, total: u64) {
    let mut buf = vec![0u8; UNFRAMED_READ];
    let mut got = 0u64;
    while got < total {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the writer closed early");
        got += n as u64;
    }
}

fn blocking_tcp(c: &mut Criterion) {
    let mut group = c.benchmark_group("blocking_tcp");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for size in TCP_SIZES {
        let frames = tcp_frames(size);
        let payload: Arc<[u8]> = payload(size).into();
        let wire: Arc<[u8]> = common::wire(size, frames).into();
        group.throughput(throughput(frames, size));

        // Each framed row: the same frames, written and read by one pair of functions.
        type Writer = fn(TcpStream, &[u8], usize);
        type Reader = fn(TcpStream, usize);
        let rows: [(&str, Writer, Reader); 5] = [
            ("lenframe", lenframe_write, lenframe_read),
            ("lenframe_borrowed", lenframe_write, lenframe_read_borrowed),
            ("lenframe_feed", lenframe_feed, lenframe_read),
            ("naive_read_exact", naive_write, naive_read),
            ("naive_read_exact_reuse", naive_write, naive_read_reuse),
        ];
        for (name, write, read) in rows {
            group.bench_function(BenchmarkId::new(name, size), |b| {
                b.iter_custom(|iters| {
                    let n = frames * iters as usize;
                    let payload = Arc::clone(&payload);
                    transfer(move |s| write(s, &payload, n), move |s| read(s, n))
                })
            });
        }
        group.bench_function(BenchmarkId::new("unframed", size), |b| {
            b.iter_custom(|iters| {
                let wire = Arc::clone(&wire);
                let total = wire.len() as u64 * iters;
                transfer(
                    move |s| unframed_write(s, &wire, iters),
                    |s| unframed_read(s, total),
                )
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = blocking_tcp
}
criterion_main!(benches);
