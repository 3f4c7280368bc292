//! The length field: how a payload's length is written in front of it.
//!
//! A [`LengthField`] is either a fixed-width integer (1, 2, 4 or 8 bytes, signed or unsigned, in
//! big, little or native byte order), named by the same struct format string a Python peer passes
//! to `struct.pack`, or an unsigned LEB128 varint as protobuf's `writeDelimitedTo` writes it.

use core::fmt;

use byteorder::{BigEndian, LittleEndian, NativeEndian};
use bytes::BufMut;

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
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LengthField {
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Fixed {
        width: u8,
        signed: bool,
        order: ByteOrder,
    },
    Varint,
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
    pub const VARINT: LengthField = LengthField { kind: Kind::Varint };

    const fn fixed_const(width: u8, signed: bool, order: ByteOrder) -> LengthField {
        LengthField {
            kind: Kind::Fixed {
                width,
                signed,
                order,
            },
        }
    }

    /// A fixed-width integer field of `width` bytes (1, 2, 4 or 8).
    ///
    /// # Errors
    ///
    /// [`ConfigError::UnsupportedWidth`] for any other width.
    pub fn fixed(width: usize, signed: bool, order: ByteOrder) -> Result<LengthField, ConfigError> {
        match width {
            1 | 2 | 4 | 8 => Ok(LengthField::fixed_const(width as u8, signed, order)),
            _ => Err(ConfigError::UnsupportedWidth { width }),
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
    /// or nothing native (as in Python). ASCII whitespace after it is ignored, as Python does;
    /// any other character (non-ASCII whitespace included) is an error.
    /// Negative lengths from a signed code are rejected when decoding.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::{ByteOrder, LengthField};
    ///
    /// let field = LengthField::from_struct_format("<H")?;
    /// assert_eq!(field, LengthField::fixed(2, false, ByteOrder::Little)?);
    /// assert!(LengthField::from_struct_format("3i").is_err());
    /// # Ok::<(), lenframe::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError::StructFormat`] for anything else (`"f"`, `"3i"`, `"ii"`, `"s"`, `""`),
    /// naming the codes that are accepted.
    pub fn from_struct_format(format: &str) -> Result<LengthField, ConfigError> {
        let bad = |problem: &'static str| ConfigError::StructFormat {
            format: format.into(),
            problem,
        };
        let (order, rest) = match format.chars().next() {
            Some('<') => (ByteOrder::Little, &format[1..]),
            Some('>') | Some('!') => (ByteOrder::Big, &format[1..]),
            Some('=') | Some('@') => (ByteOrder::Native, &format[1..]),
            _ => (ByteOrder::Native, format),
        };
        // Python's whitespace only (`Py_ISSPACE`): ASCII space, \t \n \v \f \r. Python rejects
        // any non-ASCII format string, so U+00A0 and friends are not whitespace here either.
        let mut codes = rest
            .chars()
            .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'));
        let code = codes
            .next()
            .ok_or_else(|| bad("it names no integer code"))?;
        if code.is_ascii_digit() {
            return Err(bad("repeat counts are not supported"));
        }
        if codes.next().is_some() {
            return Err(bad("it holds more than one code; a length is one integer"));
        }
        let (width, signed) = match code {
            'b' => (1, true),
            'B' => (1, false),
            'h' => (2, true),
            'H' => (2, false),
            'i' => (4, true),
            'I' => (4, false),
            'q' => (8, true),
            'Q' => (8, false),
            '0'..='9' => return Err(bad("repeat counts are not supported")),
            _ => return Err(bad("its code is not a supported integer code")),
        };
        Ok(LengthField::fixed_const(width, signed, order))
    }

    /// The field's width in bytes, or `None` for a varint (1 to 10 bytes).
    pub fn width(&self) -> Option<usize> {
        match self.kind {
            Kind::Fixed { width, .. } => Some(usize::from(width)),
            Kind::Varint => None,
        }
    }

    /// Whether the field is a signed integer (negative values are decoding errors).
    pub fn is_signed(&self) -> bool {
        matches!(self.kind, Kind::Fixed { signed: true, .. })
    }

    /// Whether the field is a LEB128 varint.
    pub fn is_varint(&self) -> bool {
        self.kind == Kind::Varint
    }

    /// The byte order of a fixed-width field, `None` for a varint.
    pub fn byte_order(&self) -> Option<ByteOrder> {
        match self.kind {
            Kind::Fixed { order, .. } => Some(order),
            Kind::Varint => None,
        }
    }

    /// The largest value the field can hold: 127 for `b`, `i32::MAX` for `i`, `u64::MAX` for
    /// `Q` and varints.
    #[inline]
    pub fn max_value(&self) -> u64 {
        match self.kind {
            Kind::Fixed { width, signed, .. } => {
                let bits = u32::from(width) * 8 - u32::from(signed);
                if bits == 64 {
                    u64::MAX
                } else {
                    (1u64 << bits) - 1
                }
            }
            Kind::Varint => u64::MAX,
        }
    }

    /// How many bytes [`write_len`](Self::write_len) writes for `value`.
    pub fn encoded_len(&self, value: u64) -> usize {
        match self.kind {
            Kind::Fixed { width, .. } => usize::from(width),
            Kind::Varint => {
                let bits = 64 - (value | 1).leading_zeros() as usize;
                bits.div_ceil(7)
            }
        }
    }

    /// Writes `value` into the front of `out` and returns how many bytes it used.
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
        Ok(match self.kind {
            Kind::Fixed { width, order, .. } => write_fixed(value, usize::from(width), order, out),
            Kind::Varint => write_varint(value, out),
        })
    }

    /// Reads a length from the front of `buf`.
    ///
    /// Returns `Ok(None)` when `buf` holds only part of the field, otherwise the value and the
    /// number of bytes the field used.
    ///
    /// # Errors
    ///
    /// [`FrameError::NegativeLength`] for a negative signed value,
    /// [`FrameError::VarintTooLong`] and [`FrameError::VarintOverflow`] for a malformed varint.
    #[inline(always)]
    pub fn read_len(&self, buf: &[u8]) -> Result<Option<(u64, usize)>, FrameError> {
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
                    Err(len) => Err(FrameError::NegativeLength { len }),
                }
            }
            Kind::Varint => read_varint(buf),
        }
    }

    /// Whether this is a 4-byte signed little-endian field (`"<i"`, and `"i"` on a little-endian
    /// machine): the default, which the decoder reads on a short path.
    #[inline(always)]
    pub(crate) fn is_i32_le(&self) -> bool {
        match self.kind {
            Kind::Fixed {
                width: 4,
                signed: true,
                order,
            } => {
                order == ByteOrder::Little
                    || (order == ByteOrder::Native && cfg!(target_endian = "little"))
            }
            _ => false,
        }
    }

    /// `value`, already checked against [`max_value`](Self::max_value), as the field's bytes
    /// (read little-endian from a `u128`) and how many there are: built in registers.
    #[inline]
    pub(crate) fn len_bytes(&self, value: u64) -> (u128, usize) {
        match self.kind {
            Kind::Fixed { width, order, .. } => {
                let big = match order {
                    ByteOrder::Little => false,
                    ByteOrder::Big => true,
                    ByteOrder::Native => cfg!(target_endian = "big"),
                };
                // The value fits in `width` bytes, so the casts lose nothing.
                let word = match width {
                    _ if !big => value,
                    1 => value,
                    2 => u64::from((value as u16).swap_bytes()),
                    4 => u64::from((value as u32).swap_bytes()),
                    _ => value.swap_bytes(),
                };
                (u128::from(word), usize::from(width))
            }
            Kind::Varint => {
                let mut out = [0u8; MAX_FIELD_LEN];
                let n = write_varint(value, &mut out);
                let mut wide = [0u8; 16];
                wide[..MAX_FIELD_LEN].copy_from_slice(&out);
                (u128::from_le_bytes(wide), n)
            }
        }
    }

    /// Appends `value`, already checked against [`max_value`](Self::max_value), to `dst`: one
    /// fixed-size store for a fixed-width field.
    #[inline]
    pub(crate) fn put_len(&self, value: u64, dst: &mut impl BufMut) {
        match self.kind {
            Kind::Fixed { width, order, .. } => match (width, order) {
                (4, ByteOrder::Little) => dst.put_u32_le(value as u32),
                (4, ByteOrder::Big) => dst.put_u32(value as u32),
                (4, ByteOrder::Native) => dst.put_u32_ne(value as u32),
                (1, _) => dst.put_u8(value as u8),
                (2, ByteOrder::Little) => dst.put_u16_le(value as u16),
                (2, ByteOrder::Big) => dst.put_u16(value as u16),
                (2, ByteOrder::Native) => dst.put_u16_ne(value as u16),
                (_, ByteOrder::Little) => dst.put_u64_le(value),
                (_, ByteOrder::Big) => dst.put_u64(value),
                (_, ByteOrder::Native) => dst.put_u64_ne(value),
            },
            Kind::Varint => {
                let mut out = [0; MAX_FIELD_LEN];
                let n = write_varint(value, &mut out);
                dst.put_slice(&out[..n]);
            }
        }
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

/// Writes `value` (already checked to fit) as a `width`-byte integer with a fixed-size store
/// for each width; returns `width`.
#[inline(always)]
fn write_fixed(value: u64, width: usize, order: ByteOrder, out: &mut [u8; MAX_FIELD_LEN]) -> usize {
    #[inline(always)]
    fn write<B: byteorder::ByteOrder>(value: u64, width: usize, out: &mut [u8]) {
        match width {
            4 => B::write_u32(out, value as u32),
            1 => out[0] = value as u8,
            2 => B::write_u16(out, value as u16),
            _ => B::write_u64(out, value),
        }
    }
    match order {
        ByteOrder::Little => write::<LittleEndian>(value, width, out),
        ByteOrder::Big => write::<BigEndian>(value, width, out),
        ByteOrder::Native => write::<NativeEndian>(value, width, out),
    }
    width
}

fn write_varint(mut value: u64, out: &mut [u8; MAX_FIELD_LEN]) -> usize {
    let mut n = 0;
    while value >= 0x80 {
        out[n] = (value as u8) | 0x80;
        value >>= 7;
        n += 1;
    }
    out[n] = value as u8;
    n + 1
}

fn read_varint(buf: &[u8]) -> Result<Option<(u64, usize)>, FrameError> {
    let mut value = 0u64;
    for (i, &byte) in buf.iter().take(MAX_FIELD_LEN).enumerate() {
        let low = u64::from(byte & 0x7f);
        // The tenth byte carries bit 63 only: anything more would not fit in a u64.
        if i == MAX_FIELD_LEN - 1 && (low > 1) {
            return Err(FrameError::VarintOverflow);
        }
        value |= low << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if buf.len() >= MAX_FIELD_LEN {
        Err(FrameError::VarintTooLong)
    } else {
        Ok(None)
    }
}

impl fmt::Display for LengthField {
    /// The struct format string (`"<i"`, `"!I"`), or `varint`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Fixed {
                width,
                signed,
                order,
            } => {
                let prefix = match order {
                    ByteOrder::Little => "<",
                    ByteOrder::Big => "!",
                    ByteOrder::Native => "=",
                };
                let code = match (width, signed) {
                    (1, true) => 'b',
                    (1, false) => 'B',
                    (2, true) => 'h',
                    (2, false) => 'H',
                    (4, true) => 'i',
                    (4, false) => 'I',
                    (8, true) => 'q',
                    _ => 'Q',
                };
                write!(f, "{prefix}{code}")
            }
            Kind::Varint => f.write_str("varint"),
        }
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
