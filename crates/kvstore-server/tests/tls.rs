//! TLS over real TCP: with and without client certificates, a plain client
//! on the TLS port, certificates reloaded by CONFIG SET, TLS-only
//! listening, and redis-cli, redis-py and redis-rs as clients. Every certificate is
//! made here, at test time.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use kvstore_protocol::{encode_command, Decoder};
use kvstore_server::config::TlsAuthClients;
use kvstore_server::{BackgroundServer, Config};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

/// A CA and what it signed, written as PEM files into a temporary dir.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn file(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

/// A CA named `name`, and a server certificate (localhost, 127.0.0.1) and
/// a client certificate it signed: `NAME-ca.crt`, `NAME-server.crt`,
/// `NAME-server.key`, `NAME-client.crt`, `NAME-client.key`.
fn issue(dir: &Path, name: &str) {
    let ca_key = KeyPair::generate().expect("key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, format!("kvstore test CA {name}"));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
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
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} {who}"));
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &ca_cert, &ca_key).expect("sign");
        std::fs::write(dir.join(format!("{name}-{who}.crt")), cert.pem()).expect("write");
        std::fs::write(dir.join(format!("{name}-{who}.key")), key.serialize_pem()).expect("write");
    }
}

/// Two unrelated CAs, `a` and `b`, each with a server and a client.
fn pki() -> Pki {
    let dir = tempfile::tempdir().expect("tempdir");
    issue(dir.path(), "a");
    issue(dir.path(), "b");
    Pki { dir }
}

/// A server with plain TCP and TLS, serving CA `a`'s server certificate
/// and checking client certificates against CA `a`.
fn server(pki: &Pki, auth: TlsAuthClients) -> BackgroundServer {
    BackgroundServer::start_with(Config {
        tls_port: 1,
        tls_cert_file: pki.file("a-server.crt"),
        tls_key_file: pki.file("a-server.key"),
        tls_ca_cert_file: pki.file("a-ca.crt"),
        tls_auth_clients: auth,
        ..Config::default()
    })
}

/// A TLS client connection that sends commands and reads raw replies.
struct Tls {
    stream: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
    buf: BytesMut,
    decoder: Decoder,
}

/// Connects trusting `ca`, showing `client` (certificate, key) if given,
/// and completes the handshake.
fn connect(addr: SocketAddr, ca: &Path, client: Option<(&Path, &Path)>) -> std::io::Result<Tls> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).expect("CA file") {
        roots.add(cert.expect("CA cert")).expect("add CA");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let config = match client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let certs = CertificateDer::pem_file_iter(cert)
                .expect("cert file")
                .collect::<Result<Vec<_>, _>>()
                .expect("certs");
            let key = PrivateKeyDer::from_pem_file(key).expect("key");
            builder
                .with_client_auth_cert(certs, key)
                .expect("client auth")
        }
    };
    let name = ServerName::try_from("localhost").expect("name");
    let conn = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
    let sock = TcpStream::connect(addr)?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut stream = rustls::StreamOwned::new(conn, sock);
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(Tls {
        stream,
        buf: BytesMut::new(),
        decoder: Decoder::default(),
    })
}

impl Tls {
    fn send(&mut self, args: &[&str]) -> std::io::Result<()> {
        let mut out = BytesMut::new();
        encode_command(args.iter(), &mut out);
        self.stream.write_all(&out)?;
        self.stream.flush()
    }

    fn read_reply(&mut self) -> std::io::Result<String> {
        loop {
            if let Some(len) = self.decoder.scan(&self.buf).expect("valid reply") {
                self.decoder.reset();
                return Ok(String::from_utf8_lossy(&self.buf.split_to(len)).into_owned());
            }
            let mut chunk = [0u8; 16384];
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn cmd(&mut self, args: &[&str]) -> std::io::Result<String> {
        self.send(args)?;
        self.read_reply()
    }
}

/// PING over a new TLS connection: `Ok("+PONG\r\n")` or why not. A server
/// that refuses a client certificate says so only after a TLS 1.3 client
/// thinks the handshake done, so the refusal may come at the first read.
fn ping(addr: SocketAddr, ca: &Path, client: Option<(&Path, &Path)>) -> std::io::Result<String> {
    connect(addr, ca, client)?.cmd(&["PING"])
}

#[test]
fn tls_without_client_certificates_serves_every_path() {
    let pki = pki();
    let server = server(&pki, TlsAuthClients::No);
    let tls = server.tls_addr().expect("TLS on");
    assert_ne!(tls, server.addr());
    let mut c = connect(tls, &pki.path("a-ca.crt"), None).expect("handshake");
    assert_eq!(c.cmd(&["PING"]).expect("ping"), "+PONG\r\n");
    // The GET/SET shortcut, pipelined in one write.
    let mut out = BytesMut::new();
    encode_command(["SET", "k", "v"].iter(), &mut out);
    encode_command(["GET", "k"].iter(), &mut out);
    encode_command(["GET", "missing"].iter(), &mut out);
    c.stream.write_all(&out).expect("write");
    assert_eq!(c.read_reply().expect("set"), ":1\r\n");
    assert_eq!(c.read_reply().expect("get"), "$1\r\nv\r\n");
    assert_eq!(c.read_reply().expect("get"), "$-1\r\n");
    // A large value crosses several TLS records both ways.
    let big = "x".repeat(300_000);
    assert_eq!(c.cmd(&["SET", "big", &big]).expect("set"), ":1\r\n");
    let reply = c.cmd(&["GET", "big"]).expect("get");
    assert_eq!(reply.len(), big.len() + "$300000\r\n\r\n".len());
    // The plain port sees the same data.
    let mut plain = common::Raw::connect(server.addr());
    assert_eq!(plain.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    // Pub/sub: a TLS subscriber gets what a plain client publishes.
    let mut sub = connect(tls, &pki.path("a-ca.crt"), None).expect("handshake");
    sub.cmd(&["SUBSCRIBE", "news"]).expect("subscribe");
    let deadline = Instant::now() + Duration::from_secs(10);
    while plain.cmd(&["PUBLISH", "news", "hello"]) != ":1\r\n" {
        assert!(Instant::now() < deadline, "the subscriber never counted");
    }
    let message = sub.read_reply().expect("message");
    assert!(
        message.ends_with("$4\r\nnews\r\n$5\r\nhello\r\n"),
        "{message}"
    );
    // A blocked pop on TLS, woken by a push on plain TCP.
    let mut waiter = connect(tls, &pki.path("a-ca.crt"), None).expect("handshake");
    waiter.send(&["BLPOP", "queue", "10"]).expect("blpop");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !plain
        .cmd(&["INFO", "clients"])
        .contains("blocked_clients:1")
    {
        assert!(Instant::now() < deadline, "the pop never blocked");
    }
    plain.cmd(&["RPUSH", "queue", "job"]);
    let popped = waiter.read_reply().expect("popped");
    assert!(popped.ends_with("$5\r\nqueue\r\n$3\r\njob\r\n"), "{popped}");
    drop(waiter);
    // CLIENT LIST shows the TLS connection's descriptor like any other.
    let list = plain.cmd(&["CLIENT", "LIST"]);
    assert!(list.matches("fd=").count() >= 3, "{list}");
    assert!(!list.contains("fd=-1"), "{list}");
}

#[test]
fn client_certificates_required_by_default() {
    let pki = pki();
    let server = server(&pki, TlsAuthClients::Yes);
    let tls = server.tls_addr().expect("TLS on");
    let ca = pki.path("a-ca.crt");
    let (cert, key) = (pki.path("a-client.crt"), pki.path("a-client.key"));
    assert_eq!(
        ping(tls, &ca, Some((&cert, &key))).expect("with a certificate"),
        "+PONG\r\n"
    );
    assert!(ping(tls, &ca, None).is_err(), "no certificate let in");
    // A certificate from a CA the server does not trust is no better.
    let (other, other_key) = (pki.path("b-client.crt"), pki.path("b-client.key"));
    assert!(ping(tls, &ca, Some((&other, &other_key))).is_err());
    // The refusals cost nothing: the server goes on serving.
    assert_eq!(
        ping(tls, &ca, Some((&cert, &key))).expect("again"),
        "+PONG\r\n"
    );
    let mut plain = common::Raw::connect(server.addr());
    assert_eq!(
        plain
            .cmd(&["CONFIG", "GET", "tls-auth-clients"])
            .lines()
            .last(),
        Some("yes")
    );
}

#[test]
fn optional_client_certificates_are_checked_when_shown() {
    let pki = pki();
    let server = server(&pki, TlsAuthClients::Optional);
    let tls = server.tls_addr().expect("TLS on");
    let ca = pki.path("a-ca.crt");
    assert_eq!(ping(tls, &ca, None).expect("none"), "+PONG\r\n");
    let (cert, key) = (pki.path("a-client.crt"), pki.path("a-client.key"));
    assert_eq!(
        ping(tls, &ca, Some((&cert, &key))).expect("good"),
        "+PONG\r\n"
    );
    let (other, other_key) = (pki.path("b-client.crt"), pki.path("b-client.key"));
    assert!(ping(tls, &ca, Some((&other, &other_key))).is_err());
}

#[test]
fn a_plain_client_on_the_tls_port_is_dropped_and_the_server_serves_on() {
    let pki = pki();
    let server = server(&pki, TlsAuthClients::No);
    let tls = server.tls_addr().expect("TLS on");
    for _ in 0..20 {
        let mut raw = TcpStream::connect(tls).expect("connect");
        raw.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        raw.write_all(b"*1\r\n$4\r\nPING\r\n").expect("write");
        let mut got = Vec::new();
        // Whatever comes back (a TLS alert at most) ends in a close, and
        // is never a reply.
        let _ = raw.read_to_end(&mut got);
        assert!(!got.starts_with(b"+PONG"), "{got:?}");
    }
    assert_eq!(
        ping(tls, &pki.path("a-ca.crt"), None).expect("TLS still served"),
        "+PONG\r\n"
    );
    let mut plain = common::Raw::connect(server.addr());
    assert_eq!(plain.cmd(&["PING"]), "+PONG\r\n");
}

/// A client that connects to the TLS port and says nothing is let go once
/// the handshake's time is up (10 s), rather than holding its slot.
#[test]
fn a_silent_client_is_dropped_after_the_handshake_timeout() {
    let pki = pki();
    let server = server(&pki, TlsAuthClients::No);
    let tls = server.tls_addr().expect("TLS on");
    let mut silent = TcpStream::connect(tls).expect("connect");
    silent
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut plain = common::Raw::connect(server.addr());
    let counted = |plain: &mut common::Raw| {
        let info = plain.cmd(&["INFO", "clients"]);
        info.lines()
            .find_map(|l| l.strip_prefix("connected_clients:"))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .expect("connected_clients")
    };
    // The silent client holds a slot while it may still shake hands.
    let deadline = Instant::now() + Duration::from_secs(5);
    while counted(&mut plain) != 2 {
        assert!(Instant::now() < deadline, "the silent client never counted");
    }
    let mut byte = [0u8; 1];
    // The server closes it: end of stream (or a reset), not our timeout.
    match silent.read(&mut byte) {
        Ok(0) => {}
        Err(e) => assert_ne!(e.kind(), std::io::ErrorKind::WouldBlock, "never dropped"),
        Ok(_) => panic!("the server sent something to a client that never said hello"),
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while counted(&mut plain) != 1 {
        assert!(Instant::now() < deadline, "the slot never came back");
    }
}

/// A TLS subscriber that stops reading is cut off at its output limit,
/// and its connection really ends (TLS's goodbye cannot hold it open).
#[test]
fn a_tls_subscriber_that_stops_reading_is_cut_off() {
    let pki = pki();
    let server = server(&pki, TlsAuthClients::No);
    let tls = server.tls_addr().expect("TLS on");
    let mut plain = common::Raw::connect(server.addr());
    assert_eq!(
        plain.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 65536 0 0"
        ]),
        "+OK\r\n"
    );
    let mut sub = connect(tls, &pki.path("a-ca.crt"), None).expect("handshake");
    sub.cmd(&["SUBSCRIBE", "firehose"]).expect("subscribe");
    let clients = |plain: &mut common::Raw| {
        plain
            .cmd(&["INFO", "clients"])
            .lines()
            .find_map(|l| l.strip_prefix("connected_clients:"))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .expect("connected_clients")
    };
    // Each message under the limit: the cut comes once the socket is full.
    let big = "m".repeat(8_000);
    let deadline = Instant::now() + Duration::from_secs(30);
    while plain.cmd(&["PUBLISH", "firehose", &big]) != ":0\r\n" {
        assert!(
            Instant::now() < deadline,
            "the subscriber was never cut off"
        );
    }
    while clients(&mut plain) != 1 {
        assert!(
            Instant::now() < deadline,
            "the cut-off subscriber's connection lingers"
        );
    }
    drop(sub);
}

#[test]
fn certificates_reload_on_config_set_without_dropping_connections() {
    let pki = pki();
    let server = server(&pki, TlsAuthClients::No);
    let tls = server.tls_addr().expect("TLS on");
    let (ca_a, ca_b) = (pki.path("a-ca.crt"), pki.path("b-ca.crt"));
    let mut old = connect(tls, &ca_a, None).expect("handshake");
    assert_eq!(old.cmd(&["SET", "k", "1"]).expect("set"), ":1\r\n");
    // A file that is not there: refused with Redis's text, nothing changed.
    let reply = old
        .cmd(&["CONFIG", "SET", "tls-cert-file", "/nonexistent/cert.pem"])
        .expect("reply");
    assert_eq!(
        reply,
        "-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - \
         Unable to update TLS configuration. Check server logs.\r\n"
    );
    let reply = old.cmd(&["CONFIG", "GET", "tls-cert-file"]).expect("reply");
    assert!(reply.contains("a-server.crt"), "{reply}");
    // The certificate and key of CA b, together.
    let reply = old
        .cmd(&[
            "CONFIG",
            "SET",
            "tls-cert-file",
            &pki.file("b-server.crt"),
            "tls-key-file",
            &pki.file("b-server.key"),
        ])
        .expect("reply");
    assert_eq!(reply, "+OK\r\n");
    // The connection made with the old certificate goes on.
    assert_eq!(old.cmd(&["GET", "k"]).expect("get"), "$1\r\n1\r\n");
    // New ones get the new certificate: trusted through b, not a.
    assert_eq!(ping(tls, &ca_b, None).expect("new cert"), "+PONG\r\n");
    assert!(
        ping(tls, &ca_a, None).is_err(),
        "old certificate still served"
    );
    // A key that does not match the certificate is refused.
    let reply = old
        .cmd(&["CONFIG", "SET", "tls-key-file", &pki.file("a-server.key")])
        .expect("reply");
    assert!(reply.starts_with("-ERR CONFIG SET failed"), "{reply}");
    assert_eq!(ping(tls, &ca_b, None).expect("kept"), "+PONG\r\n");
    // Turning client certificates on applies to new connections.
    let reply = old
        .cmd(&["CONFIG", "SET", "tls-auth-clients", "yes"])
        .expect("reply");
    assert_eq!(reply, "+OK\r\n");
    assert!(
        ping(tls, &ca_b, None).is_err(),
        "a client without a certificate"
    );
    let (cert, key) = (pki.path("a-client.crt"), pki.path("a-client.key"));
    assert_eq!(
        ping(tls, &ca_b, Some((&cert, &key))).expect("with"),
        "+PONG\r\n"
    );
    assert_eq!(old.cmd(&["PING"]).expect("old"), "+PONG\r\n");
}

#[test]
fn tls_settings_in_config_get_and_their_errors() {
    let pki = pki();
    let server = server(&pki, TlsAuthClients::No);
    let mut c = common::Raw::connect(server.addr());
    let port = server.tls_addr().expect("TLS").port().to_string();
    assert!(c
        .cmd(&["CONFIG", "GET", "tls-port"])
        .ends_with(&format!("{port}\r\n")));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "tls-auth-clients", "maybe"]),
        "-ERR CONFIG SET failed (possibly related to argument 'tls-auth-clients') - \
         argument(s) must be one of the following: no, yes, optional\r\n"
    );
    assert!(c
        .cmd(&["CONFIG", "SET", "tls-port", "7000"])
        .contains("can't set immutable config"));
    for bad in [
        ["tls-protocols", "TLSv1.1"],
        ["tls-ciphersuites", "BOGUS"],
        ["tls-ciphers", "HIGH:!aNULL"],
    ] {
        let reply = c.cmd(&["CONFIG", "SET", bad[0], bad[1]]);
        assert!(
            reply.contains("Unable to update TLS configuration"),
            "{bad:?}: {reply}"
        );
    }
    // Only TLS 1.3, with one suite: a TLS 1.3 client still gets in.
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "tls-protocols",
            "TLSv1.3",
            "tls-ciphersuites",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]),
        "+OK\r\n"
    );
    let tls = server.tls_addr().expect("TLS");
    assert_eq!(
        ping(tls, &pki.path("a-ca.crt"), None).expect("1.3"),
        "+PONG\r\n"
    );
}

/// The binary with `--port 0 --tls-port N`: TLS only, as Redis.
#[test]
fn port_zero_beside_a_tls_port_listens_for_tls_only() {
    use std::io::BufRead;
    let pki = pki();
    // A free port: taken from the OS, then let go for the server.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
        .to_string();
    /// Killed however the test ends.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvstore-server"))
        .args([
            "--port",
            "0",
            "--tls-port",
            &port,
            "--tls-cert-file",
            &pki.file("a-server.crt"),
            "--tls-key-file",
            &pki.file("a-server.key"),
            "--tls-auth-clients",
            "no",
        ])
        .current_dir(pki.dir.path())
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map(Kill)
        .expect("spawn");
    let stderr = child.0.stderr.take().expect("stderr");
    let mut lines = std::io::BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let addr: SocketAddr = loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("the server exited early:\n{}", seen.join("\n"));
        };
        assert!(!line.contains("kvstore listening on"), "{line}");
        if let Some(rest) = line.split("kvstore listening for TLS on ").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .and_then(|a| a.parse().ok())
                .expect("addr");
        }
        seen.push(line);
    };
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    let mut c = connect(addr, &pki.path("a-ca.crt"), None).expect("handshake");
    let reply = c.cmd(&["CONFIG", "GET", "port"]).expect("reply");
    assert!(reply.ends_with("$1\r\n0\r\n"), "{reply}");
    drop(child);
}

#[test]
fn redis_cli_over_tls_with_and_without_a_client_certificate() {
    let Some(bin) = common::tool("redis-cli") else {
        return;
    };
    let pki = pki();
    for auth in [TlsAuthClients::Yes, TlsAuthClients::No] {
        let server = server(&pki, auth);
        let tls = server.tls_addr().expect("TLS");
        let run = |extra: &[String]| {
            let mut args = vec![
                "-h".to_string(),
                tls.ip().to_string(),
                "-p".to_string(),
                tls.port().to_string(),
                "--tls".to_string(),
                "--cacert".to_string(),
                pki.file("a-ca.crt"),
            ];
            args.extend_from_slice(extra);
            args.extend(["SET", "greeting", "hi"].map(String::from));
            Command::new(&bin).args(&args).output().expect("redis-cli")
        };
        let with_cert = run(&[
            "--cert".to_string(),
            pki.file("a-client.crt"),
            "--key".to_string(),
            pki.file("a-client.key"),
        ]);
        assert_eq!(
            String::from_utf8_lossy(&with_cert.stdout).trim(),
            "1",
            "{with_cert:?}"
        );
        let without = run(&[]);
        let text = String::from_utf8_lossy(&without.stdout).trim().to_string();
        match auth {
            TlsAuthClients::No => assert_eq!(text, "1", "{without:?}"),
            _ => assert_ne!(text, "1", "{without:?}"),
        }
    }
}

#[test]
fn redis_rs_over_tls_with_and_without_a_client_certificate() {
    let pki = pki();
    let server = server(&pki, TlsAuthClients::Yes);
    let url = format!(
        "rediss://127.0.0.1:{}/",
        server.tls_addr().expect("TLS").port()
    );
    let read = |name: &str| std::fs::read(pki.path(name)).expect("read");
    let with_cert = redis::Client::build_with_tls(
        url.as_str(),
        redis::TlsCertificates {
            client_tls: Some(redis::ClientTlsConfig {
                client_cert: read("a-client.crt"),
                client_key: read("a-client.key"),
            }),
            root_cert: Some(read("a-ca.crt")),
        },
    )
    .expect("client");
    let mut con = with_cert.get_connection().expect("TLS connection");
    let reply: redis::Value = redis::cmd("SET")
        .arg("rs")
        .arg("tls")
        .query(&mut con)
        .expect("set");
    assert_eq!(reply, redis::Value::Okay);
    let value: String = redis::cmd("GET").arg("rs").query(&mut con).expect("get");
    assert_eq!(value, "tls");
    let bare = redis::Client::build_with_tls(
        url.as_str(),
        redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(read("a-ca.crt")),
        },
    )
    .expect("client");
    let refused = bare
        .get_connection()
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
    assert!(refused.is_err(), "{refused:?}");
}

#[test]
fn redis_py_over_tls_with_and_without_a_client_certificate() {
    let Some(python) = std::env::var_os("KVSTORE_PYTHON").filter(|p| !p.is_empty()) else {
        common::missing("KVSTORE_PYTHON (a Python with redis)");
        return;
    };
    let pki = pki();
    let script = r#"
import sys, redis
port, ca, cert, key, want_cert = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "yes"
with_cert = redis.Redis(host="localhost", port=int(port), ssl=True, ssl_ca_certs=ca,
                        ssl_certfile=cert, ssl_keyfile=key, protocol=3)
with_cert.set("py", "tls")
assert with_cert.get("py") == b"tls", with_cert.get("py")
p = with_cert.pubsub()
p.subscribe("ch")
assert p.get_message(timeout=5)["type"] == "subscribe"
with_cert.publish("ch", "m")
msg = p.get_message(timeout=5)
assert msg["data"] == b"m", msg
bare = redis.Redis(host="localhost", port=int(port), ssl=True, ssl_ca_certs=ca)
try:
    ok = bare.ping()
except (redis.exceptions.ConnectionError, OSError):
    ok = False
assert ok != want_cert, ("without a certificate", ok)
print("ok")
"#;
    for (auth, want) in [(TlsAuthClients::Yes, "yes"), (TlsAuthClients::No, "no")] {
        let server = server(&pki, auth);
        let tls = server.tls_addr().expect("TLS");
        let out = Command::new(&python)
            .arg("-c")
            .arg(script)
            .arg(tls.port().to_string())
            .arg(pki.file("a-ca.crt"))
            .arg(pki.file("a-client.crt"))
            .arg(pki.file("a-client.key"))
            .arg(want)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {python:?}: {e}"));
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok"),
            "redis-py, tls-auth-clients {want}: {out:?}"
        );
    }
}
