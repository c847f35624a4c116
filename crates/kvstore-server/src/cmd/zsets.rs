//! The sorted set family: ZADD and its options, scores, ranks, ranges by
//! rank, score and member, pops, random members, ZSCAN, and the union,
//! intersection and difference of several keys.
//!
//! Scores are read as Redis reads them (C's `strtod`, NaN refused) and
//! written as Redis 7.0 writes them (`%.17g`, see [`format_score`]). In
//! RESP3 a score is a double; in RESP2 its text as a bulk string.

use std::borrow::Cow;
use std::os::raw::c_char;

use bytes::Bytes;
use kvstore_protocol::Value;

use super::container::{self, Kind};
use super::rng::Rng;
use super::strings::wrongtype;
use super::table::acl::*;
use super::table::flags::*;
use super::table::ONE;
use super::{integer, is_word, key, syntax_error, Command, Ctx};
use crate::keyspace::glob;
use crate::keyspace::object::{format_score, Score, ZSet};
use crate::keyspace::{Locked, NewValue, Object, Record, ValueRef};
use crate::tri;

/// Commands whose keys follow a `numkeys` argument: Redis finds them with
/// a "keynum" key spec; the row names the first one.
const NUMKEYS: (i64, i64, i64) = (2, 2, 1);

pub static COMMANDS: &[Command] = &[
    Command::new("zadd", -4, WRITE | DENYOOM | FAST, SORTEDSET, ONE, zadd)
        .doc("sorted_set", "Adds members to a sorted set, or updates their scores; creates the key if needed.", "key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]"),
    Command::new("zincrby", 4, WRITE | DENYOOM | FAST, SORTEDSET, ONE, zincrby)
        .doc("sorted_set", "Adds to the score of a member of a sorted set.", "key increment member"),
    Command::new("zrem", -3, WRITE | FAST, SORTEDSET, ONE, zrem)
        .doc("sorted_set", "Removes members from a sorted set; deletes the key when the last goes.", "key member [member ...]"),
    Command::new("zcard", 2, READONLY | FAST, SORTEDSET, ONE, zcard)
        .doc("sorted_set", "Returns the number of members of a sorted set.", "key"),
    Command::new("zscore", 3, READONLY | FAST, SORTEDSET, ONE, zscore)
        .doc("sorted_set", "Returns the score of a member of a sorted set.", "key member"),
    Command::new("zmscore", -3, READONLY | FAST, SORTEDSET, ONE, zmscore)
        .doc("sorted_set", "Returns the scores of several members of a sorted set.", "key member [member ...]"),
    Command::new("zrank", 3, READONLY | FAST, SORTEDSET, ONE, zrank)
        .doc("sorted_set", "Returns the index of a member in a sorted set ordered by ascending scores.", "key member"),
    Command::new("zrevrank", 3, READONLY | FAST, SORTEDSET, ONE, zrevrank)
        .doc("sorted_set", "Returns the index of a member in a sorted set ordered by descending scores.", "key member"),
    Command::new("zcount", 4, READONLY | FAST, SORTEDSET, ONE, zcount)
        .doc("sorted_set", "Returns the count of members of a sorted set with scores in a range.", "key min max"),
    Command::new("zrange", -4, READONLY, SORTEDSET, ONE, zrange)
        .doc("sorted_set", "Returns members of a sorted set in a range of indexes, scores or members.", "key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"),
    Command::new("zrevrange", -4, READONLY, SORTEDSET, ONE, zrevrange)
        .doc("sorted_set", "Returns members of a sorted set in a range of indexes, highest score first.", "key start stop [WITHSCORES]"),
    Command::new("zrangebyscore", -4, READONLY, SORTEDSET, ONE, zrangebyscore)
        .doc("sorted_set", "Returns members of a sorted set in a range of scores.", "key min max [WITHSCORES] [LIMIT offset count]"),
    Command::new("zrevrangebyscore", -4, READONLY, SORTEDSET, ONE, zrevrangebyscore)
        .doc("sorted_set", "Returns members of a sorted set in a range of scores, highest first.", "key max min [WITHSCORES] [LIMIT offset count]"),
    Command::new("zrangebylex", -4, READONLY, SORTEDSET, ONE, zrangebylex)
        .doc("sorted_set", "Returns members of a sorted set in a lexicographical range.", "key min max [LIMIT offset count]"),
    Command::new("zrevrangebylex", -4, READONLY, SORTEDSET, ONE, zrevrangebylex)
        .doc("sorted_set", "Returns members of a sorted set in a lexicographical range, in reverse order.", "key max min [LIMIT offset count]"),
    Command::new("zlexcount", 4, READONLY | FAST, SORTEDSET, ONE, zlexcount)
        .doc("sorted_set", "Returns the number of members of a sorted set in a lexicographical range.", "key min max"),
    Command::new("zrangestore", -5, WRITE | DENYOOM, SORTEDSET, (1, 2, 1), zrangestore)
        .doc("sorted_set", "Stores a range of members of a sorted set in another key.", "destination source min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]"),
    Command::new("zpopmin", -2, WRITE | FAST, SORTEDSET, ONE, zpopmin)
        .doc("sorted_set", "Removes and returns the members with the lowest scores.", "key [count]"),
    Command::new("zpopmax", -2, WRITE | FAST, SORTEDSET, ONE, zpopmax)
        .doc("sorted_set", "Removes and returns the members with the highest scores.", "key [count]"),
    Command::new("zremrangebyrank", 4, WRITE, SORTEDSET, ONE, zremrangebyrank)
        .doc("sorted_set", "Removes the members of a sorted set in a range of indexes.", "key start stop"),
    Command::new("zremrangebyscore", 4, WRITE, SORTEDSET, ONE, zremrangebyscore)
        .doc("sorted_set", "Removes the members of a sorted set in a range of scores.", "key min max"),
    Command::new("zremrangebylex", 4, WRITE, SORTEDSET, ONE, zremrangebylex)
        .doc("sorted_set", "Removes the members of a sorted set in a lexicographical range.", "key min max"),
    Command::new("zrandmember", -2, READONLY, SORTEDSET, ONE, zrandmember)
        .doc("sorted_set", "Returns random members of a sorted set.", "key [count [WITHSCORES]]"),
    Command::new("zmpop", -4, WRITE, SORTEDSET, NUMKEYS, zmpop)
        .doc("sorted_set", "Removes and returns members with the lowest or highest scores from the first non-empty sorted set.", "numkeys key [key ...] MIN|MAX [COUNT count]"),
    Command::new("bzpopmin", -3, WRITE | FAST | BLOCKING, SORTEDSET, (1, -2, 1), bzpopmin)
        .doc("sorted_set", "Removes and returns the member with the lowest score of the first non-empty sorted set, waiting for one.", "key [key ...] timeout"),
    Command::new("bzpopmax", -3, WRITE | FAST | BLOCKING, SORTEDSET, (1, -2, 1), bzpopmax)
        .doc("sorted_set", "Removes and returns the member with the highest score of the first non-empty sorted set, waiting for one.", "key [key ...] timeout"),
    Command::new("bzmpop", -5, WRITE | BLOCKING, SORTEDSET, (3, 3, 1), bzmpop)
        .doc("sorted_set", "Removes and returns members from the first non-empty sorted set, waiting for one.", "timeout numkeys key [key ...] MIN|MAX [COUNT count]"),
    Command::new("zscan", -3, READONLY, SORTEDSET, ONE, zscan)
        .doc("sorted_set", "Iterates over members and scores of a sorted set.", "key cursor [MATCH pattern] [COUNT count]"),
    Command::new("zunion", -3, READONLY, SORTEDSET, NUMKEYS, zunion)
        .doc("sorted_set", "Returns the union of several sorted sets.", "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"),
    Command::new("zinter", -3, READONLY, SORTEDSET, NUMKEYS, zinter)
        .doc("sorted_set", "Returns the intersection of several sorted sets.", "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"),
    Command::new("zdiff", -3, READONLY, SORTEDSET, NUMKEYS, zdiff)
        .doc("sorted_set", "Returns the difference between the first sorted set and the others.", "numkeys key [key ...] [WITHSCORES]"),
    Command::new("zunionstore", -4, WRITE | DENYOOM, SORTEDSET, ONE, zunionstore)
        .doc("sorted_set", "Stores the union of several sorted sets in a key.", "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]"),
    Command::new("zinterstore", -4, WRITE | DENYOOM, SORTEDSET, ONE, zinterstore)
        .doc("sorted_set", "Stores the intersection of several sorted sets in a key.", "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]"),
    Command::new("zdiffstore", -4, WRITE | DENYOOM, SORTEDSET, ONE, zdiffstore)
        .doc("sorted_set", "Stores the difference between the first sorted set and the others in a key.", "destination numkeys key [key ...]"),
    Command::new("zintercard", -3, READONLY, SORTEDSET, NUMKEYS, zintercard)
        .doc("sorted_set", "Returns the number of members in the intersection of several sorted sets.", "numkeys key [key ...] [LIMIT limit]"),
];

// ---- Reading arguments ----

extern "C" {
    fn strtod(s: *const c_char, end: *mut *mut c_char) -> f64;
}

/// C's `strtod` on `b`: the number and how many bytes it read.
fn c_strtod(b: &[u8]) -> (f64, usize) {
    let mut text = Vec::with_capacity(b.len() + 1);
    text.extend_from_slice(b);
    text.push(0);
    let start = text.as_ptr().cast::<c_char>();
    let mut end = start.cast_mut();
    // SAFETY: `text` is NUL-terminated and outlives the call; `end` is
    // set by strtod to a pointer into it.
    let d = unsafe { strtod(start, &mut end) };
    let read = (end as usize).saturating_sub(start as usize);
    (d, read)
}

/// True if the mantissa of a number `strtod` read spells a nonzero value
/// (so a zero result is an underflow, which Redis refuses).
fn nonzero_mantissa(b: &[u8]) -> bool {
    let b = b.strip_prefix(b"-").or(b.strip_prefix(b"+")).unwrap_or(b);
    let hex = b.len() > 1 && b[0] == b'0' && (b[1] | 0x20) == b'x';
    let (digits, stop) = if hex { (&b[2..], b'p') } else { (b, b'e') };
    digits.iter().take_while(|c| (**c | 0x20) != stop).any(|c| {
        if hex {
            c.is_ascii_hexdigit() && *c != b'0'
        } else {
            (b'1'..=b'9').contains(c)
        }
    })
}

fn is_inf_literal(b: &[u8]) -> bool {
    let b = b.strip_prefix(b"-").or(b.strip_prefix(b"+")).unwrap_or(b);
    b.eq_ignore_ascii_case(b"inf") || b.eq_ignore_ascii_case(b"infinity")
}

/// A double as Redis's `getDoubleFromObject` reads it: the whole text, no
/// leading space, not NaN, not out of range.
fn parse_double(b: &[u8]) -> Option<f64> {
    if b.is_empty() || b[0].is_ascii_whitespace() || b[0] == 0x0b {
        return None;
    }
    let (d, read) = c_strtod(b);
    let overflow = d.is_infinite() && !is_inf_literal(b);
    let underflow = d == 0.0 && nonzero_mantissa(b);
    (read == b.len() && !d.is_nan() && !overflow && !underflow).then_some(d)
}

/// The bytes of an argument (an integer as its decimal text).
fn text(v: &Value) -> Result<Cow<'_, [u8]>, Value> {
    key(v)
}

fn float_arg(v: &Value, msg: &str) -> Result<f64, Value> {
    match v {
        Value::Double(d) if !d.is_nan() => Ok(*d),
        _ => parse_double(&text(v)?).ok_or_else(|| Value::error(msg)),
    }
}

fn score_arg(v: &Value) -> Result<f64, Value> {
    float_arg(v, "ERR value is not a valid float")
}

/// A score interval, each end inclusive or not (Redis's `zrangespec`).
#[derive(Clone, Copy, Debug)]
struct ScoreRange {
    min: f64,
    max: f64,
    minex: bool,
    maxex: bool,
}

impl ScoreRange {
    fn above_min(&self, s: f64) -> bool {
        if self.minex {
            s > self.min
        } else {
            s >= self.min
        }
    }

    fn below_max(&self, s: f64) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }
}

/// One end of a score range as `zslParseRange` reads it: `(` for an
/// exclusive end, then anything `strtod` reads whole (spaces first and
/// the empty string included), not NaN.
fn score_bound(v: &Value) -> Option<(f64, bool)> {
    let b = text(v).ok()?;
    let (ex, num) = match b.strip_prefix(b"(") {
        Some(rest) => (true, rest),
        None => (false, &b[..]),
    };
    let (d, read) = c_strtod(num);
    (read == num.len() && !d.is_nan()).then_some((d, ex))
}

fn score_range(min: &Value, max: &Value) -> Result<ScoreRange, Value> {
    match (score_bound(min), score_bound(max)) {
        (Some((min, minex)), Some((max, maxex))) => Ok(ScoreRange {
            min,
            max,
            minex,
            maxex,
        }),
        _ => Err(Value::error("ERR min or max is not a float")),
    }
}

/// One end of a lexicographic range (Redis's `zlexrangespec`).
#[derive(Clone, Debug, PartialEq)]
enum LexBound {
    NegInf,
    PosInf,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

#[derive(Clone, Debug)]
struct LexRange {
    min: LexBound,
    max: LexBound,
}

impl LexRange {
    fn above_min(&self, m: &[u8]) -> bool {
        match &self.min {
            LexBound::NegInf => true,
            LexBound::PosInf => false,
            LexBound::Incl(b) => m >= &b[..],
            LexBound::Excl(b) => m > &b[..],
        }
    }

    fn below_max(&self, m: &[u8]) -> bool {
        match &self.max {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Incl(b) => m <= &b[..],
            LexBound::Excl(b) => m < &b[..],
        }
    }
}

fn lex_bound(v: &Value) -> Option<LexBound> {
    let b = text(v).ok()?;
    match b.split_first()? {
        (b'+', []) => Some(LexBound::PosInf),
        (b'-', []) => Some(LexBound::NegInf),
        (b'(', rest) => Some(LexBound::Excl(rest.to_vec())),
        (b'[', rest) => Some(LexBound::Incl(rest.to_vec())),
        _ => None,
    }
}

fn lex_range(min: &Value, max: &Value) -> Result<LexRange, Value> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(min), Some(max)) => Ok(LexRange { min, max }),
        _ => Err(Value::error("ERR min or max not valid string range item")),
    }
}

/// Redis's clamping of a rank range `start..=stop` (negative from the
/// end) to a set of `len`; `None` if it is empty.
fn rank_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (start + len).max(0)
    } else {
        start
    };
    let stop = if stop < 0 { stop + len } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop.min(len - 1) as usize))
}

// ---- Replies ----

fn score_reply(ctx: &Ctx<'_>, s: f64) -> Value {
    if ctx.session.resp3 {
        Value::Double(s)
    } else {
        Value::Bulk(Bytes::from(format_score(s)))
    }
}

fn member_reply(m: &[u8]) -> Value {
    Value::Bulk(Bytes::copy_from_slice(m))
}

/// Members, with their scores if asked: flat in RESP2, pairs in RESP3.
fn entries_reply(ctx: &Ctx<'_>, entries: Vec<(Vec<u8>, f64)>, withscores: bool) -> Value {
    if !withscores {
        return Value::Array(
            entries
                .into_iter()
                .map(|(m, _)| Value::Bulk(m.into()))
                .collect(),
        );
    }
    if ctx.session.resp3 {
        return Value::Array(
            entries
                .into_iter()
                .map(|(m, s)| Value::Array(vec![Value::Bulk(m.into()), Value::Double(s)]))
                .collect(),
        );
    }
    Value::Array(
        entries
            .into_iter()
            .flat_map(|(m, s)| {
                [
                    Value::Bulk(m.into()),
                    Value::Bulk(Bytes::from(format_score(s))),
                ]
            })
            .collect(),
    )
}

/// Member, score pairs, nested in both protocols (ZMPOP's shape).
fn pairs_reply(ctx: &Ctx<'_>, entries: Vec<(Vec<u8>, f64)>) -> Value {
    Value::Array(
        entries
            .into_iter()
            .map(|(m, s)| Value::Array(vec![Value::Bulk(m.into()), score_reply(ctx, s)]))
            .collect(),
    )
}

// ---- Container access ----

fn as_zset(o: &Object) -> Option<&ZSet> {
    match o {
        Object::ZSet(z) => Some(z),
        _ => None,
    }
}

fn as_zset_mut(o: &mut Object) -> Option<&mut ZSet> {
    match o {
        Object::ZSet(z) => Some(z),
        _ => None,
    }
}

/// Runs `f` on the sorted set at `key` (`None` if missing).
fn read<R>(ctx: &Ctx<'_>, k: &[u8], f: impl FnOnce(Option<&ZSet>) -> R) -> Result<R, Value> {
    container::read(ctx.db(), k, Kind::ZSet, |o| f(o.and_then(as_zset)))
}

/// Runs `f` on the sorted set at `key`, creating it if `create`; `None`
/// if it is missing and not created. An emptied set is removed.
fn write<R>(
    ctx: &Ctx<'_>,
    k: &[u8],
    create: bool,
    f: impl FnOnce(&mut ZSet) -> R,
) -> Result<Option<R>, Value> {
    let out = container::write(ctx.db(), k, Kind::ZSet, create, |o| as_zset_mut(o).map(f))?;
    Ok(out.flatten())
}

// ---- ZADD, ZINCRBY, ZREM ----

#[derive(Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// ZADD's flags, then where the score, member pairs start.
fn add_flags(args: &[Value]) -> (AddFlags, usize) {
    let mut f = AddFlags::default();
    let mut i = 2;
    while let Some(a) = args.get(i) {
        let slot = match a.as_bytes().map(|b| b.to_ascii_uppercase()).as_deref() {
            Some(b"NX") => &mut f.nx,
            Some(b"XX") => &mut f.xx,
            Some(b"GT") => &mut f.gt,
            Some(b"LT") => &mut f.lt,
            Some(b"CH") => &mut f.ch,
            Some(b"INCR") => &mut f.incr,
            _ => break,
        };
        *slot = true;
        i += 1;
    }
    (f, i)
}

/// What one ZADD element did.
enum Added {
    New,
    Updated(f64),
    Unchanged(f64),
    Skipped,
}

fn add_one(z: &mut ZSet, f: &AddFlags, member: &[u8], score: f64) -> Result<Added, Value> {
    let Some(cur) = z.score(member) else {
        if f.xx {
            return Ok(Added::Skipped);
        }
        z.insert(member, score);
        return Ok(Added::New);
    };
    if f.nx {
        return Ok(Added::Skipped);
    }
    let score = if f.incr { cur + score } else { score };
    if score.is_nan() {
        return Err(Value::error("ERR resulting score is not a number (NaN)"));
    }
    if (f.lt && score >= cur) || (f.gt && score <= cur) {
        return Ok(Added::Skipped);
    }
    if score == cur {
        return Ok(Added::Unchanged(score));
    }
    z.insert(member, score);
    Ok(Added::Updated(score))
}

fn zadd_generic(ctx: &mut Ctx<'_>, args: &[Value], f: AddFlags, first: usize) -> Value {
    let pairs = &args[first..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return syntax_error();
    }
    if f.nx && f.xx {
        return Value::error("ERR XX and NX options at the same time are not compatible");
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Value::error("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && pairs.len() > 2 {
        return Value::error("ERR INCR option supports a single increment-element pair");
    }
    let mut elems = Vec::new();
    if elems.try_reserve(pairs.len() / 2).is_err() {
        return Value::error("ERR out of memory");
    }
    for p in pairs.chunks_exact(2) {
        elems.push((tri!(score_arg(&p[0])), tri!(text(&p[1]))));
    }
    let k = tri!(key(&args[1]));
    let outcome = write(ctx, &k, !f.xx, |z| {
        let (mut added, mut changed, mut last) = (0, 0, None);
        for (score, member) in &elems {
            match add_one(z, &f, member, *score)? {
                Added::New => {
                    added += 1;
                    last = Some(*score);
                }
                Added::Updated(s) => {
                    changed += 1;
                    last = Some(s);
                }
                Added::Unchanged(s) => last = Some(s),
                Added::Skipped => last = None,
            }
        }
        Ok::<_, Value>((added, changed, last))
    });
    let (added, changed, last) = match tri!(outcome) {
        Some(r) => tri!(r),
        None => (0, 0, None),
    };
    if f.incr {
        return last.map_or(Value::Null, |s| score_reply(ctx, s));
    }
    Value::Integer(if f.ch { added + changed } else { added })
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`.
pub fn zadd(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let (f, first) = add_flags(args);
    zadd_generic(ctx, args, f, first)
}

/// `ZINCRBY key increment member`: ZADD INCR.
pub fn zincrby(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let f = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    zadd_generic(ctx, args, f, 2)
}

/// `ZREM key member [member ...]`: how many were removed.
pub fn zrem(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let members = tri!(args[2..].iter().map(text).collect::<Result<Vec<_>, _>>());
    let n = tri!(write(ctx, &k, false, |z| {
        z.remove_all(&members.iter().map(|m| &m[..]).collect())
    }));
    Value::Integer(n.unwrap_or(0) as i64)
}

// ---- Single-member reads ----

pub fn zcard(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let n = tri!(read(ctx, &k, |z| z.map_or(0, ZSet::len)));
    Value::Integer(n as i64)
}

pub fn zscore(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let m = tri!(text(&args[2]));
    let s = tri!(read(ctx, &k, |z| z.and_then(|z| z.score(&m))));
    s.map_or(Value::Null, |s| score_reply(ctx, s))
}

pub fn zmscore(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let members = tri!(args[2..].iter().map(text).collect::<Result<Vec<_>, _>>());
    let scores = tri!(read(ctx, &k, |z| {
        members
            .iter()
            .map(|m| z.and_then(|z| z.score(m)))
            .collect::<Vec<_>>()
    }));
    Value::Array(
        scores
            .into_iter()
            .map(|s| s.map_or(Value::Null, |s| score_reply(ctx, s)))
            .collect(),
    )
}

fn rank_generic(ctx: &mut Ctx<'_>, args: &[Value], rev: bool) -> Value {
    let k = tri!(key(&args[1]));
    let m = tri!(text(&args[2]));
    let r = tri!(read(ctx, &k, |z| z.and_then(|z| z.rank(&m, rev))));
    r.map_or(Value::Null, |r| Value::Integer(r as i64))
}

pub fn zrank(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    rank_generic(ctx, args, false)
}

pub fn zrevrank(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    rank_generic(ctx, args, true)
}

/// Entries of `z` with scores in `r`, from the low end (high if `rev`),
/// skipping `offset` and taking at most `limit`.
fn by_score(
    z: &ZSet,
    r: &ScoreRange,
    rev: bool,
    offset: usize,
    limit: Option<usize>,
) -> Vec<(Vec<u8>, f64)> {
    let take = limit.unwrap_or(usize::MAX);
    if rev {
        z.walk_from(r.max, true)
            .skip_while(|e| !r.below_max(e.1))
            .take_while(|e| r.above_min(e.1))
            .skip(offset)
            .take(take)
            .collect()
    } else {
        z.walk_from(r.min, false)
            .skip_while(|e| !r.above_min(e.1))
            .take_while(|e| r.below_max(e.1))
            .skip(offset)
            .take(take)
            .collect()
    }
}

/// Entries of `z` with members in `r`, as [`by_score`] (meaningful when all
/// scores are equal, as in Redis: then members are in order too).
fn by_lex(
    z: &ZSet,
    r: &LexRange,
    rev: bool,
    offset: usize,
    limit: Option<usize>,
) -> Vec<(Vec<u8>, f64)> {
    let take = limit.unwrap_or(usize::MAX);
    if rev {
        let start = z.len() - z.prefix_len(|_, m| r.below_max(m));
        z.walk_from_rank(start, true)
            .take_while(|e| r.above_min(&e.0))
            .skip(offset)
            .take(take)
            .collect()
    } else {
        let start = z.prefix_len(|_, m| !r.above_min(m));
        z.walk_from_rank(start, false)
            .take_while(|e| r.below_max(&e.0))
            .skip(offset)
            .take(take)
            .collect()
    }
}

/// How many entries of `z` have scores in `r`, by two tree descents.
fn count_score(z: &ZSet, r: &ScoreRange) -> usize {
    let upto = z.prefix_len(|s, _| r.below_max(s));
    let before = z.prefix_len(|s, _| !r.above_min(s));
    upto.saturating_sub(before)
}

/// How many entries of `z` have members in `r`.
fn count_lex(z: &ZSet, r: &LexRange) -> usize {
    let upto = z.prefix_len(|_, m| r.below_max(m));
    let before = z.prefix_len(|_, m| !r.above_min(m));
    upto.saturating_sub(before)
}

/// `ZCOUNT key min max`.
pub fn zcount(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let r = tri!(score_range(&args[2], &args[3]));
    let k = tri!(key(&args[1]));
    let n = tri!(read(ctx, &k, |z| z.map_or(0, |z| count_score(z, &r))));
    Value::Integer(n as i64)
}

// ---- Several keys at one instant ----

/// Runs `f` on the object at a key locked in `l`: `WRONGTYPE` unless it
/// is missing or `ok` accepts it.
fn locked_read<R>(
    l: &mut Locked<'_>,
    db: usize,
    k: &[u8],
    ok: fn(&Object) -> bool,
    f: impl FnOnce(Option<&Object>) -> R,
) -> Result<R, Value> {
    l.with(db, k, |r| match r.map(Record::view) {
        None => Ok(f(None)),
        Some(ValueRef::Obj(o)) if ok(o) => Ok(f(Some(o))),
        Some(_) => Err(wrongtype()),
    })
    .unwrap_or_else(|| Err(Value::error("ERR key not locked")))
}

fn is_zset(o: &Object) -> bool {
    matches!(o, Object::ZSet(_))
}

fn is_zset_or_set(o: &Object) -> bool {
    matches!(o, Object::ZSet(_) | Object::Set(_))
}

/// A sorted set of `entries`, encoded as inserting them one by one would.
fn build(entries: Vec<(Vec<u8>, f64)>) -> ZSet {
    let mut z = ZSet::new();
    for (m, s) in entries {
        z.insert(&m, s);
    }
    z
}

/// Replaces `dst` (any type, with its deadline) by `z`, or deletes it if
/// `z` is empty, as Redis's store commands do; the new size.
fn store(l: &mut Locked<'_>, db: usize, dst: &[u8], z: ZSet) -> usize {
    let n = z.len();
    l.entry(db, dst, |slot| {
        if n == 0 {
            slot.remove();
        } else {
            slot.replace(Record::new(
                dst,
                NewValue::Obj(Box::new(Object::ZSet(z))),
                None,
            ));
        }
    });
    n
}

// ---- ZRANGE and its older forms ----

#[derive(Clone, Copy, PartialEq)]
enum By {
    Rank,
    Score,
    Lex,
}

enum Query {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

struct RangeReq {
    query: Query,
    rev: bool,
    withscores: bool,
    /// LIMIT's offset and count (count negative: no limit).
    offset: i64,
    count: i64,
}

impl RangeReq {
    fn run(&self, z: &ZSet) -> Vec<(Vec<u8>, f64)> {
        if self.offset < 0 {
            if let Query::Score(_) | Query::Lex(_) = self.query {
                return Vec::new();
            }
        }
        let offset = self.offset.max(0) as usize;
        let limit = usize::try_from(self.count).ok();
        match &self.query {
            Query::Rank(start, stop) => match rank_range(*start, *stop, z.len()) {
                Some((a, b)) => z.by_index(a, b, self.rev),
                None => Vec::new(),
            },
            Query::Score(r) => by_score(z, r, self.rev, offset, limit),
            Query::Lex(r) => by_lex(z, r, self.rev, offset, limit),
        }
    }
}

/// Reads a ZRANGE-style request whose source key is `args[src]`, as
/// Redis's `zrangeGenericCommand`: `by` and `rev` fixed by the command
/// name, or `None` for the options to choose.
fn parse_range(
    args: &[Value],
    src: usize,
    store: bool,
    by: Option<By>,
    rev: Option<bool>,
) -> Result<RangeReq, Value> {
    let (mut by_opt, mut rev_opt) = (by, rev);
    let (mut withscores, mut offset, mut count) = (false, 0, -1);
    let mut j = src + 3;
    while j < args.len() {
        let a = &args[j];
        let left = args.len() - j - 1;
        if !store && is_word(a, "WITHSCORES") {
            withscores = true;
        } else if is_word(a, "LIMIT") && left >= 2 {
            offset = integer(&args[j + 1])?;
            count = integer(&args[j + 2])?;
            j += 2;
        } else if rev_opt.is_none() && is_word(a, "REV") {
            rev_opt = Some(true);
        } else if by_opt.is_none() && is_word(a, "BYLEX") {
            by_opt = Some(By::Lex);
        } else if by_opt.is_none() && is_word(a, "BYSCORE") {
            by_opt = Some(By::Score);
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    let by = by_opt.unwrap_or(By::Rank);
    let rev = rev_opt.unwrap_or(false);
    if count != -1 && by == By::Rank {
        return Err(Value::error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == By::Lex {
        return Err(Value::error(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut lo, mut hi) = (&args[src + 1], &args[src + 2]);
    if rev && by != By::Rank {
        std::mem::swap(&mut lo, &mut hi);
    }
    let query = match by {
        By::Rank => Query::Rank(integer(lo)?, integer(hi)?),
        By::Score => Query::Score(score_range(lo, hi)?),
        By::Lex => Query::Lex(lex_range(lo, hi)?),
    };
    Ok(RangeReq {
        query,
        rev,
        withscores,
        offset,
        count,
    })
}

fn range_reply(ctx: &mut Ctx<'_>, args: &[Value], by: Option<By>, rev: Option<bool>) -> Value {
    let req = tri!(parse_range(args, 1, false, by, rev));
    let k = tri!(key(&args[1]));
    let entries = tri!(read(ctx, &k, |z| z.map(|z| req.run(z)).unwrap_or_default()));
    entries_reply(ctx, entries, req.withscores)
}

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`.
pub fn zrange(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    range_reply(ctx, args, None, None)
}

pub fn zrevrange(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    range_reply(ctx, args, Some(By::Rank), Some(true))
}

pub fn zrangebyscore(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    range_reply(ctx, args, Some(By::Score), Some(false))
}

pub fn zrevrangebyscore(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    range_reply(ctx, args, Some(By::Score), Some(true))
}

pub fn zrangebylex(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    range_reply(ctx, args, Some(By::Lex), Some(false))
}

pub fn zrevrangebylex(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    range_reply(ctx, args, Some(By::Lex), Some(true))
}

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`.
pub fn zrangestore(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let req = tri!(parse_range(args, 2, true, None, None));
    let dst = tri!(key(&args[1]));
    let src = tri!(key(&args[2]));
    let db = ctx.session.db;
    let mut l = ctx.shared.keyspace.lock(&[(db, &dst), (db, &src)]);
    let entries = tri!(locked_read(&mut l, db, &src, is_zset, |o| {
        o.and_then(as_zset).map(|z| req.run(z)).unwrap_or_default()
    }));
    Value::Integer(store(&mut l, db, &dst, build(entries)) as i64)
}

/// `ZLEXCOUNT key min max`.
pub fn zlexcount(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let r = tri!(lex_range(&args[2], &args[3]));
    let k = tri!(key(&args[1]));
    let n = tri!(read(ctx, &k, |z| z.map_or(0, |z| count_lex(z, &r))));
    Value::Integer(n as i64)
}

// ---- Pops and removals ----

/// Removes the `count` lowest entries of `z` (highest if `max`) and returns them.
fn pop(z: &mut ZSet, count: usize, max: bool) -> Vec<(Vec<u8>, f64)> {
    let n = count.min(z.len());
    if n == 0 {
        return Vec::new();
    }
    let out = z.by_index(0, n - 1, max);
    z.remove_all(&out.iter().map(|(m, _)| &m[..]).collect());
    out
}

fn zpop_generic(ctx: &mut Ctx<'_>, args: &[Value], max: bool) -> Value {
    if args.len() > 3 {
        return syntax_error();
    }
    let count = match args.get(2) {
        None => None,
        Some(c) => match integer(c) {
            Ok(n) if n >= 0 => Some(n as usize),
            _ => return Value::error("ERR value is out of range, must be positive"),
        },
    };
    let k = tri!(key(&args[1]));
    let popped = tri!(write(ctx, &k, false, |z| pop(z, count.unwrap_or(1), max)));
    let popped = popped.unwrap_or_default();
    if count.is_some() {
        return entries_reply(ctx, popped, true);
    }
    Value::Array(
        popped
            .into_iter()
            .flat_map(|(m, s)| [member_reply(&m), score_reply(ctx, s)])
            .collect(),
    )
}

/// `ZPOPMIN key [count]`.
pub fn zpopmin(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    zpop_generic(ctx, args, false)
}

/// `ZPOPMAX key [count]`.
pub fn zpopmax(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    zpop_generic(ctx, args, true)
}

fn remove_range(ctx: &mut Ctx<'_>, args: &[Value], query: Query) -> Value {
    let req = RangeReq {
        query,
        rev: false,
        withscores: false,
        offset: 0,
        count: -1,
    };
    let k = tri!(key(&args[1]));
    let n = tri!(write(ctx, &k, false, |z| {
        let doomed = req.run(z);
        let names = doomed.iter().map(|(m, _)| &m[..]).collect();
        z.remove_all(&names)
    }));
    Value::Integer(n.unwrap_or(0) as i64)
}

/// `ZREMRANGEBYRANK key start stop`.
pub fn zremrangebyrank(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let start = tri!(integer(&args[2]));
    let stop = tri!(integer(&args[3]));
    remove_range(ctx, args, Query::Rank(start, stop))
}

/// `ZREMRANGEBYSCORE key min max`.
pub fn zremrangebyscore(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let r = tri!(score_range(&args[2], &args[3]));
    remove_range(ctx, args, Query::Score(r))
}

/// `ZREMRANGEBYLEX key min max`.
pub fn zremrangebylex(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let r = tri!(lex_range(&args[2], &args[3]));
    remove_range(ctx, args, Query::Lex(r))
}

/// `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`: pops from the
/// first non-empty key, logged as the ZPOPMIN or ZPOPMAX it amounts to.
pub fn zmpop(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let numkeys = match integer(&args[1]) {
        Ok(n) if n > 0 => n as usize,
        _ => return Value::error("ERR numkeys should be greater than 0"),
    };
    if numkeys > args.len() - 3 {
        return syntax_error();
    }
    let keys = &args[2..2 + numkeys];
    let max = match &args[2 + numkeys] {
        w if is_word(w, "MIN") => false,
        w if is_word(w, "MAX") => true,
        _ => return syntax_error(),
    };
    let mut count = None;
    let mut rest = args[3 + numkeys..].iter();
    while let Some(opt) = rest.next() {
        match rest.next() {
            Some(n) if count.is_none() && is_word(opt, "COUNT") => match integer(n) {
                Ok(n) if n > 0 => count = Some(n as usize),
                _ => return Value::error("ERR count should be greater than 0"),
            },
            _ => return syntax_error(),
        }
    }
    let count = count.unwrap_or(1);
    let names = tri!(keys.iter().map(key).collect::<Result<Vec<_>, _>>());
    let db = ctx.session.db;
    let refs: Vec<(usize, &[u8])> = names.iter().map(|k| (db, &k[..])).collect();
    let mut l = ctx.shared.keyspace.lock(&refs);
    for (i, k) in names.iter().enumerate() {
        let found = tri!(locked_read(&mut l, db, k, is_zset, |o| o.is_some()));
        if !found {
            continue;
        }
        let popped = l
            .entry(db, k, |slot| {
                let out = match slot.get_mut().and_then(Record::object_mut) {
                    Some(Object::ZSet(z)) => pop(z, count, max),
                    _ => Vec::new(),
                };
                if slot
                    .get()
                    .is_some_and(|r| matches!(r.view(), ValueRef::Obj(o) if o.is_empty()))
                {
                    slot.remove();
                }
                out
            })
            .unwrap_or_default();
        drop(l);
        let name = if max { "ZPOPMAX" } else { "ZPOPMIN" };
        let logged_key = keys[i].clone();
        ctx.propagate(|| {
            vec![
                Value::bulk(name),
                logged_key,
                Value::bulk(count.to_string()),
            ]
        });
        return Value::Array(vec![keys[i].clone(), pairs_reply(ctx, popped)]);
    }
    // A null array, as Redis answers (`*-1` in RESP2).
    Value::NullArray
}

// ---- Random members ----

/// `count` members of `z`: distinct if `count` is positive (the whole set
/// if it is not smaller), with repetition if negative. Like Redis, a
/// sample near the set's size shuffles a copy, a small one picks ranks.
fn sample(z: &ZSet, count: i64) -> Result<Vec<(Vec<u8>, f64)>, Value> {
    let mut rng = Rng::new();
    let len = z.len();
    let oom = || Value::error("ERR out of memory");
    if count < 0 {
        let n = count.unsigned_abs() as usize;
        let mut out = Vec::new();
        out.try_reserve(n).map_err(|_| oom())?;
        if z.is_listpack() {
            let all: Vec<_> = z.walk(false).collect();
            out.extend((0..n).map(|_| all[rng.below(len)].clone()));
        } else {
            out.extend((0..n).filter_map(|_| z.nth(rng.below(len))));
        }
        return Ok(out);
    }
    let n = count as usize;
    if n >= len {
        return Ok(z.walk(false).collect());
    }
    if n.saturating_mul(3) > len || z.is_listpack() {
        let mut all: Vec<_> = z.walk(false).collect();
        // A partial Fisher-Yates shuffle: the first n are the sample.
        for i in 0..n {
            let j = i + rng.below(len - i);
            all.swap(i, j);
        }
        all.truncate(n);
        return Ok(all);
    }
    let mut picked = hashbrown::HashSet::new();
    picked.try_reserve(n).map_err(|_| oom())?;
    while picked.len() < n {
        picked.insert(rng.below(len));
    }
    Ok(picked.into_iter().filter_map(|i| z.nth(i)).collect())
}

/// `ZRANDMEMBER key [count [WITHSCORES]]`.
pub fn zrandmember(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let Some(count_arg) = args.get(2) else {
        let one = tri!(read(ctx, &k, |z| z
            .and_then(|z| z.nth(Rng::new().below(z.len())))));
        return one.map_or(Value::Null, |(m, _)| member_reply(&m));
    };
    let count = tri!(integer(count_arg));
    if count == i64::MIN {
        return Value::error(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        );
    }
    if args.len() > 4 || (args.len() == 4 && !is_word(&args[3], "WITHSCORES")) {
        return syntax_error();
    }
    let withscores = args.len() == 4;
    if withscores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Value::error("ERR value is out of range");
    }
    let picked = tri!(read(ctx, &k, |z| z.map_or(Ok(Vec::new()), |z| sample(z, count))));
    let picked = tri!(picked);
    entries_reply(ctx, picked, withscores)
}

// ---- ZSCAN ----

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`. A listpack set comes
/// back whole (as in Redis); a large one in COUNT entries per call, the
/// cursor being the position reached in score order.
pub fn zscan(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let Some(cursor) = args[2].as_bytes().and_then(super::scan_cursor) else {
        return Value::error("ERR invalid cursor");
    };
    let k = tri!(key(&args[1]));
    let exists = tri!(read(ctx, &k, |z| z.is_some()));
    if !exists {
        return Value::Array(vec![Value::bulk("0"), Value::Array(Vec::new())]);
    }
    let (mut pattern, mut count) = (None, 10usize);
    let mut opts = args[3..].iter();
    while let Some(opt) = opts.next() {
        let Some(arg) = opts.next() else {
            return syntax_error();
        };
        if is_word(opt, "MATCH") {
            let Some(p) = arg.as_bytes() else {
                return syntax_error();
            };
            pattern = Some(p).filter(|p| *p != b"*");
        } else if is_word(opt, "COUNT") {
            match tri!(integer(arg)) {
                n if n < 1 => return syntax_error(),
                n => count = n as usize,
            }
        } else {
            return syntax_error();
        }
    }
    let start = usize::try_from(cursor).unwrap_or(usize::MAX);
    let (next, found) = tri!(read(ctx, &k, |z| {
        let Some(z) = z else {
            return (0, Vec::new());
        };
        let (from, take) = if z.is_listpack() {
            (0, usize::MAX)
        } else {
            (start, count)
        };
        let page: Vec<_> = z.walk(false).skip(from).take(take).collect();
        let end = from.saturating_add(page.len());
        let next = if end >= z.len() { 0 } else { end };
        (next, page)
    }));
    let items = found
        .into_iter()
        .filter(|(m, _)| pattern.is_none_or(|p| glob::matches(p, m)))
        .flat_map(|(m, s)| {
            [
                Value::Bulk(m.into()),
                Value::Bulk(Bytes::from(format_score(s))),
            ]
        })
        .collect();
    Value::Array(vec![
        Value::Bulk(Bytes::from(next.to_string())),
        Value::Array(items),
    ])
}

// ---- Union, intersection, difference ----

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    fn apply(self, acc: f64, v: f64) -> f64 {
        match self {
            Aggregate::Sum => {
                let s = acc + v;
                if s.is_nan() {
                    0.0
                } else {
                    s
                }
            }
            Aggregate::Min => acc.min(v),
            Aggregate::Max => acc.max(v),
        }
    }
}

/// One input: its members with scores (a plain set's score is 1), and
/// its weight.
struct Input {
    members: hashbrown::HashMap<Vec<u8>, f64>,
    weight: f64,
}

fn input_of(o: Option<&Object>) -> hashbrown::HashMap<Vec<u8>, f64> {
    match o {
        Some(Object::ZSet(z)) => z.walk(false).collect(),
        Some(Object::Set(s)) => s.members().map(|m| (m, 1.0)).collect(),
        _ => hashbrown::HashMap::new(),
    }
}

struct SetOpReq {
    withscores: bool,
    aggregate: Aggregate,
    weights: Vec<f64>,
    limit: usize,
}

/// The options after the keys (Redis checks the keys' types first).
fn parse_setop_opts(
    opts: &[Value],
    numkeys: usize,
    op: SetOp,
    store: bool,
    card: bool,
) -> Result<SetOpReq, Value> {
    let mut req = SetOpReq {
        withscores: false,
        aggregate: Aggregate::Sum,
        weights: vec![1.0; numkeys],
        limit: 0,
    };
    let mut j = 0;
    while j < opts.len() {
        let left = opts.len() - j;
        let a = &opts[j];
        if op != SetOp::Diff && left > numkeys && is_word(a, "WEIGHTS") {
            for (i, w) in opts[j + 1..=j + numkeys].iter().enumerate() {
                req.weights[i] = float_arg(w, "ERR weight value is not a float")?;
            }
            j += numkeys + 1;
        } else if op != SetOp::Diff && left >= 2 && is_word(a, "AGGREGATE") {
            let b = &opts[j + 1];
            req.aggregate = if is_word(b, "SUM") {
                Aggregate::Sum
            } else if is_word(b, "MIN") {
                Aggregate::Min
            } else if is_word(b, "MAX") {
                Aggregate::Max
            } else {
                return Err(syntax_error());
            };
            j += 2;
        } else if !store && !card && is_word(a, "WITHSCORES") {
            req.withscores = true;
            j += 1;
        } else if card && left >= 2 && is_word(a, "LIMIT") {
            match integer(&opts[j + 1]) {
                Ok(n) if n >= 0 => req.limit = n as usize,
                _ => return Err(Value::error("ERR LIMIT can't be negative")),
            }
            j += 2;
        } else {
            return Err(syntax_error());
        }
    }
    Ok(req)
}

fn weighted(s: f64, w: f64) -> f64 {
    let v = s * w;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

/// The result of `op` on `inputs`, sorted by score then member.
fn combine(mut inputs: Vec<Input>, op: SetOp, agg: Aggregate) -> Vec<(Vec<u8>, f64)> {
    let mut out: Vec<(Vec<u8>, f64)> = match op {
        SetOp::Diff => {
            let mut rest = inputs.split_off(1);
            let first = inputs.pop().map(|i| i.members).unwrap_or_default();
            rest.retain(|i| !i.members.is_empty());
            first
                .into_iter()
                .filter(|(m, _)| !rest.iter().any(|i| i.members.contains_key(m)))
                .collect()
        }
        SetOp::Inter => {
            // Smallest first, as Redis: its order decides how sums round.
            inputs.sort_by_key(|i| i.members.len());
            let mut rest = inputs.split_off(1);
            let Some(first) = inputs.pop() else {
                return Vec::new();
            };
            let mut out = Vec::new();
            'each: for (m, s) in first.members {
                let mut acc = weighted(s, first.weight);
                for i in rest.iter_mut() {
                    match i.members.get(&m) {
                        Some(v) => acc = agg.apply(acc, weighted(*v, i.weight)),
                        None => continue 'each,
                    }
                }
                out.push((m, acc));
            }
            out
        }
        SetOp::Union => {
            inputs.sort_by_key(|i| i.members.len());
            let mut acc: hashbrown::HashMap<Vec<u8>, f64> = hashbrown::HashMap::new();
            for i in inputs {
                for (m, s) in i.members {
                    let v = weighted(s, i.weight);
                    acc.entry(m)
                        .and_modify(|a| *a = agg.apply(*a, v))
                        .or_insert(v);
                }
            }
            acc.into_iter().collect()
        }
    };
    out.sort_by(|a, b| Score(a.1).cmp(&Score(b.1)).then_with(|| a.0.cmp(&b.0)));
    out
}

/// What a union, intersection or difference is asked for: the keys'
/// position, whether it stores (and where) or only counts.
fn setop_generic(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    op: SetOp,
    dst: Option<usize>,
    card: bool,
) -> Value {
    let numkeys_at = if dst.is_some() { 2 } else { 1 };
    let numkeys = tri!(integer(&args[numkeys_at]));
    if numkeys < 1 {
        let name = String::from_utf8_lossy(args[0].as_bytes().unwrap_or_default()).to_lowercase();
        return Value::error(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        ));
    }
    let first = numkeys_at + 1;
    if numkeys as usize > args.len() - first {
        return syntax_error();
    }
    let numkeys = numkeys as usize;
    let names = tri!(args[first..first + numkeys]
        .iter()
        .map(key)
        .collect::<Result<Vec<_>, _>>());
    let dst_name = match dst {
        Some(i) => Some(tri!(key(&args[i]))),
        None => None,
    };
    let db = ctx.session.db;
    let mut refs: Vec<(usize, &[u8])> = names.iter().map(|k| (db, &k[..])).collect();
    if let Some(d) = &dst_name {
        refs.push((db, d));
    }
    let mut l = ctx.shared.keyspace.lock(&refs);
    let mut sets = Vec::new();
    if sets.try_reserve(numkeys).is_err() {
        return Value::error("ERR out of memory");
    }
    for k in &names {
        sets.push(tri!(locked_read(&mut l, db, k, is_zset_or_set, input_of)));
    }
    let req = tri!(parse_setop_opts(
        &args[first + numkeys..],
        numkeys,
        op,
        dst.is_some(),
        card
    ));
    let inputs = sets
        .into_iter()
        .zip(&req.weights)
        .map(|(members, w)| Input {
            members,
            weight: *w,
        })
        .collect();
    let result = combine(inputs, op, req.aggregate);
    if card {
        let n = if req.limit > 0 {
            result.len().min(req.limit)
        } else {
            result.len()
        };
        return Value::Integer(n as i64);
    }
    if let Some(d) = &dst_name {
        return Value::Integer(store(&mut l, db, d, build(result)) as i64);
    }
    drop(l);
    entries_reply(ctx, result, req.withscores)
}

/// `ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`.
pub fn zunion(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    setop_generic(ctx, args, SetOp::Union, None, false)
}

pub fn zinter(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    setop_generic(ctx, args, SetOp::Inter, None, false)
}

pub fn zdiff(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    setop_generic(ctx, args, SetOp::Diff, None, false)
}

pub fn zunionstore(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    setop_generic(ctx, args, SetOp::Union, Some(1), false)
}

pub fn zinterstore(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    setop_generic(ctx, args, SetOp::Inter, Some(1), false)
}

pub fn zdiffstore(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    setop_generic(ctx, args, SetOp::Diff, Some(1), false)
}

/// `ZINTERCARD numkeys key [key ...] [LIMIT limit]`.
pub fn zintercard(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    setop_generic(ctx, args, SetOp::Inter, None, true)
}

/// BZPOPMIN and BZPOPMAX: ZMPOP of one member (which logs itself),
/// answered as (key, member, score).
fn bzpop(ctx: &mut Ctx<'_>, args: &[Value], max: bool) -> Value {
    let t = tri!(super::blocking::timeout(&args[args.len() - 1]));
    let keys = &args[1..args.len() - 1];
    let mut zm = vec![Value::bulk("ZMPOP"), Value::Integer(keys.len() as i64)];
    zm.extend(keys.iter().cloned());
    zm.push(Value::bulk(if max { "MAX" } else { "MIN" }));
    match zmpop(ctx, &zm) {
        Value::Array(mut kv) if kv.len() == 2 => {
            let pair = match kv.pop() {
                Some(Value::Array(mut pairs)) if !pairs.is_empty() => pairs.swap_remove(0),
                _ => Value::Array(vec![]),
            };
            let mut out = vec![kv.swap_remove(0)];
            if let Value::Array(ms) = pair {
                out.extend(ms);
            }
            Value::Array(out)
        }
        Value::NullArray => super::blocking::wait(ctx, args, keys, t),
        other => other,
    }
}

pub fn bzpopmin(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    bzpop(ctx, args, false)
}

pub fn bzpopmax(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    bzpop(ctx, args, true)
}

/// `BZMPOP timeout numkeys key ... MIN|MAX [COUNT count]`.
pub fn bzmpop(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let t = tri!(super::blocking::timeout(&args[1]));
    let mut zm = vec![Value::bulk("ZMPOP")];
    zm.extend(args[2..].iter().cloned());
    match zmpop(ctx, &zm) {
        Value::NullArray => {
            let n = integer(&args[2]).unwrap_or(0).max(0) as usize;
            let keys = args.get(3..3 + n).unwrap_or_default();
            super::blocking::wait(ctx, args, keys, t)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_as_redis_reads_them() {
        assert_eq!(parse_double(b"1.5"), Some(1.5));
        assert_eq!(parse_double(b"0x10"), Some(16.0));
        assert_eq!(parse_double(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_double(b"+Infinity"), Some(f64::INFINITY));
        for bad in [&b""[..], b" 1", b"1 ", b"nan", b"1e999", b"1e-999", b"abc"] {
            assert_eq!(parse_double(bad), None, "{bad:?}");
        }
        assert_eq!(parse_double(b"0e-999"), Some(0.0));
    }
}
