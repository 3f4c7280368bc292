//! Turning payloads into frames: the header as a small inline array, or header and payload
//! appended to a `BytesMut`.

use core::ops::Deref;

use bytes::{BufMut, BytesMut};

use crate::codec::{Codec, MAX_HEADER_LEN};
use crate::error::EncodeError;
use crate::format::MAX_FIELD_LEN;

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
pub struct Encoder {
    codec: Codec,
}

/// A frame header built inline, without allocating: send it, then the payload.
///
/// It dereferences to the header's bytes. Writers pass it and the payload to one vectored write,
/// so a large payload is never copied.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Header {
    bytes: [u8; MAX_HEADER_LEN],
    len: u8,
    prefix_len: u8,
}

impl Header {
    /// The header's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The bytes before the length field ([`length_field_offset`](crate::CodecBuilder::length_field_offset)
    /// of them, zero unless set here), to fill in a type tag or magic number.
    pub fn prefix_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[..usize::from(self.prefix_len)]
    }
}

impl Deref for Header {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Header {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl core::fmt::Debug for Header {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Header").field(&self.as_bytes()).finish()
    }
}

impl Encoder {
    /// An encoder with these settings.
    pub fn new(codec: Codec) -> Encoder {
        Encoder { codec }
    }

    /// The settings.
    pub fn codec(&self) -> &Codec {
        &self.codec
    }

    /// The header for a payload of `payload_len` bytes.
    ///
    /// # Errors
    ///
    /// [`EncodeError::TooLarge`] over [`max_encode_len`](Codec::max_encode_len);
    /// [`EncodeError::Unrepresentable`] if the length field cannot hold the length (300 with
    /// `"B"`, more than `i32::MAX` with `"i"`, or a negative value after the length adjustment).
    /// Lengths are never wrapped.
    #[inline]
    pub fn header(&self, payload_len: usize) -> Result<Header, EncodeError> {
        let codec = &self.codec;
        if payload_len > codec.max_encode_len() {
            return Err(EncodeError::TooLarge {
                len: payload_len,
                max: codec.max_encode_len(),
            });
        }
        let field = codec.length_field();
        let value = payload_len as i128 - i128::from(codec.length_adjustment());
        let value = u64::try_from(value)
            .map_err(|_| EncodeError::Unrepresentable { value, field })?;
        let mut field_bytes = [0u8; MAX_FIELD_LEN];
        let field_len = field.write_len(value, &mut field_bytes)?;
        let offset = codec.length_field_offset();
        let mut bytes = [0u8; MAX_HEADER_LEN];
        bytes[offset..offset + field_len].copy_from_slice(&field_bytes[..field_len]);
        Ok(Header {
            bytes,
            len: (offset + field_len) as u8,
            prefix_len: offset as u8,
        })
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
    pub fn encode(&self, payload: &[u8], dst: &mut BytesMut) -> Result<(), EncodeError> {
        let header = self.header(payload.len())?;
        dst.reserve(header.len() + payload.len());
        dst.put_slice(&header);
        dst.put_slice(payload);
        Ok(())
    }
}
