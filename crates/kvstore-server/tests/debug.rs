//! `DEBUG` over TCP: refused unless `enable-debug-command` allows it, and
//! the subset Redis's tools use, with Redis 7's replies and errors.

mod common;

use std::time::Instant;

use common::Raw;
use kvstore_server::{BackgroundServer, Config};

fn server(enable: &str) -> BackgroundServer {
    BackgroundServer::start_with(Config {
        enable_debug_command: enable.into(),
        ..Config::default()
    })
}

fn redis(addr: std::net::SocketAddr) -> Raw {
    let mut c = Raw::connect(addr);
    c.send(&["HELLO", "2"]);
    c.read_reply();
    c
}

#[test]
fn refused_unless_enabled_and_fixed_at_start() {
    let s = BackgroundServer::start();
    let mut c = redis(s.addr());
    assert_eq!(
        c.cmd(&["DEBUG", "SLEEP", "0"]),
        "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", \
         you can run it from a local connection, otherwise you need to set this option in the \
         configuration file, and then restart the server.\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "enable-debug-command", "yes"]),
        "-ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set immutable config\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "enable-debug-command"]),
        "*2\r\n$20\r\nenable-debug-command\r\n$2\r\nno\r\n"
    );
    // `local`: this test connects from 127.0.0.1.
    let s = server("local");
    assert_eq!(redis(s.addr()).cmd(&["DEBUG", "SLEEP", "0"]), "+OK\r\n");
}

#[test]
fn object_digest_and_reload() {
    let s = server("yes");
    let mut c = redis(s.addr());
    assert_eq!(
        c.cmd(&["DEBUG", "DIGEST"]),
        format!("+{}\r\n", "0".repeat(40))
    );
    c.cmd(&["SET", "foo", "bar"]);
    c.cmd(&["RPUSH", "l", "a", "b", "c"]);
    c.cmd(&["HSET", "h", "f", "v"]);
    c.cmd(&["ZADD", "z", "1.5", "m"]);
    c.cmd(&["SADD", "s", "1", "2"]);
    c.cmd(&["SET", "ttl", "1", "EX", "1000"]);
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "other", "db"]);
    c.cmd(&["SELECT", "0"]);
    let obj = c.cmd(&["DEBUG", "OBJECT", "l"]);
    assert!(
        obj.starts_with("+Value at:0x")
            && obj.contains(" refcount:1 encoding:listpack serializedlength:"),
        "{obj}"
    );
    assert_eq!(c.cmd(&["DEBUG", "OBJECT", "nope"]), "-ERR no such key\r\n");
    let before = c.cmd(&["DEBUG", "DIGEST"]);
    assert_ne!(before, format!("+{}\r\n", "0".repeat(40)));
    // One value's digest: a change shows, and a missing key is zeros.
    let v = c.cmd(&["DEBUG", "DIGEST-VALUE", "foo", "nope"]);
    assert!(v.ends_with(&format!("+{}\r\n", "0".repeat(40))), "{v}");
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(c.cmd(&["DEBUG", "DIGEST"]), before);
    assert_eq!(
        c.cmd(&["LRANGE", "l", "0", "-1"]),
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "m"]), "$3\r\n1.5\r\n");
    let ttl = c.cmd(&["TTL", "ttl"]);
    let secs: i64 = ttl.trim().trim_start_matches(':').parse().unwrap_or(-9);
    assert!((990..=1000).contains(&secs), "{ttl}");
    c.cmd(&["SELECT", "3"]);
    assert_eq!(c.cmd(&["GET", "other"]), "$2\r\ndb\r\n");
    c.cmd(&["SELECT", "0"]);
    c.cmd(&["SET", "foo", "baz"]);
    assert_ne!(c.cmd(&["DEBUG", "DIGEST"]), before);
    assert_ne!(c.cmd(&["DEBUG", "DIGEST-VALUE", "foo"]), v);
}

#[test]
fn sleep_active_expire_and_the_rest() {
    let s = server("yes");
    let mut c = redis(s.addr());
    let mut other = redis(s.addr());
    let began = Instant::now();
    c.send(&["DEBUG", "SLEEP", "0.2"]);
    // The server keeps serving others while one connection's reply waits.
    assert_eq!(other.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(String::from_utf8_lossy(&c.read_reply()), "+OK\r\n");
    assert!(began.elapsed().as_millis() >= 200);
    // With the active cycle off, an expired key stays counted as not yet
    // removed until something reads it.
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "+OK\r\n");
    let expired = |c: &mut Raw| {
        let info = c.cmd(&["INFO", "stats"]);
        info.lines()
            .find_map(|l| l.strip_prefix("expired_keys:"))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or(u64::MAX)
    };
    let at_first = expired(&mut c);
    c.cmd(&["SET", "x", "1", "PX", "1"]);
    // Several active cycles' worth of waiting (the cycle runs every 100 ms).
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(expired(&mut c), at_first);
    assert_eq!(c.cmd(&["GET", "x"]), "$-1\r\n");
    assert_eq!(expired(&mut c), at_first + 1);
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["DEBUG", "CHANGE-REPL-ID"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1mb"]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "abc"]),
        "-ERR argument must be a memory value bigger than 1 and smaller than 4gb\r\n"
    );
    assert_eq!(
        c.cmd(&["DEBUG", "FOO"]),
        "-ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP.\r\n"
    );
    assert_eq!(
        c.cmd(&["DEBUG"]),
        "-ERR wrong number of arguments for 'debug' command\r\n"
    );
    assert!(c.cmd(&["DEBUG", "HELP"]).starts_with("*"));
}
