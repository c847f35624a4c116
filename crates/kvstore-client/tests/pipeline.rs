//! Pipelines on both clients.

use kvstore_client::{AsyncClient, Client, Error, Pipeline, Value};
use kvstore_server::BackgroundServer;

fn sample() -> Pipeline {
    let mut p = Pipeline::new();
    p.set("a", 1)
        .set("b", "two")
        .get("a")
        .mget(["a", "b", "c"])
        .cmd(&[Value::from("NOSUCHCOMMAND")])
        .delete("a")
        .mset([("x", 1), ("y", 2)])
        .flush();
    p
}

fn check(replies: Vec<Result<Value, Error>>) {
    assert_eq!(replies.len(), 8);
    assert_eq!(replies[0].as_ref().unwrap(), &Value::Integer(1));
    assert_eq!(replies[2].as_ref().unwrap(), &Value::Integer(1));
    assert_eq!(
        replies[3].as_ref().unwrap(),
        &Value::Array(vec![Value::Integer(1), Value::bulk("two"), Value::Null])
    );
    // One failing command does not hide the replies after it.
    assert!(replies[4].as_ref().unwrap_err().server_message().is_some());
    assert_eq!(replies[5].as_ref().unwrap(), &Value::Integer(1));
    assert_eq!(replies[6].as_ref().unwrap(), &Value::Integer(2));
    assert_eq!(replies[7].as_ref().unwrap(), &Value::Integer(3));
}

#[test]
fn blocking_pipeline_returns_every_reply_in_order() {
    let server = BackgroundServer::start();
    let mut c = Client::connect(server.addr()).unwrap();
    check(c.run_pipeline(&sample()).unwrap());
    assert_eq!(c.get::<Option<i64>>("x").unwrap(), None);
}

#[test]
fn large_pipeline() {
    let server = BackgroundServer::start();
    let mut c = Client::connect(server.addr()).unwrap();
    let mut p = Pipeline::new();
    for i in 0..5000i64 {
        p.set(format!("k{i}"), i);
    }
    let replies = c.run_pipeline(&p).unwrap();
    assert!(replies.iter().all(|r| matches!(r, Ok(Value::Integer(1)))));
    assert_eq!(c.get::<i64>("k4999").unwrap(), 4999);
    assert!(c.run_pipeline(&Pipeline::new()).unwrap().is_empty());
}

#[test]
fn conversion_error_in_pipeline_sends_nothing() {
    let server = BackgroundServer::start();
    let mut c = Client::connect(server.addr()).unwrap();
    let mut p = Pipeline::new();
    p.set("a", 1).set("b", u128::MAX);
    assert!(matches!(c.run_pipeline(&p), Err(Error::Conversion(_))));
    assert_eq!(c.get::<Option<i64>>("a").unwrap(), None);
}

#[tokio::test]
async fn async_pipeline_returns_every_reply_in_order() {
    let server = BackgroundServer::start();
    let mut c = AsyncClient::connect(server.addr()).await.unwrap();
    check(c.run_pipeline(&sample()).await.unwrap());
}

/// A pipeline whose request and replies both outgrow the socket buffers:
/// the server stops reading while its reply write is blocked, so a client
/// that writes every request before reading any reply would wait forever.
/// Long keys make the request (~10 MB) too big to sit in the socket
/// buffers, which Linux grows to a few MB; the timeouts turn a regression
/// into a failure instead of a hang.
const BIG_VALUE: usize = 4 * 1024;
const BIG_GETS: usize = 10_000;

fn big_pipeline_options() -> kvstore_client::ClientOptions {
    let limit = Some(std::time::Duration::from_secs(10));
    kvstore_client::ClientOptions::new()
        .read_timeout(limit)
        .write_timeout(limit)
}

fn big_pipeline() -> (String, Pipeline) {
    let key = "k".repeat(1000);
    let mut p = Pipeline::new();
    for _ in 0..BIG_GETS {
        p.get(key.as_str());
    }
    (key, p)
}

fn check_big(replies: Vec<Result<Value, Error>>) {
    assert_eq!(replies.len(), BIG_GETS);
    for reply in replies {
        match reply {
            Ok(Value::Bulk(b)) => assert_eq!(b.len(), BIG_VALUE),
            other => panic!("unexpected reply {other:?}"),
        }
    }
}

#[test]
fn blocking_pipeline_with_large_replies_does_not_deadlock() {
    let server = BackgroundServer::start();
    let mut c = Client::connect_with(server.addr(), &big_pipeline_options()).unwrap();
    let (key, p) = big_pipeline();
    c.set(key.as_str(), vec![b'v'; BIG_VALUE]).unwrap();
    check_big(c.run_pipeline(&p).unwrap());
    assert_eq!(c.delete(key.as_str()).unwrap(), 1);
}

#[tokio::test]
async fn async_pipeline_with_large_replies_does_not_deadlock() {
    let server = BackgroundServer::start();
    let mut c = AsyncClient::connect_with(server.addr(), &big_pipeline_options())
        .await
        .unwrap();
    let (key, p) = big_pipeline();
    c.set(key.as_str(), vec![b'v'; BIG_VALUE]).await.unwrap();
    check_big(c.run_pipeline(&p).await.unwrap());
    assert_eq!(c.delete(key.as_str()).await.unwrap(), 1);
}

#[test]
fn empty_command_is_refused_before_sending() {
    let server = BackgroundServer::start();
    // The timeout turns a regression (waiting for an answer that never
    // comes) into a failure.
    let mut c = Client::connect_with(server.addr(), &big_pipeline_options()).unwrap();
    assert!(matches!(c.execute(&[]), Err(Error::EmptyCommand)));
    let mut p = Pipeline::new();
    p.set("a", 1).cmd(&[]);
    assert!(matches!(c.run_pipeline(&p), Err(Error::EmptyCommand)));
    // Nothing was sent and the connection is still in step.
    assert_eq!(c.get::<Option<i64>>("a").unwrap(), None);
}

#[tokio::test]
async fn async_empty_command_is_refused_before_sending() {
    let server = BackgroundServer::start();
    let mut c = AsyncClient::connect_with(server.addr(), &big_pipeline_options())
        .await
        .unwrap();
    assert!(matches!(c.execute(&[]).await, Err(Error::EmptyCommand)));
    let mut p = Pipeline::new();
    p.set("a", 1).cmd(&[]);
    assert!(matches!(c.run_pipeline(&p).await, Err(Error::EmptyCommand)));
    assert_eq!(c.get::<Option<i64>>("a").await.unwrap(), None);
}
