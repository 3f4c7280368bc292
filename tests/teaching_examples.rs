//! Runs the teaching examples as a newcomer would (`cargo run --example NAME`, no arguments) and
//! checks that each ends by itself and prints what it claims to show; runs the UDP chat's server
//! and client as two processes talking over loopback; and checks that the README's transcript
//! of `sticky_packets` is what the example prints today.
//!
//! Every run is bounded by [`TIMEOUT`]; a process still running then is killed and the test
//! fails. Every socket is on 127.0.0.1 with a port the OS picks.
#![cfg(feature = "std")]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// The longest any one example run or wait may take: generous for a debug build on a loaded
/// machine, still bounded.
const TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// The examples, one test each.

#[test]
fn basics_decodes_glued_and_split_input_and_refuses_a_hostile_header() {
    let out = run_demo("basics");
    let glued = after(&out, "decoding the glued buffer:");
    let frames: Vec<&str> = glued.lines().take_while(|l| l.contains("frame:")).collect();
    assert_eq!(
        frames,
        ["   frame: \"aaa\"", "   frame: \"bb\"", "   frame: \"c\""],
        "{out}"
    );
    // 16 bytes fed one at a time: "need more" 15 times, then the frame.
    assert!(
        out.contains("Ok(None) 15 times (\"need more\"), then the frame: \"hello, world\""),
        "{out}"
    );
    assert!(
        out.contains("refused: announced 2147483647 bytes, the maximum is 8388608"),
        "{out}"
    );
    let error = line_with(&out, "error: ");
    assert!(
        error.contains("2147483647") && error.contains("8388608"),
        "{error}"
    );
    assert!(out.contains("the buffer still holds all 9 bytes"), "{out}");
    assert!(line_with(&out, "ff ff ff ff: ").contains("-1"), "{out}");
}

#[test]
fn tcp_blocking_answers_every_frame_and_ends_cleanly() {
    let out = run_demo("tcp_blocking");
    for reply in ["HELLO", "AAA", "BBB", "CCC"] {
        assert!(out.contains(&format!("client: reply \"{reply}\"")), "{out}");
    }
    assert!(out.contains("server: read_frame() -> None"), "{out}");
    assert!(
        out.contains("client: read_frame() -> None: the server closed too"),
        "{out}"
    );
    assert!(out.contains("done: the server answered 4 frames"), "{out}");
}

#[cfg(feature = "tokio")]
#[test]
fn tcp_tokio_answers_every_frame_and_ends_cleanly() {
    let out = run_demo("tcp_tokio");
    for reply in ["AAA", "BBB", "CCC", "HELLO"] {
        assert!(out.contains(&format!("client: reply \"{reply}\"")), "{out}");
    }
    assert!(
        out.contains("done: 4 frames answered, 4 replies received"),
        "{out}"
    );
}

#[cfg(feature = "tokio-util")]
#[test]
fn framed_talks_to_length_delimited_codec_and_applies_the_new_maximum_both_ways() {
    let out = run_demo("framed");
    assert!(out.contains("sent \"hello\", echo \"hello\""), "{out}");
    let send = line_with(&out, "sending 40 bytes again fails: ");
    assert!(
        send.contains("40 bytes") && send.contains("16 bytes"),
        "{send}"
    );
    let receive = line_with(&out, "receiving its 40-byte echo fails: ");
    assert!(
        receive.contains("40 bytes") && receive.contains("16 bytes"),
        "{receive}"
    );
    assert!(
        out.contains("the tokio-util server echoed 2 frames"),
        "{out}"
    );
}

#[test]
fn stream_file_moves_a_20_mib_frame_without_holding_it() {
    let out = run_demo("stream_file");
    assert!(out.contains("copy_frame_from(20971520, file)"), "{out}");
    assert!(
        out.contains("copy_frame_to(file) -> Some(20971520)"),
        "{out}"
    );
    assert!(
        out.contains("the received file is identical to the sent one: true"),
        "{out}"
    );
    if cfg!(target_os = "linux") {
        // The whole process, both ends and the file checks included, never held the 20 MiB
        // frame: its peak resident memory stays under the file's size.
        let peak: u64 = number_after(&out, "peak memory of this process: ");
        assert!(
            peak < 20 * 1024,
            "peak {peak} KiB for a 20480 KiB file:\n{out}"
        );
    }
}

#[test]
fn sticky_packets_names_the_problem_in_both_languages_and_shows_no_read_count() {
    let out = run_demo("sticky_packets");
    let line = line_with(&out, "黏包");
    assert!(
        line.contains("sticky packets") && line.contains("三条消息"),
        "{line}"
    );
    // The reader's first read took the three glued frames at once, as plain TCP's read did.
    assert!(
        out.contains("The reader's first socket read got all 21 bytes"),
        "{out}"
    );
    // The big frame's socket-read count varied from run to run and read like a cost: gone.
    assert!(!out.contains("socket reads underneath"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// udp_chat

#[test]
fn udp_chat_demo_shows_datagram_boundaries_truncation_then_tcp_frames() {
    let out = run_demo("udp_chat");
    // The tutorial's exchange: a message and its reply.
    assert!(out.contains("的一条消息: 你好"), "{out}");
    assert!(out.contains("的一条消息: 收到"), "{out}");

    // Three sendto("aaa"): three datagrams of 3 bytes, none glued.
    let three = after(&out, "client: sendto(\"aaa\") three times");
    let reads: Vec<&str> = three.lines().take(3).collect();
    assert_eq!(
        reads, ["  server: recvfrom(1024) -> 3 bytes: \"aaa\""; 3],
        "{out}"
    );
    assert_eq!(out.matches("recvfrom(1024) -> 3 bytes").count(), 3, "{out}");

    // A 2000-byte datagram into a 1024-byte buffer: 1024 bytes, then the *next* datagram.
    let big = after(&out, "client: sendto(<2000 bytes>), then sendto(\"next\")");
    let reads: Vec<&str> = big.lines().take(3).collect();
    assert_eq!(
        reads[0], "  server: recvfrom(1024) -> 1024 bytes, identical to the first 1024 sent",
        "{out}"
    );
    assert_eq!(
        reads[1], "  server: recvfrom(1024) -> 4 bytes: \"next\"",
        "{out}"
    );
    assert!(
        reads[2].contains("the datagram's last 976 bytes are lost"),
        "{out}"
    );
    assert!(
        out.contains("client: sendto(<70000 bytes>) -> error: "),
        "{out}"
    );

    // Over TCP with lenframe: every message whole, in order, then a clean end.
    let tcp = after(&out, "OVER TCP, FRAMED WITH LENFRAME");
    for expected in [
        "read_frame() -> 3 bytes: \"aaa\"",
        "read_frame() -> 2000 bytes: whole, identical to what was sent",
        "read_frame() -> 70000 bytes: whole, identical to what was sent",
        "read_frame() -> None: the client closed cleanly",
    ] {
        assert!(tcp.contains(expected), "no {expected:?}:\n{out}");
    }
    assert_eq!(tcp.matches("3 bytes: \"aaa\"").count(), 3, "{out}");
}

#[test]
fn udp_chat_server_and_client_chat_by_name() {
    let mut server = Spawned::new("udp_chat", &["server", "127.0.0.1:0"]);
    let listening = server.wait_for("listening on ");
    let addr = listening
        .split_whitespace()
        .nth(2)
        .unwrap_or_else(|| panic!("no address in {listening:?}"));

    let book = format!("张三={addr}");
    let mut client = Spawned::new("udp_chat", &["client", &book]);
    client.send("nobody");
    client.wait_for("no one called \"nobody\"");
    // The pinyin picks the same peer as the name.
    client.send("zhangsan");
    client.send("hello from the client");
    server.wait_for("的一条消息: hello from the client");
    server.send("hi back");
    client.wait_for(&format!("来自[{addr}]的一条消息: hi back"));

    // `quit` leaves the conversation, `quit` again leaves the client.
    client.send("quit");
    client.send("quit");
    client.finish();
    // With its input closed, the server stops after the next message instead of asking for a
    // reply that can never come.
    drop(server.stdin.take());
    let mut poke = Spawned::new("udp_chat", &["client", &book]);
    poke.send("张三");
    poke.send("anyone?");
    server.wait_for("stdin closed; the server stops");
    server.finish();
}

#[test]
fn udp_chat_server_says_goodbye_on_ctrl_c_and_the_client_stops_waiting() {
    let mut server = Spawned::new("udp_chat", &["server", "127.0.0.1:0"]);
    let listening = server.wait_for("listening on ");
    let addr = listening
        .split_whitespace()
        .nth(2)
        .unwrap_or_else(|| panic!("no address in {listening:?}"))
        .to_string();
    let mut client = Spawned::new("udp_chat", &["client", &format!("张三={addr}")]);
    client.send("张三");
    client.send("are you there?");
    server.wait_for("的一条消息: are you there?");

    // Ctrl-C: a goodbye on the terminal and to the client, and a clean exit (finish checks 0).
    let status = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    server.wait_for("再见 (goodbye): the server stops; told 1 peer(s)");
    server.finish();

    // The client, waiting for a reply, hears the goodbye; its next message fails at once (the
    // port is unreachable) rather than after the 60 s a reply may take.
    client.wait_for(&format!("来自[{addr}]的一条消息: (the server has stopped"));
    let sent = Instant::now();
    client.send("hello?");
    client.wait_for(&format!("张三 at {addr} is not running"));
    assert!(
        sent.elapsed() < Duration::from_secs(30),
        "{:?}",
        sent.elapsed()
    );
    client.finish();
}

#[test]
fn udp_chat_client_ends_its_prompt_line_on_ctrl_d() {
    // At the choice of a peer, and at the message prompt.
    for input in ["", "张三\n"] {
        let mut child = Command::new(example_path("udp_chat"))
            .args(["client", "张三=127.0.0.1:9"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start udp_chat");
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(input.as_bytes()).unwrap();
        drop(stdin);
        let out = child.wait_with_output().expect("wait for udp_chat");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{input:?}: {stdout}");
        assert!(stdout.ends_with("): \n"), "{input:?}: {stdout:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// README

/// The README's first screen shows a transcript of `sticky_packets`: it must be what the
/// example prints today. Ports and the plain-TCP read counts vary between runs and systems
/// (how a network splits a message is the point of the demo), so those are normalised.
#[test]
fn readme_transcript_of_sticky_packets_is_current() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let marker = "<!-- sticky_packets transcript";
    let block = after(after(&readme, marker), "```text");
    let transcript = &block[..block.find("```").expect("the transcript's closing fence")];
    let out = run_demo("sticky_packets");
    assert_eq!(
        normalise(transcript),
        normalise(&out),
        "README.md's transcript differs from `cargo run --example sticky_packets`; paste a \
         fresh run into README.md"
    );
}

/// README's feature table names every feature `Cargo.toml` declares.
#[test]
fn readme_feature_table_lists_every_cargo_feature() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("Cargo.toml");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let table = after(&readme, "## Feature flags");
    let table = &table[..table.find("\n## ").unwrap_or(table.len())];
    let features = after(&manifest, "[features]");
    let features = features
        .lines()
        .take_while(|line| !line.starts_with('['))
        .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim()))
        .filter(|name| !name.is_empty() && !name.starts_with('#') && *name != "default");
    for feature in features {
        assert!(
            table.contains(&format!("| `{feature}`")),
            "Cargo.toml declares feature `{feature}`, README's feature table has no row for it"
        );
    }
}

fn normalise(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim_end)
        // How many reads plain TCP needed for the big message varies: drop the line listing
        // them, and the counts from the lines that sum them up.
        .filter(|line| !line.contains(" reads of up to "))
        .map(|line| {
            let line = without_port(line);
            if line.contains(" reads") {
                line.replace(|c: char| c.is_ascii_digit(), "#")
            } else {
                line
            }
        })
        .collect()
}

/// The line with `127.0.0.1:PORT` for whatever port it names.
fn without_port(line: &str) -> String {
    const HOST: &str = "127.0.0.1:";
    match line.split_once(HOST) {
        Some((before, rest)) => {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            format!("{before}{HOST}PORT{}", &rest[end..])
        }
        None => line.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Running example binaries. (A small copy of what `tests/support/example_runner.rs` does.)

/// Runs an example with no arguments and no input; it must exit successfully within
/// [`TIMEOUT`]. Returns its stdout.
fn run_demo(name: &str) -> String {
    let mut run = Spawned::new(name, &[]);
    drop(run.stdin.take());
    run.finish()
}

/// A running example, killed when dropped, whose stdout lines are collected as they come.
struct Spawned {
    what: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: String,
}

impl Spawned {
    fn new(name: &str, args: &[&str]) -> Spawned {
        let what = format!("{name} {}", args.join(" "));
        let mut child = Command::new(example_path(name))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {what}: {err}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Spawned {
            what,
            child,
            stdin,
            lines,
            seen: String::new(),
        }
    }

    /// Writes one line to the program's stdin.
    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{line}").unwrap_or_else(|err| panic!("{}: stdin: {err}", self.what));
    }

    /// Waits for the next stdout line containing `needle`, and returns it.
    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "{}: no line with {needle:?} within {TIMEOUT:?}, or it exited; stdout:\n{}",
                    self.what, self.seen
                ),
            }
        }
    }

    /// Closes stdin, waits for the program to exit (at most [`TIMEOUT`]) and checks it
    /// succeeded; returns all its stdout.
    fn finish(mut self) -> String {
        drop(self.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not end by itself within {TIMEOUT:?}; stdout so far:\n{}",
                self.what,
                self.seen
            );
            thread::sleep(Duration::from_millis(10));
        };
        // The reader thread ends at end of file: every remaining line is in the channel.
        while let Ok(line) = self.lines.recv_timeout(TIMEOUT) {
            self.seen.push_str(&line);
            self.seen.push('\n');
        }
        assert!(
            status.success(),
            "{} failed ({status}):\n{}",
            self.what,
            self.seen
        );
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // A failed test must leave nothing running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The example binary built with this test's profile: `target/<profile>/examples/<name>`.
/// `cargo test --test teaching_examples` does not build examples, so the first call builds
/// them (a no-op when they are fresh), with this test's features.
fn example_path(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().expect("the test binary's path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| build_examples(dir.file_name().and_then(OsStr::to_str)));
    dir.join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

fn build_examples(profile: Option<&str>) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--examples"]);
    match profile {
        Some("debug") | None => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(other) => {
            cmd.args(["--profile", other]);
        }
    }
    let features: Vec<&str> = [
        (cfg!(feature = "tokio"), "tokio"),
        (cfg!(feature = "tokio-util"), "tokio-util"),
        (cfg!(feature = "json"), "json"),
        (cfg!(feature = "msgpack"), "msgpack"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    let out = cmd
        .output()
        .expect("cannot run cargo to build the examples");
    assert!(
        out.status.success(),
        "building the examples failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// Reading output.

/// The lines after the first line of `text` that contains `marker`.
fn after<'a>(text: &'a str, marker: &str) -> &'a str {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{text}"));
    let rest = &text[at..];
    rest.find('\n').map_or("", |end| &rest[end + 1..])
}

/// The first line of `text` containing `needle`.
fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
}

/// The number right after `marker`.
fn number_after<T: std::str::FromStr>(text: &str, marker: &str) -> T {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{text}"));
    let digits: String = text[at + marker.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after {marker:?} in:\n{text}"))
}
