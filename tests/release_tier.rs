//! The release tier: docs/guarantees.md's promises at the scale they state, too slow for the
//! debug suite. Every test here is `#[ignore]`d, so `cargo test` (the debug tier) only builds
//! them; `.ci/run` runs them in release:
//!
//! ```text
//! cargo test --release --all-features --locked --test release_tier -- --ignored --nocapture
//! ```
//!
//! - 10,000 idle connections, each holding half a frame (a header claiming 1 GiB and 10 bytes),
//!   through the blocking and the tokio reader: each costs at most 16 KiB of heap.
//! - A 1 GiB frame streamed through the tokio `copy_frame_from` and `copy_frame_to` over an
//!   in-memory pipe, in bounded heap (the blocking adapters' 1 GiB runs in the debug tier:
//!   tests/streaming_alloc.rs).
//!
//! Its own binary with a counting global allocator; the tests take a lock so that each peak is
//! its own. The clients run in a Python process; this one raises its open-file limit to hold
//! the 10,000 server sockets.
#![cfg(all(target_os = "linux", feature = "tokio"))]

use std::io;
use std::net::{TcpListener, TcpStream};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use lenframe::blocking::FrameReader;
use lenframe::{Codec, Error};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{serial, Meter};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const GIB: usize = 1024 * MIB;

/// The connections docs/guarantees.md speaks of.
const CONNECTIONS: usize = 10_000;
/// What docs/guarantees.md promises an idle half-frame connection costs at most.
const PER_CONNECTION_BOUND: usize = 16 * KIB;

fn codec_1gib() -> Codec {
    Codec::builder().max_frame_len(GIB).build().unwrap()
}

/// Raises this process's open-file limit to fit `CONNECTIONS` sockets and what the test
/// harness holds. Fails, rather than skips, when it cannot.
fn raise_open_files() {
    let wanted = (CONNECTIONS + 1024) as u64;
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    if soft >= wanted {
        return;
    }
    // As root with CAP_SYS_RESOURCE the hard limit can rise too; otherwise it must allow it.
    let hard = hard.max(wanted);
    rlimit::setrlimit(rlimit::Resource::NOFILE, wanted, hard).unwrap_or_else(|err| {
        panic!("cannot raise the open-file limit from {soft} to {wanted}: {err} (run `ulimit -n {wanted}` first)")
    });
}

/// The clients, in their own process (a short Python program, as the interop tests use) so that
/// this one holds only the 10,000 server sockets: each connects, sends half a frame (a header
/// claiming 1 GiB, then 10 bytes) and goes quiet until its standard input closes.
const CLIENTS: &str = r#"
import socket, struct, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
half = struct.pack("<i", 1 << 30) + b"0123456789"
socks = []
for _ in range(n):
    s = socket.create_connection((host, port))
    s.sendall(half)
    socks.append(s)
print("connected", flush=True)
sys.stdin.read()
"#;

/// `CONNECTIONS` loopback connections whose clients each sent a half frame and went quiet:
/// (the client process, the servers' sockets, non-blocking).
fn idle_half_frames(listener: &TcpListener) -> (std::process::Child, Vec<TcpStream>) {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut clients = Command::new("python3")
        .args([
            "-c",
            CLIENTS,
            &addr.ip().to_string(),
            &addr.port().to_string(),
        ])
        .arg(CONNECTIONS.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("python3, the clients of this test: {err}"));
    let mut servers = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        servers.push(server);
    }
    let mut line = String::new();
    io::BufReader::new(clients.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(
        line.trim(),
        "connected",
        "the client process failed (open files: soft {soft}, hard {hard})"
    );
    (clients, servers)
}

/// Prints and returns the heap each connection holds, from what `meter` saw.
fn per_connection(what: &str, meter: &Meter) -> usize {
    let live = meter.live().max(0) as usize;
    let each = live / CONNECTIONS;
    println!(
        "{what}: {CONNECTIONS} idle half-frame connections hold {:.1} MiB ({each} bytes, {:.1} KiB \
         each; peak {:.1} MiB); asserted at most {} KiB each",
        live as f64 / MIB as f64,
        each as f64 / KIB as f64,
        meter.peak() as f64 / MIB as f64,
        PER_CONNECTION_BOUND / KIB
    );
    each
}

fn is_would_block(err: &Error) -> bool {
    matches!(err, Error::Io(e) if e.kind() == io::ErrorKind::WouldBlock)
}

#[test]
#[ignore = "release tier: cargo test --release --test release_tier -- --ignored"]
fn ten_thousand_idle_half_frame_connections_blocking_reader() {
    let _serial = serial();
    raise_open_files();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (mut clients, servers) = idle_half_frames(&listener);
    let meter = Meter::start();
    let mut readers = Vec::with_capacity(CONNECTIONS);
    let deadline = Instant::now() + Duration::from_secs(60);
    for server in servers {
        let mut reader = FrameReader::with_codec(server, codec_1gib());
        // Non-blocking: read until the 14 bytes are in and the socket would block.
        while reader.buffer().len() < 14 {
            match reader.read_frame() {
                Err(err) if is_would_block(&err) => {
                    assert!(Instant::now() < deadline, "half frames not delivered");
                    thread::sleep(Duration::from_millis(1));
                }
                other => panic!("{other:?}"),
            }
        }
        readers.push(reader);
    }
    let each = per_connection("blocking FrameReader", &meter);
    assert!(
        each <= PER_CONNECTION_BOUND,
        "{each} bytes per idle connection"
    );
    assert!(readers.iter().all(|reader| reader.is_mid_frame()));
    drop(readers);
    drop(clients.stdin.take());
    assert!(clients.wait().unwrap().success());
}

#[test]
#[ignore = "release tier: cargo test --release --test release_tier -- --ignored"]
fn ten_thousand_idle_half_frame_connections_tokio_reader() {
    use futures_util::future::join_all;
    use lenframe::tokio::FrameReader as AsyncFrameReader;

    let _serial = serial();
    raise_open_files();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (mut clients, servers) = idle_half_frames(&listener);
    let servers: Vec<_> = runtime.block_on(async {
        servers
            .into_iter()
            .map(|server| tokio::net::TcpStream::from_std(server).unwrap())
            .collect()
    });
    let meter = Meter::start();
    let readers = runtime.block_on(async {
        let mut readers: Vec<_> = servers
            .into_iter()
            .map(|server| AsyncFrameReader::with_codec(server, codec_1gib()))
            .collect();
        // Every connection read at once until its half frame is in and it goes quiet; the
        // timeout drops the read_frame future, which is cancel-safe.
        let reads = readers.iter_mut().map(|reader| async move {
            let result = tokio::time::timeout(Duration::from_secs(2), reader.read_frame()).await;
            assert!(result.is_err(), "no frame can complete: {result:?}");
            assert_eq!(reader.buffer().len(), 14);
        });
        join_all(reads).await;
        readers
    });
    let each = per_connection("tokio FrameReader", &meter);
    assert!(
        each <= PER_CONNECTION_BOUND,
        "{each} bytes per idle connection"
    );
    drop(readers);
    drop(clients.stdin.take());
    assert!(clients.wait().unwrap().success());
}

/// The payload repeats with this period, so a lost, repeated or shifted block shows.
const PERIOD: usize = 251;
const PIECE: usize = 64 * KIB;

/// Generates `left` bytes of the repeating pattern, at most [`PIECE`] a read.
struct Payload {
    pattern: Vec<u8>,
    at: u64,
    left: u64,
}

impl Payload {
    fn new(left: u64) -> Payload {
        let pattern = (0..PERIOD + PIECE).map(|i| (i % PERIOD) as u8).collect();
        Payload {
            pattern,
            at: 0,
            left,
        }
    }
}

impl AsyncRead for Payload {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = buf.remaining().min(PIECE).min(self.left as usize);
        let start = (self.at % PERIOD as u64) as usize;
        buf.put_slice(&self.pattern[start..start + n]);
        self.at += n as u64;
        self.left -= n as u64;
        Poll::Ready(Ok(()))
    }
}

/// Checks every byte written against the pattern and counts them.
struct Check {
    pattern: Vec<u8>,
    at: u64,
}

impl AsyncWrite for Check {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        for piece in buf.chunks(PIECE) {
            let start = (self.at % PERIOD as u64) as usize;
            assert!(
                piece == &self.pattern[start..start + piece.len()],
                "payload differs near byte {}",
                self.at
            );
            self.at += piece.len() as u64;
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The most heap the tokio pipe below may hold at once: the writer's and the reader's buffers
/// and the pipe's own 64 KiB, with room for tokio's task allocations.
const TOKIO_STREAM_BOUND: usize = 512 * KIB;

#[test]
#[ignore = "release tier: cargo test --release --test release_tier -- --ignored"]
fn a_1_gib_frame_streams_through_the_tokio_adapters_in_bounded_memory() {
    use lenframe::tokio::{FrameReader as AsyncFrameReader, FrameWriter as AsyncFrameWriter};

    let _serial = serial();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let started = Instant::now();
    let meter = Meter::start();
    let (copied, checked) = runtime.block_on(async {
        let (ours, theirs) = tokio::io::duplex(64 * KIB);
        let writing = async move {
            let mut writer = AsyncFrameWriter::with_codec(ours, codec_1gib());
            let mut src = Payload::new(GIB as u64);
            writer.copy_frame_from(GIB as u64, &mut src).await.unwrap();
            writer.write_frame(b"done").await.unwrap();
            writer.shutdown().await.unwrap();
        };
        let reading = async move {
            let mut reader = AsyncFrameReader::with_codec(theirs, codec_1gib());
            let mut check = Check {
                pattern: Payload::new(0).pattern,
                at: 0,
            };
            let copied = reader.copy_frame_to(&mut check).await.unwrap();
            assert_eq!(reader.read_frame().await.unwrap().unwrap(), &b"done"[..]);
            assert_eq!(reader.read_frame().await.unwrap(), None);
            (copied, check.at)
        };
        tokio::join!(writing, reading).1
    });
    let peak = meter.peak();
    println!(
        "tokio copy_frame_from -> copy_frame_to: 1 GiB frame, peak heap {peak} bytes ({:.0} KiB), \
         {:.1?}; asserted under {} KiB",
        peak as f64 / KIB as f64,
        started.elapsed(),
        TOKIO_STREAM_BOUND / KIB
    );
    assert_eq!(copied, Some(GIB as u64));
    assert_eq!(checked, GIB as u64);
    assert!(peak < TOKIO_STREAM_BOUND, "peak {peak} bytes");
}
