//! The error of the I/O adapters: an I/O failure, a framing failure, or a call the adapter's
//! state does not allow.

use std::io;
#[cfg(feature = "tokio")]
use std::time::Duration;

use crate::error::{ConfigError, EncodeError, FrameError};

/// What went wrong reading or writing frames over an I/O object.
///
/// Matchable: I/O failures are [`Error::Io`], bad frames from the peer [`Error::Frame`],
/// payloads the settings cannot frame [`Error::Encode`], and calls made while a streamed frame
/// is unfinished [`Error::CopyUnfinished`]. [`Error::kind`] gives the [`io::ErrorKind`] it
/// converts to, so code written against `io::Error` (tokio-util's codecs return one) can keep
/// its `e.kind()` checks; `?` converts it into an [`io::Error`] that keeps this error inside.
///
/// # Examples
///
/// ```
/// use std::io;
/// use lenframe::blocking::FrameReader;
/// use lenframe::{Error, FrameError};
///
/// let wire: &[u8] = b"\x05\0\0\0hel"; // the peer closed inside the frame
/// let err = FrameReader::new(wire).read_frame().unwrap_err();
/// assert!(matches!(err, Error::Frame(FrameError::Truncated { expected: 9, got: 7, guess: None })));
/// assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The underlying reader or writer failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The peer sent bytes that are not a valid frame, or closed mid-frame.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A payload could not be framed with these settings; nothing was written.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// Settings that cannot work together, so that building a [`Codec`](crate::Codec) with
    /// `?` works in a function returning this error.
    ///
    /// ```
    /// use lenframe::blocking::FrameWriter;
    /// use lenframe::{Codec, Error};
    ///
    /// fn hello(wire: &mut Vec<u8>, format: &str) -> Result<(), Error> {
    ///     let codec = Codec::from_struct_format(format)?; // ConfigError -> Error
    ///     FrameWriter::with_codec(wire, codec).write_frame(b"hi")?; // io::Error -> Error
    ///     Ok(())
    /// }
    ///
    /// let mut wire = Vec::new();
    /// hello(&mut wire, "!H")?;
    /// assert_eq!(wire, b"\0\x02hi");
    /// let err = hello(&mut wire, "!f").unwrap_err();
    /// assert!(matches!(err, Error::Config(_)));
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), Error>(())
    /// ```
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A frame streamed with `copy_frame_to` (reading) or `copy_frame_from` (writing) stopped
    /// part way, and something else was asked of the reader or writer before it was finished.
    ///
    /// Nothing was read or written. Finish the frame by calling the same method again (for
    /// `copy_frame_from`, with the same length), or close the connection: the stream is inside
    /// that frame.
    #[error(
        "a streamed frame of {len} payload bytes is unfinished, {left} bytes still to go; call \
         copy_frame_to / copy_frame_from again (with the same length) to finish it first, or \
         close the connection"
    )]
    CopyUnfinished {
        /// The frame's payload length.
        len: u64,
        /// The payload bytes still to move.
        left: u64,
    },
    /// The source given to `copy_frame_from` ended before the payload length it announced.
    ///
    /// The frame's header and the bytes read so far are kept; the writer accepts only another
    /// `copy_frame_from` with the same length, which continues the frame.
    #[error(
        "the payload's source ended {left} bytes short of the {len} given to copy_frame_from; \
         the frame is unfinished: call copy_frame_from again with the same length and the rest \
         of the payload, or close the connection"
    )]
    SourceEnded {
        /// The payload length given to `copy_frame_from`.
        len: u64,
        /// The bytes it still lacks.
        left: u64,
    },
    /// A frame whose header had arrived did not complete within the configured deadline
    /// (`tokio::FrameReader::with_frame_deadline`).
    #[cfg(feature = "tokio")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
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
    /// A message could not be serialized (`write_json`, `write_msgpack`, a `MessageWriter`):
    /// the serializer failed, for instance on a map whose keys JSON cannot hold. Nothing was
    /// written or buffered; the writer is as it was.
    ///
    /// A message longer than the writer's maximum is [`Error::Encode`] with
    /// [`EncodeError::TooLarge`] (its length and the maximum), not this.
    #[cfg(any(feature = "json", feature = "msgpack"))]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "json", feature = "msgpack"))))]
    #[error("a message could not be serialized as {format}: {source}; nothing was written")]
    Serialize {
        /// The format: `"JSON"` or `"MessagePack"`.
        format: &'static str,
        /// The serializer's error (`serde_json::Error`, `rmp_serde::encode::Error`).
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A frame arrived whole but is not a valid message of the expected type
    /// (`read_json`, `read_msgpack`, a `MessageReader`).
    ///
    /// An error for that frame only: it has been consumed, and the next read returns the next
    /// frame. The peer may be sending another type or format, or a newer version of the message.
    #[cfg(any(feature = "json", feature = "msgpack"))]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "json", feature = "msgpack"))))]
    #[error(
        "frame {frame} ({len} bytes) is not a valid {format} message of the expected type: \
         {source} (an error for this frame only: the next one can be read)"
    )]
    Deserialize {
        /// The frame's index on this stream, counting from 0.
        frame: u64,
        /// The frame's payload length.
        len: usize,
        /// The format: `"JSON"` or `"MessagePack"`.
        format: &'static str,
        /// The deserializer's error (`serde_json::Error`, `rmp_serde::decode::Error`): what it
        /// expected and where.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// The [`io::ErrorKind`] this error converts to: the inner error's kind for
    /// [`Error::Io`], `UnexpectedEof` for a truncated frame or a source that ended early,
    /// `InvalidData` for other framing errors, `InvalidInput` for encoding errors, settings
    /// that do not work together and unfinished streamed frames, `TimedOut` for a missed frame deadline, `InvalidData` for a
    /// message that does not deserialize and `InvalidInput` for one that does not serialize.
    ///
    /// # Why these kinds
    ///
    /// The rule is std's: `InvalidData` for bad bytes from the peer, `InvalidInput` for a bad
    /// argument or setting from the caller, `UnexpectedEof` for a stream that ended too soon
    /// (what `read_exact` returns). Two of them differ from tokio-util's
    /// `LengthDelimitedCodec`, on purpose:
    ///
    /// | what | here | tokio-util | why |
    /// |---|---|---|---|
    /// | the stream ended inside a frame | `UnexpectedEof` | `Other` ("bytes remaining on stream") | it is exactly an unexpected end of file, and code that retries or logs by kind can tell it from a reset |
    /// | the adjustment makes a received length negative | `InvalidData` | `InvalidInput` | the peer's header is wrong, not an argument of the caller |
    ///
    /// Code that must see tokio-util's kinds uses the drop-in
    /// `lenframe::tokio_util::LengthDelimitedCodec` (feature `tokio-util`), which returns
    /// them.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Error::Io(err) => err.kind(),
            Error::Frame(err) => frame_error_kind(err),
            Error::Encode(_) | Error::Config(_) | Error::CopyUnfinished { .. } => {
                io::ErrorKind::InvalidInput
            }
            Error::SourceEnded { .. } => io::ErrorKind::UnexpectedEof,
            #[cfg(feature = "tokio")]
            Error::FrameDeadline { .. } => io::ErrorKind::TimedOut,
            #[cfg(any(feature = "json", feature = "msgpack"))]
            Error::Serialize { .. } => io::ErrorKind::InvalidInput,
            #[cfg(any(feature = "json", feature = "msgpack"))]
            Error::Deserialize { .. } => io::ErrorKind::InvalidData,
        }
    }
}

/// `UnexpectedEof` for a truncated frame, `InvalidData` for the rest.
pub(crate) fn frame_error_kind(err: &FrameError) -> io::ErrorKind {
    match err {
        FrameError::Truncated { .. } => io::ErrorKind::UnexpectedEof,
        _ => io::ErrorKind::InvalidData,
    }
}

impl From<Error> for io::Error {
    /// The inner error for [`Error::Io`]; otherwise an `io::Error` of [`Error::kind`] holding
    /// this error (reach it with `get_ref()` and `downcast_ref::<lenframe::Error>()`).
    fn from(err: Error) -> Self {
        match err {
            Error::Io(err) => err,
            err => io::Error::new(err.kind(), err),
        }
    }
}
