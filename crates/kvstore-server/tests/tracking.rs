//! Client-side caching over TCP: `CLIENT TRACKING` in its default,
//! broadcast, OPTIN and NOLOOP modes, RESP3 pushes and the RESP2 redirect,
//! invalidation on writes, expiry and flushes, a broken redirect, the table
//! bound, and the errors, with Redis 7's bytes.
//!
//! Whether a message came is read without waiting: messages queued before
//! a request go out before its reply, so a `PING` after the write shows
//! either the message then `PONG`, or `PONG` alone.

mod common;

use common::Raw;
use kvstore_server::BackgroundServer;

const PONG: &str = "+PONG\r\n";

fn read(c: &mut Raw) -> String {
    String::from_utf8_lossy(&c.read_reply()).into_owned()
}

fn resp3(addr: std::net::SocketAddr) -> Raw {
    let mut c = Raw::connect(addr);
    c.send(&["HELLO", "3"]);
    c.read_reply();
    c
}

fn resp2(addr: std::net::SocketAddr) -> Raw {
    let mut c = Raw::connect(addr);
    c.send(&["HELLO", "2"]);
    c.read_reply();
    c
}

/// The RESP3 push naming `keys`.
fn push(keys: &[&str]) -> String {
    let mut s = format!(">2\r\n$10\r\ninvalidate\r\n*{}\r\n", keys.len());
    for k in keys {
        s.push_str(&format!("${}\r\n{k}\r\n", k.len()));
    }
    s
}

/// What `c` was sent before the reply to a PING it sends now.
fn pending(c: &mut Raw) -> Vec<String> {
    c.send(&["PING"]);
    let mut got = Vec::new();
    loop {
        let f = read(c);
        if f == PONG {
            return got;
        }
        got.push(f);
    }
}

fn id(c: &mut Raw) -> String {
    c.cmd(&["CLIENT", "ID"])
        .trim_start_matches(':')
        .trim()
        .to_string()
}

#[test]
fn a_read_key_is_invalidated_once_per_read() {
    let server = BackgroundServer::start();
    let mut a = resp3(server.addr());
    let mut b = resp2(server.addr());
    assert_eq!(a.cmd(&["CLIENT", "TRACKING", "on"]), "+OK\r\n");
    assert_eq!(a.cmd(&["GET", "k1"]), "_\r\n");
    assert_eq!(a.cmd(&["MGET", "k2", "k3"]), "*2\r\n_\r\n_\r\n");
    // A key nobody read is nobody's business.
    b.cmd(&["SET", "other", "1"]);
    assert!(pending(&mut a).is_empty());
    b.cmd(&["SET", "k1", "v"]);
    assert_eq!(pending(&mut a), vec![push(&["k1"])]);
    // Told once: not again until read again.
    b.cmd(&["SET", "k1", "w"]);
    assert!(pending(&mut a).is_empty());
    // One message per key, as Redis sends them.
    b.cmd(&["MSET", "k2", "1", "k3", "2"]);
    assert_eq!(pending(&mut a), vec![push(&["k2"]), push(&["k3"])]);
    // The client's own write invalidates too, unless NOLOOP.
    a.cmd(&["GET", "k1"]);
    a.send(&["SET", "k1", "x"]);
    assert_eq!(read(&mut a), "+OK\r\n");
    assert_eq!(pending(&mut a), vec![push(&["k1"])]);
    let info = b.cmd(&["INFO", "clients"]);
    assert!(info.contains("tracking_clients:1\r\n"), "{info}");
    assert_eq!(a.cmd(&["CLIENT", "TRACKING", "off"]), "+OK\r\n");
    a.cmd(&["GET", "k1"]);
    b.cmd(&["SET", "k1", "y"]);
    assert!(pending(&mut a).is_empty());
}

#[test]
fn noloop_flushes_and_expiry() {
    let server = BackgroundServer::start();
    let mut a = resp3(server.addr());
    let mut b = resp2(server.addr());
    a.cmd(&["CLIENT", "TRACKING", "on", "noloop"]);
    a.cmd(&["GET", "n"]);
    a.cmd(&["SET", "n", "1"]);
    assert!(pending(&mut a).is_empty());
    // A flush tells every tracking client to drop everything.
    b.cmd(&["FLUSHDB"]);
    assert_eq!(pending(&mut a), vec![">2\r\n$10\r\ninvalidate\r\n_\r\n"]);
    b.cmd(&["FLUSHALL"]);
    assert_eq!(pending(&mut a), vec![">2\r\n$10\r\ninvalidate\r\n_\r\n"]);
    // A key that expires is invalidated (here found expired by a read).
    // The read must come before the deadline: on a slow machine, try again
    // with a longer one.
    let mut ttl = 50;
    loop {
        b.cmd(&["SET", "e", "1", "PX", &ttl.to_string()]);
        pending(&mut a);
        if a.cmd(&["GET", "e"]) == "$1\r\n1\r\n" {
            break;
        }
        assert!(ttl < 60_000, "never read e before its deadline");
        ttl *= 4;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while b.cmd(&["EXISTS", "e"]) != ":0\r\n" {
        assert!(std::time::Instant::now() < deadline, "e never expired");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(pending(&mut a), vec![push(&["e"])]);
}

#[test]
fn resp2_clients_hear_through_a_subscribed_redirect() {
    let server = BackgroundServer::start();
    let mut target = resp2(server.addr());
    let target_id = id(&mut target);
    target.cmd(&["SUBSCRIBE", "__redis__:invalidate"]);
    let mut d = resp2(server.addr());
    let mut w = resp2(server.addr());
    assert_eq!(
        d.cmd(&["CLIENT", "TRACKING", "on", "redirect", &target_id]),
        "+OK\r\n"
    );
    assert_eq!(d.cmd(&["CLIENT", "GETREDIR"]), format!(":{target_id}\r\n"));
    d.cmd(&["GET", "r1"]);
    w.cmd(&["SET", "r1", "1"]);
    assert_eq!(
        read(&mut target),
        "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$2\r\nr1\r\n"
    );
    w.cmd(&["FLUSHALL"]);
    assert_eq!(
        read(&mut target),
        "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n"
    );
    // Nothing goes to the RESP2 tracking client itself.
    assert!(pending(&mut d).is_empty());
}

#[test]
fn a_redirect_to_a_gone_client_is_reported_broken() {
    let server = BackgroundServer::start();
    let mut g = resp2(server.addr());
    let gid = id(&mut g);
    let mut h = resp3(server.addr());
    let mut w = resp2(server.addr());
    h.cmd(&["CLIENT", "TRACKING", "on", "redirect", &gid]);
    h.cmd(&["GET", "x1"]);
    g.send(&["QUIT"]);
    g.read_reply();
    assert!(g.is_closed());
    // The target's record goes when its connection task ends.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while w.cmd(&["CLIENT", "LIST", "ID", &gid]) != "$0\r\n\r\n" {
        assert!(std::time::Instant::now() < deadline, "client never left");
    }
    w.cmd(&["SET", "x1", "1"]);
    assert_eq!(
        pending(&mut h),
        vec![format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{gid}\r\n")]
    );
    let info = h.cmd(&["CLIENT", "TRACKINGINFO"]);
    assert!(info.contains("broken_redirect"), "{info}");
}

#[test]
fn broadcast_mode_groups_keys_by_prefix() {
    let server = BackgroundServer::start();
    let mut e = resp3(server.addr());
    let mut b = resp2(server.addr());
    assert_eq!(
        e.cmd(&["CLIENT", "TRACKING", "on", "bcast", "prefix", "p:", "prefix", "q:", "noloop"]),
        "+OK\r\n"
    );
    assert_eq!(
        e.cmd(&["CLIENT", "TRACKINGINFO"]),
        "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\nbcast\r\n$6\r\nnoloop\r\n\
         $8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*2\r\n$2\r\np:\r\n$2\r\nq:\r\n"
    );
    // No read needed: every change under a prefix is heard.
    b.cmd(&["MSET", "p:1", "1", "q:2", "2", "z", "3", "p:3", "4"]);
    assert_eq!(pending(&mut e), vec![push(&["p:1", "p:3"]), push(&["q:2"])]);
    e.cmd(&["SET", "p:3", "1"]);
    assert!(pending(&mut e).is_empty());
    let stats = b.cmd(&["INFO", "stats"]);
    assert!(stats.contains("tracking_total_prefixes:2\r\n"), "{stats}");
    assert_eq!(
        e.cmd(&["CLIENT", "TRACKING", "on", "bcast", "prefix", "p"]),
        "-ERR Prefix 'p' overlaps with an existing prefix 'p:'. Prefixes for a single client must not overlap.\r\n"
    );
}

#[test]
fn optin_remembers_only_after_caching_yes() {
    let server = BackgroundServer::start();
    let mut f = resp3(server.addr());
    let mut b = resp2(server.addr());
    f.cmd(&["CLIENT", "TRACKING", "on", "optin"]);
    f.cmd(&["GET", "o1"]);
    assert_eq!(f.cmd(&["CLIENT", "CACHING", "yes"]), "+OK\r\n");
    f.cmd(&["GET", "o2"]);
    // CACHING YES lasted for one command.
    f.cmd(&["GET", "o3"]);
    b.cmd(&["MSET", "o1", "1", "o2", "2", "o3", "3"]);
    assert_eq!(pending(&mut f), vec![push(&["o2"])]);
    // ... or for one transaction.
    f.cmd(&["CLIENT", "CACHING", "yes"]);
    f.cmd(&["MULTI"]);
    f.cmd(&["GET", "m1"]);
    f.cmd(&["GET", "m2"]);
    f.cmd(&["EXEC"]);
    b.cmd(&["MSET", "m1", "1", "m2", "2"]);
    assert_eq!(pending(&mut f), vec![push(&["m1"]), push(&["m2"])]);
    assert_eq!(
        f.cmd(&["CLIENT", "TRACKING", "on", "optout"]),
        "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.\r\n"
    );
    assert_eq!(
        f.cmd(&["CLIENT", "CACHING", "no"]),
        "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n"
    );
}

#[test]
fn scripts_reads_are_remembered_for_their_caller() {
    let server = BackgroundServer::start();
    let mut a = resp3(server.addr());
    let mut b = resp2(server.addr());
    a.cmd(&["CLIENT", "TRACKING", "on"]);
    a.cmd(&["EVAL", "return redis.call('get', KEYS[1])", "1", "s1"]);
    b.cmd(&["SET", "s1", "1"]);
    assert_eq!(pending(&mut a), vec![push(&["s1"])]);
}

#[test]
fn the_table_is_bounded_by_tracking_table_max_keys() {
    let server = BackgroundServer::start();
    let mut a = resp3(server.addr());
    let mut b = resp2(server.addr());
    b.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "2"]);
    a.cmd(&["CLIENT", "TRACKING", "on"]);
    a.cmd(&["MGET", "t1", "t2", "t3"]);
    // One key had to go, and its reader was told.
    assert_eq!(pending(&mut a).len(), 1);
    let stats = b.cmd(&["INFO", "stats"]);
    assert!(stats.contains("tracking_total_keys:2\r\n"), "{stats}");
}

#[test]
fn errors_are_redis_s() {
    let server = BackgroundServer::start();
    let mut c = resp2(server.addr());
    for (args, reply) in [
        (
            &["CLIENT", "TRACKING", "on", "optin", "optout"][..],
            "-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n",
        ),
        (
            &["CLIENT", "TRACKING", "on", "prefix", "a"],
            "-ERR PREFIX option requires BCAST mode to be enabled\r\n",
        ),
        (
            &["CLIENT", "TRACKING", "on", "bcast", "optin"],
            "-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n",
        ),
        (
            &["CLIENT", "TRACKING", "on", "redirect", "999"],
            "-ERR The client ID you want redirect to does not exist\r\n",
        ),
        (
            &["CLIENT", "TRACKING", "on", "redirect", "abc"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (&["CLIENT", "TRACKING", "on", "foo"], "-ERR syntax error\r\n"),
        (&["CLIENT", "TRACKING", "maybe"], "-ERR syntax error\r\n"),
        (
            &["CLIENT", "TRACKING", "on", "bcast", "prefix", "a", "prefix", "ab"],
            "-ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap.\r\n",
        ),
        (
            &["CLIENT", "CACHING", "yes"],
            "-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n",
        ),
        (&["CLIENT", "GETREDIR"], ":-1\r\n"),
        (
            &["CLIENT", "TRACKINGINFO"],
            "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n",
        ),
        (
            &["CLIENT", "TRACKING"],
            "-ERR wrong number of arguments for 'client|tracking' command\r\n",
        ),
    ] {
        assert_eq!(c.cmd(args), reply, "{args:?}");
    }
    c.cmd(&["CLIENT", "TRACKING", "on"]);
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKING", "on", "bcast"]),
        "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.\r\n"
    );
    assert_eq!(c.cmd(&["CLIENT", "GETREDIR"]), ":0\r\n");
    assert_eq!(c.cmd(&["RESET"]), "+RESET\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETREDIR"]), ":-1\r\n");
}

#[test]
fn evicted_keys_are_invalidated() {
    let server = BackgroundServer::start();
    let mut a = resp3(server.addr());
    let mut b = resp2(server.addr());
    let value = "x".repeat(10_000);
    for i in 0..100 {
        b.cmd(&["SET", &format!("k{i}"), &value]);
    }
    a.cmd(&["CLIENT", "TRACKING", "on"]);
    for i in 0..100 {
        a.cmd(&["GET", &format!("k{i}")]);
    }
    let info = b.cmd(&["INFO", "memory"]);
    let used: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{info}"));
    b.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
    b.cmd(&["CONFIG", "SET", "maxmemory", &(used + 200_000).to_string()]);
    // Past the cap: keys go, and their reader hears of each.
    b.cmd(&["SET", "big", &"y".repeat(500_000)]);
    let got = pending(&mut a);
    assert!(!got.is_empty(), "no invalidation for the evicted keys");
    assert!(
        got.iter()
            .all(|m| m.starts_with(">2\r\n$10\r\ninvalidate\r\n*1\r\n")),
        "{got:?}"
    );
    let stats = b.cmd(&["INFO", "stats"]);
    let evicted: u64 = stats
        .lines()
        .find_map(|l| l.strip_prefix("evicted_keys:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(evicted as usize >= got.len(), "{stats}");
}
