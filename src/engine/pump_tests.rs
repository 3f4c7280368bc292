//! Unit tests of the shared loops ([`ReadLoop`], [`WriteLoop`]) over scripted in-memory I/O:
//! each call of [`FillRead`], [`WriteIo`] or [`PayloadSource`] returns the next scripted result
//! (bytes, a short read or write, `Pending`, an error, the end), and every call is logged, so
//! that each decision the loops make (what they read, write, retry, return and keep) is pinned
//! at unit speed. A call past the end of a script panics: a loop that asks for more I/O than the
//! test expects fails rather than hangs.
//!
//! The tests go through the loops' crate API only (`ReadLoop::{new, read_buffered,
//! poll_read_more, lend_buffered, poll_lend_more, copy_frame_to, poll_next,
//! read_frame}`, `WriteLoop::{new, write_frame, write_frame_again, write_frame_io, queue_frame,
//! write_through, feed_frame, write_frame_with, queue_frame_with, copy_frame_from, flush,
//! shutdown, poll_ready, start_send, poll_write_out, poll_flush, poll_close, dropped}` and the
//! `io`/`state` fields), not their private helpers.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, ErrorKind, IoSlice};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};

use super::{FillRead, PayloadSource, ReadLoop, WriteIo, WriteLoop, WritePart};
use crate::engine::read::ReadState;
use crate::engine::ready::{noop_waker, poll_now, poll_once, run_poll};
use crate::engine::write::WriteState;
use crate::{ByteOrder, Checksum, ChecksumAlgorithm, Codec, EncodeError, Error, FrameError};

// ---------------------------------------------------------------------------------------------
// Scripted I/O

/// One scripted result of a reader or a payload source.
#[derive(Debug)]
enum Read {
    /// These bytes (a read takes at most its room; the rest stays first in the script).
    Data(Vec<u8>),
    /// Nothing ready.
    Pending,
    /// A failed read.
    Fail(ErrorKind),
    /// The end of the stream (a read of 0 bytes).
    End,
}

fn data(bytes: &[u8]) -> Read {
    Read::Data(bytes.to_vec())
}

/// A frame reader's I/O, as an adapter implements [`FillRead`]: a long frame is read into its
/// own buffer (`long_frame_reserve`), anything else into the shared one (`read_slice`).
#[derive(Debug, Default)]
struct ScriptedRead {
    script: VecDeque<Read>,
    /// How many times `poll_fill` was called.
    reads: usize,
}

fn reader(script: impl IntoIterator<Item = Read>) -> ScriptedRead {
    ScriptedRead {
        script: script.into_iter().collect(),
        reads: 0,
    }
}

impl FillRead for ScriptedRead {
    fn poll_fill(
        &mut self,
        _: &mut Context<'_>,
        state: &mut ReadState,
    ) -> Poll<Result<usize, Error>> {
        self.reads += 1;
        let next = self
            .script
            .pop_front()
            .expect("the loop read past the end of the script");
        let bytes = match next {
            Read::Pending => {
                state.idle();
                return Poll::Pending;
            }
            Read::Fail(kind) => {
                let err = io::Error::from(kind);
                state.read_failed(&err);
                return Poll::Ready(Err(err.into()));
            }
            Read::End => Vec::new(),
            Read::Data(bytes) => bytes,
        };
        let n = if let Some(room) = state.long_frame_reserve() {
            let n = bytes.len().min(room);
            state.long_frame_buf().extend_from_slice(&bytes[..n]);
            state.long_frame_filled();
            n
        } else {
            let room = state.read_slice();
            let n = bytes.len().min(room.len());
            room[..n].copy_from_slice(&bytes[..n]);
            state.filled(n)
        };
        if n < bytes.len() {
            self.script.push_front(Read::Data(bytes[n..].to_vec()));
        }
        Poll::Ready(Ok(n))
    }
}

/// One scripted result of a write or a flush.
#[derive(Debug, Clone, Copy)]
enum Write {
    /// At most this many bytes go (0: a write that returns 0); a flush succeeds.
    Take(usize),
    Pending,
    Fail(ErrorKind),
}

const ALL: Write = Write::Take(usize::MAX);

/// What the loops asked of a [`ScriptedWrite`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    /// `poll_write_part` of this many bytes.
    Part(usize),
    /// `poll_write_parts` of slices this long.
    Parts(Vec<usize>),
    Flush,
}

/// A writer whose writes and flushes return the next scripted result, and which keeps what it
/// took. `vectored`: `poll_write_parts` takes from every slice (otherwise from the first only,
/// as an adapter over a writer without vectored writes does). The trait's default
/// `poll_close_io` (a flush) is kept.
#[derive(Debug, Default)]
struct ScriptedWrite {
    writes: VecDeque<Write>,
    /// Flushes succeed once this is empty.
    flushes: VecDeque<Write>,
    vectored: bool,
    out: Vec<u8>,
    calls: Vec<Call>,
}

fn scripted(writes: impl IntoIterator<Item = Write>) -> ScriptedWrite {
    ScriptedWrite {
        writes: writes.into_iter().collect(),
        vectored: true,
        ..ScriptedWrite::default()
    }
}

impl ScriptedWrite {
    fn next_write(&mut self) -> Write {
        self.writes
            .pop_front()
            .expect("the loop wrote past the end of the script")
    }

    fn take(&mut self, parts: &[&[u8]]) -> Poll<io::Result<usize>> {
        match self.next_write() {
            Write::Pending => Poll::Pending,
            Write::Fail(kind) => Poll::Ready(Err(kind.into())),
            Write::Take(mut max) => {
                let mut n = 0;
                for part in parts {
                    let take = part.len().min(max);
                    self.out.extend_from_slice(&part[..take]);
                    n += take;
                    max -= take;
                }
                Poll::Ready(Ok(n))
            }
        }
    }
}

impl WritePart for ScriptedWrite {
    fn poll_write_part(&mut self, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.calls.push(Call::Part(buf.len()));
        self.take(&[buf])
    }
}

impl WriteIo for ScriptedWrite {
    fn poll_write_parts(
        &mut self,
        _: &mut Context<'_>,
        parts: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        assert!(parts.len() > 1, "poll_write_parts takes more than one part");
        self.calls
            .push(Call::Parts(parts.iter().map(|part| part.len()).collect()));
        let parts: Vec<&[u8]> = parts.iter().map(|part| &part[..]).collect();
        if self.vectored {
            self.take(&parts)
        } else {
            self.take(&parts[..1])
        }
    }

    fn poll_flush_io(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.calls.push(Call::Flush);
        match self.flushes.pop_front().unwrap_or(ALL) {
            Write::Pending => Poll::Pending,
            Write::Fail(kind) => Poll::Ready(Err(kind.into())),
            Write::Take(_) => Poll::Ready(Ok(())),
        }
    }
}

/// A `copy_frame_from` source: each read returns the next scripted result, and `wants` logs
/// how much each read asked for.
#[derive(Debug, Default)]
struct ScriptedSource {
    script: VecDeque<Read>,
    wants: Vec<usize>,
}

fn source(script: impl IntoIterator<Item = Read>) -> ScriptedSource {
    ScriptedSource {
        script: script.into_iter().collect(),
        wants: Vec::new(),
    }
}

impl PayloadSource for ScriptedSource {
    fn poll_read_payload(
        &mut self,
        _: &mut Context<'_>,
        state: &mut WriteState,
        want: usize,
    ) -> Poll<io::Result<usize>> {
        self.wants.push(want);
        let next = self
            .script
            .pop_front()
            .expect("the loop read the source past the end of the script");
        let room = state.stream_slice(want);
        let (n, result) = match next {
            Read::Pending => (0, Poll::Pending),
            Read::Fail(kind) => (0, Poll::Ready(Err(kind.into()))),
            Read::End => (0, Poll::Ready(Ok(0))),
            Read::Data(bytes) => {
                let n = bytes.len().min(room.len());
                room[..n].copy_from_slice(&bytes[..n]);
                if n < bytes.len() {
                    self.script.push_front(Read::Data(bytes[n..].to_vec()));
                }
                (n, Poll::Ready(Ok(n)))
            }
        };
        let n = state.streamed(n);
        result.map(|result| result.map(|_| n))
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// A frame of the default codec (`<i` length, header stripped on reading).
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut wire = (payload.len() as u32).to_le_bytes().to_vec();
    wire.extend_from_slice(payload);
    wire
}

fn frames(payloads: &[&[u8]]) -> Vec<u8> {
    payloads.iter().flat_map(|payload| frame(payload)).collect()
}

/// `payload` as `codec`'s encoder frames it.
fn encoded(codec: Codec, payload: &[u8]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    codec.encoder().encode(payload, &mut wire).unwrap();
    wire.to_vec()
}

/// A payload whose bytes differ from their neighbours.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn read_loop(script: impl IntoIterator<Item = Read>) -> ReadLoop<ScriptedRead> {
    ReadLoop::new(reader(script), ReadState::new(Codec::default(), 64 * 1024))
}

fn write_loop(writes: impl IntoIterator<Item = Write>) -> WriteLoop<ScriptedWrite> {
    WriteLoop::new(scripted(writes), WriteState::new(Codec::default()))
}

/// A writer buffering at most `capacity` bytes.
fn small_write_loop(
    capacity: usize,
    writes: impl IntoIterator<Item = Write>,
) -> WriteLoop<ScriptedWrite> {
    let mut writer = write_loop(writes);
    writer.state.set_capacity(capacity);
    writer
}

fn checked_codec() -> Codec {
    Codec::builder()
        .checksum(Checksum::new(
            ChecksumAlgorithm::Fletcher8,
            ByteOrder::Little,
        ))
        .build()
        .unwrap()
}

/// Polls `fut` once with a no-op waker.
fn poll_pinned<F: Future>(fut: Pin<&mut F>) -> Option<F::Output> {
    let mut cx = Context::from_waker(noop_waker());
    match fut.poll(&mut cx) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

/// Runs a loop's future that must complete without waiting.
fn now<F: Future>(fut: F) -> F::Output {
    poll_once(fut).expect("the loop completed without waiting")
}

fn next_frame(reader: &mut ReadLoop<ScriptedRead>) -> Result<Option<Bytes>, Error> {
    poll_frame(reader).unwrap_or_else(|| panic!("the reader waited"))
}

/// The next frame as the blocking reader reads it: from the buffer, or else read for; `None`
/// while the reader waits.
fn poll_frame(reader: &mut ReadLoop<ScriptedRead>) -> Option<Result<Option<Bytes>, Error>> {
    match reader.read_buffered() {
        Ok(None) => poll_now(|cx| reader.poll_read_more(cx)),
        buffered => Some(buffered),
    }
}

fn io_kind<T: std::fmt::Debug>(result: Result<T, Error>) -> ErrorKind {
    match result {
        Err(Error::Io(err)) => err.kind(),
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

fn is_truncated<T>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::Frame(FrameError::Truncated { .. })))
}

// ---------------------------------------------------------------------------------------------
// Reading frames

#[test]
fn frames_split_across_reads_come_out_whole_and_in_order() {
    let wire = frames(&[b"first", b"second"]);
    let mut reader = read_loop([
        data(&wire[..3]),
        data(&wire[3..11]),
        data(&wire[11..]),
        Read::End,
    ]);
    assert_eq!(next_frame(&mut reader).unwrap().unwrap(), &b"first"[..]);
    assert_eq!(reader.io.reads, 2, "read until the first frame was whole");
    assert_eq!(next_frame(&mut reader).unwrap().unwrap(), &b"second"[..]);
    assert_eq!(next_frame(&mut reader).unwrap(), None, "a clean end");
    assert_eq!(reader.io.reads, 4);
}

#[test]
fn a_buffered_frame_is_returned_without_reading() {
    let wire = frames(&[b"one", b"", b"three"]);
    let state = ReadState::from_buffered(Codec::default(), 64 * 1024, Bytes::from(wire));
    let mut reader = ReadLoop::new(reader([]), state);
    assert_eq!(reader.read_buffered().unwrap().unwrap(), &b"one"[..]);
    assert_eq!(next_frame(&mut reader).unwrap().unwrap(), &b""[..]);
    assert_eq!(reader.read_buffered().unwrap().unwrap(), &b"three"[..]);
    assert_eq!(
        reader.read_buffered().unwrap(),
        None,
        "nothing more buffered"
    );
    assert_eq!(reader.io.reads, 0);
}

#[test]
fn the_rest_of_a_frame_is_read_once_the_buffer_holds_no_frame() {
    let wire = frame(b"payload");
    let mut reader = read_loop([data(&wire[..5]), data(&wire[5..])]);
    assert_eq!(reader.read_buffered().unwrap(), None);
    let frame = run_poll(|cx| reader.poll_read_more(cx)).unwrap();
    assert_eq!(frame.unwrap(), &b"payload"[..]);
    assert_eq!(reader.io.reads, 2);
}

#[test]
fn a_reader_reads_again_after_an_end_of_stream() {
    let mut reader = read_loop([Read::End, data(&frame(b"later")), Read::End]);
    assert_eq!(next_frame(&mut reader).unwrap(), None);
    assert_eq!(next_frame(&mut reader).unwrap().unwrap(), &b"later"[..]);
    assert_eq!(next_frame(&mut reader).unwrap(), None);
    assert_eq!(reader.io.reads, 3);
}

#[test]
fn an_end_inside_a_frame_is_truncated() {
    let wire = frame(b"cut short");
    let mut reader = read_loop([data(&wire[..2]), data(&wire[2..7]), Read::End]);
    let result = next_frame(&mut reader);
    assert!(is_truncated(&result), "{result:?}");
    assert_eq!(reader.io.reads, 3);
}

#[test]
fn pending_is_returned_and_the_read_resumes_where_it_stopped() {
    let wire = frame(b"resumed");
    let mut reader = read_loop([
        Read::Pending,
        data(&wire[..6]),
        Read::Pending,
        data(&wire[6..]),
    ]);
    assert!(poll_frame(&mut reader).is_none());
    assert!(poll_frame(&mut reader).is_none());
    assert_eq!(reader.io.reads, 3);
    let frame = poll_frame(&mut reader).unwrap();
    assert_eq!(frame.unwrap().unwrap(), &b"resumed"[..]);
    assert_eq!(reader.io.reads, 4);
}

#[test]
fn a_read_error_is_returned_and_the_reader_goes_on_from_where_it_was() {
    let wire = frame(b"after");
    let mut reader = read_loop([
        data(&wire[..3]),
        Read::Fail(ErrorKind::ConnectionReset),
        data(&wire[3..]),
    ]);
    assert_eq!(io_kind(next_frame(&mut reader)), ErrorKind::ConnectionReset);
    assert_eq!(next_frame(&mut reader).unwrap().unwrap(), &b"after"[..]);
}

#[test]
fn a_long_frame_is_read_whole_across_many_reads() {
    let long = payload(200 * 1024);
    let mut wire = frame(&long);
    wire.extend_from_slice(&frame(b"next"));
    let mut script: Vec<Read> = wire.chunks(10_000).map(data).collect();
    script.push(Read::End);
    let mut reader = read_loop(script);
    let frame = next_frame(&mut reader).unwrap().unwrap();
    assert_eq!(frame.len(), long.len());
    assert!(frame == long, "the long frame's bytes");
    assert_eq!(next_frame(&mut reader).unwrap().unwrap(), &b"next"[..]);
    assert_eq!(next_frame(&mut reader).unwrap(), None);
}

#[test]
fn a_long_frame_cut_by_the_end_is_truncated() {
    let wire = frame(&payload(200 * 1024));
    let mut script: Vec<Read> = wire[..150 * 1024].chunks(10_000).map(data).collect();
    script.push(Read::End);
    let mut reader = read_loop(script);
    let result = next_frame(&mut reader);
    assert!(is_truncated(&result), "{result:?}");
}

// ---------------------------------------------------------------------------------------------
// Lending frames

#[test]
fn a_lent_frame_comes_from_the_buffer_or_after_reads() {
    let wire = frames(&[b"lent", b"split frame"]);
    let mut reader = read_loop([data(&wire[..12]), data(&wire[12..]), Read::End]);
    assert!(!reader.lend_buffered().unwrap(), "nothing buffered yet");
    assert!(run_poll(|cx| reader.poll_lend_more(cx)).unwrap());
    assert_eq!(reader.state.lent(), b"lent");
    assert_eq!(reader.io.reads, 1);
    assert!(!reader.lend_buffered().unwrap(), "half of the second frame");
    assert!(run_poll(|cx| reader.poll_lend_more(cx)).unwrap());
    assert_eq!(reader.state.lent(), b"split frame");
    assert_eq!(reader.io.reads, 2);
    assert!(!reader.lend_buffered().unwrap());
    assert!(
        !run_poll(|cx| reader.poll_lend_more(cx)).unwrap(),
        "a clean end"
    );
    assert_eq!(reader.io.reads, 3);
}

#[test]
fn a_lent_frame_whole_in_the_buffer_needs_no_read() {
    let state = ReadState::from_buffered(Codec::default(), 1024, Bytes::from(frame(b"here")));
    let mut reader = ReadLoop::new(reader([]), state);
    assert!(reader.lend_buffered().unwrap());
    assert_eq!(reader.state.lent(), b"here");
    assert!(!reader.lend_buffered().unwrap());
}

#[test]
fn a_lent_frame_at_the_end_of_the_stream_and_an_end_inside_one() {
    let wire = frame(b"last");
    let mut reader = read_loop([data(&wire[..6]), data(&wire[6..]), Read::End]);
    assert!(run_poll(|cx| reader.poll_lend_more(cx)).unwrap());
    assert_eq!(reader.state.lent(), b"last");
    assert!(!run_poll(|cx| reader.poll_lend_more(cx)).unwrap());

    let mut reader = read_loop([data(&wire[..6]), Read::End]);
    let result = run_poll(|cx| reader.poll_lend_more(cx));
    assert!(is_truncated(&result), "{result:?}");
    assert_eq!(reader.io.reads, 2);
}

#[test]
fn lending_waits_through_pending() {
    let wire = frame(b"waited");
    let mut reader = read_loop([data(&wire[..4]), Read::Pending, data(&wire[4..])]);
    assert!(poll_now(|cx| reader.poll_lend_more(cx)).is_none());
    assert!(poll_now(|cx| reader.poll_lend_more(cx)).unwrap().unwrap());
    assert_eq!(reader.state.lent(), b"waited");
}

// ---------------------------------------------------------------------------------------------
// copy_frame_to

#[test]
fn copy_frame_to_moves_a_split_payload_through_short_and_interrupted_writes() {
    let body = b"0123456789";
    let mut wire = frame(body);
    wire.extend_from_slice(&frame(b"next"));
    let mut reader = read_loop([data(&wire[..8]), data(&wire[8..])]);
    let mut dst = scripted([
        Write::Take(3),
        Write::Fail(ErrorKind::Interrupted),
        ALL,
        Write::Take(2),
        ALL,
    ]);
    assert_eq!(now(reader.copy_frame_to(&mut dst)).unwrap(), Some(10));
    assert_eq!(dst.out, body);
    // 4 payload bytes came with the header: 3 of them, (interrupted), the 4th; then the rest.
    assert_eq!(
        dst.calls,
        [
            Call::Part(4),
            Call::Part(1),
            Call::Part(1),
            Call::Part(6),
            Call::Part(4)
        ]
    );
    assert!(dst.writes.is_empty());
    assert_eq!(next_frame(&mut reader).unwrap().unwrap(), &b"next"[..]);
}

#[test]
fn copy_frame_to_an_empty_frame_and_at_a_clean_end() {
    let mut reader = read_loop([data(&frame(b"")), Read::End]);
    let mut dst = scripted([]);
    assert_eq!(now(reader.copy_frame_to(&mut dst)).unwrap(), Some(0));
    assert_eq!(now(reader.copy_frame_to(&mut dst)).unwrap(), None);
    assert!(dst.calls.is_empty());
}

#[test]
fn copy_frame_to_fails_on_a_write_of_zero_bytes_and_goes_on_when_called_again() {
    let mut reader = read_loop([data(&frame(b"abcdef"))]);
    let mut dst = scripted([Write::Take(2), Write::Take(0)]);
    let result = now(reader.copy_frame_to(&mut dst));
    assert_eq!(io_kind(result), ErrorKind::WriteZero);
    assert_eq!(reader.state.copy_remaining(), Some(4));
    dst.writes.push_back(ALL);
    assert_eq!(now(reader.copy_frame_to(&mut dst)).unwrap(), Some(6));
    assert_eq!(dst.out, b"abcdef");
}

#[test]
fn copy_frame_to_returns_a_write_error_other_than_interrupted() {
    let mut reader = read_loop([data(&frame(b"abcdef"))]);
    let mut dst = scripted([Write::Fail(ErrorKind::BrokenPipe)]);
    let result = now(reader.copy_frame_to(&mut dst));
    assert_eq!(io_kind(result), ErrorKind::BrokenPipe);
    assert_eq!(reader.state.copy_remaining(), Some(6));
    // Nothing else may be read in the middle of the frame.
    assert!(matches!(
        next_frame(&mut reader),
        Err(Error::CopyUnfinished { len: 6, left: 6 })
    ));
    assert!(matches!(
        reader.lend_buffered(),
        Err(Error::CopyUnfinished { len: 6, left: 6 })
    ));
}

#[test]
fn copy_frame_to_cut_by_the_end_is_truncated() {
    let wire = frame(b"abcdef");
    let mut reader = read_loop([data(&wire[..7]), Read::End]);
    let mut dst = scripted([ALL]);
    let result = now(reader.copy_frame_to(&mut dst));
    assert!(is_truncated(&result), "{result:?}");
    assert_eq!(dst.out, b"abc");
}

#[test]
fn copy_frame_to_is_cancel_safe_across_pending_reads_and_writes() {
    let body = payload(30);
    let wire = frame(&body);
    let mut reader = read_loop([
        data(&wire[..10]),
        Read::Pending,
        data(&wire[10..20]),
        data(&wire[20..]),
    ]);
    let mut dst = scripted([ALL, Write::Pending, Write::Take(4), ALL, ALL]);
    {
        let mut copy = pin!(reader.copy_frame_to(&mut dst));
        assert!(poll_pinned(copy.as_mut()).is_none(), "the read waits");
    }
    // Dropped (cancelled) while waiting for a read: the next call goes on with the frame.
    assert_eq!(reader.state.copy_remaining(), Some(24));
    {
        let mut copy = pin!(reader.copy_frame_to(&mut dst));
        assert!(poll_pinned(copy.as_mut()).is_none(), "the write waits");
    }
    assert_eq!(reader.state.copy_remaining(), Some(24));
    assert_eq!(now(reader.copy_frame_to(&mut dst)).unwrap(), Some(30));
    assert!(dst.out == body, "each payload byte exactly once");
}

// ---------------------------------------------------------------------------------------------
// The Iterator / Stream rule

#[test]
fn the_stream_ends_at_a_clean_end_and_reads_no_more() {
    let mut reader = read_loop([data(&frames(&[b"a", b"b"])), Read::End]);
    let mut next = || poll_now(|cx| reader.poll_next(cx)).expect("ready");
    assert_eq!(next().unwrap().unwrap(), &b"a"[..]);
    assert_eq!(next().unwrap().unwrap(), &b"b"[..]);
    assert!(next().is_none());
    assert!(
        next().is_none(),
        "ended: no more reads (the script is empty)"
    );
    assert_eq!(reader.io.reads, 2);
}

#[test]
fn an_ended_stream_returns_no_frame_even_a_whole_one_in_the_buffer() {
    let mut reader = read_loop([Read::End]);
    assert!(poll_now(|cx| reader.poll_next(cx)).unwrap().is_none());
    // Bytes put in the buffer after the end (no read: the script is empty).
    let wire = frame(b"late");
    let room = reader.state.read_slice();
    room[..wire.len()].copy_from_slice(&wire);
    reader.state.filled(wire.len());
    assert!(poll_now(|cx| reader.poll_next(cx)).unwrap().is_none());
    assert_eq!(reader.read_buffered().unwrap().unwrap(), &b"late"[..]);
    assert_eq!(reader.io.reads, 1);
}

#[test]
fn a_stream_takes_whole_frames_from_the_buffer_and_reads_for_the_rest() {
    let wire = frames(&[b"a", b"bb", b"ccc"]);
    let mut reader = read_loop([data(&wire[..12]), data(&wire[12..]), Read::End]);
    let mut next = || poll_now(|cx| reader.poll_next(cx)).expect("ready");
    assert_eq!(next().unwrap().unwrap(), &b"a"[..]);
    assert_eq!(next().unwrap().unwrap(), &b"bb"[..]);
    assert_eq!(next().unwrap().unwrap(), &b"ccc"[..]);
    assert!(next().is_none());
    assert_eq!(reader.io.reads, 3);
}

#[test]
fn the_stream_ends_after_an_error_it_cannot_continue_from() {
    let mut reader = read_loop([Read::Fail(ErrorKind::ConnectionReset), data(b"unread")]);
    let first = poll_now(|cx| reader.poll_next(cx)).unwrap().unwrap();
    assert_eq!(io_kind(first), ErrorKind::ConnectionReset);
    assert!(poll_now(|cx| reader.poll_next(cx)).unwrap().is_none());
    assert_eq!(reader.io.reads, 1);
}

#[test]
fn the_stream_goes_on_after_an_error_it_can_continue_from() {
    let mut reader = read_loop([Read::Fail(ErrorKind::WouldBlock), data(&frame(b"then"))]);
    let first = poll_now(|cx| reader.poll_next(cx)).unwrap().unwrap();
    assert_eq!(io_kind(first), ErrorKind::WouldBlock);
    let second = poll_now(|cx| reader.poll_next(cx)).unwrap().unwrap();
    assert_eq!(second.unwrap(), &b"then"[..]);
}

#[test]
fn the_stream_is_pending_while_the_reader_is() {
    let mut reader = read_loop([Read::Pending, data(&frame(b"x"))]);
    assert!(poll_now(|cx| reader.poll_next(cx)).is_none());
    let frame = poll_now(|cx| reader.poll_next(cx)).unwrap().unwrap();
    assert_eq!(frame.unwrap(), &b"x"[..]);
}

#[cfg(any(feature = "tokio", feature = "futures-io"))]
#[test]
fn read_frame_waits_and_resumes_as_a_future() {
    let wire = frame(b"async");
    let mut reader = read_loop([data(&wire[..2]), Read::Pending, data(&wire[2..]), Read::End]);
    {
        let mut read = pin!(reader.read_frame());
        assert!(poll_pinned(read.as_mut()).is_none());
        assert_eq!(
            poll_pinned(read.as_mut()).unwrap().unwrap().unwrap(),
            &b"async"[..]
        );
    }
    assert_eq!(now(reader.read_frame()).unwrap(), None);
}

// ---------------------------------------------------------------------------------------------
// Writing frames: the copied path

#[test]
fn a_small_frame_is_buffered_and_goes_out_at_the_flush() {
    let mut writer = write_loop([ALL]);
    now(writer.write_frame(None, b"hello")).unwrap();
    now(writer.write_frame(None, b"")).unwrap();
    assert!(
        writer.io.calls.is_empty(),
        "nothing written before the flush"
    );
    assert_eq!(writer.state.buffered_len(), 13);
    now(writer.flush()).unwrap();
    assert_eq!(writer.io.out, frames(&[b"hello", b""]));
    assert_eq!(writer.io.calls, [Call::Part(13), Call::Flush]);
    assert!(writer.state.is_empty());
}

#[test]
fn queue_frame_queues_a_frame_that_fits_and_returns_the_header_of_one_that_does_not() {
    // Capacity 16: a frame is copied while it is shorter (4-byte header).
    let mut writer = small_write_loop(16, []);
    assert!(writer.queue_frame(None, &[1; 5]).unwrap().is_none());
    assert_eq!(writer.state.buffered_len(), 9);
    // 9 + 9 bytes would pass the capacity: written first, so not queued here.
    let head = writer.queue_frame(None, &[2; 5]).unwrap().expect("no room");
    assert_eq!(head.as_bytes(), 5u32.to_le_bytes());
    assert_eq!(writer.state.buffered_len(), 9, "nothing queued");
    // Nor 9 + 11; 9 + 7 = 16 fits.
    assert!(writer.queue_frame(None, &[3; 7]).unwrap().is_some());
    assert!(
        writer.queue_frame(None, &[3; 3]).unwrap().is_none(),
        "9 + 7 = 16 fits"
    );
    assert_eq!(writer.state.buffered_len(), 16);

    let mut writer = small_write_loop(16, []);
    // 4 + 11 = 15 < 16: copied; 4 + 12 = 16: written through.
    assert!(writer.queue_frame(None, &[4; 11]).unwrap().is_none());
    let mut writer2 = small_write_loop(16, []);
    let head = writer2
        .queue_frame(None, &[5; 12])
        .unwrap()
        .expect("not copied");
    assert_eq!(head.len(), 4);
    assert!(writer2.state.is_empty());
    assert_eq!(writer.state.buffered_len(), 15);
}

#[test]
fn queue_frame_with_a_checksum_counts_the_trailer() {
    let codec = checked_codec();
    let mut writer = WriteLoop::new(scripted([]), WriteState::new(codec));
    writer.state.set_capacity(16);
    // 4 + 9 + 2 = 15 < 16: copied, trailer included.
    assert!(writer.queue_frame(None, &[7; 9]).unwrap().is_none());
    assert_eq!(writer.state.take_buffered(), encoded(codec, &[7; 9]));
    // 4 + 10 + 2 = 16: not copied.
    assert!(writer.queue_frame(None, &[7; 10]).unwrap().is_some());
    assert!(writer.state.is_empty());
    // 15 buffered: a 4 + 0 + 2 frame does not fit beside it.
    assert!(writer.queue_frame(None, &[7; 9]).unwrap().is_none());
    assert!(writer.queue_frame(None, &[]).unwrap().is_some());
    assert_eq!(writer.state.buffered_len(), 15);
}

#[test]
fn a_frame_with_a_prefix_or_a_checksum_is_framed_as_the_encoder_frames_it() {
    let codec = Codec::builder().length_field_offset(2).build().unwrap();
    let mut writer = WriteLoop::new(scripted([ALL]), WriteState::new(codec));
    now(writer.write_frame(Some(b"\xab\xcd"), b"body")).unwrap();
    now(writer.flush()).unwrap();
    assert_eq!(writer.io.out, b"\xab\xcd\x04\0\0\0body");
    let result = writer.queue_frame(Some(b"\xab"), b"body");
    assert!(matches!(
        result,
        Err(Error::Encode(EncodeError::WrongPrefixLen { .. }))
    ));

    let codec = checked_codec();
    let mut writer = WriteLoop::new(scripted([ALL]), WriteState::new(codec));
    now(writer.write_frame(None, b"checked")).unwrap();
    now(writer.flush()).unwrap();
    assert_eq!(writer.io.out, encoded(codec, b"checked"));
    assert_eq!(writer.io.out.len(), 4 + 7 + 2);
}

#[test]
fn a_frame_over_the_maximum_is_refused_and_nothing_is_queued() {
    let codec = Codec::builder().max_frame_len(8).build().unwrap();
    let mut writer = WriteLoop::new(scripted([]), WriteState::new(codec));
    let result = writer.queue_frame(None, &[0; 9]);
    assert!(
        matches!(result, Err(Error::Encode(EncodeError::TooLarge { .. }))),
        "{result:?}"
    );
    let result = now(writer.write_frame(None, &[0; 9]));
    assert!(matches!(result, Err(Error::Encode(_))), "{result:?}");
    assert!(writer.state.is_empty());
    assert!(writer.io.calls.is_empty());
}

#[test]
fn a_copied_frame_that_does_not_fit_waits_for_room_then_is_queued() {
    let mut writer = small_write_loop(16, [Write::Take(1), ALL]);
    now(writer.write_frame(None, &[1; 6])).unwrap();
    // 10 buffered; 4 + 5 more would pass 16: what is buffered is written until the frame fits
    // (1 byte: 9 + 9 still does not; then the other 9), then the frame is copied.
    now(writer.write_frame(None, &[2; 5])).unwrap();
    assert_eq!(writer.io.calls, [Call::Part(10), Call::Part(9)]);
    assert_eq!(writer.io.out, frame(&[1; 6]));
    assert_eq!(writer.state.take_buffered(), frame(&[2; 5]));
}

#[test]
fn write_frame_io_queues_the_frame_queue_frame_had_no_room_for() {
    let mut writer = small_write_loop(16, [ALL]);
    assert!(writer.queue_frame(None, &[1; 8]).unwrap().is_none());
    let head = writer.queue_frame(None, &[2; 3]).unwrap().expect("no room");
    now(writer.write_frame_io(head, &[2; 3])).unwrap();
    assert_eq!(writer.io.out, frame(&[1; 8]));
    assert_eq!(writer.state.take_buffered(), frame(&[2; 3]));
}

#[cfg(any(feature = "tokio", feature = "futures-io"))]
#[test]
fn write_frame_again_builds_the_header_again() {
    let mut writer = small_write_loop(16, [ALL, ALL]);
    assert!(writer.queue_frame(None, &[1; 8]).unwrap().is_none());
    assert!(writer.queue_frame(None, &[2; 3]).unwrap().is_some());
    now(writer.write_frame_again(None, &[2; 3])).unwrap();
    assert_eq!(writer.io.out, frame(&[1; 8]));
    assert_eq!(writer.state.buffered_len(), 7);
    // A large one is written through.
    now(writer.write_frame_again(None, &[3; 20])).unwrap();
    assert_eq!(writer.io.out, frames(&[&[1; 8], &[2; 3], &[3; 20]]));
    let codec = Codec::builder().max_frame_len(2).build().unwrap();
    let mut writer = WriteLoop::new(scripted([]), WriteState::new(codec));
    assert!(now(writer.write_frame_again(None, &[0; 3])).is_err());
}

#[test]
fn waiting_for_room_is_cancel_safe() {
    let mut writer = small_write_loop(16, [Write::Pending, ALL]);
    now(writer.write_frame(None, &[1; 8])).unwrap();
    {
        let mut write = pin!(writer.write_frame(None, &[2; 8]));
        assert!(poll_pinned(write.as_mut()).is_none());
    }
    // Cancelled: not accepted.
    assert_eq!(writer.state.buffered_len(), 12);
    now(writer.write_frame(None, &[2; 8])).unwrap();
    assert_eq!(writer.io.out, frame(&[1; 8]));
    assert_eq!(writer.state.take_buffered(), frame(&[2; 8]));
}

// ---------------------------------------------------------------------------------------------
// Writing frames: written through

#[test]
fn a_large_frame_is_written_through_in_one_gathered_write() {
    let body = payload(40);
    let mut writer = small_write_loop(16, [ALL]);
    now(writer.write_frame(None, &body)).unwrap();
    assert_eq!(writer.io.calls, [Call::Parts(vec![4, 40])]);
    assert_eq!(writer.io.out, frame(&body));
    assert!(writer.state.is_empty());
}

#[test]
fn a_large_frame_through_a_writer_without_vectored_writes() {
    let body = payload(40);
    let mut writer = small_write_loop(16, [ALL, ALL]);
    writer.io.vectored = false;
    now(writer.write_frame(None, &body)).unwrap();
    assert_eq!(writer.io.calls, [Call::Parts(vec![4, 40]), Call::Part(40)]);
    assert_eq!(writer.io.out, frame(&body));
    assert!(writer.state.is_empty());
}

#[test]
fn a_large_frame_after_buffered_bytes_goes_out_whole_through_short_writes() {
    let body = payload(40);
    let mut writer = small_write_loop(
        16,
        [
            Write::Take(9),
            Write::Fail(ErrorKind::Interrupted),
            Write::Take(4),
            Write::Take(30),
            ALL,
        ],
    );
    now(writer.write_frame(None, b"small")).unwrap();
    now(writer.write_frame(None, &body)).unwrap();
    assert_eq!(
        writer.io.calls,
        [
            Call::Parts(vec![13, 40]),
            Call::Parts(vec![4, 40]),
            Call::Parts(vec![4, 40]),
            Call::Part(40),
            Call::Part(10),
        ]
    );
    assert_eq!(writer.io.out, frames(&[b"small", &body]));
    assert!(
        writer.state.is_empty(),
        "written before write_frame returned"
    );
    assert!(writer.io.writes.is_empty());
}

#[test]
fn a_large_frame_is_not_accepted_when_none_of_it_went_out() {
    for failure in [Write::Fail(ErrorKind::BrokenPipe), Write::Take(0)] {
        let mut writer = small_write_loop(16, [failure]);
        let result = now(writer.write_frame(None, &payload(40)));
        let expected = match failure {
            Write::Take(0) => ErrorKind::WriteZero,
            _ => ErrorKind::BrokenPipe,
        };
        assert_eq!(io_kind(result), expected);
        assert!(writer.state.is_empty(), "its header withdrawn");
    }
    // With bytes buffered before it: they stay, the frame's header goes.
    let mut writer = small_write_loop(16, [Write::Take(3), Write::Fail(ErrorKind::BrokenPipe)]);
    now(writer.write_frame(None, b"small")).unwrap();
    let result = now(writer.write_frame(None, &payload(40)));
    assert_eq!(io_kind(result), ErrorKind::BrokenPipe);
    assert_eq!(writer.state.take_buffered(), &frame(b"small")[3..]);
}

#[test]
fn a_large_frame_part_of_which_went_out_is_accepted_with_its_rest_buffered() {
    let body = payload(40);
    let mut writer = small_write_loop(16, [Write::Take(10), Write::Fail(ErrorKind::BrokenPipe)]);
    now(writer.write_frame(None, &body)).unwrap();
    assert_eq!(writer.state.buffered_len(), 34);
    writer.io.writes.push_back(ALL);
    now(writer.flush()).unwrap();
    assert_eq!(writer.io.out, frame(&body));
}

#[test]
fn a_cancelled_large_frame_keeps_the_stream_framed() {
    // Cancelled after part of it went out: the rest is buffered.
    let body = payload(40);
    let mut writer = small_write_loop(16, [Write::Take(10), Write::Pending]);
    {
        let mut write = pin!(writer.write_frame(None, &body));
        assert!(poll_pinned(write.as_mut()).is_none());
    }
    assert_eq!(writer.state.buffered_len(), 34);
    writer.io.writes.push_back(ALL);
    now(writer.flush()).unwrap();
    assert_eq!(writer.io.out, frame(&body));

    // Cancelled before any of it went out: withdrawn.
    let mut writer = small_write_loop(16, [Write::Pending]);
    {
        let mut write = pin!(writer.write_frame(None, &body));
        assert!(poll_pinned(write.as_mut()).is_none());
    }
    assert!(writer.state.is_empty());

    // Polled again after Pending, it goes on.
    let mut writer = small_write_loop(16, [Write::Take(10), Write::Pending, ALL]);
    {
        let mut write = pin!(writer.write_frame(None, &body));
        assert!(poll_pinned(write.as_mut()).is_none());
        assert!(poll_pinned(write.as_mut()).unwrap().is_ok());
    }
    assert!(writer.state.is_empty());
    assert_eq!(writer.io.out, frame(&body));
}

#[test]
fn write_through_with_a_checksum_sends_the_trailer_after_the_payload() {
    let codec = checked_codec();
    let body = payload(40);
    let mut writer = WriteLoop::new(scripted([ALL]), WriteState::new(codec));
    writer.state.set_capacity(16);
    let head = writer.state.head(None, body.len()).unwrap();
    now(writer.write_through(head, &body)).unwrap();
    assert_eq!(writer.io.out, encoded(codec, &body));
    assert!(writer.state.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Gathered writes, flush, close

#[test]
fn an_owned_payload_is_queued_and_gathered_with_its_header() {
    let body = Bytes::from(payload(10 * 1024));
    let mut writer = write_loop([Write::Take(4), ALL]);
    now(writer.feed_frame(body.clone())).unwrap();
    assert!(writer.io.calls.is_empty());
    assert_eq!(writer.state.buffered_len(), 4 + body.len());
    now(writer.flush()).unwrap();
    // The header, then the queued payload on its own: a plain write of one part.
    assert_eq!(
        writer.io.calls,
        [
            Call::Parts(vec![4, 10 * 1024]),
            Call::Part(10 * 1024),
            Call::Flush
        ]
    );
    assert_eq!(writer.io.out, frame(&body));
    // Everything in one vectored write when the writer takes it all.
    let mut writer = write_loop([ALL]);
    now(writer.feed_frame(body.clone())).unwrap();
    now(writer.feed_frame(Bytes::from_static(b"tiny"))).unwrap();
    assert!(run_poll(|cx| writer.poll_write_out(cx).map_err(Error::from)).is_ok());
    assert_eq!(writer.io.calls, [Call::Parts(vec![4, 10 * 1024, 8])]);
    assert_eq!(writer.io.out, frames(&[&body, b"tiny"]));
}

#[test]
fn a_write_error_in_a_flush_is_returned_and_the_bytes_stay() {
    let mut writer = write_loop([Write::Fail(ErrorKind::Interrupted), Write::Take(2)]);
    now(writer.write_frame(None, b"abc")).unwrap();
    writer
        .io
        .writes
        .push_back(Write::Fail(ErrorKind::BrokenPipe));
    let result = now(writer.flush());
    assert_eq!(io_kind(result), ErrorKind::BrokenPipe);
    assert_eq!(writer.state.buffered_len(), 5);
    assert!(!writer.io.calls.contains(&Call::Flush));
    writer.io.writes.push_back(Write::Take(0));
    assert_eq!(io_kind(now(writer.flush())), ErrorKind::WriteZero);
    writer.io.writes.push_back(ALL);
    now(writer.flush()).unwrap();
    assert_eq!(writer.io.out, frame(b"abc"));
}

#[test]
fn a_flush_waits_for_the_writes_and_the_inner_flush_and_reports_its_error() {
    let mut writer = write_loop([Write::Pending, ALL]);
    writer.io.flushes = [Write::Pending, Write::Fail(ErrorKind::Other)].into();
    now(writer.write_frame(None, b"abc")).unwrap();
    assert!(poll_now(|cx| writer.poll_flush(cx)).is_none(), "the write");
    assert!(poll_now(|cx| writer.poll_flush(cx)).is_none(), "the flush");
    assert_eq!(writer.io.out, frame(b"abc"));
    let result = poll_now(|cx| writer.poll_flush(cx)).unwrap();
    assert_eq!(io_kind(result), ErrorKind::Other);
    assert!(run_poll(|cx| writer.poll_flush(cx)).is_ok());
    let flushes = writer
        .io
        .calls
        .iter()
        .filter(|c| **c == Call::Flush)
        .count();
    assert_eq!(flushes, 3);
    // Empty: a flush is the inner flush only.
    now(writer.flush()).unwrap();
    assert_eq!(writer.io.calls.last(), Some(&Call::Flush));
    assert_eq!(writer.io.calls.len(), 6);
}

#[test]
fn a_queued_chunk_alone_is_a_plain_write() {
    // max_write cuts the header + payload write after the header: the payload alone follows.
    let body = Bytes::from(payload(9 * 1024));
    let mut writer = write_loop([ALL, ALL]);
    writer.state.set_max_write(4);
    now(writer.feed_frame(body.clone())).unwrap();
    now(writer.flush()).unwrap();
    assert_eq!(
        writer.io.calls,
        [Call::Part(4), Call::Part(9 * 1024), Call::Flush]
    );
    assert_eq!(writer.io.out, frame(&body));
}

#[cfg(any(feature = "tokio", feature = "futures-io"))]
#[test]
fn shutdown_writes_flushes_then_closes() {
    let mut writer = write_loop([ALL]);
    now(writer.write_frame(None, b"bye")).unwrap();
    now(writer.shutdown()).unwrap();
    // The default close is one more flush.
    assert_eq!(writer.io.calls, [Call::Part(7), Call::Flush, Call::Flush]);
    assert_eq!(writer.io.out, frame(b"bye"));

    let mut writer = write_loop([]);
    writer.io.flushes = [ALL, Write::Fail(ErrorKind::BrokenPipe)].into();
    assert_eq!(io_kind(now(writer.shutdown())), ErrorKind::BrokenPipe);
    let mut writer = write_loop([]);
    writer.io.flushes = [Write::Fail(ErrorKind::BrokenPipe)].into();
    assert_eq!(
        io_kind(run_poll(|cx| writer.poll_close(cx))),
        ErrorKind::BrokenPipe
    );
    assert_eq!(
        writer.io.calls,
        [Call::Flush],
        "no close after a failed flush"
    );
}

#[test]
fn an_absent_writer_is_not_connected_and_a_present_one_is_used() {
    let cx = &mut Context::from_waker(noop_waker());
    let mut absent: Option<ScriptedWrite> = None;
    let slices = [IoSlice::new(b"ab"), IoSlice::new(b"cd")];
    let not_connected = |poll: Poll<io::Result<usize>>| match poll {
        Poll::Ready(Err(err)) => err.kind() == ErrorKind::NotConnected,
        _ => false,
    };
    assert!(not_connected(absent.poll_write_part(cx, b"ab")));
    assert!(not_connected(absent.poll_write_parts(cx, &slices)));
    assert!(
        matches!(absent.poll_flush_io(cx), Poll::Ready(Err(err)) if err.kind() == ErrorKind::NotConnected)
    );
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    assert!(
        matches!(absent.poll_close_io(cx), Poll::Ready(Err(err)) if err.kind() == ErrorKind::NotConnected)
    );

    let mut present = Some(scripted([Write::Take(2), ALL]));
    assert!(matches!(
        present.poll_write_part(cx, b"abc"),
        Poll::Ready(Ok(2))
    ));
    assert!(matches!(
        present.poll_write_parts(cx, &slices),
        Poll::Ready(Ok(4))
    ));
    present.as_mut().unwrap().flushes = [Write::Pending, ALL, ALL].into();
    assert!(present.poll_flush_io(cx).is_pending());
    assert!(matches!(present.poll_flush_io(cx), Poll::Ready(Ok(()))));
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    assert!(matches!(present.poll_close_io(cx), Poll::Ready(Ok(()))));
    let present = present.unwrap();
    assert_eq!(present.out, b"ababcd");
    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    assert_eq!(
        present.calls.len(),
        5,
        "the close is the inner writer's (a flush)"
    );
}

// ---------------------------------------------------------------------------------------------
// Owned payloads, frames written in place, Sink

#[test]
fn feed_frame_makes_room_then_queues() {
    let mut writer = small_write_loop(16, [ALL]);
    now(writer.feed_frame(Bytes::from_static(b"12345678"))).unwrap();
    assert!(writer.io.calls.is_empty());
    now(writer.feed_frame(Bytes::from_static(b"abcd"))).unwrap();
    assert_eq!(writer.io.calls, [Call::Part(12)]);
    assert_eq!(writer.state.take_buffered(), frame(b"abcd"));
    let codec = Codec::builder().max_frame_len(2).build().unwrap();
    let mut writer = WriteLoop::new(scripted([]), WriteState::new(codec));
    assert!(now(writer.feed_frame(Bytes::from_static(b"abc"))).is_err());
    assert!(writer.state.is_empty());
}

#[test]
fn write_frame_with_writes_the_body_in_place() {
    let mut writer = write_loop([]);
    now(writer.write_frame_with(|buf: &mut BytesMut| {
        buf.extend_from_slice(b"in place");
        Ok::<_, Error>(())
    }))
    .unwrap();
    writer
        .queue_frame_with(|buf: &mut BytesMut| {
            buf.extend_from_slice(b"queued");
            Ok::<_, Error>(())
        })
        .unwrap();
    assert!(writer.io.calls.is_empty());
    assert_eq!(
        writer.state.take_buffered(),
        frames(&[b"in place", b"queued"])
    );
    let failed =
        writer.queue_frame_with(|_: &mut BytesMut| Err(Error::Io(ErrorKind::Other.into())));
    assert_eq!(io_kind(failed), ErrorKind::Other);
}

#[test]
fn write_frame_with_makes_room_for_a_frame_as_long_as_the_last_one() {
    // After a 12-byte frame written in place, 12 bytes buffered: room is made for 12 more
    // first (written out), then the body goes in.
    let mut writer = small_write_loop(16, [ALL, ALL]);
    now(writer.write_frame_with(|buf: &mut BytesMut| {
        buf.extend_from_slice(&[1; 8]);
        Ok::<_, Error>(())
    }))
    .unwrap();
    assert!(writer.io.calls.is_empty());
    now(writer.write_frame_with(|buf: &mut BytesMut| {
        buf.extend_from_slice(&[2; 8]);
        Ok::<_, Error>(())
    }))
    .unwrap();
    assert_eq!(writer.io.calls, [Call::Part(12)]);
    assert_eq!(writer.state.take_buffered(), frame(&[2; 8]));
}

#[test]
fn a_frame_written_in_place_past_the_buffer_is_written_out_and_accepted_whatever_that_write_does() {
    let mut writer = small_write_loop(16, [ALL]);
    now(writer.write_frame_with(|buf: &mut BytesMut| {
        buf.extend_from_slice(&[1; 20]);
        Ok::<_, Error>(())
    }))
    .unwrap();
    assert_eq!(writer.io.calls, [Call::Part(24)]);
    assert!(writer.state.is_empty());
    // The write fails: accepted all the same, the bytes kept for the next write.
    let mut writer = small_write_loop(16, [Write::Fail(ErrorKind::BrokenPipe)]);
    now(writer.write_frame_with(|buf: &mut BytesMut| {
        buf.extend_from_slice(&[1; 20]);
        Ok::<_, Error>(())
    }))
    .unwrap();
    assert_eq!(writer.state.take_buffered(), frame(&[1; 20]));
}

#[cfg(any(feature = "tokio", feature = "futures-io"))]
#[test]
fn a_sink_makes_room_in_poll_ready_and_queues_in_start_send() {
    let mut writer = small_write_loop(16, [Write::Pending, ALL]);
    writer.state.set_max_write(8);
    assert!(run_poll(|cx| writer.poll_ready(cx)).is_ok());
    writer.start_send(Bytes::from_static(b"sink")).unwrap();
    writer.start_send(Bytes::from_static(b"more")).unwrap();
    assert!(writer.io.calls.is_empty());
    assert_eq!(writer.state.buffered_len(), 16);
    // 16 buffered reaches max_write: poll_ready writes (waiting first).
    assert!(poll_now(|cx| writer.poll_ready(cx)).is_none());
    assert!(poll_now(|cx| writer.poll_ready(cx)).unwrap().is_ok());
    assert_eq!(writer.io.out, frames(&[b"sink", b"more"]));
    let codec = Codec::builder().max_frame_len(2).build().unwrap();
    let mut writer = WriteLoop::new(scripted([]), WriteState::new(codec));
    assert!(writer.start_send(Bytes::from_static(b"abc")).is_err());
    assert!(writer.state.is_empty());
}

// ---------------------------------------------------------------------------------------------
// copy_frame_from

#[test]
fn copy_frame_from_moves_the_payload_through_the_buffer() {
    let mut writer = write_loop([ALL]);
    let mut src = source([
        data(b"0123"),
        Read::Fail(ErrorKind::Interrupted),
        data(b"456789"),
    ]);
    now(writer.copy_frame_from(10, &mut src)).unwrap();
    assert_eq!(src.wants, [10, 6, 6]);
    assert!(writer.io.calls.is_empty(), "buffered, as a small frame is");
    assert!(writer.state.copy_remaining().is_none());
    now(writer.flush()).unwrap();
    assert_eq!(writer.io.out, frame(b"0123456789"));
}

#[test]
fn copy_frame_from_writes_whenever_the_buffer_is_full() {
    // The buffer holds at least 8 KiB: a 20 KiB payload goes out in writes of what it holds.
    let body = payload(20 * 1024);
    let mut writer = small_write_loop(16, [ALL, Write::Take(100), ALL, ALL]);
    let mut src = source([data(&body)]);
    now(writer.copy_frame_from(body.len() as u64, &mut src)).unwrap();
    // 8 KiB less the header; a full 8 KiB once that is written; the 100 bytes a short write
    // made room for; the last 4000 bytes, left buffered.
    assert_eq!(src.wants, [8188, 8192, 100, 4000]);
    assert_eq!(
        writer.io.calls,
        [Call::Part(8192), Call::Part(8192), Call::Part(8192)]
    );
    assert_eq!(writer.state.buffered_len(), 4000);
    now(writer.flush()).unwrap();
    assert_eq!(writer.io.out, frame(&body));
}

#[test]
fn copy_frame_from_a_source_that_ends_or_fails_early() {
    let mut writer = write_loop([ALL]);
    let mut src = source([data(b"abc"), Read::End]);
    let result = now(writer.copy_frame_from(10, &mut src));
    assert!(
        matches!(result, Err(Error::SourceEnded { len: 10, left: 7 })),
        "{result:?}"
    );
    // Nothing else goes in the middle of the frame.
    assert!(matches!(
        now(writer.write_frame(None, b"x")),
        Err(Error::CopyUnfinished { len: 10, left: 7 })
    ));
    let mut src = source([Read::Fail(ErrorKind::BrokenPipe)]);
    let result = now(writer.copy_frame_from(10, &mut src));
    assert_eq!(io_kind(result), ErrorKind::BrokenPipe);
    assert_eq!(writer.state.copy_remaining(), Some(7));
    // The same length goes on with the frame.
    let mut src = source([Read::Pending, data(b"defghij")]);
    {
        let mut copy = pin!(writer.copy_frame_from(10, &mut src));
        assert!(poll_pinned(copy.as_mut()).is_none());
        assert!(poll_pinned(copy.as_mut()).unwrap().is_ok());
    }
    now(writer.flush()).unwrap();
    assert_eq!(writer.io.out, frame(b"abcdefghij"));
}

#[cfg(any(feature = "tokio", feature = "futures-io"))]
#[test]
fn a_sink_takes_nothing_in_the_middle_of_a_copied_frame() {
    let mut writer = write_loop([ALL]);
    let mut src = source([data(b"abc"), Read::End]);
    assert!(now(writer.copy_frame_from(10, &mut src)).is_err());
    let buffered = writer.state.buffered_len();
    // The buffer has room for a small frame: only the unfinished one refuses it.
    assert!(matches!(
        run_poll(|cx| writer.poll_ready(cx)),
        Err(Error::CopyUnfinished { len: 10, left: 7 })
    ));
    assert!(matches!(
        writer.start_send(Bytes::from_static(b"x")),
        Err(Error::CopyUnfinished { len: 10, left: 7 })
    ));
    assert_eq!(writer.state.buffered_len(), buffered);
}

#[test]
fn copy_frame_from_waits_for_room_for_its_header() {
    let mut writer = small_write_loop(16, [ALL]);
    now(writer.write_frame(None, &[1; 10])).unwrap();
    let mut src = source([data(b"xy")]);
    writer.state.set_max_write(8);
    now(writer.copy_frame_from(2, &mut src)).unwrap();
    assert_eq!(writer.io.calls, [Call::Part(14)]);
    assert_eq!(writer.state.take_buffered(), frame(b"xy"));
    let codec = Codec::builder().max_frame_len(2).build().unwrap();
    let mut writer = WriteLoop::new(scripted([]), WriteState::new(codec));
    let mut src = source([]);
    assert!(now(writer.copy_frame_from(3, &mut src)).is_err());
    assert!(writer.state.is_empty());
}

// ---------------------------------------------------------------------------------------------
// An async writer's drop

#[cfg(any(feature = "tokio", feature = "futures-io"))]
#[test]
fn a_dropped_writer_writes_what_it_can_without_waiting() {
    // Everything goes: written and flushed.
    let mut writer = write_loop([ALL]);
    now(writer.write_frame(None, b"last")).unwrap();
    writer.dropped();
    assert_eq!(writer.io.out, frame(b"last"));
    assert_eq!(writer.io.calls, [Call::Part(8), Call::Flush]);

    // One write attempt: Pending is not waited for.
    let mut writer = write_loop([Write::Pending]);
    now(writer.write_frame(None, b"last")).unwrap();
    writer.dropped();
    assert_eq!(writer.io.calls, [Call::Part(8)]);

    // Part of it, then Pending: what went is out, no flush.
    let mut writer = write_loop([Write::Take(3), Write::Pending]);
    now(writer.write_frame(None, b"last")).unwrap();
    writer.dropped();
    assert_eq!(writer.io.out, &frame(b"last")[..3]);
    assert_eq!(writer.io.calls, [Call::Part(8), Call::Part(5)]);

    // An error ends it.
    let mut writer = write_loop([Write::Fail(ErrorKind::BrokenPipe)]);
    now(writer.write_frame(None, b"last")).unwrap();
    writer.dropped();
    assert_eq!(writer.io.calls, [Call::Part(8)]);
}

#[cfg(any(feature = "tokio", feature = "futures-io"))]
#[test]
fn a_dropped_writer_with_nothing_buffered_does_nothing() {
    // Never used: not armed.
    let mut writer = write_loop([]);
    writer.dropped();
    assert!(writer.io.calls.is_empty());
    // Used and flushed: armed, but nothing to write (no flush either).
    let mut writer = write_loop([ALL]);
    now(writer.write_frame(None, b"x")).unwrap();
    now(writer.flush()).unwrap();
    writer.dropped();
    assert_eq!(writer.io.calls, [Call::Part(5), Call::Flush]);
}

#[cfg(any(feature = "tokio", feature = "futures-io"))]
#[test]
fn every_call_that_accepts_bytes_arms_the_drop() {
    let armed = |accept: &dyn Fn(&mut WriteLoop<ScriptedWrite>)| {
        let mut writer = write_loop([ALL]);
        accept(&mut writer);
        assert!(!writer.state.is_empty());
        writer.dropped();
        writer.state.is_empty()
    };
    assert!(armed(&|w| assert!(w
        .queue_frame(None, b"q")
        .unwrap()
        .is_none())));
    assert!(armed(&|w| assert!(w
        .queue_frame(Some(b""), b"q")
        .unwrap()
        .is_none())));
    assert!(armed(
        &|w| now(w.feed_frame(Bytes::from_static(b"f"))).unwrap()
    ));
    assert!(armed(&|w| w.start_send(Bytes::from_static(b"s")).unwrap()));
    // The same on the per-frame path (the buffer's allocation has room for the frame).
    assert!(armed(&|w| {
        w.state.reserve_copied(64);
        w.start_send(Bytes::from_static(b"s")).unwrap()
    }));
    assert!(armed(&|w| w
        .queue_frame_with(|b: &mut BytesMut| {
            b.extend_from_slice(b"w");
            Ok::<_, Error>(())
        })
        .unwrap()));
    assert!(armed(&|w| now(w.write_frame_with(|b: &mut BytesMut| {
        b.extend_from_slice(b"w");
        Ok::<_, Error>(())
    }))
    .unwrap()));
    assert!(armed(&|w| now(
        w.copy_frame_from(1, &mut source([data(b"c")]))
    )
    .unwrap()));
}
