//! The length field: how a payload's length is written in front of it.
//!
//! A [`LengthField`] is either a fixed-width integer (1 to 8 bytes, signed or unsigned, in big,
//! little or native byte order; the widths 1, 2, 4 and 8 named by the same struct format string a
//! Python peer passes to `struct.pack`), or an unsigned LEB128 varint as protobuf's
//! `writeDelimitedTo` writes it, optionally capped at fewer bytes (MQTT's remaining length).

use core::fmt;
use core::str::FromStr;

use byteorder::{BigEndian, LittleEndian, NativeEndian};

use crate::error::{ConfigError, EncodeError, FrameError};

/// The longest length field: a 10-byte varint.
pub const MAX_FIELD_LEN: usize = 10;

/// The struct codes [`LengthField::from_struct_format`] accepts, for error messages and docs.
pub(crate) const ACCEPTED_FORMATS: &str =
    "one of the integer codes b B h H i I q Q, optionally after a byte-order prefix < > ! = @ \
     (for example \"i\", \"<i\", \"!I\", \"<H\", \">q\")";

/// The byte order of a fixed-width length field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Least significant byte first: Python's `<` prefix.
    Little,
    /// Most significant byte first (network order): Python's `>` and `!` prefixes.
    Big,
    /// The order of the machine running the code: Python's `=`, `@` and no prefix.
    ///
    /// Little-endian on x86-64 and ARM64, so `"i"` there is the same as `"<i"`.
    Native,
}

/// Where a frame's length is written and how.
///
/// # Examples
///
/// ```
/// use lenframe::LengthField;
///
/// // The bytes Python's struct.pack('!I', 5) writes.
/// let field = LengthField::from_struct_format("!I")?;
/// assert_eq!(field.width(), Some(4));
/// let mut out = [0u8; lenframe::MAX_FIELD_LEN];
/// let n = field.write_len(5, &mut out)?;
/// assert_eq!(&out[..n], &[0, 0, 0, 5]);
///
/// // The same string parses with `str::parse` and `try_from`.
/// assert_eq!("!I".parse::<LengthField>()?, field);
/// assert_eq!(LengthField::try_from("!I")?, LengthField::U32_BE);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Widths Python's `struct` has no code for (3, 5, 6 and 7 bytes, as tokio-util and Netty allow)
/// come from [`fixed`](Self::fixed):
///
/// ```
/// use lenframe::{ByteOrder, LengthField};
///
/// // MySQL's packet length: 3 bytes, little-endian.
/// let field = LengthField::fixed(3, false, ByteOrder::Little)?;
/// assert_eq!(field.max_value(), 0xff_ffff);
/// assert_eq!(field.read_len(&[0x2c, 0x01, 0x00])?, Some((300, 3)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LengthField {
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    /// 1, 2, 4 or 8 bytes: a width with a struct code, read with one load.
    Fixed {
        width: u8,
        signed: bool,
        order: ByteOrder,
    },
    /// 3, 5, 6 or 7 bytes: kept apart so that reading the common widths is not slowed by them.
    OddWidth {
        width: u8,
        signed: bool,
        order: ByteOrder,
    },
    /// LEB128, at most `max_bytes` (1 to 10) bytes long.
    Varint { max_bytes: u8 },
}

impl Default for LengthField {
    /// `"<i"`: 4 bytes, signed, little-endian, what `struct.pack('i', n)` writes on x86-64.
    fn default() -> Self {
        LengthField::I32_LE
    }
}

impl LengthField {
    /// `"<i"`, the default: 4 bytes, signed, little-endian.
    pub const I32_LE: LengthField = LengthField::fixed_const(4, true, ByteOrder::Little);
    /// `"!I"`: 4 bytes, unsigned, big-endian; tokio-util's and Netty's default.
    pub const U32_BE: LengthField = LengthField::fixed_const(4, false, ByteOrder::Big);
    /// Unsigned LEB128 varint, as protobuf's `writeDelimitedTo` and prost's
    /// `encode_length_delimited` write it: 1 to 10 bytes.
    pub const VARINT: LengthField = LengthField {
        kind: Kind::Varint {
            max_bytes: MAX_FIELD_LEN as u8,
        },
    };

    pub(crate) const fn fixed_const(width: u8, signed: bool, order: ByteOrder) -> LengthField {
        LengthField {
            kind: Kind::Fixed {
                width,
                signed,
                order,
            },
        }
    }

    /// A fixed-width integer field of `width` bytes, 1 to 8.
    ///
    /// Widths 1, 2, 4 and 8 are what Python's struct codes `b`/`B`, `h`/`H`, `i`/`I` and
    /// `q`/`Q` write ([`from_struct_format`](Self::from_struct_format) names them the same way).
    /// Widths 3, 5, 6 and 7 have no struct code; tokio-util's `length_field_length` and Netty's
    /// `LengthFieldBasedFrameDecoder` take them, and MySQL's packet header starts with a 3-byte
    /// little-endian length (see [`CodecBuilder::length_field_offset`](crate::CodecBuilder::length_field_offset)
    /// for that layout).
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::{ByteOrder, LengthField};
    ///
    /// let field = LengthField::fixed(3, false, ByteOrder::Big)?;
    /// let mut out = [0u8; lenframe::MAX_FIELD_LEN];
    /// let n = field.write_len(0x01_0203, &mut out)?;
    /// assert_eq!(&out[..n], &[0x01, 0x02, 0x03]);
    /// assert_eq!(LengthField::fixed(4, true, ByteOrder::Little)?, LengthField::I32_LE);
    /// assert!(LengthField::fixed(9, false, ByteOrder::Big).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError::UnsupportedWidth`] for a width of 0 or more than 8.
    pub fn fixed(width: usize, signed: bool, order: ByteOrder) -> Result<LengthField, ConfigError> {
        let width8 = width as u8;
        match width {
            1 | 2 | 4 | 8 => Ok(LengthField::fixed_const(width8, signed, order)),
            3 | 5 | 6 | 7 => Ok(LengthField {
                kind: Kind::OddWidth {
                    width: width8,
                    signed,
                    order,
                },
            }),
            _ => Err(ConfigError::UnsupportedWidth { width }),
        }
    }

    /// Width, sign and byte order of a fixed-width field, `None` for a varint.
    #[inline(always)]
    fn parts(&self) -> Option<(u8, bool, ByteOrder)> {
        match self.kind {
            Kind::Fixed {
                width,
                signed,
                order,
            }
            | Kind::OddWidth {
                width,
                signed,
                order,
            } => Some((width, signed, order)),
            Kind::Varint { .. } => None,
        }
    }

    /// An unsigned LEB128 varint of at most `max_bytes` bytes (1 to 10): a continuation bit
    /// on byte number `max_bytes` is a framing error, not a longer length.
    ///
    /// MQTT's "remaining length" is this with a cap of 4 (MQTT 3.1.1 section 2.2.3, MQTT 5
    /// section 1.5.5): 7 bits a byte, least significant group first, so the largest length is
    /// 2^28 - 1 = 268 435 455, and a fifth byte makes the packet malformed. `varint_max(10)` is
    /// [`VARINT`](Self::VARINT). The cap also bounds what the field can hold
    /// ([`max_value`](Self::max_value)), so an encoder refuses a payload the peer would reject.
    ///
    /// An MQTT packet: the fixed header byte, then the remaining length (offset 1, see
    /// [`CodecBuilder::length_field_offset`](crate::CodecBuilder::length_field_offset)), kept
    /// in the frame so the packet type stays with its body:
    ///
    /// ```text
    ///          INPUT                                      DECODED
    /// +------+--------+------------+           +------+--------+------------+
    /// | 0x30 |  0x05  | 5 bytes    |   ---->   | 0x30 |  0x05  | 5 bytes    |
    /// | type | varint | body       |           | type | varint | body       |
    /// +------+--------+------------+           +------+--------+------------+
    ///
    /// +------+------------------------+        FrameError::VarintPastCap { max_bytes: 4 }
    /// | 0x30 | 0x80 0x80 0x80 0x80 .. |  ---->  (a fifth length byte: malformed)
    /// +------+------------------------+
    /// ```
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::{Codec, Decoded, FrameError, LengthField};
    ///
    /// let mqtt = Codec::builder()
    ///     .length_field(LengthField::varint_max(4)?)
    ///     .length_field_offset(1)
    ///     .keep_header(true)
    ///     .build()?;
    /// // PUBLISH (0x30), remaining length 5: topic length 0x0003, topic "a/b", no payload.
    /// let packet = b"\x30\x05\x00\x03a/b";
    /// assert_eq!(
    ///     mqtt.decode_slice(packet)?,
    ///     Decoded::Frame { frame: &packet[..], consumed: 7 }
    /// );
    ///
    /// // A remaining length with a continuation bit on its fourth byte.
    /// let err = mqtt.decode_slice(b"\x30\x80\x80\x80\x80\x01").unwrap_err();
    /// assert_eq!(err, FrameError::VarintPastCap { max_bytes: 4 });
    ///
    /// assert_eq!(LengthField::varint_max(4)?.max_value(), 268_435_455);
    /// assert_eq!(LengthField::varint_max(10)?, LengthField::VARINT);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError::UnsupportedVarintCap`] for a cap of 0 or more than 10 bytes.
    pub fn varint_max(max_bytes: usize) -> Result<LengthField, ConfigError> {
        if max_bytes == 0 || max_bytes > MAX_FIELD_LEN {
            return Err(ConfigError::UnsupportedVarintCap { max_bytes });
        }
        Ok(LengthField {
            kind: Kind::Varint {
                max_bytes: max_bytes as u8,
            },
        })
    }

    /// The most bytes a varint field may take: 10 for [`VARINT`](Self::VARINT), the cap given
    /// to [`varint_max`](Self::varint_max); `None` for a fixed-width field.
    pub fn varint_max_bytes(&self) -> Option<usize> {
        match self.kind {
            Kind::Varint { max_bytes } => Some(usize::from(max_bytes)),
            _ => None,
        }
    }

    /// Parses a Python struct format string holding exactly one integer.
    ///
    /// | code | Python type | width | range |
    /// |------|-------------|-------|-------|
    /// | `b`  | signed char | 1 | -128 ..= 127 |
    /// | `B`  | unsigned char | 1 | 0 ..= 255 |
    /// | `h`  | short | 2 | -32768 ..= 32767 |
    /// | `H`  | unsigned short | 2 | 0 ..= 65535 |
    /// | `i`  | int | 4 | -2^31 ..= 2^31-1 |
    /// | `I`  | unsigned int | 4 | 0 ..= 2^32-1 |
    /// | `q`  | long long | 8 | -2^63 ..= 2^63-1 |
    /// | `Q`  | unsigned long long | 8 | 0 ..= 2^64-1 |
    ///
    /// The optional first character picks the byte order: `<` little, `>` or `!` big, `=`, `@`
    /// or nothing native (as in Python). The rest follows Python's grammar (CPython 3.11 was
    /// checked against every string of up to three characters over a mixed alphabet, see
    /// `tests/data/gen_struct_vectors.py`): whitespace between items is ignored, a repeat count
    /// of 1 is the same as none (`"1i"`, `"01i"`), and items with a repeat count of 0 pack
    /// nothing (`"0xi"`), unless in native mode they pad the integer before them to their
    /// alignment (`"i0q"` is 8 bytes in Python, so it is refused). Anything that would pack
    /// more than the one integer, or another type, is an error; so are `l` and `L`, whose native
    /// width depends on the platform. Negative lengths from a signed code are rejected when
    /// decoding.
    ///
    /// [`FromStr`] and `TryFrom<&str>` do the same, so `"!I".parse::<LengthField>()` works too.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::{ByteOrder, LengthField};
    ///
    /// let field = LengthField::from_struct_format("<H")?;
    /// assert_eq!(field, LengthField::fixed(2, false, ByteOrder::Little)?);
    /// assert_eq!(LengthField::from_struct_format("!1I")?, LengthField::U32_BE);
    /// assert!(LengthField::from_struct_format("3i").is_err());
    /// # Ok::<(), lenframe::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError::StructFormat`] for anything else (`"f"`, `"3i"`, `"ii"`, `"s"`, `""`),
    /// with the byte position and character where the format stops describing one integer.
    pub fn from_struct_format(format: &str) -> Result<LengthField, ConfigError> {
        crate::struct_format::parse(format)
    }

    /// The struct format string a Python peer passes to `struct.pack` for this field (`"<i"`,
    /// `"!I"`, `"=q"`), or `None` for a varint or a width Python has no code for (3, 5, 6, 7).
    ///
    /// Big-endian fields give the `!` prefix (network order), native ones `=`.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::{ByteOrder, LengthField};
    ///
    /// assert_eq!(LengthField::default().struct_format(), Some("<i"));
    /// assert_eq!(LengthField::from_struct_format(">H")?.struct_format(), Some("!H"));
    /// assert_eq!(LengthField::fixed(3, false, ByteOrder::Little)?.struct_format(), None);
    /// # Ok::<(), lenframe::ConfigError>(())
    /// ```
    pub fn struct_format(&self) -> Option<&'static str> {
        const FORMATS: [[&str; 8]; 3] = [
            ["<b", "<B", "<h", "<H", "<i", "<I", "<q", "<Q"],
            ["!b", "!B", "!h", "!H", "!i", "!I", "!q", "!Q"],
            ["=b", "=B", "=h", "=H", "=i", "=I", "=q", "=Q"],
        ];
        let Kind::Fixed {
            width,
            signed,
            order,
        } = self.kind
        else {
            return None;
        };
        let row = match order {
            ByteOrder::Little => 0,
            ByteOrder::Big => 1,
            ByteOrder::Native => 2,
        };
        let column = match width {
            1 => 0,
            2 => 2,
            4 => 4,
            8 => 6,
            _ => return None,
        } + usize::from(!signed);
        Some(FORMATS[row][column])
    }

    /// The field's width in bytes, or `None` for a varint (1 to 10 bytes).
    pub fn width(&self) -> Option<usize> {
        self.parts().map(|(width, _, _)| usize::from(width))
    }

    /// Whether the field is a signed integer (negative values are decoding errors).
    pub fn is_signed(&self) -> bool {
        matches!(self.parts(), Some((_, true, _)))
    }

    /// Whether the field is a LEB128 varint.
    pub fn is_varint(&self) -> bool {
        matches!(self.kind, Kind::Varint { .. })
    }

    /// The byte order of a fixed-width field, `None` for a varint.
    pub fn byte_order(&self) -> Option<ByteOrder> {
        self.parts().map(|(_, _, order)| order)
    }

    /// The largest value the field can hold: 127 for `b`, `i32::MAX` for `i`, `u64::MAX` for
    /// `Q` and uncapped varints, 2^(7 n) - 1 for a varint capped at n < 10 bytes.
    #[inline]
    pub fn max_value(&self) -> u64 {
        match self.kind {
            Kind::Varint { max_bytes } => {
                let bits = 7 * u32::from(max_bytes);
                u64::MAX >> 64u32.saturating_sub(bits)
            }
            _ => match self.parts() {
                Some((width, signed, _)) => {
                    let bits = u32::from(width) * 8 - u32::from(signed);
                    u64::MAX >> (64 - bits)
                }
                None => u64::MAX,
            },
        }
    }

    /// How many bytes [`write_len`](Self::write_len) writes for `value`.
    pub fn encoded_len(&self, value: u64) -> usize {
        match self.parts() {
            Some((width, _, _)) => usize::from(width),
            None => {
                let bits = 64 - (value | 1).leading_zeros() as usize;
                bits.div_ceil(7)
            }
        }
    }

    /// Writes `value` into the front of `out` and returns how many bytes it used.
    ///
    /// This is the encoder's own writer ([`FrameEncoder`](crate::FrameEncoder) builds every
    /// header with it), which the tests check against the bytes Python's `struct.pack` writes.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::LengthField;
    ///
    /// let mut out = [0u8; lenframe::MAX_FIELD_LEN];
    /// let n = LengthField::VARINT.write_len(300, &mut out)?;
    /// assert_eq!(&out[..n], &[0xac, 0x02]);
    /// # Ok::<(), lenframe::EncodeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unrepresentable`] if `value` is over [`max_value`](Self::max_value).
    #[inline]
    pub fn write_len(
        &self,
        value: u64,
        out: &mut [u8; MAX_FIELD_LEN],
    ) -> Result<usize, EncodeError> {
        if value > self.max_value() {
            return Err(EncodeError::Unrepresentable {
                value: i128::from(value),
                field: *self,
            });
        }
        let (bytes, len) = self.field_bytes(value);
        out[..len].copy_from_slice(&bytes.to_le_bytes()[..len]);
        Ok(len)
    }

    /// The one writer of a length field: `value`, already checked against
    /// [`max_value`](Self::max_value), as the field's bytes (the first byte in the lowest
    /// bits of the `u128`) and how many there are. Built in registers, a fixed-width field with
    /// one shift and at most one byte swap whatever its width, so that
    /// [`FrameEncoder::header`](crate::FrameEncoder::header) can place it without a store of
    /// variable length.
    #[inline(always)]
    pub(crate) fn field_bytes(&self, value: u64) -> (u128, usize) {
        match self.parts() {
            Some((width, _, order)) => {
                // The value fits in `width` bytes. Big-endian: shift it to the top of the u64 so
                // that after the swap its most significant byte comes first.
                let word = if is_big(order) {
                    (value << (64 - 8 * u32::from(width))).swap_bytes()
                } else {
                    value
                };
                (u128::from(word), usize::from(width))
            }
            None => {
                let (mut word, mut len, mut rest) = (0u128, 0, value);
                while rest >= 0x80 {
                    word |= u128::from(rest as u8 | 0x80) << (8 * len);
                    rest >>= 7;
                    len += 1;
                }
                (word | u128::from(rest as u8) << (8 * len), len + 1)
            }
        }
    }

    /// Reads a length from the front of `buf`.
    ///
    /// Returns `Ok(None)` when `buf` holds only part of the field, otherwise the value and the
    /// number of bytes the field used.
    ///
    /// # Errors
    ///
    /// [`FrameError::NegativeLength`] for a negative signed value (with no
    /// [`guess`](FrameError::NegativeLength::guess): the field alone knows no maximum to judge
    /// one by; decoders add it), [`FrameError::VarintTooLong`] and
    /// [`FrameError::VarintOverflow`] for a malformed varint.
    #[inline(always)]
    pub fn read_len(&self, buf: &[u8]) -> Result<Option<(u64, usize)>, FrameError> {
        self.read(buf).map_err(BadField::into_frame_error)
    }

    /// [`read_len`](Self::read_len) with a small error, which keeps the decoder's result in
    /// registers on its path.
    #[inline(always)]
    pub(crate) fn read(&self, buf: &[u8]) -> Result<Option<(u64, usize)>, BadField> {
        match self.kind {
            Kind::Fixed {
                width,
                signed,
                order,
            } => {
                let width = usize::from(width);
                let Some(src) = buf.get(..width) else {
                    return Ok(None);
                };
                match read_fixed(src, order, signed) {
                    Ok(value) => Ok(Some((value, width))),
                    Err(len) => Err(BadField::Negative(len)),
                }
            }
            Kind::OddWidth {
                width,
                signed,
                order,
            } => read_odd_width(buf, usize::from(width), order, signed),
            Kind::Varint { max_bytes } => read_varint(buf, usize::from(max_bytes)),
        }
    }

    /// Whether this is a big-endian fixed-width field (on this machine, for native order).
    #[inline(always)]
    pub(crate) fn is_big_endian(&self) -> bool {
        matches!(self.parts(), Some((_, _, order)) if is_big(order))
    }
}

/// Whether `order` is big-endian on this machine.
#[inline(always)]
fn is_big(order: ByteOrder) -> bool {
    match order {
        ByteOrder::Little => false,
        ByteOrder::Big => true,
        ByteOrder::Native => cfg!(target_endian = "big"),
    }
}

/// Reads the integer filling `src` (1, 2, 4 or 8 bytes) with a fixed-size load for each width,
/// rather than a copy of a variable length: `Ok` with its value, or `Err` with the value of a
/// negative signed integer.
#[inline(always)]
fn read_fixed(src: &[u8], order: ByteOrder, signed: bool) -> Result<u64, i64> {
    #[inline(always)]
    fn read<B: byteorder::ByteOrder>(src: &[u8], signed: bool) -> Result<u64, i64> {
        macro_rules! check {
            ($value:expr, $signed:ty) => {{
                let value = $value;
                if signed && (value as $signed) < 0 {
                    Err(i64::from(value as $signed))
                } else {
                    Ok(u64::from(value))
                }
            }};
        }
        match src.len() {
            4 => check!(B::read_u32(src), i32),
            1 => check!(src[0], i8),
            2 => check!(B::read_u16(src), i16),
            _ => check!(B::read_u64(src), i64),
        }
    }
    match order {
        ByteOrder::Little => read::<LittleEndian>(src, signed),
        ByteOrder::Big => read::<BigEndian>(src, signed),
        ByteOrder::Native => read::<NativeEndian>(src, signed),
    }
}

/// What is wrong with a length field, before the decoder makes a [`FrameError`] of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BadField {
    /// A signed field holds this negative value.
    Negative(i64),
    /// A varint runs past 10 bytes.
    VarintTooLong,
    /// A varint does not fit in 64 bits.
    VarintOverflow,
    /// A capped varint has a continuation bit on its last allowed byte.
    VarintPastCap(u8),
}

impl BadField {
    /// The error, with no guess at its cause.
    #[cold]
    pub(crate) fn into_frame_error(self) -> FrameError {
        match self {
            BadField::Negative(len) => FrameError::NegativeLength { len, guess: None },
            BadField::VarintTooLong => FrameError::VarintTooLong,
            BadField::VarintOverflow => FrameError::VarintOverflow,
            BadField::VarintPastCap(max_bytes) => FrameError::VarintPastCap {
                max_bytes: usize::from(max_bytes),
            },
        }
    }
}

/// [`LengthField::read`] for the widths without a struct code: 3, 5, 6 and 7 bytes.
#[cold]
fn read_odd_width(
    buf: &[u8],
    width: usize,
    order: ByteOrder,
    signed: bool,
) -> Result<Option<(u64, usize)>, BadField> {
    let Some(src) = buf.get(..width) else {
        return Ok(None);
    };
    let value = if is_big(order) {
        <BigEndian as byteorder::ByteOrder>::read_uint(src, width)
    } else {
        <LittleEndian as byteorder::ByteOrder>::read_uint(src, width)
    };
    let bits = 8 * width as u32;
    if signed && value >> (bits - 1) == 1 {
        // Sign-extend: the value less 2^bits.
        return Err(BadField::Negative(value as i64 - (1i64 << bits)));
    }
    Ok(Some((value, width)))
}

/// Reads a LEB128 varint of at most `max_bytes` (1 to 10) bytes.
fn read_varint(buf: &[u8], max_bytes: usize) -> Result<Option<(u64, usize)>, BadField> {
    let mut value = 0u64;
    for (i, &byte) in buf.iter().take(max_bytes).enumerate() {
        let low = u64::from(byte & 0x7f);
        // The tenth byte carries bit 63 only: anything more would not fit in a u64.
        if i == MAX_FIELD_LEN - 1 && (low > 1) {
            return Err(BadField::VarintOverflow);
        }
        value |= low << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if buf.len() < max_bytes {
        Ok(None)
    } else if max_bytes == MAX_FIELD_LEN {
        Err(BadField::VarintTooLong)
    } else {
        Err(BadField::VarintPastCap(max_bytes as u8))
    }
}

impl fmt::Display for LengthField {
    /// The struct format string (`<i`, `!I`, see [`struct_format`](LengthField::struct_format)),
    /// `varint`, or for a width without a struct code its description (`3-byte unsigned
    /// little-endian`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(format) = self.struct_format() {
            return f.write_str(format);
        }
        match self.parts() {
            Some((width, signed, order)) => {
                let sign = if signed { "signed" } else { "unsigned" };
                let order = match order {
                    ByteOrder::Little => "little-endian",
                    ByteOrder::Big => "big-endian",
                    ByteOrder::Native => "native-order",
                };
                write!(f, "{width}-byte {sign} {order}")
            }
            None => match self.varint_max_bytes() {
                Some(max_bytes) if max_bytes < MAX_FIELD_LEN => {
                    write!(f, "varint of at most {max_bytes} bytes")
                }
                _ => f.write_str("varint"),
            },
        }
    }
}

impl FromStr for LengthField {
    type Err = ConfigError;

    /// [`LengthField::from_struct_format`].
    fn from_str(format: &str) -> Result<LengthField, ConfigError> {
        LengthField::from_struct_format(format)
    }
}

impl TryFrom<&str> for LengthField {
    type Error = ConfigError;

    /// [`LengthField::from_struct_format`].
    fn try_from(format: &str) -> Result<LengthField, ConfigError> {
        LengthField::from_struct_format(format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_round_trips_through_the_parser() {
        for code in ["b", "B", "h", "H", "i", "I", "q", "Q"] {
            for prefix in ["", "<", ">", "!", "=", "@"] {
                let field = LengthField::from_struct_format(&format!("{prefix}{code}")).unwrap();
                let shown = field.to_string();
                assert_eq!(LengthField::from_struct_format(&shown).unwrap(), field);
            }
        }
    }

    #[test]
    fn varint_lengths_match_protobuf() {
        let cases: [(u64, &[u8]); 5] = [
            (0, &[0x00]),
            (1, &[0x01]),
            (300, &[0xac, 0x02]),
            (u64::from(u32::MAX), &[0xff, 0xff, 0xff, 0xff, 0x0f]),
            (
                u64::MAX,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
        ];
        for (value, bytes) in cases {
            let mut out = [0; MAX_FIELD_LEN];
            let n = LengthField::VARINT.write_len(value, &mut out).unwrap();
            assert_eq!(&out[..n], bytes, "writing {value}");
            assert_eq!(LengthField::VARINT.encoded_len(value), n);
            assert_eq!(
                LengthField::VARINT.read_len(bytes).unwrap(),
                Some((value, bytes.len()))
            );
            assert_eq!(LengthField::VARINT.read_len(&bytes[..n - 1]).unwrap(), None);
        }
    }

    #[test]
    fn capped_varint_reads_up_to_its_cap_and_rejects_one_more_byte() {
        let mqtt = LengthField::varint_max(4).unwrap();
        // MQTT 3.1.1 table 2.4: the first and last value of each length of the remaining length.
        let cases: [(u64, &[u8]); 8] = [
            (0, &[0x00]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (16_383, &[0xff, 0x7f]),
            (16_384, &[0x80, 0x80, 0x01]),
            (2_097_151, &[0xff, 0xff, 0x7f]),
            (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
            (268_435_455, &[0xff, 0xff, 0xff, 0x7f]),
        ];
        for (value, bytes) in cases {
            assert_eq!(mqtt.read_len(bytes).unwrap(), Some((value, bytes.len())));
            let mut out = [0; MAX_FIELD_LEN];
            let n = mqtt.write_len(value, &mut out).unwrap();
            assert_eq!(&out[..n], bytes, "writing {value}");
        }
        assert_eq!(mqtt.max_value(), 268_435_455);
        assert!(mqtt
            .write_len(268_435_456, &mut [0; MAX_FIELD_LEN])
            .is_err());
        // Three continuation bytes: a fourth may still come.
        assert_eq!(mqtt.read_len(&[0x80, 0x80, 0x80]).unwrap(), None);
        assert_eq!(
            mqtt.read_len(&[0x80, 0x80, 0x80, 0x80]),
            Err(FrameError::VarintPastCap { max_bytes: 4 })
        );
        assert_eq!(
            mqtt.read_len(&[0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(FrameError::VarintPastCap { max_bytes: 4 })
        );
        let one = LengthField::varint_max(1).unwrap();
        assert_eq!(one.max_value(), 127);
        assert_eq!(
            one.read_len(&[0x80]),
            Err(FrameError::VarintPastCap { max_bytes: 1 })
        );
        assert_eq!(
            LengthField::varint_max(9).unwrap().max_value(),
            (1 << 63) - 1
        );
        assert_eq!(LengthField::varint_max(10).unwrap(), LengthField::VARINT);
        assert_eq!(mqtt.varint_max_bytes(), Some(4));
        assert_eq!(LengthField::U32_BE.varint_max_bytes(), None);
        assert!(mqtt.is_varint());
        assert_eq!(mqtt.to_string(), "varint of at most 4 bytes");
        assert_eq!(LengthField::VARINT.to_string(), "varint");
        for bad in [0, 11] {
            assert_eq!(
                LengthField::varint_max(bad),
                Err(ConfigError::UnsupportedVarintCap { max_bytes: bad })
            );
        }
    }

    #[test]
    fn varint_past_u64_is_an_error_not_a_loop() {
        let eleven = [0x80u8; 11];
        assert_eq!(
            LengthField::VARINT.read_len(&eleven),
            Err(FrameError::VarintTooLong)
        );
        let overflow = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(
            LengthField::VARINT.read_len(&overflow),
            Err(FrameError::VarintOverflow)
        );
    }
}

/// A length that is a range of bits inside its length field, the other bits reserved or holding
/// something else: RTCM 3's 10-bit length in the low bits of the two bytes after its `D3`.
///
/// Set with [`CodecBuilder::length_field_bits`](crate::CodecBuilder::length_field_bits) on an
/// unsigned fixed-width field. Decoding reads the field, shifts it right by `shift` and keeps
/// `bits` bits; encoding writes the length there and zeros in the other bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LengthBits {
    /// How many low bits of the field's value lie below the length.
    pub shift: u8,
    /// How many bits the length has (1 to 64).
    pub bits: u8,
}

impl LengthBits {
    /// The largest length these bits hold.
    pub fn max_value(&self) -> u64 {
        match self.bits {
            0 => 0,
            1..=63 => (1u64 << self.bits) - 1,
            _ => u64::MAX,
        }
    }

    /// The length in a field's `value`.
    #[inline]
    pub(crate) fn extract(&self, value: u64) -> u64 {
        value.checked_shr(u32::from(self.shift)).unwrap_or(0) & self.max_value()
    }

    /// The field's value for a length (at most [`max_value`](Self::max_value)).
    #[inline]
    pub(crate) fn place(&self, len: u64) -> u64 {
        len.checked_shl(u32::from(self.shift)).unwrap_or(0)
    }
}
