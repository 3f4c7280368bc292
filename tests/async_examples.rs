//! Runs the async examples as a user would: the demos with no arguments (they must finish by
//! themselves and tell the story they promise), and the servers and clients as separate
//! processes over loopback TCP.
//!
//! The example binaries are built first (see `example_runner::example_path`). Every wait is
//! bounded and every process started here is killed when its test ends.

#[path = "support/example_runner.rs"]
mod example_runner;

use std::io::Write;

use example_runner::{run_example, Running, TIMEOUT};

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
