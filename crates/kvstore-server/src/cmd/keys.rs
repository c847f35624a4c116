//! Whole-key operations: DELETE, FLUSH.

use kvstore_protocol::Value;

use super::{key, Command, Ctx};
use crate::{command, tri};

pub static COMMANDS: &[Command] = &[
    command!("delete", 2, true, delete),
    command!("flush", 1, true, flush),
];

pub fn delete(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    Value::Integer(i64::from(ctx.shared.store.remove(&k).is_some()))
}

pub fn flush(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    Value::Integer(ctx.shared.store.clear() as i64)
}
