//! A drop-in for tokio-util's `LengthDelimitedCodec`: the migration is one import line.
//!
//! Code written for tokio-util's codec keeps working when
//!
//! ```text
//! use tokio_util::codec::{length_delimited, LengthDelimitedCodec};
//! ```
//!
//! becomes
//!
//! ```text
//! use lenframe::tokio_util::{length_delimited, LengthDelimitedCodec};
//! ```
//!
//! The types have tokio-util 0.7.20's names, constructors, builder methods, defaults (an
//! unsigned 4-byte big-endian length, 8 MiB maximum), getters, traits (`Decoder<Item =
//! BytesMut>`, `Encoder<Bytes>`, `Encoder<&[u8]>`, errors as `io::Error`) and semantics: the
//! clamped maximum, `max_frame_length(usize::MAX)` for no limit, `num_skip` stripping part of
//! the header, the length counted from the end of the `num_skip` bytes. tokio-util's own
//! `tests/length_delimited.rs` passes with only its import changed
//! (`scripts/tokio_util_upstream_tests.sh`). `Framed`, `FramedRead` and `FramedWrite` stay
//! tokio-util's.
//!
//! Underneath is lenframe's one core: the header is parsed and checked by a
//! [`FrameDecoder`](crate::FrameDecoder) and written by a [`FrameEncoder`](crate::FrameEncoder).
//! What that changes is listed on [`LengthDelimitedCodec`]: chiefly, a header is never trusted
//! with memory (tokio-util reserves the whole announced frame as soon as the header is in).
//!
//! For lenframe's own settings (signed and varint lengths, Python struct formats, a prefix
//! written before the length field, separate decoding and encoding maximums) use
//! [`FramedCodec`] with `Framed`: it is re-exported here.
//!
//! # Examples
//!
//! ```
//! use bytes::Bytes;
//! use futures_util::{SinkExt, StreamExt};
//! use lenframe::tokio_util::{length_delimited, LengthDelimitedCodec};
//! use tokio_util::codec::Framed;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let (a, b) = tokio::io::duplex(64);
//! let mut a = Framed::new(a, LengthDelimitedCodec::new());
//! let mut b = length_delimited::Builder::new().max_frame_length(1024).new_framed(b);
//! a.send(Bytes::from_static(b"hello")).await?;
//! assert_eq!(&b.next().await.unwrap()?[..], b"hello");
//! # Ok(())
//! # }
//! ```

mod builder;
mod codec;
mod error;
pub mod length_delimited;

pub use crate::framed_codec::FramedCodec;
pub use length_delimited::{LengthDelimitedCodec, LengthDelimitedCodecError};
