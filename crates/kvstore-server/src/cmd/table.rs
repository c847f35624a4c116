//! One row of the command table: everything the server knows about a
//! command, in one place. `COMMAND INFO` and `COMMAND DOCS` print it, the
//! dispatcher checks the arity, persistence logs the commands flagged
//! `WRITE`, and later ACL categories, `MULTI` and the key locking of
//! multi-key commands read the same row, as Redis's own command table.
//! Each family file exports its rows as `COMMANDS`.

use kvstore_protocol::Value;

use super::Handler;

/// Command flags, Redis's (`COMMAND INFO` prints their names).
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const NOSCRIPT: u32 = 1 << 4;
    pub const LOADING: u32 = 1 << 5;
    pub const STALE: u32 = 1 << 6;
    pub const FAST: u32 = 1 << 7;
    pub const NO_AUTH: u32 = 1 << 8;
    pub const ALLOW_BUSY: u32 = 1 << 9;
    /// Refused inside MULTI (`ERR Command not allowed inside a transaction`).
    pub const NO_MULTI: u32 = 1 << 10;
    /// Runs outside the shared gate (EXEC, which takes it exclusively).
    /// kvstore's own: not printed.
    pub const OWN_GATE: u32 = 1 << 11;
    pub const SKIP_SLOWLOG: u32 = 1 << 12;
    pub const BLOCKING: u32 = 1 << 13;
    pub const PUBSUB: u32 = 1 << 14;

    pub(super) const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (ALLOW_BUSY, "allow_busy"),
        (NO_MULTI, "no_multi"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (BLOCKING, "blocking"),
    ];
}

/// ACL categories a row names itself. `@read`, `@write`, `@admin`,
/// `@fast` and `@slow` follow from the flags, as in Redis.
pub mod acl {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const STRING: u32 = 1 << 1;
    pub const LIST: u32 = 1 << 2;
    pub const HASH: u32 = 1 << 3;
    pub const SET: u32 = 1 << 4;
    pub const SORTEDSET: u32 = 1 << 5;
    pub const CONNECTION: u32 = 1 << 6;
    pub const DANGEROUS: u32 = 1 << 7;
    /// `@admin` for a command without the `ADMIN` flag (LASTSAVE).
    pub const ADMIN_CAT: u32 = 1 << 8;
    pub const TRANSACTION: u32 = 1 << 9;
    pub const SCRIPTING: u32 = 1 << 10;
    pub const PUBSUB_CAT: u32 = 1 << 11;
}

/// Where a command's keys are among its words: first, last (-1: to the
/// end) and step, as `COMMAND INFO` gives them; (0, 0, 0) for no keys.
pub type KeySpec = (i64, i64, i64);

pub const ONE: KeySpec = (1, 1, 1);
pub const ALL: KeySpec = (1, -1, 1);
pub const NONE: KeySpec = (0, 0, 0);

pub struct Command {
    /// Lower-case name, as `COMMAND` reports it.
    pub name: &'static str,
    /// Redis's convention: positive, exactly that many words with the
    /// name; negative, at least that many.
    pub arity: i32,
    pub flags: u32,
    pub acl: u32,
    pub keys: KeySpec,
    /// `COMMAND DOCS`: Redis's group name, a one-line summary, and the
    /// arguments as Redis's manual writes them (see `command::parse_syntax`).
    pub group: &'static str,
    pub summary: &'static str,
    pub syntax: &'static str,
    pub handler: Handler,
}

impl Command {
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: u32,
        acl: u32,
        keys: KeySpec,
        handler: Handler,
    ) -> Command {
        Command {
            name,
            arity,
            flags,
            acl,
            keys,
            group: "server",
            summary: "",
            syntax: "",
            handler,
        }
    }

    pub const fn doc(
        mut self,
        group: &'static str,
        summary: &'static str,
        syntax: &'static str,
    ) -> Command {
        self.group = group;
        self.summary = summary;
        self.syntax = syntax;
        self
    }

    /// True if it may change the keyspace (what the AOF logs).
    #[inline]
    pub fn is_write(&self) -> bool {
        self.flags & flags::WRITE != 0
    }

    /// The flags' names, for `COMMAND INFO`.
    pub fn flag_names(&self) -> Vec<Value> {
        flags::NAMES
            .iter()
            .filter(|(f, _)| self.flags & f != 0)
            .map(|(_, n)| Value::simple(n))
            .collect()
    }

    /// Every ACL category, the ones that follow from the flags included,
    /// in the order Redis prints them.
    pub fn categories(&self) -> Vec<&'static str> {
        let has = |f: u32| self.flags & f != 0;
        let is = |c: u32| self.acl & c != 0;
        let order = [
            ("@keyspace", is(acl::KEYSPACE)),
            ("@read", has(flags::READONLY)),
            ("@write", has(flags::WRITE)),
            ("@set", is(acl::SET)),
            ("@sortedset", is(acl::SORTEDSET)),
            ("@list", is(acl::LIST)),
            ("@hash", is(acl::HASH)),
            ("@string", is(acl::STRING)),
            ("@pubsub", is(acl::PUBSUB_CAT)),
            ("@admin", has(flags::ADMIN) || is(acl::ADMIN_CAT)),
            ("@fast", has(flags::FAST)),
            ("@slow", !has(flags::FAST)),
            ("@blocking", has(flags::BLOCKING)),
            ("@dangerous", has(flags::ADMIN) || is(acl::DANGEROUS)),
            ("@connection", is(acl::CONNECTION)),
            ("@transaction", is(acl::TRANSACTION)),
            ("@scripting", is(acl::SCRIPTING)),
        ];
        order
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect()
    }
}
