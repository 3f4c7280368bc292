//! An async echo server and client on tokio: every frame a client sends comes back unchanged.
//!
//! ```text
//! cargo run --example async_echo --features tokio                      # demo, then exits
//! cargo run --example async_echo --features tokio -- server [--addr 127.0.0.1:8989] [--format i]
//!                          [--frame-deadline 10] [--max-clients 1024] [--backlog 1024]
//! cargo run --example async_echo --features tokio -- client [--addr 127.0.0.1:8989] [MESSAGE...]
//! ```
//!
//! With no arguments it runs a demo: a server on 127.0.0.1 with a port the OS picks (so it never
//! collides), and clients that send frames back to back, from an empty one to 1 MiB, and check
//! every echo. `server` runs a real server until Ctrl-C or SIGTERM; it prints
//! `listening on HOST:PORT` on stdout once it accepts connections (so `--addr 127.0.0.1:0` works
//! for scripts). `client` sends each MESSAGE (or, without any, each line of stdin) and prints
//! the echoes.
//!
//! The wire format is the blocking `echo_server`'s, so the two servers and clients (and the
//! Python ones in `examples/python/`) talk to each other: each message is a length field, by
//! default Python's `struct.pack('i', len(payload))` (4 bytes, signed, little-endian), then the
//! payload.
//!
//! ```text
//! b"hi"  ->  02 00 00 00 68 69          b""  ->  00 00 00 00
//! ```
//!
//! Each connection is one task. It reads with [`FrameReader`] and writes with [`FrameWriter`],
//! flushing only when no whole frame is waiting (so a burst of small frames costs one write),
//! and it gives each frame `--frame-deadline` seconds (default 10) to complete once its header
//! is in: a client that trickles a frame, sends a bad length or closes mid-frame is logged and
//! disconnected, and the others are not affected. The demo shows both.
//!
//! # Staying up
//!
//! At most `--max-clients` clients (default 1024) are served at once; one more is closed at once
//! with a logged reason. Failed `accept`s (out of file descriptors, ...) are logged and retried
//! after a short, growing pause. The listen backlog is `--backlog` (default 1024). Ctrl-C or
//! SIGTERM: the port closes, clients between frames are closed at once, a frame in flight gets
//! 5 s to finish (and its echo is sent); then a one-line summary on stdout, and exit status 0.

mod common;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use lenframe::tokio::{FrameReader, FrameWriter};
use lenframe::{Codec, Decoded};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use common::cli::{self, Framing, DEFAULT_ADDR};
use common::server::{self, Limits, Server, Tracked};
use common::{human_duration, log};

/// Whether the server logs clients that leave normally (the demo's many clients do not).
static LOG_GOODBYES: AtomicBool = AtomicBool::new(true);

#[derive(Subcommand)]
#[command(about = "Async echo server and client for length-prefixed frames")]
enum Role {
    /// Echo every frame back to its sender, one task per client.
    Server {
        /// Address to listen on (port 0: let the OS pick one).
        #[arg(long, default_value = DEFAULT_ADDR)]
        addr: String,
        #[command(flatten)]
        framing: Framing,
        /// Seconds a frame may take to arrive once its header has.
        #[arg(long, default_value = "10", value_parser = cli::seconds)]
        frame_deadline: Duration,
        #[command(flatten)]
        limits: Limits,
    },
    /// Send messages and print their echoes.
    Client {
        /// Server address.
        #[arg(long, default_value = DEFAULT_ADDR)]
        addr: String,
        #[command(flatten)]
        framing: Framing,
        /// Messages to send; without any, each line of stdin is one.
        messages: Vec<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match cli::role() {
        None => cli::report(demo().await),
        Some(Role::Server {
            addr,
            framing,
            frame_deadline,
            limits,
        }) => {
            cli::report(serve_until_stopped(&addr, framing.codec(), frame_deadline, &limits).await)
        }
        Some(Role::Client {
            addr,
            framing,
            messages,
        }) => cli::report(client(&addr, framing.codec(), messages).await),
    }
}

// ---------------------------------------------------------------------------------------------
// The server.

/// The real server: serves until Ctrl-C or SIGTERM, then prints the summary.
async fn serve_until_stopped(
    addr: &str,
    codec: Codec,
    frame_deadline: Duration,
    limits: &Limits,
) -> Result<(), Box<dyn std::error::Error>> {
    let listener = server::listen_async(addr, limits.backlog)?;
    let server = Server::new("async_echo", limits, None);
    server::stop_on_signals_async(&server);
    log!(
        "async echo server: length format {}, max payload {} bytes, at most {} clients, frame \
         deadline {}. Ctrl-C stops it; run with no arguments for a demo.",
        codec.length_field(),
        codec.max_decode_len(),
        limits.max_clients,
        human_duration(frame_deadline)
    );
    common::announce_addr(listener.local_addr()?)?;
    serve(&server, listener, codec, frame_deadline).await;
    server.finish_async().await;
    Ok(())
}

/// Accepts clients until the shutdown, each in its own task.
async fn serve(server: &Arc<Server>, listener: TcpListener, codec: Codec, deadline: Duration) {
    server::accept_async(server, listener, |stream, peer, slot| {
        let server = Arc::clone(server);
        tokio::spawn(async move {
            let mut frames = 0;
            match echo(&server, stream, codec, deadline, &mut frames).await {
                Ok(()) if server.is_stopping() => {
                    log!("client {peer}: closed by the shutdown after {frames} frame(s)")
                }
                Ok(()) if LOG_GOODBYES.load(Ordering::Relaxed) => {
                    log!("client {peer}: closed after {frames} frame(s)")
                }
                Ok(()) => {}
                Err(err) => log!(
                    "client {peer}: {} (after {frames} frame(s)); closing connection",
                    describe_error(&err, deadline)
                ),
            }
            drop(slot);
        });
    })
    .await;
}

/// The error for the log, with durations people read.
fn describe_error(err: &lenframe::Error, deadline: Duration) -> String {
    match err {
        lenframe::Error::FrameDeadline {
            frame,
            got,
            expected,
            ..
        } => format!(
            "frame {frame} did not complete within {} of its header: {got} of {expected} bytes \
             arrived",
            human_duration(deadline)
        ),
        err => err.to_string(),
    }
}

/// Echoes frames until the client closes between frames (`Ok`), the shutdown finds it between
/// frames (`Ok`), or something fails.
async fn echo(
    server: &Server,
    stream: TcpStream,
    codec: Codec,
    deadline: Duration,
    frames: &mut u64,
) -> Result<(), lenframe::Error> {
    let (read_half, write_half) = stream.into_split();
    let mut reader =
        FrameReader::with_codec(Tracked::new(read_half), codec).with_frame_deadline(deadline);
    let mut writer = FrameWriter::with_codec(write_half, codec);
    while let Some(frame) = next_frame(server, &mut reader).await? {
        let next_begun = !reader.buffer().is_empty();
        reader.get_mut().frame_done(next_begun);
        server.frame_in(frame.len());
        writer.write_frame(&frame).await?;
        server.frame_out(frame.len() as u64);
        *frames += 1;
        // Frames that arrived together are echoed together: flush only when no whole frame is
        // waiting in the reader's buffer.
        if !matches!(
            codec.decode_slice(reader.buffer()),
            Ok(Decoded::Frame { .. })
        ) {
            writer.flush().await?;
        }
    }
    writer.flush().await
}

/// The next frame; `None` at a clean end, or when the shutdown finds the client between
/// frames. A frame in flight when the shutdown starts gets until the grace period ends.
/// (`read_frame` is cancel-safe: the `select!` loses nothing when the shutdown wins.)
async fn next_frame<R>(
    server: &Server,
    reader: &mut FrameReader<Tracked<R>>,
) -> Result<Option<bytes::Bytes>, lenframe::Error>
where
    R: tokio::io::AsyncRead + Unpin,
{
    loop {
        let Some(end) = server.stop_deadline() else {
            tokio::select! {
                // The read first: bytes that arrived before the shutdown are taken in before
                // the connection is judged to be between frames.
                biased;
                frame = reader.read_frame() => return frame,
                () = server.stopped() => continue,
            }
        };
        if reader.get_ref().between_frames() {
            return Ok(None);
        }
        return match tokio::time::timeout_at(end.into(), reader.read_frame()).await {
            Ok(frame) => frame,
            Err(_) => {
                server.cut_off();
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the server is shutting down and this frame did not finish",
                )
                .into())
            }
        };
    }
}

// ---------------------------------------------------------------------------------------------
// The client.

async fn client(
    addr: &str,
    codec: Codec,
    messages: Vec<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|err| format!("cannot connect to {addr}: {err}"))?;
    let (read_half, write_half) = stream.into_split();
    let mut reader = FrameReader::with_codec(read_half, codec);
    let mut writer = FrameWriter::with_codec(write_half, codec);
    if !messages.is_empty() {
        for msg in &messages {
            writer.write_frame(msg.as_bytes()).await?;
        }
        writer.flush().await?;
        for _ in &messages {
            let echo = reader.read_frame().await?.ok_or("the server closed")?;
            println!("{}", String::from_utf8_lossy(&echo));
        }
        return Ok(());
    }
    // Interactive: a line out, its echo back.
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        writer.write_frame(line.as_bytes()).await?;
        writer.flush().await?;
        let echo = reader.read_frame().await?.ok_or("the server closed")?;
        println!("{}", String::from_utf8_lossy(&echo));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The demo.

async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    let codec = Codec::default();
    let listener = server::listen_async("127.0.0.1:0", Limits::default().backlog)?;
    let addr = listener.local_addr()?;
    println!("async echo demo: the server runs on {addr}, a port the OS picked for this demo.");
    println!("(Serve for real with: cargo run --example async_echo --features tokio -- server)");
    println!("Server logs go to stderr and are marked 'client HOST:PORT: ...'.");
    println!("The demo server gives each frame 300 ms to complete once its header is in.");
    println!();
    let server = Server::new("async_echo", &Limits::default(), None);
    let serving = tokio::spawn({
        let server = Arc::clone(&server);
        async move { serve(&server, listener, codec, Duration::from_millis(300)).await }
    });

    // One client, messages back to back: TCP glues and splits them, the frames keep them apart.
    let messages: Vec<Vec<u8>> = vec![
        b"hello".to_vec(),
        Vec::new(),
        b"aaa".to_vec(),
        b"aaa".to_vec(),
        b"aaa".to_vec(),
        vec![7; 1024 * 1024],
        "\u{9ecf}\u{5305}: sticky packets, unstuck"
            .as_bytes()
            .to_vec(),
    ];
    let stream = TcpStream::connect(addr).await?;
    let (read_half, write_half) = stream.into_split();
    let mut writer = FrameWriter::with_codec(write_half, codec);
    let sent = messages.clone();
    // Write and read at the same time, so neither side waits for the other to drain.
    let sending = tokio::spawn(async move {
        for msg in &sent {
            writer.write_frame(msg).await?;
        }
        writer.flush().await?;
        Ok::<_, lenframe::Error>(writer)
    });
    let mut reader = FrameReader::with_codec(read_half, codec);
    for msg in &messages {
        let echo = reader.read_frame().await?.ok_or("the server closed")?;
        let verdict = if echo == msg[..] {
            "identical"
        } else {
            "DIFFERENT"
        };
        println!("client: sent {}, echo {verdict}", common::describe(msg));
    }
    drop(sending.await??);

    println!();

    // Many clients at once, and misbehaving ones among them: each good client gets its own
    // frames back, in order, while the bad ones are logged and disconnected.
    LOG_GOODBYES.store(false, Ordering::Relaxed);
    let clients = 20;
    let tasks: Vec<_> = (0..clients)
        .map(|id| tokio::spawn(chatty_client(addr, codec, id)))
        .collect();
    let bad_clients: [(&str, Vec<u8>); 3] = [
        ("a negative length (-5)", (-5i32).to_le_bytes().to_vec()),
        (
            "a length of 1 GiB, over the 8 MiB maximum",
            (1i32 << 30).to_le_bytes().to_vec(),
        ),
        (
            "a header for 100 bytes, then 10 of them, then nothing",
            [&100i32.to_le_bytes()[..], &[0; 10]].concat(),
        ),
    ];
    let bad: Vec<_> = bad_clients
        .into_iter()
        .map(|(what, bytes)| tokio::spawn(bad_client(addr, what, bytes)))
        .collect();
    let mut echoed = 0;
    for task in tasks {
        echoed += task.await??;
    }
    for task in bad {
        println!("{}", task.await??);
    }
    println!(
        "{clients} good clients at once: {echoed} frames echoed, each to its sender, in order."
    );
    println!();
    println!("Stopping the server, as Ctrl-C would; its summary:");
    server.stop();
    serving.await?;
    server.finish_async().await;
    Ok(())
}

/// Sends `bytes` and reports how the server reacted.
async fn bad_client(addr: SocketAddr, what: &str, bytes: Vec<u8>) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(&bytes).await?;
    let start = tokio::time::Instant::now();
    let reaction = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut [0; 16])).await;
    let verdict = match reaction {
        Ok(Ok(0) | Err(_)) => format!(
            "the server closed the connection after {} ms",
            start.elapsed().as_millis()
        ),
        Ok(Ok(_)) => "the server sent something back?!".to_string(),
        Err(_) => "the server still holds the connection after 5 s?!".to_string(),
    };
    Ok(format!("bad client: sent {what}; {verdict}"))
}

/// Sends 100 numbered frames of varied sizes and checks each echo; returns how many came back.
async fn chatty_client(addr: SocketAddr, codec: Codec, id: u32) -> Result<u32, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|err| err.to_string())?;
    let (read_half, write_half) = stream.into_split();
    let expected = move |i: u32| -> Vec<u8> {
        let len = ((id * 7919 + i * 104_729) % 3000) as usize;
        let mut msg = format!("client {id} message {i} ").into_bytes();
        msg.resize(msg.len() + len, b'.');
        msg
    };
    let writing = tokio::spawn(send_numbered(write_half, codec, 100, expected));
    let mut reader = FrameReader::with_codec(read_half, codec);
    for i in 0..100 {
        let echo = reader
            .read_frame()
            .await
            .map_err(|err| err.to_string())?
            .ok_or("the server closed")?;
        if echo != expected(i)[..] {
            return Err(format!("client {id}: echo {i} differs"));
        }
    }
    writing.await.map_err(|err| err.to_string())??;
    Ok(100)
}

async fn send_numbered<W, F>(out: W, codec: Codec, count: u32, msg: F) -> Result<(), String>
where
    W: AsyncWrite + Unpin,
    F: Fn(u32) -> Vec<u8>,
{
    let mut writer = FrameWriter::with_codec(out, codec);
    for i in 0..count {
        writer
            .write_frame(&msg(i))
            .await
            .map_err(|err| err.to_string())?;
    }
    writer.flush().await.map_err(|err| err.to_string())
}
