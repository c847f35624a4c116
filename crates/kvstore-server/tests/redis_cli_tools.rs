//! redis-cli's operator tools against kvstore: `--bigkeys`, `--memkeys`,
//! `--latency`, `--stat` and `MONITOR`, as an operator runs them. Skipped
//! (with a note) where redis-cli is not installed; CI installs it.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{redis_cli as cli, tool, Raw};
use kvstore_server::BackgroundServer;

/// A redis-cli that runs until killed, its output lines read by a thread
/// so that a test waits for them with a deadline.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(bin: &Path, addr: SocketAddr, args: &[&str]) -> Running {
        // redis-cli buffers its output when it is not a terminal: stdbuf
        // makes it write each line.
        let mut child = Command::new("stdbuf")
            .arg("-oL")
            .arg(bin)
            .args(["-h", &addr.ip().to_string(), "-p", &addr.port().to_string()])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("run redis-cli");
        let out = BufReader::new(child.stdout.take().expect("stdout"));
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Running { child, lines }
    }

    /// The next line, failing after 10 s without one.
    fn line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(10))
            .expect("a line from redis-cli within 10 s")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fill(addr: SocketAddr) {
    let mut c = Raw::connect(addr);
    c.cmd(&["HELLO", "2"]);
    c.cmd(&["SET", "big", &"x".repeat(300)]);
    c.cmd(&["SET", "small", "x"]);
    c.cmd(&["RPUSH", "l", "a", "b", "c"]);
    c.cmd(&["HSET", "h", "f", "v", "g", "w"]);
    c.cmd(&["SADD", "s", "1", "2", "3", "4"]);
    c.cmd(&["ZADD", "z", "1", "a", "2", "b"]);
}

#[test]
fn bigkeys_and_memkeys_find_the_biggest_of_each_type() {
    let Some(bin) = tool("redis-cli") else { return };
    let server = BackgroundServer::start();
    fill(server.addr());
    let out = cli(&bin, server.addr(), &["--bigkeys"]);
    for line in [
        "Sampled 6 keys in the keyspace!",
        "Biggest   list found '\"l\"' has 3 items",
        "Biggest   hash found '\"h\"' has 2 fields",
        "Biggest string found '\"big\"' has 300 bytes",
        "Biggest    set found '\"s\"' has 4 members",
        "Biggest   zset found '\"z\"' has 2 members",
    ] {
        assert!(out.contains(line), "no {line:?} in:\n{out}");
    }
    let out = cli(&bin, server.addr(), &["--memkeys"]);
    assert!(out.contains("Biggest string found '\"big\"' has "), "{out}");
    assert!(out.contains("2 strings with "), "{out}");
    assert!(out.contains("1 zsets with "), "{out}");
}

#[test]
fn latency_prints_its_samples() {
    let Some(bin) = tool("redis-cli") else { return };
    let server = BackgroundServer::start();
    // With --raw, redis-cli samples for a second, prints "min max avg
    // samples" and exits.
    let out = cli(&bin, server.addr(), &["--latency", "--raw"]);
    let fields: Vec<f64> = out
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    assert_eq!(fields.len(), 4, "{out}");
    assert!(fields[3] > 0.0, "no samples: {out}");
}

#[test]
fn stat_shows_keys_and_requests() {
    let Some(bin) = tool("redis-cli") else { return };
    if tool("stdbuf").is_none() {
        return;
    }
    let server = BackgroundServer::start();
    fill(server.addr());
    let cli = Running::start(&bin, server.addr(), &["--stat", "-i", "0.1"]);
    let lines: Vec<String> = (0..3).map(|_| cli.line()).collect();
    assert!(
        lines[0].contains("data") && lines[0].contains("load"),
        "{lines:?}"
    );
    // The first sample: 6 keys, one client (redis-cli itself).
    let sample: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(sample.first(), Some(&"6"), "{lines:?}");
    assert_eq!(sample.get(2), Some(&"1"), "{lines:?}");
}

#[test]
fn monitor_shows_other_clients_commands() {
    let Some(bin) = tool("redis-cli") else { return };
    if tool("stdbuf").is_none() {
        return;
    }
    let server = BackgroundServer::start();
    let cli = Running::start(&bin, server.addr(), &["monitor"]);
    assert_eq!(cli.line(), "OK");
    let mut c = Raw::connect(server.addr());
    c.cmd(&["HELLO", "2"]);
    c.cmd(&["SET", "mk", "with space"]);
    c.cmd(&["GET", "mk"]);
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l.contains("\"GET\"")) {
        match cli.lines.recv_timeout(Duration::from_secs(10)) {
            Ok(l) => seen.push(l),
            Err(_) => panic!("no GET in {seen:?}"),
        }
    }
    let set = seen
        .iter()
        .find(|l| l.contains("\"SET\""))
        .unwrap_or_else(|| panic!("{seen:?}"));
    // As the client spelled it, quoted as Redis quotes it.
    assert!(set.ends_with("\"SET\" \"mk\" \"with space\""), "{set}");
    assert!(set.contains(" [0 127.0.0.1:"), "{set}");
}
