//! The errors of the core: bad settings, bad frames on the way in, unencodable frames on the
//! way out. Each carries the numbers that explain it, and its message says what to change.

use alloc::string::String;

use crate::format::{LengthField, ACCEPTED_FORMATS};

/// Settings that cannot work together, reported when a [`Codec`](crate::Codec) is built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The struct format string is not a single supported integer code.
    #[error(
        "struct format {format:?} cannot describe a length: {problem}; use {ACCEPTED_FORMATS}"
    )]
    StructFormat {
        /// The string that was given.
        format: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A fixed-width length field must be 1, 2, 4 or 8 bytes wide.
    #[error("a length field of {width} bytes is not supported; use 1, 2, 4 or 8")]
    UnsupportedWidth {
        /// The width that was asked for.
        width: usize,
    },
    /// Too many bytes before the length field for the inline header.
    #[error(
        "{offset} bytes before the length field is more than the supported {max}; \
         lower length_field_offset"
    )]
    OffsetTooLarge {
        /// The offset that was asked for.
        offset: usize,
        /// The largest supported offset.
        max: usize,
    },
    /// The length adjustment leaves no field value that gives a valid payload length.
    #[error(
        "a length adjustment of {adjustment} leaves no valid frame for a {field} length field \
         (values 0..={max_value}); use an adjustment between -{max_value} and {max_value}"
    )]
    AdjustmentOutOfRange {
        /// The adjustment that was asked for.
        adjustment: i64,
        /// The length field it applies to.
        field: LengthField,
        /// The field's largest value.
        max_value: u64,
    },
    /// The maximum frame length is more than one allocation could ever hold.
    #[error(
        "a maximum frame length of {max} bytes is over the limit of {limit}; lower \
         CodecBuilder::max_frame_len (or max_decode_len / max_encode_len)"
    )]
    MaxFrameLenTooLarge {
        /// The maximum that was asked for.
        max: usize,
        /// The largest accepted maximum.
        limit: usize,
    },
}

/// A frame that cannot be decoded. The stream is out of step from here on, except after a
/// [`TooLarge`](FrameError::TooLarge) in
/// [`skip_oversized`](crate::CodecBuilder::skip_oversized) mode.
///
/// None of the offending frame has been consumed when this is returned: the buffer still starts
/// at its header, so the bytes can be inspected or logged. The one exception is
/// [`TooLarge`](FrameError::TooLarge) with `skip_oversized` on, which consumes the header so that
/// decoding can go on with the next frame. See
/// [`FrameDecoder`](crate::FrameDecoder#after-an-error) for what decoding again does.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A signed length field held a negative number.
    #[error(
        "the length field holds {len}, a negative length; the peer is not speaking this format \
         (check the struct format's byte order and width) or the stream is corrupt"
    )]
    NegativeLength {
        /// The value read.
        len: i64,
    },
    /// The payload is longer than the decoder's maximum.
    #[error(
        "a frame announces a payload of {len} bytes, over the maximum of {max} bytes (the \
         payload alone, header excluded); raise it with CodecBuilder::max_decode_len if the \
         peer is trusted"
    )]
    TooLarge {
        /// The payload length the header announced.
        len: u64,
        /// The maximum payload length in force.
        max: usize,
    },
    /// The length adjustment turned the field's value into a negative payload length.
    #[error(
        "the length field holds {value}, and the length adjustment of {adjustment} makes the \
         payload length negative; the header is corrupt or length_adjustment is wrong"
    )]
    AdjustedLengthNegative {
        /// The value read from the length field.
        value: u64,
        /// The configured adjustment.
        adjustment: i64,
    },
    /// A varint length ran past 10 bytes.
    #[error("a varint length runs past 10 bytes; the stream is corrupt or not varint-framed")]
    VarintTooLong,
    /// A varint length does not fit in 64 bits.
    #[error("a varint length overflows 64 bits; the stream is corrupt or not varint-framed")]
    VarintOverflow,
    /// The stream ended inside a frame.
    #[error(
        "the stream ended inside a frame: {expected} bytes were expected (header and payload) \
         and only {got} arrived; the peer closed or failed mid-frame"
    )]
    Truncated {
        /// The bytes the frame needs, header included (for a partial varint header, the least
        /// it could need).
        expected: u64,
        /// The bytes of it that arrived.
        got: u64,
    },
}

/// A payload that cannot be framed with these settings. Nothing was written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The payload is longer than the encoder's maximum.
    #[error(
        "a payload of {len} bytes is over the maximum of {max} bytes (the payload alone, header \
         excluded); raise it with CodecBuilder::max_encode_len or split the message"
    )]
    TooLarge {
        /// The payload length.
        len: usize,
        /// The maximum payload length in force.
        max: usize,
    },
    /// The length value does not fit in the length field.
    #[error(
        "the length value {value} does not fit in a {field} length field (0..={max_value}); {hint}",
        max_value = field.max_value(),
        hint = if *value < 0 {
            "the payload is shorter than length_adjustment: lower CodecBuilder::length_adjustment"
        } else {
            "use a wider struct format such as \"<q\" or \"<Q\", or split the message"
        }
    )]
    Unrepresentable {
        /// The value that would be written: the payload length minus the length adjustment.
        value: i128,
        /// The length field.
        field: LengthField,
    },
}

#[cfg(feature = "std")]
impl From<FrameError> for std::io::Error {
    /// `UnexpectedEof` for [`FrameError::Truncated`], `InvalidData` for the rest.
    fn from(err: FrameError) -> Self {
        std::io::Error::new(crate::io_error::frame_error_kind(&err), err)
    }
}

#[cfg(feature = "std")]
impl From<EncodeError> for std::io::Error {
    /// `InvalidInput`: the caller's payload does not fit the settings.
    fn from(err: EncodeError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, err)
    }
}

#[cfg(feature = "std")]
impl From<ConfigError> for std::io::Error {
    /// `InvalidInput`: the settings given cannot work together.
    fn from(err: ConfigError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, err)
    }
}
