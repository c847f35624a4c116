//! Helpers for the durability tests: run the real server binary on a data
//! directory, talk to it, kill it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use kvstore_protocol::{encode_as, Decoder, Dialect, Value};

pub const BIN: &str = env!("CARGO_BIN_EXE_kvstore-server");
pub const CHECK_BIN: &str = env!("CARGO_BIN_EXE_kvstore-check");

/// A running `kvstore-server`.
pub struct Proc {
    pub child: Child,
    pub port: u16,
    /// Everything it logged so far.
    pub log: Arc<Mutex<String>>,
}

fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--port").arg("0");
    // Two workers unless the test picks its own number.
    if !args.contains(&"--threads") {
        c.arg("--threads").arg("2");
    }
    c.arg("--dir")
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

impl Proc {
    pub fn start(dir: &Path, args: &[&str]) -> Proc {
        Self::start_env(dir, args, &[])
    }

    /// Starts the server and waits for its "listening" line.
    pub fn start_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Proc {
        let mut child = command(dir, args, env)
            .spawn()
            .expect("spawn kvstore-server");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(i) = line.find("kvstore listening on ") {
                    let addr = &line[i + "kvstore listening on ".len()..];
                    let port = addr
                        .split_whitespace()
                        .next()
                        .and_then(|a| a.rsplit(':').next())
                        .and_then(|p| p.parse::<u16>().ok());
                    if let (Some(tx), Some(port)) = (tx.take(), port) {
                        let _ = tx.send(port);
                    }
                }
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let port = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(p) => p,
            Err(_) => {
                let _ = child.kill();
                panic!("server did not start: {}", log.lock().unwrap());
            }
        };
        Proc { child, port, log }
    }

    pub fn connect(&self) -> Conn {
        Conn::connect(self.port)
    }

    /// `kill -9`.
    pub fn kill9(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("wait");
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn term(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        assert!(ok.success());
        self.child.wait().expect("wait")
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(mut self, timeout: Duration) -> ExitStatus {
        let end = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("server did not exit: {}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the server expecting it to refuse to start; returns its status and log.
pub fn start_fails(dir: &Path, args: &[&str]) -> (ExitStatus, String) {
    let mut child = command(dir, args, &[]).spawn().expect("spawn");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    let status = child.wait().expect("wait");
    (status, err)
}

/// A minimal blocking client speaking the seed protocol.
pub struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    decoder: Decoder,
}

impl Conn {
    pub fn connect(port: u16) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        Conn {
            stream,
            buf: BytesMut::new(),
            decoder: Decoder::default(),
        }
    }

    /// Sends one request; `Err` if the connection fails (the server died).
    pub fn try_call(&mut self, args: Vec<Value>) -> std::io::Result<Value> {
        self.send(args)?;
        self.reply()
    }

    /// Sends one request without waiting for its reply.
    pub fn send(&mut self, args: Vec<Value>) -> std::io::Result<()> {
        let mut out = BytesMut::new();
        encode_as(&Value::Array(args), Dialect::Resp3, &mut out);
        self.stream.write_all(&out)
    }

    /// Reads the next reply.
    pub fn reply(&mut self) -> std::io::Result<Value> {
        loop {
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(v)) => return Ok(v),
                Ok(None) => {}
                Err(e) => return Err(std::io::Error::other(e)),
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = match self.stream.read(&mut chunk) {
                Ok(n) => n,
                // A signal (a child exiting) is no reason to give up.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    pub fn call(&mut self, args: Vec<Value>) -> Value {
        self.try_call(args).expect("request")
    }

    /// A request made of words.
    pub fn cmd(&mut self, words: &[&str]) -> Value {
        self.call(words.iter().map(|w| Value::from(*w)).collect())
    }

    /// The `field:value` lines of `INFO section`.
    pub fn info(&mut self, section: &str) -> Vec<(String, String)> {
        let reply = self.cmd(&["INFO", section]);
        let text = String::from_utf8(reply.as_bytes().expect("INFO is a string").to_vec())
            .expect("INFO is text");
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// One field of the `DURABILITY` reply.
    pub fn durability(&mut self, field: &str) -> i64 {
        let Value::Map(pairs) = self.cmd(&["DURABILITY"]) else {
            panic!("DURABILITY is not a map");
        };
        for (k, v) in pairs {
            if k.as_bytes() == Some(field.as_bytes()) {
                if let Value::Integer(n) = v {
                    return n;
                }
            }
        }
        panic!("no field {field}");
    }
}

/// Polls `f` until it is true or `timeout` passes.
pub fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

/// The incremental file being appended to, from the manifest.
pub fn last_incr(dir: &Path) -> std::path::PathBuf {
    let m = std::fs::read_to_string(dir.join("appendonly.aof.manifest")).expect("manifest");
    let name = m
        .lines()
        .filter_map(|l| l.strip_prefix("incr "))
        .next_back()
        .expect("an incr line");
    dir.join(name)
}

/// True if the manifest-less directory still holds an incremental file.
pub fn last_incr_exists(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|d| {
        d.flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".incr.aof"))
    })
}
