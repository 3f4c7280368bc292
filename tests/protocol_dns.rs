//! DNS over TCP (RFC 1035 section 4.2.2, RFC 7766): every message is preceded by its length as a
//! 2-byte big-endian unsigned integer, `"!H"`, so no message is over 65 535 bytes.
//!
//! Two real peers. dnsmasq, started by the test on 127.0.0.1 at a free port with its records on
//! the command line and no upstream server, answers lenframe's queries, pipelined (RFC 7766
//! section 6.2.1.1): many in one write, the answers read back in order. And Python's dnspython
//! (installed by `.ci/peers`) is the client of a small lenframe server: its own TCP framing and
//! its own message parser read what lenframe writes.
#![cfg(feature = "std")]

#[path = "support/example_runner.rs"]
mod example_runner;
#[path = "support/peers.rs"]
mod peers;

use std::io::Write;
use std::net::{Ipv4Addr, Shutdown, SocketAddr};
use std::process::Command;
use std::time::Instant;

use bytes::BytesMut;
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::Codec;
use peers::{CountingReader, Peer, TempDir};

const A: u16 = 1;
const TXT: u16 = 16;
/// Queries pipelined in one write. dnsmasq answers at most 100 queries on one TCP connection
/// (its `TCP_MAX_QUERIES`) and then closes it, so the whole test stays under that.
const HOSTS: u16 = 90;
/// The big TXT record: 40 strings of 250 bytes, a 10 KB answer (UDP would truncate it).
const TXT_STRINGS: usize = 40;

fn dns_codec() -> Codec {
    Codec::from_struct_format("!H").unwrap()
}

/// A query for `name` of type `qtype` with recursion desired.
fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut out = id.to_be_bytes().to_vec();
    out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes()); // class IN
    out
}

fn id_of(message: &[u8]) -> u16 {
    u16::from_be_bytes([message[0], message[1]])
}

fn rcode_of(message: &[u8]) -> u8 {
    message[3] & 0x0f
}

fn answer_count(message: &[u8]) -> u16 {
    u16::from_be_bytes([message[6], message[7]])
}

#[test]
fn dns_over_tcp_against_dnsmasq() {
    let Some(dnsmasq) = peers::require("dnsmasq", &["/usr/sbin"]) else {
        return;
    };
    let dir = TempDir::new("dnsmasq");
    let port = peers::free_port();
    let mut cmd = Command::new(dnsmasq);
    cmd.args([
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        "--bind-interfaces",
        "--listen-address=127.0.0.1",
        "--log-facility=-",
        "--local=/test/",
    ])
    .arg(format!("--port={port}"))
    .arg(format!("--pid-file={}", dir.path().join("pid").display()));
    for i in 1..=HOSTS {
        cmd.arg(format!(
            "--host-record=host{i}.test,10.0.{}.{}",
            i / 256,
            i % 256
        ));
    }
    let strings: Vec<String> = (0..TXT_STRINGS)
        .map(|i| format!("{i:03}{}", "x".repeat(247)))
        .collect();
    cmd.arg(format!("--txt-record=big.test,{}", strings.join(",")));
    let mut peer = Peer::spawn("dnsmasq", cmd, dir.path().join("dnsmasq.log"));
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let socket = peer.wait_listening(addr);

    let (counting, reads) = CountingReader::new(socket.try_clone().unwrap());
    // Reads of at most 2 KiB, so the 10 KB answer takes several even on loopback.
    let mut reader = FrameReader::with_codec(counting, dns_codec()).with_max_read_size(2048);
    let encoder = dns_codec().encoder();

    // 90 pipelined queries in one write.
    let mut burst = BytesMut::new();
    let mut expected_bytes = 0;
    for i in 1..=HOSTS {
        let q = query(i, &format!("host{i}.test"), A);
        // The answer: the query, plus one A record (name pointer, type, class, TTL, length, 4).
        expected_bytes += 2 + q.len() + 16;
        encoder.encode(&q, &mut burst).unwrap();
    }
    (&socket).write_all(&burst).unwrap();
    // Wait until every answer is in the socket buffer, so reads carry many frames each.
    let deadline = Instant::now() + peers::TIMEOUT;
    let mut peek = vec![0; expected_bytes];
    while socket.peek(&mut peek).unwrap() < expected_bytes {
        assert!(
            Instant::now() < deadline,
            "dnsmasq did not answer all queries"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    for i in 1..=HOSTS {
        let answer = reader.read_frame().unwrap().unwrap();
        assert_eq!(id_of(&answer), i);
        assert_eq!((rcode_of(&answer), answer_count(&answer)), (0, 1));
        assert_eq!(
            &answer[answer.len() - 4..],
            &[10, 0, (i / 256) as u8, (i % 256) as u8]
        );
    }
    assert!(
        reads.count() < usize::from(HOSTS) / 10,
        "{HOSTS} answers in {} reads: glued",
        reads.count()
    );

    // A 10 KB answer, read 2 KiB at a time.
    reads.reset();
    let mut out = BytesMut::new();
    encoder
        .encode(query(1000, "big.test", TXT), &mut out)
        .unwrap();
    (&socket).write_all(&out).unwrap();
    let answer = reader.read_frame().unwrap().unwrap();
    assert_eq!(
        (id_of(&answer), rcode_of(&answer), answer_count(&answer)),
        (1000, 0, 1)
    );
    assert!(answer.len() > TXT_STRINGS * 251, "{} bytes", answer.len());
    for s in &strings {
        let at = answer.windows(s.len()).position(|w| w == s.as_bytes());
        assert!(at.is_some(), "string {} missing", &s[..3]);
    }
    assert!(
        reads.count() >= 5,
        "a {}-byte answer in {} reads",
        answer.len(),
        reads.count()
    );

    // The server's own error: NXDOMAIN for a name it is authoritative for and does not have.
    let mut out = BytesMut::new();
    encoder
        .encode(query(1001, "nowhere.test", A), &mut out)
        .unwrap();
    (&socket).write_all(&out).unwrap();
    let answer = reader.read_frame().unwrap().unwrap();
    assert_eq!(
        (id_of(&answer), rcode_of(&answer), answer_count(&answer)),
        (1001, 3, 0)
    );

    // No more queries: the server closes, and the stream ends cleanly between two messages.
    socket.shutdown(Shutdown::Write).unwrap();
    assert!(reader.read_frame().unwrap().is_none());

    // The server's own close: dnsmasq answers 100 queries on a connection (its
    // TCP_MAX_QUERIES), then closes it; every answer before the close is whole, and the end is
    // clean. (Exactly 100: a query it left unread would turn its close into a reset.)
    let socket = peers::timed(std::net::TcpStream::connect(addr).unwrap());
    let mut burst = BytesMut::new();
    for i in 1..=100 {
        let q = query(i, &format!("host{}.test", 1 + i % HOSTS), A);
        encoder.encode(&q, &mut burst).unwrap();
    }
    (&socket).write_all(&burst).unwrap();
    let mut reader = FrameReader::with_codec(&socket, dns_codec());
    let mut answered = 0;
    while let Some(answer) = reader.read_frame().unwrap() {
        answered += 1;
        assert_eq!((id_of(&answer), rcode_of(&answer)), (answered, 0));
    }
    assert_eq!(answered, 100, "answers before dnsmasq closed");

    let out = example_runner::run_example(
        "protocols",
        &["dns", &addr.to_string(), "host7.test"],
        peers::TIMEOUT,
    );
    out.assert_success();
    assert!(out.stdout.contains("host7.test A 10.0.0.7"), "{out}");
    let usage = example_runner::run_example("protocols", &[], peers::TIMEOUT);
    usage.assert_success();
    assert!(
        usage.stdout.starts_with("usage: protocols postgres"),
        "{usage}"
    );
    drop(peer);
}

const DNSPYTHON: &str = r#"
import socket, sys, time
import dns.message, dns.query, dns.rcode

sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
expire = lambda: time.time() + 30
# 50 queries framed by dnspython (prepend_length), pipelined in one sendall.
queries = [dns.message.make_query("small%d.test" % i, "TXT") for i in range(50)]
sock.sendall(b"".join(q.to_wire(prepend_length=True) for q in queries))
for i, q in enumerate(queries):
    response, _ = dns.query.receive_tcp(sock, expire())
    assert q.is_response(response), i
    assert response.answer[0][0].strings == (b"answer %d" % i,), response
# One large answer: dnspython reads it in pieces and parses it whole.
q = dns.message.make_query("big.test", "TXT")
dns.query.send_tcp(sock, q, expire())
response, _ = dns.query.receive_tcp(sock, expire())
strings = [s for rdata in response.answer[0] for s in rdata.strings]
assert len(strings) == 240 and all(s == bytes([65 + i % 26]) * 255 for i, s in enumerate(strings))
q = dns.message.make_query("missing.test", "A")
dns.query.send_tcp(sock, q, expire())
response, _ = dns.query.receive_tcp(sock, expire())
assert response.rcode() == dns.rcode.NXDOMAIN
print("ok", flush=True)
# A frame whose message is cut short: dnspython's own parser rejects it.
q = dns.message.make_query("broken.test", "A")
dns.query.send_tcp(sock, q, expire())
try:
    dns.query.receive_tcp(sock, expire())
except Exception as e:
    print("rejected:", type(e).__name__, flush=True)
    sock.close()
    sys.exit(3)
"#;

/// The answer to `query`: the question echoed, with a TXT record of `strings`, or `rcode`.
fn respond(query: &[u8], strings: &[Vec<u8>], rcode: u8) -> Vec<u8> {
    // The question ends after the name's zero byte, type and class.
    let name_end = 12 + query[12..].iter().position(|&b| b == 0).unwrap() + 1;
    let mut out = query[..name_end + 4].to_vec();
    out[2] = 0x84 | (query[2] & 0x01); // QR, AA, and RD as asked
    out[3] = rcode;
    out[6..12].copy_from_slice(&[0, u8::from(rcode == 0), 0, 0, 0, 0]);
    if rcode == 0 {
        let rdata: Vec<u8> = strings
            .iter()
            .flat_map(|s| [&[s.len() as u8][..], s].concat())
            .collect();
        out.extend_from_slice(&[0xc0, 12, 0, TXT as u8, 0, 1, 0, 0, 0, 60]);
        out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        out.extend_from_slice(&rdata);
    }
    out
}

/// The first label of the question's name.
fn first_label(query: &[u8]) -> &[u8] {
    let len = usize::from(query[12]);
    &query[13..13 + len]
}

#[test]
fn dnspython_client_against_a_lenframe_server() {
    let Some(python) = peers::require("python3", &[]) else {
        return;
    };
    let has_dnspython = Command::new(&python)
        .args(["-c", "import dns.message"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_dnspython {
        let _: Option<()> = peers::skip("the Python dnspython package is missing; run .ci/peers");
        return;
    }
    let dir = TempDir::new("dnspython");
    let (listener, addr) = peers::listen();
    let mut cmd = Command::new(python);
    cmd.args(["-c", DNSPYTHON, &addr.port().to_string()]);
    let mut peer = Peer::spawn("dnspython", cmd, dir.path().join("dnspython.log"));
    let socket = peers::accept(&listener, &mut peer);
    let (counting, reads) = CountingReader::new(socket.try_clone().unwrap());
    let mut reader = FrameReader::with_codec(counting, dns_codec());
    let mut writer = FrameWriter::with_codec(&socket, dns_codec());

    let mut queries = 0;
    while let Some(query) = reader.read_frame().unwrap() {
        queries += 1;
        let label = first_label(&query).to_vec();
        let answer = match &label[..] {
            b"big" => {
                // 240 strings of 255 bytes: a 61 KB message, near the 65 535-byte limit.
                let strings: Vec<Vec<u8>> = (0..240).map(|i| vec![b'A' + i % 26; 255]).collect();
                respond(&query, &strings, 0)
            }
            b"missing" => respond(&query, &[], 3),
            b"broken" => respond(&query, &[], 0)[..7].to_vec(),
            small => {
                let i = std::str::from_utf8(&small[5..]).unwrap();
                respond(&query, &[format!("answer {i}").into_bytes()], 0)
            }
        };
        writer.send_frame(&answer).unwrap();
        if queries == 50 {
            assert!(
                reads.count() < 10,
                "50 pipelined queries in {} reads",
                reads.count()
            );
        }
    }
    // dnspython's own close, after its parser rejected the cut message.
    assert_eq!(queries, 53);
    assert_eq!(peer.wait_exit(), Some(3), "{}", peer.log());
    assert!(peer.log().contains("ok\nrejected: "), "{}", peer.log());
}
