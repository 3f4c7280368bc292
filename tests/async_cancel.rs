//! Cancel safety, proven: reads (and writes) dropped at random points while a peer trickles
//! frames a byte or two at a time. Every frame must arrive exactly once, whole and in order.
//!
//! Two ways to cancel: [`poll_at_most`] drops the future after a random number of polls, which
//! reaches every `.await` inside it deterministically; `tokio::select!` against a short sleep and
//! `tokio::time::timeout` do it the way applications do, over loopback TCP.

#[path = "support/seeded.rs"]
mod seeded;
use seeded::{poll_at_most, Rng};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use lenframe::tokio::{FrameReader, FrameWriter};
use lenframe::Codec;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// `n` frames, mostly small, some a few KiB, each starting with its index so a lost, duplicated
/// or reordered frame is caught by name.
fn frames(n: usize, max_large: u64, rng: &mut Rng) -> Vec<Bytes> {
    (0..n)
        .map(|i| {
            let len = match rng.range(0, 9) {
                0 => rng.range(0, 3) as usize,
                1 => rng.range(1000, max_large) as usize,
                _ => rng.range(4, 120) as usize,
            };
            let mut frame = (i as u32).to_le_bytes().repeat(len.div_ceil(4));
            frame.truncate(len);
            if len > 8 {
                frame[len - 1] = rng.next() as u8;
            }
            Bytes::from(frame)
        })
        .collect()
}

fn encoded(codec: Codec, frames: &[Bytes]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    for frame in frames {
        codec.encoder().encode(frame, &mut wire).unwrap();
    }
    wire.to_vec()
}

/// Writes `wire` one to three bytes at a time, yielding between pieces and now and then
/// sleeping, then closes.
async fn trickle<W: AsyncWrite + Unpin>(mut out: W, wire: Vec<u8>, seed: u64, sleeps: bool) {
    let mut rng = Rng::new(seed);
    let mut pos = 0;
    while pos < wire.len() {
        let n = (rng.range(1, 3) as usize).min(wire.len() - pos);
        out.write_all(&wire[pos..pos + n]).await.unwrap();
        out.flush().await.unwrap();
        pos += n;
        if sleeps && rng.range(0, 60) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
    out.shutdown().await.unwrap();
}

/// A duplex pipe with `frames` trickling in from a spawned writer; returns the reading end.
fn trickled_pipe(codec: Codec, frames: &[Bytes], seed: u64) -> impl AsyncRead + Unpin {
    let (ours, theirs) = tokio::io::duplex(32);
    tokio::spawn(trickle(theirs, encoded(codec, frames), seed, false));
    ours
}

#[tokio::test]
async fn read_frame_dropped_after_any_number_of_polls_loses_nothing() {
    for seed in 1..=4 {
        let codec = match seed % 2 {
            0 => Codec::default(),
            _ => Codec::from_struct_format("!H").unwrap(),
        };
        let mut rng = Rng::new(seed);
        let sent = frames(300, 3000, &mut rng);
        let mut reader = FrameReader::with_codec(trickled_pipe(codec, &sent, seed), codec);
        let (mut received, mut cancels) = (Vec::new(), 0);
        loop {
            let polls = rng.range(1, 6) as u32;
            match poll_at_most(reader.read_frame(), polls).await {
                Some(Ok(Some(frame))) => received.push(frame),
                Some(Ok(None)) => break,
                Some(Err(err)) => panic!("seed {seed}: {err}"),
                None => cancels += 1,
            }
        }
        assert!(received == sent, "seed {seed}: frames differ");
        assert!(cancels > 1000, "seed {seed}: only {cancels} cancellations");
    }
}

#[tokio::test]
async fn stream_next_dropped_after_any_number_of_polls_loses_nothing() {
    let mut rng = Rng::new(99);
    let sent = frames(300, 3000, &mut rng);
    let mut reader = FrameReader::new(trickled_pipe(Codec::default(), &sent, 99));
    let (mut received, mut cancels) = (Vec::new(), 0);
    loop {
        match poll_at_most(reader.next(), rng.range(1, 6) as u32).await {
            Some(Some(frame)) => received.push(frame.unwrap()),
            Some(None) => break,
            None => cancels += 1,
        }
    }
    assert!(received == sent);
    assert!(cancels > 1000, "only {cancels} cancellations");
}

#[tokio::test]
async fn copy_frame_to_dropped_after_any_number_of_polls_loses_nothing() {
    let mut rng = Rng::new(7);
    let sent = frames(200, 5000, &mut rng);
    let mut reader = FrameReader::new(trickled_pipe(Codec::default(), &sent, 7));
    let (mut received, mut cancels) = (Vec::new(), 0);
    let mut current = Vec::new();
    loop {
        match poll_at_most(reader.copy_frame_to(&mut current), rng.range(1, 6) as u32).await {
            Some(Ok(Some(len))) => {
                assert_eq!(len as usize, current.len());
                received.push(Bytes::from(std::mem::take(&mut current)));
            }
            Some(Ok(None)) => break,
            Some(Err(err)) => panic!("{err}"),
            // Cancelled: the same destination gets the rest of the frame next time.
            None => cancels += 1,
        }
    }
    assert!(received == sent);
    assert!(cancels > 1000, "only {cancels} cancellations");
}

#[tokio::test]
async fn reads_cancelled_by_select_and_timeout_over_tcp_lose_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut rng = Rng::new(2024);
    let sent = frames(400, 4000, &mut rng);
    let wire = encoded(Codec::default(), &sent);
    tokio::spawn(async move {
        let peer = TcpStream::connect(addr).await.unwrap();
        peer.set_nodelay(true).unwrap();
        trickle(peer, wire, 2024, true).await;
    });
    let (stream, _) = listener.accept().await.unwrap();
    // A generous frame deadline, so its timer is armed and re-armed across the cancellations.
    let mut reader = FrameReader::new(stream).with_frame_deadline(Duration::from_secs(30));
    let (mut received, mut cancels) = (Vec::new(), 0);
    let overall = tokio::time::Instant::now();
    loop {
        assert!(overall.elapsed() < Duration::from_secs(60), "stuck");
        let wait = Duration::from_micros(rng.range(100, 2000));
        let result = if rng.range(0, 1) == 0 {
            tokio::select! {
                result = reader.read_frame() => Some(result),
                _ = tokio::time::sleep(wait) => None,
            }
        } else {
            tokio::time::timeout(wait, reader.read_frame()).await.ok()
        };
        match result {
            Some(Ok(Some(frame))) => received.push(frame),
            Some(Ok(None)) => break,
            Some(Err(err)) => panic!("{err}"),
            None => cancels += 1,
        }
    }
    assert!(received == sent, "frames differ");
    assert!(cancels > 50, "only {cancels} cancellations");
}

#[tokio::test]
async fn writes_dropped_at_random_points_keep_the_stream_framed() {
    let mut rng = Rng::new(5);
    // Large frames too: those are written from the caller's memory, the case a cancellation can
    // cut in the middle.
    let sent = frames(300, 40_000, &mut rng);
    let (ours, theirs) = tokio::io::duplex(1024);
    let reading = tokio::spawn(async move {
        let mut reader = FrameReader::new(theirs);
        let mut received = Vec::new();
        while let Some(frame) = reader.read_frame().await.unwrap() {
            received.push(frame);
            tokio::task::yield_now().await;
        }
        received
    });
    let mut writer = FrameWriter::new(ours);
    let mut completed = Vec::new();
    let mut cancels = 0;
    for (i, frame) in sent.iter().enumerate() {
        match poll_at_most(writer.write_frame(frame), rng.range(1, 4) as u32).await {
            Some(result) => {
                result.unwrap();
                completed.push(i);
            }
            None => cancels += 1,
        }
    }
    writer.flush().await.unwrap();
    drop(writer);
    let received = reading.await.unwrap();
    assert_whole_in_order(&sent, &received, &completed);
    assert!(cancels > 10, "only {cancels} cancellations");
}

/// Each frame arrived whole or not at all, in order, once; every completed write arrived.
fn assert_whole_in_order(sent: &[Bytes], received: &[Bytes], completed: &[usize]) {
    let mut next = 0;
    for frame in received {
        let index = sent[next..]
            .iter()
            .position(|s| s == frame)
            .map(|p| p + next)
            .expect("a frame that was not sent, or out of order");
        next = index + 1;
    }
    for &i in completed {
        assert!(received.contains(&sent[i]), "completed frame {i} missing");
    }
}

/// The same proofs for the futures-io adapters, over real loopback TCP with smol. The peer and
/// the code under test run side by side in one task (`future::zip`), as the tokio tests' peer
/// and reader share a pipe of 32 bytes: each poll of the reader sees the few bytes the peer
/// wrote since the last one, so a frame takes many polls and a cancellation after 1 to 6 polls
/// can fall anywhere in it.
#[cfg(feature = "futures-io")]
mod futures_io_over_smol_tcp {
    use super::{assert_whole_in_order, encoded, frames, poll_at_most, Rng};

    use std::time::{Duration, Instant};

    use bytes::Bytes;
    use futures_util::StreamExt;
    use lenframe::futures::{FrameReader, FrameWriter};
    use lenframe::{Codec, Error};
    use smol::io::AsyncWriteExt;
    use smol::net::{TcpListener, TcpStream};
    use smol::{future, Timer};

    /// A connected loopback pair: (client, server).
    async fn tcp_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        client.set_nodelay(true).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    }

    /// Shrinks the socket buffers between `client` and `server` to 64 and 128 KiB (loopback's
    /// own grow to megabytes), so that the writer meets a full socket at every large frame.
    /// (Smaller than a segment, 32 KiB on loopback, and TCP stalls on retransmission timers.)
    fn small_socket_buffers(client: &TcpStream, server: &TcpStream) {
        socket2::SockRef::from(client)
            .set_send_buffer_size(64 * 1024)
            .unwrap();
        socket2::SockRef::from(server)
            .set_recv_buffer_size(128 * 1024)
            .unwrap();
    }

    /// Writes `wire` 1 to 3 bytes at a time, yielding (or now and then sleeping 1 ms) between
    /// writes, then closes.
    async fn trickle(mut peer: TcpStream, wire: Vec<u8>, seed: u64, sleeps: bool) {
        let mut rng = Rng::new(seed);
        let mut pos = 0;
        while pos < wire.len() {
            let n = (rng.range(1, 3) as usize).min(wire.len() - pos);
            peer.write_all(&wire[pos..pos + n]).await.unwrap();
            pos += n;
            if sleeps && rng.range(0, 60) == 0 {
                Timer::after(Duration::from_millis(1)).await;
            } else {
                future::yield_now().await;
            }
        }
        peer.close().await.unwrap();
    }

    #[test]
    fn read_frame_dropped_after_any_number_of_polls_loses_nothing() {
        smol::block_on(async {
            for seed in 1..=2 {
                let codec = match seed % 2 {
                    0 => Codec::default(),
                    _ => Codec::from_struct_format("!H").unwrap(),
                };
                let mut rng = Rng::new(seed);
                let sent = frames(300, 3000, &mut rng);
                let (peer, stream) = tcp_pair().await;
                let mut reader = FrameReader::with_codec(stream, codec);
                let (mut received, mut cancels) = (Vec::new(), 0);
                let reading = async {
                    loop {
                        let polls = rng.range(1, 6) as u32;
                        match poll_at_most(reader.read_frame(), polls).await {
                            Some(Ok(Some(frame))) => received.push(frame),
                            Some(Ok(None)) => break,
                            Some(Err(err)) => panic!("seed {seed}: {err}"),
                            None => cancels += 1,
                        }
                    }
                };
                future::zip(trickle(peer, encoded(codec, &sent), seed, false), reading).await;
                assert!(received == sent, "seed {seed}: frames differ");
                println!("seed {seed}: {cancels} cancellations");
                assert!(cancels > 1000, "seed {seed}: only {cancels} cancellations");
            }
        });
    }

    #[test]
    fn stream_next_dropped_after_any_number_of_polls_loses_nothing() {
        smol::block_on(async {
            let mut rng = Rng::new(99);
            let sent = frames(300, 3000, &mut rng);
            let (peer, stream) = tcp_pair().await;
            let mut reader = FrameReader::new(stream);
            let (mut received, mut cancels) = (Vec::new(), 0);
            let reading = async {
                loop {
                    match poll_at_most(reader.next(), rng.range(1, 6) as u32).await {
                        Some(Some(frame)) => received.push(frame.unwrap()),
                        Some(None) => break,
                        None => cancels += 1,
                    }
                }
            };
            let wire = encoded(Codec::default(), &sent);
            future::zip(trickle(peer, wire, 99, false), reading).await;
            assert!(received == sent);
            println!("{cancels} cancellations");
            assert!(cancels > 1000, "only {cancels} cancellations");
        });
    }

    #[test]
    fn copy_frame_to_dropped_after_any_number_of_polls_resumes() {
        smol::block_on(async {
            let mut rng = Rng::new(7);
            let sent = frames(200, 5000, &mut rng);
            let (peer, stream) = tcp_pair().await;
            let mut reader = FrameReader::new(stream);
            let (mut received, mut cancels, mut resumed) = (Vec::new(), 0, 0);
            let mut current = Vec::new();
            let reading = async {
                loop {
                    let polls = rng.range(1, 6) as u32;
                    match poll_at_most(reader.copy_frame_to(&mut current), polls).await {
                        Some(Ok(Some(len))) => {
                            assert_eq!(len as usize, current.len());
                            received.push(Bytes::from(std::mem::take(&mut current)));
                        }
                        Some(Ok(None)) => break,
                        Some(Err(err)) => panic!("{err}"),
                        // Cancelled: the same destination gets the rest of the frame next time.
                        None => {
                            cancels += 1;
                            resumed += usize::from(reader.copy_remaining().is_some());
                        }
                    }
                }
            };
            let wire = encoded(Codec::default(), &sent);
            future::zip(trickle(peer, wire, 7, false), reading).await;
            assert!(received == sent);
            println!("{cancels} cancellations, {resumed} inside a payload");
            assert!(cancels > 1000, "only {cancels} cancellations");
            assert!(
                resumed > 100,
                "only {resumed} cancellations inside a payload"
            );
        });
    }

    /// Reads every frame, a few KiB a poll, yielding between reads: a slow peer, so that the
    /// writer beside it meets a full socket.
    async fn read_slowly(stream: TcpStream) -> Vec<Bytes> {
        let mut reader = FrameReader::new(stream).with_max_read_size(4096);
        let mut received = Vec::new();
        loop {
            match poll_at_most(reader.read_frame(), 1).await {
                Some(Ok(Some(frame))) => received.push(frame),
                Some(Ok(None)) => return received,
                Some(Err(err)) => panic!("{err}"),
                None => future::yield_now().await,
            }
        }
    }

    /// `copy_frame_from` over TCP, its future dropped after a few polls while the socket is
    /// full: calling it again with the same length and source finishes the frame, and the peer
    /// sees every frame whole.
    #[test]
    fn copy_frame_from_dropped_after_any_number_of_polls_resumes() {
        smol::block_on(async {
            let (client, server) = tcp_pair().await;
            small_socket_buffers(&client, &server);
            let mut rng = Rng::new(11);
            let sent = frames(1000, 400_000, &mut rng);
            let mut writer = FrameWriter::new(client);
            let (mut cancels, mut resumed) = (0, 0);
            let writing = async {
                for frame in &sent {
                    let mut src = &frame[..];
                    loop {
                        let polls = rng.range(1, 4) as u32;
                        let copy = writer.copy_frame_from(frame.len() as u64, &mut src);
                        match poll_at_most(copy, polls).await {
                            Some(result) => break result.unwrap(),
                            None => {
                                cancels += 1;
                                resumed += usize::from(writer.copy_remaining().is_some());
                            }
                        }
                    }
                    assert!(src.is_empty());
                }
                writer.shutdown().await.unwrap();
            };
            let (_, received) = future::zip(writing, read_slowly(server)).await;
            assert!(received == sent, "frames differ");
            println!("{cancels} cancellations, {resumed} inside a payload");
            assert!(cancels > 30, "only {cancels} cancellations");
            assert!(
                resumed > 30,
                "only {resumed} cancellations inside a payload"
            );
        });
    }

    /// The way applications cancel: `future::or` with a short `Timer` over a trickling peer.
    #[test]
    fn reads_cancelled_by_a_timer_lose_nothing() {
        smol::block_on(async {
            let mut rng = Rng::new(2024);
            let sent = frames(400, 4000, &mut rng);
            let (peer, stream) = tcp_pair().await;
            let mut reader = FrameReader::new(stream);
            let (mut received, mut cancels) = (Vec::new(), 0);
            let overall = Instant::now();
            let reading = async {
                loop {
                    assert!(overall.elapsed() < Duration::from_secs(60), "stuck");
                    let wait = Duration::from_micros(rng.range(100, 2000));
                    let read = async { Some(reader.read_frame().await) };
                    let timeout = async {
                        Timer::after(wait).await;
                        None
                    };
                    match future::or(read, timeout).await {
                        Some(Ok(Some(frame))) => received.push(frame),
                        Some(Ok(None)) => break,
                        Some(Err(err)) => panic!("{err}"),
                        None => cancels += 1,
                    }
                }
            };
            let wire = encoded(Codec::default(), &sent);
            future::zip(trickle(peer, wire, 2024, true), reading).await;
            assert!(received == sent, "frames differ");
            println!("{cancels} cancellations");
            assert!(cancels > 50, "only {cancels} cancellations");
        });
    }

    /// Large frames too: those are written from the caller's memory, the case a cancellation
    /// can cut in the middle. Each frame arrives whole or not at all, in order, once.
    #[test]
    fn writes_dropped_at_random_points_keep_the_stream_framed() {
        smol::block_on(async {
            let (client, server) = tcp_pair().await;
            small_socket_buffers(&client, &server);
            let mut rng = Rng::new(5);
            let sent = frames(1000, 400_000, &mut rng);
            let mut writer = FrameWriter::new(client);
            let (mut completed, mut cancels) = (Vec::new(), 0);
            let writing = async {
                for (i, frame) in sent.iter().enumerate() {
                    match poll_at_most(writer.write_frame(frame), rng.range(1, 4) as u32).await {
                        Some(result) => {
                            result.unwrap();
                            completed.push(i);
                        }
                        None => cancels += 1,
                    }
                }
                writer.shutdown().await.unwrap();
            };
            let (_, received) = future::zip(writing, read_slowly(server)).await;
            assert_whole_in_order(&sent, &received, &completed);
            println!("{cancels} cancellations");
            assert!(cancels > 30, "only {cancels} cancellations");
        });
    }

    /// The deadline recipe of the `futures` module docs: a frame must complete within `limit`
    /// to `2 * limit` of its header, while idle time between frames is not limited. Generic over
    /// the timer, so the test below runs it on tokio's paused clock.
    async fn read_frame_within<R: futures_io::AsyncRead + Unpin>(
        reader: &mut FrameReader<R>,
        limit: Duration,
    ) -> Result<Option<Bytes>, Error> {
        let mut stalled = false;
        loop {
            let read = async { Some(reader.read_frame().await) };
            let tick = async {
                tokio::time::sleep(limit).await;
                None
            };
            let outcome = future::or(read, tick).await;
            match outcome {
                Some(frame) => return frame,
                None if stalled && reader.is_mid_frame() => {
                    let err = std::io::Error::new(std::io::ErrorKind::TimedOut, "frame too slow");
                    return Err(err.into());
                }
                None => stalled = reader.is_mid_frame(),
            }
        }
    }

    /// An idle peer is waited for; a peer that stalls after a header is cut off. On tokio's
    /// paused clock over an in-memory pipe (futures-io through tokio-util's compat), so the
    /// timings are exact whatever the machine's load: the idle wait is 5 limits, the trickled
    /// frame takes 12 ms of a 40 ms limit, and the cut-off comes between 1 and 2 limits after
    /// the stalled header.
    #[tokio::test(start_paused = true)]
    async fn a_per_frame_deadline_from_is_mid_frame_spares_idle_peers() {
        use tokio::io::AsyncWriteExt as _;
        use tokio_util::compat::TokioAsyncReadCompatExt;

        let (ours, mut peer) = tokio::io::duplex(64);
        let limit = Duration::from_millis(40);
        let mut reader = FrameReader::new(ours.compat());
        let writing = tokio::spawn(async move {
            // Idle for 5 limits, then a whole frame a byte at a time, well within the limit.
            tokio::time::sleep(limit * 5).await;
            for byte in b"\x02\0\0\0hi" {
                peer.write_all(&[*byte]).await.unwrap();
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            // A header and one payload byte, then nothing.
            peer.write_all(b"\x05\0\0\0h").await.unwrap();
            peer
        });
        let idle = tokio::time::Instant::now();
        let frame = read_frame_within(&mut reader, limit).await.unwrap();
        assert_eq!(frame.unwrap(), &b"hi"[..]);
        assert!(idle.elapsed() >= limit * 5, "the idle peer was waited for");
        let started = tokio::time::Instant::now();
        let err = read_frame_within(&mut reader, limit).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        let waited = started.elapsed();
        assert!(waited >= limit, "cut off before the limit: {waited:?}");
        assert!(waited <= limit * 2, "cut off after two limits: {waited:?}");
        assert_eq!(reader.buffer(), b"\x05\0\0\0h", "the partial frame is kept");
        drop(writing.await);
    }
}
