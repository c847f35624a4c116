//! The blocking client against a real server on an ephemeral port.

use std::collections::{BTreeMap, HashMap};

use kvstore_client::{Client, Error, Value};
use kvstore_server::BackgroundServer;

fn connect(server: &BackgroundServer) -> Client {
    Client::connect(server.addr()).unwrap()
}

#[test]
fn set_then_get_round_trips_a_string() {
    let server = BackgroundServer::start();
    let mut c = connect(&server);
    assert_eq!(c.set("k", "hello").unwrap(), 1);
    assert_eq!(c.get::<String>("k").unwrap(), "hello");
    assert_eq!(c.get::<Value>("k").unwrap(), Value::bulk("hello"));
}

#[test]
fn integers_keep_their_type() {
    let server = BackgroundServer::start();
    let mut c = connect(&server);
    c.set("n", 42).unwrap();
    assert_eq!(c.get::<Value>("n").unwrap(), Value::Integer(42));
    assert_eq!(c.get::<i64>("n").unwrap(), 42);
    c.set("u", 7u16).unwrap();
    assert_eq!(c.get::<u32>("u").unwrap(), 7);
    c.set("neg", i64::MIN).unwrap();
    assert_eq!(c.get::<i64>("neg").unwrap(), i64::MIN);
}

#[test]
fn binary_values_are_preserved() {
    let server = BackgroundServer::start();
    let mut c = connect(&server);
    let data: Vec<u8> = (0..=255).collect();
    c.set(&b"bin\x00key"[..], data.clone()).unwrap();
    assert_eq!(c.get::<Vec<u8>>(&b"bin\x00key"[..]).unwrap(), data);
}

#[test]
fn arrays_maps_and_null_keep_their_shape() {
    let server = BackgroundServer::start();
    let mut c = connect(&server);
    c.set("list", vec![vec![1, 2], vec![3]]).unwrap();
    assert_eq!(
        c.get::<Vec<Vec<i64>>>("list").unwrap(),
        vec![vec![1, 2], vec![3]]
    );

    let map = BTreeMap::from([("a".to_string(), 1i64), ("b".to_string(), 2)]);
    c.set("map", &map).unwrap();
    assert_eq!(c.get::<BTreeMap<String, i64>>("map").unwrap(), map);
    let hm: HashMap<String, i64> = c.get("map").unwrap();
    assert_eq!(hm.len(), 2);

    // An ordered dictionary built by hand comes back in the same order.
    let ordered = Value::Map(vec![
        (Value::bulk("z"), Value::Null),
        (Value::bulk("a"), Value::Array(vec![])),
    ]);
    c.set("ordered", &ordered).unwrap();
    assert_eq!(c.get::<Value>("ordered").unwrap(), ordered);

    c.set("nothing", None::<i64>).unwrap();
    assert_eq!(c.get::<Value>("nothing").unwrap(), Value::Null);
    c.set("some", Some("x")).unwrap();
    assert_eq!(
        c.get::<Option<String>>("some").unwrap().as_deref(),
        Some("x")
    );
}

#[test]
fn get_of_a_missing_key_is_none() {
    let server = BackgroundServer::start();
    let mut c = connect(&server);
    assert_eq!(c.get::<Option<i64>>("missing").unwrap(), None);
    assert_eq!(c.get::<Value>("missing").unwrap(), Value::Null);
}

#[test]
fn typed_read_of_the_wrong_type_is_a_conversion_error() {
    let server = BackgroundServer::start();
    let mut c = connect(&server);
    c.set("s", "abc").unwrap();
    match c.get::<i64>("s") {
        Err(Error::Conversion(e)) => {
            assert_eq!(e.to_string(), "cannot convert bulk string \"abc\" to i64")
        }
        other => panic!("expected a conversion error, got {other:?}"),
    }
    assert!(matches!(c.get::<i64>("missing"), Err(Error::Conversion(_))));
    // The reply was read whole, so the connection is still in step.
    assert_eq!(c.get::<String>("s").unwrap(), "abc");
}

#[test]
fn delete_reports_whether_the_key_existed() {
    let server = BackgroundServer::start();
    let mut c = connect(&server);
    c.set("k", 1).unwrap();
    assert_eq!(c.delete("k").unwrap(), 1);
    assert_eq!(c.delete("k").unwrap(), 0);
    assert_eq!(c.get::<Option<i64>>("k").unwrap(), None);
}

#[test]
fn flush_returns_the_number_of_keys_removed() {
    let server = BackgroundServer::start();
    let mut c = connect(&server);
    assert_eq!(c.flush().unwrap(), 0);
    c.mset([("a", 1), ("b", 2), ("c", 3)]).unwrap();
    assert_eq!(c.flush().unwrap(), 3);
    assert_eq!(c.get::<Option<i64>>("a").unwrap(), None);
}

#[test]
fn mset_and_mget_with_missing_keys() {
    let server = BackgroundServer::start();
    let mut c = connect(&server);
    assert_eq!(c.mset([("a", "x"), ("b", "y")]).unwrap(), 2);
    let got: Vec<Option<String>> = c.mget(["a", "missing", "b"]).unwrap();
    assert_eq!(got, [Some("x".into()), None, Some("y".into())]);
    let mixed = vec![("i", Value::Integer(1)), ("l", Value::Array(vec![]))];
    assert_eq!(c.mset(mixed).unwrap(), 2);
    let raw: Vec<Option<Value>> = c.mget(vec!["i", "l", "zz"]).unwrap();
    assert_eq!(
        raw,
        [Some(Value::Integer(1)), Some(Value::Array(vec![])), None]
    );
}

#[test]
fn execute_sends_raw_commands() {
    let server = BackgroundServer::start();
    let mut c = connect(&server);
    let reply = c
        .execute(&[Value::from("SET"), Value::from("k"), Value::Integer(5)])
        .unwrap();
    assert_eq!(reply, Value::Integer(1));
    let reply = c.execute(&[Value::from("GET"), Value::from("k")]).unwrap();
    assert_eq!(reply, Value::Integer(5));
}

#[test]
fn server_error_carries_the_message_and_keeps_the_connection() {
    let server = BackgroundServer::start();
    let mut c = connect(&server);
    let err = c.execute(&[Value::from("NOSUCHCOMMAND")]).unwrap_err();
    match &err {
        Error::Server(msg) => assert!(msg.starts_with("ERR unknown command"), "{msg}"),
        other => panic!("expected a server error, got {other:?}"),
    }
    assert!(!err.is_connection_error());
    // A key of the wrong type is refused by the server, not the client.
    let err = c.get::<Value>(vec![1, 2]).unwrap_err();
    assert!(err.server_message().is_some(), "{err:?}");
    assert_eq!(c.set("still", "works").unwrap(), 1);
}

#[test]
fn out_of_range_argument_is_refused_before_sending() {
    let server = BackgroundServer::start();
    let mut c = connect(&server);
    assert!(matches!(c.set("k", u64::MAX), Err(Error::Conversion(_))));
    assert_eq!(c.get::<Option<Value>>("k").unwrap(), None);
}

#[test]
fn default_address_is_31337() {
    assert_eq!(kvstore_client::DEFAULT_ADDR, "127.0.0.1:31337");
}
