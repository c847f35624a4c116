//! The shared server state: what every connection and every command sees.
//! It sits above the keyspace and below the command families; the layers
//! above it (persistence, the network) reach down into it, never the other
//! way. Commands reach persistence only through the [`Durability`] handle.

pub mod acl;
pub mod blocking;
pub mod clients;
pub mod histogram;
pub mod intro;
pub mod limits;
pub mod netstats;
pub mod ops;
pub mod pubsub;
pub mod script;
pub mod session;
pub mod tls;
pub mod tracking;
pub mod watch;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use kvstore_protocol::Value;
use parking_lot::RwLock;
use tokio::sync::oneshot;

use crate::config::Config;
use crate::keyspace::Keyspace;

pub use clients::Registry;
pub use ops::OpsMeter;
pub use session::Session;

/// Counters reported by `INFO`.
#[derive(Debug, Default)]
pub struct Stats {
    pub commands_processed: AtomicU64,
    pub connections_received: AtomicU64,
    pub connected_clients: AtomicUsize,
    pub rejected_connections: AtomicU64,
    /// `instantaneous_ops_per_sec`, sampled by a task the listener starts.
    pub ops: OpsMeter,
    /// Bytes and socket calls in and out, and the largest recent buffers.
    pub net: netstats::NetStats,
    /// `instantaneous_input_kbps` and `instantaneous_output_kbps`, in bytes
    /// per second, sampled with `ops`.
    pub input_rate: OpsMeter,
    pub output_rate: OpsMeter,
    /// The active expiry cycle's effort.
    pub expire: netstats::ExpireStats,
}

impl Stats {
    /// `CONFIG RESETSTAT`.
    pub fn reset(&self) {
        self.commands_processed.store(0, Ordering::Relaxed);
        self.connections_received.store(0, Ordering::Relaxed);
        self.rejected_connections.store(0, Ordering::Relaxed);
        self.net.reset();
        self.expire.reset();
    }
}

/// 40 random hexadecimal digits: a run id or replication id, as Redis
/// makes them at start.
pub fn random_hex_id() -> String {
    let mut bytes = [0u8; 20];
    if getrandom::getrandom(&mut bytes).is_err() {
        // No system randomness: unique enough from the clock and the pid.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
            ^ u128::from(std::process::id());
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (seed >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(151);
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// State every connection shares.
pub struct Shared {
    pub keyspace: Arc<Keyspace>,
    pub config: RwLock<Config>,
    pub stats: Stats,
    pub started: Instant,
    /// INFO's `run_id` and `master_replid`: new at each start.
    pub run_id: String,
    pub replid: String,
    /// `used_memory` once the server was set up (`used_memory_startup`).
    pub startup_memory: usize,
    pub local_addr: SocketAddr,
    /// The append-only file and snapshots, behind a handle.
    pub persist: Arc<dyn Durability>,
    /// Live connections, for `CLIENT LIST`.
    pub clients: Registry,
    /// Keys watched by connections (WATCH).
    pub watches: watch::Watches,
    /// Clients blocked on keys (BLPOP...).
    pub blocked: blocking::Blocked,
    /// Pub/sub subscriptions.
    pub pubsub: Arc<pubsub::PubSub>,
    /// Command and error statistics, the slow log, latency events,
    /// monitors and client pauses.
    pub intro: intro::Intro,
    /// `CLIENT TRACKING`'s table.
    pub tracking: Arc<tracking::Tracking>,
    /// Lua scripts by SHA1 (EVAL and SCRIPT LOAD); lost at restart, as in
    /// Redis.
    pub scripts: parking_lot::Mutex<hashbrown::HashMap<String, bytes::Bytes>>,
    /// The script running now, for `-BUSY` and `SCRIPT KILL`.
    pub script: script::ScriptState,
    /// Set by `SHUTDOWN`: the listener stops as on SIGTERM.
    pub shutdown: Shutdown,
    /// Users and their permissions, and the ACL log.
    pub acl: acl::Acl,
    /// The listeners (plain TCP, TLS), as the network layer set them up.
    pub listening: tls::Listening,
    /// Idle timeout and output limits, as connections read them.
    pub conn_limits: limits::ConnLimits,
    next_client_id: AtomicU64,
}

impl Shared {
    pub fn new(
        keyspace: Arc<Keyspace>,
        config: Config,
        local_addr: SocketAddr,
        persist: Arc<dyn Durability>,
    ) -> Shared {
        let pubsub = Arc::new(pubsub::PubSub::default());
        pubsub.configure(&config);
        let intro = intro::Intro::default();
        intro.configure(&config);
        let conn_limits = limits::ConnLimits::default();
        conn_limits.configure(&config);
        // Keys that expire, in a command or in the active cycle, are
        // announced when keyspace notifications ask for it.
        // They also invalidate what tracking clients may have cached.
        let tracking = Arc::new(tracking::Tracking::default());
        tracking.set_max_keys(config.tracking_table_max_keys);
        let announce = Arc::clone(&pubsub);
        let invalidate = Arc::clone(&tracking);
        keyspace.clock().on_expired(Box::new(move |db, key| {
            let flags = announce.notify_flags();
            if flags & crate::config::notify::EXPIRED != 0 {
                announce.notify(flags, db, "expired", key);
            }
            invalidate.invalidate(&[key], None);
        }));
        // Memory freed while nobody sends anything still goes back.
        crate::memory::start_reclaimer();
        Shared {
            keyspace,
            config: RwLock::new(config),
            stats: Stats::default(),
            started: Instant::now(),
            run_id: random_hex_id(),
            replid: random_hex_id(),
            startup_memory: crate::memory::used(),
            local_addr,
            persist,
            clients: Registry::default(),
            watches: watch::Watches::default(),
            blocked: blocking::Blocked::default(),
            pubsub,
            tracking,
            intro,
            scripts: Default::default(),
            script: Default::default(),
            shutdown: Shutdown::default(),
            acl: acl::Acl::new(),
            listening: tls::Listening::default(),
            conn_limits,
            next_client_id: AtomicU64::new(0),
        }
    }

    pub fn next_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// Shutdowns asked for (`SHUTDOWN`, SIGTERM): the listener waits on them.
#[derive(Default)]
pub struct Shutdown {
    notify: tokio::sync::Notify,
    asked: parking_lot::Mutex<Vec<ShutdownRequest>>,
}

/// One request to shut down.
#[derive(Debug, Default)]
pub struct ShutdownRequest {
    /// `SAVE` (`Some(true)`), `NOSAVE` (`Some(false)`), or as configured.
    pub save: Option<bool>,
    /// `FORCE`: exit even if the data cannot be made durable.
    pub force: bool,
    /// Told whether the server is going down (`Ok`) or refuses to, with
    /// the reply for the `SHUTDOWN` that asked.
    pub outcome: Option<oneshot::Sender<Result<(), String>>>,
}

impl Shutdown {
    pub fn request(&self, req: ShutdownRequest) {
        self.asked.lock().push(req);
        // notify_one keeps the permit if the listener is not waiting yet.
        self.notify.notify_one();
    }

    pub async fn requested(&self) {
        self.notify.notified().await
    }

    /// The requests made since the last call.
    pub fn take(&self) -> Vec<ShutdownRequest> {
        std::mem::take(&mut *self.asked.lock())
    }
}

/// The requests a write asks to be logged, in order: (database, words).
/// A command's handler leaves this empty to have its own request logged
/// as it came; it fills it to log something else (absolute deadlines for
/// relative ones, a deletion for an expiry in the past).
#[derive(Debug, Default)]
pub struct Log {
    pub records: Vec<(usize, Vec<Value>)>,
    /// Set by a write that did nothing to log (a blocking pop that found
    /// nothing and waits).
    pub skip: bool,
}

impl Log {
    pub fn push(&mut self, db: usize, words: Vec<Value>) {
        self.records.push((db, words));
    }
}

/// Outcome of a `SAVE`, delivered when its file is durable (or failed).
pub type SaveDone = oneshot::Receiver<Result<(), String>>;

/// Why persistence refuses commands for now (see [`Durability::refusal`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Start-up loading is in progress: only commands flagged `loading`
    /// run; the rest get `-LOADING`.
    Loading,
    /// The last snapshot or a write to the log failed: writes (and PING,
    /// as Redis) get this error text (`MISCONF ...`).
    DiskError(String),
}

/// The text of `-LOADING`, Redis's with the server's name.
pub const LOADING_ERROR: &str = "LOADING kvstore is loading the dataset in memory";

/// What commands may ask of persistence. The persistence layer implements
/// it.
pub trait Durability: Send + Sync {
    /// True if writes must go through [`Durability::write`].
    fn tracks_writes(&self) -> bool;

    /// Runs `apply` (a write) and logs what it put in the [`Log`], as one
    /// step in the log's order. Returns its reply and the log offset the
    /// reply must wait for (0 for none).
    fn write(&self, apply: &mut dyn FnMut(&mut Log) -> Value) -> (Value, u64);

    /// Resolves once the log is durable up to `offset` (`Ok`), or once the
    /// record ending there could not be written (`Err`: the error reply
    /// the write gets instead of its own; it was applied in memory but is
    /// not durable).
    fn wait(&self, offset: u64) -> Pin<Box<dyn Future<Output = Result<(), Value>> + Send + '_>>;

    /// `None` while commands may run as usual; a few atomic loads.
    fn refusal(&self) -> Option<Refusal>;

    /// One slice of the active expiry cycle: removes keys past their
    /// deadline for about `budget`, logging each as a deletion. Returns
    /// where to go on from and how many keys went.
    fn expire(&self, start: usize, budget: std::time::Duration) -> (usize, usize);

    fn save(&self) -> Result<SaveDone, String>;
    fn bgsave(&self) -> Result<(), String>;
    fn bgrewriteaof(&self) -> Result<(), String>;
    /// `LASTSAVE`: unix time of the last successful snapshot.
    fn lastsave(&self) -> i64;
    /// Fields for `DURABILITY` and `INFO persistence`.
    fn info(&self) -> Vec<(&'static str, Value)>;
}
