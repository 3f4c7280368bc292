//! Where the stream is: the current frame's index, how much of it arrived, the error for a
//! stream cut inside it, and whether a reader's `Iterator` or `Stream` goes on after an error.

use std::io;

use super::copy::Partial;
use super::ReadState;
use crate::{Error, FrameError};

impl ReadState {
    /// Whether an oversized frame is being skipped (`skip_oversized`): reading goes on after
    /// its [`FrameError::TooLarge`]. The decoder keeps that state; this only asks it.
    #[inline]
    pub(crate) fn skipping(&self) -> bool {
        self.decoder.skip_remaining().is_some()
    }

    /// Whether part of a frame past its header has been read.
    #[inline]
    pub(crate) fn mid_frame(&self) -> bool {
        self.partial != Partial::None || self.decoder.is_mid_frame() || self.long.is_some()
    }

    /// The index of the current frame on the stream, counting from 0.
    #[cfg(any(feature = "tokio", feature = "json", feature = "msgpack"))]
    pub(crate) fn frame_index(&self) -> u64 {
        self.frames
    }

    /// The bytes of the current frame (header included) that arrived, and the bytes it needs.
    pub(crate) fn progress(&self) -> (u64, u64) {
        if let Some(long) = &self.long {
            return (self.buffer().len() as u64, long.len as u64);
        }
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
            Partial::None => match self.decoder.skip_progress() {
                Some((skipped, frame_len)) => {
                    (skipped + (frame_len - skipped).min(buffered), frame_len)
                }
                None => (
                    buffered,
                    buffered + self.decoder.bytes_needed(self.buffer()) as u64,
                ),
            },
        }
    }

    /// The stream ended inside the current frame.
    pub(super) fn truncated(&self) -> FrameError {
        let (got, expected) = self.progress();
        FrameError::truncated(self.codec(), expected, got, self.buffer())
    }

    /// Counts the frames a decoder call finished: a skipped frame whose last bytes it discarded
    /// (`skipping` was what it had left before the call, of `buffered` bytes), and the frame it
    /// returned (`outcome`).
    pub(super) fn track(
        &mut self,
        buffered: usize,
        skipping: Option<u64>,
        outcome: Result<bool, &FrameError>,
    ) {
        if skipping.is_some_and(|left| left <= buffered as u64) {
            self.frames += 1;
        }
        if outcome == Ok(true) {
            self.end_frame();
        }
    }

    /// Notes a finished frame: the next one gets the next index.
    #[inline]
    pub(super) fn end_frame(&mut self) {
        self.frames += 1;
        self.partial = Partial::None;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Codec;
    use bytes::BytesMut;

    #[test]
    fn an_iterator_goes_on_only_after_errors_reading_can_continue_from() {
        use io::ErrorKind::*;
        let codec = Codec::builder().max_frame_len(1).build().unwrap();
        let mut header = BytesMut::from(&[9, 0, 0, 0][..]);
        let too_large = Error::Frame(codec.decoder().decode(&mut header).unwrap_err());
        assert!(matches!(
            too_large,
            Error::Frame(FrameError::TooLarge { len: 9, max: 1, .. })
        ));
        assert!(continues_after(&too_large, true), "being skipped");
        assert!(!continues_after(&too_large, false));
        for kind in [WouldBlock, TimedOut, Interrupted] {
            assert!(continues_after(&Error::Io(kind.into()), false), "{kind:?}");
        }
        for kind in [UnexpectedEof, ConnectionReset, Other] {
            assert!(!continues_after(&Error::Io(kind.into()), true), "{kind:?}");
        }
        let truncated = Error::Frame(FrameError::Truncated {
            expected: 9,
            got: 1,
            guess: None,
        });
        assert!(!continues_after(&truncated, true));
    }

    /// Reads `bytes` into `state` as one read.
    fn feed(state: &mut ReadState, bytes: &[u8]) {
        let room = state.read_slice();
        room[..bytes.len()].copy_from_slice(bytes);
        state.filled(bytes.len());
    }

    #[test]
    fn progress_counts_the_header_and_what_arrived_of_the_frame() {
        let mut state = ReadState::new(Codec::default(), 64 * 1024);
        assert_eq!(state.progress().0, 0);
        assert!(!state.mid_frame());
        feed(&mut state, &[10, 0, 0, 0, 1, 2, 3]);
        assert_eq!(state.decode(), Ok(None));
        assert_eq!(state.progress(), (7, 14));
        assert!(state.mid_frame());
        assert_eq!(state.frames, 0);
        let Err(FrameError::Truncated { expected, got, .. }) = state.decode_eof() else {
            panic!("cut inside the payload")
        };
        assert_eq!((expected, got), (14, 7));
    }

    #[test]
    fn a_skipped_frame_counts_once_when_its_last_byte_is_dropped() {
        let codec = Codec::builder()
            .max_frame_len(4)
            .skip_oversized(true)
            .build()
            .unwrap();
        let mut state = ReadState::new(codec, 64 * 1024);
        feed(&mut state, &[6, 0, 0, 0, 9]);
        assert!(state.decode().is_err());
        assert!(state.skipping());
        assert!(!state.mid_frame() || state.skipping());
        assert_eq!(state.progress(), (5, 10), "header and one byte of 6");
        // Exactly the rest of it: the frame ends with the bytes it needed.
        feed(&mut state, &[9, 9, 9, 9, 9]);
        assert_eq!(state.decode(), Ok(None));
        assert!(!state.skipping());
        assert_eq!(state.frames, 1);
        feed(&mut state, &[1, 0, 0, 0, 42]);
        assert_eq!(state.decode().unwrap().as_deref(), Some(&[42][..]));
        assert_eq!(state.frames, 2);
    }

    #[test]
    fn a_skipped_frame_not_yet_dropped_is_not_counted() {
        let codec = Codec::builder()
            .max_frame_len(4)
            .skip_oversized(true)
            .build()
            .unwrap();
        let mut state = ReadState::new(codec, 64 * 1024);
        feed(&mut state, &[6, 0, 0, 0]);
        assert!(state.decode().is_err());
        feed(&mut state, &[9, 9, 9, 9, 9]);
        assert_eq!(state.decode(), Ok(None));
        assert!(state.skipping(), "one byte left");
        assert_eq!(state.frames, 0);
        assert_eq!(state.progress(), (9, 10));
    }

    #[test]
    fn a_skip_in_progress_counts_the_buffered_bytes_up_to_the_frames_end() {
        let codec = Codec::builder()
            .max_frame_len(4)
            .skip_oversized(true)
            .build()
            .unwrap();
        let mut state = ReadState::new(codec, 64 * 1024);
        feed(&mut state, &[6, 0, 0, 0]);
        assert!(state.decode().is_err());
        assert_eq!(state.progress(), (4, 10));
        // Not decoded yet: the rest of the skipped frame and more behind it.
        feed(&mut state, &[9; 9]);
        assert_eq!(state.progress(), (10, 10));
    }

    #[cfg(any(feature = "tokio", feature = "json", feature = "msgpack"))]
    #[test]
    fn the_frame_index_counts_frames_returned() {
        let mut state = ReadState::new(Codec::default(), 64 * 1024);
        feed(&mut state, &[1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(state.frame_index(), 0);
        assert!(state.decode().unwrap().is_some());
        assert!(state.decode().unwrap().is_some());
        assert_eq!(state.frame_index(), 2);
    }
}
