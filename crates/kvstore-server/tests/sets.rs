//! The set family against Redis 7.0.15: every reply below, RESP2 and RESP3,
//! is what a real Redis 7.0.15 gave for the same commands in the same
//! order. Random commands are checked there only where the result is not
//! random (empty, whole set, errors), and for their properties here.

mod common;

use std::collections::HashSet;

use common::rs::{connect, ok, q, text, R};
use common::Raw;
use kvstore_server::config::AppendFsync;
use kvstore_server::{BackgroundServer, Config, ReplyMode};

/// The RESP3 reply is the RESP2 one.
const SAME: &str = "";

type Table = [(&'static str, &'static str, &'static str)];

fn redis_mode() -> BackgroundServer {
    BackgroundServer::start_with(Config {
        reply_mode: ReplyMode::Redis,
        ..Config::default()
    })
}

/// Runs `table` on a fresh database in RESP2, then again in RESP3.
fn check(table: &Table) {
    let server = redis_mode();
    let mut raw = Raw::connect(server.addr());
    for (cmd, reply, _) in table {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(raw.cmd(&words), *reply, "RESP2: {cmd}");
    }
    assert_eq!(raw.cmd(&["FLUSHALL"]), "+OK\r\n");
    raw.send(&["HELLO", "3"]);
    raw.read_reply();
    for (cmd, reply2, reply3) in table {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let want = if reply3.is_empty() { reply2 } else { reply3 };
        assert_eq!(raw.cmd(&words), *want, "RESP3: {cmd}");
    }
}

#[test]
fn single_key_commands() {
    check(&[
        ("sadd s 3 1 2 2", ":3\r\n", SAME),
        ("object encoding s", "$6\r\nintset\r\n", SAME),
        (
            "smembers s",
            "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n",
            "~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n",
        ),
        ("sadd s 1 4", ":1\r\n", SAME),
        ("scard s", ":4\r\n", SAME),
        ("sismember s 3", ":1\r\n", SAME),
        ("sismember s 03", ":0\r\n", SAME),
        ("sismember s q", ":0\r\n", SAME),
        (
            "smismember s 3 q 4 3",
            "*4\r\n:1\r\n:0\r\n:1\r\n:1\r\n",
            SAME,
        ),
        ("srem s 1 9 2", ":2\r\n", SAME),
        (
            "smembers s",
            "*2\r\n$1\r\n3\r\n$1\r\n4\r\n",
            "~2\r\n$1\r\n3\r\n$1\r\n4\r\n",
        ),
        ("sadd s a", ":1\r\n", SAME),
        ("object encoding s", "$9\r\nhashtable\r\n", SAME),
        ("srem s a 3 4", ":3\r\n", SAME),
        ("exists s", ":0\r\n", SAME),
        ("sadd i 1 007", ":2\r\n", SAME),
        ("object encoding i", "$9\r\nhashtable\r\n", SAME),
        ("sadd n -0", ":1\r\n", SAME),
        ("object encoding n", "$9\r\nhashtable\r\n", SAME),
        ("sadd p +1", ":1\r\n", SAME),
        ("object encoding p", "$9\r\nhashtable\r\n", SAME),
        (
            "sadd big 9223372036854775807 -9223372036854775808 0",
            ":3\r\n",
            SAME,
        ),
        ("object encoding big", "$6\r\nintset\r\n", SAME),
        (
            "smembers big",
            "*3\r\n$20\r\n-9223372036854775808\r\n$1\r\n0\r\n$19\r\n9223372036854775807\r\n",
            "~3\r\n$20\r\n-9223372036854775808\r\n$1\r\n0\r\n$19\r\n9223372036854775807\r\n",
        ),
        (
            "sadd",
            "-ERR wrong number of arguments for 'sadd' command\r\n",
            SAME,
        ),
        (
            "sadd s",
            "-ERR wrong number of arguments for 'sadd' command\r\n",
            SAME,
        ),
        (
            "srem",
            "-ERR wrong number of arguments for 'srem' command\r\n",
            SAME,
        ),
        (
            "srem s",
            "-ERR wrong number of arguments for 'srem' command\r\n",
            SAME,
        ),
        (
            "sismember s",
            "-ERR wrong number of arguments for 'sismember' command\r\n",
            SAME,
        ),
        (
            "smismember s",
            "-ERR wrong number of arguments for 'smismember' command\r\n",
            SAME,
        ),
        (
            "smembers",
            "-ERR wrong number of arguments for 'smembers' command\r\n",
            SAME,
        ),
        (
            "scard",
            "-ERR wrong number of arguments for 'scard' command\r\n",
            SAME,
        ),
        ("srem nokey a", ":0\r\n", SAME),
        ("smembers nokey", "*0\r\n", "~0\r\n"),
        ("sismember nokey q", ":0\r\n", SAME),
        ("smismember nokey a b", "*2\r\n:0\r\n:0\r\n", SAME),
        ("scard nokey", ":0\r\n", SAME),
        ("set str x", "+OK\r\n", SAME),
        (
            "sadd str a",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "srem str a",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "smembers str",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "sismember str a",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "smismember str a",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "scard str",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        ("type str", "+string\r\n", SAME),
    ]);
}

#[test]
fn inter_union_diff_and_store() {
    check(&[
        ("sadd a 1 2 3 4", ":4\r\n", SAME),
        ("sadd b 3 4 5", ":3\r\n", SAME),
        ("sadd c 3 x", ":2\r\n", SAME),
        ("set str v", "+OK\r\n", SAME),
        (
            "sinter a b",
            "*2\r\n$1\r\n3\r\n$1\r\n4\r\n",
            "~2\r\n$1\r\n3\r\n$1\r\n4\r\n",
        ),
        (
            "sinter b a",
            "*2\r\n$1\r\n3\r\n$1\r\n4\r\n",
            "~2\r\n$1\r\n3\r\n$1\r\n4\r\n",
        ),
        ("sinter a nokey", "*0\r\n", "~0\r\n"),
        (
            "sinter nokey str",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "sinter a str",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "sunion a b",
            "*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n",
            "~5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n",
        ),
        (
            "sunion a str",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "sunion nokey str",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        ("sunion nokey", "*0\r\n", "~0\r\n"),
        (
            "sdiff a b",
            "*2\r\n$1\r\n1\r\n$1\r\n2\r\n",
            "~2\r\n$1\r\n1\r\n$1\r\n2\r\n",
        ),
        (
            "sdiff a nokey",
            "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n",
            "~4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n",
        ),
        ("sdiff nokey a", "*0\r\n", "~0\r\n"),
        (
            "sdiff a str",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "sdiff str a",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "sdiff nokey str",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        ("sinter a b c", "*1\r\n$1\r\n3\r\n", "~1\r\n$1\r\n3\r\n"),
        ("sdiff c a", "*1\r\n$1\r\nx\r\n", "~1\r\n$1\r\nx\r\n"),
        (
            "sinter c",
            "*2\r\n$1\r\n3\r\n$1\r\nx\r\n",
            "~2\r\n$1\r\n3\r\n$1\r\nx\r\n",
        ),
        ("sintercard 2 a b", ":2\r\n", SAME),
        ("sintercard 1 a", ":4\r\n", SAME),
        (
            "sintercard 0 a",
            "-ERR numkeys should be greater than 0\r\n",
            SAME,
        ),
        (
            "sintercard -1 a",
            "-ERR numkeys should be greater than 0\r\n",
            SAME,
        ),
        (
            "sintercard x a",
            "-ERR numkeys should be greater than 0\r\n",
            SAME,
        ),
        (
            "sintercard 01 a",
            "-ERR numkeys should be greater than 0\r\n",
            SAME,
        ),
        (
            "sintercard 3 a b",
            "-ERR Number of keys can't be greater than number of args\r\n",
            SAME,
        ),
        ("sintercard 1 a limit", "-ERR syntax error\r\n", SAME),
        (
            "sintercard 1 a limit -1",
            "-ERR LIMIT can't be negative\r\n",
            SAME,
        ),
        (
            "sintercard 1 a limit x",
            "-ERR LIMIT can't be negative\r\n",
            SAME,
        ),
        ("sintercard 1 a limit 1", ":1\r\n", SAME),
        ("sintercard 1 a LIMIT 0", ":4\r\n", SAME),
        ("sintercard 1 a foo", "-ERR syntax error\r\n", SAME),
        ("sintercard 1 a foo 1", "-ERR syntax error\r\n", SAME),
        (
            "sintercard 2 a str",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "sintercard 2 nokey str",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        ("sintercard 2 a nokey", ":0\r\n", SAME),
        ("sintercard 1 a limit 1 limit 3", ":3\r\n", SAME),
        ("sintercard 1 a LIMIT 2 foo", "-ERR syntax error\r\n", SAME),
        (
            "sintercard 1",
            "-ERR wrong number of arguments for 'sintercard' command\r\n",
            SAME,
        ),
        (
            "sintercard 9223372036854775808 a",
            "-ERR numkeys should be greater than 0\r\n",
            SAME,
        ),
        ("sinterstore d a b", ":2\r\n", SAME),
        (
            "smembers d",
            "*2\r\n$1\r\n3\r\n$1\r\n4\r\n",
            "~2\r\n$1\r\n3\r\n$1\r\n4\r\n",
        ),
        ("object encoding d", "$6\r\nintset\r\n", SAME),
        ("sunionstore d a b", ":5\r\n", SAME),
        (
            "smembers d",
            "*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n",
            "~5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n",
        ),
        ("sdiffstore d a b", ":2\r\n", SAME),
        (
            "smembers d",
            "*2\r\n$1\r\n1\r\n$1\r\n2\r\n",
            "~2\r\n$1\r\n1\r\n$1\r\n2\r\n",
        ),
        ("sinterstore d a nokey", ":0\r\n", SAME),
        ("exists d", ":0\r\n", SAME),
        ("sunionstore d nokey", ":0\r\n", SAME),
        ("exists d", ":0\r\n", SAME),
        ("sadd d 1", ":1\r\n", SAME),
        ("sdiffstore d a a", ":0\r\n", SAME),
        ("exists d", ":0\r\n", SAME),
        ("sinterstore str a b", ":2\r\n", SAME),
        ("type str", "+set\r\n", SAME),
        (
            "smembers str",
            "*2\r\n$1\r\n3\r\n$1\r\n4\r\n",
            "~2\r\n$1\r\n3\r\n$1\r\n4\r\n",
        ),
        ("set str v", "+OK\r\n", SAME),
        (
            "sinterstore d a str",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "sunionstore d str a",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "sdiffstore d a str",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        ("sadd d 1", ":1\r\n", SAME),
        ("expire d 100", ":1\r\n", SAME),
        ("sunionstore d a", ":4\r\n", SAME),
        ("ttl d", ":-1\r\n", SAME),
        ("object encoding d", "$6\r\nintset\r\n", SAME),
        ("sunionstore d a c", ":5\r\n", SAME),
        ("object encoding d", "$9\r\nhashtable\r\n", SAME),
        ("scard d", ":5\r\n", SAME),
        ("sinterstore d c", ":2\r\n", SAME),
        ("scard d", ":2\r\n", SAME),
        ("sinterstore d a", ":4\r\n", SAME),
        ("object encoding d", "$6\r\nintset\r\n", SAME),
        (
            "sinterstore",
            "-ERR wrong number of arguments for 'sinterstore' command\r\n",
            SAME,
        ),
        (
            "sinterstore d",
            "-ERR wrong number of arguments for 'sinterstore' command\r\n",
            SAME,
        ),
        (
            "sunionstore d",
            "-ERR wrong number of arguments for 'sunionstore' command\r\n",
            SAME,
        ),
        (
            "sdiffstore d",
            "-ERR wrong number of arguments for 'sdiffstore' command\r\n",
            SAME,
        ),
        (
            "sinter",
            "-ERR wrong number of arguments for 'sinter' command\r\n",
            SAME,
        ),
        (
            "sunion",
            "-ERR wrong number of arguments for 'sunion' command\r\n",
            SAME,
        ),
        (
            "sdiff",
            "-ERR wrong number of arguments for 'sdiff' command\r\n",
            SAME,
        ),
        ("sinterstore a a b", ":2\r\n", SAME),
        (
            "smembers a",
            "*2\r\n$1\r\n3\r\n$1\r\n4\r\n",
            "~2\r\n$1\r\n3\r\n$1\r\n4\r\n",
        ),
        ("sunionstore a a c", ":3\r\n", SAME),
        ("scard a", ":3\r\n", SAME),
    ]);
}

#[test]
fn smove() {
    check(&[
        ("sadd a 1 2", ":2\r\n", SAME),
        ("sadd b x", ":1\r\n", SAME),
        ("set str v", "+OK\r\n", SAME),
        ("smove a b 1", ":1\r\n", SAME),
        ("scard b", ":2\r\n", SAME),
        ("sismember b 1", ":1\r\n", SAME),
        ("object encoding b", "$9\r\nhashtable\r\n", SAME),
        ("smove a b 9", ":0\r\n", SAME),
        ("smove nokey str 1", ":0\r\n", SAME),
        ("smove nokey b 1", ":0\r\n", SAME),
        (
            "smove a str 1",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "smove str a 1",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "smove str nokey 1",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        ("smove a a 2", ":1\r\n", SAME),
        ("smove a a 9", ":0\r\n", SAME),
        ("smove a n 2", ":1\r\n", SAME),
        ("exists a", ":0\r\n", SAME),
        ("smembers n", "*1\r\n$1\r\n2\r\n", "~1\r\n$1\r\n2\r\n"),
        ("object encoding n", "$6\r\nintset\r\n", SAME),
        ("smove n m zz", ":0\r\n", SAME),
        (
            "smove",
            "-ERR wrong number of arguments for 'smove' command\r\n",
            SAME,
        ),
        (
            "smove a b",
            "-ERR wrong number of arguments for 'smove' command\r\n",
            SAME,
        ),
        ("sadd n x", ":1\r\n", SAME),
        ("smove n b x", ":1\r\n", SAME),
        ("exists n", ":1\r\n", SAME),
        ("smembers n", "*1\r\n$1\r\n2\r\n", "~1\r\n$1\r\n2\r\n"),
        ("smove n b 2", ":1\r\n", SAME),
        ("exists n", ":0\r\n", SAME),
        ("scard b", ":3\r\n", SAME),
    ]);
}

#[test]
fn spop_and_srandmember_replies() {
    check(&[
        ("sadd a 1 2 3", ":3\r\n", SAME),
        ("spop a 0", "*0\r\n", "~0\r\n"),
        ("spop nokey 0", "*0\r\n", "~0\r\n"),
        ("spop nokey 3", "*0\r\n", "~0\r\n"),
        ("spop nokey", "$-1\r\n", "_\r\n"),
        ("spop a 3", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"),
        ("exists a", ":0\r\n", SAME),
        ("sadd a 5 6 7", ":3\r\n", SAME),
        ("spop a 10", "*3\r\n$1\r\n5\r\n$1\r\n6\r\n$1\r\n7\r\n", "~3\r\n$1\r\n5\r\n$1\r\n6\r\n$1\r\n7\r\n"),
        ("exists a", ":0\r\n", SAME),
        ("sadd a x", ":1\r\n", SAME),
        ("spop a -1", "-ERR value is out of range, must be positive\r\n", SAME),
        ("spop a x", "-ERR value is out of range, must be positive\r\n", SAME),
        ("spop a -0", "-ERR value is out of range, must be positive\r\n", SAME),
        ("spop a 00", "-ERR value is out of range, must be positive\r\n", SAME),
        ("spop a 1 2", "-ERR syntax error\r\n", SAME),
        ("spop a 9223372036854775808", "-ERR value is out of range, must be positive\r\n", SAME),
        ("spop a 9223372036854775807", "*1\r\n$1\r\nx\r\n", "~1\r\n$1\r\nx\r\n"),
        ("exists a", ":0\r\n", SAME),
        ("sadd a x", ":1\r\n", SAME),
        ("srandmember a -9223372036854775808", "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n", SAME),
        ("srandmember a 1 2", "-ERR syntax error\r\n", SAME),
        ("srandmember a x", "-ERR value is not an integer or out of range\r\n", SAME),
        ("srandmember a 00", "-ERR value is not an integer or out of range\r\n", SAME),
        ("srandmember a -0", "-ERR value is not an integer or out of range\r\n", SAME),
        ("srandmember a +1", "-ERR value is not an integer or out of range\r\n", SAME),
        ("srandmember a 0", "*0\r\n", SAME),
        ("srandmember a 5", "*1\r\n$1\r\nx\r\n", SAME),
        ("srandmember a 1", "*1\r\n$1\r\nx\r\n", SAME),
        ("srandmember a -3", "*3\r\n$1\r\nx\r\n$1\r\nx\r\n$1\r\nx\r\n", SAME),
        ("srandmember a", "$1\r\nx\r\n", SAME),
        ("spop a", "$1\r\nx\r\n", SAME),
        ("exists a", ":0\r\n", SAME),
        ("srandmember nokey x", "-ERR value is not an integer or out of range\r\n", SAME),
        ("srandmember nokey 3", "*0\r\n", SAME),
        ("srandmember nokey -3", "*0\r\n", SAME),
        ("srandmember nokey", "$-1\r\n", "_\r\n"),
        ("set str v", "+OK\r\n", SAME),
        ("spop str", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", SAME),
        ("spop str 0", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", SAME),
        ("spop str -1", "-ERR value is out of range, must be positive\r\n", SAME),
        ("srandmember str", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", SAME),
        ("srandmember str 0", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", SAME),
        ("srandmember str x", "-ERR value is not an integer or out of range\r\n", SAME),
        ("spop nokey -1", "-ERR value is out of range, must be positive\r\n", SAME),
        ("spop", "-ERR wrong number of arguments for 'spop' command\r\n", SAME),
        ("srandmember", "-ERR wrong number of arguments for 'srandmember' command\r\n", SAME),
    ]);
}

#[test]
fn sscan_replies() {
    check(&[
        ("sadd q 5 1 3 10", ":4\r\n", SAME),
        (
            "sscan q 0",
            "*2\r\n$1\r\n0\r\n*4\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n$2\r\n10\r\n",
            SAME,
        ),
        (
            "sscan q 0 count 01",
            "-ERR value is not an integer or out of range\r\n",
            SAME,
        ),
        (
            "sscan q 00",
            "*2\r\n$1\r\n0\r\n*4\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n$2\r\n10\r\n",
            SAME,
        ),
        (
            "sscan q -1",
            "*2\r\n$1\r\n0\r\n*4\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n$2\r\n10\r\n",
            SAME,
        ),
        (
            "sscan q +0",
            "*2\r\n$1\r\n0\r\n*4\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n$2\r\n10\r\n",
            SAME,
        ),
        (
            "sscan q 7",
            "*2\r\n$1\r\n0\r\n*4\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n$2\r\n10\r\n",
            SAME,
        ),
        ("sscan q x", "-ERR invalid cursor\r\n", SAME),
        (
            "sscan q 18446744073709551616",
            "-ERR invalid cursor\r\n",
            SAME,
        ),
        ("sscan q 0 count 0", "-ERR syntax error\r\n", SAME),
        ("sscan q 0 count -1", "-ERR syntax error\r\n", SAME),
        (
            "sscan q 0 count x",
            "-ERR value is not an integer or out of range\r\n",
            SAME,
        ),
        ("sscan q 0 match", "-ERR syntax error\r\n", SAME),
        ("sscan q 0 foo bar", "-ERR syntax error\r\n", SAME),
        ("sscan q 0 type string", "-ERR syntax error\r\n", SAME),
        (
            "sscan q 0 MATCH 1* COUNT 1",
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\n1\r\n$2\r\n10\r\n",
            SAME,
        ),
        (
            "sscan q 0 match [35]",
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\n3\r\n$1\r\n5\r\n",
            SAME,
        ),
        (
            "sscan q 0 match * count 100",
            "*2\r\n$1\r\n0\r\n*4\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n$2\r\n10\r\n",
            SAME,
        ),
        ("sscan nokey 0", "*2\r\n$1\r\n0\r\n*0\r\n", SAME),
        ("sscan nokey 0 count 0", "*2\r\n$1\r\n0\r\n*0\r\n", SAME),
        ("sscan nokey x", "-ERR invalid cursor\r\n", SAME),
        ("set str v", "+OK\r\n", SAME),
        (
            "sscan str 0",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        (
            "sscan str 0 count 0",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            SAME,
        ),
        ("sscan str x", "-ERR invalid cursor\r\n", SAME),
        (
            "sscan",
            "-ERR wrong number of arguments for 'sscan' command\r\n",
            SAME,
        ),
        (
            "sscan q",
            "-ERR wrong number of arguments for 'sscan' command\r\n",
            SAME,
        ),
    ]);
}

fn members(v: R) -> Vec<String> {
    match v {
        R::Array(items) | R::Set(items) => items.iter().map(text).collect(),
        other => panic!("not a list of members: {other:?}"),
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn int(v: R) -> i64 {
    match v {
        R::Int(n) => n,
        other => panic!("not an integer: {other:?}"),
    }
}

/// Adds `items` to `key` in one SADD.
fn fill(con: &mut redis::Connection, key: &str, items: &[String]) {
    let mut words = vec!["SADD", key];
    words.extend(items.iter().map(String::as_str));
    ok(con, &words);
}

fn numbers(range: std::ops::Range<i64>) -> Vec<String> {
    range.map(|i| i.to_string()).collect()
}

/// Redis 7.0: an intset up to set-max-intset-entries (512) integers, a
/// hash table past it or for any other member; never back. STORE results
/// are built member by member, so they follow the same rule.
#[test]
fn encodings_follow_redis_7_0() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    let enc = |con: &mut redis::Connection, k: &str| text(&ok(con, &["OBJECT", "ENCODING", k]));
    fill(&mut con, "s", &numbers(0..512));
    assert_eq!(enc(&mut con, "s"), "intset");
    ok(&mut con, &["SADD", "s", "512"]);
    assert_eq!(enc(&mut con, "s"), "hashtable");
    ok(&mut con, &["SREM", "s", "512", "511"]);
    assert_eq!(enc(&mut con, "s"), "hashtable", "one way only");
    assert_eq!(int(ok(&mut con, &["SINTERSTORE", "d", "s"])), 511);
    assert_eq!(enc(&mut con, "d"), "intset", "rebuilt from scratch");
    fill(&mut con, "t", &numbers(400..1000));
    assert_eq!(int(ok(&mut con, &["SUNIONSTORE", "u", "s", "t"])), 1000);
    assert_eq!(enc(&mut con, "u"), "hashtable");
    assert_eq!(int(ok(&mut con, &["SDIFFSTORE", "u", "t", "s"])), 489);
    assert_eq!(enc(&mut con, "u"), "intset");
    ok(&mut con, &["SADD", "u", "x"]);
    assert_eq!(enc(&mut con, "u"), "hashtable");
    assert_eq!(int(ok(&mut con, &["SMOVE", "u", "new", "x"])), 1);
    assert_eq!(enc(&mut con, "new"), "hashtable");
    assert_eq!(int(ok(&mut con, &["SMOVE", "u", "new2", "999"])), 1);
    assert_eq!(enc(&mut con, "new2"), "intset");
}

/// Distinct, drawn from the set, as many as asked; repeats only for a
/// negative count; SPOP takes exactly what it returns.
#[test]
fn random_members_are_members() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    for (key, items) in [
        ("small", numbers(0..20)),
        ("ints", numbers(0..400)),
        ("words", (0..1000).map(|i| format!("w{i}")).collect()),
    ] {
        fill(&mut con, key, &items);
        let all: HashSet<String> = items.iter().cloned().collect();
        let n = items.len();
        for count in [1, 2, n / 3, n / 2, n - 1, n, n + 5] {
            let got = members(ok(&mut con, &["SRANDMEMBER", key, &count.to_string()]));
            let distinct: HashSet<String> = got.iter().cloned().collect();
            assert_eq!(got.len(), count.min(n), "{key} {count}");
            assert_eq!(distinct.len(), got.len(), "{key} {count}: distinct");
            assert!(distinct.is_subset(&all), "{key} {count}");
        }
        let got = members(ok(&mut con, &["SRANDMEMBER", key, "-50"]));
        assert_eq!(got.len(), 50);
        assert!(got.iter().all(|m| all.contains(m)));
        let one = text(&ok(&mut con, &["SRANDMEMBER", key]));
        assert!(all.contains(&one));

        let popped = members(ok(&mut con, &["SPOP", key, &(n / 3).to_string()]));
        let popped_set: HashSet<String> = popped.iter().cloned().collect();
        assert_eq!(popped_set.len(), n / 3);
        let one = text(&ok(&mut con, &["SPOP", key]));
        assert!(!popped_set.contains(&one));
        let left: HashSet<String> = members(ok(&mut con, &["SMEMBERS", key]))
            .into_iter()
            .collect();
        assert_eq!(left.len(), n - n / 3 - 1);
        assert!(left.is_disjoint(&popped_set) && !left.contains(&one));
        assert!(popped_set.is_subset(&all) && left.is_subset(&all));
        let rest = members(ok(&mut con, &["SPOP", key, &n.to_string()]));
        assert_eq!(rest.len(), left.len());
        assert_eq!(int(ok(&mut con, &["EXISTS", key])), 0);
    }
}

/// A negative count too large for any reply is refused, not attempted.
#[test]
fn srandmember_count_too_large_for_a_reply() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    ok(&mut con, &["SADD", "s", "a"]);
    let e = q(&mut con, &["SRANDMEMBER", "s", "-9223372036854775807"]).unwrap_err();
    assert!(e.to_string().contains("count is too large"), "{e}");
}

/// Every member present for a whole scan comes back at least once, even
/// with members added and removed between steps; an intset comes back
/// whole, with cursor 0.
#[test]
fn sscan_covers_the_set() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    let items: Vec<String> = (0..2000).map(|i| format!("m{i}")).collect();
    fill(&mut con, "big", &items);
    let mut seen = HashSet::new();
    let (mut cursor, mut step, mut calls) = ("0".to_string(), 0, 0);
    loop {
        let reply = ok(&mut con, &["SSCAN", "big", &cursor, "COUNT", "25"]);
        let R::Array(parts) = reply else {
            panic!("{reply:?}")
        };
        cursor = text(&parts[0]);
        let got = members(parts[1].clone());
        assert!(got.len() <= 25);
        seen.extend(got);
        // Churn: the first and last members of the original go, new come.
        let (a, b) = (format!("m{step}"), format!("m{}", 1999 - step));
        ok(&mut con, &["SREM", "big", &a, &b]);
        ok(&mut con, &["SADD", "big", &format!("new{step}")]);
        step += 1;
        calls += 1;
        if cursor == "0" {
            break;
        }
    }
    assert!(calls > 10 && calls < 200, "{calls} calls");
    for i in step..(2000 - step) {
        assert!(seen.contains(&format!("m{i}")), "m{i} missed");
    }

    // MATCH filters what a step returns.
    let reply = ok(
        &mut con,
        &["SSCAN", "big", "0", "MATCH", "new*", "COUNT", "100000"],
    );
    let R::Array(parts) = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(text(&parts[0]), "0");
    assert_eq!(members(parts[1].clone()).len(), step);

    fill(&mut con, "ints", &numbers(0..300));
    let reply = ok(&mut con, &["SSCAN", "ints", "0", "COUNT", "1"]);
    let R::Array(parts) = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(text(&parts[0]), "0");
    assert_eq!(members(parts[1].clone()), numbers(0..300));
}

/// SPOP is random, so the log records what it did (SREM of the members
/// taken, DEL for all of them): replaying gives the same sets.
#[test]
fn spop_replays_to_the_same_set() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = || Config {
        appendonly: true,
        appendfsync: AppendFsync::No,
        dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let live = BackgroundServer::start_with(config());
    let mut con = connect(live.addr());
    fill(
        &mut con,
        "words",
        &(0..300).map(|i| format!("w{i}")).collect::<Vec<_>>(),
    );
    fill(&mut con, "ints", &numbers(0..100));
    fill(&mut con, "gone", &numbers(0..5));
    for _ in 0..10 {
        ok(&mut con, &["SPOP", "words"]);
        ok(&mut con, &["SPOP", "ints"]);
    }
    ok(&mut con, &["SPOP", "words", "2500"]);
    ok(&mut con, &["SPOP", "ints", "30"]);
    ok(&mut con, &["SPOP", "gone", "10"]);
    let before: Vec<Vec<String>> = ["words", "ints"]
        .iter()
        .map(|k| sorted(members(ok(&mut con, &["SMEMBERS", k]))))
        .collect();
    drop(con);
    drop(live);

    let replayed = BackgroundServer::start_with(config());
    let mut con = connect(replayed.addr());
    for (k, want) in ["words", "ints"].iter().zip(&before) {
        assert_eq!(
            &sorted(members(ok(&mut con, &["SMEMBERS", k]))),
            want,
            "{k}"
        );
    }
    assert_eq!(int(ok(&mut con, &["EXISTS", "gone"])), 0);
}

/// The rows as COMMAND INFO shows them, as in Redis 7.0 (but for
/// SINTERCARD's keys, see the table).
#[test]
fn command_info_rows() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    for (name, arity, flags, first, last) in [
        ("sadd", -3, vec!["write", "denyoom", "fast"], 1, 1),
        ("srem", -3, vec!["write", "fast"], 1, 1),
        ("smembers", 2, vec!["readonly"], 1, 1),
        ("spop", -2, vec!["write", "fast"], 1, 1),
        ("srandmember", -2, vec!["readonly"], 1, 1),
        ("smove", 4, vec!["write", "fast"], 1, 2),
        ("sinter", -2, vec!["readonly"], 1, -1),
        ("sinterstore", -3, vec!["write", "denyoom"], 1, -1),
        ("sscan", -3, vec!["readonly"], 1, 1),
    ] {
        let R::Array(rows) = ok(&mut con, &["COMMAND", "INFO", name]) else {
            panic!("{name}")
        };
        let R::Array(row) = &rows[0] else {
            panic!("{name}")
        };
        assert_eq!(text(&row[0]), name);
        assert_eq!(row[1], R::Int(arity), "{name}");
        let R::Array(f) = &row[2] else {
            panic!("{name}")
        };
        assert_eq!(f.iter().map(text).collect::<Vec<_>>(), flags, "{name}");
        assert_eq!(
            (&row[3], &row[4]),
            (&R::Int(first), &R::Int(last)),
            "{name}"
        );
    }
}

/// SMOVE and the reads on several keys each act at one instant: a member
/// moving between two sets is always in exactly one of them.
#[test]
fn smove_is_never_seen_half_done() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    fill(&mut con, "a", &numbers(0..50));
    fill(&mut con, "b", &numbers(50..100));
    let addr = server.addr();
    let mover = std::thread::spawn(move || {
        let mut con = connect(addr);
        for i in 0..400 {
            let m = (i * 37 % 100).to_string();
            ok(&mut con, &["SMOVE", "a", "b", &m]);
            ok(
                &mut con,
                &["SMOVE", "b", "a", &((i * 53 + 7) % 100).to_string()],
            );
        }
    });
    for _ in 0..300 {
        assert_eq!(members(ok(&mut con, &["SUNION", "a", "b"])).len(), 100);
        assert_eq!(int(ok(&mut con, &["SINTERCARD", "2", "a", "b"])), 0);
        let diff = members(ok(&mut con, &["SDIFF", "a", "b"])).len();
        assert_eq!(int(ok(&mut con, &["SUNIONSTORE", "u", "a", "b"])), 100);
        assert!(diff <= 100);
    }
    mover.join().expect("mover");
}
