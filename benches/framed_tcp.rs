//! tokio-util's `Framed` over loopback TCP with lenframe's `FramedCodec`, side by side with
//! tokio-util's own `LengthDelimitedCodec` set to the same layout (4-byte little-endian,
//! lenframe's default `"<i"`), interleaved: every row takes its turn in each round, so each
//! comparison is made under the same load. Reports each row's median and range in frames/s, and
//! its ratio to `LengthDelimitedCodec` per round (min, median, max): ratios are what to read on a
//! shared machine. (`tokio_tcp`, under criterion, runs the same pairs one group after another.)
//!
//! On Linux each row also reports the CPU time the transfer used (every thread of the process,
//! user and system, from `/proc/self/task/*/schedstat`) per frame, and `tokio_util`'s divided by
//! the row's per round (above 1: the row used less): unlike frames/s, that does not count the
//! time spent waiting for a core on a loaded machine.
//!
//! - `tokio_util`: `FramedWrite` + `LengthDelimitedCodec`, `SinkExt::feed` of each `Bytes`, one
//!   flush; `FramedRead` + `LengthDelimitedCodec`, `StreamExt::next`;
//! - `framed_codec`: the same calls with `lenframe::FramedCodec::default()`;
//! - `dropin`: the same calls with lenframe's drop-in `lenframe::tokio_util::LengthDelimitedCodec`.
//!
//! tokio's multi-thread runtime with 2 workers: the writer and the reader are tasks of their
//! own; a fresh connection per transfer, connecting not timed.
//!
//! Run: `cargo bench --features tokio-util --bench framed_tcp` (about 15 s); `-- 64` for one
//! size. `ARGS="4096 framed_codec"` runs that one transfer once, for `valgrind --tool=callgrind`.

mod common;

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use common::{median, range, ratios};
use futures_util::{Sink, SinkExt, StreamExt};
use lenframe::FramedCodec;
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use tokio_util::codec::{Decoder, Encoder, FramedRead, FramedWrite};

const ROUNDS: usize = 15;
const MODES: [&str; 3] = ["tokio_util", "framed_codec", "dropin"];

/// Payload bytes per transfer: 16 MiB of 64 B frames, 128 MiB of 4 KiB frames (each transfer
/// takes some 50-300 ms here, long enough for the ratio of one round to mean something).
fn frames(size: usize) -> usize {
    (if size < 1024 { 16 << 20 } else { 128 << 20 }) / size
}

async fn feed<C>(codec: C, stream: TcpStream, payload: Bytes, frames: usize)
where
    C: Encoder<Bytes>,
    C::Error: std::fmt::Debug,
    FramedWrite<TcpStream, C>: Sink<Bytes, Error = C::Error>,
{
    let mut sink = FramedWrite::new(stream, codec);
    for _ in 0..frames {
        sink.feed(payload.clone()).await.unwrap();
    }
    SinkExt::<Bytes>::flush(&mut sink).await.unwrap();
}

async fn next<C>(codec: C, stream: TcpStream, frames: usize)
where
    C: Decoder,
    C::Error: std::fmt::Debug,
{
    let mut stream = FramedRead::new(stream, codec);
    for _ in 0..frames {
        black_box(stream.next().await.unwrap().unwrap());
    }
}

async fn write(mode: &'static str, stream: TcpStream, payload: Bytes, frames: usize) {
    match mode {
        "tokio_util" => feed(common::tokio_util_codec(), stream, payload, frames).await,
        "framed_codec" => feed(FramedCodec::default(), stream, payload, frames).await,
        _ => feed(common::dropin_codec(), stream, payload, frames).await,
    }
}

async fn read(mode: &'static str, stream: TcpStream, frames: usize) {
    match mode {
        "tokio_util" => next(common::tokio_util_codec(), stream, frames).await,
        "framed_codec" => next(FramedCodec::default(), stream, frames).await,
        _ => next(common::dropin_codec(), stream, frames).await,
    }
}

/// The CPU time every thread of this process has used so far, in nanoseconds (Linux: the first
/// field of each thread's `schedstat`); `None` elsewhere.
fn cpu_ns() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// One transfer of `frames(size)` frames: frames per second, and the CPU time per frame (ns).
fn transfer(rt: &Runtime, mode: &'static str, size: usize) -> (f64, Option<f64>) {
    let frames = frames(size);
    let payload = Bytes::from(common::payload(size));
    let (client, server) = rt.block_on(common::tokio_pair());
    let cpu_before = cpu_ns();
    let rate = rt.block_on(async move {
        let start = Instant::now();
        let writer = tokio::spawn(write(mode, client, payload, frames));
        let reader = tokio::spawn(read(mode, server, frames));
        reader.await.unwrap();
        let elapsed = start.elapsed().as_secs_f64();
        writer.await.unwrap();
        frames as f64 / elapsed
    });
    let cpu = cpu_before
        .zip(cpu_ns())
        .map(|(before, after)| after.saturating_sub(before) as f64 / frames as f64);
    (rate, cpu)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if let Ok(args) = std::env::var("ARGS") {
        // One transfer, for callgrind.
        let args: Vec<&str> = args.split_whitespace().collect();
        let mode = MODES.into_iter().find(|m| *m == args[1]).expect("a mode");
        transfer(&rt, mode, args[0].parse().unwrap());
        return;
    }
    println!("framed_tcp: tokio loopback, {ROUNDS} interleaved rounds");
    for size in common::sizes_from_args(&[64, 4096]) {
        let results = common::interleaved(ROUNDS, MODES.len(), |i| transfer(&rt, MODES[i], size));
        let rates: Vec<Vec<f64>> = results
            .iter()
            .map(|r| r.iter().map(|x| x.0).collect())
            .collect();
        let cpus: Vec<Vec<f64>> = results
            .iter()
            .map(|r| r.iter().filter_map(|x| x.1).collect())
            .collect();
        for (i, mode) in MODES.iter().enumerate() {
            // Higher is better for both ratios: the row's rate over tokio_util's, and
            // tokio_util's CPU time over the row's.
            println!(
                "{size:>6} B {mode:<14} median {:>10.0} frames/s ({}); \
                 x tokio_util per round: median {}",
                median(rates[i].clone()),
                range(&rates[i], 0),
                median_range(ratios(&rates[i], &rates[0])),
            );
            if cpus[i].len() == ROUNDS && cpus[0].len() == ROUNDS {
                println!(
                    "{size:>6} B {mode:<14} median {:>10.0} ns CPU/frame ({}); \
                     tokio_util's / this per round: median {}",
                    median(cpus[i].clone()),
                    range(&cpus[i], 0),
                    median_range(ratios(&cpus[0], &cpus[i])),
                );
            }
        }
    }
}

/// `median (min-max)` of ratios.
fn median_range(v: Vec<f64>) -> String {
    format!("{:.2} ({})", median(v.clone()), range(&v, 2))
}
