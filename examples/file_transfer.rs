//! File upload and download over length-prefixed frames, any file size, in bounded memory.
//!
//! ```text
//! cargo run --example file_transfer                         # demo, then exits
//! cargo run --example file_transfer -- serve --dir DIR [--addr 127.0.0.1:8989] [--max-upload BYTES]
//!                                            [--max-clients 1024] [--idle-timeout 60] [--backlog 1024]
//! cargo run --example file_transfer -- download NAME [--out PATH] [--force] [--addr 127.0.0.1:8989]
//! cargo run --example file_transfer -- upload PATH [--name NAME] [--addr 127.0.0.1:8989]
//! ```
//!
//! With no arguments it creates a temporary directory, serves it on 127.0.0.1 (a port the OS
//! picks, so it never collides), uploads a generated file of a few MiB, downloads it again,
//! checks that the copy is identical, shows a few refused requests, cleans up and exits.
//!
//! The tutorials send a whole video with one `send` and read it with one `recv`. Here a file
//! travels as one frame that is streamed from disk to socket and from socket to disk through a
//! fixed-size buffer: a multi-GiB file moves through a few hundred KiB of memory. The client
//! shows a progress bar on stderr when stderr is a terminal (and a progress line every couple of
//! seconds on long transfers otherwise).
//!
//! # Protocol
//!
//! Every message is a frame: an 8-byte signed little-endian length, Python's
//! `struct.pack('<q', n)`, then `n` bytes. (8 bytes rather than the usual 4 so that a frame can
//! hold a file over 2 GiB.) Requests and replies are UTF-8 text of at most 4096 bytes; a file's
//! contents are one frame of exactly the file's size.
//!
//! ```text
//! +--------------------------+---------------------------+
//! | length: 8 bytes          | payload: `length` bytes   |
//! | i64, little-endian       |                           |
//! +--------------------------+---------------------------+
//!
//! b"GET a.txt"  ->  09 00 00 00 00 00 00 00 47 45 54 20 61 2e 74 78 74
//! ```
//!
//! ```text
//! download   client: "GET <name>"
//!            server: "OK <size>", then one frame holding the file's <size> bytes
//!                or: "ERR <reason>"
//! upload     client: "PUT <size> <name>"
//!            server: "READY"                          or: "ERR <reason>"
//!            client: one frame holding the file's <size> bytes (only after READY)
//!            server: "OK <size>" once the file is stored, or: "ERR <reason>"
//! ```
//!
//! A connection may carry several requests one after another; the client closes it when done.
//! The size in `OK <size>` repeats what the data frame's header says, so a client can show
//! progress before the data arrives.
//!
//! Names are plain file names in the served directory: 1 to 255 bytes, no `/` or `\`, no `..`,
//! not starting with `.`, no control characters or `:`. Anything else (`../x`, `/etc/passwd`,
//! `sub/x`) gets `ERR refused name ...`; a missing file gets `ERR no such file: "NAME"`. Only
//! regular files are served (no directories, no symbolic links). An upload is written to a
//! hidden temporary file and renamed into place once complete, so a failed upload leaves
//! nothing behind; an upload replaces a file of the same name. The client likewise downloads
//! into `PATH.part` and renames it when the file is complete; it refuses to replace a file
//! already at `PATH` unless given `--force`.
//!
//! # Staying up
//!
//! `serve` stays up as `echo_server` does (see its docs): at most `--max-clients` clients, one
//! more is answered `ERR server busy ...` and closed; a client that cannot get a thread is
//! closed with a logged reason; failed `accept`s are retried after a pause; `--backlog` sets the
//! listen queue. `--idle-timeout` (default 60 s): a client that sends nothing for that long while
//! the server waits, or takes longer than that over one request, is closed; a file's data may
//! take any time as long as it keeps moving, and a client that stops reading a download is
//! closed after the same time. Ctrl-C or SIGTERM: no new clients; a transfer in flight gets 5 s
//! to finish, then is cut off (an unfinished upload is deleted: it never appears under its
//! name); then a one-line summary.
//!
//! A Python client downloading `a.txt`: `sock.sendall(struct.pack('<q', 9) + b"GET a.txt")`,
//! read a frame (`OK 1234` or `ERR ...`), then read one more frame's 8-byte header and copy
//! that many bytes to a file in chunks.

mod common;

use std::error::Error as StdError;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, IsTerminal, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use clap::Subcommand;
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::{Codec, MAX_FRAME_LEN_LIMIT};

use common::cli::{self, DEFAULT_ADDR};
use common::client_socket::ClientSocket;
use common::server::{self, Idle, Limits, Server};
use common::{human_bytes, human_duration, log, LogTo};

/// The length field: 8 bytes, signed, little-endian.
const FORMAT: &str = "<q";
/// Longest request or reply.
const MAX_CONTROL: usize = 4096;
/// Longest file name.
const MAX_NAME: usize = 255;
/// How long the client waits on a silent server.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

type BoxError = Box<dyn StdError + Send + Sync>;

#[derive(Subcommand)]
#[command(about = "Upload and download files of any size over length-prefixed frames")]
enum Command {
    /// Serve the files of a directory, and accept uploads into it.
    Serve {
        /// The directory to serve.
        #[arg(long)]
        dir: PathBuf,
        /// Address to listen on (port 0: let the OS pick one).
        #[arg(long, default_value = DEFAULT_ADDR)]
        addr: String,
        /// Largest upload accepted, in bytes.
        #[arg(long, default_value_t = 64 << 30)]
        max_upload: u64,
        #[command(flatten)]
        limits: Limits,
        #[command(flatten)]
        idle: Idle,
    },
    /// Download a file from the server.
    Download {
        /// The file's name on the server.
        name: String,
        /// Where to write it (default: NAME in the current directory).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the file at --out if there is one (without it, an existing file is an
        /// error and nothing is downloaded).
        #[arg(long)]
        force: bool,
        /// Server address.
        #[arg(long, default_value = DEFAULT_ADDR)]
        addr: String,
    },
    /// Upload a file to the server.
    Upload {
        /// The file to send.
        path: PathBuf,
        /// Its name on the server (default: PATH's file name).
        #[arg(long)]
        name: Option<String>,
        /// Server address.
        #[arg(long, default_value = DEFAULT_ADDR)]
        addr: String,
    },
}

fn main() -> ExitCode {
    let result = match cli::role() {
        None => demo(),
        Some(Command::Serve {
            dir,
            addr,
            max_upload,
            limits,
            idle,
        }) => serve_cli(&dir, &addr, max_upload, &limits, idle.idle_timeout),
        Some(Command::Download {
            name,
            out,
            force,
            addr,
        }) => download_cli(&addr, &name, out, force),
        Some(Command::Upload { path, name, addr }) => upload_cli(&addr, &path, name),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is::<Refused>() => {
            eprintln!("error: the server refused: {err}");
            ExitCode::from(1)
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(3)
        }
    }
}

/// The codec: `<q` lengths; frames up to [`MAX_CONTROL`] bytes are accepted (a reader raises
/// its maximum for the one file it expects), anything is sent.
fn codec() -> Codec {
    Codec::from_struct_format(FORMAT)
        .and_then(|codec| {
            codec
                .to_builder()
                .max_decode_len(MAX_CONTROL)
                .max_encode_len(MAX_FRAME_LEN_LIMIT)
                .build()
        })
        .expect("valid settings")
}

/// The server said no: the message is its reason.
#[derive(Debug)]
struct Refused(String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Refused {}

// ---------------------------------------------------------------------------------------------
// A connection: frames both ways, requests and replies as short text.

struct Conn<R> {
    reader: FrameReader<R>,
    writer: FrameWriter<TcpStream>,
}

impl Conn<TcpStream> {
    /// The client's connection.
    fn connect(addr: &str) -> Result<Conn<TcpStream>, BoxError> {
        let stream =
            TcpStream::connect(addr).map_err(|err| format!("cannot connect to {addr}: {err}"))?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Conn::new(stream.try_clone()?, stream))
    }
}

impl<R: Read> Conn<R> {
    fn new(reader: R, writer: TcpStream) -> Conn<R> {
        Conn {
            reader: FrameReader::with_codec(reader, codec()),
            writer: FrameWriter::with_codec(writer, codec()),
        }
    }

    fn send(&mut self, message: &str) -> Result<(), lenframe::Error> {
        self.writer.send_frame(message.as_bytes())
    }

    /// The next request or reply; `None` if the peer closed between frames. A peer announcing
    /// a 1 TiB "request" is refused at its header: the codec's maximum is [`MAX_CONTROL`].
    fn recv(&mut self) -> Result<Option<String>, BoxError> {
        let Some(frame) = self.reader.read_frame()? else {
            return Ok(None);
        };
        Ok(Some(String::from_utf8(frame.to_vec()).map_err(|_| {
            "a request or reply is not UTF-8 text; is the peer speaking this protocol?"
        })?))
    }

    /// Streams the next frame, which must hold exactly `size` bytes, into `out`: a longer one
    /// is refused at its header, before a byte of it is written. The maximum is raised for this
    /// one frame only. Returns the frame's length (`None`: the peer closed before sending it).
    fn recv_file(
        &mut self,
        size: u64,
        out: &mut impl Write,
    ) -> Result<Option<u64>, lenframe::Error> {
        self.reader
            .set_max_frame_len(usize::try_from(size).unwrap_or(usize::MAX));
        let copied = self.reader.copy_frame_to(out);
        self.reader.set_max_frame_len(MAX_CONTROL);
        copied
    }

    /// The reply to a request: `OK <number>` gives the number, `ERR <reason>` is [`Refused`].
    fn expect_ok(&mut self) -> Result<u64, BoxError> {
        let reply = self
            .recv()?
            .ok_or("the server closed the connection without replying")?;
        if let Some(reason) = reply.strip_prefix("ERR ") {
            return Err(Box::new(Refused(reason.to_string())));
        }
        reply
            .strip_prefix("OK ")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("unexpected reply {reply:?}").into())
    }
}

// ---------------------------------------------------------------------------------------------
// The server.

fn serve_cli(
    dir: &Path,
    addr: &str,
    max_upload: u64,
    limits: &Limits,
    idle_timeout: Duration,
) -> Result<(), BoxError> {
    if !dir.is_dir() {
        return Err(format!("--dir {}: not a directory", dir.display()).into());
    }
    let listener = server::listen(addr, limits.backlog)?;
    let files = Files {
        server: file_server(limits),
        dir: dir.to_path_buf(),
        max_upload,
        idle_timeout,
    };
    server::stop_on_signals(&files.server, &listener)?;
    log!(
        "serving {} (uploads up to {}, at most {} clients, idle timeout {}). Ctrl-C stops it; \
         run with no arguments for a demo.",
        dir.display(),
        human_bytes(max_upload),
        limits.max_clients,
        human_duration(idle_timeout)
    );
    common::announce(&listener)?;
    let files = Arc::new(files);
    serve(&files, &listener);
    files.server.finish();
    Ok(())
}

/// The shared server state, with the reply for a client past `--max-clients`.
fn file_server(limits: &Limits) -> Arc<Server> {
    let busy = format!(
        "ERR server busy: {} clients connected, the most it takes; try again later",
        limits.max_clients
    );
    let mut reply = BytesMut::new();
    codec()
        .encoder()
        .encode(busy, &mut reply)
        .expect("a short reply fits a frame");
    Server::new("file_transfer", limits, Some(reply.to_vec()))
}

/// What every client's thread needs.
struct Files {
    server: Arc<Server>,
    dir: PathBuf,
    max_upload: u64,
    idle_timeout: Duration,
}

/// The server's side of a connection: read through a [`ClientSocket`] (idle clients, shutdown).
type ServerConn = Conn<ClientSocket>;

/// Accepts clients until the shutdown, each on its own thread.
fn serve(files: &Arc<Files>, listener: &TcpListener) {
    server::accept_blocking(&files.server, listener, |stream, peer, slot| {
        let files = Arc::clone(files);
        let _ = files.server.spawn_client(peer, {
            let files = Arc::clone(&files);
            move || {
                if let Err(err) = serve_client(&files, stream, peer) {
                    log!("client {peer}: {err}; connection closed");
                }
                drop(slot);
            }
        });
    });
}

fn serve_client(files: &Files, stream: TcpStream, peer: SocketAddr) -> Result<(), BoxError> {
    let socket = ClientSocket::new(
        stream.try_clone()?,
        Arc::clone(&files.server),
        files.idle_timeout,
    )?;
    let mut conn = Conn::new(socket, stream);
    while let Some(request) = conn.recv()? {
        let next_begun = !conn.reader.buffer().is_empty();
        conn.reader.get_mut().frame_done(next_begun);
        files.server.frame_in(request.len());
        let reply = if let Some(name) = request.strip_prefix("GET ") {
            send_file(files, &mut conn, name)?
        } else if let Some(rest) = request.strip_prefix("PUT ") {
            receive_file(files, &mut conn, rest)?
        } else {
            Err(format!(
                "unknown request {:?}; send \"GET <name>\" or \"PUT <size> <name>\"",
                request.chars().take(40).collect::<String>()
            ))
        };
        match reply {
            Ok(done) => log!("client {peer}: {done}"),
            Err(reason) => {
                log!("client {peer}: refused {request:?}: {reason}");
                conn.send(&format!("ERR {reason}"))?;
            }
        }
    }
    if files.server.is_stopping() {
        log!("client {peer}: closed by the shutdown");
    }
    Ok(())
}

/// Whether `name` is a plain file name inside the served directory.
fn check_name(name: &str) -> Result<(), String> {
    let refuse = |why: &str| {
        Err(format!(
            "refused name {name:?}: {why}; ask for a plain file name in the served directory"
        ))
    };
    if name.is_empty() || name.len() > MAX_NAME {
        return refuse("a name is 1 to 255 bytes");
    }
    if name.contains(['/', '\\']) || Path::new(name).is_absolute() {
        return refuse("no paths, no '/' or '\\'");
    }
    if name.contains("..") {
        return refuse("no '..'");
    }
    if name.starts_with('.') {
        return refuse("no names starting with '.'");
    }
    if name.chars().any(|c| c.is_control() || c == ':') {
        return refuse("no control characters or ':'");
    }
    Ok(())
}

/// What a request came to: `Ok` says what was done (for the log), `Err` is the reason for
/// refusing it, for the client. A failed connection is the outer `Result`'s error instead.
type Outcome = Result<String, String>;

/// Answers `GET <name>`. On a refusal nothing has been sent yet.
fn send_file(files: &Files, conn: &mut ServerConn, name: &str) -> Result<Outcome, BoxError> {
    if let Err(why) = check_name(name) {
        return Ok(Err(why));
    }
    let path = files.dir.join(name);
    // symlink_metadata: a symbolic link is not followed, so it cannot point outside `dir`.
    let size = match fs::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_file() => meta.len(),
        Ok(_) => return Ok(Err(format!("not a regular file: {name:?}"))),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Ok(Err(format!("no such file: {name:?}")))
        }
        Err(err) => return Ok(Err(format!("cannot read {name:?}: {err}"))),
    };
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(err) => return Ok(Err(format!("cannot read {name:?}: {err}"))),
    };
    conn.send(&format!("OK {size}"))?;
    // The file streams from disk to the socket through the writer's buffer. If the file shrinks
    // meanwhile, this fails and the connection is dropped: the client sees a truncated frame.
    conn.writer.copy_frame_from(size, &mut file.take(size))?;
    conn.writer.flush()?;
    files.server.frame_out(size);
    Ok(Ok(format!("sent {name:?}, {size} bytes")))
}

/// Answers `PUT <size> <name>` (`request` is what follows `PUT `).
fn receive_file(files: &Files, conn: &mut ServerConn, request: &str) -> Result<Outcome, BoxError> {
    let (dir, max_upload) = (&files.dir, files.max_upload);
    let Some((size, name)) = request
        .split_once(' ')
        .and_then(|(size, name)| Some((size.parse::<u64>().ok()?, name)))
    else {
        return Ok(Err("a PUT request is \"PUT <size> <name>\"".into()));
    };
    if let Err(why) = check_name(name) {
        return Ok(Err(why));
    }
    if size > max_upload {
        return Ok(Err(format!(
            "{name:?} is {size} bytes, over this server's upload limit of {max_upload} bytes"
        )));
    }
    // Write to a hidden file (client names cannot start with '.'), rename when complete.
    static UPLOADS: AtomicU64 = AtomicU64::new(0);
    let part = dir.join(format!(
        ".upload-{}-{}.part",
        std::process::id(),
        UPLOADS.fetch_add(1, Ordering::Relaxed)
    ));
    let file = match File::create(&part) {
        Ok(file) => file,
        Err(err) => return Ok(Err(format!("cannot store {name:?}: {err}"))),
    };
    let received = (|| -> Result<Option<u64>, BoxError> {
        conn.send("READY")?;
        // A file may take any time to arrive, as long as it keeps coming.
        conn.reader.get_mut().set_frame_limit(None);
        // Never more than announced reaches the disk.
        let got = conn.recv_file(size, &mut &file)?;
        conn.reader
            .get_mut()
            .set_frame_limit(Some(files.idle_timeout));
        let next_begun = !conn.reader.buffer().is_empty();
        conn.reader.get_mut().frame_done(next_begun);
        file.sync_all()?;
        Ok(got)
    })();
    let stored = match received {
        Ok(Some(got)) if got == size => fs::rename(&part, dir.join(name)),
        other => {
            let _ = fs::remove_file(&part);
            return match other {
                Ok(Some(got)) => Ok(Err(format!(
                    "the data frame held {got} bytes, the request announced {size}"
                ))),
                Ok(None) => Err("the client closed before sending the file".into()),
                Err(err) => Err(err),
            };
        }
    };
    if let Err(err) = stored {
        let _ = fs::remove_file(&part);
        return Ok(Err(format!("cannot store {name:?}: {err}")));
    }
    files.server.frame_in(size as usize);
    conn.send(&format!("OK {size}"))?;
    Ok(Ok(format!("stored {name:?}, {size} bytes")))
}

// ---------------------------------------------------------------------------------------------
// The client.

/// Downloads `name` into `out`; returns its size.
fn download(addr: &str, name: &str, out: &Path) -> Result<u64, BoxError> {
    let mut conn = Conn::connect(addr)?;
    conn.send(&format!("GET {name}"))?;
    let size = conn.expect_ok()?;
    // Into `<out>.part` first, renamed once complete: a failed download leaves any earlier
    // file at `out` as it was.
    let mut part = out.as_os_str().to_owned();
    part.push(".part");
    let part = PathBuf::from(part);
    let file =
        File::create(&part).map_err(|err| format!("cannot create {}: {err}", part.display()))?;
    let mut sink = Progressed {
        inner: file,
        progress: Progress::new(format!("download {name}"), size),
    };
    let copied = conn.recv_file(size, &mut sink);
    sink.progress.finish();
    let result: Result<(), BoxError> = match copied {
        Ok(Some(got)) if got == size => sink
            .inner
            .sync_all()
            .and_then(|()| fs::rename(&part, out))
            .map_err(|err| format!("cannot write {}: {err}", out.display()).into()),
        Ok(Some(got)) => Err(format!("the server sent {got} bytes after announcing {size}").into()),
        Ok(None) => Err("the server closed the connection before sending the file".into()),
        Err(err) => Err(err.into()),
    };
    if let Err(err) = result {
        let _ = fs::remove_file(&part);
        return Err(err);
    }
    let _ = conn.writer.get_ref().shutdown(Shutdown::Both);
    Ok(size)
}

/// Uploads `path` under `name`; returns its size.
fn upload(addr: &str, path: &Path, name: &str) -> Result<u64, BoxError> {
    let file = File::open(path).map_err(|err| format!("cannot open {}: {err}", path.display()))?;
    let size = file.metadata()?.len();
    let mut conn = Conn::connect(addr)?;
    conn.send(&format!("PUT {size} {name}"))?;
    let reply = conn.recv()?.ok_or("the server closed the connection")?;
    if let Some(reason) = reply.strip_prefix("ERR ") {
        return Err(Box::new(Refused(reason.to_string())));
    }
    if reply != "READY" {
        return Err(format!("unexpected reply {reply:?}").into());
    }
    let mut source = Progressed {
        inner: file.take(size),
        progress: Progress::new(format!("upload {name}"), size),
    };
    let sent = conn.writer.copy_frame_from(size, &mut source);
    let sent = sent.and_then(|()| conn.writer.flush());
    source.progress.finish();
    sent?;
    let stored = conn.expect_ok()?;
    let _ = conn.writer.get_ref().shutdown(Shutdown::Both);
    Ok(stored)
}

fn download_cli(addr: &str, name: &str, out: Option<PathBuf>, force: bool) -> Result<(), BoxError> {
    let out = match out {
        Some(out) => out,
        None => Path::new(name)
            .file_name()
            .map(PathBuf::from)
            .ok_or("NAME has no file name part; give --out PATH")?,
    };
    // Asked before anything is downloaded. (`symlink_metadata`: a link there counts too.)
    if !force && fs::symlink_metadata(&out).is_ok() {
        return Err(format!(
            "{} already exists; give --force to replace it, or --out PATH to write elsewhere",
            out.display()
        )
        .into());
    }
    let start = Instant::now();
    let size = download(addr, name, &out)?;
    println!(
        "downloaded {name:?}: {size} bytes ({}) to {} in {}",
        human_bytes(size),
        out.display(),
        rate(size, start.elapsed())
    );
    Ok(())
}

fn upload_cli(addr: &str, path: &Path, name: Option<String>) -> Result<(), BoxError> {
    let name = match name {
        Some(name) => name,
        None => path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
            .ok_or("PATH has no UTF-8 file name; give --name NAME")?,
    };
    let start = Instant::now();
    let size = upload(addr, path, &name)?;
    println!(
        "uploaded {} as {name:?}: {size} bytes ({}) in {}",
        path.display(),
        human_bytes(size),
        rate(size, start.elapsed())
    );
    Ok(())
}

fn rate(bytes: u64, took: Duration) -> String {
    let secs = took.as_secs_f64().max(1e-6);
    format!(
        "{:.2} s ({}/s)",
        secs,
        human_bytes((bytes as f64 / secs) as u64)
    )
}

/// A reader or writer that reports the bytes going through it to a [`Progress`].
struct Progressed<T> {
    inner: T,
    progress: Progress,
}

impl<R: Read> Read for Progressed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n);
        Ok(n)
    }
}

impl<W: Write> Write for Progressed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.progress.add(n);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A progress bar on stderr: redrawn in place on a terminal, otherwise a line every few seconds
/// once a transfer has been going for a while.
struct Progress {
    label: String,
    total: u64,
    done: u64,
    start: Instant,
    last: Instant,
    tty: bool,
    drawn: bool,
}

impl Progress {
    fn new(label: String, total: u64) -> Progress {
        let now = Instant::now();
        Progress {
            label,
            total,
            done: 0,
            start: now,
            last: now,
            tty: io::stderr().is_terminal(),
            drawn: false,
        }
    }

    fn add(&mut self, n: usize) {
        self.done += n as u64;
        let now = Instant::now();
        let since = now - self.last;
        if (self.tty && since >= Duration::from_millis(100))
            || (!self.tty
                && now - self.start >= Duration::from_secs(3)
                && since >= Duration::from_secs(3))
        {
            self.last = now;
            self.draw();
        }
    }

    fn draw(&mut self) {
        const WIDTH: u64 = 30;
        let fraction = if self.total == 0 {
            1.0
        } else {
            self.done as f64 / self.total as f64
        };
        let filled = ((fraction * WIDTH as f64) as u64).min(WIDTH) as usize;
        let secs = self.start.elapsed().as_secs_f64().max(1e-6);
        let line = format!(
            "{} [{}{}] {:>3.0}%  {} of {}  {}/s",
            self.label,
            "#".repeat(filled),
            ".".repeat(WIDTH as usize - filled),
            fraction * 100.0,
            human_bytes(self.done),
            human_bytes(self.total),
            human_bytes((self.done as f64 / secs) as u64)
        );
        if self.tty {
            eprint!("\r{line}\x1b[K");
        } else {
            eprintln!("{line}");
        }
        self.drawn = true;
    }

    /// Draws the final state and ends the line, if anything was drawn.
    fn finish(&mut self) {
        if self.drawn && self.tty {
            self.draw();
            eprintln!();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The demo.

/// A temporary directory, removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Writes `size` pseudo-random bytes to `path`, a chunk at a time.
fn generate(path: &Path, size: u64) -> io::Result<()> {
    let mut file = io::BufWriter::new(File::create(path)?);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut left = size;
    while left > 0 {
        // xorshift64: fast, and no two 8-byte blocks repeat.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let bytes = state.to_le_bytes();
        let n = left.min(8) as usize;
        file.write_all(&bytes[..n])?;
        left -= n as u64;
    }
    file.into_inner()
        .map_err(|err| err.into_error())?
        .sync_all()
}

/// Whether two files hold the same bytes, compared a chunk at a time.
fn same_contents(a: &Path, b: &Path) -> io::Result<bool> {
    /// Reads until `buf` is full or the file ends; returns how much it read.
    fn fill(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            match file.read(&mut buf[n..])? {
                0 => break,
                got => n += got,
            }
        }
        Ok(n)
    }
    let (mut a, mut b) = (File::open(a)?, File::open(b)?);
    let (mut buf_a, mut buf_b) = (vec![0; 64 * 1024], vec![0; 64 * 1024]);
    loop {
        let (n, m) = (fill(&mut a, &mut buf_a)?, fill(&mut b, &mut buf_b)?);
        if buf_a[..n] != buf_b[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

fn demo() -> Result<(), BoxError> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = TempDir(std::env::temp_dir().join(format!(
        "lenframe-file-transfer-{}-{nanos}",
        std::process::id()
    )));
    let served = tmp.0.join("served");
    let local = tmp.0.join("local");
    fs::create_dir_all(&served)?;
    fs::create_dir_all(&local)?;

    let listener = common::loopback_listener()?;
    let addr = listener.local_addr()?.to_string();
    println!(
        "file transfer demo: serving {} on {addr} (a port the OS picked for this demo)",
        served.display()
    );
    println!(
        "(Run a real server with: cargo run --example file_transfer -- serve --dir DIR --addr {DEFAULT_ADDR})"
    );
    common::log_to(LogTo::Off);
    let files = Arc::new(Files {
        server: file_server(&Limits::default()),
        dir: served.clone(),
        max_upload: 64 << 20,
        idle_timeout: Duration::from_secs(60),
    });
    thread::spawn(move || serve(&files, &listener));

    let size = 6 * 1024 * 1024 + 123;
    let original = local.join("report.bin");
    generate(&original, size)?;
    println!(
        "  made   local/report.bin, {size} bytes ({})",
        human_bytes(size)
    );

    let start = Instant::now();
    let stored = upload(&addr, &original, "report.bin")?;
    println!(
        "  upload   report.bin           -> stored, {stored} bytes in {}",
        rate(stored, start.elapsed())
    );

    let copy = local.join("report-copy.bin");
    let start = Instant::now();
    let got = download(&addr, "report.bin", &copy)?;
    println!(
        "  download report.bin           -> local/report-copy.bin, {got} bytes in {}",
        rate(got, start.elapsed())
    );
    if !same_contents(&original, &copy)? {
        return Err("the downloaded copy differs from the original".into());
    }
    println!("  compare: the copy is identical to the original, byte for byte");

    // What the server refuses, and what the client is told.
    for name in ["../secret.txt", "/etc/passwd", "missing.bin"] {
        match download(&addr, name, &local.join("refused.bin")) {
            Err(err) if err.is::<Refused>() => {
                println!("  download {name:<20} -> refused: {err}");
            }
            Err(err) => return Err(err),
            Ok(_) => return Err(format!("download {name:?} should have been refused").into()),
        }
    }
    match upload(&addr, &original, "../escape.bin") {
        Err(err) if err.is::<Refused>() => {
            println!("  upload as {:<18} -> refused: {err}", "../escape.bin");
        }
        Err(err) => return Err(err),
        Ok(_) => return Err("the escaping upload should have been refused".into()),
    }
    if tmp.0.join("escape.bin").exists() {
        return Err("a file escaped the served directory".into());
    }
    println!("Each file moved as one frame, streamed through a fixed-size buffer.");
    println!("Removed the demo's temporary directory.");
    Ok(())
}
