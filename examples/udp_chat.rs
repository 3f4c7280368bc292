//! The tutorials' UDP chat (web网络编程基础(下), "udp聊天器"), and what it teaches about
//! sticky packets: **UDP keeps message boundaries, TCP does not.**
//!
//! ```text
//! cargo run --example udp_chat                 # the demo below; ends by itself
//! cargo run --example udp_chat -- server       # 张三's chat server on 127.0.0.1:8081
//! cargo run --example udp_chat -- client       # pick a peer by name, then chat
//! ```
//!
//! The demo runs on real UDP sockets on 127.0.0.1 and shows: a chat message and its reply;
//! three `sendto("aaa")` arriving as three datagrams (never glued, unlike TCP); a datagram
//! larger than `recvfrom`'s buffer **truncated** (the rest is lost, not kept for the next
//! read); a datagram too big to send at all. Then the same messages over TCP, framed with
//! lenframe, all arriving whole.
//!
//! # The chat, as in the tutorial
//!
//! A server receives a message from any address, prints `来自[IP:PORT]的一条消息:...` ("a
//! message from ..."), asks for a reply on its terminal and sends it back to that address. A
//! client picks a peer by name (张三, 李四, 王五, 赵六 on ports 8081 to 8084; the pinyin
//! `zhangsan`, `lisi`, `wangwu`, `zhaoliu` work too), then sends lines to it, printing each
//! reply. `quit` goes back to choosing a peer, and `quit` there (or Ctrl-D) ends the client.
//! Start several servers to chat with several people:
//!
//! ```text
//! cargo run --example udp_chat -- server 127.0.0.1:8082     # 李四
//! cargo run --example udp_chat -- client 张三=127.0.0.1:9000  # a different address book
//! ```
//!
//! UDP has no connection, so nothing tells a client that the server went away. So, unlike the
//! tutorial's: the server, stopped with Ctrl-C, sends a goodbye to everyone who wrote to it and
//! exits with status 0; the client connects its socket to the peer it chose, so a message to a
//! port where nothing listens fails at once (the "port unreachable" comes back), and it waits
//! at most 60 s for a reply in any case. Ctrl-D at a prompt ends the client.

use std::io::{self, BufRead, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use lenframe::blocking::{FrameReader, FrameWriter};

/// `recvfrom(1024)`, as in the tutorial.
const RECV_BUF: usize = 1024;
/// How long the client waits for a reply (a person types it).
const REPLY_WAIT: Duration = Duration::from_secs(60);
/// What a stopping server sends to everyone who wrote to it.
const GOODBYE: &str = "(the server has stopped: 再见, goodbye)";
/// The tutorial's address book: 张三 is on 8081, 李四 on 8082, ...
const PEOPLE: [(&str, &str, u16); 4] = [
    ("张三", "zhangsan", 8081),
    ("李四", "lisi", 8082),
    ("王五", "wangwu", 8083),
    ("赵六", "zhaoliu", 8084),
];

const USAGE: &str = "usage: udp_chat                       a demo on 127.0.0.1 that ends by itself
       udp_chat server [ADDR]         a chat server (default 127.0.0.1:8081, 张三)
       udp_chat client [NAME=ADDR..]  a client (default: 张三 李四 王五 赵六, ports 8081-8084)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None => demo(),
        Some("server") => server(args.get(1).map_or("127.0.0.1:8081", String::as_str)),
        Some("client") => address_book(&args[1..]).and_then(|book| client(&book)),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command {other:?}\n{USAGE}").into()),
    };
    // The message, not `main`'s default Debug dump of the error value.
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

type Result<T, E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

// ---------------------------------------------------------------------------------------------
// The chat: a server and a client for two terminals.

fn server(addr: &str) -> Result<()> {
    let socket = UdpSocket::bind(addr).map_err(|err| format!("cannot listen on {addr}: {err}"))?;
    println!("listening on {} (UDP); Ctrl-C stops", socket.local_addr()?);
    let peers = say_goodbye_on_ctrl_c(&socket)?;
    let mut replies = io::stdin().lock().lines();
    loop {
        // Any address may send to us: there are no connections to accept, only datagrams.
        let from = receive_message(&socket, "")?;
        let mut known = peers.lock().unwrap_or_else(PoisonError::into_inner);
        if !known.contains(&from) {
            known.push(from);
        }
        drop(known);
        prompt("回复消息 (reply): ")?;
        let Some(reply) = replies.next().transpose()? else {
            println!("\nstdin closed; the server stops");
            return Ok(());
        };
        socket.send_to(reply.trim().as_bytes(), from)?;
    }
}

/// On Ctrl-C (or SIGTERM): tells everyone who wrote to the server that it is leaving (UDP has
/// no connection whose end they would see), says goodbye on the terminal and exits with 0.
/// Returns the list of those peers, for the server to fill.
fn say_goodbye_on_ctrl_c(socket: &UdpSocket) -> Result<Arc<Mutex<Vec<SocketAddr>>>> {
    let peers = Arc::new(Mutex::new(Vec::new()));
    let socket = socket.try_clone()?;
    let known = Arc::clone(&peers);
    ctrlc::set_handler(move || {
        let peers = known.lock().unwrap_or_else(PoisonError::into_inner);
        for peer in peers.iter() {
            // Best effort: a peer that is gone already is no reason not to stop.
            let _ = socket.send_to(GOODBYE.as_bytes(), peer);
        }
        println!(
            "\n再见 (goodbye): the server stops; told {} peer(s)",
            peers.len()
        );
        std::process::exit(0);
    })?;
    Ok(peers)
}

fn client(book: &[(String, SocketAddr)]) -> Result<()> {
    // Port 0: the OS picks ours; the server learns it from each datagram and replies to it.
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(REPLY_WAIT))?;
    let names: Vec<&str> = book.iter().map(|(name, _)| name.as_str()).collect();
    let mut lines = io::stdin().lock().lines();
    loop {
        prompt(&format!(
            "请选择聊天对象 (choose: {}, or quit): ",
            names.join(" ")
        ))?;
        let Some(name) = lines.next().transpose()? else {
            println!(); // Ctrl-D: end the prompt's line
            return Ok(());
        };
        let name = name.trim();
        if name == "quit" {
            return Ok(());
        }
        let Some(&(_, peer)) = book
            .iter()
            .find(|(n, _)| n == name || pinyin(n) == Some(name))
        else {
            println!("no one called {name:?} in the address book");
            continue;
        };
        // A connected UDP socket hears only from this peer, and learns when nothing listens
        // there: the "port unreachable" its datagram brings back fails the next receive at
        // once, rather than after the whole wait.
        socket.connect(peer)?;
        loop {
            prompt("请输入消息,回车发送 (message, Enter sends; quit to choose again): ")?;
            let Some(msg) = lines.next().transpose()? else {
                println!(); // Ctrl-D: end the prompt's line
                return Ok(());
            };
            match msg.trim() {
                "quit" => break,
                "" => continue,
                msg => match socket.send(msg.as_bytes()) {
                    Ok(_) => {}
                    Err(err) => {
                        println!("cannot send to {name} at {peer} ({err}); is it running?");
                        continue;
                    }
                },
            };
            match receive_message(&socket, "") {
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => {
                    println!("{name} at {peer} is not running (nothing listens there)");
                }
                Err(err) => println!("no reply from {name} at {peer} ({err}); is it running?"),
            }
        }
    }
}

/// The tutorial's names and ports, or `NAME=ADDR` pairs from the command line.
fn address_book(args: &[String]) -> Result<Vec<(String, SocketAddr)>> {
    if args.is_empty() {
        let people = PEOPLE
            .iter()
            .map(|&(name, _, port)| (name.into(), ([127, 0, 0, 1], port).into()));
        return Ok(people.collect());
    }
    let entry = |arg: &String| -> Result<(String, SocketAddr)> {
        let (name, addr) = arg
            .split_once('=')
            .ok_or(format!("{arg:?} is not NAME=ADDR"))?;
        Ok((
            name.into(),
            addr.parse().map_err(|err| format!("{addr:?}: {err}"))?,
        ))
    };
    args.iter().map(entry).collect()
}

fn pinyin(name: &str) -> Option<&'static str> {
    PEOPLE
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(_, pinyin, _)| *pinyin)
}

/// `recvfrom(1024)`, printed as the tutorial prints it; returns the sender's address.
fn receive_message(socket: &UdpSocket, who: &str) -> io::Result<SocketAddr> {
    let mut buf = [0; RECV_BUF];
    let (n, from) = socket.recv_from(&mut buf)?;
    let text = String::from_utf8_lossy(&buf[..n]);
    println!("{who}来自[{from}]的一条消息: {text}");
    Ok(from)
}

fn prompt(text: &str) -> io::Result<()> {
    print!("{text}");
    io::stdout().flush()
}

// ---------------------------------------------------------------------------------------------
// The demo: UDP's message boundaries, on real sockets, then the same messages over TCP.

fn demo() -> Result<()> {
    // Both sockets live in this one thread: a datagram waits in the receiver's queue until it
    // is read, so the client can send everything before the server reads anything.
    let server = UdpSocket::bind("127.0.0.1:0")?;
    let client = UdpSocket::bind("127.0.0.1:0")?;
    let zhang_san = server.local_addr()?;
    let mut buf = [0; RECV_BUF];
    println!(
        "UDP chat demo: 张三's server on {zhang_san}, a client on {}\n",
        client.local_addr()?
    );

    println!("1. THE TUTORIAL'S CHAT");
    println!("  client: picks 张三 ({zhang_san}), sends \"你好\"");
    client.send_to("你好".as_bytes(), zhang_san)?;
    let from = receive_message(&server, "  server: ")?;
    println!("  server: 回复消息 (reply): 收到");
    server.send_to("收到".as_bytes(), from)?;
    receive_message(&client, "  client: ")?;
    println!();

    println!("2. THREE sendto(\"aaa\"), ALL SENT BEFORE THE SERVER READS");
    for _ in 0..3 {
        client.send_to(b"aaa", zhang_san)?;
    }
    println!("  client: sendto(\"aaa\") three times");
    for _ in 0..3 {
        let n = recv(&server, &mut buf)?;
        println!(
            "  server: recvfrom({RECV_BUF}) -> {n} bytes: {:?}",
            String::from_utf8_lossy(&buf[..n])
        );
    }
    println!("  Three datagrams, three reads: UDP keeps each message's boundaries, so there is");
    println!("  no 黏包 (sticky packets) here. Over TCP the same three sends can come back as one");
    println!("  read of \"aaaaaaaaa\" (see `cargo run --example sticky_packets`).\n");

    println!("3. A DATAGRAM LARGER THAN recvfrom's {RECV_BUF}-BYTE BUFFER");
    let big: Vec<u8> = (0..2000u32).map(|i| b'a' + (i % 26) as u8).collect();
    client.send_to(&big, zhang_san)?;
    client.send_to(b"next", zhang_san)?;
    println!(
        "  client: sendto(<{} bytes>), then sendto(\"next\")",
        big.len()
    );
    let kept = recv(&server, &mut buf)?;
    let same = if buf[..kept] == big[..kept] {
        "identical to"
    } else {
        "DIFFERENT from"
    };
    println!("  server: recvfrom({RECV_BUF}) -> {kept} bytes, {same} the first {kept} sent");
    let n = recv(&server, &mut buf)?;
    println!(
        "  server: recvfrom({RECV_BUF}) -> {n} bytes: {:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    println!(
        "  Truncated, not split: the datagram's last {} bytes are lost, and the next",
        big.len() - kept
    );
    println!("  read returned the next datagram. (TCP would hand them over on the next read.)");
    let huge = vec![b'x'; 70_000];
    match client.send_to(&huge, zhang_san) {
        Err(err) => println!("  client: sendto(<{} bytes>) -> error: {err}", huge.len()),
        Ok(n) => println!(
            "  client: sendto(<{} bytes>) -> {n} (unexpected)",
            huge.len()
        ),
    }
    println!("  One datagram holds at most 65,507 bytes (IPv4). So over UDP each message must");
    println!("  fit one datagram and the reader's buffer, and on a real network datagrams can");
    println!("  also be lost, duplicated or reordered. Longer messages, or messages that must all");
    println!("  arrive in order, go over TCP: a byte stream, which needs framing.\n");

    println!("4. THE SAME MESSAGES OVER TCP, FRAMED WITH LENFRAME");
    tcp_with_lenframe(vec![
        b"aaa".to_vec(),
        b"aaa".to_vec(),
        b"aaa".to_vec(),
        big,
        huge,
    ])
}

/// `recv_from` that reports a truncated datagram the same way on every system.
fn recv(socket: &UdpSocket, buf: &mut [u8]) -> io::Result<usize> {
    match socket.recv_from(buf) {
        Ok((n, _)) => Ok(n),
        // Windows reports truncation as an error (WSAEMSGSIZE); the buffer is filled anyway.
        Err(err) if err.raw_os_error() == Some(10040) => Ok(buf.len()),
        Err(err) => Err(err),
    }
}

/// Sends `messages` as frames over a loopback TCP connection and prints what the server reads.
fn tcp_with_lenframe(messages: Vec<Vec<u8>>) -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let sent = messages.clone();
    let sender = thread::spawn(move || -> Result<(), lenframe::Error> {
        let mut writer = FrameWriter::new(TcpStream::connect(addr)?);
        for msg in &messages {
            writer.write_frame(msg)?; // a 4-byte length, then the message
        }
        writer.flush()?;
        Ok(()) // dropping the stream closes the connection: the reader's clean end
    });
    let sizes: Vec<usize> = sent.iter().map(Vec::len).collect();
    println!("  client: write_frame() for each message, sizes {sizes:?}, then flush");
    let (stream, _) = listener.accept()?;
    let mut reader = FrameReader::new(stream);
    for expected in &sent {
        let frame = reader.read_frame()?.ok_or("the client closed early")?;
        let what = match (frame == expected[..], frame.len() <= 8) {
            (true, true) => format!("{:?}", String::from_utf8_lossy(&frame)),
            (true, false) => "whole, identical to what was sent".into(),
            (false, _) => return Err(format!("frame of {} bytes differs", frame.len()).into()),
        };
        println!("  server: read_frame() -> {} bytes: {what}", frame.len());
    }
    match reader.read_frame()? {
        None => println!("  server: read_frame() -> None: the client closed cleanly"),
        Some(extra) => return Err(format!("an extra frame of {} bytes", extra.len()).into()),
    }
    sender.join().expect("the sender panicked")?;
    println!("  Each message came out whole and alone, however TCP cut or glued the bytes:");
    println!("  lenframe puts the length in front (Python: struct.pack('i', len(data))) and reads");
    println!("  exactly that many bytes back. A message can be as long as the maximum you set");
    println!("  (8 MiB by default), and one too big to hold in memory can be streamed");
    println!("  (`cargo run --example stream_file`).");
    Ok(())
}
