//! The `tcp_blocking` example on tokio: a client and a server framing a `tokio::net::TcpStream`
//! with `lenframe::tokio::{FrameReader, FrameWriter}`, on 127.0.0.1. It ends by itself.
//!
//! ```text
//! cargo run --features tokio --example tcp_tokio
//! ```
//!
//! The new idea here is `into_split`: the reading half and the writing half of one connection
//! become two owned values, so two tasks can use them at once: one sends while the other
//! receives, and neither waits for the other.

use std::process::ExitCode;
use std::time::Duration;

use lenframe::tokio::{FrameReader, FrameWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

/// Any error, and one that can cross from a spawned task.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    // The error's message, not the Debug form `main` prints when it returns the error itself.
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    // Port 0: the OS picks a free port, so this never collides with a running server.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(serve_one(listener));

    let (read_half, write_half) = TcpStream::connect(addr).await?.into_split();
    let mut writer = FrameWriter::new(write_half);
    let mut reader = FrameReader::new(read_half);

    // The replies are read by their own task, while this one goes on sending.
    let replies = tokio::spawn(async move {
        let mut count = 0;
        // `read_frame` is cancel-safe: when `timeout` gives up on it, no byte is lost, and a
        // later call continues the same frame. So it can sit under a timeout or in `select!`.
        while let Some(frame) = timeout(Duration::from_secs(10), reader.read_frame()).await?? {
            println!("client: reply {:?}", String::from_utf8_lossy(&frame));
            count += 1;
        }
        println!("client: read_frame() -> None: the server closed, after the last reply");
        Ok::<_, BoxError>(count)
    });

    // Small frames wait in the writer's buffer: `write_frame` each, then `flush` once to send
    // the batch (`send_frame` = `write_frame` + `flush`, for one request at a time).
    println!("client: write_frame x3, then one flush");
    for msg in ["aaa", "bbb", "ccc"] {
        writer.write_frame(msg).await?;
    }
    writer.flush().await?;
    println!("client: send_frame(\"hello\")");
    writer.send_frame("hello").await?;

    // Ending cleanly: `shutdown` flushes what is buffered, then closes our sending half. The
    // server's `read_frame` returns `Ok(None)` after our last frame, and it shuts down too.
    println!("client: shutdown(): no more frames from me");
    writer.shutdown().await?;

    let got = replies.await??;
    let served = server.await??;
    println!("done: {served} frames answered, {got} replies received");
    Ok(())
}

/// Accepts one connection and answers every frame in upper case until the client ends.
async fn serve_one(listener: TcpListener) -> Result<usize, lenframe::Error> {
    let (stream, peer) = listener.accept().await?;
    let (read_half, write_half) = stream.into_split();
    let mut reader = FrameReader::new(read_half);
    let mut writer = FrameWriter::new(write_half);
    let mut served = 0;
    // `Ok(None)`: the client ended between two frames. An `Err` (a frame over the maximum, a
    // negative length, a stream cut inside a frame) ends this connection through `?`; a real
    // server logs it and goes on serving its other clients (see the `async_echo` example).
    while let Some(frame) = reader.read_frame().await? {
        println!(
            "server: frame {:?} from {peer}",
            String::from_utf8_lossy(&frame)
        );
        writer.send_frame(frame.to_ascii_uppercase()).await?;
        served += 1;
    }
    println!("server: read_frame() -> None: the client finished; shutting down");
    writer.shutdown().await?;
    Ok(served)
}
