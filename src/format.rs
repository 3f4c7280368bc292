//! The length field: how a payload's length is written in front of it.
//!
//! A [`LengthField`] is either a fixed-width integer (1, 2, 4 or 8 bytes, signed or unsigned, in
//! big, little or native byte order), named by the same struct format string a Python peer passes
//! to `struct.pack`, or an unsigned LEB128 varint as protobuf's `writeDelimitedTo` writes it.

use core::fmt;

use byteorder::{BigEndian, ByteOrder as _, LittleEndian, NativeEndian};

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
    /// or nothing native (as in Python). Whitespace around the code is ignored, as Python does.
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
        let mut codes = rest.chars().filter(|c| !c.is_whitespace());
        let code = codes.next().ok_or_else(|| bad("it names no integer code"))?;
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
    pub fn write_len(&self, value: u64, out: &mut [u8; MAX_FIELD_LEN]) -> Result<usize, EncodeError> {
        if value > self.max_value() {
            return Err(EncodeError::Unrepresentable {
                value: i128::from(value),
                field: *self,
            });
        }
        Ok(match self.kind {
            Kind::Fixed { width, order, .. } => {
                let width = usize::from(width);
                let dst = &mut out[..width];
                match order {
                    ByteOrder::Little => LittleEndian::write_uint(dst, value, width),
                    ByteOrder::Big => BigEndian::write_uint(dst, value, width),
                    ByteOrder::Native => NativeEndian::write_uint(dst, value, width),
                }
                width
            }
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
    #[inline]
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
                let raw = match order {
                    ByteOrder::Little => LittleEndian::read_uint(src, width),
                    ByteOrder::Big => BigEndian::read_uint(src, width),
                    ByteOrder::Native => NativeEndian::read_uint(src, width),
                };
                if signed {
                    let shift = 64 - 8 * width as u32;
                    let value = ((raw << shift) as i64) >> shift;
                    if value < 0 {
                        return Err(FrameError::NegativeLength { len: value });
                    }
                }
                Ok(Some((raw, width)))
            }
            Kind::Varint => read_varint(buf),
        }
    }
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
