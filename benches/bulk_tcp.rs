//! Loopback throughput, interleaved: lenframe and an unframed stream of the same bytes take
//! turns, round after round, so that each comparison is made under the same load (on a
//! shared machine, criterion's rows are seconds apart and the load between them differs more
//! than the rows do). Reports the median and range over the rounds, and the ratio of medians.
//!
//! - `unframed`: the same bytes as the framed rows (headers included), `write_all` of 1 MiB at a
//!   time, `read` into a 1 MiB buffer;
//! - `write_frame`: `blocking::FrameWriter::write_frame` (borrowed payload) then `flush`;
//!   `blocking::FrameReader::read_frame`;
//! - `feed_frame`: `FrameWriter::feed_frame` of an owned `Bytes` (gathered writes), the same
//!   reader;
//! - `read_side`: one side of lenframe alone, the reader: the writer sends the same frames with
//!   `write_all` of about 1 MiB at a time (16 frames of 64 KiB), `read_frame` reads them;
//! - `write_side`: the other side alone: `write_frame` then `flush`, read as the unframed row;
//! - the same over tokio (`tokio_` rows, a 2-worker runtime, writer and reader tasks):
//!   `AsyncWriteExt::write_all`/`AsyncReadExt::read`, and `lenframe::tokio`'s writer and reader.
//!
//! Small-frame latency, for the same comparison: a ping-pong of one frame each way at a time
//! (`pingpong` rows, for sizes under 64 KiB): the client writes a frame and flushes, the server
//! reads it and sends it back the same way, the client reads the reply. `pingpong_unframed`
//! does the same with `write_all` and `read_exact` of the same bytes, headers included. Reported
//! as round trips per second (median, range) and as a share of the unframed row.
//!
//! Each row also reports the CPU time the round took, all threads together (Linux:
//! `/proc/self/task/*/schedstat`), per MiB of wire bytes or per round trip, as a median and a
//! share of the unframed row: on a loaded machine it moves much less than the rates do.
//!
//! Run: `cargo bench --features tokio --bench bulk_tcp` (about two minutes); `-- 65536 1048576`
//! for some sizes; a word that is not a number keeps only the rows whose mode contains it
//! (`-- 65536 write_frame`, `-- 64 pingpong`; `write_frame$` for that mode alone, not
//! `tokio_write_frame`); `BULK_ROUNDS=15` for more rounds.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Instant;

use bytes::Bytes;
use lenframe::blocking::{FrameReader, FrameWriter};

const ROUNDS: usize = 7;
const MODES: [&str; 5] = [
    "unframed",
    "write_frame",
    "feed_frame",
    "read_side",
    "write_side",
];
const TOKIO_MODES: [&str; 5] = [
    "tokio_unframed",
    "tokio_write_frame",
    "tokio_feed_frame",
    "tokio_read_side",
    "tokio_write_side",
];
const PING_MODES: [&str; 2] = ["pingpong_unframed", "pingpong"];
const TOKIO_PING_MODES: [&str; 2] = ["tokio_pingpong_unframed", "tokio_pingpong"];
/// Round trips per ping-pong round.
const ROUND_TRIPS: usize = 10_000;

/// CPU time (ns) of the threads that ended, which `/proc/self/task` no longer lists.
static ENDED_CPU: AtomicU64 = AtomicU64::new(0);

/// CPU time (ns) the calling thread has run, 0 where the kernel does not say.
fn thread_cpu() -> u64 {
    schedstat("/proc/thread-self/schedstat")
}

fn schedstat(path: impl AsRef<std::path::Path>) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|stat| stat.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// CPU time (ns) of every thread of the process so far, ended ones included.
fn process_cpu() -> u64 {
    let live: u64 = std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .filter_map(Result::ok)
                .map(|task| schedstat(task.path().join("schedstat")))
                .sum()
        })
        .unwrap_or(0);
    live + ENDED_CPU.load(Ordering::Relaxed)
}

/// Notes the calling thread's CPU time as it ends.
fn thread_ends() {
    ENDED_CPU.fetch_add(thread_cpu(), Ordering::Relaxed);
}

fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

/// Bytes moved per round for frames of `size`: 256 MiB, less for small frames (they take
/// longer per byte).
fn total(size: usize) -> usize {
    if size < 4096 {
        32 << 20
    } else {
        256 << 20
    }
}

/// Frames of `size` bytes, encoded, as many as fit in 1 MiB (at least one), and how many: what
/// the `read_side` rows' writer sends a write at a time.
fn encoded_frames(size: usize) -> (Vec<u8>, usize) {
    let count = ((1 << 20) / size).max(1);
    let mut wire = Vec::with_capacity(count * (size + 4));
    for _ in 0..count {
        wire.extend_from_slice(&(size as u32).to_le_bytes());
        wire.resize(wire.len() + size, 7);
    }
    (wire, count)
}

/// One transfer of `total(size)` bytes of frames: GB/s of wire bytes (headers included).
fn transfer(mode: &str, size: usize) -> f64 {
    let frames = total(size) / size;
    let wire_len = frames * (size + 4);
    let (client, server) = pair();
    let payload = Bytes::from(vec![7u8; size]);
    let mode_w = mode.to_string();
    let write = move || match mode_w.as_str() {
        "read_side" => {
            let mut client = client;
            let (chunk, count) = encoded_frames(size);
            for _ in 0..frames / count {
                client.write_all(&chunk).unwrap();
            }
            client
                .write_all(&chunk[..frames % count * (size + 4)])
                .unwrap();
        }
        "unframed" => {
            let mut client = client;
            let chunk = vec![7u8; 1 << 20];
            let mut sent = 0;
            while sent < wire_len {
                let n = (wire_len - sent).min(chunk.len());
                client.write_all(&chunk[..n]).unwrap();
                sent += n;
            }
        }
        "feed_frame" => {
            let mut writer = FrameWriter::new(client);
            for _ in 0..frames {
                writer.feed_frame(payload.clone()).unwrap();
            }
            writer.flush().unwrap();
        }
        _ => {
            let mut writer = FrameWriter::new(client);
            for _ in 0..frames {
                writer.write_frame(&payload).unwrap();
            }
            writer.flush().unwrap();
        }
    };
    let writer = thread::spawn(move || {
        write();
        thread_ends();
    });
    let start = Instant::now();
    if mode == "unframed" || mode == "write_side" {
        let mut server = server;
        let mut buf = vec![0u8; 1 << 20];
        let mut got = 0;
        while got < wire_len {
            let n = server.read(&mut buf).unwrap();
            assert!(n > 0, "the writer closed early");
            got += n;
        }
    } else {
        let mut reader = FrameReader::new(server);
        for _ in 0..frames {
            std::hint::black_box(reader.read_frame().unwrap().unwrap());
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    writer.join().unwrap();
    wire_len as f64 / elapsed / 1e9
}

/// The same over tokio.
fn tokio_transfer(rt: &tokio::runtime::Runtime, mode: &str, size: usize) -> f64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let frames = total(size) / size;
    let wire_len = frames * (size + 4);
    let (client, server) = pair();
    client.set_nonblocking(true).unwrap();
    server.set_nonblocking(true).unwrap();
    let payload = Bytes::from(vec![7u8; size]);
    let mode = mode.to_string();
    rt.block_on(async move {
        let client = tokio::net::TcpStream::from_std(client).unwrap();
        let server = tokio::net::TcpStream::from_std(server).unwrap();
        let start = Instant::now();
        let unframed = mode == "tokio_unframed" || mode == "tokio_write_side";
        let writer = tokio::spawn(async move {
            match mode.as_str() {
                "tokio_read_side" => {
                    let mut client = client;
                    let (chunk, count) = encoded_frames(size);
                    for _ in 0..frames / count {
                        client.write_all(&chunk).await.unwrap();
                    }
                    client
                        .write_all(&chunk[..frames % count * (size + 4)])
                        .await
                        .unwrap();
                }
                "tokio_unframed" => {
                    let mut client = client;
                    let chunk = vec![7u8; 1 << 20];
                    let mut sent = 0;
                    while sent < wire_len {
                        let n = (wire_len - sent).min(chunk.len());
                        client.write_all(&chunk[..n]).await.unwrap();
                        sent += n;
                    }
                }
                "tokio_feed_frame" => {
                    let mut writer = lenframe::tokio::FrameWriter::new(client);
                    for _ in 0..frames {
                        writer.feed_frame(payload.clone()).await.unwrap();
                    }
                    writer.flush().await.unwrap();
                }
                _ => {
                    let mut writer = lenframe::tokio::FrameWriter::new(client);
                    for _ in 0..frames {
                        writer.write_frame(&payload).await.unwrap();
                    }
                    writer.flush().await.unwrap();
                }
            }
        });
        let reader = tokio::spawn(async move {
            if unframed {
                let mut server = server;
                let mut buf = vec![0u8; 1 << 20];
                let mut got = 0;
                while got < wire_len {
                    let n = server.read(&mut buf).await.unwrap();
                    assert!(n > 0, "the writer closed early");
                    got += n;
                }
            } else {
                let mut reader = lenframe::tokio::FrameReader::new(server);
                for _ in 0..frames {
                    std::hint::black_box(reader.read_frame().await.unwrap().unwrap());
                }
            }
        });
        reader.await.unwrap();
        let elapsed = start.elapsed().as_secs_f64();
        writer.await.unwrap();
        wire_len as f64 / elapsed / 1e9
    })
}

/// Round trips per second of one `size`-byte frame each way at a time, flushed each time.
fn pingpong(mode: &str, size: usize) -> f64 {
    let (client, server) = pair();
    client.set_nodelay(true).unwrap();
    server.set_nodelay(true).unwrap();
    let payload = vec![7u8; size];
    let unframed = mode == "pingpong_unframed";
    let echo = thread::spawn(move || {
        if unframed {
            let mut server = server;
            let mut buf = vec![0u8; size + 4];
            for _ in 0..ROUND_TRIPS {
                server.read_exact(&mut buf).unwrap();
                server.write_all(&buf).unwrap();
            }
        } else {
            let mut reader = FrameReader::new(server.try_clone().unwrap());
            let mut writer = FrameWriter::new(server);
            for _ in 0..ROUND_TRIPS {
                let frame = reader.read_frame().unwrap().unwrap();
                writer.write_frame(&frame).unwrap();
                writer.flush().unwrap();
            }
        }
        thread_ends();
    });
    let start = Instant::now();
    if unframed {
        let mut client = client;
        let out = vec![7u8; size + 4];
        let mut back = vec![0u8; size + 4];
        for _ in 0..ROUND_TRIPS {
            client.write_all(&out).unwrap();
            client.read_exact(&mut back).unwrap();
        }
    } else {
        let mut reader = FrameReader::new(client.try_clone().unwrap());
        let mut writer = FrameWriter::new(client);
        for _ in 0..ROUND_TRIPS {
            writer.write_frame(&payload).unwrap();
            writer.flush().unwrap();
            std::hint::black_box(reader.read_frame().unwrap().unwrap());
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    echo.join().unwrap();
    ROUND_TRIPS as f64 / elapsed
}

/// The same over tokio: each side a task, reader and writer split.
fn tokio_pingpong(rt: &tokio::runtime::Runtime, mode: &str, size: usize) -> f64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (client, server) = pair();
    for stream in [&client, &server] {
        stream.set_nonblocking(true).unwrap();
        stream.set_nodelay(true).unwrap();
    }
    let payload = vec![7u8; size];
    let unframed = mode == "tokio_pingpong_unframed";
    rt.block_on(async move {
        let client = tokio::net::TcpStream::from_std(client).unwrap();
        let server = tokio::net::TcpStream::from_std(server).unwrap();
        let echo = tokio::spawn(async move {
            let (read, write) = server.into_split();
            if unframed {
                let (mut read, mut write) = (read, write);
                let mut buf = vec![0u8; size + 4];
                for _ in 0..ROUND_TRIPS {
                    read.read_exact(&mut buf).await.unwrap();
                    write.write_all(&buf).await.unwrap();
                }
            } else {
                let mut reader = lenframe::tokio::FrameReader::new(read);
                let mut writer = lenframe::tokio::FrameWriter::new(write);
                for _ in 0..ROUND_TRIPS {
                    let frame = reader.read_frame().await.unwrap().unwrap();
                    writer.write_frame(&frame).await.unwrap();
                    writer.flush().await.unwrap();
                }
            }
        });
        let start = Instant::now();
        let (read, write) = client.into_split();
        if unframed {
            let (mut read, mut write) = (read, write);
            let out = vec![7u8; size + 4];
            let mut back = vec![0u8; size + 4];
            for _ in 0..ROUND_TRIPS {
                write.write_all(&out).await.unwrap();
                read.read_exact(&mut back).await.unwrap();
            }
        } else {
            let mut reader = lenframe::tokio::FrameReader::new(read);
            let mut writer = lenframe::tokio::FrameWriter::new(write);
            for _ in 0..ROUND_TRIPS {
                writer.write_frame(&payload).await.unwrap();
                writer.flush().await.unwrap();
                std::hint::black_box(reader.read_frame().await.unwrap().unwrap());
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        echo.await.unwrap();
        ROUND_TRIPS as f64 / elapsed
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let sizes: Vec<usize> = args.iter().filter_map(|arg| arg.parse().ok()).collect();
    let sizes = if sizes.is_empty() {
        vec![64, 4096, 65536, 1 << 20]
    } else {
        sizes
    };
    // Words that are not sizes keep only the modes that contain one of them.
    let words: Vec<&String> = args
        .iter()
        .filter(|arg| arg.parse::<usize>().is_err())
        .collect();
    // A word that ends with `$` keeps only the mode of that name.
    let wanted = |mode: &str| {
        words.is_empty()
            || words.iter().any(|word| match word.strip_suffix('$') {
                Some(name) => mode == name,
                None => mode.contains(word.as_str()),
            })
    };
    let rounds = std::env::var("BULK_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(ROUNDS);
    println!(
        "bulk_tcp: loopback, {rounds} interleaved rounds; GB/s of wire bytes, round trips/s for pingpong"
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for size in sizes {
        let mut groups = vec![&MODES[..], &TOKIO_MODES[..]];
        if size < 65536 {
            groups.extend([&PING_MODES[..], &TOKIO_PING_MODES[..]]);
        }
        for group in groups {
            // The first mode of a group is its baseline: run it whenever another row is.
            let modes: Vec<&str> = group
                .iter()
                .enumerate()
                .filter(|&(at, mode)| at == 0 || wanted(mode))
                .map(|(_, mode)| *mode)
                .collect();
            if modes.len() == 1 && !wanted(modes[0]) {
                continue;
            }
            let mut results = vec![Vec::new(); modes.len()];
            for _ in 0..rounds {
                for (mode, out) in modes.iter().zip(&mut results) {
                    let cpu = process_cpu();
                    let rate = if mode.starts_with("tokio_pingpong") {
                        tokio_pingpong(&rt, mode, size)
                    } else if mode.starts_with("pingpong") {
                        pingpong(mode, size)
                    } else if mode.starts_with("tokio") {
                        tokio_transfer(&rt, mode, size)
                    } else {
                        transfer(mode, size)
                    };
                    let cpu = (process_cpu() - cpu) as f64;
                    // Per MiB of wire bytes, or per round trip.
                    let units = if mode.contains("pingpong") {
                        ROUND_TRIPS as f64
                    } else {
                        ((total(size) / size) * (size + 4)) as f64 / (1 << 20) as f64
                    };
                    out.push((rate, cpu / units));
                }
            }
            report(size, &modes, results);
        }
    }
}

/// Prints each mode's median and range, and its median as a share of the first mode's; then
/// the median CPU time per unit, and its share of the first mode's.
fn report(size: usize, modes: &[&str], results: Vec<Vec<(f64, f64)>>) {
    let column = |rows: &[(f64, f64)], at: usize| -> Vec<f64> {
        rows.iter()
            .map(|row| if at == 0 { row.0 } else { row.1 })
            .collect()
    };
    let unframed = median(column(&results[0], 0));
    let unframed_cpu = median(column(&results[0], 1));
    for (mode, rows) in modes.iter().zip(results) {
        let rates = column(&rows, 0);
        let cpu = median(column(&rows, 1));
        let cpu_share = 100.0 * cpu / unframed_cpu;
        let (lo, hi) = rates
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
        let med = median(rates);
        let share = 100.0 * med / unframed;
        if mode.contains("pingpong") {
            println!(
                "{size:>8} B {mode:<24} median {:6.1} k/s (range {:.1}-{:.1}), {share:4.0}% of unframed; CPU {:5.1} us a round trip ({cpu_share:3.0}%)",
                med / 1e3,
                lo / 1e3,
                hi / 1e3,
                cpu / 1e3
            );
        } else {
            println!(
                "{size:>8} B {mode:<24} median {med:5.2} GB/s (range {lo:.2}-{hi:.2}), {share:4.0}% of unframed; CPU {:5.0} us/MiB ({cpu_share:3.0}%)",
                cpu / 1e3
            );
        }
    }
}
