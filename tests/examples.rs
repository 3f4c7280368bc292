//! Runs the example programs, as a user would, and checks what they print and do: the demos
//! (no arguments), and the servers and clients as separate processes over loopback TCP.
//!
//! Every test binds 127.0.0.1 port 0, bounds every wait (see `example_runner::TIMEOUT`) and
//! kills the processes it started when it ends, pass or fail.
#![cfg(feature = "std")]

#[path = "support/example_runner.rs"]
mod example_runner;

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use example_runner::{
    assert_echo_client_round_trips, closed, connect, frame, pseudo_random, run_example, summary,
    Running, TempDir, TIMEOUT,
};
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::Codec;

/// A demo must finish in a few seconds; this leaves room for a slow debug build on a busy
/// machine while still failing a hung demo.
const DEMO_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// sticky_packets

#[test]
fn sticky_packets_demo_shows_the_glued_read_then_three_frames() {
    let out = run_example("sticky_packets", &[], DEMO_TIMEOUT);
    out.assert_success();
    let stdout = &out.stdout;

    let glued = stdout
        .find("read(1024) -> 9 bytes: \"aaaaaaaaa\"")
        .unwrap_or_else(|| panic!("no glued read:\n{out}"));
    let mut at = glued;
    for i in 1..=3 {
        let line = format!("read_frame() -> frame {i}: \"aaa\"");
        at += stdout[at..]
            .find(&line)
            .unwrap_or_else(|| panic!("no {line:?} after the glued read:\n{out}"));
    }
    assert!(
        !stdout.contains("frame 4"),
        "more than three frames:\n{out}"
    );

    // The big message: several reads without framing, one whole frame with it.
    let reads: usize = stdout
        .split("One 100000-byte message took ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no read count for the big message:\n{out}"));
    assert!(reads >= 2, "the big message came in one read:\n{out}");
    assert!(
        stdout.contains("one frame of 100000 bytes, identical to what was sent"),
        "{out}"
    );
    assert!(stdout.contains("None: the client closed cleanly"), "{out}");
}

#[test]
fn sticky_packets_server_and_client_as_separate_programs() {
    // Framed: the server prints the four frames the client sent.
    let mut server = Running::example("sticky_packets", ["server", "--addr", "127.0.0.1:0"]);
    let addr = server.wait_listening().to_string();
    run_example("sticky_packets", &["client", "--addr", &addr], TIMEOUT).assert_success();
    for i in 1..=3 {
        server.wait_for_line(&format!("frame {i}: \"aaa\""));
    }
    server.wait_for_line("frame 4: 100000 bytes");
    server.wait_for_line("closed");

    // Naive: the server prints raw reads; they add up to the bytes sent, in more than one read.
    let mut server = Running::example(
        "sticky_packets",
        ["server", "--naive", "--addr", "127.0.0.1:0"],
    );
    let addr = server.wait_listening().to_string();
    run_example(
        "sticky_packets",
        &["client", "--naive", "--addr", &addr],
        TIMEOUT,
    )
    .assert_success();
    server.wait_for_line("closed");
    let stdout = server.stdout();
    let sizes: Vec<usize> = stdout
        .lines()
        .filter_map(|line| line.trim().strip_prefix("read "))
        .map(|rest| rest.split(' ').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 9 + 100_000, "{stdout}");
    assert!(sizes.len() >= 2, "{stdout}");
}

// ---------------------------------------------------------------------------------------------
// echo_server and echo_client

#[test]
fn echo_server_demo_keeps_serving_the_good_client() {
    let out = run_example("echo_server", &[], DEMO_TIMEOUT);
    out.assert_success();
    assert_eq!(
        out.stdout.matches("echo identical").count(),
        6,
        "the good client was not served throughout:\n{out}"
    );
    assert_eq!(
        out.stdout
            .matches("the server closed the connection")
            .count(),
        3,
        "{out}"
    );
    // The server's log lines are whole lines of their own, each before the bad client's
    // verdict (the server logs, then closes).
    let lines: Vec<&str> = out.stdout.lines().collect();
    for log in [
        "holds -5, a negative length",
        "over the maximum of 8388608 bytes",
        "the stream ended inside a frame",
    ] {
        let at = lines
            .iter()
            .position(|line| line.contains(log))
            .unwrap_or_else(|| panic!("no log line with {log:?}:\n{out}"));
        assert!(
            lines[at].starts_with("      server: client 127.0.0.1:"),
            "{out}"
        );
        assert_eq!(
            lines[at + 1],
            "bad client:  the server closed the connection",
            "{out}"
        );
    }
    for line in &lines {
        assert!(
            !line.contains("server: ") || line.starts_with("      server: "),
            "a log line cut into another: {line:?}\n{out}"
        );
    }
    // The limits: a third client refused, the idle ones closed, a new one served.
    for expected in [
        "server: client 127.0.0.1:",
        "refused: 2 clients connected, the most --max-clients allows",
        "a third client: refused, the connection closed at once",
        "idle: nothing received for 1 s",
        "the two idle clients: closed by the server after its 1 s idle timeout",
        "a new client: served again (echo \"my turn\")",
    ] {
        assert!(out.stdout.contains(expected), "no {expected:?} in:\n{out}");
    }
}

#[test]
fn echo_client_demo_gets_every_echo() {
    let out = run_example("echo_client", &[], DEMO_TIMEOUT);
    out.assert_success();
    assert!(out.stdout.contains("all echoes identical"), "{out}");
    assert!(out.stdout.contains("ok    empty"), "{out}");
    assert!(out.stdout.contains("ok    100 KiB"), "{out}");
}

#[test]
fn echo_client_and_echo_server_agree_in_every_format() {
    let payloads = [
        Vec::new(),
        vec![0x00, 0xff],
        b"hello".to_vec(),
        Vec::new(),
        pseudo_random(5000, 7),
    ];
    for format in ["i", "!I", "<H", "q", ">h", "B"] {
        // 'B' carries at most 255 bytes: leave the big one out.
        let payloads = if format == "B" {
            &payloads[..4]
        } else {
            &payloads[..]
        };
        let mut server =
            Running::example("echo_server", ["--addr", "127.0.0.1:0", "--format", format]);
        let addr = server.wait_listening().to_string();
        assert_echo_client_round_trips(&addr, format, payloads);
        server.wait_for_stderr("closed after");
    }
}

#[test]
fn echo_server_takes_its_options_before_or_after_serve() {
    for args in [
        &["--addr", "127.0.0.1:0", "serve"][..],
        &[
            "--addr",
            "127.0.0.1:0",
            "--format",
            "!I",
            "serve",
            "--max",
            "100",
        ],
        &["serve", "--addr", "127.0.0.1:0"],
    ] {
        let mut server = Running::example("echo_server", args);
        let addr = server.wait_listening().to_string();
        let format = if args.contains(&"!I") { "!I" } else { "i" };
        assert_echo_client_round_trips(&addr, format, &[b"hi".to_vec()]);
        out_of_the_way(server);
    }
}

/// Stops a server started for a test, checking it stops cleanly.
fn out_of_the_way(server: Running) {
    server.terminate_and_finish(TIMEOUT).assert_success();
}

#[test]
fn echo_client_names_the_format_as_given() {
    let out = run_example("echo_client", &[], DEMO_TIMEOUT);
    out.assert_success();
    assert!(
        out.stdout
            .contains("with length format \"i\" (4-byte header)"),
        "{out}"
    );
    let mut server = Running::example("echo_server", ["--addr", "127.0.0.1:0", "--format", "<H"]);
    let addr = server.wait_listening().to_string();
    let out = run_example("echo_client", &["--addr", &addr, "--format", "<H"], TIMEOUT);
    out.assert_success();
    assert!(
        out.stdout
            .contains("with length format \"<H\" (2-byte header)"),
        "{out}"
    );
}

#[test]
fn echo_client_says_why_a_server_closed_before_the_first_echo() {
    // The server reads "!I", the client writes its default "i": `hello` announces 80 MiB.
    let mut server = Running::example("echo_server", ["--addr", "127.0.0.1:0", "--format", "!I"]);
    let addr = server.wait_listening().to_string();
    let out = run_example(
        "echo_client",
        &["--addr", &addr, "--messages-hex", "68656c6c6f"],
        TIMEOUT,
    );
    out.assert_code(3);
    assert!(out.stderr.starts_with("error: the server "), "{out}");
    for needle in [
        "after 0 of 1 echoes",
        "without answering the first frame (5 bytes)",
        "--format (\"i\" here)",
    ] {
        assert!(out.stderr.contains(needle), "no {needle:?} in:\n{out}");
    }
    // The server's log has the layout hint.
    server.wait_for_stderr("read as \"<I\" the same bytes give a 5-byte payload");
}

#[test]
fn echo_client_demo_mode_against_a_separate_server() {
    let mut server = Running::example("echo_server", ["--addr", "127.0.0.1:0", "--format", "<H"]);
    let addr = server.wait_listening().to_string();
    let out = run_example("echo_client", &["--addr", &addr, "--format", "<H"], TIMEOUT);
    out.assert_success();
    // 100 KiB does not fit a 2-byte length: skipped with a note, not sent.
    assert!(out.stdout.contains("skip  100 KiB"), "{out}");
    assert!(out.stdout.contains("all echoes identical"), "{out}");
}

#[test]
fn echo_client_reports_a_refused_connection() {
    // Bind then drop a listener: nothing listens on that port any more.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let out = run_example(
        "echo_client",
        &["--addr", &addr, "--messages-hex", "00"],
        TIMEOUT,
    );
    out.assert_code(3);
    assert!(out.stderr.contains("cannot connect"), "{out}");
}

#[test]
fn echo_server_refuses_a_bad_format() {
    let out = run_example(
        "echo_server",
        &["--addr", "127.0.0.1:0", "--format", "x"],
        TIMEOUT,
    );
    out.assert_code(2);
    assert!(out.stderr.contains("\"x\""), "{out}");
}

/// Sends `msg` and checks the echo.
fn assert_echoes(
    reader: &mut FrameReader<TcpStream>,
    writer: &mut FrameWriter<TcpStream>,
    msg: &[u8],
) {
    writer.write_frame(msg).unwrap();
    writer.flush().unwrap();
    let echo = reader
        .read_frame()
        .unwrap()
        .expect("an echo, not end of stream");
    assert_eq!(echo, msg);
}

/// Opens a client connection: a frame reader and writer over it.
fn client(addr: SocketAddr, codec: Codec) -> (FrameReader<TcpStream>, FrameWriter<TcpStream>) {
    let stream = connect(addr, TIMEOUT);
    (
        FrameReader::with_codec(stream.try_clone().unwrap(), codec),
        FrameWriter::with_codec(stream, codec),
    )
}

/// Whether a read error means the peer closed the connection abruptly.
fn hung_up(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
    )
}

/// Sends raw bytes, optionally half-closes, and checks that the server hangs up.
fn misbehave(addr: SocketAddr, bytes: &[u8], close_after: bool) {
    let mut bad = connect(addr, TIMEOUT);
    bad.write_all(bytes).unwrap();
    if close_after {
        // The abrupt end: the server sees end of stream inside a frame.
        bad.shutdown(Shutdown::Write).unwrap();
    }
    let mut buf = [0; 64];
    match bad.read(&mut buf) {
        Ok(0) => {}
        Err(err) if hung_up(&err) => {}
        other => panic!("the server should hang up on {bytes:?}, got {other:?}"),
    }
}

#[test]
fn echo_server_drops_misbehaving_clients_and_keeps_serving_others() {
    let mut server = Running::example("echo_server", ["--addr", "127.0.0.1:0", "--max", "1024"]);
    let addr = server.wait_listening();
    let codec = Codec::builder().max_frame_len(1024).build().unwrap();

    // Two good clients: one active, one idle while others are served (a thread per client).
    let (mut r1, mut w1) = client(addr, codec);
    let (mut r2, mut w2) = client(addr, codec);
    assert_echoes(&mut r1, &mut w1, b"first");

    misbehave(addr, &(-1i32).to_le_bytes(), false);
    server.wait_for_stderr("negative length");
    assert_echoes(&mut r1, &mut w1, b"after a negative length");

    misbehave(addr, &1025i32.to_le_bytes(), false);
    server.wait_for_stderr("over the maximum of 1024 bytes");
    assert_echoes(&mut r1, &mut w1, &[9; 1024]);

    let half_frame = [&100i32.to_le_bytes()[..], &[1; 10]].concat();
    misbehave(addr, &half_frame, true);
    server.wait_for_stderr("104 bytes were expected (header and payload) and only 14 arrived");

    misbehave(addr, &[5, 0], true);
    server.wait_for_stderr("only 2 arrived");

    // A client that vanishes mid-frame without a goodbye.
    {
        let mut gone = connect(addr, TIMEOUT);
        gone.write_all(&[50, 0, 0, 0, 1, 2, 3]).unwrap();
    }
    server.wait_for_stderr("only 7 arrived");

    assert_echoes(&mut r1, &mut w1, b"");
    assert_echoes(&mut r2, &mut w2, b"the idle client is still served");
    assert_echoes(&mut r1, &mut w1, b"last");

    // A clean goodbye between frames is logged as such.
    drop((r1, w1));
    server.wait_for_stderr("closed after 5 frame(s)");
    let errors = server.stderr().matches("protocol error").count();
    assert_eq!(errors, 5, "{}", server.stderr());
}

/// Reads one frame in the default format from a raw stream.
fn read_raw_frame(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut header = [0; 4];
    stream.read_exact(&mut header)?;
    let mut payload = vec![0; i32::from_le_bytes(header) as usize];
    stream.read_exact(&mut payload)?;
    Ok(payload)
}

#[test]
fn echo_server_serve_caps_clients_and_stops_cleanly_on_sigterm() {
    let mut server = Running::example(
        "echo_server",
        ["serve", "--addr", "127.0.0.1:0", "--max-clients", "2"],
    );
    let addr = server.wait_listening();
    let codec = Codec::default();
    let (mut r1, mut w1) = client(addr, codec);
    assert_echoes(&mut r1, &mut w1, b"one");
    let second = connect(addr, TIMEOUT);
    server.wait_for_stderr_times("connected", 2);

    // A third is one too many: closed at once, with the reason in the log.
    let mut third = connect(addr, TIMEOUT);
    assert!(closed(&mut third), "the third client was not refused");
    server.wait_for_stderr("refused: 2 clients connected, the most --max-clients allows");

    // The second leaves: its place comes back.
    second.shutdown(Shutdown::Write).unwrap();
    server.wait_for_stderr("closed after 0 frame(s)");
    let mut in_flight = connect(addr, TIMEOUT);
    in_flight.write_all(&frame(b"in flight")[..6]).unwrap();
    server.wait_for_stderr_times("connected", 3);

    // SIGTERM: the client between frames is closed at once, the frame in flight finishes and
    // is echoed, and new clients are refused.
    server.terminate();
    server.wait_for_stderr("shutting down");
    assert!(
        matches!(r1.read_frame(), Ok(None)),
        "the idle client was not closed"
    );
    assert!(
        TcpStream::connect(addr).is_err(),
        "a client was accepted after SIGTERM"
    );
    in_flight.write_all(&frame(b"in flight")[6..]).unwrap();
    assert_eq!(read_raw_frame(&mut in_flight).unwrap(), b"in flight");
    assert!(closed(&mut in_flight));

    let out = server.finish(TIMEOUT);
    out.assert_success();
    let summary = summary(&out.stdout);
    assert!(
        summary.starts_with("echo_server stopped: served 3 connections; 2 frames in (12 bytes)"),
        "{out}"
    );
    assert!(
        summary.contains("refused 1 connections (1 over --max-clients 2); "),
        "{out}"
    );
    assert!(
        summary.ends_with("0 cut off by the shutdown, 0 still open"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("closed by the shutdown after 1 frame(s)"),
        "{out}"
    );
}

#[test]
fn echo_server_closes_idle_and_trickling_clients() {
    let mut server = Running::example(
        "echo_server",
        ["--addr", "127.0.0.1:0", "--idle-timeout", "1"],
    );
    let addr = server.wait_listening();
    let mut silent = connect(addr, TIMEOUT);
    // A slow loris: a byte of a 100-byte frame every 200 ms, never silent for a second.
    let mut trickler = connect(addr, TIMEOUT);
    let trickle = std::thread::spawn(move || {
        let wire = frame(&[b'x'; 100]);
        for byte in &wire {
            if trickler.write_all(std::slice::from_ref(byte)).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        closed(&mut trickler)
    });
    // A client that keeps talking is served throughout.
    let (mut reader, mut writer) = client(addr, Codec::default());
    for i in 0..15 {
        assert_echoes(&mut reader, &mut writer, format!("busy {i}").as_bytes());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(closed(&mut silent), "the silent client was not closed");
    assert!(
        trickle.join().unwrap(),
        "the trickling client was not closed"
    );
    server.wait_for_stderr("idle: nothing received for 1 s");
    server.wait_for_stderr("stalled: a frame still unfinished after 1 s");
    assert_echoes(&mut reader, &mut writer, b"still served");
}

#[test]
fn echo_server_cuts_off_a_frame_stalled_past_the_grace_period() {
    let mut server = Running::example("echo_server", ["serve", "--addr", "127.0.0.1:0"]);
    let addr = server.wait_listening();
    let mut stalled = connect(addr, TIMEOUT);
    stalled.write_all(&frame(b"never finished")[..7]).unwrap();
    server.wait_for_stderr("connected");
    server.terminate();
    // It waits out the grace period for the frame, then closes the connection and exits.
    assert!(closed(&mut stalled));
    let out = server.finish(TIMEOUT);
    out.assert_success();
    assert!(
        summary(&out.stdout).ends_with("1 cut off by the shutdown, 0 still open"),
        "{out}"
    );
    assert!(out.stderr.contains("this frame did not finish"), "{out}");
}

/// The listen backlog of the listening socket on `port`, as `ss` shows it (Send-Q).
fn listen_backlog(port: u16) -> u32 {
    let out = std::process::Command::new("ss")
        .args(["-ltnH", &format!("sport = :{port}")])
        .output()
        .expect("this test reads the backlog with `ss` (iproute2)");
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(fields.first(), Some(&"LISTEN"), "ss said: {text}");
    fields[2].parse().unwrap()
}

#[test]
fn example_servers_listen_with_the_backlog_asked_for() {
    // The default is 1024, more than std's fixed 128 (on Linux, net.core.somaxconn caps it).
    let somaxconn: u32 = fs::read_to_string("/proc/sys/net/core/somaxconn")
        .map(|s| s.trim().parse().unwrap())
        .unwrap_or(u32::MAX);
    for (args, expected) in [
        (vec!["serve", "--addr", "127.0.0.1:0"], 1024),
        (
            vec!["serve", "--addr", "127.0.0.1:0", "--backlog", "300"],
            300,
        ),
    ] {
        let mut server = Running::example("echo_server", &args);
        let port = server.wait_listening().port();
        assert_eq!(listen_backlog(port), expected.min(somaxconn), "{args:?}");
    }
    let tmp = TempDir::new("backlog");
    let mut cmd = example_runner::example("file_transfer");
    cmd.args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--backlog",
        "200",
        "--dir",
    ])
    .arg(tmp.path());
    let mut server = Running::spawn(cmd);
    let port = server.wait_listening().port();
    assert_eq!(listen_backlog(port), 200.min(somaxconn));
    let mut chat = Running::example(
        "chat",
        ["server", "--addr", "127.0.0.1:0", "--backlog", "150"],
    );
    let port = chat.wait_listening().port();
    assert_eq!(listen_backlog(port), 150.min(somaxconn));
}

#[test]
fn example_servers_say_what_is_wrong_in_plain_words() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    for (name, args) in [
        ("echo_server", vec!["serve", "--addr", &addr]),
        ("chat", vec!["server", "--addr", &addr]),
    ] {
        let out = run_example(name, &args, TIMEOUT);
        out.assert_code(1);
        assert!(
            out.stderr
                .starts_with(&format!("error: cannot listen on {addr}: ")),
            "{out}"
        );
        assert!(!out.stderr.contains("Error: \""), "{out}");
    }
    let out = run_example("echo_server", &["serve", "--idle-timeout", "soon"], TIMEOUT);
    out.assert_code(2);
    assert!(
        out.stderr.contains("expected a positive number of seconds"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// chat

#[test]
fn chat_demo_delivers_every_message_to_the_others() {
    let out = run_example("chat", &[], DEMO_TIMEOUT);
    out.assert_success();
    let s = &out.stdout;
    assert!(
        s.contains("alice sees:  * welcome, alice; nobody else is here yet"),
        "{out}"
    );
    assert!(
        s.contains("carol sees:  * welcome, carol; online: alice, bob"),
        "{out}"
    );
    assert_eq!(s.matches("[alice] hi all").count(), 2, "{out}");
    assert_eq!(s.matches("[bob] hello alice!").count(), 2, "{out}");
    assert_eq!(s.matches("[carol] one message,").count(), 2, "{out}");
    assert_eq!(s.matches("* carol left").count(), 2, "{out}");
    assert!(s.contains("  bob sees:  * alice left"), "{out}");
}

#[test]
fn chat_server_and_clients_as_separate_programs() {
    let mut server = Running::example("chat", ["server", "--addr", "127.0.0.1:0"]);
    let addr = server.wait_listening().to_string();

    let mut bob = Running::example("chat", ["client", "--name", "bob", "--addr", &addr]);
    bob.wait_for_line("* welcome, bob; nobody else is here yet");
    let mut alice = Running::example("chat", ["client", "--name", "alice", "--addr", &addr]);
    alice.wait_for_line("* welcome, alice; online: bob");
    bob.wait_for_line("* alice joined");

    let stdin = alice.stdin.as_mut().unwrap();
    stdin.write_all(b"hello bob\n\nhow are you?\n").unwrap();
    stdin.flush().unwrap();
    bob.wait_for_line("[alice] hello bob");
    bob.wait_for_line("[alice] how are you?");
    bob.stdin
        .as_mut()
        .unwrap()
        .write_all(b"fine, thanks\n")
        .unwrap();
    alice.wait_for_line("[bob] fine, thanks");

    // A name already in the room is refused, with a message and a failing exit status.
    let impostor = run_example(
        "chat",
        &["client", "--name", "bob", "--addr", &addr],
        TIMEOUT,
    );
    impostor.assert_code(1);
    assert!(
        impostor
            .stdout
            .contains("* error: the name \"bob\" is taken"),
        "{impostor}"
    );

    // Ending stdin leaves the room; the others are told.
    alice.finish(TIMEOUT).assert_success();
    bob.wait_for_line("* alice left");
    let bob = bob.finish(TIMEOUT);
    bob.assert_success();
    assert!(
        !bob.stdout.contains("[bob]"),
        "bob was sent his own message:\n{bob}"
    );
    server.wait_for_stderr("bob left");
}

#[test]
fn chat_room_turns_away_a_client_past_the_cap_and_clients_notice_the_shutdown() {
    let mut server = Running::example(
        "chat",
        ["server", "--addr", "127.0.0.1:0", "--max-clients", "1"],
    );
    let addr = server.wait_listening().to_string();
    let mut bob = Running::example("chat", ["client", "--name", "bob", "--addr", &addr]);
    bob.wait_for_line("* welcome, bob");
    // The hint goes to stderr, which may arrive after the welcome on stdout.
    bob.wait_for_stderr("Ctrl-D leaves");

    let alice = run_example(
        "chat",
        &["client", "--name", "alice", "--addr", &addr],
        TIMEOUT,
    );
    alice.assert_code(1);
    assert!(
        alice
            .stdout
            .contains("* error: the room is full (1 members"),
        "{alice}"
    );

    // SIGTERM: bob is told, and his client says so and exits by itself, stdin still open.
    server.terminate();
    bob.wait_for_line("* the server is shutting down");
    bob.wait_for_stderr("the server closed the connection");
    let stdin = bob.stdin.take();
    let bob = bob.finish(TIMEOUT);
    drop(stdin);
    bob.assert_code(1);
    let out = server.finish(TIMEOUT);
    out.assert_success();
    assert!(
        summary(&out.stdout).contains("served 1 connections; 1 frames in (3 bytes)"),
        "{out}"
    );
    assert!(
        summary(&out.stdout).contains("(1 over --max-clients 1"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// async_chat

#[cfg(feature = "tokio")]
#[test]
fn async_chat_summary_says_nothing_of_threads() {
    let out = run_example("async_chat", &[], DEMO_TIMEOUT);
    out.assert_success();
    let summary = summary(&out.stdout);
    assert!(summary.starts_with("async_chat stopped: served "), "{out}");
    assert!(!summary.contains("thread"), "{summary}");
}

// ---------------------------------------------------------------------------------------------
// file_transfer

#[test]
fn file_transfer_demo_round_trips_a_file() {
    let out = run_example("file_transfer", &[], DEMO_TIMEOUT);
    out.assert_success();
    assert!(
        out.stdout.contains("the copy is identical to the original"),
        "{out}"
    );
    assert!(
        out.stdout.contains("no such file: \"missing.bin\""),
        "{out}"
    );
    assert_eq!(out.stdout.matches("refused name").count(), 3, "{out}");
}

/// Starts `file_transfer serve` on an ephemeral port.
fn serve_dir(dir: &std::path::Path) -> Running {
    let mut cmd = example_runner::example("file_transfer");
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--dir"])
        .arg(dir);
    Running::spawn(cmd)
}

/// Runs the file_transfer client with these arguments.
fn transfer(args: &[&str]) -> example_runner::Finished {
    run_example("file_transfer", args, TIMEOUT)
}

#[test]
fn file_transfer_moves_a_multi_mib_file_both_ways() {
    let tmp = TempDir::new("file-transfer");
    let served = tmp.path().join("served");
    fs::create_dir(&served).unwrap();
    let original = tmp.path().join("big.bin");
    let data = pseudo_random(5 * 1024 * 1024 + 7, 42);
    fs::write(&original, &data).unwrap();

    let mut server = serve_dir(&served);
    let addr = server.wait_listening().to_string();

    let up = transfer(&["upload", original.to_str().unwrap(), "--addr", &addr]);
    up.assert_success();
    assert!(up.stdout.contains("5242887 bytes"), "{up}");
    assert!(
        fs::read(served.join("big.bin")).unwrap() == data,
        "the uploaded file differs"
    );

    let copy = tmp.path().join("copy.bin");
    let down = transfer(&[
        "download",
        "big.bin",
        "--out",
        copy.to_str().unwrap(),
        "--addr",
        &addr,
    ]);
    down.assert_success();
    assert!(
        fs::read(&copy).unwrap() == data,
        "the downloaded file differs"
    );

    // An empty file is a file too.
    fs::write(served.join("empty.txt"), b"").unwrap();
    let empty = tmp.path().join("empty-copy.txt");
    transfer(&[
        "download",
        "empty.txt",
        "--out",
        empty.to_str().unwrap(),
        "--addr",
        &addr,
    ])
    .assert_success();
    assert_eq!(fs::read(&empty).unwrap(), b"");

    // Nothing was left behind in the served directory but the two files.
    let mut names: Vec<_> = fs::read_dir(&served)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["big.bin", "empty.txt"]);
}

#[test]
fn file_transfer_download_keeps_an_existing_file_unless_forced() {
    let tmp = TempDir::new("file-transfer-force");
    let served = tmp.path().join("served");
    fs::create_dir(&served).unwrap();
    fs::write(served.join("new.txt"), b"from the server").unwrap();
    let mut server = serve_dir(&served);
    let addr = server.wait_listening().to_string();

    let out = tmp.path().join("mine.txt");
    fs::write(&out, b"my own work").unwrap();
    let download = |force: &[&str]| {
        let mut args = vec!["download", "new.txt", "--out", out.to_str().unwrap()];
        args.extend_from_slice(force);
        // Options before the subcommand are accepted too.
        transfer(&[&["--addr", &addr][..], &args].concat())
    };
    let refused = download(&[]);
    refused.assert_code(3);
    assert!(
        refused.stderr.starts_with("error: ") && refused.stderr.contains("--force"),
        "{refused}"
    );
    assert_eq!(fs::read(&out).unwrap(), b"my own work");
    assert!(!tmp.path().join("mine.txt.part").exists());

    download(&["--force"]).assert_success();
    assert_eq!(fs::read(&out).unwrap(), b"from the server");
}

#[test]
fn file_transfer_refuses_names_outside_the_directory_and_says_no_such_file() {
    let tmp = TempDir::new("file-transfer-refusals");
    let served = tmp.path().join("served");
    fs::create_dir(&served).unwrap();
    fs::write(tmp.path().join("secret.txt"), b"not for you").unwrap();
    fs::create_dir(served.join("sub")).unwrap();
    fs::write(served.join("sub").join("x"), b"in a subdirectory").unwrap();

    let mut server = serve_dir(&served);
    let addr = server.wait_listening().to_string();
    let out_path = tmp.path().join("out.bin");
    let out = out_path.to_str().unwrap();

    let escape = served.join("..").join("secret.txt");
    for name in [
        "../secret.txt",
        "..",
        "sub/../../secret.txt",
        "sub/x",
        "..\\secret.txt",
        escape.to_str().unwrap(),
        "/etc/passwd",
        ".hidden",
    ] {
        let res = transfer(&["download", name, "--out", out, "--addr", &addr]);
        res.assert_code(1);
        assert!(
            res.stderr.contains("the server refused: refused name"),
            "{name}: {res}"
        );
        assert!(!out_path.exists(), "{name}: an output file was created");
        assert!(
            !tmp.path().join("out.bin.part").exists(),
            "{name}: a .part file was left"
        );
    }

    let missing = transfer(&["download", "missing.bin", "--out", out, "--addr", &addr]);
    missing.assert_code(1);
    assert!(
        missing
            .stderr
            .contains("the server refused: no such file: \"missing.bin\""),
        "{missing}"
    );
    let dir = transfer(&["download", "sub", "--out", out, "--addr", &addr]);
    dir.assert_code(1);
    assert!(dir.stderr.contains("not a regular file"), "{dir}");

    // Uploads under an escaping name are refused before any data is sent.
    let local = tmp.path().join("local.txt");
    fs::write(&local, b"payload").unwrap();
    for name in ["../escape.txt", "/tmp/escape.txt", "sub/y"] {
        let res = transfer(&[
            "upload",
            local.to_str().unwrap(),
            "--name",
            name,
            "--addr",
            &addr,
        ]);
        res.assert_code(1);
        assert!(res.stderr.contains("refused name"), "{name}: {res}");
    }
    assert!(!tmp.path().join("escape.txt").exists());
    assert!(!served.join("sub").join("y").exists());
    server.wait_for_stderr("refused");
}

#[test]
fn file_transfer_shutdown_never_leaves_a_partial_upload() {
    let tmp = TempDir::new("file-transfer-shutdown");
    let mut server = serve_dir(tmp.path());
    let addr = server.wait_listening();
    let codec = Codec::from_struct_format("<q").unwrap();
    let (mut reader, mut writer) = client(addr, codec);
    writer.write_frame(b"PUT 1000000 big.bin").unwrap();
    writer.flush().unwrap();
    assert_eq!(&reader.read_frame().unwrap().unwrap()[..], b"READY");
    // Half the file, then nothing: the upload is in flight when SIGTERM comes.
    let mut stream = writer.into_inner().unwrap();
    stream.write_all(&1_000_000i64.to_le_bytes()).unwrap();
    stream.write_all(&vec![7; 500_000]).unwrap();
    server.terminate();
    let out = server.finish(TIMEOUT);
    out.assert_success();
    assert!(
        summary(&out.stdout).ends_with("1 cut off by the shutdown, 0 still open"),
        "{out}"
    );
    let left: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
    assert!(
        left.is_empty(),
        "the served directory holds {left:?}\n{out}"
    );
}

#[test]
fn file_transfer_server_answers_busy_past_the_cap() {
    let tmp = TempDir::new("file-transfer-busy");
    let mut cmd = example_runner::example("file_transfer");
    cmd.args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--max-clients",
        "1",
        "--dir",
    ])
    .arg(tmp.path());
    let mut server = Running::spawn(cmd);
    let addr = server.wait_listening();
    // Connected first, so accepted (and admitted) first.
    let _holder = connect(addr, TIMEOUT);
    let out_path = tmp.path().join("x.bin");
    let refused = transfer(&[
        "download",
        "x",
        "--out",
        out_path.to_str().unwrap(),
        "--addr",
        &addr.to_string(),
    ]);
    refused.assert_code(1);
    assert!(
        refused
            .stderr
            .contains("the server refused: server busy: 1 clients connected"),
        "{refused}"
    );
}

#[test]
fn file_transfer_server_cuts_off_an_oversized_request() {
    let tmp = TempDir::new("file-transfer-oversized");
    let mut server = serve_dir(tmp.path());
    let addr = server.wait_listening();

    // A "request" announcing 8 GiB (under the 64 GiB upload limit, so the codec lets it through):
    // the server must not wait for all of it, or buffer it.
    let mut stream = connect(addr, TIMEOUT);
    stream.write_all(&(1i64 << 33).to_le_bytes()).unwrap();
    stream.write_all(&[b'G'; 8192]).unwrap();
    let mut buf = [0; 64];
    match stream.read(&mut buf) {
        Ok(0) => {}
        Err(err) if hung_up(&err) => {}
        other => panic!("the server should hang up, got {other:?}"),
    }
    server.wait_for_stderr("over the maximum of 4096 bytes");

    // And a well-formed request still works on a new connection.
    let codec = Codec::from_struct_format("<q").unwrap();
    let (mut reader, mut writer) = client(addr, codec);
    writer.write_frame(b"GET nothing-here").unwrap();
    writer.flush().unwrap();
    let reply = reader.read_frame().unwrap().unwrap();
    assert_eq!(&reply[..], b"ERR no such file: \"nothing-here\"");
}
