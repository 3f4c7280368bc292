//! The error of the I/O adapters (blocking and tokio): an I/O failure or a framing failure.

use std::time::Duration;

use crate::error::{EncodeError, FrameError};

/// What went wrong reading or writing frames over an I/O object.
///
/// Matchable: I/O failures are [`Error::Io`], bad frames from the peer [`Error::Frame`],
/// payloads the settings cannot frame [`Error::Encode`]. Converts into [`std::io::Error`] for `?`
/// in I/O code: `InvalidData` for framing errors, `UnexpectedEof` for a stream that ended inside a
/// frame, `InvalidInput` for encoding errors and `TimedOut` for [`Error::FrameDeadline`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The underlying reader or writer failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The peer sent bytes that are not a valid frame, or closed mid-frame.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A payload could not be framed with these settings; nothing was written.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A frame whose header had arrived did not complete within the configured deadline.
    #[error(
        "frame {frame} did not complete within {waited:?} of its header: {got} of {expected} \
         bytes arrived; the peer is too slow or stalled"
    )]
    FrameDeadline {
        /// The frame's index on this stream, counting from 0.
        frame: u64,
        /// The bytes of the frame (header included) that arrived.
        got: u64,
        /// The bytes the frame needs, header included.
        expected: u64,
        /// How long the reader waited after the header.
        waited: Duration,
    },
}

impl From<Error> for std::io::Error {
    fn from(err: Error) -> Self {
        match err {
            Error::Io(err) => err,
            Error::Frame(err) => err.into(),
            Error::Encode(err) => err.into(),
            err @ Error::FrameDeadline { .. } => {
                std::io::Error::new(std::io::ErrorKind::TimedOut, err)
            }
        }
    }
}
