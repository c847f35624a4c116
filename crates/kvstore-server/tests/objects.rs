//! The object model seen from outside: seed values stored as native
//! containers and read back exactly, container encodings moving past the
//! thresholds CONFIG SET changes, DUMP/RESTORE, and the command table as
//! COMMAND INFO prints it.

mod common;

use common::rs::{bulk, connect, ok, q, R};
use common::Raw;
use kvstore_protocol::{encode, Value};
use kvstore_server::BackgroundServer;

/// The encoding thresholds are process-wide, and every server started in
/// this process resets them to its config: the tests here, which set them
/// or depend on them, run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sends `words` (typed values) over the seed protocol; the reply's bytes.
fn seed(raw: &mut Raw, words: Vec<Value>) -> String {
    let mut out = bytes::BytesMut::new();
    encode(&Value::Array(words), &mut out);
    raw.send_raw(&out);
    String::from_utf8_lossy(&raw.read_reply()).into_owned()
}

fn wire(v: &Value) -> String {
    let mut out = bytes::BytesMut::new();
    encode(v, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn strings(items: &[&str]) -> Vec<Value> {
    items.iter().map(|s| Value::bulk(*s)).collect()
}

fn err(con: &mut redis::Connection, words: &[&str]) -> String {
    match q(con, words) {
        Err(e) => e.to_string(),
        Ok(v) => panic!("{words:?} should fail, got {v:?}"),
    }
}

/// One test, because the encoding thresholds are process-wide (as in
/// Redis) and the tests of one file share the process.
#[test]
fn seed_containers_are_native_and_follow_the_thresholds() {
    let _serial = serial();
    let server = BackgroundServer::start();
    let mut raw = Raw::connect(server.addr());
    let mut con = connect(server.addr());
    let set = |k: &str, v: Value| vec![Value::bulk("SET"), Value::bulk(k), v];
    let get = |k: &str| vec![Value::bulk("GET"), Value::bulk(k)];

    // An array of strings is a list; a dictionary of strings a hash.
    let list = Value::Array(strings(&["a", "b", "c"]));
    assert_eq!(seed(&mut raw, set("l", list.clone())), ":1\r\n");
    assert_eq!(ok(&mut con, &["TYPE", "l"]), R::SimpleString("list".into()));
    assert_eq!(ok(&mut con, &["OBJECT", "ENCODING", "l"]), bulk("listpack"));
    assert_eq!(seed(&mut raw, get("l")), wire(&list), "read back exactly");
    let pairs: Vec<(Value, Value)> = (0..5)
        .map(|i| {
            (
                Value::bulk(format!("f{}", 4 - i)),
                Value::bulk(format!("v{i}")),
            )
        })
        .collect();
    let hash = Value::Map(pairs);
    assert_eq!(seed(&mut raw, set("h", hash.clone())), ":1\r\n");
    assert_eq!(ok(&mut con, &["TYPE", "h"]), R::SimpleString("hash".into()));
    assert_eq!(ok(&mut con, &["OBJECT", "ENCODING", "h"]), bulk("listpack"));
    assert_eq!(
        seed(&mut raw, get("h")),
        wire(&hash),
        "fields in the order sent"
    );
    // Redis clients see the right kind of value, never a converted one.
    assert!(err(&mut con, &["GET", "l"]).contains("WRONGTYPE"));
    assert!(err(&mut con, &["APPEND", "h", "x"]).contains("WRONGTYPE"));
    assert_eq!(
        ok(&mut con, &["MGET", "l", "h"]),
        R::Array(vec![R::Nil, R::Nil])
    );

    // Anything typed, empty, nested or repeated stays a seed value.
    for (k, v) in [
        (
            "ints",
            Value::Array(vec![Value::Integer(1), Value::bulk("x")]),
        ),
        ("empty", Value::Array(vec![])),
        ("nested", Value::Array(vec![Value::Array(strings(&["x"]))])),
        (
            "twice",
            Value::Map(vec![
                (Value::bulk("f"), Value::bulk("1")),
                (Value::bulk("f"), Value::bulk("2")),
            ]),
        ),
    ] {
        assert_eq!(seed(&mut raw, set(k, v.clone())), ":1\r\n");
        assert_eq!(seed(&mut raw, get(k)), wire(&v), "{k}");
    }
    assert_eq!(
        ok(&mut con, &["OBJECT", "ENCODING", "ints"]),
        bulk("quicklist")
    );

    // Past the thresholds, the large encodings.
    ok(
        &mut con,
        &[
            "CONFIG",
            "SET",
            "list-max-listpack-size",
            "4",
            "hash-max-ziplist-entries",
            "4",
        ],
    );
    assert_eq!(
        ok(&mut con, &["CONFIG", "GET", "hash-max-listpack-entries"]),
        R::Array(vec![bulk("hash-max-listpack-entries"), bulk("4")])
    );
    let long = Value::Array(strings(&["1", "2", "3", "4", "5"]));
    seed(&mut raw, set("long", long.clone()));
    assert_eq!(
        ok(&mut con, &["OBJECT", "ENCODING", "long"]),
        bulk("quicklist")
    );
    assert_eq!(seed(&mut raw, get("long")), wire(&long));
    seed(&mut raw, set("h5", hash.clone()));
    assert_eq!(
        ok(&mut con, &["OBJECT", "ENCODING", "h5"]),
        bulk("hashtable")
    );
    assert_eq!(
        seed(&mut raw, get("h5")),
        wire(&hash),
        "order kept past the threshold"
    );
    // Values already stored keep their encoding, as in Redis.
    assert_eq!(ok(&mut con, &["OBJECT", "ENCODING", "l"]), bulk("listpack"));
    assert!(
        err(&mut con, &["CONFIG", "SET", "list-max-listpack-size", "0"])
            .contains("list-max-listpack-size")
    );
    ok(
        &mut con,
        &[
            "CONFIG",
            "SET",
            "list-max-listpack-size",
            "-2",
            "hash-max-listpack-entries",
            "512",
        ],
    );

    // Containers move and copy whole, and keep their type.
    ok(&mut con, &["RENAME", "h5", "h6"]);
    ok(&mut con, &["COPY", "h6", "h7", "DB", "2"]);
    assert_eq!(
        ok(&mut con, &["TYPE", "h6"]),
        R::SimpleString("hash".into())
    );
    assert_eq!(
        seed(&mut raw, vec![Value::bulk("SELECT"), Value::Integer(2)]),
        "+OK\r\n"
    );
    assert_eq!(seed(&mut raw, get("h7")), wire(&hash));
    let mut scan = redis::cmd("SCAN");
    scan.arg(0).arg("TYPE").arg("hash").arg("COUNT").arg(10_000);
    let (_, found): (String, Vec<String>) = scan.query(&mut con).expect("scan");
    let mut found = found;
    found.sort();
    // "twice" is a seed dictionary: TYPE names it by its shape.
    assert_eq!(found, ["h", "h6", "twice"]);
}

#[test]
fn dump_and_restore() {
    let _serial = serial();
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    let mut raw = Raw::connect(server.addr());
    ok(&mut con, &["SET", "s", "hello", "EX", "100"]);
    seed(
        &mut raw,
        vec![
            Value::bulk("SET"),
            Value::bulk("l"),
            Value::Array(strings(&["x", "y"])),
        ],
    );
    let dump = |con: &mut redis::Connection, k: &str| -> Vec<u8> {
        redis::cmd("DUMP").arg(k).query(con).expect("DUMP")
    };
    let payload = dump(&mut con, "s");
    assert_eq!(ok(&mut con, &["DUMP", "missing"]), R::Nil);
    // BUSYKEY without REPLACE; the value comes back with REPLACE.
    let restore = |con: &mut redis::Connection, k: &str, ttl: &str, p: &[u8], opts: &[&str]| {
        let mut c = redis::cmd("RESTORE");
        c.arg(k).arg(ttl).arg(p);
        for o in opts {
            c.arg(*o);
        }
        c.query::<R>(con)
    };
    let e = restore(&mut con, "s", "0", &payload, &[]).unwrap_err();
    assert_eq!(e.code(), Some("BUSYKEY"), "{e}");
    assert!(
        e.to_string().contains("Target key name already exists"),
        "{e}"
    );
    assert_eq!(
        restore(&mut con, "s2", "0", &payload, &[]).unwrap(),
        R::Okay
    );
    assert_eq!(ok(&mut con, &["GET", "s2"]), bulk("hello"));
    assert_eq!(
        ok(&mut con, &["TTL", "s2"]),
        R::Int(-1),
        "DUMP carries no deadline"
    );
    assert_eq!(
        restore(&mut con, "s2", "5000", &payload, &["REPLACE"]).unwrap(),
        R::Okay
    );
    let R::Int(ttl) = ok(&mut con, &["PTTL", "s2"]) else {
        panic!("PTTL")
    };
    assert!(ttl > 4000 && ttl <= 5000, "{ttl}");
    // ABSTTL in the past restores nothing.
    assert_eq!(
        restore(&mut con, "gone", "1", &payload, &["ABSTTL"]).unwrap(),
        R::Okay
    );
    assert_eq!(ok(&mut con, &["EXISTS", "gone"]), R::Int(0));
    // A list keeps its type through DUMP and RESTORE.
    let lp = dump(&mut con, "l");
    assert_eq!(restore(&mut con, "l2", "0", &lp, &[]).unwrap(), R::Okay);
    assert_eq!(
        ok(&mut con, &["TYPE", "l2"]),
        R::SimpleString("list".into())
    );
    // Damage anywhere is refused, and nothing is created.
    for i in [0, 3, payload.len() / 2, payload.len() - 1] {
        let mut bad = payload.clone();
        bad[i] ^= 1;
        let e = restore(&mut con, "bad", "0", &bad, &[]).unwrap_err();
        assert!(
            e.to_string()
                .contains("DUMP payload version or checksum are wrong"),
            "{e}"
        );
    }
    assert_eq!(ok(&mut con, &["EXISTS", "bad"]), R::Int(0));
    let e = restore(&mut con, "bad", "-1", &payload, &[]).unwrap_err();
    assert!(
        e.to_string().contains("Invalid TTL value, must be >= 0"),
        "{e}"
    );
    let e = restore(&mut con, "bad", "0", &payload, &["FREQ", "300"]).unwrap_err();
    assert!(e.to_string().contains("Invalid FREQ value"), "{e}");
    let e = restore(&mut con, "bad", "0", &payload, &["IDLETIME", "-1"]).unwrap_err();
    assert!(e.to_string().contains("Invalid IDLETIME value"), "{e}");
    let e = restore(&mut con, "bad", "0", &payload, &["BOGUS"]).unwrap_err();
    assert!(e.to_string().contains("syntax error"), "{e}");
}

#[test]
fn lcs_as_redis_documents_it() {
    let _serial = serial();
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    ok(&mut con, &["MSET", "key1", "ohmytext", "key2", "mynewtext"]);
    assert_eq!(ok(&mut con, &["LCS", "key1", "key2"]), bulk("mytext"));
    assert_eq!(ok(&mut con, &["LCS", "key1", "key2", "LEN"]), R::Int(6));
    let pos = |a: i64, b: i64| R::Array(vec![R::Int(a), R::Int(b)]);
    assert_eq!(
        ok(
            &mut con,
            &[
                "LCS",
                "key1",
                "key2",
                "IDX",
                "MINMATCHLEN",
                "4",
                "WITHMATCHLEN"
            ]
        ),
        R::Array(vec![
            bulk("matches"),
            R::Array(vec![R::Array(vec![pos(4, 7), pos(5, 8), R::Int(4)])]),
            bulk("len"),
            R::Int(6),
        ])
    );
    assert!(err(&mut con, &["LCS", "key1", "key2", "LEN", "IDX"]).contains("please just use IDX"));
    assert_eq!(ok(&mut con, &["LCS", "key1", "missing"]), bulk(""));
}

#[test]
fn command_info_reports_flags_categories_and_keys() {
    let _serial = serial();
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    let info = |con: &mut redis::Connection, name: &str| match ok(con, &["COMMAND", "INFO", name]) {
        R::Array(mut rows) => rows.remove(0),
        other => panic!("{other:?}"),
    };
    let strs = |v: &R| match v {
        R::Array(items) => items.iter().map(common::rs::text).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let R::Array(get) = info(&mut con, "get") else {
        panic!("row")
    };
    assert_eq!(strs(&get[2]), ["readonly", "fast"]);
    assert_eq!(
        (&get[3], &get[4], &get[5]),
        (&R::Int(1), &R::Int(1), &R::Int(1))
    );
    assert_eq!(strs(&get[6]), ["@read", "@string", "@fast"]);
    let R::Array(del) = info(&mut con, "del") else {
        panic!("row")
    };
    assert_eq!(strs(&del[2]), ["write"]);
    assert_eq!(del[4], R::Int(-1));
    assert_eq!(strs(&del[6]), ["@keyspace", "@write", "@slow"]);
    let R::Array(flushall) = info(&mut con, "flushall") else {
        panic!("row")
    };
    assert!(strs(&flushall[6]).contains(&"@dangerous".to_string()));
}

/// COMMAND INFO's key specs (its ninth field) and `movablekeys`, word for
/// word as redis-server 7.0.15 gives them (without Redis's free-text
/// notes).
#[test]
fn command_info_key_specs_as_redis() {
    let _serial = serial();
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    fn words(v: &R, out: &mut Vec<String>) {
        match v {
            R::Array(items) => items.iter().for_each(|i| words(i, out)),
            R::Int(n) => out.push(n.to_string()),
            other => out.push(common::rs::text(other)),
        }
    }
    let row = |con: &mut redis::Connection, name: &str| match ok(con, &["COMMAND", "INFO", name]) {
        R::Array(mut rows) => match rows.remove(0) {
            R::Array(fields) => fields,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    let specs = |con: &mut redis::Connection, name: &str| {
        let mut out = Vec::new();
        words(&row(con, name)[8], &mut out);
        out.join(" ")
    };
    let range = |index: i64, lastkey: i64, step: i64| {
        format!(
            "begin_search type index spec index {index} find_keys type range spec lastkey {lastkey} keystep {step} limit 0"
        )
    };
    assert_eq!(
        specs(&mut con, "get"),
        format!("flags RO access {}", range(1, 0, 1))
    );
    assert_eq!(
        specs(&mut con, "mset"),
        format!("flags OW update {}", range(1, -1, 2))
    );
    assert_eq!(
        specs(&mut con, "blpop"),
        format!("flags RW access delete {}", range(1, -2, 1))
    );
    assert_eq!(
        specs(&mut con, "rename"),
        format!(
            "flags RW access delete {} flags OW update {}",
            range(1, 0, 1),
            range(2, 0, 1)
        )
    );
    let keynum = "begin_search type index spec index 2 find_keys type keynum spec keynumidx 0 firstkey 1 keystep 1";
    assert_eq!(
        specs(&mut con, "eval"),
        format!("flags RW access update {keynum}")
    );
    assert_eq!(
        specs(&mut con, "zunionstore"),
        format!(
            "flags OW update {} flags RO access {keynum}",
            range(1, 0, 1)
        )
    );
    assert_eq!(
        specs(&mut con, "sort"),
        format!(
            "flags RO access {} flags RO access begin_search type unknown spec find_keys type unknown spec \
             flags OW update begin_search type keyword spec keyword STORE startfrom 1 find_keys type range spec lastkey 0 keystep 1 limit 0",
            range(1, 0, 1)
        )
    );
    assert_eq!(specs(&mut con, "ping"), "");
    let flags = |con: &mut redis::Connection, name: &str| {
        let mut out = Vec::new();
        words(&row(con, name)[2], &mut out);
        out
    };
    assert!(flags(&mut con, "eval").contains(&"movablekeys".to_string()));
    assert!(flags(&mut con, "sort").contains(&"movablekeys".to_string()));
    assert!(!flags(&mut con, "get").contains(&"movablekeys".to_string()));
}

/// COMMAND GETKEYSANDFLAGS: each key with what the command does to it, as
/// redis-server 7.0.15 answers.
#[test]
fn command_getkeysandflags_per_key() {
    let _serial = serial();
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    let flags = |con: &mut redis::Connection, words: &[&str]| -> String {
        let mut all = vec!["COMMAND", "GETKEYSANDFLAGS"];
        all.extend(words);
        let R::Array(keys) = ok(con, &all) else {
            panic!("{words:?}");
        };
        keys.iter()
            .map(|k| match k {
                R::Array(pair) => match &pair[..] {
                    [key, R::Array(f)] => format!(
                        "{}: {}",
                        common::rs::text(key),
                        f.iter().map(common::rs::text).collect::<Vec<_>>().join(" ")
                    ),
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    for (words, want) in [
        (
            &["LMOVE", "a", "b", "LEFT", "LEFT"][..],
            "a: RW access delete; b: RW insert",
        ),
        (&["SET", "k", "v"], "k: OW update"),
        (&["SET", "k", "v", "GET"], "k: RW access update"),
        (&["DEL", "a", "b"], "a: RM delete; b: RM delete"),
        (&["MSETNX", "a", "1"], "a: OW insert"),
        (&["EXISTS", "a"], "a: RO"),
        (&["INCR", "a"], "a: RW access update"),
        (&["HDEL", "h", "f"], "h: RW delete"),
        (&["RENAME", "a", "b"], "a: RW access delete; b: OW update"),
        (&["COPY", "a", "b"], "a: RO access; b: OW update"),
        (
            &["ZUNIONSTORE", "d", "2", "a", "b"],
            "d: OW update; a: RO access; b: RO access",
        ),
        (&["SINTERSTORE", "d", "a"], "d: RW update; a: RO access"),
        (&["SORT", "a", "STORE", "b"], "a: RO access; b: OW update"),
        (&["EVAL", "x", "1", "a"], "a: RW access update"),
        (&["FCALL_RO", "f", "1", "a"], "a: RO access"),
    ] {
        assert_eq!(flags(&mut con, words), want, "{words:?}");
    }
    // Shard channels are keys for cluster routing only.
    assert!(err(
        &mut con,
        &["COMMAND", "GETKEYSANDFLAGS", "SPUBLISH", "c", "m"]
    )
    .contains("The command has no key arguments"));
}

/// COMMAND GETKEYS, GETKEYSANDFLAGS and LIST FILTERBY, replies as Redis
/// 7.0.15 gives them.
#[test]
fn command_getkeys_and_list_filterby() {
    let _serial = serial();
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    let keys = |con: &mut redis::Connection, words: &[&str]| -> Vec<String> {
        let mut all = vec!["COMMAND", "GETKEYS"];
        all.extend(words);
        match ok(con, &all) {
            R::Array(v) => v.iter().map(common::rs::text).collect(),
            other => panic!("{words:?}: {other:?}"),
        }
    };
    assert_eq!(keys(&mut con, &["set", "a", "b"]), ["a"]);
    assert_eq!(keys(&mut con, &["mset", "a", "1", "b", "2"]), ["a", "b"]);
    assert_eq!(
        keys(&mut con, &["eval", "x", "2", "a", "b", "c"]),
        ["a", "b"]
    );
    assert!(keys(&mut con, &["eval", "x", "5", "a"]).is_empty());
    assert_eq!(
        keys(
            &mut con,
            &["zunionstore", "d", "2", "a", "b", "weights", "1", "2"]
        ),
        ["d", "a", "b"]
    );
    assert_eq!(
        keys(&mut con, &["blmpop", "0", "2", "a", "b", "left"]),
        ["a", "b"]
    );
    assert_eq!(
        keys(&mut con, &["sort", "k", "by", "w", "store", "d"]),
        ["k", "d"]
    );
    for (words, want) in [
        (
            &["COMMAND", "GETKEYS", "nosuch", "a"][..],
            "Invalid command specified",
        ),
        (
            &["COMMAND", "GETKEYS", "set", "a"],
            "Invalid number of arguments specified",
        ),
        (
            &["COMMAND", "GETKEYS", "ping", "x"],
            "The command has no key arguments",
        ),
        (
            &["COMMAND", "GETKEYS", "zunion", "3", "a", "b"],
            "Invalid arguments specified",
        ),
        (
            &["COMMAND", "GETKEYS", "get"],
            "wrong number of arguments for 'command|getkeys'",
        ),
        (&["COMMAND", "LIST", "FILTERBY", "foo", "x"], "syntax error"),
    ] {
        assert!(err(&mut con, words).contains(want), "{words:?}");
    }
    assert_eq!(
        ok(&mut con, &["COMMAND", "GETKEYSANDFLAGS", "get", "a"]),
        R::Array(vec![R::Array(vec![
            bulk("a"),
            R::Array(vec![
                R::SimpleString("RO".into()),
                R::SimpleString("access".into())
            ])
        ])])
    );
    let list = |con: &mut redis::Connection, kind: &str, arg: &str| -> Vec<String> {
        match ok(con, &["COMMAND", "LIST", "FILTERBY", kind, arg]) {
            R::Array(v) => v.iter().map(common::rs::text).collect(),
            other => panic!("{other:?}"),
        }
    };
    let mut zr = list(&mut con, "PATTERN", "zra*");
    zr.sort();
    assert_eq!(
        zr,
        [
            "zrandmember",
            "zrange",
            "zrangebylex",
            "zrangebyscore",
            "zrangestore",
            "zrank"
        ]
    );
    assert!(list(&mut con, "MODULE", "x").is_empty());
    // ROLE: a primary with no replicas, as a lone Redis answers.
    assert_eq!(
        ok(&mut con, &["ROLE"]),
        R::Array(vec![bulk("master"), R::Int(0), R::Array(vec![])])
    );
    let blocking = list(&mut con, "ACLCAT", "blocking");
    assert!(blocking.contains(&"blpop".to_string()) && !blocking.contains(&"get".to_string()));
}
