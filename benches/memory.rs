//! Heap memory per connection, counted by a global allocator in this binary: reported, not timed.
//!
//! Every scenario runs over a real loopback TCP connection on 127.0.0.1. The peer writes
//! prebuilt bytes with `write_all` (it allocates nothing while the reader is measured); the
//! figures are the heap bytes the reading side's framing layer allocates, measured from just
//! before it wraps the connected socket:
//!
//! - **idle**: one reader and one writer on one end, after that end has sent one 64-byte frame
//!   and received one; bytes held (`held`) and the most held at once (`peak`), per connection,
//!   averaged over 16 connections;
//! - **half of a 1 MiB frame**: the header and 512 KiB of the payload have arrived and the rest
//!   has not; the read gives up after a timeout (the partial frame stays buffered);
//! - **10,000 frames in flight**: 10,000 frames of 64 bytes arrive and the reader keeps every
//!   one (a queue the application has not processed yet); the queue's own `Vec` is allocated
//!   before counting starts;
//! - **after a big frame**: one 8 MiB frame and then 1,000 frames of 16 B arrive, the reader
//!   reads (and drops) them all and then waits, idle, for a frame that does not come: what it
//!   holds then (memory follows the settings, not the history).
//!
//! Implementations: lenframe's blocking and tokio adapters, `FramedRead`/`FramedWrite` with
//! lenframe's `FramedCodec` and with tokio-util's `LengthDelimitedCodec`, and the naive
//! `BufReader`/`BufWriter` + `read_exact` into a new `Vec` per frame.
//!
//! Run: `cargo bench --all-features --bench memory`. The table goes to stdout and to
//! `target/criterion/memory.md`.

mod common;

use std::io::{BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use lenframe::FramedCodec;
use tokio_util::codec::{FramedRead, FramedWrite};

#[path = "../tests/support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::Meter;

const CONNECTIONS: usize = 16;
const SMALL: usize = 64;
const BIG: usize = 1024 * 1024;
const IN_FLIGHT: usize = 10_000;
const AFTER_BIG: usize = 8 * 1024 * 1024;
const AFTER_BIG_SMALL: usize = 1_000;

fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

/// A peer thread that writes `bytes` when told, then holds the connection open until told to
/// close. Spawned (and its bytes built) before any counting starts.
struct Peer {
    go: mpsc::Sender<()>,
    thread: thread::JoinHandle<()>,
}

impl Peer {
    fn spawn(mut stream: TcpStream, bytes: Vec<u8>) -> Peer {
        let (go, wait) = mpsc::channel::<()>();
        let thread = thread::spawn(move || {
            wait.recv().unwrap();
            stream.write_all(&bytes).unwrap();
            // Hold the connection open until the bench is done with it.
            let _ = wait.recv();
            drop(stream);
        });
        Peer { go, thread }
    }

    fn send(&self) {
        self.go.send(()).unwrap();
    }

    fn close(self) {
        let _ = self.go.send(());
        self.thread.join().unwrap();
    }
}

fn frame(size: usize) -> Vec<u8> {
    common::wire(size, 1)
}

/// The start of a 1 MiB frame: its header and half its payload.
fn half_big_frame() -> Vec<u8> {
    let mut bytes = frame(BIG);
    bytes.truncate(common::HEADER + BIG / 2);
    bytes
}

fn many_small_frames() -> Vec<u8> {
    common::wire(SMALL, IN_FLIGHT)
}

#[derive(Clone, Copy, Debug)]
enum Impl {
    LenframeBlocking,
    Naive,
    LenframeTokio,
    LenframeFramed,
    TokioUtil,
}

impl Impl {
    const ALL: [Impl; 5] = [
        Impl::LenframeBlocking,
        Impl::Naive,
        Impl::LenframeTokio,
        Impl::LenframeFramed,
        Impl::TokioUtil,
    ];

    fn name(self) -> &'static str {
        match self {
            Impl::LenframeBlocking => "lenframe blocking::FrameReader/FrameWriter",
            Impl::Naive => "naive BufReader/BufWriter + read_exact",
            Impl::LenframeTokio => "lenframe tokio::FrameReader/FrameWriter",
            Impl::LenframeFramed => "FramedRead/FramedWrite + lenframe::FramedCodec",
            Impl::TokioUtil => "FramedRead/FramedWrite + tokio-util LengthDelimitedCodec",
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Converts a blocking stream for tokio (on the current runtime), split into owned halves.
fn tokio_halves(
    stream: TcpStream,
) -> (
    tokio::net::tcp::OwnedReadHalf,
    tokio::net::tcp::OwnedWriteHalf,
) {
    stream.set_nonblocking(true).unwrap();
    tokio::net::TcpStream::from_std(stream)
        .unwrap()
        .into_split()
}

/// Idle: each of `CONNECTIONS` ends sends one small frame, receives one, and then waits.
fn idle(which: Impl, rt: &tokio::runtime::Runtime) -> (usize, usize) {
    let small = frame(SMALL);
    let mut ends = Vec::new();
    let mut peers = Vec::new();
    let _guard = rt.enter();
    for _ in 0..CONNECTIONS {
        let (peer, end) = pair();
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        peers.push(peer);
        ends.push(end);
    }
    let tokio_ends: Vec<_> = match which {
        Impl::LenframeBlocking | Impl::Naive => Vec::new(),
        _ => ends.drain(..).map(tokio_halves).collect(),
    };
    let mut kept: Vec<Box<dyn std::any::Any>> = Vec::with_capacity(CONNECTIONS);
    let mut echo = vec![0u8; small.len()];
    let meter = Meter::start();
    match which {
        Impl::LenframeBlocking => {
            for (end, peer) in ends.into_iter().zip(&mut peers) {
                let mut writer = lenframe::blocking::FrameWriter::new(end.try_clone().unwrap());
                let mut reader = lenframe::blocking::FrameReader::new(end);
                writer.write_frame(&small[common::HEADER..]).unwrap();
                writer.flush().unwrap();
                peer.read_exact(&mut echo).unwrap();
                peer.write_all(&small).unwrap();
                drop(reader.read_frame().unwrap().unwrap());
                kept.push(Box::new((reader, writer)));
            }
        }
        Impl::Naive => {
            for (end, peer) in ends.into_iter().zip(&mut peers) {
                let mut writer = BufWriter::new(end.try_clone().unwrap());
                let mut reader = BufReader::new(end);
                writer.write_all(&(SMALL as i32).to_le_bytes()).unwrap();
                writer.write_all(&small[common::HEADER..]).unwrap();
                writer.flush().unwrap();
                peer.read_exact(&mut echo).unwrap();
                peer.write_all(&small).unwrap();
                let mut header = [0u8; 4];
                reader.read_exact(&mut header).unwrap();
                let mut payload = vec![0u8; i32::from_le_bytes(header) as usize];
                reader.read_exact(&mut payload).unwrap();
                drop(payload);
                kept.push(Box::new((reader, writer)));
            }
        }
        _ => rt.block_on(async {
            for ((read_half, write_half), peer) in tokio_ends.into_iter().zip(&mut peers) {
                let payload = Bytes::copy_from_slice(&small[common::HEADER..]);
                match which {
                    Impl::LenframeTokio => {
                        let mut writer = lenframe::tokio::FrameWriter::new(write_half);
                        let mut reader = lenframe::tokio::FrameReader::new(read_half);
                        writer.write_frame(&payload).await.unwrap();
                        writer.flush().await.unwrap();
                        peer.read_exact(&mut echo).unwrap();
                        peer.write_all(&small).unwrap();
                        drop(reader.read_frame().await.unwrap().unwrap());
                        kept.push(Box::new((reader, writer)));
                    }
                    Impl::LenframeFramed => {
                        let mut writer = FramedWrite::new(write_half, FramedCodec::default());
                        let mut reader = FramedRead::new(read_half, FramedCodec::default());
                        writer.send(payload).await.unwrap();
                        peer.read_exact(&mut echo).unwrap();
                        peer.write_all(&small).unwrap();
                        drop(reader.next().await.unwrap().unwrap());
                        kept.push(Box::new((reader, writer)));
                    }
                    _ => {
                        let mut writer = FramedWrite::new(write_half, common::tokio_util_codec());
                        let mut reader = FramedRead::new(read_half, common::tokio_util_codec());
                        writer.send(payload).await.unwrap();
                        peer.read_exact(&mut echo).unwrap();
                        peer.write_all(&small).unwrap();
                        drop(reader.next().await.unwrap().unwrap());
                        kept.push(Box::new((reader, writer)));
                    }
                }
            }
        }),
    }
    // `kept` itself was allocated before the meter started.
    let (held, peak) = (meter.held(), meter.peak());
    drop(kept);
    drop(peers);
    (held / CONNECTIONS, peak / CONNECTIONS)
}

/// Half of a 1 MiB frame has arrived; the read times out with the rest still to come.
fn half_frame(which: Impl, rt: &tokio::runtime::Runtime) -> (usize, usize) {
    let (peer, end) = pair();
    let peer = Peer::spawn(peer, half_big_frame());
    let wait = Duration::from_millis(300);
    let _guard = rt.enter();
    let tokio_end = match which {
        Impl::LenframeBlocking | Impl::Naive => {
            end.set_read_timeout(Some(wait)).unwrap();
            None
        }
        _ => Some(tokio_halves(end.try_clone().unwrap()).0),
    };
    let meter = Meter::start();
    peer.send();
    let result = match which {
        Impl::LenframeBlocking => {
            let mut reader = lenframe::blocking::FrameReader::new(end);
            // Reads return what has arrived; the one after the last byte times out.
            while reader.read_frame().is_ok() {}
            let counted = (meter.held(), meter.peak());
            drop(reader);
            counted
        }
        Impl::Naive => {
            let mut reader = BufReader::new(end);
            let mut header = [0u8; 4];
            reader.read_exact(&mut header).unwrap();
            let mut payload = vec![0u8; i32::from_le_bytes(header) as usize];
            assert!(
                reader.read_exact(&mut payload).is_err(),
                "the frame is incomplete"
            );
            let counted = (meter.held(), meter.peak());
            drop((reader, payload));
            counted
        }
        _ => rt.block_on(async {
            let read_half = tokio_end.unwrap();
            macro_rules! until_timeout {
                ($reader:ident, $next:expr) => {{
                    while tokio::time::timeout(wait, $next).await.is_ok() {}
                    let counted = (meter.held(), meter.peak());
                    drop($reader);
                    counted
                }};
            }
            match which {
                Impl::LenframeTokio => {
                    let mut reader = lenframe::tokio::FrameReader::new(read_half);
                    until_timeout!(reader, reader.read_frame())
                }
                Impl::LenframeFramed => {
                    let mut reader = FramedRead::new(read_half, FramedCodec::default());
                    until_timeout!(reader, reader.next())
                }
                _ => {
                    let mut reader = FramedRead::new(read_half, common::tokio_util_codec());
                    until_timeout!(reader, reader.next())
                }
            }
        }),
    };
    peer.close();
    result
}

/// 10,000 small frames arrive; the reader keeps them all.
fn in_flight(which: Impl, rt: &tokio::runtime::Runtime) -> (usize, usize) {
    let (peer, end) = pair();
    let peer = Peer::spawn(peer, many_small_frames());
    let _guard = rt.enter();
    let tokio_end = match which {
        Impl::LenframeBlocking | Impl::Naive => None,
        _ => Some(tokio_halves(end.try_clone().unwrap()).0),
    };
    let mut frames_bytes: Vec<Bytes> = Vec::with_capacity(IN_FLIGHT);
    let mut frames_vecs: Vec<Vec<u8>> = Vec::with_capacity(IN_FLIGHT);
    let meter = Meter::start();
    peer.send();
    let result = match which {
        Impl::LenframeBlocking => {
            let mut reader = lenframe::blocking::FrameReader::new(end);
            for _ in 0..IN_FLIGHT {
                frames_bytes.push(reader.read_frame().unwrap().unwrap());
            }
            let counted = (meter.held(), meter.peak());
            drop(reader);
            counted
        }
        Impl::Naive => {
            let mut reader = BufReader::new(end);
            for _ in 0..IN_FLIGHT {
                let mut header = [0u8; 4];
                reader.read_exact(&mut header).unwrap();
                let mut payload = vec![0u8; i32::from_le_bytes(header) as usize];
                reader.read_exact(&mut payload).unwrap();
                frames_vecs.push(payload);
            }
            let counted = (meter.held(), meter.peak());
            drop(reader);
            counted
        }
        _ => rt.block_on(async {
            let read_half = tokio_end.unwrap();
            match which {
                Impl::LenframeTokio => {
                    let mut reader = lenframe::tokio::FrameReader::new(read_half);
                    for _ in 0..IN_FLIGHT {
                        frames_bytes.push(reader.read_frame().await.unwrap().unwrap());
                    }
                }
                Impl::LenframeFramed => {
                    let mut reader = FramedRead::new(read_half, FramedCodec::default());
                    for _ in 0..IN_FLIGHT {
                        frames_bytes.push(reader.next().await.unwrap().unwrap().freeze());
                    }
                }
                _ => {
                    let mut reader = FramedRead::new(read_half, common::tokio_util_codec());
                    for _ in 0..IN_FLIGHT {
                        frames_bytes.push(reader.next().await.unwrap().unwrap().freeze());
                    }
                }
            }
            (meter.held(), meter.peak())
        }),
    };
    drop((frames_bytes, frames_vecs));
    peer.close();
    result
}

/// One 8 MiB frame, then 1,000 frames of 16 B; the reader reads and drops them all, then waits
/// for 300 ms with nothing arriving. What it holds while it waits.
fn after_big(which: Impl, rt: &tokio::runtime::Runtime) -> (usize, usize) {
    let mut wire = common::wire(AFTER_BIG, 1);
    wire.extend_from_slice(&common::wire(16, AFTER_BIG_SMALL));
    let frames = AFTER_BIG_SMALL + 1;
    let (peer, end) = pair();
    let peer = Peer::spawn(peer, wire);
    let wait = Duration::from_millis(300);
    let _guard = rt.enter();
    let tokio_end = match which {
        Impl::LenframeBlocking | Impl::Naive => {
            end.set_read_timeout(Some(wait)).unwrap();
            None
        }
        _ => Some(tokio_halves(end.try_clone().unwrap()).0),
    };
    let meter = Meter::start();
    peer.send();
    let result = match which {
        Impl::LenframeBlocking => {
            let mut reader = lenframe::blocking::FrameReader::new(end);
            for _ in 0..frames {
                drop(reader.read_frame().unwrap().unwrap());
            }
            assert!(reader.read_frame().is_err(), "idle: the read times out");
            let counted = (meter.held(), meter.peak());
            drop(reader);
            counted
        }
        Impl::Naive => {
            let mut reader = BufReader::new(end);
            for _ in 0..frames {
                let mut header = [0u8; 4];
                reader.read_exact(&mut header).unwrap();
                let mut payload = vec![0u8; i32::from_le_bytes(header) as usize];
                reader.read_exact(&mut payload).unwrap();
            }
            assert!(reader.read_exact(&mut [0u8; 4]).is_err(), "idle");
            let counted = (meter.held(), meter.peak());
            drop(reader);
            counted
        }
        _ => rt.block_on(async {
            let read_half = tokio_end.unwrap();
            macro_rules! read_then_idle {
                ($reader:ident, $next:expr) => {{
                    for _ in 0..frames {
                        drop($next.await.unwrap().unwrap());
                    }
                    assert!(tokio::time::timeout(wait, $next).await.is_err(), "idle");
                    let counted = (meter.held(), meter.peak());
                    drop($reader);
                    counted
                }};
            }
            match which {
                Impl::LenframeTokio => {
                    let mut reader = lenframe::tokio::FrameReader::new(read_half);
                    read_then_idle!(reader, reader.read_frame())
                }
                Impl::LenframeFramed => {
                    let mut reader = FramedRead::new(read_half, FramedCodec::default());
                    read_then_idle!(reader, reader.next())
                }
                _ => {
                    let mut reader = FramedRead::new(read_half, common::tokio_util_codec());
                    read_then_idle!(reader, reader.next())
                }
            }
        }),
    };
    peer.close();
    result
}

fn kib(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1024.0)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is accepted and ignored.
    let rt = runtime();
    let mut table = String::new();
    table.push_str(
        "| implementation | idle: held KiB | idle: peak KiB | half 1 MiB frame: held KiB | \
         half 1 MiB frame: peak KiB | 10,000 × 64 B frames: held KiB | \
         10,000 × 64 B frames: peak KiB | after 8 MiB + 1,000 × 16 B, idle: held KiB |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for which in Impl::ALL {
        let (idle_held, idle_peak) = idle(which, &rt);
        let (half_held, half_peak) = half_frame(which, &rt);
        let (many_held, many_peak) = in_flight(which, &rt);
        let (after_held, _) = after_big(which, &rt);
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            which.name(),
            kib(idle_held),
            kib(idle_peak),
            kib(half_held),
            kib(half_peak),
            kib(many_held),
            kib(many_peak),
            kib(after_held),
        ));
    }
    println!("memory: heap bytes per connection (counting allocator; not timed)\n");
    println!("{table}");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion");
    if std::fs::create_dir_all(&out).is_ok() {
        let _ = std::fs::write(out.join("memory.md"), &table);
    }
}
