//! Property: any sequence of commands, logged to the AOF and replayed into
//! a fresh server, gives the same keyspace, value types included.

use bytes::BytesMut;
use kvstore_protocol::{encode_as, Dialect, Value};
use kvstore_server::cmd::{self, Ctx};
use kvstore_server::config::{AppendFsync, ReplyMode};
use kvstore_server::state::Session;
use kvstore_server::{BackgroundServer, Config};
use proptest::prelude::*;

fn key() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0..6u8).prop_map(|i| Value::from(format!("k{i}"))),
        (0..3i64).prop_map(Value::Integer),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Integer),
        "[a-z0-9]{0,6}".prop_map(Value::from),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(Value::from),
        any::<f64>().prop_map(Value::Double),
        any::<bool>().prop_map(Value::Boolean),
        Just(Value::Null),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec((scalar(), inner), 0..3).prop_map(Value::Map),
        ]
    })
}

fn word(w: &str) -> Value {
    Value::from(w)
}

/// Requests, writes mostly, some failing, and now and then a rewrite.
fn request() -> impl Strategy<Value = Vec<Value>> {
    prop_oneof![
        4 => (key(), value()).prop_map(|(k, v)| vec![word("SET"), k, v]),
        1 => (key(), value(), key(), value())
            .prop_map(|(a, x, b, y)| vec![word("MSET"), a, x, b, y]),
        1 => key().prop_map(|k| vec![word("DEL"), k]),
        1 => key().prop_map(|k| vec![word("DELETE"), k]),
        2 => key().prop_map(|k| vec![word("INCR"), k]),
        1 => (key(), any::<i32>()).prop_map(|(k, n)| vec![word("INCRBY"), k, Value::Integer(n.into())]),
        1 => (key(), "[a-z]{1,3}").prop_map(|(k, s)| vec![word("APPEND"), k, Value::from(s)]),
        1 => (key(), value()).prop_map(|(k, v)| vec![word("SETNX"), k, v]),
        1 => (key(), value()).prop_map(|(k, v)| vec![word("GETSET"), k, v]),
        1 => (key(), key()).prop_map(|(a, b)| vec![word("RENAME"), a, b]),
        1 => Just(vec![word("FLUSH")]),
        // Databases and deadlines: long ones (nothing expires during a
        // case) and ones already past (the key goes at once).
        1 => (0..3i64).prop_map(|d| vec![word("SELECT"), Value::Integer(d)]),
        1 => (key(), value(), 100..100_000i64)
            .prop_map(|(k, v, s)| vec![word("SET"), k, v, word("EX"), Value::Integer(s)]),
        1 => (key(), -5..100_000i64).prop_map(|(k, s)| vec![word("EXPIRE"), k, Value::Integer(s)]),
        1 => (key(), 1..100_000i64).prop_map(|(k, s)| vec![word("EXPIRE"), k, Value::Integer(s), word("GT")]),
        1 => key().prop_map(|k| vec![word("PERSIST"), k]),
        1 => (key(), 0..3i64).prop_map(|(k, d)| vec![word("MOVE"), k, Value::Integer(d)]),
        1 => (key(), key()).prop_map(|(a, b)| vec![word("COPY"), a, b, word("REPLACE")]),
        1 => (0..3i64, 0..3i64).prop_map(|(a, b)| vec![word("SWAPDB"), Value::Integer(a), Value::Integer(b)]),
        1 => Just(vec![word("BGREWRITEAOF")]),
    ]
}

type Entry = (usize, Vec<u8>, Vec<u8>, Option<u64>);

/// The keyspace as sorted (database, key, encoded value, deadline) tuples
/// (encoded, so that NaN compares equal to itself).
fn keyspace(server: &BackgroundServer) -> Vec<Entry> {
    let snap = server.shared().keyspace.snapshot();
    let mut out: Vec<_> = snap
        .records()
        .map(|(db, r)| {
            let mut buf = BytesMut::new();
            encode_as(&r.value(), Dialect::Resp3, &mut buf);
            (db, r.key().to_vec(), buf.to_vec(), r.deadline())
        })
        .collect();
    out.sort();
    out
}

fn config(dir: &std::path::Path) -> Config {
    Config {
        appendonly: true,
        appendfsync: AppendFsync::No,
        dir: dir.to_path_buf(),
        threads: Some(1),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn replaying_the_log_rebuilds_the_same_keyspace(
        requests in prop::collection::vec(request(), 1..40)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let live = BackgroundServer::start_with(config(dir.path()));
        let mut session = Session::new(1, live.addr(), ReplyMode::Seed);
        for req in requests {
            let mut ctx = Ctx::new(live.shared(), &mut session);
            cmd::execute(&mut ctx, Value::Array(req));
        }
        let expected = keyspace(&live);
        drop(live); // stops the server: the log is flushed and fsynced
        let replayed = BackgroundServer::start_with(config(dir.path()));
        prop_assert_eq!(keyspace(&replayed), expected);
    }
}
