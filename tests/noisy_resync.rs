//! Resynchronisation under noise: long frame streams with bit flips, dropped bytes, inserted
//! garbage and truncation at random places, decoded through the core (`decode` and
//! `decode_slice`, in random read sizes), the blocking reader and the embedded reader.
//!
//! The promises pinned: every frame the noise did not touch is delivered exactly once and in
//! order; no corrupted frame is ever delivered; the bytes add up (bytes in = bytes of delivered
//! frames + dropped bytes + bytes left over); the decoder never asks for more than one whole
//! frame at the maximum. `recovery_figures` prints what recovery costs.

use bytes::BytesMut;
use lenframe::{ByteOrder, Checksum, ChecksumAlgorithm, Codec, Decoded, FrameDecoder};
use proptest::prelude::*;
use proptest::test_runner::Config;

const MAX: usize = 600;

/// A UBX-like layout with a CRC-32C: sync, a tag byte, a 2-byte length, payload, check.
fn crc_codec() -> Codec {
    Codec::builder()
        .sync_bytes(b"\xB5\x62")
        .length_field_offset(1)
        .struct_format("<H")
        .max_frame_len(MAX)
        .checksum(Checksum::new(ChecksumAlgorithm::Crc32C, ByteOrder::Little))
        .build()
        .unwrap()
}

/// RTCM-like: one sync byte, a 10-bit length, CRC-24Q over everything.
fn rtcm_codec() -> Codec {
    Codec::builder()
        .sync_bytes(b"\xD3")
        .struct_format(">H")
        .length_field_bits(0, 10)
        .max_frame_len(MAX)
        .checksum(Checksum::new(ChecksumAlgorithm::Crc24Q, ByteOrder::Big).covering_from(0))
        .build()
        .unwrap()
}

/// The wire bytes of a frame with this payload length.
fn wire_len(codec: &Codec, payload: usize) -> usize {
    codec.min_header_len() + payload + codec.trailer_len()
}

struct Stream {
    /// Every frame's payload: its sequence number, then filler.
    payloads: Vec<Vec<u8>>,
    wire: Vec<u8>,
    /// Each frame's `[start, end)` in `wire`.
    spans: Vec<(usize, usize)>,
}

fn make_stream(codec: &Codec, rng: &mut Rng, frames: usize) -> Stream {
    let encoder = codec.encoder();
    let mut wire = BytesMut::new();
    let mut payloads = Vec::new();
    let mut spans = Vec::new();
    for seq in 0..frames as u32 {
        let len = rng.range(4..301);
        let mut payload = seq.to_le_bytes().to_vec();
        // Filler with sync bytes in it now and then, so that false candidates are common.
        payload.extend((4..len).map(|_| match rng.below(16) {
            0 => 0xB5,
            1 => 0xD3,
            _ => rng.byte(),
        }));
        let start = wire.len();
        let tag = [rng.byte()];
        let prefix: &[u8] = if codec.length_field_offset() == 1 {
            &tag
        } else {
            &[]
        };
        encoder
            .encode_with_prefix(prefix, &payload, &mut wire)
            .unwrap();
        spans.push((start, wire.len()));
        payloads.push(payload);
    }
    Stream {
        payloads,
        wire: wire.to_vec(),
        spans,
    }
}

/// One kind of damage at one place of the clean stream.
#[derive(Clone, Debug)]
enum Noise {
    Flip { at: usize, bit: u8 },
    Drop { at: usize },
    Insert { at: usize, garbage: Vec<u8> },
}

impl Noise {
    fn at(&self) -> usize {
        match *self {
            Noise::Flip { at, .. } | Noise::Drop { at } | Noise::Insert { at, .. } => at,
        }
    }
}

/// The noisy stream, and which frames the noise touched (truncation after `cut` bytes of the
/// clean stream touches every frame not wholly before it).
fn apply(stream: &Stream, mut noise: Vec<Noise>, cut: usize) -> (Vec<u8>, Vec<bool>) {
    noise.sort_by_key(Noise::at);
    let mut touched = vec![false; stream.spans.len()];
    let frame_at = |pos: usize| stream.spans.partition_point(|&(_, end)| end <= pos);
    let mut out = Vec::with_capacity(stream.wire.len() + 64);
    let mut next = 0;
    for event in &noise {
        let at = event.at().min(cut);
        out.extend_from_slice(&stream.wire[next..at.max(next)]);
        next = next.max(at);
        match event {
            Noise::Flip { bit, .. } if at < cut && next == at => {
                out.push(stream.wire[at] ^ (1 << bit));
                next = at + 1;
                touched[frame_at(at)] = true;
            }
            Noise::Drop { .. } if at < cut && next == at => {
                next = at + 1;
                touched[frame_at(at)] = true;
            }
            Noise::Insert { garbage, .. } => {
                out.extend_from_slice(garbage);
                // Garbage between two frames touches neither.
                let on_boundary = stream.spans.iter().any(|&(start, _)| start == at);
                if !on_boundary && at < stream.wire.len() {
                    touched[frame_at(at)] = true;
                }
            }
            _ => {}
        }
    }
    out.extend_from_slice(&stream.wire[next.min(cut)..cut]);
    for (i, &(_, end)) in stream.spans.iter().enumerate() {
        if end > cut {
            touched[i] = true;
        }
    }
    (out, touched)
}

fn noise_strategy(len: usize) -> impl Strategy<Value = Noise> {
    prop_oneof![
        (0..len, 0u8..8).prop_map(|(at, bit)| Noise::Flip { at, bit }),
        (0..len).prop_map(|at| Noise::Drop { at }),
        (
            0..=len,
            prop::collection::vec(
                prop_oneof![Just(0xB5u8), Just(0x62), Just(0xD3), any::<u8>()],
                1..40
            )
        )
            .prop_map(|(at, garbage)| Noise::Insert { at, garbage }),
    ]
}

/// What a decoding delivered, checked against the clean stream: the sequence numbers, in order.
fn check_delivered(stream: &Stream, frames: &[Vec<u8>]) -> Vec<usize> {
    let mut seqs = Vec::new();
    for frame in frames {
        let seq = u32::from_le_bytes(frame[..4].try_into().unwrap()) as usize;
        assert!(seq < stream.payloads.len(), "a frame that was never sent");
        assert_eq!(
            frame, &stream.payloads[seq],
            "a corrupted frame was delivered"
        );
        if let Some(&last) = seqs.last() {
            assert!(
                seq > last,
                "frame {seq} after {last}: out of order or twice"
            );
        }
        seqs.push(seq);
    }
    seqs
}

/// Decodes `noisy` with `FrameDecoder::decode` fed in reads of random sizes, then
/// `decode_eof`: the frames, the decoder, and the bytes left over.
fn decode_bytesmut(
    codec: Codec,
    noisy: &[u8],
    reads: &[usize],
) -> (Vec<Vec<u8>>, FrameDecoder, usize) {
    let mut decoder = codec.decoder();
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut rest = noisy;
    let mut reads = reads.iter().cycle();
    let bound = wire_len(&codec, codec.max_decode_len());
    while !rest.is_empty() {
        let n = (*reads.next().unwrap()).clamp(1, rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        while let Some(frame) = decoder.decode(&mut buf).unwrap() {
            frames.push(frame.to_vec());
        }
        // Memory follows the settings: never more buffered than one whole frame at the
        // maximum, whatever the noise.
        assert!(
            buf.len() < bound,
            "{} bytes buffered, bound {bound}",
            buf.len()
        );
        assert!(decoder.bytes_needed(&buf) <= bound);
    }
    while let Some(frame) = decoder.decode_eof(&mut buf).unwrap() {
        frames.push(frame.to_vec());
    }
    let left = buf.len();
    (frames, decoder, left)
}

/// The same with `decode_slice` over a fixed buffer, the way firmware does: the frames, the
/// decoder, and the bytes left over (no end-of-stream drain here).
fn decode_slices(
    codec: Codec,
    noisy: &[u8],
    reads: &[usize],
) -> (Vec<Vec<u8>>, FrameDecoder, usize) {
    let mut decoder = codec.decoder();
    let mut buf = vec![0u8; wire_len(&codec, codec.max_decode_len())];
    let mut len = 0;
    let mut frames = Vec::new();
    let mut rest = noisy;
    let mut reads = reads.iter().cycle();
    while !rest.is_empty() {
        let n = (*reads.next().unwrap())
            .clamp(1, rest.len())
            .min(buf.len() - len);
        assert!(n > 0, "a full buffer with no frame and nothing to drop");
        buf[len..len + n].copy_from_slice(&rest[..n]);
        len += n;
        rest = &rest[n..];
        loop {
            let drop = match decoder.decode_slice(&buf[..len]).unwrap() {
                Decoded::Frame { frame, consumed } => {
                    frames.push(frame.to_vec());
                    consumed
                }
                Decoded::Skipped { consumed } => consumed,
                Decoded::Incomplete { needed } => {
                    assert!(
                        len + needed <= buf.len(),
                        "asks for more than a whole frame"
                    );
                    break;
                }
            };
            buf.copy_within(drop..len, 0);
            len -= drop;
        }
    }
    (frames, decoder, len)
}

fn delivered_bytes(codec: &Codec, frames: &[Vec<u8>]) -> u64 {
    frames.iter().map(|f| wire_len(codec, f.len()) as u64).sum()
}

fn check_all(codec: Codec, stream: &Stream, noise: Vec<Noise>, cut: usize, reads: &[usize]) {
    let (noisy, touched) = apply(stream, noise, cut);

    let (frames, decoder, left) = decode_bytesmut(codec, &noisy, reads);
    let seqs = check_delivered(stream, &frames);
    for (seq, touched) in touched.iter().enumerate() {
        if !touched {
            assert!(
                seqs.binary_search(&seq).is_ok(),
                "untouched frame {seq} was lost"
            );
        }
    }
    assert_eq!(left, 0, "decode_eof drains what is left");
    assert_eq!(
        noisy.len() as u64,
        delivered_bytes(&codec, &frames) + decoder.dropped_bytes() + left as u64,
        "bytes in = delivered + dropped + left over"
    );

    // decode_slice: the same frames, except those the end of the stream hid (no drain).
    let (slice_frames, slice_decoder, slice_left) = decode_slices(codec, &noisy, reads);
    check_delivered(stream, &slice_frames);
    assert_eq!(slice_frames[..], frames[..slice_frames.len()]);
    assert_eq!(
        noisy.len() as u64,
        delivered_bytes(&codec, &slice_frames) + slice_decoder.dropped_bytes() + slice_left as u64,
    );
}

proptest! {
    #![proptest_config(Config { cases: 64, ..Config::default() })]

    #[test]
    fn untouched_frames_survive_noise_with_crc32c(
        seed in any::<u64>(),
        noise in prop::collection::vec(noise_strategy(20_000), 0..24),
        cut_back in 0usize..400,
        reads in prop::collection::vec(1usize..700, 1..8),
    ) {
        let codec = crc_codec();
        let mut rng = Rng::seed(seed);
        let stream = make_stream(&codec, &mut rng, 120);
        let cut = stream.wire.len().saturating_sub(cut_back);
        check_all(codec, &stream, noise, cut, &reads);
    }

    #[test]
    fn untouched_frames_survive_noise_with_rtcm_layout(
        seed in any::<u64>(),
        noise in prop::collection::vec(noise_strategy(20_000), 0..24),
        cut_back in 0usize..400,
        reads in prop::collection::vec(1usize..700, 1..8),
    ) {
        let codec = rtcm_codec();
        let mut rng = Rng::seed(seed);
        let stream = make_stream(&codec, &mut rng, 120);
        let cut = stream.wire.len().saturating_sub(cut_back);
        check_all(codec, &stream, noise, cut, &reads);
    }
}

/// Without sync bytes, a failed check is an error and nothing is consumed: no scanning.
#[test]
fn without_sync_a_bad_checksum_is_an_error() {
    let codec = Codec::builder()
        .struct_format("!H")
        .checksum(Checksum::new(ChecksumAlgorithm::Crc32C, ByteOrder::Big))
        .build()
        .unwrap();
    let mut wire = BytesMut::new();
    codec.encoder().encode(b"hello", &mut wire).unwrap();
    wire[3] ^= 1;
    let mut decoder = codec.decoder();
    let err = decoder.decode(&mut wire).unwrap_err();
    assert!(
        matches!(err, lenframe::FrameError::ChecksumMismatch { expected, actual } if expected != actual)
    );
    assert_eq!(wire.len(), 2 + 5 + 4, "nothing consumed");
    assert_eq!(decoder.dropped_bytes(), 0);
}

/// A length over the maximum behind good sync bytes is noise too: dropped, and the next frame
/// found.
#[test]
fn an_impossible_length_is_dropped_up_to_the_next_sync() {
    let codec = crc_codec();
    let mut wire = BytesMut::from(&b"\xB5\x62\x00\xff\xff"[..]);
    codec
        .encoder()
        .encode_with_prefix(b"t", b"ok", &mut wire)
        .unwrap();
    let mut decoder = codec.decoder();
    assert_eq!(decoder.decode(&mut wire).unwrap().unwrap(), &b"ok"[..]);
    assert_eq!(
        (
            decoder.dropped_bytes(),
            decoder.rejected_frames(),
            decoder.resyncs()
        ),
        (5, 1, 1)
    );
}

/// The blocking and embedded readers get resync through the core decoder: the same frames as the
/// core, and the same dropped bytes.
#[test]
fn blocking_and_embedded_readers_resynchronise_like_the_core() {
    let codec = crc_codec();
    let mut rng = Rng::seed(23);
    let stream = make_stream(&codec, &mut rng, 200);
    // Noise in the first three quarters only, so that the stream ends with whole frames and the
    // readers end cleanly.
    let clean_from = stream.spans[150].0;
    let noise = (0..30)
        .map(|i| {
            let at = rng.below(clean_from);
            match i % 3 {
                0 => Noise::Flip {
                    at,
                    bit: rng.below(8) as u8,
                },
                1 => Noise::Drop { at },
                _ => Noise::Insert {
                    at,
                    garbage: vec![0xB5, 0x62, 0x00, 0x10, 0x00],
                },
            }
        })
        .collect();
    let (noisy, _) = apply(&stream, noise, stream.wire.len());
    let (core_frames, core, _) = decode_bytesmut(codec, &noisy, &[97]);

    let core_seqs = check_delivered(&stream, &core_frames);
    let mut reader = lenframe::blocking::FrameReader::with_codec(&noisy[..], codec);
    let mut frames = Vec::new();
    while let Some(frame) = reader.read_frame().unwrap() {
        frames.push(frame.to_vec());
    }
    assert_eq!(check_delivered(&stream, &frames), core_seqs);

    let mut storage = [0u8; 1024];
    let mut reader = lenframe::embedded::FrameReader::with_codec(&noisy[..], codec, &mut storage);
    let mut embedded_frames = Vec::new();
    while let Some(frame) = reader.read_frame().unwrap() {
        embedded_frames.push(frame.to_vec());
    }
    assert_eq!(check_delivered(&stream, &embedded_frames), core_seqs);
    assert!(core.dropped_bytes() > 0);
}

/// A payload lent from the reader's buffer is the payload, with the checksum trailer after it
/// left out, and the frame after it is found.
#[test]
fn blocking_read_frame_ref_lends_the_payload_without_its_trailer() {
    for keep_header in [false, true] {
        let codec = crc_codec()
            .to_builder()
            .keep_header(keep_header)
            .build()
            .unwrap();
        let mut wire = BytesMut::new();
        codec
            .encoder()
            .encode_with_prefix(b"t", b"hello", &mut wire)
            .unwrap();
        codec
            .encoder()
            .encode_with_prefix(b"t", b"world", &mut wire)
            .unwrap();
        let frames: Vec<&[u8]> = if keep_header {
            vec![&wire[..wire.len() / 2], &wire[wire.len() / 2..]]
        } else {
            vec![b"hello", b"world"]
        };
        let mut reader = lenframe::blocking::FrameReader::with_codec(&wire[..], codec);
        for expected in frames {
            assert_eq!(reader.read_frame_ref().unwrap(), Some(expected));
        }
        assert_eq!(reader.read_frame_ref().unwrap(), None);
    }
}

/// A writer sends the checksum trailer after the payload with every method: `write_frame`
/// (copied or written through), `write_frame_with` (encoded whole), the same bytes as the
/// encoder's. (tests/noisy_writers.rs runs every method of every adapter.)
#[test]
fn blocking_writer_sends_the_trailer_with_write_frame_and_write_frame_with() {
    let codec = crc_codec();
    // A 100-byte buffer: the 500-byte payload is written through.
    let mut writer =
        lenframe::blocking::FrameWriter::with_codec(Vec::new(), codec).with_buffer_size(100);
    writer.write_frame(b"hello").unwrap();
    writer
        .write_frame_with(|buf| {
            buf.extend_from_slice(b"hello");
            Ok::<_, lenframe::Error>(())
        })
        .unwrap();
    let big = vec![3u8; 500];
    writer.write_frame(&big).unwrap();
    let wire = writer.into_inner().unwrap();
    let mut expected = BytesMut::new();
    for payload in [&b"hello"[..], b"hello", &big] {
        codec.encoder().encode(payload, &mut expected).unwrap();
    }
    assert_eq!(wire, &expected[..]);
    let mut decoder = codec.decoder();
    let mut buf = BytesMut::from(&wire[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), &b"hello"[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), &b"hello"[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), &big[..]);
    assert!(buf.is_empty());
    assert_eq!(decoder.dropped_bytes(), 0);
}

/// The embedded reader sizes its maximum payload so that a whole frame, sync bytes and
/// checksum trailer included, fits in the lent buffer.
#[test]
fn embedded_reader_fits_a_full_size_frame_with_sync_and_trailer_in_its_buffer() {
    let codec = crc_codec()
        .to_builder()
        .max_frame_len(1000)
        .build()
        .unwrap();
    let mut storage = [0u8; 64];
    let fits = 64 - (2 + 1 + 2 + 4);
    let mut wire = BytesMut::new();
    codec.encoder().encode(vec![7u8; fits], &mut wire).unwrap();
    codec.encoder().encode(b"ok", &mut wire).unwrap();
    let mut reader = lenframe::embedded::FrameReader::with_codec(&wire[..], codec, &mut storage);
    assert_eq!(reader.codec().max_decode_len(), fits);
    assert_eq!(reader.read_frame().unwrap(), Some(&[7u8; 55][..]));
    assert_eq!(reader.read_frame().unwrap(), Some(&b"ok"[..]));
    assert_eq!(reader.read_frame().unwrap(), None);
}

/// At the end of the stream, a candidate frame that can never complete (its length reaches past
/// the end) is noise: the embedded readers drop it as the core's `decode_eof` does, return the
/// frames it hid, count the same dropped bytes, and end cleanly.
#[test]
fn embedded_reader_drains_a_noisy_tail_like_the_core() {
    let codec = crc_codec();
    let encoder = codec.encoder();
    let mut wire = BytesMut::new();
    encoder.encode(b"first", &mut wire).unwrap();
    // A sync, a tag and a length of 500: the stream ends long before.
    wire.extend_from_slice(b"\xB5\x62t\xF4\x01junk");
    encoder.encode(b"hidden one", &mut wire).unwrap();
    encoder.encode(b"hidden two", &mut wire).unwrap();
    // And a cut frame at the very end.
    let mut last = BytesMut::new();
    encoder.encode(b"cut short", &mut last).unwrap();
    wire.extend_from_slice(&last[..last.len() - 3]);

    let mut decoder = codec.decoder();
    let mut buf = BytesMut::from(&wire[..]);
    let mut core_frames = Vec::new();
    while let Some(frame) = decoder.decode_eof(&mut buf).unwrap() {
        core_frames.push(frame.to_vec());
    }
    assert_eq!(core_frames, [&b"first"[..], b"hidden one", b"hidden two"]);
    assert!(decoder.dropped_bytes() > 0);

    for read in [1, 7, usize::MAX] {
        struct Chunked<'a>(&'a [u8], usize);
        impl embedded_io::ErrorType for Chunked<'_> {
            type Error = core::convert::Infallible;
        }
        impl embedded_io::Read for Chunked<'_> {
            fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut storage = [0u8; 1024];
        let mut reader =
            lenframe::embedded::FrameReader::with_codec(Chunked(&wire, read), codec, &mut storage);
        let mut frames = Vec::new();
        while let Some(frame) = reader.read_frame().unwrap() {
            frames.push(frame.to_vec());
        }
        assert_eq!(frames, core_frames, "reads of {read}");
        assert_eq!(
            reader.decoder().dropped_bytes(),
            decoder.dropped_bytes(),
            "reads of {read}"
        );
        assert_eq!(
            reader.read_frame().unwrap(),
            None,
            "ended cleanly, and stays so"
        );
    }
}

/// Recovery figures over a long stream: frames lost per noise event, bytes scanned. Printed
/// (run with `--nocapture`), and bounded so that a regression fails.
#[test]
fn recovery_figures() {
    for (name, codec) in [
        ("crc32c/B5 62", crc_codec()),
        ("rtcm/D3 crc24q", rtcm_codec()),
    ] {
        for (kind, events) in [("flip", 0), ("drop", 1), ("insert", 2), ("mixed", 3)] {
            let mut rng = Rng::seed(7);
            let frames = 5_000;
            let stream = make_stream(&codec, &mut rng, frames);
            let n_noise = 200;
            let noise: Vec<Noise> = (0..n_noise)
                .map(|i| {
                    let at = rng.below(stream.wire.len());
                    match if events == 3 { i % 3 } else { events } {
                        0 => Noise::Flip {
                            at,
                            bit: rng.below(8) as u8,
                        },
                        1 => Noise::Drop { at },
                        _ => Noise::Insert {
                            at,
                            garbage: (0..rng.range(1..40)).map(|_| rng.byte()).collect(),
                        },
                    }
                })
                .collect();
            let (noisy, touched) = apply(&stream, noise, stream.wire.len());
            let (delivered, decoder, _) = decode_bytesmut(codec, &noisy, &[512]);
            let seqs = check_delivered(&stream, &delivered);
            let touched_count = touched.iter().filter(|t| **t).count();
            let lost = frames - seqs.len();
            let lost_untouched = touched
                .iter()
                .enumerate()
                .filter(|(seq, t)| !**t && seqs.binary_search(seq).is_err())
                .count();
            println!(
                "{name:16} {kind:6}: {n_noise} events, {touched_count} frames touched, {lost} lost \
                 ({:.2} per event), {lost_untouched} untouched lost, {} bytes dropped of {} \
                 ({:.1} per event), {} resyncs, {} frames rejected",
                lost as f64 / n_noise as f64,
                decoder.dropped_bytes(),
                noisy.len(),
                decoder.dropped_bytes() as f64 / n_noise as f64,
                decoder.resyncs(),
                decoder.rejected_frames(),
            );
            assert_eq!(lost_untouched, 0);
            assert_eq!(lost, touched_count, "only touched frames are lost");
        }
    }
}

/// A small seeded generator (xorshift64*), so that the figures are the same on every run.
struct Rng(u64);

impl Rng {
    fn seed(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn range(&mut self, range: std::ops::Range<usize>) -> usize {
        range.start + self.below(range.end - range.start)
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}
