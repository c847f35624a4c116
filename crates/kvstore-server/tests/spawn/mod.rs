//! Starting the real server binary as an operator would (a config file,
//! flags, a working directory) and stopping it with a signal.

#![allow(dead_code)] // each test file uses its own subset

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running server, sent SIGTERM and waited for when dropped.
pub struct Running {
    pub child: Child,
    pub addr: SocketAddr,
}

/// Starts `kvstore-server ARGS` in `dir` and waits for its "listening" log
/// line; panics with the log if it exits first.
pub fn start(dir: &Path, args: &[&str]) -> Running {
    start_under(dir, &[], args).0
}

/// [`start`] through a wrapper program (`prlimit --nofile=…`, say): the
/// wrapper's words come first, then the server and `args`. Also returns
/// the log lines before the "listening" one.
pub fn start_under(dir: &Path, wrapper: &[&str], args: &[&str]) -> (Running, Vec<String>) {
    let server = env!("CARGO_BIN_EXE_kvstore-server");
    let mut command = match wrapper.split_first() {
        None => Command::new(server),
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(server);
            c
        }
    };
    let mut child = command
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn server");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let addr = loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("the server exited early:\n{}", seen.join("\n"));
        };
        if let Some(rest) = line.split("kvstore listening on ").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .expect("addr")
                .parse()
                .expect("addr");
        }
        seen.push(line);
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    (Running { child, addr }, seen)
}

impl Running {
    /// SIGTERM, then the exit status.
    pub fn stop(mut self) -> ExitStatus {
        self.terminate()
    }

    fn terminate(&mut self) -> ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not exit on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
