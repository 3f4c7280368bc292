//! Scripted in-memory I/O for the adapters' unit tests (`blocking`, `tokio`, `futures`): one
//! value that is a reader, a writer and a `copy_frame_from` source for `std::io`, tokio and
//! futures-io alike. Each read returns the next scripted step (bytes, at most the room, the rest
//! staying first; `Pending`; an error; the end); each write or flush takes the next step of its
//! own script, and accepts everything once that script is empty. Every call is logged, so a
//! test pins what an adapter asked of its I/O as well as what it returned. A read past the end
//! of its script panics: an adapter that reads more than the test expects fails, never hangs.

// Test-only (the `mod` is `#[cfg(test)]`, which cargo-mutants skips), and needs `std`.
#![cfg(feature = "std")]

use std::collections::VecDeque;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
use std::future::Future;
use std::io::{self, ErrorKind, IoSlice};
use std::task::Poll;

use crate::{Codec, Error};

/// One scripted step of a read, a write or a flush.
#[derive(Debug)]
pub(crate) enum Step {
    /// A read: these bytes (at most the room). A write: accept at most this many bytes.
    Data(Vec<u8>),
    /// A write: accept at most this many bytes.
    Accept(usize),
    /// Nothing ready (an async adapter returns `Pending`; `std::io` gets `WouldBlock`).
    Pending,
    /// Fails with this kind.
    Fail(ErrorKind),
    /// A read of 0 bytes.
    End,
    /// Panics in the call.
    Panic,
}

pub(crate) fn data(bytes: &[u8]) -> Step {
    Step::Data(bytes.to_vec())
}

/// One logged call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    /// A read with this much room.
    Read(usize),
    /// A write of one slice: the bytes offered and how many were taken.
    Write(usize, usize),
    /// A gathering write: the slices' total and how many were taken.
    Vectored(usize, usize),
    Flush,
    /// A close (futures-io) or shutdown (tokio).
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    Close,
}

/// The scripted reader, writer and source.
#[derive(Debug, Default)]
pub(crate) struct Scripted {
    pub(crate) reads: VecDeque<Step>,
    pub(crate) writes: VecDeque<Step>,
    pub(crate) flushes: VecDeque<Step>,
    /// Writes gather slices (`write_vectored` takes from all of them).
    pub(crate) vectored: bool,
    /// Every byte written, in order.
    pub(crate) written: Vec<u8>,
    pub(crate) calls: Vec<Call>,
}

pub(crate) fn reads(script: impl IntoIterator<Item = Step>) -> Scripted {
    Scripted {
        reads: script.into_iter().collect(),
        ..Scripted::default()
    }
}

pub(crate) fn writes(script: impl IntoIterator<Item = Step>) -> Scripted {
    Scripted {
        writes: script.into_iter().collect(),
        ..Scripted::default()
    }
}

fn fail(kind: ErrorKind) -> io::Error {
    io::Error::new(kind, "scripted")
}

impl Scripted {
    /// The rooms of the reads, in order.
    pub(crate) fn rooms(&self) -> Vec<usize> {
        self.calls
            .iter()
            .filter_map(|call| match call {
                Call::Read(room) => Some(*room),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn count(&self, which: &Call) -> usize {
        self.calls.iter().filter(|call| *call == which).count()
    }

    pub(crate) fn poll_read_into(&mut self, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.calls.push(Call::Read(buf.len()));
        match self
            .reads
            .pop_front()
            .expect("a read past the end of the script")
        {
            Step::Data(mut bytes) => {
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                if n < bytes.len() {
                    self.reads.push_front(Step::Data(bytes.split_off(n)));
                }
                Poll::Ready(Ok(n))
            }
            Step::Accept(_) => unreachable!("not a read step"),
            Step::Pending => Poll::Pending,
            Step::Fail(kind) => Poll::Ready(Err(fail(kind))),
            Step::End => Poll::Ready(Ok(0)),
            Step::Panic => panic!("scripted panic in read"),
        }
    }

    /// How many of `len` bytes the next write step takes, or its other outcome.
    fn take(&mut self, len: usize) -> Poll<io::Result<usize>> {
        match self.writes.pop_front() {
            None => Poll::Ready(Ok(len)),
            Some(Step::Accept(n)) => Poll::Ready(Ok(n.min(len))),
            Some(Step::Pending) => Poll::Pending,
            Some(Step::Fail(kind)) => Poll::Ready(Err(fail(kind))),
            Some(Step::Panic) => panic!("scripted panic in write"),
            Some(other) => unreachable!("not a write step: {other:?}"),
        }
    }

    pub(crate) fn poll_write_from(&mut self, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = self.take(buf.len());
        if let Poll::Ready(Ok(n)) = polled {
            self.written.extend_from_slice(&buf[..n]);
            self.calls.push(Call::Write(buf.len(), n));
        }
        polled
    }

    pub(crate) fn poll_write_vectored_from(
        &mut self,
        parts: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if !self.vectored {
            let first = parts.iter().find(|part| !part.is_empty());
            return self.poll_write_from(first.map_or(&[][..], |part| &part[..]));
        }
        let total = parts.iter().map(|part| part.len()).sum();
        let polled = self.take(total);
        if let Poll::Ready(Ok(n)) = polled {
            let mut left = n;
            for part in parts {
                let k = left.min(part.len());
                self.written.extend_from_slice(&part[..k]);
                left -= k;
            }
            self.calls.push(Call::Vectored(total, n));
        }
        polled
    }

    pub(crate) fn poll_flush_now(&mut self, call: Call) -> Poll<io::Result<()>> {
        self.calls.push(call);
        match self.flushes.pop_front() {
            None => Poll::Ready(Ok(())),
            Some(Step::Pending) => Poll::Pending,
            Some(Step::Fail(kind)) => Poll::Ready(Err(fail(kind))),
            Some(other) => unreachable!("not a flush step: {other:?}"),
        }
    }
}

/// `Pending` as `std::io` says it.
fn blocking<T>(polled: Poll<io::Result<T>>) -> io::Result<T> {
    match polled {
        Poll::Ready(result) => result,
        Poll::Pending => Err(ErrorKind::WouldBlock.into()),
    }
}

impl io::Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        blocking(self.poll_read_into(buf))
    }
}

impl io::Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        blocking(self.poll_write_from(buf))
    }

    fn write_vectored(&mut self, parts: &[IoSlice<'_>]) -> io::Result<usize> {
        blocking(self.poll_write_vectored_from(parts))
    }

    fn flush(&mut self) -> io::Result<()> {
        blocking(self.poll_flush_now(Call::Flush))
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers of the adapters' tests

/// `"B"`: 1-byte lengths, short frames.
pub(crate) fn byte_len() -> Codec {
    Codec::from_struct_format("B").unwrap()
}

/// `"<I"` with a 16 MiB maximum: room for [`long_frame`].
pub(crate) fn long() -> Codec {
    Codec::builder()
        .struct_format("<I")
        .max_frame_len(1 << 24)
        .build()
        .unwrap()
}

/// A 1 MiB frame in [`long`]'s layout: the wire bytes and the payload.
pub(crate) fn long_frame() -> (Vec<u8>, Vec<u8>) {
    let payload: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut wire = (payload.len() as u32).to_le_bytes().to_vec();
    wire.extend_from_slice(&payload);
    (wire, payload)
}

/// The kind of an [`Error::Io`]; any other error fails the test.
pub(crate) fn io_kind(err: &Error) -> ErrorKind {
    match err {
        Error::Io(err) => err.kind(),
        other => panic!("not an I/O error: {other:?}"),
    }
}

/// Polls `fut` once: the scripted I/O is ready unless its script says `Pending`.
#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub(crate) fn now<F: Future>(fut: F) -> F::Output {
    crate::engine::ready::poll_once(fut).expect("ready")
}

/// Polls `fut` until it completes (at most 10 times): its output and how many polls were
/// `Pending`.
#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub(crate) fn drive<F: Future>(fut: F) -> (F::Output, usize) {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(crate::engine::ready::noop_waker());
    for pending in 0..10 {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return (out, pending);
        }
    }
    panic!("still pending after 10 polls");
}

/// The unit tests the tokio and futures-io shells share (the same methods, generated by
/// `shells::async_reader!` and `async_writer!`, over each runtime's I/O traits), expanded in
/// each one's test module, where `FrameReader` and `FrameWriter` are that runtime's.
#[cfg(any(feature = "tokio", feature = "futures-io"))]
macro_rules! async_shell_tests {
    () => {
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
            let mut reader =
                FrameReader::with_codec(reads([data(&wire[..200_000]), Step::End]), long());
            assert!(matches!(now(reader.read_frame()), Err(Error::Frame(_))));
        }

        #[test]
        fn the_stream_yields_the_frames_then_ends() {
            let mut reader =
                FrameReader::with_codec(reads([data(b"\x01a\x01b"), Step::End]), byte_len());
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
    };
}
#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub(crate) use async_shell_tests;

/// `poll_write` and `poll_write_vectored`, the same for tokio's and futures-io's `AsyncWrite`.
#[cfg(any(feature = "tokio", feature = "futures-io"))]
macro_rules! scripted_writes {
    () => {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.get_mut().poll_write_from(buf)
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            parts: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            self.get_mut().poll_write_vectored_from(parts)
        }
    };
}

#[cfg(feature = "futures-io")]
mod futures_io_impls {
    use std::io::{self, IoSlice};
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::{Call, Scripted};

    impl futures_io::AsyncRead for Scripted {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            self.get_mut().poll_read_into(buf)
        }
    }

    impl futures_io::AsyncWrite for Scripted {
        scripted_writes!();

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.get_mut().poll_flush_now(Call::Flush)
        }

        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.get_mut().poll_flush_now(Call::Close)
        }
    }
}

#[cfg(feature = "tokio")]
mod tokio_impls {
    use std::io::{self, IoSlice};
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tokio::io::ReadBuf;

    use super::{Call, Scripted};

    impl tokio::io::AsyncRead for Scripted {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let room = buf.initialize_unfilled();
            let polled = self.get_mut().poll_read_into(room);
            polled.map(|result| result.map(|n| buf.advance(n)))
        }
    }

    impl tokio::io::AsyncWrite for Scripted {
        scripted_writes!();

        fn is_write_vectored(&self) -> bool {
            self.vectored
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.get_mut().poll_flush_now(Call::Flush)
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.get_mut().poll_flush_now(Call::Close)
        }
    }
}
