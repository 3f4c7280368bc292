//! The settings shared by the decoder and the encoder, and the builder that checks them.

use crate::decode::FrameDecoder;
use crate::encode::FrameEncoder;
use crate::error::{ConfigError, FrameError};
use crate::format::{LengthField, MAX_FIELD_LEN};

/// The default maximum payload length: 8 MiB.
pub const DEFAULT_MAX_FRAME_LEN: usize = 8 * 1024 * 1024;

/// The most bytes allowed before the length field ([`CodecBuilder::length_field_offset`]).
pub const MAX_LENGTH_OFFSET: usize = 16;

/// The longest header: the bytes before the length field plus the longest length field.
pub const MAX_HEADER_LEN: usize = MAX_LENGTH_OFFSET + MAX_FIELD_LEN;

/// The largest maximum payload length a codec accepts: what one allocation can hold.
pub const MAX_FRAME_LEN_LIMIT: usize = isize::MAX as usize - MAX_HEADER_LEN;

/// The framing settings: a small `Copy` value shared by [`FrameDecoder`] and [`FrameEncoder`].
///
/// A frame on the wire is a header followed by the payload:
///
/// ```text
/// +---------------------------+--------------+---------------------------+
/// | length_field_offset bytes | length field | payload                   |
/// | (default: none)           | (default <i) | payload_len bytes         |
/// +---------------------------+--------------+---------------------------+
///  <------------------ header ------------->
///
/// payload_len = value in the length field + length_adjustment
/// ```
///
/// The maximum frame length always counts the **payload alone**, never the header, on both
/// sides: a codec with a maximum of 1024 accepts a 1024-byte payload whatever the header width.
///
/// # Examples
///
/// The default is Python's `struct.pack('i', len(payload)) + payload` on x86-64 and ARM64:
///
/// ```
/// use bytes::BytesMut;
/// use lenframe::Codec;
///
/// let codec = Codec::default();
/// let mut wire = BytesMut::new();
/// codec.encoder().encode(b"aaa", &mut wire)?;
/// assert_eq!(&wire[..], b"\x03\x00\x00\x00aaa");
/// # Ok::<(), lenframe::EncodeError>(())
/// ```
///
/// Any other layout is a setting:
///
/// ```
/// use lenframe::{Codec, LengthField};
///
/// let codec = Codec::builder()
///     .length_field(LengthField::from_struct_format("!H")?)
///     .max_frame_len(4096)
///     .build()?;
/// assert_eq!(codec.max_decode_len(), 4096);
/// # Ok::<(), lenframe::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Codec {
    field: LengthField,
    length_offset: usize,
    adjustment: i64,
    max_decode_len: usize,
    max_encode_len: usize,
    keep_header: bool,
    skip_oversized: bool,
}

impl Default for Codec {
    /// `"<i"` length field, 8 MiB maximum payload both ways, header stripped, fail fast.
    fn default() -> Self {
        Codec {
            field: LengthField::default(),
            length_offset: 0,
            adjustment: 0,
            max_decode_len: DEFAULT_MAX_FRAME_LEN,
            max_encode_len: DEFAULT_MAX_FRAME_LEN,
            keep_header: false,
            skip_oversized: false,
        }
    }
}

/// What a complete header says about its frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    /// Bytes before the payload: offset plus length field.
    pub(crate) header_len: usize,
    /// The payload length after adjustment, not yet checked against the maximum.
    pub(crate) payload_len: u64,
}

impl Codec {
    /// The default settings; the same as [`Codec::default`].
    pub fn new() -> Codec {
        Codec::default()
    }

    /// Default settings with the length field named by a Python struct format string.
    ///
    /// ```
    /// let codec = lenframe::Codec::from_struct_format("!I")?;
    /// assert_eq!(codec.length_field(), lenframe::LengthField::U32_BE);
    /// # Ok::<(), lenframe::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError::StructFormat`], as [`LengthField::from_struct_format`].
    pub fn from_struct_format(format: &str) -> Result<Codec, ConfigError> {
        Codec::builder()
            .length_field(LengthField::from_struct_format(format)?)
            .build()
    }

    /// A builder starting from the default settings.
    pub fn builder() -> CodecBuilder {
        CodecBuilder {
            codec: Codec::default(),
        }
    }

    /// A builder starting from these settings, to change some of them.
    pub fn to_builder(self) -> CodecBuilder {
        CodecBuilder { codec: self }
    }

    /// A fresh decoder with these settings.
    pub fn decoder(self) -> FrameDecoder {
        FrameDecoder::new(self)
    }

    /// An encoder with these settings.
    pub fn encoder(self) -> FrameEncoder {
        FrameEncoder::new(self)
    }

    /// The length field.
    pub fn length_field(&self) -> LengthField {
        self.field
    }

    /// Bytes before the length field.
    pub fn length_field_offset(&self) -> usize {
        self.length_offset
    }

    /// Added to the length field's value to give the payload length.
    pub fn length_adjustment(&self) -> i64 {
        self.adjustment
    }

    /// The longest payload the decoder accepts.
    pub fn max_decode_len(&self) -> usize {
        self.max_decode_len
    }

    /// The longest payload the encoder accepts.
    pub fn max_encode_len(&self) -> usize {
        self.max_encode_len
    }

    /// Whether decoded frames keep their header.
    pub fn keeps_header(&self) -> bool {
        self.keep_header
    }

    /// Whether the decoder skips oversized frames instead of stopping.
    pub fn skips_oversized(&self) -> bool {
        self.skip_oversized
    }

    /// Sets the decoding maximum, clamped to [`MAX_FRAME_LEN_LIMIT`].
    pub(crate) fn set_max_decode_len(&mut self, max: usize) {
        self.max_decode_len = max.min(MAX_FRAME_LEN_LIMIT);
    }

    /// Sets the encoding maximum, clamped to [`MAX_FRAME_LEN_LIMIT`].
    pub(crate) fn set_max_encode_len(&mut self, max: usize) {
        self.max_encode_len = max.min(MAX_FRAME_LEN_LIMIT);
    }

    /// The shortest a header can be: the offset plus the length field's width (1 for a varint).
    pub fn min_header_len(&self) -> usize {
        self.length_offset + self.field.width().unwrap_or(1)
    }

    /// Parses the header at the front of `buf`, if it is all there.
    #[inline(always)]
    pub(crate) fn read_head(&self, buf: &[u8]) -> Result<Option<Head>, FrameError> {
        // The default layout ("<i", nothing before the field, no adjustment) on its own short
        // path: one load and one sign test, no branching on width, order or varint.
        if self.length_offset == 0 && self.adjustment == 0 && self.field.is_i32_le() {
            let Some(&field) = buf.first_chunk::<4>() else {
                return Ok(None);
            };
            let len = i32::from_le_bytes(field);
            if len < 0 {
                return Err(FrameError::NegativeLength { len: len.into() });
            }
            return Ok(Some(Head {
                header_len: 4,
                payload_len: len as u64,
            }));
        }
        let Some(field_bytes) = buf.get(self.length_offset..) else {
            return Ok(None);
        };
        let Some((value, field_len)) = self.field.read_len(field_bytes)? else {
            return Ok(None);
        };
        // One add on the path from the length to the next frame; the rare cases are a call, so
        // the compiler cannot turn them into a conditional move on that path.
        let payload_len = match value.checked_add_signed(self.adjustment) {
            Some(len) => len,
            None => self.adjust_out_of_range(value)?,
        };
        Ok(Some(Head {
            header_len: self.length_offset + field_len,
            payload_len,
        }))
    }

    /// `value + adjustment` when it leaves `0..=u64::MAX`: saturated above (the length check
    /// then reports it too large), an error below.
    #[cold]
    #[inline(never)]
    fn adjust_out_of_range(&self, value: u64) -> Result<u64, FrameError> {
        if self.adjustment >= 0 {
            Ok(u64::MAX)
        } else {
            Err(FrameError::AdjustedLengthNegative {
                value,
                adjustment: self.adjustment,
            })
        }
    }

    /// The error for a payload over the decoding maximum, if it is.
    #[inline]
    pub(crate) fn check_decode_len(&self, payload_len: u64) -> Result<usize, FrameError> {
        if payload_len > self.max_decode_len as u64 {
            return Err(FrameError::TooLarge {
                len: payload_len,
                max: self.max_decode_len,
            });
        }
        Ok(payload_len as usize)
    }

    /// How long the header at the front of `buf` is at least, given the bytes there so far.
    pub(crate) fn header_len_at_least(&self, buf: &[u8]) -> usize {
        match self.field.width() {
            Some(width) => self.length_offset + width,
            None => {
                let field = buf.get(self.length_offset..).unwrap_or(&[]);
                let continued = field.iter().take_while(|b| *b & 0x80 != 0).count();
                self.length_offset + continued.min(MAX_FIELD_LEN - 1) + 1
            }
        }
    }
}

/// Builds a [`Codec`], checking that the settings work together.
///
/// Every setter states its default; [`build`](Self::build) rejects combinations that could never
/// frame anything, rather than clamping them.
#[derive(Clone, Copy, Debug)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct CodecBuilder {
    codec: Codec,
}

impl CodecBuilder {
    /// The length field. Default: [`LengthField::I32_LE`] (`"<i"`).
    pub fn length_field(mut self, field: LengthField) -> Self {
        self.codec.field = field;
        self
    }

    /// The maximum payload length for both decoding and encoding, header excluded.
    /// Default: [`DEFAULT_MAX_FRAME_LEN`] (8 MiB).
    ///
    /// A decoder rejects a header announcing more before reading any of the payload; an encoder
    /// refuses a longer payload. Lengths the field cannot hold are refused too, whatever this is.
    pub fn max_frame_len(self, max: usize) -> Self {
        self.max_decode_len(max).max_encode_len(max)
    }

    /// The maximum payload length the decoder accepts, header excluded. Default: 8 MiB.
    pub fn max_decode_len(mut self, max: usize) -> Self {
        self.codec.max_decode_len = max;
        self
    }

    /// The maximum payload length the encoder accepts, header excluded. Default: 8 MiB.
    pub fn max_encode_len(mut self, max: usize) -> Self {
        self.codec.max_encode_len = max;
        self
    }

    /// Bytes before the length field (a type tag, a magic number), at most
    /// [`MAX_LENGTH_OFFSET`]. Default: 0.
    ///
    /// The decoder skips them (or returns them with [`keep_header`](Self::keep_header)); the
    /// encoder writes zeros there, which [`Header::prefix_mut`](crate::Header::prefix_mut) can
    /// change.
    ///
    /// ```text
    /// offset 2, "<H":   INPUT  | 0xCA 0xFE | 0x03 0x00 | a b c |  --> DECODED  | a b c |
    /// ```
    pub fn length_field_offset(mut self, offset: usize) -> Self {
        self.codec.length_offset = offset;
        self
    }

    /// Added to the length field's value to get the payload length. Default: 0.
    ///
    /// Use the negated header length when the field counts the header too:
    ///
    /// ```text
    /// adjustment -4, "!I":   INPUT  | 0x00 0x00 0x00 0x07 | a b c |  --> DECODED  | a b c |
    /// ```
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::{Codec, LengthField};
    ///
    /// let codec = Codec::builder()
    ///     .length_field(LengthField::U32_BE)
    ///     .length_adjustment(-4)
    ///     .build()?;
    /// let mut buf = BytesMut::from(&b"\x00\x00\x00\x07abc"[..]);
    /// assert_eq!(codec.decoder().decode(&mut buf)?.unwrap(), &b"abc"[..]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn length_adjustment(mut self, adjustment: i64) -> Self {
        self.codec.adjustment = adjustment;
        self
    }

    /// Whether decoded frames include their header (offset bytes and length field).
    /// Default: `false`, the payload alone.
    ///
    /// ```text
    /// keep_header(true), "<i":   INPUT  | 03 00 00 00 | a b c |  --> DECODED  | 03 00 00 00 a b c |
    /// ```
    pub fn keep_header(mut self, keep: bool) -> Self {
        self.codec.keep_header = keep;
        self
    }

    /// Whether [`FrameDecoder::decode`] skips the body of an oversized frame and goes on with the next
    /// one (Netty's discard mode). Default: `false`, fail fast.
    ///
    /// Either way the oversized frame is reported as [`FrameError::TooLarge`]; with skipping on,
    /// the decoder has consumed its header and discards its body as it arrives, without
    /// buffering it, so decoding again continues with the next frame.
    pub fn skip_oversized(mut self, skip: bool) -> Self {
        self.codec.skip_oversized = skip;
        self
    }

    /// Checks the settings and returns the codec.
    ///
    /// # Errors
    ///
    /// - [`ConfigError::OffsetTooLarge`] for an offset over [`MAX_LENGTH_OFFSET`];
    /// - [`ConfigError::AdjustmentOutOfRange`] for an adjustment of more than the field's largest
    ///   value either way (no frame could ever be valid);
    /// - [`ConfigError::MaxFrameLenTooLarge`] for a maximum over [`MAX_FRAME_LEN_LIMIT`].
    pub fn build(self) -> Result<Codec, ConfigError> {
        let codec = self.codec;
        if codec.length_offset > MAX_LENGTH_OFFSET {
            return Err(ConfigError::OffsetTooLarge {
                offset: codec.length_offset,
                max: MAX_LENGTH_OFFSET,
            });
        }
        let max_value = codec.field.max_value();
        if codec.adjustment.unsigned_abs() > max_value {
            return Err(ConfigError::AdjustmentOutOfRange {
                adjustment: codec.adjustment,
                field: codec.field,
                max_value,
            });
        }
        let max = codec.max_decode_len.max(codec.max_encode_len);
        if max > MAX_FRAME_LEN_LIMIT {
            return Err(ConfigError::MaxFrameLenTooLarge {
                max,
                limit: MAX_FRAME_LEN_LIMIT,
            });
        }
        Ok(codec)
    }
}
