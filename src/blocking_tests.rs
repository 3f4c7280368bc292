//! Unit tests of the blocking reader and writer over scripted in-memory I/O
//! ([`test_io`](crate::test_io)): what each method returns and what it asks of the inner reader
//! or writer, with short reads and writes, `Interrupted`, errors, the end of the stream and a
//! writer that panics. The shared loops' own rules are pinned in `engine/pump_tests.rs`; these
//! pin the blocking shell around them: its `std::io` calls and its own methods.

use std::io::{self, Cursor, ErrorKind, Read as _};
use std::panic::{catch_unwind, AssertUnwindSafe};

use bytes::{Bytes, BytesMut};

use super::{FrameReader, FrameWriter};
use crate::test_io::{byte_len, data, io_kind, long, long_frame, reads, writes, Call, Step};
use crate::{Codec, EncodeError, Error, FrameError};

// ---------------------------------------------------------------------------------------------
// The reader

#[test]
fn read_frame_returns_each_frame_then_none_at_the_end() {
    let mut reader = FrameReader::with_codec(
        reads([data(b"\x02ab\x01c"), data(b"\0"), Step::End]),
        byte_len(),
    );
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"ab"[..]);
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"c"[..]);
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b""[..]);
    assert_eq!(reader.read_frame().unwrap(), None);
}

#[test]
fn read_frame_ref_lends_each_frame_buffered_or_read() {
    let mut reader = FrameReader::with_codec(
        reads([data(b"\x02ab\x01c\x03d"), data(b"ef"), Step::End]),
        byte_len(),
    );
    assert_eq!(reader.read_frame_ref().unwrap(), Some(&b"ab"[..]));
    // Buffered: no read.
    assert_eq!(reader.read_frame_ref().unwrap(), Some(&b"c"[..]));
    assert_eq!(reader.get_ref().rooms().len(), 1);
    // Half buffered: one more read.
    assert_eq!(reader.read_frame_ref().unwrap(), Some(&b"def"[..]));
    assert_eq!(reader.get_ref().rooms().len(), 2);
    assert_eq!(reader.read_frame_ref().unwrap(), None);
    assert_eq!(reader.get_ref().rooms().len(), 3);
}

#[cfg(any(feature = "json", feature = "msgpack"))]
#[test]
fn read_frame_indexed_counts_from_0() {
    let mut reader = FrameReader::with_codec(reads([data(b"\x01a\x01b"), Step::End]), byte_len());
    assert_eq!(reader.read_frame_indexed().unwrap(), Some((0, &b"a"[..])));
    assert_eq!(reader.read_frame_indexed().unwrap(), Some((1, &b"b"[..])));
    assert_eq!(reader.read_frame_indexed().unwrap(), None);
}

#[test]
fn the_iterator_yields_the_frames_then_ends() {
    let reader = FrameReader::with_codec(reads([data(b"\x01a\x02bc"), Step::End]), byte_len());
    let frames: Vec<Bytes> = reader.map(Result::unwrap).collect();
    assert_eq!(frames, [&b"a"[..], &b"bc"[..]]);
}

#[test]
fn copy_frame_to_writes_the_payload_and_returns_its_length() {
    let mut reader = FrameReader::with_codec(
        reads([data(b"\x05hel"), data(b"lo\x02"), data(b"ab"), Step::End]),
        byte_len(),
    );
    let mut out = Vec::new();
    assert_eq!(reader.copy_frame_to(&mut out).unwrap(), Some(5));
    assert_eq!(out, b"hello");
    let mut out = writes([Step::Accept(1)]);
    assert_eq!(reader.copy_frame_to(&mut out).unwrap(), Some(2));
    assert_eq!(out.written, b"ab");
    assert_eq!(out.calls, [Call::Write(2, 1), Call::Write(1, 1)]);
    assert_eq!(reader.copy_frame_to(&mut Vec::new()).unwrap(), None);
}

#[test]
fn copy_frame_to_a_long_frame_and_a_destination_that_fails() {
    let (wire, payload) = long_frame();
    let mut reader = FrameReader::with_codec(reads([Step::Data(wire), Step::End]), long());
    let mut out = writes([]);
    out.vectored = true;
    assert_eq!(
        reader.copy_frame_to(&mut out).unwrap(),
        Some(payload.len() as u64)
    );
    assert!(out.written == payload);

    let mut reader = FrameReader::with_codec(reads([data(b"\x02ab")]), byte_len());
    let err = reader
        .copy_frame_to(&mut writes([Step::Accept(0)]))
        .unwrap_err();
    assert_eq!(io_kind(&err), ErrorKind::WriteZero);
    let mut reader = FrameReader::with_codec(reads([data(b"\x02ab")]), byte_len());
    let err = reader
        .copy_frame_to(&mut writes([Step::Fail(ErrorKind::BrokenPipe)]))
        .unwrap_err();
    assert_eq!(io_kind(&err), ErrorKind::BrokenPipe);
}

#[test]
fn an_interrupted_read_is_retried_and_other_errors_returned() {
    let mut reader = FrameReader::with_codec(
        reads([
            Step::Fail(ErrorKind::Interrupted),
            data(b"\x01a"),
            Step::Fail(ErrorKind::ConnectionReset),
            data(b"\x01b"),
            Step::Pending,
        ]),
        byte_len(),
    );
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"a"[..]);
    assert_eq!(
        io_kind(&reader.read_frame().unwrap_err()),
        ErrorKind::ConnectionReset
    );
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"b"[..]);
    // A timeout (`WouldBlock`) is an error too, and the reader goes on after it.
    assert_eq!(
        io_kind(&reader.read_frame().unwrap_err()),
        ErrorKind::WouldBlock
    );
    assert_eq!(reader.get_ref().rooms().len(), 5);
}

#[test]
fn the_end_inside_a_frame_is_truncated() {
    let mut reader = FrameReader::with_codec(reads([data(b"\x03ab"), Step::End]), byte_len());
    let err = reader.read_frame().unwrap_err();
    assert!(matches!(
        err,
        Error::Frame(FrameError::Truncated {
            expected: 4,
            got: 3,
            ..
        })
    ));
}

#[test]
fn a_long_frame_is_read_whole_from_short_reads() {
    let (wire, payload) = long_frame();
    let mut script: Vec<Step> = wire.chunks(100_000).map(data).collect();
    script.push(Step::End);
    let mut reader = FrameReader::with_codec(reads(script), long());
    assert!(reader.read_frame().unwrap().unwrap() == payload);
    assert_eq!(reader.read_frame().unwrap(), None);
}

#[test]
fn an_error_inside_a_long_frame_is_returned_and_the_frame_goes_on_after_it() {
    let (wire, payload) = long_frame();
    // The header and the frame's start, an interrupted read (retried), more bytes, an error
    // (returned, the bytes before it kept), then the rest.
    let mut reader = FrameReader::with_codec(
        reads([
            Step::Data(wire[..8192].to_vec()),
            Step::Fail(ErrorKind::Interrupted),
            Step::Data(wire[8192..300_000].to_vec()),
            Step::Fail(ErrorKind::ConnectionReset),
            Step::Data(wire[300_000..].to_vec()),
            Step::End,
        ]),
        long(),
    );
    let err = reader.read_frame().unwrap_err();
    assert_eq!(io_kind(&err), ErrorKind::ConnectionReset);
    assert!(reader.is_mid_frame());
    assert!(reader.read_frame().unwrap().unwrap() == payload);
    assert!(!reader.is_mid_frame());
    assert_eq!(reader.read_frame().unwrap(), None);
}

#[test]
fn is_mid_frame_after_a_header_not_between_frames() {
    let mut reader = FrameReader::with_codec(
        reads([
            data(b"\x01a\x03b"),
            Step::Fail(ErrorKind::TimedOut),
            data(b"cd"),
        ]),
        byte_len(),
    );
    assert!(!reader.is_mid_frame());
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"a"[..]);
    assert!(reader.read_frame().is_err());
    assert!(reader.is_mid_frame());
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"bcd"[..]);
    assert!(!reader.is_mid_frame());
}

#[test]
fn into_parts_gives_back_the_reader_and_the_unread_bytes() {
    let mut reader = FrameReader::with_codec(Cursor::new(b"\x01a\x02bc\x01".to_vec()), byte_len());
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"a"[..]);
    let (inner, buffered) = reader.into_parts();
    assert_eq!(inner.position(), 6);
    assert_eq!(buffered, &b"\x02bc\x01"[..]);
    let mut reader = FrameReader::from_parts(inner, byte_len(), buffered);
    assert_eq!(reader.buffer(), b"\x02bc\x01");
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"bc"[..]);
}

#[test]
fn the_readers_debug_names_its_parts() {
    let reader = FrameReader::with_codec(Cursor::new(Vec::<u8>::new()), byte_len());
    let debug = format!("{reader:?}");
    assert!(debug.starts_with("FrameReader {"), "{debug}");
    for field in [
        "inner",
        "codec",
        "buffered: 0",
        "max_read_size",
        "copy_remaining",
    ] {
        assert!(debug.contains(field), "{debug}");
    }
}

// ---------------------------------------------------------------------------------------------
// The writer

#[test]
fn write_frame_buffers_and_flush_writes_out() {
    let mut writer = FrameWriter::with_codec(writes([]), byte_len());
    writer.write_frame(b"ab").unwrap();
    assert_eq!(writer.buffered_len(), 3);
    assert!(writer.get_ref().calls.is_empty());
    writer.flush().unwrap();
    assert_eq!(writer.get_ref().written, b"\x02ab");
    assert_eq!(writer.get_ref().calls, [Call::Write(3, 3), Call::Flush]);
    writer.send_frame(b"c").unwrap();
    assert_eq!(writer.get_ref().written, b"\x02ab\x01c");
    assert_eq!(writer.get_ref().count(&Call::Flush), 2);
}

#[test]
fn write_frame_of_a_frame_over_the_buffer_goes_out_at_once() {
    let payload = vec![7u8; 100_000];
    for vectored in [false, true] {
        let mut inner = writes([Step::Accept(10_000)]);
        inner.vectored = vectored;
        let mut writer = FrameWriter::with_codec(inner, long());
        writer.write_frame(b"ab").unwrap();
        writer.write_frame(&payload).unwrap();
        let mut expected = b"\x02\0\0\0ab".to_vec();
        expected.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        expected.extend_from_slice(&payload);
        assert!(writer.get_ref().written == expected, "vectored: {vectored}");
        assert_eq!(writer.buffered_len(), 0);
        if vectored {
            assert!(matches!(
                writer.get_ref().calls[0],
                Call::Vectored(_, 10_000)
            ));
        }
    }
}

#[test]
fn a_writer_that_takes_nothing_or_fails_is_an_error() {
    let payload = vec![7u8; 100_000];
    for vectored in [false, true] {
        let mut inner = writes([Step::Accept(0)]);
        inner.vectored = vectored;
        let mut writer = FrameWriter::with_codec(inner, long());
        assert_eq!(
            io_kind(&writer.write_frame(&payload).unwrap_err()),
            ErrorKind::WriteZero
        );
        let mut inner = writes([Step::Fail(ErrorKind::BrokenPipe)]);
        inner.vectored = vectored;
        let mut writer = FrameWriter::with_codec(inner, long());
        assert_eq!(
            io_kind(&writer.write_frame(&payload).unwrap_err()),
            ErrorKind::BrokenPipe
        );
    }
}

#[test]
fn write_frame_with_prefix_feed_frame_and_write_frame_with() {
    let codec = Codec::builder()
        .length_field_offset(1)
        .struct_format("B")
        .build()
        .unwrap();
    let mut writer = FrameWriter::with_codec(writes([]), codec);
    writer.write_frame_with_prefix(b"T", b"ab").unwrap();
    writer.feed_frame(Bytes::from_static(b"cd")).unwrap();
    writer
        .write_frame_with(|buf: &mut BytesMut| {
            buf.extend_from_slice(b"ef");
            Ok::<(), Error>(())
        })
        .unwrap();
    writer.flush().unwrap();
    assert_eq!(writer.get_ref().written, b"T\x02ab\0\x02cd\0\x02ef");
    let err = writer.write_frame_with_prefix(b"", b"x").unwrap_err();
    assert!(matches!(
        err,
        Error::Encode(EncodeError::WrongPrefixLen { .. })
    ));
}

#[test]
fn copy_frame_from_streams_a_source_into_one_frame() {
    let mut writer = FrameWriter::with_codec(writes([]), byte_len());
    let mut src = Cursor::new(b"hello world".to_vec());
    writer.copy_frame_from(5, &mut src).unwrap();
    writer.flush().unwrap();
    assert_eq!(writer.get_ref().written, b"\x05hello");
    assert_eq!(src.position(), 5);
    // A source that ends early.
    let mut src = reads([data(b"ab"), Step::End]);
    let err = writer.copy_frame_from(5, &mut src).unwrap_err();
    assert!(
        matches!(err, Error::SourceEnded { len: 5, left: 3 }),
        "{err:?}"
    );
    // A long one, read in pieces.
    let (_, payload) = long_frame();
    let mut writer = FrameWriter::with_codec(writes([]), long());
    let mut src = reads(payload.chunks(50_000).map(data));
    writer
        .copy_frame_from(payload.len() as u64, &mut src)
        .unwrap();
    writer.flush().unwrap();
    assert!(writer.get_ref().written[4..] == payload[..]);
}

#[test]
fn flush_retries_an_interrupted_flush_and_returns_other_errors() {
    let mut writer = FrameWriter::with_codec(writes([]), byte_len());
    writer
        .get_mut()
        .flushes
        .push_back(Step::Fail(ErrorKind::Interrupted));
    writer.send_frame(b"a").unwrap();
    assert_eq!(writer.get_ref().count(&Call::Flush), 2);
    writer
        .get_mut()
        .flushes
        .push_back(Step::Fail(ErrorKind::BrokenPipe));
    assert_eq!(io_kind(&writer.flush().unwrap_err()), ErrorKind::BrokenPipe);
    assert_eq!(writer.get_ref().count(&Call::Flush), 3);
}

#[test]
fn the_inner_writer_and_what_is_buffered() {
    let mut writer = FrameWriter::with_codec(writes([]), byte_len());
    writer.get_mut().written.extend_from_slice(b"<");
    writer.write_frame(b"ab").unwrap();
    assert_eq!(writer.get_ref().written, b"<");
    let (inner, unsent) = writer.into_parts();
    assert_eq!(inner.written, b"<");
    assert_eq!(unsent, &b"\x02ab"[..]);
    let mut writer = FrameWriter::from_parts(inner, byte_len(), unsent);
    assert_eq!(writer.buffered_len(), 3);
    writer.write_frame(b"c").unwrap();
    let inner = writer.into_inner().unwrap();
    assert_eq!(inner.written, b"<\x02ab\x01c");
    assert_eq!(inner.count(&Call::Flush), 1);
    // into_inner fails if the flush does.
    let mut writer =
        FrameWriter::with_codec(writes([Step::Fail(ErrorKind::BrokenPipe)]), byte_len());
    writer.write_frame(b"x").unwrap();
    assert!(writer.into_inner().is_err());
}

#[test]
fn dropping_the_writer_writes_out_what_is_buffered() {
    let mut inner = writes([]);
    {
        let mut writer = FrameWriter::with_codec(&mut inner, byte_len());
        writer.write_frame(b"ab").unwrap();
    }
    assert_eq!(inner.written, b"\x02ab");
}

#[test]
fn a_writer_that_panicked_is_not_written_to_again_on_drop() {
    let payload = vec![7u8; 100_000];
    let mut inner = writes([Step::Accept(10), Step::Panic]);
    {
        let mut writer = FrameWriter::with_codec(&mut inner, long());
        let panicked = catch_unwind(AssertUnwindSafe(|| writer.write_frame(&payload)));
        assert!(panicked.is_err());
    }
    // The header went out, the payload's write panicked; nothing more was asked.
    assert_eq!(inner.calls, [Call::Write(4, 4)]);
    // After into_parts, nothing is written on drop either.
    let mut inner = writes([]);
    {
        let mut writer = FrameWriter::with_codec(&mut inner, byte_len());
        writer.write_frame(b"ab").unwrap();
        let (_, unsent) = writer.into_parts();
        assert_eq!(unsent.len(), 3);
    }
    assert!(inner.calls.is_empty());
}

#[test]
fn the_writers_debug_names_its_parts() {
    let writer = FrameWriter::with_codec(Vec::new(), byte_len());
    let debug = format!("{writer:?}");
    assert!(debug.starts_with("FrameWriter {"), "{debug}");
    for field in [
        "inner",
        "codec",
        "buffered_len: 0",
        "buffer_size",
        "copy_remaining",
    ] {
        assert!(debug.contains(field), "{debug}");
    }
}

#[test]
fn a_std_read_of_the_written_frames_reads_them_back() {
    let mut writer = FrameWriter::new(Vec::new());
    writer.write_frame(b"one").unwrap();
    writer.write_frame(b"two").unwrap();
    let wire = writer.into_inner().unwrap();
    let mut reader = FrameReader::new(&wire[..]);
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"one"[..]);
    assert_eq!(reader.read_frame().unwrap().unwrap(), &b"two"[..]);
    assert_eq!(reader.read_frame().unwrap(), None);
    let mut rest = Vec::new();
    reader.into_inner().read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    let _: io::Result<()> = Ok(());
}
