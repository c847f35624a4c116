//! `CONFIG GET pattern [pattern ...]`, `CONFIG SET name value [name value ...]`,
//! `CONFIG RESETSTAT`, `CONFIG REWRITE` and `CONFIG HELP`.
//!
//! Names are the command-line flags without their dashes, which are also
//! Redis's names where Redis has the setting. A setting is settable only if
//! the running server really honours a new value: `maxclients` is read at
//! every accept, the reply mode and protocol limits at every new connection.
//! The `tls-*` files and lists rebuild the TLS settings for new
//! connections (through `Shared::listening`). Everything else (the
//! listeners, the durability files) is fixed at start.

use super::table::flags::*;
use super::table::NONE;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use kvstore_protocol::Value;

use super::reply_map;
use super::{is_word, Command, Ctx};
use crate::conffile;
use crate::config::{AppendFsync, Config, LogLevel, ReplyMode, TlsAuthClients};
use crate::keyspace::glob;
use crate::state::Shared;

pub static COMMANDS: &[Command] = &[Command::new(
    "config",
    -2,
    ADMIN | NOSCRIPT | LOADING | STALE,
    0,
    NONE,
    config,
)
.doc("server", "Reads or changes the server's settings.", "")];

type Getter = fn(&Config, &Shared) -> String;
type Setter = fn(&mut Config, &str) -> Result<(), &'static str>;

struct Setting {
    name: &'static str,
    get: Getter,
    /// `None`: fixed once the server is running.
    set: Option<Setter>,
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn count(v: &str) -> Result<usize, &'static str> {
    v.parse::<usize>()
        .map_err(|_| "argument couldn't be parsed into an integer")
}

/// A container-encoding threshold, under its name and Redis's older
/// `ziplist` alias.
macro_rules! threshold {
    ($name:literal, $field:ident, $parse:expr) => {
        Setting {
            name: $name,
            get: |c, _| c.$field.to_string(),
            set: Some(|c, v| {
                c.$field = $parse(v)?;
                Ok(())
            }),
        }
    };
}

fn millis(v: &str) -> Result<u64, &'static str> {
    v.parse::<u64>()
        .map_err(|_| "argument couldn't be parsed into an integer")
}

fn positive(v: &str) -> Result<usize, &'static str> {
    match v.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("argument must be a positive integer"),
    }
}

/// An integer from `min` up, with Redis's errors (it allows -1 only
/// where -1 means something).
fn ranged(v: &str, min: i64) -> Result<i64, &'static str> {
    let n = v
        .parse::<i64>()
        .map_err(|_| "argument couldn't be parsed into an integer")?;
    if n < min {
        return Err(if min < 0 {
            "argument must be between -1 and 9223372036854775807 inclusive"
        } else {
            "argument must be between 0 and 9223372036854775807 inclusive"
        });
    }
    Ok(n)
}

/// A `tls-*` text setting; what it means is checked when the TLS settings
/// are rebuilt (see [`set`]).
macro_rules! tls_text {
    ($name:literal, $field:ident) => {
        Setting {
            name: $name,
            get: |c, _| c.$field.clone(),
            set: Some(|c, v| {
                c.$field = v.to_string();
                Ok(())
            }),
        }
    };
}

/// A whole-number setting with its range, checked as the flag is.
macro_rules! int_setting {
    ($name:literal, $field:ident, $min:expr, $max:expr) => {
        Setting {
            name: $name,
            get: |c, _| c.$field.to_string(),
            set: Some(|c, v| {
                c.$field = crate::config::int_range($min, $max)(v).map_err(|e| match e {
                    _ if e.starts_with("argument couldn't") => {
                        "argument couldn't be parsed into an integer"
                    }
                    _ => concat!(
                        "argument must be between ",
                        stringify!($min),
                        " and ",
                        stringify!($max),
                        " inclusive"
                    ),
                })?;
                Ok(())
            }),
        }
    };
}

/// A yes/no setting that kvstore accepts and reports.
macro_rules! switch {
    ($name:literal, $field:ident) => {
        Setting {
            name: $name,
            get: |c, _| yes_no(c.$field),
            set: Some(|c, v| {
                c.$field = match v.to_ascii_lowercase().as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err("argument must be 'yes' or 'no'"),
                };
                Ok(())
            }),
        }
    };
}

static SETTINGS: &[Setting] = &[
    threshold!(
        "hash-max-listpack-entries",
        hash_max_listpack_entries,
        count
    ),
    threshold!("hash-max-ziplist-entries", hash_max_listpack_entries, count),
    threshold!("hash-max-listpack-value", hash_max_listpack_value, count),
    threshold!("hash-max-ziplist-value", hash_max_listpack_value, count),
    threshold!("list-max-listpack-size", list_max_listpack_size, |v| {
        crate::config::list_size(v).map_err(|_| "argument must be a positive count or -1 to -5")
    }),
    threshold!("list-max-ziplist-size", list_max_listpack_size, |v| {
        crate::config::list_size(v).map_err(|_| "argument must be a positive count or -1 to -5")
    }),
    threshold!("set-max-intset-entries", set_max_intset_entries, count),
    threshold!(
        "zset-max-listpack-entries",
        zset_max_listpack_entries,
        count
    ),
    threshold!("zset-max-ziplist-entries", zset_max_listpack_entries, count),
    threshold!("zset-max-listpack-value", zset_max_listpack_value, count),
    threshold!("zset-max-ziplist-value", zset_max_listpack_value, count),
    Setting {
        name: "bind",
        get: |c, _| c.bind.clone(),
        set: None,
    },
    Setting {
        // The port really listened on (the flag may say 0); 0 when only
        // TLS is.
        name: "port",
        get: |_, s| {
            if s.listening.plain {
                s.local_addr.port().to_string()
            } else {
                "0".to_string()
            }
        },
        set: None,
    },
    Setting {
        // As `port`: the one really listened on.
        name: "tls-port",
        get: |c, s| {
            s.listening
                .tls_addr
                .map_or(c.tls_port, |a| a.port())
                .to_string()
        },
        set: None,
    },
    tls_text!("tls-cert-file", tls_cert_file),
    tls_text!("tls-key-file", tls_key_file),
    tls_text!("tls-ca-cert-file", tls_ca_cert_file),
    tls_text!("tls-ca-cert-dir", tls_ca_cert_dir),
    tls_text!("tls-protocols", tls_protocols),
    tls_text!("tls-ciphersuites", tls_ciphersuites),
    tls_text!("tls-ciphers", tls_ciphers),
    Setting {
        name: "tls-auth-clients",
        get: |c, _| c.tls_auth_clients.name().to_string(),
        set: Some(|c, v| {
            c.tls_auth_clients = match v.to_ascii_lowercase().as_str() {
                "yes" => TlsAuthClients::Yes,
                "no" => TlsAuthClients::No,
                "optional" => TlsAuthClients::Optional,
                _ => return Err("argument(s) must be one of the following: no, yes, optional"),
            };
            Ok(())
        }),
    },
    Setting {
        name: "tls-prefer-server-ciphers",
        get: |c, _| yes_no(c.tls_prefer_server_ciphers),
        set: Some(|c, v| {
            c.tls_prefer_server_ciphers =
                crate::config::yes_no(v).map_err(|_| "argument must be 'yes' or 'no'")?;
            Ok(())
        }),
    },
    Setting {
        name: "databases",
        get: |c, _| c.databases.to_string(),
        set: None,
    },
    Setting {
        name: "busy-reply-threshold",
        get: |c, _| c.busy_reply_threshold.to_string(),
        set: Some(|c, v| {
            c.busy_reply_threshold = millis(v)?;
            Ok(())
        }),
    },
    Setting {
        name: "lua-time-limit",
        get: |c, _| c.busy_reply_threshold.to_string(),
        set: Some(|c, v| {
            c.busy_reply_threshold = millis(v)?;
            Ok(())
        }),
    },
    Setting {
        name: "maxclients",
        get: |c, _| c.maxclients.to_string(),
        set: Some(|c, v| {
            c.maxclients = positive(v)?;
            Ok(())
        }),
    },
    int_setting!("timeout", timeout, 0, 2147483647),
    int_setting!("tcp-keepalive", tcp_keepalive, 0, 2147483647),
    Setting {
        name: "tcp-backlog",
        get: |c, _| c.tcp_backlog.to_string(),
        set: None,
    },
    Setting {
        name: "maxmemory",
        get: |c, _| c.maxmemory.to_string(),
        set: Some(|c, v| {
            c.maxmemory =
                crate::config::memory_amount(v).ok_or("argument must be a memory value")?;
            Ok(())
        }),
    },
    Setting {
        name: "maxmemory-policy",
        get: |c, _| c.maxmemory_policy.name().to_string(),
        set: Some(|c, v| {
            c.maxmemory_policy = crate::config::Policy::parse(v).ok_or(
                "argument(s) must be one of the following: volatile-lru, volatile-lfu, \
                 volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
            )?;
            Ok(())
        }),
    },
    int_setting!("maxmemory-samples", maxmemory_samples, 1, 2147483647),
    int_setting!(
        "maxmemory-eviction-tenacity",
        maxmemory_eviction_tenacity,
        0,
        100
    ),
    int_setting!("lfu-log-factor", lfu_log_factor, 0, 2147483647),
    int_setting!("lfu-decay-time", lfu_decay_time, 0, 2147483647),
    switch!("lazyfree-lazy-eviction", lazyfree_lazy_eviction),
    switch!("lazyfree-lazy-expire", lazyfree_lazy_expire),
    switch!("lazyfree-lazy-server-del", lazyfree_lazy_server_del),
    switch!("lazyfree-lazy-user-del", lazyfree_lazy_user_del),
    switch!("lazyfree-lazy-user-flush", lazyfree_lazy_user_flush),
    switch!("replica-lazy-flush", replica_lazy_flush),
    Setting {
        name: "proto-max-bulk-len",
        get: |c, _| c.proto_max_bulk_len.to_string(),
        set: Some(|c, v| {
            c.proto_max_bulk_len = positive(v)?;
            Ok(())
        }),
    },
    Setting {
        name: "max-elements",
        get: |c, _| c.max_elements.to_string(),
        set: Some(|c, v| {
            c.max_elements = positive(v)?;
            Ok(())
        }),
    },
    Setting {
        name: "max-nesting",
        get: |c, _| c.max_nesting.to_string(),
        set: Some(|c, v| {
            c.max_nesting = crate::config::nesting(v)
                .map_err(|_| "argument must be a whole number from 1 to 1024")?;
            Ok(())
        }),
    },
    Setting {
        name: "client-query-buffer-limit",
        get: |c, _| c.client_query_buffer_limit.to_string(),
        set: Some(|c, v| {
            c.client_query_buffer_limit = crate::config::memory_at_least_one(v)
                .map_err(|_| "argument must be a memory value")?;
            Ok(())
        }),
    },
    Setting {
        name: "client-output-buffer-limit",
        get: |c, _| c.client_output_buffer_limit.to_string(),
        set: Some(|c, v| c.client_output_buffer_limit.apply(v)),
    },
    Setting {
        name: "notify-keyspace-events",
        get: |c, _| c.notify_keyspace_events.to_string(),
        set: Some(|c, v| {
            c.notify_keyspace_events.0 = crate::config::notify::parse(v)?;
            Ok(())
        }),
    },
    Setting {
        name: "slowlog-log-slower-than",
        get: |c, _| c.slowlog_log_slower_than.to_string(),
        set: Some(|c, v| {
            c.slowlog_log_slower_than = ranged(v, -1)?;
            Ok(())
        }),
    },
    Setting {
        name: "slowlog-max-len",
        get: |c, _| c.slowlog_max_len.to_string(),
        set: Some(|c, v| {
            c.slowlog_max_len = ranged(v, 0)? as usize;
            Ok(())
        }),
    },
    Setting {
        name: "latency-tracking",
        get: |c, _| yes_no(c.latency_tracking),
        set: Some(|c, v| {
            c.latency_tracking = match v.to_ascii_lowercase().as_str() {
                "yes" => true,
                "no" => false,
                _ => return Err("argument must be 'yes' or 'no'"),
            };
            Ok(())
        }),
    },
    Setting {
        name: "latency-tracking-info-percentiles",
        get: |c, _| c.latency_tracking_info_percentiles.to_string(),
        set: Some(|c, v| {
            c.latency_tracking_info_percentiles = crate::config::percentiles(v).map_err(|e| {
                if e.contains("between") {
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                } else {
                    "Invalid latency-tracking-info-percentiles parameters"
                }
            })?;
            Ok(())
        }),
    },
    Setting {
        name: "tracking-table-max-keys",
        get: |c, _| c.tracking_table_max_keys.to_string(),
        set: Some(|c, v| {
            c.tracking_table_max_keys = ranged(v, 0)? as usize;
            Ok(())
        }),
    },
    Setting {
        name: "latency-monitor-threshold",
        get: |c, _| c.latency_monitor_threshold.to_string(),
        set: Some(|c, v| {
            c.latency_monitor_threshold = ranged(v, 0)? as u64;
            Ok(())
        }),
    },
    Setting {
        name: "reply-mode",
        get: |c, _| match c.reply_mode {
            ReplyMode::Seed => "seed".to_string(),
            ReplyMode::Redis => "redis".to_string(),
        },
        set: Some(|c, v| {
            c.reply_mode = match v.to_ascii_lowercase().as_str() {
                "seed" => ReplyMode::Seed,
                "redis" => ReplyMode::Redis,
                _ => return Err("argument must be 'seed' or 'redis'"),
            };
            Ok(())
        }),
    },
    Setting {
        name: "threads",
        get: |c, _| c.threads.map_or("auto".to_string(), |t| t.to_string()),
        set: None,
    },
    Setting {
        name: "appendonly",
        get: |c, _| yes_no(c.appendonly),
        set: None,
    },
    Setting {
        name: "config_file",
        get: |c, _| {
            c.config_file
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_default()
        },
        set: None,
    },
    Setting {
        name: "daemonize",
        get: |c, _| yes_no(c.daemonize),
        set: None,
    },
    Setting {
        name: "syslog-enabled",
        get: |c, _| yes_no(c.syslog_enabled),
        set: None,
    },
    Setting {
        name: "loglevel",
        get: |c, _| {
            match c.loglevel {
                LogLevel::Debug => "debug",
                LogLevel::Verbose => "verbose",
                LogLevel::Notice => "notice",
                LogLevel::Warning => "warning",
            }
            .to_string()
        },
        set: None,
    },
    Setting {
        name: "logfile",
        get: |c, _| c.logfile.clone(),
        set: None,
    },
    Setting {
        name: "pidfile",
        get: |c, _| {
            c.pidfile
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_default()
        },
        set: None,
    },
    Setting {
        name: "dir",
        get: |c, _| c.dir.display().to_string(),
        set: None,
    },
    Setting {
        name: "appendfilename",
        get: |c, _| c.appendfilename.clone(),
        set: None,
    },
    Setting {
        name: "appendfsync",
        get: |c, _| {
            match c.appendfsync {
                AppendFsync::Always => "always",
                AppendFsync::Everysec => "everysec",
                AppendFsync::No => "no",
            }
            .to_string()
        },
        set: None,
    },
    Setting {
        name: "auto-aof-rewrite-percentage",
        get: |c, _| c.auto_aof_rewrite_percentage.to_string(),
        set: None,
    },
    Setting {
        name: "auto-aof-rewrite-min-size",
        get: |c, _| c.auto_aof_rewrite_min_size.to_string(),
        set: None,
    },
    Setting {
        name: "aof-load-truncated",
        get: |c, _| yes_no(c.aof_load_truncated),
        set: None,
    },
    Setting {
        name: "save",
        get: |c, _| c.save.clone(),
        set: None,
    },
    Setting {
        name: "aof-start-empty",
        get: |c, _| yes_no(c.aof_start_empty),
        set: None,
    },
    Setting {
        name: "stop-writes-on-bgsave-error",
        get: |c, _| yes_no(c.stop_writes_on_bgsave_error),
        set: None,
    },
    Setting {
        name: "dbfilename",
        get: |c, _| c.dbfilename.clone(),
        set: None,
    },
    Setting {
        name: "requirepass",
        get: |c, _| c.requirepass.clone(),
        set: Some(|c, v| {
            c.requirepass = v.to_string();
            Ok(())
        }),
    },
    Setting {
        name: "aclfile",
        get: |c, _| c.aclfile.clone(),
        set: None,
    },
    Setting {
        name: "acllog-max-len",
        get: |c, _| c.acllog_max_len.to_string(),
        set: Some(|c, v| {
            c.acllog_max_len = ranged(v, 0)? as usize;
            Ok(())
        }),
    },
    Setting {
        name: "protected-mode",
        get: |c, _| yes_no(c.protected_mode),
        set: Some(|c, v| {
            c.protected_mode = match v.to_ascii_lowercase().as_str() {
                "yes" => true,
                "no" => false,
                _ => return Err("argument must be 'yes' or 'no'"),
            };
            Ok(())
        }),
    },
    Setting {
        name: "enable-protected-configs",
        get: |c, _| c.enable_protected_configs.clone(),
        set: None,
    },
    Setting {
        name: "enable-debug-command",
        get: |c, _| c.enable_debug_command.clone(),
        set: None,
    },
    Setting {
        name: "enable-module-command",
        get: |c, _| c.enable_module_command.clone(),
        set: None,
    },
];

/// Settings `CONFIG SET` may change only where `enable-protected-configs`
/// allows it, as in Redis 7 (kvstore then still finds them fixed).
const PROTECTED: &[&str] = &["dir", "dbfilename"];

/// `enable-protected-configs` (and its kin) allow this connection.
fn allowed_here(level: &str, ctx: &Ctx<'_>) -> bool {
    match level {
        "yes" => true,
        "local" => super::acl::is_local(ctx.session.peer),
        _ => false,
    }
}

pub fn config(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let sub = &args[1];
    let rest = &args[2..];
    if is_word(sub, "GET") && !rest.is_empty() {
        get(ctx, rest)
    } else if is_word(sub, "SET") && !rest.is_empty() && rest.len().is_multiple_of(2) {
        set(ctx, rest)
    } else if is_word(sub, "RESETSTAT") && rest.is_empty() {
        ctx.shared.stats.reset();
        ctx.shared.keyspace.reset_stats();
        ctx.shared.intro.reset_stats();
        Value::ok()
    } else if is_word(sub, "REWRITE") && rest.is_empty() {
        rewrite(ctx)
    } else if is_word(sub, "HELP") && rest.is_empty() {
        Value::Array(
            HELP.iter()
                .map(|l| Value::Simple(Bytes::from_static(l.as_bytes())))
                .collect(),
        )
    } else if ["GET", "SET", "RESETSTAT", "REWRITE", "HELP"]
        .iter()
        .any(|w| is_word(sub, w))
    {
        super::wrong_args(&format!(
            "config|{}",
            String::from_utf8_lossy(sub.as_bytes().unwrap_or_default()).to_lowercase()
        ))
    } else {
        Value::error(format!(
            "ERR unknown subcommand '{}'. Try CONFIG HELP.",
            super::printable(sub.as_bytes().unwrap_or(b"?"), 128)
        ))
    }
}

/// `CONFIG HELP`, Redis's text.
const HELP: &[&str] = &[
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
];

/// Redis's older names, which `CONFIG GET` and `CONFIG SET` also take and
/// `CONFIG REWRITE` replaces with the current one.
const ALIASES: &[(&str, &str)] = &[
    ("hash-max-ziplist-entries", "hash-max-listpack-entries"),
    ("hash-max-ziplist-value", "hash-max-listpack-value"),
    ("list-max-ziplist-size", "list-max-listpack-size"),
    ("zset-max-ziplist-entries", "zset-max-listpack-entries"),
    ("zset-max-ziplist-value", "zset-max-listpack-value"),
    ("lua-time-limit", "busy-reply-threshold"),
];

/// Settings whose value is free text: written quoted, as Redis writes its
/// string settings.
const QUOTED: &[&str] = &[
    "dir",
    "logfile",
    "pidfile",
    "appendfilename",
    "dbfilename",
    "notify-keyspace-events",
    "requirepass",
    "aclfile",
    "tls-cert-file",
    "tls-key-file",
    "tls-ca-cert-file",
    "tls-ca-cert-dir",
    "tls-protocols",
    "tls-ciphersuites",
    "tls-ciphers",
];

/// A setting's value as a config file states it (for `CONFIG REWRITE`):
/// `port` as configured, not the port the listener got for 0.
fn stated(s: &Setting, config: &Config, shared: &Shared) -> String {
    match s.name {
        "port" => config.port.to_string(),
        _ => (s.get)(config, shared),
    }
}

/// `CONFIG REWRITE`: the running settings written into the file the
/// server started with (see `conffile::rewrite` for what is kept).
fn rewrite(ctx: &mut Ctx<'_>) -> Value {
    let config = ctx.shared.config.read().clone();
    let Some(path) = config.config_file.clone() else {
        return Value::error("ERR The server is running without a config file");
    };
    let defaults = Config::default();
    let settings: Vec<conffile::Setting> = SETTINGS
        .iter()
        .filter(|s| s.name != "config_file" && !ALIASES.iter().any(|(old, _)| *old == s.name))
        // Worker threads left to the core count have no value to state.
        .filter(|s| s.name != "threads" || config.threads.is_some())
        .map(|s| conffile::Setting {
            name: s.name,
            aliases: ALIASES
                .iter()
                .find(|(_, new)| *new == s.name)
                .map_or(&[], |(old, _)| std::slice::from_ref(old)),
            lines: directives(s, &config, &defaults, ctx.shared),
        })
        .collect();
    // A small file, written and synced at once as Redis does; off the
    // worker so that its other connections are not held up meanwhile.
    match super::off_worker(|| conffile::rewrite_file(&path, &settings)) {
        Ok(()) => {
            tracing::info!("CONFIG REWRITE executed with success.");
            Value::ok()
        }
        Err(e) => {
            tracing::warn!("CONFIG REWRITE failed: {e}");
            Value::error(format!("ERR Rewriting config file: {}", strerror(&e)))
        }
    }
}

/// A setting's directives for `CONFIG REWRITE`, each with whether it is at
/// its default, spelled as Redis writes them: text quoted; `save` a line
/// per schedule pair; `client-output-buffer-limit` a line per class, sizes
/// in Redis's units.
fn directives(
    s: &Setting,
    config: &Config,
    defaults: &Config,
    shared: &Shared,
) -> Vec<(String, bool)> {
    match s.name {
        "save" => {
            let words: Vec<&str> = config.save.split_whitespace().collect();
            if words.is_empty() {
                return vec![("save \"\"".to_string(), defaults.save.trim().is_empty())];
            }
            let default: Vec<&str> = defaults.save.split_whitespace().collect();
            words
                .chunks(2)
                .enumerate()
                .map(|(i, pair)| {
                    (
                        format!("save {}", pair.join(" ")),
                        default.chunks(2).nth(i) == Some(pair),
                    )
                })
                .collect()
        }
        "client-output-buffer-limit" => {
            let (now, before) = (
                &config.client_output_buffer_limit,
                &defaults.client_output_buffer_limit,
            );
            [
                ("normal", now.normal, before.normal),
                ("replica", now.slave, before.slave),
                ("pubsub", now.pubsub, before.pubsub),
            ]
            .into_iter()
            .map(|(class, l, d)| {
                (
                    format!(
                        "client-output-buffer-limit {class} {} {} {}",
                        memory_units(l.hard),
                        memory_units(l.soft),
                        l.soft_secs
                    ),
                    l == d,
                )
            })
            .collect()
        }
        // Byte counts in Redis's units, as Redis rewrites them.
        "maxmemory" | "client-query-buffer-limit" => {
            let value = stated(s, config, shared);
            let same = value == stated(s, defaults, shared);
            let n = value.parse::<u64>().unwrap_or(0);
            vec![(format!("{} {}", s.name, memory_units(n)), same)]
        }
        _ => {
            let value = stated(s, config, shared);
            let line = if value.is_empty() || QUOTED.contains(&s.name) {
                format!("{} {}", s.name, conffile::quote(&value))
            } else {
                format!("{} {value}", s.name)
            };
            vec![(line, value == stated(s, defaults, shared))]
        }
    }
}

/// A byte count in the largest of Redis's units that divides it:
/// `256mb`, `1gb`, `3kb`, `1000`.
fn memory_units(n: u64) -> String {
    for (unit, size) in [("gb", 1u64 << 30), ("mb", 1 << 20), ("kb", 1 << 10)] {
        if n != 0 && n.is_multiple_of(size) {
            return format!("{}{unit}", n / size);
        }
    }
    n.to_string()
}

/// The system's message for an error, without Rust's `(os error N)`.
fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn get(ctx: &mut Ctx<'_>, patterns: &[Value]) -> Value {
    let config = ctx.shared.config.read().clone();
    let mut pairs = Vec::new();
    for s in SETTINGS {
        let hit = patterns.iter().any(|p| {
            p.as_bytes().is_some_and(|p| {
                // Redis matches config names without regard to case.
                glob::matches(&p.to_ascii_lowercase(), s.name.as_bytes())
            })
        });
        if hit {
            pairs.push((
                Value::from(s.name),
                Value::Bulk(Bytes::from((s.get)(&config, ctx.shared))),
            ));
        }
    }
    reply_map(ctx.session, pairs)
}

fn set(ctx: &mut Ctx<'_>, pairs: &[Value]) -> Value {
    // Apply to a copy and swap it in only if every pair is good: all or
    // nothing. The write lock is held throughout so that two CONFIG SETs
    // cannot lose each other's changes.
    let mut live = ctx.shared.config.write();
    let mut next = live.clone();
    // The first TLS setting named, which a failed rebuild is blamed on.
    let mut tls_named = None;
    for kv in pairs.chunks_exact(2) {
        let name = String::from_utf8_lossy(kv[0].as_bytes().unwrap_or_default()).to_lowercase();
        let Some(setting) = SETTINGS.iter().find(|s| s.name == name) else {
            return Value::error(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                super::printable(name.as_bytes(), 64)
            ));
        };
        if PROTECTED.contains(&setting.name) && !allowed_here(&next.enable_protected_configs, ctx) {
            return Value::error(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - can't set protected config"
            ));
        }
        let Some(setter) = setting.set else {
            return Value::error(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config"
            ));
        };
        let value = match &kv[1] {
            Value::Integer(n) => n.to_string(),
            v => String::from_utf8_lossy(v.as_bytes().unwrap_or_default()).into_owned(),
        };
        if let Err(why) = setter(&mut next, value.trim()) {
            return Value::error(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
            ));
        }
        if name.starts_with("tls-") && tls_named.is_none() {
            tls_named = Some(name);
        }
    }
    // New TLS settings are built (the files read) before anything is
    // applied: a bad certificate leaves every setting as it was, and the
    // connections already open keep theirs either way.
    if let (Some(name), Some(tls)) = (tls_named, &ctx.shared.listening.tls_reload) {
        if let Err(why) = super::off_worker(|| tls.reload(&next)) {
            tracing::warn!("Failed to update TLS configuration: {why}");
            return Value::error(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - Unable to update TLS configuration. Check server logs."
            ));
        }
    }
    next.apply_encodings();
    if next.requirepass != live.requirepass {
        super::acl::requirepass_changed(ctx.shared, &next.requirepass);
    }
    ctx.shared
        .acl
        .log_max
        .store(next.acllog_max_len, Ordering::Relaxed);
    next.apply_eviction(&ctx.shared.keyspace);
    ctx.shared.pubsub.configure(&next);
    ctx.shared.intro.configure(&next);
    ctx.shared
        .tracking
        .set_max_keys(next.tracking_table_max_keys);
    ctx.shared.conn_limits.configure(&next);
    *live = next;
    Value::ok()
}
