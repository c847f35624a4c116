//! Load generator for transactions, which redis-benchmark cannot send:
//! each of `--clients` connections sends pipelines of `--pipeline`
//! transactions `MULTI; SET tx:<n> <16 bytes>; INCR txcount:<n>; EXEC` and
//! reads every reply, for `--seconds`. Prints transactions per second.
//! Any error reply stops it. Used by bench/compare-redis.
//!
//! `cargo run --release --example multi_load -- --port 6379`

mod common;

use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::command;
use kvstore_protocol::{Decoder, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Args {
    port: u16,
    clients: usize,
    pipeline: usize,
    seconds: f64,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        port: 6379,
        clients: 50,
        pipeline: 1,
        seconds: 5.0,
    };
    common::parse_flags(|flag, value| {
        match flag {
            "--port" => a.port = value.parse().map_err(|_| ())?,
            "--clients" => a.clients = value.parse().map_err(|_| ())?,
            "--pipeline" => a.pipeline = value.parse().map_err(|_| ())?,
            "--seconds" => a.seconds = value.parse().map_err(|_| ())?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(a)
}

/// One connection's loop: transactions completed until `until`.
async fn client(port: u16, id: usize, pipeline: usize, until: Instant) -> Result<u64, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut batch = Vec::new();
    for i in 0..pipeline {
        let key = format!("tx:{id}:{i}");
        let counter = format!("txcount:{id}:{i}");
        command(&mut batch, &[b"MULTI"]);
        command(&mut batch, &[b"SET", key.as_bytes(), b"0123456789abcdef"]);
        command(&mut batch, &[b"INCR", counter.as_bytes()]);
        command(&mut batch, &[b"EXEC"]);
    }
    let mut decoder = Decoder::default();
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut done = 0u64;
    while Instant::now() < until {
        s.write_all(&batch).await.map_err(|e| e.to_string())?;
        // MULTI's +OK, two +QUEUED and EXEC's array, per transaction.
        let mut replies = 0;
        while replies < pipeline * 4 {
            match decoder.decode(&mut buf).map_err(|e| e.to_string())? {
                Some(Value::Error(e)) => return Err(String::from_utf8_lossy(&e).into_owned()),
                Some(_) => replies += 1,
                None => {
                    if s.read_buf(&mut buf).await.map_err(|e| e.to_string())? == 0 {
                        return Err("server closed the connection".into());
                    }
                }
            }
        }
        done += pipeline as u64;
    }
    Ok(done)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("multi_load: {e}");
            std::process::exit(2);
        }
    };
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(a.seconds);
    let tasks: Vec<_> = (0..a.clients)
        .map(|id| tokio::spawn(client(a.port, id, a.pipeline, until)))
        .collect();
    let mut total = 0;
    for t in tasks {
        match t.await {
            Ok(Ok(n)) => total += n,
            Ok(Err(e)) => {
                eprintln!("multi_load: {e}");
                std::process::exit(1);
            }
            Err(e) => {
                eprintln!("multi_load: {e}");
                std::process::exit(1);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{total} {secs:.3} {:.0}", total as f64 / secs);
}
