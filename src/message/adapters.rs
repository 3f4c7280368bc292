//! `read_json`, `read_msgpack`, `write_json` and `write_msgpack` on the readers and writers:
//! one-line wrappers around the format logic in the parent module and each adapter's
//! `write_frame_with` and indexed read.

#[cfg(feature = "tokio")]
use ::tokio::io::{AsyncRead, AsyncWrite};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::{Read, Write};

#[cfg(any(feature = "tokio", feature = "futures-io"))]
use super::decode_read;
#[cfg(feature = "json")]
use super::Json;
#[cfg(feature = "msgpack")]
use super::MsgPack;
use super::{decode_next, encode};
use crate::{blocking, Error};

impl<R: Read> blocking::FrameReader<R> {
    /// Reads the next frame as a JSON message: `Ok(None)` when the stream ends cleanly between
    /// two frames. The frame is deserialized from the reader's buffer, not copied first.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameReader;
    /// use std::collections::HashMap;
    ///
    /// // What Python's struct.pack('i', len(data)) + data sends, data = json.dumps(...).encode()
    /// let wire: &[u8] = b"\x0c\0\0\0{\"caf\xc3\xa9\": 2}";
    /// let mut reader = FrameReader::new(wire);
    /// let msg: HashMap<String, u32> = reader.read_json()?.unwrap();
    /// assert_eq!(msg["café"], 2);
    /// assert!(reader.read_json::<HashMap<String, u32>>()?.is_none());
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Deserialize`] if the frame is not valid JSON for a `T` (with the frame's index
    /// and serde_json's message): an error for that frame only, the next call reads the next
    /// frame. Otherwise as [`read_frame`](Self::read_frame).
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    #[inline]
    pub fn read_json<T: DeserializeOwned>(&mut self) -> Result<Option<T>, Error> {
        decode_next::<Json, T>(self.read_frame_indexed()?)
    }

    /// Reads the next frame as a MessagePack message: `Ok(None)` when the stream ends cleanly
    /// between two frames. The frame is deserialized from the reader's buffer, not copied first.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameReader;
    ///
    /// // msgpack.packb([1, "two"]) behind struct.pack('i', 6)
    /// let wire: &[u8] = b"\x06\0\0\0\x92\x01\xa3two";
    /// let mut reader = FrameReader::new(wire);
    /// assert_eq!(reader.read_msgpack::<(u8, String)>()?, Some((1, "two".to_string())));
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Deserialize`] if the frame is not one valid MessagePack value for a `T` (with
    /// the frame's index and rmp-serde's message): an error for that frame only, the next call
    /// reads the next frame. Otherwise as [`read_frame`](Self::read_frame).
    #[cfg(feature = "msgpack")]
    #[cfg_attr(docsrs, doc(cfg(feature = "msgpack")))]
    #[inline]
    pub fn read_msgpack<T: DeserializeOwned>(&mut self) -> Result<Option<T>, Error> {
        decode_next::<MsgPack, T>(self.read_frame_indexed()?)
    }
}

impl<W: Write> blocking::FrameWriter<W> {
    /// Writes `msg` as one JSON frame, serialized straight into the writer's buffer (no
    /// intermediate `Vec`), with [`write_frame_with`](Self::write_frame_with). A small message
    /// waits in the buffer like a small frame: [`flush`](Self::flush) before waiting for a
    /// reply.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameWriter;
    ///
    /// let mut writer = FrameWriter::new(Vec::new());
    /// writer.write_json(&["a", "b"])?;
    /// writer.flush()?;
    /// // Python: json.loads(payload) == ["a", "b"]
    /// assert_eq!(writer.get_ref(), b"\x09\0\0\0[\"a\",\"b\"]");
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// On error nothing was buffered or written:
    ///
    /// - [`Error::Encode`] if the message is longer than the writer's maximum, with
    ///   [`EncodeError::TooLarge`](crate::EncodeError::TooLarge) holding both numbers;
    /// - [`Error::Serialize`] if serde_json refuses the value (a map with keys that are not
    ///   strings or numbers, a `Serialize` impl that fails);
    /// - otherwise as [`write_frame_with`](Self::write_frame_with).
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn write_json<T: Serialize + ?Sized>(&mut self, msg: &T) -> Result<(), Error> {
        self.write_frame_with(|buf| encode::<Json, T>(msg, buf))
    }

    /// Writes `msg` as one MessagePack frame (structs as maps with their field names),
    /// serialized straight into the writer's buffer (no intermediate `Vec`), with
    /// [`write_frame_with`](Self::write_frame_with). A small message waits in the buffer like
    /// a small frame: [`flush`](Self::flush) before waiting for a reply.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::blocking::FrameWriter;
    ///
    /// let mut writer = FrameWriter::new(Vec::new());
    /// writer.write_msgpack(&(1, "two"))?;
    /// writer.flush()?;
    /// // Python: msgpack.unpackb(payload) == [1, "two"]
    /// assert_eq!(writer.get_ref(), b"\x06\0\0\0\x92\x01\xa3two");
    /// # Ok::<(), lenframe::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`write_json`](Self::write_json), with rmp-serde's errors.
    #[cfg(feature = "msgpack")]
    #[cfg_attr(docsrs, doc(cfg(feature = "msgpack")))]
    pub fn write_msgpack<T: Serialize + ?Sized>(&mut self, msg: &T) -> Result<(), Error> {
        self.write_frame_with(|buf| encode::<MsgPack, T>(msg, buf))
    }
}

#[cfg(feature = "tokio")]
impl<R: AsyncRead + Unpin> crate::tokio::FrameReader<R> {
    /// Reads the next frame as a JSON message: `Ok(None)` when the stream ends cleanly between
    /// two frames. The frame is deserialized from the shared `Bytes` it arrived in, not copied.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::tokio::FrameReader;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lenframe::Error> {
    /// let wire: &[u8] = b"\x07\0\0\0[1,2,3]";
    /// let mut reader = FrameReader::new(wire);
    /// assert_eq!(reader.read_json::<Vec<u8>>().await?, Some(vec![1, 2, 3]));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As the blocking [`read_json`](crate::blocking::FrameReader::read_json).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe, as [`read_frame`](Self::read_frame).
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub async fn read_json<T: DeserializeOwned>(&mut self) -> Result<Option<T>, Error> {
        decode_read::<Json, T>(self.read_frame().await?, self.frames_read())
    }

    /// Reads the next frame as a MessagePack message: `Ok(None)` when the stream ends cleanly
    /// between two frames. The frame is deserialized from the shared `Bytes` it arrived in,
    /// not copied.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::tokio::FrameReader;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lenframe::Error> {
    /// let wire: &[u8] = b"\x04\0\0\0\x93\x01\x02\x03";
    /// let mut reader = FrameReader::new(wire);
    /// assert_eq!(reader.read_msgpack::<Vec<u8>>().await?, Some(vec![1, 2, 3]));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As the blocking [`read_msgpack`](crate::blocking::FrameReader::read_msgpack).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe, as [`read_frame`](Self::read_frame).
    #[cfg(feature = "msgpack")]
    #[cfg_attr(docsrs, doc(cfg(feature = "msgpack")))]
    pub async fn read_msgpack<T: DeserializeOwned>(&mut self) -> Result<Option<T>, Error> {
        decode_read::<MsgPack, T>(self.read_frame().await?, self.frames_read())
    }
}

#[cfg(feature = "tokio")]
impl<W: AsyncWrite + Unpin> crate::tokio::FrameWriter<W> {
    /// Writes `msg` as one JSON frame, serialized straight into the writer's buffer (no
    /// intermediate `Vec`), with [`write_frame_with`](Self::write_frame_with). A small message
    /// waits in the buffer like a small frame: [`flush`](Self::flush) before waiting for a
    /// reply.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::tokio::FrameWriter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lenframe::Error> {
    /// let mut writer = FrameWriter::new(Vec::new());
    /// writer.write_json(&("ok", 1)).await?;
    /// writer.flush().await?;
    /// assert_eq!(writer.get_ref(), b"\x08\0\0\0[\"ok\",1]");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As the blocking [`write_json`](crate::blocking::FrameWriter::write_json).
    ///
    /// # Cancel safety
    ///
    /// As [`write_frame_with`](Self::write_frame_with): cancel-safe until the message is
    /// serialized into the buffer; after that it is accepted and goes out with the next write
    /// or flush.
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub async fn write_json<T: Serialize + ?Sized>(&mut self, msg: &T) -> Result<(), Error> {
        self.write_frame_with(|buf| encode::<Json, T>(msg, buf))
            .await
    }

    /// Writes `msg` as one MessagePack frame (structs as maps with their field names),
    /// serialized straight into the writer's buffer (no intermediate `Vec`), with
    /// [`write_frame_with`](Self::write_frame_with). A small message waits in the buffer like
    /// a small frame: [`flush`](Self::flush) before waiting for a reply.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::tokio::FrameWriter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lenframe::Error> {
    /// let mut writer = FrameWriter::new(Vec::new());
    /// writer.write_msgpack(&[1, 2, 3]).await?;
    /// writer.flush().await?;
    /// assert_eq!(writer.get_ref(), b"\x04\0\0\0\x93\x01\x02\x03");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As the blocking [`write_msgpack`](crate::blocking::FrameWriter::write_msgpack).
    ///
    /// # Cancel safety
    ///
    /// As [`write_json`](Self::write_json).
    #[cfg(feature = "msgpack")]
    #[cfg_attr(docsrs, doc(cfg(feature = "msgpack")))]
    pub async fn write_msgpack<T: Serialize + ?Sized>(&mut self, msg: &T) -> Result<(), Error> {
        self.write_frame_with(|buf| encode::<MsgPack, T>(msg, buf))
            .await
    }
}

#[cfg(feature = "futures-io")]
impl<R: futures_io::AsyncRead + Unpin> crate::futures::FrameReader<R> {
    /// Reads the next frame as a JSON message: `Ok(None)` when the stream ends cleanly between
    /// two frames. As tokio's [`read_json`](crate::tokio::FrameReader::read_json), errors and
    /// cancel safety included.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::futures::FrameReader;
    ///
    /// # fn main() -> Result<(), lenframe::Error> {
    /// smol::block_on(async {
    ///     let wire: &[u8] = b"\x07\0\0\0[1,2,3]";
    ///     let mut reader = FrameReader::new(wire);
    ///     assert_eq!(reader.read_json::<Vec<u8>>().await?, Some(vec![1, 2, 3]));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub async fn read_json<T: DeserializeOwned>(&mut self) -> Result<Option<T>, Error> {
        decode_read::<Json, T>(self.read_frame().await?, self.frames_read())
    }

    /// Reads the next frame as a MessagePack message: `Ok(None)` when the stream ends cleanly
    /// between two frames. As tokio's [`read_msgpack`](crate::tokio::FrameReader::read_msgpack).
    #[cfg(feature = "msgpack")]
    #[cfg_attr(docsrs, doc(cfg(feature = "msgpack")))]
    pub async fn read_msgpack<T: DeserializeOwned>(&mut self) -> Result<Option<T>, Error> {
        decode_read::<MsgPack, T>(self.read_frame().await?, self.frames_read())
    }
}

#[cfg(feature = "futures-io")]
impl<W: futures_io::AsyncWrite + Unpin> crate::futures::FrameWriter<W> {
    /// Writes `msg` as one JSON frame, serialized straight into the writer's buffer, with
    /// [`write_frame_with`](Self::write_frame_with). As tokio's
    /// [`write_json`](crate::tokio::FrameWriter::write_json): [`flush`](Self::flush) before
    /// waiting for a reply.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::futures::FrameWriter;
    ///
    /// # fn main() -> Result<(), lenframe::Error> {
    /// smol::block_on(async {
    ///     let mut writer = FrameWriter::new(Vec::new());
    ///     writer.write_json(&("ok", 1)).await?;
    ///     writer.flush().await?;
    ///     assert_eq!(writer.get_ref(), b"\x08\0\0\0[\"ok\",1]");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub async fn write_json<T: Serialize + ?Sized>(&mut self, msg: &T) -> Result<(), Error> {
        self.write_frame_with(|buf| encode::<Json, T>(msg, buf))
            .await
    }

    /// Writes `msg` as one MessagePack frame (structs as maps with their field names),
    /// serialized straight into the writer's buffer. As tokio's
    /// [`write_msgpack`](crate::tokio::FrameWriter::write_msgpack).
    #[cfg(feature = "msgpack")]
    #[cfg_attr(docsrs, doc(cfg(feature = "msgpack")))]
    pub async fn write_msgpack<T: Serialize + ?Sized>(&mut self, msg: &T) -> Result<(), Error> {
        self.write_frame_with(|buf| encode::<MsgPack, T>(msg, buf))
            .await
    }
}
