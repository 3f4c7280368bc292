//! Every writer row of the `# Cancel safety` tables (src/tokio.rs, src/futures.rs), held to its
//! exact promise, for the tokio and the futures-io writers: each frame's future is dropped after
//! a random number of polls, and what the peer received is compared with what each row allows.
//!
//! | row | if dropped | checked |
//! |-----|-----------|---------|
//! | `write_frame`, frame shorter than the buffer | not queued | the frame never arrives |
//! | `feed_frame` | not queued | the frame never arrives |
//! | `write_frame_with` | not accepted if `body` was not called; accepted once it was | arrives exactly when `body` ran |
//! | `write_frame`, larger payload | withdrawn or finished: framed | whole or not at all |
//! | `SinkExt::send`, `send_frame` | queued whole or not at all | whole or not at all |
//! | `flush` (and `SinkExt::flush`) | what was not written stays buffered | dropped flushes, then one that completes: every accepted frame arrives |
//!
//! And for every row: a completed call's frame arrives; frames arrive whole, once, in order.
//!
//! Two transports: an I/O double whose writes return `Pending` or take a short prefix at random
//! (seeded: a failure prints its seed, `LENFRAME_CANCEL_SEED=n` replays it), and real loopback
//! TCP with small socket buffers and a slow reader. The futures-io writer runs over the same
//! transports through tokio-util's compat layer.
#![cfg(all(feature = "tokio", feature = "futures-io"))]

#[path = "support/seeded.rs"]
mod seeded;
use seeded::{poll_at_most, Rng};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use lenframe::Error;
use tokio::io::{AsyncReadExt, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

/// An in-memory sink whose writes and flushes return `Pending` (waking at once) or take a short
/// prefix, at random from its seed.
struct Flaky {
    rng: Rng,
    written: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl AsyncWrite for Flaky {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.rng.range(0, 2) == 0 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let n = buf.len().min(self.rng.range(1, 6000) as usize);
        self.written.lock().unwrap().extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.rng.range(0, 2) == 0 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

/// The ways of sending a frame, one row of the table each.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Row {
    WriteSmall,
    WriteLarge,
    Feed,
    WriteWith,
    Sink,
    SendFrame,
}

const ROWS: [Row; 6] = [
    Row::WriteSmall,
    Row::WriteLarge,
    Row::Feed,
    Row::WriteWith,
    Row::Sink,
    Row::SendFrame,
];

/// What the peer may receive of frame `i`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fate {
    Must,
    MustNot,
    May,
}

/// Frame `i` for `row`: its index first (so each is known by name), shorter than the writer's
/// 64 KiB buffer except for `WriteLarge`.
fn frame(i: usize, row: Row, rng: &mut Rng) -> Bytes {
    let len = match row {
        Row::WriteLarge => rng.range(70_000, 200_000) as usize,
        _ => match rng.range(0, 4) {
            0 => 8,
            1 => rng.range(9, 20_000) as usize,
            _ => rng.range(9, 600) as usize,
        },
    };
    let mut bytes = (i as u64).to_le_bytes().to_vec();
    let fill = rng.next() as u8;
    bytes.extend((8..len).map(|k| fill.wrapping_add(k as u8)));
    Bytes::from(bytes)
}

/// The frames in `wire`, decoded: each must be whole (a cut frame is an error here).
fn decode(wire: &[u8]) -> Vec<Bytes> {
    let codec = lenframe::Codec::builder()
        .max_frame_len(1 << 20)
        .build()
        .unwrap();
    let mut reader = lenframe::blocking::FrameReader::with_codec(wire, codec);
    let mut frames = Vec::new();
    while let Some(frame) = reader.read_frame().unwrap() {
        frames.push(frame);
    }
    frames
}

/// Checks what arrived against each frame's fate: in order, once each, whole, every `Must`
/// there and no `MustNot`.
fn check(label: &str, sent: &[Bytes], fates: &[Fate], received: &[Bytes]) {
    let mut next = 0;
    for frame in received {
        let i = u64::from_le_bytes(frame[..8].try_into().unwrap()) as usize;
        assert!(
            i >= next,
            "{label}: frame {i} arrived after frame {next} or twice"
        );
        assert!(frame == &sent[i], "{label}: frame {i} arrived altered");
        assert!(
            fates[i] != Fate::MustNot,
            "{label}: frame {i} arrived, though its cancelled call promised it was not queued"
        );
        next = i + 1;
    }
    let arrived: std::collections::HashSet<usize> = received
        .iter()
        .map(|f| u64::from_le_bytes(f[..8].try_into().unwrap()) as usize)
        .collect();
    for (i, fate) in fates.iter().enumerate() {
        assert!(
            *fate != Fate::Must || arrived.contains(&i),
            "{label}: frame {i} is missing, though it was accepted"
        );
    }
}

/// The same exercise for each writer type: the methods have the same names and promises.
macro_rules! exercise {
    ($name:ident, $module:ident, $bound:path) => {
        /// Sends `n` frames over `writer`, each with a random row and dropped after a random
        /// number of polls; then flushes (those flushes cancelled at random too) and shuts
        /// down. Returns the frames and the fate each row promised.
        async fn $name<W: $bound + Unpin>(
            mut writer: lenframe::$module::FrameWriter<W>,
            n: usize,
            rng: &mut Rng,
            only: Option<Row>,
        ) -> (Vec<Bytes>, Vec<Fate>, [u32; 2]) {
            use futures_util::SinkExt;
            let (mut sent, mut fates) = (Vec::with_capacity(n), Vec::with_capacity(n));
            let mut counts = [0u32; 2];
            for i in 0..n {
                let row = only.unwrap_or(ROWS[rng.range(0, ROWS.len() as u64 - 1) as usize]);
                let payload = frame(i, row, rng);
                let polls = rng.range(1, 5) as u32;
                let mut called = false;
                let done = match row {
                    Row::WriteSmall | Row::WriteLarge => {
                        poll_at_most(writer.write_frame(&payload), polls).await
                    }
                    Row::Feed => poll_at_most(writer.feed_frame(payload.clone()), polls).await,
                    Row::WriteWith => {
                        let body = |buf: &mut BytesMut| {
                            called = true;
                            buf.extend_from_slice(&payload);
                            Ok::<(), Error>(())
                        };
                        poll_at_most(writer.write_frame_with(body), polls).await
                    }
                    Row::Sink => {
                        poll_at_most(SinkExt::send(&mut writer, payload.clone()), polls).await
                    }
                    Row::SendFrame => poll_at_most(writer.send_frame(&payload), polls).await,
                };
                let fate = match (done, row) {
                    (Some(result), _) => {
                        result.unwrap();
                        Fate::Must
                    }
                    (None, Row::WriteSmall | Row::Feed) => Fate::MustNot,
                    (None, Row::WriteWith) if called => Fate::Must,
                    (None, Row::WriteWith) => Fate::MustNot,
                    (None, _) => Fate::May,
                };
                counts[usize::from(fate != Fate::Must)] += 1;
                sent.push(payload);
                fates.push(fate);
            }
            // The flush row: dropped flushes lose nothing; one that completes sends it all.
            loop {
                let polls = rng.range(1, 3) as u32;
                let flushed = if rng.range(0, 1) == 0 {
                    poll_at_most(writer.flush(), polls).await
                } else {
                    poll_at_most(SinkExt::flush(&mut writer), polls).await
                };
                match flushed {
                    Some(result) => break result.unwrap(),
                    None => counts[1] += 1,
                }
            }
            writer.shutdown().await.unwrap();
            (sent, fates, counts)
        }
    };
}

exercise!(exercise_tokio, tokio, tokio::io::AsyncWrite);
exercise!(exercise_futures, futures, futures_io::AsyncWrite);

fn seeds() -> Vec<u64> {
    match std::env::var("LENFRAME_CANCEL_SEED") {
        Ok(seed) => vec![seed.parse().expect("LENFRAME_CANCEL_SEED is a number")],
        Err(_) => (1..=24).collect(),
    }
}

/// Runs `body(seed)` for the first 8 seeds (loopback is slower than the double), naming the
/// seed of a failure.
async fn each_seed<F: Future<Output = ()>>(what: &str, body: impl Fn(u64) -> F) {
    for seed in seeds().into_iter().take(8) {
        let outcome =
            futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(body(seed))).await;
        if outcome.is_err() {
            panic!("{what}: seed {seed} failed (above); replay with LENFRAME_CANCEL_SEED={seed}");
        }
    }
}

#[tokio::test]
async fn tokio_writer_rows_hold_over_a_flaky_io_double() {
    let (mut cancelled, mut rows) = (0, std::collections::HashMap::new());
    for seed in seeds() {
        for only in ROWS.map(Some).into_iter().chain([None]) {
            let mut rng = Rng::new(seed ^ 0x7070);
            let written = std::sync::Arc::default();
            let io = Flaky {
                rng: Rng::new(seed),
                written: std::sync::Arc::clone(&written),
            };
            let label = format!("tokio over the double, seed {seed}, {only:?}");
            let run = exercise_tokio(lenframe::tokio::FrameWriter::new(io), 60, &mut rng, only);
            let (sent, fates, counts) =
                futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(run))
                    .await
                    .unwrap_or_else(|_| {
                        panic!("{label} failed (above); replay with LENFRAME_CANCEL_SEED={seed}")
                    });
            let received = decode(&written.lock().unwrap());
            let outcome = std::panic::catch_unwind(|| check(&label, &sent, &fates, &received));
            if outcome.is_err() {
                panic!("{label} failed (above); replay with LENFRAME_CANCEL_SEED={seed}");
            }
            cancelled += counts[1];
            *rows.entry(format!("{only:?}")).or_insert(0) += counts[1];
        }
    }
    println!("tokio, I/O double: {cancelled} cancelled calls; by row: {rows:?}");
    assert!(
        rows.values().all(|&n| n > 10),
        "a row was rarely cancelled: {rows:?}"
    );
}

#[tokio::test]
async fn futures_writer_rows_hold_over_a_flaky_io_double() {
    use tokio_util::compat::TokioAsyncWriteCompatExt;

    let (mut cancelled, mut rows) = (0, std::collections::HashMap::new());
    for seed in seeds() {
        for only in ROWS.map(Some).into_iter().chain([None]) {
            let mut rng = Rng::new(seed ^ 0x7171);
            let written = std::sync::Arc::default();
            let io = Flaky {
                rng: Rng::new(seed),
                written: std::sync::Arc::clone(&written),
            };
            let label = format!("futures-io over the double, seed {seed}, {only:?}");
            let writer = lenframe::futures::FrameWriter::new(io.compat_write());
            let run = exercise_futures(writer, 60, &mut rng, only);
            let (sent, fates, counts) =
                futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(run))
                    .await
                    .unwrap_or_else(|_| {
                        panic!("{label} failed (above); replay with LENFRAME_CANCEL_SEED={seed}")
                    });
            let received = decode(&written.lock().unwrap());
            let outcome = std::panic::catch_unwind(|| check(&label, &sent, &fates, &received));
            if outcome.is_err() {
                panic!("{label} failed (above); replay with LENFRAME_CANCEL_SEED={seed}");
            }
            cancelled += counts[1];
            *rows.entry(format!("{only:?}")).or_insert(0) += counts[1];
        }
    }
    println!("futures-io, I/O double: {cancelled} cancelled calls; by row: {rows:?}");
    assert!(
        rows.values().all(|&n| n > 10),
        "a row was rarely cancelled: {rows:?}"
    );
}

/// A loopback pair with small socket buffers (64 KiB send, 128 KiB receive), so that the
/// writer meets a full socket; and a task that reads the server end slowly, 4 KiB a read with
/// a yield between, until the end of stream.
async fn slow_loopback() -> (TcpStream, tokio::task::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    socket2::SockRef::from(&client)
        .set_send_buffer_size(64 * 1024)
        .unwrap();
    socket2::SockRef::from(&server)
        .set_recv_buffer_size(128 * 1024)
        .unwrap();
    client.set_nodelay(true).unwrap();
    let reading = tokio::spawn(async move {
        let mut wire = Vec::new();
        let mut buf = vec![0; 4096];
        loop {
            let n = server.read(&mut buf).await.unwrap();
            if n == 0 {
                return wire;
            }
            wire.extend_from_slice(&buf[..n]);
            tokio::task::yield_now().await;
        }
    });
    (client, reading)
}

#[tokio::test]
async fn tokio_writer_rows_hold_over_loopback_tcp() {
    each_seed("tokio over loopback", |seed| async move {
        let (client, reading) = slow_loopback().await;
        let mut rng = Rng::new(seed ^ 0x1CC);
        let writer = lenframe::tokio::FrameWriter::new(client);
        let (sent, fates, counts) = exercise_tokio(writer, 300, &mut rng, None).await;
        let received = decode(&reading.await.unwrap());
        check(
            &format!("tokio over loopback, seed {seed}"),
            &sent,
            &fates,
            &received,
        );
        println!("seed {seed}: {} calls cancelled", counts[1]);
        assert!(counts[1] > 0, "nothing was cancelled");
    })
    .await;
}

#[tokio::test]
async fn futures_writer_rows_hold_over_loopback_tcp() {
    use tokio_util::compat::TokioAsyncWriteCompatExt;

    each_seed("futures-io over loopback", |seed| async move {
        let (client, reading) = slow_loopback().await;
        let mut rng = Rng::new(seed ^ 0x1CD);
        let writer = lenframe::futures::FrameWriter::new(client.compat_write());
        let (sent, fates, counts) = exercise_futures(writer, 300, &mut rng, None).await;
        let received = decode(&reading.await.unwrap());
        check(
            &format!("futures-io over loopback, seed {seed}"),
            &sent,
            &fates,
            &received,
        );
        println!("seed {seed}: {} calls cancelled", counts[1]);
        assert!(counts[1] > 0, "nothing was cancelled");
    })
    .await;
}
