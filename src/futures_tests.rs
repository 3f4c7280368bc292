//! Unit tests of the futures-io reader and writer over scripted in-memory I/O
//! ([`test_io`](crate::test_io)), each call polled once with a no-op waker: what the futures-io
//! shell asks of its reader, writer, destination and source (short reads and writes,
//! `Interrupted`, `Pending`, errors, the end) and what it returns. The shared loops' own rules
//! are pinned in `engine/pump_tests.rs`.

use std::future::Future;
use std::io::ErrorKind;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;

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
    // The end inside a long frame.
    let mut reader = FrameReader::with_codec(reads([data(&wire[..200_000]), Step::End]), long());
    assert!(matches!(now(reader.read_frame()), Err(Error::Frame(_))));
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
    assert!(poll_once(reader.copy_frame_to(&mut out)).is_none());
    assert_eq!(
        now(reader.copy_frame_to(&mut out)).unwrap(),
        Some(payload.len() as u64)
    );
    assert!(out.written == payload);

    let mut reader = FrameReader::with_codec(reads([data(b"\x02ab")]), byte_len());
    let err = now(reader.copy_frame_to(&mut writes([Step::Accept(0)]))).unwrap_err();
    assert_eq!(io_kind(&err), ErrorKind::WriteZero);
}

#[test]
fn the_writer_writes_gathers_flushes_and_closes() {
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
        if vectored {
            assert!(matches!(
                writer.get_ref().calls[0],
                Call::Vectored(_, 10_000)
            ));
        }
    }
    let mut inner = writes([Step::Accept(0)]);
    inner.vectored = true;
    let mut writer = FrameWriter::with_codec(inner, long());
    assert_eq!(
        io_kind(&now(writer.write_frame(&payload)).unwrap_err()),
        ErrorKind::WriteZero
    );
    let mut writer = FrameWriter::with_codec(writes([Step::Accept(0)]), long());
    assert_eq!(
        io_kind(&now(writer.write_frame(&payload)).unwrap_err()),
        ErrorKind::WriteZero
    );
}

#[test]
fn flush_and_close_errors_are_returned() {
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
    assert!(poll_once(writer.copy_frame_from(5, &mut src)).is_none());
    now(writer.copy_frame_from(5, &mut src)).unwrap();
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
