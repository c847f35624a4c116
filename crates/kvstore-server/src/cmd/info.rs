//! `INFO [section ...]`, in Redis's `# Section` / `field:value` text, and the
//! sampler behind `instantaneous_ops_per_sec`.

use super::table::acl::*;
use super::table::flags::*;
use super::table::NONE;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use kvstore_protocol::Value;

use super::{Command, Ctx};
use crate::memory;

pub static COMMANDS: &[Command] =
    &[
        Command::new("info", -1, LOADING | STALE, DANGEROUS, NONE, info).doc(
            "server",
            "Returns information and statistics about the server.",
            "[section ...]",
        ),
    ];

/// Sections in the order Redis 7.0 prints them, with their titles; the
/// ones `INFO` alone shows.
const SECTIONS: &[(&str, &str)] = &[
    ("server", "Server"),
    ("clients", "Clients"),
    ("memory", "Memory"),
    ("persistence", "Persistence"),
    ("stats", "Stats"),
    ("replication", "Replication"),
    ("cpu", "CPU"),
    // Empty: kvstore has no modules. Redis prints the title all the same.
    ("modules", "Modules"),
    ("commandstats", "Commandstats"),
    ("errorstats", "Errorstats"),
    ("latencystats", "Latencystats"),
    ("cluster", "Cluster"),
    ("keyspace", "Keyspace"),
];

/// Sections only `INFO all|everything` or their name shows.
const EXTRA_SECTIONS: &[&str] = &["commandstats", "latencystats"];

/// The `# Persistence` fields taken from `DURABILITY`, in Redis's order,
/// with what to show when `DURABILITY` does not report one.
const PERSISTENCE_FIELDS: &[(&str, &str)] = &[
    ("loading", "0"),
    ("async_loading", "0"),
    ("rdb_changes_since_last_save", "0"),
    ("rdb_bgsave_in_progress", "0"),
    ("rdb_last_save_time", "0"),
    ("rdb_last_bgsave_status", "ok"),
    ("rdb_saves", "0"),
    ("aof_enabled", "0"),
    ("aof_rewrite_in_progress", "0"),
    ("aof_last_bgrewrite_status", "ok"),
    ("aof_rewrites", "0"),
    ("aof_rewrites_consecutive_failures", "0"),
    ("aof_last_write_status", "ok"),
];

/// Shown after those when present, in this order: Redis's AOF sizes (AOF
/// on) and loading progress (while loading), then kvstore's error texts.
const PERSISTENCE_EXTRA: &[&str] = &[
    "aof_current_size",
    "aof_base_size",
    "loading_start_time",
    "loading_total_bytes",
    "loading_rdb_used_mem",
    "loading_loaded_bytes",
    "loading_loaded_perc",
    "loading_eta_seconds",
    "rdb_last_bgsave_error",
    "aof_last_write_error",
];

pub fn info(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let mut wanted: Vec<String> = Vec::new();
    for a in &args[1..] {
        let Some(b) = a.as_bytes() else {
            return super::syntax_error();
        };
        wanted.push(String::from_utf8_lossy(b).to_ascii_lowercase());
    }
    let everything = wanted.is_empty()
        || wanted
            .iter()
            .any(|w| matches!(w.as_str(), "all" | "default" | "everything"));
    let all = wanted
        .iter()
        .any(|w| matches!(w.as_str(), "all" | "everything"));
    let mut out = String::new();
    for (section, title) in SECTIONS {
        let shown = if EXTRA_SECTIONS.contains(section) {
            all
        } else {
            everything
        };
        if shown || wanted.iter().any(|w| w == section) {
            if !out.is_empty() {
                out.push_str("\r\n");
            }
            let _ = write!(out, "# {title}\r\n");
            write_section(ctx, section, &mut out);
        }
    }
    Value::Bulk(Bytes::from(out))
}

fn write_section(ctx: &Ctx<'_>, section: &str, out: &mut String) {
    let shared = ctx.shared;
    let stats = &shared.stats;
    let mut field = |name: &str, value: &dyn std::fmt::Display| {
        let _ = write!(out, "{name}:{value}\r\n");
    };
    match section {
        "server" => {
            let uptime = shared.started.elapsed().as_secs();
            field("redis_version", &super::server::REDIS_COMPAT_VERSION);
            field("kvstore_version", &env!("CARGO_PKG_VERSION"));
            field("redis_mode", &"standalone");
            field("os", &std::env::consts::OS);
            field("arch_bits", &(usize::BITS));
            field("process_id", &std::process::id());
            field("tcp_port", &shared.local_addr.port());
            let config_file = shared.config.read().config_file.clone();
            field(
                "config_file",
                &config_file
                    .map(|f| f.display().to_string())
                    .unwrap_or_default(),
            );
            field("uptime_in_seconds", &uptime);
            field("uptime_in_days", &(uptime / 86_400));
        }
        "clients" => {
            field(
                "connected_clients",
                &stats.connected_clients.load(Ordering::Relaxed),
            );
            field("maxclients", &shared.config.read().maxclients);
            field("blocked_clients", &shared.blocked.count());
            field("tracking_clients", &shared.tracking.counts().clients);
        }
        "memory" => {
            let m = memory::info();
            field("used_memory", &m.used);
            field("used_memory_human", &human(m.used));
            field("used_memory_rss", &m.rss);
            field("used_memory_rss_human", &human(m.rss));
            field("used_memory_peak", &m.peak_used);
            field("used_memory_peak_human", &human(m.peak_used));
            let (maxmemory, policy) = {
                let c = shared.config.read();
                (c.maxmemory, c.maxmemory_policy)
            };
            field("maxmemory", &maxmemory);
            field("maxmemory_human", &human(maxmemory as usize));
            field("maxmemory_policy", &policy.name());
            field("mem_allocator", &"mimalloc");
        }
        "persistence" => {
            // Redis's names for the figures DURABILITY reports, the ones
            // monitoring tools read. A field DURABILITY lacks (the AOF
            // ones, with the AOF off) gets the value Redis shows then.
            let figures = shared.persist.info();
            let get = |name: &str| figures.iter().find(|(k, _)| *k == name).map(|(_, v)| v);
            for (name, absent) in PERSISTENCE_FIELDS {
                match get(name) {
                    Some(Value::Integer(n)) => field(name, n),
                    Some(v) => field(
                        name,
                        &String::from_utf8_lossy(v.as_bytes().unwrap_or_default()),
                    ),
                    None => field(name, absent),
                }
            }
            for name in PERSISTENCE_EXTRA {
                match get(name) {
                    Some(Value::Integer(n)) => field(name, n),
                    Some(v) => field(
                        name,
                        &String::from_utf8_lossy(v.as_bytes().unwrap_or_default()),
                    ),
                    None => {}
                }
            }
        }
        "stats" => {
            field(
                "total_connections_received",
                &stats.connections_received.load(Ordering::Relaxed),
            );
            field(
                "total_commands_processed",
                &stats.commands_processed.load(Ordering::Relaxed),
            );
            field("instantaneous_ops_per_sec", &stats.ops.per_sec());
            field(
                "rejected_connections",
                &stats.rejected_connections.load(Ordering::Relaxed),
            );
            field("expired_keys", &shared.keyspace.expired_keys());
            field("evicted_keys", &shared.keyspace.eviction.evicted_keys());
            field(
                "total_error_replies",
                &shared.intro.total_errors.load(Ordering::Relaxed),
            );
            let (channels, patterns, shard) = shared.pubsub.counts();
            field("pubsub_channels", &channels);
            field("pubsub_patterns", &patterns);
            field("pubsubshard_channels", &shard);
            let tracking = shared.tracking.counts();
            field("tracking_total_keys", &tracking.keys);
            field("tracking_total_items", &tracking.items);
            field("tracking_total_prefixes", &tracking.prefixes);
        }
        "replication" => {
            field("role", &"master");
            field("connected_slaves", &0);
        }
        "keyspace" => {
            // Redis lists only non-empty databases.
            for (i, db) in shared.keyspace.dbs().enumerate() {
                let keys = db.len();
                if keys > 0 {
                    let (expires, avg) = (db.volatile(), db.avg_ttl(1000));
                    field(
                        &format!("db{i}"),
                        &format!("keys={keys},expires={expires},avg_ttl={avg}"),
                    );
                }
            }
        }
        "cluster" => field("cluster_enabled", &0),
        "cpu" => {
            // The process's CPU time, as the allocator reads it from the
            // system; kvstore has no child processes.
            let m = memory::info();
            let secs = |ms: usize| format!("{}.{:06}", ms / 1000, (ms % 1000) * 1000);
            field("used_cpu_sys", &secs(m.system_ms));
            field("used_cpu_user", &secs(m.user_ms));
            field("used_cpu_sys_children", &"0.000000");
            field("used_cpu_user_children", &"0.000000");
        }
        "commandstats" => {
            for (i, c) in super::stats::indexed() {
                let Some(slot) = shared.intro.command(i) else {
                    continue;
                };
                let calls = slot.calls.load(Ordering::Relaxed);
                let rejected = slot.rejected.load(Ordering::Relaxed);
                let failed = slot.failed.load(Ordering::Relaxed);
                if calls == 0 && rejected == 0 && failed == 0 {
                    continue;
                }
                let usec = slot.usec.load(Ordering::Relaxed);
                let per = if calls == 0 {
                    0.0
                } else {
                    usec as f64 / calls as f64
                };
                field(
                    &format!("cmdstat_{}", c.name),
                    &format!(
                        "calls={calls},usec={usec},usec_per_call={per:.2},rejected_calls={rejected},failed_calls={failed}"
                    ),
                );
            }
        }
        "latencystats" => {
            let percentiles = shared
                .config
                .read()
                .latency_tracking_info_percentiles
                .0
                .clone();
            for (i, c) in super::stats::indexed() {
                let Some(counts) = shared.intro.command(i).and_then(|s| s.latency.read()) else {
                    continue;
                };
                let values: Vec<String> = percentiles
                    .iter()
                    .map(|&p| format!("p{p}={:.3}", counts.percentile(p) as f64 / 1000.0))
                    .collect();
                field(
                    &format!("latency_percentiles_usec_{}", c.name),
                    &values.join(","),
                );
            }
        }
        "errorstats" => {
            for (code, n) in shared.intro.error_counts() {
                field(&format!("errorstat_{code}"), &format!("count={n}"));
            }
        }
        _ => {}
    }
}

/// Redis's `_human` spelling: `1.50M`, `812.00K`, `12B`.
fn human(n: usize) -> String {
    let units = [("G", 1usize << 30), ("M", 1 << 20), ("K", 1 << 10)];
    for (unit, size) in units {
        if n >= size {
            return format!("{:.2}{unit}", n as f64 / size as f64);
        }
    }
    format!("{n}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human(12), "12B");
        assert_eq!(human(1536), "1.50K");
        assert_eq!(human(3 << 20), "3.00M");
    }
}
