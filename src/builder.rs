//! The builder that checks a [`Codec`]'s settings, with a worked example for every option.

use crate::checksum::Checksum;
use crate::codec::{Codec, MAX_FRAME_LEN_LIMIT, MAX_LENGTH_OFFSET};
use crate::error::ConfigError;
use crate::format::{LengthBits, LengthField};
use crate::sync::{SyncBytes, MAX_SYNC_LEN};

/// Builds a [`Codec`], checking that the settings work together.
///
/// Start from [`Codec::builder`] (the defaults) or [`Codec::to_builder`] (an existing codec),
/// chain the settings to change, then call [`build`](Self::build). Every setter states its
/// default; `build` rejects combinations that could never frame anything, rather than clamping
/// them.
///
/// Each option below has an example with the bytes on the wire (`INPUT`), what the decoder
/// returns for them (`DECODED`), and the builder code. The diagrams show bytes in hex, and
/// payload text as its characters.
///
/// # Examples
///
/// A peer that writes `struct.pack('!I', len(data)) + data` (tokio-util's and Netty's default
/// layout), with a 1 MiB maximum:
///
/// ```text
/// INPUT                                   DECODED
/// +---- length ----+--- payload ---+      +--- payload ---+
/// | 00 00 00 05    |  h e l l o    | -->  |  h e l l o    |
/// +----------------+---------------+      +---------------+
/// ```
///
/// ```
/// use lenframe::{Codec, Decoded};
///
/// let codec = Codec::builder().struct_format("!I").max_frame_len(1 << 20).build()?;
///
/// let input = b"\x00\x00\x00\x05hello";
/// assert_eq!(codec.decode_slice(input)?, Decoded::Frame { frame: &b"hello"[..], consumed: 9 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Common layouts
///
/// ## A length that counts its own header
///
/// Some protocols count the length field itself: 5 payload bytes are announced as 9. The
/// adjustment takes the header back off.
///
/// ```text
/// INPUT                                   DECODED
/// +---- length ----+--- payload ---+      +--- payload ---+
/// | 00 00 00 09    |  h e l l o    | -->  |  h e l l o    |
/// +----------------+---------------+      +---------------+
/// ```
///
/// ```
/// use lenframe::{Codec, Decoded};
///
/// let codec = Codec::builder().struct_format("!I").length_adjustment(-4).build()?;
///
/// let input = b"\x00\x00\x00\x09hello";
/// assert_eq!(codec.decode_slice(input)?, Decoded::Frame { frame: &b"hello"[..], consumed: 9 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// ## Offset, adjustment and keeping the header together
///
/// A 2-byte magic number, then a 2-byte big-endian length that counts the whole frame (magic,
/// length and payload), and the caller wants the header back to check the magic:
///
/// ```text
/// INPUT                                          DECODED
/// +- magic -+- length -+--- payload ---+         +- magic -+- length -+--- payload ---+
/// |  CA FE  |  00 09   |  h e l l o    |  -->    |  CA FE  |  00 09   |  h e l l o    |
/// +---------+----------+---------------+         +---------+----------+---------------+
/// ```
///
/// ```
/// use lenframe::{Codec, Decoded};
///
/// let codec = Codec::builder()
///     .length_field_offset(2) // the magic number comes first
///     .struct_format("!H")
///     .length_adjustment(-4) // the length counts the 4 header bytes too
///     .keep_header(true)
///     .build()?;
///
/// let input = b"\xCA\xFE\x00\x09hello";
/// assert_eq!(codec.decode_slice(input)?, Decoded::Frame { frame: &input[..], consumed: 9 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// ## MySQL's packet header: a 3-byte length, then a sequence byte
///
/// A MySQL packet starts with the payload length as 3 bytes little-endian, then a sequence
/// number, then the payload. The length is the first thing in the header, and the sequence byte
/// after it is not counted: a length adjustment of +1 takes it into the frame, so the decoder
/// returns the sequence byte followed by the payload (or, with [`keep_header`](Self::keep_header),
/// the whole packet).
///
/// ```text
/// INPUT                                        DECODED
/// +- length -+- seq -+--- payload ---+         +- seq -+--- payload ---+
/// | 05 00 00 |  01   |  h e l l o    |  -->    |  01   |  h e l l o    |
/// +----------+-------+---------------+         +-------+---------------+
/// ```
///
/// ```
/// use bytes::BytesMut;
/// use lenframe::{ByteOrder, Codec, Decoded, LengthField};
///
/// let mysql = Codec::builder()
///     .length_field(LengthField::fixed(3, false, ByteOrder::Little)?)
///     .length_adjustment(1) // the sequence byte follows the length and is not counted
///     .max_frame_len(1 + 0xff_ffff) // the sequence byte and the largest packet
///     .build()?;
///
/// let input = b"\x05\x00\x00\x01hello";
/// let Decoded::Frame { frame, consumed } = mysql.decode_slice(input)? else { panic!() };
/// let (sequence, payload) = (frame[0], &frame[1..]);
/// assert_eq!((sequence, payload, consumed), (1, &b"hello"[..], 9));
///
/// // Encoding: the frame body is the sequence byte and the payload.
/// let mut out = BytesMut::new();
/// mysql.encoder().encode(b"\x01hello", &mut out)?;
/// assert_eq!(&out[..], input);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct CodecBuilder {
    codec: Codec,
    /// The first [`struct_format`](Self::struct_format) that did not parse, for `build`.
    error: Option<ConfigError>,
}

impl CodecBuilder {
    pub(crate) fn from_codec(codec: Codec) -> CodecBuilder {
        CodecBuilder { codec, error: None }
    }

    /// The length field. Default: [`LengthField::I32_LE`] (`"<i"`, Python's `'i'` on x86-64
    /// and ARM64).
    ///
    /// Any width from 1 to 8 bytes ([`LengthField::fixed`]), signed or unsigned, in little,
    /// big or native byte order, or a varint ([`LengthField::VARINT`]). A signed field
    /// holding a negative value is a [`FrameError::NegativeLength`](crate::FrameError::NegativeLength).
    ///
    /// # Examples
    ///
    /// A 2-byte unsigned big-endian length, `struct.pack('!H', n)`:
    ///
    /// ```text
    /// INPUT                          DECODED
    /// +- length -+--- payload ---+   +--- payload ---+
    /// |  00 05   |  h e l l o    |-->|  h e l l o    |
    /// +----------+---------------+   +---------------+
    /// ```
    ///
    /// ```
    /// use lenframe::{ByteOrder, Codec, Decoded, LengthField};
    ///
    /// let field = LengthField::fixed(2, false, ByteOrder::Big)?; // or from_struct_format("!H")
    /// let codec = Codec::builder().length_field(field).build()?;
    ///
    /// let input = b"\x00\x05hello";
    /// assert_eq!(codec.decode_slice(input)?, Decoded::Frame { frame: &b"hello"[..], consumed: 7 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A 3-byte little-endian length, a width Python's `struct` has no code for:
    ///
    /// ```text
    /// INPUT                            DECODED
    /// +-- length --+--- payload ---+   +--- payload ---+
    /// |  05 00 00  |  h e l l o    |-->|  h e l l o    |
    /// +------------+---------------+   +---------------+
    /// ```
    ///
    /// ```
    /// use lenframe::{ByteOrder, Codec, Decoded, LengthField};
    ///
    /// let codec = Codec::builder()
    ///     .length_field(LengthField::fixed(3, false, ByteOrder::Little)?)
    ///     .build()?;
    ///
    /// let input = b"\x05\x00\x00hello";
    /// assert_eq!(codec.decode_slice(input)?, Decoded::Frame { frame: &b"hello"[..], consumed: 8 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A signed field (the default `"<i"`) rejects a negative length as soon as it is read:
    ///
    /// ```text
    /// INPUT                   DECODED
    /// +---- length ----+
    /// | FF FF FF FF    |  -->  Err(NegativeLength { len: -1, .. })
    /// +----------------+
    /// ```
    ///
    /// ```
    /// use lenframe::{Codec, FrameError};
    ///
    /// let codec = Codec::builder().length_field(lenframe::LengthField::I32_LE).build()?;
    /// let err = codec.decode_slice(b"\xFF\xFF\xFF\xFF").unwrap_err();
    /// assert!(matches!(err, FrameError::NegativeLength { len: -1, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// An unsigned LEB128 varint, as protobuf's `writeDelimitedTo` writes it (300 = `AC 02`):
    ///
    /// ```text
    /// INPUT                            DECODED
    /// +- length -+-- payload --+       +-- payload --+
    /// |  AC 02   | 300 bytes   |  -->  | 300 bytes   |
    /// +----------+-------------+       +-------------+
    /// ```
    ///
    /// ```
    /// use lenframe::{Codec, Decoded, LengthField};
    ///
    /// let codec = Codec::builder().length_field(LengthField::VARINT).build()?;
    ///
    /// let mut input = vec![0xAC, 0x02];
    /// input.extend_from_slice(&[7; 300]);
    /// assert_eq!(codec.decode_slice(&input)?, Decoded::Frame { frame: &input[2..], consumed: 302 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn length_field(mut self, field: LengthField) -> Self {
        self.codec.field = field;
        self
    }

    /// The length field, named by the struct format string a Python peer passes to
    /// `struct.pack` (`"!I"`, `"<H"`, `"q"`), parsed as [`LengthField::from_struct_format`]
    /// does. Default: `"<i"`.
    ///
    /// A string that does not parse is kept and reported by [`build`](Self::build), so the
    /// whole chain needs one `?`. The first bad string is the one reported, even if a later
    /// setter sets the length field again.
    ///
    /// # Examples
    ///
    /// ```text
    /// "!I":   INPUT  | 00 00 00 05 | h e l l o |  -->  DECODED  | h e l l o |
    /// ```
    ///
    /// ```
    /// use lenframe::{Codec, ConfigError, Decoded};
    ///
    /// let codec = Codec::builder().struct_format("!I").max_frame_len(1024).build()?;
    /// assert_eq!(
    ///     codec.decode_slice(b"\x00\x00\x00\x05hello")?,
    ///     Decoded::Frame { frame: &b"hello"[..], consumed: 9 }
    /// );
    ///
    /// let err = Codec::builder().struct_format("!f").max_frame_len(1024).build().unwrap_err();
    /// assert!(matches!(err, ConfigError::StructFormat { at: 1, found: Some('f'), .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn struct_format(mut self, format: &str) -> Self {
        match LengthField::from_struct_format(format) {
            Ok(field) => self.codec.field = field,
            Err(err) => {
                self.error.get_or_insert(err);
            }
        }
        self
    }

    /// The maximum payload length for both decoding and encoding, header excluded.
    /// Default: [`DEFAULT_MAX_FRAME_LEN`](crate::DEFAULT_MAX_FRAME_LEN) (8 MiB).
    ///
    /// A decoder rejects a header announcing more before reading any of the payload (so a
    /// hostile peer cannot make it buffer a huge frame); an encoder refuses a longer payload.
    /// Lengths the field cannot hold are refused too, whatever this is.
    ///
    /// # Examples
    ///
    /// ```text
    /// max_frame_len(4):
    ///   INPUT  | 04 00 00 00 | h e l l |    -->  DECODED  | h e l l |
    ///   INPUT  | 05 00 00 00 | h e l l o |  -->  Err(TooLarge { len: 5, max: 4, .. })
    /// ```
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::{Codec, Decoded, EncodeError, FrameError};
    ///
    /// let codec = Codec::builder().max_frame_len(4).build()?;
    /// assert_eq!(
    ///     codec.decode_slice(b"\x04\0\0\0hell")?,
    ///     Decoded::Frame { frame: &b"hell"[..], consumed: 8 }
    /// );
    /// assert!(matches!(
    ///     codec.decode_slice(b"\x05\0\0\0hello"),
    ///     Err(FrameError::TooLarge { len: 5, max: 4, .. })
    /// ));
    /// assert_eq!(
    ///     codec.encoder().encode(b"hello", &mut BytesMut::new()),
    ///     Err(EncodeError::TooLarge { len: 5, max: 4 })
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_frame_len(self, max: usize) -> Self {
        self.max_decode_len(max).max_encode_len(max)
    }

    /// The maximum payload length the decoder accepts, header excluded. Default: 8 MiB.
    ///
    /// Each direction has its own maximum: a server can accept small requests and send large
    /// replies. [`FrameDecoder::set_max_frame_len`](crate::FrameDecoder::set_max_frame_len)
    /// changes it on a live decoder.
    ///
    /// # Examples
    ///
    /// ```text
    /// max_decode_len(4), max_encode_len(1024):
    ///   decoding  INPUT  | 05 00 00 00 | h e l l o |  -->  Err(TooLarge { len: 5, max: 4, .. })
    ///   encoding  "hello"  -->  | 05 00 00 00 | h e l l o |
    /// ```
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::{Codec, FrameError};
    ///
    /// let codec = Codec::builder().max_decode_len(4).max_encode_len(1024).build()?;
    /// let mut wire = BytesMut::new();
    /// codec.encoder().encode(b"hello", &mut wire)?;
    /// assert_eq!(&wire[..], b"\x05\0\0\0hello");
    /// assert!(matches!(
    ///     codec.decode_slice(&wire),
    ///     Err(FrameError::TooLarge { len: 5, max: 4, .. })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_decode_len(mut self, max: usize) -> Self {
        self.codec.max_decode_len = max;
        self
    }

    /// The maximum payload length the encoder accepts, header excluded. Default: 8 MiB.
    ///
    /// # Examples
    ///
    /// ```text
    /// max_encode_len(4):   "hello"  -->  Err(EncodeError::TooLarge { len: 5, max: 4 })
    /// ```
    ///
    /// ```
    /// use lenframe::{Codec, EncodeError};
    ///
    /// let codec = Codec::builder().max_encode_len(4).build()?;
    /// assert_eq!(codec.max_decode_len(), lenframe::DEFAULT_MAX_FRAME_LEN);
    /// assert_eq!(codec.encoder().header(5), Err(EncodeError::TooLarge { len: 5, max: 4 }));
    /// assert_eq!(&codec.encoder().header(4)?[..], b"\x04\0\0\0");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_encode_len(mut self, max: usize) -> Self {
        self.codec.max_encode_len = max;
        self
    }

    /// Bytes before the length field (a type tag, a magic number), at most
    /// [`MAX_LENGTH_OFFSET`]. Default: 0.
    ///
    /// The decoder skips them (or returns them with [`keep_header`](Self::keep_header)); the
    /// encoder writes zeros there, or the bytes given to
    /// [`FrameEncoder::encode_with_prefix`](crate::FrameEncoder::encode_with_prefix) (or set with
    /// [`Header::prefix_mut`](crate::Header::prefix_mut)).
    ///
    /// # Examples
    ///
    /// ```text
    /// length_field_offset(2), "<H":
    /// INPUT                                     DECODED
    /// +-- tag --+- length -+- payload -+        +- payload -+
    /// |  CA FE  |  03 00   |  a b c    |  -->   |  a b c    |
    /// +---------+----------+-----------+        +-----------+
    /// ```
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::{Codec, Decoded};
    ///
    /// let codec = Codec::builder().length_field_offset(2).struct_format("<H").build()?;
    ///
    /// let input = b"\xCA\xFE\x03\x00abc";
    /// assert_eq!(codec.decode_slice(input)?, Decoded::Frame { frame: &b"abc"[..], consumed: 7 });
    ///
    /// let mut out = BytesMut::new();
    /// codec.encoder().encode_with_prefix(b"\xCA\xFE", b"abc", &mut out)?;
    /// assert_eq!(&out[..], input);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn length_field_offset(mut self, offset: usize) -> Self {
        self.codec.length_offset = offset;
        self
    }

    /// Added to the length field's value to get the payload length. Default: 0.
    ///
    /// The encoder writes the payload length minus the adjustment. A negative adjustment is
    /// for a length that counts header bytes too (the negated header length if it counts the
    /// whole header); a positive one for bytes after the length field that it does not count,
    /// which then become part of the decoded frame (see MySQL's header in
    /// [`CodecBuilder`'s examples](CodecBuilder#mysqls-packet-header-a-3-byte-length-then-a-sequence-byte)).
    ///
    /// # Examples
    ///
    /// A length that counts its 4 bytes too:
    ///
    /// ```text
    /// length_adjustment(-4), "!I":
    /// INPUT                                  DECODED
    /// +---- length ----+-- payload --+       +-- payload --+
    /// | 00 00 00 07    |  a b c      |  -->  |  a b c      |
    /// +----------------+-------------+       +-------------+
    /// ```
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::{Codec, Decoded};
    ///
    /// let codec = Codec::builder().struct_format("!I").length_adjustment(-4).build()?;
    ///
    /// let input = b"\x00\x00\x00\x07abc";
    /// assert_eq!(codec.decode_slice(input)?, Decoded::Frame { frame: &b"abc"[..], consumed: 7 });
    ///
    /// let mut out = BytesMut::new();
    /// codec.encoder().encode(b"abc", &mut out)?;
    /// assert_eq!(&out[..], input);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A length that leaves out a 2-byte checksum after the payload:
    ///
    /// ```text
    /// length_adjustment(2), "B":
    /// INPUT                                 DECODED
    /// +- length -+- payload -+- crc -+       +- payload -+- crc -+
    /// |   03     |  a b c    | 12 34 |  -->  |  a b c    | 12 34 |
    /// +----------+-----------+-------+       +-----------+-------+
    /// ```
    ///
    /// ```
    /// use lenframe::{Codec, Decoded};
    ///
    /// let codec = Codec::builder().struct_format("B").length_adjustment(2).build()?;
    /// let input = b"\x03abc\x12\x34";
    /// assert_eq!(codec.decode_slice(input)?, Decoded::Frame { frame: &input[1..], consumed: 6 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn length_adjustment(mut self, adjustment: i64) -> Self {
        self.codec.adjustment = adjustment;
        self
    }

    /// Whether decoded frames include their header (offset bytes and length field).
    /// Default: `false`, the payload alone.
    ///
    /// # Examples
    ///
    /// ```text
    /// keep_header(true):
    /// INPUT                                  DECODED
    /// +---- length ----+-- payload --+       +---- length ----+-- payload --+
    /// | 03 00 00 00    |  a b c      |  -->  | 03 00 00 00    |  a b c      |
    /// +----------------+-------------+       +----------------+-------------+
    /// ```
    ///
    /// ```
    /// use lenframe::{Codec, Decoded};
    ///
    /// let codec = Codec::builder().keep_header(true).build()?;
    /// let input = b"\x03\0\0\0abc";
    /// assert_eq!(codec.decode_slice(input)?, Decoded::Frame { frame: &input[..], consumed: 7 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keep_header(mut self, keep: bool) -> Self {
        self.codec.keep_header = keep;
        self
    }

    /// Whether [`FrameDecoder`](crate::FrameDecoder) skips the body of an oversized frame and
    /// goes on with the next one (Netty's discard mode). Default: `false`, fail fast.
    ///
    /// Either way the oversized frame is reported as
    /// [`FrameError::TooLarge`](crate::FrameError::TooLarge); with skipping on, the decoder then
    /// discards the frame's bytes as they arrive, without buffering them, and decoding again
    /// continues with the next frame. The stateless [`Codec::decode_slice`] cannot skip (it
    /// keeps no state between calls); [`FrameDecoder::decode_slice`](crate::FrameDecoder::decode_slice)
    /// can.
    ///
    /// # Examples
    ///
    /// ```text
    /// max_frame_len(4), skip_oversized(true):
    /// INPUT   | 06 00 00 00 | t o o b i g | 02 00 00 00 | o k |
    /// DECODED   Err(TooLarge { len: 6, max: 4, .. }), then  | o k |
    /// ```
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::{Codec, FrameError};
    ///
    /// let codec = Codec::builder().max_frame_len(4).skip_oversized(true).build()?;
    /// let mut decoder = codec.decoder();
    /// let mut buf = BytesMut::from(&b"\x06\0\0\0toobig\x02\0\0\0ok"[..]);
    /// assert!(matches!(
    ///     decoder.decode(&mut buf),
    ///     Err(FrameError::TooLarge { len: 6, max: 4, .. })
    /// ));
    /// assert_eq!(decoder.decode(&mut buf)?.unwrap(), &b"ok"[..]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn skip_oversized(mut self, skip: bool) -> Self {
        self.codec.skip_oversized = skip;
        self
    }

    /// Fixed bytes sent in front of every frame, before the bytes of
    /// [`length_field_offset`](Self::length_field_offset) and the length field: u-blox UBX's
    /// `B5 62`, RTCM 3's `D3`, MAVLink's `FE`. At most [`MAX_SYNC_LEN`](crate::MAX_SYNC_LEN)
    /// bytes, and with the offset at most [`MAX_LENGTH_OFFSET`]. Default: none.
    ///
    /// With sync bytes set, [`FrameDecoder`](crate::FrameDecoder) resynchronises: bytes that do
    /// not start with the sync bytes, a frame with an impossible length (over the maximum,
    /// negative) or one whose [`checksum`](Self::checksum) fails are dropped up to the next place
    /// the sync bytes appear (at least one byte), reported as
    /// [`Decoded::Skipped`](crate::Decoded::Skipped) by `decode_slice` and dropped from the
    /// buffer by `decode`, and counted by
    /// [`FrameDecoder::dropped_bytes`](crate::FrameDecoder::dropped_bytes). No error is returned
    /// for them. The sync bytes are part of the header: [`keep_header`](Self::keep_header) keeps
    /// them.
    ///
    /// # Examples
    ///
    /// ```text
    /// sync_bytes(b"\xAA\x55"), struct_format("B"):
    /// INPUT   | 00 17 | AA 55 | 02 | h i | AA 55 | 01 | ! |
    /// DECODED  (2 bytes dropped)   | h i |              | ! |
    /// ```
    ///
    /// ```
    /// use lenframe::{Codec, Decoded};
    ///
    /// let codec = Codec::builder().sync_bytes(b"\xAA\x55").struct_format("B").build()?;
    /// let mut decoder = codec.decoder();
    /// let input = b"\x00\x17\xAA\x55\x02hi\xAA\x55\x01!";
    /// assert_eq!(decoder.decode_slice(input)?, Decoded::Skipped { consumed: 2 });
    /// assert_eq!(decoder.decode_slice(&input[2..])?, Decoded::Frame { frame: b"hi", consumed: 5 });
    /// assert_eq!(decoder.decode_slice(&input[7..])?, Decoded::Frame { frame: b"!", consumed: 4 });
    /// assert_eq!(decoder.dropped_bytes(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sync_bytes(mut self, sync: &[u8]) -> Self {
        match SyncBytes::new(sync) {
            Ok(sync) => self.codec.sync = sync,
            Err(len) => {
                self.error.get_or_insert(ConfigError::SyncTooLong {
                    len,
                    max: MAX_SYNC_LEN,
                });
            }
        }
        self
    }

    /// The length is `bits` bits of the length field's value, starting `shift` bits from its
    /// least significant end; the field's other bits are ignored when decoding and written as
    /// zeros. The field must be unsigned and fixed-width, and the bits must lie inside it.
    /// Default: the whole field.
    ///
    /// # Examples
    ///
    /// RTCM 3: after the `D3` preamble, 6 reserved bits and a 10-bit length, big-endian.
    ///
    /// ```text
    /// sync_bytes(b"\xD3"), struct_format(">H"), length_field_bits(0, 10), keep_header(true):
    /// INPUT   | D3 | FC 03 | a b c |
    /// DECODED | D3 | FC 03 | a b c |   (length 3: the top 6 bits of FC 03 are not length)
    /// ```
    ///
    /// ```
    /// use lenframe::{Codec, Decoded};
    ///
    /// let codec = Codec::builder()
    ///     .sync_bytes(b"\xD3")
    ///     .struct_format(">H")
    ///     .length_field_bits(0, 10)
    ///     .keep_header(true)
    ///     .build()?;
    /// let input = b"\xD3\xFC\x03abc";
    /// assert_eq!(codec.decode_slice(input)?, Decoded::Frame { frame: &input[..], consumed: 6 });
    /// // The encoder writes the length there, zeros around it.
    /// assert_eq!(&codec.encoder().header(3)?[..], b"\xD3\x00\x03");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn length_field_bits(mut self, shift: u8, bits: u8) -> Self {
        self.codec.len_bits = Some(LengthBits { shift, bits });
        self
    }

    /// A checksum trailer after the payload (see [`Checksum`]): the decoder checks it and never
    /// returns a frame whose check fails; the encoder appends it. It is not counted in the
    /// length field (use [`length_adjustment`](Self::length_adjustment) for a length that counts
    /// it). Default: none.
    ///
    /// Without [`sync_bytes`](Self::sync_bytes) a failed check is an error,
    /// [`FrameError::ChecksumMismatch`](crate::FrameError::ChecksumMismatch), and nothing is
    /// consumed (fail fast, as for any other bad frame); with sync bytes, the decoder drops bytes
    /// up to the next sync and goes on.
    ///
    /// # Examples
    ///
    /// u-blox UBX: `B5 62`, class, id, a 2-byte little-endian payload length, the payload, then
    /// Fletcher-8 over class to the end of the payload.
    ///
    /// ```text
    /// sync_bytes(b"\xB5\x62"), length_field_offset(2), struct_format("<H"),
    /// checksum(Fletcher8, little-endian), keep_header(false):
    /// INPUT   | B5 62 | 0A 04 | 02 00 | a b | D3 7C | B5 62 | 0A 04 | 02 00 | a b | 00 00 |
    /// DECODED                         | a b |        (the second frame fails its check: dropped)
    /// ```
    ///
    /// ```
    /// use lenframe::{ByteOrder, Checksum, ChecksumAlgorithm, Codec};
    ///
    /// let ubx = Codec::builder()
    ///     .sync_bytes(b"\xB5\x62")
    ///     .length_field_offset(2)
    ///     .struct_format("<H")
    ///     .checksum(Checksum::new(ChecksumAlgorithm::Fletcher8, ByteOrder::Little))
    ///     .build()?;
    /// let mut wire = bytes::BytesMut::new();
    /// ubx.encoder().encode_with_prefix(b"\x0A\x04", b"ab", &mut wire)?;
    /// assert_eq!(&wire[..], b"\xB5\x62\x0A\x04\x02\x00ab\xD3\x7C");
    /// wire.extend_from_slice(b"\xB5\x62\x0A\x04\x02\x00ab\x00\x00");
    ///
    /// let mut decoder = ubx.decoder();
    /// assert_eq!(decoder.decode(&mut wire)?.unwrap(), &b"ab"[..]);
    /// assert_eq!(decoder.decode(&mut wire)?, None);
    /// assert_eq!((decoder.rejected_frames(), decoder.dropped_bytes()), (1, 10));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn checksum(mut self, checksum: Checksum) -> Self {
        self.codec.checksum = Some(checksum);
        self
    }

    /// Checks the settings and returns the codec.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::{Codec, ConfigError};
    ///
    /// let err = Codec::builder().max_frame_len(10).length_adjustment(11).build().unwrap_err();
    /// assert_eq!(err, ConfigError::AdjustmentOverMaximum { adjustment: 11, max: 10 });
    /// ```
    ///
    /// # Errors
    ///
    /// - [`ConfigError::StructFormat`] for a [`struct_format`](Self::struct_format) that did not
    ///   parse (the first one);
    /// - [`ConfigError::OffsetTooLarge`] for an offset over [`MAX_LENGTH_OFFSET`];
    /// - [`ConfigError::AdjustmentOutOfRange`] for an adjustment of more than the field's largest
    ///   value either way (no frame could ever be valid);
    /// - [`ConfigError::MaxFrameLenTooLarge`] for a maximum over [`MAX_FRAME_LEN_LIMIT`];
    /// - [`ConfigError::AdjustmentOverMaximum`] for a positive adjustment over the decoding
    ///   maximum (every payload would be too large to decode).
    pub fn build(self) -> Result<Codec, ConfigError> {
        if let Some(err) = self.error {
            return Err(err);
        }
        let codec = self.codec;
        if codec.length_offset > MAX_LENGTH_OFFSET {
            return Err(ConfigError::OffsetTooLarge {
                offset: codec.length_offset,
                max: MAX_LENGTH_OFFSET,
            });
        }
        check_noisy(&codec)?;
        let mut codec = codec;
        codec.field_at = codec.sync.len() + codec.length_offset;
        codec.extras =
            codec.sync.len() != 0 || codec.len_bits.is_some() || codec.checksum.is_some();
        codec.plain = codec.compute_plain();
        let max_value = codec.field.max_value();
        if codec.adjustment.unsigned_abs() > max_value {
            return Err(ConfigError::AdjustmentOutOfRange {
                adjustment: codec.adjustment,
                field: codec.field,
                max_value,
            });
        }
        let max = codec.max_decode_len.max(codec.max_encode_len);
        if max > MAX_FRAME_LEN_LIMIT {
            return Err(ConfigError::MaxFrameLenTooLarge {
                max,
                limit: MAX_FRAME_LEN_LIMIT,
            });
        }
        if codec.adjustment > 0 && codec.adjustment as u64 > codec.max_decode_len as u64 {
            return Err(ConfigError::AdjustmentOverMaximum {
                adjustment: codec.adjustment,
                max: codec.max_decode_len,
            });
        }
        Ok(codec)
    }
}

/// The sync bytes, bit range and checksum against the rest of the settings.
fn check_noisy(codec: &Codec) -> Result<(), ConfigError> {
    let sync_len = codec.sync.len();
    if sync_len + codec.length_offset > MAX_LENGTH_OFFSET {
        return Err(ConfigError::OffsetTooLarge {
            offset: sync_len + codec.length_offset,
            max: MAX_LENGTH_OFFSET,
        });
    }
    if let Some(bits) = codec.len_bits {
        let width = codec.field.width().filter(|_| !codec.field.is_signed());
        let fits = width.is_some_and(|width| {
            bits.bits > 0 && usize::from(bits.shift) + usize::from(bits.bits) <= 8 * width
        });
        if !fits {
            return Err(ConfigError::LengthBitsOutsideField {
                shift: bits.shift,
                bits: bits.bits,
                field: codec.field,
            });
        }
    }
    if let Some(check) = codec.checksum {
        if !(1..=8).contains(&check.width()) {
            return Err(ConfigError::ChecksumWidth {
                width: check.width(),
            });
        }
        let max = codec.min_header_len();
        let start = check.cover_start(sync_len);
        if start > max {
            return Err(ConfigError::ChecksumStart { start, max });
        }
    }
    Ok(())
}
