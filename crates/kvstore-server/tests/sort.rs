//! SORT and SORT_RO over TCP; every expected reply was checked side by
//! side with redis-server 7.0.15.

mod common;
mod durability_common;

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

fn list(items: &[&str]) -> R {
    R::Array(items.iter().map(|s| bulk(s)).collect())
}

#[test]
fn sort_as_redis_does() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    ok(&mut con, &["RPUSH", "l", "3", "1", "2", "10"]);
    assert_eq!(ok(&mut con, &["SORT", "l"]), list(&["1", "2", "3", "10"]));
    assert_eq!(
        ok(&mut con, &["SORT", "l", "DESC"]),
        list(&["10", "3", "2", "1"])
    );
    assert_eq!(
        ok(&mut con, &["SORT", "l", "ALPHA"]),
        list(&["1", "10", "2", "3"])
    );
    assert_eq!(
        ok(&mut con, &["SORT", "l", "LIMIT", "1", "2"]),
        list(&["2", "3"])
    );
    assert_eq!(
        ok(&mut con, &["SORT", "l", "LIMIT", "0", "-1"]),
        list(&["1", "2", "3", "10"])
    );
    // BY other keys (a missing one weighs 0), GET other keys and hash fields.
    ok(
        &mut con,
        &[
            "MSET", "w_1", "30", "w_2", "20", "w_3", "10", "o_1", "one", "o_2", "two",
        ],
    );
    assert_eq!(
        ok(&mut con, &["SORT", "l", "BY", "w_*"]),
        list(&["10", "3", "2", "1"])
    );
    assert_eq!(
        ok(
            &mut con,
            &["SORT", "l", "BY", "w_*", "GET", "o_*", "GET", "#"]
        ),
        R::Array(vec![
            R::Nil,
            bulk("10"),
            R::Nil,
            bulk("3"),
            bulk("two"),
            bulk("2"),
            bulk("one"),
            bulk("1")
        ])
    );
    assert_eq!(
        ok(&mut con, &["SORT", "l", "BY", "nosort"]),
        list(&["3", "1", "2", "10"])
    );
    ok(&mut con, &["HSET", "h_1", "f", "b"]);
    ok(&mut con, &["HSET", "h_2", "f", "a"]);
    assert_eq!(
        ok(
            &mut con,
            &["SORT", "l", "BY", "h_*->f", "ALPHA", "GET", "h_*->f"]
        ),
        R::Array(vec![R::Nil, R::Nil, bulk("a"), bulk("b")])
    );
    // Sets and sorted sets; a sorted set unsorted keeps its score order.
    ok(&mut con, &["SADD", "s", "5", "3", "4"]);
    assert_eq!(ok(&mut con, &["SORT", "s"]), list(&["3", "4", "5"]));
    ok(&mut con, &["ZADD", "z", "1", "9", "2", "8"]);
    assert_eq!(ok(&mut con, &["SORT", "z"]), list(&["8", "9"]));
    assert_eq!(
        ok(&mut con, &["SORT", "z", "BY", "nosort"]),
        list(&["9", "8"])
    );
    assert_eq!(
        ok(&mut con, &["SORT", "z", "BY", "nosort", "DESC"]),
        list(&["8", "9"])
    );
}

#[test]
fn store_errors_and_read_only() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    ok(&mut con, &["RPUSH", "l", "b", "a"]);
    assert_eq!(
        ok(&mut con, &["SORT", "l", "ALPHA", "STORE", "dst"]),
        R::Int(2)
    );
    assert_eq!(
        ok(&mut con, &["TYPE", "dst"]),
        R::SimpleString("list".into())
    );
    assert_eq!(
        ok(&mut con, &["LRANGE", "dst", "0", "-1"]),
        list(&["a", "b"])
    );
    // An empty result deletes the destination.
    assert_eq!(
        ok(&mut con, &["SORT", "missing", "STORE", "dst"]),
        R::Int(0)
    );
    assert_eq!(ok(&mut con, &["EXISTS", "dst"]), R::Int(0));
    ok(&mut con, &["RPUSH", "bad", "a", "1"]);
    assert!(err(&mut con, &["SORT", "bad"])
        .contains("One or more scores can't be converted into double"));
    assert_eq!(ok(&mut con, &["SORT", "bad", "ALPHA"]), list(&["1", "a"]));
    ok(&mut con, &["SET", "str", "x"]);
    assert!(err(&mut con, &["SORT", "str"]).contains("WRONGTYPE"));
    assert!(err(&mut con, &["SORT_RO", "l", "STORE", "x"]).contains("syntax error"));
    assert!(err(&mut con, &["SORT", "l", "BOGUS"]).contains("syntax error"));
    assert_eq!(ok(&mut con, &["SORT_RO", "l", "ALPHA"]), list(&["a", "b"]));
}

/// SORT ... STORE is logged as what it did: a replay rebuilds the list
/// without sorting again (and reads nothing else).
#[test]
fn store_is_logged_as_its_effect() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Proc::start(dir.path(), &["--appendonly", "--appendfsync", "always"]);
    let mut conn = server.connect();
    conn.cmd(&["RPUSH", "l", "3", "1", "2"]);
    conn.cmd(&["RPUSH", "dst", "old"]);
    assert_eq!(conn.cmd(&["SORT", "l", "STORE", "dst"]), Value::Integer(3));
    assert_eq!(
        conn.cmd(&["SORT", "nothing", "STORE", "gone"]),
        Value::Integer(0)
    );
    server.kill9();
    let server = Proc::start(dir.path(), &["--appendonly"]);
    let mut conn = server.connect();
    assert_eq!(
        conn.cmd(&["LRANGE", "dst", "0", "-1"]),
        Value::Array(vec![Value::bulk("1"), Value::bulk("2"), Value::bulk("3")])
    );
    assert_eq!(conn.cmd(&["EXISTS", "gone"]), Value::Integer(0));
    assert!(server.term().success());
}
