//! The advice a bad length gets when the two sides disagree: one table of mismatched pairs (each
//! side's struct format and maximum, what the writer sent, where the stream ended) and the
//! advice expected: raise the maximum, or the layout the peer is likely using. Each row runs
//! through the core decoder and through the blocking and tokio readers (the shared read state),
//! which must agree, and the message must say what the advice says and nothing that points the other way.
#![cfg(feature = "std")]

use bytes::BytesMut;
use lenframe::blocking::FrameReader;
use lenframe::{Codec, Error, FrameError, LayoutGuess, LengthField};

const MIB: usize = 1 << 20;

/// What the reader must end up saying.
#[derive(Clone, Copy, Debug)]
enum Advice {
    /// `TooLarge` with no guess: the message says to raise the maximum.
    RaiseMax,
    /// `TooLarge` naming the layout (struct format, payload length under it).
    TooLargeReadAs(&'static str, u64),
    /// `NegativeLength` naming the layout.
    NegativeReadAs(&'static str, u64),
    /// `Truncated` naming the layout: what arrived is whole frames in it.
    TruncatedReadAs(&'static str, u64),
    /// `Truncated` with no guess: the peer closed mid-frame.
    PeerClosed,
}

struct Row {
    name: &'static str,
    writer: (&'static str, usize),
    reader: (&'static str, usize),
    /// The payload lengths the writer sends, in order.
    sent: &'static [usize],
    /// Where the stream ends, if before the end of what was sent.
    cut: Option<usize>,
    advice: Advice,
}

const fn row(
    name: &'static str,
    writer: (&'static str, usize),
    reader: (&'static str, usize),
    sent: &'static [usize],
    advice: Advice,
) -> Row {
    Row {
        name,
        writer,
        reader,
        sent,
        cut: None,
        advice,
    }
}

fn table() -> Vec<Row> {
    use Advice::*;
    vec![
        // Only the maximum differs: never "change the format".
        row(
            "same !I, 2 MiB to a 1 MiB reader (the writer allows 8 MiB)",
            ("!I", 8 * MIB),
            ("!I", MIB),
            &[2 * MIB],
            RaiseMax,
        ),
        row(
            "same <i, 2 MiB to a 1 MiB reader",
            ("<i", 8 * MIB),
            ("<i", MIB),
            &[2 * MIB],
            RaiseMax,
        ),
        row(
            "same <i, 2000 bytes to a 1024-byte reader",
            ("<i", 8 * MIB),
            ("<i", 1024),
            &[2000],
            RaiseMax,
        ),
        row(
            "same !H, 40000 bytes to a 10000-byte reader",
            ("!H", 65535),
            ("!H", 10000),
            &[40000],
            RaiseMax,
        ),
        // The byte order differs.
        row(
            "!I hello to a <i reader",
            ("!I", 8 * MIB),
            ("<i", 8 * MIB),
            &[5],
            TooLargeReadAs("!i", 5),
        ),
        row(
            "<i hello to a !I reader",
            ("<i", 8 * MIB),
            ("!I", 8 * MIB),
            &[5],
            TooLargeReadAs("<I", 5),
        ),
        row(
            "!i 384 bytes to a <i reader: a negative length",
            ("!i", 8 * MIB),
            ("<i", 8 * MIB),
            &[384],
            NegativeReadAs("!i", 384),
        ),
        row(
            "!I 256 bytes to a <i reader with a 1024-byte maximum",
            ("!I", 8 * MIB),
            ("<i", 1024),
            &[256],
            TooLargeReadAs("!i", 256),
        ),
        // The header alone looks like a length within the maximum; the close tells.
        row(
            "!I 256 bytes to a <i reader, then the peer closes",
            ("!I", 8 * MIB),
            ("<i", 8 * MIB),
            &[256],
            TruncatedReadAs("!i", 256),
        ),
        row(
            "!I 256 and 300 bytes to a <i reader, then the peer closes",
            ("!I", 8 * MIB),
            ("<i", 8 * MIB),
            &[256, 300],
            TruncatedReadAs("!i", 256),
        ),
        row(
            ">H 200 bytes to a <H reader, then the peer closes",
            (">H", 65535),
            ("<H", 65535),
            &[200],
            TruncatedReadAs("!H", 200),
        ),
        // The width differs.
        row(
            "<H hello to a <i reader",
            ("<H", 65535),
            ("<i", 8 * MIB),
            &[5],
            TooLargeReadAs("<h", 5),
        ),
        row(
            "<i hello to a <q reader",
            ("<i", 8 * MIB),
            ("<q", 8 * MIB),
            &[5],
            TooLargeReadAs("<i", 5),
        ),
        // Both sides agree; the peer really closed mid-frame.
        Row {
            cut: Some(54),
            ..row(
                "same <i, the peer closes 50 bytes into a 100-byte payload",
                ("<i", 8 * MIB),
                ("<i", 8 * MIB),
                &[100],
                PeerClosed,
            )
        },
        Row {
            // (Cut after 256 bytes, the 260 that came would be one whole "<I" frame: the
            // mirror image of the row above where a "<i" reader gets "!I" 256, and reported so.)
            cut: Some(1004),
            ..row(
                "same !I, the peer closes 1000 bytes into a 65536-byte payload",
                ("!I", 8 * MIB),
                ("!I", 8 * MIB),
                &[65536],
                PeerClosed,
            )
        },
    ]
}

#[test]
fn every_mismatched_pair_gets_the_advice_that_fits_it() {
    for row in table() {
        let wire = wire(&row);
        let reader = codec(row.reader);
        let core = through_the_core(reader, &wire);
        check(&row, &core);
        let blocking = through_the_blocking_reader(reader, &wire);
        assert_eq!(
            blocking, core,
            "{}: the blocking reader disagrees",
            row.name
        );
    }
}

/// The async pump shares the read state: the same advice through tokio's reader.
#[cfg(feature = "tokio")]
#[tokio::test]
async fn the_tokio_reader_gives_the_same_advice() {
    for row in table() {
        let wire = wire(&row);
        let reader = codec(row.reader);
        let mut framed = lenframe::tokio::FrameReader::with_codec(&wire[..], reader);
        match framed.read_frame().await {
            Err(Error::Frame(err)) => {
                assert_eq!(err, through_the_core(reader, &wire), "{}", row.name)
            }
            other => panic!("{}: expected a frame error, got {other:?}", row.name),
        }
    }
}

/// The same bytes give the same advice however they arrive: a byte at a time too.
#[test]
fn the_advice_does_not_depend_on_how_the_bytes_arrive() {
    for row in table() {
        let wire = wire(&row);
        let reader = codec(row.reader);
        let whole = through_the_core(reader, &wire);
        let mut decoder = reader.decoder();
        let mut buf = BytesMut::new();
        let mut trickled = None;
        for byte in &wire {
            buf.extend_from_slice(&[*byte]);
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => panic!("{}: decoded a {}-byte frame", row.name, frame.len()),
                Ok(None) => {}
                Err(err) => {
                    trickled = Some(err);
                    break;
                }
            }
        }
        let trickled = trickled.unwrap_or_else(|| decoder.decode_eof(&mut buf).unwrap_err());
        assert_eq!(trickled, whole, "{}", row.name);
    }
}

fn check(row: &Row, err: &FrameError) {
    let name = row.name;
    let message = err.to_string();
    let read_as = |format: &str, len: u64| {
        assert!(
            message.contains(&format!(
                "read as \"{format}\" the same bytes give a {len}-byte payload: check both sides \
                 use the same struct format"
            )),
            "{name}: {message}"
        );
        assert!(!message.contains("raise"), "{name}: {message}");
        Some(LayoutGuess {
            field: LengthField::from_struct_format(format).unwrap(),
            len,
        })
    };
    match (row.advice, err) {
        (Advice::RaiseMax, FrameError::TooLarge { guess, max, .. }) => {
            assert_eq!(*guess, None, "{name}");
            assert_eq!(*max, row.reader.1, "{name}");
            for needle in ["raise the maximum", "max_frame_len", "set_max_frame_len"] {
                assert!(message.contains(needle), "{name}: {message}");
            }
            assert!(!message.contains("struct format"), "{name}: {message}");
        }
        (Advice::TooLargeReadAs(format, len), FrameError::TooLarge { guess, .. })
        | (Advice::NegativeReadAs(format, len), FrameError::NegativeLength { guess, .. }) => {
            assert_eq!(*guess, read_as(format, len), "{name}");
        }
        (Advice::TruncatedReadAs(format, len), FrameError::Truncated { guess, got, .. }) => {
            assert_eq!(*guess, read_as(format, len), "{name}");
            assert_eq!(*got, wire(row).len() as u64, "{name}");
        }
        (Advice::PeerClosed, FrameError::Truncated { guess, .. }) => {
            assert_eq!(*guess, None, "{name}");
            assert!(message.contains("the peer closed"), "{name}: {message}");
        }
        (advice, err) => panic!("{name}: expected {advice:?}, got {err:?}"),
    }
}

fn codec((format, max): (&str, usize)) -> Codec {
    Codec::builder()
        .struct_format(format)
        .max_frame_len(max)
        .build()
        .unwrap()
}

/// What the writer puts on the wire, cut where the row says.
fn wire(row: &Row) -> Vec<u8> {
    let encoder = codec(row.writer).encoder();
    let mut wire = BytesMut::new();
    for (i, &len) in row.sent.iter().enumerate() {
        // Text, as most first programs send: no accidental headers of zeros.
        let payload: Vec<u8> = (0..len).map(|j| b'a' + (j % 26) as u8).collect();
        encoder
            .encode(&payload, &mut wire)
            .unwrap_or_else(|err| panic!("{}: frame {i}: {err}", row.name));
    }
    let mut wire = wire.to_vec();
    if let Some(cut) = row.cut {
        wire.truncate(cut);
    }
    wire
}

/// The first error of decoding `wire` whole, the stream ending after it.
fn through_the_core(codec: Codec, wire: &[u8]) -> FrameError {
    let mut decoder = codec.decoder();
    let mut buf = BytesMut::from(wire);
    match decoder.decode_eof(&mut buf) {
        Ok(Some(frame)) => panic!("decoded a {}-byte frame from {wire:02x?}", frame.len()),
        Ok(None) => panic!("a clean end"),
        Err(err) => err,
    }
}

fn through_the_blocking_reader(codec: Codec, wire: &[u8]) -> FrameError {
    let mut reader = FrameReader::with_codec(wire, codec);
    match reader.read_frame() {
        Err(Error::Frame(err)) => err,
        other => panic!("expected a frame error, got {other:?}"),
    }
}
