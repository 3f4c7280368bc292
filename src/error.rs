//! The errors of the core: bad settings, bad frames on the way in, unencodable frames on the
//! way out. Each carries the numbers that explain it, and its message says what to change.

use core::fmt;

use crate::format::{LengthField, ACCEPTED_FORMATS};
use crate::guess::LayoutGuess;

/// Settings that cannot work together, reported when a [`Codec`](crate::Codec) is built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The struct format string does not describe one supported integer, as Python's `struct`
    /// reads it.
    ///
    /// ```
    /// use lenframe::{ConfigError, LengthField};
    ///
    /// let err = LengthField::from_struct_format("<f").unwrap_err();
    /// assert!(matches!(err, ConfigError::StructFormat { at: 1, found: Some('f'), .. }));
    /// assert!(err.to_string().starts_with("struct format rejected at byte 1 ('f'): "));
    /// ```
    #[error(
        "struct format rejected at byte {at} ({found}): {problem}; use {ACCEPTED_FORMATS}",
        found = Found(*found)
    )]
    StructFormat {
        /// The byte position in the string where it stops describing one integer (the string's
        /// length if it ended too soon).
        at: usize,
        /// The character there, `None` at the end of the string.
        found: Option<char>,
        /// What is wrong there.
        problem: &'static str,
    },
    /// A fixed-width length field must be 1 to 8 bytes wide.
    #[error("a length field of {width} bytes is not supported; use 1 to 8 bytes, or a varint")]
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
    /// A positive length adjustment larger than the decoding maximum: every payload would be
    /// at least `adjustment` bytes long, so no frame could ever be decoded.
    #[error(
        "a length adjustment of {adjustment} makes every payload at least {adjustment} bytes \
         long, over the decoding maximum of {max}, so no frame could decode; lower \
         length_adjustment or raise max_decode_len"
    )]
    AdjustmentOverMaximum {
        /// The adjustment that was asked for.
        adjustment: i64,
        /// The decoding maximum.
        max: usize,
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
    /// More sync bytes than a codec holds.
    #[error("{len} sync bytes is more than the supported {max}; use fewer sync bytes")]
    SyncTooLong {
        /// How many were asked for.
        len: usize,
        /// The most supported ([`MAX_SYNC_LEN`](crate::MAX_SYNC_LEN)).
        max: usize,
    },
    /// A length bit range that does not lie inside an unsigned fixed-width length field.
    #[error(
        "a length of {bits} bits from bit {shift} does not fit the {field} length field; use an \
         unsigned fixed-width field at least {shift} + {bits} bits wide, and at least 1 bit"
    )]
    LengthBitsOutsideField {
        /// The bits below the length.
        shift: u8,
        /// The length's bits.
        bits: u8,
        /// The length field.
        field: LengthField,
    },
    /// A checksum trailer must be 1 to 8 bytes wide.
    #[error("a checksum of {width} bytes is not supported; use 1 to 8 bytes")]
    ChecksumWidth {
        /// The width asked for.
        width: usize,
    },
    /// The checksum's covered bytes start past the header, so a short frame has none.
    #[error(
        "the checksum covers from byte {start}, past the shortest header ({max} bytes); use \
         Checksum::covering_from with at most {max}"
    )]
    ChecksumStart {
        /// Where the covered bytes were asked to start.
        start: usize,
        /// The shortest header (sync bytes included).
        max: usize,
    },
    /// A varint's cap ([`LengthField::varint_max`]) must be 1 to 10 bytes.
    #[error(
        "a varint capped at {max_bytes} bytes is not supported; use a cap of 1 to 10 bytes \
         (10 holds any u64)"
    )]
    UnsupportedVarintCap {
        /// The cap that was asked for.
        max_bytes: usize,
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
        "the length field holds {len}, a negative length; {advice}",
        advice = Advice {
            guess: *guess,
            otherwise: "the peer is not speaking this format (check the struct format's byte \
                        order and width) or the stream is corrupt",
        }
    )]
    NegativeLength {
        /// The value read.
        len: i64,
        /// The layout under which the same header bytes give a length within the maximum, if
        /// one does: the likely cause. Always `None` from
        /// [`LengthField::read_len`](crate::LengthField::read_len), which knows no maximum.
        guess: Option<LayoutGuess>,
    },
    /// The payload is longer than the decoder's maximum.
    ///
    /// ```
    /// use lenframe::{Codec, FrameError};
    ///
    /// // A peer writing struct.pack('!I', 5) to a decoder expecting Python's default 'i'.
    /// let err = Codec::default().decode_slice(b"\0\0\0\x05hello").unwrap_err();
    /// let FrameError::TooLarge { len, guess: Some(guess), .. } = err else { panic!() };
    /// assert_eq!(len, 0x0500_0000);
    /// assert_eq!((guess.field.struct_format(), guess.len), (Some("!i"), 5));
    /// assert!(err.to_string().ends_with(
    ///     "read as \"!i\" the same bytes give a 5-byte payload: check both sides use the same \
    ///      struct format"
    /// ));
    /// ```
    #[error(
        "a frame announces a payload of {len} bytes, over the maximum of {max} bytes (the \
         payload alone, header excluded); {advice}",
        advice = Advice {
            guess: *guess,
            otherwise: "if the peer is trusted to send frames this large, raise the maximum \
                        (CodecBuilder::max_frame_len, or set_max_frame_len on a reader)",
        }
    )]
    TooLarge {
        /// The payload length the header announced.
        len: u64,
        /// The maximum payload length in force.
        max: usize,
        /// The layout under which the same header bytes give a length within the maximum, if
        /// one does: the likely cause (see [`LayoutGuess`]).
        guess: Option<LayoutGuess>,
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
    /// The length adjustment took the field's value past `u64::MAX`: no payload is that long.
    #[error(
        "the length field holds {value}, and the length adjustment of {adjustment} takes the \
         payload length past 2^64 - 1 bytes; the header is corrupt or length_adjustment is wrong"
    )]
    AdjustedLengthOverflow {
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
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::{Codec, FrameError};
    ///
    /// // A peer wrote struct.pack('!I', 256) + 256 bytes, then closed; this side expects '<i'
    /// // and waits for 65,536 bytes that never come. What did come is one whole '!I' frame.
    /// let mut sent = BytesMut::from(&[0, 0, 1, 0][..]);
    /// sent.extend_from_slice(&[7; 256]);
    /// let err = Codec::default().decoder().decode_eof(&mut sent).unwrap_err();
    /// let FrameError::Truncated { expected, got, guess: Some(guess) } = err.clone() else {
    ///     panic!("{err}")
    /// };
    /// assert_eq!((expected, got), (65_540, 260));
    /// assert_eq!((guess.field.struct_format(), guess.len), (Some("!i"), 256));
    /// assert!(err.to_string().contains("read as \"!i\" the same bytes give a 256-byte payload"));
    /// ```
    #[error(
        "the stream ended inside a frame: {expected} bytes were expected (header and payload) \
         and only {got} arrived; {advice}",
        advice = Advice {
            guess: *guess,
            otherwise: "the peer closed or failed mid-frame",
        }
    )]
    Truncated {
        /// The bytes the frame needs, header included (for a partial varint header, the least
        /// it could need).
        expected: u64,
        /// The bytes of it that arrived.
        got: u64,
        /// A layout under which the bytes that arrived are whole frames, ending where the
        /// stream ended: the likely cause, a peer writing another struct format (see
        /// [`LayoutGuess`]). `None` when there is no such layout or the header is no longer
        /// at hand (a frame streamed with `copy_frame_to`, or being skipped).
        guess: Option<LayoutGuess>,
    },
    /// A frame's checksum trailer does not match its bytes, on a codec without sync bytes (with
    /// them, the decoder drops the frame and resynchronises instead).
    ///
    /// ```
    /// use lenframe::{ByteOrder, Checksum, ChecksumAlgorithm, Codec, FrameError};
    ///
    /// let codec = Codec::builder()
    ///     .struct_format("B")
    ///     .checksum(Checksum::new(ChecksumAlgorithm::Fletcher8, ByteOrder::Little))
    ///     .build()?;
    /// let err = codec.decode_slice(b"\x01a\x00\x00").unwrap_err();
    /// assert_eq!(err, FrameError::ChecksumMismatch { expected: 0x6362, actual: 0 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error(
        "the frame's checksum is {actual:#x} but its bytes give {expected:#x}; the frame was \
         corrupted on the way, or the peer uses another checksum, byte order or covered range \
         (set sync_bytes to drop bad frames and resynchronise instead)"
    )]
    ChecksumMismatch {
        /// The check computed over the frame's covered bytes.
        expected: u64,
        /// The value in the frame's trailer.
        actual: u64,
    },
    /// A varint length capped by [`LengthField::varint_max`] has a continuation bit on its last
    /// allowed byte: MQTT's "malformed remaining length" for a cap of 4.
    #[error(
        "a varint length runs past its cap of {max_bytes} bytes; the stream is corrupt or not \
         framed with this cap"
    )]
    VarintPastCap {
        /// The cap: the most bytes the length may take.
        max_bytes: usize,
    },
}

#[cfg(any(feature = "alloc", feature = "embedded-io"))]
impl FrameError {
    /// [`Truncated`](FrameError::Truncated) for a frame of which `arrived` came, with the
    /// guess when `arrived` is all of it, header first (`got` bytes long).
    #[cold]
    #[inline(never)]
    pub(crate) fn truncated(
        codec: &crate::Codec,
        expected: u64,
        got: u64,
        arrived: &[u8],
    ) -> FrameError {
        let guess = if arrived.len() as u64 == got {
            crate::guess::guess_truncated(codec, arrived)
        } else {
            None
        };
        FrameError::Truncated {
            expected,
            got,
            guess,
        }
    }
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
    /// The bytes given for before the length field
    /// ([`FrameEncoder::encode_with_prefix`](crate::FrameEncoder::encode_with_prefix)) are not
    /// [`length_field_offset`](crate::CodecBuilder::length_field_offset) long.
    #[error(
        "a prefix of {len} bytes was given, but the length field offset is {offset}: the bytes \
         before the length field must be exactly length_field_offset long"
    )]
    WrongPrefixLen {
        /// The length of the prefix given.
        len: usize,
        /// The configured length field offset.
        offset: usize,
    },
    /// [`FrameEncoder::header`](crate::FrameEncoder::header) was asked for on a codec whose
    /// frames end with a checksum trailer, which a header sent before the payload cannot carry:
    /// a frame sent that way would be rejected by the peer.
    #[error(
        "this codec ends every frame with a {trailer_len}-byte checksum trailer, which a header \
         alone does not carry; encode whole frames (FrameEncoder::encode, or any writer), or send \
         FrameEncoder::header_without_trailer, the payload, then \
         FrameEncoder::trailer"
    )]
    TrailerNeeded {
        /// The checksum trailer's width.
        trailer_len: usize,
    },
    /// The codec's checksum is the caller's own function ([`Checksum::custom`](crate::Checksum::custom)),
    /// which takes the covered bytes in one piece, and this writer sends the frame in pieces it
    /// never holds together: `copy_frame_from` streams the payload through a bounded buffer,
    /// and the embedded writers send the header and the payload from separate memory. Nothing
    /// was written. Named algorithms ([`ChecksumAlgorithm`](crate::ChecksumAlgorithm)) are
    /// computed as the bytes go and work with every writer.
    #[error(
        "this codec's checksum is a caller-supplied function of the whole covered bytes, and this \
         writer sends the frame in pieces ({trailer_len}-byte trailer): write the frame whole \
         (a std or async writer's write_frame, or FrameEncoder::encode), or use a named \
         ChecksumAlgorithm"
    )]
    ChecksumNeedsWholeFrame {
        /// The checksum trailer's width.
        trailer_len: usize,
    },
}

/// Why [`FrameEncoder::encode_with`](crate::FrameEncoder::encode_with) wrote no frame. The
/// buffer holds what it held before the call.
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeWithError<E> {
    /// The body cannot be framed: longer than the encoding maximum, or a length the field
    /// cannot hold.
    Encode(EncodeError),
    /// The closure writing the body failed (for a serializer, its error).
    Body(E),
    /// The closure removed bytes from before the body's start: it must only append.
    ///
    /// The buffer is cut back to its length before the call if it is still that long; bytes
    /// the closure removed from before that cannot be restored.
    Shrunk {
        /// Where the body started in the buffer.
        start: usize,
        /// The buffer's length when the closure returned.
        len: usize,
    },
}

#[cfg(feature = "alloc")]
impl<E> From<EncodeError> for EncodeWithError<E> {
    fn from(err: EncodeError) -> Self {
        EncodeWithError::Encode(err)
    }
}

#[cfg(feature = "alloc")]
impl<E> fmt::Display for EncodeWithError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeWithError::Encode(err) => err.fmt(f),
            // The closure's own error is the source, not repeated here.
            EncodeWithError::Body(_) => f.write_str("the frame's body could not be written"),
            EncodeWithError::Shrunk { start, len } => write!(
                f,
                "the body closure cut the buffer to {len} bytes, before the body's start at \
                 {start}; it must only append"
            ),
        }
    }
}

#[cfg(feature = "alloc")]
impl<E: core::error::Error + 'static> core::error::Error for EncodeWithError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            EncodeWithError::Encode(err) => err.source(),
            EncodeWithError::Body(err) => Some(err),
            EncodeWithError::Shrunk { .. } => None,
        }
    }
}

/// The character a [`ConfigError::StructFormat`] points at, for its message.
struct Found(Option<char>);

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(c) => write!(f, "{c:?}"),
            None => f.write_str("the end"),
        }
    }
}

/// The end of a bad length's message: the likely cause if a guess found one, else `otherwise`.
struct Advice {
    guess: Option<LayoutGuess>,
    otherwise: &'static str,
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.guess {
            Some(guess) => guess.fmt(f),
            None => f.write_str(self.otherwise),
        }
    }
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
