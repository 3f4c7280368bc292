//! The error inside the `io::Error` of a frame over the maximum.

use std::fmt;

/// A frame longer than the maximum: the error inside the [`io::Error`](std::io::Error) that
/// [`LengthDelimitedCodec`](super::LengthDelimitedCodec) returns for it, as tokio-util's type
/// of the same name.
///
/// Decoding, the `io::Error`'s kind is `InvalidData`; encoding, `InvalidInput`. Reach it with
/// `err.get_ref().and_then(|e| e.downcast_ref::<LengthDelimitedCodecError>())`. Its message
/// begins with tokio-util's, "frame size too big", and adds the numbers.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use lenframe::tokio_util::{LengthDelimitedCodec, LengthDelimitedCodecError};
/// use tokio_util::codec::Decoder;
///
/// let mut codec = LengthDelimitedCodec::builder().max_frame_length(4).new_codec();
/// let err = codec.decode(&mut BytesMut::from(&b"\0\0\0\x05hello"[..])).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
/// let inner = err.get_ref().unwrap().downcast_ref::<LengthDelimitedCodecError>().unwrap();
/// assert_eq!((inner.length(), inner.max_frame_length()), (5, 4));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LengthDelimitedCodecError {
    len: u64,
    max: usize,
}

impl LengthDelimitedCodecError {
    pub(super) fn new(len: u64, max: usize) -> LengthDelimitedCodecError {
        LengthDelimitedCodecError { len, max }
    }

    /// The length that was too long: the length field's value when decoding (before the
    /// adjustment, as tokio-util compares it), the payload's length when encoding.
    pub fn length(&self) -> u64 {
        self.len
    }

    /// The maximum in force, [`max_frame_length`](super::LengthDelimitedCodec::max_frame_length).
    pub fn max_frame_length(&self) -> usize {
        self.max
    }
}

impl fmt::Debug for LengthDelimitedCodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LengthDelimitedCodecError")
            .field("len", &self.len)
            .field("max", &self.max)
            .finish()
    }
}

impl fmt::Display for LengthDelimitedCodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "frame size too big: {} is over the maximum frame length of {}",
            self.len, self.max
        )
    }
}

impl std::error::Error for LengthDelimitedCodecError {}
