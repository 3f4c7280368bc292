//! The settings and accessors that the stream adapters' readers and writers (blocking, tokio,
//! futures-io) share, written once. Each adapter keeps only what differs: its I/O, how its
//! inner reader or writer is held, and its per-runtime methods and docs.
//!
//! They are macros rather than a trait or a generic type so that each adapter's types keep
//! their own inherent methods, found without an import and documented on the type's own page,
//! and so that the public types stay what they were in 0.2. Each macro expands inside an
//! `impl` block of a type whose `core` field is an `engine::pump::ReadLoop` (readers) or
//! `WriteLoop` (writers).

/// A reader's settings and what it holds: `with_max_read_size`, `max_read_size`, `codec`,
/// `max_frame_len`, `decoder`, `set_max_frame_len`, `buffer`, `copy_remaining`.
///
/// `$copy_stops` says what can stop `copy_frame_to` part way on this runtime.
macro_rules! reader_settings {
    (copy_stops: $copy_stops:literal) => {
        /// Asks for at most `max_read_size` bytes per read (at least 1) instead of 256 KiB.
        ///
        /// Reads start at 8 KiB (or this size, if smaller), double while they come back full,
        /// up to this size, and go back to 8 KiB once the peer runs dry between frames: a busy
        /// bulk connection holds about twice this size, an idle one 8 KiB. A smaller size caps
        /// the memory of busy connections; a frame longer than it still comes in whole, over
        /// several reads.
        pub fn with_max_read_size(mut self, max_read_size: usize) -> Self {
            self.core.state.set_read_size(max_read_size);
            self
        }

        /// The most one read asks for.
        pub fn max_read_size(&self) -> usize {
            self.core.state.read_size()
        }

        /// The settings.
        pub fn codec(&self) -> &$crate::Codec {
            self.core.state.codec()
        }

        /// The longest payload the reader accepts.
        pub fn max_frame_len(&self) -> usize {
            self.core.state.codec().max_decode_len()
        }

        /// The core decoder this reader drives: its settings, the maximum in force and what it
        /// counts, the same through every adapter.
        pub fn decoder(&self) -> &$crate::FrameDecoder {
            self.core.state.decoder()
        }

        /// Changes the longest payload the reader accepts, from the next frame's header on: for
        /// a limit agreed in a handshake. See
        /// [`FrameDecoder::set_max_frame_len`](crate::FrameDecoder::set_max_frame_len).
        pub fn set_max_frame_len(&mut self, max: usize) {
            self.core.state.decoder_mut().set_max_frame_len(max);
        }

        /// The bytes read from the inner reader but not yet returned: the start of the next
        /// frame, perhaps several frames. After [`copy_frame_to`](Self::copy_frame_to) stopped
        /// inside a frame, they begin with the rest of its payload that has arrived.
        pub fn buffer(&self) -> &[u8] {
            self.core.state.buffer()
        }

        #[doc = concat!(
            "How many payload bytes [`copy_frame_to`](Self::copy_frame_to) still has to write, ",
            "if it stopped inside a frame (", $copy_stops, "); `None` otherwise."
        )]
        pub fn copy_remaining(&self) -> Option<u64> {
            self.core.state.copy_remaining()
        }
    };
}

/// A reader's inner reader: `get_ref`, `get_mut`, `into_inner`; `$field` is where the
/// reader's I/O wrapper keeps it (`0` or a name).
macro_rules! reader_inner {
    (field: $field:tt) => {
        /// The inner reader.
        pub fn get_ref(&self) -> &R {
            &self.core.io.$field
        }

        /// The inner reader. Reading from it directly takes bytes out from under the framing.
        pub fn get_mut(&mut self) -> &mut R {
            &mut self.core.io.$field
        }

        /// The inner reader. Bytes already buffered (see [`buffer`](Self::buffer)) are
        /// dropped; use [`into_parts`](Self::into_parts) to keep them.
        pub fn into_inner(self) -> R {
            self.core.io.$field
        }
    };
}

/// A writer's settings and what it holds: `with_buffer_size`, `buffer_size`,
/// `with_max_write_size`, `max_write_size`, `codec`, `max_frame_len`, `set_max_frame_len`,
/// `buffered_len`, `copy_remaining`.
///
/// `$module` is the adapter's module, for the examples; `$queuers` names what queues owned
/// payloads on this runtime.
macro_rules! writer_settings {
    (module: $module:literal, queuers: $queuers:literal) => {
        /// Buffers up to `buffer_size` bytes before writing, instead of 64 KiB.
        ///
        /// Frames shorter than the buffer are copied into it; longer ones are written at once
        /// from the caller's memory (but in a run of them with no flush between, see
        /// [`write_frame`](Self::write_frame)). A size of 0 writes every frame at once, header
        /// and payload in one vectored write.
        pub fn with_buffer_size(mut self, buffer_size: usize) -> Self {
            self.core.state.set_capacity(buffer_size);
            self
        }

        /// How many bytes the writer buffers before writing.
        pub fn buffer_size(&self) -> usize {
            self.core.state.capacity()
        }

        /// Gathers queued frames into one write call until it holds `max_write_size` bytes,
        /// instead of 1 MiB: headers, small frames and owned payloads alike, as one vectored
        /// write (a payload is never cut for it).
        #[doc = concat!($queuers, " owned payloads until this much is queued.")]
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("use lenframe::", $module, "::FrameWriter;")]
        ///
        /// let writer = FrameWriter::new(Vec::<u8>::new()).with_max_write_size(256 * 1024);
        /// assert_eq!(writer.max_write_size(), 256 * 1024);
        /// ```
        pub fn with_max_write_size(mut self, max_write_size: usize) -> Self {
            self.core.state.set_max_write(max_write_size);
            self
        }

        /// The most bytes one write call takes.
        pub fn max_write_size(&self) -> usize {
            self.core.state.max_write()
        }

        /// The settings.
        pub fn codec(&self) -> &$crate::Codec {
            self.core.state.codec()
        }

        /// The longest payload the writer accepts.
        pub fn max_frame_len(&self) -> usize {
            self.core.state.codec().max_encode_len()
        }

        /// Changes the longest payload the writer accepts, from the next frame on.
        pub fn set_max_frame_len(&mut self, max: usize) {
            self.core.state.set_max_frame_len(max);
        }

        /// How many bytes are accepted but not yet written: whole frames, and perhaps the
        /// start or the rest of one.
        pub fn buffered_len(&self) -> usize {
            self.core.state.buffered_len()
        }

        /// How many payload bytes [`copy_frame_from`](Self::copy_frame_from) still has to read
        /// from its source, if it stopped inside a frame; `None` otherwise.
        pub fn copy_remaining(&self) -> Option<u64> {
            self.core.state.copy_remaining()
        }
    };
}

pub(crate) use {reader_inner, reader_settings, writer_settings};

/// An async reader's frame methods, `read_frame` and `copy_frame_to`, and its `Stream`, for a
/// runtime (tokio, futures-io) whose `AsyncRead`/`AsyncWrite` are in scope where it expands.
/// `$io` is the runtime's I/O wrapper (a tuple struct implementing the engine's I/O traits);
/// each method's docs, with its runtime's examples, come from the caller, in this order.
#[cfg(any(feature = "tokio", feature = "futures-io"))]
macro_rules! async_reader {
    (
        io: $io:ident;
        $(#[$read_frame:meta])* read_frame;
        $(#[$copy_frame_to:meta])* copy_frame_to;
    ) => {
        impl<R: AsyncRead + Unpin> FrameReader<R> {
            $(#[$read_frame])*
            pub async fn read_frame(&mut self) -> Result<Option<Bytes>, Error> {
                self.core.read_frame().await
            }

            $(#[$copy_frame_to])*
            pub async fn copy_frame_to<W>(&mut self, dst: &mut W) -> Result<Option<u64>, Error>
            where
                W: AsyncWrite + Unpin + ?Sized,
            {
                self.core.copy_frame_to(&mut $io(dst)).await
            }
        }

        impl<R: AsyncRead + Unpin> Stream for FrameReader<R> {
            type Item = Result<Bytes, Error>;

            #[inline]
            fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                self.get_mut().core.poll_next(cx)
            }
        }
    };
}

/// An async writer whole but for its type's definition: constructors, settings, the inner
/// writer, the frame methods, `Drop` and `Sink`, for a runtime (tokio, futures-io) whose
/// `AsyncRead`/`AsyncWrite` are in scope where it expands. `FrameWriter<W>` must be defined
/// there with `core: WriteLoop<Option<$io<W>>>`. Each method's docs, with its runtime's
/// examples, come from the caller, in this order.
#[cfg(any(feature = "tokio", feature = "futures-io"))]
macro_rules! async_writer {
    (
        io: $io:ident, module: $module:literal;
        $(#[$new:meta])* new;
        $(#[$with_codec:meta])* with_codec;
        $(#[$from_parts:meta])* from_parts;
        $(#[$get_ref:meta])* get_ref;
        $(#[$get_mut:meta])* get_mut;
        $(#[$into_inner:meta])* into_inner;
        $(#[$into_parts:meta])* into_parts;
        $(#[$write_frame:meta])* write_frame;
        $(#[$write_frame_with_prefix:meta])* write_frame_with_prefix;
        $(#[$write_frame_with:meta])* write_frame_with;
        $(#[$feed_frame:meta])* feed_frame;
        $(#[$send_frame:meta])* send_frame;
        $(#[$copy_frame_from:meta])* copy_frame_from;
        $(#[$flush:meta])* flush;
        $(#[$shutdown:meta])* shutdown;
    ) => {
        impl<W> FrameWriter<W> {
            $(#[$new])*
            pub fn new(inner: W) -> Self {
                FrameWriter::with_codec(inner, Codec::default())
            }

            $(#[$with_codec])*
            pub fn with_codec(inner: W, codec: Codec) -> Self {
                FrameWriter {
                    core: WriteLoop::new(Some($io(inner)), WriteState::new(codec)),
                }
            }

            $(#[$from_parts])*
            pub fn from_parts(inner: W, codec: Codec, unsent: Bytes) -> Self {
                let mut writer = FrameWriter::with_codec(inner, codec);
                writer.core.state.push_unsent(unsent);
                writer
            }

            $crate::shells::writer_settings!(
                module: $module,
                queuers: "[`feed_frame`](Self::feed_frame) and the `Sink` queue"
            );

            $(#[$get_ref])*
            pub fn get_ref(&self) -> &W {
                &self.core.io.as_ref().expect($crate::shells::TAKEN).0
            }

            $(#[$get_mut])*
            pub fn get_mut(&mut self) -> &mut W {
                &mut self.core.io.as_mut().expect($crate::shells::TAKEN).0
            }

            $(#[$into_inner])*
            pub fn into_inner(mut self) -> W {
                self.core.io.take().expect($crate::shells::TAKEN).0
            }

            $(#[$into_parts])*
            pub fn into_parts(mut self) -> (W, Bytes) {
                let unsent = self.core.state.take_buffered();
                (self.core.io.take().expect($crate::shells::TAKEN).0, unsent)
            }
        }

        impl<W> Drop for FrameWriter<W> {
            fn drop(&mut self) {
                self.core.dropped();
            }
        }

        impl<W: AsyncWrite + Unpin> FrameWriter<W> {
            $(#[$write_frame])*
            pub async fn write_frame(&mut self, payload: impl AsRef<[u8]>) -> Result<(), Error> {
                let payload = payload.as_ref();
                // The common case first, with no inner future: a small frame that fits.
                if self.core.queue_frame(None, payload)?.is_none() {
                    return Ok(());
                }
                self.core.write_frame_again(None, payload).await
            }

            $(#[$write_frame_with_prefix])*
            pub async fn write_frame_with_prefix(
                &mut self,
                prefix: &[u8],
                payload: impl AsRef<[u8]>,
            ) -> Result<(), Error> {
                self.core.write_frame(Some(prefix), payload.as_ref()).await
            }

            $(#[$write_frame_with])*
            pub async fn write_frame_with<E: From<Error>>(
                &mut self,
                body: impl FnOnce(&mut BytesMut) -> Result<(), E>,
            ) -> Result<(), E> {
                self.core.write_frame_with(body).await
            }

            /// Buffers a frame whose body `body` writes in place, writing nothing: a typed
            /// `Sink`'s `start_send`.
            #[cfg(any(feature = "json", feature = "msgpack"))]
            pub(crate) fn queue_frame_with<E: From<Error>>(
                &mut self,
                body: impl FnOnce(&mut BytesMut) -> Result<(), E>,
            ) -> Result<(), E> {
                self.core.queue_frame_with(body)
            }

            $(#[$feed_frame])*
            pub async fn feed_frame(&mut self, payload: impl Into<Bytes>) -> Result<(), Error> {
                self.core.feed_frame(payload.into()).await
            }

            $(#[$send_frame])*
            pub async fn send_frame(&mut self, payload: impl AsRef<[u8]>) -> Result<(), Error> {
                self.core.write_frame(None, payload.as_ref()).await?;
                self.core.flush().await
            }

            $(#[$copy_frame_from])*
            pub async fn copy_frame_from<S>(&mut self, len: u64, src: &mut S) -> Result<(), Error>
            where
                S: AsyncRead + Unpin + ?Sized,
            {
                self.core.copy_frame_from(len, &mut $io(src)).await
            }

            $(#[$flush])*
            pub async fn flush(&mut self) -> Result<(), Error> {
                self.core.flush().await
            }

            $(#[$shutdown])*
            pub async fn shutdown(&mut self) -> Result<(), Error> {
                self.core.shutdown().await
            }
        }

        impl<W: AsyncWrite + Unpin> Sink<Bytes> for FrameWriter<W> {
            type Error = Error;

            #[inline]
            fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
                self.get_mut().core.poll_ready(cx)
            }

            #[inline]
            fn start_send(self: Pin<&mut Self>, payload: Bytes) -> Result<(), Error> {
                self.get_mut().core.start_send(payload)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
                self.get_mut().core.poll_flush(cx)
            }

            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
                self.get_mut().core.poll_close(cx)
            }
        }
    };
}

/// Why an async writer's inner writer is always there (it is an `Option` only so that
/// `into_inner` can take it out of a type that implements `Drop`).
#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub(crate) const TAKEN: &str = "the inner writer is only taken by into_inner and into_parts, \
                                which consume the FrameWriter";

#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub(crate) use {async_reader, async_writer};
