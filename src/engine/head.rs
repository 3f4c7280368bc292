//! A frame's header as it goes on the wire, with the caller's bytes before the length field
//! (`write_frame_with_prefix`): the one place every writer, the embedded ones included, builds
//! it. No allocation, no I/O.

use crate::{EncodeError, FrameEncoder, Header};

/// The encoder's header for a payload, with `prefix` in place of the zeros it puts before the
/// length field when `length_field_offset` is not 0.
#[derive(Debug)]
pub(crate) struct Head<'p> {
    header: Header,
    /// Exactly `length_field_offset` bytes (checked), or `None` for the encoder's zeros.
    prefix: Option<&'p [u8]>,
}

impl<'p> Head<'p> {
    /// The header for a payload of `payload_len` bytes, after `prefix` if there is one, as
    /// `FrameEncoder::encode_with_prefix` writes it.
    ///
    /// # Errors
    ///
    /// The encoder's error, or [`EncodeError::WrongPrefixLen`] for a prefix that is not
    /// `length_field_offset` bytes long (checked first, whatever the payload).
    #[inline]
    pub(crate) fn new(
        encoder: &FrameEncoder,
        prefix: Option<&'p [u8]>,
        payload_len: usize,
    ) -> Result<Head<'p>, EncodeError> {
        if let Some(prefix) = prefix {
            let offset = encoder.codec().length_field_offset();
            if prefix.len() != offset {
                return Err(EncodeError::WrongPrefixLen {
                    len: prefix.len(),
                    offset,
                });
            }
        }
        Ok(Head {
            header: encoder.header(payload_len)?,
            prefix,
        })
    }

    /// How many bytes the header takes on the wire (the prefix included).
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.header.len()
    }

    /// The caller's bytes before the length field, if any.
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn prefix(&self) -> Option<&'p [u8]> {
        self.prefix
    }

    /// The encoder's header (zeros before the length field).
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn header(&self) -> &Header {
        &self.header
    }

    /// The header's bytes in order, as two parts: the prefix (empty without one), then the
    /// rest.
    #[inline]
    pub(crate) fn parts(&self) -> [&[u8]; 2] {
        match self.prefix {
            None => [&[], &self.header],
            Some(prefix) => [prefix, &self.header[prefix.len()..]],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Codec;

    fn tagged() -> Codec {
        Codec::builder()
            .length_field_offset(1)
            .struct_format("!I")
            .length_adjustment(-4)
            .build()
            .unwrap()
    }

    #[test]
    fn prefix_replaces_the_zeros_before_the_length_field() {
        let encoder = tagged().encoder();
        let head = Head::new(&encoder, Some(b"Q"), 3).unwrap();
        assert_eq!(head.len(), 5);
        assert_eq!(head.parts(), [&b"Q"[..], b"\0\0\0\x07"]);
        let plain = Head::new(&encoder, None, 3).unwrap();
        assert_eq!(plain.parts(), [&b""[..], b"\0\0\0\0\x07"]);
    }

    #[test]
    fn a_prefix_of_the_wrong_length_is_refused_before_the_payload_is_checked() {
        let encoder = tagged().encoder();
        for prefix in [&b""[..], b"QQ"] {
            assert_eq!(
                Head::new(&encoder, Some(prefix), usize::MAX).unwrap_err(),
                EncodeError::WrongPrefixLen {
                    len: prefix.len(),
                    offset: 1
                }
            );
        }
        let plain = Codec::default().encoder();
        assert!(Head::new(&plain, Some(b""), 3).is_ok());
        assert_eq!(
            Head::new(&plain, Some(b"x"), 3).unwrap_err(),
            EncodeError::WrongPrefixLen { len: 1, offset: 0 }
        );
    }
}
