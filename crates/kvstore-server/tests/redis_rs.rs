//! Redis compatibility through redis-rs (the `redis` crate), a client no one
//! here wrote, plus raw-socket checks of the exact bytes where the seed
//! protocol and Redis differ.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::rs::{bulk, connect, ok, q, text, R};
use common::Raw;
use kvstore_server::{BackgroundServer, Config, ReplyMode};

fn client(server: &BackgroundServer) -> redis::Connection {
    connect(server.addr())
}

fn err(con: &mut redis::Connection, words: &[&str]) -> String {
    match q(con, words) {
        Err(e) => e.to_string(),
        Ok(v) => panic!("{words:?} should fail, got {v:?}"),
    }
}

#[test]
fn redis_rs_handshake_switches_its_connection_to_redis_replies() {
    let server = BackgroundServer::start();
    let mut con = client(&server);
    // redis-rs sends CLIENT SETINFO on connect: from then on, Redis replies.
    assert_eq!(ok(&mut con, &["SET", "k", "v"]), R::Okay);
    assert_eq!(ok(&mut con, &["MSET", "a", "1", "b", "2"]), R::Okay);
    let info = text(&ok(&mut con, &["CLIENT", "INFO"]));
    assert!(info.contains("lib-name=redis-rs"), "{info}");
    assert!(info.contains("reply-mode=redis"), "{info}");
    // Meanwhile a seed client on the same server still gets seed replies.
    let mut seed = Raw::connect(server.addr());
    assert_eq!(seed.cmd(&["SET", "k", "v"]), ":1\r\n");
    assert_eq!(seed.cmd(&["MSET", "a", "1", "b", "2", "c", "3"]), ":3\r\n");
    assert_eq!(seed.cmd(&["GET", "missing"]), "$-1\r\n");
    assert_eq!(seed.cmd(&["DELETE", "c"]), ":1\r\n");
    assert_eq!(seed.cmd(&["FLUSH"]), ":3\r\n");
}

#[test]
fn hello_and_setinfo_switch_a_seed_connection() {
    let server = BackgroundServer::start();
    let mut raw = Raw::connect(server.addr());
    assert_eq!(raw.cmd(&["SET", "k", "v"]), ":1\r\n");
    assert_eq!(raw.cmd(&["CLIENT", "SETINFO", "LIB-NAME", "x"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["MSET", "k", "v"]), "+OK\r\n");

    let mut raw = Raw::connect(server.addr());
    let hello = raw.cmd(&["HELLO"]);
    assert!(
        hello.starts_with("*16\r\n"),
        "RESP2 HELLO is a flat array: {hello}"
    );
    assert_eq!(raw.cmd(&["SET", "k", "v"]), "+OK\r\n");
}

#[test]
fn server_flag_makes_every_connection_redis() {
    let server = BackgroundServer::start_with(Config {
        reply_mode: ReplyMode::Redis,
        ..Config::default()
    });
    let mut raw = Raw::connect(server.addr());
    assert_eq!(raw.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["SET", "n", "5"]), "+OK\r\n");
    // In Redis mode numbers are strings, as Redis has them.
    assert_eq!(raw.cmd(&["INCR", "n"]), ":6\r\n");
    assert_eq!(raw.cmd(&["GET", "n"]), "$1\r\n6\r\n");
}

#[test]
fn resp3_after_hello_3() {
    let server = BackgroundServer::start();
    let mut raw = Raw::connect(server.addr());
    assert_eq!(
        raw.cmd(&["HELLO", "4"]),
        "-NOPROTO unsupported protocol version\r\n"
    );
    let hello = raw.cmd(&["HELLO", "3"]);
    assert!(hello.starts_with("%8\r\n"), "{hello}");
    assert!(hello.contains("$5\r\nproto\r\n:3\r\n"), "{hello}");
    assert_eq!(raw.cmd(&["GET", "missing"]), "_\r\n");
    assert_eq!(raw.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "maxclients"]),
        "%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"
    );
    assert_eq!(raw.cmd(&["MGET", "k", "nope"]), "*2\r\n$1\r\nv\r\n_\r\n");
    // And back.
    assert!(raw.cmd(&["HELLO", "2"]).starts_with("*16\r\n"));
    assert_eq!(raw.cmd(&["GET", "missing"]), "$-1\r\n");
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "maxclients"]),
        "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"
    );
}

#[test]
fn strings() {
    let server = BackgroundServer::start();
    let mut con = client(&server);
    assert_eq!(ok(&mut con, &["GET", "s"]), R::Nil);
    assert_eq!(ok(&mut con, &["SET", "s", "hello"]), R::Okay);
    assert_eq!(ok(&mut con, &["GET", "s"]), bulk("hello"));
    assert_eq!(ok(&mut con, &["STRLEN", "s"]), R::Int(5));
    assert_eq!(ok(&mut con, &["STRLEN", "nope"]), R::Int(0));
    assert_eq!(ok(&mut con, &["APPEND", "s", " world"]), R::Int(11));
    assert_eq!(ok(&mut con, &["APPEND", "new", "abc"]), R::Int(3));
    assert_eq!(ok(&mut con, &["GET", "s"]), bulk("hello world"));
    assert_eq!(ok(&mut con, &["GETSET", "s", "x"]), bulk("hello world"));
    assert_eq!(ok(&mut con, &["GETSET", "fresh", "y"]), R::Nil);
    assert_eq!(ok(&mut con, &["GET", "s"]), bulk("x"));
    assert_eq!(ok(&mut con, &["SETNX", "s", "no"]), R::Int(0));
    assert_eq!(ok(&mut con, &["SETNX", "t", "yes"]), R::Int(1));
    assert_eq!(ok(&mut con, &["GET", "t"]), bulk("yes"));
    assert_eq!(ok(&mut con, &["MSET", "m1", "a", "m2", "b"]), R::Okay);
    assert_eq!(
        ok(&mut con, &["MGET", "m1", "nope", "m2"]),
        R::Array(vec![bulk("a"), R::Nil, bulk("b")])
    );
    assert!(err(&mut con, &["MSET", "a", "b", "c"]).contains("wrong number of arguments"));
    // Typed access through redis-rs's conversions.
    let got: String = redis::cmd("GET").arg("m1").query(&mut con).expect("get");
    assert_eq!(got, "a");
}

#[test]
fn counters() {
    let server = BackgroundServer::start();
    let mut con = client(&server);
    assert_eq!(ok(&mut con, &["INCR", "c"]), R::Int(1));
    assert_eq!(ok(&mut con, &["INCRBY", "c", "41"]), R::Int(42));
    assert_eq!(ok(&mut con, &["DECR", "c"]), R::Int(41));
    assert_eq!(ok(&mut con, &["DECRBY", "c", "-9"]), R::Int(50));
    assert_eq!(ok(&mut con, &["GET", "c"]), bulk("50"));
    // A bulk string holding a decimal integer counts too, and stays a string.
    assert_eq!(ok(&mut con, &["SET", "s", "-7"]), R::Okay);
    assert_eq!(ok(&mut con, &["INCR", "s"]), R::Int(-6));
    assert_eq!(ok(&mut con, &["APPEND", "s", "0"]), R::Int(3));
    assert_eq!(ok(&mut con, &["INCR", "s"]), R::Int(-59));
    // Anything else gets Redis's errors.
    for bad in ["abc", "1.5", " 1", "01", ""] {
        ok(&mut con, &["SET", "bad", bad]);
        let e = err(&mut con, &["INCR", "bad"]);
        assert!(
            e.contains("value is not an integer or out of range"),
            "{bad:?}: {e}"
        );
    }
    assert!(err(&mut con, &["INCRBY", "c", "x"]).contains("not an integer"));
    ok(&mut con, &["SET", "max", &i64::MAX.to_string()]);
    assert!(err(&mut con, &["INCR", "max"]).contains("increment or decrement would overflow"));
    assert_eq!(ok(&mut con, &["GET", "max"]), bulk(&i64::MAX.to_string()));
    // A seed client can store an array; Redis calls that the wrong type.
    let mut seed = Raw::connect(server.addr());
    seed.send_raw(b"*3\r\n$3\r\nSET\r\n$4\r\nlist\r\n*1\r\n:1\r\n");
    assert_eq!(String::from_utf8_lossy(&seed.read_reply()), ":1\r\n");
    assert!(err(&mut con, &["INCR", "list"]).contains("WRONGTYPE"));
    assert!(err(&mut con, &["APPEND", "list", "x"]).contains("WRONGTYPE"));
    assert!(err(&mut con, &["STRLEN", "list"]).contains("WRONGTYPE"));
    assert_eq!(
        ok(&mut con, &["TYPE", "list"]),
        R::SimpleString("list".into())
    );
}

#[test]
fn counters_are_atomic_under_concurrency() {
    let server = BackgroundServer::start();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mut con = client(&server);
            std::thread::spawn(move || {
                let mut p = redis::pipe();
                for _ in 0..500 {
                    p.cmd("INCR").arg("n").ignore();
                }
                p.query::<()>(&mut con).expect("pipeline");
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let mut con = client(&server);
    assert_eq!(ok(&mut con, &["GET", "n"]), bulk("2000"));
}

#[test]
fn set_options() {
    let server = BackgroundServer::start();
    let mut con = client(&server);
    assert_eq!(ok(&mut con, &["SET", "k", "1", "XX"]), R::Nil);
    assert_eq!(ok(&mut con, &["EXISTS", "k"]), R::Int(0));
    assert_eq!(ok(&mut con, &["SET", "k", "1", "NX"]), R::Okay);
    assert_eq!(ok(&mut con, &["SET", "k", "2", "NX"]), R::Nil);
    assert_eq!(ok(&mut con, &["SET", "k", "3", "XX"]), R::Okay);
    assert_eq!(ok(&mut con, &["SET", "k", "4", "GET"]), bulk("3"));
    assert_eq!(ok(&mut con, &["SET", "k", "5", "nx", "get"]), bulk("4"));
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("4"));
    assert_eq!(ok(&mut con, &["SET", "new", "v", "GET"]), R::Nil);
    assert_eq!(ok(&mut con, &["SET", "k", "6", "KEEPTTL"]), R::Okay);
    assert!(err(&mut con, &["SET", "k", "v", "NX", "XX"]).contains("syntax error"));
    assert!(err(&mut con, &["SET", "k", "v", "BOGUS"]).contains("syntax error"));
    for bad in [
        &["EX", "10", "KEEPTTL"][..],
        &["EX", "1", "PX", "1"],
        &["EX"],
        &["KEEPTTL", "PX", "5"],
    ] {
        let mut words = vec!["SET", "k", "v"];
        words.extend_from_slice(bad);
        assert!(err(&mut con, &words).contains("syntax error"), "{bad:?}");
    }
    for bad in [
        ["EX", "0"],
        ["PX", "-1"],
        ["EXAT", "0"],
        ["EX", "9223372036854775807"],
    ] {
        let e = err(&mut con, &["SET", "k", "v", bad[0], bad[1]]);
        assert!(
            e.contains("invalid expire time in 'set' command"),
            "{bad:?}: {e}"
        );
    }
    // Refused options are not half-applied.
    assert_eq!(ok(&mut con, &["GET", "k"]), bulk("6"));
    assert_eq!(ok(&mut con, &["TTL", "k"]), R::Int(-1));
}

#[test]
fn keys_and_keyspace() {
    let server = BackgroundServer::start();
    let mut con = client(&server);
    ok(&mut con, &["MSET", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(ok(&mut con, &["DBSIZE"]), R::Int(3));
    assert_eq!(ok(&mut con, &["EXISTS", "a", "b", "a", "zz"]), R::Int(3));
    assert_eq!(ok(&mut con, &["DEL", "a", "a", "zz"]), R::Int(1));
    assert_eq!(
        ok(&mut con, &["TYPE", "b"]),
        R::SimpleString("string".into())
    );
    assert_eq!(ok(&mut con, &["TYPE", "a"]), R::SimpleString("none".into()));
    assert_eq!(ok(&mut con, &["RENAME", "b", "c"]), R::Okay);
    assert_eq!(ok(&mut con, &["GET", "c"]), bulk("2"));
    assert!(err(&mut con, &["RENAME", "nope", "x"]).contains("no such key"));
    assert_eq!(ok(&mut con, &["FLUSHDB"]), R::Okay);
    assert_eq!(ok(&mut con, &["DBSIZE"]), R::Int(0));
    ok(&mut con, &["SET", "x", "1"]);
    assert_eq!(ok(&mut con, &["FLUSHALL", "ASYNC"]), R::Okay);
    ok(&mut con, &["SET", "x", "1"]);
    assert_eq!(ok(&mut con, &["FLUSHDB", "SYNC"]), R::Okay);
    assert!(err(&mut con, &["FLUSHDB", "LATER"]).contains("syntax error"));
    assert_eq!(ok(&mut con, &["DBSIZE"]), R::Int(0));
}

#[test]
fn keys_patterns() {
    let server = BackgroundServer::start();
    let mut con = client(&server);
    for k in [
        "hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "other",
    ] {
        ok(&mut con, &["SET", k, "v"]);
    }
    let keys = |con: &mut redis::Connection, pattern: &str| -> Vec<String> {
        let mut got: Vec<String> = redis::cmd("KEYS").arg(pattern).query(con).expect("keys");
        got.sort();
        got
    };
    assert_eq!(
        keys(&mut con, "h?llo"),
        ["h*llo", "hallo", "hello", "hxllo"]
    );
    assert_eq!(
        keys(&mut con, "h*llo"),
        ["h*llo", "hallo", "heeeello", "hello", "hllo", "hxllo"]
    );
    assert_eq!(keys(&mut con, "h[ae]llo"), ["hallo", "hello"]);
    assert_eq!(keys(&mut con, "h[^e]llo"), ["h*llo", "hallo", "hxllo"]);
    assert_eq!(keys(&mut con, "h[a-b]llo"), ["hallo"]);
    assert_eq!(keys(&mut con, "h\\*llo"), ["h*llo"]);
    assert_eq!(keys(&mut con, "*").len(), 7);
    assert!(keys(&mut con, "nomatch*").is_empty());
}

#[test]
fn scan_walks_a_large_keyspace_in_short_steps() {
    let server = BackgroundServer::start();
    let mut con = client(&server);
    let mut p = redis::pipe();
    for i in 0..20_000 {
        p.cmd("SET").arg(format!("key:{i}")).arg(i).ignore();
    }
    for i in 0..100 {
        p.cmd("SET").arg(format!("other:{i}")).arg(i).ignore();
    }
    p.query::<()>(&mut con).expect("load");

    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let (next, keys): (String, Vec<String>) = redis::cmd("SCAN")
            .arg(&cursor)
            .arg("MATCH")
            .arg("key:*")
            .arg("COUNT")
            .arg(100)
            .query(&mut con)
            .expect("scan");
        calls += 1;
        assert!(keys.len() < 1000, "one step returned {} keys", keys.len());
        for k in keys {
            assert!(k.starts_with("key:"), "{k}");
            assert!(seen.insert(k.clone()), "{k} returned twice");
        }
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 20_000);
    assert!(calls > 10, "the scan took only {calls} calls");

    // redis-rs's own iterator, without MATCH, finds everything too.
    let all: HashSet<String> = redis::cmd("SCAN")
        .cursor_arg(0)
        .clone()
        .iter(&mut con)
        .expect("scan iter")
        .collect::<Result<_, _>>()
        .expect("scan items");
    assert_eq!(all.len(), 20_100);

    assert!(err(&mut con, &["SCAN", "x"]).contains("invalid cursor"));
    assert!(err(&mut con, &["SCAN", "0", "COUNT", "0"]).contains("syntax error"));
    // TYPE filter.
    let (_, keys): (String, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("TYPE")
        .arg("hash")
        .arg("COUNT")
        .arg(100_000)
        .query(&mut con)
        .expect("scan type");
    assert!(keys.is_empty());
}

#[test]
fn connection_commands() {
    let server = BackgroundServer::start();
    let mut con = client(&server);
    assert_eq!(ok(&mut con, &["PING"]), R::SimpleString("PONG".into()));
    assert_eq!(ok(&mut con, &["PING", "hi"]), bulk("hi"));
    assert_eq!(ok(&mut con, &["ECHO", "x y"]), bulk("x y"));
    assert_eq!(ok(&mut con, &["SELECT", "0"]), R::Okay);
    assert_eq!(ok(&mut con, &["SELECT", "15"]), R::Okay);
    assert!(err(&mut con, &["SELECT", "16"]).contains("DB index is out of range"));
    assert!(err(&mut con, &["SELECT", "-1"]).contains("DB index is out of range"));
    assert!(err(&mut con, &["SELECT", "x"]).contains("not an integer"));
    // TIME: Unix seconds and microseconds, as two bulk strings.
    let (secs, micros): (u64, u32) = redis::cmd("TIME").query(&mut con).expect("TIME");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!(
        secs.abs_diff(now) <= 2 && micros < 1_000_000,
        "{secs} {micros}"
    );

    let id = match ok(&mut con, &["CLIENT", "ID"]) {
        R::Int(n) => n,
        other => panic!("{other:?}"),
    };
    assert_eq!(ok(&mut con, &["CLIENT", "GETNAME"]), R::Nil);
    assert_eq!(ok(&mut con, &["CLIENT", "SETNAME", "worker-1"]), R::Okay);
    assert_eq!(ok(&mut con, &["CLIENT", "GETNAME"]), bulk("worker-1"));
    assert!(err(&mut con, &["CLIENT", "SETNAME", "a b"]).contains("cannot contain spaces"));
    assert_eq!(
        ok(&mut con, &["CLIENT", "SETINFO", "LIB-NAME", "mine"]),
        R::Okay
    );
    let mut other = client(&server);
    let list = text(&ok(&mut other, &["CLIENT", "LIST"]));
    let line = list
        .lines()
        .find(|l| l.starts_with(&format!("id={id} ")))
        .unwrap_or_else(|| panic!("id {id} not in {list}"));
    assert!(line.contains("name=worker-1"), "{line}");
    assert!(line.contains("lib-name=mine"), "{line}");
    assert_eq!(list.lines().count(), 2, "{list}");
    drop(con);
    // A closed connection leaves the list (its task ends shortly after).
    let deadline = Instant::now() + Duration::from_secs(5);
    while text(&ok(&mut other, &["CLIENT", "LIST"])).lines().count() != 1 {
        assert!(Instant::now() < deadline, "closed client still listed");
        std::thread::sleep(Duration::from_millis(20));
    }

    let mut raw = Raw::connect(server.addr());
    assert_eq!(raw.cmd(&["QUIT"]), "+OK\r\n");
    assert!(raw.is_closed());
}

#[test]
fn inline_commands() {
    let server = BackgroundServer::start();
    let mut raw = Raw::connect(server.addr());
    raw.send_raw(b"PING\r\nset k v\r\nGET k\n");
    assert_eq!(raw.read_reply(), b"+PONG\r\n");
    assert_eq!(raw.read_reply(), b":1\r\n");
    assert_eq!(raw.read_reply(), b"$1\r\nv\r\n");
}

fn info_field(info: &str, name: &str) -> String {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in INFO:\n{info}"))
        .trim()
        .to_string()
}

#[test]
fn info_reports_real_figures() {
    let server = BackgroundServer::start();
    let mut con = client(&server);
    ok(&mut con, &["MSET", "a", "1", "b", "2"]);
    let info = text(&ok(&mut con, &["INFO"]));
    for section in ["# Server", "# Clients", "# Memory", "# Stats", "# Keyspace"] {
        assert!(info.contains(section), "{section} missing:\n{info}");
    }
    assert!(info.contains("\r\n"), "lines end in CRLF");
    assert_eq!(
        info_field(&info, "tcp_port"),
        server.addr().port().to_string()
    );
    // The server runs in this process.
    assert_eq!(
        info_field(&info, "process_id"),
        std::process::id().to_string()
    );
    assert_eq!(info_field(&info, "db0"), "keys=2,expires=0,avg_ttl=0");
    assert_eq!(info_field(&info, "connected_clients"), "1");
    let used: u64 = info_field(&info, "used_memory").parse().expect("number");
    assert!(used > 0);
    let rss: u64 = info_field(&info, "used_memory_rss")
        .parse()
        .expect("number");
    assert!(rss > 0);
    info_field(&info, "used_memory_peak");
    info_field(&info, "uptime_in_seconds");
    info_field(&info, "redis_version");
    assert_eq!(info_field(&info, "total_connections_received"), "1");
    let before: u64 = info_field(&info, "total_commands_processed")
        .parse()
        .expect("n");

    // One section only.
    let mem = text(&ok(&mut con, &["INFO", "memory"]));
    assert!(
        mem.starts_with("# Memory") && !mem.contains("# Server"),
        "{mem}"
    );
    let after: u64 = info_field(
        &text(&ok(&mut con, &["INFO", "stats"])),
        "total_commands_processed",
    )
    .parse()
    .expect("n");
    assert_eq!(after, before + 2);

    // The ops rate follows the load: a burst of pipelined commands shows up
    // in the next samples.
    let mut p = redis::pipe();
    for _ in 0..20_000 {
        p.cmd("PING").ignore();
    }
    p.query::<()>(&mut con).expect("burst");
    std::thread::sleep(Duration::from_millis(300));
    let ops: u64 = info_field(
        &text(&ok(&mut con, &["INFO", "stats"])),
        "instantaneous_ops_per_sec",
    )
    .parse()
    .expect("n");
    assert!(ops > 0, "instantaneous_ops_per_sec stayed 0");

    // An empty keyspace section is empty, as in Redis.
    ok(&mut con, &["FLUSHALL"]);
    let ks = text(&ok(&mut con, &["INFO", "keyspace"]));
    assert_eq!(ks.trim(), "# Keyspace");
}

#[test]
fn config_get_set_resetstat() {
    let server = BackgroundServer::start();
    let mut con = client(&server);
    let get = |con: &mut redis::Connection, pattern: &str| -> Vec<(String, String)> {
        redis::cmd("CONFIG")
            .arg("GET")
            .arg(pattern)
            .query(con)
            .expect("config get")
    };
    // redis-benchmark's start-up questions.
    assert_eq!(get(&mut con, "save"), [("save".into(), String::new())]);
    assert_eq!(
        get(&mut con, "appendonly"),
        [("appendonly".into(), "no".into())]
    );
    assert_eq!(
        get(&mut con, "port"),
        [("port".into(), server.addr().port().to_string())]
    );
    let max: Vec<String> = get(&mut con, "max*").into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        max,
        [
            "maxclients",
            "maxmemory",
            "maxmemory-policy",
            "maxmemory-samples",
            "maxmemory-eviction-tenacity",
            "max-elements",
            "max-nesting"
        ]
    );
    let all = get(&mut con, "*");
    for name in [
        "bind",
        "port",
        "maxclients",
        "proto-max-bulk-len",
        "max-elements",
        "max-nesting",
        "reply-mode",
        "appendonly",
        "dir",
        "appendfsync",
        "save",
        "dbfilename",
        "appendfilename",
        "auto-aof-rewrite-percentage",
        "auto-aof-rewrite-min-size",
        "aof-load-truncated",
    ] {
        assert!(
            all.iter().any(|(k, _)| k == name),
            "{name} missing from CONFIG GET *"
        );
    }
    assert!(get(&mut con, "nothing-like-this").is_empty());

    assert_eq!(ok(&mut con, &["CONFIG", "SET", "maxclients", "7"]), R::Okay);
    assert_eq!(
        get(&mut con, "maxclients"),
        [("maxclients".into(), "7".into())]
    );
    assert!(err(&mut con, &["CONFIG", "SET", "maxclients", "x"]).contains("positive integer"));
    assert!(err(&mut con, &["CONFIG", "SET", "port", "1"]).contains("immutable"));
    assert!(err(&mut con, &["CONFIG", "SET", "nope", "1"]).contains("Unknown option"));
    // All or nothing: a bad pair refuses the good one before it.
    assert!(
        err(&mut con, &["CONFIG", "SET", "maxclients", "9", "port", "1"]).contains("immutable")
    );
    assert_eq!(
        get(&mut con, "maxclients"),
        [("maxclients".into(), "7".into())]
    );

    // reply-mode applies to new connections.
    let mut before = Raw::connect(server.addr());
    // A round trip, so that the connection has surely started.
    assert_eq!(before.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(
        ok(&mut con, &["CONFIG", "SET", "reply-mode", "redis"]),
        R::Okay
    );
    let mut after = Raw::connect(server.addr());
    assert_eq!(after.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(before.cmd(&["SET", "k", "v"]), ":1\r\n");

    // Protocol limits apply to new connections.
    assert_eq!(
        ok(&mut con, &["CONFIG", "SET", "proto-max-bulk-len", "10"]),
        R::Okay
    );
    let mut small = Raw::connect(server.addr());
    let reply = small.cmd(&["SET", "k", "01234567890"]);
    assert!(reply.starts_with("-ERR Protocol error"), "{reply}");

    ok(&mut con, &["CONFIG", "RESETSTAT"]);
    let info = text(&ok(&mut con, &["INFO", "stats"]));
    let n: u64 = info_field(&info, "total_commands_processed")
        .parse()
        .expect("n");
    assert!(n <= 1, "{n} commands after RESETSTAT");
    assert_eq!(info_field(&info, "total_connections_received"), "0");
}

#[test]
fn command_table() {
    let server = BackgroundServer::start();
    let mut con = client(&server);
    let count = match ok(&mut con, &["COMMAND", "COUNT"]) {
        R::Int(n) => n as usize,
        other => panic!("{other:?}"),
    };
    assert_eq!(count, kvstore_server::cmd::all().count());
    match ok(&mut con, &["COMMAND"]) {
        R::Array(items) => assert_eq!(items.len(), count),
        other => panic!("{other:?}"),
    }
    match ok(&mut con, &["COMMAND", "INFO", "get", "nope"]) {
        R::Array(items) => {
            assert_eq!(items[1], R::Nil);
            match &items[0] {
                R::Array(f) => {
                    assert_eq!(f[0], bulk("get"));
                    assert_eq!(f[1], R::Int(2));
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    // COMMAND DOCS, as redis-cli reads it: name, then a flat doc list.
    match ok(&mut con, &["COMMAND", "DOCS", "set"]) {
        R::Array(items) => {
            assert_eq!(items[0], bulk("set"));
            let docs = format!("{:?}", items[1]);
            assert!(
                docs.contains("summary") && docs.contains("arguments"),
                "{docs}"
            );
        }
        other => panic!("{other:?}"),
    }
    let names: Vec<String> = redis::cmd("COMMAND")
        .arg("LIST")
        .query(&mut con)
        .expect("list");
    for n in [
        "get", "set", "scan", "info", "hello", "client", "config", "command", "delete",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} not in COMMAND LIST");
    }
}

#[test]
fn pipelines() {
    let server = BackgroundServer::start();
    let mut con = client(&server);
    let (a, b, n, missing, exists, del, size): (
        String,
        String,
        i64,
        Option<String>,
        i64,
        i64,
        i64,
    ) = redis::pipe()
        .cmd("SET")
        .arg("a")
        .arg("1")
        .ignore()
        .cmd("MSET")
        .arg("b")
        .arg("2")
        .arg("c")
        .arg("3")
        .ignore()
        .cmd("GET")
        .arg("a")
        .cmd("GET")
        .arg("b")
        .cmd("INCRBY")
        .arg("c")
        .arg(10)
        .cmd("GET")
        .arg("nope")
        .cmd("EXISTS")
        .arg("a")
        .arg("b")
        .arg("nope")
        .cmd("DEL")
        .arg("a")
        .arg("nope")
        .cmd("DBSIZE")
        .query(&mut con)
        .expect("pipeline");
    assert_eq!((a.as_str(), b.as_str(), n), ("1", "2", 13));
    assert_eq!(missing, None);
    assert_eq!((exists, del, size), (2, 1, 2));

    // A long pipeline, replies in order.
    let mut p = redis::pipe();
    for i in 0..5000 {
        p.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
        p.cmd("INCR").arg(format!("k{i}"));
    }
    let got: Vec<i64> = p.query(&mut con).expect("long pipeline");
    assert_eq!(got, (1..=5000).collect::<Vec<i64>>());

    // An error inside a pipeline is reported for its own command, and the
    // connection stays in step: every reply was read.
    let e = redis::pipe()
        .cmd("PING")
        .cmd("INCR")
        .arg("b")
        .arg("extra")
        .cmd("ECHO")
        .arg("after")
        .query::<Vec<R>>(&mut con)
        .expect_err("the INCR fails");
    assert!(e.to_string().contains("Index 1"), "{e}");
    assert!(
        e.to_string()
            .contains("wrong number of arguments for 'incr'"),
        "{e}"
    );
    assert_eq!(ok(&mut con, &["ECHO", "next"]), bulk("next"));
}
