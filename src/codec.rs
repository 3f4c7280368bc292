//! The settings shared by the decoder and the encoder, and how they read a header.

use crate::builder::CodecBuilder;
use crate::checksum::Checksum;
use crate::decode::FrameDecoder;
use crate::encode::FrameEncoder;
use crate::error::{ConfigError, FrameError};
use crate::format::{BadField, LengthBits, LengthField, MAX_FIELD_LEN};
use crate::guess::guess;
use crate::sync::SyncBytes;

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
/// For links that corrupt or drop bytes (serial lines, radio), a frame can also start with
/// [sync bytes](CodecBuilder::sync_bytes), carry its length in a
/// [bit range](CodecBuilder::length_field_bits) of the length field, and end with a
/// [checksum](CodecBuilder::checksum) trailer; with sync bytes set the decoder resynchronises
/// after noise:
///
/// ```text
/// +------------+---------------------------+--------------+----------+-----------------+
/// | sync bytes | length_field_offset bytes | length field | payload  | checksum        |
/// | (B5 62)    |                           |              |          | (width bytes)   |
/// +------------+---------------------------+--------------+----------+-----------------+
///  <---------------------- header ----------------------->
///              <--------- covered by the checksum (by default) ----->
/// ```
///
/// The maximum frame length always counts the **payload alone**, never the header, on both
/// sides: a codec with a maximum of 1024 accepts a 1024-byte payload whatever the header width.
///
/// Settings are made with [`Codec::builder`], which checks them; [`Codec::to_builder`] starts a
/// builder from an existing codec to change some of them. [`CodecBuilder`] shows every option
/// with the bytes it reads.
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
/// Any other layout is a setting, the length field named by the struct format a Python peer
/// uses:
///
/// ```
/// use lenframe::Codec;
///
/// let codec = Codec::builder().struct_format("!H").max_frame_len(4096).build()?;
/// assert_eq!(codec.max_decode_len(), 4096);
///
/// // Change one setting of an existing codec.
/// let bigger = codec.to_builder().max_frame_len(1 << 20).build()?;
/// assert_eq!(bigger.length_field(), codec.length_field());
/// # Ok::<(), lenframe::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Codec {
    pub(crate) field: LengthField,
    pub(crate) length_offset: usize,
    pub(crate) adjustment: i64,
    pub(crate) max_decode_len: usize,
    pub(crate) max_encode_len: usize,
    pub(crate) keep_header: bool,
    pub(crate) skip_oversized: bool,
    /// Fixed bytes in front of every frame (none by default).
    pub(crate) sync: SyncBytes,
    /// The length as a bit range of the field's value (the whole value by default).
    pub(crate) len_bits: Option<LengthBits>,
    /// A check after the payload (none by default).
    pub(crate) checksum: Option<Checksum>,
    /// Where the length field starts: the sync bytes and the offset, added up once by
    /// [`CodecBuilder::build`] rather than on every header.
    pub(crate) field_at: usize,
    /// Whether any of the sync bytes, bit range or checksum is set: one test keeps the paths
    /// of the other layouts as they were.
    pub(crate) extras: bool,
    /// [`plain`](Self::plain) and [`wide`](Self::wide), worked out whenever a setting changes
    /// (`build`, the maximum), so that the short paths test one value rather than every
    /// setting.
    pub(crate) plain: ShortPaths,
}

/// [`Codec::plain`] and [`Codec::wide`]: at most one of them is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ShortPaths {
    four: Option<Plain>,
    wide: Option<Wide>,
}

impl ShortPaths {
    /// No short path: every layout the general way.
    pub(crate) const NONE: ShortPaths = ShortPaths {
        four: None,
        wide: None,
    };
}

impl Default for Codec {
    /// `"<i"` length field, 8 MiB maximum payload both ways, header stripped, fail fast.
    fn default() -> Self {
        let mut codec = Codec {
            field: LengthField::default(),
            length_offset: 0,
            adjustment: 0,
            max_decode_len: DEFAULT_MAX_FRAME_LEN,
            max_encode_len: DEFAULT_MAX_FRAME_LEN,
            keep_header: false,
            skip_oversized: false,
            sync: SyncBytes::default(),
            len_bits: None,
            checksum: None,
            field_at: 0,
            extras: false,
            plain: ShortPaths::NONE,
        };
        codec.plain = codec.compute_plain();
        codec
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

/// What the front of a buffer holds, as far as the decoder can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Front {
    /// Not all of the header: at least `needed` more bytes.
    Header { needed: usize },
    /// A header whose length has been checked against the maximum; the payload may not all be
    /// there yet.
    Frame {
        header_len: usize,
        payload_len: usize,
    },
}

impl Codec {
    /// The default settings; the same as [`Codec::default`].
    pub fn new() -> Codec {
        Codec::default()
    }

    /// Default settings with the length field named by a Python struct format string.
    ///
    /// To set other options as well, use [`Codec::builder`] and
    /// [`CodecBuilder::struct_format`], or change this codec with [`to_builder`](Self::to_builder).
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::{Codec, LengthField};
    ///
    /// let codec = Codec::from_struct_format("!I")?;
    /// assert_eq!(codec.length_field(), LengthField::U32_BE);
    ///
    /// // With a maximum too, in one step or from the codec.
    /// let one_step = Codec::builder().struct_format("!I").max_frame_len(1024).build()?;
    /// let changed = codec.to_builder().max_frame_len(1024).build()?;
    /// assert_eq!(one_step, changed);
    /// # Ok::<(), lenframe::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError::StructFormat`], as [`LengthField::from_struct_format`].
    pub fn from_struct_format(format: &str) -> Result<Codec, ConfigError> {
        Codec::builder().struct_format(format).build()
    }

    /// A builder starting from the default settings.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec = lenframe::Codec::builder().max_frame_len(1024).build()?;
    /// assert_eq!(codec.max_encode_len(), 1024);
    /// # Ok::<(), lenframe::ConfigError>(())
    /// ```
    pub fn builder() -> CodecBuilder {
        CodecBuilder::from_codec(Codec::default())
    }

    /// A builder starting from these settings, to change some of them.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::Codec;
    ///
    /// let codec = Codec::from_struct_format("!I")?;
    /// let trusted = codec.to_builder().max_decode_len(64 << 20).build()?;
    /// assert_eq!(trusted.length_field(), codec.length_field());
    /// # Ok::<(), lenframe::ConfigError>(())
    /// ```
    pub fn to_builder(self) -> CodecBuilder {
        CodecBuilder::from_codec(self)
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

    /// The sync bytes in front of every frame; empty by default.
    pub fn sync_bytes(&self) -> &[u8] {
        self.sync.as_bytes()
    }

    /// The bit range of the length field that holds the length, if not all of it.
    pub fn length_field_bits(&self) -> Option<LengthBits> {
        self.len_bits
    }

    /// The checksum trailer, if any.
    pub fn checksum(&self) -> Option<Checksum> {
        self.checksum
    }

    /// The bytes after the payload: the checksum's width, 0 without one.
    pub fn trailer_len(&self) -> usize {
        self.checksum.map_or(0, |check| check.width())
    }

    /// Whether frames are checked and resynchronised by the noisy-link decoder (sync bytes or a
    /// checksum set) rather than the plain length-prefix one.
    ///
    /// A length bit range alone takes the same path, so that the paths of the other layouts
    /// never test for one.
    #[inline(always)]
    pub(crate) fn is_noisy(&self) -> bool {
        self.extras
    }

    /// The largest length the field can carry: the field's largest value, or its bit range's.
    #[inline(always)]
    pub(crate) fn max_field_value(&self) -> u64 {
        let field = self.field.max_value();
        if !self.extras {
            return field;
        }
        self.len_bits
            .map_or(field, |bits| bits.max_value().min(field))
    }

    /// Sets the decoding maximum, clamped to [`MAX_FRAME_LEN_LIMIT`].
    pub(crate) fn set_max_decode_len(&mut self, max: usize) {
        self.max_decode_len = max.min(MAX_FRAME_LEN_LIMIT);
        self.plain = self.compute_plain();
    }

    /// Sets the encoding maximum, clamped to [`MAX_FRAME_LEN_LIMIT`].
    pub(crate) fn set_max_encode_len(&mut self, max: usize) {
        self.max_encode_len = max.min(MAX_FRAME_LEN_LIMIT);
    }

    /// The shortest a header can be: the offset plus the length field's width (1 for a varint).
    pub fn min_header_len(&self) -> usize {
        self.sync.len() + self.length_offset + self.field.width().unwrap_or(1)
    }

    /// For a plain 4-byte header (a 4-byte length field, in either byte order, with nothing
    /// before it, no adjustment, stripped from the frame: the default `"<i"`, and `"!I"`),
    /// which the decoders read on their own short path, what that path needs to know; `None`
    /// for any other layout. A [`FrameDecoder`] keeps it, so that its short path tests one
    /// value rather than every setting.
    #[inline(always)]
    pub(crate) fn plain(&self) -> Option<Plain> {
        self.plain.four
    }

    /// The same as [`plain`](Self::plain) for the plain 2- and 8-byte headers (`">Q"`,
    /// `"<H"`...), which the 4-byte layouts' paths never test for: they are looked at only
    /// when `plain` is `None`.
    #[inline(always)]
    pub(crate) fn wide(&self) -> Option<Wide> {
        self.plain.wide
    }

    /// [`plain`](Self::plain) and [`wide`](Self::wide) from the settings.
    pub(crate) fn compute_plain(&self) -> ShortPaths {
        let mut paths = ShortPaths::NONE;
        let plain =
            self.length_offset == 0 && self.adjustment == 0 && !self.keep_header && !self.extras;
        if !plain {
            return paths;
        }
        let big = self.field.is_big_endian();
        // At most the signed maximum for a signed field: a negative value, read as unsigned,
        // is over it. Each limit fits its type: it is at most the field's largest value.
        let limit = (self.max_decode_len as u64).min(self.field.max_value());
        match self.field.width() {
            Some(4) if big => {
                paths.four = Some(Plain::Big {
                    limit: limit as u32,
                })
            }
            Some(4) => {
                paths.four = Some(Plain::Little {
                    limit: limit as u32,
                })
            }
            Some(2) => {
                paths.wide = Some(Wide::Short {
                    big,
                    limit: limit as u16,
                })
            }
            // The field holds any maximum: the limit is the maximum, which `front` is given.
            Some(8) => paths.wide = Some(Wide::Long { big }),
            _ => {}
        }
        paths
    }

    /// The frame at the front of `buf`: its header and payload lengths once the header is all
    /// there and its length is checked against the maximum, else how many more bytes the header
    /// needs. The one header parser of every decoding path; `plain` is
    /// [`plain`](Self::plain) and `wide` [`wide`](Self::wide) (or `None`, to take the general
    /// path).
    #[inline(always)]
    pub(crate) fn front(
        &self,
        buf: &[u8],
        plain: Option<Plain>,
        wide: Option<Wide>,
    ) -> Result<Front, FrameError> {
        if let Some(plain) = plain {
            let Some(&field) = buf.first_chunk::<4>() else {
                return Ok(Front::Header {
                    needed: 4 - buf.len(),
                });
            };
            let Some(payload_len) = plain.len(field) else {
                return Err(self.rejected(buf));
            };
            return Ok(Front::Frame {
                header_len: 4,
                payload_len,
            });
        }
        if let Some(wide) = wide {
            return match wide.front(buf, self.max_decode_len) {
                Some(front) => Ok(front),
                None => Err(self.rejected(buf)),
            };
        }
        let Some(head) = self.read_head(buf)? else {
            return Ok(Front::Header {
                needed: self.header_len_at_least(buf) - buf.len(),
            });
        };
        Ok(Front::Frame {
            header_len: head.header_len,
            payload_len: self.check_len(head, buf)?,
        })
    }

    /// The error for the complete header at the front of `buf`, which [`Plain::len`] or
    /// [`Wide::front`] rejected.
    #[cold]
    #[inline(never)]
    pub(crate) fn rejected(&self, buf: &[u8]) -> FrameError {
        match self.read_head(buf) {
            Ok(Some(head)) => match self.check_len(head, buf) {
                Err(err) => err,
                Ok(_) => unreachable!("the short path rejects only bad lengths"),
            },
            Err(err) => err,
            Ok(None) => unreachable!("the short path rejects only complete headers"),
        }
    }

    /// Parses the header at the front of `buf`, if it is all there, without checking the length
    /// against the maximum.
    #[inline(always)]
    pub(crate) fn read_head(&self, buf: &[u8]) -> Result<Option<Head>, FrameError> {
        self.read_head_bits(buf, false)
    }

    /// [`read_head`](Self::read_head), taking the length from its bit range if `bits` (the
    /// noisy-link path; a constant everywhere, so the other paths have no test for it).
    #[inline(always)]
    pub(crate) fn read_head_bits(
        &self,
        buf: &[u8],
        bits: bool,
    ) -> Result<Option<Head>, FrameError> {
        let field_at = self.field_at;
        let Some(field_bytes) = buf.get(field_at..) else {
            return Ok(None);
        };
        let (mut value, field_len) = match self.field.read(field_bytes) {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(None),
            Err(bad) => return Err(self.bad_field(bad, buf)),
        };
        if bits {
            if let Some(bits) = self.len_bits {
                value = bits.extract(value);
            }
        }
        // Most layouts have no adjustment: one test, rather than an add checked both ways. The
        // rare cases are a call, so the compiler cannot turn them into a conditional move.
        let payload_len = if self.adjustment == 0 {
            value
        } else {
            match value.checked_add_signed(self.adjustment) {
                Some(len) => len,
                None => return Err(self.adjust_out_of_range(value)),
            }
        };
        Ok(Some(Head {
            header_len: field_at + field_len,
            payload_len,
        }))
    }

    /// The error for `value + adjustment` outside `0..=u64::MAX`.
    #[cold]
    #[inline(never)]
    fn adjust_out_of_range(&self, value: u64) -> FrameError {
        let adjustment = self.adjustment;
        if adjustment >= 0 {
            FrameError::AdjustedLengthOverflow { value, adjustment }
        } else {
            FrameError::AdjustedLengthNegative { value, adjustment }
        }
    }

    /// The error for a bad length field in the header at the front of `buf`, with the likely
    /// cause of a negative length.
    #[cold]
    #[inline(never)]
    fn bad_field(&self, bad: BadField, buf: &[u8]) -> FrameError {
        match bad {
            BadField::Negative(len) => FrameError::NegativeLength {
                len,
                guess: guess(self, buf),
            },
            other => other.into_frame_error(),
        }
    }

    /// The payload length of `head` (parsed from the front of `buf`) if it is within the
    /// decoding maximum.
    #[inline(always)]
    pub(crate) fn check_len(&self, head: Head, buf: &[u8]) -> Result<usize, FrameError> {
        if head.payload_len > self.max_decode_len as u64 {
            return Err(self.too_large(head.payload_len, buf));
        }
        Ok(head.payload_len as usize)
    }

    #[cold]
    #[inline(never)]
    fn too_large(&self, len: u64, buf: &[u8]) -> FrameError {
        FrameError::TooLarge {
            len,
            max: self.max_decode_len,
            guess: guess(self, buf),
        }
    }

    /// How long the header at the front of `buf` is at least, given the bytes there so far.
    pub(crate) fn header_len_at_least(&self, buf: &[u8]) -> usize {
        match self.field.width() {
            Some(width) => self.field_at + width,
            None => {
                let field_at = self.field_at;
                let field = buf.get(field_at..).unwrap_or(&[]);
                let continued = field.iter().take_while(|b| *b & 0x80 != 0).count();
                field_at + continued.min(MAX_FIELD_LEN - 1) + 1
            }
        }
    }
}

/// What the short path for a plain 4-byte header needs: see [`Codec::plain`]. The byte order is
/// the variant, so that testing for the default layout is one comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Plain {
    /// Little-endian, at most `limit` (the maximum, or less if the field holds less).
    Little { limit: u32 },
    /// Big-endian, at most `limit`.
    Big { limit: u32 },
}

impl Plain {
    /// The payload length in the header `field` if it is acceptable, `None` if the header is
    /// bad ([`Codec::rejected`] says why).
    #[inline(always)]
    pub(crate) fn len(self, field: [u8; 4]) -> Option<usize> {
        // One comparison: as a `u32`, a negative `i32` is over `i32::MAX`, and so over the
        // limit; which error it is, is sorted out off this path.
        let (value, limit) = match self {
            Plain::Little { limit } => (u32::from_le_bytes(field), limit),
            Plain::Big { limit } => (read_big_endian(field), limit),
        };
        (value <= limit).then_some(value as usize)
    }
}

/// What the short path for a plain 2- or 8-byte header needs: see [`Codec::wide`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Wide {
    /// 2 bytes, big-endian if `big`, at most `limit`.
    Short { big: bool, limit: u16 },
    /// 8 bytes, big-endian if `big`, at most the decoding maximum (any maximum fits the field).
    Long { big: bool },
}

impl Wide {
    /// The header's and payload's lengths of the frame at the front of `buf` if its header is
    /// all there and acceptable, or how many more bytes the header needs; `None` if the header
    /// is bad ([`Codec::rejected`] says why). `max` is the decoding maximum.
    #[inline(always)]
    pub(crate) fn front(self, buf: &[u8], max: usize) -> Option<Front> {
        // One comparison each: read as unsigned, a negative signed value is over the field's
        // signed maximum, and so over the limit; which error it is, is sorted out off this path.
        match self {
            Wide::Short { big, limit } => take(
                buf,
                |field| match big {
                    true => u16::from_be_bytes(field),
                    false => u16::from_le_bytes(field),
                },
                limit,
            ),
            Wide::Long { big } => take(
                buf,
                |field| match big {
                    true => u64::from_be_bytes(field),
                    false => u64::from_le_bytes(field),
                },
                max as u64,
            ),
        }
    }
}

/// [`Wide::front`] for an `N`-byte field that `read` reads, at most `limit`.
#[inline(always)]
fn take<const N: usize, T: Into<u64>>(
    buf: &[u8],
    read: impl FnOnce([u8; N]) -> T,
    limit: T,
) -> Option<Front> {
    let Some(&field) = buf.first_chunk::<N>() else {
        return Some(Front::Header {
            needed: N - buf.len(),
        });
    };
    let value = read(field).into();
    // No truncation: the limit is at most the decoding maximum, a `usize`.
    (value <= limit.into()).then_some(Front::Frame {
        header_len: N,
        payload_len: value as usize,
    })
}

/// `u32::from_be_bytes`, out of line: inline, the compiler merges the two byte orders of
/// [`Plain::len`] into a conditional byte swap that every frame of the default layout pays for.
#[inline(never)]
fn read_big_endian(field: [u8; 4]) -> u32 {
    u32::from_be_bytes(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::ByteOrder;

    fn with(builder: CodecBuilder) -> Codec {
        builder.build().unwrap()
    }

    /// The decoders' short path is worth having only if the common layouts take it: losing it
    /// changes no result, only the speed of every frame.
    #[test]
    fn the_short_path_takes_exactly_the_plain_2_4_and_8_byte_layouts() {
        let default_limit = DEFAULT_MAX_FRAME_LEN as u32;
        assert_eq!(
            Codec::default().plain(),
            Some(Plain::Little {
                limit: default_limit
            })
        );
        assert_eq!(
            with(Codec::builder().struct_format("!I")).plain(),
            Some(Plain::Big {
                limit: default_limit
            })
        );
        // The limit is the maximum, or what the field can hold if that is less.
        let huge = u32::MAX as usize + 10;
        assert_eq!(
            with(Codec::builder().max_frame_len(huge)).plain(),
            Some(Plain::Little {
                limit: i32::MAX as u32
            })
        );
        assert_eq!(
            with(Codec::builder().struct_format("<I").max_frame_len(huge)).plain(),
            Some(Plain::Little { limit: u32::MAX })
        );
        assert_eq!(
            with(Codec::builder().struct_format(">Q")).wide(),
            Some(Wide::Long { big: true })
        );
        assert_eq!(
            with(Codec::builder().struct_format("<q").max_frame_len(huge)).wide(),
            Some(Wide::Long { big: false })
        );
        assert_eq!(
            with(Codec::builder().struct_format("<H")).wide(),
            Some(Wide::Short {
                big: false,
                limit: u16::MAX
            })
        );
        assert_eq!(
            with(Codec::builder().struct_format("!h")).wide(),
            Some(Wide::Short {
                big: true,
                limit: i16::MAX as u16
            })
        );
        // Each layout has one short path: the 4-byte ones never test for the others'.
        assert_eq!(Codec::default().wide(), None);
        assert_eq!(with(Codec::builder().struct_format("!I")).wide(), None);
        assert_eq!(with(Codec::builder().struct_format(">Q")).plain(), None);
        assert_eq!(with(Codec::builder().struct_format("<H")).plain(), None);
        let others = [
            Codec::builder().length_field_offset(1),
            Codec::builder().length_adjustment(-4),
            Codec::builder().keep_header(true),
            Codec::builder().struct_format("B"),
            Codec::builder().struct_format(">Q").length_adjustment(8),
            Codec::builder().length_field(LengthField::VARINT),
            Codec::builder().length_field(LengthField::fixed(3, false, ByteOrder::Little).unwrap()),
        ];
        for builder in others {
            let codec = with(builder);
            assert_eq!(codec.plain(), None, "{codec:?}");
            assert_eq!(codec.wide(), None, "{codec:?}");
        }
    }
}
