//! A reader and writer over [`embedded_io_async::Read`] and [`embedded_io_async::Write`]
//! (embassy-net sockets, async UARTs), for `no_std` devices with no allocator: [`FrameReader`]
//! and [`FrameWriter`].
//!
//! They are the async twins of [`embedded::FrameReader`](crate::embedded::FrameReader) and
//! [`embedded::FrameWriter`](crate::embedded::FrameWriter): the same names, the same lent
//! buffer, the same largest frame, the same errors ([`embedded::Error`](crate::embedded::Error)),
//! the same code for everything but the waiting. The [`embedded`](crate::embedded) module's
//! docs say how they buffer and what happens after an error. No runtime is needed: any
//! executor (embassy, or a test's `block_on`) drives them.
//!
//! # Getting started
//!
//! ```
//! use lenframe::embedded_async::{FrameReader, FrameWriter};
//!
//! /// Echoes every frame back until the peer closes: a firmware task.
//! async fn echo(rx: &[u8], tx: &mut [u8]) -> Result<(), Box<dyn std::error::Error>> {
//!     let mut buf = [0u8; 256];
//!     let mut reader = FrameReader::new(rx, &mut buf);
//!     let mut writer = FrameWriter::new(tx);
//!     while let Some(frame) = reader.read_frame().await? {
//!         writer.send_frame(frame).await?;
//!     }
//!     Ok(())
//! }
//! # use core::future::Future;
//! # let mut tx = [0u8; 16];
//! # {
//! #     let mut fut = core::pin::pin!(echo(b"\x02\0\0\0hi", &mut tx));
//! #     let waker = futures_util::task::noop_waker();
//! #     let mut cx = core::task::Context::from_waker(&waker);
//! #     assert!(matches!(fut.as_mut().poll(&mut cx), core::task::Poll::Ready(Ok(()))));
//! # }
//! # assert_eq!(&tx[..6], b"\x02\0\0\0hi");
//! ```
//!
//! # Cancel safety
//!
//! [`FrameReader::read_frame`] is cancel-safe as long as the inner reader's `read` is (as
//! `embedded-io-async` asks implementations to be, and to document): everything the reader
//! knows lives in the reader, not in the future. A read that completed has its bytes in the
//! lent buffer, a parsed header stays parsed, and a frame being skipped stays skipped; a future
//! dropped while it waits for a read loses nothing, and the next `read_frame` goes on from
//! there. Use it in `select` with a timer. (If the inner `read` itself loses bytes when dropped,
//! as some DMA-based readers do, no reader above it can get them back.)
//!
//! [`FrameWriter::write_frame`] is not cancel-safe: dropped part way, it may leave part of a
//! frame on the wire. Let it finish, or close the connection.

use embedded_io_async::{Read, Write};

use crate::embedded::state::{ReadState, Step};
use crate::embedded::{reader_debug, reader_methods, writer_methods, Error};
use crate::engine::head::Head;
use crate::FrameEncoder;

/// Reads frames from an [`embedded_io_async::Read`] into a buffer the caller lends, and lends
/// each frame from it: the async [`embedded::FrameReader`](crate::embedded::FrameReader).
///
/// # Examples
///
/// ```
/// use lenframe::embedded_async::FrameReader;
///
/// async fn count_frames(rx: &[u8]) -> Result<usize, lenframe::embedded::Error<core::convert::Infallible>> {
///     let mut buf = [0u8; 64];
///     let mut reader = FrameReader::new(rx, &mut buf);
///     let mut frames = 0;
///     while let Some(_frame) = reader.read_frame().await? {
///         frames += 1;
///     }
///     Ok(frames)
/// }
/// # let fut = count_frames(b"\x01\0\0\0a\x00\0\0\0");
/// # use core::future::Future;
/// # let mut fut = core::pin::pin!(fut);
/// # let waker = futures_util::task::noop_waker();
/// # let mut cx = core::task::Context::from_waker(&waker);
/// # assert!(matches!(fut.as_mut().poll(&mut cx), core::task::Poll::Ready(Ok(2))));
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
    /// cleanly between two frames. As the blocking
    /// [`read_frame`](crate::embedded::FrameReader::read_frame).
    ///
    /// # Errors
    ///
    /// As the blocking [`read_frame`](crate::embedded::FrameReader::read_frame).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe if the inner reader's `read` is: a dropped future loses no byte, and the
    /// next call continues the same frame. See the [module docs](self#cancel-safety).
    pub async fn read_frame(&mut self) -> Result<Option<&[u8]>, Error<R::Error>> {
        loop {
            match self.state.step()? {
                Step::Frame => return Ok(Some(self.state.lent())),
                Step::End => return Ok(None),
                Step::Read => {
                    let n = self
                        .inner
                        .read(self.state.room())
                        .await
                        .map_err(Error::Io)?;
                    self.state.filled(n);
                }
            }
        }
    }
}

reader_debug!();

/// Writes frames to an [`embedded_io_async::Write`]: the header from the stack, then the
/// payload from the caller's slice, not copied: the async
/// [`embedded::FrameWriter`](crate::embedded::FrameWriter).
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
    /// # Errors
    ///
    /// As the blocking [`write_frame`](crate::embedded::FrameWriter::write_frame): an
    /// [`Error::Encode`] writes nothing; after an [`Error::Io`], close the connection.
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe: dropped part way, it may leave part of the frame on the wire.
    pub async fn write_frame(&mut self, payload: impl AsRef<[u8]>) -> Result<(), Error<W::Error>> {
        self.write_head(None, payload.as_ref()).await
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
    ///
    /// # Cancel safety
    ///
    /// As [`write_frame`](Self::write_frame)'s: not cancel-safe.
    pub async fn write_frame_with_prefix(
        &mut self,
        prefix: &[u8],
        payload: impl AsRef<[u8]>,
    ) -> Result<(), Error<W::Error>> {
        self.write_head(Some(prefix), payload.as_ref()).await
    }

    /// The header (with `prefix`), the payload, then the checksum trailer if the codec has
    /// one, each with `write_all`.
    async fn write_head(
        &mut self,
        prefix: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<(), Error<W::Error>> {
        let head = Head::new(&self.encoder, prefix, payload.len())?;
        // Computed before anything is written: an error writes nothing.
        let trailer = head.trailer(&self.encoder, payload)?;
        for part in [head.as_bytes(), payload, trailer.as_bytes()] {
            if !part.is_empty() {
                self.inner.write_all(part).await.map_err(Error::Io)?;
            }
        }
        Ok(())
    }

    /// Writes one frame and flushes: [`write_frame`](Self::write_frame), then
    /// [`flush`](Self::flush).
    ///
    /// # Errors
    ///
    /// As [`write_frame`](Self::write_frame) and [`flush`](Self::flush).
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe, as [`write_frame`](Self::write_frame).
    pub async fn send_frame(&mut self, payload: impl AsRef<[u8]>) -> Result<(), Error<W::Error>> {
        self.write_frame(payload).await?;
        self.flush().await
    }

    /// Flushes the inner writer.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the inner writer fails.
    ///
    /// # Cancel safety
    ///
    /// As the inner writer's `flush`.
    pub async fn flush(&mut self) -> Result<(), Error<W::Error>> {
        self.inner.flush().await.map_err(Error::Io)
    }
}

#[cfg(test)]
#[path = "asynch_tests.rs"]
mod unit_tests;
