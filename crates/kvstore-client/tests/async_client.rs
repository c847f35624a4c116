//! The async client against a real server.

use std::collections::BTreeMap;

use kvstore_client::{AsyncClient, Error, Value};
use kvstore_server::{BackgroundServer, Config, ReplyMode};

#[tokio::test]
async fn every_method() {
    let server = BackgroundServer::start();
    let mut c = AsyncClient::connect(server.addr()).await.unwrap();
    assert_eq!(c.set("s", "text").await.unwrap(), 1);
    assert_eq!(c.get::<String>("s").await.unwrap(), "text");
    c.set("n", -5).await.unwrap();
    assert_eq!(c.get::<i64>("n").await.unwrap(), -5);
    c.set("m", BTreeMap::from([("k", vec![1])])).await.unwrap();
    assert_eq!(
        c.get::<Value>("m").await.unwrap(),
        Value::Map(vec![(
            Value::bulk("k"),
            Value::Array(vec![Value::Integer(1)])
        )])
    );
    assert_eq!(c.get::<Option<String>>("nope").await.unwrap(), None);
    assert_eq!(c.mset([("a", 1), ("b", 2)]).await.unwrap(), 2);
    let got: Vec<Option<i64>> = c.mget(["a", "x", "b"]).await.unwrap();
    assert_eq!(got, [Some(1), None, Some(2)]);
    assert_eq!(c.delete("a").await.unwrap(), 1);
    assert_eq!(c.delete("a").await.unwrap(), 0);
    let raw = c
        .execute(&[Value::from("GET"), Value::from("b")])
        .await
        .unwrap();
    assert_eq!(raw, Value::Integer(2));
    assert_eq!(c.flush().await.unwrap(), 4);
}

#[tokio::test]
async fn async_errors_are_typed() {
    let server = BackgroundServer::start();
    let mut c = AsyncClient::connect(server.addr()).await.unwrap();
    let err = c
        .execute(&[Value::from("NOSUCHCOMMAND")])
        .await
        .unwrap_err();
    assert!(err.server_message().unwrap().contains("unknown command"));
    c.set("s", "abc").await.unwrap();
    assert!(matches!(c.get::<i64>("s").await, Err(Error::Conversion(_))));
    assert_eq!(c.get::<String>("s").await.unwrap(), "abc");
}

#[tokio::test]
async fn cancelled_command_breaks_the_connection() {
    // A peer that accepts and never answers, so the command is still in
    // flight when it is abandoned.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut c = AsyncClient::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let fut = c.get::<Value>("k");
    let first = tokio::time::timeout(std::time::Duration::from_millis(50), fut).await;
    assert!(first.is_err(), "{first:?}");
    assert!(matches!(c.get::<Value>("k").await, Err(Error::Broken)));
    drop(listener);
}

#[test]
fn redis_style_ok_replies_are_understood() {
    let server = BackgroundServer::start_with(Config {
        reply_mode: ReplyMode::Redis,
        ..Config::default()
    });
    let mut c = kvstore_client::Client::connect(server.addr()).unwrap();
    assert_eq!(c.set("a", "1").unwrap(), 1);
    assert_eq!(c.mset([("b", "2"), ("c", "3")]).unwrap(), 2);
    assert_eq!(c.get::<i64>("a").unwrap(), 1);
}
