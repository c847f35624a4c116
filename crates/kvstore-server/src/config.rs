//! Server settings, from the command line or built in code.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use kvstore_protocol::Limits;

/// The stack each worker thread gets. Scripts run on the worker, and the
/// Lua libraries recurse once per level of nesting (lua-cjson allows 1000
/// levels either way): the default 2 MiB is not enough for that in an
/// unoptimised build. Only touched pages take memory.
pub const WORKER_STACK_SIZE: usize = 16 << 20;

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

/// Redis's `loglevel` values, most verbose first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
}

impl LogLevel {
    /// The `tracing` filter this level stands for.
    pub fn filter(self) -> &'static str {
        match self {
            LogLevel::Debug => "trace",
            LogLevel::Verbose => "debug",
            LogLevel::Notice => "info",
            LogLevel::Warning => "warn",
        }
    }
}

#[derive(Debug, Clone, Parser)]
#[command(
    name = "kvstore-server",
    version,
    about = "An in-memory key-value server",
    override_usage = "kvstore-server [/path/to/kvstore.conf] [OPTIONS]",
    args_override_self = true
)]
pub struct Config {
    /// The configuration file the server was started with, if any (set by
    /// `conffile::parse_command_line`, not a flag).
    #[arg(skip)]
    pub config_file: Option<PathBuf>,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,

    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 31337)]
    pub port: u16,

    /// Port for TLS connections; 0 (the default) listens for none. With a
    /// TLS port, `--port 0` turns plain TCP off. See docs/tls.md.
    #[arg(long, default_value_t = 0)]
    pub tls_port: u16,

    /// The server's certificate chain (PEM), leaf first.
    #[arg(long, default_value = "")]
    pub tls_cert_file: String,

    /// The private key of `--tls-cert-file` (PEM: PKCS#8, PKCS#1 or SEC1;
    /// not encrypted).
    #[arg(long, default_value = "")]
    pub tls_key_file: String,

    /// CA certificates (PEM) that client certificates must chain to.
    #[arg(long, default_value = "")]
    pub tls_ca_cert_file: String,

    /// A directory of CA certificates (PEM files), as `--tls-ca-cert-file`.
    #[arg(long, default_value = "")]
    pub tls_ca_cert_dir: String,

    /// Whether TLS clients must show a certificate: `yes`, `no`, or
    /// `optional` (checked if shown).
    #[arg(long, value_enum, default_value_t = TlsAuthClients::Yes)]
    pub tls_auth_clients: TlsAuthClients,

    /// TLS versions allowed, as "TLSv1.2 TLSv1.3"; empty: both.
    #[arg(long, default_value = "")]
    pub tls_protocols: String,

    /// TLS 1.3 cipher suites, colon-separated IANA names
    /// ("TLS_AES_256_GCM_SHA384:..."); empty: all rustls offers.
    #[arg(long, default_value = "")]
    pub tls_ciphersuites: String,

    /// TLS 1.2 ciphers, colon-separated, in OpenSSL's names
    /// ("ECDHE-RSA-AES256-GCM-SHA384:...") or IANA's; empty: all rustls
    /// offers (only ECDHE with AES-GCM or ChaCha20-Poly1305).
    #[arg(long, default_value = "")]
    pub tls_ciphers: String,

    /// Redis's `tls-prefer-server-ciphers`: the server's order of cipher
    /// suites wins (rustls always picks by its own order; accepted so that
    /// redis.conf files load).
    #[arg(long, default_value = "no", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub tls_prefer_server_ciphers: bool,

    /// Number of databases (`SELECT 0` to `SELECT N-1`).
    #[arg(long, default_value_t = 16, value_parser = at_least_one)]
    pub databases: usize,

    /// Connections allowed at once; past it a new one gets an error and is
    /// closed. Lowered at start-up to fit the descriptor limit.
    #[arg(long, default_value_t = 10_000, value_parser = at_least_one)]
    pub maxclients: usize,

    /// Close a client idle for this many seconds (0: never).
    #[arg(long, default_value_t = 0, value_parser = int_range(0, i64::from(i32::MAX)))]
    pub timeout: i64,

    /// Seconds between TCP keepalive probes on client sockets (0: none).
    #[arg(long, default_value_t = 300, value_parser = int_range(0, i64::from(i32::MAX)))]
    pub tcp_keepalive: i64,

    /// The listening socket's backlog of connections not yet accepted.
    #[arg(long, default_value_t = 511, value_parser = int_range(0, i64::from(i32::MAX)))]
    pub tcp_backlog: i64,

    /// Cap on the memory the data may take, in bytes or Redis's units
    /// (`100mb`, `1gb`); 0: none. See `--maxmemory-policy`.
    #[arg(long, default_value = "0", value_parser = memory_value)]
    pub maxmemory: u64,

    /// What happens past `--maxmemory`: `noeviction` (writes that need
    /// memory are refused), or which keys are evicted: `allkeys-lru`,
    /// `allkeys-lfu`, `allkeys-random`, `volatile-lru`, `volatile-lfu`,
    /// `volatile-random`, `volatile-ttl`.
    #[arg(long, default_value = "noeviction", value_parser = eviction_policy)]
    pub maxmemory_policy: Policy,

    /// Keys sampled per database for each eviction.
    #[arg(long, default_value_t = 5, value_parser = int_range(1, i64::from(i32::MAX)))]
    pub maxmemory_samples: i64,

    /// How long one command may spend evicting (0 to 100; 100: no limit).
    #[arg(long, default_value_t = 10, value_parser = int_range(0, 100))]
    pub maxmemory_eviction_tenacity: i64,

    /// How slowly the LFU counter grows with accesses.
    #[arg(long, default_value_t = 10, value_parser = int_range(0, i64::from(i32::MAX)))]
    pub lfu_log_factor: i64,

    /// Minutes without access for the LFU counter to lose one.
    #[arg(long, default_value_t = 1, value_parser = int_range(0, i64::from(i32::MAX)))]
    pub lfu_decay_time: i64,

    /// Redis's lazy-free switches. UNLINK, FLUSHALL ASYNC and FLUSHDB ASYNC
    /// always free large values off the request path; `lazyfree-lazy-user-del`
    /// makes DEL do so too, and `lazyfree-lazy-user-flush` makes FLUSHALL
    /// and FLUSHDB without a mode asynchronous. The others are accepted so
    /// that configs carry over: eviction, expiry and server-side deletes
    /// free where they are.
    #[arg(long, default_value = "no", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub lazyfree_lazy_eviction: bool,
    #[arg(long, default_value = "no", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub lazyfree_lazy_expire: bool,
    #[arg(long, default_value = "no", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub lazyfree_lazy_server_del: bool,
    #[arg(long, default_value = "no", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub lazyfree_lazy_user_del: bool,
    #[arg(long, default_value = "no", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub lazyfree_lazy_user_flush: bool,
    #[arg(long, default_value = "no", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub replica_lazy_flush: bool,

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
    /// What a request takes once decoded counts too. Redis's units (`1gb`)
    /// are accepted.
    #[arg(long, default_value_t = 1024 * 1024 * 1024, value_parser = memory_at_least_one)]
    pub client_query_buffer_limit: usize,

    /// Reply mode a new connection starts in (`HELLO` or `CLIENT SETINFO`
    /// switch a connection to `redis`).
    #[arg(long, value_enum, default_value_t = ReplyMode::Seed)]
    pub reply_mode: ReplyMode,

    /// Worker threads (default: one per core).
    #[arg(long, value_parser = at_least_one)]
    pub threads: Option<usize>,

    /// How much to log, Redis's levels: `debug`, `verbose`, `notice`
    /// (connections and other routine events left out) or `warning`.
    /// RUST_LOG, when set, overrides it.
    #[arg(long, value_enum, default_value_t = LogLevel::Notice)]
    pub loglevel: LogLevel,

    /// Write the log to this file (appending) instead of standard error.
    /// Empty: standard error.
    #[arg(long, default_value = "")]
    pub logfile: String,

    /// Write the process id to this file at start-up; it is removed at exit.
    #[arg(long)]
    pub pidfile: Option<PathBuf>,

    /// Redis's `daemonize`, accepted so that redis.conf files load: kvstore
    /// always stays in the foreground, for a service manager to run
    /// (deploy/kvstore.service); `yes` only logs a warning.
    #[arg(long, num_args = 0..=1, default_value = "no", default_missing_value = "yes",
          value_parser = yes_no, action = clap::ArgAction::Set)]
    pub daemonize: bool,

    /// Redis's `syslog-enabled`: only `no`. kvstore logs to standard error
    /// (which systemd's journal, and through it syslog, collects) or to
    /// `--logfile`; it has no syslog client of its own.
    #[arg(long, default_value = "no", value_parser = syslog_enabled, action = clap::ArgAction::Set)]
    pub syslog_enabled: bool,

    /// Log every write to an append-only file, replayed at start-up
    /// (`--appendonly` alone is `yes`).
    #[arg(long, num_args = 0..=1, default_value = "no", default_missing_value = "yes",
          value_parser = yes_no, action = clap::ArgAction::Set)]
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
    /// a warning (`yes`) or refuse to start (`no`).
    #[arg(long, default_value = "yes", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub aof_load_truncated: bool,

    /// With `--appendonly`: start although the AOF manifest is missing
    /// while the log's files are in `--dir` (they are renamed aside, to
    /// `NAME.orphaned`, and the log starts anew). Without it the server
    /// refuses to start, naming the missing manifest (docs/durability.md).
    #[arg(long, default_value = "no", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub aof_start_empty: bool,

    /// Snapshot schedule, as Redis's `save`: "SECONDS CHANGES [SECONDS CHANGES ...]".
    /// Empty (the default) takes no automatic snapshots.
    #[arg(long, default_value = "")]
    pub save: String,

    /// With a `--save` schedule, refuse writes (`-MISCONF`) after a
    /// snapshot failed, until one succeeds again, as Redis does.
    #[arg(long, default_value = "yes", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub stop_writes_on_bgsave_error: bool,

    /// Name of the snapshot file inside `--dir`.
    #[arg(long, default_value = "dump.kvs")]
    pub dbfilename: String,

    /// Instead of serving: load the data in `--dir` as a start would (but
    /// changing nothing there), write it to FILE as a Redis RDB file
    /// (version 10, which Redis 7 loads), and exit (non-zero, with the
    /// reason, if anything fails).
    #[arg(long, value_name = "FILE")]
    pub rdb_export: Option<PathBuf>,

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

    /// Redis's output buffer limits, "CLASS HARD SOFT SOFT-SECONDS ...";
    /// kvstore enforces `normal` on replies and `pubsub` on subscribers' queues.
    #[arg(long, default_value = DEFAULT_OUTPUT_LIMITS, value_parser = output_limits)]
    pub client_output_buffer_limit: OutputLimits,

    /// Keyspace notifications, Redis's flag letters (`KEA`...); empty: off.
    #[arg(long, default_value = "", value_parser = notify_flags)]
    pub notify_keyspace_events: NotifyFlags,

    /// Commands that take at least this many microseconds go in the slow
    /// log; 0 logs every command, a negative value none.
    #[arg(long, default_value_t = 10_000, allow_hyphen_values = true)]
    pub slowlog_log_slower_than: i64,

    /// The slow log keeps this many entries, the newest.
    #[arg(long, default_value_t = 128)]
    pub slowlog_max_len: usize,

    /// The default user's password (Redis's `requirepass`); empty: none,
    /// the default user needs no password.
    #[arg(long, default_value = "")]
    pub requirepass: String,

    /// A file of ACL users (`user name rule...` lines), loaded at start-up
    /// and by `ACL LOAD`, written by `ACL SAVE`. Empty: none.
    #[arg(long, default_value = "")]
    pub aclfile: String,

    /// The ACL log keeps this many entries, the newest.
    #[arg(long, default_value_t = 128)]
    pub acllog_max_len: usize,

    /// While the default user needs no password, refuse clients that do
    /// not connect from 127.0.0.1 or ::1 (Redis's protected mode).
    #[arg(long, default_value = "yes", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub protected_mode: bool,

    /// Whether `CONFIG SET` may change protected settings (`dir`,
    /// `dbfilename`): `no`, `yes`, or `local` (from 127.0.0.1 or ::1 only).
    #[arg(long, default_value = "no", value_parser = protection_level)]
    pub enable_protected_configs: String,

    /// `DEBUG` is served if `yes`, or if `local` to clients on this
    /// machine; `no` (Redis 7's default) refuses it. Fixed at start.
    #[arg(long, default_value = "no", value_parser = protection_level)]
    pub enable_debug_command: String,

    /// Redis's `enable-module-command`: accepted; kvstore loads no modules.
    #[arg(long, default_value = "no", value_parser = protection_level)]
    pub enable_module_command: String,

    /// Events (a command, an expiry cycle) that take at least this many
    /// milliseconds are sampled for `LATENCY`; 0 turns that off.
    #[arg(long, default_value_t = 0)]
    pub latency_monitor_threshold: u64,

    /// Client-side caching remembers at most this many keys (0: no
    /// bound); past it, the oldest are invalidated and forgotten.
    #[arg(long, default_value_t = 1_000_000)]
    pub tracking_table_max_keys: usize,

    /// Per-command latency histograms (`LATENCY HISTOGRAM`, `INFO
    /// latencystats`), on by default as in Redis 7.
    #[arg(long, default_value = "yes", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub latency_tracking: bool,

    /// The percentiles `INFO latencystats` shows, space-separated.
    #[arg(long, default_value = "50 99 99.9", value_parser = percentiles)]
    pub latency_tracking_info_percentiles: Percentiles,
}

/// `latency-tracking-info-percentiles`: numbers from 0 to 100.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Percentiles(pub Vec<f64>);

pub fn percentiles(s: &str) -> Result<Percentiles, String> {
    s.split_whitespace()
        .map(|w| match w.parse::<f64>() {
            Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
            Ok(_) => Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .to_string(),
            ),
            Err(_) => Err("Invalid latency-tracking-info-percentiles parameters".to_string()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Percentiles)
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let words: Vec<String> = self.0.iter().map(|p| p.to_string()).collect();
        f.write_str(&words.join(" "))
    }
}

/// `notify-keyspace-events` as bits; see [`notify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotifyFlags(pub u32);

fn notify_flags(s: &str) -> Result<NotifyFlags, String> {
    notify::parse(s).map(NotifyFlags).map_err(str::to_string)
}

impl std::fmt::Display for NotifyFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&notify::format(self.0))
    }
}

/// Redis's keyspace-notification classes and their letters.
pub mod notify {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const KEYEVENT: u32 = 1 << 1;
    pub const GENERIC: u32 = 1 << 2;
    pub const STRING: u32 = 1 << 3;
    pub const LIST: u32 = 1 << 4;
    pub const SET: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const ZSET: u32 = 1 << 7;
    pub const EXPIRED: u32 = 1 << 8;
    pub const EVICTED: u32 = 1 << 9;
    pub const STREAM: u32 = 1 << 10;
    pub const KEY_MISS: u32 = 1 << 11;
    pub const MODULE: u32 = 1 << 12;
    pub const NEW: u32 = 1 << 13;
    /// `A`: every class but key misses and new keys.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

    /// The classes in the order Redis spells them back.
    const LETTERS: &[(char, u32)] = &[
        ('g', GENERIC),
        ('$', STRING),
        ('l', LIST),
        ('s', SET),
        ('h', HASH),
        ('z', ZSET),
        ('x', EXPIRED),
        ('e', EVICTED),
        ('t', STREAM),
        ('d', MODULE),
        ('n', NEW),
    ];

    pub fn parse(s: &str) -> Result<u32, &'static str> {
        let mut flags = 0;
        for c in s.chars() {
            flags |= match c {
                'A' => ALL,
                'K' => KEYSPACE,
                'E' => KEYEVENT,
                'm' => KEY_MISS,
                _ => LETTERS
                    .iter()
                    .find(|(l, _)| *l == c)
                    .map(|(_, f)| *f)
                    .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?,
            };
        }
        Ok(flags)
    }

    /// Redis's spelling: `A` for all the classes it covers, else each
    /// letter, then `K`, `E`, `m`.
    pub fn format(flags: u32) -> String {
        let mut out = String::new();
        if flags & ALL == ALL {
            // As Redis does, this spelling drops `n`.
            out.push('A');
        } else {
            for (c, f) in LETTERS {
                if flags & f != 0 {
                    out.push(*c);
                }
            }
        }
        for (c, f) in [('K', KEYSPACE), ('E', KEYEVENT), ('m', KEY_MISS)] {
            if flags & f != 0 {
                out.push(c);
            }
        }
        out
    }
}

/// One class of `client-output-buffer-limit`: a hard limit in bytes (0:
/// none) past which the client is dropped at once, and a soft limit it may
/// stay over for at most `soft_secs` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BufferLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_secs: u64,
}

/// `client-output-buffer-limit`, per client class, as Redis keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutputLimits {
    pub normal: BufferLimit,
    pub slave: BufferLimit,
    pub pubsub: BufferLimit,
}

const DEFAULT_OUTPUT_LIMITS: &str =
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";

/// The classes `s` names over Redis's defaults for the others, as a
/// `client-output-buffer-limit pubsub …` line leaves the rest as they were.
fn output_limits(s: &str) -> Result<OutputLimits, String> {
    let mut limits = OutputLimits::default();
    limits
        .apply(DEFAULT_OUTPUT_LIMITS)
        .map_err(str::to_string)?;
    limits.apply(s).map_err(str::to_string)?;
    Ok(limits)
}

impl OutputLimits {
    /// Sets the classes `s` names ("CLASS HARD SOFT SECONDS ..."), leaving
    /// the others; all or nothing, with Redis's error texts.
    pub fn apply(&mut self, s: &str) -> Result<(), &'static str> {
        let words: Vec<&str> = s.split_ascii_whitespace().collect();
        if !words.len().is_multiple_of(4) {
            return Err("Wrong number of arguments in buffer limit configuration.");
        }
        let mut next = *self;
        for w in words.chunks_exact(4) {
            let class = match w[0].to_ascii_lowercase().as_str() {
                "normal" => &mut next.normal,
                // Redis's two names for the one class.
                "slave" | "replica" => &mut next.slave,
                "pubsub" => &mut next.pubsub,
                _ => return Err("Invalid client class specified in buffer limit configuration."),
            };
            let bad = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            *class = BufferLimit {
                hard: memory_amount(w[1]).ok_or(bad)?,
                soft: memory_amount(w[2]).ok_or(bad)?,
                soft_secs: w[3].parse::<u64>().map_err(|_| bad)?,
            };
        }
        *self = next;
        Ok(())
    }
}

impl std::fmt::Display for OutputLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for (name, l) in [
            ("normal", self.normal),
            ("slave", self.slave),
            ("pubsub", self.pubsub),
        ] {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            write!(f, "{name} {} {} {}", l.hard, l.soft, l.soft_secs)?;
        }
        Ok(())
    }
}

/// A byte count as Redis writes one: digits and an optional unit, `k`/`m`/`g`
/// (powers of 1000) or `kb`/`mb`/`gb` (powers of 1024), any case.
pub fn memory_amount(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(mul)
}

/// `maxmemory` and the like: a byte count as [`memory_amount`] reads it.
pub fn memory_value(s: &str) -> Result<u64, String> {
    memory_amount(s).ok_or_else(|| "argument must be a memory value".to_string())
}

/// A positive byte count, in Redis's units if wanted.
pub fn memory_at_least_one(s: &str) -> Result<usize, String> {
    match memory_amount(s).map(usize::try_from) {
        Some(Ok(n)) if n >= 1 => Ok(n),
        _ => Err("argument must be a memory value of at least 1 byte".to_string()),
    }
}

/// An eviction policy by its Redis name.
pub fn eviction_policy(s: &str) -> Result<Policy, String> {
    Policy::parse(s).ok_or_else(|| {
        "argument(s) must be one of the following: volatile-lru, volatile-lfu, \
         volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"
            .to_string()
    })
}

/// A whole number from `min` to `max`, with Redis's error texts.
pub fn int_range(min: i64, max: i64) -> impl Fn(&str) -> Result<i64, String> + Clone {
    move |s: &str| {
        let n = s
            .parse::<i64>()
            .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
        if n < min || n > max {
            return Err(format!(
                "argument must be between {min} and {max} inclusive"
            ));
        }
        Ok(n)
    }
}

/// Checks `list-max-listpack-size`: a positive count, or -1 to -5.
pub fn list_size(s: &str) -> Result<i64, String> {
    match s.parse::<i64>() {
        Ok(n) if n != 0 && n >= -5 => Ok(n),
        _ => Err("must be a positive count or -1 to -5".to_string()),
    }
}

/// See [`Config::tls_auth_clients`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsAuthClients {
    Yes,
    No,
    Optional,
}

impl TlsAuthClients {
    pub fn name(self) -> &'static str {
        match self {
            TlsAuthClients::Yes => "yes",
            TlsAuthClients::No => "no",
            TlsAuthClients::Optional => "optional",
        }
    }
}

/// See [`Config::appendfsync`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AppendFsync {
    Always,
    Everysec,
    No,
}

pub use crate::keyspace::evict::Policy;
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

/// `syslog-enabled`: `no` (or `false`) only, with the reason for `yes`.
fn syslog_enabled(s: &str) -> Result<bool, String> {
    match yes_no(s)? {
        false => Ok(false),
        true => Err(
            "syslog is not supported: kvstore logs to standard error, which \
                     systemd's journal collects (and forwards to syslog), or to --logfile"
                .to_string(),
        ),
    }
}

/// `no`, `yes` or `local`, as Redis's protected-setting switches.
fn protection_level(s: &str) -> Result<String, String> {
    match s.to_ascii_lowercase().as_str() {
        l @ ("no" | "yes" | "local") => Ok(l.to_string()),
        _ => Err(format!("expected yes, no or local, got '{s}'")),
    }
}

/// A boolean as Redis's config writes it (`yes`/`no`), or `true`/`false`.
pub(crate) fn yes_no(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(format!("expected yes or no, got '{s}'")),
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

    /// Gives the keyspace this config's `maxmemory` settings.
    pub fn apply_eviction(&self, keyspace: &crate::keyspace::Keyspace) {
        keyspace
            .eviction
            .configure(&crate::keyspace::evict::Settings {
                maxmemory: self.maxmemory,
                policy: self.maxmemory_policy,
                samples: self.maxmemory_samples as usize,
                tenacity: self.maxmemory_eviction_tenacity as u32,
                lfu_log_factor: self.lfu_log_factor as u32,
                lfu_decay_time: self.lfu_decay_time as u32,
            });
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
