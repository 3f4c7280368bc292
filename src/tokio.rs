//! Async adapters over tokio's [`AsyncRead`] and [`AsyncWrite`]: [`FrameReader`] and
//! [`FrameWriter`].
//!
//! They move bytes between an I/O object and the core; the core ([`Decoder`], [`Encoder`]) decides
//! where frames begin and end. [`FrameReader`] is a [`Stream`] of frames and [`FrameWriter`] a
//! [`Sink`] of [`Bytes`], so `futures_util::StreamExt` and `SinkExt` work on them.
//!
//! # Getting started
//!
//! ```
//! use lenframe::tokio::{FrameReader, FrameWriter};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), lenframe::Error> {
//! let (client, server) = tokio::io::duplex(64);
//! let mut writer = FrameWriter::new(client);
//! for msg in [&b"aaa"[..], b"aaa", b"aaa"] {
//!     writer.write_frame(msg).await?;
//! }
//! writer.flush().await?; // small frames wait in a buffer until a flush
//! drop(writer);
//!
//! let mut reader = FrameReader::new(server);
//! let mut frames = Vec::new();
//! while let Some(frame) = reader.read_frame().await? {
//!     frames.push(frame);
//! }
//! assert_eq!(frames, [&b"aaa"[..], b"aaa", b"aaa"]);
//! # Ok(())
//! # }
//! ```
//!
//! # Cancel safety
//!
//! A future can be dropped at any `.await`: in `tokio::select!`, under `tokio::time::timeout`, or
//! when its task is aborted. What that means for each method:
//!
//! | method | cancel-safe | if the future is dropped before it completes |
//! |--------|-------------|-----------------------------------------------|
//! | [`FrameReader::read_frame`], [`StreamExt::next`] | **yes** | No frame was returned and no byte is lost: the bytes read so far, and the parsed header, stay in the reader, and the next call continues the same frame. |
//! | [`FrameReader::copy_frame_to`] | **yes**, if called again | The bytes already written to the destination stay written; the reader remembers how many are left ([`copy_remaining`](FrameReader::copy_remaining)), and the next `copy_frame_to` continues the same frame where it stopped. Until then `read_frame` refuses with an error. |
//! | [`FrameWriter::write_frame`], payload up to 8 KiB (64 KiB if the writer has no vectored writes) | **yes** | The frame was not queued. (Earlier buffered frames may have gone out to make room.) |
//! | [`FrameWriter::write_frame`], larger payload | **no**, but the stream stays framed | If no byte of the frame had gone out, the frame is withdrawn, as if never called. Otherwise the rest of the payload is copied into the writer's buffer and goes out with the next write or flush: the peer still sees a whole frame, but the caller cannot tell which case happened. |
//! | [`FrameWriter::write_frame_from`] | **yes**, if called again | The frame's header and the payload bytes read so far are kept; the writer remembers how many are left ([`stream_remaining`](FrameWriter::stream_remaining)). Calling `write_frame_from` again with the same length and source continues the frame; other writes are refused until then. |
//! | [`SinkExt::send`] | **no**, but the stream stays framed | The frame is either queued whole (its `Bytes` kept, not copied) and goes out with the next flush, or not queued at all. |
//! | [`FrameWriter::flush`], [`SinkExt::flush`] | **yes** | What was not written stays buffered; calling again continues. |
//!
//! # Frame deadline
//!
//! A peer that sends a header and then one byte a second holds a half-frame open forever.
//! [`FrameReader::with_frame_deadline`] bounds that: once a frame's header is complete, the rest
//! of the frame must arrive within the deadline, or reading fails with
//! [`Error::FrameDeadline`], which names the frame, the bytes that came and the time waited. The
//! time between frames is not limited (an idle connection is not a slow frame): wrap
//! [`read_frame`](FrameReader::read_frame) in `tokio::time::timeout` for that, which is safe
//! because `read_frame` is cancel-safe. The deadline is kept in the reader, so it holds across
//! cancelled calls. It uses tokio's timer: the runtime must have time enabled.
//!
//! [`StreamExt::next`]: https://docs.rs/futures-util/0.3/futures_util/stream/trait.StreamExt.html#method.next
//! [`SinkExt::send`]: https://docs.rs/futures-util/0.3/futures_util/sink/trait.SinkExt.html#method.send
//! [`SinkExt::flush`]: https://docs.rs/futures-util/0.3/futures_util/sink/trait.SinkExt.html#method.flush

use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::pin::{pin, Pin};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use ::tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use ::tokio::time::{Instant, Sleep};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_core::Stream;
use futures_sink::Sink;

use crate::{Codec, Decoder, Encoder, Error, FrameError};

/// The reader asks for at least this much room before each read, so small frames come in
/// batches rather than a read call each.
const READ_MIN: usize = 8 * 1024;
/// The most room the reader adds for one read, however long the frame claims to be: the buffer
/// grows as bytes really arrive, never by what a header announces.
const READ_MAX: usize = 64 * 1024;
/// Payloads up to this size are copied into the writer's buffer, to go out with their
/// neighbours in one write.
const COALESCE_MAX: usize = 8 * 1024;
/// Once this much is buffered, the writer writes before queuing more.
const WRITE_HIGH: usize = 64 * 1024;

/// Reads frames from an [`AsyncRead`].
///
/// `read_frame` returns each frame as [`Bytes`] that share the reader's buffer (no copy), and the
/// reader is a [`Stream`] of them. The buffer grows only as bytes arrive, at most 64 KiB a read,
/// whatever length a header announces; lengths are checked against the codec's maximum as soon as
/// the header is complete.
///
/// See the [module docs](self) for cancel safety and the frame deadline.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    decoder: Decoder,
    buf: BytesMut,
    read_size: usize,
    eof: bool,
    partial: Partial,
    /// The index of the current frame: frames returned, copied or skipped so far.
    frames: u64,
    deadline: Option<Duration>,
    /// When the current frame's header was seen complete (only tracked with a deadline).
    head_at: Option<Instant>,
    timer: Option<Pin<Box<Sleep>>>,
    /// The `Stream` ended after an error it cannot continue from.
    stream_failed: bool,
}

/// Frame state the reader keeps beside the decoder's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Partial {
    /// None: the decoder's state says it all.
    None,
    /// The decoder is discarding an oversized frame's payload (`skip_oversized`).
    Skip { frame_len: u64, left: u64 },
    /// `copy_frame_to` consumed this frame's header and has `left` payload bytes still to move.
    Copy {
        header_len: usize,
        len: usize,
        left: usize,
    },
}

impl<R> FrameReader<R> {
    /// A reader with the default settings (`"<i"` lengths, 8 MiB maximum).
    pub fn new(inner: R) -> Self {
        FrameReader::with_codec(inner, Codec::default())
    }

    /// A reader with these settings.
    pub fn with_codec(inner: R, codec: Codec) -> Self {
        FrameReader::with_capacity(READ_MAX, inner, codec)
    }

    /// A reader that asks for at most `read_size` bytes per read (at least 1) instead of
    /// 64 KiB.
    ///
    /// A smaller size saves memory per connection; a frame longer than it still comes in whole,
    /// over several reads.
    pub fn with_capacity(read_size: usize, inner: R, codec: Codec) -> Self {
        FrameReader {
            inner,
            decoder: codec.decoder(),
            buf: BytesMut::new(),
            read_size: read_size.max(1),
            eof: false,
            partial: Partial::None,
            frames: 0,
            deadline: None,
            head_at: None,
            timer: None,
            stream_failed: false,
        }
    }

    /// Sets a deadline for each frame to complete once its header has arrived. Default: none.
    ///
    /// A frame still incomplete `deadline` after its header makes reading fail with
    /// [`Error::FrameDeadline`]. See [frame deadline](self#frame-deadline).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use lenframe::{tokio::FrameReader, Error};
    /// use tokio::io::AsyncWriteExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut peer, stream) = tokio::io::duplex(64);
    /// // A header announcing 100 bytes, then 2 of them, then nothing.
    /// peer.write_all(b"\x64\0\0\0ab").await?;
    /// let deadline = Duration::from_millis(50);
    /// let mut reader = FrameReader::new(stream).with_frame_deadline(deadline);
    /// match reader.read_frame().await {
    ///     Err(Error::FrameDeadline { frame: 0, got: 6, expected: 104, waited }) => {
    ///         assert!(waited >= deadline);
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_frame_deadline(mut self, deadline: Duration) -> Self {
        self.set_frame_deadline(Some(deadline));
        self
    }

    /// Sets or clears the frame deadline. It applies at once, also to a frame in progress
    /// (counting from its header), so raising or clearing it lets a caller go on after
    /// [`Error::FrameDeadline`].
    pub fn set_frame_deadline(&mut self, deadline: Option<Duration>) {
        self.deadline = deadline;
    }

    /// The frame deadline, if one is set.
    pub fn frame_deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The settings.
    pub fn codec(&self) -> &Codec {
        self.decoder.codec()
    }

    /// The bytes read from the inner reader but not yet returned: the start of the next frame,
    /// perhaps several frames. After [`copy_frame_to`](Self::copy_frame_to) stopped inside a
    /// frame, they begin with the rest of its payload that has arrived.
    pub fn buffer(&self) -> &[u8] {
        &self.buf
    }

    /// How many payload bytes [`copy_frame_to`](Self::copy_frame_to) still has to write, if it
    /// stopped inside a frame (cancelled, or an error from the reader or the destination);
    /// `None` otherwise.
    pub fn copy_remaining(&self) -> Option<u64> {
        match self.partial {
            Partial::Copy { left, .. } => Some(left as u64),
            _ => None,
        }
    }

    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader. Reading from it directly takes bytes out from under the framing.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The inner reader. Bytes already buffered (see [`buffer`](Self::buffer)) are dropped; use
    /// [`into_parts`](Self::into_parts) to keep them.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The inner reader and the bytes read from it but not yet returned, for handing the
    /// connection to other code. Call it between frames: a header already parsed is in the
    /// bytes, but the state of a stopped [`copy_frame_to`](Self::copy_frame_to) is lost.
    pub fn into_parts(self) -> (R, Bytes) {
        (self.inner, self.buf.freeze())
    }

    fn check_not_copying(&self) -> Result<(), Error> {
        match self.partial {
            Partial::Copy { len, left, .. } => Err(Error::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "copy_frame_to stopped inside a frame with {left} of its {len} payload bytes \
                     still to copy; call copy_frame_to again to finish that frame first"
                ),
            ))),
            _ => Ok(()),
        }
    }

    /// Whether part of a frame past its header has been read.
    fn mid_frame(&self) -> bool {
        self.partial != Partial::None || self.decoder.is_mid_frame()
    }

    /// The bytes of the current frame (header included) that arrived, and the bytes it needs.
    fn progress(&self) -> (u64, u64) {
        let buffered = self.buf.len();
        match self.partial {
            Partial::Copy {
                header_len,
                len,
                left,
            } => (
                (header_len + (len - left) + left.min(buffered)) as u64,
                (header_len + len) as u64,
            ),
            Partial::Skip { frame_len, left } => (frame_len - left, frame_len),
            Partial::None => (
                buffered as u64,
                (buffered + self.decoder.bytes_needed(&self.buf)) as u64,
            ),
        }
    }

    /// The stream ended inside the current frame.
    fn truncated(&self) -> Error {
        let (got, expected) = self.progress();
        FrameError::Truncated { expected, got }.into()
    }

    /// When the current frame's deadline passes, if there is one.
    fn deadline_at(&self) -> Option<Instant> {
        Some(self.head_at? + self.deadline?)
    }

    fn deadline_error(&self) -> Error {
        let (got, expected) = self.progress();
        Error::FrameDeadline {
            frame: self.frames,
            got,
            expected,
            waited: self.head_at.map_or(Duration::ZERO, |at| at.elapsed()),
        }
    }

    /// How many bytes of the current frame's skipped payload the decoder will discard from the
    /// buffer on its next call.
    fn skipping_now(&self) -> u64 {
        match self.partial {
            Partial::Skip { left, .. } => left.min(self.buf.len() as u64),
            _ => 0,
        }
    }

    /// Notes a finished frame: the next one gets the next index and a fresh deadline.
    fn end_frame(&mut self) {
        self.frames += 1;
        self.head_at = None;
        self.partial = Partial::None;
    }

    /// Updates the frame bookkeeping after a decoder call that found `buffered` bytes, expected to
    /// skip `skipping` of them, and ended with `outcome` (whether it completed a frame).
    fn track(&mut self, buffered: usize, skipping: u64, outcome: Result<bool, &FrameError>) {
        let consumed = (buffered - self.buf.len()) as u64;
        if let Partial::Skip { frame_len, left } = self.partial {
            if left == skipping {
                self.end_frame();
            } else {
                self.partial = Partial::Skip {
                    frame_len,
                    left: left - skipping,
                };
            }
        }
        match outcome {
            Ok(true) => self.end_frame(),
            Err(FrameError::TooLarge { len, .. }) if self.decoder.is_mid_frame() => {
                // skip_oversized: the decoder consumed the header and discards the payload.
                let header_len = consumed - skipping;
                self.partial = Partial::Skip {
                    frame_len: header_len.saturating_add(*len),
                    left: *len,
                };
            }
            _ => {}
        }
        self.start_clock();
    }

    /// Starts the current frame's deadline once its header is in.
    fn start_clock(&mut self) {
        if self.deadline.is_some() && self.head_at.is_none() && self.mid_frame() {
            self.head_at = Some(Instant::now());
        }
    }

    /// Splits the next whole frame off the buffer, if it holds one.
    fn decode_buffered(&mut self) -> Result<Option<Bytes>, Error> {
        let (buffered, skipping) = (self.buf.len(), self.skipping_now());
        let result = self.decoder.decode(&mut self.buf);
        self.track(buffered, skipping, result.as_ref().map(Option::is_some));
        Ok(result?)
    }

    /// The last frames once the inner reader has ended, then `None` on a frame boundary.
    fn decode_at_eof(&mut self) -> Result<Option<Bytes>, Error> {
        let (buffered, skipping) = (self.buf.len(), self.skipping_now());
        let result = self.decoder.decode_eof(&mut self.buf);
        self.track(buffered, skipping, result.as_ref().map(Option::is_some));
        Ok(result?)
    }
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// Reads the next frame.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::tokio::FrameReader;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lenframe::Error> {
    /// let wire: &[u8] = b"\x03\0\0\0abc\x00\0\0\0";
    /// let mut reader = FrameReader::new(wire);
    /// assert_eq!(reader.read_frame().await?.unwrap(), &b"abc"[..]);
    /// assert_eq!(reader.read_frame().await?.unwrap(), &b""[..]);
    /// assert_eq!(reader.read_frame().await?, None, "clean end between frames");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// - [`Error::Frame`] for a bad header, with the core's errors ([`FrameError`]); the stream is
    ///   out of step and calling again returns the same error (except for an oversized frame with
    ///   [`skip_oversized`](crate::CodecBuilder::skip_oversized), which is skipped and reading
    ///   goes on);
    /// - [`Error::Frame`] with [`FrameError::Truncated`] if the stream ends inside a frame;
    /// - [`Error::FrameDeadline`] if a frame does not complete within the
    ///   [frame deadline](self#frame-deadline); the partial frame stays buffered and calling
    ///   again fails the same way, unless the deadline was raised or cleared;
    /// - [`Error::Io`] if the inner reader fails;
    /// - [`Error::Io`] with [`io::ErrorKind::InvalidInput`] if
    ///   [`copy_frame_to`](Self::copy_frame_to) stopped inside a frame and has not finished it.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: if the future is dropped before it completes, no frame was taken, and the
    /// next call continues the same frame with every byte read so far.
    pub async fn read_frame(&mut self) -> Result<Option<Bytes>, Error> {
        poll_fn(|cx| self.poll_read_frame(cx)).await
    }

    fn poll_read_frame(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, Error>> {
        self.check_not_copying()?;
        loop {
            if let Some(frame) = self.decode_buffered()? {
                return Poll::Ready(Ok(Some(frame)));
            }
            if self.eof {
                return Poll::Ready(self.decode_at_eof());
            }
            ready!(self.poll_fill(cx))?;
        }
    }

    /// Copies the next frame's payload into `dst` in bounded memory, and returns its length, or
    /// `None` at a clean end of stream.
    ///
    /// The payload moves through the reader's buffer a read at a time (up to 64 KiB), so a 4 GiB
    /// frame costs no more memory than a small one. The codec's maximum still applies: raise
    /// [`max_decode_len`](crate::CodecBuilder::max_decode_len) for big frames.
    /// [`keep_header`](crate::CodecBuilder::keep_header) does not: only the payload is copied.
    /// `dst` is not flushed.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::tokio::FrameReader;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lenframe::Error> {
    /// let wire: &[u8] = b"\x05\0\0\0hello";
    /// let mut reader = FrameReader::new(wire);
    /// let mut file = Vec::new(); // or a tokio::fs::File
    /// assert_eq!(reader.copy_frame_to(&mut file).await?, Some(5));
    /// assert_eq!(file, b"hello");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`read_frame`](Self::read_frame), and [`Error::Io`] if `dst` fails (a write that
    /// returns 0 is [`io::ErrorKind::WriteZero`]). After an error inside the payload, the bytes
    /// written to `dst` stay written and the reader remembers how many are left
    /// ([`copy_remaining`](Self::copy_remaining)): calling `copy_frame_to` again, with the same
    /// destination, writes the rest and returns the frame's whole length. The frame deadline
    /// counts from the header to the last payload byte arriving, time spent writing to `dst`
    /// included.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe if called again: as after an error, the bytes already written to `dst` are
    /// not written again, and the next `copy_frame_to` continues the same frame.
    pub async fn copy_frame_to<W>(&mut self, dst: &mut W) -> Result<Option<u64>, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        poll_fn(|cx| self.poll_copy_frame_to(cx, dst)).await
    }

    fn poll_copy_frame_to<W>(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut W,
    ) -> Poll<Result<Option<u64>, Error>>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        // The header.
        while !matches!(self.partial, Partial::Copy { .. }) {
            let (buffered, skipping) = (self.buf.len(), self.skipping_now());
            let result = self.decoder.decode_head(&mut self.buf);
            self.track(buffered, skipping, result.as_ref().map(|_| false));
            match result? {
                Some(len) => {
                    let header_len = buffered - self.buf.len() - skipping as usize;
                    self.partial = Partial::Copy {
                        header_len,
                        len,
                        left: len,
                    };
                    self.start_clock();
                }
                None if self.eof => {
                    if !self.mid_frame() && self.buf.is_empty() {
                        return Poll::Ready(Ok(None));
                    }
                    return Poll::Ready(Err(self.truncated()));
                }
                None => ready!(self.poll_fill(cx))?,
            }
        }
        // The payload.
        while let Partial::Copy {
            header_len,
            len,
            left,
        } = self.partial
        {
            if left == 0 {
                self.end_frame();
                return Poll::Ready(Ok(Some(len as u64)));
            }
            if self.buf.is_empty() {
                if self.eof {
                    return Poll::Ready(Err(self.truncated()));
                }
                ready!(self.poll_fill(cx))?;
                continue;
            }
            let chunk = &self.buf[..left.min(self.buf.len())];
            let written = ready!(Pin::new(&mut *dst).poll_write(cx, chunk))?;
            if written == 0 {
                return Poll::Ready(Err(io::Error::from(io::ErrorKind::WriteZero).into()));
            }
            self.buf.advance(written);
            self.partial = Partial::Copy {
                header_len,
                len,
                left: left - written,
            };
        }
        Poll::Ready(Ok(None))
    }

    /// Reads more bytes into the buffer, enforcing the frame deadline while it waits.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if let Some(at) = self.deadline_at() {
            if Instant::now() >= at {
                return Poll::Ready(Err(self.deadline_error()));
            }
        }
        let wanted = match self.partial {
            Partial::Copy { left, .. } => left.saturating_sub(self.buf.len()),
            _ => self.decoder.bytes_needed(&self.buf),
        };
        self.buf
            .reserve(wanted.clamp(READ_MIN.min(self.read_size), self.read_size));
        loop {
            let mut room = (&mut self.buf).limit(self.read_size);
            let read = pin!(self.inner.read_buf(&mut room));
            match read.poll(cx) {
                Poll::Ready(Ok(n)) => {
                    self.eof = n == 0;
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::Interrupted => continue,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err.into())),
                Poll::Pending => break,
            }
        }
        if let Some(at) = self.deadline_at() {
            let timer = self
                .timer
                .get_or_insert_with(|| Box::pin(::tokio::time::sleep_until(at)));
            if timer.deadline() != at {
                timer.as_mut().reset(at);
            }
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(self.deadline_error()));
            }
        }
        Poll::Pending
    }
}

/// The frames, until a clean end of stream.
///
/// Errors are as [`FrameReader::read_frame`]'s. After an error the stream ends (yields `None`),
/// except after an oversized frame skipped with
/// [`skip_oversized`](crate::CodecBuilder::skip_oversized), where it goes on with the next frame.
/// Cancel-safe, as `read_frame`.
impl<R: AsyncRead + Unpin> Stream for FrameReader<R> {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.stream_failed {
            return Poll::Ready(None);
        }
        Poll::Ready(match ready!(this.poll_read_frame(cx)) {
            Ok(frame) => frame.map(Ok),
            Err(err) => {
                let skipped = matches!(this.partial, Partial::Skip { .. })
                    && matches!(err, Error::Frame(FrameError::TooLarge { .. }));
                this.stream_failed = !skipped;
                Some(Err(err))
            }
        })
    }
}

/// Writes frames to an [`AsyncWrite`].
///
/// Small frames (payloads up to 8 KiB) are copied into a buffer and go out together, like
/// tokio's `BufWriter`: call [`flush`](Self::flush) when a batch is done, or they wait there.
/// Larger payloads are never copied: the buffered bytes, the header and the payload go out in one
/// vectored write where the writer supports it ([`AsyncWrite::is_write_vectored`], as TCP streams
/// do), straight from the caller's slice. At most about 64 KiB is buffered before the writer
/// writes.
///
/// Unlike the blocking writer, dropping it does not write what is buffered (a destructor cannot
/// await): [`flush`](Self::flush) before dropping it.
///
/// See the [module docs](self) for cancel safety.
#[derive(Debug)]
pub struct FrameWriter<W> {
    inner: W,
    encoder: Encoder,
    /// Bytes accepted and not yet written, in order, before `tail`.
    buf: BytesMut,
    /// A large payload queued through `Sink`, written after `buf` without a copy.
    tail: Bytes,
    /// A `write_frame_from` that stopped inside a frame.
    streaming: Option<Streaming>,
}

/// The frame `write_frame_from` is sending: its header is accepted, `left` payload bytes to go.
#[derive(Clone, Copy, Debug)]
struct Streaming {
    len: u64,
    left: u64,
}

impl<W> FrameWriter<W> {
    /// A writer with the default settings (`"<i"` lengths, 8 MiB maximum).
    pub fn new(inner: W) -> Self {
        FrameWriter::with_codec(inner, Codec::default())
    }

    /// A writer with these settings.
    pub fn with_codec(inner: W, codec: Codec) -> Self {
        FrameWriter {
            inner,
            encoder: codec.encoder(),
            buf: BytesMut::new(),
            tail: Bytes::new(),
            streaming: None,
        }
    }

    /// The settings.
    pub fn codec(&self) -> &Codec {
        self.encoder.codec()
    }

    /// How many bytes are accepted but not yet written: whole frames, and perhaps the start or
    /// the rest of one.
    pub fn buffered_len(&self) -> usize {
        self.buf.len() + self.tail.len()
    }

    /// How many payload bytes [`write_frame_from`](Self::write_frame_from) still has to read
    /// from its source, if it stopped inside a frame; `None` otherwise.
    pub fn stream_remaining(&self) -> Option<u64> {
        self.streaming.map(|streaming| streaming.left)
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer. Writing to it directly while frames are buffered puts bytes in the
    /// middle of the framing: [`flush`](Self::flush) first.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The inner writer. Unlike the blocking writer's, this does not flush (it cannot await):
    /// frames still buffered are dropped, so [`flush`](Self::flush) first, or use
    /// [`into_parts`](Self::into_parts) to keep them.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// The inner writer and the bytes accepted but not written, without writing anything.
    pub fn into_parts(self) -> (W, Bytes) {
        let mut unsent = self.buf;
        unsent.extend_from_slice(&self.tail);
        (self.inner, unsent.freeze())
    }

    fn check_not_streaming(&self) -> Result<(), Error> {
        match self.streaming {
            None => Ok(()),
            Some(_) => Err(self.unfinished_error()),
        }
    }

    fn unfinished_error(&self) -> Error {
        let Streaming { len, left } = self.streaming.unwrap_or(Streaming { len: 0, left: 0 });
        Error::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "write_frame_from stopped inside a frame of {len} payload bytes with {left} still \
                 to come; call write_frame_from again with length {len} and the rest of the \
                 payload, or close the connection"
            ),
        ))
    }

    /// Whether a payload of `len` bytes is copied into the buffer rather than written from the
    /// caller's memory.
    fn coalesces(&self, len: usize) -> bool
    where
        W: AsyncWrite,
    {
        len <= COALESCE_MAX || (len <= WRITE_HIGH && !self.inner.is_write_vectored())
    }
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    /// Writes one frame: the header for `payload.len()`, then `payload`.
    ///
    /// A small payload is buffered and goes out with a later write or [`flush`](Self::flush); a
    /// large one is written before this returns (the buffered frames before it too), without
    /// being copied.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::tokio::FrameWriter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lenframe::Error> {
    /// let mut writer = FrameWriter::new(Vec::new());
    /// writer.write_frame(b"aaa").await?;
    /// assert!(writer.get_ref().is_empty(), "small frames wait in the buffer");
    /// writer.flush().await?;
    /// assert_eq!(writer.get_ref(), b"\x03\0\0\0aaa");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// - [`Error::Encode`] if the settings cannot frame the payload: nothing is written;
    /// - [`Error::Io`] if the inner writer fails. If none of the frame had gone out, it is not
    ///   accepted (the same call can be made again); if part of it had, the rest is buffered, to
    ///   go out with the next write or flush, which reports the failure if it persists;
    /// - [`Error::Io`] with [`io::ErrorKind::InvalidInput`] if
    ///   [`write_frame_from`](Self::write_frame_from) stopped inside a frame and has not finished
    ///   it.
    ///
    /// # Cancel safety
    ///
    /// For a small payload (up to 8 KiB, or 64 KiB when the inner writer has no vectored
    /// writes), cancel-safe: if the future is dropped before it completes, the frame was not
    /// accepted. For a larger one, not cancel-safe, but the stream stays framed: as after an
    /// error, if none of the frame had gone out it is withdrawn, and otherwise the rest of the
    /// payload is copied into the buffer and goes out with the next write or flush. See the
    /// [table](self#cancel-safety).
    pub async fn write_frame(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.check_not_streaming()?;
        let header = self.encoder.header(payload.len())?;
        poll_fn(|cx| self.poll_make_room(cx)).await?;
        self.buf.reserve(header.len());
        self.buf.put_slice(&header);
        if self.coalesces(payload.len()) {
            self.buf.extend_from_slice(payload);
            return Ok(());
        }
        let mut large = LargeWrite {
            header_len: header.len(),
            writer: self,
            payload,
            written: 0,
            done: false,
        };
        let result = poll_fn(|cx| large.poll_write(cx)).await;
        large.done = result.is_ok();
        result
    }

    /// Writes one frame whose `len`-byte payload comes from `src`, in bounded memory.
    ///
    /// The payload moves through the writer's buffer (up to about 64 KiB at a time), so a
    /// 4 GiB file costs no more memory than a small frame. Exactly `len` bytes are read from
    /// `src`; the end of the frame may stay buffered until the next write or
    /// [`flush`](Self::flush). The codec's maximum still applies: raise
    /// [`max_encode_len`](crate::CodecBuilder::max_encode_len) for big frames.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::tokio::FrameWriter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lenframe::Error> {
    /// let mut file: &[u8] = b"hello, and more"; // or a tokio::fs::File
    /// let mut writer = FrameWriter::new(Vec::new());
    /// writer.write_frame_from(5, &mut file).await?;
    /// writer.flush().await?;
    /// assert_eq!(writer.get_ref(), b"\x05\0\0\0hello");
    /// assert_eq!(file, b", and more");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// - [`Error::Encode`] if the settings cannot frame `len` bytes: nothing is read or written;
    /// - [`Error::Io`] if the inner writer fails before the frame's header is accepted: nothing
    ///   is read, and the call can be made again;
    /// - [`Error::Io`] with [`io::ErrorKind::UnexpectedEof`] if `src` ends before `len` bytes, and
    ///   [`Error::Io`] if `src` or the inner writer fails once the frame has begun. The frame's
    ///   header and the payload read so far are kept; the writer remembers how much is left
    ///   ([`stream_remaining`](Self::stream_remaining)) and accepts nothing but another
    ///   `write_frame_from` with the same `len`, which continues the frame with bytes from the
    ///   `src` it is given. A caller that cannot supply them must close the connection;
    /// - [`Error::Io`] with [`io::ErrorKind::InvalidInput`] if an unfinished frame has a
    ///   different length.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe if called again: as after an error, the bytes read from `src` so far are kept,
    /// and calling `write_frame_from` again with the same `len` and source continues the frame.
    pub async fn write_frame_from<S>(&mut self, len: u64, src: &mut S) -> Result<(), Error>
    where
        S: AsyncRead + Unpin + ?Sized,
    {
        match self.streaming {
            Some(streaming) if streaming.len == len => {}
            Some(_) => return Err(self.unfinished_error()),
            None => {
                let header = self
                    .encoder
                    .header(usize::try_from(len).unwrap_or(usize::MAX))?;
                poll_fn(|cx| self.poll_make_room(cx)).await?;
                self.buf.reserve(header.len());
                self.buf.put_slice(&header);
                self.streaming = Some(Streaming { len, left: len });
            }
        }
        poll_fn(|cx| self.poll_stream_from(cx, src)).await
    }

    /// Writes out every buffered frame, then flushes the inner writer.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the inner writer fails. What was not written stays buffered, and calling
    /// again continues.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: what was not written stays buffered, and calling again continues.
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_flush_all(cx)).await?;
        Ok(())
    }

    /// Moves the rest of a `write_frame_from` payload from `src` through the buffer.
    fn poll_stream_from<S>(&mut self, cx: &mut Context<'_>, src: &mut S) -> Poll<Result<(), Error>>
    where
        S: AsyncRead + Unpin + ?Sized,
    {
        while let Some(Streaming { len, left }) = self.streaming {
            if left == 0 {
                self.streaming = None;
                break;
            }
            if self.buf.len() >= WRITE_HIGH {
                ready!(poll_write_parts(&mut self.inner, &mut self.buf, &[], cx))?;
                continue;
            }
            let want = usize::try_from(left).unwrap_or(usize::MAX);
            self.buf.reserve(want.min(READ_MAX));
            let mut room = (&mut self.buf).limit(want.min(READ_MAX));
            let n = match ready!(pin!(src.read_buf(&mut room)).poll(cx)) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                result => result?,
            };
            if n == 0 {
                return Poll::Ready(Err(Error::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the payload's source ended {left} bytes short of the {len} given to \
                         write_frame_from; the frame is unfinished: call write_frame_from \
                         again with the same length and the rest of the payload, or close \
                         the connection"
                    ),
                ))));
            }
            self.streaming = Some(Streaming {
                len,
                left: left - n as u64,
            });
        }
        Poll::Ready(Ok(()))
    }

    /// Writes until there is room to queue another frame: no `Sink` payload waiting, and the
    /// buffer under the high-water mark.
    fn poll_make_room(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.tail.is_empty() || self.buf.len() >= WRITE_HIGH {
            let from_tail = ready!(poll_write_parts(
                &mut self.inner,
                &mut self.buf,
                &self.tail,
                cx
            ))?;
            self.tail.advance(from_tail);
        }
        Poll::Ready(Ok(()))
    }

    fn poll_flush_all(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.buf.is_empty() || !self.tail.is_empty() {
            let from_tail = ready!(poll_write_parts(
                &mut self.inner,
                &mut self.buf,
                &self.tail,
                cx
            ))?;
            self.tail.advance(from_tail);
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }
}

/// Frames of [`Bytes`]: `start_send` queues one, `poll_flush` writes them out.
///
/// A large payload is kept as the `Bytes` it came in and written from there, without a copy;
/// small ones are copied into the buffer. `poll_close` flushes, then shuts the inner writer down.
/// Errors are as [`FrameWriter::write_frame`]'s.
impl<W: AsyncWrite + Unpin> Sink<Bytes> for FrameWriter<W> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        this.check_not_streaming()?;
        Poll::Ready(Ok(ready!(this.poll_make_room(cx))?))
    }

    fn start_send(self: Pin<&mut Self>, payload: Bytes) -> Result<(), Error> {
        let this = self.get_mut();
        this.check_not_streaming()?;
        let header = this.encoder.header(payload.len())?;
        if !this.tail.is_empty() {
            // start_send without poll_ready: keep the order, at the cost of a copy.
            let tail = std::mem::take(&mut this.tail);
            this.buf.extend_from_slice(&tail);
        }
        this.buf.extend_from_slice(&header);
        if this.coalesces(payload.len()) {
            this.buf.extend_from_slice(&payload);
        } else {
            this.tail = payload;
        }
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(ready!(self.get_mut().poll_flush_all(cx))?))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        ready!(this.poll_flush_all(cx))?;
        Poll::Ready(Ok(ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?))
    }
}

/// A large `write_frame` in progress: its header is at the end of the writer's buffer and its
/// payload is written from the caller's slice. Dropped unfinished (cancelled or failed), it
/// keeps the stream framed.
struct LargeWrite<'a, W> {
    writer: &'a mut FrameWriter<W>,
    payload: &'a [u8],
    header_len: usize,
    written: usize,
    done: bool,
}

impl<W: AsyncWrite + Unpin> LargeWrite<'_, W> {
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        while self.written < self.payload.len() {
            let writer = &mut *self.writer;
            let rest = &self.payload[self.written..];
            self.written += ready!(poll_write_parts(
                &mut writer.inner,
                &mut writer.buf,
                rest,
                cx
            ))?;
        }
        Poll::Ready(Ok(()))
    }
}

impl<W> Drop for LargeWrite<'_, W> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let buf = &mut self.writer.buf;
        if self.written == 0 && buf.len() >= self.header_len {
            // None of the frame went out: withdraw its header.
            buf.truncate(buf.len() - self.header_len);
        } else {
            // The peer has part of the frame: queue the rest so it stays whole.
            buf.extend_from_slice(&self.payload[self.written..]);
        }
    }
}

/// Writes some of `buf` and then `tail` in one write call (vectored when both have bytes and the
/// writer supports it). Advances `buf` by what it wrote and returns how much of `tail` went.
fn poll_write_parts<W: AsyncWrite + Unpin + ?Sized>(
    inner: &mut W,
    buf: &mut BytesMut,
    tail: &[u8],
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    let written = loop {
        let inner = Pin::new(&mut *inner);
        let result = if buf.is_empty() {
            ready!(inner.poll_write(cx, tail))
        } else if tail.is_empty() || !inner.is_write_vectored() {
            ready!(inner.poll_write(cx, buf))
        } else {
            let parts = [IoSlice::new(buf), IoSlice::new(tail)];
            ready!(inner.poll_write_vectored(cx, &parts))
        };
        match result {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            result => break result?,
        }
    };
    if written == 0 {
        return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
    }
    let from_buf = written.min(buf.len());
    buf.advance(from_buf);
    Poll::Ready(Ok(written - from_buf))
}
