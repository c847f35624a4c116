//! `LATENCY HISTOGRAM` and `INFO latencystats` over TCP: per-command
//! latency distributions, as Redis 7 reports them, and their settings.

mod common;

use common::Raw;
use kvstore_server::BackgroundServer;

fn redis(addr: std::net::SocketAddr) -> Raw {
    let mut c = Raw::connect(addr);
    c.send(&["HELLO", "2"]);
    c.read_reply();
    c
}

/// The integers of a flat RESP2 reply, in order.
fn integers(reply: &str) -> Vec<i64> {
    reply
        .split("\r\n")
        .filter_map(|l| l.strip_prefix(':'))
        .filter_map(|n| n.parse().ok())
        .collect()
}

#[test]
fn histograms_count_every_call_cumulatively() {
    let server = BackgroundServer::start();
    let mut c = redis(server.addr());
    for _ in 0..20 {
        c.cmd(&["INCR", "n"]);
    }
    c.cmd(&["LPUSH", "l", "x"]);
    let reply = c.cmd(&["LATENCY", "HISTOGRAM", "incr", "nosuch"]);
    assert!(
        reply.starts_with(
            "*2\r\n$4\r\nincr\r\n*4\r\n$5\r\ncalls\r\n:20\r\n$14\r\nhistogram_usec\r\n"
        ),
        "{reply}"
    );
    // Buckets double from 1 µs; the counts grow to all 20 calls.
    let ints = integers(&reply);
    let (buckets, counts): (Vec<i64>, Vec<i64>) = ints[1..].chunks(2).map(|p| (p[0], p[1])).unzip();
    assert!(buckets.windows(2).all(|w| w[0] < w[1]), "{reply}");
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{reply}");
    assert_eq!(counts.last(), Some(&20), "{reply}");
    // No names: every command that ran.
    let all = c.cmd(&["LATENCY", "HISTOGRAM"]);
    for name in ["incr", "lpush", "latency"] {
        assert!(
            all.contains(&format!("${}\r\n{name}\r\n", name.len())),
            "{all}"
        );
    }
    // RESP3: maps.
    c.cmd(&["HELLO", "3"]);
    let r3 = c.cmd(&["LATENCY", "HISTOGRAM", "lpush"]);
    assert!(
        r3.starts_with(
            "%1\r\n$5\r\nlpush\r\n%2\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n%1\r\n"
        ),
        "{r3}"
    );
    // RESETSTAT empties them.
    c.cmd(&["CONFIG", "RESETSTAT"]);
    assert_eq!(c.cmd(&["LATENCY", "HISTOGRAM", "incr"]), "%0\r\n");
}

#[test]
fn info_latencystats_shows_the_configured_percentiles() {
    let server = BackgroundServer::start();
    let mut c = redis(server.addr());
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["GET", "k"]);
    let info = c.cmd(&["INFO", "latencystats"]);
    let line = info
        .lines()
        .find(|l| l.starts_with("latency_percentiles_usec_set:"))
        .unwrap_or_else(|| panic!("{info}"));
    let fields: Vec<&str> = line.split(':').nth(1).unwrap_or("").split(',').collect();
    assert_eq!(fields.len(), 3, "{line}");
    for (f, p) in fields.iter().zip(["p50=", "p99=", "p99.9="]) {
        let v: f64 = f
            .strip_prefix(p)
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1.0);
        assert!(v > 0.0, "{line}");
    }
    // Not in the default INFO, as in Redis; in INFO all.
    assert!(!c.cmd(&["INFO"]).contains("# Latencystats"));
    assert!(c.cmd(&["INFO", "all"]).contains("# Latencystats"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "latency-tracking-info-percentiles", "50 101"]),
        "-ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]\r\n"
    );
    c.cmd(&["CONFIG", "SET", "latency-tracking-info-percentiles", "90"]);
    let info = c.cmd(&["INFO", "latencystats"]);
    assert!(info.contains("latency_percentiles_usec_get:p90="), "{info}");
    // Off: nothing more is recorded.
    c.cmd(&["CONFIG", "SET", "latency-tracking", "no"]);
    c.cmd(&["CONFIG", "RESETSTAT"]);
    c.cmd(&["GET", "k"]);
    assert!(!c.cmd(&["INFO", "latencystats"]).contains("usec_get"));
}
