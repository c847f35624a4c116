//! Blocking pops: waiting without holding anything, woken by pushes in
//! arrival order, timeouts, clients that leave, and no blocking inside a
//! transaction.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::rs::{bulk, connect, ok, q, R};
use common::Raw;
use kvstore_server::BackgroundServer;

fn err(con: &mut redis::Connection, words: &[&str]) -> String {
    match q(con, words) {
        Err(e) => e.to_string(),
        Ok(v) => panic!("{words:?} should fail, got {v:?}"),
    }
}

/// Waits until `n` clients are blocked (INFO's count), so that the order
/// of arrival is the one intended and a wait has really begun.
fn settle(addr: std::net::SocketAddr, n: usize) {
    let mut con = connect(addr);
    wait_for_blocked(&mut con, n);
}

#[test]
fn a_push_wakes_the_blocked_client_and_the_element_goes_to_it_alone() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let waiter = thread::spawn(move || {
        let mut con = connect(addr);
        ok(&mut con, &["BLPOP", "q", "other", "5"])
    });
    settle(addr, 1);
    let mut con = connect(addr);
    assert_eq!(ok(&mut con, &["RPUSH", "q", "job1"]), R::Int(1));
    assert_eq!(
        waiter.join().expect("waiter"),
        R::Array(vec![bulk("q"), bulk("job1")])
    );
    assert_eq!(
        ok(&mut con, &["LLEN", "q"]),
        R::Int(0),
        "taken exactly once"
    );
    // An element already there is taken at once.
    ok(&mut con, &["RPUSH", "q", "x", "y"]);
    assert_eq!(
        ok(&mut con, &["BRPOP", "q", "1"]),
        R::Array(vec![bulk("q"), bulk("y")])
    );
}

#[test]
fn waiters_are_served_first_in_first_out() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let mut waiters = Vec::new();
    for i in 0..3 {
        waiters.push(thread::spawn(move || {
            let mut con = connect(addr);
            ok(&mut con, &["BLPOP", "fifo", "5"])
        }));
        settle(addr, i + 1);
    }
    let mut con = connect(addr);
    ok(&mut con, &["RPUSH", "fifo", "a", "b", "c"]);
    let got: Vec<R> = waiters
        .into_iter()
        .map(|w| w.join().expect("waiter"))
        .collect();
    assert_eq!(
        got,
        ["a", "b", "c"]
            .iter()
            .map(|e| R::Array(vec![bulk("fifo"), bulk(e)]))
            .collect::<Vec<_>>()
    );
}

#[test]
fn timeouts_and_errors() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    let began = Instant::now();
    assert_eq!(ok(&mut con, &["BLPOP", "none", "0.1"]), R::Nil);
    assert!(began.elapsed() >= Duration::from_millis(100));
    let mut raw = Raw::connect(server.addr());
    assert_eq!(raw.cmd(&["BZPOPMIN", "none", "0.05"]), "*-1\r\n");
    assert!(err(&mut con, &["BLPOP", "q", "-1"]).contains("timeout is negative"));
    assert!(
        err(&mut con, &["BLPOP", "q", "abc"]).contains("timeout is not a float or out of range")
    );
    ok(&mut con, &["SET", "s", "x"]);
    assert!(err(&mut con, &["BLPOP", "s", "0.1"]).contains("WRONGTYPE"));
    // Inside a transaction nothing blocks.
    ok(&mut con, &["MULTI"]);
    ok(&mut con, &["BLPOP", "none", "0"]);
    assert_eq!(ok(&mut con, &["EXEC"]), R::Array(vec![R::Nil]));
}

#[test]
fn a_client_that_leaves_while_blocked_takes_nothing() {
    let server = BackgroundServer::start();
    let mut raw = Raw::connect(server.addr());
    raw.send(&["BLPOP", "gone", "0"]);
    settle(server.addr(), 1);
    drop(raw);
    settle(server.addr(), 0);
    let mut con = connect(server.addr());
    ok(&mut con, &["RPUSH", "gone", "kept"]);
    assert_eq!(
        ok(&mut con, &["LRANGE", "gone", "0", "-1"]),
        R::Array(vec![bulk("kept")])
    );
}

#[test]
fn every_blocking_command_wakes_on_its_push() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let cases: Vec<(Vec<&str>, Vec<&str>, R)> = vec![
        (
            vec!["BLMOVE", "src", "dst", "LEFT", "RIGHT", "5"],
            vec!["RPUSH", "src", "m"],
            bulk("m"),
        ),
        (
            vec!["BRPOPLPUSH", "src2", "dst2", "5"],
            vec!["LPUSH", "src2", "n"],
            bulk("n"),
        ),
        (
            vec!["BLMPOP", "5", "2", "l1", "l2", "RIGHT", "COUNT", "2"],
            vec!["RPUSH", "l2", "a", "b", "c"],
            R::Array(vec![bulk("l2"), R::Array(vec![bulk("c"), bulk("b")])]),
        ),
        (
            vec!["BZPOPMIN", "z", "5"],
            vec!["ZADD", "z", "2", "two", "1", "one"],
            R::Array(vec![bulk("z"), bulk("one"), bulk("1")]),
        ),
        (
            vec!["BZMPOP", "5", "1", "z2", "MAX"],
            vec!["ZADD", "z2", "3", "x"],
            R::Array(vec![
                bulk("z2"),
                R::Array(vec![R::Array(vec![bulk("x"), bulk("3")])]),
            ]),
        ),
    ];
    for (block, push, want) in cases {
        let words: Vec<String> = block.iter().map(|s| s.to_string()).collect();
        let waiter = thread::spawn(move || {
            let mut con = connect(addr);
            let w: Vec<&str> = words.iter().map(String::as_str).collect();
            ok(&mut con, &w)
        });
        settle(addr, 1);
        let mut con = connect(addr);
        ok(&mut con, &push);
        assert_eq!(waiter.join().expect("waiter"), want, "{block:?}");
    }
    let mut con = connect(addr);
    assert_eq!(
        ok(&mut con, &["LRANGE", "dst", "0", "-1"]),
        R::Array(vec![bulk("m")])
    );
}

#[test]
fn a_push_inside_exec_wakes_a_waiter_once_exec_is_done() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let waiter = thread::spawn(move || {
        let mut con = connect(addr);
        ok(&mut con, &["BLPOP", "tx", "5"])
    });
    settle(addr, 1);
    let mut con = connect(addr);
    ok(&mut con, &["MULTI"]);
    ok(&mut con, &["RPUSH", "tx", "1", "2"]);
    ok(&mut con, &["EXEC"]);
    assert_eq!(
        waiter.join().expect("waiter"),
        R::Array(vec![bulk("tx"), bulk("1")])
    );
    assert_eq!(
        ok(&mut con, &["LRANGE", "tx", "0", "-1"]),
        R::Array(vec![bulk("2")])
    );
}

#[test]
fn client_unblock_ends_a_wait_as_a_timeout_or_an_error() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let mut con = connect(addr);
    for (how, expect) in [
        (None, "nil"),
        (Some("TIMEOUT"), "nil"),
        (Some("error"), "UNBLOCKED"),
    ] {
        let waiter = thread::spawn(move || {
            let mut w = connect(addr);
            let id = match ok(&mut w, &["CLIENT", "ID"]) {
                R::Int(id) => id,
                v => panic!("CLIENT ID: {v:?}"),
            };
            (id, thread::spawn(move || q(&mut w, &["BLPOP", "q", "0"])))
        });
        let (id, blocked) = waiter.join().expect("waiter");
        // Poll until it is blocked, so the UNBLOCK is not too early.
        let deadline = Instant::now() + Duration::from_secs(10);
        let id = id.to_string();
        let mut words = vec!["CLIENT", "UNBLOCK", &id];
        words.extend(how);
        loop {
            if ok(&mut con, &words) == R::Int(1) {
                break;
            }
            assert!(Instant::now() < deadline, "never blocked");
            thread::sleep(Duration::from_millis(5));
        }
        let got = blocked.join().expect("blocked");
        match expect {
            "nil" => assert_eq!(got.expect("reply"), R::Nil, "{how:?}"),
            _ => assert!(
                got.as_ref().is_err_and(|e| e
                    .to_string()
                    .contains("client unblocked via CLIENT UNBLOCK")),
                "{how:?}: {got:?}"
            ),
        }
        // Not blocked any more: nothing to end.
        assert_eq!(ok(&mut con, &words), R::Int(0));
    }
    assert_eq!(ok(&mut con, &["CLIENT", "UNBLOCK", "999999"]), R::Int(0));
    assert!(err(&mut con, &["CLIENT", "UNBLOCK", "x"]).contains("not an integer"));
    assert!(err(&mut con, &["CLIENT", "UNBLOCK", "1", "SOON"])
        .contains("reason should be TIMEOUT or ERROR"));
    // The list was never touched.
    assert_eq!(ok(&mut con, &["EXISTS", "q"]), R::Int(0));
}

/// INFO's count of blocked clients.
fn blocked_clients(con: &mut redis::Connection) -> usize {
    let info = common::rs::text(&ok(con, &["INFO", "clients"]));
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("blocked_clients in INFO")
}

/// Waits until exactly `n` clients are blocked, so that the order of
/// arrival is the one intended without guessing at a delay.
fn wait_for_blocked(con: &mut redis::Connection, n: usize) {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let now = blocked_clients(con);
        if now == n {
            return;
        }
        assert!(Instant::now() < end, "{now} blocked clients, not {n}");
        thread::sleep(Duration::from_millis(2));
    }
}

/// Fifty waiters on one key, queued one after another: one push of fifty
/// elements gives each its own, in the order they came.
#[test]
fn fifty_waiters_each_get_one_element_in_arrival_order() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let mut con = connect(addr);
    let mut waiters = Vec::new();
    for i in 0..50 {
        waiters.push(thread::spawn(move || {
            let mut con = connect(addr);
            ok(&mut con, &["BLPOP", "crowd", "20"])
        }));
        wait_for_blocked(&mut con, i + 1);
    }
    let items: Vec<String> = (0..50).map(|i| format!("e{i}")).collect();
    let mut push = redis::cmd("RPUSH");
    push.arg("crowd").arg(&items);
    assert_eq!(push.query::<R>(&mut con).expect("RPUSH"), R::Int(50));
    for (i, w) in waiters.into_iter().enumerate() {
        assert_eq!(
            w.join().expect("waiter"),
            R::Array(vec![bulk("crowd"), bulk(&items[i])]),
            "waiter {i}"
        );
    }
    assert_eq!(ok(&mut con, &["EXISTS", "crowd"]), R::Int(0));
    assert_eq!(blocked_clients(&mut con), 0);
}

/// A client blocked on many keys is woken by a push to any of them, and
/// given the key; with several already filled, the first named wins.
#[test]
fn a_waiter_on_many_keys() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let keys: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
    let mut con = connect(addr);
    let spawn = |words: Vec<String>| {
        thread::spawn(move || {
            let mut con = connect(addr);
            let w: Vec<&str> = words.iter().map(String::as_str).collect();
            ok(&mut con, &w)
        })
    };
    let with_keys = |cmd: &str, timeout: &str| {
        let mut w = vec![cmd.to_string()];
        w.extend(keys.iter().cloned());
        w.push(timeout.to_string());
        w
    };
    let waiter = spawn(with_keys("BRPOP", "10"));
    wait_for_blocked(&mut con, 1);
    ok(&mut con, &["RPUSH", "k7", "a", "b"]);
    assert_eq!(
        waiter.join().expect("waiter"),
        R::Array(vec![bulk("k7"), bulk("b")])
    );
    ok(&mut con, &["RPUSH", "k5", "five"]);
    assert_eq!(
        ok(
            &mut con,
            &with_keys("BLPOP", "1")
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        ),
        R::Array(vec![bulk("k5"), bulk("five")]),
        "k5 comes before k7"
    );
    // A key of another type among them is refused, as in Redis.
    let words = with_keys("BZPOPMIN", "1");
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    assert!(err(&mut con, &words).contains("WRONGTYPE"));
    assert_eq!(
        ok(&mut con, &["LRANGE", "k7", "0", "-1"]),
        R::Array(vec![bulk("a")])
    );
    ok(&mut con, &["DEL", "k7"]);
    let waiter = spawn(with_keys("BZPOPMIN", "10"));
    wait_for_blocked(&mut con, 1);
    ok(&mut con, &["ZADD", "k9", "2", "x", "1", "y"]);
    assert_eq!(
        waiter.join().expect("waiter"),
        R::Array(vec![bulk("k9"), bulk("y"), bulk("1")])
    );
    assert_eq!(
        ok(&mut con, &["ZRANGE", "k9", "0", "-1"]),
        R::Array(vec![bulk("x")])
    );
    assert_eq!(blocked_clients(&mut con), 0);
}

/// A waiter whose client leaves just as a push wakes it must not take the
/// wake-up with it: the element stays, and the next waiter gets it. (The
/// leaver may also take the element before its hang-up is seen, as in
/// Redis; then the next push goes to the one who stayed.) Repeated, since
/// which of the two the server sees first varies.
#[test]
fn a_waiter_leaving_as_it_is_woken_passes_the_wake_up_on() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let mut con = connect(addr);
    for round in 0..30 {
        let key = format!("race{round}");
        let mut leaver = Raw::connect(addr);
        leaver.send(&["BLPOP", &key, "0"]);
        wait_for_blocked(&mut con, 1);
        let k = key.clone();
        let stayer = thread::spawn(move || {
            let mut con = connect(addr);
            ok(&mut con, &["BLPOP", &k, "30"])
        });
        wait_for_blocked(&mut con, 2);
        // The push and the hang-up as close together as can be.
        let mut pusher = Raw::connect(addr);
        pusher.send(&["RPUSH", &key, "x"]);
        drop(leaver);
        assert_eq!(pusher.read_reply(), b":1\r\n");
        let end = Instant::now() + Duration::from_secs(5);
        let want = loop {
            if stayer.is_finished() {
                break "x";
            }
            let len = ok(&mut con, &["LLEN", &key]);
            if len == R::Int(0) && blocked_clients(&mut con) == 1 {
                // The leaver took it; the stayer is still waiting.
                ok(&mut con, &["RPUSH", &key, "y"]);
                break "y";
            }
            assert!(
                Instant::now() < end,
                "round {round}: the element stayed ({len:?}) and nobody was woken"
            );
            thread::sleep(Duration::from_millis(2));
        };
        assert_eq!(
            stayer.join().expect("stayer"),
            R::Array(vec![bulk(&key), bulk(want)]),
            "round {round}"
        );
        wait_for_blocked(&mut con, 0);
        assert_eq!(ok(&mut con, &["EXISTS", &key]), R::Int(0), "round {round}");
    }
}
