//! Scripted in-memory I/O for the adapters' unit tests (`blocking`, `tokio`, `futures`): one
//! value that is a reader, a writer and a `copy_frame_from` source for `std::io`, tokio and
//! futures-io alike. Each read returns the next scripted step (bytes, at most the room, the rest
//! staying first; `Pending`; an error; the end); each write or flush takes the next step of its
//! own script, and accepts everything once that script is empty. Every call is logged, so a
//! test pins what an adapter asked of its I/O as well as what it returned. A read past the end
//! of its script panics: an adapter that reads more than the test expects fails, never hangs.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, IoSlice};
use std::task::Poll;

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
