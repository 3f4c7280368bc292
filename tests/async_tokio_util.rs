//! lenframe inside tokio-util: the `Decoder`/`Encoder` impls, `Framed` end to end, and a
//! differential property test against tokio-util's own `LengthDelimitedCodec` configured to the
//! same layout. Each side must read the other's frames, whatever the split points, and the
//! encoders must write the same bytes.

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use lenframe::{Codec, Error, FrameError, FramedCodec, LengthField};
use proptest::prelude::*;
use tokio_util::codec::{
    length_delimited, Decoder, Encoder, Framed, FramedRead, FramedWrite, LengthDelimitedCodec,
};

/// One layout, set up on both sides.
struct Layout {
    name: &'static str,
    ours: Codec,
    theirs: length_delimited::Builder,
    /// Payload lengths the layout can carry.
    min_len: usize,
    max_len: usize,
    /// Whether tokio-util's encoder writes this layout (it writes nothing for an offset).
    they_encode: bool,
}

/// A layout for payloads of 0 to 600 bytes, which both sides encode.
fn layout(name: &'static str, ours: Codec, theirs: &mut length_delimited::Builder) -> Layout {
    Layout {
        name,
        ours,
        theirs: *theirs,
        min_len: 0,
        max_len: 600,
        they_encode: true,
    }
}

fn codec(format: &str, adjustment: i64, offset: usize, keep_header: bool) -> Codec {
    Codec::builder()
        .length_field(LengthField::from_struct_format(format).unwrap())
        .length_adjustment(adjustment)
        .length_field_offset(offset)
        .keep_header(keep_header)
        .max_frame_len(1 << 20)
        .build()
        .unwrap()
}

/// tokio-util's builder with our maximum (it lowers it to what a narrower field can say).
fn theirs() -> length_delimited::Builder {
    *LengthDelimitedCodec::builder().max_frame_length(1 << 20)
}

fn layouts() -> Vec<Layout> {
    vec![
        layout(
            "!I, tokio-util's default",
            codec("!I", 0, 0, false),
            &mut theirs(),
        ),
        layout("<I", codec("<I", 0, 0, false), theirs().little_endian()),
        Layout {
            max_len: 255,
            ..layout(
                "B",
                codec("B", 0, 0, false),
                theirs().length_field_type::<u8>(),
            )
        },
        layout(
            "!H",
            codec("!H", 0, 0, false),
            theirs().length_field_type::<u16>(),
        ),
        layout(
            "<Q",
            codec("<Q", 0, 0, false),
            theirs().length_field_type::<u64>().little_endian(),
        ),
        layout(
            "!I counting its own 4 bytes (adjustment -4)",
            codec("!I", -4, 0, false),
            theirs().length_adjustment(-4),
        ),
        Layout {
            min_len: 3,
            ..layout(
                "<H with adjustment +3",
                codec("<H", 3, 0, false),
                theirs()
                    .length_field_type::<u16>()
                    .little_endian()
                    .length_adjustment(3),
            )
        },
        Layout {
            they_encode: false,
            ..layout(
                "2 bytes, then !I",
                codec("!I", 0, 2, false),
                theirs().length_field_offset(2),
            )
        },
        Layout {
            // With adjustment +4 their encoder reads a different wire; we compare decoding only,
            // on the bytes the plain "!I" encoders write.
            they_encode: false,
            ..layout(
                "!I, header kept (num_skip 0)",
                codec("!I", 0, 0, true),
                theirs().num_skip(0).length_adjustment(4),
            )
        },
    ]
}

/// Decodes `wire` fed in pieces cut at `cuts`, then at the end of the stream.
fn decode_in_pieces<D>(decoder: &mut D, wire: &[u8], cuts: &[usize]) -> Vec<Vec<u8>>
where
    D: Decoder,
    D::Item: AsRef<[u8]>,
    D::Error: std::fmt::Debug,
{
    let mut cuts: Vec<usize> = cuts
        .iter()
        .map(|c| c % (wire.len() + 1))
        .chain([wire.len()])
        .collect();
    cuts.sort_unstable();
    let (mut buf, mut frames, mut from) = (BytesMut::new(), Vec::new(), 0);
    for cut in cuts {
        buf.extend_from_slice(&wire[from..cut]);
        from = cut;
        while let Some(frame) = decoder.decode(&mut buf).unwrap() {
            frames.push(frame.as_ref().to_vec());
        }
    }
    while let Some(frame) = decoder.decode_eof(&mut buf).unwrap() {
        frames.push(frame.as_ref().to_vec());
    }
    assert!(buf.is_empty());
    frames
}

fn encode_all<E: Encoder<Bytes>>(encoder: &mut E, payloads: &[Vec<u8>]) -> Vec<u8>
where
    E::Error: std::fmt::Debug,
{
    let mut wire = BytesMut::new();
    for p in payloads {
        encoder
            .encode(Bytes::copy_from_slice(p), &mut wire)
            .unwrap();
    }
    wire.to_vec()
}

/// What a frame decodes to: the payload, or the whole frame when the header is kept.
fn expected_frames(layout: &Layout, payloads: &[Vec<u8>]) -> Vec<Vec<u8>> {
    if !layout.ours.keeps_header() {
        return payloads.to_vec();
    }
    payloads
        .iter()
        .map(|p| {
            let mut frame = BytesMut::new();
            layout.ours.encoder().encode(p, &mut frame).unwrap();
            frame.to_vec()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn interoperates_with_length_delimited_codec(
        raw in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), 0..12),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        for layout in layouts() {
            let payloads: Vec<Vec<u8>> = raw
                .iter()
                .map(|p| {
                    let mut p = p.clone();
                    p.truncate(layout.max_len);
                    p.resize(p.len().max(layout.min_len), 0xAB);
                    p
                })
                .collect();
            let expected = expected_frames(&layout, &payloads);
            let ours_wire = encode_all(&mut FramedCodec::new(layout.ours), &payloads);

            // Ours encoded -> theirs decodes.
            let theirs_read = decode_in_pieces(&mut layout.theirs.new_codec(), &ours_wire, &cuts);
            prop_assert_eq!(&theirs_read, &expected, "{}: theirs reading ours", layout.name);
            // Ours encoded -> ours decodes (the same path through the tokio-util trait).
            let ours_read = decode_in_pieces(&mut FramedCodec::new(layout.ours), &ours_wire, &cuts);
            prop_assert_eq!(&ours_read, &expected, "{}: ours reading ours", layout.name);

            if layout.they_encode {
                // Theirs encoded -> ours decodes, and the bytes are the same.
                let theirs_wire = encode_all(&mut layout.theirs.new_codec(), &payloads);
                prop_assert_eq!(&theirs_wire, &ours_wire, "{}: encoders differ", layout.name);
                let read = decode_in_pieces(&mut layout.ours.decoder(), &theirs_wire, &cuts);
                prop_assert_eq!(&read, &expected, "{}: ours reading theirs", layout.name);
            }
        }
    }
}

#[test]
fn decode_does_not_reserve_what_the_header_claims() {
    // A header announcing 1 MiB and three bytes of it.
    let wire = b"\x00\x10\x00\x00abc";
    let mut buf = BytesMut::from(&wire[..]);
    let mut ours = FramedCodec::new(codec("!I", 0, 0, false));
    assert!(Decoder::decode(&mut ours, &mut buf).unwrap().is_none());
    // Room for the next read (`Framed` reads into all spare capacity): at most 16 KiB more,
    // since the buffer came in full, whatever the header claims.
    assert!(
        buf.capacity() <= 7 + 16 * 1024,
        "capacity {}",
        buf.capacity()
    );
    // tokio-util reserves the whole frame at once.
    let mut buf = BytesMut::from(&wire[..]);
    let mut theirs = LengthDelimitedCodec::builder()
        .max_frame_length(1 << 21)
        .new_codec();
    assert!(theirs.decode(&mut buf).unwrap().is_none());
    assert!(buf.capacity() >= 1 << 20);
}

#[test]
fn differences_by_design() {
    // Negative lengths exist only for signed fields: "<i" refuses 0xffffffff, "<I" reads it.
    let wire = b"\xff\xff\xff\xff";
    let mut signed = Codec::default().decoder();
    assert!(matches!(
        Decoder::decode(&mut signed, &mut BytesMut::from(&wire[..])),
        Err(Error::Frame(FrameError::NegativeLength {
            len: -1,
            guess: None
        }))
    ));
    let mut unsigned = codec("<I", 0, 0, false).decoder();
    assert!(matches!(
        Decoder::decode(&mut unsigned, &mut BytesMut::from(&wire[..])),
        Err(Error::Frame(FrameError::TooLarge {
            len: 0xffff_ffff,
            ..
        }))
    ));
    // The defaults differ in byte order: ours is little-endian, tokio-util's big-endian.
    let mut ours = BytesMut::new();
    Encoder::encode(
        &mut FramedCodec::default(),
        Bytes::from_static(b"hi"),
        &mut ours,
    )
    .unwrap();
    let mut theirs = BytesMut::new();
    LengthDelimitedCodec::new()
        .encode(Bytes::from_static(b"hi"), &mut theirs)
        .unwrap();
    assert_eq!(&ours[..], b"\x02\0\0\0hi");
    assert_eq!(&theirs[..], b"\0\0\0\x02hi");
    // Our maximum counts the payload alone; tokio-util's decoder checks the raw field value,
    // which includes the header when the adjustment is negative.
    let ours = Codec::builder()
        .length_field(LengthField::U32_BE)
        .length_adjustment(-4)
        .max_frame_len(10)
        .build()
        .unwrap();
    let wire = b"\x00\x00\x00\x0e0123456789"; // 14 = 4 + a 10-byte payload
    let frame = Decoder::decode(&mut ours.decoder(), &mut BytesMut::from(&wire[..])).unwrap();
    assert_eq!(frame.unwrap(), &b"0123456789"[..]);
    let mut theirs = LengthDelimitedCodec::builder()
        .length_adjustment(-4)
        .max_frame_length(10)
        .new_codec();
    assert!(theirs.decode(&mut BytesMut::from(&wire[..])).is_err());
}

#[test]
fn decode_eof_reports_a_truncated_frame() {
    let mut buf = BytesMut::from(&b"\x05\0\0\0ab"[..]);
    let mut codec = FramedCodec::default();
    assert!(matches!(
        Decoder::decode_eof(&mut codec, &mut buf),
        Err(Error::Frame(FrameError::Truncated {
            expected: 9,
            got: 6,
            guess: None,
        }))
    ));
}

#[tokio::test]
async fn framed_talks_to_length_delimited_codec_both_ways() {
    let (a, b) = tokio::io::duplex(256);
    let mut ours = Framed::new(
        a,
        FramedCodec::new(Codec::from_struct_format("!I").unwrap()),
    );
    let mut theirs = Framed::new(b, LengthDelimitedCodec::new());
    let big = Bytes::from(vec![9u8; 100_000]);
    let writer = tokio::spawn(async move {
        for msg in [Bytes::from_static(b"hello"), Bytes::new(), big] {
            ours.send(msg).await.unwrap();
        }
        let reply = ours.next().await.unwrap().unwrap();
        assert_eq!(reply, &b"thanks"[..]);
    });
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(theirs.next().await.unwrap().unwrap().freeze());
    }
    assert_eq!(got[0], &b"hello"[..]);
    assert!(got[1].is_empty());
    assert_eq!(got[2].len(), 100_000);
    theirs.send(Bytes::from_static(b"thanks")).await.unwrap();
    writer.await.unwrap();
}

#[tokio::test]
async fn framed_read_and_write_take_the_core_types_alone() {
    let (a, b) = tokio::io::duplex(64);
    let codec = Codec::from_struct_format("<H").unwrap();
    let mut write = FramedWrite::new(a, codec.encoder());
    let mut read = FramedRead::new(b, codec.decoder());
    write.send(Bytes::from_static(b"one")).await.unwrap();
    write.send(Bytes::from_static(b"two")).await.unwrap();
    drop(write);
    let frames: Vec<Bytes> = read.by_ref().map(Result::unwrap).collect().await;
    assert_eq!(frames, [&b"one"[..], b"two"]);
}

#[tokio::test]
async fn framed_ends_after_an_error() {
    let (mut a, b) = tokio::io::duplex(64);
    tokio::io::AsyncWriteExt::write_all(&mut a, b"\x01\0\0\0x\xfe\xff\xff\xff")
        .await
        .unwrap();
    let mut framed = Framed::new(b, FramedCodec::default());
    assert_eq!(framed.next().await.unwrap().unwrap(), &b"x"[..]);
    assert!(matches!(
        framed.next().await,
        Some(Err(Error::Frame(FrameError::NegativeLength {
            len: -2,
            guess: None
        })))
    ));
    assert!(framed.next().await.is_none());
}
