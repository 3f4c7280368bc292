//! Sticky packets (黏包) on a real TCP connection, and the fix. Run this first:
//!
//! ```text
//! cargo run --example sticky_packets
//! ```
//!
//! With no arguments it starts a server and a client on 127.0.0.1 (on a port the OS picks, so it
//! never collides with anything), sends the same traffic twice, prints what the server saw each
//! time, and exits:
//!
//! - **Part 1, no framing** (the tutorials' first attempt): the client writes `aaa` three times;
//!   the server's single `read` of up to 1024 bytes returns `aaaaaaaaa`. Then the client writes a
//!   100,000-byte message and the server needs several reads to get it, even with a buffer big
//!   enough for all of it. Bytes on the wire carry no boundaries:
//!
//!   ```text
//!   61 61 61 | 61 61 61 | 61 61 61 | <100000 bytes>        (the bars exist only in our heads)
//!   ```
//!
//! - **Part 2, lenframe**: each message goes out behind its length, 4 bytes, signed,
//!   little-endian: exactly Python's `struct.pack('i', len(msg)) + msg`. The server gets exactly
//!   three frames `aaa`, and the 100,000-byte message whole:
//!
//!   ```text
//!   03 00 00 00 61 61 61 | 03 00 00 00 61 61 61 | 03 00 00 00 61 61 61 | a0 86 01 00 <100000 bytes>
//!   ```
//!
//! Both glitches are made to happen on every run, not by luck: the server waits until all nine
//! bytes sit in its socket buffer before its one read (real servers are often busy elsewhere when
//! data arrives), and the big message travels over a "slow link" that hands the socket 25,000
//! bytes at a time, the next piece only after the server has read (as a slow network or a full
//! socket buffer would).
//!
//! Part 2 does not count the socket reads under `read_frame` for the big message: that number
//! depends on how the pieces arrive and on the reader's read size (it starts at 8 KiB and grows
//! while reads come back full), and it says nothing about speed (`cargo bench` measures that,
//! see BENCHMARKS.md). What changes for the program is that it gets the message once, whole.
//!
//! # Running the two sides separately
//!
//! ```text
//! cargo run --example sticky_packets -- server [--addr 127.0.0.1:8989] [--naive]
//! cargo run --example sticky_packets -- client [--addr 127.0.0.1:8989] [--naive]
//! ```
//!
//! The client sends `aaa` three times and a 100,000-byte message, then closes. The server prints
//! every `read` (`--naive`: it reads raw bytes, and pauses 100 ms before each read, as a busy
//! server would, so small writes pile up) or every frame (default: lenframe). Use the same mode
//! on both sides. A Python client can play the framed side with `struct.pack('i', len(m)) + m`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::Codec;

/// The tutorials' port, for the server and client run separately.
const DEFAULT_ADDR: &str = "127.0.0.1:8989";

/// The size of the big message.
const BIG: usize = 100_000;
/// How many bytes the demo's slow link passes at a time.
const PIECE: usize = 25_000;
/// How long the demo waits for anything before giving up.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What the command line asked for.
enum Role {
    /// No arguments: the self-contained demo.
    Demo,
    /// Accept connections and print every read (`naive`) or every frame.
    Server { addr: String, naive: bool },
    /// Send "aaa" three times and a 100,000-byte message, then close.
    Client { addr: String, naive: bool },
}

const USAGE: &str = "\
See TCP glue messages together (sticky packets), then see lenframe fix it.

Usage: sticky_packets                                  a self-contained demo on 127.0.0.1, then exit
       sticky_packets server [--addr ADDR] [--naive]   print every read (--naive) or every frame
       sticky_packets client [--addr ADDR] [--naive]   send \"aaa\" three times and 100,000 bytes

ADDR defaults to 127.0.0.1:8989. Use the same mode (--naive or not) on both sides.";

/// The command line, read by hand: this package builds with lenframe and std only, so that the
/// first `cargo run` compiles in seconds (see demo/Cargo.toml).
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Role>, String> {
    let mut args = args.into_iter();
    let Some(role) = args.next() else {
        return Ok(Some(Role::Demo));
    };
    let server = match role.as_str() {
        "server" => true,
        "client" => false,
        "-h" | "--help" | "help" => return Ok(None),
        other => return Err(format!("unknown command {other:?}: use server or client")),
    };
    let mut addr = DEFAULT_ADDR.to_string();
    let mut naive = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--naive" => naive = true,
            "--addr" => addr = args.next().ok_or("--addr needs an address")?,
            "-h" | "--help" => return Ok(None),
            other => match other.strip_prefix("--addr=") {
                Some(value) => addr = value.to_string(),
                None => return Err(format!("unknown argument {other:?}")),
            },
        }
    }
    Ok(Some(if server {
        Role::Server { addr, naive }
    } else {
        Role::Client { addr, naive }
    }))
}

fn main() -> ExitCode {
    let role = match parse_args(std::env::args().skip(1)) {
        Ok(Some(role)) => role,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("error: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match role {
        Role::Demo => demo(),
        Role::Server { addr, naive } => server(&addr, naive),
        Role::Client { addr, naive } => client(&addr, naive),
    };
    // The message, not `main`'s default Debug dump of the error value.
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The big message: 100,000 bytes that do not repeat every 256.
fn big_message() -> Vec<u8> {
    (0..BIG).map(|i| (i % 251) as u8).collect()
}

// ---------------------------------------------------------------------------------------------
// The demo: both sides in one process, the glitches forced.

fn demo() -> Result<(), Box<dyn std::error::Error>> {
    // Port 0: the OS picks a free port, so the demo never collides with a running server.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!(
        "Server and client on {} (a port the OS picked for this demo).\n",
        listener.local_addr()?
    );
    let big_reads = part1_naive(&listener)?;
    println!();
    part2_framed(&listener)?;
    println!();
    println!("BEFORE AND AFTER");
    let rows = [
        ("sent", "plain TCP".to_string(), "lenframe".to_string()),
        (
            "\"aaa\" three times",
            "1 read: \"aaaaaaaaa\"".to_string(),
            "3 frames: \"aaa\" \"aaa\" \"aaa\"".to_string(),
        ),
        (
            "one 100000-byte message",
            format!("{big_reads} reads of pieces"),
            format!("1 frame of {BIG} bytes"),
        ),
    ];
    for (sent, before, after) in rows {
        println!("  {sent:<25} {before:<23} {after}");
    }
    println!();
    println!("The fix: put the length in front. lenframe writes it, reads exactly that many bytes");
    println!("however TCP splits or glues them, and rejects a negative or oversized length before");
    println!("reading the payload. A Python peer speaks it with struct.pack('i', len(msg)) + msg.");
    Ok(())
}

/// Connects a client, runs `send` on it in a thread over a slow link, and returns the server's
/// end of the connection plus the channel the server uses to let the slow link move on.
fn connect_pair<F>(
    listener: &TcpListener,
    send: F,
) -> io::Result<(TcpStream, Sender<()>, thread::JoinHandle<io::Result<()>>)>
where
    F: FnOnce(SlowLink) -> io::Result<()> + Send + 'static,
{
    let addr = listener.local_addr()?;
    let (read_done, link_rx) = mpsc::channel();
    let client = thread::spawn(move || {
        let stream = TcpStream::connect(addr)?;
        // Send each write at once rather than let Nagle's algorithm merge them: the glue we are
        // about to see happens on the receiving side.
        stream.set_nodelay(true)?;
        send(SlowLink::new(stream, link_rx))
    });
    let (server_side, _) = listener.accept()?;
    server_side.set_read_timeout(Some(TIMEOUT))?;
    Ok((server_side, read_done, client))
}

/// Returns how many reads the big message took.
fn part1_naive(listener: &TcpListener) -> Result<usize, Box<dyn std::error::Error>> {
    println!("PART 1: plain TCP, no framing (the tutorials' first version)");
    println!();
    let (mut stream, read_done, client) = connect_pair(listener, |mut link| {
        for _ in 0..3 {
            link.write_all(b"aaa")?;
        }
        link.pace();
        link.write_all(&big_message())?;
        link.shutdown()
    })?;

    println!("  client: write(\"aaa\"); write(\"aaa\"); write(\"aaa\")    three separate writes");
    wait_for_bytes(&stream, 9)?;
    let mut buf = vec![0; 1024];
    let n = stream.read(&mut buf)?;
    let _ = read_done.send(());
    println!("  server: read(1024) -> {n} bytes: {}", describe(&buf[..n]));
    println!(
        "          三条消息粘在了一起: 黏包 (sticky packets), three messages glued in one read."
    );
    println!("          TCP is a byte stream: it keeps no message boundaries, so the server");
    println!("          cannot tell where one message ends and the next begins.");
    println!();

    println!("  client: write(<{BIG}-byte message>)    one write");
    println!(
        "          (over a slow link: {PIECE} bytes at a time, as a slow network would pass them)"
    );
    let mut buf = vec![0; 128 * 1024];
    let mut reads = Vec::new();
    let mut total = 0;
    while total < BIG {
        let n = stream.read(&mut buf)?;
        let _ = read_done.send(());
        if n == 0 {
            return Err("the client closed early".into());
        }
        reads.push(n);
        total += n;
    }
    let sizes: Vec<String> = reads.iter().map(usize::to_string).collect();
    println!(
        "  server: {} reads of up to {} bytes -> {} bytes",
        reads.len(),
        buf.len(),
        sizes.join(" + ")
    );
    println!(
        "          One {BIG}-byte message took {} reads, although the buffer could hold all of it.",
        reads.len()
    );
    println!("          A read returns what has arrived so far: one read is not one message.");
    client.join().expect("client thread panicked")?;
    Ok(reads.len())
}

fn part2_framed(listener: &TcpListener) -> Result<(), Box<dyn std::error::Error>> {
    println!("PART 2: the same traffic with lenframe (a 4-byte length in front of each message)");
    println!();
    let (stream, read_done, client) = connect_pair(listener, |link| {
        let mut writer = FrameWriter::new(link);
        for _ in 0..3 {
            writer.write_frame(b"aaa")?;
            // Flush each frame so these are three separate socket writes, as in part 1.
            writer.flush()?;
        }
        writer.get_mut().pace();
        writer.write_frame(big_message())?;
        writer.flush()?;
        writer.into_inner()?.shutdown()
    })?;

    let mut wire = bytes::BytesMut::new();
    Codec::default().encoder().encode(b"aaa", &mut wire)?;
    println!("  client: write_frame(\"aaa\") three times, flushing each: three separate writes");
    println!(
        "          each frame on the wire: {}   (struct.pack('i', 3) + b'aaa')",
        hex(&wire)
    );
    wait_for_bytes(&stream, 3 * wire.len())?;
    let link = LinkReader {
        stream,
        read_done,
        first_read: 0,
        reads: 0,
    };
    let mut reader = FrameReader::new(link);
    for i in 1..=3 {
        let frame = reader.read_frame()?.ok_or("the client closed early")?;
        println!("  server: read_frame() -> frame {i}: {}", describe(&frame));
    }
    let bytes = reader.get_ref().first_read;
    println!(
        "          The reader's first socket read got all {bytes} bytes, glued as before; the"
    );
    println!("          length fields told it where each message ends: three frames \"aaa\".");
    println!();

    println!("  client: write_frame(<{BIG}-byte message>)    over the same slow link");
    let frame = reader.read_frame()?.ok_or("the client closed early")?;
    let whole = if frame[..] == big_message()[..] {
        "identical to what was sent"
    } else {
        "DIFFERENT from what was sent"
    };
    println!(
        "  server: read_frame() -> one frame of {} bytes, {whole}",
        frame.len()
    );
    println!("          read_frame() waited for every piece and returned the message once, whole.");
    match reader.read_frame()? {
        None => println!(
            "  server: read_frame() -> None: the client closed cleanly, between two frames."
        ),
        Some(extra) => return Err(format!("unexpected frame: {}", describe(&extra)).into()),
    }
    client.join().expect("client thread panicked")?;
    Ok(())
}

/// The client's end of the demo's connection: a `Write` that, once [`pace`](Self::pace) is
/// called, passes at most [`PIECE`] bytes to the socket at a time and waits for the server to
/// finish a read before passing the next piece. Writers must cope with the short writes this
/// causes, as they must with any socket.
struct SlowLink {
    stream: TcpStream,
    read_done: Receiver<()>,
    paced: bool,
    left_in_piece: usize,
}

impl SlowLink {
    fn new(stream: TcpStream, read_done: Receiver<()>) -> SlowLink {
        SlowLink {
            stream,
            read_done,
            paced: false,
            left_in_piece: 0,
        }
    }

    /// From now on, send in pieces; the first piece waits for the server's current read.
    fn pace(&mut self) {
        self.paced = true;
        self.left_in_piece = 0;
    }

    fn shutdown(&self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)
    }
}

impl Write for SlowLink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.paced {
            return self.stream.write(buf);
        }
        if self.left_in_piece == 0 {
            self.read_done.recv_timeout(TIMEOUT).map_err(|_| {
                io::Error::new(io::ErrorKind::TimedOut, "the server stopped reading")
            })?;
            self.left_in_piece = PIECE;
        }
        let n = self
            .stream
            .write(&buf[..buf.len().min(self.left_in_piece)])?;
        self.left_in_piece -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// The server's end of the demo's connection: tells the slow link after each socket read, and
/// remembers how many bytes the first read returned.
struct LinkReader {
    stream: TcpStream,
    read_done: Sender<()>,
    first_read: usize,
    reads: usize,
}

impl Read for LinkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.stream.read(buf)?;
        if self.reads == 0 {
            self.first_read = n;
        }
        self.reads += 1;
        // The client may be gone already; then nobody is waiting for this.
        let _ = self.read_done.send(());
        Ok(n)
    }
}

/// Waits until at least `n` bytes sit in the socket's receive buffer, without taking them
/// (`peek`), as a busy server's buffer fills before it gets round to reading.
fn wait_for_bytes(stream: &TcpStream, n: usize) -> io::Result<()> {
    let deadline = Instant::now() + TIMEOUT;
    let mut buf = vec![0; n];
    loop {
        match stream.peek(&mut buf)? {
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the client left",
                ))
            }
            got if got >= n => return Ok(()),
            _ if Instant::now() >= deadline => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client sent too little",
                ))
            }
            _ => thread::sleep(Duration::from_millis(2)),
        }
    }
}

/// Space-separated hex: the bytes on the wire.
fn hex(bytes: &[u8]) -> String {
    let pairs: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    pairs.join(" ")
}

/// `"aaa"` for short text; otherwise the length and the first bytes in hex.
fn describe(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if bytes.len() <= 40 && !text.chars().any(char::is_control) => format!("{text:?}"),
        _ if bytes.len() <= 8 => format!("{} bytes [{}]", bytes.len(), hex(bytes)),
        _ => format!("{} bytes [{} ...]", bytes.len(), hex(&bytes[..8])),
    }
}

// ---------------------------------------------------------------------------------------------
// The two sides as separate programs.

fn server(addr: &str, naive: bool) -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind(addr)?;
    println!("listening on {}", listener.local_addr()?);
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(err) => {
                eprintln!("accept failed: {err}");
                continue;
            }
        };
        let peer = stream.peer_addr()?;
        println!("client {peer}: connected");
        let result = if naive {
            print_reads(stream)
        } else {
            print_frames(stream)
        };
        match result {
            Ok(()) => println!("client {peer}: closed"),
            Err(err) => println!("client {peer}: {err}; connection closed"),
        }
    }
    Ok(())
}

/// Prints each raw read; pauses before each so that small writes pile up, as they do on a busy
/// server.
fn print_reads(mut stream: TcpStream) -> Result<(), Box<dyn std::error::Error>> {
    let mut buf = vec![0; 64 * 1024];
    for i in 1.. {
        thread::sleep(Duration::from_millis(100));
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        println!("  read {i}: {n} bytes: {}", describe(&buf[..n]));
    }
    Ok(())
}

fn print_frames(stream: TcpStream) -> Result<(), Box<dyn std::error::Error>> {
    for (i, frame) in FrameReader::new(stream).enumerate() {
        println!("  frame {}: {}", i + 1, describe(&frame?));
    }
    Ok(())
}

fn client(addr: &str, naive: bool) -> Result<(), Box<dyn std::error::Error>> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let big = big_message();
    if naive {
        let mut stream = stream;
        for _ in 0..3 {
            stream.write_all(b"aaa")?;
        }
        stream.write_all(&big)?;
        stream.shutdown(Shutdown::Write)?;
        println!("sent \"aaa\" three times and a {BIG}-byte message, no framing");
    } else {
        let mut writer = FrameWriter::new(stream);
        for _ in 0..3 {
            writer.write_frame(b"aaa")?;
            writer.flush()?;
        }
        writer.write_frame(&big)?;
        writer.into_inner()?.shutdown(Shutdown::Write)?;
        println!("sent \"aaa\" three times and a {BIG}-byte message, as frames");
    }
    Ok(())
}
