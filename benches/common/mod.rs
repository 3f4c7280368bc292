//! Shared by the bench binaries: payload sizes, the input every implementation decodes, the
//! tokio-util codec configured to lenframe's default layout, and criterion settings short enough
//! for a full `cargo bench` on a 2-core machine.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use tokio_util::codec::LengthDelimitedCodec;

/// The payload sizes of the in-memory groups: 16 B, 256 B, 4 KiB, 64 KiB, 1 MiB.
pub const SIZES: [usize; 5] = [16, 256, 4096, 64 * 1024, 1024 * 1024];

/// The header: lenframe's default `"<i"`.
pub const HEADER: usize = 4;

/// The largest frame any bench sends: lenframe's default maximum, given to tokio-util too.
pub const MAX_FRAME: usize = lenframe::DEFAULT_MAX_FRAME_LEN;

/// Criterion settings for every group: 1 s warm-up, 2 s measurement, 20 samples.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
        .without_plots()
}

/// tokio-util's `LengthDelimitedCodec` set to the same wire format as `lenframe::Codec::default()`:
/// a 4-byte little-endian length before the payload, with the same 8 MiB maximum.
pub fn tokio_util_codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .little_endian()
        .length_field_length(4)
        .max_frame_length(MAX_FRAME)
        .new_codec()
}

/// A payload of `size` bytes, not all equal.
pub fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 31 + 7) as u8).collect()
}

/// How many frames of `size` bytes one iteration of an in-memory bench handles: about 1 MiB of
/// frames, and at least 32 so the largest sizes still time more than a single call.
pub fn frames_per_iter(size: usize) -> usize {
    ((1 << 20) / (size + HEADER)).max(32)
}

/// `count` frames of `size`-byte payloads, written by hand (an `i32` little-endian length, then
/// the payload) so the input does not depend on the encoder being measured.
pub fn wire(size: usize, count: usize) -> Vec<u8> {
    let payload = payload(size);
    let mut wire = Vec::with_capacity(count * (HEADER + size));
    for _ in 0..count {
        wire.extend_from_slice(&(size as i32).to_le_bytes());
        wire.extend_from_slice(&payload);
    }
    wire
}

/// Frames per iteration and the payload bytes they carry, so criterion prints both frames/s and
/// MB/s. Throughput counts payload bytes only; headers are the same for every implementation.
pub fn throughput(frames: usize, size: usize) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: frames as u64,
        bytes: (frames * size) as u64,
    }
}

/// Sets warm-up and measurement times for a bench whose iterations have an untimed setup (for
/// example refilling a buffer the bench consumes), so the wall-clock time stays about
/// `wall_budget` however cheap the timed part is next to the setup.
///
/// `setup` and `timed` are one iteration's costs, measured by the caller.
pub fn bound_wall_time<M: criterion::measurement::Measurement>(
    group: &mut BenchmarkGroup<'_, M>,
    setup: Duration,
    timed: Duration,
    wall_budget: Duration,
) {
    let timed = timed.max(Duration::from_nanos(1));
    let per_iter = setup + timed;
    let iters = (wall_budget.as_secs_f64() / per_iter.as_secs_f64()).max(40.0);
    let timed_total = timed.as_secs_f64() * iters;
    let measurement = Duration::from_secs_f64((timed_total * 0.75).clamp(1e-4, 2.0));
    let warm_up = Duration::from_secs_f64((timed_total * 0.25).clamp(1e-5, 1.0));
    group.warm_up_time(warm_up).measurement_time(measurement);
    group.sampling_mode(if setup > timed {
        SamplingMode::Flat
    } else {
        SamplingMode::Auto
    });
}

/// The fastest of three runs of `f`, for [`bound_wall_time`].
pub fn min_of_3(mut f: impl FnMut() -> Duration) -> Duration {
    (0..3).map(|_| f()).min().unwrap()
}

/// Runs `f` and returns how long it took.
pub fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// lenframe's drop-in `LengthDelimitedCodec` with the layout of [`tokio_util_codec`].
#[cfg(feature = "tokio-util")]
pub fn dropin_codec() -> lenframe::tokio_util::LengthDelimitedCodec {
    lenframe::tokio_util::LengthDelimitedCodec::builder()
        .little_endian()
        .length_field_length(4)
        .max_frame_length(MAX_FRAME)
        .new_codec()
}

/// Both ends of a fresh tokio loopback connection: the connecting one, then the accepted one.
pub async fn tokio_pair() -> (tokio::net::TcpStream, tokio::net::TcpStream) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

/// The `ARGS` of a callgrind bench, `"SIZE FRAMES MODE"`; `None` without them (then the bench
/// runs nothing, so that a plain `cargo bench` passes through).
pub fn callgrind_args() -> Option<(usize, usize, String)> {
    let args = std::env::var("ARGS").ok()?;
    let mut args = args.split_whitespace();
    let mut number = || {
        args.next()
            .and_then(|n| n.parse().ok())
            .expect("ARGS: SIZE FRAMES MODE")
    };
    let (size, frames) = (number(), number());
    Some((
        size,
        frames,
        args.next().expect("ARGS: SIZE FRAMES MODE").to_owned(),
    ))
}

/// The payload sizes given on the command line (`cargo bench --bench NAME -- 64`), or `default`.
pub fn sizes_from_args(default: &[usize]) -> Vec<usize> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        default.to_vec()
    } else {
        sizes
    }
}

/// `rounds` rounds of `run(row)` for each of `rows` rows, interleaved: every row once a round,
/// each round starting with another row, so that no row always runs first and each comparison
/// is made under the same load. Each row's results, in round order.
pub fn interleaved<T>(rounds: usize, rows: usize, mut run: impl FnMut(usize) -> T) -> Vec<Vec<T>> {
    let mut results: Vec<Vec<T>> = (0..rows).map(|_| Vec::with_capacity(rounds)).collect();
    for round in 0..rounds {
        for i in 0..rows {
            let row = (i + round) % rows;
            results[row].push(run(row));
        }
    }
    results
}

/// The median of `v` (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `a[k] / b[k]` for each round `k`.
pub fn ratios(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| a / b).collect()
}

/// `min-max` of `v`, with `digits` decimals.
pub fn range(v: &[f64], digits: usize) -> String {
    let (lo, hi) = v
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    format!("{lo:.digits$}-{hi:.digits$}")
}
