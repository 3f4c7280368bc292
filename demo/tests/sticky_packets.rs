//! The demo's two sides run as separate programs (`server`, `client`), and its hand-written
//! command line: what a newcomer types after the first run. The demo itself, and the README's
//! transcript of it, are checked by the root package's tests/teaching_examples.rs.
//!
//! Every run is bounded by [`TIMEOUT`]; every socket is on 127.0.0.1 with a port the OS picks.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

/// The longest one run or wait may take: generous for a debug build on a loaded machine.
const TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn client_frames_reach_a_separate_server_whole() {
    let mut server = Killed(
        Command::new(example())
            .args(["server", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server"),
    );
    let (lines_tx, lines) = mpsc::channel();
    let stdout = server.0.stdout.take().expect("piped stdout");
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let next = || lines.recv_timeout(TIMEOUT).expect("a line from the server");
    let listening = next();
    let addr = listening
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("no address in {listening:?}"));

    // Options after the subcommand, and in the `--addr=` spelling.
    let client = run(&["client", &format!("--addr={addr}")]);
    assert!(client.status.success(), "{client:?}");
    assert!(String::from_utf8_lossy(&client.stdout).contains("as frames"));

    let seen: Vec<String> = (0..6).map(|_| next()).collect();
    assert!(seen[0].contains(": connected"), "{seen:?}");
    for (i, line) in seen[1..4].iter().enumerate() {
        assert_eq!(line, &format!("  frame {}: \"aaa\"", i + 1), "{seen:?}");
    }
    assert!(seen[4].starts_with("  frame 4: 100000 bytes"), "{seen:?}");
    assert!(seen[5].ends_with(": closed"), "{seen:?}");
}

#[test]
fn a_bad_argument_prints_the_problem_and_the_usage_and_exits_2() {
    for args in [
        &["serve"][..],
        &["server", "--port", "1"],
        &["client", "--addr"],
    ] {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(
            stderr.contains("Usage: sticky_packets"),
            "{args:?}: {stderr}"
        );
    }
    let help = run(&["--help"]);
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("server [--addr ADDR] [--naive]"));
}

#[test]
fn a_failure_prints_its_message_not_a_debug_dump() {
    // A port that was free a moment ago: nothing listens there now.
    let addr = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    let out = run(&["client", "--addr", &addr.to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        !stderr.contains("Os {") && !stderr.contains("kind:"),
        "{stderr}"
    );
}

/// Runs the example to completion; panics if it takes longer than [`TIMEOUT`].
fn run(args: &[&str]) -> Output {
    let child = Command::new(example())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the example");
    let (done_tx, done) = mpsc::channel();
    let pid = child.id();
    thread::spawn(move || {
        let _ = done_tx.send(child.wait_with_output());
    });
    match done.recv_timeout(TIMEOUT) {
        Ok(out) => out.expect("wait for the example"),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("sticky_packets {args:?} did not finish within {TIMEOUT:?}");
        }
    }
}

/// A child process killed when the test ends, passed or failed.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `target/<profile>/examples/sticky_packets`, built first: `cargo test --test sticky_packets`
/// does not build examples.
fn example() -> PathBuf {
    let mut dir = std::env::current_exe().expect("the test binary's path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--examples"]);
        match dir.file_name().and_then(|name| name.to_str()) {
            Some("debug") | None => {}
            Some("release") => {
                cmd.arg("--release");
            }
            Some(other) => {
                cmd.args(["--profile", other]);
            }
        }
        let out = cmd.output().expect("run cargo to build the example");
        assert!(
            out.status.success(),
            "building the example failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    dir.join("examples")
        .join(format!("sticky_packets{}", std::env::consts::EXE_SUFFIX))
}
