//! A multi-client chat room over length-prefixed frames.
//!
//! ```text
//! cargo run --example chat                                  # demo, then exits
//! cargo run --example chat -- server [--addr 127.0.0.1:8989]
//! cargo run --example chat -- client --name alice [--addr 127.0.0.1:8989]
//! ```
//!
//! With no arguments it starts a server on 127.0.0.1 (a port the OS picks, so it never
//! collides) and three scripted clients, prints what each one sees, and exits. `chat server`
//! runs a real room until Ctrl-C. `chat client` joins it: every line typed on stdin is sent, and
//! everything the room says is printed; end stdin (Ctrl-D) to leave.
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
//! A Python client: `sock.sendall(struct.pack('i', len(b)) + b)` for each message (`b` the
//! UTF-8 bytes, the first one the name), and a receive-exactly loop to read frames.

mod common;

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use clap::Subcommand;
use lenframe::blocking::{FrameReader, FrameWriter};

use common::chat::{check_name, codec, welcome, Join, HELLO_TIMEOUT};
use common::cli::{self, DEFAULT_ADDR};

/// Lines queued for one client before it counts as not reading.
const QUEUE: usize = 1024;

#[derive(Subcommand)]
#[command(about = "A chat room over length-prefixed frames")]
enum Role {
    /// Run the chat room.
    Server {
        /// Address to listen on (port 0: let the OS pick one).
        #[arg(long, default_value = DEFAULT_ADDR)]
        addr: String,
    },
    /// Join a room: send stdin line by line, print what the others say.
    Client(Join),
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match cli::role() {
        None => demo(),
        Some(Role::Server { addr }) => {
            let listener = TcpListener::bind(&addr)
                .map_err(|err| format!("cannot listen on {addr}: {err}"))?;
            common::announce(&listener)?;
            serve(listener);
            Ok(())
        }
        Some(Role::Client(Join { addr, name })) => client(&addr, &name),
    }
}

// ---------------------------------------------------------------------------------------------
// The server.

/// Whether the server logs joins and leaves on stderr (not in the demo, which tells its own story).
static LOG: AtomicBool = AtomicBool::new(true);

macro_rules! log {
    ($($arg:tt)*) => {
        if LOG.load(Ordering::Relaxed) {
            eprintln!($($arg)*);
        }
    };
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

fn serve(listener: TcpListener) {
    let room = Arc::new(Mutex::new(Room::default()));
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let room = Arc::clone(&room);
                thread::spawn(move || {
                    let peer = stream
                        .peer_addr()
                        .map(|a| a.to_string())
                        .unwrap_or_default();
                    if let Err(err) = serve_client(stream, &room) {
                        log!("client {peer}: {err}; connection closed");
                    }
                });
            }
            Err(err) => {
                eprintln!("accept failed: {err}");
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn serve_client(stream: TcpStream, room: &Mutex<Room>) -> Result<(), lenframe::Error> {
    let peer = stream.peer_addr()?;
    stream.set_read_timeout(Some(HELLO_TIMEOUT))?;
    let mut reader = FrameReader::with_codec(stream.try_clone()?, codec());
    let mut writer = FrameWriter::with_codec(stream.try_clone()?, codec());
    let Some(hello) = reader.read_frame()? else {
        return Ok(());
    };
    stream.set_read_timeout(None)?;
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
    let sender = thread::spawn(move || send_lines(writer, lines));

    let result = (|| {
        while let Some(message) = reader.read_frame()? {
            let text = String::from_utf8_lossy(&message);
            room.lock()
                .unwrap()
                .broadcast(Some(id), &format!("[{name}] {text}"));
        }
        Ok(())
    })();

    // Leave: dropping our member drops the queue's sender, which ends the writer thread.
    {
        let mut room = room.lock().unwrap();
        if room.members.remove(&id).is_some() {
            room.broadcast(None, &format!("* {name} left"));
        }
    }
    let _ = sender.join();
    let _ = stream.shutdown(Shutdown::Both);
    match &result {
        Ok(()) => log!("{name} left"),
        Err(err) => log!("{name} dropped: {err}"),
    }
    result
}

/// Writes queued lines to one client, flushing whenever the queue runs dry.
fn send_lines(mut writer: FrameWriter<TcpStream>, lines: Receiver<String>) {
    let mut run = || -> Result<(), lenframe::Error> {
        while let Ok(line) = lines.recv() {
            writer.write_frame(line.as_bytes())?;
            while let Ok(line) = lines.try_recv() {
                writer.write_frame(line.as_bytes())?;
            }
            writer.flush()?;
        }
        Ok(())
    };
    if run().is_err() {
        // The client is gone; its reader thread will notice and clean up.
        let _ = writer.get_ref().shutdown(Shutdown::Both);
    }
}

// ---------------------------------------------------------------------------------------------
// The interactive client.

fn client(addr: &str, name: &str) -> Result<(), Box<dyn std::error::Error>> {
    check_name(name).map_err(|why| format!("--name {name:?}: {why}"))?;
    let stream =
        TcpStream::connect(addr).map_err(|err| format!("cannot connect to {addr}: {err}"))?;
    let mut writer = FrameWriter::with_codec(stream.try_clone()?, codec());
    writer.write_frame(name.as_bytes())?;
    writer.flush()?;

    // Print what the room says. When the server closes the connection (after we leave, or to
    // refuse us), we are done: exit even if stdin still waits for a line.
    let reader = FrameReader::with_codec(stream, codec());
    let printer = thread::spawn(move || {
        let mut status = 0;
        for line in reader {
            match line {
                Ok(line) => {
                    let line = String::from_utf8_lossy(&line);
                    if line.starts_with("* error:") {
                        status = 1;
                    }
                    println!("{line}");
                }
                Err(err) => {
                    eprintln!("connection lost: {err}");
                    status = 1;
                    break;
                }
            }
        }
        let _ = io::stdout().flush();
        std::process::exit(status);
    });

    let mut stdin = io::stdin().lock();
    let mut line = String::new();
    while stdin.read_line(&mut line)? > 0 {
        let text = line.trim_end_matches(['\r', '\n']);
        if !text.is_empty()
            && (writer.write_frame(text.as_bytes()).is_err() || writer.flush().is_err())
        {
            break; // The server hung up; the printer says why.
        }
        line.clear();
    }
    // Leave politely: the server sees end of stream between frames, tells the room and closes
    // the connection, which ends the printer and the program.
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
    println!("chat demo: a room on {addr} (a port the OS picked for this demo), three clients.");
    println!("(Run a real room with: cargo run --example chat -- server --addr {DEFAULT_ADDR})");
    println!();
    LOG.store(false, Ordering::Relaxed);
    thread::spawn(move || serve(listener));

    let mut alice = Bot::join(addr, "alice")?;
    let mut bob = Bot::join(addr, "bob")?;
    alice.expect();
    let mut carol = Bot::join(addr, "carol")?;
    alice.expect();
    bob.expect();
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
