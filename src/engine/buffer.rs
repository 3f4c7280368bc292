//! How big a buffer is: the capacity a read needs, when a buffer is grown, the slack of a fresh
//! one, and when an allocation is given back (read buffers, and write buffers once emptied).
//! The numbers are in the module docs of [`read`](super::read) and [`write`](super::write).

/// The small size: what a fresh or resting reader asks for, about what an idle reader holds,
/// and what a writer's buffer may keep once it has been written out.
pub(crate) const SMALL: usize = 8 * 1024;

/// The capacity a buffer holding `len` bytes needs for a read of `room` bytes, when the frame in
/// flight needs `needed` more: room for the read, except that a frame longer than that grows by
/// what has arrived (doubling its buffer rather than copying it at every read), never past the
/// frame's end. What a header claims caps the growth and never sets it.
pub(crate) fn wanted_capacity(len: usize, needed: usize, room: usize) -> usize {
    let room = if needed > room {
        needed.min(room.max(len))
    } else {
        room
    };
    len.saturating_add(room)
}

/// Whether `spare` bytes of room are too few for a read of `room` bytes into a buffer holding
/// `len` bytes of which the frame in flight needs `needed` more: less than half a read (so a
/// trickle does not reallocate for every read), except that the rest of a frame longer than a
/// read is enough (its buffer, sized to its end, is not copied again to add room after it).
pub(crate) fn needs_room(spare: usize, len: usize, needed: usize, room: usize) -> bool {
    let long_frame = len.saturating_add(needed) > room;
    let enough = if long_frame {
        room.div_ceil(2).min(needed)
    } else {
        room.div_ceil(2)
    };
    spare < enough.max(1)
}

/// The capacity of a fresh buffer for `len` buffered bytes and a room that makes `want`: an
/// eighth more room if that room is larger than the small size, so that it is reused while
/// what is buffered then grows by that much (a small buffer is cheap to replace, and stays as
/// small as the policy says).
pub(crate) fn with_slack(len: usize, want: usize, small: usize) -> usize {
    let room = want - len;
    if room > small {
        want.saturating_add(room / 8)
    } else {
        want
    }
}

/// Whether an allocation of `alloc` bytes is too big for a buffer that needs `want`: more than
/// twice that (and than twice the small size). Then it is given back.
#[inline]
pub(crate) fn too_big(alloc: usize, want: usize, small: usize) -> bool {
    alloc / 2 > want.max(small)
}

/// Whether a write buffer that held at most `peak` bytes since it was last given back is given
/// back once it has been written out: when it grew past the small size, so an idle writer holds
/// little whatever it wrote.
#[inline]
pub(crate) fn write_gives_back(peak: usize) -> bool {
    peak > SMALL
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;

    #[test]
    fn short_frames_get_a_read_of_room() {
        assert_eq!(wanted_capacity(0, 4, 8 * KIB), 8 * KIB);
        assert_eq!(wanted_capacity(100, 20, 64 * KIB), 100 + 64 * KIB);
    }

    #[test]
    fn a_long_frame_grows_by_what_arrived_and_never_past_its_end() {
        // A header claiming 1 GiB with 14 bytes in: one read's room, not the claim.
        assert_eq!(wanted_capacity(14, 1 << 30, 8 * KIB), 14 + 8 * KIB);
        // 4 MiB in: doubling by what arrived.
        assert_eq!(wanted_capacity(4 * MIB, 1 << 30, MIB), 8 * MIB);
        // 7 MiB in of an 8 MiB frame: only to its end.
        assert_eq!(wanted_capacity(7 * MIB, MIB + 4, MIB), 8 * MIB + 4);
    }

    #[test]
    fn fresh_buffers_get_an_eighth_of_slack_above_the_small_size() {
        assert_eq!(with_slack(100, 100 + 64 * KIB, SMALL), 100 + 72 * KIB);
        assert_eq!(with_slack(10, 10 + SMALL, SMALL), 10 + SMALL);
    }

    #[test]
    fn big_allocations_are_given_back_small_ones_kept() {
        assert!(too_big(8 * MIB, 8 * KIB, SMALL));
        assert!(!too_big(16 * KIB, 100, SMALL));
        assert!(!too_big(2 * MIB, MIB + 10, SMALL));
        assert!(too_big(2 * MIB + 2, 200 * KIB, SMALL));
    }

    #[test]
    fn a_trickle_reuses_its_room() {
        assert!(!needs_room(5 * KIB, 10, 100_000, 8 * KIB));
        assert!(needs_room(3 * KIB, 10, 100_000, 8 * KIB));
        // The rest of a frame fits: no growth past its end.
        assert!(!needs_room(10, MIB, 10, 8 * KIB));
        assert!(needs_room(0, 8 * KIB, 1, 8 * KIB));
        // The rest of a short frame is not enough: room for the frames after it.
        assert!(needs_room(36, 28, 36, 16 * KIB));
    }

    #[test]
    fn the_boundaries_of_each_shape() {
        // wanted_capacity: a frame that needs exactly a read gets a read.
        assert_eq!(wanted_capacity(10, 100, 100), 110);
        assert_eq!(wanted_capacity(10, 101, 100), 110);
        assert_eq!(
            wanted_capacity(300, 10, 100),
            400,
            "a short rest: a read's room"
        );
        assert_eq!(
            wanted_capacity(300, 1000, 100),
            600,
            "what arrived, past the room"
        );
        assert_eq!(wanted_capacity(usize::MAX, 1, 1), usize::MAX);
        // needs_room: exactly half a read is enough; one byte less is not.
        assert!(!needs_room(50, 0, 10, 100));
        assert!(needs_room(49, 0, 10, 100));
        assert!(!needs_room(51, 0, 10, 101), "half rounds up");
        assert!(needs_room(50, 0, 10, 101));
        // A frame exactly a read long is not a long frame: half a read.
        assert!(needs_room(10, 0, 100, 100));
        // A long frame: the rest of it is enough, and never less than one byte.
        assert!(!needs_room(20, 90, 20, 100));
        assert!(needs_room(19, 90, 20, 100));
        // A frame that ends exactly where a read would is not long: half a read.
        assert!(needs_room(20, 90, 10, 100));
        assert!(needs_room(0, 0, 0, 0));
        assert!(!needs_room(1, 0, 0, 0));
        assert!(!needs_room(1, usize::MAX, 1, 100), "no overflow");
        // with_slack: none up to the small size, an eighth over it.
        assert_eq!(with_slack(0, SMALL, SMALL), SMALL);
        assert_eq!(with_slack(0, SMALL + 8, SMALL), SMALL + 8 + (SMALL + 8) / 8);
        assert_eq!(
            with_slack(5, 5 + SMALL + 80, SMALL),
            5 + SMALL + 80 + (SMALL + 80) / 8
        );
        // too_big: exactly twice is kept.
        assert!(!too_big(2 * 100 * KIB, 100 * KIB, SMALL));
        assert!(too_big(2 * 100 * KIB + 2, 100 * KIB, SMALL));
        assert!(
            !too_big(2 * SMALL + 1, 10, SMALL),
            "twice the small size is kept"
        );
        assert!(too_big(2 * SMALL + 2, 10, SMALL));
    }

    #[test]
    fn a_write_buffer_is_given_back_only_past_the_small_size() {
        assert!(!write_gives_back(0));
        assert!(!write_gives_back(SMALL));
        assert!(write_gives_back(SMALL + 1));
        assert!(write_gives_back(8 * MIB));
    }
}
