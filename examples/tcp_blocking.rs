//! A client and a server framing a real `TcpStream` with the blocking `FrameReader` and
//! `FrameWriter`, on 127.0.0.1, both in this one program. It ends by itself.
//!
//! ```text
//! cargo run --example tcp_blocking
//! ```
//!
//! The server answers each message in upper case. Python peers can speak the same bytes:
//! `sock.sendall(struct.pack('i', len(data)) + data)`.

use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;

use lenframe::blocking::{FrameReader, FrameWriter};

fn main() -> ExitCode {
    // The error's message, not the Debug form `main` prints when it returns the error itself.
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    // Port 0: the OS picks a free port, so this never collides with a running server.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || serve_one(listener));

    let stream = TcpStream::connect(addr)?;
    // `&TcpStream` is both `Read` and `Write`, so a reader and a writer can share one stream
    // (`stream.try_clone()` would work too, for two threads).
    let mut reader = FrameReader::new(&stream);
    let mut writer = FrameWriter::new(&stream);

    // Request/response: `send_frame` writes the frame and flushes, like Python's `sendall`.
    // (`write_frame` alone only buffers a small frame; a reply would never come.)
    println!("client: send_frame(\"hello\")");
    writer.send_frame("hello")?;
    let reply = reader.read_frame()?.ok_or("the server closed early")?;
    println!("client: reply {:?}", String::from_utf8_lossy(&reply));

    // A batch: `write_frame` each message, `flush` once. The three frames usually leave in one
    // TCP segment and arrive glued together: the reader still returns them one by one.
    println!("client: write_frame x3, then one flush");
    for msg in ["aaa", "bbb", "ccc"] {
        writer.write_frame(msg)?;
    }
    writer.flush()?;
    for _ in 0..3 {
        let reply = reader.read_frame()?.ok_or("the server closed early")?;
        println!("client: reply {:?}", String::from_utf8_lossy(&reply));
    }

    // Ending cleanly. Frames carry no "goodbye": the end of the stream is the goodbye. Shut
    // down our sending half; the server's `read_frame` then returns `Ok(None)` (a clean end,
    // between two frames), it stops, and our `read_frame` sees its end the same way.
    // Closing inside a frame would be an error on the other side (`FrameError::Truncated`).
    println!("client: shutdown(Write): no more frames from me");
    stream.shutdown(Shutdown::Write)?;
    match reader.read_frame()? {
        None => println!("client: read_frame() -> None: the server closed too"),
        Some(frame) => return Err(format!("unexpected frame {frame:?}").into()),
    }
    let served = server.join().expect("the server thread panicked")?;
    println!("done: the server answered {served} frames");
    Ok(())
}

/// Accepts one connection and answers every frame in upper case until the client ends.
fn serve_one(listener: TcpListener) -> Result<usize, lenframe::Error> {
    let (stream, peer) = listener.accept()?;
    let mut reader = FrameReader::new(&stream);
    let mut writer = FrameWriter::new(&stream);
    let mut served = 0;
    // `Ok(None)` is the clean end. An `Err` would be a broken or hostile peer: a frame over the
    // maximum, a negative length, or a stream cut inside a frame. Here `?` returns it.
    while let Some(frame) = reader.read_frame()? {
        // Print before replying, so this line comes before the client's line for the reply.
        println!(
            "server: frame {:?} from {peer}",
            String::from_utf8_lossy(&frame)
        );
        // Flush per reply: the client waits for each answer before sending the next request.
        // (Replies to a batch could be flushed once, when the reader has nothing buffered.)
        writer.send_frame(frame.to_ascii_uppercase())?;
        served += 1;
    }
    println!("server: read_frame() -> None: the client finished; closing");
    // Dropping the stream closes it. `writer` is empty: every reply was flushed.
    Ok(served)
}
