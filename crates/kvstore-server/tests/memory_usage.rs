//! MEMORY: its subcommands and errors, and MEMORY USAGE against what keys
//! really cost (`used_memory`'s growth: the live allocations they added).
//! Alone in its binary, so that no other test's allocations move that
//! figure. tests/memory_usage_types.rs covers each type and size class.

mod common;

use common::rs::{connect, ok, q, used_memory, R};
use kvstore_server::BackgroundServer;

fn int(v: R) -> usize {
    match v {
        R::Int(n) => usize::try_from(n).expect("non-negative"),
        other => panic!("not an integer: {other:?}"),
    }
}

#[test]
fn memory_subcommands_and_usage_close_to_the_truth() {
    let server = BackgroundServer::start();
    let mut con = connect(server.addr());
    assert_eq!(ok(&mut con, &["MEMORY", "USAGE", "nokey"]), R::Nil);
    for bad in [
        &["MEMORY", "USAGE", "k", "SAMPLES"][..],
        &["MEMORY", "USAGE", "k", "SAMPLES", "-1"],
        &["MEMORY", "USAGE", "k", "FOO", "1"],
    ] {
        let e = q(&mut con, bad).expect_err("refused").to_string();
        assert!(e.contains("syntax error"), "{bad:?}: {e}");
    }
    let e = q(&mut con, &["MEMORY", "FOO"])
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("unknown subcommand 'FOO'. Try MEMORY HELP."),
        "{e}"
    );
    assert_eq!(ok(&mut con, &["MEMORY", "PURGE"]), R::Okay);
    assert!(matches!(
        ok(&mut con, &["MEMORY", "DOCTOR"]),
        R::BulkString(_)
    ));
    assert!(matches!(ok(&mut con, &["MEMORY", "HELP"]), R::Array(h) if h.len() == 14));

    // 200,000 keys of 16-byte strings: the sum of their MEMORY USAGE is
    // within 25 % of what they added to the live allocations. (Not the
    // resident size: that also holds what the allocator keeps of freed
    // blocks, such as the tables' smaller sizes before each doubling.)
    let before = used_memory(&mut con);
    const N: usize = 200_000;
    let value = "v".repeat(16);
    for chunk in 0..N / 1000 {
        let mut pipe = redis::pipe();
        for i in chunk * 1000..(chunk + 1) * 1000 {
            pipe.cmd("SET")
                .arg(format!("key:{i:08}"))
                .arg(&value)
                .ignore();
        }
        pipe.query::<()>(&mut con).expect("load");
    }
    let grown = used_memory(&mut con) - before;
    let mut reported = 0;
    for chunk in 0..N / 1000 {
        let mut pipe = redis::pipe();
        for i in chunk * 1000..(chunk + 1) * 1000 {
            pipe.cmd("MEMORY").arg("USAGE").arg(format!("key:{i:08}"));
        }
        let sizes: Vec<usize> = pipe.query(&mut con).expect("usage");
        reported += sizes.iter().sum::<usize>();
    }
    let ratio = reported as f64 / grown as f64;
    assert!(
        (0.75..=1.25).contains(&ratio),
        "MEMORY USAGE sums to {reported} bytes, the keys took {grown}: {ratio:.2}"
    );
    // A container's estimate covers its members: a big hash reports more
    // than a small one.
    ok(&mut con, &["HSET", "small", "f", "v"]);
    let mut pipe = redis::pipe();
    for i in 0..2000 {
        pipe.cmd("HSET")
            .arg("big")
            .arg(format!("field:{i}"))
            .arg("value")
            .ignore();
    }
    pipe.query::<()>(&mut con).expect("hset");
    let small = int(ok(&mut con, &["MEMORY", "USAGE", "small"]));
    let big = int(ok(&mut con, &["MEMORY", "USAGE", "big", "SAMPLES", "0"]));
    assert!(
        big > 2000 * 16 && big > 50 * small,
        "small {small}, big {big}"
    );
}
