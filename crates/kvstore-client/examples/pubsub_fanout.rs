//! Load generator for Pub/Sub fan-out, which redis-benchmark cannot
//! measure: `--subscribers` connections SUBSCRIBE to one channel, and one
//! publisher pipelines `PUBLISH bench:fanout <payload>` in batches of
//! `--pipeline` for `--seconds`. Prints messages published and delivered
//! per second. Used by bench/compare-redis.
//!
//! Every message frame has the same length, so a subscriber counts what
//! it received by bytes alone, and the client's own CPU stays small next
//! to the server's. The publisher keeps at most `--window` messages ahead
//! of the slowest subscriber, so the servers' output buffers stay bounded
//! and every message published is delivered.
//!
//! `cargo run --release --example pubsub_fanout -- --port 6379 --subscribers 10`

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::command;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CHANNEL: &[u8] = b"bench:fanout";

struct Args {
    port: u16,
    subscribers: usize,
    pipeline: usize,
    seconds: f64,
    payload: usize,
    window: u64,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        port: 6379,
        subscribers: 1,
        pipeline: 16,
        seconds: 5.0,
        payload: 16,
        window: 4096,
    };
    common::parse_flags(|flag, value| {
        match flag {
            "--port" => a.port = value.parse().map_err(|_| ())?,
            "--subscribers" => a.subscribers = value.parse().map_err(|_| ())?,
            "--pipeline" => a.pipeline = value.parse().map_err(|_| ())?,
            "--seconds" => a.seconds = value.parse().map_err(|_| ())?,
            "--payload" => a.payload = value.parse().map_err(|_| ())?,
            "--window" => a.window = value.parse().map_err(|_| ())?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    if a.subscribers == 0 || a.pipeline == 0 {
        return Err("--subscribers and --pipeline must be at least 1".into());
    }
    Ok(a)
}

/// The bytes of one message frame as a RESP2 subscriber receives it.
fn message_len(payload: usize) -> u64 {
    let mut f = Vec::new();
    command(&mut f, &[b"message", CHANNEL, &vec![b'x'; payload]]);
    f.len() as u64
}

/// Connects with Redis replies (HELLO 2), so both servers send the same
/// bytes.
async fn connect(port: u16) -> Result<TcpStream, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut hello = Vec::new();
    command(&mut hello, &[b"HELLO", b"2"]);
    s.write_all(&hello).await.map_err(|e| e.to_string())?;
    // HELLO's reply is a flat array: read until its last field, `modules`
    // with its empty array.
    read_until(&mut s, b"modules\r\n*0\r\n").await?;
    Ok(s)
}

async fn read_until(s: &mut TcpStream, end: &[u8]) -> Result<(), String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(end.len()).any(|w| w == end) {
        let n = s.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        got.extend_from_slice(&buf[..n]);
    }
    Ok(())
}

/// One subscriber: counts message bytes into `received` until `stop`.
async fn subscriber(
    port: u16,
    received: Arc<AtomicU64>,
    ready: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> Result<(), String> {
    let mut s = connect(port).await?;
    let mut sub = Vec::new();
    command(&mut sub, &[b"SUBSCRIBE", CHANNEL]);
    s.write_all(&sub).await.map_err(|e| e.to_string())?;
    read_until(&mut s, b":1\r\n").await?;
    ready.fetch_add(1, Ordering::AcqRel);
    let mut buf = vec![0u8; 256 * 1024];
    while !stop.load(Ordering::Acquire) {
        let read = tokio::time::timeout(Duration::from_millis(100), s.read(&mut buf)).await;
        match read {
            Ok(Ok(0)) => return Err("a subscriber was disconnected".into()),
            Ok(Ok(n)) => {
                received.fetch_add(n as u64, Ordering::Relaxed);
            }
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => {}
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("pubsub_fanout: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(a).await {
        eprintln!("pubsub_fanout: {e}");
        std::process::exit(1);
    }
}

async fn run(a: Args) -> Result<(), String> {
    let frame = message_len(a.payload);
    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(AtomicU64::new(0));
    let counters: Vec<Arc<AtomicU64>> = (0..a.subscribers)
        .map(|_| Arc::new(AtomicU64::new(0)))
        .collect();
    let mut tasks = Vec::new();
    for c in &counters {
        tasks.push(tokio::spawn(subscriber(
            a.port,
            Arc::clone(c),
            Arc::clone(&ready),
            Arc::clone(&stop),
        )));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while ready.load(Ordering::Acquire) < a.subscribers as u64 {
        if Instant::now() > deadline {
            return Err("subscribers did not all subscribe in 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut p = connect(a.port).await?;
    let payload = vec![b'x'; a.payload];
    let mut batch = Vec::new();
    for _ in 0..a.pipeline {
        command(&mut batch, &[b"PUBLISH", CHANNEL, &payload]);
    }
    // Each reply is `:<subscribers>\r\n`.
    let reply_len = format!(":{}\r\n", a.subscribers).len() * a.pipeline;
    let slowest = |counters: &[Arc<AtomicU64>]| {
        counters
            .iter()
            .map(|c| c.load(Ordering::Relaxed) / frame)
            .min()
            .unwrap_or(0)
    };
    let began = Instant::now();
    let until = began + Duration::from_secs_f64(a.seconds);
    let mut published = 0u64;
    let mut replies = vec![0u8; reply_len];
    while Instant::now() < until {
        while published.saturating_sub(slowest(&counters)) > a.window {
            tokio::task::yield_now().await;
        }
        p.write_all(&batch).await.map_err(|e| e.to_string())?;
        p.read_exact(&mut replies)
            .await
            .map_err(|e| e.to_string())?;
        if !replies.starts_with(format!(":{}\r\n", a.subscribers).as_bytes()) {
            return Err(format!(
                "unexpected PUBLISH reply: {}",
                String::from_utf8_lossy(&replies[..replies.len().min(64)])
            ));
        }
        published += a.pipeline as u64;
    }
    // Every message published is delivered: wait for the last of them.
    let deadline = Instant::now() + Duration::from_secs(60);
    while slowest(&counters) < published {
        if Instant::now() > deadline {
            return Err("messages were lost".into());
        }
        tokio::task::yield_now().await;
    }
    let elapsed = began.elapsed().as_secs_f64();
    stop.store(true, Ordering::Release);
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    let delivered = published * a.subscribers as u64;
    println!(
        "published={published} delivered={delivered} seconds={elapsed:.3} \
         published_per_sec={:.0} delivered_per_sec={:.0}",
        published as f64 / elapsed,
        delivered as f64 / elapsed
    );
    Ok(())
}
