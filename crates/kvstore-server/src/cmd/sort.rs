//! SORT and SORT_RO: the elements of a list, set or sorted set, ordered
//! by themselves or by other keys (BY), projected through other keys
//! (GET), sliced (LIMIT), and returned or stored as a list (STORE).
//!
//! SORT reads keys its arguments only name by pattern, so it runs alone,
//! under the exclusive gate, as a transaction does.

use std::cmp::Ordering;

use bytes::Bytes;
use kvstore_protocol::Value;

use super::table::acl::*;
use super::table::flags::*;
use super::{integer, is_word, key, syntax_error, Command, Ctx};
use crate::keyspace::{NewValue, Object, Record, ValueRef};

pub static COMMANDS: &[Command] = &[
    Command::new("sort", -2, WRITE | DENYOOM | OWN_GATE, SET | SORTEDSET | LIST | DANGEROUS, (1, 1, 1), sort)
        .doc(
            "generic",
            "Sorts the elements of a list, set or sorted set, and returns or stores the result.",
            "key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]",
        ),
    Command::new("sort_ro", -2, READONLY | OWN_GATE, SET | SORTEDSET | LIST | DANGEROUS, (1, 1, 1), sort_ro)
        .doc(
            "generic",
            "Sorts the elements of a list, set or sorted set (read-only).",
            "key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]",
        ),
];

#[derive(Default)]
struct Options {
    by: Option<Bytes>,
    limit: Option<(i64, i64)>,
    gets: Vec<Bytes>,
    desc: bool,
    alpha: bool,
    store: Option<Bytes>,
}

fn parse(args: &[Value], read_only: bool) -> Result<Options, Value> {
    let mut o = Options::default();
    let mut i = 2;
    let text = |v: &Value| Bytes::copy_from_slice(v.as_bytes().unwrap_or_default());
    while i < args.len() {
        let a = &args[i];
        let next = args.get(i + 1);
        if is_word(a, "ASC") {
            o.desc = false;
        } else if is_word(a, "DESC") {
            o.desc = true;
        } else if is_word(a, "ALPHA") {
            o.alpha = true;
        } else if is_word(a, "LIMIT") && i + 2 < args.len() {
            o.limit = Some((integer(&args[i + 1])?, integer(&args[i + 2])?));
            i += 2;
        } else if is_word(a, "STORE") && !read_only && next.is_some() {
            o.store = next.map(text);
            i += 1;
        } else if is_word(a, "BY") && next.is_some() {
            o.by = next.map(text);
            i += 1;
        } else if is_word(a, "GET") && next.is_some() {
            o.gets.extend(next.map(text));
            i += 1;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    Ok(o)
}

pub fn sort(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    run(ctx, args, false)
}

pub fn sort_ro(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    run(ctx, args, true)
}

/// The element, its weight for a numeric sort, and its text for ALPHA.
struct Item {
    elem: Bytes,
    score: f64,
    by: Option<Bytes>,
}

fn run(ctx: &mut Ctx<'_>, args: &[Value], read_only: bool) -> Value {
    let k = match key(&args[1]) {
        Ok(k) => k.into_owned(),
        Err(e) => return e,
    };
    let o = match parse(args, read_only) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let _alone = ctx.shared.keyspace.gate.exclusive();
    let (elems, is_zset) = match elements(ctx, &k) {
        Ok(e) => e,
        Err(e) => return e,
    };
    // BY a pattern without `*` (nosort): keep the stored order.
    let sorting = o.by.as_ref().is_none_or(|p| p.contains(&b'*'));
    let mut items = Vec::with_capacity(elems.len());
    for elem in elems {
        let by = match &o.by {
            Some(p) if sorting => lookup(ctx, p, &elem),
            _ => None,
        };
        let mut score = 0.0;
        if sorting && !o.alpha {
            let source = if o.by.is_some() {
                by.clone()
            } else {
                Some(elem.clone())
            };
            if let Some(s) = source {
                match std::str::from_utf8(&s)
                    .ok()
                    .and_then(|t| t.trim().parse::<f64>().ok())
                {
                    Some(v) if !v.is_nan() => score = v,
                    _ => {
                        return Value::error(
                            "ERR One or more scores can't be converted into double",
                        )
                    }
                }
            }
        }
        items.push(Item { elem, score, by });
    }
    if sorting {
        items.sort_by(|a, b| {
            let ord = if o.alpha {
                let (x, y) = match (&a.by, &b.by, o.by.is_some()) {
                    (Some(x), Some(y), true) => (x.clone(), y.clone()),
                    (None, Some(_), true) => return Ordering::Less,
                    (Some(_), None, true) => return Ordering::Greater,
                    (None, None, true) => return Ordering::Equal,
                    _ => (a.elem.clone(), b.elem.clone()),
                };
                x.cmp(&y)
            } else {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.elem.cmp(&b.elem))
            };
            if o.desc {
                ord.reverse()
            } else {
                ord
            }
        });
    } else if o.desc && is_zset {
        // Unsorted, a sorted set still comes in score order: DESC reverses
        // it, where a list's or set's order is kept (as in Redis).
        items.reverse();
    }
    let (start, count) = o.limit.unwrap_or((0, -1));
    let start = start.max(0) as usize;
    let count = if count < 0 {
        usize::MAX
    } else {
        count as usize
    };
    let chosen: Vec<Item> = items.into_iter().skip(start).take(count).collect();
    let mut out = Vec::new();
    for it in &chosen {
        if o.gets.is_empty() {
            out.push(Some(it.elem.clone()));
        }
        for g in &o.gets {
            out.push(if &g[..] == b"#" {
                Some(it.elem.clone())
            } else {
                lookup(ctx, g, &it.elem)
            });
        }
    }
    match o.store {
        None => {
            // Nothing changed: nothing to log.
            ctx.log.skip = true;
            Value::Array(
                out.into_iter()
                    .map(|v| v.map_or(Value::Null, Value::Bulk))
                    .collect(),
            )
        }
        Some(dst) => store(ctx, &dst, out),
    }
}

/// The elements of the list, set or sorted set at `k` (none if missing),
/// and whether it is a sorted set.
fn elements(ctx: &Ctx<'_>, k: &[u8]) -> Result<(Vec<Bytes>, bool), Value> {
    ctx.db().with_record(k, |r| match r.map(Record::view) {
        None => Ok((Vec::new(), false)),
        Some(ValueRef::Obj(o)) => {
            let is_zset = matches!(o, Object::ZSet(_));
            let items = match o.to_value() {
                Value::Array(items) | Value::Set(items) if !matches!(o, Object::Hash(_)) => items,
                _ => return Err(super::strings::wrongtype()),
            };
            let step = if is_zset { 2 } else { 1 };
            let elems = items
                .into_iter()
                .step_by(step)
                .filter_map(|v| v.as_bytes().map(Bytes::copy_from_slice))
                .collect();
            Ok((elems, is_zset))
        }
        Some(_) => Err(super::strings::wrongtype()),
    })
}

/// The value a BY or GET pattern names for `elem`: its first `*` replaced
/// by the element; `key->field` reads a hash field.
fn lookup(ctx: &Ctx<'_>, pattern: &[u8], elem: &[u8]) -> Option<Bytes> {
    let star = pattern.iter().position(|&b| b == b'*')?;
    let mut name = Vec::with_capacity(pattern.len() + elem.len());
    name.extend_from_slice(&pattern[..star]);
    name.extend_from_slice(elem);
    name.extend_from_slice(&pattern[star + 1..]);
    let arrow = name
        .windows(2)
        .rposition(|w| w == b"->")
        .filter(|&i| i > star);
    let (k, field) = match arrow {
        Some(i) if i + 2 < name.len() => (name[..i].to_vec(), Some(name[i + 2..].to_vec())),
        _ => (name, None),
    };
    ctx.db().with_record(&k, |r| {
        let v = r?.view();
        match (field, v) {
            (Some(f), ValueRef::Obj(Object::Hash(h))) => h.get(&f).map(Bytes::copy_from_slice),
            (None, v) => v.as_str().map(|s| Bytes::copy_from_slice(&s)),
            _ => None,
        }
    })
}

/// STORE: the result as a list at `dst` (missing values as empty
/// strings), replacing what was there, or `dst` deleted if the result is
/// empty; the number of elements. Logged as what it did (DEL, RPUSH).
fn store(ctx: &mut Ctx<'_>, dst: &[u8], out: Vec<Option<Bytes>>) -> Value {
    let n = out.len();
    let name = Value::Bulk(Bytes::copy_from_slice(dst));
    let items: Vec<Value> = out
        .into_iter()
        .map(|v| Value::Bulk(v.unwrap_or_default()))
        .collect();
    if items.is_empty() {
        ctx.db().delete(dst);
    } else {
        let record = match Object::from_value("list", &Value::Array(items.clone())) {
            Ok(list) => Record::new(dst, NewValue::Obj(Box::new(list)), None),
            Err(e) => return Value::error(format!("ERR {e}")),
        };
        ctx.db().insert_record(record);
    }
    let db = Some(ctx.session.db);
    ctx.shared.watches.touch(db, dst);
    ctx.shared.blocked.signal(db, dst);
    ctx.shared.tracking.invalidate(&[dst], Some(ctx.session.id));
    ctx.propagate(|| vec![Value::bulk("DEL"), name.clone()]);
    if !items.is_empty() {
        ctx.propagate(|| {
            let mut w = vec![Value::bulk("RPUSH"), name];
            w.extend(items);
            w
        });
    }
    Value::Integer(n as i64)
}
