//! A threaded echo server: every frame a client sends comes back unchanged.
//!
//! ```text
//! cargo run --example echo_server                                  # demo, then exits
//! cargo run --example echo_server -- --addr 127.0.0.1:8989 [--format i] [--max BYTES]
//! ```
//!
//! With no arguments it runs a demo: a server on 127.0.0.1 with a port the OS picks (so it never
//! collides), a well-behaved client, and three misbehaving ones, showing that a bad client is
//! logged and disconnected while the good one keeps being served. With any option it is a real
//! server (default address 127.0.0.1:8989) that runs until Ctrl-C; talk to it with
//! `cargo run --example echo_client -- --addr 127.0.0.1:8989` or
//! `python3 examples/python/echo_client.py`.
//!
//! # Protocol
//!
//! Every message, both ways, is a length field followed by that many payload bytes. The default
//! length field is Python's `struct.pack('i', len(payload))`: 4 bytes, signed, little-endian.
//!
//! ```text
//! +----------------------+---------------------------+
//! | length: 4 bytes      | payload: `length` bytes   |
//! | i32, little-endian   |                           |
//! +----------------------+---------------------------+
//!
//! b"hi"  ->  02 00 00 00 68 69          b""  ->  00 00 00 00
//! ```
//!
//! `--format` takes any Python struct integer code with an optional byte order (`i`, `<i`, `!I`,
//! `<H`, `q`, ...); both sides must use the same one. The server echoes each frame back as it
//! arrives, one thread per client. A client that sends a negative length, a length over `--max`
//! (default 8 MiB), or closes in the middle of a frame is logged on stderr and disconnected;
//! other clients are not affected. Closing between frames is a normal goodbye.
//!
//! Once it accepts connections the server prints `listening on HOST:PORT` on stdout (the real
//! port, so `--addr 127.0.0.1:0` works for scripts and tests). Logs go to stderr.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use clap::Parser;
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::{Codec, Decoded};

use common::cli::{self, Framing, DEFAULT_ADDR, DEMO_HELP};

#[derive(Parser)]
#[command(about = "Echo every length-prefixed frame back to its sender, one thread per client", after_help = DEMO_HELP)]
struct Args {
    /// Address to listen on (port 0: let the OS pick one).
    #[arg(long, default_value = DEFAULT_ADDR)]
    addr: String,
    #[command(flatten)]
    framing: Framing,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if cli::is_demo() {
        return demo();
    }
    let args = Args::parse();
    let codec = args.framing.codec();
    let listener = TcpListener::bind(&args.addr)
        .map_err(|err| format!("cannot listen on {}: {err}", args.addr))?;
    eprintln!(
        "length format {} ({}-byte header), max payload {} bytes",
        codec.length_field(),
        codec.min_header_len(),
        codec.max_decode_len()
    );
    serve(listener, codec)
}

/// Accepts clients forever, each on its own thread.
fn serve(listener: TcpListener, codec: Codec) -> Result<(), Box<dyn std::error::Error>> {
    common::announce(&listener)?;
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                thread::spawn(move || handle_client(stream, codec));
            }
            // For example too many open files: keep serving the clients we have.
            Err(err) => {
                eprintln!("accept failed: {err}");
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
    Ok(())
}

/// Serves one client until it leaves or misbehaves, and logs how it ended.
fn handle_client(stream: TcpStream, codec: Codec) {
    let peer = match stream.peer_addr() {
        Ok(peer) => peer.to_string(),
        Err(_) => "(unknown)".to_string(),
    };
    eprintln!("client {peer}: connected");
    let mut frames = 0;
    match echo(stream, codec, &mut frames) {
        Ok(()) => eprintln!("client {peer}: closed after {frames} frame(s)"),
        Err(lenframe::Error::Io(err)) => eprintln!(
            "client {peer}: connection error after {frames} frame(s): {err}; closing connection"
        ),
        Err(err) => eprintln!(
            "client {peer}: protocol error after {frames} frame(s): {err}; closing connection"
        ),
    }
    // Dropping the stream closed the connection.
}

/// Echoes frames until the client closes between frames (`Ok`) or something fails.
fn echo(stream: TcpStream, codec: Codec, frames: &mut u64) -> Result<(), lenframe::Error> {
    let mut reader = FrameReader::with_codec(stream.try_clone()?, codec);
    let mut writer = FrameWriter::with_codec(stream, codec);
    while let Some(frame) = reader.read_frame()? {
        writer.write_frame(&frame)?;
        *frames += 1;
        // Frames that arrived together are echoed together: flush only when no whole frame is
        // waiting in the reader's buffer, so a burst of small frames costs one write.
        if !matches!(
            codec.decode_slice(reader.buffer()),
            Ok(Decoded::Frame { .. })
        ) {
            writer.flush()?;
        }
    }
    writer.flush()
}

// ---------------------------------------------------------------------------------------------
// The demo.

fn demo() -> Result<(), Box<dyn std::error::Error>> {
    let codec = Codec::default();
    let listener = common::loopback_listener()?;
    let addr = listener.local_addr()?;
    println!("echo server demo: the server runs on {addr}, a port the OS picked for this demo.");
    println!("(Run a real one with: cargo run --example echo_server -- --addr {DEFAULT_ADDR})");
    println!("Server logs go to stderr and are marked 'client HOST:PORT: ...'.");
    thread::spawn(move || serve(listener, codec).map_err(|err| err.to_string()));

    // A good client stays connected through the whole demo.
    let good = TcpStream::connect(addr)?;
    good.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut good_reader = FrameReader::new(good.try_clone()?);
    let mut good_writer = FrameWriter::new(good);
    let mut ask = |msg: &[u8]| -> Result<(), Box<dyn std::error::Error>> {
        good_writer.write_frame(msg)?;
        good_writer.flush()?;
        let echo = good_reader.read_frame()?.ok_or("server closed")?;
        let verdict = if echo == msg {
            "identical"
        } else {
            "DIFFERENT"
        };
        println!(
            "good client: sent {}, echo {verdict}",
            common::describe(msg)
        );
        Ok(())
    };
    ask(b"hello")?;
    ask(b"")?;
    ask(&vec![7; 64 * 1024])?;

    // Misbehaving clients. Each sends something wrong and sees the server hang up.
    let bad_clients: [(&str, Vec<u8>, bool); 3] = [
        (
            "a negative length (-5)",
            (-5i32).to_le_bytes().to_vec(),
            false,
        ),
        (
            "a length of 1 GiB, over the 8 MiB maximum",
            (1i32 << 30).to_le_bytes().to_vec(),
            false,
        ),
        (
            "half a frame (length 100, then 10 bytes), then closes",
            [&100i32.to_le_bytes()[..], &[0; 10]].concat(),
            true,
        ),
    ];
    for (what, bytes, close) in bad_clients {
        let mut bad = TcpStream::connect(addr)?;
        bad.set_read_timeout(Some(Duration::from_secs(5)))?;
        bad.write_all(&bytes)?;
        if close {
            bad.shutdown(Shutdown::Write)?;
        }
        // The server hangs up: we read end of stream (or a reset).
        let hung_up = matches!(bad.read(&mut [0; 16]), Ok(0) | Err(_));
        println!(
            "bad client:  sent {what}; {}",
            if hung_up {
                "the server closed the connection"
            } else {
                "the server sent something back?!"
            }
        );
        // Give the server's log line a moment to appear before ours.
        thread::sleep(Duration::from_millis(50));
        ask(b"still there?")?;
    }
    println!("The good client was served throughout; each bad one was logged and disconnected.");
    Ok(())
}
