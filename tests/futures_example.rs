//! Runs the `smol_echo` example as a reader of the README would: the demo with no arguments
//! (it must end by itself and show every echo, the refused header and the stalled client), and
//! `serve` and `client` as two processes over loopback.
//!
//! The example is built first (see `example_runner::example_path`). Every run and wait is
//! bounded; a process still running then is killed and the test fails. Every socket is on
//! 127.0.0.1 with a port the OS picks.

#[path = "support/example_runner.rs"]
mod example_runner;

use example_runner::{run_example, Running, TIMEOUT};

#[test]
fn smol_echo_demo_echoes_everything_and_closes_the_bad_clients() {
    let run = run_example("smol_echo", &[], TIMEOUT);
    let out = &run.assert_success().stdout;
    for line in [
        "alice: echo of 5 bytes: \"hello\"",
        "alice: echo of 7 bytes: \"packets\"",
        "alice: 3 of 3 frames echoed",
        "bob: echo of 1048576 bytes: \"xxxxxxxxxxxx\"",
        "bob: 2 of 2 frames echoed",
        "carol: 1000 of 1000 frames echoed",
        "rogue: sent a negative length; the server closes: true",
        "slow: sent half a frame and stalled; the server closes: true",
        "demo: done",
    ] {
        assert!(out.contains(line), "no {line:?} in:\n{run}");
    }
    assert!(out.contains("done after 1000 frames"), "{run}");
    assert!(
        out.contains("negative length"),
        "the refusal names the cause:\n{run}"
    );
    assert!(out.contains("closed: stalled mid-frame"), "{run}");
    assert!(
        !out.contains("carol: echo"),
        "carol's echoes are not printed:\n{run}"
    );
}

#[test]
fn smol_echo_serve_and_client_as_processes() {
    let mut server = Running::example("smol_echo", ["serve", "127.0.0.1:0"]);
    let listening = server.wait_for_line("server: listening on ");
    let addr = listening.rsplit(' ').next().unwrap().to_string();
    let run = run_example("smol_echo", &["client", &addr, "hello", "world"], TIMEOUT);
    let out = &run.assert_success().stdout;
    assert!(out.contains("client: echo of 5 bytes: \"hello\""), "{run}");
    assert!(out.contains("client: echo of 5 bytes: \"world\""), "{run}");
    assert!(out.contains("client: 2 of 2 frames echoed"), "{run}");
    let done = server.wait_for_line(" done after 2 frames");
    assert!(done.starts_with("server: 127.0.0.1:"), "{done}");
}
