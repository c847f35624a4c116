//! redis-cli and redis-benchmark (Debian's redis-tools) against kvstore.
//! Skipped with a message when the tools are not installed; under CI
//! (CI=true) a missing tool fails instead.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use common::{redis_cli as cli, tool, Raw};
use kvstore_server::BackgroundServer;

#[test]
fn redis_cli_one_shot_commands() {
    let Some(bin) = tool("redis-cli") else { return };
    let server = BackgroundServer::start();
    let a = server.addr();
    assert_eq!(cli(&bin, a, &["ping"]), "PONG\n");
    // redis-cli sends no handshake: a one-shot SET gets the seed's reply...
    assert_eq!(cli(&bin, a, &["set", "greeting", "hello world"]), "1\n");
    // ...unless it says HELLO (-3), which makes it a Redis connection.
    assert_eq!(
        cli(&bin, a, &["-3", "set", "greeting", "hello world"]),
        "OK\n"
    );
    assert_eq!(cli(&bin, a, &["get", "greeting"]), "hello world\n");
    assert_eq!(cli(&bin, a, &["-3", "get", "nothing"]), "\n");
    assert_eq!(cli(&bin, a, &["incr", "visits"]), "1\n");
    assert_eq!(cli(&bin, a, &["incrby", "visits", "9"]), "10\n");
    assert_eq!(cli(&bin, a, &["append", "greeting", "!"]), "12\n");
    assert_eq!(cli(&bin, a, &["strlen", "greeting"]), "12\n");
    assert_eq!(cli(&bin, a, &["type", "visits"]), "string\n");
    assert_eq!(
        cli(&bin, a, &["exists", "greeting", "visits", "nope"]),
        "2\n"
    );
    assert_eq!(cli(&bin, a, &["dbsize"]), "2\n");
    let mut keys: Vec<String> = cli(&bin, a, &["keys", "*"])
        .lines()
        .map(String::from)
        .collect();
    keys.sort();
    assert_eq!(keys, ["greeting", "visits"]);
    // --scan drives SCAN to the end.
    assert_eq!(cli(&bin, a, &["--scan", "--pattern", "vis*"]), "visits\n");
    assert_eq!(
        cli(&bin, a, &["config", "get", "appendonly"]),
        "appendonly\nno\n"
    );
    let info = cli(&bin, a, &["info", "server"]);
    assert!(info.contains(&format!("tcp_port:{}", a.port())), "{info}");
    assert_eq!(
        cli(&bin, a, &["select", "16"]),
        "ERR DB index is out of range\n\n"
    );
    assert_eq!(
        cli(&bin, a, &["-n", "3", "set", "k", "v", "ex", "10"]),
        "1\n"
    );
    assert_eq!(cli(&bin, a, &["-n", "3", "ttl", "k"]), "10\n");
    assert_eq!(cli(&bin, a, &["ttl", "k"]), "-2\n", "database 0 has no k");
    assert_eq!(cli(&bin, a, &["del", "greeting", "visits"]), "2\n");
    assert_eq!(cli(&bin, a, &["flushall"]), "OK\n");
}

#[test]
fn redis_cli_reading_commands_from_stdin_uses_command_docs() {
    let Some(bin) = tool("redis-cli") else { return };
    let server = BackgroundServer::start();
    let a = server.addr();
    // Reading from stdin, redis-cli first asks COMMAND DOCS (and aborts on
    // an assertion if the reply is malformed), then runs each line.
    let mut child = Command::new(&bin)
        .args(["-p", &a.port().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn redis-cli");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"set a 1\nincr a\nget a\nclient setname me\nclient getname\n")
        .expect("write");
    let out = child.wait_with_output().expect("redis-cli");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n2\n2\nOK\nme\n");
}

/// The server binary, as a user would start it; stopped on drop.
struct Binary {
    child: Child,
    addr: SocketAddr,
}

impl Binary {
    fn start(args: &[&str]) -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kvstore-server"))
            .args(["--port", "0"])
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kvstore-server");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .expect("read log");
            if let Some(rest) = line.split("kvstore listening on ").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or_default();
                break addr.parse().expect("address in the log line");
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Binary { child, addr }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn redis_cli_against_the_binary_in_redis_mode() {
    let Some(bin) = tool("redis-cli") else { return };
    let server = Binary::start(&["--reply-mode", "redis"]);
    let a = server.addr;
    assert_eq!(cli(&bin, a, &["set", "k", "v"]), "OK\n");
    assert_eq!(cli(&bin, a, &["mset", "a", "1", "b", "2"]), "OK\n");
    assert_eq!(cli(&bin, a, &["incr", "a"]), "2\n");
    assert_eq!(cli(&bin, a, &["get", "a"]), "2\n");
    assert_eq!(
        cli(&bin, a, &["config", "get", "reply-mode"]),
        "reply-mode\nredis\n"
    );
}

#[test]
fn redis_benchmark_default_tests_complete_and_write_keys() {
    let Some(bench) = tool("redis-benchmark") else {
        return;
    };
    let server = BackgroundServer::start();
    let a = server.addr();
    let out = Command::new(&bench)
        .args(["-h", &a.ip().to_string(), "-p", &a.port().to_string()])
        .args(["-t", "ping,set,get,incr,mset", "-n", "20000", "-q"])
        .output()
        .expect("run redis-benchmark");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // -q prints one "TEST: N requests per second" line per test; progress
    // lines are separated by carriage returns.
    let results: Vec<&str> = stdout
        .split(['\r', '\n'])
        .filter(|l| l.contains("requests per second"))
        .collect();
    eprintln!("{}", results.join("\n"));
    for test in [
        "PING_INLINE",
        "PING_MBULK",
        "SET",
        "GET",
        "INCR",
        "MSET (10 keys)",
    ] {
        assert!(
            results.iter().any(|l| l.starts_with(&format!("{test}:"))),
            "{test} missing:\n{stdout}"
        );
    }
    let all = format!("{stdout}{stderr}");
    assert!(!all.contains("ERR"), "errors reported:\n{all}");
    assert!(!all.contains("WARNING"), "warnings reported:\n{all}");

    // The writes really happened. Without -r the key names are literal;
    // INCR ran exactly -n times on its counter.
    let mut raw = Raw::connect(a);
    assert_eq!(raw.cmd(&["GET", "counter:__rand_int__"]), ":20000\r\n");
    assert_eq!(raw.cmd(&["STRLEN", "key:__rand_int__"]), ":3\r\n");

    // With -r, __rand_int__ becomes a 12-digit number: "key:000000004242".
    let out = Command::new(&bench)
        .args(["-h", &a.ip().to_string(), "-p", &a.port().to_string()])
        .args(["-t", "set", "-n", "2000", "-r", "1000000", "-q"])
        .output()
        .expect("run redis-benchmark -r");
    assert!(out.status.success(), "{out:?}");
    let reply = raw.cmd(&[
        "KEYS",
        "key:[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]",
    ]);
    let n: usize = reply
        .strip_prefix('*')
        .and_then(|r| r.split("\r\n").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bad KEYS reply {reply}"));
    // 2000 random picks out of a million: nearly all distinct.
    assert!(n > 1900, "only {n} random keys written");
}
