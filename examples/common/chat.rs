//! The chat protocol that `chat` and `async_chat` share, so their servers and clients mix in one
//! room (each example documents it at the top): frames of UTF-8 text behind Python's
//! `struct.pack('i', len(payload))`, the client's first frame its name.

use bytes::BytesMut;
use lenframe::Codec;

/// Largest frame either way.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// Longest name, in bytes.
pub const MAX_NAME: usize = 32;
/// How long a new connection has to send its name.
pub const HELLO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The default length field, and frames of at most [`MAX_MESSAGE`] bytes.
pub fn codec() -> Codec {
    Codec::builder()
        .max_frame_len(MAX_MESSAGE)
        .build()
        .expect("valid settings")
}

/// The frame a client past `--max-clients` is sent before the server closes its connection.
pub fn room_full(max_clients: u32) -> Vec<u8> {
    let line = format!(
        "* error: the room is full ({max_clients} members, the most this server takes); try \
         again later"
    );
    let mut frame = BytesMut::new();
    codec()
        .encoder()
        .encode(line, &mut frame)
        .expect("a short line fits a frame");
    frame.to_vec()
}

/// Why a name cannot join the room: 1 to [`MAX_NAME`] bytes, no control characters.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(format!("a name is 1 to {MAX_NAME} bytes"));
    }
    if name.chars().any(char::is_control) {
        return Err("a name cannot hold control characters".into());
    }
    Ok(())
}

/// The first line a newcomer is sent, naming who else is in the room.
pub fn welcome(name: &str, mut others: Vec<&str>) -> String {
    others.sort_unstable();
    if others.is_empty() {
        format!("* welcome, {name}; nobody else is here yet")
    } else {
        format!("* welcome, {name}; online: {}", others.join(", "))
    }
}

/// `client --name NAME [--addr ADDR]`: join a room.
#[derive(clap::Args)]
pub struct Join {
    /// Server address.
    #[arg(long, default_value = super::cli::DEFAULT_ADDR)]
    pub addr: String,
    /// Your name in the room.
    #[arg(long)]
    pub name: String,
}
