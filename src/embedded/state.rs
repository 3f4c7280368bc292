//! What an embedded frame reader keeps between reads, with no I/O: the lent buffer, where its
//! unread bytes are, and the decoder. Every rule of the embedded readers lives here once: when
//! to compact, what may be read, what the end of the stream means, how large a frame may be.
//!
//! The blocking and async readers are the same loop around it:
//!
//! ```text
//! loop {
//!     match state.step()? {
//!         Step::Frame => return Ok(Some(state.lent())),
//!         Step::End => return Ok(None),
//!         Step::Read => { let n = inner.read(state.room())?; state.filled(n); }
//!     }
//! }
//! ```
//!
//! Between two `step`s nothing but `filled` changes the state, so an async read dropped while
//! it waits loses nothing: the bytes of every read that completed are in the buffer, and the
//! next call starts again from them.

use core::mem;

use crate::embedded::Error;
use crate::{Codec, Decoded, FrameDecoder, MAX_FIELD_LEN};

/// What the reader does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A frame is ready: hand out [`ReadState::lent`].
    Frame,
    /// Read into [`ReadState::room`], then report it with [`ReadState::filled`].
    Read,
    /// The stream ended cleanly, between two frames.
    End,
}

/// A reader's state: everything but the I/O object.
pub(crate) struct ReadState<'b> {
    decoder: FrameDecoder,
    buf: &'b mut [u8],
    /// The bytes read and not yet used: `buf[start..end]`.
    start: usize,
    end: usize,
    /// The length of the frame last handed out by [`step`](Self::step): it ends at `start`.
    lent: usize,
    /// The last read found the end of the stream.
    eof: bool,
}

impl<'b> ReadState<'b> {
    /// A state over `buf`, whose first `buffered` bytes were read already.
    pub(crate) fn new(codec: Codec, buf: &'b mut [u8], buffered: usize) -> ReadState<'b> {
        let mut state = ReadState {
            decoder: codec.decoder(),
            end: buffered.min(buf.len()),
            buf,
            start: 0,
            lent: 0,
            eof: false,
        };
        state.set_max_frame_len(codec.max_decode_len());
        state
    }

    /// The decoder: its settings, the maximum in force and its counters.
    pub(crate) fn decoder(&self) -> &FrameDecoder {
        &self.decoder
    }

    /// The settings, with the maximum in force.
    pub(crate) fn codec(&self) -> &Codec {
        self.decoder.codec()
    }

    /// Sets the maximum payload: `max`, or less if the buffer cannot hold such a frame.
    pub(crate) fn set_max_frame_len(&mut self, max: usize) {
        let fits = self.buf.len().saturating_sub(longest_header(self.codec()));
        self.decoder.set_max_frame_len(max.min(fits));
    }

    /// The bytes read and not yet used.
    pub(crate) fn buffer(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// The frame handed out by the last [`step`](Self::step) that returned [`Step::Frame`].
    pub(crate) fn lent(&self) -> &[u8] {
        &self.buf[self.start - self.lent..self.start]
    }

    /// Where the buffer is free for the next read: never empty after [`Step::Read`].
    pub(crate) fn room(&mut self) -> &mut [u8] {
        &mut self.buf[self.end..]
    }

    /// Notes that the last read brought `n` bytes into [`room`](Self::room): 0 is the end of
    /// the stream.
    pub(crate) fn filled(&mut self, n: usize) {
        self.end += n.min(self.buf.len() - self.end);
        self.eof = n == 0;
    }

    /// Moves the unread bytes to the front and gives up the buffer: their count.
    pub(crate) fn into_buffered(self) -> usize {
        self.buf.copy_within(self.start..self.end, 0);
        self.end - self.start
    }

    /// Decodes what the buffer holds and says what to do next. Skipped bytes are dropped here;
    /// on an error nothing is, so the same call returns it again (fail fast), except for a
    /// frame skipped with `skip_oversized`, whose bytes the next calls drop.
    pub(crate) fn step<E>(&mut self) -> Result<Step, Error<E>> {
        let needed = longest_header(self.codec());
        if self.buf.len() < needed {
            return Err(Error::BufferTooSmall {
                len: self.buf.len(),
                needed,
            });
        }
        loop {
            match self.decoder.decode_slice(&self.buf[self.start..self.end])? {
                Decoded::Frame { frame, consumed } => {
                    // The frame (payload, or whole frame with `keep_header`) ends the bytes
                    // consumed.
                    self.start += consumed;
                    self.lent = frame.len();
                    // A frame found while draining the end of the stream: the next call reads
                    // again, as the std readers do.
                    self.eof = false;
                    return Ok(Step::Frame);
                }
                Decoded::Skipped { consumed } => self.start += consumed,
                Decoded::Incomplete { needed } => {
                    if self.eof {
                        // At the end, with sync bytes, a candidate that cannot complete is
                        // noise: give it up and look for the frames behind it.
                        let unread = &self.buf[self.start..self.end];
                        if let Some(consumed) = self.decoder.give_up_candidate(unread) {
                            self.start += consumed;
                            continue;
                        }
                    }
                    return self.incomplete(needed);
                }
            }
        }
    }

    /// No whole frame is buffered, and the frame needs at least `needed` more bytes: the end of
    /// the stream (clean or not) if the last read found it, else a read, with room made for it.
    fn incomplete<E>(&mut self, needed: usize) -> Result<Step, Error<E>> {
        if mem::take(&mut self.eof) {
            return match self.decoder.end(self.buffer()) {
                None => Ok(Step::End),
                Some(err) => Err(err.into()),
            };
        }
        if self.start == self.end {
            // Nothing to keep: start again at the front, for free.
            (self.start, self.end) = (0, 0);
        } else if self.buf.len() - self.end < needed && self.start > 0 {
            // The frame cannot end inside the buffer where it is: move its start to the front,
            // once. The maximum guarantees that it fits there.
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        Ok(Step::Read)
    }
}

/// The longest header `codec` can read: its sync bytes, offset and field's width (or the
/// longest varint), plus its checksum trailer, which a frame also carries besides its payload.
/// A buffer holds a frame whose payload is at most its length less this.
pub(crate) fn longest_header(codec: &Codec) -> usize {
    codec.sync_bytes().len()
        + codec.length_field_offset()
        + codec.length_field().width().unwrap_or(MAX_FIELD_LEN)
        + codec.trailer_len()
}
