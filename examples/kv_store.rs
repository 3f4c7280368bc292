//! A small key-value store on typed messages: a server and a client that exchange serde values,
//! one message a frame, as JSON (the default) or MessagePack (`--msgpack`).
//!
//! ```text
//! cargo run --example kv_store --features json,msgpack             # a demo, then exits
//! cargo run --example kv_store --features json,msgpack -- serve [--addr 127.0.0.1:8989] [--msgpack]
//!                                    [--max-clients 1024] [--idle-timeout 60] [--backlog 1024]
//! cargo run --example kv_store --features json,msgpack -- client [--addr ADDR] [--msgpack] set KEY VALUE
//! cargo run --example kv_store --features json,msgpack -- client [--addr ADDR] [--msgpack] get KEY
//! cargo run --example kv_store --features json,msgpack -- client [--addr ADDR] [--msgpack] del KEY
//! cargo run --example kv_store --features json,msgpack -- client [--addr ADDR] [--msgpack] list
//! python3 examples/python/kv_client.py [--addr ADDR] [--msgpack] get KEY     # the same, in Python
//! ```
//!
//! VALUE is JSON text (`42`, `'{"a": [1, 2]}'`, `'"text"'`); anything that is not JSON is stored
//! as a string. The client prints the server's response as one line of JSON.
//!
//! # Protocol
//!
//! Every message is one frame: Python's `struct.pack('i', len(data)) + data`, where `data` is
//! `json.dumps(msg).encode()`, or with `--msgpack` `msgpack.packb(msg)` (structs as maps with
//! their field names). Both sides must use the same format. The client sends requests and the
//! server answers each with one response, in order. As JSON:
//!
//! ```text
//! request                                      response
//! {"op": "set", "key": "k", "value": V}        {"result": "stored", "replaced": false}
//! {"op": "get", "key": "k"}                    {"result": "value", "value": V}
//!                                              or {"result": "missing"}
//! {"op": "del", "key": "k"}                    {"result": "deleted", "existed": true}
//! {"op": "list"}                               {"result": "keys", "keys": ["a", "k"]}  (sorted)
//! a frame that is not a request                {"result": "error", "frame": 3, "message": "..."}
//! ```
//!
//! `V` is any value: null, booleans, numbers, strings, arrays, maps, and with MessagePack byte
//! strings (`bin`) too. Keys are strings. A frame that is not a valid request (not JSON, a
//! missing field, an unknown `op`) gets an error response naming the frame (counting the
//! connection's frames from 0): the connection goes on, and so does the next request. Only
//! broken framing (a negative or oversized length, a connection cut inside a frame) closes the
//! connection. The store lives in the server's memory and is shared by all clients.
//!
//! The server is the other example servers' (`examples/common/server.rs`): one thread per
//! client, `--max-clients` (a client past it gets `{"result": "error", "message": "server
//! busy ..."}`), `--idle-timeout`, `--backlog`, and a clean shutdown on Ctrl-C or SIGTERM with a
//! one-line summary. Once it accepts connections it prints `listening on HOST:PORT` on stdout
//! (the real port, so `--addr 127.0.0.1:0` works); logs go to stderr.

mod common;

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use clap::{Parser, Subcommand};
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::Error;
use rmpv::Value;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use common::cli::{self, DEFAULT_ADDR, DEMO_HELP};
use common::client_socket::ClientSocket;
use common::server::{self, Idle, Limits, Server};
use common::{human_duration, log, LogTo};

// ---------------------------------------------------------------------------------------------
// The protocol.

/// What a client asks (see the protocol above).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Request {
    Set { key: String, value: Value },
    Get { key: String },
    Del { key: String },
    List,
}

/// What the server answers.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "result", rename_all = "lowercase")]
enum Response {
    Stored {
        replaced: bool,
    },
    Value {
        value: Value,
    },
    Missing,
    Deleted {
        existed: bool,
    },
    Keys {
        keys: Vec<String>,
    },
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        frame: Option<u64>,
        message: String,
    },
}

/// The message format of a connection: JSON, or MessagePack with `--msgpack`.
#[derive(Clone, Copy, Debug)]
enum Format {
    Json,
    MsgPack,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Json => "JSON",
            Format::MsgPack => "MessagePack",
        })
    }
}

impl Format {
    fn from_flag(msgpack: bool) -> Format {
        if msgpack {
            Format::MsgPack
        } else {
            Format::Json
        }
    }

    fn read<T: DeserializeOwned, R: Read>(
        self,
        r: &mut FrameReader<R>,
    ) -> Result<Option<T>, Error> {
        match self {
            Format::Json => r.read_json(),
            Format::MsgPack => r.read_msgpack(),
        }
    }

    fn write<T: Serialize, W: Write>(self, w: &mut FrameWriter<W>, msg: &T) -> Result<(), Error> {
        match self {
            Format::Json => w.write_json(msg),
            Format::MsgPack => w.write_msgpack(msg),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server.

#[derive(Parser)]
#[command(
    about = "A key-value store on typed messages (JSON or MessagePack in lenframe frames)",
    after_help = DEMO_HELP
)]
struct Cli {
    #[command(subcommand)]
    role: Role,
}

#[derive(Subcommand)]
enum Role {
    /// Serve on --addr until Ctrl-C or SIGTERM.
    Serve(ServeOptions),
    /// Send one request and print the response.
    Client(ClientOptions),
}

#[derive(clap::Args)]
struct ServeOptions {
    /// Address to listen on (port 0: let the OS pick one).
    #[arg(long, default_value = DEFAULT_ADDR)]
    addr: String,
    /// MessagePack instead of JSON.
    #[arg(long)]
    msgpack: bool,
    #[command(flatten)]
    limits: Limits,
    #[command(flatten)]
    idle: Idle,
}

#[derive(clap::Args)]
struct ClientOptions {
    /// The server's address.
    #[arg(long, default_value = DEFAULT_ADDR)]
    addr: String,
    /// MessagePack instead of JSON.
    #[arg(long)]
    msgpack: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Clone)]
enum Command {
    /// Store VALUE (JSON text, or else a string) under KEY.
    Set { key: String, value: String },
    /// Print the value stored under KEY.
    Get { key: String },
    /// Delete KEY.
    Del { key: String },
    /// List the keys.
    List,
}

/// The store: shared by every client.
#[derive(Clone, Default)]
struct Store(Arc<Mutex<BTreeMap<String, Value>>>);

impl Store {
    fn apply(&self, request: Request) -> Response {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match request {
            Request::Set { key, value } => Response::Stored {
                replaced: map.insert(key, value).is_some(),
            },
            Request::Get { key } => match map.get(&key) {
                Some(value) => Response::Value {
                    value: value.clone(),
                },
                None => Response::Missing,
            },
            Request::Del { key } => Response::Deleted {
                existed: map.remove(&key).is_some(),
            },
            Request::List => Response::Keys {
                keys: map.keys().cloned().collect(),
            },
        }
    }
}

fn main() -> ExitCode {
    if cli::is_demo() {
        return cli::report(demo());
    }
    match Cli::parse().role {
        Role::Serve(options) => cli::report(serve_until_stopped(options)),
        Role::Client(options) => run_client(options),
    }
}

/// The real server: serves until Ctrl-C or SIGTERM, then prints the summary.
fn serve_until_stopped(options: ServeOptions) -> Result<(), Box<dyn std::error::Error>> {
    let format = Format::from_flag(options.msgpack);
    let listener = server::listen(&options.addr, options.limits.backlog)?;
    let server = Server::new("kv_store", &options.limits, Some(busy_reply(format)?));
    server::stop_on_signals(&server, &listener)?;
    log!(
        "kv_store: {format} messages, at most {} clients, idle timeout {}. Ctrl-C stops it; \
         run with no arguments for a demo.",
        options.limits.max_clients,
        human_duration(options.idle.idle_timeout),
    );
    common::announce(&listener)?;
    serve(
        &server,
        &listener,
        Store::default(),
        format,
        options.idle.idle_timeout,
    );
    server.finish();
    Ok(())
}

/// The frame a client past `--max-clients` is sent before it is closed.
fn busy_reply(format: Format) -> Result<Vec<u8>, Error> {
    let mut writer = FrameWriter::new(Vec::new());
    let busy = Response::Error {
        frame: None,
        message: "server busy: too many clients, try again later".into(),
    };
    format.write(&mut writer, &busy)?;
    writer.into_inner()
}

/// Accepts clients until the shutdown, each on its own thread.
fn serve(
    server: &Arc<Server>,
    listener: &TcpListener,
    store: Store,
    format: Format,
    idle: Duration,
) {
    server::accept_blocking(server, listener, |stream, peer, slot| {
        let server = Arc::clone(server);
        let store = store.clone();
        // A failure is logged there, and the connection closed; nothing more to do.
        let _ = Arc::clone(&server).spawn_client(peer, move || {
            handle_client(&server, stream, peer, &store, format, idle);
            drop(slot);
        });
    });
}

/// Serves one client until it leaves or its framing breaks, and logs how it ended.
fn handle_client(
    server: &Arc<Server>,
    stream: TcpStream,
    peer: SocketAddr,
    store: &Store,
    format: Format,
    idle: Duration,
) {
    log!("client {peer}: connected");
    let _open = stream.try_clone(); // closed after the log line below
    let mut requests = 0;
    let result = ClientSocket::new(stream, Arc::clone(server), idle)
        .map_err(Error::from)
        .and_then(|socket| session(server, socket, peer, store, format, &mut requests));
    match result {
        Ok(()) => log!("client {peer}: closed after {requests} frame(s)"),
        Err(err) => log!("client {peer}: {err}; closing the connection after {requests} frame(s)"),
    }
}

/// Answers requests until the client closes between frames (or the shutdown finds it there).
fn session(
    server: &Server,
    socket: ClientSocket,
    peer: SocketAddr,
    store: &Store,
    format: Format,
    requests: &mut u64,
) -> Result<(), Error> {
    let sent = Counter::default();
    let received = Counter::default();
    let mut writer = FrameWriter::new(Counted::new(socket.stream().try_clone()?, &sent));
    let mut reader = FrameReader::new(Counted::new(socket, &received));
    loop {
        let response = match format.read::<Request, _>(&mut reader) {
            Ok(Some(request)) => store.apply(request),
            Ok(None) => return writer.flush(),
            // One bad frame: say so, and go on with the next.
            Err(err @ Error::Deserialize { frame, .. }) => {
                log!("client {peer}: {err}");
                Response::Error {
                    frame: Some(frame),
                    message: err.to_string(),
                }
            }
            Err(err) => return Err(err),
        };
        *requests += 1;
        let next_begun = !reader.buffer().is_empty();
        reader.get_mut().inner.frame_done(next_begun);
        server.frame_in(received.take());
        if let Err(err @ Error::Serialize { .. }) = format.write(&mut writer, &response) {
            // A value the other format cannot hold (a map with non-string keys, stored by a
            // MessagePack client, asked for as JSON).
            let message = err.to_string();
            format.write(
                &mut writer,
                &Response::Error {
                    frame: None,
                    message,
                },
            )?;
        }
        // Requests that arrived together are answered together: flush when none is waiting.
        if !next_begun {
            writer.flush()?;
        }
        server.frame_out(sent.take() as u64);
    }
}

/// Bytes that went through a [`Counted`] since the last [`take`](Counter::take): what the
/// server's summary counts, headers included.
#[derive(Default)]
struct Counter(AtomicU64);

impl Counter {
    fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, Ordering::Relaxed);
    }

    fn take(&self) -> usize {
        self.0.swap(0, Ordering::Relaxed) as usize
    }
}

/// A reader or writer that counts the bytes going through it.
struct Counted<'a, T> {
    inner: T,
    counter: &'a Counter,
}

impl<'a, T> Counted<'a, T> {
    fn new(inner: T, counter: &'a Counter) -> Self {
        Counted { inner, counter }
    }
}

impl<T: Read> Read for Counted<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.add(n);
        Ok(n)
    }
}

impl<T: Write> Write for Counted<'_, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.counter.add(n);
        Ok(n)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let n = self.inner.write_vectored(bufs)?;
        self.counter.add(n);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

// ---------------------------------------------------------------------------------------------
// The client.

/// A connection to a kv_store server: one request, one response.
struct Client {
    reader: FrameReader<TcpStream>,
    writer: FrameWriter<TcpStream>,
    format: Format,
}

impl Client {
    fn connect(addr: &str, format: Format) -> io::Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Client {
            reader: FrameReader::new(stream.try_clone()?),
            writer: FrameWriter::new(stream),
            format,
        })
    }

    /// Sends `request` and waits for its response.
    fn ask(&mut self, request: &Request) -> Result<Response, Error> {
        self.format.write(&mut self.writer, request)?;
        self.writer.flush()?; // small messages wait in the buffer: send it now
        self.reply()
    }

    fn reply(&mut self) -> Result<Response, Error> {
        let response = self.format.read(&mut self.reader)?;
        response.ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof).into())
    }
}

fn request_for(command: Command) -> Request {
    match command {
        Command::Set { key, value } => Request::Set {
            key,
            value: serde_json::from_str(&value).unwrap_or(Value::from(value)),
        },
        Command::Get { key } => Request::Get { key },
        Command::Del { key } => Request::Del { key },
        Command::List => Request::List,
    }
}

fn run_client(options: ClientOptions) -> ExitCode {
    let format = Format::from_flag(options.msgpack);
    let result = Client::connect(&options.addr, format)
        .map_err(Error::from)
        .and_then(|mut client| client.ask(&request_for(options.command)));
    match result {
        Ok(response) => {
            println!("{}", as_json(&response));
            match response {
                Response::Error { .. } => ExitCode::FAILURE,
                _ => ExitCode::SUCCESS,
            }
        }
        Err(err) => cli::report(Err(format!("{}: {err}", options.addr))),
    }
}

/// A response as one line of JSON, for people.
fn as_json(response: &Response) -> String {
    serde_json::to_string(response).unwrap_or_else(|err| format!("{response:?} ({err})"))
}

// ---------------------------------------------------------------------------------------------
// The demo.

fn demo() -> Result<(), Box<dyn std::error::Error>> {
    println!("kv_store demo: a server on a port the OS picked, and a client, in both formats.");
    println!(
        "(Serve for real with: cargo run --example kv_store --features json,msgpack -- serve)"
    );
    println!("Lines marked 'server:' are the server's log (on stderr when it runs for real).");
    common::log_to(LogTo::Demo);
    for format in [Format::Json, Format::MsgPack] {
        println!();
        demo_format(format)?;
    }
    println!();
    println!("done: both formats answered every request; bad frames cost one error each");
    Ok(())
}

fn demo_format(format: Format) -> Result<(), Box<dyn std::error::Error>> {
    let listener = server::listen("127.0.0.1:0", Limits::default().backlog)?;
    let addr = listener.local_addr()?;
    let server = Server::new("kv_store", &Limits::default(), Some(busy_reply(format)?));
    let serving = Arc::clone(&server);
    thread::spawn(move || {
        let idle = Duration::from_secs(60);
        serve(&serving, &listener, Store::default(), format, idle)
    });
    println!("{format} server on {addr}");

    let mut client = Client::connect(&addr.to_string(), format)?;
    let mut nested = BTreeMap::new();
    nested.insert("name", Value::from("Zoë"));
    nested.insert(
        "tags",
        Value::from(vec![Value::from("a"), Value::from("ü")]),
    );
    let nested = Value::Map(
        nested
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect(),
    );
    let mut requests = vec![
        Request::Set {
            key: "greeting".into(),
            value: Value::from("héllo, 世界"),
        },
        Request::Set {
            key: "user".into(),
            value: nested,
        },
    ];
    if let Format::MsgPack = format {
        requests.push(Request::Set {
            key: "blob".into(),
            value: Value::Binary(vec![0, 1, 2, 0xff]),
        });
    }
    requests.extend([
        Request::Get {
            key: "greeting".into(),
        },
        Request::List,
        Request::Del {
            key: "greeting".into(),
        },
        Request::Get {
            key: "greeting".into(),
        },
    ]);
    for request in &requests {
        let response = client.ask(request)?;
        println!(
            "  {} -> {}",
            serde_json::to_string(request)?,
            as_json(&response)
        );
    }

    // A frame that is not a request: an error response for that frame, and on it goes.
    let bad: &[u8] = match format {
        Format::Json => b"{\"op\": \"set\", \"key\": ",
        Format::MsgPack => b"\xc1",
    };
    client.writer.write_frame(bad)?;
    client.writer.flush()?;
    let response = client.reply()?;
    println!("  a malformed frame -> {}", as_json(&response));
    let response = client.ask(&Request::Get { key: "user".into() })?;
    println!(
        "  then {{\"op\":\"get\",\"key\":\"user\"}} -> {}",
        as_json(&response)
    );
    // Goodbye: the server logs the end of the connection before the next part starts.
    drop(client);
    for _ in 0..500 {
        if server.active() == 0 {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}
