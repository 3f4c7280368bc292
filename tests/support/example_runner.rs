//! Running the example programs (and Python peers) from integration tests: find the example
//! binaries next to the test binary (building them first), run them with a time limit, read
//! their output as it comes, talk to them, and kill them when a test ends, passes or fails.
//!
//! Included with `#[path]` by the tests that run examples: `examples`, `async_examples`,
//! `python_interop`, `servers_survive`, `load` and `futures_example`.

// Each test file uses a different subset.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The most any one wait in these tests may take: generous for a debug build on a loaded
/// two-core CI machine, still bounded.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The path of an example binary built with the same profile as this test, as rust-csv's tests
/// find theirs: `target/<profile>/deps/<test>` -> `target/<profile>/examples/<name>`.
///
/// `cargo test` builds the examples, but `cargo test --test examples` does not, and could leave
/// stale binaries from an earlier build; so the first call runs `cargo build --examples` (a no-op
/// when they are fresh) with this test's profile and features: the async examples need `tokio`
/// or `futures-io`.
pub fn example_path(name: &str) -> PathBuf {
    let profile_dir = profile_dir();
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| build_examples(&profile_dir));
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "example binary {} not found; run `cargo build --examples` first",
        path.display()
    );
    path
}

fn profile_dir() -> PathBuf {
    let mut dir = std::env::current_exe().expect("the test binary's path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

fn build_examples(profile_dir: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--examples"]);
    match profile_dir.file_name().and_then(OsStr::to_str) {
        Some("debug") | None => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(other) => {
            cmd.args(["--profile", other]);
        }
    }
    // The same features as this test binary, so cargo reuses the library it already built.
    let mut features = Vec::new();
    if cfg!(feature = "tokio") {
        features.push("tokio");
    }
    if cfg!(feature = "tokio-util") {
        features.push("tokio-util");
    }
    if cfg!(feature = "json") {
        features.push("json");
    }
    if cfg!(feature = "msgpack") {
        features.push("msgpack");
    }
    if cfg!(feature = "futures-io") {
        features.push("futures-io");
    }
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    let out = cmd
        .output()
        .expect("cannot run cargo to build the examples");
    assert!(
        out.status.success(),
        "building the examples failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A command for an example binary.
pub fn example(name: &str) -> Command {
    Command::new(example_path(name))
}

/// A child process whose output is collected as it comes; killed on drop.
pub struct Running {
    what: String,
    child: Child,
    pub stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

/// How a finished process ended.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// Panics with the output unless the process exited with status 0.
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.status.success(),
            "failed with {}:\n{self}",
            self.status
        );
        self
    }

    /// Panics with the output unless the process exited with `code`.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.status.code(),
            Some(code),
            "unexpected exit status:\n{self}"
        );
        self
    }
}

impl std::fmt::Display for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--- stdout ---\n{}--- stderr ---\n{}",
            self.stdout, self.stderr
        )
    }
}

impl Running {
    /// Starts `cmd` with piped stdin, stdout and stderr.
    pub fn spawn(mut cmd: Command) -> Running {
        let what = format!("{cmd:?}");
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {what}: {err}"));
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let out_pipe = child.stdout.take().expect("piped stdout");
        let err_pipe = child.stderr.take().expect("piped stderr");
        let readers = vec![
            {
                let stdout = Arc::clone(&stdout);
                thread::spawn(move || {
                    for line in BufReader::new(out_pipe).lines() {
                        let Ok(line) = line else { break };
                        stdout.lock().unwrap().push_str(&format!("{line}\n"));
                        let _ = tx.send(line);
                    }
                })
            },
            {
                let stderr = Arc::clone(&stderr);
                thread::spawn(move || {
                    let mut pipe = err_pipe;
                    let mut buf = [0; 4096];
                    while let Ok(n @ 1..) = pipe.read(&mut buf) {
                        stderr
                            .lock()
                            .unwrap()
                            .push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                })
            },
        ];
        Running {
            what,
            child,
            stdin,
            lines,
            stdout,
            stderr,
            readers,
        }
    }

    /// Starts an example with these arguments.
    pub fn example<I, S>(name: &str, args: I) -> Running
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = example(name);
        cmd.args(args);
        Running::spawn(cmd)
    }

    /// Waits for the next stdout line that contains `needle` (earlier lines are skipped, and
    /// stay in [`stdout`](Self::stdout)); panics after [`TIMEOUT`].
    pub fn wait_for_line(&mut self, needle: &str) -> String {
        self.wait_for(&format!("with {needle:?}"), |line| line.contains(needle))
    }

    /// Waits for the next stdout line that `matches` (`what` names it in the panic message);
    /// panics after [`TIMEOUT`].
    pub fn wait_for(&mut self, what: &str, matches: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if matches(&line) => return line,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "{}: no line {what} within {TIMEOUT:?}\n{}",
                        self.what,
                        self.output()
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    thread::sleep(Duration::from_millis(50));
                    panic!(
                        "{}: exited before printing a line {what}\n{}",
                        self.what,
                        self.output()
                    )
                }
            }
        }
    }

    /// Waits for `listening on HOST:PORT` and returns the address.
    pub fn wait_listening(&mut self) -> SocketAddr {
        let line = self.wait_for_line("listening on ");
        let addr = line.trim().trim_start_matches("listening on ");
        addr.parse()
            .unwrap_or_else(|err| panic!("bad address in {line:?}: {err}"))
    }

    /// Waits until stderr contains `needle`; panics after [`TIMEOUT`].
    pub fn wait_for_stderr(&self, needle: &str) {
        self.wait_for_stderr_times(needle, 1);
    }

    /// Waits until stderr contains `needle` at least `times` times; panics after [`TIMEOUT`].
    pub fn wait_for_stderr_times(&self, needle: &str, times: usize) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let found = self.stderr().matches(needle).count();
            if found >= times {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{}: stderr said {needle:?} {found} times, not {times}\n{}",
                    self.what,
                    self.output()
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as `kill` or a service manager does (with the `kill` program: no unsafe
    /// code, no extra crate).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("cannot run kill");
        assert!(status.success(), "kill -TERM {} failed", self.pid());
    }

    /// Sends SIGTERM and waits for the process to exit by itself (see [`finish`](Self::finish)).
    pub fn terminate_and_finish(self, timeout: Duration) -> Finished {
        self.terminate();
        self.finish(timeout)
    }

    /// Panics with the output if the process has exited.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().expect("try_wait") {
            panic!("{} exited ({status})\n{}", self.what, self.output());
        }
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn output(&self) -> String {
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}",
            self.stdout(),
            self.stderr()
        )
    }

    /// Closes stdin and waits for the process to exit by itself; kills it and panics after
    /// `timeout`.
    pub fn finish(mut self, timeout: Duration) -> Finished {
        drop(self.stdin.take());
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{} did not finish within {timeout:?}; killed\n{}",
                    self.what,
                    self.output()
                );
            }
            thread::sleep(Duration::from_millis(10));
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        Finished {
            status,
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Servers never stop by themselves; a failed test must not leave anything running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs an example to completion with no stdin; kills it and panics after `timeout`.
pub fn run_example(name: &str, args: &[&str], timeout: Duration) -> Finished {
    let mut running = Running::example(name, args);
    drop(running.stdin.take());
    running.finish(timeout)
}

/// A connection to a server under test, with read and write timeouts of `timeout`.
pub fn connect(addr: SocketAddr, timeout: Duration) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, timeout).expect("connect");
    stream.set_read_timeout(Some(timeout)).unwrap();
    stream.set_write_timeout(Some(timeout)).unwrap();
    stream
}

/// The `--messages-hex` argument of the echo clients (Rust and Python) for `payloads`, and the
/// lines they print for the echoes: lowercase hex, `-` for an empty payload.
pub fn hex_messages(payloads: &[Vec<u8>]) -> (String, Vec<String>) {
    let hex: Vec<String> = payloads
        .iter()
        .map(|p| p.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    let lines = hex
        .iter()
        .map(|h| if h.is_empty() { "-".into() } else { h.clone() })
        .collect();
    (format!("--messages-hex={}", hex.join(",")), lines)
}

/// Runs the `echo_client` example with `--messages-hex` against the echo server at `addr`, and
/// checks that it prints every payload's echo.
pub fn assert_echo_client_round_trips(addr: &str, format: &str, payloads: &[Vec<u8>]) {
    let (hex, expected) = hex_messages(payloads);
    let out = run_example(
        "echo_client",
        &["--addr", addr, "--format", format, &hex],
        TIMEOUT,
    );
    out.assert_success();
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        expected,
        "format {format}"
    );
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("lenframe-test-{label}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `n` pseudo-random bytes (xorshift), the same for the same seed.
pub fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(n);
    out
}

/// A frame in the echo servers' default format, Python's `struct.pack('i', n)`.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    [&(payload.len() as i32).to_le_bytes()[..], payload].concat()
}

/// Whether the server has closed `stream` (end of stream or a reset) within [`TIMEOUT`],
/// rather than sending something.
pub fn closed(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    match stream.read(&mut [0; 64]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(err) => matches!(
            err.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
        ),
    }
}

/// The one-line summary a stopped example server prints on stdout.
pub fn summary(stdout: &str) -> &str {
    stdout
        .lines()
        .find(|line| line.contains(" stopped: served "))
        .unwrap_or_else(|| panic!("no summary line in:\n{stdout}"))
}
