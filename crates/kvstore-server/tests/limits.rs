//! Resource limits over TCP: `maxmemory` with each eviction policy and the
//! OOM reply, `used_memory` following the data, and the connection
//! limits. Each test runs the server binary in a process of its own, since
//! memory figures are process-wide.

mod common;
mod spawn;

use std::time::Duration;

use common::{eventually, info_field, Raw};
use spawn::Running;

fn start(args: &[&str]) -> (tempfile::TempDir, Running) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all = vec!["--port", "0"];
    if !args.contains(&"--reply-mode") {
        all.extend_from_slice(&["--reply-mode", "redis"]);
    }
    all.extend_from_slice(args);
    let server = spawn::start(dir.path(), &all);
    (dir, server)
}

fn used(con: &mut Raw) -> u64 {
    info_field(con, "memory", "used_memory")
}

/// Sends every command first, then reads every reply (returned in order).
fn pipeline(con: &mut Raw, cmds: &[Vec<String>]) -> Vec<String> {
    for c in cmds {
        let words: Vec<&str> = c.iter().map(String::as_str).collect();
        con.send(&words);
    }
    cmds.iter()
        .map(|_| String::from_utf8_lossy(&con.read_reply()).into_owned())
        .collect()
}

fn words(ws: &[&str]) -> Vec<String> {
    ws.iter().map(|w| w.to_string()).collect()
}

/// `n` keys `{prefix}{i}` of `size` bytes each, with `EX ttl` if given.
fn fill(con: &mut Raw, prefix: &str, n: usize, size: usize, ttl: Option<&dyn Fn(usize) -> u64>) {
    let value = "x".repeat(size);
    let cmds: Vec<Vec<String>> = (0..n)
        .map(|i| {
            let mut c = words(&["SET", &format!("{prefix}{i}"), &value]);
            if let Some(t) = ttl {
                c.extend(words(&["EX", &t(i).to_string()]));
            }
            c
        })
        .collect();
    for r in pipeline(con, &cmds) {
        assert_eq!(r, "+OK\r\n");
    }
}

fn exists(con: &mut Raw, key: &str) -> bool {
    con.cmd(&["EXISTS", key]) == ":1\r\n"
}

/// Caps memory `over` bytes below what is used now, so that the next
/// command must evict about that much, runs one, and lifts the cap.
fn squeeze(con: &mut Raw, over: u64) {
    let now = used(con);
    assert_eq!(
        con.cmd(&["CONFIG", "SET", "maxmemory", &(now - over).to_string()]),
        "+OK\r\n"
    );
    assert_eq!(con.cmd(&["PING"]), "+PONG\r\n");
    // No more evictions from here, so that what the test then reads is
    // what that one command did.
    assert_eq!(con.cmd(&["CONFIG", "SET", "maxmemory", "0"]), "+OK\r\n");
}

/// Lets the LRU clock (250 ms ticks) move on, so that what is read after
/// this ranks as more recent than what was written before.
fn next_lru_tick() {
    std::thread::sleep(Duration::from_millis(600));
}

#[test]
fn noeviction_refuses_writes_with_redis_text_but_serves_reads_and_deletes() {
    let (_dir, server) = start(&[]);
    let mut con = Raw::connect(server.addr);
    assert_eq!(con.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(
        con.cmd(&["CONFIG", "GET", "maxmemory-policy"]),
        "*2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n"
    );
    assert_eq!(con.cmd(&["CONFIG", "SET", "maxmemory", "1"]), "+OK\r\n");
    let oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
    assert_eq!(con.cmd(&["SET", "k2", "v"]), oom);
    assert_eq!(con.cmd(&["RPUSH", "l", "a"]), oom);
    assert_eq!(con.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(con.cmd(&["DEL", "k"]), ":1\r\n");
    assert_eq!(con.cmd(&["INCR", "n"]), oom);
    assert_eq!(info_field(&mut con, "stats", "evicted_keys"), 0);
    // Queued writes are refused too; EXEC of the doomed transaction fails.
    assert_eq!(con.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(con.cmd(&["SET", "k", "v"]), oom);
    assert!(con.cmd(&["EXEC"]).starts_with("-EXECABORT"));
    // A script may not start writing either; reads and deletes go on.
    let refused = con.cmd(&["EVAL", "return redis.call('set','x','y')", "0"]);
    assert!(
        refused.starts_with("-OOM command not allowed when used memory > 'maxmemory'. script: "),
        "{refused}"
    );
    assert_eq!(
        con.cmd(&["EVAL", "return redis.pcall('set','x','y')", "0"]),
        oom
    );
    assert_eq!(
        con.cmd(&[
            "EVAL",
            "redis.call('del','nothing'); return redis.call('get','x')",
            "0"
        ]),
        "$-1\r\n"
    );
    // Lifting the cap lets writes through again.
    assert_eq!(con.cmd(&["CONFIG", "SET", "maxmemory", "0"]), "+OK\r\n");
    assert_eq!(con.cmd(&["SET", "k2", "v"]), "+OK\r\n");
}

#[test]
fn maxmemory_settings_parse_as_redis_does() {
    let (_dir, server) = start(&["--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru"]);
    let mut con = Raw::connect(server.addr);
    let get = |con: &mut Raw, name: &str| -> String {
        let r = con.cmd(&["CONFIG", "GET", name]);
        r.lines().nth(4).unwrap_or_default().to_string()
    };
    assert_eq!(get(&mut con, "maxmemory"), "104857600");
    assert_eq!(get(&mut con, "maxmemory-policy"), "allkeys-lru");
    assert_eq!(get(&mut con, "maxmemory-samples"), "5");
    assert_eq!(get(&mut con, "maxmemory-eviction-tenacity"), "10");
    assert_eq!(get(&mut con, "lfu-log-factor"), "10");
    assert_eq!(get(&mut con, "lfu-decay-time"), "1");
    assert_eq!(con.cmd(&["CONFIG", "SET", "maxmemory", "1g"]), "+OK\r\n");
    assert_eq!(get(&mut con, "maxmemory"), "1000000000");
    assert_eq!(
        con.cmd(&["CONFIG", "SET", "maxmemory", "1.5mb"]),
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n"
    );
    assert_eq!(
        con.cmd(&["CONFIG", "SET", "maxmemory-policy", "lru"]),
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction\r\n"
    );
    assert_eq!(
        con.cmd(&["CONFIG", "SET", "maxmemory-eviction-tenacity", "101"]),
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-eviction-tenacity') - argument must be between 0 and 100 inclusive\r\n"
    );
    assert_eq!(
        con.cmd(&["CONFIG", "SET", "lazyfree-lazy-user-del", "maybe"]),
        "-ERR CONFIG SET failed (possibly related to argument 'lazyfree-lazy-user-del') - argument must be 'yes' or 'no'\r\n"
    );
    assert_eq!(
        con.cmd(&["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"]),
        "+OK\r\n"
    );
    assert_eq!(info_field(&mut con, "memory", "maxmemory"), 1_000_000_000);
}

#[test]
fn used_memory_follows_the_data_down_after_deletes() {
    let (_dir, server) = start(&[]);
    let mut con = Raw::connect(server.addr);
    let before = used(&mut con);
    fill(&mut con, "big:", 200, 100_000, None);
    let full = used(&mut con);
    assert!(full >= before + 18_000_000, "{before} -> {full}");
    let keys: Vec<String> = (0..200).map(|i| format!("big:{i}")).collect();
    let mut del = vec!["DEL"];
    del.extend(keys.iter().map(String::as_str));
    assert_eq!(con.cmd(&del), ":200\r\n");
    let after = used(&mut con);
    assert!(after <= before + 2_000_000, "{before} -> {full} -> {after}");
}

#[test]
fn allkeys_lru_evicts_the_least_recently_used() {
    let (_dir, server) = start(&[
        "--maxmemory-policy",
        "allkeys-lru",
        "--maxmemory-samples",
        "10",
    ]);
    let mut con = Raw::connect(server.addr);
    fill(&mut con, "cold:", 100, 10_000, None);
    fill(&mut con, "hot:", 10, 10_000, None);
    next_lru_tick();
    for i in 0..10 {
        assert!(exists(&mut con, &format!("hot:{i}")));
    }
    squeeze(&mut con, 300_000);
    let evicted = info_field(&mut con, "stats", "evicted_keys");
    assert!(evicted >= 20, "evicted {evicted}");
    for i in 0..10 {
        assert!(exists(&mut con, &format!("hot:{i}")), "hot:{i} was evicted");
    }
}

#[test]
fn allkeys_lfu_evicts_the_least_frequently_used() {
    let (_dir, server) = start(&[
        "--maxmemory-policy",
        "allkeys-lfu",
        "--maxmemory-samples",
        "10",
        // Every access counts, so the ranking does not depend on chance.
        "--lfu-log-factor",
        "0",
    ]);
    let mut con = Raw::connect(server.addr);
    fill(&mut con, "hot:", 10, 10_000, None);
    fill(&mut con, "cold:", 100, 10_000, None);
    for _ in 0..20 {
        let cmds: Vec<Vec<String>> = (0..10)
            .map(|i| words(&["EXISTS", &format!("hot:{i}")]))
            .collect();
        pipeline(&mut con, &cmds);
    }
    squeeze(&mut con, 300_000);
    assert!(info_field(&mut con, "stats", "evicted_keys") >= 20);
    for i in 0..10 {
        assert!(exists(&mut con, &format!("hot:{i}")), "hot:{i} was evicted");
    }
}

#[test]
fn allkeys_random_evicts_until_memory_fits() {
    let (_dir, server) = start(&["--maxmemory-policy", "allkeys-random"]);
    let mut con = Raw::connect(server.addr);
    fill(&mut con, "k:", 100, 10_000, None);
    squeeze(&mut con, 300_000);
    let evicted = info_field(&mut con, "stats", "evicted_keys");
    assert!(evicted >= 20, "evicted {evicted}");
    let left = con.cmd(&["DBSIZE"]);
    assert_eq!(left, format!(":{}\r\n", 100 - evicted));
}

/// Under a volatile policy only keys with a deadline go.
fn volatile_policy_spares_keys_without_ttl(policy: &str) {
    let (_dir, server) = start(&["--maxmemory-policy", policy]);
    let mut con = Raw::connect(server.addr);
    fill(&mut con, "keep:", 50, 10_000, None);
    fill(&mut con, "ttl:", 50, 10_000, Some(&|_| 1000));
    squeeze(&mut con, 200_000);
    let evicted = info_field(&mut con, "stats", "evicted_keys");
    assert!(evicted >= 10, "{policy}: evicted {evicted}");
    for i in 0..50 {
        assert!(exists(&mut con, &format!("keep:{i}")), "{policy}: keep:{i}");
    }
    // With no key left that has a deadline, writes are refused.
    assert_eq!(
        con.cmd(&["CONFIG", "SET", "maxmemory", "1"]),
        "+OK\r\n",
        "{policy}"
    );
    // (A run of evictions may stop for time and let a command through;
    // the next ones go on.)
    let oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
    assert!(
        (0..20).any(|_| con.cmd(&["SET", "x", "y"]) == oom),
        "{policy}: never refused"
    );
    assert_eq!(con.cmd(&["DEL", "x"]).len(), 4);
    assert_eq!(con.cmd(&["DBSIZE"]), ":50\r\n", "{policy}");
}

#[test]
fn volatile_lru_spares_keys_without_ttl() {
    volatile_policy_spares_keys_without_ttl("volatile-lru");
}

#[test]
fn volatile_lfu_spares_keys_without_ttl() {
    volatile_policy_spares_keys_without_ttl("volatile-lfu");
}

#[test]
fn volatile_random_spares_keys_without_ttl() {
    volatile_policy_spares_keys_without_ttl("volatile-random");
}

#[test]
fn volatile_ttl_evicts_the_nearest_deadlines_first() {
    // Samples enough to see every key: the choice is then exact.
    let (_dir, server) = start(&[
        "--maxmemory-policy",
        "volatile-ttl",
        "--maxmemory-samples",
        "200",
    ]);
    let mut con = Raw::connect(server.addr);
    fill(&mut con, "keep:", 20, 10_000, None);
    fill(
        &mut con,
        "ttl:",
        60,
        10_000,
        Some(&|i| 1000 + i as u64 * 100),
    );
    squeeze(&mut con, 200_000);
    let evicted = info_field(&mut con, "stats", "evicted_keys") as usize;
    assert!((10..60).contains(&evicted), "evicted {evicted}");
    for i in 0..60 {
        assert_eq!(
            exists(&mut con, &format!("ttl:{i}")),
            i >= evicted,
            "ttl:{i} with {evicted} evicted"
        );
    }
    for i in 0..20 {
        assert!(exists(&mut con, &format!("keep:{i}")));
    }
}

#[test]
fn evictions_are_announced_and_touch_watched_keys() {
    let (_dir, server) = start(&[
        "--maxmemory-policy",
        "allkeys-random",
        "--notify-keyspace-events",
        "Ee",
    ]);
    let mut sub = Raw::connect(server.addr);
    sub.cmd(&["SUBSCRIBE", "__keyevent@0__:evicted"]);
    let mut watcher = Raw::connect(server.addr);
    let mut con = Raw::connect(server.addr);
    fill(&mut con, "k:", 1, 2_000_000, None);
    assert_eq!(watcher.cmd(&["WATCH", "k:0"]), "+OK\r\n");
    squeeze(&mut con, 1_000_000);
    assert_eq!(info_field(&mut con, "stats", "evicted_keys"), 1);
    assert_eq!(con.cmd(&["EXISTS", "k:0"]), ":0\r\n");
    let msg = String::from_utf8_lossy(&sub.read_reply()).into_owned();
    assert!(
        msg.contains("__keyevent@0__:evicted") && msg.contains("k:0"),
        "{msg}"
    );
    assert_eq!(watcher.cmd(&["CONFIG", "SET", "maxmemory", "0"]), "+OK\r\n");
    watcher.cmd(&["MULTI"]);
    watcher.cmd(&["SET", "k:0", "new"]);
    assert_eq!(
        watcher.cmd(&["EXEC"]),
        "*-1\r\n",
        "the watch saw the eviction"
    );
}

#[test]
fn an_idle_client_is_closed_after_timeout_but_a_subscriber_is_not() {
    let (_dir, server) = start(&["--timeout", "1"]);
    let mut idle = Raw::connect(server.addr);
    let mut sub = Raw::connect(server.addr);
    sub.cmd(&["SUBSCRIBE", "c"]);
    assert_eq!(idle.cmd(&["PING"]), "+PONG\r\n");
    // The read times out after 10 s (Raw's limit): closed well before.
    assert!(idle.is_closed(), "the idle client was closed");
    let mut con = Raw::connect(server.addr);
    assert_eq!(
        con.cmd(&["PUBLISH", "c", "m"]),
        ":1\r\n",
        "the subscriber stays"
    );
    assert_eq!(
        con.cmd(&["CONFIG", "GET", "timeout"]),
        "*2\r\n$7\r\ntimeout\r\n$1\r\n1\r\n"
    );
    assert_eq!(con.cmd(&["CONFIG", "SET", "timeout", "0"]), "+OK\r\n");
    assert_eq!(
        con.cmd(&["CONFIG", "GET", "tcp-keepalive"]).lines().nth(4),
        Some("300")
    );
    assert_eq!(
        con.cmd(&["CONFIG", "GET", "tcp-backlog"]).lines().nth(4),
        Some("511")
    );
}

#[test]
fn past_maxclients_a_client_is_told_and_closed() {
    let (_dir, server) = start(&["--maxclients", "2"]);
    let mut a = Raw::connect(server.addr);
    let mut b = Raw::connect(server.addr);
    assert_eq!(a.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(b.cmd(&["PING"]), "+PONG\r\n");
    for _ in 0..3 {
        let mut c = Raw::connect(server.addr);
        assert_eq!(
            String::from_utf8_lossy(&c.read_reply()),
            "-ERR max number of clients reached\r\n"
        );
        assert!(c.is_closed());
    }
    assert_eq!(info_field(&mut a, "stats", "rejected_connections"), 3);
    drop(b);
    // The slot comes back once the server has seen the close.
    assert!(eventually(Duration::from_secs(10), || {
        let mut c = Raw::connect(server.addr);
        c.cmd(&["PING"]) == "+PONG\r\n"
    }));
}

/// A server asking for `--maxclients 1000` under `prlimit --nofile=LIMITS`,
/// with what it logged while starting.
fn with_nofile(prlimit: &std::path::Path, limits: &str) -> (tempfile::TempDir, Running, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let nofile = format!("--nofile={limits}");
    let wrapper = [prlimit.to_str().expect("path"), nofile.as_str(), "--"];
    let (server, log) = spawn::start_under(
        dir.path(),
        &wrapper,
        &[
            "--port",
            "0",
            "--reply-mode",
            "redis",
            "--maxclients",
            "1000",
        ],
    );
    (dir, server, log.join("\n"))
}

#[test]
fn maxclients_is_lowered_to_fit_a_low_descriptor_limit() {
    let Some(prlimit) = common::tool("prlimit") else {
        return;
    };
    let (_dir, server, log) = with_nofile(&prlimit, "100:100");
    assert!(
        log.contains("maxclients has been reduced to 68 to compensate for low ulimit"),
        "{log}"
    );
    let mut con = Raw::connect(server.addr);
    assert_eq!(
        con.cmd(&["CONFIG", "GET", "maxclients"]).lines().nth(4),
        Some("68")
    );
    // Every client past the fitted limit is still answered, never left
    // hanging for want of a descriptor.
    let mut held: Vec<Raw> = Vec::new();
    let mut refused = 0;
    for _ in 0..80 {
        let mut c = Raw::connect(server.addr);
        if c.cmd(&["PING"]) == "+PONG\r\n" {
            held.push(c);
        } else {
            refused += 1;
        }
    }
    assert_eq!(held.len(), 67, "with the first one, 68 fit");
    assert_eq!(refused, 13);
}

#[test]
fn the_descriptor_limit_is_raised_when_allowed() {
    let Some(prlimit) = common::tool("prlimit") else {
        return;
    };
    // Soft 100, hard 5000: the server may raise its own soft limit.
    let (_dir, server, log) = with_nofile(&prlimit, "100:5000");
    assert!(
        log.contains(
            "Increased maximum number of open files to 1032 (it was originally set to 100)"
        ),
        "{log}"
    );
    let mut con = Raw::connect(server.addr);
    assert_eq!(
        con.cmd(&["CONFIG", "GET", "maxclients"]).lines().nth(4),
        Some("1000")
    );
}

#[test]
fn a_normal_client_past_its_output_hard_limit_is_disconnected() {
    let (_dir, server) = start(&["--client-output-buffer-limit", "normal 1mb 0 0"]);
    let mut con = Raw::connect(server.addr);
    assert_eq!(
        con.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]),
        "*2\r\n$26\r\nclient-output-buffer-limit\r\n$73\r\nnormal 1048576 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60\r\n"
    );
    fill(&mut con, "big", 1, 600_000, None);
    // One value fits under the limit; two in one reply do not.
    assert!(con.cmd(&["MGET", "big0"]).starts_with("*1\r\n$600000\r\n"));
    con.send(&["MGET", "big0", "big0"]);
    assert!(con.is_closed(), "closed without the reply");
    let mut other = Raw::connect(server.addr);
    assert_eq!(other.cmd(&["PING"]), "+PONG\r\n");
    // Back to Redis's default for the class: no limit.
    assert_eq!(
        other.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 0 0 0"
        ]),
        "+OK\r\n"
    );
    let reply = other.cmd(&["MGET", "big0", "big0"]);
    assert_eq!(reply.len(), 4 + 2 * (9 + 600_000 + 2));
}

#[test]
fn a_request_is_bounded_by_its_decoded_size() {
    // Nested typed values are the seed dialect's (Redis clients send only
    // bulk strings).
    let (_dir, server) = start(&[
        "--client-query-buffer-limit",
        "64mb",
        "--reply-mode",
        "seed",
    ]);
    let mut con = Raw::connect(server.addr);
    let before = used(&mut con);
    // ECHO of a nested array of four million `:0`, 16 MiB on the wire:
    // some 150 MiB as values, past the 64 MiB limit.
    let mut wire = Vec::with_capacity(17 << 20);
    wire.extend_from_slice(b"*2\r\n$4\r\nECHO\r\n*4\r\n");
    for _ in 0..4 {
        wire.extend_from_slice(b"*1048576\r\n");
        for _ in 0..1_048_576 {
            wire.extend_from_slice(b":0\r\n");
        }
    }
    let mut stream = con.into_stream();
    // The server may hang up before it has read all of it.
    let _ = std::io::Write::write_all(&mut stream, &wire);
    let mut reply = Vec::new();
    let _ = std::io::Read::read_to_end(&mut stream, &mut reply);
    assert_eq!(
        String::from_utf8_lossy(&reply),
        "-ERR Protocol error: query buffer limit of 67108864 bytes exceeded\r\n"
    );
    let mut other = Raw::connect(server.addr);
    let peak = info_field(&mut other, "memory", "used_memory_peak");
    assert!(
        peak < before + 3 * wire.len() as u64,
        "the request cost {} bytes at its peak, for {} on the wire",
        peak - before,
        wire.len()
    );
    // The same nesting within the bound is served.
    let small = b"*2\r\n$4\r\nECHO\r\n*2\r\n*1\r\n:0\r\n:5\r\n";
    other.send_raw(small);
    assert_eq!(other.read_reply(), b"*2\r\n*1\r\n:0\r\n:5\r\n");
}

#[test]
fn unlink_of_a_million_elements_returns_and_frees_in_the_background() {
    let (_dir, server) = start(&[]);
    let mut con = Raw::connect(server.addr);
    let before = used(&mut con);
    for key in ["big", "big2"] {
        for chunk in 0..100 {
            let members: Vec<String> = (0..10_000).map(|i| format!("m{chunk}:{i}")).collect();
            let mut words = vec!["RPUSH", key];
            words.extend(members.iter().map(String::as_str));
            assert!(con.cmd(&words).starts_with(':'));
        }
    }
    assert_eq!(con.cmd(&["LLEN", "big"]), ":1000000\r\n");
    let full = used(&mut con);
    assert!(full > before + 10_000_000, "{before} -> {full}");
    con.send(&["UNLINK", "big"]);
    let mut other = Raw::connect(server.addr);
    assert_eq!(other.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(con.read_reply(), b":1\r\n");
    assert_eq!(con.cmd(&["EXISTS", "big"]), ":0\r\n");
    // DEL frees lazily too once lazyfree-lazy-user-del says so.
    con.cmd(&["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"]);
    assert_eq!(con.cmd(&["DEL", "big2"]), ":1\r\n");
    assert!(
        eventually(Duration::from_secs(30), || used(&mut con)
            < before + 5_000_000),
        "the memory came back"
    );
}

#[test]
fn an_idle_connection_holds_no_buffers() {
    let (_dir, server) = start(&[]);
    let mut con = Raw::connect(server.addr);
    let before = used(&mut con);
    let mut idle: Vec<Raw> = (0..200).map(|_| Raw::connect(server.addr)).collect();
    for c in &mut idle {
        assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    }
    let each = (used(&mut con) - before) / 200;
    // The session and the task only: the 16 KiB read buffer and the write
    // buffer go back to the worker thread while a client is quiet.
    eprintln!("{each} bytes per idle connection");
    assert!(each < 8 * 1024, "{each} bytes per idle connection");
    // Half a request is kept across the wait, with the buffer holding it.
    for c in &mut idle {
        c.send_raw(b"*1\r\n$4\r\nPI");
    }
    assert_eq!(con.cmd(&["PING"]), "+PONG\r\n");
    for c in &mut idle {
        c.send_raw(b"NG\r\n");
        assert_eq!(String::from_utf8_lossy(&c.read_reply()), "+PONG\r\n");
    }
}

/// An idle server with no data is small: its live allocations are the
/// databases' empty shard tables (about 1 MiB) and little else, with many
/// worker threads too, since nothing is sized ahead of the data; and the
/// anonymous part of its resident memory (the binary's own pages aside,
/// which a debug build inflates) is far below 20 MB.
#[test]
fn an_idle_server_is_small() {
    let (_dir, server) = start(&["--threads", "16", "--save", ""]);
    let mut con = Raw::connect(server.addr);
    assert_eq!(con.cmd(&["PING"]), "+PONG\r\n");
    let live = used(&mut con);
    assert!(live < 3 << 20, "{live} bytes allocated by an idle server");
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id()))
        .expect("the server's status");
    let anon_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .expect("RssAnon");
    assert!(
        anon_kb < 20_000,
        "{anon_kb} kB of anonymous memory resident"
    );
}
