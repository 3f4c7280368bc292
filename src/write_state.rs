//! What a frame writer keeps between writes, with no I/O: the bytes accepted and not yet
//! written, how far a `copy_frame_from` got, and what is left of a large frame written from the
//! caller's memory when a write stops part way.
//!
//! The blocking and tokio writers are loops around it: queue into it, write what it holds (and
//! the payload of a frame written through), tell it how many bytes went ([`WriteState::wrote`]).

#[cfg(feature = "tokio")]
use bytes::buf::Limit;
#[cfg(feature = "tokio")]
use bytes::BufMut;
use bytes::{Buf, BytesMut};

use crate::read_state::clamp;
use crate::{Codec, Error, FrameEncoder, Header};

/// The least room `copy_frame_from` reads into, even for a writer with a smaller capacity.
const STREAM_MIN: usize = 8 * 1024;

/// A writer's state: everything but the I/O object.
#[derive(Debug)]
pub(crate) struct WriteState {
    encoder: FrameEncoder,
    /// Bytes accepted and not yet written, in order.
    buf: BytesMut,
    /// How many bytes the writer buffers before writing.
    capacity: usize,
    /// The buffer outgrew the capacity to hold the rest of a large frame: free it once empty.
    oversized: bool,
    /// A `copy_frame_from` that stopped inside a frame.
    streaming: Option<Streaming>,
    /// The room handed to the last read from a `copy_frame_from` source: where it starts in
    /// `buf`, and how long it is.
    room_at: usize,
    room_len: usize,
}

/// The frame `copy_frame_from` is sending: its header is accepted, `left` payload bytes to go.
#[derive(Clone, Copy, Debug)]
struct Streaming {
    len: u64,
    left: u64,
}

/// What `copy_frame_from` does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamStep {
    /// Read at most this many payload bytes from the source into the buffer.
    Read(usize),
    /// The buffer is full: write some of it.
    Write,
    /// The whole payload is buffered or written.
    Done,
}

/// A frame written through: its header queued at the end of the buffer, its payload written
/// from the caller's memory after it, never copied unless a write stops part way.
#[derive(Debug)]
pub(crate) struct Through<'a> {
    header_len: usize,
    payload: &'a [u8],
    /// How much of the payload went out.
    written: usize,
}

impl<'a> Through<'a> {
    /// A frame whose `header_len`-byte header was just queued, and its payload.
    pub(crate) fn new(header_len: usize, payload: &'a [u8]) -> Through<'a> {
        Through {
            header_len,
            payload,
            written: 0,
        }
    }

    /// The payload bytes still to write, after the buffer.
    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.payload[self.written..]
    }
}

impl WriteState {
    /// An empty state that buffers up to `capacity` bytes.
    pub(crate) fn new(codec: Codec, capacity: usize) -> WriteState {
        WriteState {
            encoder: codec.encoder(),
            buf: BytesMut::new(),
            capacity,
            oversized: false,
            streaming: None,
            room_at: 0,
            room_len: 0,
        }
    }

    #[inline]
    pub(crate) fn codec(&self) -> &Codec {
        self.encoder.codec()
    }

    /// The bytes accepted and not yet written.
    #[inline]
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Sets how many bytes the writer buffers before writing.
    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
    }

    /// The encoder, to change its maximum.
    pub(crate) fn encoder_mut(&mut self) -> &mut FrameEncoder {
        &mut self.encoder
    }

    /// Takes the bytes accepted and not yet written, leaving the buffer empty.
    pub(crate) fn take_buffered(&mut self) -> BytesMut {
        std::mem::take(&mut self.buf)
    }

    /// Whether `n` more bytes fit in the buffer without passing its capacity.
    #[inline]
    pub(crate) fn fits(&self, n: usize) -> bool {
        n <= self.capacity.saturating_sub(self.buf.len())
    }

    /// Whether the buffer holds its capacity or more.
    #[cfg(feature = "tokio")]
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.buf.len() >= self.capacity
    }

    /// The encoder, for the header of a frame to queue (after
    /// [`check_not_streaming`](Self::check_not_streaming)).
    #[inline]
    pub(crate) fn encoder(&self) -> &FrameEncoder {
        &self.encoder
    }

    /// Appends `bytes` to what is accepted.
    #[inline]
    pub(crate) fn queue(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Notes that `n` bytes went out from the front of the buffer and then of what was written
    /// after it: drops them from the buffer, and returns how many came from after it.
    #[inline]
    pub(crate) fn wrote(&mut self, n: usize) -> usize {
        let from_buf = n.min(self.buf.len());
        self.buf.advance(from_buf);
        if self.oversized && self.buf.is_empty() {
            self.buf = BytesMut::new();
            self.oversized = false;
        }
        n - from_buf
    }

    /// Notes that `n` bytes of the buffer and then of `frame`'s payload went out.
    pub(crate) fn wrote_through(&mut self, frame: &mut Through<'_>, n: usize) {
        let from_payload = self.wrote(n);
        frame.written += from_payload.min(frame.rest().len());
    }

    /// Ends a frame written through, whole or stopped part way (an error, or a cancelled
    /// future): whether the frame is accepted.
    ///
    /// If none of it went out, its header is withdrawn from the buffer and it is not. Otherwise
    /// what went out cannot be taken back: the rest of the payload is copied into the buffer,
    /// to go out with the next write, so the peer still sees a whole frame.
    pub(crate) fn end_through(&mut self, frame: &Through<'_>) -> bool {
        if frame.written == 0 && self.buf.len() >= frame.header_len {
            self.buf.truncate(self.buf.len() - frame.header_len);
            return false;
        }
        let rest = frame.rest();
        let unsent = self.buf.len() + rest.len();
        if !rest.is_empty() && unsent > self.capacity {
            // Exactly what it takes, freed once written out.
            let mut exact = BytesMut::with_capacity(unsent);
            exact.extend_from_slice(&self.buf);
            self.buf = exact;
            self.oversized = true;
        }
        self.buf.extend_from_slice(rest);
        true
    }

    /// How many payload bytes a stopped `copy_frame_from` still has to read.
    pub(crate) fn copy_remaining(&self) -> Option<u64> {
        self.streaming.map(|streaming| streaming.left)
    }

    /// For `copy_frame_from(len, ..)`: the header to queue for a new frame, or `None` to go on
    /// with the unfinished one.
    ///
    /// # Errors
    ///
    /// The encoder's error, or an unfinished frame of a different length.
    pub(crate) fn stream_header(&self, len: u64) -> Result<Option<Header>, Error> {
        match self.streaming {
            Some(streaming) if streaming.len == len => Ok(None),
            Some(_) => Err(self.unfinished_error()),
            None => Ok(Some(
                self.encoder
                    .header(usize::try_from(len).unwrap_or(usize::MAX))?,
            )),
        }
    }

    /// Queues the header of a frame whose `len`-byte payload is to be streamed in.
    pub(crate) fn start_stream(&mut self, header: &Header, len: u64) {
        self.queue(header);
        self.streaming = Some(Streaming { len, left: len });
    }

    /// What `copy_frame_from` does next: the payload is read into the buffer, which is written
    /// out whenever it holds its capacity (at least 8 KiB).
    pub(crate) fn stream_step(&mut self) -> StreamStep {
        let Some(Streaming { left, .. }) = self.streaming else {
            return StreamStep::Done;
        };
        let room = self.capacity.max(STREAM_MIN);
        if left == 0 {
            self.streaming = None;
            StreamStep::Done
        } else if self.buf.len() >= room {
            StreamStep::Write
        } else {
            StreamStep::Read(clamp(left, room - self.buf.len()))
        }
    }

    /// Room for `n` payload bytes at the end of the buffer, zeroed, for `std::io::Read`. Report
    /// the read with [`streamed`](Self::streamed), whatever its outcome.
    pub(crate) fn stream_slice(&mut self, n: usize) -> &mut [u8] {
        self.room_at = self.buf.len();
        self.room_len = n;
        self.buf.resize(self.room_at + n, 0);
        &mut self.buf[self.room_at..]
    }

    /// The buffer limited to room for `n` more payload bytes, for a read into uninitialised
    /// memory (tokio's `read_buf`). Report what arrived with [`streamed`](Self::streamed).
    #[cfg(feature = "tokio")]
    pub(crate) fn stream_room(&mut self, n: usize) -> Limit<&mut BytesMut> {
        self.room_at = self.buf.len();
        self.room_len = n;
        self.buf.reserve(n);
        (&mut self.buf).limit(n)
    }

    /// Notes that the source read brought `n` payload bytes (0 at its end or after an error),
    /// dropping the rest of the room; returns `n` (at most the room's length).
    pub(crate) fn streamed(&mut self, n: usize) -> usize {
        let n = n.min(self.room_len);
        self.buf.truncate(self.room_at + n);
        if let Some(streaming) = &mut self.streaming {
            streaming.left = streaming.left.saturating_sub(n as u64);
        }
        n
    }

    /// The error for a `copy_frame_from` source that ended before the payload did.
    #[cold]
    pub(crate) fn source_ended(&self) -> Error {
        let Streaming { len, left } = self.streaming.unwrap_or(Streaming { len: 0, left: 0 });
        Error::SourceEnded { len, left }
    }

    /// An error while `copy_frame_from` has a frame unfinished: nothing else may go in the
    /// middle of it.
    #[inline]
    pub(crate) fn check_not_streaming(&self) -> Result<(), Error> {
        match self.streaming {
            None => Ok(()),
            Some(_) => Err(self.unfinished_error()),
        }
    }

    #[cold]
    fn unfinished_error(&self) -> Error {
        let Streaming { len, left } = self.streaming.unwrap_or(Streaming { len: 0, left: 0 });
        Error::CopyUnfinished { len, left }
    }
}
