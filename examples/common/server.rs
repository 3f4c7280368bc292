//! How the example servers stay up: a listening socket with a real backlog, a cap on clients,
//! accept errors retried with a backoff, a thread per client that may fail to start, a clean
//! shutdown on Ctrl-C or SIGTERM, and a one-line summary at the end. None of it is about the
//! wire format: that is lenframe's job.
//!
//! The blocking servers (`echo_server`, `chat server`, `file_transfer serve`) call
//! [`accept_blocking`]; the tokio ones (`async_echo server`, `async_chat server`) call
//! [`accept_async`]. Both share [`Server`]: the limits, the counters and the shutdown state.

use std::fmt;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio_util::sync::CancellationToken;

use super::{human_bytes, human_duration, log};

/// How long a shutdown waits for frames in flight before the server exits anyway.
pub const GRACE: Duration = Duration::from_secs(5);

/// Stack of a client's thread. Measured in debug builds (the heaviest): every example server's
/// tests pass with 32 KiB, and `kv_store`'s JSON connection loop overflows 16 KiB; 128 KiB is
/// four times what was needed. The standard library's 2 MiB default would make each idle
/// client cost 2 MiB of address space, and a `ulimit -v` (or a container's memory limit) would
/// stop new threads after a few hundred. Under `ulimit -v 400000`, 400 clients holding half a
/// frame: 184 get a thread with 128 KiB stacks, 105 with 256 KiB, all 400 with 32 KiB
/// (tests/servers_survive.rs prints the figure).
pub const CLIENT_STACK: usize = 128 * 1024;

/// Memory that must still be free for a new client to get a thread. Under a `ulimit -v` it is
/// glibc's per-thread heap arenas (64 MiB of address space reserved each) and the stacks that
/// use it up; once none is left, a starting thread cannot allocate its signal stack, panics,
/// and the panic's own allocation aborts the whole process ("memory allocation of 32 bytes
/// failed"). So a fallible reservation comes first, just over glibc's largest mmap threshold
/// (32 MiB on 64-bit) so that it is always mapped and unmapped, never served from a cached heap,
/// and each thread is waited for until it has allocated (its arena chosen) before the next one
/// is checked: a client the memory cannot take is refused, and the server goes on.
pub const SPAWN_HEADROOM: usize = 33 << 20;

/// `--max-clients` and `--backlog`, as every example server takes them.
#[derive(clap::Args, Clone, Debug)]
pub struct Limits {
    /// Most clients served at once; a client past this is refused (and told so where the
    /// protocol can say it), and the count comes back down as clients leave.
    #[arg(long, default_value_t = Limits::default().max_clients, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_clients: u32,
    /// Connections the kernel queues before the server accepts them (Linux caps this at
    /// net.core.somaxconn).
    #[arg(long, default_value_t = Limits::default().backlog, value_parser = clap::value_parser!(i32).range(1..))]
    pub backlog: i32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_clients: 1024,
            backlog: 1024,
        }
    }
}

/// `--idle-timeout`, as the blocking servers take it: what a read timeout on a client's socket
/// enforces. Each server's docs say what counts as idle for its protocol.
#[derive(clap::Args, Clone, Debug)]
pub struct Idle {
    /// Seconds a client may keep the server waiting (see the program's docs), then it is closed.
    #[arg(long, default_value = "60", value_parser = super::cli::seconds)]
    pub idle_timeout: Duration,
}

/// A listening socket on `addr` with a backlog of `backlog` connections.
///
/// `std::net::TcpListener::bind` always asks for 128, so a burst of a few hundred connects
/// overflows the queue and the late ones wait a second or more for a SYN retry. socket2 lets us
/// choose, without unsafe code.
pub fn listen(addr: &str, backlog: i32) -> Result<TcpListener, String> {
    let fail = |err: io::Error| format!("cannot listen on {addr}: {err}");
    let sock_addr = addr
        .to_socket_addrs()
        .map_err(fail)?
        .next()
        .ok_or_else(|| format!("cannot listen on {addr}: it names no address"))?;
    let socket = Socket::new(
        Domain::for_address(sock_addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(fail)?;
    // As std does: a restarted server can bind its port while old connections are in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuse_address(true).map_err(fail)?;
    socket.bind(&sock_addr.into()).map_err(fail)?;
    socket.listen(backlog).map_err(fail)?;
    Ok(socket.into())
}

/// [`listen`] for tokio. Call it inside the runtime.
pub fn listen_async(addr: &str, backlog: i32) -> Result<tokio::net::TcpListener, String> {
    let listener = listen(addr, backlog)?;
    listener
        .set_nonblocking(true)
        .and_then(|()| tokio::net::TcpListener::from_std(listener))
        .map_err(|err| format!("cannot listen on {addr}: {err}"))
}

/// What a server shares between its accept loop and its clients: the cap, the counters and
/// the shutdown state.
pub struct Server {
    name: &'static str,
    max_clients: usize,
    /// The frame a refused client is sent before it is closed, if the protocol has one.
    busy_reply: Option<Vec<u8>>,
    active: AtomicUsize,
    stats: Stats,
    stopping: CancellationToken,
    stop_deadline: OnceLock<Instant>,
}

/// The counters the summary prints.
#[derive(Default)]
struct Stats {
    served: AtomicU64,
    frames_in: AtomicU64,
    bytes_in: AtomicU64,
    frames_out: AtomicU64,
    bytes_out: AtomicU64,
    refused_full: AtomicU64,
    refused_thread: AtomicU64,
    accept_errors: AtomicU64,
    cut_off: AtomicU64,
}

/// A client's place under `--max-clients`: given back when dropped, however the client ends.
pub struct Slot(Arc<Server>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Server {
    /// `name` starts the summary line; `busy_reply` is the frame (already encoded) a client
    /// refused for `--max-clients` is sent before its connection is closed.
    pub fn new(name: &'static str, limits: &Limits, busy_reply: Option<Vec<u8>>) -> Arc<Server> {
        Arc::new(Server {
            name,
            max_clients: limits.max_clients as usize,
            busy_reply,
            active: AtomicUsize::new(0),
            stats: Stats::default(),
            stopping: CancellationToken::new(),
            stop_deadline: OnceLock::new(),
        })
    }

    /// A slot for a new client, or `None` when `--max-clients` are connected.
    fn admit(self: &Arc<Self>) -> Option<Slot> {
        self.active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max_clients).then_some(n + 1)
            })
            .ok()?;
        self.stats.served.fetch_add(1, Ordering::Relaxed);
        Some(Slot(Arc::clone(self)))
    }

    /// Clients connected now.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }

    /// Counts a frame of `len` payload bytes received from a client.
    pub fn frame_in(&self, len: usize) {
        self.stats.frames_in.fetch_add(1, Ordering::Relaxed);
        self.stats.bytes_in.fetch_add(len as u64, Ordering::Relaxed);
    }

    /// Counts a frame of `len` payload bytes sent to a client.
    pub fn frame_out(&self, len: u64) {
        self.stats.frames_out.fetch_add(1, Ordering::Relaxed);
        self.stats.bytes_out.fetch_add(len, Ordering::Relaxed);
    }

    /// Counts a connection closed because its frame did not finish within the grace period.
    pub fn cut_off(&self) {
        self.stats.cut_off.fetch_add(1, Ordering::Relaxed);
    }

    /// Starts the shutdown: no new clients, [`GRACE`] for the frames in flight. `false` if it
    /// had started already.
    pub fn stop(&self) -> bool {
        if self.stop_deadline.set(Instant::now() + GRACE).is_err() {
            return false;
        }
        self.stopping.cancel();
        true
    }

    /// Whether the shutdown has started.
    pub fn is_stopping(&self) -> bool {
        self.stopping.is_cancelled()
    }

    /// When the shutdown's grace period ends, once it has started.
    pub fn stop_deadline(&self) -> Option<Instant> {
        self.stop_deadline.get().copied()
    }

    /// Completes when the shutdown starts (cancel-safe).
    pub async fn stopped(&self) {
        self.stopping.cancelled().await
    }

    /// After the accept loop has ended: waits for the clients to finish (at most until the
    /// grace period ends, and a little longer for their threads to clean up), then prints the
    /// summary on stdout.
    pub fn finish(&self) {
        let deadline = self.stop_deadline().unwrap_or_else(Instant::now) + Duration::from_secs(1);
        while self.active() > 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        self.print_summary();
    }

    /// [`finish`](Self::finish) for tokio.
    pub async fn finish_async(&self) {
        let deadline = self.stop_deadline().unwrap_or_else(Instant::now) + Duration::from_secs(1);
        while self.active() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.print_summary();
    }

    fn print_summary(&self) {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{self}");
        let _ = out.flush();
    }

    /// A client past `--max-clients`: sent the busy reply if there is one, then closed. Done
    /// right here in the accept loop (no thread, no task), and it never blocks.
    fn refuse(&self, socket: SockRef<'_>, peer: SocketAddr) {
        self.stats.refused_full.fetch_add(1, Ordering::Relaxed);
        log!(
            "client {peer}: refused: {} clients connected, the most --max-clients allows",
            self.max_clients
        );
        if let Some(reply) = &self.busy_reply {
            // A fresh socket's send buffer is empty, so a short frame goes out whole at once.
            let _ = socket.set_nonblocking(true);
            let _ = (&*socket).write(reply);
            // End of stream after the reply; then take what the client already sent (its first
            // request), so that closing does not send a reset that could overtake the reply.
            let _ = socket.shutdown(Shutdown::Write);
            let _ = io::copy(&mut &*socket, &mut io::sink());
        }
    }

    /// Starts `client` on its own thread. If no thread can be started (a threads or memory
    /// limit), or less than [`SPAWN_HEADROOM`] of memory is left, the connection is closed with
    /// a logged reason and the server goes on.
    pub fn spawn_client(
        &self,
        peer: SocketAddr,
        client: impl FnOnce() + Send + 'static,
    ) -> Result<(), io::Error> {
        let (running, started_up) = std::sync::mpsc::sync_channel(1);
        let started = headroom().and_then(|()| {
            thread::Builder::new()
                .name(format!("client {peer}"))
                .stack_size(CLIENT_STACK)
                .spawn(move || {
                    // The thread's first allocation picks (or creates) its heap arena.
                    drop(std::hint::black_box(Vec::<u8>::with_capacity(64)));
                    let _ = running.send(());
                    client();
                })
        });
        if started.is_ok() {
            // Err only if the thread ended before saying so; either way it has started.
            let _ = started_up.recv();
        }
        // On failure the closure, and so the connection and its slot, is dropped: closed.
        if let Err(err) = &started {
            self.stats.served.fetch_sub(1, Ordering::Relaxed);
            self.stats.refused_thread.fetch_add(1, Ordering::Relaxed);
            log!("client {peer}: refused: cannot start a thread for it ({err}); closed");
        }
        started.map(drop)
    }

    /// What became of an `accept`: a client admitted with its slot (`Ok(Some)`), refused
    /// (`Ok(None)`), or a failed `accept`, logged: `Err` says how long to wait before the next.
    fn take<S>(
        self: &Arc<Self>,
        accepted: io::Result<(S, SocketAddr)>,
        backoff: &mut Backoff,
    ) -> Result<Option<(S, SocketAddr, Slot)>, Duration>
    where
        for<'s> SockRef<'s>: From<&'s S>,
    {
        match accepted {
            Ok((stream, peer)) => {
                *backoff = Backoff::default();
                match self.admit() {
                    Some(slot) => Ok(Some((stream, peer, slot))),
                    None => {
                        self.refuse(SockRef::from(&stream), peer);
                        Ok(None)
                    }
                }
            }
            Err(err) => {
                self.stats.accept_errors.fetch_add(1, Ordering::Relaxed);
                log!("accept failed: {err}; retrying");
                if only_that_connection(&err) {
                    Ok(None)
                } else {
                    Err(backoff.next())
                }
            }
        }
    }
}

impl fmt::Display for Server {
    /// The summary: `NAME stopped: served 12 connections, ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let s = &self.stats;
        let (full, thread) = (get(&s.refused_full), get(&s.refused_thread));
        // Only threaded servers refuse for want of a thread: the async ones never say it.
        let no_thread = match thread {
            0 => String::new(),
            n => format!(", {n} for want of a thread"),
        };
        write!(
            f,
            "{} stopped: served {} connections; {} frames in ({}), {} frames out ({}); \
             refused {} connections ({full} over --max-clients {}{no_thread}); \
             {} accept errors; {} cut off by the shutdown, {} still open",
            self.name,
            get(&s.served),
            get(&s.frames_in),
            human_bytes(get(&s.bytes_in)),
            get(&s.frames_out),
            human_bytes(get(&s.bytes_out)),
            full + thread,
            self.max_clients,
            get(&s.accept_errors),
            get(&s.cut_off),
            self.active(),
        )
    }
}

/// How long to wait before calling `accept` again after it failed: 5 ms, doubling to 1 s, so
/// a server out of file descriptors neither spins nor stays deaf for long once some come back.
#[derive(Default)]
struct Backoff(Option<Duration>);

impl Backoff {
    fn next(&mut self) -> Duration {
        let delay = self.0.map_or(Duration::from_millis(5), |d| {
            (d * 2).min(Duration::from_secs(1))
        });
        self.0 = Some(delay);
        delay
    }
}

/// Whether a failed `accept` concerns only the connection it was taking (the client gave up
/// already), so the next `accept` can follow at once.
/// `Ok` if [`SPAWN_HEADROOM`] bytes can still be allocated: a reservation that is never touched
/// and given back at once, so it costs two system calls, no memory.
fn headroom() -> io::Result<()> {
    Vec::<u8>::new()
        .try_reserve_exact(SPAWN_HEADROOM)
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::OutOfMemory,
                "less than 33 MiB of memory left",
            )
        })
}

fn only_that_connection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

// ---------------------------------------------------------------------------------------------
// Blocking servers.

/// Accepts clients until the shutdown starts, handing each admitted one to `serve` with its
/// slot. Accept errors (out of file descriptors, out of memory, a client gone before we took
/// it) are logged and retried after a backoff; clients past `--max-clients` are refused.
pub fn accept_blocking(
    server: &Arc<Server>,
    listener: &TcpListener,
    mut serve: impl FnMut(TcpStream, SocketAddr, Slot),
) {
    let mut backoff = Backoff::default();
    loop {
        let accepted = listener.accept();
        if server.is_stopping() {
            break; // The wake-up from `stop_on_signals`, or a client too late to be served.
        }
        match server.take(accepted, &mut backoff) {
            Ok(Some((stream, peer, slot))) => serve(stream, peer, slot),
            Ok(None) => {}
            Err(pause) => thread::sleep(pause),
        }
    }
}

/// Makes Ctrl-C (SIGINT) and SIGTERM start the shutdown: the accept loop is woken and ends. A
/// second signal exits at once.
pub fn stop_on_signals(server: &Arc<Server>, listener: &TcpListener) -> Result<(), String> {
    let server = Arc::clone(server);
    let listener = listener
        .try_clone()
        .map_err(|err| format!("cannot watch for Ctrl-C: {err}"))?;
    ctrlc::set_handler(move || {
        if !server.stop() {
            log!("second signal: exiting now");
            std::process::exit(1);
        }
        wake(&listener);
        log!(
            "shutting down: no new clients; {} for the frames in flight",
            human_duration(GRACE)
        );
    })
    .map_err(|err| format!("cannot watch for Ctrl-C: {err}"))
}

/// Wakes a thread blocked in `listener.accept()`. On Linux, shutting a listening socket down
/// does it (and refuses new connections at once); elsewhere, a connection to it does.
fn wake(listener: &TcpListener) {
    let _ = SockRef::from(listener).shutdown(Shutdown::Read);
    if let Ok(mut addr) = listener.local_addr() {
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => [127, 0, 0, 1].into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = TcpStream::connect_timeout(&addr, Duration::from_millis(100));
    }
}

// ---------------------------------------------------------------------------------------------
// Tokio servers.

/// [`accept_blocking`] for tokio: `serve` spawns a task for each admitted client.
pub async fn accept_async(
    server: &Arc<Server>,
    listener: tokio::net::TcpListener,
    mut serve: impl FnMut(tokio::net::TcpStream, SocketAddr, Slot),
) {
    let mut backoff = Backoff::default();
    loop {
        let accepted = tokio::select! {
            biased;
            () = server.stopped() => break,
            accepted = listener.accept() => accepted,
        };
        match server.take(accepted, &mut backoff) {
            Ok(Some((stream, peer, slot))) => serve(stream, peer, slot),
            Ok(None) => {}
            Err(pause) => tokio::time::sleep(pause).await,
        }
    }
    // Dropping the listener here closes the port: new connections are refused by the kernel.
}

/// Starts the shutdown on Ctrl-C or SIGTERM (a task; a second signal exits at once).
pub fn stop_on_signals_async(server: &Arc<Server>) {
    let server = Arc::clone(server);
    tokio::spawn(async move {
        loop {
            if let Err(err) = signal().await {
                log!("cannot watch for Ctrl-C: {err}");
                return;
            }
            if !server.stop() {
                log!("second signal: exiting now");
                std::process::exit(1);
            }
            log!(
                "shutting down: no new clients; {} for the frames in flight",
                human_duration(GRACE)
            );
        }
    });
}

/// The next Ctrl-C or SIGTERM.
async fn signal() -> io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await
}

/// Marks whether a connection is between frames, for a clean shutdown: a client between frames
/// is closed at once, one in the middle of a frame gets the grace period to finish it.
///
/// lenframe's readers keep a partial frame inside, so the server cannot ask them; this wrapper
/// sees the bytes go by instead. The server calls [`frame_done`](Self::frame_done) after each
/// frame; any byte read after that means a frame has begun.
pub struct Tracked<R> {
    inner: R,
    between_frames: bool,
}

impl<R> Tracked<R> {
    /// A connection that has not sent anything yet: between frames.
    pub fn new(inner: R) -> Tracked<R> {
        Tracked {
            inner,
            between_frames: true,
        }
    }

    /// Whether the last frame has ended and nothing of the next one has arrived.
    pub fn between_frames(&self) -> bool {
        self.between_frames
    }

    /// Call after each frame, saying whether the reader's
    /// [`buffer`](lenframe::tokio::FrameReader::buffer) holds bytes of the next one: if not,
    /// the connection is between frames again.
    pub fn frame_done(&mut self, next_begun: bool) {
        self.between_frames = !next_begun;
    }
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Tracked<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.between_frames = false;
        }
        polled
    }
}
