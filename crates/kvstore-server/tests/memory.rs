//! Memory follows the data: once keys are deleted or flushed, the tables
//! that held them shrink and the process's resident memory goes back to
//! the system, with no further request needed. Each test runs the server
//! binary in a process of its own, since memory figures are process-wide,
//! and reads its resident memory from /proc, which sends it nothing. And
//! loading the data at start-up takes little more than the data itself.

mod common;
mod spawn;

use std::time::Duration;

use common::{eventually, info_field, Raw};
use spawn::Running;

fn start(args: &[&str]) -> (tempfile::TempDir, Running) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_in(dir.path(), args);
    (dir, server)
}

fn start_in(dir: &std::path::Path, args: &[&str]) -> Running {
    let mut all = vec!["--port", "0", "--reply-mode", "redis", "--save", ""];
    all.extend_from_slice(args);
    spawn::start(dir, &all)
}

/// The server's resident anonymous memory in bytes (its heap, stacks and
/// the like; not the binary's pages, which a debug build inflates).
fn anon(server: &Running) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id()))
        .expect("the server's status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .expect("RssAnon");
    kb * 1024
}

/// `n` keys `key:{i}` with 100-byte values, pipelined 10,000 at a time.
fn fill(con: &mut Raw, n: usize) {
    let value = "v".repeat(100);
    for start in (0..n).step_by(10_000) {
        let end = (start + 10_000).min(n);
        for i in start..end {
            con.send(&["SET", &format!("key:{i}"), &value]);
        }
        for _ in start..end {
            assert_eq!(con.read_reply(), b"+OK\r\n");
        }
    }
}

/// Deletes what [`fill`] stored, pipelined the same way.
fn delete_all(con: &mut Raw, n: usize) {
    for start in (0..n).step_by(10_000) {
        let end = (start + 10_000).min(n);
        for i in start..end {
            con.send(&["DEL", &format!("key:{i}")]);
        }
        for _ in start..end {
            assert_eq!(con.read_reply(), b":1\r\n");
        }
    }
}

const KEYS: usize = 300_000;

/// How long the memory may take to come back. Not a speed requirement
/// (the reclaimer looks 5 times a second): it is under the 10 s after
/// which the runtime ends an idle helper thread, whose exit frees its
/// pages, so that this tests the reclaimer and not that.
const WITHIN: Duration = Duration::from_secs(5);

/// Loads [`KEYS`] keys and returns the anonymous memory before and after.
fn loaded(server: &Running, con: &mut Raw) -> (u64, u64) {
    assert_eq!(con.cmd(&["PING"]), "+PONG\r\n");
    let fresh = anon(server);
    fill(con, KEYS);
    let full = anon(server);
    assert!(full > fresh + (30 << 20), "{fresh} -> {full}");
    (fresh, full)
}

/// True once the memory the keys took is mostly back: less than a
/// quarter of it still resident.
fn mostly_back(server: &Running, fresh: u64, full: u64) -> bool {
    anon(server) < fresh + (full - fresh) / 4
}

#[test]
fn deleting_every_key_shrinks_the_tables_and_gives_the_memory_back() {
    let (_dir, server) = start(&[]);
    let mut con = Raw::connect(server.addr);
    let before = info_field(&mut con, "memory", "used_memory");
    let (fresh, full) = loaded(&server, &mut con);
    delete_all(&mut con, KEYS);
    // Nothing is sent from here until the memory is back.
    assert!(
        eventually(WITHIN, || mostly_back(&server, fresh, full)),
        "resident {} after deleting every key, {fresh} fresh, {full} loaded",
        anon(&server)
    );
    // The tables' blocks went with the keys: what is live is what was
    // before the keys came (300,000 keys' tables take about 5 MiB).
    let after = info_field(&mut con, "memory", "used_memory");
    assert!(
        after < before + (1 << 20),
        "{before} bytes used before the keys, {after} after they all went"
    );
}

#[test]
fn flushall_gives_the_memory_back_at_once() {
    let (_dir, server) = start(&[]);
    let mut con = Raw::connect(server.addr);
    let (fresh, full) = loaded(&server, &mut con);
    assert_eq!(con.cmd(&["FLUSHALL", "SYNC"]), "+OK\r\n");
    // A synchronous flush purges before it answers; only pages another
    // worker still owns wait for it to go idle.
    assert!(
        eventually(WITHIN, || mostly_back(&server, fresh, full)),
        "resident {} after FLUSHALL, {fresh} fresh, {full} loaded",
        anon(&server)
    );
    // The kernel's figure is what INFO reports as used_memory_rss.
    let rss = info_field(&mut con, "memory", "used_memory_rss");
    assert!(rss < full, "used_memory_rss {rss}, loaded {full}");
}

#[test]
fn a_lazy_flush_gives_the_memory_back_when_the_background_free_ends() {
    let (_dir, server) = start(&[]);
    let mut con = Raw::connect(server.addr);
    let (fresh, full) = loaded(&server, &mut con);
    assert_eq!(con.cmd(&["FLUSHALL", "ASYNC"]), "+OK\r\n");
    assert!(
        eventually(WITHIN, || mostly_back(&server, fresh, full)),
        "resident {} after FLUSHALL ASYNC, {fresh} fresh, {full} loaded",
        anon(&server)
    );
}

/// Replaying the append-only file reads it a few MiB at a time: the
/// highest the live bytes reach while loading is little above what the
/// loaded keys take (the whole log in memory beside them would be about
/// as much again as the keys).
#[test]
fn replaying_the_log_peaks_little_above_the_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Every write stays in the log's incremental file: no rewrite folds
    // it into a snapshot, which loads a chunk at a time already.
    let args = ["--appendonly", "--auto-aof-rewrite-percentage", "0"];
    let server = start_in(dir.path(), &args);
    let mut con = Raw::connect(server.addr);
    fill(&mut con, KEYS);
    drop(con);
    assert!(server.stop().success());
    let server = start_in(dir.path(), &args);
    let mut con = Raw::connect(server.addr);
    assert!(
        eventually(Duration::from_secs(60), || con.cmd(&["PING"])
            == "+PONG\r\n"),
        "the log never finished loading"
    );
    assert_eq!(con.cmd(&["DBSIZE"]), format!(":{KEYS}\r\n"));
    let used = info_field(&mut con, "memory", "used_memory");
    let peak = info_field(&mut con, "memory", "used_memory_peak");
    eprintln!("used {used}, peak {peak} after loading {KEYS} keys");
    assert!(
        peak * 10 <= used * 12,
        "loading peaked at {peak} bytes for {used} bytes of data"
    );
}
