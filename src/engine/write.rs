//! What a frame writer keeps between writes, with no I/O: the bytes accepted and not yet
//! written, how far a `copy_frame_from` got, and what is left of a large frame written from the
//! caller's memory when a write stops part way; and the one rule for what goes into each write.
//!
//! Every writer is a loop around it (the blocking and tokio `FrameWriter`s; a futures-io writer
//! plugs in the same way): queue into it, ask it for the next write's slices
//! ([`WriteState::io_slices`]), write them, tell it how many bytes went
//! ([`WriteState::wrote`]).
//!
//! # The buffer policy, in numbers
//!
//! - **Small frames are copied** into a buffer of `buffer_size` bytes (64 KiB by default): a
//!   borrowed payload whose frame is shorter than that, and an owned payload of up to 8 KiB
//!   ([`COPY_MAX`]). The buffer is written out when the next frame does not fit.
//! - **Large payloads are not copied.** A borrowed one (`write_frame`) is written before the call
//!   returns, straight from the caller's slice, after what is queued; an owned one
//!   (`feed_frame`, `Sink::start_send`) is queued as the `Bytes` it came in.
//! - **A run of large frames is gathered.** Once a borrowed frame of at least `buffer_size` and
//!   at most a quarter of `max_write_size` ([`GATHER_SHARE`]: 256 KiB by default) was written
//!   through, the borrowed frames after it up to that length are copied too, until the next
//!   flush, and the buffer holds up to `max_write_size` and one more frame before it is written:
//!   a run of 64 KiB frames goes out in writes of 1 MiB, not one write a frame (a copy of 64 KiB
//!   costs less than a system call). The first frame of a run still goes out before its call
//!   returns. A `buffer_size` of 0 writes every frame at once: no run.
//! - **Gathered writes.** Each write call takes the queue in order, headers, small frames and
//!   owned payloads, as up to [`MAX_SLICES`] (64) slices, gathering parts while it holds less
//!   than `max_write_size` bytes (1 MiB by default; a part is never cut for it); each slice is
//!   at most 1 GiB (Windows takes at most `u32::MAX` bytes a slice). Owned payloads are written when the queue reaches `max_write_size`, or on flush.
//! - **Letting go.** A buffer that grew past the small size (8 KiB) is given back when a flush
//!   empties it, and at once when it held more than `buffer_size` (the rest of a large frame
//!   whose write stopped part way; in a run, more than the run's limit): an idle writer holds
//!   at most 16 KiB, whatever it wrote.

use std::collections::VecDeque;
use std::io::IoSlice;

#[cfg(feature = "tokio")]
use bytes::buf::Limit;
#[cfg(feature = "tokio")]
use bytes::BufMut;
use bytes::{Buf, Bytes, BytesMut};

use super::head::Head;
use super::read::{clamp, SMALL};
use crate::encode::PlainField;
use crate::{
    ChecksumDigest, Codec, EncodeError, EncodeWithError, Error, FrameEncoder, Trailer,
    MAX_LENGTH_OFFSET,
};

/// How many bytes a writer buffers before writing, by default.
pub(crate) const DEFAULT_BUFFER_SIZE: usize = 64 * 1024;
/// The most bytes one write call takes, by default.
pub(crate) const DEFAULT_MAX_WRITE: usize = 1024 * 1024;
/// Owned payloads up to this size are copied into the buffer, to go out with their neighbours;
/// larger ones are queued as they are.
pub(crate) const COPY_MAX: usize = 8 * 1024;
/// The most slices one vectored write takes (every platform's iovec limit is larger: 1024 on
/// Linux and macOS; 64 slices of queued frames are already at least 256 KiB of owned payloads).
pub(crate) const MAX_SLICES: usize = 64;
/// The longest slice handed to one write call: std's `IoSlice::new` panics on Windows for a
/// slice over `u32::MAX` bytes.
pub(crate) const MAX_SLICE: usize = 1 << 30;

/// The least room `copy_frame_from` reads into, even for a writer with a smaller capacity.
const STREAM_MIN: usize = 8 * 1024;
/// In a run of large borrowed frames, those of at most `max_write / GATHER_SHARE` bytes (256 KiB
/// by default) are copied, so that at least this many go out in one write.
pub(crate) const GATHER_SHARE: usize = 4;

/// More than a frame's header can add to its payload (`MAX_HEADER_LEN`), and at least what
/// `FrameEncoder::encode` reserves past the payload: the room [`WriteState::encode_small`]
/// wants, so that the exact rules would copy the frame and the buffer does not grow for it.
const SMALL_ROOM: usize = 2 * MAX_LENGTH_OFFSET;

/// A writer's state: everything but the I/O object.
#[derive(Debug)]
pub(crate) struct WriteState {
    encoder: FrameEncoder,
    /// Chunks accepted and not yet written, before `buf`: owned payloads, and the bytes buffered
    /// before each of them.
    queue: VecDeque<Bytes>,
    /// The bytes in `queue`.
    queued: usize,
    /// Bytes accepted and not yet written, after `queue`: headers and copied payloads.
    buf: BytesMut,
    /// The most bytes `buf` held at a write since it was last given back.
    peak: usize,
    /// How many bytes the writer buffers before writing.
    capacity: usize,
    /// The most bytes one write call takes.
    max_write: usize,
    /// In a run of large frames (see [`start_run`](Self::start_run)), the longest borrowed frame
    /// that is copied; 0 outside one.
    gather: usize,
    /// What the buffer holds at most before it is written: `capacity`, or in a run of large
    /// frames `max_write` and one more frame.
    limit: usize,
    /// A `copy_frame_from` that stopped inside a frame.
    streaming: Option<Streaming>,
    /// The room handed to the last read from a `copy_frame_from` source: where it starts in
    /// `buf`, and how long it is.
    room_at: usize,
    room_len: usize,
    /// The most one frame whose length was not known when room was made for it (written in
    /// place with [`encode_with`](Self::encode_with), or sent through a `Sink`) added to the
    /// buffer since the last flush: the room made before the next such frame.
    with_len: usize,
    /// The codec's checksum is the caller's own function, which needs the covered bytes in
    /// one piece: every frame is copied into the buffer, whatever its length.
    whole_frames: bool,
    /// The checksum trailer's length, 0 without one: a frame is its head, its payload and this.
    trailer_len: usize,
    /// The codec has a checksum: its frames take the writers' out-of-line path, so that the
    /// per-frame path of the other codecs does not carry the trailer's work.
    checked: bool,
    /// The encoder's short path for a plain fixed-width header, for the per-frame path.
    plain: PlainField,
    /// One more than the longest borrowed payload the per-frame path copies
    /// ([`queue_small`](Self::queue_small)): every rule on its length (the header's form, the
    /// encoder's maximum, no checksum, shorter than the buffer with the longest header) in one
    /// bound, set by [`set_bounds`](Self::set_bounds) whenever one of them changes.
    small_bound: usize,
    /// The same for an owned payload ([`feed_small`](Self::feed_small)): at most [`COPY_MAX`].
    owned_bound: usize,
    /// While nothing is queued before the buffer and it holds at most this many bytes, a
    /// `Sink`'s next frame has its room ([`sink_ready`](Self::sink_ready)): the exact rule,
    /// [`must_write`](Self::must_write) of [`with_room`](Self::with_room), folded into one
    /// bound by [`set_ready_mark`](Self::set_ready_mark) whenever one of its terms changes.
    ready_mark: usize,
}

/// The frame `copy_frame_from` is sending: its header is accepted, `left` payload bytes to go,
/// and the check of what went so far when a trailer follows.
#[derive(Clone, Debug)]
struct Streaming {
    len: u64,
    left: u64,
    digest: Option<ChecksumDigest>,
}

/// What `copy_frame_from` does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamStep {
    /// Read at most this many payload bytes from the source into the buffer.
    Read(usize),
    /// The buffer is full: write some of it.
    Write,
    /// The whole payload is buffered or written.
    Done,
}

/// A frame written through: its header queued at the end of the buffer, its payload written
/// from the caller's memory after it, never copied unless a write stops part way, then its
/// checksum trailer (if any) as one more small slice of the same write.
#[derive(Debug)]
pub(crate) struct Through<'a> {
    header_len: usize,
    payload: &'a [u8],
    trailer: Trailer,
    /// How much of the payload, then of the trailer, went out.
    written: usize,
}

impl<'a> Through<'a> {
    /// A frame whose `header_len`-byte header was just queued, its payload and its trailer
    /// (empty without a checksum).
    pub(crate) fn new(header_len: usize, payload: &'a [u8], trailer: Trailer) -> Through<'a> {
        Through {
            header_len,
            payload,
            trailer,
            written: 0,
        }
    }

    /// The payload bytes, then the trailer bytes, still to write after the buffer.
    pub(crate) fn rest(&self) -> [&[u8]; 2] {
        let from_payload = self.written.min(self.payload.len());
        let from_trailer = self.written - from_payload;
        [
            &self.payload[from_payload..],
            &self.trailer.as_bytes()[from_trailer..],
        ]
    }

    /// Whether all of the frame went out.
    pub(crate) fn is_done(&self) -> bool {
        self.written == self.payload.len() + self.trailer.len()
    }
}

impl WriteState {
    /// An empty state with the default sizes.
    pub(crate) fn new(codec: Codec) -> WriteState {
        WriteState {
            encoder: codec.encoder(),
            queue: VecDeque::new(),
            queued: 0,
            buf: BytesMut::new(),
            peak: 0,
            capacity: DEFAULT_BUFFER_SIZE,
            max_write: DEFAULT_MAX_WRITE,
            gather: 0,
            limit: DEFAULT_BUFFER_SIZE,
            streaming: None,
            room_at: 0,
            room_len: 0,
            with_len: 0,
            whole_frames: codec
                .checksum()
                .is_some_and(|check| check.algorithm().is_none()),
            trailer_len: codec.trailer_len(),
            checked: codec.checksum().is_some(),
            plain: PlainField::of(&codec.encoder()),
            small_bound: 0,
            owned_bound: 0,
            ready_mark: 0,
        }
        .with_bounds()
    }

    fn with_bounds(mut self) -> WriteState {
        self.set_bounds();
        self
    }

    /// Folds the per-frame path's rules on a payload's length into
    /// [`small_bound`](Self::small_bound) and [`owned_bound`](Self::owned_bound), after a
    /// setting changed.
    fn set_bounds(&mut self) {
        // No form (a bound of 0) for a codec with a checksum, whose frames end with a trailer.
        self.plain = PlainField::of(&self.encoder);
        // And `encode_small`'s room shorter than the buffer.
        let bound = self
            .plain
            .bound()
            .min(self.capacity.saturating_sub(SMALL_ROOM));
        self.small_bound = bound;
        self.owned_bound = bound.min(COPY_MAX + 1);
        self.set_ready_mark();
    }

    /// Sets [`ready_mark`](Self::ready_mark) after the capacity, `max_write` or
    /// [`with_len`](Self::with_len) changed: with nothing queued, `must_write(room)` is false
    /// exactly when the buffer holds less than `max_write` bytes and `room` more fit its
    /// capacity (or it is empty, which any mark allows).
    fn set_ready_mark(&mut self) {
        let room = self.with_room().max(1);
        self.ready_mark = (self.max_write - 1).min(self.capacity.saturating_sub(room));
    }

    /// `Sink::poll_ready`'s per-frame case: whether the room for the next frame is there
    /// without writing, and no `copy_frame_from` is under way. `false`: the exact rules decide.
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    #[inline(always)]
    pub(crate) fn sink_ready(&self) -> bool {
        self.streaming.is_none() && self.queued == 0 && self.buf.len() <= self.ready_mark
    }

    /// Notes a frame of `added` bytes whose length was not known when room was made for it:
    /// the room made before the next one grows to it.
    #[inline(always)]
    fn note_unsized(&mut self, added: usize) {
        if added > self.with_len {
            self.with_len = added;
            self.set_ready_mark();
        }
    }

    #[inline]
    pub(crate) fn codec(&self) -> &Codec {
        self.encoder.codec()
    }

    /// How many bytes are accepted and not yet written.
    #[inline]
    pub(crate) fn buffered_len(&self) -> usize {
        self.queued + self.buf.len()
    }

    /// Whether every byte accepted has been written.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.queued == 0 && self.buf.is_empty()
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Sets how many bytes the writer buffers before writing.
    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.end_run();
        self.set_bounds();
    }

    /// The most bytes one write call takes.
    #[inline]
    pub(crate) fn max_write(&self) -> usize {
        self.max_write
    }

    /// Sets the most bytes one write call takes (at least 1).
    pub(crate) fn set_max_write(&mut self, max_write: usize) {
        self.max_write = max_write.max(1);
        self.end_run();
        self.set_bounds();
    }

    /// Starts a run of large frames after a borrowed frame of `frame_len` bytes was written
    /// through, if that frame is at least the buffer's size and at most
    /// `max_write / GATHER_SHARE` bytes. Until the next flush, the frames that follow, up to that
    /// length, are copied too, and the buffer holds up to `max_write` bytes and one frame before
    /// it is written: a run of 64 KiB frames goes out in writes of 1 MiB rather than one write a
    /// frame (a copy of 64 KiB costs less than a system call). The first frame of a run is
    /// written before its call returns, so a lone large frame still goes out at once.
    fn start_run(&mut self, frame_len: usize) {
        let gather = self.max_write / GATHER_SHARE;
        // A buffer size of 0 asks for every frame to be written at once: no run.
        if self.capacity != 0 && frame_len >= self.capacity && frame_len <= gather {
            self.gather = gather;
            self.limit = self.capacity.max(self.max_write.saturating_add(gather));
        }
    }

    /// Ends a run of large frames: the buffer holds `capacity` bytes before it is written again.
    fn end_run(&mut self) {
        self.gather = 0;
        self.limit = self.capacity;
    }

    /// Changes the longest payload the writer accepts, from the next frame on.
    pub(crate) fn set_max_frame_len(&mut self, max: usize) {
        self.encoder.set_max_frame_len(max);
        self.set_bounds();
    }

    /// Takes the bytes accepted and not yet written, leaving the writer empty.
    pub(crate) fn take_buffered(&mut self) -> Bytes {
        let rest = self.buf.split().freeze();
        if self.queue.is_empty() {
            return rest;
        }
        let mut all = BytesMut::with_capacity(self.buffered_len());
        for chunk in self.queue.drain(..) {
            all.extend_from_slice(&chunk);
        }
        all.extend_from_slice(&rest);
        self.queued = 0;
        all.freeze()
    }

    /// Queues bytes another writer accepted and did not write, after what is queued, without
    /// copying them.
    pub(crate) fn push_unsent(&mut self, unsent: Bytes) {
        self.seal();
        self.push(unsent);
    }

    /// Whether a borrowed frame of `frame_len` bytes is copied into the buffer (shorter than the
    /// buffer, or not longer than a run of large frames copies: see [`start_run`](Self::start_run))
    /// rather than written from the caller's memory. The one copy-or-write-through rule.
    #[inline]
    pub(crate) fn copies(&self, frame_len: usize) -> bool {
        self.copies_unchecked(frame_len) || self.whole_frames || frame_len <= self.gather
    }

    /// [`copies`](Self::copies) for a codec without a checksum (not [`checked`](Self::checked)).
    #[inline(always)]
    pub(crate) fn copies_unchecked(&self, frame_len: usize) -> bool {
        frame_len < self.capacity
    }

    /// How many bytes feeding an owned payload of `payload_len` bytes after `head` adds to the
    /// buffer: its header and trailer, and the payload too if it is copied.
    #[inline]
    pub(crate) fn feed_adds(&self, head: &Head, payload_len: usize) -> usize {
        let overhead = head.len() + self.trailer_len;
        if self.copies_owned(overhead, payload_len) {
            overhead + payload_len
        } else {
            overhead
        }
    }

    fn copies_owned(&self, overhead: usize, payload_len: usize) -> bool {
        (payload_len <= COPY_MAX || self.whole_frames) && self.copies(overhead + payload_len)
    }

    /// Whether something must be written before `n` more bytes go into the buffer: the buffer
    /// would pass its capacity, or the queue holds `max_write_size` already.
    #[inline]
    pub(crate) fn must_write(&self, n: usize) -> bool {
        !self.is_empty() && (self.buffered_len() >= self.max_write || !self.fits(n))
    }

    /// Whether `n` more bytes fit in the buffer without passing its capacity.
    #[inline]
    fn fits(&self, n: usize) -> bool {
        n <= self.capacity.saturating_sub(self.buf.len())
    }

    /// [`must_write`](Self::must_write) before a copied frame of `n` bytes, at least the
    /// buffer's size (one of a run of large frames, or for a caller's own check): the buffer
    /// holds up to its limit, `max_write` and one frame in a run, its capacity otherwise; and
    /// a frame its allocation has no room left for waits until it is written out (a write that
    /// took part of it leaves the rest in place: growing then would copy that rest into a new
    /// allocation, where once empty it is reused from its start).
    pub(crate) fn must_write_large(&self, n: usize) -> bool {
        !self.is_empty()
            && (self.buffered_len() >= self.max_write
                || n > self.limit.saturating_sub(self.buf.len())
                || n > self.buf.capacity() - self.buf.len())
    }

    /// Makes room for a large copied frame of `frame_len` bytes (see
    /// [`must_write_large`](Self::must_write_large)): the buffer gets its whole limit at once,
    /// rather than doubling frame after frame of a run, and once written out it starts again
    /// from the front of its allocation (not in what a write left after the bytes it took).
    pub(crate) fn reserve_copied(&mut self, frame_len: usize) {
        let len = self.buf.len();
        let want = self.limit.max(len.saturating_add(frame_len));
        if len == 0 || self.buf.capacity() - len < frame_len {
            // A no-op when there is room already.
            self.buf.reserve(want - len);
        }
    }

    /// The header for a payload of `payload_len` bytes, after `prefix` (the bytes before the
    /// length field) if there is one: see [`Head::new`].
    #[inline]
    pub(crate) fn head(&self, prefix: Option<&[u8]>, payload_len: usize) -> Result<Head, Error> {
        Ok(Head::new(&self.encoder, prefix, payload_len)?)
    }

    /// Whether the codec has a checksum (its frames end with a trailer).
    #[inline(always)]
    pub(crate) fn checked(&self) -> bool {
        self.checked
    }

    /// [`head`](Self::head) without a prefix, for a codec without a checksum only (see
    /// [`checked`](Self::checked)).
    #[inline(always)]
    pub(crate) fn plain_head(&self, payload_len: usize) -> Result<Head, EncodeError> {
        Head::plain(&self.encoder, payload_len)
    }

    /// The whole length of a frame with this head and a payload of `payload_len` bytes.
    #[inline]
    pub(crate) fn frame_len(&self, head: &Head, payload_len: usize) -> usize {
        head.len() + payload_len + self.trailer_len
    }

    /// The trailer after `payload` for a frame written from the caller's memory.
    pub(crate) fn trailer(&self, head: &Head, payload: &[u8]) -> Result<Trailer, Error> {
        Ok(head.trailer(&self.encoder, payload)?)
    }

    /// Appends a frame's header to what is accepted.
    #[inline(always)]
    pub(crate) fn queue_head(&mut self, head: &Head) {
        self.queue(head.as_bytes());
    }

    /// Appends a whole frame, copied: its header, its payload, and its trailer computed from
    /// the copy (any checksum, a caller's own too).
    #[inline(always)]
    pub(crate) fn queue_copied(&mut self, head: &Head, payload: &[u8]) {
        self.queue_head(head);
        self.queue(payload);
        if self.trailer_len != 0 {
            self.queue_trailer(head.len() + payload.len());
        }
    }

    /// Appends the trailer of the `frame_len`-byte frame that ends the buffer.
    #[cold]
    #[inline(never)]
    fn queue_trailer(&mut self, frame_len: usize) {
        let start = self.buf.len() - frame_len;
        if let Some(trailer) = self.encoder.trailer(&self.buf[start..]) {
            self.queue(&trailer);
        }
    }

    /// Appends `bytes` to what is accepted.
    #[inline]
    pub(crate) fn queue(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Accepts an owned payload after its `head`: copied if small, otherwise queued as it is,
    /// its trailer (if any) after it. Returns what it added to the buffer, as
    /// [`feed_adds`](Self::feed_adds) says beforehand. On error nothing was added.
    pub(crate) fn feed(&mut self, head: &Head, payload: Bytes) -> Result<usize, Error> {
        let overhead = head.len() + self.trailer_len;
        if self.copies_owned(overhead, payload.len()) {
            self.queue_copied(head, &payload);
            return Ok(overhead + payload.len());
        }
        let trailer = self.trailer(head, &payload)?;
        self.queue_head(head);
        self.seal();
        self.push(payload);
        self.queue(&trailer);
        Ok(overhead)
    }

    /// [`feed`](Self::feed) for a frame whose room was made before its length was known (a
    /// `Sink`'s `start_send`): remembered for [`with_room`](Self::with_room).
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    pub(crate) fn feed_unsized(&mut self, head: &Head, payload: Bytes) -> Result<(), Error> {
        let adds = self.feed(head, payload)?;
        self.note_unsized(adds);
        Ok(())
    }

    /// A borrowed payload's frame, queued by the rules of [`copies`](Self::copies) and
    /// [`must_write`](Self::must_write) whatever its header's length: the per-frame case of
    /// `write_frame` for a codec without a checksum (not [`checked`](Self::checked)). `true`:
    /// queued. `false`: nothing done, the exact rules decide.
    ///
    /// A payload the encoder refuses is left to the exact rules too.
    #[inline(always)]
    pub(crate) fn queue_small(&mut self, payload: &[u8]) -> bool {
        if self.must_write(payload.len() + SMALL_ROOM) {
            return false;
        }
        self.encode_small(payload, self.small_bound)
    }

    /// An owned payload's frame, queued by the rules of [`feed_unsized`](Self::feed_unsized)
    /// when its payload is copied whatever its header's length: the per-frame case of a `Sink`'s
    /// `start_send`. `true`: queued. `false`: nothing done, the exact rules decide (a codec
    /// with a checksum, a payload over [`COPY_MAX`] or that the encoder refuses...).
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    #[inline(always)]
    pub(crate) fn feed_small(&mut self, payload: &[u8]) -> bool {
        if self.streaming.is_some() || !self.encode_small(payload, self.owned_bound) {
            return false;
        }
        self.note_unsized(self.plain.width() + payload.len());
        true
    }

    /// Encodes `payload`'s frame straight into the buffer when it is shorter than `bound`
    /// ([`small_bound`](Self::small_bound) or [`owned_bound`](Self::owned_bound): then it is
    /// copied whatever its header's length, shorter than the buffer with the longest header)
    /// and the buffer's allocation has room for it, so that it does not grow for it: whether
    /// it did (it added the header's width and the payload).
    #[inline(always)]
    fn encode_small(&mut self, payload: &[u8], bound: usize) -> bool {
        let room = payload.len() + SMALL_ROOM;
        if payload.len() >= bound || self.buf.capacity() - self.buf.len() < room {
            return false;
        }
        self.plain.put(payload, &mut self.buf);
        true
    }

    /// The room to make before a frame is written in place or sent through a `Sink`: as much as
    /// the longest such frame since the last flush took (at most the buffer), so that a run of
    /// similar messages goes out as a run of small frames does: what is buffered is written before the next frame
    /// would not fit, and the buffer does not grow past its size for it.
    #[inline]
    pub(crate) fn with_room(&self) -> usize {
        self.with_len.min(self.capacity)
    }

    /// Appends a frame whose body `body` writes in place at the end of the buffer
    /// ([`FrameEncoder::encode_with`]): the writers' `write_frame_with`.
    ///
    /// On error nothing was added: the body's error as it is, lenframe's converted into `E`
    /// ([`Error::Encode`] for a body over the maximum, with its length and the maximum; an
    /// [`Error::Io`] of kind `InvalidInput` holding [`EncodeWithError::Shrunk`] for a closure that
    /// removed buffered bytes, which are lost: the stream is broken then).
    pub(crate) fn encode_with<E: From<Error>>(
        &mut self,
        body: impl FnOnce(&mut BytesMut) -> Result<(), E>,
    ) -> Result<(), E> {
        let before = self.buf.len();
        // Room for a frame as long as the longest since the last flush, in one allocation
        // rather than doubling as the body grows (a large frame's buffer is given back once it
        // is written, so each one starts from nothing).
        self.buf.reserve(self.with_len);
        let encoder = self.encoder;
        let result = encoder.encode_with(&mut self.buf, body);
        if result.is_err() {
            // A body that failed may have grown the buffer far past its size (a message over
            // the maximum is found too long once written): give that back once it empties.
            self.peak = self.peak.max(self.buf.capacity());
        }
        match result {
            Ok(()) => {
                self.note_unsized(self.buf.len() - before);
                Ok(())
            }
            Err(EncodeWithError::Body(err)) => Err(err),
            Err(EncodeWithError::Encode(err)) => Err(Error::Encode(err).into()),
            Err(EncodeWithError::Shrunk { start, len }) => {
                let shrunk = EncodeWithError::<core::convert::Infallible>::Shrunk { start, len };
                let err = std::io::Error::new(std::io::ErrorKind::InvalidInput, shrunk);
                Err(Error::Io(err).into())
            }
        }
    }

    /// Moves what is buffered to the end of the queue, so that what is queued next goes after it.
    fn seal(&mut self) {
        if !self.buf.is_empty() {
            let sealed = self.buf.split().freeze();
            self.push(sealed);
        }
    }

    fn push(&mut self, chunk: Bytes) {
        if !chunk.is_empty() {
            self.queued += chunk.len();
            self.queue.push_back(chunk);
        }
    }

    /// The next write's only part, when there is one (nothing else queued): a plain write of it
    /// is the same write as [`io_slices`](Self::io_slices) would make, without building slices.
    #[inline]
    pub(crate) fn single_part<'a>(&'a self, through: [&'a [u8]; 2]) -> Option<&'a [u8]> {
        if !self.queue.is_empty() {
            return None;
        }
        let part = match (
            self.buf.is_empty(),
            through[0].is_empty(),
            through[1].is_empty(),
        ) {
            (false, true, true) => &self.buf[..],
            (true, false, true) => through[0],
            (true, true, false) => through[1],
            _ => return None,
        };
        Some(&part[..part.len().min(MAX_SLICE)])
    }

    /// The next write's slices: what is queued, in order, then `through` (the payload of a frame
    /// written through, then its trailer), as [`plan_write`] cuts them. Returns how many of
    /// `slices` are set (0 if there is nothing to write).
    pub(crate) fn io_slices<'a>(
        &'a self,
        through: [&'a [u8]; 2],
        slices: &mut [IoSlice<'a>; MAX_SLICES],
    ) -> usize {
        let parts = || {
            self.queue
                .iter()
                .map(|chunk| &chunk[..])
                .chain([&self.buf[..], through[0], through[1]])
                .filter(|part| !part.is_empty())
        };
        let mut lens = [0; MAX_SLICES];
        let count = plan_write(parts().map(<[u8]>::len), self.max_write, &mut lens);
        for (slice, (part, len)) in slices.iter_mut().zip(parts().zip(&lens[..count])) {
            *slice = IoSlice::new(&part[..*len]);
        }
        count
    }

    /// Notes that `n` bytes went out from the front of the queue and then of what was written
    /// after it: drops them, and returns how many came from after it.
    pub(crate) fn wrote(&mut self, mut n: usize) -> usize {
        // The buffer only grows between writes: its length now is its most since the last one.
        self.peak = self.peak.max(self.buf.len());
        while let Some(front) = self.queue.front_mut() {
            if n < front.len() {
                front.advance(n);
                self.queued -= n;
                return 0;
            }
            n -= front.len();
            self.queued -= front.len();
            self.queue.pop_front();
        }
        let from_buf = n.min(self.buf.len());
        let room = self.buf.capacity();
        self.buf.advance(from_buf);
        if self.buf.is_empty() {
            if self.peak > self.limit.max(SMALL) {
                // It held the rest of a large frame: give that memory back now. (A run of large
                // frames keeps its buffer for the next frames, until the flush.)
                self.give_back();
            } else {
                // The next frames go in from the allocation's front again, now that there is
                // nothing to move: otherwise they fill what the write left past its bytes, and
                // once that is full the buffer moves them all to the front (a copy of up to
                // 8 KiB a buffer, and a frame off the short path, at 64 B frames). Never
                // allocates (and always reclaims: nothing else holds the emptied allocation).
                let _ = self.buf.try_reclaim(room);
            }
        }
        n - from_buf
    }

    /// Notes that a flush wrote everything: a run of large frames ends, and a buffer grown past
    /// the small size is given back, so an idle writer holds little whatever it wrote.
    pub(crate) fn flushed(&mut self) {
        self.with_len = 0;
        self.set_ready_mark();
        self.end_run();
        self.peak = self.peak.max(self.buf.len());
        if self.buf.is_empty() && super::buffer::write_gives_back(self.peak) {
            self.give_back();
        }
        if self.queue.is_empty() && self.queue.capacity() > MAX_SLICES {
            self.queue = VecDeque::new();
        }
    }

    fn give_back(&mut self) {
        self.buf = BytesMut::new();
        self.peak = 0;
    }

    /// Notes that `n` bytes of the queue and then of `frame`'s payload and trailer went out.
    pub(crate) fn wrote_through(&mut self, frame: &mut Through<'_>, n: usize) {
        let from_frame = self.wrote(n);
        let [payload, trailer] = frame.rest();
        frame.written += from_frame.min(payload.len() + trailer.len());
    }

    /// Ends a frame written through, whole or stopped part way (an error, or a cancelled
    /// future): whether the frame is accepted.
    ///
    /// If none of it went out, its header is withdrawn from the buffer and it is not. Otherwise
    /// what went out cannot be taken back: the rest of the payload is copied into the buffer,
    /// to go out with the next write, so the peer still sees a whole frame.
    ///
    /// An accepted frame may start a run of large frames ([`start_run`](Self::start_run)).
    pub(crate) fn end_through(&mut self, frame: &Through<'_>) -> bool {
        if frame.written == 0 && self.buf.len() >= frame.header_len {
            self.buf.truncate(self.buf.len() - frame.header_len);
            return false;
        }
        self.start_run(frame.header_len + frame.payload.len() + frame.trailer.len());
        let [payload, trailer] = frame.rest();
        let rest_len = payload.len() + trailer.len();
        let unsent = self.buf.len() + rest_len;
        if rest_len > 0 && unsent > self.capacity {
            // Exactly what it takes, given back once written out.
            let mut exact = BytesMut::with_capacity(unsent);
            exact.extend_from_slice(&self.buf);
            self.buf = exact;
        }
        self.queue(payload);
        self.queue(trailer);
        true
    }

    /// How many payload bytes a stopped `copy_frame_from` still has to read.
    pub(crate) fn copy_remaining(&self) -> Option<u64> {
        self.streaming.as_ref().map(|streaming| streaming.left)
    }

    /// For `copy_frame_from(len, ..)`: the header to queue for a new frame, or `None` to go on
    /// with the unfinished one.
    ///
    /// # Errors
    ///
    /// The encoder's error, an unfinished frame of a different length, or
    /// [`EncodeError::ChecksumNeedsWholeFrame`](crate::EncodeError::ChecksumNeedsWholeFrame)
    /// for a caller's own check, which cannot be computed as the payload streams.
    pub(crate) fn stream_header(
        &self,
        len: u64,
    ) -> Result<Option<(Head, Option<ChecksumDigest>)>, Error> {
        match &self.streaming {
            Some(streaming) if streaming.len == len => Ok(None),
            Some(_) => Err(self.unfinished_error()),
            None => {
                let head = self.head(None, usize::try_from(len).unwrap_or(usize::MAX))?;
                let digest = head.digest(&self.encoder)?;
                Ok(Some((head, digest)))
            }
        }
    }

    /// Queues the header of a frame whose `len`-byte payload is to be streamed in, with the
    /// check started over it when a trailer follows the payload.
    pub(crate) fn start_stream(&mut self, head: &Head, digest: Option<ChecksumDigest>, len: u64) {
        self.queue_head(head);
        self.streaming = Some(Streaming {
            len,
            left: len,
            digest,
        });
    }

    /// What `copy_frame_from` does next: the payload is read into the buffer, which is written
    /// out whenever it holds its capacity (at least 8 KiB).
    pub(crate) fn stream_step(&mut self) -> StreamStep {
        let Some(Streaming { left, .. }) = self.streaming else {
            return StreamStep::Done;
        };
        let room = self.capacity.max(STREAM_MIN);
        if left == 0 {
            // The whole payload is in: its trailer follows it.
            if let Some(digest) = self.streaming.take().and_then(|s| s.digest) {
                self.queue(&digest.finish());
            }
            StreamStep::Done
        } else if self.buffered_len() >= room {
            StreamStep::Write
        } else {
            StreamStep::Read(clamp(left, room - self.buf.len()))
        }
    }

    /// Room for `n` payload bytes at the end of the buffer, zeroed, for `std::io::Read`. Report
    /// the read with [`streamed`](Self::streamed), whatever its outcome.
    pub(crate) fn stream_slice(&mut self, n: usize) -> &mut [u8] {
        self.room_at = self.buf.len();
        self.room_len = n;
        self.buf.resize(self.room_at + n, 0);
        self.peak = self.peak.max(self.buf.len());
        &mut self.buf[self.room_at..]
    }

    /// The buffer limited to room for `n` more payload bytes, for a read into uninitialised
    /// memory (tokio's `read_buf`). Report what arrived with [`streamed`](Self::streamed).
    #[cfg(feature = "tokio")]
    pub(crate) fn stream_room(&mut self, n: usize) -> Limit<&mut BytesMut> {
        self.room_at = self.buf.len();
        self.room_len = n;
        self.buf.reserve(n);
        self.peak = self.peak.max(self.room_at + n);
        (&mut self.buf).limit(n)
    }

    /// Notes that the source read brought `n` payload bytes (0 at its end or after an error),
    /// dropping the rest of the room; returns `n` (at most the room's length).
    pub(crate) fn streamed(&mut self, n: usize) -> usize {
        let n = n.min(self.room_len);
        self.buf.truncate(self.room_at + n);
        if let Some(streaming) = &mut self.streaming {
            streaming.left = streaming.left.saturating_sub(n as u64);
            if let Some(digest) = &mut streaming.digest {
                digest.update(&self.buf[self.room_at..]);
            }
        }
        n
    }

    /// The error for a `copy_frame_from` source that ended before the payload did.
    #[cold]
    pub(crate) fn source_ended(&self) -> Error {
        let (len, left) = self.streaming.as_ref().map_or((0, 0), |s| (s.len, s.left));
        Error::SourceEnded { len, left }
    }

    /// An error while `copy_frame_from` has a frame unfinished: nothing else may go in the
    /// middle of it.
    #[inline]
    pub(crate) fn check_not_streaming(&self) -> Result<(), Error> {
        match self.streaming {
            None => Ok(()),
            Some(_) => Err(self.unfinished_error()),
        }
    }

    #[cold]
    fn unfinished_error(&self) -> Error {
        let (len, left) = self.streaming.as_ref().map_or((0, 0), |s| (s.len, s.left));
        Error::CopyUnfinished { len, left }
    }
}

/// How many bytes of each part go into one write, given the lengths of the parts queued in
/// order: parts are gathered while the write holds less than `max_write` bytes (a part is
/// taken whole, so a large payload is not cut into a last small write), each slice at most
/// [`MAX_SLICE`] bytes, at most [`MAX_SLICES`] slices, and none after a part that was cut.
/// Empty parts are skipped (the caller skips them too). Returns how many entries of `out` are
/// set.
///
/// The one slicing rule of every writer, on lengths alone, so that it can be tested with parts
/// of more than 4 GiB without allocating them.
pub(crate) fn plan_write(
    lens: impl IntoIterator<Item = usize>,
    max_write: usize,
    out: &mut [usize; MAX_SLICES],
) -> usize {
    let mut count = 0;
    let mut total = 0usize;
    for len in lens.into_iter().filter(|&len| len != 0) {
        if count == MAX_SLICES || (count > 0 && total >= max_write) {
            break;
        }
        let take = len.min(MAX_SLICE);
        out[count] = take;
        count += 1;
        total += take;
        if take < len {
            break;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_for(state: &WriteState, payload_len: usize) -> Head {
        state.head(None, payload_len).unwrap()
    }

    /// Feeds `payload` after its header: what it added to the buffer.
    fn feed(state: &mut WriteState, payload: Bytes) -> usize {
        let head = head_for(state, payload.len());
        state.feed(&head, payload).unwrap()
    }

    fn plan(lens: &[usize], max_write: usize) -> Vec<usize> {
        let mut out = [0; MAX_SLICES];
        let count = plan_write(lens.iter().copied(), max_write, &mut out);
        out[..count].to_vec()
    }

    #[test]
    fn slices_over_4_gib_are_cut_to_1_gib_and_nothing_follows_a_cut() {
        let huge = u32::MAX as usize + 10;
        assert_eq!(plan(&[4, huge, 5], usize::MAX), [4, MAX_SLICE]);
        assert!(MAX_SLICE <= u32::MAX as usize);
        assert_eq!(plan(&[huge * 2], usize::MAX), [MAX_SLICE]);
    }

    #[test]
    fn parts_are_gathered_up_to_max_write_and_never_cut_for_it() {
        assert_eq!(plan(&[4, 65536, 4, 65536], 100_000), [4, 65536, 4, 65536]);
        assert_eq!(plan(&[4, 65536, 4, 65536], 65540), [4, 65536]);
        assert_eq!(plan(&[4, 1 << 20, 4], 1 << 20), [4, 1 << 20]);
        // At least one part, whatever the setting.
        assert_eq!(plan(&[10, 5], 0), [10]);
    }

    #[test]
    fn empty_parts_are_skipped_and_slices_capped() {
        assert_eq!(plan(&[0, 3, 0, 2], 100), [3, 2]);
        assert_eq!(plan(&[], 100), Vec::<usize>::new());
        let many = vec![1; MAX_SLICES + 10];
        assert_eq!(plan(&many, usize::MAX).len(), MAX_SLICES);
    }

    #[test]
    fn queued_frames_go_out_in_order_in_one_write() {
        let mut state = WriteState::new(Codec::default());
        let big = Bytes::from(vec![7u8; 20_000]);
        feed(&mut state, Bytes::from_static(b"a"));
        feed(&mut state, big.clone());
        state.queue(b"tail");
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        let count = state.io_slices([b"", b""], &mut slices);
        let lens: Vec<usize> = slices[..count].iter().map(|s| s.len()).collect();
        assert_eq!(
            lens,
            [9, 20_000, 4],
            "header and small frame, the owned payload, the rest"
        );
        assert_eq!(state.buffered_len(), 20_013);
        assert_eq!(state.wrote(9 + 100), 0);
        assert_eq!(state.buffered_len(), 20_013 - 109);
        assert_eq!(
            state.wrote(19_900 + 4 + 3),
            3,
            "3 bytes from after the queue"
        );
        assert!(state.is_empty());
    }

    // The policies, one decision a test, on the pure state (no I/O): fast enough to run for
    // every mutant of this file (`.ci/mutants`, scope `engine`).

    const KIB: usize = 1024;

    fn lens(state: &WriteState, through: &[u8]) -> Vec<usize> {
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        let count = state.io_slices([through, b""], &mut slices);
        slices[..count].iter().map(|s| s.len()).collect()
    }

    #[test]
    fn the_sizes_are_the_documented_ones() {
        assert_eq!(DEFAULT_BUFFER_SIZE, 64 * KIB);
        assert_eq!(DEFAULT_MAX_WRITE, 1024 * KIB);
        assert_eq!(COPY_MAX, 8 * KIB);
        assert_eq!(MAX_SLICES, 64);
        assert_eq!(MAX_SLICE, 1 << 30);
        assert_eq!(STREAM_MIN, 8 * KIB);
    }

    #[test]
    fn getters_report_the_settings_and_the_codec() {
        let codec = Codec::from_struct_format("!H").unwrap();
        let mut state = WriteState::new(codec);
        assert_eq!(state.codec(), &codec);
        assert_eq!(state.capacity(), DEFAULT_BUFFER_SIZE);
        assert_eq!(state.max_write(), DEFAULT_MAX_WRITE);
        state.set_capacity(100);
        assert_eq!(state.capacity(), 100);
        state.set_max_write(10);
        assert_eq!(state.max_write(), 10);
        state.set_max_write(0);
        assert_eq!(state.max_write(), 1, "at least one byte a write");
        state.set_max_frame_len(3);
        assert_eq!(state.encoder.codec().max_encode_len(), 3);
    }

    #[test]
    fn max_write_limits_what_one_write_gathers() {
        let mut state = WriteState::new(Codec::default());
        for _ in 0..3 {
            feed(&mut state, Bytes::from(vec![0; COPY_MAX + 1]));
        }
        let part = 4 + COPY_MAX + 1;
        assert_eq!(lens(&state, b"").iter().sum::<usize>(), 3 * part);
        state.set_max_write(part);
        assert_eq!(
            lens(&state, b"").iter().sum::<usize>(),
            part,
            "one frame's worth"
        );
        state.set_max_write(part + 1);
        assert_eq!(
            lens(&state, b"").iter().sum::<usize>(),
            part + 4,
            "under the limit: the next part (a header) too"
        );
    }

    #[test]
    fn a_borrowed_frame_is_copied_only_when_shorter_than_the_buffer() {
        let mut state = WriteState::new(Codec::default());
        state.set_capacity(100);
        assert!(state.copies(99));
        assert!(
            !state.copies(100),
            "a frame as long as the buffer is written through"
        );
        assert!(!state.copies(101));
    }

    #[test]
    fn an_owned_payload_is_copied_up_to_copy_max_if_its_frame_fits() {
        let state = WriteState::new(Codec::default());
        assert_eq!(state.feed_adds(&head_for(&state, 0), 0), 4);
        assert_eq!(state.feed_adds(&head_for(&state, 10), 10), 14);
        assert_eq!(
            state.feed_adds(&head_for(&state, COPY_MAX), COPY_MAX),
            4 + COPY_MAX
        );
        assert_eq!(
            state.feed_adds(&head_for(&state, COPY_MAX + 1), COPY_MAX + 1),
            4,
            "queued as it is: its header only"
        );
        let mut small = WriteState::new(Codec::default());
        small.set_capacity(100);
        assert_eq!(small.feed_adds(&head_for(&small, 95), 95), 99);
        assert_eq!(
            small.feed_adds(&head_for(&small, 96), 96),
            4,
            "a frame as long as the buffer is not copied"
        );
        // And `feed` does what `feed_adds` said.
        for len in [0, 95, 96, COPY_MAX + 1] {
            let mut state = WriteState::new(Codec::default());
            state.set_capacity(100);
            let said = state.feed_adds(&head_for(&state, len), len);
            assert_eq!(feed(&mut state, Bytes::from(vec![0; len])), said);
            assert_eq!(state.buffered_len(), 4 + len);
            let copied = said == 4 + len;
            assert_eq!(
                state.queue.is_empty(),
                copied,
                "queued as it is unless copied"
            );
        }
    }

    #[test]
    fn something_is_written_first_only_when_the_buffer_would_pass_its_size_or_holds_max_write() {
        let mut state = WriteState::new(Codec::default());
        state.set_capacity(10);
        assert!(
            !state.must_write(1000),
            "an empty writer never writes first"
        );
        state.queue(&[0; 6]);
        assert!(!state.must_write(4));
        assert!(state.must_write(5));
        state.set_max_write(6);
        assert!(state.must_write(0), "it holds max_write already");
        state.set_max_write(7);
        assert!(!state.must_write(0));
    }

    #[test]
    fn a_buffer_grown_past_the_small_size_is_given_back_by_a_flush() {
        // What the buffer's allocation is after writing `len` bytes (and flushing): `BytesMut`
        // gets its allocation back when it reserves room again, unless it was given back.
        let kept = |len: usize, flush: bool| {
            let mut state = WriteState::new(Codec::default());
            state.queue(&vec![0; len]);
            assert_eq!(state.wrote(len), 0);
            if flush {
                state.flushed();
            }
            state.queue(b"x");
            state.buf.capacity()
        };
        assert!(kept(SMALL + 1, false) > SMALL, "kept until the flush");
        assert!(kept(SMALL + 1, true) < SMALL, "given back by the flush");
        assert!(kept(SMALL, true) >= SMALL, "the small size is kept");
    }

    #[test]
    fn a_write_that_empties_the_buffer_takes_it_back_to_its_allocations_front() {
        let mut state = WriteState::new(Codec::default());
        state.set_capacity(1000);
        state.queue(&[7; 600]);
        let allocation = state.buf.capacity();
        state.wrote(100);
        assert_eq!(
            state.buf.capacity(),
            allocation - 100,
            "bytes left: nothing moves"
        );
        state.wrote(500);
        assert_eq!(
            state.buf.capacity(),
            allocation,
            "emptied: the next frames go in from the front, not after what was written"
        );
        state.queue(&[7; 600]);
        assert_eq!(state.buf.capacity(), allocation, "no new allocation");
    }

    #[test]
    fn a_buffer_that_held_more_than_its_size_is_given_back_once_written() {
        let mut state = WriteState::new(Codec::default());
        state.set_capacity(SMALL);
        let big = vec![0; 3 * SMALL];
        state.queue(&big);
        state.wrote(SMALL);
        assert!(state.buf.capacity() > 0, "not empty yet");
        state.wrote(2 * SMALL);
        assert_eq!(
            state.buf.capacity(),
            0,
            "given back at once, before any flush"
        );
    }

    #[test]
    fn a_frame_written_through_is_withdrawn_if_none_went_out_else_its_rest_is_buffered() {
        let payload = vec![7u8; 100];
        let mut state = WriteState::new(Codec::default());
        state.queue(b"ab");
        state.queue(&[100, 0, 0, 0]);
        let frame = Through::new(4, &payload, Trailer::NONE);
        assert_eq!(lens(&state, frame.rest()[0]), [6, 100]);
        assert!(!state.end_through(&frame), "not accepted");
        assert_eq!(
            state.buffered_len(),
            2,
            "its header withdrawn, the rest kept"
        );

        let mut state = WriteState::new(Codec::default());
        state.set_capacity(50);
        state.queue(&[100, 0, 0, 0]);
        let mut frame = Through::new(4, &payload, Trailer::NONE);
        state.wrote_through(&mut frame, 4 + 30);
        assert_eq!(frame.rest()[0].len(), 70);
        assert!(state.end_through(&frame), "accepted");
        assert_eq!(state.buffered_len(), 70, "the rest of the payload buffered");
        assert_eq!(state.buf.capacity(), 70, "exactly what it takes");
    }

    #[test]
    fn a_streamed_payload_is_read_in_rooms_of_the_buffer_size_and_at_least_stream_min() {
        let mut state = WriteState::new(Codec::default());
        state.set_capacity(1);
        let (head, digest) = state.stream_header(20_000).unwrap().unwrap();
        state.start_stream(&head, digest, 20_000);
        assert_eq!(state.stream_step(), StreamStep::Read(STREAM_MIN - 4));
        let room = state.stream_slice(STREAM_MIN - 4);
        assert_eq!(room.len(), STREAM_MIN - 4);
        assert_eq!(
            state.streamed(usize::MAX),
            STREAM_MIN - 4,
            "at most the room"
        );
        assert_eq!(state.stream_step(), StreamStep::Write);
        state.wrote(STREAM_MIN);
        assert_eq!(
            state.copy_remaining(),
            Some(20_000 - (STREAM_MIN as u64 - 4))
        );
        assert!(matches!(
            state.stream_header(5),
            Err(Error::CopyUnfinished { len: 20_000, .. })
        ));
        assert!(
            state.stream_header(20_000).unwrap().is_none(),
            "go on with it"
        );
        assert!(matches!(
            state.check_not_streaming(),
            Err(Error::CopyUnfinished { .. })
        ));
        let left = 20_000 - (STREAM_MIN - 4);
        assert!(matches!(
            state.source_ended(),
            Error::SourceEnded { len: 20_000, left: l } if l == left as u64
        ));
        assert_eq!(state.stream_step(), StreamStep::Read(STREAM_MIN));
        state.stream_slice(STREAM_MIN);
        state.streamed(STREAM_MIN);
        state.wrote(STREAM_MIN);
        state.stream_slice(left - STREAM_MIN);
        state.streamed(left - STREAM_MIN);
        assert_eq!(state.stream_step(), StreamStep::Done);
        assert!(state.check_not_streaming().is_ok());
    }

    #[test]
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    fn room_for_an_unsized_frame_is_the_longest_since_the_flush_at_most_the_buffer() {
        let mut state = WriteState::new(Codec::default());
        assert_eq!(state.with_room(), 0);
        let head = head_for(&state, 3);
        state
            .feed_unsized(&head, Bytes::from_static(b"abc"))
            .unwrap();
        let head = head_for(&state, 1);
        state.feed_unsized(&head, Bytes::from_static(b"a")).unwrap();
        assert_eq!(state.with_room(), 7);
        state.set_capacity(5);
        assert_eq!(state.with_room(), 5);
        state.wrote(state.buffered_len());
        state.flushed();
        assert_eq!(state.with_room(), 0, "a flush forgets it");
    }

    #[test]
    fn a_small_frame_is_encoded_in_place_only_when_copied_whatever_its_header_and_the_allocation_has_room(
    ) {
        let codec = Codec::from_struct_format(">Q").unwrap();
        let mut state = WriteState::new(codec);
        // A fresh buffer has no allocation: the exact path queues (and grows) instead.
        assert!(!state.queue_small(b"abc"));
        assert!(state.is_empty());
        state.buf.reserve(1024);
        assert!(state.queue_small(b"abc"));
        assert_eq!(state.take_buffered(), encoded(codec, b"abc"));
        // The allocation must hold the payload and SMALL_ROOM more.
        let spare = state.buf.capacity() - state.buf.len();
        assert!(state.queue_small(&vec![7u8; spare - SMALL_ROOM]));
        state.take_buffered();
        state.buf.reserve(1024);
        let spare = state.buf.capacity() - state.buf.len();
        assert!(!state.queue_small(&vec![7u8; spare - SMALL_ROOM + 1]));
        // Copied whatever the header: the payload and SMALL_ROOM shorter than the buffer.
        state.set_capacity(SMALL_ROOM + 4);
        assert!(state.queue_small(b"abc"));
        assert!(!state.queue_small(b"abcd"));
        state.take_buffered();
        // Nothing is written first: a buffer that must write goes the exact way.
        state.set_capacity(1024);
        state.set_max_write(1);
        state.queue(b"x");
        assert!(!state.queue_small(b"abc"));
        assert_eq!(state.buffered_len(), 1);
        // A payload the encoder refuses: left to the exact rules (which refuse it), nothing
        // added; up to the maximum, encoded.
        state.set_max_write(DEFAULT_MAX_WRITE);
        state.set_max_frame_len(2);
        assert!(!state.queue_small(b"abc"));
        assert_eq!(state.buffered_len(), 1);
        assert!(state.queue_small(b"ab"));
        assert_eq!(state.buffered_len(), 1 + 8 + 2);
    }

    #[test]
    fn the_plain_field_writes_the_encoders_bytes_for_every_length_under_its_bound() {
        use crate::{Checksum, ChecksumAlgorithm, DEFAULT_MAX_FRAME_LEN};
        let short = i16::MAX as usize + 1;
        let long = DEFAULT_MAX_FRAME_LEN + 1;
        for (format, bound) in [
            ("<i", long),
            ("!I", long),
            (">Q", long),
            ("<Q", long),
            (">H", short),
            ("<h", short),
            ("<B", 0),
        ] {
            let codec = Codec::from_struct_format(format).unwrap();
            let plain = PlainField::of(&codec.encoder());
            assert_eq!(plain.bound(), bound, "{format}");
            for len in [0, 1, 5, 255, 256, 300, 65_000, 70_000] {
                if len >= bound {
                    continue;
                }
                let payload = vec![7u8; len];
                let mut out = BytesMut::with_capacity(len + 8);
                plain.put(&payload, &mut out);
                assert_eq!(out, encoded(codec, &payload), "{format} {len}");
                assert_eq!(out.len(), plain.width() + len);
            }
        }
        // The encoder's maximum, and no form with a checksum (a trailer follows the payload).
        let mut encoder = Codec::from_struct_format(">Q").unwrap().encoder();
        encoder.set_max_frame_len(100);
        assert_eq!(PlainField::of(&encoder).bound(), 101);
        let offset = Codec::builder().length_field_offset(1).struct_format("!H");
        assert_eq!(
            PlainField::of(&offset.build().unwrap().encoder()).bound(),
            0
        );
        let checked = Codec::builder()
            .struct_format(">Q")
            .checksum(Checksum::new(
                ChecksumAlgorithm::Fletcher8,
                crate::ByteOrder::Big,
            ))
            .build()
            .unwrap();
        assert_eq!(PlainField::of(&checked.encoder()).bound(), 0);
        let mut state = WriteState::new(checked);
        state.buf.reserve(1024);
        assert!(!state.queue_small(b"abc"));
    }

    #[test]
    fn a_frame_with_the_longest_header_is_encoded_in_place_only_when_shorter_than_the_buffer() {
        // SMALL_ROOM stands for any header: with the longest one (offset 16, an 8-byte field),
        // a frame exactly the buffer's size is not one the exact rules copy, so the short path
        // must leave it to them even when the allocation has room.
        let codec = Codec::builder()
            .length_field_offset(crate::MAX_LENGTH_OFFSET)
            .struct_format(">Q")
            .build()
            .unwrap();
        let mut state = WriteState::new(codec);
        state.set_capacity(1024);
        state.buf.reserve(4096);
        let payload = vec![7u8; 1024 - crate::MAX_HEADER_LEN];
        assert!(!state.queue_small(&payload));
        assert!(state.is_empty());
        // One byte shorter still is not copied whatever its header: also left to the exact
        // rules, which copy it (the frame is shorter than the buffer).
        assert!(!state.queue_small(&payload[1..]));
        assert!(state.is_empty());
    }

    #[test]
    fn a_small_frame_waits_for_the_buffer_to_be_written_when_it_and_small_room_do_not_fit() {
        // An empty payload's frame behind 1000 buffered bytes of a 1024-byte buffer: the
        // payload and SMALL_ROOM do not fit, so the exact rules decide (they write first), even
        // though the allocation has room.
        let mut state = WriteState::new(Codec::default());
        state.set_capacity(1024);
        state.buf.reserve(4096);
        state.queue(&[0; 1000]);
        assert!(!state.queue_small(b""));
        assert_eq!(state.buffered_len(), 1000);
        // With room for SMALL_ROOM after it, encoded in place.
        state.take_buffered();
        state.buf.reserve(4096);
        state.queue(&[0; 1024 - SMALL_ROOM]);
        assert!(state.queue_small(b""));
        assert_eq!(state.buffered_len(), 1024 - SMALL_ROOM + 4);
    }

    #[test]
    fn a_small_frame_is_encoded_in_place_only_into_the_allocation_left_after_what_is_buffered() {
        // 100 bytes buffered: the room is the allocation's spare, not its whole capacity.
        let mut state = WriteState::new(Codec::default());
        state.buf.reserve(1024);
        state.queue(&[0; 100]);
        let spare = state.buf.capacity() - state.buf.len();
        let allocation = state.buf.capacity();
        assert!(!state.queue_small(&vec![7u8; spare - SMALL_ROOM + 1]));
        assert_eq!(state.buffered_len(), 100);
        assert!(state.queue_small(&vec![7u8; spare - SMALL_ROOM]));
        assert_eq!(state.buf.capacity(), allocation, "no growth");
    }

    #[test]
    #[cfg(feature = "tokio")]
    fn the_room_of_a_read_into_uninitialised_memory_counts_toward_the_peak() {
        // tokio's copy_frame_from: the buffer's peak (what the give-back judges) is what is
        // buffered plus the room, as for stream_slice's zeroed room.
        let mut state = WriteState::new(Codec::default());
        state.queue(&[0; 10]);
        assert_eq!(bytes::BufMut::remaining_mut(&state.stream_room(100)), 100);
        assert_eq!(state.peak, 110);
        assert_eq!(state.streamed(0), 0);
        assert_eq!(state.buffered_len(), 10);
    }

    #[test]
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    fn a_small_owned_payload_is_encoded_in_place_up_to_copy_max_and_sets_the_room() {
        let mut state = WriteState::new(Codec::default());
        state.buf.reserve(4 * COPY_MAX);
        assert!(state.feed_small(b"abc"));
        assert_eq!(state.with_room(), 7);
        assert!(state.feed_small(&[7u8; COPY_MAX]));
        assert_eq!(state.with_room(), 4 + COPY_MAX);
        let before = state.buffered_len();
        assert!(!state.feed_small(&[7u8; COPY_MAX + 1]));
        assert_eq!(state.buffered_len(), before);
        assert_eq!(state.with_room(), 4 + COPY_MAX);
    }

    #[test]
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    fn a_sink_is_ready_without_writing_exactly_when_the_exact_rule_says_so() {
        // With nothing queued, `sink_ready` is `must_write(with_room().max(1))` negated, for
        // every capacity, max_write, room and buffered length; the mark follows each setting,
        // whichever was set last, and a flush.
        let exact = |state: &WriteState| !state.must_write(state.with_room().max(1));
        for capacity in [0, 1, 40, 100] {
            for max_write in [1, 30, 60, 1000] {
                for with in [0, 1, 10, 60, 200] {
                    for capacity_last in [false, true] {
                        let mut state = WriteState::new(Codec::default());
                        if capacity_last {
                            state.set_max_write(max_write);
                            state.set_capacity(capacity);
                        } else {
                            state.set_capacity(capacity);
                            state.set_max_write(max_write);
                        }
                        state.note_unsized(with);
                        assert_eq!(state.with_len, with);
                        for len in 0..=capacity + 2 {
                            state.buf.clear();
                            state.queue(&vec![0; len]);
                            let case = (capacity, max_write, with, len);
                            assert_eq!(state.sink_ready(), exact(&state), "{case:?}");
                        }
                        state.flushed();
                        state.queue(&vec![0; capacity.saturating_sub(1)]);
                        assert_eq!(state.sink_ready(), exact(&state), "after a flush");
                    }
                }
            }
        }
        // Something queued before the buffer: the exact rule decides.
        let mut state = WriteState::new(Codec::default());
        state.push_unsent(Bytes::from_static(b"abc"));
        assert!(!state.sink_ready());
        assert!(exact(&state));
        // The room only grows until the flush.
        state.note_unsized(50);
        state.note_unsized(20);
        assert_eq!(state.with_len, 50);
    }

    #[test]
    fn buffered_bytes_taken_or_pushed_keep_their_order() {
        let mut state = WriteState::new(Codec::default());
        state.queue(b"a");
        feed(&mut state, Bytes::from(vec![b'b'; COPY_MAX + 1]));
        state.queue(b"c");
        let all = state.take_buffered();
        assert_eq!(all.len(), COPY_MAX + 7);
        assert_eq!((all[0], all[5], all[all.len() - 1]), (b'a', b'b', b'c'));
        assert!(state.is_empty());
        state.queue(b"x");
        state.push_unsent(Bytes::from_static(b"yz"));
        state.queue(b"w");
        assert_eq!(
            state.single_part([b"", b""]),
            None,
            "two parts: no single one"
        );
        assert_eq!(&state.take_buffered()[..], b"xyzw");
        state.queue(b"only");
        assert_eq!(state.single_part([b"", b""]), Some(&b"only"[..]));
        assert_eq!(state.single_part([b"more", b""]), None);
        assert_eq!(state.single_part([b"", b"tr"]), None);
        state.wrote(4);
        assert_eq!(state.single_part([b"", b"tr"]), Some(&b"tr"[..]));
        assert_eq!(state.single_part([b"p", b"tr"]), None);
    }

    fn crc_codec() -> Codec {
        use crate::{ByteOrder, Checksum, ChecksumAlgorithm};
        Codec::builder()
            .sync_bytes(b"\xB5\x62")
            .length_field_offset(2)
            .struct_format("<H")
            .checksum(Checksum::new(
                ChecksumAlgorithm::Fletcher8,
                ByteOrder::Little,
            ))
            .build()
            .unwrap()
    }

    fn encoded(codec: Codec, payload: &[u8]) -> Vec<u8> {
        let mut out = BytesMut::new();
        codec.encoder().encode(payload, &mut out).unwrap();
        out.to_vec()
    }

    #[test]
    fn a_copied_frame_gets_its_trailer_from_the_copy() {
        let codec = crc_codec();
        let mut state = WriteState::new(codec);
        let head = head_for(&state, 3);
        assert_eq!(state.frame_len(&head, 3), 6 + 3 + 2);
        state.queue_copied(&head, b"abc");
        assert_eq!(&state.buf[..], &encoded(codec, b"abc")[..]);
    }

    #[test]
    fn an_owned_payload_not_copied_is_followed_by_its_trailer() {
        let codec = crc_codec();
        let payload = vec![9u8; COPY_MAX + 1];
        let mut state = WriteState::new(codec);
        let head = head_for(&state, payload.len());
        assert_eq!(
            state.feed_adds(&head, payload.len()),
            8,
            "header and trailer"
        );
        assert_eq!(state.feed(&head, Bytes::from(payload.clone())).unwrap(), 8);
        assert_eq!(
            state.queue.len(),
            2,
            "the header, then the payload as it came"
        );
        assert_eq!(&state.take_buffered()[..], &encoded(codec, &payload)[..]);
    }

    #[test]
    fn a_frame_written_through_ends_with_its_trailer_slice_and_keeps_it_when_cut() {
        let codec = crc_codec();
        let payload = vec![5u8; 100];
        let mut state = WriteState::new(codec);
        state.set_capacity(10);
        let head = head_for(&state, payload.len());
        let trailer = state.trailer(&head, &payload).unwrap();
        state.queue_head(&head);
        let mut frame = Through::new(head.len(), &payload, trailer);
        assert_eq!(lens(&state, frame.rest()[0]).len(), 2);
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        let count = state.io_slices(frame.rest(), &mut slices);
        let wire: Vec<u8> = slices[..count].iter().flat_map(|s| s.to_vec()).collect();
        assert_eq!(wire, encoded(codec, &payload), "header, payload, trailer");
        // Cut inside the trailer: its last byte is buffered.
        state.wrote_through(&mut frame, 6 + 100 + 1);
        assert!(!frame.is_done());
        assert!(state.end_through(&frame));
        assert_eq!(&state.take_buffered()[..], &wire[wire.len() - 1..]);
    }

    #[test]
    fn a_streamed_payload_gets_its_trailer_computed_as_it_comes() {
        let codec = crc_codec();
        let payload: Vec<u8> = (0..20_000u32).map(|i| i as u8).collect();
        let mut state = WriteState::new(codec);
        let (head, digest) = state.stream_header(20_000).unwrap().unwrap();
        state.start_stream(&head, digest, 20_000);
        let mut wire = Vec::new();
        let mut at = 0;
        loop {
            match state.stream_step() {
                StreamStep::Done => break,
                StreamStep::Write => {
                    wire.extend_from_slice(&state.take_buffered());
                }
                StreamStep::Read(want) => {
                    // Short reads, 777 bytes at most.
                    let n = want.min(777).min(payload.len() - at);
                    state.stream_slice(want)[..n].copy_from_slice(&payload[at..at + n]);
                    at += state.streamed(n);
                }
            }
        }
        wire.extend_from_slice(&state.take_buffered());
        assert_eq!(wire, encoded(codec, &payload));
    }

    #[test]
    fn a_custom_check_copies_every_frame_and_cannot_stream() {
        use crate::{ByteOrder, Checksum, EncodeError};
        fn sum(covered: &[u8]) -> u64 {
            covered.iter().map(|&b| u64::from(b)).sum()
        }
        let codec = Codec::builder()
            .sync_bytes(b"\xFE")
            .struct_format("<H")
            .checksum(Checksum::custom(sum, 2, ByteOrder::Big))
            .build()
            .unwrap();
        let mut state = WriteState::new(codec);
        state.set_capacity(10);
        assert!(state.copies(1000), "copied whatever its length");
        let head = head_for(&state, 100);
        assert_eq!(state.feed_adds(&head, 100), 105);
        assert!(matches!(
            state.stream_header(100),
            Err(Error::Encode(EncodeError::ChecksumNeedsWholeFrame {
                trailer_len: 2
            }))
        ));
        assert!(state.is_empty());
        state.queue_copied(&head, &[1; 100]);
        assert_eq!(&state.buf[..], &encoded(codec, &[1; 100])[..]);
    }

    // Survivors of the first unit-speed mutation run over this file (docs/testing.md).

    #[test]
    fn a_head_is_queued_with_its_prefix_in_place_of_the_zeros() {
        let codec = Codec::builder()
            .length_field_offset(1)
            .struct_format("!I")
            .length_adjustment(-4)
            .build()
            .unwrap();
        let mut state = WriteState::new(codec);
        let head = state.head(Some(b"Q"), 3).unwrap();
        state.queue_head(&head);
        let head = state.head(None, 3).unwrap();
        state.queue_head(&head);
        assert_eq!(&state.buf[..], b"Q\0\0\0\x07\0\0\0\0\x07");
    }

    #[test]
    fn a_frame_written_in_place_is_appended_and_sets_the_room_for_the_next() {
        let mut state = WriteState::new(Codec::default());
        state.queue(b"xy");
        state
            .encode_with(|buf: &mut BytesMut| {
                buf.extend_from_slice(b"abc");
                Ok::<(), Error>(())
            })
            .unwrap();
        assert_eq!(&state.buf[..], b"xy\x03\0\0\0abc");
        assert_eq!(
            state.with_room(),
            7,
            "the frame's own length, not what was before it"
        );
    }

    #[test]
    fn a_queued_chunk_written_exactly_leaves_the_queue() {
        let mut state = WriteState::new(Codec::default());
        feed(&mut state, Bytes::from(vec![1; COPY_MAX + 1]));
        state.queue(b"tail");
        assert_eq!(state.wrote(4 + COPY_MAX + 1), 0);
        assert_eq!(
            state.single_part([b"", b""]),
            Some(&b"tail"[..]),
            "one part left"
        );
    }

    #[test]
    fn a_buffer_as_large_as_its_size_is_kept_when_written() {
        let kept_after = |len: usize| {
            let mut state = WriteState::new(Codec::default());
            state.set_capacity(SMALL);
            state.queue(&vec![0; len]);
            state.wrote(len);
            state.queue(b"x");
            state.buf.capacity()
        };
        assert!(kept_after(SMALL) >= SMALL, "not more than its size: kept");
        assert!(kept_after(SMALL + 1) < SMALL, "more: given back at once");
    }

    #[test]
    fn a_flush_gives_back_a_queue_of_more_than_max_slices_and_only_an_empty_one() {
        let queue_capacity_after = |chunks: usize, write: bool| {
            let mut state = WriteState::new(Codec::default());
            for _ in 0..chunks {
                state.push(Bytes::from_static(b"c"));
            }
            let queued = state.buffered_len();
            if write {
                state.wrote(queued);
            }
            state.flushed();
            assert_eq!(state.buffered_len(), if write { 0 } else { queued });
            state.queue.capacity()
        };
        assert_eq!(queue_capacity_after(MAX_SLICES + 1, true), 0);
        assert!(queue_capacity_after(MAX_SLICES, true) >= MAX_SLICES, "kept");
        assert!(
            queue_capacity_after(MAX_SLICES + 1, false) > MAX_SLICES,
            "still queued"
        );
    }

    #[test]
    fn the_rest_of_a_cut_frame_gets_an_exact_buffer_only_past_the_buffer_size() {
        let payload = vec![7u8; 100];
        // Written through after a large buffer went out: its allocation is still there.
        let capacity_after = |capacity: usize, sent: usize| {
            let mut state = WriteState::new(Codec::default());
            state.set_capacity(capacity);
            state.queue(&vec![0; 4 * KIB]);
            state.queue(&[100, 0, 0, 0]);
            let mut frame = Through::new(4, &payload, Trailer::NONE);
            state.wrote_through(&mut frame, 4 * KIB + 4 + sent);
            assert!(state.end_through(&frame));
            assert_eq!(state.buffered_len(), 100 - sent);
            state.buf.capacity()
        };
        assert_eq!(capacity_after(50, 30), 70, "70 > 50: exactly what it takes");
        let kept = capacity_after(70, 30);
        assert!(kept > KIB, "70 = 70: the buffer it has, not {kept}");
        assert!(
            capacity_after(50, 100) > KIB,
            "nothing left: nothing allocated"
        );
    }

    /// Whether a run of large frames is under way (`WriteState::start_run`).
    fn in_run(state: &WriteState) -> bool {
        state.gather != 0
    }

    /// A state with a buffer of 100 bytes and writes of at most 1,000 (a run copies frames of
    /// up to 250), which wrote a `frame_len`-byte borrowed frame through, whole.
    fn after_a_frame_written_through(frame_len: usize) -> WriteState {
        let mut state = WriteState::new(Codec::default());
        state.set_capacity(100);
        state.set_max_write(1000);
        let payload = vec![7u8; frame_len - 4];
        state.queue(&[0; 4]);
        let mut frame = Through::new(4, &payload, Trailer::NONE);
        state.wrote_through(&mut frame, frame_len);
        assert!(frame.is_done());
        assert!(state.end_through(&frame));
        state
    }

    #[test]
    fn a_run_starts_with_a_frame_written_through_of_the_buffer_size_up_to_a_quarter_write() {
        assert_eq!(GATHER_SHARE, 4);
        assert_eq!(DEFAULT_MAX_WRITE / GATHER_SHARE, 256 * KIB);
        assert!(!in_run(&WriteState::new(Codec::default())));
        assert!(!in_run(&after_a_frame_written_through(99)));
        assert!(in_run(&after_a_frame_written_through(100)));
        assert!(in_run(&after_a_frame_written_through(250)));
        assert!(!in_run(&after_a_frame_written_through(251)));
        // A frame withdrawn (none of it went out) starts nothing.
        let mut state = WriteState::new(Codec::default());
        state.set_capacity(100);
        state.set_max_write(1000);
        state.queue(&[0; 4]);
        let payload = [7u8; 196];
        assert!(!state.end_through(&Through::new(4, &payload, Trailer::NONE)));
        assert!(!in_run(&state));
        // A buffer size of 0 writes every frame at once: no run.
        let mut state = WriteState::new(Codec::default());
        state.set_capacity(0);
        state.queue(&[0; 4]);
        let mut frame = Through::new(4, &payload, Trailer::NONE);
        state.wrote_through(&mut frame, 200);
        assert!(state.end_through(&frame));
        assert!(!in_run(&state));
        assert!(!state.copies(200));
    }

    #[test]
    fn a_run_counts_a_frame_with_its_trailer() {
        // Frames of 250 and 251 bytes in all, 2 of them the trailer.
        let in_run_after = |frame_len: usize| {
            let mut state = WriteState::new(crc_codec());
            state.set_capacity(100);
            state.set_max_write(1000);
            let head = head_for(&state, frame_len - 2 - 6);
            assert_eq!(head.len(), 6);
            let payload = vec![7u8; frame_len - 8];
            let trailer = state.trailer(&head, &payload).unwrap();
            state.queue_head(&head);
            let mut frame = Through::new(head.len(), &payload, trailer);
            state.wrote_through(&mut frame, frame_len);
            assert!(frame.is_done());
            assert!(state.end_through(&frame));
            in_run(&state)
        };
        assert!(in_run_after(250));
        assert!(!in_run_after(251));
    }

    #[test]
    fn a_run_copies_frames_up_to_a_quarter_write_until_the_flush() {
        let mut state = after_a_frame_written_through(200);
        assert!(state.copies(99), "shorter than the buffer: copied as ever");
        assert!(state.copies(100) && state.copies(250));
        assert!(!state.copies(251), "longer: written through");
        state.flushed();
        assert!(!in_run(&state));
        assert!(!state.copies(100));
        for end in [
            |state: &mut WriteState| state.set_capacity(100),
            |state: &mut WriteState| state.set_max_write(1000),
        ] {
            let mut state = after_a_frame_written_through(200);
            end(&mut state);
            assert!(!state.copies(100), "a new setting ends the run");
            assert!(!state.must_write(1), "empty");
        }
    }

    #[test]
    fn a_run_buffers_up_to_max_write_and_one_frame_then_writes() {
        let mut state = after_a_frame_written_through(200);
        assert!(!state.must_write_large(1000), "empty");
        state.reserve_copied(200);
        state.queue(&[1; 999]);
        // 999 + 251 = 1,250: the most a run holds (max_write, then one frame of 250).
        assert!(!state.must_write_large(251));
        assert!(state.must_write_large(252));
        // A small frame waits for the buffer's size, as ever.
        assert!(state.must_write(99));
        state.queue(&[1; 1]);
        assert!(state.must_write_large(100), "max_write reached");
        // A write that took part of it: room for one more frame, not for two (the second is
        // written out first, then the buffer is reused from its front).
        let mut state = after_a_frame_written_through(200);
        state.reserve_copied(200);
        state.queue(&[1; 800]);
        state.wrote(300);
        assert_eq!(
            (state.must_write_large(450), state.must_write_large(451)),
            (false, true)
        );
        // Outside a run, the buffer's size.
        let mut state = after_a_frame_written_through(300);
        state.reserve_copied(100);
        state.queue(&[1; 50]);
        assert!(!state.must_write_large(50));
        assert!(state.must_write_large(51));
    }

    #[test]
    fn a_run_keeps_its_buffer_between_writes_and_the_flush_gives_it_back() {
        // A buffer of 16 KiB, writes of 256 KiB: a run copies frames of up to 64 KiB and holds
        // up to 320 KiB.
        let written_through = |frame_len: usize| {
            let mut state = WriteState::new(Codec::default());
            state.set_capacity(16 * KIB);
            state.set_max_write(256 * KIB);
            let payload = vec![7u8; frame_len - 4];
            state.queue(&[0; 4]);
            let mut frame = Through::new(4, &payload, Trailer::NONE);
            state.wrote_through(&mut frame, frame_len);
            assert!(state.end_through(&frame));
            state
        };
        let mut state = written_through(20 * KIB);
        assert!(in_run(&state));
        state.reserve_copied(20 * KIB);
        assert_eq!(state.buf.capacity(), 320 * KIB, "the run's limit, at once");
        state.queue(&vec![1; 300 * KIB]);
        state.wrote(300 * KIB);
        // Emptied by the write: kept, and taken back to its allocation's front.
        assert_eq!(
            state.buf.capacity(),
            320 * KIB,
            "kept for the next frames, from its front"
        );
        state.reserve_copied(20 * KIB);
        let capacity = state.buf.capacity();
        assert!(
            (320 * KIB..321 * KIB).contains(&capacity),
            "from its front again: {capacity}"
        );
        state.flushed();
        assert_eq!(state.buf.capacity(), 0, "given back by the flush");
        // Outside a run, a buffer that held more than its size goes at once, as before.
        let mut state = written_through(70 * KIB);
        assert!(!in_run(&state));
        state.queue(&[1; 20 * KIB]);
        state.wrote(20 * KIB);
        assert_eq!(state.buf.capacity(), 0);
    }

    #[test]
    fn a_large_copied_frame_without_room_reserves_the_limit_at_once() {
        let mut state = after_a_frame_written_through(200);
        state.queue(&[1; 10]);
        let spare = state.buf.capacity() - 10;
        state.reserve_copied(spare);
        assert_eq!(
            state.buf.capacity(),
            spare + 10,
            "room enough: nothing reserved"
        );
        state.reserve_copied(spare + 1);
        assert_eq!(state.buf.capacity(), 1250, "the run's limit");
        state.reserve_copied(1240);
        assert_eq!(state.buf.capacity(), 1250, "room enough");
        // Longer than the limit (a caller's own check copies every frame): what it takes.
        state.reserve_copied(1241);
        assert!(state.buf.capacity() >= 1251);
    }

    #[test]
    fn a_short_source_read_keeps_only_what_came() {
        let mut state = WriteState::new(Codec::default());
        let (head, digest) = state.stream_header(500).unwrap().unwrap();
        state.start_stream(&head, digest, 500);
        state.stream_slice(100);
        assert_eq!(state.streamed(10), 10);
        assert_eq!(state.buffered_len(), 4 + 10);
        assert_eq!(state.copy_remaining(), Some(490));
    }
}
