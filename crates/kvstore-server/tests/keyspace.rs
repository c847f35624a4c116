//! Key expiry, the 16 databases and the keyspace and string commands that
//! came with them, checked over TCP through redis-rs against the replies of
//! a real Redis 7 (each exact reply and error text below was checked side by
//! side with redis-server 7.0).
//!
//! Expiry is exercised with short deadlines (tens of milliseconds) so that
//! the whole file runs in a few seconds.
//!
//! To check the expectations themselves against a real Redis:
//! `KEYSPACE_TEST_REDIS=127.0.0.1:6379 cargo test -p kvstore-server --test
//! keyspace -- --test-threads=1` (it flushes that server).

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::rs::{bulk, connect, ok, q, text, R};
use common::Raw;
use kvstore_server::BackgroundServer;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The server under test: ours, or, when `KEYSPACE_TEST_REDIS=host:port` is
/// set, a real Redis there (flushed first), to check that every expectation
/// below is Redis's. Against a real Redis run with `--test-threads=1`.
enum Server {
    Ours(BackgroundServer),
    Real(SocketAddr),
}

impl Server {
    fn start() -> Server {
        match std::env::var("KEYSPACE_TEST_REDIS") {
            Ok(addr) => {
                let addr = addr.parse().expect("KEYSPACE_TEST_REDIS is host:port");
                let server = Server::Real(addr);
                let mut con = client(&server);
                ok(&mut con, &["FLUSHALL"]);
                ok(&mut con, &["CONFIG", "RESETSTAT"]);
                server
            }
            Err(_) => Server::Ours(BackgroundServer::start()),
        }
    }

    fn addr(&self) -> SocketAddr {
        match self {
            Server::Ours(s) => s.addr(),
            Server::Real(addr) => *addr,
        }
    }
}

fn client(server: &Server) -> redis::Connection {
    connect(server.addr())
}

/// The whole error line, as the server sent it without the leading '-',
/// e.g. "ERR syntax error" or "WRONGTYPE Operation against ...".
fn err(con: &mut redis::Connection, words: &[&str]) -> String {
    match q(con, words) {
        Err(e) => match (e.code(), e.detail()) {
            (Some(code), Some(detail)) => format!("{code} {detail}"),
            (Some(code), None) => code.to_string(),
            _ => panic!("{words:?}: not a server error: {e}"),
        },
        Ok(v) => panic!("{words:?} should fail, got {v:?}"),
    }
}

/// Asserts that `words` fails with exactly the error line `expected`.
fn assert_err(con: &mut redis::Connection, words: &[&str], expected: &str) {
    assert_eq!(err(con, words), expected, "{words:?}");
}

fn int(con: &mut redis::Connection, words: &[&str]) -> i64 {
    match ok(con, words) {
        R::Int(n) => n,
        other => panic!("{words:?}: not an integer: {other:?}"),
    }
}

fn status(s: &str) -> R {
    R::SimpleString(s.to_string())
}

fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
}

fn expired_keys(con: &mut redis::Connection) -> u64 {
    let info = text(&ok(con, &["INFO", "stats"]));
    info_field(&info, "expired_keys")
        .unwrap_or_else(|| panic!("no expired_keys in INFO stats:\n{info}"))
        .parse()
        .expect("a number")
}

/// KEYS, sorted.
fn keys(con: &mut redis::Connection, pattern: &str) -> Vec<String> {
    let mut got: Vec<String> = redis::cmd("KEYS").arg(pattern).query(con).expect("keys");
    got.sort();
    got
}

/// A whole SCAN walk with the given options, sorted; checks that the walk
/// ends and returns no key twice.
fn scan_all(con: &mut redis::Connection, options: &[&str]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    for _ in 0..100_000 {
        let mut c = redis::cmd("SCAN");
        c.arg(&cursor);
        for o in options {
            c.arg(*o);
        }
        let (next, batch): (String, Vec<String>) = c.query(con).expect("scan");
        for k in batch {
            assert!(seen.insert(k.clone()), "{k} returned twice");
        }
        cursor = next;
        if cursor == "0" {
            let mut all: Vec<String> = seen.into_iter().collect();
            all.sort();
            return all;
        }
    }
    panic!("SCAN {options:?} never ended");
}

/// Stores a non-string value under `key` the only way this server can: a
/// seed-protocol client sending an array value. Redis calls it a list.
fn seed_list(server: &Server, key: &str) {
    if let Server::Real(_) = server {
        let mut con = client(server);
        ok(&mut con, &["DEL", key]);
        assert_eq!(int(&mut con, &["RPUSH", key, "1"]), 1);
        return;
    }
    let mut seed = Raw::connect(server.addr());
    let frame = format!("*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n*1\r\n:1\r\n", key.len());
    seed.send_raw(frame.as_bytes());
    assert_eq!(String::from_utf8_lossy(&seed.read_reply()), ":1\r\n");
}

/// Waits (a bounded time) until INFO stats counts at least `n` expired keys.
fn wait_for_expired_keys(con: &mut redis::Connection, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(1);
    while expired_keys(con) < n && Instant::now() < deadline {
        sleep_ms(10);
    }
}

fn sleep_ms(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";
const DB_RANGE: &str = "ERR DB index is out of range";
const NX_XX_GT_LT: &str = "ERR NX and XX, GT or LT options at the same time are not compatible";
const GT_LT: &str = "ERR GT and LT options at the same time are not compatible";

// ---------------------------------------------------------------------------
// EXPIRE family, TTL family, PERSIST
// ---------------------------------------------------------------------------

#[test]
fn expire_rejects_overflowing_and_malformed_times() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "k", "v"]);
    for (cmd, time) in [
        ("EXPIRE", "9223372036854775807"),
        ("EXPIRE", "9223372036854775"),
        ("EXPIRE", "-9223372036854775808"),
        ("PEXPIRE", "9223372036854775807"),
        ("PEXPIRE", "9223372036854775000"),
        ("EXPIREAT", "9223372036854775807"),
        ("EXPIREAT", "-9223372036854775808"),
    ] {
        let lower = cmd.to_lowercase();
        assert_err(
            &mut con,
            &[cmd, "k", time],
            &format!("ERR invalid expire time in '{lower}' command"),
        );
    }
    // The check comes before the options and the key's existence.
    assert_err(
        &mut con,
        &["EXPIRE", "k", "9223372036854775807", "GT"],
        "ERR invalid expire time in 'expire' command",
    );
    assert_err(
        &mut con,
        &["EXPIRE", "missing", "9223372036854775807"],
        "ERR invalid expire time in 'expire' command",
    );
    for bad in ["x", "1.5", "", "9223372036854775808"] {
        assert_err(&mut con, &["EXPIRE", "k", bad], NOT_INT);
        assert_err(&mut con, &["PEXPIREAT", "k", bad], NOT_INT);
    }
    assert_err(
        &mut con,
        &["EXPIRE", "k"],
        "ERR wrong number of arguments for 'expire' command",
    );
    assert_err(
        &mut con,
        &["PEXPIRE"],
        "ERR wrong number of arguments for 'pexpire' command",
    );
    // Nothing above touched the key.
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("v"));
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);

    // The largest times that fit are taken.
    assert_eq!(int(&mut con, &["EXPIRE", "k", "9223370000000"]), 1);
    assert_eq!(int(&mut con, &["TTL", "k"]), 9223370000000);
    assert_eq!(int(&mut con, &["PEXPIRE", "k", "9223300000000000000"]), 1);
    let pttl = int(&mut con, &["PTTL", "k"]);
    assert!(
        (9223299999999999000..=9223300000000000000).contains(&pttl),
        "{pttl}"
    );
    assert_eq!(int(&mut con, &["PEXPIREAT", "k", "9223372036854775807"]), 1);
    assert_eq!(int(&mut con, &["PEXPIRETIME", "k"]), 9223372036854775807);
    assert_eq!(int(&mut con, &["EXPIREAT", "k", "9223372036854"]), 1);
    assert_eq!(int(&mut con, &["EXPIRETIME", "k"]), 9223372036854);
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("v"));
}

#[test]
fn expire_in_the_past_deletes_the_key() {
    let server = Server::start();
    let mut con = client(&server);
    for words in [
        &["EXPIRE", "k", "-1"][..],
        &["EXPIRE", "k", "0"],
        &["PEXPIRE", "k", "0"],
        &["PEXPIRE", "k", "-100"],
        &["EXPIREAT", "k", "1"],
        &["EXPIREAT", "k", "-1"],
        &["EXPIREAT", "k", "-9223372036854775"],
        &["PEXPIREAT", "k", "1000"],
        &["PEXPIREAT", "k", "-9223372036854775808"],
        &["EXPIRE", "k", "-1", "LT"],
        &["EXPIRE", "k", "-1", "NX"],
    ] {
        ok(&mut con, &["SET", "k", "v"]);
        assert_eq!(int(&mut con, words), 1, "{words:?}");
        assert_eq!(int(&mut con, &["EXISTS", "k"]), 0, "{words:?}");
        assert_eq!(ok(&mut con, &["GET", "k"]), R::Nil, "{words:?}");
        assert_eq!(int(&mut con, &["TTL", "k"]), -2, "{words:?}");
    }
    // On a missing key nothing happens.
    assert_eq!(int(&mut con, &["EXPIRE", "missing", "-1"]), 0);
    assert_eq!(int(&mut con, &["EXPIRE", "missing", "10"]), 0);
    assert_eq!(int(&mut con, &["PEXPIREAT", "missing", "1"]), 0);

    // A condition that fails keeps the key even with a past time.
    ok(&mut con, &["SET", "k", "v"]);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "-1", "GT"]), 0);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "-5", "XX"]), 0);
    assert_eq!(int(&mut con, &["EXISTS", "k"]), 1);
    ok(&mut con, &["SET", "k", "v", "EX", "100"]);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "-5", "NX"]), 0);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "-1", "GT"]), 0);
    assert_eq!(int(&mut con, &["TTL", "k"]), 100);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "-5", "XX"]), 1);
    assert_eq!(int(&mut con, &["EXISTS", "k"]), 0);

    // Deleting through a past EXPIRE is a delete, not an expiry: Redis does
    // not count it in expired_keys. A key stored already expired is counted
    // once it is found.
    assert_eq!(expired_keys(&mut con), 0);
    assert_eq!(ok(&mut con, &["SET", "k", "v", "EXAT", "1"]), R::Okay);
    assert_eq!(int(&mut con, &["EXISTS", "k"]), 0);
    wait_for_expired_keys(&mut con, 1);
    assert_eq!(expired_keys(&mut con), 1);
}

#[test]
fn expire_nx_xx_gt_lt() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "k", "v"]);
    // No TTL counts as an infinite one: GT never sets, LT always does.
    assert_eq!(int(&mut con, &["EXPIRE", "k", "100", "GT"]), 0);
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "100", "XX"]), 0);
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "100", "LT"]), 1);
    assert_eq!(int(&mut con, &["TTL", "k"]), 100);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "50", "GT"]), 0);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "200", "gt"]), 1);
    assert_eq!(int(&mut con, &["TTL", "k"]), 200);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "300", "LT"]), 0);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "10", "lt"]), 1);
    assert_eq!(int(&mut con, &["TTL", "k"]), 10);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "10", "NX"]), 0);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "20", "XX"]), 1);
    assert_eq!(int(&mut con, &["TTL", "k"]), 20);
    // XX combines with GT and LT.
    assert_eq!(int(&mut con, &["EXPIRE", "k", "10", "XX", "GT"]), 0);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "50", "xx", "GT"]), 1);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "5", "XX", "LT"]), 1);
    assert_eq!(int(&mut con, &["TTL", "k"]), 5);
    // A repeated flag is harmless.
    assert_eq!(int(&mut con, &["EXPIRE", "k", "7", "XX", "XX"]), 1);
    // An equal time is neither greater nor less.
    assert_eq!(int(&mut con, &["PEXPIREAT", "k", "99999999999999"]), 1);
    for opt in ["GT", "LT", "NX"] {
        assert_eq!(
            int(&mut con, &["PEXPIREAT", "k", "99999999999999", opt]),
            0,
            "{opt}"
        );
    }
    assert_eq!(int(&mut con, &["EXPIREAT", "k", "99999999990", "LT"]), 1);
    assert_eq!(int(&mut con, &["EXPIRETIME", "k"]), 99999999990);
    assert_eq!(int(&mut con, &["PERSIST", "k"]), 1);
    assert_eq!(int(&mut con, &["EXPIRE", "k", "20", "XX"]), 0);
    assert_eq!(int(&mut con, &["PEXPIRE", "k", "20000", "NX"]), 1);
    assert_eq!(int(&mut con, &["PEXPIRE", "k", "30000", "NX"]), 0);
    // Options on a missing key.
    for opt in ["NX", "XX", "GT", "LT"] {
        assert_eq!(int(&mut con, &["EXPIRE", "nope", "10", opt]), 0);
    }

    // Conflicts, with Redis's exact words, for all four commands.
    for cmd in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] {
        for opts in [
            &["NX", "XX"][..],
            &["NX", "GT"],
            &["NX", "LT"],
            &["XX", "NX"],
            &["NX", "XX", "GT"],
        ] {
            let mut words = vec![cmd, "k", "20"];
            words.extend_from_slice(opts);
            assert_err(&mut con, &words, NX_XX_GT_LT);
        }
        assert_err(&mut con, &[cmd, "k", "20", "GT", "LT"], GT_LT);
        assert_err(&mut con, &[cmd, "k", "20", "lt", "gt"], GT_LT);
        assert_err(
            &mut con,
            &[cmd, "k", "20", "BOGUS"],
            "ERR Unsupported option BOGUS",
        );
        assert_err(
            &mut con,
            &[cmd, "k", "20", "GT", "extra"],
            "ERR Unsupported option extra",
        );
    }
    // None of the refused ones changed the TTL.
    let pttl = int(&mut con, &["PTTL", "k"]);
    assert!((19_000..=20_000).contains(&pttl), "{pttl}");
}

#[test]
fn ttl_pttl_expiretime_persist() {
    let server = Server::start();
    let mut con = client(&server);
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(int(&mut con, &[cmd, "missing"]), -2, "{cmd}");
    }
    ok(&mut con, &["SET", "k", "v"]);
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(int(&mut con, &[cmd, "k"]), -1, "{cmd}");
        let lower = cmd.to_lowercase();
        let arity = format!("ERR wrong number of arguments for '{lower}' command");
        assert_err(&mut con, &[cmd], &arity);
        assert_err(&mut con, &[cmd, "k", "x"], &arity);
    }
    assert_eq!(int(&mut con, &["PERSIST", "k"]), 0);
    assert_eq!(int(&mut con, &["PERSIST", "missing"]), 0);
    assert_err(
        &mut con,
        &["PERSIST"],
        "ERR wrong number of arguments for 'persist' command",
    );

    ok(&mut con, &["SET", "k", "v", "PX", "100000"]);
    let pttl = int(&mut con, &["PTTL", "k"]);
    assert!((99_000..=100_000).contains(&pttl), "{pttl}");
    assert_eq!(int(&mut con, &["TTL", "k"]), 100);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let at = int(&mut con, &["PEXPIRETIME", "k"]);
    assert!((at - (now_ms + 100_000)).abs() < 2_000, "{at} vs {now_ms}");
    let at_s = int(&mut con, &["EXPIRETIME", "k"]);
    assert!((at_s - (now_ms / 1000 + 100)).abs() <= 2, "{at_s}");
    // TTL rounds to the nearest second.
    ok(&mut con, &["SET", "k", "v", "PX", "1800"]);
    assert_eq!(int(&mut con, &["TTL", "k"]), 2);
    ok(&mut con, &["SET", "k", "v", "PX", "1400"]);
    assert_eq!(int(&mut con, &["TTL", "k"]), 1);
    ok(&mut con, &["SET", "k", "v", "PX", "400"]);
    assert_eq!(int(&mut con, &["TTL", "k"]), 0);
    // Absolute times are given back as set.
    assert_eq!(int(&mut con, &["PEXPIREAT", "k", "99999999999123"]), 1);
    assert_eq!(int(&mut con, &["PEXPIRETIME", "k"]), 99999999999123);
    assert_eq!(int(&mut con, &["EXPIREAT", "k", "99999999999"]), 1);
    assert_eq!(int(&mut con, &["EXPIRETIME", "k"]), 99999999999);
    assert_eq!(int(&mut con, &["PEXPIRETIME", "k"]), 99999999999000);
    assert_eq!(int(&mut con, &["PERSIST", "k"]), 1);
    assert_eq!(int(&mut con, &["PERSIST", "k"]), 0);
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(int(&mut con, &[cmd, "k"]), -1, "{cmd}");
    }
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("v"));
}

/// Redis computes EXPIRETIME as (ms + 500) / 1000, like TTL: it rounds to
/// the nearest second rather than truncating.
#[test]
fn expiretime_rounds_to_the_nearest_second() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "k", "v"]);
    assert_eq!(int(&mut con, &["PEXPIREAT", "k", "1999999999600"]), 1);
    assert_eq!(int(&mut con, &["EXPIRETIME", "k"]), 2000000000);
    assert_eq!(int(&mut con, &["PEXPIREAT", "k", "1999999999400"]), 1);
    assert_eq!(int(&mut con, &["EXPIRETIME", "k"]), 1999999999);
    assert_eq!(int(&mut con, &["PEXPIREAT", "k", "9223372036854775807"]), 1);
    assert_eq!(int(&mut con, &["EXPIRETIME", "k"]), 9223372036854776);
}

// ---------------------------------------------------------------------------
// SET and its options, SETEX, PSETEX
// ---------------------------------------------------------------------------

#[test]
fn set_expiry_options() {
    let server = Server::start();
    let mut con = client(&server);
    assert_eq!(ok(&mut con, &["SET", "k", "v", "EX", "100"]), R::Okay);
    assert_eq!(int(&mut con, &["TTL", "k"]), 100);
    assert_eq!(ok(&mut con, &["SET", "k", "v", "px", "50000"]), R::Okay);
    let pttl = int(&mut con, &["PTTL", "k"]);
    assert!((49_000..=50_000).contains(&pttl), "{pttl}");
    assert_eq!(
        ok(&mut con, &["SET", "k", "v", "EXAT", "99999999999"]),
        R::Okay
    );
    assert_eq!(int(&mut con, &["EXPIRETIME", "k"]), 99999999999);
    assert_eq!(
        ok(&mut con, &["SET", "k", "v", "PXAT", "99999999999123"]),
        R::Okay
    );
    assert_eq!(int(&mut con, &["PEXPIRETIME", "k"]), 99999999999123);
    assert_eq!(
        ok(&mut con, &["SET", "k", "v", "PXAT", "9223372036854775807"]),
        R::Okay
    );
    assert_eq!(
        ok(&mut con, &["SET", "k", "v", "EX", "9223372036854"]),
        R::Okay
    );

    // KEEPTTL keeps it; a plain SET drops it.
    ok(&mut con, &["SET", "k", "v", "EX", "100"]);
    assert_eq!(ok(&mut con, &["SET", "k", "v2", "KEEPTTL"]), R::Okay);
    assert_eq!(int(&mut con, &["TTL", "k"]), 100);
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("v2"));
    assert_eq!(
        ok(&mut con, &["SET", "k", "v3", "keepttl", "GET"]),
        bulk("v2")
    );
    assert_eq!(ok(&mut con, &["SET", "k", "v4", "KEEPTTL", "XX"]), R::Okay);
    assert_eq!(ok(&mut con, &["SET", "k", "v5", "KEEPTTL", "NX"]), R::Nil);
    assert_eq!(int(&mut con, &["TTL", "k"]), 100);
    assert_eq!(ok(&mut con, &["SET", "k", "v6"]), R::Okay);
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);
    // KEEPTTL on a key without a TTL gives none.
    assert_eq!(ok(&mut con, &["SET", "k", "v7", "KEEPTTL"]), R::Okay);
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);

    // A time already past stores the key expired: it is gone at once.
    for opt in ["EXAT", "PXAT"] {
        assert_eq!(ok(&mut con, &["SET", "k", "v", opt, "1"]), R::Okay);
        assert_eq!(int(&mut con, &["EXISTS", "k"]), 0, "{opt}");
    }

    for (opt, time) in [
        ("EX", "0"),
        ("EX", "-1"),
        ("PX", "0"),
        ("PX", "-1"),
        ("EXAT", "0"),
        ("EXAT", "-5"),
        ("PXAT", "0"),
        ("EX", "9223372036854775807"),
        ("EX", "9223372036854775"),
        ("PX", "9223372036854775807"),
        ("PX", "9223372036854775000"),
        ("EXAT", "9223372036854775807"),
    ] {
        assert_err(
            &mut con,
            &["SET", "k", "v", opt, time],
            "ERR invalid expire time in 'set' command",
        );
    }
    for bad in ["abc", "1.5", ""] {
        assert_err(&mut con, &["SET", "k", "v", "EX", bad], NOT_INT);
    }
    assert_err(
        &mut con,
        &["SET", "k"],
        "ERR wrong number of arguments for 'set' command",
    );
}

#[test]
fn set_option_combinations() {
    let server = Server::start();
    let mut con = client(&server);
    // Combinations Redis refuses.
    for opts in [
        &["NX", "XX"][..],
        &["XX", "NX"],
        &["EX", "10", "PX", "100"],
        &["EX", "10", "KEEPTTL"],
        &["KEEPTTL", "EX", "10"],
        &["KEEPTTL", "PXAT", "10"],
        &["EXAT", "10", "PXAT", "10"],
        &["PX", "10", "PXAT", "10"],
        &["EX", "10", "EXAT", "10"],
        &["EX"],
        &["PX"],
        &["EXAT"],
        &["PXAT"],
        &["BOGUS"],
        &["EX", "10", "XX", "GET", "KEEPTTL"],
        &["NX", "EX"],
    ] {
        let mut words = vec!["SET", "k", "v"];
        words.extend_from_slice(opts);
        assert_err(&mut con, &words, SYNTAX);
    }
    // Refused options are not half-applied.
    assert_eq!(int(&mut con, &["EXISTS", "k"]), 0);

    // Combinations Redis accepts. NX with GET is allowed since Redis 7.
    assert_eq!(ok(&mut con, &["SET", "k", "v", "NX", "GET"]), R::Nil);
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("v"));
    assert_eq!(ok(&mut con, &["SET", "k", "w", "NX", "GET"]), bulk("v"));
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("v"));
    assert_eq!(ok(&mut con, &["SET", "k", "w", "get", "nx"]), bulk("v"));
    assert_eq!(ok(&mut con, &["SET", "k", "w", "XX", "GET"]), bulk("v"));
    assert_eq!(ok(&mut con, &["SET", "k", "x", "GET", "XX"]), bulk("w"));
    assert_eq!(ok(&mut con, &["SET", "missing", "v", "XX", "GET"]), R::Nil);
    assert_eq!(int(&mut con, &["EXISTS", "missing"]), 0);
    assert_eq!(ok(&mut con, &["SET", "k", "v", "NX", "NX"]), R::Nil);
    assert_eq!(ok(&mut con, &["SET", "k", "y", "XX", "XX"]), R::Okay);
    assert_eq!(
        ok(&mut con, &["SET", "k", "z", "KEEPTTL", "KEEPTTL"]),
        R::Okay
    );
    assert_eq!(ok(&mut con, &["SET", "k", "v", "kEePtTl"]), R::Okay);
    assert_eq!(
        ok(&mut con, &["SET", "k", "w", "GET", "NX", "EX", "10"]),
        bulk("v")
    );
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);
    assert_eq!(
        ok(&mut con, &["SET", "k", "w", "XX", "EX", "10", "GET"]),
        bulk("v")
    );
    assert_eq!(int(&mut con, &["TTL", "k"]), 10);
    assert_eq!(
        ok(&mut con, &["SET", "new", "v", "EX", "100", "GET"]),
        R::Nil
    );
    assert_eq!(int(&mut con, &["TTL", "new"]), 100);
    assert_eq!(
        ok(
            &mut con,
            &["SET", "k", "v", "pxat", "99999999999999", "get"]
        ),
        bulk("w")
    );
    assert_eq!(int(&mut con, &["PEXPIRETIME", "k"]), 99999999999999);
}

/// Redis lets an expiry option repeat (the last one wins, and only its
/// value is checked), and GET repeat; likewise for GETEX.
#[test]
fn set_and_getex_accept_a_repeated_option() {
    let server = Server::start();
    let mut con = client(&server);
    assert_eq!(
        ok(&mut con, &["SET", "k", "v", "EX", "10", "EX", "20"]),
        R::Okay
    );
    assert_eq!(int(&mut con, &["TTL", "k"]), 20);
    assert_eq!(
        ok(&mut con, &["SET", "k", "v", "PX", "10000", "PX", "20000"]),
        R::Okay
    );
    let pttl = int(&mut con, &["PTTL", "k"]);
    assert!((19_000..=20_000).contains(&pttl), "{pttl}");
    assert_eq!(
        ok(
            &mut con,
            &[
                "SET",
                "k",
                "v",
                "EXAT",
                "99999999999",
                "EXAT",
                "99999999990"
            ]
        ),
        R::Okay
    );
    assert_eq!(int(&mut con, &["EXPIRETIME", "k"]), 99999999990);
    assert_eq!(ok(&mut con, &["SET", "k", "v1", "GET", "GET"]), bulk("v"));
    assert_eq!(
        ok(&mut con, &["SET", "k", "v", "EX", "0", "EX", "10"]),
        R::Okay
    );
    assert_eq!(int(&mut con, &["TTL", "k"]), 10);
    assert_eq!(
        ok(&mut con, &["SET", "k", "v", "EX", "abc", "EX", "10"]),
        R::Okay
    );
    assert_err(
        &mut con,
        &["SET", "k", "v", "EX", "10", "EX", "0"],
        "ERR invalid expire time in 'set' command",
    );
    assert_err(
        &mut con,
        &["SET", "k", "v", "EX", "10", "EX", "abc"],
        NOT_INT,
    );

    assert_eq!(
        ok(&mut con, &["GETEX", "k", "EX", "10", "EX", "20"]),
        bulk("v")
    );
    assert_eq!(int(&mut con, &["TTL", "k"]), 20);
    assert_eq!(
        ok(&mut con, &["GETEX", "k", "PERSIST", "PERSIST"]),
        bulk("v")
    );
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);
}

#[test]
fn setex_and_psetex() {
    let server = Server::start();
    let mut con = client(&server);
    assert_eq!(ok(&mut con, &["SETEX", "k", "100", "v"]), R::Okay);
    assert_eq!(int(&mut con, &["TTL", "k"]), 100);
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("v"));
    assert_eq!(ok(&mut con, &["PSETEX", "k", "100000", "w"]), R::Okay);
    let pttl = int(&mut con, &["PTTL", "k"]);
    assert!((99_000..=100_000).contains(&pttl), "{pttl}");
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("w"));
    for t in ["0", "-1", "9223372036854775807", "9223372036854775"] {
        assert_err(
            &mut con,
            &["SETEX", "k", t, "v"],
            "ERR invalid expire time in 'setex' command",
        );
    }
    for t in ["0", "-5", "9223372036854775807", "9223372036854775000"] {
        assert_err(
            &mut con,
            &["PSETEX", "k", t, "v"],
            "ERR invalid expire time in 'psetex' command",
        );
    }
    assert_err(&mut con, &["SETEX", "k", "x", "v"], NOT_INT);
    assert_err(&mut con, &["PSETEX", "k", "1.5", "v"], NOT_INT);
    assert_err(
        &mut con,
        &["SETEX", "k", "100"],
        "ERR wrong number of arguments for 'setex' command",
    );
    assert_err(
        &mut con,
        &["PSETEX", "k", "100", "v", "extra"],
        "ERR wrong number of arguments for 'psetex' command",
    );
    // The failures left the key as it was.
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("w"));
    // SETEX replaces a TTL.
    assert_eq!(ok(&mut con, &["SETEX", "k", "50", "x"]), R::Okay);
    assert_eq!(int(&mut con, &["TTL", "k"]), 50);
}

// ---------------------------------------------------------------------------
// GETEX, GETDEL, GETRANGE/SUBSTR, SETRANGE
// ---------------------------------------------------------------------------

#[test]
fn getex() {
    let server = Server::start();
    let mut con = client(&server);
    for opts in [&[][..], &["EX", "10"], &["PERSIST"]] {
        let mut words = vec!["GETEX", "missing"];
        words.extend_from_slice(opts);
        assert_eq!(ok(&mut con, &words), R::Nil);
    }
    assert_eq!(int(&mut con, &["EXISTS", "missing"]), 0);
    ok(&mut con, &["SET", "k", "v"]);
    assert_eq!(ok(&mut con, &["GETEX", "k"]), bulk("v"));
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);
    assert_eq!(ok(&mut con, &["GETEX", "k", "EX", "100"]), bulk("v"));
    assert_eq!(int(&mut con, &["TTL", "k"]), 100);
    // Without an option the TTL stays.
    assert_eq!(ok(&mut con, &["GETEX", "k"]), bulk("v"));
    assert_eq!(int(&mut con, &["TTL", "k"]), 100);
    assert_eq!(ok(&mut con, &["GETEX", "k", "px", "50000"]), bulk("v"));
    let pttl = int(&mut con, &["PTTL", "k"]);
    assert!((49_000..=50_000).contains(&pttl), "{pttl}");
    assert_eq!(ok(&mut con, &["GETEX", "k", "PERSIST"]), bulk("v"));
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);
    assert_eq!(
        ok(&mut con, &["GETEX", "k", "EXAT", "99999999999"]),
        bulk("v")
    );
    assert_eq!(int(&mut con, &["EXPIRETIME", "k"]), 99999999999);
    assert_eq!(
        ok(&mut con, &["GETEX", "k", "PXAT", "99999999999123"]),
        bulk("v")
    );
    assert_eq!(int(&mut con, &["PEXPIRETIME", "k"]), 99999999999123);
    assert_eq!(ok(&mut con, &["GETEX", "k", "persist"]), bulk("v"));
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);

    for (opt, time) in [
        ("EX", "0"),
        ("EX", "-1"),
        ("PX", "0"),
        ("EXAT", "0"),
        ("PXAT", "-1"),
        ("EX", "9223372036854775807"),
        ("PX", "9223372036854775807"),
        ("EXAT", "9223372036854775807"),
    ] {
        assert_err(
            &mut con,
            &["GETEX", "k", opt, time],
            "ERR invalid expire time in 'getex' command",
        );
    }
    assert_err(&mut con, &["GETEX", "k", "EX", "abc"], NOT_INT);
    for opts in [
        &["EX"][..],
        &["BOGUS"],
        &["KEEPTTL"],
        &["EX", "10", "PX", "10"],
        &["EX", "10", "EXAT", "10"],
        &["EX", "10", "PERSIST"],
        &["PERSIST", "EX", "10"],
    ] {
        let mut words = vec!["GETEX", "k"];
        words.extend_from_slice(opts);
        assert_err(&mut con, &words, SYNTAX);
    }
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);
    assert_err(
        &mut con,
        &["GETEX"],
        "ERR wrong number of arguments for 'getex' command",
    );

    // A past time deletes the key after returning it.
    assert_eq!(ok(&mut con, &["GETEX", "k", "EXAT", "1"]), bulk("v"));
    assert_eq!(int(&mut con, &["EXISTS", "k"]), 0);
    ok(&mut con, &["SET", "k", "v"]);
    assert_eq!(ok(&mut con, &["GETEX", "k", "PXAT", "1"]), bulk("v"));
    assert_eq!(int(&mut con, &["EXISTS", "k"]), 0);
    // The largest absolute time is accepted.
    ok(&mut con, &["SET", "k", "v"]);
    assert_eq!(
        ok(&mut con, &["GETEX", "k", "PXAT", "9223372036854775807"]),
        bulk("v")
    );
}

#[test]
fn getdel() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "k", "v", "EX", "100"]);
    assert_eq!(ok(&mut con, &["GETDEL", "k"]), bulk("v"));
    assert_eq!(ok(&mut con, &["GETDEL", "k"]), R::Nil);
    assert_eq!(int(&mut con, &["EXISTS", "k"]), 0);
    assert_eq!(int(&mut con, &["TTL", "k"]), -2);
    assert_err(
        &mut con,
        &["GETDEL"],
        "ERR wrong number of arguments for 'getdel' command",
    );
    assert_err(
        &mut con,
        &["GETDEL", "k", "extra"],
        "ERR wrong number of arguments for 'getdel' command",
    );
}

#[test]
fn getrange_and_substr() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "s", "Hello World"]);
    for (start, end, want) in [
        ("0", "4", "Hello"),
        ("-5", "-1", "World"),
        ("0", "-1", "Hello World"),
        ("0", "100", "Hello World"),
        ("5", "2", ""),
        ("-100", "-50", "H"),
        ("-100", "3", "Hell"),
        ("100", "200", ""),
        ("-1", "-5", ""),
        ("3", "3", "l"),
        ("0", "-100", "H"),
        ("-1", "0", ""),
        ("-9223372036854775808", "9223372036854775807", "Hello World"),
        ("9223372036854775807", "-9223372036854775808", ""),
    ] {
        assert_eq!(
            ok(&mut con, &["GETRANGE", "s", start, end]),
            bulk(want),
            "GETRANGE {start} {end}"
        );
    }
    assert_eq!(ok(&mut con, &["SUBSTR", "s", "0", "4"]), bulk("Hello"));
    assert_eq!(ok(&mut con, &["SUBSTR", "s", "-3", "-1"]), bulk("rld"));
    assert_eq!(ok(&mut con, &["GETRANGE", "missing", "0", "10"]), bulk(""));
    // An integer-encoded value reads as its digits.
    ok(&mut con, &["SET", "n", "12345"]);
    assert_eq!(ok(&mut con, &["GETRANGE", "n", "1", "2"]), bulk("23"));
    assert_eq!(ok(&mut con, &["GETRANGE", "n", "-2", "-1"]), bulk("45"));
    ok(&mut con, &["SET", "e", ""]);
    for (start, end) in [("0", "-1"), ("0", "0"), ("-1", "-1")] {
        assert_eq!(ok(&mut con, &["GETRANGE", "e", start, end]), bulk(""));
    }
    assert_err(&mut con, &["GETRANGE", "s", "x", "1"], NOT_INT);
    assert_err(&mut con, &["GETRANGE", "s", "0", "1.5"], NOT_INT);
    assert_err(
        &mut con,
        &["GETRANGE", "s", "0"],
        "ERR wrong number of arguments for 'getrange' command",
    );
    assert_err(
        &mut con,
        &["SUBSTR", "s", "1"],
        "ERR wrong number of arguments for 'substr' command",
    );
}

#[test]
fn setrange() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "s", "Hello World"]);
    assert_eq!(int(&mut con, &["SETRANGE", "s", "6", "Redis"]), 11);
    assert_eq!(ok(&mut con, &["GET", "s"]), bulk("Hello Redis"));
    // Past the end pads with zero bytes.
    assert_eq!(int(&mut con, &["SETRANGE", "s", "14", "X"]), 15);
    assert_eq!(ok(&mut con, &["GET", "s"]), bulk("Hello Redis\0\0\0X"));
    assert_eq!(int(&mut con, &["SETRANGE", "new", "5", "ab"]), 7);
    assert_eq!(ok(&mut con, &["GET", "new"]), bulk("\0\0\0\0\0ab"));
    // An empty value on a missing key creates nothing.
    assert_eq!(int(&mut con, &["SETRANGE", "new2", "0", ""]), 0);
    assert_eq!(int(&mut con, &["SETRANGE", "new3", "10", ""]), 0);
    assert_eq!(int(&mut con, &["EXISTS", "new2", "new3"]), 0);
    // And changes nothing on an existing one, whatever the offset.
    assert_eq!(int(&mut con, &["SETRANGE", "s", "100", ""]), 15);
    assert_eq!(int(&mut con, &["STRLEN", "s"]), 15);
    // On an integer-encoded value.
    ok(&mut con, &["SET", "n", "12345"]);
    assert_eq!(int(&mut con, &["SETRANGE", "n", "1", "9"]), 5);
    assert_eq!(ok(&mut con, &["GET", "n"]), bulk("19345"));
    assert_eq!(int(&mut con, &["INCR", "n"]), 19346);

    assert_err(
        &mut con,
        &["SETRANGE", "s", "-1", "x"],
        "ERR offset is out of range",
    );
    assert_err(&mut con, &["SETRANGE", "s", "x", "x"], NOT_INT);
    let too_big = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    assert_err(&mut con, &["SETRANGE", "s", "536870912", "x"], too_big);
    assert_err(&mut con, &["SETRANGE", "s", "536870911", "xy"], too_big);
    // The limit is not checked for an empty value.
    assert_eq!(int(&mut con, &["SETRANGE", "big", "536870912", ""]), 0);
    assert_err(
        &mut con,
        &["SETRANGE", "s", "0"],
        "ERR wrong number of arguments for 'setrange' command",
    );
}

// ---------------------------------------------------------------------------
// INCRBYFLOAT, MSETNX, APPEND
// ---------------------------------------------------------------------------

#[test]
fn incrbyfloat() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "f", "10.50"]);
    assert_eq!(ok(&mut con, &["INCRBYFLOAT", "f", "0.1"]), bulk("10.6"));
    assert_eq!(ok(&mut con, &["INCRBYFLOAT", "f", "-5"]), bulk("5.6"));
    assert_eq!(ok(&mut con, &["INCRBYFLOAT", "new", "3"]), bulk("3"));
    assert_eq!(ok(&mut con, &["INCRBYFLOAT", "new", "1.5"]), bulk("4.5"));
    assert_eq!(ok(&mut con, &["GET", "new"]), bulk("4.5"));
    ok(&mut con, &["SET", "h", "5"]);
    for (by, want) in [
        (".5", "5.5"),
        ("5.", "10.5"),
        ("-0", "10.5"),
        ("1e1", "20.5"),
        ("1E1", "30.5"),
        ("+1", "31.5"),
        ("-33", "-1.5"),
    ] {
        assert_eq!(ok(&mut con, &["INCRBYFLOAT", "h", by]), bulk(want), "{by}");
    }
    for (start, want) in [
        ("3.0", "3"),
        ("1e2", "100"),
        ("1e5", "100000"),
        ("2.5e-3", "0.0025"),
        ("-0", "0"),
    ] {
        ok(&mut con, &["SET", "h", start]);
        assert_eq!(
            ok(&mut con, &["INCRBYFLOAT", "h", "0"]),
            bulk(want),
            "{start}"
        );
    }
    ok(&mut con, &["SET", "h", "0"]);
    assert_eq!(
        ok(&mut con, &["INCRBYFLOAT", "h", "100000000000000000000000"]),
        bulk("100000000000000000000000")
    );

    for bad in ["abc", "", "nan", " 1", "1 ", "1.2.3"] {
        assert_err(
            &mut con,
            &["INCRBYFLOAT", "f", bad],
            "ERR value is not a valid float",
        );
    }
    for inf in ["inf", "+inf", "-inf"] {
        assert_err(
            &mut con,
            &["INCRBYFLOAT", "f", inf],
            "ERR increment would produce NaN or Infinity",
        );
    }
    for stored in ["hello", " 5", "5 ", ""] {
        ok(&mut con, &["SET", "s", stored]);
        assert_err(
            &mut con,
            &["INCRBYFLOAT", "s", "1"],
            "ERR value is not a valid float",
        );
    }
    assert_eq!(ok(&mut con, &["GET", "f"]), bulk("5.6"));
    assert_err(
        &mut con,
        &["INCRBYFLOAT", "f"],
        "ERR wrong number of arguments for 'incrbyfloat' command",
    );
}

/// Redis reads both the increment and the stored value with strtold: hex
/// numbers and the word "infinity" are numbers there.
#[test]
fn incrbyfloat_parses_numbers_like_strtold() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "h", "5"]);
    assert_eq!(ok(&mut con, &["INCRBYFLOAT", "h", "0x10"]), bulk("21"));
    assert_eq!(ok(&mut con, &["INCRBYFLOAT", "h", "0X10"]), bulk("37"));
    ok(&mut con, &["SET", "h", "0x1p3"]);
    assert_eq!(ok(&mut con, &["INCRBYFLOAT", "h", "1"]), bulk("9"));
    for inf in ["infinity", "-Infinity"] {
        assert_err(
            &mut con,
            &["INCRBYFLOAT", "h", inf],
            "ERR increment would produce NaN or Infinity",
        );
    }
}

/// On x86-64 Redis computes INCRBYFLOAT in 80-bit long double and prints it
/// with 17 decimals, trailing zeros removed: 0.1 + 0.2 is "0.3" there, and
/// values beyond f64's range are fine.
#[cfg(target_arch = "x86_64")]
#[test]
fn incrbyfloat_computes_in_long_double_like_redis_on_x86_64() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "h", "0.1"]);
    assert_eq!(ok(&mut con, &["INCRBYFLOAT", "h", "0.2"]), bulk("0.3"));
    ok(&mut con, &["SET", "h", "12345678901234567890"]);
    assert_eq!(
        ok(&mut con, &["INCRBYFLOAT", "h", "0"]),
        bulk("12345678901234567890")
    );
    ok(&mut con, &["SET", "h", "1"]);
    assert_eq!(
        ok(&mut con, &["INCRBYFLOAT", "h", "1e17"]),
        bulk("100000000000000001")
    );
    ok(&mut con, &["SET", "h", "1.7976931348623157e308"]);
    let doubled = text(&ok(
        &mut con,
        &["INCRBYFLOAT", "h", "1.7976931348623157e308"],
    ));
    assert!(doubled.starts_with("35953862697246313"), "{doubled}");
    assert_eq!(doubled.len(), 309, "{doubled}");
}

#[test]
fn msetnx() {
    let server = Server::start();
    let mut con = client(&server);
    let arity = "ERR wrong number of arguments for 'msetnx' command";
    assert_err(&mut con, &["MSETNX"], arity);
    assert_err(&mut con, &["MSETNX", "a"], arity);
    assert_err(&mut con, &["MSETNX", "a", "1", "b"], arity);
    assert_eq!(int(&mut con, &["MSETNX", "a", "1", "b", "2"]), 1);
    assert_eq!(
        ok(&mut con, &["MGET", "a", "b"]),
        R::Array(vec![bulk("1"), bulk("2")])
    );
    // All or nothing.
    assert_eq!(int(&mut con, &["MSETNX", "a", "3", "c", "4"]), 0);
    assert_eq!(
        ok(&mut con, &["MGET", "a", "b", "c"]),
        R::Array(vec![bulk("1"), bulk("2"), R::Nil])
    );
    // The same key twice: the last value wins.
    assert_eq!(int(&mut con, &["MSETNX", "c", "1", "c", "2"]), 1);
    assert_eq!(ok(&mut con, &["GET", "c"]), bulk("2"));
    assert_eq!(int(&mut con, &["MSETNX", "d", "1", "d", "2", "a", "9"]), 0);
    assert_eq!(ok(&mut con, &["GET", "d"]), R::Nil);
    // A refused MSETNX leaves the TTL alone.
    ok(&mut con, &["SET", "e", "v", "EX", "100"]);
    assert_eq!(int(&mut con, &["MSETNX", "e", "1"]), 0);
    assert_eq!(int(&mut con, &["TTL", "e"]), 100);
}

#[test]
fn append() {
    let server = Server::start();
    let mut con = client(&server);
    let arity = "ERR wrong number of arguments for 'append' command";
    assert_err(&mut con, &["APPEND"], arity);
    assert_err(&mut con, &["APPEND", "x"], arity);
    assert_err(&mut con, &["APPEND", "x", "a", "b"], arity);
    // An empty append still creates the key.
    assert_eq!(int(&mut con, &["APPEND", "x", ""]), 0);
    assert_eq!(int(&mut con, &["EXISTS", "x"]), 1);
    assert_eq!(ok(&mut con, &["GET", "x"]), bulk(""));
    assert_eq!(int(&mut con, &["APPEND", "x", "hello"]), 5);
    assert_eq!(int(&mut con, &["APPEND", "x", " world"]), 11);
    assert_eq!(ok(&mut con, &["GET", "x"]), bulk("hello world"));
    ok(&mut con, &["SET", "n", "1"]);
    assert_eq!(int(&mut con, &["APPEND", "n", "2"]), 2);
    assert_eq!(int(&mut con, &["INCR", "n"]), 13);
}

// ---------------------------------------------------------------------------
// What keeps and what clears a TTL
// ---------------------------------------------------------------------------

#[test]
fn overwrites_clear_the_ttl_but_modifications_keep_it() {
    let server = Server::start();
    let mut con = client(&server);
    let with_ttl = |con: &mut redis::Connection, value: &str| {
        assert_eq!(ok(con, &["SET", "k", value, "EX", "100"]), R::Okay);
    };
    // Overwrites.
    for words in [
        &["SET", "k", "x"][..],
        &["SET", "k", "x", "GET"],
        &["SET", "k", "x", "XX"],
        &["GETSET", "k", "x"],
        &["MSET", "other", "1", "k", "x"],
    ] {
        with_ttl(&mut con, "1");
        ok(&mut con, words);
        assert_eq!(int(&mut con, &["TTL", "k"]), -1, "{words:?}");
        assert_eq!(ok(&mut con, &["GET", "k"]), bulk("x"), "{words:?}");
    }
    // Modifications in place.
    for words in [
        &["INCR", "k"][..],
        &["INCRBY", "k", "5"],
        &["DECR", "k"],
        &["DECRBY", "k", "2"],
        &["INCRBYFLOAT", "k", "1.5"],
        &["APPEND", "k", "more"],
        &["SETRANGE", "k", "0", "9"],
        &["SET", "k", "x", "KEEPTTL"],
        &["GETEX", "k"],
        &["GET", "k"],
        &["SETRANGE", "k", "0", ""],
        &["APPEND", "k", ""],
    ] {
        with_ttl(&mut con, "1");
        ok(&mut con, words);
        assert_eq!(int(&mut con, &["TTL", "k"]), 100, "{words:?}");
    }
    // Refused writes leave the TTL too.
    for words in [
        &["SET", "k", "x", "NX"][..],
        &["MSETNX", "k", "x"],
        &["INCRBY", "k", "x"],
    ] {
        with_ttl(&mut con, "1");
        let _ = q(&mut con, words);
        assert_eq!(int(&mut con, &["TTL", "k"]), 100, "{words:?}");
        assert_eq!(ok(&mut con, &["GET", "k"]), bulk("1"), "{words:?}");
    }
    // SETEX and GETEX replace it.
    with_ttl(&mut con, "1");
    ok(&mut con, &["SETEX", "k", "50", "x"]);
    assert_eq!(int(&mut con, &["TTL", "k"]), 50);
    ok(&mut con, &["GETEX", "k", "EX", "70"]);
    assert_eq!(int(&mut con, &["TTL", "k"]), 70);
    // RENAME carries the TTL to the new name and drops the target's.
    ok(&mut con, &["SET", "dst", "old", "EX", "200"]);
    assert_eq!(ok(&mut con, &["RENAME", "k", "dst"]), R::Okay);
    assert_eq!(int(&mut con, &["TTL", "dst"]), 70);
    ok(&mut con, &["SET", "plain", "p"]);
    assert_eq!(ok(&mut con, &["RENAME", "plain", "dst"]), R::Okay);
    assert_eq!(int(&mut con, &["TTL", "dst"]), -1);
}

// ---------------------------------------------------------------------------
// Expired keys are invisible, and active expiry collects them
// ---------------------------------------------------------------------------

#[test]
fn expired_keys_are_invisible() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "live", "v"]);
    ok(&mut con, &["SET", "gone", "v", "PX", "30"]);
    seed_list(&server, "glist");
    assert_eq!(int(&mut con, &["PEXPIRE", "glist", "30"]), 1);
    ok(&mut con, &["SELECT", "5"]);
    ok(&mut con, &["SET", "x", "v", "PX", "30"]);
    ok(&mut con, &["SELECT", "0"]);
    // Redis itself may count an expired key in DBSIZE and INFO until its
    // active expiry (10 times a second) has passed: wait for one pass.
    sleep_ms(150);

    assert_eq!(ok(&mut con, &["GET", "gone"]), R::Nil);
    assert_eq!(int(&mut con, &["EXISTS", "gone", "live", "glist"]), 1);
    assert_eq!(int(&mut con, &["DBSIZE"]), 1);
    assert_eq!(keys(&mut con, "*"), ["live"]);
    assert_eq!(keys(&mut con, "g*"), Vec::<String>::new());
    assert_eq!(scan_all(&mut con, &[]), ["live"]);
    assert_eq!(scan_all(&mut con, &["MATCH", "g*"]), Vec::<String>::new());
    assert_eq!(scan_all(&mut con, &["TYPE", "string"]), ["live"]);
    assert_eq!(scan_all(&mut con, &["TYPE", "list"]), Vec::<String>::new());
    for _ in 0..20 {
        assert_eq!(ok(&mut con, &["RANDOMKEY"]), bulk("live"));
    }
    assert_eq!(ok(&mut con, &["TYPE", "gone"]), status("none"));
    assert_eq!(ok(&mut con, &["TYPE", "glist"]), status("none"));
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(int(&mut con, &[cmd, "gone"]), -2, "{cmd}");
    }
    assert_eq!(int(&mut con, &["PERSIST", "gone"]), 0);
    assert_eq!(int(&mut con, &["EXPIRE", "gone", "10"]), 0);
    assert_eq!(ok(&mut con, &["GETRANGE", "gone", "0", "-1"]), bulk(""));
    assert_eq!(int(&mut con, &["STRLEN", "gone"]), 0);
    assert_eq!(ok(&mut con, &["OBJECT", "ENCODING", "gone"]), R::Nil);
    assert_eq!(int(&mut con, &["TOUCH", "gone"]), 0);
    assert_eq!(int(&mut con, &["DEL", "gone"]), 0);
    assert_eq!(int(&mut con, &["UNLINK", "gone"]), 0);
    assert_eq!(ok(&mut con, &["GETDEL", "gone"]), R::Nil);
    assert_eq!(ok(&mut con, &["GETEX", "gone"]), R::Nil);
    assert_err(&mut con, &["RENAME", "gone", "x"], "ERR no such key");
    assert_err(&mut con, &["RENAMENX", "gone", "x"], "ERR no such key");
    assert_eq!(int(&mut con, &["COPY", "gone", "x"]), 0);
    assert_eq!(int(&mut con, &["MOVE", "gone", "1"]), 0);
    ok(&mut con, &["SELECT", "5"]);
    assert_eq!(int(&mut con, &["DBSIZE"]), 0);
    assert_eq!(ok(&mut con, &["RANDOMKEY"]), R::Nil);
    ok(&mut con, &["SELECT", "0"]);
    let ks = text(&ok(&mut con, &["INFO", "keyspace"]));
    let db0 = info_field(&ks, "db0").unwrap_or_default();
    assert!(db0.starts_with("keys=1,expires="), "{ks}");
    assert_eq!(info_field(&ks, "db5"), None, "{ks}");

    // Writes treat an expired key as missing, and the new key has no TTL.
    let expire = |con: &mut redis::Connection, key: &str| {
        ok(con, &["SET", key, "old", "PX", "30"]);
    };
    expire(&mut con, "a");
    expire(&mut con, "b");
    expire(&mut con, "c");
    expire(&mut con, "d");
    expire(&mut con, "e");
    expire(&mut con, "f");
    expire(&mut con, "g");
    expire(&mut con, "h");
    ok(&mut con, &["SET", "src", "s"]);
    sleep_ms(60);
    assert_eq!(int(&mut con, &["APPEND", "a", "x"]), 1);
    assert_eq!(ok(&mut con, &["GET", "a"]), bulk("x"));
    assert_eq!(int(&mut con, &["INCR", "b"]), 1);
    assert_eq!(ok(&mut con, &["SET", "c", "w", "XX"]), R::Nil);
    assert_eq!(ok(&mut con, &["SET", "c", "w", "NX", "GET"]), R::Nil);
    assert_eq!(ok(&mut con, &["SET", "d", "w", "GET"]), R::Nil);
    assert_eq!(int(&mut con, &["MSETNX", "e", "1", "f", "2"]), 1);
    assert_eq!(ok(&mut con, &["GETSET", "g", "new"]), R::Nil);
    assert_eq!(int(&mut con, &["SETRANGE", "h", "2", "x"]), 3);
    assert_eq!(ok(&mut con, &["GET", "h"]), bulk("\0\0x"));
    for key in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        assert_eq!(int(&mut con, &["TTL", key]), -1, "{key}");
    }
    expire(&mut con, "i");
    expire(&mut con, "j");
    sleep_ms(60);
    assert_eq!(int(&mut con, &["COPY", "src", "i"]), 1);
    assert_eq!(int(&mut con, &["RENAMENX", "src", "j"]), 1);
    assert_eq!(
        ok(&mut con, &["MGET", "i", "j"]),
        R::Array(vec![bulk("s"), bulk("s")])
    );
    expire(&mut con, "k");
    sleep_ms(60);
    assert_eq!(ok(&mut con, &["INCRBYFLOAT", "k", "1.5"]), bulk("1.5"));
    // INFO stats counts every key found expired, once.
    wait_for_expired_keys(&mut con, 14);
    assert_eq!(expired_keys(&mut con), 14);
}

#[test]
fn active_expiry_removes_keys_nobody_touches() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "stays", "v"]);
    assert_eq!(expired_keys(&mut con), 0);
    let mut p = redis::pipe();
    for i in 0..1000 {
        p.cmd("SET")
            .arg(format!("k{i}"))
            .arg("v")
            .arg("PX")
            .arg(50)
            .ignore();
    }
    p.query::<()>(&mut con).expect("load");
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let n = expired_keys(&mut con);
        if n >= 1000 {
            assert_eq!(n, 1000);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {n} of 1000 keys expired after 3 s"
        );
        sleep_ms(20);
    }
    let ks = text(&ok(&mut con, &["INFO", "keyspace"]));
    assert_eq!(
        info_field(&ks, "db0").as_deref(),
        Some("keys=1,expires=0,avg_ttl=0"),
        "{ks}"
    );
    assert_eq!(int(&mut con, &["DBSIZE"]), 1);
}

#[test]
fn config_resetstat_clears_expired_keys() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "k", "v", "PX", "1"]);
    sleep_ms(20);
    assert_eq!(int(&mut con, &["EXISTS", "k"]), 0);
    wait_for_expired_keys(&mut con, 1);
    assert_eq!(ok(&mut con, &["CONFIG", "RESETSTAT"]), R::Okay);
    assert_eq!(expired_keys(&mut con), 0);
}

/// Redis deletes an expired key as soon as any command looks it up, reads
/// included, and counts it in expired_keys then.
#[test]
fn reading_an_expired_key_counts_it_at_once() {
    let server = Server::start();
    let mut con = client(&server);
    for (i, read) in ["GET", "EXISTS", "TTL", "TYPE", "STRLEN"]
        .into_iter()
        .enumerate()
    {
        ok(&mut con, &["SET", read, "v", "PX", "1"]);
        sleep_ms(5);
        ok(&mut con, &[read, read]);
        assert_eq!(expired_keys(&mut con), i as u64 + 1, "{read}");
    }
}

// ---------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------

#[test]
fn select_isolates_databases() {
    let server = Server::start();
    let mut con = client(&server);
    for bad in ["16", "-1", "100"] {
        assert_err(&mut con, &["SELECT", bad], DB_RANGE);
    }
    for bad in ["x", "1.0", "", "9223372036854775808"] {
        assert_err(&mut con, &["SELECT", bad], NOT_INT);
    }
    let arity = "ERR wrong number of arguments for 'select' command";
    assert_err(&mut con, &["SELECT"], arity);
    assert_err(&mut con, &["SELECT", "1", "2"], arity);

    ok(&mut con, &["SET", "k", "v0"]);
    assert_eq!(ok(&mut con, &["SELECT", "1"]), R::Okay);
    assert_eq!(ok(&mut con, &["GET", "k"]), R::Nil);
    assert_eq!(int(&mut con, &["EXISTS", "k"]), 0);
    ok(&mut con, &["SET", "k", "v1"]);
    ok(&mut con, &["SET", "only1", "x"]);
    assert_eq!(int(&mut con, &["DBSIZE"]), 2);
    assert_eq!(keys(&mut con, "*"), ["k", "only1"]);
    assert_eq!(ok(&mut con, &["SELECT", "15"]), R::Okay);
    assert_eq!(int(&mut con, &["DBSIZE"]), 0);
    ok(&mut con, &["SET", "k", "v15"]);
    assert_eq!(ok(&mut con, &["SELECT", "0"]), R::Okay);
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("v0"));
    assert_eq!(int(&mut con, &["DBSIZE"]), 1);
    assert_eq!(int(&mut con, &["DEL", "only1"]), 0);

    // The selection belongs to the connection.
    let mut other = client(&server);
    ok(&mut con, &["SELECT", "1"]);
    assert_eq!(ok(&mut other, &["GET", "k"]), bulk("v0"));
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("v1"));
    // A failed SELECT keeps the current one.
    assert_err(&mut con, &["SELECT", "16"], DB_RANGE);
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("v1"));
}

/// Redis parses a DB index as a C int first: beyond that range the error
/// is the int one; SWAPDB parses both indexes before checking either range.
#[test]
fn db_indexes_beyond_int_range_get_redis_errors() {
    let server = Server::start();
    let mut con = client(&server);
    let int_range = "ERR value is out of range, value must between -2147483648 and 2147483647";
    ok(&mut con, &["SET", "k", "v"]);
    for big in ["2147483648", "4294967296", "9223372036854775807"] {
        assert_err(&mut con, &["SELECT", big], int_range);
        assert_err(&mut con, &["MOVE", "k", big], int_range);
        assert_err(&mut con, &["COPY", "k", "d", "DB", big], int_range);
    }
    assert_err(
        &mut con,
        &["SWAPDB", "0", "2147483648"],
        "ERR invalid second DB index",
    );
    assert_err(
        &mut con,
        &["SWAPDB", "16", "x"],
        "ERR invalid second DB index",
    );
}

#[test]
fn move_between_databases() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "k", "v", "EX", "100"]);
    assert_eq!(int(&mut con, &["MOVE", "k", "1"]), 1);
    assert_eq!(int(&mut con, &["EXISTS", "k"]), 0);
    ok(&mut con, &["SELECT", "1"]);
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("v"));
    assert_eq!(int(&mut con, &["TTL", "k"]), 100);
    // An existing key in the target stops it.
    ok(&mut con, &["SELECT", "0"]);
    ok(&mut con, &["SET", "k", "here"]);
    assert_eq!(int(&mut con, &["MOVE", "k", "1"]), 0);
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("here"));
    assert_eq!(int(&mut con, &["MOVE", "missing", "1"]), 0);
    assert_err(
        &mut con,
        &["MOVE", "k", "0"],
        "ERR source and destination objects are the same",
    );
    assert_err(&mut con, &["MOVE", "k", "16"], DB_RANGE);
    assert_err(&mut con, &["MOVE", "k", "-1"], DB_RANGE);
    assert_err(&mut con, &["MOVE", "k", "x"], NOT_INT);
    let arity = "ERR wrong number of arguments for 'move' command";
    assert_err(&mut con, &["MOVE", "k"], arity);
    assert_err(&mut con, &["MOVE", "k", "1", "2"], arity);
    // Any type moves.
    seed_list(&server, "l");
    assert_eq!(int(&mut con, &["MOVE", "l", "15"]), 1);
    ok(&mut con, &["SELECT", "15"]);
    assert_eq!(ok(&mut con, &["TYPE", "l"]), status("list"));
}

#[test]
fn copy_within_and_across_databases() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "src", "hello", "EX", "100"]);
    assert_eq!(int(&mut con, &["COPY", "src", "dst"]), 1);
    assert_eq!(ok(&mut con, &["GET", "dst"]), bulk("hello"));
    assert_eq!(int(&mut con, &["TTL", "dst"]), 100);
    assert_eq!(int(&mut con, &["COPY", "src", "dst"]), 0);
    ok(&mut con, &["SET", "src", "world"]);
    assert_eq!(int(&mut con, &["COPY", "src", "dst"]), 0);
    assert_eq!(ok(&mut con, &["GET", "dst"]), bulk("hello"));
    assert_eq!(int(&mut con, &["COPY", "src", "dst", "REPLACE"]), 1);
    assert_eq!(ok(&mut con, &["GET", "dst"]), bulk("world"));
    // REPLACE takes the source's (absent) TTL.
    assert_eq!(int(&mut con, &["TTL", "dst"]), -1);
    assert_eq!(int(&mut con, &["COPY", "src", "dst", "replace"]), 1);
    assert_eq!(int(&mut con, &["COPY", "missing", "dst"]), 0);
    assert_eq!(int(&mut con, &["COPY", "missing", "dst", "REPLACE"]), 0);
    assert_eq!(ok(&mut con, &["GET", "dst"]), bulk("world"));
    // The copy is independent of the source.
    assert_eq!(int(&mut con, &["APPEND", "dst", "!"]), 6);
    assert_eq!(ok(&mut con, &["GET", "src"]), bulk("world"));

    let same = "ERR source and destination objects are the same";
    assert_err(&mut con, &["COPY", "src", "src"], same);
    assert_err(&mut con, &["COPY", "src", "src", "REPLACE"], same);
    assert_err(&mut con, &["COPY", "src", "src", "DB", "0"], same);

    ok(&mut con, &["SET", "t", "ttl", "EX", "100"]);
    assert_eq!(int(&mut con, &["COPY", "t", "t", "DB", "1"]), 1);
    assert_eq!(int(&mut con, &["COPY", "src", "t", "DB", "1"]), 0);
    assert_eq!(
        int(&mut con, &["COPY", "src", "t", "db", "1", "REPLACE"]),
        1
    );
    assert_eq!(
        int(&mut con, &["COPY", "src", "x", "REPLACE", "DB", "2"]),
        1
    );
    // The last DB wins; REPLACE may repeat.
    assert_eq!(
        int(&mut con, &["COPY", "src", "y", "DB", "1", "DB", "3"]),
        1
    );
    assert_eq!(
        int(&mut con, &["COPY", "src", "y", "REPLACE", "REPLACE"]),
        1
    );
    assert_eq!(ok(&mut con, &["GET", "t"]), bulk("ttl"));
    ok(&mut con, &["SELECT", "1"]);
    assert_eq!(ok(&mut con, &["GET", "t"]), bulk("world"));
    assert_eq!(int(&mut con, &["TTL", "t"]), -1);
    assert_eq!(int(&mut con, &["EXISTS", "y"]), 0);
    ok(&mut con, &["SELECT", "2"]);
    assert_eq!(ok(&mut con, &["GET", "x"]), bulk("world"));
    ok(&mut con, &["SELECT", "3"]);
    assert_eq!(ok(&mut con, &["GET", "y"]), bulk("world"));
    ok(&mut con, &["SELECT", "0"]);

    assert_err(&mut con, &["COPY", "src", "d", "DB", "16"], DB_RANGE);
    assert_err(&mut con, &["COPY", "src", "d", "DB", "-1"], DB_RANGE);
    assert_err(&mut con, &["COPY", "src", "d", "DB", "x"], NOT_INT);
    assert_err(&mut con, &["COPY", "src", "d", "DB"], SYNTAX);
    assert_err(&mut con, &["COPY", "src", "d", "BOGUS"], SYNTAX);
    let arity = "ERR wrong number of arguments for 'copy' command";
    assert_err(&mut con, &["COPY"], arity);
    assert_err(&mut con, &["COPY", "a"], arity);

    // Any type copies, and REPLACE overwrites across types.
    seed_list(&server, "l");
    assert_eq!(int(&mut con, &["COPY", "l", "l2"]), 1);
    assert_eq!(ok(&mut con, &["TYPE", "l2"]), status("list"));
    assert_eq!(int(&mut con, &["COPY", "src", "l"]), 0);
    assert_eq!(int(&mut con, &["COPY", "src", "l", "REPLACE"]), 1);
    assert_eq!(ok(&mut con, &["TYPE", "l"]), status("string"));
}

#[test]
fn swapdb_is_seen_by_other_connections() {
    let server = Server::start();
    let mut a = client(&server);
    let mut b = client(&server);
    ok(&mut a, &["SET", "zero", "0"]);
    ok(&mut a, &["SET", "t", "ttl", "EX", "100"]);
    ok(&mut b, &["SELECT", "1"]);
    ok(&mut b, &["SET", "one", "1"]);
    assert_eq!(keys(&mut b, "*"), ["one"]);

    assert_eq!(ok(&mut a, &["SWAPDB", "0", "1"]), R::Okay);
    // b is still in db 1, which now holds what db 0 held; a likewise.
    assert_eq!(keys(&mut b, "*"), ["t", "zero"]);
    assert_eq!(ok(&mut b, &["GET", "zero"]), bulk("0"));
    assert_eq!(int(&mut b, &["TTL", "t"]), 100);
    assert_eq!(int(&mut b, &["DBSIZE"]), 2);
    assert_eq!(keys(&mut a, "*"), ["one"]);
    assert_eq!(int(&mut a, &["DBSIZE"]), 1);
    // A third connection, opened after the swap.
    let mut c = client(&server);
    assert_eq!(ok(&mut c, &["GET", "one"]), bulk("1"));
    // And back, named the other way round.
    assert_eq!(ok(&mut b, &["SWAPDB", "1", "0"]), R::Okay);
    assert_eq!(ok(&mut c, &["GET", "zero"]), bulk("0"));
    assert_eq!(ok(&mut b, &["GET", "one"]), bulk("1"));
    assert_eq!(ok(&mut a, &["SWAPDB", "3", "3"]), R::Okay);
    // With an empty database.
    assert_eq!(ok(&mut a, &["SWAPDB", "0", "15"]), R::Okay);
    assert_eq!(int(&mut a, &["DBSIZE"]), 0);
    ok(&mut c, &["SELECT", "15"]);
    assert_eq!(keys(&mut c, "*"), ["t", "zero"]);

    assert_err(&mut a, &["SWAPDB", "0", "16"], DB_RANGE);
    assert_err(&mut a, &["SWAPDB", "-1", "0"], DB_RANGE);
    assert_err(&mut a, &["SWAPDB", "x", "0"], "ERR invalid first DB index");
    assert_err(&mut a, &["SWAPDB", "0", "x"], "ERR invalid second DB index");
    assert_err(&mut a, &["SWAPDB", "x", "16"], "ERR invalid first DB index");
    let arity = "ERR wrong number of arguments for 'swapdb' command";
    assert_err(&mut a, &["SWAPDB", "0"], arity);
    assert_err(&mut a, &["SWAPDB", "0", "1", "2"], arity);
}

#[test]
fn flushdb_flushall_dbsize_and_info_keyspace() {
    let server = Server::start();
    let mut con = client(&server);
    let ks = |con: &mut redis::Connection| text(&ok(con, &["INFO", "keyspace"]));
    assert_eq!(ks(&mut con), "# Keyspace\r\n");

    ok(&mut con, &["SET", "a", "0"]);
    ok(&mut con, &["SET", "e", "0", "EX", "100"]);
    ok(&mut con, &["SELECT", "3"]);
    ok(&mut con, &["MSET", "b", "3", "c", "3", "d", "3"]);
    ok(&mut con, &["SELECT", "15"]);
    ok(&mut con, &["SET", "z", "15", "PX", "100000"]);
    let info = ks(&mut con);
    assert!(info.starts_with("# Keyspace\r\ndb0:"), "{info}");
    let lines: Vec<&str> = info.lines().collect();
    assert_eq!(lines.len(), 4, "{info}");
    assert!(
        lines[1].starts_with("db0:keys=2,expires=1,avg_ttl="),
        "{info}"
    );
    assert_eq!(lines[2], "db3:keys=3,expires=0,avg_ttl=0");
    assert!(
        lines[3].starts_with("db15:keys=1,expires=1,avg_ttl="),
        "{info}"
    );
    // The section is part of the default INFO too.
    let all = text(&ok(&mut con, &["INFO"]));
    assert!(
        all.contains("\r\ndb3:keys=3,expires=0,avg_ttl=0\r\n"),
        "{all}"
    );

    // FLUSHDB only flushes the selected one.
    assert_eq!(int(&mut con, &["DBSIZE"]), 1);
    assert_eq!(ok(&mut con, &["FLUSHDB"]), R::Okay);
    assert_eq!(int(&mut con, &["DBSIZE"]), 0);
    ok(&mut con, &["SELECT", "3"]);
    assert_eq!(int(&mut con, &["DBSIZE"]), 3);
    assert_eq!(ok(&mut con, &["FLUSHDB", "ASYNC"]), R::Okay);
    assert_eq!(int(&mut con, &["DBSIZE"]), 0);
    ok(&mut con, &["SELECT", "0"]);
    assert_eq!(int(&mut con, &["DBSIZE"]), 2);
    let info = ks(&mut con);
    assert_eq!(info.lines().count(), 2, "{info}");
    assert!(info.contains("db0:keys=2,expires=1"), "{info}");
    // DBSIZE per database, seen from another connection.
    let mut other = client(&server);
    ok(&mut other, &["SELECT", "7"]);
    ok(&mut other, &["SET", "s", "7"]);
    assert_eq!(int(&mut other, &["DBSIZE"]), 1);
    assert_eq!(int(&mut con, &["DBSIZE"]), 2);

    // FLUSHALL flushes every database, whichever is selected.
    ok(&mut con, &["SELECT", "9"]);
    assert_eq!(ok(&mut con, &["FLUSHALL"]), R::Okay);
    assert_eq!(int(&mut other, &["DBSIZE"]), 0);
    ok(&mut con, &["SELECT", "0"]);
    assert_eq!(int(&mut con, &["DBSIZE"]), 0);
    assert_eq!(ks(&mut con), "# Keyspace\r\n");
    for opt in ["SYNC", "sync", "ASYNC"] {
        assert_eq!(ok(&mut con, &["FLUSHDB", opt]), R::Okay);
        assert_eq!(ok(&mut con, &["FLUSHALL", opt]), R::Okay);
    }
    for cmd in ["FLUSHDB", "FLUSHALL"] {
        assert_err(&mut con, &[cmd, "x"], SYNTAX);
        assert_err(&mut con, &[cmd, "SYNC", "ASYNC"], SYNTAX);
    }
    assert_err(
        &mut con,
        &["DBSIZE", "x"],
        "ERR wrong number of arguments for 'dbsize' command",
    );
}

#[test]
fn info_cluster() {
    let server = Server::start();
    let mut con = client(&server);
    assert_eq!(
        text(&ok(&mut con, &["INFO", "cluster"])),
        "# Cluster\r\ncluster_enabled:0\r\n"
    );
    assert_eq!(
        text(&ok(&mut con, &["INFO", "CLUSTER"])),
        "# Cluster\r\ncluster_enabled:0\r\n"
    );
    let all = text(&ok(&mut con, &["INFO"]));
    assert!(all.contains("# Cluster\r\ncluster_enabled:0\r\n"), "{all}");
    // Sections come in Redis's order whatever the order asked.
    let two = text(&ok(&mut con, &["INFO", "keyspace", "cluster"]));
    assert_eq!(
        two.trim_end(),
        "# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace"
    );
}

// ---------------------------------------------------------------------------
// Keyspace commands
// ---------------------------------------------------------------------------

#[test]
fn rename_and_renamenx() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "a", "1", "EX", "100"]);
    assert_eq!(ok(&mut con, &["RENAME", "a", "b"]), R::Okay);
    assert_eq!(ok(&mut con, &["GET", "b"]), bulk("1"));
    assert_eq!(int(&mut con, &["TTL", "b"]), 100);
    assert_eq!(int(&mut con, &["EXISTS", "a"]), 0);
    // Onto itself: fine, and the key stays.
    assert_eq!(ok(&mut con, &["RENAME", "b", "b"]), R::Okay);
    assert_eq!(ok(&mut con, &["GET", "b"]), bulk("1"));
    assert_err(
        &mut con,
        &["RENAME", "missing", "missing"],
        "ERR no such key",
    );
    assert_err(&mut con, &["RENAME", "missing", "x"], "ERR no such key");
    assert_err(&mut con, &["RENAMENX", "missing", "x"], "ERR no such key");
    assert_eq!(int(&mut con, &["RENAMENX", "b", "b"]), 0);
    ok(&mut con, &["SET", "c", "2"]);
    assert_eq!(int(&mut con, &["RENAMENX", "b", "c"]), 0);
    assert_eq!(ok(&mut con, &["GET", "c"]), bulk("2"));
    assert_eq!(int(&mut con, &["RENAMENX", "b", "d"]), 1);
    assert_eq!(int(&mut con, &["TTL", "d"]), 100);
    assert_eq!(int(&mut con, &["EXISTS", "b"]), 0);
    // RENAME overwrites, TTL included.
    ok(&mut con, &["SET", "c", "5", "EX", "200"]);
    assert_eq!(ok(&mut con, &["RENAME", "d", "c"]), R::Okay);
    assert_eq!(int(&mut con, &["TTL", "c"]), 100);
    assert_eq!(ok(&mut con, &["GET", "c"]), bulk("1"));
    // Any type.
    seed_list(&server, "l");
    assert_eq!(ok(&mut con, &["RENAME", "l", "lst"]), R::Okay);
    assert_eq!(ok(&mut con, &["TYPE", "lst"]), status("list"));
    assert_eq!(int(&mut con, &["RENAMENX", "lst", "c"]), 0);
    assert_eq!(ok(&mut con, &["RENAME", "c", "lst"]), R::Okay);
    assert_eq!(ok(&mut con, &["TYPE", "lst"]), status("string"));
    for cmd in ["RENAME", "RENAMENX"] {
        let lower = cmd.to_lowercase();
        let arity = format!("ERR wrong number of arguments for '{lower}' command");
        assert_err(&mut con, &[cmd], &arity);
        assert_err(&mut con, &[cmd, "a"], &arity);
        assert_err(&mut con, &[cmd, "a", "b", "c"], &arity);
    }
}

#[test]
fn del_unlink_touch_exists_type() {
    let server = Server::start();
    let mut con = client(&server);
    for cmd in ["DEL", "UNLINK", "TOUCH", "EXISTS", "TYPE"] {
        let lower = cmd.to_lowercase();
        assert_err(
            &mut con,
            &[cmd],
            &format!("ERR wrong number of arguments for '{lower}' command"),
        );
    }
    assert_err(
        &mut con,
        &["TYPE", "a", "b"],
        "ERR wrong number of arguments for 'type' command",
    );
    ok(&mut con, &["MSET", "a", "1", "b", "2", "c", "3"]);
    // Repeated names count each time for EXISTS and TOUCH, once for DEL.
    assert_eq!(int(&mut con, &["EXISTS", "a", "a", "a", "missing"]), 3);
    assert_eq!(int(&mut con, &["TOUCH", "a", "b", "a", "missing"]), 3);
    assert_eq!(int(&mut con, &["TOUCH", "missing"]), 0);
    assert_eq!(ok(&mut con, &["TYPE", "a"]), status("string"));
    assert_eq!(ok(&mut con, &["TYPE", "missing"]), status("none"));
    assert_eq!(int(&mut con, &["DEL", "a", "a", "missing"]), 1);
    assert_eq!(int(&mut con, &["UNLINK", "b", "c", "b", "missing"]), 2);
    assert_eq!(int(&mut con, &["DEL", "missing"]), 0);
    assert_eq!(int(&mut con, &["UNLINK", "missing"]), 0);
    assert_eq!(int(&mut con, &["DBSIZE"]), 0);
    seed_list(&server, "l");
    assert_eq!(ok(&mut con, &["TYPE", "l"]), status("list"));
    assert_eq!(int(&mut con, &["EXISTS", "l"]), 1);
    assert_eq!(int(&mut con, &["DEL", "l"]), 1);
}

#[test]
fn randomkey() {
    let server = Server::start();
    let mut con = client(&server);
    assert_eq!(ok(&mut con, &["RANDOMKEY"]), R::Nil);
    assert_err(
        &mut con,
        &["RANDOMKEY", "x"],
        "ERR wrong number of arguments for 'randomkey' command",
    );
    ok(&mut con, &["MSET", "a", "1", "b", "2", "c", "3"]);
    let mut seen = HashSet::new();
    for _ in 0..200 {
        let k = text(&ok(&mut con, &["RANDOMKEY"]));
        assert!(["a", "b", "c"].contains(&k.as_str()), "{k}");
        seen.insert(k);
    }
    assert_eq!(seen.len(), 3, "RANDOMKEY is not random: {seen:?}");
    // Only the selected database.
    ok(&mut con, &["SELECT", "1"]);
    assert_eq!(ok(&mut con, &["RANDOMKEY"]), R::Nil);
    ok(&mut con, &["SET", "only", "x"]);
    assert_eq!(ok(&mut con, &["RANDOMKEY"]), bulk("only"));
    // All keys volatile and expired: nil, not an expired key.
    ok(&mut con, &["FLUSHALL"]);
    for k in ["a", "b", "c"] {
        ok(&mut con, &["SET", k, "v", "PX", "30"]);
    }
    sleep_ms(60);
    assert_eq!(ok(&mut con, &["RANDOMKEY"]), R::Nil);
    assert_eq!(int(&mut con, &["DBSIZE"]), 0);
}

#[test]
fn scan_and_keys() {
    let server = Server::start();
    let mut con = client(&server);
    assert_eq!(
        ok(&mut con, &["SCAN", "0"]),
        R::Array(vec![bulk("0"), R::Array(vec![])])
    );
    let mut p = redis::pipe();
    for i in 0..300 {
        p.cmd("SET").arg(format!("user:{i}")).arg(i).ignore();
    }
    for i in 0..50 {
        p.cmd("SET").arg(format!("other:{i}")).arg(i).ignore();
    }
    p.query::<()>(&mut con).expect("load");
    seed_list(&server, "user:list");
    ok(&mut con, &["SELECT", "2"]);
    ok(&mut con, &["SET", "user:elsewhere", "x"]);
    ok(&mut con, &["SELECT", "0"]);

    assert_eq!(scan_all(&mut con, &[]).len(), 351);
    assert_eq!(scan_all(&mut con, &["COUNT", "7"]).len(), 351);
    assert_eq!(scan_all(&mut con, &["MATCH", "user:*"]).len(), 301);
    assert_eq!(
        scan_all(&mut con, &["match", "user:1?", "count", "1000"]),
        (10..20).map(|i| format!("user:{i}")).collect::<Vec<_>>()
    );
    assert_eq!(scan_all(&mut con, &["TYPE", "string"]).len(), 350);
    assert_eq!(scan_all(&mut con, &["type", "STRING"]).len(), 350);
    assert_eq!(scan_all(&mut con, &["TYPE", "list"]), ["user:list"]);
    assert_eq!(
        scan_all(&mut con, &["MATCH", "other:*", "TYPE", "list"]),
        Vec::<String>::new()
    );
    assert_eq!(
        scan_all(&mut con, &["MATCH", "*list", "COUNT", "3", "TYPE", "list"]),
        ["user:list"]
    );
    assert_eq!(scan_all(&mut con, &["TYPE", "hash"]), Vec::<String>::new());
    // A COUNT big enough returns everything in one step.
    let (cursor, all): (String, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("COUNT")
        .arg(10_000)
        .query(&mut con)
        .expect("scan");
    assert_eq!((cursor.as_str(), all.len()), ("0", 351));

    assert_eq!(keys(&mut con, "user:*").len(), 301);
    assert_eq!(
        keys(&mut con, "other:4?"),
        (40..50).map(|i| format!("other:{i}")).collect::<Vec<_>>()
    );
    assert_eq!(keys(&mut con, "user:elsewhere"), Vec::<String>::new());
    assert_eq!(keys(&mut con, "*").len(), 351);
    let arity = "ERR wrong number of arguments for 'keys' command";
    assert_err(&mut con, &["KEYS"], arity);
    assert_err(&mut con, &["KEYS", "a", "b"], arity);

    for opts in [
        &["TYPE"][..],
        &["COUNT"],
        &["COUNT", "0"],
        &["COUNT", "-1"],
        &["MATCH"],
        &["BOGUS", "1"],
    ] {
        let mut words = vec!["SCAN", "0"];
        words.extend_from_slice(opts);
        assert_err(&mut con, &words, SYNTAX);
    }
    assert_err(&mut con, &["SCAN", "0", "COUNT", "x"], NOT_INT);
    for bad in ["x", "1.5", " 0", "0 ", "18446744073709551616"] {
        assert_err(&mut con, &["SCAN", bad], "ERR invalid cursor");
    }
    assert_err(
        &mut con,
        &["SCAN"],
        "ERR wrong number of arguments for 'scan' command",
    );
}

/// Redis reads the SCAN cursor with strtoul: a minus sign wraps around and
/// an empty cursor is 0.
#[test]
fn scan_cursor_is_read_like_strtoul() {
    let server = Server::start();
    let mut con = client(&server);
    let done = R::Array(vec![bulk("0"), R::Array(vec![])]);
    for cursor in [
        "+0",
        "00",
        "18446744073709551615",
        "-1",
        "-0",
        "",
        "-18446744073709551615",
    ] {
        assert_eq!(ok(&mut con, &["SCAN", cursor]), done, "{cursor:?}");
    }
    assert_err(
        &mut con,
        &["SCAN", "-18446744073709551616"],
        "ERR invalid cursor",
    );
}

// ---------------------------------------------------------------------------
// WRONGTYPE
// ---------------------------------------------------------------------------

#[test]
fn string_commands_on_a_list_are_wrongtype() {
    let server = Server::start();
    let mut con = client(&server);
    seed_list(&server, "list");
    for words in [
        &["GET", "list"][..],
        &["SET", "list", "v", "GET"],
        &["SET", "list", "v", "NX", "GET"],
        &["SET", "list", "v", "XX", "GET"],
        &["SET", "list", "v", "KEEPTTL", "GET"],
        &["GETEX", "list"],
        &["GETEX", "list", "EX", "10"],
        &["GETEX", "list", "PERSIST"],
        &["GETDEL", "list"],
        &["GETRANGE", "list", "0", "1"],
        &["GETRANGE", "list", "5", "1"],
        &["SUBSTR", "list", "0", "1"],
        &["SETRANGE", "list", "0", "x"],
        &["SETRANGE", "list", "0", ""],
        &["SETRANGE", "list", "5", ""],
        &["INCRBYFLOAT", "list", "1"],
        &["APPEND", "list", "x"],
        &["APPEND", "list", ""],
        &["GETSET", "list", "x"],
        &["STRLEN", "list"],
        &["INCR", "list"],
        &["INCRBY", "list", "2"],
        &["DECR", "list"],
        &["DECRBY", "list", "2"],
    ] {
        assert_err(&mut con, words, WRONGTYPE);
    }
    // None of them changed it.
    assert_eq!(ok(&mut con, &["TYPE", "list"]), status("list"));
    assert_eq!(int(&mut con, &["TTL", "list"]), -1);
    // MGET reads it as nil; conditional sets see a key there.
    assert_eq!(
        ok(&mut con, &["MGET", "list", "nope"]),
        R::Array(vec![R::Nil, R::Nil])
    );
    assert_eq!(ok(&mut con, &["SET", "list", "v", "NX"]), R::Nil);
    assert_eq!(int(&mut con, &["MSETNX", "list", "1"]), 0);
    assert_eq!(ok(&mut con, &["TYPE", "list"]), status("list"));
    // Keyspace commands work on it.
    assert_eq!(int(&mut con, &["EXPIRE", "list", "100"]), 1);
    assert_eq!(int(&mut con, &["TTL", "list"]), 100);
    assert_eq!(int(&mut con, &["PERSIST", "list"]), 1);
    assert_eq!(int(&mut con, &["OBJECT", "REFCOUNT", "list"]), 1);
    assert!(int(&mut con, &["OBJECT", "IDLETIME", "list"]) <= 1);
    // Plain overwrites replace it with a string.
    for words in [
        &["SET", "list", "v"][..],
        &["SETEX", "list", "10", "v"],
        &["PSETEX", "list", "10000", "v"],
        &["MSET", "list", "v"],
        &["SET", "list", "v", "XX"],
        &["SET", "list", "v", "EX", "10"],
    ] {
        seed_list(&server, "list");
        ok(&mut con, words);
        assert_eq!(
            ok(&mut con, &["TYPE", "list"]),
            status("string"),
            "{words:?}"
        );
        assert_eq!(ok(&mut con, &["GET", "list"]), bulk("v"), "{words:?}");
    }
}

// ---------------------------------------------------------------------------
// OBJECT
// ---------------------------------------------------------------------------

fn encoding(con: &mut redis::Connection, key: &str) -> String {
    text(&ok(con, &["OBJECT", "ENCODING", key]))
}

#[test]
fn object_encoding_of_strings() {
    let server = Server::start();
    let mut con = client(&server);
    let s44 = "a".repeat(44);
    let s45 = "a".repeat(45);
    let d44 = "1".repeat(44);
    let d45 = "1".repeat(45);
    for (value, want) in [
        ("123", "int"),
        ("-123", "int"),
        ("0", "int"),
        ("9223372036854775807", "int"),
        ("-9223372036854775808", "int"),
        ("9223372036854775808", "embstr"),
        ("0123", "embstr"),
        (" 1", "embstr"),
        ("+1", "embstr"),
        ("-0", "embstr"),
        ("1.5", "embstr"),
        ("", "embstr"),
        ("hello", "embstr"),
        (&s44, "embstr"),
        (&d44, "embstr"),
        (&s45, "raw"),
        (&d45, "raw"),
    ] {
        ok(&mut con, &["SET", "k", value]);
        assert_eq!(encoding(&mut con, "k"), want, "{value:?}");
    }
    // Whatever command stored it.
    ok(&mut con, &["SETEX", "sx", "100", "123"]);
    assert_eq!(encoding(&mut con, "sx"), "int");
    ok(&mut con, &["MSET", "m1", "1", "m2", "hello"]);
    assert_eq!(encoding(&mut con, "m1"), "int");
    assert_eq!(encoding(&mut con, "m2"), "embstr");
    ok(&mut con, &["GETSET", "m2", "77"]);
    assert_eq!(encoding(&mut con, "m2"), "int");
    ok(&mut con, &["SET", "c", "5"]);
    ok(&mut con, &["INCR", "c"]);
    assert_eq!(encoding(&mut con, "c"), "int");
    ok(&mut con, &["INCR", "newc"]);
    assert_eq!(encoding(&mut con, "newc"), "int");
    // APPEND to a missing key stores its argument as SET would.
    ok(&mut con, &["APPEND", "newa", "12"]);
    assert_eq!(encoding(&mut con, "newa"), "int");
    ok(&mut con, &["SET", "f", "1.5"]);
    ok(&mut con, &["INCRBYFLOAT", "f", "1"]);
    assert_eq!(encoding(&mut con, "f"), "embstr");
    // COPY keeps the encoding.
    ok(&mut con, &["SET", "big", &s45]);
    ok(&mut con, &["COPY", "big", "big2"]);
    assert_eq!(encoding(&mut con, "big2"), "raw");
    ok(&mut con, &["COPY", "m1", "m3"]);
    assert_eq!(encoding(&mut con, "m3"), "int");
    assert_eq!(ok(&mut con, &["OBJECT", "ENCODING", "missing"]), R::Nil);
}

/// In Redis APPEND and SETRANGE on an existing key edit the string in
/// place, which makes it "raw" whatever its length or digits; SETRANGE
/// creates a raw string too; INCRBYFLOAT's result is never "int".
#[test]
fn object_encoding_after_in_place_edits_is_raw() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "s", "hi"]);
    ok(&mut con, &["APPEND", "s", "x"]);
    assert_eq!(encoding(&mut con, "s"), "raw");
    ok(&mut con, &["SET", "s", "1"]);
    ok(&mut con, &["APPEND", "s", "2"]);
    assert_eq!(encoding(&mut con, "s"), "raw");
    assert_eq!(ok(&mut con, &["GET", "s"]), bulk("12"));
    ok(&mut con, &["SET", "s", "abc"]);
    ok(&mut con, &["SETRANGE", "s", "0", "x"]);
    assert_eq!(encoding(&mut con, "s"), "raw");
    ok(&mut con, &["SET", "s", "10"]);
    ok(&mut con, &["SETRANGE", "s", "0", "2"]);
    assert_eq!(encoding(&mut con, "s"), "raw");
    ok(&mut con, &["SETRANGE", "newr", "0", "12"]);
    assert_eq!(encoding(&mut con, "newr"), "raw");
    ok(&mut con, &["SET", "f", "100"]);
    ok(&mut con, &["INCRBYFLOAT", "f", "1"]);
    assert_eq!(encoding(&mut con, "f"), "embstr");
}

#[test]
fn object_freq_idletime_refcount_help() {
    let server = Server::start();
    let mut con = client(&server);
    for sub in [
        "ENCODING", "FREQ", "IDLETIME", "REFCOUNT", "encoding", "refcount",
    ] {
        assert_eq!(ok(&mut con, &["OBJECT", sub, "missing"]), R::Nil, "{sub}");
    }
    ok(&mut con, &["SET", "s", "hello"]);
    ok(&mut con, &["SET", "n", "10000"]);
    assert_eq!(int(&mut con, &["OBJECT", "REFCOUNT", "s"]), 1);
    assert_eq!(int(&mut con, &["OBJECT", "REFCOUNT", "n"]), 1);
    // Idle time counts in whole seconds of a coarse clock.
    assert!(int(&mut con, &["OBJECT", "IDLETIME", "s"]) <= 1);
    assert_err(
        &mut con,
        &["OBJECT", "FREQ", "s"],
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
         Please note that when switching between policies at runtime LRU and LFU data \
         will take some time to adjust.",
    );
    assert_err(
        &mut con,
        &["OBJECT"],
        "ERR wrong number of arguments for 'object' command",
    );
    // The help text, up to its last line (Redis 7.0 ends "Prints this
    // help.", later versions "Print this help.").
    let help = match ok(&mut con, &["OBJECT", "HELP"]) {
        R::Array(lines) => lines.iter().map(text).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(help.len(), 15, "{help:?}");
    assert_eq!(
        help[..14],
        [
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
            "HELP",
        ]
    );
    assert!(help[14].ends_with(" this help."), "{help:?}");
    assert_eq!(
        ok(&mut con, &["OBJECT", "help"]),
        ok(&mut con, &["OBJECT", "HELP"])
    );
}

/// Redis shares the integers 0..9999 between keys, and reports their
/// reference count as INT_MAX.
#[test]
fn object_refcount_of_shared_integers() {
    let server = Server::start();
    let mut con = client(&server);
    for v in ["0", "5", "9999"] {
        ok(&mut con, &["SET", "k", v]);
        assert_eq!(
            int(&mut con, &["OBJECT", "REFCOUNT", "k"]),
            2147483647,
            "{v}"
        );
    }
    ok(&mut con, &["SET", "k", "10000"]);
    assert_eq!(int(&mut con, &["OBJECT", "REFCOUNT", "k"]), 1);
}

/// Redis 7 names the unknown subcommand alone, and reports a wrong number
/// of arguments as such, naming "object|<subcommand>".
#[test]
fn object_subcommand_errors() {
    let server = Server::start();
    let mut con = client(&server);
    assert_err(
        &mut con,
        &["OBJECT", "BOGUS"],
        "ERR unknown subcommand 'BOGUS'. Try OBJECT HELP.",
    );
    assert_err(
        &mut con,
        &["OBJECT", "BOGUS", "x"],
        "ERR unknown subcommand 'BOGUS'. Try OBJECT HELP.",
    );
    for (words, sub) in [
        (&["OBJECT", "ENCODING"][..], "encoding"),
        (&["OBJECT", "ENCODING", "a", "b"], "encoding"),
        (&["OBJECT", "FREQ"], "freq"),
        (&["OBJECT", "IDLETIME", "a", "b"], "idletime"),
        (&["OBJECT", "REFCOUNT"], "refcount"),
        (&["OBJECT", "HELP", "x"], "help"),
    ] {
        assert_err(
            &mut con,
            words,
            &format!("ERR wrong number of arguments for 'object|{sub}' command"),
        );
    }
}

// ---------------------------------------------------------------------------
// Atomicity under concurrency
// ---------------------------------------------------------------------------

type Job = Box<dyn FnMut(&mut redis::Connection, u64) + Send>;

/// Runs each job in its own thread on its own connection, over and over
/// (with the iteration number), for about `ms` milliseconds; a failed
/// assertion in any job fails the test.
fn hammer(server: &Server, ms: u64, jobs: Vec<Job>) {
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = jobs
        .into_iter()
        .map(|mut job| {
            let mut con = client(server);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) && n < 20_000 {
                    job(&mut con, n);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_millis(ms);
    while Instant::now() < deadline && !handles.iter().all(|h| h.is_finished()) {
        sleep_ms(10);
    }
    stop.store(true, Ordering::Relaxed);
    let counts: Vec<u64> = handles
        .into_iter()
        .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        .collect();
    assert!(counts.iter().all(|&n| n > 0), "{counts:?}");
}

fn pair(con: &mut redis::Connection, words: &[&str]) -> (R, R) {
    match ok(con, words) {
        R::Array(v) if v.len() == 2 => (v[0].clone(), v[1].clone()),
        other => panic!("{words:?}: {other:?}"),
    }
}

#[test]
fn mset_pairs_stay_equal_under_concurrent_rename_and_copy() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["MSET", "a", "init", "b", "init"]);
    ok(&mut con, &["SET", "r1", "token"]);
    let mut jobs: Vec<Job> = Vec::new();
    // Writers: MSET a x b x, with x changing every call.
    for t in 0..3 {
        jobs.push(Box::new(move |con, n| {
            let v = format!("w{t}-{n}");
            assert_eq!(ok(con, &["MSET", "a", &v, "b", &v]), R::Okay);
        }));
    }
    // COPY one half of the pair onto the other: that keeps them equal only
    // if COPY and MSET are each atomic. A copy into another database too.
    jobs.push(Box::new(|con, n| {
        let (from, to) = if n % 2 == 0 { ("a", "b") } else { ("b", "a") };
        assert_eq!(int(con, &["COPY", from, to, "REPLACE"]), 1);
        assert_eq!(int(con, &["COPY", "a", "a", "DB", "1", "REPLACE"]), 1);
    }));
    // RENAME a token back and forth, and RENAME a copy of the pair over it.
    jobs.push(Box::new(|con, n| {
        let (from, to) = if n % 2 == 0 {
            ("r1", "r2")
        } else {
            ("r2", "r1")
        };
        assert_eq!(ok(con, &["RENAME", from, to]), R::Okay);
        assert_eq!(int(con, &["COPY", "b", "c", "REPLACE"]), 1);
        assert_eq!(ok(con, &["RENAME", "c", "d"]), R::Okay);
    }));
    // Readers.
    for _ in 0..2 {
        jobs.push(Box::new(|con, _| {
            let (a, b) = pair(con, &["MGET", "a", "b"]);
            assert_eq!(a, b, "MSET pair seen half-written");
            assert_ne!(a, R::Nil);
            let (r1, r2) = pair(con, &["MGET", "r1", "r2"]);
            assert!(
                (r1 == R::Nil) != (r2 == R::Nil),
                "RENAME seen half-done: {r1:?} {r2:?}"
            );
        }));
    }
    hammer(&server, 1500, jobs);
    let (a, b) = pair(&mut con, &["MGET", "a", "b"]);
    assert_eq!(a, b);
}

/// Every Redis command is atomic, multi-key reads included: EXISTS, KEYS
/// and DBSIZE never see a RENAME half-done, nor DBSIZE an MSET.
#[test]
fn multi_key_reads_never_see_a_rename_half_done() {
    let server = Server::start();
    let mut con = client(&server);
    ok(&mut con, &["SET", "r1", "token"]);
    let mut jobs: Vec<Job> = Vec::new();
    jobs.push(Box::new(|con, n| {
        let (from, to) = if n % 2 == 0 {
            ("r1", "r2")
        } else {
            ("r2", "r1")
        };
        assert_eq!(ok(con, &["RENAME", from, to]), R::Okay);
    }));
    jobs.push(Box::new(|con, n| {
        // Creates a and b together, then deletes them together.
        if n % 2 == 0 {
            assert_eq!(ok(con, &["MSET", "a", "1", "b", "1"]), R::Okay);
        } else {
            assert_eq!(int(con, &["DEL", "a", "b"]), 2);
        }
    }));
    jobs.push(Box::new(|con, _| {
        assert_eq!(
            int(con, &["EXISTS", "r1", "r2"]),
            1,
            "EXISTS saw a RENAME half-done"
        );
        let n = int(con, &["EXISTS", "a", "b"]);
        assert!(n == 0 || n == 2, "EXISTS saw an MSET or DEL half-done: {n}");
    }));
    jobs.push(Box::new(|con, _| {
        let k = keys(con, "r?");
        assert_eq!(k.len(), 1, "KEYS saw a RENAME half-done: {k:?}");
        let n = int(con, &["DBSIZE"]);
        assert!(n == 1 || n == 3, "DBSIZE saw {n} keys");
    }));
    hammer(&server, 1000, jobs);
}
