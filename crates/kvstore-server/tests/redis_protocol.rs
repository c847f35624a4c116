//! Redis's request grammar and protocol error texts, for clients in Redis
//! mode, checked byte for byte against what Redis 7.0.15 answers; and the
//! seed dialect keeping its own typed requests.

mod common;

use std::io::Read;

use common::Raw;
use kvstore_server::{BackgroundServer, Config, ReplyMode};

fn server(mode: ReplyMode) -> BackgroundServer {
    BackgroundServer::start_with(Config {
        reply_mode: mode,
        ..Config::default()
    })
}

/// What the server sends back to `request` before closing, or `None` if
/// it keeps the connection open.
fn answer(server: &BackgroundServer, request: &[u8]) -> (String, bool) {
    let mut c = Raw::connect(server.addr());
    c.send_raw(request);
    let mut s = c.into_stream();
    s.set_read_timeout(Some(std::time::Duration::from_millis(300)))
        .expect("timeout");
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    let closed = loop {
        match s.read(&mut chunk) {
            Ok(0) => break true,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

#[test]
fn protocol_errors_are_redis_s_and_close_the_connection() {
    let s = server(ReplyMode::Redis);
    let nines = format!("*1\r\n${}\r\n", "9".repeat(40));
    let long_count = format!("*{}\r\n", "9".repeat(40));
    let cases: Vec<(&[u8], &str)> = vec![
        (b"*abc\r\n", "invalid multibulk length"),
        (b"*3\r\n$x\r\n", "invalid bulk length"),
        (b"*1\r\n:5\r\n", "expected '$', got ':'"),
        (b"*2\r\n$3\r\nGET\r\n:5\r\n", "expected '$', got ':'"),
        (b"*1\r\n$-5\r\n", "invalid bulk length"),
        (b"*1\r\n$abc\r\n", "invalid bulk length"),
        (b"*99999999999\r\n", "invalid multibulk length"),
        (b"SET \"a b\r\n", "unbalanced quotes in request"),
        (nines.as_bytes(), "invalid bulk length"),
        (long_count.as_bytes(), "invalid multibulk length"),
        (b"*1\r\n$600000000\r\n", "invalid bulk length"),
        (b"*1\r\n*1\r\n", "expected '$', got '*'"),
        (b"*1\r\n+OK\r\n", "expected '$', got '+'"),
    ];
    for (request, text) in cases {
        let (got, closed) = answer(&s, request);
        assert_eq!(
            got,
            format!("-ERR Protocol error: {text}\r\n"),
            "{:?}",
            String::from_utf8_lossy(request)
        );
        assert!(
            closed,
            "{:?} left the connection open",
            String::from_utf8_lossy(request)
        );
    }
    let inline = vec![b'x'; 70_000];
    assert_eq!(
        answer(&s, &inline).0,
        "-ERR Protocol error: too big inline request\r\n"
    );
    // An over-long count line, and an over-long bulk length line.
    let mut long = b"*".to_vec();
    long.extend(std::iter::repeat_n(b'1', 70_000));
    assert_eq!(
        answer(&s, &long).0,
        "-ERR Protocol error: too big mbulk count string\r\n"
    );
    let mut long = b"*1\r\n$".to_vec();
    long.extend(std::iter::repeat_n(b'1', 70_000));
    assert_eq!(
        answer(&s, &long).0,
        "-ERR Protocol error: too big bulk count string\r\n"
    );
}

#[test]
fn the_seed_dialect_keeps_its_typed_requests() {
    let s = server(ReplyMode::Seed);
    let mut c = Raw::connect(s.addr());
    // SET with an integer value stays an integer.
    c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nn\r\n:42\r\n");
    assert_eq!(String::from_utf8_lossy(&c.read_reply()), ":1\r\n");
    assert_eq!(c.cmd(&["GET", "n"]), ":42\r\n");
    // Its errors keep kvstore's words.
    let (got, closed) = answer(&s, b"*abc\r\n");
    assert_eq!(got, "-ERR Protocol error: invalid length\r\n");
    assert!(closed);
}
