//! Shared by the fuzz targets: a plain byte layout for settings and chunkings (so seed files can
//! be written by hand, see `make_seeds.py`), and a reference model of the wire format written
//! the obvious way, with none of the crate's code in it.
//!
//! The model is deliberately naive: it walks the whole stream from the front, parses each header
//! with plain arithmetic on `i128`, checks the limits and takes the payload. The targets compare
//! the crate against it.

use std::ops::Range;

use lenframe::{
    ByteOrder, Codec, ConfigError, EncodeError, FrameError, LayoutGuess, LengthField,
    MAX_FRAME_LEN_LIMIT, MAX_LENGTH_OFFSET,
};

/// Reads the fuzz input front to back; past the end every read gives zeros.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Starts reading `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte, 0 past the end.
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next `n` bytes as a little-endian number, zero-padded past the end.
    pub fn uint_le(&mut self, n: usize) -> u64 {
        (0..n).fold(0u64, |acc, i| acc | u64::from(self.u8()) << (8 * i))
    }

    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.data)
    }
}

/// The shape of the length field, as the model sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// A fixed-width integer.
    Fixed {
        /// 1 to 8 bytes.
        width: usize,
        /// Whether the top bit is a sign bit.
        signed: bool,
        /// Byte order.
        order: ByteOrder,
    },
    /// Unsigned LEB128, 1 to 10 bytes.
    Varint,
}

impl Field {
    /// The largest value the field holds.
    pub fn max_value(self) -> u64 {
        match self {
            Field::Fixed { width, signed, .. } => {
                let bits = width * 8 - usize::from(signed);
                if bits == 64 {
                    u64::MAX
                } else {
                    (1u64 << bits) - 1
                }
            }
            Field::Varint => u64::MAX,
        }
    }

    /// The crate's name for it.
    pub fn to_lenframe(self) -> LengthField {
        match self {
            Field::Fixed {
                width,
                signed,
                order,
            } => LengthField::fixed(width, signed, order).expect("model widths are valid"),
            Field::Varint => LengthField::VARINT,
        }
    }

    /// The shortest the field can be.
    pub fn min_len(self) -> usize {
        match self {
            Field::Fixed { width, .. } => width,
            Field::Varint => 1,
        }
    }
}

/// Whether the machine is little-endian: what `=`, `@` and native order mean.
const NATIVE_IS_LITTLE: bool = cfg!(target_endian = "little");

fn is_little(order: ByteOrder) -> bool {
    match order {
        ByteOrder::Little => true,
        ByteOrder::Big => false,
        ByteOrder::Native => NATIVE_IS_LITTLE,
    }
}

/// All the settings, as plain values.
///
/// Layout in the fuzz input (one byte each unless said):
///
/// | byte | meaning |
/// |------|---------|
/// | 0 | field, `% 13`: `b B h H i I q Q`, varint, then 3, 5, 6, 7 bytes wide |
/// | 1 | byte order, `% 3`: little, big, native; for widths 3, 5, 6 and 7, `/ 3 % 2` is 1 if signed |
/// | 2 | offset: `< 0xF0` gives `% 4`; `0xF0 + k` gives `k + 2` (2..=17; 17 is invalid) |
/// | 3 | adjustment, `% 8`: 0-3 none; 4-5 next byte as `i8`; 6 ±(field max, +1 if bit 1) with sign from bit 0 of the next byte; 7 next 8 bytes `i64` LE |
/// | 4 | decode maximum, `% 8`: 0-4 next 2 bytes LE; 5 field max (clamped) minus next byte `% 3` plus 1; 6 `MAX_FRAME_LEN_LIMIT` + (next byte & 1); 7 next 8 bytes LE |
/// | 5 | encode maximum: `< 0xC0` same as decode; otherwise another maximum as byte 4 |
/// | 6 | flags: bit 0 keep_header, bit 1 skip_oversized |
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// The length field.
    pub field: Field,
    /// Bytes before the length field.
    pub offset: usize,
    /// Added to the field's value.
    pub adjustment: i64,
    /// Longest payload decoded.
    pub max_decode: usize,
    /// Longest payload encoded.
    pub max_encode: usize,
    /// Frames returned with their header.
    pub keep_header: bool,
    /// Oversized frames skipped instead of failing.
    pub skip_oversized: bool,
}

const CODES: [(usize, bool); 8] = [
    (1, true),
    (1, false),
    (2, true),
    (2, false),
    (4, true),
    (4, false),
    (8, true),
    (8, false),
];

impl Settings {
    /// Reads settings from the front of the input (see the table above).
    pub fn read(input: &mut Input<'_>) -> Settings {
        let kind = input.u8() % 13;
        let order_byte = input.u8();
        let order = match order_byte % 3 {
            0 => ByteOrder::Little,
            1 => ByteOrder::Big,
            _ => ByteOrder::Native,
        };
        let field = match (CODES.get(usize::from(kind)), kind) {
            (Some(&(width, signed)), _) => Field::Fixed {
                width,
                signed,
                order,
            },
            (None, 8) => Field::Varint,
            (None, _) => Field::Fixed {
                width: [3, 5, 6, 7][usize::from(kind - 9)],
                signed: order_byte / 3 % 2 == 1,
                order,
            },
        };
        let offset = match input.u8() {
            b @ 0..=0xEF => usize::from(b % 4),
            b => usize::from(b - 0xF0) + 2,
        };
        let adjustment = match input.u8() % 8 {
            0..=3 => 0,
            4 | 5 => i64::from(input.u8() as i8),
            6 => {
                let b = input.u8();
                let magnitude = i128::from(field.max_value()) + i128::from((b >> 1) & 1);
                let value = if b & 1 == 0 { magnitude } else { -magnitude };
                i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
            }
            _ => input.uint_le(8) as i64,
        };
        let max_decode = read_max(input, field);
        let max_encode = match input.u8() {
            0..=0xBF => max_decode,
            _ => read_max(input, field),
        };
        let flags = input.u8();
        Settings {
            field,
            offset,
            adjustment,
            max_decode,
            max_encode,
            keep_header: flags & 1 != 0,
            skip_oversized: flags & 2 != 0,
        }
    }

    /// What the builder should say about these settings.
    pub fn model_config_error(&self) -> Option<ConfigError> {
        let field = self.field.to_lenframe();
        if self.offset > MAX_LENGTH_OFFSET {
            return Some(ConfigError::OffsetTooLarge {
                offset: self.offset,
                max: MAX_LENGTH_OFFSET,
            });
        }
        if self.adjustment.unsigned_abs() > self.field.max_value() {
            return Some(ConfigError::AdjustmentOutOfRange {
                adjustment: self.adjustment,
                field,
                max_value: self.field.max_value(),
            });
        }
        let max = self.max_decode.max(self.max_encode);
        if max > MAX_FRAME_LEN_LIMIT {
            return Some(ConfigError::MaxFrameLenTooLarge {
                max,
                limit: MAX_FRAME_LEN_LIMIT,
            });
        }
        if i128::from(self.adjustment) > self.max_decode as i128 {
            return Some(ConfigError::AdjustmentOverMaximum {
                adjustment: self.adjustment,
                max: self.max_decode,
            });
        }
        None
    }

    /// Builds the crate's codec, asserting the builder agrees with the model; `None` for
    /// settings both reject.
    pub fn codec(&self) -> Option<Codec> {
        let built = Codec::builder()
            .length_field(self.field.to_lenframe())
            .length_field_offset(self.offset)
            .length_adjustment(self.adjustment)
            .max_decode_len(self.max_decode)
            .max_encode_len(self.max_encode)
            .keep_header(self.keep_header)
            .skip_oversized(self.skip_oversized)
            .build();
        match (built, self.model_config_error()) {
            (Ok(codec), None) => {
                assert_eq!(codec.length_field(), self.field.to_lenframe());
                assert_eq!(codec.length_field_offset(), self.offset);
                assert_eq!(codec.length_adjustment(), self.adjustment);
                assert_eq!(codec.max_decode_len(), self.max_decode);
                assert_eq!(codec.max_encode_len(), self.max_encode);
                assert_eq!(codec.keeps_header(), self.keep_header);
                assert_eq!(codec.skips_oversized(), self.skip_oversized);
                assert_eq!(codec.min_header_len(), self.min_header_len());
                Some(codec)
            }
            (Err(err), Some(expected)) => {
                assert_eq!(err, expected, "builder error for {self:?}");
                let _ = err.to_string();
                None
            }
            (built, expected) => {
                panic!("builder gave {built:?}, model expected {expected:?} for {self:?}")
            }
        }
    }

    /// The shortest header: offset plus the shortest field.
    pub fn min_header_len(&self) -> usize {
        self.offset + self.field.min_len()
    }
}

fn read_max(input: &mut Input<'_>, field: Field) -> usize {
    match input.u8() % 8 {
        0..=4 => input.uint_le(2) as usize,
        5 => {
            let max = usize::try_from(field.max_value()).unwrap_or(usize::MAX);
            (max - usize::from(input.u8() % 3).min(max)).saturating_add(1)
        }
        6 => MAX_FRAME_LEN_LIMIT + usize::from(input.u8() & 1),
        _ => input.uint_le(8) as usize,
    }
}

/// How the fuzz input splits the stream into reads.
///
/// Layout: one byte `n`. `n >= 0xF0`: every read is `n - 0xF0` bytes (`0xF0`: all at once).
/// Otherwise `n` more bytes give the read sizes (0 is an empty read), and the rest of the stream
/// comes in one last read.
pub struct Chunking<'a> {
    sizes: &'a [u8],
    uniform: Option<usize>,
}

impl<'a> Chunking<'a> {
    /// Reads a chunking from the input.
    pub fn read(input: &mut Input<'a>) -> Self {
        match input.u8() {
            n @ 0xF0.. => Chunking {
                sizes: &[],
                uniform: Some(usize::from(n - 0xF0)),
            },
            n => Chunking {
                sizes: input.take(usize::from(n)),
                uniform: None,
            },
        }
    }

    /// The ends of the reads splitting `len` bytes, in order; the last is `len`.
    pub fn ends(&self, len: usize) -> Vec<usize> {
        let mut ends = Vec::new();
        let mut at = 0;
        match self.uniform {
            Some(step) if step > 0 => {
                while at < len {
                    at = (at + step).min(len);
                    ends.push(at);
                }
            }
            Some(_) => {}
            None => {
                for &size in self.sizes {
                    at = (at + usize::from(size)).min(len);
                    ends.push(at);
                }
            }
        }
        ends.push(len);
        ends
    }
}

/// One frame (or the unfinished or bad tail) of the stream, as the model parses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Where its header starts in the stream.
    pub start: usize,
    /// The header's length, once all of it is in the stream.
    pub header_len: Option<usize>,
    /// Header plus payload, once the header is known.
    pub total: Option<u128>,
    /// What the decoder makes of it.
    pub outcome: Outcome,
}

/// What becomes of a segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A whole frame: the bytes [`FrameDecoder::decode`](lenframe::FrameDecoder::decode) returns, and the
    /// payload alone.
    Frame {
        /// The returned frame (with the header if `keep_header`).
        frame: Range<usize>,
        /// The payload alone.
        payload: Range<usize>,
    },
    /// An oversized frame under `skip_oversized`: reported, then skipped.
    Skipped(FrameError),
    /// A bad header: decoding stops here.
    Error(FrameError),
    /// The stream ends inside this frame.
    Truncated {
        /// Bytes the frame needs.
        expected: u64,
        /// Bytes of it in the stream.
        got: u64,
    },
}

/// The model's reading of a whole stream.
#[derive(Clone, Debug)]
pub struct Model {
    /// Every segment in order; a stream ending on a frame boundary has no `Truncated` tail.
    pub segments: Vec<Segment>,
    /// The settings it was made with.
    pub settings: Settings,
    /// Whether oversized frames were skipped.
    pub skip: bool,
}

enum Head {
    /// The header is complete: the field's value and the header length.
    Complete { value: u64, header_len: usize },
    /// Not all of the header is here: the least the whole header can be.
    Partial { at_least: usize },
    /// The header is bad.
    Bad(FrameError, usize),
}

fn parse_head(s: &Settings, rest: &[u8]) -> Head {
    let off = s.offset;
    if rest.len() < off {
        return Head::Partial {
            at_least: off + s.field.min_len(),
        };
    }
    match s.field {
        Field::Fixed {
            width,
            signed,
            order,
        } => {
            if rest.len() < off + width {
                return Head::Partial {
                    at_least: off + width,
                };
            }
            let bytes = &rest[off..off + width];
            let mut value: u64 = 0;
            for i in 0..width {
                let b = if is_little(order) {
                    bytes[width - 1 - i]
                } else {
                    bytes[i]
                };
                value = value << 8 | u64::from(b);
            }
            if signed && value >> (width * 8 - 1) & 1 == 1 {
                let negative = i128::from(value) - (1i128 << (width * 8));
                return Head::Bad(
                    FrameError::NegativeLength {
                        len: negative as i64,
                        guess: model_guess(s, rest),
                    },
                    off + width,
                );
            }
            Head::Complete {
                value,
                header_len: off + width,
            }
        }
        Field::Varint => {
            let mut value: u64 = 0;
            for i in 0..10 {
                let Some(&b) = rest.get(off + i) else {
                    return Head::Partial {
                        at_least: off + i + 1,
                    };
                };
                if i == 9 {
                    if b & 0x7f > 1 {
                        return Head::Bad(FrameError::VarintOverflow, off + 10);
                    }
                    if b & 0x80 != 0 {
                        return Head::Bad(FrameError::VarintTooLong, off + 10);
                    }
                }
                value |= u64::from(b & 0x7f) << (7 * i);
                if b & 0x80 == 0 {
                    return Head::Complete {
                        value,
                        header_len: off + i + 1,
                    };
                }
            }
            unreachable!("the tenth byte always ends the varint")
        }
    }
}

impl Model {
    /// Parses `data` as a whole stream. `skip` says whether oversized frames are skipped (the
    /// settings' flag for the `FrameDecoder`, never for `decode_slice`).
    pub fn new(s: &Settings, data: &[u8], skip: bool) -> Model {
        let mut segments = Vec::new();
        let mut pos = 0;
        while pos < data.len() {
            let rest = &data[pos..];
            let got = rest.len() as u64;
            let (value, header_len) = match parse_head(s, rest) {
                Head::Partial { at_least } => {
                    segments.push(Segment {
                        start: pos,
                        header_len: None,
                        total: None,
                        outcome: Outcome::Truncated {
                            expected: at_least as u64,
                            got,
                        },
                    });
                    break;
                }
                Head::Bad(err, header_len) => {
                    segments.push(Segment {
                        start: pos,
                        header_len: Some(header_len),
                        total: None,
                        outcome: Outcome::Error(err),
                    });
                    break;
                }
                Head::Complete { value, header_len } => (value, header_len),
            };
            let payload = i128::from(value) + i128::from(s.adjustment);
            let mut segment = Segment {
                start: pos,
                header_len: Some(header_len),
                total: None,
                outcome: Outcome::Error(FrameError::VarintTooLong),
            };
            if payload < 0 || payload > i128::from(u64::MAX) {
                let (value, adjustment) = (value, s.adjustment);
                segment.outcome = Outcome::Error(if payload < 0 {
                    FrameError::AdjustedLengthNegative { value, adjustment }
                } else {
                    FrameError::AdjustedLengthOverflow { value, adjustment }
                });
                segments.push(segment);
                break;
            }
            let total = header_len as u128 + payload as u128;
            segment.total = Some(total);
            let available = rest.len() as u128 >= total;
            if payload > s.max_decode as i128 {
                let err = FrameError::TooLarge {
                    len: payload as u64,
                    max: s.max_decode,
                    guess: model_guess(s, rest),
                };
                if !skip {
                    segment.total = None;
                    segment.outcome = Outcome::Error(err);
                    segments.push(segment);
                    break;
                }
                if available {
                    segment.outcome = Outcome::Skipped(err);
                    segments.push(segment);
                    pos += total as usize;
                    continue;
                }
                // Reported, then the stream ends inside the skipped body.
                segment.outcome = Outcome::Skipped(err);
                segments.push(segment.clone());
                segment.outcome = Outcome::Truncated {
                    expected: u64::try_from(total).unwrap_or(u64::MAX),
                    got,
                };
                segments.push(segment);
                break;
            }
            if !available {
                segment.outcome = Outcome::Truncated {
                    expected: total as u64,
                    got,
                };
                segments.push(segment);
                break;
            }
            let end = pos + total as usize;
            let payload = pos + header_len..end;
            let frame = if s.keep_header {
                pos..end
            } else {
                payload.clone()
            };
            segment.outcome = Outcome::Frame { frame, payload };
            segments.push(segment);
            pos = end;
        }
        Model {
            segments,
            settings: *s,
            skip,
        }
    }

    /// The stream position at which the decoder can report this segment's outcome: the end of
    /// the frame, or the end of the header for an error; `None` for truncation (only at the end).
    pub fn ready_at(segment: &Segment) -> Option<usize> {
        match &segment.outcome {
            Outcome::Frame { frame, payload } => Some(frame.end.max(payload.end)),
            Outcome::Skipped(_) | Outcome::Error(_) => {
                Some(segment.start + segment.header_len.expect("errors come with a header"))
            }
            Outcome::Truncated { .. } => None,
        }
    }

    /// The segment in progress after `fed` bytes of the stream, once the frames complete by then
    /// are taken: how many more bytes the decoder should say it needs, and whether it has parsed
    /// the header (is mid-frame).
    pub fn progress_at(&self, fed: usize) -> (usize, bool) {
        let s = &self.settings;
        // The first segment not finished by `fed`.
        let current =
            self.segments
                .iter()
                .find(|seg| match (seg.total, seg.outcome.is_frame_or_skip()) {
                    (Some(total), true) => seg.start as u128 + total > fed as u128,
                    _ => true,
                });
        let (start, header_len, total) = match current {
            Some(seg) => (seg.start, seg.header_len, seg.total),
            None => (fed, None, None),
        };
        let have = fed - start;
        match (header_len, total) {
            (Some(h), Some(total)) if have >= h => {
                // The frame's length saturates at u64::MAX, as Truncated's `expected` does.
                let left = total.min(u128::from(u64::MAX)) - have as u128;
                (usize::try_from(left).unwrap_or(usize::MAX), true)
            }
            _ => {
                // The header is not all here yet.
                let at_least = match s.field {
                    Field::Fixed { width, .. } => s.offset + width,
                    Field::Varint if have < s.offset => s.offset + 1,
                    Field::Varint => have + 1,
                };
                (at_least - have, false)
            }
        }
    }

    /// The events a decoder reports when `fed` bytes of the stream have arrived, in order:
    /// frames (with the header or as payloads) and oversized frames skipped, then a bad header.
    pub fn events_by(&self, data: &[u8], fed: usize, payload_only: bool) -> Vec<Event> {
        let mut events = Vec::new();
        for seg in &self.segments {
            match Model::ready_at(seg) {
                Some(at) if at <= fed => {
                    events.push(Event::from_outcome(&seg.outcome, data, payload_only))
                }
                _ => break,
            }
        }
        events
    }

    /// How the stream ends for `decode_eof`: `Ok(())` on a frame boundary, or the error.
    pub fn end(&self) -> Result<(), FrameError> {
        match self.segments.last().map(|s| &s.outcome) {
            Some(Outcome::Truncated { expected, got }) => Err(FrameError::Truncated {
                expected: *expected,
                got: *got,
                guess: None,
            }),
            Some(Outcome::Error(err)) => Err(err.clone()),
            _ => Ok(()),
        }
    }

    /// The start of the bad segment, if decoding stops at a bad header.
    pub fn error_start(&self) -> Option<usize> {
        match self.segments.last() {
            Some(
                seg @ Segment {
                    outcome: Outcome::Error(_),
                    ..
                },
            ) => Some(seg.start),
            _ => None,
        }
    }
}

impl Outcome {
    fn is_frame_or_skip(&self) -> bool {
        matches!(self, Outcome::Frame { .. } | Outcome::Skipped(_))
    }
}

/// What a decoder reports, in a comparable form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A frame's bytes.
    Frame(Vec<u8>),
    /// An error: `TooLarge` while skipping, or the bad header that ends decoding.
    Error(FrameError),
}

impl Event {
    fn from_outcome(outcome: &Outcome, data: &[u8], payload_only: bool) -> Event {
        match outcome {
            Outcome::Frame { frame, payload } => {
                let range = if payload_only { payload } else { frame };
                Event::Frame(data[range.clone()].to_vec())
            }
            Outcome::Skipped(err) | Outcome::Error(err) => Event::Error(err.clone()),
            Outcome::Truncated { .. } => unreachable!("truncation is never ready"),
        }
    }
}

/// The likely cause the decoder names for a bad length in the header at the front of `header`:
/// the first reading, of the same width in the other byte order, then of 4 and 2 bytes
/// (narrower than the field) in the field's order, whose value has a zero top byte and gives a
/// payload (after the adjustment) within the maximum; none when the length itself looks like
/// a real one only over the maximum (at most 16 times it, a byte below its top one nonzero):
/// then the advice is to raise the maximum.
pub fn model_guess(s: &Settings, header: &[u8]) -> Option<LayoutGuess> {
    let Field::Fixed {
        width,
        signed,
        order,
    } = s.field
    else {
        return None;
    };
    let little = is_little(order);
    let other = if little {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
    let bytes = &header[s.offset..];
    let own = (0..width).fold(0u128, |value, i| {
        let b = if little {
            bytes[width - 1 - i]
        } else {
            bytes[i]
        };
        value << 8 | u128::from(b)
    });
    let negative = signed && own >> (8 * width - 1) != 0;
    let own_len = own as i128 + i128::from(s.adjustment);
    if !negative && own % (1u128 << (8 * (width - 1))) != 0 && own_len <= 16 * s.max_decode as i128
    {
        return None;
    }
    let mut tries = Vec::new();
    if width > 1 {
        tries.push((width, !little, other));
    }
    for narrower in [4, 2] {
        if narrower < width {
            tries.push((narrower, little, order));
        }
    }
    for (w, read_little, name_order) in tries {
        let mut value: u128 = 0;
        for i in 0..w {
            let b = if read_little {
                bytes[w - 1 - i]
            } else {
                bytes[i]
            };
            value = value << 8 | u128::from(b);
        }
        let len = value as i128 + i128::from(s.adjustment);
        if value >> (8 * (w - 1)) == 0 && (0..=s.max_decode as i128).contains(&len) {
            return Some(LayoutGuess {
                field: LengthField::fixed(w, signed, name_order).expect("valid width"),
                len: len as u64,
            });
        }
    }
    None
}

/// What the encoder should do with a payload of `len` bytes: the header bytes, or the error.
pub fn model_header(s: &Settings, len: usize) -> Result<Vec<u8>, EncodeError> {
    if len > s.max_encode {
        return Err(EncodeError::TooLarge {
            len,
            max: s.max_encode,
        });
    }
    let value = len as i128 - i128::from(s.adjustment);
    if value < 0 || value > i128::from(s.field.max_value()) {
        return Err(EncodeError::Unrepresentable {
            value,
            field: s.field.to_lenframe(),
        });
    }
    let value = value as u64;
    let mut header = vec![0u8; s.offset];
    match s.field {
        Field::Fixed { width, order, .. } => {
            let le = (0..width).map(|i| (value >> (8 * i)) as u8);
            if is_little(order) {
                header.extend(le);
            } else {
                header.extend(le.rev());
            }
        }
        Field::Varint => {
            let mut v = value;
            loop {
                let low = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    header.push(low);
                    break;
                }
                header.push(low | 0x80);
            }
        }
    }
    Ok(header)
}

/// The error with `Truncated`'s layout guess dropped: the model predicts where a stream ends,
/// not what its bytes look like in another layout (tests/layout_hints.rs checks the guesses).
pub fn without_guess(err: FrameError) -> FrameError {
    match err {
        FrameError::Truncated { expected, got, .. } => FrameError::Truncated {
            expected,
            got,
            guess: None,
        },
        err => err,
    }
}
