//! `tokio_util::codec` trait impls, so the core drops into `Framed`, `FramedRead` and
//! `FramedWrite`.

use ::tokio_util::codec;
use bytes::{Bytes, BytesMut};

use crate::engine::framed_sizing::{fit_write_buffer, FramedSizing};
use crate::{Codec, Error, FrameDecoder, FrameEncoder};

/// The codec to hand to tokio-util's `Framed`, `FramedRead` and `FramedWrite`: a
/// [`FrameDecoder`] and a [`FrameEncoder`] with the same settings in one value.
///
/// This is lenframe's own codec for `Framed`, with lenframe's settings ([`Codec`]: struct
/// format codes, signed lengths, varints, checksums, `skip_oversized`) and lenframe's errors.
/// It implements the same traits with the same item types as tokio-util's
/// `LengthDelimitedCodec` (`Decoder<Item = BytesMut>`, `Encoder<Bytes>`), with the maximum as
/// [`max_frame_len`](Self::max_frame_len) / [`set_max_frame_len`](Self::set_max_frame_len)
/// (tokio-util's `max_frame_length` / `set_max_frame_length` spellings still work, deprecated).
/// Frames come out as `BytesMut` split off the read buffer (no copy).
///
/// To move code written for `LengthDelimitedCodec` with nothing but its import line changed
/// (its builder, its defaults, its `io::Error`s), use the drop-in
/// [`lenframe::tokio_util::LengthDelimitedCodec`](crate::tokio_util::LengthDelimitedCodec)
/// instead.
///
/// `Framed` owns its read buffer; after each decoder call this codec sizes that buffer with the
/// read sizer every lenframe reader uses, so an idle `Framed` holds about 8 KiB (at most
/// 16 KiB) after any frame, and its write buffer is given back once it has been written out if
/// its allocation is more than 16 KiB.
///
/// [`FrameDecoder`] alone implements tokio-util's `Decoder` (for `FramedRead`, yielding
/// [`Bytes`]) and [`FrameEncoder`] alone its `Encoder<Bytes>` (for `FramedWrite`).
///
/// # Examples
///
/// A client talking to a tokio-util `LengthDelimitedCodec` peer (4-byte big-endian lengths,
/// `"!I"`):
///
/// ```no_run
/// use bytes::Bytes;
/// use futures_util::{SinkExt, StreamExt};
/// use lenframe::{Codec, FramedCodec};
/// use tokio::net::TcpStream;
/// use tokio_util::codec::Framed;
///
/// #[tokio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let tcp = TcpStream::connect("127.0.0.1:8989").await?;
///     let codec = FramedCodec::new(Codec::from_struct_format("!I")?);
///     let mut framed = Framed::new(tcp, codec);
///     framed.send(Bytes::from_static(b"hello")).await?;
///     while let Some(frame) = framed.next().await {
///         println!("{:?}", frame?);
///     }
///     Ok(())
/// }
/// ```
///
/// The same over an in-memory pipe:
///
/// ```
/// use bytes::Bytes;
/// use futures_util::{SinkExt, StreamExt};
/// use lenframe::FramedCodec;
/// use tokio_util::codec::Framed;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lenframe::Error> {
/// let (a, b) = tokio::io::duplex(64);
/// let mut a = Framed::new(a, FramedCodec::default());
/// let mut b = Framed::new(b, FramedCodec::default());
/// a.send(Bytes::from_static(b"aaa")).await?;
/// a.send(Bytes::from_static(b"bbb")).await?;
/// assert_eq!(b.next().await.unwrap()?, &b"aaa"[..]);
/// assert_eq!(b.next().await.unwrap()?, &b"bbb"[..]);
/// # Ok(())
/// # }
/// ```
///
/// # Compared with tokio-util's `LengthDelimitedCodec`
///
/// Configured to the same layout, the two read each other's frames byte for byte (a property
/// test checks it). They differ by design in:
///
/// - **Default layout.** Ours is `"<i"`, Python's `struct.pack('i')`: signed, **little-endian**.
///   tokio-util's is unsigned 4-byte **big-endian**, `"!I"` here
///   ([`LengthField::U32_BE`](crate::LengthField::U32_BE)).
/// - **Signed lengths.** Signed fields (`b h i q`) are ours alone: a negative value is
///   [`FrameError::NegativeLength`](crate::FrameError::NegativeLength), so `"<i"` accepts at most
///   `i32::MAX` where tokio-util's unsigned fields read every value. Use an unsigned code
///   (`B H I Q`) to match tokio-util exactly.
/// - **What the maximum counts.** Ours is always the payload alone, both ways. tokio-util's
///   `max_frame_length` counts the payload when encoding but the length field's raw value
///   (before `length_adjustment`) when decoding; with a non-zero adjustment the two limits
///   differ by the adjustment.
/// - **Widths.** Both have every width from 1 to 8 bytes; ours also has varints
///   ([`LengthField`](crate::LengthField)).
/// - **Offset.** Both decoders skip `length_field_offset` bytes before the length field; our
///   encoder writes them (zeros, or a tag set on the [`Header`](crate::Header)), tokio-util's
///   writes no bytes there.
/// - **What a frame keeps.** tokio-util strips any `num_skip` bytes; ours strips the whole header
///   or nothing ([`keep_header`](crate::CodecBuilder::keep_header), which is `num_skip(0)`).
/// - **Memory.** tokio-util's decoder reserves the whole announced frame as soon as the header
///   is in; ours never reserves what a header claims, the buffer grows as bytes arrive.
/// - **End of stream.** Ours reports a stream cut inside a frame as
///   [`FrameError::Truncated`](crate::FrameError::Truncated), with the bytes expected and
///   received; tokio-util's as an `io::Error` "bytes remaining on stream".
///
/// With `Framed`, any error ends the stream (tokio-util returns `None` after it), so
/// [`skip_oversized`](crate::CodecBuilder::skip_oversized) cannot go on past an oversized frame
/// there; [`tokio::FrameReader`](crate::tokio::FrameReader) can.
#[derive(Clone, Debug)]
pub struct FramedCodec {
    decoder: FrameDecoder,
    encoder: FrameEncoder,
    /// The read buffer policy's state for `Framed`'s read buffer.
    sizing: FramedSizing,
}

impl FramedCodec {
    /// A decoder and an encoder with these settings.
    pub fn new(codec: Codec) -> FramedCodec {
        FramedCodec {
            decoder: codec.decoder(),
            encoder: codec.encoder(),
            sizing: FramedSizing::default(),
        }
    }

    /// The settings, with the current decoding maximum.
    pub fn codec(&self) -> &Codec {
        self.decoder.codec()
    }

    /// The longest payload accepted when decoding
    /// ([`FrameDecoder::max_frame_len`]).
    pub fn max_frame_len(&self) -> usize {
        self.decoder.max_frame_len()
    }

    /// Changes the longest payload accepted, decoding and encoding, as tokio-util's
    /// `LengthDelimitedCodec::set_max_frame_length` does: for instance once a handshake has agreed
    /// on a limit. It applies from the next frame; a value over
    /// [`MAX_FRAME_LEN_LIMIT`](crate::MAX_FRAME_LEN_LIMIT) is treated as that limit.
    ///
    /// ```
    /// use lenframe::FramedCodec;
    /// use tokio_util::codec::Framed;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (io, _peer) = tokio::io::duplex(64);
    /// let mut framed = Framed::new(io, FramedCodec::default());
    /// framed.codec_mut().set_max_frame_len(64 * 1024);
    /// assert_eq!(framed.codec().max_frame_len(), 64 * 1024);
    /// # }
    /// ```
    pub fn set_max_frame_len(&mut self, max: usize) {
        self.decoder.set_max_frame_len(max);
        self.encoder.set_max_frame_len(max);
    }

    /// The old name of [`max_frame_len`](Self::max_frame_len) (tokio-util's spelling).
    #[deprecated(
        since = "0.3.0",
        note = "renamed to `max_frame_len`, the name every lenframe type uses"
    )]
    pub fn max_frame_length(&self) -> usize {
        self.max_frame_len()
    }

    /// The old name of [`set_max_frame_len`](Self::set_max_frame_len) (tokio-util's spelling).
    #[deprecated(
        since = "0.3.0",
        note = "renamed to `set_max_frame_len`, the name every lenframe type uses"
    )]
    pub fn set_max_frame_length(&mut self, max: usize) {
        self.set_max_frame_len(max);
    }

    /// The decoder, with the state of the frame being read.
    pub fn decoder(&self) -> &FrameDecoder {
        &self.decoder
    }

    /// The decoder, to [`reset`](FrameDecoder::reset) it.
    pub fn decoder_mut(&mut self) -> &mut FrameDecoder {
        &mut self.decoder
    }

    /// The encoder.
    pub fn encoder(&self) -> &FrameEncoder {
        &self.encoder
    }

    /// The encoder, to change its maximum alone.
    pub fn encoder_mut(&mut self) -> &mut FrameEncoder {
        &mut self.encoder
    }
}

impl Default for FramedCodec {
    /// The default settings: `"<i"` lengths, 8 MiB maximum.
    fn default() -> Self {
        FramedCodec::new(Codec::default())
    }
}

impl From<Codec> for FramedCodec {
    fn from(codec: Codec) -> Self {
        FramedCodec::new(codec)
    }
}

/// tokio-util's decoder: [`FrameDecoder::decode`] and [`FrameDecoder::decode_eof`], with errors
/// as [`Error::Frame`]. Never reserves room for what a header announces.
impl codec::Decoder for FrameDecoder {
    type Item = Bytes;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        // No state of its own to keep: each call starts a fresh sizer (the small read size),
        // and sees only the buffer's capacity, not its allocation.
        let frame = fitted(self, src, &mut FramedSizing::default())?;
        Ok(frame.map(BytesMut::freeze))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        Ok(FrameDecoder::decode_eof(self, src)?)
    }
}

/// tokio-util's encoder: [`FrameEncoder::encode`], with errors as [`Error::Encode`].
impl codec::Encoder<Bytes> for FrameEncoder {
    type Error = Error;

    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> Result<(), Error> {
        Ok(FrameEncoder::encode(self, payload, dst)?)
    }
}

/// As [`FrameDecoder`]'s, yielding each frame as the `BytesMut` split off the read buffer, as
/// `LengthDelimitedCodec` does.
impl codec::Decoder for FramedCodec {
    type Item = BytesMut;
    type Error = Error;

    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<BytesMut>, Error> {
        fitted(&mut self.decoder, src, &mut self.sizing)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<BytesMut>, Error> {
        Ok(self.decoder.decode_eof_mut(src)?)
    }
}

/// As [`FrameEncoder`]'s. `Framed`'s write buffer grows to hold a large frame; once it has been
/// written out, the next frame starts a new buffer if the allocation is more than 16 KiB, so a
/// large allocation is given back (`Framed` does not tell the codec when it flushes, so this
/// happens at the next frame).
impl codec::Encoder<Bytes> for FramedCodec {
    type Error = Error;

    #[inline]
    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> Result<(), Error> {
        fit_write_buffer(dst);
        Ok(self.encoder.encode(&payload, dst)?)
    }
}

/// One decoder call on `Framed`'s buffer, with the readers' buffer policy applied to that buffer
/// after it ([`FramedSizing::fit`]): `Framed` never holds a big frame's allocation once the
/// frame is handed out, and its buffer never grows past the frame in flight.
#[inline(always)]
fn fitted(
    decoder: &mut FrameDecoder,
    src: &mut BytesMut,
    sizing: &mut FramedSizing,
) -> Result<Option<BytesMut>, Error> {
    let capacity_before = src.capacity();
    let frame = decoder.decode_mut(src)?;
    sizing.fit(src, capacity_before, frame.is_some(), |src| {
        decoder.bytes_needed(src)
    });
    Ok(frame)
}

#[cfg(test)]
#[path = "framed_codec_tests.rs"]
mod unit_tests;
