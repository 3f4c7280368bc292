//! The error of the embedded adapters: the I/O object's own error, a bad frame, a payload that
//! cannot be framed, or a lent buffer too small for a header.

use embedded_io::ErrorKind;

use crate::{EncodeError, FrameError};

/// What went wrong reading or writing frames over an `embedded-io` (or `embedded-io-async`)
/// object. `E` is the I/O object's error type.
///
/// It implements [`core::error::Error`] and [`embedded_io::Error`] (so
/// [`kind`](embedded_io::Error::kind) tells a reconnect loop what happened), and converts from
/// [`FrameError`] and [`EncodeError`], so firmware code can use `?` on it.
///
/// # Examples
///
/// ```
/// use embedded_io::{Error as _, ErrorKind};
/// use lenframe::embedded::{Error, FrameReader};
/// use lenframe::FrameError;
///
/// let mut buf = [0u8; 64];
/// let wire: &[u8] = b"\x05\0\0\0hel"; // the peer closed inside the frame
/// let err = FrameReader::new(wire, &mut buf).read_frame().unwrap_err();
/// assert!(matches!(err, Error::Frame(FrameError::Truncated { expected: 9, got: 7, guess: None })));
/// assert_eq!(err.kind(), ErrorKind::ConnectionAborted);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error<E> {
    /// The inner reader or writer failed.
    #[error(transparent)]
    Io(E),
    /// The peer sent bytes that are not a valid frame, or a frame larger than the lent buffer
    /// can hold ([`FrameError::TooLarge`]), or closed mid-frame ([`FrameError::Truncated`]).
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A payload could not be framed with these settings; nothing was written.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The buffer lent to a reader is shorter than the longest header its codec can read, so
    /// it could not hold even a header. Nothing was read; lend a larger buffer.
    #[error(
        "the buffer lent to the frame reader holds {len} bytes, less than the {needed} bytes of \
         the longest header the codec reads; lend a buffer of at least {needed} bytes, plus the \
         longest payload to receive"
    )]
    BufferTooSmall {
        /// The lent buffer's length.
        len: usize,
        /// The longest header: the length field's offset plus its width (10 for a varint).
        needed: usize,
    },
}

impl<E: embedded_io::Error> embedded_io::Error for Error<E> {
    /// The inner error's kind for [`Error::Io`]; `ConnectionAborted` for a stream that ended
    /// inside a frame (embedded-io has no `UnexpectedEof`: the peer stopped mid-frame);
    /// `InvalidData` for other bad frames; `InvalidInput` for a payload that cannot be framed
    /// and for a buffer too small.
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Io(err) => err.kind(),
            Error::Frame(FrameError::Truncated { .. }) => ErrorKind::ConnectionAborted,
            Error::Frame(_) => ErrorKind::InvalidData,
            Error::Encode(_) | Error::BufferTooSmall { .. } => ErrorKind::InvalidInput,
        }
    }
}
