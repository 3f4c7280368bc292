//! The API every adapter has since the engine owns the write path: `write_frame_with_prefix`
//! on every writer (one implementation: `engine::head` and the shared loop) and `decoder()` on
//! every reader. Each row runs the same cases, so the adapters cannot drift apart.

use lenframe::{Codec, EncodeError, Error};

/// PostgreSQL's layout: a tag byte, then a 4-byte big-endian length that counts itself.
fn tagged() -> Codec {
    Codec::builder()
        .length_field_offset(1)
        .struct_format("!I")
        .length_adjustment(-4)
        .build()
        .unwrap()
}

/// A large payload: more than the writers' 64 KiB buffer, so it is written through.
fn large() -> Vec<u8> {
    (0..70_000u32).map(|i| i as u8).collect()
}

/// What `write_frame_with_prefix(b"Q", payload)` must put on the wire.
fn expected(payload: &[u8]) -> Vec<u8> {
    let mut wire = vec![b'Q'];
    wire.extend_from_slice(&(payload.len() as u32 + 4).to_be_bytes());
    wire.extend_from_slice(payload);
    wire
}

fn is_wrong_prefix(err: &Error, len: usize) -> bool {
    matches!(
        err,
        Error::Encode(EncodeError::WrongPrefixLen { len: l, offset: 1 }) if *l == len
    )
}

#[test]
fn blocking_writer_writes_the_prefix_before_the_length_field() {
    use lenframe::blocking::FrameWriter;
    let big = large();
    let mut writer = FrameWriter::with_codec(Vec::new(), tagged());
    writer.write_frame_with_prefix(b"Q", b"SELECT 1\0").unwrap();
    let err = writer.write_frame_with_prefix(b"QQ", b"x").unwrap_err();
    assert!(is_wrong_prefix(&err, 2), "{err:?}");
    assert_eq!(writer.buffered_len(), 14, "a refused frame adds nothing");
    writer.write_frame_with_prefix(b"Q", &big).unwrap();
    let wire = writer.into_inner().unwrap();
    assert_eq!(wire, [expected(b"SELECT 1\0"), expected(&big)].concat());
}

#[test]
fn blocking_reader_shows_its_decoder() {
    use lenframe::blocking::FrameReader;
    let wire = [expected(b"abc"), expected(b"de")].concat();
    let mut reader = FrameReader::with_codec(&wire[..], tagged());
    reader.set_max_frame_len(100);
    assert_eq!(reader.decoder().max_frame_len(), 100);
    assert_eq!(reader.decoder().codec().length_field_offset(), 1);
    assert_eq!(&reader.read_frame().unwrap().unwrap()[..], b"abc");
    assert!(!reader.decoder().is_mid_frame());
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn tokio_writer_writes_the_prefix_before_the_length_field() {
    use lenframe::tokio::FrameWriter;
    let big = large();
    let mut writer = FrameWriter::with_codec(Vec::new(), tagged());
    writer
        .write_frame_with_prefix(b"Q", b"SELECT 1\0")
        .await
        .unwrap();
    let err = writer.write_frame_with_prefix(b"", b"x").await.unwrap_err();
    assert!(is_wrong_prefix(&err, 0), "{err:?}");
    writer.write_frame_with_prefix(b"Q", &big).await.unwrap();
    writer.flush().await.unwrap();
    assert_eq!(
        writer.get_ref(),
        &[expected(b"SELECT 1\0"), expected(&big)].concat()
    );
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn tokio_reader_shows_its_decoder() {
    use lenframe::tokio::FrameReader;
    let wire = expected(b"abc");
    let mut reader = FrameReader::with_codec(&wire[..], tagged());
    reader.set_max_frame_len(100);
    assert_eq!(reader.decoder().max_frame_len(), 100);
    assert_eq!(&reader.read_frame().await.unwrap().unwrap()[..], b"abc");
}

#[cfg(feature = "futures-io")]
#[test]
fn futures_writer_writes_the_prefix_and_reader_shows_its_decoder() {
    use lenframe::futures::{FrameReader, FrameWriter};
    smol::block_on(async {
        let big = large();
        let mut writer = FrameWriter::with_codec(Vec::new(), tagged());
        writer
            .write_frame_with_prefix(b"Q", b"SELECT 1\0")
            .await
            .unwrap();
        let err = writer
            .write_frame_with_prefix(b"QQ", b"x")
            .await
            .unwrap_err();
        assert!(is_wrong_prefix(&err, 2), "{err:?}");
        writer.write_frame_with_prefix(b"Q", &big).await.unwrap();
        writer.flush().await.unwrap();
        let wire = writer.get_ref().clone();
        assert_eq!(wire, [expected(b"SELECT 1\0"), expected(&big)].concat());

        let mut reader = FrameReader::with_codec(futures_util::io::Cursor::new(wire), tagged());
        reader.set_max_frame_len(100_000);
        assert_eq!(reader.decoder().max_frame_len(), 100_000);
        assert_eq!(
            &reader.read_frame().await.unwrap().unwrap()[..],
            b"SELECT 1\0"
        );
        assert_eq!(reader.read_frame().await.unwrap().unwrap(), big);
    });
}

#[cfg(feature = "embedded-io")]
#[test]
fn embedded_writer_writes_the_prefix_and_reader_shows_its_decoder() {
    use lenframe::embedded::{Error as EmbeddedError, FrameReader, FrameWriter};
    let mut wire = [0u8; 64];
    let mut writer = FrameWriter::with_codec(&mut wire[..], tagged());
    writer.write_frame_with_prefix(b"Q", b"SELECT 1\0").unwrap();
    assert!(matches!(
        writer.write_frame_with_prefix(b"QQ", b"x"),
        Err(EmbeddedError::Encode(EncodeError::WrongPrefixLen {
            len: 2,
            offset: 1
        }))
    ));
    let _ = writer;
    let want = expected(b"SELECT 1\0");
    assert_eq!(&wire[..want.len()], &want[..]);

    let mut buf = [0u8; 32];
    let mut reader = FrameReader::with_codec(&wire[..want.len()], tagged(), &mut buf);
    reader.set_max_frame_len(12);
    assert_eq!(reader.decoder().max_frame_len(), 12);
    assert_eq!(reader.read_frame().unwrap(), Some(&b"SELECT 1\0"[..]));
}

#[cfg(feature = "embedded-io-async")]
#[test]
fn embedded_async_writer_writes_the_prefix_and_reader_shows_its_decoder() {
    use futures_util::FutureExt;
    use lenframe::embedded_async::{FrameReader, FrameWriter};
    let mut wire = [0u8; 64];
    let mut writer = FrameWriter::with_codec(&mut wire[..], tagged());
    let written = writer
        .write_frame_with_prefix(b"Q", b"SELECT 1\0")
        .now_or_never()
        .expect("a slice never waits");
    written.unwrap();
    let _ = writer;
    let want = expected(b"SELECT 1\0");
    assert_eq!(&wire[..want.len()], &want[..]);

    let mut buf = [0u8; 32];
    let mut reader = FrameReader::with_codec(&wire[..want.len()], tagged(), &mut buf);
    assert_eq!(reader.decoder().codec().length_field_offset(), 1);
    let frame = reader
        .read_frame()
        .now_or_never()
        .expect("a slice never waits");
    assert_eq!(frame.unwrap(), Some(&b"SELECT 1\0"[..]));
}

/// Dropping an async writer with a frame buffered: the frame goes out in the drop's one
/// non-blocking write (a loopback socket has room for it), so the peer reads it.
#[cfg(feature = "tokio")]
#[tokio::test]
async fn tokio_writer_dropped_unflushed_still_sends_its_buffered_frame() {
    use lenframe::tokio::{FrameReader, FrameWriter};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    let mut writer = FrameWriter::new(client);
    writer.write_frame(b"ping").await.unwrap();
    assert_eq!(writer.buffered_len(), 8, "small frames wait in the buffer");
    drop(writer);
    let mut reader = FrameReader::new(server);
    let frame = tokio::time::timeout(std::time::Duration::from_secs(10), reader.read_frame())
        .await
        .expect("the frame arrives")
        .unwrap();
    assert_eq!(frame.as_deref(), Some(&b"ping"[..]));
    assert_eq!(
        reader.read_frame().await.unwrap(),
        None,
        "then the clean end"
    );
}

#[cfg(feature = "futures-io")]
#[test]
fn futures_writer_dropped_unflushed_still_sends_its_buffered_frame() {
    use lenframe::futures::{FrameReader, FrameWriter};
    smol::block_on(async {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = smol::net::TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut writer = FrameWriter::new(client);
        writer.write_frame(b"ping").await.unwrap();
        writer
            .feed_frame(bytes::Bytes::from_static(b"pong"))
            .await
            .unwrap();
        drop(writer);
        let mut reader = FrameReader::new(server);
        assert_eq!(
            reader.read_frame().await.unwrap().as_deref(),
            Some(&b"ping"[..])
        );
        assert_eq!(
            reader.read_frame().await.unwrap().as_deref(),
            Some(&b"pong"[..])
        );
        assert_eq!(reader.read_frame().await.unwrap(), None);
    });
}

/// What does not go out at once is lost, and dropping never blocks or panics: a writer whose
/// inner writer is always `Pending` loses its frame, and `into_inner` leaves nothing to write.
#[cfg(feature = "tokio")]
#[test]
fn tokio_writer_dropped_over_a_full_writer_neither_waits_nor_writes_after_into_inner() {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use lenframe::tokio::FrameWriter;

    /// Counts write attempts; never takes a byte.
    struct Full<'a>(&'a std::cell::Cell<u32>);
    impl tokio::io::AsyncWrite for Full<'_> {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            self.0.set(self.0.get() + 1);
            Poll::Pending
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    let attempts = std::cell::Cell::new(0);
    let mut writer = FrameWriter::new(Full(&attempts));
    writer
        .feed_frame(bytes::Bytes::from_static(b"lost"))
        .now_or_never_ok();
    drop(writer);
    assert_eq!(attempts.get(), 1, "one write attempt, no waiting");

    let attempts = std::cell::Cell::new(0);
    let mut writer = FrameWriter::new(Full(&attempts));
    writer
        .feed_frame(bytes::Bytes::from_static(b"kept"))
        .now_or_never_ok();
    let (_inner, unsent) = writer.into_parts();
    assert_eq!(&unsent[..], b"\x04\0\0\0kept");
    assert_eq!(
        attempts.get(),
        0,
        "into_parts writes nothing, nor does the drop after it"
    );

    let attempts = std::cell::Cell::new(0);
    let mut writer = FrameWriter::new(Full(&attempts));
    writer
        .feed_frame(bytes::Bytes::from_static(b"gone"))
        .now_or_never_ok();
    let _inner = writer.into_inner();
    assert_eq!(
        attempts.get(),
        0,
        "into_inner writes nothing, nor does the drop after it"
    );
}

/// Polls a future that must complete at once and asserts it succeeded.
#[cfg(feature = "tokio")]
trait NowOrNeverOk {
    fn now_or_never_ok(self);
}

#[cfg(feature = "tokio")]
impl<F: std::future::Future<Output = Result<(), Error>>> NowOrNeverOk for F {
    fn now_or_never_ok(self) {
        use futures_util::FutureExt;
        self.now_or_never()
            .expect("ready at once")
            .expect("accepted");
    }
}
