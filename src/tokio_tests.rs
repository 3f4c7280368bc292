//! Unit tests of the tokio reader and writer over in-memory I/O: the scripted reader and writer
//! of [`test_io`](crate::test_io), polled with a no-op waker, for what the tokio shell asks of
//! its I/O (short reads and writes, `Interrupted`, `Pending`, errors, the end, gathering or not)
//! and what it returns (the tests the futures-io shell runs too: `test_io::async_shell_tests!`);
//! and tokio's in-memory `duplex` pipe under tokio's paused clock for the frame deadline
//! (virtual time: no test waits). The shared loops' own rules are pinned in
//! `engine/pump_tests.rs`.

use std::io::ErrorKind;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::time::{sleep, timeout};

use super::{FrameReader, FrameWriter};
use crate::engine::ready::{noop_waker, poll_once};
use crate::test_io::{
    byte_len, data, drive, io_kind, long, long_frame, now, reads, writes, Call, Step,
};
use crate::Error;

crate::test_io::async_shell_tests!();

// ---------------------------------------------------------------------------------------------
// The frame deadline, in virtual time

const DEADLINE: Duration = Duration::from_millis(100);

/// A reader with the deadline over one end of a pipe, and the other end.
fn piped() -> (
    FrameReader<tokio::io::DuplexStream>,
    tokio::io::DuplexStream,
) {
    let (peer, stream) = tokio::io::duplex(1024);
    (
        FrameReader::with_codec(stream, byte_len()).with_frame_deadline(DEADLINE),
        peer,
    )
}

/// `read_frame`, failing the test rather than waiting for ever.
async fn read(reader: &mut FrameReader<tokio::io::DuplexStream>) -> Result<Option<Bytes>, Error> {
    timeout(Duration::from_secs(3600), reader.read_frame())
        .await
        .expect("read_frame did not return")
}

#[test]
fn the_deadline_reads_back() {
    let (peer, stream) = tokio::io::duplex(16);
    drop(peer);
    let mut reader = FrameReader::new(stream);
    assert_eq!(reader.frame_deadline(), None);
    reader.set_frame_deadline(Some(DEADLINE));
    assert_eq!(reader.frame_deadline(), Some(DEADLINE));
    let reader = reader.with_frame_deadline(Duration::from_secs(7));
    assert_eq!(reader.frame_deadline(), Some(Duration::from_secs(7)));
}

#[tokio::test(start_paused = true)]
async fn a_frame_slower_than_the_deadline_is_an_error_counted_from_its_header() {
    let (mut reader, mut peer) = piped();
    let start = tokio::time::Instant::now();
    let trickle = tokio::spawn(async move {
        // A header, then a byte every 40 ms.
        peer.write_all(b"\x05").await.unwrap();
        for _ in 0..5 {
            sleep(Duration::from_millis(40)).await;
            peer.write_all(b"x").await.unwrap();
        }
        peer
    });
    match read(&mut reader).await {
        Err(Error::FrameDeadline {
            frame: 0,
            got,
            expected: 6,
            waited,
        }) => {
            assert!((2..6).contains(&got), "got {got}");
            assert!(waited >= DEADLINE && waited < DEADLINE + Duration::from_millis(40));
        }
        other => panic!("{other:?}"),
    }
    let elapsed = start.elapsed();
    assert!(
        elapsed >= DEADLINE && elapsed < DEADLINE + Duration::from_millis(40),
        "{elapsed:?}"
    );
    assert!(reader.is_mid_frame());
    // Without the deadline the frame finishes.
    reader.set_frame_deadline(None);
    assert_eq!(read(&mut reader).await.unwrap().unwrap(), &b"xxxxx"[..]);
    drop(trickle.await.unwrap());
    assert_eq!(read(&mut reader).await.unwrap(), None);
}

#[tokio::test(start_paused = true)]
async fn idle_time_between_frames_does_not_count() {
    let (mut reader, mut peer) = piped();
    let feeder = tokio::spawn(async move {
        for _ in 0..3 {
            sleep(DEADLINE * 2).await;
            peer.write_all(b"\x01z").await.unwrap();
        }
    });
    for _ in 0..3 {
        assert_eq!(read(&mut reader).await.unwrap().unwrap(), &b"z"[..]);
    }
    feeder.await.unwrap();
    assert_eq!(read(&mut reader).await.unwrap(), None);
}

#[tokio::test(start_paused = true)]
async fn each_frame_has_its_own_deadline() {
    let (mut reader, mut peer) = piped();
    let feeder = tokio::spawn(async move {
        // Frame 0 in two parts 60 ms apart (the reader waits with its timer set), then a pause
        // longer than the deadline, then frame 1 the same way.
        for _ in 0..2 {
            peer.write_all(b"\x02a").await.unwrap();
            sleep(DEADLINE * 6 / 10).await;
            peer.write_all(b"b").await.unwrap();
            sleep(DEADLINE * 2).await;
        }
    });
    assert_eq!(read(&mut reader).await.unwrap().unwrap(), &b"ab"[..]);
    assert_eq!(read(&mut reader).await.unwrap().unwrap(), &b"ab"[..]);
    feeder.await.unwrap();
    assert_eq!(read(&mut reader).await.unwrap(), None);
}
