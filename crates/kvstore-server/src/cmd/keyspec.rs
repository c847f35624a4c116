//! Where a request's keys are: what `COMMAND GETKEYS` reports, and what
//! ACL key checks and client-side caching read. A command's key spec gives
//! the positions; for the commands whose keys are counted by an argument,
//! the count names them.

use kvstore_protocol::Value;

use super::{is_word, Command};

/// Where the keys of the request `args` (name first) for `c` are, as
/// `COMMAND GETKEYS` reports them: the key spec's positions, or, for the
/// commands whose keys are counted by an argument, the counted ones.
pub fn key_positions(c: &Command, args: &[Value]) -> Result<Vec<usize>, Value> {
    let invalid = || Value::error("ERR Invalid arguments specified for command");
    // `numkeys` at `at`, the keys right after it: their positions.
    let counted = |at: usize, strict: bool| -> Result<Vec<usize>, Value> {
        let n = args.get(at).and_then(|v| super::args::integer(v).ok());
        match n {
            Some(n) if n >= 1 && (n as usize) < args.len() - at => {
                Ok((at + 1..at + 1 + n as usize).collect())
            }
            _ if strict => Err(invalid()),
            // Scripts: a bad count names no keys (Redis answers an empty list).
            _ => Ok(Vec::new()),
        }
    };
    match c.name {
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" => counted(2, false),
        "zunionstore" | "zinterstore" | "zdiffstore" => {
            let mut keys = vec![1];
            keys.extend(counted(2, true)?);
            Ok(keys)
        }
        "zunion" | "zinter" | "zdiff" | "zintercard" | "sintercard" | "lmpop" | "zmpop" => {
            counted(1, true)
        }
        "blmpop" | "bzmpop" => counted(2, true),
        "sort" | "sort_ro" => {
            let mut keys = vec![1];
            let store = args
                .iter()
                .enumerate()
                .skip(2)
                .find(|(_, a)| is_word(a, "STORE"))
                .map(|(i, _)| i + 1)
                .filter(|&i| i < args.len());
            keys.extend(store);
            Ok(keys)
        }
        _ => {
            let (first, last, step) = c.keys;
            if first <= 0 {
                return Err(Value::error("ERR The command has no key arguments"));
            }
            let len = args.len() as i64;
            let last = if last < 0 {
                len + last
            } else {
                last.min(len - 1)
            };
            let step = step.max(1);
            Ok((first..=last)
                .step_by(step as usize)
                .map(|i| i as usize)
                .collect())
        }
    }
}

/// What a command does with a key, as Redis's key-spec flags say it
/// (`COMMAND GETKEYSANDFLAGS`, `COMMAND INFO`'s key specs).
pub mod key_flags {
    /// Reads, writes, overwrites without reading, or removes the key.
    pub const RO: u16 = 1 << 0;
    pub const RW: u16 = 1 << 1;
    pub const OW: u16 = 1 << 2;
    pub const RM: u16 = 1 << 3;
    /// Returns, copies or uses the user data; changes it; adds data;
    /// removes data.
    pub const ACCESS: u16 = 1 << 4;
    pub const UPDATE: u16 = 1 << 5;
    pub const INSERT: u16 = 1 << 6;
    pub const DELETE: u16 = 1 << 7;
    /// A shard channel, not a key (for cluster routing only).
    pub const NOT_KEY: u16 = 1 << 8;
    /// The flags depend on the arguments (SET with GET).
    pub const VARIABLE: u16 = 1 << 9;

    pub(crate) const NAMES: &[(u16, &str)] = &[
        (RO, "RO"),
        (RW, "RW"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
        (NOT_KEY, "not_key"),
        (VARIABLE, "variable_flags"),
    ];
}

use key_flags::*;

/// The usual flag sets, named by what the command does with the key.
const READ: u16 = RO | ACCESS;
const PEEK: u16 = RO;
const MODIFY: u16 = RW | ACCESS | UPDATE;
const POP: u16 = RW | ACCESS | DELETE;
const CHANGE: u16 = RW | UPDATE;
const ADD: u16 = RW | INSERT;
const REMOVE: u16 = RW | DELETE;
const REPLACE: u16 = OW | UPDATE;

/// Each command's key specs, in Redis 7.0's order, by their flags (checked
/// against redis-server 7.0.15's `COMMAND INFO`). A command's keys take
/// its specs in turn, the last one for all the rest; commands not listed
/// have no keys.
static KEY_SPECS: &[(&str, &[u16])] = &[
    ("append", &[ADD]),
    ("blmove", &[POP, ADD]),
    ("blmpop", &[POP]),
    ("blpop", &[POP]),
    ("brpop", &[POP]),
    ("brpoplpush", &[POP, ADD]),
    ("bzmpop", &[POP]),
    ("bzpopmax", &[POP]),
    ("bzpopmin", &[POP]),
    ("copy", &[READ, REPLACE]),
    ("decr", &[MODIFY]),
    ("decrby", &[MODIFY]),
    ("del", &[RM | DELETE]),
    // The seed's DELETE, as DEL.
    ("delete", &[RM | DELETE]),
    ("dump", &[READ]),
    ("eval", &[MODIFY]),
    ("eval_ro", &[READ]),
    ("evalsha", &[MODIFY]),
    ("evalsha_ro", &[READ]),
    ("exists", &[PEEK]),
    ("expire", &[CHANGE]),
    ("expireat", &[CHANGE]),
    ("expiretime", &[READ]),
    ("fcall", &[MODIFY]),
    ("fcall_ro", &[READ]),
    ("get", &[READ]),
    ("getdel", &[POP]),
    ("getex", &[MODIFY]),
    ("getrange", &[READ]),
    ("getset", &[MODIFY]),
    ("hdel", &[REMOVE]),
    ("hexists", &[PEEK]),
    ("hget", &[READ]),
    ("hgetall", &[READ]),
    ("hincrby", &[MODIFY]),
    ("hincrbyfloat", &[MODIFY]),
    ("hkeys", &[READ]),
    ("hlen", &[PEEK]),
    ("hmget", &[READ]),
    ("hmset", &[CHANGE]),
    ("hrandfield", &[READ]),
    ("hscan", &[READ]),
    ("hset", &[CHANGE]),
    ("hsetnx", &[ADD]),
    ("hstrlen", &[PEEK]),
    ("hvals", &[READ]),
    ("incr", &[MODIFY]),
    ("incrby", &[MODIFY]),
    ("incrbyfloat", &[MODIFY]),
    ("lcs", &[READ]),
    ("lindex", &[READ]),
    ("linsert", &[ADD]),
    ("llen", &[PEEK]),
    ("lmove", &[POP, ADD]),
    ("lmpop", &[POP]),
    ("lpop", &[POP]),
    ("lpos", &[READ]),
    ("lpush", &[ADD]),
    ("lpushx", &[ADD]),
    ("lrange", &[READ]),
    ("lrem", &[REMOVE]),
    ("lset", &[CHANGE]),
    ("ltrim", &[REMOVE]),
    ("mget", &[READ]),
    ("move", &[MODIFY]),
    ("mset", &[REPLACE]),
    ("msetnx", &[OW | INSERT]),
    // OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key.
    ("object", &[PEEK]),
    ("persist", &[CHANGE]),
    ("pexpire", &[CHANGE]),
    ("pexpireat", &[CHANGE]),
    ("pexpiretime", &[READ]),
    ("psetex", &[REPLACE]),
    ("pttl", &[READ]),
    ("rename", &[POP, REPLACE]),
    ("renamenx", &[POP, OW | INSERT]),
    ("restore", &[REPLACE]),
    ("rpop", &[POP]),
    ("rpoplpush", &[POP, ADD]),
    ("rpush", &[ADD]),
    ("rpushx", &[ADD]),
    ("sadd", &[ADD]),
    ("scard", &[PEEK]),
    ("sdiff", &[READ]),
    ("sdiffstore", &[REPLACE, READ]),
    ("set", &[MODIFY | VARIABLE]),
    ("setex", &[REPLACE]),
    ("setnx", &[OW | INSERT]),
    ("setrange", &[CHANGE]),
    ("sinter", &[READ]),
    ("sintercard", &[READ]),
    ("sinterstore", &[CHANGE, READ]),
    ("sismember", &[PEEK]),
    ("smembers", &[READ]),
    ("smismember", &[READ]),
    ("smove", &[POP, ADD]),
    // The sorted key, the BY/GET patterns' keys, the STORE key.
    ("sort", &[READ, READ, REPLACE]),
    ("sort_ro", &[READ, READ]),
    ("spop", &[POP]),
    ("spublish", &[NOT_KEY]),
    ("srandmember", &[READ]),
    ("srem", &[REMOVE]),
    ("sscan", &[READ]),
    ("ssubscribe", &[NOT_KEY]),
    ("strlen", &[PEEK]),
    ("substr", &[READ]),
    ("sunion", &[READ]),
    ("sunionstore", &[REPLACE, READ]),
    ("sunsubscribe", &[NOT_KEY]),
    ("touch", &[PEEK]),
    ("ttl", &[READ]),
    ("type", &[PEEK]),
    ("unlink", &[RM | DELETE]),
    ("watch", &[PEEK]),
    ("zadd", &[CHANGE]),
    ("zcard", &[PEEK]),
    ("zcount", &[READ]),
    ("zdiff", &[READ]),
    ("zdiffstore", &[REPLACE, READ]),
    ("zincrby", &[MODIFY]),
    ("zinter", &[READ]),
    ("zintercard", &[READ]),
    ("zinterstore", &[REPLACE, READ]),
    ("zlexcount", &[READ]),
    ("zmpop", &[POP]),
    ("zmscore", &[READ]),
    ("zpopmax", &[POP]),
    ("zpopmin", &[POP]),
    ("zrandmember", &[READ]),
    ("zrange", &[READ]),
    ("zrangebylex", &[READ]),
    ("zrangebyscore", &[READ]),
    ("zrangestore", &[REPLACE, READ]),
    ("zrank", &[READ]),
    ("zrem", &[REMOVE]),
    ("zremrangebylex", &[REMOVE]),
    ("zremrangebyrank", &[REMOVE]),
    ("zremrangebyscore", &[REMOVE]),
    ("zrevrange", &[READ]),
    ("zrevrangebylex", &[READ]),
    ("zrevrangebyscore", &[READ]),
    ("zrevrank", &[READ]),
    ("zscan", &[READ]),
    ("zscore", &[READ]),
    ("zunion", &[READ]),
    ("zunionstore", &[REPLACE, READ]),
];

/// `c`'s key specs' flags, in order (empty for a command with no keys).
pub fn spec_flags(c: &Command) -> &'static [u16] {
    KEY_SPECS
        .binary_search_by(|(name, _)| name.cmp(&c.name))
        .map_or(&[], |i| KEY_SPECS[i].1)
}

/// Where a key spec's search for its keys begins, as `COMMAND INFO` shows
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    /// At this argument.
    Index(i64),
    /// After this word, looked for from the first argument on.
    Keyword(&'static str),
    /// Only the command's own parsing knows (SORT's BY and GET patterns).
    Unknown,
}

/// How a key spec's keys go on from where the search began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// Up to `lastkey` (relative to the start; negative counts from the
    /// end), every `step`th argument.
    Range {
        lastkey: i64,
        step: i64,
    },
    /// The argument at the start counts the keys right after it.
    Keynum,
    Unknown,
}

/// One key spec of `COMMAND INFO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub flags: u16,
    pub begin: BeginSearch,
    pub find: FindKeys,
}

/// Where the count of keys stands, for the commands whose keys an
/// argument counts.
fn counted_at(c: &Command) -> Option<i64> {
    match c.name {
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" | "zunionstore"
        | "zinterstore" | "zdiffstore" | "blmpop" | "bzmpop" => Some(2),
        "zunion" | "zinter" | "zdiff" | "zintercard" | "sintercard" | "lmpop" | "zmpop" => Some(1),
        _ => None,
    }
}

/// Whether finding `c`'s keys takes reading its arguments (a count, a
/// keyword), not only their positions: Redis's `movablekeys` flag.
pub fn movable(c: &Command) -> bool {
    counted_at(c).is_some() || matches!(c.name, "sort" | "sort_ro")
}

/// `c`'s key specs as `COMMAND INFO` gives them: one per entry of its
/// flags, each placed by the command's key positions; the last covers the
/// rest of them.
pub fn key_specs(c: &Command) -> Vec<KeySpec> {
    let flags = spec_flags(c);
    let (first, last, step) = c.keys;
    let counted = counted_at(c);
    flags
        .iter()
        .enumerate()
        .map(|(i, &flags)| {
            let at = first + i as i64 * step.max(1);
            let (begin, find) = match (c.name, counted) {
                ("sort" | "sort_ro", _) if i == 1 => (BeginSearch::Unknown, FindKeys::Unknown),
                ("sort" | "sort_ro", _) if i == 2 => (
                    BeginSearch::Keyword("STORE"),
                    FindKeys::Range {
                        lastkey: 0,
                        step: 1,
                    },
                ),
                // A destination before the counted keys (ZUNIONSTORE).
                (_, Some(n)) if i + 1 == flags_len(c) => (BeginSearch::Index(n), FindKeys::Keynum),
                _ if i + 1 < flags_len(c) || counted.is_some() => (
                    BeginSearch::Index(at),
                    FindKeys::Range {
                        lastkey: 0,
                        step: 1,
                    },
                ),
                _ => (
                    BeginSearch::Index(at),
                    FindKeys::Range {
                        lastkey: if last < 0 { last } else { last - at },
                        step: step.max(1),
                    },
                ),
            };
            KeySpec { flags, begin, find }
        })
        .collect()
}

fn flags_len(c: &Command) -> usize {
    spec_flags(c).len()
}

/// The flags of each key of the request `args` (name first), in the order
/// of [`key_positions`]: the specs in turn, the last for the rest. Like
/// Redis, SET says `OW update` unless it has `GET`, and SORT's `STORE` key
/// takes its third spec.
pub fn flags_of_keys(c: &Command, args: &[Value], positions: &[usize]) -> Vec<u16> {
    let specs = spec_flags(c);
    if c.name == "set" {
        let flags = if args.iter().skip(3).any(|a| is_word(a, "GET")) {
            RW | ACCESS | UPDATE
        } else {
            OW | UPDATE
        };
        return vec![flags; positions.len()];
    }
    (0..positions.len())
        .map(|i| {
            let spec = match c.name {
                "sort" if i > 0 => specs.get(2),
                _ => specs.get(i).or(specs.last()),
            };
            spec.copied().unwrap_or(RW | ACCESS | UPDATE)
        })
        .collect()
}

/// The names of `flags`, in Redis's order.
pub fn flag_names(flags: u16) -> Vec<Value> {
    key_flags::NAMES
        .iter()
        .filter(|(f, _)| flags & f != 0)
        .map(|(_, n)| Value::simple(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_names_real_commands() {
        for w in KEY_SPECS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        for (name, _) in KEY_SPECS {
            assert!(super::super::lookup(name.as_bytes()).is_some(), "{name}");
        }
        // Every command with keys has its flags.
        let missing: Vec<&str> = super::super::all()
            .filter(|c| c.keys.0 > 0 && spec_flags(c).is_empty())
            .map(|c| c.name)
            .collect();
        assert!(missing.is_empty(), "no key flags: {missing:?}");
    }
}
