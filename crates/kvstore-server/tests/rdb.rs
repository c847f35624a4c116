//! Redis RDB files both ways, against a real redis-server 7: Redis writes
//! a `dump.rdb` with every type in its compact and large encodings and
//! kvstore loads it; kvstore writes one with `--rdb-export` and Redis
//! loads it (and `redis-check-rdb` accepts it). Each side's keys are
//! compared by type, value and TTL, and the function libraries too.
//! Damaged, truncated and unsupported files are refused by name.

mod common;
mod durability_common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use durability_common::{start_fails, Conn, Proc, BIN};
use kvstore_protocol::Value;

/// A redis-server on a free port, killed when dropped (even when the test
/// fails).
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// Starts redis-server on `dir` (loading its `dump.rdb` if there is
    /// one) and waits until it answers.
    fn start(bin: &Path, dir: &Path) -> Redis {
        // The free port is found by binding and letting go, so another test's
        // server may take it first: then this one exits, and the one that
        // answers is not ours. Try again on another port.
        for _ in 0..5 {
            if let Some(redis) = Redis::try_start(bin, dir) {
                return redis;
            }
        }
        panic!("redis-server did not start on any of five ports");
    }

    fn try_start(bin: &Path, dir: &Path) -> Option<Redis> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir)
            .args(["--dbfilename", "dump.rdb", "--enable-debug-command", "yes"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let mut redis = Redis { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(_)) = redis.child.try_wait() {
                return None;
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                let mut c = Conn::connect(port);
                let pid = c
                    .info("server")
                    .into_iter()
                    .find(|(k, _)| k == "process_id")
                    .map(|(_, v)| v);
                if pid != Some(redis.child.id().to_string()) {
                    return None;
                }
                wait_ready(&mut c);
                return Some(redis);
            }
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn conn(&self) -> Conn {
        Conn::connect(self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls PING until the server is done loading.
fn wait_ready(c: &mut Conn) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match c.cmd(&["PING"]) {
            Value::Error(e) if e.starts_with(b"LOADING") => {}
            Value::Simple(s) if &s[..] == b"PONG" => return,
            other => panic!("PING: {other:?}"),
        }
        assert!(Instant::now() < deadline, "still loading");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The real Redis tools, or `None` when they are missing (outside CI).
fn redis_tools() -> Option<(PathBuf, PathBuf)> {
    Some((
        common::tool("redis-server")?,
        common::tool("redis-check-rdb")?,
    ))
}

fn b(s: &str) -> Value {
    Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

fn words(ws: &[&str]) -> Vec<Value> {
    ws.iter().map(|w| b(w)).collect()
}

/// Sends a request and checks it did not fail.
fn ok(c: &mut Conn, req: Vec<Value>) -> Value {
    let reply = c.call(req.clone());
    assert!(!reply.is_error(), "{req:?}: {reply:?}");
    reply
}

const LIB: &str =
    "#!lua name=rdblib\nredis.register_function('hi', function(keys, args) return 'hi' end)";

/// Fills a server (Redis or kvstore, in Redis replies) with every type in
/// both its compact and its large encoding, binary and empty strings,
/// deadlines, two databases and a function library.
fn fill(c: &mut Conn) {
    ok(c, words(&["SELECT", "0"]));
    ok(c, words(&["SET", "int", "12345"]));
    ok(c, words(&["SET", "negint", "-7"]));
    ok(c, words(&["SET", "wideint", "9223372036854775807"]));
    ok(c, words(&["SET", "empty", ""]));
    let long = format!("{}{}", "a".repeat(300), "b".repeat(300));
    ok(c, words(&["SET", "long", &long]));
    let binary = Value::Bulk(Bytes::from_static(b"\x00bin\xff\r\nkey"));
    let bvalue = Value::Bulk(Bytes::from_static(b"\x00\x01\x02\xfe\xff\r\n"));
    ok(c, vec![b("SET"), binary, bvalue]);
    ok(c, words(&["SET", "ttl", "soon", "PX", "500000"]));
    ok(c, words(&["RPUSH", "smalllist", "a", "1", "", "b"]));
    let mut big = words(&["RPUSH", "biglist"]);
    big.extend((0..1000).map(|i| b(&format!("element-{i}-{}", "x".repeat(i % 90)))));
    ok(c, big);
    ok(c, words(&["HSET", "smallhash", "f1", "v1", "f2", "2"]));
    let mut big = words(&["HSET", "bighash"]);
    big.extend((0..600).flat_map(|i| [b(&format!("field{i}")), b(&format!("value{i}"))]));
    ok(c, big);
    ok(c, words(&["HSET", "longfield", "f", &"v".repeat(100)]));
    ok(
        c,
        words(&["SADD", "intset", "1", "-20", "300000", "5000000000"]),
    );
    let mut big = words(&["SADD", "bigintset"]);
    big.extend((0..600).map(|i| b(&i.to_string())));
    ok(c, big);
    ok(c, words(&["SADD", "strset", "apple", "pear", "7"]));
    ok(
        c,
        words(&["ZADD", "smallzset", "1.5", "a", "-2", "b", "inf", "c"]),
    );
    let mut big = words(&["ZADD", "bigzset"]);
    big.extend((0..200).flat_map(|i| [b(&format!("{}.25", i * 3)), b(&format!("m{i}"))]));
    ok(c, big);
    ok(c, words(&["PEXPIRE", "bighash", "900000"]));
    ok(c, words(&["SELECT", "3"]));
    ok(c, words(&["SET", "db3key", "three"]));
    ok(c, words(&["RPUSH", "db3list", "x", "y"]));
    ok(c, words(&["PEXPIRE", "db3list", "700000"]));
    ok(c, words(&["SELECT", "0"]));
    ok(c, words(&["FUNCTION", "LOAD", LIB]));
}

/// What a key looks like from outside: its type, its value as sorted or
/// ordered strings, and its PTTL.
type Described = BTreeMap<Vec<u8>, (String, Vec<Vec<u8>>, i64)>;

fn strings(v: Value) -> Vec<Vec<u8>> {
    match v {
        Value::Array(items) | Value::Set(items) => items.into_iter().flat_map(strings).collect(),
        Value::Map(pairs) => pairs
            .into_iter()
            .flat_map(|(k, v)| [strings(k), strings(v)].concat())
            .collect(),
        Value::Bulk(s) | Value::Simple(s) => vec![s.to_vec()],
        Value::Integer(n) => vec![n.to_string().into_bytes()],
        Value::Null => vec![b"(nil)".to_vec()],
        other => panic!("unexpected {other:?}"),
    }
}

fn describe(c: &mut Conn, db: usize) -> Described {
    ok(c, words(&["SELECT", &db.to_string()]));
    let keys = strings(ok(c, words(&["KEYS", "*"])));
    let mut out = Described::new();
    for key in keys {
        let k = Value::Bulk(Bytes::from(key.clone()));
        let kind = strings(ok(c, vec![b("TYPE"), k.clone()])).concat();
        let kind = String::from_utf8(kind).expect("type");
        let read = |name: &str, rest: &[&str]| {
            let mut req = vec![b(name), k.clone()];
            req.extend(words(rest));
            req
        };
        let value = match kind.as_str() {
            "string" => strings(ok(c, read("GET", &[]))),
            "list" => strings(ok(c, read("LRANGE", &["0", "-1"]))),
            "zset" => strings(ok(c, read("ZRANGE", &["0", "-1", "WITHSCORES"]))),
            "set" => {
                let mut m = strings(ok(c, read("SMEMBERS", &[])));
                m.sort();
                m
            }
            "hash" => {
                let flat = strings(ok(c, read("HGETALL", &[])));
                let mut pairs: Vec<_> = flat.chunks(2).map(|p| p.concat()).collect();
                pairs.sort();
                pairs
            }
            other => panic!("type {other}"),
        };
        let Value::Integer(pttl) = ok(c, read("PTTL", &[])) else {
            panic!("PTTL")
        };
        out.insert(key, (kind, value, pttl));
    }
    ok(c, words(&["SELECT", "0"]));
    out
}

/// Both sides hold the same keys, values and (within 30 s) deadlines.
fn same_data(a: &mut Conn, b: &mut Conn) {
    for db in [0, 1, 3] {
        let (left, right) = (describe(a, db), describe(b, db));
        assert_eq!(
            left.keys().collect::<Vec<_>>(),
            right.keys().collect::<Vec<_>>(),
            "db {db}"
        );
        for (key, (lt, lv, lttl)) in &left {
            let (rt, rv, rttl) = &right[key];
            let name = String::from_utf8_lossy(key);
            assert_eq!((lt, lv), (rt, rv), "key {name} in db {db}");
            assert_eq!(*lttl < 0, *rttl < 0, "key {name}: {lttl} vs {rttl}");
            assert!((lttl - rttl).abs() < 30_000, "key {name}: {lttl} vs {rttl}");
        }
    }
    assert!(describe(a, 0).len() > 15);
}

/// FUNCTION LIST WITHCODE, as library names and code.
fn libraries(c: &mut Conn) -> Vec<Vec<u8>> {
    let all = strings(ok(c, words(&["FUNCTION", "LIST", "WITHCODE"])));
    let mut out: Vec<_> = all
        .windows(2)
        .filter(|w| w[0] == b"library_name" || w[0] == b"library_code")
        .map(|w| w[1].clone())
        .collect();
    out.sort();
    out
}

fn kvstore(dir: &Path, extra: &[&str]) -> Proc {
    let mut args = vec!["--reply-mode", "redis"];
    args.extend_from_slice(extra);
    let p = Proc::start(dir, &args);
    wait_ready(&mut p.connect());
    p
}

#[test]
fn kvstore_loads_what_redis_writes() {
    let Some((redis_bin, _)) = redis_tools() else {
        return;
    };
    let rdir = tempfile::tempdir().expect("tempdir");
    let redis = Redis::start(&redis_bin, rdir.path());
    let mut r = redis.conn();
    fill(&mut r);
    // The encodings this covers, as Redis reports them.
    for (key, enc) in [
        ("smalllist", "quicklist"),
        ("smallhash", "listpack"),
        ("bighash", "hashtable"),
        ("intset", "intset"),
        ("bigintset", "hashtable"),
        ("strset", "hashtable"),
        ("smallzset", "listpack"),
        ("bigzset", "skiplist"),
        ("int", "int"),
    ] {
        let got = strings(ok(&mut r, words(&["OBJECT", "ENCODING", key])));
        assert_eq!(got, [enc.as_bytes()], "{key}");
    }
    ok(&mut r, words(&["SAVE"]));
    let file = std::fs::read(rdir.path().join("dump.rdb")).expect("dump.rdb");
    assert!(
        !file.windows(300).any(|w| w == "a".repeat(300).as_bytes()),
        "Redis compressed the long string (LZF)"
    );

    let kdir = tempfile::tempdir().expect("tempdir");
    std::fs::write(kdir.path().join("dump.rdb"), &file).expect("copy");
    let kv = kvstore(kdir.path(), &["--dbfilename", "dump.rdb"]);
    let mut k = kv.connect();
    same_data(&mut r, &mut k);
    assert_eq!(libraries(&mut k), libraries(&mut r));
    assert_eq!(
        strings(k.cmd(&["FCALL", "hi", "0"])),
        [b"hi".to_vec()],
        "the library runs"
    );
    let log = kv.log();
    assert!(
        log.contains("is a Redis RDB file (version 10, written by Redis 7.0"),
        "{log}"
    );
    // The next save writes kvstore's own format in its place.
    ok(&mut k, words(&["SAVE"]));
    let saved = std::fs::read(kdir.path().join("dump.rdb")).expect("saved");
    assert!(saved.starts_with(b"KVSNAP"));
}

/// `--rdb-export`: runs the binary on `dir`, returns its status and log.
fn export(dir: &Path, out: &Path, extra: &[&str]) -> (bool, String) {
    let output = Command::new(BIN)
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .arg("--rdb-export")
        .arg(out)
        .env("NO_COLOR", "1")
        .output()
        .expect("run --rdb-export");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn redis_loads_what_kvstore_exports() {
    let Some((redis_bin, check_bin)) = redis_tools() else {
        return;
    };
    let kdir = tempfile::tempdir().expect("tempdir");
    // Through the append-only file: the export loads the directory as a
    // start would.
    let kv = kvstore(kdir.path(), &["--appendonly", "yes"]);
    let mut k = kv.connect();
    fill(&mut k);
    let rdir = tempfile::tempdir().expect("tempdir");
    let out = rdir.path().join("dump.rdb");
    // Beside the running server, whose directory it leaves as it was.
    let before = listing(kdir.path());
    let (ok_exit, log) = export(kdir.path(), &out, &["--appendonly", "yes"]);
    assert!(ok_exit, "{log}");
    assert!(log.contains("as an RDB file"), "{log}");
    assert_eq!(listing(kdir.path()), before);

    let check = Command::new(&check_bin)
        .arg(&out)
        .output()
        .expect("redis-check-rdb");
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success() && text.contains("RDB looks OK"),
        "{text}"
    );

    let redis = Redis::start(&redis_bin, rdir.path());
    let mut r = redis.conn();
    same_data(&mut k, &mut r);
    assert_eq!(libraries(&mut r), libraries(&mut k));
    // Redis gives them its compact encodings by its own thresholds.
    for (key, enc) in [
        ("smallhash", "listpack"),
        ("intset", "intset"),
        ("bigzset", "skiplist"),
    ] {
        let got = strings(ok(&mut r, words(&["OBJECT", "ENCODING", key])));
        assert_eq!(got, [enc.as_bytes()], "{key}");
    }
    // And its own save and reload of them agree.
    ok(&mut r, words(&["DEBUG", "RELOAD"]));
    same_data(&mut k, &mut r);
}

/// Every file in `dir` with its contents.
fn listing(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).expect("read"))
        })
        .collect()
}

#[test]
fn the_export_changes_nothing_in_the_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kv = Proc::start(dir.path(), &[]);
    kv.connect().cmd(&["SET", "k", "v"]);
    kv.connect().cmd(&["SAVE"]);
    drop(kv);
    let before = listing(dir.path());
    // With --appendonly and no log yet, a start would create the log.
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = out_dir.path().join("dump.rdb");
    let (ok_exit, log) = export(dir.path(), &out, &["--appendonly", "yes"]);
    assert!(ok_exit, "{log}");
    assert_eq!(listing(dir.path()), before);
    let kv = kvstore(out_dir.path(), &["--dbfilename", "dump.rdb"]);
    assert_eq!(kv.connect().cmd(&["GET", "k"]), b("v"));
    // A directory that is not there exports nothing.
    let (ok_exit, log) = export(&dir.path().join("nope"), &out, &[]);
    assert!(!ok_exit && log.contains("is not a directory"), "{log}");
}

#[test]
fn a_value_with_no_redis_type_stops_the_export_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kv = Proc::start(dir.path(), &[]);
    let mut c = kv.connect();
    // A seed-protocol value: an array holding an integer and a null.
    let typed = Value::Array(vec![Value::Integer(1), Value::Null]);
    c.call(vec![b("SET"), b("typed"), typed]);
    c.cmd(&["SAVE"]);
    let out = dir.path().join("out.rdb");
    let (ok_exit, log) = export(dir.path(), &out, &[]);
    assert!(!ok_exit, "{log}");
    assert!(
        log.contains("'typed'") && log.contains("Redis has no type"),
        "{log}"
    );
    assert!(!out.exists());
}

/// A small RDB file, written by kvstore's export: database 0 and 3.
fn small_rdb(dir: &Path) -> Vec<u8> {
    let kv = Proc::start(dir, &[]);
    let mut c = kv.connect();
    c.cmd(&["SET", "k", "some value that is long enough"]);
    c.cmd(&["RPUSH", "l", "a", "b", "c"]);
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "k3", "v"]);
    c.cmd(&["SAVE"]);
    drop(kv);
    let out = dir.join("made.rdb");
    let (ok_exit, log) = export(dir, &out, &[]);
    assert!(ok_exit, "{log}");
    std::fs::read(&out).expect("read")
}

#[test]
fn damaged_truncated_and_unfit_files_are_refused() {
    let src = tempfile::tempdir().expect("tempdir");
    let good = small_rdb(src.path());
    let start = |data: &[u8], extra: &[&str]| {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("dump.rdb"), data).expect("write");
        let mut args = vec!["--dbfilename", "dump.rdb"];
        args.extend_from_slice(extra);
        start_fails(dir.path(), &args)
    };
    // The good file loads.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("dump.rdb"), &good).expect("write");
    let kv = kvstore(dir.path(), &["--dbfilename", "dump.rdb"]);
    assert_eq!(kv.connect().cmd(&["DBSIZE"]), Value::Integer(2));
    drop(kv);

    // A flipped byte inside a string value: the checksum catches it.
    let at = good
        .windows(10)
        .position(|w| w == b"some value")
        .expect("the value is in the file");
    let mut flipped = good.clone();
    flipped[at + 3] ^= 0x20;
    let (status, log) = start(&flipped, &[]);
    assert!(!status.success());
    let end = good.len() - 8;
    assert!(
        log.contains(&format!("dump.rdb: corrupt at byte offset {end}"))
            && log.contains("checksum"),
        "{log}"
    );
    // kvstore-check says the same.
    let bad = src.path().join("flipped.rdb");
    std::fs::write(&bad, &flipped).expect("write");
    let check = Command::new(durability_common::CHECK_BIN)
        .arg(&bad)
        .output()
        .expect("kvstore-check");
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        !check.status.success() && text.contains(&format!("byte offset {end}")),
        "{text}"
    );
    // Cut short: the walk names where the file stops making sense.
    let (status, log) = start(&good[..good.len() - 20], &[]);
    assert!(!status.success());
    assert!(log.contains("dump.rdb: corrupt at byte offset"), "{log}");
    // Database 3 with only two databases configured.
    let (status, log) = start(&good, &["--databases", "2"]);
    assert!(!status.success());
    assert!(
        log.contains("database 3") && log.contains("--databases 4"),
        "{log}"
    );
}

#[test]
fn a_stream_is_refused_by_name() {
    let Some((redis_bin, _)) = redis_tools() else {
        return;
    };
    let rdir = tempfile::tempdir().expect("tempdir");
    let redis = Redis::start(&redis_bin, rdir.path());
    let mut r = redis.conn();
    ok(&mut r, words(&["SET", "fine", "1"]));
    ok(&mut r, words(&["XADD", "events", "*", "a", "1"]));
    ok(&mut r, words(&["SAVE"]));
    drop(redis);
    let (status, log) = start_fails(rdir.path(), &["--dbfilename", "dump.rdb"]);
    assert!(!status.success());
    assert!(
        log.contains("key 'events'") && log.contains("is a stream, which kvstore cannot hold"),
        "{log}"
    );
}
