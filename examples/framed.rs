//! lenframe inside tokio-util's `Framed`: `FramedCodec` is a drop-in for tokio-util's
//! `LengthDelimitedCodec`. Both run here on 127.0.0.1, talking to each other. It ends by itself.
//!
//! ```text
//! cargo run --features tokio-util --example framed
//! ```
//!
//! `Framed` turns a socket into a `Stream` of frames (read with `StreamExt::next`) and a
//! `Sink<Bytes>` (write with `SinkExt::send`). Use it when your code is already built on
//! tokio-util codecs; otherwise `lenframe::tokio::{FrameReader, FrameWriter}` (the `tcp_tokio`
//! example) does the same with plain methods.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use lenframe::{Codec, FramedCodec};
use std::process::ExitCode;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Framed, LengthDelimitedCodec};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    // The error's message, not the Debug form `main` prints when it returns the error itself.
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(echo_with_tokio_util(listener));

    // tokio-util's default layout is a 4-byte unsigned big-endian length: Python's
    // struct.pack('!I', n). lenframe's default is struct.pack('i', n) (little-endian), so name
    // the layout to talk to a LengthDelimitedCodec peer. Moving code from tokio-util is this
    // one line: `Framed::new(tcp, LengthDelimitedCodec::new())` becomes
    let tcp = TcpStream::connect(addr).await?;
    let mut framed = Framed::new(tcp, FramedCodec::new(Codec::from_struct_format("!I")?));

    // `send` encodes and flushes; `next` yields each frame as the `BytesMut` split off the read
    // buffer, as LengthDelimitedCodec does (`.freeze()` it for a `Bytes`).
    framed.send(Bytes::from_static(b"hello")).await?;
    let echo = framed.next().await.ok_or("the server closed")??;
    println!(
        "client: sent \"hello\", echo {:?}",
        String::from_utf8_lossy(&echo)
    );

    // The maximum payload length can be changed on a live connection, as tokio-util's can
    // (`set_max_frame_len`; tokio-util spells it `set_max_frame_length`). It counts the payload
    // alone, and applies both
    // ways: to what we send...
    let forty = Bytes::from(vec![b'x'; 40]);
    framed.send(forty.clone()).await?; // sent under the default maximum (8 MiB)
    framed.codec_mut().set_max_frame_len(16);
    println!("client: set_max_frame_len(16)");
    match framed.send(forty).await {
        // Refused before anything is written: the connection is still in step.
        Err(err) => println!("client: sending 40 bytes again fails: {err}"),
        Ok(()) => return Err("a 40-byte frame went out over a 16-byte maximum".into()),
    }
    // ...and to what we receive: the 40-byte echo of the frame sent earlier is refused as soon
    // as its header is in, before its payload is read. That error ends a `Framed` stream (the
    // next `next()` is `None`), so a server would log it and drop the connection.
    match framed.next().await {
        Some(Err(err)) => println!("client: receiving its 40-byte echo fails: {err}"),
        other => return Err(format!("expected an error, got {other:?}").into()),
    }
    assert!(
        framed.next().await.is_none(),
        "the stream ends after an error"
    );
    drop(framed); // closes the connection: the server sees its end of stream

    let echoed = server.await??;
    println!("done: the tokio-util server echoed {echoed} frames");
    Ok(())
}

/// An echo server written with tokio-util's own codec, to show the two speak the same bytes.
async fn echo_with_tokio_util(listener: TcpListener) -> Result<usize, BoxError> {
    let (tcp, _) = listener.accept().await?;
    let mut framed = Framed::new(tcp, LengthDelimitedCodec::new());
    let mut echoed = 0;
    // The client drops the connection after its error, maybe with bytes of ours unread, which
    // the system may report as a reset rather than a clean end: either ends this loop.
    while let Some(Ok(frame)) = framed.next().await {
        framed.send(frame.freeze()).await?;
        echoed += 1;
    }
    println!("server (tokio-util LengthDelimitedCodec): the client closed");
    Ok(echoed)
}
