//! Streaming decoder.
//!
//! Decoding runs in two passes. The first, [`Decoder::scan`], walks the
//! buffered bytes to find where the next frame ends, enforcing every limit
//! and every syntax rule. It is resumable: it remembers how far it got, so
//! a frame that arrives in many small reads is walked once, not once per
//! read, and a large bulk string is never scanned at all (only its length
//! is checked against what has arrived). Only when a whole frame is buffered
//! does the second pass build the [`Value`], slicing bulk strings out of one
//! frozen buffer without copying them.
//!
//! Nothing is consumed from the caller's buffer until a whole frame is there,
//! and no allocation is ever sized from a length the peer declared: the
//! bytes must have arrived first.

use bytes::{Bytes, BytesMut};
use thiserror::Error;

use crate::Value;

/// Bounds on what a peer may send. A frame that breaks one is a protocol
/// error, detected as soon as the offending header arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest bulk string, in bytes.
    pub max_bulk_len: usize,
    /// Most elements in one array or set, or pairs in one dictionary.
    pub max_elements: usize,
    /// Deepest nesting of aggregates.
    pub max_depth: usize,
    /// Longest line (simple string, error, or a header), in bytes.
    pub max_line: usize,
    /// Most bytes one whole frame may take. The other limits bound each
    /// part of a frame, not their sum: a peer could still send a million
    /// large strings in one array. A client facing an untrusted server
    /// wants this; the server bounds a client's buffer itself. It is
    /// checked against what has arrived, so when a frame is both too long
    /// and malformed further on, which of the two errors is reported can
    /// depend on how its bytes were split (every other error cannot).
    pub max_frame_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_elements: 1024 * 1024,
            max_depth: 128,
            max_line: 64 * 1024,
            max_frame_len: usize::MAX >> 1,
        }
    }
}

/// Why a byte stream is not a valid sequence of frames. After one of these
/// the stream cannot be resynchronised.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtocolError {
    #[error("invalid type byte {0:?}")]
    InvalidTypeByte(char),
    #[error("line not terminated by CRLF")]
    BadLineEnding,
    #[error("bulk string not terminated by CRLF")]
    BadBulkTerminator,
    #[error("invalid integer")]
    InvalidInteger,
    #[error("invalid length")]
    InvalidLength,
    #[error("invalid boolean")]
    InvalidBoolean,
    #[error("invalid double")]
    InvalidDouble,
    #[error("invalid null")]
    InvalidNull,
    #[error("bulk length {len} exceeds the limit of {limit}")]
    BulkTooLong { len: u64, limit: usize },
    #[error("{count} elements exceed the limit of {limit}")]
    TooManyElements { count: u64, limit: usize },
    #[error("nesting deeper than the limit of {0}")]
    TooDeep(usize),
    #[error("line longer than the limit of {0} bytes")]
    LineTooLong(usize),
    #[error("frame longer than the limit of {0} bytes")]
    FrameTooLong(usize),
    /// What the frame would take once decoded (its bytes, and a value for
    /// each of its elements) is past [`Decoder::set_max_decoded`].
    #[error("query buffer limit of {0} bytes exceeded")]
    DecodedTooLarge(usize),
    /// An inline command (a bare line of words) whose quotes do not close.
    #[error("unbalanced quotes in request")]
    UnbalancedQuotes,
    /// A request element that is not a bulk string, from a client held to
    /// Redis's request grammar (arrays of bulk strings only).
    #[error("expected '$', got '{0}'")]
    ExpectedBulk(char),
}

/// Incremental decoder for one byte stream. Keep one per connection.
#[derive(Debug, Default)]
pub struct Decoder {
    limits: Limits,
    /// Start of the first element of the current frame not yet complete.
    pos: usize,
    /// Elements still missing from each open aggregate, outermost first.
    open: Vec<u64>,
    /// How far the search for the current line's LF has already looked.
    searched: usize,
    /// Elements of the current frame seen so far.
    elements: u64,
    /// See [`Decoder::set_max_decoded`]; 0 for none.
    max_decoded: usize,
    /// Where the bulk string the scan last stopped inside ends (its CRLF
    /// included), so that the caller can size its next read; see
    /// [`Decoder::missing`].
    bulk_end: usize,
}

/// What one decoded element takes besides its bytes: its `Value`.
const ELEMENT_COST: u64 = std::mem::size_of::<Value>() as u64;

impl Decoder {
    pub fn new(limits: Limits) -> Self {
        Decoder {
            limits,
            ..Decoder::default()
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Bounds what one frame may take once decoded: its bytes plus a
    /// `Value` per element. A frame of small nested elements (`:0` is four
    /// bytes on the wire, and a `Value` ten times that) is refused before
    /// any of it is built. 0: no bound.
    pub fn set_max_decoded(&mut self, max: usize) {
        self.max_decoded = max;
    }

    /// Bytes of `buf` already known to belong to an incomplete frame.
    pub fn pending(&self) -> usize {
        self.pos
    }

    /// How many more bytes the frame at the front is known to need, once
    /// [`Decoder::decode`] has found `buffered` bytes too few: the rest of
    /// the bulk string it stopped inside (the frame may need more after
    /// it). 0 when that is not known, as when a header line is cut short.
    /// A declared length, not bytes that arrived: trust it only so far.
    pub fn missing(&self, buffered: usize) -> usize {
        self.bulk_end.saturating_sub(buffered)
    }

    /// Takes the next whole frame off the front of `buf`.
    ///
    /// Returns `Ok(None)`, consuming nothing, while the frame is incomplete.
    /// Call again with the same buffer once more bytes have been appended.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Value>, ProtocolError> {
        if self.pos == 0 {
            if let Some((len, spans)) = self.quick_request(buf) {
                self.reset();
                return Ok(Some(build_request(buf.split_to(len).freeze(), &spans)));
            }
        }
        let Some(len) = self.scan(buf)? else {
            return Ok(None);
        };
        self.reset();
        let frame = buf.split_to(len).freeze();
        let mut at = 0;
        build(&frame, &mut at).map(Some)
    }

    /// Forgets any partial progress; use when the buffer is replaced.
    pub fn reset(&mut self) {
        self.pos = 0;
        self.open.clear();
        self.searched = 0;
        self.elements = 0;
        self.bulk_end = 0;
    }

    /// Finds the length of the first frame in `buf`, or `None` if it has not
    /// all arrived yet. Resumes where the previous call stopped, so `buf` must
    /// be the same stream with bytes only appended since.
    pub fn scan(&mut self, buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
        let found = self.scan_frame(buf)?;
        // A frame still arriving already needs more than the buffer holds;
        // a complete one is exactly its length. Either way the check needs
        // nothing but lengths, so how the bytes were split cannot matter.
        let needed = found.unwrap_or(buf.len());
        if needed > self.limits.max_frame_len {
            return Err(ProtocolError::FrameTooLong(self.limits.max_frame_len));
        }
        Ok(found)
    }

    fn scan_frame(&mut self, buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
        loop {
            let Some(tag) = buf.get(self.pos).copied() else {
                return Ok(None);
            };
            // Reject garbage at once rather than waiting for a line end that
            // a confused peer may never send.
            if !matches!(
                tag,
                b'+' | b'-' | b':' | b'#' | b',' | b'_' | b'$' | b'*' | b'%' | b'~' | b'>'
            ) {
                return Err(ProtocolError::InvalidTypeByte(tag as char));
            }
            let Some((header, next)) = self.line(buf)? else {
                return Ok(None);
            };
            let end = match tag {
                // A lone CR inside a line is not text the protocol can carry
                // back out (RESP forbids it too), so refuse it on the way in.
                b'+' | b'-' if memchr::memchr(b'\r', header).is_some() => {
                    return Err(ProtocolError::BadLineEnding)
                }
                b'+' | b'-' => next,
                b':' => {
                    parse_i64(header)?;
                    next
                }
                b'#' => match header {
                    b"t" | b"f" => next,
                    _ => return Err(ProtocolError::InvalidBoolean),
                },
                b',' => {
                    parse_double(header)?;
                    next
                }
                b'_' if header.is_empty() => next,
                b'_' => return Err(ProtocolError::InvalidNull),
                b'$' => match parse_len(header)? {
                    None => next,
                    Some(len) => {
                        if len > self.limits.max_bulk_len as u64 {
                            return Err(ProtocolError::BulkTooLong {
                                len,
                                limit: self.limits.max_bulk_len,
                            });
                        }
                        // len <= max_bulk_len, a usize, so this cannot wrap.
                        let end = next + len as usize + 2;
                        if buf.len() < end {
                            self.bulk_end = end;
                            return Ok(None);
                        }
                        if &buf[end - 2..end] != b"\r\n" {
                            return Err(ProtocolError::BadBulkTerminator);
                        }
                        end
                    }
                },
                b'*' | b'%' | b'~' | b'>' => {
                    let count = match parse_len(header)? {
                        None if tag == b'*' => {
                            self.account(next)?;
                            self.advance(next);
                            if let Some(done) = self.complete_element() {
                                return Ok(Some(done));
                            }
                            continue;
                        }
                        None => return Err(ProtocolError::InvalidLength),
                        Some(n) => n,
                    };
                    if count > self.limits.max_elements as u64 {
                        return Err(ProtocolError::TooManyElements {
                            count,
                            limit: self.limits.max_elements,
                        });
                    }
                    let children = if tag == b'%' { count * 2 } else { count };
                    if children == 0 {
                        next
                    } else {
                        if self.open.len() >= self.limits.max_depth {
                            return Err(ProtocolError::TooDeep(self.limits.max_depth));
                        }
                        self.account(next)?;
                        self.open.push(children);
                        self.advance(next);
                        continue;
                    }
                }
                other => return Err(ProtocolError::InvalidTypeByte(other as char)),
            };
            self.account(end)?;
            self.advance(end);
            if let Some(done) = self.complete_element() {
                return Ok(Some(done));
            }
        }
    }

    /// Counts one more element, which ends at `end`, against
    /// [`Decoder::set_max_decoded`]. Called once per element, as it is
    /// passed over for good.
    fn account(&mut self, end: usize) -> Result<(), ProtocolError> {
        if self.max_decoded == 0 {
            return Ok(());
        }
        self.elements += 1;
        let cost = (end as u64).saturating_add(self.elements.saturating_mul(ELEMENT_COST));
        if cost > self.max_decoded as u64 {
            return Err(ProtocolError::DecodedTooLarge(self.max_decoded));
        }
        Ok(())
    }

    /// A whole request at the front of `buf` in the form every client
    /// sends, `*N` then N `$len` bulk strings with short headers, checked
    /// against every limit in one pass: its length, and where the data of
    /// its first [`QUICK_ELEMENTS`] elements lie. `None` for anything else
    /// or anything incomplete: [`Decoder::scan`] decides those, so this
    /// only ever saves work, never changes an outcome.
    fn quick_request(&self, buf: &[u8]) -> Option<(usize, Spans)> {
        let l = &self.limits;
        if buf.first() != Some(&b'*') || l.max_depth == 0 || l.max_line <= QUICK_DIGITS {
            return None;
        }
        let (count, mut at) = quick_number(buf, 1)?;
        if count == 0 || count > l.max_elements {
            return None;
        }
        let mut spans = Spans {
            count,
            at: [(0, 0); QUICK_ELEMENTS],
        };
        for i in 0..count {
            if buf.get(at) != Some(&b'$') {
                return None;
            }
            let (len, data) = quick_number(buf, at + 1)?;
            if len > l.max_bulk_len {
                return None;
            }
            let end = data.checked_add(len)?;
            if buf.get(end..end + 2)? != b"\r\n" {
                return None;
            }
            if let Some(slot) = spans.at.get_mut(i) {
                *slot = (data, end);
            }
            at = end + 2;
        }
        (at <= l.max_frame_len).then_some((at, spans))
    }

    fn advance(&mut self, to: usize) {
        self.pos = to;
        self.searched = to;
    }

    /// Records that the element ending at `self.pos` is complete; returns the
    /// frame length once that closes the outermost value.
    fn complete_element(&mut self) -> Option<usize> {
        while let Some(missing) = self.open.last_mut() {
            *missing -= 1;
            if *missing > 0 {
                return None;
            }
            self.open.pop();
        }
        Some(self.pos)
    }

    /// The header line of the element at `self.pos`, without its type byte
    /// and CRLF, and the offset just past the CRLF.
    fn line<'b>(&mut self, buf: &'b [u8]) -> Result<Option<(&'b [u8], usize)>, ProtocolError> {
        let start = self.pos + 1;
        // The line's text plus its CR may take max_line + 1 bytes. The same
        // test applies whether or not the LF has arrived yet, so that how
        // the bytes were split never changes which error is reported.
        let too_long = |end: usize| end - start > self.limits.max_line + 1;
        let from = self.searched.max(start);
        let Some(found) = find_lf(buf.get(from..).unwrap_or(&[])) else {
            self.searched = buf.len().max(start);
            if buf.len() > start && too_long(buf.len()) {
                return Err(ProtocolError::LineTooLong(self.limits.max_line));
            }
            return Ok(None);
        };
        let lf = from + found;
        if too_long(lf) {
            return Err(ProtocolError::LineTooLong(self.limits.max_line));
        }
        if lf == start || buf[lf - 1] != b'\r' {
            return Err(ProtocolError::BadLineEnding);
        }
        Ok(Some((&buf[start..lf - 1], lf + 1)))
    }
}

/// Most elements reserved for at once when building an aggregate.
const PREALLOC_MAX: usize = 1024;

/// Longest header number the quick path reads; longer ones go the general
/// way (they are either huge or malformed).
const QUICK_DIGITS: usize = 10;

/// Elements of a quick request whose place is remembered from the check;
/// the rest of a longer one are found again by their headers.
const QUICK_ELEMENTS: usize = 8;

/// What [`Decoder::quick_request`] found: the element count, and the data
/// range of each of the first [`QUICK_ELEMENTS`] elements.
struct Spans {
    count: usize,
    at: [(usize, usize); QUICK_ELEMENTS],
}

/// A non-negative decimal of at most [`QUICK_DIGITS`] digits at `at`,
/// followed by CRLF: the number and the offset past the CRLF.
#[inline]
fn quick_number(buf: &[u8], at: usize) -> Option<(usize, usize)> {
    // One digit then CRLF: most headers of most requests.
    if let Some(&[d, b'\r', b'\n']) = buf.get(at..at + 3) {
        return d.is_ascii_digit().then(|| (usize::from(d - b'0'), at + 3));
    }
    let mut n = 0usize;
    let mut i = at;
    loop {
        let b = *buf.get(i)?;
        if b.is_ascii_digit() {
            if i - at == QUICK_DIGITS {
                return None;
            }
            n = n * 10 + usize::from(b - b'0');
            i += 1;
        } else if b == b'\r' && i > at {
            return (buf.get(i + 1) == Some(&b'\n')).then_some((n, i + 2));
        } else {
            return None;
        }
    }
}

/// Builds the request that [`Decoder::quick_request`] measured: its bulk
/// strings as slices of the one frame.
fn build_request(frame: Bytes, spans: &Spans) -> Value {
    let mut items = Vec::with_capacity(spans.count.min(PREALLOC_MAX));
    let mut at = 0;
    for i in 0..spans.count {
        let (data, end) = match spans.at.get(i) {
            Some(&span) => span,
            None => match quick_number(&frame, at + 1) {
                Some((len, data)) => (data, data + len),
                None => break,
            },
        };
        if end > frame.len() {
            break;
        }
        items.push(Value::Bulk(frame.slice(data..end)));
        at = end + 2;
    }
    Value::Array(items)
}

/// Builds the value at `*at` from a frame that [`Decoder::scan`] accepted.
/// The checks here repeat only what is needed to stay panic-free.
fn build(frame: &Bytes, at: &mut usize) -> Result<Value, ProtocolError> {
    let tag = *frame.get(*at).ok_or(ProtocolError::BadLineEnding)?;
    let start = *at + 1;
    let lf = find_lf(frame.get(start..).unwrap_or(&[]))
        .map(|i| start + i)
        .ok_or(ProtocolError::BadLineEnding)?;
    if lf == start {
        return Err(ProtocolError::BadLineEnding);
    }
    let header = &frame[start..lf - 1];
    *at = lf + 1;
    Ok(match tag {
        b'+' => Value::Simple(frame.slice(start..lf - 1)),
        b'-' => Value::Error(frame.slice(start..lf - 1)),
        b':' => Value::Integer(parse_i64(header)?),
        b'#' => Value::Boolean(header == b"t"),
        b',' => Value::Double(parse_double(header)?),
        b'_' => Value::Null,
        b'$' => match parse_len(header)? {
            None => Value::Null,
            Some(len) => {
                let end = *at + len as usize;
                if end + 2 > frame.len() {
                    return Err(ProtocolError::InvalidLength);
                }
                let data = frame.slice(*at..end);
                *at = end + 2;
                Value::Bulk(data)
            }
        },
        b'*' | b'~' | b'>' => match parse_len(header)? {
            None => Value::Null,
            Some(n) => {
                // All n elements are in the frame, but one can be 3 bytes
                // on the wire and 40 in memory: let a huge count grow the
                // vector as it fills rather than reserve for it up front.
                let mut items = Vec::with_capacity((n as usize).min(PREALLOC_MAX));
                for _ in 0..n {
                    items.push(build(frame, at)?);
                }
                match tag {
                    b'*' => Value::Array(items),
                    b'~' => Value::Set(items),
                    _ => Value::Push(items),
                }
            }
        },
        b'%' => {
            let n = parse_len(header)?.ok_or(ProtocolError::InvalidLength)?;
            let mut pairs = Vec::with_capacity((n as usize).min(PREALLOC_MAX));
            for _ in 0..n {
                let k = build(frame, at)?;
                let v = build(frame, at)?;
                pairs.push((k, v));
            }
            Value::Map(pairs)
        }
        other => return Err(ProtocolError::InvalidTypeByte(other as char)),
    })
}

/// Index of the first LF in `hay`. Most lines are short headers such as
/// `$16`, where a plain loop beats memchr's set-up cost; a long line still
/// goes to memchr.
#[inline]
fn find_lf(hay: &[u8]) -> Option<usize> {
    const SHORT: usize = 24;
    let head = &hay[..hay.len().min(SHORT)];
    if let Some(i) = head.iter().position(|&b| b == b'\n') {
        return Some(i);
    }
    if hay.len() <= SHORT {
        return None;
    }
    memchr::memchr(b'\n', &hay[SHORT..]).map(|i| i + SHORT)
}

/// Parses a signed decimal that fits in an i64: an optional `-`, then digits.
pub fn parse_i64(s: &[u8]) -> Result<i64, ProtocolError> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(ProtocolError::InvalidInteger);
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(ProtocolError::InvalidInteger);
        }
        let d = i64::from(d - b'0');
        // Accumulate on the negative side so that i64::MIN parses.
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_sub(d))
            .ok_or(ProtocolError::InvalidInteger)?;
    }
    if neg {
        Ok(n)
    } else {
        n.checked_neg().ok_or(ProtocolError::InvalidInteger)
    }
}

/// A length header: `None` for `-1`, an error for any other negative.
fn parse_len(s: &[u8]) -> Result<Option<u64>, ProtocolError> {
    match parse_i64(s).map_err(|_| ProtocolError::InvalidLength)? {
        -1 => Ok(None),
        n if n < 0 => Err(ProtocolError::InvalidLength),
        n => Ok(Some(n as u64)),
    }
}

fn parse_double(s: &[u8]) -> Result<f64, ProtocolError> {
    std::str::from_utf8(s)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .ok_or(ProtocolError::InvalidDouble)
}

#[cfg(test)]
mod decoded_bound_tests {
    use super::*;

    #[test]
    fn a_frame_of_many_small_elements_is_refused_by_its_decoded_cost() {
        let mut wire = BytesMut::from(&b"*3\r\n$4\r\nECHO\r\n*2\r\n:0\r\n:0\r\n:1\r\n"[..]);
        let cost = wire.len() as u64 + 6 * ELEMENT_COST;
        let mut d = Decoder::default();
        d.set_max_decoded(cost as usize);
        assert!(matches!(d.decode(&mut wire.clone()), Ok(Some(_))));
        d.reset();
        d.set_max_decoded(cost as usize - 1);
        assert_eq!(
            d.decode(&mut wire),
            Err(ProtocolError::DecodedTooLarge(cost as usize - 1))
        );
        // Arriving a byte at a time counts each element once.
        let whole = b"*2\r\n$3\r\nabc\r\n*1\r\n:7\r\n";
        let mut d = Decoder::default();
        d.set_max_decoded(whole.len() + 4 * ELEMENT_COST as usize);
        let mut buf = BytesMut::new();
        let mut got = None;
        for b in whole {
            buf.extend_from_slice(&[*b]);
            if let Some(v) = d.decode(&mut buf).expect("within the bound") {
                got = Some(v);
            }
        }
        assert!(got.is_some());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Result<Vec<Value>, ProtocolError> {
        let mut d = Decoder::default();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(v) = d.decode(&mut buf)? {
            out.push(v);
        }
        assert!(buf.is_empty(), "trailing bytes: {buf:?}");
        Ok(out)
    }

    fn one(input: &[u8]) -> Value {
        let v = decode_all(input).expect("valid frame");
        assert_eq!(v.len(), 1);
        v.into_iter().next().expect("one value")
    }

    fn err(input: &[u8]) -> ProtocolError {
        let mut d = Decoder::default();
        let mut buf = BytesMut::from(input);
        loop {
            match d.decode(&mut buf) {
                Err(e) => return e,
                Ok(Some(_)) => continue,
                Ok(None) => panic!("no error for {input:?}"),
            }
        }
    }

    /// The general path alone: scan, then build.
    fn general(input: &[u8], limits: Limits) -> Result<Option<Value>, ProtocolError> {
        let mut d = Decoder::new(limits);
        let Some(len) = d.scan(input)? else {
            return Ok(None);
        };
        let frame = Bytes::copy_from_slice(&input[..len]);
        build(&frame, &mut 0).map(Some)
    }

    proptest::proptest! {
        /// Requests, whole, cut short or with one byte changed, under tight
        /// limits: the quick path gives what the general path gives.
        #[test]
        fn the_quick_path_never_changes_an_outcome(
            words in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..20), 0..12),
            cut in proptest::num::usize::ANY,
            flip in proptest::option::of((proptest::num::usize::ANY, proptest::num::u8::ANY)),
            max_bulk_len in 0usize..24,
            max_elements in 0usize..14,
            max_frame_len in 0usize..200,
        ) {
            let mut input = format!("*{}\r\n", words.len()).into_bytes();
            for w in &words {
                input.extend_from_slice(format!("${}\r\n", w.len()).as_bytes());
                input.extend_from_slice(w);
                input.extend_from_slice(b"\r\n");
            }
            if let Some((at, b)) = flip {
                let at = at % input.len();
                input[at] = b;
            }
            input.truncate(cut % (input.len() + 1));
            let limits = Limits { max_bulk_len, max_elements, max_frame_len, ..Limits::default() };
            let expected = general(&input, limits);
            let mut buf = BytesMut::from(&input[..]);
            let got = Decoder::new(limits).decode(&mut buf);
            proptest::prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn says_how_much_of_a_bulk_string_is_still_to_come() {
        let mut d = Decoder::default();
        let mut buf = BytesMut::from(&b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123"[..]);
        assert_eq!(d.decode(&mut buf), Ok(None));
        // Six more bytes of data, then its CRLF.
        assert_eq!(d.missing(buf.len()), 8);
        buf.extend_from_slice(b"456789\r");
        assert_eq!(d.decode(&mut buf), Ok(None));
        assert_eq!(d.missing(buf.len()), 1);
        // A header cut short: nothing known.
        let mut d = Decoder::default();
        let mut cut = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$1"[..]);
        assert_eq!(d.decode(&mut cut), Ok(None));
        assert_eq!(d.missing(cut.len()), 0);
        // Past the bulk string, waiting for the next element's header.
        let mut d = Decoder::default();
        let mut more = BytesMut::from(&b"*3\r\n$1\r\na\r\n$2\r\nbc"[..]);
        assert_eq!(d.decode(&mut more), Ok(None));
        assert_eq!(d.missing(more.len()), 2);
        more.extend_from_slice(b"\r\n$");
        assert_eq!(d.decode(&mut more), Ok(None));
        assert_eq!(d.missing(more.len()), 0);
        more.extend_from_slice(b"1\r\nd\r\n");
        assert!(matches!(d.decode(&mut more), Ok(Some(_))));
        assert_eq!(d.missing(0), 0, "forgotten with the frame");
    }

    #[test]
    fn every_type() {
        assert_eq!(one(b"+OK\r\n"), Value::simple("OK"));
        assert_eq!(one(b"-ERR no\r\n"), Value::error("ERR no"));
        assert_eq!(one(b":-17\r\n"), Value::Integer(-17));
        assert_eq!(one(b"$3\r\na\r\n\r\n"), Value::bulk("a\r\n"));
        assert_eq!(one(b"$0\r\n\r\n"), Value::bulk(""));
        assert_eq!(one(b"$-1\r\n"), Value::Null);
        assert_eq!(one(b"*-1\r\n"), Value::Null);
        assert_eq!(one(b"_\r\n"), Value::Null);
        assert_eq!(one(b"#t\r\n"), Value::Boolean(true));
        assert_eq!(one(b",1.5\r\n"), Value::Double(1.5));
        assert_eq!(one(b"*0\r\n"), Value::Array(vec![]));
        assert_eq!(one(b"%0\r\n"), Value::Map(vec![]));
        assert_eq!(
            one(b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n"),
            Value::Array(vec![
                Value::Integer(1),
                Value::Array(vec![Value::bulk("x")])
            ])
        );
        assert_eq!(
            one(b"%2\r\n+b\r\n:2\r\n+a\r\n$-1\r\n"),
            Value::Map(vec![
                (Value::simple("b"), Value::Integer(2)),
                (Value::simple("a"), Value::Null),
            ])
        );
        assert_eq!(one(b"~1\r\n:3\r\n"), Value::Set(vec![Value::Integer(3)]));
        assert_eq!(one(b">1\r\n:3\r\n"), Value::Push(vec![Value::Integer(3)]));
    }

    #[test]
    fn integer_bounds() {
        assert_eq!(one(b":9223372036854775807\r\n"), Value::Integer(i64::MAX));
        assert_eq!(one(b":-9223372036854775808\r\n"), Value::Integer(i64::MIN));
        assert_eq!(
            err(b":9223372036854775808\r\n"),
            ProtocolError::InvalidInteger
        );
        assert_eq!(
            err(b":-9223372036854775809\r\n"),
            ProtocolError::InvalidInteger
        );
        assert_eq!(err(b":\r\n"), ProtocolError::InvalidInteger);
        assert_eq!(err(b":+1\r\n"), ProtocolError::InvalidInteger);
        assert_eq!(err(b":1x\r\n"), ProtocolError::InvalidInteger);
        assert_eq!(err(b":-\r\n"), ProtocolError::InvalidInteger);
    }

    #[test]
    fn malformed_classes() {
        assert_eq!(err(b"?x\r\n"), ProtocolError::InvalidTypeByte('?'));
        assert_eq!(err(b"+OK\n"), ProtocolError::BadLineEnding);
        assert_eq!(err(b"+O\rK\r\n"), ProtocolError::BadLineEnding);
        assert_eq!(err(b"\r\n"), ProtocolError::InvalidTypeByte('\r'));
        assert_eq!(err(b"$3\r\nabcX\n"), ProtocolError::BadBulkTerminator);
        assert_eq!(err(b"$3\r\nabc\r\r"), ProtocolError::BadBulkTerminator);
        assert_eq!(err(b"$-2\r\n"), ProtocolError::InvalidLength);
        assert_eq!(err(b"*-2\r\n"), ProtocolError::InvalidLength);
        assert_eq!(err(b"%-1\r\n"), ProtocolError::InvalidLength);
        assert_eq!(err(b"$abc\r\n"), ProtocolError::InvalidLength);
        assert_eq!(err(b"#x\r\n"), ProtocolError::InvalidBoolean);
        assert_eq!(err(b",nope\r\n"), ProtocolError::InvalidDouble);
        assert_eq!(err(b"_x\r\n"), ProtocolError::InvalidNull);
        // A bad element deep inside an array is found too.
        assert_eq!(
            err(b"*2\r\n:1\r\n!\r\n"),
            ProtocolError::InvalidTypeByte('!')
        );
    }

    #[test]
    fn limits_are_enforced_from_headers_alone() {
        let limits = Limits {
            max_bulk_len: 10,
            max_elements: 3,
            max_depth: 2,
            max_line: 8,
            max_frame_len: 40,
        };
        let check = |input: &[u8], want: ProtocolError| {
            let mut d = Decoder::new(limits);
            let mut buf = BytesMut::from(input);
            assert_eq!(d.decode(&mut buf), Err(want), "{input:?}");
        };
        check(
            b"$11\r\n",
            ProtocolError::BulkTooLong { len: 11, limit: 10 },
        );
        check(
            b"*4\r\n",
            ProtocolError::TooManyElements { count: 4, limit: 3 },
        );
        check(
            b"%4\r\n",
            ProtocolError::TooManyElements { count: 4, limit: 3 },
        );
        check(b"*1\r\n*1\r\n*1\r\n", ProtocolError::TooDeep(2));
        check(b"+0123456789", ProtocolError::LineTooLong(8));
        check(b"+0123456789\r\n", ProtocolError::LineTooLong(8));
        // Every part within its limit, the whole too long: complete...
        check(
            b"*3\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n",
            ProtocolError::FrameTooLong(40),
        );
        // ...or still arriving.
        check(
            b"*3\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n$10\r\n0123456789",
            ProtocolError::FrameTooLong(40),
        );
        // At the limits themselves everything is fine.
        let mut d = Decoder::new(limits);
        let mut buf = BytesMut::from(&b"*1\r\n*3\r\n$10\r\n0123456789\r\n:1\r\n+12345678\r\n"[..]);
        assert!(matches!(d.decode(&mut buf), Ok(Some(Value::Array(_)))));
    }

    #[test]
    fn split_never_changes_which_error() {
        // Found by the fuzzer: an over-long line with a bad ending reported
        // BadLineEnding whole but LineTooLong when split.
        let limits = Limits {
            max_line: 8,
            ..Limits::default()
        };
        for input in [
            &b"+0123456789\n"[..],
            b"+01234567\r\r\n",
            b"*1\r\n-abcdefghij\r\n",
        ] {
            let whole = Decoder::new(limits).decode(&mut BytesMut::from(input));
            let mut d = Decoder::new(limits);
            let mut buf = BytesMut::new();
            let mut split = Ok(None);
            for &b in input {
                buf.extend_from_slice(&[b]);
                split = d.decode(&mut buf);
                if split.is_err() {
                    break;
                }
            }
            assert_eq!(whole, split, "{input:?}");
            assert_eq!(whole, Err(ProtocolError::LineTooLong(8)), "{input:?}");
        }
    }

    #[test]
    fn huge_declared_bulk_costs_nothing_up_front() {
        let mut d = Decoder::default();
        let mut buf = BytesMut::from(&b"$524288000\r\n0123456789"[..]);
        assert_eq!(d.decode(&mut buf), Ok(None));
        assert_eq!(buf.len(), 22, "nothing consumed");
        assert!(
            buf.capacity() < 4096,
            "no allocation from the declared length"
        );
    }

    #[test]
    fn pipelined_frames_come_out_in_order() {
        let got = decode_all(b":1\r\n:2\r\n+three\r\n*1\r\n:4\r\n").expect("valid");
        assert_eq!(
            got,
            vec![
                Value::Integer(1),
                Value::Integer(2),
                Value::simple("three"),
                Value::Array(vec![Value::Integer(4)])
            ]
        );
    }

    #[test]
    fn byte_by_byte_arrival() {
        let input = b"*3\r\n$3\r\nSET\r\n%1\r\n:1\r\n$2\r\nhi\r\n*0\r\n";
        let mut d = Decoder::default();
        let mut buf = BytesMut::new();
        for (i, &b) in input.iter().enumerate() {
            buf.extend_from_slice(&[b]);
            let got = d.decode(&mut buf).expect("valid prefix");
            if i + 1 < input.len() {
                assert_eq!(got, None, "complete too early at byte {i}");
            } else {
                assert!(got.is_some());
            }
        }
    }

    #[test]
    fn large_bulk_in_small_pieces_is_not_rescanned() {
        // 8 MiB in 1 KiB pieces: with re-scanning this would walk ~32 GiB.
        let size = 8 << 20;
        let mut input = format!("${size}\r\n").into_bytes();
        input.extend(std::iter::repeat_n(b'x', size));
        input.extend_from_slice(b"\r\n");
        let mut d = Decoder::default();
        let mut buf = BytesMut::new();
        let mut result = None;
        for chunk in input.chunks(1024) {
            buf.extend_from_slice(chunk);
            if let Some(v) = d.decode(&mut buf).expect("valid") {
                result = Some(v);
            }
        }
        match result {
            Some(Value::Bulk(b)) => assert_eq!(b.len(), size),
            other => panic!("got {other:?}"),
        }
    }
}
