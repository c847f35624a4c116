//! Lua scripts: EVAL, EVALSHA, SCRIPT, the reply conversions, errors as
//! Redis gives them, the sandbox, atomicity, and the append-only file.

mod common;
mod durability_common;
mod scripting_cases;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::rs::{bulk, connect, ok, q, R};
use durability_common::Proc;
use kvstore_protocol::Value;
use kvstore_server::BackgroundServer;

fn err(con: &mut redis::Connection, words: &[&str]) -> String {
    match q(con, words) {
        Err(e) => e.to_string(),
        Ok(v) => panic!("{words:?} should fail, got {v:?}"),
    }
}

#[test]
fn scripts_run_commands_and_convert_replies_as_redis_does() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    let script = "return redis.call('SET', KEYS[1], ARGV[1])";
    assert_eq!(ok(&mut con, &["EVAL", script, "1", "k", "v"]), R::Okay);
    assert_eq!(
        ok(
            &mut con,
            &["EVAL", "return redis.call('GET', KEYS[1])", "1", "k"]
        ),
        bulk("v")
    );
    // Numbers truncate, false is nil, a table is an array up to its first
    // nil, {ok=…} is a status.
    assert_eq!(
        ok(
            &mut con,
            &[
                "EVAL",
                "return {1, 2.9, 'x', false, {ok='fine'}, nil, 7}",
                "0"
            ]
        ),
        R::Array(vec![
            R::Int(1),
            R::Int(2),
            bulk("x"),
            R::Nil,
            R::SimpleString("fine".into())
        ])
    );
    assert_eq!(
        ok(
            &mut con,
            &["EVAL", "return redis.call('GET', 'missing')", "0"]
        ),
        R::Nil
    );
    assert_eq!(
        ok(&mut con, &["EVAL", "return redis.sha1hex('')", "0"]),
        bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709")
    );
    // SCRIPT LOAD, EVALSHA, EXISTS, FLUSH.
    let sha = match ok(&mut con, &["SCRIPT", "LOAD", "return ARGV[1]"]) {
        R::BulkString(b) => String::from_utf8(b).expect("sha"),
        other => panic!("{other:?}"),
    };
    assert_eq!(ok(&mut con, &["EVALSHA", &sha, "0", "hi"]), bulk("hi"));
    assert_eq!(
        ok(&mut con, &["SCRIPT", "EXISTS", &sha, "0000"]),
        R::Array(vec![R::Int(1), R::Int(0)])
    );
    assert_eq!(ok(&mut con, &["SCRIPT", "FLUSH"]), R::Okay);
    assert!(err(&mut con, &["EVALSHA", &sha, "0"]).contains("No matching script"));
    assert!(err(&mut con, &["SCRIPT", "KILL"]).contains("No scripts in execution"));
}

#[test]
fn errors_and_the_sandbox() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    ok(&mut con, &["SET", "s", "text"]);
    // A failing redis.call stops the script with that command's error.
    let e = err(&mut con, &["EVAL", "return redis.call('INCR', 's')", "0"]);
    assert!(
        e.contains("value is not an integer or out of range") && e.contains("on @user_script:1."),
        "{e}"
    );
    // redis.pcall hands it to the script as a table instead.
    let e = err(
        &mut con,
        &["EVAL", "local r = redis.pcall('INCR', 's'); return r", "0"],
    );
    assert!(e.contains("value is not an integer or out of range"), "{e}");
    assert_eq!(
        ok(
            &mut con,
            &[
                "EVAL",
                "local r = redis.pcall('INCR', 's'); return type(r.err)",
                "0"
            ]
        ),
        bulk("string")
    );
    let e = err(&mut con, &["EVAL", "error('boom')", "0"]);
    assert!(e.contains("user_script:1: boom"), "{e}");
    assert!(err(&mut con, &["EVAL", "return redis.call('nosuch')", "0"])
        .contains("Unknown Redis command called from script"));
    assert!(
        err(&mut con, &["EVAL", "return redis.call('GET')", "0"]).contains("Wrong number of args")
    );
    assert!(err(
        &mut con,
        &["EVAL", "return redis.call('EVAL', 'return 1', '0')", "0"]
    )
    .contains("not allowed from script"));
    assert!(err(
        &mut con,
        &["EVAL_RO", "return redis.call('SET', 'a', 'b')", "0"]
    )
    .contains("Write commands are not allowed from read-only scripts"));
    assert!(err(&mut con, &["EVAL", "return 1", "-1"]).contains("can't be negative"));
    assert!(err(&mut con, &["EVAL", "return 1", "2", "a"]).contains("greater than number of args"));
    assert!(err(&mut con, &["EVAL", "syntax error here", "0"]).contains("Error compiling script"));
    assert!(err(&mut con, &["SCRIPT", "LOAD", "x y"]).contains("Error compiling script"));
    // Nothing outside the sandbox, and no new globals.
    for escape in [
        "return os.time()",
        "return io.open('/etc/passwd')",
        "return loadfile('/etc/passwd')",
        "return print('x')",
        "return getfenv(1)",
        "return newproxy()",
        "return dofile('/etc/passwd')",
        "return require('os')",
        "return debug.getinfo(1)",
        "return setfenv(1, {})",
    ] {
        let e = err(&mut con, &["EVAL", escape, "0"]);
        assert!(e.contains("nonexistent global variable"), "{escape}: {e}");
    }
    assert!(err(&mut con, &["EVAL", "x = 5", "0"]).contains("Attempt to modify a readonly table"));
    // Errors made by the script itself are replies, not failures.
    let e = err(
        &mut con,
        &["EVAL", "return redis.error_reply('MY code')", "0"],
    );
    assert!(e.contains("MY") && e.contains("code"), "{e}");
    assert_eq!(
        ok(
            &mut con,
            &["EVAL", "return redis.status_reply('DONE')", "0"]
        ),
        R::SimpleString("DONE".into())
    );
}

/// A script runs alone: readers never see half of it.
#[test]
fn no_reader_ever_sees_half_a_script() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let stop = Arc::new(AtomicBool::new(false));
    let script = "redis.call('INCR', KEYS[1]); return redis.call('INCR', KEYS[2])";
    let writers: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut con = connect(addr);
                for _ in 0..250 {
                    ok(&mut con, &["EVAL", script, "2", "a", "b"]);
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut con = connect(addr);
                while !stop.load(Ordering::Relaxed) {
                    let (a, b): (Option<i64>, Option<i64>) = redis::cmd("MGET")
                        .arg("a")
                        .arg("b")
                        .query(&mut con)
                        .expect("MGET");
                    assert_eq!(a, b, "read half a script");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().expect("reader");
    }
    let mut con = connect(addr);
    assert_eq!(ok(&mut con, &["GET", "a"]), bulk("1000"));
}

/// The log holds what a script did, not the script: replay after SCRIPT
/// FLUSH (scripts do not survive a restart) gives the same keyspace.
#[test]
fn the_log_holds_a_scripts_effects() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Proc::start(dir.path(), &["--appendonly", "--appendfsync", "always"]);
    let mut conn = server.connect();
    let script = "redis.call('SET', KEYS[1], ARGV[1]); redis.call('INCR', KEYS[2]); \
                  redis.call('SELECT', 3); redis.call('SET', KEYS[1], 'in3'); return 1";
    let reply = conn.call(
        ["EVAL", script, "2", "k", "n", "v"]
            .iter()
            .map(|w| Value::bulk(*w))
            .collect(),
    );
    assert_eq!(reply, Value::Integer(1));
    server.kill9();
    let server = Proc::start(dir.path(), &["--appendonly"]);
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["GET", "k"]), Value::bulk("v"));
    assert_eq!(conn.cmd(&["GET", "n"]), Value::Integer(1));
    assert_eq!(conn.cmd(&["SELECT", "3"]), Value::ok());
    assert_eq!(conn.cmd(&["GET", "k"]), Value::bulk("in3"));
    assert!(server.term().success());
}

/// A script long enough to leave its worker (it hands the worker's other
/// tasks to another thread from its instruction hook) goes on running
/// commands and replies as any other, and clients beside it are served
/// once it is done; short scripts before and after are unaffected.
#[test]
fn a_long_script_leaves_its_worker_and_carries_on() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let mut con = connect(addr);
    assert_eq!(
        ok(
            &mut con,
            &["EVAL", "return redis.call('INCR', KEYS[1])", "1", "n"]
        ),
        R::Int(1)
    );
    let long = "local s = 0 \
        for i = 1, 300000 do s = s + i end \
        redis.call('SET', KEYS[1], s) \
        for i = 1, 300000 do s = s - i end \
        return {redis.call('INCR', KEYS[2]), redis.call('GET', KEYS[1]), s}";
    let others: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let mut c = connect(addr);
                for _ in 0..50 {
                    ok(&mut c, &["INCR", &format!("c{i}")]);
                }
            })
        })
        .collect();
    for round in 0..3 {
        assert_eq!(
            ok(&mut con, &["EVAL", long, "2", "sum", "n"]),
            R::Array(vec![R::Int(2 + round), bulk("45000150000"), R::Int(0)])
        );
    }
    for t in others {
        t.join().expect("client");
    }
    assert_eq!(ok(&mut con, &["GET", "c3"]), bulk("50"));
    assert_eq!(
        ok(
            &mut con,
            &["EVAL", "return redis.call('INCR', KEYS[1])", "1", "n"]
        ),
        R::Int(5)
    );
}

/// Polls `PING` on a connection of its own until the server answers -BUSY.
fn until_busy(addr: std::net::SocketAddr, want: &str) {
    let mut r = common::Raw::connect(addr);
    r.cmd(&["HELLO", "2"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let reply = r.cmd(&["PING"]);
        if reply.starts_with("-BUSY") {
            assert_eq!(reply, format!("-{want}\r\n"));
            return;
        }
        assert!(std::time::Instant::now() < deadline, "never busy: {reply}");
    }
}

const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/// A script past busy-reply-threshold: others get -BUSY (not a wait),
/// SCRIPT KILL stops it, its caller gets Redis's error, and the server
/// goes on. The same for a function and FUNCTION KILL.
#[test]
fn a_busy_script_answers_busy_and_can_be_killed() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let mut admin = common::Raw::connect(addr);
    admin.cmd(&["HELLO", "2"]);
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "busy-reply-threshold", "100"]),
        "+OK\r\n"
    );
    assert_eq!(
        admin.cmd(&["CONFIG", "GET", "lua-time-limit"]),
        "*2\r\n$14\r\nlua-time-limit\r\n$3\r\n100\r\n"
    );
    let spinner = std::thread::spawn(move || {
        let mut r = common::Raw::connect(addr);
        r.cmd(&["HELLO", "2"]);
        r.cmd(&["EVAL", "while true do end", "0"])
    });
    until_busy(addr, BUSY_EVAL);
    assert_eq!(admin.cmd(&["GET", "x"]), format!("-{BUSY_EVAL}\r\n"));
    assert_eq!(
        admin.cmd(&["FUNCTION", "KILL"]),
        format!("-{BUSY_EVAL}\r\n")
    );
    assert_eq!(admin.cmd(&["SCRIPT", "KILL"]), "+OK\r\n");
    let killed = spinner.join().expect("spinner");
    assert!(
        killed.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "),
        "{killed}"
    );
    assert_eq!(admin.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(
        admin.cmd(&["SCRIPT", "KILL"]),
        "-NOTBUSY No scripts in execution right now.\r\n"
    );
    // A function, killed by FUNCTION KILL (SCRIPT KILL is refused).
    let lib = "#!lua name=spin\nredis.register_function('spin', function() while true do end end)";
    assert_eq!(admin.cmd(&["FUNCTION", "LOAD", lib]), "$4\r\nspin\r\n");
    let spinner = std::thread::spawn(move || {
        let mut r = common::Raw::connect(addr);
        r.cmd(&["HELLO", "2"]);
        r.cmd(&["FCALL", "spin", "0"])
    });
    until_busy(addr, BUSY_FUNCTION);
    assert_eq!(
        admin.cmd(&["SCRIPT", "KILL"]),
        format!("-{BUSY_FUNCTION}\r\n")
    );
    assert!(admin
        .cmd(&["FUNCTION", "STATS"])
        .contains("$4\r\nspin\r\n$7\r\ncommand\r\n*3\r\n"));
    assert_eq!(admin.cmd(&["FUNCTION", "KILL"]), "+OK\r\n");
    assert_eq!(
        spinner.join().expect("spinner"),
        "-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.\r\n"
    );
    assert_eq!(admin.cmd(&["SET", "x", "1"]), "+OK\r\n");
}

/// A script that wrote cannot be killed; SHUTDOWN NOSAVE still ends the
/// server (on a server of its own).
#[test]
fn a_script_that_wrote_is_unkillable_but_shutdown_nosave_works() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Proc::start(dir.path(), &["--busy-reply-threshold", "100"]);
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], server.port).into();
    let spinner = std::thread::spawn(move || {
        let mut r = common::Raw::connect(addr);
        r.send(&["EVAL", "redis.call('SET', 'x', '1') while true do end", "0"]);
    });
    until_busy(addr, BUSY_EVAL);
    let mut admin = common::Raw::connect(addr);
    admin.cmd(&["HELLO", "2"]);
    assert_eq!(
        admin.cmd(&["SCRIPT", "KILL"]),
        "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n"
    );
    assert_eq!(admin.cmd(&["SHUTDOWN"]), format!("-{BUSY_EVAL}\r\n"));
    admin.send(&["SHUTDOWN", "NOSAVE"]);
    assert!(admin.is_closed());
    spinner.join().expect("spinner");
    server.wait_exit(std::time::Duration::from_secs(10));
}

/// Runs each script with EVAL and compares the raw reply with Redis's.
fn replies_as_redis(cases: &[(&str, &[u8])]) {
    replies_as_redis_after(&[], cases);
}

/// As [`replies_as_redis`], after the commands of `setup`.
fn replies_as_redis_after(setup: &[&[&str]], cases: &[(&str, &[u8])]) {
    let server = BackgroundServer::start();
    let mut con = common::Raw::connect(server.addr());
    for words in setup {
        con.send(words);
        con.read_reply();
    }
    let mut wrong = Vec::new();
    for (script, want) in cases {
        con.send(&["EVAL", script, "0"]);
        let got = con.read_reply();
        if got != *want {
            wrong.push(format!(
                "{script}\n  redis:   {:?}\n  kvstore: {:?}",
                String::from_utf8_lossy(want),
                String::from_utf8_lossy(&got)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn cjson_encodes_and_decodes_as_redis_does() {
    replies_as_redis(scripting_cases::CJSON_CASES);
}

#[test]
fn cmsgpack_packs_and_unpacks_as_redis_does() {
    replies_as_redis(scripting_cases::MSGPACK_CASES);
}

#[test]
fn bit_operates_as_luabitop() {
    replies_as_redis(scripting_cases::BIT_CASES);
}

#[test]
fn struct_packs_and_unpacks_as_redis_does() {
    replies_as_redis(scripting_cases::STRUCT_CASES);
}

/// Redis 7's globals: load, loadstring, coroutine and the rest are there,
/// compiled chunks are not loaded, nothing reaches outside.
#[test]
fn the_sandbox_has_redis_7s_globals() {
    replies_as_redis(scripting_cases::SANDBOX_CASES);
}

/// EVAL of a compiled chunk fails to compile, as Redis's text-only
/// loader makes it, rather than running bytecode.
#[test]
fn compiled_chunks_are_not_run() {
    let server = BackgroundServer::start();
    let mut con = common::Raw::connect(server.addr());
    let e = con.cmd(&["EVAL", "\x1bLuaQ\x00\x01\x04", "0"]);
    assert!(
        e.starts_with("-ERR Error compiling script (new function): user_script:1: unexpected symbol near 'char(27)'"),
        "{e}"
    );
    let e = con.cmd(&["SCRIPT", "LOAD", "\x1bLuaQ"]);
    assert!(e.starts_with("-ERR Error compiling script"), "{e}");
}

const RESP_SETUP: &[&[&str]] = &[
    &["HSET", "h", "a", "1"],
    &["SADD", "s", "x"],
    &["ZADD", "z", "1.5", "m"],
    &["SET", "n", "5"],
];

/// redis.setresp(3): replies convert to Lua as Redis documents, and the
/// RESP3 shapes a script returns reach a RESP2 client lowered.
#[test]
fn resp3_conversions_to_a_resp2_client() {
    let mut setup = RESP_SETUP.to_vec();
    setup.push(&["HELLO", "2"]);
    replies_as_redis_after(&setup, scripting_cases::RESP2_CLIENT_CASES);
}

#[test]
fn resp3_conversions_to_a_resp3_client() {
    let mut setup = RESP_SETUP.to_vec();
    setup.push(&["HELLO", "3"]);
    replies_as_redis_after(&setup, scripting_cases::RESP3_CLIENT_CASES);
}

/// A failed redis.call raises a string a script can catch, and the redis
/// library's other functions check their arguments as Redis does.
#[test]
fn redis_library_errors_as_redis() {
    replies_as_redis_after(
        &[&["HSET", "h", "a", "1"]],
        scripting_cases::REDIS_ERRORS_CASES,
    );
    replies_as_redis(scripting_cases::REDISLIB_CASES);
}

/// Library tables are read-only, as in Redis 7 (and still work).
#[test]
fn library_tables_are_read_only() {
    replies_as_redis(scripting_cases::READONLY_CASES);
}

/// A reply nested past the interpreter's stack (here a table holding
/// itself) ends in Redis's error instead of recursing without end.
#[test]
fn a_cyclic_reply_ends_at_the_stack_limit() {
    let server = BackgroundServer::start();
    let mut con = common::Raw::connect(server.addr());
    con.send(&["EVAL", "local t = {} t[1] = t return t", "0"]);
    // Read as bytes: the test decoder refuses frames this deep.
    let mut stream = con.into_stream();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    let tail = b"*1\r\n-ERR reached lua stack limit\r\n";
    let mut reply = Vec::new();
    let mut chunk = [0u8; 16384];
    while !reply.ends_with(b"\r\n-ERR reached lua stack limit\r\n") && reply.len() < 1 << 20 {
        let n = std::io::Read::read(&mut stream, &mut chunk).expect("read");
        assert!(n > 0, "closed");
        reply.extend_from_slice(&chunk[..n]);
    }
    assert!(reply.starts_with(b"*1\r\n*1\r\n*1\r\n"));
    assert!(
        reply.ends_with(tail),
        "{:?}",
        &reply[reply.len().saturating_sub(60)..]
    );
    // Redis stops 7995 tables deep; the references mlua holds on the way
    // down stop this a few levels sooner.
    let depth = (reply.len() - tail.len()) / 4 + 1;
    assert!((7900..=7996).contains(&depth), "{depth}");
    let mut again = common::Raw::connect(server.addr());
    assert_eq!(again.cmd(&["PING"]), "+PONG\r\n");
}

/// Numbers reach commands as `%.17g`, as Redis prints them.
#[test]
fn numbers_as_redis_passes_them() {
    replies_as_redis_after(
        &[&["ZADD", "z", "1e20", "a", "0.1", "b", "3", "c", "-inf", "d"]],
        scripting_cases::NUMBERS_CASES,
    );
}

/// `error({err=…})` replies with the text, where it was raised.
#[test]
fn error_tables_reply_their_text() {
    replies_as_redis(scripting_cases::ERRTABLE_CASES);
}

/// Random values, formats and numbers (seeded), as Redis answered them.
#[test]
fn mixed_library_cases_as_redis() {
    replies_as_redis(scripting_cases::MIXED_CASES);
    replies_as_redis(scripting_cases::STRUCT_MIXED_CASES);
    replies_as_redis(scripting_cases::BIT_MIXED_CASES);
}
