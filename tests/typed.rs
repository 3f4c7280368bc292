//! Typed messages (features `json`, `msgpack`) and `write_frame_with`, on the blocking, tokio and futures-io
//! adapters: round trips, a malformed message in the middle of a stream (an error for that frame
//! only), messages over the maximum (the numbers, and the writer as it was), serializer and
//! closure errors, and what a write that fails after a frame was accepted does.
#![cfg(all(feature = "json", feature = "msgpack"))]

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use bytes::{BufMut, BytesMut};
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::{Codec, EncodeError, Error, FrameError, LengthField};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Note {
    id: u64,
    title: String,
    tags: Vec<String>,
    meta: BTreeMap<String, Inner>,
    #[serde(default)]
    blob: Option<ByteBuf>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Inner {
    score: f64,
    ok: bool,
    deep: BTreeMap<String, Vec<i64>>,
}

fn note(id: u64, blob: bool) -> Note {
    let inner = Inner {
        score: -1.5,
        ok: true,
        deep: BTreeMap::from([("层".to_string(), vec![1, -2, i64::MAX])]),
    };
    Note {
        id,
        title: "héllo, 世界 🦀".to_string(),
        tags: vec!["a".into(), "ünïcødé".into(), String::new()],
        meta: BTreeMap::from([("first".into(), inner.clone()), ("zweite".into(), inner)]),
        blob: blob.then(|| ByteBuf::from(vec![0, 0xff, 0xc1, b'{', 0x80])),
    }
}

/// The two formats, as the tests below run them: the writer's and the reader's methods, and a
/// payload that is not a valid message in that format.
#[derive(Clone, Copy, Debug)]
enum Fmt {
    Json,
    MsgPack,
}

const FORMATS: [Fmt; 2] = [Fmt::Json, Fmt::MsgPack];

impl Fmt {
    fn write<W: Write, T: Serialize>(self, w: &mut FrameWriter<W>, msg: &T) -> Result<(), Error> {
        match self {
            Fmt::Json => w.write_json(msg),
            Fmt::MsgPack => w.write_msgpack(msg),
        }
    }

    fn read<R: io::Read, T: serde::de::DeserializeOwned>(
        self,
        r: &mut FrameReader<R>,
    ) -> Result<Option<T>, Error> {
        match self {
            Fmt::Json => r.read_json(),
            Fmt::MsgPack => r.read_msgpack(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Fmt::Json => "JSON",
            Fmt::MsgPack => "MessagePack",
        }
    }

    /// Payloads that are not a `Note`: bad syntax, the wrong shape, two values in one frame.
    fn malformed(self) -> Vec<Vec<u8>> {
        match self {
            Fmt::Json => vec![
                b"{\"id\": 1, ".to_vec(),
                br#"{"id": "not a number"}"#.to_vec(),
                br#"{"id":1,"title":"t","tags":[],"meta":{}} {}"#.to_vec(),
                b"\xff\xfe".to_vec(),
            ],
            Fmt::MsgPack => vec![
                vec![0xc1],             // a marker MessagePack never uses
                vec![0x81, 0xa2, b'i'], // a map cut short
                vec![0x2a],             // 42: not a map
                [
                    rmp_serde::to_vec_named(&note(7, false)).unwrap(),
                    vec![0xc0],
                ]
                .concat(),
            ],
        }
    }
}

fn is_deserialize(err: &Error, frame: u64, format: &str) -> bool {
    matches!(err, Error::Deserialize { frame: f, format: n, .. } if *f == frame && *n == format)
}

// ---------------------------------------------------------------------------------------------
// Blocking.

#[test]
fn messages_round_trip_with_unicode_nested_maps_and_binary() {
    for fmt in FORMATS {
        let mut writer = FrameWriter::new(Vec::new());
        let notes: Vec<Note> = (0..50).map(|i| note(i, i % 2 == 0)).collect();
        for n in &notes {
            fmt.write(&mut writer, n).unwrap();
        }
        let wire = writer.into_inner().unwrap();
        let mut reader = FrameReader::new(&wire[..]);
        for n in &notes {
            assert_eq!(fmt.read::<_, Note>(&mut reader).unwrap().as_ref(), Some(n));
        }
        assert_eq!(fmt.read::<_, Note>(&mut reader).unwrap(), None, "{fmt:?}");
    }
}

#[test]
fn the_payload_is_exactly_what_the_serializer_writes() {
    let n = note(3, true);
    let mut writer = FrameWriter::new(Vec::new());
    writer.write_json(&n).unwrap();
    writer.write_msgpack(&n).unwrap();
    let wire = writer.into_inner().unwrap();
    let json = serde_json::to_vec(&n).unwrap();
    let msgpack = rmp_serde::to_vec_named(&n).unwrap();
    let mut expected = BytesMut::new();
    let encoder = Codec::default().encoder();
    encoder.encode(&json, &mut expected).unwrap();
    encoder.encode(&msgpack, &mut expected).unwrap();
    assert_eq!(wire, expected);
}

#[test]
fn a_malformed_message_in_the_middle_is_an_error_for_that_frame_only() {
    for fmt in FORMATS {
        let bad = fmt.malformed();
        let mut writer = FrameWriter::new(Vec::new());
        fmt.write(&mut writer, &note(0, true)).unwrap();
        for payload in &bad {
            writer.write_frame(payload).unwrap();
            fmt.write(&mut writer, &note(1, false)).unwrap();
        }
        let wire = writer.into_inner().unwrap();

        let mut reader = FrameReader::new(&wire[..]);
        assert_eq!(
            fmt.read::<_, Note>(&mut reader).unwrap(),
            Some(note(0, true))
        );
        for (i, payload) in bad.iter().enumerate() {
            let frame = 1 + 2 * i as u64;
            let err = fmt.read::<_, Note>(&mut reader).unwrap_err();
            assert!(
                is_deserialize(&err, frame, fmt.name()),
                "{fmt:?} {i}: {err}"
            );
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            let Error::Deserialize { len, .. } = err else {
                unreachable!()
            };
            assert_eq!(len, payload.len());
            let message = err.to_string();
            assert!(
                message.contains(&format!("frame {frame} ")) && message.contains(fmt.name()),
                "{message}"
            );
            // The next frame is still there.
            assert_eq!(
                fmt.read::<_, Note>(&mut reader).unwrap(),
                Some(note(1, false)),
                "{fmt:?} after bad payload {i}"
            );
        }
        assert_eq!(fmt.read::<_, Note>(&mut reader).unwrap(), None);
    }
}

#[test]
fn the_error_carries_the_deserializer_message() {
    let wire = b"\x16\0\0\0{\"id\": \"not a number\"}";
    let err = FrameReader::new(&wire[..]).read_json::<Note>().unwrap_err();
    let Error::Deserialize { source, .. } = &err else {
        panic!("{err}")
    };
    let serde = source
        .downcast_ref::<serde_json::Error>()
        .expect("serde_json's error");
    assert!(serde.to_string().contains("invalid type"), "{serde}");
    assert!(err.to_string().contains("invalid type: string"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn the_frame_index_counts_skipped_oversized_frames() {
    let codec = Codec::builder()
        .max_frame_len(64)
        .skip_oversized(true)
        .build()
        .unwrap();
    let mut wire = BytesMut::new();
    let encoder = Codec::default().encoder();
    encoder.encode(br#"[1]"#, &mut wire).unwrap(); // 0
    encoder.encode(vec![b' '; 100], &mut wire).unwrap(); // 1: over 64, skipped
    encoder.encode(b"[oops", &mut wire).unwrap(); // 2
    encoder.encode(br#"[2]"#, &mut wire).unwrap(); // 3
    let mut reader = FrameReader::with_codec(&wire[..], codec);
    assert_eq!(reader.read_json::<Vec<u8>>().unwrap(), Some(vec![1]));
    let err = reader.read_json::<Vec<u8>>().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Frame(FrameError::TooLarge {
                len: 100,
                max: 64,
                ..
            })
        ),
        "{err}"
    );
    let err = reader.read_json::<Vec<u8>>().unwrap_err();
    assert!(is_deserialize(&err, 2, "JSON"), "{err}");
    assert_eq!(reader.read_json::<Vec<u8>>().unwrap(), Some(vec![2]));
}

#[test]
fn a_truncated_stream_is_a_frame_error_not_a_message_error() {
    let wire = b"\x10\0\0\0{\"id\"";
    let err = FrameReader::new(&wire[..])
        .read_msgpack::<Note>()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Frame(FrameError::Truncated {
                expected: 20,
                got: 9,
                guess: None,
            })
        ),
        "{err}"
    );
}

#[test]
fn a_message_over_the_maximum_is_too_large_with_the_numbers_and_nothing_changes() {
    for fmt in FORMATS {
        let codec = Codec::builder().max_frame_len(100).build().unwrap();
        let mut writer = FrameWriter::with_codec(Vec::new(), codec);
        fmt.write(&mut writer, &"small").unwrap();
        let before = writer.buffered_len();
        let big = "x".repeat(500);
        let err = fmt.write(&mut writer, &big).unwrap_err();
        let len = match fmt {
            Fmt::Json => 502,    // the quotes
            Fmt::MsgPack => 503, // str16: a marker and two length bytes
        };
        assert!(
            matches!(err, Error::Encode(EncodeError::TooLarge { len: l, max: 100 }) if l == len),
            "{fmt:?}: {err}"
        );
        assert!(err.to_string().contains(&len.to_string()), "{err}");
        assert_eq!(writer.buffered_len(), before, "nothing buffered");
        fmt.write(&mut writer, &"after").unwrap();
        let wire = writer.into_inner().unwrap();
        let mut reader = FrameReader::new(&wire[..]);
        assert_eq!(
            fmt.read::<_, String>(&mut reader).unwrap().unwrap(),
            "small"
        );
        assert_eq!(
            fmt.read::<_, String>(&mut reader).unwrap().unwrap(),
            "after"
        );
        assert_eq!(fmt.read::<_, String>(&mut reader).unwrap(), None);
    }
}

#[test]
fn a_serializer_error_is_serialize_and_leaves_the_writer_as_it_was() {
    // JSON object keys must be strings (or numbers): a tuple key is refused, after `{` is out.
    let map = HashMap::from([((1, 2), "v")]);
    let mut writer = FrameWriter::new(Vec::new());
    writer.write_json(&"before").unwrap();
    let before = writer.buffered_len();
    let err = writer.write_json(&map).unwrap_err();
    assert!(
        matches!(err, Error::Serialize { format: "JSON", .. }),
        "{err}"
    );
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("key must be"), "{err}");
    assert_eq!(writer.buffered_len(), before);
    writer.write_json(&"after").unwrap();
    let wire = writer.into_inner().unwrap();
    assert_eq!(wire, b"\x08\0\0\0\"before\"\x07\0\0\0\"after\"");
}

#[test]
fn messages_work_with_any_length_field() {
    for format in ["!I", "<H", "q", "B"] {
        let codec = Codec::from_struct_format(format).unwrap();
        let mut writer = FrameWriter::with_codec(Vec::new(), codec);
        writer.write_msgpack(&note(1, true)).unwrap();
        writer.write_json(&[1, 2, 3]).unwrap();
        let wire = writer.into_inner().unwrap();
        let mut reader = FrameReader::with_codec(&wire[..], codec);
        assert_eq!(reader.read_msgpack::<Note>().unwrap(), Some(note(1, true)));
        assert_eq!(reader.read_json::<Vec<i32>>().unwrap(), Some(vec![1, 2, 3]));
    }
    // A varint header is as short as the message allows.
    let codec = Codec::builder()
        .length_field(LengthField::VARINT)
        .build()
        .unwrap();
    let mut writer = FrameWriter::with_codec(Vec::new(), codec);
    writer.write_json(&"hi").unwrap();
    writer.write_json(&"é".repeat(100)).unwrap();
    let wire = writer.into_inner().unwrap();
    assert_eq!(&wire[..5], b"\x04\"hi\"");
    assert_eq!(&wire[5..7], &[202, 1], "202 bytes as a two-byte varint");
    let mut reader = FrameReader::with_codec(&wire[..], codec);
    assert_eq!(reader.read_json::<String>().unwrap().unwrap(), "hi");
    assert_eq!(
        reader.read_json::<String>().unwrap().unwrap(),
        "é".repeat(100)
    );
}

/// A caller's own error type for `write_frame_with`: lenframe's errors convert into it.
#[derive(Debug)]
enum MyError {
    Mine(&'static str),
    Frame(Error),
}

impl From<Error> for MyError {
    fn from(err: Error) -> Self {
        MyError::Frame(err)
    }
}

#[test]
fn write_frame_with_returns_the_closure_error_as_is_and_keeps_the_writer() {
    let mut writer = FrameWriter::new(Vec::new());
    writer.write_frame(b"one").unwrap();
    let err = writer
        .write_frame_with(|buf| {
            buf.put_slice(b"half a body");
            Err(MyError::Mine("cannot finish"))
        })
        .unwrap_err();
    assert!(matches!(err, MyError::Mine("cannot finish")));
    assert_eq!(writer.buffered_len(), 7);

    // A body over the maximum: lenframe's error, converted into the caller's type.
    writer.set_max_frame_len(4);
    let err = writer
        .write_frame_with(|buf| {
            buf.put_slice(b"too long");
            Ok::<_, MyError>(())
        })
        .unwrap_err();
    assert!(
        matches!(
            err,
            MyError::Frame(Error::Encode(EncodeError::TooLarge { len: 8, max: 4 }))
        ),
        "{err:?}"
    );
    writer
        .write_frame_with(|buf| {
            buf.put_slice(b"two");
            Ok::<_, io::Error>(())
        })
        .unwrap();
    assert_eq!(writer.into_inner().unwrap(), b"\x03\0\0\0one\x03\0\0\0two");
}

#[test]
fn write_frame_with_reports_a_closure_that_removes_buffered_bytes() {
    let mut writer = FrameWriter::new(Vec::new());
    writer.write_frame(b"one").unwrap();
    let err = writer
        .write_frame_with(|buf| {
            buf.clear();
            Ok::<_, Error>(())
        })
        .unwrap_err();
    let Error::Io(err) = err else { panic!("{err}") };
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("must only append"), "{err}");
}

#[test]
fn write_frame_with_writes_a_frame_larger_than_the_buffer_before_it_returns() {
    let mut writer = FrameWriter::new(Vec::new()).with_buffer_size(1024);
    writer.write_json(&"small").unwrap();
    assert!(writer.get_ref().is_empty(), "a small message waits");
    let big = "b".repeat(10_000);
    writer.write_json(&big).unwrap();
    assert_eq!(writer.buffered_len(), 0, "over the buffer: written out");
    assert_eq!(writer.get_ref().len(), 4 + 7 + 4 + 10_002);
    // With a buffer of 0, every frame goes out at once.
    let mut writer = FrameWriter::new(Vec::new()).with_buffer_size(0);
    writer.write_msgpack(&1u8).unwrap();
    assert_eq!(writer.get_ref(), b"\x01\0\0\0\x01");
}

/// A writer whose first `fails` writes fail with `kind`.
struct Flaky {
    out: Vec<u8>,
    fails: usize,
    kind: io::ErrorKind,
}

impl Write for Flaky {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.fails > 0 {
            self.fails -= 1;
            return Err(self.kind.into());
        }
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_write_that_fails_after_the_frame_was_accepted_shows_at_the_next_call() {
    for kind in [io::ErrorKind::WouldBlock, io::ErrorKind::BrokenPipe] {
        let flaky = Flaky {
            out: Vec::new(),
            fails: 1,
            kind,
        };
        let mut writer = FrameWriter::new(flaky).with_buffer_size(0);
        // Accepted: buffered, and the failed write to send it is not this call's error.
        writer.write_json(&"accepted").unwrap();
        assert_eq!(writer.buffered_len(), 14);
        writer.flush().unwrap();
        assert_eq!(writer.get_ref().out, b"\x0a\0\0\0\"accepted\"");
    }
    // A failure while making room before the body: the frame is not accepted.
    let flaky = Flaky {
        out: Vec::new(),
        fails: 0,
        kind: io::ErrorKind::WouldBlock,
    };
    let mut writer = FrameWriter::new(flaky).with_buffer_size(16);
    writer.write_json(&"first one").unwrap(); // 4 + 11 bytes: fits
    writer.get_mut().fails = 1;
    let err = writer.write_json(&"second").unwrap_err();
    assert!(
        matches!(&err, Error::Io(e) if e.kind() == io::ErrorKind::WouldBlock),
        "{err}"
    );
    assert_eq!(writer.buffered_len(), 15, "the second was not accepted");
    writer.write_json(&"second").unwrap();
    writer.flush().unwrap();
    let out = &writer.get_ref().out;
    assert_eq!(&out[..], b"\x0b\0\0\0\"first one\"\x08\0\0\0\"second\"");
}

#[test]
fn typed_writes_wait_for_an_unfinished_copy_frame_from() {
    let mut writer = FrameWriter::new(Vec::new());
    let mut short: &[u8] = b"abc";
    let err = writer.copy_frame_from(10, &mut short).unwrap_err();
    assert!(matches!(err, Error::SourceEnded { len: 10, left: 7 }));
    let err = writer.write_json(&1).unwrap_err();
    assert!(
        matches!(err, Error::CopyUnfinished { len: 10, left: 7 }),
        "{err}"
    );
}

#[test]
fn the_error_type_stays_send_and_sync() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Error>();
}

// ---------------------------------------------------------------------------------------------
// Tokio.

#[cfg(feature = "tokio")]
mod tokio_adapters {
    use super::*;
    use futures_util::{SinkExt, StreamExt};
    use lenframe::tokio::{FrameReader, FrameWriter};
    use lenframe::{Json, MessageReader, MessageWriter, MsgPack};

    #[tokio::test]
    async fn messages_round_trip_and_a_bad_one_costs_one_error() {
        let (a, b) = tokio::io::duplex(4096);
        let writing = tokio::spawn(async move {
            let mut writer = FrameWriter::new(a);
            for i in 0..20 {
                writer.write_json(&note(i, false)).await?;
                writer.write_msgpack(&note(i, true)).await?;
            }
            writer.write_frame(b"{oops").await?;
            writer.write_json(&note(99, false)).await?;
            writer.write_frame(vec![0xc1]).await?;
            writer.write_msgpack(&note(100, true)).await?;
            writer.shutdown().await
        });
        let mut reader = FrameReader::new(b);
        for i in 0..20 {
            assert_eq!(
                reader.read_json::<Note>().await.unwrap(),
                Some(note(i, false))
            );
            assert_eq!(
                reader.read_msgpack::<Note>().await.unwrap(),
                Some(note(i, true))
            );
        }
        let err = reader.read_json::<Note>().await.unwrap_err();
        assert!(is_deserialize(&err, 40, "JSON"), "{err}");
        assert_eq!(
            reader.read_json::<Note>().await.unwrap(),
            Some(note(99, false))
        );
        let err = reader.read_msgpack::<Note>().await.unwrap_err();
        assert!(is_deserialize(&err, 42, "MessagePack"), "{err}");
        assert_eq!(
            reader.read_msgpack::<Note>().await.unwrap(),
            Some(note(100, true))
        );
        assert_eq!(reader.read_msgpack::<Note>().await.unwrap(), None);
        writing.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn the_stream_goes_on_after_a_bad_message_and_the_sink_after_a_refused_one() {
        let (a, b) = tokio::io::duplex(64);
        let writing = tokio::spawn(async move {
            let codec = Codec::builder().max_frame_len(1000).build().unwrap();
            let mut sink = MessageWriter::new(FrameWriter::with_codec(a, codec), MsgPack);
            sink.send(note(1, true)).await?;
            // Over the maximum: refused with the numbers, nothing buffered, the sink goes on.
            let mut big = note(0, false);
            big.title = "x".repeat(2000);
            let err = sink.send(big).await.unwrap_err();
            assert!(
                matches!(err, Error::Encode(EncodeError::TooLarge { max: 1000, .. })),
                "{err}"
            );
            sink.get_mut().send_frame(b"\x92").await?; // an array cut short
            sink.feed(note(2, false)).await?;
            sink.feed(note(3, true)).await?;
            sink.close().await
        });
        let reader = FrameReader::new(b);
        let items: Vec<Result<Note, Error>> = MessageReader::new(reader, MsgPack).collect().await;
        assert_eq!(items.len(), 4, "{items:?}");
        assert_eq!(items[0].as_ref().unwrap(), &note(1, true));
        assert!(is_deserialize(
            items[1].as_ref().unwrap_err(),
            1,
            "MessagePack"
        ));
        assert_eq!(items[2].as_ref().unwrap(), &note(2, false));
        assert_eq!(items[3].as_ref().unwrap(), &note(3, true));
        writing.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn the_stream_ends_after_an_error_reading_cannot_go_on_from() {
        let wire: &[u8] = b"\x03\0\0\0[1]\xff\xff\xff\xff";
        let mut stream = MessageReader::<_, _, Vec<u8>>::new(FrameReader::new(wire), Json);
        assert_eq!(stream.next().await.unwrap().unwrap(), [1]);
        let err = stream.next().await.unwrap().unwrap_err();
        assert!(
            matches!(err, Error::Frame(FrameError::NegativeLength { .. })),
            "{err}"
        );
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn write_frame_with_on_tokio_keeps_the_writer_on_error() {
        let mut writer = FrameWriter::new(Vec::new());
        writer.write_json(&"a").await.unwrap();
        let err = writer
            .write_frame_with(|buf| {
                buf.put_slice(b"xyz");
                Err(MyError::Mine("no"))
            })
            .await
            .unwrap_err();
        assert!(matches!(err, MyError::Mine("no")));
        let err = writer
            .write_json(&HashMap::from([((1, 2), 3)]))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Serialize { format: "JSON", .. }),
            "{err}"
        );
        writer.flush().await.unwrap();
        assert_eq!(writer.get_ref(), b"\x03\0\0\0\"a\"");
    }
}

// ---------------------------------------------------------------------------------------------
// futures-io, over loopback TCP with smol.

/// JSON and MessagePack through `lenframe::futures` over a real socket: messages round trip, a
/// malformed one in the middle is an error for that frame only, and a message over the maximum
/// is refused with the numbers while the writer stays as it was.
#[cfg(feature = "futures-io")]
#[test]
fn futures_typed_messages_over_smol_tcp() {
    use lenframe::futures::{FrameReader as AsyncReader, FrameWriter as AsyncWriter};

    smol::block_on(async {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sender = smol::spawn(async move {
            let stream = smol::net::TcpStream::connect(addr).await.unwrap();
            let mut writer = AsyncWriter::new(stream);
            writer.write_json(&note(0, false)).await.unwrap();
            writer.write_frame(b"{\"id\": 1, ").await.unwrap();
            writer.write_json(&note(1, false)).await.unwrap();
            writer.write_msgpack(&note(2, true)).await.unwrap();
            writer.write_frame([0xc1]).await.unwrap();
            writer.write_msgpack(&note(3, true)).await.unwrap();

            // Over the maximum: the numbers, and nothing of it is sent.
            let before = writer.buffered_len();
            writer.set_max_frame_len(16);
            let err = writer.write_json(&note(4, false)).await.unwrap_err();
            assert!(matches!(err, Error::Encode(_)), "{err}");
            assert_eq!(writer.buffered_len(), before);
            writer.shutdown().await.unwrap();
        });

        let (stream, _) = listener.accept().await.unwrap();
        let mut reader = AsyncReader::new(stream);
        assert_eq!(
            reader.read_json::<Note>().await.unwrap(),
            Some(note(0, false))
        );
        let err = reader.read_json::<Note>().await.unwrap_err();
        assert!(is_deserialize(&err, 1, "JSON"), "{err}");
        assert_eq!(
            reader.read_json::<Note>().await.unwrap(),
            Some(note(1, false))
        );
        assert_eq!(
            reader.read_msgpack::<Note>().await.unwrap(),
            Some(note(2, true))
        );
        let err = reader.read_msgpack::<Note>().await.unwrap_err();
        assert!(is_deserialize(&err, 4, "MessagePack"), "{err}");
        assert_eq!(
            reader.read_msgpack::<Note>().await.unwrap(),
            Some(note(3, true))
        );
        assert_eq!(reader.read_json::<Note>().await.unwrap(), None);
        sender.await;
    });
}

/// The typed `Stream` and `Sink` over the futures-io adapters, on smol over loopback TCP: a
/// malformed frame is one error item and the stream goes on.
#[cfg(feature = "futures-io")]
#[test]
fn futures_typed_stream_and_sink_over_smol_tcp() {
    use futures_util::{SinkExt, StreamExt};
    use lenframe::futures::{FrameReader as AsyncReader, FrameWriter as AsyncWriter};
    use lenframe::{Json, MessageReader, MessageWriter, MsgPack};

    smol::block_on(async {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sender = smol::spawn(async move {
            let stream = smol::net::TcpStream::connect(addr).await.unwrap();
            let mut notes = MessageWriter::new(AsyncWriter::new(stream), MsgPack);
            notes.send(note(0, true)).await.unwrap();
            notes.get_mut().send_frame([0xc1]).await.unwrap();
            notes.feed(note(1, false)).await.unwrap();
            notes.feed(note(2, true)).await.unwrap();
            notes.close().await.unwrap();
        });
        let (stream, _) = listener.accept().await.unwrap();
        let mut notes = MessageReader::<_, _, Note>::new(AsyncReader::new(stream), MsgPack);
        assert_eq!(notes.next().await.unwrap().unwrap(), note(0, true));
        let err = notes.next().await.unwrap().unwrap_err();
        assert!(is_deserialize(&err, 1, "MessagePack"), "{err}");
        assert_eq!(notes.next().await.unwrap().unwrap(), note(1, false));
        assert_eq!(notes.next().await.unwrap().unwrap(), note(2, true));
        assert!(notes.next().await.is_none());
        sender.await;
        // JSON too, in memory.
        let mut wire = MessageWriter::new(AsyncWriter::new(Vec::new()), Json);
        wire.send(note(3, false)).await.unwrap();
        let bytes = wire.into_inner().into_inner();
        let mut back = MessageReader::<_, _, Note>::new(AsyncReader::new(&bytes[..]), Json);
        assert_eq!(back.next().await.unwrap().unwrap(), note(3, false));
        assert!(back.next().await.is_none());
    });
}
