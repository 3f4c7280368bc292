//! Length-prefixed message framing for byte streams: the fix for TCP's "sticky packets" (黏包).
//!
//! TCP carries bytes, not messages. Three `send(b"aaa")` calls may arrive as one read of
//! `aaaaaaaaa`, and one large send may arrive in pieces. lenframe puts each payload's length in
//! front of it and splits the stream back into whole messages on the other side.
//!
//! # Getting started
//!
//! Most programs frame a TCP connection. With the blocking adapters (feature `std`, on by
//! default), wrap the stream in a `blocking::FrameReader` and a `blocking::FrameWriter`;
//! `&TcpStream` both reads and writes, so the two can share one stream:
//!
//! ```no_run
//! # #[cfg(feature = "std")]
//! # fn main() -> Result<(), lenframe::Error> {
//! use std::net::TcpStream;
//! use lenframe::blocking::{FrameReader, FrameWriter};
//!
//! let stream = TcpStream::connect("127.0.0.1:8989")?;
//! let mut reader = FrameReader::new(&stream);
//! let mut writer = FrameWriter::new(&stream);
//!
//! writer.send_frame(b"hello")?; // write the frame and flush: Python's sendall
//! while let Some(reply) = reader.read_frame()? {
//!     println!("got {} bytes", reply.len()); // one whole message, however TCP split it
//! }
//! // `None`: the peer closed the connection cleanly, between two frames.
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "std"))]
//! # fn main() {}
//! ```
//!
//! With tokio (feature `tokio`), split the stream with `into_split`, so one task can read while
//! another writes; `shutdown` flushes and ends the stream cleanly:
//!
//! ```no_run
//! # #[cfg(feature = "tokio")]
//! # #[tokio::main]
//! # async fn main() -> Result<(), lenframe::Error> {
//! use lenframe::tokio::{FrameReader, FrameWriter};
//! use tokio::net::TcpStream;
//!
//! let (read_half, write_half) = TcpStream::connect("127.0.0.1:8989").await?.into_split();
//! let mut reader = FrameReader::new(read_half);
//! let mut writer = FrameWriter::new(write_half);
//!
//! writer.send_frame(b"hello").await?;
//! if let Some(reply) = reader.read_frame().await? {
//!     println!("got {} bytes", reply.len());
//! }
//! writer.shutdown().await?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "tokio"))]
//! # fn main() {}
//! ```
//!
//! Coming from tokio-util (feature `tokio-util`)? Change the import line:
//! `use lenframe::tokio_util::{length_delimited, LengthDelimitedCodec};` is tokio-util's codec,
//! with its builder, defaults and error kinds, on lenframe's decoder. For lenframe's own
//! settings in `Framed`, use `FramedCodec`:
//! `Framed::new(io, FramedCodec::new(Codec::from_struct_format("!I")?))`.
//!
//! Underneath, the I/O-free core does the framing, and can be used directly: with a buffer of
//! your own, in `no_std` code, or in an event loop that reads the socket itself. However the
//! bytes were split or glued on the way, the decoder gives back the messages:
//!
//! ```
//! use bytes::BytesMut;
//! use lenframe::Codec;
//!
//! let codec = Codec::default();
//! let mut wire = BytesMut::new();
//! for msg in [&b"aaa"[..], b"aaa", b"aaa"] {
//!     codec.encoder().encode(msg, &mut wire)?;
//! }
//! // The three frames sit glued in one buffer, as one TCP read may return them.
//! let mut decoder = codec.decoder();
//! let mut frames = Vec::new();
//! while let Some(frame) = decoder.decode(&mut wire)? {
//!     frames.push(frame);
//! }
//! assert_eq!(frames, [&b"aaa"[..], b"aaa", b"aaa"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The examples (`cargo run --example basics`, `tcp_blocking`, `tcp_tokio`, `framed`,
//! `stream_file`, and `sticky_packets` to see the problem itself) are short programs to read
//! from top to bottom.
//!
//! # Wire format
//!
//! The default header is 4 bytes, signed, little-endian: exactly Python's
//! `struct.pack('i', len(payload))` on x86-64 and ARM64.
//!
//! ```text
//! +----------------------+---------------------------+
//! | length: 4 bytes      | payload: `length` bytes   |
//! | i32, little-endian   |                           |
//! +----------------------+---------------------------+
//!
//! "aaa"  -->  | 03 00 00 00 | 61 61 61 |
//! ```
//!
//! Every other common layout is a setting, named by the struct format string a Python peer uses
//! (`"!I"`, `"<H"`, `"q"`, see [`LengthField::from_struct_format`]), any width from 1 to 8 bytes
//! ([`LengthField::fixed`]: MySQL's 3-byte length), or an unsigned LEB128 varint as protobuf
//! writes it ([`LengthField::VARINT`]). [`CodecBuilder`] adds a maximum frame
//! length, a length adjustment, bytes before the length field and whether decoded frames keep
//! their header; and, for links that corrupt bytes (UART, RS-485, radio: u-blox UBX, RTCM 3,
//! MAVLink), sync bytes, a length bit range and a [`Checksum`] trailer, with which the decoder
//! drops bad frames and resynchronises at the next sync ([`FrameDecoder::dropped_bytes`]).
//! The CRCs need the `checksum` feature (the `crc` crate, `no_std`); `checksum-simd` (std only)
//! computes CRC-32 and CRC-32C with the `crc-fast` crate's SIMD code instead, the same bytes on
//! the wire at a fraction of the cost on big frames.
//!
//! # Layers
//!
//! - The core, [`Codec`] (settings), [`FrameDecoder`] and [`FrameEncoder`], does no I/O and builds without
//!   `std`, and without an allocator: [`Codec::decode_slice`] and [`FrameDecoder::decode_slice`]
//!   decode from a borrowed `&[u8]`, [`FrameEncoder::header`] builds a header inline. The
//!   `BytesMut` methods need the `alloc` feature (part of `std`, on by default).
//! - `blocking` wraps any `std::io::Read`/`Write` (feature `std`, on by default).
//! - `tokio` wraps tokio's `AsyncRead`/`AsyncWrite` (feature `tokio`).
//! - `futures` wraps futures-io's `AsyncRead`/`AsyncWrite` (feature `futures-io`): smol,
//!   async-std, libp2p; the same methods as `tokio`, with no runtime dependency.
//! - The `tokio-util` feature implements `tokio_util::codec::{Decoder, Encoder}` so the core drops
//!   into `Framed` (`FramedCodec`), and adds `tokio_util`, the drop-in for tokio-util's
//!   `LengthDelimitedCodec`.
//! - Between the core and the adapters, one I/O-free engine decides everything (how much to read,
//!   when to grow or give back a buffer, copy or write through); each adapter only moves bytes
//!   (docs/architecture.md).
//! - `embedded` wraps `embedded-io`'s blocking `Read`/`Write` (feature `embedded-io`) and
//!   `embedded_async` wraps `embedded-io-async`'s (feature `embedded-io-async`): for `no_std`
//!   devices with no allocator, over a buffer the caller lends.
//!
//! # Guarantees
//!
//! No input makes the decoder panic, loop or allocate what a header claims; lengths are checked
//! against the maximum as soon as the header is complete; "need more bytes" is never an error and
//! never loses bytes. The crate has no `unsafe` code.
#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]
// Without `alloc`, links to the `BytesMut` methods (`decode`, `encode_with_prefix`) have nothing
// to point at; the documentation that matters (docs.rs) is built with every feature.
#![cfg_attr(not(feature = "alloc"), allow(rustdoc::broken_intra_doc_links))]

mod builder;
mod checksum;
mod codec;
mod decode;
mod encode;
#[cfg(any(feature = "std", feature = "embedded-io"))]
mod engine;
mod error;
mod format;
mod guess;
#[cfg(feature = "std")]
mod io_error;
#[cfg(any(feature = "json", feature = "msgpack"))]
mod message;
#[cfg(feature = "std")]
mod shells;
mod struct_format;
mod sync;
#[cfg(test)]
mod test_io;

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod blocking;
#[cfg(feature = "embedded-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "embedded-io")))]
pub mod embedded;
#[cfg(feature = "embedded-io-async")]
#[cfg_attr(docsrs, doc(cfg(feature = "embedded-io-async")))]
#[path = "embedded/asynch.rs"]
pub mod embedded_async;
#[cfg(feature = "tokio-util")]
mod framed_codec;
#[cfg(feature = "futures-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-io")))]
pub mod futures;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;
#[cfg(feature = "tokio-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-util")))]
pub mod tokio_util;

#[cfg(feature = "tokio-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-util")))]
pub use crate::framed_codec::FramedCodec;
pub use builder::CodecBuilder;
pub use checksum::{CheckFn, Checksum, ChecksumAlgorithm, ChecksumDigest, Trailer};
pub use codec::{
    Codec, DEFAULT_MAX_FRAME_LEN, MAX_FRAME_LEN_LIMIT, MAX_HEADER_LEN, MAX_LENGTH_OFFSET,
};
pub use decode::{Decoded, FrameDecoder};
pub use encode::{FrameEncoder, Header};
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
pub use error::EncodeWithError;
pub use error::{ConfigError, EncodeError, FrameError};
pub use format::{ByteOrder, LengthBits, LengthField, MAX_FIELD_LEN};
pub use guess::LayoutGuess;
#[cfg(feature = "std")]
pub use io_error::Error;
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub use message::Json;
#[cfg(any(feature = "json", feature = "msgpack"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "json", feature = "msgpack"))))]
pub use message::MessageFormat;
#[cfg(feature = "msgpack")]
#[cfg_attr(docsrs, doc(cfg(feature = "msgpack")))]
pub use message::MsgPack;
#[cfg(all(
    any(feature = "json", feature = "msgpack"),
    any(feature = "tokio", feature = "futures-io")
))]
#[cfg_attr(
    docsrs,
    doc(cfg(all(
        any(feature = "json", feature = "msgpack"),
        any(feature = "tokio", feature = "futures-io")
    )))
)]
pub use message::{MessageReader, MessageWriter};
pub use sync::MAX_SYNC_LEN;

// The README's Rust snippets are compiled and run as doc tests, so it cannot drift from the code.
#[cfg(all(doctest, feature = "tokio-util", feature = "json"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

// The same for docs/adapters.md, which has a snippet for every adapter.
#[cfg(all(
    doctest,
    feature = "tokio-util",
    feature = "futures-io",
    feature = "embedded-io-async"
))]
#[doc = include_str!("../docs/adapters.md")]
struct AdaptersDoctests;
