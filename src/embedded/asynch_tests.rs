//! Unit tests of the async embedded reader and writer over the scripted I/O of the blocking
//! ones' tests (`unit_tests.rs`), whose calls are always ready: each future completes in one
//! poll with a no-op waker. The shared state's rules are pinned there; these pin that the
//! async loops move the same bytes, return the same results and report the same errors.

// Test-only (the `mod` is `#[cfg(test)]`, which cargo-mutants skips), and needs `std`.
#![cfg(feature = "std")]

use std::future::Future;
use std::vec::Vec;

use super::{FrameReader, FrameWriter};
use crate::embedded::unit_tests::{
    byte_len, data, encoded_with_prefix, every_part, scripted, Broken, Read, Scripted,
};
use crate::embedded::Error;
use crate::engine::ready::poll_once;
use crate::FrameError;

impl embedded_io_async::Read for Scripted {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Broken> {
        self.read_now(buf)
    }
}

impl embedded_io_async::Write for Scripted {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Broken> {
        self.write_now(buf)
    }

    async fn flush(&mut self) -> Result<(), Broken> {
        self.flush_now()
    }
}

/// Runs `fut`, which must complete in one poll.
fn now<F: Future>(fut: F) -> F::Output {
    poll_once(fut).expect("the scripted I/O is always ready")
}

fn frame(reader: &mut FrameReader<'_, Scripted>) -> Vec<u8> {
    now(reader.read_frame()).unwrap().expect("a frame").to_vec()
}

#[test]
fn frames_come_one_at_a_time_then_the_end() {
    let mut buf = [0u8; 16];
    let mut reader = FrameReader::with_codec(
        scripted([data(b"\x02ab\x03c"), data(b"de\0"), Read::End]),
        byte_len(),
        &mut buf,
    );
    assert_eq!(frame(&mut reader), b"ab");
    assert_eq!(frame(&mut reader), b"cde");
    assert_eq!(frame(&mut reader), b"");
    assert_eq!(now(reader.read_frame()).unwrap(), None);
    assert_eq!(reader.get_ref().rooms, [16, 11, 16]);
}

#[test]
fn the_readers_errors() {
    let mut buf = [0u8; 16];
    let mut reader = FrameReader::with_codec(
        scripted([data(b"\x03a"), Read::Fail, Read::End]),
        byte_len(),
        &mut buf,
    );
    assert!(matches!(now(reader.read_frame()), Err(Error::Io(Broken))));
    assert_eq!(reader.buffer(), b"\x03a");
    assert!(matches!(
        now(reader.read_frame()),
        Err(Error::Frame(FrameError::Truncated {
            expected: 4,
            got: 2,
            ..
        }))
    ));
}

#[test]
fn the_writer_writes_frames_and_flushes_on_send() {
    let mut writer = FrameWriter::with_codec(scripted([]), every_part());
    now(writer.write_frame_with_prefix(b"T12", b"abcd")).unwrap();
    let expected = encoded_with_prefix(every_part(), b"T12", b"abcd");
    assert_eq!(writer.get_ref().written(), (expected, 0));

    let mut writer = FrameWriter::with_codec(scripted([]), byte_len());
    now(writer.write_frame(b"hello")).unwrap();
    assert_eq!(writer.get_ref().written(), (b"\x05hello".to_vec(), 0));
    now(writer.send_frame(b"!")).unwrap();
    assert_eq!(writer.get_ref().written(), (b"\x05hello\x01!".to_vec(), 1));
    now(writer.flush()).unwrap();
    assert_eq!(writer.get_ref().written().1, 2);
}

#[test]
fn the_writers_errors() {
    let mut writer = FrameWriter::with_codec(scripted([]), byte_len());
    writer.get_mut().fail_writes = true;
    assert!(matches!(
        now(writer.write_frame(b"a")),
        Err(Error::Io(Broken))
    ));
    assert!(matches!(
        now(writer.write_frame_with_prefix(b"", b"a")),
        Err(Error::Io(Broken))
    ));
    assert!(matches!(
        now(writer.send_frame(b"a")),
        Err(Error::Io(Broken))
    ));
    assert!(matches!(now(writer.flush()), Err(Error::Io(Broken))));
    writer.get_mut().fail_writes = false;
    // An empty payload: the header alone, no empty write.
    now(writer.write_frame(b"")).unwrap();
    assert_eq!(writer.get_ref().writes, [Some(b"\0".to_vec())]);
}
