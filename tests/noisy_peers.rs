//! Real peers of the noisy-link settings: u-blox UBX streams made by `pyubx2`, RTCM 3 streams
//! made by `pyrtcm` and MAVLink v1/v2 streams made by `pymavlink`, decoded by lenframe byte for
//! byte; UBX encoded by lenframe and parsed (checksum checked) by `pyubx2`.
//!
//! Each test needs python3 with its package. Without them a test prints why and passes, except
//! under CI (`CI` set to anything but empty, `0` or `false`), where it fails: a green CI run
//! means these peers really ran.

use std::io::Write;
use std::process::{Command, Stdio};

use bytes::BytesMut;
use lenframe::blocking::FrameReader;
use lenframe::{ByteOrder, Checksum, ChecksumAlgorithm, Codec};

/// Whether python3 with `module` can run; under CI a missing one is a failure.
fn python_with(module: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|out| out.status.success());
    if !ok {
        let ci = std::env::var("CI").unwrap_or_default();
        if !ci.is_empty() && ci != "0" && ci != "false" {
            panic!("CI={ci} but python3 cannot import {module}: pip install {module}");
        }
        eprintln!("skipped: python3 cannot import {module} (pip install {module})");
    }
    ok
}

/// Runs a Python script with `stdin`, returning its standard output.
fn python(script: &str, stdin: &[u8]) -> String {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 starts");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the Python peer failed");
    String::from_utf8(out.stdout).unwrap()
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// The messages a peer printed, one hex string a line (first word of each line).
fn messages(out: &str) -> Vec<Vec<u8>> {
    out.lines()
        .map(|line| unhex(line.split_whitespace().next().unwrap()))
        .collect()
}

/// Decodes `wire` with the blocking reader, in reads of `read` bytes: the frames, and the bytes
/// the core decoder drops from the same stream (the reader's own counters come with
/// `FrameReader::decoder`, which another change adds; the core's frames are checked to match).
fn read_all(codec: Codec, wire: &[u8], read: usize) -> (Vec<Vec<u8>>, u64) {
    struct Chunked<'a>(&'a [u8], usize);
    impl std::io::Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let mut reader = FrameReader::with_codec(Chunked(wire, read), codec);
    let mut frames = Vec::new();
    while let Some(frame) = reader.read_frame().unwrap() {
        frames.push(frame.to_vec());
    }
    let mut decoder = codec.decoder();
    let mut buf = BytesMut::from(wire);
    let mut core_frames = Vec::new();
    while let Some(frame) = decoder.decode_eof(&mut buf).unwrap() {
        core_frames.push(frame.to_vec());
    }
    assert_eq!(
        core_frames, frames,
        "the blocking reader and the core agree"
    );
    (frames, decoder.dropped_bytes())
}

/// UBX: `B5 62`, class, id, 2-byte little-endian length, payload, Fletcher-8 over class to the
/// end of the payload.
fn ubx() -> Codec {
    Codec::builder()
        .sync_bytes(b"\xB5\x62")
        .length_field_offset(2)
        .struct_format("<H")
        .max_frame_len(4096)
        .checksum(Checksum::new(
            ChecksumAlgorithm::Fletcher8,
            ByteOrder::Little,
        ))
        .keep_header(true)
        .build()
        .unwrap()
}

const UBX_STREAM: &str = r#"
from pyubx2 import UBXMessage, GET
msgs = []
for i in range(40):
    msgs.append(UBXMessage('NAV', 'NAV-PVT', GET, iTOW=1000 * i, lat=51.5 + i / 1000,
                           lon=-0.1 - i / 1000, numSV=i % 30, height=1000 + i))
    msgs.append(UBXMessage('ACK', 'ACK-ACK', GET, clsID=6, msgID=i % 256))
    msgs.append(UBXMessage('NAV', 'NAV-STATUS', GET, iTOW=1000 * i, gpsFix=3))
    # Variable length: 1 to 13 configuration items.
    items = [('CFG_RATE_MEAS', 100 + j) for j in range(i % 12)] + [('CFG_UART1_BAUDRATE', 115200)]
    msgs.append(UBXMessage.config_set(1, 0, items))
for m in msgs:
    print(m.serialize().hex(), m.identity)
"#;

#[test]
fn ubx_from_pyubx2_decodes_byte_for_byte() {
    if !python_with("pyubx2") {
        return;
    }
    let sent = messages(&python(UBX_STREAM, b""));
    assert_eq!(sent.len(), 160);
    let wire: Vec<u8> = sent.concat();
    for read in [1, 7, 64, 4096] {
        let (frames, dropped) = read_all(ubx(), &wire, read);
        assert_eq!(frames, sent, "reads of {read}");
        assert_eq!(dropped, 0);
    }
    // Without keep_header: the payload alone.
    let payloads = ubx().to_builder().keep_header(false).build().unwrap();
    let (frames, _) = read_all(payloads, &wire, 100);
    let expected: Vec<Vec<u8>> = sent.iter().map(|m| m[6..m.len() - 2].to_vec()).collect();
    assert_eq!(frames, expected);
}

/// Garbage between pyubx2's messages, and one message corrupted: every other message comes
/// through, and the dropped bytes are exactly the garbage and the bad message.
#[test]
fn ubx_from_pyubx2_survives_garbage_and_a_corrupted_message() {
    if !python_with("pyubx2") {
        return;
    }
    let sent = messages(&python(UBX_STREAM, b""));
    let mut wire = Vec::new();
    let mut garbage_len = 0;
    let mut expected = Vec::new();
    for (i, msg) in sent.iter().enumerate() {
        // False syncs and a false header in the garbage.
        let garbage: &[u8] = match i % 4 {
            0 => b"\xB5\x62\x01",
            1 => b"\x00\xB5",
            2 => b"\xB5\x62\x01\x07\x10\x00",
            _ => b"",
        };
        wire.extend_from_slice(garbage);
        garbage_len += garbage.len();
        if i == 50 {
            let mut bad = msg.clone();
            bad[8] ^= 0x20;
            wire.extend_from_slice(&bad);
            garbage_len += bad.len();
        } else {
            wire.extend_from_slice(msg);
            expected.push(msg.clone());
        }
    }
    let (frames, dropped) = read_all(ubx(), &wire, 33);
    assert_eq!(frames, expected);
    assert_eq!(dropped, garbage_len as u64);
}

#[test]
fn ubx_encoded_by_lenframe_parses_in_pyubx2() {
    if !python_with("pyubx2") {
        return;
    }
    let encoder = ubx().encoder();
    let mut wire = BytesMut::new();
    // ACK-ACK for CFG-PRT; ACK-NAK for CFG-MSG; NAV-STATUS with iTOW 123456 and a 3D fix.
    encoder
        .encode_with_prefix(b"\x05\x01", b"\x06\x00", &mut wire)
        .unwrap();
    encoder
        .encode_with_prefix(b"\x05\x00", b"\x06\x01", &mut wire)
        .unwrap();
    let mut status = vec![0u8; 16];
    status[..4].copy_from_slice(&123_456u32.to_le_bytes());
    status[4] = 3;
    encoder
        .encode_with_prefix(b"\x01\x03", &status, &mut wire)
        .unwrap();
    let script = r#"
import sys
from pyubx2 import UBXReader, VALCKSUM
for raw, msg in UBXReader(sys.stdin.buffer, validate=VALCKSUM):
    if msg.identity == 'NAV-STATUS':
        print(msg.identity, msg.iTOW, msg.gpsFix)
    else:
        print(msg.identity, msg.clsID, msg.msgID)
"#;
    let out = python(script, &wire);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["ACK-ACK 6 0", "ACK-NAK 6 1", "NAV-STATUS 123456 3"]
    );
}

/// RTCM 3: `D3`, 6 reserved bits and a 10-bit length, payload, CRC-24Q over all of it.
fn rtcm() -> Codec {
    Codec::builder()
        .sync_bytes(b"\xD3")
        .struct_format(">H")
        .length_field_bits(0, 10)
        .max_frame_len(1023)
        .checksum(Checksum::new(ChecksumAlgorithm::Crc24Q, ByteOrder::Big).covering_from(0))
        .keep_header(true)
        .build()
        .unwrap()
}

#[test]
fn rtcm3_from_pyrtcm_decodes_byte_for_byte_and_back() {
    if !python_with("pyrtcm") {
        return;
    }
    // 1005 (station position, random fields) and 1029 (text, variable length).
    let script = r#"
import random
from pyrtcm import RTCMMessage
random.seed(3)
for i in range(60):
    pl = ((1005 << 140) | random.getrandbits(140)).to_bytes(19, 'big')
    print(RTCMMessage(payload=pl).serialize().hex())
    txt = ('noise %d ' % i * (i % 9 + 1)).encode()
    bits = (((((1029 << 12 | i) << 16 | 60000) << 17 | 1234) << 7 | len(txt)) << 8) | len(txt)
    print(RTCMMessage(payload=bits.to_bytes(9, 'big') + txt).serialize().hex())
"#;
    let sent = messages(&python(script, b""));
    assert_eq!(sent.len(), 120);
    let wire: Vec<u8> = sent.concat();
    let (frames, dropped) = read_all(rtcm(), &wire, 50);
    assert_eq!(frames, sent);
    assert_eq!(dropped, 0);

    // lenframe's encoding of the same payloads is pyrtcm's, byte for byte.
    let encoder = rtcm().encoder();
    let mut ours = BytesMut::new();
    for msg in &sent {
        encoder.encode(&msg[3..msg.len() - 3], &mut ours).unwrap();
    }
    assert_eq!(&ours[..], &wire[..]);
}

/// The `CRC_EXTRA` seed of the messages the test uses (from the MAVLink XML definitions).
fn crc_extra(msgid: u32) -> Option<u8> {
    match msgid {
        0 => Some(50),   // HEARTBEAT
        1 => Some(124),  // SYS_STATUS
        30 => Some(39),  // ATTITUDE
        33 => Some(104), // GLOBAL_POSITION_INT
        _ => None,
    }
}

/// MAVLink's CRC-16/MCRF4XX over the covered bytes and then the message's `CRC_EXTRA` byte; an
/// unknown message never matches (its value is wider than the trailer).
fn mavlink_crc(covered: &[u8], msgid: u32) -> u64 {
    let Some(extra) = crc_extra(msgid) else {
        return u64::MAX;
    };
    let mut bytes = covered.to_vec();
    bytes.push(extra);
    ChecksumAlgorithm::Crc16Mcrf4xx.compute(&bytes)
}

/// v1: the message id is the 5th covered byte (after len, seq, sysid, compid).
fn mavlink_v1_check(covered: &[u8]) -> u64 {
    covered
        .get(4)
        .map_or(u64::MAX, |&id| mavlink_crc(covered, id.into()))
}

/// v2: the message id is 3 little-endian bytes after len, flags, seq, sysid, compid.
fn mavlink_v2_check(covered: &[u8]) -> u64 {
    match covered.get(6..9) {
        Some(id) => mavlink_crc(covered, u32::from_le_bytes([id[0], id[1], id[2], 0])),
        None => u64::MAX,
    }
}

fn mavlink(sync: u8, header_after_len: i64, check: lenframe::CheckFn) -> Codec {
    Codec::builder()
        .sync_bytes(&[sync])
        .struct_format("B")
        // The length counts the payload; the rest of the header comes after it.
        .length_adjustment(header_after_len)
        .checksum(Checksum::custom(check, 2, ByteOrder::Little))
        .keep_header(true)
        .build()
        .unwrap()
}

#[test]
fn mavlink_v1_and_v2_from_pymavlink_decode_with_a_callers_check() {
    if !python_with("pymavlink") {
        return;
    }
    let script = r#"
import sys
from pymavlink.dialects.v10 import common as v1
from pymavlink.dialects.v20 import common as v2
for dialect in (v1, v2):
    mav = dialect.MAVLink(None, srcSystem=1, srcComponent=1)
    for i in range(30):
        for msg in (mav.heartbeat_encode(6, 8, 0, i, 4),
                    mav.attitude_encode(i * 10, 0.1 * i, -0.2, 0.3, 0.0, 0.01, i),
                    mav.global_position_int_encode(i, 515000000 + i, -1000000, 50000, 2000, 1, 2, 3, 90),
                    mav.sys_status_encode(1, 1, 1, 500, 12000, -1, 80, 0, 0, 0, 0, 0, 0)):
            print(msg.pack(mav).hex(), msg.crc_extra, msg.id)
    print('--')
"#;
    let out = python(script, b"");
    let mut parts = out.split("--\n");
    let (v1_out, v2_out) = (parts.next().unwrap(), parts.next().unwrap());
    // The CRC_EXTRA table above is pymavlink's.
    for line in out.lines().filter(|l| *l != "--") {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (extra, id): (u64, u32) = (words[1].parse().unwrap(), words[2].parse().unwrap());
        assert_eq!(
            crc_extra(id),
            Some(extra as u8),
            "CRC_EXTRA of message {id}"
        );
    }
    for (name, text, codec) in [
        ("v1", v1_out, mavlink(0xFE, 4, mavlink_v1_check)),
        ("v2", v2_out, mavlink(0xFD, 8, mavlink_v2_check)),
    ] {
        let sent = messages(text);
        assert_eq!(sent.len(), 120, "{name}");
        let wire: Vec<u8> = sent.concat();
        let (frames, dropped) = read_all(codec, &wire, 37);
        assert_eq!(frames, sent, "{name}");
        assert_eq!(dropped, 0, "{name}");
        // One flipped bit in one message: that message alone is dropped.
        let mut noisy = wire.clone();
        let at = sent[..10].iter().map(Vec::len).sum::<usize>() + 7;
        noisy[at] ^= 0x04;
        let (frames, dropped) = read_all(codec, &noisy, 37);
        let mut expected = sent.clone();
        expected.remove(10);
        assert_eq!(frames, expected, "{name}");
        assert_eq!(dropped, sent[10].len() as u64, "{name}");
    }
}
