//! The append-only file writer.
//!
//! Connections never touch the file. A write command appends its record to
//! an in-memory buffer while holding the *write lock* ([`Aof::lock`]), the
//! one mutex every write takes when the AOF is on, so the order of the
//! records is exactly the order in which the writes were applied. A
//! dedicated thread (blocking I/O has no place on the async workers) drains
//! the buffer with one `write(2)`, fsyncs according to the policy, and
//! publishes how far the log is durable; a connection holds back its replies
//! until its last record is covered. Every connection whose record was in
//! the drained buffer is released by the same fsync: group commit.
//!
//! With `everysec`, a second thread fsyncs once a second so that a slow
//! fsync never stalls the writes behind it.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use kvstore_protocol::{encode_as, int_line, Dialect, Value};
use parking_lot::{Condvar, Mutex, MutexGuard};
use tokio::sync::watch;
use tracing::{error, info, warn};

use super::fsutil::sync_dir;
use super::manifest::{Layout, Manifest};
use super::snapshot;
use super::{failpoint, record, PersistError};
use crate::config::AppendFsync;
use crate::keyspace::{Cut, CutKind, Keyspace};

/// Magic bytes at the start of every incremental file.
pub const MAGIC: &[u8; 8] = b"KVSAOF\x01\x00";

/// A buffer that grew past this for one huge command is given back.
const KEEP_CAPACITY: usize = 4 << 20;

/// After a failed rewrite, no automatic one starts for this long, doubled
/// for each further consecutive failure up to [`REWRITE_RETRY_MAX`]. Every
/// attempt copies the keyspace under the write lock and lists one more
/// incremental file in the manifest; retrying on the next write, as a full
/// disk would make it, would do that on every write. (Redis likewise
/// limits automatic rewrites after failures.) `BGREWRITEAOF` is not held
/// back.
const REWRITE_RETRY_MIN: Duration = Duration::from_secs(10);
const REWRITE_RETRY_MAX: Duration = Duration::from_secs(3600);

/// What the write lock guards.
pub struct State {
    buf: BytesMut,
    /// The database the records in the current file last selected (`None`
    /// at the start of a file: its first record is preceded by a SELECT).
    db: Option<usize>,
    /// Logical end of the log: bytes of records ever appended.
    appended: u64,
    /// A rewrite asked for: the records before it go to the old file.
    rotation: Option<Rotation>,
    /// Bytes of the files the manifest lists, pending records included.
    size: u64,
    /// `size` right after the last rewrite (or at start-up).
    rewrite_base: u64,
    size_at_rotation: u64,
    stop: bool,
}

struct Rotation {
    tail: BytesMut,
    /// Begun under the write lock; read by the rewrite thread.
    snapshot: Cut,
}

/// How far the log got, as waiting connections see it.
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    /// Records up to here are as durable as the policy promises.
    durable: u64,
    /// Records up to here that are not durable could not be written (or
    /// fsynced, for `always`): their writers get an error reply.
    failed: u64,
}

/// Why the log cannot be written now; writes are refused (`-MISCONF`)
/// while there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    /// `write(2)` failed (a full disk, EIO); retried, cleared when a write
    /// goes through.
    Write(String),
    /// A background fsync failed (`everysec`); cleared by the next one
    /// that works.
    Fsync(String),
    /// The manifest is gone (the directory was removed): what is written
    /// goes to files nobody will load. Cleared once a rewrite has put a
    /// new log in place.
    Missing(String),
    /// An fsync failed with `always`: the kernel may have dropped the
    /// data it was asked to write, so no later fsync can prove a record
    /// durable. Writes stay refused until a restart.
    Fatal(String),
}

impl Failure {
    fn text(&self) -> &str {
        match self {
            Failure::Write(t) | Failure::Fsync(t) | Failure::Missing(t) | Failure::Fatal(t) => t,
        }
    }
}

/// How often a failed write is tried again, and how often the writer
/// checks that the manifest is still there.
const WRITE_RETRY: Duration = Duration::from_millis(250);
const MANIFEST_CHECK: Duration = Duration::from_secs(1);

pub struct Aof {
    state: Mutex<State>,
    wake: Condvar,
    durable: watch::Sender<Progress>,
    /// The current failure, if any; `failing` mirrors `is_some()` for the
    /// check every command makes.
    failure: Mutex<Option<Failure>>,
    failing: AtomicBool,
    policy: AppendFsync,
    layout: Layout,
    manifest: Mutex<Manifest>,
    /// The file being appended to, for the everysec fsync thread.
    current: Mutex<Arc<File>>,
    written: AtomicU64,
    synced: AtomicU64,
    epoch: Instant,
    last_fsync_ms: AtomicU64,
    rewriting: AtomicBool,
    rewrites: AtomicU64,
    /// Consecutive failed rewrites (0 after a success).
    rewrite_failures: AtomicU32,
    /// No automatic rewrite before this time (ms since `epoch`); 0 = none.
    rewrite_retry_at_ms: AtomicU64,
    rewrite_percentage: u64,
    rewrite_min_size: u64,
    threads: Mutex<Vec<JoinHandle<()>>>,
    fsync_stop: (Mutex<bool>, Condvar),
    /// Test hook: this many coming fsyncs fail.
    #[cfg(test)]
    fail_fsyncs: AtomicU32,
}

/// Rewrite settings.
#[derive(Debug, Clone, Copy)]
pub struct RewritePolicy {
    pub percentage: u64,
    pub min_size: u64,
}

impl Aof {
    /// Starts appending to the last incremental file of `manifest`, whose
    /// valid content is exactly `incr_len` bytes, and starts the threads.
    pub fn start(
        layout: Layout,
        manifest: Manifest,
        policy: AppendFsync,
        rewrite: RewritePolicy,
        total_size: u64,
    ) -> Result<Arc<Aof>, PersistError> {
        let last = *manifest.incrs.last().unwrap_or(&manifest.base);
        let path = layout.incr(last);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| PersistError::io(&path, e))?;
        let file = Arc::new(file);
        let aof = Arc::new(Aof {
            state: Mutex::new(State {
                buf: BytesMut::with_capacity(64 * 1024),
                db: None,
                appended: 0,
                rotation: None,
                size: total_size,
                rewrite_base: total_size,
                size_at_rotation: 0,
                stop: false,
            }),
            wake: Condvar::new(),
            durable: watch::Sender::new(Progress::default()),
            failure: Mutex::new(None),
            failing: AtomicBool::new(false),
            policy,
            layout,
            manifest: Mutex::new(manifest),
            current: Mutex::new(Arc::clone(&file)),
            written: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            epoch: Instant::now(),
            last_fsync_ms: AtomicU64::new(0),
            rewriting: AtomicBool::new(false),
            rewrites: AtomicU64::new(0),
            rewrite_failures: AtomicU32::new(0),
            rewrite_retry_at_ms: AtomicU64::new(0),
            rewrite_percentage: rewrite.percentage,
            rewrite_min_size: rewrite.min_size,
            threads: Mutex::new(Vec::new()),
            fsync_stop: (Mutex::new(false), Condvar::new()),
            #[cfg(test)]
            fail_fsyncs: AtomicU32::new(0),
        });
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(f)
                .map_err(|e| PersistError::io(&path, e))
        };
        let a = Arc::clone(&aof);
        let writer = spawn("aof-writer", Box::new(move || writer_loop(a, file)))?;
        aof.threads.lock().push(writer);
        if policy == AppendFsync::Everysec {
            let a = Arc::clone(&aof);
            let fsyncer = spawn("aof-fsync", Box::new(move || fsync_loop(a)))?;
            aof.threads.lock().push(fsyncer);
        }
        Ok(aof)
    }

    /// Takes the write lock. Hold it across applying a write and
    /// [`Aof::append`]ing it.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// True once shutdown has begun: no more writes are accepted.
    pub fn stopped(st: &State) -> bool {
        st.stop
    }

    /// Logs the request `args`, run in database `db`; returns the offset
    /// to wait for.
    pub fn append(&self, st: &mut State, db: usize, args: &[Value]) -> u64 {
        if st.db != Some(db) {
            st.db = Some(db);
            let select = [Value::bulk("SELECT"), Value::Integer(db as i64)];
            self.append_record(st, &select);
        }
        self.append_record(st, args)
    }

    fn append_record(&self, st: &mut State, args: &[Value]) -> u64 {
        let n = record::push_with(&mut st.buf, |b| {
            int_line(b, b'*', args.len() as i64);
            for a in args {
                encode_as(a, Dialect::Resp3, b);
            }
        }) as u64;
        st.appended += n;
        st.size += n;
        st.appended
    }

    /// Wakes the writer thread; call after releasing the lock.
    pub fn notify(&self) {
        self.wake.notify_one();
    }

    /// True if the log has grown enough past its last rewrite to compact it.
    pub fn wants_rewrite(&self, st: &State) -> bool {
        self.rewrite_percentage > 0
            && st.size >= self.rewrite_min_size
            && grown_by(st.size, st.rewrite_base, self.rewrite_percentage)
            && !self.rewriting.load(Ordering::Acquire)
            && !self.failing()
            && !st.stop
            && self.now_ms() >= self.rewrite_retry_at_ms.load(Ordering::Acquire)
    }

    /// Begins a rewrite; false if one is already running. Must be called
    /// with the write lock held, so that the copy of the keyspace and the
    /// switch to a new incremental file happen at the same instant.
    pub fn start_rewrite(&self, st: &mut State, keyspace: &Arc<Keyspace>) -> bool {
        if st.stop || self.blocks_rewrite() || self.rewriting.swap(true, Ordering::AcqRel) {
            return false;
        }
        // Only the cut's instant is taken under the lock; the rewrite
        // thread reads the keyspace as of then, shard by shard.
        let Some(snapshot) = keyspace.cut(CutKind::Rewrite) else {
            self.rewriting.store(false, Ordering::Release);
            return false;
        };
        let tail = st.buf.split();
        st.db = None;
        st.rotation = Some(Rotation { tail, snapshot });
        st.size_at_rotation = st.size;
        self.wake.notify_one();
        true
    }

    /// Waits until the record ending at `offset` is as durable as the
    /// policy promises (written to the OS, or fsynced for `always`), or
    /// until it is known that it could not be written: then the error
    /// reply its writer gets.
    pub async fn wait(&self, offset: u64) -> Result<(), Value> {
        let settled = |p: &Progress| p.durable >= offset || p.failed >= offset;
        let mut rx = self.durable.subscribe();
        // An error means the sender is gone, which cannot happen while
        // `self` is alive.
        let progress = match rx.wait_for(settled).await {
            Ok(p) => *p,
            Err(_) => return Ok(()),
        };
        if progress.durable >= offset {
            Ok(())
        } else {
            Err(Value::error(self.misconf().unwrap_or_else(|| {
                "MISCONF Errors writing to the AOF file: the write failed".into()
            })))
        }
    }

    /// The `-MISCONF` text while the log cannot be written, as Redis
    /// words it.
    pub fn misconf(&self) -> Option<String> {
        if !self.failing.load(Ordering::Acquire) {
            return None;
        }
        let failure = self.failure.lock();
        failure
            .as_ref()
            .map(|f| format!("MISCONF Errors writing to the AOF file: {}", f.text()))
    }

    /// True while writes must be refused.
    #[inline]
    pub fn failing(&self) -> bool {
        self.failing.load(Ordering::Acquire)
    }

    /// The failure's text, for the log and `INFO`.
    pub fn failure_text(&self) -> Option<String> {
        self.failure.lock().as_ref().map(|f| f.text().to_string())
    }

    /// True while records wait to be written to the current file (or can
    /// never be proven durable): a rewrite would move past them.
    pub fn blocks_rewrite(&self) -> bool {
        self.failing()
            && matches!(
                *self.failure.lock(),
                Some(Failure::Write(_) | Failure::Fatal(_))
            )
    }

    /// True if the manifest vanished and a rewrite could put a log back.
    pub fn wants_recreating(&self) -> bool {
        matches!(*self.failure.lock(), Some(Failure::Missing(_)))
            && self.layout.dir.is_dir()
            && !self.rewriting.load(Ordering::Acquire)
    }

    /// Records a failure and tells the writers of records up to `upto`
    /// that are not durable that theirs failed. A `Fatal` one is never
    /// replaced.
    fn fail(&self, failure: Failure, upto: u64) {
        {
            let mut current = self.failure.lock();
            if !matches!(*current, Some(Failure::Fatal(_))) {
                if current.as_ref() != Some(&failure) {
                    error!(
                        "append-only file: {}; writes are refused until it can be written again",
                        failure.text()
                    );
                }
                *current = Some(failure);
            }
            self.failing.store(true, Ordering::Release);
        }
        self.durable.send_modify(|p| p.failed = p.failed.max(upto));
    }

    /// Clears a failure of the kind `is` matches, once the cause is gone.
    fn recovered(&self, is: fn(&Failure) -> bool) {
        let mut current = self.failure.lock();
        if current.as_ref().is_some_and(is) {
            info!(
                "append-only file: writable again ({} is over)",
                current.as_ref().map_or("", Failure::text)
            );
            *current = None;
            self.failing.store(false, Ordering::Release);
        }
    }

    /// Marks the log durable up to `end`, unless the manifest is gone (then
    /// what was written is in files nobody will load) or an fsync failed
    /// with `always` (then no record can be proven durable).
    fn publish(&self, end: u64) {
        if matches!(
            *self.failure.lock(),
            Some(Failure::Missing(_) | Failure::Fatal(_))
        ) {
            self.durable.send_modify(|p| p.failed = p.failed.max(end));
        } else {
            self.durable.send_modify(|p| p.durable = p.durable.max(end));
        }
    }

    /// Writes out and fsyncs everything appended so far, for a shutdown
    /// that must not lose it; an error if the log cannot be written or
    /// fsynced within `timeout` (the writes stay pending, retried as
    /// before). Blocking.
    pub fn flush(&self, timeout: Duration) -> Result<(), String> {
        let target = self.state.lock().appended;
        self.wake.notify_one();
        let end = Instant::now() + timeout;
        loop {
            // A failed background fsync is tried again below; the other
            // failures mean the records are not where they must be.
            if let Some(f) = self.failure.lock().as_ref() {
                if !matches!(f, Failure::Fsync(_)) {
                    return Err(f.text().to_string());
                }
            }
            if self.written.load(Ordering::Acquire) >= target {
                break;
            }
            if Instant::now() >= end {
                return Err("the append-only file could not be written in time".into());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let file = Arc::clone(&self.current.lock());
        if self.sync(&file, target) {
            Ok(())
        } else {
            Err(self
                .failure_text()
                .unwrap_or_else(|| "fsync failed".to_string()))
        }
    }

    /// Stops accepting writes, writes and fsyncs everything, and waits for
    /// the threads (including a rewrite in progress) to finish. Blocking.
    pub fn shutdown(&self) {
        self.state.lock().stop = true;
        self.wake.notify_all();
        *self.fsync_stop.0.lock() = true;
        self.fsync_stop.1.notify_all();
        // A rewrite's thread is added by the writer; keep joining until none is left.
        loop {
            let handle = self.threads.lock().pop();
            match handle {
                Some(h) => {
                    let _ = h.join();
                }
                None => break,
            }
        }
    }

    /// Fields for the `DURABILITY` command.
    pub fn info(&self) -> Vec<(&'static str, Value)> {
        let st = self.state.lock();
        let since = self.last_fsync_ms.load(Ordering::Relaxed);
        let ago = (self.epoch.elapsed().as_millis() as u64).saturating_sub(since);
        vec![
            ("aof_appended_offset", Value::Integer(st.appended as i64)),
            (
                "aof_written_offset",
                Value::Integer(self.written.load(Ordering::Acquire) as i64),
            ),
            (
                "aof_synced_offset",
                Value::Integer(self.synced.load(Ordering::Acquire) as i64),
            ),
            ("aof_last_fsync_ms_ago", Value::Integer(ago as i64)),
            ("aof_current_size", Value::Integer(st.size as i64)),
            ("aof_base_size", Value::Integer(st.rewrite_base as i64)),
            (
                "aof_rewrite_in_progress",
                Value::Integer(i64::from(self.rewriting.load(Ordering::Acquire))),
            ),
            (
                "aof_rewrites",
                Value::Integer(self.rewrites.load(Ordering::Relaxed) as i64),
            ),
            (
                "aof_last_bgrewrite_status",
                Value::simple(if self.rewrite_failures.load(Ordering::Relaxed) > 0 {
                    "err"
                } else {
                    "ok"
                }),
            ),
            (
                "aof_rewrites_consecutive_failures",
                Value::Integer(i64::from(self.rewrite_failures.load(Ordering::Relaxed))),
            ),
            (
                "aof_last_write_status",
                Value::simple(if self.failing() { "err" } else { "ok" }),
            ),
            (
                "aof_last_write_error",
                Value::Simple(self.failure_text().unwrap_or_default().into()),
            ),
        ]
    }

    /// Notices a manifest that vanished (its directory removed, say), and
    /// one that is back.
    fn check_manifest(&self, end: u64) {
        let path = self.layout.manifest();
        match std::fs::metadata(&path) {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let why = format!(
                    "{} is gone (was the directory removed?); writes resume once a rewrite has recreated the log",
                    path.display()
                );
                self.fail(Failure::Missing(why), end);
            }
            // A manifest that reappears (a directory restored from a
            // backup) does not hold what was written since: only a
            // rewrite clears this.
            _ => {}
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Records a failed rewrite and holds automatic ones back for a while
    /// (see [`REWRITE_RETRY_MIN`]).
    fn rewrite_failed(&self, why: &dyn std::fmt::Display) {
        let failures = self.rewrite_failures.fetch_add(1, Ordering::AcqRel) + 1;
        let delay = REWRITE_RETRY_MIN
            .saturating_mul(1u32 << (failures - 1).min(16))
            .min(REWRITE_RETRY_MAX);
        self.rewrite_retry_at_ms
            .store(self.now_ms() + delay.as_millis() as u64, Ordering::Release);
        error!(
            "append-only file rewrite failed: {why}; no automatic rewrite for {}s ({failures} consecutive failures)",
            delay.as_secs()
        );
        self.rewriting.store(false, Ordering::Release);
    }

    /// Fsyncs `file`, which holds the log up to offset `upto`; true if it
    /// worked. `synced` only ever moves on a successful fsync.
    fn sync(&self, file: &File, upto: u64) -> bool {
        match self.sync_data(file) {
            Ok(()) => {
                self.synced.fetch_max(upto, Ordering::AcqRel);
                self.last_fsync_ms.store(self.now_ms(), Ordering::Relaxed);
                self.recovered(|f| matches!(f, Failure::Fsync(_)));
                true
            }
            Err(e) if self.policy == AppendFsync::Always => {
                // After a failed fsync the kernel may have dropped the dirty
                // pages: retrying could report success for lost data. With
                // `always` no write can be acknowledged any more.
                let why = format!(
                    "fsync failed with appendfsync always: {}; restart the server",
                    os_reason(&e)
                );
                self.fail(Failure::Fatal(why), upto);
                false
            }
            Err(e) => {
                self.fail(
                    Failure::Fsync(format!("fsync failed: {}", os_reason(&e))),
                    0,
                );
                false
            }
        }
    }

    fn sync_data(&self, file: &File) -> std::io::Result<()> {
        #[cfg(test)]
        if self
            .fail_fsyncs
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(std::io::Error::other("injected fsync failure"));
        }
        file.sync_data()
    }

    /// Creates the next incremental file and lists it in the manifest.
    fn open_next_incr(&self) -> Result<(Arc<File>, u64), PersistError> {
        let mut m = self.manifest.lock();
        let seq = m.last_seq() + 1;
        let path = self.layout.incr(seq);
        let io = |e| PersistError::io(&path, e);
        let mut file = OpenOptions::new()
            .append(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        file.set_len(0).map_err(io)?;
        file.write_all(MAGIC).map_err(io)?;
        file.sync_all().map_err(io)?;
        sync_dir(&self.layout.dir)?;
        let mut next = m.clone();
        next.incrs.push(seq);
        self.layout.write(&next)?;
        *m = next;
        failpoint("rewrite-after-new-incr");
        Ok((Arc::new(file), seq))
    }

    /// Second half of a rewrite, on its own thread: write the new base, then
    /// point the manifest at it, then delete what it replaces.
    fn finish_rewrite(self: &Arc<Self>, seq: u64, snapshot: Cut) {
        let result = (|| -> Result<u64, PersistError> {
            let base_size = snapshot::write(&self.layout.base(seq), &snapshot, "rewrite")?;
            drop(snapshot);
            failpoint("rewrite-after-base");
            let mut m = self.manifest.lock();
            let old = self.layout.files(&m);
            let next = Manifest {
                base: seq,
                incrs: m.incrs.iter().copied().filter(|&s| s >= seq).collect(),
            };
            self.layout.write(&next)?;
            *m = next.clone();
            failpoint("rewrite-after-manifest");
            let keep = self.layout.files(&next);
            for path in old.iter().filter(|p| !keep.contains(p)) {
                if let Err(e) = std::fs::remove_file(path) {
                    if e.kind() != ErrorKind::NotFound {
                        warn!("cannot remove {}: {e}", path.display());
                    }
                }
            }
            Ok(base_size)
        })();
        match result {
            Ok(base_size) => {
                let mut st = self.state.lock();
                st.size = base_size + (st.size - st.size_at_rotation);
                st.rewrite_base = st.size;
                self.rewrites.fetch_add(1, Ordering::Relaxed);
                self.rewrite_failures.store(0, Ordering::Release);
                self.rewrite_retry_at_ms.store(0, Ordering::Release);
                info!("append-only file rewritten: base {} bytes", base_size);
                // A log that vanished is whole again: the new base holds
                // everything the lost files did.
                self.recovered(|f| matches!(f, Failure::Missing(_)));
                drop(st);
                self.rewriting.store(false, Ordering::Release);
            }
            Err(e) => self.rewrite_failed(&e),
        }
    }
}

fn writer_loop(aof: Arc<Aof>, mut file: Arc<File>) {
    let mut spare = BytesMut::with_capacity(64 * 1024);
    // Records taken from the buffer that a failed write left unwritten,
    // oldest first; they go out before anything newer.
    let mut pending = BytesMut::new();
    let mut checked = Instant::now();
    loop {
        let (rotation, end, stop) = {
            let mut st = aof.state.lock();
            while st.buf.is_empty() && st.rotation.is_none() && !st.stop {
                let nap = if pending.is_empty() {
                    MANIFEST_CHECK
                } else {
                    WRITE_RETRY
                };
                if aof.wake.wait_for(&mut st, nap).timed_out() {
                    break;
                }
            }
            std::mem::swap(&mut st.buf, &mut spare);
            (st.rotation.take(), st.appended, st.stop)
        };
        if checked.elapsed() >= MANIFEST_CHECK {
            checked = Instant::now();
            aof.check_manifest(end);
        }
        if rotation.is_none() && spare.is_empty() && pending.is_empty() && !stop {
            // Woken only to look at the manifest: nothing to write.
            continue;
        }
        if let Some(rot) = rotation {
            let mut tail = rot.tail;
            let tail_written = pending.is_empty() && write_out(&file, &mut tail).is_ok();
            if tail_written {
                // Records appended after the rotation was asked for are in
                // `spare` and go to the next file; the old one ends here.
                let old_end = end - spare.len() as u64;
                // The old file must be complete on disk before the manifest
                // moves past it. If its fsync fails, the rewrite is abandoned
                // and appending goes on in the old file, which the fsync
                // thread (or shutdown) will try again; `synced` stays behind.
                let old_synced = aof.sync(&file, old_end);
                match old_synced.then(|| aof.open_next_incr()) {
                    None => {
                        aof.rewrite_failed(&"the current incremental file could not be fsynced")
                    }
                    Some(Ok((next, seq))) => {
                        file = next;
                        *aof.current.lock() = Arc::clone(&file);
                        let a = Arc::clone(&aof);
                        let spawned = std::thread::Builder::new()
                            .name("aof-rewrite".into())
                            .spawn(move || a.finish_rewrite(seq, rot.snapshot));
                        match spawned {
                            Ok(h) => aof.threads.lock().push(h),
                            Err(e) => aof.rewrite_failed(&format!("cannot start its thread: {e}")),
                        }
                    }
                    Some(Err(e)) => aof.rewrite_failed(&e),
                }
            } else {
                // The records before the rotation could not all be
                // written: they stay first in line, and the rewrite is
                // abandoned (appending goes on in the same file).
                pending.extend_from_slice(&tail);
                aof.rewrite_failed(&"the append-only file could not be written");
            }
        }
        let outcome = if pending.is_empty() {
            let r = write_out(&file, &mut spare);
            if !spare.is_empty() {
                pending.extend_from_slice(&spare);
            }
            r
        } else {
            pending.extend_from_slice(&spare);
            write_out(&file, &mut pending)
        };
        spare.clear();
        if spare.capacity() > KEEP_CAPACITY {
            spare = BytesMut::with_capacity(64 * 1024);
        }
        match outcome {
            Ok(()) => {
                if pending.capacity() > KEEP_CAPACITY {
                    pending = BytesMut::new();
                }
                aof.recovered(|f| matches!(f, Failure::Write(_)));
                aof.written.store(end, Ordering::Release);
                let synced = if aof.policy == AppendFsync::Always || stop {
                    // Failures are recorded (and refuse writes) inside.
                    aof.sync(&file, end)
                } else {
                    true
                };
                if synced || aof.policy != AppendFsync::Always {
                    aof.publish(end);
                }
            }
            Err(e) => {
                let why = os_reason(&e);
                aof.fail(Failure::Write(why), end);
                if stop {
                    // A forced shutdown: nothing more can be done.
                    error!(
                        "append-only file: {} bytes of records could not be written",
                        pending.len()
                    );
                }
            }
        }
        if stop {
            return;
        }
    }
}

/// Writes what `data` holds, consuming it as it goes: on an error, what
/// is left in `data` is exactly what was not written. A partial write
/// leaves the file a clean prefix of the log, so writing the rest later
/// completes it.
fn write_out(mut file: &File, data: &mut BytesMut) -> std::io::Result<()> {
    while !data.is_empty() {
        match file.write(data) {
            Ok(0) => return Err(std::io::Error::from(ErrorKind::WriteZero)),
            Ok(n) => {
                let _ = data.split_to(n);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    data.clear();
    Ok(())
}

/// An I/O error as `strerror` words it (Redis's texts have no "(os error N)").
pub fn os_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn fsync_loop(aof: Arc<Aof>) {
    let (lock, cond) = &aof.fsync_stop;
    loop {
        {
            let mut stop = lock.lock();
            if !*stop {
                cond.wait_for(&mut stop, Duration::from_secs(1));
            }
            if *stop {
                return;
            }
        }
        let written = aof.written.load(Ordering::Acquire);
        if written > aof.synced.load(Ordering::Acquire) {
            // Records before a rotation went to a file that was fsynced
            // when it was closed, so syncing the current one covers all.
            let file = Arc::clone(&aof.current.lock());
            // A failure is logged inside and tried again next second.
            let _ = aof.sync(&file, written);
        }
    }
}

/// True if the log, now `size` bytes, has grown by at least `percentage` %
/// over `base`. Exact for every input: u64 × 100 fits in u128, so a huge
/// `--auto-aof-rewrite-percentage` cannot overflow.
fn grown_by(size: u64, base: u64, percentage: u64) -> bool {
    size >= base && u128::from(size - base) * 100 >= u128::from(base) * u128::from(percentage)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh log (empty base 1, empty incr 1) in `dir`, with automatic
    /// rewrites as soon as it grows by 1 %.
    fn fresh(dir: &std::path::Path, policy: AppendFsync) -> Arc<Aof> {
        let layout = Layout {
            dir: dir.to_path_buf(),
            prefix: "appendonly.aof".into(),
        };
        let empty = Keyspace::new(1).snapshot();
        let base = snapshot::write(&layout.base(1), &empty, "test").unwrap();
        std::fs::write(layout.incr(1), MAGIC).unwrap();
        let m = Manifest {
            base: 1,
            incrs: vec![1],
        };
        layout.write(&m).unwrap();
        let rewrite = RewritePolicy {
            percentage: 1,
            min_size: 0,
        };
        Aof::start(layout, m, policy, rewrite, base + MAGIC.len() as u64).unwrap()
    }

    /// Appends one SET as a write command does; true if it started a rewrite.
    fn write(aof: &Aof, store: &Arc<Keyspace>, i: usize) -> bool {
        let mut st = aof.lock();
        let args = [
            Value::bulk("SET"),
            Value::bulk(format!("k{i}")),
            Value::bulk("v"),
        ];
        aof.append(&mut st, 0, &args);
        let started = aof.wants_rewrite(&st) && aof.start_rewrite(&mut st, store);
        drop(st);
        aof.notify();
        started
    }

    fn wait_rewrite_done(aof: &Aof) {
        let end = Instant::now() + Duration::from_secs(20);
        while aof.rewriting.load(Ordering::Acquire) {
            assert!(Instant::now() < end, "the rewrite did not finish");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn status(aof: &Aof) -> Value {
        aof.info()
            .into_iter()
            .find(|(k, _)| *k == "aof_last_bgrewrite_status")
            .map(|(_, v)| v)
            .unwrap()
    }

    #[test]
    fn a_failed_rewrite_is_not_retried_on_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let aof = fresh(dir.path(), AppendFsync::No);
        // The new base cannot be renamed over a directory: the rewrite's
        // second half fails, as it would on a full disk.
        std::fs::create_dir(aof.layout.base(2)).unwrap();
        let store = Arc::new(Keyspace::new(1));
        assert!(
            write(&aof, &store, 0),
            "the first write passes the threshold"
        );
        wait_rewrite_done(&aof);
        assert_eq!(status(&aof), Value::simple("err"));
        for i in 1..50 {
            assert!(!write(&aof, &store, i), "write {i} started another rewrite");
        }
        let m = aof.layout.read().unwrap().unwrap();
        assert_eq!(m.incrs, vec![1, 2], "one failed attempt, one new file");
        // An explicit BGREWRITEAOF is not held back, and its success clears
        // the back-off.
        std::fs::remove_dir(aof.layout.base(2)).unwrap();
        assert!(aof.start_rewrite(&mut aof.lock(), &store));
        wait_rewrite_done(&aof);
        assert_eq!(status(&aof), Value::simple("ok"));
        assert_eq!(aof.rewrite_retry_at_ms.load(Ordering::Acquire), 0);
        aof.shutdown();
    }

    #[test]
    fn a_failed_fsync_of_the_old_file_keeps_the_manifest_on_it() {
        let dir = tempfile::tempdir().unwrap();
        let aof = fresh(dir.path(), AppendFsync::No);
        let store = Arc::new(Keyspace::new(1));
        aof.fail_fsyncs.store(1, Ordering::Release);
        assert!(write(&aof, &store, 0));
        wait_rewrite_done(&aof);
        assert_eq!(status(&aof), Value::simple("err"));
        let m = aof.layout.read().unwrap().unwrap();
        assert_eq!(m.incrs, vec![1], "the manifest moved past an unsynced file");
        assert_eq!(aof.synced.load(Ordering::Acquire), 0, "nothing was fsynced");
        assert!(!aof.layout.incr(2).exists());
        // Appending goes on in the old file, and shutdown fsyncs it all.
        write(&aof, &store, 1);
        aof.shutdown();
        let appended = aof.lock().appended;
        assert_eq!(aof.synced.load(Ordering::Acquire), appended);
        let len = std::fs::metadata(aof.layout.incr(1)).unwrap().len();
        assert_eq!(len, MAGIC.len() as u64 + appended);
    }

    /// Appends one SET, without a rewrite; the offset to wait for.
    fn append_set(aof: &Aof, i: usize) -> u64 {
        let mut st = aof.lock();
        let args = [
            Value::bulk("SET"),
            Value::bulk(format!("k{i}")),
            Value::bulk("v"),
        ];
        let end = aof.append(&mut st, 0, &args);
        drop(st);
        aof.notify();
        end
    }

    /// Polls until the record ending at `end` is settled; true if durable.
    fn settled(aof: &Aof, end: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let p = *aof.durable.borrow();
            if p.durable >= end {
                return true;
            }
            if p.failed >= end {
                return false;
            }
            assert!(Instant::now() < deadline, "never settled");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_failed_fsync_with_always_refuses_writes_for_good() {
        let dir = tempfile::tempdir().unwrap();
        let aof = fresh(dir.path(), AppendFsync::Always);
        assert!(settled(&aof, append_set(&aof, 0)));
        aof.fail_fsyncs.store(1, Ordering::Release);
        assert!(!settled(&aof, append_set(&aof, 1)), "acknowledged");
        let text = aof.misconf().expect("refused");
        assert!(
            text.starts_with("MISCONF Errors writing to the AOF file: fsync failed"),
            "{text}"
        );
        // Later fsyncs work, but nothing is durable any more, and a
        // shutdown cannot flush.
        assert!(!settled(&aof, append_set(&aof, 2)));
        assert!(aof.misconf().is_some());
        assert!(aof.flush(Duration::from_secs(1)).is_err());
        aof.shutdown();
    }

    #[test]
    fn a_failed_background_fsync_refuses_writes_until_one_works() {
        let dir = tempfile::tempdir().unwrap();
        let aof = fresh(dir.path(), AppendFsync::Everysec);
        aof.fail_fsyncs.store(1, Ordering::Release);
        // Written to the OS: acknowledged, as everysec promises.
        assert!(settled(&aof, append_set(&aof, 0)));
        let deadline = Instant::now() + Duration::from_secs(5);
        while aof.misconf().is_none() {
            assert!(Instant::now() < deadline, "the failed fsync went unnoticed");
            std::thread::sleep(Duration::from_millis(10));
        }
        // The next second's fsync works and lifts it.
        let deadline = Instant::now() + Duration::from_secs(5);
        while aof.misconf().is_some() {
            assert!(Instant::now() < deadline, "never lifted");
            std::thread::sleep(Duration::from_millis(10));
        }
        aof.shutdown();
    }

    #[test]
    fn growth_check_is_exact_and_cannot_overflow() {
        assert!(grown_by(200, 100, 100));
        assert!(!grown_by(199, 100, 100));
        assert!(grown_by(51, 50, 1), "small bases are not rounded to 0");
        assert!(!grown_by(u64::MAX, u64::MAX / 2, u64::MAX));
        assert!(grown_by(u64::MAX, 1, u64::MAX / 100));
        assert!(!grown_by(5, 10, 0), "a shrunken log has not grown");
    }
}
