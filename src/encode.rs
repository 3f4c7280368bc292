//! Turning payloads into frames: the header as a small inline array, or header and payload
//! appended to a `BytesMut`.

use core::ops::Deref;

use bytes::{BufMut, BytesMut};

use crate::codec::{Codec, MAX_HEADER_LEN};
use crate::error::EncodeError;

/// Writes frame headers, and frames into a `BytesMut`. It keeps no state.
///
/// # Examples
///
/// ```
/// use lenframe::Codec;
///
/// let encoder = Codec::from_struct_format("!I")?.encoder();
/// let header = encoder.header(5)?;
/// assert_eq!(&header[..], &[0, 0, 0, 5]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameEncoder {
    codec: Codec,
}

/// A frame header built inline, without allocating: send it, then the payload.
///
/// It dereferences to the header's bytes. Writers pass it and the payload to one vectored write,
/// so a large payload is never copied.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(C, align(16))]
pub struct Header {
    /// The header's bytes first, its length at `LEN_AT` and the prefix length at `PREFIX_AT`.
    /// Written as two 16-byte halves and copied the same way: building it with narrower stores
    /// and then moving the struct makes the CPU stall on every frame (store forwarding fails).
    raw: [u8; 32],
}

const LEN_AT: usize = 30;
const PREFIX_AT: usize = 31;
const _: () = assert!(MAX_HEADER_LEN <= LEN_AT);

impl Header {
    /// The header's bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw[..usize::from(self.raw[LEN_AT])]
    }

    /// The bytes before the length field ([`length_field_offset`](crate::CodecBuilder::length_field_offset)
    /// of them, zero unless set here), to fill in a type tag or magic number.
    #[inline]
    pub fn prefix_mut(&mut self) -> &mut [u8] {
        let prefix_len = usize::from(self.raw[PREFIX_AT]);
        &mut self.raw[..prefix_len]
    }
}

impl Deref for Header {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Header {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl core::fmt::Debug for Header {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Header").field(&self.as_bytes()).finish()
    }
}

impl FrameEncoder {
    /// An encoder with these settings.
    pub fn new(codec: Codec) -> FrameEncoder {
        FrameEncoder { codec }
    }

    /// The settings.
    pub fn codec(&self) -> &Codec {
        &self.codec
    }

    /// The longest payload this encoder accepts: [`Codec::max_encode_len`].
    pub fn max_frame_len(&self) -> usize {
        self.codec.max_encode_len()
    }

    /// Changes the longest payload this encoder accepts. A value over
    /// [`MAX_FRAME_LEN_LIMIT`](crate::MAX_FRAME_LEN_LIMIT) is treated as that limit.
    pub fn set_max_frame_len(&mut self, max: usize) {
        self.codec.set_max_encode_len(max);
    }

    /// The header for a payload of `payload_len` bytes.
    ///
    /// # Errors
    ///
    /// [`EncodeError::TooLarge`] over [`max_encode_len`](Codec::max_encode_len);
    /// [`EncodeError::Unrepresentable`] if the length field cannot hold the length (300 with
    /// `"B"`, more than `i32::MAX` with `"i"`, or a negative value after the length adjustment).
    /// Lengths are never wrapped.
    #[inline(always)]
    pub fn header(&self, payload_len: usize) -> Result<Header, EncodeError> {
        let codec = &self.codec;
        let field = codec.length_field();
        let value = self.field_value(payload_len)?;
        let offset = codec.length_field_offset();
        // The field's bytes shifted past the offset (at most MAX_LENGTH_OFFSET = 16 bytes), as
        // two 16-byte halves built in registers.
        let (field_bytes, field_len) = field.len_bytes(value);
        let shift = 8 * offset as u32;
        let lo = field_bytes.checked_shl(shift).unwrap_or(0);
        let hi = field_bytes.checked_shr(128 - shift).unwrap_or(0)
            | ((offset + field_len) as u128) << (8 * (LEN_AT - 16))
            | (offset as u128) << (8 * (PREFIX_AT - 16));
        let mut raw = [0u8; 32];
        raw[..16].copy_from_slice(&lo.to_le_bytes());
        raw[16..].copy_from_slice(&hi.to_le_bytes());
        Ok(Header { raw })
    }

    /// The length field's value for a payload of `payload_len` bytes, checked against the
    /// maximum and against what the field can hold.
    #[inline]
    fn field_value(&self, payload_len: usize) -> Result<u64, EncodeError> {
        let codec = &self.codec;
        if payload_len > codec.max_encode_len() {
            return Err(EncodeError::TooLarge {
                len: payload_len,
                max: codec.max_encode_len(),
            });
        }
        let field = codec.length_field();
        let value = payload_len as i128 - i128::from(codec.length_adjustment());
        match u64::try_from(value) {
            Ok(value) if value <= field.max_value() => Ok(value),
            _ => Err(EncodeError::Unrepresentable { value, field }),
        }
    }

    /// Appends the header and `payload` to `dst`, reserving the room first.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::{Codec, LengthField};
    ///
    /// let encoder = Codec::builder().length_field(LengthField::from_struct_format("B")?).build()?.encoder();
    /// let mut out = BytesMut::new();
    /// encoder.encode(b"hi", &mut out)?;
    /// assert_eq!(&out[..], b"\x02hi");
    /// assert!(encoder.encode(&[0; 300], &mut out).is_err());
    /// assert_eq!(&out[..], b"\x02hi", "nothing written on error");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`header`](Self::header); `dst` is unchanged on error.
    #[inline]
    pub fn encode(&self, payload: impl AsRef<[u8]>, dst: &mut BytesMut) -> Result<(), EncodeError> {
        let payload = payload.as_ref();
        // Checked before anything is written; then the header goes straight into `dst` (no
        // inline `Header` to build and copy), a fixed-width field as one store.
        let value = self.field_value(payload.len())?;
        let codec = &self.codec;
        let field = codec.length_field();
        let offset = codec.length_field_offset();
        dst.reserve(offset + field.encoded_len(value) + payload.len());
        if offset > 0 {
            dst.put_bytes(0, offset);
        }
        field.put_len(value, dst);
        dst.put_slice(payload);
        Ok(())
    }
}
