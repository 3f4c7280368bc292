//! Soak: the example echo servers (`echo_server`, a thread per client, and `async_echo`, tokio)
//! under a steady mix of good and bad clients for a fixed period each, on loopback.
//!
//! - Good clients (6 connections) send numbered frames of 0 to 8 KiB one at a time and time
//!   each round trip; every echo must be exactly the frame sent: nothing lost, duplicated,
//!   reordered or corrupted.
//! - Bad clients, the whole time: hostile headers (negative, `i32::MAX`, an HTTP request, a
//!   TLS hello), half frames then a close, stalls (20 connections holding half a frame for 2 s
//!   each), resets (half a frame, then an RST), connect/close churn, and a 4 MiB frame every
//!   second (echoed and checked).
//!
//! Asserts: the server never exits; the good clients see no error; their p99 round trip stays
//! under [`P99_BOUND`]; the server's resting RSS at the end is within [`rss_margin`] of its
//! resting RSS after the warm-up (resting: the lowest of the samples taken every 500 ms over
//! two seconds, so not the moment a 4 MiB frame is in flight; at the end, the two seconds
//! after the clients have left count too). Prints the figures. Linux only (RSS from /proc); bounded: [`PERIOD`] a server.
#![cfg(all(target_os = "linux", feature = "tokio"))]

#[path = "support/example_runner.rs"]
mod example_runner;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use example_runner::{frame, pseudo_random, Running};

/// How long each server is soaked.
const PERIOD: Duration = Duration::from_secs(20);
/// When the baseline RSS is taken: every kind of client, the big frames included, has run a
/// few times by then.
const WARM_UP: Duration = Duration::from_secs(5);
/// The bound on the good clients' p99 round trip: wide, so that a loaded machine cannot fail
/// it, yet below what a server that let a bad client hold up the good ones would show. A frame
/// of at most 8 KiB takes well under a millisecond unloaded (p99 0.4 to 3.6 ms measured, see
/// docs/guarantees.md); on a two-core machine shared with compilers, a debug build and the
/// test's own 30-odd client threads, scheduling delays reach tens of milliseconds, and with a
/// busy loop on the other core they stay there. Head-of-line blocking behind a bad client costs
/// a second or more (the stalls last 2 s, `async_echo`'s frame deadline is 1 s), so 900 ms
/// still separates the two. The measured p99 is printed.
const P99_BOUND: Duration = Duration::from_millis(900);
const GOOD_CLIENTS: u32 = 6;
const BIG_FRAME: usize = 4 << 20;

/// The most the resting RSS may grow from the warm-up to the end: a quarter, or two big frames
/// (8 MiB) if that is more. glibc's per-thread arenas keep some freed memory, more or less
/// depending on which threads ran last: with the tokio server's two workers each arena can keep
/// one freed 4 MiB frame buffer after every connection has closed (seen 2026-12-04: 7.3 -> 12.9
/// MiB in one CI run of `async_echo`, with the quiet samples flat at 12.9; 6.9-7.4 MiB at the
/// end in the other runs that day). A server whose memory followed what its connections once
/// received would grow far past that here: 7,000-odd bad connections and 20 4 MiB frames, 80 MiB.
fn rss_margin(warm_kib: u64) -> u64 {
    (warm_kib / 4).max(2 * BIG_FRAME as u64 / 1024)
}

fn read_frame(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut header = [0; 4];
    stream.read_exact(&mut header)?;
    let len = i32::from_le_bytes(header);
    if !(0..=BIG_FRAME as i32).contains(&len) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("length {len}"),
        ));
    }
    let mut payload = vec![0; len as usize];
    stream.read_exact(&mut payload)?;
    Ok(payload)
}

/// The server's resident set size, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// What the clients saw.
#[derive(Default)]
struct Tally {
    round_trips: Mutex<Vec<Duration>>,
    good_frames: AtomicU64,
    good_errors: Mutex<Vec<String>>,
    bad_connections: AtomicU64,
    big_frames: AtomicU64,
}

/// One good client: numbered frames, one at a time, each echo checked and timed.
fn good_client(addr: SocketAddr, id: u32, stop: &AtomicBool, tally: &Tally) {
    let block = pseudo_random(8192 + 64, u64::from(id) + 1);
    let fail = |what: String| tally.good_errors.lock().unwrap().push(what);
    let mut stream = match TcpStream::connect(addr) {
        Ok(stream) => stream,
        Err(err) => return fail(format!("client {id}: connect: {err}")),
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.set_nodelay(true).unwrap();
    let mut times = Vec::new();
    let mut i: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        let len = (i.wrapping_mul(2_654_435_761) % 8193) as usize;
        let mut payload = format!("{id}:{i}:").into_bytes();
        let start = (i as usize * 7) % 64;
        payload.extend_from_slice(&block[start..start + len]);
        let sent = Instant::now();
        let echo = stream
            .write_all(&frame(&payload))
            .and_then(|()| read_frame(&mut stream));
        match echo {
            Ok(echo) if echo == payload => times.push(sent.elapsed()),
            Ok(echo) => {
                return fail(format!(
                    "client {id}: frame {i}: {} bytes sent, a different {} came back",
                    payload.len(),
                    echo.len()
                ))
            }
            Err(err) => return fail(format!("client {id}: frame {i}: {err}")),
        }
        i += 1;
    }
    tally.good_frames.fetch_add(i, Ordering::Relaxed);
    tally.round_trips.lock().unwrap().extend(times);
}

/// Connects, sends `bytes`, optionally half-closes, and waits (a little) for the server to
/// hang up.
fn hit(addr: SocketAddr, bytes: &[u8], close: bool) {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return;
    };
    let _ = stream.write_all(bytes);
    if close {
        let _ = stream.shutdown(Shutdown::Write);
    }
    let _ = stream.set_read_timeout(Some(Duration::from_secs(3)));
    let _ = stream.read(&mut [0; 64]);
}

/// A bad client of `kind`, again and again until `stop`.
fn bad_client(addr: SocketAddr, kind: u32, stop: &AtomicBool, tally: &Tally) {
    let hostile: [&[u8]; 4] = [
        &(-1i32).to_le_bytes(),
        &i32::MAX.to_le_bytes(),
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01],
    ];
    let half = [&1000i32.to_le_bytes()[..], &[9; 10]].concat();
    let mut stalls: Vec<(Instant, TcpStream)> = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        match kind {
            0 => hit(addr, hostile[n % hostile.len()], false),
            1 => hit(addr, &half, true),
            2 => {
                stalls.retain(|(since, _)| since.elapsed() < Duration::from_secs(2));
                if stalls.len() < 20 {
                    if let Ok(mut stream) = TcpStream::connect(addr) {
                        let _ = stream.write_all(&half);
                        stalls.push((Instant::now(), stream));
                    }
                }
                thread::sleep(Duration::from_millis(50));
            }
            3 => {
                if let Ok(mut stream) = TcpStream::connect(addr) {
                    let _ = stream.write_all(&half);
                    // SO_LINGER 0: closing sends a reset, not a goodbye.
                    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
                }
            }
            _ => drop(TcpStream::connect(addr)),
        }
        tally.bad_connections.fetch_add(1, Ordering::Relaxed);
        thread::sleep(Duration::from_millis(10));
    }
}

/// A 4 MiB frame a second, written from one thread while this one reads the echo.
fn big_frames(addr: SocketAddr, stop: &AtomicBool, tally: &Tally) {
    let payload = Arc::new(pseudo_random(BIG_FRAME, 99));
    while !stop.load(Ordering::Relaxed) {
        let result = (|| -> io::Result<()> {
            let mut stream = TcpStream::connect(addr)?;
            stream.set_read_timeout(Some(Duration::from_secs(30)))?;
            let mut writer = stream.try_clone()?;
            let sent = Arc::clone(&payload);
            let writing = thread::spawn(move || writer.write_all(&frame(&sent)));
            let echo = read_frame(&mut stream)?;
            writing.join().unwrap()?;
            if echo != *payload {
                return Err(io::Error::other("a big frame came back different"));
            }
            Ok(())
        })();
        match result {
            Ok(()) => tally.big_frames.fetch_add(1, Ordering::Relaxed),
            Err(err) => {
                tally
                    .good_errors
                    .lock()
                    .unwrap()
                    .push(format!("big frame: {err}"));
                return;
            }
        };
        thread::sleep(Duration::from_secs(1));
    }
}

/// A client's loop: runs until the flag is set, counting into the tally.
type ClientLoop = dyn FnOnce(&AtomicBool, &Tally) + Send;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn soak(name: &str, args: &[&str]) {
    let mut server = Running::example(name, args);
    let addr = server.wait_listening();
    let pid = server.pid();
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let mut threads = Vec::new();
    let mut start = |f: Box<ClientLoop>| {
        let (stop, tally) = (Arc::clone(&stop), Arc::clone(&tally));
        threads.push(thread::spawn(move || f(&stop, &tally)));
    };
    for id in 0..GOOD_CLIENTS {
        start(Box::new(move |stop, tally| {
            good_client(addr, id, stop, tally)
        }));
    }
    for kind in 0..5 {
        start(Box::new(move |stop, tally| {
            bad_client(addr, kind, stop, tally)
        }));
    }
    start(Box::new(move |stop, tally| big_frames(addr, stop, tally)));

    let began = Instant::now();
    let mut samples = Vec::new();
    while began.elapsed() < PERIOD {
        thread::sleep(Duration::from_millis(500));
        server.assert_running();
        samples.push((began.elapsed(), rss_kib(pid)));
    }
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
    server.assert_running();
    // Two quiet seconds after every client has left: on a loaded machine a 4 MiB frame can be
    // in flight at every sample of the last two busy seconds, so the resting figure at the end
    // is the lowest of those and these.
    let mut quiet = Vec::new();
    for _ in 0..4 {
        thread::sleep(Duration::from_millis(500));
        quiet.push(rss_kib(pid));
    }
    server.assert_running();

    // The lowest sample of the two seconds before the warm-up ends, and of the last two.
    let resting = |from: Duration, to: Duration| {
        samples
            .iter()
            .filter(|(at, _)| *at >= from && *at <= to)
            .map(|&(_, rss)| rss)
            .min()
            .unwrap()
    };
    let two = Duration::from_secs(2);
    let warm = resting(WARM_UP - two, WARM_UP);
    let end = resting(PERIOD - two, PERIOD + two).min(*quiet.iter().min().unwrap());
    let peak = samples.iter().map(|&(_, rss)| rss).max().unwrap();
    let mut round_trips = tally.round_trips.lock().unwrap().clone();
    round_trips.sort_unstable();
    let errors = tally.good_errors.lock().unwrap().clone();
    let (p50, p99) = (
        percentile(&round_trips, 0.50),
        percentile(&round_trips, 0.99),
    );
    let trend: Vec<String> = samples
        .iter()
        .step_by(4)
        .map(|(at, rss)| format!("{}s:{}", at.as_secs(), rss / 1024))
        .collect();
    eprintln!(
        "soak {name}, {} s: {} good frames ({GOOD_CLIENTS} clients), {} big 4 MiB frames, {} bad \
         connections; round trip p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; resting RSS after \
         warm-up {} KiB, at the end {} KiB, peak {} KiB (MiB every 2 s: {})",
        PERIOD.as_secs(),
        tally.good_frames.load(Ordering::Relaxed),
        tally.big_frames.load(Ordering::Relaxed),
        tally.bad_connections.load(Ordering::Relaxed),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        round_trips.last().unwrap().as_secs_f64() * 1e3,
        warm,
        end,
        peak,
        trend.join(" ")
    );
    assert!(errors.is_empty(), "{name}: good clients failed: {errors:?}");
    assert!(
        round_trips.len() > 1000,
        "{name}: only {} round trips",
        round_trips.len()
    );
    assert!(
        tally.big_frames.load(Ordering::Relaxed) >= 5,
        "{name}: too few big frames"
    );
    assert!(
        p99 < P99_BOUND,
        "{name}: p99 round trip {p99:?} over {P99_BOUND:?}"
    );
    assert!(
        end <= warm + rss_margin(warm),
        "{name}: RSS grew from {warm} KiB after the warm-up to {end} KiB at the end \
         (margin {} KiB)",
        rss_margin(warm)
    );
    server
        .terminate_and_finish(Duration::from_secs(20))
        .assert_success();
}

#[test]
fn soak_echo_server() {
    soak("echo_server", &["serve", "--addr", "127.0.0.1:0"]);
}

#[test]
fn soak_async_echo() {
    soak(
        "async_echo",
        &["server", "--addr", "127.0.0.1:0", "--frame-deadline", "1"],
    );
}
