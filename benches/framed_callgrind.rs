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
//! `none` (only builds the input: subtract it). Without `ARGS` it runs nothing, so a plain
//! `cargo bench` passes through. `scripts/callgrind_framed.sh` runs every mode.
//!
//! ```text
//! cargo bench --bench framed_callgrind --features tokio-util --no-run
//! ARGS="64 100000 framed_sink" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/deps/framed_callgrind-*
//! ```

use bytes::Bytes;
use futures_util::{Sink, SinkExt, StreamExt};
use lenframe::FramedCodec;
use tokio_util::codec::{Decoder, Encoder, FramedRead, FramedWrite, LengthDelimitedCodec};

/// tokio-util's codec with lenframe's default layout.
fn ldc() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .little_endian()
        .length_field_length(4)
        .new_codec()
}

/// lenframe's drop-in, with the same layout.
fn dropin() -> lenframe::tokio_util::LengthDelimitedCodec {
    lenframe::tokio_util::LengthDelimitedCodec::builder()
        .little_endian()
        .length_field_length(4)
        .new_codec()
}

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
    let Ok(args) = std::env::var("ARGS") else {
        return;
    };
    let args: Vec<&str> = args.split_whitespace().collect();
    let size: usize = args[0].parse().unwrap();
    let frames: usize = args[1].parse().unwrap();
    let payload = Bytes::from(vec![7u8; size]);
    let mut wire = Vec::with_capacity(frames * (size + 4));
    for _ in 0..frames {
        wire.extend_from_slice(&(size as u32).to_le_bytes());
        wire.extend_from_slice(&payload);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let count = rt.block_on(async {
        match args[2] {
            "none" => std::hint::black_box(wire.len()),
            "framed_sink" => feed(FramedCodec::default(), payload, frames).await,
            "ldc_sink" => feed(ldc(), payload, frames).await,
            "dropin_sink" => feed(dropin(), payload, frames).await,
            "framed_stream" => next_all(FramedCodec::default(), &wire).await,
            "ldc_stream" => next_all(ldc(), &wire).await,
            "dropin_stream" => next_all(dropin(), &wire).await,
            other => panic!("unknown mode {other}"),
        }
    });
    if args[2] != "none" {
        assert_eq!(count, frames);
    }
}
