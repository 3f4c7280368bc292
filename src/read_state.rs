//! What a frame reader keeps between reads, with no I/O: the read buffer and the decoder, how far
//! a `copy_frame_to` got, the index of the current frame, and how much to ask the next read for.
//!
//! The blocking and tokio readers are loops around it: ask it for room, read into the room, tell
//! it how many bytes arrived ([`ReadState::filled`]), decode.

use std::io;

#[cfg(feature = "tokio")]
use bytes::buf::Limit;
#[cfg(feature = "tokio")]
use bytes::BufMut;
use bytes::{Buf, Bytes, BytesMut};

use crate::{Codec, Decoded, Error, FrameDecoder, FrameError};

/// What the first read asks for (or the read size, if smaller). Reads that fill the room they
/// were given double it, up to the read size; reads that bring little bring it back down.
const READ_MIN: usize = 8 * 1024;

/// A reader's state: everything but the I/O object.
#[derive(Debug)]
pub(crate) struct ReadState {
    decoder: FrameDecoder,
    buf: BytesMut,
    /// The most one read asks for.
    read_max: usize,
    /// What the next read asks for, sized by what the last reads brought.
    read_len: usize,
    /// The room handed to the last read: where it starts in `buf`, and how long it is.
    room_at: usize,
    room_len: usize,
    partial: Partial,
    /// The index of the current frame: frames returned, copied or skipped so far.
    frames: u64,
    /// Bytes at the front of `buf` that belong to the frame last lent by
    /// [`decode_ref`](ReadState::decode_ref): dropped before the buffer is used again.
    lent: usize,
    /// Where in `buf` the lent frame is, unless it is in `held`.
    lent_at: (usize, usize),
    /// A lent frame the decoder split off (the rare paths: end of stream, a skipped frame).
    held: Option<Bytes>,
}

/// Frame state kept beside the decoder's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Partial {
    /// None: the decoder's state says it all.
    None,
    /// The decoder is discarding an oversized frame's payload (`skip_oversized`).
    Skip { frame_len: u64, left: u64 },
    /// `copy_frame_to` consumed this frame's header and has `left` payload bytes still to move.
    Copy {
        header_len: u64,
        len: u64,
        left: u64,
    },
}

/// What `copy_frame_to` does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CopyStep {
    /// Read more bytes: the buffer holds no more of the frame (or not all of its header).
    Read,
    /// Write [`ReadState::copy_chunk`] to the destination, then report it with
    /// [`ReadState::copied`].
    Write,
    /// Done: the frame's payload length, or `None` at a clean end of stream.
    Done(Option<u64>),
}

impl ReadState {
    /// A fresh state, asking for at most `read_size` bytes a read (at least 1).
    pub(crate) fn new(codec: Codec, read_size: usize) -> ReadState {
        let read_max = read_size.max(1);
        ReadState {
            decoder: codec.decoder(),
            buf: BytesMut::new(),
            read_max,
            read_len: READ_MIN.min(read_max),
            room_at: 0,
            room_len: 0,
            partial: Partial::None,
            frames: 0,
            lent: 0,
            lent_at: (0, 0),
            held: None,
        }
    }

    /// Drops the frame last lent by [`decode_ref`](Self::decode_ref), if any.
    #[inline]
    fn settle(&mut self) {
        if self.lent != 0 || self.held.is_some() {
            self.settle_lent();
        }
    }

    #[cold]
    fn settle_lent(&mut self) {
        self.buf.advance(self.lent);
        self.lent = 0;
        self.held = None;
    }

    /// A state whose buffer starts with `buffered`: bytes another reader read and did not use.
    pub(crate) fn from_buffered(codec: Codec, read_size: usize, buffered: Bytes) -> ReadState {
        let mut state = ReadState::new(codec, read_size);
        state.buf = BytesMut::from(buffered);
        state
    }

    #[inline]
    pub(crate) fn codec(&self) -> &Codec {
        self.decoder.codec()
    }

    /// The decoder, to change its maximum.
    pub(crate) fn decoder_mut(&mut self) -> &mut FrameDecoder {
        &mut self.decoder
    }

    /// Sets the most one read asks for (at least 1).
    pub(crate) fn set_read_size(&mut self, read_size: usize) {
        self.read_max = read_size.max(1);
        self.read_len = self
            .read_len
            .min(self.read_max)
            .max(READ_MIN.min(self.read_max));
    }

    /// The bytes read and not yet returned.
    #[inline]
    pub(crate) fn buffer(&self) -> &[u8] {
        &self.buf[self.lent..]
    }

    pub(crate) fn into_buffer(mut self) -> Bytes {
        self.settle();
        self.buf.freeze()
    }

    /// The most one read asks for.
    pub(crate) fn read_size(&self) -> usize {
        self.read_max
    }

    /// Makes room for the next read at the end of the buffer and returns it, zeroed: for
    /// `std::io::Read`, which reads into initialised memory. Report the read with
    /// [`filled`](Self::filled), whatever its outcome.
    pub(crate) fn read_slice(&mut self) -> &mut [u8] {
        let room = self.make_room();
        self.buf.resize(self.room_at + room, 0);
        &mut self.buf[self.room_at..]
    }

    /// Makes room for the next read and returns the buffer limited to it, for a read into
    /// uninitialised memory (tokio's `read_buf`). Report what arrived with
    /// [`filled`](Self::filled).
    #[cfg(feature = "tokio")]
    pub(crate) fn read_room(&mut self) -> Limit<&mut BytesMut> {
        let room = self.make_room();
        (&mut self.buf).limit(room)
    }

    /// Notes that the last read brought `n` bytes (0 at the end of the stream or after an
    /// error): drops the rest of its room, sizes the next read by what arrived, and returns `n`
    /// (at most the room's length).
    pub(crate) fn filled(&mut self, n: usize) -> usize {
        let n = n.min(self.room_len);
        self.buf.truncate(self.room_at + n);
        if n == 0 {
            // The end of the stream, or an error: nothing to size by.
        } else if n == self.room_len {
            // The peer had more to send: ask for more next time.
            self.read_len = self.read_len.saturating_mul(2).min(self.read_max);
        } else {
            // It had less: ask for twice what came, so a trickle does not cost 64 KiB reads.
            self.read_len = self
                .read_len
                .min(n.saturating_mul(2))
                .max(READ_MIN.min(self.read_max));
        }
        n
    }

    /// Makes sure the buffer has room for a read, and returns how many bytes the read may bring.
    fn make_room(&mut self) -> usize {
        self.settle();
        let len = self.buf.len();
        let needed = match self.partial {
            Partial::Copy { left, .. } => clamp(left, usize::MAX).saturating_sub(len),
            _ => self.decoder.bytes_needed(&self.buf),
        };
        // Room for half a read, or for the rest of the frame if that is less, is enough: the
        // buffer is not reallocated for every read of a trickle, nor past a frame's end.
        if self.buf.capacity() - len < self.read_len.div_ceil(2).min(needed).max(1) {
            // Grow by a read, or by what has arrived of a long frame (doubling its buffer rather
            // than copying it at every read), but no further than that frame's end: what the
            // frame needs caps the growth and never sets it.
            let additional = self.read_len.max(len.min(needed));
            if len.saturating_add(needed) <= self.read_len.saturating_mul(2) {
                // Short frames: `reserve` reuses the buffer when it can, and otherwise leaves
                // headroom for the next ones.
                self.buf.reserve(additional);
            } else if !self.buf.try_reclaim(additional) {
                // A long frame: exactly (`reserve` would round up to twice the capacity, past
                // the frame's end), freeing an empty buffer before allocating its successor.
                if len == 0 {
                    self.buf = BytesMut::new();
                }
                let mut grown = BytesMut::with_capacity(len.saturating_add(additional));
                grown.extend_from_slice(&self.buf);
                self.buf = grown;
            }
        }
        self.room_at = len;
        self.room_len = (self.buf.capacity() - len).min(self.read_len);
        self.room_len
    }

    /// Splits the next whole frame off the buffer, if it holds one.
    #[inline]
    pub(crate) fn decode(&mut self) -> Result<Option<Bytes>, FrameError> {
        self.settle();
        let buffered = self.buf.len();
        match self.decoder.decode(&mut self.buf) {
            // The common case, kept short: a whole frame, and no frame being skipped.
            Ok(Some(frame)) if self.partial == Partial::None => {
                self.frames += 1;
                Ok(Some(frame))
            }
            result => {
                self.track(buffered, result.as_ref().map(Option::is_some));
                result
            }
        }
    }

    /// Finds the next whole frame in the buffer and lends it: `true` if there is one, to be read
    /// with [`lent`](Self::lent) until the next call that uses the buffer. Reference counts are
    /// left alone: the frame stays in the buffer, which drops it on the next call.
    #[inline]
    pub(crate) fn decode_ref(&mut self) -> Result<bool, FrameError> {
        self.settle();
        if self.partial == Partial::None {
            if let Ok(Decoded::Frame { frame, consumed }) =
                self.decoder.codec().decode_slice(&self.buf)
            {
                // The payload (or the whole frame, with `keep_header`) ends where the frame does.
                self.lent_at = (consumed - frame.len(), consumed);
                self.lent = consumed;
                if self.decoder.is_mid_frame() {
                    // The decoder had parsed this frame's header on an earlier call.
                    self.decoder.reset();
                }
                self.frames += 1;
                return Ok(true);
            }
        }
        // Not a whole frame, an error, or a frame being skipped: the decoder's own path.
        let frame = self.decode()?;
        self.hold(frame)
    }

    /// [`decode_eof`](Self::decode_eof), lending the frame as [`decode_ref`](Self::decode_ref).
    pub(crate) fn decode_eof_ref(&mut self) -> Result<bool, FrameError> {
        let frame = self.decode_eof()?;
        self.hold(frame)
    }

    fn hold(&mut self, frame: Option<Bytes>) -> Result<bool, FrameError> {
        let lent = frame.is_some();
        self.held = frame;
        Ok(lent)
    }

    /// The frame lent by the last [`decode_ref`](Self::decode_ref) that returned `true`.
    #[inline]
    pub(crate) fn lent(&self) -> &[u8] {
        match &self.held {
            Some(frame) => frame,
            None => &self.buf[self.lent_at.0..self.lent_at.1],
        }
    }

    /// The last frames once the stream has ended, then `Ok(None)` on a frame boundary.
    pub(crate) fn decode_eof(&mut self) -> Result<Option<Bytes>, FrameError> {
        self.settle();
        let buffered = self.buf.len();
        let result = self.decoder.decode_eof(&mut self.buf);
        self.track(buffered, result.as_ref().map(Option::is_some));
        result
    }

    /// What `copy_frame_to` does next; `eof` says whether the stream has ended.
    pub(crate) fn copy_step(&mut self, eof: bool) -> Result<CopyStep, FrameError> {
        let (len, left) = match self.partial {
            Partial::Copy { len, left, .. } => (len, left),
            _ => {
                self.settle();
                let buffered = self.buf.len();
                let skipping = self.skipping_in(buffered);
                let result = self.decoder.decode_head(&mut self.buf);
                self.track(buffered, result.as_ref().map(|_| false));
                let Some(len) = result? else {
                    if !eof {
                        return Ok(CopyStep::Read);
                    }
                    if !self.mid_frame() && self.buf.is_empty() {
                        return Ok(CopyStep::Done(None));
                    }
                    return Err(self.truncated());
                };
                // What the call consumed, less the bytes of a skipped frame it discarded first.
                let header_len = ((buffered - self.buf.len()) as u64).saturating_sub(skipping);
                let len = len as u64;
                self.partial = Partial::Copy {
                    header_len,
                    len,
                    left: len,
                };
                (len, len)
            }
        };
        if left == 0 {
            self.end_frame();
            Ok(CopyStep::Done(Some(len)))
        } else if !self.buf.is_empty() {
            Ok(CopyStep::Write)
        } else if eof {
            Err(self.truncated())
        } else {
            Ok(CopyStep::Read)
        }
    }

    /// The buffered bytes of the payload `copy_frame_to` is moving.
    pub(crate) fn copy_chunk(&self) -> &[u8] {
        let left = match self.partial {
            Partial::Copy { left, .. } => left,
            _ => 0,
        };
        &self.buf[..clamp(left, self.buf.len())]
    }

    /// Notes that the destination took `n` bytes of [`copy_chunk`](Self::copy_chunk).
    pub(crate) fn copied(&mut self, n: usize) {
        let n = n.min(self.copy_chunk().len());
        if let Partial::Copy { left, .. } = &mut self.partial {
            *left -= n as u64;
            self.buf.advance(n);
        }
    }

    /// How many payload bytes a stopped `copy_frame_to` still has to write.
    pub(crate) fn copy_remaining(&self) -> Option<u64> {
        match self.partial {
            Partial::Copy { left, .. } => Some(left),
            _ => None,
        }
    }

    /// An error unless `copy_frame_to` is between frames.
    #[inline]
    pub(crate) fn check_not_copying(&self) -> Result<(), Error> {
        match self.partial {
            Partial::Copy { len, left, .. } => Err(copy_unfinished(len, left)),
            _ => Ok(()),
        }
    }

    /// Whether an oversized frame is being skipped (`skip_oversized`): reading goes on after
    /// its [`FrameError::TooLarge`].
    #[inline]
    pub(crate) fn skipping(&self) -> bool {
        matches!(self.partial, Partial::Skip { .. })
    }

    /// Whether part of a frame past its header has been read.
    #[inline]
    pub(crate) fn mid_frame(&self) -> bool {
        self.partial != Partial::None || self.decoder.is_mid_frame()
    }

    /// The index of the current frame on the stream, counting from 0.
    #[cfg(feature = "tokio")]
    pub(crate) fn frame_index(&self) -> u64 {
        self.frames
    }

    /// The bytes of the current frame (header included) that arrived, and the bytes it needs.
    pub(crate) fn progress(&self) -> (u64, u64) {
        let buffered = self.buffer().len() as u64;
        match self.partial {
            Partial::Copy {
                header_len,
                len,
                left,
            } => (
                header_len + (len - left) + left.min(buffered),
                header_len + len,
            ),
            Partial::Skip { frame_len, left } => (frame_len - left, frame_len),
            Partial::None => (
                buffered,
                buffered + self.decoder.bytes_needed(self.buffer()) as u64,
            ),
        }
    }

    /// The stream ended inside the current frame.
    fn truncated(&self) -> FrameError {
        let (got, expected) = self.progress();
        FrameError::Truncated { expected, got }
    }

    /// How many of `buffered` bytes a decoder call discards first, as the rest of a frame being
    /// skipped.
    fn skipping_in(&self, buffered: usize) -> u64 {
        match self.partial {
            Partial::Skip { left, .. } => left.min(buffered as u64),
            _ => 0,
        }
    }

    /// Updates the frame bookkeeping after a decoder call that found `buffered` bytes and ended
    /// with `outcome` (whether it completed a frame).
    fn track(&mut self, buffered: usize, outcome: Result<bool, &FrameError>) {
        // The decoder leaves `partial` alone: it still says what was being skipped.
        let skipping = self.skipping_in(buffered);
        if let Partial::Skip { frame_len, left } = self.partial {
            if left == skipping {
                self.end_frame();
            } else {
                self.partial = Partial::Skip {
                    frame_len,
                    left: left - skipping,
                };
            }
        }
        match outcome {
            Ok(true) => self.end_frame(),
            Err(FrameError::TooLarge { len, .. }) if self.decoder.is_mid_frame() => {
                // skip_oversized: the decoder consumed the header and discards the payload.
                let header_len = ((buffered - self.buf.len()) as u64).saturating_sub(skipping);
                self.partial = Partial::Skip {
                    frame_len: header_len.saturating_add(*len),
                    left: *len,
                };
            }
            _ => {}
        }
    }

    /// Notes a finished frame: the next one gets the next index.
    #[inline]
    fn end_frame(&mut self) {
        self.frames += 1;
        self.partial = Partial::None;
    }
}

#[cold]
fn copy_unfinished(len: u64, left: u64) -> Error {
    Error::CopyUnfinished { len, left }
}

/// Whether a reader's `Iterator` or `Stream` goes on after yielding `err`: only when reading can
/// continue from it (an oversized frame being skipped, or an I/O error that leaves the stream
/// intact). The one rule for every adapter.
pub(crate) fn continues_after(err: &Error, skipping: bool) -> bool {
    match err {
        Error::Frame(FrameError::TooLarge { .. }) => skipping,
        Error::Io(err) => matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
        ),
        _ => false,
    }
}

/// `n` as a `usize`, at most `max`.
pub(crate) fn clamp(n: u64, max: usize) -> usize {
    usize::try_from(n).map_or(max, |n| n.min(max))
}
