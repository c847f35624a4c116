//! The hot path: plain `GET key` and `SET key value` served straight from
//! the read buffer.
//!
//! These two requests are most of any real load, and the general path pays
//! for its generality on each: a two-pass decode, a `Value` tree with a
//! reference-counted slice per argument, a table lookup and a reply `Value`.
//! Here the request is matched byte for byte in its canonical form
//! (`*2\r\n$3\r\nGET\r\n$N\r\n…`), the store is called with slices of the
//! buffer, and the reply is written directly.
//!
//! Anything this does not recognise exactly (another command, options, an
//! unusual length spelling, a frame not all here yet, a value that is not a
//! plain string or integer, persistence that must see every write) is left
//! untouched for the general path, which then gives the same reply, or the
//! same error, it always has. So this can only ever be a shortcut.
//!
//! A large GET reply is written straight from the record to the socket,
//! with whatever replies are pending before it, in one vectored write
//! made under the key's read lock: no copy of the value is made unless the
//! socket cannot take it all at once, and then only of what it left.

use std::io::IoSlice;

use bytes::{Buf, BytesMut};
use kvstore_protocol::{bulk, int_line, Dialect};

use super::transport::Transport;

use crate::config::ReplyMode;
use crate::keyspace::clock::unix_ms;
use crate::keyspace::{NewValue, ValueRef};
use crate::state::Session;
use crate::state::Shared;

/// Which of the two a served request was (its slot in the batch's counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    Get = 0,
    Set = 1,
}

/// A GET value at least this long is written to the socket from the
/// record rather than copied into the output. Below it, copying costs less
/// than the extra write (and the extra packet the client then reads).
pub const DIRECT_FROM: usize = 32 * 1024;

/// Where a large GET reply may be written at once: the client's socket,
/// and a count of the bytes written to it.
pub struct Direct<'a, S> {
    pub socket: &'a mut S,
    pub sent: &'a mut usize,
}

/// Serves the request at the front of `buf` if it is a plain GET or SET,
/// appending the reply to `out` (or, for a large value and with `direct`,
/// writing `out` and the reply to the socket). Returns `None`, having
/// touched nothing, for anything else.
pub fn try_serve<S: Transport>(
    buf: &mut BytesMut,
    max_bulk: usize,
    shared: &Shared,
    session: &Session,
    out: &mut BytesMut,
    direct: Option<Direct<'_, S>>,
) -> Option<Served> {
    let req = parse(buf, max_bulk)?;
    let key = &buf[req.key.0..req.key.1];
    // Like every command, outside any transaction's EXEC.
    // While a script is busy the general path answers -BUSY.
    let _gate = shared
        .keyspace
        .gate
        .shared_unless(&|| shared.script.busy())?;
    match req.value {
        None => {
            let served = shared
                .keyspace
                .db(session.db)
                .with_ref(key, |v| match (v, direct) {
                    (Some(ValueRef::Str(s)), Some(d)) if s.len() >= DIRECT_FROM => {
                        write_bulk(s, out, d, shared);
                        true
                    }
                    (v, _) => reply_get(v, session, out),
                });
            if !served {
                return None;
            }
        }
        Some((start, end)) => {
            // Persistence must log each write (or count it, for --save),
            // and a watched key's WATCHers, or a client caching it, must
            // hear of it.
            if shared.persist.tracks_writes() || shared.watches.active() || shared.tracking.active()
            {
                return None;
            }
            // Over `maxmemory`, the general path evicts or refuses.
            let max = shared.keyspace.eviction.maxmemory();
            if max != 0 && crate::cmd::maxmemory::counted(shared) > max {
                return None;
            }
            let db = shared.keyspace.db(session.db);
            match req.ttl_ms {
                None => {
                    db.set_str(key, &buf[start..end]);
                }
                Some(ttl) => {
                    let deadline = unix_ms().checked_add(ttl)?;
                    db.set(key, NewValue::Str(&buf[start..end]), Some(deadline));
                }
            }
            match session.mode {
                ReplyMode::Seed => out.extend_from_slice(b":1\r\n"),
                ReplyMode::Redis => out.extend_from_slice(b"+OK\r\n"),
            }
        }
    }
    let served = if req.value.is_some() {
        Served::Set
    } else {
        Served::Get
    };
    buf.advance(req.len);
    Some(served)
}

/// Prefetches the records of the requests at the front of `buf`, up to
/// `max` of them, before any is served, so that their cache misses
/// overlap instead of queueing one behind the other. Plain GETs and SETs
/// are recognised exactly; any other request in the protocol's array form
/// has its first key guessed: the first argument, or for `EVAL`,
/// `EVALSHA` and `FCALL` (and their `_RO` forms) the one after the key
/// count. A wrong guess only warms a slot for nothing; the first frame
/// that is not a whole array of bulk strings ends the pass.
pub fn prefetch(buf: &[u8], max_bulk: usize, shared: &Shared, db: usize, max: usize) {
    // Found first, then fetched: a lone request (no pipelining) has
    // nothing to overlap with, and is left alone.
    let mut keys = [(0usize, 0usize); 64];
    let max = max.min(keys.len());
    let mut found = 0;
    let mut at = 0;
    while found < max {
        let Some(rest) = buf.get(at..) else {
            break;
        };
        let (key, len) = match parse(rest, max_bulk) {
            Some(req) => (req.key, req.len),
            None => match first_key(rest, max_bulk) {
                Some(found) => found,
                None => break,
            },
        };
        keys[found] = (at + key.0, at + key.1);
        found += 1;
        at += len;
    }
    if found < 2 {
        return;
    }
    let db = shared.keyspace.db(db);
    for &(start, end) in &keys[..found] {
        if end > start {
            db.prefetch(&buf[start..end]);
        }
    }
}

/// The likely first key of the request array at the front of `buf` (an
/// empty range if it has none), and the request's length.
fn first_key(buf: &[u8], max_bulk: usize) -> Option<((usize, usize), usize)> {
    if *buf.first()? != b'*' {
        return None;
    }
    let mut at = 1;
    let mut n: usize = 0;
    while let Some(&d) = buf.get(at) {
        if !d.is_ascii_digit() || at > 8 {
            break;
        }
        n = n * 10 + usize::from(d - b'0');
        at += 1;
    }
    if buf.get(at..at + 2)? != b"\r\n" || n == 0 || n > 1024 {
        return None;
    }
    at += 2;
    let name = bulk_at(buf, &mut at, max_bulk)?;
    let name = &buf[name.0..name.1];
    let scripted = matches!(name.first(), Some(b'e' | b'E' | b'f' | b'F'))
        && [
            &b"EVALSHA"[..],
            b"EVAL",
            b"FCALL",
            b"EVALSHA_RO",
            b"EVAL_RO",
            b"FCALL_RO",
        ]
        .iter()
        .any(|s| name.eq_ignore_ascii_case(s));
    let key_index = if scripted { 3 } else { 1 };
    let mut key = (0, 0);
    for i in 1..n {
        let arg = bulk_at(buf, &mut at, max_bulk)?;
        if i == 2 && scripted && &buf[arg.0..arg.1] == b"0" {
            // No keys.
            continue;
        }
        if i == key_index {
            key = arg;
        }
    }
    Some((key, at))
}

/// Writes the reply to GET for `v`, as the general path would; false (and
/// nothing written) for values it leaves to the general path.
fn reply_get(v: Option<ValueRef<'_>>, session: &Session, out: &mut BytesMut) -> bool {
    match v {
        None if session.dialect() == Dialect::Resp3 => out.extend_from_slice(b"_\r\n"),
        None => out.extend_from_slice(b"$-1\r\n"),
        Some(ValueRef::Str(s)) => bulk(out, s),
        Some(ValueRef::Int(n)) => match session.mode {
            ReplyMode::Seed => int_line(out, b':', n),
            // Redis clients see numbers as their decimal text.
            ReplyMode::Redis => bulk(out, itoa::Buffer::new().format(n).as_bytes()),
        },
        Some(ValueRef::Seed(_) | ValueRef::Obj(_)) => return false,
    }
    true
}

/// Writes `out` and then `value` as a bulk string to the socket, as far as
/// it takes them now; what it does not take is left in `out`, in order.
fn write_bulk<S: Transport>(value: &[u8], out: &mut BytesMut, d: Direct<'_, S>, shared: &Shared) {
    let mut text = itoa::Buffer::new();
    let digits = text.format(value.len()).as_bytes();
    // `$`, at most 20 digits, CRLF.
    let mut head = [0u8; 24];
    head[0] = b'$';
    head[1..1 + digits.len()].copy_from_slice(digits);
    head[1 + digits.len()..3 + digits.len()].copy_from_slice(b"\r\n");
    let parts: [&[u8]; 3] = [&head[..3 + digits.len()], value, b"\r\n"];
    let n = d.socket.write_now(&[
        IoSlice::new(out),
        IoSlice::new(parts[0]),
        IoSlice::new(parts[1]),
        IoSlice::new(parts[2]),
    ]);
    if n > 0 {
        shared.stats.net.wrote(n);
        *d.sent += n;
    }
    keep_unwritten(out, n, &parts);
}

/// After a write of `n` bytes of `out` followed by `parts`: leaves in
/// `out` what was not written.
fn keep_unwritten(out: &mut BytesMut, n: usize, parts: &[&[u8]]) {
    let mut skip = match n.checked_sub(out.len()) {
        Some(past) => {
            out.clear();
            past
        }
        None => {
            out.advance(n);
            0
        }
    };
    for p in parts {
        match p.get(skip..) {
            Some(rest) => {
                out.extend_from_slice(rest);
                skip = 0;
            }
            None => skip -= p.len(),
        }
    }
}

/// A recognised request: byte ranges of the key and the value (SET only)
/// inside the buffer, a time to live in ms (`SET … EX|PX n`), and the
/// request's total length.
#[derive(Debug, PartialEq)]
struct Request {
    key: (usize, usize),
    value: Option<(usize, usize)>,
    ttl_ms: Option<u64>,
    len: usize,
}

fn parse(buf: &[u8], max_bulk: usize) -> Option<Request> {
    // (is SET, has EX/PX)
    let (is_set, with_ttl, mut at) = match buf.get(..13)? {
        [b'*', b'2', b'\r', b'\n', b'$', b'3', b'\r', b'\n', g, e, t, b'\r', b'\n']
            if [*g, *e, *t].eq_ignore_ascii_case(b"GET") =>
        {
            (false, false, 13)
        }
        [b'*', n @ (b'3' | b'5'), b'\r', b'\n', b'$', b'3', b'\r', b'\n', s, e, t, b'\r', b'\n']
            if [*s, *e, *t].eq_ignore_ascii_case(b"SET") =>
        {
            (true, *n == b'5', 13)
        }
        _ => return None,
    };
    let key = bulk_at(buf, &mut at, max_bulk)?;
    let value = if is_set {
        Some(bulk_at(buf, &mut at, max_bulk)?)
    } else {
        None
    };
    let ttl_ms = if with_ttl {
        let unit = match buf.get(at..at + 8)? {
            [b'$', b'2', b'\r', b'\n', x, b'X' | b'x', b'\r', b'\n'] => match x {
                b'E' | b'e' => 1000,
                b'P' | b'p' => 1,
                _ => return None,
            },
            _ => return None,
        };
        at += 8;
        let (start, end) = bulk_at(buf, &mut at, max_bulk)?;
        // Plain positive decimal digits only; anything else (zero, a
        // sign, an error to report) is the general path's.
        let digits = &buf[start..end];
        if digits.is_empty() || digits.len() > 12 || digits[0] == b'0' {
            return None;
        }
        let mut n: u64 = 0;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u64::from(d - b'0');
        }
        Some(n * unit)
    } else {
        None
    };
    Some(Request {
        key,
        value,
        ttl_ms,
        len: at,
    })
}

/// A whole `$N\r\n<N bytes>\r\n` at `*at`, with N in plain digits.
fn bulk_at(buf: &[u8], at: &mut usize, max_bulk: usize) -> Option<(usize, usize)> {
    if *buf.get(*at)? != b'$' {
        return None;
    }
    let mut i = *at + 1;
    let mut len: usize = 0;
    let digits_start = i;
    while let Some(&d) = buf.get(i) {
        if !d.is_ascii_digit() {
            break;
        }
        len = len.checked_mul(10)?.checked_add(usize::from(d - b'0'))?;
        i += 1;
        if i - digits_start > 10 {
            return None;
        }
    }
    // No digits, or a leading zero the general path may spell differently.
    if i == digits_start || (buf[digits_start] == b'0' && i - digits_start > 1) || len > max_bulk {
        return None;
    }
    if buf.get(i..i + 2)? != b"\r\n" {
        return None;
    }
    let start = i + 2;
    let end = start.checked_add(len)?;
    if buf.get(end..end + 2)? != b"\r\n" {
        return None;
    }
    *at = end + 2;
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_the_first_key_of_other_requests() {
        let incr = b"*2\r\n$4\r\nINCR\r\n$3\r\nabc\r\n";
        assert_eq!(first_key(incr, 100), Some(((18, 21), incr.len())));
        let evalsha = b"*4\r\n$7\r\nevalsha\r\n$2\r\nab\r\n$1\r\n1\r\n$1\r\nk\r\n";
        assert_eq!(first_key(evalsha, 100), Some(((36, 37), evalsha.len())));
        let no_keys = b"*3\r\n$4\r\nEVAL\r\n$2\r\nab\r\n$1\r\n0\r\n";
        assert_eq!(first_key(no_keys, 100), Some(((0, 0), no_keys.len())));
        let ping = b"*1\r\n$4\r\nPING\r\n";
        assert_eq!(first_key(ping, 100), Some(((0, 0), ping.len())));
        // Cut short, inline, or past the bulk limit: nothing.
        assert_eq!(first_key(&incr[..incr.len() - 1], 100), None);
        assert_eq!(first_key(b"INCR abc\r\n", 100), None);
        assert_eq!(first_key(incr, 2), None);
    }

    #[test]
    fn recognises_plain_get_and_set_only() {
        let get = b"*2\r\n$3\r\nget\r\n$3\r\nkey\r\n";
        assert_eq!(
            parse(get, 100),
            Some(Request {
                key: (17, 20),
                value: None,
                ttl_ms: None,
                len: get.len()
            })
        );
        let set = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nhi\r\n";
        assert_eq!(
            parse(set, 100),
            Some(Request {
                key: (17, 18),
                value: Some((24, 26)),
                ttl_ms: None,
                len: set.len()
            })
        );
        let ex = b"*5\r\n$3\r\nset\r\n$1\r\nk\r\n$2\r\nhi\r\n$2\r\nex\r\n$4\r\n3600\r\n";
        assert_eq!(parse(ex, 100).map(|r| r.ttl_ms), Some(Some(3_600_000)));
        let px = b"*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nhi\r\n$2\r\nPX\r\n$2\r\n50\r\n";
        assert_eq!(
            parse(px, 100).map(|r| (r.ttl_ms, r.len)),
            Some((Some(50), px.len()))
        );
        for other in [
            &b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r"[..],       // incomplete
            b"*2\r\n$3\r\nGET\r\n$3\r\nkeyX\r\n",         // bad terminator
            b"*3\r\n$3\r\nGET\r\n$1\r\nk\r\n$1\r\nv\r\n", // wrong arity
            b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nNX\r\n", // options
            b"*2\r\n$3\r\nGET\r\n$03\r\nkey\r\n",         // leading zero
            b"*2\r\n$3\r\nGET\r\n$-1\r\n",                // null key
            b"*2\r\n$3\r\nGET\r\n:1\r\n",                 // integer key
            b"*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n",            // another command
            b"*2\r\n$3\r\nGET\r\n$11\r\n01234567890\r\n", // over the bulk limit
            b"*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nEX\r\n$1\r\n0\r\n", // zero
            b"*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nEX\r\n$2\r\n-1\r\n", // sign
            b"*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nNX\r\n$1\r\n1\r\n", // not EX/PX
            b"*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nEX\r\n$1\r\nx\r\n", // not a number
        ] {
            assert_eq!(parse(other, 10), None, "{other:?}");
        }
    }

    proptest::proptest! {
        /// Whatever the shortcut accepts, the general decoder reads as the
        /// same command with the same key and value and the same length.
        #[test]
        fn agrees_with_the_general_decoder(
            words in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b"GET".to_vec()),
                    proptest::strategy::Just(b"sEt".to_vec()),
                    proptest::strategy::Just(b"eX".to_vec()),
                    proptest::strategy::Just(b"PX".to_vec()),
                    proptest::strategy::Just(b"250".to_vec()),
                    proptest::collection::vec(proptest::num::u8::ANY, 0..12),
                ],
                1..6,
            ),
            mangle in proptest::option::of((0usize..64, proptest::num::u8::ANY)),
        ) {
            let mut wire = BytesMut::new();
            kvstore_protocol::encode_command(words.iter(), &mut wire);
            if let Some((i, b)) = mangle {
                if let Some(slot) = wire.get_mut(i) {
                    *slot = b;
                }
            }
            if let Some(req) = parse(&wire, 1 << 20) {
                let mut copy = wire.clone();
                let decoded = kvstore_protocol::Decoder::default().decode(&mut copy);
                let Ok(Some(kvstore_protocol::Value::Array(items))) = decoded else {
                    panic!("shortcut accepted what the decoder refuses: {wire:?}");
                };
                proptest::prop_assert_eq!(wire.len() - copy.len(), req.len);
                let words = match (req.value, req.ttl_ms) {
                    (None, _) => 2,
                    (Some(_), None) => 3,
                    (Some(_), Some(_)) => 5,
                };
                proptest::prop_assert_eq!(items.len(), words);
                if let Some(ttl) = req.ttl_ms {
                    let unit = if items[3].as_bytes().is_some_and(|u| u.eq_ignore_ascii_case(b"EX")) { 1000 } else { 1 };
                    let n: u64 = std::str::from_utf8(items[4].as_bytes().unwrap_or_default())
                        .ok()
                        .and_then(|t| t.parse().ok())
                        .unwrap_or(0);
                    proptest::prop_assert_eq!(ttl, n * unit);
                    proptest::prop_assert!(n > 0);
                }
                proptest::prop_assert_eq!(items[1].as_bytes(), Some(&wire[req.key.0..req.key.1]));
                if let Some((s, e)) = req.value {
                    proptest::prop_assert_eq!(items[2].as_bytes(), Some(&wire[s..e]));
                }
            }
        }
    }

    #[test]
    fn what_a_short_write_left_stays_in_order() {
        let parts: [&[u8]; 3] = [b"$5\r\n", b"hello", b"\r\n"];
        let whole = b"+OK\r\n$5\r\nhello\r\n";
        for n in 0..=whole.len() {
            let mut out = BytesMut::from(&b"+OK\r\n"[..]);
            keep_unwritten(&mut out, n, &parts);
            assert_eq!(&out[..], &whole[n..], "after {n} bytes written");
        }
    }

    /// A socket that takes at most `room` bytes a write.
    struct Narrow {
        room: usize,
        got: Vec<u8>,
    }

    impl tokio::io::AsyncRead for Narrow {
        fn poll_read(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            _: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Pending
        }
    }

    impl tokio::io::AsyncWrite for Narrow {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            std::task::Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    impl Transport for Narrow {
        fn raw_fd(&self) -> std::os::fd::RawFd {
            -1
        }
        fn read_arrived(&mut self, _: &mut BytesMut) {}
        fn write_now(&mut self, parts: &[IoSlice<'_>]) -> usize {
            let before = self.got.len();
            for p in parts {
                let take = p.len().min(self.room - (self.got.len() - before));
                self.got.extend_from_slice(&p[..take]);
            }
            self.got.len() - before
        }
    }

    #[test]
    fn a_large_get_goes_to_the_socket_with_the_replies_before_it() {
        let config = crate::config::Config::default();
        let keyspace = std::sync::Arc::new(crate::keyspace::Keyspace::new(16));
        let settings = crate::persist::Settings::from_config(&config).expect("settings");
        let persist = std::sync::Arc::new(crate::persist::Persist::new(
            settings,
            std::sync::Arc::clone(&keyspace),
        ));
        let addr = "127.0.0.1:0".parse().expect("addr");
        let shared = Shared::new(keyspace, config, addr, persist);
        let session = Session::new(1, addr, ReplyMode::Redis);
        let value: Vec<u8> = (0..DIRECT_FROM + 5).map(|i| i as u8).collect();
        shared.keyspace.db(0).set_str(b"big", &value);
        shared.keyspace.db(0).set_str(b"small", b"v");
        let mut expected = b"+OK\r\n".to_vec();
        expected.extend_from_slice(format!("${}\r\n", value.len()).as_bytes());
        expected.extend_from_slice(&value);
        expected.extend_from_slice(b"\r\n$1\r\nv\r\n");
        // Room for everything, for some of it, and for nothing.
        for room in [usize::MAX / 2, 1000, 0] {
            let mut socket = Narrow {
                room,
                got: Vec::new(),
            };
            let mut sent = 0;
            let mut out = BytesMut::from(&b"+OK\r\n"[..]);
            for key in ["big", "small"] {
                let mut req = BytesMut::new();
                kvstore_protocol::encode_command(["GET", key].iter(), &mut req);
                let direct = Direct {
                    socket: &mut socket,
                    sent: &mut sent,
                };
                let served =
                    try_serve(&mut req, 1 << 20, &shared, &session, &mut out, Some(direct));
                assert_eq!(served, Some(Served::Get));
                assert!(req.is_empty());
            }
            assert_eq!(sent, socket.got.len());
            // The small reply after it is copied, as always.
            let at_once = expected.len() - b"$1\r\nv\r\n".len();
            assert_eq!(sent, room.min(at_once), "written at once");
            let mut all = socket.got.clone();
            all.extend_from_slice(&out);
            assert_eq!(all, expected, "room {room}");
        }
    }

    #[test]
    fn get_replies_match_the_general_path() {
        let mut session = Session::new(1, "127.0.0.1:1".parse().expect("addr"), ReplyMode::Seed);
        let reply = |v: Option<ValueRef<'_>>, s: &Session| {
            let mut out = BytesMut::new();
            reply_get(v, s, &mut out).then(|| out.to_vec())
        };
        assert_eq!(reply(None, &session), Some(b"$-1\r\n".to_vec()));
        assert_eq!(
            reply(Some(ValueRef::Int(-5)), &session),
            Some(b":-5\r\n".to_vec())
        );
        assert_eq!(
            reply(Some(ValueRef::Str(b"ab")), &session),
            Some(b"$2\r\nab\r\n".to_vec())
        );
        assert_eq!(reply(Some(ValueRef::Seed(b"*0\r\n")), &session), None);
        session.become_redis(None);
        assert_eq!(
            reply(Some(ValueRef::Int(-5)), &session),
            Some(b"$2\r\n-5\r\n".to_vec())
        );
        session.become_redis(Some(true));
        assert_eq!(reply(None, &session), Some(b"_\r\n".to_vec()));
    }
}
