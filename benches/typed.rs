//! Typed messages (JSON): write then read, for a small struct (about 100 bytes of JSON) and a
//! large one (about 64 KiB), each iteration about 1 MiB of messages.
//!
//! `typed_blocking` (in memory: a `FrameWriter` into a reused `Vec`, a `FrameReader` over it):
//!
//! - `lenframe`: `write_json` (serialized in place in the writer's buffer), `read_json`
//!   (deserialized from the reader's buffer);
//! - `to_vec`: what code does without typed messages: `serde_json::to_vec` then `write_frame`,
//!   `read_frame_ref` then `serde_json::from_slice`.
//!
//! `typed_tokio` (a current-thread runtime, the writer and the reader joined over an in-memory
//! `tokio::io::duplex` of 64 KiB):
//!
//! - `lenframe`: `tokio::FrameWriter::write_json` and `flush`, `tokio::FrameReader::read_json`;
//! - `lenframe_sink`: `MessageWriter` (`SinkExt::feed`, then `flush`) and `MessageReader`
//!   (`StreamExt::next`), the typed `Sink`/`Stream` (a `Sink<&T>`: messages are not cloned);
//! - `tokio_serde`: tokio-serde 0.9 with its `Json` format over `FramedWrite`/`FramedRead` with
//!   tokio-util's `LengthDelimitedCodec` (the same wire format), `feed` of references then
//!   `flush`, and `next`. Its writer serializes with `serde_json::to_vec` and copies the `Vec`
//!   into the codec's buffer; its reader deserializes through `serde_json::from_reader`.
//!
//! With `ARGS` set it runs no criterion group but counts for `valgrind --tool=callgrind`
//! (instruction counts do not depend on the machine's load): `ARGS="small 30000 typed write"`
//! writes 30,000 small messages with `write_json` into a `Vec`, `to_vec` with `serde_json::to_vec`
//! and `write_frame`, `none` only builds the messages (the baseline to subtract); `read` reads
//! them back (`read_json`, or `read_frame_ref` and `serde_json::from_slice`) from a wire built
//! beforehand, which `none ... read` builds alone.
//!
//! `ARGS="interleave 30"` times the criterion rows interleaved instead: 30 rounds, each running
//! every row once (one iteration, about 1 MiB of messages) in a rotating order, and prints each
//! row's median time and the median of its per-round ratio to the first row of its group. On a
//! machine whose load changes from second to second, rows measured seconds apart are not
//! comparable; rows measured within the same round are.
//!
//! ```text
//! cargo bench --all-features --bench typed --no-run
//! ARGS="small 30000 typed write" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/deps/typed-*
//! ```

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{throughput, tokio_util_codec};
use criterion::{criterion_group, BenchmarkId, Criterion};
use futures_util::{SinkExt, StreamExt};
use lenframe::blocking;
use lenframe::{Json, MessageReader, MessageWriter};
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;
use tokio_serde::formats::{self, SymmetricalJson};
use tokio_serde::SymmetricallyFramed;
use tokio_util::codec::{FramedRead, FramedWrite};

/// About 100 bytes of JSON.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Small {
    id: u64,
    kind: String,
    user: String,
    values: Vec<i32>,
    ok: bool,
}

/// About 64 KiB of JSON: a batch of rows.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Large {
    id: u64,
    rows: Vec<Row>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Row {
    name: String,
    x: f64,
    y: i64,
    tags: Vec<String>,
}

fn small() -> Small {
    Small {
        id: 123_456,
        kind: "temperature".into(),
        user: "sensor-ünïcødé-42".into(),
        values: vec![21, -3, 1000, 7, 12],
        ok: true,
    }
}

fn large() -> Large {
    let rows = (0..880)
        .map(|i| Row {
            name: format!("row number {i}"),
            x: i as f64 * 0.25,
            y: -(i as i64) * 1_000_003,
            tags: vec!["alpha".into(), "beta".into()],
        })
        .collect();
    Large { id: 7, rows }
}

/// Messages per iteration: about 1 MiB of JSON, at least 16.
fn count(json_len: usize) -> usize {
    ((1 << 20) / json_len).max(16)
}

trait Message: Serialize + serde::de::DeserializeOwned + Clone + PartialEq + Send + 'static {}
impl<T: Serialize + serde::de::DeserializeOwned + Clone + PartialEq + Send + 'static> Message
    for T
{
}

// ---------------------------------------------------------------------------------------------
// Blocking, in memory.

fn blocking_lenframe<T: Message>(msg: &T, n: usize, wire: &mut Vec<u8>) {
    wire.clear();
    let mut writer = blocking::FrameWriter::new(&mut *wire);
    for _ in 0..n {
        writer.write_json(msg).unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    let mut reader = blocking::FrameReader::new(&wire[..]);
    for _ in 0..n {
        black_box(reader.read_json::<T>().unwrap().unwrap());
    }
}

fn blocking_to_vec<T: Message>(msg: &T, n: usize, wire: &mut Vec<u8>) {
    wire.clear();
    let mut writer = blocking::FrameWriter::new(&mut *wire);
    for _ in 0..n {
        writer
            .write_frame(serde_json::to_vec(msg).unwrap())
            .unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    let mut reader = blocking::FrameReader::new(&wire[..]);
    for _ in 0..n {
        let frame = reader.read_frame_ref().unwrap().unwrap();
        black_box(serde_json::from_slice::<T>(frame).unwrap());
    }
}

// ---------------------------------------------------------------------------------------------
// Tokio, over an in-memory duplex.

const DUPLEX: usize = 64 * 1024;

async fn tokio_lenframe<T: Message>(msg: &T, n: usize) {
    let (a, b) = tokio::io::duplex(DUPLEX);
    let write = async {
        let mut writer = lenframe::tokio::FrameWriter::new(a);
        for _ in 0..n {
            writer.write_json(msg).await.unwrap();
        }
        writer.flush().await.unwrap();
    };
    let read = async {
        let mut reader = lenframe::tokio::FrameReader::new(b);
        for _ in 0..n {
            black_box(reader.read_json::<T>().await.unwrap().unwrap());
        }
    };
    tokio::join!(write, read);
}

async fn tokio_lenframe_sink<T: Message>(msg: &T, n: usize) {
    let (a, b) = tokio::io::duplex(DUPLEX);
    let write = async {
        // A sink of references: no message is cloned to be sent.
        let mut sink = MessageWriter::<_, _, &T>::new(lenframe::tokio::FrameWriter::new(a), Json);
        for _ in 0..n {
            sink.feed(msg).await.unwrap();
        }
        sink.flush().await.unwrap();
    };
    let read = async {
        let mut stream = MessageReader::<_, _, T>::new(lenframe::tokio::FrameReader::new(b), Json);
        for _ in 0..n {
            black_box(stream.next().await.unwrap().unwrap());
        }
    };
    tokio::join!(write, read);
}

async fn tokio_serde<T: Message + Unpin>(msg: &T, n: usize) {
    let (a, b) = tokio::io::duplex(DUPLEX);
    let write = async {
        let framed = FramedWrite::new(a, tokio_util_codec());
        // A sink of references, as above.
        let mut sink =
            tokio_serde::Framed::<_, T, &T, _>::new(framed, formats::Json::<T, &T>::default());
        for _ in 0..n {
            sink.feed(msg).await.unwrap();
        }
        sink.flush().await.unwrap();
    };
    let read = async {
        let framed = FramedRead::new(b, tokio_util_codec());
        let mut stream = SymmetricallyFramed::new(framed, SymmetricalJson::<T>::default());
        for _ in 0..n {
            black_box(stream.next().await.unwrap().unwrap());
        }
    };
    tokio::join!(write, read);
}

// ---------------------------------------------------------------------------------------------

fn bench_message<T: Message + Unpin>(c: &mut Criterion, name: &str, msg: T) {
    let json_len = serde_json::to_vec(&msg).unwrap().len();
    let n = count(json_len);
    let mut wire = Vec::new();
    // The two blocking paths put the same bytes on the wire.
    blocking_lenframe(&msg, 2, &mut wire);
    let typed = wire.clone();
    blocking_to_vec(&msg, 2, &mut wire);
    assert_eq!(typed, wire);

    let mut group = c.benchmark_group("typed_blocking");
    group.throughput(throughput(n, json_len));
    group.bench_function(BenchmarkId::new("lenframe", name), |b| {
        b.iter(|| blocking_lenframe(&msg, n, &mut wire))
    });
    group.bench_function(BenchmarkId::new("to_vec", name), |b| {
        b.iter(|| blocking_to_vec(&msg, n, &mut wire))
    });
    group.finish();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("typed_tokio");
    group.throughput(throughput(n, json_len));
    let rt: &Runtime = &runtime;
    group.bench_function(BenchmarkId::new("lenframe", name), |b| {
        b.iter(|| rt.block_on(tokio_lenframe(&msg, n)))
    });
    group.bench_function(BenchmarkId::new("lenframe_sink", name), |b| {
        b.iter(|| rt.block_on(tokio_lenframe_sink(&msg, n)))
    });
    group.bench_function(BenchmarkId::new("tokio_serde", name), |b| {
        b.iter(|| rt.block_on(tokio_serde(&msg, n)))
    });
    group.finish();
}

fn typed(c: &mut Criterion) {
    let small = small();
    let large = large();
    let small_len = serde_json::to_vec(&small).unwrap().len();
    let large_len = serde_json::to_vec(&large).unwrap().len();
    assert!((90..=110).contains(&small_len), "{small_len}");
    assert!((60 * 1024..=68 * 1024).contains(&large_len), "{large_len}");
    bench_message(c, &format!("small_{small_len}B"), small);
    bench_message(c, &format!("large_{}KiB", large_len / 1024), large);
}

criterion_group! {
    name = benches;
    config = common::criterion().measurement_time(Duration::from_secs(2));
    targets = typed
}

fn main() {
    if let Ok(args) = std::env::var("ARGS") {
        return callgrind(&args);
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

/// The callgrind counts, or the interleaved timings (see the module docs).
fn callgrind(args: &str) {
    let args: Vec<&str> = args.split_whitespace().collect();
    if let ["interleave", rounds] = args[..] {
        let rounds = rounds.parse().unwrap();
        interleave("small", small(), rounds);
        interleave("large", large(), rounds);
        return;
    }
    let [size, count, path, direction] = args[..] else {
        panic!("ARGS must be `SIZE COUNT PATH DIRECTION`, such as `small 30000 typed write`")
    };
    let count: usize = count.parse().unwrap();
    match size {
        "small" => callgrind_message(small(), count, path, direction),
        "large" => callgrind_message(large(), count, path, direction),
        _ => panic!("SIZE is small or large"),
    }
}

/// Times the rows of both groups for `msg` interleaved (see the module docs).
fn interleave<T: Message + Unpin>(name: &str, msg: T, rounds: usize) {
    let n = count(serde_json::to_vec(&msg).unwrap().len());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (mut wire_a, mut wire_b) = (Vec::new(), Vec::new());
    type Row<'a> = (&'a str, Box<dyn FnMut() + 'a>);
    let blocking: Vec<Row> = vec![
        (
            "typed_blocking/to_vec",
            Box::new(|| blocking_to_vec(&msg, n, &mut wire_a)),
        ),
        (
            "typed_blocking/lenframe",
            Box::new(|| blocking_lenframe(&msg, n, &mut wire_b)),
        ),
    ];
    let rt = &runtime;
    let tokio: Vec<Row> = vec![
        (
            "typed_tokio/tokio_serde",
            Box::new(|| rt.block_on(tokio_serde(&msg, n))),
        ),
        (
            "typed_tokio/lenframe",
            Box::new(|| rt.block_on(tokio_lenframe(&msg, n))),
        ),
        (
            "typed_tokio/lenframe_sink",
            Box::new(|| rt.block_on(tokio_lenframe_sink(&msg, n))),
        ),
    ];
    for mut rows in [blocking, tokio] {
        let mut times = vec![Vec::new(); rows.len()];
        for round in 0..rounds + 1 {
            for k in 0..rows.len() {
                let i = (round + k) % rows.len();
                let start = std::time::Instant::now();
                (rows[i].1)();
                if round > 0 {
                    // Round 0 warms up.
                    times[i].push(start.elapsed().as_secs_f64());
                }
            }
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        for (i, (row, _)) in rows.iter().enumerate() {
            let ratios = times[i]
                .iter()
                .zip(&times[0])
                .map(|(t, base)| t / base)
                .collect();
            println!(
                "{row}/{name}: median {:.2} ms, median ratio to {} {:.2}",
                median(times[i].clone()) * 1e3,
                rows[0].0,
                median(ratios)
            );
        }
    }
}

fn callgrind_message<T: Message>(msg: T, count: usize, path: &str, direction: &str) {
    let mut wire = Vec::new();
    let mut writer = blocking::FrameWriter::new(&mut wire);
    let write = direction == "write";
    for _ in 0..count {
        match (path, write) {
            ("typed", true) => writer.write_json(&msg).unwrap(),
            ("to_vec", true) => writer
                .write_frame(serde_json::to_vec(&msg).unwrap())
                .unwrap(),
            ("none", true) => {}
            // The wire a reading run reads, built the same way for every path.
            (_, false) => writer
                .write_frame(serde_json::to_vec(&msg).unwrap())
                .unwrap(),
            _ => panic!("PATH is typed, to_vec or none"),
        }
    }
    writer.flush().unwrap();
    drop(writer);
    if write {
        black_box(&wire);
        return;
    }
    let mut reader = blocking::FrameReader::new(&wire[..]);
    for _ in 0..count {
        match path {
            "typed" => drop(black_box(reader.read_json::<T>().unwrap().unwrap())),
            "to_vec" => {
                let frame = reader.read_frame_ref().unwrap().unwrap();
                drop(black_box(serde_json::from_slice::<T>(frame).unwrap()));
            }
            _ => {}
        }
    }
}
