//! The tokio adapters' behaviour: round trips through short reads and writes, the zero-copy
//! path for large payloads, end of stream, limits, streaming in bounded memory, `Stream` and
//! `Sink`, the frame deadline, and cancelled writes that keep the stream framed.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use lenframe::tokio::{FrameReader, FrameWriter};
use lenframe::{Codec, EncodeError, Error, FrameError, LengthField};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

/// A reader that hands out its bytes in small pieces, returning `Pending` between them.
struct ChunkedReader {
    data: Vec<u8>,
    pos: usize,
    chunk: usize,
    pending_next: bool,
}

impl ChunkedReader {
    fn new(data: Vec<u8>, chunk: usize) -> Self {
        ChunkedReader {
            data,
            pos: 0,
            chunk,
            pending_next: true,
        }
    }
}

impl AsyncRead for ChunkedReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.pending_next {
            self.pending_next = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.pending_next = true;
        let n = self
            .chunk
            .min(self.data.len() - self.pos)
            .min(buf.remaining());
        let pos = self.pos;
        buf.put_slice(&self.data[pos..pos + n]);
        self.pos += n;
        Poll::Ready(Ok(()))
    }
}

/// A writer that takes at most `max` bytes a call, returns `Pending` every other call, and
/// records the vectored calls it gets: the address and length of each slice.
#[derive(Default)]
struct ScriptedWriter {
    out: Vec<u8>,
    max: usize,
    vectored: bool,
    pend_now: bool,
    vectored_calls: Vec<Vec<(usize, usize)>>,
}

impl ScriptedWriter {
    fn new(max: usize, vectored: bool) -> Self {
        ScriptedWriter {
            max,
            vectored,
            ..ScriptedWriter::default()
        }
    }

    /// Every other call returns `Pending` (after waking the task, as a ready socket would).
    fn pend(&mut self, cx: &mut Context<'_>) -> bool {
        self.pend_now = !self.pend_now;
        if self.pend_now {
            cx.waker().wake_by_ref();
        }
        self.pend_now
    }
}

impl AsyncWrite for ScriptedWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.pend(cx) {
            return Poll::Pending;
        }
        let n = buf.len().min(self.max);
        self.out.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.pend(cx) {
            return Poll::Pending;
        }
        let call = bufs
            .iter()
            .map(|b| (b.as_ptr() as usize, b.len()))
            .collect();
        self.vectored_calls.push(call);
        let mut left = self.max;
        for b in bufs {
            let n = b.len().min(left);
            self.out.extend_from_slice(&b[..n]);
            left -= n;
        }
        Poll::Ready(Ok(self.max - left))
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Payloads of many sizes, each recognisable by its content.
fn payloads() -> Vec<Vec<u8>> {
    [
        0,
        1,
        3,
        100,
        4096,
        8 * 1024,
        8 * 1024 + 1,
        70_000,
        5,
        300_000,
        0,
        2,
    ]
    .iter()
    .enumerate()
    .map(|(i, &len)| (0..len).map(|j| (i * 31 + j * 7) as u8).collect())
    .collect()
}

fn encoded(codec: Codec, payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    for p in payloads {
        codec.encoder().encode(p, &mut wire).unwrap();
    }
    wire.to_vec()
}

async fn read_all<R: AsyncRead + Unpin>(reader: &mut FrameReader<R>) -> Vec<Bytes> {
    let mut frames = Vec::new();
    while let Some(frame) = reader.read_frame().await.unwrap() {
        frames.push(frame);
    }
    frames
}

#[tokio::test]
async fn writes_every_size_through_short_writes_vectored_or_not() {
    for vectored in [true, false] {
        for max in [1, 7, 1000, usize::MAX] {
            let mut writer = FrameWriter::new(ScriptedWriter::new(max, vectored));
            for p in payloads() {
                writer.write_frame(&p).await.unwrap();
            }
            writer.flush().await.unwrap();
            let out = writer.into_inner().out;
            assert_eq!(
                out,
                encoded(Codec::default(), &payloads()),
                "vectored {vectored}, max {max}"
            );
        }
    }
}

#[tokio::test]
async fn large_payload_goes_out_from_the_callers_memory() {
    let payload = vec![7u8; 100_000];
    let mut writer = FrameWriter::new(ScriptedWriter::new(usize::MAX, true));
    writer.write_frame(b"small").await.unwrap();
    writer.write_frame(&payload).await.unwrap();
    let inner = writer.into_inner();
    // One vectored call: the buffered small frame and header, then the payload itself.
    let call = &inner.vectored_calls[0];
    assert_eq!(call.len(), 2);
    assert_eq!(call[0].1, 4 + 5 + 4);
    assert_eq!(call[1], (payload.as_ptr() as usize, payload.len()));
    assert_eq!(
        inner.out.len(),
        4 + 5 + 4 + payload.len(),
        "written before returning"
    );
}

#[tokio::test]
async fn small_frames_wait_for_flush() {
    let mut writer = FrameWriter::new(Vec::new());
    writer.write_frame(b"aaa").await.unwrap();
    writer.write_frame(b"bbb").await.unwrap();
    assert!(writer.get_ref().is_empty());
    writer.flush().await.unwrap();
    assert_eq!(writer.get_ref(), b"\x03\0\0\0aaa\x03\0\0\0bbb");
}

#[tokio::test]
async fn reads_every_size_through_pending_and_short_reads() {
    for codec in [
        Codec::default(),
        Codec::from_struct_format("!Q").unwrap(),
        Codec::builder()
            .length_field(LengthField::VARINT)
            .build()
            .unwrap(),
        Codec::builder()
            .length_field(LengthField::U32_BE)
            .length_adjustment(-4)
            .length_field_offset(2)
            .build()
            .unwrap(),
    ] {
        for chunk in [1, 3, 4096, 100_000] {
            // A byte or three at a time for the frames up to a few KiB, to keep the test quick.
            let sent: Vec<Vec<u8>> = payloads()
                .into_iter()
                .filter(|p| chunk > 3 || p.len() <= 9000)
                .collect();
            let wire = encoded(codec, &sent);
            let mut reader = FrameReader::with_codec(ChunkedReader::new(wire, chunk), codec);
            assert_eq!(read_all(&mut reader).await, sent, "{codec:?} chunk {chunk}");
        }
    }
}

#[tokio::test]
async fn read_frame_reports_a_body_cut_short() {
    let mut reader = FrameReader::new(&b"\x02\0\0\0ok\x05\0\0\0ab"[..]);
    assert_eq!(reader.read_frame().await.unwrap().unwrap(), &b"ok"[..]);
    match reader.read_frame().await {
        Err(Error::Frame(FrameError::Truncated {
            expected: 9,
            got: 6,
            guess: None,
        })) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn read_frame_reports_a_header_cut_short() {
    let mut reader = FrameReader::new(&b"\x05\0"[..]);
    assert!(matches!(
        reader.read_frame().await,
        Err(Error::Frame(FrameError::Truncated {
            expected: 4,
            got: 2,
            guess: None,
        }))
    ));
}

#[tokio::test]
async fn read_max_frame_len_checked_before_the_body() {
    let codec = Codec::builder().max_frame_len(1000).build().unwrap();
    // A header claiming 1 GiB and a few bytes: rejected without waiting for (or buffering) more.
    let (mut peer, stream) = tokio::io::duplex(64);
    peer.write_all(b"\x02\0\0\0ok\x00\x00\x00\x40abc")
        .await
        .unwrap();
    let mut reader = FrameReader::with_codec(stream, codec);
    assert_eq!(reader.read_frame().await.unwrap().unwrap(), &b"ok"[..]);
    match reader.read_frame().await {
        Err(Error::Frame(FrameError::TooLarge {
            len: 0x4000_0000,
            max: 1000,
            ..
        })) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(reader.buffer(), b"\x00\x00\x00\x40abc", "nothing consumed");
    drop(peer);
}

#[tokio::test]
async fn stream_skips_oversized_frames_when_asked() {
    let codec = Codec::builder()
        .max_frame_len(4)
        .skip_oversized(true)
        .build()
        .unwrap();
    let mut wire = BytesMut::new();
    let wide = Codec::default().encoder();
    wide.encode(b"one", &mut wire).unwrap();
    wide.encode(b"too long", &mut wire).unwrap();
    wide.encode(b"two", &mut wire).unwrap();
    let reader = FrameReader::with_codec(ChunkedReader::new(wire.to_vec(), 2), codec);
    let items: Vec<_> = reader.collect().await;
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].as_ref().unwrap(), &b"one"[..]);
    assert!(matches!(
        items[1],
        Err(Error::Frame(FrameError::TooLarge {
            len: 8,
            max: 4,
            guess: None
        }))
    ));
    assert_eq!(items[2].as_ref().unwrap(), &b"two"[..]);
}

#[tokio::test]
async fn stream_ends_after_a_fatal_error() {
    let reader = FrameReader::new(&b"\x01\0\0\0a\xff\xff\xff\xffxyz"[..]);
    let items: Vec<_> = reader.collect().await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(matches!(
        items[1],
        Err(Error::Frame(FrameError::NegativeLength {
            len: -1,
            guess: None
        }))
    ));
}

#[tokio::test]
async fn copy_frame_to_streams_a_large_frame() {
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let frames = vec![b"head".to_vec(), big.clone(), Vec::new(), b"tail".to_vec()];
    let wire = encoded(Codec::default(), &frames);
    let mut reader = FrameReader::new(ChunkedReader::new(wire, 50_000));
    assert_eq!(reader.read_frame().await.unwrap().unwrap(), &b"head"[..]);
    let mut sink = ScriptedWriter::new(33_333, false);
    assert_eq!(
        reader.copy_frame_to(&mut sink).await.unwrap(),
        Some(big.len() as u64)
    );
    assert!(sink.out == big);
    let mut empty = Vec::new();
    assert_eq!(reader.copy_frame_to(&mut empty).await.unwrap(), Some(0));
    assert_eq!(reader.read_frame().await.unwrap().unwrap(), &b"tail"[..]);
    assert_eq!(reader.copy_frame_to(&mut empty).await.unwrap(), None);
}

#[tokio::test]
async fn copy_frame_to_reports_a_cut_payload_with_the_header_counted() {
    let mut reader = FrameReader::new(&b"\x0a\0\0\0abc"[..]);
    let mut out = Vec::new();
    match reader.copy_frame_to(&mut out).await {
        Err(Error::Frame(FrameError::Truncated {
            expected: 14,
            got: 7,
            guess: None,
        })) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(out, b"abc");
}

#[tokio::test]
async fn copy_frame_from_streams_exactly_len_bytes() {
    let source: Vec<u8> = (0..500_000u32).map(|i| (i % 253) as u8).collect();
    let mut writer = FrameWriter::new(ScriptedWriter::new(10_000, true));
    writer.write_frame(b"before").await.unwrap();
    let mut src = ChunkedReader::new(source.clone(), 7_777);
    writer.copy_frame_from(400_000, &mut src).await.unwrap();
    assert_eq!(src.pos, 400_000, "not a byte more is read");
    writer.write_frame(b"after").await.unwrap();
    writer.flush().await.unwrap();
    let out = writer.into_inner().out;
    let expected = encoded(
        Codec::default(),
        &[
            b"before".to_vec(),
            source[..400_000].to_vec(),
            b"after".to_vec(),
        ],
    );
    assert!(out == expected);
}

#[tokio::test]
async fn copy_frame_from_a_short_source_can_be_continued() {
    let mut writer = FrameWriter::new(Vec::new());
    let err = writer
        .copy_frame_from(10, &mut &b"short"[..])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SourceEnded { len: 10, left: 5 }));
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(writer.copy_remaining(), Some(5));
    // Nothing else may go in the middle of the frame...
    let refused = writer.write_frame(b"x").await.unwrap_err();
    assert!(matches!(
        refused,
        Error::CopyUnfinished { len: 10, left: 5 }
    ));
    assert_eq!(refused.kind(), io::ErrorKind::InvalidInput);
    let refused = writer.copy_frame_from(3, &mut &b"abc"[..]).await;
    assert!(matches!(
        refused,
        Err(Error::CopyUnfinished { len: 10, left: 5 })
    ));
    // ...but the same call with the rest of the payload finishes it.
    writer
        .copy_frame_from(10, &mut &b" more"[..])
        .await
        .unwrap();
    assert_eq!(writer.copy_remaining(), None);
    writer.write_frame(b"next").await.unwrap();
    writer.flush().await.unwrap();
    assert_eq!(writer.get_ref(), b"\x0a\0\0\0short more\x04\0\0\0next");
}

#[tokio::test]
async fn read_frame_refuses_while_a_copy_is_unfinished() {
    let (mut peer, stream) = tokio::io::duplex(64);
    peer.write_all(b"\x06\0\0\0abc").await.unwrap();
    let mut reader = FrameReader::new(stream);
    let mut out = Vec::new();
    let attempt =
        tokio::time::timeout(Duration::from_millis(20), reader.copy_frame_to(&mut out)).await;
    assert!(attempt.is_err(), "half the payload: the copy waits");
    assert_eq!(out, b"abc");
    assert_eq!(reader.copy_remaining(), Some(3));
    let refused = reader.read_frame().await.unwrap_err();
    assert!(matches!(refused, Error::CopyUnfinished { len: 6, left: 3 }));
    peer.write_all(b"def\x01\0\0\0g").await.unwrap();
    assert_eq!(reader.copy_frame_to(&mut out).await.unwrap(), Some(6));
    assert_eq!(out, b"abcdef");
    assert_eq!(reader.read_frame().await.unwrap().unwrap(), &b"g"[..]);
}

#[tokio::test]
async fn encode_errors_write_nothing() {
    let codec = Codec::from_struct_format("B").unwrap();
    let mut writer = FrameWriter::with_codec(Vec::new(), codec);
    assert!(matches!(
        writer.write_frame(&[0; 300]).await,
        Err(Error::Encode(EncodeError::Unrepresentable {
            value: 300,
            ..
        }))
    ));
    writer.write_frame(b"ok").await.unwrap();
    writer.flush().await.unwrap();
    assert_eq!(writer.get_ref(), b"\x02ok");
}

#[tokio::test]
async fn sink_and_stream_round_trip() {
    let (a, b) = tokio::io::duplex(1024);
    let codec = Codec::from_struct_format("!I").unwrap();
    let sent: Vec<Bytes> = payloads().into_iter().map(Bytes::from).collect();
    let to_send = sent.clone();
    let writer_task = tokio::spawn(async move {
        let mut writer = FrameWriter::with_codec(a, codec);
        let mut items = futures_util::stream::iter(to_send.into_iter().map(Ok));
        writer.send_all(&mut items).await.unwrap();
        writer.close().await.unwrap();
    });
    let received: Vec<Bytes> = FrameReader::with_codec(b, codec)
        .map(Result::unwrap)
        .collect()
        .await;
    writer_task.await.unwrap();
    assert_eq!(received, sent);
}

#[tokio::test]
async fn frame_deadline_names_the_frame_and_the_bytes() {
    let (mut peer, stream) = tokio::io::duplex(1024);
    let deadline = Duration::from_millis(100);
    let mut reader = FrameReader::new(stream).with_frame_deadline(deadline);
    peer.write_all(b"\x01\0\0\0a\x0a\0\0\0").await.unwrap();
    assert_eq!(reader.read_frame().await.unwrap().unwrap(), &b"a"[..]);
    // One payload byte every 30 ms: the frame would take 300 ms.
    let trickle = tokio::spawn(async move {
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(30)).await;
            if peer.write_all(b"x").await.is_err() {
                break;
            }
        }
        peer
    });
    match reader.read_frame().await {
        Err(Error::FrameDeadline {
            frame: 1,
            got,
            expected: 14,
            waited,
        }) => {
            assert!((4..14).contains(&got), "got {got}");
            assert!(
                waited >= deadline && waited < deadline + Duration::from_secs(2),
                "{waited:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Nothing was lost: lifting the deadline lets the frame finish.
    reader.set_frame_deadline(None);
    assert_eq!(
        reader.read_frame().await.unwrap().unwrap(),
        &b"xxxxxxxxxx"[..]
    );
    drop(trickle.await.unwrap());
    assert_eq!(reader.read_frame().await.unwrap(), None);
}

#[tokio::test]
async fn frame_deadline_survives_cancelled_reads() {
    let (mut peer, stream) = tokio::io::duplex(1024);
    let deadline = Duration::from_millis(150);
    let mut reader = FrameReader::new(stream).with_frame_deadline(deadline);
    let start = tokio::time::Instant::now();
    peer.write_all(b"\x0a\0\0\0").await.unwrap();
    let _trickle = tokio::spawn(async move {
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(40)).await;
            let _ = peer.write_all(b"x").await;
        }
    });
    // Each read is cancelled after 10 ms; a deadline kept in the future would never fire.
    let err = loop {
        match tokio::time::timeout(Duration::from_millis(10), reader.read_frame()).await {
            Err(_elapsed) => assert!(start.elapsed() < Duration::from_secs(2)),
            Ok(result) => break result.unwrap_err(),
        }
    };
    assert!(
        matches!(err, Error::FrameDeadline { frame: 0, waited, .. } if waited >= deadline),
        "{err:?}"
    );
}

#[tokio::test]
async fn idle_time_between_frames_is_not_a_deadline() {
    let (mut peer, stream) = tokio::io::duplex(1024);
    let mut reader = FrameReader::new(stream).with_frame_deadline(Duration::from_millis(30));
    let feeder = tokio::spawn(async move {
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(60)).await;
            peer.write_all(b"\x01\0\0\0z").await.unwrap();
        }
    });
    for _ in 0..3 {
        assert_eq!(reader.read_frame().await.unwrap().unwrap(), &b"z"[..]);
    }
    feeder.await.unwrap();
    assert_eq!(reader.read_frame().await.unwrap(), None);
}

#[tokio::test]
async fn cancelled_large_write_before_any_byte_of_it_is_withdrawn() {
    // A 16-byte pipe nobody reads yet: the buffered small frame blocks the large one.
    let (a, b) = tokio::io::duplex(16);
    let mut writer = FrameWriter::new(a);
    writer.write_frame(&[1; 100]).await.unwrap();
    let large = vec![2u8; 100_000];
    let attempt = tokio::time::timeout(Duration::from_millis(20), writer.write_frame(&large)).await;
    assert!(
        attempt.is_err(),
        "the pipe is full: the write cannot finish"
    );
    writer.write_frame(b"after").await.unwrap();
    let reading = tokio::spawn(async move { read_all(&mut FrameReader::new(b)).await });
    writer.flush().await.unwrap();
    drop(writer);
    let frames = reading.await.unwrap();
    assert_eq!(frames, [&[1u8; 100][..], b"after"]);
}

#[tokio::test]
async fn cancelled_large_write_after_part_of_it_still_arrives_whole() {
    let (a, b) = tokio::io::duplex(1000);
    let mut writer = FrameWriter::new(a);
    let large: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let attempt = tokio::time::timeout(Duration::from_millis(20), writer.write_frame(&large)).await;
    assert!(
        attempt.is_err(),
        "nobody reads yet: the write cannot finish"
    );
    let reading = tokio::spawn(async move { read_all(&mut FrameReader::new(b)).await });
    writer.write_frame(b"after").await.unwrap();
    writer.flush().await.unwrap();
    drop(writer);
    let frames = reading.await.unwrap();
    assert_eq!(frames, [&large[..], b"after"]);
}
