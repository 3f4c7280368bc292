//! Typed messages allocate nothing of their own: `write_json`/`write_msgpack` serialize straight
//! into the writer's buffer (no intermediate `Vec`), and `read_json`/`read_msgpack` deserialize
//! from the reader's buffer (no copy of the frame). Measured with a counting global allocator, in
//! steady state (buffers already grown), against what serde itself allocates for the same
//! messages and against `write_frame` of the same bytes.
#![cfg(all(feature = "json", feature = "msgpack"))]

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use std::io::{self, Write};

use counting_alloc::{serial, Meter};
use lenframe::blocking::{FrameReader, FrameWriter};
use serde::{Deserialize, Serialize};

/// About 100 bytes of JSON, with strings and a vector (which serde_json writes without
/// allocating; deserializing them allocates the `String`s and the `Vec`).
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Event {
    id: u64,
    kind: String,
    user: String,
    values: Vec<i32>,
    ok: bool,
}

fn event(id: u64) -> Event {
    Event {
        id,
        kind: "temperature".into(),
        user: "sensor-ünïcødé".into(),
        values: vec![21, -3, 1000, 7],
        ok: id % 2 == 0,
    }
}

/// A writer that drops what it is given.
struct Discard;

impl Write for Discard {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const N: u64 = 5_000;

/// Bytes allocated by `f`, after running it once to warm up.
fn allocated(mut f: impl FnMut()) -> usize {
    f();
    let meter = Meter::start();
    f();
    meter.total()
}

#[test]
fn writing_a_typed_message_allocates_no_more_than_serde_and_write_frame_do() {
    let _serial = serial();
    let events: Vec<Event> = (0..N).map(event).collect();
    let json: Vec<Vec<u8>> = events
        .iter()
        .map(|e| serde_json::to_vec(e).unwrap())
        .collect();
    assert!((90..130).contains(&json[0].len()), "{}", json[0].len());

    // What serde needs to serialize them into a sink: nothing, for these messages.
    let serde_json = allocated(|| {
        for e in &events {
            serde_json::to_writer(io::sink(), e).unwrap();
        }
    });
    let serde_msgpack = allocated(|| {
        for e in &events {
            rmp_serde::encode::write_named(&mut io::sink(), e).unwrap();
        }
    });

    // No flush in between: a flush gives back a buffer that grew, and the next messages grow
    // a new one. Steady state is a buffer written out each time it fills.
    let mut writer = FrameWriter::new(Discard);
    let write_frame = allocated(|| {
        for payload in &json {
            writer.write_frame(payload).unwrap();
        }
    });
    let write_json = allocated(|| {
        for e in &events {
            writer.write_json(e).unwrap();
        }
    });
    let write_msgpack = allocated(|| {
        for e in &events {
            writer.write_msgpack(e).unwrap();
        }
    });
    // The usual way round: a `Vec` a message, then its bytes copied into a frame.
    let to_vec_then_write_frame = allocated(|| {
        for e in &events {
            writer.write_frame(serde_json::to_vec(e).unwrap()).unwrap();
        }
    });

    eprintln!(
        "bytes allocated for {N} messages: serde_json {serde_json}, rmp-serde {serde_msgpack}, \
         write_frame {write_frame}, write_json {write_json}, write_msgpack {write_msgpack}, \
         to_vec + write_frame {to_vec_then_write_frame}"
    );
    assert_eq!(write_json, serde_json + write_frame);
    assert_eq!(write_msgpack, serde_msgpack + write_frame);
    assert!(
        to_vec_then_write_frame >= N as usize * json[0].len(),
        "{to_vec_then_write_frame}"
    );
}

#[test]
fn reading_a_typed_message_allocates_no_more_than_deserializing_it_does() {
    let _serial = serial();
    let events: Vec<Event> = (0..N).map(event).collect();
    for json in [true, false] {
        let payloads: Vec<Vec<u8>> = events
            .iter()
            .map(|e| match json {
                true => serde_json::to_vec(e).unwrap(),
                false => rmp_serde::to_vec_named(e).unwrap(),
            })
            .collect();
        let mut writer = FrameWriter::new(Vec::new());
        // Three times over: the first pass warms the reader up, the second is measured, the
        // third keeps the end of the stream out of it.
        for payload in payloads.iter().chain(&payloads).chain(&payloads) {
            writer.write_frame(payload).unwrap();
        }
        let wire = writer.into_inner().unwrap();

        let deserialize = |payload: &[u8]| -> Event {
            match json {
                true => serde_json::from_slice(payload).unwrap(),
                false => rmp_serde::from_slice(payload).unwrap(),
            }
        };
        let from_slice = allocated(|| {
            for payload in &payloads {
                drop(deserialize(payload));
            }
        });
        // The same frames read as raw frames and deserialized by the caller, and read typed,
        // by two readers that make the same reads.
        let mut raw_reader = FrameReader::new(&wire[..]);
        let raw = allocated(|| {
            for _ in 0..N {
                drop(deserialize(raw_reader.read_frame_ref().unwrap().unwrap()));
            }
        });
        let mut reader = FrameReader::new(&wire[..]);
        let typed = allocated(|| {
            for _ in 0..N {
                let e: Event = match json {
                    true => reader.read_json().unwrap().unwrap(),
                    false => reader.read_msgpack().unwrap().unwrap(),
                };
                drop(e);
            }
        });
        eprintln!(
            "{}: bytes allocated reading {N} messages: deserializing alone {from_slice}, \
             read_frame_ref + deserializing {raw}, read_* {typed}",
            if json { "JSON" } else { "MessagePack" }
        );
        assert_eq!(typed, raw);
        assert!(
            from_slice > 0,
            "deserializing these messages allocates their strings"
        );
    }
}
