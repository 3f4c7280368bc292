//! lenframe on a device with no allocator: `lenframe::embedded` reading and writing frames
//! over a fixed `[u8; 256]` buffer, the way firmware reads a UART or an embassy-net socket.
//!
//! ```text
//! cargo run --example embedded --features embedded-io
//! ```
//!
//! It runs on the host, with an in-memory "UART" that implements `embedded_io::Read` and
//! `embedded_io::Write` and hands out bytes in odd chunks, as a serial line does. The reader
//! and writer code is what runs on the device.

use embedded_io::{ErrorType, Read, Write};
use lenframe::embedded::{Error, FrameReader, FrameWriter};
use lenframe::{Codec, FrameError};
use std::process::ExitCode;

/// The receiving half of the UART: hands out `bytes` in chunks of the sizes in `CHUNKS`, in
/// turn, and counts what it handed out.
struct UartRx {
    bytes: Vec<u8>,
    handed_out: usize,
    reads: usize,
}

const CHUNKS: [usize; 6] = [3, 7, 1, 5, 11, 2];

impl ErrorType for UartRx {
    type Error = core::convert::Infallible;
}

impl Read for UartRx {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let chunk = CHUNKS[self.reads % CHUNKS.len()];
        self.reads += 1;
        let n = chunk.min(buf.len()).min(self.bytes.len() - self.handed_out);
        buf[..n].copy_from_slice(&self.bytes[self.handed_out..self.handed_out + n]);
        self.handed_out += n;
        Ok(n)
    }
}

/// The sending half: keeps what is written, and where each write call's bytes came from.
#[derive(Default)]
struct UartTx {
    sent: Vec<u8>,
    writes: Vec<(usize, usize)>,
}

impl ErrorType for UartTx {
    type Error = core::convert::Infallible;
}

impl Write for UartTx {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.writes.push((buf.as_ptr() as usize, buf.len()));
        self.sent.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

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
    // What the peer sends: three small frames glued together, one that announces 1000 bytes
    // (more than our buffer holds), then one more.
    let mut peer = FrameWriter::new(UartTx::default());
    let mut big_at = 0;
    for payload in [
        &b"hello"[..],
        b"sticky",
        b"packets",
        &[b'!'; 1000],
        b"after",
    ] {
        if payload.len() == 1000 {
            big_at = peer.get_ref().sent.len();
        }
        peer.write_frame(payload)?;
    }
    let rx = UartRx {
        bytes: peer.into_inner().sent,
        handed_out: 0,
        reads: 0,
    };

    // THE FIRMWARE. One fixed buffer, lent to the reader: all the memory it uses for bytes.
    // `skip_oversized`: a frame that does not fit is reported, then dropped as it arrives.
    let mut buf = [0u8; 256];
    let buf_at = buf.as_ptr() as usize;
    let codec = Codec::builder().skip_oversized(true).build()?;
    let mut reader = FrameReader::with_codec(rx, codec, &mut buf);
    println!(
        "buffer: 256 bytes; the largest frame it holds: {} bytes (256 less the 4-byte header)",
        reader.max_frame_len()
    );

    let mut index = 0;
    loop {
        index += 1;
        match reader.read_frame() {
            Ok(Some(frame)) => {
                // Lent from `buf`: no copy, no allocation. Use it before the next read.
                let at = frame.as_ptr() as usize - buf_at;
                println!(
                    "frame {index}: {:?} ({} bytes, lent from buf[{at}..{}])",
                    String::from_utf8_lossy(frame),
                    frame.len(),
                    at + frame.len()
                );
            }
            Ok(None) => break,
            Err(Error::Frame(FrameError::TooLarge { len, max, .. })) => {
                // Refused as soon as its header was in: no read was made for its body.
                let handed_out = reader.get_ref().handed_out - big_at;
                println!("frame {index} refused: TooLarge: {len} bytes announced, max {max}");
                println!(
                    "  the read stopped after its header: the UART had handed out {handed_out} \
                     of its {} bytes (the 4-byte header, and {} body bytes that came in the \
                     same read)",
                    4 + len,
                    handed_out - 4
                );
                println!("  its body is dropped as it arrives, through the same 256 bytes");
            }
            Err(err) => return Err(err.into()),
        }
    }
    let uart = reader.into_inner();
    println!(
        "end of stream: Ok(None), after {} reads of {:?} bytes in turn",
        uart.reads, CHUNKS
    );

    // Writing: the header from the stack, then the payload straight from the caller's slice.
    let reply: &[u8] = b"ack";
    let mut writer = FrameWriter::new(UartTx::default());
    writer.send_frame(reply)?;
    let tx = writer.into_inner();
    println!(
        "sent {:02x?} in {} writes: a {}-byte header, then {} payload bytes",
        tx.sent,
        tx.writes.len(),
        tx.writes[0].1,
        tx.writes[1].1
    );
    let from_caller = tx.writes[1] == (reply.as_ptr() as usize, reply.len());
    println!(
        "payload sent from the caller's slice: {}",
        if from_caller { "yes" } else { "no" }
    );
    Ok(())
}
