//! The list commands over TCP, through redis-rs and raw RESP2/RESP3, each
//! expected reply and error text checked side by side with redis-server
//! 7.0.15.
//!
//! To check the expectations themselves against a real Redis:
//! `LISTS_TEST_REDIS=127.0.0.1:6379 cargo test -p kvstore-server --test
//! lists -- --test-threads=1` (it flushes that server). Two expectations
//! differ there, marked below: Redis 7.0 reports every list as
//! `quicklist`.

mod common;

use std::net::SocketAddr;

use common::rs::{bulk, connect, ok, q, R};
use common::Raw;
use kvstore_server::BackgroundServer;

enum Server {
    Ours(BackgroundServer),
    Real(SocketAddr),
}

impl Server {
    fn start() -> Server {
        match std::env::var("LISTS_TEST_REDIS") {
            Ok(addr) => {
                let addr = addr.parse().expect("LISTS_TEST_REDIS is host:port");
                let mut con = connect(addr);
                ok(&mut con, &["FLUSHALL"]);
                Server::Real(addr)
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

    fn is_real(&self) -> bool {
        matches!(self, Server::Real(_))
    }
}

/// A server and a redis-rs connection to it.
fn setup() -> (Server, redis::Connection) {
    let server = Server::start();
    let con = connect(server.addr());
    (server, con)
}

/// The whole error line, without the leading '-'.
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

fn assert_err(con: &mut redis::Connection, words: &[&str], expected: &str) {
    assert_eq!(err(con, words), expected, "{words:?}");
}

fn int(con: &mut redis::Connection, words: &[&str]) -> i64 {
    match ok(con, words) {
        R::Int(n) => n,
        other => panic!("{words:?}: not an integer: {other:?}"),
    }
}

fn items(words: &[&str]) -> R {
    R::Array(words.iter().map(|w| bulk(w)).collect())
}

fn ints(ns: &[i64]) -> R {
    R::Array(ns.iter().map(|n| R::Int(*n)).collect())
}

fn range(con: &mut redis::Connection, key: &str) -> R {
    ok(con, &["LRANGE", key, "0", "-1"])
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "ERR value is not an integer or out of range";

/// A string key `s` and the list `l` = a b c.
fn seed(con: &mut redis::Connection) {
    ok(con, &["DEL", "s", "l", "nokey"]);
    ok(con, &["SET", "s", "x"]);
    assert_eq!(int(con, &["RPUSH", "l", "a", "b", "c"]), 3);
}

#[test]
fn pushes_and_lengths() {
    let (_server, mut con) = setup();
    seed(&mut con);
    assert_eq!(int(&mut con, &["LPUSH", "p", "a", "b", "c"]), 3);
    assert_eq!(int(&mut con, &["RPUSH", "p", "d"]), 4);
    assert_eq!(range(&mut con, "p"), items(&["c", "b", "a", "d"]));
    assert_eq!(int(&mut con, &["LLEN", "p"]), 4);
    assert_eq!(int(&mut con, &["LLEN", "nokey"]), 0);
    assert_eq!(int(&mut con, &["LPUSHX", "nokey", "a"]), 0);
    assert_eq!(int(&mut con, &["RPUSHX", "nokey", "a"]), 0);
    assert_eq!(ok(&mut con, &["EXISTS", "nokey"]), R::Int(0));
    assert_eq!(int(&mut con, &["LPUSHX", "p", "x", "y"]), 6);
    assert_eq!(int(&mut con, &["RPUSHX", "p", "1", "2"]), 8);
    assert_eq!(
        range(&mut con, "p"),
        items(&["y", "x", "c", "b", "a", "d", "1", "2"])
    );
    for cmd in ["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"] {
        assert_err(&mut con, &[cmd, "s", "a"], WRONGTYPE);
        assert_err(
            &mut con,
            &[cmd, "p"],
            &format!(
                "ERR wrong number of arguments for '{}' command",
                cmd.to_lowercase()
            ),
        );
    }
    assert_err(&mut con, &["LLEN", "s"], WRONGTYPE);
    assert_eq!(ok(&mut con, &["TYPE", "p"]), R::SimpleString("list".into()));
}

#[test]
fn pops_with_and_without_count() {
    let (_server, mut con) = setup();
    seed(&mut con);
    assert_eq!(ok(&mut con, &["LPOP", "nokey"]), R::Nil);
    // `*-1` for these two in RESP2, as Redis; redis-rs reads it as nil.
    assert_eq!(ok(&mut con, &["LPOP", "nokey", "0"]), R::Nil);
    assert_eq!(ok(&mut con, &["RPOP", "nokey", "3"]), R::Nil);
    assert_eq!(ok(&mut con, &["LPOP", "l", "0"]), items(&[]));
    for cmd in ["LPOP", "RPOP"] {
        for bad in ["abc", "-1"] {
            assert_err(
                &mut con,
                &[cmd, "l", bad],
                "ERR value is out of range, must be positive",
            );
        }
        assert_err(
            &mut con,
            &[cmd, "s", "abc"],
            "ERR value is out of range, must be positive",
        );
        assert_err(&mut con, &[cmd, "s"], WRONGTYPE);
        assert_err(&mut con, &[cmd, "s", "1"], WRONGTYPE);
        assert_err(
            &mut con,
            &[cmd, "l", "1", "2"],
            &format!(
                "ERR wrong number of arguments for '{}' command",
                cmd.to_lowercase()
            ),
        );
    }
    assert_eq!(int(&mut con, &["RPUSH", "l", "d", "e"]), 5);
    assert_eq!(ok(&mut con, &["LPOP", "l"]), bulk("a"));
    assert_eq!(ok(&mut con, &["RPOP", "l"]), bulk("e"));
    assert_eq!(ok(&mut con, &["RPOP", "l", "2"]), items(&["d", "c"]));
    assert_eq!(
        ok(&mut con, &["LPOP", "l", "9223372036854775807"]),
        items(&["b"])
    );
    assert_eq!(
        ok(&mut con, &["EXISTS", "l"]),
        R::Int(0),
        "emptied: deleted"
    );
}

#[test]
fn ranges_and_indexes() {
    let (_server, mut con) = setup();
    seed(&mut con);
    ok(&mut con, &["RPUSH", "l", "d", "e"]);
    let cases: &[(&str, &str, &[&str])] = &[
        ("0", "-1", &["a", "b", "c", "d", "e"]),
        ("-3", "-1", &["c", "d", "e"]),
        ("-100", "1", &["a", "b"]),
        ("3", "2", &[]),
        ("20", "30", &[]),
        ("3", "100", &["d", "e"]),
        (
            "-9223372036854775808",
            "9223372036854775807",
            &["a", "b", "c", "d", "e"],
        ),
    ];
    for (start, stop, want) in cases {
        assert_eq!(
            ok(&mut con, &["LRANGE", "l", start, stop]),
            items(want),
            "{start} {stop}"
        );
    }
    assert_eq!(ok(&mut con, &["LRANGE", "nokey", "0", "-1"]), items(&[]));
    assert_err(&mut con, &["LRANGE", "nokey", "a", "1"], NOT_INT);
    assert_err(&mut con, &["LRANGE", "s", "a", "1"], NOT_INT);
    assert_err(&mut con, &["LRANGE", "s", "0", "1"], WRONGTYPE);

    for (index, want) in [("0", bulk("a")), ("-1", bulk("e")), ("-5", bulk("a"))] {
        assert_eq!(ok(&mut con, &["LINDEX", "l", index]), want);
    }
    for index in ["5", "-6"] {
        assert_eq!(ok(&mut con, &["LINDEX", "l", index]), R::Nil);
    }
    // LINDEX looks at the key before the index.
    assert_eq!(ok(&mut con, &["LINDEX", "nokey", "abc"]), R::Nil);
    assert_err(&mut con, &["LINDEX", "l", "abc"], NOT_INT);
    assert_err(&mut con, &["LINDEX", "s", "abc"], WRONGTYPE);
}

#[test]
fn lset_and_linsert() {
    let (_server, mut con) = setup();
    seed(&mut con);
    assert_eq!(ok(&mut con, &["LSET", "l", "-3", "x"]), R::Okay);
    assert_eq!(ok(&mut con, &["LSET", "l", "2", "z"]), R::Okay);
    assert_eq!(range(&mut con, "l"), items(&["x", "b", "z"]));
    assert_err(&mut con, &["LSET", "l", "3", "x"], "ERR index out of range");
    assert_err(
        &mut con,
        &["LSET", "l", "-4", "x"],
        "ERR index out of range",
    );
    assert_err(&mut con, &["LSET", "l", "abc", "x"], NOT_INT);
    assert_err(&mut con, &["LSET", "nokey", "abc", "x"], "ERR no such key");
    assert_err(&mut con, &["LSET", "s", "abc", "x"], WRONGTYPE);

    assert_eq!(int(&mut con, &["LINSERT", "l", "before", "b", "q"]), 4);
    assert_eq!(int(&mut con, &["LINSERT", "l", "AFTER", "z", "r"]), 5);
    assert_eq!(int(&mut con, &["LINSERT", "l", "BEFORE", "zz", "r"]), -1);
    assert_eq!(range(&mut con, "l"), items(&["x", "q", "b", "z", "r"]));
    assert_eq!(int(&mut con, &["LINSERT", "nokey", "BEFORE", "a", "x"]), 0);
    assert_err(
        &mut con,
        &["LINSERT", "l", "middle", "a", "x"],
        "ERR syntax error",
    );
    assert_err(
        &mut con,
        &["LINSERT", "s", "middle", "a", "x"],
        "ERR syntax error",
    );
    assert_err(&mut con, &["LINSERT", "s", "before", "a", "x"], WRONGTYPE);
}

#[test]
fn lrem_and_ltrim() {
    let (_server, mut con) = setup();
    seed(&mut con);
    ok(&mut con, &["DEL", "l"]);
    let abc = ["a", "b", "c", "a", "b", "c", "a", "b", "c", "a"];
    let mut push = vec!["RPUSH", "l"];
    push.extend(abc);
    ok(&mut con, &push);
    assert_eq!(int(&mut con, &["LREM", "l", "2", "a"]), 2);
    assert_eq!(
        range(&mut con, "l"),
        items(&["b", "c", "b", "c", "a", "b", "c", "a"])
    );
    assert_eq!(int(&mut con, &["LREM", "l", "-1", "a"]), 1);
    assert_eq!(int(&mut con, &["LREM", "l", "0", "b"]), 3);
    assert_eq!(int(&mut con, &["LREM", "l", "0", "zz"]), 0);
    assert_eq!(range(&mut con, "l"), items(&["c", "c", "a", "c"]));
    assert_eq!(
        int(&mut con, &["LREM", "l", "-9223372036854775808", "c"]),
        3
    );
    assert_eq!(int(&mut con, &["LREM", "l", "1", "a"]), 1);
    assert_eq!(ok(&mut con, &["EXISTS", "l"]), R::Int(0));
    assert_eq!(int(&mut con, &["LREM", "nokey", "1", "x"]), 0);
    assert_err(&mut con, &["LREM", "nokey", "abc", "x"], NOT_INT);
    assert_err(&mut con, &["LREM", "s", "1", "x"], WRONGTYPE);

    ok(&mut con, &["RPUSH", "l", "a", "b", "c", "d", "e"]);
    assert_eq!(ok(&mut con, &["LTRIM", "l", "1", "-2"]), R::Okay);
    assert_eq!(range(&mut con, "l"), items(&["b", "c", "d"]));
    assert_eq!(ok(&mut con, &["LTRIM", "l", "-100", "100"]), R::Okay);
    assert_eq!(range(&mut con, "l"), items(&["b", "c", "d"]));
    assert_eq!(ok(&mut con, &["LTRIM", "l", "2", "1"]), R::Okay);
    assert_eq!(ok(&mut con, &["EXISTS", "l"]), R::Int(0));
    ok(&mut con, &["RPUSH", "l", "a"]);
    assert_eq!(ok(&mut con, &["LTRIM", "l", "5", "10"]), R::Okay);
    assert_eq!(ok(&mut con, &["EXISTS", "l"]), R::Int(0));
    assert_eq!(ok(&mut con, &["LTRIM", "nokey", "0", "1"]), R::Okay);
    assert_err(&mut con, &["LTRIM", "nokey", "abc", "1"], NOT_INT);
    assert_err(&mut con, &["LTRIM", "s", "0", "1"], WRONGTYPE);
}

#[test]
fn lpos_options_and_errors() {
    let (_server, mut con) = setup();
    seed(&mut con);
    ok(&mut con, &["DEL", "l"]);
    ok(
        &mut con,
        &[
            "RPUSH", "l", "a", "b", "c", "a", "b", "c", "a", "b", "c", "a",
        ],
    );
    let single: &[(&[&str], R)] = &[
        (&[], R::Int(0)),
        (&["RANK", "2"], R::Int(3)),
        (&["RANK", "-1"], R::Int(9)),
        (&["RANK", "-2"], R::Int(6)),
        (&["RANK", "5"], R::Nil),
        (&["RANK", "-9223372036854775808"], R::Int(9)),
        (&["RANK", "9223372036854775807"], R::Nil),
        (&["MAXLEN", "1"], R::Int(0)),
    ];
    for (opts, want) in single {
        let mut words = vec!["LPOS", "l", "a"];
        words.extend(*opts);
        assert_eq!(&ok(&mut con, &words), want, "{words:?}");
    }
    assert_eq!(ok(&mut con, &["LPOS", "l", "b", "MAXLEN", "1"]), R::Nil);
    assert_eq!(ok(&mut con, &["LPOS", "l", "zz"]), R::Nil);
    let many: &[(&[&str], &[i64])] = &[
        (&["COUNT", "0"], &[0, 3, 6, 9]),
        (&["COUNT", "2"], &[0, 3]),
        (&["COUNT", "2", "RANK", "-1"], &[9, 6]),
        (&["COUNT", "0", "RANK", "2", "MAXLEN", "7"], &[3, 6]),
        (&["COUNT", "0", "RANK", "-2", "MAXLEN", "7"], &[6, 3]),
        (&["COUNT", "1", "COUNT", "0"], &[0, 3, 6, 9]),
    ];
    for (opts, want) in many {
        let mut words = vec!["LPOS", "l", "a"];
        words.extend(*opts);
        assert_eq!(ok(&mut con, &words), ints(want), "{words:?}");
    }
    assert_eq!(
        ok(&mut con, &["LPOS", "l", "b", "MAXLEN", "1", "COUNT", "0"]),
        ints(&[])
    );
    assert_eq!(ok(&mut con, &["LPOS", "nokey", "a"]), R::Nil);
    assert_eq!(
        ok(&mut con, &["LPOS", "nokey", "a", "COUNT", "0"]),
        ints(&[])
    );

    let rank0 = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
    assert_err(&mut con, &["LPOS", "l", "a", "RANK", "0"], rank0);
    assert_err(&mut con, &["LPOS", "s", "a", "RANK", "0"], rank0);
    assert_err(&mut con, &["LPOS", "l", "a", "RANK", "abc"], NOT_INT);
    for bad in ["abc", "-1"] {
        assert_err(
            &mut con,
            &["LPOS", "l", "a", "COUNT", bad],
            "ERR COUNT can't be negative",
        );
        assert_err(
            &mut con,
            &["LPOS", "l", "a", "MAXLEN", bad],
            "ERR MAXLEN can't be negative",
        );
    }
    assert_err(&mut con, &["LPOS", "l", "a", "foo"], "ERR syntax error");
    assert_err(&mut con, &["LPOS", "l", "a", "RANK"], "ERR syntax error");
    assert_err(&mut con, &["LPOS", "s", "a"], WRONGTYPE);
}

#[test]
fn lmove_and_rpoplpush() {
    let (_server, mut con) = setup();
    seed(&mut con);
    assert_eq!(ok(&mut con, &["RPOPLPUSH", "nokey", "s"]), R::Nil);
    assert_eq!(
        ok(&mut con, &["LMOVE", "nokey", "s", "LEFT", "LEFT"]),
        R::Nil
    );
    assert_err(&mut con, &["RPOPLPUSH", "l", "s"], WRONGTYPE);
    assert_err(&mut con, &["RPOPLPUSH", "s", "l"], WRONGTYPE);
    assert_err(&mut con, &["LMOVE", "l", "s", "LEFT", "LEFT"], WRONGTYPE);
    assert_eq!(range(&mut con, "l"), items(&["a", "b", "c"]), "untouched");
    assert_err(
        &mut con,
        &["LMOVE", "l", "d", "up", "LEFT"],
        "ERR syntax error",
    );
    assert_err(
        &mut con,
        &["LMOVE", "nokey", "d", "LEFT", "up"],
        "ERR syntax error",
    );

    assert_eq!(ok(&mut con, &["RPOPLPUSH", "l", "d"]), bulk("c"));
    assert_eq!(
        ok(&mut con, &["LMOVE", "l", "d", "left", "RIGHT"]),
        bulk("a")
    );
    assert_eq!(
        ok(&mut con, &["LMOVE", "l", "d", "Right", "Left"]),
        bulk("b")
    );
    assert_eq!(
        ok(&mut con, &["EXISTS", "l"]),
        R::Int(0),
        "emptied: deleted"
    );
    assert_eq!(range(&mut con, "d"), items(&["b", "c", "a"]));

    // The same key: a rotation, even of a single element.
    ok(&mut con, &["RPUSH", "r", "a"]);
    assert_eq!(
        ok(&mut con, &["LMOVE", "r", "r", "LEFT", "RIGHT"]),
        bulk("a")
    );
    assert_eq!(range(&mut con, "r"), items(&["a"]));
    ok(&mut con, &["RPUSH", "r", "b", "c"]);
    assert_eq!(
        ok(&mut con, &["LMOVE", "r", "r", "LEFT", "RIGHT"]),
        bulk("a")
    );
    assert_eq!(range(&mut con, "r"), items(&["b", "c", "a"]));
    assert_eq!(ok(&mut con, &["RPOPLPUSH", "r", "r"]), bulk("a"));
    assert_eq!(range(&mut con, "r"), items(&["a", "b", "c"]));
    assert_eq!(
        ok(&mut con, &["LMOVE", "r", "r", "LEFT", "LEFT"]),
        bulk("a")
    );
    assert_eq!(range(&mut con, "r"), items(&["a", "b", "c"]));
}

#[test]
fn lmpop_pops_from_the_first_non_empty_list() {
    let (_server, mut con) = setup();
    seed(&mut con);
    let numkeys = "ERR numkeys should be greater than 0";
    let count = "ERR count should be greater than 0";
    let errors: &[(&[&str], &str)] = &[
        (&["0", "l", "LEFT"], numkeys),
        (&["abc", "l", "LEFT"], numkeys),
        (&["-1", "l", "LEFT"], numkeys),
        (&["2", "l", "LEFT"], "ERR syntax error"),
        (&["3", "l", "LEFT"], "ERR syntax error"),
        (&["9223372036854775807", "l", "LEFT"], "ERR syntax error"),
        (&["1", "l", "middle"], "ERR syntax error"),
        (&["1", "l", "LEFT", "COUNT", "0"], count),
        (&["1", "l", "LEFT", "COUNT", "abc"], count),
        (&["1", "l", "LEFT", "COUNT"], "ERR syntax error"),
        (
            &["1", "l", "LEFT", "COUNT", "1", "COUNT", "1"],
            "ERR syntax error",
        ),
        (&["1", "l", "LEFT", "foo"], "ERR syntax error"),
        (&["1", "s", "LEFT"], WRONGTYPE),
        (&["2", "nokey", "s", "LEFT"], WRONGTYPE),
        (
            &["1", "l"],
            "ERR wrong number of arguments for 'lmpop' command",
        ),
    ];
    for (rest, want) in errors {
        let mut words = vec!["LMPOP"];
        words.extend(*rest);
        assert_err(&mut con, &words, want);
    }
    // `*-1` in RESP2, as Redis; redis-rs reads it as nil.
    assert_eq!(ok(&mut con, &["LMPOP", "1", "nokey", "LEFT"]), R::Nil);
    assert_eq!(
        ok(&mut con, &["LMPOP", "2", "l", "s", "LEFT"]),
        R::Array(vec![bulk("l"), items(&["a"])]),
        "the first non-empty list wins; later keys are not looked at"
    );
    assert_eq!(
        ok(
            &mut con,
            &["LMPOP", "2", "nokey", "l", "RIGHT", "COUNT", "5"]
        ),
        R::Array(vec![bulk("l"), items(&["c", "b"])])
    );
    assert_eq!(ok(&mut con, &["EXISTS", "l"]), R::Int(0));
}

/// Reply shapes on the wire: RESP2 and RESP3 nulls, nested arrays.
#[test]
fn reply_shapes_in_resp2_and_resp3() {
    let server = Server::start();
    let mut raw = Raw::connect(server.addr());
    raw.cmd(&["HELLO", "3"]);
    raw.cmd(&["DEL", "m", "nokey"]);
    assert_eq!(raw.cmd(&["RPUSH", "m", "a", "b", "c"]), ":3\r\n");
    for words in [
        &["LPOP", "nokey"][..],
        &["LPOP", "nokey", "0"],
        &["LMPOP", "1", "nokey", "LEFT"],
        &["LPOS", "nokey", "a"],
        &["LINDEX", "m", "5"],
        &["RPOPLPUSH", "nokey", "m"],
    ] {
        assert_eq!(raw.cmd(words), "_\r\n", "{words:?}");
    }
    assert_eq!(raw.cmd(&["LPOS", "nokey", "a", "COUNT", "1"]), "*0\r\n");
    assert_eq!(raw.cmd(&["LPOP", "m", "0"]), "*0\r\n");
    assert_eq!(
        raw.cmd(&["LMPOP", "2", "nokey", "m", "RIGHT", "COUNT", "2"]),
        "*2\r\n$1\r\nm\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n"
    );
    raw.cmd(&["HELLO", "2"]);
    assert_eq!(raw.cmd(&["LPOP", "nokey"]), "$-1\r\n");
    assert_eq!(
        raw.cmd(&["LPOP", "nokey", "2"]),
        "*-1\r\n",
        "a null array, as Redis"
    );
    assert_eq!(raw.cmd(&["LPOS", "m", "zz"]), "$-1\r\n");
    assert_eq!(raw.cmd(&["LPOS", "m", "zz", "COUNT", "0"]), "*0\r\n");
    assert_eq!(raw.cmd(&["LPOP", "m", "5"]), "*1\r\n$1\r\na\r\n");
}

/// A list stays compact while small and moves to the large encoding past
/// `list-max-listpack-size`; pushes at either end of a long list are quick.
#[test]
fn encodings_follow_the_threshold() {
    let (server, mut con) = setup();
    ok(&mut con, &["DEL", "e"]);
    ok(&mut con, &["RPUSH", "e", "a", "b"]);
    // Redis 7.0 says "quicklist" for every list (its listpack encoding
    // for small lists came with 7.2); this server reports 7.2's names.
    let small = if server.is_real() {
        "quicklist"
    } else {
        "listpack"
    };
    assert_eq!(ok(&mut con, &["OBJECT", "ENCODING", "e"]), bulk(small));
    let long = "x".repeat(100);
    let mut pipe = redis::pipe();
    for _ in 0..200 {
        pipe.cmd("RPUSH").arg("e").arg(&long).ignore();
    }
    pipe.query::<()>(&mut con).expect("pipeline");
    assert_eq!(
        ok(&mut con, &["OBJECT", "ENCODING", "e"]),
        bulk("quicklist")
    );
    assert_eq!(int(&mut con, &["LLEN", "e"]), 202);

    let mut pipe = redis::pipe();
    for i in 0..20_000 {
        let side = if i % 2 == 0 { "LPUSH" } else { "RPUSH" };
        pipe.cmd(side).arg("big").arg(i).ignore();
    }
    ok(&mut con, &["DEL", "big"]);
    pipe.query::<()>(&mut con).expect("pipeline");
    assert_eq!(int(&mut con, &["LLEN", "big"]), 20_000);
    assert_eq!(ok(&mut con, &["LINDEX", "big", "0"]), bulk("19998"));
    assert_eq!(ok(&mut con, &["LINDEX", "big", "-1"]), bulk("19999"));
    assert_eq!(
        ok(&mut con, &["LRANGE", "big", "9999", "10000"]),
        items(&["0", "1"])
    );
    ok(&mut con, &["DEL", "big", "e"]);
}

/// Moves in both directions and rotations from several connections at
/// once: no element is lost or doubled, and a list emptied by one move is
/// created again by the next.
#[test]
fn concurrent_moves_keep_every_element() {
    let server = Server::start();
    let addr = server.addr();
    let mut con = connect(addr);
    ok(&mut con, &["DEL", "a", "b"]);
    let all: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    let mut push = vec!["RPUSH", "a"];
    push.extend(all.iter().map(String::as_str));
    ok(&mut con, &push);
    let workers: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut con = connect(addr);
                let (from, to) = if t % 2 == 0 { ("a", "b") } else { ("b", "a") };
                let mut pipe = redis::pipe();
                for i in 0..300 {
                    match i % 3 {
                        0 => pipe.cmd("LMOVE").arg(from).arg(to).arg("LEFT").arg("RIGHT"),
                        1 => pipe.cmd("RPOPLPUSH").arg(from).arg(from),
                        _ => pipe.cmd("LMOVE").arg(to).arg(from).arg("RIGHT").arg("LEFT"),
                    };
                    pipe.ignore();
                }
                pipe.query::<()>(&mut con).expect("pipeline");
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let mut seen = Vec::new();
    for k in ["a", "b"] {
        let got: Vec<String> = redis::cmd("LRANGE")
            .arg(k)
            .arg(0)
            .arg(-1)
            .query(&mut con)
            .expect("lrange");
        seen.extend(got);
    }
    seen.sort_by_key(|s| s.parse::<u32>().unwrap_or(u32::MAX));
    assert_eq!(seen, all);
    ok(&mut con, &["DEL", "a", "b"]);
}
