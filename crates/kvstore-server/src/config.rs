//! Server settings, from the command line or built in code.

use clap::{Parser, ValueEnum};
use kvstore_protocol::Limits;

/// How replies to the commands that the seed protocol and Redis both define
/// (`SET`, `MSET`) are spelled. See README.md, "Two reply modes".
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReplyMode {
    /// The seed protocol: `SET` answers `:1`, `MSET` the number of pairs.
    #[default]
    Seed,
    /// Redis: `SET` and `MSET` answer `+OK`, dictionaries are flattened.
    Redis,
}

#[derive(Debug, Clone, Parser)]
#[command(
    name = "kvstore-server",
    version,
    about = "An in-memory key-value server"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,

    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 31337)]
    pub port: u16,

    /// Connections allowed at once; past it a new one gets an error and is closed.
    #[arg(long, default_value_t = 10_000)]
    pub maxclients: usize,

    /// Largest bulk string a client may send, in bytes.
    #[arg(long, default_value_t = 512 * 1024 * 1024)]
    pub proto_max_bulk_len: usize,

    /// Most elements in one array, or pairs in one dictionary.
    #[arg(long, default_value_t = 1024 * 1024)]
    pub max_elements: usize,

    /// Deepest nesting of arrays and dictionaries.
    #[arg(long, default_value_t = 128)]
    pub max_nesting: usize,

    /// Reply mode a new connection starts in (`HELLO` or `CLIENT SETINFO`
    /// switch a connection to `redis`).
    #[arg(long, value_enum, default_value_t = ReplyMode::Seed)]
    pub reply_mode: ReplyMode,

    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Config::parse_from(["kvstore-server"])
    }
}

impl Config {
    /// The decoder limits these settings ask for.
    pub fn limits(&self) -> Limits {
        Limits {
            max_bulk_len: self.proto_max_bulk_len,
            max_elements: self.max_elements,
            max_depth: self.max_nesting,
            ..Limits::default()
        }
    }
}
