//! Instructions per frame of the futures-io adapters and of asynchronous-codec's `LengthCodec`
//! (an 8-byte big-endian length, so lenframe runs with `">Q"`), in memory, for
//! `valgrind --tool=callgrind`: the CPU cost per frame without the socket, which the TCP bench
//! (`futures_tcp`) mixes with system calls.
//!
//! `ARGS="64 100000 MODE"`, MODE one of: `sink` (`SinkExt::feed` of a `Bytes` into
//! `lenframe::futures::FrameWriter` over `futures_util::io::sink()`), `write` (`write_frame`),
//! `ac_sink` (`FramedWrite` + `LengthCodec`), `stream` (`StreamExt::next` on
//! `lenframe::futures::FrameReader` over an in-memory `Cursor`), `read` (`read_frame`),
//! `ac_stream` (`FramedRead` + `LengthCodec`), `none` (only builds the input: subtract it).
//! Without `ARGS` it runs nothing, so a plain `cargo bench` passes through.
//!
//! ```text
//! cargo bench --bench futures_callgrind --features futures-io --no-run
//! ARGS="64 100000 sink" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/deps/futures_callgrind-*
//! ```

use asynchronous_codec::{FramedRead, FramedWrite, LengthCodec};
use bytes::Bytes;
use futures_util::io::{sink, Cursor};
use futures_util::{SinkExt, StreamExt};
use lenframe::futures::{FrameReader, FrameWriter};
use lenframe::Codec;

fn main() {
    let Ok(args) = std::env::var("ARGS") else {
        return;
    };
    let args: Vec<&str> = args.split_whitespace().collect();
    let size: usize = args[0].parse().unwrap();
    let frames: usize = args[1].parse().unwrap();
    let payload = Bytes::from(vec![7u8; size]);
    let mut wire = Vec::with_capacity(frames * (size + 8));
    for _ in 0..frames {
        wire.extend_from_slice(&(size as u64).to_be_bytes());
        wire.extend_from_slice(&payload);
    }
    let codec = Codec::from_struct_format(">Q").unwrap();
    let count = smol::block_on(async {
        match args[2] {
            "none" => std::hint::black_box(wire.len()),
            "sink" => {
                let mut writer = FrameWriter::with_codec(sink(), codec);
                for _ in 0..frames {
                    writer.feed(payload.clone()).await.unwrap();
                }
                SinkExt::flush(&mut writer).await.unwrap();
                frames
            }
            "write" => {
                let mut writer = FrameWriter::with_codec(sink(), codec);
                for _ in 0..frames {
                    writer.write_frame(&payload).await.unwrap();
                }
                writer.flush().await.unwrap();
                frames
            }
            "ac_sink" => {
                let mut writer = FramedWrite::new(sink(), LengthCodec);
                for _ in 0..frames {
                    writer.feed(payload.clone()).await.unwrap();
                }
                writer.flush().await.unwrap();
                frames
            }
            "stream" => {
                let mut reader = FrameReader::with_codec(Cursor::new(wire), codec);
                let mut n = 0;
                while let Some(frame) = reader.next().await {
                    std::hint::black_box(frame.unwrap());
                    n += 1;
                }
                n
            }
            "read" => {
                let mut reader = FrameReader::with_codec(Cursor::new(wire), codec);
                let mut n = 0;
                while let Some(frame) = reader.read_frame().await.unwrap() {
                    std::hint::black_box(frame);
                    n += 1;
                }
                n
            }
            "ac_stream" => {
                let mut reader = FramedRead::new(Cursor::new(wire), LengthCodec);
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
    if args[2] != "none" {
        assert_eq!(count, frames);
    }
}
