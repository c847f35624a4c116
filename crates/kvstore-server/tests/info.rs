//! INFO over TCP: every field Redis 7 shows, in each section, in Redis's
//! order, and the counters behind them moving.

mod common;

use std::net::SocketAddr;

use common::Raw;
use kvstore_server::BackgroundServer;

/// Every field redis-server 7.0.15 shows per section (with no replicas,
/// the AOF off and nothing loading), in its order.
const REDIS_FIELDS: &[(&str, &[&str])] = &[
    (
        "server",
        &[
            "redis_version",
            "redis_git_sha1",
            "redis_git_dirty",
            "redis_build_id",
            "redis_mode",
            "os",
            "arch_bits",
            "monotonic_clock",
            "multiplexing_api",
            "atomicvar_api",
            "gcc_version",
            "process_id",
            "process_supervised",
            "run_id",
            "tcp_port",
            "server_time_usec",
            "uptime_in_seconds",
            "uptime_in_days",
            "hz",
            "configured_hz",
            "lru_clock",
            "executable",
            "config_file",
            "io_threads_active",
        ],
    ),
    (
        "clients",
        &[
            "connected_clients",
            "cluster_connections",
            "maxclients",
            "client_recent_max_input_buffer",
            "client_recent_max_output_buffer",
            "blocked_clients",
            "tracking_clients",
            "clients_in_timeout_table",
        ],
    ),
    (
        "memory",
        &[
            "used_memory",
            "used_memory_human",
            "used_memory_rss",
            "used_memory_rss_human",
            "used_memory_peak",
            "used_memory_peak_human",
            "used_memory_peak_perc",
            "used_memory_overhead",
            "used_memory_startup",
            "used_memory_dataset",
            "used_memory_dataset_perc",
            "allocator_allocated",
            "allocator_active",
            "allocator_resident",
            "total_system_memory",
            "total_system_memory_human",
            "used_memory_lua",
            "used_memory_vm_eval",
            "used_memory_lua_human",
            "used_memory_scripts_eval",
            "number_of_cached_scripts",
            "number_of_functions",
            "number_of_libraries",
            "used_memory_vm_functions",
            "used_memory_vm_total",
            "used_memory_vm_total_human",
            "used_memory_functions",
            "used_memory_scripts",
            "used_memory_scripts_human",
            "maxmemory",
            "maxmemory_human",
            "maxmemory_policy",
            "allocator_frag_ratio",
            "allocator_frag_bytes",
            "allocator_rss_ratio",
            "allocator_rss_bytes",
            "rss_overhead_ratio",
            "rss_overhead_bytes",
            "mem_fragmentation_ratio",
            "mem_fragmentation_bytes",
            "mem_not_counted_for_evict",
            "mem_replication_backlog",
            "mem_total_replication_buffers",
            "mem_clients_slaves",
            "mem_clients_normal",
            "mem_cluster_links",
            "mem_aof_buffer",
            "mem_allocator",
            "active_defrag_running",
            "lazyfree_pending_objects",
            "lazyfreed_objects",
        ],
    ),
    (
        "persistence",
        &[
            "loading",
            "async_loading",
            "current_cow_peak",
            "current_cow_size",
            "current_cow_size_age",
            "current_fork_perc",
            "current_save_keys_processed",
            "current_save_keys_total",
            "rdb_changes_since_last_save",
            "rdb_bgsave_in_progress",
            "rdb_last_save_time",
            "rdb_last_bgsave_status",
            "rdb_last_bgsave_time_sec",
            "rdb_current_bgsave_time_sec",
            "rdb_saves",
            "rdb_last_cow_size",
            "rdb_last_load_keys_expired",
            "rdb_last_load_keys_loaded",
            "aof_enabled",
            "aof_rewrite_in_progress",
            "aof_rewrite_scheduled",
            "aof_last_rewrite_time_sec",
            "aof_current_rewrite_time_sec",
            "aof_last_bgrewrite_status",
            "aof_rewrites",
            "aof_rewrites_consecutive_failures",
            "aof_last_write_status",
            "aof_last_cow_size",
            "module_fork_in_progress",
            "module_fork_last_cow_size",
        ],
    ),
    (
        "stats",
        &[
            "total_connections_received",
            "total_commands_processed",
            "instantaneous_ops_per_sec",
            "total_net_input_bytes",
            "total_net_output_bytes",
            "total_net_repl_input_bytes",
            "total_net_repl_output_bytes",
            "instantaneous_input_kbps",
            "instantaneous_output_kbps",
            "instantaneous_input_repl_kbps",
            "instantaneous_output_repl_kbps",
            "rejected_connections",
            "sync_full",
            "sync_partial_ok",
            "sync_partial_err",
            "expired_keys",
            "expired_stale_perc",
            "expired_time_cap_reached_count",
            "expire_cycle_cpu_milliseconds",
            "evicted_keys",
            "evicted_clients",
            "total_eviction_exceeded_time",
            "current_eviction_exceeded_time",
            "keyspace_hits",
            "keyspace_misses",
            "pubsub_channels",
            "pubsub_patterns",
            "pubsubshard_channels",
            "latest_fork_usec",
            "total_forks",
            "migrate_cached_sockets",
            "slave_expires_tracked_keys",
            "active_defrag_hits",
            "active_defrag_misses",
            "active_defrag_key_hits",
            "active_defrag_key_misses",
            "total_active_defrag_time",
            "current_active_defrag_time",
            "tracking_total_keys",
            "tracking_total_items",
            "tracking_total_prefixes",
            "unexpected_error_replies",
            "total_error_replies",
            "dump_payload_sanitizations",
            "total_reads_processed",
            "total_writes_processed",
            "io_threaded_reads_processed",
            "io_threaded_writes_processed",
            "reply_buffer_shrinks",
            "reply_buffer_expands",
        ],
    ),
    (
        "replication",
        &[
            "role",
            "connected_slaves",
            "master_failover_state",
            "master_replid",
            "master_replid2",
            "master_repl_offset",
            "second_repl_offset",
            "repl_backlog_active",
            "repl_backlog_size",
            "repl_backlog_first_byte_offset",
            "repl_backlog_histlen",
        ],
    ),
    (
        "cpu",
        &[
            "used_cpu_sys",
            "used_cpu_user",
            "used_cpu_sys_children",
            "used_cpu_user_children",
            "used_cpu_sys_main_thread",
            "used_cpu_user_main_thread",
        ],
    ),
    ("modules", &[]),
    ("commandstats", &[]),
    ("errorstats", &[]),
    ("latencystats", &[]),
    ("cluster", &["cluster_enabled"]),
    ("keyspace", &[]),
];

fn resp2(addr: SocketAddr) -> Raw {
    let mut c = Raw::connect(addr);
    assert!(c.cmd(&["HELLO", "2"]).starts_with('*'));
    c
}

/// The sections of an INFO reply: title (lower case) and field names.
fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("# ") {
            out.push((title.to_ascii_lowercase(), Vec::new()));
        } else if let (Some((name, _)), Some(last)) = (line.split_once(':'), out.last_mut()) {
            last.1.push(name.to_string());
        }
    }
    out
}

fn field(c: &mut Raw, section: &str, name: &str) -> String {
    let text = c.cmd(&["INFO", section]);
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {name} in INFO {section}"))
}

fn number(c: &mut Raw, section: &str, name: &str) -> u64 {
    let v = field(c, section, name);
    v.parse().unwrap_or_else(|_| panic!("{name}:{v}"))
}

#[test]
fn every_redis_field_is_there_in_redis_order() {
    let server = BackgroundServer::start();
    let mut c = resp2(server.addr());
    let everything = sections(&c.cmd(&["INFO", "everything"]));
    let titles: Vec<&str> = everything.iter().map(|(t, _)| t.as_str()).collect();
    let expected: Vec<&str> = REDIS_FIELDS.iter().map(|(s, _)| *s).collect();
    assert_eq!(titles, expected, "sections, in Redis's order");
    for (section, names) in REDIS_FIELDS {
        let (_, have) = everything
            .iter()
            .find(|(t, _)| t == section)
            .unwrap_or_else(|| panic!("no # {section}"));
        // Redis's fields, each present and in Redis's order (kvstore may
        // add its own between them).
        let mut at = 0;
        for name in *names {
            match have[at..].iter().position(|h| h == name) {
                Some(i) => at += i + 1,
                None => panic!("{section}: {name} missing or out of order; have {have:?}"),
            }
        }
        // The same section asked alone gives the same fields (but those
        // that list commands, which the INFO itself changes).
        let alone = sections(&c.cmd(&["INFO", section]));
        assert_eq!(alone.len(), 1, "INFO {section}");
        if !names.is_empty() {
            assert_eq!(&alone[0].1, have, "INFO {section}");
        }
    }
    // Several sections at once, in Redis's order whatever the request's.
    let two = sections(&c.cmd(&["INFO", "memory", "server"]));
    let names: Vec<&str> = two.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(names, ["server", "memory"]);
}

#[test]
fn identity_and_constants_look_like_redis() {
    let server = BackgroundServer::start();
    let mut c = resp2(server.addr());
    let run_id = field(&mut c, "server", "run_id");
    assert_eq!(run_id.len(), 40, "{run_id}");
    assert!(run_id.bytes().all(|b| b.is_ascii_hexdigit()), "{run_id}");
    assert_eq!(field(&mut c, "server", "hz"), "10");
    assert_eq!(field(&mut c, "server", "configured_hz"), "10");
    assert!(!field(&mut c, "server", "executable").is_empty());
    let replid = field(&mut c, "replication", "master_replid");
    assert_eq!(replid.len(), 40);
    assert_ne!(replid, run_id);
    assert_eq!(field(&mut c, "replication", "role"), "master");
    assert_eq!(field(&mut c, "replication", "second_repl_offset"), "-1");
    assert_eq!(field(&mut c, "cluster", "cluster_enabled"), "0");
    let ratio: f64 = field(&mut c, "memory", "mem_fragmentation_ratio")
        .parse()
        .expect("ratio");
    assert!(ratio > 0.0);
}

#[test]
fn counters_move() {
    let server = BackgroundServer::start();
    let mut c = resp2(server.addr());
    assert_eq!(c.cmd(&["SET", "here", "v"]), "+OK\r\n");
    let (hits, misses) = (
        number(&mut c, "stats", "keyspace_hits"),
        number(&mut c, "stats", "keyspace_misses"),
    );
    // The GET shortcut and the general path (MGET, EXISTS) alike.
    c.cmd(&["GET", "here"]);
    c.cmd(&["GET", "absent"]);
    c.cmd(&["MGET", "here", "absent", "absent2"]);
    c.cmd(&["EXISTS", "here"]);
    assert_eq!(number(&mut c, "stats", "keyspace_hits"), hits + 3);
    assert_eq!(number(&mut c, "stats", "keyspace_misses"), misses + 3);
    // Writes are no lookups.
    c.cmd(&["SET", "absent3", "v"]);
    assert_eq!(number(&mut c, "stats", "keyspace_misses"), misses + 3);

    let input = number(&mut c, "stats", "total_net_input_bytes");
    let output = number(&mut c, "stats", "total_net_output_bytes");
    let reads = number(&mut c, "stats", "total_reads_processed");
    let writes = number(&mut c, "stats", "total_writes_processed");
    let big = "x".repeat(10_000);
    c.cmd(&["SET", "big", &big]);
    c.cmd(&["GET", "big"]);
    assert!(number(&mut c, "stats", "total_net_input_bytes") >= input + 10_000);
    assert!(number(&mut c, "stats", "total_net_output_bytes") >= output + 10_000);
    assert!(number(&mut c, "stats", "total_reads_processed") > reads);
    assert!(number(&mut c, "stats", "total_writes_processed") > writes);
    assert!(number(&mut c, "clients", "client_recent_max_output_buffer") >= 10_000);

    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), "+OK\r\n");
    assert_eq!(number(&mut c, "stats", "keyspace_hits"), 0);
}
