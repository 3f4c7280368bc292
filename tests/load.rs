//! Load: many concurrent clients, each sending 500 messages of varied sizes (0 bytes to 64 KiB)
//! through an echo server and checking that it gets back exactly its own messages, in order:
//! none lost, none duplicated, none from another client.
//!
//! - 200 clients through the async echo server, the `async_echo` example (tokio, one task per
//!   connection);
//! - 50 clients through the blocking threaded echo server, the `echo_server` example.
//!
//! Both run as processes, built first if need be (see `example_runner::example_path`). Loopback
//! only; every test stops by itself within a bounded time. Sizes are biased (most messages up to
//! 256 bytes, 8% up to 8 KiB, 2% up to 64 KiB, and every client sends one empty and one 64 KiB
//! message) so the total stays moderate in a debug build: about 120 MB echoed in the async test,
//! 30 MB in the blocking one, each about a second on two cores.

#[path = "support/example_runner.rs"]
mod example_runner;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use example_runner::Running;
use lenframe::tokio::{FrameReader, FrameWriter};
use tokio::net::TcpStream;

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

/// Starts the echo server `example` with `args` (port 0) and runs `clients` clients against it
/// at once.
async fn load(example: &str, args: &[&str], clients: u32) {
    let mut server = Running::example(example, args);
    let addr = server.wait_listening();
    let started = Instant::now();
    let bytes = tokio::time::timeout(OVERALL, run_clients(addr, clients))
        .await
        .expect("the load test did not finish in time");
    eprintln!(
        "{example}: {clients} clients x {MESSAGES} messages, {} MB echoed in {:.2?}",
        bytes / 1_000_000,
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_echo_server_200_clients_500_messages_each() {
    let args = ["server", "--addr", "127.0.0.1:0", "--frame-deadline", "30"];
    load("async_echo", &args, 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_echo_server_50_clients_500_messages_each() {
    load("echo_server", &["--addr", "127.0.0.1:0"], 50).await;
}
