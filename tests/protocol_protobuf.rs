//! Length-delimited protobuf messages (Java's `writeDelimitedTo` / `parseDelimitedFrom`, C++'s
//! `SerializeDelimitedToOstream`): each message is preceded by its size as a varint,
//! `LengthField::VARINT`.
//!
//! The peer is Python's `protobuf` package (installed by `.ci/peers`): its own varint encoder and
//! decoder (`google.protobuf.internal.encoder._VarintBytes`, `decoder._DecodeVarint32`, the
//! helpers its delimited I/O is built on) and real `BytesValue` messages. Python sends first
//! (many messages in one `sendall`, then a large one), then parses what lenframe sends and
//! echoes each value reversed, and stops with protobuf's own `DecodeError` on a bad message.
#![cfg(feature = "std")]

#[path = "support/peers.rs"]
mod peers;

use std::net::Shutdown;
use std::process::Command;

use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::{Codec, LengthField};
use peers::{CountingReader, Peer, TempDir};

const PYTHON: &str = r#"
import socket, sys
from google.protobuf.internal.encoder import _VarintBytes
from google.protobuf.internal.decoder import _DecodeVarint32
from google.protobuf.message import DecodeError
from google.protobuf.wrappers_pb2 import BytesValue

def delimited(value):
    body = BytesValue(value=value).SerializeToString()
    return _VarintBytes(len(body)) + body

sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
first = b"".join(delimited(b"py %d" % i) for i in range(1000))
first += delimited(bytes((i * 7 + 3) & 0xff for i in range(1_500_000)))
sock.sendall(first)

stream = bytearray()
while True:
    chunk = sock.recv(1 << 16)
    if not chunk:
        break
    stream += chunk
pos = 0
echoes = []
status = 0
while pos < len(stream):
    size, pos = _DecodeVarint32(stream, pos)
    try:
        message = BytesValue.FromString(bytes(stream[pos:pos + size]))
    except DecodeError as e:
        print("DecodeError:", e, file=sys.stderr)
        status = 3
        break
    pos += size
    echoes.append(delimited(message.value[::-1]))
sock.sendall(b"".join(echoes))
sock.close()
sys.exit(status)
"#;

/// A `BytesValue` message: field 1, wire type 2 (tag 0x0a), then the bytes with a varint size.
fn bytes_value(value: &[u8]) -> Vec<u8> {
    if value.is_empty() {
        return Vec::new(); // proto3: a default field is not written
    }
    let mut size = [0; lenframe::MAX_FIELD_LEN];
    let n = LengthField::VARINT
        .write_len(value.len() as u64, &mut size)
        .unwrap();
    let mut out = vec![0x0a];
    out.extend_from_slice(&size[..n]);
    out.extend_from_slice(value);
    out
}

/// The value of a `BytesValue` message (the same varint reads the inner size).
fn value_of(message: &[u8]) -> &[u8] {
    if message.is_empty() {
        return message;
    }
    assert_eq!(message[0], 0x0a);
    let (len, n) = LengthField::VARINT
        .read_len(&message[1..])
        .unwrap()
        .unwrap();
    assert_eq!(1 + n + len as usize, message.len());
    &message[1 + n..]
}

#[test]
fn protobuf_delimited_with_python_protobuf() {
    let Some(python) = peers::require("python3", &[]) else {
        return;
    };
    let has_protobuf = Command::new(&python)
        .args(["-c", "import google.protobuf"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_protobuf {
        let _: Option<()> = peers::skip("the Python protobuf package is missing; run .ci/peers");
        return;
    }
    let dir = TempDir::new("protobuf");
    let (listener, addr) = peers::listen();
    let mut cmd = Command::new(python);
    cmd.args(["-c", PYTHON, &addr.port().to_string()]);
    let mut peer = Peer::spawn("python protobuf", cmd, dir.path().join("python.log"));
    let socket = peers::accept(&listener, &mut peer);
    let codec = Codec::builder()
        .length_field(LengthField::VARINT)
        .build()
        .unwrap();
    let (counting, reads) = CountingReader::new(socket.try_clone().unwrap());
    let mut reader = FrameReader::with_codec(counting, codec);
    let mut writer = FrameWriter::with_codec(socket.try_clone().unwrap(), codec);

    // Python's stream: 1000 glued messages, then 1.5 MB (a 3-byte varint) across reads.
    for i in 0..1000 {
        let message = reader.read_frame().unwrap().unwrap();
        assert_eq!(value_of(&message), format!("py {i}").as_bytes());
    }
    let glued_reads = reads.count();
    assert!(glued_reads < 100, "1000 messages in {glued_reads} reads");
    let large = reader.read_frame().unwrap().unwrap();
    let value = value_of(&large);
    assert_eq!(value.len(), 1_500_000);
    assert!(value
        .iter()
        .enumerate()
        .all(|(i, &b)| b == (i * 7 + 3) as u8));
    assert!(reads.count() - glued_reads > 1, "1.5 MB in one read?");

    // lenframe's stream, parsed by protobuf: small, empty, large; then a message protobuf
    // rejects (a field claiming more bytes than the message has).
    let sent: Vec<Vec<u8>> = (0..300)
        .map(|i| format!("rust {i}").into_bytes())
        .chain([Vec::new(), peers::pattern(1_200_000, 5)])
        .collect();
    for value in &sent {
        writer.write_frame(bytes_value(value)).unwrap();
    }
    writer.write_frame(b"\x0a\x7f").unwrap();
    writer.flush().unwrap();
    socket.shutdown(Shutdown::Write).unwrap();
    for value in &sent {
        let message = reader.read_frame().unwrap().unwrap();
        let mut back = value_of(&message).to_vec();
        back.reverse();
        assert!(
            back == *value,
            "an echo of {} bytes came back changed",
            value.len()
        );
    }
    assert!(reader.read_frame().unwrap().is_none());
    assert_eq!(peer.wait_exit(), Some(3), "{}", peer.log());
    assert!(peer.log().contains("DecodeError"), "{}", peer.log());
}
