//! Failure paths that need no kvstore server: refused connections,
//! timeouts, a peer closing early and a peer speaking another protocol.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::{Duration, Instant};

use kvstore_client::{AsyncClient, Client, ClientOptions, Error, Value};

/// An address nothing listens on: bind a port, then free it.
fn refused_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

/// A server that accepts one connection, reads the request, then sends
/// `reply` (if any) and keeps the socket open for `hold`.
fn fake_server(reply: Option<&'static [u8]>, hold: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        if let Ok((mut sock, _)) = listener.accept() {
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf);
            if let Some(reply) = reply {
                let _ = sock.write_all(reply);
            }
            thread::sleep(hold);
        }
    });
    addr
}

fn short_read_timeout() -> ClientOptions {
    ClientOptions::new().read_timeout(Some(Duration::from_millis(200)))
}

#[test]
fn refused_connection_is_an_io_error() {
    match Client::connect(refused_addr()) {
        Err(Error::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused),
        other => panic!("expected connection refused, got {other:?}"),
    }
}

#[test]
fn read_timeout_fires_and_breaks_the_connection() {
    let addr = fake_server(None, Duration::from_secs(5));
    let mut c = Client::connect_with(addr, &short_read_timeout()).unwrap();
    let start = Instant::now();
    let err = c.get::<Value>("k").unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(err.is_connection_error());
    assert!(start.elapsed() < Duration::from_secs(3));
    // A late reply could now be taken for the next one, so refuse.
    assert!(matches!(c.get::<Value>("k"), Err(Error::Broken)));
}

#[test]
fn peer_closing_mid_reply_is_reported() {
    let addr = fake_server(Some(b"$10\r\nabc"), Duration::ZERO);
    let mut c = Client::connect_with(addr, &short_read_timeout()).unwrap();
    assert!(matches!(c.get::<Value>("k"), Err(Error::Closed)));
}

#[test]
fn non_protocol_peer_is_a_protocol_error() {
    let addr = fake_server(Some(b"HTTP/1.1 400 Bad Request\r\n\r\n"), Duration::ZERO);
    let mut c = Client::connect_with(addr, &short_read_timeout()).unwrap();
    let err = c.get::<Value>("k").unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
}

#[test]
fn resp3_replies_from_other_servers_are_read() {
    let addr = fake_server(Some(b"%1\r\n+a\r\n#t\r\n"), Duration::from_millis(500));
    let mut c = Client::connect_with(addr, &short_read_timeout()).unwrap();
    let reply = c
        .execute(&[Value::from("HGETALL"), Value::from("h")])
        .unwrap();
    assert_eq!(
        reply,
        Value::Map(vec![(Value::simple("a"), Value::Boolean(true))])
    );
}

#[tokio::test]
async fn async_refused_and_timeout() {
    let err = AsyncClient::connect(refused_addr()).await.unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");

    let addr = fake_server(None, Duration::from_secs(5));
    let mut c = AsyncClient::connect_with(addr, &short_read_timeout())
        .await
        .unwrap();
    let err = c.get::<Value>("k").await.unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(matches!(c.get::<Value>("k").await, Err(Error::Broken)));
}
