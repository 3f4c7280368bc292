//! The blocking adapters over real loopback TCP connections and scripted in-memory I/O.
//!
//! Every socket is 127.0.0.1 with an ephemeral port and read/write timeouts, and every thread is
//! joined, so each test is bounded in time and stops by itself.

use std::io::{self, Cursor, ErrorKind, IoSlice, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::{Codec, Error, FrameError};

const TIMEOUT: Duration = Duration::from_secs(20);

/// A connected pair of loopback streams, with timeouts so that no test can hang.
fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    for stream in [&client, &server] {
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    }
    (client, server)
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
}

/// A payload of `len` bytes that differs from frame to frame.
fn payload(index: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + index * 7) as u8).collect()
}

fn encode_all(codec: Codec, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    for frame in frames {
        codec.encoder().encode(frame, &mut wire).unwrap();
    }
    wire.to_vec()
}

fn read_all<R: Read>(reader: &mut FrameReader<R>) -> Vec<Bytes> {
    let mut frames = Vec::new();
    while let Some(frame) = reader.read_frame().unwrap() {
        frames.push(frame);
    }
    frames
}

fn is_retry(err: &Error) -> bool {
    matches!(err, Error::Io(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut))
}

/// Calls `f` until it does not fail with `WouldBlock`/`TimedOut`, for at most `TIMEOUT`.
fn retry<T>(mut f: impl FnMut() -> Result<T, Error>) -> T {
    let start = Instant::now();
    loop {
        match f() {
            Ok(value) => return value,
            Err(err) if is_retry(&err) && start.elapsed() < TIMEOUT => {
                thread::sleep(Duration::from_millis(1))
            }
            Err(err) => panic!("unexpected error: {err}"),
        }
    }
}

/// Waits until `cond` holds, for at most `TIMEOUT`.
fn wait_until(mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < TIMEOUT, "timed out waiting");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn many_frames_of_mixed_sizes_arrive_whole_and_in_order() {
    let frames = mixed_size_frames(0x5eed);
    let (writer, server) = send_then_close(frames.clone());
    let mut reader = FrameReader::new(server);
    let got = read_all(&mut reader);
    writer.join().unwrap();
    assert_eq!(got.len(), frames.len());
    assert!(got.iter().zip(&frames).all(|(a, b)| a == b));
    assert_eq!(reader.read_frame().unwrap(), None, "still the end");
}

#[test]
fn frames_sent_a_byte_at_a_time_arrive_whole() {
    let frames: Vec<Vec<u8>> = (0..150).map(|i| payload(i, i % 40)).collect();
    let wire = encode_all(Codec::default(), &frames);
    let (client, server) = tcp_pair();
    client.set_nodelay(true).unwrap();
    let writer = thread::spawn(move || {
        let mut client = client;
        for byte in wire {
            client.write_all(&[byte]).unwrap();
        }
    });
    let got: Vec<Bytes> = FrameReader::new(server).collect::<Result<_, _>>().unwrap();
    writer.join().unwrap();
    assert_eq!(got, frames);
}

/// Hands out the bytes in the pieces given, one piece per `read`.
struct Pieces {
    pieces: Vec<Vec<u8>>,
    next: usize,
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pieces.get(self.next).is_some_and(Vec::is_empty) {
            self.next += 1;
        }
        let Some(piece) = self.pieces.get_mut(self.next) else {
            return Ok(0);
        };
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        piece.drain(..n);
        if piece.is_empty() {
            self.next += 1;
        }
        Ok(n)
    }
}

#[test]
fn frames_split_at_every_point_arrive_whole() {
    let frames = vec![
        b"aaa".to_vec(),
        Vec::new(),
        b"hello, world".to_vec(),
        vec![9; 200],
    ];
    for codec in ["<i", "!I", "<H", "B", "q"] {
        let codec = Codec::from_struct_format(codec).unwrap();
        let wire = encode_all(codec, &frames);
        for a in 0..=wire.len() {
            for b in [a, (a + 1).min(wire.len()), (a + 5).min(wire.len())] {
                let pieces = vec![wire[..a].to_vec(), wire[a..b].to_vec(), wire[b..].to_vec()];
                let mut reader = FrameReader::with_codec(Pieces { pieces, next: 0 }, codec);
                assert_eq!(read_all(&mut reader), frames, "split at {a} and {b}");
                // The same, streaming every payload out.
                let pieces = vec![wire[..a].to_vec(), wire[a..b].to_vec(), wire[b..].to_vec()];
                let mut reader = FrameReader::with_codec(Pieces { pieces, next: 0 }, codec);
                for frame in &frames {
                    let mut out = Vec::new();
                    assert_eq!(
                        reader.copy_frame_to(&mut out).unwrap(),
                        Some(frame.len() as u64)
                    );
                    assert_eq!(&out, frame);
                }
                assert_eq!(reader.copy_frame_to(&mut Vec::new()).unwrap(), None);
            }
        }
    }
}

#[test]
fn zero_length_frames_over_loopback() {
    let frames: Vec<Vec<u8>> = (0..2000)
        .map(|i| {
            if i % 3 == 0 {
                vec![i as u8]
            } else {
                Vec::new()
            }
        })
        .collect();
    let (client, server) = tcp_pair();
    let sent = frames.clone();
    let writer = thread::spawn(move || {
        let mut writer = FrameWriter::new(client);
        for frame in &sent {
            writer.write_frame(frame).unwrap();
        }
        writer.flush().unwrap();
    });
    let got = read_all(&mut FrameReader::new(server));
    writer.join().unwrap();
    assert_eq!(got, frames);
}

/// Writes `bytes` to one end of a fresh connection, closes it, and returns the other end.
fn peer_sends(bytes: &[u8]) -> TcpStream {
    let (mut client, server) = tcp_pair();
    client.write_all(bytes).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    server
}

#[test]
fn eof_on_a_frame_boundary_is_a_clean_end() {
    let server = peer_sends(b"\x03\0\0\0aaa\x00\0\0\0");
    let mut reader = FrameReader::new(server);
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"aaa"[..]);
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b""[..]);
    assert_eq!(reader.read_frame().unwrap(), None);
    assert_eq!(reader.read_frame().unwrap(), None, "and again");
    assert_eq!(reader.copy_frame_to(&mut Vec::new()).unwrap(), None);
    assert_eq!(reader.next().map(|r| r.is_ok()), None);

    let server = peer_sends(b"");
    assert_eq!(FrameReader::new(server).read_frame().unwrap(), None);
}

fn assert_truncated(result: Result<impl std::fmt::Debug, Error>, expected: u64, got: u64) {
    match result {
        Err(Error::Frame(FrameError::Truncated {
            expected: e,
            got: g,
            guess: None,
        })) => {
            assert_eq!((e, g), (expected, got), "Truncated {{ expected, got }}");
            let io: io::Error = Error::Frame(FrameError::Truncated {
                expected,
                got,
                guess: None,
            })
            .into();
            assert_eq!(io.kind(), ErrorKind::UnexpectedEof);
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[test]
fn eof_inside_a_header_is_truncated() {
    let wire = b"\x03\0\0\0aaa\x05\0";
    let mut reader = FrameReader::new(peer_sends(wire));
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"aaa"[..]);
    assert_truncated(reader.read_frame(), 4, 2);
    assert_truncated(reader.read_frame(), 4, 2);
    assert_eq!(reader.buffer(), b"\x05\0", "the partial header is kept");

    let mut reader = FrameReader::new(peer_sends(wire));
    assert_eq!(reader.copy_frame_to(&mut Vec::new()).unwrap(), Some(3));
    assert_truncated(reader.copy_frame_to(&mut Vec::new()), 4, 2);

    // The iterator yields the error once, then ends.
    let mut frames = FrameReader::new(peer_sends(wire));
    assert!(frames.next().unwrap().is_ok());
    assert!(frames.next().unwrap().is_err());
    assert!(frames.next().is_none());
}

#[test]
fn eof_inside_a_body_is_truncated() {
    let wire = b"\x0a\0\0\0hell";
    let mut reader = FrameReader::new(peer_sends(wire));
    assert_truncated(reader.read_frame(), 14, 8);
    assert_eq!(reader.buffer(), wire, "the partial frame is kept");

    let mut reader = FrameReader::new(peer_sends(wire));
    let mut out = Vec::new();
    assert_truncated(reader.copy_frame_to(&mut out), 14, 8);
    assert_eq!(out, b"hell", "what arrived was copied");
    assert_eq!(reader.copy_remaining(), Some(6));
}

#[test]
fn a_bad_length_is_invalid_data() {
    let mut reader = FrameReader::new(peer_sends(b"\xff\xff\xff\xffabc"));
    let err = reader.read_frame().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Frame(FrameError::NegativeLength {
                len: -1,
                guess: None
            })
        ),
        "{err}"
    );
    assert_eq!(io::Error::from(err).kind(), ErrorKind::InvalidData);
    assert!(reader.read_frame().is_err(), "the stream is out of step");
}

#[test]
fn an_oversized_header_is_refused_before_its_body_arrives() {
    // The peer announces 1 GiB and sends nothing more, keeping the connection open.
    let (mut client, server) = tcp_pair();
    client.write_all(&(1u32 << 30).to_le_bytes()).unwrap();
    let mut reader = FrameReader::new(server);
    let err = reader.read_frame().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Frame(FrameError::TooLarge {
                len: 1_073_741_824,
                max: 8_388_608,
                ..
            })
        ),
        "{err}"
    );
    assert_eq!(io::Error::from(err).kind(), ErrorKind::InvalidData);
    drop(client);
}

#[test]
fn oversized_frames_are_skipped_when_asked() {
    let codec = Codec::builder()
        .max_frame_len(8)
        .skip_oversized(true)
        .build()
        .unwrap();
    // An oversized frame, a good one, then a truncated one: all in one read.
    let wire = b"\x0a\0\0\x000123456789\x03\0\0\0abc\x08\0\0\0xy";
    let mut reader = FrameReader::with_codec(&wire[..], codec);
    assert!(matches!(
        reader.read_frame(),
        Err(Error::Frame(FrameError::TooLarge {
            len: 10,
            max: 8,
            guess: None
        }))
    ));
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"abc"[..]);
    assert_truncated(reader.read_frame(), 12, 6);

    // copy_frame_to: the skipped body and the next header go in one decoder call, and the
    // truncation is still counted from the right header.
    let mut reader = FrameReader::with_codec(&wire[..], codec);
    let mut out = Vec::new();
    assert!(matches!(
        reader.copy_frame_to(&mut out),
        Err(Error::Frame(FrameError::TooLarge {
            len: 10,
            max: 8,
            guess: None
        }))
    ));
    assert_eq!(reader.copy_frame_to(&mut out).unwrap(), Some(3));
    assert_eq!(out, b"abc");
    assert_truncated(reader.copy_frame_to(&mut Vec::new()), 12, 6);

    // The iterator goes on after a skipped frame.
    let frames: Vec<_> = FrameReader::with_codec(&wire[..], codec).collect();
    assert_eq!(frames.len(), 3);
    assert!(frames[0].is_err() && frames[2].is_err());
    assert_eq!(frames[1].as_ref().unwrap(), &b"abc"[..]);
}

#[test]
fn nonblocking_read_keeps_a_partial_frame_across_would_block() {
    let (mut client, server) = tcp_pair();
    client.set_nodelay(true).unwrap();
    server.set_nonblocking(true).unwrap();
    let mut reader = FrameReader::new(server);

    // Nothing sent yet.
    let err = reader.read_frame().unwrap_err();
    assert!(is_retry(&err), "{err}");

    // Half a body: the reader keeps the header and the bytes, reporting WouldBlock.
    client.write_all(b"\x0a\0\0\0hello").unwrap();
    wait_until(|| {
        let err = reader.read_frame().unwrap_err();
        assert!(is_retry(&err), "{err}");
        reader.buffer().len() == 9
    });
    assert_eq!(reader.buffer(), b"\x0a\0\0\0hello");

    // The rest, and half of the next header.
    client.write_all(b"world\x02\0").unwrap();
    let frame = retry(|| reader.read_frame()).unwrap();
    assert_eq!(frame, &b"helloworld"[..]);
    wait_until(|| {
        assert!(is_retry(&reader.read_frame().unwrap_err()));
        reader.buffer() == b"\x02\0"
    });

    client.write_all(b"\0\0hi").unwrap();
    assert_eq!(retry(|| reader.read_frame()).unwrap(), &b"hi"[..]);

    // copy_frame_to stops inside the payload and continues where it stopped.
    client.write_all(b"\x08\0\0\0abcd").unwrap();
    let mut out = Vec::new();
    wait_until(|| {
        let err = reader.copy_frame_to(&mut out).unwrap_err();
        assert!(is_retry(&err), "{err}");
        out.len() == 4
    });
    assert_eq!(reader.copy_remaining(), Some(4));
    assert!(
        reader.read_frame().is_err(),
        "no reading past a half-copied frame"
    );
    client.write_all(b"efgh").unwrap();
    assert_eq!(retry(|| reader.copy_frame_to(&mut out)), Some(8));
    assert_eq!(out, b"abcdefgh");
    assert_eq!(reader.copy_remaining(), None);

    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(retry(|| reader.read_frame()), None);
}

#[test]
fn read_timeout_keeps_a_partial_frame() {
    let (mut client, server) = tcp_pair();
    client.set_nodelay(true).unwrap();
    server
        .set_read_timeout(Some(Duration::from_millis(30)))
        .unwrap();
    let mut reader = FrameReader::new(server);
    client.write_all(b"\x06\0\0\0abc").unwrap();
    wait_until(|| {
        let err = reader.read_frame().unwrap_err();
        // WouldBlock on Unix, TimedOut on Windows.
        assert!(is_retry(&err), "{err}");
        reader.buffer().len() == 7
    });
    client.write_all(b"def").unwrap();
    assert_eq!(retry(|| reader.read_frame()).unwrap(), &b"abcdef"[..]);
}

#[test]
fn nonblocking_write_resumes_after_would_block_without_losing_or_repeating_bytes() {
    let codec = Codec::builder().max_frame_len(64 << 20).build().unwrap();
    let frames: Vec<Vec<u8>> = (0..6)
        .map(|i| payload(i, if i % 2 == 0 { 12 << 20 } else { 100 }))
        .collect();
    let (client, server) = tcp_pair();
    client.set_nonblocking(true).unwrap();
    let (start, start_rx) = mpsc::channel::<()>();
    let reader = thread::spawn(move || {
        // Read nothing until the writer has hit WouldBlock (the first `start`; the writer sends
        // one at every WouldBlock, and the rest go unread).
        start_rx.recv().unwrap();
        let mut reader = FrameReader::with_codec(server, codec);
        read_all(&mut reader)
    });
    let mut writer = FrameWriter::with_codec(client, codec);
    let mut would_block = 0;
    let mut accepted_with_rest_buffered = 0;
    let deadline = Instant::now() + TIMEOUT;
    for (i, frame) in frames.iter().enumerate() {
        // A second large frame is written through once the first one's bytes have gone.
        let through = frame.len() >= writer.buffer_size();
        loop {
            assert!(Instant::now() < deadline, "timed out");
            match writer.write_frame(frame) {
                Ok(()) => break,
                Err(err) if is_retry(&err) => {
                    would_block += 1;
                    let _ = start.send(());
                    thread::sleep(Duration::from_millis(1));
                }
                Err(err) => panic!("frame {i}: {err}"),
            }
        }
        if through && writer.buffered_len() != 0 {
            accepted_with_rest_buffered += 1;
        }
    }
    let _ = start.send(());
    retry(|| writer.flush());
    writer
        .into_inner()
        .unwrap()
        .shutdown(Shutdown::Write)
        .unwrap();
    let got = reader.join().unwrap();
    assert_eq!(got.len(), frames.len());
    assert!(got.iter().zip(&frames).all(|(a, b)| a == b));
    assert!(
        would_block > 0,
        "the socket never filled up: the test proved nothing"
    );
    assert!(
        accepted_with_rest_buffered > 0,
        "no large frame was cut by WouldBlock"
    );
}

#[test]
fn nonblocking_copy_frame_from_resumes_after_would_block() {
    let codec = Codec::builder().max_frame_len(64 << 20).build().unwrap();
    let big = payload(1, 24 << 20);
    let (client, server) = tcp_pair();
    client.set_nonblocking(true).unwrap();
    let (start, start_rx) = mpsc::channel::<()>();
    let reader = thread::spawn(move || {
        // Read nothing until the writer has hit WouldBlock, as above.
        start_rx.recv().unwrap();
        let mut reader = FrameReader::with_codec(server, codec);
        let mut out = Vec::new();
        let len = reader.copy_frame_to(&mut out).unwrap();
        let next = reader.read_frame().unwrap();
        (len, out, next, reader.read_frame().unwrap())
    });
    let mut writer = FrameWriter::with_codec(client, codec);
    let mut src = Cursor::new(&big);
    let mut would_block = 0;
    retry(|| {
        let result = writer.copy_frame_from(big.len() as u64, &mut src);
        if result.is_err() {
            would_block += 1;
            assert!(writer.copy_remaining().is_some());
            let _ = start.send(());
        }
        result
    });
    retry(|| writer.write_frame(b"next"));
    let _ = start.send(());
    retry(|| writer.flush());
    drop(writer.into_inner().unwrap());
    let (len, out, next, end) = reader.join().unwrap();
    assert_eq!(len, Some(big.len() as u64));
    assert!(out == big, "the payload arrived intact");
    assert_eq!(next.unwrap(), &b"next"[..]);
    assert_eq!(end, None);
    assert!(
        would_block > 0,
        "the socket never filled up: the test proved nothing"
    );
}

#[test]
fn a_big_frame_streams_both_ways_over_loopback() {
    let codec = Codec::builder().max_frame_len(64 << 20).build().unwrap();
    let big = payload(3, 20 << 20);
    let (client, server) = tcp_pair();
    let sent = big.clone();
    let writer = thread::spawn(move || {
        let mut writer = FrameWriter::with_codec(client, codec);
        writer.write_frame(b"before").unwrap();
        writer
            .copy_frame_from(sent.len() as u64, &mut &sent[..])
            .unwrap();
        writer.write_frame(b"after").unwrap();
        writer.write_frame(&sent).unwrap();
    });
    let mut reader = FrameReader::with_codec(server, codec);
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"before"[..]);
    let mut out = Vec::new();
    assert_eq!(
        reader.copy_frame_to(&mut out).unwrap(),
        Some(big.len() as u64)
    );
    assert!(out == big);
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"after"[..]);
    assert!(reader.read_frame().unwrap().unwrap() == big);
    assert_eq!(reader.read_frame().unwrap(), None);
    writer.join().unwrap();
}

/// A run of 64 KiB frames with no flush between: the first goes out before its call returns,
/// the next are copied and go out together once `max_write_size` (1 MiB) is buffered, and the
/// flush ends the run (the next large frame goes out at once again).
#[test]
fn a_run_of_large_frames_goes_out_a_mib_at_a_time_until_the_flush() {
    let frame = vec![7u8; 64 * 1024];
    let wire = 4 + frame.len();
    let mut writer = FrameWriter::new(Recorder::default());
    writer.write_frame(&frame).unwrap();
    assert_eq!(writer.get_ref().out.len(), wire, "the first: at once");
    for _ in 0..40 {
        writer.write_frame(&frame).unwrap();
    }
    // 16 frames make 1 MiB and 64 bytes: written when the 17th comes, twice in 40 frames.
    assert_eq!(writer.get_ref().calls, 3);
    assert_eq!(writer.get_ref().out.len(), 33 * wire);
    assert_eq!(writer.buffered_len(), 8 * wire);
    writer.flush().unwrap();
    assert_eq!(writer.get_ref().calls, 4);
    writer.write_frame(&frame).unwrap();
    assert_eq!(writer.get_ref().calls, 5, "after the flush: at once");
    assert_eq!(writer.get_ref().out.len(), 42 * wire);
    let mut reader = FrameReader::new(&writer.get_ref().out[..]);
    assert_eq!(read_all(&mut reader).len(), 42);
}

/// Counts write calls and records every slice it was handed, accepting at most `limit` bytes
/// per call.
#[derive(Default)]
struct Recorder {
    out: Vec<u8>,
    calls: usize,
    slices: Vec<(usize, usize)>,
    limit: Option<usize>,
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.calls += 1;
        let mut limit = self.limit.unwrap_or(usize::MAX);
        let mut n = 0;
        for buf in bufs {
            self.slices.push((buf.as_ptr() as usize, buf.len()));
            let take = buf.len().min(limit);
            self.out.extend_from_slice(&buf[..take]);
            n += take;
            limit -= take;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn small_frames_are_coalesced_into_one_write() {
    let mut writer = FrameWriter::new(Recorder::default());
    for i in 0..1000u32 {
        writer.write_frame(i.to_le_bytes()).unwrap();
    }
    assert_eq!(
        writer.get_ref().calls,
        0,
        "all 8000 bytes fit in the buffer"
    );
    writer.flush().unwrap();
    assert_eq!(writer.get_ref().calls, 1);
    let mut reader = FrameReader::new(&writer.get_ref().out[..]);
    for i in 0..1000u32 {
        assert_eq!(reader.read_frame().unwrap().unwrap(), &i.to_le_bytes()[..]);
    }
}

#[test]
fn a_large_payload_goes_out_from_the_callers_slice() {
    let big = payload(0, 300_000);
    for limit in [None, Some(1000), Some(3), Some(1)] {
        let recorder = Recorder {
            limit,
            ..Recorder::default()
        };
        let mut writer = FrameWriter::new(recorder);
        writer.write_frame(b"small").unwrap();
        writer.write_frame(&big).unwrap();
        assert!(
            (writer.buffered_len() == 0),
            "written before write_frame returned"
        );
        let recorder = writer.get_ref();
        let from_big = recorder
            .slices
            .iter()
            .filter(|(ptr, len)| {
                let start = big.as_ptr() as usize;
                *ptr >= start && ptr + len <= start + big.len()
            })
            .count();
        assert!(
            from_big > 0,
            "the payload was handed to the writer in place"
        );
        if limit.is_none() {
            assert_eq!(
                recorder.calls, 1,
                "buffered frame, header and payload in one write"
            );
        }
        let mut reader = FrameReader::new(&recorder.out[..]);
        assert_eq!(reader.read_frame().unwrap().unwrap(), &b"small"[..]);
        assert!(reader.read_frame().unwrap().unwrap() == big);
        assert_eq!(reader.read_frame().unwrap(), None);
    }
}

/// Accepts `accept_first` bytes, fails once with `kind`, then accepts everything.
struct FailOnce {
    out: Vec<u8>,
    kind: ErrorKind,
    accept_first: usize,
    failed: bool,
}

impl Write for FailOnce {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.failed && self.out.len() >= self.accept_first {
            self.failed = true;
            return Err(self.kind.into());
        }
        let n = buf.len().min(if self.failed {
            usize::MAX
        } else {
            self.accept_first - self.out.len()
        });
        self.out.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_large_frame_cut_by_an_error_is_accepted_and_finished_by_flush() {
    let big = payload(5, 100_000);
    // The error strikes before the frame starts, inside its header, and inside its payload.
    for (accept_first, accepted) in [(0, false), (2, true), (50_000, true)] {
        let sink = FailOnce {
            out: Vec::new(),
            kind: ErrorKind::WouldBlock,
            accept_first,
            failed: false,
        };
        let mut writer = FrameWriter::new(sink);
        let result = writer.write_frame(&big);
        assert_eq!(result.is_ok(), accepted, "cut after {accept_first} bytes");
        if accepted {
            assert_eq!(writer.buffered_len(), 4 + big.len() - accept_first);
        } else {
            assert!((writer.buffered_len() == 0), "nothing of the frame kept");
            writer.write_frame(&big).unwrap(); // the caller retries
        }
        let wire = writer.into_inner().unwrap().out;
        let frames = read_all(&mut FrameReader::new(&wire[..]));
        assert_eq!(frames.len(), 1, "exactly once");
        assert!(frames[0] == big);
    }
}

/// Returns `Interrupted` on every other call.
struct Interrupting<T> {
    inner: T,
    flip: bool,
}

impl<T: Read> Read for Interrupting<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.flip = !self.flip;
        if self.flip {
            return Err(ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(3);
        self.inner.read(&mut buf[..n])
    }
}

impl<T: Write> Write for Interrupting<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.flip = !self.flip;
        if self.flip {
            return Err(ErrorKind::Interrupted.into());
        }
        self.inner.write(&buf[..buf.len().min(3)])
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flip = !self.flip;
        if self.flip {
            return Err(ErrorKind::Interrupted.into());
        }
        self.inner.flush()
    }
}

#[test]
fn interrupted_is_retried_inside() {
    let frames = vec![b"aaa".to_vec(), Vec::new(), payload(1, 70_000)];
    let sink = Interrupting {
        inner: Vec::new(),
        flip: false,
    };
    let mut writer = FrameWriter::new(sink);
    for frame in &frames {
        writer.write_frame(frame).unwrap();
    }
    writer
        .copy_frame_from(
            5,
            &mut Interrupting {
                inner: &b"hello"[..],
                flip: false,
            },
        )
        .unwrap();
    let wire = writer.into_inner().unwrap().inner;

    let source = Interrupting {
        inner: &wire[..],
        flip: false,
    };
    let mut reader = FrameReader::new(source);
    assert_eq!(read_n(&mut reader, 3), frames);
    let mut out = Interrupting {
        inner: Vec::new(),
        flip: false,
    };
    assert_eq!(reader.copy_frame_to(&mut out).unwrap(), Some(5));
    assert_eq!(out.inner, b"hello");
    assert_eq!(reader.read_frame().unwrap(), None);
}

fn read_n<R: Read>(reader: &mut FrameReader<R>, n: usize) -> Vec<Bytes> {
    (0..n)
        .map(|_| reader.read_frame().unwrap().unwrap())
        .collect()
}

#[test]
fn copy_frame_from_continues_after_its_source_ends_early() {
    let mut writer = FrameWriter::new(Vec::new());
    let err = writer.copy_frame_from(10, &mut &b"hello"[..]).unwrap_err();
    assert!(
        matches!(err, Error::SourceEnded { len: 10, left: 5 }),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    assert_eq!(writer.copy_remaining(), Some(5));
    // Nothing else may go in the middle of the frame.
    let err = writer.write_frame(b"x").unwrap_err();
    assert!(
        matches!(err, Error::CopyUnfinished { len: 10, left: 5 }),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = writer.copy_frame_from(3, &mut &b"abc"[..]).unwrap_err();
    assert!(
        matches!(err, Error::CopyUnfinished { len: 10, left: 5 }),
        "{err}"
    );
    // The rest of the payload finishes it.
    writer.copy_frame_from(10, &mut &b"world"[..]).unwrap();
    assert_eq!(writer.copy_remaining(), None);
    writer.write_frame(b"x").unwrap();
    let wire = writer.into_inner().unwrap();
    assert_eq!(wire, b"\x0a\0\0\0helloworld\x01\0\0\0x");
}

#[test]
fn payloads_the_codec_cannot_frame_write_nothing() {
    let codec = Codec::from_struct_format("B").unwrap();
    let mut writer = FrameWriter::with_codec(Vec::new(), codec);
    writer.write_frame(b"ok").unwrap();
    let err = writer.write_frame([0; 300]).unwrap_err();
    assert!(matches!(err, Error::Encode(_)), "{err}");
    assert!(matches!(
        writer.copy_frame_from(300, &mut &[0u8; 300][..]),
        Err(Error::Encode(_))
    ));
    assert_eq!(writer.copy_remaining(), None);
    assert_eq!(writer.into_inner().unwrap(), b"\x02ok");
}

#[test]
fn dropping_the_writer_writes_what_is_buffered() {
    let (client, server) = tcp_pair();
    {
        let mut writer = FrameWriter::new(client);
        writer.write_frame(b"bye").unwrap();
    }
    let mut reader = FrameReader::new(server);
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"bye"[..]);
    assert_eq!(reader.read_frame().unwrap(), None);
}

#[test]
fn into_parts_returns_what_was_not_written() {
    let mut writer = FrameWriter::with_codec(Vec::new(), Codec::default()).with_buffer_size(16);
    writer.write_frame(b"abc").unwrap();
    writer.write_frame(b"defg").unwrap();
    let (inner, unsent) = writer.into_parts();
    assert!(inner.is_empty());
    assert_eq!(&unsent[..], b"\x03\0\0\0abc\x04\0\0\0defg");

    let mut reader = FrameReader::new(&b"\x01\0\0\0a\x02\0\0\0b"[..]);
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"a"[..]);
    let (_, buffered) = reader.into_parts();
    assert_eq!(&buffered[..], b"\x02\0\0\0b");
}

#[test]
fn an_unbuffered_writer_writes_each_frame_at_once() {
    let mut writer =
        FrameWriter::with_codec(Recorder::default(), Codec::default()).with_buffer_size(0);
    writer.write_frame(b"abc").unwrap();
    assert_eq!(writer.get_ref().out, b"\x03\0\0\0abc");
    writer.copy_frame_from(2, &mut &b"hi"[..]).unwrap();
    writer.flush().unwrap();
    assert_eq!(writer.get_ref().out, b"\x03\0\0\0abc\x02\0\0\0hi");
}

#[test]
fn keep_header_returns_whole_frames_but_copies_payloads() {
    let codec = Codec::builder().keep_header(true).build().unwrap();
    let wire = b"\x02\0\0\0hi\x02\0\0\0yo";
    let mut reader = FrameReader::with_codec(&wire[..], codec);
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"\x02\0\0\0hi"[..]);
    let mut out = Vec::new();
    assert_eq!(reader.copy_frame_to(&mut out).unwrap(), Some(2));
    assert_eq!(out, b"yo");
}

#[test]
fn a_small_read_size_still_reads_big_frames() {
    let frames = vec![payload(0, 10_000), Vec::new(), payload(1, 3)];
    let wire = encode_all(Codec::default(), &frames);
    let mut reader = FrameReader::with_codec(&wire[..], Codec::default()).with_max_read_size(7);
    assert_eq!(read_all(&mut reader), frames);
}

/// Reads every frame with `read_frame_ref`, copying each out.
fn read_all_ref<R: Read>(reader: &mut FrameReader<R>) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    while let Some(frame) = reader.read_frame_ref().unwrap() {
        frames.push(frame.to_vec());
    }
    frames
}

#[test]
fn read_frame_ref_lends_the_same_frames_over_loopback() {
    let frames = mixed_size_frames(0xb0a7);
    let (writer, server) = send_then_close(frames.clone());
    let mut reader = FrameReader::new(server);
    // Mixed with read_frame and copy_frame_to on the same reader.
    let mut got = Vec::new();
    for i in 0.. {
        let frame = match i % 3 {
            0 => reader.read_frame().unwrap().map(|f| f.to_vec()),
            1 => {
                let mut out = Vec::new();
                reader.copy_frame_to(&mut out).unwrap().map(|_| out)
            }
            _ => reader.read_frame_ref().unwrap().map(<[u8]>::to_vec),
        };
        match frame {
            Some(frame) => got.push(frame),
            None => break,
        }
    }
    writer.join().unwrap();
    assert_eq!(got.len(), frames.len());
    assert!(got == frames);
    assert_eq!(reader.read_frame_ref().unwrap(), None, "still the end");
    assert!(reader.buffer().is_empty());
}

#[test]
fn read_frame_ref_honours_the_settings() {
    let codec = Codec::builder().keep_header(true).build().unwrap();
    let wire = b"\x03\0\0\0aaa\x00\0\0\0";
    let mut reader = FrameReader::with_codec(&wire[..], codec);
    assert_eq!(
        reader.read_frame_ref().unwrap(),
        Some(&b"\x03\0\0\0aaa"[..])
    );
    assert_eq!(reader.read_frame_ref().unwrap(), Some(&b"\0\0\0\0"[..]));
    assert_eq!(reader.read_frame_ref().unwrap(), None);

    // Oversized frames: refused, or skipped when asked, as with read_frame.
    let wire = b"\x0a\0\0\x000123456789\x03\0\0\0abc\x08\0\0\0xy";
    let strict = Codec::builder().max_frame_len(8).build().unwrap();
    let mut reader = FrameReader::with_codec(&wire[..], strict);
    for _ in 0..2 {
        assert!(matches!(
            reader.read_frame_ref(),
            Err(Error::Frame(FrameError::TooLarge {
                len: 10,
                max: 8,
                guess: None
            }))
        ));
    }
    let skip = strict.to_builder().skip_oversized(true).build().unwrap();
    let mut reader = FrameReader::with_codec(&wire[..], skip);
    assert!(matches!(
        reader.read_frame_ref(),
        Err(Error::Frame(FrameError::TooLarge {
            len: 10,
            max: 8,
            guess: None
        }))
    ));
    assert_eq!(reader.read_frame_ref().unwrap(), Some(&b"abc"[..]));
    assert_truncated(reader.read_frame_ref(), 12, 6);
    assert_eq!(reader.buffer(), b"\x08\0\0\0xy");
}

#[test]
fn read_frame_ref_at_the_end_of_the_stream() {
    let mut reader = FrameReader::new(peer_sends(b"\x03\0\0\0aaa\x00\0\0\0"));
    assert_eq!(read_all_ref(&mut reader), [&b"aaa"[..], b""]);
    assert_eq!(reader.read_frame_ref().unwrap(), None, "and again");

    let wire = b"\x03\0\0\0aaa\x05\0";
    let mut reader = FrameReader::new(peer_sends(wire));
    assert_eq!(reader.read_frame_ref().unwrap(), Some(&b"aaa"[..]));
    assert_truncated(reader.read_frame_ref(), 4, 2);
    assert_truncated(reader.read_frame_ref(), 4, 2);
    assert_eq!(reader.buffer(), b"\x05\0", "the partial header is kept");

    let wire = b"\x0a\0\0\0hell";
    let mut reader = FrameReader::new(peer_sends(wire));
    assert_truncated(reader.read_frame_ref(), 14, 8);
    assert_eq!(reader.buffer(), wire, "the partial frame is kept");

    // into_parts after a lent frame: the lent frame is gone, the rest is kept.
    let wire: &[u8] = b"\x02\0\0\0hiRAW";
    let mut reader = FrameReader::new(wire);
    assert_eq!(reader.read_frame_ref().unwrap(), Some(&b"hi"[..]));
    assert_eq!(reader.buffer(), b"RAW");
    let (_, buffered) = reader.into_parts();
    assert_eq!(&buffered[..], b"RAW");
}

#[test]
fn read_frame_ref_keeps_a_partial_frame_across_would_block() {
    let (mut client, server) = tcp_pair();
    client.set_nodelay(true).unwrap();
    server.set_nonblocking(true).unwrap();
    let mut reader = FrameReader::new(server);
    assert!(is_retry(&reader.read_frame_ref().unwrap_err()));

    client.write_all(b"\x0a\0\0\0hello").unwrap();
    wait_until(|| {
        let err = reader.read_frame_ref().unwrap_err();
        assert!(is_retry(&err), "{err}");
        reader.buffer().len() == 9
    });
    assert_eq!(reader.buffer(), b"\x0a\0\0\0hello");

    client.write_all(b"world\x02\0").unwrap();
    let frame = loop {
        match reader.read_frame_ref() {
            Ok(frame) => break frame.unwrap().to_vec(),
            Err(err) if is_retry(&err) => thread::sleep(Duration::from_millis(1)),
            Err(err) => panic!("{err}"),
        }
    };
    assert_eq!(frame, b"helloworld");
    wait_until(|| {
        assert!(is_retry(&reader.read_frame_ref().unwrap_err()));
        reader.buffer() == b"\x02\0"
    });
    client.write_all(b"\0\0hi").unwrap();
    assert_eq!(retry(|| reader.read_frame()).unwrap(), &b"hi"[..]);

    client.shutdown(Shutdown::Write).unwrap();
    wait_until(|| match reader.read_frame_ref() {
        Ok(frame) => {
            assert_eq!(frame, None);
            true
        }
        Err(err) => {
            assert!(is_retry(&err), "{err}");
            false
        }
    });
}

/// 3000 frames, mostly small, some empty, some just over the writer's buffer, a few of 1 MiB
/// (written straight from the caller's slice).
fn mixed_size_frames(seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed);
    (0..3000)
        .map(|i| {
            let len = match rng.below(100) {
                0 => 1 << 20,
                1..=4 => 64 * 1024 + rng.below(100_000),
                5..=15 => 0,
                _ => rng.below(400),
            };
            payload(i, len)
        })
        .collect()
}

/// A loopback connection whose client thread writes `frames` then shuts down its write side.
fn send_then_close(frames: Vec<Vec<u8>>) -> (thread::JoinHandle<()>, TcpStream) {
    let (client, server) = tcp_pair();
    let writer = thread::spawn(move || {
        let mut writer = FrameWriter::new(client);
        for frame in &frames {
            writer.write_frame(frame).unwrap();
        }
        writer
            .into_inner()
            .unwrap()
            .shutdown(Shutdown::Write)
            .unwrap();
    });
    (writer, server)
}

/// `max_read_size()` reports what was set (at least 1), 256 KiB by default, on every reader
/// that has it.
#[test]
fn max_read_size_is_what_was_set() {
    let empty: &[u8] = b"";
    let reader = lenframe::blocking::FrameReader::new(empty);
    assert_eq!(reader.max_read_size(), 256 * 1024);
    assert_eq!(reader.with_max_read_size(100_000).max_read_size(), 100_000);
    let reader = lenframe::blocking::FrameReader::new(empty).with_max_read_size(0);
    assert_eq!(reader.max_read_size(), 1);
    #[cfg(feature = "tokio")]
    {
        let reader = lenframe::tokio::FrameReader::new(empty);
        assert_eq!(reader.max_read_size(), 256 * 1024);
        assert_eq!(reader.with_max_read_size(3_000).max_read_size(), 3_000);
    }
    #[cfg(feature = "futures-io")]
    {
        let reader = lenframe::futures::FrameReader::new(empty);
        assert_eq!(reader.max_read_size(), 256 * 1024);
        assert_eq!(reader.with_max_read_size(3_000).max_read_size(), 3_000);
    }
}
