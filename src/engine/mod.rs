//! The frame engine: every decision a frame reader or writer makes, with no I/O, and the one
//! loop that sequences those decisions for every runtime.
//!
//! - [`read`]: the read state (buffer, decoder, read sizing, long frames, the `copy_frame_to`
//!   state machine) and its step type `CopyStep`; [`read_sizing`] (what each read asks for,
//!   for every reader and for `Framed`), [`buffer`] (buffer shapes and give-back rules).
//! - [`write`]: the write state (buffer and queue, copy-or-write-through, gathered writes,
//!   give-back, the `copy_frame_from` state machine) and its step type `StreamStep`.
//! - [`pump`]: the loops that drive those steps through three small I/O traits. The tokio and
//!   futures-io adapters implement the traits with their runtime's polls; the blocking adapter
//!   implements them with `std::io` calls that are always ready, and runs the same loops with
//!   [`ready::run`].
//!
//! docs/architecture.md walks one frame through each adapter.

#[cfg(feature = "std")]
pub(crate) mod buffer;
#[cfg(feature = "tokio-util")]
pub(crate) mod framed_sizing;
pub(crate) mod head;
#[cfg(feature = "std")]
pub(crate) mod pump;
#[cfg(feature = "std")]
pub(crate) mod read;
#[cfg(feature = "std")]
pub(crate) mod read_sizing;
#[cfg(feature = "std")]
pub(crate) mod ready;
#[cfg(feature = "std")]
pub(crate) mod write;

#[cfg(feature = "std")]
/// The message of the error every writer returns when its inner writer accepts no bytes (a
/// write that returned 0).
pub(crate) const WRITE_ZERO: &str = "the writer accepted no bytes (write returned 0)";

/// The error every writer returns when its inner writer accepts no bytes.
#[cfg(feature = "std")]
#[cold]
pub(crate) fn write_zero() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::WriteZero, WRITE_ZERO)
}
