//! MQTT 3.1.1 against a real broker: mosquitto, started by the test with its own configuration
//! file on 127.0.0.1 at a free port, stopped when the test ends.
//!
//! Every control packet is a fixed header byte (packet type and flags) and the "remaining
//! length", a varint of at most 4 bytes (MQTT 3.1.1 section 2.2.3): `length_field_offset(1)`,
//! `LengthField::varint_max(4)`, with the header kept so the packet type stays with its body.
#![cfg(feature = "std")]

#[path = "support/example_runner.rs"]
mod example_runner;
#[path = "support/peers.rs"]
mod peers;

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::Command;

use bytes::{Bytes, BytesMut};
use lenframe::blocking::FrameReader;
use lenframe::{Codec, Error, FrameError, LengthField};
use peers::{CountingReader, Peer, Reads, TempDir};

const CONNECT: u8 = 0x10;
const CONNACK: u8 = 0x20;
const PUBLISH: u8 = 0x30;
const SUBSCRIBE: u8 = 0x82;
const SUBACK: u8 = 0x90;
const PINGREQ: u8 = 0xc0;
const PINGRESP: u8 = 0xd0;
const DISCONNECT: u8 = 0xe0;

fn mqtt_codec() -> Codec {
    Codec::builder()
        .length_field(LengthField::varint_max(4).unwrap())
        .length_field_offset(1)
        .keep_header(true)
        .build()
        .unwrap()
}

struct Broker {
    addr: SocketAddr,
    peer: Peer,
    _dir: TempDir,
}

fn start_broker() -> Option<Broker> {
    let mosquitto = peers::require("mosquitto", &["/usr/sbin"])?;
    let dir = TempDir::new("mosquitto");
    let port = peers::free_port();
    // No persistence, anonymous clients, this one listener only. As root, mosquitto drops to
    // its own user; the file stays readable to it.
    let config = dir.write(
        "mosquitto.conf",
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
             log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n"
        ),
    );
    let mut cmd = Command::new(mosquitto);
    cmd.arg("-c").arg(&config);
    let log = dir.path().join("mosquitto.log");
    let mut peer = Peer::spawn("mosquitto", cmd, log);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    drop(peer.wait_listening(addr));
    Some(Broker {
        addr,
        peer,
        _dir: dir,
    })
}

struct Client {
    reader: FrameReader<CountingReader<TcpStream>>,
    reads: Reads,
    socket: TcpStream,
}

/// A UTF-8 string as MQTT writes it: 2-byte big-endian length, then the bytes.
fn string(s: &str) -> Vec<u8> {
    let mut out = (s.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(s.as_bytes());
    out
}

/// A whole control packet.
fn packet(first: u8, body: &[u8]) -> BytesMut {
    // Packets are built in memory so that tests can glue many into one write.
    let mut out = BytesMut::new();
    mqtt_codec()
        .encoder()
        .encode_with_prefix(&[first], body, &mut out)
        .unwrap();
    out
}

fn publish(topic: &str, payload: &[u8]) -> BytesMut {
    let mut body = string(topic);
    body.extend_from_slice(payload);
    packet(PUBLISH, &body)
}

impl Client {
    /// CONNECT with a clean session, then CONNACK "accepted".
    fn connect(broker: &Broker, client_id: &str) -> Client {
        let socket = peers::timed(TcpStream::connect(broker.addr).unwrap());
        let (counting, reads) = CountingReader::new(socket.try_clone().unwrap());
        let mut client = Client {
            reader: FrameReader::with_codec(counting, mqtt_codec()),
            reads,
            socket,
        };
        let mut body = string("MQTT");
        body.extend_from_slice(&[4, 0x02, 0, 60]); // level 4 = 3.1.1, clean session, 60 s
        body.extend_from_slice(&string(client_id));
        client.send(&packet(CONNECT, &body));
        assert_eq!(&client.next()[..], &[CONNACK, 2, 0, 0]);
        client
    }

    fn send(&mut self, bytes: &[u8]) {
        self.socket.write_all(bytes).unwrap();
    }

    fn next(&mut self) -> Bytes {
        self.reader
            .read_frame()
            .unwrap()
            .expect("the broker closed the connection")
    }

    fn subscribe(&mut self, filter: &str) {
        let mut body = 1u16.to_be_bytes().to_vec(); // packet identifier
        body.extend_from_slice(&string(filter));
        body.push(0); // QoS 0
        self.send(&packet(SUBSCRIBE, &body));
        assert_eq!(&self.next()[..], &[SUBACK, 3, 0, 1, 0]);
    }

    /// The next PUBLISH's topic and payload.
    fn next_publish(&mut self) -> (String, Bytes) {
        let packet = self.next();
        assert_eq!(
            packet[0] & 0xf0,
            PUBLISH,
            "{:02x?}",
            &packet[..8.min(packet.len())]
        );
        let varint_len = packet[1..].iter().position(|b| b & 0x80 == 0).unwrap() + 1;
        let body = packet.slice(1 + varint_len..);
        let topic_len = usize::from(u16::from_be_bytes([body[0], body[1]]));
        let topic = String::from_utf8(body[2..2 + topic_len].to_vec()).unwrap();
        (topic, body.slice(2 + topic_len..))
    }
}

#[test]
fn mqtt_real_broker() {
    let Some(broker) = start_broker() else {
        return;
    };
    publish_to_own_topic_small_large_and_glued(&broker);
    broker_closes_on_a_five_byte_remaining_length(&broker);
    #[cfg(feature = "tokio")]
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(tokio_reader_and_writer(&broker));
    let out = example_runner::run_example(
        "protocols",
        &["mqtt", &broker.addr.to_string()],
        peers::TIMEOUT,
    );
    out.assert_success();
    assert!(
        out.stdout
            .contains("PUBLISH on lenframe/example: hello from lenframe"),
        "{out}"
    );
}

fn publish_to_own_topic_small_large_and_glued(broker: &Broker) {
    let mut client = Client::connect(broker, "lenframe-test");
    client.subscribe("lenframe/#");

    client.send(&publish("lenframe/hello", b"hello, broker"));
    assert_eq!(
        client.next_publish(),
        (
            "lenframe/hello".to_owned(),
            Bytes::from_static(b"hello, broker")
        )
    );

    // 300 KB: a 3-byte remaining length; the packet comes back in many reads.
    let large = peers::pattern(300_000, 7);
    client.reads.reset();
    client.send(&publish("lenframe/large", &large));
    let (topic, payload) = client.next_publish();
    assert_eq!(topic, "lenframe/large");
    assert!(payload == large, "the 300 KB payload came back changed");
    assert!(
        client.reads.count() > 1 && client.reads.largest() < 300_000,
        "one 300 KB packet in {} reads",
        client.reads.count()
    );

    // 500 small publishes in one write; the broker's forwards come glued in few reads.
    let mut burst = BytesMut::new();
    for i in 0..500 {
        burst.extend_from_slice(&publish(
            "lenframe/burst",
            format!("message {i}").as_bytes(),
        ));
    }
    client.reads.reset();
    client.send(&burst);
    for i in 0..500 {
        let (topic, payload) = client.next_publish();
        assert_eq!(topic, "lenframe/burst");
        assert_eq!(payload, format!("message {i}").as_bytes());
    }
    assert!(
        client.reads.count() < 250,
        "500 packets in {} reads: glued",
        client.reads.count()
    );

    client.send(&packet(PINGREQ, b""));
    assert_eq!(&client.next()[..], &[PINGRESP, 0]);
    // DISCONNECT: the broker closes, and the stream ends cleanly between two packets.
    client.send(&packet(DISCONNECT, b""));
    assert!(client.reader.read_frame().unwrap().is_none());
}

fn broker_closes_on_a_five_byte_remaining_length(broker: &Broker) {
    // What the broker does with the 5-byte remaining length lenframe refuses: it drops the
    // client ("malformed packet"), so the reader sees the end of the stream, not a packet.
    let mut client = Client::connect(broker, "lenframe-malformed");
    client.send(b"\x30\xff\xff\xff\xff\x01");
    match client.reader.read_frame() {
        Ok(None) => {}
        Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("expected the broker to close, got {other:?}"),
    }
    assert!(
        broker.peer.log().contains("lenframe-malformed"),
        "{}",
        broker.peer.log()
    );
}

/// The same conversation through the tokio adapter: its reader frames the broker's packets.
#[cfg(feature = "tokio")]
async fn tokio_reader_and_writer(broker: &Broker) {
    use tokio::io::AsyncWriteExt;

    let stream = tokio::net::TcpStream::connect(broker.addr).await.unwrap();
    let (read, write) = stream.into_split();
    let mut reader = lenframe::tokio::FrameReader::with_codec(read, mqtt_codec());
    // The fixed header byte is the prefix before the length field; the two packets leave
    // together at the flush.
    let mut writer = lenframe::tokio::FrameWriter::with_codec(write, mqtt_codec());
    let mut body = string("MQTT");
    body.extend_from_slice(&[4, 0x02, 0, 60]);
    body.extend_from_slice(&string("lenframe-tokio"));
    writer
        .write_frame_with_prefix(&[CONNECT], &body)
        .await
        .unwrap();
    let mut subscribe = 7u16.to_be_bytes().to_vec();
    subscribe.extend_from_slice(&string("lenframe/tokio"));
    subscribe.push(0);
    writer
        .write_frame_with_prefix(&[SUBSCRIBE], &subscribe)
        .await
        .unwrap();
    writer.flush().await.unwrap();
    assert_eq!(&next(&mut reader).await.unwrap()[..], &[CONNACK, 2, 0, 0]);
    assert_eq!(&next(&mut reader).await.unwrap()[..], &[SUBACK, 3, 0, 7, 0]);

    let large = peers::pattern(200_000, 9);
    let mut burst = BytesMut::new();
    for i in 0..200 {
        burst.extend_from_slice(&publish("lenframe/tokio", format!("tokio {i}").as_bytes()));
    }
    burst.extend_from_slice(&publish("lenframe/tokio", &large));
    writer.get_mut().write_all(&burst).await.unwrap();
    let prefix = string("lenframe/tokio");
    for i in 0..200 {
        let received = next(&mut reader).await.unwrap();
        assert_eq!(received[0], PUBLISH);
        let body = &received[2..]; // a 1-byte remaining length: these are small
        assert_eq!(&body[..prefix.len()], &prefix[..]);
        assert_eq!(&body[prefix.len()..], format!("tokio {i}").as_bytes());
    }
    let last = next(&mut reader).await.unwrap();
    assert!(
        last.len() > large.len() && last.ends_with(&large),
        "the 200 KB payload came back changed"
    );
    writer
        .write_frame_with_prefix(&[DISCONNECT], b"")
        .await
        .unwrap();
    writer.flush().await.unwrap();
    assert!(next(&mut reader).await.is_none());
}

/// The next packet, within [`peers::TIMEOUT`].
#[cfg(feature = "tokio")]
async fn next<R: tokio::io::AsyncRead + Unpin>(
    reader: &mut lenframe::tokio::FrameReader<R>,
) -> Option<Bytes> {
    tokio::time::timeout(peers::TIMEOUT, reader.read_frame())
        .await
        .expect("the broker did not answer in time")
        .unwrap()
}

#[test]
fn mqtt_five_byte_remaining_length_is_rejected() {
    // The same bytes from a broker (or anyone) to a lenframe reader: an error carrying the cap,
    // as soon as the fifth length byte is in, with no payload byte read or allocated.
    let mut reader = FrameReader::with_codec(&b"\x30\xff\xff\xff\xff\x01rest"[..], mqtt_codec());
    match reader.read_frame() {
        Err(Error::Frame(FrameError::VarintPastCap { max_bytes: 4 })) => {}
        other => panic!("expected VarintPastCap, got {other:?}"),
    }
    // The largest remaining length MQTT allows still reads: 0xff 0xff 0xff 0x7f.
    let mut decoder = mqtt_codec()
        .to_builder()
        .max_frame_len(300_000_000)
        .build()
        .unwrap()
        .decoder();
    let mut buf = BytesMut::from(&b"\x30\xff\xff\xff\x7f"[..]);
    assert!(matches!(decoder.decode(&mut buf), Ok(None)));
    // And a writer cannot announce a length the remaining length cannot carry.
    let field = mqtt_codec().length_field();
    assert_eq!(field.max_value(), 268_435_455);
    assert!(matches!(
        field.write_len(268_435_456, &mut [0; lenframe::MAX_FIELD_LEN]),
        Err(lenframe::EncodeError::Unrepresentable {
            value: 268_435_456,
            ..
        })
    ));
}
