//! tokio-util's `length_delimited::Builder`: the settings, with its names and defaults.

use std::mem;

use ::tokio_util::codec::{Framed, FramedRead, FramedWrite};
use tokio::io::{AsyncRead, AsyncWrite};

use super::LengthDelimitedCodec;

/// Configures a [`LengthDelimitedCodec`], as tokio-util's `length_delimited::Builder`.
///
/// Every method of tokio-util 0.7.20's builder, with the same defaults: an unsigned 4-byte
/// big-endian length at the start of the frame, no adjustment, the whole header stripped from
/// decoded frames, an 8 MiB maximum. The setters take and return `&mut Self`, so a chain ends
/// in [`new_codec`](Self::new_codec), [`new_read`](Self::new_read),
/// [`new_write`](Self::new_write) or [`new_framed`](Self::new_framed).
///
/// # Examples
///
/// A 2-byte little-endian length after a 1-byte tag, the whole header kept in decoded frames:
/// `num_skip(0)` strips nothing, and as the length counts from the end of the `num_skip` bytes,
/// the adjustment adds the 3 header bytes to it.
///
/// ```text
/// INPUT                                   DECODED
/// +- tag -+- length -+--- payload ---+     +- tag -+- length -+--- payload ---+
/// |  2A   |  05 00   |  h e l l o    | --> |  2A   |  05 00   |  h e l l o    |
/// +-------+----------+---------------+     +-------+----------+---------------+
/// ```
///
/// ```
/// use bytes::BytesMut;
/// use lenframe::tokio_util::length_delimited;
/// use tokio_util::codec::Decoder;
///
/// let mut codec = length_delimited::Builder::new()
///     .length_field_offset(1)
///     .length_field_type::<u16>()
///     .little_endian()
///     .length_adjustment(3)
///     .num_skip(0)
///     .new_codec();
/// let mut input = BytesMut::from(&b"\x2A\x05\x00hello"[..]);
/// assert_eq!(&codec.decode(&mut input)?.unwrap()[..], b"\x2A\x05\x00hello");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Builder {
    pub(super) max_frame_len: usize,
    pub(super) length_field_len: usize,
    pub(super) length_field_offset: usize,
    pub(super) length_adjustment: isize,
    pub(super) num_skip: Option<usize>,
    pub(super) big_endian: bool,
}

mod sealed {
    /// The integer types [`Builder::length_field_type`](super::Builder::length_field_type)
    /// takes, as tokio-util's: `u8`, `u16`, `u32`, `u64`, `usize`.
    pub trait LengthFieldType {}

    impl LengthFieldType for u8 {}
    impl LengthFieldType for u16 {}
    impl LengthFieldType for u32 {}
    impl LengthFieldType for u64 {}
    impl LengthFieldType for usize {}
}

impl Builder {
    /// The defaults: an unsigned 4-byte big-endian length, offset 0, adjustment 0, the whole
    /// header stripped, an 8 MiB maximum.
    pub fn new() -> Builder {
        Builder {
            max_frame_len: 8 * 1024 * 1024,
            length_field_len: 4,
            length_field_offset: 0,
            length_adjustment: 0,
            num_skip: None,
            big_endian: true,
        }
    }

    /// Reads and writes the length field big-endian (network order). The default.
    pub fn big_endian(&mut self) -> &mut Self {
        self.big_endian = true;
        self
    }

    /// Reads and writes the length field little-endian.
    pub fn little_endian(&mut self) -> &mut Self {
        self.big_endian = false;
        self
    }

    /// Reads and writes the length field in the machine's byte order.
    pub fn native_endian(&mut self) -> &mut Self {
        self.big_endian = cfg!(target_endian = "big");
        self
    }

    /// The maximum frame length. Default: 8 MiB.
    ///
    /// Decoding, it bounds the length field's value as read (before the adjustment), as
    /// tokio-util does; encoding, the payload's length. The codec clamps it to what the length
    /// field can carry plus the adjustment (255 for a 1-byte field), so `usize::MAX` means
    /// "no limit but the field's". [`LengthDelimitedCodec::max_frame_length`] reports the
    /// clamped value.
    pub fn max_frame_length(&mut self, val: usize) -> &mut Self {
        self.max_frame_len = val;
        self
    }

    /// The length field's width, as the size of `T`: `u8`, `u16`, `u32`, `u64` or `usize`.
    /// Default: `u32`.
    pub fn length_field_type<T: sealed::LengthFieldType>(&mut self) -> &mut Self {
        self.length_field_length(mem::size_of::<T>())
    }

    /// The length field's width in bytes, 1 to 8. Default: 4.
    ///
    /// # Panics
    ///
    /// For 0 or more than 8, as tokio-util's: a setting no frame could use is a bug in the
    /// caller's code, not in the peer's bytes.
    pub fn length_field_length(&mut self, val: usize) -> &mut Self {
        assert!(val > 0 && val <= 8, "invalid length field length");
        self.length_field_len = val;
        self
    }

    /// Bytes before the length field. Default: 0.
    ///
    /// The decoder skips over them to find the length (they are in the frame unless
    /// [`num_skip`](Self::num_skip) strips them); the encoder writes none, as tokio-util's:
    /// put them at the front of the payload yourself.
    pub fn length_field_offset(&mut self, val: usize) -> &mut Self {
        self.length_field_offset = val;
        self
    }

    /// Added to the length field's value to give the number of bytes after the
    /// [`num_skip`](Self::num_skip) bytes. Default: 0.
    ///
    /// The encoder writes the payload's length minus this.
    pub fn length_adjustment(&mut self, val: isize) -> &mut Self {
        self.length_adjustment = val;
        self
    }

    /// How many bytes to strip from the front of each decoded frame. Default: the whole header
    /// (`length_field_offset` + `length_field_length`).
    ///
    /// The length counts from the end of these bytes: with `num_skip(0)` and a length that
    /// counts only the payload, set the adjustment to the header's length.
    pub fn num_skip(&mut self, val: usize) -> &mut Self {
        self.num_skip = Some(val);
        self
    }

    /// A codec with these settings.
    pub fn new_codec(&self) -> LengthDelimitedCodec {
        LengthDelimitedCodec::with_builder(*self)
    }

    /// A `FramedRead` over `upstream` with a codec of these settings.
    pub fn new_read<T>(&self, upstream: T) -> FramedRead<T, LengthDelimitedCodec>
    where
        T: AsyncRead,
    {
        FramedRead::new(upstream, self.new_codec())
    }

    /// A `FramedWrite` over `inner` with a codec of these settings.
    pub fn new_write<T>(&self, inner: T) -> FramedWrite<T, LengthDelimitedCodec>
    where
        T: AsyncWrite,
    {
        FramedWrite::new(inner, self.new_codec())
    }

    /// A `Framed` over `inner` with a codec of these settings.
    pub fn new_framed<T>(&self, inner: T) -> Framed<T, LengthDelimitedCodec>
    where
        T: AsyncRead + AsyncWrite,
    {
        Framed::new(inner, self.new_codec())
    }

    /// Bytes the decoder needs before it reads a header: the header, or `num_skip` if more.
    pub(super) fn head_len(&self) -> usize {
        self.header_len().max(self.num_skip.unwrap_or(0))
    }

    /// The offset and the length field.
    pub(super) fn header_len(&self) -> usize {
        self.length_field_offset
            .saturating_add(self.length_field_len)
    }

    /// The bytes stripped from each decoded frame.
    pub(super) fn num_skip_or_header(&self) -> usize {
        self.num_skip.unwrap_or_else(|| self.header_len())
    }

    /// `val` clamped to the largest frame the length field can announce plus the adjustment,
    /// as tokio-util 0.7.20 clamps it.
    pub(super) fn clamped_max(&self, val: usize) -> usize {
        let field_max = u64::MAX >> (64 - 8 * self.length_field_len as u32);
        let allowed = field_max.saturating_add_signed(self.length_adjustment as i64);
        val.min(usize::try_from(allowed).unwrap_or(usize::MAX))
    }
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}
