//! Unit tests of the tokio reader and writer over in-memory I/O: the scripted reader and writer
//! of [`test_io`](crate::test_io), polled once with a no-op waker, for what the tokio shell asks
//! of its I/O (short reads and writes, `Interrupted`, `Pending`, errors, the end, gathering or
//! not) and what it returns; and tokio's in-memory `duplex` pipe under tokio's paused clock for
//! the frame deadline (virtual time: no test waits). The shared loops' own rules are pinned in
//! `engine/pump_tests.rs`.

use std::future::Future;
use std::io::ErrorKind;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::AsyncWriteExt;
use tokio::time::{sleep, timeout};

use super::{FrameReader, FrameWriter};
use crate::engine::ready::{noop_waker, poll_once};
use crate::test_io::{data, reads, writes, Call, Step};
use crate::{Codec, Error};

fn byte_len() -> Codec {
    Codec::from_struct_format("B").unwrap()
}

fn long() -> Codec {
    Codec::builder()
        .struct_format("<I")
        .max_frame_len(1 << 24)
        .build()
        .unwrap()
}

fn long_frame() -> (Vec<u8>, Vec<u8>) {
    let payload: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut wire = (payload.len() as u32).to_le_bytes().to_vec();
    wire.extend_from_slice(&payload);
    (wire, payload)
}

/// Polls `fut` once: the scripted I/O is ready unless its script says `Pending`.
fn now<F: Future>(fut: F) -> F::Output {
    poll_once(fut).expect("ready")
}

/// Polls `fut` until it completes (at most 10 times): its output and how many polls were
/// `Pending`.
fn drive<F: Future>(fut: F) -> (F::Output, usize) {
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(noop_waker());
    for pending in 0..10 {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return (out, pending);
        }
    }
    panic!("still pending after 10 polls");
}

fn io_kind(err: &Error) -> ErrorKind {
    match err {
        Error::Io(err) => err.kind(),
        other => panic!("not an I/O error: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The reader's I/O

#[test]
fn read_frame_returns_each_frame_then_none_at_the_end() {
    let mut reader = FrameReader::with_codec(
        reads([data(b"\x02ab\x01"), data(b"c"), Step::End]),
        byte_len(),
    );
    assert_eq!(now(reader.read_frame()).unwrap().unwrap(), &b"ab"[..]);
    assert_eq!(now(reader.read_frame()).unwrap().unwrap(), &b"c"[..]);
    assert_eq!(now(reader.read_frame()).unwrap(), None);
    assert_eq!(reader.get_ref().rooms().len(), 3);
}

#[test]
fn pending_and_interrupted_reads() {
    let mut reader = FrameReader::with_codec(
        reads([
            data(b"\x03a"),
            Step::Pending,
            Step::Fail(ErrorKind::Interrupted),
            data(b"bc"),
            Step::Fail(ErrorKind::ConnectionReset),
        ]),
        byte_len(),
    );
    assert!(poll_once(reader.read_frame()).is_none());
    assert!(reader.is_mid_frame());
    assert_eq!(now(reader.read_frame()).unwrap().unwrap(), &b"abc"[..]);
    assert!(!reader.is_mid_frame());
    let err = now(reader.read_frame()).unwrap_err();
    assert_eq!(io_kind(&err), ErrorKind::ConnectionReset);
}

#[test]
fn a_long_frame_from_short_reads_pending_and_interrupted() {
    let (wire, payload) = long_frame();
    let mut script = Vec::new();
    for chunk in wire.chunks(100_000) {
        script.push(data(chunk));
        script.push(Step::Fail(ErrorKind::Interrupted));
    }
    script.insert(3, Step::Pending);
    script.push(Step::End);
    let mut reader = FrameReader::with_codec(reads(script), long());
    assert!(poll_once(reader.read_frame()).is_none());
    assert!(reader.is_mid_frame());
    assert!(now(reader.read_frame()).unwrap().unwrap() == payload);
    assert_eq!(now(reader.read_frame()).unwrap(), None);
    // A long frame's read that fails is an error; the frame goes on after it.
    let mut reader = FrameReader::with_codec(
        reads([
            data(&wire[..100_000]),
            Step::Fail(ErrorKind::ConnectionReset),
            data(&wire[100_000..]),
        ]),
        long(),
    );
    assert_eq!(
        io_kind(&now(reader.read_frame()).unwrap_err()),
        ErrorKind::ConnectionReset
    );
    assert!(now(reader.read_frame()).unwrap().unwrap() == payload);
}

#[test]
fn the_stream_yields_the_frames_then_ends() {
    let mut reader = FrameReader::with_codec(reads([data(b"\x01a\x01b"), Step::End]), byte_len());
    let mut cx = Context::from_waker(noop_waker());
    let mut next = || match Pin::new(&mut reader).poll_next(&mut cx) {
        Poll::Ready(item) => item.map(Result::unwrap),
        Poll::Pending => panic!("pending"),
    };
    assert_eq!(next(), Some(Bytes::from_static(b"a")));
    assert_eq!(next(), Some(Bytes::from_static(b"b")));
    assert_eq!(next(), None);
}

#[cfg(any(feature = "json", feature = "msgpack"))]
#[test]
fn frames_read_counts_the_frames() {
    let mut reader = FrameReader::with_codec(reads([data(b"\x01a\x01b\x01c")]), byte_len());
    assert_eq!(reader.frames_read(), 0);
    now(reader.read_frame()).unwrap();
    now(reader.read_frame()).unwrap();
    assert_eq!(reader.frames_read(), 2);
}

#[test]
fn into_parts_and_from_parts() {
    let mut reader = FrameReader::with_codec(reads([data(b"\x01a\x02b")]), byte_len());
    now(reader.read_frame()).unwrap();
    let (inner, buffered) = reader.into_parts();
    assert!(inner.reads.is_empty());
    assert_eq!(buffered, &b"\x02b"[..]);
    let mut reader = FrameReader::from_parts(reads([data(b"c")]), byte_len(), buffered);
    assert_eq!(now(reader.read_frame()).unwrap().unwrap(), &b"bc"[..]);
}

#[test]
fn copy_frame_to_writes_the_payload_to_the_destination() {
    let (wire, payload) = long_frame();
    let mut reader = FrameReader::with_codec(reads([Step::Data(wire), Step::End]), long());
    let mut out = writes([Step::Accept(1000), Step::Pending]);
    let (copied, pending) = drive(reader.copy_frame_to(&mut out));
    assert_eq!(copied.unwrap(), Some(payload.len() as u64));
    assert_eq!(pending, 1);
    assert!(out.written == payload);

    let mut reader = FrameReader::with_codec(reads([data(b"\x02ab")]), byte_len());
    let err = now(reader.copy_frame_to(&mut writes([Step::Accept(0)]))).unwrap_err();
    assert_eq!(io_kind(&err), ErrorKind::WriteZero);
}

// ---------------------------------------------------------------------------------------------
// The writer's I/O

#[test]
fn the_writer_writes_gathers_flushes_and_shuts_down() {
    let payload = vec![7u8; 100_000];
    for vectored in [false, true] {
        let mut inner = writes([Step::Accept(10_000), Step::Pending]);
        inner.vectored = vectored;
        let mut writer = FrameWriter::with_codec(inner, long());
        now(writer.write_frame(b"ab")).unwrap();
        let (written, pending) = drive(writer.write_frame(&payload));
        written.unwrap();
        assert_eq!(pending, 1);
        now(writer.flush()).unwrap();
        let mut expected = b"\x02\0\0\0ab".to_vec();
        expected.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        expected.extend_from_slice(&payload);
        assert!(writer.get_ref().written == expected, "vectored: {vectored}");
        assert_eq!(writer.get_ref().count(&Call::Flush), 1);
        now(writer.shutdown()).unwrap();
        assert_eq!(writer.get_ref().count(&Call::Close), 1);
        let first = writer.get_ref().calls[0].clone();
        if vectored {
            assert!(matches!(first, Call::Vectored(_, 10_000)), "{first:?}");
        } else {
            // The first slice alone: the buffered frame and the large frame's header.
            assert_eq!(first, Call::Write(10, 10));
        }
    }
    for vectored in [false, true] {
        let mut inner = writes([Step::Accept(0)]);
        inner.vectored = vectored;
        let mut writer = FrameWriter::with_codec(inner, long());
        let err = now(writer.write_frame(&payload)).unwrap_err();
        assert_eq!(io_kind(&err), ErrorKind::WriteZero);
    }
    let mut writer = FrameWriter::with_codec(writes([Step::Accept(0)]), byte_len());
    now(writer.write_frame(b"a")).unwrap();
    assert_eq!(
        io_kind(&now(writer.flush()).unwrap_err()),
        ErrorKind::WriteZero
    );
}

#[test]
fn flush_and_shutdown_errors_are_returned() {
    let mut writer = FrameWriter::with_codec(writes([]), byte_len());
    writer
        .get_mut()
        .flushes
        .push_back(Step::Fail(ErrorKind::BrokenPipe));
    assert_eq!(
        io_kind(&now(writer.send_frame(b"a")).unwrap_err()),
        ErrorKind::BrokenPipe
    );
    writer
        .get_mut()
        .flushes
        .push_back(Step::Fail(ErrorKind::NotConnected));
    assert_eq!(
        io_kind(&now(writer.shutdown()).unwrap_err()),
        ErrorKind::NotConnected
    );
    let mut cx = Context::from_waker(noop_waker());
    writer.get_mut().flushes.push_back(Step::Pending);
    assert!(Pin::new(&mut writer).poll_flush(&mut cx).is_pending());
    assert!(matches!(
        Pin::new(&mut writer).poll_close(&mut cx),
        Poll::Ready(Ok(()))
    ));
}

#[test]
fn copy_frame_from_streams_a_source() {
    let mut writer = FrameWriter::with_codec(writes([]), byte_len());
    let mut src = reads([data(b"he"), Step::Pending, data(b"llo!")]);
    let (copied, pending) = drive(writer.copy_frame_from(5, &mut src));
    copied.unwrap();
    assert_eq!(pending, 1);
    now(writer.flush()).unwrap();
    assert_eq!(writer.get_ref().written, b"\x05hello");
    let mut src = reads([data(b"ab"), Step::End]);
    let err = now(writer.copy_frame_from(3, &mut src)).unwrap_err();
    assert!(
        matches!(err, Error::SourceEnded { len: 3, left: 1 }),
        "{err:?}"
    );
    let mut src = reads([Step::Fail(ErrorKind::ConnectionReset)]);
    let err = now(writer.copy_frame_from(3, &mut src)).unwrap_err();
    assert_eq!(io_kind(&err), ErrorKind::ConnectionReset);
}

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
