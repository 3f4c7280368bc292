//! A reader and writer over [`embedded_io::Read`] and [`embedded_io::Write`], for `no_std`
//! devices with no allocator: [`FrameReader`] and [`FrameWriter`]. The async twins over
//! `embedded-io-async` are in `lenframe::embedded_async` (feature `embedded-io-async`).
//!
//! The caller lends the reader its buffer, a `&mut [u8]` (a static array, a stack array), and
//! the reader lends each frame from it: no allocation, no copy of the payload. The writer sends
//! a small header built on the stack, then the payload straight from the caller's slice.
//!
//! # Getting started
//!
//! A firmware-style loop over a fixed buffer, echoing every frame:
//!
//! ```
//! use lenframe::embedded::{FrameReader, FrameWriter};
//!
//! // Anything embedded-io: a UART, an embassy-net socket. Here, bytes in memory.
//! let rx: &[u8] = b"\x04\0\0\0ping\x05\0\0\0hello";
//! let mut tx_bytes = [0u8; 64];
//!
//! let mut buf = [0u8; 256]; // all the memory the reader uses for bytes
//! let mut reader = FrameReader::new(rx, &mut buf);
//! let mut writer = FrameWriter::new(&mut tx_bytes[..]);
//! while let Some(frame) = reader.read_frame()? {
//!     // `frame` is lent from `buf`, valid until the next `read_frame`.
//!     writer.send_frame(frame)?; // the header, then the payload straight from `buf`
//! }
//! // `None`: the peer closed cleanly, between two frames.
//! drop(writer);
//! assert_eq!(&tx_bytes[..17], b"\x04\0\0\0ping\x05\0\0\0hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Memory
//!
//! The reader holds exactly the buffer it was lent, plus a few words of state: the settings,
//! the decoder's state (a parsed header, a frame being skipped), three indices into the buffer,
//! and the inner reader. On a 32-bit target such as `thumbv7em-none-eabihf` that is 88 bytes
//! besides the inner reader; a writer is 32 bytes besides the inner writer, and builds each
//! header on the stack (at most [`MAX_HEADER_LEN`](crate::MAX_HEADER_LEN) bytes). Nothing
//! depends on what a peer sends: a header announcing 2 GiB costs nothing, since it is refused
//! as soon as it is complete.
//!
//! # The largest frame
//!
//! A frame must fit in the lent buffer, header included, so the reader's maximum payload is the
//! smaller of the codec's maximum ([`max_decode_len`](crate::CodecBuilder::max_decode_len)) and
//! the buffer's length less the codec's longest header: its offset plus its field's width (4 for
//! the default `"<i"`), or plus 10 for a varint, whose header may be that long. With a 256-byte
//! buffer and the default codec, that is 252 bytes. [`FrameReader::max_frame_len`] says what is
//! in force. A longer frame is [`FrameError::TooLarge`](crate::FrameError::TooLarge) against
//! that maximum, as soon as its header is complete: no read is made after the header for it.
//! (The read that completed the header may have brought some of its body with it; those bytes
//! stay in the buffer, unused.)
//!
//! With [`skip_oversized`](crate::CodecBuilder::skip_oversized), an oversized frame is
//! reported once and then discarded as it arrives, a buffer at a time, and reading goes on with
//! the next frame: a small buffer can skip a frame of any length.
//!
//! # Reading
//!
//! Each read asks for all the free room at the end of the buffer, so many small frames cost one
//! read. Bytes are moved only when needed: when a frame cannot end inside the buffer where it
//! starts, its start is moved to the front, once, before the read that needs the room.
//!
//! `Ok(None)` is a clean end of the stream, between two frames (a read returned 0). A stream
//! that ends inside a frame is [`FrameError::Truncated`](crate::FrameError::Truncated), with
//! the bytes the frame needed and the bytes that came. With
//! [`sync_bytes`](crate::CodecBuilder::sync_bytes), as the core's
//! [`decode_eof`](crate::FrameDecoder::decode_eof) does, a partial frame at the end is noise,
//! not an error: it is dropped (counted in the [`decoder`](FrameReader::decoder)'s
//! `dropped_bytes`), and the frames it hid are still returned.
//!
//! After an error, the same rule as the std adapters: the reader fails fast. Nothing of the bad
//! frame is consumed ([`FrameReader::buffer`] starts at its header) and calling again returns
//! the same error: close the connection. The exception is an oversized frame with
//! `skip_oversized`, which the next call skips. After [`Error::Io`], everything read so far is
//! kept and calling again continues the same frame.
//!
//! # Writing
//!
//! [`FrameWriter::write_frame`] checks the payload against the encoder's maximum before writing
//! anything (an [`Error::Encode`] sends nothing), then writes the header and the payload with
//! two `write_all` calls: `embedded-io` has no vectored write, and two writes avoid copying the
//! payload. A codec with a [`checksum`](crate::CodecBuilder::checksum) gets a third, the
//! trailer, computed as the header and payload go (no copy); a caller's own check
//! ([`Checksum::custom`](crate::Checksum::custom)) needs the frame in one piece, which these
//! writers never hold, and is refused with
//! [`EncodeError::ChecksumNeedsWholeFrame`](crate::EncodeError::ChecksumNeedsWholeFrame).
//! Call [`flush`](FrameWriter::flush) after a batch, or use
//! [`send_frame`](FrameWriter::send_frame) (write and flush) for one frame.
//!
//! If the inner writer fails part way through a frame, some of the frame may already be on the
//! wire, and the writer cannot tell how much: the stream is cut inside a frame and the peer
//! would read the next frame's bytes as the rest of this one. Close the connection after an
//! [`Error::Io`] from a write. (An inner writer whose `write` returns `Ok(0)` breaks
//! `embedded-io`'s contract, and its `write_all` panics; report "cannot write" as an error.)
//!
//! # Errors
//!
//! Every method returns [`Error`]: [`Error::Io`] for the I/O object's own errors,
//! [`Error::Frame`] for bytes that are not a valid frame or do not fit the buffer,
//! [`Error::Encode`] for a payload the settings cannot frame, and [`Error::BufferTooSmall`] for
//! a buffer that cannot hold even the codec's longest header.

mod blocking;
mod error;
pub(crate) mod state;

pub use blocking::{FrameReader, FrameWriter};
pub use error::Error;

/// The methods of the blocking and async `FrameReader`s that do no I/O, written once for both.
/// Each reader is `FrameReader<'b, R> { inner: R, state: ReadState<'b> }`.
macro_rules! reader_methods {
    () => {
        /// A reader with the default settings (`"<i"` lengths, 8 MiB maximum) that lends its
        /// frames from `buf`. The largest frame is what `buf` can hold, if that is less than the
        /// codec's maximum: see [`max_frame_len`](Self::max_frame_len).
        pub fn new(inner: R, buf: &'b mut [u8]) -> Self {
            Self::with_codec(inner, $crate::Codec::default(), buf)
        }

        /// A reader with these settings that lends its frames from `buf`.
        pub fn with_codec(inner: R, codec: $crate::Codec, buf: &'b mut [u8]) -> Self {
            Self::from_parts(inner, codec, buf, 0)
        }

        /// A reader whose buffer starts with `buffered` bytes already read from `inner` (by a
        /// handshake, or by another reader): the other half of
        /// [`into_parts`](Self::into_parts). `buffered` is at most `buf.len()`.
        pub fn from_parts(
            inner: R,
            codec: $crate::Codec,
            buf: &'b mut [u8],
            buffered: usize,
        ) -> Self {
            FrameReader {
                inner,
                state: $crate::embedded::state::ReadState::new(codec, buf, buffered),
            }
        }

        /// The settings, with the maximum in force (see [`max_frame_len`](Self::max_frame_len)).
        pub fn codec(&self) -> &$crate::Codec {
            self.state.codec()
        }

        /// The longest payload the reader accepts: the codec's maximum, or less if the lent
        /// buffer cannot hold such a frame (its length less the codec's longest header).
        pub fn max_frame_len(&self) -> usize {
            self.state.codec().max_decode_len()
        }

        /// The core decoder this reader drives: its settings, the maximum in force and what it
        /// counts, the same through every adapter.
        pub fn decoder(&self) -> &$crate::FrameDecoder {
            self.state.decoder()
        }

        /// Changes the longest payload the reader accepts, from the next frame's header on
        /// (for a limit agreed in a handshake): `max`, or less if the lent buffer cannot hold
        /// such a frame.
        pub fn set_max_frame_len(&mut self, max: usize) {
            self.state.set_max_frame_len(max);
        }

        /// The bytes read from the inner reader and not yet returned: the start of the next
        /// frame, perhaps several frames. After an error, they start at the bad frame's header.
        pub fn buffer(&self) -> &[u8] {
            self.state.buffer()
        }

        /// The inner reader.
        pub fn get_ref(&self) -> &R {
            &self.inner
        }

        /// The inner reader. Reading from it directly takes bytes out from under the framing.
        pub fn get_mut(&mut self) -> &mut R {
            &mut self.inner
        }

        /// The inner reader. Bytes already buffered (see [`buffer`](Self::buffer)) are lost;
        /// use [`into_parts`](Self::into_parts) to keep them.
        pub fn into_inner(self) -> R {
            self.inner
        }

        /// The inner reader, and how many bytes read from it but not yet returned are now at
        /// the front of the lent buffer (moved there if they were not), for handing the
        /// connection to other code. Call it between frames: a header already parsed is in
        /// those bytes, but the state of a frame being skipped is lost.
        pub fn into_parts(self) -> (R, usize) {
            (self.inner, self.state.into_buffered())
        }
    };
}
pub(crate) use reader_methods;

/// The methods of the blocking and async `FrameWriter`s that do no I/O, written once for both.
/// Each writer is `FrameWriter<W> { inner: W, encoder: FrameEncoder }`.
macro_rules! writer_methods {
    () => {
        /// A writer with the default settings (`"<i"` lengths, 8 MiB maximum).
        pub fn new(inner: W) -> Self {
            Self::with_codec(inner, $crate::Codec::default())
        }

        /// A writer with these settings.
        pub fn with_codec(inner: W, codec: $crate::Codec) -> Self {
            FrameWriter {
                inner,
                encoder: codec.encoder(),
            }
        }

        /// The settings.
        pub fn codec(&self) -> &$crate::Codec {
            self.encoder.codec()
        }

        /// The longest payload the writer accepts.
        pub fn max_frame_len(&self) -> usize {
            self.encoder.max_frame_len()
        }

        /// Changes the longest payload the writer accepts. A value over
        /// [`MAX_FRAME_LEN_LIMIT`](crate::MAX_FRAME_LEN_LIMIT) is treated as that limit.
        pub fn set_max_frame_len(&mut self, max: usize) {
            self.encoder.set_max_frame_len(max);
        }

        /// The inner writer.
        pub fn get_ref(&self) -> &W {
            &self.inner
        }

        /// The inner writer. Writing to it directly between frames is fine; inside a frame it
        /// corrupts the stream.
        pub fn get_mut(&mut self) -> &mut W {
            &mut self.inner
        }

        /// The inner writer. The writer buffers nothing, so nothing is lost; it is not flushed.
        pub fn into_inner(self) -> W {
            self.inner
        }
    };
}
pub(crate) use writer_methods;

/// The `Debug` of both readers: the inner reader, the settings and how much is buffered.
macro_rules! reader_debug {
    () => {
        impl<R: core::fmt::Debug> core::fmt::Debug for FrameReader<'_, R> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct("FrameReader")
                    .field("inner", &self.inner)
                    .field("codec", self.codec())
                    .field("buffered", &self.buffer().len())
                    .finish()
            }
        }
    };
}
pub(crate) use reader_debug;

#[cfg(test)]
pub(crate) mod unit_tests;
