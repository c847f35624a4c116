//! Every value type across restarts: lists, hashes, sets and sorted sets
//! in both encodings (past the default thresholds by count and by size),
//! with and without deadlines, in two databases, beside strings and
//! integers; brought back by replaying the append-only file, by a log
//! whose base is a rewrite's snapshot, and by a snapshot alone.

mod durability_common;

use std::path::Path;
use std::time::Duration;

use durability_common::{eventually, Conn, Proc};
use kvstore_protocol::Value;

fn cmd(conn: &mut Conn, words: &[&str]) -> Value {
    let reply = conn.cmd(words);
    assert!(!reply.is_error(), "{words:?}: {reply:?}");
    reply
}

/// Sends one command whose last words are `items`.
fn cmd_with(conn: &mut Conn, head: &[&str], items: &[String]) {
    let mut w: Vec<&str> = head.to_vec();
    w.extend(items.iter().map(String::as_str));
    cmd(conn, &w);
}

fn numbered(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// The same key names in databases 0 and 3, each with its own contents
/// (the database number is in every element), half of them with a
/// deadline. Returns how many keys each database holds.
fn write(conn: &mut Conn) -> usize {
    let mut keys = 0;
    for db in ["0", "3"] {
        cmd(conn, &["SELECT", db]);
        let d = |s: &str| format!("{s}-{db}");
        let long = format!("{}{db}", "v".repeat(100));
        // Lists: small; long by count of bytes (-2 is 8 KiB).
        cmd(conn, &["RPUSH", "list:small", "c", "a", "b", &d("z")]);
        cmd(conn, &["LPUSH", "list:small", "first"]);
        let many = numbered(&format!("element-{db}-{}-", "x".repeat(40)), 300);
        cmd_with(conn, &["RPUSH", "list:large"], &many);
        cmd(conn, &["LPUSH", "list:large", "head"]);
        cmd(conn, &["LSET", "list:large", "10", "ten"]);
        // Hashes: small; large by count (512) and by value size (64).
        cmd(conn, &["HSET", "hash:small", "b", "1", "a", &d("2")]);
        let pairs: Vec<String> = (0..600)
            .flat_map(|i| [format!("f{i}"), format!("{i}-{db}")])
            .collect();
        cmd_with(conn, &["HSET", "hash:count"], &pairs);
        cmd(conn, &["HDEL", "hash:count", "f7"]);
        cmd(conn, &["HSET", "hash:size", "f", "1", "long", &long]);
        // Sets: an intset; a table by count (512) and by a string member.
        cmd(conn, &["SADD", "set:small", "5", "-3", "100", db]);
        let ints: Vec<String> = (0..600).map(|i| (i * 7 + 1000).to_string()).collect();
        cmd_with(conn, &["SADD", "set:count"], &ints);
        cmd(conn, &["SREM", "set:count", "1007"]);
        cmd(conn, &["SADD", "set:words", "1", "2", &d("w")]);
        // Sorted sets: small; large by count (128) and by member size (64).
        cmd(
            conn,
            &[
                "ZADD",
                "zset:small",
                "2",
                "b",
                "1",
                "a",
                "1",
                "c",
                "-inf",
                &d("m"),
            ],
        );
        cmd(conn, &["ZINCRBY", "zset:small", "0.25", "a"]);
        let scored: Vec<String> = (0..200)
            .flat_map(|i| [format!("{}", f64::from(i % 17) / 4.0), format!("m{i}-{db}")])
            .collect();
        cmd_with(conn, &["ZADD", "zset:count"], &scored);
        cmd(conn, &["ZREM", "zset:count", "m3-0", "m3-3"]);
        cmd(
            conn,
            &["ZADD", "zset:size", "0.1", &long, "1e300", "x", "inf", "y"],
        );
        // Strings and integers.
        cmd(conn, &["SET", "str", &d("text")]);
        cmd(conn, &["SET", "int", "-42"]);
        cmd(conn, &["INCRBY", "int", db]);
        cmd(conn, &["SET", "str:long", &long]);
        keys = 14;
        // Deadlines on half of them, long enough to outlive the test.
        for k in [
            "list:small",
            "hash:count",
            "set:small",
            "zset:size",
            "str",
            "list:large",
            "set:words",
        ] {
            cmd(conn, &["EXPIRE", k, "100000"]);
        }
        cmd(conn, &["PEXPIRE", "zset:small", "200000000"]);
    }
    cmd(conn, &["SELECT", "0"]);
    keys
}

/// What one key holds, as its type's read command gives it (a set's
/// members sorted, having no order), with its type, encoding and
/// whether it has a deadline, and the deadline's remaining milliseconds.
#[derive(Debug, PartialEq)]
struct Key {
    db: u8,
    name: String,
    kind: Value,
    encoding: Value,
    contents: Value,
    deadline: bool,
}

fn read_all(conn: &mut Conn) -> (Vec<Key>, Vec<i64>) {
    let mut out = Vec::new();
    let mut ttls = Vec::new();
    for db in [0u8, 3] {
        cmd(conn, &["SELECT", &db.to_string()]);
        let Value::Array(names) = cmd(conn, &["KEYS", "*"]) else {
            panic!("KEYS");
        };
        let mut names: Vec<String> = names
            .iter()
            .map(|n| String::from_utf8_lossy(n.as_bytes().expect("a name")).into_owned())
            .collect();
        names.sort();
        for name in names {
            let kind = cmd(conn, &["TYPE", &name]);
            let contents = match kind.as_bytes() {
                Some(b"list") => cmd(conn, &["LRANGE", &name, "0", "-1"]),
                Some(b"hash") => cmd(conn, &["HGETALL", &name]),
                Some(b"set") => {
                    let (Value::Set(mut m) | Value::Array(mut m)) = cmd(conn, &["SMEMBERS", &name])
                    else {
                        panic!("SMEMBERS");
                    };
                    m.sort_by(|a, b| a.as_bytes().cmp(&b.as_bytes()));
                    Value::Array(m)
                }
                Some(b"zset") => cmd(conn, &["ZRANGE", &name, "0", "-1", "WITHSCORES"]),
                _ => cmd(conn, &["GET", &name]),
            };
            let Value::Integer(ttl) = cmd(conn, &["PTTL", &name]) else {
                panic!("PTTL");
            };
            ttls.push(ttl);
            out.push(Key {
                db,
                encoding: cmd(conn, &["OBJECT", "ENCODING", &name]),
                name,
                kind,
                contents,
                deadline: ttl >= 0,
            });
        }
    }
    cmd(conn, &["SELECT", "0"]);
    (out, ttls)
}

/// Spot checks that the writes did what [`write`] says, so that
/// comparing before and after cannot pass on an empty keyspace.
fn spot_check(keys: &[Key], per_db: usize) {
    assert_eq!(keys.len(), per_db * 2);
    let find = |db: u8, name: &str| {
        keys.iter()
            .find(|k| k.db == db && k.name == name)
            .unwrap_or_else(|| panic!("{name} in {db}"))
    };
    let enc = |db, name| {
        let e = &find(db, name).encoding;
        String::from_utf8_lossy(e.as_bytes().expect("encoding")).into_owned()
    };
    for (name, want) in [
        ("list:small", "listpack"),
        ("list:large", "quicklist"),
        ("hash:small", "listpack"),
        ("hash:count", "hashtable"),
        ("hash:size", "hashtable"),
        ("set:small", "intset"),
        ("set:count", "hashtable"),
        ("set:words", "hashtable"),
        ("zset:small", "listpack"),
        ("zset:count", "skiplist"),
        ("zset:size", "skiplist"),
        ("int", "int"),
    ] {
        assert_eq!(enc(3, name), want, "{name}");
    }
    assert_eq!(
        find(3, "list:small").contents,
        Value::Array(
            ["first", "c", "a", "b", "z-3"]
                .iter()
                .map(Value::bulk)
                .collect()
        )
    );
    // The seed protocol shows a counter as an integer or as its text.
    let number = |db| match &find(db, "int").contents {
        Value::Integer(n) => n.to_string(),
        v => String::from_utf8_lossy(v.as_bytes().expect("text")).into_owned(),
    };
    assert_eq!((number(0), number(3)), ("-42".into(), "-39".into()));
    assert!(find(3, "zset:small").deadline);
    assert!(!find(3, "zset:count").deadline);
}

/// Restarts with `args` and checks everything is as it was: contents,
/// order, scores, types, encodings, and deadlines still counting down.
fn restart_and_compare(dir: &Path, args: &[&str], before: &[Key], ttls: &[i64]) {
    let server = Proc::start(dir, args);
    let mut conn = server.connect();
    let (after, now) = read_all(&mut conn);
    assert_eq!(after.len(), before.len());
    for (a, b) in after.iter().zip(before) {
        assert_eq!(a, b);
    }
    for ((t0, t1), k) in ttls.iter().zip(&now).zip(before) {
        if *t0 >= 0 {
            assert!(
                *t1 <= *t0 && *t1 > *t0 - 60_000,
                "{}: {t0} then {t1}",
                k.name
            );
        }
    }
    assert!(server.term().success());
}

#[test]
fn the_log_replays_every_type() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &["--appendonly", "--appendfsync", "always"]);
    let mut conn = server.connect();
    let per_db = write(&mut conn);
    let (before, ttls) = read_all(&mut conn);
    spot_check(&before, per_db);
    server.kill9();
    restart_and_compare(dir.path(), &["--appendonly"], &before, &ttls);
}

#[test]
fn a_rewritten_log_keeps_every_type() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &["--appendonly", "--appendfsync", "always"]);
    let mut conn = server.connect();
    let per_db = write(&mut conn);
    cmd(&mut conn, &["BGREWRITEAOF"]);
    assert!(eventually(Duration::from_secs(20), || {
        conn.durability("aof_rewrite_in_progress") == 0 && conn.durability("aof_rewrites") >= 1
    }));
    // Changes after the rewrite land in the new incremental file, on top
    // of the snapshot the rewrite made.
    cmd(&mut conn, &["SELECT", "3"]);
    cmd(&mut conn, &["RPUSH", "list:large", "tail"]);
    cmd(&mut conn, &["ZADD", "zset:small", "9", "late"]);
    cmd(&mut conn, &["SELECT", "0"]);
    let (before, ttls) = read_all(&mut conn);
    spot_check(&before, per_db);
    server.kill9();
    restart_and_compare(dir.path(), &["--appendonly"], &before, &ttls);
}

#[test]
fn a_snapshot_keeps_every_type() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &[]);
    let mut conn = server.connect();
    let per_db = write(&mut conn);
    assert_eq!(conn.cmd(&["SAVE"]), Value::ok());
    let (before, ttls) = read_all(&mut conn);
    spot_check(&before, per_db);
    server.kill9();
    restart_and_compare(dir.path(), &[], &before, &ttls);
}
