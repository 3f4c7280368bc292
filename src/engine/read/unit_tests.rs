//! More unit tests of the read state, for the decisions mutation testing found unpinned by the
//! library's own tests (docs/testing.md, "The loops at unit speed"): when an idle or failed
//! read gives the buffer back, when an allocation is reused in place, the room a read into
//! uninitialised memory gets, and the frame count of lent and skipped frames. A module of its
//! own beside `read.rs`'s `mod tests`, so that the two can change apart.

use std::io;

#[cfg(feature = "tokio")]
use bytes::BufMut;
use bytes::Bytes;

use super::{ReadState, SMALL};
use crate::{Codec, FrameError};

const KIB: usize = 1024;

/// A frame of the default codec.
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut wire = (payload.len() as u32).to_le_bytes().to_vec();
    wire.extend_from_slice(payload);
    wire
}

/// Reads `bytes` into the next read's room (at most the room), as `std::io::Read` would.
fn read(state: &mut ReadState, bytes: &[u8]) -> usize {
    let room = state.read_slice();
    let n = bytes.len().min(room.len());
    room[..n].copy_from_slice(&bytes[..n]);
    state.filled(n)
}

/// Four full reads of empty frames (8, 16, 32 and 64 KiB), all decoded: a reader at rest whose
/// allocation grew past 64 KiB.
fn grown() -> ReadState {
    let mut state = ReadState::new(Codec::default(), 256 * KIB);
    for _ in 0..4 {
        let room = state.read_slice();
        let len = room.len();
        room.fill(0);
        state.filled(len);
        while let Ok(Some(_)) = state.decode() {}
    }
    assert!(state.alloc >= 64 * KIB, "{}", state.alloc);
    state
}

#[test]
fn a_reader_at_rest_gives_a_large_buffer_back_when_nothing_is_ready() {
    let mut state = grown();
    state.idle();
    assert_eq!(state.alloc, SMALL);
    assert_eq!(state.read_slice().len(), SMALL);

    let mut state = grown();
    state.read_failed(&io::ErrorKind::WouldBlock.into());
    assert_eq!(state.alloc, SMALL);
    let mut state = grown();
    state.read_failed(&io::ErrorKind::TimedOut.into());
    assert_eq!(state.alloc, SMALL);

    // With the start of a short frame buffered: kept, in room for it and a small read.
    let mut state = grown();
    assert_eq!(read(&mut state, &frame(b"0123456789")[..7]), 7);
    assert_eq!(state.decode().unwrap(), None);
    state.idle();
    assert_eq!(state.alloc, 7 + SMALL);
    assert_eq!(state.buffer(), &frame(b"0123456789")[..7]);
}

#[test]
fn a_failed_read_that_was_not_a_wait_keeps_the_buffer() {
    let mut state = grown();
    let alloc = state.alloc;
    state.read_failed(&io::ErrorKind::ConnectionReset.into());
    assert_eq!(state.alloc, alloc);
}

#[test]
fn a_reader_inside_a_long_frame_keeps_its_buffer_when_nothing_is_ready() {
    let mut state = grown();
    let alloc = state.alloc;
    // The header of a 50 KiB frame and 100 bytes of it: not at rest.
    let mut wire = (50 * KIB as u32).to_le_bytes().to_vec();
    wire.extend_from_slice(&[7; 100]);
    assert_eq!(read(&mut state, &wire), 104);
    assert_eq!(state.decode().unwrap(), None);
    state.idle();
    assert_eq!(state.alloc, alloc, "not copied mid-frame");
    assert_eq!(state.buffer(), &wire[..]);
}

#[test]
fn an_allocation_no_frame_uses_is_reused_in_place() {
    let mut state = ReadState::new(Codec::default(), 256 * KIB);
    let start = state.read_slice().as_ptr();
    assert_eq!(state.alloc, SMALL);
    // A whole read: one frame of 8000 bytes and the first 188 bytes of the next.
    let mut wire = frame(&[1; 8000]);
    wire.extend_from_slice(&frame(&[2; 1000])[..188]);
    assert_eq!(read(&mut state, &wire), SMALL);
    let first = state.decode().unwrap().unwrap();
    assert_eq!(first.len(), 8000);
    drop(first);
    // The 188 bytes move to the front of the same allocation, which has room for 8 KiB.
    state.reallocate(SMALL);
    assert_eq!(state.alloc, SMALL);
    assert_eq!(state.buf.as_ptr(), start);
    assert_eq!(state.buffer(), &wire[8004..]);
}

#[test]
fn an_allocation_a_frame_still_uses_is_not_reused() {
    let mut state = ReadState::new(Codec::default(), 256 * KIB);
    let start = state.read_slice().as_ptr();
    let mut wire = frame(&[1; 8000]);
    wire.extend_from_slice(&frame(&[2; 1000])[..188]);
    assert_eq!(read(&mut state, &wire), SMALL);
    let first = state.decode().unwrap().unwrap();
    state.reallocate(SMALL);
    assert_ne!(state.buf.as_ptr(), start);
    assert_eq!(state.buffer(), &wire[8004..]);
    assert!(
        first.iter().all(|&b| b == 1),
        "the frame handed out is intact"
    );
}

#[cfg(feature = "tokio")]
#[test]
fn a_read_into_uninitialised_memory_gets_room_reserved_for_it() {
    let mut state = ReadState::new(Codec::default(), 256 * KIB);
    // The header of a 200-byte frame and 100 bytes of it.
    let mut wire = (200u32).to_le_bytes().to_vec();
    wire.extend_from_slice(&[3; 100]);
    let mut room = state.read_room();
    assert_eq!(room.remaining_mut(), SMALL);
    room.put_slice(&wire);
    state.filled_in_place(wire.len());
    assert_eq!(state.decode().unwrap(), None);
    let limit = state.read_room().remaining_mut();
    assert!(limit > 0);
    assert!(
        state.buf.capacity() - state.buf.len() >= limit,
        "the room is there before the read: {} of capacity, {} buffered, room {limit}",
        state.buf.capacity(),
        state.buf.len()
    );
}

#[cfg(feature = "tokio")]
#[test]
fn reads_into_uninitialised_memory_size_the_next_read_too() {
    let mut state = ReadState::new(Codec::default(), 256 * KIB);
    let mut rooms = Vec::new();
    for _ in 0..4 {
        let mut room = state.read_room();
        let limit = room.remaining_mut();
        room.put_bytes(0, limit);
        state.filled_in_place(limit);
        while let Ok(Some(_)) = state.decode() {}
        rooms.push(limit);
    }
    assert_eq!(rooms, [8 * KIB, 16 * KIB, 32 * KIB, 64 * KIB]);
}

#[test]
fn lent_frames_are_counted() {
    let wire: Vec<u8> = [frame(b"a"), frame(b""), frame(b"ccc")].concat();
    let mut state = ReadState::from_buffered(Codec::default(), SMALL, Bytes::from(wire));
    assert!(state.decode_ref().unwrap());
    assert_eq!(state.lent(), b"a");
    assert_eq!(state.frames, 1);
    assert!(state.decode_ref().unwrap());
    assert!(state.decode_ref().unwrap());
    assert_eq!(state.lent(), b"ccc");
    assert_eq!(state.frames, 3);
}

/// A codec skipping frames over 8 bytes, and a stream of an oversized frame whose payload looks
/// like a frame itself, then a good frame.
fn skipping_stream() -> (Codec, Vec<u8>) {
    let codec = Codec::builder()
        .max_frame_len(8)
        .skip_oversized(true)
        .build()
        .unwrap();
    let mut payload = frame(b"no");
    payload.resize(20, 9);
    let mut wire = frame(&payload);
    wire.extend_from_slice(&frame(b"ok"));
    (codec, wire)
}

#[test]
fn a_frame_after_a_skipped_one_is_counted_after_it() {
    let (codec, wire) = skipping_stream();
    let mut state = ReadState::new(codec, SMALL);
    assert_eq!(read(&mut state, &wire[..10]), 10);
    assert!(matches!(state.decode(), Err(FrameError::TooLarge { .. })));
    assert!(state.skipping());
    assert_eq!(read(&mut state, &wire[10..]), wire.len() - 10);
    assert_eq!(state.decode().unwrap().unwrap(), &b"ok"[..]);
    assert_eq!(state.frames, 2, "the skipped frame, then this one");
}

#[test]
fn no_frame_is_lent_from_the_rest_of_a_frame_being_skipped() {
    let (codec, wire) = skipping_stream();
    let mut state = ReadState::new(codec, SMALL);
    assert_eq!(read(&mut state, &wire[..6]), 6);
    assert!(matches!(
        state.decode_ref(),
        Err(FrameError::TooLarge { .. })
    ));
    assert_eq!(read(&mut state, &wire[6..]), wire.len() - 6);
    assert!(state.decode_ref().unwrap());
    assert_eq!(state.lent(), b"ok");
    assert_eq!(state.frames, 2);
}

/// A fresh reader that has read the header of a 200 KiB frame and 1000 bytes of it (one read,
/// decoded): its next read goes to a buffer of the frame's own.
fn in_a_long_frame() -> ReadState {
    let mut state = ReadState::new(Codec::default(), 256 * KIB);
    let mut wire = (200 * KIB as u32).to_le_bytes().to_vec();
    wire.extend_from_slice(&[5; 1000]);
    assert_eq!(read(&mut state, &wire), 1004);
    assert_eq!(state.decode().unwrap(), None);
    state
}

#[test]
fn a_long_frames_buffer_grows_only_once_less_than_half_a_read_of_room_is_left() {
    let mut state = in_a_long_frame();
    let read_len = state.sizer.read_len();
    assert_eq!(read_len, SMALL);
    // Started: what arrived and one read's room, exactly.
    assert_eq!(state.long_frame_reserve(), Some(read_len));
    let vec = state.long_frame_buf();
    assert_eq!((vec.len(), vec.capacity()), (1004, 1004 + read_len));
    // Exactly half a read of room left: no growth.
    let half = read_len.div_ceil(2);
    vec.resize(vec.len() + read_len - half, 6);
    state.long_frame_filled();
    assert_eq!(state.long_frame_reserve(), Some(half));
    assert_eq!(state.long_frame_buf().capacity(), 1004 + read_len);
    // Less than half: grown by a read, or by what arrived if that is more (here a read).
    state.long_frame_buf().push(6);
    state.long_frame_filled();
    let room = state.long_frame_reserve().unwrap();
    let vec = state.long_frame_buf();
    let arrived = 1004 + read_len - half + 1;
    assert!(arrived < read_len);
    assert_eq!(vec.len(), arrived);
    assert_eq!(vec.capacity(), arrived + read_len);
    assert_eq!(room, read_len);
}

/// Reads `bytes` as the blocking reader does: a long frame into the initialised room at the end
/// of its own buffer, at most the room `long_frame_slice` gives; anything else into the shared
/// buffer. How many went.
fn read_long_aware(state: &mut ReadState, bytes: &[u8]) -> usize {
    match state.long_frame_slice() {
        Some(room) => {
            let n = bytes.len().min(room.len());
            room[..n].copy_from_slice(&bytes[..n]);
            state.long_frame_read(n)
        }
        None => read(state, bytes),
    }
}

#[test]
fn a_long_frames_initialised_room_is_zeroed_once_and_kept_after_a_short_read() {
    let mut idle = ReadState::new(Codec::default(), 256 * KIB);
    assert_eq!(idle.long_frame_slice(), None);
    assert_eq!(idle.long_frame_read(5), 0, "no long frame: nothing counted");
    let mut state = in_a_long_frame();
    let room = state.long_frame_slice().expect("a long frame's room");
    assert_eq!(room.len(), SMALL, "one read's room, not the claim");
    assert!(room.iter().all(|&b| b == 0), "zeroed");
    // A short read: 100 bytes, and a reader that scribbled over the rest of the room.
    room[..100].fill(6);
    room[100..].fill(9);
    assert_eq!(state.long_frame_read(100), 100);
    assert_eq!(
        state.buffer().len(),
        1104,
        "only what arrived is the frame's"
    );
    assert_eq!(state.progress(), (1104, 4 + 200 * KIB as u64));
    // The rest of the room is still there, initialised: not zeroed again, not grown.
    let room = state.long_frame_slice().unwrap();
    assert_eq!(room.len(), SMALL - 100);
    assert!(room.iter().all(|&b| b == 9), "kept, not zeroed again");
    assert_eq!(state.long.as_ref().unwrap().vec.len(), 1004 + SMALL);
    // A read never counts more than its room.
    assert_eq!(state.long_frame_read(usize::MAX), SMALL - 100);
    assert_eq!(state.buffer().len(), 1004 + SMALL);
}

/// Reads `count` frames of `len` bytes each as the blocking reader does, from a peer that always
/// has more ready: how many reads each frame took (the read that brought its header counts for
/// it).
fn reads_per_frame(state: &mut ReadState, len: usize, count: usize) -> Vec<usize> {
    let payload = vec![3; len];
    let wire: Vec<u8> = (0..count).flat_map(|_| frame(&payload)).collect();
    let mut rest = &wire[..];
    let mut reads = vec![0];
    while reads.len() <= count {
        match state.decode().unwrap() {
            Some(frame) => {
                assert_eq!(frame.len(), len);
                reads.push(0);
            }
            None => {
                let n = read_long_aware(state, rest);
                rest = &rest[n..];
                *reads.last_mut().unwrap() += 1;
            }
        }
    }
    reads.pop();
    reads
}

#[test]
fn the_reads_of_a_long_frame_size_the_next_ones_and_a_run_of_them_takes_fewer() {
    let mut state = ReadState::new(Codec::default(), 256 * KIB);
    let reads = reads_per_frame(&mut state, 1024 * KIB, 6);
    // The first from 8 KiB up, each room the frame's bytes so far; once the reads have grown
    // to 256 KiB, a frame takes the small read at rest, 256 KiB, then rooms of what arrived.
    assert_eq!(reads[0], 8, "{reads:?}");
    assert_eq!(reads[5], 4, "{reads:?}");
    assert_eq!(state.sizer.read_len(), 256 * KIB);
    // And the read at rest after them is still a small one.
    assert_eq!(state.read_slice().len(), SMALL);
    // A short read into a long frame's room lowers the size as any short read does.
    let mut state = in_a_long_frame();
    let room = state.long_frame_slice().unwrap().len();
    assert_eq!(room, SMALL);
    state.long_frame_read(SMALL);
    assert_eq!(
        state.sizer.read_len(),
        16 * KIB,
        "a full room grows the reads"
    );
    let room = state.long_frame_slice().unwrap().len();
    state.long_frame_read(room / 4);
    assert_eq!(
        state.sizer.read_len(),
        SMALL,
        "twice what came, at least the small size"
    );
    // Counted once: a second report with no read in between changes nothing.
    state.long_frame_filled();
    assert_eq!(state.sizer.read_len(), SMALL);
}

#[test]
fn a_full_room_of_a_long_frame_after_a_short_read_resumes_the_read_size_unless_cut_by_its_end() {
    // Reads grown to 64 KiB, then a long frame: a short read lowers the size, and the next
    // room filled resumes the size from before (the peer is streaming after all), as in the
    // shared buffer.
    let mut state = grown();
    assert_eq!(state.sizer.read_len(), 64 * KIB);
    let wire = frame(&[2; 1024 * KIB]);
    assert_eq!(read(&mut state, &wire), 64 * KIB);
    assert_eq!(state.decode(), Ok(None));
    assert_eq!(state.long_frame_slice().unwrap().len(), 64 * KIB);
    state.long_frame_read(1000);
    assert_eq!(state.sizer.read_len(), SMALL);
    let room = state.long_frame_slice().unwrap().len();
    state.long_frame_read(room);
    assert_eq!(state.sizer.read_len(), 64 * KIB, "resumed");
    // The frame's last room is cut by its end: filled after a short read, it says nothing
    // of the peer, and the size stays where the short read put it.
    let mut state = grown();
    let wire = frame(&[2; 150 * KIB]);
    assert_eq!(read(&mut state, &wire), 64 * KIB);
    assert_eq!(state.decode(), Ok(None));
    loop {
        let room = state.long_frame_slice().unwrap().len();
        let long = state.long.as_ref().unwrap();
        let rest = long.len - long.arrived();
        if room < rest {
            state.long_frame_read(room);
            continue;
        }
        let before = state.sizer.read_len();
        state.long_frame_read(rest / 2);
        let short = state.sizer.read_len();
        assert!(short < before, "{short} {before}");
        let room = state.long_frame_slice().unwrap().len();
        assert_eq!(room, rest - rest / 2);
        state.long_frame_read(room);
        assert_eq!(state.sizer.read_len(), short, "no resume");
        break;
    }
    assert!(state.decode().unwrap().is_some());
}

#[test]
fn a_long_frame_cut_short_keeps_only_what_arrived_not_its_zeroed_room() {
    let mut state = in_a_long_frame();
    state.long_frame_slice().unwrap()[..10].fill(6);
    state.long_frame_read(10);
    let err = state.decode_eof().unwrap_err();
    assert_eq!(
        err,
        FrameError::truncated(state.codec(), 4 + 200 * KIB as u64, 1014, state.buffer())
    );
    let mut state = in_a_long_frame();
    state.long_frame_slice().unwrap()[..10].fill(6);
    state.long_frame_read(10);
    let buffered = state.into_buffer();
    assert_eq!(buffered.len(), 1014);
    assert_eq!(&buffered[1004..], [6; 10]);
}

#[test]
fn a_long_frame_read_into_initialised_room_takes_a_read_a_room_and_zeroes_each_byte_once() {
    // A 1 MiB frame after a small one, from a peer that always has more ready: each room is
    // filled by one read (`read_to_end` made about 28 of them for this frame, starting at
    // 8 KiB at every room), and no byte of the frame is zeroed twice.
    let mut state = ReadState::new(Codec::default(), 256 * KIB);
    let payload: Vec<u8> = (0..1024 * KIB).map(|i| (i % 251) as u8).collect();
    let mut wire = frame(b"first");
    wire.extend_from_slice(&frame(&payload));
    let mut rest = &wire[..];
    let (mut reads, mut zeroed) = (0, 0);
    let mut frames = Vec::new();
    while frames.len() < 2 {
        if let Some(frame) = state.decode().unwrap() {
            frames.push(frame);
            continue;
        }
        let before = state.long.as_ref().map_or(0, |long| long.vec.len());
        let n = read_long_aware(&mut state, rest);
        if let Some(long) = &state.long {
            zeroed += long.vec.len() - before.max(long.arrived() - n);
        }
        rest = &rest[n..];
        reads += 1;
    }
    assert!(frames[1] == payload);
    assert!(zeroed <= payload.len(), "zeroed {zeroed}");
    assert_eq!(reads, 8, "{reads} reads");
}

/// Every frame of `wire` read as the blocking reader does, then whether it ended cleanly.
fn read_all(state: &mut ReadState, mut wire: &[u8]) -> (Vec<Bytes>, Result<(), FrameError>) {
    let mut frames = Vec::new();
    loop {
        match state.decode() {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) if wire.is_empty() => break,
            Ok(None) => {
                let n = read_long_aware(state, wire);
                wire = &wire[n..];
            }
            Err(err) => return (frames, Err(err)),
        }
    }
    loop {
        match state.decode_eof() {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => return (frames, Ok(())),
            Err(err) => return (frames, Err(err)),
        }
    }
}

/// A codec with a checksum trailer: its decoder parses every frame whole, header and trailer.
fn checked_codec() -> Codec {
    Codec::builder()
        .checksum(crate::Checksum::new(
            crate::ChecksumAlgorithm::Fletcher8,
            crate::ByteOrder::Little,
        ))
        .build()
        .unwrap()
}

#[test]
fn a_long_frame_of_a_layout_the_decoder_parses_whole_each_time_stays_in_the_shared_buffer() {
    // A checksum: the decoder parses the header again at each call (it is never mid-frame),
    // and the trailer after the payload is checked there; no buffer of its own.
    let codec = checked_codec();
    let long: Vec<u8> = (0..200 * KIB).map(|i| (i % 251) as u8).collect();
    let mut wire = bytes::BytesMut::new();
    codec.encoder().encode(&long, &mut wire).unwrap();
    codec.encoder().encode(b"next", &mut wire).unwrap();
    let mut state = ReadState::new(codec, 256 * KIB);
    let (frames, end) = read_all(&mut state, &wire);
    assert_eq!(end, Ok(()));
    assert_eq!(frames.len(), 2);
    assert!(frames[0] == long);
    assert_eq!(frames[1], &b"next"[..]);
    assert!(state.long.is_none());
}

#[test]
fn the_read_after_a_long_frame_is_a_small_one() {
    // Reads grown to 64 KiB, then a long frame in its own buffer: the next read, at rest,
    // asks for the small size (what the long frame's reads brought says nothing of what
    // follows).
    let mut state = grown();
    let long = vec![4; 300 * KIB];
    let mut wire = frame(&long);
    wire.extend_from_slice(&frame(b"after"));
    let mut rest = &wire[..];
    let first = loop {
        if let Some(frame) = state.decode().unwrap() {
            break frame;
        }
        let n = read_long_aware(&mut state, rest);
        rest = &rest[n..];
    };
    assert!(first == long);
    assert_eq!(state.buffer(), b"");
    assert_eq!(state.read_slice().len(), SMALL);
}

#[cfg(feature = "tokio")]
#[test]
fn a_read_into_uninitialised_memory_gets_a_long_frames_own_room() {
    let mut state = in_a_long_frame();
    let room = state.long_frame_room().expect("a long frame's room");
    assert_eq!(room.remaining_mut(), SMALL);
    assert_eq!(state.long_frame_buf().len(), 1004);
}

#[test]
fn decode_whole_takes_each_whole_frame_and_counts_it() {
    let wire = [frame(b"one"), frame(b""), frame(b"three")].concat();
    let mut state = ReadState::new(Codec::default(), SMALL);
    read(&mut state, &wire[..wire.len() - 1]);
    assert_eq!(state.decode_whole().unwrap(), &b"one"[..]);
    assert_eq!(state.decode_whole().unwrap(), &b""[..]);
    assert_eq!(state.frames, 2);
    // All of the header, not all of the payload: declined, and nothing is remembered (the
    // header stays in the buffer, the decoder between frames), for `decode` to do it.
    assert_eq!(state.decode_whole(), None);
    assert_eq!(state.buffer(), &frame(b"three")[..8]);
    assert!(!state.decoder().is_mid_frame());
    assert_eq!(state.frames, 2);
    // The last byte: exactly whole.
    read(&mut state, &wire[wire.len() - 1..]);
    assert_eq!(state.decode_whole().unwrap(), &b"three"[..]);
    assert_eq!(state.frames, 3);
    assert!(state.buffer().is_empty());
    assert_eq!(state.decode_whole(), None, "an empty buffer");
    // Part of a header.
    read(&mut state, &frame(b"x")[..3]);
    assert_eq!(state.decode_whole(), None);
    assert_eq!(state.buffer(), &frame(b"x")[..3]);
}

#[test]
fn decode_whole_takes_the_plain_2_and_8_byte_headers_too() {
    for (format, header) in [("!H", vec![0, 3]), (">Q", vec![0, 0, 0, 0, 0, 0, 0, 3])] {
        let codec = Codec::from_struct_format(format).unwrap();
        let mut state = ReadState::new(codec, SMALL);
        read(&mut state, &[&header[..], b"abc", &header[..]].concat());
        assert_eq!(state.decode_whole().unwrap(), &b"abc"[..], "{format}");
        assert_eq!(state.decode_whole(), None, "{format}: a header alone");
    }
}

#[test]
fn decode_whole_takes_the_other_layouts_as_decode_would() {
    // A kept header, a length that counts the header, a field after a tag byte.
    let codecs = [
        Codec::builder().keep_header(true).build().unwrap(),
        Codec::builder().length_adjustment(-4).build().unwrap(),
        Codec::builder().length_field_offset(1).build().unwrap(),
    ];
    let wires = [
        frame(b"kept"),
        [&[8, 0, 0, 0][..], b"self"].concat(),
        [&[b'T'][..], &frame(b"tag")].concat(),
    ];
    let decoded = [frame(b"kept"), b"self".to_vec(), b"tag".to_vec()];
    for ((codec, wire), want) in codecs.into_iter().zip(wires).zip(decoded) {
        let mut state = ReadState::new(codec, SMALL);
        read(&mut state, &wire[..wire.len() - 1]);
        assert_eq!(state.decode_whole(), None, "{want:?}: not all there");
        read(&mut state, &wire[wire.len() - 1..]);
        assert_eq!(state.decode_whole().unwrap(), &want[..]);
        assert!(state.buffer().is_empty());
    }
}

#[test]
fn decode_whole_leaves_a_frame_whose_header_was_parsed_before_to_decode() {
    let wire = frame(b"later");
    let mut state = ReadState::new(Codec::default(), SMALL);
    read(&mut state, &wire[..6]);
    assert_eq!(state.decode(), Ok(None));
    assert!(state.decoder().is_mid_frame());
    read(&mut state, &wire[6..]);
    assert_eq!(state.decode_whole(), None, "the decoder is inside a frame");
    assert_eq!(state.decode().unwrap().unwrap(), &b"later"[..]);
    assert_eq!(state.frames, 1);
}

#[test]
fn decode_whole_leaves_a_lent_frame_to_decode() {
    // Lent from the buffer: still at its front.
    let wire = [frame(b"lent"), frame(b"next")].concat();
    let mut state = ReadState::from_buffered(Codec::default(), SMALL, Bytes::from(wire));
    assert!(state.decode_ref().unwrap());
    assert_eq!(state.lent(), b"lent");
    assert_eq!(state.decode_whole(), None);
    assert_eq!(state.lent(), b"lent");
    assert_eq!(state.decode().unwrap().unwrap(), &b"next"[..]);
    assert_eq!(state.frames, 2);
    assert_eq!(state.decode_whole(), None, "nothing left");

    // Held: the frame after a skipped one, split off by the decoder.
    let (codec, mut wire) = skipping_stream();
    wire.extend_from_slice(&frame(b"more"));
    let mut state = ReadState::new(codec, SMALL);
    read(&mut state, &wire[..4]);
    assert!(matches!(
        state.decode_ref(),
        Err(FrameError::TooLarge { .. })
    ));
    read(&mut state, &wire[4..]);
    assert!(state.decode_ref().unwrap());
    assert_eq!(state.lent(), b"ok");
    assert!(state.held.is_some());
    assert_eq!(state.decode_whole(), None);
    assert_eq!(state.decode().unwrap().unwrap(), &b"more"[..]);
    assert!(state.held.is_none());
}

#[test]
fn decode_whole_declines_while_a_frame_is_skipped_or_copied_or_checked() {
    // The rest of a skipped frame starts with what looks like a whole frame.
    let (codec, wire) = skipping_stream();
    let mut state = ReadState::new(codec, SMALL);
    read(&mut state, &wire[..4]);
    assert!(matches!(state.decode(), Err(FrameError::TooLarge { .. })));
    read(&mut state, &wire[4..]);
    assert_eq!(state.decode_whole(), None, "skipping");
    assert_eq!(state.decode().unwrap().unwrap(), &b"ok"[..]);

    // A copy under way whose rest looks like a whole frame.
    let payload = [&[9][..], &frame(b"ab")].concat();
    let mut state = ReadState::new(Codec::default(), SMALL);
    read(&mut state, &frame(&payload));
    assert!(matches!(state.copy_step(false), Ok(super::CopyStep::Write)));
    state.copied(1);
    assert_eq!(state.buffer(), &frame(b"ab")[..]);
    assert_eq!(state.decode_whole(), None, "copying");
    assert!(state.check_not_copying().is_err());

    // A codec with a checksum: every frame goes through `decode`, which checks it.
    let codec = checked_codec();
    let mut wire = bytes::BytesMut::new();
    codec.encoder().encode(b"sum", &mut wire).unwrap();
    let mut state = ReadState::new(codec, SMALL);
    read(&mut state, &wire);
    assert_eq!(state.decode_whole(), None, "checked");
    assert_eq!(state.decode().unwrap().unwrap(), &b"sum"[..]);
}
