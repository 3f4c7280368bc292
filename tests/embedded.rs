//! The embedded adapters (`lenframe::embedded`, `lenframe::embedded_async`) over in-memory
//! `embedded-io` objects that hand out a few bytes at a time, take a few bytes per write, fail
//! on cue and (async) return `Pending`.
//!
//! The property tests are differential: whatever the settings, the lent buffer's size, the
//! read sizes, the injected errors and the dropped futures, the readers give the same frames
//! and the same errors, in the same order, as [`FrameDecoder::decode_eof`] over the same bytes
//! with the same maximum (the codec's, or what the buffer holds if less).
#![cfg(feature = "embedded-io")]

use std::ffi::OsStr;
use std::fmt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use bytes::BytesMut;
use embedded_io::{Error as _, ErrorKind, ErrorType, Read, Write};
use lenframe::embedded::{Error, FrameReader, FrameWriter};
use lenframe::{Codec, EncodeError, FrameDecoder, FrameError, LengthField, MAX_FIELD_LEN};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// In-memory embedded-io objects.

/// The error the mocks inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Injected;

impl fmt::Display for Injected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("injected failure")
    }
}

impl core::error::Error for Injected {}

impl embedded_io::Error for Injected {
    fn kind(&self) -> ErrorKind {
        ErrorKind::TimedOut
    }
}

/// One call's behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Hand out (or take) at most this many bytes.
    Bytes(usize),
    /// Fail with [`Injected`].
    Fail,
    /// Async only: return `Pending` once, then hand out at most this many bytes.
    Pending(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (1usize..20).prop_map(Step::Bytes),
        1 => Just(Step::Bytes(usize::MAX)),
        1 => Just(Step::Fail),
        2 => (1usize..20).prop_map(Step::Pending),
    ]
}

/// A script that always makes progress: it cycles, and ends with a step that moves bytes.
fn script() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 0..16).prop_map(|mut steps| {
        steps.push(Step::Bytes(5));
        steps
    })
}

/// A "UART" that reads from `data` following a script, counting what it hands out.
struct Uart {
    data: Vec<u8>,
    /// Bytes handed out so far.
    pos: usize,
    script: Vec<Step>,
    at: usize,
    /// `read` calls so far.
    reads: usize,
}

impl Uart {
    fn new(data: Vec<u8>, script: Vec<Step>) -> Uart {
        Uart {
            data,
            pos: 0,
            script,
            at: 0,
            reads: 0,
        }
    }

    /// Hands out `n` bytes at a time.
    fn chunked(data: &[u8], n: usize) -> Uart {
        Uart::new(data.to_vec(), vec![Step::Bytes(n)])
    }

    fn step(&mut self) -> Step {
        let step = self.script[self.at % self.script.len()];
        self.at += 1;
        step
    }

    /// Copies at most `n` bytes into `buf`: the part of a read that takes bytes.
    fn take(&mut self, buf: &mut [u8], n: usize) -> usize {
        assert!(!buf.is_empty(), "the reader asked for 0 bytes");
        let n = n.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        n
    }
}

impl ErrorType for Uart {
    type Error = Injected;
}

impl Read for Uart {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Injected> {
        self.reads += 1;
        match self.step() {
            Step::Bytes(n) | Step::Pending(n) => Ok(self.take(buf, n)),
            Step::Fail => Err(Injected),
        }
    }
}

#[cfg(feature = "embedded-io-async")]
impl embedded_io_async::Read for Uart {
    /// Cancel-safe, as `embedded-io-async` asks: bytes are taken only once the read is ready.
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Injected> {
        self.reads += 1;
        match self.step() {
            Step::Bytes(n) => Ok(self.take(buf, n)),
            Step::Pending(n) => {
                PendingOnce(false).await;
                Ok(self.take(buf, n))
            }
            Step::Fail => Err(Injected),
        }
    }
}

/// A wire that takes at most `max_write` bytes a write, fails once `fail_at` bytes are on it,
/// and records every write call's slice (where it points, how long it is).
struct Wire {
    bytes: Vec<u8>,
    max_write: usize,
    fail_at: Option<usize>,
    writes: Vec<(usize, usize)>,
    flushes: usize,
}

impl Wire {
    fn new(max_write: usize) -> Wire {
        Wire {
            bytes: Vec::new(),
            max_write,
            fail_at: None,
            writes: Vec::new(),
            flushes: 0,
        }
    }

    fn take(&mut self, buf: &[u8]) -> Result<usize, Injected> {
        self.writes.push((buf.as_ptr() as usize, buf.len()));
        let mut n = buf.len().min(self.max_write);
        if let Some(fail_at) = self.fail_at {
            if self.bytes.len() >= fail_at {
                return Err(Injected);
            }
            n = n.min(fail_at - self.bytes.len());
        }
        self.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl ErrorType for Wire {
    type Error = Injected;
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Injected> {
        self.take(buf)
    }

    fn flush(&mut self) -> Result<(), Injected> {
        self.flushes += 1;
        Ok(())
    }
}

#[cfg(feature = "embedded-io-async")]
impl embedded_io_async::Write for Wire {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Injected> {
        PendingOnce(false).await;
        self.take(buf)
    }

    async fn flush(&mut self) -> Result<(), Injected> {
        self.flushes += 1;
        Ok(())
    }
}

/// A future that is `Pending` on its first poll, ready on the next.
struct PendingOnce(bool);

impl core::future::Future for PendingOnce {
    type Output = ();

    fn poll(
        mut self: core::pin::Pin<&mut Self>,
        _: &mut core::task::Context<'_>,
    ) -> core::task::Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            core::task::Poll::Ready(())
        } else {
            core::task::Poll::Pending
        }
    }
}

/// Polls `fut` to completion with a waker that does nothing: the mocks are ready on the poll
/// after a `Pending`.
#[cfg(feature = "embedded-io-async")]
fn block_on<F: core::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let waker = futures_util::task::noop_waker();
    let mut cx = core::task::Context::from_waker(&waker);
    for _ in 0..1_000_000 {
        if let core::task::Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("the future never completed");
}

// ---------------------------------------------------------------------------------------------
// The differential harness.

/// What a reader gives, one call at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Frame(Vec<u8>),
    Error(FrameError),
    /// A clean end of the stream.
    End,
}

/// Whether reading goes on after `err`: only an oversized frame being skipped.
fn goes_on(codec: &Codec, err: &FrameError) -> bool {
    codec.skips_oversized() && matches!(err, FrameError::TooLarge { .. })
}

/// The largest payload a buffer of `buf_len` bytes holds, as the module docs state it: its
/// length less the offset and the field's width (10 for a varint).
fn buffer_max(codec: &Codec, buf_len: usize) -> usize {
    let longest =
        codec.length_field_offset() + codec.length_field().width().unwrap_or(MAX_FIELD_LEN);
    buf_len - longest
}

/// What the core does with all of `wire` and the stream's end: the reference.
fn reference(mut decoder: FrameDecoder, wire: &[u8]) -> Vec<Event> {
    let codec = *decoder.codec();
    let mut buf = BytesMut::from(wire);
    let mut events = Vec::new();
    loop {
        match decoder.decode_eof(&mut buf) {
            Ok(Some(frame)) => events.push(Event::Frame(frame.to_vec())),
            Ok(None) => {
                events.push(Event::End);
                return events;
            }
            Err(err) => {
                let more = goes_on(&codec, &err);
                events.push(Event::Error(err));
                if !more {
                    return events;
                }
            }
        }
    }
}

/// One `read_frame` call's outcome, as an event; `None` for an injected I/O error.
fn event<E: fmt::Debug>(result: Result<Option<&[u8]>, Error<E>>) -> Option<Event> {
    match result {
        Ok(Some(frame)) => Some(Event::Frame(frame.to_vec())),
        Ok(None) => Some(Event::End),
        Err(Error::Frame(err)) => Some(Event::Error(err)),
        Err(Error::Io(_)) => None,
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

/// Calls `next` (one `read_frame`) until the stream ends or fails for good, retrying after
/// injected I/O errors; after an error that stops reading, checks that calling again gives it
/// again (fail fast, nothing consumed).
fn collect(codec: &Codec, mut next: impl FnMut() -> Option<Event>) -> Vec<Event> {
    let mut events = Vec::new();
    for _ in 0..100_000 {
        let Some(event) = next() else { continue };
        match &event {
            Event::Frame(_) => events.push(event),
            Event::End => {
                events.push(event);
                return events;
            }
            Event::Error(err) if goes_on(codec, err) => events.push(event),
            Event::Error(_) => {
                let again = (0..1000).find_map(|_| next());
                assert_eq!(again.as_ref(), Some(&event), "the same error again");
                events.push(event);
                return events;
            }
        }
    }
    panic!("the reader made no progress");
}

/// The settings the property tests pick from: widths, a varint, an offset with the header
/// kept, a length that counts its header, and oversized frames skipped.
fn codecs() -> Vec<Codec> {
    let builder = Codec::builder;
    vec![
        Codec::default(),
        Codec::from_struct_format("!H").unwrap(),
        Codec::from_struct_format("B").unwrap(),
        Codec::from_struct_format("<q").unwrap(),
        builder().length_field(LengthField::VARINT).build().unwrap(),
        builder()
            .length_field_offset(2)
            .struct_format("!H")
            .keep_header(true)
            .build()
            .unwrap(),
        builder()
            .struct_format("!I")
            .length_adjustment(-4)
            .build()
            .unwrap(),
        builder()
            .max_frame_len(20)
            .skip_oversized(true)
            .build()
            .unwrap(),
        builder()
            .length_field(LengthField::VARINT)
            .max_frame_len(50)
            .skip_oversized(true)
            .build()
            .unwrap(),
    ]
}

/// How the stream ends after the frames.
#[derive(Clone, Debug)]
enum Tail {
    /// Cleanly.
    Clean,
    /// This many bytes short of the last frame's end.
    Cut(usize),
    /// With these bytes after the last frame.
    Garbage(Vec<u8>),
}

fn tail() -> impl Strategy<Value = Tail> {
    prop_oneof![
        2 => Just(Tail::Clean),
        2 => (1usize..40).prop_map(Tail::Cut),
        1 => prop::collection::vec(any::<u8>(), 1..12).prop_map(Tail::Garbage),
    ]
}

/// A case: the wire, the codec, the lent buffer's length.
#[derive(Debug)]
struct Case {
    codec: Codec,
    wire: Vec<u8>,
    buf_len: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(codecs()),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..90), 0..8),
        tail(),
        0usize..100,
    )
        .prop_map(|(codec, payloads, tail, spare)| {
            let mut encoder = codec.encoder();
            encoder.set_max_frame_len(usize::MAX); // oversized frames are part of the test
            let mut wire = BytesMut::new();
            for payload in &payloads {
                encoder.encode(payload, &mut wire).unwrap();
            }
            let mut wire = wire.to_vec();
            match tail {
                Tail::Clean => {}
                Tail::Cut(n) => wire.truncate(wire.len().saturating_sub(n)),
                Tail::Garbage(bytes) => wire.extend_from_slice(&bytes),
            }
            let longest =
                codec.length_field_offset() + codec.length_field().width().unwrap_or(MAX_FIELD_LEN);
            Case {
                codec,
                wire,
                buf_len: longest + spare,
            }
        })
}

impl Case {
    /// The core's events with the reader's maximum.
    fn reference(&self) -> Vec<Event> {
        let mut decoder = self.codec.decoder();
        let max = self
            .codec
            .max_decode_len()
            .min(buffer_max(&self.codec, self.buf_len));
        decoder.set_max_frame_len(max);
        reference(decoder, &self.wire)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn blocking_reader_matches_the_core(case in case(), script in script()) {
        let mut buf = vec![0u8; case.buf_len];
        let uart = Uart::new(case.wire.clone(), script);
        let mut reader = FrameReader::with_codec(uart, case.codec, &mut buf);
        prop_assert_eq!(
            reader.max_frame_len(),
            case.codec.max_decode_len().min(buffer_max(&case.codec, case.buf_len))
        );
        let got = collect(&case.codec, || event(reader.read_frame()));
        prop_assert_eq!(got, case.reference());
    }

    #[cfg(feature = "embedded-io-async")]
    #[test]
    fn async_reader_matches_the_core(case in case(), script in script()) {
        let mut buf = vec![0u8; case.buf_len];
        let uart = Uart::new(case.wire.clone(), script);
        let mut reader =
            lenframe::embedded_async::FrameReader::with_codec(uart, case.codec, &mut buf);
        let got = collect(&case.codec, || event(block_on(reader.read_frame())));
        prop_assert_eq!(got, case.reference());
    }

    /// Each `read_frame` future is polled at most `polls[i]` times and dropped if it is still
    /// pending: nothing is lost, nothing is repeated.
    #[cfg(feature = "embedded-io-async")]
    #[test]
    fn async_reader_loses_nothing_when_futures_are_dropped(
        case in case(),
        script in script(),
        polls in prop::collection::vec(1usize..4, 1..10),
    ) {
        let mut buf = vec![0u8; case.buf_len];
        let uart = Uart::new(case.wire.clone(), script);
        let mut reader =
            lenframe::embedded_async::FrameReader::with_codec(uart, case.codec, &mut buf);
        let mut call = 0;
        let got = collect(&case.codec, || {
            let budget = polls[call % polls.len()];
            call += 1;
            poll_at_most(reader.read_frame(), budget).and_then(event)
        });
        prop_assert_eq!(got, case.reference());
    }
}

/// Polls `fut` at most `polls` times: its output, or `None` if it was still pending (it is
/// then dropped).
#[cfg(feature = "embedded-io-async")]
fn poll_at_most<F: core::future::Future>(fut: F, polls: usize) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let waker = futures_util::task::noop_waker();
    let mut cx = core::task::Context::from_waker(&waker);
    (0..polls).find_map(|_| match fut.as_mut().poll(&mut cx) {
        core::task::Poll::Ready(out) => Some(out),
        core::task::Poll::Pending => None,
    })
}

// ---------------------------------------------------------------------------------------------
// Reading: the behaviours, one test each.

fn frame(payload: &[u8]) -> Vec<u8> {
    [&(payload.len() as i32).to_le_bytes()[..], payload].concat()
}

#[test]
fn read_glued_and_split_frames_one_byte_at_a_time() {
    let wire = [frame(b"aaa"), frame(b""), frame(b"hello")].concat();
    let mut buf = [0u8; 16];
    let mut reader = FrameReader::new(Uart::chunked(&wire, 1), &mut buf);
    assert_eq!(reader.read_frame().unwrap(), Some(&b"aaa"[..]));
    assert_eq!(reader.read_frame().unwrap(), Some(&b""[..]));
    assert_eq!(reader.read_frame().unwrap(), Some(&b"hello"[..]));
    assert_eq!(reader.read_frame().unwrap(), None);
    assert_eq!(
        reader.get_ref().reads,
        wire.len() + 1,
        "one read a byte, one for the end"
    );
}

#[test]
fn read_frames_are_lent_from_the_buffer() {
    let wire = [frame(b"first"), frame(b"second")].concat();
    let mut buf = [0u8; 64];
    let buf_at = buf.as_ptr() as usize;
    let mut reader = FrameReader::new(&wire[..], &mut buf);
    let first = reader.read_frame().unwrap().unwrap();
    assert_eq!(
        first.as_ptr() as usize - buf_at,
        4,
        "the payload, after its header"
    );
    let second = reader.read_frame().unwrap().unwrap();
    assert_eq!(second.as_ptr() as usize - buf_at, 4 + 5 + 4);
}

#[test]
fn read_too_large_for_the_buffer_before_any_body_byte() {
    // A 100-byte frame for a 16-byte buffer, then the body: refused once the header is in.
    let wire = [frame(&[b'x'; 100]), frame(b"next")].concat();
    for (chunk, reads) in [(1, 4), (2, 2), (4, 1)] {
        let mut buf = [0u8; 16];
        let mut reader = FrameReader::new(Uart::chunked(&wire, chunk), &mut buf);
        assert_eq!(reader.max_frame_len(), 12);
        let err = reader.read_frame().unwrap_err();
        assert!(
            matches!(
                err,
                Error::Frame(FrameError::TooLarge {
                    len: 100,
                    max: 12,
                    ..
                })
            ),
            "{err:?}"
        );
        let uart = reader.get_ref();
        assert_eq!(uart.pos, 4, "only the header was read ({chunk}-byte reads)");
        assert_eq!(uart.reads, reads);
        // Fail fast: the same error, without reading; the header is still buffered.
        assert!(matches!(
            reader.read_frame(),
            Err(Error::Frame(FrameError::TooLarge { len: 100, .. }))
        ));
        assert_eq!(reader.get_ref().reads, reads, "no read after the error");
        assert_eq!(reader.buffer(), &wire[..4]);
    }
}

#[test]
fn read_too_large_body_bytes_of_the_same_read_stay_unused() {
    // One read brings the header and part of the body: the error comes from that read alone.
    let wire = frame(&[b'x'; 100]);
    let mut buf = [0u8; 16];
    let mut reader = FrameReader::new(Uart::chunked(&wire, usize::MAX), &mut buf);
    assert!(matches!(
        reader.read_frame(),
        Err(Error::Frame(FrameError::TooLarge {
            len: 100,
            max: 12,
            ..
        }))
    ));
    assert_eq!(reader.get_ref().reads, 1);
    assert_eq!(
        reader.buffer(),
        &wire[..16],
        "the header and what came with it, unused"
    );
}

#[test]
fn read_max_frame_len_is_the_smaller_of_the_codec_and_the_buffer() {
    let mut buf = [0u8; 64];
    let small = Codec::builder().max_frame_len(10).build().unwrap();
    let mut reader = FrameReader::with_codec(&b""[..], small, &mut buf);
    assert_eq!(reader.max_frame_len(), 10, "the codec's");
    reader.set_max_frame_len(1000);
    assert_eq!(
        reader.max_frame_len(),
        60,
        "the buffer's: 64 less the 4-byte header"
    );
    assert_eq!(reader.codec().max_decode_len(), 60);
    let mut buf = [0u8; 64];
    let varint = Codec::builder()
        .length_field(LengthField::VARINT)
        .length_field_offset(2)
        .build()
        .unwrap();
    let reader = FrameReader::with_codec(&b""[..], varint, &mut buf);
    assert_eq!(
        reader.max_frame_len(),
        64 - 2 - 10,
        "room for the longest varint"
    );
}

#[test]
fn read_a_frame_that_fills_the_buffer_exactly() {
    let payload = [7u8; 12];
    let wire = [frame(b"ab"), frame(&payload), frame(b"c")].concat();
    for chunk in [1, 3, 5, usize::MAX] {
        let mut buf = [0u8; 16];
        let mut reader = FrameReader::new(Uart::chunked(&wire, chunk), &mut buf);
        assert_eq!(reader.read_frame().unwrap(), Some(&b"ab"[..]));
        assert_eq!(reader.read_frame().unwrap(), Some(&payload[..]), "{chunk}");
        assert_eq!(reader.read_frame().unwrap(), Some(&b"c"[..]));
        assert_eq!(reader.read_frame().unwrap(), None);
    }
}

#[test]
fn read_a_varint_header_of_any_length_fits() {
    // 6 in ten bytes (a varint may carry redundant continuation bytes), then 6 bytes: 16 bytes,
    // which a 16-byte buffer holds, since room is kept for the longest varint.
    let codec = Codec::builder()
        .length_field(LengthField::VARINT)
        .build()
        .unwrap();
    let mut wire = vec![0x86, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
    wire.extend_from_slice(b"sixsix\x01z");
    for chunk in [1, 4, usize::MAX] {
        let mut buf = [0u8; 16];
        let mut reader = FrameReader::with_codec(Uart::chunked(&wire, chunk), codec, &mut buf);
        assert_eq!(reader.max_frame_len(), 6);
        assert_eq!(reader.read_frame().unwrap(), Some(&b"sixsix"[..]));
        assert_eq!(reader.read_frame().unwrap(), Some(&b"z"[..]));
        assert_eq!(reader.read_frame().unwrap(), None);
    }
}

#[test]
fn read_eof_inside_the_header_is_truncated() {
    let mut buf = [0u8; 16];
    let mut reader = FrameReader::new(Uart::chunked(b"\x05\0", 1), &mut buf);
    assert!(matches!(
        reader.read_frame(),
        Err(Error::Frame(FrameError::Truncated {
            expected: 4,
            got: 2,
            guess: None,
        }))
    ));
    assert_eq!(reader.buffer(), b"\x05\0", "nothing consumed");
}

#[test]
fn read_eof_inside_the_body_is_truncated() {
    let mut buf = [0u8; 16];
    let mut reader = FrameReader::new(Uart::chunked(b"\x01\0\0\0a\x05\0\0\0he", 3), &mut buf);
    assert_eq!(reader.read_frame().unwrap(), Some(&b"a"[..]));
    let truncated = FrameError::Truncated {
        expected: 9,
        got: 6,
        guess: None,
    };
    for _ in 0..2 {
        match reader.read_frame() {
            Err(Error::Frame(err)) => assert_eq!(err, truncated),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn read_skip_oversized_through_a_small_buffer() {
    let codec = Codec::builder().skip_oversized(true).build().unwrap();
    let big: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
    let wire = [frame(b"ok"), frame(&big), frame(b"fine"), frame(&big)].concat();
    for chunk in [1, 7, usize::MAX] {
        let mut buf = [0u8; 8];
        let mut reader = FrameReader::with_codec(Uart::chunked(&wire, chunk), codec, &mut buf);
        let mut events = Vec::new();
        loop {
            match reader.read_frame() {
                Ok(Some(frame)) => events.push(Ok(frame.to_vec())),
                Ok(None) => break,
                Err(Error::Frame(err)) => events.push(Err(err)),
                Err(err) => panic!("{err:?}"),
            }
        }
        let too_large = FrameError::TooLarge {
            len: 1000,
            max: 4,
            guess: None,
        };
        assert_eq!(
            events,
            [
                Ok(b"ok".to_vec()),
                Err(too_large.clone()),
                Ok(b"fine".to_vec()),
                Err(too_large)
            ],
            "{chunk}-byte reads"
        );
    }
}

#[test]
fn read_skip_oversized_cut_off_is_truncated_with_the_skipped_frame_counts() {
    let codec = Codec::builder().skip_oversized(true).build().unwrap();
    let wire = &frame(&[1u8; 50])[..30];
    let mut buf = [0u8; 8];
    let mut reader = FrameReader::with_codec(Uart::chunked(wire, 3), codec, &mut buf);
    assert!(matches!(
        reader.read_frame(),
        Err(Error::Frame(FrameError::TooLarge { len: 50, .. }))
    ));
    assert!(matches!(
        reader.read_frame(),
        Err(Error::Frame(FrameError::Truncated {
            expected: 54,
            got: 30,
            guess: None,
        }))
    ));
}

#[test]
fn read_after_an_io_error_continues_the_same_frame() {
    let wire = frame(b"hello");
    let script = vec![
        Step::Bytes(2),
        Step::Fail,
        Step::Bytes(3),
        Step::Fail,
        Step::Bytes(9),
    ];
    let mut buf = [0u8; 16];
    let mut reader = FrameReader::new(Uart::new(wire, script), &mut buf);
    assert!(matches!(reader.read_frame(), Err(Error::Io(Injected))));
    assert_eq!(reader.buffer(), b"\x05\0");
    assert!(matches!(reader.read_frame(), Err(Error::Io(Injected))));
    assert_eq!(reader.read_frame().unwrap(), Some(&b"hello"[..]));
}

#[test]
fn read_a_buffer_shorter_than_the_header_reads_nothing() {
    let mut buf = [0u8; 3];
    let mut reader = FrameReader::new(Uart::chunked(&frame(b""), 1), &mut buf);
    match reader.read_frame() {
        Err(err @ Error::BufferTooSmall { len: 3, needed: 4 }) => {
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.to_string().contains("at least 4 bytes"), "{err}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(reader.get_ref().reads, 0);
    let mut buf = [0u8; 11];
    let varint = Codec::builder()
        .length_field(LengthField::VARINT)
        .length_field_offset(2)
        .build()
        .unwrap();
    let mut reader = FrameReader::with_codec(&b"\0\0\x01a"[..], varint, &mut buf);
    assert!(matches!(
        reader.read_frame(),
        Err(Error::BufferTooSmall {
            len: 11,
            needed: 12
        })
    ));
}

#[test]
fn read_into_parts_and_from_parts_hand_over_the_buffered_bytes() {
    let wire = [frame(b"one"), frame(b"two"), b"RAW".to_vec()].concat();
    let mut buf = [0u8; 32];
    let mut reader = FrameReader::new(&wire[..], &mut buf);
    assert_eq!(reader.read_frame().unwrap(), Some(&b"one"[..]));
    let (rest, buffered) = reader.into_parts();
    assert!(rest.is_empty(), "everything was read in one go");
    assert_eq!(&buf[..buffered], &wire[7..], "moved to the front");

    let mut reader = FrameReader::from_parts(rest, Codec::default(), &mut buf, buffered);
    assert_eq!(reader.read_frame().unwrap(), Some(&b"two"[..]));
    assert_eq!(reader.buffer(), b"RAW");
}

#[test]
fn read_state_is_the_decoder_and_a_few_words() {
    // The memory story of the module docs: besides the lent buffer (a pointer and a length),
    // the decoder and three indices, whatever frames pass through. (88 bytes on thumbv7em.)
    let size = std::mem::size_of::<FrameReader<'static, ()>>();
    let words = std::mem::size_of::<usize>();
    assert!(
        size <= std::mem::size_of::<FrameDecoder>() + 6 * words,
        "{size} bytes"
    );
    assert_eq!(
        std::mem::size_of::<FrameWriter<()>>(),
        std::mem::size_of::<Codec>()
    );
}

#[test]
fn read_debug_shows_the_settings_not_the_bytes() {
    let mut buf = [0u8; 32];
    let mut reader = FrameReader::new(&b"\x01\0\0\0a\x02\0"[..], &mut buf);
    reader.read_frame().unwrap();
    let debug = format!("{reader:?}");
    assert!(debug.contains("buffered: 2"), "{debug}");
}

// ---------------------------------------------------------------------------------------------
// Writing.

#[test]
fn write_sends_the_header_then_the_payload_without_copying_it() {
    let payload = vec![b'p'; 300];
    let mut writer = FrameWriter::new(Wire::new(usize::MAX));
    writer.write_frame(&payload).unwrap();
    let wire = writer.get_ref();
    assert_eq!(wire.bytes, frame(&payload));
    assert_eq!(wire.writes.len(), 2, "header, payload");
    assert_eq!(wire.writes[0].1, 4);
    assert_eq!(
        wire.writes[1],
        (payload.as_ptr() as usize, payload.len()),
        "the payload write is the caller's own slice"
    );
    assert_eq!(wire.flushes, 0, "write_frame does not flush");
}

#[test]
fn write_with_short_writes_sends_every_byte_in_order() {
    let mut writer =
        FrameWriter::with_codec(Wire::new(3), Codec::from_struct_format("!I").unwrap());
    writer.write_frame(b"hello").unwrap();
    writer.send_frame(b"").unwrap();
    let wire = writer.into_inner();
    assert_eq!(wire.bytes, b"\0\0\0\x05hello\0\0\0\0");
    assert_eq!(wire.flushes, 1, "send_frame flushes");
}

#[test]
fn write_too_large_sends_nothing() {
    let codec = Codec::builder().max_frame_len(4).build().unwrap();
    let mut writer = FrameWriter::with_codec(Wire::new(usize::MAX), codec);
    assert_eq!(writer.max_frame_len(), 4);
    assert!(matches!(
        writer.write_frame(b"12345"),
        Err(Error::Encode(EncodeError::TooLarge { len: 5, max: 4 }))
    ));
    let mut byte = FrameWriter::with_codec(
        Wire::new(usize::MAX),
        Codec::from_struct_format("B").unwrap(),
    );
    assert!(matches!(
        byte.write_frame([0u8; 256]),
        Err(Error::Encode(EncodeError::Unrepresentable {
            value: 256,
            ..
        }))
    ));
    assert!(writer.get_ref().writes.is_empty() && byte.get_ref().writes.is_empty());
}

#[test]
fn write_failing_mid_frame_leaves_a_cut_frame_on_the_wire() {
    let mut wire = Wire::new(2);
    wire.fail_at = Some(6);
    let mut writer = FrameWriter::new(wire);
    assert!(matches!(
        writer.write_frame(b"hello"),
        Err(Error::Io(Injected))
    ));
    // What the module docs warn of: a header and part of the payload went out.
    assert_eq!(writer.get_ref().bytes, b"\x05\0\0\0he");
}

#[test]
fn write_set_max_frame_len_applies_to_the_next_frame() {
    let mut writer = FrameWriter::new(Wire::new(usize::MAX));
    writer.set_max_frame_len(2);
    assert!(writer.write_frame(b"abc").is_err());
    writer.set_max_frame_len(3);
    writer.write_frame(b"abc").unwrap();
    assert_eq!(writer.codec().max_encode_len(), 3);
}

#[cfg(feature = "embedded-io-async")]
#[test]
fn async_write_sends_the_header_then_the_payload_without_copying_it() {
    let payload = vec![b'q'; 100];
    let mut writer = lenframe::embedded_async::FrameWriter::new(Wire::new(7));
    block_on(writer.send_frame(&payload)).unwrap();
    block_on(writer.write_frame(b"")).unwrap();
    let wire = writer.into_inner();
    assert_eq!(wire.bytes, [frame(&payload), frame(b"")].concat());
    assert!(wire
        .writes
        .contains(&(payload.as_ptr() as usize, payload.len())));
    assert_eq!(wire.flushes, 1);
}

#[cfg(feature = "embedded-io-async")]
#[test]
fn async_read_dropped_mid_frame_then_continued() {
    // Pending before every read: the first polls get part of a frame, then the future is
    // dropped; a new call finishes the frame from the bytes already buffered.
    let wire = [frame(b"hello"), frame(b"world")].concat();
    let mut buf = [0u8; 16];
    let uart = Uart::new(wire, vec![Step::Pending(3)]);
    let mut reader = lenframe::embedded_async::FrameReader::new(uart, &mut buf);
    assert!(
        poll_at_most(reader.read_frame(), 2).is_none(),
        "pending after one read"
    );
    assert_eq!(
        reader.buffer(),
        b"\x05\0\0",
        "the completed read's bytes are kept"
    );
    assert!(poll_at_most(reader.read_frame(), 2).is_none());
    assert_eq!(reader.buffer(), b"\x05\0\0\0he");
    let frame = poll_at_most(reader.read_frame(), 100).unwrap().unwrap();
    assert_eq!(frame, Some(&b"hello"[..]));
    let frame = block_on(reader.read_frame()).unwrap();
    assert_eq!(frame, Some(&b"world"[..]));
    assert_eq!(block_on(reader.read_frame()).unwrap(), None);
}

// ---------------------------------------------------------------------------------------------
// Errors.

#[test]
fn error_kinds_and_messages() {
    let truncated: Error<Injected> = FrameError::Truncated {
        expected: 9,
        got: 7,
        guess: None,
    }
    .into();
    assert_eq!(truncated.kind(), ErrorKind::ConnectionAborted);
    assert!(truncated.to_string().contains("9 bytes were expected"));
    let negative: Error<Injected> = FrameError::NegativeLength {
        len: -1,
        guess: None,
    }
    .into();
    assert_eq!(negative.kind(), ErrorKind::InvalidData);
    let encode: Error<Injected> = EncodeError::TooLarge { len: 5, max: 4 }.into();
    assert_eq!(encode.kind(), ErrorKind::InvalidInput);
    let io = Error::Io(Injected);
    assert_eq!(io.kind(), ErrorKind::TimedOut, "the inner error's kind");
    assert_eq!(io.to_string(), "injected failure", "transparent");
}

/// Firmware code: `?` on the adapters' errors, and the error used as an `embedded_io::Error`.
fn relay<R: Read, W: Write<Error = R::Error>>(
    rx: R,
    tx: W,
    buf: &mut [u8],
) -> Result<usize, Error<R::Error>> {
    let mut reader = FrameReader::new(rx, buf);
    let mut writer = FrameWriter::new(tx);
    let mut frames = 0;
    while let Some(frame) = reader.read_frame()? {
        writer.write_frame(frame)?;
        frames += 1;
    }
    writer.flush()?;
    Ok(frames)
}

fn kind_of<E: embedded_io::Error>(err: &E) -> ErrorKind {
    err.kind()
}

#[test]
fn error_composes_with_question_mark_in_firmware_code() {
    let wire = [frame(b"a"), frame(b"bc")].concat();
    let mut buf = [0u8; 8];
    let mut out = Wire::new(usize::MAX);
    assert_eq!(
        relay(Uart::chunked(&wire, 2), &mut out, &mut buf).unwrap(),
        2
    );
    assert_eq!(out.bytes, wire);
    let err = relay(Uart::chunked(&wire[..3], 2), Wire::new(1), &mut buf).unwrap_err();
    assert_eq!(kind_of(&err), ErrorKind::ConnectionAborted);
}

// ---------------------------------------------------------------------------------------------
// The example, run as a newcomer would. (A copy of `tests/teaching_examples.rs`' helper.)

#[test]
fn example_embedded_lends_frames_refuses_a_large_one_and_writes_without_copying() {
    let out = Command::new(example_path("embedded"))
        .output()
        .expect("run the embedded example");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", out.status);
    let lines: Vec<&str> = stdout.lines().collect();
    let has = |needle: &str| lines.iter().any(|line| line.contains(needle));
    assert!(
        has("frame 1: \"hello\" (5 bytes, lent from buf[4..9])"),
        "{stdout}"
    );
    assert!(has("frame 2: \"sticky\""), "{stdout}");
    assert!(
        has("frame 4 refused: TooLarge: 1000 bytes announced, max 252"),
        "{stdout}"
    );
    // No read after the header: what the UART handed out of the frame is at most the read
    // that completed the header (chunks of up to 11 bytes).
    let stopped = lines
        .iter()
        .find_map(|line| line.split("the UART had handed out ").nth(1))
        .unwrap_or_else(|| panic!("no line on the refused frame's reads:\n{stdout}"));
    let handed_out: usize = stopped.split(' ').next().unwrap().parse().unwrap();
    assert!((4..4 + 11).contains(&handed_out), "{stdout}");
    assert!(
        has("frame 5: \"after\""),
        "skipped, then the next frame: {stdout}"
    );
    assert!(has("end of stream: Ok(None)"), "{stdout}");
    assert!(has("payload sent from the caller's slice: yes"), "{stdout}");
}

fn example_path(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().expect("the test binary's path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| build_example(name, dir.file_name().and_then(OsStr::to_str)));
    dir.join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

fn build_example(name: &str, profile: Option<&str>) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "build",
        "--example",
        name,
        "--features",
        "embedded-io",
    ]);
    match profile {
        Some("debug") | None => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(other) => {
            cmd.args(["--profile", other]);
        }
    }
    let out = cmd.output().expect("cannot run cargo to build the example");
    assert!(
        out.status.success(),
        "building the example failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
