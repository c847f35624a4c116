//! Hostile and broken clients: each gets the right reply, the server
//! survives, and other clients never notice.

mod common;
mod peer;

use kvstore_protocol::Value;
use kvstore_server::{memory, BackgroundServer, Config};
use peer::{bulk, err, Peer};

/// Sends `bytes`, expects a protocol error reply containing `what`, then a
/// closed connection; checks that a bystander is unaffected.
fn expect_protocol_error(server: &BackgroundServer, bytes: &[u8], what: &str) {
    let mut bystander = Peer::connect(server.addr());
    assert_eq!(bystander.cmd(&["SET", "bystander", "1"]), Value::Integer(1));
    let mut bad = Peer::connect(server.addr());
    bad.send_raw(bytes);
    let reply = err(&bad.read());
    assert!(
        reply.starts_with("ERR Protocol error: ") && reply.contains(what),
        "{reply:?} lacks {what:?}"
    );
    assert!(
        bad.is_closed(),
        "connection left open after a framing error"
    );
    assert_eq!(bystander.cmd(&["GET", "bystander"]), bulk("1"));
    let mut fresh = Peer::connect(server.addr());
    assert_eq!(fresh.cmd(&["GET", "bystander"]), bulk("1"));
}

#[test]
fn garbage_first_byte() {
    let server = BackgroundServer::start();
    expect_protocol_error(&server, b"?GET x\r\n", "invalid type byte '?'");
    expect_protocol_error(&server, b"\x00\x01\x02", "invalid type byte");
    expect_protocol_error(&server, b"{\"json\": 1}\r\n", "invalid type byte '{'");
    expect_protocol_error(&server, b"*1\r\n@\r\n", "invalid type byte '@'");
}

#[test]
fn bad_lengths_and_terminators() {
    let server = BackgroundServer::start();
    expect_protocol_error(&server, b"*1\r\n$-5\r\n", "invalid length");
    expect_protocol_error(&server, b"*x\r\n", "invalid length");
    expect_protocol_error(&server, b"*2\r\n$3\r\nGETxx", "bulk string not terminated");
    expect_protocol_error(&server, b"*1\r\n+PING\n", "CRLF");
    expect_protocol_error(&server, b":99999999999999999999\r\n", "invalid integer");
}

#[test]
fn huge_declared_length_costs_only_what_arrives() {
    let server = BackgroundServer::start();
    let before = memory::info().used;
    let mut peers = Vec::new();
    for _ in 0..4 {
        let mut p = Peer::connect(server.addr());
        // Announces 500 MiB (under the 512 MiB limit), sends 10 bytes.
        p.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$524288000\r\n0123456789");
        peers.push(p);
    }
    let mut other = Peer::connect(server.addr());
    assert_eq!(other.cmd(&["SET", "x", "1"]), Value::Integer(1));
    let grown = memory::info().used.saturating_sub(before);
    assert!(
        grown < 64 << 20,
        "4 announced 500 MiB values cost {grown} bytes"
    );
    // Over the limit is refused from the header alone.
    expect_protocol_error(
        &server,
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$600000000\r\n",
        "exceeds the limit",
    );
    drop(peers);
    assert_eq!(other.cmd(&["GET", "k"]), Value::Null);
}

#[test]
fn deep_nesting() {
    let server = BackgroundServer::start();
    let bomb = b"*1\r\n".repeat(200_000);
    expect_protocol_error(&server, &bomb, "nesting deeper than the limit of 128");
    // At the limit it is accepted and round-trips.
    let mut v = Value::Integer(7);
    for _ in 0..126 {
        v = Value::Array(vec![v]);
    }
    let mut c = Peer::connect(server.addr());
    assert_eq!(
        c.call(vec![bulk("SET"), bulk("deep"), v.clone()]),
        Value::Integer(1)
    );
    assert_eq!(c.cmd(&["GET", "deep"]), v);
}

#[test]
fn too_many_elements() {
    let server = BackgroundServer::start_with(Config {
        max_elements: 10,
        ..Config::default()
    });
    expect_protocol_error(&server, b"*11\r\n", "11 elements exceed the limit of 10");
}

#[test]
fn disconnect_mid_frame_applies_nothing() {
    let server = BackgroundServer::start();
    {
        let mut c = Peer::connect(server.addr());
        // A whole SET, then a MSET cut off inside its last value.
        c.send_raw(b"*3\r\n$3\r\nSET\r\n$4\r\nfull\r\n:1\r\n");
        assert_eq!(c.read(), Value::Integer(1));
        c.send_raw(b"*5\r\n$4\r\nMSET\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$10\r\n01234");
    }
    let mut c = Peer::connect(server.addr());
    assert_eq!(
        c.cmd(&["MGET", "full", "a", "b"]),
        Value::Array(vec![Value::Integer(1), Value::Null, Value::Null])
    );
}

#[test]
fn maxclients_rejects_with_an_error() {
    let server = BackgroundServer::start_with(Config {
        maxclients: 2,
        ..Config::default()
    });
    let mut a = Peer::connect(server.addr());
    let mut b = Peer::connect(server.addr());
    assert_eq!(a.cmd(&["SET", "a", "1"]), Value::Integer(1));
    assert_eq!(b.cmd(&["GET", "a"]), bulk("1"));
    let mut c = Peer::connect(server.addr());
    assert_eq!(err(&c.read()), "ERR max number of clients reached");
    assert!(c.is_closed());
    drop(a);
    // The freed slot is usable again (the server notices the close shortly).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let mut d = Peer::connect(server.addr());
        d.send(&Value::Array(vec![bulk("GET"), bulk("a")]));
        match d.read() {
            Value::Error(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            reply => {
                assert_eq!(reply, bulk("1"));
                break;
            }
        }
    }
}

#[test]
fn query_buffer_limit_closes_a_client_that_never_finishes() {
    let server = BackgroundServer::start_with(Config {
        client_query_buffer_limit: 64 * 1024,
        ..Config::default()
    });
    let mut bystander = Peer::connect(server.addr());
    let mut c = Peer::connect(server.addr());
    // A 1 MB value that is allowed by the bulk limit but would make the
    // server buffer more than this client may. Exactly one byte over the
    // limit is sent, so that the server has read everything when it hangs
    // up (unread bytes would turn its close into a reset that can swallow
    // the error reply).
    let header = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\n";
    let mut request = header.to_vec();
    request.resize(64 * 1024 + 1, b'x');
    c.send_raw(&request);
    let reply = err(&c.read());
    assert!(
        reply.contains("query buffer limit of 65536 bytes exceeded"),
        "{reply}"
    );
    assert!(c.is_closed());
    assert_eq!(bystander.cmd(&["GET", "k"]), Value::Null);
}

#[test]
fn nesting_limit_has_a_ceiling() {
    use clap::Parser;
    assert!(Config::try_parse_from(["kvstore-server", "--max-nesting", "1024"]).is_ok());
    assert!(Config::try_parse_from(["kvstore-server", "--max-nesting", "1025"]).is_err());
    assert!(Config::try_parse_from(["kvstore-server", "--max-nesting", "0"]).is_err());
    assert!(Config::try_parse_from(["kvstore-server", "--threads", "0"]).is_err());
    let server = BackgroundServer::start();
    let mut c = Peer::connect(server.addr());
    let reply = c.cmd(&["CONFIG", "SET", "max-nesting", "100000"]);
    assert!(err(&reply).contains("1 to 1024"), "{reply:?}");
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "max-nesting"]),
        Value::Array(vec![bulk("max-nesting"), bulk("128")])
    );
}

#[test]
fn scan_refuses_a_pattern_that_is_not_a_string() {
    let server = BackgroundServer::start();
    let mut c = Peer::connect(server.addr());
    assert_eq!(c.cmd(&["SET", "a", "1"]), Value::Integer(1));
    let reply = c.call(vec![
        bulk("SCAN"),
        bulk("0"),
        bulk("MATCH"),
        Value::Integer(5),
    ]);
    assert_eq!(err(&reply), "ERR syntax error");
    let reply = c.call(vec![bulk("SCAN"), bulk("0"), bulk("TYPE"), Value::Null]);
    assert_eq!(err(&reply), "ERR syntax error");
}

/// A connection speaking Redis passes over what Redis passes over between
/// requests (empty lines, `*0`, `*-1` and other negative counts), and an
/// inline command follows Redis's quoting, refusing unbalanced quotes as
/// Redis does.
#[test]
fn redis_conformance_between_requests_and_inline_quoting() {
    let server = BackgroundServer::start();
    let mut raw = common::Raw::connect(server.addr());
    assert_eq!(
        raw.cmd(&["CLIENT", "SETINFO", "LIB-NAME", "test"]),
        "+OK\r\n"
    );
    raw.send_raw(b"\r\n\n*0\r\n*-1\r\n*-7\r\n\r\nPING\r\n");
    assert_eq!(String::from_utf8_lossy(&raw.read_reply()), "+PONG\r\n");
    raw.send_raw(b"SET \"a b\" 'c\\'d'\r\n");
    assert_eq!(String::from_utf8_lossy(&raw.read_reply()), "+OK\r\n");
    assert_eq!(raw.cmd(&["GET", "a b"]), "$3\r\nc'd\r\n");
    raw.send_raw(b"SET \"x\\x41\\n\" y\r\n");
    assert_eq!(String::from_utf8_lossy(&raw.read_reply()), "+OK\r\n");
    assert_eq!(raw.cmd(&["GET", "xA\n"]), "$1\r\ny\r\n");
    raw.send_raw(b"SET \"open k\r\n");
    assert_eq!(
        String::from_utf8_lossy(&raw.read_reply()),
        "-ERR Protocol error: unbalanced quotes in request\r\n"
    );
    assert!(raw.is_closed());
}
