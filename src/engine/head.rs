//! A frame's header as it goes on the wire, with the caller's bytes before the length field
//! (`write_frame_with_prefix`), and the checksum trailer that follows its payload: the one
//! place every writer, the embedded ones included, builds them. No allocation, no I/O.
//!
//! A codec with a [`checksum`](crate::CodecBuilder::checksum) sends sync bytes, header,
//! payload, then the trailer. Writers that hold the frame in one piece (a frame copied into a
//! buffer) compute the trailer from it ([`FrameEncoder::trailer`]); writers that send the
//! payload from the caller's memory or stream it in compute it as the bytes go
//! ([`Head::trailer`], [`Head::digest`]). A caller's own check ([`Checksum::custom`]) takes
//! the covered bytes in one piece: those frames are copied whole by the std writers, and
//! refused ([`EncodeError::ChecksumNeedsWholeFrame`]) where they cannot be.
//!
//! [`Checksum::custom`]: crate::Checksum::custom

use crate::{ChecksumDigest, EncodeError, FrameEncoder, Header, Trailer};

/// The encoder's header for a payload, with the caller's prefix in place of the zeros it puts
/// before the length field when `length_field_offset` is not 0.
///
/// Just the header, as small as it (32 bytes): it is built and moved on every frame. Whether a
/// trailer follows is the codec's to say.
#[derive(Debug)]
pub(crate) struct Head {
    header: Header,
}

impl Head {
    /// The header for a payload of `payload_len` bytes, with `prefix` if there is one, as
    /// `FrameEncoder::encode_with_prefix` writes it.
    ///
    /// # Errors
    ///
    /// The encoder's error, or [`EncodeError::WrongPrefixLen`] for a prefix that is not
    /// `length_field_offset` bytes long (checked first, whatever the payload).
    #[inline(always)]
    pub(crate) fn new(
        encoder: &FrameEncoder,
        prefix: Option<&[u8]>,
        payload_len: usize,
    ) -> Result<Head, EncodeError> {
        // The per-frame case (no prefix, no checksum) builds the header straight into the
        // result: every other step between the encoder and the caller moves its 32 bytes.
        if prefix.is_some() {
            return Head::with_prefix(encoder, prefix, payload_len);
        }
        match encoder.header(payload_len) {
            Ok(header) => Ok(Head { header }),
            Err(err) => Head::with_trailer(encoder, payload_len, err),
        }
    }

    /// [`new`](Self::new) without a prefix, for a codec without a checksum only (the caller
    /// decided once which codec it has): one source for the header, so the compiler keeps it
    /// whole instead of merging it with the checksum path's piece by piece.
    #[cfg(feature = "std")]
    #[inline(always)]
    pub(crate) fn plain(encoder: &FrameEncoder, payload_len: usize) -> Result<Head, EncodeError> {
        debug_assert!(encoder.codec().checksum().is_none());
        Ok(Head {
            header: encoder.header(payload_len)?,
        })
    }

    /// [`new`](Self::new) with a prefix, off the per-frame path of `write_frame`.
    #[cold]
    #[inline(never)]
    fn with_prefix(
        encoder: &FrameEncoder,
        prefix: Option<&[u8]>,
        payload_len: usize,
    ) -> Result<Head, EncodeError> {
        if let Some(prefix) = prefix {
            let offset = encoder.codec().length_field_offset();
            if prefix.len() != offset {
                return Err(EncodeError::WrongPrefixLen {
                    len: prefix.len(),
                    offset,
                });
            }
        }
        let mut head = match encoder.header(payload_len) {
            Ok(header) => Head { header },
            Err(err) => Head::with_trailer(encoder, payload_len, err)?,
        };
        if let Some(prefix) = prefix {
            if !prefix.is_empty() {
                head.header.prefix_mut().copy_from_slice(prefix);
            }
        }
        Ok(head)
    }

    /// The header of a codec with a checksum, after [`FrameEncoder::header`] said
    /// [`EncodeError::TrailerNeeded`]; any other error as it is. Off the per-frame path of
    /// codecs without a checksum.
    #[cold]
    #[inline(never)]
    fn with_trailer(
        encoder: &FrameEncoder,
        payload_len: usize,
        err: EncodeError,
    ) -> Result<Head, EncodeError> {
        match err {
            EncodeError::TrailerNeeded { .. } => Ok(Head {
                header: encoder.header_without_trailer(payload_len)?,
            }),
            err => Err(err),
        }
    }

    /// How many bytes the header takes on the wire (sync bytes and prefix included).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.header.len()
    }

    /// The header's bytes.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.header
    }

    /// The check started over the header's covered bytes, for a payload that goes out in
    /// pieces: update it with the payload, then finish it into the trailer. `None` without a
    /// checksum.
    ///
    /// # Errors
    ///
    /// [`EncodeError::ChecksumNeedsWholeFrame`] for a caller's own check.
    pub(crate) fn digest(
        &self,
        encoder: &FrameEncoder,
    ) -> Result<Option<ChecksumDigest>, EncodeError> {
        let codec = encoder.codec();
        let Some(check) = codec.checksum() else {
            return Ok(None);
        };
        let Some(mut digest) = check.start() else {
            return Err(EncodeError::ChecksumNeedsWholeFrame {
                trailer_len: codec.trailer_len(),
            });
        };
        // The covered bytes start at most at the end of the shortest header (checked when the
        // codec is built).
        let start = check.cover_start(codec.sync_bytes().len()).min(self.len());
        digest.update(&self.header[start..]);
        Ok(Some(digest))
    }

    /// The trailer that follows `payload` after this header (empty without a checksum).
    ///
    /// # Errors
    ///
    /// [`EncodeError::ChecksumNeedsWholeFrame`] for a caller's own check.
    pub(crate) fn trailer(
        &self,
        encoder: &FrameEncoder,
        payload: &[u8],
    ) -> Result<Trailer, EncodeError> {
        Ok(match self.digest(encoder)? {
            None => Trailer::NONE,
            Some(mut digest) => {
                digest.update(payload);
                digest.finish()
            }
        })
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
        assert_eq!(head.as_bytes(), b"Q\0\0\0\x07");
        let plain = Head::new(&encoder, None, 3).unwrap();
        assert_eq!(plain.as_bytes(), b"\0\0\0\0\x07");
        assert_eq!(plain.trailer(&encoder, b"abc").unwrap().as_bytes(), b"");
    }

    #[test]
    fn a_prefix_goes_after_the_sync_bytes_and_the_trailer_covers_it() {
        use crate::{ByteOrder, Checksum, ChecksumAlgorithm};
        // UBX: sync B5 62, class and id as the prefix, a 2-byte little-endian length.
        let codec = Codec::builder()
            .sync_bytes(b"\xB5\x62")
            .length_field_offset(2)
            .struct_format("<H")
            .checksum(Checksum::new(
                ChecksumAlgorithm::Fletcher8,
                ByteOrder::Little,
            ))
            .build()
            .unwrap();
        let encoder = codec.encoder();
        let head = Head::new(&encoder, Some(&[0x01, 0x07]), 0).unwrap();
        assert_eq!(head.as_bytes(), b"\xB5\x62\x01\x07\0\0");
        // UBX's checksum of a NAV-PVT poll.
        assert_eq!(
            head.trailer(&encoder, b"").unwrap().as_bytes(),
            &[0x08, 0x19]
        );
        let mut whole = bytes::BytesMut::new();
        encoder
            .encode_with_prefix(&[0x01, 0x07], b"xyz", &mut whole)
            .unwrap();
        let head = Head::new(&encoder, Some(&[0x01, 0x07]), 3).unwrap();
        let trailer = head.trailer(&encoder, b"xyz").unwrap();
        assert_eq!([head.as_bytes(), b"xyz", &trailer].concat(), &whole[..]);
    }

    #[test]
    fn a_custom_check_cannot_be_computed_in_pieces() {
        use crate::{ByteOrder, Checksum};
        let codec = Codec::builder()
            .sync_bytes(b"\xFE")
            .struct_format("B")
            .checksum(Checksum::custom(|c| c.len() as u64, 2, ByteOrder::Big))
            .build()
            .unwrap();
        let encoder = codec.encoder();
        let head = Head::new(&encoder, None, 3).unwrap();
        assert_eq!(
            head.trailer(&encoder, b"abc").unwrap_err(),
            EncodeError::ChecksumNeedsWholeFrame { trailer_len: 2 }
        );
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
