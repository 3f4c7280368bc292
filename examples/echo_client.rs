//! An echo client: sends messages back to back and checks that each comes back identical.
//!
//! ```text
//! cargo run --example echo_client                                   # demo, then exits
//! cargo run --example echo_client -- --addr 127.0.0.1:8989 [--format i] [--max BYTES]
//!                                    [--timeout SECS] [--messages-hex HEX,HEX,...]
//! ```
//!
//! With no arguments it starts a small echo server of its own on 127.0.0.1 (a port the OS picks,
//! so it never collides) and talks to that. With any option it talks to a real server, by default
//! at 127.0.0.1:8989: `cargo run --example echo_server -- --addr 127.0.0.1:8989`, or the Python
//! one, `python3 examples/python/echo_server.py`.
//!
//! # Protocol
//!
//! Every message, both ways, is a length field followed by that many payload bytes. The default
//! length field is Python's `struct.pack('i', len(payload))`: 4 bytes, signed, little-endian.
//! `--format` picks another (`!I`, `<H`, `q`, ...); use the server's.
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
//! The demo messages include an empty one and a 100 KiB one, all written back to back so TCP is
//! free to glue and split them; every echo must still come back whole. A message too long for
//! the length format (100 KiB with `<H`) is skipped with a note.
//!
//! `--messages-hex` (for scripts and tests) sends the given comma-separated hex payloads instead
//! (an empty item, or `-`, is an empty message: `--messages-hex=,00ff,` sends three frames) and
//! prints each echo on its own line as lowercase hex, `-` for an empty one. Nothing else goes to
//! stdout. It is the same interface as `examples/python/echo_client.py`.
//!
//! Exit status: 0 every echo identical; 1 an echo differed; 2 usage error; 3 connection or
//! protocol error.

mod common;

use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::Codec;

use common::cli::{self, Framing, DEFAULT_ADDR, DEMO_HELP};

const EXIT_MISMATCH: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_ERROR: u8 = 3;

#[derive(Parser)]
#[command(about = "Send length-prefixed frames to an echo server and check the echoes", after_help = DEMO_HELP)]
struct Args {
    /// Server address.
    #[arg(long, default_value = DEFAULT_ADDR)]
    addr: String,
    #[command(flatten)]
    framing: Framing,
    /// Socket timeout in seconds.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Send these payloads (comma-separated hex) and print each echo as hex ('-' if empty).
    #[arg(long, value_name = "HEX,HEX,...")]
    messages_hex: Option<String>,
}

fn main() -> ExitCode {
    if cli::is_demo() {
        return match demo() {
            Ok(code) => code,
            Err(err) => {
                eprintln!("error: {err}");
                ExitCode::from(EXIT_ERROR)
            }
        };
    }
    let args = Args::parse();
    let usage = |msg: String| {
        eprintln!("error: {msg}");
        ExitCode::from(EXIT_USAGE)
    };
    let codec = args.framing.codec();
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        return usage(format!(
            "--timeout must be a positive number of seconds, got {}",
            args.timeout
        ));
    }
    let timeout = Duration::from_secs_f64(args.timeout);

    let format = args.framing.format.as_str();
    let Some(hex_list) = args.messages_hex else {
        let messages = demo_messages();
        return run_demo_messages(&args.addr, (codec, format), timeout, &messages);
    };
    let payloads = match parse_hex_list(&hex_list) {
        Ok(payloads) => payloads,
        Err(err) => return usage(err),
    };
    for (i, payload) in payloads.iter().enumerate() {
        if let Err(err) = codec.encoder().header(payload.len()) {
            return usage(format!("message {i}: {err}"));
        }
    }
    let echoes = match exchange(&args.addr, (codec, format), timeout, payloads.clone()) {
        Ok(echoes) => echoes,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let mut status = ExitCode::SUCCESS;
    for (i, (sent, echo)) in payloads.iter().zip(&echoes).enumerate() {
        println!("{}", hex_or_dash(echo));
        if echo[..] != sent[..] {
            eprintln!(
                "mismatch in frame {i}: sent {}, got {}",
                hex_or_dash(sent),
                hex_or_dash(echo)
            );
            status = ExitCode::from(EXIT_MISMATCH);
        }
    }
    status
}

fn hex_or_dash(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "-".to_string()
    } else {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn parse_hex_list(text: &str) -> Result<Vec<Vec<u8>>, String> {
    text.split(',')
        .enumerate()
        .map(|(i, item)| {
            let item = item.trim();
            let item = if item == "-" { "" } else { item };
            let bad = || format!("--messages-hex item {i} is not hex: {item:?}");
            if item.len() % 2 != 0 {
                return Err(bad());
            }
            (0..item.len())
                .step_by(2)
                .map(|j| {
                    item.get(j..j + 2)
                        .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                        .ok_or_else(bad)
                })
                .collect()
        })
        .collect()
}

/// Sends every payload from a writer thread while this thread reads the echoes, and returns
/// them. Writing and reading at once means big messages cannot deadlock with both sides'
/// socket buffers full. `format` is the struct format as the user gave it, for messages.
fn exchange(
    addr: &str,
    (codec, format): (Codec, &str),
    timeout: Duration,
    payloads: Vec<Vec<u8>>,
) -> Result<Vec<Bytes>, Box<dyn std::error::Error>> {
    let socket_addr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| format!("{addr} resolves to no address"))?;
    let stream = TcpStream::connect_timeout(&socket_addr, timeout)
        .map_err(|err| format!("cannot connect to {addr}: {err}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let count = payloads.len();
    let lens: Vec<usize> = payloads.iter().map(Vec::len).collect();

    let mut writer = FrameWriter::with_codec(stream.try_clone()?, codec);
    let sender = thread::spawn(move || -> Result<(), lenframe::Error> {
        for payload in &payloads {
            // No flush in between: the frames leave together and TCP may split them anywhere.
            writer.write_frame(payload)?;
        }
        // A polite goodbye: the server sees end of stream between two frames.
        writer.into_inner()?.shutdown(Shutdown::Write)?;
        Ok(())
    });

    let mut reader = FrameReader::with_codec(stream, codec);
    let mut echoes = Vec::with_capacity(count);
    let result = (|| {
        while echoes.len() < count {
            let how = match reader.read_frame() {
                Ok(Some(echo)) => {
                    echoes.push(echo);
                    continue;
                }
                Ok(None) => "closed the connection",
                Err(lenframe::Error::Io(err)) if closed_by_peer(&err) => "reset the connection",
                Err(err) => return Err(err.into()),
            };
            let echoed = echoes.len();
            return Err(format!(
                "the server {how} after {echoed} of {count} echoes{}",
                why_closed(echoed, &lens, format)
            )
            .into());
        }
        Ok::<(), Box<dyn std::error::Error>>(())
    })();
    if result.is_err() {
        // Unblock the writer thread if it is stuck on a full socket buffer.
        let _ = reader.get_ref().shutdown(Shutdown::Both);
    }
    let sent = sender.join().expect("writer thread panicked");
    result?;
    sent?;
    Ok(echoes)
}

/// Whether a read failed because the server closed with our data unread (a reset).
fn closed_by_peer(err: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
    matches!(err.kind(), ConnectionReset | ConnectionAborted | BrokenPipe)
}

/// The likely reason an echo server closed after echoing `echoed` frames of the `lens` sent: a
/// server closes like this when it rejects a frame, and logs why. Before the first echo the
/// whole conversation failed, so the layout is the first suspect; after some echoes the layout
/// worked, so only the next frame's length can be the problem.
fn why_closed(echoed: usize, lens: &[usize], format: &str) -> String {
    let Some(len) = lens.get(echoed) else {
        return String::new();
    };
    if echoed == 0 {
        format!(
            ", without answering the first frame ({len} bytes), as a server does when it \
             rejects one: check that it uses the same --format ({format:?} here) and allows \
             frames this large (--max); its log says which"
        )
    } else {
        format!(
            "; the next frame ({len} bytes) may be over the server's maximum (--max); its log \
             says"
        )
    }
}

fn demo_messages() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("short text", b"hello, lenframe".to_vec()),
        ("empty", Vec::new()),
        ("binary incl. zero bytes", (0..=255).collect()),
        (
            "100 KiB",
            (0..100 * 1024).map(|i| (i % 251) as u8).collect(),
        ),
        (
            "another short one",
            "sticky packets, fixed \u{2713}".as_bytes().to_vec(),
        ),
    ]
}

/// Sends the demo messages (those the format can carry) and prints a line for each.
fn run_demo_messages(
    addr: &str,
    (codec, format): (Codec, &str),
    timeout: Duration,
    messages: &[(&str, Vec<u8>)],
) -> ExitCode {
    let mut named = Vec::new();
    for (name, msg) in messages {
        match codec.encoder().header(msg.len()) {
            Ok(_) => named.push((*name, msg.clone())),
            Err(err) => println!("skip  {name:<24} {:>7} bytes: {err}", msg.len()),
        }
    }
    println!(
        "sending {} messages to {addr} with length format {format:?} ({}-byte header), back to \
         back",
        named.len(),
        codec.min_header_len()
    );
    let payloads = named.iter().map(|(_, msg)| msg.clone()).collect();
    let echoes = match exchange(addr, (codec, format), timeout, payloads) {
        Ok(echoes) => echoes,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let mut all_ok = true;
    for ((name, sent), echo) in named.iter().zip(&echoes) {
        let ok = echo[..] == sent[..];
        all_ok &= ok;
        println!(
            "{:<5} {name:<24} {:>7} bytes sent, {:>7} bytes echoed",
            if ok { "ok" } else { "DIFF" },
            sent.len(),
            echo.len()
        );
    }
    if all_ok {
        println!("all echoes identical");
        ExitCode::SUCCESS
    } else {
        println!("some echoes differed");
        ExitCode::from(EXIT_MISMATCH)
    }
}

/// The demo: a minimal echo server in a thread (the full one is `echo_server.rs`), then the
/// demo messages.
fn demo() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let listener = common::loopback_listener()?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || -> Result<(), lenframe::Error> {
                let mut writer = FrameWriter::new(stream.try_clone()?);
                for frame in FrameReader::new(stream) {
                    writer.write_frame(&frame?)?;
                    writer.flush()?;
                }
                Ok(())
            });
        }
    });
    println!(
        "echo client demo: started an echo server on {addr} (a port the OS picked for this demo)."
    );
    println!("(Talk to a real one with: cargo run --example echo_client -- --addr {DEFAULT_ADDR})");
    Ok(run_demo_messages(
        &addr.to_string(),
        (Codec::default(), "i"),
        Duration::from_secs(10),
        &demo_messages(),
    ))
}
