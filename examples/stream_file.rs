//! Sending a file as one frame, in bounded memory: `copy_frame_from` reads the payload from the
//! file as it sends, `copy_frame_to` writes it to a file as it arrives, so a 20 MiB (or 4 GiB)
//! frame never sits in memory whole. Over TCP on 127.0.0.1; it ends by itself.
//!
//! ```text
//! cargo run --example stream_file
//! ```
//!
//! This is the tutorials' video upload done right. The full program, with a server, downloads
//! and uploads, is the `file_transfer` example.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::ExitCode;
use std::thread;

use lenframe::blocking::{FrameReader, FrameWriter};
use lenframe::Codec;

/// The file's size: more than the default maximum frame (8 MiB), to show how to raise it.
const FILE_LEN: u64 = 20 * 1024 * 1024;

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
    let dir = std::env::temp_dir().join(format!("lenframe-stream-file-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    let (sent, received) = (dir.join("video.bin"), dir.join("received.bin"));
    make_file(&sent)?;

    // A frame longer than the maximum is refused (a hostile header must not make us write
    // gigabytes), so both sides raise it for files. The bound to choose is the biggest file you
    // accept. Memory does not depend on it: the payload is streamed.
    let codec = Codec::builder().max_frame_len(1 << 30).build()?;

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || receive(listener, codec, &received).map(|n| (n, received)));

    // The sender: the header needs the length first, so take it from the file's metadata,
    // then `copy_frame_from` reads exactly that many bytes from the file as it writes them.
    let stream = TcpStream::connect(addr)?;
    let mut writer = FrameWriter::with_codec(&stream, codec);
    let mut file = File::open(&sent)?;
    let len = file.metadata()?.len();
    writer.copy_frame_from(len, &mut file)?;
    writer.flush()?; // the end of the frame may still be in the writer's buffer
    stream.shutdown(Shutdown::Write)?;
    println!("sender:   copy_frame_from({len}, file) sent one frame of {len} bytes");

    let (got, received) = server.join().expect("the receiver panicked")?;
    println!("receiver: copy_frame_to(file) -> Some({got}): one frame, written to disk");
    let same = checksum(&sent)? == checksum(&received)?;
    println!("the received file is identical to the sent one: {same}");
    if let Some(peak) = peak_memory_kib() {
        // Linux only: the most memory this process ever held, both sides and all.
        println!(
            "peak memory of this process: {} KiB, for a {} KiB file",
            peak,
            FILE_LEN / 1024
        );
    }
    fs::remove_dir_all(&dir)?;
    Ok(())
}

/// Accepts one connection and writes its one frame's payload into `path`.
fn receive(listener: TcpListener, codec: Codec, path: &Path) -> Result<u64, lenframe::Error> {
    let (stream, _) = listener.accept()?;
    let mut reader = FrameReader::with_codec(stream, codec);
    // The payload goes through the reader's buffer (at most 64 KiB per read) into the file.
    // `Ok(None)` would mean the sender closed before sending any frame.
    let mut out = BufWriter::new(File::create(path)?);
    let len = reader
        .copy_frame_to(&mut out)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "the sender sent no frame"))?;
    out.flush()?; // `copy_frame_to` does not flush its destination
    Ok(len)
}

/// Writes `FILE_LEN` bytes of made-up "video", 64 KiB at a time (never all of it in memory).
fn make_file(path: &Path) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    let mut chunk = vec![0u8; 64 * 1024];
    for start in (0..FILE_LEN).step_by(chunk.len()) {
        for (i, byte) in chunk.iter_mut().enumerate() {
            *byte = ((start + i as u64) % 251) as u8; // 251: a prime, so no 64 KiB repeats
        }
        out.write_all(&chunk)?;
    }
    out.flush()
}

/// A simple checksum of a file, read 64 KiB at a time (FNV-1a).
fn checksum(path: &Path) -> io::Result<u64> {
    let (mut file, mut buf, mut hash) = (File::open(path)?, vec![0; 64 * 1024], 0xcbf29ce484222325);
    loop {
        match file.read(&mut buf)? {
            0 => return Ok(hash),
            n => buf[..n]
                .iter()
                .for_each(|b| hash = (hash ^ *b as u64).wrapping_mul(0x100000001b3)),
        }
    }
}

/// The process's peak resident memory (`VmHWM`), where the OS tells it (Linux).
fn peak_memory_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
