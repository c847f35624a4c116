//! What every command run leaves behind for introspection: its counters
//! in `INFO commandstats`, its error in `INFO errorstats`, a slow-log
//! entry and a latency sample if it was slow, and its line for MONITOR.
//!
//! The cost per command, when nobody monitors and nothing is slow, is one
//! clock reading (the end of one command is the start of the next: the
//! session keeps the last reading) and two relaxed atomic additions on the
//! command's own cache line, found by its position in the table.

use std::sync::LazyLock;
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use kvstore_protocol::Value;

use super::table::flags::{ADMIN, SKIP_SLOWLOG};
use super::{all, Command, Ctx};
use crate::state::intro::{SlowEntry, MAX_COMMANDS};

/// Redis cuts slow-log arguments to this many, and each to this many bytes.
const SLOWLOG_MAX_ARGS: usize = 32;
const SLOWLOG_MAX_STRING: usize = 128;

/// Every command's position in the table, found from its address. The
/// families are separate static arrays, so the address divided by the row
/// size is a distinct number within each; an open-addressed table of 4x as
/// many slots as commands resolves the rare clash between families.
struct Positions {
    slots: Box<[(usize, u16)]>,
    by_index: Vec<&'static Command>,
}

static POSITIONS: LazyLock<Positions> = LazyLock::new(|| {
    let by_index: Vec<&'static Command> = all().collect();
    assert!(by_index.len() <= MAX_COMMANDS, "raise intro::MAX_COMMANDS");
    let n = (by_index.len() * 4).next_power_of_two();
    let mut slots = vec![(0usize, 0u16); n].into_boxed_slice();
    for (i, c) in by_index.iter().enumerate() {
        let addr = *c as *const Command as usize;
        let mut s = slot_of(addr, n);
        while slots[s].0 != 0 {
            s = (s + 1) & (n - 1);
        }
        slots[s] = (addr, i as u16);
    }
    Positions { slots, by_index }
});

#[inline]
fn slot_of(addr: usize, n: usize) -> usize {
    (addr / std::mem::size_of::<Command>()) & (n - 1)
}

/// The command's position in the table (its slot in the statistics).
#[inline]
pub fn index_of(cmd: &Command) -> usize {
    let p = &*POSITIONS;
    let addr = cmd as *const Command as usize;
    let n = p.slots.len();
    let mut s = slot_of(addr, n);
    loop {
        let (a, i) = p.slots[s];
        if a == addr {
            return i as usize;
        }
        if a == 0 {
            // Not a table row (never happens): a slot no report shows.
            return MAX_COMMANDS;
        }
        s = (s + 1) & (n - 1);
    }
}

/// The command at `index` in the table.
pub fn by_index(index: usize) -> Option<&'static Command> {
    POSITIONS.by_index.get(index).copied()
}

/// Every command with its index, in table order.
pub fn indexed() -> impl Iterator<Item = (usize, &'static Command)> {
    POSITIONS.by_index.iter().copied().enumerate()
}

/// Accounts for one run of `cmd` that ended with `reply`. `started` is
/// the session's clock reading when it began.
#[inline]
pub fn after_run(ctx: &mut Ctx<'_>, cmd: &Command, args: &[Value], reply: &Value) {
    if is_script(cmd) {
        ctx.session.lua -= 1;
    }
    let started = ctx.session.mark;
    let now = Instant::now();
    ctx.session.mark = now;
    // A blocking command that found nothing runs again later: only the
    // run that answers counts, as Redis counts it once.
    if ctx.session.block.is_some() {
        return;
    }
    let elapsed = now.saturating_duration_since(started);
    let usec = elapsed.as_micros() as u64;
    let intro = &ctx.shared.intro;
    let index = index_of(cmd);
    ctx.session.last_cmd = index;
    if let Some(slot) = intro.command(index) {
        if intro.tracking_latency() {
            slot.latency.record(elapsed.as_nanos() as u64, 1);
        }
        slot.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        slot.usec
            .fetch_add(usec, std::sync::atomic::Ordering::Relaxed);
        if let Value::Error(e) = reply {
            slot.failed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            intro.error_reply(e);
        }
    }
    if intro.is_slow(usec) && cmd.flags & SKIP_SLOWLOG == 0 {
        slowlog(ctx, cmd, args, usec);
    }
    if intro.latency_on() {
        intro.latency_sample("command", elapsed);
    }
    // Scripts are shown before the commands they run, as Redis does.
    if intro.monitoring() && !is_script(cmd) {
        monitor(ctx, args);
    }
}

/// Before a run: a script's own line goes to monitors before those of
/// the commands it runs, which say `lua`.
#[inline]
pub fn before_run(ctx: &mut Ctx<'_>, cmd: &Command, args: &[Value]) {
    if is_script(cmd) {
        if ctx.shared.intro.monitoring() {
            monitor(ctx, args);
        }
        ctx.session.lua += 1;
    }
}

fn is_script(cmd: &Command) -> bool {
    // Every script command starts with e or f: most commands stop here.
    matches!(cmd.name.as_bytes().first(), Some(b'e' | b'f'))
        && matches!(
            cmd.name,
            "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro"
        )
}

/// A request refused before it ran (unknown, wrong arity, not allowed in
/// the connection's state): its error counts, and against the command
/// when there is one. It is no processed command.
pub fn rejected(ctx: &mut Ctx<'_>, cmd: Option<&Command>, reply: &Value) {
    ctx.session.refused += 1;
    let intro = &ctx.shared.intro;
    if let Some(slot) = cmd.and_then(|c| intro.command(index_of(c))) {
        slot.rejected
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    if let Value::Error(e) = reply {
        intro.error_reply(e);
    }
}

/// The GET/SET shortcut's commands, counted by the batch: `gets` and
/// `sets` served since the session's last clock reading.
pub fn shortcut_served(shared: &crate::state::Shared, mark: &mut Instant, counts: [u64; 2]) {
    let [gets, sets] = counts;
    let now = Instant::now();
    let spent = now.saturating_duration_since(*mark);
    let usec = spent.as_micros() as u64;
    *mark = now;
    let total = gets + sets;
    if total == 0 {
        return;
    }
    // The batch is timed as a whole: each request counts as its share.
    let each = (spent.as_nanos() as u64) / total;
    let histograms = shared.intro.tracking_latency();
    for (index, n) in SHORTCUT.iter().zip([gets, sets]) {
        let Some(slot) = shared.intro.command(*index).filter(|_| n > 0) else {
            continue;
        };
        if histograms {
            slot.latency.record(each, n);
        }
        slot.calls
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        slot.usec
            .fetch_add(usec * n / total, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The positions of GET and SET, which the shortcut serves.
static SHORTCUT: LazyLock<[usize; 2]> = LazyLock::new(|| {
    ["get", "set"].map(|n| super::lookup(n.as_bytes()).map_or(MAX_COMMANDS, index_of))
});

/// True if the arguments of `args` from `from` on are secrets MONITOR and
/// the slow log hide: AUTH's, HELLO's after AUTH, and ACL SETUSER's.
fn redacted(args: &[Value]) -> Option<std::ops::Range<usize>> {
    let name = args.first()?.as_bytes()?;
    if name.eq_ignore_ascii_case(b"auth") {
        return Some(1..args.len());
    }
    // ACL SETUSER: the user's name and every rule, as Redis hides them.
    if name.eq_ignore_ascii_case(b"acl")
        && args
            .get(1)
            .and_then(Value::as_bytes)
            .is_some_and(|s| s.eq_ignore_ascii_case(b"setuser"))
    {
        return Some(2..args.len());
    }
    if name.eq_ignore_ascii_case(b"hello") {
        let at = args.iter().position(|a| {
            a.as_bytes()
                .is_some_and(|b| b.eq_ignore_ascii_case(b"auth"))
        })?;
        return Some(at + 1..(at + 3).min(args.len()));
    }
    None
}

fn word(args: &[Value], i: usize, hidden: &Option<std::ops::Range<usize>>) -> Bytes {
    if hidden.as_ref().is_some_and(|r| r.contains(&i)) {
        return Bytes::from_static(b"(redacted)");
    }
    match &args[i] {
        Value::Bulk(b) => b.clone(),
        Value::Integer(n) => Bytes::from(n.to_string()),
        other => Bytes::copy_from_slice(other.as_bytes().unwrap_or_default()),
    }
}

fn slowlog(ctx: &Ctx<'_>, cmd: &Command, args: &[Value], usec: u64) {
    let _ = cmd;
    let hidden = redacted(args);
    let shown = args.len().min(SLOWLOG_MAX_ARGS);
    let mut words = Vec::with_capacity(shown);
    for i in 0..shown {
        if i == SLOWLOG_MAX_ARGS - 1 && args.len() > SLOWLOG_MAX_ARGS {
            let more = args.len() - (SLOWLOG_MAX_ARGS - 1);
            words.push(Bytes::from(format!("... ({more} more arguments)")));
            break;
        }
        let w = word(args, i, &hidden);
        if w.len() > SLOWLOG_MAX_STRING {
            let mut cut = BytesMut::with_capacity(SLOWLOG_MAX_STRING + 32);
            cut.extend_from_slice(&w[..SLOWLOG_MAX_STRING]);
            cut.extend_from_slice(
                format!("... ({} more bytes)", w.len() - SLOWLOG_MAX_STRING).as_bytes(),
            );
            words.push(cut.freeze());
        } else {
            // A copy: the argument is a slice of its whole request, which
            // an entry must not keep alive (128 entries of a pipeline's
            // large frames would hold megabytes each).
            words.push(Bytes::copy_from_slice(&w));
        }
    }
    ctx.shared.intro.slowlog_push(SlowEntry {
        id: 0,
        time: crate::keyspace::clock::unix_ms() as i64 / 1000,
        usec,
        args: words,
        addr: ctx.session.peer.to_string(),
        name: ctx.session.name.clone().unwrap_or_default(),
    });
}

/// Sends MONITOR's line for this request:
/// `+<secs>.<micros> [<db> <addr>] "word" ...`, words escaped as Redis
/// quotes them; commands run by a script say `lua` for the address.
fn monitor(ctx: &Ctx<'_>, args: &[Value]) {
    let Some(name) = args.first().and_then(Value::as_bytes) else {
        return;
    };
    // Administrative commands are not shown, as in Redis.
    if super::lookup(name).is_some_and(|c| c.flags & ADMIN != 0) {
        return;
    }
    // ACL's container is not administrative, but most of its subcommands
    // are (ACL SETUSER among them).
    if name.eq_ignore_ascii_case(b"acl") && admin_subcommand(args) {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut line = BytesMut::with_capacity(64);
    line.put_slice(
        format!(
            "+{}.{:06} [{} ",
            now.as_secs(),
            now.subsec_micros(),
            ctx.session.db
        )
        .as_bytes(),
    );
    if ctx.session.lua > 0 {
        line.put_slice(b"lua");
    } else {
        line.put_slice(ctx.session.peer.to_string().as_bytes());
    }
    line.put_slice(b"]");
    let hidden = redacted(args);
    for i in 0..args.len() {
        line.put_slice(b" ");
        quote(&word(args, i, &hidden), &mut line);
    }
    line.put_slice(b"\r\n");
    ctx.shared.intro.feed_monitors(line.freeze());
}

/// Redis's quoting of a string: in double quotes, with `\\`, `\"`, the
/// usual letter escapes, and `\xHH` for any other unprintable byte.
pub fn quote(s: &[u8], out: &mut BytesMut) {
    out.put_u8(b'"');
    for &b in s {
        match b {
            b'\\' => out.put_slice(b"\\\\"),
            b'"' => out.put_slice(b"\\\""),
            b'\n' => out.put_slice(b"\\n"),
            b'\r' => out.put_slice(b"\\r"),
            b'\t' => out.put_slice(b"\\t"),
            0x07 => out.put_slice(b"\\a"),
            0x08 => out.put_slice(b"\\b"),
            0x20..=0x7e => out.put_u8(b),
            _ => out.put_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.put_u8(b'"');
}

/// True for the ACL subcommands Redis flags `admin` (all but CAT,
/// GENPASS, WHOAMI and HELP), which MONITOR does not show.
fn admin_subcommand(args: &[Value]) -> bool {
    !args.get(1).is_some_and(|s| {
        ["CAT", "GENPASS", "WHOAMI", "HELP"]
            .iter()
            .any(|w| super::is_word(s, w))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_its_own_position() {
        for (i, c) in indexed() {
            assert_eq!(index_of(c), i, "{}", c.name);
            assert!(std::ptr::eq(by_index(i).expect("row"), c));
        }
    }

    #[test]
    fn quoting_as_redis() {
        let mut out = BytesMut::new();
        quote(b"x\n\"\\\x01\xc3", &mut out);
        assert_eq!(&out[..], b"\"x\\n\\\"\\\\\\x01\\xc3\"");
    }
}
