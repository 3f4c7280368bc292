//! The futures-io adapters' own behaviour, beyond the parity table (`tests/parity.rs`, which
//! runs every shared behaviour on this row too): gathered writes through `poll_write_vectored`
//! and the zero-copy path, writers that do not gather, `Sink` and `Stream` in memory and over
//! loopback TCP with smol, cancelled large writes that keep the stream framed, `shutdown`
//! closing the writer, and `is_mid_frame`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_io::{AsyncRead, AsyncWrite};
use futures_util::{stream, SinkExt, StreamExt};
use lenframe::futures::{FrameReader, FrameWriter};
use lenframe::{Codec, EncodeError, Error};
use smol::net::{TcpListener, TcpStream};

#[path = "support/seeded.rs"]
mod seeded;
use seeded::poll_at_most;

/// A reader that hands out its bytes `chunk` at a time, `Pending` between pieces.
struct ChunkedReader {
    data: Vec<u8>,
    pos: usize,
    chunk: usize,
    pending_next: bool,
}

impl AsyncRead for ChunkedReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.pending_next = !self.pending_next;
        if self.pending_next {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let n = self.chunk.min(self.data.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n))
    }
}

/// A writer that takes at most `max` bytes a call (none while `blocked`), `Pending` every other
/// call if `stall`, and records its vectored calls (address and length of each slice). Without
/// `vectored` it keeps futures-io's default `poll_write_vectored`, which writes one slice.
#[derive(Default)]
struct ScriptedWriter {
    out: Vec<u8>,
    max: usize,
    vectored: bool,
    stall: bool,
    blocked: bool,
    pend_now: bool,
    vectored_calls: Vec<Vec<(usize, usize)>>,
    closed: bool,
}

impl ScriptedWriter {
    fn new(max: usize, vectored: bool) -> Self {
        ScriptedWriter {
            max,
            vectored,
            stall: true,
            ..ScriptedWriter::default()
        }
    }

    /// Whether this call is `Pending` (the task is woken, as a socket that becomes ready would).
    fn pend(&mut self, cx: &mut Context<'_>) -> bool {
        self.pend_now = self.blocked || (self.stall && !self.pend_now);
        if self.pend_now {
            cx.waker().wake_by_ref();
        }
        self.pend_now
    }

    fn take(&mut self, bufs: &[io::IoSlice<'_>]) -> usize {
        let mut left = self.max;
        for buf in bufs {
            let n = buf.len().min(left);
            self.out.extend_from_slice(&buf[..n]);
            left -= n;
        }
        self.max - left
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
        Poll::Ready(Ok(self.take(&[io::IoSlice::new(buf)])))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if !self.vectored {
            // futures-io's default: the first non-empty slice alone.
            let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| b);
            return self.poll_write(cx, first);
        }
        if self.pend(cx) {
            return Poll::Pending;
        }
        let call = bufs
            .iter()
            .map(|b| (b.as_ptr() as usize, b.len()))
            .collect();
        self.vectored_calls.push(call);
        Poll::Ready(Ok(self.take(bufs)))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.closed = true;
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

fn encoded(payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    for p in payloads {
        Codec::default().encoder().encode(p, &mut wire).unwrap();
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

#[test]
fn writes_every_size_through_short_writes_vectored_or_not() {
    smol::block_on(async {
        for vectored in [true, false] {
            for max in [1, 7, 1000, usize::MAX] {
                let mut writer = FrameWriter::new(ScriptedWriter::new(max, vectored));
                for (i, p) in payloads().into_iter().enumerate() {
                    if i % 2 == 0 {
                        writer.write_frame(&p).await.unwrap();
                    } else {
                        writer.feed_frame(p).await.unwrap();
                    }
                }
                writer.flush().await.unwrap();
                let inner = writer.into_inner();
                assert_eq!(
                    inner.out,
                    encoded(&payloads()),
                    "vectored {vectored}, max {max}"
                );
                assert_eq!(!inner.vectored_calls.is_empty(), vectored);
            }
        }
    });
}

#[test]
fn large_payload_goes_out_from_the_callers_memory() {
    smol::block_on(async {
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
    });
}

/// Owned payloads, fed or sent into the `Sink`, are queued as they are and go out together in
/// one vectored write, from their own memory.
#[test]
fn fed_frames_go_out_gathered_without_a_copy() {
    smol::block_on(async {
        let payloads: Vec<Bytes> = (0..3u8).map(|i| Bytes::from(vec![i; 100_000])).collect();
        let mut writer = FrameWriter::new(ScriptedWriter::new(usize::MAX, true));
        writer.feed_frame(payloads[0].clone()).await.unwrap();
        writer.feed(payloads[1].clone()).await.unwrap();
        writer.feed_frame(payloads[2].clone()).await.unwrap();
        assert_eq!(writer.buffered_len(), 3 * 100_004);
        writer.flush().await.unwrap();
        let inner = writer.into_inner();
        assert_eq!(inner.vectored_calls.len(), 1, "one write call");
        let call = &inner.vectored_calls[0];
        let lens: Vec<usize> = call.iter().map(|&(_, len)| len).collect();
        assert_eq!(lens, [4, 100_000, 4, 100_000, 4, 100_000]);
        for (i, payload) in payloads.iter().enumerate() {
            assert_eq!(
                call[2 * i + 1].0,
                payload.as_ptr() as usize,
                "payload {i} copied"
            );
        }
    });
}

#[test]
fn sink_and_stream_round_trip_in_memory() {
    smol::block_on(async {
        let sent: Vec<Bytes> = payloads().into_iter().map(Bytes::from).collect();
        let mut writer = FrameWriter::new(ScriptedWriter::new(1000, true));
        let mut items = stream::iter(sent.clone()).map(Ok);
        writer.send_all(&mut items).await.unwrap();
        SinkExt::close(&mut writer).await.unwrap();
        let inner = writer.into_inner();
        assert!(inner.closed, "close shuts the inner writer down");
        let reader = FrameReader::new(ChunkedReader {
            data: inner.out,
            pos: 0,
            chunk: 3000,
            pending_next: false,
        });
        let received: Vec<Bytes> = reader.map(Result::unwrap).collect().await;
        assert_eq!(received, sent);
    });
}

#[test]
fn shutdown_flushes_then_closes() {
    smol::block_on(async {
        let mut writer = FrameWriter::new(ScriptedWriter::new(usize::MAX, true));
        writer.write_frame(b"last").await.unwrap();
        assert!(!writer.get_ref().closed);
        writer.shutdown().await.unwrap();
        assert!(writer.get_ref().closed);
        assert_eq!(writer.get_ref().out, b"\x04\0\0\0last");
    });
}

#[test]
fn encode_errors_write_nothing() {
    smol::block_on(async {
        let codec = Codec::builder().max_frame_len(10).build().unwrap();
        let mut writer = FrameWriter::with_codec(Vec::new(), codec);
        let err = writer.write_frame([0u8; 11]).await.unwrap_err();
        assert!(matches!(
            err,
            Error::Encode(EncodeError::TooLarge { len: 11, max: 10 })
        ));
        let err = writer.feed_frame(vec![0u8; 11]).await.unwrap_err();
        assert!(matches!(err, Error::Encode(EncodeError::TooLarge { .. })));
        let err = writer.send(Bytes::from(vec![0u8; 11])).await.unwrap_err();
        assert!(matches!(err, Error::Encode(EncodeError::TooLarge { .. })));
        writer.flush().await.unwrap();
        assert_eq!(writer.buffered_len(), 0);
        assert!(writer.get_ref().is_empty());
    });
}

#[test]
fn copy_frame_to_a_destination_that_takes_nothing_is_write_zero() {
    smol::block_on(async {
        let mut reader = FrameReader::new(&b"\x03\0\0\0abc"[..]);
        let mut full = ScriptedWriter::new(0, false);
        full.stall = false;
        let err = reader.copy_frame_to(&mut full).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WriteZero);
        assert_eq!(reader.copy_remaining(), Some(3));
        let mut out = Vec::new();
        assert_eq!(reader.copy_frame_to(&mut out).await.unwrap(), Some(3));
        assert_eq!(out, b"abc");
    });
}

#[test]
fn reads_every_size_through_pending_and_short_reads() {
    smol::block_on(async {
        for chunk in [1, 3, 4096, 100_000] {
            let sent: Vec<Vec<u8>> = payloads()
                .into_iter()
                .filter(|p| chunk > 3 || p.len() <= 9000)
                .collect();
            let data = encoded(&sent);
            let mut reader = FrameReader::new(ChunkedReader {
                data,
                pos: 0,
                chunk,
                pending_next: false,
            });
            assert_eq!(read_all(&mut reader).await, sent, "chunk {chunk}");
        }
    });
}

#[test]
fn is_mid_frame_says_whether_a_header_is_in() {
    smol::block_on(async {
        // A whole frame, half a header, the rest of it with 2 payload bytes, the last byte.
        let data = b"\x01\0\0\0a\x03\0\0\0bcd".to_vec();
        let mut reader = FrameReader::new(ChunkedReader {
            data,
            pos: 0,
            chunk: 2,
            pending_next: false,
        });
        let mut seen = Vec::new();
        loop {
            match poll_at_most(reader.read_frame(), 1).await {
                Some(Ok(Some(frame))) => seen.push(format!("frame {frame:?}")),
                Some(Ok(None)) => break,
                Some(Err(err)) => panic!("{err}"),
                None => seen.push(format!(
                    "{}+{}",
                    reader.buffer().len(),
                    reader.is_mid_frame()
                )),
            }
        }
        // Two bytes a read, `Pending` between reads: buffered bytes, then whether the reader is
        // inside a frame. Part of a header is not a frame yet; a whole header is (it stays in the
        // buffer until its frame is returned).
        assert_eq!(
            seen,
            [
                "0+false",
                "2+false",
                "4+true",
                "frame b\"a\"",
                "1+false",
                "3+false",
                "5+true",
                "frame b\"bcd\"",
                "0+false",
            ]
        );
    });
}

/// Writes one more frame, `after`, flushes, and reads back every frame the writer wrote.
async fn frames_after(mut writer: FrameWriter<ScriptedWriter>) -> Vec<Bytes> {
    writer.get_mut().blocked = false;
    writer.write_frame(b"after").await.unwrap();
    writer.flush().await.unwrap();
    let out = writer.into_inner().out;
    read_all(&mut FrameReader::new(&out[..])).await
}

#[test]
fn cancelled_large_write_before_any_byte_of_it_is_withdrawn() {
    smol::block_on(async {
        let mut writer = FrameWriter::new(ScriptedWriter::new(usize::MAX, true));
        writer.write_frame([1; 100]).await.unwrap();
        writer.get_mut().blocked = true;
        let large = vec![2u8; 100_000];
        assert!(poll_at_most(writer.write_frame(&large), 3).await.is_none());
        assert_eq!(writer.buffered_len(), 104, "the large frame was withdrawn");
        assert_eq!(frames_after(writer).await, [&[1u8; 100][..], b"after"]);
    });
}

#[test]
fn cancelled_large_write_after_part_of_it_still_arrives_whole() {
    smol::block_on(async {
        let mut writer = FrameWriter::new(ScriptedWriter::new(1000, true));
        let large: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
        assert!(poll_at_most(writer.write_frame(&large), 6).await.is_none());
        let left = writer.buffered_len();
        assert!(
            left > 0 && left < 100_004,
            "part went out, the rest is kept: {left}"
        );
        assert_eq!(frames_after(writer).await, [&large[..], b"after"]);
    });
}

/// An echo server in two lines (`reader.forward(writer)`), a client that sends frames from 0 B
/// to 3 MiB through the `Sink` and reads them back through the `Stream`, over loopback TCP.
#[test]
fn sink_and_stream_echo_over_tcp() {
    smol::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let echo = smol::spawn(async move {
            let reader = FrameReader::new(server.clone());
            let writer = FrameWriter::new(server);
            reader.forward(writer).await
        });
        let mut sent: Vec<Bytes> = payloads().into_iter().map(Bytes::from).collect();
        sent.push(Bytes::from(vec![9u8; 3 << 20]));
        sent.extend((0..1000u32).map(|i| Bytes::from(i.to_le_bytes().to_vec())));
        let mut writer = FrameWriter::new(client.clone());
        let sending = {
            let sent = sent.clone();
            smol::spawn(async move {
                writer.send_all(&mut stream::iter(sent).map(Ok)).await?;
                writer.shutdown().await
            })
        };
        let received: Vec<Bytes> = FrameReader::new(client).map(Result::unwrap).collect().await;
        sending.await.unwrap();
        echo.await.unwrap();
        assert_eq!(received.len(), sent.len());
        assert!(received == sent, "frames differ");
    });
}

/// `copy_frame_from` a source that trickles, `copy_frame_to` a destination over TCP: a 20 MiB
/// frame moves through the buffers and arrives whole.
#[test]
fn copy_frame_from_and_to_over_tcp() {
    smol::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let payload: Vec<u8> = (0..20u32 << 20).map(|i| (i % 251) as u8).collect();
        let len = payload.len() as u64;
        let codec = Codec::builder().max_frame_len(32 << 20).build().unwrap();
        let sending = smol::spawn(async move {
            let mut writer = FrameWriter::with_codec(client, codec);
            let mut src = ChunkedReader {
                data: payload,
                pos: 0,
                chunk: 100_000,
                pending_next: false,
            };
            writer.copy_frame_from(len, &mut src).await.unwrap();
            writer.write_frame(b"after").await.unwrap();
            writer.shutdown().await.unwrap();
            src.data
        });
        let mut reader = FrameReader::with_codec(server, codec);
        let mut file = Vec::new();
        assert_eq!(reader.copy_frame_to(&mut file).await.unwrap(), Some(len));
        assert_eq!(reader.read_frame().await.unwrap().unwrap(), &b"after"[..]);
        assert_eq!(reader.read_frame().await.unwrap(), None);
        assert!(file == sending.await, "payload differs");
    });
}
