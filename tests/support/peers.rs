//! Real protocol peers for tests/protocol_*.rs: find the program (installed by `.ci/peers`),
//! give it a temporary directory and a free loopback port, start it, wait until it listens,
//! and stop it when the test ends, passes or fails. A reader wrapper records the size of every
//! `read` so a test can show that frames really arrived glued together or split apart.
//!
//! A missing program fails the test under CI (`CI` set to anything but empty, `0` or `false`,
//! as `.ci/run` sets it); elsewhere the test prints why it skipped and passes.

// Each protocol test uses a different subset.
#![allow(dead_code)]

use std::fs;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The most a peer may take to start, and any one read or write may wait: generous for a
/// loaded two-core CI machine, still bounded.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Whether a missing peer must fail the test.
pub fn under_ci() -> bool {
    let ci = std::env::var("CI").unwrap_or_default();
    !matches!(ci.as_str(), "" | "0" | "false")
}

/// The path of `program` (on PATH, or in one of `extra_dirs`, which may hold one `*` for a
/// version directory such as `/usr/lib/postgresql/*/bin`), or `None` after printing why the
/// test skips; panics instead under CI.
pub fn require(program: &str, extra_dirs: &[&str]) -> Option<PathBuf> {
    if let Some(found) = find_program(program, extra_dirs) {
        return Some(found);
    }
    skip(&format!("{program} not found; run .ci/peers to install it"))
}

/// `None` after saying why the test does not run, or a panic under CI: a green CI run means
/// every peer was there.
pub fn skip<T>(why: &str) -> Option<T> {
    if under_ci() {
        panic!("CI is set but this protocol test cannot run: {why}");
    }
    let _ = writeln!(io::stderr(), "skipping protocol test: {why}");
    None
}

fn find_program(program: &str, extra_dirs: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    for dir in extra_dirs {
        match dir.split_once('*') {
            None => dirs.push(PathBuf::from(dir)),
            Some((parent, rest)) => {
                // Newest version first: the names sort as numbers do for one or two digits.
                let mut versions: Vec<PathBuf> = fs::read_dir(parent)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|entry| entry.path().join(rest.trim_start_matches('/')))
                    .collect();
                versions.sort_by_key(|p| (p.as_os_str().len(), p.clone()));
                dirs.extend(versions.into_iter().rev());
            }
        }
    }
    dirs.into_iter()
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// A directory under the system's temporary directory, removed with everything in it on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        TempDir::new_in(&std::env::temp_dir(), label)
    }

    /// A directory under `base`: `/tmp` for a server run as another user, who may not be able
    /// to enter a `TMPDIR` private to this one.
    pub fn new_in(base: &Path, label: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = base.join(format!(
            "lenframe-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `contents` to `name` in the directory and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, contents).expect("write a file in the temporary directory");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A loopback port nothing listens on right now, for a server that must be told its port.
/// (Another process could take it before the server binds; [`Peer::wait_listening`] then fails
/// with the server's own message.)
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// A started peer process: its output goes to a log file shown when it fails; dropping it
/// stops the process (SIGTERM, then SIGKILL after a few seconds) and waits for it.
pub struct Peer {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Peer {
    /// Starts `cmd` with stdin closed and stdout and stderr in `log`.
    pub fn spawn(name: &str, cmd: Command, log: PathBuf) -> Peer {
        Peer::start(name, cmd, log, None)
    }

    /// Starts `cmd` with `input` on its stdin (closed after it), stdout and stderr in `log`.
    pub fn spawn_with_input(name: &str, cmd: Command, log: PathBuf, input: Vec<u8>) -> Peer {
        Peer::start(name, cmd, log, Some(input))
    }

    fn start(name: &str, mut cmd: Command, log: PathBuf, input: Option<Vec<u8>>) -> Peer {
        let out = fs::File::create(&log).expect("create the peer's log");
        let err = out.try_clone().expect("clone the log handle");
        let stdin = if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        };
        let mut child = cmd
            .stdin(stdin)
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            // A thread, since the peer may not read its input before it is answered; an error
            // here means the peer exited, which the test sees by itself.
            thread::spawn(move || {
                let _ = stdin.write_all(&input);
            });
        }
        Peer {
            name: name.to_owned(),
            child,
            log,
        }
    }

    /// What the peer has written so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Connects to `addr` once the peer listens there; panics with the peer's log if it exits
    /// first or does not listen within [`TIMEOUT`].
    pub fn wait_listening(&mut self, addr: SocketAddr) -> TcpStream {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
                return timed(stream);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited ({status}) before listening on {addr}; its log:\n{}",
                    self.name,
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{} did not listen on {addr} within {TIMEOUT:?}; its log:\n{}",
                self.name,
                self.log()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the peer's log contains `needle` (a server saying it is ready), within
    /// [`TIMEOUT`]; panics with the log if it exits first.
    pub fn wait_log(&mut self, needle: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.log().contains(needle) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}); its log:\n{}", self.name, self.log());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not log {needle:?} within {TIMEOUT:?}; its log:\n{}",
                self.name,
                self.log()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the peer to exit by itself, within [`TIMEOUT`], and returns its exit code.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the peer") {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {TIMEOUT:?}; its log:\n{}",
                self.name,
                self.log()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SIGTERM first: PostgreSQL's postmaster then stops its own children.
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A connection whose reads and writes give up after [`TIMEOUT`] rather than hang a test.
pub fn timed(stream: TcpStream) -> TcpStream {
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// A listener on 127.0.0.1 and a free port, for a peer that connects to the test.
pub fn listen() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Accepts one connection within [`TIMEOUT`], or panics with `peer`'s log.
pub fn accept(listener: &TcpListener, peer: &mut Peer) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).unwrap();
                return timed(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("accept: {e}"),
        }
        if let Ok(Some(status)) = peer.child.try_wait() {
            panic!(
                "{} exited ({status}) before connecting; its log:\n{}",
                peer.name,
                peer.log()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{} did not connect within {TIMEOUT:?}; its log:\n{}",
            peer.name,
            peer.log()
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// A reader that records how many bytes each `read` returned, so a test can prove that one
/// read carried several frames (glued) or that one frame took several reads (split).
pub struct CountingReader<R> {
    inner: R,
    reads: Arc<Mutex<Vec<usize>>>,
}

impl<R> CountingReader<R> {
    pub fn new(inner: R) -> (CountingReader<R>, Reads) {
        let reads = Arc::new(Mutex::new(Vec::new()));
        (
            CountingReader {
                inner,
                reads: Arc::clone(&reads),
            },
            Reads(reads),
        )
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.reads.lock().unwrap().push(n);
        }
        Ok(n)
    }
}

/// The sizes of the reads a [`CountingReader`] made, shared with the test.
#[derive(Clone)]
pub struct Reads(Arc<Mutex<Vec<usize>>>);

impl Reads {
    /// How many reads returned data so far.
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The size of every read so far, in order.
    pub fn sizes(&self) -> Vec<usize> {
        self.0.lock().unwrap().clone()
    }

    /// The largest single read so far.
    pub fn largest(&self) -> usize {
        self.0.lock().unwrap().iter().copied().max().unwrap_or(0)
    }

    /// Forgets the reads so far, to measure one exchange.
    pub fn reset(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// Pseudo-random bytes (an LCG): payloads that show a shifted or reordered byte.
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect()
}
