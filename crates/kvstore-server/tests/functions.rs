//! Functions: FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP/RESTORE/STATS/HELP,
//! FCALL and FCALL_RO, with Redis 7's replies and error texts, and
//! libraries surviving a restart through the append-only file, a
//! snapshot and an AOF rewrite.

mod common;
mod durability_common;

use std::time::Duration;

use common::Raw;
use durability_common::{eventually, Proc};
use kvstore_protocol::Value;
use kvstore_server::BackgroundServer;

const LIB: &str = "#!lua name=mylib
redis.register_function('setit', function(keys, args) return redis.call('SET', keys[1], args[1]) end)
redis.register_function{function_name='getit', callback=function(keys, args) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}
redis.register_function{function_name='sneaky', callback=function(keys) return redis.call('SET', keys[1], 'x') end, flags={'no-writes'}}
redis.register_function('boom', function() local x = nil; return x.y end)
";

fn raw(server: &BackgroundServer) -> Raw {
    let mut r = Raw::connect(server.addr());
    // Redis replies (HELLO switches the connection to them).
    r.cmd(&["HELLO", "2"]);
    r
}

fn err(text: &str) -> String {
    format!("-{text}\r\n")
}

fn bulk(text: &str) -> String {
    format!("${}\r\n{text}\r\n", text.len())
}

#[test]
fn load_call_and_the_errors_redis_gives() {
    let server = BackgroundServer::start();
    let mut r = raw(&server);
    assert_eq!(r.cmd(&["FUNCTION", "LOAD", LIB]), bulk("mylib"));
    assert_eq!(r.cmd(&["FCALL", "setit", "1", "k", "v"]), "+OK\r\n");
    assert_eq!(r.cmd(&["FCALL_RO", "getit", "1", "k"]), bulk("v"));
    assert_eq!(r.cmd(&["FCALL", "getit", "1", "k"]), bulk("v"));
    assert_eq!(
        r.cmd(&["FCALL_RO", "setit", "1", "k", "v"]),
        err("ERR Can not execute a script with write flag using *_ro command.")
    );
    assert_eq!(
        r.cmd(&["FCALL", "sneaky", "1", "k"]),
        err("ERR Write commands are not allowed from read-only scripts. script: sneaky, on @user_function:4.")
    );
    assert_eq!(
        r.cmd(&["FCALL", "boom", "0"]),
        err("ERR user_function:5: attempt to index local 'x' (a nil value) script: boom, on @user_function:5.")
    );
    assert_eq!(
        r.cmd(&["FCALL", "nope", "0"]),
        err("ERR Function not found")
    );
    assert_eq!(
        r.cmd(&["FCALL", "setit", "2", "k"]),
        err("ERR Number of keys can't be greater than number of args")
    );
    assert_eq!(
        r.cmd(&["FUNCTION", "LOAD", LIB]),
        err("ERR Library 'mylib' already exists")
    );
    assert_eq!(r.cmd(&["FUNCTION", "LOAD", "REPLACE", LIB]), bulk("mylib"));
    let cases: &[(&str, &str)] = &[
        ("return 1", "ERR Missing library metadata"),
        ("#!lua\nreturn 1", "ERR Invalid library metadata"),
        ("#!js name=x\nreturn 1", "ERR Engine 'js' not found"),
        ("#!lua name=x foo=bar\nreturn 1", "ERR Invalid metadata value given: foo=bar"),
        ("#!lua name=x name=y\nreturn 1", "ERR Invalid metadata value, name argument was given multiple times"),
        ("#!lua name=a-b\nreturn 1", "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"),
        ("#!lua name=x\nreturn 1", "ERR No functions registered"),
        ("#!lua name=x\nredis.call('PING')", "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"),
        ("#!lua name=x\nlocal t = type(1)", "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'type'"),
        ("#!lua name=x\ny = 1", "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table"),
        ("#!lua name=x\nfoo(", "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'"),
        ("#!lua name=x\nwhile true do end", "ERR Error registering functions: ERR FUNCTION LOAD timeout"),
        ("#!lua name=x\nredis.register_function('f', 'g')", "ERR Error registering functions: ERR second argument to redis.register_function must be a function"),
        ("#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'bad'}}", "ERR Error registering functions: ERR unknown flag given"),
        ("#!lua name=x\nredis.register_function{function_name='f', callback=function() end, foo=1}", "ERR Error registering functions: ERR unknown argument given to redis.register_function"),
        ("#!lua name=x\nredis.register_function{callback=function() end}", "ERR Error registering functions: ERR redis.register_function must get a function name argument"),
        ("#!lua name=x\nredis.register_function()", "ERR Error registering functions: ERR wrong number of arguments to redis.register_function"),
        ("#!lua name=x\nredis.register_function('f', function() end)\nredis.register_function('f', function() end)", "ERR Error registering functions: ERR Function already exists in the library"),
        ("#!lua name=x\nredis.register_function('setit', function() end)", "ERR Function setit already exists"),
    ];
    for (code, want) in cases {
        assert_eq!(r.cmd(&["FUNCTION", "LOAD", code]), err(want), "{code}");
    }
    // At run time a function sees the globals, read-only.
    let lib = "#!lua name=g\nredis.register_function('g', function() zz = 1 end)\nredis.register_function('t', function() return type(redis.call) end)";
    assert_eq!(r.cmd(&["FUNCTION", "LOAD", lib]), bulk("g"));
    assert_eq!(
        r.cmd(&["FCALL", "g", "0"]),
        err("ERR user_function:2: Attempt to modify a readonly table script: g, on @user_function:2.")
    );
    assert_eq!(r.cmd(&["FCALL", "t", "0"]), bulk("function"));
    assert_eq!(
        r.cmd(&["FUNCTION", "DELETE", "nope"]),
        err("ERR Library not found")
    );
    assert_eq!(r.cmd(&["FUNCTION", "DELETE", "g"]), "+OK\r\n");
    assert_eq!(r.cmd(&["FCALL", "t", "0"]), err("ERR Function not found"));
    assert_eq!(
        r.cmd(&["FUNCTION", "FLUSH", "NOW"]),
        err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    );
    assert_eq!(
        r.cmd(&["FUNCTION", "FOO"]),
        err("ERR unknown subcommand 'FOO'. Try FUNCTION HELP.")
    );
    assert!(r
        .cmd(&["FUNCTION", "HELP"])
        .contains("RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]"));
    assert_eq!(
        r.cmd(&["FUNCTION", "KILL"]),
        err("NOTBUSY No scripts in execution right now.")
    );
}

#[test]
fn list_stats_dump_and_restore() {
    let server = BackgroundServer::start();
    let mut r = raw(&server);
    assert_eq!(r.cmd(&["FUNCTION", "LOAD", LIB]), bulk("mylib"));
    let lib2 = "#!lua name=other\nredis.register_function('o', function() return 1 end)";
    assert_eq!(r.cmd(&["FUNCTION", "LOAD", lib2]), bulk("other"));
    let listed = r.cmd(&["FUNCTION", "LIST", "LIBRARYNAME", "my*"]);
    assert!(listed.starts_with("*1\r\n*6\r\n$12\r\nlibrary_name\r\n$5\r\nmylib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*4\r\n"), "{listed}");
    assert!(
        listed.contains("$11\r\ndescription\r\n$5\r\nreads\r\n$5\r\nflags\r\n*1\r\n+no-writes\r\n"),
        "{listed}"
    );
    assert!(
        listed.contains("$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n"),
        "{listed}"
    );
    assert!(!listed.contains("library_code"));
    let coded = r.cmd(&["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "other"]);
    assert!(
        coded.ends_with(&format!("$12\r\nlibrary_code\r\n{}", bulk(lib2))),
        "{coded}"
    );
    assert_eq!(
        r.cmd(&["FUNCTION", "LIST", "BAD"]),
        err("ERR Unknown argument BAD")
    );
    assert_eq!(
        r.cmd(&["FUNCTION", "LIST", "LIBRARYNAME"]),
        err("ERR library name argument was not given")
    );
    assert_eq!(
        r.cmd(&["FUNCTION", "STATS"]),
        "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:2\r\n$15\r\nfunctions_count\r\n:5\r\n"
    );
    // DUMP, FLUSH, RESTORE.
    r.send(&["FUNCTION", "DUMP"]);
    let dumped = r.read_reply();
    let payload = &dumped[dumped.iter().position(|b| *b == b'\n').unwrap() + 1..dumped.len() - 2];
    let payload = payload.to_vec();
    let restore = |r: &mut Raw, policy: Option<&str>| {
        let mut words: Vec<&[u8]> = vec![b"FUNCTION", b"RESTORE", &payload];
        if let Some(p) = policy {
            words.push(p.as_bytes());
        }
        let mut out = bytes::BytesMut::new();
        kvstore_protocol::encode_command(words.iter(), &mut out);
        r.send_raw(&out);
        String::from_utf8_lossy(&r.read_reply()).into_owned()
    };
    assert_eq!(
        restore(&mut r, None),
        err("ERR Library 'mylib' already exists")
    );
    assert_eq!(r.cmd(&["FUNCTION", "FLUSH", "SYNC"]), "+OK\r\n");
    assert_eq!(r.cmd(&["FUNCTION", "LIST"]), "*0\r\n");
    assert_eq!(restore(&mut r, None), "+OK\r\n");
    assert_eq!(r.cmd(&["FCALL", "o", "0"]), ":1\r\n");
    assert_eq!(restore(&mut r, Some("REPLACE")), "+OK\r\n");
    assert_eq!(restore(&mut r, Some("FLUSH")), "+OK\r\n");
    assert_eq!(
        restore(&mut r, Some("BAD")),
        err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    );
    assert_eq!(
        r.cmd(&["FUNCTION", "RESTORE", "garbage"]),
        err("ERR DUMP payload version or checksum are wrong")
    );
}

fn words(w: &[&str]) -> Vec<Value> {
    w.iter().map(|s| Value::bulk(*s)).collect()
}

fn fcall_works(conn: &mut durability_common::Conn) {
    let set = conn.call(words(&["FCALL", "setit", "1", "k2", "w"]));
    assert!(!matches!(set, Value::Error(_)), "{set:?}");
    assert_eq!(conn.cmd(&["FCALL", "getit", "1", "k2"]), Value::bulk("w"));
}

#[test]
fn libraries_survive_a_restart_through_the_log() {
    let dir = tempfile::tempdir().expect("dir");
    let args = ["--appendonly"];
    let server = Proc::start(dir.path(), &args);
    let mut conn = server.connect();
    assert_eq!(
        conn.call(words(&["FUNCTION", "LOAD", LIB])),
        Value::bulk("mylib")
    );
    let gone = "#!lua name=gone\nredis.register_function('gone', function() return 1 end)";
    assert_eq!(
        conn.call(words(&["FUNCTION", "LOAD", gone])),
        Value::bulk("gone")
    );
    let deleted = conn.cmd(&["FUNCTION", "DELETE", "gone"]);
    assert!(!matches!(deleted, Value::Error(_)), "{deleted:?}");
    let sha = conn.cmd(&["SCRIPT", "LOAD", "return 1"]);
    server.kill9();
    let server = Proc::start(dir.path(), &args);
    let mut conn = server.connect();
    fcall_works(&mut conn);
    assert!(matches!(conn.cmd(&["FCALL", "gone", "0"]), Value::Error(_)));
    let Value::Bulk(sha) = sha else {
        panic!("{sha:?}")
    };
    let sha = String::from_utf8_lossy(&sha).into_owned();
    // Scripts do not survive, as in Redis.
    assert_eq!(
        conn.cmd(&["SCRIPT", "EXISTS", &sha]),
        Value::Array(vec![Value::Integer(0)])
    );
    // A rewrite's base snapshot carries the libraries too.
    assert!(!matches!(conn.cmd(&["FUNCTION", "FLUSH"]), Value::Error(_)));
    assert_eq!(
        conn.call(words(&["FUNCTION", "LOAD", LIB])),
        Value::bulk("mylib")
    );
    conn.cmd(&["BGREWRITEAOF"]);
    assert!(eventually(Duration::from_secs(20), || {
        conn.durability("aof_rewrites") == 1
    }));
    server.kill9();
    let server = Proc::start(dir.path(), &args);
    let mut conn = server.connect();
    fcall_works(&mut conn);
    assert!(server.term().success());
}

#[test]
fn libraries_survive_a_restart_through_a_snapshot() {
    let dir = tempfile::tempdir().expect("dir");
    let args = ["--reply-mode", "redis"];
    let server = Proc::start(dir.path(), &args);
    let mut conn = server.connect();
    assert_eq!(
        conn.call(words(&["FUNCTION", "LOAD", LIB])),
        Value::bulk("mylib")
    );
    assert_eq!(conn.cmd(&["SAVE"]), Value::simple("OK"));
    server.kill9();
    let server = Proc::start(dir.path(), &args);
    let mut conn = server.connect();
    fcall_works(&mut conn);
    assert!(server.term().success());
}
