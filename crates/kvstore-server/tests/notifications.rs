//! The keyspace notification classes Redis leaves out of `A`: `new`
//! (class `n`) when a write creates a key, before the write's own event,
//! and `keymiss` (class `m`) when a read looks for a key that is not
//! there. Event sequences recorded from Redis 7.0.15.

mod common;

use common::Raw;
use kvstore_server::BackgroundServer;

fn redis(addr: std::net::SocketAddr) -> Raw {
    let mut c = Raw::connect(addr);
    c.send(&["HELLO", "2"]);
    c.read_reply();
    c
}

/// The (channel, key) pairs `sub` received before its reply to a PING.
fn events(sub: &mut Raw) -> Vec<(String, String)> {
    // A subscribed RESP2 client's PING is answered `*2 pong ""`.
    sub.send(&["PING"]);
    let mut got = Vec::new();
    loop {
        let frame = String::from_utf8_lossy(&sub.read_reply()).into_owned();
        let parts: Vec<&str> = frame
            .split("\r\n")
            .filter(|l| !l.is_empty() && !l.starts_with(['*', '$']))
            .collect();
        if parts.first() == Some(&"pong") {
            return got;
        }
        if let [_, _, channel, key] = parts[..] {
            got.push((channel.to_string(), key.to_string()));
        }
    }
}

fn ev(event: &str, key: &str) -> (String, String) {
    (format!("__keyevent@0__:{event}"), key.to_string())
}

#[test]
fn new_and_keymiss_in_redis_s_order() {
    let server = BackgroundServer::start();
    let mut c = redis(server.addr());
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Enm$"]),
        "+OK\r\n"
    );
    let mut sub = redis(server.addr());
    sub.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    for (cmd, want) in [
        (&["GET", "a"][..], vec![ev("keymiss", "a")]),
        (
            &["MGET", "a", "b"],
            vec![ev("keymiss", "a"), ev("keymiss", "b")],
        ),
        (&["EXISTS", "a"], vec![ev("keymiss", "a")]),
        (&["HGET", "h", "f"], vec![ev("keymiss", "h")]),
        (&["GETDEL", "a"], vec![ev("keymiss", "a")]),
        // Writes announce no miss.
        (&["DEL", "a"], vec![]),
        (&["OBJECT", "ENCODING", "a"], vec![]),
        (&["SET", "a", "1"], vec![ev("new", "a"), ev("set", "a")]),
        (&["SET", "a", "2"], vec![ev("set", "a")]),
        (&["GET", "a"], vec![]),
        (&["RPUSH", "l", "x"], vec![ev("new", "l")]),
        (&["COPY", "a", "c"], vec![ev("new", "c")]),
        (
            &["LMOVE", "l", "l2", "LEFT", "RIGHT"],
            vec![ev("new", "l2")],
        ),
    ] {
        c.cmd(cmd);
        assert_eq!(events(&mut sub), want, "{cmd:?}");
    }
}
