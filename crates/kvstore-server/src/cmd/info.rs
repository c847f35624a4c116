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

/// The `# Persistence` fields, in Redis's order, with what to show when
/// `DURABILITY` does not report one: the figures of forks (copy-on-write
/// sizes), which kvstore never makes, always take that value.
const PERSISTENCE_FIELDS: &[(&str, &str)] = &[
    ("loading", "0"),
    ("async_loading", "0"),
    ("current_cow_peak", "0"),
    ("current_cow_size", "0"),
    ("current_cow_size_age", "0"),
    ("current_fork_perc", "0.00"),
    ("current_save_keys_processed", "0"),
    ("current_save_keys_total", "0"),
    ("rdb_changes_since_last_save", "0"),
    ("rdb_bgsave_in_progress", "0"),
    ("rdb_last_save_time", "0"),
    ("rdb_last_bgsave_status", "ok"),
    ("rdb_last_bgsave_time_sec", "-1"),
    ("rdb_current_bgsave_time_sec", "-1"),
    ("rdb_saves", "0"),
    ("rdb_last_cow_size", "0"),
    ("rdb_last_load_keys_expired", "0"),
    ("rdb_last_load_keys_loaded", "0"),
    ("aof_enabled", "0"),
    ("aof_rewrite_in_progress", "0"),
    ("aof_rewrite_scheduled", "0"),
    ("aof_last_rewrite_time_sec", "-1"),
    ("aof_current_rewrite_time_sec", "-1"),
    ("aof_last_bgrewrite_status", "ok"),
    ("aof_rewrites", "0"),
    ("aof_rewrites_consecutive_failures", "0"),
    ("aof_last_write_status", "ok"),
    ("aof_last_cow_size", "0"),
    ("module_fork_in_progress", "0"),
    ("module_fork_last_cow_size", "0"),
];

/// Shown after those and the AOF's sizes (AOF on) when present, in this
/// order: loading progress (while loading), then kvstore's error texts.
const PERSISTENCE_EXTRA: &[&str] = &[
    "loading_start_time",
    "loading_total_bytes",
    "loading_rdb_used_mem",
    "loading_loaded_bytes",
    "loading_loaded_perc",
    "loading_eta_seconds",
    "rdb_last_bgsave_error",
    "aof_last_write_error",
];

/// Background cycles a second (see `server`'s `hz`).
const HZ: u32 = 10;

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
            let now_us = unix_micros();
            field("redis_version", &super::server::REDIS_COMPAT_VERSION);
            field("kvstore_version", &env!("CARGO_PKG_VERSION"));
            field("redis_git_sha1", &"00000000");
            field("redis_git_dirty", &0);
            field("redis_build_id", &build_id());
            field("redis_mode", &"standalone");
            field("os", &os_name());
            field("arch_bits", &(usize::BITS));
            // The clock Rust's Instant reads, and tokio's event loop.
            field("monotonic_clock", &"POSIX clock_gettime");
            field("multiplexing_api", &"epoll");
            field("atomicvar_api", &"c11-builtin");
            // Redis prints 0.0.0 when not built by gcc.
            field("gcc_version", &"0.0.0");
            field("process_id", &std::process::id());
            field("process_supervised", &"no");
            field("run_id", &shared.run_id);
            field("tcp_port", &shared.local_addr.port());
            field("server_time_usec", &now_us);
            field("uptime_in_seconds", &uptime);
            field("uptime_in_days", &(uptime / 86_400));
            // The background cycles (expiry, sampling, the LRU clock) run
            // every 100 ms: 10 a second, fixed.
            field("hz", &HZ);
            field("configured_hz", &HZ);
            // Redis's LRU clock: seconds, wrapping at 24 bits.
            field("lru_clock", &((now_us / 1_000_000) & 0xff_ffff));
            field(
                "executable",
                &std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            );
            let config_file = shared.config.read().config_file.clone();
            field(
                "config_file",
                &config_file
                    .map(|f| f.display().to_string())
                    .unwrap_or_default(),
            );
            field("io_threads_active", &0);
        }
        "clients" => {
            field(
                "connected_clients",
                &stats.connected_clients.load(Ordering::Relaxed),
            );
            field("cluster_connections", &0);
            field("maxclients", &shared.config.read().maxclients);
            field(
                "client_recent_max_input_buffer",
                &stats.net.input_peak.get(),
            );
            field(
                "client_recent_max_output_buffer",
                &stats.net.output_peak.get(),
            );
            field("blocked_clients", &shared.blocked.count());
            field("tracking_clients", &shared.tracking.counts().clients);
            // Each blocked client has its own timer; there is no table.
            field("clients_in_timeout_table", &0);
        }
        "memory" => write_memory(shared, &mut field),
        "persistence" => {
            // Redis's names for the figures DURABILITY reports, the ones
            // monitoring tools read. A field DURABILITY lacks (the AOF
            // ones, with the AOF off; those of forks, which kvstore never
            // makes) gets the value Redis shows then.
            let figures = shared.persist.info();
            let get = |name: &str| figures.iter().find(|(k, _)| *k == name).map(|(_, v)| v);
            let mut show = |name: &str, v: &Value| match v {
                Value::Integer(n) => field(name, n),
                v => field(
                    name,
                    &String::from_utf8_lossy(v.as_bytes().unwrap_or_default()),
                ),
            };
            for (name, absent) in PERSISTENCE_FIELDS {
                match get(name) {
                    Some(v) => show(name, v),
                    None => show(name, &Value::simple(absent)),
                }
            }
            if get("aof_enabled") == Some(&Value::Integer(1)) {
                let int = |name: &str| match get(name) {
                    Some(Value::Integer(n)) => *n,
                    _ => 0,
                };
                let pending = int("aof_appended_offset") - int("aof_written_offset");
                for (name, v) in [
                    ("aof_current_size", int("aof_current_size")),
                    ("aof_base_size", int("aof_base_size")),
                    ("aof_pending_rewrite", 0),
                    ("aof_buffer_length", pending.max(0)),
                    ("aof_pending_bio_fsync", 0),
                    ("aof_delayed_fsync", 0),
                ] {
                    show(name, &Value::Integer(v));
                }
            }
            for name in PERSISTENCE_EXTRA {
                if let Some(v) = get(name) {
                    show(name, v);
                }
            }
        }
        "stats" => {
            let net = &stats.net;
            let kbps = |m: &crate::state::OpsMeter| format!("{:.2}", m.per_sec() as f64 / 1024.0);
            let (hits, misses) = shared.keyspace.lookups();
            let tracking = shared.tracking.counts();
            let (channels, patterns, shard) = shared.pubsub.counts();
            let rows: &[(&str, &dyn std::fmt::Display)] = &[
                (
                    "total_connections_received",
                    &stats.connections_received.load(Ordering::Relaxed),
                ),
                (
                    "total_commands_processed",
                    &stats.commands_processed.load(Ordering::Relaxed),
                ),
                ("instantaneous_ops_per_sec", &stats.ops.per_sec()),
                ("total_net_input_bytes", &net.input_bytes()),
                ("total_net_output_bytes", &net.output_bytes()),
                ("total_net_repl_input_bytes", &0),
                ("total_net_repl_output_bytes", &0),
                ("instantaneous_input_kbps", &kbps(&stats.input_rate)),
                ("instantaneous_output_kbps", &kbps(&stats.output_rate)),
                ("instantaneous_input_repl_kbps", &"0.00"),
                ("instantaneous_output_repl_kbps", &"0.00"),
                (
                    "rejected_connections",
                    &stats.rejected_connections.load(Ordering::Relaxed),
                ),
                ("sync_full", &0),
                ("sync_partial_ok", &0),
                ("sync_partial_err", &0),
                ("expired_keys", &shared.keyspace.expired_keys()),
                (
                    "expired_stale_perc",
                    &format!("{:.2}", stats.expire.stale_perc()),
                ),
                (
                    "expired_time_cap_reached_count",
                    &stats.expire.time_cap_reached.load(Ordering::Relaxed),
                ),
                (
                    "expire_cycle_cpu_milliseconds",
                    &(stats.expire.cycle_us.load(Ordering::Relaxed) / 1000),
                ),
                ("evicted_keys", &shared.keyspace.eviction.evicted_keys()),
                ("evicted_clients", &0),
                ("total_eviction_exceeded_time", &0),
                ("current_eviction_exceeded_time", &0),
                ("keyspace_hits", &hits),
                ("keyspace_misses", &misses),
                ("pubsub_channels", &channels),
                ("pubsub_patterns", &patterns),
                ("pubsubshard_channels", &shard),
                ("latest_fork_usec", &0),
                ("total_forks", &0),
                ("migrate_cached_sockets", &0),
                ("slave_expires_tracked_keys", &0),
                ("active_defrag_hits", &0),
                ("active_defrag_misses", &0),
                ("active_defrag_key_hits", &0),
                ("active_defrag_key_misses", &0),
                ("total_active_defrag_time", &0),
                ("current_active_defrag_time", &0),
                ("tracking_total_keys", &tracking.keys),
                ("tracking_total_items", &tracking.items),
                ("tracking_total_prefixes", &tracking.prefixes),
                ("unexpected_error_replies", &0),
                (
                    "total_error_replies",
                    &shared.intro.total_errors.load(Ordering::Relaxed),
                ),
                ("dump_payload_sanitizations", &0),
                ("total_reads_processed", &net.reads()),
                ("total_writes_processed", &net.writes()),
                ("io_threaded_reads_processed", &0),
                ("io_threaded_writes_processed", &0),
                ("reply_buffer_shrinks", &0),
                ("reply_buffer_expands", &0),
            ];
            for (name, value) in rows {
                field(name, *value);
            }
        }
        "replication" => {
            // A primary with no replicas, as Redis shows one.
            field("role", &"master");
            field("connected_slaves", &0);
            field("master_failover_state", &"no-failover");
            field("master_replid", &shared.replid);
            field("master_replid2", &"0".repeat(40));
            field("master_repl_offset", &0);
            field("second_repl_offset", &-1);
            field("repl_backlog_active", &0);
            field("repl_backlog_size", &1_048_576);
            field("repl_backlog_first_byte_offset", &0);
            field("repl_backlog_histlen", &0);
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
            // Commands run on every worker thread, not one main thread:
            // the whole process is the nearest figure.
            field("used_cpu_sys_main_thread", &secs(m.system_ms));
            field("used_cpu_user_main_thread", &secs(m.user_ms));
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

/// `# Memory`, in Redis's order. kvstore's allocator is mimalloc: its
/// live blocks are `allocator_allocated`, and what it has committed from
/// the system is both `allocator_active` and `allocator_resident` (it does
/// not tell the two apart).
fn write_memory(
    shared: &crate::state::Shared,
    field: &mut dyn FnMut(&str, &dyn std::fmt::Display),
) {
    let m = memory::info();
    let used = m.used;
    let peak = m.peak_used.max(1);
    let startup = shared.startup_memory.min(used);
    // The databases' own structure: shards and table slots.
    let tables: usize = shared
        .keyspace
        .dbs()
        .filter(|db| !db.is_empty())
        .map(|db| db.table_bytes())
        .sum();
    let overhead = (startup + tables).min(used);
    let dataset = used - overhead;
    let net = used.saturating_sub(startup);
    let perc = |a: usize, b: usize| format!("{:.2}%", a as f64 * 100.0 / b.max(1) as f64);
    let ratio = |a: usize, b: usize| format!("{:.2}", a as f64 / b.max(1) as f64);
    let diff = |a: usize, b: usize| a as i64 - b as i64;
    let (maxmemory, policy) = {
        let c = shared.config.read();
        (c.maxmemory, c.maxmemory_policy)
    };
    let vm_eval = super::scripting::VM_MEMORY.get(super::scripting::VmKind::Eval);
    let vm_functions = super::scripting::VM_MEMORY.get(super::scripting::VmKind::Functions);
    let (cached_scripts, scripts_eval) = {
        let scripts = shared.scripts.lock();
        let bytes: usize = scripts.iter().map(|(k, v)| k.len() + v.len()).sum();
        (scripts.len(), bytes)
    };
    let (functions, libraries, functions_bytes) = {
        let libs = shared.keyspace.functions.read();
        let functions: usize = libs.libs.values().map(|l| l.functions.len()).sum();
        let bytes: usize = libs
            .libs
            .values()
            .map(|l| l.name.len() + l.code.len())
            .sum();
        (functions, libs.libs.len(), bytes)
    };
    let allocated = used;
    let active = m.committed.max(used);
    let resident = active;
    let system = total_system_memory();
    // Log records appended but not written yet: the AOF's buffer.
    let aof_buffer = shared
        .persist
        .info()
        .iter()
        .filter_map(|(k, v)| match v {
            Value::Integer(n) if *k == "aof_appended_offset" => Some(*n),
            Value::Integer(n) if *k == "aof_written_offset" => Some(-*n),
            _ => None,
        })
        .sum::<i64>()
        .max(0);
    let (lazy_pending, lazy_freed) = shared.keyspace.lazy.counts();
    let scripts = scripts_eval + functions_bytes;
    let vm_total = vm_eval + vm_functions;
    let rows: &[(&str, &dyn std::fmt::Display)] = &[
        ("used_memory", &used),
        ("used_memory_human", &human(used)),
        ("used_memory_rss", &m.rss),
        ("used_memory_rss_human", &human(m.rss)),
        ("used_memory_peak", &peak),
        ("used_memory_peak_human", &human(peak)),
        ("used_memory_peak_perc", &perc(used, peak)),
        ("used_memory_overhead", &overhead),
        ("used_memory_startup", &startup),
        ("used_memory_dataset", &dataset),
        ("used_memory_dataset_perc", &perc(dataset, net)),
        ("allocator_allocated", &allocated),
        ("allocator_active", &active),
        ("allocator_resident", &resident),
        ("total_system_memory", &system),
        ("total_system_memory_human", &human(system)),
        ("used_memory_lua", &vm_eval),
        ("used_memory_vm_eval", &vm_eval),
        ("used_memory_lua_human", &human(vm_eval)),
        ("used_memory_scripts_eval", &scripts_eval),
        ("number_of_cached_scripts", &cached_scripts),
        ("number_of_functions", &functions),
        ("number_of_libraries", &libraries),
        ("used_memory_vm_functions", &vm_functions),
        ("used_memory_vm_total", &vm_total),
        ("used_memory_vm_total_human", &human(vm_total)),
        ("used_memory_functions", &functions_bytes),
        ("used_memory_scripts", &scripts),
        ("used_memory_scripts_human", &human(scripts)),
        ("maxmemory", &maxmemory),
        ("maxmemory_human", &human(maxmemory as usize)),
        ("maxmemory_policy", &policy.name()),
        ("allocator_frag_ratio", &ratio(active, allocated)),
        ("allocator_frag_bytes", &diff(active, allocated)),
        ("allocator_rss_ratio", &ratio(resident, active)),
        ("allocator_rss_bytes", &diff(resident, active)),
        ("rss_overhead_ratio", &ratio(m.rss, resident)),
        ("rss_overhead_bytes", &diff(m.rss, resident)),
        ("mem_fragmentation_ratio", &ratio(m.rss, used)),
        ("mem_fragmentation_bytes", &diff(m.rss, used)),
        (
            "mem_not_counted_for_evict",
            &(aof_buffer + shared.keyspace.kept_bytes() as i64),
        ),
        ("mem_replication_backlog", &0),
        ("mem_total_replication_buffers", &0),
        ("mem_clients_slaves", &0),
        ("mem_clients_normal", &0),
        ("mem_cluster_links", &0),
        ("mem_aof_buffer", &aof_buffer),
        ("mem_allocator", &"mimalloc"),
        ("active_defrag_running", &0),
        ("lazyfree_pending_objects", &lazy_pending),
        ("lazyfreed_objects", &lazy_freed),
    ];
    for (name, value) in rows {
        field(name, *value);
    }
}

fn unix_micros() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

/// Redis's `os`: the kernel's name, release and machine, as `uname` gives
/// them.
fn os_name() -> String {
    // SAFETY: utsname is plain bytes, so all-zero is a valid value.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a live, writable utsname, all uname writes into.
    if unsafe { libc::uname(&mut u) } != 0 {
        return std::env::consts::OS.to_string();
    }
    let text = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    format!(
        "{} {} {}",
        text(&u.sysname),
        text(&u.release),
        text(&u.machine)
    )
}

/// Physical memory of the machine, in bytes (0 if unknown).
fn total_system_memory() -> usize {
    // SAFETY: sysconf has no preconditions.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages <= 0 || size <= 0 {
        return 0;
    }
    (pages as usize).saturating_mul(size as usize)
}

/// Redis's `redis_build_id`: a fingerprint of the build, here of the
/// version, in 16 hexadecimal digits.
fn build_id() -> String {
    use sha1::Digest;
    let digest = sha1::Sha1::digest(concat!("kvstore-", env!("CARGO_PKG_VERSION")).as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
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
