//! Large values over TCP: how many receives a large request takes, that a
//! connection pipelining large values yields to the others after its
//! budget, and that large GET replies written straight from the records
//! arrive whole and in order however slowly the client reads.

mod common;

use bytes::BytesMut;
use common::Raw;
use kvstore_protocol::encode_command;
use kvstore_server::{BackgroundServer, Config, ReplyMode};

fn server(threads: usize) -> BackgroundServer {
    BackgroundServer::start_with(Config {
        threads: Some(threads),
        reply_mode: ReplyMode::Redis,
        ..Config::default()
    })
}

fn request(words: &[&[u8]]) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_command(words.iter(), &mut out);
    out.to_vec()
}

/// INFO stats' `total_reads_processed`, which counts the INFO's own read.
fn reads(con: &mut Raw) -> u64 {
    con.cmd(&["INFO", "stats"])
        .lines()
        .find_map(|l| l.strip_prefix("total_reads_processed:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("total_reads_processed")
}

/// A 64 KiB SET sent in one write is read with one receive once the
/// connection has sent one (the first, like Redis's, takes two: its size
/// is learnt from its header). Before, the buffer was read 16 KiB at a
/// time, and then at its spare size, which a 64 KiB request overran: two
/// receives each. Counted over several requests, as the kernel may wake
/// the server between the two packets a 64 KiB write makes on loopback.
#[test]
fn a_large_bulk_is_read_in_one_receive() {
    let server = server(2);
    let mut con = Raw::connect(server.addr());
    let value = vec![b'x'; 64 * 1024];
    let set = request(&[b"SET", b"key:000000000001", &value]);
    con.send_raw(&set);
    assert_eq!(con.read_reply(), b"+OK\r\n");
    const ROUNDS: u64 = 10;
    let mut taken = 0;
    for _ in 0..ROUNDS {
        let before = reads(&mut con);
        con.send_raw(&set);
        assert_eq!(con.read_reply(), b"+OK\r\n");
        // Less the second INFO's own read.
        taken += reads(&mut con) - before - 1;
    }
    assert!(
        taken <= ROUNDS + 2,
        "{taken} receives for {ROUNDS} SETs of 64 KiB"
    );
    assert_eq!(
        con.cmd(&["STRLEN", "key:000000000001"]),
        format!(":{}\r\n", value.len())
    );
}

/// Two clients each pipeline 16 large SETs, each followed by an RPUSH of
/// its name to one list, all queued in the kernel before either is
/// served (a CLIENT PAUSE holds both meanwhile), on a server with one
/// worker thread. A connection that served until its socket ran dry
/// would put all of one client's names before the other's; one that
/// yields after its budget lets the two alternate.
#[test]
fn a_connection_yields_to_others_after_its_budget() {
    let server = server(1);
    let mut ctl = Raw::connect(server.addr());
    assert_eq!(ctl.cmd(&["CLIENT", "PAUSE", "60000", "WRITE"]), "+OK\r\n");
    const SETS: usize = 16;
    let value = vec![b'v'; 64 * 1024];
    let clients: Vec<Raw> = ["a", "b"]
        .iter()
        .map(|name| {
            let mut con = Raw::connect(server.addr());
            assert_eq!(con.cmd(&["PING"]), "+PONG\r\n");
            let mut batch = Vec::new();
            for i in 0..SETS {
                let key = format!("{name}{i}");
                batch.extend(request(&[b"SET", key.as_bytes(), &value]));
                batch.extend(request(&[b"RPUSH", b"order", name.as_bytes()]));
            }
            con.send_raw(&batch);
            con
        })
        .collect();
    // Both batches are in the kernel's buffers now (send_raw returned);
    // the PAUSE kept either connection from serving any of it.
    assert_eq!(ctl.cmd(&["LLEN", "order"]), ":0\r\n");
    assert_eq!(ctl.cmd(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    for mut con in clients {
        for i in 0..SETS {
            assert_eq!(con.read_reply(), b"+OK\r\n");
            let pushed = con.read_reply();
            assert!(pushed.starts_with(b":"), "SET {i}: {pushed:?}");
        }
    }
    let order = ctl.cmd(&["LRANGE", "order", "0", "-1"]);
    let names: Vec<&str> = order
        .split("\r\n")
        .filter(|l| *l == "a" || *l == "b")
        .collect();
    assert_eq!(names.len(), 2 * SETS, "{order}");
    let switches = names.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(
        switches >= SETS / 2,
        "{switches} switches between the clients: {names:?}"
    );
}

/// GETs of values large enough to be written straight from their records,
/// between small replies, to a client that reads nothing until it has
/// sent them all (so the socket's buffers fill and the writes come up
/// short): every reply whole, in order.
#[test]
fn large_get_replies_arrive_whole_and_in_order() {
    let server = server(2);
    let mut con = Raw::connect(server.addr());
    let sizes = [40 * 1024, 200 * 1024, 1 << 20];
    let values: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|j| (j * 7 + i) as u8).collect())
        .collect();
    for (i, v) in values.iter().enumerate() {
        con.send_raw(&request(&[b"SET", format!("big{i}").as_bytes(), v]));
        assert_eq!(con.read_reply(), b"+OK\r\n");
    }
    let mut batch = Vec::new();
    let rounds = 12;
    for r in 0..rounds {
        for i in 0..values.len() {
            batch.extend(request(&[b"GET", format!("big{i}").as_bytes()]));
            batch.extend(request(&[b"INCR", b"n"]));
        }
        batch.extend(request(&[b"ECHO", format!("round {r}").as_bytes()]));
    }
    // Written from another thread: the replies (about 15 MB) fill the
    // socket long before the requests are all sent.
    let mut writer = con.clone_stream();
    let sender = std::thread::spawn(move || {
        use std::io::Write;
        writer.write_all(&batch).expect("send the batch");
    });
    let mut n = 0;
    for r in 0..rounds {
        for v in &values {
            let mut expected = format!("${}\r\n", v.len()).into_bytes();
            expected.extend_from_slice(v);
            expected.extend_from_slice(b"\r\n");
            let got = con.read_reply();
            assert!(got == expected, "round {r}: a GET of {} bytes", v.len());
            n += 1;
            assert_eq!(con.read_reply(), format!(":{n}\r\n").as_bytes());
        }
        let echo = format!("round {r}");
        assert_eq!(
            con.read_reply(),
            format!("${}\r\n{echo}\r\n", echo.len()).as_bytes()
        );
    }
    sender.join().expect("sender");
    assert_eq!(con.cmd(&["PING"]), "+PONG\r\n");
}
