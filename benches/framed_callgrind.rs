//! Instructions per frame of tokio-util's `FramedWrite`/`FramedRead` with `lenframe::FramedCodec`
//! and with tokio-util's `LengthDelimitedCodec` set to the same layout (4-byte little-endian,
//! lenframe's default `"<i"`), in memory, for `valgrind --tool=callgrind`: the CPU cost of the
//! codec glue per frame without the socket, which the TCP bench (`framed_tcp`) mixes with
//! system calls.
//!
//! `ARGS="64 100000 MODE"`, MODE one of: `framed_sink` (`SinkExt::feed` of a `Bytes` into
//! `FramedWrite` + `FramedCodec` over `tokio::io::sink()`, one flush at the end), `ldc_sink`
//! (the same with `LengthDelimitedCodec`), `dropin_sink` (the same with lenframe's drop-in
//! `lenframe::tokio_util::LengthDelimitedCodec`), `framed_stream` (`StreamExt::next` on
//! `FramedRead` + `FramedCodec` over the wire bytes in memory), `ldc_stream`, `dropin_stream`,
//! `tokio_sink` and `tokio_stream` (lenframe's own tokio `FrameWriter`/`FrameReader` through
//! their `Sink`/`Stream`, the same default layout, beside `Framed`'s rows),
//! `none` (only builds the input: subtract it). Without `ARGS` it runs nothing, so a plain
//! `cargo bench` passes through. `scripts/callgrind_framed.sh` runs every mode.
//!
//! ```text
//! cargo bench --bench framed_callgrind --features tokio-util --no-run
//! ARGS="64 100000 framed_sink" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/deps/framed_callgrind-*
//! ```

mod common;

use bytes::Bytes;
use futures_util::{Sink, SinkExt, StreamExt};
use lenframe::FramedCodec;
use tokio_util::codec::{Decoder, Encoder, FramedRead, FramedWrite};

/// Feeds `frames` copies of `payload` into a `FramedWrite` over `tokio::io::sink()`, flushes once.
async fn feed<C>(codec: C, payload: Bytes, frames: usize) -> usize
where
    C: Encoder<Bytes>,
    C::Error: std::fmt::Debug,
    FramedWrite<tokio::io::Sink, C>: Sink<Bytes, Error = C::Error>,
{
    let mut writer = FramedWrite::new(tokio::io::sink(), codec);
    for _ in 0..frames {
        writer.feed(payload.clone()).await.unwrap();
    }
    SinkExt::<Bytes>::flush(&mut writer).await.unwrap();
    frames
}

/// Reads every frame of `wire` with `StreamExt::next` on a `FramedRead`: how many.
async fn next_all<C>(codec: C, wire: &[u8]) -> usize
where
    C: Decoder,
    C::Error: std::fmt::Debug,
{
    let mut reader = FramedRead::new(wire, codec);
    let mut n = 0;
    while let Some(frame) = reader.next().await {
        std::hint::black_box(frame.unwrap());
        n += 1;
    }
    n
}

fn main() {
    let Some((size, frames, mode)) = common::callgrind_args() else {
        return;
    };
    let payload = Bytes::from(common::payload(size));
    let wire = common::wire(size, frames);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let count = rt.block_on(async {
        match mode.as_str() {
            "none" => {
                std::hint::black_box(&wire);
                frames
            }
            "framed_sink" => feed(FramedCodec::default(), payload, frames).await,
            "ldc_sink" => feed(common::tokio_util_codec(), payload, frames).await,
            "dropin_sink" => feed(common::dropin_codec(), payload, frames).await,
            "framed_stream" => next_all(FramedCodec::default(), &wire).await,
            "ldc_stream" => next_all(common::tokio_util_codec(), &wire).await,
            "dropin_stream" => next_all(common::dropin_codec(), &wire).await,
            "tokio_sink" => {
                let mut writer = lenframe::tokio::FrameWriter::new(tokio::io::sink());
                for _ in 0..frames {
                    writer.feed(payload.clone()).await.unwrap();
                }
                SinkExt::flush(&mut writer).await.unwrap();
                frames
            }
            "tokio_stream" => {
                let mut reader = lenframe::tokio::FrameReader::new(&wire[..]);
                let mut n = 0;
                while let Some(frame) = reader.next().await {
                    std::hint::black_box(frame.unwrap());
                    n += 1;
                }
                n
            }
            other => panic!("unknown mode {other}"),
        }
    });
    assert_eq!(count, frames);
}
