//! The seed's six commands over real TCP, with typed values.

mod peer;

use std::thread;

use bytes::Bytes;
use kvstore_protocol::Value;
use kvstore_server::BackgroundServer;
use peer::{bulk, err, Peer};

#[test]
fn seed_usage() {
    let server = BackgroundServer::start();
    let mut c = Peer::connect(server.addr());
    assert_eq!(c.cmd(&["SET", "username", "jdoe"]), Value::Integer(1));
    assert_eq!(c.cmd(&["GET", "username"]), bulk("jdoe"));
    assert_eq!(
        c.call(vec![
            bulk("MSET"),
            bulk("a"),
            Value::Integer(1),
            bulk("b"),
            Value::Integer(2),
            bulk("c"),
            Value::Integer(3)
        ]),
        Value::Integer(3)
    );
    assert_eq!(
        c.cmd(&["MGET", "a", "b", "nope"]),
        Value::Array(vec![Value::Integer(1), Value::Integer(2), Value::Null])
    );
    assert_eq!(c.cmd(&["DELETE", "username"]), Value::Integer(1));
    assert_eq!(c.cmd(&["DELETE", "username"]), Value::Integer(0));
    assert_eq!(c.cmd(&["GET", "username"]), Value::Null);
    assert_eq!(c.cmd(&["FLUSH"]), Value::Integer(3));
    assert_eq!(c.cmd(&["FLUSH"]), Value::Integer(0));
    assert_eq!(c.cmd(&["GET", "a"]), Value::Null);
}

#[test]
fn names_are_case_insensitive_and_inline_requests_work() {
    let server = BackgroundServer::start();
    let mut c = Peer::connect(server.addr());
    assert_eq!(c.cmd(&["sEt", "k", "v"]), Value::Integer(1));
    c.send_raw(b"+get   k\r\n");
    assert_eq!(c.read(), bulk("v"));
    c.send_raw(b"+MGET k missing\r\n");
    assert_eq!(c.read(), Value::Array(vec![bulk("v"), Value::Null]));
}

#[test]
fn typed_round_trips() {
    let server = BackgroundServer::start();
    let mut c = Peer::connect(server.addr());
    let nested = Value::Array(vec![
        Value::Integer(1),
        Value::Array(vec![bulk("x"), Value::Array(vec![]), Value::Null]),
        Value::Map(vec![
            (bulk("z"), Value::Integer(-1)),
            (bulk("a"), Value::Map(vec![])),
        ]),
    ]);
    let cases = vec![
        Value::Integer(42),
        Value::Integer(-7),
        Value::Integer(i64::MIN),
        Value::Integer(i64::MAX),
        nested,
        Value::Map(vec![(bulk("b"), bulk("1")), (bulk("a"), bulk("2"))]),
        Value::Null,
        bulk(""),
        Value::Array(vec![]),
        Value::Map(vec![]),
        Value::Bulk(Bytes::from_static(b"bin\r\n\0\xff\r\n")),
    ];
    for (i, v) in cases.into_iter().enumerate() {
        let key = format!("k{i}");
        assert_eq!(
            c.call(vec![bulk("SET"), bulk(&key), v.clone()]),
            Value::Integer(1)
        );
        assert_eq!(c.cmd(&["GET", &key]), v, "case {i}");
    }
    // Text comes back as a bulk string, whatever type it was sent as.
    assert_eq!(
        c.call(vec![bulk("SET"), bulk("s"), Value::simple("hello")]),
        Value::Integer(1)
    );
    assert_eq!(c.cmd(&["GET", "s"]), bulk("hello"));
    // An integer key means its decimal text.
    assert_eq!(
        c.call(vec![bulk("SET"), Value::Integer(12), bulk("twelve")]),
        Value::Integer(1)
    );
    assert_eq!(c.cmd(&["GET", "12"]), bulk("twelve"));
}

#[test]
fn bad_keys_and_values_are_refused_and_change_nothing() {
    let server = BackgroundServer::start();
    let mut c = Peer::connect(server.addr());
    for key in [Value::Array(vec![]), Value::Map(vec![]), Value::Null] {
        let reply = c.call(vec![bulk("SET"), key, bulk("v")]);
        assert!(err(&reply).starts_with("ERR invalid key"), "{reply:?}");
    }
    let reply = c.call(vec![bulk("SET"), bulk("k"), Value::error("ERR boom")]);
    assert!(err(&reply).starts_with("ERR"), "{reply:?}");
    // MSET is all or nothing: a bad pair anywhere sets none of them.
    let reply = c.call(vec![
        bulk("MSET"),
        bulk("a"),
        bulk("1"),
        Value::Null,
        bulk("2"),
    ]);
    assert!(err(&reply).starts_with("ERR invalid key"));
    assert_eq!(c.cmd(&["GET", "a"]), Value::Null);
    assert_eq!(c.cmd(&["FLUSH"]), Value::Integer(0));
}

#[test]
fn errors_keep_the_connection_usable() {
    let server = BackgroundServer::start();
    let mut c = Peer::connect(server.addr());
    assert_eq!(err(&c.cmd(&["NOPE", "x"])), "ERR unknown command 'NOPE'");
    assert_eq!(
        err(&c.cmd(&["GET"])),
        "ERR wrong number of arguments for 'get' command"
    );
    assert_eq!(
        err(&c.cmd(&["GET", "a", "b"])),
        "ERR wrong number of arguments for 'get' command"
    );
    assert_eq!(
        err(&c.cmd(&["MSET", "a", "1", "b"])),
        "ERR wrong number of arguments for 'mset' command"
    );
    assert_eq!(
        err(&c.cmd(&["FLUSH", "now"])),
        "ERR wrong number of arguments for 'flush' command"
    );
    assert_eq!(err(&c.call(vec![])), "ERR empty request");
    c.send_raw(b"+   \r\n");
    assert_eq!(err(&c.read()), "ERR empty request");
    c.send_raw(b":5\r\n");
    assert!(err(&c.read()).starts_with("ERR invalid request"));
    c.send_raw(b"%1\r\n+a\r\n+b\r\n");
    assert!(err(&c.read()).starts_with("ERR invalid request"));
    assert!(err(&c.call(vec![Value::Integer(1)])).starts_with("ERR invalid command name"));
    assert_eq!(c.cmd(&["SET", "still", "here"]), Value::Integer(1));
    assert_eq!(c.cmd(&["GET", "still"]), bulk("here"));
}

#[test]
fn four_mib_value() {
    let server = BackgroundServer::start();
    let mut c = Peer::connect(server.addr());
    let big: Vec<u8> = (0..4 << 20).map(|i| (i % 251) as u8).collect();
    let big = Value::Bulk(Bytes::from(big));
    assert_eq!(
        c.call(vec![bulk("SET"), bulk("big"), big.clone()]),
        Value::Integer(1)
    );
    assert_eq!(c.cmd(&["GET", "big"]), big);
}

#[test]
fn thousand_pipelined_requests_answer_in_order() {
    let server = BackgroundServer::start();
    let mut c = Peer::connect(server.addr());
    let mut batch = Vec::new();
    for i in 0..1000 {
        let req = if i % 2 == 0 {
            format!("*3\r\n$3\r\nSET\r\n$4\r\nk{:03}\r\n:{i}\r\n", i / 2)
        } else {
            format!("*2\r\n$3\r\nGET\r\n$4\r\nk{:03}\r\n", i / 2)
        };
        batch.extend_from_slice(req.as_bytes());
    }
    c.send_raw(&batch);
    for i in 0..1000 {
        let want = if i % 2 == 0 {
            Value::Integer(1)
        } else {
            Value::Integer(i - 1)
        };
        assert_eq!(c.read(), want, "reply {i}");
    }
}

#[test]
fn two_hundred_simultaneous_connections() {
    let server = BackgroundServer::start();
    let mut peers: Vec<Peer> = (0..200).map(|_| Peer::connect(server.addr())).collect();
    for (i, p) in peers.iter_mut().enumerate() {
        assert_eq!(
            p.cmd(&["SET", &format!("c{i}"), &i.to_string()]),
            Value::Integer(1)
        );
    }
    for (i, p) in peers.iter_mut().enumerate().rev() {
        assert_eq!(p.cmd(&["GET", &format!("c{i}")]), bulk(&i.to_string()));
    }
}

#[test]
fn sixty_four_concurrent_writers_lose_nothing() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let workers: Vec<_> = (0..64)
        .map(|w| {
            thread::spawn(move || {
                let mut c = Peer::connect(addr);
                for i in 0..200 {
                    let key = format!("w{w}:{i}");
                    let v = Value::Integer(w * 1000 + i);
                    assert_eq!(
                        c.call(vec![bulk("SET"), bulk(&key), v.clone()]),
                        Value::Integer(1)
                    );
                    assert_eq!(c.cmd(&["GET", &key]), v);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker panicked");
    }
    let mut c = Peer::connect(addr);
    for w in 0..64 {
        let keys: Vec<String> = (0..200).map(|i| format!("w{w}:{i}")).collect();
        let mut req = vec![bulk("MGET")];
        req.extend(keys.iter().map(|k| bulk(k)));
        let want = Value::Array((0..200).map(|i| Value::Integer(w * 1000 + i)).collect());
        assert_eq!(c.call(req), want);
    }
    assert_eq!(c.cmd(&["FLUSH"]), Value::Integer(64 * 200));
}

#[test]
fn requests_split_at_every_byte_are_served_the_same() {
    // Every way of cutting a GET/SET stream in two, to exercise the hand-over
    // between the plain GET/SET shortcut and the general decoder.
    let server = BackgroundServer::start();
    let stream: &[u8] = b"*3\r\n$3\r\nSET\r\n$8\r\nlong-key\r\n$5\r\nvalue\r\n\
*2\r\n$3\r\nGET\r\n$8\r\nlong-key\r\n\
*3\r\n$3\r\nset\r\n$1\r\nn\r\n:7\r\n\
*2\r\n$3\r\nget\r\n$1\r\nn\r\n\
*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n";
    let want = vec![
        Value::Integer(1),
        bulk("value"),
        Value::Integer(1),
        Value::Integer(7),
        Value::Null,
    ];
    for cut in 1..stream.len() {
        let mut c = Peer::connect(server.addr());
        c.send_raw(&stream[..cut]);
        std::thread::sleep(std::time::Duration::from_millis(2));
        c.send_raw(&stream[cut..]);
        let got: Vec<Value> = (0..want.len()).map(|_| c.read()).collect();
        assert_eq!(got, want, "cut at {cut}");
    }
}

#[test]
fn mget_never_sees_half_an_mset() {
    let server = BackgroundServer::start();
    let addr = server.addr();
    let writer = thread::spawn(move || {
        let mut c = Peer::connect(addr);
        for i in 0..3000 {
            let v = Value::Integer(i);
            let req = vec![
                bulk("MSET"),
                bulk("a"),
                v.clone(),
                bulk("b"),
                v.clone(),
                bulk("c"),
                v,
            ];
            assert_eq!(c.call(req), Value::Integer(3));
        }
    });
    let mut c = Peer::connect(addr);
    while !writer.is_finished() {
        match c.cmd(&["MGET", "a", "b", "c"]) {
            Value::Array(vs) => assert!(vs.windows(2).all(|w| w[0] == w[1]), "torn read: {vs:?}"),
            other => panic!("{other:?}"),
        }
    }
    writer.join().expect("writer");
}

#[test]
fn get_and_set_shortcut_replies_like_the_general_path() {
    // The canonical `*2 $3 GET $n key` form takes the shortcut; the same
    // command as an inline line goes the general way. Both must answer
    // alike for every kind of stored value and every reply mode. (The typed
    // values are stored by a seed connection: Redis clients send only bulk
    // strings.)
    let server = BackgroundServer::start();
    let mut seed = Peer::connect(server.addr());
    let values = [
        bulk("text"),
        Value::Integer(-42),
        Value::Array(vec![Value::Integer(1)]),
        Value::Map(vec![(bulk("k"), Value::Null)]),
        Value::Null,
        Value::Double(1.5),
    ];
    for (i, v) in values.iter().enumerate() {
        let fast = seed.call(vec![bulk("SET"), bulk(&format!("v{i}")), v.clone()]);
        seed.send_raw(b"SET tmp x\r\n");
        assert_eq!(seed.read(), fast, "seed: SET replies differ");
    }
    for (mode, hello) in [("seed", None), ("resp2", Some("2")), ("resp3", Some("3"))] {
        let mut c = Peer::connect(server.addr());
        if let Some(v) = hello {
            let _ = c.cmd(&["HELLO", v]);
            let fast = c.cmd(&["SET", "tmp", "y"]);
            c.send_raw(b"SET tmp z\r\n");
            assert_eq!(c.read(), fast, "{mode}: SET replies differ");
        }
        for (i, v) in values.iter().enumerate() {
            let key = format!("v{i}");
            let fast = c.cmd(&["GET", &key]);
            c.send_raw(format!("GET {key}\r\n").as_bytes());
            assert_eq!(c.read(), fast, "{mode}: GET {v:?} replies differ");
        }
        let fast = c.cmd(&["GET", "never-set"]);
        c.send_raw(b"GET never-set\r\n");
        assert_eq!(c.read(), fast, "{mode}: missing-key replies differ");
    }
}
