//! Strategies and helpers shared by the property tests.
#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use lenframe::{
    ByteOrder, Codec, Decoded, EncodeError, FrameError, LayoutGuess, LengthField,
    DEFAULT_MAX_FRAME_LEN, MAX_FRAME_LEN_LIMIT, MAX_LENGTH_OFFSET,
};
use proptest::prelude::*;
use proptest::sample::Index;

/// Every integer code Python's struct module has for a length.
pub const CODES: [&str; 8] = ["b", "B", "h", "H", "i", "I", "q", "Q"];
/// Every byte-order prefix, covering little, big and native order.
pub const PREFIXES: [&str; 6] = ["<", ">", "!", "=", "@", ""];

/// The byte orders.
pub const ORDERS: [ByteOrder; 3] = [ByteOrder::Little, ByteOrder::Big, ByteOrder::Native];

/// Any supported length field: the 8 struct codes in every byte order, the widths without a
/// struct code (3, 5, 6, 7 bytes), and the varint.
pub fn length_field() -> impl Strategy<Value = LengthField> {
    prop_oneof![
        3 => (0..CODES.len(), 0..PREFIXES.len()).prop_map(|(code, prefix)| {
            LengthField::from_struct_format(&format!("{}{}", PREFIXES[prefix], CODES[code]))
                .unwrap()
        }),
        1 => (prop_oneof![Just(3usize), Just(5), Just(6), Just(7)], any::<bool>(), 0..ORDERS.len())
            .prop_map(|(width, signed, order)| {
                LengthField::fixed(width, signed, ORDERS[order]).unwrap()
            }),
        1 => Just(LengthField::VARINT),
    ]
}

/// How a test picks its length adjustment; resolved against the field by [`adjustment`].
#[derive(Clone, Copy, Debug)]
pub enum Adjust {
    None,
    /// The length field counts the header too (Netty's and tokio-util's usual example).
    MinusHeader,
    Small(i64),
    Any(i64),
}

pub fn adjust() -> impl Strategy<Value = Adjust> {
    prop_oneof![
        3 => Just(Adjust::None),
        3 => Just(Adjust::MinusHeader),
        3 => (-64i64..64).prop_map(Adjust::Small),
        1 => any::<i64>().prop_map(Adjust::Any),
    ]
}

/// The adjustment `how` asks for, clamped into the range the builder accepts for `field` and
/// the decoding maximum `max_decode`.
pub fn adjustment(how: Adjust, field: LengthField, offset: usize, max_decode: usize) -> i64 {
    let limit = i64::try_from(field.max_value()).unwrap_or(i64::MAX);
    let wanted = match how {
        Adjust::None => 0,
        Adjust::MinusHeader => -((offset + field.width().unwrap_or(1)) as i64),
        Adjust::Small(a) | Adjust::Any(a) => a,
    };
    let upper = limit.min(i64::try_from(max_decode).unwrap_or(i64::MAX));
    wanted.clamp(-limit, upper)
}

/// Bytes before the length field: often none, which with no adjustment and a 4-byte field is the
/// decoders' short path.
pub fn offset() -> impl Strategy<Value = usize> {
    prop_oneof![2 => Just(0usize), 3 => 0..=MAX_LENGTH_OFFSET]
}

/// A maximum payload length: small ones make oversized frames common.
pub fn max_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        2 => Just(DEFAULT_MAX_FRAME_LEN),
        1 => Just(0usize),
        3 => 0usize..3000,
    ]
}

/// Valid settings for a round trip: the decoder accepts at least what the encoder does.
pub fn roundtrip_codec() -> impl Strategy<Value = Codec> {
    (
        length_field(),
        offset(),
        adjust(),
        max_len(),
        prop_oneof![Just(0usize), 0usize..100],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(field, offset, how, max, extra, keep, skip)| {
            Codec::builder()
                .length_field(field)
                .length_field_offset(offset)
                .length_adjustment(adjustment(how, field, offset, max + extra))
                .max_encode_len(max)
                .max_decode_len(max + extra)
                .keep_header(keep)
                .skip_oversized(skip)
                .build()
                .expect("the strategy only builds valid settings")
        })
}

/// Any valid settings, including huge decoding maxima and skipping oversized frames.
pub fn any_codec() -> impl Strategy<Value = Codec> {
    (
        length_field(),
        offset(),
        adjust(),
        prop_oneof![
            4 => 0usize..400,
            1 => Just(DEFAULT_MAX_FRAME_LEN),
            1 => Just(MAX_FRAME_LEN_LIMIT),
        ],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(field, offset, how, max, keep, skip)| {
            Codec::builder()
                .length_field(field)
                .length_field_offset(offset)
                .length_adjustment(adjustment(how, field, offset, max))
                .max_frame_len(max)
                .keep_header(keep)
                .skip_oversized(skip)
                .build()
                .expect("the strategy only builds valid settings")
        })
}

/// A payload length: mostly small (so 1- and 2-byte fields carry many), some up to 2000, and
/// occasionally past what `b`, `B`, `h` and `H` can hold.
pub fn payload_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        8 => 0usize..64,
        4 => 0usize..2000,
        1 => 2000usize..70_000,
    ]
}

/// A payload of `len` bytes whose content depends on `seed`, cheap to make in debug builds.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 56) as u8
        })
        .collect()
}

/// The error [`FrameEncoder::header`](lenframe::FrameEncoder::header) must give for a payload of `len`
/// bytes, worked out from the settings independently of the encoder.
pub fn expected_encode_error(codec: &Codec, len: usize) -> Option<EncodeError> {
    if len > codec.max_encode_len() {
        return Some(EncodeError::TooLarge {
            len,
            max: codec.max_encode_len(),
        });
    }
    let field = codec.length_field();
    let value = len as i128 - i128::from(codec.length_adjustment());
    if value < 0 || value > i128::from(field.max_value()) {
        return Some(EncodeError::Unrepresentable { value, field });
    }
    None
}

/// The likely cause the decoder must name for a length `codec` rejects in the header at the
/// front of `header`, worked out with plain arithmetic: the first of the same width in the other
/// byte order, then 4 and 2 bytes (narrower than the field) in its own order, that reads as a
/// payload length (after the adjustment) within the decoding maximum with a zero top byte;
/// none when the length itself looks like a real one only over the maximum.
pub fn expected_guess(codec: &Codec, header: &[u8]) -> Option<LayoutGuess> {
    let field = codec.length_field();
    let (width, order) = (field.width()?, field.byte_order()?);
    let little = match order {
        ByteOrder::Little => true,
        ByteOrder::Big => false,
        ByteOrder::Native => cfg!(target_endian = "little"),
    };
    let other = if little {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
    let bytes = &header[codec.length_field_offset()..];
    let mut tries = Vec::new();
    if width > 1 {
        tries.push((width, other));
    }
    tries.extend(
        [4, 2]
            .into_iter()
            .filter(|&w| w < width)
            .map(|w| (w, order)),
    );
    // A length that looks like a real one only over the maximum (at most 16 times it, a byte
    // below its top one nonzero) gets no guess: the advice is to raise the maximum.
    let own = (0..width).fold(0u128, |value, i| {
        let byte = if little {
            bytes[width - 1 - i]
        } else {
            bytes[i]
        };
        value << 8 | u128::from(byte)
    });
    let negative = field.is_signed() && own >> (8 * width - 1) != 0;
    let own_len = own as i128 + i128::from(codec.length_adjustment());
    if !negative
        && own % (1u128 << (8 * (width - 1))) != 0
        && own_len <= 16 * codec.max_decode_len() as i128
    {
        return None;
    }
    tries.into_iter().find_map(|(w, try_order)| {
        let read_little = if try_order == other { !little } else { little };
        let value = (0..w).fold(0u128, |value, i| {
            let byte = if read_little {
                bytes[w - 1 - i]
            } else {
                bytes[i]
            };
            value << 8 | u128::from(byte)
        });
        if value >> (8 * (w - 1)) != 0 {
            return None; // a negative value too
        }
        let len = value as i128 + i128::from(codec.length_adjustment());
        (0..=codec.max_decode_len() as i128)
            .contains(&len)
            .then(|| LayoutGuess {
                field: LengthField::fixed(w, field.is_signed(), try_order).unwrap(),
                len: len as u64,
            })
    })
}

/// Cuts `wire` into the chunks a reader would see: one byte at a time, or at `cuts`.
pub fn chunks<'a>(wire: &'a [u8], cuts: &[Index], byte_at_a_time: bool) -> Vec<&'a [u8]> {
    if byte_at_a_time && wire.len() <= 4096 {
        return wire.chunks(1).collect();
    }
    let mut points: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
    points.push(0);
    points.push(wire.len());
    points.sort_unstable();
    points.dedup();
    points.windows(2).map(|w| &wire[w[0]..w[1]]).collect()
}

/// What a decoding run produced, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Frame(Bytes),
    Error(FrameError),
}

/// An owned copy of a [`Codec::decode_slice`] result, to compare with [`lenframe::FrameDecoder`].
pub fn slice_result(codec: &Codec, buf: &[u8]) -> Result<Option<(Bytes, usize)>, FrameError> {
    Ok(match codec.decode_slice(buf)? {
        Decoded::Frame { frame, consumed } => Some((Bytes::copy_from_slice(frame), consumed)),
        Decoded::Incomplete { .. } => None,
        Decoded::Skipped { .. } => unreachable!("Codec::decode_slice never skips"),
    })
}

/// The `needed` of a [`Decoded::Incomplete`], `None` for a whole frame or an error.
pub fn slice_needed(codec: &Codec, buf: &[u8]) -> Option<usize> {
    match codec.decode_slice(buf) {
        Ok(Decoded::Incomplete { needed }) => Some(needed),
        _ => None,
    }
}

/// A `BytesMut` holding `bytes`.
pub fn buf(bytes: &[u8]) -> BytesMut {
    BytesMut::from(bytes)
}
