//! Rust and Python peers on one loopback connection: the Python example client
//! (`examples/python/echo_client.py`) against the Rust `echo_server` example, and Rust (the
//! library directly, and the `echo_client` example) against the Python `echo_server.py`, for
//! the struct formats `i`, `!I`, `<H` and `q`, with empty and large messages. The echoes must
//! match byte for byte.
//!
//! Needs `python3` on PATH (standard library only); without it each test prints why it skipped
//! and passes, except under CI (`CI=true`, as `.ci/run` sets), where it fails. Every test binds
//! 127.0.0.1 port 0, bounds every wait and kills what it started.
#![cfg(feature = "std")]

#[path = "support/example_runner.rs"]
mod example_runner;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::path::PathBuf;
use std::process::Command;
use std::thread;

use bytes::BytesMut;
use example_runner::{
    assert_echo_client_round_trips, connect, hex_messages, pseudo_random, run_example, Running,
    TIMEOUT,
};
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::Codec;

const FORMATS: [&str; 4] = ["i", "!I", "<H", "q"];

/// `python3`, or `None` if it cannot run. The reason for skipping goes straight to stderr, not
/// through the test harness's capture, so that it shows in a passing run. Under CI (`CI` set to
/// anything but empty, `0` or `false`) it panics instead: a green CI run must mean these tests ran.
fn python3() -> Option<&'static str> {
    let skip = |why: String| {
        let ci = std::env::var("CI").unwrap_or_default();
        if !matches!(ci.as_str(), "" | "0" | "false") {
            panic!("CI={ci} but the Python interop tests cannot run: {why}; install python3");
        }
        let _ = writeln!(std::io::stderr(), "skipping Python interop test: {why}");
        None
    };
    match Command::new("python3").arg("--version").output() {
        Ok(out) if out.status.success() => Some("python3"),
        Ok(out) => skip(format!("`python3 --version` failed with {}", out.status)),
        Err(err) => skip(format!("python3 not found ({err})")),
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

/// The largest payload the format can carry, capped at `cap`.
fn largest(format: &str, cap: usize) -> usize {
    let field = lenframe::LengthField::from_struct_format(format).unwrap();
    usize::try_from(field.max_value())
        .unwrap_or(usize::MAX)
        .min(cap)
}

// ---------------------------------------------------------------------------------------------
// Python client, Rust server.

#[test]
fn python_client_against_rust_echo_server() {
    let Some(python) = python3() else { return };
    for format in FORMATS {
        let mut server =
            Running::example("echo_server", ["--addr", "127.0.0.1:0", "--format", format]);
        let addr = server.wait_listening().to_string();

        // argv is limited (128 KiB an argument on Linux), so the largest here is 40 KiB;
        // the tests below send megabytes through the library.
        let (hex, expected) = hex_messages(&[
            Vec::new(),
            b"hello from python".to_vec(),
            (0..=255).collect(),
            Vec::new(),
            pseudo_random(40 * 1024, 3),
        ]);
        let args = ["--addr", &addr, "--format", format, &hex];
        let out = python_example(python, "echo_client.py", &args).finish(TIMEOUT);
        out.assert_success();
        assert_eq!(
            out.stdout.lines().collect::<Vec<_>>(),
            expected,
            "format {format}"
        );

        // The Python client's demo: messages back to back, 100 KiB among them (skipped for '<H').
        let args = ["--addr", &addr, "--format", format];
        let out = python_example(python, "echo_client.py", &args).finish(TIMEOUT);
        out.assert_success();
        assert!(
            out.stdout.contains("all echoes identical"),
            "format {format}:\n{out}"
        );
        server.wait_for_stderr("closed after 5 frame(s)");
        assert!(
            !server.stderr().contains("error"),
            "format {format}:\n{}",
            server.stderr()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Rust client, Python server.

fn python_echo_server(python: &str, format: &str) -> (Running, SocketAddr) {
    let args = ["--addr", "127.0.0.1:0", "--format", format];
    let mut server = python_example(python, "echo_server.py", &args);
    let addr = server.wait_listening();
    (server, addr)
}

#[test]
fn rust_library_against_python_echo_server() {
    let Some(python) = python3() else { return };
    for format in FORMATS {
        let (_server, addr) = python_echo_server(python, format);
        let codec = Codec::from_struct_format(format).unwrap();

        // Megabytes where the format allows (the Python server's default maximum is 8 MiB),
        // the largest a 2-byte length can say for '<H'.
        let big = largest(format, 3 * 1024 * 1024);
        let payloads = vec![
            Vec::new(),
            b"hello from rust".to_vec(),
            (0..=255).collect::<Vec<u8>>(),
            pseudo_random(big, 11),
            Vec::new(),
            pseudo_random(big - 1, 12),
            b"last".to_vec(),
        ];

        // Write from one thread while reading on another: the server echoes as it reads, so
        // megabytes each way would otherwise fill both socket buffers and stall.
        let stream = connect(addr, TIMEOUT);
        let mut writer = FrameWriter::with_codec(stream.try_clone().unwrap(), codec);
        let sent = payloads.clone();
        let sender = thread::spawn(move || {
            for payload in &sent {
                writer.write_frame(payload).unwrap();
            }
            writer
                .into_inner()
                .unwrap()
                .shutdown(Shutdown::Write)
                .unwrap();
        });
        let mut reader = FrameReader::with_codec(stream, codec);
        for (i, payload) in payloads.iter().enumerate() {
            let echo = reader
                .read_frame()
                .unwrap_or_else(|err| panic!("format {format}, frame {i}: {err}"))
                .unwrap_or_else(|| panic!("format {format}: the server closed before frame {i}"));
            assert!(
                echo[..] == payload[..],
                "format {format}, frame {i}: {} bytes sent, {} bytes echoed, different",
                payload.len(),
                echo.len()
            );
        }
        // Our goodbye between frames is answered by the server's.
        assert!(reader.read_frame().unwrap().is_none(), "format {format}");
        sender.join().unwrap();
    }
}

#[test]
fn python_writes_the_same_header_bytes_as_lenframe() {
    let Some(python) = python3() else { return };
    for format in FORMATS {
        let (_server, addr) = python_echo_server(python, format);
        let codec = Codec::from_struct_format(format).unwrap();
        // What lenframe puts on the wire for a few lengths...
        let mut wire = BytesMut::new();
        for len in [0, 1, 255, 300, largest(format, 70_000)] {
            codec
                .encoder()
                .encode(pseudo_random(len, len as u64), &mut wire)
                .unwrap();
        }
        // ...comes back from Python's struct.pack byte for byte, read raw, without a decoder.
        let mut stream = connect(addr, TIMEOUT);
        let writer = {
            let mut stream = stream.try_clone().unwrap();
            let wire = wire.clone();
            thread::spawn(move || stream.write_all(&wire).unwrap())
        };
        let mut echoed = vec![0; wire.len()];
        stream.read_exact(&mut echoed).unwrap();
        writer.join().unwrap();
        assert!(
            echoed == wire[..],
            "format {format}: the echoed bytes differ"
        );
    }
}

#[test]
fn rust_echo_client_against_python_echo_server() {
    let Some(python) = python3() else { return };
    for format in FORMATS {
        let (_server, addr) = python_echo_server(python, format);
        let addr = addr.to_string();
        let payloads = [
            Vec::new(),
            vec![0xfe, 0xff],
            pseudo_random(20_000, 5),
            Vec::new(),
        ];
        assert_echo_client_round_trips(&addr, format, &payloads);

        // And the Rust client's demo, 100 KiB message included where the format allows.
        let out = run_example(
            "echo_client",
            &["--addr", &addr, "--format", format],
            TIMEOUT,
        );
        out.assert_success();
        assert!(
            out.stdout.contains("all echoes identical"),
            "format {format}:\n{out}"
        );
    }
}
