//! The blocking client over TLS against a real server (certificates made
//! here), and AUTH sent on connecting.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use kvstore_client::{Client, ClientOptions, Error, Pipeline, TlsOptions, Value};
use kvstore_server::config::TlsAuthClients;
use kvstore_server::{BackgroundServer, Config};
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair};

/// `NAME-ca.crt`, and `NAME-server.*` (localhost, 127.0.0.1) and
/// `NAME-client.*` signed by it, in `dir`.
fn issue(dir: &Path, name: &str) {
    let ca_key = KeyPair::generate().expect("key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).expect("CA");
    std::fs::write(dir.join(format!("{name}-ca.crt")), ca_cert.pem()).expect("write");
    for (who, names, usage) in [
        (
            "server",
            vec!["localhost".to_string(), "127.0.0.1".to_string()],
            ExtendedKeyUsagePurpose::ServerAuth,
        ),
        (
            "client",
            vec!["client.test".to_string()],
            ExtendedKeyUsagePurpose::ClientAuth,
        ),
    ] {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(names).expect("params");
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &ca_cert, &ca_key).expect("sign");
        std::fs::write(dir.join(format!("{name}-{who}.crt")), cert.pem()).expect("write");
        std::fs::write(dir.join(format!("{name}-{who}.key")), key.serialize_pem()).expect("write");
    }
}

fn tls_server(dir: &Path) -> BackgroundServer {
    let file = |n: &str| dir.join(n).display().to_string();
    BackgroundServer::start_with(Config {
        tls_port: 1,
        tls_cert_file: file("a-server.crt"),
        tls_key_file: file("a-server.key"),
        tls_ca_cert_file: file("a-ca.crt"),
        tls_auth_clients: TlsAuthClients::Yes,
        ..Config::default()
    })
}

#[test]
fn blocking_client_over_tls_with_a_client_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    issue(dir.path(), "a");
    issue(dir.path(), "b");
    let server = tls_server(dir.path());
    let addr = server.tls_addr().expect("TLS");
    let p = |n: &str| dir.path().join(n);
    let tls = TlsOptions::new()
        .ca_cert(p("a-ca.crt"))
        .client_cert(p("a-client.crt"), p("a-client.key"));
    // The server name defaults to the address connected to (an IP SAN).
    let mut c = Client::connect_with(addr, &ClientOptions::new().tls(tls.clone())).expect("TLS");
    assert_eq!(c.set("k", 42).expect("set"), 1);
    assert_eq!(c.get::<i64>("k").expect("get"), 42);
    // A pipeline larger than the socket buffers: written on a second
    // thread while this one reads, through the one TLS session.
    let mut pipe = Pipeline::new();
    let value = "v".repeat(1000);
    for i in 0..2000 {
        pipe.set(format!("key{i}"), value.as_str());
        pipe.get(format!("key{i}"));
    }
    let replies = c.run_pipeline(&pipe).expect("pipeline");
    assert_eq!(replies.len(), 4000);
    assert!(replies
        .iter()
        .skip(1)
        .step_by(2)
        .all(|r| matches!(r, Ok(Value::Bulk(b)) if b.len() == 1000)));
    // By name too.
    let named = tls.clone().server_name("localhost");
    let mut c = Client::connect_with(addr, &ClientOptions::new().tls(named)).expect("by name");
    assert_eq!(c.get::<i64>("k").expect("get"), 42);

    // A server certificate from a CA not trusted: refused at connect.
    let wrong_ca = TlsOptions::new()
        .ca_cert(p("b-ca.crt"))
        .client_cert(p("a-client.crt"), p("a-client.key"));
    let err = Client::connect_with(addr, &ClientOptions::new().tls(wrong_ca)).unwrap_err();
    assert!(err.is_connection_error(), "{err:?}");
    // No client certificate: refused by the server, at the handshake or
    // (TLS 1.3) at the first reply.
    let bare = TlsOptions::new().ca_cert(p("a-ca.crt"));
    let refused = Client::connect_with(addr, &ClientOptions::new().tls(bare))
        .and_then(|mut c| c.get::<Option<i64>>("k"));
    assert!(refused.is_err(), "{refused:?}");
    // A missing file is named.
    let missing = TlsOptions::new().ca_cert(p("nope.crt"));
    match Client::connect_with(addr, &ClientOptions::new().tls(missing)) {
        Err(Error::Tls(why)) => assert!(why.contains("nope.crt"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn async_client_over_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    issue(dir.path(), "a");
    let server = tls_server(dir.path());
    let addr = server.tls_addr().expect("TLS");
    let p = |n: &str| dir.path().join(n);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let tls = TlsOptions::new()
            .ca_cert(p("a-ca.crt"))
            .client_cert(p("a-client.crt"), p("a-client.key"));
        let options = ClientOptions::new().tls(tls);
        let mut c = kvstore_client::AsyncClient::connect_with(addr, &options)
            .await
            .expect("TLS");
        assert_eq!(c.set("k", "v").await.expect("set"), 1);
        assert_eq!(c.get::<String>("k").await.expect("get"), "v");
        // Larger than the socket buffers both ways.
        let mut pipe = Pipeline::new();
        let value = "w".repeat(1000);
        for i in 0..2000 {
            pipe.set(format!("key{i}"), value.as_str());
            pipe.get(format!("key{i}"));
        }
        let replies = c.run_pipeline(&pipe).await.expect("pipeline");
        assert_eq!(replies.len(), 4000);
        assert!(replies.iter().all(|r| r.is_ok()));
        let bare = ClientOptions::new().tls(TlsOptions::new().ca_cert(p("a-ca.crt")));
        let refused = match kvstore_client::AsyncClient::connect_with(addr, &bare).await {
            Ok(mut c) => c.get::<Option<String>>("k").await.map(|_| ()),
            Err(e) => Err(e),
        };
        assert!(refused.is_err(), "{refused:?}");
    });
}

/// A one-connection server that records the first request and answers it
/// with `reply`, then answers PING.
fn fake_server(
    reply: &'static str,
) -> (std::net::SocketAddr, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = std::thread::spawn(move || {
        let (sock, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(sock.try_clone().expect("clone"));
        let mut writer = sock;
        let mut read_command = || {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read");
            let n: usize = line.trim_start_matches('*').trim().parse().unwrap_or(0);
            (0..n)
                .map(|_| {
                    let mut len = String::new();
                    reader.read_line(&mut len).expect("len");
                    let mut word = String::new();
                    reader.read_line(&mut word).expect("word");
                    word.trim_end().to_string()
                })
                .collect::<Vec<_>>()
        };
        let first = read_command();
        writer.write_all(reply.as_bytes()).expect("reply");
        if reply.starts_with('+') {
            let _ = read_command();
            writer.write_all(b"+PONG\r\n").expect("pong");
        }
        first
    });
    (addr, handle)
}

#[test]
fn auth_is_sent_on_connecting() {
    let (addr, seen) = fake_server("+OK\r\n");
    let options = ClientOptions::new().auth(Some("app"), "s3cret");
    let mut c = Client::connect_with(addr, &options).expect("connect");
    assert_eq!(
        c.execute(&[Value::from("PING")]).expect("ping"),
        Value::Simple("PONG".into())
    );
    assert_eq!(seen.join().expect("server"), ["AUTH", "app", "s3cret"]);

    // The default user: AUTH with the password alone; a refusal is the
    // connect's error.
    let (addr, seen) =
        fake_server("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    let err = Client::connect_with(addr, &ClientOptions::new().auth(None, "bad")).unwrap_err();
    assert!(
        err.server_message()
            .is_some_and(|m| m.starts_with("WRONGPASS")),
        "{err:?}"
    );
    assert_eq!(seen.join().expect("server"), ["AUTH", "bad"]);
}

#[test]
fn async_client_sends_auth_too() {
    let (addr, seen) = fake_server("+OK\r\n");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let options = ClientOptions::new().auth(None, "pw");
        let mut c = kvstore_client::AsyncClient::connect_with(addr, &options)
            .await
            .expect("connect");
        c.execute(&[Value::from("PING")]).await.expect("ping");
    });
    assert_eq!(seen.join().expect("server"), ["AUTH", "pw"]);
}
