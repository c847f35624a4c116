//! Codec micro-benchmarks: small commands (ops/s), large bulk values (GB/s)
//! and a 100-command pipeline. `cargo bench -p kvstore-protocol`.

use bytes::{Bytes, BytesMut};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kvstore_protocol::{encode, Decoder, Value};

fn set_command(key: &str, value: &[u8]) -> Value {
    Value::Array(vec![
        Value::from("SET"),
        Value::from(key),
        Value::Bulk(Bytes::copy_from_slice(value)),
    ])
}

fn encoded(v: &Value) -> BytesMut {
    let mut out = BytesMut::new();
    encode(v, &mut out);
    out
}

fn small_commands(c: &mut Criterion) {
    let cmd = set_command("key:000000000042", b"0123456789abcdef");
    let wire = encoded(&cmd);
    let mut g = c.benchmark_group("small_command");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decode", |b| {
        let mut d = Decoder::default();
        b.iter_batched_ref(
            || wire.clone(),
            |buf| black_box(d.decode(buf).unwrap()),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("encode", |b| {
        let mut out = BytesMut::with_capacity(128);
        b.iter(|| {
            out.clear();
            encode(black_box(&cmd), &mut out);
        })
    });
    g.finish();
}

fn bulk_values(c: &mut Criterion) {
    for (name, size) in [("4KiB", 4 << 10), ("1MiB", 1 << 20)] {
        let value = Value::Bulk(Bytes::from(vec![b'x'; size]));
        let wire = encoded(&value);
        let mut g = c.benchmark_group(format!("bulk_{name}"));
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function("decode", |b| {
            let mut d = Decoder::default();
            b.iter_batched_ref(
                || wire.clone(),
                |buf| black_box(d.decode(buf).unwrap()),
                BatchSize::SmallInput,
            )
        });
        g.bench_function("encode", |b| {
            let mut out = BytesMut::with_capacity(size + 32);
            b.iter(|| {
                out.clear();
                encode(black_box(&value), &mut out);
            })
        });
        g.finish();
    }
}

fn pipeline(c: &mut Criterion) {
    let mut wire = BytesMut::new();
    for i in 0..100 {
        encode(
            &set_command(&format!("key:{i:012}"), b"0123456789abcdef"),
            &mut wire,
        );
    }
    let mut g = c.benchmark_group("pipeline_100");
    g.throughput(Throughput::Elements(100));
    g.bench_function("decode", |b| {
        let mut d = Decoder::default();
        b.iter_batched_ref(
            || wire.clone(),
            |buf| {
                let mut n = 0;
                while let Some(v) = d.decode(buf).unwrap() {
                    black_box(v);
                    n += 1;
                }
                assert_eq!(n, 100);
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, small_commands, bulk_values, pipeline);
criterion_main!(benches);
