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
