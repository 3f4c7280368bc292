//! Contracts of the core that the other tests left unpinned, found by mutation testing
//! (`bash .ci/mutants`, docs/testing.md): each test here fails on a mutant of the core that
//! every other test let through, and states the behaviour a user relies on.

use bytes::BytesMut;
use lenframe::{
    ByteOrder, Codec, ConfigError, Decoded, EncodeError, FrameError, LengthField,
    DEFAULT_MAX_FRAME_LEN, MAX_FIELD_LEN, MAX_FRAME_LEN_LIMIT, MAX_HEADER_LEN, MAX_LENGTH_OFFSET,
};

/// The longest header any codec writes: 16 offset bytes and a 10-byte varint.
const LONGEST_HEADER: usize = 16 + 10;

fn varint_codec() -> Codec {
    Codec::builder()
        .length_field(LengthField::VARINT)
        .build()
        .unwrap()
}

#[test]
fn max_header_len_is_the_longest_header_a_codec_writes_and_reads() {
    assert_eq!(MAX_HEADER_LEN, LONGEST_HEADER);
    assert_eq!(MAX_HEADER_LEN, MAX_LENGTH_OFFSET + MAX_FIELD_LEN);
    // The longest offset, and a varint length whose value needs all 64 bits: an adjustment of
    // i64::MIN makes an empty payload's length field 2^63.
    let codec = Codec::builder()
        .length_field_offset(MAX_LENGTH_OFFSET)
        .length_field(LengthField::VARINT)
        .length_adjustment(i64::MIN)
        .build()
        .unwrap();
    let header = codec.encoder().header(0).unwrap();
    assert_eq!(header.len(), MAX_HEADER_LEN);
    let mut wire = [0u8; MAX_HEADER_LEN];
    wire.copy_from_slice(&header);
    assert_eq!(
        codec.decode_slice(&wire),
        Ok(Decoded::Frame {
            frame: &[][..],
            consumed: MAX_HEADER_LEN,
        })
    );
}

/// A `"<Q"` header announcing `len`.
fn q_header(len: u64) -> [u8; 8] {
    len.to_le_bytes()
}

#[test]
fn max_frame_len_limit_leaves_room_for_the_longest_header_in_one_allocation() {
    // Rust's allocations hold at most isize::MAX bytes: the longest frame must fit in one.
    let limit = isize::MAX as usize - LONGEST_HEADER;
    assert_eq!(MAX_FRAME_LEN_LIMIT, limit);

    // The builder accepts the limit and refuses one byte more.
    let codec = Codec::builder()
        .struct_format("<Q")
        .max_frame_len(limit)
        .build()
        .unwrap();
    assert_eq!(
        Codec::builder()
            .struct_format("<Q")
            .max_frame_len(limit + 1)
            .build(),
        Err(ConfigError::MaxFrameLenTooLarge {
            max: limit + 1,
            limit,
        })
    );

    // A decoder at the limit waits for a frame of the limit, and refuses one byte more.
    assert_eq!(
        codec.decode_slice(&q_header(limit as u64)),
        Ok(Decoded::Incomplete { needed: limit })
    );
    assert!(matches!(
        codec.decode_slice(&q_header(limit as u64 + 1)),
        Err(FrameError::TooLarge { len, max, .. }) if len == limit as u64 + 1 && max == limit
    ));

    // A maximum set on a live decoder or encoder past the limit is the limit.
    let mut decoder = Codec::builder()
        .struct_format("<Q")
        .build()
        .unwrap()
        .decoder();
    decoder.set_max_frame_len(usize::MAX);
    assert_eq!(decoder.max_frame_len(), limit);
    assert_eq!(
        decoder.decode_slice(&q_header(limit as u64)),
        Ok(Decoded::Incomplete { needed: limit })
    );
    let mut encoder = Codec::default().encoder();
    encoder.set_max_frame_len(usize::MAX);
    assert_eq!(encoder.max_frame_len(), limit);
}

#[test]
fn set_max_frame_len_on_an_encoder_applies_to_the_next_frame() {
    let mut encoder = Codec::default().encoder();
    encoder.set_max_frame_len(4);
    assert_eq!(encoder.max_frame_len(), 4);
    assert_eq!(encoder.codec().max_encode_len(), 4);
    assert_eq!(
        encoder.header(5),
        Err(EncodeError::TooLarge { len: 5, max: 4 })
    );
    assert_eq!(&encoder.header(4).unwrap()[..], b"\x04\0\0\0");
    encoder.set_max_frame_len(5);
    assert_eq!(&encoder.header(5).unwrap()[..], b"\x05\0\0\0");
}

#[test]
fn the_default_maximum_is_8_mib_both_ways() {
    const MIB_8: usize = 8 * 1024 * 1024;
    assert_eq!(DEFAULT_MAX_FRAME_LEN, MIB_8);
    let codec = Codec::default();
    assert_eq!(
        (codec.max_decode_len(), codec.max_encode_len()),
        (MIB_8, MIB_8)
    );
    let header = (MIB_8 as u32).to_le_bytes();
    assert_eq!(
        codec.decode_slice(&header),
        Ok(Decoded::Incomplete { needed: MIB_8 })
    );
    let over = (MIB_8 as u32 + 1).to_le_bytes();
    assert!(matches!(
        codec.decode_slice(&over),
        Err(FrameError::TooLarge { len, max: MIB_8, .. }) if len == MIB_8 as u64 + 1
    ));
    assert_eq!(&codec.encoder().header(MIB_8).unwrap()[..], &header[..]);
    assert_eq!(
        codec.encoder().header(MIB_8 + 1),
        Err(EncodeError::TooLarge {
            len: MIB_8 + 1,
            max: MIB_8
        })
    );
}

#[test]
fn bytes_needed_counts_nothing_for_a_whole_frame_already_in_the_buffer() {
    // A fresh decoder, given a buffer of whole varint frames: nothing more is needed.
    let decoder = varint_codec().decoder();
    assert_eq!(decoder.bytes_needed(b"\x01a"), 0);
    assert_eq!(decoder.bytes_needed(b"\x02ab\x01c"), 0);
    assert_eq!(decoder.bytes_needed(b"\x00"), 0);
    // The same for a fixed-width field.
    assert_eq!(Codec::default().decoder().bytes_needed(b"\x01\0\0\0a"), 0);
}

#[test]
fn bytes_needed_never_waits_for_a_varint_longer_than_ten_bytes() {
    // While a varint header is incomplete the decoder needs one more byte; once ten bytes with
    // the continuation bit are in, the header can be no longer (it is an error): no more bytes
    // will complete it.
    let decoder = varint_codec().decoder();
    for continued in 0..=12 {
        let buf = vec![0x80u8; continued];
        let expected = usize::from(continued < MAX_FIELD_LEN);
        assert_eq!(decoder.bytes_needed(&buf), expected, "{continued} bytes");
    }
    let mut decoder = varint_codec().decoder();
    let mut buf = BytesMut::from(&[0x80u8; MAX_FIELD_LEN][..]);
    assert_eq!(decoder.decode(&mut buf), Err(FrameError::VarintTooLong));
    assert_eq!(decoder.bytes_needed(&buf), 0);
}

#[test]
fn decoder_and_encoder_report_the_settings_they_were_made_with() {
    let codec = Codec::builder()
        .length_field_offset(2)
        .struct_format("!H")
        .length_adjustment(-4)
        .max_decode_len(100)
        .max_encode_len(200)
        .keep_header(true)
        .skip_oversized(true)
        .build()
        .unwrap();
    let mut decoder = codec.decoder();
    assert_eq!(decoder.codec(), &codec);
    assert_eq!(decoder.max_frame_len(), 100);
    decoder.set_max_frame_len(50);
    assert_eq!(decoder.max_frame_len(), 50);
    assert_eq!(decoder.codec().max_decode_len(), 50);
    assert_eq!(decoder.codec().max_encode_len(), 200);

    let encoder = codec.encoder();
    assert_eq!(encoder.codec(), &codec);
    assert_eq!(encoder.max_frame_len(), 200);
}

#[test]
fn a_header_is_its_bytes_as_a_slice_and_in_debug_output() {
    let header = Codec::from_struct_format("!I")
        .unwrap()
        .encoder()
        .header(5)
        .unwrap();
    let expected: &[u8] = &[0, 0, 0, 5];
    // What a writer is given: `write_all(header.as_ref())`, `IoSlice::new(&header)`.
    assert_eq!(header.as_ref(), expected);
    assert_eq!(&*header, expected);
    assert_eq!(header.as_bytes(), expected);
    assert_eq!(format!("{header:?}"), "Header([0, 0, 0, 5])");
}

#[test]
fn only_the_varint_field_is_a_varint() {
    assert!(LengthField::VARINT.is_varint());
    assert!(!LengthField::I32_LE.is_varint());
    assert!(!LengthField::U32_BE.is_varint());
    assert!(!LengthField::fixed(3, false, ByteOrder::Little)
        .unwrap()
        .is_varint());
}

/// Encoding into an empty buffer reserves the frame's room once, before writing: the buffer
/// never grows a second time while the frame is written, nor to a multiple of the payload.
/// (The reserve may include a few bytes of slack for the length field's fixed-size store.)
#[test]
fn encoding_into_an_empty_buffer_reserves_about_the_frame_once() {
    let payload = [7u8; 1000];
    let layouts = [
        Codec::default(),
        Codec::builder()
            .length_field_offset(2)
            .struct_format("!H")
            .build()
            .unwrap(),
        varint_codec(),
    ];
    for codec in layouts {
        let encoder = codec.encoder();
        let mut out = BytesMut::new();
        encoder.encode(payload, &mut out).unwrap();
        let frame_len = out.len();
        assert!(
            out.capacity() <= frame_len + MAX_HEADER_LEN,
            "encode: {codec:?}: capacity {} for a {frame_len}-byte frame",
            out.capacity()
        );
        let prefix = vec![0xAB; codec.length_field_offset()];
        let mut out = BytesMut::new();
        encoder
            .encode_with_prefix(&prefix, payload, &mut out)
            .unwrap();
        assert_eq!(out.len(), frame_len);
        assert!(
            out.capacity() <= frame_len + MAX_HEADER_LEN,
            "encode_with_prefix: {codec:?}: capacity {} for a {frame_len}-byte frame",
            out.capacity()
        );
    }
}

/// The guess at a rejected length reads the length field's own bytes, never the payload after
/// it: a wider layout would take the first payload bytes for the top of a length.
#[test]
fn a_guess_never_reads_past_the_length_field_into_the_payload() {
    let cases: [(&str, &[u8]); 2] = [
        // "b" reads FF as -1; read as "<i" with the payload's zeros, the same bytes give 255.
        ("b", b"\xff\0\0\0payload"),
        // "<h" reads FF FF as -1; read as "<i" with two payload zeros, 65535.
        ("<h", b"\xff\xff\0\0payload"),
    ];
    let no_guess = Err(FrameError::NegativeLength {
        len: -1,
        guess: None,
    });
    for (format, wire) in cases {
        let codec = Codec::from_struct_format(format).unwrap();
        assert_eq!(codec.decode_slice(wire).map(|_| ()), no_guess, "{format}");
        let decoded = codec.decoder().decode(&mut BytesMut::from(wire));
        assert_eq!(decoded.map(|_| ()), no_guess, "{format}: decode");
    }
}

/// Python's `P` (a pointer) exists only in native mode, like `n` and `N`: a zero count of it
/// packs nothing there, and pads the integer before it to the pointer's alignment.
#[test]
fn the_pointer_code_is_accepted_in_native_mode_only_as_in_python() {
    // struct.calcsize: '0Pi' and '@0Pi' are 4, '<0Pi', '=0Pi' and '!0Pi' are "bad char".
    for native in ["0Pi", "@0Pi"] {
        assert_eq!(
            LengthField::from_struct_format(native),
            Ok(LengthField::fixed(4, true, ByteOrder::Native).unwrap()),
            "{native}"
        );
    }
    for standard in ["<0Pi", "=0Pi", "!0Pi"] {
        assert!(
            matches!(
                LengthField::from_struct_format(standard),
                Err(ConfigError::StructFormat {
                    at: 2,
                    found: Some('P'),
                    ..
                })
            ),
            "{standard}"
        );
    }
    // 'i0P' is 8 bytes in Python (the 4-byte integer padded to the pointer's 8).
    if core::mem::align_of::<*const u8>() > 4 {
        assert!(matches!(
            LengthField::from_struct_format("i0P"),
            Err(ConfigError::StructFormat {
                at: 2,
                found: Some('P'),
                ..
            })
        ));
    }
}
