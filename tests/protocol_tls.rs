//! TLS records (RFC 8446 section 5.1, RFC 5246 section 6.2): a 1-byte content type, a 2-byte
//! legacy version, then a 2-byte big-endian length of the fragment, at most 2^14 + 256 bytes
//! in TLS 1.3 (2^14 + 2048 in TLS 1.2): `length_field_offset(3)`, `"!H"`, `keep_header(true)`,
//! and the spec's limit as the maximum frame length.
//!
//! Framing records is what a TLS terminator, a protocol sniffer or a record-level proxy does; it
//! does not decrypt anything. The test puts a lenframe relay between `openssl s_client` and
//! `openssl s_server -WWW` (both real OpenSSL, on 127.0.0.1): every record in each direction is
//! framed, checked, re-encoded with the same codec and forwarded. The handshake can only finish,
//! and the file come through intact, if every record was framed byte for byte.
#![cfg(feature = "std")]

#[path = "support/peers.rs"]
mod peers;

use std::io::Write;
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::thread;

use bytes::{Bytes, BytesMut};
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::Codec;
use peers::{CountingReader, Peer, TempDir};

const HANDSHAKE: u8 = 22;
const ALERT: u8 = 21;
const CHANGE_CIPHER_SPEC: u8 = 20;
const APPLICATION_DATA: u8 = 23;
/// The largest fragment any TLS version allows (TLS 1.2's ciphertext limit).
const MAX_FRAGMENT: usize = (1 << 14) + 2048;

fn record_codec() -> Codec {
    Codec::builder()
        .length_field_offset(3)
        .struct_format("!H")
        .keep_header(true)
        .max_frame_len(MAX_FRAGMENT)
        .build()
        .unwrap()
}

/// What one direction of the relay saw: each record, and how many reads carried them.
struct Seen {
    records: Vec<Bytes>,
    reads: Vec<usize>,
}

/// Frames records from `from` and forwards each, re-encoded, to `to`, until `from` ends
/// cleanly between two records; then half-closes `to`.
fn relay(from: TcpStream, to: TcpStream, max_read: usize) -> Seen {
    let (counting, reads) = CountingReader::new(from);
    let mut reader = FrameReader::with_codec(counting, record_codec()).with_max_read_size(max_read);
    // The record header's first 3 bytes (type, version) are the prefix before the length field.
    let mut writer = FrameWriter::with_codec(&to, record_codec());
    let mut records = Vec::new();
    while let Some(record) = reader.read_frame().unwrap() {
        let (header, fragment) = record.split_at(5);
        assert!(fragment.len() <= MAX_FRAGMENT);
        writer
            .write_frame_with_prefix(&header[..3], fragment)
            .unwrap();
        writer.flush().unwrap();
        records.push(record);
    }
    drop(writer);
    let _ = to.shutdown(Shutdown::Write);
    Seen {
        records,
        reads: reads.sizes(),
    }
}

fn start_server(openssl: &Path, dir: &TempDir, label: &str) -> (Peer, SocketAddr) {
    let port = peers::free_port();
    let mut cmd = Command::new(openssl);
    cmd.current_dir(dir.path())
        .args([
            "s_server", "-WWW", "-naccept", "1", "-cert", "cert.pem", "-key", "key.pem",
        ])
        .args(["-accept", &port.to_string()]);
    let mut server = Peer::spawn(label, cmd, dir.path().join(format!("{label}.log")));
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    // s_server takes the probe connection as its one accept; wait for its banner instead.
    server.wait_log("ACCEPT");
    (server, addr)
}

#[test]
fn tls_records_of_a_real_handshake_through_a_lenframe_relay() {
    let Some(openssl) = peers::require("openssl", &[]) else {
        return;
    };
    let dir = TempDir::new("tls");
    let made = Command::new(&openssl)
        .current_dir(dir.path())
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-subj", "/CN=localhost", "-days", "1"])
        .args(["-keyout", "key.pem", "-out", "cert.pem"])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    // The file the client fetches: 300 KB, so the server sends many full-size records.
    let file: String = (0..30_000).map(|i| format!("line {i:05}\n")).collect();
    dir.write("big.txt", &file);

    let (mut server, server_addr) = start_server(&openssl, &dir, "s_server");
    let (listener, relay_addr) = peers::listen();
    let mut cmd = Command::new(&openssl);
    cmd.args(["s_client", "-quiet", "-connect", &relay_addr.to_string()]);
    let mut client = Peer::spawn_with_input(
        "s_client",
        cmd,
        dir.path().join("s_client.log"),
        b"GET /big.txt HTTP/1.0\r\n\r\n".to_vec(),
    );
    let client_side = peers::accept(&listener, &mut client);
    let server_side = peers::timed(TcpStream::connect(server_addr).unwrap());

    let upstream = {
        let (from, to) = (
            client_side.try_clone().unwrap(),
            server_side.try_clone().unwrap(),
        );
        thread::spawn(move || relay(from, to, 1 << 16))
    };
    // Server to client in reads of at most 4 KiB: every full-size record spans several.
    let down = relay(server_side, client_side, 4096);
    let up = upstream.join().unwrap();
    assert_eq!(client.wait_exit(), Some(0), "{}", client.log());

    // The client's first record: a handshake record holding a ClientHello (type 1).
    assert_eq!((up.records[0][0], up.records[0][5]), (HANDSHAKE, 1));
    // The server's first: a ServerHello (type 2); in TLS 1.3 then a compatibility
    // ChangeCipherSpec and encrypted records.
    assert_eq!((down.records[0][0], down.records[0][5]), (HANDSHAKE, 2));
    assert!(down.records.iter().any(|r| r[0] == CHANGE_CIPHER_SPEC));
    let data: Vec<&Bytes> = down
        .records
        .iter()
        .filter(|r| r[0] == APPLICATION_DATA)
        .collect();
    let data_bytes: usize = data.iter().map(|r| r.len() - 5).sum();
    assert!(
        data_bytes > file.len(),
        "{data_bytes} bytes of application data"
    );
    let full = data.iter().filter(|r| r.len() - 5 > 1 << 14).count();
    assert!(full >= 10, "{full} full-size records");
    assert!(
        down.reads.len() > down.records.len(),
        "{} records in {} reads of 4 KiB: split",
        down.records.len(),
        down.reads.len()
    );
    // The server's first flight (ServerHello, ChangeCipherSpec, encrypted handshake) is one
    // write: its records come glued in the first read.
    let flight: usize = down.records[..3].iter().map(Bytes::len).sum();
    assert!(
        down.reads[0] >= flight,
        "first read {} bytes, first three records {flight}",
        down.reads[0]
    );
    // The whole file reached the client, decrypted by OpenSSL: no record was cut or joined.
    let got = client.log();
    assert!(
        got.contains("HTTP/1.0 200 ok"),
        "{}",
        &got[..got.len().min(500)]
    );
    assert!(got.contains(&file), "the file came through changed");
    assert_eq!(server.wait_exit(), Some(0), "{}", server.log());

    server_rejects_a_malformed_client_hello(&openssl, &dir);
}

/// The server's own error: a handshake record whose ClientHello claims more bytes than the
/// record holds. OpenSSL answers with a plaintext fatal alert record and closes.
fn server_rejects_a_malformed_client_hello(openssl: &Path, dir: &TempDir) {
    let (_server, addr) = start_server(openssl, dir, "s_server_bad");
    let socket = peers::timed(TcpStream::connect(addr).unwrap());
    let mut out = BytesMut::new();
    // ClientHello (1), a 3-byte length of 0x100 bytes, then only 4 bytes of it.
    let fragment = [1, 0, 1, 0, 3, 3, 0, 0];
    record_codec()
        .encoder()
        .encode_with_prefix(&[HANDSHAKE, 3, 1], fragment, &mut out)
        .unwrap();
    (&socket).write_all(&out).unwrap();
    socket.shutdown(Shutdown::Write).unwrap();
    let mut reader = FrameReader::with_codec(&socket, record_codec());
    let alert = reader.read_frame().unwrap().expect("an alert record");
    assert_eq!(alert[0], ALERT);
    assert_eq!(alert.len(), 7, "{alert:02x?}");
    assert_eq!(alert[5], 2, "a fatal alert: {alert:02x?}");
    assert!(reader.read_frame().unwrap().is_none());
}
