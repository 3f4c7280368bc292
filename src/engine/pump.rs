//! The loops every frame reader and writer runs, written once for every runtime.
//!
//! A reader or writer is a [`ReadLoop`] or a [`WriteLoop`] around its runtime's I/O object,
//! seen through three small traits: [`FillRead`] (read once into the reader's buffer),
//! [`WriteIo`] (write, flush, shut down; its [`WritePart`] alone for `copy_frame_to`'s
//! destination) and [`PayloadSource`] (read a `copy_frame_from`
//! payload). `tokio.rs` and `futures.rs` implement them with their runtime's `AsyncRead` and
//! `AsyncWrite`, which differ only in how a read gets its memory (tokio reads into uninitialised
//! memory, futures-io into initialised memory), in whether a writer says it takes vectored
//! writes, and in tokio's frame deadline. `blocking.rs` implements them with `std::io` calls,
//! which are always ready, and runs the same loops to completion in one poll
//! ([`ready::run`](super::ready::run)). The loops decide nothing either: every buffering,
//! skipping and error rule is in the read and write state, which says what to do next
//! (`CopyStep`, `StreamStep`, `WriteState::must_write`); the loops only sequence the I/O, so the
//! adapters cannot drift apart.

use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};

use super::head::Head;
use super::read::{continues_after, CopyStep, ReadState};
use super::ready::poll_once;
use super::write::{StreamStep, Through, WriteState, MAX_SLICES};
use super::write_zero;
use crate::Error;

/// A runtime's `AsyncRead` as a frame reader uses it: one read into the reader's buffer.
pub(crate) trait FillRead {
    /// Reads once into `state`'s buffer, retrying `Interrupted`, and tells `state` how it went
    /// (`filled`, `idle` when nothing is ready, `read_failed`): the bytes read, 0 at the end of
    /// the stream.
    fn poll_fill(
        &mut self,
        cx: &mut Context<'_>,
        state: &mut ReadState,
    ) -> Poll<Result<usize, Error>>;

    /// Called after each decoding step, whatever its outcome: tokio's reader starts its frame
    /// clock here once a header is in. (Not after `ReadState::decode_whole`, which leaves the
    /// reader between frames.)
    #[inline]
    fn stepped(&mut self, _state: &ReadState) {}
}

/// A runtime's `AsyncWrite` as `copy_frame_to`'s destination uses it: one write at a time.
pub(crate) trait WritePart {
    /// One write of `buf`: how many bytes went.
    fn poll_write_part(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
}

/// A runtime's `AsyncWrite` as a frame writer uses it: [`WritePart`]'s single writes, gathered
/// writes, flush and shut down.
pub(crate) trait WriteIo: WritePart {
    /// One write of `parts` (more than one), vectored where the writer takes vectored writes
    /// (otherwise the first part alone).
    fn poll_write_parts(
        &mut self,
        cx: &mut Context<'_>,
        parts: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;

    fn poll_flush_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Shuts the writer down: tokio's `poll_shutdown`, futures-io's `poll_close`.
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    /// (Only the async writers shut down; by default, a flush.)
    fn poll_close_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush_io(cx)
    }
}

/// A writer's I/O object that `into_inner` can take out of a writer with a `Drop`: once taken,
/// every call fails with `NotConnected` (only that `Drop` can still make one).
impl<T: WritePart> WritePart for Option<T> {
    #[inline]
    fn poll_write_part(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self {
            Some(io) => io.poll_write_part(cx, buf),
            None => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }
}

impl<T: WriteIo> WriteIo for Option<T> {
    fn poll_write_parts(
        &mut self,
        cx: &mut Context<'_>,
        parts: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self {
            Some(io) => io.poll_write_parts(cx, parts),
            None => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }

    fn poll_flush_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Some(io) => io.poll_flush_io(cx),
            None => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }

    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    fn poll_close_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Some(io) => io.poll_close_io(cx),
            None => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }
}

/// A runtime's `AsyncRead` as a `copy_frame_from` source.
pub(crate) trait PayloadSource {
    /// Reads at most `want` payload bytes into `state`'s buffer
    /// (`WriteState::stream_slice`/`stream_room`) and reports them with `WriteState::streamed`
    /// whatever the outcome (0 unless it read bytes): how many came, 0 at the end of the source.
    fn poll_read_payload(
        &mut self,
        cx: &mut Context<'_>,
        state: &mut WriteState,
        want: usize,
    ) -> Poll<io::Result<usize>>;
}

/// An async frame reader: its I/O object and its state.
#[derive(Debug)]
pub(crate) struct ReadLoop<I> {
    pub(crate) io: I,
    pub(crate) state: ReadState,
    /// The `Stream` (or `Iterator`) has ended: at a clean end of stream, or after an error it
    /// cannot continue from.
    stream_ended: bool,
}

impl<I> ReadLoop<I> {
    pub(crate) fn new(io: I, state: ReadState) -> Self {
        ReadLoop {
            io,
            state,
            stream_ended: false,
        }
    }
}

impl<I: FillRead> ReadLoop<I> {
    /// The next frame, or `None` at a clean end of stream: [`read_buffered`](Self::read_buffered),
    /// then [`poll_read_more`](Self::poll_read_more) (as the blocking reader runs them). A frame
    /// in the buffer is returned without a poll function around it.
    ///
    /// Each call reads again, even after an end of stream: a reader that returned 0 once (a
    /// terminal's end of input, a file being appended to) may have more later.
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    pub(crate) async fn read_frame(&mut self) -> Result<Option<Bytes>, Error> {
        if let Some(frame) = self.read_buffered()? {
            return Ok(Some(frame));
        }
        poll_fn(|cx| self.poll_read_more(cx)).await
    }

    /// The next frame if the buffer holds it: no I/O (the common case with small frames, many
    /// to a read, takes `ReadState::decode_whole`'s few comparisons).
    #[inline]
    pub(crate) fn read_buffered(&mut self) -> Result<Option<Bytes>, Error> {
        if let Some(frame) = self.state.decode_whole() {
            return Ok(Some(frame));
        }
        self.decode_buffered()
    }

    /// [`read_buffered`](Self::read_buffered) once the common case did not apply: a copy under
    /// way, a frame being skipped, sync bytes or a checksum, an error, or no whole frame.
    #[inline(never)]
    fn decode_buffered(&mut self) -> Result<Option<Bytes>, Error> {
        self.state.check_not_copying()?;
        let frame = self.state.decode();
        self.io.stepped(&self.state);
        Ok(frame?)
    }

    /// The rest of [`read_frame`](Self::read_frame) once the buffer holds no frame:
    /// read, then decode, until a frame or the end. Kept out of line, so that the per-frame
    /// path around it stays small enough to inline.
    #[inline(never)]
    pub(crate) fn poll_read_more(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Bytes>, Error>> {
        loop {
            let eof = ready!(self.poll_fill(cx))?;
            let frame = if eof {
                self.state.decode_eof()
            } else {
                self.state.decode()
            };
            self.io.stepped(&self.state);
            match frame? {
                Some(frame) => return Poll::Ready(Ok(Some(frame))),
                None if eof => return Poll::Ready(Ok(None)),
                None => {}
            }
        }
    }

    /// The next frame lent from the buffer (`ReadState::lent`) if the buffer holds it: whether
    /// it does. No I/O.
    #[inline]
    pub(crate) fn lend_buffered(&mut self) -> Result<bool, Error> {
        self.state.check_not_copying()?;
        let lent = self.state.decode_ref();
        self.io.stepped(&self.state);
        Ok(lent?)
    }

    /// The next frame lent from the buffer, once [`lend_buffered`](Self::lend_buffered) found
    /// none: read, then decode, until a frame (`true`) or the end (`false`).
    #[inline(never)]
    pub(crate) fn poll_lend_more(&mut self, cx: &mut Context<'_>) -> Poll<Result<bool, Error>> {
        loop {
            let eof = ready!(self.poll_fill(cx))?;
            let lent = if eof {
                self.state.decode_eof_ref()
            } else {
                self.state.decode_ref()
            };
            self.io.stepped(&self.state);
            match lent? {
                true => return Poll::Ready(Ok(true)),
                false if eof => return Poll::Ready(Ok(false)),
                false => {}
            }
        }
    }

    /// Copies the next frame's payload to `dst`: its length, or `None` at a clean end.
    pub(crate) async fn copy_frame_to<D: WritePart + ?Sized>(
        &mut self,
        dst: &mut D,
    ) -> Result<Option<u64>, Error> {
        poll_fn(|cx| self.poll_copy_frame_to(cx, dst)).await
    }

    fn poll_copy_frame_to<D: WritePart + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut D,
    ) -> Poll<Result<Option<u64>, Error>> {
        let mut eof = false;
        loop {
            let step = self.state.copy_step(eof);
            self.io.stepped(&self.state);
            match step? {
                CopyStep::Done(len) => return Poll::Ready(Ok(len)),
                CopyStep::Read => eof = ready!(self.poll_fill(cx))?,
                CopyStep::Write => match ready!(dst.poll_write_part(cx, self.state.copy_chunk())) {
                    Ok(0) => return Poll::Ready(Err(write_zero().into())),
                    Ok(written) => self.state.copied(written),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Poll::Ready(Err(err.into())),
                },
            }
        }
    }

    /// One read: whether it found the end of the stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<bool, Error>> {
        let n = ready!(self.io.poll_fill(cx, &mut self.state))?;
        Poll::Ready(Ok(n == 0))
    }

    /// `Stream::poll_next` and `Iterator::next`: the stream ends at a clean end of stream, and
    /// after an error it goes on only if reading can continue from it (`continues_after`).
    #[inline]
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Error>>> {
        // The per-frame case (a whole frame in the buffer) returns at once; the rest out of line.
        if !self.stream_ended {
            if let Some(frame) = self.state.decode_whole() {
                return Poll::Ready(Some(Ok(frame)));
            }
        }
        self.poll_next_more(cx)
    }

    /// [`poll_next`](Self::poll_next) once the buffer held no whole frame on the common path.
    #[inline(never)]
    fn poll_next_more(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Error>>> {
        if self.stream_ended {
            return Poll::Ready(None);
        }
        let result = match self.decode_buffered() {
            Ok(Some(frame)) => return Poll::Ready(Some(Ok(frame))),
            Ok(None) => ready!(self.poll_read_more(cx)),
            Err(err) => Err(err),
        };
        Poll::Ready(self.stream_item(result))
    }

    /// The item [`poll_next`](Self::poll_next) yields for what a read found, and whether the
    /// stream ends with it.
    #[inline(never)]
    fn stream_item(
        &mut self,
        result: Result<Option<Bytes>, Error>,
    ) -> Option<Result<Bytes, Error>> {
        match result {
            Ok(Some(frame)) => Some(Ok(frame)),
            Ok(None) => {
                self.stream_ended = true;
                None
            }
            Err(err) => {
                self.stream_ended = !continues_after(&err, self.state.skipping());
                Some(Err(err))
            }
        }
    }
}

/// A frame writer: its I/O object and the bytes accepted and not yet written.
#[derive(Debug)]
pub(crate) struct WriteLoop<W> {
    pub(crate) io: W,
    pub(crate) state: WriteState,
    /// What [`dropped`](Self::dropped) does: set by the first call that accepts bytes (the
    /// only calls that know `W` is a writer; a writer type without bounds cannot have a `Drop`
    /// that writes otherwise).
    on_drop: Option<fn(&mut Self)>,
}

impl<W> WriteLoop<W> {
    pub(crate) fn new(io: W, state: WriteState) -> Self {
        WriteLoop {
            io,
            state,
            on_drop: None,
        }
    }

    /// For an async writer's `Drop`: a best-effort write of what is buffered, without waiting
    /// (see [`write_out_now`](WriteLoop::write_out_now)).
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    pub(crate) fn dropped(&mut self) {
        if let Some(on_drop) = self.on_drop {
            on_drop(self);
        }
    }
}

impl<W: WriteIo> WriteLoop<W> {
    /// Arms [`dropped`](Self::dropped).
    #[inline]
    fn arm(&mut self) {
        self.on_drop = Some(Self::write_out_now);
    }

    /// Writes out what is buffered and flushes, polling once with a no-op waker: what the
    /// inner writer takes without waiting goes out; once it would wait (`Pending`: a full
    /// socket) or fails, the rest is dropped with the writer. Nothing blocks, nothing panics.
    fn write_out_now(&mut self) {
        if !self.state.is_empty() {
            let _ = poll_once(poll_fn(|cx| self.poll_flush(cx)));
        }
    }

    /// A borrowed payload: copied if its frame is shorter than the buffer, otherwise written
    /// through from `payload` before this returns (see `LargeWrite` for a cancelled one).
    /// `prefix`: the bytes before the length field (`write_frame_with_prefix`).
    ///
    /// `Err` means the frame was not accepted (none of it queued or written): the same call can
    /// be made again. A large frame whose write failed after part of it went out is accepted,
    /// its rest buffered: `Ok`, and the next write or flush meets the error if it persists.
    pub(crate) async fn write_frame(
        &mut self,
        prefix: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<(), Error> {
        match self.queue_frame(prefix, payload)? {
            None => Ok(()),
            Some(head) => self.write_frame_io(head, payload).await,
        }
    }

    /// [`write_frame_io`](Self::write_frame_io) for a caller that let go of the header
    /// [`queue_frame`](Self::queue_frame) returned (an async shell: holding it across the
    /// `.await` costs more per frame than building it again on this rarer path).
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    pub(crate) async fn write_frame_again(
        &mut self,
        prefix: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<(), Error> {
        let head = self.state.head(prefix, payload.len())?;
        self.write_frame_io(head, payload).await
    }

    /// The rest of [`write_frame`](Self::write_frame) once [`queue_frame`](Self::queue_frame)
    /// returned the frame's `head` (it checked the frame can go in and armed the drop).
    pub(crate) async fn write_frame_io(&mut self, head: Head, payload: &[u8]) -> Result<(), Error> {
        if poll_fn(|cx| self.poll_queue_copied(cx, &head, payload)).await? {
            return Ok(());
        }
        self.write_through(head, payload).await
    }

    /// A frame that is copied (see `WriteState::copies`), once
    /// [`queue_frame`](Self::queue_frame) found no room for it: room is made, then it is queued
    /// (`true`). `false`: a large frame, nothing done. Cancel-safe: nothing is queued before
    /// the room is made.
    pub(crate) fn poll_queue_copied(
        &mut self,
        cx: &mut Context<'_>,
        head: &Head,
        payload: &[u8],
    ) -> Poll<Result<bool, Error>> {
        let frame_len = self.state.frame_len(head, payload.len());
        if !self.state.copies(frame_len) {
            return Poll::Ready(Ok(false));
        }
        if !self.state.copies_unchecked(frame_len) {
            return self.poll_queue_large(cx, head, payload, frame_len);
        }
        ready!(self.poll_make_room(cx, frame_len))?;
        self.state.queue_copied(head, payload);
        Poll::Ready(Ok(true))
    }

    /// [`poll_queue_copied`](Self::poll_queue_copied) for a frame of at least the buffer's size
    /// that is copied (in a run of large frames, or for a caller's own check): room as
    /// `WriteState::must_write_large` says, reserved at once. Out of the per-frame path.
    #[cold]
    #[inline(never)]
    fn poll_queue_large(
        &mut self,
        cx: &mut Context<'_>,
        head: &Head,
        payload: &[u8],
        frame_len: usize,
    ) -> Poll<Result<bool, Error>> {
        while self.state.must_write_large(frame_len) {
            ready!(self.poll_write_buffered(cx))?;
        }
        self.state.reserve_copied(frame_len);
        self.state.queue_copied(head, payload);
        Poll::Ready(Ok(true))
    }

    /// A large frame (not copied), once [`poll_queue_copied`](Self::poll_queue_copied) said so:
    /// its header is queued, then the payload is written from the caller's memory.
    pub(crate) async fn write_through(&mut self, head: Head, payload: &[u8]) -> Result<(), Error> {
        // Computed before anything is queued: on error the frame is not accepted.
        let trailer = self.state.trailer(&head, payload)?;
        poll_fn(|cx| self.poll_make_room(cx, head.len())).await?;
        self.state.queue_head(&head);
        let mut large = LargeWrite {
            writer: self,
            frame: Through::new(head.len(), payload, trailer),
            ended: false,
        };
        let result = poll_fn(|cx| large.poll_write(cx)).await;
        match result {
            Err(err) if !large.end() => Err(err),
            // Whole, or accepted with its rest buffered.
            _ => Ok(()),
        }
    }

    /// [`write_frame`](Self::write_frame)'s common case, with no I/O and no future: a frame that
    /// is copied and fits in the buffer is queued (`None`). Otherwise nothing is done, and its
    /// header is returned for [`write_frame_io`](Self::write_frame_io).
    #[inline]
    pub(crate) fn queue_frame(
        &mut self,
        prefix: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<Option<Head>, Error> {
        self.state.check_not_streaming()?;
        self.arm();
        if prefix.is_some() || self.state.checked() {
            return self.queue_frame_cold(prefix, payload);
        }
        if self.state.queue_small(payload) {
            return Ok(None);
        }
        let head = match self.state.plain_head(payload.len()) {
            Ok(head) => head,
            Err(err) => return Err(refused(err)),
        };
        self.queue_if_fits(head, payload, false)
    }

    /// [`queue_frame`](Self::queue_frame) with a prefix or a checksum: out of line, so that
    /// the header of the per-frame case has one source and stays whole (merged with this
    /// path's, it was copied through the stack in pieces on every frame).
    #[cold]
    #[inline(never)]
    fn queue_frame_cold(
        &mut self,
        prefix: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<Option<Head>, Error> {
        let head = self.state.head(prefix, payload.len())?;
        self.queue_if_fits(head, payload, self.state.checked())
    }

    /// The end of [`queue_frame`](Self::queue_frame), once the header is built; `checked` is
    /// [`WriteState::checked`], a constant on the per-frame path, which then skips the
    /// trailer's terms.
    #[inline(always)]
    fn queue_if_fits(
        &mut self,
        head: Head,
        payload: &[u8],
        checked: bool,
    ) -> Result<Option<Head>, Error> {
        if checked {
            let frame_len = self.state.frame_len(&head, payload.len());
            if !self.state.copies(frame_len) || self.state.must_write(frame_len) {
                return Ok(Some(head));
            }
            self.state.queue_copied(&head, payload);
        } else {
            let frame_len = head.len() + payload.len();
            if !self.state.copies_unchecked(frame_len) || self.state.must_write(frame_len) {
                return Ok(Some(head));
            }
            self.state.queue_head(&head);
            self.state.queue(payload);
        }
        Ok(None)
    }

    /// An owned payload, queued (copied if small) once there is room.
    pub(crate) async fn feed_frame(&mut self, payload: Bytes) -> Result<(), Error> {
        self.state.check_not_streaming()?;
        self.arm();
        let head = self.state.head(None, payload.len())?;
        let adds = self.state.feed_adds(&head, payload.len());
        poll_fn(|cx| self.poll_make_room(cx, adds)).await?;
        self.state.feed(&head, payload)?;
        Ok(())
    }

    /// A frame whose body `body` writes in place: room is made first, so a cancelled call
    /// accepts nothing; once the body is written the frame is accepted.
    pub(crate) async fn write_frame_with<E: From<Error>>(
        &mut self,
        body: impl FnOnce(&mut BytesMut) -> Result<(), E>,
    ) -> Result<(), E> {
        self.state.check_not_streaming()?;
        self.arm();
        let room = self.state.with_room();
        poll_fn(|cx| self.poll_make_room(cx, room))
            .await
            .map_err(Error::from)?;
        self.queue_frame_with(body)?;
        // Accepted: a failed write here shows again at the next write or flush.
        let _ = poll_fn(|cx| self.poll_make_room(cx, 1)).await;
        Ok(())
    }

    /// Buffers a frame whose body `body` writes in place, writing nothing.
    pub(crate) fn queue_frame_with<E: From<Error>>(
        &mut self,
        body: impl FnOnce(&mut BytesMut) -> Result<(), E>,
    ) -> Result<(), E> {
        self.state.check_not_streaming()?;
        self.arm();
        self.state.encode_with(body)
    }

    /// A frame whose `len`-byte payload comes from `src`, through the buffer.
    pub(crate) async fn copy_frame_from<S: PayloadSource + ?Sized>(
        &mut self,
        len: u64,
        src: &mut S,
    ) -> Result<(), Error> {
        self.arm();
        if let Some((head, digest)) = self.state.stream_header(len)? {
            poll_fn(|cx| self.poll_make_room(cx, head.len())).await?;
            self.state.start_stream(&head, digest, len);
        }
        poll_fn(|cx| self.poll_stream_from(cx, src)).await
    }

    pub(crate) async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_flush(cx)).await
    }

    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    pub(crate) async fn shutdown(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_close(cx)).await
    }

    /// `Sink::poll_ready`: room for a frame. Its length is not known yet, so room for one as
    /// long as the longest since the last flush: the buffer then does not pass its size (and
    /// grow, and be given back) each time it fills with a run of small frames.
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    #[inline]
    pub(crate) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // The per-frame case: the room is there.
        if self.state.sink_ready() {
            return Poll::Ready(Ok(()));
        }
        self.poll_ready_cold(cx)
    }

    /// [`poll_ready`](Self::poll_ready) when the buffer must be written first, or during a
    /// `copy_frame_from`: out of the per-frame path.
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    #[cold]
    #[inline(never)]
    fn poll_ready_cold(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.state.check_not_streaming()?;
        let room = self.state.with_room().max(1);
        Poll::Ready(Ok(ready!(self.poll_make_room(cx, room))?))
    }

    /// `Sink::start_send`: queues an owned payload, as `feed_frame` does.
    ///
    /// Out of line on purpose: `SinkExt::feed`'s future then stays small enough to be inlined
    /// into the caller's loop, as it is for asynchronous-codec, whose `encode` is a call too
    /// (futures-io `Sink::feed` 154.3 → 151.3 instructions a 64 B frame, 571.6 → 568.3 at
    /// 4 KiB; `scripts/callgrind_futures.sh`).
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    #[inline(never)]
    pub(crate) fn start_send(&mut self, payload: Bytes) -> Result<(), Error> {
        // The per-frame case: a small payload copied.
        if self.state.feed_small(&payload) {
            self.arm();
            return Ok(());
        }
        self.start_send_cold(payload)
    }

    /// [`start_send`](Self::start_send) for a codec with a checksum or another header than a
    /// plain fixed-width one, a large payload or one the encoder refuses, a buffer that grows
    /// for it, or during a `copy_frame_from`: out of the per-frame path.
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    #[cold]
    #[inline(never)]
    fn start_send_cold(&mut self, payload: Bytes) -> Result<(), Error> {
        self.state.check_not_streaming()?;
        self.arm();
        let head = self.state.head(None, payload.len())?;
        self.state.feed_unsized(&head, payload)
    }

    /// Writes out everything accepted, without flushing the inner writer.
    pub(crate) fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.state.is_empty() {
            ready!(self.poll_write_buffered(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    /// Writes out everything accepted, then flushes the inner writer.
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ready!(self.poll_write_out(cx))?;
        ready!(self.io.poll_flush_io(cx))?;
        self.state.flushed();
        Poll::Ready(Ok(()))
    }

    /// Writes out everything accepted, flushes, then shuts the inner writer down.
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    pub(crate) fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ready!(self.poll_flush(cx))?;
        Poll::Ready(Ok(ready!(self.io.poll_close_io(cx))?))
    }

    /// Moves the rest of a `copy_frame_from` payload from `src` through the buffer.
    fn poll_stream_from<S: PayloadSource + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
    ) -> Poll<Result<(), Error>> {
        loop {
            match self.state.stream_step() {
                StreamStep::Done => return Poll::Ready(Ok(())),
                StreamStep::Write => ready!(self.poll_write_buffered(cx))?,
                StreamStep::Read(want) => {
                    match ready!(src.poll_read_payload(cx, &mut self.state, want)) {
                        Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                        Err(err) => return Poll::Ready(Err(err.into())),
                        Ok(0) => return Poll::Ready(Err(self.state.source_ended())),
                        Ok(_) => {}
                    }
                }
            }
        }
    }

    /// Writes until `n` more bytes can be buffered (see `WriteState::must_write`).
    #[inline]
    fn poll_make_room(&mut self, cx: &mut Context<'_>, n: usize) -> Poll<io::Result<()>> {
        if self.state.must_write(n) {
            return self.poll_write_until_room(cx, n);
        }
        Poll::Ready(Ok(()))
    }

    /// The rare part of [`poll_make_room`](Self::poll_make_room), kept out of the per-frame
    /// path.
    #[cold]
    #[inline(never)]
    fn poll_write_until_room(&mut self, cx: &mut Context<'_>, n: usize) -> Poll<io::Result<()>> {
        while self.state.must_write(n) {
            ready!(self.poll_write_buffered(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    /// One gathered write of what is queued.
    fn poll_write_buffered(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let n = ready!(poll_write_gathered(
            &mut self.io,
            &self.state,
            [&[], &[]],
            cx
        ))?;
        self.state.wrote(n);
        Poll::Ready(Ok(()))
    }
}

/// A large `write_frame` in progress: its header is at the end of the writer's buffer and its
/// payload is written from the caller's slice. Dropped unfinished (cancelled or failed), it
/// keeps the stream framed.
struct LargeWrite<'a, W> {
    writer: &'a mut WriteLoop<W>,
    frame: Through<'a>,
    /// [`end`](Self::end) was called.
    ended: bool,
}

impl<W: WriteIo> LargeWrite<'_, W> {
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let writer = &mut *self.writer;
        while !self.frame.is_done() || !writer.state.is_empty() {
            let n = ready!(poll_write_gathered(
                &mut writer.io,
                &writer.state,
                self.frame.rest(),
                cx
            ))?;
            writer.state.wrote_through(&mut self.frame, n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<W> LargeWrite<'_, W> {
    /// Ends the frame, whole or stopped part way: whether it is accepted (`WriteState::end_through`:
    /// withdrawn if none of it went out, otherwise its rest buffered).
    fn end(&mut self) -> bool {
        self.ended = true;
        self.writer.state.end_through(&self.frame)
    }
}

impl<W> Drop for LargeWrite<'_, W> {
    fn drop(&mut self) {
        // A cancelled write keeps the stream framed too.
        if !self.ended {
            self.end();
        }
    }
}

/// One write of what `state` has queued and then `through`, gathered as `WriteState::io_slices`
/// cuts it, retrying `Interrupted`: how many bytes went, at least 1.
fn poll_write_gathered<W: WriteIo + ?Sized>(
    io: &mut W,
    state: &WriteState,
    through: [&[u8]; 2],
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    loop {
        let result = if let Some(part) = state.single_part(through) {
            ready!(io.poll_write_part(cx, part))
        } else {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let count = state.io_slices(through, &mut slices);
            if count == 1 {
                ready!(io.poll_write_part(cx, &slices[0]))
            } else {
                ready!(io.poll_write_parts(cx, &slices[..count]))
            }
        };
        return Poll::Ready(match result {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Ok(0) => Err(write_zero()),
            result => result,
        });
    }
}

/// A header the encoder refused, as the writers' error: out of the per-frame path.
#[cold]
#[inline(never)]
fn refused(err: crate::EncodeError) -> Error {
    err.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ready::run;
    use crate::Codec;

    /// A writer that takes every write whole and notes each write call's length.
    #[derive(Default)]
    struct Recorder {
        out: Vec<u8>,
        writes: Vec<usize>,
    }

    impl WritePart for Recorder {
        fn poll_write_part(&mut self, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            self.out.extend_from_slice(buf);
            self.writes.push(buf.len());
            Poll::Ready(Ok(buf.len()))
        }
    }

    impl WriteIo for Recorder {
        fn poll_write_parts(
            &mut self,
            _: &mut Context<'_>,
            parts: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let mut n = 0;
            for part in parts {
                self.out.extend_from_slice(part);
                n += part.len();
            }
            self.writes.push(n);
            Poll::Ready(Ok(n))
        }

        fn poll_flush_io(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// A writer with a buffer of 100 bytes and writes of at most 1,000: a run copies frames of
    /// up to 250 bytes.
    fn writer() -> WriteLoop<Recorder> {
        let mut state = WriteState::new(Codec::default());
        state.set_capacity(100);
        state.set_max_write(1000);
        WriteLoop::new(Recorder::default(), state)
    }

    fn write(writer: &mut WriteLoop<Recorder>, payload_len: usize) {
        run(writer.write_frame(None, &vec![7; payload_len])).unwrap();
    }

    #[test]
    fn a_run_of_large_frames_is_copied_and_goes_out_max_write_at_a_time() {
        let mut writer = writer();
        write(&mut writer, 196);
        assert_eq!(writer.io.writes, [200], "the first frame: at once");
        for _ in 0..5 {
            write(&mut writer, 196);
        }
        assert_eq!(writer.io.writes, [200], "copied: 1,000 bytes buffered");
        assert_eq!(writer.state.buffered_len(), 1000);
        write(&mut writer, 196);
        assert_eq!(
            writer.io.writes,
            [200, 1000],
            "max_write reached: written first"
        );
        // A small frame in a run waits for the buffer's size only: what is buffered goes first.
        write(&mut writer, 6);
        assert_eq!(writer.io.writes, [200, 1000, 200]);
        assert_eq!(writer.state.buffered_len(), 10);
        run(writer.flush()).unwrap();
        assert_eq!(writer.io.writes, [200, 1000, 200, 10]);
        // The flush ended the run: the next large frame goes out at once.
        write(&mut writer, 196);
        assert_eq!(writer.io.writes, [200, 1000, 200, 10, 200]);
        assert_eq!(writer.io.out.len(), 1610);
    }

    #[test]
    fn a_frame_over_a_quarter_write_is_written_through_even_in_a_run() {
        let mut writer = writer();
        write(&mut writer, 196);
        write(&mut writer, 196);
        assert_eq!(writer.io.writes, [200]);
        write(&mut writer, 247);
        assert_eq!(
            writer.io.writes,
            [200, 200, 251],
            "what was buffered, then the frame"
        );
        assert!(writer.state.is_empty());
    }
}

#[cfg(test)]
#[path = "pump_tests.rs"]
mod loop_tests;
