//! Server settings, from the command line or built in code.

use std::path::PathBuf;

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

    /// Number of databases (`SELECT 0` to `SELECT N-1`).
    #[arg(long, default_value_t = 16, value_parser = at_least_one)]
    pub databases: usize,

    /// Connections allowed at once; past it a new one gets an error and is closed.
    #[arg(long, default_value_t = 10_000, value_parser = at_least_one)]
    pub maxclients: usize,

    /// Milliseconds a script or function may run before other clients are
    /// answered -BUSY (and it may be killed). Redis's older name is
    /// `lua-time-limit`.
    #[arg(long, alias = "lua-time-limit", default_value_t = 5000)]
    pub busy_reply_threshold: u64,

    /// Largest bulk string a client may send, in bytes.
    #[arg(long, default_value_t = 512 * 1024 * 1024, value_parser = at_least_one)]
    pub proto_max_bulk_len: usize,

    /// Most elements in one array, or pairs in one dictionary.
    #[arg(long, default_value_t = 1024 * 1024, value_parser = at_least_one)]
    pub max_elements: usize,

    /// Deepest nesting of arrays and dictionaries (at most 1024).
    #[arg(long, default_value_t = 128, value_parser = nesting)]
    pub max_nesting: usize,

    /// Most bytes of requests a client may have buffered unanswered (a
    /// frame still arriving included); past it the connection is closed.
    #[arg(long, default_value_t = 1024 * 1024 * 1024, value_parser = at_least_one)]
    pub client_query_buffer_limit: usize,

    /// Reply mode a new connection starts in (`HELLO` or `CLIENT SETINFO`
    /// switch a connection to `redis`).
    #[arg(long, value_enum, default_value_t = ReplyMode::Seed)]
    pub reply_mode: ReplyMode,

    /// Worker threads (default: one per core).
    #[arg(long, value_parser = at_least_one)]
    pub threads: Option<usize>,

    /// Log every write to an append-only file, replayed at start-up.
    #[arg(long)]
    pub appendonly: bool,

    /// Directory for the append-only file and snapshots.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,

    /// Prefix of the append-only files inside `--dir` (see docs/durability.md).
    #[arg(long, default_value = "appendonly.aof")]
    pub appendfilename: String,

    /// When the append-only file is fsynced: `always` (before each reply),
    /// `everysec` (once a second), or `no` (left to the OS).
    #[arg(long, value_enum, default_value_t = AppendFsync::Everysec)]
    pub appendfsync: AppendFsync,

    /// Rewrite the append-only file when it has grown by this percentage
    /// over its size after the last rewrite (0 disables).
    #[arg(long, default_value_t = 100)]
    pub auto_aof_rewrite_percentage: u64,

    /// No automatic rewrite while the append-only file is smaller than this.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    pub auto_aof_rewrite_min_size: u64,

    /// At start-up, cut off a torn last record of the append-only file with
    /// a warning (`true`) or refuse to start (`false`).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub aof_load_truncated: bool,

    /// Snapshot schedule, as Redis's `save`: "SECONDS CHANGES [SECONDS CHANGES ...]".
    /// Empty (the default) takes no automatic snapshots.
    #[arg(long, default_value = "")]
    pub save: String,

    /// Name of the snapshot file inside `--dir`.
    #[arg(long, default_value = "dump.kvs")]
    pub dbfilename: String,

    /// A hash stays compact (listpack) up to this many fields.
    #[arg(long, alias = "hash-max-ziplist-entries", default_value_t = 512)]
    pub hash_max_listpack_entries: usize,

    /// ... and while every field and value is at most this many bytes.
    #[arg(long, alias = "hash-max-ziplist-value", default_value_t = 64)]
    pub hash_max_listpack_value: usize,

    /// A list stays compact up to this many entries (positive), or this
    /// size (-1 to -5: 4, 8, 16, 32, 64 KiB).
    #[arg(long, alias = "list-max-ziplist-size", default_value_t = -2, allow_hyphen_values = true, value_parser = list_size)]
    pub list_max_listpack_size: i64,

    /// A set of integers stays compact (intset) up to this many members.
    #[arg(long, default_value_t = 512)]
    pub set_max_intset_entries: usize,

    /// A sorted set stays compact (listpack) up to this many members.
    #[arg(long, alias = "zset-max-ziplist-entries", default_value_t = 128)]
    pub zset_max_listpack_entries: usize,

    /// ... and while every member is at most this many bytes.
    #[arg(long, alias = "zset-max-ziplist-value", default_value_t = 64)]
    pub zset_max_listpack_value: usize,
}

/// Checks `list-max-listpack-size`: a positive count, or -1 to -5.
pub fn list_size(s: &str) -> Result<i64, String> {
    match s.parse::<i64>() {
        Ok(n) if n != 0 && n >= -5 => Ok(n),
        _ => Err("must be a positive count or -1 to -5".to_string()),
    }
}

/// See [`Config::appendfsync`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AppendFsync {
    Always,
    Everysec,
    No,
}

pub use crate::keyspace::MAX_NESTING_CEILING;

fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("must be a whole number of at least 1".to_string()),
    }
}

/// Checks a nesting limit: 1 to [`MAX_NESTING_CEILING`].
pub fn nesting(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=MAX_NESTING_CEILING).contains(&n) => Ok(n),
        _ => Err(format!(
            "must be a whole number from 1 to {MAX_NESTING_CEILING}"
        )),
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::parse_from(["kvstore-server"])
    }
}

impl Config {
    /// Makes the container encoding thresholds those of this config. They
    /// are process-wide, as Redis's are.
    pub fn apply_encodings(&self) {
        use crate::keyspace::object::LIMITS;
        use std::sync::atomic::Ordering::Relaxed;
        LIMITS
            .hash_max_listpack_entries
            .store(self.hash_max_listpack_entries, Relaxed);
        LIMITS
            .hash_max_listpack_value
            .store(self.hash_max_listpack_value, Relaxed);
        LIMITS
            .list_max_listpack_size
            .store(self.list_max_listpack_size, Relaxed);
        LIMITS
            .set_max_intset_entries
            .store(self.set_max_intset_entries, Relaxed);
        LIMITS
            .zset_max_listpack_entries
            .store(self.zset_max_listpack_entries, Relaxed);
        LIMITS
            .zset_max_listpack_value
            .store(self.zset_max_listpack_value, Relaxed);
    }

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
