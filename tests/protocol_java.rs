//! Java's `DataOutputStream.writeInt` + `write` and `DataInputStream.readInt` + `readFully`, the
//! usual hand-rolled framing of Java services: a 4-byte big-endian signed length, `"!i"`.
//!
//! The test writes a small Java program to a temporary directory, compiles it with `javac`, and
//! runs it with `java` as a client of a lenframe server on 127.0.0.1: Java sends first (many
//! small messages in one flush, then a large one), then echoes reversed what lenframe sends, and
//! rejects a negative length with its own error.
#![cfg(feature = "std")]

#[path = "support/peers.rs"]
mod peers;

use std::io::Write;
use std::process::Command;

use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::Codec;
use peers::{CountingReader, Peer, TempDir};

const JAVA: &str = r#"
import java.io.*;
import java.net.Socket;

public class Peer {
    public static void main(String[] args) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(args[0]))) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 65536));
            for (int i = 0; i < 1000; i++) {
                byte[] m = ("java " + i).getBytes("UTF-8");
                out.writeInt(m.length);
                out.write(m);
            }
            byte[] large = new byte[4_000_000];
            for (int i = 0; i < large.length; i++) large[i] = (byte) (i * 31 + 7);
            out.writeInt(large.length);
            out.write(large);
            out.flush();
            while (true) {
                int n;
                try {
                    n = in.readInt();
                } catch (EOFException end) {
                    break;
                }
                if (n < 0) {
                    System.err.println("negative length " + n);
                    System.exit(3);
                }
                byte[] m = new byte[n];
                in.readFully(m);
                for (int i = 0, j = n - 1; i < j; i++, j--) { byte t = m[i]; m[i] = m[j]; m[j] = t; }
                out.writeInt(n);
                out.write(m);
                if (in.available() == 0) out.flush();
            }
            out.flush();
        }
    }
}
"#;

#[test]
fn java_data_streams_both_ways() {
    let (Some(javac), Some(java)) = (peers::require("javac", &[]), peers::require("java", &[]))
    else {
        return;
    };
    let dir = TempDir::new("java");
    dir.write("Peer.java", JAVA);
    let out = Command::new(javac)
        .current_dir(dir.path())
        .args(["-d", ".", "Peer.java"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "javac: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (listener, addr) = peers::listen();
    let mut cmd = Command::new(java);
    cmd.current_dir(dir.path())
        .args(["-Xshare:auto", "-cp", ".", "Peer"])
        .arg(addr.port().to_string());
    let mut peer = Peer::spawn("java", cmd, dir.path().join("java.log"));
    let socket = peers::accept(&listener, &mut peer);
    let codec = Codec::from_struct_format("!i").unwrap();
    let (counting, reads) = CountingReader::new(socket.try_clone().unwrap());
    let mut reader = FrameReader::with_codec(counting, codec);
    let mut writer = FrameWriter::with_codec(socket.try_clone().unwrap(), codec);

    // Java to lenframe: 1000 glued messages, then 4 MB split across reads.
    for i in 0..1000 {
        assert_eq!(
            reader.read_frame().unwrap().unwrap(),
            format!("java {i}").as_bytes()
        );
    }
    let glued_reads = reads.count();
    assert!(glued_reads < 100, "1000 messages in {glued_reads} reads");
    let large = reader.read_frame().unwrap().unwrap();
    assert_eq!(large.len(), 4_000_000);
    assert!(large
        .iter()
        .enumerate()
        .all(|(i, &b)| b == (i as u32 * 31 + 7) as u8));
    assert!(reads.count() - glued_reads > 1, "4 MB in one read?");

    // lenframe to Java and back: 1000 small messages and 3 MB, reversed by Java.
    let sent: Vec<Vec<u8>> = (0..1000)
        .map(|i| format!("rust {i}").into_bytes())
        .chain([peers::pattern(3_000_000, 11)])
        .collect();
    for message in &sent {
        writer.write_frame(message).unwrap();
    }
    writer.flush().unwrap();
    for message in &sent {
        let mut back = reader.read_frame().unwrap().unwrap().to_vec();
        back.reverse();
        assert!(
            back == *message,
            "an echo of {} bytes came back changed",
            message.len()
        );
    }

    // Java's own error: a negative length makes it stop; the stream ends between two frames.
    (&socket).write_all(&(-2i32).to_be_bytes()).unwrap();
    assert!(reader.read_frame().unwrap().is_none());
    assert_eq!(peer.wait_exit(), Some(3));
    assert!(peer.log().contains("negative length -2"), "{}", peer.log());
}
