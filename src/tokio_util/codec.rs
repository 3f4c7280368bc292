//! tokio-util's `LengthDelimitedCodec`, mapped onto lenframe's core decoder and encoder.

use std::io;

use ::tokio_util::codec::{Decoder, Encoder};
use bytes::{Buf, Bytes, BytesMut};

use super::{length_delimited::Builder, LengthDelimitedCodecError};
use crate::{
    ByteOrder, Codec, Decoded, EncodeError, FrameDecoder, FrameEncoder, LengthField,
    MAX_FRAME_LEN_LIMIT,
};

/// tokio-util's `LengthDelimitedCodec`, on lenframe's core: the same constructors, settings,
/// traits and results, so code written for tokio-util's codec runs with only its import line
/// changed (see [the module](super)).
///
/// - `Decoder<Item = BytesMut, Error = io::Error>`: each frame is split off the read buffer
///   (no copy), less its first `num_skip` bytes.
/// - `Encoder<Bytes>` and `Encoder<&[u8]>`: the length field, then the payload.
/// - [`max_frame_length`](Self::max_frame_length) / [`set_max_frame_length`](Self::set_max_frame_length),
///   clamped to what the length field can carry plus the adjustment.
///
/// # Examples
///
/// ```text
/// default settings:
/// INPUT                                   DECODED
/// +---- length ----+--- payload ---+      +--- payload ---+
/// | 00 00 00 05    |  h e l l o    | -->  |  h e l l o    |
/// +----------------+---------------+      +---------------+
/// ```
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use lenframe::tokio_util::LengthDelimitedCodec;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = LengthDelimitedCodec::new();
/// let mut wire = BytesMut::new();
/// codec.encode(Bytes::from_static(b"hello"), &mut wire)?;
/// codec.encode(&b"slice"[..], &mut wire)?;
/// assert_eq!(&wire[..9], b"\0\0\0\x05hello");
/// assert_eq!(&codec.decode(&mut wire)?.unwrap()[..], b"hello");
/// assert_eq!(&codec.decode(&mut wire)?.unwrap()[..], b"slice");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// As tokio-util's, each an [`io::Error`]:
///
/// | what | kind | inside |
/// |---|---|---|
/// | decoding, a length field's value over the maximum | `InvalidData` | [`LengthDelimitedCodecError`] |
/// | decoding, a length that the adjustment makes negative | `InvalidInput` | "provided length would overflow after adjustment" |
/// | decoding at the end of the stream, bytes of an unfinished frame left | `Other` | "bytes remaining on stream" (`Decoder::decode_eof`) |
/// | encoding, a payload over the maximum | `InvalidInput` | [`LengthDelimitedCodecError`] |
/// | encoding, a payload shorter than a positive adjustment | `InvalidInput` | "provided length would overflow after adjustment" |
///
/// # Compared with tokio-util's
///
/// The same frames and the same errors on every input, with these differences:
///
/// - **Memory.** tokio-util reserves room for the whole announced frame as soon as a header is
///   in, so a peer that sends a 4-byte header announcing 8 MiB costs 8 MiB; this codec never
///   reserves what a header claims, and the read buffer grows as bytes really arrive.
/// - **Frames no buffer can hold.** A frame longer than
///   [`MAX_FRAME_LEN_LIMIT`](crate::MAX_FRAME_LEN_LIMIT) (2^63 bytes on 64-bit targets), possible
///   with an 8-byte length and `max_frame_length(usize::MAX)`, is an `InvalidData`
///   [`LengthDelimitedCodecError`] here; tokio-util's `reserve` panics on it (capacity overflow).
/// - **A stream cut right after a header.** tokio-util drops a header from its buffer as soon
///   as it is read, so when the stream ends before any payload byte, `decode_eof` finds an empty
///   buffer and ends cleanly: the frame is lost without an error. Here the header stays in the
///   buffer until its frame is whole, so that end is the `Other` error, "bytes remaining on
///   stream", of any frame cut short.
/// - **Encoding with an adjustment below minus the field's largest value** (a setting that no
///   frame can use): tokio-util writes the length's low bytes, a wrong length; this codec
///   returns `InvalidInput` and writes nothing.
/// - **Error messages** carry the numbers (`frame size too big: 9 is over the maximum frame
///   length of 4`); kinds and types are tokio-util's.
#[derive(Debug, Clone)]
pub struct LengthDelimitedCodec {
    builder: Builder,
    /// `builder.max_frame_len` clamped to what the field can carry: what the getter reports.
    max: usize,
    /// The core decoder, its `Codec` mapped from `builder` (see `decode_codec`); `None` for
    /// settings the core cannot express, which decode on `decode_by_header` alone.
    decoder: Option<FrameDecoder>,
    /// The core encoder; `None` as for the decoder.
    encoder: Option<FrameEncoder>,
    /// The core decoder's maximum was raised to 0 from below (see `core_max`): its frames need
    /// tokio-util's check of the raw value too.
    floor: bool,
}

impl LengthDelimitedCodec {
    /// A codec with the default settings: an unsigned 4-byte big-endian length, 8 MiB maximum.
    pub fn new() -> Self {
        Builder::new().new_codec()
    }

    /// A [`Builder`] with the default settings.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// The maximum frame length in force, clamped to what the length field can carry plus the
    /// adjustment (255 for a 1-byte field and no adjustment, whatever was asked).
    pub fn max_frame_length(&self) -> usize {
        self.max
    }

    /// Changes the maximum frame length, clamped as when built; it applies from the next header
    /// (a frame whose header has been read is not checked again), and to encoding at once.
    pub fn set_max_frame_length(&mut self, val: usize) {
        self.max = self.builder.clamped_max(val);
        let (core_max, floor) = self.core_max();
        self.floor = floor;
        if let Some(decoder) = &mut self.decoder {
            decoder.set_max_frame_len(core_max);
        }
        if let Some(encoder) = &mut self.encoder {
            encoder.set_max_frame_len(self.max);
        }
    }

    pub(super) fn with_builder(builder: Builder) -> Self {
        let mut codec = LengthDelimitedCodec {
            builder,
            max: builder.clamped_max(builder.max_frame_len),
            decoder: None,
            encoder: None,
            floor: false,
        };
        let (core_max, floor) = codec.core_max();
        codec.floor = floor;
        let field = codec.field();
        // The core sees the buffer from the length field on: the offset bytes are the wrapper's,
        // so any offset works. The core's frame is then the rest of tokio-util's frame, which is
        // `num_skip` + (value + adjustment) bytes from the start: value + core adjustment after
        // the field.
        codec.decoder = i64::try_from(codec.core_adjustment())
            .ok()
            .and_then(|adjustment| {
                Codec::builder()
                    .length_field(field)
                    .length_adjustment(adjustment)
                    .max_decode_len(core_max)
                    .max_encode_len(0)
                    .build()
                    .ok()
            })
            .map(Codec::decoder);
        // tokio-util's encoder writes the length field and the payload only: no offset bytes.
        codec.encoder = Codec::builder()
            .length_field(field)
            .length_adjustment(builder.length_adjustment as i64)
            .max_decode_len(MAX_FRAME_LEN_LIMIT)
            // No payload in memory is longer than the limit: `usize::MAX` is "no limit".
            .max_encode_len(codec.max.min(MAX_FRAME_LEN_LIMIT))
            .build()
            .ok()
            .map(Codec::encoder);
        codec
    }

    /// The length field: unsigned, of the builder's width and byte order.
    fn field(&self) -> LengthField {
        let order = match self.builder.big_endian {
            true => ByteOrder::Big,
            false => ByteOrder::Little,
        };
        LengthField::fixed(self.builder.length_field_len, false, order)
            .expect("the builder only takes widths of 1 to 8 bytes")
    }

    /// The core's adjustment: what follows the length field is `num_skip` + value + adjustment
    /// less the header.
    fn core_adjustment(&self) -> i128 {
        self.builder.length_adjustment as i128 + self.builder.num_skip_or_header() as i128
            - self.builder.header_len() as i128
    }

    /// The core decoder's maximum, which bounds value + core adjustment where tokio-util bounds
    /// the value: `max` + core adjustment, within what the core takes. `true` when that was
    /// below 0 and raised to it.
    fn core_max(&self) -> (usize, bool) {
        let max = self.max as i128 + self.core_adjustment();
        (max.clamp(0, MAX_FRAME_LEN_LIMIT as i128) as usize, max < 0)
    }

    /// tokio-util's decoding of the frame at the front of `src`, from its header alone: the
    /// rules in one place for the cases the core decoder reports as errors (to give them
    /// tokio-util's kinds, or the frame tokio-util returns), and for settings the core cannot
    /// express. Stateless: the header stays in `src` until the frame is whole.
    fn decode_by_header(&self, src: &mut BytesMut) -> io::Result<Option<BytesMut>> {
        if src.len() < self.builder.head_len() {
            return Ok(None);
        }
        let offset = self.builder.length_field_offset;
        let value = match self.field().read_len(&src[offset..]) {
            Ok(Some((value, _))) => value,
            // Unreachable for an unsigned fixed field whose bytes are all there.
            Ok(None) => return Ok(None),
            Err(err) => return Err(io::Error::new(io::ErrorKind::InvalidData, err)),
        };
        if value > self.max as u64 {
            return Err(too_big(value, self.max, io::ErrorKind::InvalidData));
        }
        let len = value as i128 + self.builder.length_adjustment as i128;
        if len < 0 || len > usize::MAX as i128 {
            return Err(adjustment_overflow());
        }
        let num_skip = self.builder.num_skip_or_header();
        let frame_len = num_skip as i128 + len;
        if frame_len > MAX_FRAME_LEN_LIMIT as i128 {
            return Err(too_big(value, self.max, io::ErrorKind::InvalidData));
        }
        if (src.len() as i128) < frame_len {
            return Ok(None);
        }
        Ok(Some(split_frame(src, frame_len as usize, num_skip)))
    }
}

/// Splits `frame_len` bytes off `src` and drops the first `num_skip` of them.
#[inline(always)]
fn split_frame(src: &mut BytesMut, frame_len: usize, num_skip: usize) -> BytesMut {
    let mut frame = src.split_to(frame_len);
    frame.advance(num_skip);
    frame
}

/// tokio-util's error for a frame over the maximum.
fn too_big(len: u64, max: usize, kind: io::ErrorKind) -> io::Error {
    io::Error::new(kind, LengthDelimitedCodecError::new(len, max))
}

/// tokio-util's error for a length the adjustment takes out of range.
fn adjustment_overflow() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "provided length would overflow after adjustment",
    )
}

impl Default for LengthDelimitedCodec {
    fn default() -> Self {
        Self::new()
    }
}

/// tokio-util's decoding on the core decoder. `decode_eof` is the trait's own, as tokio-util's
/// is: a stream that ends inside a frame is an `Other` error, "bytes remaining on stream".
impl Decoder for LengthDelimitedCodec {
    type Item = BytesMut;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<BytesMut>> {
        let Some(decoder) = &mut self.decoder else {
            return self.decode_by_header(src);
        };
        if !decoder.is_mid_frame() && src.len() < self.builder.head_len() {
            // tokio-util reads no header before `num_skip` bytes are in, when that is more.
            return Ok(None);
        }
        // A parsed header stays in `src` until its frame is whole, so `src` holds the offset.
        let offset = self.builder.length_field_offset;
        let num_skip = self.builder.num_skip_or_header();
        match decoder.decode_slice(&src[offset..]) {
            // A frame shorter than `num_skip` has a negative length in tokio-util's terms.
            Ok(Decoded::Frame { consumed, .. }) if !self.floor && offset + consumed >= num_skip => {
                Ok(Some(split_frame(src, offset + consumed, num_skip)))
            }
            // No skipping is set, so `Skipped` never comes.
            Ok(Decoded::Incomplete { .. } | Decoded::Skipped { .. }) => Ok(None),
            // A frame past the raised maximum or shorter than `num_skip`, and the core's errors
            // (a frame that ends inside its own header is one there): tokio-util's rules decide.
            Ok(Decoded::Frame { .. }) | Err(_) => self.decode_by_header(src),
        }
    }
}

/// tokio-util's encoding: the length field (payload length minus the adjustment), then the
/// payload; no offset bytes.
impl Encoder<&[u8]> for LengthDelimitedCodec {
    type Error = io::Error;

    #[inline]
    fn encode(&mut self, data: &[u8], dst: &mut BytesMut) -> io::Result<()> {
        let Some(encoder) = &self.encoder else {
            return self.encode_by_field(data, dst);
        };
        encoder.encode(data, dst).map_err(|err| match err {
            EncodeError::TooLarge { len, .. } => {
                too_big(len as u64, self.max, io::ErrorKind::InvalidInput)
            }
            _ => adjustment_overflow(),
        })
    }
}

impl LengthDelimitedCodec {
    /// Encoding for an adjustment the core takes no codec for (more than the field's largest
    /// value either way): the core's length field writer, tokio-util's checks.
    fn encode_by_field(&self, data: &[u8], dst: &mut BytesMut) -> io::Result<()> {
        if data.len() > self.max {
            return Err(too_big(
                data.len() as u64,
                self.max,
                io::ErrorKind::InvalidInput,
            ));
        }
        let value = data.len() as i128 - self.builder.length_adjustment as i128;
        let value = u64::try_from(value).map_err(|_| adjustment_overflow())?;
        let mut field = [0; crate::MAX_FIELD_LEN];
        let field_len = self
            .field()
            .write_len(value, &mut field)
            .map_err(|_| adjustment_overflow())?;
        dst.reserve(field_len + data.len());
        dst.extend_from_slice(&field[..field_len]);
        dst.extend_from_slice(data);
        Ok(())
    }
}

impl Encoder<Bytes> for LengthDelimitedCodec {
    type Error = io::Error;

    #[inline]
    fn encode(&mut self, data: Bytes, dst: &mut BytesMut) -> io::Result<()> {
        Encoder::<&[u8]>::encode(self, &data, dst)
    }
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod unit_tests;
