//! Typed messages: serde values in frames, as JSON (feature `json`) or MessagePack (feature
//! `msgpack`). The user's guide is [`MessageFormat`]'s documentation (this module is private).
//!
//! # Adding an adapter
//!
//! An adapter gets typed messages from three small hooks and one-line methods in this module:
//! a reader's index of the frame it just returned (`read_frame_indexed` on the blocking reader,
//! `frames_read` on the tokio one), and a writer's `write_frame_with` and `queue_frame_with`
//! (buffer a frame written in place, for `Sink::start_send`), both around
//! `WriteState::encode_with`. The futures-io adapters have the tokio adapters' API: they take
//! the same hooks, and an `impl` block here like the tokio one.

use bytes::BytesMut;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Error;

mod adapters;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod stream;

#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub use stream::{MessageReader, MessageWriter};

/// A serializer's or deserializer's error, kept as the source of [`Error::Serialize`] and
/// [`Error::Deserialize`].
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The deepest nesting a MessagePack message may have, as serde_json allows for JSON: deep
/// enough for any real message, shallow enough for a thread's stack (a hostile message of
/// nested arrays would otherwise recurse until the stack overflows).
#[cfg(feature = "msgpack")]
const MAX_DEPTH: usize = 128;

mod sealed {
    pub trait Sealed {}
}

/// A message format: how a typed message becomes a frame's payload and back. Implemented by
/// [`Json`] and [`MsgPack`]; sealed (it cannot be implemented outside lenframe). It names the
/// format in generic code, such as [`MessageReader`](crate::MessageReader)'s parameter.
///
/// # Typed messages
///
/// Serde values in frames, as JSON (feature `json`) or MessagePack (feature `msgpack`), the way a Python peer sends them: `struct.pack('i', len(data)) + data` with
/// `data = json.dumps(msg).encode()` or `msgpack.packb(msg)`.
///
/// One message is one frame. The readers and writers of [`blocking`](crate::blocking) and
/// [`tokio`](crate::tokio) read and write them directly:
///
/// - `read_json::<T>()`, `read_msgpack::<T>()`: the next frame as a `T`, `Ok(None)` at a clean
///   end of stream. The frame is deserialized where it lies in the reader's buffer (borrowed
///   with `read_frame_ref` on the blocking reader, the shared `Bytes` frame on tokio): it is
///   not copied first.
/// - `write_json(&msg)`, `write_msgpack(&msg)`: serialized straight into the writer's buffer
///   by `write_frame_with`, with no intermediate `Vec`; the header is filled in after. Small
///   messages wait in the buffer like small frames: `flush` before waiting for a reply.
///
/// On tokio, [`MessageReader`](crate::MessageReader) is a `Stream` of `T` and
/// [`MessageWriter`](crate::MessageWriter) a `Sink` of any `Serialize` value.
///
/// # Errors
///
/// - A frame that is not a valid `T` is [`Error::Deserialize`] with the frame's index on the
///   stream, its length and the deserializer's message. It is an error **for that frame
///   only**: the frame has been read, and the next read returns the next message.
/// - A message longer than the writer's maximum is [`Error::Encode`] with
///   [`EncodeError::TooLarge`](crate::EncodeError::TooLarge), which holds its length and the
///   maximum; a value the serializer refuses is [`Error::Serialize`]. Either way nothing was
///   buffered or written.
/// - Frames that are not frames at all (a negative or oversized header, a stream cut in the
///   middle of a frame) are [`Error::Frame`], as with raw frames.
///
/// # Formats
///
/// - [`Json`]: `serde_json`, UTF-8 text, what Python's `json.dumps(msg).encode()` writes and
///   `json.loads` reads. Nesting is limited to 128 levels (serde_json's limit).
/// - [`MsgPack`]: `rmp-serde`, structs as maps with their field names (what Python's
///   `msgpack.unpackb` turns into a `dict`), byte strings as `bin` for fields marked
///   `#[serde(with = "serde_bytes")]`. Nesting is limited to 128 levels, and a frame must hold
///   exactly one value: bytes after it are an error.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "json")]
/// # fn main() -> Result<(), lenframe::Error> {
/// use lenframe::blocking::{FrameReader, FrameWriter};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Point {
///     x: i32,
///     y: i32,
/// }
///
/// let mut writer = FrameWriter::new(Vec::new());
/// writer.write_json(&Point { x: 1, y: 2 })?;
/// writer.write_frame(b"not json")?; // a bad frame in the middle
/// writer.write_json(&Point { x: 3, y: 4 })?;
/// let wire = writer.into_inner()?;
/// assert_eq!(&wire[..4], b"\x0d\0\0\0"); // struct.pack('i', 13)
/// assert_eq!(&wire[4..17], br#"{"x":1,"y":2}"#);
///
/// let mut reader = FrameReader::new(&wire[..]);
/// assert_eq!(reader.read_json::<Point>()?, Some(Point { x: 1, y: 2 }));
/// let err = reader.read_json::<Point>().unwrap_err();
/// assert!(matches!(err, lenframe::Error::Deserialize { frame: 1, len: 8, .. }), "{err}");
/// assert_eq!(reader.read_json::<Point>()?, Some(Point { x: 3, y: 4 })); // and on it goes
/// assert_eq!(reader.read_json::<Point>()?, None);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "json"))]
/// # fn main() {}
/// ```
pub trait MessageFormat: sealed::Sealed + Copy + Default + Send + Sync + 'static {
    /// The format's name, as the errors give it: `"JSON"`, `"MessagePack"`.
    const NAME: &'static str;

    /// Appends `msg`, serialized, to `buf`.
    #[doc(hidden)]
    fn serialize<T: Serialize + ?Sized>(msg: &T, buf: &mut BytesMut) -> Result<(), BoxError>;

    /// A `T` from all of `payload`.
    #[doc(hidden)]
    fn deserialize<T: DeserializeOwned>(payload: &[u8]) -> Result<T, BoxError>;
}

/// JSON, with serde_json (feature `json`): what Python's `json.dumps(msg).encode()` writes.
///
/// See the [`read_json`](crate::blocking::FrameReader::read_json) and
/// [`write_json`](crate::blocking::FrameWriter::write_json) methods of the readers and writers.
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Json;

#[cfg(feature = "json")]
impl sealed::Sealed for Json {}

#[cfg(feature = "json")]
impl MessageFormat for Json {
    const NAME: &'static str = "JSON";

    fn serialize<T: Serialize + ?Sized>(msg: &T, buf: &mut BytesMut) -> Result<(), BoxError> {
        Ok(serde_json::to_writer(Append(buf), msg)?)
    }

    #[inline]
    fn deserialize<T: DeserializeOwned>(payload: &[u8]) -> Result<T, BoxError> {
        Ok(serde_json::from_slice(payload)?)
    }
}

/// MessagePack, with rmp-serde (feature `msgpack`): what Python's `msgpack.packb(msg)` writes.
///
/// Structs are written as maps with their field names (rmp-serde's `write_named`), so a
/// Python peer gets a `dict`; both maps and arrays are read. Bytes are `bin` for fields marked
/// `#[serde(with = "serde_bytes")]` (or of type `serde_bytes::ByteBuf`), otherwise arrays of
/// numbers, as serde sees a `Vec<u8>`.
///
/// See the [`read_msgpack`](crate::blocking::FrameReader::read_msgpack) and
/// [`write_msgpack`](crate::blocking::FrameWriter::write_msgpack) methods of the readers and
/// writers.
#[cfg(feature = "msgpack")]
#[cfg_attr(docsrs, doc(cfg(feature = "msgpack")))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MsgPack;

#[cfg(feature = "msgpack")]
impl sealed::Sealed for MsgPack {}

#[cfg(feature = "msgpack")]
impl MessageFormat for MsgPack {
    const NAME: &'static str = "MessagePack";

    fn serialize<T: Serialize + ?Sized>(msg: &T, buf: &mut BytesMut) -> Result<(), BoxError> {
        Ok(rmp_serde::encode::write_named(&mut Append(buf), msg)?)
    }

    fn deserialize<T: DeserializeOwned>(payload: &[u8]) -> Result<T, BoxError> {
        use serde::de::{Deserialize, IgnoredAny};
        let mut de = rmp_serde::Deserializer::from_read_ref(payload);
        de.set_max_depth(MAX_DEPTH);
        let msg = T::deserialize(&mut de)?;
        // Exactly one value: reading another must find the end of the frame.
        match IgnoredAny::deserialize(&mut de) {
            Err(rmp_serde::decode::Error::InvalidMarkerRead(err))
                if err.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                Ok(msg)
            }
            _ => Err("bytes after the end of the message: a frame holds one value".into()),
        }
    }
}

/// An `io::Write` that appends to a `BytesMut`, for the serializers, which write a token at a
/// time: `bytes`' own `BufMut::writer` also checks the room left on every write, which made
/// serializing through it slower than through this in a side-by-side timing.
struct Append<'a>(&'a mut BytesMut);

impl std::io::Write for Append<'_> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    #[inline]
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Appends `msg` as format `F` to a writer's buffer: the body of `write_json` and friends.
pub(crate) fn encode<F: MessageFormat, T: Serialize + ?Sized>(
    msg: &T,
    buf: &mut BytesMut,
) -> Result<(), Error> {
    F::serialize(msg, buf).map_err(|source| Error::Serialize {
        format: F::NAME,
        source,
    })
}

/// The message in frame number `frame`, whose payload is `payload`.
#[inline]
pub(crate) fn decode<F: MessageFormat, T: DeserializeOwned>(
    frame: u64,
    payload: &[u8],
) -> Result<T, Error> {
    match F::deserialize(payload) {
        Ok(msg) => Ok(msg),
        Err(source) => Err(deserialize_error::<F>(frame, payload.len(), source)),
    }
}

/// [`decode`] for a reader's result: `None` (a clean end) stays `None`.
#[inline]
pub(crate) fn decode_next<F: MessageFormat, T: DeserializeOwned>(
    frame: Option<(u64, &[u8])>,
) -> Result<Option<T>, Error> {
    match frame {
        None => Ok(None),
        Some((index, payload)) => decode::<F, T>(index, payload).map(Some),
    }
}

/// [`decode_next`] for an async reader's owned frame, given how many frames the reader has
/// read (this one's index plus one).
#[cfg(any(feature = "tokio", feature = "futures-io"))]
#[inline]
pub(crate) fn decode_read<F: MessageFormat, T: DeserializeOwned>(
    frame: Option<bytes::Bytes>,
    frames_read: u64,
) -> Result<Option<T>, Error> {
    decode_next::<F, T>(frame.as_deref().map(|payload| (frames_read - 1, payload)))
}

#[cold]
fn deserialize_error<F: MessageFormat>(frame: u64, len: usize, source: BoxError) -> Error {
    Error::Deserialize {
        frame,
        len,
        format: F::NAME,
        source,
    }
}
