//! Runs the async examples as a user would: the demos with no arguments (they must finish by
//! themselves and tell the story they promise), and the servers and clients as separate
//! processes over loopback TCP.
//!
//! The example binaries are built first (see `example_runner::example_path`). Every wait is
//! bounded and every process started here is killed when its test ends.

#[path = "support/example_runner.rs"]
mod example_runner;

use std::io::{Read, Write};

use example_runner::{closed, connect, frame, run_example, summary, Running, TIMEOUT};

fn run_demo(name: &str) -> String {
    let out = run_example(name, &[], TIMEOUT);
    out.assert_success();
    out.stdout
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
    assert!(
        out.contains("async_echo stopped: served 24 connections; 2007 frames in"),
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
    let mut server = Running::example(
        "async_echo",
        ["server", "--addr", "127.0.0.1:0", "--format", "!I"],
    );
    let addr = server.wait_listening().to_string();
    let out = run_example(
        "async_echo",
        &[
            "client", "--addr", &addr, "--format", "!I", "hello", "", "黏包",
        ],
        TIMEOUT,
    );
    out.assert_success();
    assert_eq!(out.stdout, "hello\n\n黏包\n");
}

#[test]
fn async_chat_demo_drops_the_slow_and_the_dead_client_only() {
    let out = run_demo("async_chat");
    for expected in [
        "bob sees:  all 1500 news items, in order",
        "server:  carol dropped: fell",
        "bob sees:  * carol left (too slow)",
        "alice sees:  [bob] quiet in here now",
        "bob sees:  * alice left",
        "bob sees:  * the server is shutting down",
        "async_chat stopped: served 4 connections;",
    ] {
        assert!(out.contains(expected), "no {expected:?} in:\n{out}");
    }
    // Dave never reads. Usually his socket fills and a write to him makes no progress for the
    // write timeout; on a loaded machine his task may instead fall further behind the room than
    // it keeps before that. Either way he is dropped, with the reason, and the others told.
    assert!(
        out.contains("server:  dave dropped: a write made no progress")
            && out.contains("bob sees:  * dave left (not reading)")
            || out.contains("server:  dave dropped: fell")
                && out.contains("bob sees:  * dave left (too slow)"),
        "dave was not dropped with a reason:\n{out}"
    );
    assert!(!out.contains("bob dropped"), "{out}");
    assert!(!out.contains("alice dropped"), "{out}");
}

#[test]
fn async_chat_server_and_clients_as_processes() {
    let mut server = Running::example("async_chat", ["server", "--addr", "127.0.0.1:0"]);
    let addr = server.wait_listening().to_string();
    let client =
        |name: &str| Running::example("async_chat", ["client", "--addr", &addr, "--name", name]);
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
    alice.finish(TIMEOUT).assert_success();
    bob.finish(TIMEOUT).assert_success();
}

#[test]
fn async_echo_caps_clients_and_stops_cleanly_on_sigterm() {
    let mut server = Running::example(
        "async_echo",
        ["server", "--addr", "127.0.0.1:0", "--max-clients", "2"],
    );
    let addr = server.wait_listening();
    let mut idle = connect(addr, TIMEOUT);
    idle.write_all(&frame(b"hi")).unwrap();
    let mut echo = [0; 6];
    idle.read_exact(&mut echo).unwrap();
    // A whole frame and the start of the next in one write, then the whole frame's echo: the
    // echo shows that the server has read that write (one segment on loopback, taken in by one
    // read), so the next frame is in flight at the server when the shutdown starts. (Writing
    // the half frame alone raced the shutdown: on a loaded machine the server could still be
    // between frames, with the bytes unread in its socket, and closed the connection.)
    let mut in_flight = connect(addr, TIMEOUT);
    let mut first_write = frame(b"go");
    first_write.extend_from_slice(&frame(b"in flight")[..6]);
    in_flight.write_all(&first_write).unwrap();
    let mut echo = [0; 6];
    in_flight.read_exact(&mut echo).unwrap();
    assert_eq!(echo[..], frame(b"go")[..]);
    let mut third = connect(addr, TIMEOUT);
    assert!(closed(&mut third), "the third client was not refused");
    server.wait_for_stderr("refused: 2 clients connected, the most --max-clients allows");

    server.terminate();
    server.wait_for_stderr("shutting down");
    assert!(closed(&mut idle), "the idle client was not closed");
    in_flight.write_all(&frame(b"in flight")[6..]).unwrap();
    let mut echo = vec![0; 13];
    in_flight.read_exact(&mut echo).unwrap();
    assert_eq!(echo, frame(b"in flight"));
    assert!(closed(&mut in_flight));

    let out = server.finish(TIMEOUT);
    out.assert_success();
    let summary = summary(&out.stdout);
    assert!(
        summary.starts_with("async_echo stopped: served 2 connections; 3 frames in (13 bytes)"),
        "{out}"
    );
    assert!(summary.contains("(1 over --max-clients 2"), "{out}");
    assert!(
        summary.ends_with("0 cut off by the shutdown, 0 still open"),
        "{out}"
    );
}

#[test]
fn async_chat_client_notices_the_server_stopping() {
    let mut server = Running::example(
        "async_chat",
        ["server", "--addr", "127.0.0.1:0", "--max-clients", "1"],
    );
    let addr = server.wait_listening().to_string();
    let mut bob = Running::example("async_chat", ["client", "--addr", &addr, "--name", "bob"]);
    bob.wait_for("bob's welcome", |l| l.starts_with("* welcome, bob"));
    // The hint goes to stderr, which may arrive after the welcome on stdout.
    bob.wait_for_stderr("Ctrl-D leaves");

    let alice = run_example(
        "async_chat",
        &["client", "--addr", &addr, "--name", "alice"],
        TIMEOUT,
    );
    alice.assert_code(1);
    assert!(
        alice.stdout.contains("* error: the room is full"),
        "{alice}"
    );

    // The server stops while bob's stdin stays open: his client must not wait for a line.
    server.terminate();
    bob.wait_for("the notice", |l| l == "* the server is shutting down");
    let stdin = bob.stdin.take();
    let bob = bob.finish(TIMEOUT);
    drop(stdin);
    bob.assert_code(1);
    assert!(
        bob.stderr.contains("the server closed the connection"),
        "{bob}"
    );
    let out = server.finish(TIMEOUT);
    out.assert_success();
    assert!(
        summary(&out.stdout).contains("(1 over --max-clients 1"),
        "{out}"
    );
}
