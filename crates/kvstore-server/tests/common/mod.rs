//! Helpers shared by the Redis-compatibility tests: finding external tools
//! (skipping, or failing under CI, when one is missing) and a raw protocol
//! connection that shows the exact bytes of each reply.

#![allow(dead_code)] // each test file uses its own subset

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use bytes::BytesMut;
use kvstore_protocol::{encode_command, Decoder};

/// An integer field of `INFO section`, read over a raw connection.
pub fn info_field(con: &mut Raw, section: &str, name: &str) -> u64 {
    let text = con.cmd(&["INFO", section]);
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .trim()
        .parse()
        .expect("number")
}

/// Polls `f` until it holds or `limit` passes.
pub fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

/// Runs redis-cli one-shot against `addr` (its stdout is no terminal, so
/// raw replies) and returns what it printed; a failure fails the test.
pub fn redis_cli(bin: &std::path::Path, addr: SocketAddr, args: &[&str]) -> String {
    let out = std::process::Command::new(bin)
        .args(["-h", &addr.ip().to_string(), "-p", &addr.port().to_string()])
        .args(args)
        .output()
        .expect("run redis-cli");
    assert!(out.status.success(), "redis-cli {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// True when running under CI, where every tool must be there.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Handles a missing prerequisite: fails the test under CI, otherwise says
/// clearly that the test is skipped. Returns nothing; the caller returns.
pub fn missing(what: &str) {
    if in_ci() {
        panic!("{what} not found, and CI=true: CI must install it");
    }
    // Straight to stderr, not eprintln!: the test harness captures the
    // macros' output of passing tests, and a skip must be seen.
    let _ = writeln!(std::io::stderr(), "SKIPPED: {what} not found");
}

/// The path of `name` on PATH, or `None` after [`missing`] has reported it.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        missing(name);
    }
    found
}

/// The workspace root (where `tests/python` and `deploy/` live).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A connection that writes commands and returns each reply's raw bytes.
pub struct Raw {
    stream: TcpStream,
    buf: BytesMut,
    decoder: Decoder,
}

impl Raw {
    pub fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Raw {
            stream,
            buf: BytesMut::new(),
            decoder: Decoder::default(),
        }
    }

    /// Sends raw bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Sends a command as an array of bulk strings.
    pub fn send(&mut self, args: &[&str]) {
        let mut out = BytesMut::new();
        encode_command(args.iter(), &mut out);
        self.send_raw(&out);
    }

    /// Reads one whole reply frame and returns its bytes.
    pub fn read_reply(&mut self) -> Vec<u8> {
        loop {
            if let Some(len) = self.decoder.scan(&self.buf).expect("valid reply") {
                self.decoder.reset();
                return self.buf.split_to(len).to_vec();
            }
            let mut chunk = [0u8; 16384];
            let n = self.stream.read(&mut chunk).expect("read");
            assert!(n > 0, "connection closed while waiting for a reply");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Sends a command and returns its reply as text (lossy), e.g. `":1\r\n"`.
    pub fn cmd(&mut self, args: &[&str]) -> String {
        self.send(args);
        String::from_utf8_lossy(&self.read_reply()).into_owned()
    }

    /// A second handle on the socket, for writing from another thread.
    pub fn clone_stream(&self) -> TcpStream {
        self.stream.try_clone().expect("clone the socket")
    }

    /// The socket, for reading it directly.
    pub fn into_stream(self) -> TcpStream {
        self.stream
    }

    /// True once the server has closed the connection.
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.stream.read(&mut b), Ok(0))
    }
}

/// Helpers for tests that talk through redis-rs.
pub mod rs {
    use std::net::SocketAddr;

    pub use redis::Value as R;

    /// A redis-rs connection: its handshake (CLIENT SETINFO) switches the
    /// connection to Redis replies.
    pub fn connect(addr: SocketAddr) -> redis::Connection {
        redis::Client::open(format!("redis://{addr}/"))
            .and_then(|c| c.get_connection())
            .expect("redis-rs connects")
    }

    /// Runs a command given as words; the reply as redis-rs reads it.
    pub fn q(con: &mut redis::Connection, words: &[&str]) -> redis::RedisResult<R> {
        let mut c = redis::cmd(words[0]);
        for w in &words[1..] {
            c.arg(*w);
        }
        c.query(con)
    }

    pub fn ok(con: &mut redis::Connection, words: &[&str]) -> R {
        q(con, words).unwrap_or_else(|e| panic!("{words:?} failed: {e}"))
    }

    /// INFO's `used_memory`: what the live allocations add up to.
    pub fn used_memory(con: &mut redis::Connection) -> i64 {
        let info: String = redis::cmd("INFO")
            .arg("memory")
            .query(con)
            .expect("INFO memory");
        info.lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("used_memory")
    }

    pub fn bulk(s: &str) -> R {
        R::BulkString(s.as_bytes().to_vec())
    }

    pub fn text(v: &R) -> String {
        match v {
            R::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
            R::SimpleString(s) => s.clone(),
            R::VerbatimString { text, .. } => text.clone(),
            R::Okay => "OK".to_string(),
            other => panic!("not a string: {other:?}"),
        }
    }
}
