//! A typed `Stream` and `Sink` over the async adapters: [`MessageReader`] and
//! [`MessageWriter`].

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{decode, encode, MessageFormat};
use crate::Error;

/// A [`Stream`] of messages of type `T` in format `F` ([`Json`](crate::Json),
/// [`MsgPack`](crate::MsgPack)), read from a frame reader (`lenframe::tokio::FrameReader` or
/// `lenframe::futures::FrameReader`): `futures_util::StreamExt` works on it.
///
/// Each item is the next frame deserialized, as
/// [`read_json`](crate::tokio::FrameReader::read_json) returns it. A frame that is not a valid
/// `T` is an [`Error::Deserialize`] item for that frame alone: the stream goes on with the next
/// frame. Other errors follow the frame reader's `Stream`: it goes on only if reading can
/// continue (an oversized frame skipped, an I/O error that leaves the stream intact), and
/// otherwise ends.
///
/// Why not a codec for tokio-util's `Framed`: `Framed` ends its stream at the first error from
/// its codec and, if polled again, reads more bytes before it decodes again, so a good frame
/// already buffered after a bad one would wait for the peer's next bytes. This stream needs no
/// such care: a bad message costs one item.
///
/// # Examples
///
/// ```
/// # #[cfg(all(feature = "json", feature = "tokio"))]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lenframe::Error> {
/// use futures_util::{SinkExt, StreamExt};
/// use lenframe::tokio::{FrameReader, FrameWriter};
/// use lenframe::{Json, MessageReader, MessageWriter};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Request {
///     id: u32,
///     text: String,
/// }
///
/// let (client, server) = tokio::io::duplex(1024);
/// let mut requests = MessageWriter::new(FrameWriter::new(client), Json);
/// requests.send(Request { id: 1, text: "héllo".into() }).await?; // sends and flushes
/// requests.get_mut().send_frame(b"{oops").await?; // a malformed message
/// requests.send(Request { id: 2, text: "again".into() }).await?;
/// drop(requests);
///
/// let mut incoming = MessageReader::<_, _, Request>::new(FrameReader::new(server), Json);
/// assert_eq!(incoming.next().await.unwrap()?.id, 1);
/// let err = incoming.next().await.unwrap().unwrap_err();
/// assert!(matches!(err, lenframe::Error::Deserialize { frame: 1, .. }), "{err}");
/// assert_eq!(incoming.next().await.unwrap()?.text, "again");
/// assert!(incoming.next().await.is_none());
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "json", feature = "tokio")))]
/// # fn main() {}
/// ```
#[derive(Debug)]
pub struct MessageReader<A, F, T> {
    frames: A,
    format: F,
    message: PhantomData<fn() -> T>,
}

impl<A, F: MessageFormat, T> MessageReader<A, F, T> {
    /// Messages of format `format` from the frame reader `frames`.
    pub fn new(frames: A, format: F) -> Self {
        MessageReader {
            frames,
            format,
            message: PhantomData,
        }
    }

    /// The format.
    pub fn format(&self) -> F {
        self.format
    }

    /// The frame reader.
    pub fn get_ref(&self) -> &A {
        &self.frames
    }

    /// The frame reader: to read a raw frame between messages, or change its settings.
    pub fn get_mut(&mut self) -> &mut A {
        &mut self.frames
    }

    /// The frame reader.
    pub fn into_inner(self) -> A {
        self.frames
    }
}

/// A [`Sink`] of messages in format `F` ([`Json`](crate::Json), [`MsgPack`](crate::MsgPack)),
/// written to a frame writer (`lenframe::tokio::FrameWriter` or `lenframe::futures::FrameWriter`):
/// `futures_util::SinkExt` works on it. It is a `Sink<T>` for one
/// message type `T` (a `Sink` of several types would leave `SinkExt::flush` and `close` unable to
/// infer which); `write_json`/`write_msgpack` on the frame writer take any type.
///
/// `start_send` serializes the message straight into the writer's buffer, no intermediate
/// `Vec` (as [`write_json`](crate::tokio::FrameWriter::write_json) does); `poll_ready` first
/// makes room, `poll_flush` writes it out, `poll_close` flushes and shuts the writer down.
/// `SinkExt::send` does all but the last: the message is on its way when it returns.
///
/// See [`MessageReader`] for an example.
///
/// # Errors
///
/// `start_send` fails with [`Error::Serialize`] or [`Error::Encode`] (a message over the
/// maximum, with both numbers) and nothing is buffered; the sink can go on. The rest as the
/// frame writer's `Sink<Bytes>`.
#[derive(Debug)]
pub struct MessageWriter<A, F, T> {
    frames: A,
    format: F,
    message: PhantomData<fn(T)>,
}

impl<A, F: MessageFormat, T> MessageWriter<A, F, T> {
    /// A sink of messages of format `format` into the frame writer `frames`.
    pub fn new(frames: A, format: F) -> Self {
        MessageWriter {
            frames,
            format,
            message: PhantomData,
        }
    }

    /// The format.
    pub fn format(&self) -> F {
        self.format
    }

    /// The frame writer.
    pub fn get_ref(&self) -> &A {
        &self.frames
    }

    /// The frame writer: to write a raw frame between messages, or change its settings.
    pub fn get_mut(&mut self) -> &mut A {
        &mut self.frames
    }

    /// The frame writer, with what is buffered still in it.
    pub fn into_inner(self) -> A {
        self.frames
    }
}

/// The typed `Stream` and `Sink` impls for one async adapter module: tokio's and futures-io's
/// readers and writers have the same methods, so the impls are written once.
macro_rules! typed_stream_and_sink {
    ($adapter:ident, $read:path, $write:path) => {
        impl<R, F, T> Stream for MessageReader<crate::$adapter::FrameReader<R>, F, T>
        where
            R: $read + Unpin,
            F: MessageFormat + Unpin,
            T: DeserializeOwned,
        {
            type Item = Result<T, Error>;

            fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                let frames = &mut self.get_mut().frames;
                Poll::Ready(match ready!(Pin::new(&mut *frames).poll_next(cx)) {
                    Some(Ok(frame)) => Some(decode::<F, T>(frames.frames_read() - 1, &frame)),
                    Some(Err(err)) => Some(Err(err)),
                    None => None,
                })
            }
        }

        impl<W, F, T> Sink<T> for MessageWriter<crate::$adapter::FrameWriter<W>, F, T>
        where
            W: $write + Unpin,
            F: MessageFormat + Unpin,
            T: Serialize,
        {
            type Error = Error;

            fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
                Sink::<Bytes>::poll_ready(Pin::new(&mut self.get_mut().frames), cx)
            }

            fn start_send(self: Pin<&mut Self>, msg: T) -> Result<(), Error> {
                let frames = &mut self.get_mut().frames;
                frames.queue_frame_with(|buf| encode::<F, T>(&msg, buf))
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
                Sink::<Bytes>::poll_flush(Pin::new(&mut self.get_mut().frames), cx)
            }

            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
                Sink::<Bytes>::poll_close(Pin::new(&mut self.get_mut().frames), cx)
            }
        }
    };
}

#[cfg(feature = "tokio")]
typed_stream_and_sink!(tokio, ::tokio::io::AsyncRead, ::tokio::io::AsyncWrite);
#[cfg(feature = "futures-io")]
typed_stream_and_sink!(futures, futures_io::AsyncRead, futures_io::AsyncWrite);
