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

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use futures_util::{Sink, SinkExt, StreamExt};
use lenframe::FramedCodec;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio_util::codec::{Decoder, Encoder, FramedRead, FramedWrite, LengthDelimitedCodec};

const ROUNDS: usize = 15;
const MODES: [&str; 3] = ["tokio_util", "framed_codec", "dropin"];

/// Payload bytes per transfer: 16 MiB of 64 B frames, 128 MiB of 4 KiB frames (each transfer
/// takes some 50-300 ms here, long enough for the ratio of one round to mean something).
fn frames(size: usize) -> usize {
    (if size < 1024 { 16 << 20 } else { 128 << 20 }) / size
}

/// tokio-util's codec with lenframe's default layout.
fn ldc() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .little_endian()
        .length_field_length(4)
        .new_codec()
}

/// lenframe's drop-in, with the same layout.
fn dropin() -> lenframe::tokio_util::LengthDelimitedCodec {
    lenframe::tokio_util::LengthDelimitedCodec::builder()
        .little_endian()
        .length_field_length(4)
        .new_codec()
}

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
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
        "tokio_util" => feed(ldc(), stream, payload, frames).await,
        "framed_codec" => feed(FramedCodec::default(), stream, payload, frames).await,
        _ => feed(dropin(), stream, payload, frames).await,
    }
}

async fn read(mode: &'static str, stream: TcpStream, frames: usize) {
    match mode {
        "tokio_util" => next(ldc(), stream, frames).await,
        "framed_codec" => next(FramedCodec::default(), stream, frames).await,
        _ => next(dropin(), stream, frames).await,
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
    let payload = Bytes::from((0..size).map(|i| i as u8).collect::<Vec<u8>>());
    let (client, server) = rt.block_on(pair());
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
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
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![64, 4096]
    } else {
        sizes
    };
    println!("framed_tcp: tokio loopback, {ROUNDS} interleaved rounds; frames/s");
    for size in sizes {
        let mut rates = vec![Vec::new(); MODES.len()];
        let mut cpus = vec![Vec::new(); MODES.len()];
        for round in 0..ROUNDS {
            // Each round starts with another row, so no row always runs first.
            for i in 0..MODES.len() {
                let i = (i + round) % MODES.len();
                let (rate, cpu) = transfer(&rt, MODES[i], size);
                rates[i].push(rate);
                cpus[i].extend(cpu);
            }
        }
        for (i, mode) in MODES.iter().enumerate() {
            // Higher is better for both ratios: the row's rate over tokio_util's, and
            // tokio_util's CPU time over the row's.
            let rate_ratios = ratios(&rates[i], &rates[0]);
            println!(
                "{size:>6} B {mode:<14} median {:>10.0} frames/s ({}); \
                 x tokio_util per round: median {}",
                median(rates[i].clone()),
                range(&rates[i], 0),
                median_range(rate_ratios),
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

/// `a[k] / b[k]` for each round `k`.
fn ratios(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| a / b).collect()
}

/// `min-max` of `v`, with `digits` decimals.
fn range(v: &[f64], digits: usize) -> String {
    let (lo, hi) = v
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    format!("{lo:.digits$}-{hi:.digits$}")
}

/// `median (min-max)` of ratios.
fn median_range(v: Vec<f64>) -> String {
    format!("{:.2} ({})", median(v.clone()), range(&v, 2))
}
