//! Introspection and client control over TCP: INFO commandstats and
//! errorstats, the slow log, MONITOR, CLIENT KILL, PAUSE, REPLY and LIST.

mod common;

use std::io::Read;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::Raw;
use kvstore_server::BackgroundServer;

/// A connection speaking Redis's RESP2.
fn resp2(addr: SocketAddr) -> Raw {
    let mut c = Raw::connect(addr);
    assert!(c.cmd(&["HELLO", "2"]).starts_with('*'));
    c
}

fn read(c: &mut Raw) -> String {
    String::from_utf8_lossy(&c.read_reply()).into_owned()
}

/// Polls `f` until it holds, failing after `secs`.
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The `name:value` line of an INFO reply, if present.
fn info_field(c: &mut Raw, section: &str, name: &str) -> Option<String> {
    let text = c.cmd(&["INFO", section]);
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
}

#[test]
fn commandstats_and_errorstats_count_calls_and_errors() {
    let server = BackgroundServer::start();
    let mut c = resp2(server.addr());
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), "+OK\r\n");
    // Through the GET/SET shortcut and the general path alike.
    for _ in 0..3 {
        assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n");
    }
    c.cmd(&["GET", "k"]);
    // Failed: ran and answered an error.
    assert!(c.cmd(&["LPUSH", "k", "x"]).starts_with("-WRONGTYPE"));
    // Rejected: wrong arity, never ran.
    assert!(c.cmd(&["GET"]).starts_with("-ERR wrong number"));
    assert!(c.cmd(&["NOSUCHCMD"]).starts_with("-ERR unknown command"));

    let set = info_field(&mut c, "commandstats", "cmdstat_set").expect("set stats");
    assert!(set.starts_with("calls=3,usec="), "{set}");
    assert!(set.ends_with(",rejected_calls=0,failed_calls=0"), "{set}");
    let get = info_field(&mut c, "commandstats", "cmdstat_get").expect("get stats");
    assert!(get.starts_with("calls=1,"), "{get}");
    assert!(get.ends_with(",rejected_calls=1,failed_calls=0"), "{get}");
    let lpush = info_field(&mut c, "commandstats", "cmdstat_lpush").expect("lpush");
    assert!(
        lpush.ends_with(",rejected_calls=0,failed_calls=1"),
        "{lpush}"
    );
    assert!(lpush.contains(",usec_per_call="), "{lpush}");

    assert_eq!(
        info_field(&mut c, "errorstats", "errorstat_WRONGTYPE").as_deref(),
        Some("count=1")
    );
    assert_eq!(
        info_field(&mut c, "errorstats", "errorstat_ERR").as_deref(),
        Some("count=2")
    );
    assert_eq!(
        info_field(&mut c, "stats", "total_error_replies").as_deref(),
        Some("3")
    );
    // Neither section is in plain INFO; both are in INFO all.
    assert!(!c.cmd(&["INFO"]).contains("# Commandstats"));
    let all = c.cmd(&["INFO", "all"]);
    assert!(all.contains("# Commandstats\r\n") && all.contains("# Errorstats\r\n"));
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), "+OK\r\n");
    assert_eq!(info_field(&mut c, "errorstats", "errorstat_ERR"), None);
}

/// The slow log's entries' arguments, newest first, as text.
fn slowlog_commands(c: &mut Raw) -> String {
    c.cmd(&["SLOWLOG", "GET", "-1"])
}

#[test]
fn slowlog_thresholds_length_and_reset() {
    let server = BackgroundServer::start();
    let mut c = resp2(server.addr());
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "slowlog-*"]),
        "*4\r\n$23\r\nslowlog-log-slower-than\r\n$5\r\n10000\r\n$15\r\nslowlog-max-len\r\n$3\r\n128\r\n"
    );
    assert!(c
        .cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-2"])
        .contains("argument must be between -1 and 9223372036854775807 inclusive"));

    // Negative: nothing is logged.
    c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    c.cmd(&["SLOWLOG", "RESET"]);
    c.cmd(&["SET", "a", "1"]);
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":0\r\n");

    // 0: everything, GET and SET included, newest first, with the
    // client's address and name.
    c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    c.cmd(&["CLIENT", "SETNAME", "me"]);
    c.cmd(&["SLOWLOG", "RESET"]);
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["GET", "a"]);
    let log = slowlog_commands(&mut c);
    let get = log.find("$3\r\nGET\r\n$1\r\na\r\n").expect("GET logged");
    let set = log
        .find("$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n")
        .expect("SET logged");
    let reset = log.find("SLOWLOG\r\n$5\r\nRESET").expect("RESET logged");
    assert!(get < set && set < reset, "{log}");
    assert!(log.contains("\r\n$2\r\nme\r\n"), "{log}");
    assert!(log.starts_with("*3\r\n*6\r\n:"), "{log}");

    // max-len keeps the newest entries.
    c.cmd(&["CONFIG", "SET", "slowlog-max-len", "2"]);
    for i in 0..5 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":2\r\n");
    assert!(slowlog_commands(&mut c).contains("$2\r\nk4\r\n"));
    assert_eq!(c.cmd(&["SLOWLOG", "GET", "1"]).matches("*6\r\n").count(), 1);
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), "+OK\r\n");
    // RESET itself is the next entry.
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":1\r\n");
    assert_eq!(
        c.cmd(&["SLOWLOG", "GET", "-2"]),
        "-ERR count should be greater than or equal to -1\r\n"
    );
    assert!(c
        .cmd(&["SLOWLOG", "NOPE"])
        .starts_with("-ERR unknown subcommand 'NOPE'. Try SLOWLOG HELP."));

    // EXEC is never logged; the commands it runs are.
    c.cmd(&["CONFIG", "SET", "slowlog-max-len", "128"]);
    c.cmd(&["SLOWLOG", "RESET"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["INCR", "n"]);
    c.cmd(&["EXEC"]);
    let log = slowlog_commands(&mut c);
    assert!(log.contains("$4\r\nINCR\r\n"), "{log}");
    assert!(!log.contains("EXEC"), "{log}");
}

#[test]
fn slowlog_cuts_arguments_as_redis() {
    let server = BackgroundServer::start();
    let mut c = resp2(server.addr());
    c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    let long = "x".repeat(130);
    let mut words = vec!["RPUSH", "list", &long];
    let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    words.extend(many.iter().map(String::as_str));
    c.cmd(&words);
    let entry = c.cmd(&["SLOWLOG", "GET", "1"]);
    // 43 words: 31 kept, then a 32nd saying how many more.
    assert!(entry.contains("*32\r\n$5\r\nRPUSH\r\n"), "{entry}");
    assert!(entry.contains("... (12 more arguments)"), "{entry}");
    let cut = format!("{}... (2 more bytes)", "x".repeat(128));
    assert!(entry.contains(&cut), "{entry}");
}

#[test]
fn monitor_shows_every_command_as_redis_prints_it() {
    let server = BackgroundServer::start();
    let mut mon = resp2(server.addr());
    assert_eq!(mon.cmd(&["MONITOR"]), "+OK\r\n");
    let mut c = resp2(server.addr());
    let peer = {
        let info = c.cmd(&["CLIENT", "INFO"]);
        let addr = info.split(' ').find_map(|f| f.strip_prefix("addr="));
        addr.expect("addr").to_string()
    };
    c.cmd(&["SET", "k", "a\"b\\c\n\x01\u{e9}"]);
    c.cmd(&["SELECT", "2"]);
    c.cmd(&["EVAL", "return redis.call('get', KEYS[1])", "1", "k"]);
    c.cmd(&["HELLO", "2", "AUTH", "default", "secret"]);
    // Administrative commands are not shown.
    c.cmd(&["CONFIG", "GET", "port"]);
    c.cmd(&["PING"]);

    // The connection's own HELLO and CLIENT INFO first.
    let lines: Vec<String> = (0..8).map(|_| read(&mut mon)).skip(2).collect();
    let strip = |l: &str| -> String {
        // "+<secs>.<micros> [" then the rest.
        let (ts, rest) = l.split_once(" [").expect("timestamp");
        let (secs, micros) = ts[1..].split_once('.').expect("point");
        assert!(secs.parse::<u64>().is_ok() && micros.len() == 6, "{l}");
        format!("[{rest}")
    };
    let got: Vec<String> = lines.iter().map(|l| strip(l)).collect();
    assert_eq!(
        got,
        vec![
            format!("[0 {peer}] \"SET\" \"k\" \"a\\\"b\\\\c\\n\\x01\\xc3\\xa9\"\r\n"),
            // Shown after it ran, in the database it chose, as Redis.
            format!("[2 {peer}] \"SELECT\" \"2\"\r\n"),
            format!("[2 {peer}] \"EVAL\" \"return redis.call('get', KEYS[1])\" \"1\" \"k\"\r\n"),
            "[2 lua] \"get\" \"k\"\r\n".to_string(),
            format!("[2 {peer}] \"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n"),
            format!("[2 {peer}] \"PING\"\r\n"),
        ]
    );
    // A monitor may not touch the keyspace, and RESET ends it.
    assert_eq!(
        mon.cmd(&["GET", "k"]),
        "-ERR Replica can't interact with the keyspace\r\n"
    );
    assert_eq!(mon.cmd(&["RESET"]), "+RESET\r\n");
    c.cmd(&["PING"]);
    assert_eq!(mon.cmd(&["PING"]), "+PONG\r\n");
}

/// The `field=value` of a CLIENT LIST/INFO line.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.split(' ')
        .find_map(|f| f.strip_prefix(&format!("{name}=")))
        .map(str::trim_end)
}

/// The bulk text of a reply, without its header.
fn bulk(reply: &str) -> String {
    let body = reply.split_once("\r\n").map_or("", |(_, b)| b);
    body.strip_suffix("\r\n").unwrap_or(body).to_string()
}

fn id_of(c: &mut Raw) -> String {
    c.cmd(&["CLIENT", "ID"])
        .trim_start_matches(':')
        .trim()
        .to_string()
}

fn addr_of(c: &mut Raw) -> String {
    let info = bulk(&c.cmd(&["CLIENT", "INFO"]));
    field(&info, "addr").expect("addr").to_string()
}

/// True once the server has closed `c` (EOF), waiting for it.
fn sees_eof(c: Raw) -> bool {
    let mut s = c.into_stream();
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut b = [0u8; 16];
    matches!(s.read(&mut b), Ok(0))
}

#[test]
fn client_kill_old_form_and_every_filter() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let mut admin = resp2(addr);

    // ip:port
    let mut v = resp2(addr);
    let a = addr_of(&mut v);
    assert_eq!(admin.cmd(&["CLIENT", "KILL", &a]), "+OK\r\n");
    assert!(sees_eof(v));
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", &a]),
        "-ERR No such client\r\n"
    );

    // ID
    let mut v = resp2(addr);
    let id = id_of(&mut v);
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "ID", &id]), ":1\r\n");
    assert!(sees_eof(v));
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "ID", &id]), ":0\r\n");

    // ADDR
    let mut v = resp2(addr);
    let a = addr_of(&mut v);
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "ADDR", &a]), ":1\r\n");
    assert!(sees_eof(v));

    // TYPE pubsub: only the subscriber.
    let mut sub = resp2(addr);
    let other = resp2(addr);
    sub.cmd(&["SUBSCRIBE", "ch"]);
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]), ":1\r\n");
    assert!(sees_eof(sub));
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "TYPE", "master"]), ":0\r\n");
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "TYPE", "replica"]), ":0\r\n");

    // USER default and LADDR: everyone but this connection (SKIPME yes).
    let local = server.addr().to_string();
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "USER", "default", "LADDR", &local]),
        ":1\r\n"
    );
    assert!(sees_eof(other));
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "USER", "nobody"]),
        "-ERR No such user 'nobody'\r\n"
    );
    // TYPE normal with SKIPME no kills this connection too, after its reply.
    let v = resp2(addr);
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"]),
        ":2\r\n"
    );
    assert!(sees_eof(v));
    assert!(sees_eof(admin));

    let mut c = resp2(addr);
    for (args, err) in [
        (
            &["TYPE", "caster"][..],
            "-ERR Unknown client type 'caster'\r\n",
        ),
        (&["SKIPME", "maybe"], "-ERR syntax error\r\n"),
        (
            &["ID", "abc"],
            "-ERR client-id should be greater than 0\r\n",
        ),
        (&["ID", "1", "SKIPME"], "-ERR syntax error\r\n"),
    ] {
        let mut words = vec!["CLIENT", "KILL"];
        words.extend_from_slice(args);
        assert_eq!(c.cmd(&words), err, "{args:?}");
    }
}

#[test]
fn client_pause_write_holds_writes_not_reads() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let mut admin = resp2(addr);
    let mut writer = resp2(addr);
    let mut reader = resp2(addr);
    writer.cmd(&["SET", "k", "before"]);
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "60000", "WRITE"]), "+OK\r\n");
    writer.send(&["SET", "k", "after"]);
    // Reads go on, and still see the old value while the write waits.
    for _ in 0..3 {
        assert_eq!(reader.cmd(&["GET", "k"]), "$6\r\nbefore\r\n");
    }
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    assert_eq!(read(&mut writer), "+OK\r\n");
    eventually(5, "the write", || {
        reader.cmd(&["GET", "k"]) == "$5\r\nafter\r\n"
    });
    assert_eq!(
        admin.cmd(&["CLIENT", "PAUSE", "10", "NOPE"]),
        "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"
    );
    assert_eq!(
        admin.cmd(&["CLIENT", "PAUSE", "-1"]),
        "-ERR timeout is negative\r\n"
    );
    // A short pause ends by itself.
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "50"]), "+OK\r\n");
    assert_eq!(writer.cmd(&["SET", "k", "late"]), "+OK\r\n");
}

#[test]
fn client_reply_off_and_skip() {
    let server = BackgroundServer::start();
    let mut c = resp2(server.addr());
    c.send(&["CLIENT", "REPLY", "OFF"]);
    c.send(&["SET", "a", "1"]);
    c.send(&["GET", "a"]);
    c.send(&["CLIENT", "REPLY", "ON"]);
    assert_eq!(read(&mut c), "+OK\r\n");
    c.send(&["CLIENT", "REPLY", "SKIP"]);
    c.send(&["ECHO", "skipped"]);
    assert_eq!(c.cmd(&["ECHO", "seen"]), "$4\r\nseen\r\n");
    assert_eq!(c.cmd(&["GET", "a"]), "$1\r\n1\r\n");
    assert_eq!(
        c.cmd(&["CLIENT", "REPLY", "MAYBE"]),
        "-ERR syntax error\r\n"
    );
}

#[test]
fn client_list_filters_and_fields() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let mut c = resp2(addr);
    let mut sub = resp2(addr);
    sub.cmd(&["SUBSCRIBE", "ch"]);
    let sub_id = {
        let list = bulk(&c.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]));
        assert_eq!(list.lines().count(), 1, "{list}");
        assert_eq!(field(&list, "sub"), Some("1"));
        assert_eq!(field(&list, "flags"), Some("P"));
        assert_eq!(field(&list, "cmd"), Some("subscribe"));
        field(&list, "id").expect("id").to_string()
    };
    let normal = bulk(&c.cmd(&["CLIENT", "LIST", "TYPE", "normal"]));
    assert_eq!(normal.lines().count(), 1, "{normal}");
    assert_eq!(bulk(&c.cmd(&["CLIENT", "LIST", "TYPE", "master"])), "");

    let mut other = resp2(addr);
    other.cmd(&["SELECT", "3"]);
    other.cmd(&["CLIENT", "NO-EVICT", "on"]);
    other.cmd(&["CLIENT", "NO-TOUCH", "on"]);
    let other_id = id_of(&mut other);
    let two = bulk(&c.cmd(&["CLIENT", "LIST", "ID", &sub_id, &other_id, "9999"]));
    assert_eq!(two.lines().count(), 2, "{two}");
    let line = two
        .lines()
        .find(|l| field(l, "id") == Some(other_id.as_str()))
        .expect("other");
    assert_eq!(field(line, "db"), Some("3"));
    assert_eq!(field(line, "cmd"), Some("client"));
    assert_eq!(field(line, "flags"), Some("eT"));
    assert_eq!(
        c.cmd(&["CLIENT", "LIST", "TYPE", "caster"]),
        "-ERR Unknown client type 'caster'\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "LIST", "ID", "abc"]),
        "-ERR Invalid client ID\r\n"
    );

    // Redis 7's fields, in its order.
    let me = bulk(&c.cmd(&["CLIENT", "INFO"]));
    let names: Vec<&str> = me
        .trim_end()
        .split(' ')
        .map(|f| f.split_once('=').expect("field=value").0)
        .collect();
    let redis7 = [
        "id",
        "addr",
        "laddr",
        "fd",
        "name",
        "age",
        "idle",
        "flags",
        "db",
        "sub",
        "psub",
        "ssub",
        "multi",
        "qbuf",
        "qbuf-free",
        "argv-mem",
        "multi-mem",
        "rbs",
        "rbp",
        "obl",
        "oll",
        "omem",
        "tot-mem",
        "events",
        "cmd",
        "user",
        "redir",
        "resp",
    ];
    assert_eq!(&names[..redis7.len()], &redis7[..], "{me}");
    assert_eq!(field(&me, "cmd"), Some("client|info"));
    assert_eq!(field(&me, "multi"), Some("-1"));
    assert_eq!(field(&me, "flags"), Some("N"));
}
