//! Async adapters over tokio's [`AsyncRead`] and [`AsyncWrite`]: [`FrameReader`] and
//! [`FrameWriter`].
//!
//! They move bytes between an I/O object and the core; the core ([`FrameDecoder`](crate::FrameDecoder),
//! [`FrameEncoder`](crate::FrameEncoder)) decides where frames begin and end. [`FrameReader`] is a
//! [`Stream`] of frames and [`FrameWriter`] a [`Sink`] of [`Bytes`], so
//! `futures_util::StreamExt` and `SinkExt` work on them.
//!
//! # Getting started
//!
//! Wrap a TCP connection, split with `into_split` so that the two halves are owned values: one
//! task can read frames while another writes them, and neither waits for the other.
//!
//! ```no_run
//! use lenframe::tokio::{FrameReader, FrameWriter};
//! use tokio::net::TcpStream;
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let (read_half, write_half) = TcpStream::connect("127.0.0.1:8989").await?.into_split();
//! let mut reader = FrameReader::new(read_half);
//! let mut writer = FrameWriter::new(write_half);
//!
//! // Replies are printed by their own task while this one sends.
//! let replies = tokio::spawn(async move {
//!     while let Some(frame) = reader.read_frame().await? {
//!         println!("got {} bytes", frame.len());
//!     }
//!     Ok::<_, lenframe::Error>(()) // `None`: the peer closed, between two frames
//! });
//!
//! // Small frames wait in the writer's buffer: write them, then flush once.
//! // (`send_frame` writes and flushes one frame, for request/response traffic.)
//! for msg in [&b"aaa"[..], b"bbb", b"ccc"] {
//!     writer.write_frame(msg).await?;
//! }
//! writer.flush().await?;
//!
//! // Done sending: `shutdown` flushes, then closes our half; the peer's reader sees a clean end.
//! writer.shutdown().await?;
//! replies.await??;
//! # Ok(())
//! # }
//! ```
//!
//! The same over an in-memory pipe, to check what arrives:
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
//! | [`FrameWriter::write_frame`], frame shorter than the [buffer](FrameWriter::buffer_size) (64 KiB), or one copied in a run of large frames (see [`write_frame`](FrameWriter::write_frame)) | **yes** | The frame was not queued. (Earlier buffered frames may have gone out to make room.) |
//! | [`FrameWriter::feed_frame`] | **yes** | The frame was not queued. (Earlier queued frames may have gone out to make room.) |
//! | [`FrameWriter::write_frame`], larger payload | **no**, but the stream stays framed | If no byte of the frame had gone out, the frame is withdrawn, as if never called. Otherwise the rest of the payload is copied into the writer's buffer and goes out with the next write or flush: the peer still sees a whole frame, but the caller cannot tell which case happened. |
//! | [`FrameWriter::write_frame_with`] | **yes** until the body is written, then **no**, but the stream stays framed | Dropped while earlier frames go out to make room, the frame was not accepted and `body` not called. Once the body is written the frame is accepted, and goes out with the next write or flush. |
//! | [`FrameWriter::copy_frame_from`] | **yes**, if called again | The frame's header and the payload bytes read so far are kept; the writer remembers how many are left ([`copy_remaining`](FrameWriter::copy_remaining)). Calling `copy_frame_from` again with the same length and source continues the frame; other writes are refused until then. |
//! | [`SinkExt::send`] | **no**, but the stream stays framed | The frame is either queued whole (its `Bytes` kept, not copied) and goes out with the next flush, or not queued at all. |
//! | [`FrameWriter::flush`], [`SinkExt::flush`] | **yes** | What was not written stays buffered; calling again continues. |
//!
//! # Memory and buffering
//!
//! One policy, shared with the blocking adapters and `FramedCodec` (it lives in the crate's
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
//!   read that comes back short or `Pending` sets it to twice what came. The buffer holds what has
//!   arrived and one read's room. Between frames, with less than 8 KiB buffered (the reader is at
//!   rest), the next read asks for 8 KiB unless the last one filled its room (the peer is
//!   streaming), and a buffer more than twice what that needs is given back (the few bytes in it
//!   move to a small one): a reader waiting for its next frame holds 8 KiB. When that small read
//!   comes back full, the next asks for the full size again. Frames already returned as [`Bytes`]
//!   own their memory and stay valid. Reads go into uninitialised memory (`read_buf`): nothing is
//!   zeroed. A long frame grows the buffer by what has arrived (doubling), never past its end.
//! - **Writing.** Small frames are copied into the buffer; large borrowed payloads
//!   ([`write_frame`](FrameWriter::write_frame)) are written through from the caller's memory
//!   (in a run of them with no flush between, those after the first, up to a quarter of
//!   [`max_write_size`](FrameWriter::max_write_size), are copied and go out together), and
//!   owned ones ([`feed_frame`](FrameWriter::feed_frame)) are queued without a copy. Each write
//!   call gathers what is queued, headers, small frames and payloads, up to 1 MiB and 64 slices. A
//!   flush gives back a buffer that grew past 8 KiB. The `Sink` queues its `Bytes` the same way as
//!   `feed_frame`.
//!
//! `tests/resource_bounds.rs` holds these figures: after one 8 MiB frame and 1,000 frames of
//! 16 B, an idle reader (a read left `Pending`) holds 8.4 KiB, as does `FramedRead` with
//! [`FramedCodec`](crate::FramedCodec), and a flushed writer nothing; 300 idle connections that
//! each sent half a frame hold about 8.6 KiB each.
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

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::{pin, Pin};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use ::tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use ::tokio::time::{Instant, Sleep};
use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_sink::Sink;

use crate::engine::pump::{FillRead, PayloadSource, ReadLoop, WriteIo, WriteLoop, WritePart};
use crate::engine::read::{ReadState, DEFAULT_MAX_READ};
use crate::engine::write::WriteState;
use crate::{Codec, Error};

/// Reads frames from an [`AsyncRead`].
///
/// `read_frame` returns each frame as [`Bytes`] that share the reader's buffer (no copy), and the
/// reader is a [`Stream`] of them. The buffer grows only as bytes arrive, at most 256 KiB a read,
/// whatever length a header announces; lengths are checked against the codec's maximum as soon as
/// the header is complete.
///
/// See the [module docs](self) for cancel safety and the frame deadline.
#[derive(Debug)]
pub struct FrameReader<R> {
    core: ReadLoop<TokioRead<R>>,
}

impl<R> FrameReader<R> {
    /// A reader with the default settings (`"<i"` lengths, 8 MiB maximum).
    pub fn new(inner: R) -> Self {
        FrameReader::with_codec(inner, Codec::default())
    }

    /// A reader with these settings.
    pub fn with_codec(inner: R, codec: Codec) -> Self {
        FrameReader::from_state(inner, ReadState::new(codec, DEFAULT_MAX_READ))
    }

    /// A reader that starts with `buffered`, bytes already read from `inner` (by another
    /// reader, a handshake, a tokio-util `Framed`): the other half of
    /// [`into_parts`](Self::into_parts).
    pub fn from_parts(inner: R, codec: Codec, buffered: Bytes) -> Self {
        FrameReader::from_state(
            inner,
            ReadState::from_buffered(codec, DEFAULT_MAX_READ, buffered),
        )
    }

    fn from_state(inner: R, state: ReadState) -> Self {
        let io = TokioRead {
            inner,
            clock: FrameClock::default(),
        };
        FrameReader {
            core: ReadLoop::new(io, state),
        }
    }

    crate::shells::reader_settings!(copy_stops: "cancelled, or an error from the reader or the destination");

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
        self.core.io.clock.deadline = deadline;
    }

    /// The frame deadline, if one is set.
    pub fn frame_deadline(&self) -> Option<Duration> {
        self.core.io.clock.deadline
    }

    /// Whether a call that did not return (cancelled, timed out, or failed) stopped inside a
    /// frame: the frame's header had arrived, its payload had not all arrived. `false` between
    /// frames, even with part of the next header buffered.
    ///
    /// The [frame deadline](self#frame-deadline) runs exactly while this is `true`. Under a
    /// `tokio::time::timeout` of [`read_frame`](Self::read_frame), it tells an idle peer
    /// (between frames) from one that stalled after a header.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use lenframe::tokio::FrameReader;
    /// use tokio::io::AsyncWriteExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut peer, stream) = tokio::io::duplex(64);
    /// let mut reader = FrameReader::new(stream);
    /// let wait = Duration::from_millis(10);
    /// peer.write_all(b"\x05\0").await?; // half a header
    /// assert!(tokio::time::timeout(wait, reader.read_frame()).await.is_err());
    /// assert!(!reader.is_mid_frame(), "idle, between frames");
    /// peer.write_all(b"\0\0he").await?; // the header, and 2 of 5 payload bytes
    /// assert!(tokio::time::timeout(wait, reader.read_frame()).await.is_err());
    /// assert!(reader.is_mid_frame(), "stalled inside a frame");
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_mid_frame(&self) -> bool {
        self.core.state.mid_frame()
    }

    /// How many frames were read (or skipped) so far: the index of the next one. For the typed
    /// readers' errors.
    #[cfg(any(feature = "json", feature = "msgpack"))]
    pub(crate) fn frames_read(&self) -> u64 {
        self.core.state.frame_index()
    }

    crate::shells::reader_inner!(field: inner);

    /// The inner reader and the bytes read from it but not yet returned, for handing the
    /// connection to other code. Call it between frames: a header already parsed is in the
    /// bytes, but the state of a stopped [`copy_frame_to`](Self::copy_frame_to) is lost.
    pub fn into_parts(self) -> (R, Bytes) {
        (self.core.io.inner, self.core.state.into_buffer())
    }
}

crate::shells::async_reader! {
    io: TokioIo;
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
    /// - [`Error::Frame`] for a bad header, with the core's errors ([`FrameError`](crate::FrameError)); the stream is
    ///   out of step and calling again returns the same error (except for an oversized frame with
    ///   [`skip_oversized`](crate::CodecBuilder::skip_oversized), which is skipped and reading
    ///   goes on);
    /// - [`Error::Frame`] with [`FrameError::Truncated`](crate::FrameError::Truncated) if the stream ends inside a frame;
    /// - [`Error::FrameDeadline`] if a frame does not complete within the
    ///   [frame deadline](self#frame-deadline); the partial frame stays buffered and calling
    ///   again fails the same way, unless the deadline was raised or cleared;
    /// - [`Error::Io`] if the inner reader fails;
    /// - [`Error::CopyUnfinished`] if
    ///   [`copy_frame_to`](Self::copy_frame_to) stopped inside a frame and has not finished it.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: if the future is dropped before it completes, no frame was taken, and the
    /// next call continues the same frame with every byte read so far.
    read_frame;
    /// Copies the next frame's payload into `dst` in bounded memory, and returns its length, or
    /// `None` at a clean end of stream.
    ///
    /// The payload moves through the reader's buffer a read at a time (up to 256 KiB), so a 4 GiB
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
    copy_frame_to;
}

/// Writes frames to an [`AsyncWrite`].
///
/// Frames shorter than the buffer (64 KiB by default) are copied into it and go out together,
/// like tokio's `BufWriter`: call [`flush`](Self::flush) when a batch is done, or they wait
/// there. Larger payloads are never copied: [`write_frame`](Self::write_frame) writes what is
/// queued, the header and the payload in vectored writes where the writer supports it
/// ([`AsyncWrite::is_write_vectored`], as TCP streams do), straight from the caller's slice;
/// [`feed_frame`](Self::feed_frame) and the [`Sink`] queue an owned payload as it is, and up to
/// 1 MiB of queued frames go out in one vectored write. See
/// [memory and buffering](self#memory-and-buffering).
///
/// # Dropping
///
/// A destructor cannot await, so dropping the writer with frames still buffered makes one
/// best-effort write of them that does not wait: it writes while the inner writer takes bytes
/// at once, then flushes it the same way. On a connection with room in its send buffer (the
/// usual case for a few small frames), they all go out. Once the inner writer would wait (a
/// full socket buffer: `Pending`) or fails, **the rest is lost**, silently, and the peer sees a
/// stream cut inside or between frames. To be sure every frame goes out, await
/// [`flush`](Self::flush) (or [`shutdown`](Self::shutdown)) before dropping the writer. After
/// [`into_inner`](Self::into_inner) or [`into_parts`](Self::into_parts), dropping writes
/// nothing.
///
/// See the [module docs](self) for cancel safety.
#[derive(Debug)]
pub struct FrameWriter<W> {
    /// The inner writer is `None` once `into_inner` or `into_parts` took it.
    core: WriteLoop<Option<TokioIo<W>>>,
}

crate::shells::async_writer! {
    io: TokioIo, module: "tokio";
    /// A writer with the default settings (`"<i"` lengths, 8 MiB maximum).
    new;
    /// A writer with these settings.
    with_codec;
    /// A writer that starts with `unsent`, bytes accepted by another writer and not yet written
    /// (they go out first): the other half of [`into_parts`](Self::into_parts).
    from_parts;
    /// The inner writer.
    get_ref;
    /// The inner writer. Writing to it directly while frames are buffered puts bytes in the
    /// middle of the framing: [`flush`](Self::flush) first.
    get_mut;
    /// The inner writer. Unlike the blocking writer's, this does not flush (it cannot await):
    /// frames still buffered are dropped, so [`flush`](Self::flush) first, or use
    /// [`into_parts`](Self::into_parts) to keep them.
    into_inner;
    /// The inner writer and the bytes accepted but not written, without writing anything.
    into_parts;
    /// Writes one frame: the header for `payload.len()`, then `payload`.
    ///
    /// A small payload is buffered and goes out with a later write or [`flush`](Self::flush); a
    /// large one is written before this returns (the buffered frames before it too), without
    /// being copied. Except in a run: after a frame written that way, with no flush since,
    /// frames up to a quarter of [`max_write_size`](Self::max_write_size) (256 KiB by default)
    /// are copied too and go out together when about `max_write_size` bytes are buffered, or at
    /// the flush, so that a bulk transfer of, say, 64 KiB frames makes one write a MiB rather
    /// than one a frame. Flush (or use [`send_frame`](Self::send_frame)) when the peer must see
    /// a frame now.
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
    /// - [`Error::Io`] if the inner writer fails before any of the frame went out: the frame is
    ///   not accepted, and the same call can be made again. (A large frame whose write fails
    ///   after part of it went out is accepted: the rest is buffered, the call returns `Ok`, and
    ///   the next write or flush reports the failure if it persists, as the blocking writer
    ///   does. So `Err` always means "not accepted".)
    /// - [`Error::CopyUnfinished`] if [`copy_frame_from`](Self::copy_frame_from) stopped
    ///   inside a frame and has not finished it.
    ///
    /// # Cancel safety
    ///
    /// For a frame shorter than the buffer (64 KiB by default), or one copied in a run,
    /// cancel-safe: if the future is dropped before it completes, the frame was not accepted.
    /// For a larger one, not cancel-safe, but the stream stays framed: as after an
    /// error, if none of the frame had gone out it is withdrawn, and otherwise the rest of the
    /// payload is copied into the buffer and goes out with the next write or flush. See the
    /// [table](self#cancel-safety).
    write_frame;
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
    /// use lenframe::tokio::FrameWriter;
    /// use lenframe::Codec;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // PostgreSQL: a tag byte, then a length that counts itself.
    /// let codec = Codec::builder()
    ///     .length_field_offset(1)
    ///     .struct_format("!I")
    ///     .length_adjustment(-4)
    ///     .build()?;
    /// let mut writer = FrameWriter::with_codec(Vec::new(), codec);
    /// writer.write_frame_with_prefix(b"Q", b"SELECT 1\0").await?;
    /// writer.flush().await?;
    /// assert_eq!(writer.get_ref(), b"Q\0\0\0\x0dSELECT 1\0");
    /// # Ok(())
    /// # }
    /// ```
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
    /// As [`write_frame`](Self::write_frame)'s.
    write_frame_with_prefix;
    /// Writes one frame whose payload `body` writes straight into the writer's buffer: for a
    /// payload whose length is not known before it is written (a serialized message), with no
    /// intermediate buffer. The header is filled in once the body is written
    /// ([`FrameEncoder::encode_with`](crate::FrameEncoder::encode_with)).
    ///
    /// As the blocking
    /// [`FrameWriter::write_frame_with`](crate::blocking::FrameWriter::write_frame_with): `body`
    /// must only append; its error type is the call's, lenframe's errors converted into it; the
    /// frame is buffered like a small one, what was buffered goes out first when a frame as long
    /// as the longest since the last flush would not fit, and a frame that takes the buffer past its size is written
    /// before this returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BufMut;
    /// use lenframe::tokio::FrameWriter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lenframe::Error> {
    /// let mut writer = FrameWriter::new(Vec::new());
    /// writer
    ///     .write_frame_with(|buf| {
    ///         buf.put_slice(b"in place");
    ///         Ok::<_, lenframe::Error>(())
    ///     })
    ///     .await?;
    /// writer.flush().await?;
    /// assert_eq!(writer.get_ref(), b"\x08\0\0\0in place");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As the blocking
    /// [`FrameWriter::write_frame_with`](crate::blocking::FrameWriter::write_frame_with): the
    /// closure's error, [`Error::Encode`] for a body over the maximum, [`Error::Io`] if writing
    /// out what was buffered before fails; the writer is then as it was.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe until the body is written: dropped while what was buffered goes out first,
    /// the frame is not accepted (`body` is not called). Once it is written the frame is
    /// accepted: dropped while it is written out, the rest of it goes out with the next write
    /// or flush, as for a large [`write_frame`](Self::write_frame).
    write_frame_with;
    /// Queues one frame whose payload the writer may keep: the header for `payload.len()`, then
    /// `payload`, which is not copied (unless it is 8 KiB or less: small frames are copied into
    /// the buffer with their neighbours). The same as `SinkExt::feed`.
    ///
    /// Nothing is written until the queue holds [`max_write_size`](Self::max_write_size)
    /// bytes (1 MiB by default) or the buffer is full, or on [`flush`](Self::flush); then the
    /// queued frames, headers and payloads, go out together in one vectored write.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::tokio::FrameWriter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lenframe::Error> {
    /// let mut writer = FrameWriter::new(Vec::new());
    /// for _ in 0..3 {
    ///     writer.feed_frame(vec![7u8; 100_000]).await?; // moved in, not copied
    /// }
    /// assert!(writer.get_ref().is_empty(), "queued until 1 MiB or a flush");
    /// writer.flush().await?;
    /// assert_eq!(writer.get_ref().len(), 3 * (4 + 100_000));
    /// # Ok(())
    /// # }
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
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: if the future is dropped before it completes, the frame was not queued.
    feed_frame;
    /// Writes one frame and flushes: [`write_frame`](Self::write_frame) then
    /// [`flush`](Self::flush), so the frame is on its way when this returns, as Python's
    /// `sock.sendall(header + payload)` is. For many frames in a row, `write_frame` each and
    /// `flush` once.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::tokio::FrameWriter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lenframe::Error> {
    /// let mut writer = FrameWriter::new(Vec::new());
    /// writer.send_frame(b"ping").await?;
    /// assert_eq!(writer.get_ref(), b"\x04\0\0\0ping", "no flush needed");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`write_frame`](Self::write_frame), then as [`flush`](Self::flush).
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe: if the future is dropped during the flush, the frame is accepted and
    /// still buffered.
    send_frame;
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
    /// writer.copy_frame_from(5, &mut file).await?;
    /// writer.flush().await?;
    /// assert_eq!(writer.get_ref(), b"\x05\0\0\0hello");
    /// assert_eq!(file, b", and more");
    /// # Ok(())
    /// # }
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
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe if called again: as after an error, the bytes read from `src` so far are kept,
    /// and calling `copy_frame_from` again with the same `len` and source continues the frame.
    copy_frame_from;
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
    flush;
    /// Writes out every buffered frame, flushes, then shuts the inner writer down (for a TCP
    /// stream, the peer's reader sees a clean end of stream after the last frame). The same as
    /// `SinkExt::close`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if writing, flushing or shutting down fails.
    shutdown;
}

/// A tokio reader as the shared read loop uses it, with the frame deadline's clock.
#[derive(Debug)]
struct TokioRead<R> {
    inner: R,
    clock: FrameClock,
}

/// The frame deadline: when the current frame's header was seen complete, and the timer that
/// wakes a reader waiting past the deadline.
#[derive(Debug, Default)]
struct FrameClock {
    deadline: Option<Duration>,
    /// The index of the frame whose header was seen complete, and when (only tracked with a
    /// deadline). Stale once that frame is done.
    head_at: Option<(u64, Instant)>,
    timer: Option<Pin<Box<Sleep>>>,
}

impl FrameClock {
    /// When the current frame's header was seen complete, if its clock is running.
    fn head_at(&self, state: &ReadState) -> Option<Instant> {
        let (frame, at) = self.head_at?;
        (frame == state.frame_index()).then_some(at)
    }

    /// Starts the current frame's clock once its header is in (only with a deadline).
    fn start(&mut self, state: &ReadState) {
        if self.deadline.is_some() && self.head_at(state).is_none() && state.mid_frame() {
            self.head_at = Some((state.frame_index(), Instant::now()));
        }
    }

    /// When the current frame's deadline passes, if there is one.
    fn deadline_at(&self, state: &ReadState) -> Option<Instant> {
        Some(self.head_at(state)? + self.deadline?)
    }

    fn error(&self, state: &ReadState) -> Error {
        let (got, expected) = state.progress();
        Error::FrameDeadline {
            frame: state.frame_index(),
            got,
            expected,
            waited: self
                .head_at(state)
                .map_or(Duration::ZERO, |at| at.elapsed()),
        }
    }

    /// Once nothing is ready: the deadline error if it has passed, or `Pending` with the timer
    /// set to wake the task when it passes.
    fn poll_expired(&mut self, cx: &mut Context<'_>, state: &ReadState) -> Poll<Error> {
        if let Some(at) = self.deadline_at(state) {
            let timer = self
                .timer
                .get_or_insert_with(|| Box::pin(::tokio::time::sleep_until(at)));
            if timer.deadline() != at {
                timer.as_mut().reset(at);
            }
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(self.error(state));
            }
        }
        Poll::Pending
    }
}

impl<R: AsyncRead + Unpin> FillRead for TokioRead<R> {
    /// Reads into uninitialised memory (`read_buf`): a long frame into a buffer of its own,
    /// anything else into the shared buffer; enforces the frame deadline while it waits.
    fn poll_fill(
        &mut self,
        cx: &mut Context<'_>,
        state: &mut ReadState,
    ) -> Poll<Result<usize, Error>> {
        if let Some(at) = self.clock.deadline_at(state) {
            if Instant::now() >= at {
                return Poll::Ready(Err(self.clock.error(state)));
            }
        }
        loop {
            if let Some(mut room) = state.long_frame_room() {
                match pin!(self.inner.read_buf(&mut room)).poll(cx) {
                    Poll::Ready(Ok(n)) => {
                        state.long_frame_filled();
                        return Poll::Ready(Ok(n));
                    }
                    Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Poll::Ready(Err(err)) => {
                        state.long_frame_filled();
                        state.read_failed(&err);
                        return Poll::Ready(Err(err.into()));
                    }
                    Poll::Pending => {
                        state.idle();
                        break;
                    }
                }
            }
            let mut room = state.read_room();
            match pin!(self.inner.read_buf(&mut room)).poll(cx) {
                Poll::Ready(Ok(n)) => {
                    state.filled_in_place(n);
                    return Poll::Ready(Ok(n));
                }
                Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::Interrupted => continue,
                Poll::Ready(Err(err)) => {
                    state.read_failed(&err);
                    return Poll::Ready(Err(err.into()));
                }
                Poll::Pending => {
                    state.idle();
                    break;
                }
            }
        }
        self.clock.poll_expired(cx, state).map(Err)
    }

    fn stepped(&mut self, state: &ReadState) {
        self.clock.start(state);
    }
}

/// A tokio writer, `copy_frame_to` destination or `copy_frame_from` source, as the shared async
/// loops use it.
#[derive(Debug)]
struct TokioIo<T>(T);

impl<W: AsyncWrite + Unpin> WritePart for TokioIo<W> {
    #[inline]
    fn poll_write_part(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
}

impl<W: AsyncWrite + Unpin> WriteIo for TokioIo<W> {
    fn poll_write_parts(
        &mut self,
        cx: &mut Context<'_>,
        parts: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.0.is_write_vectored() {
            Pin::new(&mut self.0).poll_write_vectored(cx, parts)
        } else {
            Pin::new(&mut self.0).poll_write(cx, &parts[0])
        }
    }

    fn poll_flush_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + Unpin> PayloadSource for TokioIo<S> {
    /// Reads into uninitialised memory (`read_buf`): nothing is zeroed.
    fn poll_read_payload(
        &mut self,
        cx: &mut Context<'_>,
        state: &mut WriteState,
        want: usize,
    ) -> Poll<io::Result<usize>> {
        let mut room = state.stream_room(want);
        let result = ready!(pin!(self.0.read_buf(&mut room)).poll(cx));
        let n = state.streamed(*result.as_ref().unwrap_or(&0));
        Poll::Ready(result.map(|_| n))
    }
}

#[cfg(test)]
#[path = "tokio_tests.rs"]
mod unit_tests;
