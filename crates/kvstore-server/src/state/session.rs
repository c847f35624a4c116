//! Per-connection state that commands can see and change.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

use bytes::Bytes;
use kvstore_protocol::Dialect;
use parking_lot::Mutex;

use super::acl::{Acl, User};
use crate::config::ReplyMode;

/// The user of a session no ACL applies to (until `start_acl`): one for
/// all, so that making a session allocates no user.
static UNCHECKED: std::sync::LazyLock<Arc<User>> =
    std::sync::LazyLock::new(|| Arc::new(User::default_user()));

#[derive(Debug)]
pub struct Session {
    pub id: u64,
    pub peer: SocketAddr,
    /// Seed or Redis replies; see README.md, "Two reply modes". Starts as the
    /// server's `--reply-mode`; `HELLO` and `CLIENT SETINFO` switch it to
    /// Redis for the rest of the connection.
    pub mode: ReplyMode,
    /// Set by `HELLO 3`.
    pub resp3: bool,
    pub name: Option<Bytes>,
    /// The database `SELECT` chose (0 at first).
    pub db: usize,
    /// The commands queued since `MULTI`, if a transaction is open.
    /// Each queued command as its place in the command table (found once,
    /// when it was queued) and its words.
    pub multi: Option<Vec<(usize, Vec<kvstore_protocol::Value>)>>,
    /// A command was refused while queueing: `EXEC` must run nothing.
    pub multi_failed: bool,
    /// The keys WATCHed since the last EXEC, DISCARD or UNWATCH: database,
    /// key, and whether it existed then (a key that existed and is gone at
    /// EXEC expired, which also fails the transaction).
    pub watching: Vec<(usize, Vec<u8>, bool)>,
    /// Set when one of them changes.
    pub dirty: std::sync::Arc<super::watch::Dirty>,
    /// Set by a blocking command that found nothing: the connection waits
    /// and runs it again (see `state::blocking`).
    pub block: Option<super::blocking::BlockRequest>,
    /// Set while commands run inside EXEC or a script, where nothing may
    /// block: blocking commands answer at once.
    pub no_block: bool,
    /// Set by `QUIT`: close after this reply.
    pub quit: bool,
    /// Requests refused before they ran since the connection last counted
    /// its batch: Redis leaves them out of `total_commands_processed`.
    pub refused: u64,
    /// End offset of this connection's last append-only-file record: its
    /// replies wait until the log is durable up to here.
    pub aof_wait: u64,
    /// Set by `SAVE`, whose file is written on another thread: the
    /// connection awaits it and sends its outcome in place of SAVE's reply.
    pub pending_save: Option<super::SaveDone>,
    /// With `pending_save`, set by `SHUTDOWN`: on success the connection
    /// closes without a reply, as Redis's does; on failure it gets the error.
    pub pending_shutdown: bool,
    /// What other connections may see of this one (`CLIENT LIST`).
    pub info: Arc<ClientInfo>,
    /// Set at the first subscription (see `state::pubsub`); `None` keeps
    /// the connection on its plain path.
    pub pubsub: Option<Box<super::pubsub::Subscriptions>>,
    /// The clock's last reading: the end of one command is the start of
    /// the next (the connection reads it afresh after each read).
    pub mark: Instant,
    /// The table position of the last command run (`CLIENT LIST cmd=`).
    pub last_cmd: usize,
    /// How many scripts are running the current command (MONITOR shows
    /// their commands as `lua`'s).
    pub lua: u32,
    /// Set by `MONITOR`: only QUIT and RESET are served any more.
    pub monitor: bool,
    /// `CLIENT REPLY`.
    pub reply: ReplyControl,
    /// `CLIENT TRACKING`, while on.
    pub tracking: Option<Box<super::tracking::Mode>>,
    /// The user this connection runs as (`AUTH`), as it was when the ACL
    /// generation was `acl_gen`.
    pub user: Arc<User>,
    pub acl_gen: u64,
    /// Logged in (or connected while the default user needed no password).
    pub authenticated: bool,
    /// No ACL check can refuse this connection anything: authenticated as
    /// a user with every command, key and channel. The GET/SET shortcut is
    /// taken only then.
    pub acl_fast: bool,
    /// Not checked at all: the sessions that replay the append-only file.
    pub acl_exempt: bool,
}

/// `CLIENT REPLY`: replies on, off, or off for the next command only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyControl {
    #[default]
    On,
    Off,
    /// Set by `CLIENT REPLY SKIP`; becomes `SkipThis` for the next command.
    SkipNext,
    SkipThis,
}

/// The part of a session that `CLIENT LIST` shows to other connections.
/// The session updates it whenever one of these fields changes, which is
/// rare (a handful of commands at connect time), so the lock costs nothing
/// on the data path.
#[derive(Debug)]
pub struct ClientInfo {
    pub id: u64,
    pub peer: SocketAddr,
    pub since: Instant,
    pub shown: Mutex<Shown>,
    /// The wait of a blocked command, for `CLIENT UNBLOCK` to end.
    pub waiting: Mutex<Option<Arc<super::blocking::Waiter>>>,
    /// `CLIENT KILL`.
    pub kill: super::intro::KillSwitch,
    /// What the connection last did, stored after each batch of requests
    /// (relaxed stores of its own cache line): see [`Activity`].
    pub activity: Activity,
    /// The connection's outbox once it has one, for the tracking clients
    /// that redirect their invalidations here.
    pub outbox: super::pubsub::OutboxSlot,
}

impl ClientInfo {
    pub fn outbox(&self) -> Option<Arc<super::pubsub::Outbox>> {
        self.outbox.lock().upgrade()
    }
}

/// The changing part of `CLIENT LIST`: selected database, last command,
/// when it ran, and the flags.
#[derive(Debug, Default)]
pub struct Activity {
    /// The socket's file descriptor.
    pub fd: AtomicI64,
    pub db: AtomicUsize,
    /// Table position of the last command (`usize::MAX`: none yet).
    pub last_cmd: AtomicUsize,
    /// Milliseconds from `since` to the end of the last command.
    pub last_ms: AtomicU64,
    /// Commands queued in MULTI, or -1 outside one.
    pub multi: AtomicI64,
    /// `FLAG_*` bits.
    pub flags: AtomicU32,
}

pub const FLAG_MONITOR: u32 = 1 << 0;
pub const FLAG_NO_EVICT: u32 = 1 << 1;
pub const FLAG_NO_TOUCH: u32 = 1 << 2;
pub const FLAG_MULTI: u32 = 1 << 3;
pub const FLAG_CLOSING: u32 = 1 << 4;
pub const FLAG_TRACKING: u32 = 1 << 5;

#[derive(Debug, Clone, Default)]
pub struct Shown {
    pub name: Option<Bytes>,
    pub lib_name: Option<Bytes>,
    pub lib_ver: Option<Bytes>,
    pub mode: ReplyMode,
    pub resp3: bool,
    /// Subscription counts: channels, patterns, shard channels.
    pub subs: (usize, usize, usize),
    /// The ACL user's name (`default` until `AUTH`).
    pub user: Option<Arc<str>>,
}

impl Session {
    pub fn new(id: u64, peer: SocketAddr, mode: ReplyMode) -> Self {
        let info = Arc::new(ClientInfo {
            id,
            peer,
            since: Instant::now(),
            shown: Mutex::new(Shown {
                mode,
                ..Shown::default()
            }),
            waiting: Mutex::new(None),
            kill: Default::default(),
            outbox: Arc::new(Mutex::new(Weak::new())),
            activity: Activity {
                last_cmd: AtomicUsize::new(usize::MAX),
                multi: AtomicI64::new(-1),
                ..Activity::default()
            },
        });
        Session {
            id,
            peer,
            mode,
            resp3: false,
            name: None,
            db: 0,
            block: None,
            no_block: false,
            multi: None,
            multi_failed: false,
            watching: Vec::new(),
            dirty: Default::default(),
            quit: false,
            refused: 0,
            aof_wait: 0,
            pending_save: None,
            pending_shutdown: false,
            info,
            pubsub: None,
            mark: Instant::now(),
            last_cmd: usize::MAX,
            lua: 0,
            monitor: false,
            reply: ReplyControl::On,
            tracking: None,
            user: Arc::clone(&UNCHECKED),
            acl_gen: 0,
            authenticated: true,
            acl_fast: true,
            acl_exempt: true,
        }
    }

    /// The connection's subscriptions and outbox, made on first use (a
    /// subscription, MONITOR, or tracking).
    pub fn subscriptions(&mut self) -> &mut super::pubsub::Subscriptions {
        let (id, resp3) = (self.id, self.resp3);
        let info = &self.info;
        self.pubsub.get_or_insert_with(|| {
            let outbox = Arc::new(super::pubsub::Outbox::new(id, resp3));
            *info.outbox.lock() = Arc::downgrade(&outbox);
            Box::new(super::pubsub::Subscriptions::new(outbox))
        })
    }

    /// A client's connection: subject to the ACL from now on, as the
    /// default user, logged in if that user needs no password.
    pub fn start_acl(&mut self, acl: &Acl) {
        self.acl_exempt = false;
        self.user = acl.default_user();
        self.authenticated = self.user.enabled && self.user.nopass;
        self.acl_gen = 0;
        self.refresh_acl(acl);
    }

    /// Re-reads this connection's user if any user changed since it last
    /// looked: one atomic load when nothing did.
    #[inline]
    pub fn refresh_acl(&mut self, acl: &Acl) {
        let gen = acl.generation();
        if gen == self.acl_gen || self.acl_exempt {
            return;
        }
        self.acl_gen = gen;
        // A deleted user's connections are being closed: keep its last
        // permissions until then.
        if let Some(u) = acl.get(&self.user.name) {
            self.user = u;
        }
        self.acl_fast = (self.authenticated || acl.default_open()) && self.user.unrestricted();
    }

    /// Logs this connection in as `user`.
    pub fn log_in(&mut self, user: Arc<User>, acl: &Acl) {
        self.info.shown.lock().user = Some(Arc::from(user.name.as_str()));
        self.user = user;
        self.authenticated = true;
        self.acl_gen = 0;
        self.refresh_acl(acl);
    }

    /// How replies to this connection are encoded.
    pub fn dialect(&self) -> Dialect {
        match (self.mode, self.resp3) {
            (_, true) => Dialect::Resp3,
            (ReplyMode::Seed, false) => Dialect::Seed,
            (ReplyMode::Redis, false) => Dialect::Resp2,
        }
    }

    /// Switches to Redis replies, and to RESP3 if `resp3` is `Some(true)`
    /// (`None` keeps the protocol version as it is).
    pub fn become_redis(&mut self, resp3: Option<bool>) {
        self.mode = ReplyMode::Redis;
        if let Some(r) = resp3 {
            self.resp3 = r;
        }
        if let Some(ps) = &self.pubsub {
            ps.outbox.set_resp3(self.resp3);
        }
        let mut shown = self.info.shown.lock();
        shown.mode = self.mode;
        shown.resp3 = self.resp3;
    }

    /// Back to RESP2 (`RESET`), keeping the reply mode.
    pub fn leave_resp3(&mut self) {
        self.resp3 = false;
        if let Some(ps) = &self.pubsub {
            ps.outbox.set_resp3(false);
        }
        self.info.shown.lock().resp3 = false;
    }

    /// True while subscribed to anything in RESP2 or the seed dialect,
    /// where only the pub/sub commands, PING, QUIT and RESET may run.
    pub fn subscribed_mode(&self) -> bool {
        !self.resp3 && self.pubsub.as_ref().is_some_and(|p| p.active())
    }

    /// Shows this connection's subscription counts in `CLIENT LIST`.
    pub fn show_subscriptions(&self) {
        if let Some(p) = &self.pubsub {
            self.info.shown.lock().subs = (p.channels.len(), p.patterns.len(), p.shard.len());
        }
    }

    /// Shows what this connection last did in `CLIENT LIST`; called after
    /// each batch, so a few relaxed stores per batch.
    pub fn show_activity(&self) {
        let a = &self.info.activity;
        a.db.store(self.db, Ordering::Relaxed);
        a.last_cmd.store(self.last_cmd, Ordering::Relaxed);
        let ms = self
            .mark
            .saturating_duration_since(self.info.since)
            .as_millis() as u64;
        a.last_ms.store(ms, Ordering::Relaxed);
        let multi = self.multi.as_ref().map_or(-1, |q| q.len() as i64);
        a.multi.store(multi, Ordering::Relaxed);
        let mut flags = a.flags.load(Ordering::Relaxed) & !(FLAG_MULTI | FLAG_MONITOR);
        if self.multi.is_some() {
            flags |= FLAG_MULTI;
        }
        if self.monitor {
            flags |= FLAG_MONITOR;
        }
        a.flags.store(flags, Ordering::Relaxed);
    }

    /// Sets or clears `CLIENT NO-EVICT|NO-TOUCH`'s flag.
    pub fn set_flag(&self, flag: u32, on: bool) {
        let a = &self.info.activity.flags;
        if on {
            a.fetch_or(flag, Ordering::Relaxed);
        } else {
            a.fetch_and(!flag, Ordering::Relaxed);
        }
    }

    pub fn set_name(&mut self, name: Option<Bytes>) {
        self.info.shown.lock().name = name.clone();
        self.name = name;
    }

    /// Records `CLIENT SETINFO LIB-NAME|LIB-VER`.
    pub fn set_lib(&mut self, name: Option<Bytes>, ver: Option<Bytes>) {
        let mut shown = self.info.shown.lock();
        if name.is_some() {
            shown.lib_name = name;
        }
        if ver.is_some() {
            shown.lib_ver = ver;
        }
    }
}
