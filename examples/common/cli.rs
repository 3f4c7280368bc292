//! The examples' command lines: the default address, the demo that runs when there are no
//! arguments, the `ROLE [OPTIONS]` shape, and the `--format`/`--max` options of the echo examples.

use std::ffi::OsString;
use std::fmt::Display;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};
use lenframe::{Codec, DEFAULT_MAX_FRAME_LEN};

/// The tutorials' port. Every example's `--addr` defaults to this.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8989";

/// The `--help` footer of every example.
pub const DEMO_HELP: &str =
    "Run with no arguments at all for a self-contained demo on 127.0.0.1 (a port the OS picks).";

/// Whether the program was started without arguments: then it runs its self-contained demo.
pub fn is_demo() -> bool {
    std::env::args_os().len() <= 1
}

// `PROGRAM ROLE [OPTIONS]`. The example's `R` carries the `about` line. (Not a doc comment:
// clap would show it as the `about` of every example.)
#[derive(Parser)]
#[command(after_help = DEMO_HELP)]
struct WithRole<R: Subcommand> {
    #[command(subcommand)]
    role: R,
}

/// The role (`server`, `client`, ...) the command line names, or `None` when there are no
/// arguments: then the example runs its demo. Options may come before the role too
/// (`chat --addr HOST:PORT server`). A bad command line exits with clap's message.
pub fn role<R: Subcommand>() -> Option<R> {
    (!is_demo()).then(|| WithRole::<R>::parse_from(subcommand_first::<WithRole<R>>()).role)
}

/// The command line with its subcommand moved in front of the options given before it, so
/// that `echo_server --addr 127.0.0.1:8992 serve` reads as `echo_server serve --addr ...`, as
/// users type it (clap wants a subcommand's options after its name).
pub fn subcommand_first<C: CommandFactory>() -> Vec<OsString> {
    move_subcommand_first(&C::command(), std::env::args_os().collect())
}

fn move_subcommand_first(command: &clap::Command, mut args: Vec<OsString>) -> Vec<OsString> {
    // Which `--name`s take a value, anywhere in the command: the word after one of those is
    // its value, never a subcommand.
    let takes_value = |name: &str| {
        command
            .get_arguments()
            .chain(
                command
                    .get_subcommands()
                    .flat_map(|sub| sub.get_arguments()),
            )
            .any(|arg| arg.get_long() == Some(name) && arg.get_action().takes_values())
    };
    let mut i = 1;
    while let Some(arg) = args.get(i).and_then(|arg| arg.to_str()) {
        if arg == "--" {
            break;
        }
        if let Some(name) = arg.strip_prefix("--") {
            if !name.contains('=') && takes_value(name) {
                i += 1;
            }
        } else if command.find_subcommand(arg).is_some() {
            let subcommand = args.remove(i);
            args.insert(1, subcommand);
            break;
        } else if !arg.starts_with('-') {
            break; // a positional argument: clap decides what it is
        }
        i += 1;
    }
    args
}

/// `--format` and `--max`, as every echo example (and the Python ones) takes them.
#[derive(clap::Args)]
pub struct Framing {
    /// Python struct format of the length field: i, <i, !I, <H, q, ...
    #[arg(long, default_value = "i")]
    pub format: String,
    /// Largest payload accepted, in bytes; a peer announcing more is disconnected.
    #[arg(long, default_value_t = DEFAULT_MAX_FRAME_LEN)]
    pub max: usize,
}

impl Framing {
    /// The codec for these options. A bad format is a usage error: it exits with status 2.
    pub fn codec(&self) -> Codec {
        let codec = Codec::from_struct_format(&self.format)
            .and_then(|codec| codec.to_builder().max_frame_len(self.max).build());
        codec.unwrap_or_else(|err| {
            eprintln!("error: --format {:?}: {err}", self.format);
            std::process::exit(2);
        })
    }
}

/// A duration given in seconds on the command line (`30`, `0.5`).
pub fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            format!("expected a positive number of seconds, such as 30 or 0.5, not {text:?}")
        })
}

/// The exit status for what `main` did: 0, or 1 after printing `error: ...` (the error's
/// message, not its debug form).
pub fn report(result: Result<(), impl Display>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
