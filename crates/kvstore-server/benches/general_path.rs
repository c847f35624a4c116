//! The general command path, one request at a time, as a connection serves
//! anything the GET/SET shortcut does not take: the request's RESP bytes
//! are decoded (`cmd::inline::decode`, what `net/connection.rs` calls),
//! run by `cmd::execute` with a `Ctx` over the shared state and a session,
//! and the reply encoded in the session's dialect. Socket I/O, the batch's
//! bookkeeping and the AOF are left out, so a change that slows the
//! dispatcher, a family's handler or the keyspace lookup shows here.
//!
//! The keyspace holds 100,000 keys of each kind (500,000 in all), and each
//! request picks one of its kind at random, as redis-benchmark `-r 100000`
//! does, so that lookups miss the CPU caches as they do on a real server.
//! Containers keep their size: LPUSH is paired with an RPOP of the same
//! list, and SADD, HSET and ZADD name one of the 10 members or fields each
//! key was given (SADD finds it there, as redis-benchmark's own SADD test
//! does once its members are all in; HSET overwrites a value; ZADD moves a
//! member to a new score).
//!
//! `cargo bench -p kvstore-server --bench general_path` (under a minute).

mod common;

use common::Walk;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use kvstore_protocol::{encode_as, Decoder, Value};
use kvstore_server::cmd::{self, Ctx};
use kvstore_server::keyspace::Keyspace;
use kvstore_server::persist::{Persist, Settings};
use kvstore_server::state::Session;
use kvstore_server::{Config, ReplyMode, Shared};

/// Keys of each kind, as redis-benchmark's `-r`.
const KEYS: usize = 100_000;
/// Members (or fields) each set, hash and sorted set starts with.
const MEMBERS: usize = 10;
/// Elements each list starts with.
const LIST_LEN: usize = 4;

/// A server's shared state with no listener and no persistence, and one
/// client session speaking Redis's protocol (RESP2), as a Redis client
/// library's connection does after its HELLO.
struct Server {
    shared: Shared,
    session: Session,
    decoder: Decoder,
    redis: bool,
    rbuf: BytesMut,
    wbuf: BytesMut,
}

impl Server {
    fn new() -> Server {
        let config = Config::default();
        config.apply_encodings();
        let settings = Settings::from_config(&config).expect("persistence settings");
        let keyspace = Arc::new(Keyspace::new(config.databases));
        let persist = Arc::new(Persist::new(settings, Arc::clone(&keyspace)));
        let addr: SocketAddr = "127.0.0.1:6379".parse().expect("address");
        let mut decoder = Decoder::new(config.limits());
        decoder.set_max_decoded(config.client_query_buffer_limit);
        let shared = Shared::new(keyspace, config, addr, persist);
        let mut session = Session::new(shared.next_client_id(), addr, ReplyMode::Redis);
        session.start_acl(&shared.acl);
        let mut server = Server {
            shared,
            session,
            decoder,
            redis: true,
            rbuf: BytesMut::with_capacity(16 * 1024),
            wbuf: BytesMut::with_capacity(16 * 1024),
        };
        server.preload();
        server
    }

    /// Runs a request given as words, without the decoding (for loading).
    fn run(&mut self, words: &[&[u8]]) -> Value {
        let frame = Value::Array(words.iter().map(Value::bulk).collect());
        let reply = cmd::execute(&mut Ctx::new(&self.shared, &mut self.session), frame);
        assert!(!reply.is_error(), "{reply:?}");
        reply
    }

    fn preload(&mut self) {
        let members: Vec<Vec<u8>> = (0..MEMBERS).map(|m| member(m).to_vec()).collect();
        for i in 0..KEYS {
            let n = digits(i);
            let mut words: Vec<&[u8]> = Vec::new();
            self.run(&[b"SET", &[b"counter:", &n[..]].concat(), b"0"]);
            let list = [b"list:", &n[..]].concat();
            words.extend([&b"RPUSH"[..], &list]);
            words.extend(std::iter::repeat_n(&b"element-16-bytes"[..], LIST_LEN));
            self.run(&words);
            let set = [b"set:", &n[..]].concat();
            words.clear();
            words.extend([&b"SADD"[..], &set]);
            words.extend(members.iter().map(Vec::as_slice));
            self.run(&words);
            let hash = [b"hash:", &n[..]].concat();
            words.clear();
            words.extend([&b"HSET"[..], &hash]);
            for m in &members {
                words.extend([m.as_slice(), b"value-16-bytes!!"]);
            }
            self.run(&words);
            let zset = [b"zset:", &n[..]].concat();
            words.clear();
            words.extend([&b"ZADD"[..], &zset]);
            let scores: Vec<Vec<u8>> = (0..MEMBERS).map(|m| m.to_string().into_bytes()).collect();
            for (m, s) in members.iter().zip(&scores) {
                words.extend([s.as_slice(), m.as_slice()]);
            }
            self.run(&words);
        }
        assert_eq!(self.shared.keyspace.len(), 5 * KEYS, "preloaded keys");
    }

    /// One request the way a connection serves it: its bytes arrive in the
    /// read buffer, are decoded, executed, and the reply encoded.
    fn serve(&mut self, request: &[u8]) -> usize {
        self.rbuf.extend_from_slice(request);
        let frame = match cmd::inline::decode(&mut self.decoder, &mut self.rbuf, self.redis) {
            Ok(Some(frame)) => frame,
            other => panic!("request not decoded: {other:?}"),
        };
        let reply = cmd::execute(&mut Ctx::new(&self.shared, &mut self.session), frame);
        encode_as(&reply, self.session.dialect(), &mut self.wbuf);
        let written = self.wbuf.len();
        self.wbuf.clear();
        written
    }

    /// [`Server::serve`], returning the reply's bytes (to check a request
    /// before timing it).
    fn reply(&mut self, request: &[u8]) -> Vec<u8> {
        self.rbuf.extend_from_slice(request);
        let frame = cmd::inline::decode(&mut self.decoder, &mut self.rbuf, self.redis)
            .expect("decoded")
            .expect("complete");
        let reply = cmd::execute(&mut Ctx::new(&self.shared, &mut self.session), frame);
        let mut out = BytesMut::new();
        encode_as(&reply, self.session.dialect(), &mut out);
        out.to_vec()
    }
}

/// A key's number, six digits wide, so that requests keep their length and
/// a template's digits can be overwritten in place.
fn digits(i: usize) -> [u8; 6] {
    let mut out = [b'0'; 6];
    let mut n = i;
    for d in out.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out
}

/// Member (or field) `m` of a container: `member:m`, one digit.
fn member(m: usize) -> [u8; 8] {
    let mut out = *b"member:0";
    out[7] = b'0' + m as u8;
    out
}

/// A request encoded once, with the places its key number and member
/// digit sit, to be rewritten for each iteration.
struct Template {
    bytes: Vec<u8>,
    key_at: usize,
    member_at: Option<usize>,
    score_at: Option<usize>,
}

impl Template {
    /// `words` with `{key}` standing for the six digits, `{member}` for a
    /// member's name and `{score}` for a six-digit score, each at most once.
    fn new(words: &[&str]) -> Template {
        let filled: Vec<String> = words
            .iter()
            .map(|w| {
                w.replace("{key}", "000000")
                    .replace("{member}", "member:0")
                    .replace("{score}", "000000")
            })
            .collect();
        let mut buf = BytesMut::new();
        kvstore_protocol::encode_command(filled.iter(), &mut buf);
        let bytes = buf.to_vec();
        // What precedes a mark in its word is the same once filled in.
        let mark = |mark: &str| {
            words.iter().enumerate().find_map(|(i, w)| {
                w.find(mark)
                    .map(|within| find_word(&bytes, &filled, i) + within)
            })
        };
        Template {
            key_at: mark("{key}").expect("a template names its key"),
            member_at: mark("{member}").map(|at| at + "member:".len()),
            score_at: mark("{score}"),
            bytes,
        }
    }

    /// The request for key `key`, member `m`, score `score`.
    fn fill(&mut self, key: usize, m: usize, score: usize) -> &[u8] {
        self.bytes[self.key_at..self.key_at + 6].copy_from_slice(&digits(key));
        if let Some(at) = self.member_at {
            self.bytes[at] = b'0' + m as u8;
        }
        if let Some(at) = self.score_at {
            self.bytes[at..at + 6].copy_from_slice(&digits(score));
        }
        &self.bytes
    }
}

/// Where the body of word `i` starts in the encoded request `bytes`.
fn find_word(bytes: &[u8], words: &[String], i: usize) -> usize {
    // `*N\r\n` then, per word, `$len\r\nbody\r\n`.
    let mut at = format!("*{}\r\n", words.len()).len();
    for w in &words[..i] {
        at += format!("${}\r\n", w.len()).len() + w.len() + 2;
    }
    let at = at + format!("${}\r\n", words[i].len()).len();
    debug_assert_eq!(&bytes[at..at + words[i].len()], words[i].as_bytes());
    at
}

fn general_path(c: &mut Criterion) {
    let mut server = Server::new();
    let mut g = c.benchmark_group("general_path");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    let mut incr = Template::new(&["INCR", "counter:{key}"]);
    assert!(server.reply(incr.fill(7, 0, 0)).starts_with(b":"));
    g.bench_function("INCR", |b| {
        let mut w = Walk(1);
        b.iter(|| black_box(server.serve(incr.fill(w.next(KEYS), 0, 0))))
    });

    let mut lpush = Template::new(&["LPUSH", "list:{key}", "element-16-bytes"]);
    let mut rpop = Template::new(&["RPOP", "list:{key}"]);
    assert_eq!(server.reply(lpush.fill(7, 0, 0)), b":5\r\n");
    assert_eq!(
        server.reply(rpop.fill(7, 0, 0)),
        b"$16\r\nelement-16-bytes\r\n"
    );
    g.bench_function("LPUSH+RPOP", |b| {
        let mut w = Walk(2);
        b.iter(|| {
            let key = w.next(KEYS);
            black_box(server.serve(lpush.fill(key, 0, 0)));
            black_box(server.serve(rpop.fill(key, 0, 0)))
        })
    });

    let mut sadd = Template::new(&["SADD", "set:{key}", "{member}"]);
    assert_eq!(server.reply(sadd.fill(7, 3, 0)), b":0\r\n");
    g.bench_function("SADD", |b| {
        let mut w = Walk(3);
        b.iter(|| {
            let (key, m) = (w.next(KEYS), w.next(MEMBERS));
            black_box(server.serve(sadd.fill(key, m, 0)))
        })
    });

    let mut hset = Template::new(&["HSET", "hash:{key}", "{member}", "value-16-bytes!!"]);
    assert_eq!(server.reply(hset.fill(7, 3, 0)), b":0\r\n");
    g.bench_function("HSET", |b| {
        let mut w = Walk(4);
        b.iter(|| {
            let (key, m) = (w.next(KEYS), w.next(MEMBERS));
            black_box(server.serve(hset.fill(key, m, 0)))
        })
    });

    let mut zadd = Template::new(&["ZADD", "zset:{key}", "{score}", "{member}"]);
    assert_eq!(server.reply(zadd.fill(7, 3, 42)), b":0\r\n");
    g.bench_function("ZADD", |b| {
        let mut w = Walk(5);
        b.iter(|| {
            let (key, m, score) = (w.next(KEYS), w.next(MEMBERS), w.next(1_000_000));
            black_box(server.serve(zadd.fill(key, m, score)))
        })
    });
    g.finish();
}

criterion_group!(benches, general_path);
criterion_main!(benches);
