//! Start-up loading's progress: the figures `INFO persistence` shows, the
//! flag that makes other clients' commands answer `-LOADING`, and the
//! loader thread's own marker. The readers in `load` and `snapshot` report
//! to it as they go.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Start-up loading as `INFO persistence` shows it, and the flag that
/// makes other clients' commands answer `-LOADING` meanwhile.
#[derive(Debug, Default)]
pub struct Progress {
    active: AtomicBool,
    /// Unix time loading began.
    start: AtomicI64,
    /// Bytes of every file to load.
    total: AtomicU64,
    /// Bytes of them read so far.
    loaded: AtomicU64,
}

impl Progress {
    pub fn begin(&self) {
        self.start.store(super::unix_now(), Ordering::Relaxed);
        self.total.store(0, Ordering::Relaxed);
        self.loaded.store(0, Ordering::Relaxed);
        self.active.store(true, Ordering::Release);
    }

    pub fn end(&self) {
        self.active.store(false, Ordering::Release);
    }

    #[inline]
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// Redis's loading fields: `loading` and `async_loading` always, the
    /// progress figures while loading.
    pub fn fields(&self) -> Vec<(&'static str, kvstore_protocol::Value)> {
        use kvstore_protocol::Value;
        let active = self.active();
        let mut out = vec![
            ("loading", Value::Integer(i64::from(active))),
            ("async_loading", Value::Integer(0)),
        ];
        if active {
            let total = self.total.load(Ordering::Relaxed);
            let loaded = self.loaded.load(Ordering::Relaxed).min(total);
            let start = self.start.load(Ordering::Relaxed);
            let elapsed = (super::unix_now() - start).max(0) as u64;
            let perc = if total == 0 {
                0.0
            } else {
                loaded as f64 * 100.0 / total as f64
            };
            // Redis's estimate: the time so far, scaled to what is left.
            let eta = if loaded == 0 {
                1
            } else {
                (elapsed as f64 * (total - loaded) as f64 / loaded as f64) as i64
            };
            out.extend([
                ("loading_start_time", Value::Integer(start)),
                ("loading_total_bytes", Value::Integer(total as i64)),
                ("loading_rdb_used_mem", Value::Integer(0)),
                ("loading_loaded_bytes", Value::Integer(loaded as i64)),
                (
                    "loading_loaded_perc",
                    Value::Simple(format!("{perc:.2}").into()),
                ),
                ("loading_eta_seconds", Value::Integer(eta)),
            ]);
        }
        out
    }
}

thread_local! {
    /// Set on the thread that loads, for its own commands (which must not
    /// be refused `-LOADING`) and for progress: the figures and the bytes
    /// of the files already done.
    static LOADER: RefCell<Option<(Arc<Progress>, u64)>> = const { RefCell::new(None) };
}

/// Runs `f` as the loader, on this thread.
pub fn as_loader<T>(progress: Arc<Progress>, f: impl FnOnce() -> T) -> T {
    LOADER.with(|l| *l.borrow_mut() = Some((progress, 0)));
    let out = f();
    LOADER.with(|l| *l.borrow_mut() = None);
    out
}

/// True on the loading thread.
pub fn is_loader() -> bool {
    LOADER.with(|l| l.borrow().is_some())
}

/// The loader is `offset` bytes into the file it reads.
pub fn advance(offset: u64) {
    LOADER.with(|l| {
        if let Some((p, done)) = l.borrow().as_ref() {
            p.loaded.store(done + offset, Ordering::Relaxed);
        }
    });
    debug_delay();
}

/// The loader finished a file of `len` bytes.
pub fn file_done(len: u64) {
    LOADER.with(|l| {
        if let Some((p, done)) = l.borrow_mut().as_mut() {
            *done += len;
            p.loaded.store(*done, Ordering::Relaxed);
        }
    });
}

/// The loader will read `len` bytes in all.
pub fn set_total(len: u64) {
    LOADER.with(|l| {
        if let Some((p, _)) = l.borrow().as_ref() {
            p.total.store(len, Ordering::Relaxed);
        }
    });
}

/// Test hook: `KVSTORE_DEBUG_LOAD_DELAY_US=N` in the environment makes
/// loading sleep N µs per record, so that the tests can watch a load in
/// progress. Not a setting: never set it in production.
fn debug_delay() {
    static DELAY: OnceLock<Option<Duration>> = OnceLock::new();
    let delay = DELAY.get_or_init(|| {
        std::env::var("KVSTORE_DEBUG_LOAD_DELAY_US")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_micros)
    });
    if let Some(d) = delay {
        std::thread::sleep(*d);
    }
}
