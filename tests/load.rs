//! Load: many concurrent clients, each sending 500 messages of varied sizes (0 bytes to 64 KiB)
//! through an echo server and checking that it gets back exactly its own messages, in order:
//! none lost, none duplicated, none from another client.
//!
//! - 200 clients through an async echo server (tokio, one task per connection, built here from
//!   `lenframe::tokio` as `examples/async_echo.rs` does);
//! - 50 clients through the blocking threaded echo server: the `echo_server` example run as a
//!   process (`cargo test` builds it), or, if its binary is missing (`cargo test --test load`
//!   alone does not build examples) or `LENFRAME_LOAD_IN_PROCESS` is set, the same server built
//!   here from `lenframe::blocking`.
//!
//! Loopback only; every test stops by itself within a bounded time. Sizes are biased (most
//! messages up to 256 bytes, 8% up to 8 KiB, 2% up to 64 KiB, and every client sends one empty
//! and one 64 KiB message) so the total stays moderate in a debug build: about 120 MB echoed in
//! the async test, 30 MB in the blocking one, each about a second on two cores.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lenframe::tokio::{FrameReader, FrameWriter};
use lenframe::{Codec, Decoded};
use tokio::net::{TcpListener, TcpStream};

const MESSAGES: u32 = 500;
const MAX_MESSAGE: usize = 64 * 1024;
/// The most a whole test may take, even on a loaded two-core CI machine with a debug build.
const OVERALL: Duration = Duration::from_secs(180);

/// The bytes messages are cut from: a pseudo-random block, so a message shifted or mixed up
/// with another never compares equal.
fn block() -> Arc<Vec<u8>> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let bytes = (0..MAX_MESSAGE + 4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    Arc::new(bytes)
}

/// Message `i` of `client`: its length is mostly small, sometimes a few KiB, rarely up to
/// 64 KiB; it starts with the client and message numbers.
fn message(block: &[u8], client: u32, i: u32) -> Vec<u8> {
    let h = (u64::from(client) << 32 | u64::from(i)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
    let len = match (i, h % 100) {
        (0, _) => 0,
        (1, _) => MAX_MESSAGE,
        (_, 0..=1) => (h >> 8) as usize % (MAX_MESSAGE + 1),
        (_, 2..=9) => (h >> 8) as usize % 8192,
        _ => (h >> 8) as usize % 257,
    };
    let mut msg = Vec::with_capacity(len);
    msg.extend_from_slice(&client.to_le_bytes());
    msg.extend_from_slice(&i.to_le_bytes());
    msg.truncate(len);
    let start = (h as usize) % 4096;
    msg.extend_from_slice(&block[start..start + (len - msg.len())]);
    msg
}

/// One client: writes its messages (flushing every few) while reading the echoes, checks each,
/// then closes its side and expects the server to close after the last echo. Returns the bytes
/// echoed.
async fn client(addr: SocketAddr, id: u32, block: Arc<Vec<u8>>) -> Result<u64, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|err| format!("client {id}: connect: {err}"))?;
    let (read_half, write_half) = stream.into_split();
    let sent = Arc::clone(&block);
    let writing = tokio::spawn(async move {
        let mut writer = FrameWriter::new(write_half);
        for i in 0..MESSAGES {
            writer.write_frame(&message(&sent, id, i)).await?;
            if i % 8 == 7 {
                writer.flush().await?;
            }
        }
        writer.flush().await?;
        tokio::io::AsyncWriteExt::shutdown(writer.get_mut()).await?;
        Ok::<_, lenframe::Error>(())
    });
    let mut reader = FrameReader::new(read_half);
    let mut bytes = 0;
    for i in 0..MESSAGES {
        let echo = reader
            .read_frame()
            .await
            .map_err(|err| format!("client {id}: echo {i}: {err}"))?
            .ok_or_else(|| format!("client {id}: the server closed after {i} echoes"))?;
        if echo != message(&block, id, i)[..] {
            return Err(format!(
                "client {id}: echo {i} is not message {i} ({} bytes, starts {:02x?})",
                echo.len(),
                &echo[..echo.len().min(8)]
            ));
        }
        bytes += echo.len() as u64;
    }
    match reader.read_frame().await {
        Ok(None) => {}
        other => return Err(format!("client {id}: after the last echo: {other:?}")),
    }
    writing
        .await
        .map_err(|err| format!("client {id}: writer task: {err}"))?
        .map_err(|err| format!("client {id}: writing: {err}"))?;
    Ok(bytes)
}

/// Runs `clients` clients at once against `addr`; panics with every failure.
async fn run_clients(addr: SocketAddr, clients: u32) -> u64 {
    let block = block();
    let tasks: Vec<_> = (0..clients)
        .map(|id| tokio::spawn(client(addr, id, Arc::clone(&block))))
        .collect();
    let mut failures = Vec::new();
    let mut bytes = 0;
    for task in tasks {
        match task.await {
            Ok(Ok(n)) => bytes += n,
            Ok(Err(err)) => failures.push(err),
            Err(err) => failures.push(format!("client task: {err}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {clients} clients failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    bytes
}

// ---------------------------------------------------------------------------------------------
// The async server.

/// Echoes frames back, as `examples/async_echo.rs` does: flush when no whole frame is waiting.
async fn async_echo(stream: TcpStream) -> Result<(), lenframe::Error> {
    let codec = Codec::default();
    let (read_half, write_half) = stream.into_split();
    let mut reader =
        FrameReader::with_codec(read_half, codec).with_frame_deadline(Duration::from_secs(30));
    let mut writer = FrameWriter::with_codec(write_half, codec);
    while let Some(frame) = reader.read_frame().await? {
        writer.write_frame(&frame).await?;
        if !matches!(
            codec.decode_slice(reader.buffer()),
            Ok(Decoded::Frame { .. })
        ) {
            writer.flush().await?;
        }
    }
    writer.flush().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_echo_server_200_clients_500_messages_each() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let (stream, peer) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                if let Err(err) = async_echo(stream).await {
                    panic!("server, client {peer}: {err}");
                }
            });
        }
    });
    let started = Instant::now();
    let bytes = tokio::time::timeout(OVERALL, run_clients(addr, 200))
        .await
        .expect("the load test did not finish in time");
    eprintln!(
        "async: 200 clients x {MESSAGES} messages, {} MB echoed in {:.2?}",
        bytes / 1_000_000,
        started.elapsed()
    );
    server.abort();
}

// ---------------------------------------------------------------------------------------------
// The blocking server.

/// A server process, killed when dropped.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `target/<profile>/examples/echo_server`, next to this test's `target/<profile>/deps/`.
fn echo_server_example() -> PathBuf {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join("examples")
        .join(format!("echo_server{}", std::env::consts::EXE_SUFFIX))
}

/// Starts the `echo_server` example on port 0 and reads the address it prints.
fn start_echo_server_example(path: &PathBuf) -> (ServerProcess, SocketAddr) {
    let mut child = Command::new(path)
        .args(["--addr", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {}: {err}", path.display()));
    let stdout = child.stdout.take().unwrap();
    let server = ServerProcess(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(addr) = line.trim().strip_prefix("listening on ") {
                let _ = tx.send(addr.parse::<SocketAddr>().unwrap());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("echo_server did not print `listening on ADDR`");
    (server, addr)
}

/// The blocking threaded echo server, for when the example binary is not built.
fn start_echo_server_in_process() -> SocketAddr {
    use lenframe::blocking;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let stream = stream.unwrap();
            std::thread::spawn(move || {
                let codec = Codec::default();
                let mut reader = blocking::FrameReader::new(stream.try_clone().unwrap());
                let mut writer = blocking::FrameWriter::new(stream);
                while let Some(frame) = reader.read_frame().unwrap() {
                    writer.write_frame(&frame).unwrap();
                    if !matches!(
                        codec.decode_slice(reader.buffer()),
                        Ok(Decoded::Frame { .. })
                    ) {
                        writer.flush().unwrap();
                    }
                }
                writer.flush().unwrap();
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_echo_server_50_clients_500_messages_each() {
    let path = echo_server_example();
    let in_process = std::env::var_os("LENFRAME_LOAD_IN_PROCESS").is_some();
    let (_process, addr, which) = if path.exists() && !in_process {
        let (process, addr) = start_echo_server_example(&path);
        (Some(process), addr, "the echo_server example")
    } else {
        let addr = start_echo_server_in_process();
        (None, addr, "an in-process lenframe::blocking server")
    };
    let started = Instant::now();
    let bytes = tokio::time::timeout(OVERALL, run_clients(addr, 50))
        .await
        .expect("the load test did not finish in time");
    eprintln!(
        "blocking ({which}): 50 clients x {MESSAGES} messages, {} MB echoed in {:.2?}",
        bytes / 1_000_000,
        started.elapsed()
    );
}
