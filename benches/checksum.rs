//! What a checksum costs: the same 4 KiB-frame stream decoded with the default layout (no sync,
//! no check) and with sync bytes and a CRC-32C trailer, two ways:
//!
//! - `slice`: `FrameDecoder::decode_slice` over the stream in memory. Without a check the
//!   decoder never reads a payload byte, so this is the CRC's whole cost against nothing.
//! - `reader`: `blocking::FrameReader::read_frame_ref` over a `&[u8]`, which copies every byte
//!   into the reader's buffer as a socket or serial read would: the cost a program sees.
//!
//! Run: `cargo bench --features checksum --bench checksum`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lenframe::blocking::FrameReader;
use lenframe::{ByteOrder, Checksum, ChecksumAlgorithm, Codec, Decoded};

const FRAME: usize = 4096;
const FRAMES: usize = 256;

fn stream(codec: Codec) -> Vec<u8> {
    let encoder = codec.encoder();
    let mut out = bytes::BytesMut::new();
    for i in 0..FRAMES {
        let payload: Vec<u8> = (0..FRAME).map(|j| (i * 31 + j * 7) as u8).collect();
        encoder.encode(&payload, &mut out).unwrap();
    }
    out.to_vec()
}

fn decode_slice(codec: Codec, mut rest: &[u8]) -> usize {
    let mut decoder = codec.decoder();
    let mut frames = 0;
    loop {
        match decoder.decode_slice(rest).unwrap() {
            Decoded::Frame { frame, consumed } => {
                black_box(frame);
                rest = &rest[consumed..];
                frames += 1;
            }
            // The trailer after a payload.
            Decoded::Skipped { consumed } => rest = &rest[consumed..],
            Decoded::Incomplete { .. } => {
                assert_eq!(decoder.dropped_bytes(), 0, "a clean stream");
                return frames;
            }
        }
    }
}

fn read_all(codec: Codec, wire: &[u8]) -> usize {
    let mut reader = FrameReader::with_codec(wire, codec);
    let mut frames = 0;
    while let Some(frame) = reader.read_frame_ref().unwrap() {
        black_box(frame);
        frames += 1;
    }
    frames
}

fn bench(c: &mut Criterion) {
    let plain = Codec::default();
    let crc32c = Codec::builder()
        .sync_bytes(b"\xAA\x55")
        .checksum(Checksum::new(ChecksumAlgorithm::Crc32C, ByteOrder::Little))
        .build()
        .unwrap();
    let plain_wire = stream(plain);
    let crc_wire = stream(crc32c);
    assert_eq!(decode_slice(crc32c, &crc_wire), FRAMES);
    assert_eq!(read_all(crc32c, &crc_wire), FRAMES);

    let mut group = c.benchmark_group("checksum_4k");
    group.throughput(Throughput::Bytes((FRAME * FRAMES) as u64));
    group.bench_function("slice/none", |b| {
        b.iter(|| decode_slice(plain, &plain_wire))
    });
    group.bench_function("slice/crc32c", |b| {
        b.iter(|| decode_slice(crc32c, &crc_wire))
    });
    group.bench_function("reader/none", |b| b.iter(|| read_all(plain, &plain_wire)));
    group.bench_function("reader/crc32c", |b| b.iter(|| read_all(crc32c, &crc_wire)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
