//! `maxmemory` admission, checked before each command as Redis does: over
//! the cap, keys are evicted by `maxmemory-policy`; if that cannot bring
//! the data under it (`noeviction`, or nothing the policy may take),
//! commands that may grow memory (`denyoom`, and anything queued inside
//! MULTI) are refused with Redis's `-OOM` error, while reads and deletes
//! go on.
//!
//! Eviction happens in the keyspace, which hands the evicted keys back;
//! here they are announced (`evicted` keyspace events), their WATCHers
//! told, and, with persistence on, logged as deletions in the same step
//! under the log's lock, so that replaying the log evicts them too.

use kvstore_protocol::Value;

use super::table::flags::DENYOOM;
use super::{Command, Ctx};
use crate::config::notify::EVICTED;
use crate::keyspace::evict::Outcome;
use crate::state::{Log, Shared};

pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// The reply refusing `cmd` because memory is over `maxmemory` and
/// nothing more can be evicted; `None` to let it run. With no cap this is
/// one relaxed load.
#[inline]
pub fn refused(ctx: &Ctx<'_>, cmd: &Command) -> Option<Value> {
    let max = ctx.shared.keyspace.eviction.maxmemory();
    if max == 0 || counted(ctx.shared) <= max {
        return None;
    }
    let failed = evict(ctx.shared, max) == Outcome::Failed;
    // As in Redis, inside MULTI everything but the transaction's own
    // controls is refused, reads included.
    let grows = cmd.flags & DENYOOM != 0
        || (ctx.session.multi.is_some()
            && !super::transactions::runs_in_multi(cmd)
            && cmd.name != "unwatch");
    (failed && grows).then(|| Value::error(OOM))
}

/// Whether a `denyoom` command inside a script is refused: memory over
/// `maxmemory` under `noeviction` (the admission check before the script
/// has already evicted what a policy could). Nothing is evicted here: the
/// script holds the gate.
pub fn script_refused(shared: &Shared) -> bool {
    let max = shared.keyspace.eviction.maxmemory();
    max != 0
        && counted(shared) > max
        && shared.keyspace.eviction.policy() == crate::keyspace::evict::Policy::NoEviction
}

/// The memory `maxmemory` is weighed against: what is allocated, less the
/// copies a snapshot in progress keeps (see `keyspace::cut`).
#[inline]
pub fn counted(shared: &Shared) -> u64 {
    crate::memory::used().saturating_sub(shared.keyspace.kept_bytes()) as u64
}

/// Evicts until memory is under `max` or the policy can go no further,
/// and tells the rest of the server which keys went.
pub fn evict(shared: &Shared, max: u64) -> Outcome {
    // Under the gate, as any command: keys never vanish in the middle of
    // a transaction. While a script is busy, the script's writes wait and
    // nothing is evicted.
    let Some(_gate) = shared.keyspace.gate.shared_unless(&|| shared.script.busy()) else {
        return Outcome::Running;
    };
    let mut evicted = Vec::new();
    let mut over = || counted(shared) > max;
    let outcome = if shared.persist.tracks_writes() {
        let mut outcome = Outcome::Done;
        shared.persist.write(&mut |log: &mut Log| {
            outcome = shared.keyspace.evict(&mut over, &mut evicted);
            for (db, key) in &evicted {
                log.push(*db, vec![Value::bulk("DEL"), Value::bulk(&key[..])]);
            }
            Value::ok()
        });
        outcome
    } else {
        shared.keyspace.evict(&mut over, &mut evicted)
    };
    if evicted.is_empty() {
        return outcome;
    }
    let flags = shared.pubsub.notify_flags();
    for (db, key) in &evicted {
        if shared.watches.active() {
            shared.watches.touch(Some(*db), key);
        }
        if flags & EVICTED != 0 {
            shared.pubsub.notify(flags, *db, "evicted", key);
        }
    }
    // Clients caching them are told, as for any change.
    if shared.tracking.active() {
        let keys: Vec<&[u8]> = evicted.iter().map(|(_, k)| k.as_ref()).collect();
        shared.tracking.invalidate(&keys, None);
    }
    outcome
}
