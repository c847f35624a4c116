//! Users and what they may do: Redis 7's ACL model.
//!
//! A user is an immutable value; `ACL SETUSER` builds a changed copy and
//! swaps it in, so a connection holds an `Arc<User>` and checks it without
//! locks. The registry counts its changes in one atomic (`generation`):
//! a connection re-reads its user only when that number moved, which is
//! one load per request batch.
//!
//! Commands are numbered by the command layer (each command, then each
//! subcommand, gets an id), which hands this module a [`Catalog`]; the
//! model itself knows no command.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Mutex, RwLock};
use sha2::{Digest, Sha256};

use crate::keyspace::glob;

/// Room for this many command ids (commands and subcommands; the command
/// layer checks that it needs fewer). Bits past the last id are set by
/// `+@all` like the others, so a user of `+@all` has every word full.
pub const ID_CAPACITY: usize = 1024;

/// What the command layer tells the model about its commands.
pub trait Catalog {
    /// The id of a lower-case name: `get`, or `config|get`.
    fn id(&self, name: &str) -> Option<usize>;
    /// The ids of a container's subcommands (empty for a plain command).
    fn subcommands(&self, id: usize) -> Vec<usize>;
    /// The ids in a category (`read`, without the `@`); `None` if there
    /// is no such category.
    fn category(&self, name: &str) -> Option<Vec<usize>>;
    /// A Redis 7 command (or subcommand) kvstore does not have: rules
    /// naming it are accepted and kept, so that Redis's ACL files load,
    /// and grant or deny nothing.
    fn foreign(&self, _name: &str) -> bool {
        false
    }
}

/// One key pattern and the access it grants (`~p` both, `%R~p`, `%W~p`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPattern {
    pub pattern: Vec<u8>,
    pub read: bool,
    pub write: bool,
}

#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub enabled: bool,
    pub nopass: bool,
    /// SHA-256 of each password, in the order they were added.
    pub passwords: Vec<[u8; 32]>,
    pub allkeys: bool,
    pub keys: Vec<KeyPattern>,
    pub allchannels: bool,
    pub channels: Vec<Vec<u8>>,
    /// One bit per command id.
    allowed: Vec<u64>,
    /// `+cmd|arg` of a command that has no subcommands: the first
    /// arguments it may be called with even while the command is denied.
    first_args: Vec<(usize, Vec<u8>)>,
    /// The command rules as `ACL LIST` spells them, `+@all` or `-@all`
    /// first.
    rules: Vec<String>,
    pub sanitize: Option<bool>,
}

/// Why a request was refused, as `ACL LOG` names the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    Command,
    /// The index of the refused key among the request's words.
    Key(usize),
    Channel(usize),
}

/// An `ACL SETUSER` rule that cannot be applied, with Redis's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("Syntax error")]
    Syntax,
    #[error("Unknown command or category name in ACL")]
    Unknown,
    #[error("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")]
    BadHash,
    #[error("The password you are trying to remove from the user does not exist")]
    NoSuchPassword,
    #[error("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")]
    AfterAllKeys,
    #[error("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")]
    AfterAllChannels,
    #[error("Allowing first-arg of a subcommand is not supported")]
    SubcommandFirstArg,
}

/// SHA-256 of a password.
pub fn hash_password(pw: &[u8]) -> [u8; 32] {
    Sha256::digest(pw).into()
}

fn hex(h: &[u8; 32]) -> String {
    let mut s = String::with_capacity(64);
    for b in h {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn parse_hash(b: &[u8]) -> Result<[u8; 32], RuleError> {
    if b.len() != 64 || !b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(RuleError::BadHash);
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        let digit = |c: u8| if c <= b'9' { c - b'0' } else { c - b'a' + 10 };
        out[i] = digit(pair[0]) << 4 | digit(pair[1]);
    }
    Ok(out)
}

/// Compares two hashes in time that does not depend on where they differ.
fn same_hash(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

impl User {
    /// A new user as `ACL SETUSER name` makes it: off, no passwords, no
    /// keys, no channels, no commands.
    pub fn new(name: &str) -> User {
        User {
            name: name.to_string(),
            enabled: false,
            nopass: false,
            passwords: Vec::new(),
            allkeys: false,
            keys: Vec::new(),
            allchannels: false,
            channels: Vec::new(),
            allowed: vec![0; ID_CAPACITY / 64],
            first_args: Vec::new(),
            rules: vec!["-@all".to_string()],
            sanitize: None,
        }
    }

    /// The `default` user of a fresh server: everything, no password.
    pub fn default_user() -> User {
        let mut u = User::new("default");
        u.enabled = true;
        u.nopass = true;
        u.allkeys = true;
        u.allchannels = true;
        u.set_all(true);
        u
    }

    fn set_all(&mut self, on: bool) {
        let fill = if on { u64::MAX } else { 0 };
        self.allowed.iter_mut().for_each(|w| *w = fill);
        self.first_args.clear();
        self.rules = vec![if on { "+@all" } else { "-@all" }.to_string()];
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        if let Some(w) = self.allowed.get_mut(id / 64) {
            if on {
                *w |= 1 << (id % 64);
            } else {
                *w &= !(1 << (id % 64));
            }
        }
        self.first_args.retain(|(i, _)| *i != id);
    }

    fn bit(&self, id: usize) -> bool {
        self.allowed
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// Records a command rule for `ACL LIST`, dropping an earlier rule on
    /// the same target that this one overrides.
    /// A whole command's rule also overrides the earlier rules on its
    /// subcommands and first arguments (`+config` after `-config|get`).
    fn note_rule(&mut self, rule: &str) {
        let target = &rule[1..];
        let whole = !target.contains('|') && !target.starts_with('@');
        self.rules.retain(|r| {
            let t = r.get(1..).unwrap_or_default();
            let sub_of_target = whole
                && t.strip_prefix(target)
                    .is_some_and(|rest| rest.starts_with('|'));
            r == "+@all" || r == "-@all" || (t != target && !sub_of_target)
        });
        self.rules.push(rule.to_string());
    }

    /// Applies one `ACL SETUSER` rule. Rules are bytes: passwords and
    /// patterns need not be text.
    pub fn apply(
        &mut self,
        rule: impl AsRef<[u8]>,
        catalog: &dyn Catalog,
    ) -> Result<(), RuleError> {
        let rule = rule.as_ref();
        let lower = String::from_utf8_lossy(rule).to_ascii_lowercase();
        match lower.as_str() {
            "on" => self.enabled = true,
            "off" => self.enabled = false,
            "nopass" => {
                self.nopass = true;
                self.passwords.clear();
            }
            "resetpass" => {
                self.nopass = false;
                self.passwords.clear();
            }
            "allkeys" => {
                self.allkeys = true;
                self.keys.clear();
            }
            "resetkeys" => {
                self.allkeys = false;
                self.keys.clear();
            }
            "allchannels" => {
                self.allchannels = true;
                self.channels.clear();
            }
            "resetchannels" => {
                self.allchannels = false;
                self.channels.clear();
            }
            "allcommands" => self.set_all(true),
            "nocommands" => self.set_all(false),
            "sanitize-payload" => self.sanitize = Some(true),
            "skip-sanitize-payload" => self.sanitize = Some(false),
            // Selectors are not kept, so there are none to clear.
            "clearselectors" => {}
            "reset" => {
                for r in ["resetpass", "resetkeys", "resetchannels", "off", "-@all"] {
                    self.apply(r, catalog)?;
                }
                self.sanitize = Some(true);
            }
            _ => return self.apply_prefixed(rule, &lower, catalog),
        }
        Ok(())
    }

    fn apply_prefixed(
        &mut self,
        rule: &[u8],
        lower: &str,
        catalog: &dyn Catalog,
    ) -> Result<(), RuleError> {
        let Some((&first, rest)) = rule.split_first() else {
            return Err(RuleError::Syntax);
        };
        match first {
            b'>' => {
                let h = hash_password(rest);
                if !self.passwords.contains(&h) {
                    self.passwords.push(h);
                }
                self.nopass = false;
            }
            b'#' => {
                let h = parse_hash(rest)?;
                if !self.passwords.contains(&h) {
                    self.passwords.push(h);
                }
                self.nopass = false;
            }
            b'<' | b'!' => {
                let h = if first == b'<' {
                    hash_password(rest)
                } else {
                    parse_hash(rest)?
                };
                let before = self.passwords.len();
                self.passwords.retain(|p| *p != h);
                if self.passwords.len() == before {
                    return Err(RuleError::NoSuchPassword);
                }
            }
            b'~' | b'%' => {
                let (read, write, pattern) = if first == b'~' {
                    (true, true, rest)
                } else {
                    let Some(at) = rest.iter().position(|&b| b == b'~') else {
                        return Err(RuleError::Syntax);
                    };
                    let (perms, pattern) = (&rest[..at], &rest[at + 1..]);
                    let (mut r, mut w) = (false, false);
                    for c in perms {
                        match c.to_ascii_uppercase() {
                            b'R' => r = true,
                            b'W' => w = true,
                            _ => return Err(RuleError::Syntax),
                        }
                    }
                    if !(r || w) {
                        return Err(RuleError::Syntax);
                    }
                    (r, w, pattern)
                };
                if self.allkeys {
                    return Err(RuleError::AfterAllKeys);
                }
                if pattern == b"*" && read && write {
                    self.allkeys = true;
                    self.keys.clear();
                    return Ok(());
                }
                let p = KeyPattern {
                    pattern: pattern.to_vec(),
                    read,
                    write,
                };
                if !self.keys.contains(&p) {
                    self.keys.push(p);
                }
            }
            b'&' => {
                if self.allchannels {
                    return Err(RuleError::AfterAllChannels);
                }
                if rest == b"*" {
                    self.allchannels = true;
                    self.channels.clear();
                } else if !self.channels.iter().any(|c| c == rest) {
                    self.channels.push(rest.to_vec());
                }
            }
            b'+' | b'-' => {
                let on = first == b'+';
                let target = &lower[1..];
                if let Some(cat) = target.strip_prefix('@') {
                    if cat == "all" {
                        self.set_all(on);
                        return Ok(());
                    }
                    let ids = catalog.category(cat).ok_or(RuleError::Unknown)?;
                    for id in ids {
                        self.set_bit(id, on);
                    }
                } else if catalog.id(target).is_none() && catalog.foreign(target) {
                    // Kept for ACL LIST and ACL SAVE; there is nothing to
                    // allow or deny.
                } else if let Some((cmd, sub)) = target.split_once('|') {
                    let id = catalog.id(cmd).ok_or(RuleError::Unknown)?;
                    if catalog.subcommands(id).is_empty() {
                        // A first argument of a plain command: allowed
                        // only ever added, as Redis does.
                        if !on {
                            return Err(RuleError::Unknown);
                        }
                        if sub.is_empty() || sub.contains('|') {
                            return Err(RuleError::Syntax);
                        }
                        tracing::warn!(
                            "Deprecation warning: Allowing a first arg of an otherwise blocked \
                             command is a misuse of ACL and may get disabled in the future \
                             (offender: {lower})"
                        );
                        // Already allowed whole: nothing to add, nor to
                        // describe.
                        if self.bit(id) {
                            return Ok(());
                        }
                        self.first_args.push((id, sub.as_bytes().to_vec()));
                    } else {
                        if sub.contains('|') {
                            return Err(RuleError::SubcommandFirstArg);
                        }
                        let sid = catalog.id(target).ok_or(RuleError::Unknown)?;
                        self.set_bit(sid, on);
                    }
                } else {
                    let id = catalog.id(target).ok_or(RuleError::Unknown)?;
                    self.set_bit(id, on);
                    for sid in catalog.subcommands(id) {
                        self.set_bit(sid, on);
                    }
                }
                self.note_rule(lower);
            }
            _ => return Err(RuleError::Syntax),
        }
        Ok(())
    }

    /// True if `password` opens this user (an enabled user with that
    /// password, or with `nopass`). Every stored hash is compared, in
    /// constant time each.
    pub fn accepts(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let h = hash_password(password);
        let mut found = false;
        for p in &self.passwords {
            found |= same_hash(p, &h);
        }
        found
    }

    /// May run command `id` (a subcommand's id for a container), called
    /// with `first_arg`.
    pub fn may_run(&self, id: usize, first_arg: Option<&[u8]>) -> bool {
        if self.bit(id) {
            return true;
        }
        match first_arg {
            Some(a) if !self.first_args.is_empty() => self
                .first_args
                .iter()
                .any(|(i, f)| *i == id && f.eq_ignore_ascii_case(a)),
            _ => false,
        }
    }

    /// May touch `key` for reading (`read`) and/or writing (`write`).
    pub fn may_access(&self, key: &[u8], read: bool, write: bool) -> bool {
        if self.allkeys {
            return true;
        }
        // Redis asks one pattern to grant all the access needed.
        self.keys
            .iter()
            .any(|p| (p.read || !read) && (p.write || !write) && glob::matches(&p.pattern, key))
    }

    /// May publish or subscribe to `channel`; a pattern subscription
    /// (`literal`) must name one of the user's patterns as it is.
    pub fn may_use_channel(&self, channel: &[u8], literal: bool) -> bool {
        if self.allchannels {
            return true;
        }
        self.channels.iter().any(|p| {
            if literal {
                p == channel
            } else {
                glob::matches(p, channel)
            }
        })
    }

    /// Everything allowed: every command, key and channel. The GET/SET
    /// shortcut is taken only for such a user, and no check is made.
    pub fn unrestricted(&self) -> bool {
        self.allkeys && self.allchannels && self.allowed.iter().all(|w| *w == u64::MAX)
    }

    /// The user as one `ACL LIST` line, without the `user name` prefix.
    pub fn describe(&self) -> String {
        let mut parts = vec![if self.enabled { "on" } else { "off" }.to_string()];
        if self.nopass {
            parts.push("nopass".to_string());
        }
        match self.sanitize {
            Some(true) => parts.push("sanitize-payload".to_string()),
            Some(false) => parts.push("skip-sanitize-payload".to_string()),
            None => {}
        }
        parts.extend(self.passwords.iter().map(|p| format!("#{}", hex(p))));
        if !self.keys_text().is_empty() {
            parts.push(self.keys_text());
        }
        if self.allchannels {
            parts.push("&*".to_string());
        } else {
            parts.push("resetchannels".to_string());
            if !self.channels.is_empty() {
                parts.push(self.channels_text());
            }
        }
        parts.push(self.commands_text());
        parts.join(" ")
    }

    /// `ACL GETUSER`'s `keys`: `~*`, or each pattern as it was given.
    pub fn keys_text(&self) -> String {
        if self.allkeys {
            return "~*".to_string();
        }
        self.keys
            .iter()
            .map(|k| {
                let p = String::from_utf8_lossy(&k.pattern);
                match (k.read, k.write) {
                    (true, true) => format!("~{p}"),
                    (true, false) => format!("%R~{p}"),
                    _ => format!("%W~{p}"),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn channels_text(&self) -> String {
        if self.allchannels {
            return "&*".to_string();
        }
        self.channels
            .iter()
            .map(|c| format!("&{}", String::from_utf8_lossy(c)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn commands_text(&self) -> String {
        self.rules.join(" ")
    }

    pub fn password_hashes(&self) -> Vec<String> {
        self.passwords.iter().map(hex).collect()
    }
}

/// One `ACL LOG` entry.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub count: u64,
    /// `command`, `key`, `channel` or `auth`.
    pub reason: &'static str,
    /// `toplevel`, `multi` or `lua`.
    pub context: &'static str,
    pub object: String,
    pub username: String,
    pub created: Instant,
    pub client_info: String,
}

/// Entries with the same reason, context, object and user this close
/// together are one entry with a count, as in Redis.
const LOG_GROUP_MS: u128 = 60_000;

/// The users, the ACL log, and whether the default user needs no password.
pub struct Acl {
    users: RwLock<BTreeMap<String, Arc<User>>>,
    generation: AtomicU64,
    /// The default user is on and has `nopass`: connections start
    /// authenticated, and `AUTH` with a password is refused.
    default_open: AtomicBool,
    log: Mutex<VecDeque<LogEntry>>,
    pub log_max: AtomicUsize,
}

impl Default for Acl {
    fn default() -> Self {
        Acl::new()
    }
}

impl Acl {
    pub fn new() -> Acl {
        let mut users = BTreeMap::new();
        users.insert("default".to_string(), Arc::new(User::default_user()));
        Acl {
            users: RwLock::new(users),
            generation: AtomicU64::new(1),
            default_open: AtomicBool::new(true),
            log: Mutex::new(VecDeque::new()),
            log_max: AtomicUsize::new(128),
        }
    }

    /// Changes whenever any user changes.
    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    #[inline]
    pub fn default_open(&self) -> bool {
        self.default_open.load(Ordering::Acquire)
    }

    pub fn get(&self, name: &str) -> Option<Arc<User>> {
        self.users.read().get(name).cloned()
    }

    pub fn default_user(&self) -> Arc<User> {
        self.get("default")
            .unwrap_or_else(|| Arc::new(User::default_user()))
    }

    pub fn names(&self) -> Vec<String> {
        self.users.read().keys().cloned().collect()
    }

    pub fn all(&self) -> Vec<Arc<User>> {
        self.users.read().values().cloned().collect()
    }

    fn changed(&self, users: &BTreeMap<String, Arc<User>>) {
        let open = users.get("default").is_some_and(|d| d.enabled && d.nopass);
        self.default_open.store(open, Ordering::Release);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Applies `rules` to user `name` (made if missing), all or nothing.
    /// On error, the index of the failing rule and why.
    pub fn set_user<R: AsRef<[u8]>>(
        &self,
        name: &str,
        rules: &[R],
        catalog: &dyn Catalog,
    ) -> Result<(), (usize, RuleError)> {
        let mut users = self.users.write();
        let mut user = match users.get(name) {
            Some(u) => User::clone(u),
            None => User::new(name),
        };
        // An empty rule changes nothing, as in Redis.
        for (i, r) in rules
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.as_ref().is_empty())
        {
            user.apply(r, catalog).map_err(|e| (i, e))?;
        }
        users.insert(name.to_string(), Arc::new(user));
        self.changed(&users);
        Ok(())
    }

    /// Removes the named users; how many existed. `default` is never
    /// removed (the caller refuses it first).
    pub fn delete(&self, names: &[String]) -> usize {
        let mut users = self.users.write();
        let n = names
            .iter()
            .filter(|n| *n != "default" && users.remove(n.as_str()).is_some())
            .count();
        self.changed(&users);
        n
    }

    /// Replaces every user at once (`ACL LOAD`, the acl file at start-up);
    /// a missing `default` is the fresh server's.
    pub fn replace(&self, mut next: BTreeMap<String, Arc<User>>) {
        next.entry("default".to_string())
            .or_insert_with(|| Arc::new(User::default_user()));
        let mut users = self.users.write();
        *users = next;
        self.changed(&users);
    }

    /// `requirepass`: the default user's passwords become this one, or
    /// `nopass` when it is empty, as Redis does.
    pub fn set_requirepass(&self, password: &str, catalog: &dyn Catalog) {
        let mut rules = vec!["resetpass".to_string()];
        rules.push(if password.is_empty() {
            "nopass".to_string()
        } else {
            format!(">{password}")
        });
        // Neither rule can fail.
        let _ = self.set_user("default", &rules, catalog);
    }

    /// Adds a denial to the log, folding it into a recent identical one.
    pub fn log_denial(&self, mut entry: LogEntry) {
        let max = self.log_max.load(Ordering::Relaxed);
        let mut log = self.log.lock();
        let same = log.iter().position(|e| {
            e.reason == entry.reason
                && e.context == entry.context
                && e.object == entry.object
                && e.username == entry.username
                && entry.created.duration_since(e.created).as_millis() < LOG_GROUP_MS
        });
        if let Some(i) = same {
            if let Some(old) = log.remove(i) {
                entry.count = old.count + 1;
            }
        }
        log.push_front(entry);
        log.truncate(max);
    }

    pub fn log_entries(&self, count: usize) -> Vec<LogEntry> {
        self.log.lock().iter().take(count).cloned().collect()
    }

    pub fn log_reset(&self) {
        self.log.lock().clear();
    }
}

/// A user definition as an acl file or `ACL LOAD` reads it: `user name
/// rule...`, applied to a fresh user.
pub fn parse_user_line(line: &str, catalog: &dyn Catalog) -> Result<User, String> {
    let words: Vec<&str> = line.split_ascii_whitespace().collect();
    match words.as_slice() {
        ["user", name, rules @ ..] => {
            let mut u = User::new(name);
            for r in rules {
                u.apply(r, catalog)
                    .map_err(|e| format!("Error in applying operation '{r}': {e}"))?;
            }
            Ok(u)
        }
        _ => Err("should start with user keyword".to_string()),
    }
}

/// Every user of an acl file, or the first bad line (1-based) and why.
pub fn parse_file(
    text: &str,
    catalog: &dyn Catalog,
) -> Result<BTreeMap<String, Arc<User>>, (usize, String)> {
    let mut users = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let u = parse_user_line(line, catalog).map_err(|e| (i + 1, e))?;
        if users.contains_key(&u.name) {
            return Err((i + 1, format!("Duplicate user '{}' found", u.name)));
        }
        users.insert(u.name.clone(), Arc::new(u));
    }
    Ok(users)
}

/// The acl file's text: one `user` line per user.
pub fn file_text(users: &[Arc<User>]) -> String {
    let mut out = String::new();
    for u in users {
        out.push_str(&format!("user {} {}\n", u.name, u.describe()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Two;
    impl Catalog for Two {
        fn id(&self, name: &str) -> Option<usize> {
            ["get", "config", "config|get", "config|set"]
                .iter()
                .position(|n| *n == name)
        }
        fn subcommands(&self, id: usize) -> Vec<usize> {
            if id == 1 {
                vec![2, 3]
            } else {
                vec![]
            }
        }
        fn category(&self, name: &str) -> Option<Vec<usize>> {
            (name == "read").then(|| vec![0])
        }
    }

    #[test]
    fn rules_build_permissions_and_their_description() {
        let mut u = User::new("u");
        for r in ["on", ">pw", "~k*", "%R~r*", "&ch*", "+@read", "+config|get"] {
            u.apply(r, &Two).expect(r);
        }
        assert!(u.accepts(b"pw") && !u.accepts(b"px"));
        assert!(u.may_run(0, None) && u.may_run(2, None) && !u.may_run(3, None));
        assert!(u.may_access(b"k1", true, true) && u.may_access(b"r1", true, false));
        assert!(!u.may_access(b"r1", false, true) && !u.may_access(b"x", true, false));
        assert!(u.may_use_channel(b"ch1", false) && !u.may_use_channel(b"ch1*", true));
        assert!(!u.unrestricted());
        assert_eq!(u.commands_text(), "-@all +@read +config|get");
        u.apply("-config|set", &Two).expect("sub");
        u.apply("+config", &Two).expect("whole");
        assert_eq!(u.commands_text(), "-@all +@read +config");
        u.apply("-config", &Two).expect("whole");
        u.apply("+config|get", &Two).expect("sub");
        assert!(u.describe().starts_with("on #"));
        assert!(u
            .describe()
            .ends_with("~k* %R~r* resetchannels &ch* -@all +@read -config +config|get"));
        assert_eq!(u.apply("~x", &Two), Ok(()));
        u.apply("allkeys", &Two).expect("allkeys");
        assert_eq!(u.apply("~x", &Two), Err(RuleError::AfterAllKeys));
        assert_eq!(u.apply("+nosuch", &Two), Err(RuleError::Unknown));
        assert_eq!(u.apply("#abc", &Two), Err(RuleError::BadHash));
        assert_eq!(u.apply("<nope", &Two), Err(RuleError::NoSuchPassword));
        assert_eq!(u.apply("bogus", &Two), Err(RuleError::Syntax));
        u.apply("allcommands", &Two).expect("all");
        assert!(!u.unrestricted(), "channels still limited");
        u.apply("allchannels", &Two).expect("all");
        assert!(u.unrestricted());
    }

    #[test]
    fn a_file_names_its_bad_line() {
        let text = "user a on nopass ~* +@all\n\nuser b on +nosuch\n";
        let err = parse_file(text, &Two).expect_err("bad");
        assert_eq!(err.0, 3);
        assert!(err.1.contains("+nosuch"), "{}", err.1);
        let users = parse_file("user a on nopass ~* &* +@all\n", &Two).expect("good");
        assert_eq!(
            file_text(&users.values().cloned().collect::<Vec<_>>()),
            "user a on nopass ~* &* +@all\n"
        );
    }
}
