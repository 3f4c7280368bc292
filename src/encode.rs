//! Turning payloads into frames: the header as a small inline array, or header and payload
//! appended to a `BytesMut`.

use core::ops::Deref;

#[cfg(feature = "alloc")]
use bytes::{BufMut, BytesMut};

use crate::checksum::Trailer;
use crate::codec::{Codec, MAX_HEADER_LEN};
#[cfg(feature = "alloc")]
use crate::codec::{Plain, Wide};
use crate::error::EncodeError;
#[cfg(feature = "alloc")]
use crate::error::EncodeWithError;

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

/// The bytes [`FrameEncoder::encode`] stores for a length field: [`LengthField`]'s writer's
/// `u128`, whatever the field's width.
///
/// [`LengthField`]: crate::LengthField
#[cfg(feature = "alloc")]
const FIELD_STORE: usize = 16;

const SYNC_AT: usize = 29;
const LEN_AT: usize = 30;
const PREFIX_AT: usize = 31;
const _: () = assert!(MAX_HEADER_LEN <= SYNC_AT);

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
        let sync_len = usize::from(self.raw[SYNC_AT]);
        let prefix_end = usize::from(self.raw[PREFIX_AT]);
        &mut self.raw[sync_len..prefix_end]
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

    /// The header for a payload of `payload_len` bytes, built inline (no allocation): send it,
    /// then the payload.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::Codec;
    ///
    /// let encoder = Codec::builder().length_field_offset(1).struct_format("!H").build()?.encoder();
    /// let mut header = encoder.header(5)?;
    /// header.prefix_mut().copy_from_slice(b"T"); // a type tag before the length
    /// assert_eq!(&header[..], b"T\x00\x05");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`EncodeError::TooLarge`] over [`max_encode_len`](Codec::max_encode_len);
    /// [`EncodeError::Unrepresentable`] if the length field cannot hold the length (300 with
    /// `"B"`, more than `i32::MAX` with `"i"`, or a negative value after the length adjustment).
    /// Lengths are never wrapped. [`EncodeError::TrailerNeeded`] for a codec with a
    /// [`checksum`](crate::CodecBuilder::checksum): its frames need a trailer after the
    /// payload (see [`header_without_trailer`](Self::header_without_trailer)).
    #[inline(always)]
    pub fn header(&self, payload_len: usize) -> Result<Header, EncodeError> {
        if self.codec.extras {
            return self.header_extras(payload_len);
        }
        self.build_header(self.field_value(payload_len)?, 0)
    }

    /// [`header`](Self::header) with sync bytes, a bit range or a checksum, off the path of the
    /// other layouts.
    #[cold]
    #[inline(never)]
    fn header_extras(&self, payload_len: usize) -> Result<Header, EncodeError> {
        if self.codec.checksum.is_some() {
            return Err(self.trailer_needed());
        }
        self.header_without_trailer(payload_len)
    }

    #[cold]
    #[inline(never)]
    fn trailer_needed(&self) -> EncodeError {
        EncodeError::TrailerNeeded {
            trailer_len: self.codec.trailer_len(),
        }
    }

    /// [`header`](Self::header), also for a codec with a
    /// [`checksum`](crate::CodecBuilder::checksum): the caller sends the header, the payload,
    /// then [`trailer`](Self::trailer) of the two.
    ///
    /// # Errors
    ///
    /// As [`header`](Self::header), except [`EncodeError::TrailerNeeded`].
    #[inline(always)]
    pub fn header_without_trailer(&self, payload_len: usize) -> Result<Header, EncodeError> {
        let mut value = self.field_value(payload_len)?;
        if let Some(bits) = self.codec.len_bits {
            value = bits.place(value);
        }
        self.build_header(value, self.codec.sync.len())
    }

    /// The header with the field's `value`, after `sync_len` sync bytes.
    #[inline(always)]
    fn build_header(&self, value: u64, sync_len: usize) -> Result<Header, EncodeError> {
        // Sync bytes and offset together are at most MAX_LENGTH_OFFSET = 16 bytes.
        let offset = self.codec.field_at;
        // The field's bytes from the one writer, shifted past the offset, as two 16-byte halves
        // built in registers.
        let (field_bytes, field_len) = self.codec.length_field().field_bytes(value);
        let shift = 8 * offset as u32;
        let mut lo = field_bytes.checked_shl(shift).unwrap_or(0);
        let mut hi = field_bytes.checked_shr(128 - shift).unwrap_or(0)
            | ((offset + field_len) as u128) << (8 * (LEN_AT - 16))
            | (offset as u128) << (8 * (PREFIX_AT - 16));
        if sync_len > 0 {
            // The sync bytes (zero past their length) go in front of the offset, in the same
            // store.
            lo |= u128::from(self.codec.sync.packed());
            hi |= (sync_len as u128) << (8 * (SYNC_AT - 16));
        }
        let mut raw = [0u8; 32];
        raw[..16].copy_from_slice(&lo.to_le_bytes());
        raw[16..].copy_from_slice(&hi.to_le_bytes());
        Ok(Header { raw })
    }

    /// The length field's value for a payload of `payload_len` bytes, checked against the
    /// maximum and against what the field can hold.
    #[inline(always)]
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
            Ok(value) if value <= codec.max_field_value() => Ok(value),
            _ => Err(EncodeError::Unrepresentable { value, field }),
        }
    }

    /// The checksum trailer for a frame whose sync bytes, header and payload are `frame`
    /// (exactly those, from the first sync byte to the end of the payload); `None` without a
    /// [`checksum`](crate::CodecBuilder::checksum). Writers that send [`header`](Self::header)
    /// and the payload themselves send this after them.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::{ByteOrder, Checksum, ChecksumAlgorithm, Codec};
    ///
    /// let codec = Codec::builder()
    ///     .struct_format("B")
    ///     .checksum(Checksum::new(ChecksumAlgorithm::Fletcher8, ByteOrder::Little))
    ///     .build()?;
    /// let encoder = codec.encoder();
    /// let mut frame = encoder.header_without_trailer(1)?.to_vec();
    /// frame.extend_from_slice(b"a");
    /// let trailer = encoder.trailer(&frame).unwrap();
    /// assert_eq!(trailer.as_bytes(), &[0x62, 0x63]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn trailer(&self, frame: &[u8]) -> Option<Trailer> {
        let check = self.codec.checksum()?;
        let start = check
            .cover_start(self.codec.sync_bytes().len())
            .min(frame.len());
        Some(check.trailer(&frame[start..]))
    }
}

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
impl FrameEncoder {
    /// Appends the header and `payload` to `dst`, reserving the room first.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::Codec;
    ///
    /// let encoder = Codec::builder().struct_format("B").build()?.encoder();
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
        if let Some(plain) = self.codec.plain() {
            // A plain 4-byte header (the default `"<i"`, and `"!I"`): the field is the length,
            // which fits it whenever it is at most `i32::MAX` (longer ones take the general
            // path, which knows the field's own limit).
            let len = payload.len();
            if len <= self.codec.max_encode_len() && len <= i32::MAX as usize {
                let field = match plain {
                    Plain::Little { .. } => (len as u32).to_le_bytes(),
                    Plain::Big { .. } => (len as u32).to_be_bytes(),
                };
                put_plain(dst, field, payload);
                return Ok(());
            }
        } else if let Some(wide) = self.codec.wide() {
            // A plain 2- or 8-byte header (`">Q"`, `"<H"`...): the same, up to `i16::MAX` for
            // 2 bytes (no length reaches an 8-byte field's limit).
            let len = payload.len();
            if len <= self.codec.max_encode_len() {
                match wide {
                    Wide::Long { big } => {
                        let len = len as u64;
                        let field = [len.to_le_bytes(), len.to_be_bytes()][usize::from(big)];
                        put_plain(dst, field, payload);
                    }
                    Wide::Short { big, .. } if len <= i16::MAX as usize => {
                        let len = len as u16;
                        let field = [len.to_le_bytes(), len.to_be_bytes()][usize::from(big)];
                        put_plain(dst, field, payload);
                    }
                    Wide::Short { .. } => return self.encode_general(payload, dst),
                }
                return Ok(());
            }
        }
        self.encode_general(payload, dst)
    }

    /// [`encode`](Self::encode) off its short path.
    #[inline(never)]
    fn encode_general(&self, payload: &[u8], dst: &mut BytesMut) -> Result<(), EncodeError> {
        if self.codec.extras {
            return self.encode_noisy(&[], payload, dst);
        }
        // Checked before anything is written; then the header goes straight into `dst` rather
        // than through an inline `Header` built and copied.
        let value = self.field_value(payload.len())?;
        let offset = self.codec.length_field_offset();
        let (field, field_len) = self.codec.length_field().field_bytes(value);
        dst.reserve(offset + FIELD_STORE + payload.len());
        if offset > 0 {
            dst.put_bytes(0, offset);
        }
        // All of the writer's bytes in one fixed-size store, then those past the field cut off:
        // a copy of a length known only at run time would be a call to `memcpy`.
        let end = dst.len() + field_len;
        dst.put_slice(&field.to_le_bytes());
        dst.truncate(end);
        dst.put_slice(payload);
        Ok(())
    }

    /// Appends a frame whose bytes before the length field
    /// ([`length_field_offset`](crate::CodecBuilder::length_field_offset) of them: a type tag, a
    /// magic number) are `prefix`: [`header`](Self::header) plus
    /// [`Header::prefix_mut`] and [`encode`](Self::encode) in one call.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::{Codec, EncodeError};
    ///
    /// let encoder = Codec::builder().length_field_offset(2).struct_format("!H").build()?.encoder();
    /// let mut out = BytesMut::new();
    /// encoder.encode_with_prefix(b"\xCA\xFE", b"abc", &mut out)?;
    /// assert_eq!(&out[..], b"\xCA\xFE\x00\x03abc");
    ///
    /// let err = encoder.encode_with_prefix(b"\xCA", b"abc", &mut out).unwrap_err();
    /// assert_eq!(err, EncodeError::WrongPrefixLen { len: 1, offset: 2 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`EncodeError::WrongPrefixLen`] if `prefix` is not exactly the offset long; otherwise as
    /// [`header`](Self::header). `dst` is unchanged on error.
    pub fn encode_with_prefix(
        &self,
        prefix: &[u8],
        payload: impl AsRef<[u8]>,
        dst: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        let offset = self.codec.length_field_offset();
        if prefix.len() != offset {
            return Err(EncodeError::WrongPrefixLen {
                len: prefix.len(),
                offset,
            });
        }
        let payload = payload.as_ref();
        if self.codec.is_noisy() {
            return self.encode_noisy(prefix, payload, dst);
        }
        let header = self.header(payload.len())?;
        dst.reserve(header.len() + payload.len());
        dst.put_slice(prefix);
        dst.put_slice(&header[offset..]);
        dst.put_slice(payload);
        Ok(())
    }

    /// [`encode_with_prefix`](Self::encode_with_prefix) with sync bytes, a length bit range or a
    /// checksum (`prefix` empty for [`encode`](Self::encode), which leaves the offset's bytes
    /// zero): sync, prefix, length field, payload, trailer.
    #[cold]
    fn encode_noisy(
        &self,
        prefix: &[u8],
        payload: &[u8],
        dst: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        let mut header = self.header_without_trailer(payload.len())?;
        if !prefix.is_empty() {
            header.prefix_mut().copy_from_slice(prefix);
        }
        let start = dst.len();
        dst.reserve(header.len() + payload.len() + self.codec.trailer_len());
        dst.put_slice(&header);
        dst.put_slice(payload);
        if let Some(trailer) = self.trailer(&dst[start..]) {
            dst.put_slice(&trailer);
        }
        Ok(())
    }

    /// Appends a frame whose body `body` writes straight into `dst`, for a body whose length is
    /// not known before it is written (a serialized message): no intermediate buffer.
    ///
    /// It appends room for the header, calls `body` to append the body after it, then writes
    /// the header for the body's length in front. The closure must only append to the buffer
    /// it is given (with `BufMut`, `extend_from_slice`, `core::fmt::Write`, or with `std`
    /// an `io::Write` from `BufMut::writer`: `serde_json::to_writer((&mut *buf).writer(), &msg)`);
    /// what it finds in the buffer before its start is not its own.
    ///
    /// A fixed-width field takes exactly its width. A varint's width depends on the length, so
    /// room is made for the widest varint the encoding maximum allows, and if the body turns out
    /// shorter than that needs, the body is moved back once to close the gap: cheap for the
    /// small messages a varint is mostly used for, one copy of the body otherwise. The body is
    /// checked against the maximum after it is written; set
    /// [`max_encode_len`](crate::CodecBuilder::max_encode_len) to what the peer accepts.
    ///
    /// # Examples
    ///
    /// A JSON-like body written with `write!`:
    ///
    /// ```
    /// use core::fmt::Write;
    /// use bytes::BytesMut;
    /// use lenframe::Codec;
    ///
    /// let encoder = Codec::default().encoder();
    /// let mut out = BytesMut::new();
    /// encoder.encode_with(&mut out, |buf| write!(buf, r#"{{"id":{},"name":"{}"}}"#, 7, "ab"))?;
    /// assert_eq!(&out[..], b"\x14\0\0\0{\"id\":7,\"name\":\"ab\"}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// With a varint, the header is as short as the body allows:
    ///
    /// ```
    /// use bytes::{BufMut, BytesMut};
    /// use lenframe::{Codec, LengthField};
    ///
    /// let encoder = Codec::builder().length_field(LengthField::VARINT).build()?.encoder();
    /// let mut out = BytesMut::new();
    /// encoder.encode_with(&mut out, |buf| {
    ///     buf.put_slice(b"hello");
    ///     Ok::<_, core::convert::Infallible>(())
    /// })?;
    /// assert_eq!(&out[..], b"\x05hello");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`EncodeWithError::Body`] if the closure fails; [`EncodeWithError::Encode`] if the body is
    /// longer than the encoding maximum or the field can hold (as [`header`](Self::header));
    /// [`EncodeWithError::Shrunk`] if the closure removed bytes from before its start. `dst` then
    /// holds what it held before the call (unless the closure itself removed some of that).
    pub fn encode_with<E>(
        &self,
        dst: &mut BytesMut,
        body: impl FnOnce(&mut BytesMut) -> Result<(), E>,
    ) -> Result<(), EncodeWithError<E>> {
        let start = dst.len();
        let room = self.header_room();
        dst.put_bytes(0, room);
        let body_start = start + room;
        let result = body(dst);
        let header = match (result, dst.len().checked_sub(body_start)) {
            (Err(err), _) => Err(EncodeWithError::Body(err)),
            (Ok(()), None) => Err(EncodeWithError::Shrunk {
                start: body_start,
                len: dst.len(),
            }),
            (Ok(()), Some(body_len)) => self
                .header_without_trailer(body_len)
                .map_err(EncodeWithError::Encode),
        };
        let header = match header {
            Ok(header) => header,
            Err(err) => {
                dst.truncate(start);
                return Err(err);
            }
        };
        let header_start = body_start - header.len();
        if header_start > start {
            // A varint shorter than the room made for it: close the gap.
            let end = dst.len();
            dst.copy_within(body_start..end, start + header.len());
            dst.truncate(end - (header_start - start));
        }
        dst[start..start + header.len()].copy_from_slice(&header);
        if let Some(trailer) = self.trailer(&dst[start..]) {
            dst.put_slice(&trailer);
        }
        Ok(())
    }

    /// The room [`encode_with`](Self::encode_with) makes for a header before the body is
    /// written: the offset and the widest length field any encodable body can need.
    fn header_room(&self) -> usize {
        let codec = &self.codec;
        let field = codec.length_field();
        let widest = (codec.max_encode_len() as i128 - i128::from(codec.length_adjustment()))
            .clamp(0, i128::from(codec.max_field_value()));
        codec.sync_bytes().len() + codec.length_field_offset() + field.encoded_len(widest as u64)
    }
}

/// [`FrameEncoder::encode`]'s short path for a plain fixed-width header (`"<i"`, `">Q"`,
/// `"<H"`...: no offset, adjustment, sync bytes or checksum), with every check it makes on a
/// length folded into one bound and the header written as one 8-byte store: the form the
/// stream writers keep for their per-frame path, computed when a setting changes rather than
/// looked up for each frame. The same bytes as `encode`.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct PlainField {
    /// One more than the longest payload it takes (the encoder's maximum, or less if the field
    /// holds less, or than `encode`'s short path takes); 0 for a layout without the form.
    bound: usize,
    /// The field's width in bytes.
    width: usize,
    /// Big-endian: the length's bytes are swapped, then shifted down by this many bits to the
    /// field's width.
    big: bool,
    shift: u32,
}

#[cfg(feature = "std")]
impl PlainField {
    /// The form for `encoder`'s settings.
    pub(crate) fn of(encoder: &FrameEncoder) -> PlainField {
        let codec = &encoder.codec;
        let max = codec.max_encode_len();
        // The longest payload `encode`'s short path takes for each layout.
        let (width, big, longest) = match (codec.plain(), codec.wide()) {
            (Some(Plain::Little { .. }), _) => (4, false, max.min(i32::MAX as usize)),
            (Some(Plain::Big { .. }), _) => (4, true, max.min(i32::MAX as usize)),
            (None, Some(Wide::Short { big, .. })) => (2, big, max.min(i16::MAX as usize)),
            (None, Some(Wide::Long { big })) => (8, big, max),
            (None, None) => {
                return PlainField {
                    bound: 0,
                    width: 0,
                    big: false,
                    shift: 0,
                }
            }
        };
        PlainField {
            bound: longest + 1,
            width,
            big,
            shift: 64 - 8 * width as u32,
        }
    }

    /// One more than the longest payload [`put`](Self::put) takes; 0 if it takes none.
    #[inline(always)]
    pub(crate) fn bound(self) -> usize {
        self.bound
    }

    /// The header's length.
    #[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
    #[inline(always)]
    pub(crate) fn width(self) -> usize {
        self.width
    }

    /// Appends `payload`'s frame to `dst`. The caller checked that the payload is shorter than
    /// [`bound`](Self::bound) and, for it not to grow, that `dst` has room for 8 bytes more than
    /// the frame.
    #[inline(always)]
    pub(crate) fn put(self, payload: &[u8], dst: &mut BytesMut) {
        debug_assert!(payload.len() < self.bound);
        let len = payload.len() as u64;
        let swapped = len.swap_bytes() >> self.shift;
        let field = if self.big { swapped } else { len };
        let end = dst.len() + self.width;
        dst.put_slice(&field.to_le_bytes());
        dst.truncate(end);
        dst.put_slice(payload);
    }
}

/// The plain header `field` and `payload` appended to `dst`, after one reserve.
#[cfg(feature = "alloc")]
#[inline(always)]
fn put_plain<const N: usize>(dst: &mut BytesMut, field: [u8; N], payload: &[u8]) {
    dst.reserve(N + payload.len());
    dst.put_slice(&field);
    dst.put_slice(payload);
}
