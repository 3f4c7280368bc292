//! Typed messages between Rust and Python, both ways, on real loopback connections:
//!
//! - the Python client (`examples/python/kv_client.py check`) against the Rust `kv_store`
//!   server, in JSON and in MessagePack: unicode keys and values, nested maps, binary data
//!   (MessagePack `bin`), 1 MiB values, and a malformed frame and a request of the wrong shape
//!   in the middle, each answered with an error naming its frame while the connection goes on;
//! - the Rust library (`write_json`/`read_json`, `write_msgpack`/`read_msgpack`) against the
//!   Python `typed_echo_server.py`, which decodes every message with Python's own libraries and
//!   sends it back re-encoded: the same kinds of values, a frame Python cannot decode, and a
//!   malformed frame from Python that the Rust reader reports for that frame alone;
//! - the Python and Rust `kv_store` clients sharing one store.
//!
//! Needs `python3` (and the `msgpack` package for MessagePack); without them each test prints
//! why it skipped and passes, except under CI (`CI=true`, as `.ci/run` sets, which also installs
//! msgpack), where it fails. Every test binds 127.0.0.1 port 0, bounds every wait and kills what
//! it started.
#![cfg(all(feature = "json", feature = "msgpack"))]

#[path = "support/example_runner.rs"]
mod example_runner;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

use example_runner::{connect, run_example, Running, TIMEOUT};
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::Error;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// `python3`, if it runs and (for `msgpack`) imports the msgpack package; otherwise `None`
/// after saying why on stderr (not through the test harness's capture, so that it shows in a
/// passing run). Under CI (`CI` set to anything but empty, `0` or `false`) it panics instead:
/// a green CI run must mean these tests ran.
fn python3(msgpack: bool) -> Option<&'static str> {
    let skip = |why: String| {
        let ci = std::env::var("CI").unwrap_or_default();
        if !matches!(ci.as_str(), "" | "0" | "false") {
            panic!("CI={ci} but the typed Python interop tests cannot run: {why}");
        }
        let _ = writeln!(
            std::io::stderr(),
            "skipping typed Python interop test: {why}"
        );
        None
    };
    let script = if msgpack { "import msgpack" } else { "pass" };
    match Command::new("python3").args(["-c", script]).output() {
        Ok(out) if out.status.success() => Some("python3"),
        Ok(out) => skip(format!(
            "`python3 -c \"{script}\"` failed with {} ({}); install python3{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            if msgpack {
                " and its msgpack package (pip install msgpack)"
            } else {
                ""
            }
        )),
        Err(err) => skip(format!("python3 not found ({err}); install python3")),
    }
}

/// Starts `examples/python/NAME` with these arguments.
fn python_example(python: &str, name: &str, args: &[&str]) -> Running {
    let mut cmd = Command::new(python);
    cmd.arg(
        [env!("CARGO_MANIFEST_DIR"), "examples", "python", name]
            .iter()
            .collect::<PathBuf>(),
    )
    .args(args);
    Running::spawn(cmd)
}

fn format_args(msgpack: bool) -> Vec<&'static str> {
    if msgpack {
        vec!["--msgpack"]
    } else {
        vec![]
    }
}

// ---------------------------------------------------------------------------------------------
// Python client, Rust server.

fn python_client_checks_the_rust_kv_store(msgpack: bool) {
    let Some(python) = python3(msgpack) else {
        return;
    };
    let mut args = vec!["serve", "--addr", "127.0.0.1:0"];
    args.extend(format_args(msgpack));
    let mut server = Running::example("kv_store", &args);
    let addr = server.wait_listening().to_string();

    let mut args = vec!["--addr", addr.as_str()];
    args.extend(format_args(msgpack));
    args.push("check");
    let out = python_example(python, "kv_client.py", &args).finish(TIMEOUT);
    out.assert_success();
    let name = if msgpack { "MessagePack" } else { "JSON" };
    let (frames, first_bad) = if msgpack { (15, 5) } else { (11, 3) };
    assert!(
        out.stdout
            .contains(&format!("all checks passed ({frames} frames, {name})")),
        "{out}"
    );
    assert!(out.stdout.contains("round-trips (str)"), "{out}");
    if msgpack {
        assert!(out.stdout.contains("round-trips (bytes)"), "{out}");
    }
    // The server reported the two bad frames, by index, and went on to the end.
    server.wait_for_stderr(&format!("closed after {frames} frame(s)"));
    let log = server.stderr();
    for frame in [first_bad, first_bad + 1] {
        assert!(
            log.contains(&format!("frame {frame} (")) && log.contains(&format!("valid {name}")),
            "frame {frame}:\n{log}"
        );
    }
    assert!(log.contains("unknown variant `frobnicate`"), "{log}");
}

#[test]
fn python_client_against_rust_kv_store_json() {
    python_client_checks_the_rust_kv_store(false);
}

#[test]
fn python_client_against_rust_kv_store_msgpack() {
    python_client_checks_the_rust_kv_store(true);
}

#[test]
fn python_and_rust_kv_store_clients_share_one_store() {
    let Some(python) = python3(true) else { return };
    for msgpack in [false, true] {
        let mut args = vec!["serve", "--addr", "127.0.0.1:0"];
        args.extend(format_args(msgpack));
        let mut server = Running::example("kv_store", &args);
        let addr = server.wait_listening().to_string();
        let python_client = |command: &[&str]| {
            let mut args = vec!["--addr", addr.as_str()];
            args.extend(format_args(msgpack));
            args.extend(command);
            python_example(python, "kv_client.py", &args).finish(TIMEOUT)
        };
        let rust_client = |command: &[&str]| {
            let mut args = vec!["client", "--addr", addr.as_str()];
            args.extend(format_args(msgpack));
            args.extend(command);
            run_example("kv_store", &args, TIMEOUT)
        };

        let value = r#"{"naïve": ["café", 1, 2.5, null, true], "深": {"x": {}}}"#;
        let out = python_client(&["set", "from-python", value]);
        out.assert_success();
        assert_eq!(
            out.stdout.trim(),
            r#"{"result": "stored", "replaced": false}"#
        );
        let out = rust_client(&["get", "from-python"]);
        out.assert_success();
        let got: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
        let expected: serde_json::Value = serde_json::from_str(value).unwrap();
        assert_eq!(got["value"], expected, "{out}");

        rust_client(&["set", "from-rust", "[1, \"zwei\", {\"drei\": 3}]"]).assert_success();
        let out = python_client(&["get", "from-rust"]);
        out.assert_success();
        assert_eq!(
            out.stdout.trim(),
            r#"{"result": "value", "value": [1, "zwei", {"drei": 3}]}"#
        );
        let out = rust_client(&["list"]);
        assert_eq!(
            out.stdout.trim(),
            r#"{"result":"keys","keys":["from-python","from-rust"]}"#
        );
        let out = python_client(&["get", "nothing here"]);
        out.assert_success();
        assert_eq!(out.stdout.trim(), r#"{"result": "missing"}"#);
    }
}

// ---------------------------------------------------------------------------------------------
// Rust client, Python server.

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Note {
    id: i64,
    title: String,
    tags: Vec<String>,
    meta: BTreeMap<String, BTreeMap<String, Vec<f64>>>,
    blob: Option<ByteBuf>,
}

/// What the Python server sends for a frame it cannot decode.
#[derive(Deserialize, Debug)]
struct EchoError {
    error: String,
    frame: u64,
}

fn notes() -> Vec<Note> {
    let meta = BTreeMap::from([
        (
            "ünïcødé".to_string(),
            BTreeMap::from([("层".to_string(), vec![1.5, -2.0, 1e300])]),
        ),
        ("empty".to_string(), BTreeMap::new()),
    ]);
    let note = |id: i64, title: String, blob: Option<Vec<u8>>| Note {
        id,
        title,
        tags: vec!["a".into(), "κ".into(), String::new(), "🦀".into()],
        meta: meta.clone(),
        blob: blob.map(ByteBuf::from),
    };
    vec![
        note(1, "héllo, 世界 \u{0} \"quoted\" \\ \n".into(), None),
        note(i64::MIN, String::new(), Some((0..=255).collect())),
        note(i64::MAX, "€".repeat(1024 * 1024 / 3), None), // about 1 MiB of UTF-8
        note(4, "big binary".into(), Some(vec![0xc1; 1024 * 1024])),
    ]
}

/// A connection to the Python echo server, one message out, one back.
struct Peer {
    reader: FrameReader<std::net::TcpStream>,
    writer: FrameWriter<std::net::TcpStream>,
    msgpack: bool,
}

impl Peer {
    fn connect(addr: SocketAddr, msgpack: bool) -> Peer {
        let stream = connect(addr, TIMEOUT);
        Peer {
            reader: FrameReader::new(stream.try_clone().unwrap()),
            writer: FrameWriter::new(stream),
            msgpack,
        }
    }

    fn send<T: Serialize>(&mut self, msg: &T) {
        match self.msgpack {
            true => self.writer.write_msgpack(msg),
            false => self.writer.write_json(msg),
        }
        .unwrap();
        self.writer.flush().unwrap();
    }

    fn receive<T: DeserializeOwned>(&mut self) -> Result<Option<T>, Error> {
        match self.msgpack {
            true => self.reader.read_msgpack(),
            false => self.reader.read_json(),
        }
    }
}

fn rust_library_against_python_typed_echo_server(msgpack: bool) {
    let Some(python) = python3(msgpack) else {
        return;
    };
    let mut args = vec!["--addr", "127.0.0.1:0"];
    args.extend(format_args(msgpack));
    let mut server = python_example(python, "typed_echo_server.py", &args);
    let addr = server.wait_listening();
    let mut peer = Peer::connect(addr, msgpack);
    let name = if msgpack { "MessagePack" } else { "JSON" };

    let mut frame = 0; // frames each way: the server answers every frame with one
    for note in notes() {
        peer.send(&note);
        let echo: Note = peer.receive().unwrap().unwrap();
        assert!(echo == note, "{name}: note {} came back different", note.id);
        frame += 1;
    }

    // A frame Python cannot decode: an error reply naming it, and the connection goes on.
    peer.writer.send_frame(b"\xc1{not a message").unwrap();
    let reply: EchoError = peer.receive().unwrap().unwrap();
    assert_eq!(reply.frame, frame, "{reply:?}");
    assert!(reply.error.contains(name), "{reply:?}");
    frame += 1;

    // A malformed frame from Python: the Rust reader reports that frame, then reads the next.
    peer.send(&BTreeMap::from([("op", "malformed")]));
    peer.send(&notes()[0]);
    let err = peer.receive::<Note>().unwrap_err();
    assert!(
        matches!(err, Error::Deserialize { frame: f, format, .. } if f == frame && format == name),
        "{err}"
    );
    let echo: Note = peer.receive().unwrap().unwrap();
    assert_eq!(echo, notes()[0]);

    // A clean goodbye both ways.
    peer.writer
        .get_ref()
        .shutdown(std::net::Shutdown::Write)
        .unwrap();
    assert!(peer.receive::<Note>().unwrap().is_none());
    server.wait_for_stderr(&format!("closed after {} frame(s)", frame + 2));
}

#[test]
fn rust_library_against_python_typed_echo_server_json() {
    rust_library_against_python_typed_echo_server(false);
}

#[test]
fn rust_library_against_python_typed_echo_server_msgpack() {
    rust_library_against_python_typed_echo_server(true);
}

// ---------------------------------------------------------------------------------------------
// The example's demo.

#[test]
fn kv_store_demo_ends_by_itself_in_both_formats() {
    let out = run_example("kv_store", &[], TIMEOUT);
    out.assert_success();
    for name in ["JSON", "MessagePack"] {
        assert!(
            out.stdout.contains(&format!("{name} server on 127.0.0.1:")),
            "{out}"
        );
        let bad = out
            .stdout
            .lines()
            .find(|line| line.contains("a malformed frame -> ") && line.contains(name))
            .unwrap_or_else(|| panic!("no error response for {name}:\n{out}"));
        assert!(bad.contains(r#""result":"error","frame":"#), "{bad}");
    }
    assert!(
        out.stdout
            .contains(r#"{"op":"get","key":"greeting"} -> {"result":"missing"}"#),
        "{out}"
    );
    assert_eq!(
        out.stdout
            .matches(r#"then {"op":"get","key":"user"} -> {"result":"value""#)
            .count(),
        2,
        "{out}"
    );
    assert!(out.stdout.contains("done: both formats answered"), "{out}");
}
