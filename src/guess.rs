//! The likely cause of a rejected length: the same header bytes read under a nearby layout (the
//! other byte order, or a narrower field) that gives a length within the maximum. A peer writing
//! `struct.pack('!I', 5)` to a decoder expecting `'<i'` sends `00 00 00 05`, which reads as
//! 83,886,080: "raise the maximum" would point the wrong way.

use core::fmt;

use crate::codec::Codec;
use crate::format::{ByteOrder, LengthField};

/// A layout under which a rejected header's bytes give a plausible payload length: the likely
/// cause of [`FrameError::TooLarge`](crate::FrameError::TooLarge),
/// [`FrameError::NegativeLength`](crate::FrameError::NegativeLength) or
/// [`FrameError::Truncated`](crate::FrameError::Truncated).
///
/// The decoder tries, in this order, the same width in the other byte order, then narrower
/// fields of the standard widths (4 and 2 bytes) in the same byte order and sign, reading the
/// same bytes from the start of the field. A reading is plausible when its payload length
/// (after the length adjustment) is within the maximum and its most significant byte is zero,
/// as a real length's almost always is (a length written in the other byte order reads with its
/// zero high bytes at the bottom). This keeps the guess quiet for most garbage (an HTTP
/// request, a TLS handshake), at the price of missing a 2-byte length of 256 or more.
///
/// - A length over the maximum, or negative: the first plausible reading is the guess, unless
///   the rejected length itself looks like a real one that is only over the maximum (at most
///   16 times it, with a nonzero byte below its most significant one: a peer with a higher
///   maximum, not another layout). Then there is no guess, and the message says to raise the
///   maximum. The header alone decides, so the same bytes give the same error however they
///   arrived.
/// - A stream that ends inside a frame: the other byte order, if it is plausible and every byte
///   that arrived (header first) is whole non-empty frames under it, the last ending where the
///   stream ended.
///   A `"<i"` reader of a peer's 256-byte `"!I"` frame waits for 65,540 bytes; the 260 that
///   came and the close say which layout the peer used.
///
/// It is a hint, not a certainty. Varints and 1-byte fields get no guess.
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

/// How many times the maximum a length may be and still read as a real frame from a peer with
/// a higher maximum (its writer's, say 8 MiB against a reader's 1 MiB) rather than as a header
/// in another layout.
const NEAR_OVERRUN: u64 = 16;

/// At most this many frames are walked when checking that the bytes that arrived are whole
/// frames under a guessed layout: the error path's cost stays bounded.
#[cfg(any(feature = "alloc", feature = "embedded-io"))]
const MAX_FRAMES_WALKED: usize = 64;

/// The guess for a length rejected by `codec` (over the maximum, or negative), from the header
/// at the front of `header` alone, so that the same bytes give the same error however they
/// arrived. Only called on the error path.
///
/// A guess is given when it is likely right: the rejected length does not look like a real one
/// that is merely over the maximum. A real one is at most [`NEAR_OVERRUN`] times the maximum
/// (a writer's maximum against a smaller reader's), and has a nonzero byte below its most
/// significant one; a small length read in the wrong byte order has only zeros there. So both
/// sides using `"!I"` with different maximums gives no guess, and the message says to raise
/// the maximum.
#[cold]
#[inline(never)]
pub(crate) fn guess(codec: &Codec, header: &[u8]) -> Option<LayoutGuess> {
    let first = candidates(codec, header).into_iter().flatten().next()?;
    (!over_maximum_only(codec, header)).then_some(first)
}

/// The guess for a stream that ended inside a frame, `arrived` being every byte of it that
/// came (header first, as the decoder's own layout reads it): the other byte order, if those
/// bytes are whole frames under it, the last ending where the stream ended. The same evidence the peer gives
/// when it writes `"!I"` frames to a `"<i"` reader and closes: the reader waits for a length
/// that never comes, while the bytes it holds are exactly the frames that were sent.
#[cfg(any(feature = "alloc", feature = "embedded-io"))]
#[cold]
#[inline(never)]
pub(crate) fn guess_truncated(codec: &Codec, arrived: &[u8]) -> Option<LayoutGuess> {
    // The other byte order only: a narrower field reads the start of any frame as a shorter
    // one, and a body cut short could end exactly there.
    let [other_order, ..] = candidates(codec, arrived);
    other_order.filter(|guess| whole_frames(codec, guess.field, arrived))
}

/// The layouts to try, in order: the same width in the other byte order, then narrower fields
/// of the standard widths (4 and 2 bytes) in the same byte order and sign, each read from the
/// start of the field; `Some` for those whose reading is plausible: within the maximum after the
/// length adjustment, and zero in its most significant byte.
fn candidates(codec: &Codec, header: &[u8]) -> [Option<LayoutGuess>; 3] {
    let mut out = [None; 3];
    let field = codec.length_field();
    let (Some(width), Some(order)) = (field.width(), field.byte_order()) else {
        return out;
    };
    let Some(bytes) = header.get(codec.length_field_offset()..) else {
        return out;
    };
    let signed = field.is_signed();
    let other_order = if is_little(order) {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
    let tries = [(width, other_order), (4, order), (2, order)];
    for (slot, (candidate, candidate_order)) in out.iter_mut().zip(tries) {
        let nearby = (candidate == width && width > 1 && candidate_order != order)
            || (candidate < width && candidate_order == order);
        if !nearby {
            continue;
        }
        *slot = LengthField::fixed(candidate, signed, candidate_order)
            .ok()
            .and_then(|field| {
                let (value, width) = field.read_len(bytes).ok()??;
                let top_byte_zero = value >> (8 * (width - 1)) == 0;
                let len = value.checked_add_signed(codec.length_adjustment())?;
                (top_byte_zero && len <= codec.max_decode_len() as u64)
                    .then_some(LayoutGuess { field, len })
            });
    }
    out
}

#[cfg(any(feature = "alloc", feature = "embedded-io"))]
/// Whether `bytes` are one or more whole non-empty frames under `field` (with the codec's
/// offset, adjustment and maximum), the last ending exactly at the end. Empty frames prove
/// nothing (zeros tile under any layout), so they end the walk with `false`.
fn whole_frames(codec: &Codec, field: LengthField, bytes: &[u8]) -> bool {
    let offset = codec.length_field_offset();
    let mut rest = bytes;
    for _ in 0..MAX_FRAMES_WALKED {
        let Some(Ok(Some((value, width)))) = rest.get(offset..).map(|b| field.read_len(b)) else {
            return false;
        };
        let Some(len) = value.checked_add_signed(codec.length_adjustment()) else {
            return false;
        };
        if len == 0 || len > codec.max_decode_len() as u64 {
            return false;
        }
        let frame = (offset + width) as u64 + len;
        if frame > rest.len() as u64 {
            return false;
        }
        rest = &rest[frame as usize..];
        if rest.is_empty() {
            return true;
        }
    }
    false
}

/// Whether the header at the front of `buf`, read in the codec's own layout, looks like a real
/// length that is only over the maximum: at most [`NEAR_OVERRUN`] times it, and not a small
/// number shifted into the top byte (all bytes below the most significant zero), which is what
/// a length written in the other byte order reads as.
fn over_maximum_only(codec: &Codec, buf: &[u8]) -> bool {
    let field = codec.length_field();
    let Some(Ok(Some((value, width)))) = buf
        .get(codec.length_field_offset()..)
        .map(|b| field.read_len(b))
    else {
        return false;
    };
    let Some(len) = value.checked_add_signed(codec.length_adjustment()) else {
        return false;
    };
    let low_bytes = value & ((1u64 << (8 * (width - 1))) - 1);
    low_bytes != 0 && len <= (codec.max_decode_len() as u64).saturating_mul(NEAR_OVERRUN)
}

fn is_little(order: ByteOrder) -> bool {
    match order {
        ByteOrder::Little => true,
        ByteOrder::Big => false,
        ByteOrder::Native => cfg!(target_endian = "little"),
    }
}
