//! Hostile input, one case a row: each row names the exact error it must produce, and every
//! good frame sent before the bad bytes must come out first, whole and in order.
//!
//! Every row runs through the core ([`FrameDecoder`] fed all at once and one byte at a time, and
//! [`Codec::decode_slice`]), through [`FrameReader`] over a real loopback TCP connection, and
//! (with the `tokio` and `futures-io` features) through the async `lenframe::tokio::FrameReader`
//! and `lenframe::futures::FrameReader` (on smol) the same way.
//! Over TCP, a bad header must be reported while the peer keeps the connection open (the reader
//! must not wait for more bytes or for the end), and a truncated frame when the peer closes.
//! With the `embedded-io` (`embedded-io-async`) feature, every row also runs through
//! `lenframe::embedded::FrameReader` (`lenframe::embedded_async::FrameReader`) over an
//! in-memory source, all at once and one byte at a time, with a lent buffer that holds the
//! row's maximum frame.
//!
//! Lengths that do not fit in `usize` on 32-bit targets: these tests run on 64-bit, where every
//! `u64` fits in `usize`. What they pin instead is that the decoder compares the full `u64` with
//! the maximum before converting it: rows such as `<Q 2^32+5` would decode as a 5-byte frame if
//! the length were truncated to 32 bits, and must be `TooLarge`.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use lenframe::blocking::FrameReader;
use lenframe::{Codec, Decoded, Error, FrameError, LayoutGuess, LengthField, MAX_FRAME_LEN_LIMIT};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const GIB: usize = 1024 * MIB;

/// One row of the table.
struct Case {
    name: String,
    codec: Codec,
    /// Frames sent before the hostile bytes: each must be decoded, in order.
    good: Vec<Vec<u8>>,
    /// The hostile bytes.
    bad: Vec<u8>,
    expect: Expect,
}

/// What must happen after the good frames.
#[derive(Clone, Debug)]
enum Expect {
    /// This error, as soon as the bad header is in: the peer is still connected.
    Now(FrameError),
    /// This error (a truncation) when the stream ends: the peer closes mid-frame.
    AtEof(FrameError),
}

impl Case {
    fn new(name: impl Into<String>, codec: Codec, bad: Vec<u8>, expect: Expect) -> Case {
        Case {
            name: name.into(),
            codec,
            good: good_frames(),
            bad,
            expect,
        }
    }

    /// The good frames, encoded, then the bad bytes.
    fn wire(&self) -> Vec<u8> {
        let mut wire = BytesMut::new();
        for frame in &self.good {
            self.codec.encoder().encode(frame, &mut wire).unwrap();
        }
        wire.extend_from_slice(&self.bad);
        wire.to_vec()
    }

    /// The frames the decoder returns for the good ones (with their header if `keep_header`).
    fn good_decoded(&self) -> Vec<Vec<u8>> {
        self.good
            .iter()
            .map(|payload| {
                let mut frame = Vec::new();
                if self.codec.keeps_header() {
                    frame.extend_from_slice(&self.codec.encoder().header(payload.len()).unwrap());
                }
                frame.extend_from_slice(payload);
                frame
            })
            .collect()
    }
}

/// Three frames every row sends first: short, empty, and 100 bytes (fits even `"b"`).
fn good_frames() -> Vec<Vec<u8>> {
    vec![b"first".to_vec(), Vec::new(), vec![b'x'; 100]]
}

fn fmt(format: &str) -> Codec {
    Codec::from_struct_format(format).unwrap()
}

fn fmt_max(format: &str, max: usize) -> Codec {
    fmt(format).to_builder().max_frame_len(max).build().unwrap()
}

/// `value` as a `width`-byte integer in the given order, as `struct.pack` writes it.
fn pack(width: usize, big_endian: bool, value: i128) -> Vec<u8> {
    let le = value.to_le_bytes();
    let mut bytes = le[..width].to_vec();
    if big_endian {
        bytes.reverse();
    }
    bytes
}

fn varint(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
    out
}

fn too_large(len: u64, max: usize) -> Expect {
    Expect::Now(FrameError::TooLarge {
        len,
        max,
        guess: None,
    })
}

/// A `TooLarge` naming a likely cause: the same bytes read as `format` give `guess_len`.
fn too_large_read_as(len: u64, max: usize, format: &str, guess_len: u64) -> Expect {
    Expect::Now(FrameError::TooLarge {
        len,
        max,
        guess: Some(read_as(format, guess_len)),
    })
}

fn read_as(format: &str, len: u64) -> LayoutGuess {
    LayoutGuess {
        field: LengthField::from_struct_format(format).unwrap(),
        len,
    }
}

fn truncated(expected: u64, got: u64) -> Expect {
    Expect::AtEof(FrameError::Truncated {
        expected,
        got,
        guess: None,
    })
}

/// The table.
fn table() -> Vec<Case> {
    let mut rows = Vec::new();
    let default_max = Codec::default().max_decode_len();

    // Negative lengths, for every signed width and both byte orders: -1 and the most negative.
    // The most negative value is 80 00 .. 00: 128 in the other byte order, which is named.
    for (code, width) in [("b", 1), ("h", 2), ("i", 4), ("q", 8)] {
        for (prefix, big, other) in [("<", false, ">"), (">", true, "<")] {
            let min = -(1i128 << (width * 8 - 1));
            for value in [-1, min] {
                let guess =
                    (value == min && width > 1).then(|| read_as(&format!("{other}{code}"), 128));
                rows.push(Case::new(
                    format!("negative length {prefix}{code} {value}"),
                    fmt(&format!("{prefix}{code}")),
                    pack(width, big, value),
                    Expect::Now(FrameError::NegativeLength {
                        len: value as i64,
                        guess,
                    }),
                ));
            }
        }
    }
    rows.push(Case::new(
        "negative length, Python's default 'i' (-1 = ff ff ff ff)",
        Codec::default(),
        vec![0xff; 4],
        Expect::Now(FrameError::NegativeLength {
            len: -1,
            guess: None,
        }),
    ));

    // One byte over the maximum (after one frame of exactly the maximum).
    for (format, max, header) in [
        ("<i", 1024, pack(4, false, 1025)),
        ("!H", 1024, pack(2, true, 1025)),
        ("B", 100, vec![101]),
        ("<q", 1024, pack(8, false, 1025)),
    ] {
        let mut case = Case::new(
            format!("{format} length over the maximum of {max} by one"),
            fmt_max(format, max),
            header,
            too_large(max as u64 + 1, max),
        );
        case.good.push(vec![b'm'; max]);
        rows.push(case);
    }
    let varint_codec = Codec::builder()
        .length_field(LengthField::VARINT)
        .max_frame_len(1024)
        .build()
        .unwrap();
    rows.push(Case::new(
        "varint length over the maximum by one",
        varint_codec,
        varint(1025),
        too_large(1025, 1024),
    ));
    let counts_header = Codec::builder()
        .length_field(LengthField::U32_BE)
        .length_adjustment(-4)
        .max_frame_len(1024)
        .build()
        .unwrap();
    rows.push(Case::new(
        "!I counting its header (adjustment -4): payload over the maximum by one",
        counts_header,
        pack(4, true, 1029),
        too_large(1025, 1024),
    ));

    // The largest values of each field.
    rows.push(Case::new(
        "<i i32::MAX against the default 8 MiB",
        Codec::default(),
        pack(4, false, i32::MAX.into()),
        too_large(i32::MAX as u64, default_max),
    ));
    rows.push(Case::new(
        "!I u32::MAX",
        fmt("!I"),
        pack(4, true, u32::MAX.into()),
        too_large(u32::MAX.into(), default_max),
    ));
    rows.push(Case::new(
        ">q i64::MAX",
        fmt(">q"),
        pack(8, true, i64::MAX.into()),
        too_large(i64::MAX as u64, default_max),
    ));
    rows.push(Case::new(
        "<Q u64::MAX",
        fmt("<Q"),
        vec![0xff; 8],
        too_large(u64::MAX, default_max),
    ));
    rows.push(Case::new(
        "<Q u64::MAX against the largest maximum a codec accepts",
        fmt_max("<Q", MAX_FRAME_LEN_LIMIT),
        vec![0xff; 8],
        too_large(u64::MAX, MAX_FRAME_LEN_LIMIT),
    ));
    rows.push(Case::new(
        "varint u64::MAX",
        Codec::builder()
            .length_field(LengthField::VARINT)
            .build()
            .unwrap(),
        varint(u64::MAX),
        too_large(u64::MAX, default_max),
    ));

    // 8-byte lengths that would not fit a 32-bit usize, against a 1 GiB maximum. Those within
    // 16 times the maximum look like real lengths only over it, from a peer with a higher
    // maximum: no guess, the advice is to raise it. Read as big-endian, a farther one is a
    // plausible length, which the error names.
    for (value, guess) in [
        (1u64 << 32, None),
        ((1 << 32) + 5, None),
        (u64::from(u32::MAX) + 1024, None),
        (1 << 63, Some(("!Q", 128))),
        (u64::MAX - 1, None),
    ] {
        let mut bad = pack(8, false, value.into());
        bad.extend_from_slice(b"12345"); // what a length truncated to 32 bits would take
        rows.push(Case::new(
            format!("<Q {value} (over u32::MAX) with max 1 GiB"),
            fmt_max("<Q", GIB),
            bad,
            match guess {
                Some((format, len)) => too_large_read_as(value, GIB, format, len),
                None => too_large(value, GIB),
            },
        ));
    }
    let mut bad = varint((1 << 32) + 5);
    bad.extend_from_slice(b"12345");
    rows.push(Case::new(
        "varint 2^32+5 with max 1 GiB",
        Codec::builder()
            .length_field(LengthField::VARINT)
            .max_frame_len(GIB)
            .build()
            .unwrap(),
        bad,
        too_large((1 << 32) + 5, GIB),
    ));

    // A length adjustment that makes the length negative.
    for value in [0u64, 3] {
        rows.push(Case::new(
            format!("!I value {value} with adjustment -4 (header counted)"),
            Codec::builder()
                .length_field(LengthField::U32_BE)
                .length_adjustment(-4)
                .build()
                .unwrap(),
            pack(4, true, value.into()),
            Expect::Now(FrameError::AdjustedLengthNegative {
                value,
                adjustment: -4,
            }),
        ));
    }
    rows.push(Case::new(
        "b value 9 with adjustment -10",
        fmt("b")
            .to_builder()
            .length_adjustment(-10)
            .build()
            .unwrap(),
        vec![9],
        Expect::Now(FrameError::AdjustedLengthNegative {
            value: 9,
            adjustment: -10,
        }),
    ));

    // A header cut at every byte, then the peer closes.
    let offset_codec = Codec::builder()
        .length_field(LengthField::from_struct_format("!H").unwrap())
        .length_field_offset(3)
        .keep_header(true)
        .build()
        .unwrap();
    let varint_offset = Codec::builder()
        .length_field(LengthField::VARINT)
        .length_field_offset(1)
        .build()
        .unwrap();
    for (name, codec) in [
        ("<i", Codec::default()),
        (">q", fmt(">q")),
        ("offset 3 + !H, keep_header", offset_codec),
    ] {
        let header = codec.encoder().header(5).unwrap().to_vec();
        for cut in 1..header.len() {
            rows.push(Case::new(
                format!("{name} header cut after {cut} of {} bytes", header.len()),
                codec,
                header[..cut].to_vec(),
                truncated(header.len() as u64, cut as u64),
            ));
        }
    }
    // A varint header's length is known only at its last byte: `expected` is the least.
    let header = varint_offset.encoder().header(300).unwrap().to_vec();
    assert_eq!(header, [0x00, 0xac, 0x02]);
    for (cut, at_least) in [(1, 2), (2, 3)] {
        rows.push(Case::new(
            format!("offset 1 + varint 300 header cut after {cut} bytes"),
            varint_offset,
            header[..cut].to_vec(),
            truncated(at_least, cut as u64),
        ));
    }

    // A body cut at every byte, then the peer closes.
    for cut in 0..5 {
        let mut bad = pack(4, false, 5);
        bad.extend_from_slice(&b"hello"[..cut]);
        rows.push(Case::new(
            format!("<i body cut after {cut} of 5 bytes"),
            Codec::default(),
            bad,
            truncated(9, 4 + cut as u64),
        ));
    }
    let keep = Codec::builder().keep_header(true).build().unwrap();
    for cut in 0..3 {
        let mut bad = pack(4, false, 3);
        bad.extend_from_slice(&b"abc"[..cut]);
        rows.push(Case::new(
            format!("<i keep_header body cut after {cut} of 3 bytes"),
            keep,
            bad,
            truncated(7, 4 + cut as u64),
        ));
    }
    // A body longer than one read (64 KiB), cut around the read boundaries.
    let long = 70_000;
    for cut in [0, 1, 64 * KIB - 4, 64 * KIB - 3, 64 * KIB, long - 1] {
        let mut bad = pack(4, false, long as i128);
        bad.extend(vec![b'L'; cut]);
        rows.push(Case::new(
            format!("<i 70000-byte body cut after {cut} bytes"),
            Codec::default(),
            bad,
            truncated(4 + long as u64, 4 + cut as u64),
        ));
    }

    // Garbage after valid frames.
    let http = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n".to_vec();
    rows.push(Case::new(
        "an HTTP request to a lenframe port ('GET ' read as <i)",
        Codec::default(),
        http.clone(),
        too_large(u32::from_le_bytes(*b"GET ").into(), default_max),
    ));
    rows.push(Case::new(
        "an HTTP request to a !I port",
        fmt("!I"),
        http,
        too_large(u32::from_be_bytes(*b"GET ").into(), default_max),
    ));
    let tls_hello = vec![
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    rows.push(Case::new(
        "a TLS ClientHello to a plaintext port",
        Codec::default(),
        tls_hello,
        too_large(0x0201_0316, default_max),
    ));
    rows.push(Case::new(
        "garbage that reads as a negative <i",
        Codec::default(),
        vec![0xff, 0xfe, 0xfd, 0xfc, 0x00, 0x01],
        Expect::Now(FrameError::NegativeLength {
            len: i32::from_le_bytes([0xff, 0xfe, 0xfd, 0xfc]).into(),
            guess: None,
        }),
    ));
    rows.push(Case::new(
        "garbage: eleven varint continuation bytes",
        Codec::builder()
            .length_field(LengthField::VARINT)
            .build()
            .unwrap(),
        vec![0x80; 11],
        Expect::Now(FrameError::VarintTooLong),
    ));
    rows.push(Case::new(
        "garbage: a varint past 64 bits",
        Codec::builder()
            .length_field(LengthField::VARINT)
            .build()
            .unwrap(),
        vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
        Expect::Now(FrameError::VarintOverflow),
    ));
    rows
}

/// Decodes everything `decoder` gives from `buf`: the frames, then the error or `Ok` for "need
/// more".
fn drain(
    decoder: &mut lenframe::FrameDecoder,
    buf: &mut BytesMut,
) -> (Vec<Vec<u8>>, Result<(), FrameError>) {
    let mut frames = Vec::new();
    loop {
        match decoder.decode(buf) {
            Ok(Some(frame)) => frames.push(frame.to_vec()),
            Ok(None) => return (frames, Ok(())),
            Err(err) => return (frames, Err(err)),
        }
    }
}

/// The decoder with the whole stream in one buffer.
fn check_decoder_all_at_once(case: &Case) {
    let name = &case.name;
    let wire = case.wire();
    let mut decoder = case.codec.decoder();
    let mut buf = BytesMut::from(&wire[..]);
    let (frames, result) = drain(&mut decoder, &mut buf);
    assert_eq!(
        frames,
        case.good_decoded(),
        "{name}: frames before the bad bytes"
    );
    match &case.expect {
        Expect::Now(err) => {
            assert_eq!(result.as_ref(), Err(err), "{name}");
            // Fail fast: nothing of the bad frame consumed, the same error again.
            assert_eq!(
                &buf[..],
                &case.bad[..],
                "{name}: bad bytes left in the buffer"
            );
            assert_eq!(decoder.decode(&mut buf).as_ref(), Err(err), "{name}: again");
            assert_eq!(
                decoder.decode_eof(&mut buf).as_ref(),
                Err(err),
                "{name}: at eof"
            );
        }
        Expect::AtEof(err) => {
            assert_eq!(result, Ok(()), "{name}: nothing wrong until the end");
            assert_eq!(decoder.decode_eof(&mut buf).as_ref(), Err(err), "{name}");
            assert_eq!(&buf[..], &case.bad[..], "{name}: the partial frame stays");
        }
    }
}

/// The decoder fed one byte at a time.
fn check_decoder_byte_by_byte(case: &Case) {
    let name = &case.name;
    let wire = case.wire();
    let mut decoder = case.codec.decoder();
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut error = None;
    for &byte in &wire {
        buf.extend_from_slice(&[byte]);
        let (more, result) = drain(&mut decoder, &mut buf);
        frames.extend(more);
        if let Err(err) = result {
            error = Some(err);
            break;
        }
    }
    assert_eq!(frames, case.good_decoded(), "{name}: byte by byte");
    match &case.expect {
        Expect::Now(err) => assert_eq!(error.as_ref(), Some(err), "{name}: byte by byte"),
        Expect::AtEof(err) => {
            assert_eq!(error, None, "{name}: byte by byte");
            assert_eq!(decoder.decode_eof(&mut buf).as_ref(), Err(err), "{name}");
        }
    }
}

/// The borrowed path.
fn check_decode_slice(case: &Case) {
    let name = &case.name;
    let wire = case.wire();
    let mut rest = &wire[..];
    let mut frames = Vec::new();
    let result = loop {
        match case.codec.decode_slice(rest) {
            Ok(Decoded::Frame { frame, consumed }) => {
                frames.push(frame.to_vec());
                rest = &rest[consumed..];
            }
            Ok(Decoded::Incomplete { needed }) => break Ok(needed),
            Ok(Decoded::Skipped { .. }) => panic!("{name}: Codec::decode_slice never skips"),
            Err(err) => break Err(err),
        }
    };
    assert_eq!(frames, case.good_decoded(), "{name}: decode_slice");
    assert_eq!(
        rest,
        &case.bad[..],
        "{name}: decode_slice stops at the bad bytes"
    );
    match (&case.expect, result) {
        (Expect::Now(err), result) => assert_eq!(result.as_ref(), Err(err), "{name}"),
        (
            Expect::AtEof(FrameError::Truncated {
                expected,
                got,
                guess: None,
            }),
            Ok(needed),
        ) => {
            assert_eq!(needed as u64, expected - got, "{name}: decode_slice needed");
        }
        (expect, result) => panic!("{name}: decode_slice gave {result:?}, expected {expect:?}"),
    }
}

/// The stateful borrowed path, over a buffer the caller owns, fed all at once and one byte at a
/// time.
fn check_stateful_decode_slice(case: &Case) {
    let name = &case.name;
    let wire = case.wire();
    for step in [wire.len().max(1), 1] {
        let mut decoder = case.codec.decoder();
        let mut buf: Vec<u8> = Vec::new();
        let mut frames = Vec::new();
        let mut result = Ok(0);
        'feed: for piece in wire.chunks(step) {
            buf.extend_from_slice(piece);
            loop {
                match decoder.decode_slice(&buf) {
                    Ok(Decoded::Frame { frame, consumed }) => {
                        frames.push(frame.to_vec());
                        buf.drain(..consumed);
                    }
                    Ok(Decoded::Incomplete { needed }) => {
                        result = Ok(needed);
                        break;
                    }
                    Ok(Decoded::Skipped { .. }) => panic!("{name}: nothing is skipped"),
                    Err(err) => {
                        result = Err(err);
                        break 'feed;
                    }
                }
            }
        }
        assert_eq!(frames, case.good_decoded(), "{name}: stateful decode_slice");
        // Stops at the bad bytes: all of them when they came at once.
        assert!(case.bad.starts_with(&buf), "{name}: step {step}");
        if step > 1 || matches!(case.expect, Expect::AtEof(_)) {
            assert_eq!(buf, case.bad, "{name}: step {step}");
        }
        match (&case.expect, result) {
            (Expect::Now(err), result) => {
                assert_eq!(result.as_ref(), Err(err), "{name}: step {step}");
                assert_eq!(
                    decoder.decode_slice(&buf).as_ref(),
                    Err(err),
                    "{name}: again"
                );
            }
            (
                Expect::AtEof(FrameError::Truncated {
                    expected,
                    got,
                    guess: None,
                }),
                Ok(needed),
            ) => {
                assert_eq!(needed as u64, expected - got, "{name}: needed, step {step}");
            }
            (expect, result) => panic!("{name}: gave {result:?}, expected {expect:?}"),
        }
    }
}

/// A connected loopback pair: (client, server).
fn tcp_pair(listener: &TcpListener) -> (TcpStream, TcpStream) {
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

/// How long a reader waits for bytes before a test calls it stuck.
const STUCK: Duration = Duration::from_secs(5);

/// `FrameReader` over loopback TCP: the peer sends the row's bytes, then stays connected
/// (`Now`: the error must not wait for the end) or closes (`AtEof`).
fn check_tcp(listener: &TcpListener, case: &Case) {
    let name = &case.name;
    let wire = case.wire();
    let (mut client, server) = tcp_pair(listener);
    server.set_read_timeout(Some(STUCK)).unwrap();
    let close_after_send = matches!(case.expect, Expect::AtEof(_));
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let peer = thread::spawn(move || {
        client.write_all(&wire).unwrap();
        if !close_after_send {
            // Stay connected until the reader has reported the error (or the test gave up).
            let _ = done_rx.recv_timeout(STUCK * 2);
        }
        drop(client);
    });

    let mut reader = FrameReader::with_codec(server, case.codec);
    for (i, expected) in case.good_decoded().iter().enumerate() {
        match reader.read_frame() {
            Ok(Some(frame)) => assert_eq!(&frame[..], &expected[..], "{name}: TCP frame {i}"),
            other => panic!("{name}: TCP frame {i}: {other:?}"),
        }
    }
    let (err, kind) = match &case.expect {
        Expect::Now(err) => (err, io::ErrorKind::InvalidData),
        Expect::AtEof(err) => (err, io::ErrorKind::UnexpectedEof),
    };
    match reader.read_frame() {
        Err(Error::Frame(got)) => {
            assert_eq!(&got, err, "{name}: over TCP");
            assert_eq!(io::Error::from(got).kind(), kind, "{name}: io::ErrorKind");
        }
        other => panic!("{name}: over TCP expected {err:?}, got {other:?}"),
    }
    if let Expect::Now(err) = &case.expect {
        // The reader stays at the bad header: the same error again, without reading.
        match reader.read_frame() {
            Err(Error::Frame(got)) => assert_eq!(&got, err, "{name}: over TCP, again"),
            other => panic!("{name}: over TCP, again: {other:?}"),
        }
    }
    let _ = done_tx.send(());
    peer.join().unwrap();
}

#[test]
fn hostile_table_through_the_core() {
    let rows = table();
    assert!(rows.len() > 60, "the table has {} rows", rows.len());
    for case in &rows {
        check_decoder_all_at_once(case);
        check_decoder_byte_by_byte(case);
        check_decode_slice(case);
        check_stateful_decode_slice(case);
    }
}

#[test]
fn hostile_table_through_blocking_reader_over_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let started = Instant::now();
    for case in &table() {
        check_tcp(&listener, case);
    }
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// The same rows through the async reader over loopback TCP.
#[cfg(feature = "tokio")]
#[test]
fn hostile_table_through_tokio_reader_over_tcp() {
    use tokio::io::AsyncWriteExt;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        for case in &table() {
            let name = &case.name;
            let wire = case.wire();
            let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let close_after_send = matches!(case.expect, Expect::AtEof(_));
            let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
            let peer = tokio::spawn(async move {
                client.write_all(&wire).await.unwrap();
                if !close_after_send {
                    let _ = tokio::time::timeout(STUCK * 2, done_rx).await;
                }
            });
            let mut reader = lenframe::tokio::FrameReader::with_codec(server, case.codec);
            let stuck = |_| panic!("{name}: the async reader is stuck");
            for (i, expected) in case.good_decoded().iter().enumerate() {
                match tokio::time::timeout(STUCK, reader.read_frame())
                    .await
                    .unwrap_or_else(stuck)
                {
                    Ok(Some(frame)) => assert_eq!(&frame[..], &expected[..], "{name}: frame {i}"),
                    other => panic!("{name}: async frame {i}: {other:?}"),
                }
            }
            let err = match &case.expect {
                Expect::Now(err) | Expect::AtEof(err) => err,
            };
            match tokio::time::timeout(STUCK, reader.read_frame())
                .await
                .unwrap_or_else(stuck)
            {
                Err(Error::Frame(got)) => assert_eq!(&got, err, "{name}: async"),
                other => panic!("{name}: async reader expected {err:?}, got {other:?}"),
            }
            let _ = done_tx.send(());
            peer.await.unwrap();
        }
    });
}

/// An in-memory source for the embedded readers: the row's bytes, at most `chunk` a read.
/// With `stays_open` it never ends: past its bytes it fails with [`StillOpen`], which a row
/// whose error must come `Now` never sees unless the reader waits for more bytes.
#[cfg(feature = "embedded-io")]
struct Source {
    bytes: Vec<u8>,
    pos: usize,
    chunk: usize,
    stays_open: bool,
}

#[cfg(feature = "embedded-io")]
impl Source {
    fn new(case: &Case, chunk: usize) -> Source {
        Source {
            bytes: case.wire(),
            pos: 0,
            chunk,
            stays_open: matches!(case.expect, Expect::Now(_)),
        }
    }

    fn take(&mut self, buf: &mut [u8]) -> Result<usize, StillOpen> {
        if self.stays_open && self.pos == self.bytes.len() {
            return Err(StillOpen);
        }
        let n = self.chunk.min(buf.len()).min(self.bytes.len() - self.pos);
        buf[..n].copy_from_slice(&self.bytes[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A read past the bytes of a source that stays open: the reader was waiting for more.
#[cfg(feature = "embedded-io")]
#[derive(Debug)]
struct StillOpen;

#[cfg(feature = "embedded-io")]
impl std::fmt::Display for StillOpen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the reader waited for more bytes")
    }
}

#[cfg(feature = "embedded-io")]
impl std::error::Error for StillOpen {}

#[cfg(feature = "embedded-io")]
impl embedded_io::Error for StillOpen {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::Other
    }
}

#[cfg(feature = "embedded-io")]
impl embedded_io::ErrorType for Source {
    type Error = StillOpen;
}

#[cfg(feature = "embedded-io")]
impl embedded_io::Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, StillOpen> {
        self.take(buf)
    }
}

#[cfg(feature = "embedded-io-async")]
impl embedded_io_async::Read for Source {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, StillOpen> {
        self.take(buf)
    }
}

/// The largest maximum an embedded row lends a buffer for: the default 8 MiB.
#[cfg(feature = "embedded-io")]
const EMBEDDED_MAX: usize = 8 * MIB;

/// The lent buffer's length for `case`, and the error the embedded reader must give.
///
/// The buffer holds the codec's maximum frame, so the error is the row's own; except for the
/// rows whose maximum is over [`EMBEDDED_MAX`] (1 GiB and more, all `TooLarge`), where the
/// buffer holds `EMBEDDED_MAX`: the error is then `TooLarge` for the same length against that,
/// with the likely cause the core names against that maximum.
#[cfg(feature = "embedded-io")]
fn embedded_expectation(case: &Case) -> (usize, FrameError) {
    let codec = &case.codec;
    let longest = codec.length_field_offset()
        + codec
            .length_field()
            .width()
            .unwrap_or(lenframe::MAX_FIELD_LEN);
    let (Expect::Now(err) | Expect::AtEof(err)) = &case.expect;
    if codec.max_decode_len() <= EMBEDDED_MAX {
        return (codec.max_decode_len() + longest, err.clone());
    }
    let FrameError::TooLarge { len, .. } = err else {
        panic!("{}: only TooLarge rows have such a maximum", case.name);
    };
    let mut decoder = codec.decoder();
    decoder.set_max_frame_len(EMBEDDED_MAX);
    let core_err = decoder.decode_slice(&case.bad).unwrap_err();
    assert!(
        matches!(core_err, FrameError::TooLarge { len: l, max: EMBEDDED_MAX, .. } if l == *len),
        "{}: {core_err:?}",
        case.name
    );
    (EMBEDDED_MAX + longest, core_err)
}

/// The blocking and async embedded readers, as the row checks use them.
#[cfg(feature = "embedded-io")]
trait EmbeddedReader {
    fn next(&mut self) -> Result<Option<Vec<u8>>, lenframe::embedded::Error<StillOpen>>;
    fn buffered(&self) -> &[u8];
}

#[cfg(feature = "embedded-io")]
impl EmbeddedReader for lenframe::embedded::FrameReader<'_, Source> {
    fn next(&mut self) -> Result<Option<Vec<u8>>, lenframe::embedded::Error<StillOpen>> {
        Ok(self.read_frame()?.map(<[u8]>::to_vec))
    }

    fn buffered(&self) -> &[u8] {
        self.buffer()
    }
}

#[cfg(feature = "embedded-io-async")]
impl EmbeddedReader for lenframe::embedded_async::FrameReader<'_, Source> {
    fn next(&mut self) -> Result<Option<Vec<u8>>, lenframe::embedded::Error<StillOpen>> {
        // The source is never pending: one poll completes the read.
        let waker = futures_util::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        let mut read = std::pin::pin!(self.read_frame());
        match std::future::Future::poll(read.as_mut(), &mut cx) {
            std::task::Poll::Ready(result) => Ok(result?.map(<[u8]>::to_vec)),
            std::task::Poll::Pending => panic!("a source that is never pending"),
        }
    }

    fn buffered(&self) -> &[u8] {
        self.buffer()
    }
}

/// One row through an embedded reader: the good frames, then the row's error, then the same
/// error again with nothing of the bad frame consumed.
#[cfg(feature = "embedded-io")]
fn check_embedded(case: &Case, reader: &mut impl EmbeddedReader, how: &str) {
    let name = &case.name;
    let (_, expected) = embedded_expectation(case);
    for (i, good) in case.good_decoded().iter().enumerate() {
        match reader.next() {
            Ok(Some(frame)) => assert_eq!(&frame, good, "{name}: {how}: frame {i}"),
            other => panic!("{name}: {how}: frame {i}: {other:?}"),
        }
    }
    for attempt in ["", ", again"] {
        match reader.next() {
            Err(lenframe::embedded::Error::Frame(got)) => {
                assert_eq!(got, expected, "{name}: {how}{attempt}")
            }
            other => panic!("{name}: {how}{attempt}: expected {expected:?}, got {other:?}"),
        }
    }
    let buffered = reader.buffered();
    assert!(
        !buffered.is_empty() && case.bad.starts_with(buffered),
        "{name}: {how}: the bad frame stays buffered from its start"
    );
    if matches!(case.expect, Expect::AtEof(_)) {
        assert_eq!(buffered, &case.bad[..], "{name}: {how}: the partial frame");
    }
}

#[cfg(feature = "embedded-io")]
#[test]
fn hostile_table_through_embedded_reader() {
    for case in &table() {
        let (buf_len, _) = embedded_expectation(case);
        for (chunk, how) in [
            (usize::MAX, "embedded, all at once"),
            (1, "embedded, bytewise"),
        ] {
            let mut buf = vec![0u8; buf_len];
            let source = Source::new(case, chunk);
            let mut reader =
                lenframe::embedded::FrameReader::with_codec(source, case.codec, &mut buf);
            check_embedded(case, &mut reader, how);
        }
    }
}

#[cfg(feature = "embedded-io-async")]
#[test]
fn hostile_table_through_embedded_async_reader() {
    for case in &table() {
        let (buf_len, _) = embedded_expectation(case);
        for (chunk, how) in [(usize::MAX, "async, all at once"), (1, "async, bytewise")] {
            let mut buf = vec![0u8; buf_len];
            let source = Source::new(case, chunk);
            let mut reader =
                lenframe::embedded_async::FrameReader::with_codec(source, case.codec, &mut buf);
            check_embedded(case, &mut reader, how);
        }
    }
}

/// The same rows through the futures-io reader over loopback TCP, with smol.
#[cfg(feature = "futures-io")]
#[test]
fn hostile_table_through_futures_reader_over_tcp() {
    use smol::io::AsyncWriteExt;
    use smol::{future, Timer};

    /// What `read` gives, or a panic if the reader waits for bytes that will not come.
    async fn unstuck<T>(name: &str, read: impl std::future::Future<Output = T>) -> T {
        future::or(read, async {
            Timer::after(STUCK).await;
            panic!("{name}: the futures reader is stuck")
        })
        .await
    }

    smol::block_on(async {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        for case in &table() {
            let name = &case.name;
            let wire = case.wire();
            let mut client = smol::net::TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let close_after_send = matches!(case.expect, Expect::AtEof(_));
            let (done_tx, done_rx) = smol::channel::bounded::<()>(1);
            let peer = smol::spawn(async move {
                client.write_all(&wire).await.unwrap();
                if !close_after_send {
                    // Stay connected until the reader has reported the error (or gave up).
                    future::or(async { done_rx.recv().await.ok() }, async {
                        Timer::after(STUCK * 2).await;
                        None
                    })
                    .await;
                }
            });
            let mut reader = lenframe::futures::FrameReader::with_codec(server, case.codec);
            for (i, expected) in case.good_decoded().iter().enumerate() {
                match unstuck(name, reader.read_frame()).await {
                    Ok(Some(frame)) => assert_eq!(&frame[..], &expected[..], "{name}: frame {i}"),
                    other => panic!("{name}: futures frame {i}: {other:?}"),
                }
            }
            let err = match &case.expect {
                Expect::Now(err) | Expect::AtEof(err) => err,
            };
            match unstuck(name, reader.read_frame()).await {
                Err(Error::Frame(got)) => assert_eq!(&got, err, "{name}: futures"),
                other => panic!("{name}: futures reader expected {err:?}, got {other:?}"),
            }
            if let Expect::Now(err) = &case.expect {
                // The reader stays at the bad header: the same error again.
                match unstuck(name, reader.read_frame()).await {
                    Err(Error::Frame(got)) => assert_eq!(&got, err, "{name}: futures, again"),
                    other => panic!("{name}: futures, again: {other:?}"),
                }
            }
            let _ = done_tx.send(()).await;
            peer.await;
        }
    });
}

#[test]
fn names_are_unique() {
    let rows = table();
    let mut names: Vec<_> = rows.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), rows.len());
}

/// Writes `bytes` one at a time, `gap` apart, then what `then` says.
fn trickle(mut client: TcpStream, bytes: Vec<u8>, gap: Duration, then: &'static [u8], close: bool) {
    for byte in bytes {
        thread::sleep(gap);
        client.write_all(&[byte]).unwrap();
    }
    client.write_all(then).unwrap();
    if !close {
        // Stay connected a little so the reader sees no end of stream.
        let mut sink = [0u8; 1];
        client
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let _ = client.read(&mut sink);
    }
}

/// Calls `read_frame` until it returns something other than a read timeout; counts the
/// timeouts. The socket's read timeout (`WouldBlock` on Unix, `TimedOut` on Windows) comes back
/// as `Error::Io`, and calling again continues the same frame.
fn read_through_timeouts(
    reader: &mut FrameReader<TcpStream>,
) -> (Result<Option<bytes::Bytes>, Error>, usize, usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut timeouts = 0;
    let mut most_buffered = 0;
    loop {
        match reader.read_frame() {
            Err(Error::Io(err))
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                timeouts += 1;
                most_buffered = most_buffered.max(reader.buffer().len());
                assert!(Instant::now() < deadline, "the trickle never finished");
            }
            other => return (other, timeouts, most_buffered),
        }
    }
}

/// A peer that trickles a frame a byte at a time (every 300 ms, standing in for one a second),
/// against a 100 ms read timeout: each read times out, the caller gets `WouldBlock`/`TimedOut`,
/// and calling again continues the same frame; the bytes already read are never lost.
#[test]
fn trickling_peer_against_a_read_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (client, server) = tcp_pair(&listener);
    server
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let frame = b"\x02\x00\x00\x00hi".to_vec();
    let peer = thread::spawn(move || {
        trickle(
            client,
            frame,
            Duration::from_millis(300),
            b"\x04\x00\x00\x00next",
            false,
        )
    });
    let mut reader = FrameReader::new(server);
    let (result, timeouts, most_buffered) = read_through_timeouts(&mut reader);
    assert_eq!(result.unwrap().unwrap(), &b"hi"[..]);
    assert!(
        timeouts >= 5,
        "only {timeouts} timeouts for 6 bytes 300 ms apart"
    );
    assert!(
        most_buffered >= 1,
        "partial bytes were kept between timeouts"
    );
    // The stream is still in step.
    let (result, _, _) = read_through_timeouts(&mut reader);
    assert_eq!(result.unwrap().unwrap(), &b"next"[..]);
    drop(reader); // the peer sees the close and stops waiting
    peer.join().unwrap();
}

/// A peer that trickles part of a frame and then closes: after the timeouts, `Truncated` with
/// the exact counts.
#[test]
fn trickling_peer_that_closes_mid_frame() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (client, server) = tcp_pair(&listener);
    server
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    // A good frame, then header and 2 of 5 payload bytes, a byte every 150 ms.
    let bytes = b"\x01\x00\x00\x00!\x05\x00\x00\x00he".to_vec();
    let peer = thread::spawn(move || trickle(client, bytes, Duration::from_millis(150), b"", true));
    let mut reader = FrameReader::new(server);
    let (first, _, _) = read_through_timeouts(&mut reader);
    assert_eq!(first.unwrap().unwrap(), &b"!"[..]);
    let (result, timeouts, _) = read_through_timeouts(&mut reader);
    assert!(timeouts >= 3);
    match result {
        Err(Error::Frame(FrameError::Truncated {
            expected,
            got,
            guess: None,
        })) => {
            assert_eq!((expected, got), (9, 6));
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
    peer.join().unwrap();
}
