//! What the examples share. Not an example itself: each example includes it with `mod common;`.
//! The helpers in this file know nothing of the wire format (that is lenframe's job); [`cli`]
//! holds the command lines, [`chat`] the protocol of the two chat examples, [`server`] and
//! [`client_socket`] what keeps the example servers up.

// Each example uses a different subset of these helpers.
#![allow(dead_code, unused_imports, unused_macros)]

use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

/// Writes one log line (see [`log_line`]).
macro_rules! log {
    ($($arg:tt)*) => {
        $crate::common::log_line(format_args!($($arg)*))
    };
}
pub(crate) use log;

pub mod chat;
pub mod cli;
pub mod client_socket;
pub mod server;

/// Where [`log!`] lines go.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum LogTo {
    /// stderr: a server run by hand.
    Stderr,
    /// stdout, indented and marked `server:`: a demo telling its story in order.
    Demo,
    /// Nowhere: a demo that tells its own story.
    Off,
}

static LOG_TO: AtomicU8 = AtomicU8::new(LogTo::Stderr as u8);

/// Sends the [`log!`] lines of this process to `to`.
pub fn log_to(to: LogTo) {
    LOG_TO.store(to as u8, Ordering::Relaxed);
}

/// Writes `line` and a newline in one `write` call, so that lines from several threads (and
/// the demos' own output) never cut into each other.
pub fn log_line(line: fmt::Arguments<'_>) {
    let to = LOG_TO.load(Ordering::Relaxed);
    if to == LogTo::Off as u8 {
        return;
    }
    if to == LogTo::Demo as u8 {
        let line = format!("      server: {line}\n");
        let _ = io::stdout().lock().write_all(line.as_bytes());
    } else {
        let line = format!("{line}\n");
        let _ = io::stderr().lock().write_all(line.as_bytes());
    }
}

/// A listener on loopback with a port the OS picks, for the demos: it never collides with a
/// server already running on 8989 or with another demo running at the same time.
pub fn loopback_listener() -> io::Result<TcpListener> {
    TcpListener::bind("127.0.0.1:0")
}

/// Prints `listening on ADDR` on stdout and flushes it, so a parent process (a test, a script)
/// reading our stdout learns the real port even when we bound port 0.
pub fn announce(listener: &TcpListener) -> io::Result<()> {
    announce_addr(listener.local_addr()?)
}

/// [`announce`] for any listener's address.
pub fn announce_addr(addr: SocketAddr) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "listening on {addr}")?;
    out.flush()
}

/// Space-separated lowercase hex, for showing bytes on the wire.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A short, printable description of a payload: `"aaa"` for short text, otherwise its length
/// and first bytes.
pub fn describe(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if bytes.len() <= 40 && !text.chars().any(char::is_control) => {
            format!("{text:?}")
        }
        _ => {
            let shown = &bytes[..bytes.len().min(8)];
            let more = if bytes.len() > shown.len() {
                " ..."
            } else {
                ""
            };
            format!("{} bytes [{}{more}]", bytes.len(), hex(shown))
        }
    }
}

/// Waits until at least `n` bytes are waiting in the socket's receive buffer, without taking
/// them (`peek`). Fails after `timeout`.
pub fn wait_for_bytes(stream: &TcpStream, n: usize, timeout: Duration) -> io::Result<()> {
    let deadline = Instant::now() + timeout;
    let old_timeout = stream.read_timeout()?;
    let mut buf = vec![0; n];
    let result = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        // A zero timeout is an error for set_read_timeout.
        stream.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
        let got = match stream.peek(&mut buf) {
            Ok(0) => {
                break Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the peer closed before sending {n} bytes"),
                ))
            }
            Ok(got) => got,
            Err(err) if is_timeout(&err) => 0,
            Err(err) => break Err(err),
        };
        if got >= n {
            break Ok(());
        }
        if Instant::now() >= deadline {
            break Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("waited {timeout:?} for {n} bytes, {got} arrived"),
            ));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    stream.set_read_timeout(old_timeout)?;
    result
}

/// Whether an error is a socket timeout (`WouldBlock` on Unix, `TimedOut` on Windows).
pub fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// "1.5 MiB", "300 KiB", "12 bytes".
pub fn human_bytes(n: u64) -> String {
    const KIB: f64 = 1024.0;
    let x = n as f64;
    if x >= KIB * KIB * KIB {
        format!("{:.2} GiB", x / (KIB * KIB * KIB))
    } else if x >= KIB * KIB {
        format!("{:.1} MiB", x / (KIB * KIB))
    } else if x >= KIB {
        format!("{:.1} KiB", x / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// "250 ms", "1.5 s", "60 s", "2 min 5 s": a duration for people.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        if ms % 1000 == 0 {
            format!("{} s", ms / 1000)
        } else {
            format!("{:.1} s", d.as_secs_f64())
        }
    } else {
        let s = d.as_secs();
        match (s / 60, s % 60) {
            (min, 0) => format!("{min} min"),
            (min, s) => format!("{min} min {s} s"),
        }
    }
}
