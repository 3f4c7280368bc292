//! The blocking embedded adapters: loops that move bytes between an `embedded_io` object and
//! the shared [`ReadState`](super::state::ReadState) or the encoder.

use embedded_io::{Read, Write};

use super::state::{ReadState, Step};
use super::{reader_debug, reader_methods, writer_methods, Error};
use crate::engine::head::Head;
use crate::FrameEncoder;

/// Reads frames from an [`embedded_io::Read`] into a buffer the caller lends, and lends each
/// frame from it. See the [module docs](super) for the largest frame and what happens after an
/// error.
///
/// # Examples
///
/// ```
/// use lenframe::embedded::FrameReader;
/// use lenframe::FrameError;
///
/// // Two frames glued together, then one too long for the 16-byte buffer.
/// let wire: &[u8] = b"\x03\0\0\0aaa\x03\0\0\0bbb\x20\0\0\0";
/// let mut buf = [0u8; 16];
/// let mut reader = FrameReader::new(wire, &mut buf);
/// assert_eq!(reader.max_frame_len(), 12); // 16 bytes less the 4-byte header
/// assert_eq!(reader.read_frame()?, Some(&b"aaa"[..]));
/// assert_eq!(reader.read_frame()?, Some(&b"bbb"[..]));
/// assert!(matches!(
///     reader.read_frame(),
///     Err(lenframe::embedded::Error::Frame(FrameError::TooLarge { len: 32, max: 12, .. }))
/// ));
/// # Ok::<(), lenframe::embedded::Error<core::convert::Infallible>>(())
/// ```
pub struct FrameReader<'b, R> {
    inner: R,
    state: ReadState<'b>,
}

impl<'b, R> FrameReader<'b, R> {
    reader_methods!();
}

impl<R: Read> FrameReader<'_, R> {
    /// Reads the next frame and lends it from the buffer: `Ok(None)` when the stream ends
    /// cleanly between two frames.
    ///
    /// The frame is the payload alone, or header and payload with
    /// [`keep_header`](crate::CodecBuilder::keep_header). It is valid until the next call on
    /// the reader (the borrow checker sees to it).
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::embedded::{Error, FrameReader};
    /// use lenframe::FrameError;
    ///
    /// let wire: &[u8] = b"\x00\0\0\0\x05\0\0\0hel";
    /// let mut buf = [0u8; 32];
    /// let mut reader = FrameReader::new(wire, &mut buf);
    /// assert_eq!(reader.read_frame()?, Some(&b""[..]));
    /// // The stream ends inside the second frame: 3 of its 5 payload bytes came.
    /// assert!(matches!(
    ///     reader.read_frame(),
    ///     Err(Error::Frame(FrameError::Truncated { expected: 9, got: 7, guess: None }))
    /// ));
    /// # Ok::<(), Error<core::convert::Infallible>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - [`Error::Frame`] for a bad header, or a frame longer than
    ///   [`max_frame_len`](Self::max_frame_len) (what the buffer holds, if less than the
    ///   codec's maximum), as soon as the header is complete. Nothing is consumed and calling
    ///   again returns the same error, except for an oversized frame with
    ///   [`skip_oversized`](crate::CodecBuilder::skip_oversized), which the next call skips;
    /// - [`Error::Frame`] with [`FrameError::Truncated`](crate::FrameError::Truncated) if the
    ///   stream ends inside a frame;
    /// - [`Error::Io`] if the inner reader fails; everything read so far is kept, and calling
    ///   again continues the same frame;
    /// - [`Error::BufferTooSmall`] if the lent buffer cannot hold the codec's longest header.
    pub fn read_frame(&mut self) -> Result<Option<&[u8]>, Error<R::Error>> {
        loop {
            match self.state.step()? {
                Step::Frame => return Ok(Some(self.state.lent())),
                Step::End => return Ok(None),
                Step::Read => {
                    let n = self.inner.read(self.state.room()).map_err(Error::Io)?;
                    self.state.filled(n);
                }
            }
        }
    }
}

reader_debug!();

/// Writes frames to an [`embedded_io::Write`]: the header from the stack, then the payload
/// from the caller's slice, not copied. It buffers nothing.
///
/// # Examples
///
/// ```
/// use lenframe::embedded::FrameWriter;
/// use lenframe::Codec;
///
/// let mut wire = [0u8; 16];
/// let mut writer = FrameWriter::with_codec(&mut wire[..], Codec::from_struct_format("!H")?);
/// writer.send_frame(b"hi")?;
/// writer.write_frame(b"")?;
/// drop(writer);
/// assert_eq!(&wire[..6], b"\0\x02hi\0\0");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FrameWriter<W> {
    inner: W,
    encoder: FrameEncoder,
}

impl<W> FrameWriter<W> {
    writer_methods!();
}

impl<W: Write> FrameWriter<W> {
    /// Writes one frame: its header, then `payload` itself (two `write_all` calls, no copy),
    /// then the checksum trailer if the codec has one (a third).
    /// It does not flush.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::embedded::{Error, FrameWriter};
    /// use lenframe::{Codec, EncodeError};
    ///
    /// let mut wire = [0u8; 16];
    /// let codec = Codec::builder().max_frame_len(4).build()?;
    /// let mut writer = FrameWriter::with_codec(&mut wire[..], codec);
    /// writer.write_frame(b"abc")?;
    /// // Too long: refused before anything is written.
    /// assert!(matches!(
    ///     writer.write_frame(b"abcde"),
    ///     Err(Error::Encode(EncodeError::TooLarge { len: 5, max: 4 }))
    /// ));
    /// drop(writer);
    /// assert_eq!(&wire[..8], b"\x03\0\0\0abc\0");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] if the payload is over [`max_frame_len`](Self::max_frame_len) or the
    /// length field cannot hold its length, or holding
    /// [`EncodeError::ChecksumNeedsWholeFrame`](crate::EncodeError::ChecksumNeedsWholeFrame)
    /// for a codec whose checksum is the caller's own function (it takes the covered bytes in
    /// one piece, and this writer never holds header and payload together): nothing was
    /// written. [`Error::Io`] if the inner
    /// writer fails: part of the frame may be on the wire, so close the connection (see the
    /// [module docs](super#writing)).
    pub fn write_frame(&mut self, payload: impl AsRef<[u8]>) -> Result<(), Error<W::Error>> {
        self.write_head(None, payload.as_ref())
    }

    /// [`write_frame`](Self::write_frame) for a codec whose length field does not start the
    /// header ([`length_field_offset`](crate::CodecBuilder::length_field_offset) > 0): `prefix`
    /// is the bytes before the length field (a message type tag, for instance), exactly
    /// `length_field_offset` of them, as
    /// [`FrameEncoder::encode_with_prefix`](crate::FrameEncoder::encode_with_prefix) takes them.
    ///
    /// # Errors
    ///
    /// As [`write_frame`](Self::write_frame), and
    /// [`EncodeError::WrongPrefixLen`](crate::EncodeError::WrongPrefixLen) (in
    /// [`Error::Encode`]) for a prefix that is not `length_field_offset` bytes long: nothing is
    /// written.
    pub fn write_frame_with_prefix(
        &mut self,
        prefix: &[u8],
        payload: impl AsRef<[u8]>,
    ) -> Result<(), Error<W::Error>> {
        self.write_head(Some(prefix), payload.as_ref())
    }

    /// The header (with `prefix`), the payload, then the checksum trailer if the codec has
    /// one, each with `write_all`.
    fn write_head(&mut self, prefix: Option<&[u8]>, payload: &[u8]) -> Result<(), Error<W::Error>> {
        let head = Head::new(&self.encoder, prefix, payload.len())?;
        // Computed before anything is written: an error writes nothing.
        let trailer = head.trailer(&self.encoder, payload)?;
        for part in [head.as_bytes(), payload, trailer.as_bytes()] {
            if !part.is_empty() {
                self.inner.write_all(part).map_err(Error::Io)?;
            }
        }
        Ok(())
    }

    /// Writes one frame and flushes: [`write_frame`](Self::write_frame), then
    /// [`flush`](Self::flush), for a frame that must go out now.
    ///
    /// # Errors
    ///
    /// As [`write_frame`](Self::write_frame) and [`flush`](Self::flush).
    pub fn send_frame(&mut self, payload: impl AsRef<[u8]>) -> Result<(), Error<W::Error>> {
        self.write_frame(payload)?;
        self.flush()
    }

    /// Flushes the inner writer.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the inner writer fails.
    pub fn flush(&mut self) -> Result<(), Error<W::Error>> {
        self.inner.flush().map_err(Error::Io)
    }
}
