//! Reading and writing whole values: GET, SET, MGET, MSET.

use kvstore_protocol::Value;

use super::{key, storable, syntax_error, wrong_args, Command, Ctx};
use crate::config::ReplyMode;
use crate::{command, tri};

pub static COMMANDS: &[Command] = &[
    command!("get", 2, false, get),
    command!("set", -3, true, set),
    command!("mget", -2, false, mget),
    command!("mset", -3, true, mset),
];

pub fn get(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    ctx.shared.store.get(&k).unwrap_or(Value::Null)
}

pub fn set(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let v = tri!(storable(&args[2]));
    if args.len() > 3 {
        return syntax_error();
    }
    ctx.shared.store.set(&k, v);
    match ctx.session.mode {
        ReplyMode::Seed => Value::Integer(1),
        ReplyMode::Redis => Value::ok(),
    }
}

pub fn mget(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let keys = tri!(args[1..].iter().map(key).collect::<Result<Vec<_>, _>>());
    let refs: Vec<&[u8]> = keys.iter().map(|k| &**k).collect();
    Value::Array(
        ctx.shared
            .store
            .get_many(&refs)
            .into_iter()
            .map(|v| v.unwrap_or(Value::Null))
            .collect(),
    )
}

pub fn mset(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    if args.len().is_multiple_of(2) {
        return wrong_args("mset");
    }
    // Check every pair before touching the store: all or nothing.
    let mut pairs = Vec::with_capacity(args.len() / 2);
    for kv in args[1..].chunks_exact(2) {
        pairs.push((tri!(key(&kv[0])), tri!(storable(&kv[1]))));
    }
    let n = pairs.len() as i64;
    ctx.shared
        .store
        .set_many(pairs.iter().map(|(k, v)| (&**k, v.clone())).collect());
    match ctx.session.mode {
        ReplyMode::Seed => Value::Integer(n),
        ReplyMode::Redis => Value::ok(),
    }
}
