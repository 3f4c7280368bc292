//! A 1 GiB frame moves through the blocking adapters in a few hundred KiB of memory: proven by a
//! counting global allocator that records the peak of live heap bytes.
//!
//! Its own test binary, because the allocator counts every allocation in the process. The tests
//! take a lock so that they run one at a time and each measures only itself. Payload bytes are
//! generated and checked with `memcpy`/`memcmp`-sized operations, so the 1 GiB runs in seconds
//! even in a debug build. See the peaks with `cargo test --test streaming_alloc -- --nocapture`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::Codec;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{serial, Meter};

const GIB: u64 = 1 << 30;
/// The bound for what is not streamed (the buffer-doubling test below).
const LIMIT: usize = 4 << 20;
/// docs/guarantees.md's figures, each asserted by its test: `copy_frame_from` through 128 KiB
/// of heap (its 64 KiB chunk and the harness's own; measured 64 to 74 KiB), `copy_frame_to`
/// through 256 KiB (the reader's reads grow while they come back full; measured 216 KiB), and
/// across a real TCP connection, both ends and the writer's thread, through 1 MiB (measured
/// 496 to 604 KiB).
const FROM_BOUND: usize = 128 * 1024;
const TO_BOUND: usize = 256 * 1024;
const TCP_BOUND: usize = 1 << 20;
/// The payload repeats with this period, so a lost, repeated or shifted block shows.
const PERIOD: usize = 251;
const PIECE: usize = 64 * 1024;

/// Runs `f`, returning the most heap it held at once beyond what was live before.
fn peak_during(f: impl FnOnce()) -> usize {
    peak_and_total_during(f).0
}

/// Runs `f`, returning its peak heap (as `peak_during`) and the bytes it allocated in all.
fn peak_and_total_during(f: impl FnOnce()) -> (usize, usize) {
    let meter = Meter::start();
    f();
    (meter.peak(), meter.total())
}

fn codec() -> Codec {
    Codec::builder()
        .max_frame_len(GIB as usize)
        .build()
        .unwrap()
}

/// `PERIOD + PIECE` bytes: byte `i` of the payload is `pattern[i % PERIOD]`.
fn pattern() -> Vec<u8> {
    (0..PERIOD + PIECE).map(|i| (i % PERIOD) as u8).collect()
}

/// Generates the payload: `left` bytes of the pattern.
struct Payload<'a> {
    pattern: &'a [u8],
    at: u64,
    left: u64,
}

impl Payload<'_> {
    fn new(pattern: &[u8], left: u64) -> Payload<'_> {
        Payload {
            pattern,
            at: 0,
            left,
        }
    }
}

impl Read for Payload<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(PIECE).min(self.left as usize);
        let start = (self.at % PERIOD as u64) as usize;
        buf[..n].copy_from_slice(&self.pattern[start..start + n]);
        self.at += n as u64;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Checks what is written against the pattern, after skipping `header` bytes it compares too.
struct Check<'a> {
    pattern: &'a [u8],
    header: Vec<u8>,
    header_seen: usize,
    at: u64,
}

impl Check<'_> {
    fn new(pattern: &[u8], header: Vec<u8>) -> Check<'_> {
        Check {
            pattern,
            header,
            header_seen: 0,
            at: 0,
        }
    }
}

impl Write for Check<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while self.header_seen < self.header.len() && !rest.is_empty() {
            assert_eq!(
                rest[0], self.header[self.header_seen],
                "header byte {}",
                self.header_seen
            );
            self.header_seen += 1;
            rest = &rest[1..];
        }
        for piece in rest.chunks(PIECE) {
            let start = (self.at % PERIOD as u64) as usize;
            assert!(
                piece == &self.pattern[start..start + piece.len()],
                "payload differs near byte {}",
                self.at
            );
            self.at += piece.len() as u64;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn header(len: u64) -> Vec<u8> {
    codec().encoder().header(len as usize).unwrap().to_vec()
}

fn report(what: &str, peak: usize, started: Instant, bound: usize) {
    println!(
        "{what}: 1 GiB frame, peak heap {peak} bytes ({:.0} KiB), {:.1?}; asserted at most {} KiB",
        peak as f64 / 1024.0,
        started.elapsed(),
        bound / 1024
    );
    assert!(
        peak <= bound,
        "{what} held {peak} bytes at once, over the {bound}-byte bound"
    );
}

#[test]
fn copy_frame_to_moves_a_1_gib_frame_in_bounded_memory() {
    let _serial = serial();
    let pattern = pattern();
    let started = Instant::now();
    let mut copied = None;
    let mut check = Check::new(&pattern, Vec::new());
    let peak = peak_during(|| {
        let wire = io::Cursor::new(header(GIB)).chain(Payload::new(&pattern, GIB));
        let mut reader = FrameReader::with_codec(wire, codec());
        copied = reader.copy_frame_to(&mut check).unwrap();
        assert_eq!(reader.read_frame().unwrap(), None);
    });
    assert_eq!(copied, Some(GIB));
    assert_eq!(check.at, GIB);
    report("copy_frame_to", peak, started, TO_BOUND);
}

#[test]
fn copy_frame_from_moves_a_1_gib_frame_in_bounded_memory() {
    let _serial = serial();
    let pattern = pattern();
    let started = Instant::now();
    let mut check = Check::new(&pattern, header(GIB));
    let peak = peak_during(|| {
        let mut writer = FrameWriter::with_codec(&mut check, codec());
        let mut src = Payload::new(&pattern, GIB);
        writer.copy_frame_from(GIB, &mut src).unwrap();
        writer.flush().unwrap();
    });
    assert_eq!(check.header_seen, check.header.len());
    assert_eq!(check.at, GIB);
    report("copy_frame_from", peak, started, FROM_BOUND);
}

#[test]
fn a_1_gib_frame_crosses_a_tcp_connection_in_bounded_memory() {
    let _serial = serial();
    let pattern = pattern();
    let started = Instant::now();
    let mut copied = None;
    let mut check = Check::new(&pattern, Vec::new());
    let peak = peak_during(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        for stream in [&client, &server] {
            stream
                .set_read_timeout(Some(Duration::from_secs(60)))
                .unwrap();
            stream
                .set_write_timeout(Some(Duration::from_secs(60)))
                .unwrap();
        }
        thread::scope(|scope| {
            let pattern = &pattern;
            scope.spawn(move || {
                let mut writer = FrameWriter::with_codec(client, codec());
                let mut src = Payload::new(pattern, GIB);
                writer.copy_frame_from(GIB, &mut src).unwrap();
                writer.write_frame(b"done").unwrap();
                let client = writer.into_inner().unwrap();
                client.shutdown(Shutdown::Write).unwrap();
            });
            let mut reader = FrameReader::with_codec(server, codec());
            copied = reader.copy_frame_to(&mut check).unwrap();
            assert_eq!(reader.read_frame().unwrap().unwrap(), &b"done"[..]);
            assert_eq!(reader.read_frame().unwrap(), None);
        });
    });
    assert_eq!(copied, Some(GIB));
    assert_eq!(check.at, GIB);
    report(
        "TCP copy_frame_from -> copy_frame_to",
        peak,
        started,
        TCP_BOUND,
    );
}

#[test]
fn read_frame_grows_its_buffer_geometrically_for_a_big_frame() {
    let _serial = serial();
    const LEN: u64 = 64 << 20;
    let pattern = pattern();
    let mut frame = None;
    let (peak, total) = peak_and_total_during(|| {
        // The payload arrives 64 KiB a read: 1024 reads for the frame.
        let wire = io::Cursor::new(header(LEN)).chain(Payload::new(&pattern, LEN));
        let mut reader = FrameReader::with_codec(wire, codec());
        frame = reader.read_frame().unwrap();
    });
    let frame = frame.unwrap();
    assert_eq!(frame.len() as u64, LEN);
    let mut check = Check::new(&pattern, Vec::new());
    check.write_all(&frame).unwrap();
    println!(
        "read_frame: 64 MiB frame, peak heap {} MiB, {} MiB allocated in all",
        peak >> 20,
        total >> 20
    );
    // Doubling: the buffer ends at most twice the frame, and all its sizes sum to at most twice
    // that. Growing by a read's worth each time would allocate about 32 GiB in all.
    assert!(peak <= 2 * LEN as usize + LIMIT, "peak {peak}");
    assert!(total <= 4 * LEN as usize + LIMIT, "total {total}");
}
