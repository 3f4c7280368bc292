//! PostgreSQL's frontend/backend protocol (version 3.0) against a real PostgreSQL server: a
//! throwaway cluster made by `initdb` in a temporary directory, listening on 127.0.0.1 at a free
//! port with trust authentication, stopped when the test ends.
//!
//! Every message after the first is a 1-byte type tag and a 4-byte big-endian length that counts
//! itself but not the tag: `length_field_offset(1)`, `"!I"`, `length_adjustment(-4)`. The
//! client's first message (StartupMessage) has no tag: the same length with no offset, a second
//! codec used once. Length alone frames the whole conversation otherwise.
//!
//! PostgreSQL refuses to run as root; as root the test runs `initdb` and `postgres` as the user
//! `.ci/peers` creates (`lenframe-pg`) through `setpriv`.
#![cfg(feature = "std")]

#[path = "support/example_runner.rs"]
mod example_runner;
#[path = "support/peers.rs"]
mod peers;

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::Codec;
use peers::{CountingReader, Peer, Reads, TempDir};

const PG_BIN: &[&str] = &["/usr/lib/postgresql/*/bin"];
/// The unprivileged user `.ci/peers` creates for a root test run.
const PG_USER: &str = "lenframe-pg";
/// The cluster's superuser, made by initdb; trust authentication needs no password.
const ROLE: &str = "lenframe";

/// Backend and (after the first) frontend messages: tag, then a length counting itself.
fn message_codec() -> Codec {
    Codec::builder()
        .length_field_offset(1)
        .struct_format("!I")
        .length_adjustment(-4)
        .keep_header(true)
        .build()
        .unwrap()
}

/// The untagged first message (StartupMessage, SSLRequest, CancelRequest).
fn startup_codec() -> Codec {
    Codec::builder()
        .struct_format("!I")
        .length_adjustment(-4)
        .build()
        .unwrap()
}

/// A running throwaway cluster; stopped and deleted on drop.
struct Server {
    addr: SocketAddr,
    // Field order: the server stops before its directory is removed.
    peer: Peer,
    _dir: TempDir,
}

/// `cmd` as the unprivileged user when the test runs as root.
fn unprivileged(program: &Path, as_root: bool) -> Command {
    if as_root {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            &format!("--reuid={PG_USER}"),
            &format!("--regid={PG_USER}"),
            "--clear-groups",
            "--",
        ])
        .arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn start_server() -> Option<Server> {
    let initdb = peers::require("initdb", PG_BIN)?;
    let postgres = peers::require("postgres", PG_BIN)?;
    let uid = String::from_utf8(Command::new("id").arg("-u").output().ok()?.stdout).ok()?;
    let as_root = uid.trim() == "0";
    if as_root
        && !Command::new("id")
            .arg(PG_USER)
            .output()
            .is_ok_and(|o| o.status.success())
    {
        return peers::skip(&format!(
            "running as root and the user {PG_USER} is missing; run .ci/peers"
        ));
    }
    let dir = if as_root {
        TempDir::new_in(Path::new("/tmp"), "postgres")
    } else {
        TempDir::new("postgres")
    };
    if as_root {
        let status = Command::new("chown")
            .args([
                &format!("{PG_USER}:{PG_USER}"),
                dir.path().to_str().unwrap(),
            ])
            .status()
            .unwrap();
        assert!(status.success(), "chown of the cluster directory failed");
    }
    let data = dir.path().join("data");
    let initdb_log = dir.path().join("initdb.log");
    let mut init = unprivileged(&initdb, as_root);
    init.current_dir(dir.path()).arg("-D").arg(&data).args([
        "-U",
        ROLE,
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]);
    let mut init = Peer::spawn("initdb", init, initdb_log);
    let code = init.wait_exit();
    assert_eq!(code, Some(0), "initdb failed:\n{}", init.log());

    let port = peers::free_port();
    let mut cmd = unprivileged(&postgres, as_root);
    cmd.current_dir(dir.path())
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-k"])
        .arg(dir.path())
        .args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=10",
        ]);
    let mut peer = Peer::spawn("postgres", cmd, dir.path().join("postgres.log"));
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    // Listening comes before recovery ends: a connection then gets FATAL 57P03.
    peer.wait_log("ready to accept connections");
    drop(peer.wait_listening(addr));
    Some(Server {
        addr,
        peer,
        _dir: dir,
    })
}

/// One session: a counted reader of backend messages, and a writer of tagged frontend messages.
struct Session {
    reader: FrameReader<CountingReader<TcpStream>>,
    reads: Reads,
    writer: FrameWriter<TcpStream>,
}

impl Session {
    /// Connects, sends the untagged StartupMessage and reads up to ReadyForQuery.
    fn start(server: &Server) -> Session {
        let socket = peers::timed(TcpStream::connect(server.addr).unwrap());
        let (counting, reads) = CountingReader::new(socket.try_clone().unwrap());
        let mut session = Session {
            reader: FrameReader::with_codec(counting, message_codec()),
            reads,
            writer: FrameWriter::with_codec(socket.try_clone().unwrap(), message_codec()),
        };
        // StartupMessage: protocol 3.0, then name/value pairs, then an empty name.
        let mut startup = 196_608u32.to_be_bytes().to_vec();
        for part in [
            "user",
            ROLE,
            "database",
            "postgres",
            "application_name",
            "lenframe",
        ] {
            startup.extend_from_slice(part.as_bytes());
            startup.push(0);
        }
        startup.push(0);
        let mut first = FrameWriter::with_codec(socket, startup_codec());
        first.send_frame(&startup).unwrap();

        let replies = session.until_ready();
        let tags: Vec<u8> = replies.iter().map(|m| m[0]).collect();
        // AuthenticationOk, ParameterStatus..., BackendKeyData, ReadyForQuery.
        assert_eq!(tags[0], b'R', "replies: {tags:?}");
        assert_eq!(
            &replies[0][5..],
            &0u32.to_be_bytes(),
            "trust: AuthenticationOk"
        );
        assert!(tags.contains(&b'K') && tags.iter().filter(|&&t| t == b'S').count() >= 5);
        let server_version = replies
            .iter()
            .filter(|m| m[0] == b'S')
            .find_map(|m| m[5..].strip_prefix(b"server_version\0"))
            .expect("a server_version ParameterStatus");
        assert!(server_version[0].is_ascii_digit());
        session
    }

    /// Sends a tagged frontend message.
    fn send(&mut self, tag: u8, body: &[u8]) {
        // The tag is the one byte before the length field (length_field_offset(1)).
        self.writer.write_frame_with_prefix(&[tag], body).unwrap();
        self.writer.flush().unwrap();
    }

    fn query(&mut self, sql: &str) -> Vec<Bytes> {
        let mut body = sql.as_bytes().to_vec();
        body.push(0);
        self.send(b'Q', &body);
        self.until_ready()
    }

    /// Every backend message up to and including ReadyForQuery.
    fn until_ready(&mut self) -> Vec<Bytes> {
        let mut messages = Vec::new();
        loop {
            let message =
                self.reader.read_frame().unwrap().unwrap_or_else(|| {
                    panic!("the server closed before ReadyForQuery: {messages:?}")
                });
            // keep_header: the frame is the whole message, its length field counting itself.
            let len = u32::from_be_bytes(message[1..5].try_into().unwrap()) as usize;
            assert_eq!(len + 1, message.len());
            let ready = message[0] == b'Z';
            messages.push(message);
            if ready {
                return messages;
            }
        }
    }
}

/// The text of DataRow's first column.
fn first_column(row: &[u8]) -> &[u8] {
    assert_eq!(row[0], b'D');
    assert!(u16::from_be_bytes([row[5], row[6]]) >= 1);
    let len = i32::from_be_bytes(row[7..11].try_into().unwrap()) as usize;
    &row[11..11 + len]
}

/// One cluster for every scenario: initdb takes seconds, a session milliseconds.
#[test]
fn postgres_real_server() {
    let Some(server) = start_server() else {
        return;
    };
    startup_query_rows_large_error_terminate(&server);
    ssl_request_then_bad_protocol_version(&server);
    let out = example_runner::run_example(
        "protocols",
        &["postgres", &server.addr.to_string(), ROLE, "postgres"],
        peers::TIMEOUT,
    );
    out.assert_success();
    assert!(out.stdout.contains("row: PostgreSQL "), "{out}");
    assert!(
        !server.peer.log().contains("PANIC"),
        "{}",
        server.peer.log()
    );
}

fn startup_query_rows_large_error_terminate(server: &Server) {
    let mut session = Session::start(server);

    // Many rows: thousands of DataRow messages, glued together in the server's 8 KiB sends.
    session.reads.reset();
    let rows = session.query("SELECT g, md5(g::text) FROM generate_series(1, 5000) AS g");
    let data: Vec<&Bytes> = rows.iter().filter(|m| m[0] == b'D').collect();
    assert_eq!(data.len(), 5000);
    for (i, row) in data.iter().enumerate() {
        assert_eq!(first_column(row), (i + 1).to_string().as_bytes());
    }
    assert_eq!(rows[0][0], b'T', "RowDescription first");
    let complete = rows.iter().find(|m| m[0] == b'C').unwrap();
    assert_eq!(&complete[5..], b"SELECT 5000\0");
    assert!(
        session.reads.count() < rows.len() / 10,
        "{} messages came in {} reads: glued",
        rows.len(),
        session.reads.count()
    );

    // One 3 MB value: a single DataRow split across many reads.
    session.reads.reset();
    let big = session.query("SELECT repeat('lenframe', 375000)");
    let row = big.iter().find(|m| m[0] == b'D').unwrap();
    let value = first_column(row);
    assert_eq!(value.len(), 3_000_000);
    assert!(value.chunks(8).all(|c| c == b"lenframe"));
    assert!(
        session.reads.count() > 2 && session.reads.largest() < row.len(),
        "a {}-byte message in {} reads: split",
        row.len(),
        session.reads.count()
    );

    // The server's own error: ErrorResponse, then ReadyForQuery; the session goes on.
    let failed = session.query("SELECT * FROM no_such_table");
    let error = failed.iter().find(|m| m[0] == b'E').expect("ErrorResponse");
    let fields: Vec<&[u8]> = error[5..].split(|&b| b == 0).collect();
    assert!(
        fields.contains(&&b"C42P01"[..]),
        "undefined_table: {fields:?}"
    );
    assert!(fields
        .iter()
        .any(|f| f.starts_with(b"M") && f.ends_with(b"does not exist")));
    let again = session.query("SELECT 41 + 1");
    assert_eq!(
        first_column(again.iter().find(|m| m[0] == b'D').unwrap()),
        b"42"
    );

    // Terminate: the server closes, and the stream ends cleanly between two messages.
    session.send(b'X', b"");
    assert!(session.reader.read_frame().unwrap().is_none());
}

fn ssl_request_then_bad_protocol_version(server: &Server) {
    // The other untagged first message, SSLRequest: the reply is a single byte, 'N' (no TLS on
    // this server), not a message at all. A length codec cannot frame that byte; the client
    // reads it on its own and then goes on with the startup codec.
    let mut socket = peers::timed(TcpStream::connect(server.addr).unwrap());
    let mut writer = FrameWriter::with_codec(socket.try_clone().unwrap(), startup_codec());
    writer.send_frame(80_877_103u32.to_be_bytes()).unwrap();
    let mut answer = [0u8; 1];
    std::io::Read::read_exact(&mut socket, &mut answer).unwrap();
    assert_eq!(&answer, b"N");
    // A bad protocol number in the StartupMessage: the server's FATAL ErrorResponse, framed
    // by the message codec, then the close.
    writer.send_frame(0x0009_0000u32.to_be_bytes()).unwrap();
    let mut reader = FrameReader::with_codec(socket, message_codec());
    let error = reader.read_frame().unwrap().expect("ErrorResponse");
    assert_eq!(error[0], b'E');
    let fields: Vec<&[u8]> = error[5..].split(|&b| b == 0).collect();
    assert!(
        fields.contains(&&b"C0A000"[..]),
        "feature_not_supported: {fields:?}"
    );
    assert!(reader.read_frame().unwrap().is_none());
}
