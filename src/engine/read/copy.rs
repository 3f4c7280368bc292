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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Codec;

    /// Reads `bytes` into `state` as one read.
    fn feed(state: &mut ReadState, bytes: &[u8]) {
        let room = state.read_slice();
        room[..bytes.len()].copy_from_slice(bytes);
        state.filled(bytes.len());
    }

    fn state() -> ReadState {
        ReadState::new(Codec::default(), 64 * 1024)
    }

    #[test]
    fn a_payload_is_copied_as_it_arrives_and_counted_down() {
        let mut state = state();
        assert_eq!(
            state.copy_step(false),
            Ok(CopyStep::Read),
            "nothing buffered"
        );
        assert_eq!(state.check_not_copying().ok(), Some(()));
        assert_eq!(state.copy_remaining(), None);
        assert!(state.copy_chunk().is_empty());
        feed(&mut state, &[5, 0]);
        assert_eq!(state.copy_step(false), Ok(CopyStep::Read), "half a header");
        feed(&mut state, &[0, 0, 1, 2]);
        assert_eq!(state.copy_step(false), Ok(CopyStep::Write));
        assert_eq!(state.copy_chunk(), [1, 2]);
        assert_eq!(state.copy_remaining(), Some(5));
        assert_eq!(state.progress(), (6, 9));
        assert!(state.mid_frame());
        // The destination took one byte, then more than was offered.
        state.copied(1);
        assert_eq!(state.copy_remaining(), Some(4));
        assert_eq!(state.copy_chunk(), [2]);
        state.copied(9);
        assert_eq!(state.copy_remaining(), Some(3));
        assert!(state.copy_chunk().is_empty());
        let Err(Error::CopyUnfinished { len, left }) = state.check_not_copying() else {
            panic!("a copy is under way")
        };
        assert_eq!((len, left), (5, 3));
        assert_eq!(state.copy_step(false), Ok(CopyStep::Read));
        // The rest of the payload and the next frame's header: only the payload is offered.
        feed(&mut state, &[3, 4, 5, 0, 0, 0, 0]);
        assert_eq!(state.copy_step(false), Ok(CopyStep::Write));
        assert_eq!(state.copy_chunk(), [3, 4, 5]);
        state.copied(3);
        assert_eq!(state.frames, 0);
        assert_eq!(state.copy_step(false), Ok(CopyStep::Done(Some(5))));
        assert_eq!(state.frames, 1);
        assert_eq!(state.copy_remaining(), None);
        assert!(state.check_not_copying().is_ok());
        // An empty frame is done at once.
        assert_eq!(state.copy_step(false), Ok(CopyStep::Done(Some(0))));
        assert_eq!(state.frames, 2);
        assert_eq!(
            state.copy_step(true),
            Ok(CopyStep::Done(None)),
            "a clean end"
        );
    }

    #[test]
    fn the_stream_ending_inside_a_copied_frame_is_truncated_with_its_numbers() {
        let mut state = state();
        feed(&mut state, &[5, 0]);
        let Err(FrameError::Truncated { expected, got, .. }) = state.copy_step(true) else {
            panic!("cut inside the header")
        };
        assert_eq!(got, 2);
        assert!(expected >= 4, "{expected}");
        let mut state = self::state();
        feed(&mut state, &[5, 0, 0, 0, 1, 2]);
        assert_eq!(state.copy_step(true), Ok(CopyStep::Write));
        state.copied(2);
        let Err(FrameError::Truncated { expected, got, .. }) = state.copy_step(true) else {
            panic!("cut inside the payload")
        };
        assert_eq!((expected, got), (9, 6));
    }

    #[test]
    fn a_skipped_frame_before_a_copied_one_is_not_counted_in_its_header() {
        let codec = Codec::builder()
            .max_frame_len(4)
            .skip_oversized(true)
            .build()
            .unwrap();
        let mut state = ReadState::new(codec, 64 * 1024);
        feed(&mut state, &[6, 0, 0, 0, 9, 9]);
        assert!(matches!(
            state.copy_step(false),
            Err(FrameError::TooLarge { len: 6, max: 4, .. })
        ));
        assert!(state.skipping());
        // The skipped frame's last 4 bytes, then a frame of 2 copied.
        feed(&mut state, &[9, 9, 9, 9, 2, 0, 0, 0, 7, 8]);
        assert_eq!(state.copy_step(false), Ok(CopyStep::Write));
        assert!(!state.skipping());
        assert_eq!(state.frames, 1, "the skipped frame counted");
        assert_eq!(state.progress(), (6, 6), "header 4 + 2 of the payload");
        assert_eq!(state.copy_chunk(), [7, 8]);
        state.copied(2);
        assert_eq!(state.copy_step(false), Ok(CopyStep::Done(Some(2))));
        assert_eq!(state.frames, 2);
    }

    #[test]
    fn skipped_in_counts_at_most_what_was_buffered() {
        assert_eq!(skipped_in(None, 10), 0);
        assert_eq!(skipped_in(Some(4), 10), 4);
        assert_eq!(skipped_in(Some(40), 10), 10);
    }
}
