//! The tokio adapters over a simulated network (turmoil): latency that changes under way,
//! segments delivered in random order (turmoil's TCP puts them back in sequence, as TCP does),
//! links held and released, partitions, servers crashed and restarted (their connections
//! reset), all on one deterministic seed per run.
//!
//! Two echo servers shaped like `examples/async_echo.rs` (a task per connection, a frame
//! deadline, flushing only when no whole frame is waiting): one on `FrameReader`/`FrameWriter`,
//! one on `Framed<_, FramedCodec>`. Clients send numbered frames of 0 to 20 KiB with every
//! writer (`write_frame` + `flush`, `feed_frame`, `send_frame`, `write_frame_with`, `SinkExt::send`)
//! and read the echoes. What must hold, whatever the faults:
//!
//! - each connection's frames reach the server whole, once, in order, numbered from 0; each echo
//!   is the next frame the client sent (nothing lost, duplicated, reordered or corrupted inside
//!   a connection);
//! - a frame whose send completed is echoed, or the connection ends in an error that says so
//!   (reset, end of stream inside a frame, broken pipe, or a timed-out frame);
//! - nothing hangs: every wait has a simulated deadline, and the run must finish within its
//!   simulated duration; once the faults stop, every client completes its rounds.
//!
//! `cargo test --test simulated_network` runs [`DEFAULT_SEEDS`] seeds: 24 in a debug build, 400
//! with `--release` (both in CI). More seeds:
//! `LENFRAME_SIM_SEEDS=10000`; one seed again: `LENFRAME_SIM_SEED=n` (a failing run prints its
//! seed).
#![cfg(feature = "tokio-util")]

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use lenframe::tokio::{FrameReader, FrameWriter};
use lenframe::{Codec, Decoded, Error, FrameError, FramedCodec};
use tokio_util::codec::Framed;
use turmoil::net::{TcpListener, TcpStream};

/// Seeds run by `cargo test`: 24 in the debug tier (about 0.3 s of CPU a run), 400 in the
/// release tier that `.ci/run` runs.
const DEFAULT_SEEDS: u64 = if cfg!(debug_assertions) { 24 } else { 400 };
const PORT: u16 = 7000;
const FRAMED_PORT: u16 = 7001;
/// The servers' frame deadline, as `async_echo --frame-deadline`.
const FRAME_DEADLINE: Duration = Duration::from_secs(1);
/// How long a client waits for an echo before it calls the connection dead.
const ECHO_DEADLINE: Duration = Duration::from_secs(3);
/// Rounds (frames sent and echoed) each client must complete, across reconnections.
const ROUNDS: u64 = 30;
/// The faults stop after this much simulated time; clients then finish.
const FAULTY: Duration = Duration::from_secs(4);
/// From this simulated time on, every fault has played out (a crashed server restarted, a
/// connection it broke timed out): a connection begun later must not fail, so a frame lost
/// without a fault (a timeout would otherwise hide it) fails the run.
const CALM: Duration = Duration::from_secs(10);
/// The whole run, simulated: a client still waiting by then is a hang.
const RUN: Duration = Duration::from_secs(300);
const TICK: Duration = Duration::from_millis(5);

/// xorshift64*: the frames' sizes and contents, and the faults, from the seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Frame `index` of a connection: its index (8 bytes), then a length and pattern from `salt`,
/// so that a lost, repeated, reordered or corrupted frame is caught by name.
fn frame(salt: u64, index: u64) -> Bytes {
    let mut rng = Rng::new(salt ^ index.wrapping_mul(0x1000_0000_01B3));
    let len = match rng.below(8) {
        0 => 8,
        1 => 8 + rng.below(20_000) as usize,
        _ => 8 + rng.below(300) as usize,
    };
    let mut bytes = index.to_le_bytes().to_vec();
    let fill = rng.next() as u8;
    bytes.extend((8..len).map(|i| fill.wrapping_add(i as u8)));
    Bytes::from(bytes)
}

fn index_of(frame: &[u8]) -> u64 {
    u64::from_le_bytes(frame[..8].try_into().expect("a frame of at least 8 bytes"))
}

fn codec() -> Codec {
    Codec::builder().max_frame_len(1 << 20).build().unwrap()
}

/// An error that says the connection ended: what a client may see when the network fails it.
fn connection_ended(err: &Error) -> bool {
    match err {
        Error::Io(e) => matches!(
            e.kind(),
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionRefused
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof
                | io::ErrorKind::NotConnected
                | io::ErrorKind::TimedOut
        ),
        Error::Frame(FrameError::Truncated { .. }) => true,
        _ => false,
    }
}

/// What the servers' connection tasks saw go wrong in this run (a panic in a spawned task would
/// only end that task): checked after each run.
static VIOLATIONS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Faults applied and connections the network ended, over all runs: printed, and asserted
/// non-zero so that the faults are known to reach the adapters.
static FAULTS: AtomicU64 = AtomicU64::new(0);
static ENDED: AtomicU64 = AtomicU64::new(0);
/// The same connections by what ended them (`ConnectionReset`, `TimedOut`, `Truncated`, ...).
static ENDED_BY: std::sync::Mutex<std::collections::BTreeMap<String, u64>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

fn ended_by(err: &Error) -> String {
    match err {
        Error::Io(e) => format!("{:?}", e.kind()),
        Error::Frame(e) => format!("{e:?}")
            .split([' ', '{'])
            .next()
            .unwrap_or("?")
            .to_string(),
        other => format!("{other:?}"),
    }
}

fn in_order(server: &str, frame: &[u8], expected: u64) -> bool {
    let index = index_of(frame);
    if index != expected {
        let mut violations = VIOLATIONS.lock().unwrap_or_else(|e| e.into_inner());
        violations.push(format!("{server}: frame {index} where {expected} was due"));
    }
    index == expected
}

/// The echo server on `FrameReader`/`FrameWriter`, shaped like `async_echo`'s connection task.
async fn echo_server() -> turmoil::Result {
    let listener = TcpListener::bind((IpAddr::from(Ipv4Addr::UNSPECIFIED), PORT)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let (read_half, write_half) = stream.into_split();
            let mut reader =
                FrameReader::with_codec(read_half, codec()).with_frame_deadline(FRAME_DEADLINE);
            let mut writer = FrameWriter::with_codec(write_half, codec());
            let mut expected = 0;
            while let Ok(Some(frame)) = reader.read_frame().await {
                if !in_order("echo server", &frame, expected) {
                    return;
                }
                expected += 1;
                if writer.write_frame(&frame).await.is_err() {
                    return;
                }
                if !matches!(
                    codec().decode_slice(reader.buffer()),
                    Ok(Decoded::Frame { .. })
                ) && writer.flush().await.is_err()
                {
                    return;
                }
            }
        });
    }
}

/// The same server on `Framed<_, FramedCodec>`: `Stream` in, `SinkExt::send` out.
async fn framed_server() -> turmoil::Result {
    let listener = TcpListener::bind((IpAddr::from(Ipv4Addr::UNSPECIFIED), FRAMED_PORT)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let mut framed = Framed::new(stream, FramedCodec::new(codec()));
            let mut expected = 0;
            while let Some(Ok(frame)) = framed.next().await {
                if !in_order("framed server", &frame, expected) {
                    return;
                }
                expected += 1;
                if framed.send(frame.freeze()).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// How a client sends a frame: each of the writers' ways in turn.
#[derive(Clone, Copy, Debug)]
enum How {
    WriteAndFlush,
    Feed,
    SendFrame,
    WriteWith,
    Sink,
}

const SENDS: [How; 5] = [
    How::WriteAndFlush,
    How::Feed,
    How::SendFrame,
    How::WriteWith,
    How::Sink,
];

async fn send(
    writer: &mut FrameWriter<turmoil::net::tcp::OwnedWriteHalf>,
    how: How,
    frame: &Bytes,
) -> Result<(), Error> {
    match how {
        How::WriteAndFlush => {
            writer.write_frame(frame).await?;
            writer.flush().await
        }
        How::Feed => {
            writer.feed_frame(frame.clone()).await?;
            writer.flush().await
        }
        How::SendFrame => writer.send_frame(frame).await,
        How::WriteWith => {
            writer
                .write_frame_with(|buf: &mut BytesMut| {
                    buf.extend_from_slice(frame);
                    Ok::<(), Error>(())
                })
                .await?;
            writer.flush().await
        }
        How::Sink => SinkExt::send(writer, frame.clone()).await,
    }
}

/// One connection's worth of rounds against `port`: returns the rounds completed. A frame whose
/// send completed and was not echoed must end in an error that says the connection ended.
async fn connection(port: u16, salt: u64, first_round: u64, rounds: u64) -> Result<u64, Error> {
    let stream = tokio::time::timeout(ECHO_DEADLINE, TcpStream::connect(("server", port)))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
    let (read_half, write_half) = stream.into_split();
    let mut reader =
        FrameReader::with_codec(read_half, codec()).with_frame_deadline(FRAME_DEADLINE);
    let mut writer = FrameWriter::with_codec(write_half, codec());
    let mut done = 0;
    for index in 0..rounds {
        let sent = frame(salt, index);
        let how = SENDS[((first_round + index) % SENDS.len() as u64) as usize];
        send(&mut writer, how, &sent).await?;
        let echo = tokio::time::timeout(ECHO_DEADLINE, reader.read_frame())
            .await
            .map_err(|_| {
                io::Error::new(io::ErrorKind::TimedOut, "no echo within the deadline")
            })??;
        match echo {
            Some(echo) => assert!(
                echo == sent,
                "echo {index} ({how:?}) differs: {} bytes, index {}, sent {} bytes",
                echo.len(),
                index_of(&echo),
                sent.len()
            ),
            None => {
                return Err(
                    io::Error::new(io::ErrorKind::UnexpectedEof, "closed between frames").into(),
                )
            }
        }
        done += 1;
    }
    Ok(done)
}

/// A client: rounds on one connection after another, reconnecting whenever the network ends
/// one, until it has done `ROUNDS` and a whole connection begun after [`CALM`].
async fn client(port: u16, salt: u64) -> turmoil::Result {
    let mut completed = 0;
    let mut connections = 0u64;
    loop {
        connections += 1;
        let salt = salt ^ connections.wrapping_mul(0x9E37_79B9);
        let begun = turmoil::elapsed();
        match connection(port, salt, completed, 10).await {
            Ok(_) if begun >= CALM && completed >= ROUNDS => return Ok(()),
            Ok(done) => completed += done,
            Err(err) if begun >= CALM => {
                panic!("connection {connections}, begun at {begun:?} with no fault left: {err:?}")
            }
            Err(err) => {
                ENDED.fetch_add(1, Ordering::Relaxed);
                *ENDED_BY
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(ended_by(&err))
                    .or_default() += 1;
                assert!(
                    connection_ended(&err),
                    "an error that does not say the connection ended: {err:?}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// One simulated run: two servers, four clients, faults from the seed for [`FAULTY`], then
/// calm until every client has finished.
fn run(seed: u64) -> turmoil::Result {
    let mut rng = Rng::new(seed);
    let mut sim = turmoil::Builder::new()
        .rng_seed(seed)
        .enable_random_order()
        .min_message_latency(Duration::from_millis(rng.below(3)))
        .max_message_latency(Duration::from_millis(5 + rng.below(100)))
        .simulation_duration(RUN)
        // 5 ms steps: a run is a few thousand steps, so hundreds of runs fit in CI.
        .tick_duration(TICK)
        .build();
    sim.host("server", || async {
        tokio::try_join!(echo_server(), framed_server())?;
        Ok(())
    });
    for (i, port) in [PORT, PORT, FRAMED_PORT, FRAMED_PORT]
        .into_iter()
        .enumerate()
    {
        let salt = seed ^ (i as u64) << 48;
        sim.client(format!("client{i}"), client(port, salt));
    }
    let mut crashed_until = None;
    let mut calm = false;
    while !sim.step()? {
        let now = sim.elapsed();
        if let Some(until) = crashed_until {
            if now >= until {
                sim.bounce("server");
                crashed_until = None;
            }
            continue;
        }
        if now >= FAULTY {
            if !calm {
                for i in 0..4 {
                    let peer = format!("client{i}");
                    sim.release("server", peer.as_str());
                    sim.repair("server", peer.as_str());
                }
                calm = true;
            }
            continue;
        }
        // About one fault every 6 steps (30 ms).
        let peer = format!("client{}", rng.below(4));
        let fault = rng.below(1000);
        FAULTS.fetch_add(u64::from(fault < 160), Ordering::Relaxed);
        match fault {
            0..=29 => sim.hold("server", peer.as_str()),
            30..=69 => sim.release("server", peer.as_str()),
            70..=84 => sim.partition("server", peer.as_str()),
            85..=124 => sim.repair("server", peer.as_str()),
            125..=134 => sim.bounce("server"),
            135..=139 => {
                sim.crash("server");
                crashed_until = Some(now + Duration::from_millis(rng.below(1000)));
            }
            140..=159 => sim.set_max_message_latency(Duration::from_millis(5 + rng.below(300))),
            _ => {}
        }
    }
    let violations = std::mem::take(&mut *VIOLATIONS.lock().unwrap_or_else(|e| e.into_inner()));
    assert!(violations.is_empty(), "{violations:?}");
    Ok(())
}

fn seeds() -> Vec<u64> {
    if let Ok(seed) = std::env::var("LENFRAME_SIM_SEED") {
        return vec![seed.parse().expect("LENFRAME_SIM_SEED is a number")];
    }
    let count = std::env::var("LENFRAME_SIM_SEEDS").map_or(DEFAULT_SEEDS, |n| {
        n.parse().expect("LENFRAME_SIM_SEEDS is a number")
    });
    (1..=count).collect()
}

#[test]
fn frames_survive_latency_holds_partitions_crashes_and_resets() {
    let seeds = seeds();
    let started = std::time::Instant::now();
    for &seed in &seeds {
        let outcome = catch_unwind(AssertUnwindSafe(|| run(seed)));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(err)) => panic!("seed {seed}: {err}; replay with LENFRAME_SIM_SEED={seed}"),
            Err(_) => panic!("seed {seed} panicked (above); replay with LENFRAME_SIM_SEED={seed}"),
        }
    }
    let (faults, ended) = (
        FAULTS.load(Ordering::Relaxed),
        ENDED.load(Ordering::Relaxed),
    );
    let by = ENDED_BY.lock().unwrap_or_else(|e| e.into_inner()).clone();
    println!(
        "{} simulated runs (seeds {}..={}) in {:.1?}: {faults} faults, {ended} connections ended \
         by them ({by:?}), every frame accounted for",
        seeds.len(),
        seeds[0],
        seeds[seeds.len() - 1],
        started.elapsed()
    );
    assert!(
        faults > 0 && ended > 0,
        "the faults never reached a connection"
    );
}
