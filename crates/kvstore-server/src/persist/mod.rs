//! Durability: the append-only file, snapshots, and loading them at start.
//!
//! See docs/durability.md for what each setting guarantees. In short:
//! with `--appendonly` every write is appended to a log before its reply is
//! sent ([`aof`]); the log is a base snapshot plus incremental files listed
//! in a manifest ([`manifest`]), compacted online by a rewrite. Snapshots
//! ([`snapshot`]) are written by `SAVE`, `BGSAVE` and the `--save` schedule.
//! At start-up [`load`] reads everything back through the same command table
//! that served the writes.

pub mod aof;
pub mod fsutil;
pub mod load;
pub mod manifest;
pub mod record;
pub mod schedule;
pub mod snapshot;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kvstore_protocol::Value;
use parking_lot::{Condvar, Mutex, RwLock};
use thiserror::Error;
use tokio::sync::oneshot;
use tracing::{error, info, warn};

use crate::cmd::{Command, Ctx};
use crate::config::{AppendFsync, Config};
use crate::server::Shared;
use crate::store::{Snapshot, Store};

pub use aof::Aof;
pub use manifest::Layout;
pub use schedule::SavePoint;

#[derive(Debug, Error)]
pub enum PersistError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: corrupt at byte offset {offset}: {reason}", path.display())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error("{}: torn last record at byte offset {offset} ({reason}); start with --aof-load-truncated true to cut it off, or run kvstore-check --fix", path.display())]
    Truncated {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error("{0}")]
    Config(String),
}

/// Why a snapshot could not be started.
#[derive(Debug, Error)]
pub enum SaveError {
    /// Another SAVE, BGSAVE or scheduled snapshot is running.
    #[error("ERR Background save already in progress")]
    InProgress,
    #[error("ERR server is shutting down")]
    ShuttingDown,
    #[error("ERR cannot start the save thread: {0}")]
    Spawn(io::Error),
}

/// The outcome of a `SAVE`, delivered when its file is durable (or failed).
/// The connection awaits it (see [`save_reply`]) before sending any reply
/// that follows the SAVE.
pub type SaveDone = oneshot::Receiver<Result<(), PersistError>>;

impl PersistError {
    pub fn io(path: &Path, source: io::Error) -> Self {
        PersistError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The durability settings of a [`Config`], checked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub appendonly: bool,
    pub fsync: AppendFsync,
    pub layout: Layout,
    pub dump: PathBuf,
    pub rewrite: aof::RewritePolicy,
    pub load_truncated: bool,
    pub save: Vec<SavePoint>,
}

impl Settings {
    pub fn from_config(c: &Config) -> Result<Settings, PersistError> {
        let plain = |name: &str, flag: &str| {
            if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                Err(PersistError::Config(format!(
                    "{flag} must be a plain file name, got {name:?}"
                )))
            } else {
                Ok(())
            }
        };
        plain(&c.appendfilename, "--appendfilename")?;
        plain(&c.dbfilename, "--dbfilename")?;
        Ok(Settings {
            appendonly: c.appendonly,
            fsync: c.appendfsync,
            layout: Layout {
                dir: c.dir.clone(),
                prefix: c.appendfilename.clone(),
            },
            dump: c.dir.join(&c.dbfilename),
            rewrite: aof::RewritePolicy {
                percentage: c.auto_aof_rewrite_percentage,
                min_size: c.auto_aof_rewrite_min_size,
            },
            load_truncated: c.aof_load_truncated,
            save: schedule::parse(&c.save)?,
        })
    }
}

/// Snapshot bookkeeping, shared with the background save thread.
#[derive(Debug, Default)]
struct SaveState {
    /// Writes since the last successful snapshot.
    dirty: AtomicU64,
    /// Unix time of the last successful snapshot (start-up time before one).
    lastsave: AtomicI64,
    running: AtomicBool,
    last_failed: AtomicBool,
    last_attempt: AtomicI64,
    saves: AtomicU64,
    /// Set when close() begins: no snapshot starts after it but its own.
    stop: AtomicBool,
}

/// The durability side of [`Shared`].
pub struct Persist {
    pub settings: Settings,
    /// Set once start-up loading is over, so replay is not logged again.
    aof: OnceLock<Arc<Aof>>,
    /// True if writes need any bookkeeping at all (AOF or a save schedule).
    track: bool,
    save: Arc<SaveState>,
    /// The thread writing a snapshot (SAVE or BGSAVE). `save.running`
    /// allows one at a time, so this is the only one that can still be
    /// working; earlier handles are dropped (those threads are done).
    saver: Mutex<Option<JoinHandle<()>>>,
    /// The `--save` schedule thread, and the flag that stops it at once.
    schedule: Mutex<Option<JoinHandle<()>>>,
    schedule_stop: Arc<(Mutex<bool>, Condvar)>,
    /// True once close() has begun. Without the AOF, writes hold this
    /// shared while they apply, and close() takes it exclusively before
    /// the final snapshot: a write is either in that snapshot or refused,
    /// never acknowledged and then lost. (With the AOF, the write lock and
    /// [`Aof::stopped`] do the same.)
    closed: RwLock<bool>,
}

impl Persist {
    pub fn new(settings: Settings) -> Persist {
        let track = settings.appendonly || !settings.save.is_empty();
        let save = SaveState::default();
        save.lastsave.store(unix_now(), Ordering::Relaxed);
        Persist {
            settings,
            aof: OnceLock::new(),
            track,
            save: Arc::new(save),
            saver: Mutex::new(None),
            schedule: Mutex::new(None),
            schedule_stop: Arc::new((Mutex::new(false), Condvar::new())),
            closed: RwLock::new(false),
        }
    }

    /// The append-only file, if it is on (and loading is over).
    pub fn aof(&self) -> Option<&Arc<Aof>> {
        self.aof.get()
    }

    /// True if write commands must go through [`execute_write`].
    #[inline]
    pub fn tracks_writes(&self) -> bool {
        self.track
    }

    /// `LASTSAVE`: unix time of the last successful snapshot.
    pub fn lastsave(&self) -> i64 {
        self.save.lastsave.load(Ordering::Relaxed)
    }

    /// `SAVE`: copies the keyspace now (cheap: no decoding) and writes it
    /// on its own thread, so that the worker running this connection keeps
    /// serving the others. The reply is held until the receiver yields.
    pub fn save(&self, store: &Store) -> Result<SaveDone, SaveError> {
        let (tx, rx) = oneshot::channel();
        self.start_snapshot(store, "save", move |result| {
            // The connection may be gone: nobody to tell, the file is written.
            let _ = tx.send(result);
        })?;
        Ok(rx)
    }

    /// `BGSAVE`: copies the keyspace now and writes it on another thread.
    pub fn bgsave(&self, store: &Store) -> Result<(), SaveError> {
        self.start_snapshot(store, "bgsave", |_| {})
    }

    /// Claims the one snapshot slot, copies the records, and starts a
    /// thread that decodes, writes and fsyncs them, then calls `done`.
    fn start_snapshot(
        &self,
        store: &Store,
        name: &str,
        done: impl FnOnce(Result<(), PersistError>) + Send + 'static,
    ) -> Result<(), SaveError> {
        let s = &self.save;
        if s.running.swap(true, Ordering::AcqRel) {
            return Err(SaveError::InProgress);
        }
        if s.stop.load(Ordering::Acquire) {
            s.running.store(false, Ordering::Release);
            return Err(SaveError::ShuttingDown);
        }
        s.last_attempt.store(unix_now(), Ordering::Relaxed);
        let dirty = s.dirty.load(Ordering::Acquire);
        let records = store.snapshot_records();
        let state = Arc::clone(s);
        let path = self.settings.dump.clone();
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let result = write_dump(&state, &path, &records, dirty);
                drop(records);
                // Free the slot before answering, so that a client may
                // start the next snapshot as soon as it has the reply.
                state.running.store(false, Ordering::Release);
                done(result);
            });
        match spawned {
            Ok(h) => {
                *self.saver.lock() = Some(h);
                Ok(())
            }
            Err(e) => {
                s.running.store(false, Ordering::Release);
                Err(SaveError::Spawn(e))
            }
        }
    }

    /// For close(): stops new snapshots, waits for the one running, and
    /// claims the slot for the final snapshot. Blocking.
    fn claim_last_snapshot(&self) {
        self.save.stop.store(true, Ordering::Release);
        loop {
            let running = self.saver.lock().take();
            if let Some(h) = running {
                let _ = h.join();
            }
            if !self.save.running.swap(true, Ordering::AcqRel) {
                return;
            }
            // Claimed by a starter that has not stored its handle yet.
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops the `--save` schedule thread and waits for it, so that it
    /// cannot start a snapshot once close() has taken over. Blocking.
    fn stop_schedule(&self) {
        let (lock, cond) = &*self.schedule_stop;
        *lock.lock() = true;
        cond.notify_all();
        let handle = self.schedule.lock().take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }

    /// Fields for the `DURABILITY` command.
    pub fn info(&self) -> Vec<(&'static str, Value)> {
        let s = &self.save;
        let mut out = vec![
            (
                "aof_enabled",
                Value::Integer(i64::from(self.aof().is_some())),
            ),
            (
                "rdb_changes_since_last_save",
                Value::Integer(s.dirty.load(Ordering::Relaxed) as i64),
            ),
            ("rdb_last_save_time", Value::Integer(self.lastsave())),
            (
                "rdb_bgsave_in_progress",
                Value::Integer(i64::from(s.running.load(Ordering::Relaxed))),
            ),
            (
                "rdb_last_bgsave_status",
                Value::simple(if s.last_failed.load(Ordering::Relaxed) {
                    "err"
                } else {
                    "ok"
                }),
            ),
            (
                "rdb_saves",
                Value::Integer(s.saves.load(Ordering::Relaxed) as i64),
            ),
        ];
        if let Some(aof) = self.aof() {
            out.extend(aof.info());
        }
        out
    }
}

fn write_dump(
    state: &SaveState,
    path: &Path,
    records: &Snapshot,
    dirty: u64,
) -> Result<(), PersistError> {
    match snapshot::write(path, records.len(), records.entries(), "save") {
        Ok(size) => {
            state.dirty.fetch_sub(
                dirty.min(state.dirty.load(Ordering::Acquire)),
                Ordering::AcqRel,
            );
            state.lastsave.store(unix_now(), Ordering::Relaxed);
            state.last_failed.store(false, Ordering::Relaxed);
            state.saves.fetch_add(1, Ordering::Relaxed);
            info!(
                "snapshot saved: {} keys, {size} bytes, {}",
                records.len(),
                path.display()
            );
            Ok(())
        }
        Err(e) => {
            state.last_failed.store(true, Ordering::Relaxed);
            error!("snapshot failed: {e}");
            Err(e)
        }
    }
}

/// The reply to a `SAVE` whose file is being written: `+OK` once it is
/// durable. The handler's own reply is only a placeholder (see
/// [`SAVE_PENDING`]).
pub async fn save_reply(done: SaveDone) -> Value {
    match done.await {
        Ok(Ok(())) => Value::ok(),
        Ok(Err(e)) => Value::error(format!("ERR {e}")),
        Err(_) => Value::error("ERR the save thread ended without a result"),
    }
}

/// What the SAVE handler returns while the file is written. The connection
/// replaces it with [`save_reply`]; should it ever be sent, it must not
/// claim success.
pub const SAVE_PENDING: &str = "ERR SAVE result not awaited";

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Runs a write command when the AOF or a save schedule is on. With the AOF,
/// the command runs under the write lock and is logged before the lock is
/// released, so the log order is the order of application. Error replies
/// are not logged: a handler that fails has changed nothing.
pub fn execute_write(ctx: &mut Ctx<'_>, cmd: &Command, args: &[Value]) -> Value {
    let shared = ctx.shared;
    let Some(aof) = shared.persist.aof() else {
        let closed = shared.persist.closed.read();
        if *closed {
            return Value::error("ERR server is shutting down");
        }
        let reply = (cmd.handler)(ctx, args);
        if !reply.is_error() {
            shared.persist.save.dirty.fetch_add(1, Ordering::Relaxed);
        }
        drop(closed);
        return reply;
    };
    let mut st = aof.lock();
    if Aof::stopped(&st) {
        return Value::error("ERR server is shutting down");
    }
    let reply = (cmd.handler)(ctx, args);
    if !reply.is_error() {
        ctx.session.aof_wait = aof.append(&mut st, args);
        shared.persist.save.dirty.fetch_add(1, Ordering::Relaxed);
        if aof.wants_rewrite(&st) {
            info!("append-only file grew past the rewrite threshold: rewriting");
            aof.start_rewrite(&mut st, &shared.store);
        }
    }
    drop(st);
    aof.notify();
    reply
}

/// `BGREWRITEAOF`.
pub fn bgrewriteaof(shared: &Shared) -> Result<(), &'static str> {
    let aof = shared
        .persist
        .aof()
        .ok_or("ERR the append-only file is off (start with --appendonly)")?;
    let mut st = aof.lock();
    if aof.start_rewrite(&mut st, &shared.store) {
        Ok(())
    } else {
        Err("ERR Background append only file rewriting already in progress")
    }
}

/// Loads the data and starts the AOF threads and the save schedule. Runs
/// before the server accepts anyone.
pub async fn open(shared: &Arc<Shared>) -> io::Result<()> {
    let s = Arc::clone(shared);
    tokio::task::spawn_blocking(move || open_blocking(&s))
        .await
        .map_err(io::Error::other)?
        .map_err(io::Error::other)
}

fn open_blocking(shared: &Arc<Shared>) -> Result<(), PersistError> {
    let p = &shared.persist;
    let st = &p.settings;
    let loaded = load::load(
        shared,
        &st.layout,
        &st.dump,
        st.appendonly,
        st.load_truncated,
    )?;
    p.save.dirty.store(0, Ordering::Relaxed);
    if let Some(m) = loaded.manifest {
        let aof = Aof::start(st.layout.clone(), m, st.fsync, st.rewrite, loaded.aof_size)?;
        let _ = p.aof.set(aof);
        info!(
            "append-only file on ({:?}), {} keys after replaying {} commands",
            st.fsync, loaded.keys, loaded.commands
        );
    } else if loaded.keys > 0 {
        info!("{} keys loaded", loaded.keys);
    }
    if !st.save.is_empty() {
        let weak = Arc::downgrade(shared);
        let stop = Arc::clone(&p.schedule_stop);
        let handle = std::thread::Builder::new()
            .name("save-schedule".into())
            .spawn(move || schedule_loop(weak, stop))
            .map_err(|e| PersistError::io(&st.dump, e))?;
        *p.schedule.lock() = Some(handle);
    }
    Ok(())
}

/// Checks the `--save` schedule once a second. Holds the server only
/// weakly, so that a server dropped without close() is not kept alive.
fn schedule_loop(shared: Weak<Shared>, stop: Arc<(Mutex<bool>, Condvar)>) {
    loop {
        {
            let (lock, cond) = &*stop;
            let mut stopped = lock.lock();
            if !*stopped {
                cond.wait_for(&mut stopped, Duration::from_secs(1));
            }
            if *stopped {
                return;
            }
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let p = &shared.persist;
        let s = &p.save;
        let now = unix_now();
        let since = now.saturating_sub(s.lastsave.load(Ordering::Relaxed)) as u64;
        // After a failure, retry no sooner than Redis does (5 s).
        let retry_ok = !s.last_failed.load(Ordering::Relaxed)
            || now - s.last_attempt.load(Ordering::Relaxed) >= 5;
        if retry_ok && schedule::due(&p.settings.save, s.dirty.load(Ordering::Relaxed), since) {
            info!("save schedule: taking a snapshot");
            let _ = p.bgsave(&shared.store);
        }
    }
}

/// After the server stops serving: write and fsync the whole AOF, then take
/// a snapshot if a save schedule is set. Connections that outlived the
/// shutdown grace period may still be running: from here on their writes
/// are refused rather than applied after the last record or snapshot.
pub async fn close(shared: &Arc<Shared>) {
    let s = Arc::clone(shared);
    let done = tokio::task::spawn_blocking(move || {
        let p = &s.persist;
        // Waits for writes in progress; later ones see the flag.
        *p.closed.write() = true;
        p.stop_schedule();
        if let Some(aof) = p.aof() {
            aof.shutdown();
            info!("append-only file flushed and fsynced");
        }
        p.claim_last_snapshot();
        if !p.settings.save.is_empty() {
            let dirty = p.save.dirty.load(Ordering::Acquire);
            let records = s.store.snapshot_records();
            if let Err(e) = write_dump(&p.save, &p.settings.dump, &records, dirty) {
                warn!("final snapshot failed: {e}");
            }
        }
    })
    .await;
    if let Err(e) = done {
        error!("shutdown of persistence failed: {e}");
    }
}

/// Test hook: if `KVSTORE_FAILPOINT` names this point, the process dies
/// here as abruptly as with `kill -9`. Lets the tests crash the server at
/// each step of a rewrite or a snapshot.
pub(crate) fn failpoint(name: &str) {
    static POINT: OnceLock<Option<String>> = OnceLock::new();
    let point = POINT.get_or_init(|| std::env::var("KVSTORE_FAILPOINT").ok());
    if point.as_deref() == Some(name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd;
    use crate::config::ReplyMode;
    use crate::server::Server;
    use crate::session::Session;

    fn request(shared: &Shared, session: &mut Session, words: &[&str]) -> Value {
        let frame = Value::Array(words.iter().map(|w| Value::bulk(*w)).collect());
        cmd::execute(&mut Ctx { shared, session }, frame)
    }

    /// `--save` without the AOF: a connection that outlives the shutdown
    /// grace period must not have a write acknowledged after the final
    /// snapshot, which would lose it.
    #[tokio::test]
    async fn writes_after_close_began_are_refused_without_the_aof() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            port: 0,
            dir: dir.path().to_path_buf(),
            save: "3600 1".into(),
            ..Config::default()
        };
        let server = Server::bind(config).await.unwrap();
        let shared = Arc::clone(server.shared());
        let mut session = Session::new(1, shared.local_addr, ReplyMode::Seed);
        assert_eq!(
            request(&shared, &mut session, &["SET", "before", "1"]),
            Value::Integer(1)
        );
        close(&shared).await;
        let reply = request(&shared, &mut session, &["SET", "after", "1"]);
        assert!(reply.is_error(), "{reply:?}");
        assert_eq!(shared.store.len(), 1, "the refused write changed nothing");
        // Nor can a snapshot start once close() has taken the last one.
        let reply = request(&shared, &mut session, &["BGSAVE"]);
        assert!(reply.is_error(), "{reply:?}");
        let mut keys = Vec::new();
        snapshot::read(&dir.path().join("dump.kvs"), |k, _| keys.push(k)).unwrap();
        assert_eq!(keys, [&b"before"[..]]);
    }
}
