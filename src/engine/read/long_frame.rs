//! Long frames: the rest of a frame that needs more than a read (and more than 64 KiB) is
//! read straight into a buffer of its own, grown as bytes arrive, never by what its header
//! claims, and handed out from it with no further copy.

#[cfg(feature = "tokio")]
use bytes::buf::Limit;
#[cfg(feature = "tokio")]
use bytes::BufMut;
use bytes::{Bytes, BytesMut};

use super::allocator::grow_long_frame;
use super::copy::Partial;
use super::ReadState;

/// Frames that still need more than this (and more than a read) are read straight into a
/// buffer of their own by a `std::io::Read` reader.
pub(super) const LONG_MIN: usize = 64 * 1024;

/// A frame longer than a read, read straight into its own buffer and handed out from it: the
/// frame is not copied again. Its header is at the front; `vec` grows as bytes arrive (never by
/// what the header claims). Readers into uninitialised memory (tokio) append to `vec`; readers
/// into initialised memory (`std::io::Read`) read into zeroed room at its end, `zeroed`, which
/// stays initialised until bytes fill it (so each byte of the frame is zeroed at most once).
#[derive(Debug)]
pub(super) struct LongFrame {
    /// The frame's bytes so far, then `zeroed` bytes of zeroed room.
    pub(super) vec: Vec<u8>,
    /// How many bytes at the end of `vec` are zeroed room, not the frame's.
    zeroed: usize,
    /// The room the last [`long_frame_reserve`](ReadState::long_frame_reserve) gave, and how
    /// many of the frame's bytes had arrived then: the read into it sizes the next reads
    /// ([`long_frame_filled`](ReadState::long_frame_filled)). 0 once counted.
    room: usize,
    before: usize,
    header_len: usize,
    /// The whole frame's length, header included.
    pub(super) len: usize,
    /// `vec` grows in place (the frame directly follows a long frame: a bulk stream), rather
    /// than into fresh allocations (see `grow_long_frame`).
    in_place: bool,
}

impl LongFrame {
    /// How many of the frame's bytes (header included) are in `vec`.
    pub(super) fn arrived(&self) -> usize {
        self.vec.len() - self.zeroed
    }
}

impl ReadState {
    /// If the frame in flight is longer than a read: makes room for the next read of it in a
    /// buffer of its own ([`long_frame_buf`](Self::long_frame_buf)) and returns how many bytes
    /// to read into that room (never past the frame's end). `None`: read with
    /// [`read_slice`](Self::read_slice) or `read_room`. Report the read with
    /// [`long_frame_filled`](Self::long_frame_filled).
    ///
    /// The buffer starts as the bytes already buffered plus one read's room and grows by what
    /// has arrived (doubling; growing a large `Vec` remaps its pages rather than copying them),
    /// never past the frame's end and never by what its header claims. The frame is handed out
    /// from it, with no further copy. A reader into uninitialised memory (tokio) appends to it;
    /// a `std::io::Read` reader reads into [`long_frame_slice`](Self::long_frame_slice).
    pub(crate) fn long_frame_reserve(&mut self) -> Option<usize> {
        if self.long.is_none() {
            self.start_long_frame();
        }
        let read_len = self.sizer.read_len();
        let long = self.long.as_mut()?;
        let arrived = long.arrived();
        let rest = long.len - arrived;
        if long.vec.capacity() - arrived < rest.min(read_len).div_ceil(2) {
            let additional = rest.min(read_len.max(arrived));
            grow_long_frame(&mut long.vec, arrived + additional, long.in_place);
        }
        long.room = rest.min(long.vec.capacity() - arrived);
        long.before = arrived;
        Some(long.room)
    }

    /// [`long_frame_reserve`](Self::long_frame_reserve), as initialised room, for a
    /// `std::io::Read` reader: the room is zeroed once, when first made, and stays initialised
    /// until bytes fill it (a short read leaves the rest for the next one), so zeroing follows
    /// the bytes received, not the reads made. One read fills it, however large: `read_to_end`,
    /// which fills uninitialised memory, begins each call with reads of 8 KiB that double only
    /// as they come back full (about 28 reads for a 1 MiB frame). Report what arrived with
    /// [`long_frame_read`](Self::long_frame_read).
    pub(crate) fn long_frame_slice(&mut self) -> Option<&mut [u8]> {
        let room = self.long_frame_reserve()?;
        let long = self.long.as_mut()?;
        let start = long.arrived();
        // The zeroed room never exceeds the room (both follow what is left of the frame), so
        // this only zeroes the new part, if any: each byte once.
        long.vec.resize(start + room, 0);
        long.zeroed = room;
        Some(&mut long.vec[start..start + room])
    }

    /// Notes that a read into [`long_frame_slice`](Self::long_frame_slice) brought `n` bytes
    /// (at most that room): they are the frame's now. The next read at rest is a small one, as
    /// after [`long_frame_filled`](Self::long_frame_filled).
    pub(crate) fn long_frame_read(&mut self, n: usize) -> usize {
        let n = match self.long.as_mut() {
            Some(long) => {
                let n = n.min(long.zeroed);
                long.zeroed -= n;
                n
            }
            None => 0,
        };
        self.long_frame_filled();
        n
    }

    /// The buffer [`long_frame_reserve`](Self::long_frame_reserve) made room in, to append to
    /// (a reader into initialised memory uses [`long_frame_slice`](Self::long_frame_slice)).
    #[cfg(any(feature = "tokio", feature = "futures-io", test))]
    pub(crate) fn long_frame_buf(&mut self) -> &mut Vec<u8> {
        &mut self.long.as_mut().expect("a long frame is being read").vec
    }

    /// The long frame's bytes so far, if one is being read.
    pub(super) fn long_frame_bytes(&self) -> Option<&[u8]> {
        let long = self.long.as_ref()?;
        Some(&long.vec[..long.arrived()])
    }

    /// [`long_frame_reserve`](Self::long_frame_reserve), as the room itself, for a read into
    /// uninitialised memory (tokio's `read_buf`).
    #[cfg(feature = "tokio")]
    pub(crate) fn long_frame_room(&mut self) -> Option<Limit<&mut Vec<u8>>> {
        let room = self.long_frame_reserve()?;
        Some(self.long_frame_buf().limit(room))
    }

    /// Moves the frame in flight into a buffer of its own if it is longer than a read: its
    /// header is parsed, no `copy_frame_to` or skip is under way, and it needs more than the
    /// next read asks for.
    pub(super) fn start_long_frame(&mut self) {
        self.settle();
        let needed = self.decoder.bytes_needed(&self.buf);
        if self.partial != Partial::None
            || !self.decoder.is_mid_frame()
            || self.decoder.skip_remaining().is_some()
            || needed <= self.sizer.read_len().max(LONG_MIN)
        {
            return;
        }
        let buffered = self.buf.len();
        let mut vec = Vec::with_capacity(buffered + needed.min(self.sizer.read_len()));
        vec.extend_from_slice(&self.buf);
        // The header stays at the front of `vec`; the decoder forgets it (it is parsed again if
        // the frame goes back to the shared buffer).
        let Ok(Some(payload_len)) = self.decoder.decode_head(&mut self.buf) else {
            return;
        };
        let header_len = buffered - self.buf.len();
        self.buf.clear();
        self.long = Some(LongFrame {
            vec,
            zeroed: 0,
            room: 0,
            before: 0,
            header_len,
            len: header_len + payload_len,
            in_place: self.frames == self.after_long,
        });
        // The shared buffer is empty until the frame is whole: its allocation goes back.
        self.give_back();
        self.sizer.stop_streaming();
    }

    /// Notes that a read appended bytes to the long frame's buffer. What it brought sizes the
    /// next reads as any read does (one that fills its room grows them, so the next long frame
    /// of a bulk stream starts with a large room: four reads a MiB of 1 MiB frames rather than
    /// eight); but it read at most what the frame needed, which says nothing about what follows
    /// it, so the next read at rest is a small one.
    pub(crate) fn long_frame_filled(&mut self) {
        if let Some(long) = self.long.as_mut() {
            if long.room != 0 {
                let n = long.arrived() - long.before;
                // A room cut by the frame's end says nothing of the peer (`ReadSizer::read`);
                // any other is whole, and one filled after a short read resumes the size from
                // before it, as in the shared buffer.
                let whole = long.room < long.len - long.before;
                self.sizer.read(n, long.room, whole);
                long.room = 0;
            }
        }
        self.sizer.quiet();
    }

    /// The long frame, if it is whole.
    pub(super) fn take_long_frame(&mut self) -> Option<Bytes> {
        let long = self.long.as_ref()?;
        if long.arrived() < long.len {
            return None;
        }
        let long = self.long.take()?;
        let frame = Bytes::from(long.vec);
        self.frames += 1;
        self.after_long = self.frames;
        Some(if self.codec().keeps_header() {
            frame
        } else {
            frame.slice(long.header_len..)
        })
    }

    /// Puts a long frame's bytes back in the shared buffer (header first, parsed again), for
    /// the paths that do not read into a buffer of its own.
    pub(super) fn unlong(&mut self) {
        if let Some(long) = self.long.take() {
            let mut bytes = BytesMut::from(&long.vec[..long.arrived()]);
            bytes.extend_from_slice(&self.buf);
            self.buf = bytes;
            self.spare = BytesMut::new();
            self.alloc = self.buf.capacity();
            self.decoder.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::buffer::SMALL;
    use crate::Codec;

    const KIB: usize = 1024;

    #[test]
    fn long_frames_start_past_64_kib() {
        assert_eq!(LONG_MIN, 64 * KIB);
    }

    /// Reads one frame with a `payload`-byte payload through `state`, the way the blocking
    /// reader does (long frames into their own buffer), and returns whether its buffer grew in
    /// place.
    fn read_frame_of(state: &mut ReadState, payload: usize) -> Option<bool> {
        let mut wire = (payload as u32).to_le_bytes().to_vec();
        wire.resize(4 + payload, 7);
        let mut at = 0;
        let mut in_place = None;
        loop {
            if let Some(frame) = state.decode().unwrap() {
                assert_eq!(frame.len(), payload);
                return in_place;
            }
            if let Some(room) = state.long_frame_reserve() {
                in_place = state.long.as_ref().map(|long| long.in_place);
                let n = room.min(wire.len() - at);
                state.long_frame_buf().extend_from_slice(&wire[at..at + n]);
                state.long_frame_filled();
                at += n;
            } else {
                let room = state.read_slice();
                let n = room.len().min(wire.len() - at);
                room[..n].copy_from_slice(&wire[at..at + n]);
                state.filled(n);
                at += n;
            }
        }
    }

    #[test]
    fn only_a_long_frame_right_after_a_long_frame_grows_in_place() {
        let mut state = ReadState::new(Codec::default(), 256 * KIB);
        assert_eq!(read_frame_of(&mut state, 300 * KIB), Some(false));
        assert_eq!(
            read_frame_of(&mut state, 300 * KIB),
            Some(true),
            "a bulk stream"
        );
        assert_eq!(read_frame_of(&mut state, 500 * KIB), Some(true));
        assert_eq!(read_frame_of(&mut state, 16), None);
        assert_eq!(
            read_frame_of(&mut state, 300 * KIB),
            Some(false),
            "after a short one"
        );
    }

    /// Reads `bytes` into `state` as one read into the shared buffer.
    fn feed(state: &mut ReadState, bytes: &[u8]) {
        let room = state.read_slice();
        room[..bytes.len()].copy_from_slice(bytes);
        state.filled(bytes.len());
    }

    /// A state holding the header of a frame of `payload` bytes and 10 of them, decoded.
    fn started(codec: Codec, payload: usize) -> ReadState {
        let mut state = ReadState::new(codec, 256 * KIB);
        let mut head = (payload as u32).to_le_bytes().to_vec();
        head.extend_from_slice(&[7; 10]);
        feed(&mut state, &head);
        assert_eq!(state.decode(), Ok(None));
        state
    }

    #[test]
    fn only_a_frame_needing_more_than_64_kib_and_a_read_gets_its_own_buffer() {
        // 10 bytes in: a payload of 64 KiB + 10 needs exactly 64 KiB more.
        let mut state = started(Codec::default(), LONG_MIN + 10);
        assert_eq!(state.long_frame_reserve(), None);
        let mut state = started(Codec::default(), LONG_MIN + 11);
        let room = state.long_frame_reserve().unwrap();
        assert_eq!(room, SMALL, "one read's room, not the claim");
        assert_eq!(
            state.long_frame_buf().len(),
            14,
            "the header and what arrived"
        );
        assert_eq!(state.buffer().len(), 14);
        assert_eq!(state.progress(), (14, 4 + LONG_MIN as u64 + 11));
        assert!(state.mid_frame());
    }

    #[test]
    fn a_long_frame_grows_by_what_arrived_never_past_its_end_and_comes_out_whole() {
        for keep_header in [false, true] {
            let codec = Codec::builder().keep_header(keep_header).build().unwrap();
            let payload = 100 * KIB;
            let mut state = started(codec, payload);
            let mut total = 10;
            let mut rooms = Vec::new();
            while let Some(room) = state.long_frame_reserve() {
                assert!(room > 0);
                assert!(room <= payload - total, "never past the frame's end");
                rooms.push(room);
                let n = room.min(30 * KIB);
                state.long_frame_buf().extend_from_slice(&vec![7; n]);
                state.long_frame_filled();
                total += n;
                if let Some(frame) = state.decode().unwrap() {
                    assert_eq!(total, payload);
                    let header = if keep_header { 4 } else { 0 };
                    assert_eq!(frame.len(), payload + header);
                    break;
                }
                assert!(total < payload);
            }
            assert_eq!(rooms[0], SMALL);
            assert_eq!(state.frames, 1);
            assert!(!state.mid_frame());
        }
    }

    #[test]
    fn no_long_frame_while_copying_or_skipping() {
        let codec = Codec::builder()
            .max_frame_len(64)
            .skip_oversized(true)
            .build()
            .unwrap();
        let mut state = ReadState::new(codec, 256 * KIB);
        feed(&mut state, &(200 * KIB as u32).to_le_bytes());
        assert!(state.decode().is_err());
        assert!(state.skipping());
        assert_eq!(state.long_frame_reserve(), None);
        let mut state = ReadState::new(Codec::default(), 256 * KIB);
        feed(&mut state, &(200 * KIB as u32).to_le_bytes());
        assert_eq!(state.copy_step(false), Ok(super::super::CopyStep::Read));
        assert_eq!(state.long_frame_reserve(), None);
    }
}
