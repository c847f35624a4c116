//! The standard Prometheus exporter for Redis (Debian's
//! `prometheus-redis-exporter`) scraping kvstore: the metrics a Redis
//! dashboard reads come out right, and the exporter reports no scrape
//! error. Skipped with a message when the exporter is not installed; under
//! CI (CI=true) a missing exporter fails instead.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{tool, Raw};
use kvstore_server::BackgroundServer;

/// The exporter process, killed when the test ends however it ends.
struct Exporter(Child);

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// One plain HTTP/1.0 GET; the body, or `None` while nothing listens yet.
fn http_get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    Some(body.to_string())
}

/// The value of the sample whose name and labels are exactly `series`
/// (`redis_up`, `redis_commands_total{cmd="set"}`).
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .unwrap_or_else(|| panic!("no {series} in:\n{metrics}"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{series}: {e}"))
}

/// The sum of every sample of the metric `name`, whatever its labels.
fn sum_of(metrics: &str, name: &str) -> f64 {
    let prefix = format!("{name}{{");
    metrics
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[test]
fn the_redis_exporter_scrapes_kvstore_without_error() {
    let Some(bin) = tool("prometheus-redis-exporter") else {
        return;
    };
    let server = BackgroundServer::start();
    let mut c = Raw::connect(server.addr());
    for i in 0..5 {
        assert_eq!(c.cmd(&["SET", &format!("k{i}"), "v"]), ":1\r\n");
    }
    // A value big enough that used memory must show it.
    let big = "x".repeat(32 << 20);
    assert_eq!(c.cmd(&["SET", "big", &big]), ":1\r\n");
    drop(big);
    assert_eq!(c.cmd(&["SELECT", "3"]), "+OK\r\n");
    assert_eq!(c.cmd(&["SET", "other", "v", "EX", "100"]), ":1\r\n");
    assert_eq!(c.cmd(&["GET", "k1"]), "$-1\r\n", "database 3 has no k1");
    assert!(c
        .cmd(&["NOSUCHCOMMAND"])
        .starts_with("-ERR unknown command"));

    let web: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let _exporter = Exporter(
        Command::new(bin)
            .arg(format!("--redis.addr=redis://{}", server.addr()))
            .arg(format!("--web.listen-address={web}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the exporter"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        if let Some(body) = http_get(web, "/metrics") {
            break body;
        }
        assert!(Instant::now() < deadline, "the exporter never answered");
        std::thread::sleep(Duration::from_millis(50));
    };

    // Its own verdict on the scrape: the error gauge carries the message
    // as a label, empty when there was none.
    assert_eq!(
        sample(&metrics, "redis_exporter_last_scrape_error{err=\"\"}"),
        0.0
    );
    assert_eq!(sample(&metrics, "redis_up"), 1.0);
    // This test's connection and the exporter's own.
    assert_eq!(sample(&metrics, "redis_connected_clients"), 2.0);
    assert_eq!(sample(&metrics, "redis_commands_total{cmd=\"set\"}"), 7.0);
    assert_eq!(sample(&metrics, "redis_commands_total{cmd=\"get\"}"), 1.0);
    assert_eq!(
        sample(&metrics, "redis_commands_total{cmd=\"select\"}"),
        1.0
    );
    // Every processed command is in exactly one command's count.
    let processed = sample(&metrics, "redis_commands_processed_total");
    assert!(processed >= 9.0, "{processed}");
    assert_eq!(processed, sum_of(&metrics, "redis_commands_total"));
    assert_eq!(sample(&metrics, "redis_db_keys{db=\"db0\"}"), 6.0);
    assert_eq!(sample(&metrics, "redis_db_keys{db=\"db3\"}"), 1.0);
    assert_eq!(sample(&metrics, "redis_db_keys_expiring{db=\"db3\"}"), 1.0);
    assert_eq!(sample(&metrics, "redis_db_keys{db=\"db1\"}"), 0.0);
    let used = sample(&metrics, "redis_memory_used_bytes");
    assert!(used >= f64::from(32u32 << 20), "{used}");
    assert!(used <= sample(&metrics, "redis_memory_used_peak_bytes"));
    assert_eq!(
        sample(&metrics, "redis_errors_total{err=\"ERR\"}"),
        1.0,
        "the unknown command, from INFO errorstats"
    );
    assert!(sample(&metrics, "redis_cpu_user_seconds_total") >= 0.0);
    assert!(sample(&metrics, "redis_cpu_sys_seconds_total") >= 0.0);
    // The version kvstore follows, as dashboards show it.
    assert!(
        metrics.contains("redis_version=\"7.0.15\""),
        "{}",
        metrics
            .lines()
            .find(|l| l.starts_with("redis_instance_info"))
            .unwrap_or("no redis_instance_info")
    );
}

/// `total_commands_processed` (the exporter's
/// `redis_commands_processed_total`) counts what ran, as Redis's does: a
/// request refused before it ran (unknown, wrong arity) is in
/// `rejected_calls` and the error counts only.
#[test]
fn refused_requests_are_not_processed_commands() {
    let server = BackgroundServer::start();
    let mut c = Raw::connect(server.addr());
    let processed = |c: &mut Raw| -> u64 {
        let info = c.cmd(&["INFO", "stats"]);
        info.lines()
            .find_map(|l| l.strip_prefix("total_commands_processed:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{info}"))
    };
    let before = processed(&mut c);
    assert!(c.cmd(&["NOSUCH"]).starts_with("-ERR unknown command"));
    assert!(c
        .cmd(&["GET"])
        .starts_with("-ERR wrong number of arguments"));
    assert_eq!(c.cmd(&["SET", "k", "v"]), ":1\r\n");
    // The INFO before and the SET, not the two refused.
    assert_eq!(processed(&mut c), before + 2);
    let stats = c.cmd(&["INFO", "commandstats"]);
    assert!(
        stats.contains(
            "cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0"
        ),
        "{stats}"
    );
}

/// The sections `INFO` shows, in Redis 7.0.15's order and spelling, and
/// `INFO cpu`'s figures, which the exporter turns into
/// `redis_cpu_{sys,user}_seconds_total`.
#[test]
fn info_sections_in_redis_order_with_cpu() {
    let server = BackgroundServer::start();
    let mut c = Raw::connect(server.addr());
    let titles = |c: &mut Raw, args: &[&str]| -> Vec<String> {
        c.cmd(args)
            .lines()
            .filter_map(|l| l.strip_prefix("# ").map(str::to_string))
            .collect()
    };
    assert_eq!(
        titles(&mut c, &["INFO"]),
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace"
        ]
    );
    let everything = titles(&mut c, &["INFO", "everything"]);
    assert_eq!(everything[7..10], ["Modules", "Commandstats", "Errorstats"]);
    let cpu = c.cmd(&["INFO", "cpu"]);
    let fields: Vec<&str> = cpu
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .filter(|f| !f.is_empty())
        .collect();
    assert_eq!(
        fields,
        [
            "used_cpu_sys",
            "used_cpu_user",
            "used_cpu_sys_children",
            "used_cpu_user_children",
            "used_cpu_sys_main_thread",
            "used_cpu_user_main_thread"
        ],
        "{cpu}"
    );
    for line in cpu.lines().skip(2).filter(|l| l.contains(':')) {
        let value = line.split(':').nth(1).unwrap_or_default().trim();
        let (whole, frac) = value.split_once('.').unwrap_or_else(|| panic!("{line}"));
        assert!(
            whole.parse::<u64>().is_ok() && frac.len() == 6 && frac.parse::<u32>().is_ok(),
            "{line}"
        );
    }
}
