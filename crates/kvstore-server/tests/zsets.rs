//! The sorted set family over TCP: every reply, in RESP2 and RESP3, byte
//! for byte as a real Redis 7.0 gave it for the same script (the tables
//! below were recorded from one), then what a script cannot pin down:
//! random members, a large ZSCAN, logging of ZMPOP.

mod common;

use common::rs::{bulk, connect, ok, q, R};
use common::Raw;
use kvstore_server::BackgroundServer;

/// The encoding thresholds are process-wide, and every server started in
/// this process resets them to its config: the tests here, which set them
/// or depend on them, run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs each script on a fresh database: each line on a RESP2 or a RESP3
/// connection, its reply compared with Redis's bytes.
fn run(raw2: &mut Raw, raw3: &mut Raw, name: &str, script: &[(u8, &[&str], &str)], large: bool) {
    raw2.cmd(&["FLUSHALL"]);
    for (proto, words, want) in script {
        if large && words[0].eq_ignore_ascii_case("object") {
            continue;
        }
        let raw = if *proto == 3 { &mut *raw3 } else { &mut *raw2 };
        let got = raw.cmd(words);
        assert_eq!(&got, want, "{name}: {words:?} (RESP{proto})");
    }
}

fn hello(raw: &mut Raw, proto: &str) {
    raw.send(&["HELLO", proto]);
    raw.read_reply();
}

/// One test for the scripts: the encoding thresholds are process-wide, and
/// one script changes them.
#[test]
fn replies_match_redis() {
    let _serial = serial();
    let server = BackgroundServer::start();
    let mut raw2 = Raw::connect(server.addr());
    let mut raw3 = Raw::connect(server.addr());
    hello(&mut raw2, "2");
    hello(&mut raw3, "3");
    let scripts = [
        ("basics", BASICS),
        ("ranges", RANGES),
        ("pops", POPS),
        ("setops", SETOPS),
        ("edges", EDGES),
    ];
    for (name, script) in scripts {
        run(&mut raw2, &mut raw3, name, script, false);
    }
    // The same replies from the large encoding, but for OBJECT ENCODING.
    raw2.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "0"]);
    for (name, script) in scripts {
        run(&mut raw2, &mut raw3, name, script, true);
    }
    run(&mut raw2, &mut raw3, "encodings", ENCODINGS, false);
    random_members_and_large_scans(&server);
}

fn strings(v: R) -> Vec<String> {
    match v {
        R::Array(items) => items.iter().map(common::rs::text).collect(),
        other => panic!("not an array: {other:?}"),
    }
}

fn random_members_and_large_scans(server: &BackgroundServer) {
    let mut con = connect(server.addr());
    ok(&mut con, &["FLUSHALL"]);
    for i in 0..300 {
        let (s, m) = (i.to_string(), format!("m{i}"));
        ok(&mut con, &["ZADD", "big", &s, &m]);
    }
    ok(&mut con, &["ZADD", "small", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(
        ok(&mut con, &["OBJECT", "ENCODING", "big"]),
        bulk("skiplist")
    );
    assert_eq!(ok(&mut con, &["ZRANK", "big", "m250"]), R::Int(250));
    assert_eq!(ok(&mut con, &["ZREVRANK", "big", "m250"]), R::Int(49));

    // Distinct members for a positive count, repeats allowed for negative.
    for key in ["big", "small"] {
        let got = strings(ok(&mut con, &["ZRANDMEMBER", key, "2"]));
        assert_eq!(got.len(), 2);
        assert_ne!(got[0], got[1]);
        let got = strings(ok(&mut con, &["ZRANDMEMBER", key, "-10", "WITHSCORES"]));
        assert_eq!(got.len(), 20);
        for pair in got.chunks(2) {
            let score = ok(&mut con, &["ZSCORE", key, &pair[0]]);
            assert_eq!(bulk(&pair[1]), score);
        }
        let one = ok(&mut con, &["ZRANDMEMBER", key]);
        assert!(matches!(
            ok(&mut con, &["ZSCORE", key, &common::rs::text(&one)]),
            R::BulkString(_)
        ));
    }
    assert_eq!(
        strings(ok(&mut con, &["ZRANDMEMBER", "small", "10"])).len(),
        3
    );

    // A full ZSCAN of a large set sees every member once.
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let reply = ok(&mut con, &["ZSCAN", "big", &cursor, "COUNT", "7"]);
        let R::Array(parts) = reply else {
            panic!("ZSCAN reply");
        };
        cursor = common::rs::text(&parts[0]);
        for pair in strings(parts[1].clone()).chunks(2) {
            assert!(seen.insert(pair[0].clone()), "{} twice", pair[0]);
            assert_eq!(pair[0], format!("m{}", pair[1]));
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 300);
    let matched = ok(
        &mut con,
        &["ZSCAN", "big", "0", "MATCH", "m29?", "COUNT", "1000"],
    );
    let R::Array(parts) = matched else {
        panic!("ZSCAN reply");
    };
    assert_eq!(strings(parts[1].clone()).len(), 20);
    assert!(q(&mut con, &["ZSCAN", "big", "0", "COUNT", "0"]).is_err());
}

/// Writes whose logged form must replay to the same sets: ZMPOP is
/// logged as the ZPOPMIN or ZPOPMAX it amounted to, as Redis does.
#[test]
fn the_log_replays_to_the_same_sets() {
    let _serial = serial();
    use kvstore_server::config::AppendFsync;
    use kvstore_server::Config;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = || Config {
        appendonly: true,
        appendfsync: AppendFsync::No,
        dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let keys = ["a", "b", "u", "r", "m"];
    let dump = |con: &mut redis::Connection| -> Vec<R> {
        keys.iter()
            .map(|k| ok(con, &["ZRANGE", k, "0", "-1", "WITHSCORES"]))
            .collect()
    };
    let before = {
        let live = BackgroundServer::start_with(config());
        let mut con = connect(live.addr());
        for words in [
            &["ZADD", "a", "1", "x", "2.5", "y", "3", "z", "4", "w"][..],
            &["ZADD", "b", "INCR", "0.1", "x"],
            &["ZINCRBY", "b", "0.2", "x"],
            &["ZADD", "m", "1", "p", "2", "q", "3", "r"],
            &["ZMPOP", "2", "nokey", "a", "MIN", "COUNT", "2"],
            &["ZMPOP", "1", "m", "MAX"],
            &["ZPOPMAX", "m"],
            &["ZUNIONSTORE", "u", "2", "a", "b", "WEIGHTS", "2", "3"],
            &["ZRANGESTORE", "r", "u", "0", "0"],
            &["ZREMRANGEBYSCORE", "a", "4", "4"],
        ] {
            ok(&mut con, words);
        }
        dump(&mut con)
    };
    let log: Vec<u8> = walk_files(dir.path());
    let text = String::from_utf8_lossy(&log).to_ascii_uppercase();
    assert!(text.contains("ZPOPMIN"), "ZMPOP logged as ZPOPMIN");
    assert!(!text.contains("ZMPOP"), "ZMPOP itself not logged");
    let replayed = BackgroundServer::start_with(config());
    let mut con = connect(replayed.addr());
    assert_eq!(dump(&mut con), before);
}

/// Every byte of every file under `dir` (the AOF's files).
fn walk_files(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk_files(&path));
        } else {
            out.extend(std::fs::read(&path).unwrap_or_default());
        }
    }
    out
}

const BASICS: &[(u8, &[&str], &str)] = &[
    (2, &["zadd", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
    (2, &["zadd", "z", "nx", "xx", "1", "a"], "-ERR XX and NX options at the same time are not compatible\r\n"),
    (2, &["zadd", "z", "gt", "lt", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
    (2, &["zadd", "z", "nx", "gt", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
    (2, &["zadd", "z", "nx", "lt", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
    (2, &["zadd", "z", "incr", "1", "a", "2", "b"], "-ERR INCR option supports a single increment-element pair\r\n"),
    (2, &["zadd", "z"], "-ERR wrong number of arguments for 'zadd' command\r\n"),
    (2, &["zadd", "z", "1", "a", "2"], "-ERR syntax error\r\n"),
    (2, &["zadd", "z", "nan", "a"], "-ERR value is not a valid float\r\n"),
    (2, &["zadd", "z", " 1", "a"], "-ERR value is not a valid float\r\n"),
    (2, &["zadd", "z", "1 ", "a"], "-ERR value is not a valid float\r\n"),
    (2, &["zadd", "z", "1e999", "a"], "-ERR value is not a valid float\r\n"),
    (2, &["zadd", "z", "1e-999", "a"], "-ERR value is not a valid float\r\n"),
    (2, &["zadd", "z", "0x10", "hx"], ":1\r\n"),
    (2, &["zadd", "z", "", "a"], "-ERR value is not a valid float\r\n"),
    (2, &["zscore", "z", "hx"], "$2\r\n16\r\n"),
    (2, &["zadd", "z", "inf", "a"], ":0\r\n"),
    (2, &["zincrby", "z", "-inf", "a"], "-ERR resulting score is not a number (NaN)\r\n"),
    (2, &["zadd", "z", "incr", "-inf", "a"], "-ERR resulting score is not a number (NaN)\r\n"),
    (2, &["zadd", "z", "ch", "5", "a", "2", "b", "7", "new"], ":2\r\n"),
    (2, &["zadd", "z", "gt", "ch", "1", "a", "9", "b"], ":1\r\n"),
    (2, &["zadd", "z", "lt", "ch", "1", "a", "9", "b"], ":1\r\n"),
    (2, &["zadd", "z", "xx", "3", "nothere"], ":0\r\n"),
    (2, &["zadd", "z", "xx", "incr", "3", "nothere"], "$-1\r\n"),
    (2, &["zadd", "z", "nx", "incr", "3", "a"], "$-1\r\n"),
    (2, &["zadd", "z", "gt", "incr", "-1", "a"], "$-1\r\n"),
    (2, &["zadd", "z", "incr", "0.1", "f"], "$19\r\n0.10000000000000001\r\n"),
    (2, &["zadd", "z", "1e20", "big", "-2", "negz", "1.5", "one5", "1e-5", "small", "123456.789", "x"], ":5\r\n"),
    (2, &["zrange", "z", "0", "-1", "withscores"], "*22\r\n$4\r\nnegz\r\n$2\r\n-2\r\n$5\r\nsmall\r\n$22\r\n1.0000000000000001e-05\r\n$1\r\nf\r\n$19\r\n0.10000000000000001\r\n$1\r\na\r\n$1\r\n1\r\n$4\r\none5\r\n$3\r\n1.5\r\n$1\r\nc\r\n$1\r\n3\r\n$3\r\nnew\r\n$1\r\n7\r\n$1\r\nb\r\n$1\r\n9\r\n$2\r\nhx\r\n$2\r\n16\r\n$1\r\nx\r\n$10\r\n123456.789\r\n$3\r\nbig\r\n$5\r\n1e+20\r\n"),
    (2, &["zadd", "nokey", "xx", "1", "a"], ":0\r\n"),
    (2, &["exists", "nokey"], ":0\r\n"),
    (2, &["zadd", "zz", "XX", "INCR", "1", "a"], "$-1\r\n"),
    (2, &["zcard", "z"], ":11\r\n"),
    (2, &["zcard", "nokey"], ":0\r\n"),
    (2, &["zscore", "z", "nope"], "$-1\r\n"),
    (2, &["zscore", "nokey", "a"], "$-1\r\n"),
    (2, &["zmscore", "z", "a", "nope", "big"], "*3\r\n$1\r\n1\r\n$-1\r\n$5\r\n1e+20\r\n"),
    (2, &["zmscore", "nokey", "a"], "*1\r\n$-1\r\n"),
    (2, &["zrank", "z", "a"], ":3\r\n"),
    (2, &["zrank", "z", "nope"], "$-1\r\n"),
    (2, &["zrevrank", "z", "a"], ":7\r\n"),
    (2, &["zrevrank", "z", "negz"], ":10\r\n"),
    (2, &["zrank", "nokey", "a"], "$-1\r\n"),
    (2, &["zcount", "z", "-inf", "+inf"], ":11\r\n"),
    (2, &["zcount", "z", "(1", "3"], ":2\r\n"),
    (2, &["zcount", "z", "1", "(3"], ":2\r\n"),
    (2, &["zcount", "z", "a", "b"], "-ERR min or max is not a float\r\n"),
    (2, &["zcount", "z", "", ""], ":0\r\n"),
    (2, &["zcount", "nokey", "1", "2"], ":0\r\n"),
    (2, &["zrem", "z", "a", "nope", "b"], ":2\r\n"),
    (2, &["zrem", "z", "nope"], ":0\r\n"),
    (2, &["zrem", "nokey", "a"], ":0\r\n"),
    (2, &["set", "str", "x"], "+OK\r\n"),
    (2, &["zadd", "str", "1", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zadd", "str", "nan", "a"], "-ERR value is not a valid float\r\n"),
    (2, &["zincrby", "str", "1", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zincrby", "str", "x", "a"], "-ERR value is not a valid float\r\n"),
    (2, &["zincrby", "z", "x", "a"], "-ERR value is not a valid float\r\n"),
    (2, &["zrem", "str", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zcard", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zscore", "str", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zmscore", "str", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zrank", "str", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zrevrank", "str", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zcount", "str", "1", "2"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zcount", "str", "x", "2"], "-ERR min or max is not a float\r\n"),
    (2, &["zadd", "z", "1", "a", "1", "b", "1", "c", "1", "d"], ":3\r\n"),
    (2, &["zrange", "z", "0", "-1", "withscores"], "*24\r\n$4\r\nnegz\r\n$2\r\n-2\r\n$5\r\nsmall\r\n$22\r\n1.0000000000000001e-05\r\n$1\r\nf\r\n$19\r\n0.10000000000000001\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n1\r\n$1\r\nd\r\n$1\r\n1\r\n$4\r\none5\r\n$3\r\n1.5\r\n$3\r\nnew\r\n$1\r\n7\r\n$2\r\nhx\r\n$2\r\n16\r\n$1\r\nx\r\n$10\r\n123456.789\r\n$3\r\nbig\r\n$5\r\n1e+20\r\n"),
    (2, &["object", "encoding", "z"], "$8\r\nlistpack\r\n"),
    (3, &["zadd", "r3", "1.5", "a"], ":1\r\n"),
    (3, &["zscore", "r3", "a"], ",1.5\r\n"),
    (3, &["zincrby", "r3", "1", "a"], ",2.5\r\n"),
    (3, &["zadd", "r3", "incr", "1", "a"], ",3.5\r\n"),
    (3, &["zadd", "r3", "nx", "incr", "1", "a"], "_\r\n"),
    (3, &["zmscore", "r3", "a", "nope"], "*2\r\n,3.5\r\n_\r\n"),
    (3, &["zadd", "r3", "inf", "b"], ":1\r\n"),
    (3, &["zscore", "r3", "b"], ",inf\r\n"),
    (3, &["zrank", "r3", "b"], ":1\r\n"),
    (3, &["zscore", "r3", "nope"], "_\r\n"),
    (2, &["zincrby", "r3", "1"], "-ERR wrong number of arguments for 'zincrby' command\r\n"),
    (2, &["zincrby", "r3", "nan", "a"], "-ERR value is not a valid float\r\n"),
    (2, &["zadd", "r3", "GT", "CH", "Xx", "5", "a"], ":1\r\n"),
    (2, &["zadd", "r3", "incr"], "-ERR wrong number of arguments for 'zadd' command\r\n"),
];

const RANGES: &[(u8, &[&str], &str)] = &[
    (2, &["zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5\r\n"),
    (2, &["zcount", "z", "(1", "3"], ":2\r\n"),
    (2, &["zcount", "z", "1", "(3"], ":2\r\n"),
    (2, &["zcount", "z", "(1", "(1"], ":0\r\n"),
    (2, &["zrange", "z", "0", "-1"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
    (2, &["zrange", "z", "1", "-2", "withscores"], "*6\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n"),
    (2, &["zrange", "z", "-100", "100", "withscores"], "*10\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n"),
    (2, &["zrange", "z", "3", "1"], "*0\r\n"),
    (2, &["zrange", "z", "5", "10"], "*0\r\n"),
    (2, &["zrange", "z", "0", "-1", "rev"], "*5\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
    (2, &["zrange", "z", "0", "1", "rev", "withscores"], "*4\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nd\r\n$1\r\n4\r\n"),
    (2, &["zrange", "z", "0", "-1", "limit", "0", "1"], "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
    (2, &["zrange", "z", "0", "-1", "limit", "0", "-1"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
    (2, &["zrange", "z", "0", "-1", "limit", "0"], "-ERR syntax error\r\n"),
    (2, &["zrange", "z", "a", "b"], "-ERR value is not an integer or out of range\r\n"),
    (2, &["zrange", "z", "1", "3", "byscore"], "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
    (2, &["zrange", "z", "(1", "3", "byscore"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
    (2, &["zrange", "z", "3", "1", "byscore", "rev", "withscores"], "*6\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n"),
    (2, &["zrange", "z", "3", "(1", "byscore", "rev"], "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"),
    (2, &["zrange", "z", "-inf", "+inf", "byscore", "limit", "1", "2", "withscores"], "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
    (2, &["zrange", "z", "-inf", "+inf", "byscore", "limit", "-1", "2"], "*0\r\n"),
    (2, &["zrange", "z", "-inf", "+inf", "byscore", "limit", "1", "-1"], "*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
    (2, &["zrange", "z", "-inf", "+inf", "byscore", "limit", "1", "0"], "*0\r\n"),
    (2, &["zrange", "z", "+inf", "-inf", "byscore", "rev", "limit", "1", "2"], "*2\r\n$1\r\nd\r\n$1\r\nc\r\n"),
    (2, &["zrange", "z", "a", "b", "byscore"], "-ERR min or max is not a float\r\n"),
    (2, &["zrange", "z", "-", "+", "bylex"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
    (2, &["zrange", "z", "-", "+", "bylex", "withscores"], "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
    (2, &["zrange", "z", "+", "-", "bylex", "rev"], "*5\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
    (2, &["zrange", "z", "[b", "(d", "bylex"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
    (2, &["zrange", "z", "(b", "[d", "bylex", "rev"], "*0\r\n"),
    (2, &["zrange", "z", "[d", "[b", "bylex", "rev", "limit", "1", "1"], "*1\r\n$1\r\nc\r\n"),
    (2, &["zrange", "z", "a", "b", "bylex"], "-ERR min or max not valid string range item\r\n"),
    (2, &["zrange", "z", "0", "-1", "byscore", "bylex"], "-ERR syntax error\r\n"),
    (2, &["zrange", "z", "0", "-1", "rev", "rev"], "-ERR syntax error\r\n"),
    (2, &["zrange", "z", "0", "-1", "foo"], "-ERR syntax error\r\n"),
    (2, &["zrange", "z", "0", "-1", "withscores", "withscores"], "*10\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n"),
    (2, &["zrange", "nokey", "0", "-1"], "*0\r\n"),
    (2, &["zrange", "nokey", "a", "b"], "-ERR value is not an integer or out of range\r\n"),
    (2, &["zrevrange", "z", "0", "1"], "*2\r\n$1\r\ne\r\n$1\r\nd\r\n"),
    (2, &["zrevrange", "z", "0", "1", "withscores"], "*4\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nd\r\n$1\r\n4\r\n"),
    (2, &["zrevrange", "z", "0", "1", "rev"], "-ERR syntax error\r\n"),
    (2, &["zrevrange", "z", "0", "1", "byscore"], "-ERR syntax error\r\n"),
    (2, &["zrangebyscore", "z", "2", "4"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
    (2, &["zrangebyscore", "z", "2", "4", "withscores", "limit", "1", "5"], "*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n"),
    (2, &["zrangebyscore", "z", "-inf", "(3"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (2, &["zrangebyscore", "z", "2", "4", "rev"], "-ERR syntax error\r\n"),
    (2, &["zrangebyscore", "z", "", ""], "*0\r\n"),
    (2, &["zrangebyscore", "z", " 1", "3"], "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
    (2, &["zrangebyscore", "z", "x", "3"], "-ERR min or max is not a float\r\n"),
    (2, &["zrangebyscore", "z", "1", "nan"], "-ERR min or max is not a float\r\n"),
    (2, &["zrevrangebyscore", "z", "4", "2"], "*3\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n"),
    (2, &["zrevrangebyscore", "z", "2", "4"], "*0\r\n"),
    (2, &["zrevrangebyscore", "z", "+inf", "-inf", "withscores", "limit", "0", "2"], "*4\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nd\r\n$1\r\n4\r\n"),
    (2, &["zadd", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"], ":5\r\n"),
    (2, &["zrangebylex", "l", "-", "+"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
    (2, &["zrangebylex", "l", "[b", "(d"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
    (2, &["zrangebylex", "l", "(b", "+"], "*3\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
    (2, &["zrangebylex", "l", "-", "+", "limit", "1", "2"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
    (2, &["zrangebylex", "l", "-", "+", "withscores"], "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
    (2, &["zrangebylex", "l", "b", "d"], "-ERR min or max not valid string range item\r\n"),
    (2, &["zrangebylex", "l", "", "+"], "-ERR min or max not valid string range item\r\n"),
    (2, &["zrangebylex", "l", "++", "+"], "-ERR min or max not valid string range item\r\n"),
    (2, &["zrevrangebylex", "l", "+", "-"], "*5\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
    (2, &["zrevrangebylex", "l", "[d", "(a", "limit", "0", "2"], "*2\r\n$1\r\nd\r\n$1\r\nc\r\n"),
    (2, &["zrevrangebylex", "l", "-", "+"], "*0\r\n"),
    (2, &["zlexcount", "l", "-", "+"], ":5\r\n"),
    (2, &["zlexcount", "l", "[b", "[c"], ":2\r\n"),
    (2, &["zlexcount", "l", "a", "b"], "-ERR min or max not valid string range item\r\n"),
    (2, &["zlexcount", "nokey", "-", "+"], ":0\r\n"),
    (2, &["zrangestore", "d", "z", "0", "-1"], ":5\r\n"),
    (2, &["zrange", "d", "0", "-1", "withscores"], "*10\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n"),
    (2, &["zrangestore", "d", "z", "1", "3", "byscore", "rev"], ":0\r\n"),
    (2, &["zrangestore", "d", "z", "3", "1", "byscore", "rev"], ":3\r\n"),
    (2, &["zrange", "d", "0", "-1", "withscores"], "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
    (2, &["zrangestore", "d", "z", "10", "20"], ":0\r\n"),
    (2, &["exists", "d"], ":0\r\n"),
    (2, &["zrangestore", "d", "l", "-", "+", "bylex", "limit", "1", "2"], ":2\r\n"),
    (2, &["zrange", "d", "0", "-1"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
    (2, &["zrangestore", "d", "z", "0", "-1", "withscores"], "-ERR syntax error\r\n"),
    (2, &["zrangestore", "d", "nokey", "0", "-1"], ":0\r\n"),
    (2, &["exists", "d"], ":0\r\n"),
    (2, &["set", "str", "x"], "+OK\r\n"),
    (2, &["zrangestore", "d", "str", "0", "-1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zrange", "str", "0", "-1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zrangebyscore", "str", "0", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zrangebylex", "str", "-", "+"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zlexcount", "str", "-", "+"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zrevrange", "str", "0", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zrangestore", "str", "z", "0", "1"], ":2\r\n"),
    (2, &["type", "str"], "+zset\r\n"),
    (2, &["zrange", "str", "0", "-1"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (3, &["zrange", "z", "0", "1", "withscores"], "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
    (3, &["zrange", "z", "0", "1"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (3, &["zrangebyscore", "z", "1", "2", "withscores"], "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
    (3, &["zrevrange", "z", "0", "0", "withscores"], "*1\r\n*2\r\n$1\r\ne\r\n,5\r\n"),
    (3, &["zrange", "nokey", "0", "-1", "withscores"], "*0\r\n"),
];

const POPS: &[(u8, &[&str], &str)] = &[
    (2, &["zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5\r\n"),
    (2, &["zpopmin", "z"], "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
    (2, &["zpopmax", "z"], "*2\r\n$1\r\ne\r\n$1\r\n5\r\n"),
    (2, &["zpopmin", "z", "0"], "*0\r\n"),
    (2, &["zpopmin", "z", "1"], "*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
    (2, &["zpopmax", "z", "10"], "*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n"),
    (2, &["exists", "z"], ":0\r\n"),
    (2, &["zpopmin", "z", "-1"], "-ERR value is out of range, must be positive\r\n"),
    (2, &["zpopmin", "z", "a"], "-ERR value is out of range, must be positive\r\n"),
    (2, &["zpopmin", "z", "1", "2"], "-ERR syntax error\r\n"),
    (2, &["zpopmin", "nokey"], "*0\r\n"),
    (2, &["zpopmin", "nokey", "2"], "*0\r\n"),
    (2, &["zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5\r\n"),
    (2, &["zremrangebyrank", "z", "0", "0"], ":1\r\n"),
    (2, &["zremrangebyrank", "z", "-1", "-1"], ":1\r\n"),
    (2, &["zremrangebyrank", "z", "5", "10"], ":0\r\n"),
    (2, &["zremrangebyrank", "z", "a", "1"], "-ERR value is not an integer or out of range\r\n"),
    (2, &["zrange", "z", "0", "-1"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
    (2, &["zremrangebyscore", "z", "(2", "3"], ":1\r\n"),
    (2, &["zremrangebyscore", "z", "x", "3"], "-ERR min or max is not a float\r\n"),
    (2, &["zremrangebyscore", "z", "-inf", "+inf"], ":2\r\n"),
    (2, &["exists", "z"], ":0\r\n"),
    (2, &["zadd", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"], ":5\r\n"),
    (2, &["zremrangebylex", "l", "[b", "(d"], ":2\r\n"),
    (2, &["zremrangebylex", "l", "x", "y"], "-ERR min or max not valid string range item\r\n"),
    (2, &["zrange", "l", "0", "-1"], "*3\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\ne\r\n"),
    (2, &["zremrangebylex", "l", "-", "+"], ":3\r\n"),
    (2, &["exists", "l"], ":0\r\n"),
    (2, &["zremrangebyrank", "nokey", "0", "-1"], ":0\r\n"),
    (2, &["zremrangebyscore", "nokey", "0", "1"], ":0\r\n"),
    (2, &["zremrangebylex", "nokey", "-", "+"], ":0\r\n"),
    (2, &["zadd", "z1", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
    (2, &["zadd", "z2", "5", "x"], ":1\r\n"),
    (2, &["zmpop", "1", "z1", "min"], "*2\r\n$2\r\nz1\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
    (2, &["zmpop", "2", "nokey", "z1", "max", "count", "5"], "*2\r\n$2\r\nz1\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
    (2, &["zmpop", "2", "nokey", "z2", "min", "count", "1"], "*2\r\n$2\r\nz2\r\n*1\r\n*2\r\n$1\r\nx\r\n$1\r\n5\r\n"),
    (2, &["zmpop", "1", "nokey", "min"], "*-1\r\n"),
    (2, &["zmpop", "x", "z1", "min"], "-ERR numkeys should be greater than 0\r\n"),
    (2, &["zmpop", "2", "z1", "min"], "-ERR syntax error\r\n"),
    (2, &["zmpop", "1", "z1", "min", "count"], "-ERR syntax error\r\n"),
    (2, &["zmpop", "1", "z1", "min", "count", "-1"], "-ERR count should be greater than 0\r\n"),
    (2, &["zmpop", "1", "z1", "min", "count", "a"], "-ERR count should be greater than 0\r\n"),
    (2, &["zmpop", "0", "z1", "min"], "-ERR numkeys should be greater than 0\r\n"),
    (2, &["zmpop", "-1", "z1", "min"], "-ERR numkeys should be greater than 0\r\n"),
    (2, &["zmpop", "1", "z1", "foo"], "-ERR syntax error\r\n"),
    (2, &["zmpop", "1", "z1", "min", "count", "1", "count", "2"], "-ERR syntax error\r\n"),
    (2, &["zmpop", "1", "z1", "min", "foo"], "-ERR syntax error\r\n"),
    (2, &["set", "str", "x"], "+OK\r\n"),
    (2, &["zmpop", "2", "nokey", "str", "min"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zadd", "z1", "1", "a"], ":1\r\n"),
    (2, &["zmpop", "2", "z1", "str", "min"], "*2\r\n$2\r\nz1\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
    (2, &["zpopmin", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zremrangebyrank", "str", "0", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zremrangebyscore", "str", "0", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zremrangebylex", "str", "-", "+"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zrandmember", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zrandmember", "nokey"], "$-1\r\n"),
    (2, &["zrandmember", "nokey", "3"], "*0\r\n"),
    (2, &["zrandmember", "nokey", "3", "withscores"], "*0\r\n"),
    (2, &["zrandmember", "nokey", "x"], "-ERR value is not an integer or out of range\r\n"),
    (2, &["zrandmember", "nokey", "1", "foo"], "-ERR syntax error\r\n"),
    (2, &["zrandmember", "nokey", "1", "withscores", "x"], "-ERR syntax error\r\n"),
    (2, &["zrandmember", "nokey", "-9223372036854775808"], "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"),
    (2, &["zrandmember", "nokey", "9223372036854775807", "withscores"], "-ERR value is out of range\r\n"),
    (2, &["zadd", "one", "7", "m"], ":1\r\n"),
    (2, &["zrandmember", "one"], "$1\r\nm\r\n"),
    (2, &["zrandmember", "one", "-3", "withscores"], "*6\r\n$1\r\nm\r\n$1\r\n7\r\n$1\r\nm\r\n$1\r\n7\r\n$1\r\nm\r\n$1\r\n7\r\n"),
    (2, &["zrandmember", "one", "0"], "*0\r\n"),
    (2, &["zscan", "nokey", "0"], "*2\r\n$1\r\n0\r\n*0\r\n"),
    (2, &["zscan", "one", "0"], "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nm\r\n$1\r\n7\r\n"),
    (2, &["zscan", "one", "0", "match", "m*"], "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nm\r\n$1\r\n7\r\n"),
    (2, &["zscan", "one", "0", "match", "x*"], "*2\r\n$1\r\n0\r\n*0\r\n"),
    (2, &["zscan", "one", "x"], "-ERR invalid cursor\r\n"),
    (2, &["zscan", "one", "0", "count", "0"], "-ERR syntax error\r\n"),
    (2, &["zscan", "one", "0", "count", "x"], "-ERR value is not an integer or out of range\r\n"),
    (2, &["zscan", "one", "0", "type", "zset"], "-ERR syntax error\r\n"),
    (2, &["zscan", "one", "0", "match"], "-ERR syntax error\r\n"),
    (2, &["zscan", "str", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zadd", "p", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
    (3, &["zpopmin", "p"], "*2\r\n$1\r\na\r\n,1\r\n"),
    (3, &["zpopmax", "p", "1"], "*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
    (3, &["zpopmin", "nokey"], "*0\r\n"),
    (3, &["zpopmin", "nokey", "1"], "*0\r\n"),
    (3, &["zmpop", "1", "p", "max", "count", "3"], "*2\r\n$1\r\np\r\n*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
    (3, &["zmpop", "1", "p", "max"], "_\r\n"),
    (3, &["zrandmember", "one", "1", "withscores"], "*1\r\n*2\r\n$1\r\nm\r\n,7\r\n"),
    (3, &["zrandmember", "one", "-2", "withscores"], "*2\r\n*2\r\n$1\r\nm\r\n,7\r\n*2\r\n$1\r\nm\r\n,7\r\n"),
    (3, &["zrandmember", "one", "5"], "*1\r\n$1\r\nm\r\n"),
];

const SETOPS: &[(u8, &[&str], &str)] = &[
    (2, &["zadd", "a", "1", "x", "2", "y", "3", "z"], ":3\r\n"),
    (2, &["zadd", "b", "10", "y", "20", "z", "30", "w"], ":3\r\n"),
    (2, &["zunion", "2", "a", "b"], "*4\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n$1\r\nw\r\n"),
    (2, &["zunion", "2", "a", "b", "withscores"], "*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$2\r\n12\r\n$1\r\nz\r\n$2\r\n23\r\n$1\r\nw\r\n$2\r\n30\r\n"),
    (2, &["zunion", "2", "a", "b", "weights", "2", "0.5", "withscores"], "*8\r\n$1\r\nx\r\n$1\r\n2\r\n$1\r\ny\r\n$1\r\n9\r\n$1\r\nw\r\n$2\r\n15\r\n$1\r\nz\r\n$2\r\n16\r\n"),
    (2, &["zunion", "2", "a", "b", "aggregate", "min", "withscores"], "*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$1\r\n2\r\n$1\r\nz\r\n$1\r\n3\r\n$1\r\nw\r\n$2\r\n30\r\n"),
    (2, &["zunion", "2", "a", "b", "aggregate", "max", "withscores"], "*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$2\r\n10\r\n$1\r\nz\r\n$2\r\n20\r\n$1\r\nw\r\n$2\r\n30\r\n"),
    (2, &["zunion", "3", "a", "b", "nokey", "withscores", "withscores"], "*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$2\r\n12\r\n$1\r\nz\r\n$2\r\n23\r\n$1\r\nw\r\n$2\r\n30\r\n"),
    (2, &["zinter", "2", "a", "b", "withscores"], "*4\r\n$1\r\ny\r\n$2\r\n12\r\n$1\r\nz\r\n$2\r\n23\r\n"),
    (2, &["zinter", "2", "a", "nokey", "withscores"], "*0\r\n"),
    (2, &["zinter", "2", "a", "b", "weights", "1", "-1", "aggregate", "sum", "withscores"], "*4\r\n$1\r\nz\r\n$3\r\n-17\r\n$1\r\ny\r\n$2\r\n-8\r\n"),
    (2, &["zdiff", "2", "a", "b", "withscores"], "*2\r\n$1\r\nx\r\n$1\r\n1\r\n"),
    (2, &["zdiff", "1", "a"], "*3\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n"),
    (2, &["zdiff", "2", "a", "b", "weights", "1", "1"], "-ERR syntax error\r\n"),
    (2, &["zdiff", "2", "a", "b", "aggregate", "sum"], "-ERR syntax error\r\n"),
    (2, &["zunion", "0", "a"], "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
    (2, &["zunion", "-1", "a"], "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
    (2, &["zunion", "a", "a"], "-ERR value is not an integer or out of range\r\n"),
    (2, &["zunion", "3", "a", "b"], "-ERR syntax error\r\n"),
    (2, &["zunion", "1", "a", "weights"], "-ERR syntax error\r\n"),
    (2, &["zunion", "1", "a", "weights", "x"], "-ERR weight value is not a float\r\n"),
    (2, &["zunion", "1", "a", "weights", "nan"], "-ERR weight value is not a float\r\n"),
    (2, &["zunion", "1", "a", "aggregate", "foo"], "-ERR syntax error\r\n"),
    (2, &["zunion", "1", "a", "aggregate"], "-ERR syntax error\r\n"),
    (2, &["zunion", "1", "a", "foo"], "-ERR syntax error\r\n"),
    (2, &["zunionstore", "d", "2", "a", "b"], ":4\r\n"),
    (2, &["zrange", "d", "0", "-1", "withscores"], "*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$2\r\n12\r\n$1\r\nz\r\n$2\r\n23\r\n$1\r\nw\r\n$2\r\n30\r\n"),
    (2, &["zunionstore", "d", "2", "a", "b", "withscores"], "-ERR syntax error\r\n"),
    (2, &["zunionstore", "d", "0", "a"], "-ERR at least 1 input key is needed for 'zunionstore' command\r\n"),
    (2, &["zinterstore", "d", "2", "a", "b", "aggregate", "max"], ":2\r\n"),
    (2, &["zrange", "d", "0", "-1", "withscores"], "*4\r\n$1\r\ny\r\n$2\r\n10\r\n$1\r\nz\r\n$2\r\n20\r\n"),
    (2, &["zinterstore", "d", "2", "a", "nokey"], ":0\r\n"),
    (2, &["exists", "d"], ":0\r\n"),
    (2, &["zdiffstore", "d", "2", "a", "b"], ":1\r\n"),
    (2, &["zrange", "d", "0", "-1", "withscores"], "*2\r\n$1\r\nx\r\n$1\r\n1\r\n"),
    (2, &["zdiffstore", "d", "2", "a", "b", "weights", "1", "1"], "-ERR syntax error\r\n"),
    (2, &["zdiffstore", "d", "0", "a"], "-ERR at least 1 input key is needed for 'zdiffstore' command\r\n"),
    (2, &["zintercard", "2", "a", "b"], ":2\r\n"),
    (2, &["zintercard", "2", "a", "b", "limit", "1"], ":1\r\n"),
    (2, &["zintercard", "2", "a", "b", "limit", "0"], ":2\r\n"),
    (2, &["zintercard", "2", "a", "b", "limit", "-1"], "-ERR LIMIT can't be negative\r\n"),
    (2, &["zintercard", "2", "a", "b", "limit", "x"], "-ERR LIMIT can't be negative\r\n"),
    (2, &["zintercard", "2", "a", "b", "withscores"], "-ERR syntax error\r\n"),
    (2, &["zintercard", "0", "a"], "-ERR at least 1 input key is needed for 'zintercard' command\r\n"),
    (2, &["zintercard", "3", "a", "b"], "-ERR syntax error\r\n"),
    (2, &["zadd", "i1", "inf", "m"], ":1\r\n"),
    (2, &["zadd", "i2", "-inf", "m"], ":1\r\n"),
    (2, &["zunion", "2", "i1", "i2", "withscores"], "*2\r\n$1\r\nm\r\n$1\r\n0\r\n"),
    (2, &["zinter", "2", "i1", "i2", "withscores"], "*2\r\n$1\r\nm\r\n$1\r\n0\r\n"),
    (2, &["zunion", "2", "i1", "i2", "weights", "0", "1", "withscores"], "*2\r\n$1\r\nm\r\n$4\r\n-inf\r\n"),
    (2, &["set", "str", "x"], "+OK\r\n"),
    (2, &["zunion", "2", "a", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zunion", "2", "str", "a", "weights", "x"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zinter", "2", "nokey", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zunionstore", "d", "2", "a", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zunionstore", "str", "2", "a", "b"], ":4\r\n"),
    (2, &["type", "str"], "+zset\r\n"),
    (2, &["zadd", "f", "0.1", "m"], ":1\r\n"),
    (2, &["zadd", "g", "0.2", "m"], ":1\r\n"),
    (2, &["zunionstore", "h", "2", "f", "g"], ":1\r\n"),
    (2, &["zscore", "h", "m"], "$19\r\n0.30000000000000004\r\n"),
    (2, &["object", "encoding", "h"], "$8\r\nlistpack\r\n"),
    (3, &["zunion", "2", "a", "b", "withscores"], "*4\r\n*2\r\n$1\r\nx\r\n,1\r\n*2\r\n$1\r\ny\r\n,12\r\n*2\r\n$1\r\nz\r\n,23\r\n*2\r\n$1\r\nw\r\n,30\r\n"),
    (3, &["zinter", "2", "a", "b"], "*2\r\n$1\r\ny\r\n$1\r\nz\r\n"),
    (3, &["zdiff", "1", "a", "withscores"], "*3\r\n*2\r\n$1\r\nx\r\n,1\r\n*2\r\n$1\r\ny\r\n,2\r\n*2\r\n$1\r\nz\r\n,3\r\n"),
];

const ENCODINGS: &[(u8, &[&str], &str)] = &[
    (
        2,
        &["config", "set", "zset-max-listpack-entries", "3"],
        "+OK\r\n",
    ),
    (
        2,
        &["config", "set", "zset-max-listpack-value", "5"],
        "+OK\r\n",
    ),
    (2, &["zadd", "e", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
    (2, &["object", "encoding", "e"], "$8\r\nlistpack\r\n"),
    (2, &["zadd", "e", "4", "d"], ":1\r\n"),
    (2, &["object", "encoding", "e"], "$8\r\nskiplist\r\n"),
    (2, &["zrem", "e", "a", "b", "c"], ":3\r\n"),
    (2, &["object", "encoding", "e"], "$8\r\nskiplist\r\n"),
    (2, &["zadd", "v", "1", "abcde"], ":1\r\n"),
    (2, &["object", "encoding", "v"], "$8\r\nlistpack\r\n"),
    (2, &["zadd", "v", "1", "abcdef"], ":1\r\n"),
    (2, &["object", "encoding", "v"], "$8\r\nskiplist\r\n"),
    (2, &["zadd", "w", "1", "a", "2", "b"], ":2\r\n"),
    (2, &["zadd", "w2", "3", "c", "4", "d"], ":2\r\n"),
    (2, &["zunionstore", "u", "2", "w", "w2"], ":4\r\n"),
    (2, &["object", "encoding", "u"], "$8\r\nskiplist\r\n"),
    (2, &["zunionstore", "u", "1", "w"], ":2\r\n"),
    (2, &["object", "encoding", "u"], "$8\r\nlistpack\r\n"),
    (2, &["zrangestore", "r", "u", "0", "1"], ":2\r\n"),
    (2, &["object", "encoding", "r"], "$8\r\nlistpack\r\n"),
    (2, &["zrangestore", "r", "e", "0", "-1"], ":1\r\n"),
    (2, &["object", "encoding", "r"], "$8\r\nlistpack\r\n"),
    (
        2,
        &[
            "zadd", "big", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f",
        ],
        ":6\r\n",
    ),
    (2, &["zrank", "big", "e"], ":4\r\n"),
    (2, &["zrevrank", "big", "e"], ":1\r\n"),
    (
        2,
        &["zrange", "big", "1", "3"],
        "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n",
    ),
    (
        2,
        &["zrange", "big", "1", "3", "rev"],
        "*3\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n",
    ),
    (
        2,
        &["zrange", "big", "2", "4", "byscore", "withscores"],
        "*6\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n",
    ),
    (
        2,
        &["zrange", "big", "4", "2", "byscore", "rev", "withscores"],
        "*6\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n",
    ),
    (
        2,
        &["zrange", "big", "(2", "(4", "byscore", "limit", "1", "5"],
        "*0\r\n",
    ),
    (
        2,
        &["zrangebylex", "big", "-", "+"],
        "*6\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n",
    ),
    (2, &["zcount", "big", "2", "5"], ":4\r\n"),
    (
        2,
        &["zpopmax", "big", "2"],
        "*4\r\n$1\r\nf\r\n$1\r\n6\r\n$1\r\ne\r\n$1\r\n5\r\n",
    ),
    (2, &["zpopmin", "big"], "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
    (2, &["zremrangebyrank", "big", "0", "0"], ":1\r\n"),
    (
        2,
        &["zrange", "big", "0", "-1", "withscores"],
        "*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n",
    ),
    (
        2,
        &["zmscore", "big", "c", "d", "zz"],
        "*3\r\n$1\r\n3\r\n$1\r\n4\r\n$-1\r\n",
    ),
    (2, &["zadd", "big", "ch", "gt", "100", "c"], ":1\r\n"),
    (2, &["zscore", "big", "c"], "$3\r\n100\r\n"),
    (
        2,
        &["config", "set", "zset-max-listpack-entries", "0"],
        "+OK\r\n",
    ),
    (2, &["zadd", "zero", "1", "a"], ":1\r\n"),
    (2, &["zadd", "nz2", "-0.0", "a"], ":1\r\n"),
    (2, &["zscore", "nz2", "a"], "$2\r\n-0\r\n"),
    (2, &["zincrby", "nz2", "-0", "a"], "$2\r\n-0\r\n"),
    (
        2,
        &["config", "set", "zset-max-listpack-entries", "128"],
        "+OK\r\n",
    ),
    (2, &["zadd", "nz", "-0.0", "a"], ":1\r\n"),
    (2, &["zscore", "nz", "a"], "$1\r\n0\r\n"),
    (2, &["object", "encoding", "zero"], "$8\r\nskiplist\r\n"),
    (
        2,
        &["config", "set", "zset-max-listpack-entries", "128"],
        "+OK\r\n",
    ),
    (
        2,
        &["config", "set", "zset-max-listpack-value", "64"],
        "+OK\r\n",
    ),
];

const EDGES: &[(u8, &[&str], &str)] = &[
    (2, &["zadd", "z", "1", "a", "2", "a"], ":1\r\n"),
    (2, &["zadd", "z", "ch", "3", "b", "4", "b"], ":2\r\n"),
    (2, &["zrange", "z", "0", "-1", "withscores"], "*4\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n4\r\n"),
    (2, &["zadd", "z", "ch", "4", "b", "4", "b"], ":0\r\n"),
    (2, &["zadd", "a", "1", "x", "2", "y"], ":2\r\n"),
    (2, &["zunionstore", "a", "2", "a", "a"], ":2\r\n"),
    (2, &["zrange", "a", "0", "-1", "withscores"], "*4\r\n$1\r\nx\r\n$1\r\n2\r\n$1\r\ny\r\n$1\r\n4\r\n"),
    (2, &["zinterstore", "a", "1", "a", "weights", "2"], ":2\r\n"),
    (2, &["zrange", "a", "0", "-1", "withscores"], "*4\r\n$1\r\nx\r\n$1\r\n4\r\n$1\r\ny\r\n$1\r\n8\r\n"),
    (2, &["zrangestore", "a", "a", "0", "0"], ":1\r\n"),
    (2, &["zrange", "a", "0", "-1", "withscores"], "*2\r\n$1\r\nx\r\n$1\r\n4\r\n"),
    (2, &["zdiffstore", "a", "1", "a"], ":1\r\n"),
    (2, &["zrange", "a", "0", "-1", "withscores"], "*2\r\n$1\r\nx\r\n$1\r\n4\r\n"),
    (2, &["zdiffstore", "a", "2", "a", "a"], ":0\r\n"),
    (2, &["exists", "a"], ":0\r\n"),
    (2, &["zrange", "z", "0", "-1", "byscore", "limit", "0", "x"], "-ERR value is not an integer or out of range\r\n"),
    (2, &["zrange", "z", "0", "-1", "byscore", "limit", "x", "1"], "-ERR value is not an integer or out of range\r\n"),
    (2, &["zrange", "z", "0", "-1", "byscore", "limit", "1"], "-ERR syntax error\r\n"),
    (2, &["zrangebyscore", "z", "-inf", "+inf", "limit", "100000000000", "1"], "*0\r\n"),
    (2, &["zrangebyscore", "z", "-inf", "+inf", "limit", "0", "9223372036854775807"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (2, &["zremrangebyrank", "z", "1", "0"], ":0\r\n"),
    (2, &["zremrangebyrank", "z", "-100", "-50"], ":0\r\n"),
    (2, &["zadd", "lx", "0", "a", "0", "b"], ":2\r\n"),
    (2, &["zrangebylex", "lx", "[", "(c"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (2, &["zrangebylex", "lx", "(", "+"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (2, &["zrangebylex", "lx", "-", "["], "*0\r\n"),
    (2, &["zrangebylex", "lx", "-x", "+"], "-ERR min or max not valid string range item\r\n"),
    (2, &["zcount", "z", "9223372036854775808", "1e400"], ":0\r\n"),
    (2, &["zcount", "z", "(inf", "+inf"], ":0\r\n"),
    (2, &["zcount", "z", "-inf", "(-inf"], ":0\r\n"),
    (2, &["zadd", "inf", "1", "x"], ":1\r\n"),
    (2, &["zadd", "z2", "1e400", "m"], "-ERR value is not a valid float\r\n"),
    (2, &["zadd", "z2", "-1e400", "m"], "-ERR value is not a valid float\r\n"),
    (2, &["zadd", "z2", "infinity", "m"], ":1\r\n"),
    (2, &["zadd", "z2", "-Infinity", "n"], ":1\r\n"),
    (2, &["zadd", "z2", "+inf", "o"], ":1\r\n"),
    (2, &["zrange", "z2", "0", "-1", "withscores"], "*6\r\n$1\r\nn\r\n$4\r\n-inf\r\n$1\r\nm\r\n$3\r\ninf\r\n$1\r\no\r\n$3\r\ninf\r\n"),
    (2, &["zadd", "z2", "1.0e3", "p"], ":1\r\n"),
    (2, &["zadd", "z2", ".5", "q"], ":1\r\n"),
    (2, &["zadd", "z2", "5.", "r"], ":1\r\n"),
    (2, &["zadd", "z2", "1e", "5"], "-ERR value is not a valid float\r\n"),
    (2, &["zadd", "z2", "0x1p3", "s"], ":1\r\n"),
    (2, &["zadd", "z2", "1_0", "t"], "-ERR value is not a valid float\r\n"),
    (2, &["zadd", "z2", "4e-320", "u"], ":1\r\n"),
    (2, &["zscore", "z2", "u"], "$22\r\n3.999955468730732e-320\r\n"),
    (2, &["zrange", "z2", "0", "-1", "withscores"], "*16\r\n$1\r\nn\r\n$4\r\n-inf\r\n$1\r\nu\r\n$22\r\n3.999955468730732e-320\r\n$1\r\nq\r\n$3\r\n0.5\r\n$1\r\nr\r\n$1\r\n5\r\n$1\r\ns\r\n$1\r\n8\r\n$1\r\np\r\n$4\r\n1000\r\n$1\r\nm\r\n$3\r\ninf\r\n$1\r\no\r\n$3\r\ninf\r\n"),
    (2, &["zincrby", "z2", "1", "newm"], "$1\r\n1\r\n"),
    (2, &["zincrby", "newkey", "1.5", "m"], "$3\r\n1.5\r\n"),
    (2, &["zincrby", "newkey2", "inf", "m"], "$3\r\ninf\r\n"),
    (2, &["zincrby", "newkey2", "-inf", "m"], "-ERR resulting score is not a number (NaN)\r\n"),
    (2, &["zmpop", "3", "nokey", "nokey2", "newkey", "min", "count", "10"], "*2\r\n$6\r\nnewkey\r\n*1\r\n*2\r\n$1\r\nm\r\n$3\r\n1.5\r\n"),
    (2, &["zmpop", "1", "newkey2", "max"], "*2\r\n$7\r\nnewkey2\r\n*1\r\n*2\r\n$1\r\nm\r\n$3\r\ninf\r\n"),
    (2, &["exists", "newkey2"], ":0\r\n"),
    (2, &["zpopmax", "z", "9223372036854775807"], "*4\r\n$1\r\nb\r\n$1\r\n4\r\n$1\r\na\r\n$1\r\n2\r\n"),
    (2, &["zunion", "1", "nokey", "withscores"], "*0\r\n"),
    (2, &["zinter", "1", "nokey"], "*0\r\n"),
    (2, &["zintercard", "1", "nokey"], ":0\r\n"),
    (2, &["zunionstore", "d", "1", "nokey"], ":0\r\n"),
    (2, &["zunion", "2", "z2", "z2", "weights", "1", "inf", "withscores"], "*18\r\n$1\r\nn\r\n$4\r\n-inf\r\n$1\r\nm\r\n$3\r\ninf\r\n$4\r\nnewm\r\n$3\r\ninf\r\n$1\r\no\r\n$3\r\ninf\r\n$1\r\np\r\n$3\r\ninf\r\n$1\r\nq\r\n$3\r\ninf\r\n$1\r\nr\r\n$3\r\ninf\r\n$1\r\ns\r\n$3\r\ninf\r\n$1\r\nu\r\n$3\r\ninf\r\n"),
    (2, &["zunion", "2", "z2", "z2", "weights", "0", "0", "withscores"], "*18\r\n$1\r\nm\r\n$1\r\n0\r\n$1\r\nn\r\n$1\r\n0\r\n$4\r\nnewm\r\n$1\r\n0\r\n$1\r\no\r\n$1\r\n0\r\n$1\r\np\r\n$1\r\n0\r\n$1\r\nq\r\n$1\r\n0\r\n$1\r\nr\r\n$1\r\n0\r\n$1\r\ns\r\n$1\r\n0\r\n$1\r\nu\r\n$1\r\n0\r\n"),
    (2, &["zunion", "2", "z2", "z2", "aggregate", "min", "weights", "-1", "1", "withscores"], "*18\r\n$1\r\nm\r\n$4\r\n-inf\r\n$1\r\nn\r\n$4\r\n-inf\r\n$1\r\no\r\n$4\r\n-inf\r\n$1\r\np\r\n$5\r\n-1000\r\n$1\r\ns\r\n$2\r\n-8\r\n$1\r\nr\r\n$2\r\n-5\r\n$4\r\nnewm\r\n$2\r\n-1\r\n$1\r\nq\r\n$4\r\n-0.5\r\n$1\r\nu\r\n$23\r\n-3.999955468730732e-320\r\n"),
    (2, &["zinter", "2", "z2", "z2", "WEIGHTS", "1", "2", "AGGREGATE", "MAX", "withscores"], "*18\r\n$1\r\nn\r\n$4\r\n-inf\r\n$1\r\nu\r\n$22\r\n7.999910937461464e-320\r\n$1\r\nq\r\n$1\r\n1\r\n$4\r\nnewm\r\n$1\r\n2\r\n$1\r\nr\r\n$2\r\n10\r\n$1\r\ns\r\n$2\r\n16\r\n$1\r\np\r\n$4\r\n2000\r\n$1\r\nm\r\n$3\r\ninf\r\n$1\r\no\r\n$3\r\ninf\r\n"),
    (2, &["zunion", "1", "z2", "weights", "0x10", "withscores"], "*18\r\n$1\r\nn\r\n$4\r\n-inf\r\n$1\r\nu\r\n$23\r\n6.3999287499691712e-319\r\n$1\r\nq\r\n$1\r\n8\r\n$4\r\nnewm\r\n$2\r\n16\r\n$1\r\nr\r\n$2\r\n80\r\n$1\r\ns\r\n$3\r\n128\r\n$1\r\np\r\n$5\r\n16000\r\n$1\r\nm\r\n$3\r\ninf\r\n$1\r\no\r\n$3\r\ninf\r\n"),
    (2, &["zunion", "1", "z2", "weights", "1", "weights", "2", "withscores"], "*18\r\n$1\r\nn\r\n$4\r\n-inf\r\n$1\r\nu\r\n$22\r\n7.999910937461464e-320\r\n$1\r\nq\r\n$1\r\n1\r\n$4\r\nnewm\r\n$1\r\n2\r\n$1\r\nr\r\n$2\r\n10\r\n$1\r\ns\r\n$2\r\n16\r\n$1\r\np\r\n$4\r\n2000\r\n$1\r\nm\r\n$3\r\ninf\r\n$1\r\no\r\n$3\r\ninf\r\n"),
    (2, &["set", "str", "x"], "+OK\r\n"),
    (2, &["zadd", "ok", "1", "a"], ":1\r\n"),
    (2, &["zrevrangebyscore", "str", "1", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zrevrangebylex", "str", "+", "-"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zpopmax", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zpopmax", "str", "2"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zdiff", "2", "ok", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zdiff", "2", "str", "ok"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zintercard", "2", "ok", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zinterstore", "d", "2", "ok", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zdiffstore", "d", "2", "str", "ok"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zrangestore", "d", "str", "0", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (2, &["zmscore", "str", "a", "b"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
];
