//! Unit tests of the blocking embedded reader and writer, and through them of the shared
//! [`ReadState`](super::state::ReadState) and the error's kinds, over scripted in-memory I/O:
//! each `read` returns the next scripted chunk (at most its room; the rest stays first), the
//! end (0) or an error, and logs the room it was given; a read past the end of the script
//! panics, so a reader that asks for more than the test expects fails rather than loops. The
//! writer logs each `write` and `flush`. The async twins (`asynch_tests.rs`) use the same I/O.

// Test-only (the `mod` is `#[cfg(test)]`, which cargo-mutants skips), and needs `std`.
#![cfg(feature = "std")]

use std::collections::VecDeque;
use std::vec::Vec;

use embedded_io::{Error as _, ErrorKind};

use super::{Error, FrameReader, FrameWriter};
use crate::{ByteOrder, Checksum, ChecksumAlgorithm, Codec, EncodeError, FrameError};

/// One scripted result of a read.
#[derive(Debug)]
pub(crate) enum Read {
    Data(Vec<u8>),
    /// A read that reports `n` bytes more than its room holds, after filling it from the data.
    Overfill(Vec<u8>, usize),
    End,
    Fail,
}

pub(crate) fn data(bytes: &[u8]) -> Read {
    Read::Data(bytes.to_vec())
}

/// The scripted I/O's own error.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Broken;

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("broken")
    }
}

impl std::error::Error for Broken {}

impl embedded_io::Error for Broken {
    fn kind(&self) -> ErrorKind {
        ErrorKind::BrokenPipe
    }
}

/// Scripted reads, with the room each read was given.
#[derive(Debug, Default)]
pub(crate) struct Scripted {
    pub(crate) script: VecDeque<Read>,
    pub(crate) rooms: Vec<usize>,
    /// What the writer was asked to write, one entry a call, and `None` for each flush.
    pub(crate) writes: Vec<Option<Vec<u8>>>,
    /// Writes fail.
    pub(crate) fail_writes: bool,
}

pub(crate) fn scripted(script: impl IntoIterator<Item = Read>) -> Scripted {
    Scripted {
        script: script.into_iter().collect(),
        ..Scripted::default()
    }
}

impl Scripted {
    /// The bytes written, all calls together, and the number of flushes.
    pub(crate) fn written(&self) -> (Vec<u8>, usize) {
        let bytes = self.writes.iter().flatten().flatten().copied().collect();
        (bytes, self.writes.iter().filter(|w| w.is_none()).count())
    }

    pub(crate) fn read_now(&mut self, buf: &mut [u8]) -> Result<usize, Broken> {
        self.rooms.push(buf.len());
        match self
            .script
            .pop_front()
            .expect("a read past the end of the script")
        {
            Read::Data(mut bytes) => {
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                if n < bytes.len() {
                    self.script.push_front(Read::Data(bytes.split_off(n)));
                }
                Ok(n)
            }
            Read::Overfill(bytes, more) => {
                buf[..bytes.len()].copy_from_slice(&bytes);
                Ok(buf.len() + more)
            }
            Read::End => Ok(0),
            Read::Fail => Err(Broken),
        }
    }

    pub(crate) fn write_now(&mut self, buf: &[u8]) -> Result<usize, Broken> {
        if self.fail_writes {
            return Err(Broken);
        }
        // At most 3 bytes a call: `write_all` must loop.
        let n = buf.len().min(3);
        self.writes.push(Some(buf[..n].to_vec()));
        Ok(n)
    }

    pub(crate) fn flush_now(&mut self) -> Result<(), Broken> {
        if self.fail_writes {
            return Err(Broken);
        }
        self.writes.push(None);
        Ok(())
    }
}

impl embedded_io::ErrorType for Scripted {
    type Error = Broken;
}

impl embedded_io::Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Broken> {
        self.read_now(buf)
    }
}

impl embedded_io::Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Broken> {
        self.write_now(buf)
    }

    fn flush(&mut self) -> Result<(), Broken> {
        self.flush_now()
    }
}

/// `"B"`: a 1-byte length, so that frames are short.
pub(crate) fn byte_len() -> Codec {
    Codec::from_struct_format("B").unwrap()
}

/// Sync bytes `AA 55`, a 3-byte offset, a 4-byte length and a Fletcher-8 trailer (2 bytes):
/// the longest header is 2 + 3 + 4 + 2 = 11 bytes.
pub(crate) fn every_part() -> Codec {
    Codec::builder()
        .sync_bytes(b"\xAA\x55")
        .length_field_offset(3)
        .struct_format("<I")
        .checksum(Checksum::new(
            ChecksumAlgorithm::Fletcher8,
            ByteOrder::Little,
        ))
        .build()
        .unwrap()
}

/// What the core encoder writes for `prefix` and `payload`: what the writers must write.
pub(crate) fn encoded_with_prefix(codec: Codec, prefix: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = bytes::BytesMut::new();
    codec
        .encoder()
        .encode_with_prefix(prefix, payload, &mut out)
        .unwrap();
    out.to_vec()
}

fn frame(reader: &mut FrameReader<'_, Scripted>) -> Vec<u8> {
    reader.read_frame().unwrap().expect("a frame").to_vec()
}

// ---------------------------------------------------------------------------------------------
// The reader: settings

#[test]
fn the_maximum_is_what_the_lent_buffer_holds_after_the_longest_header() {
    let mut buf = [0u8; 64];
    let reader = FrameReader::new(scripted([]), &mut buf);
    assert_eq!(reader.max_frame_len(), 60);
    assert_eq!(reader.codec().max_decode_len(), 60);
    assert_eq!(reader.decoder().max_frame_len(), 60);
    assert_eq!(
        reader.codec().length_field(),
        Codec::default().length_field()
    );

    let mut buf = [0u8; 64];
    let reader = FrameReader::with_codec(scripted([]), every_part(), &mut buf);
    assert_eq!(reader.max_frame_len(), 64 - 11);
    let codec = reader.codec();
    assert_eq!(codec.length_field(), every_part().length_field());
    assert_eq!(codec.sync_bytes(), every_part().sync_bytes());
    assert_eq!(codec.checksum(), every_part().checksum());
    assert_eq!(codec.length_field_offset(), 3);
    assert_eq!(reader.decoder().codec().sync_bytes(), b"\xAA\x55");
}

#[test]
fn set_max_frame_len_reads_back_is_capped_by_the_buffer_and_bounds_frames() {
    let mut buf = [0u8; 16];
    let mut reader =
        FrameReader::with_codec(scripted([data(b"\x03abc\x04abcd")]), byte_len(), &mut buf);
    reader.set_max_frame_len(1000);
    assert_eq!(reader.max_frame_len(), 15);
    reader.set_max_frame_len(3);
    assert_eq!(reader.max_frame_len(), 3);
    assert_eq!(reader.decoder().max_frame_len(), 3);
    assert_eq!(frame(&mut reader), b"abc");
    let err = reader.read_frame().unwrap_err();
    assert!(matches!(
        err,
        Error::Frame(FrameError::TooLarge { len: 4, max: 3, .. })
    ));
    assert_eq!(err.kind(), ErrorKind::InvalidData);
}

#[test]
fn a_buffer_shorter_than_the_longest_header_is_refused_before_any_read() {
    let mut buf = [0u8; 10];
    let mut reader = FrameReader::with_codec(scripted([]), every_part(), &mut buf);
    assert_eq!(reader.max_frame_len(), 0);
    let err = reader.read_frame().unwrap_err();
    assert!(
        matches!(
            err,
            Error::BufferTooSmall {
                len: 10,
                needed: 11
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(reader.get_ref().rooms.is_empty());

    // Exactly the longest header: an empty frame fits.
    let mut buf = [0u8; 4];
    let mut reader = FrameReader::new(scripted([data(b"\0\0\0\0"), Read::End]), &mut buf);
    assert_eq!(reader.max_frame_len(), 0);
    assert_eq!(frame(&mut reader), b"");
    assert_eq!(reader.read_frame().unwrap(), None);
    let mut buf = [0u8; 3];
    let err = FrameReader::new(scripted([]), &mut buf)
        .read_frame()
        .unwrap_err();
    assert!(matches!(err, Error::BufferTooSmall { len: 3, needed: 4 }));
}

#[test]
fn a_varint_header_counts_as_its_longest() {
    let codec = Codec::builder()
        .length_field(crate::LengthField::VARINT)
        .build()
        .unwrap();
    let mut buf = [0u8; 12];
    let reader = FrameReader::with_codec(scripted([]), codec, &mut buf);
    assert_eq!(reader.max_frame_len(), 2);
}

// ---------------------------------------------------------------------------------------------
// The reader: frames, the buffer, the end

#[test]
fn frames_of_one_read_come_one_at_a_time_and_the_rest_stays_buffered() {
    let mut buf = [0u8; 32];
    let mut reader = FrameReader::with_codec(
        scripted([data(b"\x02ab\x03cde\x04fg"), data(b"hi"), Read::End]),
        byte_len(),
        &mut buf,
    );
    assert_eq!(frame(&mut reader), b"ab");
    assert_eq!(reader.buffer(), b"\x03cde\x04fg");
    assert_eq!(frame(&mut reader), b"cde");
    assert_eq!(reader.buffer(), b"\x04fg");
    assert_eq!(frame(&mut reader), b"fghi");
    assert_eq!(reader.buffer(), b"");
    assert_eq!(reader.read_frame().unwrap(), None);
    // The first read had the whole buffer, the second what the first left.
    assert_eq!(reader.get_ref().rooms, [32, 32 - 10, 32]);
}

#[test]
fn a_frame_split_over_many_short_reads() {
    let mut buf = [0u8; 16];
    let mut reader = FrameReader::with_codec(
        scripted([
            data(b"\x05"),
            data(b"he"),
            data(b"l"),
            data(b"lo\x01"),
            data(b"!"),
            Read::End,
        ]),
        byte_len(),
        &mut buf,
    );
    assert_eq!(frame(&mut reader), b"hello");
    assert_eq!(frame(&mut reader), b"!");
    assert_eq!(reader.read_frame().unwrap(), None);
    assert_eq!(reader.get_ref().rooms, [16, 15, 13, 12, 9, 16]);
}

#[test]
fn the_end_inside_a_frame_is_truncated_and_at_a_boundary_is_none() {
    let mut buf = [0u8; 16];
    let mut reader = FrameReader::with_codec(
        scripted([data(b"\x05hel"), Read::End]),
        byte_len(),
        &mut buf,
    );
    let err = reader.read_frame().unwrap_err();
    assert!(matches!(
        err,
        Error::Frame(FrameError::Truncated {
            expected: 6,
            got: 4,
            ..
        })
    ));
    assert_eq!(err.kind(), ErrorKind::ConnectionAborted);

    let mut buf = [0u8; 16];
    let mut reader = FrameReader::with_codec(scripted([Read::End]), byte_len(), &mut buf);
    assert_eq!(reader.read_frame().unwrap(), None);
}

#[test]
fn a_frame_found_while_draining_the_end_reads_again_after_it() {
    // A frame handed out while the end is buffered behind it: the next call still reports
    // that end (here inside a frame), and the one after reads again, as the std readers do.
    let mut buf = [0u8; 16];
    let mut reader = FrameReader::with_codec(
        scripted([data(b"\x01a\x01"), Read::End, data(b"b"), Read::End]),
        byte_len(),
        &mut buf,
    );
    assert_eq!(frame(&mut reader), b"a");
    // `\x01` alone, then the end: truncated.
    let err = reader.read_frame().unwrap_err();
    assert!(matches!(
        err,
        Error::Frame(FrameError::Truncated {
            expected: 2,
            got: 1,
            ..
        })
    ));
    // After the error, the reader reads on: the stream had more (a test double, not a socket).
    assert_eq!(frame(&mut reader), b"b");
    assert_eq!(reader.read_frame().unwrap(), None);
}

#[test]
fn an_io_error_is_returned_and_the_bytes_before_it_kept() {
    let mut buf = [0u8; 16];
    let mut reader = FrameReader::with_codec(
        scripted([data(b"\x03a"), Read::Fail, data(b"bc"), Read::End]),
        byte_len(),
        &mut buf,
    );
    let err = reader.read_frame().unwrap_err();
    assert!(matches!(err, Error::Io(Broken)));
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    assert_eq!(reader.buffer(), b"\x03a");
    assert_eq!(frame(&mut reader), b"abc");
}

#[test]
fn a_frame_that_cannot_end_where_it_starts_is_moved_to_the_front_once() {
    // 16 bytes; the first read brings a 6-byte frame and 4 bytes of an 11-byte frame, which
    // needs 7 more: 6 are free after it, so it moves to the front first (12 free).
    let mut buf = [0u8; 16];
    let mut reader = FrameReader::with_codec(
        scripted([data(b"\x05hello\x0Aabc"), data(b"defghij"), Read::End]),
        byte_len(),
        &mut buf,
    );
    assert_eq!(frame(&mut reader), b"hello");
    assert_eq!(frame(&mut reader), b"abcdefghij");
    assert_eq!(reader.read_frame().unwrap(), None);
    assert_eq!(reader.get_ref().rooms, [16, 12, 16]);
}

#[test]
fn a_frame_that_ends_exactly_at_the_end_of_the_buffer_stays_where_it_is() {
    // The same with a 10-byte frame: it needs 6 more, exactly what is free after it.
    let mut buf = [0u8; 16];
    let mut reader = FrameReader::with_codec(
        scripted([data(b"\x05hello\x09abc"), data(b"defghi"), Read::End]),
        byte_len(),
        &mut buf,
    );
    assert_eq!(frame(&mut reader), b"hello");
    assert_eq!(frame(&mut reader), b"abcdefghi");
    assert_eq!(reader.get_ref().rooms, [16, 6]);
    assert_eq!(reader.read_frame().unwrap(), None);
}

#[test]
fn a_frame_at_the_front_is_not_moved() {
    // Nothing was handed out before the partial frame: it is at the front already.
    let mut buf = [0u8; 8];
    let mut reader = FrameReader::with_codec(
        scripted([data(b"\x07ab"), data(b"cdefg"), Read::End]),
        byte_len(),
        &mut buf,
    );
    assert_eq!(frame(&mut reader), b"abcdefg");
    assert_eq!(reader.get_ref().rooms, [8, 5]);
    assert_eq!(reader.read_frame().unwrap(), None);
    assert_eq!(reader.get_ref().rooms, [8, 5, 8]);
}

#[test]
fn a_reader_that_reports_more_than_its_room_fills_the_buffer_and_no_more() {
    // 3 bytes, then a read that fills the 5 left and says it read 10.
    let mut buf = [0u8; 8];
    let mut reader = FrameReader::with_codec(
        scripted([
            data(b"\x06ab"),
            Read::Overfill(b"cdefg".to_vec(), 5),
            Read::End,
        ]),
        byte_len(),
        &mut buf,
    );
    assert_eq!(frame(&mut reader), b"abcdef");
    assert_eq!(reader.buffer(), b"g");
    assert_eq!(reader.get_ref().rooms, [8, 5]);
}

#[test]
fn sync_bytes_noise_is_skipped_and_an_unfinished_candidate_given_up_at_the_end() {
    let codec = Codec::builder()
        .sync_bytes(b"\xAA\x55")
        .struct_format("B")
        .build()
        .unwrap();
    // Noise, a frame, noise, a candidate announcing 9 bytes that the end cuts short, a frame.
    let mut buf = [0u8; 32];
    let mut reader = FrameReader::with_codec(
        scripted([
            data(b"xy\xAA\x55\x02hizz\xAA\x55\x09\xAA\x55\x01!"),
            Read::End,
            Read::End,
        ]),
        codec,
        &mut buf,
    );
    assert_eq!(frame(&mut reader), b"hi");
    assert_eq!(frame(&mut reader), b"!");
    assert_eq!(reader.read_frame().unwrap(), None);
    assert_eq!(reader.decoder().dropped_bytes(), 2 + 2 + 3);
}

#[test]
fn into_parts_moves_the_unread_bytes_to_the_front() {
    let mut buf = [0u8; 16];
    let mut reader =
        FrameReader::with_codec(scripted([data(b"\x02ab\x05cd")]), byte_len(), &mut buf);
    assert_eq!(frame(&mut reader), b"ab");
    let (inner, buffered) = reader.into_parts();
    assert!(inner.script.is_empty());
    assert_eq!(buffered, 3);
    assert_eq!(&buf[..3], b"\x05cd");
    // And a reader made from those parts goes on from them.
    let mut reader = FrameReader::from_parts(
        scripted([data(b"efg"), Read::End]),
        byte_len(),
        &mut buf,
        buffered,
    );
    assert_eq!(reader.buffer(), b"\x05cd");
    assert_eq!(frame(&mut reader), b"cdefg");
    assert_eq!(reader.get_ref().rooms, [13]);
    let (_, buffered) = reader.into_parts();
    assert_eq!(buffered, 0);
}

// ---------------------------------------------------------------------------------------------
// The writer

#[test]
fn the_writer_writes_the_header_payload_and_trailer_and_flushes_on_send() {
    let mut writer = FrameWriter::with_codec(scripted([]), byte_len());
    writer.write_frame(b"hello").unwrap();
    assert_eq!(writer.get_ref().written(), (b"\x05hello".to_vec(), 0));
    writer.send_frame(b"!").unwrap();
    assert_eq!(writer.get_ref().written(), (b"\x05hello\x01!".to_vec(), 1));
    writer.flush().unwrap();
    assert_eq!(writer.into_inner().written().1, 2);

    // With sync bytes, a prefix and a trailer.
    let codec = every_part();
    let mut writer = FrameWriter::with_codec(scripted([]), codec);
    writer.write_frame_with_prefix(b"T12", b"abcd").unwrap();
    let expected = encoded_with_prefix(codec, b"T12", b"abcd");
    assert_eq!(writer.get_ref().written(), (expected.clone(), 0));
    assert_eq!(&expected[..13], b"\xAA\x55T12\x04\0\0\0abcd");
    assert_eq!(expected.len(), 15);
    // The frame reads back.
    let mut buf = [0u8; 32];
    let mut reader = FrameReader::with_codec(scripted([Read::Data(expected)]), codec, &mut buf);
    assert_eq!(frame(&mut reader), b"abcd");
}

#[test]
fn the_writer_default_and_its_maximum() {
    let mut writer = FrameWriter::new(scripted([]));
    assert_eq!(*writer.codec(), Codec::default());
    writer.write_frame(b"ab").unwrap();
    assert_eq!(writer.get_mut().written().0, b"\x02\0\0\0ab");
    writer.set_max_frame_len(1);
    assert_eq!(writer.max_frame_len(), 1);
    let err = writer.write_frame(b"ab").unwrap_err();
    assert!(matches!(
        err,
        Error::Encode(EncodeError::TooLarge { len: 2, max: 1 })
    ));
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = writer.write_frame_with_prefix(b"x", b"a").unwrap_err();
    assert!(
        matches!(err, Error::Encode(EncodeError::WrongPrefixLen { .. })),
        "{err:?}"
    );
    assert_eq!(writer.get_ref().written().0, b"\x02\0\0\0ab");
}

#[test]
fn the_writer_returns_the_writers_errors() {
    let mut writer = FrameWriter::with_codec(scripted([]), byte_len());
    writer.get_mut().fail_writes = true;
    assert!(matches!(writer.write_frame(b"a"), Err(Error::Io(Broken))));
    assert!(matches!(writer.send_frame(b"a"), Err(Error::Io(Broken))));
    assert!(matches!(writer.flush(), Err(Error::Io(Broken))));
    // A write that succeeds, then a flush that fails: send_frame reports it.
    let mut writer = FrameWriter::with_codec(scripted([]), byte_len());
    writer.write_frame(b"").unwrap();
    assert_eq!(writer.get_ref().written(), (b"\0".to_vec(), 0));
}
