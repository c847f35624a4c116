//! Pub/sub over TCP: confirmations and their counts, messages, patterns,
//! shard channels, PUBSUB, the RESP2 subscribed mode, RESP3 pushes, slow
//! subscribers cut off at their output-buffer limit, and cleanup when a
//! subscriber leaves.

mod common;

use std::time::{Duration, Instant};

use common::Raw;
use kvstore_server::BackgroundServer;

/// RESP bytes of an array of bulk strings (`None`: a null), with `tag`
/// `*` or `>`, ending in an integer if `count` is given.
fn frame(tag: char, words: &[Option<&str>], count: Option<i64>) -> String {
    let n = words.len() + usize::from(count.is_some());
    let mut s = format!("{tag}{n}\r\n");
    for w in words {
        match w {
            Some(w) => s.push_str(&format!("${}\r\n{w}\r\n", w.len())),
            None => s.push_str(if tag == '>' { "_\r\n" } else { "$-1\r\n" }),
        }
    }
    if let Some(c) = count {
        s.push_str(&format!(":{c}\r\n"));
    }
    s
}

fn confirm(word: &str, name: Option<&str>, count: i64) -> String {
    frame('*', &[Some(word), name], Some(count))
}

fn message(channel: &str, msg: &str) -> String {
    frame('*', &[Some("message"), Some(channel), Some(msg)], None)
}

fn read(c: &mut Raw) -> String {
    String::from_utf8_lossy(&c.read_reply()).into_owned()
}

/// A connection in Redis's RESP2 dialect (kvstore's seed dialect would
/// give the same bytes for all of pub/sub but the error texts' callers).
fn resp2(addr: std::net::SocketAddr) -> Raw {
    let mut c = Raw::connect(addr);
    c.send(&["HELLO", "2"]);
    c.read_reply();
    c
}

/// Polls `f` until it holds, failing after `secs`.
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn subscribe_publish_unsubscribe_with_running_counts() {
    let server = BackgroundServer::start();
    let mut sub = resp2(server.addr());
    let mut publ = resp2(server.addr());
    sub.send(&["SUBSCRIBE", "a", "b"]);
    assert_eq!(read(&mut sub), confirm("subscribe", Some("a"), 1));
    assert_eq!(read(&mut sub), confirm("subscribe", Some("b"), 2));
    // Subscribing again is confirmed with the count unchanged.
    sub.send(&["SUBSCRIBE", "a"]);
    assert_eq!(read(&mut sub), confirm("subscribe", Some("a"), 2));

    assert_eq!(publ.cmd(&["PUBLISH", "a", "hello"]), ":1\r\n");
    assert_eq!(read(&mut sub), message("a", "hello"));
    assert_eq!(publ.cmd(&["PUBLISH", "nobody", "x"]), ":0\r\n");
    assert_eq!(publ.cmd(&["PUBLISH", "b", ""]), ":1\r\n");
    assert_eq!(read(&mut sub), message("b", ""));

    sub.send(&["UNSUBSCRIBE", "a", "zzz"]);
    assert_eq!(read(&mut sub), confirm("unsubscribe", Some("a"), 1));
    assert_eq!(read(&mut sub), confirm("unsubscribe", Some("zzz"), 1));
    sub.send(&["UNSUBSCRIBE"]);
    assert_eq!(read(&mut sub), confirm("unsubscribe", Some("b"), 0));
    // Nothing left: one confirmation with a null channel.
    sub.send(&["UNSUBSCRIBE"]);
    assert_eq!(read(&mut sub), confirm("unsubscribe", None, 0));
    // Out of subscribed mode: every command again, and a plain PONG.
    assert_eq!(sub.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(sub.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(publ.cmd(&["PUBLISH", "a", "late"]), ":0\r\n");
}

#[test]
fn a_fresh_client_unsubscribing_gets_null_confirmations() {
    let server = BackgroundServer::start();
    let mut c = resp2(server.addr());
    for (cmd, word) in [
        ("UNSUBSCRIBE", "unsubscribe"),
        ("PUNSUBSCRIBE", "punsubscribe"),
        ("SUNSUBSCRIBE", "sunsubscribe"),
    ] {
        assert_eq!(c.cmd(&[cmd]), confirm(word, None, 0));
    }
    c.send(&["UNSUBSCRIBE", "x", "y"]);
    assert_eq!(read(&mut c), confirm("unsubscribe", Some("x"), 0));
    assert_eq!(read(&mut c), confirm("unsubscribe", Some("y"), 0));
    assert_eq!(c.cmd(&["GET", "k"]), "$-1\r\n");
}

#[test]
fn patterns_match_by_glob_and_count_with_channels() {
    let server = BackgroundServer::start();
    let mut sub = resp2(server.addr());
    let mut publ = resp2(server.addr());
    sub.send(&["PSUBSCRIBE", "news.*", "h?llo"]);
    assert_eq!(read(&mut sub), confirm("psubscribe", Some("news.*"), 1));
    assert_eq!(read(&mut sub), confirm("psubscribe", Some("h?llo"), 2));
    sub.send(&["SUBSCRIBE", "news.tech"]);
    assert_eq!(read(&mut sub), confirm("subscribe", Some("news.tech"), 3));

    // The channel subscription and the pattern each receive it.
    assert_eq!(publ.cmd(&["PUBLISH", "news.tech", "m1"]), ":2\r\n");
    let got = [read(&mut sub), read(&mut sub)];
    assert!(got.contains(&message("news.tech", "m1")), "{got:?}");
    let pmessage = frame(
        '*',
        &[
            Some("pmessage"),
            Some("news.*"),
            Some("news.tech"),
            Some("m1"),
        ],
        None,
    );
    assert!(got.contains(&pmessage), "{got:?}");
    assert_eq!(publ.cmd(&["PUBLISH", "hallo", "m2"]), ":1\r\n");
    assert_eq!(
        read(&mut sub),
        frame(
            '*',
            &[Some("pmessage"), Some("h?llo"), Some("hallo"), Some("m2")],
            None
        )
    );
    assert_eq!(publ.cmd(&["PUBLISH", "sports", "m3"]), ":0\r\n");
    assert_eq!(publ.cmd(&["PUBSUB", "NUMPAT"]), ":2\r\n");

    sub.send(&["PUNSUBSCRIBE", "news.*"]);
    assert_eq!(read(&mut sub), confirm("punsubscribe", Some("news.*"), 2));
    sub.send(&["PUNSUBSCRIBE"]);
    assert_eq!(read(&mut sub), confirm("punsubscribe", Some("h?llo"), 1));
    assert_eq!(publ.cmd(&["PUBSUB", "NUMPAT"]), ":0\r\n");
    assert_eq!(publ.cmd(&["PUBLISH", "news.tech", "m4"]), ":1\r\n");
    assert_eq!(read(&mut sub), message("news.tech", "m4"));
}

#[test]
fn shard_channels_are_their_own_namespace() {
    let server = BackgroundServer::start();
    let mut sub = resp2(server.addr());
    let mut publ = resp2(server.addr());
    sub.send(&["SUBSCRIBE", "c"]);
    assert_eq!(read(&mut sub), confirm("subscribe", Some("c"), 1));
    // Shard counts are apart from channels and patterns.
    sub.send(&["SSUBSCRIBE", "s1", "s2"]);
    assert_eq!(read(&mut sub), confirm("ssubscribe", Some("s1"), 1));
    assert_eq!(read(&mut sub), confirm("ssubscribe", Some("s2"), 2));
    assert_eq!(publ.cmd(&["SPUBLISH", "s1", "x"]), ":1\r\n");
    assert_eq!(
        read(&mut sub),
        frame('*', &[Some("smessage"), Some("s1"), Some("x")], None)
    );
    assert_eq!(publ.cmd(&["PUBLISH", "s1", "x"]), ":0\r\n");
    assert_eq!(publ.cmd(&["SPUBLISH", "c", "x"]), ":0\r\n");
    assert_eq!(
        publ.cmd(&["PUBSUB", "SHARDCHANNELS", "s*"]).len(),
        "*2\r\n$2\r\ns1\r\n$2\r\ns2\r\n".len()
    );
    assert_eq!(
        publ.cmd(&["PUBSUB", "SHARDNUMSUB", "s1", "c"]),
        "*4\r\n$2\r\ns1\r\n:1\r\n$1\r\nc\r\n:0\r\n"
    );
    sub.send(&["SUNSUBSCRIBE", "s2"]);
    assert_eq!(read(&mut sub), confirm("sunsubscribe", Some("s2"), 1));
    sub.send(&["SUNSUBSCRIBE"]);
    assert_eq!(read(&mut sub), confirm("sunsubscribe", Some("s1"), 0));
    // Still subscribed to "c": still in subscribed mode.
    assert!(sub
        .cmd(&["GET", "k"])
        .starts_with("-ERR Can't execute 'get'"));
}

#[test]
fn pubsub_introspection() {
    let server = BackgroundServer::start();
    let mut a = resp2(server.addr());
    let mut b = resp2(server.addr());
    let mut q = resp2(server.addr());
    a.send(&["SUBSCRIBE", "news.1", "other"]);
    read(&mut a);
    read(&mut a);
    b.send(&["SUBSCRIBE", "news.1"]);
    read(&mut b);
    assert_eq!(
        q.cmd(&["PUBSUB", "CHANNELS", "news.*"]),
        "*1\r\n$6\r\nnews.1\r\n"
    );
    assert!(q.cmd(&["PUBSUB", "CHANNELS"]).starts_with("*2\r\n"));
    assert_eq!(
        q.cmd(&["PUBSUB", "NUMSUB", "news.1", "other", "none"]),
        "*6\r\n$6\r\nnews.1\r\n:2\r\n$5\r\nother\r\n:1\r\n$4\r\nnone\r\n:0\r\n"
    );
    assert_eq!(q.cmd(&["PUBSUB", "NUMSUB"]), "*0\r\n");
    assert_eq!(q.cmd(&["PUBSUB", "NUMPAT"]), ":0\r\n");
    assert!(q.cmd(&["PUBSUB", "HELP"]).starts_with(
        "*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
    ));
    assert_eq!(
        q.cmd(&["PUBSUB", "FOO"]),
        "-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n"
    );
    assert_eq!(
        q.cmd(&["PUBSUB", "CHANNELS", "a", "b"]),
        "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n"
    );
    assert_eq!(
        q.cmd(&["PUBSUB", "NUMPAT", "x"]),
        "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"
    );
    assert_eq!(
        q.cmd(&["PUBLISH", "a"]),
        "-ERR wrong number of arguments for 'publish' command\r\n"
    );

    let info = q.cmd(&["INFO", "stats"]);
    assert!(info.contains("pubsub_channels:2\r\n"), "{info}");
    assert!(info.contains("pubsub_patterns:0\r\n"), "{info}");
    assert!(info.contains("pubsubshard_channels:0\r\n"), "{info}");
    a.send(&["PSUBSCRIBE", "p*"]);
    read(&mut a);
    a.send(&["SSUBSCRIBE", "s"]);
    read(&mut a);
    let list = q.cmd(&["CLIENT", "LIST"]);
    assert!(list.contains(" sub=2 psub=1 ssub=1 "), "{list}");
    assert!(list.contains(" sub=0 psub=0 ssub=0 "), "{list}");
}

#[test]
fn resp2_subscribed_mode_allows_only_pubsub_ping_quit() {
    let server = BackgroundServer::start();
    let mut sub = resp2(server.addr());
    sub.send(&["SUBSCRIBE", "a"]);
    read(&mut sub);
    assert_eq!(
        sub.cmd(&["GET", "k"]),
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert_eq!(
        sub.cmd(&["pubsub", "numsub", "a"]),
        "-ERR Can't execute 'pubsub|numsub': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    // PING answers in the shape of a message.
    assert_eq!(sub.cmd(&["PING"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(sub.cmd(&["PING", "hi"]), "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
    sub.send(&["PSUBSCRIBE", "x*"]);
    assert_eq!(read(&mut sub), confirm("psubscribe", Some("x*"), 2));
    assert_eq!(sub.cmd(&["QUIT"]), "+OK\r\n");
    assert!(sub.is_closed());
}

#[test]
fn resp3_gets_pushes_and_may_run_any_command() {
    let server = BackgroundServer::start();
    let mut sub = Raw::connect(server.addr());
    sub.send(&["HELLO", "3"]);
    sub.read_reply();
    let mut publ = resp2(server.addr());
    sub.send(&["SUBSCRIBE", "a"]);
    assert_eq!(
        read(&mut sub),
        frame('>', &[Some("subscribe"), Some("a")], Some(1))
    );
    assert_eq!(sub.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(publ.cmd(&["PUBLISH", "a", "m1"]), ":1\r\n");
    // The message comes in between replies, as a push.
    assert_eq!(
        read(&mut sub),
        frame('>', &[Some("message"), Some("a"), Some("m1")], None)
    );
    assert_eq!(sub.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(sub.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(publ.cmd(&["PUBLISH", "a", "m2"]), ":1\r\n");
    sub.send(&["GET", "k"]);
    let first = read(&mut sub);
    let second = read(&mut sub);
    let push = frame('>', &[Some("message"), Some("a"), Some("m2")], None);
    assert!(
        (first == push && second == "$1\r\nv\r\n") || (second == push && first == "$1\r\nv\r\n"),
        "{first:?} {second:?}"
    );
    sub.send(&["UNSUBSCRIBE"]);
    assert_eq!(
        read(&mut sub),
        frame('>', &[Some("unsubscribe"), Some("a")], Some(0))
    );
    sub.send(&["UNSUBSCRIBE"]);
    assert_eq!(
        read(&mut sub),
        frame('>', &[Some("unsubscribe"), None], Some(0))
    );
}

#[test]
fn the_seed_dialect_subscribes_too() {
    let server = BackgroundServer::start();
    // No HELLO: the server's own dialect, where messages are arrays.
    let mut sub = Raw::connect(server.addr());
    let mut publ = Raw::connect(server.addr());
    sub.send(&["SUBSCRIBE", "a"]);
    assert_eq!(read(&mut sub), confirm("subscribe", Some("a"), 1));
    assert_eq!(publ.cmd(&["PUBLISH", "a", "x"]), ":1\r\n");
    assert_eq!(read(&mut sub), message("a", "x"));
}

#[test]
fn a_subscriber_that_does_not_read_is_cut_off_at_its_limit() {
    let server = BackgroundServer::start();
    let mut publ = resp2(server.addr());
    assert_eq!(
        publ.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]),
        "*2\r\n$26\r\nclient-output-buffer-limit\r\n$67\r\nnormal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60\r\n"
    );
    assert_eq!(
        publ.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 256kb 128kb 60"
        ]),
        "+OK\r\n"
    );
    assert_eq!(
        publ.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]),
        "*2\r\n$26\r\nclient-output-buffer-limit\r\n$64\r\nnormal 0 0 0 slave 268435456 67108864 60 pubsub 262144 131072 60\r\n"
    );
    let mut slow = resp2(server.addr());
    slow.send(&["SUBSCRIBE", "firehose"]);
    read(&mut slow);
    let mut fast = resp2(server.addr());
    fast.send(&["SUBSCRIBE", "firehose"]);
    read(&mut fast);
    // The slow one never reads again; the publisher keeps going, never
    // waiting on it, until the server has dropped it.
    let body = "x".repeat(16 * 1024);
    let mut sent = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = publ.cmd(&["PUBLISH", "firehose", &body]);
        sent += 1;
        // The reader keeps up.
        assert_eq!(read(&mut fast).len(), message("firehose", &body).len());
        if n == ":1\r\n" {
            break;
        }
        assert_eq!(n, ":2\r\n");
        assert!(Instant::now() < deadline && sent < 20_000, "never cut off");
    }
    assert_eq!(
        publ.cmd(&["PUBSUB", "NUMSUB", "firehose"]),
        "*2\r\n$8\r\nfirehose\r\n:1\r\n"
    );
    // It was cut off mid-stream, not after everything was delivered.
    let mut got = 0usize;
    let mut b = [0u8; 65536];
    use std::io::Read as _;
    let mut stream = slow.into_stream();
    loop {
        match stream.read(&mut b) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => panic!("read: {e}"),
        }
    }
    assert!(got < sent * body.len(), "{got} of {}", sent * body.len());

    let bad = |v: &str| {
        let mut c = resp2(server.addr());
        c.cmd(&["CONFIG", "SET", "client-output-buffer-limit", v])
    };
    assert_eq!(bad("pubsub 1kb 2mb"), "-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration.\r\n");
    assert_eq!(bad("foo 1 2 3"), "-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration.\r\n");
    assert_eq!(bad("pubsub x 2 3"), "-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration.\r\n");
}

#[test]
fn leaving_removes_every_subscription() {
    let server = BackgroundServer::start();
    let mut q = resp2(server.addr());
    {
        let mut sub = resp2(server.addr());
        sub.send(&["SUBSCRIBE", "a", "b"]);
        read(&mut sub);
        read(&mut sub);
        sub.send(&["PSUBSCRIBE", "p*"]);
        read(&mut sub);
        sub.send(&["SSUBSCRIBE", "s"]);
        read(&mut sub);
        assert_eq!(q.cmd(&["PUBSUB", "NUMSUB", "a"]), "*2\r\n$1\r\na\r\n:1\r\n");
    }
    eventually(10, "the subscriptions to go", || {
        q.cmd(&["PUBSUB", "NUMSUB", "a", "b"]) == "*4\r\n$1\r\na\r\n:0\r\n$1\r\nb\r\n:0\r\n"
            && q.cmd(&["PUBSUB", "NUMPAT"]) == ":0\r\n"
            && q.cmd(&["PUBSUB", "SHARDNUMSUB", "s"]) == "*2\r\n$1\r\ns\r\n:0\r\n"
    });
    assert_eq!(q.cmd(&["PUBSUB", "CHANNELS"]), "*0\r\n");
    assert_eq!(q.cmd(&["PUBLISH", "a", "x"]), ":0\r\n");
}

#[test]
fn many_subscribers_each_get_the_message_once() {
    let server = BackgroundServer::start();
    let mut subs: Vec<Raw> = (0..60)
        .map(|i| {
            let mut c = if i % 3 == 0 {
                let mut c = Raw::connect(server.addr());
                c.send(&["HELLO", "3"]);
                c.read_reply();
                c
            } else {
                resp2(server.addr())
            };
            if i % 2 == 0 {
                c.send(&["SUBSCRIBE", "all"]);
            } else {
                c.send(&["PSUBSCRIBE", "a*"]);
            }
            c.read_reply();
            c
        })
        .collect();
    let mut publ = resp2(server.addr());
    for round in 0..3 {
        let msg = format!("m{round}");
        assert_eq!(publ.cmd(&["PUBLISH", "all", &msg]), ":60\r\n");
        for (i, c) in subs.iter_mut().enumerate() {
            let tag = if i % 3 == 0 { '>' } else { '*' };
            let want = if i % 2 == 0 {
                frame(tag, &[Some("message"), Some("all"), Some(&msg)], None)
            } else {
                frame(
                    tag,
                    &[Some("pmessage"), Some("a*"), Some("all"), Some(&msg)],
                    None,
                )
            };
            assert_eq!(read(c), want, "subscriber {i}");
        }
    }
}

/// A RESP3 client subscribed to every keyspace channel: events come as
/// pushes, and a PING's PONG after them shows that nothing more came.
fn watcher(addr: std::net::SocketAddr) -> Raw {
    let mut w = Raw::connect(addr);
    w.send(&["HELLO", "3"]);
    w.read_reply();
    w.send(&["PSUBSCRIBE", "__key*__:*"]);
    w.read_reply();
    w
}

/// The events that arrived before a PING's reply, as (channel, message).
fn events(w: &mut Raw) -> Vec<(String, String)> {
    w.send(&["PING"]);
    let mut out = Vec::new();
    loop {
        let f = read(w);
        if f == "+PONG\r\n" {
            return out;
        }
        // >4 pmessage pattern channel message
        let parts: Vec<&str> = f.split("\r\n").collect();
        assert!(f.starts_with(">4\r\n"), "{f:?}");
        out.push((parts[6].to_string(), parts[8].to_string()));
    }
}

fn ev(channel: &str, msg: &str) -> (String, String) {
    (channel.to_string(), msg.to_string())
}

#[test]
fn keyspace_notifications_are_off_by_default_and_spelled_as_redis() {
    let server = BackgroundServer::start();
    let mut c = resp2(server.addr());
    let mut w = watcher(server.addr());
    assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(c.cmd(&["DEL", "k"]), ":1\r\n");
    assert_eq!(events(&mut w), vec![]);
    let get = |c: &mut Raw| c.cmd(&["CONFIG", "GET", "notify-keyspace-events"]);
    assert_eq!(
        get(&mut c),
        "*2\r\n$22\r\nnotify-keyspace-events\r\n$0\r\n\r\n"
    );
    for (set, shown) in [
        ("KEA", "AKE"),
        ("Ex", "xE"),
        ("Kgm", "gKm"),
        ("KEn", "nKE"),
        ("An", "A"),
    ] {
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "notify-keyspace-events", set]),
            "+OK\r\n"
        );
        assert_eq!(
            get(&mut c),
            format!(
                "*2\r\n$22\r\nnotify-keyspace-events\r\n${}\r\n{shown}\r\n",
                shown.len()
            )
        );
    }
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Kq"]),
        "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.\r\n"
    );
}

#[test]
fn keyspace_notifications_per_class() {
    let server = BackgroundServer::start();
    let mut c = resp2(server.addr());
    let mut w = watcher(server.addr());
    let set = |c: &mut Raw, flags: &str| {
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "notify-keyspace-events", flags]),
            "+OK\r\n"
        );
    };

    // K: the key's channel carries the event's name; $: strings only.
    set(&mut c, "K$");
    c.cmd(&["SET", "s", "1"]);
    c.cmd(&["INCRBY", "s", "2"]);
    c.cmd(&["LPUSH", "l", "a"]);
    assert_eq!(
        events(&mut w),
        vec![
            ev("__keyspace@0__:s", "set"),
            ev("__keyspace@0__:s", "incrby")
        ]
    );

    // E: the event's channel carries the key; l: lists, with g for del.
    set(&mut c, "Elg");
    c.cmd(&["RPUSH", "l", "b"]);
    c.cmd(&["LPOP", "l"]);
    c.cmd(&["RPOP", "l"]);
    c.cmd(&["SET", "s", "x"]);
    assert_eq!(
        events(&mut w),
        vec![
            ev("__keyevent@0__:rpush", "l"),
            ev("__keyevent@0__:lpop", "l"),
            ev("__keyevent@0__:rpop", "l"),
            ev("__keyevent@0__:del", "l"),
        ]
    );

    // g: generic commands.
    set(&mut c, "Eg");
    c.cmd(&["EXPIRE", "s", "100"]);
    c.cmd(&["RENAME", "s", "t"]);
    c.cmd(&["DEL", "t", "missing"]);
    assert_eq!(
        events(&mut w),
        vec![
            ev("__keyevent@0__:expire", "s"),
            ev("__keyevent@0__:rename_from", "s"),
            ev("__keyevent@0__:rename_to", "t"),
            ev("__keyevent@0__:del", "t"),
        ]
    );

    // h, s, z.
    set(&mut c, "Ehsz");
    c.cmd(&["HSET", "h", "f", "v"]);
    c.cmd(&["HDEL", "h", "nope"]);
    c.cmd(&["SADD", "st", "a"]);
    c.cmd(&["SREM", "st", "a"]);
    c.cmd(&["ZADD", "z", "1", "m"]);
    c.cmd(&["ZINCRBY", "z", "1", "m"]);
    assert_eq!(
        events(&mut w),
        vec![
            ev("__keyevent@0__:hset", "h"),
            ev("__keyevent@0__:sadd", "st"),
            ev("__keyevent@0__:srem", "st"),
            ev("__keyevent@0__:zadd", "z"),
            ev("__keyevent@0__:zincr", "z"),
        ]
    );

    // Both K and E: the keyspace channel first, in the selected database.
    set(&mut c, "KEA");
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(
        events(&mut w),
        vec![ev("__keyspace@3__:k", "set"), ev("__keyevent@3__:set", "k")]
    );
}

#[test]
fn expired_keys_are_announced_by_the_active_cycle_and_by_lookups() {
    let server = BackgroundServer::start();
    let mut c = resp2(server.addr());
    let mut w = watcher(server.addr());
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Ex"]),
        "+OK\r\n"
    );
    // Nobody touches it: only the active cycle can remove it.
    c.cmd(&["SET", "gone", "v", "PX", "30"]);
    assert_eq!(
        read(&mut w),
        frame(
            '>',
            &[
                Some("pmessage"),
                Some("__key*__:*"),
                Some("__keyevent@0__:expired"),
                Some("gone")
            ],
            None
        )
    );
    // A key read soon after its deadline is announced too, by the read
    // that removes it or by the cycle, whichever comes first.
    c.cmd(&["SET", "soon", "v", "PX", "1"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = false;
    while !seen {
        assert!(Instant::now() < deadline, "no expired event for 'soon'");
        c.cmd(&["GET", "soon"]);
        seen = events(&mut w).contains(&ev("__keyevent@0__:expired", "soon"));
    }
}

#[test]
fn reset_leaves_subscriptions_transactions_and_resp3() {
    let server = BackgroundServer::start();
    let mut c = Raw::connect(server.addr());
    c.send(&["HELLO", "3"]);
    c.read_reply();
    assert_eq!(c.cmd(&["SELECT", "2"]), "+OK\r\n");
    c.send(&["SUBSCRIBE", "a"]);
    read(&mut c);
    assert_eq!(c.cmd(&["RESET"]), "+RESET\r\n");
    let info = c.cmd(&["CLIENT", "INFO"]);
    assert!(info.contains(" sub=0 psub=0 ssub=0 "), "{info}");
    assert!(
        info.contains(" db=0 ") && info.contains(" resp=2 "),
        "{info}"
    );
    assert_eq!(c.cmd(&["PUBSUB", "NUMSUB", "a"]), "*2\r\n$1\r\na\r\n:0\r\n");
    // A RESP2 subscriber may RESET too, and is then free.
    let mut s = resp2(server.addr());
    s.send(&["PSUBSCRIBE", "x*"]);
    read(&mut s);
    assert_eq!(s.cmd(&["RESET"]), "+RESET\r\n");
    assert_eq!(s.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.cmd(&["RESET"]), "+RESET\r\n");
    assert_eq!(c.cmd(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
}

#[test]
fn keyspace_notifications_for_stores_and_no_ops() {
    let server = BackgroundServer::start();
    let mut c = resp2(server.addr());
    let mut w = watcher(server.addr());
    c.cmd(&["RPUSH", "l", "3", "1", "2"]);
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "EA"]),
        "+OK\r\n"
    );
    c.cmd(&["SORT", "l", "STORE", "dst"]);
    c.cmd(&["SORT", "missing", "STORE", "dst"]);
    c.cmd(&["SORT", "missing", "STORE", "dst"]);
    c.cmd(&["SETRANGE", "k", "0", ""]);
    c.cmd(&["SADD", "s", "a"]);
    c.cmd(&["SADD", "s", "a"]);
    c.cmd(&["SINTERSTORE", "s2", "s", "s"]);
    c.cmd(&["SINTERSTORE", "s2", "nope", "s"]);
    c.cmd(&["LPUSHX", "nol", "a"]);
    c.cmd(&["SET", "k", "v", "NX"]);
    assert_eq!(
        events(&mut w),
        vec![
            ev("__keyevent@0__:sortstore", "dst"),
            ev("__keyevent@0__:del", "dst"),
            ev("__keyevent@0__:sadd", "s"),
            ev("__keyevent@0__:sinterstore", "s2"),
            ev("__keyevent@0__:del", "s2"),
        ]
    );
}
