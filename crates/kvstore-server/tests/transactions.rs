//! MULTI, EXEC and DISCARD: queueing, refusal at queue time, errors at run
//! time, atomicity under concurrent clients, and the append-only file.

mod common;
mod durability_common;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use common::rs::{bulk, connect, ok, q, R};
use common::Raw;
use durability_common::{last_incr, Proc};
use kvstore_protocol::Value;
use kvstore_server::BackgroundServer;

fn err(con: &mut redis::Connection, words: &[&str]) -> String {
    match q(con, words) {
        Err(e) => e.to_string(),
        Ok(v) => panic!("{words:?} should fail, got {v:?}"),
    }
}

fn queued() -> R {
    R::SimpleString("QUEUED".into())
}

#[test]
fn queued_commands_run_at_exec_with_their_replies() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    assert_eq!(ok(&mut con, &["MULTI"]), R::Okay);
    assert_eq!(ok(&mut con, &["SET", "a", "1"]), queued());
    assert_eq!(ok(&mut con, &["INCR", "a"]), queued());
    assert_eq!(ok(&mut con, &["GET", "a"]), queued());
    let mut other = connect(server.addr());
    assert_eq!(
        ok(&mut other, &["GET", "a"]),
        R::Nil,
        "nothing ran before EXEC"
    );
    assert_eq!(
        ok(&mut con, &["EXEC"]),
        R::Array(vec![R::Okay, R::Int(2), bulk("2")])
    );
    // An empty transaction, and DISCARD.
    ok(&mut con, &["MULTI"]);
    assert_eq!(ok(&mut con, &["EXEC"]), R::Array(vec![]));
    ok(&mut con, &["MULTI"]);
    ok(&mut con, &["SET", "a", "9"]);
    assert_eq!(ok(&mut con, &["DISCARD"]), R::Okay);
    assert_eq!(ok(&mut con, &["GET", "a"]), bulk("2"));
}

#[test]
fn errors_as_redis_gives_them() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    assert!(err(&mut con, &["EXEC"]).contains("EXEC without MULTI"));
    assert!(err(&mut con, &["DISCARD"]).contains("DISCARD without MULTI"));
    ok(&mut con, &["MULTI"]);
    assert!(err(&mut con, &["MULTI"]).contains("MULTI calls can not be nested"));
    // Refused at queue time: the whole transaction is discarded.
    ok(&mut con, &["SET", "k", "v"]);
    assert!(err(&mut con, &["NOSUCHCOMMAND"]).contains("unknown command"));
    assert!(err(&mut con, &["GET"]).contains("wrong number of arguments"));
    let e = err(&mut con, &["EXEC"]);
    assert!(
        e.contains("Transaction discarded because of previous errors"),
        "{e}"
    );
    assert_eq!(ok(&mut con, &["EXISTS", "k"]), R::Int(0), "nothing ran");
    // SAVE may not run inside a transaction.
    ok(&mut con, &["MULTI"]);
    assert!(err(&mut con, &["SAVE"]).contains("not allowed inside a transaction"));
    assert!(err(&mut con, &["EXEC"]).contains("Transaction discarded"));
    // An error at run time is that command's reply; the others run.
    let mut raw = Raw::connect(server.addr());
    raw.cmd(&["SET", "s", "text"]);
    raw.cmd(&["MULTI"]);
    raw.cmd(&["SET", "t", "1"]);
    raw.cmd(&["INCR", "s"]);
    raw.cmd(&["INCR", "t"]);
    assert_eq!(
        raw.cmd(&["EXEC"]),
        "*3\r\n:1\r\n-ERR value is not an integer or out of range\r\n:2\r\n"
    );
}

#[test]
fn seed_clients_get_seed_replies_in_exec() {
    let server = BackgroundServer::start();
    let mut raw = Raw::connect(server.addr());
    assert_eq!(raw.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["SET", "k", "v"]), "+QUEUED\r\n");
    assert_eq!(raw.cmd(&["MSET", "a", "1", "b", "2"]), "+QUEUED\r\n");
    assert_eq!(raw.cmd(&["EXEC"]), "*2\r\n:1\r\n:2\r\n");
}

/// The invariant: clients running MULTI; INCR a; INCR b; EXEC
/// against clients reading MGET a b: a reader never sees a != b.
#[test]
fn no_reader_ever_sees_half_a_transaction() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let mut con = connect(addr);
                for _ in 0..300 {
                    let mut p = redis::pipe();
                    p.atomic().cmd("INCR").arg("a").cmd("INCR").arg("b");
                    let (a, b): (i64, i64) = p.query(&mut con).expect("EXEC");
                    assert_eq!(a, b, "a transaction saw another's half");
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut con = connect(addr);
                let mut reads = 0;
                while !stop.load(Ordering::Relaxed) {
                    let (a, b): (Option<i64>, Option<i64>) = redis::cmd("MGET")
                        .arg("a")
                        .arg("b")
                        .query(&mut con)
                        .expect("MGET");
                    assert_eq!(a, b, "read half a transaction");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    stop.store(true, Ordering::Relaxed);
    let reads: usize = readers.into_iter().map(|r| r.join().expect("reader")).sum();
    assert!(reads > 0);
    let mut con = connect(addr);
    assert_eq!(
        ok(&mut con, &["MGET", "a", "b"]),
        R::Array(vec![bulk("2400"), bulk("2400")])
    );
}

#[test]
fn transactions_survive_a_restart_and_a_torn_one_is_cut_off() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Proc::start(dir.path(), &["--appendonly", "--appendfsync", "always"]);
    let mut conn = server.connect();
    let w = |words: &[&str]| Value::Array(words.iter().map(|x| Value::bulk(*x)).collect());
    assert_eq!(conn.call(vec![Value::bulk("MULTI")]), Value::ok());
    conn.call(vec![Value::bulk("SET"), Value::bulk("x"), Value::bulk("1")]);
    conn.call(vec![Value::bulk("SELECT"), Value::Integer(4)]);
    conn.call(vec![Value::bulk("SET"), Value::bulk("y"), Value::bulk("2")]);
    let reply = conn.call(vec![Value::bulk("EXEC")]);
    assert!(
        matches!(reply, Value::Array(ref r) if r.len() == 3),
        "{reply:?}"
    );
    server.kill9();
    // A crash in the middle of writing a transaction: its MULTI and one
    // record made it to the file, its EXEC did not.
    let incr = last_incr(dir.path());
    let mut tail = BytesMut::new();
    kvstore_server::persist::record::push(&mut tail, &w(&["MULTI"]));
    kvstore_server::persist::record::push(&mut tail, &w(&["SET", "half", "h"]));
    let before = std::fs::metadata(&incr).expect("incr").len();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&incr)
        .expect("open");
    f.write_all(&tail).expect("append");
    drop(f);

    let server = Proc::start(dir.path(), &["--appendonly"]);
    assert!(
        server.log().contains("inside a transaction"),
        "{}",
        server.log()
    );
    assert_eq!(
        std::fs::metadata(&incr).expect("incr").len(),
        before,
        "cut off"
    );
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["GET", "x"]), Value::bulk("1"));
    assert_eq!(conn.cmd(&["GET", "half"]), Value::Null);
    assert_eq!(conn.cmd(&["SELECT", "4"]), Value::ok());
    assert_eq!(conn.cmd(&["GET", "y"]), Value::bulk("2"));
    // Writes after the cut replay on their own, not inside the torn one.
    assert_eq!(conn.cmd(&["SET", "after", "a"]), Value::Integer(1));
    server.kill9();
    std::thread::sleep(Duration::from_millis(10));
    let server = Proc::start(dir.path(), &["--appendonly"]);
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["SELECT", "4"]), Value::ok());
    assert_eq!(conn.cmd(&["GET", "after"]), Value::bulk("a"));
    assert!(server.term().success());
}

/// EXEC's answer when a watched key changed: null, and nothing ran.
fn exec_aborted(con: &mut redis::Connection) -> bool {
    ok(con, &["EXEC"]) == R::Nil
}

#[test]
fn watch_aborts_exec_when_a_key_changes_or_expires() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    let mut other = connect(server.addr());
    let mut plain = Raw::connect(server.addr());

    // Unchanged: EXEC runs.
    ok(&mut con, &["SET", "k", "1"]);
    assert_eq!(ok(&mut con, &["WATCH", "k", "k2"]), R::Okay);
    ok(&mut con, &["MULTI"]);
    ok(&mut con, &["SET", "x", "1"]);
    assert_eq!(ok(&mut con, &["EXEC"]), R::Array(vec![R::Okay]));

    // Another client's write, the fast path's plain SET included.
    for change in [
        &["INCR", "k"][..],
        &["DEL", "k"],
        &["SET", "k", "2"],
        &["EXPIRE", "k", "100"],
        &["MSET", "z", "1", "k", "3"],
        &["FLUSHDB"],
        &["FLUSHALL"],
        &["SWAPDB", "0", "1"],
    ] {
        ok(&mut con, &["SET", "k", "1"]);
        ok(&mut con, &["WATCH", "k"]);
        if change == ["SET", "k", "2"] {
            assert_eq!(plain.cmd(&["SET", "k", "2"]), ":1\r\n");
        } else {
            ok(&mut other, change);
        }
        ok(&mut con, &["MULTI"]);
        ok(&mut con, &["SET", "x", "changed"]);
        assert!(exec_aborted(&mut con), "{change:?} did not abort EXEC");
        ok(&mut other, &["FLUSHALL"]);
    }
    assert_eq!(ok(&mut con, &["GET", "x"]), R::Nil, "no aborted EXEC ran");

    // A key moved in from another database.
    ok(&mut con, &["WATCH", "m"]);
    ok(&mut other, &["SELECT", "3"]);
    ok(&mut other, &["SET", "m", "v"]);
    ok(&mut other, &["MOVE", "m", "0"]);
    ok(&mut con, &["MULTI"]);
    assert!(exec_aborted(&mut con), "MOVE into the watched key");

    // A watched key that expires before EXEC.
    ok(&mut con, &["SET", "t", "v", "PX", "30"]);
    ok(&mut con, &["WATCH", "t"]);
    std::thread::sleep(Duration::from_millis(60));
    ok(&mut con, &["MULTI"]);
    assert!(exec_aborted(&mut con), "expiry");

    // On the wire: a null array, as Redis sends it.
    assert_eq!(plain.cmd(&["WATCH", "w"]), "+OK\r\n");
    ok(&mut other, &["SELECT", "0"]);
    ok(&mut other, &["SET", "w", "1"]);
    assert_eq!(plain.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(plain.cmd(&["EXEC"]), "*-1\r\n");

    // UNWATCH forgets; EXEC and DISCARD forget too.
    ok(&mut con, &["WATCH", "u"]);
    ok(&mut other, &["SELECT", "0"]);
    ok(&mut other, &["SET", "u", "1"]);
    assert_eq!(ok(&mut con, &["UNWATCH"]), R::Okay);
    ok(&mut con, &["MULTI"]);
    assert_eq!(ok(&mut con, &["EXEC"]), R::Array(vec![]));

    // WATCH inside MULTI is refused but does not abort the transaction.
    ok(&mut con, &["MULTI"]);
    assert!(err(&mut con, &["WATCH", "k"]).contains("WATCH inside MULTI is not allowed"));
    ok(&mut con, &["SET", "y", "1"]);
    assert_eq!(ok(&mut con, &["EXEC"]), R::Array(vec![R::Okay]));
}

#[test]
fn redis_py_style_optimistic_increment_never_loses_an_update() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut con = connect(addr);
                let mut done = 0;
                while done < 100 {
                    ok(&mut con, &["WATCH", "counter"]);
                    let now: Option<i64> = redis::cmd("GET")
                        .arg("counter")
                        .query(&mut con)
                        .expect("GET");
                    ok(&mut con, &["MULTI"]);
                    let next = (now.unwrap_or(0) + 1).to_string();
                    ok(&mut con, &["SET", "counter", &next]);
                    if !exec_aborted(&mut con) {
                        done += 1;
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let mut con = connect(addr);
    assert_eq!(ok(&mut con, &["GET", "counter"]), bulk("400"));
}
