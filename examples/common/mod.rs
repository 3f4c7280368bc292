//! What the examples share. Not an example itself: each example includes it with `mod common;`.
//! The helpers in this file know nothing of the wire format (that is lenframe's job); [`cli`]
//! holds the command lines, [`chat`] the protocol of the two chat examples.

// Each example uses a different subset of these helpers.
#![allow(dead_code)]

pub mod chat;
pub mod cli;

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A listener on loopback with a port the OS picks, for the demos: it never collides with a
/// server already running on 8989 or with another demo running at the same time.
pub fn loopback_listener() -> io::Result<TcpListener> {
    TcpListener::bind("127.0.0.1:0")
}

/// Prints `listening on ADDR` on stdout and flushes it, so a parent process (a test, a script)
/// reading our stdout learns the real port even when we bound port 0.
pub fn announce(listener: &TcpListener) -> io::Result<()> {
    let addr = listener.local_addr()?;
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
