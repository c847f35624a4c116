//! MEMORY USAGE against what keys of each type and size class really
//! cost: the sum of MEMORY USAGE over many keys of one shape, compared with
//! how much `used_memory` (live allocations, counted exactly) grew while
//! they were written. Alone in its binary, so that no other test's
//! allocations move the figure.
//!
//! `used_memory` is flushed from each thread in 64 KiB steps, so every
//! shape writes a few megabytes, and the server runs one worker thread.

mod common;

use common::rs::{connect, ok, used_memory};
use kvstore_server::{BackgroundServer, Config};

/// A shape of key: its name, how many keys, and the command that writes
/// the key of a given name.
struct Shape {
    name: &'static str,
    keys: usize,
    write: fn(&str) -> redis::Cmd,
}

fn padded(prefix: &str, i: usize, width: usize) -> String {
    format!("{prefix}{i:0width$}")
}

fn hash(key: &str, fields: usize, width: usize) -> redis::Cmd {
    let mut c = redis::cmd("HSET");
    c.arg(key);
    for j in 0..fields {
        c.arg(padded("f", j, width)).arg(padded("v", j, width));
    }
    c
}

fn many(cmd: &str, key: &str, members: usize, width: usize) -> redis::Cmd {
    let mut c = redis::cmd(cmd);
    c.arg(key);
    for j in 0..members {
        c.arg(padded("m", j, width));
    }
    c
}

fn ints(key: &str, members: usize) -> redis::Cmd {
    let mut c = redis::cmd("SADD");
    c.arg(key);
    for j in 0..members {
        c.arg(j * 7);
    }
    c
}

fn zset(key: &str, members: usize, width: usize) -> redis::Cmd {
    let mut c = redis::cmd("ZADD");
    c.arg(key);
    for j in 0..members {
        c.arg(j as f64 * 1.5).arg(padded("m", j, width));
    }
    c
}

fn set(key: &str, value: &str) -> redis::Cmd {
    let mut c = redis::cmd("SET");
    c.arg(key).arg(value);
    c
}

const SHAPES: &[Shape] = &[
    Shape {
        name: "string of 8 bytes",
        keys: 60_000,
        write: |k| set(k, "12345678x"),
    },
    Shape {
        name: "integer",
        keys: 60_000,
        write: |k| set(k, "1234567890"),
    },
    Shape {
        name: "string of 8 bytes with a TTL",
        keys: 60_000,
        write: |k| {
            let mut c = set(k, "abcdefgh");
            c.arg("EX").arg(100_000);
            c
        },
    },
    Shape {
        name: "string of 100 bytes",
        keys: 20_000,
        write: |k| set(k, &"x".repeat(100)),
    },
    Shape {
        name: "string of 5000 bytes",
        keys: 800,
        write: |k| set(k, &"x".repeat(5000)),
    },
    Shape {
        name: "hash of 10 short fields (listpack)",
        keys: 15_000,
        write: |k| hash(k, 10, 4),
    },
    Shape {
        name: "hash of 10 100-byte fields (hashtable)",
        keys: 1_200,
        write: |k| hash(k, 10, 100),
    },
    Shape {
        name: "hash of 1000 short fields (hashtable)",
        keys: 40,
        write: |k| hash(k, 1000, 4),
    },
    Shape {
        name: "list of 10 short members (listpack)",
        keys: 20_000,
        write: |k| many("RPUSH", k, 10, 4),
    },
    Shape {
        name: "list of 1000 100-byte members (quicklist)",
        keys: 40,
        write: |k| many("RPUSH", k, 1000, 100),
    },
    Shape {
        name: "set of 10 integers (intset)",
        keys: 20_000,
        write: |k| ints(k, 10),
    },
    Shape {
        name: "set of 10 short members (hashtable)",
        keys: 4_000,
        write: |k| many("SADD", k, 10, 4),
    },
    Shape {
        name: "set of 1000 100-byte members (hashtable)",
        keys: 20,
        write: |k| many("SADD", k, 1000, 100),
    },
    Shape {
        name: "sorted set of 10 short members (listpack)",
        keys: 15_000,
        write: |k| zset(k, 10, 4),
    },
    Shape {
        name: "sorted set of 10 100-byte members (skiplist)",
        keys: 2_000,
        write: |k| zset(k, 10, 100),
    },
    Shape {
        name: "sorted set of 1000 short members (skiplist)",
        keys: 40,
        write: |k| zset(k, 1000, 4),
    },
];

const BATCH: usize = 500;

#[test]
fn memory_usage_follows_what_each_type_costs() {
    let server = BackgroundServer::start_with(Config {
        threads: Some(1),
        ..Config::default()
    });
    let mut con = connect(server.addr());
    // Every command once, so that whatever a first use sets up is not
    // counted against the keys.
    for shape in SHAPES {
        (shape.write)("warm-up")
            .query::<()>(&mut con)
            .expect("warm");
        ok(&mut con, &["MEMORY", "USAGE", "warm-up"]);
        ok(&mut con, &["DEL", "warm-up"]);
    }
    let mut failures = Vec::new();
    for (db, shape) in SHAPES.iter().enumerate() {
        // A fresh database for each shape: its tables start empty, so
        // their growth is part of what the keys cost, as their share of
        // the tables is part of what MEMORY USAGE reports.
        let db = db.to_string();
        ok(&mut con, &["SELECT", &db]);
        let name = |i: usize| format!("key:{i:08}");
        let before = used_memory(&mut con);
        for start in (0..shape.keys).step_by(BATCH) {
            let mut pipe = redis::pipe();
            for i in start..(start + BATCH).min(shape.keys) {
                pipe.add_command((shape.write)(&name(i))).ignore();
            }
            pipe.query::<()>(&mut con).expect("write");
        }
        let grown = used_memory(&mut con) - before;
        let mut reported = 0i64;
        for start in (0..shape.keys).step_by(BATCH) {
            let mut pipe = redis::pipe();
            for i in start..(start + BATCH).min(shape.keys) {
                pipe.cmd("MEMORY").arg("USAGE").arg(name(i));
            }
            let sizes: Vec<i64> = pipe.query(&mut con).expect("usage");
            reported += sizes.iter().sum::<i64>();
        }
        let ratio = reported as f64 / grown as f64;
        let line = format!(
            "{}: MEMORY USAGE {} bytes a key, used_memory grew {} a key ({ratio:.2})",
            shape.name,
            reported / shape.keys as i64,
            grown / shape.keys as i64
        );
        eprintln!("{line}");
        if !(0.75..=1.25).contains(&ratio) {
            failures.push(line);
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
