//! A multi-client chat room over length-prefixed frames.
//!
//! ```text
//! cargo run --example chat                                  # demo, then exits
//! cargo run --example chat -- server [--addr 127.0.0.1:8989] [--max-clients 1024]
//!                                    [--idle-timeout 30] [--backlog 1024]
//! cargo run --example chat -- client --name alice [--addr 127.0.0.1:8989]
//! ```
//!
//! With no arguments it starts a server on 127.0.0.1 (a port the OS picks, so it never
//! collides) and scripted clients, prints what each one sees, and exits. `chat server` runs a
//! real room until Ctrl-C or SIGTERM. `chat client` joins it: every line typed on stdin is sent,
//! and everything the room says is printed; end stdin (Ctrl-D) to leave. The client is a simple
//! line mode: a line from the room may appear while you type, but what you typed is kept and
//! sent whole when you press Enter (Ctrl-R redraws it on most terminals). If the server goes
//! away, the client says so and exits.
//!
//! # Protocol
//!
//! Every message, both ways, is a frame: a 4-byte signed little-endian length, Python's
//! `struct.pack('i', len(payload))`, then that many bytes of UTF-8 text. Payloads are at most
//! 64 KiB; a client sending more, or a bad length, is disconnected.
//!
//! ```text
//! +----------------------+---------------------------+
//! | length: 4 bytes      | payload: `length` bytes   |
//! | i32, little-endian   | UTF-8 text                |
//! +----------------------+---------------------------+
//! ```
//!
//! - client to server: the first frame is the client's name (1 to 32 bytes, no control
//!   characters, not already in the room); every later frame is one chat message. A message may
//!   hold any text, newlines included: the frame, not a newline, says where it ends.
//! - server to client: every frame is one line to show:
//!   `* welcome, NAME; online: a, b` (to a newcomer), `* NAME joined`, `* NAME left`,
//!   `[NAME] message` (someone else's message), or `* error: ...` just before the server closes
//!   the connection (a bad name).
//!
//! The server gives each client its own writer thread and queue, so one slow client cannot hold
//! up the room; a client whose queue fills up (it stopped reading) is disconnected.
//!
//! # Staying up
//!
//! As `echo_server` (see its docs): at most `--max-clients` members, one more is told
//! `* error: the room is full ...` and closed; a client that cannot get its threads is closed
//! with a logged reason; failed `accept`s are retried after a pause; `--backlog` sets the listen
//! queue. `--idle-timeout` (default 30 s) is how long a newcomer has to send its name, and how
//! long any message may take once it has begun; a member who just listens is never timed out.
//! Ctrl-C or SIGTERM: the room is told `* the server is shutting down`, every line already said
//! is delivered, each member is closed between two messages (a message being sent gets 5 s to
//! arrive), and a one-line summary is printed.
//!
//! A Python client: `sock.sendall(struct.pack('i', len(b)) + b)` for each message (`b` the
//! UTF-8 bytes, the first one the name), and a receive-exactly loop to read frames.

mod common;

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use clap::Subcommand;
use lenframe::blocking::{FrameReader, FrameWriter};

use common::chat::{check_name, codec, room_full, welcome, Join};
use common::cli::{self, DEFAULT_ADDR};
use common::client_socket::ClientSocket;
use common::server::{self, Idle, Limits, Server};
use common::{human_duration, log, LogTo};

/// Lines queued for one client before it counts as not reading.
const QUEUE: usize = 1024;

#[derive(Subcommand)]
#[command(about = "A chat room over length-prefixed frames")]
enum Role {
    /// Run the chat room until Ctrl-C or SIGTERM.
    Server {
        /// Address to listen on (port 0: let the OS pick one).
        #[arg(long, default_value = DEFAULT_ADDR)]
        addr: String,
        #[command(flatten)]
        limits: Limits,
        /// Seconds a newcomer has to send its name, and a message to arrive once begun.
        #[arg(long, default_value = "30", value_parser = cli::seconds)]
        idle_timeout: Duration,
    },
    /// Join a room: send stdin line by line, print what the others say.
    Client(Join),
}

fn main() -> ExitCode {
    match cli::role() {
        None => cli::report(demo()),
        Some(Role::Server {
            addr,
            limits,
            idle_timeout,
        }) => cli::report(serve_until_stopped(&addr, &limits, Idle { idle_timeout })),
        Some(Role::Client(Join { addr, name })) => client(&addr, &name),
    }
}

// ---------------------------------------------------------------------------------------------
// The server.

/// The real room: serves until Ctrl-C or SIGTERM, then prints the summary.
fn serve_until_stopped(
    addr: &str,
    limits: &Limits,
    idle: Idle,
) -> Result<(), Box<dyn std::error::Error>> {
    let listener = server::listen(addr, limits.backlog)?;
    let server = chat_server(limits);
    server::stop_on_signals(&server, &listener)?;
    log!(
        "chat room: at most {} members, idle timeout {}. Ctrl-C stops it; run with no arguments \
         for a demo.",
        limits.max_clients,
        human_duration(idle.idle_timeout)
    );
    common::announce(&listener)?;
    serve(&server, &listener, idle.idle_timeout);
    server.finish();
    Ok(())
}

/// The shared server state, with the reply for a client the room has no place for.
fn chat_server(limits: &Limits) -> Arc<Server> {
    Server::new("chat", limits, Some(room_full(limits.max_clients)))
}

/// Who is in the room. One lock orders everything, so every client sees events in the same order.
#[derive(Default)]
struct Room {
    members: HashMap<u64, Member>,
    next_id: u64,
}

struct Member {
    name: String,
    queue: SyncSender<String>,
    stream: TcpStream,
}

impl Room {
    /// Queues `line` for every member but `except`; disconnects members that stopped reading.
    fn broadcast(&mut self, except: Option<u64>, line: &str) {
        let mut stalled = Vec::new();
        for (&id, member) in &self.members {
            if Some(id) == except {
                continue;
            }
            if let Err(TrySendError::Full(_)) = member.queue.try_send(line.to_string()) {
                stalled.push(id);
            }
        }
        for id in stalled {
            if let Some(member) = self.members.remove(&id) {
                log!("{}: not reading, disconnected", member.name);
                let _ = member.stream.shutdown(Shutdown::Both);
                self.broadcast(None, &format!("* {} left (not reading)", member.name));
            }
        }
    }
}

/// Accepts members until the shutdown, each with a reader thread (and a writer thread once it
/// has joined); then tells the room the server is going.
fn serve(server: &Arc<Server>, listener: &TcpListener, idle_timeout: Duration) {
    let room = Arc::new(Mutex::new(Room::default()));
    server::accept_blocking(server, listener, |stream, peer, slot| {
        let (server, room) = (Arc::clone(server), Arc::clone(&room));
        let _ = Arc::clone(&server).spawn_client(peer, move || {
            if let Err(err) = serve_client(&server, stream, peer, &room, idle_timeout) {
                log!("client {peer}: {err}; connection closed");
            }
            drop(slot);
        });
    });
    // Queued after every line already said, so those reach everyone first.
    room.lock()
        .unwrap()
        .broadcast(None, "* the server is shutting down");
}

fn serve_client(
    server: &Arc<Server>,
    stream: TcpStream,
    peer: SocketAddr,
    room: &Mutex<Room>,
    idle_timeout: Duration,
) -> Result<(), lenframe::Error> {
    let mut writer = FrameWriter::with_codec(stream.try_clone()?, codec());
    let socket = ClientSocket::new(stream.try_clone()?, Arc::clone(server), idle_timeout)?;
    let mut reader = FrameReader::with_codec(socket, codec());
    let Some(hello) = reader.read_frame()? else {
        return Ok(());
    };
    // A member may listen quietly for as long as it likes; a message, once begun, must arrive
    // within the idle timeout.
    reader.get_mut().set_silence_limit(None);
    let next_begun = !reader.buffer().is_empty();
    reader.get_mut().frame_done(next_begun);
    server.frame_in(hello.len());
    let name = String::from_utf8_lossy(&hello).into_owned();

    // Join, or say why not.
    let (queue, lines) = mpsc::sync_channel(QUEUE);
    let joined = {
        let mut room = room.lock().unwrap();
        let taken = room.members.values().any(|m| m.name == name);
        match check_name(&name) {
            Err(why) => Err(why),
            Ok(()) if taken => Err(format!("the name {name:?} is taken")),
            Ok(()) => {
                let others = room.members.values().map(|m| m.name.as_str()).collect();
                queue
                    .try_send(welcome(&name, others))
                    .expect("a new queue has room");
                let id = room.next_id;
                room.next_id += 1;
                room.members.insert(
                    id,
                    Member {
                        name: name.clone(),
                        queue,
                        stream: stream.try_clone()?,
                    },
                );
                room.broadcast(Some(id), &format!("* {name} joined"));
                Ok(id)
            }
        }
    };
    let id = match joined {
        Ok(id) => id,
        Err(why) => {
            log!("client {peer}: refused name {name:?}: {why}");
            writer.write_frame(format!("* error: {why}").as_bytes())?;
            writer.flush()?;
            return Ok(());
        }
    };
    log!("{name} joined from {peer}");

    // This client's writer: drains its queue until the room drops the queue's sender.
    let sending = Arc::clone(server);
    let sender = thread::Builder::new()
        .name(format!("{name} writer"))
        .stack_size(server::CLIENT_STACK)
        .spawn(move || send_lines(&sending, writer, lines));

    let result = match &sender {
        Ok(_) => (|| {
            while let Some(message) = reader.read_frame()? {
                let next_begun = !reader.buffer().is_empty();
                reader.get_mut().frame_done(next_begun);
                server.frame_in(message.len());
                let text = String::from_utf8_lossy(&message);
                room.lock()
                    .unwrap()
                    .broadcast(Some(id), &format!("[{name}] {text}"));
            }
            Ok(())
        })(),
        Err(err) => Err(io::Error::new(
            err.kind(),
            format!("cannot start a thread to write to it ({err})"),
        )
        .into()),
    };

    // Leave: dropping our member drops the queue's sender, which ends the writer thread once
    // it has sent what was queued.
    {
        let mut room = room.lock().unwrap();
        if room.members.remove(&id).is_some() && !server.is_stopping() {
            room.broadcast(None, &format!("* {name} left"));
        }
    }
    if let Ok(sender) = sender {
        let _ = sender.join();
    }
    let _ = stream.shutdown(Shutdown::Both);
    match &result {
        Ok(()) if server.is_stopping() => log!("{name} closed by the shutdown"),
        Ok(()) => log!("{name} left"),
        Err(err) => log!("{name} dropped: {err}"),
    }
    result
}

/// Writes queued lines to one client, flushing whenever the queue runs dry.
fn send_lines(server: &Server, mut writer: FrameWriter<TcpStream>, lines: Receiver<String>) {
    let result = (|| -> Result<(), lenframe::Error> {
        while let Ok(first) = lines.recv() {
            for line in std::iter::once(first).chain(lines.try_iter()) {
                writer.write_frame(line.as_bytes())?;
                server.frame_out(line.len() as u64);
            }
            writer.flush()?;
        }
        Ok(())
    })();
    if result.is_err() {
        // The client is gone; its reader thread will notice and clean up.
        let _ = writer.get_ref().shutdown(Shutdown::Both);
    }
}

// ---------------------------------------------------------------------------------------------
// The interactive client.

/// Set once we have said goodbye: from then on the server closing the connection is expected.
static LEAVING: AtomicBool = AtomicBool::new(false);

/// Joins the room at `addr`. Exit status: 0 once we left (end of stdin); 1 if the server ended
/// the session (refused us, shut down, or the connection was lost) or we could not join.
fn client(addr: &str, name: &str) -> ExitCode {
    match chat_client(addr, name) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn chat_client(addr: &str, name: &str) -> Result<(), Box<dyn std::error::Error>> {
    check_name(name).map_err(|why| format!("--name {name:?}: {why}"))?;
    let stream =
        TcpStream::connect(addr).map_err(|err| format!("cannot connect to {addr}: {err}"))?;
    let mut writer = FrameWriter::with_codec(stream.try_clone()?, codec());
    writer.send_frame(name.as_bytes())?;
    eprintln!(
        "connected to {addr} as {name}. Type a line and press Enter to send it; Ctrl-D leaves. \
         (A line from the room may appear while you type: yours is kept, Ctrl-R redraws it.)"
    );

    // Print what the room says. When the connection ends we are done: say why and exit, even
    // if stdin still waits for a line.
    let reader = FrameReader::with_codec(stream, codec());
    let printer = thread::spawn(move || {
        let mut refused = false;
        let mut lost = None;
        for line in reader {
            match line {
                Ok(line) => {
                    let line = String::from_utf8_lossy(&line);
                    refused |= line.starts_with("* error:");
                    println!("{line}");
                }
                Err(err) => {
                    lost = Some(err);
                    break;
                }
            }
        }
        let _ = io::stdout().flush();
        let left = LEAVING.load(Ordering::SeqCst);
        match lost {
            Some(err) => eprintln!("connection lost: {err}"),
            None if left => eprintln!("you left the room"),
            None => eprintln!("the server closed the connection"),
        }
        std::process::exit(if left && !refused { 0 } else { 1 });
    });

    let mut stdin = io::stdin().lock();
    let mut line = String::new();
    while stdin.read_line(&mut line)? > 0 {
        let text = line.trim_end_matches(['\r', '\n']);
        if !text.is_empty() && writer.send_frame(text.as_bytes()).is_err() {
            break; // The server hung up; the printer says why.
        }
        line.clear();
    }
    // Leave politely: the server sees end of stream between frames, tells the room and closes
    // the connection, which ends the printer and the program.
    LEAVING.store(true, Ordering::SeqCst);
    let _ = writer.get_ref().shutdown(Shutdown::Write);
    let _ = printer.join();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The demo: a server and three scripted clients in one process.

/// A scripted client: sends lines and collects what it is told.
struct Bot {
    name: &'static str,
    writer: FrameWriter<TcpStream>,
    inbox: Receiver<String>,
}

impl Bot {
    fn join(addr: std::net::SocketAddr, name: &'static str) -> Result<Bot, lenframe::Error> {
        let stream = TcpStream::connect(addr)?;
        let mut writer = FrameWriter::with_codec(stream.try_clone()?, codec());
        writer.write_frame(name.as_bytes())?;
        writer.flush()?;
        let (tx, inbox) = mpsc::channel();
        let reader = FrameReader::with_codec(stream, codec());
        thread::spawn(move || {
            for line in reader.flatten() {
                if tx
                    .send(String::from_utf8_lossy(&line).into_owned())
                    .is_err()
                {
                    break;
                }
            }
        });
        let mut bot = Bot {
            name,
            writer,
            inbox,
        };
        bot.expect();
        Ok(bot)
    }

    fn say(&mut self, text: &str) -> Result<(), lenframe::Error> {
        println!(
            "{:>5} says:  {}",
            self.name,
            text.replace('\n', "\n             ")
        );
        self.writer.write_frame(text.as_bytes())?;
        self.writer.flush()
    }

    /// Prints the next line this client was sent.
    fn expect(&mut self) {
        match self.inbox.recv_timeout(Duration::from_secs(5)) {
            Ok(line) => println!(
                "{:>5} sees:  {}",
                self.name,
                line.replace('\n', "\n             ")
            ),
            Err(_) => panic!("{} got nothing within 5 s", self.name),
        }
    }

    fn leave(self) -> Result<(), lenframe::Error> {
        println!("{:>5} leaves", self.name);
        self.writer.get_ref().shutdown(Shutdown::Write)?;
        Ok(())
    }
}

fn demo() -> Result<(), Box<dyn std::error::Error>> {
    let listener = common::loopback_listener()?;
    let addr = listener.local_addr()?;
    println!("chat demo: a room for 3 on {addr} (a port the OS picked for this demo).");
    println!("(Run a real room with: cargo run --example chat -- server  [{DEFAULT_ADDR}])");
    println!();
    common::log_to(LogTo::Off);
    let limits = Limits {
        max_clients: 3,
        ..Limits::default()
    };
    let server = chat_server(&limits);
    thread::spawn(move || serve(&server, &listener, Duration::from_secs(30)));

    let mut alice = Bot::join(addr, "alice")?;
    let mut bob = Bot::join(addr, "bob")?;
    alice.expect();
    let mut carol = Bot::join(addr, "carol")?;
    alice.expect();
    bob.expect();
    // A fourth is one too many: the server says so and closes the connection.
    Bot::join(addr, "dave")?;
    println!();

    alice.say("hi all")?;
    bob.expect();
    carol.expect();
    bob.say("hello alice!")?;
    alice.expect();
    carol.expect();
    carol.say("one message,\nthree lines,\nstill one frame")?;
    alice.expect();
    bob.expect();
    println!();

    carol.leave()?;
    alice.expect();
    bob.expect();
    alice.leave()?;
    bob.expect();
    bob.leave()?;
    println!();
    println!("Each message arrived whole, as one frame, even the one with newlines in it.");
    Ok(())
}
