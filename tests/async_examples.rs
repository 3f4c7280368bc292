//! Runs the async examples as a user would: the demos with no arguments (they must finish by
//! themselves and tell the story they promise), and the servers and clients as separate
//! processes over loopback TCP.
//!
//! The example binaries are built first with `cargo build --example ... --features tokio` (a
//! no-op when `cargo test --all-features` already built them fresh). Every wait is bounded and
//! every process started here is killed when its test ends.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// Generous for a debug build on a busy two-core machine, still bounded.
const TIMEOUT: Duration = Duration::from_secs(60);

/// `target/<profile>/examples/NAME`, built (once per test run) if needed.
fn example(name: &str) -> Command {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "build",
            "--example",
            "async_echo",
            "--example",
            "async_chat",
            "--features",
            if cfg!(feature = "tokio-util") {
                "tokio,tokio-util"
            } else {
                "tokio"
            },
        ]);
        match dir.file_name().and_then(|name| name.to_str()) {
            Some("debug") | None => {}
            Some("release") => {
                cmd.arg("--release");
            }
            Some(profile) => {
                cmd.args(["--profile", profile]);
            }
        }
        let out = cmd
            .output()
            .expect("cannot run cargo to build the examples");
        assert!(
            out.status.success(),
            "building the examples failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    let path: PathBuf = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    Command::new(path)
}

/// A running example: its stdout arrives line by line; killed on drop.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the example");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a line that `matches`, and returns it.
    fn wait_for(&mut self, what: &str, matches: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if matches(&line) {
                        return line;
                    }
                }
                Err(_) => panic!("no line {what} within {TIMEOUT:?}; saw:\n{:#?}", self.seen),
            }
        }
    }

    /// Waits for the process to end; returns whether it succeeded and all of its stdout.
    fn finish(mut self) -> (bool, String) {
        drop(self.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "did not finish within {TIMEOUT:?}; saw:\n{:#?}",
                self.seen
            );
            thread::sleep(Duration::from_millis(20));
        };
        // The reader thread ends at the end of stdout; take every line it has.
        let mut lines = std::mem::take(&mut self.seen);
        while let Ok(line) = self.lines.recv_timeout(TIMEOUT) {
            lines.push(line);
        }
        (status.success(), lines.join("\n"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_demo(name: &str) -> String {
    let (ok, out) = Running::start(example(name)).finish();
    assert!(ok, "the {name} demo failed:\n{out}");
    out
}

#[test]
fn async_echo_demo_echoes_everything_and_drops_the_bad_clients() {
    let out = run_demo("async_echo");
    assert_eq!(out.matches("echo identical").count(), 7, "{out}");
    assert!(!out.contains("DIFFERENT"), "{out}");
    assert!(
        out.contains("20 good clients at once: 2000 frames echoed"),
        "{out}"
    );
    assert_eq!(
        out.matches("; the server closed the connection after")
            .count(),
        3,
        "{out}"
    );
}

#[test]
fn async_echo_server_and_client_as_processes() {
    let mut server = Running::start({
        let mut cmd = example("async_echo");
        cmd.args(["server", "--addr", "127.0.0.1:0", "--format", "!I"]);
        cmd
    });
    let listening = server.wait_for("`listening on ADDR`", |l| l.starts_with("listening on "));
    let addr = listening.trim_start_matches("listening on ").to_string();
    let client = Running::start({
        let mut cmd = example("async_echo");
        cmd.args([
            "client", "--addr", &addr, "--format", "!I", "hello", "", "黏包",
        ]);
        cmd
    });
    let (ok, out) = client.finish();
    assert!(ok, "{out}");
    assert_eq!(out, "hello\n\n黏包");
}

#[test]
fn async_chat_demo_drops_the_slow_and_the_dead_client_only() {
    let out = run_demo("async_chat");
    for expected in [
        "bob sees:  all 1500 news items, in order",
        "server:  carol dropped: fell",
        "server:  dave dropped: a write made no progress",
        "bob sees:  * carol left (too slow)",
        "bob sees:  * dave left (not reading)",
        "alice sees:  [bob] quiet in here now",
        "bob sees:  * alice left",
    ] {
        assert!(out.contains(expected), "no {expected:?} in:\n{out}");
    }
    assert!(!out.contains("bob dropped"), "{out}");
    assert!(!out.contains("alice dropped"), "{out}");
}

#[test]
fn async_chat_server_and_clients_as_processes() {
    let mut server = Running::start({
        let mut cmd = example("async_chat");
        cmd.args(["server", "--addr", "127.0.0.1:0"]);
        cmd
    });
    let listening = server.wait_for("`listening on ADDR`", |l| l.starts_with("listening on "));
    let addr = listening.trim_start_matches("listening on ").to_string();
    let client = |name: &str| {
        let mut cmd = example("async_chat");
        cmd.args(["client", "--addr", &addr, "--name", name]);
        Running::start(cmd)
    };
    let mut bob = client("bob");
    bob.wait_for("bob's welcome", |l| l.starts_with("* welcome, bob"));
    let mut alice = client("alice");
    alice.wait_for("alice's welcome", |l| l == "* welcome, alice; online: bob");
    bob.wait_for("alice joining", |l| l == "* alice joined");
    let mut stdin = alice.stdin.take().unwrap();
    writeln!(stdin, "hello bob").unwrap();
    bob.wait_for("alice's message", |l| l == "[alice] hello bob");
    // Ending stdin leaves the room; the server closes alice's connection and her client exits.
    drop(stdin);
    bob.wait_for("alice leaving", |l| l == "* alice left");
    let (ok, out) = alice.finish();
    assert!(ok, "{out}");
    let (ok, out) = bob.finish();
    assert!(ok, "{out}");
}
