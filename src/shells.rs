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
        /// from the caller's memory. A size of 0 writes every frame at once, header and
        /// payload in one vectored write.
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
            self.core.state.encoder_mut().set_max_frame_len(max);
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

pub(crate) use {reader_settings, writer_settings};
