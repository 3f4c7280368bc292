//! Instructions per frame of the blocking adapters, for `valgrind --tool=callgrind` (counts do
//! not depend on the load of the machine, so two versions can be compared exactly).
//!
//! `ARGS="64 200000 read"` reads 200,000 frames of 64 B with `FrameReader::read_frame` from an
//! in-memory `Cursor`; `read_ref` the same with `FrameReader::read_frame_ref`; `write` writes
//! them with `FrameWriter::write_frame` to `io::sink()`;
//! `none` only builds the input (the baseline to subtract). Without `ARGS` it runs nothing
//! (so a plain `cargo bench` passes through).
//!
//! ```text
//! cargo bench --bench adapters_callgrind --no-run
//! ARGS="64 200000 read" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/deps/adapters_callgrind-*
//! ```

use std::io::{self, Cursor};

use lenframe::blocking::{FrameReader, FrameWriter};

fn main() {
    let Ok(args) = std::env::var("ARGS") else {
        return;
    };
    let args: Vec<&str> = args.split_whitespace().collect();
    let size: usize = args[0].parse().unwrap();
    let frames: usize = args[1].parse().unwrap();
    let payload = vec![7u8; size];
    let mut wire = Vec::with_capacity(frames * (size + 4));
    for _ in 0..frames {
        wire.extend_from_slice(&(size as u32).to_le_bytes());
        wire.extend_from_slice(&payload);
    }
    match args[2] {
        "read" => {
            let mut reader = FrameReader::new(Cursor::new(wire));
            let mut total = 0;
            while let Some(frame) = reader.read_frame().unwrap() {
                total += frame.len();
                std::hint::black_box(&frame);
            }
            assert_eq!(total, size * frames);
        }
        "read_ref" => {
            let mut reader = FrameReader::new(Cursor::new(wire));
            let mut total = 0;
            while let Some(frame) = reader.read_frame_ref().unwrap() {
                total += frame.len();
                std::hint::black_box(frame);
            }
            assert_eq!(total, size * frames);
        }
        "write" => {
            let mut writer = FrameWriter::new(io::sink());
            for _ in 0..frames {
                writer.write_frame(&payload).unwrap();
            }
            writer.flush().unwrap();
        }
        _ => {
            std::hint::black_box(&wire);
        }
    }
}
