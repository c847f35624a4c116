//! Sorted-set operations on sets of 1,000, 100,000 and 1,000,000 members:
//! ZADD (a new member, then removed again so the size stays put), ZRANK,
//! and ZRANGEBYSCORE … LIMIT 0 10 from a random score. O(log n) shows as a
//! time per operation that grows by a small constant step for each 100×
//! more members, not 100×. `cargo bench -p kvstore-server --bench zset_scaling`.

mod common;

use common::Walk;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use kvstore_server::keyspace::object::ZSet;

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

fn member(i: usize) -> Vec<u8> {
    format!("member:{i:08}").into_bytes()
}

/// A sorted set of `n` members with scores 0..n in a scrambled insertion
/// order, as a real workload would build it.
fn filled(n: usize) -> ZSet {
    let mut z = ZSet::new();
    for k in 0..n {
        let i = (k * 7_919) % n;
        z.insert(&member(i), i as f64);
    }
    z
}

fn scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("zset");
    g.sample_size(30);
    for n in SIZES {
        let mut z = filled(n);
        let members: Vec<Vec<u8>> = (0..n).map(member).collect();
        g.bench_with_input(BenchmarkId::new("ZADD new member", n), &n, |b, _| {
            let mut w = Walk(1);
            b.iter(|| {
                let score = w.next(n) as f64 + 0.5;
                z.insert(b"newcomer", score);
                black_box(z.remove(b"newcomer"));
            })
        });
        g.bench_with_input(BenchmarkId::new("ZRANK", n), &n, |b, _| {
            let mut w = Walk(2);
            b.iter(|| black_box(z.rank(&members[w.next(n)], false)))
        });
        g.bench_with_input(
            BenchmarkId::new("ZRANGEBYSCORE LIMIT 0 10", n),
            &n,
            |b, _| {
                let mut w = Walk(3);
                b.iter(|| {
                    let from = w.next(n) as f64;
                    black_box(z.walk_from(from, false).take(10).count())
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, scaling);
criterion_main!(benches);
