//! The `copy_frame_to` state machine: a frame's payload moved to a destination as it arrives,
//! through the read buffer, never held whole.

use bytes::Buf;

use super::{clamp, ReadState};
use crate::{Error, FrameError};

/// Frame state kept beside the decoder's own (which says whether a frame is being skipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Partial {
    /// None: the decoder's state says it all.
    None,
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
    /// What `copy_frame_to` does next; `eof` says whether the stream has ended.
    pub(crate) fn copy_step(&mut self, eof: bool) -> Result<CopyStep, FrameError> {
        self.unlong();
        let (len, left) = match self.partial {
            Partial::Copy { len, left, .. } => (len, left),
            Partial::None => {
                self.settle();
                let buffered = self.buf.len();
                let skipping = self.decoder.skip_remaining();
                let result = self.decoder.decode_head(&mut self.buf);
                self.track(buffered, skipping, result.as_ref().map(|_| false));
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
                let header_len = ((buffered - self.buf.len()) as u64)
                    .saturating_sub(skipped_in(skipping, buffered));
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
            Partial::None => 0,
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
            Partial::None => None,
        }
    }

    /// An error unless `copy_frame_to` is between frames.
    #[inline]
    pub(crate) fn check_not_copying(&self) -> Result<(), Error> {
        match self.partial {
            Partial::Copy { len, left, .. } => Err(copy_unfinished(len, left)),
            Partial::None => Ok(()),
        }
    }
}

/// How many of `buffered` bytes a decoder call discards first, as the rest of a frame being
/// skipped that had `skipping` bytes left.
fn skipped_in(skipping: Option<u64>, buffered: usize) -> u64 {
    skipping.map_or(0, |left| left.min(buffered as u64))
}

#[cold]
fn copy_unfinished(len: u64, left: u64) -> Error {
    Error::CopyUnfinished { len, left }
}
