//! What the blocking commands share: their timeout argument, and handing
//! the connection a request to wait on when nothing is there yet.

use std::time::Duration;

use kvstore_protocol::Value;

use super::{key, Ctx};
use crate::state::blocking::BlockRequest;

/// A timeout in seconds as Redis reads one (fractions allowed; 0: forever).
pub fn timeout(v: &Value) -> Result<Option<Duration>, Value> {
    let bad = || Value::error("ERR timeout is not a float or out of range");
    let text = v.as_bytes().map(String::from_utf8_lossy).ok_or_else(bad)?;
    let secs: f64 = text.trim().parse().map_err(|_| bad())?;
    if !secs.is_finite() {
        return Err(bad());
    }
    if secs < 0.0 {
        return Err(Value::error("ERR timeout is negative"));
    }
    if secs == 0.0 {
        return Ok(None);
    }
    Duration::try_from_secs_f64(secs)
        .map(Some)
        .map_err(|_| bad())
}

/// Nothing to take: inside EXEC or a script, answers at once (a null
/// array, as Redis); otherwise leaves the connection a request to wait
/// on, and nothing to log.
pub fn wait(ctx: &mut Ctx<'_>, args: &[Value], keys: &[Value], t: Option<Duration>) -> Value {
    if ctx.session.no_block || ctx.session.multi.is_some() {
        return Value::NullArray;
    }
    let db = ctx.session.db;
    let keys = keys
        .iter()
        .filter_map(|k| key(k).ok().map(|k| (db, k.into_owned())))
        .collect();
    ctx.session.block = Some(BlockRequest {
        args: args.to_vec(),
        keys,
        timeout: t,
    });
    ctx.log.skip = true;
    // Never sent: the connection waits and runs the command again.
    Value::NullArray
}
