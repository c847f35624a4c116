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
pub mod batch;
pub mod entry;
pub mod fsutil;
pub mod load;
pub mod manifest;
pub mod progress;
pub mod rdb;
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
use tracing::{error, info};

use crate::config::{AppendFsync, Config};
use crate::keyspace::{Cut, CutKind, Keyspace, Walk};
use crate::state::{Durability, Log, Refusal, SaveDone, Shared};

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
    /// `stop-writes-on-bgsave-error`: refuse writes while the last
    /// snapshot failed (with a `--save` schedule set, as Redis).
    pub stop_writes_on_bgsave_error: bool,
    /// `--aof-start-empty`: start although the manifest is missing and
    /// the log's files are there (see [`load`]).
    pub aof_start_empty: bool,
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
            stop_writes_on_bgsave_error: c.stop_writes_on_bgsave_error,
            aof_start_empty: c.aof_start_empty,
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
    /// Why the last snapshot failed, for `INFO` (empty after a success).
    last_error: Mutex<String>,
    last_attempt: AtomicI64,
    saves: AtomicU64,
    /// Set when close() begins: no snapshot starts after it but its own.
    stop: AtomicBool,
}

/// The durability side of [`Shared`].
pub struct Persist {
    pub settings: Settings,
    keyspace: Arc<Keyspace>,
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
    /// Start-up loading, for `-LOADING` and `INFO`.
    pub loading: Arc<progress::Progress>,
    /// True once close() has begun. Without the AOF, writes hold this
    /// shared while they apply, and close() takes it exclusively before
    /// the final snapshot: a write is either in that snapshot or refused,
    /// never acknowledged and then lost. (With the AOF, the write lock and
    /// [`Aof::stopped`] do the same.)
    closed: RwLock<bool>,
}

impl Persist {
    pub fn new(settings: Settings, keyspace: Arc<Keyspace>) -> Persist {
        let track = settings.appendonly || !settings.save.is_empty();
        let save = SaveState::default();
        save.lastsave.store(unix_now(), Ordering::Relaxed);
        Persist {
            settings,
            keyspace,
            aof: OnceLock::new(),
            track,
            save: Arc::new(save),
            saver: Mutex::new(None),
            schedule: Mutex::new(None),
            schedule_stop: Arc::new((Mutex::new(false), Condvar::new())),
            loading: Arc::default(),
            closed: RwLock::new(false),
        }
    }

    /// The append-only file, if it is on (and loading is over).
    pub fn aof(&self) -> Option<&Arc<Aof>> {
        self.aof.get()
    }

    /// `SAVE`: copies the keyspace now (cheap: no decoding) and writes it
    /// on its own thread, so that the worker running this connection keeps
    /// serving the others. The reply is held until the receiver yields.
    pub fn save_now(&self) -> Result<SaveDone, SaveError> {
        let (tx, rx) = oneshot::channel();
        self.start_snapshot("save", move |result| {
            // The connection may be gone: nobody to tell, the file is written.
            let _ = tx.send(result.map_err(|e| format!("ERR {e}")));
        })?;
        Ok(rx)
    }

    /// `BGSAVE`: copies the keyspace now and writes it on another thread.
    pub fn bgsave_now(&self) -> Result<(), SaveError> {
        self.start_snapshot("bgsave", |_| {})
    }

    /// Claims the one snapshot slot, copies the records, and starts a
    /// thread that decodes, writes and fsyncs them, then calls `done`.
    fn start_snapshot(
        &self,
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
        let Some(records) = self.keyspace.cut(CutKind::Snapshot) else {
            s.running.store(false, Ordering::Release);
            return Err(SaveError::InProgress);
        };
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
    fn fields(&self) -> Vec<(&'static str, Value)> {
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
            (
                "rdb_last_save_time",
                Value::Integer(self.save.lastsave.load(Ordering::Relaxed)),
            ),
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
            (
                "rdb_last_bgsave_error",
                Value::Simple(s.last_error.lock().clone().into()),
            ),
        ];
        out.extend(self.loading.fields());
        if let Some(aof) = self.aof() {
            out.extend(aof.info());
        }
        out
    }
}

fn write_dump(
    state: &SaveState,
    path: &Path,
    records: &Cut,
    dirty: u64,
) -> Result<(), PersistError> {
    match snapshot::write(path, records, "save") {
        Ok(size) => {
            state.dirty.fetch_sub(
                dirty.min(state.dirty.load(Ordering::Acquire)),
                Ordering::AcqRel,
            );
            state.lastsave.store(unix_now(), Ordering::Relaxed);
            if state.last_failed.swap(false, Ordering::AcqRel) {
                info!("snapshot written again: writes are accepted");
            }
            state.last_error.lock().clear();
            state.saves.fetch_add(1, Ordering::Relaxed);
            info!(
                "snapshot saved: {} keys, {size} bytes, {}",
                records.keys(),
                path.display()
            );
            Ok(())
        }
        Err(e) => {
            *state.last_error.lock() = e.to_string();
            state.last_failed.store(true, Ordering::Release);
            error!("snapshot failed: {e}");
            Err(e)
        }
    }
}

/// Redis's `-MISCONF` text after a failed snapshot.
pub const RDB_MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// The reply to a `SAVE` whose file is being written: `+OK` once it is
/// durable. The handler's own reply is only a placeholder (see
/// `cmd::persistence::SAVE_PENDING`).
pub async fn save_reply(done: SaveDone) -> Value {
    match done.await {
        Ok(Ok(())) => Value::ok(),
        Ok(Err(e)) => Value::error(e),
        Err(_) => Value::error("ERR the save thread ended without a result"),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Persist {
    /// Logs what `log` holds, after a deletion for each key that the write
    /// found past its deadline. Called with the log's lock held.
    fn append_all(&self, aof: &Aof, st: &mut aof::State, log: &Log) -> u64 {
        let mut end = 0;
        for (db, key) in self.keyspace.clock().take_found_expired() {
            let del = [Value::bulk("DEL"), Value::Bulk(key.into_vec().into())];
            end = aof.append(st, db, &del);
        }
        for (db, words) in &log.records {
            end = aof.append(st, *db, words);
        }
        end
    }
}

impl Durability for Persist {
    #[inline]
    fn tracks_writes(&self) -> bool {
        self.track
    }

    /// With the AOF, the write runs under the log's lock and is logged
    /// before the lock is released, so the log's order is the order of
    /// application. Error replies are not logged: a handler that fails
    /// has changed nothing.
    fn write(&self, apply: &mut dyn FnMut(&mut Log) -> Value) -> (Value, u64) {
        let mut log = Log::default();
        let Some(aof) = self.aof() else {
            let closed = self.closed.read();
            if *closed {
                return (Value::error("ERR server is shutting down"), 0);
            }
            let reply = apply(&mut log);
            if !reply.is_error() {
                self.save.dirty.fetch_add(1, Ordering::Relaxed);
            }
            drop(closed);
            return (reply, 0);
        };
        let mut st = aof.lock();
        if Aof::stopped(&st) || *self.closed.read() {
            return (Value::error("ERR server is shutting down"), 0);
        }
        // Checked again under the lock: a write admitted just before the
        // log failed is refused rather than applied with nowhere to go.
        if let Some(text) = aof.misconf() {
            return (Value::error(text), 0);
        }
        let reply = apply(&mut log);
        if reply.is_error() {
            log.records.clear();
        }
        let mut wait = 0;
        if !log.records.is_empty() || !reply.is_error() {
            wait = self.append_all(aof, &mut st, &log);
        }
        if !reply.is_error() {
            self.save.dirty.fetch_add(1, Ordering::Relaxed);
            if aof.wants_rewrite(&st) {
                info!("append-only file grew past the rewrite threshold: rewriting");
                aof.start_rewrite(&mut st, &self.keyspace);
            }
        }
        drop(st);
        aof.notify();
        (reply, wait)
    }

    fn wait(
        &self,
        offset: u64,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Value>> + Send + '_>> {
        Box::pin(async move {
            match self.aof() {
                Some(aof) => aof.wait(offset).await,
                None => Ok(()),
            }
        })
    }

    fn refusal(&self) -> Option<Refusal> {
        if self.loading.active() && !progress::is_loader() {
            return Some(Refusal::Loading);
        }
        if self.settings.stop_writes_on_bgsave_error
            && !self.settings.save.is_empty()
            && self.save.last_failed.load(Ordering::Acquire)
        {
            return Some(Refusal::DiskError(RDB_MISCONF.into()));
        }
        self.aof()?.misconf().map(Refusal::DiskError)
    }

    fn expire(&self, start: usize, budget: Duration) -> (usize, usize) {
        let Some(aof) = self.aof() else {
            return self.keyspace.expire_some(start, budget, |_, _| {});
        };
        // Each deletion is logged under the same lock as the writes, so
        // the log sees it exactly where it happened among them.
        let mut st = aof.lock();
        if Aof::stopped(&st) {
            return (start, 0);
        }
        // Keys that reads removed since the last write are logged first.
        self.append_all(aof, &mut st, &Log::default());
        let mut dels = Vec::new();
        let out = self.keyspace.expire_some(start, budget, |db, key| {
            dels.push((db, Value::Bulk(bytes::Bytes::copy_from_slice(key))));
        });
        for (db, key) in dels {
            aof.append(&mut st, db, &[Value::bulk("DEL"), key]);
        }
        drop(st);
        aof.notify();
        out
    }

    fn save(&self) -> Result<SaveDone, String> {
        self.save_now().map_err(|e| e.to_string())
    }

    fn bgsave(&self) -> Result<(), String> {
        self.bgsave_now().map_err(|e| e.to_string())
    }

    fn bgrewriteaof(&self) -> Result<(), String> {
        let aof = self
            .aof()
            .ok_or("ERR the append-only file is off (start with --appendonly)")?;
        if aof.blocks_rewrite() {
            return Err(format!(
                "ERR the append-only file cannot be written now ({}); the rewrite would move past records not yet written",
                aof.failure_text().unwrap_or_default()
            ));
        }
        let mut st = aof.lock();
        if aof.start_rewrite(&mut st, &self.keyspace) {
            Ok(())
        } else {
            Err("ERR Background append only file rewriting already in progress".into())
        }
    }

    fn lastsave(&self) -> i64 {
        self.save.lastsave.load(Ordering::Relaxed)
    }

    fn info(&self) -> Vec<(&'static str, Value)> {
        self.fields()
    }
}

/// Refuses a `--dir` that does not exist, is not a directory or cannot be
/// written, whatever the persistence mode: Redis refuses to start when it
/// cannot `chdir` there, and a typo must not give an empty database nor
/// snapshots that fail for ever. Writability is tried with a file, which
/// is what counts (a read-only mount refuses even root).
pub fn check_dir(dir: &Path) -> Result<(), PersistError> {
    let shown = dir.display();
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(PersistError::Config(format!(
                "Can't chdir to '{shown}': Not a directory (--dir)"
            )))
        }
        Err(e) => {
            return Err(PersistError::Config(format!(
                "Can't chdir to '{shown}': {} (--dir)",
                aof::os_reason(&e)
            )))
        }
    }
    // A new name for every call: servers started at once in one process
    // (the tests) must not trip over each other's probe.
    let probe = fsutil::temp_path(&dir.join(".kvstore-write-check"));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(PersistError::Config(format!(
            "Can't write to the data directory '{shown}': {} (--dir)",
            aof::os_reason(&e)
        ))),
    }
}

/// Loads the data and starts the AOF threads and the save schedule. While
/// it runs, commands other than those flagged `loading` are answered
/// `-LOADING`.
pub async fn open(shared: &Arc<Shared>, persist: &Arc<Persist>) -> io::Result<()> {
    let s = Arc::clone(shared);
    let p = Arc::clone(persist);
    persist.loading.begin();
    let progress = Arc::clone(&persist.loading);
    let result = tokio::task::spawn_blocking(move || {
        progress::as_loader(progress, || open_blocking(&s, &p))
    })
    .await
    .map_err(io::Error::other)
    .and_then(|r| r.map_err(io::Error::other));
    persist.loading.end();
    result
}

fn open_blocking(shared: &Arc<Shared>, p: &Arc<Persist>) -> Result<(), PersistError> {
    let st = &p.settings;
    let loaded = load::load(
        shared,
        &st.layout,
        &st.dump,
        st.appendonly,
        st.load_truncated,
        st.aof_start_empty,
    )?;
    p.save.dirty.store(0, Ordering::Relaxed);
    if let Some(m) = loaded.manifest {
        let aof = Aof::start(st.layout.clone(), m, st.fsync, st.rewrite, loaded.aof_size)?;
        let _ = p.aof.set(aof);
        // From now on a write that finds a key past its deadline has the
        // deletion logged before itself.
        p.keyspace.clock().keep_found_expired(true);
        info!(
            "append-only file on ({:?}), {} keys after replaying {} commands",
            st.fsync, loaded.keys, loaded.commands
        );
    } else if loaded.keys > 0 {
        info!("{} keys loaded", loaded.keys);
    }
    if !st.save.is_empty() || st.appendonly {
        let weak = Arc::downgrade(p);
        let stop = Arc::clone(&p.schedule_stop);
        let handle = std::thread::Builder::new()
            .name("save-schedule".into())
            .spawn(move || schedule_loop(weak, stop))
            .map_err(|e| PersistError::io(&st.dump, e))?;
        *p.schedule.lock() = Some(handle);
    }
    Ok(())
}

/// Once a second: checks the `--save` schedule, and puts back an
/// append-only log whose files vanished (a rewrite writes it anew from
/// memory). Holds the server only weakly, so that a server dropped
/// without close() is not kept alive.
fn schedule_loop(persist: Weak<Persist>, stop: Arc<(Mutex<bool>, Condvar)>) {
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
        let Some(p) = persist.upgrade() else {
            return;
        };
        if let Some(aof) = p.aof() {
            if aof.wants_recreating() {
                info!("append-only file: writing the log anew from memory");
                let mut st = aof.lock();
                aof.start_rewrite(&mut st, &p.keyspace);
            }
        }
        if p.settings.save.is_empty() {
            continue;
        }
        let s = &p.save;
        let now = unix_now();
        let since = now.saturating_sub(s.lastsave.load(Ordering::Relaxed)) as u64;
        // After a failure, retry no sooner than Redis does (5 s).
        let retry_ok = !s.last_failed.load(Ordering::Relaxed)
            || now - s.last_attempt.load(Ordering::Relaxed) >= 5;
        if retry_ok && schedule::due(&p.settings.save, s.dirty.load(Ordering::Relaxed), since) {
            info!("save schedule: taking a snapshot");
            let _ = p.bgsave_now();
        }
    }
}

/// How a shutdown was asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShutdownMode {
    /// `SAVE` (`Some(true)`), `NOSAVE` (`Some(false)`), or as configured.
    pub save: Option<bool>,
    /// `FORCE`: exit even if the data cannot be made durable.
    pub force: bool,
}

/// How long shutdown waits for the append-only file to be written.
const SHUTDOWN_FLUSH: Duration = Duration::from_secs(5);

/// Makes everything durable before the server stops serving: writes are
/// refused from here on, the AOF is written and fsynced, and a final
/// snapshot is taken if `--save` is set (or `SHUTDOWN SAVE`). If either
/// fails, writes are accepted again and the reason is returned: the
/// server must keep serving, as Redis does, rather than exit having lost
/// them (unless `FORCE`, which only logs it).
pub async fn prepare_shutdown(persist: &Arc<Persist>, mode: ShutdownMode) -> Result<(), String> {
    let p = Arc::clone(persist);
    let done = tokio::task::spawn_blocking(move || {
        // Waits for writes in progress; later ones see the flag.
        *p.closed.write() = true;
        let result = p.make_durable(mode.save);
        match result {
            Err(why) if !mode.force => {
                *p.closed.write() = false;
                Err(why)
            }
            Err(why) => {
                error!("{why}; exiting anyway (FORCE)");
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    })
    .await;
    done.map_err(|e| format!("shutdown of persistence failed: {e}"))?
}

impl Persist {
    /// The durable part of [`prepare_shutdown`]. Blocking.
    fn make_durable(&self, save: Option<bool>) -> Result<(), String> {
        if let Some(aof) = self.aof() {
            aof.flush(SHUTDOWN_FLUSH)
                .map_err(|e| format!("the append-only file cannot be written: {e}"))?;
            info!("append-only file flushed and fsynced");
        }
        if !save.unwrap_or(!self.settings.save.is_empty()) {
            return Ok(());
        }
        // Waits for a snapshot in progress and takes the slot.
        loop {
            let running = self.saver.lock().take();
            if let Some(h) = running {
                let _ = h.join();
            }
            if !self.save.running.swap(true, Ordering::AcqRel) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let dirty = self.save.dirty.load(Ordering::Acquire);
        let result = match self.keyspace.cut(CutKind::Snapshot) {
            Some(records) => write_dump(&self.save, &self.settings.dump, &records, dirty),
            None => Err(PersistError::Config(
                "a snapshot is already being written".into(),
            )),
        };
        self.save.running.store(false, Ordering::Release);
        result.map_err(|e| format!("the final snapshot failed: {e}"))
    }
}

/// After the server stopped serving, with [`prepare_shutdown`] done: stops
/// the AOF threads (writing what the expiry cycle may have logged since)
/// and the save schedule. Connections that outlived the shutdown grace
/// period may still be running; their writes are refused.
pub async fn close(persist: &Arc<Persist>) -> Result<(), String> {
    let p = Arc::clone(persist);
    let done = tokio::task::spawn_blocking(move || {
        *p.closed.write() = true;
        p.stop_schedule();
        if let Some(aof) = p.aof() {
            aof.shutdown();
        }
        p.claim_last_snapshot();
    })
    .await;
    done.map_err(|e| format!("shutdown of persistence failed: {e}"))
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
    use crate::cmd::{self, Ctx};
    use crate::config::ReplyMode;
    use crate::state::Session;

    fn request(shared: &Shared, session: &mut Session, words: &[&str]) -> Value {
        let frame = Value::Array(words.iter().map(|w| Value::bulk(*w)).collect());
        cmd::execute(&mut Ctx::new(shared, session), frame)
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
        let keyspace = Arc::new(Keyspace::new(16));
        let settings = Settings::from_config(&config).unwrap();
        let persist = Arc::new(Persist::new(settings, Arc::clone(&keyspace)));
        let addr = "127.0.0.1:0".parse().unwrap();
        let shared = Arc::new(Shared::new(keyspace, config, addr, persist.clone()));
        open(&shared, &persist).await.unwrap();
        let mut session = Session::new(1, shared.local_addr, ReplyMode::Seed);
        assert_eq!(
            request(&shared, &mut session, &["SET", "before", "1"]),
            Value::Integer(1)
        );
        prepare_shutdown(&persist, ShutdownMode::default())
            .await
            .expect("prepare");
        close(&persist).await.expect("close");
        let reply = request(&shared, &mut session, &["SET", "after", "1"]);
        assert!(reply.is_error(), "{reply:?}");
        assert_eq!(
            shared.keyspace.len(),
            1,
            "the refused write changed nothing"
        );
        // Nor can a snapshot start once close() has taken the last one.
        let reply = request(&shared, &mut session, &["BGSAVE"]);
        assert!(reply.is_error(), "{reply:?}");
        let mut keys = Vec::new();
        snapshot::read(&dir.path().join("dump.kvs"), |e| keys.push(e.key)).unwrap();
        assert_eq!(keys, [&b"before"[..]]);
    }
}
