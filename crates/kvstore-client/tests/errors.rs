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

/// A hostile server: after the request it announces a 500 MB string (under
/// the bulk limit) and then keeps sending. Returns the address and how many bytes it got
/// out before the client hung up.
fn endless_server() -> (SocketAddr, thread::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let Ok((mut sock, _)) = listener.accept() else {
            return 0;
        };
        let mut buf = [0u8; 1024];
        let _ = sock.read(&mut buf);
        let mut sent = 0;
        if sock.write_all(b"$500000000\r\n").is_err() {
            return sent;
        }
        let chunk = [b'x'; 1024];
        // Stop after 64 MiB so a client that buffers it all fails the
        // test instead of exhausting memory.
        while sent < 64 << 20 {
            match sock.write(&chunk) {
                Ok(n) => sent += n,
                Err(_) => break,
            }
        }
        sent
    });
    (addr, handle)
}

fn small_frames() -> ClientOptions {
    ClientOptions::new()
        .read_timeout(Some(Duration::from_secs(5)))
        .max_frame_len(4096)
}

#[test]
fn endless_reply_stops_at_max_frame_len() {
    let (addr, server) = endless_server();
    let mut c = Client::connect_with(addr, &small_frames()).unwrap();
    let err = c.get::<Value>("k").unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    assert!(matches!(c.get::<Value>("k"), Err(Error::Broken)));
    drop(c);
    assert!(server.join().unwrap() < 64 << 20);
}

#[tokio::test]
async fn async_endless_reply_stops_at_max_frame_len() {
    let (addr, server) = endless_server();
    let mut c = AsyncClient::connect_with(addr, &small_frames())
        .await
        .unwrap();
    let err = c.get::<Value>("k").await.unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    assert!(matches!(c.get::<Value>("k").await, Err(Error::Broken)));
    drop(c);
    assert!(server.join().unwrap() < 64 << 20);
}

/// A server that answers with a valid reply, one byte every 100 ms.
fn dripping_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        if let Ok((mut sock, _)) = listener.accept() {
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf);
            for byte in b"$10\r\n0123456789\r\n" {
                thread::sleep(Duration::from_millis(100));
                if sock.write_all(&[*byte]).is_err() {
                    break;
                }
            }
            thread::sleep(Duration::from_secs(1));
        }
    });
    addr
}

fn drip_options() -> ClientOptions {
    ClientOptions::new().read_timeout(Some(Duration::from_millis(300)))
}

#[test]
fn read_timeout_bounds_the_whole_reply() {
    let mut c = Client::connect_with(dripping_server(), &drip_options()).unwrap();
    let start = Instant::now();
    let err = c.get::<Value>("k").unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(start.elapsed() < Duration::from_millis(1000));
}

#[tokio::test]
async fn async_read_timeout_bounds_the_whole_reply() {
    let mut c = AsyncClient::connect_with(dripping_server(), &drip_options())
        .await
        .unwrap();
    let start = Instant::now();
    let err = c.get::<Value>("k").await.unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(start.elapsed() < Duration::from_millis(1000));
}

#[test]
fn unsolicited_reply_breaks_the_connection() {
    let addr = fake_server(Some(b":1\r\n:2\r\n"), Duration::from_millis(500));
    let mut c = Client::connect_with(addr, &short_read_timeout()).unwrap();
    let err = c.get::<Value>("k").unwrap_err();
    assert!(matches!(err, Error::Unsolicited(4)), "{err:?}");
    assert!(err.is_connection_error());
    // Not the stray `:2` taken for the next answer.
    assert!(matches!(c.get::<Value>("k"), Err(Error::Broken)));
}

#[tokio::test]
async fn async_unsolicited_reply_breaks_the_connection() {
    let addr = fake_server(Some(b":1\r\n:2\r\n"), Duration::from_millis(500));
    let mut c = AsyncClient::connect_with(addr, &short_read_timeout())
        .await
        .unwrap();
    let err = c.get::<Value>("k").await.unwrap_err();
    assert!(matches!(err, Error::Unsolicited(4)), "{err:?}");
    assert!(matches!(c.get::<Value>("k").await, Err(Error::Broken)));
}
