//! Blocking adapters over [`std::io::Read`] and [`std::io::Write`]: [`FrameReader`] and
//! [`FrameWriter`].
//!
//! They move bytes between an I/O object (a `TcpStream`, a `UnixStream`, a pipe, a TLS stream,
//! a file) and the core; the core ([`FrameDecoder`](crate::FrameDecoder), [`FrameEncoder`](crate::FrameEncoder))
//! decides where frames begin and end.
//!
//! # Getting started
//!
//! Wrap a TCP connection. `&TcpStream` is both [`Read`] and [`Write`], so a reader and a writer
//! can share one stream (use `stream.try_clone()` to move them to two threads):
//!
//! ```no_run
//! use std::net::{Shutdown, TcpStream};
//!
//! use lenframe::blocking::{FrameReader, FrameWriter};
//!
//! let stream = TcpStream::connect("127.0.0.1:8989")?;
//! let mut reader = FrameReader::new(&stream);
//! let mut writer = FrameWriter::new(&stream);
//!
//! // One request, one reply: `send_frame` writes the frame and flushes it.
//! writer.send_frame(b"hello")?;
//! let reply = reader.read_frame()?;
//!
//! // Three sends of "aaa" stay three messages, however TCP glues or splits them. Small frames
//! // wait in the writer's buffer: write them all, then flush once.
//! for _ in 0..3 {
//!     writer.write_frame(b"aaa")?;
//! }
//! writer.flush()?;
//!
//! // Done sending: shut down our half. The peer's `read_frame` returns `Ok(None)` after our
//! // last frame (a clean end), and ours does the same once the peer closes.
//! stream.shutdown(Shutdown::Write)?;
//! while let Some(frame) = reader.read_frame()? {
//!     println!("got {} bytes: {:?}", frame.len(), frame);
//! }
//! # let _ = reply;
//! # Ok::<(), lenframe::Error>(())
//! ```
//!
//! The same with in-memory I/O, to see the bytes:
//!
//! ```
//! use lenframe::blocking::{FrameReader, FrameWriter};
//!
//! let mut writer = FrameWriter::new(Vec::new());
//! writer.write_frame(b"aaa")?;
//! writer.write_frame(b"")?; // empty frames are frames too
//! let wire = writer.into_inner()?; // flushes
//! assert_eq!(wire, b"\x03\0\0\0aaa\x00\0\0\0");
//!
//! let reader = FrameReader::new(&wire[..]);
//! let frames = reader.collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(frames, [&b"aaa"[..], b""]);
//! # Ok::<(), lenframe::Error>(())
//! ```
//!
//! # Reading
//!
//! [`FrameReader`] reads many frames at a time, so many small frames cost one `read` call, and
//! returns each frame as [`Bytes`] sharing its buffer (no copy). Its reads start at 8 KiB and
//! grow only while they come back full (up to 256 KiB), and its buffer grows only as bytes
//! arrive, never by what a header claims: a peer that sends a header announcing 2 GiB and then
//! nothing costs 8 KiB (see [memory and buffering](self#memory-and-buffering)). A
//! frame larger than the maximum
//! ([`max_decode_len`](crate::CodecBuilder::max_decode_len), 8 MiB by default) is refused as soon
//! as its header is in. For payloads too big to hold in memory, [`FrameReader::copy_frame_to`]
//! streams one frame's payload into any [`Write`], a file for instance.
//! [`FrameReader::read_frame_ref`] lends each frame from the buffer instead of returning
//! `Bytes`: no reference counting, for a loop that is done with each frame before reading the
//! next.
//!
//! # Writing
//!
//! [`FrameWriter`] buffers small frames, like [`std::io::BufWriter`], and writes them together:
//! call [`flush`](FrameWriter::flush) when a batch is done. A frame of 64 KiB or more goes out at
//! once, buffered frames first, header and payload in one vectored write from the caller's slice
//! (the payload is not copied); in a run of such frames with no flush between (a bulk transfer),
//! those after the first, up to 256 KiB each, are copied and go out together in writes of about
//! 1 MiB (a copy costs less than a system call a frame), until the flush that ends the batch.
//! [`FrameWriter::feed_frame`] takes an owned payload (a `Vec<u8>`,
//! [`Bytes`]) and queues it without a copy: many such frames go out together in one vectored
//! write. [`FrameWriter::copy_frame_from`] sends a frame whose payload of known length comes
//! from any [`Read`], in bounded memory.
//!
//! # Memory and buffering
//!
//! One policy, shared with the tokio adapters and `FramedCodec` (it lives in the crate's
//! I/O-free read and write state), in numbers:
//!
//! | | reader | writer |
//! |---|---|---|
//! | idle (between frames, after any traffic) | 8 KiB buffer: at most 16 KiB, whatever it received | nothing after a flush (at most 16 KiB) |
//! | a peer that sends a header claiming 1 GiB, then 10 bytes | 8 KiB | – |
//! | small frames | many frames a read, reads from 8 KiB | frames shorter than [`buffer_size`](FrameWriter::buffer_size) (64 KiB) copied and written together |
//! | bulk traffic | reads double while they come back full, up to [`max_read_size`](FrameReader::max_read_size) (256 KiB) | queued frames gathered into one vectored write of up to [`max_write_size`](FrameWriter::max_write_size) (1 MiB) and 64 slices; owned payloads not copied |
//! | one large frame | its buffer grows as its bytes arrive, never by what the header claims | borrowed: written from the caller's slice (in a run of them with no flush between, those after the first, up to 256 KiB each, copied and written 1 MiB at a time); owned: queued as it is |
//! | after it | given back at the next frame boundary: back to 8 KiB | given back by the flush |
//!
//! - **Reading.** A fresh reader asks for 8 KiB. Each read that fills a room of the full read size
//!   doubles the next, up to the maximum read size, so a bulk transfer makes few system calls; a
//!   read that comes back short or with `WouldBlock`/`TimedOut` sets it to twice what came. The
//!   buffer holds what has arrived and one read's room. Between frames, with less than 8 KiB
//!   buffered (the reader is at rest), the next read asks for 8 KiB unless the last one filled its
//!   room (the peer is streaming), and a buffer more than twice what that needs is given back (the
//!   few bytes in it move to a small one): a reader waiting for its next frame holds 8 KiB. When
//!   that small read comes back full, the next asks for the full size again. Frames already
//!   returned as [`Bytes`] own their memory and stay valid. A frame that still needs more than a
//!   read (and more than 64 KiB) is read straight into a buffer of its own, never past the
//!   frame's end: it grows as bytes arrive, a `read` at a time, and the frame is handed out from
//!   it without another copy. Every read goes into room that is zeroed once when made
//!   (`std::io::Read` needs initialised memory), not before every read.
//! - **Writing.** Small frames are copied into the buffer; large borrowed payloads
//!   ([`write_frame`](FrameWriter::write_frame)) are written through from the caller's memory
//!   (in a run of them, those after the first up to a quarter of
//!   [`max_write_size`](FrameWriter::max_write_size) are copied, and the buffer holds up to
//!   `max_write_size` and one frame), and owned ones ([`feed_frame`](FrameWriter::feed_frame)) are
//!   queued without a copy. Each write call gathers what is queued, headers, small frames and
//!   payloads, up to 1 MiB and 64 slices. A flush ends a run and gives back a buffer that grew
//!   past 8 KiB.
//!
//! `tests/resource_bounds.rs` holds these figures: after one 8 MiB frame and 1,000 frames of
//! 16 B, an idle reader holds 8.4 KiB and a flushed writer nothing; 300 idle connections that
//! each sent half a frame hold about 8.3 KiB each.
//!

//! # Timeouts, non-blocking sockets and interruptions
//!
//! Nothing is lost and nothing is sent twice when a call fails with
//! [`WouldBlock`](io::ErrorKind::WouldBlock) (a non-blocking socket, or a read timeout on Unix) or
//! [`TimedOut`](io::ErrorKind::TimedOut) (a timeout on Windows), so the caller can simply retry:
//!
//! - **Reading.** The bytes read so far, and the parsed header, stay in the reader; calling
//!   [`read_frame`](FrameReader::read_frame) again continues the same frame. An interrupted
//!   [`copy_frame_to`](FrameReader::copy_frame_to) remembers how much of the payload it has
//!   written; call it again (with the same destination) to finish the frame.
//! - **Writing.** [`write_frame`](FrameWriter::write_frame) returns `Ok` once the frame is
//!   *accepted*: written, or waiting in the writer's buffer. On `Err`, the frame was not accepted
//!   and none of it was written, so call again with the same payload. If a large frame's write
//!   stops after part of it went out (which cannot be undone), the rest of the frame is copied
//!   into the buffer and the call returns `Ok`; the error shows again on the next write or
//!   [`flush`](FrameWriter::flush), which keeps the unsent bytes until they go out.
//!   [`copy_frame_from`](FrameWriter::copy_frame_from) remembers how much of its payload it has
//!   read: call it again with the same length and source to finish the frame.
//!
//! [`Interrupted`](io::ErrorKind::Interrupted) is retried inside every method, as `read_exact`
//! and `write_all` do; it never reaches the caller.
//!
//! ```
//! use std::io::{self, Read};
//!
//! use lenframe::blocking::FrameReader;
//! use lenframe::Error;
//!
//! /// Hands out one byte per read, and "would block" every other call.
//! struct Slow<'a>(&'a [u8], bool);
//! impl Read for Slow<'_> {
//!     fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
//!         self.1 = !self.1;
//!         if self.1 {
//!             return Err(io::ErrorKind::WouldBlock.into());
//!         }
//!         self.0.read(&mut buf[..1])
//!     }
//! }
//!
//! let mut reader = FrameReader::new(Slow(b"\x03\0\0\0abc", false));
//! let frame = loop {
//!     match reader.read_frame() {
//!         Ok(frame) => break frame,
//!         // A real program would wait for the socket to become readable here.
//!         Err(Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => continue,
//!         Err(e) => return Err(e),
//!     }
//! };
//! assert_eq!(frame.unwrap(), &b"abc"[..]);
//! # Ok::<(), Error>(())
//! ```
//!
//! # Errors
//!
//! Every method returns [`Error`]: [`Error::Io`] for the I/O object's failures,
//! [`Error::Frame`] for bytes that are not a valid frame (and
//! [`Truncated`](crate::FrameError::Truncated) for a stream that ends inside one),
//! [`Error::Encode`] for a payload the settings cannot frame, [`Error::CopyUnfinished`] and
//! [`Error::SourceEnded`] for a streamed frame left unfinished. `Error` converts into
//! [`io::Error`] for `?` in I/O code ([`Error::kind`] says which kind).

use std::fmt;
use std::io::{self, ErrorKind, IoSlice, Read, Write};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};

use crate::engine::head::Head;
use crate::engine::pump::{FillRead, PayloadSource, ReadLoop, WriteIo, WriteLoop, WritePart};
use crate::engine::read::{ReadState, DEFAULT_MAX_READ};
use crate::engine::ready::{pending, poll_now, run, run_poll};
use crate::engine::write::WriteState;
use crate::{Codec, Error};

/// Reads frames from a [`Read`].
///
/// [`read_frame`](Self::read_frame) returns each frame as [`Bytes`] sharing the reader's buffer,
/// and the reader is an [`Iterator`] of frames. See the [module docs](self) for the buffering and
/// for what happens on timeouts and non-blocking sockets.
///
/// # Examples
///
/// ```
/// use lenframe::blocking::FrameReader;
///
/// // Two frames glued together, as TCP may deliver them.
/// let wire: &[u8] = b"\x03\0\0\0aaa\x03\0\0\0bbb";
/// let mut reader = FrameReader::new(wire);
/// assert_eq!(reader.read_frame()?.unwrap(), &b"aaa"[..]);
/// assert_eq!(reader.read_frame()?.unwrap(), &b"bbb"[..]);
/// assert_eq!(reader.read_frame()?, None);
/// # Ok::<(), lenframe::Error>(())
/// ```
pub struct FrameReader<R> {
    core: ReadLoop<StdIo<R>>,
}

impl<R> FrameReader<R> {
    /// A reader with the default settings (`"<i"` lengths, 8 MiB maximum).
    pub fn new(inner: R) -> Self {
        FrameReader::with_codec(inner, Codec::default())
    }

    /// A reader with these settings.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameReader;
    /// use lenframe::Codec;
    ///
    /// let wire: &[u8] = b"\0\0\0\x02hi";
    /// let mut reader = FrameReader::with_codec(wire, Codec::from_struct_format("!I")?);
    /// assert_eq!(reader.read_frame()?.unwrap(), &b"hi"[..]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_codec(inner: R, codec: Codec) -> Self {
        FrameReader {
            core: ReadLoop::new(StdIo(inner), ReadState::new(codec, DEFAULT_MAX_READ)),
        }
    }

    /// A reader that starts with `buffered`, bytes already read from `inner` (by another
    /// reader, a handshake, a tokio-util `Framed`): the other half of
    /// [`into_parts`](Self::into_parts).
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    /// use lenframe::blocking::FrameReader;
    /// use lenframe::Codec;
    ///
    /// let already_read = Bytes::from_static(b"\x02\0\0\0hi\x03\0");
    /// let rest: &[u8] = b"\0\0abc";
    /// let mut reader = FrameReader::from_parts(rest, Codec::default(), already_read);
    /// assert_eq!(reader.read_frame()?.unwrap(), &b"hi"[..]);
    /// assert_eq!(reader.read_frame()?.unwrap(), &b"abc"[..]);
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    pub fn from_parts(inner: R, codec: Codec, buffered: Bytes) -> Self {
        let state = ReadState::from_buffered(codec, DEFAULT_MAX_READ, buffered);
        FrameReader {
            core: ReadLoop::new(StdIo(inner), state),
        }
    }

    crate::shells::reader_settings!(copy_stops: "an error from the reader or the destination");

    /// Whether a call that did not return a frame (`WouldBlock` or `TimedOut` from a
    /// non-blocking socket or a read timeout, or another error) stopped inside a frame: the
    /// frame's header had arrived, its payload had not all arrived. `false` between frames, even
    /// with part of the next header buffered.
    ///
    /// With a read timeout on the socket, it tells an idle peer (between frames) from one that
    /// stalled after a header, for a server that closes only the latter.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    ///
    /// use lenframe::blocking::FrameReader;
    /// use lenframe::Error;
    ///
    /// /// Hands out its bytes, then "would block" forever, as an idle socket does.
    /// struct Stalled<'a>(&'a [u8]);
    /// impl io::Read for Stalled<'_> {
    ///     fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
    ///         match self.0.read(buf)? {
    ///             0 => Err(io::ErrorKind::WouldBlock.into()),
    ///             n => Ok(n),
    ///         }
    ///     }
    /// }
    ///
    /// let mut reader = FrameReader::new(Stalled(b"\x01\0\0\0a\x05\0"));
    /// assert_eq!(reader.read_frame()?.unwrap(), &b"a"[..]);
    /// assert!(matches!(reader.read_frame(), Err(Error::Io(_))));
    /// assert!(!reader.is_mid_frame(), "half a header: still between frames");
    ///
    /// let mut reader = FrameReader::new(Stalled(b"\x05\0\0\0he"));
    /// assert!(matches!(reader.read_frame(), Err(Error::Io(_))));
    /// assert!(reader.is_mid_frame(), "a header and 2 of 5 payload bytes");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn is_mid_frame(&self) -> bool {
        self.core.state.mid_frame()
    }

    crate::shells::reader_inner!(field: 0);

    /// The inner reader and the bytes read from it but not yet returned, for handing the
    /// connection to other code. Call it between frames: a header already parsed is in the
    /// bytes, but the state of a stopped [`copy_frame_to`](Self::copy_frame_to) is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameReader;
    ///
    /// let wire: &[u8] = b"\x02\0\0\0hiRAW BYTES AFTER THE HANDSHAKE";
    /// let mut reader = FrameReader::new(wire);
    /// assert_eq!(reader.read_frame()?.unwrap(), &b"hi"[..]);
    /// let (rest_of_stream, buffered) = reader.into_parts();
    /// assert_eq!([&buffered[..], rest_of_stream].concat(), b"RAW BYTES AFTER THE HANDSHAKE");
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    pub fn into_parts(self) -> (R, Bytes) {
        (self.core.io.0, self.core.state.into_buffer())
    }
}

impl<R: Read> FrameReader<R> {
    /// Reads the next frame: `Ok(None)` when the stream ends cleanly between two frames.
    ///
    /// The frame is the payload alone, or header and payload with
    /// [`keep_header`](crate::CodecBuilder::keep_header).
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameReader;
    /// use lenframe::{Error, FrameError};
    ///
    /// let wire: &[u8] = b"\x00\0\0\0\x05\0\0\0hel";
    /// let mut reader = FrameReader::new(wire);
    /// assert_eq!(reader.read_frame()?.unwrap(), &b""[..]);
    /// // The stream ends inside the second frame: 3 of its 5 payload bytes came.
    /// assert!(matches!(
    ///     reader.read_frame(),
    ///     Err(Error::Frame(FrameError::Truncated { expected: 9, got: 7, guess: None }))
    /// ));
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - [`Error::Frame`] for a bad header ([`FrameError`](crate::FrameError) says which); the stream is out of
    ///   step and calling again returns the same error, except for an oversized frame with
    ///   [`skip_oversized`](crate::CodecBuilder::skip_oversized), which is skipped so that the
    ///   next call goes on with the next frame;
    /// - [`Error::Frame`] with [`FrameError::Truncated`](crate::FrameError::Truncated) if the stream ends inside a frame;
    /// - [`Error::Io`] if the inner reader fails. Everything read so far is kept: after
    ///   `WouldBlock` or `TimedOut`, calling again continues the same frame;
    /// - [`Error::CopyUnfinished`] if
    ///   [`copy_frame_to`](Self::copy_frame_to) stopped inside a frame and has not finished it.
    #[inline]
    pub fn read_frame(&mut self) -> Result<Option<Bytes>, Error> {
        if let Some(frame) = self.core.read_buffered()? {
            return Ok(Some(frame));
        }
        run_poll(|cx| self.core.poll_read_more(cx))
    }

    /// Reads the next frame and lends it from the reader's buffer: `Ok(None)` when the stream
    /// ends cleanly between two frames.
    ///
    /// The same frame as [`read_frame`](Self::read_frame) returns, without making it an owned
    /// [`Bytes`]: no reference count is touched, which saves about 20 ns a frame for small
    /// frames. The slice is valid until the next call on the reader (the borrow checker sees to
    /// it); copy it, or use `read_frame`, to keep it longer. Errors, timeouts and non-blocking
    /// sockets behave exactly as with `read_frame`, and the two can be mixed on one reader.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameReader;
    ///
    /// let wire: &[u8] = b"\x03\0\0\0aaa\x02\0\0\0bb";
    /// let mut reader = FrameReader::new(wire);
    /// let mut total = 0;
    /// while let Some(frame) = reader.read_frame_ref()? {
    ///     total += frame.len(); // borrowed: no allocation, no reference count
    /// }
    /// assert_eq!(total, 5);
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`read_frame`](Self::read_frame).
    #[inline]
    pub fn read_frame_ref(&mut self) -> Result<Option<&[u8]>, Error> {
        if !self.core.lend_buffered()? && !run_poll(|cx| self.core.poll_lend_more(cx))? {
            return Ok(None);
        }
        Ok(Some(self.core.state.lent()))
    }

    /// [`read_frame_ref`](Self::read_frame_ref), with the frame's index on the stream: for the
    /// typed readers' errors.
    #[cfg(any(feature = "json", feature = "msgpack"))]
    pub(crate) fn read_frame_indexed(&mut self) -> Result<Option<(u64, &[u8])>, Error> {
        if self.read_frame_ref()?.is_none() {
            return Ok(None);
        }
        Ok(Some((
            self.core.state.frame_index() - 1,
            self.core.state.lent(),
        )))
    }

    /// Copies the next frame's payload into `out` in bounded memory and returns its length:
    /// `Ok(None)` when the stream ends cleanly between two frames.
    ///
    /// The payload moves through the reader's buffer a read at a time (up to 256 KiB), so a
    /// 4 GiB frame costs no more memory than a small one. The codec's maximum still applies:
    /// raise [`max_decode_len`](crate::CodecBuilder::max_decode_len) for big frames.
    /// [`keep_header`](crate::CodecBuilder::keep_header) does not: only the payload is copied.
    /// `out` is not flushed.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameReader;
    ///
    /// let wire: &[u8] = b"\x05\0\0\0hello\x02\0\0\0hi";
    /// let mut reader = FrameReader::new(wire);
    /// let mut file = Vec::new(); // or a std::fs::File
    /// assert_eq!(reader.copy_frame_to(&mut file)?, Some(5));
    /// assert_eq!(file, b"hello");
    /// assert_eq!(reader.read_frame()?.unwrap(), &b"hi"[..]);
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`read_frame`](Self::read_frame), and [`Error::Io`] if `out` fails (a `write` that
    /// returns 0 is [`ErrorKind::WriteZero`]). After an I/O error inside the payload, the bytes
    /// written to `out` stay written and the reader remembers how many are left
    /// ([`copy_remaining`](Self::copy_remaining)): calling `copy_frame_to` again, with the same
    /// destination, writes the rest and returns the frame's whole length.
    pub fn copy_frame_to<W: Write + ?Sized>(&mut self, out: &mut W) -> Result<Option<u64>, Error> {
        run(self.core.copy_frame_to(&mut StdIo(out)))
    }
}

impl<R: Read> Iterator for FrameReader<R> {
    type Item = Result<Bytes, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        poll_now(|cx| self.core.poll_next(cx)).unwrap_or_else(|| Some(Err(pending().into())))
    }
}

impl<R: fmt::Debug> fmt::Debug for FrameReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameReader")
            .field("inner", &self.core.io.0)
            .field("codec", self.codec())
            .field("buffered", &self.buffer().len())
            .field("max_read_size", &self.core.state.read_size())
            .field("copy_remaining", &self.copy_remaining())
            .finish()
    }
}

/// Writes frames to a [`Write`].
///
/// Frames shorter than the buffer (64 KiB by default) are copied into it and go out together,
/// like [`std::io::BufWriter`]: call [`flush`](Self::flush) when a batch is done. Longer frames
/// go out at once, after what is buffered, in one vectored write of the header and the caller's
/// payload, which is not copied; in a run of them with no flush between, those after the first
/// are copied (up to a quarter of [`max_write_size`](Self::max_write_size)) and go out together.
/// See the [module docs](self) for what happens on timeouts and
/// non-blocking sockets.
///
/// Dropping the writer writes what is buffered, ignoring errors, as `BufWriter` does; call
/// [`flush`](Self::flush) or [`into_inner`](Self::into_inner) to see them.
///
/// `FrameWriter` does not implement [`Write`]: a frame is written whole with
/// [`write_frame`](Self::write_frame), never a byte at a time.
///
/// # Examples
///
/// ```
/// use lenframe::blocking::FrameWriter;
///
/// let mut writer = FrameWriter::new(Vec::new());
/// writer.write_frame(b"aaa")?;
/// writer.write_frame(b"bb")?;
/// assert!(writer.get_ref().is_empty(), "small frames wait in the buffer");
/// writer.flush()?;
/// assert_eq!(writer.get_ref(), b"\x03\0\0\0aaa\x02\0\0\0bb");
/// # Ok::<(), lenframe::Error>(())
/// ```
pub struct FrameWriter<W: Write> {
    core: WriteLoop<StdWriter<W>>,
}

impl<W: Write> FrameWriter<W> {
    /// A writer with the default settings (`"<i"` lengths, 8 MiB maximum).
    pub fn new(inner: W) -> Self {
        FrameWriter::with_codec(inner, Codec::default())
    }

    /// A writer with these settings.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameWriter;
    /// use lenframe::Codec;
    ///
    /// let mut writer = FrameWriter::with_codec(Vec::new(), Codec::from_struct_format("!I")?);
    /// writer.write_frame(b"hi")?;
    /// assert_eq!(writer.into_inner()?, b"\0\0\0\x02hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_codec(inner: W, codec: Codec) -> Self {
        FrameWriter {
            core: WriteLoop::new(
                StdWriter {
                    inner: Some(inner),
                    panicked: false,
                },
                WriteState::new(codec),
            ),
        }
    }

    /// A writer that starts with `unsent`, bytes accepted by another writer and not yet written
    /// (they go out first): the other half of [`into_parts`](Self::into_parts).
    pub fn from_parts(inner: W, codec: Codec, unsent: Bytes) -> Self {
        let mut writer = FrameWriter::with_codec(inner, codec);
        writer.core.state.push_unsent(unsent);
        writer
    }

    crate::shells::writer_settings!(module: "blocking", queuers: "[`feed_frame`](Self::feed_frame) queues");

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        self.core.io.inner.as_ref().expect(TAKEN)
    }

    /// The inner writer. Writing to it directly while frames are buffered puts bytes in the
    /// middle of the framing: [`flush`](Self::flush) first.
    pub fn get_mut(&mut self) -> &mut W {
        self.core.io.inner.as_mut().expect(TAKEN)
    }

    /// Writes what is buffered, flushes, and returns the inner writer.
    ///
    /// If [`copy_frame_from`](Self::copy_frame_from) stopped inside a frame, the stream is left
    /// inside that frame.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if writing or flushing fails. The writer is dropped then, with what was
    /// not written: to keep them, call [`flush`](Self::flush) first and, if it fails,
    /// [`into_parts`](Self::into_parts).
    pub fn into_inner(mut self) -> Result<W, Error> {
        self.flush()?;
        Ok(self.core.io.inner.take().expect(TAKEN))
    }

    /// The inner writer and the bytes accepted but not written, without writing anything.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameWriter;
    ///
    /// let mut writer = FrameWriter::new(Vec::new());
    /// writer.write_frame(b"hi")?;
    /// let (inner, unsent) = writer.into_parts();
    /// assert!(inner.is_empty());
    /// assert_eq!(&unsent[..], b"\x02\0\0\0hi");
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    pub fn into_parts(mut self) -> (W, Bytes) {
        let unsent = self.core.state.take_buffered();
        (self.core.io.inner.take().expect(TAKEN), unsent)
    }

    /// Writes one frame: the header for `payload.len()`, then `payload`.
    ///
    /// A frame shorter than the buffer is copied into it and goes out with a later write or
    /// [`flush`](Self::flush); a longer one is written before this returns, without being
    /// copied. Except in a run: after a frame written that way, with no flush since, frames up
    /// to a quarter of [`max_write_size`](Self::max_write_size) (256 KiB by default) are copied
    /// too and go out together when about `max_write_size` bytes are buffered, or at the flush,
    /// so that a bulk transfer of, say, 64 KiB frames makes one write a MiB rather than one a
    /// frame. Flush (or use [`send_frame`](Self::send_frame)) when the peer must see a frame
    /// now.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameWriter;
    ///
    /// let mut writer = FrameWriter::new(Vec::new());
    /// let big = vec![7u8; 100_000];
    /// writer.write_frame(&big)?; // written at once, straight from `big`
    /// assert_eq!(writer.get_ref().len(), 4 + big.len());
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// On error the frame was not accepted: none of it was written or buffered, and the same
    /// call can be made again (earlier frames may have gone out, making room).
    ///
    /// - [`Error::Encode`] if the settings cannot frame the payload;
    /// - [`Error::Io`] if the inner writer fails before any of the frame is written (a `write`
    ///   that returns 0 is [`ErrorKind::WriteZero`]). If it fails after part of the frame went
    ///   out, the frame counts as accepted: the rest of it is buffered, this returns `Ok`, and
    ///   the next write or flush reports the failure if it persists;
    /// - [`Error::CopyUnfinished`] if [`copy_frame_from`](Self::copy_frame_from) stopped
    ///   inside a frame and has not finished it.
    pub fn write_frame(&mut self, payload: impl AsRef<[u8]>) -> Result<(), Error> {
        let payload = payload.as_ref();
        match self.core.queue_frame(None, payload)? {
            None => Ok(()),
            Some(head) => self.write_frame_io(head, payload),
        }
    }

    /// The rest of [`write_frame`](Self::write_frame), once the frame does not simply fit in
    /// the buffer: the shared loop, out of line so that the per-frame path stays small.
    #[inline(never)]
    fn write_frame_io(&mut self, head: Head, payload: &[u8]) -> Result<(), Error> {
        if run_poll(|cx| self.core.poll_queue_copied(cx, &head, payload))? {
            return Ok(());
        }
        run(self.core.write_through(head, payload))
    }

    /// [`write_frame`](Self::write_frame) for a codec whose length field does not start the
    /// header ([`length_field_offset`](crate::CodecBuilder::length_field_offset) > 0): `prefix`
    /// is the bytes before the length field (a message type tag, for instance), exactly
    /// `length_field_offset` of them, as
    /// [`FrameEncoder::encode_with_prefix`](crate::FrameEncoder::encode_with_prefix) takes them.
    /// The frame is buffered, written through and accepted as `write_frame`'s is.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameWriter;
    /// use lenframe::Codec;
    ///
    /// // PostgreSQL: a tag byte, then a length that counts itself.
    /// let codec = Codec::builder()
    ///     .length_field_offset(1)
    ///     .struct_format("!I")
    ///     .length_adjustment(-4)
    ///     .build()?;
    /// let mut writer = FrameWriter::with_codec(Vec::new(), codec);
    /// writer.write_frame_with_prefix(b"Q", b"SELECT 1\0")?;
    /// assert_eq!(writer.into_inner()?, b"Q\0\0\0\x0dSELECT 1\0");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ) -> Result<(), Error> {
        run(self.core.write_frame(Some(prefix), payload.as_ref()))
    }

    /// Queues one frame whose payload the writer may keep: the header for `payload.len()`, then
    /// `payload`, which is not copied (unless it is 8 KiB or less: small frames are copied into
    /// the buffer with their neighbours).
    ///
    /// Nothing is written until the queue holds [`max_write_size`](Self::max_write_size)
    /// bytes (1 MiB by default) or the buffer is full, or on [`flush`](Self::flush); then the
    /// queued frames, headers and payloads, go out together in one vectored write. This is the
    /// fast way to send many large frames: a `Vec<u8>` or [`Bytes`] is handed over, not copied,
    /// and a write call carries many frames. (`SinkExt::feed` is its analogue on the async
    /// writers.)
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameWriter;
    ///
    /// let mut writer = FrameWriter::new(Vec::new());
    /// for _ in 0..3 {
    ///     writer.feed_frame(vec![7u8; 100_000])?; // moved in, not copied
    /// }
    /// assert!(writer.get_ref().is_empty(), "queued until 1 MiB or a flush");
    /// writer.flush()?; // one vectored write of six slices
    /// assert_eq!(writer.get_ref().len(), 3 * (4 + 100_000));
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// On error the frame was not accepted: none of it was queued, and the same call can be
    /// made again.
    ///
    /// - [`Error::Encode`] if the settings cannot frame the payload;
    /// - [`Error::Io`] if writing out what was queued before it fails;
    /// - [`Error::CopyUnfinished`] if [`copy_frame_from`](Self::copy_frame_from) stopped
    ///   inside a frame and has not finished it.
    pub fn feed_frame(&mut self, payload: impl Into<Bytes>) -> Result<(), Error> {
        run(self.core.feed_frame(payload.into()))
    }

    /// Writes one frame and flushes: [`write_frame`](Self::write_frame) then
    /// [`flush`](Self::flush), so the frame is on its way when this returns, as Python's
    /// `sock.sendall(header + payload)` is. Use it for request/response traffic; for many frames
    /// in a row, `write_frame` each and `flush` once.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameWriter;
    ///
    /// let mut writer = FrameWriter::new(Vec::new());
    /// writer.send_frame(b"ping")?;
    /// assert_eq!(writer.get_ref(), b"\x04\0\0\0ping", "no flush needed");
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`write_frame`](Self::write_frame), then as [`flush`](Self::flush): an error from the
    /// flush means the frame was accepted and is still buffered.
    pub fn send_frame(&mut self, payload: impl AsRef<[u8]>) -> Result<(), Error> {
        self.write_frame(payload)?;
        self.flush()
    }

    /// Writes one frame whose payload `body` writes straight into the writer's buffer: for a
    /// payload whose length is not known before it is written (a serialized message), with no
    /// intermediate buffer. The header is filled in once the body is written
    /// ([`FrameEncoder::encode_with`](crate::FrameEncoder::encode_with)).
    ///
    /// `body` must only append to the buffer it is given (with `BufMut`, `extend_from_slice`,
    /// or an `io::Write` from `BufMut::writer`); what is before its start is other frames.
    /// Its error type `E` is the call's: lenframe's own errors are converted into it (`E` is
    /// [`Error`] itself, [`io::Error`], `Box<dyn std::error::Error + Send + Sync>`,
    /// `anyhow::Error`, ...), so a caller tells its own errors from the writer's by type.
    ///
    /// The frame is buffered like a small one from [`write_frame`](Self::write_frame): what is
    /// buffered is written first when a frame as long as the longest written this way since
    /// the last flush would not fit, and a frame that takes the buffer past [`buffer_size`](Self::buffer_size)
    /// (or the queue past [`max_write_size`](Self::max_write_size)) is written before this
    /// returns, from the buffer, which is given back afterwards. The rest waits for a later
    /// write or [`flush`](Self::flush).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write as _;
    /// use bytes::BufMut;
    /// use lenframe::blocking::FrameWriter;
    ///
    /// let mut writer = FrameWriter::new(Vec::new());
    /// writer.write_frame_with(|buf| write!(buf.writer(), "{}+{}", 2, 3))?; // E = io::Error
    /// assert_eq!(writer.into_inner()?, b"\x03\0\0\02+3");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// On error the frame was not accepted: nothing of it was buffered or written, and the
    /// writer holds what it held before.
    ///
    /// - the closure's own error, as it returned it;
    /// - [`Error::Encode`] if the body is longer than the maximum (with both numbers) or the
    ///   length field can hold;
    /// - [`Error::Io`] if writing out what was buffered before fails. Once the frame is
    ///   buffered it is accepted: a write that fails after that is not reported here but by
    ///   the next write or flush;
    /// - [`Error::CopyUnfinished`] if [`copy_frame_from`](Self::copy_frame_from) stopped inside
    ///   a frame and has not finished it;
    /// - [`Error::Io`] of kind `InvalidInput` holding
    ///   [`EncodeWithError::Shrunk`](crate::EncodeWithError::Shrunk) if the closure removed
    ///   bytes from before its start: frames accepted before are damaged, close the connection.
    pub fn write_frame_with<E: From<Error>>(
        &mut self,
        body: impl FnOnce(&mut BytesMut) -> Result<(), E>,
    ) -> Result<(), E> {
        run(self.core.write_frame_with(body))
    }

    /// Writes one frame whose `len`-byte payload comes from `src`, in bounded memory.
    ///
    /// The payload moves through the writer's buffer (64 KiB at a time by default), so a 4 GiB
    /// file costs no more memory than a small frame. Exactly `len` bytes are read from `src`;
    /// the end of the frame may stay buffered until the next write or [`flush`](Self::flush).
    /// The codec's maximum still applies: raise
    /// [`max_encode_len`](crate::CodecBuilder::max_encode_len) for big frames.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameWriter;
    ///
    /// let mut file: &[u8] = b"hello, and more"; // or a std::fs::File
    /// let mut writer = FrameWriter::new(Vec::new());
    /// writer.copy_frame_from(5, &mut file)?;
    /// assert_eq!(writer.into_inner()?, b"\x05\0\0\0hello");
    /// assert_eq!(file, b", and more");
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - [`Error::Encode`] if the settings cannot frame `len` bytes, or holding
    ///   [`EncodeError::ChecksumNeedsWholeFrame`](crate::EncodeError::ChecksumNeedsWholeFrame)
    ///   for a codec whose checksum is the caller's own function (a named algorithm is computed
    ///   as the payload streams): nothing is read or written;
    /// - [`Error::Io`] if the inner writer fails before the frame's header is accepted: nothing
    ///   is read, and the call can be made again;
    /// - [`Error::SourceEnded`] if `src` ends before `len` bytes, and
    ///   [`Error::Io`] if `src` or the inner writer fails once the frame has begun. The frame's
    ///   header and the payload read so far are kept; the writer remembers how much is left
    ///   ([`copy_remaining`](Self::copy_remaining)) and accepts nothing but another
    ///   `copy_frame_from` with the same `len`, which continues the frame with bytes from the
    ///   `src` it is given. A caller that cannot supply them must close the connection;
    /// - [`Error::CopyUnfinished`] if an unfinished frame has a different length.
    pub fn copy_frame_from<R: Read + ?Sized>(
        &mut self,
        len: u64,
        src: &mut R,
    ) -> Result<(), Error> {
        run(self.core.copy_frame_from(len, &mut StdIo(src)))
    }

    /// Writes out everything buffered, then flushes the inner writer.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the inner writer fails. What was not written stays buffered, and calling
    /// again continues.
    pub fn flush(&mut self) -> Result<(), Error> {
        run(self.core.flush())
    }
}

impl<W: Write> Drop for FrameWriter<W> {
    fn drop(&mut self) {
        // As `BufWriter` does: what is buffered goes out, unless the inner writer panicked in a
        // write (it may be in any state) or was taken.
        if !self.core.io.panicked && self.core.io.inner.is_some() {
            let _ = poll_now(|cx| self.core.poll_write_out(cx));
        }
    }
}

impl<W: Write + fmt::Debug> fmt::Debug for FrameWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("FrameWriter");
        if let Some(inner) = &self.core.io.inner {
            f.field("inner", inner);
        }
        f.field("codec", self.codec())
            .field("buffered_len", &self.buffered_len())
            .field("buffer_size", &self.buffer_size())
            .field("copy_remaining", &self.copy_remaining())
            .finish()
    }
}

const TAKEN: &str = "the inner writer is only taken by into_inner and into_parts, which consume \
                     the FrameWriter";

/// A `std::io` reader, `copy_frame_to` destination or `copy_frame_from` source, as the
/// shared loops use it: every call is ready at once (it blocks, or fails with `WouldBlock`).
#[derive(Debug)]
struct StdIo<T>(T);

/// A frame writer's inner writer: taken by `into_inner` and `into_parts`, and watched for a
/// panic inside a write (then `drop` does not write again), as `BufWriter` does.
#[derive(Debug)]
struct StdWriter<W> {
    inner: Option<W>,
    panicked: bool,
}

impl<R: Read> FillRead for StdIo<R> {
    /// One `read`: a long frame's into the initialised room at the end of its own buffer
    /// (`ReadState::long_frame_slice`), anything else into the shared buffer's initialised room.
    fn poll_fill(
        &mut self,
        _: &mut Context<'_>,
        state: &mut ReadState,
    ) -> Poll<Result<usize, Error>> {
        let result = loop {
            let read = match state.long_frame_slice() {
                Some(room) => self.0.read(room).map(|n| state.long_frame_read(n)),
                None => self.0.read(state.read_slice()).map(|n| state.filled(n)),
            };
            match read {
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                read => break read,
            }
        };
        Poll::Ready(result.map_err(|err| {
            state.read_failed(&err);
            err.into()
        }))
    }
}

impl<W: Write + ?Sized> WritePart for StdIo<&mut W> {
    #[inline]
    fn poll_write_part(&mut self, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(self.0.write(buf))
    }
}

impl<W: Write> StdWriter<W> {
    /// Runs one call on the inner writer, noting a panic inside it.
    #[inline]
    fn call<T>(&mut self, f: impl FnOnce(&mut W) -> io::Result<T>) -> Poll<io::Result<T>> {
        let Some(inner) = self.inner.as_mut() else {
            // Taken: only `drop` gets here, and writes nothing.
            return Poll::Ready(Err(ErrorKind::NotConnected.into()));
        };
        self.panicked = true;
        let result = f(inner);
        self.panicked = false;
        Poll::Ready(result)
    }
}

impl<W: Write> WritePart for StdWriter<W> {
    #[inline]
    fn poll_write_part(&mut self, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.call(|inner| inner.write(buf))
    }
}

impl<W: Write> WriteIo for StdWriter<W> {
    fn poll_write_parts(
        &mut self,
        _: &mut Context<'_>,
        parts: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.call(|inner| inner.write_vectored(parts))
    }

    fn poll_flush_io(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match self.call(|inner| inner.flush()) {
                Poll::Ready(Err(err)) if err.kind() == ErrorKind::Interrupted => {}
                polled => return polled,
            }
        }
    }
}

impl<R: Read + ?Sized> PayloadSource for StdIo<&mut R> {
    /// Reads into room zeroed for the read (`WriteState::stream_slice`).
    fn poll_read_payload(
        &mut self,
        _: &mut Context<'_>,
        state: &mut WriteState,
        want: usize,
    ) -> Poll<io::Result<usize>> {
        let result = self.0.read(state.stream_slice(want));
        let n = state.streamed(*result.as_ref().unwrap_or(&0));
        Poll::Ready(result.map(|_| n))
    }
}

#[cfg(test)]
#[path = "blocking_tests.rs"]
mod unit_tests;
