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
use crate::keyspace::{Keyspace, Snapshot};

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
    /// Copied under the write lock; decoded by the rewrite thread.
    snapshot: Snapshot,
}

pub struct Aof {
    state: Mutex<State>,
    wake: Condvar,
    durable: watch::Sender<u64>,
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
            durable: watch::Sender::new(0),
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
            && !st.stop
            && self.now_ms() >= self.rewrite_retry_at_ms.load(Ordering::Acquire)
    }

    /// Begins a rewrite; false if one is already running. Must be called
    /// with the write lock held, so that the copy of the keyspace and the
    /// switch to a new incremental file happen at the same instant.
    pub fn start_rewrite(&self, st: &mut State, keyspace: &Keyspace) -> bool {
        if st.stop || self.rewriting.swap(true, Ordering::AcqRel) {
            return false;
        }
        // Only the copy happens under the lock; values are decoded by the
        // rewrite thread as it writes them.
        let snapshot = keyspace.snapshot();
        let tail = st.buf.split();
        st.db = None;
        st.rotation = Some(Rotation { tail, snapshot });
        st.size_at_rotation = st.size;
        self.wake.notify_one();
        true
    }

    /// Waits until the record ending at `offset` is as durable as the
    /// policy promises (written to the OS, or fsynced for `always`).
    pub async fn wait(&self, offset: u64) {
        if *self.durable.borrow() >= offset {
            return;
        }
        let mut rx = self.durable.subscribe();
        // An error means the sender is gone, which cannot happen while
        // `self` is alive.
        let _ = rx.wait_for(|&v| v >= offset).await;
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
        ]
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
                true
            }
            Err(e) if self.policy == AppendFsync::Always => {
                // After a failed fsync the kernel may have dropped the dirty
                // pages: retrying could report success for lost data. With
                // `always` the only honest course is to stop.
                error!("fsync of the append-only file failed: {e}; exiting, acknowledged writes could otherwise be lost");
                std::process::exit(1);
            }
            Err(e) => {
                error!("fsync of the append-only file failed: {e}");
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
    fn finish_rewrite(self: &Arc<Self>, seq: u64, snapshot: Snapshot) {
        let result = (|| -> Result<u64, PersistError> {
            let base_size = snapshot::write(
                &self.layout.base(seq),
                snapshot.len(),
                snapshot.records(),
                snapshot.libraries(),
                "rewrite",
            )?;
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
                drop(st);
                self.rewriting.store(false, Ordering::Release);
            }
            Err(e) => self.rewrite_failed(&e),
        }
    }
}

fn writer_loop(aof: Arc<Aof>, mut file: Arc<File>) {
    let mut spare = BytesMut::with_capacity(64 * 1024);
    loop {
        let (rotation, end, stop) = {
            let mut st = aof.state.lock();
            while st.buf.is_empty() && st.rotation.is_none() && !st.stop {
                aof.wake.wait(&mut st);
            }
            std::mem::swap(&mut st.buf, &mut spare);
            (st.rotation.take(), st.appended, st.stop)
        };
        if let Some(rot) = rotation {
            write_fully(&file, &rot.tail);
            // Records appended after the rotation was asked for are in
            // `spare` and go to the next file; the old one ends here.
            let old_end = end - spare.len() as u64;
            // The old file must be complete on disk before the manifest
            // moves past it. If its fsync fails, the rewrite is abandoned
            // and appending goes on in the old file, which the fsync
            // thread (or shutdown) will try again; `synced` stays behind.
            let old_synced = aof.sync(&file, old_end);
            match old_synced.then(|| aof.open_next_incr()) {
                None => aof.rewrite_failed(&"the current incremental file could not be fsynced"),
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
        }
        if !spare.is_empty() {
            write_fully(&file, &spare);
            spare.clear();
            if spare.capacity() > KEEP_CAPACITY {
                spare = BytesMut::with_capacity(64 * 1024);
            }
        }
        aof.written.store(end, Ordering::Release);
        if aof.policy == AppendFsync::Always || stop {
            // Failures are handled (exit for `always`) and logged inside.
            let _ = aof.sync(&file, end);
        }
        aof.durable.send_replace(end);
        if stop {
            return;
        }
    }
}

/// Writes all of `data`, retrying on errors (a full disk may empty again):
/// giving up would leave a hole in the log. Waiting clients stay blocked
/// meanwhile, which is the point: their writes are not durable.
fn write_fully(mut file: &File, data: &[u8]) {
    let mut pos = 0;
    let mut complained = false;
    while pos < data.len() {
        match file.write(&data[pos..]) {
            Ok(0) => {
                if !complained {
                    error!("append-only file write returned 0 bytes; retrying");
                    complained = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(n) => pos += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                if !complained {
                    error!("cannot write the append-only file: {e}; retrying");
                    complained = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
    if complained {
        info!("append-only file writes resumed");
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
        let base = snapshot::write(&layout.base(1), 0, std::iter::empty(), &[], "test").unwrap();
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
    fn write(aof: &Aof, store: &Keyspace, i: usize) -> bool {
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
        let store = Keyspace::new(1);
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
        let store = Keyspace::new(1);
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
