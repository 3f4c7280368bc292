//! Node.js `Buffer.writeUInt32LE` / `writeUInt32BE` framing, as a Node service writes it by hand:
//! a 4-byte unsigned length in either byte order, `"<I"` or `"!I"`.
//!
//! The test runs a small Node script (`node -e`) as a client of a lenframe server on 127.0.0.1,
//! once a byte order. Node sends first (many small messages in one `write`, then a large one),
//! then echoes upper-cased what lenframe sends, using its own `readUInt32LE/BE` parser, and
//! closes with its own error on a length over its limit.
#![cfg(feature = "std")]

#[path = "support/peers.rs"]
mod peers;

use std::io::Write;
use std::process::Command;

use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::Codec;
use peers::{CountingReader, Peer, TempDir};

const NODE: &str = r#"
const net = require('net');
const [port, order] = process.argv.slice(1);
const write32 = (b, n) => order === 'LE' ? b.writeUInt32LE(n) : b.writeUInt32BE(n);
const read32 = (b) => order === 'LE' ? b.readUInt32LE(0) : b.readUInt32BE(0);
const LIMIT = 16 * 1024 * 1024;
function frame(payload) {
  const header = Buffer.alloc(4);
  write32(header, payload.length);
  return Buffer.concat([header, payload]);
}
const socket = net.connect(Number(port), '127.0.0.1', () => {
  const frames = [];
  for (let i = 0; i < 1000; i++) frames.push(frame(Buffer.from('node ' + i)));
  socket.write(Buffer.concat(frames));
  const large = Buffer.alloc(2_000_000);
  for (let i = 0; i < large.length; i++) large[i] = (i * 13 + 5) & 0xff;
  socket.write(frame(large));
});
let pending = Buffer.alloc(0);
socket.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  const replies = [];
  while (pending.length >= 4) {
    const n = read32(pending);
    if (n > LIMIT) {
      console.error('length ' + n + ' over the limit');
      socket.destroy();
      process.exitCode = 3;
      return;
    }
    if (pending.length < 4 + n) break;
    const text = pending.subarray(4, 4 + n).toString('latin1').toUpperCase();
    replies.push(frame(Buffer.from(text, 'latin1')));
    pending = pending.subarray(4 + n);
  }
  if (replies.length) socket.write(Buffer.concat(replies));
});
socket.on('end', () => socket.end());
"#;

fn node_round_trip(node: &std::path::Path, order: &str, format: &str) {
    let dir = TempDir::new("node");
    let (listener, addr) = peers::listen();
    let mut cmd = Command::new(node);
    cmd.args(["-e", NODE, &addr.port().to_string(), order]);
    let mut peer = Peer::spawn("node", cmd, dir.path().join("node.log"));
    let socket = peers::accept(&listener, &mut peer);
    let codec = Codec::from_struct_format(format).unwrap();
    let (counting, reads) = CountingReader::new(socket.try_clone().unwrap());
    let mut reader = FrameReader::with_codec(counting, codec);
    let mut writer = FrameWriter::with_codec(socket.try_clone().unwrap(), codec);

    for i in 0..1000 {
        assert_eq!(
            reader.read_frame().unwrap().unwrap(),
            format!("node {i}").as_bytes()
        );
    }
    let glued_reads = reads.count();
    assert!(
        glued_reads < 100,
        "{order}: 1000 messages in {glued_reads} reads"
    );
    let large = reader.read_frame().unwrap().unwrap();
    assert_eq!(large.len(), 2_000_000);
    assert!(large
        .iter()
        .enumerate()
        .all(|(i, &b)| b == (i * 13 + 5) as u8));
    assert!(
        reads.count() - glued_reads > 1,
        "{order}: 2 MB in one read?"
    );

    let sent: Vec<Vec<u8>> = (0..500)
        .map(|i| format!("rust {i}").into_bytes())
        .chain([b"x".repeat(1_500_000)])
        .collect();
    for message in &sent {
        writer.write_frame(message).unwrap();
    }
    writer.flush().unwrap();
    for message in &sent {
        let back = reader.read_frame().unwrap().unwrap();
        assert!(
            back == message.to_ascii_uppercase(),
            "{order}: an echo came back changed"
        );
    }

    // Node's own error: a length over its limit; it closes, and the stream ends cleanly.
    let mut header = [0; lenframe::MAX_FIELD_LEN];
    let n = codec
        .length_field()
        .write_len(1 << 30, &mut header)
        .unwrap();
    (&socket).write_all(&header[..n]).unwrap();
    assert!(reader.read_frame().unwrap().is_none(), "{order}");
    assert_eq!(peer.wait_exit(), Some(3));
    assert!(peer.log().contains("over the limit"), "{}", peer.log());
}

#[test]
fn node_buffer_uint32_le_and_be() {
    let Some(node) = peers::require("node", &[]) else {
        return;
    };
    let le = {
        let node = node.clone();
        std::thread::spawn(move || node_round_trip(&node, "LE", "<I"))
    };
    node_round_trip(&node, "BE", "!I");
    le.join().unwrap();
}
