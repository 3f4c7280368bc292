//! The likely cause of a rejected length: the same header bytes read under a nearby layout (the
//! other byte order, or a narrower field) that gives a length within the maximum. A peer writing
//! `struct.pack('!I', 5)` to a decoder expecting `'<i'` sends `00 00 00 05`, which reads as
//! 83,886,080: "raise the maximum" would point the wrong way.

use core::fmt;

use crate::codec::Codec;
use crate::format::{ByteOrder, LengthField};

/// A layout under which a rejected header's bytes give a plausible payload length: the likely
/// cause of [`FrameError::TooLarge`](crate::FrameError::TooLarge) or
/// [`FrameError::NegativeLength`](crate::FrameError::NegativeLength).
///
/// The decoder tries, in this order, the same width in the other byte order, then narrower
/// fields of the standard widths (4 and 2 bytes) in the same byte order and sign, reading the
/// same bytes from the start of the field. The first reading that is plausible is the guess:
/// its payload length (after the length adjustment) is within the maximum, and its most
/// significant byte is zero, as a real length's almost always is (a length written in the other
/// byte order reads with its zero high bytes at the bottom). The second condition keeps the
/// guess quiet for a length just over the maximum and for most garbage (an HTTP request, a TLS
/// handshake), at the price of missing a 2-byte length of 256 or more. It is a hint, not a
/// certainty. Varints and 1-byte fields get no guess.
///
/// Its message reads like `read as "!I" the same bytes give a 5-byte payload: check both sides
/// use the same struct format`.
///
/// # Examples
///
/// ```
/// use lenframe::{Codec, FrameError, LengthField};
///
/// // The peer sent struct.pack('<H', 5) + b"hello"; this side expects '<i'.
/// let codec = Codec::default();
/// let Err(FrameError::TooLarge { guess: Some(guess), .. }) = codec.decode_slice(b"\x05\0hello")
/// else {
///     panic!("expected a guess");
/// };
/// assert_eq!(guess.field, LengthField::from_struct_format("<h")?);
/// assert_eq!(guess.len, 5);
/// # Ok::<(), lenframe::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LayoutGuess {
    /// The layout the peer may be using.
    pub field: LengthField,
    /// The payload length the header's bytes give under it, after the length adjustment.
    pub len: u64,
}

impl fmt::Display for LayoutGuess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.len;
        match self.field.struct_format() {
            Some(format) => write!(
                f,
                "read as \"{format}\" the same bytes give a {len}-byte payload: check both sides \
                 use the same struct format"
            ),
            None => write!(
                f,
                "read as a {} length the same bytes give a {len}-byte payload: check both sides \
                 use the same length field",
                self.field
            ),
        }
    }
}

/// The guess for a header rejected by `codec`, whose bytes start at the front of `header`
/// (offset bytes first). Only called on the error path.
#[cold]
#[inline(never)]
pub(crate) fn guess(codec: &Codec, header: &[u8]) -> Option<LayoutGuess> {
    let field = codec.length_field();
    let (Some(width), Some(order)) = (field.width(), field.byte_order()) else {
        return None;
    };
    let signed = field.is_signed();
    let other_order = if is_little(order) {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
    let bytes = header.get(codec.length_field_offset()..)?;
    let candidates = [(width, other_order), (4, order), (2, order)];
    candidates
        .into_iter()
        .filter(|&(candidate, candidate_order)| {
            (candidate == width && width > 1 && candidate_order != order)
                || (candidate < width && candidate_order == order)
        })
        .filter_map(|(width, order)| LengthField::fixed(width, signed, order).ok())
        .find_map(|field| {
            let (value, width) = field.read_len(bytes).ok()??;
            let top_byte_zero = value >> (8 * (width - 1)) == 0;
            let len = value.checked_add_signed(codec.length_adjustment())?;
            (top_byte_zero && len <= codec.max_decode_len() as u64)
                .then_some(LayoutGuess { field, len })
        })
}

fn is_little(order: ByteOrder) -> bool {
    match order {
        ByteOrder::Little => true,
        ByteOrder::Big => false,
        ByteOrder::Native => cfg!(target_endian = "little"),
    }
}
