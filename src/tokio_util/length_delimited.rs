//! tokio-util's `codec::length_delimited` module: the [`Builder`], the codec and its error.
//!
//! The same paths as tokio-util's, so `length_delimited::Builder::new()` and
//! `length_delimited::LengthDelimitedCodec` keep working after the import line changes.

pub use super::builder::Builder;
pub use super::codec::LengthDelimitedCodec;
pub use super::error::LengthDelimitedCodecError;
pub use crate::framed_codec::FramedCodec;
