//! The read buffer policy for a buffer the reader does not own: tokio-util's `Framed`, which
//! reads into all of its buffer's spare capacity and calls the codec's decoder after each read
//! until it returns no frame. `FramedCodec` calls [`FramedSizing::fit`] after each decoder call,
//! so that `Framed` never grows the buffer itself (it would double it, by any claim).
//!
//! The sizes come from the same [`ReadSizer`] every reader uses, fed with what each read
//! brought; the buffer shapes from [`buffer`](super::buffer). One difference is forced by
//! `Framed`: it never says when a read found nothing ready, so a short read that leaves the
//! reader at rest counts as the peer running dry ([`ReadSizer::quiet`]), and a large buffer is
//! given back then rather than when the next read would block.
//!
//! `Framed`'s write buffer has its own rule here, [`fit_write_buffer`]: `Framed` flushes only
//! once that buffer reaches its backpressure boundary (8 KiB by default, its initial capacity),
//! so it holds a frame past the small size at every flush; what is given back is an allocation
//! too big for the small size, by the read buffers' rule ([`too_big`]).

use bytes::BytesMut;

use super::buffer::{needs_room, too_big, wanted_capacity, with_slack, SMALL};
use super::read_sizing::{ReadSizer, DEFAULT_MAX_READ};

/// What `FramedCodec` keeps of the buffer policy: the read sizer, the size of the allocation it
/// last gave the buffer, and the room it left for the next read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FramedSizing {
    sizer: ReadSizer,
    /// The size of the allocation the buffer was last given here (`Framed` may have grown it
    /// since; the buffer's capacity says the rest).
    alloc: usize,
    /// The spare capacity left for the read that follows a decoder call returning no frame.
    spare: usize,
    /// The room the sizer asked for that read.
    asked: usize,
    /// The read that came before this decoder call has not been counted yet.
    read_pending: bool,
    /// The least room the sizer may ask for the next read (`room(true)`, never less than the
    /// small size), kept from the last call that changed the sizer: what the check for a frame
    /// of a read already counted needs, without asking the sizer on every frame.
    least_room: usize,
    /// The last read counted brought less than the room it had.
    short: bool,
}

impl Default for FramedSizing {
    fn default() -> Self {
        let sizer = ReadSizer::new(DEFAULT_MAX_READ);
        FramedSizing {
            sizer,
            alloc: 0,
            spare: 0,
            asked: 0,
            read_pending: false,
            short: false,
            least_room: sizer.room(true),
        }
    }
}

impl FramedSizing {
    /// The read sizer.
    #[cfg(test)]
    pub(crate) fn sizer(&self) -> &ReadSizer {
        &self.sizer
    }

    /// Applies the policy to `src` after a decoder call: `capacity_before` is `src.capacity()`
    /// before the call, `returned_frame` whether it returned a frame, `needed` what the frame in
    /// flight still needs (asked only when the policy depends on it).
    ///
    /// The first call after a read counts it: splitting frames off the front of a `BytesMut`
    /// takes the same amount off its length and its capacity, so the spare capacity still says
    /// how much of the room the read left. After a frame is split off a buffer much larger than
    /// what remains needs, what remains is moved into a buffer of its own, so the large
    /// allocation goes with the frame (and is freed with it). Before the next read (no frame
    /// returned), the buffer gets the room the sizer asks for, a long frame's growth capped at
    /// its end.
    ///
    /// A frame split off a read already counted leaves nothing to do unless the allocation is
    /// too big for what remains plus the least room the sizer may ask: checked first, so the
    /// frames after the first of each read cost a comparison.
    #[inline]
    pub(crate) fn fit(
        &mut self,
        src: &mut BytesMut,
        capacity_before: usize,
        returned_frame: bool,
        needed: impl FnOnce(&BytesMut) -> usize,
    ) {
        if returned_frame && !self.read_pending {
            // The room below is at least `least_room` (the small size or more), and a larger
            // wanted capacity only makes `too_big` less likely.
            let least = src.len().saturating_add(self.least_room);
            if !too_big(self.alloc.max(capacity_before), least, self.least_room) {
                return;
            }
        }
        self.fit_slow(src, capacity_before, returned_frame, needed(src));
    }

    /// [`fit`](Self::fit) in full: once a read, and when a large allocation may go.
    #[inline(never)]
    fn fit_slow(
        &mut self,
        src: &mut BytesMut,
        capacity_before: usize,
        returned_frame: bool,
        needed: usize,
    ) {
        let len = src.len();
        let spare = src.capacity() - len;
        let small = self.sizer.small();
        if self.read_pending {
            self.read_pending = false;
            // `Framed` reads into all of the spare capacity, which may be more than the sizer
            // asked for (slack, or an allocation kept): that is the read's room, and it was
            // whole unless a frame's end cut it below what the sizer asked.
            let n = self.spare.saturating_sub(spare);
            self.short = n < self.spare;
            self.sizer.read(n, self.spare, self.spare >= self.asked);
        }
        let at_rest = len.saturating_add(needed) <= small;
        if !returned_frame && at_rest && self.short {
            // A short read, and nothing in flight past the small size: the only sign of a peer
            // running dry that `Framed` gives.
            self.sizer.quiet();
        }
        let room = self.sizer.room(at_rest);
        let want = wanted_capacity(len, needed, room);
        let alloc = self.alloc.max(capacity_before);
        let grow = !returned_frame && needs_room(spare, len, needed, room);
        if grow || too_big(alloc, want, small) {
            let mut fresh = BytesMut::with_capacity(with_slack(len, want, small));
            fresh.extend_from_slice(src);
            *src = fresh;
            self.alloc = src.capacity();
        }
        if !returned_frame {
            self.spare = src.capacity() - len;
            self.asked = room;
            self.read_pending = true;
        }
        self.least_room = self.sizer.room(true);
    }
}

/// `Framed`'s write buffer before the encoder appends a frame: once everything in it has been
/// written out, an allocation too big for the small size (more than twice it) is given back, so
/// an idle `Framed` writer holds at most 16 KiB whatever it wrote. The one allocation `Framed`
/// streams small frames through is kept: it flushes at 8 KiB (its backpressure boundary), so its
/// buffer grows to 16 KiB, and giving that back at every flush would cost an allocation and a
/// regrowth each time.
///
/// The allocation is measured, not remembered: bytes written out are still in front of an
/// empty buffer until it is reused, so they are reclaimed first (no copy, nothing buffered), and
/// the capacity is then the whole allocation.
#[inline]
pub(crate) fn fit_write_buffer(dst: &mut BytesMut) {
    if dst.is_empty() {
        give_back_if_too_big(dst);
    }
}

#[inline(never)]
fn give_back_if_too_big(dst: &mut BytesMut) {
    let _ = dst.try_reclaim(dst.capacity().saturating_add(1));
    if too_big(dst.capacity(), SMALL, SMALL) {
        *dst = BytesMut::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;

    #[test]
    fn framed_buffer_lets_a_big_frame_go_and_keeps_the_rest_small() {
        // A frame of 8 MiB split off an 8 MiB + 8 KiB buffer, 6 bytes of the next one left.
        let mut big = BytesMut::with_capacity(8 * MIB + 8 * KIB);
        big.extend_from_slice(&vec![1; 8 * MIB + 4 + 6]);
        let before = big.capacity();
        let frame = big.split_to(8 * MIB + 4);
        let mut sizing = FramedSizing::default();
        sizing.fit(&mut big, before, true, |_| 0);
        assert_eq!(big.len(), 6);
        assert!(big.capacity() <= 2 * MIB, "{}", big.capacity());
        drop(frame);
        // The peer runs dry: back to the small size.
        for _ in 0..2 {
            let capacity = big.capacity();
            sizing.fit(&mut big, capacity, false, |_| 0);
        }
        assert_eq!(sizing.sizer().read_len(), SMALL);
        assert_eq!(big.capacity(), 6 + SMALL);
    }

    #[test]
    fn framed_buffer_never_grows_by_a_claim() {
        let mut buf = BytesMut::with_capacity(8 * KIB);
        buf.extend_from_slice(&[0; 8 * KIB]);
        let mut sizing = FramedSizing::default();
        // Full: the header claims 1 GiB; the buffer doubles by what arrived, no more.
        sizing.fit(&mut buf, 8 * KIB, false, |_| 1 << 30);
        assert!(buf.capacity() <= 24 * KIB, "{}", buf.capacity());
    }

    /// `Framed`'s read: `n` bytes into the spare capacity (at most all of it).
    fn read(buf: &mut BytesMut, n: usize) -> usize {
        let n = n.min(buf.capacity() - buf.len());
        buf.extend_from_slice(&vec![0; n]);
        n
    }

    /// Frames split off the front: what `Framed`'s buffer sees of a decoder that took it all.
    fn consume(buf: &mut BytesMut) {
        drop(buf.split_to(buf.len()));
    }

    /// A decoder call that returns no frame, the frame in flight needing `needed` more.
    fn none(sizing: &mut FramedSizing, buf: &mut BytesMut, needed: usize) {
        let capacity = buf.capacity();
        sizing.fit(buf, capacity, false, |_| needed);
    }

    #[test]
    fn each_read_is_counted_from_the_spare_capacity_frames_split_off_or_not() {
        let mut sizing = FramedSizing::default();
        let mut buf = BytesMut::new();
        none(&mut sizing, &mut buf, 4);
        assert_eq!(
            buf.capacity(),
            SMALL,
            "a fresh reader's room is the small size"
        );
        // A full read, then frames split off its front: it counts as full.
        assert_eq!(read(&mut buf, usize::MAX), SMALL);
        let capacity = buf.capacity();
        let frame = buf.split_to(100);
        sizing.fit(&mut buf, capacity, true, |_| 0);
        assert_eq!(sizing.sizer().read_len(), 16 * KIB, "grown by a full read");
        drop(frame);
        consume(&mut buf);
        none(&mut sizing, &mut buf, 4);
        assert!(buf.capacity() >= 16 * KIB, "streaming: {}", buf.capacity());
        // Counted once: a full read, then two frames split off it.
        read(&mut buf, usize::MAX);
        for _ in 0..2 {
            let capacity = buf.capacity();
            drop(buf.split_to(10));
            sizing.fit(&mut buf, capacity, true, |_| 0);
            assert_eq!(sizing.sizer().read_len(), 32 * KIB);
        }
    }

    #[test]
    fn reads_grow_while_full_and_a_short_one_at_rest_gives_the_buffer_back() {
        let mut sizing = FramedSizing::default();
        let mut buf = BytesMut::new();
        none(&mut sizing, &mut buf, 4);
        for _ in 0..3 {
            read(&mut buf, usize::MAX);
            consume(&mut buf);
            none(&mut sizing, &mut buf, 4);
        }
        assert_eq!(sizing.sizer().read_len(), 64 * KIB);
        let grown = buf.capacity();
        assert!(grown >= 64 * KIB, "{grown}");
        // A short read that leaves the reader at rest: the peer ran dry.
        read(&mut buf, 100);
        consume(&mut buf);
        none(&mut sizing, &mut buf, 4);
        assert_eq!(buf.capacity(), SMALL, "given back");
        // The small read comes back full: the size from before.
        read(&mut buf, usize::MAX);
        consume(&mut buf);
        none(&mut sizing, &mut buf, 4);
        assert_eq!(sizing.sizer().read_len(), 64 * KIB, "resumed");
        assert!(buf.capacity() >= 64 * KIB);
    }

    #[test]
    fn a_short_read_inside_a_long_frame_keeps_its_room() {
        let mut sizing = FramedSizing::default();
        let mut buf = BytesMut::new();
        none(&mut sizing, &mut buf, 100 * KIB);
        read(&mut buf, 100);
        none(&mut sizing, &mut buf, 100 * KIB - 100);
        // Not at rest: no small read, the room stays a read's.
        assert_eq!(sizing.sizer().room(false), SMALL);
        assert!(buf.capacity() - buf.len() >= SMALL / 2);
    }

    #[test]
    fn the_allocation_framed_grew_counts_as_well_as_the_one_given_here() {
        let mut sizing = FramedSizing::default();
        // `Framed` grew this buffer to 1 MiB itself; 10 bytes remain after a frame.
        let mut buf = BytesMut::with_capacity(MIB);
        buf.extend_from_slice(&[0; 10]);
        sizing.fit(&mut buf, MIB, true, |_| 0);
        assert!(buf.capacity() < 64 * KIB, "{}", buf.capacity());
        assert_eq!(&buf[..], &[0; 10]);
    }

    #[test]
    fn the_maximum_read_is_the_sizers() {
        let mut sizing = FramedSizing::default();
        let mut buf = BytesMut::new();
        none(&mut sizing, &mut buf, 4);
        for _ in 0..20 {
            read(&mut buf, usize::MAX);
            consume(&mut buf);
            none(&mut sizing, &mut buf, 4);
        }
        assert_eq!(sizing.sizer().read_len(), DEFAULT_MAX_READ);
        assert!(buf.capacity() <= DEFAULT_MAX_READ + DEFAULT_MAX_READ / 8);
    }

    #[test]
    fn a_short_read_of_more_than_the_small_size_at_rest_still_gives_the_buffer_back() {
        let mut sizing = FramedSizing::default();
        let mut buf = BytesMut::new();
        none(&mut sizing, &mut buf, 4);
        for _ in 0..3 {
            read(&mut buf, usize::MAX);
            consume(&mut buf);
            none(&mut sizing, &mut buf, 4);
        }
        assert!(buf.capacity() >= 64 * KIB);
        // 20 KiB, short of the room: `Framed` never says the next read would block, so this is
        // the peer running dry, whatever it brought.
        read(&mut buf, 20 * KIB);
        consume(&mut buf);
        none(&mut sizing, &mut buf, 4);
        assert_eq!(buf.capacity(), SMALL);
        assert_eq!(sizing.sizer().room(true), SMALL);
    }

    #[test]
    fn a_frame_returned_never_grows_the_buffer() {
        let mut sizing = FramedSizing::default();
        let mut buf = BytesMut::new();
        none(&mut sizing, &mut buf, 4);
        read(&mut buf, usize::MAX);
        let capacity = buf.capacity();
        drop(buf.split_to(100));
        sizing.fit(&mut buf, capacity, true, |_| 0);
        assert_eq!(
            buf.capacity(),
            SMALL - 100,
            "no room made before the decoder is done"
        );
    }

    #[test]
    fn a_read_into_a_room_cut_short_by_what_is_buffered_counts_only_that_room() {
        let mut sizing = FramedSizing::default();
        let mut buf = BytesMut::with_capacity(SMALL);
        buf.extend_from_slice(&[0; 3 * KIB]);
        // At rest: 3 KiB of a frame needing 1 KiB more; 5 KiB of room left, kept.
        none(&mut sizing, &mut buf, KIB);
        assert_eq!(buf.capacity(), SMALL);
        read(&mut buf, usize::MAX);
        consume(&mut buf);
        none(&mut sizing, &mut buf, 4);
        // Full, but a room under the read size: no growth.
        assert_eq!(sizing.sizer().read_len(), SMALL);
    }

    /// `sizing` after a read of `n` bytes and a frame split off it: the read counted.
    fn read_and_counted(sizing: &mut FramedSizing, buf: &mut BytesMut, n: usize) {
        read(buf, n);
        let capacity = buf.capacity();
        drop(buf.split_to(buf.len().min(10)));
        sizing.fit(buf, capacity, true, |_| 0);
        consume(buf);
        assert!(!sizing.read_pending);
    }

    #[test]
    fn the_early_return_for_a_frame_leaves_what_the_full_rule_would() {
        // Sizers with their last read counted: fresh, streaming at 64 KiB, after a short read.
        let mut sizers = vec![FramedSizing::default()];
        let mut sizing = FramedSizing::default();
        let mut buf = BytesMut::new();
        for _ in 0..4 {
            none(&mut sizing, &mut buf, 4);
            read_and_counted(&mut sizing, &mut buf, usize::MAX);
        }
        assert_eq!(sizing.sizer().read_len(), 64 * KIB);
        sizers.push(sizing);
        none(&mut sizing, &mut buf, 4);
        read_and_counted(&mut sizing, &mut buf, 100);
        assert_eq!(sizing.sizer().room(true), SMALL);
        sizers.push(sizing);
        for sizing in sizers {
            for capacity in [0, 100, SMALL, 16 * KIB, 40 * KIB, 160 * KIB, MIB] {
                for len in [0, 10, SMALL, 20 * KIB, 100 * KIB] {
                    for needed in [0, 4, 100 * KIB] {
                        let make = || {
                            let mut buf = BytesMut::with_capacity(capacity.max(len));
                            buf.extend_from_slice(&vec![1; len]);
                            buf
                        };
                        let (mut fast, mut full) = (sizing, sizing);
                        let (mut a, mut b) = (make(), make());
                        let before = a.capacity();
                        fast.fit(&mut a, before, true, |_| needed);
                        full.fit_slow(&mut b, before, true, needed);
                        let case = format!("{capacity} {len} {needed} {sizing:?}");
                        assert_eq!(a.capacity(), b.capacity(), "{case}");
                        assert_eq!(format!("{fast:?}"), format!("{full:?}"), "{case}");
                        assert_eq!(&a[..], &b[..]);
                    }
                }
            }
        }
    }

    /// A write buffer that held `held` bytes, all written out (advanced past, as `Framed` does).
    fn written_out(capacity: usize, held: usize) -> BytesMut {
        let mut buf = BytesMut::with_capacity(capacity);
        buf.extend_from_slice(&vec![0; held]);
        bytes::Buf::advance(&mut buf, held);
        buf
    }

    #[test]
    fn the_write_buffer_framed_streams_through_is_kept() {
        // `Framed` flushes at 8 KiB: its 8 KiB buffer grew to 16 KiB for the frame past it.
        let mut buf = BytesMut::with_capacity(SMALL);
        buf.extend_from_slice(&[0; SMALL + 8]);
        let grown = buf.capacity();
        assert!(grown <= 2 * SMALL, "{grown}");
        bytes::Buf::advance(&mut buf, SMALL + 8);
        fit_write_buffer(&mut buf);
        assert_eq!(
            buf.capacity(),
            grown,
            "kept, and the written bytes reclaimed"
        );
        let mut buf = written_out(2 * SMALL + 1, 2 * SMALL + 1);
        fit_write_buffer(&mut buf);
        assert_eq!(
            buf.capacity(),
            2 * SMALL + 1,
            "twice the small size is kept"
        );
    }

    #[test]
    fn a_write_buffer_over_16_kib_is_given_back_once_written_out() {
        let mut buf = written_out(2 * SMALL + 2, 100);
        fit_write_buffer(&mut buf);
        assert_eq!(buf.capacity(), 0, "given back");
        let mut buf = written_out(8 * MIB, 8 * MIB);
        fit_write_buffer(&mut buf);
        assert_eq!(buf.capacity(), 0);
        // Not written out yet: kept, whatever its size.
        let mut buf = written_out(MIB, 100);
        buf.extend_from_slice(b"unsent");
        fit_write_buffer(&mut buf);
        assert_eq!(&buf[..], b"unsent");
        assert!(buf.capacity() >= MIB - 200);
    }
}
