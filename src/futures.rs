//! Async adapters over futures-io's [`AsyncRead`] and [`AsyncWrite`]: [`FrameReader`] and
//! [`FrameWriter`], for smol (and its `async-net`), async-std, libp2p, and any code written
//! against `futures::io`.
//!
//! They are the tokio adapters' twins: the same methods, the same buffer policy, the same
//! cancel safety and the same errors (the two share their poll loops and their read and write
//! state), over the other family of async I/O traits. [`FrameReader`] is a [`Stream`] of frames
//! and [`FrameWriter`] a [`Sink`] of [`Bytes`], so `futures_util::StreamExt`/`SinkExt` (or
//! `futures_lite::StreamExt`) work on them. The library depends on no runtime: only
//! `futures-io`, `futures-core` and `futures-sink`.
//!
//! # Getting started
//!
//! Wrap a TCP connection. smol's `TcpStream` is cheap to clone (both clones are the same
//! socket), so a reader and a writer can each own one, in one task or two:
//!
//! ```no_run
//! use lenframe::futures::{FrameReader, FrameWriter};
//! use smol::net::TcpStream;
//!
//! # fn main() -> Result<(), lenframe::Error> {
//! smol::block_on(async {
//!     let stream = TcpStream::connect("127.0.0.1:8989").await?;
//!     let mut reader = FrameReader::new(stream.clone());
//!     let mut writer = FrameWriter::new(stream);
//!
//!     // Small frames wait in the writer's buffer: write them, then flush once.
//!     // (`send_frame` writes and flushes one frame, for request/response traffic.)
//!     for msg in [&b"aaa"[..], b"bbb", b"ccc"] {
//!         writer.write_frame(msg).await?;
//!     }
//!     // Done sending: `shutdown` flushes, then closes our half; the peer sees a clean end.
//!     writer.shutdown().await?;
//!
//!     while let Some(frame) = reader.read_frame().await? {
//!         println!("got {} bytes", frame.len());
//!     }
//!     Ok(()) // `None`: the peer closed, between two frames
//! })
//! # }
//! ```
//!
//! The same over in-memory I/O (`&[u8]` reads, `Vec<u8>` writes), to check what arrives:
//!
//! ```
//! use lenframe::futures::{FrameReader, FrameWriter};
//!
//! # fn main() -> Result<(), lenframe::Error> {
//! smol::block_on(async {
//!     let mut writer = FrameWriter::new(Vec::new());
//!     for msg in [&b"aaa"[..], b"aaa", b"aaa"] {
//!         writer.write_frame(msg).await?;
//!     }
//!     writer.flush().await?; // small frames wait in a buffer until a flush
//!     let wire = writer.into_inner();
//!     assert_eq!(wire, b"\x03\0\0\0aaa\x03\0\0\0aaa\x03\0\0\0aaa");
//!
//!     let mut reader = FrameReader::new(&wire[..]);
//!     let mut frames = Vec::new();
//!     while let Some(frame) = reader.read_frame().await? {
//!         frames.push(frame);
//!     }
//!     assert_eq!(frames, [&b"aaa"[..], b"aaa", b"aaa"]);
//!     Ok(())
//! })
//! # }
//! ```
//!
//! # Cancel safety
//!
//! A future can be dropped at any `.await`: in a `select`, under a timeout (`future::or` with a
//! timer), or when its task is cancelled. What that means for each method:
//!
//! | method | cancel-safe | if the future is dropped before it completes |
//! |--------|-------------|-----------------------------------------------|
//! | [`FrameReader::read_frame`], [`StreamExt::next`] | **yes** | No frame was returned and no byte is lost: the bytes read so far, and the parsed header, stay in the reader, and the next call continues the same frame. |
//! | [`FrameReader::copy_frame_to`] | **yes**, if called again | The bytes already written to the destination stay written; the reader remembers how many are left ([`copy_remaining`](FrameReader::copy_remaining)), and the next `copy_frame_to` continues the same frame where it stopped. Until then `read_frame` refuses with an error. |
//! | [`FrameWriter::write_frame`], frame shorter than the [buffer](FrameWriter::buffer_size) (64 KiB), or one copied in a run of large frames (see [`write_frame`](FrameWriter::write_frame)) | **yes** | The frame was not queued. (Earlier buffered frames may have gone out to make room.) |
//! | [`FrameWriter::feed_frame`] | **yes** | The frame was not queued. (Earlier queued frames may have gone out to make room.) |
//! | [`FrameWriter::write_frame`], larger payload | **no**, but the stream stays framed | If no byte of the frame had gone out, the frame is withdrawn, as if never called. Otherwise the rest of the payload is copied into the writer's buffer and goes out with the next write or flush: the peer still sees a whole frame, but the caller cannot tell which case happened. |
//! | [`FrameWriter::copy_frame_from`] | **yes**, if called again | The frame's header and the payload bytes read so far are kept; the writer remembers how many are left ([`copy_remaining`](FrameWriter::copy_remaining)). Calling `copy_frame_from` again with the same length and source continues the frame; other writes are refused until then. |
//! | [`SinkExt::send`] | **no**, but the stream stays framed | The frame is either queued whole (its `Bytes` kept, not copied) and goes out with the next flush, or not queued at all. |
//! | [`FrameWriter::flush`], [`SinkExt::flush`] | **yes** | What was not written stays buffered; calling again continues. |
//!
//! # Timeouts and deadlines
//!
//! The adapters start no timer and no thread: a deadline is the runtime's timer raced against
//! the read. [`read_frame`](FrameReader::read_frame) is cancel-safe, so dropping it when the
//! timer wins loses nothing, and the next call continues the same frame. With smol,
//! `future::or` and `Timer` (with other runtimes, their timer and
//! `futures_util::future::select`):
//!
//! ```
//! use std::time::Duration;
//!
//! use lenframe::futures::FrameReader;
//! use smol::{future, Timer};
//!
//! # fn main() -> Result<(), lenframe::Error> {
//! smol::block_on(async {
//! #   let listener = smol::net::TcpListener::bind("127.0.0.1:0").await?;
//! #   let mut peer = smol::net::TcpStream::connect(listener.local_addr()?).await?;
//! #   let (stream, _) = listener.accept().await?;
//!     // The peer sent a header announcing 5 bytes, and 2 of them.
//! #   smol::io::AsyncWriteExt::write_all(&mut peer, b"\x05\0\0\0he").await?;
//!     let mut reader = FrameReader::new(stream);
//!     let read = async { Some(reader.read_frame().await) };
//!     let timeout = async {
//!         Timer::after(Duration::from_millis(20)).await;
//!         None
//!     };
//!     let outcome = future::or(read, timeout).await;
//!     assert!(outcome.is_none(), "timed out: nothing is lost");
//!     assert_eq!(reader.buffer(), b"\x05\0\0\0he", "the frame so far is kept");
//!     assert!(reader.is_mid_frame());
//!     drop(peer);
//!     Ok(())
//! })
//! # }
//! ```
//!
//! That bounds the time to the next whole frame, idle time between frames included. tokio's
//! reader has a frame deadline of its own, which starts once a frame's header is in (an idle
//! connection is not a slow frame); here [`FrameReader::is_mid_frame`] tells the two apart when
//! the timer fires, which gives the same rule with any timer:
//!
//! ```
//! use std::io;
//! use std::time::Duration;
//!
//! use bytes::Bytes;
//! use futures_io::AsyncRead;
//! use lenframe::{futures::FrameReader, Error};
//! use smol::{future, Timer};
//!
//! /// The next frame: as long as it takes for its header to come, then at most `limit` for the
//! /// rest (between `limit` and twice `limit`: the clock is checked every `limit`).
//! async fn read_frame_within<R: AsyncRead + Unpin>(
//!     reader: &mut FrameReader<R>,
//!     limit: Duration,
//! ) -> Result<Option<Bytes>, Error> {
//!     let mut stalled = false;
//!     loop {
//!         let read = async { Some(reader.read_frame().await) };
//!         let tick = async {
//!             Timer::after(limit).await;
//!             None
//!         };
//!         let outcome = future::or(read, tick).await;
//!         match outcome {
//!             Some(frame) => return frame,
//!             // Inside a frame at two ticks in a row: the peer stalled after a header.
//!             None if stalled && reader.is_mid_frame() => {
//!                 return Err(io::Error::new(io::ErrorKind::TimedOut, "frame too slow").into());
//!             }
//!             None => stalled = reader.is_mid_frame(),
//!         }
//!     }
//! }
//! # fn main() -> Result<(), lenframe::Error> {
//! #     smol::block_on(async {
//! #         let listener = smol::net::TcpListener::bind("127.0.0.1:0").await?;
//! #         let mut peer = smol::net::TcpStream::connect(listener.local_addr()?).await?;
//! #         let (stream, _) = listener.accept().await?;
//! #         smol::io::AsyncWriteExt::write_all(&mut peer, b"\x05\0\0\0he").await?;
//! #         let mut reader = FrameReader::new(stream);
//! #         let err = read_frame_within(&mut reader, Duration::from_millis(10)).await.unwrap_err();
//! #         assert_eq!(err.kind(), io::ErrorKind::TimedOut);
//! #         drop(peer);
//! #         Ok(())
//! #     })
//! # }
//! ```
//!
//! # Memory and buffering
//!
//! The tokio adapters' policy, in the same numbers (see the [`tokio`](crate::tokio) module docs
//! for the table), with one difference on the read side: futures-io's `poll_read` fills an
//! initialised `&mut [u8]`, as `std::io::Read` does, so the reader's room is zeroed once when
//! it is allocated and stays initialised until bytes fill it: a read that brings 20 bytes into
//! 64 KiB of room zeroes nothing. Reads start at 8 KiB, double while they come back full up to
//! [`max_read_size`](FrameReader::max_read_size) (256 KiB), and go back to 8 KiB when the peer
//! runs dry between frames; a buffer grown for a large frame is given back at the next frame
//! boundary, so an idle reader holds at most 16 KiB whatever it received. A header announcing
//! 1 GiB followed by 10 bytes costs 8 KiB.
//!
//! The writer copies frames shorter than its [buffer](FrameWriter::buffer_size) (64 KiB) and
//! writes them together; larger borrowed payloads are written from the caller's memory (in a
//! run of them with no flush between, those after the first, up to a quarter of
//! [`max_write_size`](FrameWriter::max_write_size), are copied and go out together), and
//! owned ones ([`feed_frame`](FrameWriter::feed_frame), the [`Sink`]) are queued without a
//! copy. Queued frames go out in gathered writes of up to
//! [`max_write_size`](FrameWriter::max_write_size) (1 MiB) and 64 slices through
//! `poll_write_vectored`, which smol's and async-std's sockets implement (futures-io's default
//! writes the first slice alone: correct, one slice a call). A flush gives back a buffer that
//! grew past 8 KiB.
//!
//! [`StreamExt::next`]: https://docs.rs/futures-util/0.3/futures_util/stream/trait.StreamExt.html#method.next
//! [`SinkExt::send`]: https://docs.rs/futures-util/0.3/futures_util/sink/trait.SinkExt.html#method.send
//! [`SinkExt::flush`]: https://docs.rs/futures-util/0.3/futures_util/sink/trait.SinkExt.html#method.flush

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_io::{AsyncRead, AsyncWrite};
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
/// See the [module docs](self) for cancel safety and deadlines.
#[derive(Debug)]
pub struct FrameReader<R> {
    core: ReadLoop<FuturesIo<R>>,
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
    /// reader, a handshake, an `asynchronous-codec` `Framed`): the other half of
    /// [`into_parts`](Self::into_parts).
    pub fn from_parts(inner: R, codec: Codec, buffered: Bytes) -> Self {
        FrameReader::from_state(
            inner,
            ReadState::from_buffered(codec, DEFAULT_MAX_READ, buffered),
        )
    }

    fn from_state(inner: R, state: ReadState) -> Self {
        FrameReader {
            core: ReadLoop::new(FuturesIo(inner), state),
        }
    }

    crate::shells::reader_settings!(copy_stops: "cancelled, or an error from the reader or the destination");

    /// Whether a call that did not return (cancelled, timed out, or failed) stopped inside a
    /// frame: the frame's header had arrived, its payload had not all arrived. `false` between
    /// frames, even with part of the next header buffered.
    ///
    /// When a timer cancels [`read_frame`](Self::read_frame), this tells an idle peer (between
    /// frames) from one that stalled after a header: see
    /// [timeouts and deadlines](self#timeouts-and-deadlines).
    pub fn is_mid_frame(&self) -> bool {
        self.core.state.mid_frame()
    }

    /// How many frames were read (or skipped) so far: the index of the next one. For the typed
    /// reads' errors.
    #[cfg(any(feature = "json", feature = "msgpack"))]
    pub(crate) fn frames_read(&self) -> u64 {
        self.core.state.frame_index()
    }

    crate::shells::reader_inner!(field: 0);

    /// The inner reader and the bytes read from it but not yet returned, for handing the
    /// connection to other code. Call it between frames: a header already parsed is in the
    /// bytes, but the state of a stopped [`copy_frame_to`](Self::copy_frame_to) is lost.
    pub fn into_parts(self) -> (R, Bytes) {
        (self.core.io.0, self.core.state.into_buffer())
    }
}

crate::shells::async_reader! {
    io: FuturesIo;
    /// Reads the next frame: `Ok(None)` when the stream ends cleanly between two frames.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::futures::FrameReader;
    ///
    /// # fn main() -> Result<(), lenframe::Error> {
    /// smol::block_on(async {
    ///     let wire: &[u8] = b"\x03\0\0\0abc\x00\0\0\0";
    ///     let mut reader = FrameReader::new(wire);
    ///     assert_eq!(reader.read_frame().await?.unwrap(), &b"abc"[..]);
    ///     assert_eq!(reader.read_frame().await?.unwrap(), &b""[..]);
    ///     assert_eq!(reader.read_frame().await?, None, "clean end between frames");
    ///     Ok(())
    /// })
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
    /// use lenframe::futures::FrameReader;
    ///
    /// # fn main() -> Result<(), lenframe::Error> {
    /// smol::block_on(async {
    ///     let wire: &[u8] = b"\x05\0\0\0hello";
    ///     let mut reader = FrameReader::new(wire);
    ///     let mut file = Vec::new(); // or a smol::fs::File
    ///     assert_eq!(reader.copy_frame_to(&mut file).await?, Some(5));
    ///     assert_eq!(file, b"hello");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`read_frame`](Self::read_frame), and [`Error::Io`] if `dst` fails (a write that
    /// returns 0 is [`io::ErrorKind::WriteZero`]). After an error inside the payload, the bytes
    /// written to `dst` stay written and the reader remembers how many are left
    /// ([`copy_remaining`](Self::copy_remaining)): calling `copy_frame_to` again, with the same
    /// destination, writes the rest and returns the frame's whole length.
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
/// like a `BufWriter`: call [`flush`](Self::flush) when a batch is done, or they wait there.
/// Larger payloads are never copied: [`write_frame`](Self::write_frame) writes what is queued,
/// the header and the payload in vectored writes, straight from the caller's slice;
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
    core: WriteLoop<Option<FuturesIo<W>>>,
}

crate::shells::async_writer! {
    io: FuturesIo, module: "futures";
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
    /// The inner writer. This does not flush (it cannot await): frames still buffered are
    /// dropped, so [`flush`](Self::flush) first, or use [`into_parts`](Self::into_parts) to keep
    /// them.
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
    /// use lenframe::futures::FrameWriter;
    ///
    /// # fn main() -> Result<(), lenframe::Error> {
    /// smol::block_on(async {
    ///     let mut writer = FrameWriter::new(Vec::new());
    ///     writer.write_frame(b"aaa").await?;
    ///     assert!(writer.get_ref().is_empty(), "small frames wait in the buffer");
    ///     writer.flush().await?;
    ///     assert_eq!(writer.get_ref(), b"\x03\0\0\0aaa");
    ///     Ok(())
    /// })
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
    /// For a larger one, not cancel-safe, but the stream stays framed: as after an error, if
    /// none of the frame had gone out it is withdrawn, and otherwise the rest of the payload is
    /// copied into the buffer and goes out with the next write or flush. See the
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
    /// use lenframe::futures::FrameWriter;
    /// use lenframe::Codec;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # smol::block_on(async {
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
    /// # })
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`write_frame`](Self::write_frame), and
    /// [`EncodeError::WrongPrefixLen`](crate::EncodeError::WrongPrefixLen) (in
    /// [`Error::Encode`]) for a prefix that is not `length_field_offset` bytes long: nothing is
    /// written.
    write_frame_with_prefix;
    /// Writes one frame whose payload `body` writes straight into the writer's buffer: for a
    /// payload whose length is not known before it is written (a serialized message), with no
    /// intermediate buffer. The header is filled in once the body is written
    /// ([`FrameEncoder::encode_with`](crate::FrameEncoder::encode_with)).
    ///
    /// The same as tokio's
    /// [`FrameWriter::write_frame_with`](crate::tokio::FrameWriter::write_frame_with) (one
    /// shared implementation): `body` must only append, and its error type is the call's.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BufMut;
    /// use lenframe::futures::FrameWriter;
    ///
    /// # fn main() -> Result<(), lenframe::Error> {
    /// smol::block_on(async {
    ///     let mut writer = FrameWriter::new(Vec::new());
    ///     writer
    ///         .write_frame_with(|buf| {
    ///             buf.put_slice(b"in place");
    ///             Ok::<_, lenframe::Error>(())
    ///         })
    ///         .await?;
    ///     writer.flush().await?;
    ///     assert_eq!(writer.get_ref(), b"\x08\0\0\0in place");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The closure's error, [`Error::Encode`] for a body over the maximum, [`Error::Io`] if
    /// writing out what was buffered before fails; the writer is then as it was.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe until the body is written (`body` is not called); once it is written the
    /// frame is accepted and goes out with the next write or flush.
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
    /// use lenframe::futures::FrameWriter;
    ///
    /// # fn main() -> Result<(), lenframe::Error> {
    /// smol::block_on(async {
    ///     let mut writer = FrameWriter::new(Vec::new());
    ///     for _ in 0..3 {
    ///         writer.feed_frame(vec![7u8; 100_000]).await?; // moved in, not copied
    ///     }
    ///     assert!(writer.get_ref().is_empty(), "queued until 1 MiB or a flush");
    ///     writer.flush().await?;
    ///     assert_eq!(writer.get_ref().len(), 3 * (4 + 100_000));
    ///     Ok(())
    /// })
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
    /// use lenframe::futures::FrameWriter;
    ///
    /// # fn main() -> Result<(), lenframe::Error> {
    /// smol::block_on(async {
    ///     let mut writer = FrameWriter::new(Vec::new());
    ///     writer.send_frame(b"ping").await?;
    ///     assert_eq!(writer.get_ref(), b"\x04\0\0\0ping", "no flush needed");
    ///     Ok(())
    /// })
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
    /// use lenframe::futures::FrameWriter;
    ///
    /// # fn main() -> Result<(), lenframe::Error> {
    /// smol::block_on(async {
    ///     let mut file: &[u8] = b"hello, and more"; // or a smol::fs::File
    ///     let mut writer = FrameWriter::new(Vec::new());
    ///     writer.copy_frame_from(5, &mut file).await?;
    ///     writer.flush().await?;
    ///     assert_eq!(writer.get_ref(), b"\x05\0\0\0hello");
    ///     assert_eq!(file, b", and more");
    ///     Ok(())
    /// })
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
    /// Writes out every buffered frame, flushes, then closes the inner writer
    /// ([`AsyncWrite::poll_close`]: for a TCP stream, the peer's reader sees a clean end of
    /// stream after the last frame). The same as `SinkExt::close`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if writing, flushing or closing fails.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe, as [`flush`](Self::flush): calling again continues.
    shutdown;
}

/// A futures-io reader, writer, `copy_frame_to` destination or `copy_frame_from` source, as the
/// shared async loops use it.
#[derive(Debug)]
struct FuturesIo<T>(T);

impl<R: AsyncRead + Unpin> FillRead for FuturesIo<R> {
    /// Reads into initialised room (`ReadState::read_slice`), which stays initialised between
    /// reads: nothing is zeroed per read. A long frame is read into a buffer of its own
    /// (`ReadState::long_frame_reserve`), as the other readers do; futures-io needs initialised
    /// memory, so that read's room is zeroed first, at most one read's worth.
    fn poll_fill(
        &mut self,
        cx: &mut Context<'_>,
        state: &mut ReadState,
    ) -> Poll<Result<usize, Error>> {
        loop {
            let polled = if let Some(room) = state.long_frame_reserve() {
                let room = room.min(state.read_size());
                let vec = state.long_frame_buf();
                let before = vec.len();
                vec.resize(before + room, 0);
                let polled = Pin::new(&mut self.0).poll_read(cx, &mut vec[before..]);
                let n = match &polled {
                    Poll::Ready(Ok(n)) => (*n).min(room),
                    _ => 0,
                };
                vec.truncate(before + n);
                state.long_frame_filled();
                polled.map(|result| result.map(|_| n))
            } else {
                let room = state.read_slice();
                let polled = Pin::new(&mut self.0).poll_read(cx, room);
                polled.map(|result| result.map(|n| state.filled(n)))
            };
            return match polled {
                Poll::Ready(Ok(n)) => Poll::Ready(Ok(n)),
                Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::Interrupted => continue,
                Poll::Ready(Err(err)) => {
                    state.read_failed(&err);
                    Poll::Ready(Err(err.into()))
                }
                Poll::Pending => {
                    state.idle();
                    Poll::Pending
                }
            };
        }
    }
}

impl<W: AsyncWrite + Unpin> WritePart for FuturesIo<W> {
    #[inline]
    fn poll_write_part(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
}

impl<W: AsyncWrite + Unpin> WriteIo for FuturesIo<W> {
    /// futures-io has no `is_write_vectored`: a writer that does not gather writes the first
    /// slice (the trait's default), which the loops handle as a short write.
    fn poll_write_parts(
        &mut self,
        cx: &mut Context<'_>,
        parts: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, parts)
    }

    fn poll_flush_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

impl<S: AsyncRead + Unpin> PayloadSource for FuturesIo<S> {
    /// Reads into room zeroed for the read (`WriteState::stream_slice`), as `std::io::Read`
    /// does.
    fn poll_read_payload(
        &mut self,
        cx: &mut Context<'_>,
        state: &mut WriteState,
        want: usize,
    ) -> Poll<io::Result<usize>> {
        let room = state.stream_slice(want);
        let polled = Pin::new(&mut self.0).poll_read(cx, room);
        let n = match &polled {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        // The room is given back whatever came, `Pending` included.
        let n = state.streamed(n);
        polled.map(|result| result.map(|_| n))
    }
}

#[cfg(test)]
#[path = "futures_tests.rs"]
mod unit_tests;
