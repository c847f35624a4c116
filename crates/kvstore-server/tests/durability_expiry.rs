//! Deadlines and databases across restarts: through the append-only file
//! (replayed after the deadlines passed, too) and through snapshots.

mod durability_common;

use std::path::Path;
use std::time::Duration;

use durability_common::{eventually, Conn, Proc};
use kvstore_protocol::Value;

fn int(v: Value) -> i64 {
    match v {
        Value::Integer(n) => n,
        other => panic!("not an integer: {other:?}"),
    }
}

fn ttl(conn: &mut Conn, key: &str) -> i64 {
    int(conn.cmd(&["PTTL", key]))
}

/// Keys in databases 0 and 5, with long deadlines, short ones, none, and
/// one removed with PERSIST.
fn write(conn: &mut Conn) {
    assert_eq!(conn.cmd(&["SET", "plain", "p"]), Value::Integer(1));
    assert_eq!(
        conn.cmd(&["SET", "long", "l", "EX", "1000"]),
        Value::Integer(1)
    );
    assert_eq!(
        conn.cmd(&["SET", "short", "s", "PX", "300"]),
        Value::Integer(1)
    );
    assert_eq!(conn.cmd(&["SETEX", "persisted", "1000", "x"]), Value::ok());
    assert_eq!(conn.cmd(&["PERSIST", "persisted"]), Value::Integer(1));
    assert_eq!(conn.cmd(&["SET", "relative", "r"]), Value::Integer(1));
    assert_eq!(conn.cmd(&["EXPIRE", "relative", "1000"]), Value::Integer(1));
    assert_eq!(conn.cmd(&["SELECT", "5"]), Value::ok());
    assert_eq!(
        conn.cmd(&["SET", "in5", "five", "PX", "1000000"]),
        Value::Integer(1)
    );
    assert_eq!(
        conn.cmd(&["SET", "short5", "s", "PX", "300"]),
        Value::Integer(1)
    );
    assert_eq!(conn.cmd(&["SELECT", "0"]), Value::ok());
}

/// What must hold after a restart at least 300 ms after [`write`].
fn check(conn: &mut Conn) {
    assert_eq!(conn.cmd(&["GET", "plain"]), Value::bulk("p"));
    assert_eq!(ttl(conn, "plain"), -1);
    let left = ttl(conn, "long");
    assert!(left > 900_000 && left <= 1_000_000, "long: {left}");
    let left = ttl(conn, "relative");
    assert!(
        left > 900_000 && left <= 1_000_000,
        "a relative deadline was logged as absolute: {left}"
    );
    assert_eq!(ttl(conn, "persisted"), -1);
    assert_eq!(
        conn.cmd(&["GET", "short"]),
        Value::Null,
        "expired meanwhile"
    );
    assert_eq!(conn.cmd(&["SELECT", "5"]), Value::ok());
    assert_eq!(conn.cmd(&["GET", "in5"]), Value::bulk("five"));
    assert_eq!(conn.cmd(&["GET", "short5"]), Value::Null);
    assert_eq!(conn.cmd(&["DBSIZE"]), Value::Integer(1));
    assert_eq!(conn.cmd(&["SELECT", "0"]), Value::ok());
    assert_eq!(
        conn.cmd(&["GET", "in5"]),
        Value::Null,
        "databases stay apart"
    );
    assert_eq!(conn.cmd(&["DBSIZE"]), Value::Integer(4));
}

fn restart_and_check(dir: &Path, args: &[&str]) {
    let server = Proc::start(dir, args);
    let mut conn = server.connect();
    check(&mut conn);
    assert!(server.term().success());
}

#[test]
fn the_log_replays_deadlines_and_databases_after_the_deadlines_passed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &["--appendonly", "--appendfsync", "always"]);
    let mut conn = server.connect();
    write(&mut conn);
    server.kill9();
    // Replayed after the short deadlines: those keys must not come back.
    std::thread::sleep(Duration::from_millis(400));
    restart_and_check(dir.path(), &["--appendonly"]);
    // And again, now from the log the first restart appended to.
    restart_and_check(dir.path(), &["--appendonly"]);
}

#[test]
fn a_rewritten_log_keeps_deadlines_and_databases() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &["--appendonly", "--appendfsync", "always"]);
    let mut conn = server.connect();
    write(&mut conn);
    assert_eq!(
        conn.cmd(&["BGREWRITEAOF"]),
        Value::simple("Background append only file rewriting started")
    );
    assert!(eventually(Duration::from_secs(10), || {
        conn.durability("aof_rewrite_in_progress") == 0 && conn.durability("aof_rewrites") >= 1
    }));
    // Written after the rewrite: in the new incremental file, which must
    // start in the right database.
    assert_eq!(conn.cmd(&["SELECT", "7"]), Value::ok());
    assert_eq!(
        conn.cmd(&["SET", "after", "a", "EX", "1000"]),
        Value::Integer(1)
    );
    server.kill9();
    std::thread::sleep(Duration::from_millis(400));
    let server = Proc::start(dir.path(), &["--appendonly"]);
    let mut conn = server.connect();
    check(&mut conn);
    assert_eq!(conn.cmd(&["SELECT", "7"]), Value::ok());
    assert!(ttl(&mut conn, "after") > 900_000);
    assert!(server.term().success());
}

#[test]
fn snapshots_keep_deadlines_and_drop_what_expired_while_down() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &[]);
    let mut conn = server.connect();
    write(&mut conn);
    assert_eq!(conn.cmd(&["SAVE"]), Value::ok());
    server.kill9();
    std::thread::sleep(Duration::from_millis(400));
    let server = Proc::start(dir.path(), &[]);
    assert!(
        server.log().contains("past their deadline"),
        "{}",
        server.log()
    );
    let mut conn = server.connect();
    check(&mut conn);
    assert!(server.term().success());
}

#[test]
fn expirations_are_logged_as_deletions() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &["--appendonly", "--appendfsync", "always"]);
    let mut conn = server.connect();
    assert_eq!(
        conn.cmd(&["SET", "k", "old", "PX", "50"]),
        Value::Integer(1)
    );
    // The active cycle removes it (and logs a DEL) without anyone asking.
    assert!(eventually(Duration::from_secs(5), || {
        conn.info("stats")
            .iter()
            .any(|(k, v)| k == "expired_keys" && v == "1")
    }));
    // A write that finds an expired key logs its deletion first.
    assert_eq!(conn.cmd(&["SET", "n", "5", "PX", "50"]), Value::Integer(1));
    std::thread::sleep(Duration::from_millis(80));
    assert_eq!(conn.cmd(&["INCR", "n"]), Value::Integer(1));
    server.kill9();
    let log = std::fs::read(durability_common::last_incr(dir.path())).unwrap();
    let text = String::from_utf8_lossy(&log);
    assert!(text.contains("DEL"), "no deletion logged");
    let server = Proc::start(dir.path(), &["--appendonly"]);
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["GET", "k"]), Value::Null);
    assert_eq!(
        conn.cmd(&["GET", "n"]),
        Value::Integer(1),
        "INCR replayed on a fresh key"
    );
    assert_eq!(ttl(&mut conn, "n"), -1);
    assert!(server.term().success());
}
