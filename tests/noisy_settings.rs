//! The noisy-link settings on their own and with the others (offset, adjustment, keep-header,
//! varint, skip_oversized): encoding and decoding agree for every combination, in every chunking,
//! through every decoding path; settings that cannot work are refused when built.

use bytes::BytesMut;
use lenframe::{
    ByteOrder, Checksum, ChecksumAlgorithm, Codec, ConfigError, Decoded, EncodeError, FrameError,
    LengthField,
};
use proptest::prelude::*;

const ALGORITHMS: [ChecksumAlgorithm; 11] = [
    ChecksumAlgorithm::Fletcher8,
    ChecksumAlgorithm::Crc16Mcrf4xx,
    ChecksumAlgorithm::Crc16Xmodem,
    ChecksumAlgorithm::Crc16Modbus,
    ChecksumAlgorithm::Crc16Kermit,
    ChecksumAlgorithm::Crc16IbmSdlc,
    ChecksumAlgorithm::Crc16Arc,
    ChecksumAlgorithm::Crc24Q,
    ChecksumAlgorithm::Crc24OpenPgp,
    ChecksumAlgorithm::Crc32,
    ChecksumAlgorithm::Crc32C,
];

fn xor_check(covered: &[u8]) -> u64 {
    covered.iter().fold(0u8, |x, b| x ^ b).into()
}

prop_compose! {
    fn noisy_codec()(
        sync in prop::collection::vec(any::<u8>(), 0..=4),
        offset in 0usize..3,
        format in prop_oneof![Just("B"), Just("<H"), Just(">H"), Just("!I"), Just("<I")],
        bits in prop_oneof![Just(None), Just(Some((0u8, 7u8))), Just(Some((2u8, 6u8)))],
        adjustment in 0i64..3,
        keep_header in any::<bool>(),
        check in prop_oneof![
            Just(None),
            (0..ALGORITHMS.len(), any::<bool>()).prop_map(|(i, big)| Some((Some(i), big))),
            any::<bool>().prop_map(|big| Some((None, big))),
        ],
        cover_from_zero in any::<bool>(),
    ) -> Codec {
        let mut builder = Codec::builder()
            .sync_bytes(&sync)
            .length_field_offset(offset)
            .struct_format(format)
            .length_adjustment(adjustment)
            .keep_header(keep_header)
            .max_frame_len(100);
        if let Some((shift, n)) = bits {
            builder = builder.length_field_bits(shift, n);
        }
        if let Some((algorithm, big)) = check {
            let order = if big { ByteOrder::Big } else { ByteOrder::Little };
            let mut checksum = match algorithm {
                Some(i) => Checksum::new(ALGORITHMS[i], order),
                None => Checksum::custom(xor_check, 1, order),
            };
            if cover_from_zero {
                checksum = checksum.covering_from(0);
            }
            builder = builder.checksum(checksum);
        }
        builder.build().unwrap()
    }
}

fn expected_frame(codec: &Codec, wire: &[u8], payload: &[u8]) -> Vec<u8> {
    if codec.keeps_header() {
        wire.to_vec()
    } else {
        payload.to_vec()
    }
}

proptest! {
    /// Encoded frames decode to their payloads through `decode` (random reads), `decode_slice`
    /// (stateful) and the stateless `Codec::decode_slice`, with nothing dropped.
    #[test]
    fn every_combination_round_trips(
        codec in noisy_codec(),
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 2..60), 1..8),
        reads in prop::collection::vec(1usize..40, 1..5),
    ) {
        let encoder = codec.encoder();
        let prefix = vec![0xA5; codec.length_field_offset()];
        let mut wire = BytesMut::new();
        let mut expected = Vec::new();
        for payload in &payloads {
            let start = wire.len();
            encoder.encode_with_prefix(&prefix, payload, &mut wire).unwrap();
            let frame_len = wire.len() - start;
            prop_assert_eq!(frame_len, codec.min_header_len() + payload.len() + codec.trailer_len());
            expected.push(expected_frame(&codec, &wire[start..], payload));
        }

        // BytesMut, in random reads.
        let mut decoder = codec.decoder();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        let mut rest = &wire[..];
        for n in reads.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let n = (*n).min(rest.len());
            buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            while let Some(frame) = decoder.decode(&mut buf).unwrap() {
                got.push(frame.to_vec());
            }
        }
        prop_assert_eq!(decoder.decode_eof(&mut buf).unwrap(), None);
        prop_assert_eq!(&got, &expected);
        prop_assert_eq!(decoder.dropped_bytes(), 0);

        // decode_slice, stateful and stateless, over the whole wire.
        let mut decoder = codec.decoder();
        let (mut stateful, mut stateless) = (Vec::new(), Vec::new());
        let mut at = 0;
        while at < wire.len() {
            match decoder.decode_slice(&wire[at..]).unwrap() {
                Decoded::Frame { frame, consumed } => {
                    // The frame ends where the consumed bytes do.
                    prop_assert_eq!(frame.as_ptr_range().end, wire[at + consumed..].as_ptr());
                    stateful.push(frame.to_vec());
                    at += consumed;
                }
                Decoded::Skipped { consumed } => at += consumed,
                Decoded::Incomplete { .. } => prop_assert!(false, "a whole stream is incomplete"),
            }
        }
        let mut at = 0;
        while let Decoded::Frame { frame, consumed } = codec.decode_slice(&wire[at..]).unwrap() {
            stateless.push(frame.to_vec());
            at += consumed;
        }
        prop_assert_eq!(at, wire.len());
        prop_assert_eq!(&stateful, &expected);
        prop_assert_eq!(&stateless, &expected);
        prop_assert_eq!(decoder.dropped_bytes(), 0);
    }

    /// `encode_with` writes the same bytes as `encode`, trailer included, with a varint too.
    #[test]
    fn encode_with_matches_encode(
        payload in prop::collection::vec(any::<u8>(), 0..300),
        varint in any::<bool>(),
        algorithm in 0..ALGORITHMS.len(),
    ) {
        let field = if varint { LengthField::VARINT } else { LengthField::U32_BE };
        let codec = Codec::builder()
            .sync_bytes(b"\x7E")
            .length_field(field)
            .max_frame_len(1 << 16)
            .checksum(Checksum::new(ALGORITHMS[algorithm], ByteOrder::Big))
            .build()
            .unwrap();
        let encoder = codec.encoder();
        let mut plain = BytesMut::new();
        encoder.encode(&payload, &mut plain).unwrap();
        let mut with = BytesMut::from(&b"before"[..]);
        encoder
            .encode_with(&mut with, |buf| {
                buf.extend_from_slice(&payload);
                Ok::<_, core::convert::Infallible>(())
            })
            .unwrap();
        prop_assert_eq!(&with[6..], &plain[..]);
        prop_assert_eq!(codec.decoder().decode(&mut plain).unwrap().unwrap(), &payload[..]);
    }
}

#[test]
fn settings_that_cannot_work_are_refused() {
    assert_eq!(
        Codec::builder().sync_bytes(&[0; 9]).build(),
        Err(ConfigError::SyncTooLong { len: 9, max: 8 })
    );
    assert_eq!(
        Codec::builder()
            .sync_bytes(&[1; 8])
            .length_field_offset(9)
            .build(),
        Err(ConfigError::OffsetTooLarge {
            offset: 17,
            max: 16
        })
    );
    assert!(matches!(
        Codec::builder()
            .struct_format(">H")
            .length_field_bits(8, 9)
            .build(),
        Err(ConfigError::LengthBitsOutsideField {
            shift: 8,
            bits: 9,
            ..
        })
    ));
    assert!(matches!(
        Codec::builder()
            .struct_format(">h")
            .length_field_bits(0, 10)
            .build(),
        Err(ConfigError::LengthBitsOutsideField { .. })
    ));
    assert!(matches!(
        Codec::builder()
            .length_field(LengthField::VARINT)
            .length_field_bits(0, 10)
            .build(),
        Err(ConfigError::LengthBitsOutsideField { .. })
    ));
    assert_eq!(
        Codec::builder()
            .checksum(Checksum::custom(xor_check, 9, ByteOrder::Big))
            .build(),
        Err(ConfigError::ChecksumWidth { width: 9 })
    );
    assert_eq!(
        Codec::builder()
            .sync_bytes(b"\xAA")
            .checksum(Checksum::new(ChecksumAlgorithm::Crc32, ByteOrder::Big).covering_from(6))
            .build(),
        Err(ConfigError::ChecksumStart { start: 6, max: 5 })
    );
}

/// The encoder never writes a length its bit range cannot hold.
#[test]
fn a_length_over_its_bit_range_is_unrepresentable() {
    let codec = Codec::builder()
        .sync_bytes(b"\xD3")
        .struct_format(">H")
        .length_field_bits(0, 10)
        .max_frame_len(4096)
        .build()
        .unwrap();
    let mut out = BytesMut::new();
    assert!(codec.encoder().encode(vec![0; 1023], &mut out).is_ok());
    assert!(matches!(
        codec.encoder().encode(vec![0; 1024], &mut out),
        Err(EncodeError::Unrepresentable { value: 1024, .. })
    ));
}

/// With a checksum and no sync bytes, `skip_oversized` skips the whole frame, trailer included,
/// and the next frame is checked.
#[test]
fn skip_oversized_skips_a_checksummed_frame_with_its_trailer() {
    let codec = Codec::builder()
        .struct_format("B")
        .max_frame_len(3)
        .skip_oversized(true)
        .checksum(Checksum::new(
            ChecksumAlgorithm::Fletcher8,
            ByteOrder::Little,
        ))
        .build()
        .unwrap();
    let big = Codec::builder()
        .struct_format("B")
        .checksum(Checksum::new(
            ChecksumAlgorithm::Fletcher8,
            ByteOrder::Little,
        ))
        .build()
        .unwrap();
    let mut wire = BytesMut::new();
    big.encoder().encode(b"toolong", &mut wire).unwrap();
    big.encoder().encode(b"ok", &mut wire).unwrap();
    let mut decoder = codec.decoder();
    assert!(matches!(
        decoder.decode(&mut wire),
        Err(FrameError::TooLarge { len: 7, max: 3, .. })
    ));
    assert_eq!(decoder.decode(&mut wire).unwrap().unwrap(), &b"ok"[..]);
    assert!(wire.is_empty());

    // The same through decode_slice.
    let mut wire = BytesMut::new();
    big.encoder().encode(b"toolong", &mut wire).unwrap();
    big.encoder().encode(b"ok", &mut wire).unwrap();
    let mut decoder = codec.decoder();
    assert!(decoder.decode_slice(&wire).is_err());
    assert_eq!(
        decoder.decode_slice(&wire).unwrap(),
        Decoded::Skipped { consumed: 10 }
    );
    assert_eq!(
        decoder.decode_slice(&wire[10..]).unwrap(),
        Decoded::Frame {
            frame: b"ok",
            consumed: 3
        }
    );
}
