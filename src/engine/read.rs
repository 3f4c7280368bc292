//! What a frame reader keeps between reads, with no I/O: the read buffer and the decoder, how far
//! a `copy_frame_to` got, the index of the current frame, and how much to ask the next read for.
//!
//! Every reader is a loop around it (the blocking and tokio `FrameReader`s; a futures-io reader
//! plugs in the same way): ask it for room ([`ReadState::read_slice`]), read into the room, tell
//! it how many bytes arrived ([`ReadState::filled`]) or that none were ready
//! ([`ReadState::idle`]), decode. tokio-util's `Framed` owns its buffer, so `FramedCodec` applies
//! the same rules to that buffer with [`FramedSizing`](super::framed_sizing::FramedSizing).
//! What each read asks for is decided by [`ReadSizer`] (read_sizing.rs) for all of them.
//!
//! # The buffer policy, in numbers
//!
//! - **Small size: 8 KiB** (`SMALL`, or the maximum read size if that is smaller). A fresh
//!   reader's first read asks for it, and a reader at rest goes back to it.
//! - **Growing for bulk.** Each read that fills a room of the full read size doubles the next
//!   read up to 64 KiB (`STREAK_FROM`); past that, the size doubles after 4 such reads in a
//!   row (`STREAK`: 256 KiB at 64 KiB, then 512 KiB at 128 KiB), up to the maximum read size
//!   (`with_max_read_size`, [`DEFAULT_MAX_READ`] = 256 KiB by default): a larger buffer is fresh
//!   memory, which only a long transfer repays. A read that comes back short lowers it to twice
//!   what came (at least 8 KiB); only full reads raise it. The buffer holds what arrived plus
//!   one read's room, and a fresh buffer for a room over the small size an eighth more (so that
//!   a few more bytes of a frame's start, when it is next reused, do not cost a new one); a
//!   frame longer than that grows it by what has arrived (doubling), never past the frame's
//!   end and never by what a header claims: a header announcing 1 GiB followed by 10 bytes
//!   costs 8 KiB.
//! - **Letting go.** When what is buffered is under the small size with no long frame started
//!   (the reader is *at rest*, typically between frames), the next read asks for the small size
//!   unless the last read filled its whole room (the peer is streaming), and an allocation
//!   larger than twice the buffer then needed is given back (what is buffered is copied into a
//!   small one). A read that finds nothing ready (`WouldBlock`, `TimedOut`, `Pending`) does the
//!   same at once. So a reader waiting for the next frame holds at most 16 KiB whatever it
//!   received before; when the small read comes back full, the next asks for the size reads had
//!   before they slowed down. Frames already handed out as `Bytes` keep their own memory.
//!   Only at rest: while a frame is under way, the allocation is kept even when reads ask for
//!   less for a while (after a short read), so that a bulk stream whose reader catches up with
//!   its peer does not trade its buffer for a smaller one and back, touching fresh memory each
//!   time (`gives_back`).
//! - **Long frames read straight into their own buffer.** The rest of a frame that needs more
//!   than a read (and more than 64 KiB) is read into a `Vec` of its own that starts as the bytes
//!   already buffered plus one read's room and grows as bytes arrive (doubling, never past the
//!   frame's end); nothing after the frame is read into it, and the frame is handed out from it
//!   with no further copy. A long frame that directly follows a long frame (a bulk stream)
//!   grows in place; any other grows into fresh allocations, copying what arrived (about once
//!   in all), so that when it is freed glibc's `malloc` can give its memory back to the system
//!   (see read/allocator.rs); while a step is copied, its buffer and the next one's are both
//!   held: at most three times what has arrived, under twice the frame. With
//!   `std::io::Read` each room of it is zeroed once, when made, and filled by one `read` (a
//!   short read leaves the rest of the room, still initialised, to the next).
//! - **No zero-filling per read.** tokio reads into uninitialised memory: nothing is zeroed.
//!   `std::io::Read` (and futures-io) needs initialised memory, and safe Rust cannot reuse
//!   memory handed out in a frame without initialising it again: their room (one read's, not
//!   the slack) is zeroed when the buffer is allocated or reused and stays initialised until
//!   bytes fill it, so a read that brings 20 bytes into 64 KiB of room costs no memset, and
//!   zeroing is proportional to the bytes received, not to the reads made.

use std::io;
use std::mem;

#[cfg(feature = "tokio")]
use bytes::buf::Limit;
#[cfg(feature = "tokio")]
use bytes::BufMut;
use bytes::{Buf, Bytes, BytesMut};

pub(crate) use super::buffer::SMALL;
use super::buffer::{needs_room, too_big, wanted_capacity, with_slack};
use super::read_sizing::ReadSizer;
pub(crate) use super::read_sizing::DEFAULT_MAX_READ;
use crate::{Codec, Decoded, FrameDecoder, FrameError};

mod allocator;
mod copy;
mod long_frame;
mod progress;
#[cfg(test)]
mod unit_tests;

pub(crate) use copy::CopyStep;
use copy::Partial;
use long_frame::LongFrame;
pub(crate) use progress::continues_after;

/// A reader's state: everything but the I/O object.
#[derive(Debug)]
pub(crate) struct ReadState {
    decoder: FrameDecoder,
    /// The bytes read and not yet consumed.
    buf: BytesMut,
    /// Initialised room right after `buf`, in the same allocation: where reads into initialised
    /// memory go (`std::io::Read`). Empty for reads into uninitialised memory (tokio), which go
    /// to `buf`'s spare capacity.
    spare: BytesMut,
    /// Reads go into `spare`, zeroed when allocated (`false`: into `buf`'s spare capacity).
    zeroed: bool,
    /// The size of the allocation `buf` and `spare` live in.
    alloc: usize,
    /// What the next read asks for.
    sizer: ReadSizer,
    /// The length of the room handed to the last read.
    room_len: usize,
    /// That room was as large as the policy asked (not cut short by the allocation, which a
    /// long frame's end caps).
    room_whole: bool,
    partial: Partial,
    /// The index of the current frame: frames returned, copied or skipped so far.
    frames: u64,
    /// Bytes at the front of `buf` that belong to the frame last lent by
    /// [`decode_ref`](ReadState::decode_ref): dropped before the buffer is used again.
    lent: usize,
    /// Where in `buf` the lent frame is, unless it is in `held`.
    lent_at: (usize, usize),
    /// A lent frame the decoder split off (the rare paths: end of stream, a skipped frame).
    held: Option<Bytes>,
    /// A long frame being read into a buffer of its own (`std::io::Read` only).
    long: Option<LongFrame>,
    /// The index a frame has when it directly follows a long frame (`u64::MAX` before the
    /// first long frame ends): such a frame, if long too, is part of a bulk stream.
    after_long: u64,
}

impl ReadState {
    /// A fresh state, asking for at most `read_size` bytes a read (at least 1).
    pub(crate) fn new(codec: Codec, read_size: usize) -> ReadState {
        ReadState {
            decoder: codec.decoder(),
            buf: BytesMut::new(),
            spare: BytesMut::new(),
            zeroed: true,
            alloc: 0,
            sizer: ReadSizer::new(read_size),
            room_len: 0,
            room_whole: false,
            partial: Partial::None,
            frames: 0,
            lent: 0,
            lent_at: (0, 0),
            held: None,
            long: None,
            after_long: u64::MAX,
        }
    }

    /// Drops the frame last lent by [`decode_ref`](Self::decode_ref), if any.
    #[inline]
    fn settle(&mut self) {
        if self.lent != 0 || self.held.is_some() {
            self.settle_lent();
        }
    }

    #[cold]
    fn settle_lent(&mut self) {
        self.buf.advance(self.lent);
        self.lent = 0;
        self.held = None;
    }

    /// A state whose buffer starts with `buffered`: bytes another reader read and did not use.
    pub(crate) fn from_buffered(codec: Codec, read_size: usize, buffered: Bytes) -> ReadState {
        let mut state = ReadState::new(codec, read_size);
        state.buf = BytesMut::from(buffered);
        state.alloc = state.buf.capacity();
        state
    }

    #[inline]
    pub(crate) fn codec(&self) -> &Codec {
        self.decoder.codec()
    }

    /// The decoder: its settings, maximum and counters.
    #[inline]
    pub(crate) fn decoder(&self) -> &FrameDecoder {
        &self.decoder
    }

    /// The decoder, to change its maximum.
    pub(crate) fn decoder_mut(&mut self) -> &mut FrameDecoder {
        &mut self.decoder
    }

    /// Sets the most one read asks for (at least 1).
    pub(crate) fn set_read_size(&mut self, read_size: usize) {
        self.sizer.set_max(read_size);
    }

    /// The bytes read and not yet returned.
    #[inline]
    pub(crate) fn buffer(&self) -> &[u8] {
        match self.long_frame_bytes() {
            Some(long) => long,
            None => &self.buf[self.lent..],
        }
    }

    pub(crate) fn into_buffer(mut self) -> Bytes {
        self.settle();
        self.unlong();
        self.buf.freeze()
    }

    /// Gives the buffer's allocation back (it holds no bytes).
    fn give_back(&mut self) {
        self.buf = BytesMut::new();
        self.spare = BytesMut::new();
        self.alloc = 0;
    }

    /// The most one read asks for.
    pub(crate) fn read_size(&self) -> usize {
        self.sizer.max()
    }

    /// Makes room for the next read and returns it: initialised memory, for `std::io::Read`,
    /// futures-io and tokio alike. Report the read with [`filled`](Self::filled) (or
    /// [`idle`](Self::idle) if nothing was ready), whatever its outcome.
    pub(crate) fn read_slice(&mut self) -> &mut [u8] {
        self.zeroed = true;
        self.unlong();
        self.make_room();
        &mut self.spare[..self.room_len]
    }

    /// Makes room for the next read and returns the buffer limited to it, for a read into
    /// uninitialised memory (tokio's `read_buf`): nothing is zeroed. Report what arrived with
    /// [`filled_in_place`](Self::filled_in_place) (or [`idle`](Self::idle)).
    #[cfg(feature = "tokio")]
    pub(crate) fn read_room(&mut self) -> Limit<&mut BytesMut> {
        self.zeroed = false;
        self.unlong();
        self.make_room();
        (&mut self.buf).limit(self.room_len)
    }

    /// Notes that a read into [`read_room`](Self::read_room) brought `n` bytes (already
    /// appended to the buffer).
    #[cfg(feature = "tokio")]
    pub(crate) fn filled_in_place(&mut self, n: usize) {
        self.size_reads(n.min(self.room_len));
    }

    /// Notes that the last read brought `n` bytes (0 at the end of the stream or after an
    /// error): appends them to the buffer, sizes the next read by them, and returns `n` (at
    /// most the room's length).
    pub(crate) fn filled(&mut self, n: usize) -> usize {
        let n = n.min(self.room_len);
        if n != 0 {
            // Adjacent in one allocation: no copy.
            let arrived = self.spare.split_to(n);
            self.buf.unsplit(arrived);
        }
        self.size_reads(n);
        n
    }

    /// Sizes the next read by the last one, which brought `n` bytes.
    #[inline]
    fn size_reads(&mut self, n: usize) {
        self.sizer.read(n, self.room_len, self.room_whole);
    }

    /// Notes that a read found nothing ready (`WouldBlock`, `TimedOut`, `Pending`): the peer ran
    /// dry. A reader at rest gives back a large buffer now, rather than hold it while it waits.
    pub(crate) fn idle(&mut self) {
        self.sizer.quiet();
        let want = self.buf.len() + self.small();
        if self.gives_back(want) {
            self.reallocate(want);
        }
    }

    /// Notes that a read failed with `err`: nothing arrived, and if nothing was ready
    /// (`WouldBlock`, `TimedOut`) the reader is [idle](Self::idle).
    pub(crate) fn read_failed(&mut self, err: &io::Error) {
        self.filled(0);
        if matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) {
            self.idle();
        }
    }

    fn small(&self) -> usize {
        self.sizer.small()
    }

    /// How many more bytes the frame in flight needs.
    fn needed(&self) -> usize {
        match self.partial {
            Partial::Copy { left, .. } => clamp(left, usize::MAX).saturating_sub(self.buf.len()),
            Partial::None => self.decoder.bytes_needed(&self.buf),
        }
    }

    /// Whether the frame in flight, as far as it is known, fits in the small size: no long frame
    /// is under way.
    fn at_rest(&self) -> bool {
        self.buf.len().saturating_add(self.needed()) <= self.small()
    }

    /// Makes sure there is room for a read, sized by the policy in the module docs.
    fn make_room(&mut self) {
        self.settle();
        let len = self.buf.len();
        let needed = self.needed();
        // At rest, a big buffer is given back below when the sizer asks for less (a small read
        // typically); under way, kept (`gives_back`, which `reallocate` asks too).
        let at_rest = self.at_rest();
        let room = self.sizer.room(at_rest);
        let want = wanted_capacity(len, needed, room);
        if needs_room(self.available(), len, needed, room)
            || (at_rest && too_big(self.alloc, want, self.small()))
        {
            self.reallocate(want);
        }
        self.room_len = self.available().min(room);
        self.room_whole = self.room_len == room;
    }

    /// Whether the allocation is given back for one of `want` bytes: at rest, when it is too
    /// big for that. While a frame is under way the reader keeps it, even when reads ask for
    /// less for a while (a short read): a bulk stream whose reader catches up with its peer
    /// would otherwise trade its buffer for a smaller one and back, with fresh memory each time.
    fn gives_back(&self, want: usize) -> bool {
        too_big(self.alloc, want, self.small()) && self.at_rest()
    }

    /// The room there is for a read without reallocating.
    fn available(&self) -> usize {
        if self.zeroed {
            self.spare.len()
        } else {
            self.buf.capacity() - self.buf.len()
        }
    }

    /// Moves what is buffered into an allocation of at least `want` bytes (at least what is
    /// buffered), reusing the current one in place when no frame handed out still uses it and it
    /// is not too big, and (for reads into initialised memory) zeroes the room after it.
    ///
    /// A fresh allocation for a room larger than the small size has an eighth more room than
    /// asked for ([`with_slack`]): sized exactly, the next reuse would fail whenever a few more
    /// bytes of a frame's start are buffered then, and the reader would reallocate every few
    /// reads.
    fn reallocate(&mut self, want: usize) {
        let len = self.buf.len();
        let want = want.max(len);
        let spare = mem::take(&mut self.spare);
        self.buf.unsplit(spare);
        self.buf.truncate(len);
        let reuse = !self.gives_back(want)
            && self.buf.try_reclaim(want - len)
            && self.buf.capacity() >= want;
        if !reuse {
            let mut fresh = BytesMut::with_capacity(with_slack(len, want, self.small()));
            fresh.extend_from_slice(&self.buf);
            self.buf = fresh;
        }
        self.alloc = self.buf.capacity();
        if self.zeroed {
            // The room asked for, not the slack: zeroing follows the reads' sizes.
            self.buf.resize(want, 0);
            self.spare = self.buf.split_off(len);
        }
    }

    /// Splits the next whole frame off the buffer, if it holds one.
    #[inline]
    pub(crate) fn decode(&mut self) -> Result<Option<Bytes>, FrameError> {
        self.settle();
        let buffered = self.buf.len();
        let skipping = self.decoder.skip_remaining();
        match self.decoder.decode(&mut self.buf) {
            // The common case, kept short: a whole frame, and no frame being skipped.
            Ok(Some(frame)) if skipping.is_none() => {
                self.frames += 1;
                Ok(Some(frame))
            }
            // A long frame in its own buffer (the shared one is empty meanwhile).
            Ok(None) if self.long.is_some() => Ok(self.take_long_frame()),
            result => {
                self.track(buffered, skipping, result.as_ref().map(Option::is_some));
                result
            }
        }
    }

    /// The next frame when the buffer holds all of it and nothing else is under way (no frame
    /// lent, no copy, no frame being skipped, no long frame, a codec without sync bytes or a
    /// checksum): [`decode`](Self::decode)'s common case, in a few comparisons, for the
    /// per-frame path of every reader. `None` for anything else, with nothing changed: `decode`
    /// then does it (a lent frame is dropped there, by `settle`). The reader is left between
    /// frames (a tokio frame clock has nothing to start).
    #[inline(always)]
    pub(crate) fn decode_whole(&mut self) -> Option<Bytes> {
        if self.lent != 0 || self.held.is_some() || self.partial != Partial::None {
            return None;
        }
        let frame = self.decoder.split_whole(&mut self.buf)?;
        self.frames += 1;
        Some(frame)
    }

    /// Finds the next whole frame in the buffer and lends it: `true` if there is one, to be read
    /// with [`lent`](Self::lent) until the next call that uses the buffer. Reference counts are
    /// left alone: the frame stays in the buffer, which drops it on the next call.
    #[inline]
    pub(crate) fn decode_ref(&mut self) -> Result<bool, FrameError> {
        self.settle();
        if self.partial == Partial::None && self.decoder.skip_remaining().is_none() {
            if let Ok(Decoded::Frame { frame, consumed }) =
                self.decoder.codec().decode_slice(&self.buf)
            {
                // Where the payload (or the whole frame, with `keep_header`) lies: not always
                // at the end of the frame, since a checksum trailer may follow the payload.
                let start = frame.as_ptr() as usize - self.buf.as_ptr() as usize;
                self.lent_at = (start, start + frame.len());
                self.lent = consumed;
                if self.decoder.is_mid_frame() {
                    // The decoder had parsed this frame's header on an earlier call.
                    self.decoder.reset();
                }
                self.frames += 1;
                return Ok(true);
            }
        }
        // Not a whole frame, an error, or a frame being skipped: the decoder's own path.
        let frame = self.decode()?;
        self.hold(frame)
    }

    /// [`decode_eof`](Self::decode_eof), lending the frame as [`decode_ref`](Self::decode_ref).
    pub(crate) fn decode_eof_ref(&mut self) -> Result<bool, FrameError> {
        let frame = self.decode_eof()?;
        self.hold(frame)
    }

    fn hold(&mut self, frame: Option<Bytes>) -> Result<bool, FrameError> {
        let lent = frame.is_some();
        self.held = frame;
        Ok(lent)
    }

    /// The frame lent by the last [`decode_ref`](Self::decode_ref) that returned `true`.
    #[inline]
    pub(crate) fn lent(&self) -> &[u8] {
        match &self.held {
            Some(frame) => frame,
            None => &self.buf[self.lent_at.0..self.lent_at.1],
        }
    }

    /// The last frames once the stream has ended, then `Ok(None)` on a frame boundary.
    pub(crate) fn decode_eof(&mut self) -> Result<Option<Bytes>, FrameError> {
        if self.long.is_some() {
            if let Some(frame) = self.take_long_frame() {
                return Ok(Some(frame));
            }
            return Err(self.truncated());
        }
        self.settle();
        let buffered = self.buf.len();
        let skipping = self.decoder.skip_remaining();
        let result = self.decoder.decode_eof(&mut self.buf);
        self.track(buffered, skipping, result.as_ref().map(Option::is_some));
        result
    }
}

/// `n` as a `usize`, at most `max`.
pub(crate) fn clamp(n: u64, max: usize) -> usize {
    usize::try_from(n).map_or(max, |n| n.min(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: usize = 1024;

    /// Fills the next read's room of `state` with `n` bytes (at most the room) of empty frames
    /// (zero-length headers), and decodes them all: the reader is left at rest.
    fn read_empty_frames(state: &mut ReadState, n: usize) -> usize {
        let room = state.read_slice();
        let len = room.len();
        room.fill(0);
        state.filled(n.min(len));
        while let Ok(Some(_)) = state.decode() {}
        len
    }

    #[test]
    fn a_short_read_lowers_the_read_size_and_a_full_small_read_at_rest_resumes_it() {
        let mut state = ReadState::new(Codec::default(), 256 * KIB);
        let mut rooms = Vec::new();
        // Up to the first read of 128 KiB: after STREAK full reads of 64 KiB.
        for _ in 0..4 + crate::engine::read_sizing::STREAK {
            rooms.push(read_empty_frames(&mut state, usize::MAX));
        }
        assert_eq!(&rooms[..4], [8 * KIB, 16 * KIB, 32 * KIB, 64 * KIB]);
        assert_eq!(*rooms.last().unwrap(), 128 * KIB, "{rooms:?}");
        // The peer slows down: a short read, then a small read at rest.
        assert_eq!(read_empty_frames(&mut state, 1000), 128 * KIB);
        assert_eq!(read_empty_frames(&mut state, usize::MAX), SMALL);
        // It came back full: the size from before, not a climb from 8 KiB again.
        assert_eq!(read_empty_frames(&mut state, 4000), 128 * KIB);
        // Short twice (the small read too): reads stay small.
        assert_eq!(read_empty_frames(&mut state, 100), SMALL);
        assert!(read_empty_frames(&mut state, 100) <= SMALL);
        assert!(read_empty_frames(&mut state, usize::MAX) <= SMALL);
    }

    #[test]
    fn a_buffer_is_kept_while_a_frame_is_under_way_and_given_back_at_rest() {
        let grown = || {
            let mut state = ReadState::new(Codec::default(), 256 * KIB);
            while read_empty_frames(&mut state, usize::MAX) < 256 * KIB {}
            assert!(state.alloc >= 256 * KIB);
            state
        };
        // A short read brings the start of a 30 KiB frame: the read size falls to the small
        // one, but under way the reader keeps its allocation (no trading it for a small one
        // and back when the next reads come back full).
        let mut state = grown();
        let alloc = state.alloc;
        let mut start = (30 * KIB as u32).to_le_bytes().to_vec();
        start.extend_from_slice(&[7; 20]);
        feed(&mut state, &start);
        assert_eq!(state.decode(), Ok(None));
        assert_eq!(state.read_slice().len(), SMALL);
        assert_eq!(state.alloc, alloc, "kept under way");
        assert!(state.available() > 64 * KIB, "not even moved");
        // At rest after a short read, it is given back for a small one.
        let mut state = grown();
        let alloc = state.alloc;
        read_empty_frames(&mut state, 100);
        assert_eq!(read_empty_frames(&mut state, 100), SMALL);
        assert!(
            state.alloc < alloc / 2,
            "given back at rest: {}",
            state.alloc
        );
    }

    #[test]
    fn a_buffer_is_reused_from_its_front_at_rest_and_under_way() {
        let mut state = ReadState::new(Codec::default(), 256 * KIB);
        while read_empty_frames(&mut state, usize::MAX) < 256 * KIB {}
        // A full read of empty frames: at rest, the next read reuses the allocation.
        let start = state.read_slice().as_ptr() as usize;
        let len = read_empty_frames(&mut state, usize::MAX);
        assert_eq!(len, 256 * KIB);
        let room = state.read_slice();
        assert_eq!(room.as_ptr() as usize, start, "reused at rest");
        // A full read that ends with the start of a 30 KiB frame: under way, the same.
        let n = room.len();
        room.fill(0);
        room[n - 24..n - 20].copy_from_slice(&(30 * KIB as u32).to_le_bytes());
        state.filled(n);
        while let Ok(Some(_)) = state.decode() {}
        assert_eq!(state.buffer().len(), 24);
        state.read_slice();
        assert_eq!(state.buf.as_ptr() as usize, start, "reused under way");
    }

    #[test]
    fn the_sizes_are_the_documented_ones() {
        assert_eq!(SMALL, 8 * KIB);
        assert_eq!(DEFAULT_MAX_READ, 256 * KIB);
    }

    #[test]
    fn clamp_caps_at_the_maximum_and_at_usize() {
        assert_eq!(clamp(5, 10), 5);
        assert_eq!(clamp(10, 10), 10);
        assert_eq!(clamp(11, 10), 10);
        assert_eq!(clamp(u64::MAX, usize::MAX), usize::MAX);
    }

    /// Reads `bytes` into `state` as one read.
    fn feed(state: &mut ReadState, bytes: &[u8]) {
        let room = state.read_slice();
        room[..bytes.len()].copy_from_slice(bytes);
        state.filled(bytes.len());
    }

    #[test]
    fn a_lent_frame_is_dropped_by_the_next_call_that_uses_the_buffer() {
        let mut state = ReadState::new(Codec::default(), 64 * KIB);
        feed(&mut state, &[1, 0, 0, 0, b'a', 1, 0, 0, 0, b'b', 9]);
        assert_eq!(state.decode_ref(), Ok(true));
        assert_eq!(state.lent(), b"a");
        assert_eq!(state.buffer(), [1, 0, 0, 0, b'b', 9]);
        assert_eq!(state.decode_ref(), Ok(true));
        assert_eq!(state.lent(), b"b");
        assert_eq!(state.decode_ref(), Ok(false));
        assert_eq!(state.buffer(), [9]);
        assert_eq!(state.into_buffer(), &[9][..]);
    }

    #[test]
    fn a_frame_lent_at_the_end_of_the_stream_is_held_then_dropped() {
        let mut state = ReadState::new(Codec::default(), 64 * KIB);
        feed(&mut state, &[1, 0, 0, 0, b'z']);
        assert_eq!(state.decode_eof_ref(), Ok(true));
        assert_eq!(state.lent(), b"z");
        assert_eq!(state.decode_eof_ref(), Ok(false), "nothing left");
        assert!(state.held.is_none());
        assert!(state.buffer().is_empty());
    }

    #[test]
    fn the_read_size_setting_caps_each_read() {
        let mut state = ReadState::new(Codec::default(), 64 * KIB);
        assert_eq!(state.read_size(), 64 * KIB);
        state.set_read_size(100);
        assert_eq!(state.read_size(), 100);
        assert_eq!(state.read_slice().len(), 100);
        state.set_read_size(0);
        assert_eq!(state.read_size(), 1);
        let state = ReadState::new(Codec::default(), 0);
        assert_eq!(state.read_size(), 1);
    }

    #[test]
    fn into_buffer_keeps_what_was_read_and_not_returned_a_long_frame_included() {
        let buffered = Bytes::from_static(&[7, 0]);
        let mut state = ReadState::from_buffered(Codec::default(), 64 * KIB, buffered);
        assert_eq!(state.buffer(), [7, 0]);
        feed(&mut state, &[0, 0, 1]);
        assert_eq!(state.into_buffer(), &[7, 0, 0, 0, 1][..]);
        let mut state = ReadState::new(Codec::default(), 64 * KIB);
        feed(&mut state, &[0, 0, 2, 0, 5]);
        assert_eq!(state.decode(), Ok(None));
        assert!(state.long_frame_reserve().is_some());
        assert_eq!(state.buf.capacity(), 0, "the shared buffer is given back");
        assert_eq!(state.alloc, 0);
        assert_eq!(state.into_buffer(), &[0, 0, 2, 0, 5][..]);
    }
}
