//! Property tests: the blocking adapters over readers and writers that hand out a few bytes at a
//! time and fail with `WouldBlock`, `TimedOut` or `Interrupted` at random points. Whatever the
//! script, every frame comes out exactly once, whole and in order; `Interrupted` never reaches
//! the caller; retrying after `WouldBlock`/`TimedOut` neither loses nor repeats a byte.

use std::io::{self, ErrorKind, IoSlice, Read, Write};

use bytes::BytesMut;
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::{Codec, Error, FrameError};
use proptest::prelude::*;

/// One call's behaviour: pass through at most this many bytes, or fail.
#[derive(Clone, Copy, Debug)]
enum Step {
    Bytes(usize),
    Fail(ErrorKind),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (1usize..24).prop_map(Step::Bytes),
        1 => Just(Step::Bytes(usize::MAX)),
        1 => Just(Step::Fail(ErrorKind::WouldBlock)),
        1 => Just(Step::Fail(ErrorKind::TimedOut)),
        2 => Just(Step::Fail(ErrorKind::Interrupted)),
    ]
}

/// A script that always makes progress: it cycles, and has at least one `Bytes` step.
fn script() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 0..30).prop_map(|mut steps| {
        steps.push(Step::Bytes(7));
        steps
    })
}

/// A reader or writer that follows a script, call by call.
struct Scripted<T> {
    inner: T,
    script: Vec<Step>,
    at: usize,
}

impl<T> Scripted<T> {
    fn new(inner: T, script: Vec<Step>) -> Self {
        Scripted {
            inner,
            script,
            at: 0,
        }
    }

    fn step(&mut self) -> Step {
        let step = self.script[self.at % self.script.len()];
        self.at += 1;
        step
    }
}

impl<T: Read> Read for Scripted<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.step() {
            Step::Bytes(n) => {
                let n = n.min(buf.len());
                self.inner.read(&mut buf[..n])
            }
            Step::Fail(kind) => Err(kind.into()),
        }
    }
}

impl<T: Write> Write for Scripted<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    /// Takes from several slices in one call, as a socket does, up to the step's limit.
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut limit = match self.step() {
            Step::Bytes(n) => n,
            Step::Fail(kind) => return Err(kind.into()),
        };
        let mut written = 0;
        for buf in bufs {
            let n = self.inner.write(&buf[..buf.len().min(limit)])?;
            written += n;
            limit -= n;
            if limit == 0 || n < buf.len() {
                break;
            }
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.step() {
            Step::Bytes(_) => self.inner.flush(),
            Step::Fail(kind) => Err(kind.into()),
        }
    }
}

/// Calls `f` until it does not fail with `WouldBlock` or `TimedOut`. Any other error, including
/// `Interrupted`, fails the test.
fn retry<T>(mut f: impl FnMut() -> Result<T, Error>) -> Result<T, TestCaseError> {
    for _ in 0..200_000 {
        match f() {
            Ok(value) => return Ok(value),
            Err(Error::Io(err))
                if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(err) => return Err(TestCaseError::fail(format!("unexpected error: {err:?}"))),
        }
    }
    Err(TestCaseError::fail("no progress"))
}

fn codec() -> impl Strategy<Value = Codec> {
    prop::sample::select(vec!["<i", "!I", "<H", "q", ">Q"])
        .prop_map(|format| Codec::from_struct_format(format).unwrap())
}

fn frames(max_len: usize) -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(
        prop_oneof![
            1 => Just(Vec::new()),
            6 => prop::collection::vec(any::<u8>(), 0..max_len),
        ],
        0..12,
    )
}

fn encode_all(codec: Codec, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    for frame in frames {
        codec.encoder().encode(frame, &mut wire).unwrap();
    }
    wire.to_vec()
}

/// Reads every frame, each with `read_frame` or with `copy_frame_to` into a scripted writer,
/// retrying after every `WouldBlock`/`TimedOut`, then expects a clean end.
fn read_every_frame<R: Read>(
    reader: &mut FrameReader<R>,
    count: usize,
    copy: &[bool],
    out_script: &[Step],
) -> Result<Vec<Vec<u8>>, TestCaseError> {
    let mut got = Vec::new();
    for i in 0..count {
        if copy[i % copy.len()] {
            let mut out = Scripted::new(Vec::new(), out_script.to_vec());
            let len = retry(|| reader.copy_frame_to(&mut out))?;
            prop_assert_eq!(len, Some(out.inner.len() as u64));
            prop_assert_eq!(reader.copy_remaining(), None);
            got.push(out.inner);
        } else {
            let frame = retry(|| reader.read_frame())?;
            prop_assert!(frame.is_some(), "frame {} of {} missing", i, count);
            got.push(frame.unwrap().to_vec());
        }
    }
    prop_assert_eq!(retry(|| reader.read_frame())?, None);
    Ok(got)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn every_frame_comes_out_exactly_once_in_order(
        codec in codec(),
        frames in frames(400),
        read_size in prop::sample::select(vec![1usize, 3, 16, 64 * 1024]),
        in_script in script(),
        out_script in script(),
        copy in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        let wire = encode_all(codec, &frames);
        let source = Scripted::new(&wire[..], in_script);
        let mut reader = FrameReader::with_codec(source, codec).with_max_read_size(read_size);
        let got = read_every_frame(&mut reader, frames.len(), &copy, &out_script)?;
        prop_assert_eq!(got, frames);
    }

    #[test]
    fn a_stream_cut_anywhere_ends_with_the_right_truncation(
        codec in codec(),
        frames in frames(100),
        cut in any::<prop::sample::Index>(),
        in_script in script(),
        copy_last in any::<bool>(),
    ) {
        let wire = encode_all(codec, &frames);
        let cut = cut.index(wire.len() + 1);
        // Where each frame starts, and how long it is.
        let header_len = codec.min_header_len();
        let mut start = 0;
        let mut whole = Vec::new();
        let mut partial = None;
        for frame in &frames {
            let len = header_len + frame.len();
            if start + len <= cut {
                whole.push(frame.clone());
            } else if start < cut {
                let got = cut - start;
                let expected = if got < header_len { header_len } else { len };
                partial = Some((expected as u64, got as u64));
            }
            start += len;
        }
        let source = Scripted::new(&wire[..cut], in_script);
        let mut reader = FrameReader::with_codec(source, codec);
        for frame in &whole {
            prop_assert_eq!(&retry(|| reader.read_frame())?.unwrap()[..], &frame[..]);
        }
        let result = loop {
            let result = if copy_last {
                reader.copy_frame_to(&mut Vec::new()).map(|len| len.map(|_| ()))
            } else {
                reader.read_frame().map(|frame| frame.map(|_| ()))
            };
            match result {
                Err(Error::Io(err)) if err.kind() != ErrorKind::Interrupted => continue,
                result => break result,
            }
        };
        match partial {
            None => prop_assert!(matches!(result, Ok(None)), "{:?}", result),
            Some((expected, got)) => prop_assert!(
                matches!(
                    result,
                    Err(Error::Frame(FrameError::Truncated { expected: e, got: g, guess: None }))
                        if (e, g) == (expected, got)
                ),
                "expected Truncated {{ expected: {}, got: {} }}, got {:?}", expected, got, result
            ),
        }
    }

    #[test]
    fn oversized_frames_are_skipped_under_any_chunking(
        frames in frames(40),
        in_script in script(),
        copy in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        let codec = Codec::builder().max_frame_len(20).skip_oversized(true).build().unwrap();
        let wire = encode_all(Codec::default(), &frames);
        let mut reader = FrameReader::with_codec(Scripted::new(&wire[..], in_script), codec);
        for (i, frame) in frames.iter().enumerate() {
            let mut out = Vec::new();
            let result = loop {
                let result = if copy[i % copy.len()] {
                    reader.copy_frame_to(&mut out).map(|len| len.map(|_| out.clone()))
                } else {
                    reader.read_frame().map(|frame| frame.map(|f| f.to_vec()))
                };
                match result {
                    Err(Error::Io(err)) if err.kind() != ErrorKind::Interrupted => continue,
                    result => break result,
                }
            };
            if frame.len() > 20 {
                let too_large = matches!(
                    result,
                    Err(Error::Frame(FrameError::TooLarge { len, max: 20, guess: None })) if len == frame.len() as u64
                );
                prop_assert!(too_large, "{:?}", result);
            } else {
                prop_assert_eq!(result.unwrap(), Some(frame.clone()));
            }
        }
        prop_assert_eq!(retry(|| reader.read_frame())?, None);
    }

    #[test]
    fn every_frame_goes_out_exactly_once_in_order(
        codec in codec(),
        frames in frames(400),
        capacity in prop::sample::select(vec![0usize, 1, 10, 100, 64 * 1024]),
        out_script in script(),
        src_script in script(),
        from_reader in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        let sink = Scripted::new(Vec::new(), out_script);
        let mut writer = FrameWriter::with_codec(sink, codec).with_buffer_size(capacity);
        for (i, frame) in frames.iter().enumerate() {
            if from_reader[i % from_reader.len()] {
                let mut src = Scripted::new(&frame[..], src_script.clone());
                retry(|| writer.copy_frame_from(frame.len() as u64, &mut src))?;
                prop_assert!(src.inner.is_empty(), "all of the payload was read");
                prop_assert_eq!(writer.copy_remaining(), None);
            } else {
                retry(|| writer.write_frame(frame))?;
            }
        }
        retry(|| writer.flush())?;
        prop_assert!((writer.buffered_len() == 0));
        let (sink, unsent) = writer.into_parts();
        prop_assert!(unsent.is_empty());
        prop_assert_eq!(sink.inner, encode_all(codec, &frames));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Frames larger than the buffers, through both scripted ends at once.
    #[test]
    fn large_frames_survive_scripted_io_both_ways(
        sizes in prop::collection::vec(0usize..150_000, 1..4),
        out_script in script(),
        in_script in script(),
        from_reader in any::<bool>(),
        copy in any::<bool>(),
    ) {
        // Few, large steps: the point is the boundaries, not a million one-byte calls.
        let widen = |script: Vec<Step>| -> Vec<Step> {
            script
                .into_iter()
                .map(|step| match step {
                    Step::Bytes(n) => Step::Bytes(n.saturating_mul(4099)),
                    fail => fail,
                })
                .collect()
        };
        let frames: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &len)| (0..len).map(|j| (j * 13 + i) as u8).collect())
            .collect();
        let codec = Codec::default();
        let mut writer = FrameWriter::new(Scripted::new(Vec::new(), widen(out_script.clone())));
        for frame in &frames {
            if from_reader {
                let mut src = Scripted::new(&frame[..], widen(in_script.clone()));
                retry(|| writer.copy_frame_from(frame.len() as u64, &mut src))?;
            } else {
                retry(|| writer.write_frame(frame))?;
            }
        }
        retry(|| writer.flush())?;
        let (sink, _) = writer.into_parts();
        let wire = sink.inner;
        prop_assert!(wire == encode_all(codec, &frames));

        let mut reader = FrameReader::new(Scripted::new(&wire[..], widen(in_script)));
        let got = read_every_frame(&mut reader, frames.len(), &[copy], &widen(out_script))?;
        prop_assert!(got == frames);
    }
}
