//! The slow resource-limit cases, apart from tests/limits.rs: a reply of
//! gigabytes under an address-space limit, and eviction keeping a hot set
//! while far more than `maxmemory` is written.

mod common;
mod spawn;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use common::{info_field, Raw};
use kvstore_protocol::encode_command;

/// `SET big <1 MiB>` then one `MGET big big …` of 3000 keys: a 36 KB
/// request for a 3 GiB reply. Under a 4 GiB address-space limit the
/// server must neither abort nor stop answering others; the client gets
/// the whole reply.
#[test]
fn a_three_gigabyte_mget_under_a_four_gigabyte_address_space() {
    let Some(prlimit) = common::tool("prlimit") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let wrapper = [prlimit.to_str().expect("path"), "--as=4294967296", "--"];
    let (server, _) = spawn::start_under(
        dir.path(),
        &wrapper,
        &["--port", "0", "--reply-mode", "redis"],
    );
    let mut con = Raw::connect(server.addr);
    let value = "x".repeat(1 << 20);
    assert_eq!(con.cmd(&["SET", "big", &value]), "+OK\r\n");
    const N: usize = 3000;
    let mut words = vec!["MGET"];
    words.extend(std::iter::repeat_n("big", N));
    let mut request = BytesMut::new();
    encode_command(words.iter(), &mut request);
    let mut stream = con.into_stream();
    stream
        .set_read_timeout(Some(Duration::from_secs(600)))
        .expect("timeout");
    stream.write_all(&request).expect("send");
    // Another client is answered while the reply streams out.
    let mut other = Raw::connect(server.addr);
    assert_eq!(other.cmd(&["PING"]), "+PONG\r\n");
    let element = format!("${}\r\n", 1 << 20).len() + (1 << 20) + 2;
    let expected = format!("*{N}\r\n").len() + N * element;
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0;
    while got < expected {
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "closed after {got} of {expected} bytes");
        got += n;
    }
    assert_eq!(got, expected);
    assert_eq!(other.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(other.cmd(&["STRLEN", "big"]), format!(":{}\r\n", 1 << 20));
}

/// The acceptance case: with a 64 MiB cap under allkeys-lru,
/// writing 192 MiB of 16 KiB values while 200 hot keys are read
/// continually: no write fails, used_memory stays within 1.25 × the cap,
/// and at least 90% of the hot set survives.
#[test]
fn allkeys_lru_keeps_a_hot_set_while_three_times_the_cap_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = spawn::start(
        dir.path(),
        &[
            "--port",
            "0",
            "--reply-mode",
            "redis",
            "--maxmemory",
            "64mb",
            "--maxmemory-policy",
            "allkeys-lru",
        ],
    );
    let cap: u64 = 64 << 20;
    let value = "v".repeat(16 << 10);
    let mut writer = Raw::connect(server.addr);
    for i in 0..200 {
        assert_eq!(writer.cmd(&["SET", &format!("hot:{i}"), &value]), "+OK\r\n");
    }
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (done, reads, addr) = (Arc::clone(&done), Arc::clone(&reads), server.addr);
        std::thread::spawn(move || {
            let mut con = Raw::connect(addr);
            // Pipelined, as a busy client reads.
            while !done.load(Ordering::Relaxed) {
                for i in 0..200 {
                    con.send(&["EXISTS", &format!("hot:{i}")]);
                }
                for _ in 0..200 {
                    con.read_reply();
                }
                reads.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let mut watcher = Raw::connect(server.addr);
    let mut highest = 0;
    let writes = (192usize << 20) / value.len();
    for batch in 0..writes / 64 {
        for i in 0..64 {
            writer.send(&["SET", &format!("cold:{batch}:{i}"), &value]);
        }
        for _ in 0..64 {
            assert_eq!(writer.read_reply(), b"+OK\r\n", "no write fails");
        }
        highest = highest.max(info_field(&mut watcher, "memory", "used_memory"));
    }
    done.store(true, Ordering::Relaxed);
    reader.join().expect("reader");
    assert!(reads.load(Ordering::Relaxed) > 0);
    assert!(
        highest * 4 <= cap * 5,
        "used_memory reached {highest}, over 1.25 x {cap}"
    );
    assert!(info_field(&mut watcher, "stats", "evicted_keys") as usize >= writes / 2);
    let survivors = (0..200)
        .filter(|i| watcher.cmd(&["EXISTS", &format!("hot:{i}")]) == ":1\r\n")
        .count();
    assert!(survivors >= 180, "{survivors} of the 200 hot keys survived");
}
