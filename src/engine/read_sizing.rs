//! How much each read asks for: the one read sizer every reader uses (the blocking, tokio and
//! futures-io `FrameReader`s through [`ReadState`](super::read::ReadState), and `FramedCodec`
//! for tokio-util's `Framed` through [`FramedSizing`](super::framed_sizing::FramedSizing)).
//!
//! It sees only what reads brought: the size grows while reads come back full, falls to twice
//! what a short read brought, asks for the small size when the reader is at rest, and resumes
//! the size from before when that small read comes back full (the module docs of
//! [`read`](super::read) give the numbers).

use super::buffer::SMALL;

/// The most one read asks for, by default: the reads of a bulk transfer grow to it.
pub(crate) const DEFAULT_MAX_READ: usize = 256 * 1024;

/// Reads grow past this size only after a streak of full reads.
pub(crate) const STREAK_FROM: usize = 64 * 1024;
/// How many full reads in a row of a size of at least [`STREAK_FROM`] double it. Measured with
/// `benches/bulk_tcp.rs` (interleaved, 4 runs each): with 16, blocking 1 MiB frames moved 85-93 %
/// of an unframed stream; with 4, 111-126 %, the 64 KiB rows unchanged.
pub(crate) const STREAK: u32 = 4;

/// The read sizer: what the next read asks for, from what the last ones brought.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadSizer {
    /// The most one read asks for.
    max: usize,
    /// What the next read asks for (when not at rest).
    len: usize,
    /// Full reads in a row at the current read size (see [`next_read_len`]).
    full_reads: u32,
    /// The read size before the last short read: a small read at rest that comes back full
    /// resumes it (the peer is streaming after all).
    resume_len: usize,
    /// How many bytes the last read brought (0 after a quiet spell).
    last_read: usize,
    /// The last read filled a whole room: the peer is streaming, so the next read asks for the
    /// full read size even between frames.
    streaming: bool,
}

impl ReadSizer {
    /// A fresh sizer, asking for at most `read_size` bytes a read (at least 1).
    pub(crate) fn new(read_size: usize) -> ReadSizer {
        let max = read_size.max(1);
        ReadSizer {
            max,
            len: small(max),
            full_reads: 0,
            resume_len: small(max),
            last_read: 0,
            streaming: false,
        }
    }

    /// Sets the most one read asks for (at least 1).
    pub(crate) fn set_max(&mut self, read_size: usize) {
        self.max = read_size.max(1);
        self.len = self.len.clamp(small(self.max), self.max);
        self.resume_len = self.resume_len.min(self.len);
    }

    /// The most one read asks for.
    #[inline]
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// The small size: [`SMALL`], or the most a read asks for if that is less.
    #[inline]
    pub(crate) fn small(&self) -> usize {
        small(self.max)
    }

    /// What a read asks for when the reader is not at rest.
    #[inline]
    pub(crate) fn read_len(&self) -> usize {
        self.len
    }

    /// The room the next read asks for. At rest (the frame in flight, as far as it is known,
    /// fits in the small size) after a read that brought less than the small size (the peer
    /// trickles or has stopped), a small read first: if the peer is idle, the reader waits with
    /// a small buffer; if not, the read comes back full and the next one asks for the full size
    /// again.
    #[inline]
    pub(crate) fn room(&self, at_rest: bool) -> usize {
        if !self.streaming && self.last_read < self.small() && at_rest {
            self.small()
        } else {
            self.len
        }
    }

    /// Sizes the next read by the last one, which brought `n` bytes into a room of `room_len`;
    /// `room_whole`: that room was as large as [`room`](Self::room) asked (not cut short by a
    /// frame's end, which says nothing about what follows the frame).
    pub(crate) fn read(&mut self, n: usize, room_len: usize, room_whole: bool) {
        self.last_read = n;
        let full = n == room_len;
        self.streaming = full && room_whole;
        if full && room_len >= self.len {
            // The peer had more to send: ask for more.
            self.len = next_read_len(self.len, &mut self.full_reads, self.max);
        }
        if self.streaming {
            // After a short read, a full one (the small read at rest, typically): the peer is
            // streaming after all, so the next read asks for the size reads had before.
            self.len = self.len.max(self.resume_len);
        } else if !full {
            self.full_reads = 0;
            self.resume_len = self.len;
            // It had less: ask for twice what came (never more than before: only full reads
            // grow the size), so a trickle does not cost big reads.
            self.len = n
                .saturating_mul(2)
                .min(self.len)
                .clamp(self.small(), self.max.max(self.small()));
        }
    }

    /// Notes a quiet spell: a read found nothing ready, or a read brought exactly the rest of a
    /// frame (which says nothing about what follows it). The next read at rest is a small one.
    #[inline]
    pub(crate) fn quiet(&mut self) {
        self.streaming = false;
        self.last_read = 0;
    }

    /// Notes that the next reads go to a long frame's own buffer: whatever the last read
    /// brought, the next read at rest after that frame does not count on a stream.
    #[inline]
    pub(crate) fn stop_streaming(&mut self) {
        self.streaming = false;
    }
}

/// The read size after a read that filled a room of `read_len` bytes, of which `full_reads`
/// in a row so far (updated): doubled, up to `read_max`; from [`STREAK_FROM`] (64 KiB) on,
/// only once [`STREAK`] (4) reads of that size came back full in a row, so 64 KiB reads
/// become 128 KiB after 256 KiB and 256 KiB after 512 KiB more.
///
/// Why the streak: a larger buffer is fresh memory, and fresh memory costs a page fault every
/// 4 KiB when first touched (and its zeroing, for `std::io::Read`); reads of 256 KiB rather
/// than 64 KiB save three system calls per 256 KiB, which repays that only over a run of full
/// reads. A connection that moves a few hundred KiB (a request, a response) keeps 64 KiB
/// reads; a bulk transfer reaches the 256 KiB default maximum within 768 KiB. (The streak was
/// 16, a maximum reached after 3 MiB; the measurement at [`STREAK`] is why it is 4.)
pub(crate) fn next_read_len(read_len: usize, full_reads: &mut u32, read_max: usize) -> usize {
    let doubled = read_len.saturating_mul(2).min(read_max);
    if read_len < STREAK_FROM {
        *full_reads = 0;
        return doubled.min(STREAK_FROM.max(read_len));
    }
    *full_reads += 1;
    if *full_reads < STREAK {
        return read_len.min(read_max);
    }
    *full_reads = 0;
    doubled
}

/// The small size for a reader whose reads ask for at most `read_max` bytes.
pub(crate) fn small(read_max: usize) -> usize {
    SMALL.min(read_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;

    #[test]
    fn the_sizes_are_the_documented_ones() {
        assert_eq!(SMALL, 8 * KIB);
        assert_eq!(DEFAULT_MAX_READ, 256 * KIB);
        assert_eq!(STREAK_FROM, 64 * KIB);
        assert_eq!(STREAK, 4);
        assert_eq!(small(MIB), SMALL);
        assert_eq!(small(100), 100, "never more than a read may ask for");
    }

    #[test]
    fn reads_double_to_64_kib_then_only_after_a_streak_of_full_reads() {
        let mut full_reads = 0;
        let mut sizes = vec![8 * KIB];
        for _ in 0..40 {
            let next = next_read_len(*sizes.last().unwrap(), &mut full_reads, 256 * KIB);
            sizes.push(next);
        }
        assert_eq!(
            &sizes[..5],
            [8 * KIB, 16 * KIB, 32 * KIB, 64 * KIB, 64 * KIB]
        );
        // STREAK full reads at 64 KiB, then STREAK at 128 KiB, then the maximum.
        assert_eq!(
            sizes.iter().filter(|&&n| n == 64 * KIB).count(),
            STREAK as usize
        );
        assert_eq!(
            sizes.iter().filter(|&&n| n == 128 * KIB).count(),
            STREAK as usize
        );
        assert_eq!(*sizes.last().unwrap(), 256 * KIB);
        // Below 64 KiB nothing waits, and a small maximum is never passed.
        assert_eq!(next_read_len(40 * KIB, &mut 0, 256 * KIB), 64 * KIB);
        assert_eq!(next_read_len(4 * KIB, &mut 0, 6 * KIB), 6 * KIB);
    }

    #[test]
    fn reads_double_to_64_kib_then_after_a_streak_of_full_reads() {
        let mut full = 0;
        assert_eq!(next_read_len(SMALL, &mut full, MIB), 16 * KIB);
        assert_eq!(next_read_len(32 * KIB, &mut full, MIB), 64 * KIB);
        assert_eq!(
            next_read_len(32 * KIB, &mut full, 40 * KIB),
            40 * KIB,
            "capped"
        );
        for _ in 1..STREAK {
            assert_eq!(next_read_len(64 * KIB, &mut full, MIB), 64 * KIB);
        }
        assert_eq!(next_read_len(64 * KIB, &mut full, MIB), 128 * KIB);
        assert_eq!(full, 0, "a new streak at the new size");
    }

    #[test]
    fn a_fresh_sizer_asks_for_the_small_size_and_at_least_one_byte() {
        let sizer = ReadSizer::new(MIB);
        assert_eq!(
            (sizer.max(), sizer.small(), sizer.read_len()),
            (MIB, SMALL, SMALL)
        );
        assert_eq!(sizer.room(true), SMALL);
        assert_eq!(sizer.room(false), SMALL);
        let tiny = ReadSizer::new(0);
        assert_eq!((tiny.max(), tiny.small(), tiny.read_len()), (1, 1, 1));
        let small_max = ReadSizer::new(100);
        assert_eq!((small_max.small(), small_max.read_len()), (100, 100));
    }

    #[test]
    fn a_new_maximum_clamps_the_read_size_and_the_resume_size() {
        let mut sizer = ReadSizer::new(MIB);
        for _ in 0..3 {
            sizer.read(sizer.read_len(), sizer.read_len(), true);
        }
        assert_eq!(sizer.read_len(), 64 * KIB);
        sizer.set_max(16 * KIB);
        assert_eq!((sizer.max(), sizer.read_len()), (16 * KIB, 16 * KIB));
        sizer.set_max(0);
        assert_eq!((sizer.max(), sizer.read_len(), sizer.small()), (1, 1, 1));
        // Raising it keeps the read size, which only full reads raise.
        sizer.set_max(MIB);
        assert_eq!(sizer.read_len(), SMALL);
        // The resume size never passes the read size the maximum left.
        let mut sizer = ReadSizer::new(MIB);
        for _ in 0..3 {
            sizer.read(sizer.read_len(), sizer.read_len(), true);
        }
        sizer.read(10, 64 * KIB, true);
        assert_eq!(sizer.resume_len, 64 * KIB);
        sizer.set_max(32 * KIB);
        assert_eq!(
            sizer.resume_len, SMALL,
            "the read size after the short read"
        );
    }

    #[test]
    fn the_small_read_at_rest_needs_a_quiet_peer_and_a_read_under_the_small_size() {
        let mut sizer = ReadSizer::new(MIB);
        for _ in 0..3 {
            sizer.read(sizer.read_len(), sizer.read_len(), true);
        }
        // Streaming: the full size even at rest.
        assert_eq!(sizer.room(true), 64 * KIB);
        // A read of exactly the small size, not whole: not streaming, but not under the small
        // size either.
        sizer.read(SMALL, SMALL, false);
        assert_eq!(sizer.room(true), 64 * KIB);
        assert_eq!(sizer.room(false), 64 * KIB);
        sizer.read(SMALL - 1, SMALL - 1, false);
        assert_eq!(sizer.room(true), SMALL);
        assert_eq!(sizer.room(false), 64 * KIB, "a long frame is under way");
    }

    #[test]
    fn only_a_full_read_of_at_least_the_read_size_grows_it() {
        let mut sizer = ReadSizer::new(MIB);
        // Full, but a room smaller than the read size (a frame's end): no growth.
        sizer.read(SMALL - 1, SMALL - 1, true);
        assert_eq!(sizer.read_len(), SMALL);
        sizer.read(SMALL, SMALL, true);
        assert_eq!(sizer.read_len(), 16 * KIB);
        // A room larger than the read size, filled: grows too.
        sizer.read(40 * KIB, 40 * KIB, true);
        assert_eq!(sizer.read_len(), 32 * KIB);
    }

    #[test]
    fn a_short_read_falls_to_twice_what_came_within_the_small_size_and_the_maximum() {
        let mut sizer = ReadSizer::new(MIB);
        for _ in 0..3 {
            sizer.read(sizer.read_len(), sizer.read_len(), true);
        }
        assert_eq!(sizer.read_len(), 64 * KIB);
        sizer.read(20 * KIB, 64 * KIB, true);
        assert_eq!(sizer.read_len(), 40 * KIB, "twice what came");
        assert_eq!(sizer.resume_len, 64 * KIB);
        assert_eq!(sizer.full_reads, 0);
        sizer.read(30 * KIB, 40 * KIB, true);
        assert_eq!(sizer.read_len(), 40 * KIB, "never more than before");
        sizer.read(1, 40 * KIB, true);
        assert_eq!(sizer.read_len(), SMALL, "never under the small size");
        // With a maximum under the small size, the maximum.
        let mut tiny = ReadSizer::new(100);
        tiny.read(1, 100, true);
        assert_eq!(tiny.read_len(), 100);
    }

    #[test]
    fn a_full_whole_read_after_a_short_one_resumes_the_size_from_before() {
        let mut sizer = ReadSizer::new(MIB);
        for _ in 0..3 {
            sizer.read(sizer.read_len(), sizer.read_len(), true);
        }
        sizer.read(100, 64 * KIB, true);
        assert_eq!(sizer.read_len(), SMALL);
        // Full but cut short by a frame's end: says nothing, no resume.
        sizer.read(SMALL, SMALL, false);
        assert_eq!(sizer.read_len(), 16 * KIB);
        let mut sizer = ReadSizer::new(MIB);
        for _ in 0..3 {
            sizer.read(sizer.read_len(), sizer.read_len(), true);
        }
        sizer.read(100, 64 * KIB, true);
        sizer.read(SMALL, SMALL, true);
        assert_eq!(sizer.read_len(), 64 * KIB, "resumed");
        assert_eq!(sizer.room(true), 64 * KIB, "streaming");
    }

    #[test]
    fn quiet_and_a_long_frame_end_the_stream_the_sizer_counted_on() {
        let mut sizer = ReadSizer::new(MIB);
        sizer.read(SMALL, SMALL, true);
        assert_eq!(sizer.room(true), 16 * KIB);
        sizer.stop_streaming();
        assert_eq!(
            sizer.room(true),
            16 * KIB,
            "the last read was not under the small size"
        );
        sizer.quiet();
        assert_eq!(sizer.room(true), SMALL);
        assert_eq!(sizer.room(false), 16 * KIB);
        assert_eq!(sizer.last_read, 0);
        // Streaming after a full read of a room under the small size (a frame's rest); a long
        // frame starting ends that stream.
        let mut sizer = ReadSizer::new(MIB);
        sizer.read(100, 100, true);
        assert_eq!(sizer.room(true), SMALL.max(sizer.read_len()));
        for _ in 0..3 {
            sizer.read(sizer.read_len(), sizer.read_len(), true);
        }
        sizer.read(100, 100, true);
        assert_eq!(sizer.room(true), 64 * KIB, "streaming");
        sizer.stop_streaming();
        assert_eq!(sizer.room(true), SMALL);
    }

    #[test]
    fn the_streak_counts_only_from_64_kib_and_restarts_at_each_size() {
        let mut full = 7;
        assert_eq!(next_read_len(STREAK_FROM - 1, &mut full, MIB), STREAK_FROM);
        assert_eq!(full, 0, "below the streak size nothing is counted");
        assert_eq!(next_read_len(STREAK_FROM, &mut full, MIB), STREAK_FROM);
        assert_eq!(full, 1);
        full = STREAK - 1;
        assert_eq!(next_read_len(STREAK_FROM, &mut full, MIB), 2 * STREAK_FROM);
        assert_eq!(full, 0);
        // A maximum under the current size (lowered since): the maximum.
        full = 0;
        assert_eq!(next_read_len(128 * KIB, &mut full, 100 * KIB), 100 * KIB);
        full = STREAK - 1;
        assert_eq!(next_read_len(128 * KIB, &mut full, 200 * KIB), 200 * KIB);
        assert_eq!(next_read_len(usize::MAX, &mut 0, usize::MAX), usize::MAX);
    }
}
