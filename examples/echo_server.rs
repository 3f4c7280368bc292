//! A threaded echo server: every frame a client sends comes back unchanged.
//!
//! ```text
//! cargo run --example echo_server                       # a demo on a free port, then exits
//! cargo run --example echo_server -- serve              # serve 127.0.0.1:8989 until Ctrl-C
//! cargo run --example echo_server -- serve --addr 0.0.0.0:9000 [--format i] [--max BYTES]
//!                                    [--max-clients 1024] [--idle-timeout 60] [--backlog 1024]
//! ```
//!
//! With no arguments it runs a demo: a server on 127.0.0.1 with a port the OS picks (so it never
//! collides), a well-behaved client, and three misbehaving ones, showing that a bad client is
//! logged and disconnected while the good one keeps being served; then a server with
//! `--max-clients 2 --idle-timeout 1` refusing a third client and closing the idle ones.
//! `serve` (or any option) runs a real server; talk to it with
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
//! # Staying up
//!
//! - At most `--max-clients` clients (default 1024) are served at once; one more is closed at
//!   once with a logged reason, and a place frees up when a client leaves.
//! - `--idle-timeout` (default 60 s): a client that sends nothing for that long while the
//!   server waits, or takes longer than that over one frame (trickling it), is closed. So
//!   stalled and slow-loris clients cannot hold the places for ever. (How: the socket has a
//!   short read timeout and lenframe's reader loses nothing on a timeout; see
//!   `examples/common/client_socket.rs`.)
//! - If no thread can be started for a client (a threads or memory limit), that client is
//!   closed with a logged reason and the server goes on. Failed `accept`s (out of file
//!   descriptors, ...) are logged and retried after a short, growing pause.
//! - The listen backlog is `--backlog` (default 1024; `std`'s `bind` always asks for 128).
//! - Ctrl-C or SIGTERM: no new clients; clients between frames are closed at once, a frame in
//!   flight gets 5 s to finish (and its echo is sent); then a one-line summary on stdout, and
//!   exit status 0. A second Ctrl-C exits at once.
//!
//! Once it accepts connections the server prints `listening on HOST:PORT` on stdout (the real
//! port, so `--addr 127.0.0.1:0` works for scripts and tests). Logs go to stderr.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::{Parser, Subcommand};
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::{Codec, Decoded};

use common::cli::{self, Framing, DEFAULT_ADDR, DEMO_HELP};
use common::client_socket::ClientSocket;
use common::server::{self, Idle, Limits, Server};
use common::{human_duration, log, LogTo};

#[derive(Parser)]
#[command(
    about = "Echo every length-prefixed frame back to its sender, one thread per client",
    after_help = DEMO_HELP,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The options alone also serve (as `serve` with them).
    #[command(flatten)]
    options: Options,
}

#[derive(Subcommand)]
enum Command {
    /// Serve on --addr (default 127.0.0.1:8989) until Ctrl-C or SIGTERM.
    Serve(Options),
}

#[derive(clap::Args)]
struct Options {
    /// Address to listen on (port 0: let the OS pick one).
    #[arg(long, default_value = DEFAULT_ADDR)]
    addr: String,
    #[command(flatten)]
    framing: Framing,
    #[command(flatten)]
    limits: Limits,
    #[command(flatten)]
    idle: Idle,
}

fn main() -> ExitCode {
    if cli::is_demo() {
        return cli::report(demo());
    }
    let options = match Cli::parse_from(cli::subcommand_first::<Cli>()) {
        Cli {
            command: Some(Command::Serve(options)),
            ..
        } => options,
        Cli { options, .. } => options,
    };
    cli::report(serve_until_stopped(options))
}

/// The real server: serves until Ctrl-C or SIGTERM, then prints the summary.
fn serve_until_stopped(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    let codec = options.framing.codec();
    let listener = server::listen(&options.addr, options.limits.backlog)?;
    let server = Server::new("echo_server", &options.limits, None);
    server::stop_on_signals(&server, &listener)?;
    log!(
        "echo server: length format {} ({}-byte header), max payload {} bytes, at most {} \
         clients, idle timeout {}. Ctrl-C stops it; run with no arguments for a demo.",
        codec.length_field(),
        codec.min_header_len(),
        codec.max_decode_len(),
        options.limits.max_clients,
        human_duration(options.idle.idle_timeout),
    );
    common::announce(&listener)?;
    serve(&server, &listener, codec, options.idle.idle_timeout);
    server.finish();
    Ok(())
}

/// Accepts clients until the shutdown, each on its own thread.
fn serve(server: &Arc<Server>, listener: &TcpListener, codec: Codec, idle_timeout: Duration) {
    server::accept_blocking(server, listener, |stream, peer, slot| {
        let server = Arc::clone(server);
        // A failure is logged there, and the connection closed; nothing more to do.
        let _ = Arc::clone(&server).spawn_client(peer, move || {
            handle_client(&server, stream, peer, codec, idle_timeout);
            drop(slot);
        });
    });
}

/// Serves one client until it leaves or misbehaves, and logs how it ended (before the
/// connection closes, so the log comes before the client sees the close).
fn handle_client(
    server: &Arc<Server>,
    stream: TcpStream,
    peer: SocketAddr,
    codec: Codec,
    idle_timeout: Duration,
) {
    log!("client {peer}: connected");
    // Held until the end: the connection closes after the log line below, not before.
    let _open = stream.try_clone();
    let mut frames = 0;
    let result = ClientSocket::new(stream, Arc::clone(server), idle_timeout)
        .map_err(lenframe::Error::from)
        .and_then(|socket| echo(server, socket, codec, &mut frames));
    match result {
        Ok(()) if server.is_stopping() => {
            log!("client {peer}: closed by the shutdown after {frames} frame(s)")
        }
        Ok(()) => log!("client {peer}: closed after {frames} frame(s)"),
        Err(lenframe::Error::Io(err)) => log!(
            "client {peer}: connection error after {frames} frame(s): {err}; closing connection"
        ),
        Err(err) => {
            log!("client {peer}: protocol error after {frames} frame(s): {err}; closing connection")
        }
    }
}

/// Echoes frames until the client closes between frames (or the shutdown finds it between
/// frames) or something fails.
fn echo(
    server: &Server,
    socket: ClientSocket,
    codec: Codec,
    frames: &mut u64,
) -> Result<(), lenframe::Error> {
    let mut writer = FrameWriter::with_codec(socket.stream().try_clone()?, codec);
    let mut reader = FrameReader::with_codec(socket, codec);
    while let Some(frame) = reader.read_frame()? {
        let next_begun = !reader.buffer().is_empty();
        reader.get_mut().frame_done(next_begun);
        server.frame_in(frame.len());
        writer.write_frame(&frame)?;
        server.frame_out(frame.len() as u64);
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
    println!("echo server demo: a server on a port the OS picked, good and bad clients.");
    println!("(Serve for real with: cargo run --example echo_server -- serve  [{DEFAULT_ADDR}])");
    println!("Lines marked 'server:' are the server's log (on stderr when it runs for real).");
    println!();
    common::log_to(LogTo::Demo);
    bad_clients_demo()?;
    println!();
    limits_demo()?;
    Ok(())
}

/// Starts a server for the demo on a free loopback port; returns it and its address.
fn demo_server(
    limits: Limits,
    idle_timeout: Duration,
) -> Result<(Arc<Server>, SocketAddr), Box<dyn std::error::Error>> {
    let listener = server::listen("127.0.0.1:0", limits.backlog)?;
    let addr = listener.local_addr()?;
    let server = Server::new("echo_server", &limits, None);
    let serving = Arc::clone(&server);
    thread::spawn(move || serve(&serving, &listener, Codec::default(), idle_timeout));
    Ok((server, addr))
}

/// Whether the server closed `stream`: end of stream or a reset within 5 s.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    matches!(stream.read(&mut [0; 16]), Ok(0) | Err(_))
}

fn bad_clients_demo() -> Result<(), Box<dyn std::error::Error>> {
    let (server, addr) = demo_server(Limits::default(), Duration::from_secs(60))?;
    println!("A server on {addr}; a good client stays connected throughout.");

    let good = TcpStream::connect(addr)?;
    good.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut good_reader = FrameReader::new(good.try_clone()?);
    let mut good_writer = FrameWriter::new(good);
    let mut ask = move |msg: &[u8]| -> Result<(), Box<dyn std::error::Error>> {
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
        println!("bad client:  sends {what}");
        let mut bad = TcpStream::connect(addr)?;
        bad.write_all(&bytes)?;
        if close {
            bad.shutdown(Shutdown::Write)?;
        }
        // The server logs why, then hangs up: we read end of stream (or a reset).
        let verdict = if closed_by_server(&mut bad) {
            "the server closed the connection"
        } else {
            "the server sent something back?!"
        };
        println!("bad client:  {verdict}");
        ask(b"still there?")?;
    }
    println!("The good client was served throughout; each bad one was logged and disconnected.");
    // The good client leaves; its goodbye is logged before the next part of the demo.
    drop(ask);
    while server.active() > 0 {
        thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

fn limits_demo() -> Result<(), Box<dyn std::error::Error>> {
    let limits = Limits {
        max_clients: 2,
        ..Limits::default()
    };
    let idle = Duration::from_secs(1);
    let (server, addr) = demo_server(limits, idle)?;
    println!(
        "A server on {addr} with --max-clients 2 --idle-timeout {}:",
        idle.as_secs()
    );
    let mut first = TcpStream::connect(addr)?;
    let mut second = TcpStream::connect(addr)?;
    // Both are in once the server counts them (it admits them in its accept loop).
    while server.active() < 2 {
        thread::sleep(Duration::from_millis(5));
    }
    println!("two clients connected and say nothing.");
    let mut third = TcpStream::connect(addr)?;
    if closed_by_server(&mut third) {
        println!("a third client: refused, the connection closed at once");
    }
    if closed_by_server(&mut first) && closed_by_server(&mut second) {
        println!(
            "the two idle clients: closed by the server after its {} idle timeout",
            human_duration(idle)
        );
    }
    let fresh = TcpStream::connect(addr)?;
    let mut writer = FrameWriter::new(fresh.try_clone()?);
    let mut reader = FrameReader::new(fresh);
    writer.send_frame(b"my turn")?;
    let echo = reader.read_frame()?.ok_or("server closed")?;
    println!(
        "a new client: served again (echo {}); the places came back as the clients left",
        common::describe(&echo)
    );
    drop((reader, writer));
    while server.active() > 0 {
        thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}
