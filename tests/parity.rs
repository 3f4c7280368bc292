//! One table of behaviours, run against every adapter, so that they cannot drift apart.
//!
//! Each behaviour is a generic function over [`Reader`] or [`Writer`], traits that the blocking
//! adapters, the tokio adapters, the futures-io adapters and tokio-util's `Framed` with
//! `FramedCodec` implement over the same scripted I/O. The macros at the bottom instantiate every
//! behaviour for every row; another adapter becomes one more row: implement the two traits and
//! add its module to the macro calls.
//!
//! Scripted I/O: a script is a list of steps, each a chunk of bytes or "nothing ready"
//! (`WouldBlock` for `std::io`, `Pending` for async), then the end of the stream. An async
//! call that returns `Pending` is dropped and reported as `Error::Io(WouldBlock)`, so that the
//! table compares the same thing on every row (the async readers are cancel-safe, so dropping
//! the future is the stronger test).
//!
//! Rows differ only where documented: `Framed` ends its stream after any error (tokio-util's
//! rule), so it cannot go on past an oversized frame; it has no `copy_frame_to`, no runtime read
//! size, no `copy_frame_from`. Those behaviours run on the lenframe rows alone
//! (`lenframe_only!`), and `Framed`'s own rule is a row of its own.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures_util::task::noop_waker_ref;
use lenframe::{Codec, Error, FrameError};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

// ---------------------------------------------------------------------------------------------
// Scripted I/O.

/// A step of a reader's script: bytes, or nothing ready this time.
#[derive(Clone, Debug)]
enum Step {
    Data(Bytes),
    NotReady,
}

/// Bytes to hand out (an empty chunk would read as the end of the stream: use
/// [`Step::NotReady`] for "nothing this time").
fn data(bytes: &[u8]) -> Step {
    assert!(!bytes.is_empty());
    Step::Data(Bytes::copy_from_slice(bytes))
}

/// Bytes handed out as the script says, then the end of the stream.
#[derive(Debug)]
struct ScriptRead(VecDeque<Step>);

impl ScriptRead {
    fn new(steps: impl IntoIterator<Item = Step>) -> Self {
        ScriptRead(steps.into_iter().collect())
    }

    /// The next step: `Some(n)` bytes copied into `out`, or `None` for nothing ready.
    fn next(&mut self, out: &mut [u8]) -> Option<usize> {
        match self.0.pop_front() {
            None => Some(0),
            Some(Step::NotReady) => None,
            Some(Step::Data(mut bytes)) => {
                let n = bytes.len().min(out.len());
                out[..n].copy_from_slice(&bytes[..n]);
                bytes.advance(n);
                if !bytes.is_empty() {
                    self.0.push_front(Step::Data(bytes));
                }
                Some(n)
            }
        }
    }
}

impl Read for ScriptRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.next(buf)
            .ok_or_else(|| io::ErrorKind::WouldBlock.into())
    }
}

impl AsyncRead for ScriptRead {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let out = buf.initialize_unfilled();
        match self.get_mut().next(out) {
            Some(n) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            None => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

impl futures_io::AsyncRead for ScriptRead {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().next(buf) {
            Some(n) => Poll::Ready(Ok(n)),
            None => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

/// A writer that takes at most `chunk` bytes a call and, if `stall`, is not ready every other
/// call; everything it took is in `out`.
#[derive(Debug, Default)]
struct ScriptWrite {
    out: Vec<u8>,
    chunk: usize,
    stall: bool,
    calls: usize,
}

impl ScriptWrite {
    fn new(chunk: usize, stall: bool) -> Self {
        ScriptWrite {
            out: Vec::new(),
            chunk,
            stall,
            calls: 0,
        }
    }

    fn take(&mut self, buf: &[u8]) -> Option<usize> {
        self.calls += 1;
        if self.stall && self.calls % 2 == 1 {
            return None;
        }
        let n = buf.len().min(self.chunk);
        self.out.extend_from_slice(&buf[..n]);
        Some(n)
    }
}

impl Write for ScriptWrite {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.take(buf)
            .ok_or_else(|| io::ErrorKind::WouldBlock.into())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsyncWrite for ScriptWrite {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().take(buf) {
            Some(n) => Poll::Ready(Ok(n)),
            None => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl futures_io::AsyncWrite for ScriptWrite {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        AsyncWrite::poll_write(self, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A destination that takes `first` bytes, then fails once with an error, then takes all.
#[derive(Debug, Default)]
struct FlakyDst {
    out: Vec<u8>,
    first: usize,
    failed: bool,
}

impl FlakyDst {
    fn take(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = if self.failed {
            buf.len()
        } else {
            self.first - self.out.len()
        };
        if room == 0 {
            self.failed = true;
            return Err(io::Error::other("destination full"));
        }
        let n = buf.len().min(room);
        self.out.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Write for FlakyDst {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.take(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsyncWrite for FlakyDst {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().take(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl futures_io::AsyncWrite for FlakyDst {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().take(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Polls `fut` once: its output, or `WouldBlock` if it is not ready (the future is dropped).
fn once<T>(fut: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    match pin!(fut).poll(&mut Context::from_waker(noop_waker_ref())) {
        Poll::Ready(result) => result,
        Poll::Pending => Err(Error::Io(io::ErrorKind::WouldBlock.into())),
    }
}

/// Polls `fut` until it is ready, the same future every time (the scripts wake themselves).
fn until_ready<T>(fut: impl Future<Output = T>) -> T {
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut
            .as_mut()
            .poll(&mut Context::from_waker(noop_waker_ref()))
        {
            return out;
        }
    }
}

fn would_block() -> Error {
    Error::Io(io::ErrorKind::WouldBlock.into())
}

fn is_would_block(err: &Error) -> bool {
    matches!(err, Error::Io(e) if e.kind() == io::ErrorKind::WouldBlock)
}

// ---------------------------------------------------------------------------------------------
// The rows.

/// A frame reader, as the table drives it.
trait Reader: Sized {
    fn new(script: ScriptRead, codec: Codec) -> Self;
    fn from_parts(script: ScriptRead, codec: Codec, buffered: Bytes) -> Self;
    /// `Err(WouldBlock)` when nothing is ready.
    fn read_frame(&mut self) -> Result<Option<Bytes>, Error>;
    /// The `Iterator` or `Stream`; `Some(Err(WouldBlock))` when nothing is ready.
    fn next(&mut self) -> Option<Result<Bytes, Error>>;
    fn set_max_frame_len(&mut self, max: usize);
    fn buffer_len(&self) -> usize;
    fn into_parts(self) -> (ScriptRead, Bytes);
}

/// What the lenframe readers have beyond `Framed`.
trait LenframeReader: Reader {
    fn copy_frame_to(&mut self, dst: &mut FlakyDst) -> Result<Option<u64>, Error>;
    fn copy_remaining(&self) -> Option<u64>;
    fn with_max_read_size(self, n: usize) -> Self;
}

/// A frame writer, as the table drives it.
trait Writer: Sized {
    fn new(inner: ScriptWrite, codec: Codec) -> Self;
    fn from_parts(inner: ScriptWrite, codec: Codec, unsent: Bytes) -> Self;
    /// A borrowed payload (`Framed`: `feed` of a copy).
    fn write_frame(&mut self, payload: &[u8]) -> Result<(), Error>;
    /// An owned payload (`Framed`: `feed`).
    fn feed_frame(&mut self, payload: Bytes) -> Result<(), Error>;
    fn flush(&mut self) -> Result<(), Error>;
    fn buffered_len(&self) -> usize;
    fn get_ref(&self) -> &ScriptWrite;
    fn into_parts(self) -> (ScriptWrite, Bytes);
}

/// What the lenframe writers have beyond `Framed`.
trait LenframeWriter: Writer {
    fn copy_frame_from(&mut self, len: u64, src: &mut &[u8]) -> Result<(), Error>;
    fn copy_remaining(&self) -> Option<u64>;
}

mod blocking_row {
    use super::*;
    use lenframe::blocking::{FrameReader, FrameWriter};

    impl Reader for FrameReader<ScriptRead> {
        fn new(script: ScriptRead, codec: Codec) -> Self {
            FrameReader::with_codec(script, codec)
        }
        fn from_parts(script: ScriptRead, codec: Codec, buffered: Bytes) -> Self {
            FrameReader::from_parts(script, codec, buffered)
        }
        fn read_frame(&mut self) -> Result<Option<Bytes>, Error> {
            FrameReader::read_frame(self)
        }
        fn next(&mut self) -> Option<Result<Bytes, Error>> {
            Iterator::next(self)
        }
        fn set_max_frame_len(&mut self, max: usize) {
            FrameReader::set_max_frame_len(self, max)
        }
        fn buffer_len(&self) -> usize {
            self.buffer().len()
        }
        fn into_parts(self) -> (ScriptRead, Bytes) {
            FrameReader::into_parts(self)
        }
    }

    impl LenframeReader for FrameReader<ScriptRead> {
        fn copy_frame_to(&mut self, dst: &mut FlakyDst) -> Result<Option<u64>, Error> {
            FrameReader::copy_frame_to(self, dst)
        }
        fn copy_remaining(&self) -> Option<u64> {
            FrameReader::copy_remaining(self)
        }
        fn with_max_read_size(self, n: usize) -> Self {
            FrameReader::with_max_read_size(self, n)
        }
    }

    impl Writer for FrameWriter<ScriptWrite> {
        fn new(inner: ScriptWrite, codec: Codec) -> Self {
            FrameWriter::with_codec(inner, codec)
        }
        fn from_parts(inner: ScriptWrite, codec: Codec, unsent: Bytes) -> Self {
            FrameWriter::from_parts(inner, codec, unsent)
        }
        fn write_frame(&mut self, payload: &[u8]) -> Result<(), Error> {
            FrameWriter::write_frame(self, payload)
        }
        fn feed_frame(&mut self, payload: Bytes) -> Result<(), Error> {
            FrameWriter::feed_frame(self, payload)
        }
        fn flush(&mut self) -> Result<(), Error> {
            FrameWriter::flush(self)
        }
        fn buffered_len(&self) -> usize {
            FrameWriter::buffered_len(self)
        }
        fn get_ref(&self) -> &ScriptWrite {
            FrameWriter::get_ref(self)
        }
        fn into_parts(self) -> (ScriptWrite, Bytes) {
            FrameWriter::into_parts(self)
        }
    }

    impl LenframeWriter for FrameWriter<ScriptWrite> {
        fn copy_frame_from(&mut self, len: u64, src: &mut &[u8]) -> Result<(), Error> {
            FrameWriter::copy_frame_from(self, len, src)
        }
        fn copy_remaining(&self) -> Option<u64> {
            FrameWriter::copy_remaining(self)
        }
    }

    pub type R = FrameReader<ScriptRead>;
    pub type W = FrameWriter<ScriptWrite>;
}

/// The async rows: `lenframe::tokio` and `lenframe::futures` have the same methods, over each
/// runtime's I/O traits, so one row serves both.
macro_rules! async_row {
    ($row:ident, $adapters:ident) => {
        mod $row {
            use super::*;
            use futures_util::StreamExt;
            use lenframe::$adapters::{FrameReader, FrameWriter};

            impl Reader for FrameReader<ScriptRead> {
                fn new(script: ScriptRead, codec: Codec) -> Self {
                    FrameReader::with_codec(script, codec)
                }
                fn from_parts(script: ScriptRead, codec: Codec, buffered: Bytes) -> Self {
                    FrameReader::from_parts(script, codec, buffered)
                }
                fn read_frame(&mut self) -> Result<Option<Bytes>, Error> {
                    once(FrameReader::read_frame(self))
                }
                fn next(&mut self) -> Option<Result<Bytes, Error>> {
                    match pin!(StreamExt::next(self))
                        .poll(&mut Context::from_waker(noop_waker_ref()))
                    {
                        Poll::Ready(item) => item,
                        Poll::Pending => Some(Err(would_block())),
                    }
                }
                fn set_max_frame_len(&mut self, max: usize) {
                    FrameReader::set_max_frame_len(self, max)
                }
                fn buffer_len(&self) -> usize {
                    self.buffer().len()
                }
                fn into_parts(self) -> (ScriptRead, Bytes) {
                    FrameReader::into_parts(self)
                }
            }

            impl LenframeReader for FrameReader<ScriptRead> {
                fn copy_frame_to(&mut self, dst: &mut FlakyDst) -> Result<Option<u64>, Error> {
                    once(FrameReader::copy_frame_to(self, dst))
                }
                fn copy_remaining(&self) -> Option<u64> {
                    FrameReader::copy_remaining(self)
                }
                fn with_max_read_size(self, n: usize) -> Self {
                    FrameReader::with_max_read_size(self, n)
                }
            }

            impl Writer for FrameWriter<ScriptWrite> {
                fn new(inner: ScriptWrite, codec: Codec) -> Self {
                    FrameWriter::with_codec(inner, codec)
                }
                fn from_parts(inner: ScriptWrite, codec: Codec, unsent: Bytes) -> Self {
                    FrameWriter::from_parts(inner, codec, unsent)
                }
                fn write_frame(&mut self, payload: &[u8]) -> Result<(), Error> {
                    until_ready(FrameWriter::write_frame(self, payload))
                }
                fn feed_frame(&mut self, payload: Bytes) -> Result<(), Error> {
                    until_ready(FrameWriter::feed_frame(self, payload))
                }
                fn flush(&mut self) -> Result<(), Error> {
                    until_ready(FrameWriter::flush(self))
                }
                fn buffered_len(&self) -> usize {
                    FrameWriter::buffered_len(self)
                }
                fn get_ref(&self) -> &ScriptWrite {
                    FrameWriter::get_ref(self)
                }
                fn into_parts(self) -> (ScriptWrite, Bytes) {
                    FrameWriter::into_parts(self)
                }
            }

            impl LenframeWriter for FrameWriter<ScriptWrite> {
                fn copy_frame_from(&mut self, len: u64, src: &mut &[u8]) -> Result<(), Error> {
                    until_ready(FrameWriter::copy_frame_from(self, len, src))
                }
                fn copy_remaining(&self) -> Option<u64> {
                    FrameWriter::copy_remaining(self)
                }
            }

            pub type R = FrameReader<ScriptRead>;
            pub type W = FrameWriter<ScriptWrite>;
        }
    };
}

async_row!(tokio_row, tokio);
async_row!(futures_row, futures);

mod framed_row {
    use super::*;
    use bytes::BytesMut;
    use futures_util::{SinkExt, StreamExt};
    use lenframe::FramedCodec;
    use tokio_util::codec::{FramedRead, FramedWrite};

    pub struct R(FramedRead<ScriptRead, FramedCodec>);
    pub struct W(FramedWrite<ScriptWrite, FramedCodec>);

    impl Reader for R {
        fn new(script: ScriptRead, codec: Codec) -> Self {
            R(FramedRead::new(script, FramedCodec::new(codec)))
        }
        fn from_parts(script: ScriptRead, codec: Codec, buffered: Bytes) -> Self {
            let mut read = FramedRead::new(script, FramedCodec::new(codec));
            *read.read_buffer_mut() = BytesMut::from(buffered);
            R(read)
        }
        fn read_frame(&mut self) -> Result<Option<Bytes>, Error> {
            self.next().transpose()
        }
        fn next(&mut self) -> Option<Result<Bytes, Error>> {
            match pin!(StreamExt::next(&mut self.0))
                .poll(&mut Context::from_waker(noop_waker_ref()))
            {
                Poll::Ready(item) => item.map(|frame| frame.map(BytesMut::freeze)),
                Poll::Pending => Some(Err(would_block())),
            }
        }
        fn set_max_frame_len(&mut self, max: usize) {
            self.0.decoder_mut().set_max_frame_len(max)
        }
        fn buffer_len(&self) -> usize {
            self.0.read_buffer().len()
        }
        fn into_parts(self) -> (ScriptRead, Bytes) {
            let buffered = self.0.read_buffer().clone().freeze();
            (self.0.into_inner(), buffered)
        }
    }

    impl Writer for W {
        fn new(inner: ScriptWrite, codec: Codec) -> Self {
            W(FramedWrite::new(inner, FramedCodec::new(codec)))
        }
        fn from_parts(inner: ScriptWrite, codec: Codec, unsent: Bytes) -> Self {
            let mut writer = FramedWrite::new(inner, FramedCodec::new(codec));
            writer.write_buffer_mut().extend_from_slice(&unsent);
            W(writer)
        }
        fn write_frame(&mut self, payload: &[u8]) -> Result<(), Error> {
            until_ready(self.0.feed(Bytes::copy_from_slice(payload)))
        }
        fn feed_frame(&mut self, payload: Bytes) -> Result<(), Error> {
            until_ready(self.0.feed(payload))
        }
        fn flush(&mut self) -> Result<(), Error> {
            until_ready(SinkExt::<Bytes>::flush(&mut self.0))
        }
        fn buffered_len(&self) -> usize {
            self.0.write_buffer().len()
        }
        fn get_ref(&self) -> &ScriptWrite {
            self.0.get_ref()
        }
        fn into_parts(self) -> (ScriptWrite, Bytes) {
            let unsent = self.0.write_buffer().clone().freeze();
            (self.0.into_inner(), unsent)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The behaviours.

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut wire = (payload.len() as u32).to_le_bytes().to_vec();
    wire.extend_from_slice(payload);
    wire
}

/// Payloads of many sizes: empty, small, around the small read size, and large.
fn payloads() -> Vec<Vec<u8>> {
    [
        0,
        1,
        3,
        100,
        4096,
        8 * KIB - 4,
        8 * KIB + 1,
        70_000,
        300_000,
    ]
    .iter()
    .enumerate()
    .map(|(i, &len)| (0..len).map(|j| (i * 7 + j) as u8).collect())
    .collect()
}

fn wire_of(payloads: &[Vec<u8>]) -> Vec<u8> {
    payloads.iter().flat_map(|p| frame(p)).collect()
}

/// Reads every frame, retrying while nothing is ready, until the clean end.
fn read_all<R: Reader>(reader: &mut R) -> Vec<Bytes> {
    let mut frames = Vec::new();
    loop {
        match reader.read_frame() {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => return frames,
            Err(err) if is_would_block(&err) => {}
            Err(err) => panic!("{err:?}"),
        }
    }
}

fn codec() -> Codec {
    Codec::default()
}

fn frames_glued_into_one_read<R: Reader>() {
    let payloads = payloads();
    let mut reader = R::new(ScriptRead::new([data(&wire_of(&payloads))]), codec());
    assert_eq!(read_all(&mut reader), payloads);
}

fn frames_split_into_one_byte_reads_with_nothing_ready_between<R: Reader>() {
    let payloads = payloads()[..6].to_vec();
    let wire = wire_of(&payloads);
    let steps = wire.iter().flat_map(|b| [Step::NotReady, data(&[*b])]);
    let mut reader = R::new(ScriptRead::new(steps), codec());
    assert_eq!(read_all(&mut reader), payloads);
}

fn frames_split_at_every_point<R: Reader>() {
    let payloads = [b"aaa".to_vec(), Vec::new(), b"hello".to_vec()];
    let wire = wire_of(&payloads);
    for cut in 1..wire.len() {
        let steps = [data(&wire[..cut]), Step::NotReady, data(&wire[cut..])];
        let mut reader = R::new(ScriptRead::new(steps), codec());
        assert_eq!(read_all(&mut reader), payloads, "cut at {cut}");
    }
}

/// A frame much longer than a read, arriving in pieces with nothing ready between them, then
/// handed over with `into_parts` half way: every byte arrives once, in order.
fn a_long_frame_in_pieces_survives_would_block_and_hand_over<R: Reader>() {
    let payloads = [
        vec![5u8; 10],
        (0..300_000).map(|i| i as u8).collect(),
        b"end".to_vec(),
    ];
    let wire = wire_of(&payloads);
    let pieces: Vec<Step> = wire
        .chunks(9_000)
        .flat_map(|piece| [data(piece), Step::NotReady])
        .collect();
    let (first, second) = pieces.split_at(pieces.len() / 2);
    let mut reader = R::new(ScriptRead::new(first.to_vec()), codec());
    assert_eq!(reader.read_frame().unwrap().unwrap(), payloads[0]);
    // Read the first half of the pieces: the long frame stays unfinished.
    loop {
        match reader.read_frame() {
            Err(err) if is_would_block(&err) => {}
            Ok(None) | Err(Error::Frame(FrameError::Truncated { .. })) => break,
            other => panic!("{other:?}"),
        }
    }
    let (_, buffered) = reader.into_parts();
    assert_eq!(&buffered[..], &wire[14..first.len() / 2 * 9_000]);
    let mut reader = R::from_parts(ScriptRead::new(second.to_vec()), codec(), buffered);
    assert_eq!(read_all(&mut reader), &payloads[1..]);
}

/// Every hostile header: refused as soon as it is complete, the same error again on the next
/// call, and nothing of its body read.
fn hostile_headers_are_refused_before_their_body<R: Reader>() {
    let negative = (-5i32).to_le_bytes();
    let huge = (1u32 << 30).to_le_bytes();
    type Expected = fn(&FrameError) -> bool;
    let cases: [(&[u8], Expected); 2] = [
        (&negative, |e| {
            matches!(e, FrameError::NegativeLength { .. })
        }),
        (
            &huge,
            |e| matches!(e, FrameError::TooLarge { len, .. } if *len == 1 << 30),
        ),
    ];
    for (header, expected) in cases {
        let steps = [data(header), data(b"body bytes that must not be read")];
        let mut reader = R::new(ScriptRead::new(steps), codec());
        match reader.read_frame() {
            Err(Error::Frame(err)) => assert!(expected(&err), "{err:?}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(reader.buffer_len(), 4, "the body was not read");
    }
}

fn eof_inside_a_header_is_truncated<R: Reader>() {
    let mut reader = R::new(ScriptRead::new([data(b"\x05\0")]), codec());
    assert!(matches!(
        reader.read_frame(),
        Err(Error::Frame(FrameError::Truncated { got: 2, .. }))
    ));
}

fn eof_inside_a_body_is_truncated<R: Reader>() {
    let steps = [data(&frame(b"ok")), data(b"\x05\0\0\0he")];
    let mut reader = R::new(ScriptRead::new(steps), codec());
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"ok"[..]);
    assert!(matches!(
        reader.read_frame(),
        Err(Error::Frame(FrameError::Truncated {
            expected: 9,
            got: 6,
            guess: None,
        }))
    ));
}

fn eof_on_a_frame_boundary_is_a_clean_end<R: Reader>() {
    let mut reader = R::new(ScriptRead::new([data(&frame(b"x"))]), codec());
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"x"[..]);
    assert_eq!(reader.read_frame().unwrap(), None);
}

fn max_changed_at_runtime_applies_from_the_next_header<R: Reader>() {
    let wire = wire_of(&[b"hello".to_vec(), b"hello".to_vec()]);
    let mut reader = R::new(ScriptRead::new([data(&wire)]), codec());
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"hello"[..]);
    reader.set_max_frame_len(4);
    assert!(matches!(
        reader.read_frame(),
        Err(Error::Frame(FrameError::TooLarge { len: 5, max: 4, .. }))
    ));
}

/// `into_parts` between frames hands the unread bytes to a new reader of the same kind, which
/// goes on as if nothing happened.
fn into_parts_and_from_parts_hand_over_mid_stream<R: Reader>() {
    let payloads = payloads();
    let wire = wire_of(&payloads);
    let mut reader = R::new(
        ScriptRead::new([data(&wire[..20_000]), data(&wire[20_000..])]),
        codec(),
    );
    let first: Vec<Bytes> = (0..4)
        .map(|_| reader.read_frame().unwrap().unwrap())
        .collect();
    let (script, buffered) = reader.into_parts();
    let mut reader = R::from_parts(script, codec(), buffered);
    let rest = read_all(&mut reader);
    assert_eq!([first, rest].concat(), payloads);
}

/// After a fatal error the iterator or stream ends; after "nothing ready" it goes on.
fn iterator_goes_on_after_would_block_and_ends_after_a_fatal_error<R: Reader>() {
    let steps = [
        data(&frame(b"a")),
        Step::NotReady,
        data(&frame(b"b")),
        data(&(-1i32).to_le_bytes()),
    ];
    let mut reader = R::new(ScriptRead::new(steps), codec());
    assert_eq!(reader.next().unwrap().unwrap(), &b"a"[..]);
    assert!(is_would_block(&reader.next().unwrap().unwrap_err()));
    assert_eq!(reader.next().unwrap().unwrap(), &b"b"[..]);
    assert!(matches!(
        reader.next(),
        Some(Err(Error::Frame(FrameError::NegativeLength { .. })))
    ));
    assert!(reader.next().is_none());
}

/// The lenframe readers' iterator and stream stay ended after a fatal error (tokio-util's
/// `Framed` yields `None` once, then decodes again).
fn iterator_stays_ended_after_a_fatal_error<R: Reader>() {
    let mut reader = R::new(ScriptRead::new([data(&(-1i32).to_le_bytes())]), codec());
    assert!(matches!(reader.next(), Some(Err(Error::Frame(_)))));
    for _ in 0..3 {
        assert!(reader.next().is_none());
    }
    assert!(
        reader.read_frame().is_err(),
        "read_frame can always be called again: the same error"
    );
}

/// `skip_oversized` on the lenframe readers: the error once, then the next frame.
fn skip_oversized_goes_on_with_the_next_frame<R: Reader>() {
    let codec = Codec::builder()
        .max_frame_len(8)
        .skip_oversized(true)
        .build()
        .unwrap();
    let wire = wire_of(&[b"ok".to_vec(), vec![9; 100], b"next".to_vec()]);
    let steps = wire.chunks(7).map(data).collect::<Vec<_>>();
    let mut reader = R::new(ScriptRead::new(steps), codec);
    assert_eq!(reader.next().unwrap().unwrap(), &b"ok"[..]);
    assert!(matches!(
        reader.next(),
        Some(Err(Error::Frame(FrameError::TooLarge { len: 100, .. })))
    ));
    assert_eq!(reader.next().unwrap().unwrap(), &b"next"[..]);
    assert!(reader.next().is_none());
}

/// tokio-util's rule for `Framed`: any error ends the stream, an oversized frame too.
fn framed_ends_after_a_skipped_frame<R: Reader>() {
    let codec = Codec::builder()
        .max_frame_len(8)
        .skip_oversized(true)
        .build()
        .unwrap();
    let wire = wire_of(&[b"ok".to_vec(), vec![9; 100], b"next".to_vec()]);
    let mut reader = R::new(ScriptRead::new([data(&wire)]), codec);
    assert_eq!(reader.next().unwrap().unwrap(), &b"ok"[..]);
    assert!(matches!(
        reader.next(),
        Some(Err(Error::Frame(FrameError::TooLarge { len: 100, .. })))
    ));
    assert!(reader.next().is_none());
}

/// `copy_frame_to` stopped by a failing destination resumes where it stopped.
fn copy_frame_to_resumes_after_its_destination_fails<R: LenframeReader>() {
    let payload: Vec<u8> = (0..50_000).map(|i| i as u8).collect();
    let wire = wire_of(&[payload.clone(), b"after".to_vec()]);
    let steps = wire.chunks(3000).map(data).collect::<Vec<_>>();
    let mut reader = R::new(ScriptRead::new(steps), codec());
    let mut dst = FlakyDst {
        first: 10_000,
        ..FlakyDst::default()
    };
    let err = reader.copy_frame_to(&mut dst).unwrap_err();
    assert!(
        matches!(&err, Error::Io(e) if e.to_string() == "destination full"),
        "{err:?}"
    );
    assert_eq!(reader.copy_remaining(), Some(40_000));
    assert!(matches!(
        reader.read_frame(),
        Err(Error::CopyUnfinished {
            len: 50_000,
            left: 40_000
        })
    ));
    assert_eq!(reader.copy_frame_to(&mut dst).unwrap(), Some(50_000));
    assert_eq!(dst.out, payload);
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"after"[..]);
}

fn a_small_read_size_still_reads_every_frame<R: LenframeReader>() {
    let payloads = payloads();
    let reader = R::new(ScriptRead::new([data(&wire_of(&payloads))]), codec());
    let mut reader = reader.with_max_read_size(100);
    assert_eq!(read_all(&mut reader), payloads);
}

/// After one 8 MiB frame and 1,000 small ones, a reader with nothing ready holds at most
/// 16 KiB (counting allocator).
fn idle_memory_after_a_big_frame_is_small<R: Reader>() {
    let codec = Codec::builder().max_frame_len(64 * MIB).build().unwrap();
    let big = Bytes::from(frame(&vec![1; 8 * MIB]));
    let small = Bytes::from(wire_of(&vec![vec![2; 16]; 1000]));
    // The script's bytes stay alive outside the measurement.
    let steps = [
        Step::Data(big.slice(..)),
        Step::NotReady,
        Step::Data(small.slice(..)),
        Step::NotReady,
    ];
    let meter = counting_alloc::Meter::start();
    let mut reader = R::new(ScriptRead::new(steps), codec);
    let mut frames = 0;
    while frames < 1001 {
        match reader.read_frame() {
            Ok(Some(_)) => frames += 1,
            Err(err) if is_would_block(&err) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(is_would_block(&reader.read_frame().unwrap_err()), "idle");
    let held = meter.live();
    println!("idle after 8 MiB + 1,000 x 16 B: {held} bytes held");
    assert!(meter.peak() >= 8 * MIB, "the big frame was held once");
    assert!(held <= 16 * KIB as isize, "{held} bytes held");
    drop(reader);
}

/// Calls `f` until it does not fail with `WouldBlock`.
fn retry(mut f: impl FnMut() -> Result<(), Error>) {
    loop {
        match f() {
            Ok(()) => return,
            Err(err) if is_would_block(&err) => {}
            Err(err) => panic!("{err:?}"),
        }
    }
}

fn frames_out(payloads: &[Vec<u8>]) -> Vec<u8> {
    wire_of(payloads)
}

/// Small and large, borrowed and owned frames, through a writer that takes a few bytes a call
/// and is not ready every other call: the peer sees them all, in order, each once.
fn writes_survive_short_writes_and_would_block<W: Writer>() {
    let payloads = payloads();
    let mut writer = W::new(ScriptWrite::new(1000, true), codec());
    for (i, payload) in payloads.iter().enumerate() {
        let result = if i % 2 == 0 {
            writer.write_frame(payload)
        } else {
            writer.feed_frame(Bytes::copy_from_slice(payload))
        };
        // A frame refused while nothing was ready (nothing of it written) is sent again.
        match result {
            Ok(()) => {}
            Err(err) if is_would_block(&err) => loop {
                match writer.write_frame(payload) {
                    Ok(()) => break,
                    Err(err) if is_would_block(&err) => {}
                    Err(err) => panic!("{err:?}"),
                }
            },
            Err(err) => panic!("{err:?}"),
        }
    }
    loop {
        match writer.flush() {
            Ok(()) => break,
            Err(err) if is_would_block(&err) => {}
            Err(err) => panic!("{err:?}"),
        }
    }
    assert_eq!(writer.buffered_len(), 0);
    assert_eq!(writer.get_ref().out, frames_out(&payloads));
}

/// Small frames wait for a flush; `buffered_len` counts them, header included.
fn small_frames_wait_for_flush_and_are_counted<W: Writer>() {
    let mut writer = W::new(ScriptWrite::new(usize::MAX, false), codec());
    writer.write_frame(b"aaa").unwrap();
    writer.feed_frame(Bytes::from_static(b"bb")).unwrap();
    assert_eq!(writer.buffered_len(), 7 + 6);
    assert!(writer.get_ref().out.is_empty());
    writer.flush().unwrap();
    assert_eq!(writer.buffered_len(), 0);
    assert_eq!(
        writer.get_ref().out,
        frames_out(&[b"aaa".to_vec(), b"bb".to_vec()])
    );
}

/// `into_parts` hands the unsent bytes to a new writer, which sends them first.
fn writer_into_parts_and_from_parts_keep_unsent_bytes<W: Writer>() {
    let mut writer = W::new(ScriptWrite::new(usize::MAX, false), codec());
    writer.write_frame(b"first").unwrap();
    let (inner, unsent) = writer.into_parts();
    assert_eq!(&unsent[..], &frame(b"first")[..]);
    let mut writer = W::from_parts(inner, codec(), unsent);
    writer.write_frame(b"second").unwrap();
    writer.flush().unwrap();
    assert_eq!(
        writer.get_ref().out,
        frames_out(&[b"first".to_vec(), b"second".to_vec()])
    );
}

/// `copy_frame_from` whose source ends early resumes with the rest of the payload.
fn copy_frame_from_resumes_after_its_source_ends<W: LenframeWriter>() {
    let payload: Vec<u8> = (0..30_000).map(|i| i as u8).collect();
    let mut writer = W::new(ScriptWrite::new(4000, true), codec());
    let mut first = &payload[..12_000];
    let ended = loop {
        match writer.copy_frame_from(30_000, &mut first) {
            Err(err) if is_would_block(&err) => {}
            other => break other,
        }
    };
    assert!(
        matches!(
            ended,
            Err(Error::SourceEnded {
                len: 30_000,
                left: 18_000
            })
        ),
        "{ended:?}"
    );
    assert_eq!(writer.copy_remaining(), Some(18_000));
    assert!(matches!(
        writer.write_frame(b"x"),
        Err(Error::CopyUnfinished { len: 30_000, .. })
    ));
    let mut rest = &payload[12_000..];
    // The writer is not ready every other call: the blocking one says so, and is called again.
    retry(|| writer.copy_frame_from(30_000, &mut rest));
    retry(|| writer.flush());
    assert_eq!(writer.get_ref().out, frame(&payload));
}

// ---------------------------------------------------------------------------------------------
// The table: every behaviour on every row it applies to.

macro_rules! rows {
    ($trait:ident for $rows:tt: $($behaviour:ident),* $(,)?) => {
        $( rows!(@behaviour $trait $behaviour $rows); )*
    };
    (@behaviour $trait:ident $behaviour:ident [$($row:ident),*]) => {
        mod $behaviour {
            use super::*;
            $(
                #[test]
                fn $row() {
                    // One test at a time: the memory rows count the heap of the whole binary.
                    let _lock = counting_alloc::serial();
                    super::$behaviour::<super::$row::$trait>();
                }
            )*
        }
    };
}

rows!(R for [blocking_row, tokio_row, futures_row, framed_row]:
    frames_glued_into_one_read,
    a_long_frame_in_pieces_survives_would_block_and_hand_over,
    frames_split_into_one_byte_reads_with_nothing_ready_between,
    frames_split_at_every_point,
    hostile_headers_are_refused_before_their_body,
    eof_inside_a_header_is_truncated,
    eof_inside_a_body_is_truncated,
    eof_on_a_frame_boundary_is_a_clean_end,
    max_changed_at_runtime_applies_from_the_next_header,
    into_parts_and_from_parts_hand_over_mid_stream,
    iterator_goes_on_after_would_block_and_ends_after_a_fatal_error,
    idle_memory_after_a_big_frame_is_small,
);

rows!(R for [blocking_row, tokio_row, futures_row]:
    iterator_stays_ended_after_a_fatal_error,
    skip_oversized_goes_on_with_the_next_frame,
    copy_frame_to_resumes_after_its_destination_fails,
    a_small_read_size_still_reads_every_frame,
);

rows!(R for [framed_row]:
    framed_ends_after_a_skipped_frame,
);

rows!(W for [blocking_row, tokio_row, futures_row, framed_row]:
    writes_survive_short_writes_and_would_block,
    small_frames_wait_for_flush_and_are_counted,
    writer_into_parts_and_from_parts_keep_unsent_bytes,
);

rows!(W for [blocking_row, tokio_row, futures_row]:
    copy_frame_from_resumes_after_its_source_ends,
);
