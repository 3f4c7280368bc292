//! A client's socket in a thread-per-client server, read in short ticks so that its thread
//! notices a stalled client or a shutdown without losing a byte.
//!
//! A blocking read has no way to be told "stop": the thread waits until bytes come. So the
//! socket gets a short read timeout ([`TICK`]) and [`ClientSocket`]'s `read` waits tick after
//! tick, checking its clocks in between. This leans on a promise of lenframe's blocking
//! reader: a read that fails with `WouldBlock` or `TimedOut` (what a socket read timeout
//! returns on Unix and Windows) loses nothing, and the next call continues the same frame. The
//! ticks here never even reach the reader; only a verdict does:
//!
//! - **idle**: no byte for the silence limit while the server waits for one: `TimedOut`;
//! - **stalled**: a frame begun longer ago than the frame limit and not finished (a client
//!   that trickles a byte now and then, slow-loris style): `TimedOut`;
//! - **shutdown, between frames**: `Ok(0)`, which the reader takes for a clean end of stream;
//! - **shutdown, inside a frame**: nothing until the grace period ends, then `TimedOut`.
//!
//! The server calls [`frame_done`](ClientSocket::frame_done) after each frame, so the socket
//! knows where frames end. Writes go to a clone of the socket with a write timeout instead: a
//! client that stops reading makes the server's write fail after the silence limit.

use std::io::{self, Read};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::human_duration;
use super::server::Server;

/// How often a waiting client thread wakes to look at its clocks and at the server. A shorter
/// tick closes idle clients sooner on shutdown and costs more wake-ups while idle.
pub const TICK: Duration = Duration::from_millis(250);

/// A client's socket, read with clocks. See the [module docs](self).
pub struct ClientSocket {
    stream: TcpStream,
    server: Arc<Server>,
    silence_limit: Option<Duration>,
    frame_limit: Option<Duration>,
    last_byte: Instant,
    /// When the frame being received began; `None` between frames.
    frame_began: Option<Instant>,
    cut_off: bool,
}

impl ClientSocket {
    /// Sets the socket's read timeout to [`TICK`] and its write timeout to `limit`, and both
    /// limits to `limit`.
    pub fn new(stream: TcpStream, server: Arc<Server>, limit: Duration) -> io::Result<Self> {
        stream.set_read_timeout(Some(TICK))?;
        stream.set_write_timeout(Some(limit))?;
        Ok(ClientSocket {
            stream,
            server,
            silence_limit: Some(limit),
            frame_limit: Some(limit),
            last_byte: Instant::now(),
            frame_began: None,
            cut_off: false,
        })
    }

    /// The socket, for writing (through a `try_clone`) or to shut it down.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// How long the client may send nothing while the server waits; `None`: forever.
    pub fn set_silence_limit(&mut self, limit: Option<Duration>) {
        self.silence_limit = limit;
    }

    /// How long a frame may take from its first byte to its last; `None`: any time (a big
    /// upload), as long as the silence limit is kept.
    pub fn set_frame_limit(&mut self, limit: Option<Duration>) {
        self.frame_limit = limit;
    }

    /// Call after each complete frame, saying whether the reader's `buffer()` holds bytes of
    /// the next one: if not, the client is between frames.
    pub fn frame_done(&mut self, next_begun: bool) {
        self.frame_began = next_begun.then(Instant::now);
    }

    /// The verdict on a client that has kept the server waiting since `waiting` until `now`.
    fn check(&mut self, waiting: Instant, now: Instant) -> io::Result<()> {
        let timed_out = |what: String| Err(io::Error::new(io::ErrorKind::TimedOut, what));
        if self.server.stop_deadline().is_some_and(|end| now >= end) {
            if !self.cut_off {
                self.cut_off = true;
                self.server.cut_off();
            }
            return timed_out("the server is shutting down and this frame did not finish".into());
        }
        if let (Some(limit), Some(began)) = (self.frame_limit, self.frame_began) {
            if now - began >= limit {
                return timed_out(format!(
                    "stalled: a frame still unfinished after {}",
                    human_duration(limit)
                ));
            }
        }
        if let Some(limit) = self.silence_limit {
            if now - self.last_byte.max(waiting) >= limit {
                return timed_out(format!(
                    "idle: nothing received for {}",
                    human_duration(limit)
                ));
            }
        }
        Ok(())
    }
}

impl Read for ClientSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let waiting = Instant::now();
        loop {
            let result = self.stream.read(buf);
            let now = Instant::now();
            match result {
                Ok(n) => {
                    if n > 0 {
                        self.last_byte = now;
                        self.frame_began.get_or_insert(now);
                    }
                    self.check(waiting, now)?;
                    return Ok(n);
                }
                // A tick (WouldBlock on Unix, TimedOut on Windows).
                Err(err) if super::is_timeout(&err) => {
                    if self.server.is_stopping() && self.frame_began.is_none() {
                        return Ok(0);
                    }
                    self.check(waiting, now)?;
                }
                Err(err) => return Err(err),
            }
        }
    }
}
