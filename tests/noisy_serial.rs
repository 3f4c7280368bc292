//! A real serial line: a pseudo-terminal pair in raw mode (Python's `os.openpty`, the kernel's
//! tty layer in between), a Python peer writing pyubx2's UBX messages into the master with
//! noise injected on the way (bit flips, dropped bytes, garbage), and lenframe's blocking reader
//! reading the slave device as a file, as it would read `/dev/ttyUSB0`.
//!
//! Every message the noise did not touch arrives, in order; no touched one does.
//!
//! Needs python3 with pyubx2: without them the test prints why and passes, except under CI
//! (`CI` set to anything but empty, `0` or `false`), where it fails.
#![cfg(target_os = "linux")]

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lenframe::blocking::FrameReader;
use lenframe::{ByteOrder, Checksum, ChecksumAlgorithm, Codec};

const PEER: &str = r#"
import os, sys, tty, random, signal
from pyubx2 import UBXMessage, GET
signal.alarm(120)  # never outlive a stuck test
master, slave = os.openpty()
tty.setraw(slave)  # no echo, no CR/LF translation: a binary serial line
print(os.ttyname(slave), flush=True)
sys.stdin.readline()  # the reader has the device open
random.seed(int(sys.argv[1]))
log = []
out = bytearray()
for i in range(300):
    if i % 3 == 0:
        msg = UBXMessage('NAV', 'NAV-PVT', GET, iTOW=i, lat=51.5, lon=-0.1, numSV=i % 30)
    elif i % 3 == 1:
        msg = UBXMessage('ACK', 'ACK-ACK', GET, clsID=6, msgID=i % 256)
    else:
        items = [('CFG_RATE_MEAS', 100 + j) for j in range(i % 12)]
        msg = UBXMessage.config_set(1, 0, items + [('CFG_UART1_BAUDRATE', 115200)])
    raw = bytearray(msg.serialize())
    if random.random() < 0.1:
        out += bytes(random.choice([0xB5, 0x62, random.randrange(256)]) for _ in range(random.randrange(1, 20)))
    kind = random.random()
    touched = True
    if kind < 0.05:
        at = random.randrange(len(raw))
        raw[at] ^= 1 << random.randrange(8)
    elif kind < 0.10:
        del raw[random.randrange(len(raw))]
    elif kind < 0.13:
        raw[random.randrange(len(raw))] = random.randrange(256)
        touched = raw != msg.serialize()
    else:
        touched = False
    out += raw
    log.append((msg.serialize().hex(), touched))
# The end: a message the reader stops at, sent clean.
out += UBXMessage('ACK', 'ACK-NAK', GET, clsID=0xFF, msgID=0xFF).serialize()
# Write in pieces of varied size, as a UART driver hands them over.
pos = 0
while pos < len(out):
    n = random.randrange(1, 200)
    pos += os.write(master, bytes(out[pos:pos + n]))
for raw, touched in log:
    print(raw, 'touched' if touched else 'intact', flush=True)
print('end', flush=True)
sys.stdin.readline()  # the reader is done: the line may close
"#;

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

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn ubx_over_a_noisy_pseudo_terminal_loses_only_the_touched_messages() {
    if !python_with("pyubx2") {
        return;
    }
    let codec = Codec::builder()
        .sync_bytes(b"\xB5\x62")
        .length_field_offset(2)
        .struct_format("<H")
        .max_frame_len(1024)
        .checksum(Checksum::new(
            ChecksumAlgorithm::Fletcher8,
            ByteOrder::Little,
        ))
        .keep_header(true)
        .build()
        .unwrap();
    for seed in [1, 2] {
        let mut peer = Command::new("python3")
            .args(["-c", PEER, &seed.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 starts");
        let mut to_peer = peer.stdin.take().unwrap();
        let mut from_peer = BufReader::new(peer.stdout.take().unwrap());
        let mut path = String::new();
        from_peer.read_line(&mut path).unwrap();
        let tty = OpenOptions::new()
            .read(true)
            .open(path.trim())
            .expect("the pty's slave opens");
        writeln!(to_peer, "go").unwrap();

        let started = Instant::now();
        let mut reader = FrameReader::with_codec(tty, codec);
        let mut frames = Vec::new();
        loop {
            let frame = reader.read_frame().unwrap().expect("the line stays open");
            if frame[2..6] == [0x05, 0x00, 0x02, 0x00] && frame[6..8] == [0xFF, 0xFF] {
                break;
            }
            frames.push(frame.to_vec());
            assert!(started.elapsed() < Duration::from_secs(60), "too slow");
        }

        let mut sent = Vec::new();
        for line in (&mut from_peer).lines() {
            let line = line.unwrap();
            if line == "end" {
                break;
            }
            let (hex, state) = line.split_once(' ').unwrap();
            sent.push((unhex(hex), state == "intact"));
        }
        writeln!(to_peer, "done").unwrap();
        assert!(peer.wait().unwrap().success());

        let intact: Vec<Vec<u8>> = sent.iter().filter(|m| m.1).map(|m| m.0.clone()).collect();
        let touched = sent.len() - intact.len();
        assert!(
            touched > 20,
            "the noise touched {touched} messages: too few to prove much"
        );
        // Every delivered frame is a message as sent; the touched ones never arrive, the
        // intact ones all do, in order.
        assert_eq!(frames, intact, "seed {seed}");
        println!(
            "seed {seed}: {} messages, {touched} touched by noise, {} delivered",
            sent.len(),
            frames.len()
        );
    }
}
