//! Memory a hostile peer can make a reader spend, measured with a counting global allocator
//! (its own test binary, so nothing else allocates through it) and asserted.
//!
//! - A header claiming 1 GiB (with the maximum raised to 1 GiB) followed by 10 bytes costs the
//!   core decoder and the blocking reader under 1 MiB at peak: nothing is allocated for what the
//!   header claims.
//! - Bytes that do arrive cost about what they are (a small multiple, from buffer doubling).
//! - Hundreds of idle connections each holding a half frame: the live bytes per connection are
//!   measured, printed and bounded, so that 10,000 of them fit well under 1 GiB.
//!
//! Run with `cargo test --all-features --test resource_bounds -- --nocapture` to see the
//! figures. The tests take a lock so that only one measures at a time.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use lenframe::blocking::FrameReader;
use lenframe::{Codec, Decoded, Error, FrameError};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{serial, Meter};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const GIB: usize = 1024 * MIB;

/// What some code cost: the most heap it held at once above the starting point, and what it
/// still holds at the end.
#[derive(Clone, Copy, Debug)]
struct Cost {
    peak: usize,
    live: isize,
}

fn measure<T>(f: impl FnOnce() -> T) -> (T, Cost) {
    let meter = Meter::start();
    let out = f();
    let cost = Cost {
        peak: meter.peak(),
        live: meter.live(),
    };
    (out, cost)
}

fn codec_1gib() -> Codec {
    Codec::builder().max_frame_len(GIB).build().unwrap()
}

/// A header claiming 1 GiB, then 10 payload bytes.
fn half_frame() -> Vec<u8> {
    let mut bytes = (GIB as u32).to_le_bytes().to_vec();
    bytes.extend_from_slice(b"0123456789");
    bytes
}

fn tcp_pair(listener: &TcpListener) -> (TcpStream, TcpStream) {
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

fn is_timeout(err: &Error) -> bool {
    matches!(err, Error::Io(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut))
}

#[test]
fn core_decoder_half_frame_claiming_1gib_costs_under_1mib() {
    let _lock = serial();
    let codec = codec_1gib();
    let wire = half_frame();
    let ((), cost) = measure(|| {
        let mut decoder = codec.decoder();
        let mut buf = BytesMut::new();
        // The bytes arrive in two reads, as a caller growing its buffer with them would see.
        buf.extend_from_slice(&wire[..2]);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        buf.extend_from_slice(&wire[2..]);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(decoder.bytes_needed(&buf), GIB - 10);
        assert_eq!(
            decoder.decode_eof(&mut buf),
            Err(FrameError::Truncated {
                expected: GIB as u64 + 4,
                got: 14,
                guess: None,
            })
        );
        assert_eq!(
            codec.decode_slice(&wire),
            Ok(Decoded::Incomplete { needed: GIB - 10 })
        );
    });
    println!(
        "core FrameDecoder, 1 GiB claimed + 10 bytes: peak {} bytes",
        cost.peak
    );
    assert!(cost.peak < MIB, "{cost:?}");
}

#[test]
fn blocking_reader_half_frame_claiming_1gib_costs_under_1mib() {
    let _lock = serial();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();

    // read_frame: the peer sends the half frame and goes quiet, then closes.
    let (mut client, server) = tcp_pair(&listener);
    server
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    client.write_all(&half_frame()).unwrap();
    let (mut reader, cost) = measure(|| {
        let mut reader = FrameReader::with_codec(server, codec_1gib());
        let err = reader.read_frame().unwrap_err();
        assert!(is_timeout(&err), "{err:?}");
        assert_eq!(reader.buffer().len(), 14, "all the bytes sent were read");
        reader
    });
    println!(
        "blocking FrameReader::read_frame, 1 GiB claimed + 10 bytes: peak {} bytes, held {} bytes",
        cost.peak, cost.live
    );
    assert!(cost.peak < MIB, "{cost:?}");
    drop(client);
    match reader.read_frame() {
        Err(Error::Frame(FrameError::Truncated {
            expected,
            got,
            guess: None,
        })) => {
            assert_eq!((expected, got), (GIB as u64 + 4, 14));
        }
        other => panic!("expected Truncated, got {other:?}"),
    }

    // copy_frame_to, the streaming path, into a sink.
    let (mut client, server) = tcp_pair(&listener);
    server
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    client.write_all(&half_frame()).unwrap();
    let ((), cost) = measure(|| {
        let mut reader = FrameReader::with_codec(server, codec_1gib());
        let mut sink = io::sink();
        let err = reader.copy_frame_to(&mut sink).unwrap_err();
        assert!(is_timeout(&err), "{err:?}");
        assert_eq!(reader.copy_remaining(), Some(GIB as u64 - 10));
    });
    println!(
        "blocking FrameReader::copy_frame_to, 1 GiB claimed + 10 bytes: peak {} bytes",
        cost.peak
    );
    assert!(cost.peak < MIB, "{cost:?}");
}

/// Bytes that really arrive cost about what they are: a peer that sends 4 MiB of a frame
/// claiming 1 GiB makes the reader hold a few times 4 MiB (buffer doubling), never 1 GiB.
#[test]
fn blocking_reader_memory_follows_bytes_received_not_bytes_claimed() {
    let _lock = serial();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (mut client, server) = tcp_pair(&listener);
    server
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let sent = 4 * MIB;
    let body = vec![b'b'; sent];
    let header = (GIB as u32).to_le_bytes();
    let peer = thread::spawn(move || {
        client.write_all(&header).unwrap();
        client.write_all(&body).unwrap();
        // Stay quiet (not closed) until the reader is done.
        let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = client.read(&mut [0u8; 1]);
    });
    let (reader, cost) = measure(|| {
        let mut reader = FrameReader::with_codec(server, codec_1gib());
        let deadline = Instant::now() + Duration::from_secs(20);
        // Read until everything sent is in and the peer has gone quiet.
        while reader.buffer().len() < 4 + sent {
            match reader.read_frame() {
                Err(err) if is_timeout(&err) => assert!(Instant::now() < deadline),
                other => panic!("{other:?}"),
            }
        }
        reader
    });
    println!(
        "blocking FrameReader, 1 GiB claimed, {} bytes received: peak {} bytes ({:.2}x), held {} bytes",
        sent,
        cost.peak,
        cost.peak as f64 / sent as f64,
        cost.live
    );
    assert!(cost.peak <= 3 * sent + MIB, "{cost:?}");
    drop(reader);
    peer.join().unwrap();
}

const IDLE_CONNECTIONS: usize = 300;

/// Makes `n` loopback connections whose peers each sent a half frame (1 GiB claimed, 10 bytes)
/// and went quiet: (clients, servers).
fn idle_half_frames(listener: &TcpListener, n: usize) -> (Vec<TcpStream>, Vec<TcpStream>) {
    let mut clients = Vec::with_capacity(n);
    let mut servers = Vec::with_capacity(n);
    for _ in 0..n {
        let (mut client, server) = tcp_pair(listener);
        client.write_all(&half_frame()).unwrap();
        clients.push(client);
        servers.push(server);
    }
    (clients, servers)
}

/// The most bytes one idle half-frame connection may hold with a reader's default read size
/// (1 MiB, but reads start at 8 KiB and grow only while they come back full; measured ~8.3 KiB
/// blocking, ~8.6 KiB tokio): 10,000 of them fit in 100 MiB.
const PER_CONNECTION_DEFAULT_BOUND: usize = 10 * KIB;

/// The same with a 4 KiB read size (measured ~4.2 KiB): 10,000 of them fit in 80 MiB.
const PER_CONNECTION_SMALL_READS_BOUND: usize = 8 * KIB;

#[test]
fn idle_half_frame_connections_blocking_reader() {
    let _lock = serial();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (clients, servers) = idle_half_frames(&listener, IDLE_CONNECTIONS);
    for server in &servers {
        server.set_nonblocking(true).unwrap();
    }
    let (readers, cost) = measure(|| {
        let mut readers = Vec::with_capacity(IDLE_CONNECTIONS);
        for server in servers {
            let mut reader = FrameReader::with_codec(server, codec_1gib());
            let deadline = Instant::now() + Duration::from_secs(10);
            // Non-blocking: read until the 14 bytes are in and the socket would block.
            while reader.buffer().len() < 14 {
                match reader.read_frame() {
                    Err(err) if is_timeout(&err) => {
                        assert!(Instant::now() < deadline);
                        thread::sleep(Duration::from_millis(1));
                    }
                    other => panic!("{other:?}"),
                }
            }
            readers.push(reader);
        }
        readers
    });
    let per_connection = report_idle("blocking FrameReader (default 1 MiB max reads)", cost);
    assert!(
        per_connection <= PER_CONNECTION_DEFAULT_BOUND,
        "{per_connection} bytes per idle connection"
    );
    drop(readers);

    // The same with a smaller read size, for servers that hold many connections.
    let (clients2, servers) = idle_half_frames(&listener, IDLE_CONNECTIONS);
    for server in &servers {
        server.set_nonblocking(true).unwrap();
    }
    let (readers, cost) = measure(|| {
        let mut readers = Vec::with_capacity(IDLE_CONNECTIONS);
        for server in servers {
            let mut reader =
                FrameReader::with_codec(server, codec_1gib()).with_max_read_size(4 * KIB);
            while reader.buffer().len() < 14 {
                match reader.read_frame() {
                    Err(err) if is_timeout(&err) => thread::sleep(Duration::from_millis(1)),
                    other => panic!("{other:?}"),
                }
            }
            readers.push(reader);
        }
        readers
    });
    let per_connection = report_idle("blocking FrameReader::with_max_read_size(4096)", cost);
    assert!(
        per_connection <= PER_CONNECTION_SMALL_READS_BOUND,
        "{per_connection} bytes per idle connection"
    );
    drop((readers, clients, clients2));
}

/// Prints the per-connection figure and returns it.
fn report_idle(what: &str, cost: Cost) -> usize {
    let per_connection = cost.live.max(0) as usize / IDLE_CONNECTIONS;
    println!(
        "{what}: {IDLE_CONNECTIONS} idle half-frame connections hold {} bytes ({} bytes each, \
         peak {} bytes); 10,000 would hold {:.1} MiB",
        cost.live,
        per_connection,
        cost.peak,
        (per_connection * 10_000) as f64 / MIB as f64
    );
    per_connection
}

#[cfg(feature = "tokio")]
#[test]
fn idle_half_frame_connections_tokio_reader() {
    use futures_util::future::join_all;
    use lenframe::tokio::FrameReader as AsyncFrameReader;

    let _lock = serial();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (clients, servers) = idle_half_frames(&listener, IDLE_CONNECTIONS);
    let servers: Vec<_> = runtime.block_on(async {
        servers
            .into_iter()
            .map(|server| {
                server.set_nonblocking(true).unwrap();
                tokio::net::TcpStream::from_std(server).unwrap()
            })
            .collect()
    });
    let (readers, cost) = measure(|| {
        runtime.block_on(async {
            let mut readers: Vec<_> = servers
                .into_iter()
                .map(|server| AsyncFrameReader::with_codec(server, codec_1gib()))
                .collect();
            // Read every connection at once until its half frame is in and it goes quiet; the
            // timeout drops the read_frame future, which is cancel-safe.
            let reads = readers.iter_mut().map(|reader| async move {
                let result =
                    tokio::time::timeout(Duration::from_millis(500), reader.read_frame()).await;
                assert!(result.is_err(), "no frame can complete: {result:?}");
                assert_eq!(reader.buffer().len(), 14);
            });
            join_all(reads).await;
            readers
        })
    });
    let per_connection = report_idle("tokio FrameReader", cost);
    assert!(
        per_connection <= PER_CONNECTION_DEFAULT_BOUND,
        "{per_connection} bytes per idle connection"
    );
    drop(readers);
    drop(clients);
}

// ---------------------------------------------------------------------------------------------
// Memory follows the settings, not the history: after one 8 MiB frame and 1,000 frames of 16 B,
// an idle reader or writer holds at most 16 KiB (issue 9).

/// The most an idle reader or writer may hold, whatever it carried before.
const IDLE_BOUND: usize = 16 * KIB;

const BIG_FRAME: usize = 8 * MIB;
const SMALL_FRAMES: usize = 1_000;

fn codec_64mib() -> Codec {
    Codec::builder().max_frame_len(64 * MIB).build().unwrap()
}

/// One 8 MiB frame then 1,000 frames of 16 B, as a peer sends them (`big`: whether the big
/// frame comes first).
fn mixed_traffic(big: bool) -> Vec<u8> {
    let mut wire = Vec::new();
    if big {
        wire.extend_from_slice(&(BIG_FRAME as u32).to_le_bytes());
        wire.resize(4 + BIG_FRAME, b'B');
    }
    for i in 0..SMALL_FRAMES {
        wire.extend_from_slice(&16u32.to_le_bytes());
        wire.extend_from_slice(&[i as u8; 16]);
    }
    wire
}

fn frame_count(big: bool) -> usize {
    SMALL_FRAMES + usize::from(big)
}

/// A loopback connection whose peer thread writes `wire` when `go` is sent and then stays
/// connected (quiet) until `done` is sent. Everything is allocated before any measuring.
struct QuietPeer {
    go: std::sync::mpsc::Sender<()>,
    thread: thread::JoinHandle<()>,
}

impl QuietPeer {
    fn spawn(listener: &TcpListener, wire: std::sync::Arc<Vec<u8>>) -> (QuietPeer, TcpStream) {
        let (mut client, server) = tcp_pair(listener);
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let thread = thread::spawn(move || {
            wait.recv().unwrap();
            client.write_all(&wire).unwrap();
            let _ = wait.recv();
        });
        (QuietPeer { go, thread }, server)
    }

    fn send(&self) {
        self.go.send(()).unwrap();
    }

    fn close(self) {
        let _ = self.go.send(());
        self.thread.join().unwrap();
    }
}

fn report_held(what: &str, cost: Cost) {
    println!(
        "{what}: holds {} bytes idle ({:.1} KiB), peak {:.1} MiB",
        cost.live,
        cost.live as f64 / KIB as f64,
        cost.peak as f64 / MIB as f64
    );
}

fn blocking_reader_idles_small_after(big: bool) -> Cost {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let wire = std::sync::Arc::new(mixed_traffic(big));
    let (peer, server) = QuietPeer::spawn(&listener, wire);
    server
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let (reader, cost) = measure(|| {
        let mut reader = FrameReader::with_codec(server, codec_64mib());
        peer.send();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut frames = 0;
        while frames < frame_count(big) {
            match reader.read_frame() {
                Ok(Some(frame)) => {
                    assert!(frame.len() == 16 || frame.len() == BIG_FRAME);
                    frames += 1;
                }
                Err(err) if is_timeout(&err) => assert!(Instant::now() < deadline),
                other => panic!("{other:?}"),
            }
        }
        // Idle: the peer is quiet, the reader waits for the next frame and times out.
        let err = reader.read_frame().unwrap_err();
        assert!(is_timeout(&err), "{err:?}");
        assert!(reader.buffer().is_empty());
        reader
    });
    drop(reader);
    peer.close();
    cost
}

#[test]
fn blocking_reader_idles_under_16_kib_after_an_8_mib_frame() {
    let _lock = serial();
    let cost = blocking_reader_idles_small_after(true);
    report_held(
        "blocking FrameReader after 8 MiB + 1,000 x 16 B, idle",
        cost,
    );
    assert!(
        cost.peak >= BIG_FRAME,
        "the big frame was held once: {cost:?}"
    );
    assert!(cost.live <= IDLE_BOUND as isize, "{cost:?}");
}

#[test]
fn blocking_reader_idles_under_16_kib_after_small_frames() {
    let _lock = serial();
    let cost = blocking_reader_idles_small_after(false);
    report_held("blocking FrameReader after 1,000 x 16 B, idle", cost);
    assert!(cost.live <= IDLE_BOUND as isize, "{cost:?}");
}

fn blocking_writer_idles_small_after(feed: bool) -> Cost {
    use lenframe::blocking::FrameWriter;

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (client, mut server) = tcp_pair(&listener);
    // A peer that reads (and counts) everything.
    let expected = (4 + BIG_FRAME + SMALL_FRAMES * 20) as u64;
    let mut buf = vec![0u8; 256 * KIB];
    // The buffer comes back with the thread, so it is freed after the measurement.
    let drain = thread::spawn(move || {
        let mut got = 0u64;
        while got < expected {
            let n = server.read(&mut buf).unwrap();
            assert!(n > 0);
            got += n as u64;
        }
        buf
    });
    // Kept alive outside the measurement (the writer takes a reference-counted handle).
    let big = bytes::Bytes::from(vec![b'B'; BIG_FRAME]);
    let small = [7u8; 16];
    let (writer, cost) = measure(|| {
        let mut writer = FrameWriter::with_codec(client, codec_64mib());
        if feed {
            writer.feed_frame(big.clone()).unwrap();
        } else {
            writer.write_frame(&big).unwrap();
        }
        for _ in 0..SMALL_FRAMES {
            if feed {
                writer
                    .feed_frame(bytes::Bytes::from_static(&[7u8; 16]))
                    .unwrap();
            } else {
                writer.write_frame(small).unwrap();
            }
        }
        writer.flush().unwrap();
        assert_eq!(writer.buffered_len(), 0);
        writer
    });
    drain.join().unwrap();
    drop(writer);
    cost
}

#[test]
fn blocking_writer_idles_under_16_kib_after_an_8_mib_frame() {
    let _lock = serial();
    for feed in [false, true] {
        let cost = blocking_writer_idles_small_after(feed);
        let how = if feed { "feed_frame" } else { "write_frame" };
        report_held(
            &format!("blocking FrameWriter::{how} after 8 MiB + 1,000 x 16 B, flushed"),
            cost,
        );
        assert!(
            cost.live >= -(4 * KIB as isize) && cost.live <= IDLE_BOUND as isize,
            "{how}: {cost:?}"
        );
        assert!(cost.peak < MIB, "the 8 MiB payload is not copied: {cost:?}");
    }
}

#[cfg(feature = "tokio-util")]
mod tokio_adapters {
    use super::*;

    use bytes::Bytes;
    use futures_util::{SinkExt, StreamExt};
    use lenframe::tokio::{FrameReader as AsyncFrameReader, FrameWriter as AsyncFrameWriter};
    use lenframe::FramedCodec;
    use tokio::io::AsyncReadExt;
    use tokio_util::codec::{FramedRead, FramedWrite};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// The server end of a loopback connection as a tokio stream, and its quiet peer.
    fn tokio_pair(rt: &tokio::runtime::Runtime, big: bool) -> (QuietPeer, tokio::net::TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let wire = std::sync::Arc::new(mixed_traffic(big));
        let (peer, server) = QuietPeer::spawn(&listener, wire);
        server.set_nonblocking(true).unwrap();
        let server = rt.block_on(async { tokio::net::TcpStream::from_std(server).unwrap() });
        (peer, server)
    }

    /// Reads every frame with `next`, then waits idle for 100 ms (the read is cancelled by the
    /// timeout, which `read_frame` and `next` allow).
    async fn read_then_idle<S, F, E>(frames: &mut S, count: usize)
    where
        S: futures_util::Stream<Item = Result<F, E>> + Unpin,
        F: AsRef<[u8]>,
        E: std::fmt::Debug,
    {
        for _ in 0..count {
            let frame = frames.next().await.unwrap().unwrap();
            assert!(frame.as_ref().len() == 16 || frame.as_ref().len() == BIG_FRAME);
        }
        let idle = tokio::time::timeout(Duration::from_millis(100), frames.next()).await;
        assert!(idle.is_err(), "nothing more was sent");
    }

    /// What a reader made by `make` holds once it has read the traffic (`big`: with the 8 MiB
    /// frame first) and waits, idle; `buffered` says how many bytes it still buffers.
    fn stream_reader_cost<S, F, E>(
        big: bool,
        make: impl FnOnce(tokio::net::TcpStream) -> S,
        buffered: impl Fn(&S) -> usize,
    ) -> Cost
    where
        S: futures_util::Stream<Item = Result<F, E>> + Unpin,
        F: AsRef<[u8]>,
        E: std::fmt::Debug,
    {
        let rt = runtime();
        let (peer, server) = tokio_pair(&rt, big);
        let (reader, cost) = measure(|| {
            rt.block_on(async {
                let mut reader = make(server);
                peer.send();
                read_then_idle(&mut reader, frame_count(big)).await;
                assert_eq!(buffered(&reader), 0);
                reader
            })
        });
        drop(reader);
        peer.close();
        cost
    }

    /// Asserts that the reader `what` (made by `cost`) idles under 16 KiB after each traffic.
    fn assert_idles_small(what: &str, cost: impl Fn(bool) -> Cost) {
        let _lock = serial();
        for big in [true, false] {
            let traffic = if big {
                "8 MiB + 1,000 x 16 B"
            } else {
                "1,000 x 16 B"
            };
            let cost = cost(big);
            report_held(&format!("{what} after {traffic}, idle"), cost);
            assert!(cost.live <= IDLE_BOUND as isize, "{traffic}: {cost:?}");
        }
    }

    #[test]
    fn tokio_reader_idles_under_16_kib_after_an_8_mib_frame() {
        assert_idles_small("tokio FrameReader", |big| {
            stream_reader_cost(
                big,
                |io| AsyncFrameReader::with_codec(io, codec_64mib()),
                |reader| reader.buffer().len(),
            )
        });
    }

    #[test]
    fn framed_codec_reader_idles_under_16_kib_after_an_8_mib_frame() {
        assert_idles_small("FramedRead<FramedCodec>", |big| {
            stream_reader_cost(
                big,
                |io| FramedRead::new(io, FramedCodec::new(codec_64mib())),
                |reader| reader.read_buffer().len(),
            )
        });
    }

    /// A tokio connection whose peer reads and discards everything.
    fn draining_pair(
        rt: &tokio::runtime::Runtime,
    ) -> (
        tokio::net::TcpStream,
        tokio::task::JoinHandle<(u64, Vec<u8>)>,
    ) {
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 256 * KIB];
            let drain = tokio::spawn(async move {
                let mut got = 0u64;
                loop {
                    match server.read(&mut buf).await.unwrap() {
                        0 => return (got, buf),
                        n => got += n as u64,
                    }
                }
            });
            (client, drain)
        })
    }

    const WRITTEN: u64 = (4 + BIG_FRAME + SMALL_FRAMES * 20) as u64;

    #[test]
    fn tokio_writer_idles_under_16_kib_after_an_8_mib_frame() {
        let _lock = serial();
        for how in ["write_frame", "feed_frame", "Sink::feed"] {
            let rt = runtime();
            let (client, drain) = draining_pair(&rt);
            let big = Bytes::from(vec![b'B'; BIG_FRAME]);
            let (writer, cost) = measure(|| {
                rt.block_on(async {
                    let mut writer = AsyncFrameWriter::with_codec(client, codec_64mib());
                    match how {
                        "write_frame" => writer.write_frame(&big).await.unwrap(),
                        "feed_frame" => writer.feed_frame(big.clone()).await.unwrap(),
                        _ => writer.feed(big.clone()).await.unwrap(),
                    }
                    for _ in 0..SMALL_FRAMES {
                        writer.write_frame([7u8; 16]).await.unwrap();
                    }
                    writer.flush().await.unwrap();
                    assert_eq!(writer.buffered_len(), 0);
                    writer
                })
            });
            report_held(
                &format!("tokio FrameWriter ({how}) after 8 MiB + 1,000 x 16 B, flushed"),
                cost,
            );
            drop(writer);
            assert_eq!(rt.block_on(drain).unwrap().0, WRITTEN);
            assert!(
                cost.live >= -(4 * KIB as isize) && cost.live <= IDLE_BOUND as isize,
                "{how}: {cost:?}"
            );
            assert!(
                cost.peak < MIB,
                "{how}: the 8 MiB payload is not copied: {cost:?}"
            );
        }
    }

    #[test]
    fn framed_codec_writer_idles_under_16_kib_after_an_8_mib_frame() {
        let _lock = serial();
        let rt = runtime();
        let (client, drain) = draining_pair(&rt);
        let big = Bytes::from(vec![b'B'; BIG_FRAME]);
        let (writer, cost) = measure(|| {
            rt.block_on(async {
                let mut writer = FramedWrite::new(client, FramedCodec::new(codec_64mib()));
                writer.send(big.clone()).await.unwrap();
                for _ in 0..SMALL_FRAMES {
                    writer.feed(Bytes::from_static(&[7u8; 16])).await.unwrap();
                }
                SinkExt::<Bytes>::flush(&mut writer).await.unwrap();
                writer
            })
        });
        report_held(
            "FramedWrite<FramedCodec> after 8 MiB + 1,000 x 16 B, flushed",
            cost,
        );
        drop(writer);
        assert_eq!(rt.block_on(drain).unwrap().0, WRITTEN);
        assert!(
            cost.live >= -(4 * KIB as isize) && cost.live <= IDLE_BOUND as isize,
            "{cost:?}"
        );
    }
}
