//! A chat room on tokio, with a broadcast channel: a slow or dead client never holds up the
//! others.
//!
//! ```text
//! cargo run --example async_chat --features tokio                                   # demo
//! cargo run --example async_chat --features tokio -- server [--addr 127.0.0.1:8989]
//!                          [--max-lag 1024] [--write-timeout 10] [--max-clients 1024] [--backlog 1024]
//! cargo run --example async_chat --features tokio -- client --name alice [--addr 127.0.0.1:8989]
//! ```
//!
//! With no arguments it starts a room on 127.0.0.1 (a port the OS picks, so it never collides)
//! and scripted clients, one of them deliberately slow and one that stops reading altogether,
//! prints what happens, and exits. `server` runs a real room until Ctrl-C or SIGTERM; `client`
//! joins one: every line typed on stdin is sent, everything the room says is printed; end stdin
//! (Ctrl-D) to leave. The client is a simple line mode: a line from the room may appear while
//! you type, but what you typed is kept and sent whole when you press Enter (Ctrl-R redraws it
//! on most terminals). If the server goes away, the client says so and exits at once.
//!
//! # Protocol
//!
//! The blocking `chat` example's, so its clients and these mix in one room. Every message, both
//! ways, is a frame: a 4-byte signed little-endian length, Python's
//! `struct.pack('i', len(payload))`, then that many bytes of UTF-8 text (at most 64 KiB).
//!
//! - client to server: the first frame is the client's name (1 to 32 bytes, no control
//!   characters, not already in the room); every later frame is one chat message.
//! - server to client: every frame is one line to show: `* welcome, NAME; online: a, b`,
//!   `* NAME joined`, `* NAME left`, `[NAME] message`, or `* error: ...` just before the server
//!   closes the connection.
//!
//! # Slow clients
//!
//! Every message goes once into a `tokio::sync::broadcast` channel; each client's task takes it
//! from there and writes it to its socket. Nobody waits for anybody: the channel keeps the last
//! `--max-lag` messages (default 1024), and a client whose task falls further behind than that
//! (its socket is full because it reads too slowly) gets `RecvError::Lagged` and is dropped,
//! with the reason logged and told to the room. A client that stops reading altogether is
//! dropped when a write to it makes no progress for `--write-timeout` seconds (default 10).
//! Each client's task waits on its socket and on the channel at once with `tokio::select!`,
//! which is safe because `FrameReader::read_frame` and `broadcast::Receiver::recv` are both
//! cancel-safe.
//!
//! # Staying up
//!
//! As `async_echo` (see its docs): at most `--max-clients` members, one more is told
//! `* error: the room is full ...` and closed; failed `accept`s are retried after a pause;
//! `--backlog` sets the listen queue. Ctrl-C or SIGTERM: the room is told
//! `* the server is shutting down` after every line already said, each member is closed between
//! two messages (a message being sent gets 5 s to arrive), and a one-line summary is printed.

mod common;

use std::collections::HashSet;
use std::io::BufRead;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Subcommand;
use lenframe::tokio::{FrameReader, FrameWriter};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::mpsc;

use common::chat::{check_name, codec, room_full, welcome, Join, HELLO_TIMEOUT};
use common::cli::{self, DEFAULT_ADDR};
use common::server::{self, Limits, Server, Tracked};
use common::{human_duration, log};

/// How long a frame may take to arrive once its header has.
const FRAME_DEADLINE: Duration = Duration::from_secs(10);

#[derive(Subcommand)]
#[command(about = "An async chat room over length-prefixed frames")]
enum Role {
    /// Run the chat room.
    Server {
        /// Address to listen on (port 0: let the OS pick one).
        #[arg(long, default_value = DEFAULT_ADDR)]
        addr: String,
        /// Messages a client may fall behind before it is dropped.
        #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
        max_lag: u32,
        /// Seconds a write to a client may make no progress before it is dropped.
        #[arg(long, default_value = "10", value_parser = cli::seconds)]
        write_timeout: Duration,
        #[command(flatten)]
        limits: Limits,
    },
    /// Join a room: send stdin line by line, print what the others say.
    Client(Join),
}

#[tokio::main]
async fn main() -> ExitCode {
    match cli::role() {
        None => cli::report(demo().await),
        Some(Role::Server {
            addr,
            max_lag,
            write_timeout,
            limits,
        }) => {
            cli::report(serve_until_stopped(&addr, max_lag as usize, write_timeout, &limits).await)
        }
        Some(Role::Client(Join { addr, name })) => client(&addr, &name).await,
    }
}

/// The real room: serves until Ctrl-C or SIGTERM, then prints the summary.
async fn serve_until_stopped(
    addr: &str,
    max_lag: usize,
    write_timeout: Duration,
    limits: &Limits,
) -> Result<(), Box<dyn std::error::Error>> {
    let listener = server::listen_async(addr, limits.backlog)?;
    let server = chat_server(limits);
    server::stop_on_signals_async(&server);
    log!(
        "async chat room: at most {} members, who may fall {max_lag} messages behind, write \
         timeout {}. Ctrl-C stops it; run with no arguments for a demo.",
        limits.max_clients,
        human_duration(write_timeout)
    );
    common::announce_addr(listener.local_addr()?)?;
    let room = Room::new(&server, max_lag, write_timeout, Log::Stderr);
    room.serve(listener).await;
    server.finish_async().await;
    Ok(())
}

/// The shared server state, with the reply for a client the room has no place for.
fn chat_server(limits: &Limits) -> Arc<Server> {
    Server::new("async_chat", limits, Some(room_full(limits.max_clients)))
}

// ---------------------------------------------------------------------------------------------
// The server.

/// Where the server's log lines go: stderr, or the demo's narration.
#[derive(Clone)]
enum Log {
    Stderr,
    Demo(mpsc::UnboundedSender<String>),
}

impl Log {
    fn line(&self, line: String) {
        match self {
            Log::Stderr => log!("{line}"),
            Log::Demo(tx) => {
                let _ = tx.send(line);
            }
        }
    }
}

/// One line for the room, and who said it (they do not get their own message back).
#[derive(Clone, Debug)]
struct Event {
    from: Option<u64>,
    line: Arc<str>,
    /// The server is shutting down: this is the last line.
    last: bool,
}

/// What a client's reader: its socket's read half, marked between frames or not.
type Reader = FrameReader<Tracked<OwnedReadHalf>>;

struct Room {
    server: Arc<Server>,
    events: broadcast::Sender<Event>,
    names: Mutex<HashSet<String>>,
    next_id: Mutex<u64>,
    write_timeout: Duration,
    log: Log,
}

/// Why a client's connection ended.
enum Goodbye {
    /// It closed the connection between frames.
    Left,
    /// Its task fell this many messages behind.
    Lagged(u64),
    /// A write to it made no progress for the write timeout.
    NotReading,
    /// Its connection failed or it sent a bad frame.
    Failed(lenframe::Error),
    /// The server is shutting down.
    Shutdown,
}

impl Room {
    fn new(server: &Arc<Server>, max_lag: usize, write_timeout: Duration, log: Log) -> Arc<Room> {
        Arc::new(Room {
            server: Arc::clone(server),
            events: broadcast::channel(max_lag).0,
            names: Mutex::default(),
            next_id: Mutex::new(0),
            write_timeout,
            log,
        })
    }

    /// Accepts clients until the shutdown, each in its own task; then tells the room, after
    /// every line already said.
    async fn serve(self: Arc<Room>, listener: TcpListener) {
        server::accept_async(&self.server, listener, |stream, peer, slot| {
            let room = Arc::clone(&self);
            tokio::spawn(async move {
                room.serve_client(stream, peer).await;
                drop(slot);
            });
        })
        .await;
        let _ = self.events.send(Event {
            from: None,
            line: "* the server is shutting down".into(),
            last: true,
        });
    }

    fn say(&self, from: Option<u64>, line: String) {
        // No receivers is not an error: an empty room.
        let _ = self.events.send(Event {
            from,
            line: line.into(),
            last: false,
        });
    }

    async fn serve_client(&self, stream: TcpStream, peer: SocketAddr) {
        let (read_half, write_half) = stream.into_split();
        let mut reader = FrameReader::with_codec(Tracked::new(read_half), codec())
            .with_frame_deadline(FRAME_DEADLINE);
        let mut writer = FrameWriter::with_codec(write_half, codec());

        // The name. read_frame is cancel-safe, so a timeout around it loses nothing.
        let hello = tokio::select! {
            hello = tokio::time::timeout(HELLO_TIMEOUT, reader.read_frame()) => hello,
            () = self.server.stopped() => return,
        };
        let name = match hello {
            Ok(Ok(Some(hello))) => {
                self.server.frame_in(hello.len());
                String::from_utf8_lossy(&hello).into_owned()
            }
            Ok(Ok(None)) => return,
            Ok(Err(err)) => {
                self.log
                    .line(format!("client {peer}: {err}; connection closed"));
                return;
            }
            Err(_) => {
                self.log.line(format!(
                    "client {peer}: sent no name in {}; closed",
                    human_duration(HELLO_TIMEOUT)
                ));
                return;
            }
        };
        let next_begun = !reader.buffer().is_empty();
        reader.get_mut().frame_done(next_begun);
        let (id, events, welcome) = match self.join(&name) {
            Ok(joined) => joined,
            Err(why) => {
                self.log
                    .line(format!("client {peer}: refused name {name:?}: {why}"));
                let _ = writer
                    .write_frame(format!("* error: {why}").as_bytes())
                    .await;
                let _ = writer.flush().await;
                return;
            }
        };
        self.log.line(format!("{name} joined from {peer}"));
        let goodbye = self
            .converse(&name, id, events, welcome, &mut reader, &mut writer)
            .await;

        self.names.lock().unwrap().remove(&name);
        let (log, told) = match goodbye {
            Goodbye::Left => (format!("{name} left"), format!("* {name} left")),
            Goodbye::Lagged(missed) => (
                format!("{name} dropped: fell {missed} messages behind (reading too slowly)"),
                format!("* {name} left (too slow)"),
            ),
            Goodbye::NotReading => (
                format!(
                    "{name} dropped: a write made no progress for {} (not reading)",
                    human_duration(self.write_timeout)
                ),
                format!("* {name} left (not reading)"),
            ),
            Goodbye::Failed(err) => (
                format!("{name} dropped: {err}"),
                format!("* {name} left (connection error)"),
            ),
            Goodbye::Shutdown => {
                self.log.line(format!("{name} closed by the shutdown"));
                return;
            }
        };
        self.log.line(log);
        self.say(Some(id), told);
        // Dropping the reader and writer closes the connection.
    }

    /// Takes the name if it is valid and free; subscribes before telling the room, so the
    /// newcomer misses nothing said after its welcome.
    fn join(&self, name: &str) -> Result<(u64, broadcast::Receiver<Event>, String), String> {
        check_name(name)?;
        let mut names = self.names.lock().unwrap();
        if names.contains(name) {
            return Err(format!("the name {name:?} is taken"));
        }
        let welcome = welcome(name, names.iter().map(String::as_str).collect());
        names.insert(name.to_string());
        let id = {
            let mut next = self.next_id.lock().unwrap();
            *next += 1;
            *next
        };
        let events = self.events.subscribe();
        // The shutdown's last line is sent after the flag is set: subscribed before it was
        // sent, we will get it; otherwise we see the flag here.
        if self.server.is_stopping() {
            names.remove(name);
            return Err("the server is shutting down".into());
        }
        self.say(Some(id), format!("* {name} joined"));
        Ok((id, events, welcome))
    }

    /// Relays the client's messages to the room and the room's to the client, until one side
    /// ends.
    async fn converse(
        &self,
        name: &str,
        id: u64,
        mut events: broadcast::Receiver<Event>,
        welcome: String,
        reader: &mut Reader,
        writer: &mut FrameWriter<OwnedWriteHalf>,
    ) -> Goodbye {
        if let Err(goodbye) = self.send(writer, &welcome, true).await {
            return goodbye;
        }
        loop {
            // Both branches are cancel-safe: whichever loses the race loses nothing. The room
            // comes first, so a client that talks a lot cannot fall behind on what it is told.
            tokio::select! {
                biased;
                event = events.recv() => match event {
                    Ok(event) if event.from == Some(id) => {}
                    Ok(event) if event.last => {
                        if let Err(goodbye) = self.send(writer, &event.line, true).await {
                            return goodbye;
                        }
                        return self.finish_message(name, id, reader).await;
                    }
                    Ok(event) => {
                        // Flush once the backlog is empty: a burst goes out in one write.
                        let flush = events.is_empty();
                        if let Err(goodbye) = self.send(writer, &event.line, flush).await {
                            return goodbye;
                        }
                    }
                    Err(RecvError::Lagged(missed)) => return Goodbye::Lagged(missed),
                    Err(RecvError::Closed) => return Goodbye::Left,
                },
                message = reader.read_frame() => match message {
                    Ok(Some(text)) => {
                        let next_begun = !reader.buffer().is_empty();
                        reader.get_mut().frame_done(next_begun);
                        self.server.frame_in(text.len());
                        let text = String::from_utf8_lossy(&text);
                        self.say(Some(id), format!("[{name}] {text}"));
                        // Let the others' tasks take it before this one reads the next: a
                        // burst from one client must not outrun healthy readers.
                        tokio::task::yield_now().await;
                    }
                    Ok(None) => return Goodbye::Left,
                    Err(err) => return Goodbye::Failed(err),
                },
            }
        }
    }

    /// At the shutdown: a message the client is in the middle of sending gets until the grace
    /// period ends to arrive (and is passed on to whoever is still here).
    async fn finish_message(&self, name: &str, id: u64, reader: &mut Reader) -> Goodbye {
        let Some(end) = self.server.stop_deadline() else {
            return Goodbye::Shutdown;
        };
        if reader.get_ref().between_frames() {
            return Goodbye::Shutdown;
        }
        match tokio::time::timeout_at(end.into(), reader.read_frame()).await {
            Ok(Ok(Some(text))) => {
                self.server.frame_in(text.len());
                let text = String::from_utf8_lossy(&text);
                self.say(Some(id), format!("[{name}] {text}"));
                Goodbye::Shutdown
            }
            Ok(Ok(None)) => Goodbye::Shutdown,
            Ok(Err(err)) => Goodbye::Failed(err),
            Err(_) => {
                self.server.cut_off();
                Goodbye::Failed(
                    std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the server is shutting down and this message did not finish",
                    )
                    .into(),
                )
            }
        }
    }

    /// Writes one line to the client, giving up if the write makes no progress in time.
    async fn send(
        &self,
        writer: &mut FrameWriter<OwnedWriteHalf>,
        line: &str,
        flush: bool,
    ) -> Result<(), Goodbye> {
        let write = async {
            writer.write_frame(line.as_bytes()).await?;
            if flush {
                writer.flush().await?;
            }
            Ok(())
        };
        match tokio::time::timeout(self.write_timeout, write).await {
            Ok(Ok(())) => {
                self.server.frame_out(line.len() as u64);
                Ok(())
            }
            Ok(Err(err)) => Err(Goodbye::Failed(err)),
            Err(_) => Err(Goodbye::NotReading),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The interactive client.

/// Joins the room at `addr`. Exit status: 0 once we left (end of stdin); 1 if the server ended
/// the session (refused us, shut down, or the connection was lost) or we could not join.
async fn client(addr: &str, name: &str) -> ExitCode {
    match chat_client(addr, name).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn chat_client(addr: &str, name: &str) -> Result<ExitCode, Box<dyn std::error::Error>> {
    check_name(name).map_err(|why| format!("--name {name:?}: {why}"))?;
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|err| format!("cannot connect to {addr}: {err}"))?;
    let (read_half, write_half) = stream.into_split();
    let mut reader = FrameReader::with_codec(read_half, codec());
    let mut writer = FrameWriter::with_codec(write_half, codec());
    writer.send_frame(name.as_bytes()).await?;
    eprintln!(
        "connected to {addr} as {name}. Type a line and press Enter to send it; Ctrl-D leaves. \
         (A line from the room may appear while you type: yours is kept, Ctrl-R redraws it.)"
    );
    // Lines are read from stdin on a thread of our own: tokio's stdin would keep the program
    // waiting for one more line after the server has gone.
    let (tx, mut typed) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let (mut refused, mut leaving) = (false, false);
    loop {
        tokio::select! {
            line = reader.read_frame() => match line {
                Ok(Some(line)) => {
                    let line = String::from_utf8_lossy(&line);
                    refused |= line.starts_with("* error:");
                    println!("{line}");
                }
                Ok(None) if leaving => {
                    eprintln!("you left the room");
                    return Ok(if refused { ExitCode::FAILURE } else { ExitCode::SUCCESS });
                }
                Ok(None) => {
                    eprintln!("the server closed the connection");
                    return Ok(ExitCode::FAILURE);
                }
                Err(err) => {
                    eprintln!("connection lost: {err}");
                    return Ok(ExitCode::FAILURE);
                }
            },
            line = typed.recv(), if !leaving => match line {
                Some(text) if text.is_empty() => {}
                // If the server is gone, the branch above says so.
                Some(text) => { let _ = writer.send_frame(text.as_bytes()).await; }
                None => {
                    // Leave politely: the server sees the end of stream between frames, tells
                    // the room, and closes, which ends the loop above.
                    leaving = true;
                    let _ = writer.shutdown().await;
                }
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The demo: a room and scripted clients in one process.

/// A scripted client: its lines arrive on `inbox`; it reads them `delay` apart, or not at all.
struct Bot {
    name: &'static str,
    writer: FrameWriter<OwnedWriteHalf>,
    inbox: mpsc::UnboundedReceiver<String>,
}

impl Bot {
    /// Connects and sends the name. A client that reads slowly or never gets a small receive
    /// buffer, so its slowness shows quickly.
    async fn join(
        addr: SocketAddr,
        name: &'static str,
        reading: Reading,
    ) -> Result<Bot, Box<dyn std::error::Error>> {
        let socket = TcpSocket::new_v4()?;
        if !matches!(reading, Reading::Normally) {
            socket.set_recv_buffer_size(4096)?;
        }
        let (read_half, write_half) = socket.connect(addr).await?.into_split();
        let mut writer = FrameWriter::with_codec(write_half, codec());
        writer.write_frame(name.as_bytes()).await?;
        writer.flush().await?;
        let (tx, inbox) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = FrameReader::with_codec(read_half, codec());
            if let Reading::Never = reading {
                // Hold the connection open without ever reading from it.
                std::future::pending::<()>().await;
            }
            while let Ok(Some(line)) = reader.read_frame().await {
                if tx
                    .send(String::from_utf8_lossy(&line).into_owned())
                    .is_err()
                {
                    break;
                }
                if let Reading::Slowly(delay) = reading {
                    tokio::time::sleep(delay).await;
                }
            }
        });
        let mut bot = Bot {
            name,
            writer,
            inbox,
        };
        if !matches!(reading, Reading::Never) {
            bot.expect().await?;
        }
        Ok(bot)
    }

    async fn say(&mut self, text: &str) -> Result<(), lenframe::Error> {
        self.writer.write_frame(text.as_bytes()).await?;
        self.writer.flush().await
    }

    /// Prints the next line this client was sent.
    async fn expect(&mut self) -> Result<String, String> {
        let line = self.next().await?;
        println!("{:>5} sees:  {line}", self.name);
        Ok(line)
    }

    async fn next(&mut self) -> Result<String, String> {
        match tokio::time::timeout(Duration::from_secs(10), self.inbox.recv()).await {
            Ok(Some(line)) => Ok(line),
            Ok(None) => Err(format!("{}: the server closed the connection", self.name)),
            Err(_) => Err(format!("{} got nothing within 10 s", self.name)),
        }
    }
}

#[derive(Clone, Copy)]
enum Reading {
    Normally,
    Slowly(Duration),
    Never,
}

async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    const BACKLOG: usize = 256;
    const WRITE_TIMEOUT: Duration = Duration::from_millis(1500);
    const NEWS: usize = 1500;

    // Small socket buffers, so a client that reads slowly fills them after a few KiB.
    let socket = TcpSocket::new_v4()?;
    socket.set_send_buffer_size(4096)?;
    socket.bind("127.0.0.1:0".parse()?)?;
    let listener = socket.listen(Limits::default().backlog as u32)?;
    let addr = listener.local_addr()?;
    println!("async chat demo: a room on {addr} (a port the OS picked for this demo).");
    println!("(Run a real room with: cargo run --example async_chat --features tokio -- server)");
    println!(
        "The room keeps the last {BACKLOG} messages for a client that falls behind and drops a \
         client a write to which makes no progress for {}.",
        human_duration(WRITE_TIMEOUT)
    );
    println!();
    let (log_tx, mut log_rx) = mpsc::unbounded_channel();
    let server = chat_server(&Limits::default());
    let room = Room::new(&server, BACKLOG, WRITE_TIMEOUT, Log::Demo(log_tx));
    let serving = tokio::spawn(room.serve(listener));
    let log_printer = tokio::spawn(async move {
        while let Some(line) = log_rx.recv().await {
            println!("     server:  {line}");
        }
    });

    let mut alice = Bot::join(addr, "alice", Reading::Normally).await?;
    let mut bob = Bot::join(addr, "bob", Reading::Normally).await?;
    alice.expect().await?;
    let mut carol = Bot::join(addr, "carol", Reading::Slowly(Duration::from_millis(5))).await?;
    alice.expect().await?;
    bob.expect().await?;
    let dave = Bot::join(addr, "dave", Reading::Never).await?;
    println!("(dave joins, and never reads a byte)");
    alice.expect().await?;
    bob.expect().await?;
    carol.expect().await?;
    println!();

    alice.say("hi all").await?;
    println!("alice says:  hi all");
    bob.expect().await?;
    carol.expect().await?;
    println!();

    println!("alice sends {NEWS} news items in bursts; carol reads one line every 5 ms.");
    let news = |i: usize| format!("news #{i}: {}", "lorem ipsum dolor sit amet ".repeat(7));
    for i in 0..NEWS {
        alice.writer.write_frame(news(i).as_bytes()).await?;
        if i % 10 == 9 {
            alice.writer.flush().await?;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    alice.writer.flush().await?;

    // Bob keeps up: every item, in order. Meanwhile the room drops carol and dave.
    let mut notices = Vec::new();
    let mut received = 0;
    while received < NEWS {
        let line = bob.next().await?;
        if line == format!("[alice] {}", news(received)) {
            received += 1;
        } else if line.starts_with("* ") {
            notices.push(line);
        } else {
            return Err(format!("bob got {line:?} where news #{received} belonged").into());
        }
    }
    println!("  bob sees:  all {NEWS} news items, in order");
    while notices.len() < 2 {
        notices.push(bob.next().await?);
    }
    for notice in &notices {
        println!("  bob sees:  {notice}");
    }
    let mut carol_got = 0;
    while carol.next().await.is_ok() {
        carol_got += 1;
    }
    println!("(carol got {carol_got} lines before the room dropped her)");
    drop(dave);
    for _ in 0..2 {
        alice.expect().await?;
    }
    println!();

    bob.say("quiet in here now").await?;
    println!("  bob says:  quiet in here now");
    alice.expect().await?;
    println!("alice leaves");
    tokio::io::AsyncWriteExt::shutdown(alice.writer.get_mut()).await?;
    bob.expect().await?;
    println!();
    println!(
        "The slow client and the dead one were dropped with a reason; the others never waited."
    );
    println!();
    println!("Stopping the server, as Ctrl-C would:");
    server.stop();
    serving.await?;
    bob.expect().await?;
    server.finish_async().await;
    // The server's last log lines, then the end.
    tokio::time::sleep(Duration::from_millis(20)).await;
    log_printer.abort();
    Ok(())
}
