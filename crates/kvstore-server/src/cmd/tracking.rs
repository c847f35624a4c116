//! Client-side caching: `CLIENT TRACKING|CACHING|GETREDIR|TRACKINGINFO`,
//! and the hook that remembers what a tracking client read. The table and
//! the invalidation messages are `state::tracking`'s; writes reach it
//! through the same key-spec walk that wakes WATCHers (see `cmd::run`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use kvstore_protocol::Value;

use super::{is_word, reply_map, Command, Ctx};
use crate::state::session::FLAG_TRACKING;
use crate::state::tracking::Mode;

/// A read-only command of a tracking client ran: remember its keys. The
/// read-only script commands are left out; the commands their scripts run
/// are remembered instead, as in Redis.
pub fn remember(ctx: &mut Ctx<'_>, cmd: &Command, args: &[Value]) {
    let Some(mode) = ctx.session.tracking.as_deref() else {
        return;
    };
    if !mode.remembers() || matches!(cmd.name, "eval_ro" | "evalsha_ro" | "fcall_ro") {
        return;
    }
    let Ok(positions) = super::keyspec::key_positions(cmd, args) else {
        return;
    };
    let keys = positions
        .into_iter()
        .filter_map(|i| args.get(i).and_then(Value::as_bytes));
    ctx.shared.tracking.remember(ctx.session.id, keys);
}

/// Whether a request names `CLIENT` (whose subcommands leave a pending
/// `CLIENT CACHING` in force).
pub fn names_client(frame: &Value) -> bool {
    let first = match frame {
        Value::Array(words) => words.first().and_then(Value::as_bytes),
        Value::Simple(line) => line
            .split(|b| b.is_ascii_whitespace())
            .find(|w| !w.is_empty()),
        _ => None,
    };
    first.is_some_and(|w| w.eq_ignore_ascii_case(b"client"))
}

/// `CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN]
/// [OPTOUT] [NOLOOP]`, with Redis's checks in Redis's order.
pub fn tracking(ctx: &mut Ctx<'_>, rest: &[Value]) -> Value {
    let on = &rest[0];
    let mut mode = Mode::default();
    let mut i = 1;
    while i < rest.len() {
        let w = &rest[i];
        let more = i + 1 < rest.len();
        if is_word(w, "REDIRECT") && more {
            i += 1;
            if mode.redirect != 0 {
                return Value::error("ERR A client can only redirect to a single other client");
            }
            let id = match super::args::strict_integer(&rest[i]) {
                Ok(id) => id,
                Err(e) => return e,
            };
            if id <= 0 || find(ctx, id as u64).is_none() {
                return Value::error("ERR The client ID you want redirect to does not exist");
            }
            mode.redirect = id as u64;
        } else if is_word(w, "BCAST") {
            mode.bcast = true;
        } else if is_word(w, "OPTIN") {
            mode.optin = true;
        } else if is_word(w, "OPTOUT") {
            mode.optout = true;
        } else if is_word(w, "NOLOOP") {
            mode.noloop = true;
        } else if is_word(w, "PREFIX") && more {
            i += 1;
            match rest[i].as_bytes() {
                Some(p) => mode.prefixes.push(Bytes::copy_from_slice(p)),
                None => return Value::error("ERR syntax error"),
            }
        } else {
            return Value::error("ERR syntax error");
        }
        i += 1;
    }
    if is_word(on, "OFF") {
        stop(ctx);
        return Value::ok();
    }
    if !is_word(on, "ON") {
        return Value::error("ERR syntax error");
    }
    if let Some(e) = refused(ctx.session.tracking.as_deref(), &mode) {
        return Value::error(e);
    }
    if mode.bcast && mode.prefixes.is_empty() {
        // No prefix: every key, under the empty prefix.
        mode.prefixes.push(Bytes::new());
    }
    let old = ctx.session.tracking.take();
    if let Some(old) = &old {
        // Prefixes add up; the flags are the new ones.
        let mut all = old.prefixes.clone();
        all.extend(
            mode.prefixes
                .iter()
                .filter(|p| !old.prefixes.contains(p))
                .cloned(),
        );
        mode.prefixes = all;
    }
    let redirect = (mode.redirect != 0)
        .then(|| find(ctx, mode.redirect))
        .flatten()
        .map(|info| Arc::downgrade(&info.outbox));
    let id = ctx.session.id;
    let outbox = Arc::clone(&ctx.session.subscriptions().outbox);
    let new_prefixes: Vec<Bytes> = match &old {
        Some(old) => mode.prefixes[old.prefixes.len()..].to_vec(),
        None => mode.prefixes.clone(),
    };
    let register = Mode {
        prefixes: new_prefixes,
        ..mode.clone()
    };
    ctx.shared.tracking.enable(id, outbox, &register, redirect);
    ctx.session.set_flag(FLAG_TRACKING, true);
    ctx.session.tracking = Some(Box::new(mode));
    Value::ok()
}

/// Why `mode` cannot be turned on over `old` (Redis's texts).
fn refused(old: Option<&Mode>, mode: &Mode) -> Option<String> {
    if !mode.bcast && !mode.prefixes.is_empty() {
        return Some("ERR PREFIX option requires BCAST mode to be enabled".into());
    }
    if old.is_some_and(|o| o.bcast != mode.bcast) {
        return Some(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this client, \
             and then re-enabling it with a different mode."
                .into(),
        );
    }
    if mode.bcast && (mode.optin || mode.optout) {
        return Some("ERR OPTIN and OPTOUT are not compatible with BCAST".into());
    }
    if mode.optin && mode.optout {
        return Some("ERR You can't specify both OPTIN mode and OPTOUT mode".into());
    }
    if old.is_some_and(|o| (mode.optin && o.optout) || (mode.optout && o.optin)) {
        return Some(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, \
             and then re-enabling it with a different mode."
                .into(),
        );
    }
    if mode.bcast {
        let has = old.map_or(&[][..], |o| &o.prefixes[..]);
        let overlap = |a: &[u8], b: &[u8]| a.starts_with(b) || b.starts_with(a);
        for (i, p) in mode.prefixes.iter().enumerate() {
            if let Some(e) = has.iter().find(|e| overlap(p, e)) {
                return Some(format!(
                    "ERR Prefix '{}' overlaps with an existing prefix '{}'. \
                     Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(e)
                ));
            }
            if let Some(q) = mode.prefixes[i + 1..].iter().find(|q| overlap(p, q)) {
                return Some(format!(
                    "ERR Prefix '{}' overlaps with another provided prefix '{}'. \
                     Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(q)
                ));
            }
        }
    }
    None
}

/// Turns tracking off for this connection (`CLIENT TRACKING OFF`, `RESET`,
/// a closed connection).
pub fn stop(ctx: &mut Ctx<'_>) {
    if ctx.session.tracking.take().is_some() {
        ctx.shared.tracking.disable(ctx.session.id);
        ctx.session.set_flag(FLAG_TRACKING, false);
    }
}

/// `CLIENT CACHING YES|NO`.
pub fn caching(ctx: &mut Ctx<'_>, word: &Value) -> Value {
    let Some(mode) = ctx.session.tracking.as_deref_mut() else {
        return Value::error(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode \
             with OPTIN or OPTOUT mode enabled",
        );
    };
    if is_word(word, "YES") {
        if !mode.optin {
            return Value::error(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            );
        }
    } else if is_word(word, "NO") {
        if !mode.optout {
            return Value::error(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            );
        }
    } else {
        return Value::error("ERR syntax error");
    }
    mode.caching = true;
    Value::ok()
}

/// `CLIENT GETREDIR`: the redirect target, 0 for none, -1 when not tracking.
pub fn getredir(ctx: &Ctx<'_>) -> Value {
    Value::Integer(
        ctx.session
            .tracking
            .as_ref()
            .map_or(-1, |m| m.redirect as i64),
    )
}

/// `CLIENT TRACKINGINFO`.
pub fn info(ctx: &Ctx<'_>) -> Value {
    let mode = ctx.session.tracking.as_deref();
    let mut flags = Vec::new();
    match mode {
        None => flags.push("off"),
        Some(m) => {
            flags.push("on");
            for (set, name) in [
                (m.bcast, "bcast"),
                (m.optin, "optin"),
                (m.optout, "optout"),
                (m.optin && m.caching, "caching-yes"),
                (m.optout && m.caching, "caching-no"),
                (m.noloop, "noloop"),
                (m.broken.load(Ordering::Relaxed), "broken_redirect"),
            ] {
                if set {
                    flags.push(name);
                }
            }
        }
    }
    let prefixes = mode.map_or(Vec::new(), |m| {
        m.prefixes.iter().cloned().map(Value::Bulk).collect()
    });
    reply_map(
        ctx.session,
        vec![
            (
                Value::from("flags"),
                Value::Set(flags.into_iter().map(Value::from).collect()),
            ),
            (
                Value::from("redirect"),
                Value::Integer(mode.map_or(-1, |m| m.redirect as i64)),
            ),
            (Value::from("prefixes"), Value::Array(prefixes)),
        ],
    )
}

fn find(ctx: &Ctx<'_>, id: u64) -> Option<Arc<crate::state::session::ClientInfo>> {
    if id == ctx.session.id {
        return Some(Arc::clone(&ctx.session.info));
    }
    ctx.shared.clients.live().into_iter().find(|c| c.id == id)
}
