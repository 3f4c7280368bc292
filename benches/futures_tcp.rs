//! The futures-io adapters over smol loopback TCP, side by side with `asynchronous-codec`'s
//! `Framed` and `LengthCodec` (the framing of libp2p-era futures-io code) over the same smol
//! `TcpStream`s, interleaved: every row takes its turn in each round, so each comparison is made
//! under the same load. Reports each row's median and range in frames/s, and its ratio to
//! `asynchronous-codec` per round (min, median, max): ratios are what to read on a shared
//! machine.
//!
//! `LengthCodec`'s header is a fixed 8-byte big-endian length, so like is compared with like:
//!
//! - `asynchronous_codec`: `FramedWrite` + `LengthCodec`, `SinkExt::feed` of each `Bytes`, one
//!   flush; `FramedRead` + `LengthCodec`, `StreamExt::next`;
//! - `sink_stream_Q`: lenframe with `">Q"` (the same 8-byte big-endian header) through the same
//!   `Sink` and `Stream` calls;
//! - `read_write_Q`: lenframe with `">Q"`, `write_frame` of a borrowed payload then one flush,
//!   `read_frame`;
//! - `read_write_i`: the same with lenframe's default `"<i"` (4-byte header).
//!
//! The writer runs on smol's global executor (a thread of its own), the reader on the bench
//! thread; a fresh connection per transfer, connecting not timed.
//!
//! Run: `cargo bench --features futures-io --bench futures_tcp` (about a minute); `-- 64` for
//! one size. `ARGS="4096 sink_stream_Q"` runs that one transfer once, for
//! `valgrind --tool=callgrind`.

use std::hint::black_box;
use std::time::Instant;

use asynchronous_codec::{FramedRead, FramedWrite, LengthCodec};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use lenframe::futures::{FrameReader, FrameWriter};
use lenframe::Codec;
use smol::net::{TcpListener, TcpStream};

const ROUNDS: usize = 9;
const MODES: [&str; 4] = [
    "asynchronous_codec",
    "sink_stream_Q",
    "read_write_Q",
    "read_write_i",
];

/// Payload bytes per transfer: 8 MiB of 64 B frames, 64 MiB of 4 KiB frames.
fn frames(size: usize) -> usize {
    (if size < 1024 { 8 << 20 } else { 64 << 20 }) / size
}

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

async fn write(mode: &'static str, stream: TcpStream, payload: Bytes, frames: usize) {
    match mode {
        "asynchronous_codec" => {
            let mut sink = FramedWrite::new(stream, LengthCodec);
            for _ in 0..frames {
                sink.feed(payload.clone()).await.unwrap();
            }
            sink.flush().await.unwrap();
        }
        "sink_stream_Q" => {
            let mut sink = FrameWriter::with_codec(stream, codec_q());
            for _ in 0..frames {
                sink.feed(payload.clone()).await.unwrap();
            }
            SinkExt::flush(&mut sink).await.unwrap();
        }
        _ => {
            let codec = if mode == "read_write_Q" {
                codec_q()
            } else {
                Codec::default()
            };
            let mut writer = FrameWriter::with_codec(stream, codec);
            for _ in 0..frames {
                writer.write_frame(&payload).await.unwrap();
            }
            writer.flush().await.unwrap();
        }
    }
}

async fn read(mode: &'static str, stream: TcpStream, frames: usize) {
    match mode {
        "asynchronous_codec" => {
            let mut stream = FramedRead::new(stream, LengthCodec);
            for _ in 0..frames {
                black_box(stream.next().await.unwrap().unwrap());
            }
        }
        "sink_stream_Q" => {
            let mut stream = FrameReader::with_codec(stream, codec_q());
            for _ in 0..frames {
                black_box(stream.next().await.unwrap().unwrap());
            }
        }
        _ => {
            let codec = if mode == "read_write_Q" {
                codec_q()
            } else {
                Codec::default()
            };
            let mut reader = FrameReader::with_codec(stream, codec);
            for _ in 0..frames {
                black_box(reader.read_frame().await.unwrap().unwrap());
            }
        }
    }
}

/// `LengthCodec`'s layout: an 8-byte big-endian length.
fn codec_q() -> Codec {
    Codec::from_struct_format(">Q").unwrap()
}

/// One transfer of `frames(size)` frames: frames per second.
fn transfer(mode: &'static str, size: usize) -> f64 {
    let frames = frames(size);
    let payload = Bytes::from((0..size).map(|i| i as u8).collect::<Vec<u8>>());
    smol::block_on(async {
        let (client, server) = pair().await;
        let start = Instant::now();
        let writer = smol::spawn(write(mode, client, payload, frames));
        read(mode, server, frames).await;
        let elapsed = start.elapsed().as_secs_f64();
        writer.await;
        frames as f64 / elapsed
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if let Ok(args) = std::env::var("ARGS") {
        // One transfer, for callgrind.
        let args: Vec<&str> = args.split_whitespace().collect();
        let mode = MODES.into_iter().find(|m| *m == args[1]).expect("a mode");
        transfer(mode, args[0].parse().unwrap());
        return;
    }
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![64, 4096]
    } else {
        sizes
    };
    println!("futures_tcp: smol loopback, {ROUNDS} interleaved rounds; frames/s");
    for size in sizes {
        let mut results = vec![Vec::new(); MODES.len()];
        for round in 0..ROUNDS {
            // Each round starts with another row, so no row always runs first.
            for i in 0..MODES.len() {
                let i = (i + round) % MODES.len();
                results[i].push(transfer(MODES[i], size));
            }
        }
        report(size, &results);
    }
}

/// Each row's median and range, and its ratio to the first row, round by round.
fn report(size: usize, results: &[Vec<f64>]) {
    for (mode, rates) in MODES.iter().zip(results) {
        let (lo, hi) = rates
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
        let ratios: Vec<f64> = rates.iter().zip(&results[0]).map(|(r, a)| r / a).collect();
        let (rlo, rhi) = ratios
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
        println!(
            "{size:>6} B {mode:<18} median {:>10.0} frames/s ({lo:.0}-{hi:.0}); \
             x asynchronous_codec per round: median {:.2} ({rlo:.2}-{rhi:.2})",
            median(rates.clone()),
            median(ratios),
        );
    }
}
