//! An echo server and client on smol, framing `smol::net::TcpStream` with lenframe's futures-io
//! adapters (`lenframe::futures::{FrameReader, FrameWriter}`), the same ones that serve
//! async-std and libp2p code.
//!
//! ```text
//! cargo run --features futures-io --example smol_echo                 # a demo that ends by itself
//! cargo run --features futures-io --example smol_echo -- serve 127.0.0.1:9000
//! cargo run --features futures-io --example smol_echo -- client 127.0.0.1:9000 hello world
//! ```
//!
//! The server gives each connection its own task, echoes every frame, and closes a connection
//! whose peer sends a bad header or stalls inside a frame for longer than [`FRAME_TIME`]; a
//! client that is merely idle between frames may stay. lenframe starts no timer: the deadline is
//! smol's `Timer` raced against `read_frame`, which is cancel-safe, so losing the race loses no
//! byte.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use lenframe::futures::{FrameReader, FrameWriter};
use lenframe::Error;
use smol::io::AsyncWriteExt;
use smol::net::{TcpListener, TcpStream};
use smol::{future, Timer};

/// How long a frame may take to arrive once its header is in (between this and twice this).
const FRAME_TIME: Duration = Duration::from_millis(300);

fn main() -> ExitCode {
    // The error's message, not the Debug form `main` prints when it returns the error itself.
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    smol::block_on(async {
        match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            [] => demo().await,
            ["serve", addr] => serve(TcpListener::bind(addr).await?).await,
            ["client", addr, ref messages @ ..] => {
                let addr = addr.parse().map_err(std::io::Error::other)?;
                let messages = messages.iter().map(|m| m.as_bytes().to_vec()).collect();
                client("client", addr, messages).await.map(drop)
            }
            _ => {
                eprintln!("usage: smol_echo [serve ADDR | client ADDR MESSAGE...]");
                std::process::exit(2);
            }
        }
    })
}

/// Accepts connections forever, each served by a task of its own.
async fn serve(listener: TcpListener) -> Result<(), Error> {
    println!("server: listening on {}", listener.local_addr()?);
    loop {
        let (stream, peer) = listener.accept().await?;
        smol::spawn(async move {
            // A smol `TcpStream` is a shared handle: one clone reads, the other writes.
            let mut reader = FrameReader::new(stream.clone());
            let mut writer = FrameWriter::new(stream);
            match echo(&mut reader, &mut writer).await {
                Ok(frames) => println!("server: {peer} done after {frames} frames"),
                Err(err) => println!("server: {peer} closed: {err}"),
            }
            // The connection closes here, as the reader and writer are dropped.
        })
        .detach();
    }
}

/// Echoes every frame until the peer ends, sends a bad header, or stalls inside a frame.
async fn echo(
    reader: &mut FrameReader<TcpStream>,
    writer: &mut FrameWriter<TcpStream>,
) -> Result<usize, Error> {
    let (mut frames, mut stalled) = (0, false);
    loop {
        let read = async { Some(reader.read_frame().await) };
        let tick = async {
            Timer::after(FRAME_TIME).await;
            None
        };
        match future::or(read, tick).await {
            Some(Ok(Some(frame))) => {
                writer.send_frame(&frame).await?; // write and flush: the client is waiting
                frames += 1;
                stalled = false;
            }
            Some(Ok(None)) => break, // the client ended, between two frames
            Some(Err(err)) => return Err(err), // a bad header, or the stream cut mid-frame
            // The timer won. Idle between frames: fine. Inside a frame at two ticks in a row:
            // the peer stalled after a header (a slow-loris), so the connection goes.
            None if stalled && reader.is_mid_frame() => {
                let err = std::io::Error::new(std::io::ErrorKind::TimedOut, "stalled mid-frame");
                return Err(err.into());
            }
            None => stalled = reader.is_mid_frame(),
        }
    }
    writer.shutdown().await?; // the client's reader sees a clean end after the last echo
    Ok(frames)
}

/// Sends `messages` and reads their echoes at the same time, then ends its side.
async fn client(name: &str, addr: SocketAddr, messages: Vec<Vec<u8>>) -> Result<usize, Error> {
    let stream = TcpStream::connect(addr).await?;
    let mut reader = FrameReader::new(stream.clone());
    let mut writer = FrameWriter::new(stream);
    let sending = async {
        for message in &messages {
            writer.write_frame(message).await?; // small frames are gathered into few writes
        }
        writer.shutdown().await // flush, then end our side: the server sees a clean end
    };
    let receiving = async {
        let mut echoes = 0;
        while let Some(echo) = reader.read_frame().await? {
            if messages.len() <= 10 {
                let start = String::from_utf8_lossy(&echo[..echo.len().min(12)]);
                println!("{name}: echo of {} bytes: {start:?}", echo.len());
            }
            assert_eq!(echo, messages[echoes], "echoes come back whole, in order");
            echoes += 1;
        }
        Ok(echoes)
    };
    let ((), echoes) = future::try_zip(sending, receiving).await?;
    println!("{name}: {echoes} of {} frames echoed", messages.len());
    Ok(echoes)
}

/// A server and five clients on 127.0.0.1: three well-behaved (the third sends 1,000 frames,
/// its echoes not printed), one that sends a negative length, one that stalls after a header.
async fn demo() -> Result<(), Error> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = smol::spawn(serve(listener));

    let greetings = ["hello", "sticky", "packets"].map(|m| m.as_bytes().to_vec());
    client("alice", addr, greetings.to_vec()).await?;
    let big = vec![b'x'; 1 << 20]; // 1 MiB: written from our memory, not copied
    client("bob", addr, vec![b"big one:".to_vec(), big]).await?;
    let many = (0..1000).map(|i| format!("{i}").into_bytes()).collect();
    client("carol", addr, many).await?;

    // 0xffffffff is -1 as a signed 4-byte length: the server refuses it at once.
    let mut rogue = TcpStream::connect(addr).await?;
    rogue.write_all(b"\xff\xff\xff\xffjunk").await?;
    println!(
        "rogue: sent a negative length; the server closes: {}",
        closed(rogue).await
    );

    // A header announcing 100 bytes and 2 of them, then nothing: the server gives up on it.
    let mut slow = TcpStream::connect(addr).await?;
    slow.write_all(b"\x64\0\0\0ab").await?;
    println!(
        "slow: sent half a frame and stalled; the server closes: {}",
        closed(slow).await
    );

    drop(server); // the demo is over: dropping the server's task stops it
    println!("demo: done");
    Ok(())
}

/// Whether the server closes `stream` within 5 seconds.
async fn closed(stream: TcpStream) -> bool {
    let mut reader = FrameReader::new(stream);
    let read = async { matches!(reader.read_frame().await, Ok(None) | Err(_)) };
    let wait = async {
        Timer::after(Duration::from_secs(5)).await;
        false
    };
    future::or(read, wait).await
}
