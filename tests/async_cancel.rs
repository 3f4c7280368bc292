//! Cancel safety, proven: reads (and writes) dropped at random points while a peer trickles
//! frames a byte or two at a time. Every frame must arrive exactly once, whole and in order.
//!
//! Two ways to cancel: [`poll_at_most`] drops the future after a random number of polls, which
//! reaches every `.await` inside it deterministically; `tokio::select!` against a short sleep and
//! `tokio::time::timeout` do it the way applications do, over loopback TCP.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use lenframe::tokio::{FrameReader, FrameWriter};
use lenframe::Codec;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A small deterministic generator (xorshift64*), so a failure can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

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

/// Polls `fut` at most `polls` times; `None` if it had not finished by then, and it is dropped.
async fn poll_at_most<F: Future>(fut: F, polls: u32) -> Option<F::Output> {
    let mut fut = pin!(fut);
    let mut left = polls;
    poll_fn(move |cx| {
        if left == 0 {
            return Poll::Ready(None);
        }
        left -= 1;
        fut.as_mut().poll(cx).map(Some)
    })
    .await
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
    // Each frame arrives whole or not at all, in order, once; every completed write arrives.
    let mut next = 0;
    for frame in &received {
        let index = sent[next..]
            .iter()
            .position(|s| s == frame)
            .map(|p| p + next)
            .expect("a frame that was not sent, or out of order");
        next = index + 1;
    }
    for i in completed {
        assert!(received.contains(&sent[i]), "completed frame {i} missing");
    }
    assert!(cancels > 10, "only {cancels} cancellations");
}
