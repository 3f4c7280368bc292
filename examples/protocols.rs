//! lenframe speaking three real protocols to a server you run: the codec line for each, and the
//! few lines that use it. docs/protocols.md has the table for more protocols, and
//! tests/protocol_*.rs prove each one against the real server.
//!
//! ```text
//! cargo run --example protocols                                  # usage
//! cargo run --example protocols -- postgres 127.0.0.1:5432 USER  # trust auth only
//! cargo run --example protocols -- mqtt 127.0.0.1:1883
//! cargo run --example protocols -- dns 127.0.0.1:53 example.com
//! ```

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::{Codec, LengthField};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const USAGE: &str = "usage: protocols postgres ADDR USER [DATABASE]
       protocols mqtt ADDR [TOPIC]
       protocols dns ADDR NAME";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        ["postgres", addr, user] => postgres(addr, user, user),
        ["postgres", addr, user, database] => postgres(addr, user, database),
        ["mqtt", addr] => mqtt(addr, "lenframe/example"),
        ["mqtt", addr, topic] => mqtt(addr, topic),
        ["dns", addr, name] => dns(addr, name),
        [] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

fn connect(addr: &str) -> Result<TcpStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    Ok(stream)
}

/// PostgreSQL: a 1-byte tag, then a 4-byte big-endian length that counts itself but not the tag.
fn postgres(addr: &str, user: &str, database: &str) -> Result<()> {
    let messages = Codec::builder()
        .length_field_offset(1)
        .struct_format("!I")
        .length_adjustment(-4)
        .keep_header(true)
        .build()?;
    // The first message has no tag: the same length, no offset.
    let startup = Codec::builder()
        .struct_format("!I")
        .length_adjustment(-4)
        .build()?;

    let stream = connect(addr)?;
    let mut body = 196_608u32.to_be_bytes().to_vec(); // protocol 3.0
    for part in ["user", user, "database", database, ""] {
        body.extend_from_slice(part.as_bytes());
        body.push(0);
    }
    FrameWriter::with_codec(&stream, startup).send_frame(&body)?;

    let mut reader = FrameReader::with_codec(&stream, messages);
    let mut writer = FrameWriter::with_codec(&stream, messages);
    // The tag is the one byte before the length field (length_field_offset(1)).
    let mut send = |tag: u8, body: &[u8]| -> Result<()> {
        writer.write_frame_with_prefix(&[tag], body)?;
        Ok(writer.flush()?)
    };
    let mut sent_query = false;
    while let Some(message) = reader.read_frame()? {
        let body = &message[5..];
        match message[0] {
            b'R' if body != [0, 0, 0, 0] => {
                return Err(
                    "the server asks for a password: this example does trust auth only".into(),
                )
            }
            b'E' => println!(
                "error: {}",
                String::from_utf8_lossy(body).replace('\0', " ")
            ),
            b'D' => {
                // Column count (2 bytes), then the first column's length and text.
                let len = body
                    .get(2..6)
                    .map_or(0, |l| i32::from_be_bytes(l.try_into().unwrap()));
                let text = body.get(6..6 + len.max(0) as usize).unwrap_or_default();
                println!("row: {}", String::from_utf8_lossy(text));
            }
            b'Z' if !sent_query => {
                send(b'Q', b"SELECT version()\0")?;
                sent_query = true;
            }
            b'Z' => send(b'X', b"")?, // Terminate: the server closes, the loop ends
            _ => {}
        }
    }
    Ok(())
}

/// MQTT 3.1.1: a fixed header byte, then the remaining length, a varint of at most 4 bytes.
fn mqtt(addr: &str, topic: &str) -> Result<()> {
    let codec = Codec::builder()
        .length_field(LengthField::varint_max(4)?)
        .length_field_offset(1)
        .keep_header(true)
        .build()?;
    let stream = connect(addr)?;
    let string = |s: &str| [&(s.len() as u16).to_be_bytes()[..], s.as_bytes()].concat();
    // The fixed header byte is the one byte before the length field (length_field_offset(1)).
    let mut writer = FrameWriter::with_codec(&stream, codec);
    let connect = [
        &string("MQTT")[..],
        &[4, 0x02, 0, 60],
        &string("lenframe-example"),
    ]
    .concat();
    writer.write_frame_with_prefix(&[0x10], connect)?;
    writer.write_frame_with_prefix(&[0x82], [&[0, 1][..], &string(topic), &[0]].concat())?;
    writer.write_frame_with_prefix(
        &[0x30],
        [&string(topic)[..], b"hello from lenframe"].concat(),
    )?;
    writer.flush()?; // the three packets leave in one write

    let mut reader = FrameReader::with_codec(&stream, codec);
    while let Some(packet) = reader.read_frame()? {
        match packet[0] >> 4 {
            2 => println!("CONNACK, return code {}", packet[3]),
            9 => println!("SUBACK, granted QoS {}", packet[packet.len() - 1]),
            3 => {
                let header = 1 + packet[1..].iter().position(|b| b & 0x80 == 0).unwrap_or(0) + 1;
                let body = &packet[header..];
                let topic_len = usize::from(u16::from_be_bytes([body[0], body[1]]));
                println!(
                    "PUBLISH on {}: {}",
                    String::from_utf8_lossy(&body[2..2 + topic_len]),
                    String::from_utf8_lossy(&body[2 + topic_len..])
                );
                (&stream).write_all(&[0xe0, 0])?; // DISCONNECT: the broker closes
            }
            other => println!("packet type {other}"),
        }
    }
    Ok(())
}

/// DNS over TCP: a 2-byte big-endian length in front of each message.
fn dns(addr: &str, name: &str) -> Result<()> {
    let codec = Codec::from_struct_format("!H")?;
    let stream = connect(addr)?;
    let mut query = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.trim_end_matches('.').split('.') {
        query.push(u8::try_from(label.len())?);
        query.extend_from_slice(label.as_bytes());
    }
    query.extend_from_slice(&[0, 0, 1, 0, 1]); // root, type A, class IN
    FrameWriter::with_codec(&stream, codec).send_frame(&query)?;

    let answer = FrameReader::with_codec(&stream, codec)
        .read_frame()?
        .ok_or("the server closed without answering")?;
    let (rcode, count) = (answer[3] & 0x0f, u16::from_be_bytes([answer[6], answer[7]]));
    println!("{} bytes, rcode {rcode}, {count} answers", answer.len());
    // The answers follow the question; each A record ends with its 4 address bytes.
    let mut at = query.len();
    for _ in 0..count {
        // A compressed name (2 bytes), type, class, TTL, data length, data.
        let Some(record) = answer.get(at..at + 12) else {
            break;
        };
        let rtype = u16::from_be_bytes([record[2], record[3]]);
        let len = usize::from(u16::from_be_bytes([record[10], record[11]]));
        let Some(data) = answer.get(at + 12..at + 12 + len) else {
            break;
        };
        if rtype == 1 && len == 4 {
            println!("{name} A {}.{}.{}.{}", data[0], data[1], data[2], data[3]);
        }
        at += 12 + len;
    }
    Ok(())
}
