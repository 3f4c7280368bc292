//! lenframe with no network at all: what a frame looks like, and how the decoder finds whole
//! messages in bytes that arrive glued together, cut in pieces, or hostile.
//!
//! ```text
//! cargo run --example basics
//! ```
//!
//! Everything here happens in memory, so you can see each byte. The network examples
//! (`tcp_blocking`, `tcp_tokio`, `framed`) do the same over a real socket.

use bytes::BytesMut;
use lenframe::{Codec, FrameError};
use std::process::ExitCode;

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
    // A `Codec` is only settings (it is `Copy`). The default header is 4 bytes, signed,
    // little-endian: the bytes Python's `struct.pack('i', len(data))` writes, so a Python peer
    // using the tutorials' framing reads and writes the same frames.
    let codec = Codec::default();

    // 1. ENCODE. Three messages, as three `send("aaa")`-style calls would put them on a TCP
    // stream. TCP may deliver them as one read (黏包, "sticky packets"): here they simply sit in
    // one buffer, which is exactly what the receiver sees in that case.
    let encoder = codec.encoder();
    let mut wire = BytesMut::new();
    for msg in ["aaa", "bb", "c"] {
        encoder.encode(msg, &mut wire)?;
    }
    println!(
        "1. three frames, glued in one buffer ({} bytes):",
        wire.len()
    );
    println!("   {}", hex(&wire));
    println!("   each is a 4-byte length, then the payload: 03 00 00 00 = 3, then \"aaa\"");

    // 2. DECODE GLUED INPUT. `decode` splits one whole frame off the front of the buffer, or
    // returns `Ok(None)` when the buffer holds no whole frame yet. Loop until `None`: one read
    // from a socket may hold any number of frames.
    let mut decoder = codec.decoder();
    println!("\n2. decoding the glued buffer:");
    while let Some(frame) = decoder.decode(&mut wire)? {
        println!("   frame: {:?}", String::from_utf8_lossy(&frame));
    }
    println!("   then Ok(None): the buffer is empty, nothing is left over");

    // 3. DECODE SPLIT INPUT. A large message may arrive over many reads. Feed the decoder one
    // byte at a time, the worst case: it answers "need more" (not an error, and no byte is
    // lost) until the frame is complete. It remembers a header it already parsed, so nothing
    // is parsed twice however the bytes are cut.
    let mut one_frame = BytesMut::new();
    encoder.encode("hello, world", &mut one_frame)?;
    let mut arriving = BytesMut::new();
    let mut waits = 0;
    println!("\n3. the frame {} fed one byte at a time:", hex(&one_frame));
    for byte in one_frame.iter() {
        arriving.extend_from_slice(&[*byte]);
        match decoder.decode(&mut arriving)? {
            None => waits += 1,
            Some(frame) => println!(
                "   Ok(None) {waits} times (\"need more\"), then the frame: {:?}",
                String::from_utf8_lossy(&frame)
            ),
        }
    }

    // 4. A HOSTILE HEADER. A broken or malicious peer sends a length of 2,147,483,647 (i32::MAX):
    // code that trusts it would try to allocate 2 GiB. lenframe checks every length against the
    // maximum (8 MiB by default, `CodecBuilder::max_frame_len` to change it) as soon as the
    // header is complete, before reading or allocating anything for the body.
    let mut hostile = BytesMut::from(&b"\xff\xff\xff\x7fhello"[..]);
    println!("\n4. a hostile header: {}", hex(&hostile));
    match decoder.decode(&mut hostile) {
        // Errors are enums with the numbers inside, so a program can match them (and log
        // `len`, or drop the connection) rather than parse a message.
        Err(err @ FrameError::TooLarge { len, max, .. }) => {
            println!("   refused: announced {len} bytes, the maximum is {max}");
            println!("   error: {err}");
        }
        other => return Err(format!("expected TooLarge, got {other:?}").into()),
    }
    // Nothing was consumed: the buffer still starts at the bad header, so it can be logged.
    // There is no telling where a next frame would start, so a program drops the connection.
    println!("   the buffer still holds all {} bytes", hostile.len());

    // A negative length (signed lengths are the default, as in Python's 'i') is refused too.
    let mut negative = BytesMut::from(&b"\xff\xff\xff\xff"[..]);
    if let Err(err) = codec.decoder().decode(&mut negative) {
        println!("   {}: {err}", hex(&negative));
    }
    Ok(())
}

/// Bytes as space-separated hex, to show what is on the wire.
fn hex(bytes: &[u8]) -> String {
    let pairs: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    pairs.join(" ")
}
