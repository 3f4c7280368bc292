//! The allocator-specific tuning of the read side, in one place: how a long frame's buffer
//! grows, chosen for glibc's `malloc`.
//!
//! What it is measured by: `tests/server_memory.rs` (20 clients each send one 8 MiB frame and
//! stay connected, idle; growth of the server's `VmRSS` per idle connection). BENCHMARKS.md
//! records +0.10 to +0.12 MiB (`echo_server`) and +0.02 MiB (`async_echo`) with glibc's mmap
//! threshold fixed at 128 KiB, the asserted bound being 1 MiB, and +0.4 to +6.2 MiB with glibc's
//! defaults (run to run: allocator retention), against ~15 and ~9.4 MiB before issue 9, when
//! each reader kept its 8 MiB buffer. No side-by-side run of "always in place" against this
//! rule is recorded; the reasoning is in [`grow_long_frame`].

/// Makes room in `vec` for a long frame of `capacity` bytes (what it holds included): in place
/// (`realloc`) for a frame of a bulk stream, otherwise in a fresh allocation that what arrived
/// is copied into.
///
/// Why both: glibc's `malloc` (Linux's usual allocator) serves large blocks from its per-thread
/// arenas once a large block has been freed (its mmap threshold rises to that block's size),
/// and gives arena memory back to the system only when the free space at an arena's top reaches
/// twice that threshold. A frame grown in place frees one frame's worth at once, under that:
/// every arena that ever held a frame keeps one, and a server with a thread (or a few runtime
/// threads) per connection grows with the arenas it touches. Grown in fresh allocations, the
/// earlier steps are freed below the frame as it grows (copying what arrived about once), and
/// when the frame is freed about twice its size comes free at once: given back. A bulk stream
/// of long frames grows in place instead, so that the memory one frame frees is the next one's
/// buffer, with no page faults (a fresh buffer given back and taken again faults in every page).
pub(super) fn grow_long_frame(vec: &mut Vec<u8>, capacity: usize, in_place: bool) {
    let additional = capacity.saturating_sub(vec.len());
    if in_place {
        vec.reserve_exact(additional);
    } else {
        let mut fresh = Vec::with_capacity(vec.len() + additional);
        fresh.extend_from_slice(vec);
        *vec = fresh;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_frame_grows_into_fresh_or_the_same_allocation() {
        for in_place in [false, true] {
            let mut vec = vec![1, 2, 3];
            grow_long_frame(&mut vec, 1003, in_place);
            assert_eq!(vec, [1, 2, 3]);
            assert!(vec.capacity() >= 1003);
        }
    }
}
