//! Unit tests of the futures-io reader and writer over scripted in-memory I/O
//! ([`test_io`](crate::test_io)), each call polled with a no-op waker: what the futures-io
//! shell asks of its reader, writer, destination and source (short reads and writes,
//! `Interrupted`, `Pending`, errors, the end) and what it returns. The tests are the ones the
//! tokio shell runs too (`test_io::async_shell_tests!`). The shared loops' own rules are
//! pinned in `engine/pump_tests.rs`.

use std::io::ErrorKind;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;

use super::{FrameReader, FrameWriter};
use crate::engine::ready::{noop_waker, poll_once};
use crate::test_io::{
    byte_len, data, drive, io_kind, long, long_frame, now, reads, writes, Call, Step,
};
use crate::Error;

crate::test_io::async_shell_tests!();
