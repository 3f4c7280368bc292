//! A tokio-util user migrates by changing only the constructor. [`user_code!`] is code written
//! for `LengthDelimitedCodec` (direct `encode`/`decode` calls with tokio-util's traits in
//! scope, the maximum changed at runtime, `Framed`, `FramedRead`, `FramedWrite`, `send`,
//! `next`, `flush`); it is compiled and run twice, once with tokio-util's codec and once with
//! lenframe's `FramedCodec`, and the only difference is the constructor passed in.
#![cfg(feature = "tokio-util")]
// tokio-util's spellings `max_frame_length` / `set_max_frame_length` are deprecated on
// `FramedCodec` (renamed `max_frame_len` / `set_max_frame_len`); this file pins that they still
// compile and behave, so it uses them on purpose.
#![allow(deprecated)]

use lenframe::{Codec, FramedCodec};
use tokio_util::codec::LengthDelimitedCodec;

/// What a `LengthDelimitedCodec` user writes, with the codec's constructor as the only input.
macro_rules! user_code {
    ($new_codec:expr) => {{
        use bytes::{Bytes, BytesMut};
        use futures_util::{SinkExt, StreamExt};
        use std::io::ErrorKind;
        use tokio_util::codec::{Decoder, Encoder, Framed, FramedRead, FramedWrite};

        // Direct calls, with both traits in scope.
        let mut codec = $new_codec;
        let mut buf = BytesMut::new();
        codec
            .encode(Bytes::from_static(b"hello"), &mut buf)
            .unwrap();
        codec.encode(Bytes::new(), &mut buf).unwrap();
        assert_eq!(&buf[..4], &[0, 0, 0, 5], "u32, big-endian");
        let frame: BytesMut = codec.decode(&mut buf).unwrap().unwrap();
        assert_eq!(&frame[..], b"hello");
        assert!(codec.decode(&mut buf).unwrap().unwrap().is_empty());
        assert!(codec.decode(&mut buf).unwrap().is_none());
        assert!(codec.decode_eof(&mut buf).unwrap().is_none());

        // The maximum, read and changed at runtime, both ways.
        assert_eq!(codec.max_frame_length(), 8 * 1024 * 1024);
        codec.set_max_frame_length(4);
        let err = codec
            .encode(Bytes::from_static(b"too long"), &mut buf)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(buf.is_empty(), "nothing of a refused frame is written");
        buf.extend_from_slice(&[0, 0, 0, 5, b'h']);
        assert_eq!(
            codec.decode(&mut buf).unwrap_err().kind(),
            ErrorKind::InvalidData
        );

        // Framed: send, flush, next, and the maximum changed on a live connection.
        let (a, b) = tokio::io::duplex(64 * 1024);
        let mut client = Framed::new(a, $new_codec);
        let mut server = Framed::new(b, $new_codec);
        client.send(Bytes::from_static(b"ping")).await.unwrap();
        client.flush().await.unwrap();
        let ping = server.next().await.unwrap().unwrap();
        assert_eq!(&ping[..], b"ping");
        server.send(ping.freeze()).await.unwrap();
        assert_eq!(&client.next().await.unwrap().unwrap()[..], b"ping");
        client.codec_mut().set_max_frame_length(2);
        server.send(Bytes::from_static(b"four")).await.unwrap();
        let err = client.next().await.unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);

        // FramedWrite and FramedRead, and a clean end.
        let (r, w) = tokio::io::duplex(1024);
        let mut writer = FramedWrite::new(w, $new_codec);
        let reader = FramedRead::new(r, $new_codec);
        writer.feed(Bytes::from_static(b"one")).await.unwrap();
        writer.send(Bytes::from_static(b"two")).await.unwrap();
        writer.close().await.unwrap();
        drop(writer);
        let frames: Vec<BytesMut> = reader.map(|frame| frame.unwrap()).collect().await;
        assert_eq!(frames, [&b"one"[..], &b"two"[..]]);
    }};
}

#[tokio::test]
async fn the_code_runs_with_length_delimited_codec() {
    user_code!(LengthDelimitedCodec::new());
}

#[tokio::test]
async fn the_same_code_runs_with_framed_codec() {
    // tokio-util's default layout, named: a u32 length, big-endian ("!I" in Python's struct).
    user_code!(FramedCodec::new(Codec::from_struct_format("!I").unwrap()));
}

#[test]
fn framed_codec_max_frame_len_and_its_old_name_are_one_setting() {
    let mut codec = FramedCodec::default();
    assert_eq!(codec.max_frame_len(), 8 * 1024 * 1024);
    codec.set_max_frame_len(10);
    assert_eq!(codec.max_frame_len(), 10);
    assert_eq!(
        codec.max_frame_length(),
        10,
        "the deprecated alias reads the same setting"
    );
    let mut dst = bytes::BytesMut::new();
    let encoded = |codec: &mut FramedCodec, dst: &mut bytes::BytesMut, len: usize| {
        tokio_util::codec::Encoder::encode(codec, bytes::Bytes::from(vec![0; len]), dst)
    };
    assert!(encoded(&mut codec, &mut dst, 10).is_ok());
    assert!(encoded(&mut codec, &mut dst, 11).is_err(), "both ways");
    codec.set_max_frame_length(7);
    assert_eq!(codec.max_frame_len(), 7);
    assert_eq!(codec.decoder().max_frame_len(), 7);
}
