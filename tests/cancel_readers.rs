//! The reader rows of the `# Cancel safety` tables (src/tokio.rs, src/futures.rs) over an I/O
//! double whose reads return `Pending` or a short piece at random (seeded: a failure prints its
//! seed, `LENFRAME_CANCEL_SEED=n` replays it), for the tokio and the futures-io readers:
//!
//! - `read_frame` and `StreamExt::next`, dropped after a random number of polls: no frame
//!   returned and no byte lost; every frame comes out once, whole, in order.
//! - `copy_frame_to`, dropped likewise and called again with the same destination: the frame
//!   continues where it stopped, and the destination ends with exactly the payload.
//!
//! (The same rows over trickling pipes and loopback TCP: tests/async_cancel.rs.)
#![cfg(all(feature = "tokio", feature = "futures-io"))]

#[path = "support/seeded.rs"]
mod seeded;
use seeded::{poll_at_most, Rng};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use lenframe::Codec;
use tokio::io::{AsyncRead, ReadBuf};

/// Serves `wire` in random short pieces, with `Pending` (waking at once) between them, then
/// the end of stream.
struct Flaky {
    rng: Rng,
    wire: Vec<u8>,
    at: usize,
}

impl AsyncRead for Flaky {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.rng.range(0, 2) == 0 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let want = self.rng.range(1, 3000) as usize;
        let n = want.min(buf.remaining()).min(self.wire.len() - self.at);
        let at = self.at;
        buf.put_slice(&self.wire[at..at + n]);
        self.at += n;
        Poll::Ready(Ok(()))
    }
}

/// `n` frames of 0 to 20 KiB, each starting with its index when it has room.
fn frames(n: usize, rng: &mut Rng) -> (Vec<Bytes>, Vec<u8>) {
    let codec = Codec::default();
    let mut wire = BytesMut::new();
    let frames: Vec<Bytes> = (0..n)
        .map(|i| {
            let len = match rng.range(0, 5) {
                0 => rng.range(0, 3) as usize,
                1 => rng.range(1000, 20_000) as usize,
                _ => rng.range(4, 300) as usize,
            };
            let mut frame = (i as u32).to_le_bytes().repeat(len.div_ceil(4));
            frame.truncate(len);
            let frame = Bytes::from(frame);
            codec.encoder().encode(&frame, &mut wire).unwrap();
            frame
        })
        .collect();
    (frames, wire.to_vec())
}

fn seeds() -> Vec<u64> {
    match std::env::var("LENFRAME_CANCEL_SEED") {
        Ok(seed) => vec![seed.parse().expect("LENFRAME_CANCEL_SEED is a number")],
        Err(_) => (1..=16).collect(),
    }
}

/// The three reader rows for one reader type (the methods share names and promises).
macro_rules! reader_rows {
    ($name:ident, $wrap:expr) => {
        #[tokio::test]
        async fn $name() {
            use futures_util::StreamExt;
            let mut cancels = [0u32; 3];
            for seed in seeds() {
                let mut rng = Rng::new(seed);
                let (sent, wire) = frames(200, &mut rng);
                for (row, cancelled) in cancels.iter_mut().enumerate() {
                    let io = Flaky {
                        rng: Rng::new(seed ^ row as u64),
                        wire: wire.clone(),
                        at: 0,
                    };
                    let mut reader = $wrap(io);
                    let mut received = Vec::new();
                    let mut current = Vec::new();
                    loop {
                        let polls = rng.range(1, 5) as u32;
                        let frame = match row {
                            0 => poll_at_most(reader.read_frame(), polls).await,
                            1 => poll_at_most(reader.next(), polls)
                                .await
                                .map(|next| next.transpose()),
                            _ => {
                                match poll_at_most(reader.copy_frame_to(&mut current), polls).await
                                {
                                    Some(Ok(Some(len))) => {
                                        assert_eq!(len as usize, current.len(), "seed {seed}");
                                        Some(Ok(Some(Bytes::from(std::mem::take(&mut current)))))
                                    }
                                    other => other.map(|r| r.map(|_| None)),
                                }
                            }
                        };
                        match frame {
                            Some(Ok(Some(frame))) => received.push(frame),
                            Some(Ok(None)) => break,
                            Some(Err(err)) => panic!(
                                "{}, row {row}, seed {seed}: {err}; replay with \
                                 LENFRAME_CANCEL_SEED={seed}",
                                stringify!($name)
                            ),
                            None => *cancelled += 1,
                        }
                    }
                    assert!(
                        received == sent,
                        "{}, row {row}, seed {seed}: frames differ; replay with \
                         LENFRAME_CANCEL_SEED={seed}",
                        stringify!($name)
                    );
                }
            }
            println!(
                "{}: cancelled read_frame {}, next {}, copy_frame_to {} times",
                stringify!($name),
                cancels[0],
                cancels[1],
                cancels[2]
            );
            assert!(
                cancels.iter().all(|&n| n > 200),
                "too few cancellations: {cancels:?}"
            );
        }
    };
}

reader_rows!(tokio_reader_rows_hold_over_a_flaky_io_double, |io| {
    lenframe::tokio::FrameReader::new(io)
});
reader_rows!(futures_reader_rows_hold_over_a_flaky_io_double, |io| {
    use tokio_util::compat::TokioAsyncReadCompatExt;
    lenframe::futures::FrameReader::new(TokioAsyncReadCompatExt::compat(io))
});
